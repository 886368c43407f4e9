/* test_all_types.c - a task-mode `full` subtask (real dm-worker, real MariaDB, the packaged
 * mydumper) over a source of column types at their edges (tests/data/load/edge_types.sql:
 * zero dates, TIME limits, BIT, YEAR, FLOAT/DOUBLE extremes, DECIMAL(65,30), ucs2 /
 * utf16 / utf32 / gbk / sjis / big5, GEOMETRY, INET6 / INET4 / UUID, JSON, generated /
 * invisible columns, key shapes, partitions, MyISAM / Aria, system versioning, a sequence,
 * every byte in a BLOB): every table equal by the bytes of every column. Also: INET4 (was
 * Error 1292), INET6 / INET4 in a table with generated and invisible columns (a 16-character
 * INET6 text was stored as its bytes, another address), views reading views named after them (were Error 1146, the task stuck in
 * Load), a target table created by the user with the same columns in another order (the
 * values went by position: a's into b, silently) and one with an extra column (was Error
 * 1136); extra-args that let the dump lose rows (--no-locks) or leave kept tables out
 * (a user's -x narrower than the black-white-list: the task finished without them) pause
 * in Dump naming them; an INSERT larger than the target's max_allowed_packet pauses naming it
 * (34997) instead of being sent again and again; a data file gone from the dump directory
 * under a stopped task pauses naming it (34014) instead of a Load finished without it. */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

static void mariadb_file(int port, const char *file)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P%d -uroot "
                              "<%s/tests/data/load/%s", port, tu_source_dir(), file);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

static void setup(void)
{
    e2e_env_up();
    mariadb_file(g_src, "edge_types.sql");
    sql(g_src, "CREATE DATABASE vw");
    sql(g_src, "CREATE TABLE vw.t (id INT PRIMARY KEY, a INT)");
    sql(g_src, "INSERT INTO vw.t VALUES (1, 1), (2, 2), (3, -1)");
    sql(g_src, "CREATE VIEW vw.z_base AS SELECT id, a FROM vw.t WHERE a > 0");
    sql(g_src, "CREATE VIEW vw.a_top AS SELECT id FROM vw.z_base");
    sql(g_src, "CREATE VIEW vw.m_cnt AS SELECT COUNT(*) c FROM vw.a_top");
    sql(g_src, "CREATE DATABASE co");
    sql(g_src, "CREATE TABLE co.t (id INT PRIMARY KEY, a INT, b INT, s VARCHAR(10))");
    sql(g_src, "INSERT INTO co.t VALUES (1, 10, 20, 'x'), (2, 11, 21, 'y')");
    sql(g_src, "CREATE TABLE co.u (id INT PRIMARY KEY, a INT, b INT)");
    sql(g_src, "INSERT INTO co.u VALUES (1, 1, 2)");
    /* the user's own target tables: the columns in another order, one column more */
    sql(g_dst, "CREATE DATABASE co");
    sql(g_dst, "CREATE TABLE co.t (id INT PRIMARY KEY, b INT, a INT, s VARCHAR(10))");
    sql(g_dst, "CREATE TABLE co.u (id INT PRIMARY KEY, a INT, b INT, extra INT DEFAULT 5)");
    setenv("DMGW_DUMP_STALL_MS", "30000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

/* The task TOML with `args` as its mydumper extra-args. */
static void toml_with_args(char *out, size_t cap, const char *name, const char *dbs,
                           const char *args)
{
    char *q, rest[4096];
    task_toml(out, cap, name, "full", dbs, NULL);
    q = strstr(out, "extra-args = \"--rows 700 -s 5000\"");
    ck_assert_ptr_nonnull(q);
    snprintf(rest, sizeof rest, "%s", q + strlen("extra-args = \"--rows 700 -s 5000\""));
    snprintf(q, cap - (size_t)(q - out), "extra-args = \"%s\"%s", args, rest);
}

START_TEST(edge_types_full)
{
    char toml[4096], msg[2048], a[256], b[256];
    MYSQL *m;
    MYSQL_RES *res;
    MYSQL_ROW row;
    int n = 0;
    task_toml(toml, sizeof toml, "types", "full", "e\", \"vw\", \"co", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("types", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "full task did not finish");
    m = db(g_src);
    ck_assert_int_eq(mysql_query(m, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                    "TABLE_SCHEMA = 'e' AND TABLE_TYPE <> 'VIEW' ORDER BY 1"), 0);
    res = mysql_store_result(m);
    while ((row = mysql_fetch_row(res))) {
        assert_table_equal("e", row[0], 0);
        n++;
    }
    mysql_free_result(res);
    mysql_close(m);
    ck_assert_int_ge(n, 25);
    /* the smallest denormal and the largest DOUBLE survive mydumper's text */
    value(g_dst, "SELECT CONCAT(d) FROM e.t_num WHERE id = 4", a, sizeof a);
    ck_assert_str_eq(a, "5e-324");
    value(g_dst, "SELECT CONCAT(d) FROM e.t_num WHERE id = 2", a, sizeof a);
    ck_assert_str_eq(a, "1.7976931348623157e308");
    value(g_dst, "SELECT CONCAT(i6, '/', i4) FROM e.t_new WHERE id = 2", a, sizeof a);
    ck_assert_str_eq(a, "::ffff:1.2.3.4/0.0.0.0");
    /* INET6 / INET4 of a table with generated and invisible columns (INSERTs only) */
    value(g_dst, "SELECT CONCAT(i6, '/', i4, '/', inv) FROM e.t_inv WHERE id = 1", a, sizeof a);
    ck_assert_str_eq(a, "2001:db8::1:2:34/10.1.2.3/9");
    /* views reading views that sort after them */
    value(g_dst, "SELECT c FROM vw.m_cnt", a, sizeof a);
    ck_assert_str_eq(a, "2");
    /* the user's tables: by name, not by position */
    value(g_src, "SELECT GROUP_CONCAT(id, a, b, s ORDER BY id) FROM co.t", a, sizeof a);
    value(g_dst, "SELECT GROUP_CONCAT(id, a, b, s ORDER BY id) FROM co.t", b, sizeof b);
    ck_assert_str_eq(b, a);
    value(g_dst, "SELECT CONCAT(id, a, b, extra) FROM co.u", a, sizeof a);
    ck_assert_str_eq(a, "1125");
    ck_assert(operate("types", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

static void paused_in_dump(const char *name, const char *args, const char *want1,
                           const char *want2)
{
    char toml[4096], msg[2048];
    int stage;
    toml_with_args(toml, sizeof toml, name, "e", args);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit(name, PB__UNIT_TYPE__Dump, PB__STAGE__Paused, 60000));
    ck_assert_int_eq(unit_now(name, &stage, msg, sizeof msg), PB__UNIT_TYPE__Dump);
    ck_assert_msg(strstr(msg, want1) && strstr(msg, want2), "%s", msg);
    ck_assert(operate(name, PB__TASK_OP__Stop, msg, sizeof msg));
}

START_TEST(dump_options_named)
{
    paused_in_dump("nolocks", "--rows 700 --no-locks", "--no-locks", "lost or doubled");
    paused_in_dump("tzskip", "--skip-tz-utc", "--skip-tz-utc", "time zone");
    /* the user's regex keeps two tables of the 24 the black-white-list keeps (with -B: a
     * regex alone lists every database: mydumper 0.10.1's occasional hang, docs/worker.md) */
    paused_in_dump("narrow", "-B e -x ^e[.]t_(num|str)$", "black-white-list keeps", "e.t_aria");
}
END_TEST

/* A row whose INSERT is larger than the target's max_allowed_packet, with LOAD DATA off on
 * the target: the server dropped the connection (2006) and auto-resume sent it again and
 * again; now a pause naming it (34997, not transient), and a resume once the target takes
 * it (local_infile back on: LOAD DATA streams the row) loads it. */
START_TEST(packet_too_big_named)
{
    char toml[4096], msg[2048];
    int stage;
    sql(g_src, "CREATE DATABASE pk");
    sql(g_src, "CREATE TABLE pk.t (id INT PRIMARY KEY, b LONGBLOB)");
    sql(g_src, "INSERT INTO pk.t VALUES (1, REPEAT(CHAR(0), 700000)), (2, 'x')");
    sql(g_dst, "SET GLOBAL local_infile = 0");
    sql(g_dst, "SET GLOBAL max_allowed_packet = 1048576");
    task_toml(toml, sizeof toml, "pkt", "full", "pk", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit("pkt", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 90000));
    ck_assert_int_eq(unit_now("pkt", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
    ck_assert_msg(strstr(msg, "34997") && strstr(msg, "max_allowed_packet (1048576 bytes)"),
                  "%s", msg);
    sql(g_dst, "SET GLOBAL local_infile = 1");
    ck_assert(operate("pkt", PB__TASK_OP__Resume, msg, sizeof msg));
    ck_assert_msg(wait_unit("pkt", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000),
                  "not finished after the resume");
    sql(g_dst, "SET GLOBAL max_allowed_packet = 16777216");
    assert_table_equal("pk", "t", 2);
    ck_assert(operate("pkt", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* A data file deleted from the dump directory while the task is stopped in Load: its rows
 * were skipped and the task finished without them (seen: 10 of 81 files deleted under a
 * paused task, 10420 rows missing, Finished). Here the checkpoint is put back to "not
 * finished" for one file of a finished load, which is then deleted: the start pauses in
 * Load naming it (34014), nothing skipped silently. */
START_TEST(lost_dump_file_named)
{
    char toml[4096], msg[2048], path[1024];
    int stage;
    sql(g_src, "CREATE DATABASE lf");
    sql(g_src, "CREATE TABLE lf.t (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "INSERT INTO lf.t SELECT seq, MD5(seq) FROM lf.seq_1_to_2000");
    task_toml(toml, sizeof toml, "lost", "full", "lf", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit("lost", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000));
    ck_assert(operate("lost", PB__TASK_OP__Stop, msg, sizeof msg));
    snprintf(path, sizeof path, "%s/dumped_data.lost/lost.mysql-replica-01/lf.t.00001.sql", g_dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(unlink(path), 0);
    sql(g_dst, "UPDATE dm_meta.lost_loader_checkpoint SET `offset` = 0 WHERE "
               "filename = 'lf.t.00001.sql'");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit("lost", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 60000));
    ck_assert_int_eq(unit_now("lost", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
    ck_assert_msg(strstr(msg, "34014") && strstr(msg, "lost 1 data file(s)") &&
                  strstr(msg, "lf.t.00001.sql") && strstr(msg, "remove-meta"), "%s", msg);
    ck_assert(operate("lost", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_types");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, edge_types_full);
    tcase_add_test(tc, dump_options_named);
    tcase_add_test(tc, packet_too_big_named);
    tcase_add_test(tc, lost_dump_file_named);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

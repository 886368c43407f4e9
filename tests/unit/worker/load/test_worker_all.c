/* test_worker_all.c - the real dm-worker runs task-mode `all` and `full` subtasks against
 * real MariaDB: Dump (the packaged mydumper) -> Load -> Sync. Checked: every table equal
 * row by row (count + checksum, counts > 0) with latin1 / utf8mb4 / blob / NULL values, a
 * routed table, a key-less table with duplicate rows, a view; rows written during the
 * load arrive through Sync; a kill -9 during Load resumes without lost or duplicated rows;
 * `full` ends Finished, also for two databases (one mydumper per database under the
 * worker's lock); the plain KEYs come back after a kill -9 during Load; pause during Dump
 * kills mydumper (no password on its command line); a failing mydumper leaves its stderr
 * in the error. */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define SUM_BIG "CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,HEX(v),HEX(u),HEX(b),IFNULL(n,'N')))),0))"
#define SUM_NK "CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',a,IFNULL(b,'N')))),0))"
#define SUM_IDS "CONCAT(COUNT(*),'-',SUM(CRC32(CONCAT_WS(',',id,s))))"

static void fill_source(void)
{
    sql(g_src, "CREATE DATABASE shop");
    sql(g_src, "CREATE TABLE shop.big (id INT PRIMARY KEY, v VARCHAR(100) CHARACTER SET latin1, "
               "u TEXT CHARACTER SET utf8mb4, b BLOB, n INT NULL, KEY kn (n), KEY kvn (v(10), n))");
    sql(g_src, "INSERT INTO shop.big SELECT seq, CONCAT(_latin1 0xE9E8, 'row ''', seq, '\\\\'), "
               "CONCAT(_utf8mb4 0xF09F9880, ' ü \"', seq), UNHEX(CONCAT(MD5(seq), '000A0D27')), "
               "IF(seq %% 7 = 0, NULL, seq * 3) FROM shop.seq_1_to_3000");
    sql(g_src, "CREATE TABLE shop.nokey (a INT, b VARCHAR(20))");
    sql(g_src, "INSERT INTO shop.nokey VALUES (1,'x'),(1,'x'),(2,NULL),(3,'y')");
    sql(g_src, "CREATE TABLE shop.src_named (id INT PRIMARY KEY, s VARCHAR(20))");
    sql(g_src, "INSERT INTO shop.src_named SELECT seq, CONCAT('r', seq) FROM shop.seq_1_to_50");
    sql(g_src, "CREATE VIEW shop.v AS SELECT id, n FROM shop.big WHERE id < 10");
    sql(g_src, "CREATE DATABASE other");
    sql(g_src, "CREATE TABLE other.t (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO other.t VALUES (1)");
    sql(g_src, "CREATE DATABASE g");
    sql(g_src, "CREATE TABLE g.t (id INT PRIMARY KEY, v INT)");
    sql(g_src, "INSERT INTO g.t SELECT seq, seq %% 10 FROM g.seq_1_to_100");
    sql(g_src, "CREATE DATABASE m1");
    sql(g_src, "CREATE DATABASE m2");
    sql(g_src, "CREATE TABLE m1.t (id INT PRIMARY KEY, s VARCHAR(20), KEY ks (s))");
    sql(g_src, "INSERT INTO m1.t SELECT seq, CONCAT('m', seq) FROM m1.seq_1_to_2000");
    sql(g_src, "CREATE TABLE m2.t (id INT PRIMARY KEY, s VARCHAR(20))");
    sql(g_src, "INSERT INTO m2.t SELECT seq, CONCAT('n', seq) FROM m1.seq_1_to_700");
    sql(g_src, "CREATE DATABASE f");
    sql(g_src, "CREATE TABLE f.t (id INT PRIMARY KEY, s VARCHAR(20) CHARACTER SET utf8mb4)");
    sql(g_src, "INSERT INTO f.t SELECT seq, CONCAT('f', seq) FROM f.seq_1_to_500");
    sql(g_src, "CREATE DATABASE rk");
    sql(g_src, "CREATE TABLE rk.t (id INT PRIMARY KEY, s VARCHAR(100), KEY ks (s))");
    sql(g_src, "INSERT INTO rk.t SELECT seq, CONCAT(REPEAT('k', 80), seq) FROM rk.seq_1_to_6000");
}

/* Wait until the target's count query answers > 0 (the Load committed a statement: one
 * per 150 ms with DMGW_LOAD_STMT_DELAY_MS, thousands to go), so a kill -9 lands mid-load;
 * Load Running alone may come before the first commit on a loaded box. timeout_ms bounds
 * a hang. */
static bool wait_rows(const char *count_query, int timeout_ms)
{
    char a[64];
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        value(g_dst, count_query, a, sizeof a);
        if (atoll(a) > 0)
            return true;
        usleep(50 * 1000);
    }
    return false;
}

static void setup(void)
{
    e2e_env_up();
    fill_source();
    setenv("DMGW_LOAD_STMT_DELAY_MS", "150", 1);
    setenv("DMGW_DUMP_STALL_MS", "15000", 1);   /* a hung mydumper is retried quickly */
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

START_TEST(all_mode_with_kill_during_load)
{
    char toml[4096], msg[2048], a[64];
    task_toml(toml, sizeof toml, "shopall", "all", "shop", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("shopall", PB__UNIT_TYPE__Load, PB__STAGE__Running, 60000),
                  "never reached Load");
    /* rows written after the dump's snapshot: Sync brings them */
    sql(g_src, "INSERT INTO shop.big VALUES (100001, 'late', 'late', NULL, NULL)");
    sql(g_src, "UPDATE shop.big SET n = -1 WHERE id = 5");
    sql(g_src, "DELETE FROM shop.big WHERE id = 6");
    sql(g_src, "INSERT INTO shop.nokey VALUES (9, 'late')");
    ck_assert_msg(wait_rows("SELECT COUNT(*) FROM shop.big", 60000), "no row loaded yet");
    stop_worker(SIGKILL);
    value(g_dst, "SELECT COUNT(*) FROM shop.big", a, sizeof a);
    ck_assert_msg(atoll(a) > 0 && atoll(a) < 3000, "killed mid-load: %s rows on the target", a);
    unsetenv("DMGW_LOAD_STMT_DELAY_MS");
    spawn_worker();
    ck_assert_msg(wait_unit("shopall", PB__UNIT_TYPE__Sync, PB__STAGE__Running, 90000),
                  "never reached Sync after the restart");
    sql(g_src, "INSERT INTO shop.big VALUES (100002, 'after', 'after', 0x00, 1)");
    sql(g_src, "INSERT INTO shop.src_named VALUES (1000, 'after')");
    assert_equal("shop.big", "shop.big", SUM_BIG, "3001");
    assert_equal("shop.nokey", "shop.nokey", SUM_NK, "5");
    assert_equal("shop.src_named", "shop.routed",
                 SUM_IDS, "51");
    value(g_dst, "SELECT COUNT(*) FROM shop.v", a, sizeof a);
    ck_assert_str_eq(a, "8");   /* the view, over the loaded rows (id 6 deleted) */
    value(g_dst, "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA='shop' "
                 "AND TABLE_NAME='v'", a, sizeof a);
    ck_assert_str_eq(a, "VIEW");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='other'", a,
          sizeof a);
    ck_assert_str_eq(a, "0");
    value(g_dst, "SELECT COUNT(*) FROM shop.src_named", a, sizeof a);
    ck_assert_str_eq(a, "ERR");   /* routed away */
    value(g_dst, "SELECT COUNT(*) FROM dm_meta.shopall_loader_checkpoint WHERE `offset` = end_pos "
                 "AND `offset` > 0", a, sizeof a);
    ck_assert_msg(atoll(a) >= 5, "loader checkpoint rows complete: %s", a);
    /* the plain KEYs, left out of the CREATE during the load, were added after the restart */
    value(g_dst, "SELECT GROUP_CONCAT(DISTINCT INDEX_NAME ORDER BY INDEX_NAME) FROM "
                 "information_schema.STATISTICS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='big'",
          a, sizeof a);
    ck_assert_str_eq(a, "kn,kvn,PRIMARY");
    value(g_dst, "SELECT `offset` FROM dm_meta.shopall_loader_checkpoint WHERE "
                 "filename='shop.big-schema.sql'", a, sizeof a);
    ck_assert_str_eq(a, "1");   /* keys added */
}
END_TEST

/* a row the target refuses: Paused, the error names the file and the constraint */
START_TEST(constraint_violation_pauses)
{
    char toml[4096], msg[2048];
    Pb__QueryStatusResponse *r;
    Pb__SubTaskStatus *st;
    sql(g_dst, "CREATE DATABASE g");
    sql(g_dst, "CREATE TABLE g.t (id INT PRIMARY KEY, v INT, UNIQUE KEY uv (v))");
    task_toml(toml, sizeof toml, "cons", "full", "g", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("cons", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 60000),
                  "load not paused");
    r = query_status("cons");
    st = status_of(r);
    ck_assert(st && st->result && st->result->n_errors == 1);
    ck_assert_msg(strstr(st->result->errors[0]->msg, "file g.t.") &&
                      strstr(st->result->errors[0]->msg, "Duplicate entry"),
                  "%s", st->result->errors[0]->msg);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    ck_assert(operate("cons", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

#define RK_KEYS "SELECT GROUP_CONCAT(DISTINCT INDEX_NAME ORDER BY INDEX_NAME) FROM " \
    "information_schema.STATISTICS WHERE TABLE_SCHEMA='rk' AND TABLE_NAME='t'"

/* kill -9 after the Load created rk.t without its plain KEY, then the user stops the task,
 * empties the table (kept) and starts the task again with remove-meta: the checkpoint is
 * gone, the table exists, and the key still comes (its "keys pending" row survives). */
START_TEST(remove_meta_after_keys_deferred)
{
    char toml[4096], msg[2048], a[64];
    task_toml(toml, sizeof toml, "rkeys", "full", "rk", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("rkeys", PB__UNIT_TYPE__Load, PB__STAGE__Running, 60000),
                  "never reached Load");
    ck_assert_msg(wait_rows("SELECT COUNT(*) FROM rk.t", 60000), "no row loaded yet");
    stop_worker(SIGKILL);
    value(g_dst, "SELECT COUNT(*) FROM rk.t", a, sizeof a);
    ck_assert_msg(atoll(a) > 0 && atoll(a) < 6000, "killed mid-load: %s rows", a);
    value(g_dst, RK_KEYS, a, sizeof a);
    ck_assert_str_eq(a, "PRIMARY");   /* created without its KEY */
    spawn_worker();
    ck_assert(operate("rkeys", PB__TASK_OP__Stop, msg, sizeof msg));
    sql(g_dst, "TRUNCATE TABLE rk.t");
    task_toml(toml, sizeof toml, "rkeys", "full", "rk", "remove-meta = true\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start again: %s", msg);
    ck_assert_msg(wait_unit("rkeys", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000),
                  "full task did not finish after remove-meta");
    assert_equal("rk.t", "rk.t", SUM_IDS, "6000");
    value(g_dst, RK_KEYS, a, sizeof a);
    ck_assert_str_eq(a, "ks,PRIMARY");
    value(g_dst, "SELECT `offset` FROM dm_meta.rkeys_loader_checkpoint WHERE "
                 "filename='rk.t-schema.sql'", a, sizeof a);
    ck_assert_str_eq(a, "1");
    ck_assert(operate("rkeys", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

START_TEST(full_mode_finishes)
{
    char toml[4096], msg[2048];
    task_toml(toml, sizeof toml, "fonly", "full", "f", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("fonly", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 60000),
                  "full task did not finish");
    assert_equal("f.t", "f.t", SUM_IDS,
                 "500");
    ck_assert(operate("fonly", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* two databases: one mydumper per database under one lock of the worker (dump.c) */
START_TEST(full_mode_two_databases)
{
    char toml[4096], msg[2048], path[512], *log;
    task_toml(toml, sizeof toml, "twodb", "full", "m1\", \"m2", NULL);   /* do-dbs m1, m2 */
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("twodb", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000),
                  "two-database task did not finish");
    assert_equal("m1.t", "m1.t", SUM_IDS, "2000");
    assert_equal("m2.t", "m2.t", SUM_IDS, "700");
    snprintf(path, sizeof path, "%s/worker.log", g_dir);
    log = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_nonnull(strstr(log, "dump snapshots started, source unlocked"));
    free(log);
    ck_assert(operate("twodb", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* The pid a fake mydumper wrote to path: a whole line, a number > 1 (0 while absent
 * after timeout_ms; the bound is for a hang, the file is expected within a second). */
static pid_t wait_pid_file(const char *path, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        char *text = tu_read_file(path, NULL), *end = NULL;
        long v = text ? strtol(text, &end, 10) : 0;
        bool whole = text && end != text && *end == '\n' && v > 1;
        free(text);
        if (whole)
            return (pid_t)v;
        usleep(100000);
    }
    return 0;
}

START_TEST(pause_during_dump_kills_mydumper)
{
    char toml[4096], msg[2048], path[512], extra[700], *args;
    Pb__QueryStatusResponse *r;
    pid_t pid;
    snprintf(path, sizeof path, "%s/slow-mydumper", g_dir);
    fake_mydumper(path, "sleep 60");
    snprintf(extra, sizeof extra, "mydumper-path = \"%s\"\n", path);
    task_toml(toml, sizeof toml, "slow", "all", "f", extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit("slow", PB__UNIT_TYPE__Dump, PB__STAGE__Running, 60000));
    snprintf(msg, sizeof msg, "%s.pid", path);
    pid = wait_pid_file(msg, 60000);
    ck_assert_msg(pid > 1, "no pid in %s", msg);   /* pid 0: kill() would probe our group */
    ck_assert_int_eq(kill(pid, 0), 0);
    snprintf(msg, sizeof msg, "%s.args", path);
    args = tu_read_file(msg, NULL);
    ck_assert_ptr_nonnull(args);
    ck_assert_ptr_null(strstr(args, "password"));
    ck_assert_ptr_nonnull(strstr(args, "--defaults-file="));
    ck_assert_ptr_nonnull(strstr(args, "--database f --regex ^(f\\.t)$"));   /* one db: -B */
    free(args);
    ck_assert(operate("slow", PB__TASK_OP__Pause, msg, sizeof msg));
    ck_assert_int_ne(kill(pid, 0), 0);   /* killed and reaped */
    r = query_status("slow");
    ck_assert_int_eq(status_of(r)->stage, PB__STAGE__Paused);
    ck_assert_int_eq(status_of(r)->unit, PB__UNIT_TYPE__Dump);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    ck_assert(operate("slow", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

START_TEST(failing_mydumper_reports_stderr)
{
    char toml[4096], msg[2048], path[512], extra[700];
    Pb__QueryErrorRequest req = PB__QUERY_ERROR_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__QueryErrorResponse *qe;
    snprintf(path, sizeof path, "%s/bad-mydumper", g_dir);
    fake_mydumper(path, "echo 'boom: Access denied for user' >&2\nexit 2");
    snprintf(extra, sizeof extra, "mydumper-path = \"%s\"\n", path);
    task_toml(toml, sizeof toml, "bad", "full", "f", extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit("bad", PB__UNIT_TYPE__Dump, PB__STAGE__Paused, 60000));
    req.name = (char *)"bad";
    ck_assert_int_eq(call("QueryError", &req.base, &resp, msg, sizeof msg), RPC_OK);
    qe = (Pb__QueryErrorResponse *)resp;
    ck_assert_int_eq((int)qe->n_subtaskerror, 1);
    ck_assert_int_eq(qe->subtaskerror[0]->unit, PB__UNIT_TYPE__Dump);
    ck_assert_ptr_nonnull(qe->subtaskerror[0]->dump);
    ck_assert_msg(strstr(qe->subtaskerror[0]->dump->msg, "boom: Access denied") &&
                      strstr(qe->subtaskerror[0]->dump->msg, "exit status 2"),
                  "%s", qe->subtaskerror[0]->dump->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert(operate("bad", PB__TASK_OP__Stop, msg, sizeof msg));
    /* an extra-args option that lets the dump skip tables silently: refused, named */
    task_toml(toml, sizeof toml, "skip1146", "full", "f", NULL);
    {
        char *q = strstr(toml, "-s 5000\"");
        ck_assert_ptr_nonnull(q);
        memmove(q + 7 + 18, q + 7, strlen(q + 7) + 1);
        memcpy(q + 7, " --success-on-1146", 18);
    }
    ck_assert_msg(strstr(toml, "-s 5000 --success-on-1146\""), "%s", toml);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_unit("skip1146", PB__UNIT_TYPE__Dump, PB__STAGE__Paused, 60000));
    {
        int stage = -1;
        ck_assert_int_eq(unit_now("skip1146", &stage, msg, sizeof msg), PB__UNIT_TYPE__Dump);
    }
    ck_assert_msg(strstr(msg, "extra-args --success-on-1146") && strstr(msg, "not supported"),
                  "%s", msg);
    ck_assert(operate("skip1146", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_all");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, full_mode_two_databases);
    tcase_add_test(tc, pause_during_dump_kills_mydumper);
    tcase_add_test(tc, failing_mydumper_reports_stderr);
    tcase_add_test(tc, constraint_violation_pauses);
    tcase_add_test(tc, full_mode_finishes);
    tcase_add_test(tc, remove_meta_after_keys_deferred);
    tcase_add_test(tc, all_mode_with_kill_during_load);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

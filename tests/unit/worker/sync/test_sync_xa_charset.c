/* test_sync_xa_charset.c - two gaps of the Sync unit found by the divergence round, with
 * real MariaDB sandboxes and dm-worker (worker_e2e.h):
 *  - XA ROLLBACK of a prepared XA transaction (MariaDB logs its rows at XA PREPARE, applied
 *    then): paused every task reading the source. Now only a task that replicated rows of
 *    that transaction pauses (36xxx, naming the first table), or any task when its XA
 *    PREPARE was before the task's start (unknown); a task on another database goes on.
 *    XA COMMIT after PREPARE and XA COMMIT ... ONE PHASE replicate exactly.
 *  - CREATE TABLE without a table charset into a target database that exists with another
 *    default charset (pre-created, routed): the table got the target database's charset.
 *    Now the source database's default charset/collation go into the statement; a charset
 *    DEFAULT by name (CONVERT TO CHARACTER SET DEFAULT) pauses when the two databases'
 *    defaults differ.
 * The tests run in order, sharing sandboxes and worker. */
#include "rowimg_e2e.h"

static void setup(void)
{
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    e2e_env_up();
    master_pos();
    spawn_worker();
}

static void teardown(void)
{
    e2e_env_down();
}

static void task_up(const char *name, const char *rules)
{
    char toml[4096], msg[2048];
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 2\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n%s",
             name, g_file, g_pos, g_src, g_dst, rules);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

/* Task `name` ends Paused with an error holding want1 and want2. */
static void task_paused(const char *name, const char *want1, const char *want2)
{
    char msg[2048];
    long long end = tu_now_ms() + 30000;
    while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(strstr(msg, want1) && strstr(msg, want2), "%s: %s", name, msg);
}

#define XA_COLS "HEX(id),HEX(v)"

/* xa_a.t on source and target: same rows, byte for byte. */
static void xa_a_same(void)
{
    char qs[512], qd[512];
    table_sum(qs, sizeof qs, "xa_a", "t", XA_COLS);
    table_sum(qd, sizeof qd, "xa_a", "t", XA_COLS);
    ck_assert_msg(converge(qs, qd, 30000), "xa_a.t differs");
}

START_TEST(xa_rollback_pauses_only_its_tasks)
{
    char v[64];
    task_up("xa_a", "[black-white-list]\ndo-dbs = [\"xa_a\"]\n");
    task_up("xa_b", "[black-white-list]\ndo-dbs = [\"xa_b\"]\n");
    sqli("FULL", "CREATE DATABASE xa_a; CREATE DATABASE xa_b;"
                 "CREATE TABLE xa_a.t (id INT PRIMARY KEY, v VARCHAR(20));"
                 "CREATE TABLE xa_b.t (id INT PRIMARY KEY, v VARCHAR(20));"
                 "INSERT INTO xa_a.t VALUES (1, 'one'); INSERT INTO xa_b.t VALUES (1, 'one')");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM xa_b.t", "1", 30000));
    /* rows of xa_b only, rolled back after PREPARE */
    sqli("FULL", "XA START 'rb1'; INSERT INTO xa_b.t VALUES (2, 'two'); UPDATE xa_b.t SET "
                 "v = 'uno' WHERE id = 1; XA END 'rb1'; XA PREPARE 'rb1'; XA ROLLBACK 'rb1'");
    /* two-phase commit and one-phase commit on xa_a, after it */
    sqli("FULL", "XA START 'c2', 'q', 7; INSERT INTO xa_a.t VALUES (2, 'two'), (3, 'three');"
                 "XA END 'c2', 'q', 7; XA PREPARE 'c2', 'q', 7; XA COMMIT 'c2', 'q', 7;"
                 "XA START 'c1'; UPDATE xa_a.t SET v = CONCAT(v, '!') WHERE id < 3;"
                 "DELETE FROM xa_a.t WHERE id = 3; INSERT INTO xa_a.t VALUES (4, 'four');"
                 "XA END 'c1'; XA COMMIT 'c1' ONE PHASE;"
                 "XA START 'rb2'; INSERT INTO xa_a.t VALUES (9, 'nine'); XA END 'rb2';"
                 "XA PREPARE 'rb2'; XA COMMIT 'rb2'");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id, v ORDER BY id) FROM xa_a.t",
                         "1one!,2two!,4four,9nine", 30000));
    xa_a_same();
    assert_running("xa_a");
    task_paused("xa_b", "XA ROLLBACK of prepared XA transaction X'726231',X'',1: its 2 row "
                        "changes (the first in `xa_b`.`t`) were applied to the target", "36017");
    value(g_dst, "SELECT GROUP_CONCAT(id, v ORDER BY id) FROM xa_b.t", v, sizeof v);
    ck_assert_str_eq(v, "1uno,2two");   /* the known divergence the pause names */
}
END_TEST

/* XA PREPARE before the task's start: which rows it had is unknown - pause. */
START_TEST(xa_rollback_unknown_pauses)
{
    MYSQL *m = db(g_src);
    sqli("FULL", "CREATE DATABASE xa_u; CREATE TABLE xa_u.t (id INT PRIMARY KEY)");
    ck_assert(mysql_query(m, "XA START 'early'") == 0);
    ck_assert(mysql_query(m, "INSERT INTO xa_u.t VALUES (1)") == 0);
    ck_assert(mysql_query(m, "XA END 'early'") == 0);
    ck_assert(mysql_query(m, "XA PREPARE 'early'") == 0);
    mysql_close(m);               /* the prepared transaction stays (MariaDB 10.5+) */
    master_pos();
    task_up("xa_u", "[black-white-list]\ndo-dbs = [\"xa_u\", \"xa_v\"]\n");
    sql(g_src, "XA ROLLBACK 'early'");
    task_paused("xa_u", "XA ROLLBACK of prepared XA transaction X'6561726c79',X'',1 whose "
                        "XA PREPARE was before this task's start position", "36017");
}
END_TEST

/* Columns of schema.table (charset, collation) and the table's collation. */
static void charset_query(char *out, size_t cap, const char *schema, const char *table)
{
    snprintf(out, cap,
             "SELECT CONCAT((SELECT GROUP_CONCAT(CONCAT_WS(':', column_name, column_type, "
             "IFNULL(character_set_name, '-'), IFNULL(collation_name, '-')) ORDER BY "
             "ordinal_position) FROM information_schema.columns WHERE table_schema = '%s' AND "
             "table_name = '%s'), '|', (SELECT table_collation FROM information_schema.tables "
             "WHERE table_schema = '%s' AND table_name = '%s'))",
             schema, table, schema, table);
}

/* src.table and dst.table: same charsets, same bytes. */
static void same_charset(const char *src, const char *dst, const char *table, const char *cols)
{
    char qs[1024], qd[1024], v[1024];
    charset_query(qs, sizeof qs, src, table);
    charset_query(qd, sizeof qd, dst, table);
    ck_assert_msg(converge(qs, qd, 30000), "%s.%s: other charsets than %s.%s", dst, table, src,
                  table);
    value(g_dst, qd, v, sizeof v);
    ck_assert_msg(strstr(v, "utf8mb4"), "%s", v);
    table_sum(qs, sizeof qs, src, table, cols);
    table_sum(qd, sizeof qd, dst, table, cols);
    ck_assert_msg(converge(qs, qd, 30000), "%s.%s: other bytes", dst, table);
}

START_TEST(create_table_takes_source_db_charset)
{
    master_pos();
    sql(g_dst, "CREATE DATABASE cs_a CHARACTER SET latin1 COLLATE latin1_swedish_ci");
    sql(g_dst, "CREATE DATABASE cs_rt CHARACTER SET latin1");
    task_up("cs", "[black-white-list]\ndo-dbs = [\"cs_a\", \"cs_r\"]\n"
                  "[[route-rules]]\nschema-pattern = \"cs_r\"\ntarget-schema = \"cs_rt\"\n");
    sqli("FULL", "CREATE DATABASE cs_a CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
                 "CREATE DATABASE cs_r CHARACTER SET utf8mb4;"
                 "CREATE TABLE cs_a.t (id INT PRIMARY KEY, a VARCHAR(10), b TEXT, "
                 "c CHAR(3) CHARACTER SET latin1) ENGINE=InnoDB;"
                 "CREATE TABLE cs_a.p (id INT PRIMARY KEY, a VARCHAR(10)) PARTITION BY HASH (id) "
                 "PARTITIONS 2;"
                 "CREATE TABLE cs_a.x (id INT PRIMARY KEY, a VARCHAR(10)) CHARSET latin1;"
                 "USE cs_r; CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10));"
                 "INSERT INTO cs_a.t VALUES (1, '\xe2\x82\xac\xf0\x9f\x98\x80', 'Grüße \xf0\x9f\x98\x80', 'abc');"
                 "INSERT INTO cs_a.p VALUES (1, '\xe2\x82\xac'), (2, 'ß');"
                 "INSERT INTO cs_a.x VALUES (1, 'é');"
                 "INSERT INTO cs_r.t VALUES (1, '\xf0\x9f\x98\x80\xe2\x82\xac')");
    same_charset("cs_a", "cs_a", "t", "HEX(id),HEX(a),HEX(b),HEX(c)");
    same_charset("cs_a", "cs_a", "p", "HEX(id),HEX(a)");
    same_charset("cs_r", "cs_rt", "t", "HEX(id),HEX(a)");
    {
        char qs[1024], qd[1024];
        charset_query(qs, sizeof qs, "cs_a", "x");
        charset_query(qd, sizeof qd, "cs_a", "x");
        ck_assert_msg(converge(qs, qd, 30000), "cs_a.x: explicit latin1 changed");
    }
    assert_running("cs");
    /* a charset DEFAULT by name is the database's: the two differ - pause, naming both */
    sqli("FULL", "ALTER TABLE cs_a.x CONVERT TO CHARACTER SET DEFAULT");
    task_paused("cs", "a table charset DEFAULT is the database's default: source `cs_a` has "
                      "utf8mb4_unicode_ci, target `cs_a` has latin1_swedish_ci", "36017");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_xa_charset");
    TCase *tc = tcase_create("xa_charset");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, xa_rollback_pauses_only_its_tasks);
    tcase_add_test(tc, xa_rollback_unknown_pauses);
    tcase_add_test(tc, create_table_takes_source_db_charset);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

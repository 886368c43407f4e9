/* test_sync_xa_kill.c - prepared XA transactions across a kill -9 of dm-worker and a task
 * started after an XA PREPARE (xa_track.h), real MariaDB 10.11 (XA PREPARE logged as its
 * own event group: GTID, rows, XA END, XA_PREPARE; XA COMMIT / ROLLBACK later) and a real
 * dm-worker process:
 *  - kill -9 between XA PREPARE and XA ROLLBACK: the record of the applied rows was in
 *    memory only; after the restart any XA ROLLBACK paused as "before ... restart"
 *    (unknown), also one whose rows the task filtered out. Now the record is stored with
 *    the checkpoint: a rollback of filtered rows is skipped, one of applied rows pauses
 *    naming their count and table, an XA COMMIT keeps the rows (no double apply).
 *  - XA COMMIT of a transaction prepared before the task's start position: its rows were
 *    never applied (they are in the XA PREPARE group) and the COMMIT was skipped: the rows
 *    were missing on the target with the task Running. Now it pauses, named.
 * The tests run in order, sharing sandboxes and worker. */
#include "rowimg_e2e.h"

#include <signal.h>

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

static void task_paused(const char *name, const char *want1, const char *want2)
{
    char msg[2048];
    long long end = tu_now_ms() + 60000;
    while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(strstr(msg, want1) && strstr(msg, want2), "%s: %s", name, msg);
}

/* A prepared XA transaction on its own connection (it stays prepared after the close). */
static void prepare(const char *xid, const char *stmts)
{
    MYSQL *m = db(g_src);
    char q[512];
    snprintf(q, sizeof q, "XA START '%s'", xid);
    ck_assert(mysql_query(m, q) == 0);
    ck_assert_msg(mysql_query(m, stmts) == 0, "%s", mysql_error(m));
    snprintf(q, sizeof q, "XA END '%s'", xid);
    ck_assert(mysql_query(m, q) == 0);
    snprintf(q, sizeof q, "XA PREPARE '%s'", xid);
    ck_assert(mysql_query(m, q) == 0);
    mysql_close(m);
}

static void worker_kill9_restart(void)
{
    stop_worker(SIGKILL);
    spawn_worker();
}

START_TEST(xa_prepared_survives_kill9)
{
    char v[256];
    sqli("FULL", "CREATE DATABASE xk_a; CREATE DATABASE xk_f;"
                 "CREATE TABLE xk_a.t (id INT PRIMARY KEY, v VARCHAR(20));"
                 "CREATE TABLE xk_f.t (id INT PRIMARY KEY);"
                 "INSERT INTO xk_a.t VALUES (1, 'one')");
    task_up("xk", "[black-white-list]\ndo-dbs = [\"xk_a\"]\n");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM xk_a.t", "1", 60000));
    prepare("f1", "INSERT INTO xk_f.t VALUES (1)");                  /* filtered out */
    prepare("c1", "INSERT INTO xk_a.t VALUES (2, 'two')");            /* committed later */
    prepare("r1", "INSERT INTO xk_a.t VALUES (3, 'three')");          /* rolled back later */
    sqli("FULL", "INSERT INTO xk_a.t VALUES (4, 'four')");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM xk_a.t", "1,2,3,4",
                         60000));
    /* stored before the checkpoint that passes the XA PREPAREs */
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM dm_meta.xk_syncer_xa", "3", 60000));
    worker_kill9_restart();
    sql(g_src, "XA ROLLBACK 'f1'");
    sql(g_src, "XA COMMIT 'c1'");
    sqli("FULL", "INSERT INTO xk_a.t VALUES (5, 'five')");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM xk_a.t",
                         "1,2,3,4,5", 60000));
    assert_running("xk");         /* before: paused at XA ROLLBACK 'f1' (record lost) */
    /* f1's and c1's records go after the checkpoint past their ROLLBACK / COMMIT */
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(HEX(xid)) FROM dm_meta.xk_syncer_xa",
                         "582737323331272C5827272C31", 60000));
    worker_kill9_restart();
    sql(g_src, "XA ROLLBACK 'r1'");
    task_paused("xk", "XA ROLLBACK of prepared XA transaction X'7231',X'',1: its 1 row "
                      "changes (the first in `xk_a`.`t`) were applied", "36017");
    value(g_dst, "SELECT COUNT(*) FROM dm_meta.xk_syncer_xa WHERE xid LIKE '%7231%'", v,
          sizeof v);
    ck_assert_str_eq(v, "1");
}
END_TEST

START_TEST(xa_commit_prepared_before_start_pauses)
{
    sqli("FULL", "CREATE DATABASE xk_s; CREATE TABLE xk_s.t (id INT PRIMARY KEY)");
    prepare("early", "INSERT INTO xk_s.t VALUES (1)");
    master_pos();
    task_up("xs", "[black-white-list]\ndo-dbs = [\"xk_s\"]\n");
    sql(g_src, "XA COMMIT 'early'");
    sqli("FULL", "INSERT INTO xk_s.t VALUES (2)");
    /* before: Running, the target without row 1 */
    task_paused("xs", "XA COMMIT of prepared XA transaction X'6561726c79',X'',1 whose XA "
                      "PREPARE was before this task's start position", "never applied");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_xa_kill");
    TCase *tc = tcase_create("xa_kill");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, xa_prepared_survives_kill9);
    tcase_add_test(tc, xa_commit_prepared_before_start_pauses);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

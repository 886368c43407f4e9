/* test_worker_recovery.c - the real dm-worker (worker-count 8) survives its databases
 * restarting: the target MariaDB stopped for a few seconds in the middle of a stream (the
 * subtask stays Running, retrying from the checkpoint in safe mode) and the source
 * restarted (the binlog reader reconnects from the checkpoint); final data equal, the
 * key-less table exactly once. */
#include "worker_e2e.h"
#include "testutil.h"

#define SUM_T "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,v,s))),0)) FROM r.t"
#define SUM_NK "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,v))),0)) FROM r.nk"

static const char *const WORK_PROC =
    "CREATE PROCEDURE gen.w(IN n INT, IN base INT, IN tag INT) BEGIN "
    "DECLARE i INT DEFAULT 0; DECLARE x INT; "
    "WHILE i < n DO SET x = FLOOR(1 + RAND() * 1000); START TRANSACTION; "
    "UPDATE r.t SET v = v + 1, s = CONCAT('u', i) WHERE id = x; "
    "DELETE FROM r.t WHERE id = x + 1; "
    "INSERT INTO r.t VALUES (x + 1, i, 'ins') ON DUPLICATE KEY UPDATE v = i; "
    "INSERT INTO r.t VALUES (base + i, i, 'new'); "
    "INSERT INTO r.nk VALUES (base + i, i); "
    "COMMIT; SET i = i + 1; END WHILE; INSERT INTO gen.done VALUES (tag); END";

static void setup(void)
{
    char toml[4096], msg[2048];
    e2e_env_up();
    sql(g_src, "CREATE DATABASE gen");
    sql(g_src, "CREATE TABLE gen.done (id INT PRIMARY KEY)");
    sql(g_src, "%s", WORK_PROC);
    master_pos();
    spawn_worker();
    snprintf(toml, sizeof toml,
             "name = \"rec\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "worker-count = 8\n[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"r\"]\n", g_file, g_pos, g_src, g_dst);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    sql(g_src, "CREATE DATABASE r");
    sql(g_src, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(16))");
    sql(g_src, "CREATE TABLE r.nk (id INT, v INT)");
    sql(g_src, "INSERT INTO r.t SELECT seq, 0, 'init' FROM gen.seq_1_to_1000");
}

static void teardown(void)
{
    e2e_env_down();
}

static void assert_running(void)
{
    long long end = tu_now_ms() + 20000;
    int stage = 0;
    do {   /* Running, or Paused by the transient error and auto-resumed */
        Pb__QueryStatusResponse *st = query_status("rec");
        ck_assert_uint_eq(st->n_subtaskstatus, 1);
        stage = st->subtaskstatus[0]->stage;
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (stage != PB__STAGE__Running)
            usleep(200000);
    } while (stage != PB__STAGE__Running && tu_now_ms() < end);
    ck_assert_int_eq(stage, PB__STAGE__Running);
}

static void run_bg(int n, int base, int tag)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "mariadb -h127.0.0.1 -P%d -uroot -e 'CALL gen.w(%d, %d, %d)' >>%s/work.log 2>&1 &",
             g_src, n, base, tag, g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(target_down_mid_stream)
{
    char q[128], a[64], b[64];
    long long t0;
    run_bg(4000, 100000, 1);
    usleep(800000);
    t0 = tu_now_ms();
    ck_assert_int_eq(sandbox("stop", "dst", 0, 0), 0);
    usleep(3000000);
    ck_assert_int_eq(sandbox("start", "dst", g_dst, 2), 0);
    fprintf(stderr, "recovery: target down for %lld ms\n", tu_now_ms() - t0);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM gen.done WHERE id=%d", 1);
    ck_assert(wait_value(g_src, q, "1", 120000));
    ck_assert(converge(SUM_T, NULL, 90000));
    ck_assert(converge(SUM_NK, NULL, 30000));
    value(g_src, "SELECT COUNT(*) FROM r.nk", a, sizeof a);
    value(g_dst, "SELECT COUNT(*) FROM r.nk", b, sizeof b);
    ck_assert_str_eq(a, "4000");
    ck_assert_str_eq(b, "4000");
    assert_running();
}
END_TEST

START_TEST(source_restarted)
{
    ck_assert_int_eq(sandbox("stop", "src", 0, 0), 0);
    usleep(1000000);
    ck_assert_int_eq(sandbox("start", "src", g_src, 1), 0);
    sql(g_src, "CALL gen.w(500, 200000, 2)");
    ck_assert(converge(SUM_T, NULL, 60000));
    ck_assert(converge(SUM_NK, NULL, 30000));
    assert_running();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_recovery");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, target_down_mid_stream);
    tcase_add_test(tc, source_restarted);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

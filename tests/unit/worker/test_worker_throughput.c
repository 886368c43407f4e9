/* test_worker_throughput.c - apply throughput of the real dm-worker, worker-count 1 vs 8
 * (and 16), on the same binlog backlog: an oltp_write_only-like source workload
 * (update by PK, update of an indexed column, delete + insert; 4 row changes per source
 * transaction) is written first, then each task replays it from the same [meta] position
 * into its own routed target schema; the time until the target table equals the source
 * (count + CRC32 sum) gives rows/s. Printed, not asserted (shared CI machines). Normal
 * (non-safe) mode: DM_WORKER_SAFE_MODE_MS=1. Size: DMGW_BENCH_ROWS (default 40000). */
#include "worker_e2e.h"
#include "testutil.h"

#define SUMQ(t) "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,k,c,pad))),0)) FROM " t

static const char *const BENCH_PROC =
    "CREATE PROCEDURE gen.bench(IN n INT) BEGIN "
    "DECLARE i INT DEFAULT 0; DECLARE r INT; DECLARE r1 INT; DECLARE r2 INT; "
    "WHILE i < n DO "
    "SET r1 = FLOOR(1 + RAND() * 20000); SET r2 = FLOOR(1 + RAND() * 20000); "
    "START TRANSACTION; "
    "UPDATE b.t SET k = k + 1 WHERE id = r1; "
    "UPDATE b.t SET c = MD5(RAND()) WHERE id = r2; "
    "SET r = FLOOR(1 + RAND() * 20000); "
    "DELETE FROM b.t WHERE id = r; "
    "INSERT INTO b.t VALUES (r, FLOOR(RAND() * 20000), MD5(RAND()), 'pad'); "
    "COMMIT; SET i = i + 1; END WHILE; END";

static void setup(void)
{
    e2e_env_up();
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    spawn_worker();
}

static void teardown(void)
{
    e2e_env_down();
}

static double run_one(int wc, long rows)
{
    char toml[4096], msg[2048], name[32], q[256];
    long long t0, el;
    snprintf(name, sizeof name, "bench%d", wc);
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "batch = 100\nworker-count = %d\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[[route-rules]]\nschema-pattern = \"b\"\ntable-pattern = \"t\"\n"
             "target-schema = \"b%d\"\ntarget-table = \"t\"\n"
             "[black-white-list]\ndo-dbs = [\"b\"]\n",
             name, wc, g_file, g_pos, g_src, g_dst, wc);
    t0 = tu_now_ms();
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    snprintf(q, sizeof q, SUMQ("b%d.t"), wc);
    ck_assert(converge(SUMQ("b.t"), q, 600000));
    el = tu_now_ms() - t0;
    ck_assert_msg(operate(name, PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);
    fprintf(stderr, "throughput: worker-count=%-2d %ld row changes in %lld ms = %.0f rows/s\n",
            wc, rows, el, el > 0 ? rows * 1000.0 / (double)el : 0.0);
    return el > 0 ? rows * 1000.0 / (double)el : 0.0;
}

START_TEST(apply_throughput_1_vs_8)
{
    const char *env = getenv("DMGW_BENCH_ROWS");
    long rows = env ? atol(env) : 40000, txns = rows / 4;
    char q[128];
    int wc[] = { 1, 8, 16 };
    size_t i;
    MYSQL *m;
    long long t0;
    sql(g_src, "CREATE DATABASE gen");
    sql(g_src, "CREATE DATABASE b");
    sql(g_src, "CREATE TABLE b.t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, "
               "pad CHAR(60) NOT NULL, KEY k_1 (k))");
    sql(g_src, "INSERT INTO b.t SELECT seq, seq, MD5(seq), 'pad' FROM gen.seq_1_to_20000");
    sql(g_src, "%s", BENCH_PROC);
    for (i = 0; i < sizeof wc / sizeof wc[0]; i++) {
        sql(g_dst, "CREATE DATABASE b%d", wc[i]);
        sql(g_dst, "CREATE TABLE b%d.t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, "
                   "pad CHAR(60) NOT NULL, KEY k_1 (k))", wc[i]);
        sql(g_dst, "INSERT INTO b%d.t SELECT seq, seq, MD5(seq), 'pad' FROM b%d.seq_1_to_20000",
            wc[i], wc[i]);
    }
    master_pos();
    t0 = tu_now_ms();
    m = db(g_src);
    snprintf(q, sizeof q, "CALL gen.bench(%ld)", txns);
    ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
    mysql_close(m);
    fprintf(stderr, "throughput: source wrote %ld txns (%ld row changes) in %lld ms\n", txns,
            txns * 4, tu_now_ms() - t0);
    for (i = 0; i < sizeof wc / sizeof wc[0]; i++)
        run_one(wc[i], txns * 4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_throughput");
    TCase *tc = tcase_create("bench");
    tcase_set_timeout(tc, 900);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, apply_throughput_1_vs_8);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

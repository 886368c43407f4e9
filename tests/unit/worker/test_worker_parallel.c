/* test_worker_parallel.c - parallel apply (worker-count 8, causality by PK/UK) of the real
 * dm-worker between two MariaDB sandboxes: many updates/deletes of the same keys, unique
 * keys moving between rows (causality conflicts), a key-less table and a nullable unique
 * key; final state equal (count + CRC32 sum); kill -9 during parallel apply then restart
 * -> equal, key-less rows exactly once; per-table checkpoint rows; the timezone key. */
#include "worker_e2e.h"
#include "testutil.h"

#define ROWSUM(t, cols) "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',', " cols "))),0)) FROM " t
#define SUM_A ROWSUM("p.a", "id,k,v,s")
#define SUM_NK ROWSUM("p.nk", "id,v")
#define SUM_NU ROWSUM("p.nu", "IFNULL(u,'N'),v")
#define SUM_C ROWSUM("p.c", "a,b,v")

static void task_toml(char *out, size_t cap, const char *name, const char *extra)
{
    snprintf(out, cap,
             "%sname = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nbatch = 100\nworker-count = 8\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n%s",
             extra && strncmp(extra, "timezone", 8) == 0 ? extra : "", name, g_file, g_pos,
             g_src, g_dst, extra && strncmp(extra, "timezone", 8) != 0 ? extra : "");
}

/* Source workload, one source transaction per iteration: delete row x, give its unique
 * k to row y (conflict), re-insert x with a fresh k, a hot key, key-less inserts and
 * updates, a nullable unique key (NULL rows are key-less), a composite primary key (delete
 * + re-insert of one key, multi-row updates, key changes). Marks gen.done(tag) at the end. */
static const char *const WORK_PROC =
    "CREATE PROCEDURE gen.work(IN n INT, IN base INT, IN tag INT) BEGIN "
    "DECLARE i INT DEFAULT 0; DECLARE x INT; DECLARE y INT; DECLARE kx INT; DECLARE ny INT; "
    "WHILE i < n DO "
    "SET x = FLOOR(1 + RAND() * 2000); SET y = FLOOR(1 + RAND() * 2000); SET kx = NULL; "
    "START TRANSACTION; "
    "SELECT k INTO kx FROM p.a WHERE id = x; "
    "SELECT COUNT(*) INTO ny FROM p.a WHERE id = y; "
    "IF x <> y AND kx IS NOT NULL AND ny = 1 THEN "
    "  DELETE FROM p.a WHERE id = x; "
    "  UPDATE p.a SET k = kx, v = v + 1 WHERE id = y; "
    "  INSERT INTO p.a VALUES (x, base + i, i, CONCAT('r', i)); "
    "END IF; "
    "UPDATE p.a SET v = v + 1, s = CONCAT('h', i) WHERE id = 1; "
    "UPDATE p.a SET v = v + 2 WHERE id BETWEEN y AND y + 3; "
    "IF i % 10 = 0 THEN UPDATE p.nk SET v = v + 1 WHERE id = x % 50; END IF; "
    "IF i % 3 = 0 THEN INSERT INTO p.nk VALUES (base + i, i); END IF; "
    "INSERT INTO p.nu VALUES (IF(i % 4 = 0, NULL, base + i), i); "
    "DELETE FROM p.nu WHERE u = base + i - 3; "
    "IF i % 10 = 0 THEN UPDATE p.nu SET v = v + 1 WHERE u IS NULL AND v = i - 8; END IF; "
    "DELETE FROM p.c WHERE a = x % 500 AND b = 'b'; "
    "INSERT IGNORE INTO p.c VALUES (x % 500, 'b', i); "
    "UPDATE p.c SET v = v + 1 WHERE a BETWEEN y % 500 AND y % 500 + 3; "
    "IF i % 5 = 0 THEN UPDATE p.c SET b = CONCAT('k', base + i) WHERE a = y % 500 LIMIT 1; END IF; "
    "COMMIT; SET i = i + 1; END WHILE; "
    "INSERT INTO gen.done VALUES (tag); END";

static void run_work_bg(int n, int base, int tag)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "mariadb -h127.0.0.1 -P%d -uroot -e 'CALL gen.work(%d, %d, %d)' >>%s/work.log 2>&1 &",
             g_src, n, base, tag, g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void wait_done(int tag)
{
    char q[128];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM gen.done WHERE id=%d", tag);
    ck_assert(wait_value(g_src, q, "1", 120000));
}

static void all_equal(int ms)
{
    ck_assert(converge(SUM_A, NULL, ms));
    ck_assert(converge(SUM_NK, NULL, ms));
    ck_assert(converge(SUM_NU, NULL, ms));
    ck_assert(converge(SUM_C, NULL, ms));
}

static void setup(void)
{
    char toml[4096], msg[2048];
    e2e_env_up();
    sql(g_src, "CREATE DATABASE gen");
    sql(g_src, "CREATE TABLE gen.done (id INT PRIMARY KEY)");
    sql(g_src, "%s", WORK_PROC);
    master_pos();
    spawn_worker();
    task_toml(toml, sizeof toml, "par", "[black-white-list]\ndo-dbs = [\"p\"]\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

static void teardown(void)
{
    e2e_env_down();
}

START_TEST(parallel_many_keys_equal)
{
    char a[128];
    long long t0;
    sql(g_src, "CREATE DATABASE p");
    sql(g_src, "CREATE TABLE p.a (id INT PRIMARY KEY, k INT NOT NULL, v INT, s VARCHAR(20), "
               "UNIQUE KEY uk (k))");
    sql(g_src, "CREATE TABLE p.nk (id INT, v INT)");
    sql(g_src, "CREATE TABLE p.nu (u INT NULL, v INT, UNIQUE KEY (u))");
    sql(g_src, "CREATE TABLE p.c (a INT NOT NULL, b VARCHAR(16) NOT NULL, v INT, "
               "PRIMARY KEY (a, b))");
    sql(g_src, "INSERT INTO p.c SELECT seq - 1, 'b', 0 FROM gen.seq_1_to_500");
    sql(g_src, "INSERT INTO p.a SELECT seq, seq, 0, 'init' FROM gen.seq_1_to_2000");
    sql(g_src, "INSERT INTO p.nk SELECT seq %% 50, 0 FROM gen.seq_1_to_200");
    t0 = tu_now_ms();
    run_work_bg(3000, 100000, 1);
    wait_done(1);
    all_equal(60000);
    value(g_src, SUM_A, a, sizeof a);
    fprintf(stderr, "parallel: 3000 source txns (~%d row changes) applied and equal in %lld ms; "
                    "p.a %s\n", 3000 * 9, tu_now_ms() - t0, a);
}
END_TEST

START_TEST(kill9_during_parallel_apply)
{
    char a[64], b[64];
    run_work_bg(6000, 200000, 2);
    usleep(1500000);
    stop_worker(SIGKILL);
    usleep(300000);
    spawn_worker();
    wait_done(2);
    all_equal(90000);
    /* the key-less table proves exactly-once for rows that safe mode cannot fix */
    value(g_src, "SELECT COUNT(*) FROM p.nk", a, sizeof a);
    value(g_dst, "SELECT COUNT(*) FROM p.nk", b, sizeof b);
    ck_assert_str_eq(a, b);
    ck_assert_str_eq(a, "3200");   /* 200 + 3000/3 + 6000/3 */
}
END_TEST

START_TEST(per_table_checkpoint_rows)
{
    char g[256], t[256];
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM dm_meta.par_syncer_checkpoint WHERE "
                                "is_global=0 AND cp_schema='p' AND cp_table IN ('a','nk','nu')",
                         "3", 10000));
    value(g_dst, "SELECT CONCAT(binlog_name, ':', binlog_pos) FROM dm_meta.par_syncer_checkpoint "
                 "WHERE is_global=1", g, sizeof g);
    value(g_dst, "SELECT CONCAT(binlog_name, ':', binlog_pos) FROM dm_meta.par_syncer_checkpoint "
                 "WHERE is_global=0 AND cp_table='a'", t, sizeof t);
    ck_assert_str_ne(g, "");
    ck_assert_str_eq(g, t);   /* the last flush touched p.a */
}
END_TEST

START_TEST(timezone_key)
{
    char toml[4096], msg[2048];
    task_toml(toml, sizeof toml, "tzbad", "timezone = \"Mars/Olympus\"\n");
    ck_assert(!start_task(toml, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "unknown time zone Mars/Olympus") != NULL, "%s", msg);
    task_toml(toml, sizeof toml, "tzok",
              "timezone = \"Asia/Shanghai\"\n[black-white-list]\ndo-dbs = [\"tz\"]\n");
    {   /* the black-white-list must follow the top-level keys: move it after [to] */
        char *bw = strstr(toml, "[black-white-list]");
        char tail[4096];
        size_t bwlen = strlen("[black-white-list]\ndo-dbs = [\"tz\"]\n");
        snprintf(tail, sizeof tail, "%s", bw + bwlen);
        snprintf(bw, sizeof toml - (size_t)(bw - toml), "%s[black-white-list]\ndo-dbs = [\"tz\"]\n",
                 tail);
    }
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start tz: %s", msg);
    sql(g_dst, "CREATE DATABASE tz");
    sql(g_dst, "CREATE TABLE tz.t (id INT PRIMARY KEY, ts TIMESTAMP(3) NULL)");
    sql(g_src, "CREATE DATABASE tz");
    sql(g_src, "CREATE TABLE tz.t (id INT PRIMARY KEY, ts TIMESTAMP(3) NULL)");
    {
        MYSQL *m = db(g_src);
        ck_assert_int_eq(mysql_query(m, "SET time_zone='+05:00'"), 0);
        ck_assert_int_eq(mysql_query(m, "INSERT INTO tz.t VALUES (1, '2024-03-01 10:00:00.250')"),
                         0);
        mysql_close(m);
    }
    ck_assert(converge("SELECT UNIX_TIMESTAMP(ts) FROM tz.t WHERE id=1", NULL, 20000));
    ck_assert_msg(operate("tzok", PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);
}
END_TEST

START_TEST(conflicts_logged_on_stop)
{
    char path[512], *log, *p;
    unsigned long long total = 0;
    size_t n = 0;
    stop_worker(SIGTERM);
    snprintf(path, sizeof path, "%s/worker.log", g_dir);
    log = tu_read_file(path, &n);
    ck_assert_ptr_nonnull(log);
    for (p = log; (p = strstr(p, "\"causality-conflicts\":\"")); p++)
        total += strtoull(p + strlen("\"causality-conflicts\":\""), NULL, 10);
    free(log);
    fprintf(stderr, "parallel: %llu causality conflicts resolved\n", total);
    ck_assert_msg(total > 0, "no causality conflict was exercised");
    spawn_worker();
    all_equal(20000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_parallel");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, parallel_many_keys_equal);
    tcase_add_test(tc, kill9_during_parallel_apply);
    tcase_add_test(tc, per_table_checkpoint_rows);
    tcase_add_test(tc, timezone_key);
    tcase_add_test(tc, conflicts_logged_on_stop);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

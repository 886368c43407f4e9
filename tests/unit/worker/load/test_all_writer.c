/* test_all_writer.c - a task-mode `all` subtask (real dm-worker, real MariaDB, the packaged
 * mydumper) while the source keeps being written: sysbench oltp_write_only on two tables
 * and a seeded writer thread (INSERT / UPDATE / DELETE, single statements and
 * transactions) on a table with ~25 column types, a key-less table with duplicate rows and
 * a table whose only key is a NOT NULL UNIQUE one. The writers run from before the
 * start through Dump and Load until Sync has been running for a while; then they stop
 * and every table must end equal on both sides: row count (> the initial count) and an
 * order-independent checksum over the raw bytes of every column. Writes made while the
 * subtask was in Dump and in Load are counted and must be > 0. */
#include <pthread.h>
#include <stdatomic.h>

#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define TYPES_ROWS 4000
#define SB_ROWS 5000

static atomic_bool g_stop;
static atomic_long g_ops;

static const char *const TYPES_COLS =
    "ti, si, mi, bi, de, fl, db, bt, dt, dtm, ts, tm, yr, ch, vc, bn, vb, tt, tx, mb, en, st, js";

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE w");
    sql(g_src, "CREATE TABLE w.types (id BIGINT AUTO_INCREMENT PRIMARY KEY, ti TINYINT, "
               "si SMALLINT UNSIGNED, mi MEDIUMINT, bi BIGINT UNSIGNED, de DECIMAL(20,6), "
               "fl FLOAT, db DOUBLE, bt BIT(13), dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, "
               "tm TIME(2), yr YEAR, ch CHAR(10) CHARACTER SET latin1, "
               "vc VARCHAR(200) CHARACTER SET utf8mb4, bn BINARY(8), vb VARBINARY(50), "
               "tt TINYTEXT, tx TEXT CHARACTER SET utf8mb4, mb MEDIUMBLOB, "
               "en ENUM('a','b','c'), st SET('x','y','z'), js JSON) CHARSET latin1");
    sql(g_src, "INSERT INTO w.types (%s) SELECT CAST(seq %% 256 AS SIGNED) - 128, seq, -CAST(seq AS SIGNED), seq * 1000003, "
               "seq / 7, seq / 4, seq / 3, seq %% 8192, '2020-01-01' + INTERVAL seq DAY, "
               "'2020-01-01 00:00:00.123456' + INTERVAL seq MINUTE, "
               "IF(seq %% 5 = 0, NULL, '2021-06-01 12:00:00.5' + INTERVAL seq SECOND), "
               "SEC_TO_TIME(seq * 37) + INTERVAL 0.25 SECOND, 1901 + seq %% 200, "
               "CONCAT(_latin1 0xE9, seq), CONCAT(_utf8mb4 0xF09F9880, 'ü ''q'' ', seq), "
               "UNHEX(LPAD(HEX(seq), 16, '0')), UNHEX(CONCAT(MD5(seq), '00')), "
               "IF(seq %% 3 = 0, NULL, 'tiny'), REPEAT(CONCAT('text ', seq, ' '), seq %% 20), "
               "UNHEX(REPEAT(MD5(seq), seq %% 5)), ELT(1 + seq %% 3, 'a', 'b', 'c'), "
               "IF(seq %% 2, 'x,z', 'y'), JSON_OBJECT('k', seq, 's', CONCAT('v', seq)) "
               "FROM w.seq_1_to_%d", TYPES_COLS, TYPES_ROWS);
    sql(g_src, "CREATE TABLE w.nokey (a INT, s VARCHAR(30), d DOUBLE)");
    sql(g_src, "INSERT INTO w.nokey SELECT seq %% 50, IF(seq %% 9 = 0, NULL, 'dup'), seq %% 7 "
               "FROM w.seq_1_to_2000");
    sql(g_src, "CREATE TABLE w.uk (u INT NOT NULL, v VARCHAR(20), UNIQUE KEY (u))");
    sql(g_src, "INSERT INTO w.uk SELECT seq, CONCAT('v', seq) FROM w.seq_1_to_2000");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "30", 1);   /* a Load of a few seconds */
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static void sysbench(const char *verb, const char *extra)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "sysbench oltp_write_only --mysql-host=127.0.0.1 --mysql-port=%d --mysql-user=root "
             "--mysql-db=w --tables=2 --table-size=%d --threads=2 %s %s >>%s/sysbench.log 2>&1",
             g_src, SB_ROWS, extra, verb, g_dir);
    ck_assert_msg(system(cmd) == 0, "sysbench %s failed (see %s/sysbench.log)", verb, g_dir);
}

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 8) & 0xffffff;
}

/* One random write statement into q. */
static void random_stmt(unsigned *seed, char *q, size_t cap)
{
    unsigned r = next_rand(seed), x = next_rand(seed), op = r % 100;
    long id = 1 + (long)(x % (TYPES_ROWS + 2000));
    if (op < 35)
        snprintf(q, cap,
                 "INSERT INTO w.types (%s) VALUES (%d, %u, %d, %u, %u.%03u, %u.%u, -%u.%u, %u, "
                 "'2030-02-%02u', '2031-03-04 05:06:%02u.%06u', %s, '-%u:12:13.5', %u, "
                 "'w%u', 'wr ''%u'' \\\\ ü', UNHEX('%08X'), UNHEX('%06X00'), 'tt', "
                 "REPEAT('x', %u), UNHEX('00FF%04X'), '%c', 'x,y', '{\"w\": %u}')",
                 TYPES_COLS, (int)(x % 256) - 128, x % 65536, -(int)(x % 1000000), x, x % 100000,
                 x % 1000, x % 1000, x % 97, x, x % 13, x % 8192, 1 + x % 28, x % 60,
                 x % 1000000, x % 4 ? "'2032-01-01 01:02:03.456'" : "NULL", x % 800,
                 1901 + x % 255, x, x, x, x & 0xffffff, x % 300, x & 0xffff, "abc"[x % 3], x);
    else if (op < 55)
        snprintf(q, cap, "UPDATE w.types SET vc = CONCAT(vc, '+'), de = de + 1.5, ts = NOW(3), "
                 "js = JSON_SET(js, '$.u', %u), bt = %u, mb = NULL WHERE id = %ld",
                 x, x % 8192, id);
    else if (op < 65)
        snprintf(q, cap, "DELETE FROM w.types WHERE id = %ld", id);
    else if (op < 78)
        snprintf(q, cap, "INSERT INTO w.nokey VALUES (%u, %s, %u.25)", x % 50,
                 x % 3 ? "'dup'" : "NULL", x % 7);
    else if (op < 84)
        snprintf(q, cap, "UPDATE w.nokey SET s = 'upd', d = d + 1 WHERE a = %u LIMIT 1", x % 50);
    else if (op < 90)
        snprintf(q, cap, "DELETE FROM w.nokey WHERE a = %u LIMIT 1", x % 50);
    else
        snprintf(q, cap, "INSERT INTO w.uk VALUES (%u, 'n%u') ON DUPLICATE KEY UPDATE "
                 "v = CONCAT('u', %u)", x % 3000, x, x);
}

static void *writer_main(void *arg)
{
    unsigned seed = 12345;
    char q[2048];
    MYSQL *m;
    (void)arg;
    mysql_thread_init();
    m = mysql_init(NULL);
    if (!mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)g_src, NULL, 0)) {
        fprintf(stderr, "writer: %s\n", mysql_error(m));
        goto out;
    }
    while (!atomic_load(&g_stop)) {
        bool trx = next_rand(&seed) % 10 == 0;
        int n = trx ? 3 : 1;
        if (trx && mysql_query(m, "BEGIN"))
            break;
        for (int i = 0; i < n; i++) {
            random_stmt(&seed, q, sizeof q);
            if (mysql_query(m, q)) {
                fprintf(stderr, "writer: %s: %s\n", q, mysql_error(m));
                goto out;
            }
        }
        if (trx && mysql_query(m, "COMMIT"))
            break;
        atomic_fetch_add(&g_ops, n);
        usleep(2000);
    }
out:
    mysql_close(m);
    mysql_thread_end();
    return NULL;
}

START_TEST(all_task_while_writers_write)
{
    char toml[4096], msg[2048], extra[256];
    struct unit_ops o;
    pid_t sb;
    pthread_t th;
    sysbench("prepare", "");
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, NULL), 0);
    snprintf(extra, sizeof extra, "--time=150 --rate=150");
    sb = fork();
    if (sb == 0) {
        setpgid(0, 0);
        sysbench("run", extra);
        _exit(0);
    }
    usleep(500000);
    task_toml(toml, sizeof toml, "wall", "all", "w", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    o = follow_units("wall", &g_ops, 3000);
    atomic_store(&g_stop, true);
    pthread_join(th, NULL);
    kill(-sb, SIGKILL);   /* its own process group: the shell and sysbench */
    waitpid(sb, NULL, 0);
    fprintf(stderr, "writer ops: dump seen at %ld, load at %ld, sync at %ld, total %ld\n",
            o.dump, o.load, o.sync, atomic_load(&g_ops));
    ck_assert_msg(o.sync > 0, "never reached Sync");
    ck_assert_msg(o.load > o.dump && o.dump >= 0, "no write while in Dump");
    ck_assert_msg(o.sync > o.load, "no write while in Load");
    assert_table_equal("w", "types", TYPES_ROWS + 1);
    assert_table_equal("w", "nokey", 2001);
    assert_table_equal("w", "uk", 2001);
    assert_table_equal("w", "sbtest1", SB_ROWS / 2);
    assert_table_equal("w", "sbtest2", SB_ROWS / 2);
    assert_sync_then_stop("wall");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_writer");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 200);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, all_task_while_writers_write);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_worker_exactly_once.c - checkpoints under restarts, compared with the source:
 * - kill -9 of dm-worker (worker-count 4, batch 50) while it applies one large multi-row
 *   source transaction (20k key-less rows + updates of a PK table + new PK rows), three
 *   times at different points; the restarted worker resumes from its checkpoint and the
 *   key-less table must hold every row exactly once (a replayed key-less INSERT, even in
 *   safe mode, would double it);
 * - a task stopped and started again with `remove-meta = true` (same [meta]) twice while a
 *   source writer keeps committing: the replay from [meta] in safe mode must end equal to
 *   the source (PK tables, row by row over HEX of every column); another source's checkpoint
 *   row in the same table survives (remove-meta clears this source's rows only, as DM's
 *   Clear; it used to DROP the table, and the other source replayed from its [meta]). */
#include "worker_e2e.h"
#include "testutil.h"

#define NK_ROWS 20000
#define CMP(t) "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS('|',HEX(id),IFNULL(HEX(v),'N')," \
               "IFNULL(HEX(CAST(s AS BINARY)),'N')))),0)) FROM " t

static void task(char *out, size_t cap, const char *name, const char *extra)
{
    snprintf(out, cap,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 4\nbatch = 50\n%s"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"r\"]\n", name, extra, g_file, g_pos, g_src, g_dst);
}

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE gen");
    sql(g_src, "CREATE TABLE gen.done (id INT PRIMARY KEY)");
    sql(g_src, "CREATE DATABASE r");
    sql(g_src, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(32) CHARACTER SET utf8mb4)");
    sql(g_src, "CREATE TABLE r.nk (id INT, v INT, s VARCHAR(32) CHARACTER SET utf8mb4)");
    sql(g_src, "INSERT INTO r.t SELECT seq, 0, 'init' FROM gen.seq_1_to_2000");
    sql(g_dst, "CREATE DATABASE r");
    sql(g_dst, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(32) CHARACTER SET utf8mb4)");
    sql(g_dst, "CREATE TABLE r.nk (id INT, v INT, s VARCHAR(32) CHARACTER SET utf8mb4)");
    sql(g_dst, "INSERT INTO r.t SELECT seq, 0, 'init' FROM r.seq_1_to_2000");
    master_pos();
}

static void teardown(void)
{
    e2e_env_down();
}

static long long count_dst(const char *q)
{
    char v[64];
    value(g_dst, q, v, sizeof v);
    return atoll(v);
}

START_TEST(kill9_mid_big_transaction)
{
    char toml[4096], msg[2048], q[512], a[64], b[64];
    int round;
    spawn_worker();
    task(toml, sizeof toml, "eo", "");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    for (round = 0; round < 3; round++) {
        long long base = (long long)round * NK_ROWS, want = base + 1;
        long long end, seen = 0;
        MYSQL *m = db(g_src);
        ck_assert_int_eq(mysql_query(m, "START TRANSACTION"), 0);
        snprintf(q, sizeof q, "INSERT INTO r.nk SELECT seq + %lld, seq, _utf8mb4'k\xc3\xa9y' FROM "
                 "gen.seq_1_to_%d", base, NK_ROWS);
        ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
        snprintf(q, sizeof q, "UPDATE r.t SET v = v + %d, s = CONCAT('r', %d)", round + 1, round);
        ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
        snprintf(q, sizeof q, "INSERT INTO r.t SELECT seq + %lld, seq, 'new' FROM gen.seq_1_to_3000",
                 100000 + base);
        ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
        ck_assert_int_eq(mysql_query(m, "COMMIT"), 0);
        mysql_close(m);
        /* round 0: while the target applies it; 1: once the key-less rows are there (the
         * checkpoint may lag); 2: a little later */
        end = tu_now_ms() + 30000;
        if (round == 0)
            usleep(150000);
        else
            while (tu_now_ms() < end && (seen = count_dst("SELECT COUNT(*) FROM r.nk")) < want)
                usleep(5000);
        if (round == 2)
            usleep(200000);
        stop_worker(SIGKILL);
        fprintf(stderr, "round %d: kill -9 with %lld of %lld key-less rows on the target\n", round,
                count_dst("SELECT COUNT(*) FROM r.nk"), base + NK_ROWS);
        (void)seen;
        sql(g_src, "UPDATE r.t SET v = v * 2 WHERE id <= 10");   /* more after the kill */
        spawn_worker();
    }
    ck_assert(converge(CMP("r.t"), NULL, 90000));
    ck_assert(converge(CMP("r.nk"), NULL, 90000));
    value(g_src, "SELECT COUNT(*) FROM r.nk", a, sizeof a);
    value(g_dst, "SELECT COUNT(*) FROM r.nk", b, sizeof b);
    ck_assert_str_eq(a, "60000");
    ck_assert_str_eq(b, a);
}
END_TEST

static const char *const WRITER =
    "CREATE PROCEDURE gen.w(IN n INT, IN tag INT) BEGIN "
    "DECLARE i INT DEFAULT 0; DECLARE x INT; "
    "WHILE i < n DO SET x = FLOOR(1 + RAND() * 3000); START TRANSACTION; "
    "UPDATE r.t SET v = v + 1, s = CONCAT(_utf8mb4'u\xc3\xa9', i) WHERE id = x; "
    "DELETE FROM r.t WHERE id = x + 1; "
    "INSERT INTO r.t VALUES (x + 1, i, 'ins') ON DUPLICATE KEY UPDATE v = i; "
    "UPDATE IGNORE r.t SET id = id + 50000 WHERE id = x + 2; "
    "INSERT INTO r.t VALUES (200000 + tag * 100000 + i, i, NULL); "
    "COMMIT; SET i = i + 1; END WHILE; INSERT INTO gen.done VALUES (tag); END";

START_TEST(stop_start_remove_meta_while_writing)
{
    char toml[4096], msg[2048], cmd[512];
    int cycle;
    sql(g_src, "%s", WRITER);
    spawn_worker();
    task(toml, sizeof toml, "rm", "remove-meta = true\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.tables WHERE "
                         "table_schema='dm_meta' AND table_name='rm_syncer_checkpoint'", "1", 60000));
    sql(g_dst, "INSERT INTO dm_meta.rm_syncer_checkpoint (id, cp_schema, cp_table, binlog_name, "
               "binlog_pos, is_global) VALUES ('mysql-replica-02', '', '', 'mysql-bin.000007', 4, 1)");
    snprintf(cmd, sizeof cmd, "mariadb -h127.0.0.1 -P%d -uroot -e 'CALL gen.w(3000, 1)' >>%s/work.log 2>&1 &",
             g_src, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    for (cycle = 0; cycle < 2; cycle++) {
        usleep(1500000);
        ck_assert_msg(operate("rm", PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);
        usleep(500000);
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start again: %s", msg);
    }
    ck_assert(wait_value(g_src, "SELECT COUNT(*) FROM gen.done", "1", 120000));
    ck_assert(converge(CMP("r.t"), NULL, 90000));
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM dm_meta.rm_syncer_checkpoint WHERE "
                         "id='mysql-replica-02' AND binlog_name='mysql-bin.000007'", "1", 1000));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_exactly_once");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, kill9_mid_big_transaction);
    tcase_add_test(tc, stop_start_remove_meta_while_writing);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

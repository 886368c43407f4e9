/* test_all_handoff.c - task-mode `all` the way dm-master sends it (binlog-type local: the
 * Sync reads the worker's relay log) while a writer INSERTs, UPDATEs and DELETEs rows the
 * dump has already read (keyed, key-less and NOT NULL unique tables), with the worker
 * killed -9 as soon as it reports Sync (the handoff: the Sync's first checkpoint may not
 * be written yet, so the restart decides again from the target where to begin). After
 * the restart the subtask must reach Sync again and, once the writer stops, every table
 * must be equal row by row (count + checksum over every column's bytes): no row lost
 * between the dump's position and the Sync's start, none applied twice.
 * test_all_writer.c covers binlog-type remote without the kill. */
#include <pthread.h>
#include <stdatomic.h>

#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

static atomic_bool g_stop;
static atomic_long g_ops;

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE h");
    sql(g_src, "CREATE TABLE h.k (id INT PRIMARY KEY, v VARCHAR(40), n BIGINT, d DECIMAL(30,10))");
    sql(g_src, "INSERT INTO h.k SELECT seq, MD5(seq), seq * 3, seq / 7 FROM h.seq_1_to_3000");
    sql(g_src, "CREATE TABLE h.nk (a INT, s VARCHAR(20), f DOUBLE)");
    sql(g_src, "INSERT INTO h.nk SELECT seq %% 40, IF(seq %% 9 = 0, NULL, 'dup'), seq %% 7 "
               "FROM h.seq_1_to_1500");
    sql(g_src, "CREATE TABLE h.uk (u INT NOT NULL, v VARCHAR(20), UNIQUE KEY (u))");
    sql(g_src, "INSERT INTO h.uk SELECT seq, CONCAT('v', seq) FROM h.seq_1_to_1500");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "30", 1);   /* a Load of a few seconds */
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 8) & 0xffffff;
}

/* One random write (mostly on rows that existed before the dump). */
static void random_stmt(unsigned *seed, char *q, size_t cap)
{
    unsigned op = next_rand(seed) % 100, x = next_rand(seed);
    unsigned id = 1 + x % 3600;
    if (op < 25)
        snprintf(q, cap, "INSERT INTO h.k VALUES (%u, 'i%u', %u, %u.5) ON DUPLICATE KEY UPDATE "
                 "n = n + 1", id, x, x, x % 1000);
    else if (op < 50)
        snprintf(q, cap, "UPDATE h.k SET v = CONCAT(LEFT(v, 30), '+'), d = d + 0.1 WHERE id = %u",
                 id);
    else if (op < 62)
        snprintf(q, cap, "DELETE FROM h.k WHERE id = %u", id);
    else if (op < 72)
        snprintf(q, cap, "INSERT INTO h.nk VALUES (%u, %s, %u)", x % 40, x % 3 ? "'dup'" : "NULL",
                 x % 7);
    else if (op < 80)
        snprintf(q, cap, "UPDATE h.nk SET f = f + 1 WHERE a = %u LIMIT 1", x % 40);
    else if (op < 87)
        snprintf(q, cap, "DELETE FROM h.nk WHERE a = %u LIMIT 1", x % 40);
    else
        snprintf(q, cap, "INSERT INTO h.uk VALUES (%u, 'n%u') ON DUPLICATE KEY UPDATE "
                 "v = CONCAT('u', %u)", x % 1800, x, x);
}

static void *writer_main(void *arg)
{
    unsigned seed = 4711;
    char q[512];
    MYSQL *m;
    (void)arg;
    mysql_thread_init();
    m = mysql_init(NULL);
    if (!mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)g_src, NULL, 0)) {
        fprintf(stderr, "writer: %s\n", mysql_error(m));
        goto out;
    }
    while (!atomic_load(&g_stop)) {
        bool trx = next_rand(&seed) % 8 == 0;
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

/* Poll (no timing assertion) until the subtask reports Sync, then kill -9 the worker. */
static long kill_at_sync(const char *name)
{
    long long end = tu_now_ms() + 120000;
    int stage = -1, unit = -1;
    char msg[2048];
    while (tu_now_ms() < end && (unit = unit_now(name, &stage, msg, sizeof msg)) !=
                                    PB__UNIT_TYPE__Sync) {
        ck_assert_msg(stage != PB__STAGE__Paused || strstr(msg, "auto-resume"), "paused: %s",
                      msg);
        usleep(5000);
    }
    ck_assert_msg(unit == PB__UNIT_TYPE__Sync, "never reached Sync: unit %d", unit);
    stop_worker(SIGKILL);
    return atomic_load(&g_ops);
}

START_TEST(kill_at_handoff_local_relay)
{
    char toml[4096], msg[2048];
    struct unit_ops o;
    long at_kill;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, NULL), 0);
    usleep(300000);
    task_toml(toml, sizeof toml, "hand", "all", "h", "binlog-type = \"local\"\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    at_kill = kill_at_sync("hand");
    spawn_worker();
    o = follow_units("hand", &g_ops, 4000);
    atomic_store(&g_stop, true);
    pthread_join(th, NULL);
    fprintf(stderr, "writer ops: %ld at the kill, %ld at Sync after the restart, %ld in all\n",
            at_kill, o.sync, atomic_load(&g_ops));
    ck_assert_msg(o.sync >= 0, "never reached Sync after the restart");
    ck_assert_msg(at_kill > 0 && atomic_load(&g_ops) > at_kill, "the writer did not write");
    assert_table_equal("h", "k", 1000);
    assert_table_equal("h", "nk", 500);
    assert_table_equal("h", "uk", 1500);
    assert_sync_then_stop("hand");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_handoff");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, kill_at_handoff_local_relay);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_all_keys_multidb.c - a task-mode `all` subtask over two databases (one mydumper per
 * database under the worker's FTWRL) while a seeded writer keeps writing both, through
 * Dump, Load (non-unique secondary keys deferred until after the data: load_keys.c) and
 * Sync. Tables carry the key shapes the deferral must rebuild exactly: prefix keys,
 * composite keys, a nullable UNIQUE key, a DESC key, an IGNORED key, a FULLTEXT key, a
 * key-less table with secondary keys. At the end every table must be equal row by row
 * (count + checksum over the bytes of every column) and SHOW CREATE TABLE must be the
 * same on both sides (AUTO_INCREMENT=n aside). */
#include <pthread.h>
#include <stdatomic.h>

#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define ROWS 3000

static atomic_bool g_stop;
static atomic_long g_ops;

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE ka");
    sql(g_src, "CREATE DATABASE kb");
    sql(g_src, "CREATE TABLE ka.t1 (id INT AUTO_INCREMENT PRIMARY KEY, k INT, "
               "s VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, u INT NULL, "
               "d DATETIME(3), KEY ik (k), KEY ks (s(10)), UNIQUE KEY uu (u), KEY kc (k, d), "
               "KEY kd (d DESC))");
    sql(g_src, "INSERT INTO ka.t1 (k, s, u, d) SELECT seq %% 97, CONCAT(_utf8mb4 0xC3A9, seq), "
               "IF(seq %% 4 = 0, NULL, seq), '2024-01-01' + INTERVAL seq SECOND FROM ka.seq_1_to_%d",
               ROWS);
    sql(g_src, "CREATE TABLE ka.nk (id BIGINT, x INT, y TEXT, KEY kx (x), KEY yx (y(20), x))");
    sql(g_src, "INSERT INTO ka.nk SELECT seq %% 300, seq %% 7, REPEAT('y', seq %% 40) FROM "
               "ka.seq_1_to_%d", ROWS);
    sql(g_src, "CREATE TABLE kb.t3 (a INT NOT NULL, b VARCHAR(20) NOT NULL, v DOUBLE, "
               "t TEXT, PRIMARY KEY (a, b), KEY vv (v), KEY ki (v, a) IGNORED, "
               "FULLTEXT KEY ft (t)) ENGINE=InnoDB");
    sql(g_src, "INSERT INTO kb.t3 SELECT seq, CONCAT('b', seq %% 5), seq / 3, "
               "CONCAT('word', seq %% 50, ' other') FROM kb.seq_1_to_%d", ROWS);
    setenv("DMGW_LOAD_STMT_DELAY_MS", "20", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 8) & 0xffffff;
}

static void random_stmt(unsigned *seed, char *q, size_t cap)
{
    unsigned x = next_rand(seed), y = next_rand(seed), op = next_rand(seed) % 100;
    if (op < 20)
        snprintf(q, cap, "INSERT INTO ka.t1 (k, s, u, d) VALUES (%u, 'w%u', %s, NOW(3))", x % 97, x,
                 x % 3 ? "NULL" : "FLOOR(RAND() * 100000)");
    else if (op < 35)
        snprintf(q, cap, "UPDATE ka.t1 SET k = k + 1, s = CONCAT(s, '+'), u = %s WHERE id = %u",
                 y % 2 ? "NULL" : "u", 1 + x % (ROWS + 500));
    else if (op < 42)
        snprintf(q, cap, "UPDATE IGNORE ka.t1 SET id = %u WHERE id = %u", 1 + y % (ROWS + 900),
                 1 + x % (ROWS + 500));
    else if (op < 50)
        snprintf(q, cap, "DELETE FROM ka.t1 WHERE id BETWEEN %u AND %u", 1 + x % ROWS,
                 1 + x % ROWS + y % 3);
    else if (op < 62)
        snprintf(q, cap, "INSERT INTO ka.nk VALUES (%u, %u, %s), (%u, %u, 'dup')", x % 300, x % 7,
                 y % 4 ? "'n'" : "NULL", x % 300, y % 7);
    else if (op < 68)
        snprintf(q, cap, "DELETE FROM ka.nk WHERE id = %u LIMIT 1", x % 300);
    else if (op < 74)
        snprintf(q, cap, "UPDATE ka.nk SET y = CONCAT(IFNULL(y,''), 'u') WHERE id = %u LIMIT 2",
                 x % 300);
    else if (op < 86)
        snprintf(q, cap, "INSERT INTO kb.t3 VALUES (%u, 'b%u', %u.5, 'new word%u') "
                 "ON DUPLICATE KEY UPDATE v = v + 1, t = CONCAT(t, ' dup')", x % (ROWS + 500),
                 y % 6, y, x % 50);
    else if (op < 93)
        snprintf(q, cap, "UPDATE IGNORE kb.t3 SET b = 'b%u', v = NULL WHERE a = %u", y % 6,
                 x % ROWS);
    else
        snprintf(q, cap, "DELETE FROM kb.t3 WHERE a = %u", x % ROWS);
}

static void *writer_main(void *arg)
{
    unsigned seed = 4242;
    char q[1024];
    MYSQL *m;
    (void)arg;
    mysql_thread_init();
    m = mysql_init(NULL);
    if (!mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)g_src, NULL, 0)) {
        fprintf(stderr, "writer: %s\n", mysql_error(m));
        goto out;
    }
    mysql_set_character_set(m, "utf8mb4");
    while (!atomic_load(&g_stop)) {
        bool trx = next_rand(&seed) % 8 == 0;
        int n = trx ? 4 : 1, i;
        if (trx && mysql_query(m, "BEGIN"))
            break;
        for (i = 0; i < n; i++) {
            random_stmt(&seed, q, sizeof q);
            if (mysql_query(m, q) && mysql_errno(m) != 1062) {   /* a duplicate: skip it */
                fprintf(stderr, "writer: %s: %s\n", q, mysql_error(m));
                goto out;
            }
        }
        if (trx && mysql_query(m, "COMMIT"))
            break;
        atomic_fetch_add(&g_ops, n);
        usleep(3000);
    }
out:
    mysql_close(m);
    mysql_thread_end();
    return NULL;
}

/* SHOW CREATE TABLE text, " AUTO_INCREMENT=<n>" removed */
static void create_of(int port, const char *tbl, char *out, size_t cap)
{
    char q[256], *p;
    MYSQL *m = db(port);
    MYSQL_RES *r;
    MYSQL_ROW row;
    snprintf(q, sizeof q, "SHOW CREATE TABLE %s", tbl);
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    r = mysql_store_result(m);
    row = mysql_fetch_row(r);
    snprintf(out, cap, "%s", row && row[1] ? row[1] : "");
    mysql_free_result(r);
    mysql_close(m);
    if ((p = strstr(out, " AUTO_INCREMENT="))) {
        char *e = p + 16;
        while (*e >= '0' && *e <= '9')
            e++;
        memmove(p, e, strlen(e) + 1);
    }
}

static void assert_same_create(const char *tbl)
{
    char a[4096], b[4096];
    create_of(g_src, tbl, a, sizeof a);
    create_of(g_dst, tbl, b, sizeof b);
    ck_assert_msg(strcmp(a, b) == 0, "SHOW CREATE TABLE %s differs:\nsource: %s\ntarget: %s", tbl,
                  a, b);
}

START_TEST(all_two_databases_keys_while_writing)
{
    char toml[4096], msg[2048];
    struct unit_ops o;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, NULL), 0);
    usleep(300000);
    task_toml(toml, sizeof toml, "keys", "all", "ka\", \"kb", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    o = follow_units("keys", &g_ops, 2000);
    atomic_store(&g_stop, true);
    pthread_join(th, NULL);
    fprintf(stderr, "writer ops: load at %ld, sync at %ld, total %ld\n", o.load, o.sync,
            atomic_load(&g_ops));
    ck_assert_msg(o.sync > 0, "never reached Sync");
    ck_assert_msg(o.sync > o.load && o.load >= 0, "no write while in Load");
    assert_table_equal("ka", "t1", ROWS / 2);
    assert_table_equal("ka", "nk", ROWS);
    assert_table_equal("kb", "t3", ROWS / 2);
    assert_same_create("ka.t1");
    assert_same_create("ka.nk");
    assert_same_create("kb.t3");
    assert_sync_then_stop("keys");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_keys_multidb");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 200);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, all_two_databases_keys_while_writing);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

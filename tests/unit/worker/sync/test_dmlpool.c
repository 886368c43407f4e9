/* test_dmlpool.c - the retry of a DML connection's transaction (dmlpool.c run_jobs) with a
 * real MariaDB: a lock wait timeout (Error 1205) in the second statement of a packet leaves
 * the first one applied in a still open transaction (innodb_rollback_on_timeout=OFF); the
 * retry must ROLLBACK and replay the whole transaction, so a non-idempotent statement before
 * the failed one takes effect exactly once, and the checkpoint row is written once, by the
 * commit after the successful replay. The lock is held by another session until the first
 * attempt timed out (innodb_lock_wait_timeout=5 on the pool's connections) and was rolled
 * back. */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sandbox_db.h"
#include "applier.h"
#include "dm_error.h"
#include "dmlpool.h"

static struct worker_db_cfg g_to = { "127.0.0.1", 0, "root", NULL, 0 };

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_port = tu_free_port();
    ck_assert_int_eq(sandbox("start"), 0);
    g_to.port = g_port;
    (void)source;       /* sandbox_db.h's binlog helper, not needed here */
}

static void teardown(void)
{
    sandbox("stop");
    if (!getenv("KEEP_TMP"))
        tu_rmrf(g_dir);
}

static long long value_ll(MYSQL *m, const char *q)
{
    MYSQL_RES *r;
    MYSQL_ROW row;
    long long v;
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    r = mysql_store_result(m);
    ck_assert_ptr_nonnull(r);
    row = mysql_fetch_row(r);
    ck_assert_ptr_nonnull(row);
    v = row[0] ? atoll(row[0]) : -1;
    mysql_free_result(r);
    return v;
}

/* Holds the row lock of d.t id=5 (session `hold`) until the pool's first attempt has
 * timed out and been rolled back (the server's Com_rollback moves past g_rollbacks0: only
 * the pool's retry sends a ROLLBACK here), then commits, so the replay goes through. A
 * condition, not a sleep: a fixed wait after the UPDATE was seen waiting could commit
 * before a loaded server reported the timeout (no retry: the case then proved nothing).
 * The bound is for a hang; without the ROLLBACK the pool fails after its attempts. */
static MYSQL *g_hold, *g_watch;
static long long g_rollbacks0;
static bool g_saw_rollback;

#define COM_ROLLBACK "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE " \
    "VARIABLE_NAME='COM_ROLLBACK'"

static void *blocker(void *arg)
{
    (void)arg;
    for (int waited = 0; waited < 90000; waited += 50) {
        if ((g_saw_rollback = value_ll(g_watch, COM_ROLLBACK) > g_rollbacks0))
            break;
        usleep(50000);
    }
    sql(g_hold, "COMMIT");
    return NULL;
}

static void job(struct worker_dmlpool *p, const char *q, uint64_t key)
{
    struct worker_rowjob j;
    struct worker_terr e;
    memset(&j, 0, sizeof j);
    memset(&e, 0, sizeof e);
    j.sql = q;
    j.len = strlen(q);
    j.keys = &key;
    j.nkeys = 1;
    ck_assert_int_eq(worker_dmlpool_add(p, &j, &e), DM_OK);
}

START_TEST(lock_wait_timeout_replays_whole_transaction)
{
    MYSQL *m = db();
    struct worker_applier *a;
    struct worker_dmlpool *p;
    struct worker_terr e;
    struct worker_cp_row cp = { "", "", "mysql-bin.000003", 4242 };
    pthread_t th;
    memset(&e, 0, sizeof e);
    sql(m, "CREATE DATABASE d");
    sql(m, "CREATE TABLE d.t (id INT PRIMARY KEY, v INT NOT NULL)");
    sql(m, "INSERT INTO d.t VALUES (5,0),(7,0)");
    ck_assert_int_eq(worker_applier_open(&g_to, "dm_meta", "t", "s", &a, &e), DM_OK);
    ck_assert_int_eq(worker_applier_prepare_meta(a, false, &e), DM_OK);
    worker_applier_free(a);
    g_hold = db();
    g_watch = db();
    sql(g_hold, "BEGIN");
    sql(g_hold, "SELECT * FROM d.t WHERE id=5 FOR UPDATE");
    g_rollbacks0 = value_ll(g_watch, COM_ROLLBACK);
    ck_assert_int_eq(pthread_create(&th, NULL, blocker, NULL), 0);
    /* worker-count 2: queue 1 gets every keyed job, one transaction, one packet */
    ck_assert_int_eq(worker_dmlpool_open(&g_to, "dm_meta", "t", "s", 2, 100, &p, &e), DM_OK);
    job(p, "UPDATE `d`.`t` SET `v`=`v`+1 WHERE `id`=7", 7);
    job(p, "UPDATE `d`.`t` SET `v`=`v`+1 WHERE `id`=5", 5);
    ck_assert_msg(worker_dmlpool_checkpoint(p, &cp, 1, &e) == DM_OK, "%s", e.msg);
    pthread_join(th, NULL);
    worker_dmlpool_free(p);
    ck_assert_msg(g_saw_rollback, "the first attempt never timed out and rolled back");
    ck_assert_int_eq(value_ll(m, "SELECT v FROM d.t WHERE id=7"), 1);   /* not 2 */
    ck_assert_int_eq(value_ll(m, "SELECT v FROM d.t WHERE id=5"), 1);
    ck_assert_int_eq(value_ll(m, "SELECT COUNT(*) FROM dm_meta.t_syncer_checkpoint WHERE "
                                 "is_global=1 AND binlog_pos=4242"), 1);
    mysql_close(g_hold);
    mysql_close(g_watch);
    mysql_close(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dmlpool");
    TCase *tc = tcase_create("retry");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lock_wait_timeout_replays_whole_transaction);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

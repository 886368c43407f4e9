/* test_worker_control.c - control never waits on data (issue 12 items 8 and 11), with the
 * real dm-worker against two MariaDB sandboxes:
 *  - a pause whose Sync unit is stuck on a target table locked by another session
 *    (LOCK TABLES ... WRITE) does not block query-status: it answers (stage Paused)
 *    while the pause RPC is still outstanding; a second pause and a resume on the same
 *    subtask are refused with "in progress"; the pause completes once the lock is gone;
 *  - with a short stop grace (DM_WORKER_STOP_GRACE_MS) the same pause ends on its own by
 *    killing the target connections: Paused with the named error 40997, not auto-resumed;
 *    resume converges after the lock is released;
 *  - after a restart query-status shows the checkpoint position at once (no new events),
 *    the same as the checkpoint row. */
#include <pthread.h>
#include <stdatomic.h>

#include "worker_e2e.h"
#include "testutil.h"

#define COUNT_T "SELECT COUNT(*) FROM app.t"
#define SUM_T "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,v))),0)) FROM app.t"
#define BLOCKED "SELECT COUNT(*) > 0 FROM information_schema.processlist WHERE " \
                "state LIKE 'Waiting for table%' AND info LIKE '%app%t%'"

static void setup(void)
{
    char toml[4096], msg[2048];
    e2e_env_up();
    sql(g_src, "CREATE DATABASE app");
    sql(g_src, "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)");
    sql(g_src, "INSERT INTO app.t SELECT seq, seq FROM app.seq_1_to_100");
    master_pos();
    sql(g_dst, "CREATE DATABASE app");
    sql(g_dst, "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)");
    sql(g_dst, "INSERT INTO app.t SELECT seq, seq FROM app.seq_1_to_100");
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    setenv("DM_WORKER_STOP_GRACE_MS", "60000", 1);   /* test A: the pause must wait */
    spawn_worker();
    snprintf(toml, sizeof toml,
             "name = \"ctl\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 2\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"app\"]\n", g_file, g_pos, g_src, g_dst);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

static void teardown(void)
{
    unsetenv("DM_WORKER_STOP_GRACE_MS");
    e2e_env_down();
}

/* ---- the pause RPC in a thread of its own (own channel; no ck_assert there) ---- */

struct bg_pause {
    pthread_t th;
    atomic_bool done;
    int status;
    int64_t logid;
};

static void *bg_pause_main(void *arg)
{
    struct bg_pause *b = arg;
    Pb__OperateSubTaskRequest req = PB__OPERATE_SUB_TASK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    struct rpc_channel *ch;
    char addr[64], det[512];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", g_wport);
    ch = rpc_channel_new(addr);
    req.name = "ctl";
    req.op = PB__TASK_OP__Pause;
    b->status = -1;
    if (ch && rpc_call_sync(ch, rpc_method_find(&pb__worker__descriptor, "OperateSubTask"),
                            &req.base, 120000, NULL, 0, &b->status, &resp, det,
                            sizeof det) == DM_OK && resp)
        b->logid = ((Pb__OperateSubTaskResponse *)resp)->logid;
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_channel_free(ch);
    atomic_store(&b->done, true);
    return NULL;
}

/* ---- helpers ---- */

/* A session on the target holding LOCK TABLES app.t WRITE until unlock(). */
static MYSQL *lock_target(void)
{
    MYSQL *m = db(g_dst);
    ck_assert_msg(mysql_query(m, "LOCK TABLES app.t WRITE") == 0, "%s", mysql_error(m));
    return m;
}

/* Source writes that the Sync unit cannot apply while the table is locked; returns once
 * a worker connection waits on the lock. */
static void write_until_blocked(int base)
{
    int i;
    for (i = 0; i < 20; i++)
        sql(g_src, "INSERT INTO app.t SELECT %d + seq, seq FROM app.seq_1_to_10", base + i * 10);
    ck_assert(wait_value(g_dst, BLOCKED, "1", 20000));
}

static int stage_of(Pb__QueryStatusResponse *st)
{
    ck_assert_uint_eq(st->n_subtaskstatus, 1);
    return st->subtaskstatus[0]->stage;
}

static void expect_refused(Pb__TaskOp op)
{
    char msg[2048];
    ck_assert(!operate("ctl", op, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "code=40998") && strstr(msg, "in progress"), "%s", msg);
}

static void resume_and_converge(void)
{
    char msg[2048], n[32];
    ck_assert_msg(operate("ctl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    ck_assert(converge(SUM_T, NULL, 30000));
    value(g_dst, COUNT_T, n, sizeof n);
    ck_assert_int_gt(atoi(n), 100);
}

/* ---- tests ---- */

START_TEST(pause_on_locked_target_keeps_status_answering)
{
    struct bg_pause b;
    Pb__QueryStatusResponse *st;
    char msg[2048];
    bool ok = false;
    MYSQL *lk;
    ck_assert(converge(SUM_T, NULL, 20000));
    lk = lock_target();
    write_until_blocked(1000);
    memset(&b, 0, sizeof b);
    atomic_init(&b.done, false);
    ck_assert_int_eq(pthread_create(&b.th, NULL, bg_pause_main, &b), 0);
    usleep(500000);   /* let the pause reach the stuck flush */
    st = query_status("ctl");
    if (atomic_load(&b.done)) {
        op_result("ctl", b.logid, msg, sizeof msg, &ok);
        fprintf(stderr, "pause ended early: status %d ok %d %s\n", b.status, ok, msg);
    }
    /* answered while the pause is still in progress (it cannot end: the table is locked) */
    ck_assert_msg(!atomic_load(&b.done), "pause ended while the target table was locked");
    ck_assert_int_eq(stage_of(st), PB__STAGE__Paused);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    expect_refused(PB__TASK_OP__Pause);
    expect_refused(PB__TASK_OP__Resume);
    st = query_status("");
    ck_assert(!atomic_load(&b.done));
    protobuf_c_message_free_unpacked(&st->base, NULL);
    mysql_close(lk);  /* releases the lock: the flush ends, the pause completes */
    pthread_join(b.th, NULL);
    ck_assert_int_eq(b.status, RPC_OK);
    op_result("ctl", b.logid, msg, sizeof msg, &ok);
    ck_assert_msg(ok, "pause: %s", msg);
    st = query_status("ctl");
    ck_assert_int_eq(stage_of(st), PB__STAGE__Paused);
    ck_assert_ptr_nonnull(st->subtaskstatus[0]->result);
    ck_assert(st->subtaskstatus[0]->result->iscanceled);
    ck_assert_uint_eq(st->subtaskstatus[0]->result->n_errors, 0);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    resume_and_converge();
}
END_TEST

START_TEST(pause_on_stalled_target_kills_after_grace)
{
    Pb__QueryStatusResponse *st;
    Pb__ProcessError *pe;
    char msg[2048];
    MYSQL *lk;
    ck_assert(converge(SUM_T, NULL, 20000));
    stop_worker(SIGTERM);
    setenv("DM_WORKER_STOP_GRACE_MS", "1000", 1);
    spawn_worker();
    lk = lock_target();
    write_until_blocked(2000);
    ck_assert_msg(operate("ctl", PB__TASK_OP__Pause, msg, sizeof msg), "pause: %s", msg);
    usleep(1600000);   /* > checker delay: an auto-resume would have happened */
    st = query_status("ctl");
    ck_assert_int_eq(stage_of(st), PB__STAGE__Paused);
    ck_assert_ptr_nonnull(st->subtaskstatus[0]->result);
    ck_assert(st->subtaskstatus[0]->result->iscanceled);
    ck_assert_uint_eq(st->subtaskstatus[0]->result->n_errors, 1);
    pe = st->subtaskstatus[0]->result->errors[0];
    ck_assert_int_eq(pe->error->errcode, 40997);
    ck_assert_msg(strstr(pe->msg, "connections were killed"), "%s", pe->msg);
    fprintf(stderr, "killed pause: %s\n", pe->msg);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    ck_assert(wait_value(g_dst, BLOCKED, "0", 20000));   /* no worker query left waiting */
    mysql_close(lk);
    resume_and_converge();
}
END_TEST

START_TEST(restart_shows_checkpoint_at_once)
{
    Pb__QueryStatusResponse *st;
    char want[256], file[128], pos[32], got[256] = "";
    long long end;
    sql(g_src, "INSERT INTO app.t SELECT 5000 + seq, seq FROM app.seq_1_to_50");
    ck_assert(converge(SUM_T, NULL, 20000));
    stop_worker(SIGTERM);
    value(g_dst, "SELECT binlog_name FROM dm_meta.ctl_syncer_checkpoint WHERE is_global=1",
          file, sizeof file);
    value(g_dst, "SELECT binlog_pos FROM dm_meta.ctl_syncer_checkpoint WHERE is_global=1",
          pos, sizeof pos);
    ck_assert_str_ne(file, "");
    snprintf(want, sizeof want, "(%s, %s)", file, pos);
    spawn_worker();   /* no new source events: no checkpoint flush will come */
    end = tu_now_ms() + 15000;
    do {
        st = query_status("ctl");
        ck_assert_int_eq(stage_of(st), PB__STAGE__Running);
        if (st->subtaskstatus[0]->sync && st->subtaskstatus[0]->sync->syncerbinlog)
            snprintf(got, sizeof got, "%s", st->subtaskstatus[0]->sync->syncerbinlog);
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (!got[0])
            usleep(100000);
    } while (!got[0] && tu_now_ms() < end);
    ck_assert_str_eq(got, want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_control");
    TCase *tc = tcase_create("control");
    SRunner *sr;
    int nf;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, pause_on_locked_target_keeps_status_answering);
    tcase_add_test(tc, pause_on_stalled_target_kills_after_grace);
    tcase_add_test(tc, restart_shows_checkpoint_at_once);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}

/* test_master.c - the pb.Master service in-process against scripted workers
 * (tests/support/scripted_worker.c, in dmtestsupport), through our real gRPC client: answers and error
 * texts of the task, query, relay and DDL RPCs; a dead worker only fails its own entry;
 * the token bucket gives 38018; stage errors by either worker path give 38032; the real
 * dm-master binary rebuilds taskWorkers after a restart (DMGW_MASTER_WRAP runs it under a
 * tool, e.g. valgrind). */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scripted_worker.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "master.h"
#include "rpc.h"
#include "testutil.h"

static const char *FROM = "host = \"127.0.0.1\"\nport = 3306\nuser = \"root\"\npassword = \"\"\n";

struct env {
    struct scripted_worker *w1, *w2;
    int p1, p2, dead, mport;
    char a1[64], a2[64], adead[64];
    struct master *m;
    struct rpc_channel *ch;
    char *dir;
};

static struct env E;

static void env_up(double rate, int burst, bool with_dead)
{
    memset(&E, 0, sizeof(E));
    E.w1 = sw_start("s1", FROM, &E.p1);
    E.w2 = sw_start("s2", FROM, &E.p2);
    ck_assert_ptr_nonnull(E.w1);
    ck_assert_ptr_nonnull(E.w2);
    E.dead = tu_free_port();
    snprintf(E.a1, sizeof(E.a1), "127.0.0.1:%d", E.p1);
    snprintf(E.a2, sizeof(E.a2), "127.0.0.1:%d", E.p2);
    snprintf(E.adead, sizeof(E.adead), "127.0.0.1:%d", E.dead);
    E.dir = tu_mkdtemp();
    char toml[2048];
    snprintf(toml, sizeof(toml),
             "master-addr = \"127.0.0.1:0\"\nrpc-timeout = \"2s\"\nrpc-rate-limit = %g\nrpc-rate-burst = %d\n"
             "data-dir = \"%s/data\"\nop-poll-interval = \"50ms\"\nrefresh-delay = \"100ms\"\nddl-retry-interval = \"200ms\"\n"
             "[[deploy]]\nsource-id = \"s1\"\ndm-worker = \"%s\"\n[[deploy]]\nsource-id = \"s2\"\ndm-worker = \"%s\"\n%s%s%s",
             rate, burst, E.dir, E.a1, E.a2, with_dead ? "[[deploy]]\nsource-id = \"s3\"\ndm-worker = \"" : "",
             with_dead ? E.adead : "", with_dead ? "\"\n" : "");
    struct master_config cfg;
    char *err = NULL;
    ck_assert_int_eq(master_config_defaults(&cfg), DM_OK);
    ck_assert_msg(master_config_apply_toml(&cfg, toml, &err) == DM_OK, "%s", err);
    E.m = master_new(&cfg);
    ck_assert_ptr_nonnull(E.m);
    ck_assert_int_eq(master_start(E.m, &E.mport), DM_OK);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", E.mport);
    E.ch = rpc_channel_new(addr);
}

static void env_down(void)
{
    rpc_channel_free(E.ch);
    master_free(E.m);
    sw_stop(E.w1);
    sw_stop(E.w2);
    tu_rmrf(E.dir);
    free(E.dir);
}

static void *call(const char *method, const ProtobufCMessage *req)
{
    int status = -1;
    ProtobufCMessage *resp = NULL;
    char details[512] = "";
    const struct rpc_method *m = rpc_method_find(&pb__master__descriptor, method);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(rpc_call_sync(E.ch, m, req, 20000, NULL, 0, &status, &resp, details, sizeof(details)), DM_OK);
    ck_assert_msg(status == RPC_OK, "%s: status %d %s", method, status, details);
    return resp;
}

static const char *TASK =
    "name: test\ntask-mode: incremental\nignore-checking-items: [all]\n"
    "target-database: {host: 127.0.0.1, port: 4000, user: root, password: ''}\n"
    "mysql-instances:\n"
    "  - source-id: s1\n    meta: {binlog-name: mysql-bin.000001, binlog-pos: 4}\n"
    "  - source-id: s2\n    meta: {binlog-name: mysql-bin.000001, binlog-pos: 4}\n";

static Pb__OperateTaskResponse *operate(Pb__TaskOp op, const char *name)
{
    Pb__OperateTaskRequest r = PB__OPERATE_TASK_REQUEST__INIT;
    r.op = op;
    r.name = (char *)name;
    return call("OperateTask", &r.base);
}

START_TEST(task_lifecycle)
{
    env_up(100, 100, false);
    Pb__StartTaskRequest sr = PB__START_TASK_REQUEST__INIT;
    sr.task = (char *)TASK;
    Pb__StartTaskResponse *s = call("StartTask", &sr.base);
    ck_assert_msg(s->result, "%s", s->msg);
    ck_assert_uint_eq(s->n_workers, 2);
    ck_assert(strcmp(s->workers[0]->worker, s->workers[1]->worker) < 0);
    for (size_t i = 0; i < 2; i++)
        ck_assert_msg(s->workers[i]->result, "%s", s->workers[i]->msg);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    /* starting again: the worker's 40055 (a gRPC error here) becomes a 38032 entry */
    s = call("StartTask", &sr.base);
    ck_assert(s->result);
    ck_assert(!s->workers[0]->result);
    ck_assert_msg(strstr(s->workers[0]->msg, "[code=38032:class=dm-master:scope=internal:level=high] operation 0 of task test on worker ") &&
                  strstr(s->workers[0]->msg, " not success: [code=40055:class=dm-worker:scope=internal:level=medium] sub task test already exists"),
                  "%s", s->workers[0]->msg);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    Pb__GetTaskCfgRequest gr = PB__GET_TASK_CFG_REQUEST__INIT;
    gr.name = (char *)"test";
    Pb__GetTaskCfgResponse *g = call("GetTaskCfg", &gr.base);
    ck_assert(g->result);
    ck_assert_str_eq(g->cfg, TASK);
    protobuf_c_message_free_unpacked(&g->base, NULL);

    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    qr.name = (char *)"test";
    Pb__QueryStatusListResponse *q = call("QueryStatus", &qr.base);
    ck_assert(q->result);
    ck_assert_uint_eq(q->n_workers, 2);
    ck_assert_str_eq(q->workers[0]->worker, strcmp(E.a1, E.a2) < 0 ? E.a1 : E.a2);
    ck_assert_uint_eq(q->workers[0]->n_subtaskstatus, 1);
    ck_assert_int_eq(q->workers[0]->subtaskstatus[0]->stage, PB__STAGE__Running);
    protobuf_c_message_free_unpacked(&q->base, NULL);

    Pb__OperateTaskResponse *o = operate(PB__TASK_OP__Pause, "test");
    ck_assert(o->result);
    ck_assert_int_eq(o->op, PB__TASK_OP__Pause);
    ck_assert_uint_eq(o->n_workers, 2);
    ck_assert(o->workers[0]->meta->result);
    ck_assert_int_gt(o->workers[0]->logid, 0);
    ck_assert_int_eq(o->workers[0]->op, PB__TASK_OP__Pause);
    protobuf_c_message_free_unpacked(&o->base, NULL);

    o = operate(PB__TASK_OP__Pause, "test");
    ck_assert(!o->workers[1]->meta->result);
    ck_assert_ptr_nonnull(strstr(o->workers[1]->meta->msg, "current stage is Paused but not running, invalid"));
    protobuf_c_message_free_unpacked(&o->base, NULL);

    o = operate(PB__TASK_OP__Stop, "test");
    ck_assert(o->result && o->workers[0]->meta->result && o->workers[1]->meta->result);
    protobuf_c_message_free_unpacked(&o->base, NULL);

    g = call("GetTaskCfg", &gr.base);
    ck_assert(!g->result);
    ck_assert_str_eq(g->msg, "task test has no workers or not exist, can try `refresh-worker-tasks` cmd first");
    protobuf_c_message_free_unpacked(&g->base, NULL);

    o = operate(PB__TASK_OP__Resume, "test");
    ck_assert(!o->result);
    ck_assert_int_eq(o->op, PB__TASK_OP__Resume);
    ck_assert_str_eq(o->msg, "task test has no workers or not exist, can try `refresh-worker-tasks` cmd first");
    protobuf_c_message_free_unpacked(&o->base, NULL);
    env_down();
}
END_TEST

/* A stage error reaches the master either as the gRPC error of the call or (DM v1.0.7's
 * worker, and ours) as meta.result=true + a logID whose op-log entry failed: both give
 * 38032 `operation <logID> of task <t> on worker <w> not success: <text>`. */
static void check_stage_errors(bool oplog)
{
    env_up(100, 100, false);
    sw_set_oplog_errors(E.w1, oplog);
    sw_set_oplog_errors(E.w2, oplog);
    Pb__StartTaskRequest sr = PB__START_TASK_REQUEST__INIT;
    sr.task = (char *)TASK;
    Pb__StartTaskResponse *s = call("StartTask", &sr.base);
    ck_assert(s->workers[0]->result && s->workers[1]->result);
    protobuf_c_message_free_unpacked(&s->base, NULL);
    int starts = sw_calls(E.w1, "QueryTaskOperation");

    char want[600];
    s = call("StartTask", &sr.base);
    ck_assert_uint_eq(s->n_workers, 2);
    for (size_t i = 0; i < 2; i++) {
        snprintf(want, sizeof(want), "[code=38032:class=dm-master:scope=internal:level=high] operation %d of task test on worker %s not success: "
                 "[code=40055:class=dm-worker:scope=internal:level=medium] sub task test already exists", oplog ? 2 : 0, s->workers[i]->worker);
        ck_assert(!s->workers[i]->result);
        ck_assert_str_eq(s->workers[i]->msg, want);
    }
    protobuf_c_message_free_unpacked(&s->base, NULL);
    /* only the op-log path polls */
    ck_assert_int_eq(sw_calls(E.w1, "QueryTaskOperation") - starts, oplog ? 1 : 0);

    Pb__OperateTaskResponse *o = operate(PB__TASK_OP__Resume, "test");
    ck_assert(o->result);
    ck_assert(strcmp(o->workers[0]->meta->worker, o->workers[1]->meta->worker) < 0);   /* taskWorkers order */
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(o->workers[i]->op, PB__TASK_OP__Resume);
        ck_assert_int_eq(o->workers[i]->logid, oplog ? 3 : 0);
        snprintf(want, sizeof(want), "[code=38032:class=dm-master:scope=internal:level=high] operation %d of task test on worker %s not success: "
                 "[code=40051:class=dm-worker:scope=internal:level=medium] current stage is Running but not paused, invalid",
                 oplog ? 3 : 0, o->workers[i]->meta->worker);
        ck_assert(!o->workers[i]->meta->result);
        ck_assert_str_eq(o->workers[i]->meta->msg, want);
    }
    protobuf_c_message_free_unpacked(&o->base, NULL);

    /* a worker without the subtask (stopped there first): 40054 */
    char *ws[] = {E.a2};
    Pb__OperateTaskRequest r = PB__OPERATE_TASK_REQUEST__INIT;
    r.op = PB__TASK_OP__Stop;
    r.name = (char *)"test";
    r.workers = ws;
    r.n_workers = 1;
    o = call("OperateTask", &r.base);
    ck_assert_msg(o->n_workers == 1 && o->workers[0]->meta->result, "%s", o->msg);
    protobuf_c_message_free_unpacked(&o->base, NULL);
    r.op = PB__TASK_OP__Pause;
    o = call("OperateTask", &r.base);
    ck_assert_uint_eq(o->n_workers, 1);
    snprintf(want, sizeof(want), "[code=38032:class=dm-master:scope=internal:level=high] operation %d of task test on worker %s not success: "
             "[code=40054:class=dm-worker:scope=internal:level=medium] sub task with name test not found", oplog ? 5 : 0, E.a2);
    ck_assert_str_eq(o->workers[0]->meta->msg, want);
    protobuf_c_message_free_unpacked(&o->base, NULL);
    env_down();
}

START_TEST(stage_error_as_grpc_error)
{
    check_stage_errors(false);
}
END_TEST

START_TEST(stage_error_in_op_log)
{
    check_stage_errors(true);
}
END_TEST

START_TEST(op_log_failure_and_config_errors)
{
    env_up(100, 100, false);
    sw_fail_next_start(E.w1, "boom");
    Pb__StartTaskRequest sr = PB__START_TASK_REQUEST__INIT;
    sr.task = (char *)TASK;
    Pb__StartTaskResponse *s = call("StartTask", &sr.base);
    ck_assert(s->result);
    size_t i1 = strcmp(s->workers[0]->worker, E.a1) == 0 ? 0 : 1;
    ck_assert(!s->workers[i1]->result);
    char want[300];
    snprintf(want, sizeof(want), "[code=38032:class=dm-master:scope=internal:level=high] operation 1 of task test on worker %s not success: boom", E.a1);
    ck_assert_str_eq(s->workers[i1]->msg, want);
    ck_assert(s->workers[1 - i1]->result);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    sr.task = (char *)"name: t\ntask-mode: all\nbogus: 1\n";
    s = call("StartTask", &sr.base);
    ck_assert(!s->result);
    ck_assert_uint_eq(s->n_workers, 0);
    ck_assert_str_eq(s->msg, "[code=20003:class=dm-master:scope=internal:level=medium] decode task config failed: yaml: unmarshal errors:\n  line 3: field bogus not found in type config.TaskConfig");
    protobuf_c_message_free_unpacked(&s->base, NULL);

    sr.task = (char *)"name: t\ntask-mode: all\ntarget-database: {host: h}\nmysql-instances:\n  - source-id: s9\n";
    s = call("StartTask", &sr.base);
    ck_assert_str_eq(s->msg, "[code=38028:class=dm-master:scope=internal:level=high] s9 relevant worker not found");
    protobuf_c_message_free_unpacked(&s->base, NULL);

    Pb__CheckTaskRequest cr = PB__CHECK_TASK_REQUEST__INIT;
    cr.task = (char *)TASK;
    Pb__CheckTaskResponse *c = call("CheckTask", &cr.base);
    ck_assert(c->result);
    ck_assert_str_eq(c->msg, "check pass!!!");
    protobuf_c_message_free_unpacked(&c->base, NULL);

    /* issue 12: a pattern that is not a valid Go regexp fails check-task, start-task and
     * update-task with DM's config error naming it (never a pattern matching nothing) */
    char bad[1024];
    snprintf(bad, sizeof(bad), "%sblack-white-list:\n  bw: {do-dbs: ['~^shop_(\\d+']}\n", TASK);
    const char *want_bad = "[code=26006:class=dm-master:scope=internal:level=medium] fail to initial checker: "
                           "generate black white list error: black-white-list bw: do-dbs \"~^shop_(\\d+\": "
                           "error parsing regexp: missing closing ): `^shop_(\\d+`";
    cr.task = bad;
    c = call("CheckTask", &cr.base);
    ck_assert(!c->result);
    ck_assert_str_eq(c->msg, want_bad);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    sr.task = bad;
    s = call("StartTask", &sr.base);
    ck_assert(!s->result);
    ck_assert_str_eq(s->msg, want_bad);
    protobuf_c_message_free_unpacked(&s->base, NULL);
    Pb__UpdateTaskRequest ur = PB__UPDATE_TASK_REQUEST__INIT;
    ur.task = bad;
    Pb__UpdateTaskResponse *u = call("UpdateTask", &ur.base);
    ck_assert(!u->result);
    ck_assert_str_eq(u->msg, want_bad);
    protobuf_c_message_free_unpacked(&u->base, NULL);

    /* a setting the worker refuses fails check-task although every DM item is ignored */
    snprintf(bad, sizeof(bad), "%sis-sharding: true\nonline-ddl-scheme: pt\n", TASK);
    cr.task = bad;
    c = call("CheckTask", &cr.base);
    ck_assert(!c->result);
    ck_assert_msg(strstr(c->msg, "[code=26005:") && strstr(c->msg, "\"name\": \"dm-worker support\"") &&
                  strstr(c->msg, "is-sharding together with online-ddl-scheme pt not supported by this worker yet"),
                  "%s", c->msg);
    protobuf_c_message_free_unpacked(&c->base, NULL);

    /* -w naming a worker outside the task */
    sr.task = (char *)TASK;
    char *ws[] = {(char *)"10.0.0.9:8262"};
    sr.workers = ws;
    sr.n_workers = 1;
    s = call("StartTask", &sr.base);
    ck_assert_uint_eq(s->n_workers, 1);
    ck_assert_str_eq(s->workers[0]->msg, "worker not found in task's config or deployment config");
    protobuf_c_message_free_unpacked(&s->base, NULL);
    env_down();
}
END_TEST

START_TEST(dead_worker_only_fails_its_entry)
{
    env_up(100, 100, true);
    sw_set_delay(E.w2, 300);
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    long long t0 = tu_now_ms();
    Pb__QueryStatusListResponse *q = call("QueryStatus", &qr.base);
    long long el = tu_now_ms() - t0;
    ck_assert(q->result);
    ck_assert_uint_eq(q->n_workers, 3);
    int dead = 0, ok = 0;
    for (size_t i = 0; i < 3; i++) {
        if (i)
            ck_assert(strcmp(q->workers[i - 1]->worker, q->workers[i]->worker) < 0);
        if (!strcmp(q->workers[i]->worker, E.adead)) {
            dead++;
            ck_assert(!q->workers[i]->result);
            const char *pre = "[code=38008:class=dm-master:scope=internal:level=high] grpc request error: rpc error: code = ";
            ck_assert_msg(strncmp(q->workers[i]->msg, pre, strlen(pre)) == 0, "%s", q->workers[i]->msg);
        } else {
            ok += q->workers[i]->result;
            ck_assert_str_eq(q->workers[i]->msg, "no sub task started");
            ck_assert_str_eq(q->workers[i]->sourceid, strcmp(q->workers[i]->worker, E.a1) ? "s2" : "s1");
        }
    }
    ck_assert_int_eq(dead, 1);
    ck_assert_int_eq(ok, 2);
    ck_assert_msg(el < 2500, "took %lld ms", el);   /* concurrent: not 300 ms + timeout serialized */
    protobuf_c_message_free_unpacked(&q->base, NULL);

    char *unknown[] = {(char *)"x:1", (char *)"y:2"};
    qr.workers = unknown;
    qr.n_workers = 2;
    q = call("QueryStatus", &qr.base);
    ck_assert(!q->result);
    ck_assert_str_eq(q->msg, "x:1, y:2 relevant worker-client not found");
    protobuf_c_message_free_unpacked(&q->base, NULL);

    Pb__RefreshWorkerTasksRequest rr = PB__REFRESH_WORKER_TASKS_REQUEST__INIT;
    Pb__RefreshWorkerTasksResponse *rf = call("RefreshWorkerTasks", &rr.base);
    ck_assert(rf->result);
    ck_assert_uint_eq(rf->n_workers, 3);
    for (size_t i = 0; i < 3; i++)
        if (strcmp(rf->workers[i]->worker, E.adead))
            ck_assert_str_eq(rf->workers[i]->msg, "no sub task started");
    protobuf_c_message_free_unpacked(&rf->base, NULL);
    env_down();
}
END_TEST

START_TEST(rate_limit_38018)
{
    env_up(0.001, 1, false);
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    Pb__QueryStatusListResponse *q = call("QueryStatus", &qr.base);
    ck_assert(q->result);
    ck_assert_uint_eq(q->n_workers, 2);
    int limited = 0;
    for (size_t i = 0; i < 2; i++)
        if (!q->workers[i]->result) {
            char want[200];
            snprintf(want, sizeof(want), "[code=38018:class=dm-master:scope=internal:level=high] fail to get emit opportunity for worker %s", q->workers[i]->worker);
            ck_assert_str_eq(q->workers[i]->msg, want);
            limited++;
        }
    ck_assert_int_eq(limited, 1);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    env_down();
}
END_TEST

START_TEST(token_wait_then_concurrent_calls)
{
    /* 10 tokens/s, burst 1: the second worker's token is due 100 ms after the first;
     * the fan-out waits for it (no 38018, within rpc-timeout) and both calls still run
     * concurrently with the worker delays (not 2 x 600 ms) */
    env_up(10, 1, false);
    struct timespec ts = {0, 400 * 1000000L};   /* after the 100 ms startup refresh */
    nanosleep(&ts, NULL);
    sw_set_delay(E.w1, 600);
    sw_set_delay(E.w2, 600);
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    long long t0 = tu_now_ms();
    Pb__QueryStatusListResponse *q = call("QueryStatus", &qr.base);
    long long el = tu_now_ms() - t0;
    ck_assert(q->result);
    ck_assert_uint_eq(q->n_workers, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_msg(q->workers[i]->result, "%s", q->workers[i]->msg);
        ck_assert_str_eq(q->workers[i]->worker, i == 0 ? (strcmp(E.a1, E.a2) < 0 ? E.a1 : E.a2)
                                                       : (strcmp(E.a1, E.a2) < 0 ? E.a2 : E.a1));
    }
    ck_assert_msg(el >= 690 && el < 1150, "took %lld ms", el);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    env_down();
}
END_TEST

#define FAN_N 32

static atomic_bool fan_sampling;
static atomic_int fan_max_threads;

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void *fan_sampler(void *arg)
{
    (void)arg;
    while (atomic_load(&fan_sampling)) {
        int n = count_threads();
        if (n > atomic_load(&fan_max_threads))
            atomic_store(&fan_max_threads, n);
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

START_TEST(fanout_many_workers_no_thread_per_worker)
{
    /* QueryStatus over 32 workers that each answer after 300 ms: one round of concurrent
     * calls (not 32 x 300 ms), entries sorted with the right source IDs, and the master
     * does not start a thread per worker for it */
    struct scripted_worker *ws[FAN_N];
    char addrs[FAN_N][64];
    char *dir = tu_mkdtemp();
    size_t cap = 4096 + FAN_N * 96, len = 0;
    char *toml = malloc(cap);
    ck_assert_ptr_nonnull(toml);
    len += (size_t)snprintf(toml, cap, "master-addr = \"127.0.0.1:0\"\nrpc-timeout = \"5s\"\nrpc-rate-limit = 100000.0\n"
                            "rpc-rate-burst = 100000\ndata-dir = \"%s/data\"\nrefresh-delay = \"1h\"\n", dir);
    for (int i = 0; i < FAN_N; i++) {
        char sid[16];
        int port = 0;
        snprintf(sid, sizeof(sid), "s%02d", i);
        ws[i] = sw_start(sid, FROM, &port);
        ck_assert_ptr_nonnull(ws[i]);
        sw_set_delay(ws[i], 300);
        snprintf(addrs[i], sizeof(addrs[i]), "127.0.0.1:%d", port);
        len += (size_t)snprintf(toml + len, cap - len, "[[deploy]]\nsource-id = \"%s\"\ndm-worker = \"%s\"\n", sid, addrs[i]);
    }
    struct master_config cfg;
    char *err = NULL;
    ck_assert_int_eq(master_config_defaults(&cfg), DM_OK);
    ck_assert_msg(master_config_apply_toml(&cfg, toml, &err) == DM_OK, "%s", err);
    struct master *m = master_new(&cfg);
    ck_assert_ptr_nonnull(m);
    int mport = 0;
    ck_assert_int_eq(master_start(m, &mport), DM_OK);
    char maddr[64];
    snprintf(maddr, sizeof(maddr), "127.0.0.1:%d", mport);
    struct rpc_channel *saved = E.ch;
    E.ch = rpc_channel_new(maddr);
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    /* warm up: channels connected, DDL streams open */
    protobuf_c_message_free_unpacked(&((Pb__QueryStatusListResponse *)call("QueryStatus", &qr.base))->base, NULL);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    int base = count_threads();
    atomic_store(&fan_max_threads, base);
    atomic_store(&fan_sampling, true);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, fan_sampler, NULL), 0);
    long long t0 = tu_now_ms();
    Pb__QueryStatusListResponse *q = call("QueryStatus", &qr.base);
    long long el = tu_now_ms() - t0;
    atomic_store(&fan_sampling, false);
    pthread_join(th, NULL);
    ck_assert(q->result);
    ck_assert_uint_eq(q->n_workers, FAN_N);
    for (size_t i = 0; i < FAN_N; i++) {
        ck_assert_msg(q->workers[i]->result, "%s", q->workers[i]->msg);
        if (i)
            ck_assert(strcmp(q->workers[i - 1]->worker, q->workers[i]->worker) < 0);
        for (int k = 0; k < FAN_N; k++)
            if (!strcmp(addrs[k], q->workers[i]->worker)) {
                char sid[16];
                snprintf(sid, sizeof(sid), "s%02d", k);
                ck_assert_str_eq(q->workers[i]->sourceid, sid);
            }
    }
    ck_assert_msg(el < 2000, "took %lld ms", el);   /* serialized: 9.6 s */
    /* + 1 for the sampler; thread-per-worker fan-out would add FAN_N */
    ck_assert_msg(atomic_load(&fan_max_threads) - base < FAN_N / 2, "threads %d -> %d", base,
                  atomic_load(&fan_max_threads));
    protobuf_c_message_free_unpacked(&q->base, NULL);
    rpc_channel_free(E.ch);
    E.ch = saved;
    master_free(m);
    for (int i = 0; i < FAN_N; i++)
        sw_stop(ws[i]);
    free(toml);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(relay_ddl_sql_rpcs)
{
    env_up(100, 100, false);
    Pb__OperateWorkerRelayRequest orr = PB__OPERATE_WORKER_RELAY_REQUEST__INIT;
    char *ws[] = {E.a2, E.a1, (char *)"nope:1"};
    orr.op = PB__RELAY_OP__PauseRelay;
    orr.workers = ws;
    orr.n_workers = 3;
    Pb__OperateWorkerRelayResponse *o = call("OperateWorkerRelayTask", &orr.base);
    ck_assert(o->result);
    ck_assert_int_eq(o->op, PB__RELAY_OP__InvalidRelayOp);
    ck_assert_uint_eq(o->n_workers, 3);
    ck_assert_int_eq(o->workers[0]->op, PB__RELAY_OP__PauseRelay);
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(o->workers[i]->worker, "nope:1"))
            ck_assert_str_eq(o->workers[i]->msg, "nope:1 relevant worker-client not found");
        else
            ck_assert(o->workers[i]->result);
    protobuf_c_message_free_unpacked(&o->base, NULL);

    Pb__ShowDDLLocksRequest sl = PB__SHOW_DDLLOCKS_REQUEST__INIT;
    Pb__ShowDDLLocksResponse *l = call("ShowDDLLocks", &sl.base);
    ck_assert(l->result);
    ck_assert_str_eq(l->msg, "no DDL lock exists");
    protobuf_c_message_free_unpacked(&l->base, NULL);

    Pb__UnlockDDLLockRequest ul = PB__UNLOCK_DDLLOCK_REQUEST__INIT;
    ul.id = (char *)"test-`db`.`t`";
    Pb__UnlockDDLLockResponse *u = call("UnlockDDLLock", &ul.base);
    ck_assert(!u->result);
    ck_assert_str_eq(u->msg, "[code=38019:class=dm-master:scope=internal:level=high] lock with ID test-`db`.`t` not found");
    protobuf_c_message_free_unpacked(&u->base, NULL);

    Pb__HandleSQLsRequest hs = PB__HANDLE_SQLS_REQUEST__INIT;
    hs.name = (char *)"test";
    hs.sharding = true;
    hs.sqlpattern = (char *)"~(?i)ALTER";
    Pb__HandleSQLsResponse *h = call("HandleSQLs", &hs.base);
    ck_assert(h->result);
    ck_assert_str_eq(h->msg, "request with --sharding saved and will be sent to DDL lock's owner when resolving DDL lock");
    protobuf_c_message_free_unpacked(&h->base, NULL);
    hs.sharding = false;
    hs.worker = E.a1;
    h = call("HandleSQLs", &hs.base);
    ck_assert(!h->result);
    char want[300];
    snprintf(want, sizeof(want), "task test and worker %s not match, can try `refresh-worker-tasks` cmd first", E.a1);
    ck_assert_str_eq(h->msg, want);
    protobuf_c_message_free_unpacked(&h->base, NULL);

    Pb__MigrateWorkerRelayRequest mr = PB__MIGRATE_WORKER_RELAY_REQUEST__INIT;
    mr.worker = (char *)"nope:1";
    Pb__CommonWorkerResponse *c = call("MigrateWorkerRelay", &mr.base);
    ck_assert(!c->result);
    ck_assert_str_eq(c->msg, "worker nope:1 relevant worker-client not found");
    protobuf_c_message_free_unpacked(&c->base, NULL);
    mr.worker = E.a1;
    c = call("MigrateWorkerRelay", &mr.base);
    ck_assert(c->result);
    ck_assert_str_eq(c->worker, "");   /* the worker's response unchanged, as DM */
    protobuf_c_message_free_unpacked(&c->base, NULL);
    env_down();
}
END_TEST

/* ---------- the real dm-master binary, restarted against scripted workers ---------- */

static pid_t spawn_master(const char *cfg, const char *log)
{
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/dm-master", tu_build_dir());
    ck_assert_msg(access(bin, X_OK) == 0, "%s not built", bin);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* DMGW_MASTER_WRAP="valgrind --leak-check=full --error-exitcode=9": run under a tool */
        const char *wrap = getenv("DMGW_MASTER_WRAP");
        char *argv[32], wbuf[512];
        int n = 0;
        if (wrap && *wrap) {
            snprintf(wbuf, sizeof(wbuf), "%s", wrap);
            for (char *save = NULL, *t = strtok_r(wbuf, " ", &save); t && n < 24; t = strtok_r(NULL, " ", &save))
                argv[n++] = t;
        }
        char *tail[] = {bin, (char *)"-config", (char *)cfg, (char *)"-log-file", (char *)log, NULL};
        for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
            argv[n++] = tail[i];
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void stop_master(pid_t pid)
{
    int st = -1;
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "dm-master exit status %d", st);
}

/* workers QueryStatus{name} targets, or -1 when the task is unknown to the master */
static int task_workers(const char *name, char *first, size_t cap)
{
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    qr.name = (char *)name;
    int status = -1;
    ProtobufCMessage *resp = NULL;
    char details[256];
    const struct rpc_method *m = rpc_method_find(&pb__master__descriptor, "QueryStatus");
    if (rpc_call_sync(E.ch, m, &qr.base, 2000, NULL, 0, &status, &resp, details, sizeof(details)) != DM_OK ||
        status != RPC_OK)
        return -2;
    Pb__QueryStatusListResponse *q = (Pb__QueryStatusListResponse *)resp;
    int n = q->result ? (int)q->n_workers : -1;
    if (first && n > 0)
        snprintf(first, cap, "%s", q->workers[0]->worker);
    protobuf_c_message_free_unpacked(resp, NULL);
    return n;
}

static int wait_task_workers(const char *name, int want, char *first, size_t cap)
{
    int n = -3;
    for (long long t0 = tu_now_ms(); tu_now_ms() - t0 < 8000; ) {
        if ((n = task_workers(name, first, cap)) == want)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return n;
}

START_TEST(restart_rebuilds_task_workers)
{
    memset(&E, 0, sizeof(E));
    E.w1 = sw_start("s1", FROM, &E.p1);
    E.w2 = sw_start("s2", FROM, &E.p2);
    ck_assert(E.w1 && E.w2);
    snprintf(E.a1, sizeof(E.a1), "127.0.0.1:%d", E.p1);
    snprintf(E.a2, sizeof(E.a2), "127.0.0.1:%d", E.p2);
    sw_add_subtask(E.w1, "test", PB__STAGE__Running);   /* left running by a previous master */
    sw_add_subtask(E.w2, "other", PB__STAGE__Paused);
    E.dir = tu_mkdtemp();
    E.mport = tu_free_port();
    char cfg[600], log[600], toml[2048], first[64] = "";
    snprintf(cfg, sizeof(cfg), "%s/dm-master.toml", E.dir);
    snprintf(log, sizeof(log), "%s/master.log", E.dir);
    snprintf(toml, sizeof(toml),
             "master-addr = \"127.0.0.1:%d\"\nrpc-timeout = \"2s\"\ndata-dir = \"%s/data\"\n"
             "op-poll-interval = \"50ms\"\nrefresh-delay = \"300ms\"\nddl-retry-interval = \"200ms\"\n"
             "[[deploy]]\nsource-id = \"s1\"\ndm-worker = \"%s\"\n[[deploy]]\nsource-id = \"s2\"\ndm-worker = \"%s\"\n",
             E.mport, E.dir, E.a1, E.a2);
    ck_assert_int_eq(tu_write_file(cfg, toml, strlen(toml)), 0);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", E.mport);
    E.ch = rpc_channel_new(addr);

    pid_t pid = spawn_master(cfg, log);
    /* right after start the task is unknown; the startup rebuild finds it on w1 only */
    ck_assert_int_eq(wait_task_workers("test", 1, first, sizeof(first)), 1);
    ck_assert_str_eq(first, E.a1);
    ck_assert_int_eq(wait_task_workers("other", 1, first, sizeof(first)), 1);
    ck_assert_str_eq(first, E.a2);
    Pb__OperateTaskResponse *o = operate(PB__TASK_OP__Pause, "test");
    ck_assert_uint_eq(o->n_workers, 1);
    ck_assert_msg(o->workers[0]->meta->result, "%s", o->workers[0]->meta->msg);
    protobuf_c_message_free_unpacked(&o->base, NULL);

    /* a subtask appearing on w2: known after refresh-worker-tasks */
    sw_add_subtask(E.w2, "test", PB__STAGE__Running);
    ck_assert_int_eq(task_workers("test", NULL, 0), 1);
    Pb__RefreshWorkerTasksRequest rr = PB__REFRESH_WORKER_TASKS_REQUEST__INIT;
    Pb__RefreshWorkerTasksResponse *rf = call("RefreshWorkerTasks", &rr.base);
    ck_assert(rf->result);
    ck_assert_uint_eq(rf->n_workers, 0);                  /* both have subtasks: no notes */
    protobuf_c_message_free_unpacked(&rf->base, NULL);
    ck_assert_int_eq(task_workers("test", NULL, 0), 2);

    /* a worker that does not answer a rebuild (a dm-worker restarting) keeps its tasks:
     * dropping them lost the worker from query-status until the next refresh-worker-tasks */
    sw_stop(E.w2);
    rf = call("RefreshWorkerTasks", &rr.base);
    ck_assert(rf->result);
    ck_assert_uint_eq(rf->n_workers, 1);                  /* w2's note */
    protobuf_c_message_free_unpacked(&rf->base, NULL);
    ck_assert_int_eq(task_workers("test", NULL, 0), 2);
    ck_assert_int_eq(task_workers("other", first, sizeof(first)), 1);
    ck_assert_str_eq(first, E.a2);
    E.w2 = sw_start_port("s2", FROM, E.p2);
    ck_assert(E.w2);
    sw_add_subtask(E.w2, "other", PB__STAGE__Paused);
    sw_add_subtask(E.w2, "test", PB__STAGE__Running);
    stop_master(pid);

    /* restarted: rebuilt from the workers' QueryStatus again */
    pid = spawn_master(cfg, log);
    ck_assert_int_eq(wait_task_workers("test", 2, NULL, 0), 2);
    ck_assert_int_eq(task_workers("other", NULL, 0), 1);
    o = operate(PB__TASK_OP__Resume, "test");
    ck_assert_uint_eq(o->n_workers, 2);
    for (size_t i = 0; i < 2; i++)
        ck_assert(o->workers[i]->meta->result == (strcmp(o->workers[i]->meta->worker, E.a1) == 0));
    protobuf_c_message_free_unpacked(&o->base, NULL);
    stop_master(pid);
    rpc_channel_free(E.ch);
    sw_stop(E.w1);
    sw_stop(E.w2);
    tu_rmrf(E.dir);
    free(E.dir);
}
END_TEST

int main(void)
{
    rpc_global_init();
    Suite *s = suite_create("master");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, task_lifecycle);
    tcase_add_test(tc, op_log_failure_and_config_errors);
    tcase_add_test(tc, stage_error_as_grpc_error);
    tcase_add_test(tc, stage_error_in_op_log);
    tcase_add_test(tc, dead_worker_only_fails_its_entry);
    tcase_add_test(tc, rate_limit_38018);
    tcase_add_test(tc, token_wait_then_concurrent_calls);
    tcase_add_test(tc, fanout_many_workers_no_thread_per_worker);
    tcase_add_test(tc, relay_ddl_sql_rpcs);
    tcase_add_test(tc, restart_rebuilds_task_workers);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

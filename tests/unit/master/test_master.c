/* test_master.c - the pb.Master service in-process against scripted workers
 * (tests/support/scripted_worker.c), through our real gRPC client: answers and error
 * texts of the task, query, relay and DDL RPCs; a dead worker only fails its own entry;
 * the token bucket gives 38018. */
#include <check.h>
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

    /* starting again: the worker's gRPC error becomes the entry (38008 wrapping 40055) */
    s = call("StartTask", &sr.base);
    ck_assert(s->result);
    ck_assert(!s->workers[0]->result);
    ck_assert_ptr_nonnull(strstr(s->workers[0]->msg, "[code=38008:class=dm-master:scope=internal:level=high] grpc request error: rpc error: code = Unknown desc = [code=40055"));
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
    ck_assert_str_eq(g->msg, "task test not found");
    protobuf_c_message_free_unpacked(&g->base, NULL);

    o = operate(PB__TASK_OP__Resume, "test");
    ck_assert(!o->result);
    ck_assert_int_eq(o->op, PB__TASK_OP__Resume);
    ck_assert_str_eq(o->msg, "task test has no workers or not exist, can try `refresh-worker-tasks` cmd first");
    protobuf_c_message_free_unpacked(&o->base, NULL);
    env_down();
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

int main(void)
{
    rpc_global_init();
    Suite *s = suite_create("master");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, task_lifecycle);
    tcase_add_test(tc, op_log_failure_and_config_errors);
    tcase_add_test(tc, dead_worker_only_fails_its_entry);
    tcase_add_test(tc, rate_limit_38018);
    tcase_add_test(tc, relay_ddl_sql_rpcs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    rpc_global_shutdown();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

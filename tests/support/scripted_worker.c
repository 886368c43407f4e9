/* scripted_worker.c - see scripted_worker.h. */
#include "scripted_worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "rpc.h"

#define SW_MAX_TASKS 32
#define SW_MAX_LOGS 256
#define SW_MAX_EVENTS 64
#define SW_MAX_DDLQ 16
#define SW_MAX_DDLS 8

struct sw_task {
    char name[128];
    int stage;
};
struct sw_log {
    int64_t id;
    int success;
    char msg[256];
};
struct sw_ddl {
    char task[64], schema[64], table[64];
    char ddls[SW_MAX_DDLS][160];
    size_t n;
};

struct scripted_worker {
    struct rpc_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t gate_cv;   /* ExecuteDDL held at the gate (sw_hold_exec) */
    bool gate_closed;
    int gate_waiting;
    char *source_id, *from;
    atomic_int delay_ms;
    char *fail_next, *fail_exec;
    bool oplog_errors;
    struct sw_task tasks[SW_MAX_TASKS];
    int ntasks;
    struct sw_log logs[SW_MAX_LOGS];
    int nlogs;
    char names[32][32];
    int counts[32];
    int nnames;
    struct sw_ddl ddlq[SW_MAX_DDLQ];
    int nddlq;
    int nlockinfo;
    char last_lock[256];
    struct sw_event events[SW_MAX_EVENTS];
    int nevents;
};

static atomic_long sw_seq;

/* m->mu held */
static void sw_count(struct scripted_worker *w, const char *m)
{
    int i;
    for (i = 0; i < w->nnames && strcmp(w->names[i], m); i++)
        ;
    if (i == w->nnames && i < 32)
        snprintf(w->names[w->nnames++], 32, "%s", m);
    if (i < 32)
        w->counts[i]++;
}

int sw_calls(struct scripted_worker *w, const char *method)
{
    int n = 0;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < w->nnames; i++)
        if (!strcmp(w->names[i], method))
            n = w->counts[i];
    pthread_mutex_unlock(&w->mu);
    return n;
}

static void sw_sleep(struct scripted_worker *w)
{
    int ms = atomic_load(&w->delay_ms);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    if (ms > 0)
        nanosleep(&ts, NULL);
}

static struct sw_task *find_task(struct scripted_worker *w, const char *name)
{
    for (int i = 0; i < w->ntasks; i++)
        if (!strcmp(w->tasks[i].name, name))
            return &w->tasks[i];
    return NULL;
}

static int64_t add_log(struct scripted_worker *w, int success, const char *msg)
{
    if (w->nlogs >= SW_MAX_LOGS)
        return 0;
    struct sw_log *l = &w->logs[w->nlogs++];
    l->id = w->nlogs;
    l->success = success;
    snprintf(l->msg, sizeof(l->msg), "%s", msg ? msg : "");
    return l->id;
}

/* m->mu held */
static struct sw_event *add_event(struct scripted_worker *w, const char *method)
{
    if (w->nevents >= SW_MAX_EVENTS)
        return NULL;
    struct sw_event *e = &w->events[w->nevents++];
    memset(e, 0, sizeof(*e));
    e->seq = atomic_fetch_add(&sw_seq, 1) + 1;
    snprintf(e->method, sizeof(e->method), "%s", method);
    return e;
}

/* name = "..." from the subtask TOML */
static void toml_name(const char *toml, char *out, size_t cap)
{
    const char *p = strstr(toml, "name = \"");
    out[0] = '\0';
    if (!p)
        return;
    p += 8;
    const char *e = strchr(p, '"');
    size_t n = e ? (size_t)(e - p) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void reply_op(struct rpc_server_call *call, int op, int64_t id)
{
    Pb__CommonWorkerResponse meta = PB__COMMON_WORKER_RESPONSE__INIT;
    meta.result = true;
    Pb__OperateSubTaskResponse resp = PB__OPERATE_SUB_TASK_RESPONSE__INIT;
    resp.meta = &meta;
    resp.op = (Pb__TaskOp)op;
    resp.logid = id;
    rpc_server_reply(call, &resp.base);
}

/* a stage error: gRPC error, or (oplog_errors) a failed op-log entry; m->mu held, released */
static void reply_stage_error(struct scripted_worker *w, struct rpc_server_call *call, int op,
                              const char *err)
{
    if (!w->oplog_errors) {
        pthread_mutex_unlock(&w->mu);
        rpc_server_reply_error(call, RPC_UNKNOWN, err);
        return;
    }
    int64_t id = add_log(w, 0, err);
    pthread_mutex_unlock(&w->mu);
    reply_op(call, op, id);
}

static void h_start(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    const Pb__StartSubTaskRequest *r = (const Pb__StartSubTaskRequest *)req;
    sw_sleep(w);
    char name[128], err[300];
    toml_name(r->task, name, sizeof(name));
    pthread_mutex_lock(&w->mu);
    sw_count(w, "StartSubTask");
    if (find_task(w, name)) {
        snprintf(err, sizeof(err), "[code=40055:class=dm-worker:scope=internal:level=medium] sub task %s already exists", name);
        reply_stage_error(w, call, PB__TASK_OP__Start, err);
        return;
    }
    int64_t id;
    if (w->fail_next) {
        id = add_log(w, 0, w->fail_next);
        free(w->fail_next);
        w->fail_next = NULL;
    } else {
        if (w->ntasks < SW_MAX_TASKS) {
            snprintf(w->tasks[w->ntasks].name, sizeof(w->tasks[0].name), "%s", name);
            w->tasks[w->ntasks++].stage = PB__STAGE__Running;
        }
        id = add_log(w, 1, NULL);
    }
    pthread_mutex_unlock(&w->mu);
    reply_op(call, PB__TASK_OP__Start, id);
}

static void h_operate(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    const Pb__OperateSubTaskRequest *r = (const Pb__OperateSubTaskRequest *)req;
    sw_sleep(w);
    char err[300] = "";
    pthread_mutex_lock(&w->mu);
    sw_count(w, "OperateSubTask");
    struct sw_task *t = find_task(w, r->name);
    if (!t)
        snprintf(err, sizeof(err), "[code=40054:class=dm-worker:scope=internal:level=medium] sub task with name %s not found", r->name);
    else if (r->op == PB__TASK_OP__Pause && t->stage != PB__STAGE__Running)
        snprintf(err, sizeof(err), "[code=40050:class=dm-worker:scope=internal:level=medium] current stage is %s but not running, invalid",
                 protobuf_c_enum_descriptor_get_value(&pb__stage__descriptor, t->stage)->name);
    else if (r->op == PB__TASK_OP__Resume && t->stage != PB__STAGE__Paused)
        snprintf(err, sizeof(err), "[code=40051:class=dm-worker:scope=internal:level=medium] current stage is %s but not paused, invalid",
                 protobuf_c_enum_descriptor_get_value(&pb__stage__descriptor, t->stage)->name);
    if (err[0]) {
        reply_stage_error(w, call, r->op, err);
        return;
    }
    if (r->op == PB__TASK_OP__Pause)
        t->stage = PB__STAGE__Paused;
    else if (r->op == PB__TASK_OP__Resume)
        t->stage = PB__STAGE__Running;
    else if (r->op == PB__TASK_OP__Stop)
        *t = w->tasks[--w->ntasks];
    int64_t id = add_log(w, 1, NULL);
    pthread_mutex_unlock(&w->mu);
    reply_op(call, r->op, id);
}

static void h_query_op(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    const Pb__QueryTaskOperationRequest *r = (const Pb__QueryTaskOperationRequest *)req;
    Pb__CommonWorkerResponse meta = PB__COMMON_WORKER_RESPONSE__INIT;
    meta.result = true;
    Pb__QueryTaskOperationResponse resp = PB__QUERY_TASK_OPERATION_RESPONSE__INIT;
    Pb__TaskLog log = PB__TASK_LOG__INIT;
    resp.meta = &meta;
    pthread_mutex_lock(&w->mu);
    sw_count(w, "QueryTaskOperation");
    for (int i = 0; i < w->nlogs; i++)
        if (w->logs[i].id == r->logid) {
            log.id = r->logid;
            log.success = w->logs[i].success;
            log.message = w->logs[i].msg;
            resp.log = &log;
        }
    rpc_server_reply(call, &resp.base);
    pthread_mutex_unlock(&w->mu);
}

static void h_status(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    const Pb__QueryStatusRequest *r = (const Pb__QueryStatusRequest *)req;
    sw_sleep(w);
    Pb__QueryStatusResponse resp = PB__QUERY_STATUS_RESPONSE__INIT;
    Pb__SubTaskStatus st[SW_MAX_TASKS];
    Pb__SubTaskStatus *pst[SW_MAX_TASKS];
    Pb__RelayStatus relay = PB__RELAY_STATUS__INIT;
    relay.stage = PB__STAGE__Running;
    resp.result = true;
    resp.sourceid = w->source_id;
    resp.relaystatus = &relay;
    resp.subtaskstatus = pst;
    pthread_mutex_lock(&w->mu);
    sw_count(w, "QueryStatus");
    for (int i = 0; i < w->ntasks; i++) {
        if (r->name && *r->name && strcmp(r->name, w->tasks[i].name))
            continue;
        pb__sub_task_status__init(&st[resp.n_subtaskstatus]);
        st[resp.n_subtaskstatus].name = w->tasks[i].name;
        st[resp.n_subtaskstatus].stage = (Pb__Stage)w->tasks[i].stage;
        st[resp.n_subtaskstatus].unit = PB__UNIT_TYPE__Sync;
        if (w->nlockinfo)
            st[resp.n_subtaskstatus].unresolvedddllockid = w->last_lock;
        pst[resp.n_subtaskstatus] = &st[resp.n_subtaskstatus];
        resp.n_subtaskstatus++;
    }
    if (resp.n_subtaskstatus == 0)
        resp.msg = (char *)"no sub task started";
    rpc_server_reply(call, &resp.base);
    pthread_mutex_unlock(&w->mu);
}

static void h_config(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    (void)req;
    sw_sleep(w);
    Pb__QueryWorkerConfigResponse resp = PB__QUERY_WORKER_CONFIG_RESPONSE__INIT;
    resp.result = true;
    resp.sourceid = w->source_id;
    resp.content = w->from;
    pthread_mutex_lock(&w->mu);
    sw_count(w, "QueryWorkerConfig");
    pthread_mutex_unlock(&w->mu);
    rpc_server_reply(call, &resp.base);
}

/* an ExecuteDDL waits here while the gate is closed */
static void gate_pass(struct scripted_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->gate_waiting++;
    while (w->gate_closed)
        pthread_cond_wait(&w->gate_cv, &w->mu);
    w->gate_waiting--;
    pthread_mutex_unlock(&w->mu);
}

/* CommonWorkerResponse answers; the DDL ones are recorded as events */
static void h_common(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    if (req->descriptor == &pb__exec_ddlrequest__descriptor)
        gate_pass(w);
    sw_sleep(w);
    Pb__CommonWorkerResponse resp = PB__COMMON_WORKER_RESPONSE__INIT;
    char msg[300] = "";
    resp.result = true;
    const char *name = req->descriptor->short_name;
    pthread_mutex_lock(&w->mu);
    struct sw_event *e = NULL;
    if (req->descriptor == &pb__exec_ddlrequest__descriptor) {
        const Pb__ExecDDLRequest *r = (const Pb__ExecDDLRequest *)req;
        sw_count(w, "ExecuteDDL");
        if ((e = add_event(w, "ExecuteDDL"))) {
            e->flag = r->exec;
            snprintf(e->id, sizeof(e->id), "%s", r->lockid);
            snprintf(e->arg, sizeof(e->arg), "%s", r->n_ddls ? r->ddls[0] : "");
            snprintf(e->trace, sizeof(e->trace), "%s", r->tracegid ? r->tracegid : "");
        }
        if (w->fail_exec) {
            snprintf(msg, sizeof(msg), "%s", w->fail_exec);
            free(w->fail_exec);
            w->fail_exec = NULL;
            resp.result = false;
            resp.msg = msg;
        }
    } else if (req->descriptor == &pb__handle_sub_task_sqls_request__descriptor) {
        const Pb__HandleSubTaskSQLsRequest *r = (const Pb__HandleSubTaskSQLsRequest *)req;
        sw_count(w, "HandleSQLs");
        if ((e = add_event(w, "HandleSQLs"))) {
            e->op = r->op;
            snprintf(e->id, sizeof(e->id), "%s", r->name);
            snprintf(e->arg, sizeof(e->arg), "%s", r->sqlpattern);
        }
    } else if (req->descriptor == &pb__break_ddllock_request__descriptor) {
        const Pb__BreakDDLLockRequest *r = (const Pb__BreakDDLLockRequest *)req;
        sw_count(w, "BreakDDLLock");
        if ((e = add_event(w, "BreakDDLLock"))) {
            e->flag = r->execddl;
            snprintf(e->id, sizeof(e->id), "%s", r->removelockid);
            snprintf(e->arg, sizeof(e->arg), "%s", r->task);
        }
    } else {
        sw_count(w, name);
    }
    pthread_mutex_unlock(&w->mu);
    rpc_server_reply(call, &resp.base);
}

static void h_relay(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct scripted_worker *w = ctx;
    sw_sleep(w);
    Pb__OperateRelayResponse resp = PB__OPERATE_RELAY_RESPONSE__INIT;
    resp.op = ((const Pb__OperateRelayRequest *)req)->op;
    resp.result = true;
    rpc_server_reply(call, &resp.base);
}

/* FetchDDLInfo, worker side: send queued DDLInfo, record the DDLLockInfo answers. */
static int h_fetch(struct rpc_stream *st, void *ctx)
{
    struct scripted_worker *w = ctx;
    pthread_mutex_lock(&w->mu);
    sw_count(w, "FetchDDLInfo");
    pthread_mutex_unlock(&w->mu);
    for (;;) {
        struct sw_ddl d;
        bool have = false;
        pthread_mutex_lock(&w->mu);
        if (w->nddlq > 0) {
            d = w->ddlq[0];
            have = true;
        }
        pthread_mutex_unlock(&w->mu);
        if (have) {
            Pb__DDLInfo info = PB__DDLINFO__INIT;
            char *ddls[SW_MAX_DDLS];
            for (size_t i = 0; i < d.n; i++)
                ddls[i] = d.ddls[i];
            info.task = d.task;
            info.schema = d.schema;
            info.table = d.table;
            info.ddls = ddls;
            info.n_ddls = d.n;
            if (rpc_stream_send(st, &info.base) != DM_OK)
                return RPC_OK;
            pthread_mutex_lock(&w->mu);
            memmove(&w->ddlq[0], &w->ddlq[1], (size_t)(--w->nddlq) * sizeof(w->ddlq[0]));
            pthread_mutex_unlock(&w->mu);
        }
        ProtobufCMessage *m = NULL;
        int rc = rpc_stream_recv(st, 50, &m);
        if (rc == DM_E_TIMEOUT)
            continue;
        if (rc != DM_OK)
            return RPC_OK;
        const Pb__DDLLockInfo *li = (const Pb__DDLLockInfo *)m;
        pthread_mutex_lock(&w->mu);
        w->nlockinfo++;
        snprintf(w->last_lock, sizeof(w->last_lock), "%s", li->id);
        pthread_mutex_unlock(&w->mu);
        protobuf_c_message_free_unpacked(m, NULL);
    }
}

static struct scripted_worker *start_at(const char *source_id, const char *from_toml,
                                        const char *addr, int *port)
{
    struct scripted_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->gate_cv, NULL);
    w->source_id = strdup(source_id);
    w->from = strdup(from_toml ? from_toml : "");
    w->srv = rpc_server_new(addr, 4);
    static const struct { const char *name; rpc_handler_fn fn; } tbl[] = {
        {"StartSubTask", h_start}, {"OperateSubTask", h_operate}, {"QueryTaskOperation", h_query_op},
        {"QueryStatus", h_status}, {"QueryWorkerConfig", h_config}, {"OperateRelay", h_relay},
        {"SwitchRelayMaster", h_common}, {"PurgeRelay", h_common}, {"UpdateRelayConfig", h_common},
        {"MigrateRelay", h_common}, {"BreakDDLLock", h_common}, {"HandleSQLs", h_common},
        {"ExecuteDDL", h_common}};
    for (size_t i = 0; w->srv && i < sizeof(tbl) / sizeof(tbl[0]); i++)
        rpc_server_register(w->srv, rpc_method_find(&pb__worker__descriptor, tbl[i].name), tbl[i].fn, w);
    if (w->srv)
        rpc_server_register_stream(w->srv, rpc_method_find(&pb__worker__descriptor, "FetchDDLInfo"), h_fetch, w);
    if (!w->srv || rpc_server_start(w->srv, port) != DM_OK) {
        sw_stop(w);
        return NULL;
    }
    return w;
}

struct scripted_worker *sw_start(const char *source_id, const char *from_toml, int *port)
{
    return start_at(source_id, from_toml, "127.0.0.1:0", port);
}

struct scripted_worker *sw_start_port(const char *source_id, const char *from_toml, int port)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    return start_at(source_id, from_toml, addr, NULL);
}

void sw_set_delay(struct scripted_worker *w, int ms) { atomic_store(&w->delay_ms, ms); }

void sw_hold_exec(struct scripted_worker *w, bool hold)
{
    pthread_mutex_lock(&w->mu);
    w->gate_closed = hold;
    if (!hold)
        pthread_cond_broadcast(&w->gate_cv);
    pthread_mutex_unlock(&w->mu);
}

int sw_exec_held(struct scripted_worker *w)
{
    pthread_mutex_lock(&w->mu);
    int n = w->gate_waiting;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void sw_fail_next_start(struct scripted_worker *w, const char *msg)
{
    pthread_mutex_lock(&w->mu);
    free(w->fail_next);
    w->fail_next = msg ? strdup(msg) : NULL;
    pthread_mutex_unlock(&w->mu);
}

void sw_fail_next_exec(struct scripted_worker *w, const char *msg)
{
    pthread_mutex_lock(&w->mu);
    free(w->fail_exec);
    w->fail_exec = msg ? strdup(msg) : NULL;
    pthread_mutex_unlock(&w->mu);
}

void sw_set_oplog_errors(struct scripted_worker *w, bool on)
{
    pthread_mutex_lock(&w->mu);
    w->oplog_errors = on;
    pthread_mutex_unlock(&w->mu);
}

void sw_add_subtask(struct scripted_worker *w, const char *name, int stage)
{
    pthread_mutex_lock(&w->mu);
    if (w->ntasks < SW_MAX_TASKS) {
        snprintf(w->tasks[w->ntasks].name, sizeof(w->tasks[0].name), "%s", name);
        w->tasks[w->ntasks++].stage = stage;
    }
    pthread_mutex_unlock(&w->mu);
}

void sw_push_ddl(struct scripted_worker *w, const char *task, const char *schema,
                 const char *table, const char *const *ddls, size_t n)
{
    pthread_mutex_lock(&w->mu);
    if (w->nddlq < SW_MAX_DDLQ) {
        struct sw_ddl *d = &w->ddlq[w->nddlq++];
        memset(d, 0, sizeof(*d));
        snprintf(d->task, sizeof(d->task), "%s", task);
        snprintf(d->schema, sizeof(d->schema), "%s", schema);
        snprintf(d->table, sizeof(d->table), "%s", table);
        for (size_t i = 0; i < n && i < SW_MAX_DDLS; i++)
            snprintf(d->ddls[d->n++], sizeof(d->ddls[0]), "%s", ddls[i]);
    }
    pthread_mutex_unlock(&w->mu);
}

int sw_lock_infos(struct scripted_worker *w, char *last_id, size_t cap)
{
    pthread_mutex_lock(&w->mu);
    int n = w->nlockinfo;
    if (last_id && cap)
        snprintf(last_id, cap, "%s", w->last_lock);
    pthread_mutex_unlock(&w->mu);
    return n;
}

int sw_events(struct scripted_worker *w, struct sw_event *out, int cap)
{
    pthread_mutex_lock(&w->mu);
    int n = w->nevents;
    for (int i = 0; i < n && i < cap; i++)
        out[i] = w->events[i];
    pthread_mutex_unlock(&w->mu);
    return n;
}

void sw_stop(struct scripted_worker *w)
{
    if (!w)
        return;
    if (w->srv) {
        rpc_server_shutdown(w->srv, 100);
        rpc_server_free(w->srv);
    }
    free(w->source_id);
    free(w->from);
    free(w->fail_next);
    free(w->fail_exec);
    pthread_cond_destroy(&w->gate_cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

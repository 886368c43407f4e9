/* h_misc.c - relay RPCs (OperateWorkerRelayTask, SwitchWorkerRelayMaster,
 * PurgeWorkerRelay, UpdateWorkerRelayConfig, MigrateWorkerRelay), BreakWorkerDDLLock and
 * HandleSQLs (dm-v1-wire.md §9.3-§9.5). */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"
#include "terror.h"

enum nf_style {
    NF_PLAIN_WORKER,   /* "worker X relevant worker-client not found" */
    NF_BARE,           /* "X relevant worker-client not found" */
    NF_ARGS_38029      /* DM workerArgsExtractor error (38029) */
};

static char *not_found_msg(enum nf_style st, const char *w)
{
    char buf[700];
    if (st == NF_ARGS_38029)
        return master_terr_code(38029, "dm-master", "high", "%s relevant worker-client not found", w);
    snprintf(buf, sizeof(buf), "%s%s relevant worker-client not found", st == NF_PLAIN_WORKER ? "worker " : "", w);
    return strdup(buf);
}

/* CommonWorkerResponse and OperateRelayResponse share result/worker/msg, at different
 * positions; set them through the descriptor-independent accessors below. */
static void set_entry(ProtobufCMessage *r, bool result, const char *worker, char *msg_take)
{
    if (r->descriptor == &pb__operate_relay_response__descriptor) {
        Pb__OperateRelayResponse *o = (Pb__OperateRelayResponse *)r;
        if (msg_take) {
            o->result = result;
            if (o->msg && *o->msg)
                free(o->msg);
            o->msg = msg_take;
        }
        if (o->worker && *o->worker)
            free(o->worker);
        o->worker = master_strdup(worker);
        return;
    }
    Pb__CommonWorkerResponse *c = (Pb__CommonWorkerResponse *)r;
    if (msg_take) {
        c->result = result;
        if (c->msg && *c->msg)
            free(c->msg);
        c->msg = msg_take;
    }
    if (c->worker && *c->worker)
        free(c->worker);
    c->worker = master_strdup(worker);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fan `req` out to `workers` (sorted in place, as DM sorts req.Workers); returns the
 * entries in that order (NULL entries on out-of-memory are dropped; *n adjusted). */
static ProtobufCMessage **fan_common(struct master *m, char **workers, size_t *n, const char *method,
                                     const ProtobufCMessage *req, bool token, enum nf_style nf,
                                     const ProtobufCMessageDescriptor *resp_desc)
{
    qsort(workers, *n, sizeof(char *), cmp_str);
    ProtobufCMessage **out = (ProtobufCMessage **)master_ptrs_new(*n);
    struct master_callres *res = calloc(*n ? *n : 1, sizeof(*res));
    bool *known = calloc(*n ? *n : 1, sizeof(*known));
    char **call_w = calloc(*n ? *n : 1, sizeof(*call_w));
    size_t ncall = 0;
    if (!out || !res || !known || !call_w) {
        free(out);
        out = NULL;
        goto done;
    }
    for (size_t i = 0; i < *n; i++)
        if ((known[i] = master_worker_known(m, workers[i])))
            call_w[ncall++] = workers[i];
    master_call_many(m, ncall, call_w, method, req, m->cfg.rpc_timeout_ms, token, res);
    size_t k = 0, j = 0;
    for (size_t i = 0; i < *n; i++) {
        const char *w = workers[i];
        struct master_callres one = {DM_E_NOT_FOUND, NULL, NULL, RPC_OK, NULL};
        if (known[i])
            one = res[j++];
        else
            one.errmsg = not_found_msg(nf, w);
        ProtobufCMessage *r = one.resp;
        one.resp = NULL;
        if (!r && !(r = master_msg_new(resp_desc))) {
            master_callres_clear(&one);
            continue;
        }
        char *em = NULL;
        if (one.rc != DM_OK) {
            em = one.errmsg;
            one.errmsg = NULL;
        }
        set_entry(r, one.rc == DM_OK, w, em);
        master_callres_clear(&one);
        out[k++] = r;
    }
    *n = k;
done:
    free(res);
    free(known);
    free(call_w);
    return out;
}

/* response types {result, msg, workers[]} sharing Pb__SwitchWorkerRelayMasterResponse's layout */
static void reply_list(struct rpc_server_call *call, const ProtobufCMessageDescriptor *d,
                       ProtobufCMessage **entries, size_t n)
{
    Pb__SwitchWorkerRelayMasterResponse *resp = master_msg_new(d);
    if (resp) {
        resp->result = true;
        resp->workers = (Pb__CommonWorkerResponse **)entries;
        resp->n_workers = entries ? n : 0;
    } else {
        for (size_t i = 0; entries && i < n; i++)
            protobuf_c_message_free_unpacked(entries[i], NULL);
        free(entries);
    }
    master_reply_free(call, resp ? &resp->base : NULL);
}

static void impl_switch_relay(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    Pb__SwitchWorkerRelayMasterRequest *r = (Pb__SwitchWorkerRelayMasterRequest *)req;
    Pb__SwitchRelayMasterRequest wreq = PB__SWITCH_RELAY_MASTER_REQUEST__INIT;
    size_t n = r->n_workers;
    ProtobufCMessage **e = fan_common(m, r->workers, &n, "SwitchRelayMaster", &wreq.base, true,
                                      NF_ARGS_38029, &pb__common_worker_response__descriptor);
    reply_list(call, &pb__switch_worker_relay_master_response__descriptor, e, n);
}

static void impl_purge_relay(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    Pb__PurgeWorkerRelayRequest *r = (Pb__PurgeWorkerRelayRequest *)req;
    Pb__PurgeRelayRequest wreq = PB__PURGE_RELAY_REQUEST__INIT;
    wreq.inactive = r->inactive;
    wreq.time = r->time;
    wreq.filename = r->filename;
    wreq.subdir = r->subdir;
    size_t n = r->n_workers;
    ProtobufCMessage **e = fan_common(m, r->workers, &n, "PurgeRelay", &wreq.base, false,
                                      NF_PLAIN_WORKER, &pb__common_worker_response__descriptor);
    reply_list(call, &pb__purge_worker_relay_response__descriptor, e, n);
}

static void impl_break_ddl_lock(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    Pb__BreakWorkerDDLLockRequest *r = (Pb__BreakWorkerDDLLockRequest *)req;
    Pb__BreakDDLLockRequest wreq = PB__BREAK_DDLLOCK_REQUEST__INIT;
    wreq.task = r->task;
    wreq.removelockid = r->removelockid;
    wreq.execddl = r->execddl;
    wreq.skipddl = r->skipddl;
    size_t n = r->n_workers;
    for (size_t i = 0; i < r->n_workers; i++) {    /* the operator decides for it now */
        master_ddl_pending_del(m, r->task, NULL, r->workers[i]);
        master_ddl_break_owner(m, r->task, r->workers[i]);
    }
    ProtobufCMessage **e = fan_common(m, r->workers, &n, "BreakDDLLock", &wreq.base, false,
                                      NF_PLAIN_WORKER, &pb__common_worker_response__descriptor);
    reply_list(call, &pb__break_worker_ddllock_response__descriptor, e, n);
}

static void impl_operate_relay(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    Pb__OperateWorkerRelayRequest *r = (Pb__OperateWorkerRelayRequest *)req;
    Pb__OperateRelayRequest wreq = PB__OPERATE_RELAY_REQUEST__INIT;
    wreq.op = r->op;
    size_t n = r->n_workers;
    ProtobufCMessage **e = fan_common(m, r->workers, &n, "OperateRelay", &wreq.base, false, NF_BARE,
                                      &pb__operate_relay_response__descriptor);
    for (size_t i = 0; e && i < n; i++)
        ((Pb__OperateRelayResponse *)e[i])->op = r->op;
    Pb__OperateWorkerRelayResponse *resp = master_msg_new(&pb__operate_worker_relay_response__descriptor);
    if (resp) {
        resp->result = true;   /* top-level op never set, as DM */
        resp->workers = (Pb__OperateRelayResponse **)e;
        resp->n_workers = e ? n : 0;
    }
    master_reply_free(call, resp ? &resp->base : NULL);
}

/* single-worker calls whose response is the worker's CommonWorkerResponse unchanged */
static void single(struct master *m, struct rpc_server_call *call, const char *worker,
                   const char *method, const ProtobufCMessage *wreq)
{
    ProtobufCMessage *r = NULL;
    char *em = NULL;
    if (!master_worker_known(m, worker ? worker : "")) {
        em = not_found_msg(NF_PLAIN_WORKER, worker ? worker : "");
    } else if (master_call(m, worker, method, wreq, m->cfg.rpc_timeout_ms, false, &r, &em) == DM_OK) {
        master_reply_free(call, r);
        return;
    }
    Pb__CommonWorkerResponse *c = master_msg_new(&pb__common_worker_response__descriptor);
    if (c) {
        c->worker = master_strdup(worker);
        c->msg = em;
        em = NULL;
    }
    free(em);
    master_reply_free(call, c ? &c->base : NULL);
}

static void impl_update_relay(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__UpdateWorkerRelayConfigRequest *r = (const Pb__UpdateWorkerRelayConfigRequest *)req;
    Pb__UpdateRelayRequest wreq = PB__UPDATE_RELAY_REQUEST__INIT;
    wreq.content = r->config;
    single(m, call, r->worker, "UpdateRelayConfig", &wreq.base);
}

static void impl_migrate_relay(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__MigrateWorkerRelayRequest *r = (const Pb__MigrateWorkerRelayRequest *)req;
    Pb__MigrateRelayRequest wreq = PB__MIGRATE_RELAY_REQUEST__INIT;
    wreq.binlogname = r->binlogname;
    wreq.binlogpos = r->binlogpos;
    single(m, call, r->worker, "MigrateRelay", &wreq.base);
}


static void impl_handle_sqls(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__HandleSQLsRequest *r = (const Pb__HandleSQLsRequest *)req;
    Pb__HandleSQLsResponse *resp = master_msg_new(&pb__handle_sqls_response__descriptor);
    if (!resp)
        goto out;
    if (r->sharding) {
        char *err = NULL;
        if (master_sqlop_save(m, r, &err) != DM_OK) {
            size_t cap = (err ? strlen(err) : 0) + 64;
            resp->msg = malloc(cap);
            if (resp->msg)
                snprintf(resp->msg, cap, "save request with --sharding error:\n%s", err ? err : "");
        } else {
            resp->result = true;
            resp->msg = strdup("request with --sharding saved and will be sent to DDL lock's owner when resolving DDL lock");
        }
        free(err);
        goto out;
    }
    struct master_strv tw = {NULL, 0};
    master_tw_get_wait(m, r->name, &tw);
    bool match = master_strv_has(&tw, r->worker ? r->worker : "");
    master_strv_clear(&tw);
    if (!match) {
        char buf[800];
        snprintf(buf, sizeof(buf), "task %s and worker %s not match, can try `refresh-worker-tasks` cmd first", r->name, r->worker);
        resp->msg = strdup(buf);
        goto out;
    }
    Pb__HandleSubTaskSQLsRequest wreq = PB__HANDLE_SUB_TASK_SQLS_REQUEST__INIT;
    wreq.name = r->name;
    wreq.op = r->op;
    wreq.n_args = r->n_args;
    wreq.args = r->args;
    wreq.binlogpos = r->binlogpos;
    wreq.sqlpattern = r->sqlpattern;
    ProtobufCMessage *wr = NULL;
    char *em = NULL;
    if (master_call(m, r->worker, "HandleSQLs", &wreq.base, m->cfg.rpc_timeout_ms, false, &wr, &em) != DM_OK) {
        Pb__CommonWorkerResponse *c = master_msg_new(&pb__common_worker_response__descriptor);
        if (c)
            c->msg = em;
        else
            free(em);
        wr = c ? &c->base : NULL;
    }
    resp->workers = (Pb__CommonWorkerResponse **)master_ptrs_new(1);
    if (resp->workers && wr)
        resp->workers[resp->n_workers++] = (Pb__CommonWorkerResponse *)wr;
    else if (wr)
        protobuf_c_message_free_unpacked(wr, NULL);
    resp->result = true;
out:
    master_reply_free(call, resp ? &resp->base : NULL);
}

void master_register_misc(struct master *m)
{
    master_register(m, "SwitchWorkerRelayMaster", impl_switch_relay);
    master_register(m, "PurgeWorkerRelay", impl_purge_relay);
    master_register(m, "BreakWorkerDDLLock", impl_break_ddl_lock);
    master_register(m, "OperateWorkerRelayTask", impl_operate_relay);
    master_register(m, "UpdateWorkerRelayConfig", impl_update_relay);
    master_register(m, "MigrateWorkerRelay", impl_migrate_relay);
    master_register(m, "HandleSQLs", impl_handle_sqls);
}

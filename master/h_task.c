/* h_task.c - StartTask, UpdateTask, CheckTask, OperateTask, GetTaskCfg (dm-v1-wire.md
 * §9.2): task config -> subtask TOMLs (QueryWorkerConfig + prechecks), per-worker
 * StartSubTask/UpdateSubTask/OperateSubTask with the op-log polling of DM's
 * waitOperationOk. */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"
#include "log.h"
#include "subtask.h"
#include "terror.h"

/* ---------- generateSubTask ---------- */

struct gen {
    struct master *m;
    struct master_task_cfg *cfg;
    size_t n;                       /* instances */
    char **workers;                 /* per instance */
    char **tomls;                   /* per instance */
    /* QueryWorkerConfig over the distinct workers */
    struct master_strv qw;
    char **q_source;                /* per qw: sourceID answered */
    struct master_db_cfg **q_db;    /* per qw */
    char **q_err;                   /* per qw */
};

static void gen_free(struct gen *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->workers ? g->workers[i] : NULL);
        free(g->tomls ? g->tomls[i] : NULL);
    }
    free(g->workers);
    free(g->tomls);
    for (size_t i = 0; i < g->qw.n; i++) {
        free(g->q_source[i]);
        master_dbcfg_free(g->q_db[i]);
        free(g->q_err[i]);
    }
    free(g->q_source);
    free(g->q_db);
    free(g->q_err);
    master_strv_clear(&g->qw);
    master_taskcfg_free(g->cfg);
    memset(g, 0, sizeof(*g));
}

/* handle worker i's QueryWorkerConfig answer (rc, r, em owned) */
static void worker_config_done(struct gen *g, size_t i, int rc, ProtobufCMessage *r, char *em)
{
    const char *w = g->qw.items[i];
    if (rc == DM_E_UNAVAILABLE && em) {
        /* terror.Annotatef(err, "fetch config of worker %s") */
        const char *body = strchr(em, ']');
        char *prefix = strndup(em, body ? (size_t)(body - em + 2) : 0);
        size_t cap = strlen(em) + strlen(w) + 64;
        g->q_err[i] = malloc(cap);
        if (g->q_err[i] && prefix)
            snprintf(g->q_err[i], cap, "%sfetch config of worker %s: %s", prefix, w, body ? body + 2 : em);
        free(prefix);
        free(em);
        return;
    }
    if (rc != DM_OK) {
        g->q_err[i] = em;
        return;
    }
    Pb__QueryWorkerConfigResponse *resp = (Pb__QueryWorkerConfigResponse *)r;
    char *derr = NULL;
    if (!resp->result)
        g->q_err[i] = master_terr_code(38030, "dm-master", "high", "fail to query config from worker %s, message %s", w, resp->msg);
    else if (!resp->content || !*resp->content)
        g->q_err[i] = master_terr_code(38030, "dm-master", "high", "fail to query config from worker %s, config is empty", w);
    else if (!resp->sourceid || !*resp->sourceid)
        g->q_err[i] = master_terr_code(38030, "dm-master", "high", "fail to query config from worker %s, source ID is empty, it should be set in worker config", w);
    else if (master_dbcfg_from_toml(resp->content, &g->q_db[i], &derr) != DM_OK) {
        const char *body = derr ? strchr(derr, ']') : NULL;
        g->q_err[i] = master_terr_code(20002, "dm-master", "medium", "unmarshal worker %s config, resp: %s: %s",
                                       w, resp->content, body ? body + 2 : "decode db config");
        free(derr);
    } else {
        g->q_source[i] = strdup(resp->sourceid);
    }
    protobuf_c_message_free_unpacked(r, NULL);
}

static int query_worker_configs(struct gen *g)
{
    struct master_callres *res = calloc(g->qw.n + 1, sizeof(*res));
    if (!res)
        return DM_E_NOMEM;
    Pb__QueryWorkerConfigRequest req = PB__QUERY_WORKER_CONFIG_REQUEST__INIT;
    master_call_many(g->m, g->qw.n, g->qw.items, "QueryWorkerConfig", &req.base, g->m->cfg.rpc_timeout_ms,
                     true, res);
    for (size_t i = 0; i < g->qw.n; i++) {
        worker_config_done(g, i, res[i].rc, res[i].resp, res[i].rc == DM_OK ? NULL : res[i].errmsg);
        res[i].resp = NULL;
        if (res[i].rc != DM_OK)
            res[i].errmsg = NULL;
        master_callres_clear(&res[i]);
    }
    free(res);
    return DM_OK;
}

static int gen_prepare(struct gen *g, char **err)
{
    g->n = g->cfg->instances.n;
    g->workers = calloc(g->n, sizeof(char *));
    g->tomls = calloc(g->n, sizeof(char *));
    if (!g->workers || !g->tomls)
        return DM_E_NOMEM;
    for (size_t i = 0; i < g->n; i++) {
        const struct master_instance *in = g->cfg->instances.items[i];
        g->workers[i] = master_deploy_worker(g->m, in->source_id);
        if (!g->workers[i]) {
            *err = master_terr_code(38028, "dm-master", "high", "%s relevant worker not found", in->source_id);
            return DM_E_INVAL;
        }
        if (!master_strv_has(&g->qw, g->workers[i]) && master_worker_known(g->m, g->workers[i]) &&
            master_strv_add(&g->qw, g->workers[i]) != DM_OK)
            return DM_E_NOMEM;
    }
    g->q_source = calloc(g->qw.n + 1, sizeof(char *));
    g->q_db = calloc(g->qw.n + 1, sizeof(void *));
    g->q_err = calloc(g->qw.n + 1, sizeof(char *));
    return g->q_source && g->q_db && g->q_err ? DM_OK : DM_E_NOMEM;
}

/* DM generateSubTask: decode, resolve workers, fetch sources, build subtasks, precheck. */
static int generate_subtasks(struct master *m, const char *yaml, struct gen *g, char **err)
{
    memset(g, 0, sizeof(*g));
    g->m = m;
    *err = NULL;
    int rc = master_taskcfg_parse(yaml ? yaml : "", yaml ? strlen(yaml) : 0, &g->cfg, err);
    if (rc == DM_OK)
        rc = gen_prepare(g, err);
    if (rc != DM_OK)
        return rc;
    if ((rc = query_worker_configs(g)) != DM_OK)
        return rc;
    for (size_t i = 0; i < g->qw.n; i++)
        if (g->q_err[i]) {
            *err = g->q_err[i];
            g->q_err[i] = NULL;
            return DM_E_INVAL;
        }
    struct master_db_cfg **src = calloc(g->n, sizeof(*src));
    if (!src)
        return DM_E_NOMEM;
    for (size_t i = 0; i < g->n && rc == DM_OK; i++) {
        const struct master_instance *in = g->cfg->instances.items[i];
        for (size_t j = 0; j < g->qw.n; j++)
            if (g->q_source[j] && strcmp(g->q_source[j], in->source_id) == 0)
                src[i] = g->q_db[j];
        if (!src[i]) {
            *err = master_terr_code(20031, "dm-master", "medium", "source %s in deployment configuration not found", in->source_id);
            rc = DM_E_INVAL;
            break;
        }
        rc = master_subtask_toml(g->cfg, i, src[i], &g->tomls[i], err);
    }
    if (rc == DM_OK)
        rc = master_precheck(g->cfg, src, err);
    free(src);
    if (rc != DM_OK && !*err && rc != DM_E_NOMEM)
        *err = strdup("internal error");
    return rc;
}

/* ---------- op-log polling (DM waitOperationOk / handleOperationResult) ---------- */

/* 38032: how a failed subtask operation surfaces in the master's answer */
static char *op_not_success(int64_t log_id, const char *task, const char *worker, const char *text)
{
    return master_terr_code(38032, "dm-master", "high", "operation %lld of task %s on worker %s not success: %s",
                            (long long)log_id, task, worker, text);
}

/* A worker's subtask stage error (DM's worker answers them through the op-log; a worker
 * may also send them as the gRPC error of the call): 40050 not running, 40051 not
 * paused, 40052 update stage, 40054 subtask not found, 40055 subtask exists. */
static bool is_stage_error(const char *details)
{
    static const char *const codes[] = {"[code=40050:", "[code=40051:", "[code=40052:",
                                        "[code=40054:", "[code=40055:"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strncmp(details, codes[i], strlen(codes[i])) == 0)
            return true;
    return false;
}

static char *wait_operation(struct master *m, const char *task, const char *worker, int64_t log_id)
{
    Pb__QueryTaskOperationRequest req = PB__QUERY_TASK_OPERATION_REQUEST__INIT;
    req.name = (char *)task;
    req.logid = log_id;
    for (int n = 0; n < m->cfg.op_poll_max; n++) {
        ProtobufCMessage *r = NULL;
        char *em = NULL;
        if (master_call(m, worker, "QueryTaskOperation", &req.base, m->cfg.rpc_timeout_ms, false, &r, &em) != DM_OK) {
            dm_log_kv(DM_LOG_ERROR, "fail to query task operation", "task", task, "worker", worker, "error", em, NULL);
            free(em);
        } else {
            Pb__QueryTaskOperationResponse *resp = (Pb__QueryTaskOperationResponse *)r;
            char *out = NULL;
            bool done = true;
            if (!resp->log)
                out = master_terr_code(38031, "dm-master", "high", "operation %lld of task %s on worker %s not found, please execute `query-status` to check status", (long long)log_id, task, worker);
            else if (resp->log->success)
                out = NULL;
            else if (resp->log->message && *resp->log->message)
                out = op_not_success(log_id, task, worker, resp->log->message);
            else
                done = false;
            protobuf_c_message_free_unpacked(r, NULL);
            if (done)
                return out;
        }
        if (!master_sleep(m, m->cfg.op_poll_interval_ms))
            break;
    }
    return master_terr_code(38033, "dm-master", "high", "request to dm-worker %s is timeout, but request may be successful, please execute `query-status` to check status", worker);
}

static Pb__CommonWorkerResponse *cwr_new(bool result, const char *worker, char *msg_take)
{
    Pb__CommonWorkerResponse *c = master_msg_new(&pb__common_worker_response__descriptor);
    if (!c) {
        free(msg_take);
        return NULL;
    }
    c->result = result;
    c->worker = master_strdup(worker);
    if (msg_take)
        c->msg = msg_take;
    return c;
}

/* one subtask operation: call + polling; returns the worker's OperateSubTaskResponse
 * (meta filled with the worker address) */
static Pb__OperateSubTaskResponse *operate_one(struct master *m, const char *worker, const char *task,
                                               const char *method, const ProtobufCMessage *req,
                                               bool *dispatched)
{
    ProtobufCMessage *r = NULL;
    char *em = NULL;
    int status = RPC_OK;
    char details[1024];
    int rc = master_call_ex(m, worker, method, req, m->cfg.rpc_timeout_ms, true, &r, &em, &status,
                            details, sizeof(details));
    *dispatched = rc != DM_E_RATE_LIMITED && rc != DM_E_NOT_FOUND;
    Pb__OperateSubTaskResponse *resp = (Pb__OperateSubTaskResponse *)r;
    if (rc != DM_OK && status != RPC_OK && is_stage_error(details)) {
        /* the same failed operation as an op-log entry would report: no log was written */
        free(em);
        em = op_not_success(0, task, worker, details);
    }
    if (rc != DM_OK) {
        resp = master_msg_new(&pb__operate_sub_task_response__descriptor);
        if (!resp) {
            free(em);
            return NULL;
        }
        resp->meta = cwr_new(false, worker, em);
        return resp;
    }
    char *werr = wait_operation(m, task, worker, resp->logid);
    if (werr || !resp->meta) {
        if (resp->meta)
            protobuf_c_message_free_unpacked(&resp->meta->base, NULL);
        resp->meta = cwr_new(werr == NULL, worker, werr);
    } else {
        if (resp->meta->worker && *resp->meta->worker)
            free(resp->meta->worker);
        resp->meta->worker = master_strdup(worker);
        if (!resp->meta->msg || !*resp->meta->msg)
            resp->meta->result = true;
    }
    return resp;
}

/* ---------- StartTask / UpdateTask ---------- */

struct fan {
    struct master *m;
    const char *task;
    bool update;
    size_t n;
    char **workers;                      /* borrowed */
    char **tomls;                        /* borrowed */
    Pb__CommonWorkerResponse **out;
    bool *dispatched;
};

static void start_one(void *ctx, size_t i)
{
    struct fan *f = ctx;
    Pb__StartSubTaskRequest sreq = PB__START_SUB_TASK_REQUEST__INIT;
    Pb__UpdateSubTaskRequest ureq = PB__UPDATE_SUB_TASK_REQUEST__INIT;
    sreq.task = ureq.task = f->tomls[i];
    Pb__OperateSubTaskResponse *r = operate_one(f->m, f->workers[i], f->task,
                                                f->update ? "UpdateSubTask" : "StartSubTask",
                                                f->update ? &ureq.base : &sreq.base, &f->dispatched[i]);
    if (r) {
        f->out[i] = r->meta;
        r->meta = NULL;
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
}

static int cmp_cwr(const void *a, const void *b)
{
    const Pb__CommonWorkerResponse *x = *(Pb__CommonWorkerResponse *const *)a;
    const Pb__CommonWorkerResponse *y = *(Pb__CommonWorkerResponse *const *)b;
    return strcmp(x->worker ? x->worker : "", y->worker ? y->worker : "");
}

/* StartTask (update=false) and UpdateTask (update=true): both responses have the same
 * layout {result, msg, workers[] CommonWorkerResponse}. */
static void start_or_update(struct master *m, struct rpc_server_call *call, const char *yaml,
                            char **req_workers, size_t n_req, bool update)
{
    const ProtobufCMessageDescriptor *d = update ? &pb__update_task_response__descriptor
                                                 : &pb__start_task_response__descriptor;
    Pb__StartTaskResponse *resp = master_msg_new(d);   /* same struct layout as UpdateTaskResponse */
    struct gen g;
    char *err = NULL;
    struct fan f;
    memset(&f, 0, sizeof(f));
    memset(&g, 0, sizeof(g));
    if (!resp)
        goto out;
    int rc = generate_subtasks(m, yaml, &g, &err);
    if (rc != DM_OK) {
        resp->result = false;
        resp->msg = err ? err : master_strdup(dm_strerror(rc));
        err = NULL;
        goto out;
    }
    size_t cap = g.n + n_req;
    f = (struct fan){m, g.cfg->name, update, 0, calloc(cap + 1, sizeof(char *)),
                     calloc(cap + 1, sizeof(char *)), (Pb__CommonWorkerResponse **)master_ptrs_new(cap),
                     calloc(cap + 1, sizeof(bool))};
    resp->workers = (Pb__CommonWorkerResponse **)master_ptrs_new(cap);
    if (!f.workers || !f.tomls || !f.out || !f.dispatched || !resp->workers)
        goto out;
    if (n_req == 0) {
        for (size_t i = 0; i < g.n; i++) {
            f.workers[f.n] = g.workers[i];
            f.tomls[f.n++] = g.tomls[i];
        }
    } else {
        for (size_t k = 0; k < n_req; k++) {
            size_t i;
            for (i = 0; i < g.n && strcmp(g.workers[i], req_workers[k]); i++)
                ;
            if (i < g.n && master_worker_known(m, g.workers[i])) {
                f.workers[f.n] = g.workers[i];
                f.tomls[f.n++] = g.tomls[i];
            } else {
                resp->workers[resp->n_workers++] = cwr_new(false, req_workers[k],
                    strdup("worker not found in task's config or deployment config"));
            }
        }
    }
    master_parallel(f.n, start_one, &f);
    struct master_strv valid = {NULL, 0};
    bool any_ok = false;
    for (size_t i = 0; i < f.n; i++) {
        if (f.out[i])
            resp->workers[resp->n_workers++] = f.out[i];
        any_ok = any_ok || (f.out[i] && f.out[i]->result);
        if (f.dispatched[i])
            master_strv_add(&valid, f.workers[i]);
    }
    qsort(resp->workers, resp->n_workers, sizeof(*resp->workers), cmp_cwr);
    if (!update)
        master_tw_add(m, g.cfg->name, &valid, n_req == 0);
    if (any_ok && master_taskstore_put(m, g.cfg->name, yaml) != DM_OK)
        dm_log_kv(DM_LOG_ERROR, "cannot persist task config", "task", g.cfg->name, NULL);
    master_strv_clear(&valid);
    resp->result = true;
out:
    free(err);
    free(f.workers);
    free(f.tomls);
    free(f.out);
    free(f.dispatched);
    gen_free(&g);
    master_reply_free(call, resp ? &resp->base : NULL);
}

static void impl_start_task(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__StartTaskRequest *r = (const Pb__StartTaskRequest *)req;
    dm_log_kv(DM_LOG_INFO, "request", "request", "StartTask", NULL);
    start_or_update(m, call, r->task, r->workers, r->n_workers, false);
}

static void impl_update_task(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__UpdateTaskRequest *r = (const Pb__UpdateTaskRequest *)req;
    dm_log_kv(DM_LOG_INFO, "request", "request", "UpdateTask", NULL);
    start_or_update(m, call, r->task, r->workers, r->n_workers, true);
}

static void impl_check_task(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__CheckTaskRequest *r = (const Pb__CheckTaskRequest *)req;
    Pb__CheckTaskResponse *resp = master_msg_new(&pb__check_task_response__descriptor);
    struct gen g;
    char *err = NULL;
    int rc = generate_subtasks(m, r->task, &g, &err);
    if (resp) {
        resp->result = rc == DM_OK;
        resp->msg = rc == DM_OK ? strdup("check pass!!!") : (err ? err : master_strdup(dm_strerror(rc)));
        err = NULL;
    }
    free(err);
    gen_free(&g);
    master_reply_free(call, resp ? &resp->base : NULL);
}

/* ---------- OperateTask ---------- */

struct opfan {
    struct master *m;
    const Pb__OperateTaskRequest *req;
    struct master_strv workers;
    Pb__OperateSubTaskResponse **out;
};

static void operate_worker(void *ctx, size_t i)
{
    struct opfan *f = ctx;
    Pb__OperateSubTaskRequest sreq = PB__OPERATE_SUB_TASK_REQUEST__INIT;
    sreq.op = f->req->op;
    sreq.name = f->req->name;
    bool disp;
    f->out[i] = operate_one(f->m, f->workers.items[i], f->req->name, "OperateSubTask", &sreq.base, &disp);
    if (f->out[i])
        f->out[i]->op = f->req->op;
}

static void impl_operate_task(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__OperateTaskRequest *r = (const Pb__OperateTaskRequest *)req;
    Pb__OperateTaskResponse *resp = master_msg_new(&pb__operate_task_response__descriptor);
    struct opfan f = {m, r, {NULL, 0}, NULL};
    if (!resp)
        goto out;
    resp->op = r->op;
    master_tw_get_wait(m, r->name, &f.workers);
    if (f.workers.n == 0) {
        char buf[700];
        snprintf(buf, sizeof(buf), "task %s has no workers or not exist, can try `refresh-worker-tasks` cmd first", r->name);
        resp->msg = strdup(buf);
        goto out;
    }
    if (r->n_workers > 0) {
        master_strv_clear(&f.workers);
        master_strv_copy(&f.workers, r->workers, r->n_workers);
    }
    f.out = (Pb__OperateSubTaskResponse **)master_ptrs_new(f.workers.n);
    if (!f.out)
        goto out;
    master_parallel(f.workers.n, operate_worker, &f);
    struct master_strv ok = {NULL, 0};
    for (size_t i = 0; i < f.workers.n; i++)
        if (f.out[i] && f.out[i]->meta && (!f.out[i]->meta->msg || !*f.out[i]->meta->msg))
            master_strv_add(&ok, f.workers.items[i]);
    resp->workers = f.out;
    resp->n_workers = f.workers.n;
    f.out = NULL;
    if (r->op == PB__TASK_OP__Stop) {
        master_tw_remove(m, r->name, &ok);
        struct master_strv left = {NULL, 0};
        master_tw_get(m, r->name, &left);
        if (left.n == 0 && ok.n > 0)
            master_taskstore_del(m, r->name);
        master_strv_clear(&left);
    }
    master_strv_clear(&ok);
    resp->result = true;
out:
    free(f.out);
    master_strv_clear(&f.workers);
    master_reply_free(call, resp ? &resp->base : NULL);
}

/* ---------- GetTaskCfg (extension) ---------- */

static void impl_get_task_cfg(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__GetTaskCfgRequest *r = (const Pb__GetTaskCfgRequest *)req;
    Pb__GetTaskCfgResponse *resp = master_msg_new(&pb__get_task_cfg_response__descriptor);
    char *yaml = NULL;
    if (resp) {
        int rc = r->name && *r->name ? master_taskstore_get(m, r->name, &yaml) : DM_E_NOT_FOUND;
        if (rc == DM_OK) {
            resp->result = true;
            resp->cfg = yaml;
        } else {
            char buf[700];
            /* DM v1.0's words for an unknown task (the gateway maps them to 404) */
            snprintf(buf, sizeof(buf), "task %s has no workers or not exist, can try "
                     "`refresh-worker-tasks` cmd first", r->name ? r->name : "");
            resp->msg = strdup(rc == DM_E_NOT_FOUND ? buf : dm_strerror(rc));
        }
    }
    master_reply_free(call, resp ? &resp->base : NULL);
}

void master_register_task(struct master *m)
{
    master_register(m, "StartTask", impl_start_task);
    master_register(m, "UpdateTask", impl_update_task);
    master_register(m, "CheckTask", impl_check_task);
    master_register(m, "OperateTask", impl_operate_task);
    master_register(m, "GetTaskCfg", impl_get_task_cfg);
}

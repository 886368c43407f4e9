/* service.c - pb.Worker handlers (see service.h). */
#include "service.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binlog.h"
#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "gtid.h"
#include "log.h"
#include "rpc.h"

struct worker_service {
    struct worker *w;
    struct rpc_server *srv;
    atomic_bool closing;
    pthread_mutex_t status_mu;         /* guards status_conn (handlers run on many threads) */
    struct bl_status_conn status_conn; /* the source connection QueryStatus reuses */
};

/* A tiny arena: every allocation of one response, freed together after the reply. */
struct arena {
    void **p;
    size_t n, cap;
};

static void *arena_add(struct arena *a, void *p)
{
    if (!p)
        return NULL;
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 32;
        void **tmp = realloc(a->p, nc * sizeof *tmp);
        if (!tmp) {
            free(p);
            return NULL;
        }
        a->p = tmp;
        a->cap = nc;
    }
    a->p[a->n++] = p;
    return p;
}

static void *arena_calloc(struct arena *a, size_t sz) { return arena_add(a, calloc(1, sz)); }

static char *arena_strdup(struct arena *a, const char *s)
{
    char *d = arena_add(a, strdup(s ? s : ""));
    return d ? d : (char *)"";
}

static char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *arena_printf(struct arena *a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return arena_strdup(a, buf);
}

static void arena_free(struct arena *a)
{
    size_t i;
    for (i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
}

/* ---- subtask operations ---- */

static void reply_op(struct rpc_server_call *call, int rc, int op, int64_t id, const char *err)
{
    Pb__OperateSubTaskResponse resp = PB__OPERATE_SUB_TASK_RESPONSE__INIT;
    Pb__CommonWorkerResponse meta = PB__COMMON_WORKER_RESPONSE__INIT;
    if (rc) {
        rpc_server_reply_error(call, RPC_UNKNOWN, err);
        return;
    }
    meta.result = 1;
    resp.meta = &meta;
    resp.op = (Pb__TaskOp)op;
    resp.logid = id;
    rpc_server_reply(call, &resp.base);
}

static void h_start(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__StartSubTaskRequest *req = (const Pb__StartSubTaskRequest *)m;
    char err[1500] = "";
    int64_t id = 0;
    int rc = worker_start_subtask(s->w, req->task ? req->task : "", &id, err, sizeof err);
    reply_op(call, rc, PB__TASK_OP__Start, id, err);
}

/* A pause/stop may wait on its target (flush + join, up to the stop grace): it runs on a
 * thread of its own, so the server's completion-queue threads keep answering
 * query-status and every other call meanwhile (rpc_server_shutdown waits for its reply). */
struct op_job {
    struct worker_service *s;
    struct rpc_server_call *call;
    int op;
    char *name;                             /* copied: the thread does not touch the request */
};

static void run_op(struct op_job *j)
{
    char err[1500] = "";
    int64_t id = 0;
    int rc = worker_operate_subtask(j->s->w, j->name ? j->name : "", j->op, &id, err,
                                    sizeof err);
    reply_op(j->call, rc, j->op, id, err);
}

static void *op_thread(void *arg)
{
    struct op_job *j = arg;
    run_op(j);
    free(j->name);
    free(j);
    return NULL;
}

static void h_operate(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    const Pb__OperateSubTaskRequest *req = (const Pb__OperateSubTaskRequest *)m;
    struct op_job *j = calloc(1, sizeof *j);
    struct op_job local = { ctx, call, (int)req->op, (char *)(req->name ? req->name : "") };
    pthread_attr_t at;
    pthread_t th;
    bool started = false;
    if (j && (j->name = strdup(local.name)) && pthread_attr_init(&at) == 0) {
        j->s = local.s;
        j->call = call;
        j->op = local.op;
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&th, &at, op_thread, j) == 0;
        pthread_attr_destroy(&at);
    }
    if (!started) {
        if (j)
            free(j->name);
        free(j);
        run_op(&local);   /* no thread: answer inline (may hold this queue's thread) */
    }
}

static void h_update(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__UpdateSubTaskRequest *req = (const Pb__UpdateSubTaskRequest *)m;
    char err[1500] = "";
    int64_t id = 0;
    int rc = worker_update_subtask(s->w, req->task ? req->task : "", &id, err, sizeof err);
    reply_op(call, rc, PB__TASK_OP__Update, id, err);
}

static void h_query_op(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__QueryTaskOperationRequest *req = (const Pb__QueryTaskOperationRequest *)m;
    Pb__QueryTaskOperationResponse resp = PB__QUERY_TASK_OPERATION_RESPONSE__INIT;
    Pb__CommonWorkerResponse meta = PB__COMMON_WORKER_RESPONSE__INIT;
    Pb__TaskLog log = PB__TASK_LOG__INIT;
    Pb__TaskMeta tm = PB__TASK_META__INIT;
    struct worker_oplog_entry e;
    bool found = false;
    if (worker_query_log(s->w, req->logid, &e, &found)) {
        rpc_server_reply_error(call, RPC_UNKNOWN, "read operation log failed");
        return;
    }
    meta.result = 1;
    resp.meta = &meta;
    if (found) {
        tm.op = (Pb__TaskOp)e.op;
        tm.stage = (Pb__Stage)e.stage;
        tm.name = e.name;
        log.id = e.id;
        log.task = &tm;
        log.ts = e.ts;
        log.success = e.success;
        log.message = e.message;
        resp.log = &log;
    }
    rpc_server_reply(call, &resp.base);
}

/* ---- status ---- */

struct master_pos {
    bool ok;
    char file[256];
    uint64_t pos;
    char gtid[512];
};

static void master_status(struct worker_service *s, struct master_pos *mp)
{
    struct worker *w = s->w;
    const struct worker_config *c = worker_from(w);
    struct bl_source src = { c->from_host, (int)c->from_port, c->from_user,
                             c->from_password_plain, (uint32_t)worker_cfg(w)->server_id, 0,
                             false };
    char err[256];
    memset(mp, 0, sizeof *mp);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    /* The kept connection answers in well under a millisecond; a caller still waiting after
     * 2 s is behind a hung source (up to the 30 s read timeout): it asks on its own one-off
     * connection rather than queue behind every earlier caller's timeout. */
    if (pthread_mutex_timedlock(&s->status_mu, &until) != 0) {
        mp->ok = bl_source_status(&src, mp->file, sizeof mp->file, &mp->pos, mp->gtid,
                                  sizeof mp->gtid, err, sizeof err) == DM_OK;
        return;
    }
    mp->ok = bl_status_conn_query(&s->status_conn, &src, mp->file, sizeof mp->file, &mp->pos,
                                  mp->gtid, sizeof mp->gtid, err, sizeof err) == DM_OK;
    pthread_mutex_unlock(&s->status_mu);
}

static char *pos_str(struct arena *a, const char *file, uint64_t pos)
{
    return arena_printf(a, "(%s, %llu)", file, (unsigned long long)pos);
}

/* One ProcessResult (the subtask's or the relay's): NULL while Running without error. */
static Pb__ProcessResult *result_of(struct arena *a, int stage, bool has_error, bool canceled,
                                    const struct worker_terr *err)
{
    Pb__ProcessResult *r;
    Pb__ProcessError *pe;
    Pb__TError *te;
    if ((stage == PB__STAGE__Running && !has_error) || (!has_error && !canceled))
        return NULL;
    r = arena_calloc(a, sizeof *r);
    if (!r)
        return NULL;
    pb__process_result__init(r);
    r->iscanceled = canceled;
    if (!has_error)
        return r;
    pe = arena_calloc(a, sizeof *pe);
    te = arena_calloc(a, sizeof *te);
    r->errors = arena_calloc(a, sizeof *r->errors);
    if (!pe || !te || !r->errors)
        return r;
    pb__process_error__init(pe);
    pb__terror__init(te);
    te->errcode = err->code;
    te->errclass = (int32_t)err->cls;
    te->errscope = (int32_t)err->scope;
    te->errlevel = (int32_t)err->level;
    te->message = arena_strdup(a, err->msg);
    pe->type = err->cls == WTE_CLASS_DATABASE ? PB__ERROR_TYPE__ExecSQL
                                                   : PB__ERROR_TYPE__UnknownError;
    {
        char buf[1300];
        worker_terr_string(err, buf, sizeof buf);
        pe->msg = arena_strdup(a, buf);
    }
    pe->error = te;
    r->errors[0] = pe;
    r->n_errors = 1;
    return r;
}

static Pb__ProcessResult *process_result(struct arena *a, const struct worker_subtask_status *st)
{
    if (st->stage == PB__STAGE__Running)
        return NULL;
    return result_of(a, st->stage, st->has_error, st->canceled, &st->error);
}

/* JSON array of strings -> arena strings. */
static char **str_list(struct arena *a, json_t *arr, size_t *n)
{
    size_t i, cnt = json_array_size(arr);
    char **out = arena_calloc(a, (cnt + 1) * sizeof *out);
    json_t *v;
    *n = 0;
    if (!out)
        return NULL;
    json_array_foreach(arr, i, v)
        out[(*n)++] = arena_strdup(a, json_string_value(v));
    return out;
}

/* is-sharding: DM's blockingDDLs and unresolvedGroups (worker_syncer_shard_json). */
static void shard_status(struct arena *a, Pb__SyncStatus *ss, const char *js)
{
    json_t *o = js ? json_loads(js, 0, NULL) : NULL, *gs, *g;
    size_t i;
    if (!o)
        return;
    ss->blockingddls = str_list(a, json_object_get(o, "blockingDDLs"), &ss->n_blockingddls);
    gs = json_object_get(o, "unresolvedGroups");
    ss->unresolvedgroups = arena_calloc(a, (json_array_size(gs) + 1) *
                                               sizeof *ss->unresolvedgroups);
    json_array_foreach(gs, i, g) {
        Pb__ShardingGroup *sg = arena_calloc(a, sizeof *sg);
        if (!sg || !ss->unresolvedgroups)
            break;
        pb__sharding_group__init(sg);
        sg->target = arena_strdup(a, json_string_value(json_object_get(g, "target")));
        sg->firstpos = arena_strdup(a, json_string_value(json_object_get(g, "firstPos")));
        sg->ddls = str_list(a, json_object_get(g, "DDLs"), &sg->n_ddls);
        sg->synced = str_list(a, json_object_get(g, "synced"), &sg->n_synced);
        sg->unsynced = str_list(a, json_object_get(g, "unsynced"), &sg->n_unsynced);
        ss->unresolvedgroups[ss->n_unresolvedgroups++] = sg;
    }
    json_decref(o);
}

static Pb__SyncStatus *sync_status(struct arena *a, const struct worker_subtask_status *st,
                                   const struct master_pos *mp)
{
    Pb__SyncStatus *ss = arena_calloc(a, sizeof *ss);
    if (!ss)
        return NULL;
    pb__sync_status__init(ss);
    ss->totalevents = st->sync.total_events;
    ss->totaltps = st->sync.total_tps;
    ss->recenttps = st->sync.recent_tps;
    if (mp->ok) {
        ss->masterbinlog = pos_str(a, mp->file, mp->pos);
        ss->masterbinloggtid = arena_strdup(a, mp->gtid);
    }
    if (st->sync.have_pos) {
        ss->syncerbinlog = pos_str(a, st->sync.syncer_file, st->sync.syncer_pos);
        ss->syncerbinloggtid = arena_strdup(a, st->sync.syncer_gtid);
    }
    ss->synced = mp->ok && st->sync.have_pos && st->stage == PB__STAGE__Running &&
                 strcmp(mp->file, st->sync.syncer_file) == 0 && mp->pos == st->sync.syncer_pos;
    shard_status(a, ss, st->shard_json);
    return ss;
}

/* DM v1.0's LoadStatus: progress "%.2f %%" of the data bytes. */
static Pb__LoadStatus *load_status(struct arena *a, const struct worker_subtask_status *st)
{
    Pb__LoadStatus *ls = arena_calloc(a, sizeof *ls);
    if (!ls)
        return NULL;
    pb__load_status__init(ls);
    ls->finishedbytes = st->load.finished_bytes;
    ls->totalbytes = st->load.total_bytes;
    ls->progress = arena_printf(a, "%.2f %%", st->load.total_bytes > 0
                                                  ? (double)st->load.finished_bytes * 100.0 /
                                                        (double)st->load.total_bytes
                                                  : 0.0);
    ls->metabinlog = arena_strdup(a, st->load.meta_binlog);
    return ls;
}

static Pb__SubTaskStatus *subtask_status(struct arena *a, const struct worker_subtask_status *st,
                                         const struct master_pos *mp)
{
    Pb__SubTaskStatus *s = arena_calloc(a, sizeof *s);
    if (!s)
        return NULL;
    pb__sub_task_status__init(s);
    s->name = arena_strdup(a, st->name);
    s->stage = (Pb__Stage)st->stage;
    s->unit = (Pb__UnitType)st->unit;
    s->result = process_result(a, st);
    if (st->ddl_lock_id[0])
        s->unresolvedddllockid = arena_strdup(a, st->ddl_lock_id);
    if (st->unit == PB__UNIT_TYPE__Dump) {
        s->dump = arena_calloc(a, sizeof *s->dump);
        if (s->dump) {
            pb__dump_status__init(s->dump);
            s->status_case = PB__SUB_TASK_STATUS__STATUS_DUMP;
        }
        return s;
    }
    if (st->unit == PB__UNIT_TYPE__Load) {
        s->load = load_status(a, st);
        if (s->load)
            s->status_case = PB__SUB_TASK_STATUS__STATUS_LOAD;
        return s;
    }
    s->sync = sync_status(a, st, mp);
    s->status_case = s->sync ? PB__SUB_TASK_STATUS__STATUS_SYNC : PB__SUB_TASK_STATUS__STATUS__NOT_SET;
    return s;
}

static Pb__SubTaskStatus *missing_status(struct arena *a, const char *name)
{
    Pb__SubTaskStatus *s = arena_calloc(a, sizeof *s);
    if (!s)
        return NULL;
    pb__sub_task_status__init(s);
    s->name = arena_strdup(a, name);
    s->status_case = PB__SUB_TASK_STATUS__STATUS_MSG;
    s->msg = arena_printf(a, "no sub task with name %s has started", name);
    return s;
}

static const Pb__Stage relay_stages[] = {
    [WORKER_RELAY_NEW] = PB__STAGE__New, [WORKER_RELAY_RUNNING] = PB__STAGE__Running,
    [WORKER_RELAY_PAUSED] = PB__STAGE__Paused, [WORKER_RELAY_STOPPED] = PB__STAGE__Stopped,
};

/* relayStatus (DM's Relay.Status + holder stage/result). */
static Pb__RelayStatus *relay_status(struct arena *a, struct worker *w, const struct master_pos *mp)
{
    Pb__RelayStatus *r = arena_calloc(a, sizeof *r);
    struct worker_relay *rl = worker_relay_of(w);
    struct worker_relay_status st;
    if (!r)
        return NULL;
    pb__relay_status__init(r);
    if (mp->ok) {
        r->masterbinlog = pos_str(a, mp->file, mp->pos);
        r->masterbinloggtid = arena_strdup(a, mp->gtid);
    }
    if (!rl) {
        r->stage = PB__STAGE__Stopped;
        return r;
    }
    worker_relay_status(rl, &st);
    r->stage = relay_stages[st.stage];
    r->relaysubdir = arena_strdup(a, st.sub_dir);
    r->relaybinlog = st.file[0] ? pos_str(a, st.file, st.pos) : (char *)"";
    r->relaybinloggtid = arena_strdup(a, st.gtid);
    /* DM's Relay.Status: with enable-gtid, caught up = the relay's GTID set equals the source's */
    r->relaycatchupmaster = mp->ok && (worker_cfg(w)->enable_gtid
                                           ? gtid_text_equal(st.gtid, mp->gtid)
                                           : strcmp(st.file, mp->file) == 0 && st.pos == mp->pos);
    r->result = result_of(a, (int)r->stage, st.has_err, false, &st.err);
    return r;
}

static void h_query_status(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__QueryStatusRequest *req = (const Pb__QueryStatusRequest *)m;
    Pb__QueryStatusResponse resp = PB__QUERY_STATUS_RESPONSE__INIT;
    struct worker_subtask_status *sts = NULL;
    struct master_pos mp;
    struct arena a = { 0 };
    size_t n = 0, i;
    const char *name = req->name ? req->name : "";
    worker_snapshot(s->w, name, &sts, &n);
    master_status(s, &mp);
    resp.result = 1;
    resp.sourceid = worker_cfg(s->w)->source_id;
    resp.relaystatus = relay_status(&a, s->w, &mp);
    resp.subtaskstatus = arena_calloc(&a, (n + 1) * sizeof *resp.subtaskstatus);
    for (i = 0; resp.subtaskstatus && i < n; i++)
        if ((resp.subtaskstatus[resp.n_subtaskstatus] = subtask_status(&a, &sts[i], &mp)))
            resp.n_subtaskstatus++;
    if (n == 0 && name[0] && resp.subtaskstatus &&
        (resp.subtaskstatus[0] = missing_status(&a, name)))
        resp.n_subtaskstatus = 1;
    if (resp.n_subtaskstatus == 0)
        resp.msg = (char *)"no sub task started";
    rpc_server_reply(call, &resp.base);
    arena_free(&a);
    worker_snapshot_free(sts, n);
}

/* DumpError / LoadError {msg} of a Dump or Load unit. */
static Pb__SubTaskError *unit_error(struct arena *a, const struct worker_subtask_status *st,
                                    Pb__SubTaskError *e)
{
    char buf[1300] = "";
    if (st->has_error)
        worker_terr_string(&st->error, buf, sizeof buf);
    if (st->unit == PB__UNIT_TYPE__Dump) {
        Pb__DumpError *d = arena_calloc(a, sizeof *d);
        if (!d)
            return e;
        pb__dump_error__init(d);
        d->msg = arena_strdup(a, buf);
        e->dump = d;
        e->error_case = PB__SUB_TASK_ERROR__ERROR_DUMP;
    } else {
        Pb__LoadError *l = arena_calloc(a, sizeof *l);
        if (!l)
            return e;
        pb__load_error__init(l);
        l->msg = arena_strdup(a, buf);
        e->load = l;
        e->error_case = PB__SUB_TASK_ERROR__ERROR_LOAD;
    }
    return e;
}

static Pb__SubTaskError *subtask_error(struct arena *a, const struct worker_subtask_status *st)
{
    Pb__SubTaskError *e = arena_calloc(a, sizeof *e);
    Pb__SyncError *se = arena_calloc(a, sizeof *se);
    Pb__SyncSQLError *q;
    char buf[1300];
    if (!e || !se)
        return NULL;
    pb__sub_task_error__init(e);
    pb__sync_error__init(se);
    e->name = arena_strdup(a, st->name);
    e->stage = (Pb__Stage)st->stage;
    e->unit = (Pb__UnitType)st->unit;
    if (st->unit == PB__UNIT_TYPE__Dump || st->unit == PB__UNIT_TYPE__Load)
        return unit_error(a, st, e);
    e->error_case = PB__SUB_TASK_ERROR__ERROR_SYNC;
    e->sync = se;
    if (!st->has_error)
        return e;
    q = arena_calloc(a, sizeof *q);
    se->errors = arena_calloc(a, sizeof *se->errors);
    if (!q || !se->errors)
        return e;
    pb__sync_sqlerror__init(q);
    worker_terr_string(&st->error, buf, sizeof buf);
    q->msg = arena_strdup(a, buf);
    if (st->error.failed_pos[0])
        q->failedbinlogposition = arena_strdup(a, st->error.failed_pos);
    else if (st->sync.have_pos)
        q->failedbinlogposition = pos_str(a, st->sync.syncer_file, st->sync.syncer_pos);
    if (st->error.error_sql[0])
        q->errorsql = arena_strdup(a, st->error.error_sql);
    se->errors[0] = q;
    se->n_errors = 1;
    return e;
}

static void h_query_error(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__QueryErrorRequest *req = (const Pb__QueryErrorRequest *)m;
    Pb__QueryErrorResponse resp = PB__QUERY_ERROR_RESPONSE__INIT;
    Pb__RelayError relay = PB__RELAY_ERROR__INIT;
    struct worker_subtask_status *sts = NULL;
    struct arena a = { 0 };
    size_t n = 0, i;
    const char *name = req->name ? req->name : "";
    worker_snapshot(s->w, name, &sts, &n);
    resp.result = 1;
    resp.relayerror = &relay;
    if (worker_relay_of(s->w)) {
        struct worker_relay_status rst;
        worker_relay_status(worker_relay_of(s->w), &rst);
        if (rst.has_err) {
            char buf[1300];
            worker_terr_string(&rst.err, buf, sizeof buf);
            relay.msg = arena_strdup(&a, buf);
        }
    }
    resp.subtaskerror = arena_calloc(&a, (n + 1) * sizeof *resp.subtaskerror);
    for (i = 0; resp.subtaskerror && i < n; i++)
        if ((resp.subtaskerror[resp.n_subtaskerror] = subtask_error(&a, &sts[i])))
            resp.n_subtaskerror++;
    if (n == 0 && name[0] && resp.subtaskerror) {
        Pb__SubTaskError *e = arena_calloc(&a, sizeof *e);
        if (e) {
            pb__sub_task_error__init(e);
            e->name = arena_strdup(&a, name);
            e->error_case = PB__SUB_TASK_ERROR__ERROR_MSG;
            e->msg = arena_printf(&a, "no sub task with name %s has started", name);
            resp.subtaskerror[0] = e;
            resp.n_subtaskerror = 1;
        }
    }
    rpc_server_reply(call, &resp.base);
    arena_free(&a);
    worker_snapshot_free(sts, n);
}

static void h_worker_config(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    Pb__QueryWorkerConfigResponse resp = PB__QUERY_WORKER_CONFIG_RESPONSE__INIT;
    char *content = worker_config_from_toml(worker_from(s->w));
    resp.result = content != NULL;
    resp.msg = content ? (char *)"" : (char *)"out of memory";
    resp.sourceid = worker_cfg(s->w)->source_id;
    resp.content = content ? content : (char *)"";
    rpc_server_reply(call, &resp.base);
    free(content);
}

/* ---- SQL operators ---- */

/* HandleSQLs (DM v1.0.7 Worker.HandleSQLs): the operator is set on the subtask; the
 * answer is result + DM's terror string. */
static void h_handle_sqls(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__HandleSubTaskSQLsRequest *req = (const Pb__HandleSubTaskSQLsRequest *)m;
    Pb__CommonWorkerResponse resp = PB__COMMON_WORKER_RESPONSE__INIT;
    char err[1300] = "";
    int rc = worker_handle_sqls(s->w, req->name, (int)req->op, (const char *const *)req->args,
                                req->n_args, req->binlogpos, req->sqlpattern, err, sizeof err);
    resp.result = rc == DM_OK;
    resp.worker = (char *)"";
    resp.msg = rc == DM_OK ? (char *)"" : err[0] ? err : (char *)dm_strerror(rc);
    rpc_server_reply(call, &resp.base);
}

/* ---- relay unit (relay.h; DM v1.0.7 Worker.OperateRelay/PurgeRelay/...) ---- */

/* result + DM terror string of a relay operation; rc DM_OK -> result true, msg "". */
static void relay_reply(struct worker_service *s, int rc, const struct worker_terr *e,
                        bool *result, char *msg, size_t cap)
{
    (void)s;
    *result = rc == DM_OK;
    msg[0] = '\0';
    if (rc != DM_OK)
        worker_terr_string(e, msg, cap);
}

static int no_relay(struct worker_terr *e)
{
    worker_terr_set(e, 40057, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                    "Worker's relay log unit in invalid stage: %s", "Stopped");
    return DM_E_STATE;
}

static void h_operate_relay(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__OperateRelayRequest *req = (const Pb__OperateRelayRequest *)m;
    Pb__OperateRelayResponse resp = PB__OPERATE_RELAY_RESPONSE__INIT;
    struct worker_relay *rl = worker_relay_of(s->w);
    struct worker_terr e;
    char msg[1300];
    bool ok;
    int rc;
    if (!rl)
        rc = no_relay(&e);
    else if (req->op == PB__RELAY_OP__PauseRelay)
        rc = worker_relay_pause(rl, &e);
    else if (req->op == PB__RELAY_OP__ResumeRelay)
        rc = worker_relay_resume(rl, &e);
    else {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&pb__relay_op__descriptor, req->op);
        worker_terr_set(&e, 40040, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "operation %s not supported", v ? v->name : "InvalidRelayOp");
        rc = DM_E_NOT_SUPPORTED;
    }
    relay_reply(s, rc, &e, &ok, msg, sizeof msg);
    resp.op = req->op;
    resp.result = ok;
    resp.worker = (char *)"";
    resp.msg = msg;
    rpc_server_reply(call, &resp.base);
}

static void common_reply(struct rpc_server_call *call, struct worker_service *s, int rc,
                         const struct worker_terr *e)
{
    Pb__CommonWorkerResponse resp = PB__COMMON_WORKER_RESPONSE__INIT;
    char msg[1300];
    bool ok;
    relay_reply(s, rc, e, &ok, msg, sizeof msg);
    resp.result = ok;
    resp.worker = (char *)"";
    resp.msg = msg;
    rpc_server_reply(call, &resp.base);
}

static void h_purge_relay(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__PurgeRelayRequest *req = (const Pb__PurgeRelayRequest *)m;
    struct worker_relay *rl = worker_relay_of(s->w);
    struct worker_relay_purge_req q = { req->inactive, req->time, req->filename, req->subdir };
    struct worker_terr e;
    common_reply(call, s, rl ? worker_relay_purge(rl, &q, &e) : no_relay(&e), &e);
}

static void h_switch_relay(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    struct worker_relay *rl = worker_relay_of(s->w);
    struct worker_terr e;
    (void)m;
    common_reply(call, s, rl ? worker_relay_switch_master(rl, &e) : no_relay(&e), &e);
}

/* UpdateRelayConfig / MigrateRelay (worker.h). */
static void h_update_relay(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__UpdateRelayRequest *req = (const Pb__UpdateRelayRequest *)m;
    struct worker_terr e;
    common_reply(call, s, worker_update_relay(s->w, req->content, &e), &e);
}

static void h_migrate_relay(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    struct worker_service *s = ctx;
    const Pb__MigrateRelayRequest *req = (const Pb__MigrateRelayRequest *)m;
    struct worker_terr e;
    common_reply(call, s, worker_migrate_relay(s->w, req->binlogname, req->binlogpos, &e), &e);
}

/* ---- sharding DDL (DM v1.0.7 Server.FetchDDLInfo / ExecuteDDL / BreakDDLLock) ---- */

#define EXEC_DDL_TIMEOUT_MS ((5 * 60 + 30) * 1000LL)   /* DM: MaxDDLConnectionTimeout + 30 s */

/* Send one DDLInfo, wait for dm-master's DDLLockInfo and record it. A broken stream
 * offers the DDLInfo again to the next one. */
static int send_ddl_info(struct worker_service *s, struct rpc_stream *st, const char *task,
                         const struct worker_ddl_info *info)
{
    Pb__DDLInfo m = PB__DDLINFO__INIT;
    ProtobufCMessage *msg = NULL;
    char err[1300] = "";
    int rc;
    m.task = (char *)task;
    m.schema = (char *)info->schema;
    m.table = (char *)info->table;
    m.ddls = info->ddls;
    m.n_ddls = info->n;
    rc = rpc_stream_send(st, &m.base);
    while (!rc && !atomic_load(&s->closing) &&
           (rc = rpc_stream_recv(st, 500, &msg)) == DM_E_TIMEOUT)
        rc = DM_OK;
    if (rc || !msg) {
        worker_unfetch_ddl_info(s->w, task);
        return rc ? rc : DM_E_CANCELLED;
    }
    {
        const Pb__DDLLockInfo *li = (const Pb__DDLLockInfo *)msg;
        dm_log_kv(DM_LOG_INFO, "receive DDLLockInfo", "task", li->task, "lock", li->id, NULL);
        if (worker_record_ddl_lock(s->w, li->task ? li->task : "", li->id ? li->id : "", err,
                                   sizeof err))
            dm_log_kv(DM_LOG_ERROR, "record DDLLockInfo", "error", err, NULL);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return DM_OK;
}

/* dm-master is the client: each DDLInfo of a subtask blocked on a sharding DDL goes out,
 * dm-master answers with the DDLLockInfo. */
static int h_fetch_ddl(struct rpc_stream *st, void *ctx)
{
    struct worker_service *s = ctx;
    while (!atomic_load(&s->closing)) {
        ProtobufCMessage *msg = NULL;
        struct worker_ddl_info info;
        char task[256];
        int rc;
        if (worker_fetch_ddl_info(s->w, task, sizeof task, &info)) {
            rc = send_ddl_info(s, st, task, &info);
            worker_ddl_info_clear(&info);
            if (rc)
                break;
            continue;
        }
        rc = rpc_stream_recv(st, 200, &msg);
        if (msg)
            protobuf_c_message_free_unpacked(msg, NULL);   /* not asked for: ignored */
        if (rc != DM_OK && rc != DM_E_TIMEOUT)
            break;
    }
    return RPC_OK;
}

/* ExecuteDDL / BreakDDLLock wait until the DDL ran (minutes at most): on a thread of
 * their own, as pause/stop, so the queue threads keep answering. */
struct ddl_job {
    struct worker_service *s;
    struct rpc_server_call *call;
    bool is_break, exec, skip;
    char *task, *lock_id;
    char **ddls;
    size_t n;
    char *trace;          /* ExecuteDDL traceGID (dm-master's lock instance) */
};

static void ddl_job_free(struct ddl_job *j)
{
    for (size_t i = 0; j->ddls && i < j->n; i++)
        free(j->ddls[i]);
    free(j->ddls);
    free(j->task);
    free(j->lock_id);
    free(j->trace);
    free(j);
}

static void *ddl_thread(void *arg)
{
    struct ddl_job *j = arg;
    Pb__CommonWorkerResponse resp = PB__COMMON_WORKER_RESPONSE__INIT;
    char err[1300] = "";
    int rc = j->is_break
                 ? worker_break_ddl_lock(j->s->w, j->task, j->lock_id, j->exec, j->skip,
                                         EXEC_DDL_TIMEOUT_MS, err, sizeof err)
                 : worker_execute_ddl(j->s->w, j->task, j->lock_id, j->trace, j->exec, j->ddls, j->n,
                                      EXEC_DDL_TIMEOUT_MS, err, sizeof err);
    resp.result = rc == DM_OK;
    resp.worker = (char *)"";
    resp.msg = rc == DM_OK ? (char *)"" : err[0] ? err : (char *)dm_strerror(rc);
    rpc_server_reply(j->call, &resp.base);
    ddl_job_free(j);
    return NULL;
}

static void start_ddl_job(struct rpc_server_call *call, struct ddl_job *j)
{
    pthread_attr_t at;
    pthread_t th;
    bool ok = j->task && j->lock_id && pthread_attr_init(&at) == 0;
    if (ok) {
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&th, &at, ddl_thread, j) == 0;
        pthread_attr_destroy(&at);
    }
    if (!ok) {
        ddl_job_free(j);
        rpc_server_reply_error(call, RPC_UNKNOWN, "cannot start the DDL operation (out of resources)");
    }
}

static void h_execute_ddl(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    const Pb__ExecDDLRequest *req = (const Pb__ExecDDLRequest *)m;
    struct ddl_job *j = calloc(1, sizeof *j);
    if (!j) {
        rpc_server_reply_error(call, RPC_UNKNOWN, "out of memory");
        return;
    }
    *j = (struct ddl_job){ ctx, call, false, req->exec, false, strdup(req->task ? req->task : ""),
                           strdup(req->lockid ? req->lockid : ""), calloc(req->n_ddls + 1,
                                                                          sizeof(char *)), 0,
                           strdup(req->tracegid ? req->tracegid : "") };
    for (size_t i = 0; j->ddls && i < req->n_ddls; i++)
        if ((j->ddls[j->n] = strdup(req->ddls[i])))
            j->n++;
    start_ddl_job(call, j);
}

static void h_break_ddl(struct rpc_server_call *call, const ProtobufCMessage *m, void *ctx)
{
    const Pb__BreakDDLLockRequest *req = (const Pb__BreakDDLLockRequest *)m;
    struct ddl_job *j = calloc(1, sizeof *j);
    if (!j) {
        rpc_server_reply_error(call, RPC_UNKNOWN, "out of memory");
        return;
    }
    *j = (struct ddl_job){ ctx, call, true, req->execddl, req->skipddl,
                           strdup(req->task ? req->task : ""),
                           strdup(req->removelockid ? req->removelockid : ""), NULL, 0, NULL };
    start_ddl_job(call, j);
}

/* ---- registration ---- */

struct unary_entry {
    const char *name;
    rpc_handler_fn fn;
    const char *what;    /* ctx for h_unsupported */
};

static const struct unary_entry unary[] = {
    {"StartSubTask", h_start, NULL},
    {"OperateSubTask", h_operate, NULL},
    {"UpdateSubTask", h_update, NULL},
    {"QueryStatus", h_query_status, NULL},
    {"QueryError", h_query_error, NULL},
    {"QueryTaskOperation", h_query_op, NULL},
    {"QueryWorkerConfig", h_worker_config, NULL},
    {"OperateRelay", h_operate_relay, NULL},
    {"HandleSQLs", h_handle_sqls, NULL},
    {"ExecuteDDL", h_execute_ddl, NULL},
    {"BreakDDLLock", h_break_ddl, NULL},
    {"SwitchRelayMaster", h_switch_relay, NULL},
    {"PurgeRelay", h_purge_relay, NULL},
    {"UpdateRelayConfig", h_update_relay, NULL},
    {"MigrateRelay", h_migrate_relay, NULL},
};

static int register_all(struct worker_service *s, char *err, size_t cap)
{
    const struct rpc_method *m;
    size_t i;
    for (i = 0; i < sizeof unary / sizeof unary[0]; i++) {
        m = rpc_method_find(&pb__worker__descriptor, unary[i].name);
        if (!m || rpc_server_register(s->srv, m, unary[i].fn,
                                      unary[i].what ? (void *)unary[i].what : (void *)s)) {
            snprintf(err, cap, "cannot register pb.Worker/%s", unary[i].name);
            return DM_E_INTERNAL;
        }
    }
    m = rpc_method_find(&pb__worker__descriptor, "FetchDDLInfo");
    if (!m || rpc_server_register_stream(s->srv, m, h_fetch_ddl, s)) {
        snprintf(err, cap, "cannot register pb.Worker/FetchDDLInfo");
        return DM_E_INTERNAL;
    }
    return DM_OK;
}

int worker_service_start(struct worker *w, const char *addr, int nthreads,
                         struct worker_service **out, int *bound_port, char *err, size_t cap)
{
    struct worker_service *s = calloc(1, sizeof *s);
    char listen[300];
    int rc;
    *out = NULL;
    if (!s)
        return DM_E_NOMEM;
    s->w = w;
    atomic_init(&s->closing, false);
    pthread_mutex_init(&s->status_mu, NULL);
    snprintf(listen, sizeof listen, "%s%s", addr[0] == ':' ? "0.0.0.0" : "", addr);
    s->srv = rpc_server_new(listen, nthreads);
    if (!s->srv) {
        snprintf(err, cap, "cannot create gRPC server on %s", listen);
        free(s);
        return DM_E_INVAL;
    }
    if ((rc = register_all(s, err, cap)) || (rc = rpc_server_start(s->srv, bound_port))) {
        if (!err[0])
            snprintf(err, cap, "cannot listen on %s: %s", listen, dm_strerror(rc));
        rpc_server_free(s->srv);
        free(s);
        return rc;
    }
    *out = s;
    return DM_OK;
}

void worker_service_stop(struct worker_service *s, int64_t grace_ms)
{
    if (!s)
        return;
    atomic_store(&s->closing, true);
    rpc_server_shutdown(s->srv, grace_ms);
    rpc_server_free(s->srv);
    bl_status_conn_close(&s->status_conn);
    pthread_mutex_destroy(&s->status_mu);
    free(s);
}

/* h_query.c - QueryStatus, QueryError, RefreshWorkerTasks, UpdateMasterConfig
 * (dm-v1-wire.md §9.1, §9.2, §9.6, §8). */
#include "master_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"
#include "fsutil.h"
#include "log.h"
#include "memtrim.h"
#include "terror.h"

/* Query all `workers` (sorted first); out[] in sorted order, owned by the caller. */
static ProtobufCMessage **query_workers(struct master *m, struct master_strv *workers, const char *name,
                                        bool error)
{
    master_strv_sort(workers);
    size_t n = workers->n;
    ProtobufCMessage **out = (ProtobufCMessage **)master_ptrs_new(n);
    struct master_callres *res = calloc(n ? n : 1, sizeof(*res));
    if (!out || !res) {
        free(out);
        free(res);
        return NULL;
    }
    Pb__QueryStatusRequest sreq = PB__QUERY_STATUS_REQUEST__INIT;
    Pb__QueryErrorRequest ereq = PB__QUERY_ERROR_REQUEST__INIT;
    sreq.name = ereq.name = (char *)(name ? name : "");
    master_call_many(m, n, workers->items, error ? "QueryError" : "QueryStatus",
                     error ? &ereq.base : &sreq.base, m->cfg.rpc_timeout_ms, true, res);
    for (size_t i = 0; i < n; i++) {
        ProtobufCMessage *r = res[i].resp;
        char *em = res[i].rc == DM_OK ? NULL : res[i].errmsg;
        res[i].resp = NULL;
        if (em)
            res[i].errmsg = NULL;
        if (!r)
            r = master_msg_new(error ? &pb__query_error_response__descriptor
                                     : &pb__query_status_response__descriptor);
        if (!r) {
            free(em);
            master_callres_clear(&res[i]);
            continue;
        }
        /* both messages start with result(1), worker(2), msg(3) */
        Pb__QueryStatusResponse *s = (Pb__QueryStatusResponse *)r;
        if (em) {
            s->result = false;
            if (s->msg && *s->msg)
                free(s->msg);
            s->msg = em;
        }
        if (s->worker && *s->worker)
            free(s->worker);
        s->worker = master_strdup(workers->items[i]);
        out[i] = r;
        master_callres_clear(&res[i]);
    }
    free(res);
    return out;
}

/* target worker list of QueryStatus/QueryError; *msg set on error */
static int target_workers(struct master *m, char **req_workers, size_t n, const char *name,
                          struct master_strv *out, char **msg)
{
    if (n > 0) {
        struct dm_buf b;
        dm_buf_init(&b, 1u << 16);
        for (size_t i = 0; i < n; i++)
            if (!master_worker_known(m, req_workers[i]))
                dm_buf_printf(&b, "%s%s", b.len ? ", " : "", req_workers[i]);
        if (b.len) {
            dm_buf_adds(&b, " relevant worker-client not found");
            *msg = dm_buf_take(&b);
            return DM_E_NOT_FOUND;
        }
        dm_buf_free(&b);
        return master_strv_copy(out, req_workers, n);
    }
    if (name && *name) {
        master_tw_get_wait(m, name, out);
        if (out->n == 0) {
            char buf[700];
            snprintf(buf, sizeof(buf), "task %s has no workers or not exist, can try `refresh-worker-tasks` cmd first", name);
            *msg = strdup(buf);
            return DM_E_NOT_FOUND;
        }
        return DM_OK;
    }
    return master_worker_list(m, out);
}

static void impl_query(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req,
                       bool error)
{
    const Pb__QueryStatusListRequest *r = (const Pb__QueryStatusListRequest *)req; /* same layout as QueryErrorListRequest */
    Pb__QueryStatusListResponse *resp = master_msg_new(error ? &pb__query_error_list_response__descriptor
                                                             : &pb__query_status_list_response__descriptor);
    struct master_strv ws = {NULL, 0};
    char *msg = NULL;
    if (!resp)
        goto out;
    if (target_workers(m, r->workers, r->n_workers, r->name, &ws, &msg) != DM_OK) {
        resp->msg = msg ? msg : master_strdup("out of memory");
        goto out;
    }
    ProtobufCMessage **out = query_workers(m, &ws, r->name, error);
    if (!out)
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < ws.n; i++)
        if (out[i])
            out[k++] = out[i];
    resp->workers = (Pb__QueryStatusResponse **)out;
    resp->n_workers = k;
    resp->result = true;
out:
    master_strv_clear(&ws);
    master_reply_free(call, resp ? &resp->base : NULL);
}

static void impl_query_status(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    impl_query(m, call, req, false);
}

static void impl_query_error(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    impl_query(m, call, req, true);
}

/* ---------- taskWorkers refresh ---------- */

static void tw_add_local(struct master_task_workers **tasks, size_t *n, const char *task, const char *w)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*tasks)[i].task, task) == 0) {
            if (!master_strv_has(&(*tasks)[i].workers, w))
                master_strv_add(&(*tasks)[i].workers, w);
            return;
        }
    struct master_task_workers *tmp = realloc(*tasks, (*n + 1) * sizeof(*tmp));
    if (!tmp)
        return;
    *tasks = tmp;
    memset(&tmp[*n], 0, sizeof(tmp[*n]));
    if (!(tmp[*n].task = strdup(task)))
        return;
    master_strv_add(&tmp[*n].workers, w);
    (*n)++;
}

/* The tasks taskWorkers lists worker under, added for it to tasks / n. */
static void keep_tasks_of(struct master *m, const char *worker, struct master_task_workers **tasks,
                          size_t *n)
{
    struct master_strv had = {NULL, 0};
    master_tw_tasks_of(m, worker, &had);
    for (size_t i = 0; i < had.n; i++)
        tw_add_local(tasks, n, had.items[i], worker);
    master_strv_clear(&had);
}

void master_refresh_task_workers(struct master *m, bool keep_old_if_empty,
                                 struct master_strv *msgs_workers, struct master_strv *msgs)
{
    struct master_strv ws = {NULL, 0};
    master_worker_list(m, &ws);
    ProtobufCMessage **out = query_workers(m, &ws, "", false);
    struct master_task_workers *tasks = NULL;
    size_t n = 0;
    for (size_t i = 0; out && i < ws.n; i++) {
        const Pb__QueryStatusResponse *s = (const Pb__QueryStatusResponse *)out[i];
        if (!s)
            continue;
        if (msgs && (s->msg && *s->msg)) {
            master_strv_add(msgs_workers, ws.items[i]);
            master_strv_add(msgs, s->msg);
        } else if (msgs && !s->result) {
            master_strv_add(msgs_workers, ws.items[i]);
            master_strv_add(msgs, "got response but with failed result");
        }
        for (size_t j = 0; j < s->n_subtaskstatus; j++)
            if (s->subtaskstatus[j] && s->subtaskstatus[j]->stage != PB__STAGE__InvalidStage)
                tw_add_local(&tasks, &n, s->subtaskstatus[j]->name, ws.items[i]);
        if (!s->result)   /* no answer (a worker restarting): it keeps the tasks it had */
            keep_tasks_of(m, ws.items[i], &tasks, &n);
        protobuf_c_message_free_unpacked(out[i], NULL);
    }
    free(out);
    master_strv_clear(&ws);
    if (n == 0 && keep_old_if_empty) {
        free(tasks);
        return;
    }
    master_tw_replace(m, tasks, n);
}

static void impl_refresh(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    (void)req;
    Pb__RefreshWorkerTasksResponse *resp = master_msg_new(&pb__refresh_worker_tasks_response__descriptor);
    struct master_strv ws = {NULL, 0}, msgs = {NULL, 0};
    master_refresh_task_workers(m, false, &ws, &msgs);
    if (resp) {
        resp->workers = (Pb__RefreshWorkerTasksMsg **)master_ptrs_new(ws.n);
        for (size_t i = 0; resp->workers && i < ws.n; i++) {
            Pb__RefreshWorkerTasksMsg *e = master_msg_new(&pb__refresh_worker_tasks_msg__descriptor);
            if (!e)
                break;
            e->worker = ws.items[i];
            e->msg = msgs.items[i];
            ws.items[i] = msgs.items[i] = NULL;
            resp->workers[resp->n_workers++] = e;
        }
        resp->result = true;
    }
    for (size_t i = 0; i < ws.n; i++) {
        free(ws.items[i]);
        free(msgs.items[i]);
    }
    free(ws.items);
    free(msgs.items);
    master_reply_free(call, resp ? &resp->base : NULL);
}

/* ---------- UpdateMasterConfig ---------- */

static char *update_config(struct master *m, const char *text)
{
    struct master_config nc;
    char *err = NULL;
    if (master_config_defaults(&nc) != DM_OK || master_config_apply_toml(&nc, text, &err) != DM_OK) {
        char *s = NULL;
        if (err) {
            const char *path = m->cfg.config_file ? m->cfg.config_file : "dm-master.toml";
            size_t cap = strlen(err) + strlen(path) + 80;
            s = malloc(cap);
            if (s)
                snprintf(s, cap, "Failed to parse configure from file %s, detail: %s", path, err);
        }
        free(err);
        master_config_free(&nc);
        return s ? s : strdup("out of memory");
    }
    /* refuse removing a worker that holds a DDL lock */
    for (size_t i = 0; i < m->cfg.n_deploy; i++) {
        bool kept = false;
        for (size_t j = 0; j < nc.n_deploy; j++)
            kept = kept || strcmp(nc.deploy[j].worker, m->cfg.deploy[i].worker) == 0;
        if (!kept && master_ddl_worker_has_lock(m, m->cfg.deploy[i].worker)) {
            char *e = master_terr_code(38026, "dm-master", "high", "worker %s exist ddl lock, please unlock ddl lock first", m->cfg.deploy[i].worker);
            master_config_free(&nc);
            return e;
        }
    }
    const char *path = m->cfg.config_file ? m->cfg.config_file : "dm-master.toml";
    if (dm_write_file_atomic(path, text, strlen(text)) != DM_OK) {
        char *e = master_terr_code(38015, "dm-master", "high", "update config file: cannot write %s", path);
        size_t cap = (e ? strlen(e) : 0) + 80;
        char *s = malloc(cap);
        if (s)
            snprintf(s, cap, "Failed to write config to local file. detail: %s", e ? e : "");
        free(e);
        master_config_free(&nc);
        return s;
    }
    pthread_mutex_lock(&m->mu);
    struct master_deploy *od = m->cfg.deploy;
    size_t on = m->cfg.n_deploy;
    m->cfg.deploy = nc.deploy;
    m->cfg.n_deploy = nc.n_deploy;
    nc.deploy = od;
    nc.n_deploy = on;
    m->cfg.rpc_timeout_ms = nc.rpc_timeout_ms;
    pthread_mutex_unlock(&m->mu);
    master_config_free(&nc);
    struct master_worker **rem = NULL, **add = NULL;
    size_t nrem = 0, nadd = 0;
    if (master_workers_sync(m, &rem, &nrem, &add, &nadd) == DM_OK) {
        for (size_t i = 0; i < nrem; i++) {
            master_ddl_stop_worker(m, rem[i]);
            master_worker_put(m, rem[i]);
        }
        for (size_t i = 0; i < nadd; i++)
            master_ddl_start_worker(m, add[i]);
    }
    free(rem);
    free(add);
    return NULL;
}

static void impl_update_master_config(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__UpdateMasterConfigRequest *r = (const Pb__UpdateMasterConfigRequest *)req;
    Pb__UpdateMasterConfigResponse *resp = master_msg_new(&pb__update_master_config_response__descriptor);
    char *err = update_config(m, r->config ? r->config : "");
    if (resp && err) {
        resp->msg = err;
        err = NULL;
    } else if (resp) {
        struct master_strv ws = {NULL, 0};
        master_worker_list(m, &ws);
        ProtobufCMessage **out = query_workers(m, &ws, "", false);
        size_t k = 0;
        for (size_t i = 0; out && i < ws.n; i++)
            if (out[i])
                out[k++] = out[i];
        resp->workers = (Pb__QueryStatusResponse **)out;
        resp->n_workers = out ? k : 0;
        resp->result = true;
        master_strv_clear(&ws);
    }
    free(err);
    bool big = r->config && strlen(r->config) >= 64 * 1024;
    master_reply_free(call, resp ? &resp->base : NULL);
    if (big)
        dm_mem_trim();   /* its parse left free pages in this thread's arena (gwattack4) */
}

void master_register_query(struct master *m)
{
    master_register(m, "QueryStatus", impl_query_status);
    master_register(m, "QueryError", impl_query_error);
    master_register(m, "RefreshWorkerTasks", impl_refresh);
    master_register(m, "UpdateMasterConfig", impl_update_master_config);
}

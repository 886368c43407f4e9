/* ddl_stream.c - the FetchDDLInfo streams (dm-v1-wire.md §9.4): one thread per worker
 * keeps a stream open to it (the master is the gRPC client), feeds each DDLInfo to the
 * lock keeper (ddl.c master_ddl_try_sync), answers with the DDLLockInfo and resolves the
 * lock when every member reported; a worker that missed a resolved lock's skip gets it
 * here (ddl_pending.c). Thread-safety: the stream thread owns its stream; lock state is
 * only touched through ddl.c / ddl_pending.c, which take m->mu. */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "log.h"

struct stream_arg {
    struct master *m;
    struct master_worker *w;
};

/* The worker reports a DDL of a lock that resolved without it (ddl_pending.c): the
 * DDLLockInfo, then the lock's outcome for it, ExecuteDDL{exec:false}. */
static void send_pending_skip(struct master *m, struct master_worker *w, struct rpc_stream *st,
                              const Pb__DDLInfo *in, const char *id, bool *retry)
{
    Pb__DDLLockInfo out = PB__DDLLOCK_INFO__INIT;
    Pb__ExecDDLRequest req = PB__EXEC_DDLREQUEST__INIT;
    ProtobufCMessage *r = NULL;
    char *em = NULL;
    out.task = in->task;
    out.id = (char *)id;
    if (rpc_stream_send(st, &out.base) != DM_OK) {
        *retry = true;
        return;
    }
    req.task = in->task;
    req.lockid = (char *)id;
    req.exec = false;
    req.tracegid = (char *)"";
    req.ddls = in->ddls;
    req.n_ddls = in->n_ddls;
    bool ok = master_call(m, w->addr, "ExecuteDDL", &req.base, MASTER_EXEC_DDL_TIMEOUT_MS, false, &r,
                          &em) == DM_OK && ((Pb__CommonWorkerResponse *)r)->result;
    if (ok)
        master_ddl_pending_del(m, NULL, id, w->addr);
    dm_log_kv(ok ? DM_LOG_INFO : DM_LOG_ERROR, ok ? "sent the skip of a resolved DDL lock "
              "to the worker that missed it" : "fail to send the skip of a resolved DDL lock "
              "(tried again at its next report)", "lock", id, "worker", w->addr, "error",
              em ? em : r && !ok ? ((Pb__CommonWorkerResponse *)r)->msg : "", NULL);
    if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    free(em);
}

/* Resolve the lock from the stream: the answers are only logged. */
static void resolve_logged(struct master *m, const char *id, bool owner_done)
{
    Pb__CommonWorkerResponse **e = NULL;
    size_t n = 0;
    char *rerr = NULL;
    if (master_ddl_resolve(m, id, NULL, NULL, 0, owner_done, &e, &n, &rerr) != DM_OK)
        dm_log_kv(DM_LOG_ERROR, "fail to resolve DDL lock", "lock", id, "error", rerr, NULL);
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&e[i]->base, NULL);
    free(e);
    free(rerr);
}

/* DDLLockInfo to the reporter; the lock resolves when every member reported. */
static void answer_info(struct master *m, struct rpc_stream *st, const Pb__DDLInfo *in,
                        char *id, bool all, bool *retry)
{
    Pb__DDLLockInfo out = PB__DDLLOCK_INFO__INIT;
    out.task = in->task;
    out.id = id;
    if (rpc_stream_send(st, &out.base) != DM_OK) {
        *retry = true;
    } else if (all) {
        resolve_logged(m, id, false);
    }
}

/* The owner's ExecuteDDL failed at the last resolve (38024) and now it reports the lock's
 * next DDL: it passed this one, which it does only after executing it (its answer was
 * lost: killed after its checkpoint, or stopped meanwhile). The others get their skips
 * (pending ones for those who miss them) and the lock goes; DM v1.0.7 kept the lock and
 * refused the owner's next DDL (38016) for ever. */
static void owner_passed(struct master *m, const char *id)
{
    dm_log_kv(DM_LOG_WARN, "the owner passed the DDL of a lock whose ExecuteDDL failed: it "
              "executed it; the other workers skip it", "lock", id, NULL);
    resolve_logged(m, id, true);
}

static void handle_info(struct master *m, struct master_worker *w, struct rpc_stream *st,
                        Pb__DDLInfo *in, bool *retry)
{
    int rc;
    struct master_strv ws = {NULL, 0};
    char *id = NULL, *err = NULL, pid[1024];
    bool all = false;
    snprintf(pid, sizeof(pid), "%s-`%s`.`%s`", in->task, in->schema, in->table);
    if (master_ddl_pending_match(m, pid, w->addr, in->ddls, in->n_ddls)) {
        send_pending_skip(m, w, st, in, pid, retry);
        return;
    }
    master_tw_get(m, in->task, &ws);
    if (ws.n == 0 || !master_strv_has(&ws, w->addr)) {
        dm_log_kv(DM_LOG_ERROR, "try to sync shard DDL, but worker is not in the task's workers", "task", in->task, "worker", w->addr, NULL);
        *retry = true;
    } else if ((rc = master_ddl_try_sync(m, in, w->addr, &ws, &id, &all, &err)) == DM_E_CONFLICT) {
        owner_passed(m, pid);
        free(err);
        err = NULL;
        if (master_ddl_try_sync(m, in, w->addr, &ws, &id, &all, &err) != DM_OK) {
            dm_log_kv(DM_LOG_ERROR, "fail to sync lock", "worker", w->addr, "error", err, NULL);
            *retry = true;
        } else {
            answer_info(m, st, in, id, all, retry);
        }
    } else if (rc != DM_OK) {
        dm_log_kv(DM_LOG_ERROR, "fail to sync lock", "worker", w->addr, "error", err, NULL);
        *retry = true;
    } else {
        answer_info(m, st, in, id, all, retry);
    }
    free(id);
    free(err);
    master_strv_clear(&ws);
}

static void *stream_main(void *p)
{
    struct stream_arg *a = p;
    struct master *m = a->m;
    struct master_worker *w = a->w;
    free(a);
    const struct rpc_method *rm = master_wmethod("FetchDDLInfo");
    bool first = true;
    while (!atomic_load(&w->ddl_stop) && !atomic_load(&m->stopping)) {
        if (!first) {
            for (int64_t t = 0; t < m->cfg.ddl_retry_ms && !atomic_load(&w->ddl_stop); t += 50)
                master_sleep(m, 50);
        }
        first = false;
        struct rpc_stream *st = NULL;
        if (!rm || rpc_stream_open(w->ch, rm, 0, &st) != DM_OK)
            continue;
        bool retry = false;
        while (!retry && !atomic_load(&w->ddl_stop) && !atomic_load(&m->stopping)) {
            ProtobufCMessage *msg = NULL;
            int rc = rpc_stream_recv(st, 200, &msg);
            if (rc == DM_E_TIMEOUT)
                continue;
            if (rc != DM_OK || !msg)
                break;
            handle_info(m, w, st, (Pb__DDLInfo *)msg, &retry);
            protobuf_c_message_free_unpacked(msg, NULL);
        }
        int status = 0;
        rpc_stream_close(st, &status);
    }
    master_worker_put(m, w);
    return NULL;
}

void master_ddl_start_worker(struct master *m, struct master_worker *w)
{
    struct stream_arg *a = malloc(sizeof(*a));
    if (!a)
        return;
    pthread_mutex_lock(&m->mu);
    w->refs++;
    pthread_mutex_unlock(&m->mu);
    *a = (struct stream_arg){m, w};
    atomic_store(&w->ddl_stop, false);
    w->ddl_started = pthread_create(&w->ddl_thread, NULL, stream_main, a) == 0;
    if (!w->ddl_started) {
        free(a);
        master_worker_put(m, w);
    }
}

void master_ddl_stop_worker(struct master *m, struct master_worker *w)
{
    (void)m;
    if (!w->ddl_started)
        return;
    atomic_store(&w->ddl_stop, true);
    pthread_join(w->ddl_thread, NULL);
    w->ddl_started = false;
}

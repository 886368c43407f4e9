/* master_int.h - dm-master internals shared by the master's .c files (not a public
 * contract). Locking: m->mu guards workers[], tasks[] (taskWorkers), cfg.deploy and
 * the DDL lock table; never held across an RPC. */
#ifndef DM_MASTER_INT_H
#define DM_MASTER_INT_H

#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "master.h"
#include "rpc.h"
#include "taskcfg.h"

struct master_worker {             /* one deployed dm-worker */
    char *addr;
    struct rpc_channel *ch;
    int refs;                      /* under m->mu; freed at 0 once removed */
    bool removed;
    pthread_t ddl_thread;          /* FetchDDLInfo stream loop */
    bool ddl_started;
    atomic_bool ddl_stop;
};

struct master_task_workers {       /* taskWorkers entry */
    char *task;
    struct master_strv workers;    /* sorted */
};

struct master_job;
struct master;
/* handler body run on the job pool; must reply to `call` exactly once */
typedef void (*master_impl_fn)(struct master *m, struct rpc_server_call *call,
                               const ProtobufCMessage *req);
struct master_ddl;
struct master_sqlop;

struct master_reg {                /* a registered pb.Master method */
    struct master *m;
    master_impl_fn impl;
};

#define MASTER_MAX_METHODS 24

struct master {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct master_config cfg;
    struct master_worker **workers;
    size_t nworkers;
    struct master_task_workers *tasks;
    size_t ntasks;
    struct dm_ratelimit *rl;
    struct rpc_server *srv;
    atomic_bool stopping;
    /* job pool */
    pthread_t *pool;
    int npool;
    struct master_job *jq_head, *jq_tail;
    bool pool_stop;
    /* background: first taskWorkers refresh */
    pthread_t bg;
    bool bg_started;
    bool tw_ready;      /* first taskWorkers rebuild finished (under mu, signalled on cv) */
    /* DDL locks and --sharding SQL operators (ddl.c) */
    struct master_ddl *ddl;
    struct master_ddl_pending *ddl_pending;   /* ddl_pending.c */
    struct master_reg regs[MASTER_MAX_METHODS];
    int nregs;
};


/* ---------- core.c ---------- */
const struct rpc_method *master_wmethod(const char *name);   /* pb.Worker method */
/* Worker registry: a counted reference (NULL when not deployed). */
struct master_worker *master_worker_get(struct master *m, const char *addr);
void master_worker_put(struct master *m, struct master_worker *w);
bool master_worker_known(struct master *m, const char *addr);
/* all deployed worker addresses (sorted, owned strv) */
int master_worker_list(struct master *m, struct master_strv *out);
/* worker address of a source-id (malloc'd) or NULL */
char *master_deploy_worker(struct master *m, const char *source_id);

/* One worker RPC. use_token: go through the token bucket first (DM's agent pool).
 * On DM_OK *resp is the owned response. Otherwise *errmsg is the DM message for the
 * worker entry (38018 no token, 38008 grpc error, "<w> relevant worker-client not
 * found" text for unknown workers when not_found_fmt is NULL). */
int master_call(struct master *m, const char *worker, const char *method,
                const ProtobufCMessage *req, int64_t timeout_ms, bool use_token,
                ProtobufCMessage **resp, char **errmsg);
/* master_call that also reports, when the worker answered a non-OK gRPC status, that
 * status and its details (both optional; *status_out = RPC_OK otherwise). */
int master_call_ex(struct master *m, const char *worker, const char *method,
                   const ProtobufCMessage *req, int64_t timeout_ms, bool use_token,
                   ProtobufCMessage **resp, char **errmsg, int *status_out,
                   char *details_out, size_t details_cap);
/* One entry of master_call_many: exactly what master_call_ex reports for that worker. */
struct master_callres {
    int rc;                    /* DM_OK, DM_E_NOT_FOUND, DM_E_RATE_LIMITED, DM_E_UNAVAILABLE */
    ProtobufCMessage *resp;    /* owned, on DM_OK */
    char *errmsg;              /* owned DM entry message, otherwise */
    int status;                /* the worker's non-OK gRPC status, else RPC_OK */
    char *details;             /* owned status details when status != RPC_OK, else NULL */
};
/* The fan-out: call `method` with the same `req` on workers[i] for i < n, concurrently,
 * without a thread per worker: each call is an asynchronous rpc_call_start completing on
 * the rpc client cq thread; the calling thread takes the tokens (all reserved first, as
 * N concurrent waits would; it sleeps until each is due, never the cq thread), starts the
 * calls and waits for all. out[i] (n entries) owns its parts: master_callres_clear.
 * Never call it from an rpc completion callback. */
void master_call_many(struct master *m, size_t n, char *const *workers, const char *method,
                      const ProtobufCMessage *req, int64_t timeout_ms, bool use_token,
                      struct master_callres *out);
void master_callres_clear(struct master_callres *r);
/* Run fn(ctx, i) for i < n concurrently (one thread each) and wait for all. Only for
 * per-worker work that blocks for long (op-log polling); plain calls use master_call_many. */
void master_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);
/* Sleep up to ms; false when the master is stopping. */
bool master_sleep(struct master *m, int64_t ms);

/* Reconcile the registry with cfg.deploy: *removed (registry refs to drop) and *added
 * (borrowed) are calloc'd arrays for the caller to free. */
int master_workers_sync(struct master *m, struct master_worker ***removed, size_t *nremoved,
                        struct master_worker ***added, size_t *nadded);
/* Rebuild taskWorkers from QueryStatus of all workers (h_query.c). keep_old_if_empty:
 * DM's startup variant. msgs_workers/msgs (may be NULL) receive the per-worker notes. */
/* Like master_tw_get, but when the task is unknown and the first taskWorkers rebuild after
 * startup has not finished yet, wait for it (bounded by refresh-delay + rpc-timeout) and look
 * again: right after a master restart a running task must not look deleted. */
int master_tw_get_wait(struct master *m, const char *task, struct master_strv *out);
void master_refresh_task_workers(struct master *m, bool keep_old_if_empty,
                                 struct master_strv *msgs_workers, struct master_strv *msgs);

/* taskWorkers */
int master_tw_get(struct master *m, const char *task, struct master_strv *out);
void master_tw_add(struct master *m, const char *task, const struct master_strv *workers, bool replace);
void master_tw_remove(struct master *m, const char *task, const struct master_strv *workers);
void master_tw_replace(struct master *m, struct master_task_workers *tasks, size_t n);
/* The tasks taskWorkers lists worker under, appended to out. */
int master_tw_tasks_of(struct master *m, const char *worker, struct master_strv *out);

/* small helpers. NB: an unpacked proto3 string that is empty may be the generated
 * code's static "" (protobuf_c_empty_string is per translation unit), so only non-empty
 * strings of unpacked messages are ever freed when replaced. */
char *master_strdup(const char *s);           /* NULL-safe, NULL on OOM */
void master_strv_sort(struct master_strv *v);
int master_strv_add(struct master_strv *v, const char *s);
bool master_strv_has(const struct master_strv *v, const char *s);
void master_strv_clear(struct master_strv *v);
int master_strv_copy(struct master_strv *dst, char *const *items, size_t n);
void *master_msg_new(const ProtobufCMessageDescriptor *d);  /* zero + init, malloc'd */
void **master_ptrs_new(size_t n);                            /* calloc'd pointer array */
void master_reply_free(struct rpc_server_call *call, ProtobufCMessage *resp);  /* reply + free */

/* ---------- handler registration (one per file) ---------- */
void master_register_task(struct master *m);     /* h_task.c */
void master_register_query(struct master *m);    /* h_query.c */
void master_register_misc(struct master *m);     /* h_misc.c */
void master_register_ddl(struct master *m);      /* ddl.c */
int master_register(struct master *m, const char *name, master_impl_fn impl);

/* ---------- ddl.c ---------- */
int master_ddl_init(struct master *m);
void master_ddl_free(struct master *m);
/* does any DDL lock involve `worker`? (caller holds no lock) */
bool master_ddl_worker_has_lock(struct master *m, const char *worker);
/* break-ddl-lock on worker: a DDL it passes now was the operator's decision, not an
 * execution of the lock's owner (ddl_stream.c owner_passed). */
void master_ddl_break_owner(struct master *m, const char *task, const char *worker);

/* ---------- ddl.c, for ddl_stream.c: the lock keeper the streams feed ---------- */
#define MASTER_EXEC_DDL_TIMEOUT_MS ((5 * 60 + 30) * 1000LL)   /* ExecuteDDL deadline */
struct Pb__DDLInfo;
struct Pb__CommonWorkerResponse;
/* LockKeeper.TrySync of worker's DDLInfo `in`, taking m->mu: creates or joins the lock
 * "<task>-`schema`.`table`" (members: `workers`), marks worker synced. On DM_OK *id_out
 * is the owned lock ID and *all_synced tells whether every member reported. DM_E_CONFLICT:
 * the lock's owner, whose ExecuteDDL failed, reports another DDL (it passed this one);
 * DM_E_STATE with owned *err (38016): other DDLs than the lock's; DM_E_NOMEM. */
int master_ddl_try_sync(struct master *m, const struct Pb__DDLInfo *in, const char *worker,
                        const struct master_strv *workers, char **id_out, bool *all_synced,
                        char **err);
/* DM resolveDDLLock: ExecuteDDL{exec:true} to the owner (replace_owner when non-empty),
 * then {exec:false} to the members (or to pref[0..npref) when npref). owner_done: the
 * owner already executed (owner_passed), only the skips are sent. *entries: the answers
 * so far (owned array of *nentries owned responses, NULL when none), on any result; on
 * failure owned *err. Takes no lock across the RPCs. */
int master_ddl_resolve(struct master *m, const char *id, const char *replace_owner, char **pref,
                       size_t npref, bool owner_done, struct Pb__CommonWorkerResponse ***entries,
                       size_t *nentries, char **err);

/* ---------- ddl_stream.c: one FetchDDLInfo stream per worker (master = gRPC client) ---------- */
/* Start / stop (join) the worker's stream thread; it holds a registry reference. */
void master_ddl_start_worker(struct master *m, struct master_worker *w);
void master_ddl_stop_worker(struct master *m, struct master_worker *w);

/* ---------- ddl_pending.c: skips of resolved locks not yet taken by a worker ---------- */
struct master_ddl_pending;
int master_ddl_pending_init(struct master *m);     /* reads <data-dir>/ddl-pending.json */
void master_ddl_pending_free(struct master *m);
void master_ddl_pending_add(struct master *m, const char *id, const char *task,
                            const char *worker, const struct master_strv *ddls);
/* 1 when worker has a pending skip of lock id with these DDLs; one with other DDLs is
 * dropped (0). */
int master_ddl_pending_match(struct master *m, const char *id, const char *worker,
                             char *const *ddls, size_t n);
/* Locks whose owner runs ExecuteDDL{exec:true}: stored before the call, dropped when the
 * lock is removed; restored at start with master_ddl_restore_lock (ddl.c). */
void master_ddl_resolving_put(struct master *m, const char *id, const char *task,
                              const char *owner, const char *trace, const struct master_strv *ddls,
                              const struct master_strv *members);
void master_ddl_resolving_del(struct master *m, const char *id);
/* Re-create a lock (every member synced, the owner's ExecuteDDL taken as failed: see
 * ddl_stream.c owner_passed). */
int master_ddl_restore_lock(struct master *m, const char *id, const char *task,
                            const char *owner, const char *trace, const struct master_strv *ddls,
                            const struct master_strv *members);
/* Drop the entries matching every non-NULL of task, lock id, worker. */
void master_ddl_pending_del(struct master *m, const char *task, const char *id,
                            const char *worker);

/* Save a --sharding HandleSQLs operator (applied to the lock owner on resolve). */
struct Pb__HandleSQLsRequest;
int master_sqlop_save(struct master *m, const struct Pb__HandleSQLsRequest *req, char **err);

/* ---------- taskstore.c (GetTaskCfg persistence) ---------- */
int master_taskstore_put(struct master *m, const char *task, const char *yaml);
int master_taskstore_get(struct master *m, const char *task, char **yaml);
int master_taskstore_del(struct master *m, const char *task);

/* ---------- precheck.c ---------- */
struct master_db_cfg;
/* DM checker.CheckSyncConfig over the subtasks; DM_OK or DM_E_INVAL with *err. */
int master_precheck(const struct master_task_cfg *cfg, struct master_db_cfg *const *sources,
                    char **err);

#endif /* DM_MASTER_INT_H */

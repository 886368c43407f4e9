/* syncer.h - the Sync unit of one subtask: a thread that reads the source binlog
 * (worker/binlog/binlog.h) from the checkpoint (or the subtask's [meta] on first start) and
 * applies it to the target (applier.h) with DM v1.0 semantics: black-white-list,
 * event filters, routes, column mapping, safe mode for the first minute after every
 * (re)start or always with safe-mode, parallel apply over `worker-count` connections with
 * DM's causality (dmlpool.h), checkpoints (global + per table) after all connections
 * committed, DDL applied serially after the DML before it, positions only at
 * transaction ends. QUERY events go through the DDL parser (ddl.h): a statement it
 * does not support, statement-format DML or a DDL the target rejects stops the thread
 * with an error naming the statement and its binlog position (worker_terr.failed_pos),
 * unless a SQL operator (sqlop.h) matches it first; injected DDL runs at the next
 * transaction end or DDL. Lost connections (source or target)
 * are retried with backoff for `retry_window_ms`; past that the thread exits with a
 * transient error (the worker then pauses the subtask and may auto-resume it).
 * online-ddl-scheme pt/gh-ost: online_ddl.h (ghost tables not replicated, their DDL
 * applied to the real table at the cut-over); enable-heartbeat: heartbeat.h (lag in
 * worker_sync_stats).
 * is-sharding: DM v1.0.7's pessimistic sharding DDL (shard_group.h, shard_meta.h): the
 * source tables routed to one target form a group; a table meeting a DDL has its later
 * rows held while the other tables replicate; when every table of the group met it the
 * thread blocks with a DDLInfo (worker_syncer_take_ddl_info, sent to dm-master on the
 * FetchDDLInfo stream) until worker_syncer_exec_ddl executes or skips it, then re-syncs
 * the held rows from the first DDL's position (table points skip what was applied). The
 * global checkpoint never passes an unresolved group's first DDL.
 *
 * Ownership: the syncer BORROWS params->cfg, params->rules and the strings of
 * params->src; they must stay valid until worker_syncer_free.
 * Thread-safety: worker_syncer_stop/stats/failed may be called from any thread;
 * start/free from the owner only. */
#ifndef DM_WORKER_SYNCER_H
#define DM_WORKER_SYNCER_H

#include <stdbool.h>
#include <stdint.h>

#include "binlog.h"
#include "relay.h"
#include "sqlop.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "terror.h"

struct worker_syncer_params {
    const struct worker_subtask_cfg *cfg;
    const struct worker_rules *rules;
    struct bl_source src;
    const char *source_id;        /* checkpoint id */
    bool remove_meta;             /* drop the checkpoint table before starting */
    const char *start_file;       /* task-mode all: the dump's position, used instead of
                                     [meta] when no checkpoint is stored (NULL = none) */
    uint64_t start_pos;
    int64_t retry_window_ms;      /* keep retrying lost connections this long (0 = 60 s) */
    int64_t safe_mode_ms;         /* automatic safe mode after start (0 = 60 s) */
    struct worker_sqlop *sqlops;  /* borrowed, may be NULL: sql-skip/replace/inject */
    struct worker_relay *relay;   /* borrowed, may be NULL: read this relay (binlog-type
                                     local, relay.h) instead of the source */
    int64_t stop_grace_ms;        /* stop waits this long for the flush before it kills
                                     the target connections (0 = 10 s) */
};
#define WORKER_SYNCER_STOP_GRACE_MS 10000

struct worker_sync_stats {
    int64_t total_events;         /* rows + DDL statements applied */
    int64_t total_tps, recent_tps;
    char syncer_file[256];        /* flushed checkpoint */
    uint64_t syncer_pos;
    char syncer_gtid[128];        /* MariaDB GTID of the last committed transaction */
    bool have_pos;
    bool caught_up;               /* nothing buffered, reader idle */
    bool have_lag;                /* enable-heartbeat and a lag was measured (heartbeat.h) */
    double replication_lag;       /* seconds, DM's dm_syncer_replication_lag */
};

struct worker_syncer;

/* Start the thread. DM_OK or DM_E_NOMEM / DM_E_INTERNAL (thread creation). */
int worker_syncer_start(const struct worker_syncer_params *p, struct worker_syncer **out);
/* Ask the thread to stop (flushing what is complete), interrupt the reader and join.
 * A flush that has not ended after stop_grace_ms (a stalled target: locked table,
 * unanswered connection) is ended by killing the task's target connections
 * (worker_applier_kill_task): their uncommitted rows are rolled back and re-applied from
 * the checkpoint on the next start. Returns true when that was needed. Idempotent; from
 * one thread at a time (the subtask's owner), concurrently with stats/failed. */
bool worker_syncer_stop(struct worker_syncer *s);
/* true when the thread ended by itself with an error (copied to *err). */
bool worker_syncer_failed(struct worker_syncer *s, struct worker_terr *err);
void worker_syncer_stats(struct worker_syncer *s, struct worker_sync_stats *st);
/* ---- sharding DDL (is-sharding) ---- */
struct worker_ddl_info {
    char schema[256], table[256];   /* routed target table */
    char **ddls;                    /* routed statements */
    size_t n;
};
void worker_ddl_info_clear(struct worker_ddl_info *i);
/* The DDLInfo of the DDL the thread blocks on, if not handed out yet or handed out 10 s
 * ago (DM re-sends it: a restarted dm-master rebuilds its lock): copied into *out
 * (worker_ddl_info_clear) and marked handed out. */
bool worker_syncer_take_ddl_info(struct worker_syncer *s, struct worker_ddl_info *out);
/* It blocks and its DDLInfo was handed out (dm-master's DDLLockInfo may be on its way). */
bool worker_syncer_ddl_handed(struct worker_syncer *s);
/* The hand-out failed (stream broken): offer it again. */
void worker_syncer_untake_ddl_info(struct worker_syncer *s);
/* ExecuteDDL / BreakDDLLock, in two steps so the caller can hold its own lock for the
 * first: decide executes (exec) or skips the blocking DDL - ddls (n > 0) must equal the
 * blocking DDLs; trace (may be NULL) is the lock instance kept with an execution - and
 * registers the caller; await (always call it after a successful
 * decide) waits up to timeout_ms until the thread handled it. Errors in e: 36059 not
 * blocking / different DDLs, 40066 timeout, the DDL's own error (the thread then pauses
 * with it), stopped meanwhile. */
int worker_syncer_decide_ddl(struct worker_syncer *s, bool exec, const char *trace,
                             char *const *ddls, size_t n, struct worker_terr *e);
/* This worker executed lock instance `trace` (dm-master's ExecuteDDL traceGID, kept in
 * its execution marker) and checkpointed past it - in this run or before a restart; the
 * target table is copied to target. Lets an owner whose answer was lost (killed after its
 * checkpoint) answer the same lock asking again. */
bool worker_syncer_ddl_executed(struct worker_syncer *s, const char *trace, char *target,
                                size_t cap);
int worker_syncer_await_ddl(struct worker_syncer *s, int64_t timeout_ms, struct worker_terr *e);
/* query-status: malloc'd JSON {"blockingDDLs":[...],"unresolvedGroups":[...]} (DM's
 * ShardingGroup fields), NULL when not sharding. */
char *worker_syncer_shard_json(struct worker_syncer *s);
/* Stops (if needed) and frees. */
void worker_syncer_free(struct worker_syncer *s);

#endif /* DM_WORKER_SYNCER_H */

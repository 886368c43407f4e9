/* worker.h - the dm-worker core: subtasks (config, rules, stage, Sync unit), DM v1.0
 * stage rules, the persistent operation log, restore on restart and the checker that
 * auto-resumes subtasks paused by transient errors. The RPC layer (service.h) turns
 * these calls into pb.Worker messages.
 *
 * Operations (start/pause/resume/stop/update) follow DM v1.0.7: the request is
 * validated (malformed config -> error returned to the caller, i.e. a gRPC error),
 * then executed and recorded in the operation log; stage errors (40050/40051/40052),
 * unknown subtask (40054) and duplicates (40055) are recorded as failed log entries
 * (message = DM terror string) and the caller gets the log id, exactly like DM, whose
 * master polls QueryTaskOperation.
 *
 * Control never waits on data: pause/stop mark the subtask busy under the worker mutex,
 * stop its Sync unit (flush + join, bounded by stop_grace_ms, then the target
 * connections are killed and the pause ends with a named error) with the mutex released,
 * and finish under it again. Meanwhile query-status answers (the stage already shows
 * Paused, op_in_progress the pending op) and any other operation on that subtask is
 * refused with WTE_WORKER_OP_IN_PROGRESS; other subtasks are not affected.
 *
 * Ownership: worker_new borrows `cfg` (must outlive the worker).
 * Thread-safety: every function is safe from any thread (one internal mutex, held only
 * briefly: never across a syncer join or a target round trip). worker_free waits for
 * pauses/stops in flight; the caller stops the RPC service first. */
#ifndef DM_WORKER_WORKER_H
#define DM_WORKER_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "presync.h"
#include "syncer.h"
#include "terror.h"
#include "worker_config.h"

struct worker;

struct worker_options {
    int64_t retry_window_ms;      /* syncer connection retry window (0 = 60 s) */
    int64_t safe_mode_ms;         /* automatic safe mode after (re)start (0 = 60 s) */
    int64_t checker_interval_ms;  /* checker tick (0 = 1 s) */
    int64_t backoff_min_ms;       /* first auto-resume delay (0 = 1 s) */
    int64_t stop_grace_ms;        /* pause/stop waits this long for the target before it
                                     kills the task's connections (0 = 10 s, syncer.h) */
};

/* Open meta-dir, restore saved subtasks (Running ones are started) and start the
 * checker thread. DM_OK or DM_E_* with err. */
int worker_new(const struct worker_config *cfg, const struct worker_options *opt,
               struct worker **out, char *err, size_t cap);
/* Stop every Sync unit (flushing checkpoints) and free; saved stages are kept. */
void worker_free(struct worker *w);
/* The worker's relay unit (relay.h; started by worker_new, freed by worker_free). */
struct worker_relay *worker_relay_of(struct worker *w);

/* Start a subtask from its TOML. DM_OK with *log_id, or an error whose DM terror
 * string is in err (config decode/validation failures). */
int worker_start_subtask(struct worker *w, const char *toml, int64_t *log_id, char *err,
                         size_t cap);
/* op: Pb__TaskOp Stop/Pause/Resume/AutoResume. Always logs; DM_OK with *log_id. */
int worker_operate_subtask(struct worker *w, const char *name, int op, int64_t *log_id,
                           char *err, size_t cap);
int worker_update_subtask(struct worker *w, const char *toml, int64_t *log_id, char *err,
                          size_t cap);
int worker_query_log(struct worker *w, int64_t id, struct worker_oplog_entry *out, bool *found);

/* Snapshot of one subtask for status / error queries. */
struct worker_subtask_status {
    char name[128];
    int stage;                    /* Pb__Stage */
    bool has_error;
    struct worker_terr error;
    bool canceled;                /* paused/stopped by an operator */
    int op_in_progress;           /* Pb__TaskOp (Pause/Stop) still stopping the Sync unit
                                     (the stage already shows its result), or 0 */
    struct worker_sync_stats sync;
    bool has_sync;
    int unit;                     /* Pb__UnitType: Dump / Load (task-mode full/all) or Sync */
    struct worker_load_stats load;   /* unit Load */
    char ddl_lock_id[512];        /* is-sharding: DDLLockInfo ID from dm-master, or "" */
    char *shard_json;             /* is-sharding: syncer.h worker_syncer_shard_json, or NULL */
};
/* name NULL/"" = all (sorted by name); *n = 0 when `name` is unknown. Free *out with
 * worker_snapshot_free. */
int worker_snapshot(struct worker *w, const char *name, struct worker_subtask_status **out,
                    size_t *n);
void worker_snapshot_free(struct worker_subtask_status *sts, size_t n);
const struct worker_config *worker_cfg(const struct worker *w);

/* HandleSQLs: set a SQL operator (op: Pb__SQLOp) on subtask `name` (sqlop.h). DM_OK, or
 * an error with DM's terror string in err (unknown subtask 40054, bad arguments 11017,
 * inject checks 36023/36024). Takes the worker lock briefly; never waits on data. */
int worker_handle_sqls(struct worker *w, const char *name, int op, const char *const *args,
                       size_t nargs, const char *binlog_pos, const char *pattern, char *err,
                       size_t cap);
/* ---- sharding DDL (is-sharding; DM v1.0.7 Worker.FetchDDLInfo / RecordDDLLockInfo /
 * ExecuteDDL / BreakDDLLock). Never hold the worker lock while waiting. ---- */
/* The DDLInfo of a subtask blocked on a sharding DDL, not handed out yet: task name into
 * task, info into *out (worker_ddl_info_clear). */
bool worker_fetch_ddl_info(struct worker *w, char *task, size_t cap, struct worker_ddl_info *out);
/* The FetchDDLInfo stream could not deliver it: offer it again. */
void worker_unfetch_ddl_info(struct worker *w, const char *task);
/* dm-master's DDLLockInfo: remembered as the subtask's unresolvedDDLLockID. */
int worker_record_ddl_lock(struct worker *w, const char *task, const char *id, char *err,
                           size_t cap);
/* ExecuteDDL: lock_id must be the recorded one (40061); waits until the DDL was executed
 * (exec) or skipped, up to timeout_ms (40066). DM_OK or an error with DM's terror string.
 * trace (traceGID, may be NULL): exec of a lock instance this worker already executed and
 * checkpointed while nothing blocks on it (its answer was lost: killed after the
 * checkpoint) is answered DM_OK without running anything. */
int worker_execute_ddl(struct worker *w, const char *task, const char *lock_id,
                       const char *trace, bool exec, char *const *ddls, size_t n,
                       int64_t timeout_ms, char *err, size_t cap);
/* BreakDDLLock: remove the recorded lock ID (remove_id non-empty: must match, 40061),
 * then execute or skip the blocking DDL (both: 40064). */
int worker_break_ddl_lock(struct worker *w, const char *task, const char *remove_id, bool exec,
                          bool skip, int64_t timeout_ms, char *err, size_t cap);
/* ---- relay control (DM v1.0.7 Worker.UpdateRelayConfig / MigrateRelay) ---- */
/* The config whose [from] is the source now: worker_cfg, or the last update-relay's
 * (valid until worker_free). */
const struct worker_config *worker_from(struct worker *w);
/* UpdateRelayConfig: every subtask must be in its Sync unit (40058; task-mode full or a
 * Dump/Load still pending counts as not), content is a whole dm-worker.toml (40003 when it
 * does not parse) with our source-id (40059). Its [from] becomes the source of the relay
 * (worker_relay_reload: a Running relay is paused, updated, resumed) and of every subtask
 * (Running ones are paused and resumed at once, Paused ones use it at resume); the content
 * is kept as <meta-dir>/dm-worker-config.bak and its [from] replaces the config file's at
 * the next start (DM rewrites dm-worker.toml). DM_OK or an error with e. */
int worker_update_relay(struct worker *w, const char *content, struct worker_terr *e);
/* MigrateRelay: worker_relay_migrate (no relay: 40053). */
int worker_migrate_relay(struct worker *w, const char *file, uint64_t pos, struct worker_terr *e);
/* Run the checker once now (tests). */
void worker_check_now(struct worker *w);

#endif /* DM_WORKER_WORKER_H */

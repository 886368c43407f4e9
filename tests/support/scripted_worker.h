/* scripted_worker.h - a scripted pb.Worker on rpc/'s server for dm-master tests: keeps
 * subtasks in memory with DM's stage rules and op-log, answers QueryWorkerConfig with a
 * given [from] TOML, can be slowed down per call, and plays the worker side of the
 * FetchDDLInfo stream (sends queued DDLInfo, records the DDLLockInfo it gets back).
 * Every ExecuteDDL / HandleSQLs / BreakDDLLock it receives is recorded as an event with a
 * process-wide sequence number, so tests can check the order across workers.
 * Part of dmtestsupport (links dmrpc + dmproto).
 * Thread-safety: every function may be called while the server runs, except sw_stop. */
#ifndef DM_SCRIPTED_WORKER_H
#define DM_SCRIPTED_WORKER_H

#include <stdbool.h>
#include <stddef.h>

struct scripted_worker;

/* Start on 127.0.0.1:<free port>; *port receives it. from_toml is the
 * QueryWorkerConfig content (copied). NULL on failure. */
struct scripted_worker *sw_start(const char *source_id, const char *from_toml, int *port);
/* Same on a given port (a "restarted" worker); NULL when the port cannot be bound. */
struct scripted_worker *sw_start_port(const char *source_id, const char *from_toml, int port);
/* Delay every unary answer by ms. */
void sw_set_delay(struct scripted_worker *w, int ms);
/* hold = true: every ExecuteDDL that arrives waits (unanswered, not yet recorded) until
 * sw_hold_exec(w, false); sw_exec_held = how many wait now. Lets a test act while the
 * master's call is in flight without guessing a duration. Release before sw_stop. */
void sw_hold_exec(struct scripted_worker *w, bool hold);
int sw_exec_held(struct scripted_worker *w);
/* Next StartSubTask's op-log entry fails with this message (copied; NULL = success). */
void sw_fail_next_start(struct scripted_worker *w, const char *msg);
/* Stage errors of StartSubTask/OperateSubTask (40050/40051/40054/40055): false (default) =
 * a gRPC error carrying the terror text; true = meta.result=true + a logID whose op-log
 * entry is success=false with the text, as DM v1.0.7's worker (and ours) answer. */
void sw_set_oplog_errors(struct scripted_worker *w, bool on);
/* A subtask that already exists (as after a worker kept running across a master restart). */
void sw_add_subtask(struct scripted_worker *w, const char *name, int stage);
/* Number of calls of a unary method ("StartSubTask", ...) or "FetchDDLInfo" streams. */
int sw_calls(struct scripted_worker *w, const char *method);

/* Queue a DDLInfo for the FetchDDLInfo stream (sent on the current or next stream). */
void sw_push_ddl(struct scripted_worker *w, const char *task, const char *schema,
                 const char *table, const char *const *ddls, size_t n);
/* DDLLockInfo messages received so far; the last ID is copied to last_id (may be NULL). */
int sw_lock_infos(struct scripted_worker *w, char *last_id, size_t cap);
/* The next ExecuteDDL answers result=false with this msg (copied). */
void sw_fail_next_exec(struct scripted_worker *w, const char *msg);

struct sw_event {
    long seq;              /* process-wide order */
    char method[24];       /* "ExecuteDDL", "HandleSQLs", "BreakDDLLock" */
    bool flag;             /* ExecuteDDL.exec / BreakDDLLock.execDDL */
    int op;                /* HandleSQLs op */
    char id[160];          /* ExecuteDDL.lockID / BreakDDLLock.removeLockID / HandleSQLs name */
    char arg[160];         /* ExecuteDDL first DDL / HandleSQLs sqlPattern / BreakDDLLock task */
    char trace[96];        /* ExecuteDDL traceGID */
};
/* Copy up to cap recorded events; returns how many there are. */
int sw_events(struct scripted_worker *w, struct sw_event *out, int cap);

void sw_stop(struct scripted_worker *w);

#endif

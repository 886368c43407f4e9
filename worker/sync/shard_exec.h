/* shard_exec.h - exactly-once execution of a sharding DDL on the target (is-sharding).
 *
 * The rule: the owner of a DDL lock writes a marker row into
 * `<meta-schema>`.`<task>_syncer_sharding_exec` (one row per source and target table)
 * BEFORE each statement of the resolved DDL runs: the DDL event's end position, the
 * statement list being executed (with any --sharding operator already applied), the index
 * of the statement about to run, the target connection's ID and SHOW CREATE TABLE of the
 * target table just before it. A DDL is not transactional in MariaDB, so the marker cannot
 * commit with it; after a kill -9 between the DDL and the checkpoint, the restarted owner
 * meets the DDL again and, once the lock resolves again, finds the marker for the same
 * end position: it waits until the recorded connection is gone from the target (a DDL
 * keeps running after its client died), then compares the table's definition with the
 * recorded one - changed: that statement ran, the next one follows; equal: it did not
 * run (or changed nothing: rerun). The marker's statement list is used, not the one the
 * restart rebuilt (an operator's replacement is not re-read). After the resolution's
 * checkpoint the marker is marked done (stmt_index -1; it stays until the target's next
 * DDL replaces it); a done marker or one of another position is ignored by that rule.
 * The marker keeps the lock instance (trace_gid: dm-master's ExecuteDDL traceGID): an
 * owner killed after its checkpoint, before its answer, is asked again by the same lock
 * after its restart and answers it from a done marker of that instance (syncer.h
 * worker_syncer_ddl_executed) instead of leaving the others blocked.
 * "Duplicate column" style errors are therefore never needed to hide a second run.
 * Limit: a statement that leaves SHOW CREATE TABLE byte-identical (AUTO_INCREMENT=
 * ignored) but changes data in a way a second run does not repeat identically cannot be
 * told apart (e.g. swapping two columns' names and positions); it is run again.
 *
 * The same table holds the marker of DDL outside a lock (every task, row target_table_id
 * '': ddl_exec.h), written and read with these functions: one module owns "DDL executed on
 * the target"; worker_shard_exec_prepare runs at every Sync session start of every task.
 *
 * Ownership: borrows every argument; worker_shard_exec_load fills an owned struct freed
 * with worker_shard_mark_clear. Errors: DM_OK or the applier's error in e
 * (worker_shard_exec_wait_conn: DM_E_CANCELLED when `stop` was set first).
 * Thread-safety: the Sync unit's thread. */
#ifndef DM_WORKER_SHARD_EXEC_H
#define DM_WORKER_SHARD_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "applier.h"
#include "terror.h"

struct worker_shard_mark {
    bool found;
    char end[320];            /* "(file, pos)" of the DDL event's end */
    char trace[129];          /* lock instance (ExecuteDDL traceGID), "" if none */
    int idx;                  /* statement about to run; -1: done (checkpoint passed it) */
    unsigned long conn;       /* target connection that ran it */
    char *before;             /* SHOW CREATE TABLE before it ("" = no table) */
    char **sql, **use;        /* the statement list (n) */
    size_t n;
};

void worker_shard_mark_clear(struct worker_shard_mark *m);

/* CREATE TABLE IF NOT EXISTS (DROP first with `remove`). */
int worker_shard_exec_prepare(struct worker_applier *a, bool remove, struct worker_terr *e);
/* The marker of (source_id, target "`db`.`tbl`"), m->found false when none. */
int worker_shard_exec_load(struct worker_applier *a, const char *source_id, const char *target,
                           struct worker_shard_mark *m, struct worker_terr *e);
/* Write the marker for statement idx of sql/use (n) and commit it. `before` as above. */
int worker_shard_exec_save(struct worker_applier *a, const char *source_id, const char *target,
                           const char *end, const char *trace, int idx, char *const *sql,
                           char *const *use, size_t n, const char *before,
                           struct worker_terr *e);
/* Move the marker written by worker_shard_exec_save (same list) to statement idx with
 * `before` (a long list is not written again per statement), and commit it. */
int worker_shard_exec_step(struct worker_applier *a, const char *source_id, const char *target,
                           int idx, const char *before, struct worker_terr *e);
/* Mark the marker done (after the resolution's checkpoint). */
int worker_shard_exec_done(struct worker_applier *a, const char *source_id,
                           const char *target, struct worker_terr *e);
/* Every marker of source_id: fn(ud, target, ddl_end, stmt_index, trace_gid). */
typedef void (*worker_shard_exec_fn)(void *ud, const char *target, const char *end, int idx,
                                     const char *trace);
int worker_shard_exec_each(struct worker_applier *a, const char *source_id,
                           worker_shard_exec_fn fn, void *ud, struct worker_terr *e);
/* SHOW CREATE TABLE of schema.table without its AUTO_INCREMENT=n, "" when it does not
 * exist; *out malloc'd. */
int worker_shard_exec_schema(struct worker_applier *a, const char *schema, const char *table,
                             char **out, struct worker_terr *e);
/* Wait until target connection `conn` (not ours) is gone from the PROCESSLIST. */
int worker_shard_exec_wait_conn(struct worker_applier *a, unsigned long conn,
                                const atomic_bool *stop, struct worker_terr *e);

#endif /* DM_WORKER_SHARD_EXEC_H */

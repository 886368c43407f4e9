/* dmlpool.h - parallel apply of the Sync unit (DM v1.0 "causality", dataplane.md §3.3):
 * `n` DML connections to the target, each with its own thread and queue. Row jobs
 * (applier.h worker_rowjob) are routed by their PK/UK causality keys: a key already
 * owned by a queue since the last barrier goes to that queue (order per key is kept);
 * a row whose keys are owned by several queues commits the other owners first and
 * moves its keys to one queue (DM flushes everything instead; this is the same
 * guarantee with a smaller stall); new keys go to queue 1 + hash % (n - 1). Tables
 * without a PK or NOT NULL unique key are key-less and go to queue 0 as a whole (so
 * queue 0 shares no table, hence no InnoDB gap lock, with the other queues).
 *
 * Transactions: each connection batches its jobs in one transaction (statements sent
 * as multi-statement packets, mergeable jobs grouped and merged: dmlbatch.h), committed
 * when `batch` rows are reached or 10 ms after its queue drained (InnoDB's unique checks
 * take gap locks even in READ COMMITTED, so no connection may sit on its locks). A
 * deadlock or lock wait timeout rolls back and re-runs the transaction (up to 8 times).
 * Keyed rows committed past the global checkpoint are re-applied idempotently after a
 * crash because the Sync unit runs in safe mode after every start (as DM relies on).
 * Key-less rows are not idempotent: queue 0 commits them only at an event end (the Sync
 * unit pushes a marker after each event with key-less rows) together with their tables'
 * checkpoint rows (is_global=0) at that event's position, and the Sync unit skips
 * key-less rows at or before its table's position when it replays (DM's table points).
 *
 * A job marked barrier (applier.h: a partial row image frees or takes a unique value
 * that no key shows) waits until every keyed queue committed, runs, and is committed
 * before the next job is queued (the order per unknown key is then the source's).
 *
 * Errors: the first failing connection's error (DM_E_DB / DM_E_UNAVAILABLE, transient
 * for lost connections, lock wait timeouts and deadlocks) is returned by the next
 * add/checkpoint; the pool is then unusable (free it and reopen from the checkpoint).
 * Thread-safety: all functions from one (the owner's) thread. */
#ifndef DM_WORKER_DMLPOOL_H
#define DM_WORKER_DMLPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "applier.h"
#include "subtask_cfg.h"
#include "terror.h"

#define WORKER_DMLPOOL_MAX 64    /* worker-count is capped to this many connections */

struct worker_dmlpool;

/* Connect n (1..WORKER_DMLPOOL_MAX) DML connections and start their threads. Strings
 * are copied. DM_OK or the connection error (transient) / DM_E_NOMEM / DM_E_INTERNAL. */
int worker_dmlpool_open(const struct worker_db_cfg *to, const char *meta_schema,
                        const char *task, const char *source_id, int n, int batch,
                        struct worker_dmlpool **out, struct worker_terr *e);
/* Route and queue one job (copied). Blocks while the target queue is full or while
 * conflicting queues commit. Signature fits worker_rowjob_fn (ud = the pool). */
int worker_dmlpool_add(void *pool, const struct worker_rowjob *j, struct worker_terr *e);
/* Barrier: every queue executes and commits what it has; then queue 0 upserts the
 * checkpoint rows (global + per table) in the transaction that commits its last rows.
 * Clears the causality map. */
int worker_dmlpool_checkpoint(struct worker_dmlpool *p, const struct worker_cp_row *rows,
                              size_t n, struct worker_terr *e);
/* After the rows of an event that produced key-less jobs: lets queue 0 commit them with
 * the table's checkpoint row at (file, pos). */
int worker_dmlpool_mark(struct worker_dmlpool *p, const char *schema, const char *table,
                        const char *file, uint64_t pos, struct worker_terr *e);
/* Entries in the causality map (since the last checkpoint). */
size_t worker_dmlpool_keys(const struct worker_dmlpool *p);
/* Conflicts resolved so far (rows whose keys were owned by several queues). */
uint64_t worker_dmlpool_conflicts(const struct worker_dmlpool *p);
/* Stop the threads, roll back uncommitted work, close the connections. NULL ok. */
void worker_dmlpool_free(struct worker_dmlpool *p);

#endif /* DM_WORKER_DMLPOOL_H */

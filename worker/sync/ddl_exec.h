/* ddl_exec.h - what a DDL statement names on the target, before and after it ran: the
 * state the DDL-replay rule compares (outside a sharding lock; syncer.c ddl_exec).
 *
 * The rule (docs/worker.md "DDL exactly once on the target"): a DDL is not transactional
 * in MariaDB, so the checkpoint cannot move with it; before each statement of a QUERY
 * event runs on the target, the Sync unit writes a marker row (shard_exec.h's table
 * `<task>_syncer_sharding_exec`, target_table_id WORKER_DDL_MARK_TARGET: one row per
 * source) with the event's end position, the statement list, the statement's index, the
 * target connection's ID and the state below (the next statements move the row with
 * worker_shard_exec_step; a statement the server refused is marked -2 - index: it did not
 * run), and marks it done after the checkpoint passed the event. A restart (kill -9 in between) that meets the event again with a live
 * marker for that position waits for the recorded connection to end, compares the state:
 * changed - the statement ran, the next one follows; unchanged - it did not run (run it),
 * unless worker_ddl_replay_blind says a run could have left it unchanged: then the task
 * pauses (not transient) naming the statement and the position.
 *
 * The state: JSON [[schema, table, definition], ...] of every name the statement names
 * (worker_ddl_parse: the table acted on, a RENAME's new name, LIKE / REFERENCES /
 * EXCHANGE tables); definition = SHOW CREATE TABLE without AUTO_INCREMENT=n ("" when the
 * table does not exist), for a schema-level name SHOW CREATE DATABASE ("" when missing),
 * in hex (its bytes need not be UTF-8).
 *
 * Ownership: borrows every argument; *out is malloc'd. Errors: DM_OK or the applier's
 * error in e. Thread-safety: the Sync unit's thread. */
#ifndef DM_WORKER_DDL_EXEC_H
#define DM_WORKER_DDL_EXEC_H

#include <stdbool.h>

#include "applier.h"
#include "terror.h"

#define WORKER_DDL_MARK_TARGET ""   /* the non-sharded marker's target_table_id */

/* The state of what `sql` (default schema `use`, "" none) names on the target now. */
int worker_ddl_exec_state(struct worker_applier *a, const char *sql, const char *use,
                          char **out, struct worker_terr *e);
/* *changed when the target's state of the names in `before` (worker_ddl_exec_state's
 * JSON) differs from it. A malformed `before`: *changed false. */
int worker_ddl_exec_changed(struct worker_applier *a, const char *before, bool *changed,
                            struct worker_terr *e);

#endif /* DM_WORKER_DDL_EXEC_H */

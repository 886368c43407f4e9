/* applier.h - the downstream side of the Sync unit: one target connection (libmariadb),
 * the target table schema cache (columns, PK/UK read from the target), DML generation
 * with DM v1.0 semantics (dataplane.md §3.4: INSERT / UPDATE ... WHERE <key> LIMIT 1 /
 * DELETE ... LIMIT 1; safe mode REPLACE and DELETE+REPLACE), the checkpoint table
 * `<meta-schema>`.`<task>_syncer_checkpoint` written in the same transaction as the rows
 * it covers, and DDL execution ignoring DM's benign errors.
 * Errors: DM_OK or DM_E_DB / DM_E_UNAVAILABLE (connection lost: e->transient) /
 * DM_E_INVAL (schema mismatch, mapping) / DM_E_NOMEM, with a DM-style error in *e.
 * Thread-safety: one applier per thread. */
#ifndef DM_WORKER_APPLIER_H
#define DM_WORKER_APPLIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binlog.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "terror.h"

struct worker_applier;

/* Connect to `to` (borrowed; copied). task/source_id/meta_schema are copied. */
int worker_applier_open(const struct worker_db_cfg *to, const char *meta_schema,
                        const char *task, const char *source_id,
                        struct worker_applier **out, struct worker_terr *e);
void worker_applier_free(struct worker_applier *a);

/* CREATE SCHEMA/TABLE IF NOT EXISTS for the checkpoint table; with `remove` the table
 * is dropped first (remove-meta). */
int worker_applier_prepare_meta(struct worker_applier *a, bool remove, struct worker_terr *e);
/* Global checkpoint of this source: *found false when none is stored. */
int worker_applier_load_checkpoint(struct worker_applier *a, char *file, size_t cap,
                                   uint64_t *pos, bool *found, struct worker_terr *e);

/* Apply one rows event to target `tschema`.`ttable` inside the open transaction
 * (BEGIN is sent when needed). `rules` supplies column mapping (may be NULL). */
int worker_applier_rows(struct worker_applier *a, const struct bl_event *ev,
                        const char *tschema, const char *ttable, bool safe_mode,
                        const struct worker_rules *rules, struct worker_terr *e);
/* Write the global checkpoint (file, pos) and COMMIT (a transaction is opened if
 * none is). */
int worker_applier_commit(struct worker_applier *a, const char *file, uint64_t pos,
                          struct worker_terr *e);
/* ROLLBACK the open transaction, if any (errors ignored). */
void worker_applier_rollback(struct worker_applier *a);
bool worker_applier_in_txn(const struct worker_applier *a);
/* Rows applied in the open transaction. */
size_t worker_applier_txn_rows(const struct worker_applier *a);

/* Execute a DDL (autocommit) after `USE use_schema` when use_schema is non-empty;
 * "already exists / does not exist" class errors are treated as success. The schema
 * cache is dropped. */
int worker_applier_ddl(struct worker_applier *a, const char *use_schema, const char *sql,
                       struct worker_terr *e);
/* Drop cached schema of one table (NULL schema = everything). */
void worker_applier_invalidate(struct worker_applier *a, const char *schema, const char *table);

/* Run one statement (tests, tools). */
int worker_applier_exec(struct worker_applier *a, const char *sql, struct worker_terr *e);

#endif /* DM_WORKER_APPLIER_H */

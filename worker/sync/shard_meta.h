/* shard_meta.h - persistence of the sharding groups (shard_group.h) in DM v1.0.7's table
 * `<meta-schema>`.`<task>_syncer_sharding_meta` (source_id, target_table_id,
 * source_table_id, active_index, is_global, data JSON, create/update time; one global row
 * per group with an unresolved sequence plus one row per source table that met a DDL),
 * and the source's table list the groups are built from (DM's initShardingGroups).
 *
 * Ownership: borrows every argument. Errors: DM_OK or the applier's / source's error in
 * e (target: class database, scope downstream; source: scope upstream, transient when
 * the source is unreachable). Thread-safety: the caller's thread (the Sync unit's). */
#ifndef DM_WORKER_SHARD_META_H
#define DM_WORKER_SHARD_META_H

#include <stdbool.h>

#include "applier.h"
#include "binlog.h"
#include "shard_group.h"
#include "terror.h"

/* CREATE SCHEMA/TABLE IF NOT EXISTS (DROP first with `remove`: remove-meta). */
int worker_shard_meta_prepare(struct worker_applier *a, bool remove, struct worker_terr *e);
/* Restore this source's stored rows into k's groups (groups must exist already). */
int worker_shard_meta_load(struct worker_applier *a, const char *source_id, struct wsk *k,
                           struct worker_terr *e);
/* Replace the stored rows of target's group by its current state (none when resolved). */
int worker_shard_meta_flush(struct worker_applier *a, const char *source_id,
                            const struct wsk *k, const char *target, struct worker_terr *e);
/* Every base table of the source outside the system schemas: fn(ud, schema, table). */
int worker_shard_source_tables(const struct bl_source *src,
                               void (*fn)(void *ud, const char *schema, const char *table),
                               void *ud, struct worker_terr *e);

#endif /* DM_WORKER_SHARD_META_H */

/* merge_shape.h - is a source table's column list the one its merged target table has?
 * Routes that merge several source tables into one target table (non-sharding tasks)
 * apply every source table's ALTER to the one target: the first changes it, the others
 * fail as "duplicate column" / "exists" - ignored as replays - even when their definition
 * differs (ADD c AFTER id on one, ADD c at the end on the other). Rows are applied by
 * position, so the second table's values went into other columns, silently. The Sync unit
 * compares the two column lists after such an ignored error (syncer.c merged_alter).
 * Compared: ordinal position, name, column type, collation (an MD5 per column, XORed),
 * read from information_schema on both servers - the source's as it is now.
 * Thread-safety: one caller per applier (the Sync unit thread). */
#ifndef DM_WORKER_MERGE_SHAPE_H
#define DM_WORKER_MERGE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "applier.h"
#include "binlog.h"
#include "terror.h"

struct worker_srcmeta;

/* *same: source `sschema`.`stable` (read by sm, srcmeta.h) and target `tschema`.`ttable`
 * (the applier's connection) have the same columns. DM_OK, or an error in e (a source or
 * target query failed: transient). */
int worker_merge_shape_same(struct worker_srcmeta *sm, struct worker_applier *a,
                            const char *sschema, const char *stable, const char *tschema,
                            const char *ttable, bool *same, struct worker_terr *e);

#endif /* DM_WORKER_MERGE_SHAPE_H */

/* load_dropped.h - the Load unit's guard against resuming over dropped target tables.
 * A Load that resumes at its checkpoint skips what the checkpoint marks as committed. When
 * the target table of such rows was dropped (DROP TABLE / DROP DATABASE) or emptied since,
 * the schema files would re-create it empty and the skipped rows would be silently lost.
 * Before anything is created, each table with checkpoint progress (a data file's offset
 * > 0) is probed with one query; a missing or empty target table is refused (34998,
 * non-transient) naming the tables, and nothing is loaded: the user cleans the target and
 * starts the task with remove-meta. A resume over the tables as the Load left them (kill -9,
 * target restart) finds them there with rows and is not affected.
 * Thread-safety: none of its own (one applier per caller). */
#ifndef DMGW_WORKER_LOAD_LOAD_DROPPED_H
#define DMGW_WORKER_LOAD_LOAD_DROPPED_H

#include <stdbool.h>
#include <stddef.h>

#include "applier_int.h"
#include "terror.h"

/* Whether target table tdb.ttbl is missing (no table or no database) or holds no row
 * (*lost). DM_OK, or DM_E_DB / DM_E_UNAVAILABLE / DM_E_NOMEM with *e. */
int worker_load_dropped_check(struct worker_applier *a, const char *tdb, const char *ttbl,
                              bool *lost, struct worker_terr *e);

/* The refusal (34998); tables: "the target table `db`.`t` was dropped or emptied after
 * the Load committed N bytes of its dump; ..." for the n tables. */
void worker_load_dropped_refuse(struct worker_terr *e, const char *tables, size_t n);

#endif

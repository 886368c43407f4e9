/* load_keyless.h - the Load unit's guard against loading a key-less table twice.
 * A target table without a row identity (no PRIMARY KEY and no UNIQUE key whose columns are
 * all NOT NULL) takes the same rows again without an error (a keyed table stops on Error
 * 1062). When this source's Load commits its first rows into such a table, the loader
 * checkpoint gets a marker row (filename `<db>.<tbl>-keyless`, source names) that
 * remove-meta keeps; a later load of that source table that starts from its first row
 * (remove-meta, or its checkpoint lost) while the target table holds rows is refused
 * (34999), so the rows are never doubled silently. A load that resumes at its checkpoint
 * offsets is exactly-once and is not checked; rows of a user or of another source (no
 * marker of this source) are loaded into, as DM does.
 * Thread-safety: none of its own (one applier per caller). */
#ifndef DMGW_WORKER_LOAD_LOAD_KEYLESS_H
#define DMGW_WORKER_LOAD_LOAD_KEYLESS_H

#include <stdbool.h>
#include <stddef.h>

#include "applier_int.h"
#include "buf.h"
#include "terror.h"

/* the marker row's filename suffix; SQL LIKE pattern of marker rows */
#define WORKER_LOAD_KEYLESS_SUFFIX "-keyless"
#define WORKER_LOAD_KEYLESS_LIKE "%-keyless"

/* Whether target table tdb.ttbl has no row identity (*keyless) and, when `fresh` (this
 * source's load of sdb.stbl starts at its first row), whether loading it would double rows
 * (*reload: a marker of this source and a row in the target table). DM_OK, or DM_E_DB /
 * DM_E_UNAVAILABLE / DM_E_NOMEM with *e. */
int worker_load_keyless_check(struct worker_applier *a, const char *sdb, const char *stbl,
                              const char *tdb, const char *ttbl, bool fresh, bool *keyless,
                              bool *reload, struct worker_terr *e);

/* The refusal (34999) naming the n tables ("`db`.`t` (from `sdb`.`stbl`), ..."). */
void worker_load_keyless_refuse(struct worker_terr *e, const char *tables, size_t n);

/* The marker row of sdb.stbl (INSERT IGNORE), in the caller's open transaction; q is
 * scratch. DM_OK or an error with *e. */
int worker_load_keyless_mark(struct worker_applier *a, const char *sdb, const char *stbl,
                             struct dm_buf *q, struct worker_terr *e);

#endif

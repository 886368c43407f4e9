/* xa_meta.h - persistence of the prepared XA transactions the Sync unit applied (syncer.c
 * xa_stmt) in `<meta-schema>`.`<task>_syncer_xa` (source_id, xid, row changes applied from
 * it, its first table, the position of its XA END), so an XA COMMIT / XA ROLLBACK after a kill -9, a restart or a
 * pause/resume is judged as without one: a record written before the checkpoint that passes
 * the XA PREPARE, deleted after the checkpoint that passes its XA COMMIT / ROLLBACK.
 *
 * Ownership: borrows every argument. Errors: DM_OK or the applier's error in e (class
 * database, scope downstream). Thread-safety: the caller's thread (the Sync unit's). */
#ifndef DM_WORKER_XA_META_H
#define DM_WORKER_XA_META_H

#include <stdbool.h>
#include <stdint.h>

#include "applier.h"
#include "terror.h"

/* CREATE TABLE IF NOT EXISTS (this source's rows deleted first with `remove`: remove-meta). */
int worker_xa_meta_prepare(struct worker_applier *a, bool remove, struct worker_terr *e);
/* This source's records: fn(ud, xid, rows, first table, (file, pos) of its XA END) each. */
typedef void (*worker_xa_meta_fn)(void *ud, const char *xid, int64_t rows, const char *table,
                                  const char *file, uint64_t pos);
int worker_xa_meta_load(struct worker_applier *a, const char *source_id,
                        worker_xa_meta_fn fn, void *ud, struct worker_terr *e);
/* Upsert one record and COMMIT. */
int worker_xa_meta_put(struct worker_applier *a, const char *source_id, const char *xid,
                       int64_t rows, const char *table, const char *file, uint64_t pos,
                       struct worker_terr *e);
/* Delete one record and COMMIT. */
int worker_xa_meta_del(struct worker_applier *a, const char *source_id, const char *xid,
                       struct worker_terr *e);

#endif /* DM_WORKER_XA_META_H */

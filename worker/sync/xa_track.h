/* xa_track.h - the prepared XA transactions a Sync unit applied (MariaDB 10.5+ logs an XA
 * transaction's rows at XA PREPARE: GTID, rows, QUERY `XA END <xid>`, XA_PREPARE event;
 * `XA COMMIT <xid>` / `XA ROLLBACK <xid>` come later as event groups of their own). Per xid
 * seen at XA END: the row changes this task applied from it and the first table. Kept in
 * memory and in `<task>_syncer_xa` (xa_meta.h): written before the checkpoint that passes
 * the XA PREPARE, deleted after the one that passes its XA COMMIT / ROLLBACK, so a kill -9,
 * a restart or a pause/resume judges them as without one.
 *
 * Ownership: worker_xa_new's result is the caller's (worker_xa_free); borrows the rest.
 * Errors: DM_OK, DM_E_NOMEM, or the applier's error in e. Thread-safety: one thread (the
 * Sync unit's). */
#ifndef DM_WORKER_XA_TRACK_H
#define DM_WORKER_XA_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applier.h"
#include "terror.h"

struct worker_xa;

enum worker_xa_stmt { WXA_END, WXA_COMMIT, WXA_ROLLBACK };

struct worker_xa *worker_xa_new(void);
void worker_xa_free(struct worker_xa *x);
/* Session start: create the table (this source's rows deleted with `remove`) and replace
 * the in-memory records with the stored ones. */
int worker_xa_open(struct worker_xa *x, struct worker_applier *a, const char *source_id,
                   bool remove, struct worker_terr *e);
/* An XA statement of the source at (file, pos) (its event's end). XA END: remember `rows`
 * row changes applied (first table `table`; a replay of the same XA END keeps the larger
 * count, another XA END of the xid replaces it). XA COMMIT: fine when its XA END was seen; an
 * unknown xid (its XA PREPARE was before this task's start position) is false with err
 * set (its rows were never applied). XA ROLLBACK: fine when none of its rows were applied;
 * false with err when some were or the xid is unknown. */
bool worker_xa_stmt(struct worker_xa *x, enum worker_xa_stmt what, const char *xid,
                    int64_t rows, const char *table, const char *file, uint64_t pos, char *err,
                    size_t cap);
/* Around a checkpoint write: store the new records before it; after it, delete the
 * records of the XA COMMIT / ROLLBACKs (file, pos of the statement's event) at or before
 * the global checkpoint (file, pos). */
int worker_xa_before_checkpoint(struct worker_xa *x, struct worker_applier *a,
                                const char *source_id, struct worker_terr *e);
int worker_xa_after_checkpoint(struct worker_xa *x, struct worker_applier *a,
                               const char *source_id, const char *file, uint64_t pos,
                               struct worker_terr *e);

#endif /* DM_WORKER_XA_TRACK_H */

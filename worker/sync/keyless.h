/* keyless.h - the exactly-once rule for rows of key-less tables. This module owns it;
 * dmlpool.c and syncer.c only call it.
 *
 * The rule. A table without a PRIMARY KEY or NOT NULL UNIQUE key on the target is
 * key-less (applier_dml.c marks its jobs worker_rowjob.keyless). Its row changes are not
 * idempotent (a replayed INSERT duplicates the row, a replayed DELETE ... LIMIT 1 removes
 * another equal row), so the safe-mode replay that repairs keyed rows after a crash
 * cannot repair them. Instead every key-less row change is committed exactly once:
 *  1. Routing (dmlpool.c): all key-less jobs run on queue 0, in source order; no keyed
 *     table uses queue 0.
 *  2. Commit (dmlpool.c through worker_keyless_plan_*): queue 0 commits key-less rows only
 *     at a rows-event end - the Sync unit pushes a marker (worker_dmlpool_mark) after each
 *     event that produced key-less jobs - and in the same transaction upserts, for each
 *     table with a marker in it, that table's checkpoint row (is_global=0, DM's "table
 *     point") at the position of the transaction's last marker. A checkpoint barrier
 *     (global row) commits everything, as before.
 *  3. Replay (syncer.c through worker_keyless_applied): after a (re)start the Sync unit
 *     skips key-less rows of events at or before their table's checkpoint position.
 * (1)+(2) make "row committed" and "table point moved past its event" one atomic step;
 * (3) makes a replay apply exactly the key-less rows not committed before.
 * Errors: DM_OK / DM_E_NOMEM / the applier's DM_E_DB..., with *e.
 * Thread-safety: a worker_keyless is used by one thread (the Sync unit's); a plan by
 * one thread (queue 0's). */
#ifndef DM_WORKER_KEYLESS_H
#define DM_WORKER_KEYLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applier.h"
#include "terror.h"

/* ---- replay (3) ---- */

struct worker_keyless;

/* Load the table points of this source (is_global=0 checkpoint rows) through `a`
 * (borrowed). *out owned by the caller, free with worker_keyless_free. */
int worker_keyless_new(struct worker_applier *a, struct worker_keyless **out,
                       struct worker_terr *e);
void worker_keyless_free(struct worker_keyless *k);
/* Whether a key-less row of source table schema.table in the rows event ending at
 * (file, pos) was committed before (at or before the table point): skip it. */
bool worker_keyless_applied(const struct worker_keyless *k, const char *schema,
                            const char *table, const char *file, uint64_t pos);

/* ---- commit of queue 0 (2) ---- */

#define WORKER_KEYLESS_TABLES 64   /* tables per commit; more wait for the global barrier */

struct worker_keyless_plan {
    struct worker_cp_row rows[WORKER_KEYLESS_TABLES];
    size_t n;
    bool open_event;               /* a key-less row after the last marker */
    bool overflow;                 /* more tables than rows[] holds */
    const char *file;              /* last marker's position */
    uint64_t pos;
};

void worker_keyless_plan_init(struct worker_keyless_plan *p);
/* Feed the key-less jobs of the open transaction in order: a row (marker false) or a
 * marker with its source table and event position. Strings are borrowed: they must live
 * until the commit. */
void worker_keyless_plan_job(struct worker_keyless_plan *p, bool marker, const char *schema,
                             const char *table, const char *file, uint64_t pos);
/* Whether the transaction may commit now; then *rows and *n are the table points to upsert
 * in it (at the last marker position). */
bool worker_keyless_plan_ready(struct worker_keyless_plan *p, const struct worker_cp_row **rows,
                               size_t *n);

#endif /* DM_WORKER_KEYLESS_H */

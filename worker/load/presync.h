/* presync.h - the units before Sync of a task-mode full/all subtask, run as one thread:
 * Dump (dump.h) then Load (load.h), as DM v1.0's subtask runs its unit list. Where to
 * begin follows DM's IsFreshTask from the target: a syncer checkpoint -> nothing to do
 * (Sync resumes from it), loader checkpoint rows -> Load (continues from its offsets),
 * otherwise Dump (every dump starts afresh). remove-meta drops both checkpoint tables
 * first. The dump directory is `<dir>/<task>.<source-id>`; `import-dir`, when given,
 * names a finished dump made elsewhere that is loaded as it is (no Dump ever writes or
 * empties it).
 *
 * Ownership: BORROWS params->cfg, params->rules and the strings of params->src until
 * worker_presync_free. Thread-safety: stop/stats/done from any thread; start/free from
 * the owner. */
#ifndef DM_WORKER_PRESYNC_H
#define DM_WORKER_PRESYNC_H

#include <stdbool.h>

#include "binlog.h"
#include "dump.h"
#include "load.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "terror.h"

enum worker_unit { WORKER_UNIT_DUMP = 1, WORKER_UNIT_LOAD, WORKER_UNIT_SYNC };

struct worker_presync_params {
    const struct worker_subtask_cfg *cfg;
    const struct worker_rules *rules;
    struct bl_source src;
    const char *source_id;
    bool remove_meta;
    enum worker_unit last_unit;   /* the unit the previous run was in (0: none): shown
                                     until the target says where to begin */
};

struct worker_presync_stats {
    enum worker_unit unit;           /* the unit running (or that ran last) */
    struct worker_load_stats load;
};

/* The outcome once the thread ended. */
struct worker_presync_result {
    int rc;                          /* DM_OK, DM_E_CANCELLED or the failure */
    struct worker_terr err;          /* rc != DM_OK */
    bool have_pos;                   /* Sync starts at `pos` (else from its checkpoint) */
    struct worker_dump_pos pos;
};

struct worker_presync;

/* The dump directory of a subtask into out (see top). */
void worker_presync_dir(const struct worker_subtask_cfg *cfg, const char *source_id, char *out,
                        size_t cap);

/* Start the thread. DM_OK, DM_E_NOMEM or DM_E_INTERNAL. */
int worker_presync_start(const struct worker_presync_params *p, struct worker_presync **out);
/* Cancel (kills mydumper, stops the loader after its current statements) and join. */
void worker_presync_stop(struct worker_presync *s);
/* true once the thread ended by itself or was stopped; *res filled then. */
bool worker_presync_done(struct worker_presync *s, struct worker_presync_result *res);
void worker_presync_stats(struct worker_presync *s, struct worker_presync_stats *st);
void worker_presync_free(struct worker_presync *s);

#endif /* DM_WORKER_PRESYNC_H */

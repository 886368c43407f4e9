/* load.h - the Load unit of a task-mode full/all subtask (DM v1.0's loader): restores a
 * mydumper directory into the target.
 *   - `<db>-schema-create.sql` and `<db>.<tbl>-schema.sql` are executed first, serially,
 *     with routes applied to the names; a database or table that already exists on the
 *     target is kept and loaded into (DM: "table already exists, skip it"). A table the
 *     Load creates gets its plain (non-unique) KEYs after its data (load_keys.h; a
 *     "keys pending" checkpoint row per schema file makes that crash-safe).
 *   - data files (`<db>.<tbl>.sql`, `<db>.<tbl>.<n>.sql`) are restored by `pool-size`
 *     threads in parallel across files (largest table first), each with its own
 *     connection. Every INSERT
 *     statement commits in one transaction with the file's row in
 *     `<meta-schema>`.`<task>_loader_checkpoint` (DM's table: id, filename, cp_schema,
 *     cp_table, offset, end_pos), so a crash at any moment resumes after the last
 *     committed statement: no row lost, none twice.
 *   - routes rewrite the INSERT's table, column mappings ("partition id") rewrite the
 *     mapped column of every row.
 *   - views (`-schema-view.sql`) are created after the data (their placeholder table is
 *     skipped); trigger / routine / event files and compressed dumps are refused.
 * The statements' own session settings (`SET NAMES binary` in mydumper's version comments) are honoured, so
 * latin1 / utf8mb4 / binary columns arrive byte for byte.
 *
 * Errors: DM_OK; DM_E_CANCELLED; DM_E_NOT_FOUND (no dump / metadata: 34014); DM_E_DB /
 * DM_E_UNAVAILABLE (target statement failed / connection lost: e->transient, message
 * names the file); DM_E_PARSE / DM_E_INVAL (malformed file, mapping, unsupported object);
 * DM_E_IO; DM_E_NOMEM. DM error codes in *e.
 * Thread-safety: worker_load_cancel and worker_load_stats from any thread while
 * worker_load_run runs in another; the rest from the owner. */
#ifndef DM_WORKER_LOAD_H
#define DM_WORKER_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "terror.h"

struct worker_load_params {
    const struct worker_subtask_cfg *cfg;   /* borrowed: [to], meta-schema, name, pool-size */
    const struct worker_rules *rules;       /* borrowed */
    const char *dir;                        /* the dump directory */
    const char *source_id;                  /* checkpoint id */
    bool remove_meta;                       /* drop the checkpoint table first */
};

struct worker_load_stats {
    int64_t finished_bytes, total_bytes;    /* data files */
    char meta_binlog[300];                  /* "(file, pos)" of the dump, "" before known */
};

struct worker_load;

/* NULL only when out of memory. */
struct worker_load *worker_load_new(void);
void worker_load_free(struct worker_load *l);

/* Restore everything not yet restored (blocking). On DM_OK *pos is the dump's position. */
int worker_load_run(struct worker_load *l, const struct worker_load_params *p,
                    struct worker_dump_pos *pos, struct worker_terr *e);
void worker_load_cancel(struct worker_load *l);
void worker_load_stats(struct worker_load *l, struct worker_load_stats *st);

/* Where a subtask stands on the target (DM's IsFreshTask of Load and Sync):
 * *load_started when the loader checkpoint holds rows for source_id, *sync_started when
 * the syncer checkpoint holds its global row. DM_OK or DM_E_DB / DM_E_UNAVAILABLE. */
int worker_load_target_state(const struct worker_subtask_cfg *cfg, const char *source_id,
                             bool *load_started, bool *sync_started, struct worker_terr *e);

/* remove-meta: this source's rows of the loader and syncer checkpoints (load.c).
 * DM_OK or DM_E_DB / DM_E_UNAVAILABLE. */
int worker_load_reset_meta(const struct worker_subtask_cfg *cfg, const char *source_id,
                           struct worker_terr *e);

#endif /* DM_WORKER_LOAD_H */

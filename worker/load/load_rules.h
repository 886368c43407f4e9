/* load_rules.h - the fingerprint of the rules a Load's dump was made and loaded under
 * (docs/worker.md "Rules changed under a dump"): the black-white-list, route-rules,
 * column-mappings, case-sensitive and (without import-dir) the dump's extra-args - what
 * decides which tables are in the dump and which rows go where. Recorded in
 * `<meta-schema>`.`<task>_loader_checkpoint` (one row per rule, filename `#rules.<name>`,
 * cp_table = its FNV-1a 64 hex, offset = end_pos = 0) when the Load first records its
 * files; a later run over that checkpoint with other rules is refused before anything is
 * loaded: 34996, not transient, naming every rule that changed. remove-meta deletes the
 * rows with the rest of the checkpoint (load.h worker_load_reset_meta). Filters are not
 * part of it: neither the Dump nor the Load applies them. A checkpoint from before the
 * fingerprint (no `#rules.` rows) takes the current rules.
 * Internal to worker/load. Thread-safety: the run's owner thread. */
#ifndef DMGW_WORKER_LOAD_LOAD_RULES_H
#define DMGW_WORKER_LOAD_LOAD_RULES_H

#include <stddef.h>

#include "subtask_cfg.h"
#include "terror.h"

struct worker_applier;

/* The filename prefix of the rule rows (not a dump file: no ".sql" suffix). */
#define WORKER_LOAD_RULES_PREFIX "#rules."

enum { WORKER_LOAD_RULES_N = 5 };

/* Rule i's name (as the task file spells it) and its hex fingerprint for cfg (17 bytes). */
const char *worker_load_rules_name(size_t i);
void worker_load_rules_hash(const struct worker_subtask_cfg *cfg, size_t i, char out[17]);

/* Compare cfg's rules with the ones recorded for a->source_id in the loader checkpoint
 * and record the missing ones. DM_OK; DM_E_INVAL with 34996 in *e when one differs (dir:
 * the dump directory, named in the message); DM_E_DB / DM_E_UNAVAILABLE / DM_E_NOMEM. */
int worker_load_rules_check(struct worker_applier *a, const struct worker_subtask_cfg *cfg,
                            const char *dir, struct worker_terr *e);

#endif

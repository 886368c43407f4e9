/* subtask.h - master -> worker subtask config (StartSubTaskRequest.task), the TOML
 * agreed in docs/internals/subtask-config.md (DM's SubTaskConfig keys), and the worker's
 * [from] DB config (QueryWorkerConfigResponse.content) decoded from TOML.
 * Ownership: returned strings/structs are owned by the caller. Thread-safety: reentrant. */
#ifndef DM_MASTER_SUBTASK_H
#define DM_MASTER_SUBTASK_H

#include "taskcfg.h"

/* Decode a worker's `content` TOML (host, port, user, password, max-allowed-packet,
 * [session]). DM_OK, DM_E_INVAL with *err (DM 20002 wording), DM_E_NOMEM. */
int master_dbcfg_from_toml(const char *content, struct master_db_cfg **out, char **err);
void master_dbcfg_free(struct master_db_cfg *db);

/* The subtask TOML of instance `idx` of `cfg` with source DB `from` (DM's
 * TaskConfig.SubTaskConfigs + SubTaskConfig.Adjust). DM_OK, DM_E_INVAL (*err, e.g.
 * too long source-id), DM_E_NOMEM. */
int master_subtask_toml(const struct master_task_cfg *cfg, size_t idx,
                        const struct master_db_cfg *from, char **toml, char **err);

#endif /* DM_MASTER_SUBTASK_H */

/* handlers.h - every route handler (one file per resource, routes/<resource>.c), named
 * after the operationId in openapi/openapi.yaml. Internal to routes/; the table in
 * route_table.c is the public entry point. All handlers follow route_handler_fn. */
#ifndef GW_HANDLERS_H
#define GW_HANDLERS_H

#include <jansson.h>
#include <stdbool.h>

#include "route_ctx.h"

/* tasks.c */
enum route_rc h_create_task(struct route_ctx *c);
enum route_rc h_check_task(struct route_ctx *c);
enum route_rc h_list_tasks(struct route_ctx *c);
enum route_rc h_get_task(struct route_ctx *c);
enum route_rc h_get_task_errors(struct route_ctx *c);
enum route_rc h_update_task(struct route_ctx *c);
enum route_rc h_pause_task(struct route_ctx *c);
enum route_rc h_resume_task(struct route_ctx *c);
enum route_rc h_stop_task(struct route_ctx *c);
/* OperateTask `op` (Pb__TaskOp) on the path's task with `workers` (borrowed). */
enum route_rc tasks_operate(struct route_ctx *c, int op, char **workers, size_t nworkers);
/* tasks_config.c: the task config resource (GetTaskCfg extension) and its version.
 * The ETag of a config is "<16 hex digits>" (quotes included) over its view: the config
 * with target-database.password replaced by TASKCFG_MASK. */
#define TASKCFG_MASK "******"
#define TASKCFG_ETAG_LEN 24
enum route_rc h_get_task_config(struct route_ctx *c);
int taskcfg_etag(const json_t *cfg, char etag[TASKCFG_ETAG_LEN]);
/* target-database.password of cfg when set (a non-empty scalar), or NULL; is it the mask? */
const json_t *taskcfg_password(const json_t *cfg);
bool taskcfg_password_masked(const json_t *cfg);
/* If-Match (strong comparison, "*" matches) / If-None-Match (weak) against etag. */
bool taskcfg_if_match(const char *header, const char *etag);
bool taskcfg_if_none_match(const char *header, const char *etag);
/* Read-modify-write changes of one task's config (PATCH with config keys, PUT that reads
 * the config first) run one at a time per task in this process: taskcfg_lock returns the
 * held name (give it to taskcfg_unlock once the change completed), or NULL after writing
 * 409 + Retry-After (another change is in progress) or 500 into c. Any thread. */
char *taskcfg_lock(struct route_ctx *c, const char *task);
void taskcfg_unlock(char *held);
/* The start of the handler state (c->state) of a config change (PUT, PATCH). */
struct taskcfg_change {
    char *lock;                      /* taskcfg_lock, or NULL */
    char etag[TASKCFG_ETAG_LEN];     /* the version the change installs; "" unknown */
};
/* The GetTaskCfg answer of a change: the current config (new reference) when the change
 * may go on (If-Match, if any, names its version); else NULL with the answer in c (501
 * saying `unimplemented_why`, a transport problem, the DM answer, 502, 412 + ETag). */
json_t *taskcfg_current(struct route_ctx *c, struct rpc_result *res, const char *unimplemented_why);
/* UpdateTask completion of a change: the DM answer, plus ETag on 200. */
enum route_rc taskcfg_update_done(struct route_ctx *c, struct rpc_result *res);
/* tasks_patch.c */
enum route_rc h_patch_task(struct route_ctx *c);
/* tasks_sql.c */
enum route_rc h_handle_sqls(struct route_ctx *c);
/* tasks_stream.c */
enum route_rc h_stream_task_status(struct route_ctx *c);
/* stream_ticket.c */
enum route_rc h_create_stream_ticket(struct route_ctx *c);
/* assets.c: the web console */
enum route_rc h_root(struct route_ctx *c);
enum route_rc h_console(struct route_ctx *c);
enum route_rc h_console_asset(struct route_ctx *c);
/* ddl_locks.c */
enum route_rc h_list_ddl_locks(struct route_ctx *c);
enum route_rc h_unlock_ddl_lock(struct route_ctx *c);
enum route_rc h_break_ddl_lock(struct route_ctx *c);
/* relay.c (relay + workers) */
enum route_rc h_refresh_workers(struct route_ctx *c);
enum route_rc h_pause_relay(struct route_ctx *c);
enum route_rc h_resume_relay(struct route_ctx *c);
enum route_rc h_switch_relay_master(struct route_ctx *c);
enum route_rc h_purge_relay(struct route_ctx *c);
enum route_rc h_update_relay_config(struct route_ctx *c);
enum route_rc h_migrate_relay(struct route_ctx *c);
/* master.c */
enum route_rc h_update_master_config(struct route_ctx *c);
enum route_rc h_encrypt_password(struct route_ctx *c);
/* v1alpha1.c */
enum route_rc h_v1alpha1_start_task(struct route_ctx *c);
enum route_rc h_v1alpha1_operate_task(struct route_ctx *c);
enum route_rc h_v1alpha1_query_status(struct route_ctx *c);
/* system.c */
enum route_rc h_livez(struct route_ctx *c);
enum route_rc h_readyz(struct route_ctx *c);
enum route_rc h_version(struct route_ctx *c);
enum route_rc h_metrics(struct route_ctx *c);
enum route_rc h_openapi_json(struct route_ctx *c);
enum route_rc h_openapi_yaml(struct route_ctx *c);
enum route_rc h_docs(struct route_ctx *c);
enum route_rc h_docs_asset(struct route_ctx *c);

#endif /* GW_HANDLERS_H */

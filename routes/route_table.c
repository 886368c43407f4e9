/* route_table.c - the REST surface. Must list exactly the operations of
 * openapi/openapi.yaml (tests/unit/routes/test_route_table.c checks both directions:
 * method, path template, operationId). Order matters only for templates that overlap:
 * literal routes come before parameterised ones of the same shape. */
#include "handlers.h"
#include "router.h"

#define R AUTH_SCOPE_READ
#define W AUTH_SCOPE_WRITE
#define A AUTH_SCOPE_ADMIN
#define N AUTH_SCOPE_NONE
#define AU ROUTE_F_AUDIT
#define JS ROUTE_F_JSON    /* body media types (router.h) */
#define TB ROUTE_F_TASK
#define CF ROUTE_F_CONFIG

const struct route router_table[] = {
    /* tasks */
    {"POST", "/api/v1/tasks", "createTask", h_create_task, W, AU | TB, "Start a task (StartTask)"},
    {"GET", "/api/v1/tasks", "listTasks", h_list_tasks, R, 0, "Condensed status of all tasks (QueryStatus)"},
    {"POST", "/api/v1/tasks/check", "checkTask", h_check_task, W, TB, "Check a task config (CheckTask)"},
    {"GET", "/api/v1/tasks/{name}", "getTask", h_get_task, R, 0, "Status of one task (QueryStatus)"},
    {"PUT", "/api/v1/tasks/{name}", "updateTask", h_update_task, W, AU | TB, "Replace a task config (UpdateTask)"},
    {"PATCH", "/api/v1/tasks/{name}", "patchTask", h_patch_task, W, AU | JS, "Merge-patch stage or config (OperateTask / UpdateTask)"},
    {"DELETE", "/api/v1/tasks/{name}", "stopTask", h_stop_task, W, AU | JS, "Stop a task (OperateTask Stop)"},
    {"GET", "/api/v1/tasks/{name}/config", "getTaskConfig", h_get_task_config, R, 0, "The task's config, password masked (GetTaskCfg extension)"},
    {"GET", "/api/v1/tasks/{name}/errors", "getTaskErrors", h_get_task_errors, R, 0, "Errors of a task (QueryError)"},
    {"POST", "/api/v1/tasks/{name}/pause", "pauseTask", h_pause_task, W, AU | JS, "Pause a task (OperateTask Pause)"},
    {"POST", "/api/v1/tasks/{name}/resume", "resumeTask", h_resume_task, W, AU | JS, "Resume a task (OperateTask Resume)"},
    {"POST", "/api/v1/tasks/{name}/sql", "handleSQLs", h_handle_sqls, W, AU | JS, "sql-skip / sql-replace / sql-inject (HandleSQLs)"},
    {"GET", "/api/v1/tasks/{name}/status/stream", "streamTaskStatus", h_stream_task_status, R, ROUTE_F_TICKET, "Server-Sent Events of a task's status"},
    {"POST", "/api/v1/tasks/{name}/ddl-locks/break", "breakDDLLock", h_break_ddl_lock, A, AU | JS, "Break a worker's DDL lock (BreakWorkerDDLLock)"},
    {"POST", "/api/v1/stream-tickets", "createStreamTicket", h_create_stream_ticket, R, 0, "A single-use ticket that opens a status stream without a header"},
    /* DDL locks */
    {"GET", "/api/v1/ddl-locks", "listDDLLocks", h_list_ddl_locks, R, 0, "Sharding DDL locks (ShowDDLLocks)"},
    {"POST", "/api/v1/ddl-locks/{id}/unlock", "unlockDDLLock", h_unlock_ddl_lock, A, AU | JS, "Unlock a DDL lock (UnlockDDLLock)"},
    /* workers and relay */
    {"POST", "/api/v1/workers/refresh", "refreshWorkerTasks", h_refresh_workers, A, AU, "Rebuild the task-to-worker map (RefreshWorkerTasks)"},
    {"PUT", "/api/v1/workers/{worker}/relay-config", "updateRelayConfig", h_update_relay_config, A, AU | CF, "Replace a worker's config (UpdateWorkerRelayConfig)"},
    {"POST", "/api/v1/workers/{worker}/relay/migrate", "migrateRelay", h_migrate_relay, A, AU | JS, "Migrate a worker's relay (MigrateWorkerRelay)"},
    {"POST", "/api/v1/relay/pause", "pauseRelay", h_pause_relay, A, AU | JS, "Pause relay units (OperateWorkerRelayTask)"},
    {"POST", "/api/v1/relay/resume", "resumeRelay", h_resume_relay, A, AU | JS, "Resume relay units (OperateWorkerRelayTask)"},
    {"POST", "/api/v1/relay/switch-master", "switchRelayMaster", h_switch_relay_master, A, AU | JS, "Switch relay upstream (SwitchWorkerRelayMaster)"},
    {"POST", "/api/v1/relay/purge", "purgeRelay", h_purge_relay, A, AU | JS, "Purge relay log files (PurgeWorkerRelay)"},
    /* master */
    {"PUT", "/api/v1/master/config", "updateMasterConfig", h_update_master_config, A, AU | CF, "Replace the master config (UpdateMasterConfig)"},
    {"POST", "/api/v1/passwords/encrypt", "encryptPassword", h_encrypt_password, W, JS, "Encrypt a password like dmctl -encrypt"},
    /* DM v1.0 grpc-gateway compatibility */
    {"POST", "/apis/v1alpha1/tasks", "v1alpha1StartTask", h_v1alpha1_start_task, W, AU, "DM v1.0 compatible StartTask"},
    {"PUT", "/apis/v1alpha1/tasks/{name}", "v1alpha1OperateTask", h_v1alpha1_operate_task, W, AU, "DM v1.0 compatible OperateTask"},
    {"GET", "/apis/v1alpha1/status/{name}", "v1alpha1QueryStatus", h_v1alpha1_query_status, R, 0, "DM v1.0 compatible QueryStatus"},
    {"GET", "/apis/v1alpha1/status", "v1alpha1QueryStatusAll", h_v1alpha1_query_status, R, 0, "DM v1.0 compatible QueryStatus of all tasks"},
    /* operations */
    {"GET", "/livez", "livez", h_livez, N, 0, "Liveness probe"},
    {"GET", "/readyz", "readyz", h_readyz, N, 0, "Readiness probe (asks the master)"},
    {"GET", "/version", "version", h_version, N, 0, "Build information"},
    {"GET", "/metrics", "metrics", h_metrics, N, 0, "Prometheus metrics"},
    {"GET", "/openapi.json", "openapiJson", h_openapi_json, N, 0, "This API as OpenAPI 3.0 JSON"},
    {"GET", "/openapi.yaml", "openapiYaml", h_openapi_yaml, N, 0, "This API as OpenAPI 3.0 YAML"},
    {"GET", "/docs", "docs", h_docs, N, 0, "API documentation page"},
    {"GET", "/docs/{asset}", "docsAsset", h_docs_asset, N, 0, "A file of the documentation page"},
    {"GET", "/", "root", h_root, N, 0, "Redirect to the web console"},
    {"GET", "/console", "console", h_console, N, 0, "The web console"},
    {"GET", "/console/{asset}", "consoleAsset", h_console_asset, N, 0, "A file of the web console"},
};

const size_t router_table_len = sizeof(router_table) / sizeof(router_table[0]);

/* cmd_task.c - task commands: start-task, stop/pause/resume-task, check-task,
 * update-task, query-status, query-error, refresh-worker-tasks (DM v1.0.7
 * dm/ctl/master/ files, same checks, order and messages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmctl_cmd.h"
#include "dmctl_out.h"
#include "dmjson.h"
#include "dmmaster.pb-c.h"

#define CALL_TIMEOUT(c) ((c)->call_timeout_ms)

int dmctl_cmd_start_task(struct dmctl *c, const struct dmctl_cmd *cmd,
                         const struct dmctl_parsed *p)
{
    Pb__StartTaskRequest req = PB__START_TASK_REQUEST__INIT;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    return dmctl_call_with_file(c, cmd, p, "StartTask", &req.base, &req.task, true,
                                "can not start task:");
}

int dmctl_cmd_update_task(struct dmctl *c, const struct dmctl_cmd *cmd,
                          const struct dmctl_parsed *p)
{
    Pb__UpdateTaskRequest req = PB__UPDATE_TASK_REQUEST__INIT;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    return dmctl_call_with_file(c, cmd, p, "UpdateTask", &req.base, &req.task, true,
                                "can not update task:");
}

int dmctl_cmd_check_task(struct dmctl *c, const struct dmctl_cmd *cmd,
                         const struct dmctl_parsed *p)
{
    Pb__CheckTaskRequest req = PB__CHECK_TASK_REQUEST__INIT;
    return dmctl_call_with_file(c, cmd, p, "CheckTask", &req.base, &req.task, true,
                                "fail to check task:");
}

/* stop-task / pause-task / resume-task: the op comes from the command name. */
int dmctl_cmd_operate_task(struct dmctl *c, const struct dmctl_cmd *cmd,
                           const struct dmctl_parsed *p)
{
    if (p->nargs != 1)
        return dmctl_print_usage(c, cmd);
    Pb__OperateTaskRequest req = PB__OPERATE_TASK_REQUEST__INIT;
    const char *verb = "stop";
    req.op = PB__TASK_OP__Stop;
    if (!strcmp(cmd->name, "pause-task")) {
        verb = "pause";
        req.op = PB__TASK_OP__Pause;
    } else if (!strcmp(cmd->name, "resume-task")) {
        verb = "resume";
        req.op = PB__TASK_OP__Resume;
    }
    req.name = p->args[0];
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "can not %s task %s:", verb, p->args[0]);
    return dmctl_call_print(c, "OperateTask", &req.base, CALL_TIMEOUT(c), false, prefix);
}

static int print_condensed(struct dmctl *c, const Pb__QueryStatusListResponse *resp)
{
    struct dm_buf b;
    dm_buf_init(&b, 256u << 20);
    int rc = dmjson_condensed_status(resp, true, &b);
    if (rc == DM_OK)
        fprintf(c->out, "%s\n", b.data ? b.data : "");
    else
        fprintf(c->out, "marshal response: %s\n", dm_strerror(rc));
    fflush(c->out);
    dm_buf_free(&b);
    return rc == DM_OK ? 0 : 1;
}

int dmctl_cmd_query_status(struct dmctl *c, const struct dmctl_cmd *cmd,
                           const struct dmctl_parsed *p)
{
    if (p->nargs > 1)
        return dmctl_print_usage(c, cmd);
    const char *name = p->nargs ? p->args[0] : "";
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = (char *)name;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    ProtobufCMessage *resp = NULL;
    struct dm_buf why;
    dm_buf_init(&why, 1 << 16);
    int status;
    if (dmctl_call(c, "QueryStatus", &req.base, c->rpc_timeout_ms, &resp, &why) != DM_OK) {
        struct dm_buf prefix;
        dm_buf_init(&prefix, 1 << 16);
        dm_buf_printf(&prefix, "can not query %s task's status(in workers ", name);
        dmctl_fmt_list(&prefix, p->workers, p->nworkers);
        dm_buf_adds(&prefix, "):");
        status = dmctl_print_call_error(c, prefix.data, &why);
        dm_buf_free(&prefix);
    } else if (dmctl_resp_result(resp) && !*name && !p->nworkers &&
               !dmctl_flag_bool(cmd, p, "more")) {
        status = print_condensed(c, (const Pb__QueryStatusListResponse *)resp);
    } else {
        status = dmctl_print_resp(c, resp);
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    dm_buf_free(&why);
    return status;
}

int dmctl_cmd_query_error(struct dmctl *c, const struct dmctl_cmd *cmd,
                          const struct dmctl_parsed *p)
{
    if (p->nargs > 1)
        return dmctl_print_usage(c, cmd);
    const char *name = p->nargs ? p->args[0] : "";
    Pb__QueryErrorListRequest req = PB__QUERY_ERROR_LIST_REQUEST__INIT;
    req.name = (char *)name;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    ProtobufCMessage *resp = NULL;
    struct dm_buf why, msg;
    dm_buf_init(&why, 1 << 16);
    dm_buf_init(&msg, 1 << 16);
    int status;
    if (dmctl_call(c, "QueryError", &req.base, CALL_TIMEOUT(c), &resp, &why) != DM_OK) {
        dm_buf_adds(&msg, "dmctl query error failed\n");
        if (*name)
            dm_buf_printf(&msg, "taskname: %s\n", name);
        if (p->nworkers) {
            dm_buf_adds(&msg, "workers: ");
            dmctl_fmt_list(&msg, p->workers, p->nworkers);
            dm_buf_addc(&msg, '\n');
        }
        dm_buf_printf(&msg, "error: %s\n", why.data ? why.data : "");
        fputs(msg.data, c->out);
        fflush(c->out);
        status = 1;
    } else {
        status = dmctl_print_resp(c, resp);
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    dm_buf_free(&why);
    dm_buf_free(&msg);
    return status;
}

int dmctl_cmd_refresh_worker_tasks(struct dmctl *c, const struct dmctl_cmd *cmd,
                                   const struct dmctl_parsed *p)
{
    if (p->nargs > 0)
        return dmctl_print_usage(c, cmd);
    Pb__RefreshWorkerTasksRequest req = PB__REFRESH_WORKER_TASKS_REQUEST__INIT;
    return dmctl_call_print(c, "RefreshWorkerTasks", &req.base, CALL_TIMEOUT(c), false,
                          "can not refresh workerTasks:");
}

/* cmd_ddl.c - show-ddl-locks, unlock-ddl-lock, break-ddl-lock (DM v1.0.7
 * dm/ctl/master/{show_ddl_locks,unlock_ddl_lock,break_ddl_lock}.go). */
#include <stdio.h>

#include "dm_error.h"
#include "dmctl_cmd.h"
#include "dmctl_out.h"
#include "dmmaster.pb-c.h"

#define NO_WORKER_MSG "must specify at least one DM-worker (`-w` / `--worker`)"

/* "<head>[a b]<tail>" into a buffer the caller frees. */
static void prefix_with_workers(struct dm_buf *b, const char *head,
                                const struct dmctl_parsed *p, const char *tail)
{
    dm_buf_init(b, 1 << 16);
    dm_buf_adds(b, head);
    dmctl_fmt_list(b, p->workers, p->nworkers);
    dm_buf_adds(b, tail);
}

int dmctl_cmd_show_ddl_locks(struct dmctl *c, const struct dmctl_cmd *cmd,
                             const struct dmctl_parsed *p)
{
    if (p->nargs > 1)
        return dmctl_print_usage(c, cmd);
    Pb__ShowDDLLocksRequest req = PB__SHOW_DDLLOCKS_REQUEST__INIT;
    req.task = p->nargs ? p->args[0] : "";
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    struct dm_buf head, prefix;
    dm_buf_init(&head, 1 << 16);
    dm_buf_printf(&head, "can not show DDL locks for task %s and workers ", req.task);
    prefix_with_workers(&prefix, head.data, p, ":");
    int st = dmctl_call_print(c, "ShowDDLLocks", &req.base, c->call_timeout_ms, false,
                              prefix.data);
    dm_buf_free(&head);
    dm_buf_free(&prefix);
    return st;
}

int dmctl_cmd_unlock_ddl_lock(struct dmctl *c, const struct dmctl_cmd *cmd,
                              const struct dmctl_parsed *p)
{
    if (p->nargs != 1)
        return dmctl_print_usage(c, cmd);
    Pb__UnlockDDLLockRequest req = PB__UNLOCK_DDLLOCK_REQUEST__INIT;
    req.id = p->args[0];
    req.replaceowner = (char *)dmctl_flag_str(cmd, p, "owner");
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    req.forceremove = dmctl_flag_bool(cmd, p, "force-remove");
    struct dm_buf head, prefix;
    dm_buf_init(&head, 1 << 16);
    dm_buf_printf(&head, "can not unlock DDL lock %s (in workers ", req.id);
    prefix_with_workers(&prefix, head.data, p, "):");
    int st = dmctl_call_print(c, "UnlockDDLLock", &req.base, c->call_timeout_ms, false,
                              prefix.data);
    dm_buf_free(&head);
    dm_buf_free(&prefix);
    return st;
}

int dmctl_cmd_break_ddl_lock(struct dmctl *c, const struct dmctl_cmd *cmd,
                             const struct dmctl_parsed *p)
{
    if (p->nargs != 1)
        return dmctl_print_usage(c, cmd);
    if (!p->nworkers)
        return dmctl_fail(c, NO_WORKER_MSG);
    const char *remove_id = dmctl_flag_str(cmd, p, "remove-id");
    bool exec = dmctl_flag_bool(cmd, p, "exec");
    bool skip = dmctl_flag_bool(cmd, p, "skip");
    if (!*remove_id && !exec && !skip)
        return dmctl_fail(c, "`remove-id`, `exec`, `skip` must specify at least one");
    if (exec && skip)
        return dmctl_fail(c, "`exec` and `skip` can not specify both at the same time");
    Pb__BreakWorkerDDLLockRequest req = PB__BREAK_WORKER_DDLLOCK_REQUEST__INIT;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    req.task = p->args[0];
    req.removelockid = (char *)remove_id;
    req.execddl = exec;
    req.skipddl = skip;
    struct dm_buf prefix;
    prefix_with_workers(&prefix, "can not break DDL lock (in workers ", p, "):");
    int st = dmctl_call_print(c, "BreakWorkerDDLLock", &req.base, c->call_timeout_ms, false,
                              prefix.data);
    dm_buf_free(&prefix);
    return st;
}

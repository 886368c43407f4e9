/* cmd_relay.c - relay and config commands: switch-relay-master, pause-relay,
 * resume-relay, update-master-config, update-relay, purge-relay, migrate-relay
 * (DM v1.0.7 dm/ctl/master/ files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmctl_cmd.h"
#include "dmctl_out.h"
#include "dmctl_sql.h"
#include "dmmaster.pb-c.h"

#define NO_WORKER_MSG "must specify at least one DM-worker (`-w` / `--worker`)"

int dmctl_cmd_switch_relay_master(struct dmctl *c, const struct dmctl_cmd *cmd,
                                  const struct dmctl_parsed *p)
{
    if (p->nargs > 0)
        return dmctl_print_usage(c, cmd);
    if (!p->nworkers)
        return dmctl_fail(c, NO_WORKER_MSG);
    Pb__SwitchWorkerRelayMasterRequest req = PB__SWITCH_WORKER_RELAY_MASTER_REQUEST__INIT;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    struct dm_buf prefix;
    dm_buf_init(&prefix, 1 << 16);
    dm_buf_adds(&prefix, "can not switch relay's master server (in workers ");
    dmctl_fmt_list(&prefix, p->workers, p->nworkers);
    dm_buf_adds(&prefix, "):");
    int st = dmctl_call_print(c, "SwitchWorkerRelayMaster", &req.base, c->call_timeout_ms,
                              false, prefix.data);
    dm_buf_free(&prefix);
    return st;
}

/* pause-relay / resume-relay. */
int dmctl_cmd_operate_relay(struct dmctl *c, const struct dmctl_cmd *cmd,
                            const struct dmctl_parsed *p)
{
    if (p->nargs > 0)
        return dmctl_print_usage(c, cmd);
    if (!p->nworkers)
        return dmctl_fail(c, NO_WORKER_MSG);
    bool pause = !strcmp(cmd->name, "pause-relay");
    Pb__OperateWorkerRelayRequest req = PB__OPERATE_WORKER_RELAY_REQUEST__INIT;
    req.op = pause ? PB__RELAY_OP__PauseRelay : PB__RELAY_OP__ResumeRelay;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    return dmctl_call_print(c, "OperateWorkerRelayTask", &req.base, c->call_timeout_ms, false,
                            pause ? "can not pause relay unit:" : "can not resume relay unit:");
}

int dmctl_cmd_update_master_config(struct dmctl *c, const struct dmctl_cmd *cmd,
                                   const struct dmctl_parsed *p)
{
    Pb__UpdateMasterConfigRequest req = PB__UPDATE_MASTER_CONFIG_REQUEST__INIT;
    return dmctl_call_with_file(c, cmd, p, "UpdateMasterConfig", &req.base, &req.config,
                                false, "can not update master config:");
}

int dmctl_cmd_update_relay(struct dmctl *c, const struct dmctl_cmd *cmd,
                           const struct dmctl_parsed *p)
{
    char *content = NULL;
    if (p->nargs != 1)
        return dmctl_print_usage(c, cmd);
    if (dmctl_read_file(c, p->args[0], &content) != DM_OK)
        return 1;
    int st;
    if (p->nworkers != 1) {
        st = dmctl_fail(c, "must specify one DM-worker (`-w` / `--worker`)");
    } else {
        Pb__UpdateWorkerRelayConfigRequest req = PB__UPDATE_WORKER_RELAY_CONFIG_REQUEST__INIT;
        req.config = content;
        req.worker = p->workers[0];
        st = dmctl_call_print(c, "UpdateWorkerRelayConfig", &req.base, c->call_timeout_ms,
                              false, "can not update relay config:");
    }
    free(content);
    return st;
}

/* Go strings.Trim(s, "\""): drop every leading and trailing '"'. */
static char *trim_all_quotes(const char *s)
{
    size_t n = strlen(s);
    while (n && *s == '"') {
        s++;
        n--;
    }
    while (n && s[n - 1] == '"')
        n--;
    return strndup(s, n);
}

int dmctl_cmd_purge_relay(struct dmctl *c, const struct dmctl_cmd *cmd,
                          const struct dmctl_parsed *p)
{
    if (p->nargs > 0)
        return dmctl_print_usage(c, cmd);
    if (!p->nworkers)
        return dmctl_fail(c, NO_WORKER_MSG);
    char *filename = trim_all_quotes(dmctl_flag_str(cmd, p, "filename"));
    char *subdir = dmctl_trim_quote_mark(dmctl_flag_str(cmd, p, "sub-dir"));
    int st = 1;
    if (!filename || !subdir) {
        st = dmctl_fail(c, "%s", dm_strerror(DM_E_NOMEM));
        goto out;
    }
    if (*filename && p->nworkers > 1) {
        st = dmctl_fail(c, "for --filename, can only specify one DM-worker per time");
        goto out;
    }
    if (*filename && !*subdir) {
        fprintf(c->out, "[warn] no --sub-dir specify for --filename, the latest one will be "
                        "used\n");
    }
    Pb__PurgeWorkerRelayRequest req = PB__PURGE_WORKER_RELAY_REQUEST__INIT;
    req.n_workers = p->nworkers;
    req.workers = p->workers;
    req.filename = filename;
    req.subdir = subdir;
    st = dmctl_call_print(c, "PurgeWorkerRelay", &req.base, c->call_timeout_ms, false,
                          "can not purge relay log files: ");
out:
    free(filename);
    free(subdir);
    return st;
}

/* Go strconv.Atoi; DM prints the error and goes on with 0. */
static long long go_atoi(struct dmctl *c, const char *s)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))) {
        fprintf(c->out, "strconv.Atoi: parsing \"%s\": invalid syntax\n", s);
        return 0;
    }
    if (errno == ERANGE) {
        fprintf(c->out, "strconv.Atoi: parsing \"%s\": value out of range\n", s);
        return 0;
    }
    return v;
}

int dmctl_cmd_migrate_relay(struct dmctl *c, const struct dmctl_cmd *cmd,
                            const struct dmctl_parsed *p)
{
    if (p->nargs != 3)
        return dmctl_print_usage(c, cmd);
    Pb__MigrateWorkerRelayRequest req = PB__MIGRATE_WORKER_RELAY_REQUEST__INIT;
    req.worker = p->args[0];
    req.binlogname = p->args[1];
    req.binlogpos = (uint32_t)go_atoi(c, p->args[2]);
    return dmctl_call_print(c, "MigrateWorkerRelay", &req.base, c->call_timeout_ms, false,
                            "can not migrate relay:");
}

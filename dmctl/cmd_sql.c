/* cmd_sql.c - sql-skip, sql-replace, sql-inject (DM v1.0.7 dm/ctl/master/sql_*.go):
 * same check order and messages; the request goes to pb.Master/HandleSQLs. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dm_error.h"
#include "dmctl_cmd.h"
#include "dmctl_out.h"
#include "dmctl_sql.h"
#include "dmmaster.pb-c.h"

static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

/* Print "<fmt-prefix>[a b]" and return 1. */
static int fail_list(struct dmctl *c, const char *prefix, const struct dmctl_parsed *p,
                     const char *suffix)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    dm_buf_adds(&b, prefix);
    dmctl_fmt_list(&b, p->workers, p->nworkers);
    dm_buf_adds(&b, suffix);
    dmctl_fail(c, "%s", b.data);
    dm_buf_free(&b);
    return 1;
}

/* Shared by sql-skip and sql-replace: verify -b/-s/--sharding and pick the worker.
 * Returns 0 when the command may go on, else the exit status after printing. */
static int check_skip_replace(struct dmctl *c, const struct dmctl_cmd *cmd,
                              const struct dmctl_parsed *p, const char **worker)
{
    struct dm_buf err;
    dm_buf_init(&err, 1 << 16);
    int rc = dmctl_verify_sql_args(dmctl_flag_str(cmd, p, "binlog-pos"),
                                   dmctl_flag_str(cmd, p, "sql-pattern"),
                                   dmctl_flag_bool(cmd, p, "sharding"), &err);
    if (rc != DM_OK) {
        dmctl_fail(c, "%s", err.data ? err.data : dm_strerror(rc));
        dm_buf_free(&err);
        return 1;
    }
    dm_buf_free(&err);
    *worker = "";
    if (dmctl_flag_bool(cmd, p, "sharding")) {
        if (p->nworkers)
            fail_list(c, "--sharding operator always takes effect on DDL lock's owner, "
                         "specified workers ", p, " arguments will be ignored");
    } else if (p->nworkers != 1) {
        return fail_list(c, "should only specify one worker, but got ", p, "");
    } else {
        *worker = p->workers[0];
    }
    if (blank(p->args[0]))
        return dmctl_fail(c, "must specify the task-name");
    return 0;
}

static void fill_request(Pb__HandleSQLsRequest *req, const struct dmctl_cmd *cmd,
                         const struct dmctl_parsed *p, const char *worker)
{
    req->name = p->args[0];
    req->worker = (char *)worker;
    req->binlogpos = (char *)dmctl_flag_str(cmd, p, "binlog-pos");
    req->sqlpattern = (char *)dmctl_flag_str(cmd, p, "sql-pattern");
    req->sharding = dmctl_flag_bool(cmd, p, "sharding");
}

int dmctl_cmd_sql_skip(struct dmctl *c, const struct dmctl_cmd *cmd,
                       const struct dmctl_parsed *p)
{
    const char *worker = "";
    if (p->nargs != 1)
        return dmctl_print_usage(c, cmd);
    int st = check_skip_replace(c, cmd, p, &worker);
    if (st)
        return st;
    Pb__HandleSQLsRequest req = PB__HANDLE_SQLS_REQUEST__INIT;
    fill_request(&req, cmd, p, worker);
    req.op = PB__SQLOP__SKIP;
    return dmctl_call_print(c, "HandleSQLs", &req.base, c->call_timeout_ms, false,
                            "can not skip SQL:");
}

int dmctl_cmd_sql_replace(struct dmctl *c, const struct dmctl_cmd *cmd,
                          const struct dmctl_parsed *p)
{
    const char *worker = "";
    char **sqls = NULL;
    size_t nsqls = 0;
    if (p->nargs < 2)
        return dmctl_print_usage(c, cmd);
    int st = check_skip_replace(c, cmd, p, &worker);
    if (st)
        return st;
    struct dm_buf err;
    dm_buf_init(&err, 1 << 16);
    if (dmctl_extract_sqls(p->args + 1, p->nargs - 1, &sqls, &nsqls, &err) != DM_OK) {
        st = dmctl_fail(c, "check SQLs error: %s", err.data ? err.data : "out of memory");
        goto out;
    }
    Pb__HandleSQLsRequest req = PB__HANDLE_SQLS_REQUEST__INIT;
    fill_request(&req, cmd, p, worker);
    req.op = PB__SQLOP__REPLACE;
    req.n_args = nsqls;
    req.args = sqls;
    st = dmctl_call_print(c, "HandleSQLs", &req.base, c->call_timeout_ms, false,
                          "can not replace SQL:");
out:
    dmctl_sqls_free(sqls, nsqls);
    dm_buf_free(&err);
    return st;
}

int dmctl_cmd_sql_inject(struct dmctl *c, const struct dmctl_cmd *cmd,
                         const struct dmctl_parsed *p)
{
    char **sqls = NULL;
    size_t nsqls = 0;
    int st = 1;
    if (p->nargs < 2)
        return dmctl_print_usage(c, cmd);
    if (p->nworkers != 1)
        return fail_list(c, "want only one worker, but got ", p, "");
    if (blank(p->args[0]))
        return dmctl_fail(c, "task-name is empty");
    struct dm_buf err;
    dm_buf_init(&err, 1 << 16);
    if (dmctl_extract_sqls(p->args + 1, p->nargs - 1, &sqls, &nsqls, &err) != DM_OK) {
        st = dmctl_fail(c, "check sqls err %s", err.data ? err.data : "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nsqls; i++) {
        if (!dmctl_is_ddl(sqls[i])) {
            st = dmctl_fail(c, "only support inject DDL currently, but got '%s'", sqls[i]);
            goto out;
        }
    }
    Pb__HandleSQLsRequest req = PB__HANDLE_SQLS_REQUEST__INIT;
    req.name = p->args[0];
    req.op = PB__SQLOP__INJECT;
    req.n_args = nsqls;
    req.args = sqls;
    req.worker = p->workers[0];
    st = dmctl_call_print(c, "HandleSQLs", &req.base, c->call_timeout_ms, false,
                          "can not inject sql:");
out:
    dmctl_sqls_free(sqls, nsqls);
    dm_buf_free(&err);
    return st;
}

/* tasks_sql.c - POST /api/v1/tasks/{name}/sql: sql-skip / sql-replace / sql-inject
 * (HandleSQLs) with dmctl v1.0's argument rules (dm-v1-wire.md §5, dm/command/argument.go):
 *  - skip/replace: exactly one of binlogPos / sqlPattern; binlogPos is "file:pos" with a
 *    uint32 pos; sharding cannot be combined with binlogPos; without sharding exactly one
 *    worker; with sharding the worker is ignored (sent empty); replace needs sqls.
 *  - inject: exactly one worker, sqls required, every statement a DDL.
 * Surrounding double quotes are trimmed from binlogPos and sqlPattern, as dmctl does. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"

struct sql_args {
    Pb__SQLOp op;
    const char *worker;
    char *binlog_pos;    /* owned, quotes trimmed */
    char *sql_pattern;   /* owned, quotes trimmed */
    bool sharding;
    struct strlist sqls;
};

static void sql_args_free(struct sql_args *a)
{
    free(a->binlog_pos);
    free(a->sql_pattern);
    strlist_free(&a->sqls);
}

static char *trim_quotes(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        return strndup(s + 1, n - 2);
    return strdup(s);
}

static bool valid_binlog_pos(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return false;
    for (const char *p = colon + 1; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
    }
    errno = 0;
    unsigned long long v = strtoull(colon + 1, NULL, 10);
    return errno == 0 && v <= 0xffffffffULL;
}

/* Split "a; b;" into trimmed statements (quotes and backticks respected). */
static int split_sqls(const char *s, struct strlist *out)
{
    size_t start = 0, n = strlen(s);
    char q = 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = i < n ? s[i] : ';';
        if (q) {
            if (ch == q)
                q = 0;
            continue;
        }
        if (ch == '\'' || ch == '"' || ch == '`') {
            q = ch;
            continue;
        }
        if (ch != ';')
            continue;
        size_t a = start, b = i;
        while (a < b && isspace((unsigned char)s[a]))
            a++;
        while (b > a && isspace((unsigned char)s[b - 1]))
            b--;
        if (b > a) {
            char *stmt = strndup(s + a, b - a);
            int rc = stmt ? strlist_add(out, stmt) : DM_E_NOMEM;
            free(stmt);
            if (rc != DM_OK)
                return rc;
        }
        start = i + 1;
    }
    return DM_OK;
}

static bool is_ddl(const char *sql)
{
    static const char *const kw[] = {"CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME", NULL};
    while (isspace((unsigned char)*sql))
        sql++;
    for (size_t i = 0; kw[i]; i++) {
        size_t n = strlen(kw[i]);
        if (strncasecmp(sql, kw[i], n) == 0 && (isspace((unsigned char)sql[n]) || !sql[n]))
            return true;
    }
    return false;
}

static int parse_sqls(struct route_ctx *c, const json_t *obj, struct strlist *out)
{
    struct strlist raw = {0};
    int rc = body_opt_strings(c, obj, "sqls", &raw);
    for (size_t i = 0; rc == DM_OK && i < raw.n; i++)
        rc = split_sqls(raw.v[i], out);
    strlist_free(&raw);
    if (rc == DM_E_NOMEM)
        route_problem(c, 500, "out of memory");
    return rc;
}

static int parse_op(struct route_ctx *c, const char *op, Pb__SQLOp *out)
{
    if (op && strcasecmp(op, "skip") == 0)
        *out = PB__SQLOP__SKIP;
    else if (op && strcasecmp(op, "replace") == 0)
        *out = PB__SQLOP__REPLACE;
    else if (op && strcasecmp(op, "inject") == 0)
        *out = PB__SQLOP__INJECT;
    else {
        route_problem(c, 400, "op: expected \"skip\", \"replace\" or \"inject\"");
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int check_inject(struct route_ctx *c, struct sql_args *a)
{
    if (!a->worker || !*a->worker) {
        route_problem(c, 400, "must specify one DM-worker (`worker`)");
        return DM_E_INVAL;
    }
    if (a->binlog_pos || a->sql_pattern || a->sharding) {
        route_problem(c, 400, "inject takes no binlogPos, sqlPattern or sharding");
        return DM_E_INVAL;
    }
    if (a->sqls.n == 0) {
        route_problem(c, 400, "must specify some SQLs to inject (`sqls`)");
        return DM_E_INVAL;
    }
    for (size_t i = 0; i < a->sqls.n; i++) {
        if (!is_ddl(a->sqls.v[i])) {
            route_problem(c, 400, "only support inject DDL currently, but got '%s'", a->sqls.v[i]);
            return DM_E_INVAL;
        }
    }
    return DM_OK;
}

static int check_skip_replace(struct route_ctx *c, struct sql_args *a)
{
    bool has_pos = a->binlog_pos && *a->binlog_pos, has_pat = a->sql_pattern && *a->sql_pattern;
    const char *err = NULL;
    if (has_pos && has_pat)
        err = "cannot specify both --binlog-pos and --sql-pattern in sql operation";
    else if (!has_pos && !has_pat)
        err = "must specify one of --binlog-pos and --sql-pattern in sql operation";
    else if (has_pos && a->sharding)
        err = "cannot specify --binlog-pos with --sharding";
    else if (!a->sharding && (!a->worker || !*a->worker))
        err = "should only specify one worker (`worker`) without --sharding";
    else if (a->op == PB__SQLOP__REPLACE && a->sqls.n == 0)
        err = "must specify some SQLs to replace with (`sqls`)";
    else if (a->op == PB__SQLOP__SKIP && a->sqls.n > 0)
        err = "skip takes no `sqls`";
    if (err) {
        route_problem(c, 400, "%s", err);
        return DM_E_INVAL;
    }
    if (has_pos && !valid_binlog_pos(a->binlog_pos)) {
        route_problem(c, 400, "invalid --binlog-pos %s in sql operation: expected file:pos",
                      a->binlog_pos);
        return DM_E_INVAL;
    }
    if (a->sharding)
        a->worker = NULL;
    return DM_OK;
}

static int parse_args(struct route_ctx *c, const json_t *obj, struct sql_args *a)
{
    static const char *const keys[] = {"op", "worker", "binlogPos", "sqlPattern", "sharding",
                                       "sqls", NULL};
    const char *op = NULL, *pos = NULL, *pat = NULL;
    int rc = body_only_keys(c, obj, keys);
    rc = rc ? rc : body_opt_string(c, obj, "op", &op);
    rc = rc ? rc : parse_op(c, op, &a->op);
    rc = rc ? rc : body_opt_string(c, obj, "worker", &a->worker);
    rc = rc ? rc : body_opt_string(c, obj, "binlogPos", &pos);
    rc = rc ? rc : body_opt_string(c, obj, "sqlPattern", &pat);
    rc = rc ? rc : body_opt_bool(c, obj, "sharding", &a->sharding);
    rc = rc ? rc : parse_sqls(c, obj, &a->sqls);
    if (rc != DM_OK)
        return rc;
    a->binlog_pos = trim_quotes(pos);
    a->sql_pattern = trim_quotes(pat);
    if (a->op == PB__SQLOP__INJECT)
        return check_inject(c, a);
    return check_skip_replace(c, a);
}

enum route_rc h_handle_sqls(struct route_ctx *c)
{
    json_t *obj = NULL;
    struct sql_args a = {0};
    enum route_rc rc = ROUTE_DONE;
    route_audit_task(c, route_param(c, "name"));
    if (body_json_object(c, false, &obj) != DM_OK || parse_args(c, obj, &a) != DM_OK)
        goto out;
    Pb__HandleSQLsRequest r = PB__HANDLE_SQLS_REQUEST__INIT;
    r.name = (char *)route_param(c, "name");
    r.op = a.op;
    r.n_args = a.sqls.n;
    r.args = a.sqls.v;
    r.binlogpos = a.binlog_pos ? a.binlog_pos : "";
    r.sqlpattern = a.sql_pattern ? a.sql_pattern : "";
    r.worker = a.worker ? (char *)a.worker : "";
    r.sharding = a.sharding;
    rc = route_master_call(c, "HandleSQLs", &r.base, true, route_done_dm);
out:
    sql_args_free(&a);
    json_decref(obj);
    return rc;
}

/* tasks.c - /api/v1/tasks: StartTask, CheckTask, QueryStatus, QueryError, UpdateTask,
 * OperateTask (pause / resume / stop). PUT with If-Match, or with the password mask of a
 * config read from GET .../config, reads the current config first (GetTaskCfg). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dm_error.h"
#include "dmjson.h"
#include "dmmaster.pb-c.h"
#include "dmreply.h"
#include "handlers.h"
#include "yamljson.h"

static void add_pct_encoded(struct dm_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            dm_buf_addc(b, (char)*p);
        } else {
            dm_buf_addc(b, '%');
            dm_buf_addc(b, hex[*p >> 4]);
            dm_buf_addc(b, hex[*p & 15]);
        }
    }
}

static enum route_rc created_done(struct route_ctx *c, struct rpc_result *res)
{
    route_done_dm(c, res);
    if ((c->resp.status == 201 || c->resp.status == 207) && c->resp.audit_task) {
        struct dm_buf loc;
        dm_buf_init(&loc, 4096);
        dm_buf_adds(&loc, "/api/v1/tasks/");
        add_pct_encoded(&loc, c->resp.audit_task);
        if (loc.data)
            route_header(c, "Location", loc.data);
        dm_buf_free(&loc);
    }
    return ROUTE_DONE;
}

/* A config read from GET .../config carries the password mask: only PUT may keep it. */
static int reject_masked(struct route_ctx *c, const struct task_body *tb)
{
    if (!taskcfg_password_masked(tb->cfg))
        return DM_OK;
    route_problem(c, 422, "target-database.password is the mask \"%s\" of a config read from "
                  "GET .../config; send the real or encrypted password", TASKCFG_MASK);
    return DM_E_UNPROCESSABLE;
}

enum route_rc h_create_task(struct route_ctx *c)
{
    struct task_body tb;
    if (task_body_parse(c, &tb) != DM_OK) {
        task_body_free(&tb);
        return ROUTE_DONE;
    }
    if (reject_masked(c, &tb) != DM_OK) {
        task_body_free(&tb);
        return ROUTE_DONE;
    }
    Pb__StartTaskRequest r = PB__START_TASK_REQUEST__INIT;
    r.task = tb.yaml;
    r.n_workers = tb.workers.n;
    r.workers = tb.workers.v;
    c->ok_status = 201;
    enum route_rc rc = route_master_call(c, "StartTask", &r.base, true, created_done);
    task_body_free(&tb);
    return rc;
}

static enum route_rc check_done(struct route_ctx *c, struct rpc_result *res)
{
    route_done_dm(c, res);
    if (res->status == RPC_OK && c->resp.status == 500)
        c->resp.status = 422;
    return ROUTE_DONE;
}

enum route_rc h_check_task(struct route_ctx *c)
{
    struct task_body tb;
    if (task_body_parse(c, &tb) != DM_OK) {
        task_body_free(&tb);
        return ROUTE_DONE;
    }
    if (reject_masked(c, &tb) != DM_OK) {
        task_body_free(&tb);
        return ROUTE_DONE;
    }
    Pb__CheckTaskRequest r = PB__CHECK_TASK_REQUEST__INIT;
    r.task = tb.yaml;
    enum route_rc rc = route_master_call(c, "CheckTask", &r.base, true, check_done);
    task_body_free(&tb);
    return rc;
}

/* Keep only tasks whose taskStatus starts with ?stage= (e.g. "Running", "Error"). */
static int filter_stage(struct route_ctx *c, const char *stage)
{
    json_t *root = json_loadb(c->resp.body.data, c->resp.body.len, 0, NULL);
    json_t *tasks = root ? json_object_get(root, "tasks") : NULL;
    json_t *kept = json_array();
    size_t i;
    json_t *t;
    int rc = DM_E_NOMEM;
    if (!root || !kept)
        goto out;
    json_array_foreach(tasks, i, t) {
        const char *st = json_string_value(json_object_get(t, "taskStatus"));
        if (st && strncmp(st, stage, strlen(stage)) == 0)
            json_array_append(kept, t);
    }
    json_object_set(root, "tasks", kept);
    char *s = json_dumps(root, JSON_PRESERVE_ORDER | (route_pretty(c) ? JSON_INDENT(4) : JSON_COMPACT));
    if (!s)
        goto out;
    dm_buf_reset(&c->resp.body);
    rc = dm_buf_adds(&c->resp.body, s);
    free(s);
out:
    json_decref(kept);
    json_decref(root);
    return rc;
}

static enum route_rc list_done(struct route_ctx *c, struct rpc_result *res)
{
    if (res->status != RPC_OK || !res->resp)
        return route_rpc_failed(c, res);
    const Pb__QueryStatusListResponse *q = (const Pb__QueryStatusListResponse *)res->resp;
    int code = 0;
    int status = dmreply_status(res->resp, 200, &code);
    /* a failure answers the whole answer: the condensed form would hide the reasons */
    if (route_query_bool(c, "full") || !q->result || status >= 400)
        return route_done_dm(c, res);
    dmreply_strip_stacks(res->resp);
    dm_buf_reset(&c->resp.body);
    if (dmjson_condensed_status(q, route_pretty(c), &c->resp.body) != DM_OK)
        return route_problem(c, 500, "cannot build the condensed status");
    const char *stage = route_query(c, "stage");
    if (stage && *stage && filter_stage(c, stage) != DM_OK)
        return route_problem(c, 500, "cannot filter by stage");
    c->resp.status = status;
    c->resp.content_type = "application/json";
    return ROUTE_DONE;
}

/* A read whose request carries the ?worker= list (and the task name when name is set). */
struct workers_req {
    ProtobufCMessage *base;
    char **name;          /* NULL: no name field */
    size_t *n_workers;
    char ***workers;
};

static enum route_rc call_with_workers(struct route_ctx *c, const char *rpc_name,
                                       struct workers_req q, route_master_done_fn done)
{
    struct strlist w = {0};
    enum route_rc rc = ROUTE_DONE;
    if (body_query_list(c, "worker", &w) == DM_OK) {
        if (q.name)
            *q.name = (char *)route_param(c, "name");
        *q.n_workers = w.n;
        *q.workers = w.v;
        rc = route_master_call(c, rpc_name, q.base, false, done);
    }
    strlist_free(&w);
    return rc;
}

enum route_rc h_list_tasks(struct route_ctx *c)
{
    Pb__QueryStatusListRequest r = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    return call_with_workers(c, "QueryStatus",
                             (struct workers_req){&r.base, NULL, &r.n_workers, &r.workers},
                             list_done);
}

enum route_rc h_get_task(struct route_ctx *c)
{
    Pb__QueryStatusListRequest r = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    return call_with_workers(c, "QueryStatus",
                             (struct workers_req){&r.base, &r.name, &r.n_workers, &r.workers},
                             route_done_dm);
}

enum route_rc h_get_task_errors(struct route_ctx *c)
{
    Pb__QueryErrorListRequest r = PB__QUERY_ERROR_LIST_REQUEST__INIT;
    return call_with_workers(c, "QueryError",
                             (struct workers_req){&r.base, &r.name, &r.n_workers, &r.workers},
                             route_done_dm);
}

/* PUT scratch: the change (lock, resulting version) and the parsed body. */
struct put_state {
    struct taskcfg_change ch;   /* first: taskcfg_update_done reads it */
    struct task_body tb;
};

static void put_state_free(void *p)
{
    struct put_state *st = p;
    task_body_free(&st->tb);
    taskcfg_unlock(st->ch.lock);
    free(st);
}

static enum route_rc put_send(struct route_ctx *c, struct put_state *st)
{
    if (taskcfg_etag(st->tb.cfg, st->ch.etag) != DM_OK)
        st->ch.etag[0] = '\0';
    Pb__UpdateTaskRequest r = PB__UPDATE_TASK_REQUEST__INIT;
    r.task = st->tb.yaml;
    r.n_workers = st->tb.workers.n;
    r.workers = st->tb.workers.v;
    return route_master_call(c, "UpdateTask", &r.base, true, taskcfg_update_done);
}

/* The masked password of the body stands for the stored one. */
static int unmask_password(struct route_ctx *c, struct put_state *st, const json_t *cur)
{
    const json_t *pw = taskcfg_password(cur);
    if (!pw) {
        route_problem(c, 422, "target-database.password is the mask \"%s\" but the stored "
                      "config has no password to keep", TASKCFG_MASK);
        return DM_E_UNPROCESSABLE;
    }
    json_t *td = json_object_get(st->tb.cfg, "target-database");
    char *yaml = NULL;
    if (json_object_set_new(td, "password", json_deep_copy(pw)) != 0 ||
        !(yaml = yamljson_emit(st->tb.cfg))) {
        route_problem(c, 500, "out of memory");
        return DM_E_NOMEM;
    }
    free(st->tb.yaml);
    st->tb.yaml = yaml;
    return DM_OK;
}

/* The current config arrived (If-Match checked): keep a masked password, UpdateTask. */
static enum route_rc put_cfg_done(struct route_ctx *c, struct rpc_result *res)
{
    struct put_state *st = c->state;
    bool masked = taskcfg_password_masked(st->tb.cfg);
    json_t *cur = taskcfg_current(c, res, masked ? "send the real or encrypted password, not the mask"
                                                 : "If-Match cannot be checked; send the PUT without it");
    if (!cur)
        return ROUTE_DONE;
    int rc = masked ? unmask_password(c, st, cur) : DM_OK;
    json_decref(cur);
    return rc == DM_OK ? put_send(c, st) : ROUTE_DONE;
}

enum route_rc h_update_task(struct route_ctx *c)
{
    const char *name = route_param(c, "name");
    route_audit_task(c, name);
    struct put_state *st = calloc(1, sizeof(*st));
    if (!st)
        return route_problem(c, 500, "out of memory");
    c->state = st;
    c->state_free = put_state_free;
    if (task_body_parse(c, &st->tb) != DM_OK)
        return ROUTE_DONE;
    if (strcmp(st->tb.name, name) != 0)
        return route_problem(c, 422, "task name in the path (%s) differs from the config's name (%s)",
                             name, st->tb.name);
    if (!c->req.if_match && !taskcfg_password_masked(st->tb.cfg))
        return put_send(c, st);
    if (!(st->ch.lock = taskcfg_lock(c, name)))
        return ROUTE_DONE;
    Pb__GetTaskCfgRequest r = PB__GET_TASK_CFG_REQUEST__INIT;
    r.name = (char *)name;
    return route_master_call(c, "GetTaskCfg", &r.base, false, put_cfg_done);
}

/* Workers for an operation: body {"workers": [...]} (optional) + ?worker=. */
static int op_workers(struct route_ctx *c, struct strlist *w)
{
    json_t *obj = NULL;
    static const char *const keys[] = {"workers", NULL};
    int rc = body_json_object(c, true, &obj);
    rc = rc ? rc : body_only_keys(c, obj, keys);
    rc = rc ? rc : body_opt_strings(c, obj, "workers", w);
    rc = rc ? rc : body_query_list(c, "worker", w);
    json_decref(obj);
    return rc;
}

enum route_rc tasks_operate(struct route_ctx *c, int op, char **workers, size_t nworkers)
{
    Pb__OperateTaskRequest r = PB__OPERATE_TASK_REQUEST__INIT;
    r.op = (Pb__TaskOp)op;
    r.name = (char *)route_param(c, "name");
    r.n_workers = nworkers;
    r.workers = workers;
    route_audit_task(c, r.name);
    return route_master_call(c, "OperateTask", &r.base, true, route_done_dm);
}

static enum route_rc operate(struct route_ctx *c, Pb__TaskOp op)
{
    struct strlist w = {0};
    route_audit_task(c, route_param(c, "name"));
    enum route_rc rc = ROUTE_DONE;
    if (op_workers(c, &w) == DM_OK)
        rc = tasks_operate(c, op, w.v, w.n);
    strlist_free(&w);
    return rc;
}

enum route_rc h_pause_task(struct route_ctx *c)
{
    return operate(c, PB__TASK_OP__Pause);
}

enum route_rc h_resume_task(struct route_ctx *c)
{
    return operate(c, PB__TASK_OP__Resume);
}

enum route_rc h_stop_task(struct route_ctx *c)
{
    return operate(c, PB__TASK_OP__Stop);
}

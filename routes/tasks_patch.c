/* tasks_patch.c - PATCH /api/v1/tasks/{name}: JSON Merge Patch (RFC 7386).
 *   {"stage":"Paused"|"Running"}          -> OperateTask Pause / Resume
 *   config keys (online-updatable ones)   -> GetTaskCfg (extension RPC) + merge + UpdateTask
 * A real DM v1.0 master answers GetTaskCfg with UNIMPLEMENTED: 501 "use PUT". */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"
#include "yamljson.h"

/* Keys DM v1.0 applies online (dm-v1-wire.md §7 "update-task online scope"). */
static const char *const ONLINE_KEYS[] = {"routes", "filters", "column-mappings",
                                          "black-white-list", "timezone", NULL};

static bool is_online_key(const char *k)
{
    for (size_t i = 0; ONLINE_KEYS[i]; i++) {
        if (strcmp(ONLINE_KEYS[i], k) == 0)
            return true;
    }
    return false;
}

/* RFC 7386 MergePatch(target, patch); returns a new reference. */
static json_t *merge_patch(json_t *target, json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
    const char *k;
    json_t *v;
    if (!out)
        return NULL;
    json_object_foreach(patch, k, v) {
        if (json_is_null(v)) {
            json_object_del(out, k);
            continue;
        }
        json_t *m = merge_patch(json_object_get(out, k), v);
        if (!m || json_object_set_new(out, k, m) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static void decref_state(void *p)
{
    json_decref(p);
}

static enum route_rc cfg_done(struct route_ctx *c, struct rpc_result *res)
{
    if (res->status == RPC_UNIMPLEMENTED)
        return route_problem(c, 501,
                             "the master cannot return the current task config (DM v1.0); "
                             "use PUT /api/v1/tasks/%s with the full config",
                             route_param(c, "name"));
    if (res->status != RPC_OK || !res->resp)
        return route_rpc_failed(c, res);
    const Pb__GetTaskCfgResponse *g = (const Pb__GetTaskCfgResponse *)res->resp;
    if (!g->result)
        return route_done_dm(c, res);
    char err[256] = "";
    json_t *cur = yamljson_parse(g->cfg, strlen(g->cfg), err, sizeof(err));
    if (!cur)
        return route_problem(c, 502, "the master's task config is not valid YAML: %s", err);
    json_t *merged = merge_patch(cur, c->state);
    json_decref(cur);
    char *yaml = merged ? yamljson_emit(merged) : NULL;
    json_decref(merged);
    if (!yaml)
        return route_problem(c, 500, "cannot build the merged task config");
    Pb__UpdateTaskRequest r = PB__UPDATE_TASK_REQUEST__INIT;
    r.task = yaml;
    enum route_rc rc = route_master_call(c, "UpdateTask", &r.base, true, route_done_dm);
    free(yaml);
    return rc;
}

static enum route_rc patch_stage(struct route_ctx *c, const json_t *stage)
{
    const char *s = json_string_value(stage);
    if (s && strcmp(s, "Paused") == 0)
        return tasks_operate(c, PB__TASK_OP__Pause, NULL, 0);
    if (s && strcmp(s, "Running") == 0)
        return tasks_operate(c, PB__TASK_OP__Resume, NULL, 0);
    return route_problem(c, 422, "stage: expected \"Paused\" or \"Running\" (use DELETE to stop)");
}

/* 422 unless every key is online-updatable; `name` may be present if unchanged. */
static int check_config_keys(struct route_ctx *c, json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (strcmp(k, "name") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), route_param(c, "name")) != 0) {
                route_problem(c, 422, "a task cannot be renamed");
                return DM_E_UNPROCESSABLE;
            }
            continue;
        }
        if (!is_online_key(k)) {
            route_problem(c, 422,
                          "\"%s\" cannot be changed on a running task; PATCH accepts stage, "
                          "routes, filters, column-mappings, black-white-list, timezone "
                          "(use PUT for the full config)", k);
            return DM_E_UNPROCESSABLE;
        }
    }
    return DM_OK;
}

enum route_rc h_patch_task(struct route_ctx *c)
{
    json_t *patch = NULL;
    route_audit_task(c, route_param(c, "name"));
    if (body_json_object(c, false, &patch) != DM_OK)
        return ROUTE_DONE;
    enum route_rc rc = ROUTE_DONE;
    json_t *stage = json_object_get(patch, "stage");
    if (stage) {
        if (json_object_size(patch) != 1)
            rc = route_problem(c, 422, "\"stage\" cannot be combined with config changes");
        else
            rc = patch_stage(c, stage);
        json_decref(patch);
        return rc;
    }
    if (json_object_size(patch) == 0 || check_config_keys(c, patch) != DM_OK) {
        if (json_object_size(patch) == 0)
            route_problem(c, 422, "empty merge patch");
        json_decref(patch);
        return ROUTE_DONE;
    }
    c->state = patch;
    c->state_free = decref_state;
    Pb__GetTaskCfgRequest r = PB__GET_TASK_CFG_REQUEST__INIT;
    r.name = (char *)route_param(c, "name");
    return route_master_call(c, "GetTaskCfg", &r.base, false, cfg_done);
}

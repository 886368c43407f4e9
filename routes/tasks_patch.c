/* tasks_patch.c - PATCH /api/v1/tasks/{name}: JSON Merge Patch (RFC 7386).
 *   {"stage":"Paused"|"Running"}          -> OperateTask Pause / Resume
 *   config keys (online-updatable ones)   -> GetTaskCfg (extension RPC) + merge + UpdateTask
 * If-Match (the config's ETag, tasks_config.c) is checked against the current config
 * before either: 412 when it changed. A real DM v1.0 master answers GetTaskCfg with
 * UNIMPLEMENTED: 501 "use PUT". */
#include <jansson.h>
#include <stdio.h>
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

/* Handler scratch: the change (lock, resulting version) and the patch. */
struct patch_state {
    struct taskcfg_change ch;   /* first: taskcfg_update_done reads it */
    json_t *patch;
};

static void patch_state_free(void *p)
{
    struct patch_state *st = p;
    json_decref(st->patch);
    taskcfg_unlock(st->ch.lock);
    free(st);
}

static enum route_rc patch_stage(struct route_ctx *c, const json_t *stage);

/* The current config arrived (If-Match checked): pause/resume or merge + UpdateTask. */
static enum route_rc cfg_done(struct route_ctx *c, struct rpc_result *res)
{
    struct patch_state *st = c->state;
    json_t *stage = json_object_get(st->patch, "stage");
    char why[600];
    if (stage)
        snprintf(why, sizeof(why), "If-Match cannot be checked; send the PATCH without it");
    else
        snprintf(why, sizeof(why), "use PUT /api/v1/tasks/%s with the full config",
                 route_param(c, "name"));
    json_t *cur = taskcfg_current(c, res, why);
    if (!cur)
        return ROUTE_DONE;
    if (stage) {
        json_decref(cur);
        return patch_stage(c, stage);
    }
    json_t *merged = merge_patch(cur, st->patch);
    json_decref(cur);
    char *yaml = merged ? yamljson_emit(merged) : NULL;
    if (!yaml || taskcfg_etag(merged, st->ch.etag) != DM_OK) {
        json_decref(merged);
        free(yaml);
        return route_problem(c, 500, "cannot build the merged task config");
    }
    json_decref(merged);
    Pb__UpdateTaskRequest r = PB__UPDATE_TASK_REQUEST__INIT;
    r.task = yaml;
    enum route_rc rc = route_master_call(c, "UpdateTask", &r.base, true, taskcfg_update_done);
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

/* Read the current config first (cfg_done continues); takes the patch. */
static enum route_rc fetch_cfg(struct route_ctx *c, json_t *patch)
{
    struct patch_state *st = calloc(1, sizeof(*st));
    if (!st) {
        json_decref(patch);
        return route_problem(c, 500, "out of memory");
    }
    st->patch = patch;
    c->state = st;
    c->state_free = patch_state_free;
    if (!json_object_get(patch, "stage") && !(st->ch.lock = taskcfg_lock(c, route_param(c, "name"))))
        return ROUTE_DONE;
    Pb__GetTaskCfgRequest r = PB__GET_TASK_CFG_REQUEST__INIT;
    r.name = (char *)route_param(c, "name");
    return route_master_call(c, "GetTaskCfg", &r.base, false, cfg_done);
}

enum route_rc h_patch_task(struct route_ctx *c)
{
    json_t *patch = NULL;
    route_audit_task(c, route_param(c, "name"));
    if (body_json_object(c, false, &patch) != DM_OK)
        return ROUTE_DONE;
    enum route_rc rc = ROUTE_DONE;
    json_t *stage = json_object_get(patch, "stage");
    if (stage && json_object_size(patch) != 1) {
        rc = route_problem(c, 422, "\"stage\" cannot be combined with config changes");
    } else if (stage && c->req.if_match) {
        return fetch_cfg(c, patch);   /* the precondition is on the config's version */
    } else if (stage) {
        rc = patch_stage(c, stage);
    } else if (json_object_size(patch) == 0) {
        rc = route_problem(c, 422, "empty merge patch");
    } else if (body_too_deep(c, patch) == DM_OK && check_config_keys(c, patch) == DM_OK) {
        return fetch_cfg(c, patch);
    }
    json_decref(patch);
    return rc;
}

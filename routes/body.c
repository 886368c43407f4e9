/* body.c - see body.h */
#include "body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_name.h"
#include "yamljson.h"

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int strlist_add(struct strlist *l, const char *s)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return DM_E_NOMEM;
    l->v = nv;
    l->v[l->n] = strdup(s);
    if (!l->v[l->n])
        return DM_E_NOMEM;
    l->n++;
    return DM_OK;
}

static bool is_json_type(struct route_ctx *c)
{
    return !c->req.content_type || route_content_is(c, "application/json") ||
           route_content_is(c, "application/merge-patch+json");
}

bool body_json_cost_fits(const char *text, size_t len, char *why, size_t cap)
{
    size_t cost = yamljson_json_cost(text, len), budget = yamljson_budget(len);
    if (cost <= budget)
        return true;
    snprintf(why, cap, "the JSON body has too many values for its size: parsed it would take "
             "about %zu bytes, over the %zu-byte budget of a %zu-byte body", cost, budget, len);
    return false;
}

int body_json_cost_ok(struct route_ctx *c, const char *text, size_t len)
{
    char why[256];
    if (body_json_cost_fits(text, len, why, sizeof(why)))
        return DM_OK;
    route_problem(c, 413, "%s", why);
    return DM_E_TOO_LARGE;
}

int body_json_object(struct route_ctx *c, bool allow_empty, json_t **out)
{
    *out = NULL;
    if (c->req.body_len == 0 && allow_empty) {
        *out = json_object();
        return *out ? DM_OK : DM_E_NOMEM;
    }
    if (!is_json_type(c)) {
        route_problem(c, 415, "expected application/json, got %s", c->req.content_type);
        return DM_E_INVAL;
    }
    if (body_json_cost_ok(c, c->req.body, c->req.body_len) != DM_OK)
        return DM_E_TOO_LARGE;
    json_error_t je;
    json_t *v = json_loadb(c->req.body, c->req.body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        route_problem(c, 400, "invalid JSON body: line %d column %d: %s", je.line, je.column,
                      je.text);
        return DM_E_PARSE;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        route_problem(c, 400, "the JSON body must be an object");
        return DM_E_INVAL;
    }
    *out = v;
    return DM_OK;
}

int body_only_keys(struct route_ctx *c, const json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k) != 0)
            i++;
        if (!allowed[i]) {
            route_problem(c, 400, "unknown field \"%s\"", k);
            return DM_E_INVAL;
        }
    }
    return DM_OK;
}

int body_opt_string(struct route_ctx *c, const json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return DM_OK;
    if (!json_is_string(v)) {
        route_problem(c, 400, "%s: expected string", key);
        return DM_E_INVAL;
    }
    *out = json_string_value(v);
    return DM_OK;
}

int body_opt_bool(struct route_ctx *c, const json_t *obj, const char *key, bool *out)
{
    json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v || json_is_null(v))
        return DM_OK;
    if (!json_is_boolean(v)) {
        route_problem(c, 400, "%s: expected boolean", key);
        return DM_E_INVAL;
    }
    *out = json_is_true(v);
    return DM_OK;
}

static int add_checked(struct route_ctx *c, const char *key, struct strlist *l, const char *s)
{
    if (!*s) {
        route_problem(c, 400, "%s: empty string", key);
        return DM_E_INVAL;
    }
    if (l->n >= BODY_MAX_WORKERS) {
        route_problem(c, 400, "%s: more than %d entries", key, BODY_MAX_WORKERS);
        return DM_E_INVAL;
    }
    if (strlist_add(l, s) != DM_OK) {
        route_problem(c, 500, "out of memory");
        return DM_E_NOMEM;
    }
    return DM_OK;
}

int body_opt_strings(struct route_ctx *c, const json_t *obj, const char *key, struct strlist *l)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return DM_OK;
    if (json_is_string(v))
        return add_checked(c, key, l, json_string_value(v));
    if (!json_is_array(v)) {
        route_problem(c, 400, "%s: expected an array of strings", key);
        return DM_E_INVAL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) {
            route_problem(c, 400, "%s[%zu]: expected string", key, i);
            return DM_E_INVAL;
        }
        int rc = add_checked(c, key, l, json_string_value(e));
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

int body_query_list(struct route_ctx *c, const char *key, struct strlist *l)
{
    for (size_t i = 0; i < c->req.nquery; i++) {
        if (strcmp(c->req.query[i].key, key) != 0)
            continue;
        int rc = add_checked(c, key, l, c->req.query[i].value);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

void task_body_free(struct task_body *tb)
{
    free(tb->yaml);
    json_decref(tb->cfg);
    strlist_free(&tb->workers);
    memset(tb, 0, sizeof(*tb));
}

static bool is_yaml_type(struct route_ctx *c)
{
    return route_content_is(c, "application/yaml") || route_content_is(c, "text/yaml") ||
           route_content_is(c, "application/x-yaml") || route_content_is(c, "text/x-yaml") ||
           route_content_is(c, "text/plain");
}

/* Parse the YAML text first (within its memory budget), keep a copy only when valid. */
static int parse_yaml_cfg(struct route_ctx *c, struct task_body *tb, const char *text, size_t len)
{
    char err[256] = "";
    tb->cfg = yamljson_parse(text, len, err, sizeof(err));
    if (!tb->cfg) {
        route_problem(c, 422, "invalid task YAML: %s", err);
        return DM_E_UNPROCESSABLE;
    }
    if (!(tb->yaml = strdup(text))) {
        route_problem(c, 500, "out of memory");
        return DM_E_NOMEM;
    }
    return DM_OK;
}

/* Does v nest deeper than `levels` levels of nodes (a scalar is one level)? */
static bool nests_deeper(const json_t *v, size_t levels)
{
    const char *k;
    json_t *m;
    size_t i;
    if (levels == 0)
        return true;
    json_object_foreach((json_t *)v, k, m) {
        if (nests_deeper(m, levels - 1))
            return true;
    }
    json_array_foreach(v, i, m) {
        if (nests_deeper(m, levels - 1))
            return true;
    }
    return false;
}

int body_too_deep(struct route_ctx *c, const json_t *v)
{
    if (!nests_deeper(v, BODY_MAX_LEVELS))
        return DM_OK;
    route_problem(c, 422, "invalid task config: nested deeper than %d levels", BODY_MAX_LEVELS);
    return DM_E_UNPROCESSABLE;
}

/* JSON body: {"task": "<yaml>", "workers": [...]} or a task object. */
static int parse_json_task(struct route_ctx *c, struct task_body *tb)
{
    json_t *obj = NULL;
    int rc = body_json_object(c, false, &obj);
    if (rc != DM_OK)
        return rc;
    json_t *task = json_object_get(obj, "task");
    if (task && json_is_string(task)) {
        static const char *const keys[] = {"task", "workers", NULL};
        rc = body_only_keys(c, obj, keys);
        rc = rc ? rc : body_opt_strings(c, obj, "workers", &tb->workers);
        rc = rc ? rc : parse_yaml_cfg(c, tb, json_string_value(task), strlen(json_string_value(task)));
        json_decref(obj);
        return rc;
    }
    tb->cfg = obj;
    if (body_too_deep(c, obj) != DM_OK)
        return DM_E_UNPROCESSABLE;
    tb->yaml = yamljson_emit(obj);
    if (!tb->yaml) {
        route_problem(c, 500, "cannot convert the task to YAML");
        return DM_E_NOMEM;
    }
    return DM_OK;
}

int task_body_parse(struct route_ctx *c, struct task_body *tb)
{
    int rc;
    memset(tb, 0, sizeof(*tb));
    if (c->req.body_len == 0) {
        route_problem(c, 400, "a task config is required in the body");
        return DM_E_INVAL;
    }
    if (is_yaml_type(c)) {
        rc = parse_yaml_cfg(c, tb, c->req.body, strlen(c->req.body));
    } else if (is_json_type(c)) {
        rc = parse_json_task(c, tb);
    } else {
        route_problem(c, 415, "task bodies are application/yaml, text/yaml or application/json");
        return DM_E_INVAL;
    }
    if (rc != DM_OK)
        return rc;
    json_t *name = json_is_object(tb->cfg) ? json_object_get(tb->cfg, "name") : NULL;
    if (!json_is_string(name) || !*json_string_value(name)) {
        route_problem(c, 422, "the task config must be a mapping with a non-empty `name`");
        return DM_E_UNPROCESSABLE;
    }
    size_t at = 0;
    const char *why = dm_name_check(json_string_value(name), json_string_length(name), &at);
    if (why) {
        route_problem(c, 422, "invalid task name: it %s (byte %zu); a task name follows the "
                      "rule of path names: 1-%d bytes, no control characters, no '/', no "
                      "leading \"---\" or \"...\"", why, at, DM_NAME_MAX);
        return DM_E_UNPROCESSABLE;
    }
    tb->name = json_string_value(name);
    route_audit_task(c, tb->name);
    return body_query_list(c, "worker", &tb->workers);
}

int body_config_text(struct route_ctx *c, const char **out, json_t **hold)
{
    *out = NULL;
    *hold = NULL;
    if (route_content_is(c, "text/plain") || route_content_is(c, "application/toml")) {
        *out = c->req.body;
    } else {
        json_t *obj = NULL;
        static const char *const keys[] = {"config", NULL};
        int rc = body_json_object(c, false, &obj);
        rc = rc ? rc : body_only_keys(c, obj, keys);
        rc = rc ? rc : body_opt_string(c, obj, "config", out);
        if (rc != DM_OK) {
            json_decref(obj);
            return rc;
        }
        *hold = obj;
    }
    if (!*out || !**out) {
        route_problem(c, 400, "a config (TOML text) is required");
        return DM_E_INVAL;
    }
    return DM_OK;
}

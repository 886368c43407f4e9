/* tasks_config.c - GET /api/v1/tasks/{name}/config (the GetTaskCfg extension RPC) and the
 * config version that PUT and PATCH check with If-Match.
 *
 * What a client sees of a stored config is its "view": the YAML parsed, with
 * target-database.password replaced by TASKCFG_MASK (the only secret of a v1.0 task.yaml).
 * The ETag is a hash of the view's compact JSON, so it is the same for the YAML and the
 * JSON representation and never depends on the password. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"
#include "hash.h"
#include "yamljson.h"

/* target-database.password when it is a scalar (go-yaml reads `password: 1234` into
 * DM's string field too), else NULL. */
static json_t *password_node(const json_t *cfg)
{
    json_t *t = json_is_object(cfg) ? json_object_get(cfg, "target-database") : NULL;
    json_t *pw = json_is_object(t) ? json_object_get(t, "password") : NULL;
    return pw && !json_is_null(pw) && !json_is_object(pw) && !json_is_array(pw) ? pw : NULL;
}

const json_t *taskcfg_password(const json_t *cfg)
{
    const json_t *pw = password_node(cfg);
    return pw && !(json_is_string(pw) && !*json_string_value(pw)) ? pw : NULL;
}

bool taskcfg_password_masked(const json_t *cfg)
{
    json_t *pw = password_node(cfg);
    return json_is_string(pw) && strcmp(json_string_value(pw), TASKCFG_MASK) == 0;
}

/* Replace a non-empty password with the mask; DM_OK or DM_E_NOMEM. */
static int mask_password(json_t *cfg)
{
    if (!taskcfg_password(cfg))
        return DM_OK;
    json_t *td = json_object_get(cfg, "target-database");
    return json_object_set_new(td, "password", json_string(TASKCFG_MASK)) == 0 ? DM_OK : DM_E_NOMEM;
}

int taskcfg_etag(const json_t *cfg, char etag[TASKCFG_ETAG_LEN])
{
    json_t *view = json_deep_copy(cfg);
    if (!view || mask_password(view) != DM_OK) {
        json_decref(view);
        return DM_E_NOMEM;
    }
    char *s = json_dumps(view, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(view);
    if (!s)
        return DM_E_NOMEM;
    snprintf(etag, TASKCFG_ETAG_LEN, "\"%016llx\"", (unsigned long long)dm_fnv1a64(DM_FNV64_INIT, s, strlen(s)));
    free(s);
    return DM_OK;
}

/* One entity-tag of a comma-separated list: [W/]"..." ; returns the position after it
 * or NULL on a syntax error. */
static const char *next_tag(const char *p, bool *weak, const char **tag, size_t *len)
{
    p += strspn(p, " \t,");
    *weak = strncmp(p, "W/", 2) == 0;
    if (*weak)
        p += 2;
    if (*p != '"')
        return NULL;
    const char *end = strchr(p + 1, '"');
    if (!end)
        return NULL;
    *tag = p;
    *len = (size_t)(end - p) + 1;
    return end + 1;
}

/* RFC 9110 §13.1.1/§13.1.2: strong comparison for If-Match, weak for If-None-Match. */
static bool tag_list_has(const char *header, const char *etag, bool strong)
{
    const char *p = header + strspn(header, " \t");
    if (strcmp(p, "*") == 0)
        return true;
    size_t elen = strlen(etag);
    while (p && *(p + strspn(p, " \t,"))) {
        bool weak;
        const char *tag;
        size_t len;
        p = next_tag(p, &weak, &tag, &len);
        if (p && len == elen && memcmp(tag, etag, len) == 0 && !(weak && strong))
            return true;
    }
    return false;
}

bool taskcfg_if_match(const char *header, const char *etag)
{
    return tag_list_has(header, etag, true);
}

bool taskcfg_if_none_match(const char *header, const char *etag)
{
    return tag_list_has(header, etag, false);
}

/* ---------- one config change per task at a time ---------- */

struct cfg_lock {
    char *task;
    struct cfg_lock *next;
};

static pthread_mutex_t g_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cfg_lock *g_locks;

char *taskcfg_lock(struct route_ctx *c, const char *task)
{
    struct cfg_lock *l = calloc(1, sizeof(*l));
    if (!l || !(l->task = strdup(task))) {
        free(l);
        route_problem(c, 500, "out of memory");
        return NULL;
    }
    pthread_mutex_lock(&g_locks_mu);
    struct cfg_lock *x = g_locks;
    while (x && strcmp(x->task, task) != 0)
        x = x->next;
    if (!x) {
        l->next = g_locks;
        g_locks = l;
    }
    pthread_mutex_unlock(&g_locks_mu);
    if (!x)
        return l->task;
    free(l->task);
    free(l);
    route_header(c, "Retry-After", "1");
    route_problem(c, 409, "another change of task %s's config is in progress; retry", task);
    return NULL;
}

void taskcfg_unlock(char *held)
{
    if (!held)
        return;
    pthread_mutex_lock(&g_locks_mu);
    struct cfg_lock **pp = &g_locks;
    while (*pp && (*pp)->task != held)
        pp = &(*pp)->next;
    struct cfg_lock *l = *pp;
    if (l)
        *pp = l->next;
    pthread_mutex_unlock(&g_locks_mu);
    if (l) {
        free(l->task);
        free(l);
    }
}

/* 501 for a master without GetTaskCfg; `why` says what to do instead. */
static enum route_rc taskcfg_unimplemented(struct route_ctx *c, const char *why)
{
    return route_problem(c, 501,
                         "the master cannot return task configs (DM v1.0 has no GetTaskCfg): %s",
                         why);
}

/* ---------- shared by PUT and PATCH ---------- */

/* A GetTaskCfg answer: the stored config parsed, its ETag in tag; or NULL with the answer
 * in c (501 saying `unimplemented_why`, a transport problem, the DM answer, 502, 500). */
static json_t *taskcfg_read(struct route_ctx *c, struct rpc_result *res,
                            const char *unimplemented_why, char tag[TASKCFG_ETAG_LEN])
{
    if (res->status == RPC_UNIMPLEMENTED) {
        taskcfg_unimplemented(c, unimplemented_why);
        return NULL;
    }
    if (res->status != RPC_OK || !res->resp) {
        route_rpc_failed(c, res);
        return NULL;
    }
    const Pb__GetTaskCfgResponse *g = (const Pb__GetTaskCfgResponse *)res->resp;
    if (!g->result) {
        route_done_dm(c, res);
        return NULL;
    }
    char err[256] = "";
    json_t *cur = yamljson_parse(g->cfg ? g->cfg : "", g->cfg ? strlen(g->cfg) : 0, err, sizeof(err));
    if (!cur) {
        route_problem(c, 502, "the master's task config is not valid YAML: %s", err);
        return NULL;
    }
    if (taskcfg_etag(cur, tag) != DM_OK) {
        json_decref(cur);
        route_problem(c, 500, "out of memory");
        return NULL;
    }
    return cur;
}

json_t *taskcfg_current(struct route_ctx *c, struct rpc_result *res, const char *unimplemented_why)
{
    char tag[TASKCFG_ETAG_LEN];
    json_t *cur = taskcfg_read(c, res, unimplemented_why, tag);
    if (cur && c->req.if_match && !taskcfg_if_match(c->req.if_match, tag)) {
        json_decref(cur);
        route_header(c, "ETag", tag);
        /* name what was sent: a pasted ETag with its quotes doubled ("\"\"x\"\"") or none
         * is no change of the config, and the operator must see the difference */
        route_problem(c, 412, "If-Match %.80s is not the task config's ETag %s (the config "
                      "changed since it was read, or the header is not the ETag exactly as "
                      "GET /api/v1/tasks/%s/config prints it, quotes included); read it "
                      "and retry", c->req.if_match, tag, route_param(c, "name"));
        return NULL;
    }
    return cur;
}

enum route_rc taskcfg_update_done(struct route_ctx *c, struct rpc_result *res)
{
    const struct taskcfg_change *ch = c->state;
    route_done_dm(c, res);
    if (c->resp.status == 200 && ch->etag[0])
        route_header(c, "ETag", ch->etag);
    return ROUTE_DONE;
}

/* ---------- GET /api/v1/tasks/{name}/config ---------- */

/* JSON when ?format=json, or when Accept names JSON and not YAML; YAML otherwise. */
static int want_json(struct route_ctx *c, bool *json)
{
    const char *f = route_query(c, "format");
    if (f && *f) {
        if (strcmp(f, "json") != 0 && strcmp(f, "yaml") != 0) {
            route_problem(c, 400, "format: expected \"json\" or \"yaml\"");
            return DM_E_INVAL;
        }
        *json = strcmp(f, "json") == 0;
        return DM_OK;
    }
    const char *a = c->req.accept;
    *json = a && strstr(a, "json") && !strstr(a, "yaml");
    return DM_OK;
}

static enum route_rc send_view(struct route_ctx *c, const char *stored, json_t *cfg, bool json)
{
    bool secret = taskcfg_password(cfg) != NULL;
    if (mask_password(cfg) != DM_OK)
        return route_problem(c, 500, "out of memory");
    if (json) {
        char *s = json_dumps(cfg, JSON_PRESERVE_ORDER |
                                      (route_pretty(c) ? JSON_INDENT(4) : JSON_COMPACT));
        if (!s)
            return route_problem(c, 500, "cannot encode the task config");
        route_text(c, 200, "application/json", s, strlen(s));
        free(s);
        return ROUTE_DONE;
    }
    if (!secret)   /* nothing to hide: as stored, comments included */
        return route_text(c, 200, "application/yaml", stored, strlen(stored));
    char *y = yamljson_emit(cfg);
    if (!y)
        return route_problem(c, 500, "cannot encode the task config");
    route_text(c, 200, "application/yaml", y, strlen(y));
    free(y);
    return ROUTE_DONE;
}

static enum route_rc get_cfg_done(struct route_ctx *c, struct rpc_result *res)
{
    char etag[TASKCFG_ETAG_LEN];
    json_t *cfg = taskcfg_read(c, res, "use dmctl or the file the task was started from", etag);
    if (!cfg)
        return ROUTE_DONE;
    bool json = false;
    want_json(c, &json);   /* validated by h_get_task_config before the call */
    const char *stored = ((const Pb__GetTaskCfgResponse *)res->resp)->cfg;
    route_header(c, "ETag", etag);
    route_header(c, "Vary", "Accept");
    enum route_rc rc;
    if (c->req.if_none_match && taskcfg_if_none_match(c->req.if_none_match, etag))
        rc = route_text(c, 304, NULL, "", 0);
    else
        rc = send_view(c, stored ? stored : "", cfg, json);
    json_decref(cfg);
    return rc;
}

enum route_rc h_get_task_config(struct route_ctx *c)
{
    bool json;
    if (want_json(c, &json) != DM_OK)
        return ROUTE_DONE;
    Pb__GetTaskCfgRequest r = PB__GET_TASK_CFG_REQUEST__INIT;
    r.name = (char *)route_param(c, "name");
    return route_master_call(c, "GetTaskCfg", &r.base, false, get_cfg_done);
}

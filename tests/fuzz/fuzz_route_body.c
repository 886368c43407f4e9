/* fuzz_route_body.c - request bodies as they reach routes/: the handlers of routes that
 * take a body (and a few query-only ones), driven up to their master call, and the
 * body.h helpers on their own.
 *
 * Input: "<R><C>[?query]\n<body>". R selects the target (letters of `targets`, any other
 * byte modulo the table), C the Content-Type (letters of `ctypes`, '-' none, any other
 * byte modulo), the optional ?query is split and percent-decoded as the gateway does;
 * everything after the first '\n' (at most 512 bytes in) is the body. No newline: no
 * body.
 *
 * No network: the env has no master channel, so route_master_call answers 503
 * "no master configured" before suspending; suspend/resume abort if ever called.
 * Checks: every handler completes (ROUTE_DONE) with a status from a known set;
 * problem+json bodies are valid JSON with result:false, msg == detail, the status,
 * instance and requestId; JSON answers are valid JSON objects (encrypt round-trips
 * through dm_crypt_decrypt); task_body_parse's config re-parses from the YAML sent to
 * the master; body helpers answer a problem exactly when they fail. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dm_crypt.h"
#include "dm_error.h"
#include "route_ctx.h"
#include "router.h"
#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQ_ID "fuzz-req"
#define TASK "shop-sync"
#define MAX_HEADER 512

enum kind { K_HANDLER, K_TASK_BODY, K_JSON_STRICT, K_JSON_EMPTY_OK, K_CONFIG_TEXT };

struct target {
    char sel;
    enum kind kind;
    const char *method, *path, *op_id;
};

static const struct target targets[] = {
    {'c', K_HANDLER, "POST", "/api/v1/tasks", "createTask"},
    {'k', K_HANDLER, "POST", "/api/v1/tasks/check", "checkTask"},
    {'u', K_HANDLER, "PUT", "/api/v1/tasks/" TASK, "updateTask"},
    {'p', K_HANDLER, "PATCH", "/api/v1/tasks/" TASK, "patchTask"},
    {'a', K_HANDLER, "POST", "/api/v1/tasks/" TASK "/pause", "pauseTask"},
    {'r', K_HANDLER, "POST", "/api/v1/tasks/" TASK "/resume", "resumeTask"},
    {'d', K_HANDLER, "DELETE", "/api/v1/tasks/" TASK, "stopTask"},
    {'s', K_HANDLER, "POST", "/api/v1/tasks/" TASK "/sql", "handleSQLs"},
    {'b', K_HANDLER, "POST", "/api/v1/tasks/" TASK "/ddl-locks/break", "breakDDLLock"},
    {'l', K_HANDLER, "POST", "/api/v1/ddl-locks/" TASK "-%60db%60.%60t%60/unlock",
     "unlockDDLLock"},
    {'f', K_HANDLER, "POST", "/api/v1/workers/refresh", "refreshWorkerTasks"},
    {'g', K_HANDLER, "PUT", "/api/v1/workers/127.0.0.1%3A8262/relay-config",
     "updateRelayConfig"},
    {'m', K_HANDLER, "POST", "/api/v1/workers/127.0.0.1%3A8262/relay/migrate", "migrateRelay"},
    {'P', K_HANDLER, "POST", "/api/v1/relay/pause", "pauseRelay"},
    {'R', K_HANDLER, "POST", "/api/v1/relay/resume", "resumeRelay"},
    {'S', K_HANDLER, "POST", "/api/v1/relay/switch-master", "switchRelayMaster"},
    {'U', K_HANDLER, "POST", "/api/v1/relay/purge", "purgeRelay"},
    {'M', K_HANDLER, "PUT", "/api/v1/master/config", "updateMasterConfig"},
    {'e', K_HANDLER, "POST", "/api/v1/passwords/encrypt", "encryptPassword"},
    {'V', K_HANDLER, "POST", "/apis/v1alpha1/tasks", "v1alpha1StartTask"},
    {'O', K_HANDLER, "PUT", "/apis/v1alpha1/tasks/" TASK, "v1alpha1OperateTask"},
    {'Q', K_HANDLER, "GET", "/apis/v1alpha1/status/" TASK, "v1alpha1QueryStatus"},
    {'L', K_HANDLER, "GET", "/api/v1/tasks", "listTasks"},
    {'G', K_HANDLER, "GET", "/api/v1/tasks/" TASK, "getTask"},
    {'E', K_HANDLER, "GET", "/api/v1/tasks/" TASK "/errors", "getTaskErrors"},
    {'D', K_HANDLER, "GET", "/api/v1/ddl-locks", "listDDLLocks"},
    {'T', K_TASK_BODY, "POST", "/api/v1/tasks", NULL},
    {'J', K_JSON_STRICT, "POST", "/api/v1/tasks/" TASK "/pause", NULL},
    {'K', K_JSON_EMPTY_OK, "POST", "/api/v1/tasks/" TASK "/pause", NULL},
    {'C', K_CONFIG_TEXT, "PUT", "/api/v1/master/config", NULL},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static const struct {
    char sel;
    const char *type;   /* NULL: no Content-Type */
} ctypes[] = {
    {'-', NULL},
    {'y', "application/yaml"},
    {'t', "text/yaml"},
    {'x', "application/x-yaml"},
    {'X', "text/x-yaml"},
    {'j', "application/json"},
    {'J', "Application/JSON; charset=utf-8"},
    {'M', "application/merge-patch+json"},
    {'p', "text/plain"},
    {'o', "application/toml"},
    {'Y', "  TEXT/YAML ; charset=utf-8"},
    {'z', "application/xml"},
    {'w', "application/jsonx"},
    {'e', ""},
};
#define NCTYPES (sizeof(ctypes) / sizeof(ctypes[0]))

static void no_suspend(void *opaque)
{
    (void)opaque;
    abort(); /* only reached through a master call that was started */
}

static const struct target *pick_target(uint8_t b)
{
    for (size_t i = 0; i < NTARGETS; i++) {
        if (targets[i].sel == (char)b)
            return &targets[i];
    }
    return &targets[b % NTARGETS];
}

static const char *pick_ctype(uint8_t b)
{
    for (size_t i = 0; i < NCTYPES; i++) {
        if (ctypes[i].sel == (char)b)
            return ctypes[i].type;
    }
    return ctypes[b % NCTYPES].type;
}

/* "k=v&k2&..." -> decoded req.query (the gateway answers 400 where decoding fails:
 * here collecting just stops). */
static void fill_query(struct route_req *q, const char *s)
{
    while (*s && q->nquery < ROUTE_MAX_QUERY) {
        size_t n = strcspn(s, "&");
        const char *eq = memchr(s, '=', n);
        size_t klen = eq ? (size_t)(eq - s) : n;
        char *k = router_pct_decode(s, klen, true);
        char *v = eq ? router_pct_decode(eq + 1, n - klen - 1, true) : strdup("");
        if (!k || !v) {
            free(k);
            free(v);
            return;
        }
        q->query[q->nquery].key = k;
        q->query[q->nquery].value = v;
        q->nquery++;
        s += n;
        if (*s == '&')
            s++;
    }
}

static bool status_in(int status, const int *set)
{
    for (; *set; set++) {
        if (*set == status)
            return true;
    }
    return false;
}

static json_t *resp_json(const struct route_ctx *c)
{
    json_t *v = json_loadb(c->resp.body.data ? c->resp.body.data : "", c->resp.body.len, 0,
                           NULL);
    if (!json_is_object(v))
        abort();
    return v;
}

/* A problem document must be valid JSON whatever bytes its detail quotes: the JSON
 * writer (common/buf.c) replaces invalid UTF-8 with U+FFFD. */
static json_t *problem_json(const struct route_ctx *c)
{
    json_t *v = json_loadb(c->resp.body.data ? c->resp.body.data : "", c->resp.body.len, 0, NULL);
    if (!v)
        abort();
    return v;
}

/* An RFC 9457 problem as route_problem builds it. */
static void check_problem(const struct route_ctx *c)
{
    static const char type_prefix[] = "https://dm-gateway.dev/problems/";
    if (!c->resp.content_type || strcmp(c->resp.content_type, "application/problem+json") != 0)
        abort();
    json_t *p = problem_json(c);
    if (!json_is_object(p))
        abort();
    const char *type = json_string_value(json_object_get(p, "type"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    const char *msg = json_string_value(json_object_get(p, "msg"));
    const char *inst = json_string_value(json_object_get(p, "instance"));
    const char *rid = json_string_value(json_object_get(p, "requestId"));
    if (!json_is_false(json_object_get(p, "result")) || !type || !detail || !msg || !inst ||
        !rid || strncmp(type, type_prefix, sizeof(type_prefix) - 1) != 0 ||
        strcmp(detail, msg) != 0 || strcmp(inst, c->req.path) != 0 ||
        strcmp(rid, REQ_ID) != 0 || !json_is_string(json_object_get(p, "title")) ||
        json_integer_value(json_object_get(p, "status")) != c->resp.status)
        abort();
    json_decref(p);
}

static void check_strlist(const struct strlist *l)
{
    if (l->n > BODY_MAX_WORKERS || (l->n && !l->v))
        abort();
    for (size_t i = 0; i < l->n; i++) {
        if (!l->v[i] || !l->v[i][0])
            abort();
    }
}

/* A helper's verdict: DM_OK and no response, or an error and a 4xx problem. */
static void check_helper_rc(const struct route_ctx *c, int rc, const int *statuses)
{
    if (rc == DM_OK) {
        if (c->resp.status != 0 || c->resp.body.len != 0)
            abort();
        return;
    }
    if (!status_in(c->resp.status, statuses))
        abort();
    check_problem(c);
}

static void run_task_body(struct route_ctx *c)
{
    static const int fail[] = {400, 415, 422, 0};
    struct task_body tb;
    int rc = task_body_parse(c, &tb);
    check_helper_rc(c, rc, fail);
    if (rc == DM_OK) {
        char err[256];
        const char *name = json_string_value(json_object_get(tb.cfg, "name"));
        if (!tb.yaml || !json_is_object(tb.cfg) || !name || !*name || tb.name != name ||
            !c->resp.audit_task || strcmp(c->resp.audit_task, name) != 0)
            abort();
        check_strlist(&tb.workers);
        /* what the master gets must be the config we validated */
        json_t *back = yamljson_parse(tb.yaml, strlen(tb.yaml), err, sizeof(err));
        if (!back || !json_equal(back, tb.cfg))
            abort();
        json_decref(back);
    }
    task_body_free(&tb);
}

static void run_json_helpers(struct route_ctx *c, bool allow_empty)
{
    static const int fail[] = {400, 415, 0};
    static const char *const keys[] = {"owner", "workers", "sqls", "forceRemove", "task",
                                       "password", "config", NULL};
    json_t *obj = NULL;
    struct strlist w = {0}, sqls = {0};
    const char *owner = NULL;
    bool force = false;
    int rc = body_json_object(c, allow_empty, &obj);
    if ((rc == DM_OK) != json_is_object(obj))
        abort();
    if (rc == DM_OK && allow_empty && c->req.body_len == 0 && json_object_size(obj) != 0)
        abort();
    rc = rc ? rc : body_only_keys(c, obj, keys);
    rc = rc ? rc : body_opt_string(c, obj, "owner", &owner);
    rc = rc ? rc : body_opt_bool(c, obj, "forceRemove", &force);
    rc = rc ? rc : body_opt_strings(c, obj, "workers", &w);
    rc = rc ? rc : body_opt_strings(c, obj, "sqls", &sqls);
    rc = rc ? rc : body_query_list(c, "worker", &w);
    check_helper_rc(c, rc, fail);
    check_strlist(&w);
    check_strlist(&sqls);
    if (rc == DM_OK) {
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v) {
            size_t i = 0;
            while (keys[i] && strcmp(keys[i], k) != 0)
                i++;
            if (!keys[i])
                abort();
        }
        if (owner && owner != json_string_value(json_object_get(obj, "owner")))
            abort();
        if (force && !json_is_true(json_object_get(obj, "forceRemove")))
            abort();
    }
    strlist_free(&w);
    strlist_free(&sqls);
    json_decref(obj);
}

static void run_config_text(struct route_ctx *c)
{
    static const int fail[] = {400, 415, 0};
    const char *text = NULL;
    json_t *hold = NULL;
    int rc = body_config_text(c, &text, &hold);
    check_helper_rc(c, rc, fail);
    if (rc == DM_OK) {
        if (!text || !*text)
            abort();
        if (hold ? text != json_string_value(json_object_get(hold, "config"))
                 : text != c->req.body)
            abort();
    }
    json_decref(hold); /* the caller's in every case (body.h) */
}

/* POST /api/v1/passwords/encrypt answered 200: the cipher decrypts to the password. */
static void check_encrypted(const struct route_ctx *c)
{
    json_t *ans = resp_json(c);
    json_t *in = json_loadb(c->req.body, c->req.body_len, 0, NULL);
    const char *enc = json_string_value(json_object_get(ans, "encrypted"));
    const char *pw = json_string_value(json_object_get(in, "password"));
    char *plain = NULL;
    if (!json_is_true(json_object_get(ans, "result")) || !enc || !pw ||
        dm_crypt_decrypt(enc, &plain) != DM_OK || strcmp(plain, pw) != 0)
        abort();
    free(plain);
    json_decref(in);
    json_decref(ans);
}

/* DM v1.0 grpc-gateway error: {"error","code","message"}. */
static void check_gw_error(const struct route_ctx *c)
{
    json_t *e = resp_json(c);
    if (!json_is_string(json_object_get(e, "error")) ||
        !json_is_integer(json_object_get(e, "code")) ||
        !json_equal(json_object_get(e, "error"), json_object_get(e, "message")))
        abort();
    json_decref(e);
}

static void run_handler(struct route_ctx *c, const struct target *t)
{
    static const int ok[] = {200, 400, 415, 422, 503, 0};
    const struct route *rt = c->req.route;
    if (rt->handler(c) != ROUTE_DONE || !status_in(c->resp.status, ok) || c->resp.stream ||
        c->resp.nheaders > ROUTE_MAX_HEADERS)
        abort();
    if (c->resp.status == 200 && t->sel != 'e')
        abort();
    if (t->sel == 'e' && c->resp.status == 200)
        check_encrypted(c);
    else if (t->sel == 'V' || t->sel == 'O')
        c->resp.status == 400 ? check_gw_error(c) : check_problem(c);
    else
        check_problem(c);
    /* a task body that got as far as the master call was parsed: its name is audited */
    if ((t->sel == 'c' || t->sel == 'k') && c->resp.status == 503 &&
        (!c->resp.audit_task || !*c->resp.audit_task))
        abort();
    /* audited writes on /api/v1/tasks/{name}... name the task before anything else */
    if ((rt->flags & ROUTE_F_AUDIT) && strncmp(rt->path, "/api/v1/tasks/{name}", 20) == 0 &&
        (!c->resp.audit_task || strcmp(c->resp.audit_task, TASK) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size < MAX_HEADER ? size : MAX_HEADER);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    size_t blen = nl ? size - hlen - 1 : 0;
    if (hlen > MAX_HEADER)
        return 0;
    const struct target *t = pick_target(data[0]);
    char *header = malloc(hlen + 1), *body = malloc(blen + 1);
    if (!header || !body)
        abort();
    memcpy(header, data, hlen);
    header[hlen] = '\0';
    if (blen)
        memcpy(body, nl + 1, blen);
    body[blen] = '\0';

    struct route_env env;
    memset(&env, 0, sizeof(env)); /* env.master == NULL: no master call can start */
    struct route_ctx c;
    route_ctx_init(&c, &env);
    c.suspend = no_suspend;
    c.resume = no_suspend;
    c.req.method = t->method;
    c.req.path = t->path;
    c.req.request_id = REQ_ID;
    c.req.body = body;
    c.req.body_len = blen;
    c.req.content_type = hlen >= 2 ? pick_ctype(data[1]) : NULL;
    if (hlen >= 3 && header[2] == '?')
        fill_query(&c.req, header + 3);
    if (router_match(router_table, router_table_len, t->method, t->path, &c.req.match) != DM_OK)
        abort();
    c.req.route = c.req.match.route;
    if (t->op_id && strcmp(c.req.route->operation_id, t->op_id) != 0)
        abort();

    switch (t->kind) {
    case K_HANDLER: run_handler(&c, t); break;
    case K_TASK_BODY: run_task_body(&c); break;
    case K_JSON_STRICT: run_json_helpers(&c, false); break;
    case K_JSON_EMPTY_OK: run_json_helpers(&c, true); break;
    case K_CONFIG_TEXT: run_config_text(&c); break;
    }

    route_ctx_release(&c);
    free(body);
    free(header);
    return 0;
}

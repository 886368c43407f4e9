/* route_ctx.c - see route_ctx.h */
#include "route_ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coalesce.h"
#include "dm_assert.h"
#include "dm_error.h"
#include "memtrim.h"
#include "dmmaster.pb-c.h"
#include "dmreply.h"
#include "log.h"
#include "metrics.h"
#include "pbjson.h"

void route_ctx_init(struct route_ctx *c, struct route_env *env)
{
    memset(c, 0, sizeof(*c));
    c->req.env = env;
    dm_buf_init(&c->resp.body, ROUTE_MAX_RESP_BODY);
    c->ok_status = 200;
}

void route_ctx_release(struct route_ctx *c)
{
    router_match_clear(&c->req.match);
    for (size_t i = 0; i < c->req.nquery; i++) {
        free(c->req.query[i].key);
        free(c->req.query[i].value);
    }
    c->req.nquery = 0;
    c->resp.nheaders = 0;   /* headers and audit_task live in the arena */
    c->resp.audit_task = NULL;
    dm_buf_free(&c->resp.body);
    if (c->resp.stream)
        route_stream_release(c->resp.stream);
    c->resp.stream = NULL;
    rpc_answer_unref(c->answer);   /* an answer the request never stepped (client gone) */
    c->answer = NULL;
    if (c->state && c->state_free)
        c->state_free(c->state);
    /* a big body's parsed forms were just freed: give the pages back (issue 17) */
    if (c->req.body_len >= ROUTE_TRIM_BODY)
        dm_mem_trim();
    c->state = NULL;
    dm_arena_release(&c->arena);
}

const char *route_query(const struct route_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->req.nquery; i++) {
        if (strcmp(c->req.query[i].key, key) == 0)
            return c->req.query[i].value;
    }
    return NULL;
}

/* Keys read with route_query (one value). Another spelling of the same key reaches
 * route_query only after percent-decoding, so "?format=json&%66ormat=yaml" is a repeat. */
static const char *const single_query_keys[] = {
    "format", "full", "interval", "lastEventId", "pretty", "stage", "task", "ticket",
};

const char *route_query_repeated(const struct route_ctx *c)
{
    for (size_t k = 0; k < sizeof(single_query_keys) / sizeof(single_query_keys[0]); k++) {
        unsigned seen = 0;
        for (size_t i = 0; i < c->req.nquery; i++)
            seen += strcmp(c->req.query[i].key, single_query_keys[k]) == 0;
        if (seen > 1)
            return single_query_keys[k];
    }
    return NULL;
}

bool route_query_bool(const struct route_ctx *c, const char *key)
{
    const char *v = route_query(c, key);
    if (!v)
        return false;
    return *v == '\0' || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
           strcasecmp(v, "yes") == 0;
}

bool route_pretty(const struct route_ctx *c)
{
    return route_query_bool(c, "pretty");
}

const char *route_param(const struct route_ctx *c, const char *name)
{
    return router_param(&c->req.match, name);
}

bool route_content_is(const struct route_ctx *c, const char *type)
{
    return router_media_is(c->req.content_type, type);
}

const struct route_hdr route_api_headers[ROUTE_API_HEADERS_N] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Security-Policy", ROUTE_API_CSP},
    {"Referrer-Policy", "no-referrer"},
};

void route_header(struct route_ctx *c, const char *key, const char *value)
{
    /* a handler that sets more is a bug to fix (raise the bound), not a header to lose */
    DM_ASSERT(c->resp.nheaders < ROUTE_MAX_HEADERS);
    char *k = dm_arena_strdup(&c->arena, key), *v = dm_arena_strdup(&c->arena, value);
    if (!k || !v) {
        DM_ERROR("response header %s dropped: out of memory", key);
        return;
    }
    c->resp.headers[c->resp.nheaders].key = k;
    c->resp.headers[c->resp.nheaders].value = v;
    c->resp.nheaders++;
}

bool route_resp_has_header(const struct route_resp *r, const char *key)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].key, key) == 0)
            return true;
    return false;
}

void route_audit_task(struct route_ctx *c, const char *task)
{
    if (!task || c->resp.audit_task)
        return;
    c->resp.audit_task = dm_arena_strdup(&c->arena, task);
}

enum route_rc route_text(struct route_ctx *c, int status, const char *ctype, const char *body,
                         size_t len)
{
    dm_buf_reset(&c->resp.body);
    c->resp.status = status;
    c->resp.content_type = ctype;
    if (dm_buf_add(&c->resp.body, body, len) != DM_OK) {
        c->resp.status = 500;
        c->resp.content_type = "text/plain";
        dm_buf_reset(&c->resp.body);
    }
    return ROUTE_DONE;
}

enum route_rc route_json(struct route_ctx *c, int status, const char *json)
{
    return route_text(c, status, "application/json", json, strlen(json));
}

static const char *title_for(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

static const char *type_for_status(int status);

int route_problem_json(struct dm_buf *b, int status, const char *instance,
                       const char *request_id, const char *detail)
{
    int rc = dm_buf_printf(b, "{\"type\":\"https://dm-gateway.dev/problems/%s\",\"title\":",
                           type_for_status(status));
    rc = rc ? rc : dm_buf_add_json_str(b, title_for(status));
    rc = rc ? rc : dm_buf_printf(b, ",\"status\":%d,\"detail\":", status);
    rc = rc ? rc : dm_buf_add_json_str_html(b, detail);
    rc = rc ? rc : dm_buf_adds(b, ",\"instance\":");
    rc = rc ? rc : dm_buf_add_json_str_html(b, instance ? instance : "");
    rc = rc ? rc : dm_buf_adds(b, ",\"result\":false,\"msg\":");
    rc = rc ? rc : dm_buf_add_json_str_html(b, detail);
    rc = rc ? rc : dm_buf_adds(b, ",\"requestId\":");
    rc = rc ? rc : dm_buf_add_json_str(b, request_id ? request_id : "");
    rc = rc ? rc : dm_buf_addc(b, '}');
    return rc;
}

static enum route_rc problem_v(struct route_ctx *c, int status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static enum route_rc problem_v(struct route_ctx *c, int status, const char *fmt, va_list ap)
{
    char detail[1024];
    vsnprintf(detail, sizeof(detail), fmt, ap);
    struct dm_buf *b = &c->resp.body;
    dm_buf_reset(b);
    c->resp.status = status;
    c->resp.content_type = "application/problem+json";
    if (route_problem_json(b, status, c->req.path, c->req.request_id, detail) != DM_OK) {
        dm_buf_reset(b);
        c->resp.status = 500;
    }
    return ROUTE_DONE;
}

static const char *type_for_status(int status)
{
    switch (status) {
    case 400: return "invalid-request";
    case 401: return "unauthenticated";
    case 403: return "insufficient-scope";
    case 404: return "not-found";
    case 405: return "method-not-allowed";
    case 408: return "request-timeout";
    case 409: return "conflict";
    case 412: return "precondition-failed";
    case 413: return "payload-too-large";
    case 414: return "uri-too-long";
    case 415: return "unsupported-media-type";
    case 417: return "expectation-failed";
    case 422: return "unprocessable";
    case 429: return "rate-limited";
    case 431: return "header-too-large";
    case 501: return "not-supported";
    case 502: return "bad-gateway";
    case 503: return "unavailable";
    case 504: return "timeout";
    case 505: return "http-version";
    default: return "internal";
    }
}

enum route_rc route_problem(struct route_ctx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(c, status, fmt, ap);
    va_end(ap);
    return ROUTE_DONE;
}

enum route_rc route_problem_err(struct route_ctx *c, int dm_err, const char *fmt, ...)
{
    int status = dm_err_http_status(dm_err);
    va_list ap;
    va_start(ap, fmt);
    problem_v(c, status, fmt, ap);
    va_end(ap);
    return ROUTE_DONE;
}

enum route_rc route_not_supported(struct route_ctx *c, const char *what)
{
    return route_problem(c, 501, "not supported: %s", what);
}

/* ---------- master calls ---------- */

static const struct rpc_method *master_method(const char *name)
{
    return rpc_method_find(&pb__master__descriptor, name);
}

/* ---------- the completion side (rpc client thread): hand the answer back ----------
 * Nothing here decodes or builds a response: the answer is parked in the ctx and the
 * transport is asked to resume the connection; route_ctx_step then runs on the thread
 * that owns the connection. */

static void deliver_answer(struct route_ctx *c, struct rpc_answer *a)
{
    DM_ASSERT(c->done && !atomic_load(&c->answered));
    c->answer = rpc_answer_ref(a);
    atomic_store(&c->answered, true);
    c->resume(c->opaque);
}

static void master_answer(void *arg, struct rpc_answer *a)
{
    deliver_answer(arg, a);
}

static void coalesced_answer(struct route_ctx *c, struct rpc_answer *a)
{
    c->coalesced = true;   /* the flight observed the rpc metric once for all waiters */
    deliver_answer(c, a);
}

/* ---------- the owner side (the request's own thread) ---------- */

enum route_rc route_ctx_step(struct route_ctx *c)
{
    if (!c->done)
        return ROUTE_DONE;   /* completed without an answer (the call could not start) */
    DM_ASSERT(atomic_load(&c->answered));
    struct rpc_answer *a = c->answer;
    route_master_done_fn done = c->done;
    c->answer = NULL;
    c->done = NULL;
    atomic_store(&c->answered, false);
    struct rpc_result res;
    rpc_answer_result(a, &res);
    if (!c->coalesced)
        metrics_rpc_observe(c->rpc_name, res.status, res.elapsed_us);
    c->coalesced = false;
    enum route_rc rc = done(c, &res);
    if (res.resp)
        protobuf_c_message_free_unpacked(res.resp, NULL);
    rpc_answer_unref(a);
    return rc;
}

/* Reads of GET requests may share an identical in-flight RPC (coalesce.h). */
static bool may_coalesce(const struct route_ctx *c, bool write)
{
    const struct route_env *env = c->req.env;
    return !write && env->coalesce && env->coalescer && c->req.method &&
           strcmp(c->req.method, "GET") == 0;
}

/* The master's channel is known to be down: `done` gets an UNAVAILABLE result at once
 * (each route maps it as it maps a real one: 503 + Retry-After, or v1alpha1's error). */
static enum route_rc master_down(struct route_ctx *c, const struct rpc_method *m,
                                 route_master_done_fn done)
{
    char details[300];
    snprintf(details, sizeof(details), "the connection to %s is in TRANSIENT_FAILURE; "
             "answered at once until it is READY again", rpc_channel_target(c->req.env->master));
    struct rpc_result res = {RPC_UNAVAILABLE, details, NULL, 0};
    c->rpc_name = m->path + strlen("/pb.Master/");
    return done(c, &res);
}

enum route_rc route_master_call(struct route_ctx *c, const char *rpc_name,
                                const ProtobufCMessage *req, bool write,
                                route_master_done_fn done)
{
    const struct rpc_method *m = master_method(rpc_name);
    const struct route_env *env = c->req.env;
    DM_ASSERT(!c->done && !c->answer);   /* one master call at a time per request */
    if (!m)
        return route_problem(c, 500, "unknown master rpc %s", rpc_name);
    if (!env->master)
        return route_problem(c, 503, "no master configured");
    if (c->closing)
        return route_problem(c, 503, "the client went away before %s could start", rpc_name);
    if (rpc_channel_known_down(env->master))   /* fail fast: no call waits for a dead master */
        return master_down(c, m, done);
    struct rpc_md md[1] = {{"x-request-id", c->req.request_id ? c->req.request_id : ""}};
    int64_t timeout = write ? env->rpc_write_timeout_ms : env->rpc_timeout_ms;
    if (c->timeout_ms > 0)
        timeout = c->timeout_ms;
    if (timeout <= 0)
        timeout = 10000;
    c->done = done;
    c->rpc_name = m->path + strlen("/pb.Master/");
    /* suspended before the call starts: its answer may resume the connection at once */
    c->suspend(c->opaque);
    int rc = may_coalesce(c, write)
                 ? coalesce_call(env->coalescer, env->master, m, req, timeout, md, 1,
                                 coalesced_answer, c)
                 : rpc_call_start_answer(env->master, m, req, timeout, md, 1, master_answer, c);
    if (rc == DM_OK)
        return ROUTE_PENDING;
    c->done = NULL;
    route_problem(c, 503, "cannot call the master: %s", dm_strerror(rc));
    /* resuming right after suspending is valid: route_ctx_step then finds the response
     * complete (no `done`) and the transport sends it */
    c->resume(c->opaque);
    return ROUTE_PENDING;
}

enum route_rc route_rpc_failed(struct route_ctx *c, const struct rpc_result *res)
{
    const char *d = res->details && *res->details ? res->details : "";
    switch (res->status) {
    case RPC_UNAVAILABLE:
        route_header(c, "Retry-After", "1");
        return route_problem(c, 503, "master unavailable (%s): %s", c->rpc_name, d);
    case RPC_DEADLINE_EXCEEDED:
        return route_problem(c, 504, "master did not answer %s before the deadline", c->rpc_name);
    case RPC_UNIMPLEMENTED:
        return route_problem(c, 501, "not supported by the master: %s %s", c->rpc_name, d);
    case RPC_RESOURCE_EXHAUSTED:
        route_header(c, "Retry-After", "1");
        return route_problem(c, 429, "master overloaded: %s", d);
    case RPC_CANCELLED:
        return route_problem(c, 503, "master call cancelled: %s", d);
    default:
        return route_problem(c, 502, "master error (grpc status %d): %s", res->status, d);
    }
}

enum route_rc route_done_dm(struct route_ctx *c, struct rpc_result *res)
{
    if (res->status != RPC_OK || !res->resp)
        return route_rpc_failed(c, res);
    dmreply_strip_stacks(res->resp);
    int code = 0;
    int status = dmreply_status(res->resp, c->ok_status, &code);
    dm_buf_reset(&c->resp.body);
    int rc = pbjson_encode(res->resp, route_pretty(c) ? PBJSON_DMCTL : PBJSON_COMPACT,
                           &c->resp.body);
    if (rc != DM_OK)
        return route_problem(c, 500, "cannot encode the master answer: %s", dm_strerror(rc));
    c->resp.status = status;
    c->resp.content_type = "application/json";
    c->resp.dm_code = code;
    if (code) {
        char v[16];
        snprintf(v, sizeof(v), "%d", code);
        route_header(c, "X-DM-Error-Code", v);
    }
    if (status == 429 || status == 503)
        route_header(c, "Retry-After", "1");
    return ROUTE_DONE;
}

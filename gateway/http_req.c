/* http_req.c - the per-request state machine (see http_server.h for the phases). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dm_assert.h"
#include "dm_error.h"
#include "hash.h"
#include "http_frame.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"
#include "stream_ticket.h"

int64_t http_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------- transport hooks for route_ctx ---------- */

/* Owner thread, inside the access handler, before a master call starts. */
static void hook_suspend(void *opaque)
{
    struct gw_req *r = opaque;
    DM_ASSERT(atomic_load(&r->state) == GW_RUN);
    atomic_fetch_add(&r->srv->suspended, 1);
    MHD_suspend_connection(r->conn);
}

/* Any thread (the rpc completion): the answer is parked in the ctx; MHD calls the access
 * handler again on the connection's own thread, which steps the request (GW_READY). */
static void hook_resume(void *opaque)
{
    struct gw_req *r = opaque;
    int expect = GW_RUN;
    bool ok = atomic_compare_exchange_strong(&r->state, &expect, GW_READY);
    DM_ASSERT(ok);   /* one resume per suspend, only while the handler chain runs */
    atomic_fetch_sub(&r->srv->suspended, 1);
    http_loop_resume(r->loop, r->conn);
}

/* ---------- request id ---------- */

static bool id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == ':';
}

static void set_request_id(struct gw_req *r)
{
    const char *in = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
    size_t n = in ? strlen(in) : 0;
    bool ok = n > 0 && n <= GW_REQ_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = id_char_ok(in[i]);
    if (ok) {
        memcpy(r->request_id, in, n + 1);
        return;
    }
    /* 128 random-looking bits: splitmix64 over a per-thread counter seeded once from
     * getrandom (one syscall per thread instead of one per request); ids only need to be
     * unique, not secret. */
    static _Thread_local uint64_t seed, ctr;
    if (!seed && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)http_now_us() ^ (uint64_t)(uintptr_t)&seed;
    seed |= 1;
    static const char hex[] = "0123456789abcdef";
    for (int half = 0; half < 2; half++) {
        uint64_t z = seed + 0x9e3779b97f4a7c15ull * ++ctr;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        for (int i = 0; i < 16; i++)
            r->request_id[half * 16 + i] = hex[(z >> (60 - 4 * i)) & 15];
    }
    r->request_id[32] = '\0';
}

/* ---------- response ---------- */

static enum MHD_Result send_stream_response(struct gw_req *r);

static void add_cors(struct gw_req *r, struct MHD_Response *resp)
{
    /* the answer depends on Origin whenever an allow-list (not "*") is configured */
    if (!r->origin && r->srv->norigins > 0 && !r->srv->any_origin)
        MHD_add_response_header(resp, "Vary", "Origin");
    if (!r->origin)
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->origin);
    MHD_add_response_header(resp, "Vary", "Origin");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "X-Request-Id, X-DM-Error-Code, Location, Retry-After, WWW-Authenticate, ETag, "
                            "Idempotent-Replayed");
}

/* The security headers of every answer that is not a browser file (route_ctx.h), unless
 * the handler set its own (rs NULL: an answer without a handler, a preflight). */
static void add_security(const struct route_resp *rs, struct MHD_Response *resp)
{
    if (rs && route_resp_has_header(rs, "X-Content-Type-Options"))
        return;
    for (size_t i = 0; i < ROUTE_API_HEADERS_N; i++)
        MHD_add_response_header(resp, route_api_headers[i].key, route_api_headers[i].value);
}

/* Close this keep-alive connection after its answer, so that its client reconnects to a
 * quieter loop (http_loop.h "placement by load")? Only a whole request read in an earlier
 * access-handler call (no body left to read), kept alive otherwise, with nothing of a
 * next request arrived (http_park_may_close); never a streamed answer (not sent here). */
static bool shed_here(struct gw_req *r)
{
    if (!r->later || !r->keepalive_ok || r->must_close || r->too_large || !r->srv->park ||
        !http_loop_shed_due(r->loop) || !http_park_may_close(r->conn, HTTP_LOOP_WINDOW_MS))
        return false;
    http_loop_shed(r->loop);
    r->keepalive_ok = false;   /* MHD closes after the answer: never parked */
    return true;
}

static enum MHD_Result send_ctx_response(struct gw_req *r)
{
    struct route_resp *rs = &r->ctx.resp;
    if (r->defer) {
        /* libmicrohttpd closes the connection after an answer queued in the first
         * call; a bodiless request gets its second call at once: answer there. */
        r->defer = false;
        atomic_store(&r->state, GW_READY);
        return MHD_YES;
    }
    if (rs->stream && rs->status == 200)
        return send_stream_response(r);
    if (rs->status == 0)
        route_problem(&r->ctx, 500, "the handler produced no response");
    size_t len = rs->body.len;
    char *data = dm_buf_take(&rs->body);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(data ? len : 0, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    if (rs->content_type)
        MHD_add_response_header(resp, "Content-Type", rs->content_type);
    if (r->must_close || shed_here(r))
        MHD_add_response_header(resp, "Connection", "close");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (!route_resp_has_header(rs, "Cache-Control"))   /* assets: no-cache + ETag */
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; i < rs->nheaders; i++)
        MHD_add_response_header(resp, rs->headers[i].key, rs->headers[i].value);
    add_security(rs, resp);
    add_cors(r, resp);
    r->status = rs->status;
    atomic_store(&r->state, GW_SENT);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)rs->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---------- streamed responses (route_ctx.h "streamed responses") ---------- */

static void stream_park(void *opaque)
{
    struct gw_req *r = opaque;
    atomic_fetch_add(&r->srv->streams_parked, 1);
    MHD_suspend_connection(r->conn);
}

static void stream_wake(void *opaque)
{
    struct gw_req *r = opaque;
    atomic_fetch_sub(&r->srv->streams_parked, 1);
    http_loop_resume(r->loop, r->conn);
}

/* Has the client of a parked stream left? Its connection is suspended: nobody reads the
 * socket, so a peek that sees end of file (FIN) or a reset means it is gone (bytes
 * waiting, or none yet: it is still there). One non-blocking system call, no data taken;
 * flags make the gateway's recv() (http_gate.c) pass it straight to the kernel. A client
 * that half-closes its sending side and keeps reading counts as gone. */
static bool stream_gone(void *opaque)
{
    struct gw_req *r = opaque;
    if (r->stream_fd < 0)
        return false;
    char c;
    ssize_t n = recv(r->stream_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Nothing pending: the stream suspended the connection before we return 0, so MHD
 * does not call again (no busy loop) until the stream resumes it. A client that left
 * (stream_gone): end with an error, so that MHD closes the connection at once instead
 * of writing the chunked terminator and waiting for a next request. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    long n = route_stream_read(cls, buf, max);
    if (n == -2)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_free(void *cls)
{
    route_stream_release(cls);
}

static ssize_t no_body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls, (void)pos, (void)buf, (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* HEAD of a stream: the stream's headers, no stream, no length. libmicrohttpd 0.9.75
 * sends the chunked terminator "0\r\n\r\n" after the headers of a HEAD answer whose
 * body has no known length, which a keep-alive client reads as the start of its next
 * answer (desync); a Content-Length would have to be the GET's, which has none. So the
 * answer is close-delimited (HTTP/1.0-compatible mode: no chunking, Connection: close):
 * nothing follows its headers, and the connection is not kept (never parked: the park
 * would take MHD's close for an idle timeout and hold the socket open). */
static struct MHD_Response *head_of_stream(struct gw_req *r, struct route_stream *st)
{
    route_stream_release(st);
    r->keepalive_ok = false;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, no_body_reader, NULL, NULL);
    if (resp)
        MHD_set_response_options(resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    return resp;
}

static enum MHD_Result send_stream_response(struct gw_req *r)
{
    struct route_resp *rs = &r->ctx.resp;
    struct route_stream *st = rs->stream;
    rs->stream = NULL;   /* the MHD response owns it now (stream_free) */
    struct MHD_Response *resp;
    if (strcmp(r->method, "HEAD") == 0) {
        resp = head_of_stream(r, st);
        if (!resp)
            return MHD_NO;
    } else {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, st, stream_free);
        if (!resp) {
            route_stream_release(st);
            return MHD_NO;
        }
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        /* TLS too: a close_notify before the FIN is bytes to a peek (then the heartbeat
         * write notices), a bare FIN or a reset is seen as for plain HTTP */
        r->stream_fd = ci ? ci->connect_fd : -1;
        struct route_stream_io io = {stream_park, stream_wake, stream_gone, r};
        route_stream_attach(st, &io);
    }
    MHD_add_response_header(resp, "Content-Type", rs->content_type ? rs->content_type
                                                                   : "text/event-stream");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (!route_resp_has_header(rs, "Cache-Control"))   /* a handler's own wins */
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; i < rs->nheaders; i++)
        MHD_add_response_header(resp, rs->headers[i].key, rs->headers[i].value);
    add_security(rs, resp);
    add_cors(r, resp);
    r->status = rs->status;
    atomic_store(&r->state, GW_SENT);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)rs->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A gateway-originated error answered right away (before/without the handler). */
static enum MHD_Result send_problem(struct gw_req *r, int status, const char *detail)
{
    route_problem(&r->ctx, status, "%s", detail);
    return send_ctx_response(r);
}

/* ---------- phase: limits ---------- */

struct hdr_count {
    size_t bytes;
    unsigned n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct hdr_count *hc = cls;
    hc->n++;
    hc->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static bool headers_too_large(struct gw_req *r, const char *url)
{
    struct hdr_count hc = {strlen(url) + strlen(r->method) + 12, 0};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &hc);
    return hc.bytes > r->srv->cfg.max_header_bytes || hc.n > r->srv->cfg.max_headers;
}

static bool body_too_large_declared(struct gw_req *r)
{
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    if (!cl)
        return false;
    char *end = NULL;
    unsigned long long v = strtoull(cl, &end, 10);
    return end != cl && v > r->srv->cfg.max_body;
}

/* A head whose Content-Length cannot fit in what is left of max-body-buffer now. */
static bool body_buffer_full_declared(struct gw_req *r)
{
    size_t cap = r->srv->cfg.max_body_buffer;
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    if (!cap || !cl)
        return false;
    unsigned long long v = strtoull(cl, NULL, 10);
    return v > 0 && atomic_load(&r->srv->body_bytes) + v > cap;
}

static void body_buffer_problem(struct gw_req *r)
{
    route_problem(&r->ctx, 503, "the gateway holds too many request bodies at once "
                  "(max-body-buffer, %zu bytes): retry", r->srv->cfg.max_body_buffer);
    route_header(&r->ctx, "Retry-After", "1");
}

/* ---------- phase: body media type and coding ---------- */

/* Does the head announce a body (a Content-Length over 0, or Transfer-Encoding)? */
static bool body_announced(struct gw_req *r)
{
    if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Transfer-Encoding"))
        return true;
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    return cl && strspn(cl, "0") != strlen(cl);
}

struct coding_acc {
    const char *bad;     /* the first coding that is not identity (into MHD's value) */
    size_t bad_len;
};

/* Every Content-Encoding line: a list of codings, each of which must be "identity". */
static enum MHD_Result coding_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    struct coding_acc *a = cls;
    if (a->bad || key_size != 16 || strncasecmp(key, "Content-Encoding", 16) != 0 || !value)
        return MHD_YES;
    for (size_t i = 0; i < value_size;) {
        i += strspn(value + i, " \t,");
        size_t n = strcspn(value + i, ",");
        if (i + n > value_size)
            n = value_size - i;
        size_t t = n;
        while (t && (value[i + t - 1] == ' ' || value[i + t - 1] == '\t'))
            t--;
        if (t && !(t == 8 && strncasecmp(value + i, "identity", 8) == 0)) {
            a->bad = value + i;
            a->bad_len = t > 64 ? 64 : t;
            return MHD_NO;
        }
        i += n;
    }
    return MHD_YES;
}

/* A body announced in a charset other than UTF-8 (the routes read every body as UTF-8):
 * 415 (gwattack4). */
static bool charset_refused(struct gw_req *r, const char *ct)
{
    size_t n = 0;
    const char *cs = router_media_charset_bad(ct, &n);
    if (!cs || !body_announced(r))
        return false;
    route_problem(&r->ctx, 415, "charset %.*s is not supported: send the body in UTF-8 "
                  "(charset=utf-8, or no charset)", (int)(n > 64 ? 64 : n), cs);
    return true;
}

/* RFC 9110 15.5.16 / RFC 7694: a body in a coding the gateway does not decode (gzip,
 * deflate, br...) is refused from the head with 415 and Accept-Encoding: identity; a body
 * of a media type the route does not take likewise. Both before any body byte is read,
 * and so before libmicrohttpd sends "100 Continue" (it does when the first call returns
 * without an answer queued). Returns DM_OK or the problem to send. */
static int media_phase(struct gw_req *r)
{
    struct coding_acc a = {NULL, 0};
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, coding_field, &a);
    if (a.bad) {
        route_header(&r->ctx, "Accept-Encoding", "identity");
        route_problem(&r->ctx, 415, "Content-Encoding %.*s is not supported: send the body "
                      "unencoded (identity)", (int)a.bad_len, a.bad);
        return DM_E_INVAL;
    }
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    const unsigned f = r->ctx.req.route->flags;
    if ((f & (ROUTE_F_JSON | ROUTE_F_TASK | ROUTE_F_CONFIG)) && charset_refused(r, ct))
        return DM_E_INVAL;
    if (!body_announced(r) || router_body_media_ok(r->ctx.req.route, ct))
        return DM_OK;
    const char *want = (f & ROUTE_F_TASK)     ? "application/yaml, text/yaml or application/json"
                       : (f & ROUTE_F_CONFIG) ? "text/plain, application/toml or application/json"
                                              : "application/json";
    size_t n = strcspn(ct, ";");   /* not NULL: no type is JSON, which every route takes */
    route_problem(&r->ctx, 415, "%s %s takes %s bodies, not %.*s", r->method, r->route_label,
                  want, (int)(n > 100 ? 100 : n), ct);
    return DM_E_INVAL;
}

/* ---------- phase: framing (http_frame.h) ---------- */

struct http_frame_limits http_req_frame_limits(const struct http_config *c)
{
    struct http_frame_limits l = {c->max_body, ROUTE_MAX_QUERY, c->max_headers,
                                  c->max_header_bytes + 1024};
    return l;
}

struct frame_acc {
    struct http_frame_fields f;
    struct http_frame_limits lim;
};

static enum MHD_Result frame_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct frame_acc *a = cls;
    http_frame_field(&a->f, &a->lim, key, key_size, value ? value : "", value ? value_size : 0);
    return MHD_YES;
}

/* Every header line MHD parsed (duplicates included) against the framing rules, for
 * connections whose reads the gate does not see (a descriptor beyond the gate's table):
 * on gated ones (plain HTTP and TLS) the gate checked every head, keep-alive follow-ups included, with
 * the same rules, so only the target offset is taken. Returns the verdict status (0 = fine); *url skips an
 * absolute-form target's scheme and authority. */
static int framing_phase(struct gw_req *r, const char **url, const char *version,
                         struct http_frame_verdict *v)
{
    struct frame_acc a;
    a.lim = http_req_frame_limits(&r->srv->cfg);
    if (r->srv->park ? http_park_gated(r->conn) : http_tls_gated(r->conn)) {
        /* the read gate checked this head's fields already: only the target's offset */
        if (http_frame_target(&a.lim, *url, strlen(*url), v) == 0)
            *url += v->target_off;
        return v->status;
    }
    http_frame_fields_init(&a.f);
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, frame_field, &a);
    int minor = strcmp(version, "HTTP/1.0") == 0 ? 0 : 1;
    if (http_frame_finish(&a.f, &a.lim, minor, *url, strlen(*url), v) == 0)
        *url += v->target_off;
    return v->status;
}

/* ---------- phase: query ---------- */

struct query_acc {
    struct route_ctx *ctx;
    int err;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct query_acc *qa = cls;
    struct route_req *q = &qa->ctx->req;
    if (q->nquery == ROUTE_MAX_QUERY) {
        qa->err = DM_E_TOO_LARGE;
        return MHD_NO;
    }
    char *k = router_pct_decode(key, strlen(key), true);
    char *v = router_pct_decode(value ? value : "", value ? strlen(value) : 0, true);
    if (!k || !v) {
        free(k);
        free(v);
        qa->err = DM_E_PARSE;
        return MHD_NO;
    }
    q->query[q->nquery].key = k;
    q->query[q->nquery].value = v;
    q->nquery++;
    return MHD_YES;
}

/* ---------- phase: CORS ---------- */

static void cors_origin(struct gw_req *r)
{
    const char *o = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    if (!o || (!r->srv->any_origin && r->srv->norigins == 0))
        return;
    bool ok = r->srv->any_origin;
    for (size_t i = 0; !ok && i < r->srv->norigins; i++)
        ok = strcmp(r->srv->origins[i], o) == 0;
    if (ok)
        r->origin = strdup(r->srv->any_origin ? "*" : o);
}

static enum MHD_Result preflight(struct gw_req *r, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Allow", allow);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    add_security(NULL, resp);
    add_cors(r, resp);
    if (r->origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", allow);
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, X-Request-Id, If-Match, If-None-Match, "
                                "Idempotency-Key");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
    r->status = 204;
    atomic_store(&r->state, GW_SENT);
    enum MHD_Result ret = MHD_queue_response(r->conn, 204, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---------- phase: auth ---------- */

static int auth_phase(struct gw_req *r, const struct route *rt)
{
    if (rt->scope == AUTH_SCOPE_NONE)
        return DM_OK;
    if (rt->scope == AUTH_SCOPE_READ && r->srv->env->anonymous_read)
        return DM_OK;
    char www[512];
    const char *authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    enum auth_fail f = AUTH_MISSING;
    const char *ticket = !authz && (rt->flags & ROUTE_F_TICKET) ? route_query(&r->ctx, "ticket") : NULL;
    if (ticket)
        f = route_ticket_redeem(r->srv->env, ticket, (int64_t)time(NULL), &r->id);
    else if (r->srv->auth)
        f = auth_cache_verify(r->srv->auth_cache, r->srv->auth, authz, (int64_t)time(NULL),
                              &r->id);
    if (f == AUTH_OK && !auth_has_scope(r->id, rt->scope))
        f = AUTH_INSUFFICIENT_SCOPE;
    if (f == AUTH_OK)
        return DM_OK;
    metrics_auth_failure(auth_fail_name(f));
    auth_www_authenticate(f, rt->scope, www, sizeof(www));
    route_header(&r->ctx, "WWW-Authenticate", www);
    if (f == AUTH_INSUFFICIENT_SCOPE) {
        route_problem(&r->ctx, 403, "this operation needs the scope %s", auth_scope_name(rt->scope));
        return DM_E_FORBIDDEN;
    }
    if (!r->srv->auth)
        route_problem(&r->ctx, 401, "authentication is not configured on this gateway");
    else
        route_problem(&r->ctx, 401, "invalid or missing bearer token: %s", auth_fail_name(f));
    return DM_E_UNAUTHENTICATED;
}

/* ---------- first call ---------- */

static struct gw_req *req_new(struct http_server *srv, struct MHD_Connection *conn,
                              const char *method)
{
    struct gw_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->loop = http_loop_current();   /* the access handler runs on conn's own thread */
    r->start_us = http_now_us();
    r->route_label = "unmatched";
    r->stream_fd = -1;
    snprintf(r->method, sizeof(r->method), "%s", method);
    dm_buf_init(&r->body, srv->cfg.max_body);
    route_ctx_init(&r->ctx, srv->env);
    r->ctx.suspend = hook_suspend;
    r->ctx.resume = hook_resume;
    r->ctx.opaque = r;
    r->ctx.req.method = r->method;
    r->ctx.req.request_id = r->request_id;
    atomic_fetch_add(&srv->in_flight, 1);
    metrics_in_flight_add(1);
    set_request_id(r);
    return r;
}

/* The methods some route (or the CORS preflight) takes; HEAD is every GET route's. */
static bool method_known(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(m, known[i]) == 0)
            return true;
    return false;
}

static enum MHD_Result route_phase(struct gw_req *r, const char *url)
{
    struct route_req *q = &r->ctx.req;
    if (!method_known(r->method)) {   /* RFC 9110 9.1: 501 for a method not recognised */
        route_problem(&r->ctx, 501, "method not implemented: the gateway serves GET, HEAD, "
                      "POST, PUT, PATCH, DELETE and OPTIONS (case-sensitive)");
        return send_ctx_response(r);
    }
    int rc = router_match(router_table, router_table_len, r->method, url, &q->match);
    if (rc == DM_OK) {
        q->route = q->match.route;
        r->route_label = q->route->path;
        return MHD_YES;
    }
    if (rc == DM_E_METHOD && strcmp(r->method, "OPTIONS") == 0)
        return preflight(r, q->match.allow);
    if (rc == DM_E_METHOD) {
        route_header(&r->ctx, "Allow", q->match.allow);
        route_problem(&r->ctx, 405, "%s is not allowed on %s (allowed: %s)", r->method, url,
                      q->match.allow);
    } else if (rc == DM_E_INVAL) {
        route_problem(&r->ctx, 414, "path too long or too deep");
    } else {
        route_problem(&r->ctx, 404, "no route for %s %s", r->method, url);
    }
    return send_ctx_response(r);
}

/* Does a Connection header value carry the "close" token? */
static bool close_token(const char *v)
{
    while (v && *v) {
        v += strspn(v, " \t,");
        size_t n = strcspn(v, ",");
        size_t t = n;
        while (t && (v[t - 1] == ' ' || v[t - 1] == '\t'))
            t--;
        if (t == 5 && strncasecmp(v, "close", 5) == 0)
            return true;
        v += n;
    }
    return false;
}

static enum MHD_Result first_call_phases(struct gw_req *r, const char *url);

/* Does the request target hold a NUL? Only TLS connections the gate does not see
 * (http_tls.h); the front and the gates refuse it before MHD parses the head. */
static bool target_has_nul(struct gw_req *r, const char *version)
{
    return !r->srv->park && http_tls_target_has_nul(r->conn, version);
}

static enum MHD_Result first_call(struct gw_req *r, const char *url, const char *version)
{
    struct http_frame_verdict v;
    if (framing_phase(r, &url, version, &v) != 0) {
        /* answered in this first call, with Connection: close: MHD reads no body and
         * no further request from this connection */
        r->ctx.req.path = url;
        r->must_close = true;
        return send_problem(r, v.status, v.detail);
    }
    if (target_has_nul(r, version)) {
        r->ctx.req.path = url;
        r->must_close = true;
        return send_problem(r, 400, "NUL or another control character in the request target");
    }
    r->ctx.req.path = url;
    r->keepalive_ok = strcmp(version, "HTTP/1.1") == 0 &&
                      !close_token(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                               "Connection"));
    r->defer = !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length") &&
               !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Transfer-Encoding");
    enum MHD_Result ret = first_call_phases(r, url);
    r->defer = false;
    return ret;
}

static enum MHD_Result first_call_phases(struct gw_req *r, const char *url)
{
    if (headers_too_large(r, url))
        return send_problem(r, 431, "request header fields too large");
    if (atomic_load(&r->srv->stopping)) {
        /* no new master call may suspend a connection now: the stop waits for none to be
         * left, and keep-alive clients sending all the time kept it waiting forever */
        r->must_close = true;
        return send_problem(r, 503, "the gateway is stopping");
    }
    cors_origin(r);
    enum MHD_Result ret = route_phase(r, url);
    if (atomic_load(&r->state) != GW_NEW || ret == MHD_NO)
        return ret;   /* answered (or answer held for the next call) */
    struct query_acc qa = {&r->ctx, DM_OK};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &qa);
    if (qa.err == DM_E_TOO_LARGE)
        return send_problem(r, 414, "too many query parameters");
    if (qa.err != DM_OK)
        return send_problem(r, 400, "invalid percent-encoding in the query string (bad escape, NUL or not UTF-8)");
    const char *dup = route_query_repeated(&r->ctx);
    if (dup) {
        route_problem(&r->ctx, 400, "query parameter `%s` given more than once", dup);
        return send_ctx_response(r);
    }
    if (auth_phase(r, r->ctx.req.route) != DM_OK)
        return send_ctx_response(r);
    if (body_too_large_declared(r)) {
        route_problem(&r->ctx, 413, "request body larger than %zu bytes", r->srv->cfg.max_body);
        return send_ctx_response(r);
    }
    if (body_buffer_full_declared(r)) {
        body_buffer_problem(r);
        return send_ctx_response(r);
    }
    if (media_phase(r) != DM_OK)
        return send_ctx_response(r);
    r->ctx.req.id = r->id;
    r->ctx.req.content_type =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    r->ctx.req.accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    r->ctx.req.accept_encoding =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Encoding");
    r->ctx.req.if_match = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-Match");
    r->ctx.req.if_none_match =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
    r->ctx.req.last_event_id = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    return MHD_YES;
}

/* ---------- body and handler ---------- */

/* Count n more body bytes against max-body-buffer (all connections together). false when
 * that would pass it: nothing is counted then. */
static bool body_reserve(struct gw_req *r, size_t n)
{
    size_t cap = r->srv->cfg.max_body_buffer;
    if (!cap)
        return true;
    size_t was = atomic_fetch_add(&r->srv->body_bytes, n);
    if (was + n > cap) {
        atomic_fetch_sub(&r->srv->body_bytes, n);
        return false;
    }
    r->body_counted += n;
    return true;
}

static void body_release(struct gw_req *r)
{
    atomic_fetch_sub(&r->srv->body_bytes, r->body_counted);
    r->body_counted = 0;
}

static enum MHD_Result take_upload(struct gw_req *r, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (!r->too_large && !r->over_buffer && !body_reserve(r, n)) {
        r->over_buffer = true;   /* dropped like an over-long body; 503 once it has passed */
        r->discarded = 0;
        dm_buf_free(&r->body);
        body_release(r);
    }
    if (r->too_large || r->over_buffer) {
        r->discarded += n;
        /* keep reading a bounded amount so the 413 can be sent, then give up */
        return r->discarded > 4 * r->srv->cfg.max_body + (1u << 20) ? MHD_NO : MHD_YES;
    }
    int rc = dm_buf_add(&r->body, data, n);
    if (rc == DM_E_TOO_LARGE) {
        r->too_large = true;
        r->discarded = n;
        dm_buf_free(&r->body);
        body_release(r);
    } else if (rc != DM_OK) {
        return MHD_NO;
    }
    return MHD_YES;
}

/* ---------- Idempotency-Key (idem.h) ---------- */

/* One field of the fingerprint, then a separator byte. */
static uint64_t fnv_add(uint64_t h, const void *p, size_t n)
{
    return dm_fnv1a64(dm_fnv1a64(h, p, n), "\xff", 1);
}

/* What makes two requests "the same": method, path, query, media type, body. */
static uint64_t fingerprint(const struct gw_req *r)
{
    const struct route_req *q = &r->ctx.req;
    uint64_t h = DM_FNV64_INIT;
    h = fnv_add(h, r->method, strlen(r->method));
    h = fnv_add(h, q->path, strlen(q->path));
    for (size_t i = 0; i < q->nquery; i++) {
        h = fnv_add(h, q->query[i].key, strlen(q->query[i].key));
        h = fnv_add(h, q->query[i].value, strlen(q->query[i].value));
    }
    h = fnv_add(h, q->content_type ? q->content_type : "", q->content_type ? strlen(q->content_type) : 0);
    return fnv_add(h, q->body, q->body_len);
}

static int64_t now_ms(void)
{
    return http_now_us() / 1000;
}

/* Answer a stored answer again. */
static void replay(struct gw_req *r)
{
    const struct idem_answer *a = &r->replay;
    route_text(&r->ctx, a->status, a->content_type, a->body, a->body_len);
    for (size_t i = 0; i < a->nheaders; i++)
        route_header(&r->ctx, a->hkey[i], a->hval[i]);
    route_header(&r->ctx, "Idempotent-Replayed", "true");
}

/* Whose keys (malloc'd, NULL on out-of-memory): "s:<sub>" for a token with a subject; a
 * token without one (or with an empty one) names no client, so its keys live under
 * "t:<SHA-256 of the token>": two sub-less clients never share a key (gwattack6: one
 * could replay the other's answer). Such a client's retry must carry the same token. */
static char *idem_namespace(const struct gw_req *r)
{
    const char *sub = r->id && r->id->sub ? r->id->sub : "";
    char hex[AUTH_DIGEST_HEX + 1] = "";
    if (!sub[0]) {
        const char *authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
        (void)auth_token_digest(authz, hex);   /* "" only without a token: no auth */
    }
    size_t n = strlen(sub) + sizeof(hex) + 3;
    char *ns = malloc(n);
    if (ns)
        snprintf(ns, n, "%s:%s", sub[0] ? "s" : "t", sub[0] ? sub : hex);
    return ns;
}

/* A write with an Idempotency-Key: true when answered here (replay or refusal). */
static bool idem_phase(struct gw_req *r)
{
    const struct route *rt = r->ctx.req.route;
    if (!r->srv->idem || !(rt->flags & ROUTE_F_AUDIT))
        return false;
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (!h)
        return false;
    char key[IDEM_KEY_MAX + 1];
    if (idem_parse_key(h, key) != 0) {
        route_problem(&r->ctx, 400, "Idempotency-Key: 1 to %d visible ASCII characters, "
                      "optionally in double quotes", IDEM_KEY_MAX);
        return true;
    }
    char *ns = idem_namespace(r);
    enum idem_rc rc = ns ? idem_begin(r->srv->idem, ns, key, fingerprint(r), now_ms(), &r->idem,
                                      &r->replay)
                         : IDEM_NOMEM;
    free(ns);
    switch (rc) {
    case IDEM_NEW:
        return false;
    case IDEM_REPLAY:
        replay(r);
        return true;
    case IDEM_BUSY:
        route_header(&r->ctx, "Retry-After", "1");
        route_problem(&r->ctx, 409, "a request with this Idempotency-Key is still in progress");
        return true;
    case IDEM_MISMATCH:
        route_problem(&r->ctx, 422, "this Idempotency-Key was used for a different request");
        return true;
    default:
        route_problem(&r->ctx, 500, "out of memory");
        return true;
    }
}

/* Answers that must not be replayed: the operation may not have happened (master down,
 * deadline, rate limit) or the gateway failed. */
static bool idem_storable(const struct route_resp *rs)
{
    if (rs->status == 0 || rs->stream || rs->status == 429 || rs->status == 502 ||
        rs->status == 503 || rs->status == 504)
        return false;
    return rs->status < 500 || !rs->content_type ||
           strcmp(rs->content_type, "application/problem+json") != 0;
}

static int answer_of(const struct route_resp *rs, struct idem_answer *a)
{
    memset(a, 0, sizeof(*a));
    a->status = rs->status;
    a->body_len = rs->body.len;
    if (!(a->body = malloc(rs->body.len + 1)))
        return DM_E_NOMEM;
    if (rs->body.len)
        memcpy(a->body, rs->body.data, rs->body.len);
    a->body[rs->body.len] = '\0';
    if (rs->content_type && !(a->content_type = strdup(rs->content_type)))
        return DM_E_NOMEM;
    for (size_t i = 0; i < rs->nheaders && i < IDEM_MAX_HEADERS; i++) {
        a->hkey[i] = strdup(rs->headers[i].key);
        a->hval[i] = strdup(rs->headers[i].value);
        a->nheaders++;
        if (!a->hkey[i] || !a->hval[i])
            return DM_E_NOMEM;
    }
    return DM_OK;
}

/* The claimed request's answer is complete: store it, or free the key. */
static void idem_capture(struct gw_req *r)
{
    struct idem_entry *e = r->idem;
    if (!e)
        return;
    r->idem = NULL;
    struct idem_answer a;
    if (!idem_storable(&r->ctx.resp)) {
        idem_abandon(r->srv->idem, e);
    } else if (answer_of(&r->ctx.resp, &a) == DM_OK) {
        idem_finish(r->srv->idem, e, &a, now_ms());
    } else {
        idem_answer_clear(&a);
        idem_abandon(r->srv->idem, e);
    }
}

/* A handler step returned: send a complete response, or wait (suspended) for the
 * answer of the call it started. */
static enum MHD_Result handler_returned(struct gw_req *r, enum route_rc rc)
{
    if (rc == ROUTE_PENDING)
        return MHD_YES;   /* suspended; hook_resume -> GW_READY -> step_handler */
    idem_capture(r);      /* the answer is complete: remember it even if the client left */
    return send_ctx_response(r);
}

static enum MHD_Result run_handler(struct gw_req *r)
{
    if (r->too_large) {
        route_problem(&r->ctx, 413, "request body larger than %zu bytes", r->srv->cfg.max_body);
        return send_ctx_response(r);
    }
    if (r->over_buffer) {
        body_buffer_problem(r);
        return send_ctx_response(r);
    }
    r->ctx.req.body = r->body.data ? r->body.data : "";
    r->ctx.req.body_len = r->body.len;
    if (idem_phase(r))
        return send_ctx_response(r);
    atomic_store(&r->state, GW_RUN);
    return handler_returned(r, r->ctx.req.route->handler(&r->ctx));
}

/* The connection was resumed with a master answer parked (GW_READY): decode it and run
 * the next step of the handler here, on the thread that owns the connection. */
static enum MHD_Result step_handler(struct gw_req *r)
{
    atomic_store(&r->state, GW_RUN);
    return handler_returned(r, route_ctx_step(&r->ctx));
}

enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                            const char *method, const char *version, const char *upload,
                            size_t *upload_size, void **con_cls)
{
    struct gw_req *r = *con_cls;
    if (!r) {
        r = req_new(cls, conn, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        enum MHD_Result ret = first_call(r, url, version);
        r->early = atomic_load(&r->state) == GW_SENT;
        return ret;
    }
    r->later = true;
    int st = atomic_load(&r->state);
    if (st == GW_SENT) {
        *upload_size = 0;   /* early answer queued: swallow whatever MHD still hands us */
        return MHD_YES;
    }
    if (*upload_size)
        return take_upload(r, upload, upload_size);
    if (st == GW_READY)
        return step_handler(r);
    if (st == GW_RUN)
        return MHD_YES;     /* spurious call while suspended/resuming */
    return run_handler(r);
}

/* ---------- completion: access log, audit log, metrics, free ---------- */

static void audit(struct gw_req *r, const struct route *rt, const char *sub, const char *status)
{
    const char *task = r->ctx.resp.audit_task ? r->ctx.resp.audit_task : "";
    if (r->srv->cfg.audit_fd < 0) {
        dm_log_kv(DM_LOG_INFO, "audit", "requestId", r->request_id, "sub", sub, "method",
                  r->method, "route", rt->path, "task", task, "outcome", status, NULL);
        return;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct dm_buf b;
    dm_buf_init(&b, 8192);
    int rc = dm_buf_printf(&b, "{\"ts\":\"%s\",\"requestId\":\"%s\",\"sub\":", ts, r->request_id);
    rc = rc ? rc : dm_buf_add_json_str_log(&b, sub);
    rc = rc ? rc : dm_buf_printf(&b, ",\"method\":\"%s\",\"route\":\"%s\",\"task\":", r->method, rt->path);
    rc = rc ? rc : dm_buf_add_json_str_log(&b, task);
    rc = rc ? rc : dm_buf_printf(&b, ",\"outcome\":%s}\n", status);
    if (rc == DM_OK && write(r->srv->cfg.audit_fd, b.data, b.len) < 0)
        DM_WARN("audit log write failed");
    dm_buf_free(&b);
}

/* Decimal digits of v at the end of buf[0..cap): returns where they start. */
static char *udec(char *buf, size_t cap, uint64_t v, int min_digits)
{
    char *p = buf + cap;
    *--p = '\0';
    int n = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
        n++;
    } while ((v || n < min_digits) && p > buf);
    return p;
}

/* "%d" of the status and "%.3f" of the milliseconds, without printf (every request). */
static void log_request(struct gw_req *r, enum MHD_RequestTerminationCode toe, int64_t dur_us)
{
    char sbuf[16], dbuf[32], frac[8];
    const char *status = udec(sbuf, sizeof(sbuf), (uint64_t)(r->status > 0 ? r->status : 0), 1);
    uint64_t us = dur_us > 0 ? (uint64_t)dur_us : 0;
    const char *ms = udec(dbuf, sizeof(dbuf) - 4, us / 1000, 1);
    size_t ml = strlen(ms);
    memmove(dbuf, ms, ml);
    dbuf[ml] = '.';
    memcpy(dbuf + ml + 1, udec(frac, sizeof(frac), us % 1000, 3), 4);
    const char *dur = dbuf;
    const char *sub = r->id ? r->id->sub : "";
    const struct route *rt = r->ctx.req.route;
    dm_log_kv(DM_LOG_INFO, "access", "requestId", r->request_id, "method", r->method, "path",
              r->ctx.req.path, "route", r->route_label, "status", status, "durationMs", dur,
              "sub", sub, "completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false",
              NULL);
    if (rt && (rt->flags & ROUTE_F_AUDIT))
        audit(r, rt, sub, status);
}

/* The client left after a master answer was parked but before its step ran: run the step
 * here (still the owner thread), so that a write's answer is stored for its
 * Idempotency-Key as before; no further master call may start (route_ctx.closing). */
static void finish_parked_write(struct gw_req *r)
{
    if (!r->idem || atomic_load(&r->state) != GW_READY)
        return;
    atomic_store(&r->state, GW_RUN);
    r->ctx.closing = true;
    if (route_ctx_step(&r->ctx) == ROUTE_DONE)
        idem_capture(r);
}

void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct gw_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    int64_t dur = http_now_us() - r->start_us;
    if (r->status == 0)
        r->status = 499;   /* client went away before an answer */
    finish_parked_write(r);
    log_request(r, toe, dur);
    bool keepalive = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && r->keepalive_ok &&
                     !r->early && !r->too_large;
    if (r->srv->park)
        http_park_request_done(r->srv->park, conn, keepalive);
    else
        http_tls_request_done(conn, keepalive);
    metrics_http_observe(r->route_label, r->ctx.req.route ? r->ctx.req.route->method : "other",
                         r->status, dur);
    if (r->idem)
        idem_abandon(r->srv->idem, r->idem);   /* never answered */
    route_ctx_release(&r->ctx);
    idem_answer_clear(&r->replay);
    dm_buf_free(&r->body);
    body_release(r);
    auth_identity_free(r->id);
    free(r->origin);
    atomic_fetch_sub(&r->srv->in_flight, 1);
    metrics_in_flight_add(-1);
    free(r);
}

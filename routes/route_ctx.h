/* route_ctx.h - what a route handler sees: a transport-neutral request, the response
 * it fills, and the asynchronous master-call plumbing.
 *
 * The gateway (gateway/http_server.c) embeds one route_ctx in each struct gw_req.
 * One owner per request (issue 18): the handler and every continuation of it run on
 * the HTTP thread that owns the connection. A handler either completes the response
 * (ROUTE_DONE) or starts a master call with route_master_call (ROUTE_PENDING): the
 * transport's suspend hook runs before the RPC starts; when the answer arrives the rpc
 * client thread only parks the raw answer in the ctx and calls the resume hook; the
 * transport then calls route_ctx_step on its own thread, which decodes the answer and
 * runs the call's `done` - which completes the response (ROUTE_DONE) or starts the next
 * master call (ROUTE_PENDING again: multi-step handlers are a chain of done steps, each
 * on the owner thread). No HTTP thread waits, and no JSON/YAML work runs on the rpc
 * thread.
 *
 * Ownership: everything in `req` is borrowed from the transport and valid until the
 * request completes; `resp` is owned by the ctx (route_ctx_release frees it).
 * Thread-safety: one ctx is touched by one thread at a time: the owner thread, except
 * `answer`/`answered`, written once per call by the completion before resume. */
#ifndef GW_ROUTE_CTX_H
#define GW_ROUTE_CTX_H

#include <protobuf-c/protobuf-c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "dm_arena.h"
#include "router.h"
#include "rpc.h"

struct coalescer;
struct stream_hub;
struct ticket_store;

#define ROUTE_MAX_HEADERS 16   /* a gzip asset answer sets 11 (routes/assets.c) */
#define ROUTE_MAX_QUERY 32
#define ROUTE_MAX_RESP_BODY (64u << 20) /* bound of any response body we build */

/* Process-wide state the handlers use (owned by main, read-only once serving except
 * the atomics). */
struct route_env {
    struct rpc_channel *master;      /* pb.Master channel */
    int64_t rpc_timeout_ms;          /* reads */
    int64_t rpc_write_timeout_ms;    /* writes (StartTask waits for workers) */
    int64_t readyz_timeout_ms;
    int64_t sse_interval_ms;         /* default status stream poll interval (0: 2 s) */
    int64_t sse_heartbeat_ms;        /* status stream heartbeat comment period (0: 15 s) */
    bool anonymous_read;
    bool coalesce;                   /* identical concurrent GET reads share one RPC */
    struct coalescer *coalescer;     /* coalesce.h; owned (route_env_init/release) */
    struct stream_hub *streams;      /* tasks_stream.c; owned (route_env_init/release) */
    struct ticket_store *tickets;    /* stream_ticket.h; owned (route_env_init/release) */
    atomic_bool draining;            /* SIGTERM: readyz answers 503 */
    const char *version;
};

struct route_kv {
    char *key;
    char *value;
};

struct route_req {
    const struct route *route;
    struct router_match match;        /* owned by the ctx (decoded path parameters) */
    const char *method;
    const char *path;                 /* raw path */
    struct route_kv query[ROUTE_MAX_QUERY]; /* decoded, owned */
    size_t nquery;
    const char *body;                 /* NUL-terminated (len excludes the NUL) */
    size_t body_len;
    const char *content_type;         /* may be NULL */
    const char *accept;               /* Accept header, may be NULL */
    const char *accept_encoding;      /* Accept-Encoding header, may be NULL */
    const char *if_match;             /* If-Match header, may be NULL */
    const char *if_none_match;        /* If-None-Match header, may be NULL */
    const char *last_event_id;        /* Last-Event-ID header (SSE resume), may be NULL */
    const char *request_id;
    const struct auth_identity *id;   /* NULL when the route needs no auth */
    struct route_env *env;
};

struct route_resp {
    int status;                       /* 0 until set */
    const char *content_type;         /* static string */
    struct dm_buf body;
    struct route_kv headers[ROUTE_MAX_HEADERS];   /* copies in the ctx's arena */
    size_t nheaders;
    int dm_code;                      /* DM error code seen in the answer, 0 none */
    struct route_stream *stream;      /* streamed body (SSE); owned until the transport
                                         takes it (sets NULL), else released with the ctx */
    char *audit_task;                 /* task named by the request, for the audit log
                                         (in the ctx's arena) */
};

/* Runs in route_ctx_step (the owner thread) with the decoded answer of a master call
 * (borrowed: freed after it returns). Return ROUTE_DONE when the response is complete,
 * ROUTE_PENDING after starting another call. */
typedef enum route_rc (*route_master_done_fn)(struct route_ctx *c, struct rpc_result *res);

struct route_ctx {
    struct route_req req;
    struct route_resp resp;
    /* transport hooks: suspend runs on the owner thread before a call starts; resume
     * (any thread, once per suspend) asks the transport to call route_ctx_step */
    void (*suspend)(void *opaque);
    void (*resume)(void *opaque);
    void *opaque;
    /* current master call */
    route_master_done_fn done;        /* set while a call is in flight */
    const char *rpc_name;
    struct rpc_answer *answer;        /* its raw answer, parked by the completion */
    atomic_bool answered;             /* answer parked (set before resume) */
    bool coalesced;                   /* the answer came from a shared flight */
    bool closing;                     /* the client is gone: start no further call */
    int ok_status;                    /* 2xx to use when the DM answer is all ok */
    int64_t timeout_ms;               /* > 0: overrides the env's rpc deadlines */
    /* handler scratch for multi-step operations (freed by route_ctx_release) */
    void *state;
    void (*state_free)(void *state);
    /* request-scoped memory (response header copies, the audit task name), released
     * at once by route_ctx_release: the one dispose point */
    struct dm_arena arena;
};

/* Initialise: zeroes the ctx and bounds the response body. */
void route_ctx_init(struct route_ctx *c, struct route_env *env);
/* Free everything the ctx owns (params, query, response, state). */
/* Bodies at least this big: route_ctx_release ends with dm_mem_trim (memtrim.h), so the
 * memory their parsed forms took goes back to the OS. */
#define ROUTE_TRIM_BODY (64 * 1024)
void route_ctx_release(struct route_ctx *c);

/* Query parameters: first value or NULL; all values via index loop. */
const char *route_query(const struct route_ctx *c, const char *key);
/* The first single-valued query key (every key but the repeatable `worker` / `workers`
 * that the routes read) given more than once, or NULL. The gateway answers 400 then:
 * which of two values wins is a guess a proxy or WAF in front may make differently
 * (HTTP parameter pollution). */
const char *route_query_repeated(const struct route_ctx *c);
/* true for "true"/"1"/"yes" (and a bare "?pretty"). */
bool route_query_bool(const struct route_ctx *c, const char *key);
/* Path parameter by name (decoded) or NULL. */
const char *route_param(const struct route_ctx *c, const char *name);
/* Does the request body's media type equal `type` (parameters ignored, case-insensitive)? */
bool route_content_is(const struct route_ctx *c, const char *type);

/* Response helpers (all return ROUTE_DONE). A response header is copied. More than
 * ROUTE_MAX_HEADERS headers on one answer is a programming error: DM_ASSERT (aborts, in
 * release builds too) instead of a header silently dropped. */
void route_header(struct route_ctx *c, const char *key, const char *value);
/* The security headers of every answer that is not a browser file (API JSON/YAML, dmctl
 * JSON, problem+json, metrics, SSE, preflights, the front's own refusals): no sniffing, a
 * Content-Security-Policy that lets the answer load or frame nothing, no referrer. One
 * list, added by the transport (gateway/http_req.c, gateway/http_frame.c) to every answer
 * whose handler did not set its own X-Content-Type-Options (the browser files of
 * routes/assets.c carry stricter page policies of their own). */
struct route_hdr {
    const char *key, *value;
};
#define ROUTE_API_CSP "default-src 'none'; frame-ancestors 'none'"
#define ROUTE_API_HEADERS_N 3
extern const struct route_hdr route_api_headers[ROUTE_API_HEADERS_N];
/* Did the handler set header `key` (case-insensitive)? The transport's defaults (the
 * Cache-Control: no-store of API answers) yield to a handler's own. */
bool route_resp_has_header(const struct route_resp *r, const char *key);
enum route_rc route_json(struct route_ctx *c, int status, const char *json);
enum route_rc route_text(struct route_ctx *c, int status, const char *ctype, const char *body,
                         size_t len);
/* RFC 9457 problem+json with result:false, msg, requestId; detail printf-style. The
 * type URI is derived from the DM_E_* error name. */
enum route_rc route_problem(struct route_ctx *c, int status, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum route_rc route_problem_err(struct route_ctx *c, int dm_err, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The problem+json document route_problem builds, appended to `out` (for bodies that
 * are not the response itself, e.g. an SSE error event). DM_OK / DM_E_TOO_LARGE /
 * DM_E_NOMEM. */
int route_problem_json(struct dm_buf *out, int status, const char *instance,
                       const char *request_id, const char *detail);
/* 501 "not supported". */
enum route_rc route_not_supported(struct route_ctx *c, const char *what);
void route_audit_task(struct route_ctx *c, const char *task);

/* Start the master RPC `rpc_name` ("QueryStatus") with `req` (borrowed, packed before
 * return); deadline = rpc_write_timeout_ms when `write` else rpc_timeout_ms. `done`
 * completes the response (route_ctx_step). Returns ROUTE_PENDING (the connection is
 * suspended; a call that then fails to start leaves a 503 problem that the next step
 * sends), or ROUTE_DONE with a 500/503 problem (unknown rpc, no master); while the
 * master's channel is known to be down
 * (rpc_channel_known_down) no call is started: `done` runs at once with an UNAVAILABLE
 * result (503 + Retry-After through route_rpc_failed). */
enum route_rc route_master_call(struct route_ctx *c, const char *rpc_name,
                                const ProtobufCMessage *req, bool write,
                                route_master_done_fn done);
/* The transport, on the owner thread, after the resume hook ran: decode the parked
 * answer and run the call's `done` (ROUTE_DONE: the response is complete; ROUTE_PENDING:
 * another call started and the connection is suspended again). */
enum route_rc route_ctx_step(struct route_ctx *c);
/* The standard completion: transport error -> problem (503/504/501/502), otherwise
 * the DM answer mapped to an HTTP status (dmreply.h) and encoded as dmctl JSON. */
enum route_rc route_done_dm(struct route_ctx *c, struct rpc_result *res);
/* Transport failure of a master call -> problem response. */
enum route_rc route_rpc_failed(struct route_ctx *c, const struct rpc_result *res);

/* ?pretty=true. */
bool route_pretty(const struct route_ctx *c);

/* ---------- streamed responses (tasks_stream.c) ----------
 * A handler (or its master-call completion) that answers with a stream sets
 * resp.status, resp.content_type and resp.stream. The transport takes resp.stream,
 * attaches its hooks and pulls the body with route_stream_read until it returns -1;
 * it calls route_stream_release exactly once when done with it (finished, client
 * gone, server stopping). */
struct route_stream;
struct route_stream_io {
    void (*park)(void *opaque);   /* suspend the connection: called inside read */
    void (*wake)(void *opaque);   /* resume it: called once per park, from any thread */
    /* Optional: has the client left (closed or reset its connection)? Asked about a
     * parked stream only (the connection suspended, its socket not read by anyone else),
     * about every SSE_GONE_CHECK_MS from the hub thread, which then ends the stream
     * (route_stream_read returns -2). Must be cheap and not block. */
    bool (*gone)(void *opaque);
    void *opaque;
};
/* Before the first read; io is copied. */
void route_stream_attach(struct route_stream *s, const struct route_stream_io *io);
/* Copy up to cap pending bytes: > 0 bytes copied; 0 nothing pending (io.park was
 * called, io.wake will follow when there is); -1 end of the stream; -2 the client left
 * (io.gone said so: close the connection, nothing more to write). HTTP thread. */
long route_stream_read(struct route_stream *s, char *buf, size_t cap);
/* The transport is done with the stream: frees it. Any thread. */
void route_stream_release(struct route_stream *s);
/* The status-stream hub: init with the env, shutdown ends every stream (their reads
 * return -1 once drained), stops polling and waits for polls in flight; new streams
 * then answer 503. Shutdown is idempotent; free after the transport released every
 * stream. */
int route_streams_init(struct route_env *env);
void route_streams_shutdown(struct route_env *env);
void route_streams_free(struct route_env *env);

/* The env's owned parts: coalescer, tickets, status-stream hub (system.c). DM_OK / DM_E_*. */
int route_env_init(struct route_env *env);
void route_env_release(struct route_env *env);

#endif /* GW_ROUTE_CTX_H */

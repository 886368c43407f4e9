/* http_server.h - the gateway's HTTP server (wraps libmicrohttpd; gateway/ is the only
 * code that includes <microhttpd.h>).
 *
 * Model: MHD's internal thread pool with epoll and suspend/resume. One struct gw_req per
 * request, created on the first access-handler call and freed only in
 * MHD_OPTION_NOTIFY_COMPLETED; it owns the bounded body buffer, the request id, the
 * verified identity and the route_ctx (routes/route_ctx.h). Phases per request:
 * framing (http_frame.h: 400/413/414/431/501/505 + Connection: close) -> limits
 * (431/413) -> route match (404/405) -> CORS -> auth (401/403) -> body -> handler.
 * Plain HTTP: the front (http_park.h) accepts every connection and checks each new or
 * returning connection's raw request head before MHD reads it (MHD is quiesced after
 * start; its listen socket is the front's). A handler that calls the master suspends the connection; the rpc callback
 * resumes it, so no HTTP thread ever waits on the master.
 *
 * Streamed responses (route_ctx.h, the SSE status stream): an MHD callback response
 * whose reader pulls route_stream_read; with nothing pending the stream suspends the
 * connection (counted apart from master waits) and resumes it when data arrives; the
 * response's free callback releases the stream. Drain and stop end all streams first
 * (route_streams_shutdown), so no suspended connection outlives the daemon.
 *
 * Header limits: MHD answers an over-full connection memory pool with its own HTML 431.
 * We set MHD_OPTION_CONNECTION_MEMORY_LIMIT to at least max_header_bytes + 64 x
 * max_headers + 4 KiB (MHD also zeroes the whole pool after every request: keep it small)
 * and check the header total (names + values + request line) and count ourselves in
 * the first access-handler call, answering 431 problem+json. Only requests whose
 * headers exceed the limit by several KiB reach MHD's own answer.
 *
 * Idle keep-alive connections (plain HTTP) leave MHD after park_after_s and wait in
 * http_park.h's epoll set until their next request; limits count them. Early answers to
 * bodiless requests are queued on the second access-handler call (MHD 0.9.75 closes the
 * connection after an answer queued in the first).
 *
 * Auth: bearer tokens go through auth_cache.h (verified tokens remembered; flushed by
 * http_server_auth_reloaded after a key reload).
 *
 * Thread-safety: start/stop/drain from one controlling thread (main). */
#ifndef GW_HTTP_SERVER_H
#define GW_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "route_ctx.h"

struct http_config {
    const char *listen_addr;        /* "127.0.0.1:8080", ":8080", "[::1]:8080"; port 0 = any */
    unsigned threads;               /* MHD thread pool size (>= 1) */
    bool loops_by_load;             /* loops: placement by load + rebalancing (http_loop.h) */
    bool loops_merge;               /* loops: by count + merging underused loops (unless by load) */
    size_t max_body;                /* 413 above this */
    size_t max_body_buffer;         /* request bodies held, all connections (0 = unbounded): 503 above */
    size_t max_header_bytes;        /* 431 above this (request line + all headers) */
    unsigned max_headers;           /* 431 above this many header fields */
    unsigned max_connections;
    unsigned max_per_ip;            /* 0 = unlimited */
    unsigned conn_timeout_s;        /* idle connection timeout */
    unsigned park_after_s;          /* idle this long: hold outside MHD (http_park.h); 0 = off */
    size_t conn_memory_limit;       /* MHD pool per connection (raised as described above) */
    const char *tls_cert_pem;       /* PEM text (not file names); both or neither */
    const char *tls_key_pem;
    const char *cors_origins;       /* comma-separated allow-list, "*" = any; NULL = no CORS */
    int audit_fd;                   /* >= 0: audit lines go here (O_APPEND), else the log */
    unsigned idem_max_keys;         /* Idempotency-Key store (idem.h); 0 = keys ignored */
    size_t idem_max_bytes;
    int64_t idem_ttl_ms;
};

struct http_server;

/* The event loops' load window (ms, http_loop.h); a connection younger than this is
 * never asked to reconnect (no connection moves twice before the loads were measured
 * again). */
#define HTTP_LOOP_WINDOW_MS 200

/* One event loop's counters (plain HTTP: http_loop.h). */
struct http_loop_stats {
    int nconn;              /* connections on the loop now */
    int busy_pm;            /* busy fraction of the last window, per mille */
    unsigned long handed;   /* connections the front handed to it so far */
    unsigned long shed;     /* keep-alive answers it sent with Connection: close to move them */
};

/* Start serving. `env` and `auth` (may be NULL: every authenticated route answers 401)
 * are borrowed and must outlive the server. DM_OK or DM_E_INVAL/DM_E_IO with err. */
int http_server_start(const struct http_config *cfg, struct route_env *env,
                      struct auth_ctx *auth, struct http_server **out, char *err, size_t cap);
/* The bound TCP port. */
int http_server_port(const struct http_server *s);
/* The auth keys were reloaded (SIGHUP): forget the tokens verified with the old ones.
 * Call after auth_ctx_reload, from any thread. */
void http_server_auth_reloaded(struct http_server *s);
/* Loop i's counters; false when there is no loop i (TLS has none). */
bool http_server_loop_stats(const struct http_server *s, unsigned i, struct http_loop_stats *out);
/* Tests: loop i's busy fraction reads as pm per mille (-1: measured). */
void http_server_loop_force_busy(struct http_server *s, unsigned i, int pm);
/* Requests currently being processed (including those waiting on the master). */
long http_server_in_flight(const struct http_server *s);
/* Drain: readyz answers 503 from now on, status streams end; wait until nothing is in flight or deadline_ms
 * passes. true when drained. */
bool http_server_drain(struct http_server *s, int64_t deadline_ms);
/* Stop: waits for suspended requests (bounded by their rpc deadlines), stops MHD, frees. */
void http_server_stop(struct http_server *s);

#endif /* GW_HTTP_SERVER_H */

/* http_park.h - idle keep-alive connections held outside libmicrohttpd ("parked").
 *
 * Why: libmicrohttpd 0.9.75 gives every connection a fixed memory pool (about the header
 * limit, 16 KiB by default) and zeroes all of it after each request, so every keep-alive
 * connection that has served a request keeps that pool resident until it closes. MHD
 * cannot release an idle connection's pool. Parking takes idle connections out of MHD:
 *
 *   - On NOTIFY_CONNECTION STARTED we dup() the socket (our own reference).
 *   - MHD's connection timeout is `park_after` seconds; while a request is in progress
 *     (from the URI-log callback, i.e. its request line, to NOTIFY_COMPLETED) the
 *     connection gets the configured inactivity timeout instead.
 *   - When MHD closes a connection that is idle (its last request completed and allowed
 *     keep-alive, no new request line since) because it timed out (at least `park_after`
 *     idle), our dup stays open: MHD runs with MHD_USE_TURBO, so it close()s without
 *     shutdown(), and the TCP connection survives. The socket waits in our epoll set
 *     ("parked"): about 200 bytes instead of a pool.
 *   - A parked socket that becomes readable (the client's next request, still unread in
 *     the kernel) is handed back with MHD_add_connection on a fresh dup; EOF, errors and
 *     the configured inactivity timeout (counted from the last activity) close it.
 *   - Connection limits (total and per IP) count parked connections too: this module
 *     enforces them when the front accepts (http_park_accept_policy); MHD's own per-IP
 *     limit is off.
 *
 * What can be lost: a client that sent part of a request head and stalled for
 * `park_after` seconds is answered 408 and closed: the read gate (http_gate.h) has read
 * that part, so the connection cannot be parked (before the gate MHD had read it and the
 * rest got 400). A new connection's head not whole within the inactivity timeout: 408.
 * Connections that must close (Connection: close, HTTP/1.0, early error answers, MHD's
 * own error answers, client EOF) are never parked: only a close at least `park_after`
 * after the last completed request counts as an idle timeout.
 *
 * The front (listen_fd given to http_park_start) also accepts new connections: it counts
 * them, waits (epoll, edge-triggered, MSG_PEEK) for the whole request head, checks it with
 * http_frame.h and answers + closes a bad one itself; a good one goes to MHD. Inside MHD
 * every connection has a read gate (http_gate.h, registered at STARTED): what the gate
 * refuses is answered here when MHD closes the connection (NOTIFY_CONNECTION CLOSED), on
 * our dup, and such a connection is never parked. A head not
 * complete within the inactivity timeout is closed. With park_after_s 0 nothing is parked
 * but the front still checks heads.
 *
 * Plain HTTP only (TLS state lives inside MHD). Freed MHD pools go back to the OS with
 * malloc_trim at most once per second after parking.
 *
 * Threads: the callbacks run on the loops' threads (http_loop.h); one front thread of ours
 * owns the parked set (epoll) and is the only one that frees parked connections. start/close_all/stop/free
 * from the controlling thread. */
#ifndef GW_HTTP_PARK_H
#define GW_HTTP_PARK_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_frame.h"

struct http_park_cfg {
    unsigned park_after_s;      /* MHD's timeout for idle connections; 0 = never park */
    unsigned idle_timeout_s;    /* total inactivity before close (0 = never) */
    unsigned max_connections;   /* total, parked included (0 = unlimited) */
    unsigned max_per_ip;        /* 0 = unlimited */
    struct http_frame_limits frame;   /* request heads checked by the front */
};

struct http_park;
struct http_loops;

/* DM_OK / DM_E_NOMEM / DM_E_IO. No thread yet: pass the callbacks below to MHD, start
 * the daemon, then http_park_start. */
int http_park_new(const struct http_park_cfg *cfg, struct http_park **out);
/* Start the front thread for the loops' daemons (http_loop.h). listen_fd >= 0 (borrowed;
 * MHD never sees it): the front accepts every connection itself, peeks its request head
 * and hands it to a loop only when http_frame_check_raw accepts it (a bad head is
 * answered and closed without MHD). The same happens to a parked connection whose next
 * request arrives. DM_OK or DM_E_IO. */
int http_park_start(struct http_park *p, struct http_loops *loops, int listen_fd);
/* The loops' http_loop_refused_fn (cls = the struct http_park): MHD refused a
 * handed-over connection. */
void http_park_refused(void *cls, void *item);

/* The front's count of a new connection (total and per IP; MHD_NO: over a limit). */
enum MHD_Result http_park_accept_policy(void *cls, const struct sockaddr *addr, socklen_t len);
/* MHD callbacks, cls = the struct http_park. */
void http_park_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                 enum MHD_ConnectionNotificationCode code);
void *http_park_uri_log(void *cls, const char *uri, struct MHD_Connection *c);
/* MHD's thread, answering a complete request on c: may c be closed after this answer
 * without losing a request? Yes when c came to MHD at least min_age_ms ago and nothing of
 * a next request has arrived (not read by MHD or the gate, none waiting in the kernel;
 * one MSG_PEEK). False when c is not gated (nothing known). */
bool http_park_may_close(struct MHD_Connection *c, int64_t min_age_ms);
/* From NOTIFY_COMPLETED: the request on c finished; keepalive = MHD keeps the connection
 * (completed OK, HTTP/1.1, no "close" token, answered after the request was read). */
void http_park_request_done(struct http_park *p, struct MHD_Connection *c, bool keepalive);
/* Do c's reads go through the read gate (http_gate.h)? Then every request head MHD parsed
 * on it passed http_frame_stream_scan, the same rules as the access handler's check. */
bool http_park_gated(struct MHD_Connection *c);

/* Drain: park no more; close every parked connection, except those whose next request
 * already arrived: they go back to MHD and are answered. Returns once the front thread
 * did it (at most ~1 s). */
void http_park_close_all(struct http_park *p);
/* Connections handed back to MHD that it has not started yet. */
long http_park_pending(struct http_park *p);
/* Stop the front thread and close what it holds. Call before MHD_stop_daemon. */
void http_park_stop(struct http_park *p);
/* After MHD_stop_daemon. NULL is fine. */
void http_park_free(struct http_park *p);
/* Connections parked right now. */
long http_park_count(const struct http_park *p);

#endif /* GW_HTTP_PARK_H */

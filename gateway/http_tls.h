/* http_tls.h - the read gate (http_gate.h) on TLS connections: the same request-head,
 * body-framing and slow-body rules as on plain HTTP, and the same problem+json refusals.
 *
 * Why: TLS connections have no front (their bytes cannot be peeked before the handshake)
 * and the plain gate's recv() sees only ciphertext. libmicrohttpd 0.9.75 reads a TLS
 * connection's decrypted bytes with gnutls_record_recv(session, buf, len) and ends it
 * with gnutls_bye(session, GNUTLS_SHUT_WR) (MHD_connection_mark_closed_, no
 * MHD_USE_TURBO). This module defines both functions: the executable's definitions take
 * precedence over libgnutls's for libmicrohttpd's calls (dynamic symbol interposition,
 * as http_gate.c does with recv), and every call on a session that is not a gated
 * connection's goes to libgnutls's own (dlsym RTLD_NEXT).
 *   - gnutls_record_recv on a gated session runs http_gate_read with the session as the
 *     gate's source: libmicrohttpd gets only whole acceptable elements (bare LF,
 *     obs-fold, `Content-Length: 16 `, bad chunk lines never reach its parser, so its
 *     HTML error pages do not happen). EAGAIN goes back only when libgnutls said so
 *     (libmicrohttpd then waits for epoll; for TLS it clears read-readiness only then).
 *   - gnutls_bye on a gated session whose gate refused something first sends the
 *     verdict (one problem+json, Connection: close) through the session, then closes it.
 *     libmicrohttpd calls NOTIFY_COMPLETED before that, so an early answer still cancels
 *     the verdict (http_gate_request_done).
 *   - The handshake is libgnutls's: it reads the socket with recv(fd, .., 0), which
 *     http_gate.c's recv hands to this module for a TLS gate (struct http_gate raw): the
 *     bytes pass untouched, except a connection's first bytes that are an HTTP request
 *     line (plain HTTP sent to the HTTPS port): a plain-text problem+json 400, then end of
 *     file. (libmicrohttpd counts its inactivity timeout from the connection's start until
 *     the handshake is done, so a ClientHello sent a byte at a time is closed after
 *     connection-timeout.)
 *
 * Also here: max-connections-per-ip over TLS, counted as on plain HTTP (conn_limits.h:
 * IPv4 by address, IPv6 by /64; MHD's own per-IP limit, per whole address, is off). The
 * accept policy counts a connection before libmicrohttpd allocates anything for it (over
 * the limit: closed at once, no answer - nothing can be said before the handshake);
 * NOTIFY_CONNECTION CLOSED uncounts it. libmicrohttpd calls the policy and then STARTED
 * on the same thread, or (out of memory, gnutls_init or epoll_ctl failed) neither STARTED
 * nor CLOSED: a count STARTED never claimed is given back at that thread's next accept.
 *
 * Also here: the request-target NUL check for connections whose fd is beyond the gate's
 * table (libmicrohttpd's URI log callback; then only the access handler's rules apply).
 *
 * Ownership: struct http_tls is owned by the server (http_tls_new / http_tls_free, after
 * MHD_stop_daemon); one record per connection from NOTIFY_CONNECTION STARTED to CLOSED
 * (the connection's socket_context). Thread-safety: a connection's record is used by the
 * one libmicrohttpd thread that serves it; the descriptor table is http_gate.c's. */
#ifndef GW_HTTP_TLS_H
#define GW_HTTP_TLS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "http_frame.h"

struct http_tls;

/* lim copied; body_timeout_ms as http_gate's (0 = none); max_per_ip 0: no per-IP limit.
 * DM_OK, DM_E_NOMEM, or DM_E_IO when libgnutls's own gnutls_record_recv / gnutls_bye
 * cannot be found. */
int http_tls_new(const struct http_frame_limits *lim, unsigned body_timeout_ms,
                 unsigned max_per_ip, struct http_tls **out);
/* After MHD_stop_daemon. NULL is fine. */
void http_tls_free(struct http_tls *t);

/* MHD callbacks, cls = the struct http_tls. */
enum MHD_Result http_tls_accept_policy(void *cls, const struct sockaddr *addr, socklen_t len);
void http_tls_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                enum MHD_ConnectionNotificationCode toe);
void *http_tls_uri_log(void *cls, const char *uri, struct MHD_Connection *c);

/* Do c's reads go through the gate (every head MHD parsed passed the framing rules)? */
bool http_tls_gated(struct MHD_Connection *c);
/* Ungated connections: did the request target MHD just logged hold a NUL? (version =
 * the access handler's version pointer.) Resets the check for the next request. */
bool http_tls_target_has_nul(struct MHD_Connection *c, const char *version);
/* From NOTIFY_COMPLETED, as http_park_request_done. */
void http_tls_request_done(struct MHD_Connection *c, bool keepalive);

#endif /* GW_HTTP_TLS_H */

/* conn_limits.h - the gateway's connection counts against max-connections and
 * max-connections-per-ip. Every connection the gateway holds counts (inside MHD, parked,
 * or waiting for its request head in the front, http_park.h), from accept to its last
 * close; over TLS (no front) from libmicrohttpd's accept policy to its CLOSED notice
 * (http_tls.h). MHD's own per-IP limit is always off. "Per IP" is per IPv4 address and
 * per IPv6 /64 prefix (v4-mapped, v4-compatible, NAT64 64:ff9b::/96 and Teredo addresses:
 * per whole address, they carry an IPv4 client).
 *
 * Ownership: conn_limits_new returns an owned table (conn_limits_free).
 * Errors: conn_limits_take returns false over a limit or out of memory.
 * Thread-safety: every function may be called from any thread (one mutex inside); the
 * pending count of conn_limits_accept is per thread. */
#ifndef GW_CONN_LIMITS_H
#define GW_CONN_LIMITS_H

#include <stdbool.h>
#include <sys/socket.h>

struct conn_limits;

/* max_total 0 or max_per_ip 0: that limit is off. NULL only when out of memory. */
struct conn_limits *conn_limits_new(unsigned max_total, unsigned max_per_ip);
/* Count a new connection from a; false (nothing counted) when it would pass a limit. */
bool conn_limits_take(struct conn_limits *l, const struct sockaddr *a);
/* Uncount one (DM_ASSERT: it was counted); a NULL address uncounts the total only. */
void conn_limits_release(struct conn_limits *l, const struct sockaddr *a);
void conn_limits_free(struct conn_limits *l);

/* libmicrohttpd's accept policy, then its STARTED notice on the same thread (http_tls.h).
 * conn_limits_accept: conn_limits_take, and the count becomes this thread's pending one;
 * a pending count not claimed by this thread's next conn_limits_accept (its connection
 * never started: libmicrohttpd failed after the policy) is released then.
 * conn_limits_claim: this thread's pending count of l into the caller's hands (its
 * address into out; the caller releases it): false when there is none.
 * Another thread's pending count must not outlive l: call conn_limits_accept only on
 * threads that end before conn_limits_free (libmicrohttpd's, joined by MHD_stop_daemon). */
bool conn_limits_accept(struct conn_limits *l, const struct sockaddr *a, socklen_t len);
bool conn_limits_claim(struct conn_limits *l, struct sockaddr_storage *out);

#endif /* GW_CONN_LIMITS_H */

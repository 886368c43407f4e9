/* conn_limits.h - the gateway's connection counts against max-connections and
 * max-connections-per-ip. Every connection the gateway holds counts (inside MHD, parked,
 * or waiting for its request head in the front, http_park.h), from accept to its last
 * close; MHD's own per-IP limit is off when these apply. "Per IP" is per IPv4 address and
 * per IPv6 /64 prefix (v4-mapped, v4-compatible, NAT64 64:ff9b::/96 and Teredo addresses:
 * per whole address, they carry an IPv4 client).
 *
 * Ownership: conn_limits_new returns an owned table (conn_limits_free).
 * Errors: conn_limits_take returns false over a limit or out of memory.
 * Thread-safety: every function may be called from any thread (one mutex inside). */
#ifndef GW_CONN_LIMITS_H
#define GW_CONN_LIMITS_H

#include <stdbool.h>
#include <sys/socket.h>

struct conn_limits;

/* max_total 0 or max_per_ip 0: that limit is off. NULL only when out of memory. */
struct conn_limits *conn_limits_new(unsigned max_total, unsigned max_per_ip);
/* Count a new connection from a; false (nothing counted) when it would pass a limit. */
bool conn_limits_take(struct conn_limits *l, const struct sockaddr *a);
/* Uncount one; a NULL address uncounts the total only. */
void conn_limits_release(struct conn_limits *l, const struct sockaddr *a);
void conn_limits_free(struct conn_limits *l);

#endif /* GW_CONN_LIMITS_H */

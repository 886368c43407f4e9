/* gw_inproc.h - a dm-gateway HTTP server inside the test process (the real http_server.h
 * front, access handler and routes) on 127.0.0.1:<any port>, in front of a pb.Master at
 * 127.0.0.1:master_port (tests/support/scripted_master.h; 0 = none: master calls fail).
 * Used by the framing test suite and the raw-request fuzzer.
 *
 * Ownership: gw_inproc_start returns an owned server (gw_inproc_stop frees it).
 * Thread-safety: start/stop from one thread; takes an rpc_global_init reference. */
#ifndef DM_GW_INPROC_H
#define DM_GW_INPROC_H

#include <stdbool.h>
#include <stddef.h>

struct gw_inproc_cfg {
    int master_port;          /* 0: no master */
    const char *secret;       /* HS256 secret; NULL: no auth keys (tokens always 401) */
    size_t max_body;          /* 0: 1 MiB */
    size_t max_body_buffer;   /* max-body-buffer (0: unbounded) */
    unsigned conn_timeout_s;  /* 0: 30 */
    unsigned park_after_s;    /* idle-park-after (0: off) */
    unsigned max_per_ip;      /* max-connections-per-ip (0: off) */
    const char *tls_cert_pem; /* both: serve HTTPS (no front; the gate, http_tls.h) */
    const char *tls_key_pem;
    unsigned sse_heartbeat_s; /* status stream heartbeat (0: 15 s) */
    unsigned idem_max_keys;   /* Idempotency-Key store (0: keys ignored; 1 MiB, 1 h) */
    bool loops_by_load;       /* --loop-placement-by-load */
    bool loops_merge;         /* --loop-placement-merge */
    const char *listen_addr;  /* NULL: 127.0.0.1:0 ("[::1]:0": IPv6 loopback) */
};

struct gw_inproc;
struct http_server;
struct rpc_channel;

/* A channel to `addr` over the transport the environment names (DMGW_MASTER_TRANSPORT=h2:
 * rpc_channel_new_h2, else gRPC core), so that one test runs over either (ctest *_h2). */
struct rpc_channel *gw_test_master_channel(const char *addr);

/* An HS256 token for subject "tester" with `scope`, valid ttl_s seconds from now, into out
 * (cap bytes); aborts the test program when minting fails or the token does not fit. */
void gw_test_mint(char *out, size_t cap, const char *secret, const char *scope, long ttl_s);

struct gw_inproc *gw_inproc_start(const struct gw_inproc_cfg *cfg);
int gw_inproc_port(const struct gw_inproc *g);
/* The server inside (http_server.h: loop counters for tests of the loops). */
struct http_server *gw_inproc_server(struct gw_inproc *g);
void gw_inproc_stop(struct gw_inproc *g);

#endif /* DM_GW_INPROC_H */

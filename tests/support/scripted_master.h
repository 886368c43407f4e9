/* scripted_master.h - an in-process pb.Master for tests, built on rpc/'s server: every
 * RPC of the service is registered; each answers a canned response (JSON in proto3/dmctl
 * field names, decoded with rpc/pbjson), a gRPC error status, after an optional delay, or
 * never (held until sm_stop). Calls are counted and the last request of each RPC is kept
 * as compact JSON.
 *
 * Default answer of an RPC without a script: the empty response with `result` = true.
 * Needs rpc_global_init() first. Thread-safety: all functions are thread-safe.
 * Ownership: sm_start returns an owned master (sm_stop frees it); sm_last_request returns
 * a malloc'd string. */
#ifndef DM_SCRIPTED_MASTER_H
#define DM_SCRIPTED_MASTER_H

#include <stdbool.h>
#include <stdint.h>

struct scripted_master;

/* Listen on 127.0.0.1:<any>; *port receives the port. NULL on failure. */
struct scripted_master *sm_start(int *port);
/* Listen on 127.0.0.1:*port (0: any; *port receives it), e.g. to restart a master on the
 * port a gateway already points at. NULL on failure. */
struct scripted_master *sm_start_on(int *port);
/* Answer held calls with CANCELLED, wait for delayed ones, shut down, free. */
void sm_stop(struct scripted_master *sm);

/* Canned OK answer for `rpc` ("QueryStatus"); 0 or -1 when the JSON does not decode. */
int sm_set_json(struct scripted_master *sm, const char *rpc, const char *json);
/* Answer `rpc` with a gRPC error status (e.g. 12 UNIMPLEMENTED). */
int sm_set_status(struct scripted_master *sm, const char *rpc, int status, const char *details);
/* Delay every answer of `rpc` by ms. */
void sm_set_delay(struct scripted_master *sm, const char *rpc, int64_t ms);
/* Never answer `rpc` (until sm_stop). */
void sm_set_never(struct scripted_master *sm, const char *rpc, bool never);
/* Forget every script (counts kept). */
void sm_reset(struct scripted_master *sm);

/* Calls received for `rpc` (NULL: all RPCs). */
unsigned sm_count(struct scripted_master *sm, const char *rpc);
/* Last request of `rpc` as compact JSON, or NULL. */
char *sm_last_request(struct scripted_master *sm, const char *rpc);

#endif /* DM_SCRIPTED_MASTER_H */

/* metrics.h - the gateway's Prometheus metrics (process-wide registry, text format 0.0.4).
 *   dmgw_http_requests_total{route,method,code}
 *   dmgw_http_request_duration_seconds{route} (histogram)
 *   dmgw_http_in_flight_requests
 *   dmgw_master_rpc_total{rpc,outcome}        outcome = ok | dm_error | <grpc status name>
 *   dmgw_master_rpc_duration_seconds{rpc}     (histogram)
 *   dmgw_auth_failures_total{reason}
 *   dmgw_coalesced_requests_total             reads answered by another request's RPC
 *   dmgw_sse_watchers                         open status streams (gauge)
 *   dmgw_sse_polls_total                      QueryStatus polls made for status streams
 *   dmgw_http_parked_connections              idle keep-alive connections parked (gauge)
 *   dmgw_http_parks_total                     connections parked so far
 *   dmgw_idempotency_requests_total{outcome}  stored | replayed | in_progress | mismatch
 *   dmgw_idempotency_keys                     Idempotency-Keys held (gauge)
 *   dmgw_build_info{version}
 *   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
 *   process_open_fds, process_max_fds, process_start_time_seconds (from /proc/self)
 * Label values are borrowed static strings (route templates, rpc names, reason names).
 * Bounded: at most METRICS_MAX_SERIES series per family; further ones are dropped and
 * counted in dmgw_metrics_dropped_total. Thread-safety: all functions are thread-safe. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdint.h>

#include "buf.h"

#define METRICS_MAX_SERIES 512

void metrics_set_version(const char *version);   /* static string */
void metrics_http_observe(const char *route, const char *method, int code, int64_t dur_us);
void metrics_in_flight_add(int delta);
/* status: the call's rpc_status; counted under its outcome label (ok, cancelled,
 * deadline_exceeded, unimplemented, unavailable, resource_exhausted, error) */
void metrics_rpc_observe(const char *rpc, int status, int64_t dur_us);
void metrics_auth_failure(const char *reason);
void metrics_coalesced_add(int n);
void metrics_sse_watchers_add(int delta);
void metrics_sse_poll(void);
void metrics_http_parked_add(int delta);
/* A new connection waits outside MHD for its request head (gauge only, not a park). */
void metrics_http_waiting_add(int delta);
enum metrics_idem { METRICS_IDEM_STORED, METRICS_IDEM_REPLAYED, METRICS_IDEM_BUSY,
                    METRICS_IDEM_MISMATCH, METRICS_IDEM_NONE };
/* An Idempotency-Key outcome (METRICS_IDEM_NONE: none) and the change of keys held. */
void metrics_idempotency(enum metrics_idem what, int keys_delta);
/* Render everything. DM_OK / DM_E_TOO_LARGE / DM_E_NOMEM. */
int metrics_render(struct dm_buf *out);
/* Value of dmgw_master_rpc_total summed over outcomes for `rpc` (tests, coalescing). */
uint64_t metrics_rpc_count(const char *rpc);

#endif /* GW_METRICS_H */

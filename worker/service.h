/* service.h - pb.Worker over rpc/: all 16 RPCs registered. StartSubTask /
 * OperateSubTask / UpdateSubTask / QueryTaskOperation answer a gRPC error (UNKNOWN,
 * text = DM terror string) when the request cannot be accepted; operation outcomes
 * (stage errors, unknown/duplicate subtask) are in the operation log (worker.h).
 * Relay, sql-skip/replace/inject and sharding DDL RPCs answer result=false
 * "... not supported by this worker yet". FetchDDLInfo keeps the stream open and never
 * sends (no sharding DDL is ever pending).
 * Ownership: the service borrows the worker (free the service first).
 * Thread-safety: handlers run on the rpc server threads. */
#ifndef DM_WORKER_SERVICE_H
#define DM_WORKER_SERVICE_H

#include <stddef.h>

#include "worker.h"

struct worker_service;

/* Listen on `addr` ("host:port"; ":8262" means all interfaces). */
int worker_service_start(struct worker *w, const char *addr, int nthreads,
                         struct worker_service **out, int *bound_port, char *err, size_t cap);
/* Graceful shutdown (in-flight calls get `grace_ms`) and free. */
void worker_service_stop(struct worker_service *s, int64_t grace_ms);

#endif /* DM_WORKER_SERVICE_H */

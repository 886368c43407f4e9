/* coalesce.h - identical concurrent reads share one master RPC (rest-api.md principle 6).
 *
 * A flight is keyed by (method path, deadline, packed request bytes). The first caller
 * starts the RPC; identical calls that arrive while it is in flight join it as waiters;
 * when the answer arrives every waiter's `deliver` runs, one after the other, on the
 * rpc client thread with the same raw answer (rpc_answer, borrowed: a waiter takes its
 * own reference). Each waiter decodes it and builds its own response (its own query
 * options, request id, headers) on the thread that owns its request, never on the rpc
 * thread. Only the leader's x-request-id reaches the master.
 *
 * Ownership: the coalescer owns its flights; waiters are borrowed (each stays alive
 * until its deliver ran). Thread-safety: all functions are thread-safe. Bounded: at
 * most COALESCE_MAX_WAITERS per flight (further callers start their own RPC). */
#ifndef GW_COALESCE_H
#define GW_COALESCE_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "rpc.h"

#define COALESCE_MAX_WAITERS 4096

struct coalescer;
struct route_ctx;

typedef void (*coalesce_deliver_fn)(struct route_ctx *c, struct rpc_answer *a);

/* NULL on out-of-memory. */
struct coalescer *coalescer_new(void);
/* Must not have flights in flight (callers wait for their RPCs first). NULL ok. */
void coalescer_free(struct coalescer *co);

/* Join an identical in-flight call, or start it on `ch`. `req` and `md` are borrowed.
 * DM_OK: deliver(c, a) runs exactly once (rpc client thread; or the leader's thread
 * with status RPC_UNAVAILABLE when the leader's start failed after c joined).
 * DM_E_*: nothing was started for c and deliver never runs for it. */
int coalesce_call(struct coalescer *co, struct rpc_channel *ch, const struct rpc_method *m,
                  const ProtobufCMessage *req, int64_t timeout_ms, const struct rpc_md *md,
                  size_t nmd, coalesce_deliver_fn deliver, struct route_ctx *c);

/* Flights currently in flight (tests). */
unsigned coalesce_in_flight(struct coalescer *co);

#endif /* GW_COALESCE_H */

/* rpc_int.h - internals shared by the files of rpc/ (and its white-box tests).
 * Not part of the rpc.h contract: nothing outside rpc/ and tests/unit/rpc includes it.
 *
 * Tags: every completion-queue tag we hand to gRPC points at a struct rpc_tag embedded in
 * the owning object (reached with container_of, common/dm_container.h); the queue loop
 * calls tag->fn(tag, ev.success). */
#ifndef DM_RPC_INT_H
#define DM_RPC_INT_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stdint.h>

#include "rpc.h"

/* ThreadSanitizer cannot see the ordering gRPC's completion queue provides (libgrpc is not
 * instrumented): everything written before a tag is handed to gRPC happens before the code
 * that receives the tag from the queue. rpc_tag_handoff(tag) right before a call that
 * takes a tag, rpc_tag_received(tag) right after the queue returned it; no-ops unless
 * built with -fsanitize=thread (DMGW_TSAN). */
#if defined(__SANITIZE_THREAD__)
#define RPC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RPC_TSAN 1
#endif
#endif
#ifdef RPC_TSAN
#include <sanitizer/tsan_interface.h>
#define rpc_tag_handoff(tag) __tsan_release((void *)(tag))
#define rpc_tag_received(tag) __tsan_acquire((void *)(tag))
/* Releasing what gRPC core allocated and filled (a request's metadata array, call details,
 * payload, the call): core may have done that on ANOTHER thread polling another queue, and
 * published it to ours through its own (uninstrumented) synchronisation, so TSan sees the
 * free race with core's realloc there (session 10/11's server_call_free report, "failed to
 * restore the stack"). Only the release of core-owned memory is run with this thread's
 * accesses ignored; our own fields and frees stay checked. */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#define rpc_core_free_begin() __tsan_ignore_thread_begin()
#define rpc_core_free_end() __tsan_ignore_thread_end()
#else
#define rpc_tag_handoff(tag) ((void)(tag))
#define rpc_tag_received(tag) ((void)(tag))
#define rpc_core_free_begin() ((void)0)
#define rpc_core_free_end() ((void)0)
#endif

struct rpc_tag {
    void (*fn)(struct rpc_tag *t, bool ok);
};

/* ---- global.c ---- */
/* The client completion queue (NULL before rpc_global_init / after shutdown). */
grpc_completion_queue *rpc_client_cq(void);
/* Watch ch's connectivity on the client queue (tag fires on a change from `last` or
 * after ms). DM_OK, or DM_E_STATE once rpc_global_shutdown began (nothing armed): the
 * check and the arming happen under one lock with the queue's shutdown. */
int rpc_client_watch(grpc_channel *ch, grpc_connectivity_state last, int64_t ms,
                     struct rpc_tag *tag);
/* true on the client completion-queue thread (where blocking would deadlock). */
bool rpc_on_client_thread(void);
/* Dispatch the events of a next-type queue until GRPC_QUEUE_SHUTDOWN. */
void rpc_cq_loop(grpc_completion_queue *cq);
/* Abseil settings for gRPC core (absl_tune.cc): mutex deadlock detection off unless
 * DMGW_ABSL_DEADLOCK_DETECTION=1. Called once before grpc_init. */
void rpc_absl_tune(void);
/* Monotonic deadline `ms` from now; ms <= 0 means no deadline. */
gpr_timespec rpc_deadline_after(int64_t ms);
int64_t rpc_now_us(void);
/* Channel/server arguments (64 MiB messages, keepalive, reconnect backoff). */
const grpc_channel_args *rpc_channel_args(void);
const grpc_channel_args *rpc_server_args(void);
/* malloc'd NUL-terminated copy of a slice; NULL on out-of-memory. */
char *rpc_slice_strdup(grpc_slice s);
/* Copy md[0..n) into a new grpc_metadata array (*out; NULL when n == 0).
 * DM_OK, DM_E_INVAL (NULL key/value, illegal key) or DM_E_NOMEM. */
int rpc_md_to_grpc(const struct rpc_md *md, size_t n, grpc_metadata **out);
void rpc_md_grpc_free(grpc_metadata *g, size_t n);
/* Map a grpc_call_error of grpc_call_start_batch: not OK is a bug (asserts in debug). */
void rpc_batch_check(grpc_call_error e, const char *where);

/* true on an h2 channel's reader thread too (h2_client.c marks it). */
void rpc_mark_client_thread(void);

/* ---- client.c ---- */
/* An answer holding a copy of `body` (NULL/0: none) and details; NULL on out-of-memory. */
struct rpc_answer *rpc_answer_make(int status, const char *details, size_t dlen,
                                   const ProtobufCMessageDescriptor *out, const uint8_t *body,
                                   size_t blen, int64_t elapsed_us);

/* ---- h2_client.c: the lean transport (rpc_channel_new_h2) ---- */
struct h2_chan;
struct h2_chan *h2_chan_new(const char *target);
void h2_chan_free(struct h2_chan *h);
bool h2_chan_known_down(struct h2_chan *h);
enum rpc_chan_state h2_chan_state(struct h2_chan *h, bool try_connect);
/* Start a unary call (req packed before return); `done` runs on the channel's reader
 * thread, or (may_lane, and the calling thread has a lane of this channel that takes it:
 * rpc_lane_new) on the calling thread inside rpc_lane_service. DM_OK or DM_E_INVAL
 * (metadata) / DM_E_TOO_LARGE / DM_E_NOMEM. */
int h2_call_start(struct h2_chan *h, const char *path, const ProtobufCMessageDescriptor *out,
                  const ProtobufCMessage *req, int64_t timeout_ms, const struct rpc_md *md,
                  size_t nmd, rpc_answer_fn done, void *arg, bool may_lane);

/* ---- channel.c ---- */
/* The h2 transport of the channel, NULL for a gRPC core channel. */
struct h2_chan *rpc_channel_h2(const struct rpc_channel *ch);
/* A new call to `path` (registered on the channel on first use) bound to `cq`.
 * NULL when the path cannot be registered (out-of-memory). */
grpc_call *rpc_channel_call(struct rpc_channel *ch, const char *path,
                            grpc_completion_queue *cq, gpr_timespec deadline);

/* ---- client.c: test hook ---- */
/* Blocking unary call sending `len` raw bytes (not necessarily a valid message) to
 * `path`; the response (if any) is discarded. Same returns as rpc_call_sync. */
int rpc_call_raw_sync(struct rpc_channel *ch, const char *path, const void *data, size_t len,
                      int64_t timeout_ms, int *status, char *details, size_t cap);

/* ---- stream.c: server side hand-off ---- */
/* Run a server-side stream handler on a new detached thread. Takes ownership of
 * `call` and of `cq` (a pluck queue bound to the call). `on_exit(arg)` is called
 * last on that thread, after everything was released. DM_OK or DM_E_NOMEM/DM_E_INTERNAL
 * (then nothing was taken). */
int rpc_stream_serve(grpc_call *call, grpc_completion_queue *cq, const struct rpc_method *m,
                     rpc_stream_handler_fn fn, void *ctx, void (*on_exit)(void *), void *arg);
/* Shut down and drain a pluck queue no call uses any more, then destroy it. */
void rpc_pluck_cq_destroy(grpc_completion_queue *cq);

#endif /* DM_RPC_INT_H */

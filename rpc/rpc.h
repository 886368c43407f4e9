/* rpc.h - the project's gRPC layer (the only code that includes <grpc/grpc.h>).
 * Unary client calls with deadlines, metadata and asynchronous completion (fan-out),
 * a multi-threaded server with registered methods whose handlers may answer later
 * from any thread, a bidi-stream client/server pair for pb.Worker/FetchDDLInfo, and the
 * protobuf-c codec (codec.c) underneath.
 *
 * Errors: functions return DM_OK or a negative DM_E_* (common/dm_error.h).
 * Threads: rpc_global_init() once per process before anything else; the client runs
 * one completion-queue thread per process (callbacks run on it: keep them short and
 * never block in them); the server runs `nthreads` completion-queue threads of its own.
 * Everything else is safe to call from any thread unless noted.
 * Internals (threads, ownership, shutdown order): docs/internals/rpc.md. */
#ifndef DM_RPC_H
#define DM_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* gRPC status codes we name (same numbers as grpc_status_code). */
enum rpc_status {
    RPC_OK = 0, RPC_CANCELLED = 1, RPC_UNKNOWN = 2, RPC_INVALID_ARGUMENT = 3,
    RPC_DEADLINE_EXCEEDED = 4, RPC_NOT_FOUND = 5, RPC_RESOURCE_EXHAUSTED = 8,
    RPC_UNIMPLEMENTED = 12, RPC_INTERNAL = 13, RPC_UNAVAILABLE = 14
};

/* Process-wide init/shutdown (grpc_init + the client completion-queue thread). */
int rpc_global_init(void);
void rpc_global_shutdown(void);
/* Before rpc_global_init: this process only makes small unary client calls (dm-gateway):
 * its channels send no BDP pings (flow-control window probing for bulk transfers). */
void rpc_global_small_unary_client(bool on);

/* ---------- methods ---------- */

/* A unary or streaming method of a service, e.g. "/pb.Master/QueryStatus". */
struct rpc_method {
    const char *path;                             /* "/pb.Master/QueryStatus" */
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    bool client_streaming, server_streaming;
};
/* Find method `name` ("QueryStatus") of `svc` (e.g. &pb__master__descriptor).
 * Returns a static/borrowed pointer (valid for the life of the process; the same
 * pointer for every lookup) or NULL. Thread-safe. protobuf-c descriptors do not record
 * streaming: the streaming flags come from a list in method.c (pb.Worker/FetchDDLInfo). */
const struct rpc_method *rpc_method_find(const ProtobufCServiceDescriptor *svc, const char *name);

/* ---------- metadata ---------- */
struct rpc_md {
    const char *key;   /* lower-case, e.g. "x-request-id" */
    const char *value;
};

/* ---------- client ---------- */

struct rpc_channel;   /* one per target; thread-safe; shared by many calls */

/* Insecure channel to "host:port" (the target is copied). NULL on out-of-memory or an
 * empty target. 64 MiB message limit, keepalive ping every 6 min while calls are active
 * (Go servers reject faster pings), reconnect backoff 1-3 s; calls are fail-fast: a
 * target that refuses connections gives UNAVAILABLE at once, not at the deadline.
 * rpc_channel_free may be called with calls in flight (their callbacks still run). */
struct rpc_channel *rpc_channel_new(const char *target);
void rpc_channel_free(struct rpc_channel *ch);
/* Same target over the lean unary transport (rpc/h2_client.c, issue 18): one HTTP/2
 * connection written by the calling thread and read by one thread of the channel, no
 * gRPC core. Only unary calls (rpc_call_start, rpc_call_start_answer, rpc_call_sync,
 * fan-out): streams and rpc_call_raw_sync give DM_E_INVAL. Callbacks run on the channel's
 * reader thread (a lane's calls: on the lane's thread, rpc_lane_new). Plain TCP only. NULL on out-of-memory or a target without a port. */
struct rpc_channel *rpc_channel_new_h2(const char *target);
const char *rpc_channel_target(const struct rpc_channel *ch);

/* A lane: an h2 connection of `ch` owned by one event loop's thread (issue 18, h2o's
 * model). Made on that thread, it binds to it: unary calls the thread starts on ch with
 * rpc_call_start / rpc_call_start_answer (not rpc_call_sync) go over the lane's
 * connection, which only this thread writes and reads, and their callbacks run on this
 * thread inside rpc_lane_service - never inside the call start. Until the lane is
 * connected (it dials, without blocking, the address the channel's own connection
 * reached, only while the channel is connected), while it cannot take another stream,
 * and for a second after it failed, calls go the channel's way (its reader thread).
 * The lane registers its socket in the loop's epoll set `epfd` with data.ptr = the lane;
 * the loop calls rpc_lane_service(l, events) for that entry's events, and also with 0
 * whenever rpc_lane_timeout_ms (its next deadline, connect timeout or pending callbacks;
 * -1: none) has passed. The frames of calls started on the lane are sent by
 * rpc_lane_flush, which the loop calls before every wait (the calls of one pass leave in
 * one send). NULL when ch is not an h2 channel, the thread has a lane already,
 * or out of memory. rpc_lane_free on the same thread, before the channel: calls in flight
 * end CANCELLED (their callbacks run inside it). */
struct rpc_lane;
struct rpc_lane *rpc_lane_new(struct rpc_channel *ch, int epfd);
int rpc_lane_timeout_ms(const struct rpc_lane *l);
void rpc_lane_service(struct rpc_lane *l, uint32_t events);
void rpc_lane_flush(struct rpc_lane *l);
void rpc_lane_free(struct rpc_lane *l);

enum rpc_chan_state { RPC_CHAN_IDLE, RPC_CHAN_CONNECTING, RPC_CHAN_READY,
                      RPC_CHAN_TRANSIENT_FAILURE, RPC_CHAN_SHUTDOWN };
/* Current connectivity state; try_connect kicks an idle channel. */
enum rpc_chan_state rpc_channel_state(struct rpc_channel *ch, bool try_connect);
const char *rpc_chan_state_name(enum rpc_chan_state s);
/* Fail-fast snapshot (issue 17): true while the channel is KNOWN to be down, that is its
 * last observed state was TRANSIENT_FAILURE and it has not been READY since (the
 * reconnect attempts in between, CONNECTING, do not clear it; calls started then would
 * wait for the attempt, up to their deadline). The first call starts a watcher on the
 * client completion queue (grpc_channel_watch_connectivity_state, re-armed at every
 * change and at least once a second); while down it asks an IDLE channel to reconnect, so
 * the snapshot turns false as soon as the target is READY again. Cheap: one atomic load
 * after the first call. False before the first failure is seen and when the client
 * queue is not running. Thread-safe. */
bool rpc_channel_known_down(struct rpc_channel *ch);

/* Outcome of one call. Owned by the callback for the duration of the callback only:
 * to keep `resp`, set res->resp = NULL after taking it (then free it yourself with
 * protobuf_c_message_free_unpacked(resp, NULL)). */
struct rpc_result {
    int status;              /* enum rpc_status; RPC_OK => resp != NULL */
    const char *details;     /* status message ("" when none); valid during the callback */
    ProtobufCMessage *resp;  /* unpacked response (of method->output) or NULL */
    int64_t elapsed_us;
};
typedef void (*rpc_done_fn)(void *arg, struct rpc_result *res);

/* Start an asynchronous unary call. `req` is borrowed (packed before return).
 * timeout_ms > 0 is required (every call has a deadline). `md`/`nmd` are copied.
 * `done` is called exactly once, on the client completion-queue thread, unless this
 * returns an error (then it is never called).
 * Errors: DM_E_INVAL (NULL args, timeout_ms <= 0, streaming method, req not of type
 * m->input, illegal metadata key/value), DM_E_STATE (rpc_global_init not called),
 * DM_E_TOO_LARGE / DM_E_NOMEM.
 * A response that does not unpack is reported as status RPC_INTERNAL. */
int rpc_call_start(struct rpc_channel *ch, const struct rpc_method *m,
                   const ProtobufCMessage *req, int64_t timeout_ms,
                   const struct rpc_md *md, size_t nmd, rpc_done_fn done, void *arg);

/* Raw answers (issue 18: decode on the thread that owns the request). A unary call started
 * with rpc_call_start_answer hands its callback the undecoded answer: status, details,
 * elapsed time and the response bytes, refcounted so that several owners (coalesced
 * waiters) can each keep a reference and decode it on their own thread. The callback
 * runs on the client completion-queue thread and should only take a reference and hand
 * it on; rpc_answer_result decodes (protobuf-c unpack of the method's output type) on the
 * caller's thread. Thread-safety: ref/unref from any thread; an answer is immutable. */
struct rpc_answer;
/* `a` is borrowed (rpc_answer_ref to keep it); NULL only when out of memory (then
 * rpc_answer_result(NULL) gives RPC_INTERNAL "out of memory"). */
typedef void (*rpc_answer_fn)(void *arg, struct rpc_answer *a);
/* Same contract as rpc_call_start, but `done` gets the raw answer. */
int rpc_call_start_answer(struct rpc_channel *ch, const struct rpc_method *m,
                          const ProtobufCMessage *req, int64_t timeout_ms,
                          const struct rpc_md *md, size_t nmd, rpc_answer_fn done, void *arg);
/* An answer made locally (a call that could not start, a known-down master): status and
 * details (copied), no body. NULL on out-of-memory. Owned by the caller (one reference). */
struct rpc_answer *rpc_answer_new(int status, const char *details);
struct rpc_answer *rpc_answer_ref(struct rpc_answer *a);   /* NULL ok */
void rpc_answer_unref(struct rpc_answer *a);   /* NULL ok */
/* Decode into *res: status/details/elapsed as received; for RPC_OK the response message
 * (owned by the caller: protobuf_c_message_free_unpacked) or, when the bytes do not
 * unpack, status RPC_INTERNAL "malformed response message". res->details points into
 * the answer (valid while the caller holds its reference). */
void rpc_answer_result(const struct rpc_answer *a, struct rpc_result *res);
/* The gRPC status as received (no decoding) and, if elapsed_us, the call's duration. */
int rpc_answer_status(const struct rpc_answer *a, int64_t *elapsed_us);

/* Blocking unary call (built on rpc_call_start). On return *status holds the gRPC
 * status, *resp_out the owned response (RPC_OK) or NULL; details (if non-NULL,
 * `cap` bytes) receives the status message. Returns DM_OK when the call completed
 * (whatever its status), else a DM_E_* (nothing was sent). status/resp_out may be
 * NULL (the response is then freed). Never call it from a completion callback:
 * it returns DM_E_STATE there (it would wait for its own thread). */
int rpc_call_sync(struct rpc_channel *ch, const struct rpc_method *m,
                  const ProtobufCMessage *req, int64_t timeout_ms,
                  const struct rpc_md *md, size_t nmd,
                  int *status, ProtobufCMessage **resp_out, char *details, size_t cap);

/* Fan-out helper: start N calls, get one callback when all N finished.
 *   struct rpc_fanout *f = rpc_fanout_new(n, all_done, arg);
 *   for i: rpc_fanout_start(f, i, ch[i], m, req[i], timeout, md, nmd);
 * all_done(arg, results, n) runs once on the client cq thread; results[i] are owned by
 * the fan-out (take resp the same way as above) and freed after all_done returns, with
 * the fan-out itself. A start that fails is recorded as results[i].status=RPC_UNAVAILABLE
 * (details = dm_strerror of the start error).
 * n >= 1 (rpc_fanout_new(0, ...) returns NULL, as on out-of-memory); every i in [0,n)
 * must be started exactly once or all_done never runs. If the LAST outstanding result
 * is a failed start, all_done runs on the caller's thread inside rpc_fanout_start. */
struct rpc_fanout;
typedef void (*rpc_fanout_done_fn)(void *arg, struct rpc_result *results, size_t n);
struct rpc_fanout *rpc_fanout_new(size_t n, rpc_fanout_done_fn done, void *arg);
void rpc_fanout_start(struct rpc_fanout *f, size_t i, struct rpc_channel *ch,
                      const struct rpc_method *m, const ProtobufCMessage *req,
                      int64_t timeout_ms, const struct rpc_md *md, size_t nmd);

/* ---------- server ---------- */

struct rpc_server;
struct rpc_server_call;   /* one incoming unary call; owned by the server */

/* Unary handler. `req` is owned by the call and valid until the reply is sent.
 * The handler (or any thread, later) must call exactly one of rpc_server_reply /
 * rpc_server_reply_error; after that `call` and `req` are gone. */
typedef void (*rpc_handler_fn)(struct rpc_server_call *call, const ProtobufCMessage *req,
                               void *ctx);

/* listen "host:port" ("127.0.0.1:0" picks a free port), 1 <= nthreads <= 256 threads,
 * each polling its own completion queue; unary handlers run on those threads (keep
 * them short or answer later from another thread). NULL on out-of-memory/bad args. */
struct rpc_server *rpc_server_new(const char *listen_addr, int nthreads);
/* Register before rpc_server_start (else DM_E_STATE; twice the same path: DM_E_CONFLICT;
 * a streaming method: DM_E_INVAL). Unregistered methods answer UNIMPLEMENTED; a request
 * that does not unpack answers INVALID_ARGUMENT without calling the handler. */
int rpc_server_register(struct rpc_server *s, const struct rpc_method *m,
                        rpc_handler_fn fn, void *ctx);
/* Bind and start the threads; *bound_port (may be NULL) receives the port.
 * DM_E_IO when the address cannot be bound (rpc_server_free still required). */
int rpc_server_start(struct rpc_server *s, int *bound_port);
/* Graceful shutdown: stop accepting, give in-flight calls grace_ms, cancel the rest,
 * drain the queues, join the threads (documented order). Idempotent.
 * Blocks until every unary handler has replied (a reply to a cancelled call is still
 * required; it just fails) and every stream handler has returned. */
void rpc_server_shutdown(struct rpc_server *s, int64_t grace_ms);
void rpc_server_free(struct rpc_server *s);

/* Value of an incoming metadata key or NULL (valid until the reply). */
const char *rpc_server_call_md(const struct rpc_server_call *call, const char *key);
/* Peer address string ("ipv4:127.0.0.1:1234"), valid until the reply. */
const char *rpc_server_call_peer(const struct rpc_server_call *call);
/* Reply OK with `resp` (borrowed; packed before return). DM_OK; DM_E_STATE when the
 * call was already answered (nothing happens); DM_E_INVAL when resp is NULL or not of
 * the method's output type (the call is then answered INTERNAL and is gone too). */
int rpc_server_reply(struct rpc_server_call *call, const ProtobufCMessage *resp);
/* Reply with a non-OK status (RPC_OK is turned into RPC_UNKNOWN). Same returns. */
int rpc_server_reply_error(struct rpc_server_call *call, int status, const char *details);

/* ---------- bidi streams (pb.Worker/FetchDDLInfo) ----------
 * Blocking API, for a dedicated thread per stream on either side. */
struct rpc_stream;
/* Client side: open a stream; deadline_ms 0 = no deadline (long-lived stream).
 * Waits until the connection took the request headers: DM_E_UNAVAILABLE when the
 * target is down; DM_E_INVAL for a unary method. */
int rpc_stream_open(struct rpc_channel *ch, const struct rpc_method *m, int64_t deadline_ms,
                    struct rpc_stream **out);
/* Server side: a handler registered with rpc_server_register_stream runs on its own
 * (detached) thread and owns the stream until it returns; the returned rpc_status is
 * then sent as the final status. Server shutdown cancels the stream, so a handler
 * blocked in recv/send gets DM_E_UNAVAILABLE and must return. */
typedef int (*rpc_stream_handler_fn)(struct rpc_stream *st, void *ctx);  /* returns rpc_status */
int rpc_server_register_stream(struct rpc_server *s, const struct rpc_method *m,
                               rpc_stream_handler_fn fn, void *ctx);
/* Send one message (borrowed; client: of m->input, server: of m->output, else
 * DM_E_INVAL). Blocks until gRPC flow control took it.
 * DM_OK or DM_E_UNAVAILABLE/DM_E_CANCELLED when closed. */
int rpc_stream_send(struct rpc_stream *st, const ProtobufCMessage *msg);
/* Receive one message (owned by the caller) waiting up to timeout_ms (<0 forever).
 * DM_OK, DM_E_TIMEOUT, or DM_E_UNAVAILABLE at end of stream / error. After a timeout
 * the receive stays pending: the next call picks the same message up. A message that
 * does not unpack cancels the stream (INVALID_ARGUMENT) and gives DM_E_UNAVAILABLE. */
int rpc_stream_recv(struct rpc_stream *st, int64_t timeout_ms, ProtobufCMessage **out);
/* Client side: half-close, read the final status, free. Messages still arriving are
 * dropped; if the server has not finished within 1 s the stream is cancelled
 * (*status = RPC_CANCELLED). Server side: no-op (freed by the server when the handler
 * returns). One stream = one thread: no concurrent calls on the same stream. */
int rpc_stream_close(struct rpc_stream *st, int *status);

#endif /* DM_RPC_H */

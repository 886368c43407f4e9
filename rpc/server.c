/* server.c - the gRPC server: registered methods, `nthreads` threads each running its
 * OWN completion queue (a queue is only ever polled by its thread), one outstanding
 * request per (thread, method) plus one generic request per thread that answers
 * UNIMPLEMENTED to anything unregistered.
 *
 * A unary call is one heap struct rpc_server_call (its address is the tag). Its
 * lifetime is counted by `pending`: 1 for the RECV_CLOSE_ON_SERVER batch started on
 * arrival + 1 for the reply the handler owes; the reply batch's completion releases the
 * second. The last release frees the call. Stream methods (see stream.c) get a private
 * pluck queue at request time and are handed to their own thread on arrival.
 *
 * Shutdown (rpc_server_shutdown), in gRPC's documented order:
 *   grpc_server_shutdown_and_notify -> wait for its tag up to grace_ms ->
 *   grpc_server_cancel_all_calls -> wait for the tag, for every handler to have replied
 *   and every stream thread to have exited -> grpc_completion_queue_shutdown on every
 *   queue, whose thread drains it to GRPC_QUEUE_SHUTDOWN -> join -> destroy. */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "codec.h"
#include "dm_container.h"
#include "dm_error.h"
#include "log.h"
#include "rpc_int.h"

#define MAX_METHODS 64

struct srv_method {
    const struct rpc_method *m;
    rpc_handler_fn fn;                 /* unary */
    rpc_stream_handler_fn sfn;         /* stream */
    void *ctx;
    void *handle;                      /* grpc_server_register_method */
};

struct srv_thread {
    struct rpc_server *s;
    grpc_completion_queue *cq;
    pthread_t thread;
    bool started;
};

enum sc_state { SC_REQUESTED, SC_ACTIVE };

struct rpc_server_call {
    struct rpc_tag tag;                /* the completion-queue tag (container_of) */
    enum sc_state state;
    atomic_int pending;
    atomic_bool replied;
    struct rpc_server *s;
    struct srv_thread *thr;
    struct srv_method *sm;             /* NULL: generic (unregistered) request */
    grpc_call *call;
    grpc_completion_queue *stream_cq;  /* stream methods: pluck queue bound to the call */
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_call_details details;         /* generic only */
    grpc_byte_buffer *payload;
    ProtobufCMessage *req;
    char **md_kv;                      /* md.count * 2 C strings (key, value) */
    char *peer;
    int cancelled;
    grpc_byte_buffer *resp_bb;
    grpc_slice status_details;
};

struct rpc_server {
    char *listen_addr;
    int nthreads;
    grpc_server *server;
    struct srv_thread *threads;
    struct srv_method methods[MAX_METHODS];
    size_t nmethods;
    atomic_bool shutting_down;
    bool started, shut_down;
    struct rpc_tag shutdown_tag;
    pthread_mutex_t mu;                /* guards the fields below */
    pthread_cond_t cv;
    bool shutdown_notified;
    int active;                        /* unary calls not yet freed + stream threads */
};

static void server_call_event(struct rpc_tag *t, bool ok);

/* ---------- active-call accounting ---------- */

static void active_add(struct rpc_server *s, int d)
{
    pthread_mutex_lock(&s->mu);
    s->active += d;
    if (s->active == 0)
        pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void stream_thread_exited(void *arg)
{
    active_add(arg, -1);
}

static void shutdown_event(struct rpc_tag *t, bool ok)
{
    struct rpc_server *s = (struct rpc_server *)((char *)t - offsetof(struct rpc_server, shutdown_tag));
    pthread_mutex_lock(&s->mu);
    s->shutdown_notified = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---------- one call ---------- */

static void server_call_free(struct rpc_server_call *c)
{
    rpc_core_free_begin(); /* core filled these, maybe on another queue's thread */
    if (c->call)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->md);
    grpc_call_details_destroy(&c->details);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    rpc_core_free_end();
    if (c->stream_cq)
        rpc_pluck_cq_destroy(c->stream_cq);
    if (c->resp_bb)
        grpc_byte_buffer_destroy(c->resp_bb);
    if (c->req)
        protobuf_c_message_free_unpacked(c->req, NULL);
    for (size_t i = 0; c->md_kv && i < c->md.count * 2; i++)
        free(c->md_kv[i]);
    free(c->md_kv);
    free(c->peer);
    grpc_slice_unref(c->status_details);
    free(c);
}

static void release(struct rpc_server_call *c)
{
    if (atomic_fetch_sub(&c->pending, 1) != 1)
        return;
    struct rpc_server *s = c->s;
    server_call_free(c);
    active_add(s, -1);
}

/* Post a request for the next call of `sm` (NULL: generic) on thread `thr`. */
static void post_request(struct srv_thread *thr, struct srv_method *sm)
{
    struct rpc_server *s = thr->s;
    if (atomic_load(&s->shutting_down))
        return;
    struct rpc_server_call *c = calloc(1, sizeof(*c));
    if (!c) {
        dm_log_kv(DM_LOG_ERROR, "rpc server: out of memory posting a request", NULL);
        return;
    }
    c->tag.fn = server_call_event;
    c->state = SC_REQUESTED;
    c->s = s;
    c->thr = thr;
    c->sm = sm;
    c->status_details = grpc_empty_slice();
    grpc_metadata_array_init(&c->md);
    grpc_call_details_init(&c->details);
    grpc_call_error e;
    rpc_tag_handoff(&c->tag);
    if (!sm) {
        e = grpc_server_request_call(s->server, &c->call, &c->details, &c->md, thr->cq, thr->cq,
                                     &c->tag);
    } else if (sm->sfn) {
        c->stream_cq = grpc_completion_queue_create_for_pluck(NULL);
        e = grpc_server_request_registered_call(s->server, sm->handle, &c->call, &c->deadline,
                                                &c->md, NULL, c->stream_cq, thr->cq, &c->tag);
    } else {
        e = grpc_server_request_registered_call(s->server, sm->handle, &c->call, &c->deadline,
                                                &c->md, &c->payload, thr->cq, thr->cq, &c->tag);
    }
    if (e != GRPC_CALL_OK) {
        dm_log_kv(DM_LOG_WARN, "rpc server: request call failed", "error",
                  grpc_call_error_to_string(e), NULL);
        server_call_free(c);
    }
}

/* Copy the incoming metadata into C strings and fetch the peer. false on OOM. */
static bool capture_call_info(struct rpc_server_call *c)
{
    char *p = grpc_call_get_peer(c->call);
    c->peer = strdup(p ? p : "");
    gpr_free(p);
    if (c->md.count) {
        c->md_kv = calloc(c->md.count * 2, sizeof(char *));
        if (!c->md_kv)
            return false;
        for (size_t i = 0; i < c->md.count; i++) {
            c->md_kv[2 * i] = rpc_slice_strdup(c->md.metadata[i].key);
            c->md_kv[2 * i + 1] = rpc_slice_strdup(c->md.metadata[i].value);
            if (!c->md_kv[2 * i] || !c->md_kv[2 * i + 1])
                return false;
        }
    }
    return c->peer != NULL;
}

/* Send the final batch: [initial md] [message] status. Releases the reply ref when done. */
static int send_final(struct rpc_server_call *c, int status, const char *details,
                      grpc_byte_buffer *bb_take)
{
    if (atomic_exchange(&c->replied, true)) {
        if (bb_take)
            grpc_byte_buffer_destroy(bb_take);
        return DM_E_STATE;   /* replied twice: caller bug */
    }
    c->resp_bb = bb_take;
    c->status_details = details && *details ? grpc_slice_from_copied_string(details)
                                            : grpc_empty_slice();
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof(ops));
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (c->resp_bb) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = c->resp_bb;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)status;
    ops[n++].data.send_status_from_server.status_details = &c->status_details;
    grpc_call *call = c->call;   /* read before the handoff: c may be gone right after it */
    rpc_tag_handoff(&c->tag);
    grpc_call_error e = grpc_call_start_batch(call, ops, n, &c->tag, NULL);
    rpc_batch_check(e, "server reply");
    if (e != GRPC_CALL_OK) {
        release(c);
        return DM_E_INTERNAL;
    }
    return DM_OK;
}

/* A new unary/generic call arrived: watch for close, then dispatch. */
static void call_arrived(struct rpc_server_call *c)
{
    c->state = SC_ACTIVE;
    atomic_store(&c->pending, 2);    /* close batch + the reply owed */
    active_add(c->s, 1);
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->cancelled;
    grpc_call *call = c->call;   /* read before the handoff: c may be gone right after it */
    rpc_tag_handoff(&c->tag);
    grpc_call_error e = grpc_call_start_batch(call, &op, 1, &c->tag, NULL);
    rpc_batch_check(e, "server recv close");
    if (e != GRPC_CALL_OK)
        atomic_fetch_sub(&c->pending, 1);
    if (!capture_call_info(c)) {
        send_final(c, RPC_RESOURCE_EXHAUSTED, "out of memory", NULL);
        return;
    }
    if (!c->sm) {
        send_final(c, RPC_UNIMPLEMENTED, "unknown method", NULL);
        return;
    }
    if (!c->payload || codec_unpack(c->payload, c->sm->m->input, &c->req) != DM_OK) {
        send_final(c, RPC_INVALID_ARGUMENT, "malformed request message", NULL);
        return;
    }
    c->sm->fn(c, c->req, c->sm->ctx);
}

/* A new stream call arrived: hand the call and its queue to a thread of its own. */
static void stream_arrived(struct rpc_server_call *c)
{
    struct rpc_server *s = c->s;
    active_add(s, 1);
    int rc = rpc_stream_serve(c->call, c->stream_cq, c->sm->m, c->sm->sfn, c->sm->ctx,
                              stream_thread_exited, s);
    if (rc == DM_OK) {
        c->call = NULL;
        c->stream_cq = NULL;
    } else {
        grpc_call_cancel_with_status(c->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                     "cannot start stream", NULL);
        active_add(s, -1);
    }
    server_call_free(c);
}

static void server_call_event(struct rpc_tag *t, bool ok)
{
    struct rpc_server_call *c = container_of(t, struct rpc_server_call, tag);
    if (c->state == SC_ACTIVE) {
        release(c);
        return;
    }
    if (!ok) {                 /* request cancelled by shutdown */
        server_call_free(c);
        return;
    }
    post_request(c->thr, c->sm);   /* keep one request outstanding */
    if (c->sm && c->sm->sfn)
        stream_arrived(c);
    else
        call_arrived(c);
}

/* ---------- public call API ---------- */

const char *rpc_server_call_md(const struct rpc_server_call *c, const char *key)
{
    for (size_t i = 0; c && key && c->md_kv && i < c->md.count; i++)
        if (!strcmp(c->md_kv[2 * i], key))
            return c->md_kv[2 * i + 1];
    return NULL;
}

const char *rpc_server_call_peer(const struct rpc_server_call *c)
{
    return c && c->peer ? c->peer : "";
}

int rpc_server_reply(struct rpc_server_call *c, const ProtobufCMessage *resp)
{
    if (!c)
        return DM_E_INVAL;
    grpc_byte_buffer *bb = NULL;
    int rc = DM_E_INVAL;
    if (!resp || resp->descriptor != c->sm->m->output)
        rc = DM_E_INVAL;
    else
        rc = codec_pack(resp, &bb);
    if (rc != DM_OK) {
        /* the call must still end: report it to the peer as INTERNAL */
        send_final(c, RPC_INTERNAL, "server could not encode the response", NULL);
        return rc;
    }
    return send_final(c, RPC_OK, NULL, bb);
}

int rpc_server_reply_error(struct rpc_server_call *c, int status, const char *details)
{
    if (!c)
        return DM_E_INVAL;
    if (status == RPC_OK)
        status = RPC_UNKNOWN;   /* OK needs a message: use rpc_server_reply */
    return send_final(c, status, details, NULL);
}

/* ---------- server lifecycle ---------- */

struct rpc_server *rpc_server_new(const char *listen_addr, int nthreads)
{
    if (!listen_addr || nthreads < 1 || nthreads > 256)
        return NULL;
    struct rpc_server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->listen_addr = strdup(listen_addr);
    s->threads = calloc((size_t)nthreads, sizeof(*s->threads));
    s->server = grpc_server_create(rpc_server_args(), NULL);
    if (!s->listen_addr || !s->threads || !s->server) {
        if (s->server)
            grpc_server_destroy(s->server);
        free(s->threads);
        free(s->listen_addr);
        free(s);
        return NULL;
    }
    s->nthreads = nthreads;
    s->shutdown_tag.fn = shutdown_event;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    return s;
}

static int add_method(struct rpc_server *s, const struct rpc_method *m, rpc_handler_fn fn,
                      rpc_stream_handler_fn sfn, void *ctx)
{
    if (!s || !m || !m->path || (!fn && !sfn))
        return DM_E_INVAL;
    if (s->started)
        return DM_E_STATE;
    if (s->nmethods == MAX_METHODS)
        return DM_E_TOO_LARGE;
    for (size_t i = 0; i < s->nmethods; i++)
        if (!strcmp(s->methods[i].m->path, m->path))
            return DM_E_CONFLICT;
    void *h = grpc_server_register_method(s->server, m->path, NULL,
                                          sfn ? GRPC_SRM_PAYLOAD_NONE
                                              : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    if (!h)
        return DM_E_INTERNAL;
    s->methods[s->nmethods++] = (struct srv_method){ .m = m, .fn = fn, .sfn = sfn, .ctx = ctx,
                                                     .handle = h };
    return DM_OK;
}

int rpc_server_register(struct rpc_server *s, const struct rpc_method *m, rpc_handler_fn fn,
                        void *ctx)
{
    if (m && (m->client_streaming || m->server_streaming))
        return DM_E_INVAL;
    return add_method(s, m, fn, NULL, ctx);
}

int rpc_server_register_stream(struct rpc_server *s, const struct rpc_method *m,
                               rpc_stream_handler_fn fn, void *ctx)
{
    if (m && !m->client_streaming && !m->server_streaming)
        return DM_E_INVAL;
    return add_method(s, m, NULL, fn, ctx);
}

static void *server_thread(void *arg)
{
    struct srv_thread *thr = arg;
    rpc_cq_loop(thr->cq);
    return NULL;
}

int rpc_server_start(struct rpc_server *s, int *bound_port)
{
    if (!s)
        return DM_E_INVAL;
    if (s->started)
        return DM_E_STATE;
    for (int i = 0; i < s->nthreads; i++) {
        s->threads[i].s = s;
        s->threads[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->server, s->threads[i].cq, NULL);
    }
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(s->server, s->listen_addr, creds);
    grpc_server_credentials_release(creds);
    s->started = true;   /* from here on rpc_server_shutdown does the full sequence */
    grpc_server_start(s->server);
    for (int i = 0; i < s->nthreads; i++) {
        post_request(&s->threads[i], NULL);
        for (size_t j = 0; j < s->nmethods; j++)
            post_request(&s->threads[i], &s->methods[j]);
        s->threads[i].started =
            pthread_create(&s->threads[i].thread, NULL, server_thread, &s->threads[i]) == 0;
    }
    if (bound_port)
        *bound_port = port;
    if (port <= 0) {
        dm_log_kv(DM_LOG_ERROR, "rpc server: cannot listen", "addr", s->listen_addr, NULL);
        return DM_E_IO;
    }
    for (int i = 0; i < s->nthreads; i++)
        if (!s->threads[i].started)
            return DM_E_INTERNAL;
    return DM_OK;
}

/* Wait until the shutdown tag arrived and nothing is active; false on timeout. */
static bool wait_quiet(struct rpc_server *s, int64_t timeout_ms)
{
    gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                      gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    struct timespec ts = { .tv_sec = (time_t)until.tv_sec, .tv_nsec = until.tv_nsec };
    bool quiet = true;
    pthread_mutex_lock(&s->mu);
    while (!s->shutdown_notified || s->active > 0) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0) {
            quiet = s->shutdown_notified && s->active == 0;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return quiet;
}

void rpc_server_shutdown(struct rpc_server *s, int64_t grace_ms)
{
    if (!s || s->shut_down)
        return;
    s->shut_down = true;
    if (!s->started)
        return;
    atomic_store(&s->shutting_down, true);
    rpc_tag_handoff(&s->shutdown_tag);
    grpc_server_shutdown_and_notify(s->server, s->threads[0].cq, &s->shutdown_tag);
    if (!wait_quiet(s, grace_ms > 0 ? grace_ms : 0)) {
        grpc_server_cancel_all_calls(s->server);
        /* handlers still owe their replies (they fail fast now); stream handlers see
         * their stream fail and return */
        while (!wait_quiet(s, 5000))
            dm_log_kv(DM_LOG_WARN, "rpc server: waiting for handlers to reply/return", NULL);
    }
    for (int i = 0; i < s->nthreads; i++)
        grpc_completion_queue_shutdown(s->threads[i].cq);
    for (int i = 0; i < s->nthreads; i++)
        if (s->threads[i].started)
            pthread_join(s->threads[i].thread, NULL);
}

void rpc_server_free(struct rpc_server *s)
{
    if (!s)
        return;
    rpc_server_shutdown(s, 0);
    grpc_server_destroy(s->server);
    for (int i = 0; i < s->nthreads; i++)
        if (s->threads[i].cq)
            grpc_completion_queue_destroy(s->threads[i].cq);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->threads);
    free(s->listen_addr);
    free(s);
}

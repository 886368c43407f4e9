/* stream.c - blocking bidi streams (pb.Worker/FetchDDLInfo) on both sides.
 * Each stream owns a private pluck completion queue that only the stream's thread
 * polls, so every operation simply starts its batch and plucks its own tag:
 *   t_send   SEND_INITIAL_METADATA / SEND_MESSAGE / SEND_CLOSE / SEND_STATUS
 *   t_recv   RECV_MESSAGE (may stay pending across a recv timeout)
 *   t_status client: RECV_STATUS_ON_CLIENT, server: RECV_CLOSE_ON_SERVER (started
 *            on open, completes when the call ends) */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/support/time.h>

#include "codec.h"
#include "dm_error.h"
#include "log.h"
#include "rpc_int.h"

#define CLOSE_WAIT_MS 1000   /* how long close waits for the peer's status before cancelling */

struct rpc_stream {
    grpc_call *call;
    grpc_completion_queue *cq;          /* pluck queue, only used by the owning thread */
    const struct rpc_method *m;
    bool server;
    bool md_sent;                       /* server: initial metadata sent */
    bool md_asked;                      /* client: RECV_INITIAL_METADATA started */
    bool half_closed;                   /* client: SEND_CLOSE_FROM_CLIENT done */
    bool ended;                         /* recv saw end of stream / an error */
    bool recv_pending, status_pending, cancelled_by_us;
    grpc_byte_buffer *recv_bb;
    grpc_metadata_array init_md, trail_md;
    grpc_status_code status;
    grpc_slice details;
    int server_cancelled;
    char t_send, t_recv, t_status;      /* tags: their addresses */
    /* server side */
    rpc_stream_handler_fn fn;
    void *ctx;
    void (*on_exit)(void *);
    void *exit_arg;
};

enum { PLUCK_FAIL = 0, PLUCK_OK = 1, PLUCK_TIMEOUT = -1 };

static int pluck(struct rpc_stream *st, void *tag, gpr_timespec deadline)
{
    grpc_event ev = grpc_completion_queue_pluck(st->cq, tag, deadline, NULL);
    if (ev.type == GRPC_OP_COMPLETE)
        rpc_tag_received(ev.tag);
    if (ev.type == GRPC_QUEUE_TIMEOUT)
        return PLUCK_TIMEOUT;
    return ev.type == GRPC_OP_COMPLETE && ev.success ? PLUCK_OK : PLUCK_FAIL;
}

static gpr_timespec forever(void)
{
    return gpr_inf_future(GPR_CLOCK_MONOTONIC);
}

/* Start `ops` with `tag` and wait for it. PLUCK_OK / PLUCK_FAIL. */
static int run_batch(struct rpc_stream *st, const grpc_op *ops, size_t n, void *tag)
{
    rpc_tag_handoff(tag);
    grpc_call_error e = grpc_call_start_batch(st->call, ops, n, tag, NULL);
    rpc_batch_check(e, "stream");
    if (e != GRPC_CALL_OK)
        return PLUCK_FAIL;
    return pluck(st, tag, forever());
}

void rpc_pluck_cq_destroy(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    for (;;) {
        grpc_event ev = grpc_completion_queue_pluck(cq, NULL, forever(), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
    }
    grpc_completion_queue_destroy(cq);
}

static struct rpc_stream *stream_alloc(void)
{
    struct rpc_stream *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    grpc_metadata_array_init(&st->init_md);
    grpc_metadata_array_init(&st->trail_md);
    st->details = grpc_empty_slice();
    st->status = GRPC_STATUS_UNKNOWN;
    return st;
}

static void stream_free(struct rpc_stream *st)
{
    if (st->recv_bb)
        grpc_byte_buffer_destroy(st->recv_bb);
    if (st->call)
        grpc_call_unref(st->call);
    if (st->cq)
        rpc_pluck_cq_destroy(st->cq);
    grpc_metadata_array_destroy(&st->init_md);
    grpc_metadata_array_destroy(&st->trail_md);
    grpc_slice_unref(st->details);
    free(st);
}

static int start_recv(struct rpc_stream *st);

/* Client: read and drop whatever the server still sends (gRPC delivers the status only
 * after every message was read), until end of stream or `deadline`. */
static void drain_messages(struct rpc_stream *st, gpr_timespec deadline)
{
    while (!st->ended) {
        if (!st->recv_pending && start_recv(st) != DM_OK)
            return;
        int r = pluck(st, &st->t_recv, deadline);
        if (r == PLUCK_TIMEOUT)
            return;
        st->recv_pending = false;
        if (r != PLUCK_OK || !st->recv_bb)
            st->ended = true;
        if (st->recv_bb)
            grpc_byte_buffer_destroy(st->recv_bb);
        st->recv_bb = NULL;
    }
}

/* Wait for the pending status/close op: up to wait_ms, then cancel and wait for good.
 * Any recv still pending completes once the call is over. */
static void finish_status(struct rpc_stream *st, int64_t wait_ms)
{
    gpr_timespec deadline = rpc_deadline_after(wait_ms > 0 ? wait_ms : 1);
    if (!st->server)
        drain_messages(st, deadline);
    if (st->status_pending && pluck(st, &st->t_status, deadline) == PLUCK_TIMEOUT) {
        grpc_call_cancel(st->call, NULL);
        st->cancelled_by_us = true;
        pluck(st, &st->t_status, forever());
    }
    st->status_pending = false;
    if (st->recv_pending) {
        grpc_call_cancel(st->call, NULL);
        pluck(st, &st->t_recv, forever());
        st->recv_pending = false;
    }
}

/* ---------- common send/recv ---------- */

int rpc_stream_send(struct rpc_stream *st, const ProtobufCMessage *msg)
{
    if (!st || !msg || msg->descriptor != (st->server ? st->m->output : st->m->input))
        return DM_E_INVAL;
    if (st->half_closed)
        return DM_E_STATE;
    grpc_byte_buffer *bb = NULL;
    int rc = codec_pack(msg, &bb);
    if (rc != DM_OK)
        return rc;
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof(ops));
    if (st->server && !st->md_sent)
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
    int r = run_batch(st, ops, n, &st->t_send);
    grpc_byte_buffer_destroy(bb);
    if (st->server)
        st->md_sent = true;   /* even when failed: never send it twice */
    return r == PLUCK_OK ? DM_OK : DM_E_UNAVAILABLE;
}

static int start_recv(struct rpc_stream *st)
{
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof(ops));
    if (!st->server && !st->md_asked) {
        ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[n++].data.recv_initial_metadata.recv_initial_metadata = &st->init_md;
        st->md_asked = true;
    }
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &st->recv_bb;
    rpc_tag_handoff(&st->t_recv);
    grpc_call_error e = grpc_call_start_batch(st->call, ops, n, &st->t_recv, NULL);
    rpc_batch_check(e, "stream recv");
    if (e != GRPC_CALL_OK)
        return DM_E_INTERNAL;
    st->recv_pending = true;
    return DM_OK;
}

int rpc_stream_recv(struct rpc_stream *st, int64_t timeout_ms, ProtobufCMessage **out)
{
    if (!st || !out)
        return DM_E_INVAL;
    *out = NULL;
    if (st->ended)
        return DM_E_UNAVAILABLE;
    if (!st->recv_pending && start_recv(st) != DM_OK)
        return DM_E_UNAVAILABLE;
    gpr_timespec deadline = timeout_ms < 0 ? forever()
                          : gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    int r = pluck(st, &st->t_recv, deadline);
    if (r == PLUCK_TIMEOUT)
        return DM_E_TIMEOUT;
    st->recv_pending = false;
    grpc_byte_buffer *bb = st->recv_bb;
    st->recv_bb = NULL;
    int rc = DM_E_UNAVAILABLE;
    if (r != PLUCK_OK || !bb) {
        st->ended = true;    /* end of stream or broken call */
        goto out;
    }
    const ProtobufCMessageDescriptor *d = st->server ? st->m->input : st->m->output;
    if (codec_unpack(bb, d, out) != DM_OK) {
        dm_log_kv(DM_LOG_WARN, "rpc stream: malformed message, cancelling", "method",
                  st->m->path, NULL);
        grpc_call_cancel_with_status(st->call, GRPC_STATUS_INVALID_ARGUMENT,
                                     "malformed stream message", NULL);
        st->ended = true;
        goto out;
    }
    rc = DM_OK;
out:
    if (bb)
        grpc_byte_buffer_destroy(bb);
    return rc;
}

/* ---------- client side ---------- */

int rpc_stream_open(struct rpc_channel *ch, const struct rpc_method *m, int64_t deadline_ms,
                    struct rpc_stream **out)
{
    if (!out)
        return DM_E_INVAL;
    *out = NULL;
    if (!ch || !m || !m->path || (!m->client_streaming && !m->server_streaming) || deadline_ms < 0 ||
        rpc_channel_h2(ch))   /* the h2 transport is unary only */
        return DM_E_INVAL;
    int rc = DM_E_NOMEM;
    struct rpc_stream *st = stream_alloc();
    if (!st)
        goto out;
    st->m = m;
    st->cq = grpc_completion_queue_create_for_pluck(NULL);
    if (!st->cq)
        goto out;
    st->call = rpc_channel_call(ch, m->path, st->cq, rpc_deadline_after(deadline_ms));
    if (!st->call)
        goto out;
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &st->trail_md;
    op.data.recv_status_on_client.status = &st->status;
    op.data.recv_status_on_client.status_details = &st->details;
    rpc_tag_handoff(&st->t_status);
    grpc_call_error e = grpc_call_start_batch(st->call, &op, 1, &st->t_status, NULL);
    rpc_batch_check(e, "stream status");
    rc = DM_E_INTERNAL;
    if (e != GRPC_CALL_OK)
        goto out;
    st->status_pending = true;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_SEND_INITIAL_METADATA;   /* completes once the connection took it */
    rc = DM_E_UNAVAILABLE;
    if (run_batch(st, &op, 1, &st->t_send) != PLUCK_OK)
        goto out;
    *out = st;
    st = NULL;
    rc = DM_OK;
out:
    if (st) {
        if (st->call)
            finish_status(st, 0);
        stream_free(st);
    }
    return rc;
}

int rpc_stream_close(struct rpc_stream *st, int *status)
{
    if (!st)
        return DM_E_INVAL;
    if (st->server)
        return DM_OK;   /* the server frees it when the handler returns */
    if (!st->half_closed) {
        grpc_op op;
        memset(&op, 0, sizeof(op));
        op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        run_batch(st, &op, 1, &st->t_send);   /* fails harmlessly on a dead call */
        st->half_closed = true;
    }
    finish_status(st, CLOSE_WAIT_MS);
    if (status)
        *status = st->cancelled_by_us ? RPC_CANCELLED : (int)st->status;
    stream_free(st);
    return DM_OK;
}

/* ---------- server side ---------- */

static void *serve_thread(void *arg)
{
    struct rpc_stream *st = arg;
    grpc_op ops[2];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[0].data.recv_close_on_server.cancelled = &st->server_cancelled;
    rpc_tag_handoff(&st->t_status);
    grpc_call_error e = grpc_call_start_batch(st->call, ops, 1, &st->t_status, NULL);
    rpc_batch_check(e, "stream recv close");
    st->status_pending = e == GRPC_CALL_OK;

    int status = st->fn(st, st->ctx);

    size_t n = 0;
    memset(ops, 0, sizeof(ops));
    if (!st->md_sent)
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n++].data.send_status_from_server.status = (grpc_status_code)status;
    run_batch(st, ops, n, &st->t_send);
    finish_status(st, CLOSE_WAIT_MS);

    void (*on_exit)(void *) = st->on_exit;
    void *exit_arg = st->exit_arg;
    stream_free(st);
    if (on_exit)
        on_exit(exit_arg);
    return NULL;
}

int rpc_stream_serve(grpc_call *call, grpc_completion_queue *cq, const struct rpc_method *m,
                     rpc_stream_handler_fn fn, void *ctx, void (*on_exit)(void *), void *arg)
{
    struct rpc_stream *st = stream_alloc();
    if (!st)
        return DM_E_NOMEM;
    st->server = true;
    st->m = m;
    st->fn = fn;
    st->ctx = ctx;
    st->on_exit = on_exit;
    st->exit_arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    st->call = call;
    st->cq = cq;
    pthread_t t;
    int err = pthread_create(&t, &attr, serve_thread, st);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        st->call = NULL;    /* not taken */
        st->cq = NULL;
        stream_free(st);
        return DM_E_INTERNAL;
    }
    return DM_OK;
}

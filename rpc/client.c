/* client.c - unary client calls on the global completion queue: one heap
 * struct client_call per call (its address is the tag), one batch carrying every op,
 * freed by its own completion. rpc_call_sync and the fan-out are built on top. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "dm_container.h"
#include "dm_error.h"
#include "rpc_int.h"

struct client_call {
    struct rpc_tag tag;                       /* container_of(tag, struct client_call, tag) */
    grpc_call *call;
    const ProtobufCMessageDescriptor *out;    /* NULL: discard the response (raw calls) */
    grpc_byte_buffer *send_bb, *recv_bb;
    grpc_metadata *md;
    size_t nmd;
    grpc_metadata_array init_md, trail_md;
    grpc_status_code status;
    grpc_slice details;
    int64_t start_us;
    rpc_done_fn done;                         /* decoded result, or */
    rpc_answer_fn answer_done;                /* raw answer (rpc_call_start_answer) */
    void *arg;
};

struct rpc_answer {
    atomic_int refs;
    int status;
    int64_t elapsed_us;
    const ProtobufCMessageDescriptor *out;
    bool has_body;
    grpc_slice body;          /* the response bytes (has_body, raw NULL) */
    const uint8_t *raw;       /* or, h2 transport: the bytes in this allocation */
    size_t raw_len;
    char details[];           /* NUL-terminated status message */
};

static void client_call_free(struct client_call *c)
{
    if (c->call)
        grpc_call_unref(c->call);
    if (c->send_bb)
        grpc_byte_buffer_destroy(c->send_bb);
    if (c->recv_bb)
        grpc_byte_buffer_destroy(c->recv_bb);
    rpc_md_grpc_free(c->md, c->nmd);
    grpc_metadata_array_destroy(&c->init_md);
    grpc_metadata_array_destroy(&c->trail_md);
    grpc_slice_unref(c->details);
    free(c);
}

static struct rpc_answer *answer_alloc(int status, const char *details, size_t dlen)
{
    struct rpc_answer *a = malloc(sizeof(*a) + dlen + 1);
    if (!a)
        return NULL;
    atomic_init(&a->refs, 1);
    a->status = status;
    a->elapsed_us = 0;
    a->out = NULL;
    a->has_body = false;
    a->raw = NULL;
    a->raw_len = 0;
    memcpy(a->details, details, dlen);
    a->details[dlen] = '\0';
    return a;
}

struct rpc_answer *rpc_answer_make(int status, const char *details, size_t dlen,
                                   const ProtobufCMessageDescriptor *out, const uint8_t *body,
                                   size_t blen, int64_t elapsed_us)
{
    struct rpc_answer *a = malloc(sizeof(*a) + dlen + 1 + blen);
    if (!a)
        return NULL;
    atomic_init(&a->refs, 1);
    a->status = status;
    a->elapsed_us = elapsed_us;
    a->out = out;
    a->has_body = body != NULL;
    memcpy(a->details, details, dlen);
    a->details[dlen] = '\0';
    a->raw = body ? (const uint8_t *)a->details + dlen + 1 : NULL;
    a->raw_len = blen;
    if (blen)
        memcpy(a->details + dlen + 1, body, blen);
    return a;
}

struct rpc_answer *rpc_answer_new(int status, const char *details)
{
    details = details ? details : "";
    return answer_alloc(status, details, strlen(details));
}

struct rpc_answer *rpc_answer_ref(struct rpc_answer *a)
{
    if (a)
        atomic_fetch_add(&a->refs, 1);
    return a;
}

void rpc_answer_unref(struct rpc_answer *a)
{
    if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    if (a->has_body && !a->raw)
        grpc_slice_unref(a->body);
    free(a);
}

void rpc_answer_result(const struct rpc_answer *a, struct rpc_result *res)
{
    if (!a) {
        *res = (struct rpc_result){RPC_INTERNAL, "out of memory", NULL, 0};
        return;
    }
    *res = (struct rpc_result){a->status, a->details, NULL, a->elapsed_us};
    if (a->status != RPC_OK || !a->out)
        return;
    if (!a->has_body) {
        res->status = RPC_INTERNAL;
        res->details = "no response message";
    } else if (codec_unpack_mem(a->raw ? a->raw : GRPC_SLICE_START_PTR(a->body),
                                a->raw ? a->raw_len : GRPC_SLICE_LENGTH(a->body),
                                a->out, &res->resp) != DM_OK) {
        res->status = RPC_INTERNAL;
        res->details = "malformed response message";
    }
}

int rpc_answer_status(const struct rpc_answer *a, int64_t *elapsed_us)
{
    if (elapsed_us)
        *elapsed_us = a ? a->elapsed_us : 0;
    return a ? a->status : RPC_INTERNAL;
}

/* The finished batch as a raw answer (NULL on out-of-memory: then an INTERNAL one on the
 * stack is handed over instead). */
static void client_call_answer(struct client_call *c, bool ok)
{
    size_t dlen = GRPC_SLICE_LENGTH(c->details);
    struct rpc_answer *a = NULL;
    if (!ok)
        a = rpc_answer_new(RPC_INTERNAL, "call batch failed");
    else if ((a = answer_alloc((int)c->status, (const char *)GRPC_SLICE_START_PTR(c->details), dlen))) {
        a->out = c->out;
        if (a->status == RPC_OK && c->recv_bb) {
            int rc = codec_flatten(c->recv_bb, &a->body);
            a->has_body = rc == DM_OK;
            if (rc != DM_OK) {
                rpc_answer_unref(a);
                a = rpc_answer_new(RPC_INTERNAL, "malformed response message");
            }
        }
    }
    if (!a)
        a = rpc_answer_new(RPC_INTERNAL, "out of memory");
    if (a)
        a->elapsed_us = rpc_now_us() - c->start_us;
    c->answer_done(c->arg, a);   /* NULL only when even that failed (rpc.h) */
    rpc_answer_unref(a);
}

/* Turn the finished batch into an rpc_result, run the callback, free everything. */
static void client_call_done(struct rpc_tag *t, bool ok)
{
    struct client_call *c = container_of(t, struct client_call, tag);
    if (c->answer_done) {
        client_call_answer(c, ok);
        client_call_free(c);
        return;
    }
    struct rpc_result res = { .status = (int)c->status, .details = NULL, .resp = NULL };
    char *details = rpc_slice_strdup(c->details);
    res.details = details ? details : "";
    if (!ok) {
        res.status = RPC_INTERNAL;
        res.details = "call batch failed";
    } else if (res.status == RPC_OK && c->out) {
        if (!c->recv_bb) {
            res.status = RPC_INTERNAL;
            res.details = "no response message";
        } else if (codec_unpack(c->recv_bb, c->out, &res.resp) != DM_OK) {
            res.status = RPC_INTERNAL;
            res.details = "malformed response message";
        }
    }
    res.elapsed_us = rpc_now_us() - c->start_us;
    c->done(c->arg, &res);
    if (res.resp)
        protobuf_c_message_free_unpacked(res.resp, NULL);
    free(details);
    client_call_free(c);
}

/* Start a unary call of `path` sending `bb_take` (takes ownership, also on error). */
static int start_bb(struct rpc_channel *ch, const char *path,
                    const ProtobufCMessageDescriptor *out, grpc_byte_buffer *bb_take,
                    int64_t timeout_ms, const struct rpc_md *md, size_t nmd,
                    rpc_done_fn done, rpc_answer_fn answer_done, void *arg)
{
    int rc = DM_E_INVAL;
    grpc_completion_queue *cq = rpc_client_cq();
    struct client_call *c = NULL;
    if (!ch || !path || !done == !answer_done || timeout_ms <= 0 || rpc_channel_h2(ch))
        goto out;   /* (raw calls on an h2 channel: not supported) */
    rc = DM_E_STATE;
    if (!cq)
        goto out;
    rc = DM_E_NOMEM;
    if (!bb_take || !(c = calloc(1, sizeof(*c))))
        goto out;
    c->tag.fn = client_call_done;
    c->out = out;
    c->done = done;
    c->answer_done = answer_done;
    c->arg = arg;
    c->details = grpc_empty_slice();
    c->send_bb = bb_take;
    bb_take = NULL;
    grpc_metadata_array_init(&c->init_md);
    grpc_metadata_array_init(&c->trail_md);
    if ((rc = rpc_md_to_grpc(md, nmd, &c->md)) != DM_OK)
        goto out;
    c->nmd = nmd;
    rc = DM_E_NOMEM;
    c->call = rpc_channel_call(ch, path, cq, rpc_deadline_after(timeout_ms));
    if (!c->call)
        goto out;
    grpc_op ops[6];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = c->nmd;
    ops[0].data.send_initial_metadata.metadata = c->md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = c->send_bb;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->init_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &c->recv_bb;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &c->trail_md;
    ops[5].data.recv_status_on_client.status = &c->status;
    ops[5].data.recv_status_on_client.status_details = &c->details;
    c->start_us = rpc_now_us();
    grpc_call *call = c->call;   /* read before the handoff: c may be gone right after it */
    rpc_tag_handoff(&c->tag);
    grpc_call_error e = grpc_call_start_batch(call, ops, 6, &c->tag, NULL);
    rpc_batch_check(e, "client unary");
    rc = e == GRPC_CALL_OK ? DM_OK : DM_E_INTERNAL;
    if (rc == DM_OK)
        c = NULL;   /* owned by the batch now */
out:
    if (bb_take)
        grpc_byte_buffer_destroy(bb_take);
    if (c)
        client_call_free(c);
    return rc;
}

/* Check and pack a unary request (*bb owned by the caller on DM_OK). */
static int pack_unary(const struct rpc_method *m, const ProtobufCMessage *req,
                      struct rpc_channel *ch, int64_t timeout_ms, grpc_byte_buffer **bb)
{
    if (!m || !req || m->client_streaming || m->server_streaming || req->descriptor != m->input)
        return DM_E_INVAL;
    if (!ch || timeout_ms <= 0)
        return DM_E_INVAL;
    return codec_pack(req, bb);
}

/* ---------- the h2 transport ---------- */

/* A blocking call in progress on this thread: it must not go over the thread's lane
 * (rpc_lane_new), which only this thread reads. */
static _Thread_local bool tl_sync;

struct decoded_call {
    rpc_done_fn done;
    void *arg;
};

/* An h2 call started with rpc_call_start: decode on the reader thread, as gRPC core's
 * completion does. */
static void decoded_done(void *arg, struct rpc_answer *a)
{
    struct decoded_call d = *(struct decoded_call *)arg;
    free(arg);
    struct rpc_result res;
    rpc_answer_result(a, &res);
    d.done(d.arg, &res);
    if (res.resp)
        protobuf_c_message_free_unpacked(res.resp, NULL);
}

static int h2_start(struct rpc_channel *ch, const struct rpc_method *m, const ProtobufCMessage *req,
                    int64_t timeout_ms, const struct rpc_md *md, size_t nmd, rpc_done_fn done,
                    rpc_answer_fn answer_done, void *arg)
{
    if (!m || !req || m->client_streaming || m->server_streaming || req->descriptor != m->input ||
        timeout_ms <= 0)
        return DM_E_INVAL;
    if (answer_done)
        return h2_call_start(rpc_channel_h2(ch), m->path, m->output, req, timeout_ms, md, nmd,
                             answer_done, arg, !tl_sync);
    struct decoded_call *d = malloc(sizeof(*d));
    if (!d)
        return DM_E_NOMEM;
    *d = (struct decoded_call){done, arg};
    int rc = h2_call_start(rpc_channel_h2(ch), m->path, m->output, req, timeout_ms, md, nmd,
                           decoded_done, d, !tl_sync);
    if (rc != DM_OK)
        free(d);
    return rc;
}

int rpc_call_start(struct rpc_channel *ch, const struct rpc_method *m,
                   const ProtobufCMessage *req, int64_t timeout_ms,
                   const struct rpc_md *md, size_t nmd, rpc_done_fn done, void *arg)
{
    if (done && rpc_channel_h2(ch))
        return h2_start(ch, m, req, timeout_ms, md, nmd, done, NULL, arg);
    grpc_byte_buffer *bb = NULL;
    int rc = done ? pack_unary(m, req, ch, timeout_ms, &bb) : DM_E_INVAL;
    if (rc != DM_OK)
        return rc;
    return start_bb(ch, m->path, m->output, bb, timeout_ms, md, nmd, done, NULL, arg);
}

int rpc_call_start_answer(struct rpc_channel *ch, const struct rpc_method *m,
                          const ProtobufCMessage *req, int64_t timeout_ms,
                          const struct rpc_md *md, size_t nmd, rpc_answer_fn done, void *arg)
{
    if (done && rpc_channel_h2(ch))
        return h2_start(ch, m, req, timeout_ms, md, nmd, NULL, done, arg);
    grpc_byte_buffer *bb = NULL;
    int rc = done ? pack_unary(m, req, ch, timeout_ms, &bb) : DM_E_INVAL;
    if (rc != DM_OK)
        return rc;
    return start_bb(ch, m->path, m->output, bb, timeout_ms, md, nmd, NULL, done, arg);
}

/* ---------- blocking calls ---------- */

struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int status;
    ProtobufCMessage *resp;
    char *details;
    size_t cap;
};

static void sync_done(void *arg, struct rpc_result *res)
{
    struct sync_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->status = res->status;
    w->resp = res->resp;
    res->resp = NULL;
    if (w->details && w->cap)
        snprintf(w->details, w->cap, "%s", res->details ? res->details : "");
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);   /* the waiter may free `w` from here on */
}

/* Wait for the call started with result `start_rc` (if it started), hand out its result. */
static int sync_wait_for(struct sync_wait *w, int start_rc, int *status,
                         ProtobufCMessage **resp_out)
{
    if (start_rc == DM_OK) {
        pthread_mutex_lock(&w->mu);
        while (!w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        pthread_mutex_unlock(&w->mu);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    if (start_rc != DM_OK)
        return start_rc;
    if (status)
        *status = w->status;
    if (resp_out)
        *resp_out = w->resp;
    else if (w->resp)
        protobuf_c_message_free_unpacked(w->resp, NULL);
    return DM_OK;
}

static void sync_init(struct sync_wait *w, char *details, size_t cap)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->details = details;
    w->cap = cap;
    if (details && cap)
        details[0] = '\0';
}

int rpc_call_sync(struct rpc_channel *ch, const struct rpc_method *m,
                  const ProtobufCMessage *req, int64_t timeout_ms,
                  const struct rpc_md *md, size_t nmd,
                  int *status, ProtobufCMessage **resp_out, char *details, size_t cap)
{
    if (resp_out)
        *resp_out = NULL;
    if (rpc_on_client_thread())
        return DM_E_STATE;   /* would wait for our own thread */
    struct sync_wait w;
    sync_init(&w, details, cap);
    tl_sync = true;
    int rc = rpc_call_start(ch, m, req, timeout_ms, md, nmd, sync_done, &w);
    tl_sync = false;
    return sync_wait_for(&w, rc, status, resp_out);
}

int rpc_call_raw_sync(struct rpc_channel *ch, const char *path, const void *data, size_t len,
                      int64_t timeout_ms, int *status, char *details, size_t cap)
{
    if (rpc_on_client_thread())
        return DM_E_STATE;
    struct sync_wait w;
    sync_init(&w, details, cap);
    int rc = start_bb(ch, path, NULL, codec_raw(data, len), timeout_ms, NULL, 0, sync_done, NULL,
                      &w);
    return sync_wait_for(&w, rc, status, NULL);
}

/* ---------- fan-out ---------- */

struct fan_slot {
    struct rpc_fanout *f;
    size_t i;
};

struct rpc_fanout {
    size_t n;
    atomic_size_t left;
    rpc_fanout_done_fn done;
    void *arg;
    struct rpc_result *res;    /* n */
    char **details;            /* n owned strings behind res[i].details */
    struct fan_slot *slots;    /* n */
};

static void fanout_free(struct rpc_fanout *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->res[i].resp)
            protobuf_c_message_free_unpacked(f->res[i].resp, NULL);
        free(f->details[i]);
    }
    free(f->res);
    free(f->details);
    free(f->slots);
    free(f);
}

/* One result is in: record it; the last one runs all_done and frees the fan-out. */
static void fanout_record(struct rpc_fanout *f, size_t i, int status, const char *details,
                          ProtobufCMessage *resp_take, int64_t elapsed_us)
{
    f->details[i] = strdup(details ? details : "");
    f->res[i].status = status;
    f->res[i].details = f->details[i] ? f->details[i] : "";
    f->res[i].resp = resp_take;
    f->res[i].elapsed_us = elapsed_us;
    if (atomic_fetch_sub(&f->left, 1) != 1)
        return;
    f->done(f->arg, f->res, f->n);
    fanout_free(f);
}

static void fanout_one_done(void *arg, struct rpc_result *res)
{
    struct fan_slot *s = arg;
    ProtobufCMessage *resp = res->resp;
    res->resp = NULL;
    fanout_record(s->f, s->i, res->status, res->details, resp, res->elapsed_us);
}

struct rpc_fanout *rpc_fanout_new(size_t n, rpc_fanout_done_fn done, void *arg)
{
    if (n == 0 || !done)
        return NULL;
    struct rpc_fanout *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->n = n;
    atomic_init(&f->left, n);
    f->done = done;
    f->arg = arg;
    f->res = calloc(n, sizeof(*f->res));
    f->details = calloc(n, sizeof(*f->details));
    f->slots = calloc(n, sizeof(*f->slots));
    if (!f->res || !f->details || !f->slots) {
        fanout_free(f);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        f->slots[i].f = f;
        f->slots[i].i = i;
        f->res[i].details = "";
    }
    return f;
}

void rpc_fanout_start(struct rpc_fanout *f, size_t i, struct rpc_channel *ch,
                      const struct rpc_method *m, const ProtobufCMessage *req,
                      int64_t timeout_ms, const struct rpc_md *md, size_t nmd)
{
    if (!f || i >= f->n)
        return;
    int64_t t0 = rpc_now_us();
    int rc = rpc_call_start(ch, m, req, timeout_ms, md, nmd, fanout_one_done, &f->slots[i]);
    if (rc != DM_OK)
        fanout_record(f, i, RPC_UNAVAILABLE, dm_strerror(rc), NULL, rpc_now_us() - t0);
}

/* test_rpc_call.c - rpc/client.c + rpc/server.c over real gRPC on loopback:
 * round trip + metadata, fan-out, deadlines, unreachable targets, malformed requests,
 * unknown methods, shutdown with calls in flight, channel state, calls started from many
 * threads at once, lanes (calls owned by one event loop's thread). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "rpc.h"
#include "rpc_int.h"
#include "testutil.h"

static struct rpc_server *srv;
static struct rpc_channel *chan;
static char target[64];
static const struct rpc_method *m_query, *m_operate, *m_start;
static atomic_int handler_errors;   /* handlers run on server threads: no ck_assert there */
/* DMGW_TEST_RPC_TRANSPORT=h2 (ctest rpc/test_rpc_call_h2): every channel of this test is
 * an rpc_channel_new_h2 one (the lean HTTP/2 transport against the gRPC core server). */
static bool use_h2;

static struct rpc_channel *new_chan(const char *t)
{
    return use_h2 ? rpc_channel_new_h2(t) : rpc_channel_new(t);
}

/* ---------- handlers ---------- */

/* QueryStatus: msg = "<name>|<x-request-id or ->", inline on the server thread. */
static void h_query(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    const Pb__QueryStatusListRequest *r = (const Pb__QueryStatusListRequest *)req;
    const char *rid = rpc_server_call_md(call, "x-request-id");
    char msg[256];
    snprintf(msg, sizeof(msg), "%s|%s|%s", r->name, rid ? rid : "-",
             strncmp(rpc_server_call_peer(call), "ipv4:127.0.0.1:", 15) ? "?" : "peer");
    Pb__QueryStatusListResponse resp = PB__QUERY_STATUS_LIST_RESPONSE__INIT;
    resp.result = true;
    resp.msg = msg;
    int rc = rpc_server_reply(call, &resp.base);
    if (rc != DM_OK) {
        fprintf(stderr, "h_query: reply failed: %s\n", dm_strerror(rc));
        atomic_fetch_add(&handler_errors, 1);
    }
}

struct late_reply {
    struct rpc_server_call *call;
    const Pb__OperateTaskRequest *req;
};

static void *late_reply_thread(void *arg)
{
    struct late_reply *lr = arg;
    usleep((useconds_t)strtol(lr->req->name, NULL, 10) * 1000);
    Pb__OperateTaskResponse resp = PB__OPERATE_TASK_RESPONSE__INIT;
    resp.op = lr->req->op;
    resp.result = true;
    resp.msg = lr->req->name;
    rpc_server_reply(lr->call, &resp.base);   /* may fail: the client may be gone */
    free(lr);
    return NULL;
}

/* OperateTask: replies from another thread after `name` milliseconds. */
static void h_operate(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct late_reply *lr = malloc(sizeof(*lr));
    lr->call = call;
    lr->req = (const Pb__OperateTaskRequest *)req;
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, late_reply_thread, lr) != 0) {
        atomic_fetch_add(&handler_errors, 1);
        rpc_server_reply_error(call, RPC_RESOURCE_EXHAUSTED, "no thread");
        free(lr);
    }
    pthread_attr_destroy(&a);
}

/* A server with QueryStatus + OperateTask (no ck_assert: also used from main). */
static struct rpc_server *start_server(int nthreads, int *port)
{
    struct rpc_server *s = rpc_server_new("127.0.0.1:0", nthreads);
    if (!s)
        return NULL;
    if (rpc_server_register(s, m_query, h_query, NULL) != DM_OK ||
        rpc_server_register(s, m_operate, h_operate, NULL) != DM_OK ||
        rpc_server_register(s, m_query, h_query, NULL) != DM_E_CONFLICT ||
        rpc_server_start(s, port) != DM_OK || *port <= 0 ||
        rpc_server_register(s, m_start, h_query, NULL) != DM_E_STATE) {
        rpc_server_free(s);
        return NULL;
    }
    return s;
}

/* ---------- (1) round trip + metadata ---------- */

START_TEST(sync_round_trip_with_metadata)
{
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = "task-1";
    struct rpc_md md[] = { { "x-request-id", "req-42" }, { "x-other", "v" } };
    int status = -1;
    ProtobufCMessage *resp = NULL;
    char details[128];
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &req.base, 2000, md, 2, &status, &resp,
                                   details, sizeof(details)), DM_OK);
    ck_assert_int_eq(status, RPC_OK);
    ck_assert_ptr_nonnull(resp);
    ck_assert_ptr_eq(resp->descriptor, &pb__query_status_list_response__descriptor);
    Pb__QueryStatusListResponse *r = (Pb__QueryStatusListResponse *)resp;
    ck_assert(r->result);
    ck_assert_str_eq(r->msg, "task-1|req-42|peer");
    ck_assert_str_eq(details, "");
    protobuf_c_message_free_unpacked(resp, NULL);

    /* without metadata, and reusing the channel's registered call */
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &req.base, 2000, NULL, 0, &status, &resp,
                                   NULL, 0), DM_OK);
    ck_assert_str_eq(((Pb__QueryStatusListResponse *)resp)->msg, "task-1|-|peer");
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_str_eq(rpc_channel_target(chan), target);
}
END_TEST

/* ---------- raw answers (issue 18): decoded by the thread that owns the request ---------- */

struct answer_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rpc_answer *a;
    bool done, on_client_thread;
};

static void answer_cb(void *arg, struct rpc_answer *a)
{
    struct answer_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->a = rpc_answer_ref(a);   /* only take a reference: nothing decoded here */
    w->on_client_thread = rpc_on_client_thread();
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static struct rpc_answer *answer_call(const struct rpc_method *m, const ProtobufCMessage *req,
                                      bool *on_client_thread)
{
    struct answer_wait w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    struct rpc_md md[1] = {{"x-request-id", "raw-1"}};
    ck_assert_int_eq(rpc_call_start_answer(chan, m, req, 5000, md, 1, answer_cb, &w), DM_OK);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    *on_client_thread = w.on_client_thread;
    return w.a;
}

START_TEST(answer_decoded_on_the_owner_thread)
{
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = "raw";
    bool cb_on_client = false;
    struct rpc_answer *a = answer_call(m_query, &req.base, &cb_on_client);
    ck_assert(cb_on_client);
    ck_assert_ptr_nonnull(a);
    int64_t el = -1;
    ck_assert_int_eq(rpc_answer_status(a, &el), RPC_OK);
    ck_assert_int_ge(el, 0);
    /* two owners decode the same answer independently (coalesced waiters) */
    struct rpc_answer *second = rpc_answer_ref(a);
    for (int i = 0; i < 2; i++) {
        struct rpc_result res;
        rpc_answer_result(i ? second : a, &res);
        ck_assert(!rpc_on_client_thread());
        ck_assert_int_eq(res.status, RPC_OK);
        ck_assert_ptr_nonnull(res.resp);
        ck_assert_ptr_eq(res.resp->descriptor, &pb__query_status_list_response__descriptor);
        ck_assert_str_eq(((Pb__QueryStatusListResponse *)res.resp)->msg, "raw|raw-1|peer");
        protobuf_c_message_free_unpacked(res.resp, NULL);
    }
    rpc_answer_unref(a);
    rpc_answer_unref(second);

    /* a local answer (a call that could not start): status and details, no body */
    struct rpc_answer *l = rpc_answer_new(RPC_UNAVAILABLE, "no route");
    struct rpc_result res;
    rpc_answer_result(l, &res);
    ck_assert_int_eq(res.status, RPC_UNAVAILABLE);
    ck_assert_str_eq(res.details, "no route");
    ck_assert_ptr_null(res.resp);
    rpc_answer_unref(l);
    rpc_answer_result(NULL, &res);
    ck_assert_int_eq(res.status, RPC_INTERNAL);
    rpc_answer_unref(NULL);
}
END_TEST

/* 8 threads starting calls on one channel at once: over h2 one thread writes while the
 * others only queue their frames (h2_client.c flush_locked); every answer must be its own
 * call's (frames of two calls interleaved or lost would fail or mix them up). */
enum { MT_THREADS = 8, MT_CALLS = 100 };

struct mt_arg {
    int id;
    int bad;   /* answers that were not this call's */
};

static void *mt_thread(void *p)
{
    struct mt_arg *arg = p;
    for (int i = 0; i < MT_CALLS; i++) {
        char name[32], rid[32], want[80];
        snprintf(name, sizeof(name), "t%d-c%d", arg->id, i);
        snprintf(rid, sizeof(rid), "r%d-%d", arg->id, i);
        snprintf(want, sizeof(want), "%s|%s|peer", name, rid);
        Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
        req.name = name;
        struct answer_wait w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
        struct rpc_md md[1] = {{"x-request-id", rid}};
        if (rpc_call_start_answer(chan, m_query, &req.base, 10000, md, 1, answer_cb, &w) != DM_OK) {
            arg->bad++;
            continue;
        }
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        struct rpc_result res;
        rpc_answer_result(w.a, &res);
        if (res.status != RPC_OK || !res.resp ||
            strcmp(((Pb__QueryStatusListResponse *)res.resp)->msg, want) != 0)
            arg->bad++;
        if (res.resp)
            protobuf_c_message_free_unpacked(res.resp, NULL);
        rpc_answer_unref(w.a);
    }
    return NULL;
}

START_TEST(calls_from_many_threads_at_once)
{
    pthread_t th[MT_THREADS];
    struct mt_arg args[MT_THREADS];
    for (int t = 0; t < MT_THREADS; t++) {
        args[t] = (struct mt_arg){.id = t};
        ck_assert_int_eq(pthread_create(&th[t], NULL, mt_thread, &args[t]), 0);
    }
    int bad = 0;
    for (int t = 0; t < MT_THREADS; t++) {
        pthread_join(th[t], NULL);
        bad += args[t].bad;
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(answer_of_an_unreachable_target)
{
    struct rpc_channel *dead = new_chan("127.0.0.1:1");
    ck_assert_ptr_nonnull(dead);
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = "x";
    struct answer_wait w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    ck_assert_int_eq(rpc_call_start_answer(dead, m_query, &req.base, 10000, NULL, 0, answer_cb, &w),
                     DM_OK);
    ck_assert_int_eq(rpc_call_start_answer(dead, m_query, &req.base, 10000, NULL, 0, NULL, &w),
                     DM_E_INVAL);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    struct rpc_result res;
    rpc_answer_result(w.a, &res);
    ck_assert_int_eq(res.status, RPC_UNAVAILABLE);
    ck_assert_ptr_null(res.resp);
    rpc_answer_unref(w.a);
    rpc_channel_free(dead);
}
END_TEST

START_TEST(start_rejects_bad_arguments)
{
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    Pb__OperateTaskRequest other = PB__OPERATE_TASK_REQUEST__INIT;
    int status;
    ProtobufCMessage *resp;
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &req.base, 0, NULL, 0, &status, &resp, NULL, 0),
                     DM_E_INVAL);                                  /* no deadline */
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &other.base, 1000, NULL, 0, &status, &resp, NULL, 0),
                     DM_E_INVAL);                                  /* wrong message type */
    struct rpc_md bad[] = { { "Upper-Case", "x" } };
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &req.base, 1000, bad, 1, &status, &resp, NULL, 0),
                     DM_E_INVAL);                                  /* illegal header key */
    const struct rpc_method *stream = rpc_method_find(&pb__worker__descriptor, "FetchDDLInfo");
    ck_assert_int_eq(rpc_call_sync(chan, stream, &req.base, 1000, NULL, 0, &status, &resp, NULL, 0),
                     DM_E_INVAL);
}
END_TEST

/* ---------- (2) fan-out ---------- */

struct fan_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    size_t n;
    int status[64];
    char msg[64][64];
    bool on_client_thread;
};

static void fan_done(void *arg, struct rpc_result *res, size_t n)
{
    struct fan_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->n = n;
    w->on_client_thread = rpc_on_client_thread();
    for (size_t i = 0; i < n; i++) {
        w->status[i] = res[i].status;
        w->msg[i][0] = '\0';
        if (res[i].resp && res[i].resp->descriptor == &pb__query_status_list_response__descriptor)
            snprintf(w->msg[i], sizeof(w->msg[i]), "%s",
                     ((Pb__QueryStatusListResponse *)res[i].resp)->msg);
        else if (res[i].resp)
            snprintf(w->msg[i], sizeof(w->msg[i]), "%s",
                     ((Pb__OperateTaskResponse *)res[i].resp)->msg);
    }
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void fan_wait_done(struct fan_wait *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

START_TEST(fanout_64_concurrent)
{
    static struct fan_wait w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    enum { N = 64 };
    Pb__QueryStatusListRequest req[N];
    char names[N][16];
    struct rpc_fanout *f = rpc_fanout_new(N, fan_done, &w);
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < N; i++) {
        pb__query_status_list_request__init(&req[i]);
        snprintf(names[i], sizeof(names[i]), "q%d", i);
        req[i].name = names[i];
        rpc_fanout_start(f, (size_t)i, chan, m_query, &req[i].base, 3000, NULL, 0);
    }
    fan_wait_done(&w);
    ck_assert_uint_eq(w.n, N);
    ck_assert(w.on_client_thread);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof(want), "q%d|-|peer", i);
        ck_assert_int_eq(w.status[i], RPC_OK);
        ck_assert_str_eq(w.msg[i], want);
    }
}
END_TEST

/* 32 handlers each answering after 300 ms from their own thread: concurrent, not serial. */
START_TEST(fanout_late_replies_run_concurrently)
{
    static struct fan_wait w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    enum { N = 32 };
    Pb__OperateTaskRequest req = PB__OPERATE_TASK_REQUEST__INIT;
    req.name = "300";
    req.op = PB__TASK_OP__Pause;
    struct rpc_fanout *f = rpc_fanout_new(N, fan_done, &w);
    long long t0 = tu_now_ms();
    for (int i = 0; i < N; i++)
        rpc_fanout_start(f, (size_t)i, chan, m_operate, &req.base, 5000, NULL, 0);
    fan_wait_done(&w);
    long long ms = tu_now_ms() - t0;
    ck_assert_int_ge(ms, 290);
    ck_assert_int_lt(ms, 2500);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(w.status[i], RPC_OK);
        ck_assert_str_eq(w.msg[i], "300");
    }
}
END_TEST

/* A start that fails is recorded as UNAVAILABLE, the rest still complete. */
START_TEST(fanout_failed_start_recorded)
{
    static struct fan_wait w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = "x";
    struct rpc_fanout *f = rpc_fanout_new(3, fan_done, &w);
    rpc_fanout_start(f, 0, chan, m_query, &req.base, 2000, NULL, 0);
    rpc_fanout_start(f, 1, chan, m_query, &req.base, 0, NULL, 0);   /* no deadline: rejected */
    rpc_fanout_start(f, 2, chan, m_query, &req.base, 2000, NULL, 0);
    fan_wait_done(&w);
    ck_assert_int_eq(w.status[0], RPC_OK);
    ck_assert_int_eq(w.status[1], RPC_UNAVAILABLE);
    ck_assert_int_eq(w.status[2], RPC_OK);
    ck_assert_ptr_null(rpc_fanout_new(0, fan_done, &w));
}
END_TEST

/* ---------- (3) deadline ---------- */

START_TEST(deadline_exceeded_on_time)
{
    Pb__OperateTaskRequest req = PB__OPERATE_TASK_REQUEST__INIT;
    req.name = "1500";
    int status = -1;
    ProtobufCMessage *resp = (ProtobufCMessage *)1;
    long long t0 = tu_now_ms();
    ck_assert_int_eq(rpc_call_sync(chan, m_operate, &req.base, 300, NULL, 0, &status, &resp,
                                   NULL, 0), DM_OK);
    long long ms = tu_now_ms() - t0;
    ck_assert_int_eq(status, RPC_DEADLINE_EXCEEDED);
    ck_assert_ptr_null(resp);
    ck_assert_int_ge(ms, 280);
    ck_assert_int_lt(ms, 800);
}
END_TEST

/* ---------- (4) unreachable ---------- */

START_TEST(unreachable_is_unavailable_fast)
{
    char t[64];
    snprintf(t, sizeof(t), "127.0.0.1:%d", tu_free_port());
    struct rpc_channel *dead = new_chan(t);
    ck_assert_ptr_nonnull(dead);
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    for (int round = 0; round < 2; round++) {   /* first connect, then during backoff */
        int status = -1;
        char details[256];
        long long t0 = tu_now_ms();
        ck_assert_int_eq(rpc_call_sync(dead, m_query, &req.base, 10000, NULL, 0, &status, NULL,
                                       details, sizeof(details)), DM_OK);
        ck_assert_int_eq(status, RPC_UNAVAILABLE);
        ck_assert_int_lt(tu_now_ms() - t0, 1500);
    }
    rpc_channel_free(dead);
}
END_TEST

/* ---------- (5)(6) malformed requests and unknown methods ---------- */

START_TEST(garbage_request_is_invalid_argument)
{
    static const uint8_t bad[] = { 0x0a, 0x10, 'a', 'b' };
    int status = -1;
    char details[128];
    if (use_h2) {   /* raw calls are gRPC core only (rpc.h) */
        ck_assert_int_eq(rpc_call_raw_sync(chan, "/pb.Master/QueryStatus", bad, sizeof(bad), 2000,
                                           &status, details, sizeof(details)), DM_E_INVAL);
        return;
    }
    ck_assert_int_eq(rpc_call_raw_sync(chan, "/pb.Master/QueryStatus", bad, sizeof(bad), 2000,
                                       &status, details, sizeof(details)), DM_OK);
    ck_assert_int_eq(status, RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(details, "malformed request message");
    /* the server is still fine afterwards */
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = "after";
    ProtobufCMessage *resp = NULL;
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &req.base, 2000, NULL, 0, &status, &resp,
                                   NULL, 0), DM_OK);
    ck_assert_int_eq(status, RPC_OK);
    protobuf_c_message_free_unpacked(resp, NULL);
}
END_TEST

START_TEST(unregistered_method_is_unimplemented)
{
    int status = -1;
    ck_assert_int_eq(rpc_call_raw_sync(chan, "/pb.Master/NoSuchMethod", "", 0, 2000, &status,
                                       NULL, 0), use_h2 ? DM_E_INVAL : DM_OK);
    if (!use_h2)
        ck_assert_int_eq(status, RPC_UNIMPLEMENTED);
    /* a real pb.Master method this server did not register */
    Pb__StartTaskRequest req = PB__START_TASK_REQUEST__INIT;
    ProtobufCMessage *resp = (ProtobufCMessage *)1;
    ck_assert_int_eq(rpc_call_sync(chan, m_start, &req.base, 2000, NULL, 0, &status, &resp,
                                   NULL, 0), DM_OK);
    ck_assert_int_eq(status, RPC_UNIMPLEMENTED);
    ck_assert_ptr_null(resp);
}
END_TEST

/* ---------- (8) shutdown with calls in flight ---------- */

struct one_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int status;
    char msg[64];
};

static void one_done(void *arg, struct rpc_result *res)
{
    struct one_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->status = res->status;
    if (res->resp)
        snprintf(w->msg, sizeof(w->msg), "%s", ((Pb__OperateTaskResponse *)res->resp)->msg);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void one_wait_done(struct one_wait *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* grace shorter than the handler: the call is cancelled, shutdown waits for the late
 * reply (which fails harmlessly) and returns. */
START_TEST(shutdown_cancels_in_flight_call)
{
    int port = 0;
    struct rpc_server *s = start_server(2, &port);
    ck_assert_ptr_nonnull(s);
    char t[64];
    snprintf(t, sizeof(t), "127.0.0.1:%d", port);
    struct rpc_channel *c = new_chan(t);
    static struct one_wait w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    Pb__OperateTaskRequest req = PB__OPERATE_TASK_REQUEST__INIT;
    req.name = "700";
    ck_assert_int_eq(rpc_call_start(c, m_operate, &req.base, 5000, NULL, 0, one_done, &w), DM_OK);
    usleep(200 * 1000);   /* the call reached the handler */
    long long t0 = tu_now_ms();
    rpc_server_shutdown(s, 100);
    long long ms = tu_now_ms() - t0;
    ck_assert_int_lt(ms, 2000);
    one_wait_done(&w);
    ck_assert_int_ne(w.status, RPC_OK);
    rpc_server_shutdown(s, 100);   /* idempotent */
    rpc_server_free(s);
    rpc_channel_free(c);
}
END_TEST

/* grace longer than the handler: the in-flight call completes normally. */
START_TEST(shutdown_lets_in_flight_call_finish)
{
    int port = 0;
    struct rpc_server *s = start_server(1, &port);
    ck_assert_ptr_nonnull(s);
    char t[64];
    snprintf(t, sizeof(t), "127.0.0.1:%d", port);
    struct rpc_channel *c = new_chan(t);
    static struct one_wait w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    /* connected first: the 150 ms below are for the call to reach the handler, not for a
     * lazy connect (under TSan that took longer and the shutdown came first) */
    int warm = -1;
    Pb__QueryStatusListRequest wq = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    ck_assert_int_eq(rpc_call_sync(c, m_query, &wq.base, 5000, NULL, 0, &warm, NULL, NULL, 0), DM_OK);
    Pb__OperateTaskRequest req = PB__OPERATE_TASK_REQUEST__INIT;
    req.name = "400";
    ck_assert_int_eq(rpc_call_start(c, m_operate, &req.base, 5000, NULL, 0, one_done, &w), DM_OK);
    usleep(150 * 1000);
    long long t0 = tu_now_ms();
    rpc_server_shutdown(s, 3000);
    ck_assert_int_lt(tu_now_ms() - t0, 2000);
    one_wait_done(&w);
    ck_assert_int_eq(w.status, RPC_OK);
    ck_assert_str_eq(w.msg, "400");
    /* the server is gone now */
    int status = -1;
    Pb__QueryStatusListRequest q = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    ck_assert_int_eq(rpc_call_sync(c, m_query, &q.base, 2000, NULL, 0, &status, NULL, NULL, 0), DM_OK);
    ck_assert_int_eq(status, RPC_UNAVAILABLE);
    rpc_server_free(s);
    rpc_channel_free(c);
}
END_TEST

START_TEST(server_never_started_and_bad_listen)
{
    struct rpc_server *s = rpc_server_new("127.0.0.1:0", 1);
    ck_assert_ptr_nonnull(s);
    rpc_server_free(s);
    ck_assert_ptr_null(rpc_server_new("127.0.0.1:0", 0));
    s = rpc_server_new("256.1.1.1:1", 1);
    ck_assert_ptr_nonnull(s);
    int port = 77;
    ck_assert_int_eq(rpc_server_start(s, &port), DM_E_IO);
    ck_assert_int_le(port, 0);
    rpc_server_free(s);
}
END_TEST

/* ---------- (9) channel state ---------- */

static enum rpc_chan_state wait_state(struct rpc_channel *c, enum rpc_chan_state want, int ms)
{
    enum rpc_chan_state st = rpc_channel_state(c, true);
    for (long long end = tu_now_ms() + ms; st != want && tu_now_ms() < end;) {
        usleep(20 * 1000);
        st = rpc_channel_state(c, true);
    }
    return st;
}

START_TEST(channel_state_reporting)
{
    struct rpc_channel *c = new_chan(target);
    ck_assert_int_eq(rpc_channel_state(c, false), RPC_CHAN_IDLE);
    ck_assert_int_eq(wait_state(c, RPC_CHAN_READY, 3000), RPC_CHAN_READY);
    ck_assert_str_eq(rpc_chan_state_name(RPC_CHAN_READY), "READY");
    rpc_channel_free(c);

    char t[64];
    snprintf(t, sizeof(t), "127.0.0.1:%d", tu_free_port());
    c = new_chan(t);
    ck_assert_int_eq(wait_state(c, RPC_CHAN_TRANSIENT_FAILURE, 3000), RPC_CHAN_TRANSIENT_FAILURE);
    ck_assert_str_eq(rpc_chan_state_name(RPC_CHAN_TRANSIENT_FAILURE), "TRANSIENT_FAILURE");
    rpc_channel_free(c);
    ck_assert_ptr_null(new_chan(""));
}
END_TEST

/* issue 17: the fail-fast snapshot. Down only once TRANSIENT_FAILURE was seen, up again
 * as soon as the target is READY (bounded waits, no timing assertion). */
static bool wait_known_down(struct rpc_channel *c, bool want, int ms)
{
    for (long long end = tu_now_ms() + ms; tu_now_ms() < end; usleep(20 * 1000))
        if (rpc_channel_known_down(c) == want)
            return true;
    return rpc_channel_known_down(c) == want;
}

START_TEST(channel_known_down_snapshot)
{
    ck_assert(!rpc_channel_known_down(NULL));
    /* a working target is never "down" */
    struct rpc_channel *up = new_chan(target);
    ck_assert(!rpc_channel_known_down(up));
    ck_assert_int_eq(wait_state(up, RPC_CHAN_READY, 3000), RPC_CHAN_READY);
    ck_assert(!rpc_channel_known_down(up));
    rpc_channel_free(up);   /* with its watch armed */

    int port = tu_free_port();
    char t[64];
    snprintf(t, sizeof(t), "127.0.0.1:%d", port);
    struct rpc_channel *c = new_chan(t);
    ck_assert(!rpc_channel_known_down(c));   /* unknown yet: not down */
    rpc_channel_state(c, true);              /* a connection attempt fails */
    ck_assert(wait_known_down(c, true, 5000));
    /* the target comes up on that port: the watcher reconnects by itself */
    struct rpc_server *s = rpc_server_new(t, 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(rpc_server_register(s, m_query, h_query, NULL), DM_OK);
    int bound = 0;
    ck_assert_int_eq(rpc_server_start(s, &bound), DM_OK);
    ck_assert_int_eq(bound, port);
    ck_assert(wait_known_down(c, false, 10000));
    ck_assert_int_eq(rpc_channel_state(c, false), RPC_CHAN_READY);
    rpc_channel_free(c);
    rpc_server_free(s);
}
END_TEST

/* ---------- lanes (rpc_lane_new): calls owned by one event loop's thread ---------- */

static _Thread_local bool tl_in_service;   /* inside rpc_lane_service on this thread */

struct lane_wait {
    pthread_mutex_t mu;
    bool done, in_service;
    pthread_t th;
    int status;
    char msg[96];
};

static void lane_cb(void *arg, struct rpc_answer *a)
{
    struct lane_wait *w = arg;
    struct rpc_result res;
    rpc_answer_result(a, &res);
    pthread_mutex_lock(&w->mu);
    w->in_service = tl_in_service;
    w->th = pthread_self();
    w->status = res.status;
    const char *m = !res.resp ? ""
                    : res.resp->descriptor == &pb__query_status_list_response__descriptor
                        ? ((Pb__QueryStatusListResponse *)res.resp)->msg
                        : ((Pb__OperateTaskResponse *)res.resp)->msg;
    snprintf(w->msg, sizeof(w->msg), "%s", m ? m : "");
    w->done = true;
    pthread_mutex_unlock(&w->mu);
    if (res.resp)
        protobuf_c_message_free_unpacked(res.resp, NULL);
}

static bool lane_done(struct lane_wait *w)
{
    pthread_mutex_lock(&w->mu);
    bool d = w->done;
    pthread_mutex_unlock(&w->mu);
    return d;
}

/* One turn of a loop: wait (at most 50 ms) and service the lane. */
static void lane_pump(int epfd, struct rpc_lane *l)
{
    struct epoll_event ev[4];
    rpc_lane_flush(l);
    int t = rpc_lane_timeout_ms(l);
    int n = epoll_wait(epfd, ev, 4, t < 0 || t > 50 ? 50 : t);
    tl_in_service = true;
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_eq(ev[i].data.ptr, l);
        rpc_lane_service(l, ev[i].events);
    }
    if (n <= 0)
        rpc_lane_service(l, 0);
    tl_in_service = false;
}

static void lane_start_query(struct lane_wait *w, const char *name, const char *rid)
{
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = (char *)name;
    struct rpc_md md[1] = {{"x-request-id", rid}};
    *w = (struct lane_wait){.mu = PTHREAD_MUTEX_INITIALIZER, .status = -1};
    ck_assert_int_eq(rpc_call_start_answer(chan, m_query, &req.base, 10000, md, 1, lane_cb, w), DM_OK);
}

START_TEST(lane_calls_run_on_the_loop_thread)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    ck_assert_int_ge(epfd, 0);
    struct rpc_lane *l = rpc_lane_new(chan, epfd);
    if (!use_h2) {   /* gRPC core channels have no lanes */
        ck_assert_ptr_null(l);
        close(epfd);
        return;
    }
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_null(rpc_lane_new(chan, epfd));   /* one per thread */
    /* a blocking call on a loop's thread goes the channel's way (the lane is read only by
     * this thread: it would wait for itself) and connects the channel */
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    req.name = "sync";
    int status = -1;
    ck_assert_int_eq(rpc_call_sync(chan, m_query, &req.base, 5000, NULL, 0, &status, NULL, NULL, 0),
                     DM_OK);
    ck_assert_int_eq(status, RPC_OK);
    /* the first calls go the channel's way while the lane dials; then they are the lane's:
     * answered on this thread, inside rpc_lane_service, never inside the start */
    bool laned = false;
    for (int i = 0; i < 200 && !laned; i++) {
        struct lane_wait w;
        lane_start_query(&w, "warm", "lane-w");
        ck_assert(!w.done || !w.in_service);
        while (!lane_done(&w))
            lane_pump(epfd, l);
        ck_assert_int_eq(w.status, RPC_OK);
        ck_assert_str_eq(w.msg, "warm|lane-w|peer");
        laned = w.in_service && pthread_equal(w.th, pthread_self());
    }
    ck_assert(laned);
    /* a burst: every answer its own call's, all on this thread */
    enum { BURST = 32 };
    static struct lane_wait ws[BURST];
    char names[BURST][16], rids[BURST][16];
    for (int i = 0; i < BURST; i++) {
        snprintf(names[i], sizeof(names[i]), "b%d", i);
        snprintf(rids[i], sizeof(rids[i]), "r%d", i);
        lane_start_query(&ws[i], names[i], rids[i]);
    }
    for (int i = 0; i < BURST; i++) {
        while (!lane_done(&ws[i]))
            lane_pump(epfd, l);
        char want[96];
        snprintf(want, sizeof(want), "%.15s|%.15s|peer", names[i], rids[i]);
        ck_assert_int_eq(ws[i].status, RPC_OK);
        ck_assert_str_eq(ws[i].msg, want);
        ck_assert(ws[i].in_service && pthread_equal(ws[i].th, pthread_self()));
    }
    /* a deadline on the lane: the loop's timer ends it DEADLINE_EXCEEDED */
    Pb__OperateTaskRequest op = PB__OPERATE_TASK_REQUEST__INIT;
    op.name = "1500";
    struct lane_wait d = {.mu = PTHREAD_MUTEX_INITIALIZER, .status = -1};
    ck_assert_int_eq(rpc_call_start_answer(chan, m_operate, &op.base, 200, NULL, 0, lane_cb, &d), DM_OK);
    while (!lane_done(&d))
        lane_pump(epfd, l);
    ck_assert_int_eq(d.status, RPC_DEADLINE_EXCEEDED);
    ck_assert(d.in_service);
    /* freeing the lane with a call in flight ends it CANCELLED, inside rpc_lane_free */
    op.name = "300";
    struct lane_wait c = {.mu = PTHREAD_MUTEX_INITIALIZER, .status = -1};
    ck_assert_int_eq(rpc_call_start_answer(chan, m_operate, &op.base, 5000, NULL, 0, lane_cb, &c), DM_OK);
    rpc_lane_free(l);
    ck_assert(lane_done(&c));
    ck_assert_int_eq(c.status, RPC_CANCELLED);
    /* without a lane the thread's calls go the channel's way again */
    struct lane_wait after;
    lane_start_query(&after, "after", "lane-a");
    while (!lane_done(&after))
        usleep(1000);
    ck_assert_int_eq(after.status, RPC_OK);
    ck_assert(!pthread_equal(after.th, pthread_self()));
    close(epfd);
}
END_TEST

int main(void)
{
    const char *tr = getenv("DMGW_TEST_RPC_TRANSPORT");
    use_h2 = tr && !strcmp(tr, "h2");
    if (rpc_global_init() != DM_OK || rpc_global_init() != DM_OK)   /* refcounted */
        return EXIT_FAILURE;
    rpc_global_shutdown();
    m_query = rpc_method_find(&pb__master__descriptor, "QueryStatus");
    m_operate = rpc_method_find(&pb__master__descriptor, "OperateTask");
    m_start = rpc_method_find(&pb__master__descriptor, "StartTask");
    int port = 0;
    srv = start_server(4, &port);
    if (!srv)
        return EXIT_FAILURE;
    snprintf(target, sizeof(target), "127.0.0.1:%d", port);
    chan = new_chan(target);

    Suite *s = suite_create(use_h2 ? "rpc_call (h2 transport)" : "rpc_call");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sync_round_trip_with_metadata);
    tcase_add_test(tc, start_rejects_bad_arguments);
    tcase_add_test(tc, answer_decoded_on_the_owner_thread);
    tcase_add_test(tc, answer_of_an_unreachable_target);
    tcase_add_test(tc, calls_from_many_threads_at_once);
    tcase_add_test(tc, lane_calls_run_on_the_loop_thread);
    tcase_add_test(tc, fanout_64_concurrent);
    tcase_add_test(tc, fanout_late_replies_run_concurrently);
    tcase_add_test(tc, fanout_failed_start_recorded);
    tcase_add_test(tc, deadline_exceeded_on_time);
    tcase_add_test(tc, unreachable_is_unavailable_fast);
    tcase_add_test(tc, garbage_request_is_invalid_argument);
    tcase_add_test(tc, unregistered_method_is_unimplemented);
    tcase_add_test(tc, shutdown_cancels_in_flight_call);
    tcase_add_test(tc, shutdown_lets_in_flight_call_finish);
    tcase_add_test(tc, server_never_started_and_bad_listen);
    tcase_add_test(tc, channel_state_reporting);
    tcase_add_test(tc, channel_known_down_snapshot);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);   /* gRPC threads do not survive fork() */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr) + atomic_load(&handler_errors);
    srunner_free(sr);

    rpc_channel_free(chan);
    rpc_server_shutdown(srv, 1000);
    rpc_server_free(srv);
    rpc_global_shutdown();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

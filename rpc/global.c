/* global.c - process-wide gRPC state: grpc_init, the client completion queue and its
 * thread, shared channel/server arguments and small helpers used by the other files. */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/support/time.h>

#include "codec.h"
#include "dm_error.h"
#include "log.h"
#include "rpc_int.h"

static struct {
    pthread_mutex_t mu;       /* guards refs and start/stop */
    int refs;
    grpc_completion_queue *cq;
    pthread_t thread;
    pthread_mutex_t watch_mu; /* guards stopping and every connectivity watch armed */
    bool stopping;            /* the queue is shutting down: arm nothing more */
} g = { .mu = PTHREAD_MUTEX_INITIALIZER, .watch_mu = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local bool on_client_thread;
static bool small_unary;   /* rpc_global_small_unary_client: set before rpc_global_init */

void rpc_global_small_unary_client(bool on)
{
    small_unary = on;
}

void rpc_cq_loop(grpc_completion_queue *cq)
{
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        struct rpc_tag *t = ev.tag;
        rpc_tag_received(t);
        t->fn(t, ev.success != 0);
    }
}

void rpc_mark_client_thread(void)
{
    on_client_thread = true;
}

static void *client_thread(void *arg)
{
    on_client_thread = true;
    rpc_cq_loop(arg);
    return NULL;
}

int rpc_global_init(void)
{
    int rc = DM_OK;
    pthread_mutex_lock(&g.mu);
    if (g.refs++ > 0)
        goto out;
    rpc_absl_tune();
    grpc_init();
    g.cq = grpc_completion_queue_create_for_next(NULL);
    pthread_mutex_lock(&g.watch_mu);
    g.stopping = false;
    pthread_mutex_unlock(&g.watch_mu);
    if (!g.cq || pthread_create(&g.thread, NULL, client_thread, g.cq) != 0) {
        if (g.cq)
            grpc_completion_queue_destroy(g.cq);
        g.cq = NULL;
        grpc_shutdown();
        g.refs = 0;
        rc = DM_E_INTERNAL;
        goto out;
    }
out:
    pthread_mutex_unlock(&g.mu);
    return rc;
}

void rpc_global_shutdown(void)
{
    pthread_mutex_lock(&g.mu);
    if (g.refs == 0 || --g.refs > 0)
        goto out;
    /* the loop delivers the remaining completions (every call has a deadline), then
     * GRPC_QUEUE_SHUTDOWN */
    pthread_mutex_lock(&g.watch_mu);
    g.stopping = true;
    pthread_mutex_unlock(&g.watch_mu);
    grpc_completion_queue_shutdown(g.cq);
    pthread_join(g.thread, NULL);
    grpc_completion_queue_destroy(g.cq);
    g.cq = NULL;
    grpc_shutdown();
out:
    pthread_mutex_unlock(&g.mu);
}

grpc_completion_queue *rpc_client_cq(void)
{
    return g.cq;
}

int rpc_client_watch(grpc_channel *ch, grpc_connectivity_state last, int64_t ms,
                     struct rpc_tag *tag)
{
    int rc = DM_E_STATE;
    pthread_mutex_lock(&g.watch_mu);
    if (g.cq && !g.stopping) {
        rpc_tag_handoff(tag);
        grpc_channel_watch_connectivity_state(ch, last, rpc_deadline_after(ms), g.cq, tag);
        rc = DM_OK;
    }
    pthread_mutex_unlock(&g.watch_mu);
    return rc;
}

bool rpc_on_client_thread(void)
{
    return on_client_thread;
}

gpr_timespec rpc_deadline_after(int64_t ms)
{
    if (ms <= 0)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

int64_t rpc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Keepalive: real DM (Go gRPC) servers enforce a 5 min minimum ping interval by
 * default and GOAWAY clients that ping faster, so we ping every 6 min (only while
 * calls are active). Reconnect backoff is short so a restarted peer is found fast;
 * calls are fail-fast (no wait_for_ready): a down target is UNAVAILABLE at once. */
static grpc_arg channel_arg_list[] = {
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, .value.integer = (int)CODEC_MAX_MSG },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = (int)CODEC_MAX_MSG },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_KEEPALIVE_TIME_MS, .value.integer = 360000 },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_KEEPALIVE_TIMEOUT_MS, .value.integer = 20000 },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, .value.integer = 1000 },
    /* gRPC core also takes this as the minimum connect timeout (TCP + HTTP/2 handshake;
     * its own default 20 s): at 1000 a handshake slower than 1 s (a loaded host, TSan, a
     * far link) failed as UNAVAILABLE - the master/test_ddl TSan flake (relaychaos). The
     * retry pace is the initial/max backoff, unchanged; a peer that refuses fails at once. */
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, .value.integer = 5000 },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, .value.integer = 3000 },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_CHANNELZ, .value.integer = 0 },
    /* last, small unary clients only (rpc_global_small_unary_client): no BDP pings */
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_HTTP2_BDP_PROBE, .value.integer = 0 },
};
#define CHANNEL_NARGS (sizeof(channel_arg_list) / sizeof(channel_arg_list[0]))
static const grpc_channel_args channel_args = { CHANNEL_NARGS - 1, channel_arg_list };
static const grpc_channel_args small_unary_channel_args = { CHANNEL_NARGS, channel_arg_list };

/* Server: same message bound; accept client pings down to 10 s apart. */
static grpc_arg server_arg_list[] = {
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, .value.integer = (int)CODEC_MAX_MSG },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = (int)CODEC_MAX_MSG },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, .value.integer = 10000 },
    { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_CHANNELZ, .value.integer = 0 },
};
static const grpc_channel_args server_args = {
    sizeof(server_arg_list) / sizeof(server_arg_list[0]), server_arg_list
};

const grpc_channel_args *rpc_channel_args(void)
{
    return small_unary ? &small_unary_channel_args : &channel_args;
}

const grpc_channel_args *rpc_server_args(void)
{
    return &server_args;
}

char *rpc_slice_strdup(grpc_slice s)
{
    size_t n = GRPC_SLICE_LENGTH(s);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, GRPC_SLICE_START_PTR(s), n);
    p[n] = '\0';
    return p;
}

void rpc_md_grpc_free(grpc_metadata *g_md, size_t n)
{
    for (size_t i = 0; g_md && i < n; i++) {
        grpc_slice_unref(g_md[i].key);
        grpc_slice_unref(g_md[i].value);
    }
    free(g_md);
}

int rpc_md_to_grpc(const struct rpc_md *md, size_t n, grpc_metadata **out)
{
    *out = NULL;
    if (n == 0)
        return DM_OK;
    if (!md)
        return DM_E_INVAL;
    grpc_metadata *a = calloc(n, sizeof(*a));
    if (!a)
        return DM_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!md[i].key || !md[i].value) {
            rpc_md_grpc_free(a, i);
            return DM_E_INVAL;
        }
        a[i].key = grpc_slice_from_copied_string(md[i].key);
        a[i].value = grpc_slice_from_copied_string(md[i].value);
        if (!grpc_header_key_is_legal(a[i].key) ||
            (!grpc_is_binary_header(a[i].key) && !grpc_header_nonbin_value_is_legal(a[i].value))) {
            rpc_md_grpc_free(a, i + 1);
            return DM_E_INVAL;
        }
    }
    *out = a;
    return DM_OK;
}

void rpc_batch_check(grpc_call_error e, const char *where)
{
    if (e == GRPC_CALL_OK)
        return;
    dm_log_kv(DM_LOG_ERROR, "grpc_call_start_batch failed (bug)", "where", where,
              "error", grpc_call_error_to_string(e), NULL);
    assert(e == GRPC_CALL_OK);
}

/* metrics.c - see metrics.h */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dm_error.h"
#include "dm_metrics.h"
#include "rpc.h"

#define NBUCKETS 11
static const double BUCKETS[NBUCKETS] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,   1,    5,     30};

struct hist {
    uint64_t b[NBUCKETS];
    uint64_t count;
    double sum;
};

struct http_series {
    const char *route, *method;
    int code;
    uint64_t n;
};
struct named_hist {
    const char *name;
    struct hist h;
};
struct rpc_series {
    const char *rpc, *outcome;
    uint64_t n;
};
struct auth_series {
    const char *reason;
    uint64_t n;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct http_series http_s[METRICS_MAX_SERIES];
static size_t n_http;
static struct named_hist route_h[METRICS_MAX_SERIES];
static size_t n_route_h;
static struct rpc_series rpc_s[METRICS_MAX_SERIES];
static size_t n_rpc;
static struct named_hist rpc_h[64];
static size_t n_rpc_h;
static struct auth_series auth_s[64];
static size_t n_auth;
static uint64_t dropped;
static atomic_long in_flight;
static atomic_ullong coalesced;
static atomic_long sse_watchers;
static atomic_ullong sse_polls;
static atomic_long http_parked;
static atomic_ullong http_parks;
static atomic_ullong idem_outcomes[4];   /* stored, replayed, busy, mismatch */
static atomic_long idem_keys;
static const char *build_version = "unknown";

void metrics_set_version(const char *version)
{
    build_version = version;
}

static void hist_add(struct hist *h, int64_t dur_us)
{
    double s = (double)dur_us / 1e6;
    for (int i = 0; i < NBUCKETS; i++) {
        if (s <= BUCKETS[i])
            h->b[i]++;
    }
    h->count++;
    h->sum += s;
}

static struct hist *named(struct named_hist *arr, size_t *n, size_t max, const char *name)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(arr[i].name, name) == 0)
            return &arr[i].h;
    }
    if (*n == max) {
        dropped++;
        return NULL;
    }
    arr[*n].name = name;
    return &arr[(*n)++].h;
}

void metrics_http_observe(const char *route, const char *method, int code, int64_t dur_us)
{
    pthread_mutex_lock(&mu);
    size_t i = 0;
    for (; i < n_http; i++) {
        if (http_s[i].code == code && strcmp(http_s[i].route, route) == 0 &&
            strcmp(http_s[i].method, method) == 0)
            break;
    }
    if (i == n_http && n_http < METRICS_MAX_SERIES)
        http_s[n_http++] = (struct http_series){route, method, code, 0};
    if (i < n_http)
        http_s[i].n++;
    else
        dropped++;
    struct hist *h = named(route_h, &n_route_h, METRICS_MAX_SERIES, route);
    if (h)
        hist_add(h, dur_us);
    pthread_mutex_unlock(&mu);
}

void metrics_in_flight_add(int delta)
{
    atomic_fetch_add(&in_flight, delta);
}

void metrics_coalesced_add(int n)
{
    atomic_fetch_add(&coalesced, (unsigned long long)n);
}

void metrics_sse_watchers_add(int delta)
{
    atomic_fetch_add(&sse_watchers, delta);
}

void metrics_http_parked_add(int delta)
{
    atomic_fetch_add(&http_parked, delta);
    if (delta > 0)
        atomic_fetch_add(&http_parks, (unsigned long long)delta);
}

void metrics_http_waiting_add(int delta)
{
    atomic_fetch_add(&http_parked, delta);
}

void metrics_idempotency(enum metrics_idem what, int keys_delta)
{
    if ((unsigned)what < 4)
        atomic_fetch_add(&idem_outcomes[what], 1);
    atomic_fetch_add(&idem_keys, keys_delta);
}

void metrics_sse_poll(void)
{
    atomic_fetch_add(&sse_polls, 1);
}

static const char *rpc_outcome(int status)
{
    switch (status) {
    case RPC_OK: return "ok";
    case RPC_CANCELLED: return "cancelled";
    case RPC_DEADLINE_EXCEEDED: return "deadline_exceeded";
    case RPC_UNIMPLEMENTED: return "unimplemented";
    case RPC_UNAVAILABLE: return "unavailable";
    case RPC_RESOURCE_EXHAUSTED: return "resource_exhausted";
    default: return "error";
    }
}

void metrics_rpc_observe(const char *rpc, int status, int64_t dur_us)
{
    const char *outcome = rpc_outcome(status);
    pthread_mutex_lock(&mu);
    size_t i = 0;
    for (; i < n_rpc; i++) {
        if (strcmp(rpc_s[i].rpc, rpc) == 0 && strcmp(rpc_s[i].outcome, outcome) == 0)
            break;
    }
    if (i == n_rpc && n_rpc < METRICS_MAX_SERIES)
        rpc_s[n_rpc++] = (struct rpc_series){rpc, outcome, 0};
    if (i < n_rpc)
        rpc_s[i].n++;
    else
        dropped++;
    struct hist *h = named(rpc_h, &n_rpc_h, sizeof(rpc_h) / sizeof(rpc_h[0]), rpc);
    if (h)
        hist_add(h, dur_us);
    pthread_mutex_unlock(&mu);
}

void metrics_auth_failure(const char *reason)
{
    pthread_mutex_lock(&mu);
    size_t i = 0;
    for (; i < n_auth; i++) {
        if (strcmp(auth_s[i].reason, reason) == 0)
            break;
    }
    if (i == n_auth && n_auth < sizeof(auth_s) / sizeof(auth_s[0]))
        auth_s[n_auth++] = (struct auth_series){reason, 0};
    if (i < n_auth)
        auth_s[i].n++;
    else
        dropped++;
    pthread_mutex_unlock(&mu);
}

uint64_t metrics_rpc_count(const char *rpc)
{
    uint64_t n = 0;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n_rpc; i++) {
        if (strcmp(rpc_s[i].rpc, rpc) == 0)
            n += rpc_s[i].n;
    }
    pthread_mutex_unlock(&mu);
    return n;
}

static int render_hist(struct dm_buf *o, const char *fam, const char *help, const char *label,
                       const struct named_hist *arr, size_t n)
{
    int rc = dm_buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", fam, help, fam);
    for (size_t i = 0; rc == DM_OK && i < n; i++) {
        const struct hist *h = &arr[i].h;
        for (int b = 0; rc == DM_OK && b < NBUCKETS; b++)
            rc = dm_buf_printf(o, "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n", fam, label,
                               arr[i].name, BUCKETS[b], (unsigned long long)h->b[b]);
        if (rc == DM_OK)
            rc = dm_buf_printf(o,
                               "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n"
                               "%s_sum{%s=\"%s\"} %.6f\n%s_count{%s=\"%s\"} %llu\n",
                               fam, label, arr[i].name, (unsigned long long)h->count, fam,
                               label, arr[i].name, h->sum, fam, label, arr[i].name,
                               (unsigned long long)h->count);
    }
    return rc;
}

static int render_counters(struct dm_buf *o)
{
    int rc = dm_buf_adds(o, "# HELP dmgw_http_requests_total HTTP requests by route, method "
                            "and status code.\n# TYPE dmgw_http_requests_total counter\n");
    for (size_t i = 0; rc == DM_OK && i < n_http; i++)
        rc = dm_buf_printf(o, "dmgw_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %llu\n",
                           http_s[i].route, http_s[i].method, http_s[i].code,
                           (unsigned long long)http_s[i].n);
    if (rc == DM_OK)
        rc = dm_buf_adds(o, "# HELP dmgw_master_rpc_total Master RPCs by rpc and outcome.\n"
                            "# TYPE dmgw_master_rpc_total counter\n");
    for (size_t i = 0; rc == DM_OK && i < n_rpc; i++)
        rc = dm_buf_printf(o, "dmgw_master_rpc_total{rpc=\"%s\",outcome=\"%s\"} %llu\n",
                           rpc_s[i].rpc, rpc_s[i].outcome, (unsigned long long)rpc_s[i].n);
    if (rc == DM_OK)
        rc = dm_buf_adds(o, "# HELP dmgw_auth_failures_total Refused credentials by reason.\n"
                            "# TYPE dmgw_auth_failures_total counter\n");
    for (size_t i = 0; rc == DM_OK && i < n_auth; i++)
        rc = dm_buf_printf(o, "dmgw_auth_failures_total{reason=\"%s\"} %llu\n", auth_s[i].reason,
                           (unsigned long long)auth_s[i].n);
    return rc;
}

int metrics_render(struct dm_buf *o)
{
    pthread_mutex_lock(&mu);
    int rc = render_counters(o);
    if (rc == DM_OK)
        rc = render_hist(o, "dmgw_http_request_duration_seconds",
                         "HTTP request duration by route, from the first byte to the answer.",
                         "route", route_h, n_route_h);
    if (rc == DM_OK)
        rc = render_hist(o, "dmgw_master_rpc_duration_seconds",
                         "Master RPC duration by rpc, from the call to its status.", "rpc",
                         rpc_h, n_rpc_h);
    if (rc == DM_OK)
        rc = dm_buf_printf(o,
                           "# HELP dmgw_http_in_flight_requests Requests being answered now.\n"
                           "# TYPE dmgw_http_in_flight_requests gauge\n"
                           "dmgw_http_in_flight_requests %ld\n"
                           "# HELP dmgw_coalesced_requests_total Reads answered by an "
                           "identical request's master RPC.\n"
                           "# TYPE dmgw_coalesced_requests_total counter\n"
                           "dmgw_coalesced_requests_total %llu\n"
                           "# HELP dmgw_sse_watchers Open status streams.\n"
                           "# TYPE dmgw_sse_watchers gauge\n"
                           "dmgw_sse_watchers %ld\n"
                           "# HELP dmgw_sse_polls_total Master polls made for status streams.\n"
                           "# TYPE dmgw_sse_polls_total counter\n"
                           "dmgw_sse_polls_total %llu\n"
                           "# HELP dmgw_http_parked_connections Idle connections held outside "
                           "libmicrohttpd (keep-alive, or new without a whole request head).\n"
                           "# TYPE dmgw_http_parked_connections gauge\n"
                           "dmgw_http_parked_connections %ld\n"
                           "# HELP dmgw_http_parks_total Connections parked while idle.\n"
                           "# TYPE dmgw_http_parks_total counter\n"
                           "dmgw_http_parks_total %llu\n"
                           "# HELP dmgw_idempotency_requests_total Writes with an "
                           "Idempotency-Key by outcome.\n"
                           "# TYPE dmgw_idempotency_requests_total counter\n"
                           "dmgw_idempotency_requests_total{outcome=\"stored\"} %llu\n"
                           "dmgw_idempotency_requests_total{outcome=\"replayed\"} %llu\n"
                           "dmgw_idempotency_requests_total{outcome=\"in_progress\"} %llu\n"
                           "dmgw_idempotency_requests_total{outcome=\"mismatch\"} %llu\n"
                           "# HELP dmgw_idempotency_keys Idempotency keys held.\n"
                           "# TYPE dmgw_idempotency_keys gauge\n"
                           "dmgw_idempotency_keys %ld\n"
                           "# HELP dmgw_metrics_dropped_total Samples dropped because a label table was full.\n"
                           "# TYPE dmgw_metrics_dropped_total counter\n"
                           "dmgw_metrics_dropped_total %llu\n"
                           "# HELP dmgw_build_info The gateway's version.\n"
                           "# TYPE dmgw_build_info gauge\n"
                           "dmgw_build_info{version=\"%s\"} 1\n",
                           atomic_load(&in_flight), atomic_load(&coalesced),
                           atomic_load(&sse_watchers), atomic_load(&sse_polls),
                           atomic_load(&http_parked), atomic_load(&http_parks),
                           atomic_load(&idem_outcomes[0]), atomic_load(&idem_outcomes[1]),
                           atomic_load(&idem_outcomes[2]), atomic_load(&idem_outcomes[3]),
                           atomic_load(&idem_keys), (unsigned long long)dropped, build_version);
    pthread_mutex_unlock(&mu);
    if (rc == DM_OK)
        rc = dm_metrics_render_process(o);
    return rc;
}

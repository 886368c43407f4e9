/* grpc_qs_bench.c - dmgw-grpc-bench: closed-loop gRPC load generator on rpc/.
 * Keeps `-c` unary calls of one pb.Master method in flight (each completion starts the
 * next call from the client completion-queue callback), for `-d` seconds or `-n` calls,
 * and prints req/s and latency percentiles (log-linear histogram, < 0.2 % error):
 *   human line on stderr, one machine-readable `key=value` line on stdout.
 * Latency is measured from rpc_call_start to the callback (includes packing/unpacking).
 * Threads: main thread (start, wait, report) + the rpc client cq thread (callbacks);
 * shared state is under one mutex. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "pbjson.h"
#include "rpc.h"

#define SUB_BITS 9                          /* 512 sub-buckets per power of two */
#define SUB_COUNT (1 << SUB_BITS)
#define EXACT_MAX (2 * SUB_COUNT)           /* values < 1024 us are exact */
#define HIST_BUCKETS (EXACT_MAX + 40 * SUB_COUNT)
#define MAX_CONC 4096
#define MAX_MD 8

struct opts {
    const char *addr, *method, *task, *req_json, *label;
    struct rpc_md md[MAX_MD];
    size_t nmd;
    long conc;
    double duration_s, warmup_s;
    long long nreq;
    long timeout_ms;
    bool quiet;
};

struct stats {
    uint64_t hist[HIST_BUCKETS];
    uint64_t ok, errors, inband_false, warm;
    uint64_t err_by_status[17];
    double sum_us;
    int64_t max_us;
    char first_error[256];
};

struct bench {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct opts o;
    struct stats st;
    struct rpc_channel *ch;
    const struct rpc_method *m;
    ProtobufCMessage *req;
    const ProtobufCFieldDescriptor *result_field;
    long inflight;
    long long started;          /* calls started (for -n) */
    bool stop;
    int64_t t_measure_us;       /* completions before this are warm-up */
    int64_t t_first_us, t_last_us;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------- histogram ---------- */

static size_t hist_index(int64_t v)
{
    if (v < 0)
        v = 0;
    if (v < EXACT_MAX)
        return (size_t)v;
    int msb = 63 - __builtin_clzll((unsigned long long)v);
    int shift = msb - SUB_BITS;                         /* >= 1 here */
    size_t idx = (size_t)EXACT_MAX + (size_t)(shift - 1) * SUB_COUNT +
                 (size_t)((v >> shift) - SUB_COUNT);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* Midpoint of a bucket, in microseconds. */
static double hist_value(size_t idx)
{
    if (idx < EXACT_MAX)
        return (double)idx;
    size_t rel = idx - EXACT_MAX;
    int shift = (int)(rel / SUB_COUNT) + 1;
    double lo = (double)((int64_t)(rel % SUB_COUNT + SUB_COUNT) << shift);
    return lo + (double)((int64_t)1 << shift) / 2.0;
}

static double hist_percentile(const struct stats *st, double p)
{
    uint64_t n = st->ok;
    if (n == 0)
        return 0.0;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += st->hist[i];
        if (seen >= rank)
            return hist_value(i);
    }
    return (double)st->max_us;
}

/* ---------- the closed loop ---------- */

static void on_done(void *arg, struct rpc_result *res);

/* Start one call; caller holds b->mu. Returns false when no call was started. */
static bool start_one(struct bench *b)
{
    int rc = rpc_call_start(b->ch, b->m, b->req, b->o.timeout_ms, b->o.md, b->o.nmd, on_done, b);
    if (rc != DM_OK) {
        b->st.errors++;
        if (!b->st.first_error[0])
            snprintf(b->st.first_error, sizeof(b->st.first_error), "rpc_call_start: %s",
                     dm_strerror(rc));
        return false;
    }
    b->inflight++;
    b->started++;
    return true;
}

static bool result_is_false(const struct bench *b, const ProtobufCMessage *resp)
{
    if (!b->result_field || !resp)
        return false;
    const protobuf_c_boolean *v =
        (const protobuf_c_boolean *)((const char *)resp + b->result_field->offset);
    return !*v;
}

static void record(struct bench *b, const struct rpc_result *res, int64_t lat_us, int64_t t)
{
    struct stats *st = &b->st;
    if (t < b->t_measure_us) {
        st->warm++;
        return;
    }
    if (st->ok + st->errors == 0)
        b->t_first_us = b->t_measure_us;
    b->t_last_us = t;
    if (res->status != RPC_OK) {
        st->errors++;
        st->err_by_status[res->status >= 0 && res->status < 17 ? res->status : 2]++;
        if (!st->first_error[0])
            snprintf(st->first_error, sizeof(st->first_error), "status %d: %s", res->status,
                     res->details ? res->details : "");
        return;
    }
    st->ok++;
    st->hist[hist_index(lat_us)]++;
    st->sum_us += (double)lat_us;
    if (lat_us > st->max_us)
        st->max_us = lat_us;
    if (result_is_false(b, res->resp))
        st->inband_false++;
}

static void on_done(void *arg, struct rpc_result *res)
{
    struct bench *b = arg;
    int64_t t = now_us();
    pthread_mutex_lock(&b->mu);
    /* elapsed_us is measured by rpc/ from just before the batch start to completion. */
    record(b, res, res->elapsed_us, t);
    b->inflight--;
    bool more = !b->stop && (b->o.nreq <= 0 || b->started < b->o.nreq);
    if (more)
        start_one(b);
    if (b->inflight == 0)
        pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* ---------- options ---------- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: dmgw-grpc-bench [--addr host:port] [--method QueryStatus] [--task NAME]\n"
            "                       [--req JSON] [-c CONC] [-d SECONDS | -n REQUESTS]\n"
            "                       [--warmup SECONDS] [--timeout-ms MS] [-H key:value]...\n"
            "                       [--label TEXT] [-q]\n"
            "Closed-loop load on one pb.Master unary method (default QueryStatus of --task)\n"
            "via rpc/. Defaults: --addr 127.0.0.1:8261 -c 64 -d 5 --warmup 0.5.\n"
            "stdout: one line of key=value (label, method, conc, duration_s, requests,\n"
            "errors, inband_false, rps, mean_ms, p50_ms, p90_ms, p99_ms, max_ms).\n");
}

static int parse_num(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s ? s : "", &end);
    if (!s || end == s || *end || errno || !(v >= 0))
        return -1;
    *out = v;
    return 0;
}

static int add_md(struct opts *o, char *kv)
{
    char *colon = strchr(kv, ':');
    if (!colon || o->nmd >= MAX_MD)
        return -1;
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ')
        v++;
    for (char *p = kv; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    o->md[o->nmd].key = kv;
    o->md[o->nmd].value = v;
    o->nmd++;
    return 0;
}

/* One option with a value; returns 0, or -1 on a bad value. */
static int set_opt(struct opts *o, const char *k, char *v)
{
    double d = 0;
    if (!strcmp(k, "--addr"))
        o->addr = v;
    else if (!strcmp(k, "--method"))
        o->method = v;
    else if (!strcmp(k, "--task"))
        o->task = v;
    else if (!strcmp(k, "--req"))
        o->req_json = v;
    else if (!strcmp(k, "--label"))
        o->label = v;
    else if (!strcmp(k, "-H"))
        return add_md(o, v);
    else if (parse_num(v, &d) != 0)
        return -1;
    else if (!strcmp(k, "-c"))
        o->conc = (long)d;
    else if (!strcmp(k, "-d"))
        o->duration_s = d;
    else if (!strcmp(k, "-n"))
        o->nreq = (long long)d;
    else if (!strcmp(k, "--warmup"))
        o->warmup_s = d;
    else if (!strcmp(k, "--timeout-ms"))
        o->timeout_ms = (long)d;
    else
        return -1;
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    *o = (struct opts){ .addr = "127.0.0.1:8261", .method = "QueryStatus", .task = "",
                        .label = "", .conc = 64, .duration_s = 5, .warmup_s = 0.5,
                        .timeout_ms = 10000 };
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "-h") || !strcmp(k, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(k, "-q")) {
            o->quiet = true;
            continue;
        }
        if (i + 1 >= argc || set_opt(o, k, argv[i + 1]) != 0) {
            fprintf(stderr, "dmgw-grpc-bench: bad or incomplete option %s\n", k);
            return -1;
        }
        i++;
    }
    if (o->conc < 1 || o->conc > MAX_CONC || o->timeout_ms < 1 ||
        (o->nreq <= 0 && o->duration_s <= 0)) {
        fprintf(stderr, "dmgw-grpc-bench: need 1 <= -c <= %d, --timeout-ms >= 1, -d or -n\n",
                MAX_CONC);
        return -1;
    }
    if (o->nreq > 0)
        o->warmup_s = 0;   /* -n: count every request */
    return 0;
}

/* ---------- setup / run / report ---------- */

static int build_request(struct bench *b)
{
    char err[256] = "";
    char dflt[512];
    const char *json = b->o.req_json;
    if (!json) {
        if (!strcmp(b->o.method, "QueryStatus") && strlen(b->o.task) < 400)
            snprintf(dflt, sizeof(dflt), "{\"name\":\"%s\"}", b->o.task);
        else
            snprintf(dflt, sizeof(dflt), "{}");
        json = dflt;
    }
    int rc = pbjson_decode(b->m->input, json, strlen(json), &b->req, err, sizeof(err));
    if (rc != DM_OK) {
        fprintf(stderr, "dmgw-grpc-bench: request JSON for %s: %s (%s)\n", b->m->path,
                dm_strerror(rc), err);
        return -1;
    }
    b->result_field = protobuf_c_message_descriptor_get_field_by_name(b->m->output, "result");
    if (b->result_field && b->result_field->type != PROTOBUF_C_TYPE_BOOL)
        b->result_field = NULL;
    return 0;
}

/* Probe call: fail fast with a clear message when the target does not answer. */
static int probe(struct bench *b)
{
    int status = -1;
    char details[256] = "";
    int rc = rpc_call_sync(b->ch, b->m, b->req, b->o.timeout_ms, b->o.md, b->o.nmd, &status,
                           NULL, details, sizeof(details));
    if (rc != DM_OK || status == RPC_UNAVAILABLE || status == RPC_UNIMPLEMENTED) {
        fprintf(stderr, "dmgw-grpc-bench: %s at %s does not answer: %s\n", b->m->path,
                b->o.addr, rc != DM_OK ? dm_strerror(rc) : details);
        return -1;
    }
    return 0;
}

static void run_loop(struct bench *b)
{
    int64_t t0 = now_us();
    pthread_mutex_lock(&b->mu);
    b->t_measure_us = t0 + (int64_t)(b->o.warmup_s * 1e6);
    for (long i = 0; i < b->o.conc && (b->o.nreq <= 0 || b->started < b->o.nreq); i++)
        if (!start_one(b))
            break;
    pthread_mutex_unlock(&b->mu);

    /* Wait for the duration (or for -n to finish), then drain; all bounded. */
    double total_s = b->o.nreq > 0 ? 3600.0 : b->o.warmup_s + b->o.duration_s;
    int64_t t_end = t0 + (int64_t)(total_s * 1e6);
    pthread_mutex_lock(&b->mu);
    while (b->inflight > 0 && now_us() < t_end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
    }
    b->stop = true;
    b->t_last_us = b->t_last_us ? b->t_last_us : now_us();
    int64_t t_drain = now_us() + (b->o.timeout_ms + 2000) * 1000;
    while (b->inflight > 0 && now_us() < t_drain) {
        pthread_mutex_unlock(&b->mu);
        struct timespec ts = { 0, 5 * 1000000L };
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
}

static void report(const struct bench *b)
{
    const struct stats *st = &b->st;
    double secs = (double)(b->t_last_us - b->t_first_us) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    double rps = (double)st->ok / secs;
    double mean = st->ok ? st->sum_us / (double)st->ok / 1000.0 : 0.0;
    double p50 = hist_percentile(st, 50) / 1000.0, p90 = hist_percentile(st, 90) / 1000.0;
    double p99 = hist_percentile(st, 99) / 1000.0, mx = (double)st->max_us / 1000.0;
    printf("label=%s method=%s addr=%s conc=%ld duration_s=%.3f requests=%" PRIu64
           " errors=%" PRIu64 " inband_false=%" PRIu64 " rps=%.1f mean_ms=%.3f p50_ms=%.3f"
           " p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
           b->o.label[0] ? b->o.label : "-", b->o.method, b->o.addr, b->o.conc, secs, st->ok,
           st->errors, st->inband_false, rps, mean, p50, p90, p99, mx);
    if (!b->o.quiet) {
        fprintf(stderr,
                "grpc-bench %s %s c=%ld: %" PRIu64 " ok / %" PRIu64 " errors in %.2f s = %.0f req/s;"
                " latency ms p50 %.3f p90 %.3f p99 %.3f max %.3f (mean %.3f)\n",
                b->m->path, b->o.addr, b->o.conc, st->ok, st->errors, secs, rps, p50, p90, p99,
                mx, mean);
        if (st->inband_false)
            fprintf(stderr, "grpc-bench: %" PRIu64 " responses had result=false (in-band)\n",
                    st->inband_false);
        if (st->first_error[0])
            fprintf(stderr, "grpc-bench: first error: %s\n", st->first_error);
    }
}

int main(int argc, char **argv)
{
    static struct bench b;   /* large histogram: not on the stack */
    int rc = 1;
    if (parse_args(&b.o, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    b.m = rpc_method_find(&pb__master__descriptor, b.o.method);
    if (!b.m || b.m->client_streaming || b.m->server_streaming) {
        fprintf(stderr, "dmgw-grpc-bench: no unary pb.Master method %s\n", b.o.method);
        return 2;
    }
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    if (rpc_global_init() != DM_OK) {
        fprintf(stderr, "dmgw-grpc-bench: rpc_global_init failed\n");
        return 1;
    }
    if (build_request(&b) != 0)
        goto out;
    if (!(b.ch = rpc_channel_new(b.o.addr)))
        goto out;
    if (probe(&b) != 0)
        goto out;
    run_loop(&b);
    report(&b);
    rc = b.st.ok > 0 ? 0 : 1;
    if (b.inflight > 0) {   /* calls still pending after the drain: leave them alone */
        fprintf(stderr, "dmgw-grpc-bench: %ld calls did not finish\n", b.inflight);
        return 1;
    }
out:
    {
        if (b.ch)
            rpc_channel_free(b.ch);
        if (b.req)
            protobuf_c_message_free_unpacked(b.req, NULL);
        rpc_global_shutdown();
    }
    return rc;
}

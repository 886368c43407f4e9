/* scripted_workers.c - dmgw-scripted-workers: ONE process hosting N scripted pb.Worker
 * servers on N loopback ports, for dm-master fan-out benchmarks (fanout_scripted.sh)
 * without N real dm-workers and MariaDBs.
 *
 * Each worker i (source-id "bench-src-<i>") answers at once:
 *   QueryStatus       result=true, sourceID, a Running relay, and one subtask <task>
 *                     (stage Running, unit Sync, a filled SyncStatus); a request for another
 *                     task name gets no subtask and msg "no sub task started" (as DM)
 *   QueryError        result=true, no errors
 *   QueryWorkerConfig result=true, sourceID, a [from] TOML (127.0.0.1:3306 root)
 *   FetchDDLInfo      the stream is held open (nothing sent) until the peer or we close it
 * Everything else is UNIMPLEMENTED.
 *
 *   dmgw-scripted-workers [-n N] [--task NAME] [--threads T] [--ports-file FILE] [--delay-ms D]
 *
 * --delay-ms D: QueryStatus answers D ms after it arrived instead of at once (a service time,
 * as a real dm-worker spends on SHOW MASTER STATUS and its units' status). The reply is sent
 * by one timer thread from a FIFO of pending calls, so no server thread blocks: a master that
 * fans out in parallel sees about D at any N, a serial one N x D.
 *
 * Ports: picked by the kernel ("127.0.0.1:0"); printed space-separated on one stdout line
 * and, with --ports-file, written to FILE (one per line, atomically via rename) once all N
 * servers listen. Runs until SIGTERM/SIGINT, then shuts every server down.
 * Threads: T completion-queue threads per server (default 1) + one detached thread per
 * open FetchDDLInfo stream; the main thread only waits for the signal. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "rpc.h"

#define MAX_WORKERS 1024

struct sworker {
    char source_id[32];
    char from[160];
    struct rpc_server *srv;
    int port;
};

static const char *g_task = "bench";
static atomic_bool g_stop;

static void status_reply(struct rpc_server_call *call, const ProtobufCMessage *req, struct sworker *w)
{
    const Pb__QueryStatusRequest *r = (const Pb__QueryStatusRequest *)req;
    Pb__QueryStatusResponse resp = PB__QUERY_STATUS_RESPONSE__INIT;
    Pb__RelayStatus relay = PB__RELAY_STATUS__INIT;
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    Pb__SubTaskStatus *pst[1] = {&st};
    Pb__SyncStatus sync = PB__SYNC_STATUS__INIT;
    relay.masterbinlog = (char *)"(mysql-bin.000003, 194561)";
    relay.relaysubdir = (char *)"0-1.000001";
    relay.relaybinlog = (char *)"(mysql-bin.000003, 194561)";
    relay.relaycatchupmaster = true;
    relay.stage = PB__STAGE__Running;
    resp.result = true;
    resp.sourceid = w->source_id;
    resp.relaystatus = &relay;
    if (!r->name || !*r->name || strcmp(r->name, g_task) == 0) {
        sync.totalevents = 123456;
        sync.totaltps = 250;
        sync.recenttps = 180;
        sync.masterbinlog = (char *)"(mysql-bin.000003, 194561)";
        sync.masterbinloggtid = (char *)"0-1-4711";
        sync.syncerbinlog = (char *)"(mysql-bin.000003, 194561)";
        sync.syncerbinloggtid = (char *)"0-1-4711";
        sync.synced = true;
        st.name = (char *)g_task;
        st.stage = PB__STAGE__Running;
        st.unit = PB__UNIT_TYPE__Sync;
        st.status_case = PB__SUB_TASK_STATUS__STATUS_SYNC;
        st.sync = &sync;
        resp.subtaskstatus = pst;
        resp.n_subtaskstatus = 1;
    } else {
        resp.msg = (char *)"no sub task started";
    }
    rpc_server_reply(call, &resp.base);
}

/* ---- delayed replies (--delay-ms): FIFO of pending calls, one timer thread ---- */

#define DELAY_QCAP 65536

struct delayed {
    struct rpc_server_call *call;
    const ProtobufCMessage *req;
    struct sworker *w;
    int64_t due_us;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct delayed q[DELAY_QCAP];
    size_t head, len;
    int64_t delay_us;
    pthread_t thread;
} g_delay = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *delay_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_delay.mu);
    for (;;) {
        while (g_delay.len == 0 && !atomic_load(&g_stop))
            pthread_cond_wait(&g_delay.cv, &g_delay.mu);
        if (g_delay.len == 0)
            break;
        struct delayed d = g_delay.q[g_delay.head];
        int64_t left = d.due_us - now_us();
        if (left > 0 && !atomic_load(&g_stop)) {
            pthread_mutex_unlock(&g_delay.mu);
            struct timespec ts = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000L};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&g_delay.mu);
            continue;
        }
        g_delay.head = (g_delay.head + 1) % DELAY_QCAP;
        g_delay.len--;
        pthread_mutex_unlock(&g_delay.mu);
        status_reply(d.call, d.req, d.w);
        pthread_mutex_lock(&g_delay.mu);
    }
    pthread_mutex_unlock(&g_delay.mu);
    return NULL;
}

static void h_status(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct sworker *w = ctx;
    if (g_delay.delay_us <= 0) {
        status_reply(call, req, w);
        return;
    }
    pthread_mutex_lock(&g_delay.mu);
    if (g_delay.len == DELAY_QCAP || atomic_load(&g_stop)) {
        pthread_mutex_unlock(&g_delay.mu);
        rpc_server_reply_error(call, RPC_RESOURCE_EXHAUSTED, "delay queue full");
        return;
    }
    g_delay.q[(g_delay.head + g_delay.len) % DELAY_QCAP] =
        (struct delayed){call, req, w, now_us() + g_delay.delay_us};
    g_delay.len++;
    pthread_cond_signal(&g_delay.cv);
    pthread_mutex_unlock(&g_delay.mu);
}

static void h_error(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    (void)ctx;
    (void)req;
    Pb__QueryErrorResponse resp = PB__QUERY_ERROR_RESPONSE__INIT;
    resp.result = true;
    rpc_server_reply(call, &resp.base);
}

static void h_config(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct sworker *w = ctx;
    (void)req;
    Pb__QueryWorkerConfigResponse resp = PB__QUERY_WORKER_CONFIG_RESPONSE__INIT;
    resp.result = true;
    resp.sourceid = w->source_id;
    resp.content = w->from;
    rpc_server_reply(call, &resp.base);
}

/* hold the stream open; drop whatever the master sends (DDLLockInfo) */
static int h_fetch(struct rpc_stream *st, void *ctx)
{
    (void)ctx;
    while (!atomic_load(&g_stop)) {
        ProtobufCMessage *m = NULL;
        int rc = rpc_stream_recv(st, 500, &m);
        if (rc == DM_E_TIMEOUT)
            continue;
        if (rc != DM_OK)
            break;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    return RPC_OK;
}

static int start_worker(struct sworker *w, int i, int threads)
{
    snprintf(w->source_id, sizeof(w->source_id), "bench-src-%02d", i + 1);
    snprintf(w->from, sizeof(w->from), "host = \"127.0.0.1\"\nport = 3306\nuser = \"root\"\npassword = \"\"\n");
    w->srv = rpc_server_new("127.0.0.1:0", threads);
    if (!w->srv)
        return DM_E_NOMEM;
    static const struct {
        const char *name;
        rpc_handler_fn fn;
    } tbl[] = {{"QueryStatus", h_status}, {"QueryError", h_error}, {"QueryWorkerConfig", h_config}};
    for (size_t k = 0; k < sizeof(tbl) / sizeof(tbl[0]); k++)
        if (rpc_server_register(w->srv, rpc_method_find(&pb__worker__descriptor, tbl[k].name), tbl[k].fn, w) != DM_OK)
            return DM_E_INTERNAL;
    if (rpc_server_register_stream(w->srv, rpc_method_find(&pb__worker__descriptor, "FetchDDLInfo"), h_fetch, w) != DM_OK)
        return DM_E_INTERNAL;
    return rpc_server_start(w->srv, &w->port);
}

static int write_ports(const char *path, const struct sworker *ws, int n)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++)
        fprintf(f, "%d\n", ws[i].port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: dmgw-scripted-workers [-n N] [--task NAME] [--threads T] [--ports-file FILE]\n"
               "                             [--delay-ms D]\n"
               "N scripted pb.Worker servers (QueryStatus/QueryError/QueryWorkerConfig/FetchDDLInfo)\n"
               "on loopback ports; defaults -n 64 --task bench --threads 1 --delay-ms 0 (QueryStatus\n"
               "answers D ms after arrival, without blocking a thread). Runs until SIGTERM.\n");
}

int main(int argc, char **argv)
{
    long n = 64, threads = 1, delay_ms = 0;
    const char *ports_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "-h") || !strcmp(k, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(k, "-n"))
            n = strtol(v, NULL, 10);
        else if (!strcmp(k, "--task"))
            g_task = v;
        else if (!strcmp(k, "--threads"))
            threads = strtol(v, NULL, 10);
        else if (!strcmp(k, "--ports-file"))
            ports_file = v;
        else if (!strcmp(k, "--delay-ms"))
            delay_ms = strtol(v, NULL, 10);
        else {
            usage(stderr);
            return 2;
        }
    }
    if (n < 1 || n > MAX_WORKERS || threads < 1 || threads > 16 || delay_ms < 0 || delay_ms > 60000) {
        fprintf(stderr, "dmgw-scripted-workers: need 1 <= -n <= %d, 1 <= --threads <= 16, "
                        "0 <= --delay-ms <= 60000\n", MAX_WORKERS);
        return 2;
    }
    g_delay.delay_us = delay_ms * 1000;
    /* block the stop signals in every thread (inherited); main waits for them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rpc_global_init() != DM_OK) {
        fprintf(stderr, "dmgw-scripted-workers: rpc_global_init failed\n");
        return 1;
    }
    bool delay_started = g_delay.delay_us > 0 &&
                         pthread_create(&g_delay.thread, NULL, delay_thread, NULL) == 0;
    if (g_delay.delay_us > 0 && !delay_started) {
        fprintf(stderr, "dmgw-scripted-workers: cannot start the delay thread\n");
        rpc_global_shutdown();
        return 1;
    }
    struct sworker *ws = calloc((size_t)n, sizeof(*ws));
    int rc = ws ? 0 : 1;
    int started = 0;
    for (int i = 0; ws && i < n; i++, started++)
        if (start_worker(&ws[i], i, (int)threads) != DM_OK) {
            fprintf(stderr, "dmgw-scripted-workers: worker %d did not start\n", i + 1);
            rc = 1;
            started++;
            break;
        }
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            printf("%s%d", i ? " " : "", ws[i].port);
        printf("\n");
        fflush(stdout);
        if (ports_file && write_ports(ports_file, ws, (int)n) != 0) {
            fprintf(stderr, "dmgw-scripted-workers: cannot write %s\n", ports_file);
            rc = 1;
        }
    }
    if (rc == 0) {
        int sig = 0;
        sigwait(&set, &sig);
    }
    atomic_store(&g_stop, true);
    if (delay_started) {   /* answers what is queued at once, then ends */
        pthread_mutex_lock(&g_delay.mu);
        pthread_cond_broadcast(&g_delay.cv);
        pthread_mutex_unlock(&g_delay.mu);
        pthread_join(g_delay.thread, NULL);
    }
    for (int i = 0; i < started; i++)
        if (ws[i].srv)
            rpc_server_shutdown(ws[i].srv, 1000);
    for (int i = 0; i < started; i++)
        rpc_server_free(ws[i].srv);
    free(ws);
    rpc_global_shutdown();
    return rc;
}

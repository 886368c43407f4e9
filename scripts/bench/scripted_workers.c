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
 *   dmgw-scripted-workers [-n N] [--task NAME] [--threads T] [--ports-file FILE]
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

static void h_status(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct sworker *w = ctx;
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
               "N scripted pb.Worker servers (QueryStatus/QueryError/QueryWorkerConfig/FetchDDLInfo)\n"
               "on loopback ports; defaults -n 64 --task bench --threads 1. Runs until SIGTERM.\n");
}

int main(int argc, char **argv)
{
    long n = 64, threads = 1;
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
        else {
            usage(stderr);
            return 2;
        }
    }
    if (n < 1 || n > MAX_WORKERS || threads < 1 || threads > 16) {
        fprintf(stderr, "dmgw-scripted-workers: need 1 <= -n <= %d and 1 <= --threads <= 16\n", MAX_WORKERS);
        return 2;
    }
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
    for (int i = 0; i < started; i++)
        if (ws[i].srv)
            rpc_server_shutdown(ws[i].srv, 1000);
    for (int i = 0; i < started; i++)
        rpc_server_free(ws[i].srv);
    free(ws);
    rpc_global_shutdown();
    return rc;
}

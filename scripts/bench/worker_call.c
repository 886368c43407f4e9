/* worker_call.c - dmgw-worker-call: one unary pb.Worker call, request and answer as JSON.
 * The benchmarks use it where dm-master has no way to say it (a subtask of binlog-type
 * remote: dm-master always sends local, as DM v1.0).
 *   dmgw-worker-call [--addr host:port] [--timeout-ms MS] Method [JSON | @file]
 * stdout: the response (dmctl JSON style); exit 0 on gRPC OK, 1 otherwise (status on
 * stderr), 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "pbjson.h"
#include "rpc.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (s = malloc((size_t)n + 1)) != NULL) {
        if (fread(s, 1, (size_t)n, f) != (size_t)n) {
            free(s);
            s = NULL;
        } else {
            s[n] = '\0';
        }
    }
    fclose(f);
    return s;
}

static int usage(void)
{
    fprintf(stderr, "Usage: dmgw-worker-call [--addr host:port] [--timeout-ms MS] Method "
                    "[JSON | @file]\n");
    return 2;
}

static int call(const char *addr, long timeout_ms, const struct rpc_method *m, const char *json)
{
    ProtobufCMessage *req = NULL, *resp = NULL;
    char err[512] = "", details[512] = "";
    int status = -1, rc = 1;
    if (pbjson_decode(m->input, json, strlen(json), &req, err, sizeof err) != DM_OK) {
        fprintf(stderr, "dmgw-worker-call: request JSON: %s\n", err);
        return 2;
    }
    struct rpc_channel *ch = rpc_channel_new(addr);
    if (!ch) {
        fprintf(stderr, "dmgw-worker-call: bad address %s\n", addr);
    } else if (rpc_call_sync(ch, m, req, timeout_ms, NULL, 0, &status, &resp, details,
                             sizeof details) != DM_OK || status != RPC_OK) {
        fprintf(stderr, "dmgw-worker-call: %s at %s: status %d %s\n", m->path, addr, status,
                details);
    } else {
        char *out = pbjson_encode_str(resp, PBJSON_DMCTL);
        printf("%s\n", out ? out : "(out of memory)");
        free(out);
        rc = out ? 0 : 1;
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    protobuf_c_message_free_unpacked(req, NULL);
    if (ch)
        rpc_channel_free(ch);
    return rc;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1:8262", *method = NULL, *json = "{}";
    long timeout_ms = 30000;
    char *owned = NULL;
    int i = 1, rc;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--addr"))
            addr = argv[i + 1];
        else if (!strcmp(argv[i], "--timeout-ms"))
            timeout_ms = strtol(argv[i + 1], NULL, 10);
        else
            return usage();
    }
    if (i >= argc || timeout_ms <= 0)
        return usage();
    method = argv[i++];
    if (i < argc)
        json = argv[i];
    if (json[0] == '@' && !(json = owned = slurp(json + 1))) {
        fprintf(stderr, "dmgw-worker-call: cannot read %s\n", argv[i] + 1);
        return 2;
    }
    const struct rpc_method *m = rpc_method_find(&pb__worker__descriptor, method);
    if (!m || m->client_streaming || m->server_streaming) {
        fprintf(stderr, "dmgw-worker-call: no unary pb.Worker method %s\n", method);
        free(owned);
        return 2;
    }
    if (rpc_global_init() != DM_OK) {
        free(owned);
        return 1;
    }
    rc = call(addr, timeout_ms, m, json);
    rpc_global_shutdown();
    free(owned);
    return rc;
}

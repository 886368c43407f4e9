/* dmctl_master.h - a scripted pb.Master for dmctl's tests, on rpc/'s server, in the
 * test process: every Master RPC records its request (compact JSON) and answers the
 * canned response set for its method (JSON decoded with pbjson), or a gRPC error, or
 * after a delay. Header-only (static functions) because tests/support's library
 * does not link rpc/; include it from one test file only.
 * Thread-safety: the handlers run on the server's threads; the setters and getters
 * take the same mutex. */
#ifndef DMCTL_TEST_MASTER_H
#define DMCTL_TEST_MASTER_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "pbjson.h"
#include "rpc.h"

#define SM_MAX_METHODS 32

static struct sm_state {
    pthread_mutex_t mu;
    struct rpc_server *srv;
    int port;
    char *canned[SM_MAX_METHODS];   /* JSON, or "!<code>:<details>" for an error */
    int delay_ms;
    int calls;
    char last_method[64];
    char *last_request;             /* compact JSON */
} sm = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int sm_method_index(const char *name)
{
    for (unsigned i = 0; i < pb__master__descriptor.n_methods && i < SM_MAX_METHODS; i++)
        if (!strcmp(pb__master__descriptor.methods[i].name, name))
            return (int)i;
    return -1;
}

static void sm_handler(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    int idx = (int)(intptr_t)ctx;
    const struct rpc_method *m =
        rpc_method_find(&pb__master__descriptor, pb__master__descriptor.methods[idx].name);
    char *json = pbjson_encode_str(req, PBJSON_COMPACT);
    pthread_mutex_lock(&sm.mu);
    sm.calls++;
    snprintf(sm.last_method, sizeof sm.last_method, "%s", pb__master__descriptor.methods[idx].name);
    free(sm.last_request);
    sm.last_request = json;
    char *canned = sm.canned[idx] ? strdup(sm.canned[idx]) : NULL;
    int delay = sm.delay_ms;
    pthread_mutex_unlock(&sm.mu);
    if (delay > 0)
        usleep((useconds_t)delay * 1000);
    if (canned && canned[0] == '!') {
        char *colon = strchr(canned, ':');
        rpc_server_reply_error(call, atoi(canned + 1), colon ? colon + 1 : "");
        free(canned);
        return;
    }
    ProtobufCMessage *resp = NULL;
    char err[256] = "";
    const char *text = canned ? canned : "{}";
    if (pbjson_decode(m->output, text, strlen(text), &resp, err, sizeof err) != DM_OK) {
        fprintf(stderr, "scripted master: bad canned %s response: %s\n", m->path, err);
        rpc_server_reply_error(call, RPC_INTERNAL, err);
    } else {
        rpc_server_reply(call, resp);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    free(canned);
}

/* Start on 127.0.0.1:<free port>; DM_OK or an error. */
static int sm_start(void)
{
    sm.srv = rpc_server_new("127.0.0.1:0", 2);
    if (!sm.srv)
        return DM_E_NOMEM;
    for (unsigned i = 0; i < pb__master__descriptor.n_methods && i < SM_MAX_METHODS; i++) {
        const struct rpc_method *m =
            rpc_method_find(&pb__master__descriptor, pb__master__descriptor.methods[i].name);
        int rc = m ? rpc_server_register(sm.srv, m, sm_handler, (void *)(intptr_t)i) : DM_E_NOT_FOUND;
        if (rc != DM_OK)
            return rc;
    }
    return rpc_server_start(sm.srv, &sm.port);
}

static void sm_stop(void)
{
    if (sm.srv) {
        rpc_server_shutdown(sm.srv, 100);
        rpc_server_free(sm.srv);
        sm.srv = NULL;
    }
    for (int i = 0; i < SM_MAX_METHODS; i++) {
        free(sm.canned[i]);
        sm.canned[i] = NULL;
    }
    free(sm.last_request);
    sm.last_request = NULL;
}

/* Canned answer of `method` (copied); NULL = "{}". */
static void sm_set(const char *method, const char *json)
{
    int i = sm_method_index(method);
    if (i < 0)
        return;
    pthread_mutex_lock(&sm.mu);
    free(sm.canned[i]);
    sm.canned[i] = json ? strdup(json) : NULL;
    pthread_mutex_unlock(&sm.mu);
}

/* Forget the recorded calls. */
static void sm_reset_calls(int delay_ms)
{
    pthread_mutex_lock(&sm.mu);
    sm.calls = 0;
    sm.delay_ms = delay_ms;
    sm.last_method[0] = 0;
    free(sm.last_request);
    sm.last_request = NULL;
    pthread_mutex_unlock(&sm.mu);
}

#endif /* DMCTL_TEST_MASTER_H */

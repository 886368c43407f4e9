/* scripted_master.c - see scripted_master.h.
 * dmtestsupport is built without rpc/'s include path or the generated proto headers (its
 * CMakeLists links only dmcommon), so rpc/ headers are included by relative path and the
 * service descriptor is declared here; the symbols resolve from dmrpc/dmproto, which every
 * test using this file links (tests/unit/gateway/ via dmgateway). */
#include "scripted_master.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../rpc/pbjson.h"
#include "../../rpc/rpc.h"

extern const ProtobufCServiceDescriptor pb__master__descriptor;

#define SM_MAX_RPC 32
#define SM_MAX_HELD 256

struct sm_rpc {
    const struct rpc_method *m;
    const char *name;
    struct scripted_master *sm;
    char *json;          /* canned answer or NULL */
    int status;          /* != 0: answer this gRPC error */
    char *details;
    int64_t delay_ms;
    bool never;
    unsigned count;
    char *last_req;
};

struct scripted_master {
    struct rpc_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sm_rpc rpcs[SM_MAX_RPC];
    size_t nrpcs;
    struct rpc_server_call *held[SM_MAX_HELD];
    size_t nheld;
    int delayed;         /* delayed replies still sleeping */
};

static struct sm_rpc *find(struct scripted_master *sm, const char *name)
{
    for (size_t i = 0; i < sm->nrpcs; i++) {
        if (strcmp(sm->rpcs[i].name, name) == 0)
            return &sm->rpcs[i];
    }
    return NULL;
}

/* Build the answer (caller holds mu). Returns an owned message or NULL (status reply). */
static ProtobufCMessage *build_answer(struct sm_rpc *r)
{
    ProtobufCMessage *out = NULL;
    if (r->json) {
        if (pbjson_decode(r->m->output, r->json, strlen(r->json), &out, NULL, 0) == 0)
            return out;
        return NULL;
    }
    if (pbjson_decode(r->m->output, "{}", 2, &out, NULL, 0) != 0)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(out->descriptor, "result");
    if (f && f->type == PROTOBUF_C_TYPE_BOOL)
        *(protobuf_c_boolean *)((char *)out + f->offset) = 1;
    return out;
}

static void reply(struct sm_rpc *r, struct rpc_server_call *call, int status,
                  const char *details)
{
    if (status) {
        rpc_server_reply_error(call, status, details ? details : "");
        return;
    }
    pthread_mutex_lock(&r->sm->mu);
    ProtobufCMessage *ans = build_answer(r);
    pthread_mutex_unlock(&r->sm->mu);
    if (!ans) {
        rpc_server_reply_error(call, RPC_INTERNAL, "scripted master: bad canned JSON");
        return;
    }
    rpc_server_reply(call, ans);
    protobuf_c_message_free_unpacked(ans, NULL);
}

struct delayed {
    struct sm_rpc *r;
    struct rpc_server_call *call;
    int64_t ms;
    int status;
    char *details;
};

static void *delay_thread(void *arg)
{
    struct delayed *d = arg;
    struct timespec ts = {d->ms / 1000, (d->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    reply(d->r, d->call, d->status, d->details);
    struct scripted_master *sm = d->r->sm;
    free(d->details);
    free(d);
    pthread_mutex_lock(&sm->mu);
    sm->delayed--;
    pthread_cond_broadcast(&sm->cv);
    pthread_mutex_unlock(&sm->mu);
    return NULL;
}

static void start_delayed(struct sm_rpc *r, struct rpc_server_call *call, int64_t ms, int status,
                          const char *details)
{
    struct delayed *d = calloc(1, sizeof(*d));
    pthread_t t;
    if (!d) {
        rpc_server_reply_error(call, RPC_INTERNAL, "oom");
        return;
    }
    *d = (struct delayed){r, call, ms, status, details ? strdup(details) : NULL};
    pthread_mutex_lock(&r->sm->mu);
    r->sm->delayed++;
    pthread_mutex_unlock(&r->sm->mu);
    if (pthread_create(&t, NULL, delay_thread, d) != 0) {
        free(d->details);
        free(d);
        pthread_mutex_lock(&r->sm->mu);
        r->sm->delayed--;
        pthread_mutex_unlock(&r->sm->mu);
        rpc_server_reply_error(call, RPC_INTERNAL, "no thread");
        return;
    }
    pthread_detach(t);
}

static void handler(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct sm_rpc *r = ctx;
    struct scripted_master *sm = r->sm;
    char *js = pbjson_encode_str(req, PBJSON_COMPACT);
    pthread_mutex_lock(&sm->mu);
    r->count++;
    free(r->last_req);
    r->last_req = js;
    bool never = r->never;
    int64_t delay = r->delay_ms;
    int status = r->status;
    char *details = r->details ? strdup(r->details) : NULL;
    if (never && sm->nheld < SM_MAX_HELD) {
        sm->held[sm->nheld++] = call;
        pthread_mutex_unlock(&sm->mu);
        free(details);
        return;
    }
    pthread_mutex_unlock(&sm->mu);
    if (delay > 0)
        start_delayed(r, call, delay, status, details);
    else
        reply(r, call, status, details);
    free(details);
}

struct scripted_master *sm_start(int *port)
{
    *port = 0;
    return sm_start_on(port);
}

struct scripted_master *sm_start_on(int *port)
{
    struct scripted_master *sm = calloc(1, sizeof(*sm));
    if (!sm)
        return NULL;
    pthread_mutex_init(&sm->mu, NULL);
    pthread_cond_init(&sm->cv, NULL);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", *port);
    sm->srv = rpc_server_new(addr, 2);
    if (!sm->srv)
        goto fail;
    const ProtobufCServiceDescriptor *svc = &pb__master__descriptor;
    for (unsigned i = 0; i < svc->n_methods && sm->nrpcs < SM_MAX_RPC; i++) {
        struct sm_rpc *r = &sm->rpcs[sm->nrpcs];
        r->m = rpc_method_find(svc, svc->methods[i].name);
        r->name = svc->methods[i].name;
        r->sm = sm;
        if (!r->m || rpc_server_register(sm->srv, r->m, handler, r) != 0)
            goto fail;
        sm->nrpcs++;
    }
    if (rpc_server_start(sm->srv, port) != 0)
        goto fail;
    return sm;
fail:
    if (sm->srv)
        rpc_server_free(sm->srv);
    pthread_mutex_destroy(&sm->mu);
    pthread_cond_destroy(&sm->cv);
    free(sm);
    return NULL;
}

void sm_stop(struct scripted_master *sm)
{
    if (!sm)
        return;
    pthread_mutex_lock(&sm->mu);
    for (size_t i = 0; i < sm->nrpcs; i++)
        sm->rpcs[i].never = false;
    size_t n = sm->nheld;
    sm->nheld = 0;
    pthread_mutex_unlock(&sm->mu);
    for (size_t i = 0; i < n; i++)
        rpc_server_reply_error(sm->held[i], RPC_CANCELLED, "scripted master stopping");
    pthread_mutex_lock(&sm->mu);
    while (sm->delayed > 0)
        pthread_cond_wait(&sm->cv, &sm->mu);
    pthread_mutex_unlock(&sm->mu);
    rpc_server_shutdown(sm->srv, 500);
    rpc_server_free(sm->srv);
    sm_reset(sm);
    for (size_t i = 0; i < sm->nrpcs; i++)
        free(sm->rpcs[i].last_req);
    pthread_mutex_destroy(&sm->mu);
    pthread_cond_destroy(&sm->cv);
    free(sm);
}

int sm_set_json(struct scripted_master *sm, const char *rpc, const char *json)
{
    ProtobufCMessage *probe = NULL;
    pthread_mutex_lock(&sm->mu);
    struct sm_rpc *r = find(sm, rpc);
    int rc = -1;
    if (r && pbjson_decode(r->m->output, json, strlen(json), &probe, NULL, 0) == 0) {
        protobuf_c_message_free_unpacked(probe, NULL);
        free(r->json);
        r->json = strdup(json);
        r->status = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&sm->mu);
    return rc;
}

int sm_set_status(struct scripted_master *sm, const char *rpc, int status, const char *details)
{
    pthread_mutex_lock(&sm->mu);
    struct sm_rpc *r = find(sm, rpc);
    if (r) {
        r->status = status;
        free(r->details);
        r->details = details ? strdup(details) : NULL;
    }
    pthread_mutex_unlock(&sm->mu);
    return r ? 0 : -1;
}

void sm_set_delay(struct scripted_master *sm, const char *rpc, int64_t ms)
{
    pthread_mutex_lock(&sm->mu);
    struct sm_rpc *r = find(sm, rpc);
    if (r)
        r->delay_ms = ms;
    pthread_mutex_unlock(&sm->mu);
}

void sm_set_never(struct scripted_master *sm, const char *rpc, bool never)
{
    pthread_mutex_lock(&sm->mu);
    struct sm_rpc *r = find(sm, rpc);
    if (r)
        r->never = never;
    pthread_mutex_unlock(&sm->mu);
}

void sm_reset(struct scripted_master *sm)
{
    pthread_mutex_lock(&sm->mu);
    for (size_t i = 0; i < sm->nrpcs; i++) {
        struct sm_rpc *r = &sm->rpcs[i];
        free(r->json);
        free(r->details);
        r->json = r->details = NULL;
        r->status = 0;
        r->delay_ms = 0;
        r->never = false;
    }
    pthread_mutex_unlock(&sm->mu);
}

unsigned sm_count(struct scripted_master *sm, const char *rpc)
{
    unsigned n = 0;
    pthread_mutex_lock(&sm->mu);
    for (size_t i = 0; i < sm->nrpcs; i++) {
        if (!rpc || strcmp(sm->rpcs[i].name, rpc) == 0)
            n += sm->rpcs[i].count;
    }
    pthread_mutex_unlock(&sm->mu);
    return n;
}

char *sm_last_request(struct scripted_master *sm, const char *rpc)
{
    pthread_mutex_lock(&sm->mu);
    struct sm_rpc *r = find(sm, rpc);
    char *s = r && r->last_req ? strdup(r->last_req) : NULL;
    pthread_mutex_unlock(&sm->mu);
    return s;
}

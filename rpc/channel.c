/* channel.c - rpc_channel: one insecure grpc_channel per target plus the per-channel
 * cache of registered call handles (grpc_channel_register_call), keyed by path. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "dm_error.h"
#include "rpc_int.h"

struct chan_reg {
    char *path;            /* owned; must outlive the channel (grpc keeps the pointer) */
    void *handle;
    struct chan_reg *next;
};

struct rpc_channel {
    grpc_channel *ch;
    char *target;
    pthread_mutex_t mu;    /* guards regs */
    struct chan_reg *regs;
};

struct rpc_channel *rpc_channel_new(const char *target)
{
    if (!target || !*target)
        return NULL;
    struct rpc_channel *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->target = strdup(target);
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    if (c->target && creds)
        c->ch = grpc_channel_create(target, creds, rpc_channel_args());
    if (creds)
        grpc_channel_credentials_release(creds);
    if (!c->ch) {
        free(c->target);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void rpc_channel_free(struct rpc_channel *c)
{
    if (!c)
        return;
    /* calls still in flight keep the channel stack alive inside gRPC */
    grpc_channel_destroy(c->ch);
    for (struct chan_reg *r = c->regs, *next; r; r = next) {
        next = r->next;
        free(r->path);
        free(r);
    }
    pthread_mutex_destroy(&c->mu);
    free(c->target);
    free(c);
}

const char *rpc_channel_target(const struct rpc_channel *c)
{
    return c ? c->target : "";
}

/* The registered-call handle of `path`, registering it on first use. */
static void *reg_handle(struct rpc_channel *c, const char *path)
{
    void *h = NULL;
    pthread_mutex_lock(&c->mu);
    for (struct chan_reg *r = c->regs; r; r = r->next) {
        if (!strcmp(r->path, path)) {
            h = r->handle;
            goto out;
        }
    }
    struct chan_reg *r = calloc(1, sizeof(*r));
    char *p = strdup(path);
    if (!r || !p) {
        free(r);
        free(p);
        goto out;
    }
    r->path = p;
    r->handle = grpc_channel_register_call(c->ch, r->path, NULL, NULL);
    r->next = c->regs;
    c->regs = r;
    h = r->handle;
out:
    pthread_mutex_unlock(&c->mu);
    return h;
}

grpc_call *rpc_channel_call(struct rpc_channel *c, const char *path,
                            grpc_completion_queue *cq, gpr_timespec deadline)
{
    void *h = reg_handle(c, path);
    if (!h)
        return NULL;
    return grpc_channel_create_registered_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, h,
                                               deadline, NULL);
}

enum rpc_chan_state rpc_channel_state(struct rpc_channel *c, bool try_connect)
{
    if (!c)
        return RPC_CHAN_SHUTDOWN;
    switch (grpc_channel_check_connectivity_state(c->ch, try_connect ? 1 : 0)) {
    case GRPC_CHANNEL_IDLE: return RPC_CHAN_IDLE;
    case GRPC_CHANNEL_CONNECTING: return RPC_CHAN_CONNECTING;
    case GRPC_CHANNEL_READY: return RPC_CHAN_READY;
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return RPC_CHAN_TRANSIENT_FAILURE;
    case GRPC_CHANNEL_SHUTDOWN: break;
    }
    return RPC_CHAN_SHUTDOWN;
}

const char *rpc_chan_state_name(enum rpc_chan_state s)
{
    switch (s) {
    case RPC_CHAN_IDLE: return "IDLE";
    case RPC_CHAN_CONNECTING: return "CONNECTING";
    case RPC_CHAN_READY: return "READY";
    case RPC_CHAN_TRANSIENT_FAILURE: return "TRANSIENT_FAILURE";
    case RPC_CHAN_SHUTDOWN: return "SHUTDOWN";
    }
    return "UNKNOWN";
}

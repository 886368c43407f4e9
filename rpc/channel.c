/* channel.c - rpc_channel: one insecure grpc_channel per target plus the per-channel
 * cache of registered call handles (grpc_channel_register_call), keyed by path. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "dm_container.h"
#include "dm_error.h"
#include "rpc_int.h"

struct chan_reg {
    char *path;            /* owned; must outlive the channel (grpc keeps the pointer) */
    void *handle;
    struct chan_reg *next;
};

/* The connectivity watcher of rpc_channel_known_down. It outlives the channel while a
 * watch is armed (gRPC completes it on the client queue, possibly after the channel was
 * freed): whoever sees it last (channel_free or the completion) frees it. */
struct chan_watch {
    struct rpc_tag tag;              /* the completion-queue tag (container_of) */
    pthread_mutex_t mu;              /* guards ch, armed, last */
    grpc_channel *ch;                /* NULL once the channel is being freed */
    grpc_connectivity_state last;
    bool armed;
    atomic_bool down;                /* the snapshot */
};

#define WATCH_PERIOD_MS 1000

struct rpc_channel {
    grpc_channel *ch;      /* NULL for an h2 channel */
    struct h2_chan *h2;    /* the lean transport (rpc_channel_new_h2), else NULL */
    char *target;
    pthread_mutex_t mu;    /* guards regs and watch creation */
    struct chan_reg *regs;
    struct chan_watch *watch;
    atomic_bool watching;  /* watch created (read without mu) */
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

struct rpc_channel *rpc_channel_new_h2(const char *target)
{
    if (!target || !*target)
        return NULL;
    struct rpc_channel *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->target = strdup(target);
    if (!c->target || !(c->h2 = h2_chan_new(target))) {
        free(c->target);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

struct h2_chan *rpc_channel_h2(const struct rpc_channel *c)
{
    return c ? c->h2 : NULL;
}

static void watch_free(struct chan_watch *w)
{
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void rpc_channel_free(struct rpc_channel *c)
{
    if (!c)
        return;
    if (c->h2) {
        h2_chan_free(c->h2);
        pthread_mutex_destroy(&c->mu);
        free(c->target);
        free(c);
        return;
    }
    struct chan_watch *w = c->watch;
    bool free_watch = false;
    if (w) {
        pthread_mutex_lock(&w->mu);
        w->ch = NULL;              /* a completion after this frees it */
        free_watch = !w->armed;
        pthread_mutex_unlock(&w->mu);
    }
    /* calls still in flight keep the channel stack alive inside gRPC; an armed watch
     * completes (SHUTDOWN) on the client queue */
    grpc_channel_destroy(c->ch);
    if (free_watch)
        watch_free(w);
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
    if (c->h2)
        return NULL;   /* streams and raw calls: gRPC core channels only */
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
    if (c->h2)
        return h2_chan_state(c->h2, try_connect);
    switch (grpc_channel_check_connectivity_state(c->ch, try_connect ? 1 : 0)) {
    case GRPC_CHANNEL_IDLE: return RPC_CHAN_IDLE;
    case GRPC_CHANNEL_CONNECTING: return RPC_CHAN_CONNECTING;
    case GRPC_CHANNEL_READY: return RPC_CHAN_READY;
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return RPC_CHAN_TRANSIENT_FAILURE;
    case GRPC_CHANNEL_SHUTDOWN: break;
    }
    return RPC_CHAN_SHUTDOWN;
}

/* w->mu held: watch the next change, or WATCH_PERIOD_MS. */
static void watch_arm(struct chan_watch *w)
{
    w->armed = rpc_client_watch(w->ch, w->last, WATCH_PERIOD_MS, &w->tag) == DM_OK;
}

/* Client queue thread: a state change or the period passed. */
static void watch_fired(struct rpc_tag *t, bool ok)
{
    (void)ok;   /* false = the period passed without a change: look anyway */
    struct chan_watch *w = container_of(t, struct chan_watch, tag);
    pthread_mutex_lock(&w->mu);
    w->armed = false;
    if (!w->ch) {
        pthread_mutex_unlock(&w->mu);
        watch_free(w);
        return;
    }
    grpc_connectivity_state st = grpc_channel_check_connectivity_state(w->ch, 0);
    if (st == GRPC_CHANNEL_TRANSIENT_FAILURE)
        atomic_store(&w->down, true);
    else if (st == GRPC_CHANNEL_READY)
        atomic_store(&w->down, false);
    if (st == GRPC_CHANNEL_IDLE && atomic_load(&w->down))
        st = grpc_channel_check_connectivity_state(w->ch, 1);   /* nobody else will */
    w->last = st;
    watch_arm(w);
    pthread_mutex_unlock(&w->mu);
}

/* The first rpc_channel_known_down of a channel: create and arm its watcher. */
static void watch_start(struct rpc_channel *c)
{
    pthread_mutex_lock(&c->mu);
    if (!c->watch && rpc_client_cq()) {
        struct chan_watch *w = calloc(1, sizeof(*w));
        if (w) {
            w->tag.fn = watch_fired;
            pthread_mutex_init(&w->mu, NULL);
            w->ch = c->ch;
            pthread_mutex_lock(&w->mu);
            w->last = grpc_channel_check_connectivity_state(c->ch, 0);
            atomic_store(&w->down, w->last == GRPC_CHANNEL_TRANSIENT_FAILURE);
            watch_arm(w);
            pthread_mutex_unlock(&w->mu);
            c->watch = w;
            atomic_store(&c->watching, true);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

bool rpc_channel_known_down(struct rpc_channel *c)
{
    if (!c)
        return false;
    if (c->h2)
        return h2_chan_known_down(c->h2);
    if (!atomic_load(&c->watching))
        watch_start(c);
    return c->watch && atomic_load(&c->watch->down);
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

/* coalesce.c - see coalesce.h */
#include "coalesce.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "hash.h"
#include "metrics.h"

struct waiter {
    struct route_ctx *c;
    coalesce_deliver_fn deliver;
};

struct flight {
    struct coalescer *co;
    uint8_t *key;               /* path NUL deadline(8) packed request */
    size_t key_len;
    uint64_t hash;
    bool listed;                /* in co->head (joinable) */
    const char *rpc_name;       /* static, for metrics */
    struct waiter *w;
    size_t n, cap;
    struct flight *next;
};

struct coalescer {
    pthread_mutex_t mu;
    struct flight *head;
    unsigned in_flight;
};

struct coalescer *coalescer_new(void)
{
    struct coalescer *co = calloc(1, sizeof(*co));
    if (co)
        pthread_mutex_init(&co->mu, NULL);
    return co;
}

/* The last flight's callback may still be between resuming its waiters and counting
 * itself out (deliver_all) when the server has stopped: wait for it (every flight ends:
 * its call has a deadline). */
void coalescer_free(struct coalescer *co)
{
    if (!co)
        return;
    pthread_mutex_lock(&co->mu);
    while (co->in_flight > 0) {
        pthread_mutex_unlock(&co->mu);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&co->mu);
    }
    pthread_mutex_unlock(&co->mu);
    pthread_mutex_destroy(&co->mu);
    free(co);
}

unsigned coalesce_in_flight(struct coalescer *co)
{
    pthread_mutex_lock(&co->mu);
    unsigned n = co->in_flight;
    pthread_mutex_unlock(&co->mu);
    return n;
}

/* Owned key bytes or NULL (out-of-memory). */
static uint8_t *make_key(const struct rpc_method *m, const ProtobufCMessage *req,
                         int64_t timeout_ms, size_t *len)
{
    size_t pl = strlen(m->path) + 1, rl = protobuf_c_message_get_packed_size(req);
    uint8_t *k = malloc(pl + sizeof(timeout_ms) + rl + 1);
    if (!k)
        return NULL;
    memcpy(k, m->path, pl);
    memcpy(k + pl, &timeout_ms, sizeof(timeout_ms));
    protobuf_c_message_pack(req, k + pl + sizeof(timeout_ms));
    *len = pl + sizeof(timeout_ms) + rl;
    return k;
}

static int add_waiter(struct flight *f, struct route_ctx *c, coalesce_deliver_fn deliver)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 4;
        struct waiter *nw = realloc(f->w, nc * sizeof(*nw));
        if (!nw)
            return DM_E_NOMEM;
        f->w = nw;
        f->cap = nc;
    }
    f->w[f->n++] = (struct waiter){c, deliver};
    return DM_OK;
}

static void flight_free(struct flight *f)
{
    free(f->key);
    free(f->w);
    free(f);
}

/* Caller holds mu. */
static void unlist(struct coalescer *co, struct flight *f)
{
    if (!f->listed)
        return;
    for (struct flight **pp = &co->head; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    f->listed = false;
}

/* Caller holds mu: a joinable flight with the same key, or NULL. */
static struct flight *find(struct coalescer *co, const uint8_t *key, size_t len, uint64_t h)
{
    for (struct flight *f = co->head; f; f = f->next) {
        if (f->hash == h && f->key_len == len && f->n < COALESCE_MAX_WAITERS &&
            memcmp(f->key, key, len) == 0)
            return f;
    }
    return NULL;
}

/* Detach the flight (no more joiners), then hand the answer to every waiter. */
static void deliver_all(struct flight *f, struct rpc_answer *a)
{
    struct coalescer *co = f->co;
    pthread_mutex_lock(&co->mu);
    unlist(co, f);
    pthread_mutex_unlock(&co->mu);
    for (size_t i = 0; i < f->n; i++)
        f->w[i].deliver(f->w[i].c, a);
    pthread_mutex_lock(&co->mu);
    co->in_flight--;
    pthread_mutex_unlock(&co->mu);
    flight_free(f);
}

static void flight_cb(void *arg, struct rpc_answer *a)
{
    struct flight *f = arg;
    int64_t elapsed_us = 0;
    int status = rpc_answer_status(a, &elapsed_us);
    metrics_rpc_observe(f->rpc_name, status, elapsed_us);
    deliver_all(f, a);
}

/* Leader's start failed: c gets the error code, the joiners an UNAVAILABLE result. */
static void start_failed(struct flight *f, struct route_ctx *leader, int rc)
{
    struct coalescer *co = f->co;
    pthread_mutex_lock(&co->mu);
    unlist(co, f);
    pthread_mutex_unlock(&co->mu);
    struct rpc_answer *a = rpc_answer_new(RPC_UNAVAILABLE, dm_strerror(rc));
    for (size_t i = 0; i < f->n; i++) {
        if (f->w[i].c != leader)
            f->w[i].deliver(f->w[i].c, a);   /* a NULL answer reads as out of memory */
    }
    rpc_answer_unref(a);
    pthread_mutex_lock(&co->mu);
    co->in_flight--;
    pthread_mutex_unlock(&co->mu);
    flight_free(f);
}

int coalesce_call(struct coalescer *co, struct rpc_channel *ch, const struct rpc_method *m,
                  const ProtobufCMessage *req, int64_t timeout_ms, const struct rpc_md *md,
                  size_t nmd, coalesce_deliver_fn deliver, struct route_ctx *c)
{
    size_t len = 0;
    uint8_t *key = make_key(m, req, timeout_ms, &len);
    if (!key)
        return DM_E_NOMEM;
    uint64_t h = dm_fnv1a64(DM_FNV64_INIT, key, len);
    int rc = DM_E_NOMEM;
    pthread_mutex_lock(&co->mu);
    struct flight *f = find(co, key, len, h);
    if (f) {
        rc = add_waiter(f, c, deliver);
        pthread_mutex_unlock(&co->mu);
        free(key);
        if (rc == DM_OK)
            metrics_coalesced_add(1);
        return rc;
    }
    f = calloc(1, sizeof(*f));
    if (!f || add_waiter(f, c, deliver) != DM_OK) {
        pthread_mutex_unlock(&co->mu);
        free(key);
        if (f)
            flight_free(f);
        return DM_E_NOMEM;
    }
    *f = (struct flight){co, key, len, h, true, strrchr(m->path, '/') + 1, f->w, f->n,
                         f->cap, co->head};
    co->head = f;
    co->in_flight++;
    pthread_mutex_unlock(&co->mu);
    rc = rpc_call_start_answer(ch, m, req, timeout_ms, md, nmd, flight_cb, f);
    if (rc != DM_OK)
        start_failed(f, c, rc);
    return rc;
}

/* idem.c - see idem.h */
#include "idem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "metrics.h"

#define NBUCKETS 4096u

struct idem_entry {
    char *k;                        /* ns '\0' key */
    size_t klen;
    uint64_t fp;
    bool done;
    int64_t expires_ms;
    size_t bytes;                   /* stored answer size (done entries) */
    struct idem_answer ans;
    struct idem_entry *hnext;       /* bucket chain */
    struct idem_entry *prev, *next; /* finished entries, oldest first */
};

struct idem_store {
    pthread_mutex_t mu;
    size_t max_keys, max_bytes;
    int64_t ttl_ms;
    size_t count, bytes;
    struct idem_entry *buckets[NBUCKETS];
    struct idem_entry *head, *tail;
};

void idem_answer_clear(struct idem_answer *a)
{
    free(a->content_type);
    free(a->body);
    for (size_t i = 0; i < a->nheaders; i++) {
        free(a->hkey[i]);
        free(a->hval[i]);
    }
    memset(a, 0, sizeof(*a));
}

static uint32_t hash(const char *k, size_t n)
{
    return (uint32_t)(dm_fnv1a64(DM_FNV64_INIT, k, n) % NBUCKETS);
}

struct idem_store *idem_new(size_t max_keys, size_t max_bytes, int64_t ttl_ms)
{
    struct idem_store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    s->max_keys = max_keys ? max_keys : 1;
    s->max_bytes = max_bytes;
    s->ttl_ms = ttl_ms > 0 ? ttl_ms : 1;
    return s;
}

static void entry_free(struct idem_entry *e)
{
    idem_answer_clear(&e->ans);
    free(e->k);
    free(e);
}

void idem_free(struct idem_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (struct idem_entry *e = s->buckets[i], *nx; e; e = nx) {
            nx = e->hnext;
            entry_free(e);
        }
    metrics_idempotency(METRICS_IDEM_NONE, -(int)s->count);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---------- mu held ---------- */

static struct idem_entry **slot(struct idem_store *s, const char *k, size_t n)
{
    struct idem_entry **pp = &s->buckets[hash(k, n)];
    while (*pp && ((*pp)->klen != n || memcmp((*pp)->k, k, n) != 0))
        pp = &(*pp)->hnext;
    return pp;
}

static void age_unlink(struct idem_store *s, struct idem_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

/* Take e out of the store and free it. */
static void drop(struct idem_store *s, struct idem_entry *e)
{
    struct idem_entry **pp = slot(s, e->k, e->klen);
    if (*pp == e)
        *pp = e->hnext;
    if (e->done) {
        age_unlink(s, e);
        s->bytes -= e->bytes;
    }
    s->count--;
    entry_free(e);
    metrics_idempotency(METRICS_IDEM_NONE, -1);
}

/* Expired finished entries, then the oldest ones while over a bound (`room`: entries
 * about to be added). */
static void evict(struct idem_store *s, int64_t now_ms, size_t room)
{
    while (s->head && (s->head->expires_ms <= now_ms || s->count + room > s->max_keys ||
                       (s->max_bytes && s->bytes > s->max_bytes)))
        drop(s, s->head);
}

static int answer_copy(struct idem_answer *dst, const struct idem_answer *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->status = src->status;
    dst->body_len = src->body_len;
    dst->body = malloc(src->body_len + 1);
    if (!dst->body)
        return -1;
    memcpy(dst->body, src->body, src->body_len);
    dst->body[src->body_len] = '\0';
    if (src->content_type && !(dst->content_type = strdup(src->content_type)))
        return -1;
    for (size_t i = 0; i < src->nheaders; i++) {
        dst->hkey[i] = strdup(src->hkey[i]);
        dst->hval[i] = strdup(src->hval[i]);
        dst->nheaders++;
        if (!dst->hkey[i] || !dst->hval[i])
            return -1;
    }
    return 0;
}

/* ---------- API ---------- */

enum idem_rc idem_begin(struct idem_store *s, const char *ns, const char *key, uint64_t fp,
                        int64_t now_ms, struct idem_entry **ticket, struct idem_answer *out)
{
    size_t nl = strlen(ns), kl = strlen(key), n = nl + 1 + kl;
    char *k = malloc(n);
    if (!k)
        return IDEM_NOMEM;
    memcpy(k, ns, nl);
    k[nl] = '\0';
    memcpy(k + nl + 1, key, kl);
    *ticket = NULL;
    memset(out, 0, sizeof(*out));
    enum idem_rc rc = IDEM_NEW;
    pthread_mutex_lock(&s->mu);
    evict(s, now_ms, 0);
    struct idem_entry **pp = slot(s, k, n), *e = *pp;
    if (!e) {   /* make room for it, then find its slot again (eviction relinks chains) */
        evict(s, now_ms, 1);
        pp = slot(s, k, n);
    }
    if (e && e->fp != fp) {
        rc = IDEM_MISMATCH;
    } else if (e && !e->done) {
        rc = IDEM_BUSY;
    } else if (e) {
        rc = answer_copy(out, &e->ans) == 0 ? IDEM_REPLAY : IDEM_NOMEM;
    } else if ((e = calloc(1, sizeof(*e))) != NULL) {
        e->k = k;
        e->klen = n;
        e->fp = fp;
        *pp = e;
        s->count++;
        *ticket = e;
        k = NULL;
    } else {
        rc = IDEM_NOMEM;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc == IDEM_NOMEM)
        idem_answer_clear(out);
    free(k);
    static const enum metrics_idem m[] = {[IDEM_NEW] = METRICS_IDEM_NONE,
        [IDEM_REPLAY] = METRICS_IDEM_REPLAYED, [IDEM_BUSY] = METRICS_IDEM_BUSY,
        [IDEM_MISMATCH] = METRICS_IDEM_MISMATCH, [IDEM_NOMEM] = METRICS_IDEM_NONE};
    metrics_idempotency(m[rc], rc == IDEM_NEW ? 1 : 0);
    return rc;
}

void idem_finish(struct idem_store *s, struct idem_entry *e, struct idem_answer *a, int64_t now_ms)
{
    size_t bytes = e->klen + a->body_len + (a->content_type ? strlen(a->content_type) : 0);
    for (size_t i = 0; i < a->nheaders; i++)
        bytes += strlen(a->hkey[i]) + strlen(a->hval[i]);
    pthread_mutex_lock(&s->mu);
    e->ans = *a;
    memset(a, 0, sizeof(*a));
    e->done = true;
    e->bytes = bytes;
    e->expires_ms = now_ms + s->ttl_ms;
    s->bytes += bytes;
    e->prev = s->tail;
    if (s->tail)
        s->tail->next = e;
    else
        s->head = e;
    s->tail = e;
    evict(s, now_ms, 0);
    pthread_mutex_unlock(&s->mu);
    metrics_idempotency(METRICS_IDEM_STORED, 0);
}

void idem_abandon(struct idem_store *s, struct idem_entry *e)
{
    pthread_mutex_lock(&s->mu);
    drop(s, e);
    pthread_mutex_unlock(&s->mu);
}

size_t idem_count(struct idem_store *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->count;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int idem_parse_key(const char *h, char *out)
{
    if (!h)
        return -1;
    h += strspn(h, " \t");
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
        h++;
        n -= 2;
    }
    if (n == 0 || n > IDEM_KEY_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (h[i] < 0x21 || h[i] > 0x7e || h[i] == '"' || h[i] == '\\')
            return -1;
    }
    memcpy(out, h, n);
    out[n] = '\0';
    return 0;
}

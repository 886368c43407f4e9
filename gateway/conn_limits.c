/* conn_limits.c - see conn_limits.h */
#include "conn_limits.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dm_assert.h"
#include "hash.h"

#define IP_BUCKETS 256

struct ip_count {
    unsigned char key[16];
    unsigned n;
    struct ip_count *next;
};

struct conn_limits {
    pthread_mutex_t mu;
    unsigned max_total, max_per_ip;
    unsigned total;
    struct ip_count *ips[IP_BUCKETS];
};

struct conn_limits *conn_limits_new(unsigned max_total, unsigned max_per_ip)
{
    struct conn_limits *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    pthread_mutex_init(&l->mu, NULL);
    l->max_total = max_total;
    l->max_per_ip = max_per_ip;
    return l;
}

/* An IPv6 address whose low 64 bits name an IPv4 client (so its /64 is shared by many
 * clients): v4-mapped ::ffff:0:0/96 (a dual-stack socket), v4-compatible ::/96, NAT64
 * 64:ff9b::/96 and Teredo 2001:0::/32. */
static bool embeds_v4(const unsigned char *b)
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    static const unsigned char zero[10];
    return (memcmp(b, zero, 10) == 0 && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0))) ||
           memcmp(b, nat64, 12) == 0 || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0);
}

/* The unit a per-IP limit counts: an IPv4 address; for IPv6 the /64 prefix (one
 * subscriber's network: a client holding a /64 - every residential line and cloud VM -
 * could otherwise open max-connections from 2^64 distinct addresses, gwattack6), except
 * the forms above that carry an IPv4 client, which count by their whole address. */
static void ip_key(const struct sockaddr *a, unsigned char key[16])
{
    memset(key, 0, 16);
    if (a->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;   /* v4-mapped */
        memcpy(key + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
    } else if (a->sa_family == AF_INET6) {
        const unsigned char *b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
        memcpy(key, b, embeds_v4(b) ? 16 : 8);
    }
}

static struct ip_count **ip_slot(struct conn_limits *l, const unsigned char key[16])
{
    struct ip_count **pp = &l->ips[dm_fnv1a64(DM_FNV64_INIT, key, 16) % IP_BUCKETS];
    while (*pp && memcmp((*pp)->key, key, 16) != 0)
        pp = &(*pp)->next;
    return pp;
}

/* mu held */
static bool ip_add(struct conn_limits *l, const struct sockaddr *a)
{
    unsigned char key[16];
    ip_key(a, key);
    struct ip_count **pp = ip_slot(l, key);
    if (*pp && (*pp)->n >= l->max_per_ip)
        return false;
    if (!*pp) {
        struct ip_count *e = calloc(1, sizeof(*e));
        if (!e)
            return false;
        memcpy(e->key, key, 16);
        *pp = e;
    }
    (*pp)->n++;
    return true;
}

/* mu held */
static void ip_del(struct conn_limits *l, const struct sockaddr *a)
{
    unsigned char key[16];
    ip_key(a, key);
    struct ip_count **pp = ip_slot(l, key);
    DM_ASSERT(*pp && (*pp)->n > 0);   /* a release without its take */
    if (--(*pp)->n == 0) {
        struct ip_count *e = *pp;
        *pp = e->next;
        free(e);
    }
}

bool conn_limits_take(struct conn_limits *l, const struct sockaddr *a)
{
    bool ok = true;
    pthread_mutex_lock(&l->mu);
    if (l->max_total && l->total >= l->max_total)
        ok = false;
    else if (l->max_per_ip && !ip_add(l, a))
        ok = false;
    if (ok)
        l->total++;
    pthread_mutex_unlock(&l->mu);
    return ok;
}

void conn_limits_release(struct conn_limits *l, const struct sockaddr *a)
{
    pthread_mutex_lock(&l->mu);
    DM_ASSERT(l->total > 0);   /* a release without its take */
    l->total--;
    if (l->max_per_ip && a)
        ip_del(l, a);
    pthread_mutex_unlock(&l->mu);
}

/* conn_limits_accept's count not claimed yet on this thread (one at most: libmicrohttpd
 * accepts and starts one connection at a time per thread). */
static __thread struct conn_limits *pending_l;
static __thread struct sockaddr_storage pending_a;

void conn_limits_free(struct conn_limits *l)
{
    if (!l)
        return;
    if (pending_l == l)
        pending_l = NULL;
    for (int i = 0; i < IP_BUCKETS; i++)
        for (struct ip_count *e = l->ips[i], *nx; e; e = nx) {
            nx = e->next;
            free(e);
        }
    pthread_mutex_destroy(&l->mu);
    free(l);
}

bool conn_limits_accept(struct conn_limits *l, const struct sockaddr *a, socklen_t len)
{
    if (pending_l)   /* its connection never started */
        conn_limits_release(pending_l, (const struct sockaddr *)&pending_a);
    pending_l = NULL;
    if (!conn_limits_take(l, a))
        return false;
    memset(&pending_a, 0, sizeof(pending_a));
    memcpy(&pending_a, a, len < sizeof(pending_a) ? len : sizeof(pending_a));
    pending_l = l;
    return true;
}

bool conn_limits_claim(struct conn_limits *l, struct sockaddr_storage *out)
{
    if (pending_l != l)
        return false;
    *out = pending_a;
    pending_l = NULL;
    return true;
}

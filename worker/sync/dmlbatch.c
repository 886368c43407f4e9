/* dmlbatch.c - statement merging and batch order of row jobs (dmlbatch.h). */
#include "dmlbatch.h"

#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

#define GROUP_SCAN 64        /* groups searched back for one with the same head */
#define NONE ((size_t)-1)

bool worker_sql_mergeable(const struct worker_sqlpart *prev, const struct worker_sqlpart *cur)
{
    return prev && cur->merge != WORKER_MERGE_NONE && cur->head_len &&
           prev->merge == cur->merge && prev->head_len == cur->head_len &&
           prev->len > prev->head_len && cur->len > cur->head_len &&
           memcmp(prev->sql, cur->sql, cur->head_len) == 0;
}

int worker_sql_append(struct dm_buf *b, const struct worker_sqlpart *prev,
                      const struct worker_sqlpart *cur, size_t *nmerged)
{
    size_t max = cur->merge == WORKER_MERGE_VALUES ? (size_t)-1 : WORKER_MERGE_MAX_DELETE;
    if (worker_sql_mergeable(prev, cur) && *nmerged < max && b->len > 0) {
        const char *sep = cur->merge == WORKER_MERGE_OR ? " OR " : ",";
        if (cur->merge == WORKER_MERGE_IN) {
            b->len--;                      /* reopen the IN-list: drop its ')' */
            b->data[b->len] = '\0';
        }
        (*nmerged)++;
        if (dm_buf_adds(b, sep))
            return DM_E_TOO_LARGE;
        return dm_buf_add(b, cur->sql + cur->head_len, cur->len - cur->head_len);
    }
    *nmerged = 1;
    if (b->len && dm_buf_addc(b, ';'))
        return DM_E_TOO_LARGE;
    return dm_buf_add(b, cur->sql, cur->len);
}

bool worker_sql_redundant(const struct worker_sqlpart *del, const struct worker_sqlpart *next)
{
    return del && next && (del->merge == WORKER_MERGE_IN || del->merge == WORKER_MERGE_OR) &&
           del->key && next->supersedes && next->key && del->key_len == next->key_len &&
           memcmp(del->key, next->key, del->key_len) == 0;
}

/* ---- order ---- */

struct kmap {                /* causality key -> latest group holding it */
    uint64_t *k;
    size_t *g;               /* group + 1; 0 = empty slot */
    size_t cap;
};

static size_t kslot(const struct kmap *m, uint64_t k)
{
    size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
    while (m->g[i] && m->k[i] != k)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Whether a key of p is held by a group after g. */
static bool held_after(const struct kmap *m, const struct worker_sqlpart *p, size_t g)
{
    size_t i, s;
    for (i = 0; i < p->nkeys; i++) {
        s = kslot(m, p->keys[i]);
        if (m->g[s] && m->g[s] - 1 > g)
            return true;
    }
    return false;
}

static void hold(struct kmap *m, const struct worker_sqlpart *p, size_t g)
{
    size_t i, s;
    for (i = 0; i < p->nkeys; i++) {
        s = kslot(m, p->keys[i]);
        m->k[s] = p->keys[i];
        if (m->g[s] < g + 1)
            m->g[s] = g + 1;
    }
}

/* Group for job i: the latest group with its head if no later group holds one of its
 * keys, else NONE. */
static size_t find_group(const struct worker_sqlpart *p, size_t i, const size_t *gfirst,
                         size_t ng, const struct kmap *m)
{
    size_t g, scanned;
    if (p[i].merge == WORKER_MERGE_NONE || !p[i].head_len)
        return NONE;
    for (g = ng, scanned = 0; g > 0 && scanned < GROUP_SCAN; g--, scanned++) {
        if (worker_sql_mergeable(&p[gfirst[g - 1]], &p[i]))
            return held_after(m, &p[i], g - 1) ? NONE : g - 1;
    }
    return NONE;
}

int worker_sql_order(const struct worker_sqlpart *p, size_t n, size_t *order)
{
    size_t i, g, ng = 0, nk = 0, k = 0, *gfirst, *glast, *gnext;
    struct kmap m = { NULL, NULL, 16 };
    int rc = DM_OK;
    for (i = 0; i < n; i++) {
        order[i] = i;
        nk += p[i].nkeys;
    }
    if (n < 2)
        return DM_OK;
    while (m.cap < 2 * nk + 2)
        m.cap *= 2;
    gfirst = malloc(n * sizeof *gfirst);
    glast = malloc(n * sizeof *glast);
    gnext = malloc(n * sizeof *gnext);
    m.k = malloc(m.cap * sizeof *m.k);
    m.g = calloc(m.cap, sizeof *m.g);
    if (!gfirst || !glast || !gnext || !m.k || !m.g) {
        rc = DM_E_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        g = find_group(p, i, gfirst, ng, &m);
        if (g == NONE) {
            g = ng++;
            gfirst[g] = i;
        } else {
            gnext[glast[g]] = i;
        }
        glast[g] = i;
        gnext[i] = NONE;
        hold(&m, &p[i], g);
    }
    for (g = 0; g < ng; g++)
        for (i = gfirst[g]; i != NONE; i = gnext[i])
            order[k++] = i;
out:
    free(gfirst);
    free(glast);
    free(gnext);
    free(m.k);
    free(m.g);
    return rc;
}

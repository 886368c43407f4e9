/* keyless.c - the exactly-once rule for key-less rows (keyless.h). */
#include "keyless.h"

#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

struct tpoint {
    char *schema, *table, *file;
    uint64_t pos;
};

struct worker_keyless {
    struct tpoint *t;
    size_t n, cap;
    int rc;                        /* first load error (DM_E_NOMEM) */
};

/* (f1, p1) <= (f2, p2) for binlog positions of one source (names differ only in the
 * sequence suffix, which may grow by a digit). */
static bool pos_le(const char *f1, uint64_t p1, const char *f2, uint64_t p2)
{
    size_t l1 = strlen(f1), l2 = strlen(f2);
    int c = l1 != l2 ? (l1 < l2 ? -1 : 1) : strcmp(f1, f2);
    return c < 0 || (c == 0 && p1 <= p2);
}

static void add_point(void *ud, const struct worker_cp_row *r)
{
    struct worker_keyless *k = ud;
    struct tpoint *t;
    if (k->rc)
        return;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        struct tpoint *nt = realloc(k->t, cap * sizeof *nt);
        if (!nt) {
            k->rc = DM_E_NOMEM;
            return;
        }
        k->t = nt;
        k->cap = cap;
    }
    t = &k->t[k->n];
    t->schema = strdup(r->schema);
    t->table = strdup(r->table);
    t->file = strdup(r->file);
    t->pos = r->pos;
    k->n++;
    if (!t->schema || !t->table || !t->file)
        k->rc = DM_E_NOMEM;
}

void worker_keyless_free(struct worker_keyless *k)
{
    size_t i;
    if (!k)
        return;
    for (i = 0; i < k->n; i++) {
        free(k->t[i].schema);
        free(k->t[i].table);
        free(k->t[i].file);
    }
    free(k->t);
    free(k);
}

int worker_keyless_new(struct worker_applier *a, struct worker_keyless **out,
                       struct worker_terr *e)
{
    struct worker_keyless *k = calloc(1, sizeof *k);
    int rc;
    *out = NULL;
    if (!k)
        goto nomem;
    if ((rc = worker_applier_load_table_cps(a, add_point, k, e))) {
        worker_keyless_free(k);
        return rc;
    }
    if (k->rc)
        goto nomem;
    *out = k;
    return DM_OK;
nomem:
    worker_keyless_free(k);
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                    "out of memory");
    return DM_E_NOMEM;
}

bool worker_keyless_applied(const struct worker_keyless *k, const char *schema,
                            const char *table, const char *file, uint64_t pos)
{
    size_t i;
    for (i = 0; k && i < k->n; i++) {
        const struct tpoint *t = &k->t[i];
        if (strcmp(t->schema, schema) == 0 && strcmp(t->table, table) == 0 &&
            pos_le(file, pos, t->file, t->pos))
            return true;
    }
    return false;
}

void worker_keyless_plan_init(struct worker_keyless_plan *p)
{
    memset(p, 0, sizeof *p);
}

void worker_keyless_plan_job(struct worker_keyless_plan *p, bool marker, const char *schema,
                             const char *table, const char *file, uint64_t pos)
{
    size_t i;
    p->open_event = !marker;
    if (!marker)
        return;
    p->file = file;
    p->pos = pos;
    for (i = 0; i < p->n; i++)
        if (strcmp(p->rows[i].schema, schema) == 0 && strcmp(p->rows[i].table, table) == 0)
            return;
    if (p->n == WORKER_KEYLESS_TABLES) {
        p->overflow = true;
        return;
    }
    p->rows[p->n].schema = schema;
    p->rows[p->n].table = table;
    p->n++;
}

bool worker_keyless_plan_ready(struct worker_keyless_plan *p, const struct worker_cp_row **rows,
                               size_t *n)
{
    size_t i;
    if (p->open_event || p->overflow || p->n == WORKER_KEYLESS_TABLES)
        return false;      /* the event marker is still to come, or too many tables */
    for (i = 0; i < p->n; i++) {
        p->rows[i].file = p->file;
        p->rows[i].pos = p->pos;
    }
    *rows = p->rows;
    *n = p->n;
    return true;
}

/* xa_track.c - prepared XA transactions of a Sync unit (see xa_track.h). */
#include "xa_track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "dm_error.h"
#include "xa_meta.h"

#define XA_MAX 4096               /* prepared XA transactions tracked (the oldest go) */

struct xa_rec {
    char id[WORKER_XID_MAX];
    int64_t rows;
    char table[2 * WORKER_NAME_MAX + 8];
    char file[256];               /* its XA END event (a replay meets the same one) */
    uint64_t pos;
    bool dirty;                   /* not stored yet */
};

struct worker_xa {
    struct xa_rec *recs;
    size_t n, cap;
    /* stored records to delete once the global checkpoint is at or past the XA COMMIT /
     * ROLLBACK (file, pos): a replay from an earlier one (is-sharding holds the global
     * point at an unresolved DDL) meets that statement again and needs the record */
    struct xa_del { char id[WORKER_XID_MAX]; char file[256]; uint64_t pos; } *del;
    size_t ndel, delcap;
};

struct worker_xa *worker_xa_new(void)
{
    return calloc(1, sizeof(struct worker_xa));
}

void worker_xa_free(struct worker_xa *x)
{
    if (!x)
        return;
    free(x->recs);
    free(x->del);
    free(x);
}

static size_t find(const struct worker_xa *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->recs[i].id, id) == 0)
            return i;
    return x->n;
}

static void undelete(struct worker_xa *x, const char *id)
{
    for (size_t i = 0; i < x->ndel; i++)
        if (strcmp(x->del[i].id, id) == 0) {
            memmove(&x->del[i], &x->del[i + 1], (x->ndel - i - 1) * sizeof x->del[0]);
            x->ndel--;
            return;
        }
}

/* Drop record i; its stored row goes after the next checkpoint (out of memory: it stays,
 * a stale record of a finished xid, harmless: a later XA END of that xid replaces it). */
static void forget(struct worker_xa *x, size_t i, const char *file, uint64_t pos)
{
    if (i >= x->n)
        return;
    undelete(x, x->recs[i].id);
    if (x->ndel == x->delcap) {
        size_t cap = x->delcap ? x->delcap * 2 : 8;
        void *d = realloc(x->del, cap * sizeof x->del[0]);
        if (d) {
            x->del = d;
            x->delcap = cap;
        }
    }
    if (x->ndel < x->delcap) {
        struct xa_del *d = &x->del[x->ndel++];
        snprintf(d->id, sizeof d->id, "%s", x->recs[i].id);
        snprintf(d->file, sizeof d->file, "%s", file);
        d->pos = pos;
    }
    memmove(&x->recs[i], &x->recs[i + 1], (x->n - i - 1) * sizeof x->recs[0]);
    x->n--;
}

/* Record id at its XA END (file, pos). A replay of that XA END keeps the larger row count
 * (rows skipped by the replay were applied the first time); another XA END of the same xid
 * (a new transaction, or a stale record) replaces it. Out of memory only forgets (an
 * unknown xid pauses). */
static void remember(struct worker_xa *x, const char *id, int64_t rows, const char *table,
                     const char *file, uint64_t pos, bool dirty)
{
    size_t i = find(x, id);
    undelete(x, id);
    if (i < x->n && x->recs[i].pos == pos && strcmp(x->recs[i].file, file) == 0) {
        struct xa_rec *r = &x->recs[i];
        if (rows > r->rows) {
            r->rows = rows;
            snprintf(r->table, sizeof r->table, "%s", table);
            r->dirty = true;
        }
        r->dirty = r->dirty || dirty;
        return;
    }
    if (i < x->n) {
        memmove(&x->recs[i], &x->recs[i + 1], (x->n - i - 1) * sizeof x->recs[0]);
        x->n--;
    }
    if (x->n == XA_MAX)
        forget(x, 0, "", 0);
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct xa_rec *a = realloc(x->recs, cap * sizeof *a);
        if (!a)
            return;
        x->recs = a;
        x->cap = cap;
    }
    struct xa_rec *r = &x->recs[x->n++];
    snprintf(r->id, sizeof r->id, "%s", id);
    r->rows = rows;
    snprintf(r->table, sizeof r->table, "%s", rows ? table : "");
    snprintf(r->file, sizeof r->file, "%s", file);
    r->pos = pos;
    r->dirty = dirty;
}

static void load_one(void *ud, const char *xid, int64_t rows, const char *table,
                     const char *file, uint64_t pos)
{
    remember(ud, xid, rows, table, file, pos, false);
}

int worker_xa_open(struct worker_xa *x, struct worker_applier *a, const char *source_id,
                   bool remove, struct worker_terr *e)
{
    int rc = worker_xa_meta_prepare(a, remove, e);
    if (rc)
        return rc;
    /* what is stored is the truth after a restart; records not stored yet (dirty) are
     * met again by the replay from the checkpoint */
    x->n = 0;
    x->ndel = 0;
    return worker_xa_meta_load(a, source_id, load_one, x, e);
}

bool worker_xa_stmt(struct worker_xa *x, enum worker_xa_stmt what, const char *xid,
                    int64_t rows, const char *table, const char *file, uint64_t pos, char *err,
                    size_t cap)
{
    size_t i = find(x, xid);
    const struct xa_rec *r = i < x->n ? &x->recs[i] : NULL;
    switch (what) {
    case WXA_END:
        remember(x, xid, rows, table, file, pos, true);
        return true;
    case WXA_COMMIT:
        if (r) {
            forget(x, i, file, pos);
            return true;
        }
        snprintf(err, cap, "XA COMMIT of prepared XA transaction %.80s whose XA PREPARE was "
                 "before this task's start position: the rows it changed were logged at that "
                 "XA PREPARE and never applied to the target (if this task replicates any of "
                 "them: copy them by hand; then sql-skip this statement and resume)", xid);
        return false;
    case WXA_ROLLBACK:
        if (r && r->rows == 0) {
            forget(x, i, file, pos);
            return true;
        }
        if (r)
            snprintf(err, cap, "XA ROLLBACK of prepared XA transaction %.80s: its %lld row "
                     "changes (the first in %.100s) were applied to the target at XA PREPARE, "
                     "the source rolled them back (sql-skip this statement, resume, then remove "
                     "those rows from the target by hand)", xid, (long long)r->rows, r->table);
        else
            snprintf(err, cap, "XA ROLLBACK of prepared XA transaction %.80s whose XA PREPARE "
                     "was before this task's start position: its rows, if this task replicates "
                     "any, were applied to the target and the source rolled them back (sql-skip "
                     "this statement and resume; remove such rows from the target by hand)", xid);
        return false;
    }
    return true;
}

int worker_xa_before_checkpoint(struct worker_xa *x, struct worker_applier *a,
                                const char *source_id, struct worker_terr *e)
{
    for (size_t i = 0; i < x->n; i++) {
        struct xa_rec *r = &x->recs[i];
        if (!r->dirty)
            continue;
        int rc = worker_xa_meta_put(a, source_id, r->id, r->rows, r->table, r->file, r->pos, e);
        if (rc)
            return rc;
        r->dirty = false;
    }
    return DM_OK;
}

int worker_xa_after_checkpoint(struct worker_xa *x, struct worker_applier *a,
                               const char *source_id, const char *file, uint64_t pos,
                               struct worker_terr *e)
{
    for (size_t i = x->ndel; i-- > 0;) {
        const struct xa_del *d = &x->del[i];
        int c = strcmp(d->file, file);
        if (c > 0 || (c == 0 && d->pos > pos))
            continue;                 /* the global checkpoint is still before it */
        int rc = worker_xa_meta_del(a, source_id, d->id, e);
        if (rc)
            return rc;
        memmove(&x->del[i], &x->del[i + 1], (x->ndel - i - 1) * sizeof x->del[0]);
        x->ndel--;
    }
    return DM_OK;
}

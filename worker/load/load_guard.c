/* load_guard.c - the Load unit's refusals before it creates or loads anything (load_run.h):
 * key-less target tables loaded again from their first row (load_keyless.h), target tables
 * dropped or emptied under the loader checkpoint (load_dropped.h). */
#include "load_run.h"

#include <stdio.h>
#include <string.h>

#include "applier_int.h"
#include "dm_error.h"
#include "load_dropped.h"
#include "load_keyless.h"

/* The tables a guard refuses (34998 / 34999), named in one message: about 2000 bytes of
 * names at most, every one counted. */
struct refusal {
    struct dm_buf names;
    size_t n;
};

/* "<sep><lead>`tdb`.`ttbl`[ (from `db`.`tbl`)]<tail>": the source name always (from_always)
 * or when the table is routed; sep before all but the first. */
static int refusal_add(struct refusal *rf, const char *sep, const char *lead,
                       const struct lfile *t, bool from_always, const char *tail)
{
    bool from = from_always || strcmp(t->db, t->tdb) != 0 || strcmp(t->tbl, t->ttbl) != 0;
    struct dm_buf *b = &rf->names;
    if (rf->n++ && b->len >= 2000)
        return DM_OK;
    if ((rf->n > 1 && dm_buf_adds(b, sep)) || dm_buf_adds(b, lead) ||
        worker_ap_add_table(b, t->tdb, t->ttbl) ||
        (from && (dm_buf_adds(b, " (from ") || worker_ap_add_table(b, t->db, t->tbl) ||
                  dm_buf_addc(b, ')'))) ||
        dm_buf_adds(b, tail))
        return DM_E_NOMEM;
    return DM_OK;
}

static const char *refusal_names(const struct refusal *rf)
{
    return rf->names.len < 2000 ? rf->names.data : "(list too long)";
}

/* Per table with rows to load: whether its target table is key-less (its data files then
 * leave a marker with their first commit) and, for a load of the table from its first
 * row, whether this source's rows are there from an earlier load (load_keyless.h). */
int worker_load_keyless_guard(struct run *r, struct worker_applier *a, struct worker_terr *e)
{
    struct refusal rf = { .n = 0 };
    int rc = DM_OK;
    dm_buf_init(&rf.names, 1u << 16);
    for (size_t i = 0; !rc && i < r->n; i++) {
        struct lfile *t = &r->files[i];
        bool fresh = true, keyless = false, reload = false;
        if (t->kind != K_TABLE || !t->has_data)
            continue;
        for (size_t j = 0; j < r->n; j++)
            if (r->files[j].owner == (ptrdiff_t)i && r->files[j].offset > 0)
                fresh = false;
        rc = worker_load_keyless_check(a, t->db, t->tbl, t->tdb, t->ttbl, fresh, &keyless,
                                       &reload, e);
        for (size_t j = 0; !rc && keyless && j < r->n; j++)
            if (r->files[j].owner == (ptrdiff_t)i)
                r->files[j].keyless = true;
        if (!rc && reload && refusal_add(&rf, ", ", "", t, true, ""))
            rc = worker_ap_nomem(e);
    }
    if (!rc && rf.n) {
        worker_load_keyless_refuse(e, refusal_names(&rf), rf.n);
        rc = DM_E_INVAL;
    }
    dm_buf_free(&rf.names);
    return rc;
}

/* Bytes of table t's dump (files[ti]) the checkpoint marks as committed. */
static int64_t committed_bytes(const struct run *r, size_t ti)
{
    int64_t n = 0;
    for (size_t j = 0; j < r->n; j++)
        if (r->files[j].kind == K_DATA && r->files[j].owner == (ptrdiff_t)ti)
            n += r->files[j].offset < r->files[j].size ? r->files[j].offset : r->files[j].size;
    return n;
}

/* Before anything is created: per table with checkpoint progress, whether its target table
 * is still there with rows (load_dropped.h); a resume over a dropped or emptied one would
 * skip its committed rows, so the run is refused naming them. */
int worker_load_dropped_guard(struct run *r, struct worker_applier *a, struct worker_terr *e)
{
    struct refusal rf = { .n = 0 };
    char tail[160];
    int rc = DM_OK;
    dm_buf_init(&rf.names, 1u << 16);
    for (size_t i = 0; !rc && i < r->n; i++) {
        const struct lfile *t = &r->files[i];
        int64_t done = t->kind == K_TABLE ? committed_bytes(r, i) : 0;
        bool lost = false;
        if (done <= 0 || (rc = worker_load_dropped_check(a, t->tdb, t->ttbl, &lost, e)) || !lost)
            continue;
        snprintf(tail, sizeof tail, " was dropped or emptied after the Load committed %lld "
                 "bytes of its dump", (long long)done);
        if (refusal_add(&rf, "; ", "the target table ", t, false, tail))
            rc = worker_ap_nomem(e);
    }
    if (!rc && rf.n) {
        worker_load_dropped_refuse(e, refusal_names(&rf), rf.n);
        rc = DM_E_INVAL;
    }
    dm_buf_free(&rf.names);
    return rc;
}

/* shard_group.c - sharding groups (see shard_group.h; DM v1.0.7 syncer/sharding_group.go,
 * syncer/sharding-meta/shardmeta.go). */
#include "shard_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

struct item {
    struct wsk_pos first;
    char **ddls;
    size_t n;
    char *source;
};

struct seq {
    struct item *items;
    size_t n;
};

struct src {
    char *id;
    bool synced;
    struct seq seq;
};

struct group {
    char *target;
    struct src *srcs;
    size_t n, cap;
    int remain;
    int active_idx;
    struct seq global;
    bool have_first;               /* first DDL of this round (DM's firstPos/firstEndPos) */
    struct wsk_pos first, first_end;
};

struct point {
    char *id;
    struct wsk_pos p;
};

struct wsk {
    struct group *g;
    size_t n, cap;
    struct point *pts;
    size_t npts, cappts;
};

/* ---- positions ---- */

static unsigned long long file_seq(const char *f)
{
    const char *dot = strrchr(f, '.');
    return dot ? strtoull(dot + 1, NULL, 10) : 0;
}

int wsk_pos_cmp(const struct wsk_pos *a, const struct wsk_pos *b)
{
    unsigned long long fa = file_seq(a->file), fb = file_seq(b->file);
    if (fa != fb)
        return fa < fb ? -1 : 1;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return 0;
}

void wsk_pos_str(const struct wsk_pos *p, char *buf, size_t cap)
{
    snprintf(buf, cap, "(%s, %llu)", p->file, (unsigned long long)p->pos);
}

void wsk_table_id(const char *schema, const char *table, char *buf, size_t cap)
{
    snprintf(buf, cap, "`%s`.`%s`", schema, table);
}

/* ---- sequences ---- */

static void item_free(struct item *it)
{
    for (size_t i = 0; i < it->n; i++)
        free(it->ddls[i]);
    free(it->ddls);
    free(it->source);
    memset(it, 0, sizeof *it);
}

static void seq_clear(struct seq *s)
{
    for (size_t i = 0; i < s->n; i++)
        item_free(&s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

static int item_set(struct item *it, const struct wsk_pos *first, char *const *ddls, size_t n,
                    const char *source)
{
    memset(it, 0, sizeof *it);
    it->first = *first;
    it->ddls = calloc(n + 1, sizeof *it->ddls);
    it->source = strdup(source);
    if (!it->ddls || !it->source)
        goto fail;
    for (it->n = 0; it->n < n; it->n++)
        if (!(it->ddls[it->n] = strdup(ddls[it->n])))
            goto fail;
    return DM_OK;
fail:
    item_free(it);
    return DM_E_NOMEM;
}

static int seq_push(struct seq *s, const struct wsk_pos *first, char *const *ddls, size_t n,
                    const char *source)
{
    struct item *tmp;
    if (s->n >= WSK_MAX_ITEMS)
        return DM_E_INVAL;
    tmp = realloc(s->items, (s->n + 1) * sizeof *tmp);
    if (!tmp)
        return DM_E_NOMEM;
    s->items = tmp;
    if (item_set(&s->items[s->n], first, ddls, n, source))
        return DM_E_NOMEM;
    s->n++;
    return DM_OK;
}

bool wsk_ddls_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]))
            return false;
    return true;
}

static bool is_prefix(const struct seq *s, const struct seq *of)
{
    if (s->n > of->n)
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (!wsk_ddls_equal(s->items[i].ddls, s->items[i].n, of->items[i].ddls, of->items[i].n))
            return false;
    return true;
}

/* ---- JSON of a sequence (DM's DDLItem list) ---- */

static json_t *item_json(const struct item *it)
{
    json_t *o = json_object(), *d = json_array();
    for (size_t i = 0; i < it->n; i++)
        json_array_append_new(d, json_string(it->ddls[i]));
    json_object_set_new(o, "first-pos",
                        json_pack("{s:s, s:I}", "Name", it->first.file, "Pos",
                                  (json_int_t)it->first.pos));
    json_object_set_new(o, "ddls", d);
    json_object_set_new(o, "source", json_string(it->source));
    return o;
}

static char *seq_dump(const struct seq *s)
{
    json_t *a = json_array();
    char *out;
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, item_json(&s->items[i]));
    out = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return out;
}

static int seq_load(struct seq *s, const char *data, char *err, size_t cap)
{
    json_error_t je;
    json_t *a = json_loads(data, 0, &je), *v;
    size_t i;
    int rc = DM_OK;
    if (!json_is_array(a)) {
        snprintf(err, cap, "invalid sharding meta data: %s", data);
        json_decref(a);
        return DM_E_INVAL;
    }
    seq_clear(s);
    json_array_foreach(a, i, v) {
        json_t *fp = json_object_get(v, "first-pos"), *dd = json_object_get(v, "ddls");
        const char *src = json_string_value(json_object_get(v, "source"));
        const char *name = json_string_value(json_object_get(fp, "Name"));
        struct wsk_pos p = { "", (uint64_t)json_integer_value(json_object_get(fp, "Pos")) };
        char *ddls[64];
        size_t n = 0, j;
        json_t *d;
        if (!name || !src || !json_is_array(dd) || json_array_size(dd) > 64) {
            snprintf(err, cap, "invalid sharding meta item in %s", data);
            rc = DM_E_INVAL;
            break;
        }
        snprintf(p.file, sizeof p.file, "%s", name);
        json_array_foreach(dd, j, d)
            ddls[n++] = (char *)(json_string_value(d) ? json_string_value(d) : "");
        if ((rc = seq_push(s, &p, ddls, n, src)))
            break;
    }
    json_decref(a);
    return rc;
}

/* ---- groups ---- */

struct wsk *wsk_new(void)
{
    return calloc(1, sizeof(struct wsk));
}

static void group_free(struct group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->srcs[i].id);
        seq_clear(&g->srcs[i].seq);
    }
    free(g->srcs);
    seq_clear(&g->global);
    free(g->target);
}

void wsk_free(struct wsk *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        group_free(&k->g[i]);
    free(k->g);
    for (size_t i = 0; i < k->npts; i++)
        free(k->pts[i].id);
    free(k->pts);
    free(k);
}

static struct group *find(const struct wsk *k, const char *target)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->g[i].target, target) == 0)
            return &k->g[i];
    return NULL;
}

static struct src *find_src(const struct group *g, const char *source)
{
    for (size_t i = 0; g && i < g->n; i++)
        if (strcmp(g->srcs[i].id, source) == 0)
            return &g->srcs[i];
    return NULL;
}

static bool in_sequence(const struct group *g)
{
    return g->global.n > 0 && (size_t)g->active_idx < g->global.n;
}

static bool unresolved(const struct group *g)
{
    return g->remain != (int)g->n;
}

static struct group *new_group(struct wsk *k, const char *target)
{
    struct group *g;
    if (k->n >= WSK_MAX_GROUPS)
        return NULL;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        struct group *tmp = realloc(k->g, cap * sizeof *tmp);
        if (!tmp)
            return NULL;
        k->g = tmp;
        k->cap = cap;
    }
    g = &k->g[k->n];
    memset(g, 0, sizeof *g);
    if (!(g->target = strdup(target)))
        return NULL;
    k->n++;
    return g;
}

static int add_src(struct group *g, const char *source)
{
    if (find_src(g, source))
        return DM_OK;
    if (g->n >= WSK_MAX_SOURCES)
        return DM_E_INVAL;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        struct src *tmp = realloc(g->srcs, cap * sizeof *tmp);
        if (!tmp)
            return DM_E_NOMEM;
        g->srcs = tmp;
        g->cap = cap;
    }
    memset(&g->srcs[g->n], 0, sizeof g->srcs[g->n]);
    if (!(g->srcs[g->n].id = strdup(source)))
        return DM_E_NOMEM;
    g->n++;
    g->remain++;
    return DM_OK;
}

static void active_str(const struct group *g, char *buf, size_t cap)
{
    char *s = seq_dump(&g->global);
    const struct item *a = in_sequence(g) ? &g->global.items[g->active_idx] : NULL;
    char fp[300] = "";
    if (a)
        wsk_pos_str(&a->first, fp, sizeof fp);
    snprintf(buf, cap, "first-pos: %s ddls: [%s] source: %s, sharding sequence: %s", fp,
             a && a->n ? a->ddls[0] : "", a ? a->source : "", s ? s : "");
    free(s);
}

int wsk_add(struct wsk *k, const char *target, const char *source, bool merge, int *code,
            char *err, size_t cap)
{
    struct group *g = find(k, target);
    *code = 0;
    if (g && !merge && !find_src(g, source))
        return add_src(g, source);          /* task start: sources of one target */
    if (g && in_sequence(g) && !find_src(g, source)) {
        char a[1200];
        active_str(g, a, sizeof a);
        *code = 36005;
        snprintf(err, cap, "in sequence sharding, add table, activeDDL: %s not supported", a);
        return DM_E_INVAL;
    }
    if (!g && !(g = new_group(k, target)))
        return DM_E_NOMEM;
    return add_src(g, source);
}

int wsk_leave(struct wsk *k, const char *target, const char *source, int *code, char *err,
              size_t cap)
{
    struct group *g = find(k, target);
    struct src *s = find_src(g, source);
    *code = 0;
    if (!s)
        return DM_OK;
    if (in_sequence(g)) {
        char a[1200];
        active_str(g, a, sizeof a);
        *code = 36006;
        snprintf(err, cap, "in sequence sharding try drop sources [%s] not supported, activeDDL: %s",
                 source, a);
        return DM_E_INVAL;
    }
    if (!s->synced)
        g->remain--;
    free(s->id);
    seq_clear(&s->seq);
    *s = g->srcs[--g->n];
    return DM_OK;
}

const char *wsk_group_of(const struct wsk *k, const char *source)
{
    for (size_t i = 0; i < k->n; i++)
        if (find_src(&k->g[i], source))
            return k->g[i].target;
    return NULL;
}

bool wsk_has_group(const struct wsk *k, const char *target)
{
    return find(k, target) != NULL;
}

size_t wsk_sources_of_schema(const struct wsk *k, const char *schema, const char **out,
                             const char **targets, size_t cap)
{
    char pre[300];
    size_t n = 0, len;
    snprintf(pre, sizeof pre, "`%s`.", schema);
    len = strlen(pre);
    for (size_t i = 0; i < k->n; i++)
        for (size_t j = 0; j < k->g[i].n && n < cap; j++)
            if (strncmp(k->g[i].srcs[j].id, pre, len) == 0) {
                targets[n] = k->g[i].target;
                out[n++] = k->g[i].srcs[j].id;
            }
    return n;
}

/* DM ShardingMeta.AddItem: index of the item in the source's sequence, *active. */
static int add_item(struct group *g, struct src *s, const struct wsk_pos *first, char *const *ddls,
                    size_t n, bool *active, int *code, char *err, size_t cap)
{
    size_t idx;
    bool found = false;
    int rc;
    for (idx = 0; idx < s->seq.n; idx++)
        if (wsk_pos_cmp(&s->seq.items[idx].first, first) == 0) {
            *active = idx == (size_t)g->active_idx;
            return DM_OK;
        }
    if ((rc = seq_push(&s->seq, first, ddls, n, s->id)))
        return rc;
    for (size_t i = 0; i < g->global.n && !found; i++)
        found = wsk_ddls_equal(ddls, n, g->global.items[i].ddls, g->global.items[i].n);
    if (!found && (rc = seq_push(&g->global, first, ddls, n, s->id)))
        return rc;
    if (!is_prefix(&s->seq, &g->global)) {
        char *a = seq_dump(&s->seq), *b = seq_dump(&g->global);
        *code = 36008;
        snprintf(err, cap, "detect inconsistent DDL sequence from source %s, right DDL sequence "
                 "should be %s", a ? a : "", b ? b : "");
        free(a);
        free(b);
        return DM_E_INVAL;
    }
    *active = idx == (size_t)g->active_idx;
    return DM_OK;
}

int wsk_try_sync(struct wsk *k, const char *target, const char *source,
                 const struct wsk_pos *first, const struct wsk_pos *end, char *const *ddls,
                 size_t n, struct wsk_sync *r, int *code, char *err, size_t cap)
{
    struct group *g = find(k, target);
    struct src *s = find_src(g, source);
    int rc;
    memset(r, 0, sizeof *r);
    *code = 0;
    if (!s) {
        snprintf(err, cap, "source table %s is not in the sharding group of %s", source, target);
        return DM_E_INVAL;
    }
    rc = add_item(g, s, first, ddls, n, &r->active, code, err, cap);
    if (!rc && r->active && !s->synced) {
        s->synced = true;
        g->remain--;
    }
    if (!rc && !g->have_first) {
        g->have_first = true;
        g->first = *first;
        g->first_end = *end;
    }
    r->synced = g->remain <= 0;
    r->remain = g->remain;
    return rc;
}

bool wsk_in_syncing(const struct wsk *k, const char *target, const char *source,
                    const struct wsk_pos *pos)
{
    const struct group *g = find(k, target);
    const struct src *s = find_src(g, source);
    /* DM's CheckSyncing: the source's item at the active index, whether or not the group is
     * unresolved - after a resolution with more DDLs in the sequence (reset: nothing synced
     * yet) a source already past the next DDL stays held, also during the re-sync pass */
    if (!s || (size_t)g->active_idx >= s->seq.n)
        return false;
    return wsk_pos_cmp(&s->seq.items[g->active_idx].first, pos) <= 0;
}

bool wsk_first_end(const struct wsk *k, const char *target, struct wsk_pos *out)
{
    const struct group *g = find(k, target);
    if (!g || !g->have_first)
        return false;
    *out = g->first_end;
    return true;
}

int wsk_resolve(struct wsk *k, const char *target, bool *all)
{
    struct group *g = find(k, target);
    *all = true;
    if (!g)
        return DM_E_NOT_FOUND;
    g->active_idx++;
    if ((size_t)g->active_idx < g->global.n) {
        *all = false;
        return DM_OK;
    }
    g->active_idx = 0;
    seq_clear(&g->global);
    for (size_t i = 0; i < g->n; i++)
        seq_clear(&g->srcs[i].seq);
    return DM_OK;
}

void wsk_reset(struct wsk *k, const char *target)
{
    struct group *g = find(k, target);
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        g->srcs[i].synced = false;
    g->remain = (int)g->n;
    g->have_first = false;
}

bool wsk_active_first(const struct wsk *k, const char *target, struct wsk_pos *out)
{
    const struct group *g = find(k, target);
    if (!g || !in_sequence(g))
        return false;
    *out = g->global.items[g->active_idx].first;
    return true;
}

/* DM FirstPosUnresolved */
static bool first_unresolved(const struct group *g, struct wsk_pos *out)
{
    if (unresolved(g) && g->have_first) {
        *out = g->first;
        return true;
    }
    if (in_sequence(g)) {
        *out = g->global.items[g->active_idx].first;
        return true;
    }
    return false;
}

bool wsk_lowest_first(const struct wsk *k, struct wsk_pos *out)
{
    bool have = false;
    for (size_t i = 0; i < k->n; i++) {
        struct wsk_pos p;
        if (first_unresolved(&k->g[i], &p) && (!have || wsk_pos_cmp(&p, out) < 0)) {
            *out = p;
            have = true;
        }
    }
    return have;
}

size_t wsk_sources(const struct wsk *k, const char *target, const char **out, size_t cap)
{
    const struct group *g = find(k, target);
    size_t n = 0;
    for (size_t i = 0; g && i < g->n && n < cap; i++)
        out[n++] = g->srcs[i].id;
    return n;
}

/* ---- table points ---- */

static struct point *find_point(const struct wsk *k, const char *source)
{
    for (size_t i = 0; i < k->npts; i++)
        if (strcmp(k->pts[i].id, source) == 0)
            return &k->pts[i];
    return NULL;
}

void wsk_point_set(struct wsk *k, const char *source, const struct wsk_pos *p)
{
    struct point *pt = find_point(k, source);
    if (!pt) {
        if (k->npts >= WSK_MAX_SOURCES)
            return;
        if (k->npts == k->cappts) {
            size_t cap = k->cappts ? k->cappts * 2 : 16;
            struct point *tmp = realloc(k->pts, cap * sizeof *tmp);
            if (!tmp)
                return;
            k->pts = tmp;
            k->cappts = cap;
        }
        if (!(k->pts[k->npts].id = strdup(source)))
            return;
        pt = &k->pts[k->npts++];
    }
    pt->p = *p;
}

bool wsk_point_get(const struct wsk *k, const char *source, struct wsk_pos *out)
{
    const struct point *pt = find_point(k, source);
    if (pt)
        *out = pt->p;
    return pt != NULL;
}

/* ---- status ---- */

json_t *wsk_status_json(const struct wsk *k)
{
    json_t *a = json_array();
    for (size_t i = 0; i < k->n; i++) {
        const struct group *g = &k->g[i];
        json_t *o, *syn = json_array(), *uns = json_array(), *dd = json_array();
        char fp[300] = "";
        if (!unresolved(g) || !g->have_first) {
            json_decref(syn);
            json_decref(uns);
            json_decref(dd);
            continue;
        }
        wsk_pos_str(&g->first, fp, sizeof fp);
        for (size_t j = 0; j < g->n; j++)
            json_array_append_new(g->srcs[j].synced ? syn : uns, json_string(g->srcs[j].id));
        if (in_sequence(g))
            for (size_t j = 0; j < g->global.items[g->active_idx].n; j++)
                json_array_append_new(dd, json_string(g->global.items[g->active_idx].ddls[j]));
        o = json_pack("{s:s, s:o, s:s, s:o, s:o}", "target", g->target, "DDLs", dd, "firstPos",
                      fp, "synced", syn, "unsynced", uns);
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- persistence ---- */

void wsk_meta_rows_free(struct wsk_meta_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].data);
    free(rows);
}

int wsk_meta_rows(const struct wsk *k, const char *target, struct wsk_meta_row **rows,
                  size_t *n)
{
    const struct group *g = find(k, target);
    struct wsk_meta_row *r;
    *rows = NULL;
    *n = 0;
    if (!g || g->global.n == 0)
        return DM_OK;
    r = calloc(g->n + 1, sizeof *r);
    if (!r)
        return DM_E_NOMEM;
    r[0].source = "";
    r[0].active_idx = g->active_idx;
    r[0].data = seq_dump(&g->global);
    *n = 1;
    for (size_t i = 0; i < g->n; i++) {
        if (g->srcs[i].seq.n == 0)
            continue;
        r[*n].source = g->srcs[i].id;
        r[*n].active_idx = g->active_idx;
        r[*n].data = seq_dump(&g->srcs[i].seq);
        (*n)++;
    }
    for (size_t i = 0; i < *n; i++)
        if (!r[i].data) {
            wsk_meta_rows_free(r, *n);
            *n = 0;
            return DM_E_NOMEM;
        }
    *rows = r;
    return DM_OK;
}

int wsk_restore(struct wsk *k, const char *target, const char *source, int active_idx,
                bool is_global, const char *data, char *err, size_t cap)
{
    struct group *g = find(k, target);
    struct src *s;
    if (!g) {
        snprintf(err, cap, "sharding meta of %s: no such sharding group", target);
        return DM_E_INVAL;
    }
    g->active_idx = active_idx;
    if (is_global)
        return seq_load(&g->global, data, err, cap);
    if (!(s = find_src(g, source)))
        return DM_OK;                 /* the table has left the group */
    return seq_load(&s->seq, data, err, cap);
}

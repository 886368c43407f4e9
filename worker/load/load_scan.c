/* load_scan.c - the Load unit's dump directory: its files, their tables, the black-white-list
 * and routes, the order of the data files (load_run.h). */
#include "load_run.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "applier_int.h"
#include "dm_error.h"
#include "load_names.h"

bool worker_load_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int add_file(struct run *r, size_t *cap, const char *name, enum kind k, const char *db,
                    size_t dblen, const char *tbl, size_t tlen, int64_t size)
{
    struct lfile *f;
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct lfile *tmp = nc > MAX_FILES ? NULL : realloc(r->files, nc * sizeof *tmp);
        if (!tmp)
            return DM_E_NOMEM;
        r->files = tmp;
        *cap = nc;
    }
    f = &r->files[r->n];
    memset(f, 0, sizeof *f);
    f->kind = k;
    f->size = size;
    if (!(f->name = strdup(name)) || !(f->db = strndup(db, dblen)) ||
        (tbl && !(f->tbl = strndup(tbl, tlen)))) {
        free(f->name);
        free(f->db);
        return DM_E_NOMEM;
    }
    r->n++;
    return DM_OK;
}

/* The table a data file belongs to: "<db>.<tbl>.sql" or "<db>.<tbl>.<digits>.sql" where
 * <db>.<tbl> is a known table schema file (names may contain dots). */
static const struct lfile *data_owner(const struct run *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct lfile *t = &r->files[i];
        size_t dl, tl;
        const char *rest;
        if (t->kind != K_TABLE && t->kind != K_VIEW)
            continue;
        dl = strlen(t->db);
        tl = strlen(t->tbl);
        if (strncmp(name, t->db, dl) != 0 || name[dl] != '.' ||
            strncmp(name + dl + 1, t->tbl, tl) != 0)
            continue;
        rest = name + dl + 1 + tl;
        if (strcmp(rest, ".sql") == 0)
            return t;
        if (*rest == '.' && rest[1] >= '0' && rest[1] <= '9') {
            rest++;
            while (*rest >= '0' && *rest <= '9')
                rest++;
            if (strcmp(rest, ".sql") == 0)
                return t;
        }
    }
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    const struct lfile *x = a, *y = b;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    return strcmp(x->name, y->name);
}

static int cmp_table(const struct lfile *x, const struct lfile *y)
{
    int c = strcmp(x->db, y->db);
    return c ? c : strcmp(x->tbl ? x->tbl : "", y->tbl ? y->tbl : "");
}

static int cmp_table_v(const void *a, const void *b) { return cmp_table(a, b); }

/* Kind, then (data files) the largest table first, then table, then file name. */
static int by_plan(const void *a, const void *b)
{
    const struct lfile *x = a, *y = b;
    int c;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    if (x->table_bytes != y->table_bytes)
        return x->table_bytes > y->table_bytes ? -1 : 1;
    return (c = cmp_table(x, y)) ? c : strcmp(x->name, y->name);
}

/* Per table: its data bytes (on its data files) and whether rows are left (has_data);
 * then the data files ordered largest table first, so the longest table starts first. */
void worker_load_plan(struct run *r)
{
    size_t i = 0, t0, nt;
    qsort(r->files, r->n, sizeof *r->files, by_plan);   /* table_bytes all 0: by table */
    while (i < r->n && r->files[i].kind < K_TABLE)
        i++;
    for (t0 = i; i < r->n && r->files[i].kind == K_TABLE; i++)
        ;
    nt = i - t0;
    while (i < r->n && r->files[i].kind != K_DATA)
        i++;
    while (i < r->n) {
        size_t k = i;
        int64_t bytes = 0;
        bool left = false;
        struct lfile *t = NULL;
        for (; k < r->n && cmp_table(&r->files[i], &r->files[k]) == 0; k++) {
            bytes += r->files[k].size;
            left = left || r->files[k].offset < r->files[k].size;
        }
        for (size_t j = i; j < k; j++)
            r->files[j].table_bytes = bytes;
        if (nt)
            t = bsearch(&r->files[i], r->files + t0, nt, sizeof *t, cmp_table_v);
        if (t)
            t->has_data = left;
        i = k;
    }
    qsort(r->files, r->n, sizeof *r->files, by_plan);
}

/* Each data file's table (owner) and, per table, how many of its data files this run has
 * to finish: the pool thread that finishes the last one adds the table's deferred keys at
 * once, while other tables still load. Tables sort by name within K_TABLE (plan()). */
int worker_load_count_left(struct run *r)
{
    size_t t0 = 0, nt;
    if (!(r->left = calloc(r->n ? r->n : 1, sizeof *r->left)))
        return DM_E_NOMEM;
    while (t0 < r->n && r->files[t0].kind < K_TABLE)
        t0++;
    for (nt = 0; t0 + nt < r->n && r->files[t0 + nt].kind == K_TABLE; nt++)
        ;
    for (size_t i = 0; i < r->n; i++) {
        struct lfile *f = &r->files[i], *t;
        f->owner = -1;
        if (f->kind != K_DATA || !nt)
            continue;
        if ((t = bsearch(f, r->files + t0, nt, sizeof *t, cmp_table_v))) {
            f->owner = t - r->files;
            atomic_fetch_add(&r->left[f->owner], 1);
        }
    }
    return DM_OK;
}

/* "q.my-schema.sql" is the data of table `my-schema` when "q.my-schema-schema.sql" is
 * there (not the schema of a table `my`): a ".sql" file whose "<db>.<tbl>" part has a
 * schema or view file in dir. */
static bool is_data_file(const char *dir, const char *n)
{
    char base[1024], path[4096];
    struct stat st;
    if (!worker_load_data_base(n, base, sizeof base))
        return false;
    snprintf(path, sizeof path, "%s/%s-schema.sql", dir, base);
    if (stat(path, &st) == 0)
        return true;
    snprintf(path, sizeof path, "%s/%s-schema-view.sql", dir, base);
    return stat(path, &st) == 0;
}

static bool schema_name(const char *n)
{
    return worker_load_has_suffix(n, "-schema.sql") || worker_load_has_suffix(n, "-schema-view.sql") ||
           worker_load_has_suffix(n, "-schema-create.sql") || worker_load_has_suffix(n, "-schema-triggers.sql") ||
           worker_load_has_suffix(n, "-schema-post.sql");
}

/* Length of the database part of a table file name: the longest database of a
 * "-schema-create.sql" file it starts with (database names may contain dots). */
static size_t db_len(const struct run *r, const char *n)
{
    const char *dbs[256];
    size_t k = 0;
    for (size_t i = 0; i < r->n && k < sizeof dbs / sizeof *dbs; i++)
        if (r->files[i].kind == K_DB)
            dbs[k++] = r->files[i].db;
    return worker_load_db_len(n, dbs, k);
}

/* One file of the dump directory in pass 0 (database files, refusals), 1 (table and view
 * schema files) or 2 (data files matched to their tables). */
static int scan_one(struct run *r, size_t *cap, int pass, const char *n, int64_t size,
                    struct worker_terr *e)
{
    size_t len = strlen(n), dl;
    const struct lfile *t;
    if (pass == 0) {
        if (worker_load_has_suffix(n, ".gz") || worker_load_has_suffix(n, "-schema-triggers.sql") ||
            worker_load_has_suffix(n, "-schema-post.sql"))
            return worker_load_lerr(e, WTE_LOAD_READ_FILE,
                        "dump file %s: compressed dumps, triggers, routines and events "
                        "are not supported by the Load unit (remove -c/-G/-R/-E from "
                        "extra-args)", n);
        if (worker_load_has_suffix(n, "-schema-create.sql"))
            return add_file(r, cap, n, K_DB, n, len - strlen("-schema-create.sql"), NULL, 0, 0);
        return DM_OK;
    }
    if (pass == 1) {
        if (is_data_file(r->p->dir, n) || !(dl = db_len(r, n)))
            return DM_OK;
        if (worker_load_has_suffix(n, "-schema-view.sql"))
            return add_file(r, cap, n, K_VIEW, n, dl, n + dl + 1,
                            len - dl - 1 - strlen("-schema-view.sql"), 0);
        if (worker_load_has_suffix(n, "-schema.sql"))
            return add_file(r, cap, n, K_TABLE, n, dl, n + dl + 1,
                            len - dl - 1 - strlen("-schema.sql"), 0);
        return DM_OK;
    }
    if (!worker_load_has_suffix(n, ".sql") || (schema_name(n) && !is_data_file(r->p->dir, n)))
        return DM_OK;
    if (!(t = data_owner(r, n)))
        return worker_load_lerr(e, WTE_LOAD_READ_FILE, "data file %s has no table schema file", n);
    return add_file(r, cap, n, K_DATA, t->db, strlen(t->db), t->tbl, strlen(t->tbl), size);
}

/* Database files, then schema files, then data files matched to their tables. */
int worker_load_scan(struct run *r, struct worker_terr *e)
{
    const char *dir = r->p->dir;
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;
    int rc = DM_OK, pass;
    if (!d)
        return worker_load_lerr(e, WTE_LOAD_DIR_NOT_FOUND, "dump directory %s: %s", dir, strerror(errno));
    for (pass = 0; pass < 3 && !rc; pass++) {
        rewinddir(d);
        while (!rc && (de = readdir(d))) {
            const char *n = de->d_name;
            char path[4096];
            struct stat st;
            if (n[0] == '.' || strcmp(n, "metadata") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, n);
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            rc = scan_one(r, &cap, pass, n, (int64_t)st.st_size, e);
            if (rc == DM_E_NOMEM)
                worker_ap_nomem(e);
        }
    }
    closedir(d);
    if (!rc && r->n)
        qsort(r->files, r->n, sizeof *r->files, by_name);
    return rc;
}

/* Apply the black-white-list (dropping files) and routes (filling tdb/ttbl). */
void worker_load_filter_route(struct run *r)
{
    size_t i, o = 0;
    for (i = 0; i < r->n; i++) {
        struct lfile *f = &r->files[i];
        bool keep = worker_rules_bwl_allow(r->p->rules, f->db, f->tbl ? f->tbl : "");
        if (f->kind == K_TABLE) {
            /* a view's placeholder table is not created: the view is */
            for (size_t j = 0; j < r->n; j++)
                if (r->files[j].kind == K_VIEW && strcmp(r->files[j].db, f->db) == 0 &&
                    strcmp(r->files[j].tbl, f->tbl) == 0)
                    keep = false;
        }
        if (!keep) {
            free(f->name);
            free(f->db);
            free(f->tbl);
            continue;
        }
        worker_rules_route(r->p->rules, f->db, f->tbl ? f->tbl : "", f->tdb, sizeof f->tdb,
                           f->ttbl, sizeof f->ttbl);
        r->files[o++] = *f;
    }
    r->n = o;
}

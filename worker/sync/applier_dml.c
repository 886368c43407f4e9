/* applier_dml.c - target schema cache and DML generation (applier.h; split from
 * applier.c to keep files small). */
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applier.h"
#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"
#include "hash.h"

/* ---- schema cache ---- */

static int load_columns(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t n, i = 0;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT COLUMN_NAME, EXTRA, IS_NULLABLE, COLUMN_TYPE FROM information_schema.COLUMNS "
                        "WHERE TABLE_SCHEMA=") ||
        worker_ap_add_escaped(a, &q, t->schema, strlen(t->schema)) || dm_buf_adds(&q, " AND TABLE_NAME=") ||
        worker_ap_add_escaped(a, &q, t->table, strlen(t->table)) ||
        dm_buf_adds(&q, " ORDER BY ORDINAL_POSITION"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    n = (size_t)mysql_num_rows(res);
    rc = DM_E_NOMEM;
    t->cols = calloc(n ? n : 1, sizeof *t->cols);
    t->gen = calloc(n ? n : 1, sizeof *t->gen);
    t->nullable = calloc(n ? n : 1, sizeof *t->nullable);
    t->is_unsigned = calloc(n ? n : 1, sizeof *t->is_unsigned);
    if (!t->cols || !t->gen || !t->nullable || !t->is_unsigned)
        goto out;
    while ((row = mysql_fetch_row(res)) && i < n) {
        t->cols[i] = strdup(row[0] ? row[0] : "");
        if (!t->cols[i])
            goto out;
        t->gen[i] = row[1] && strstr(row[1], "GENERATED") != NULL;
        t->nullable[i] = row[2] && strcmp(row[2], "YES") == 0;
        t->is_unsigned[i] = row[3] && strstr(row[3], "unsigned") != NULL;
        t->nwritable += t->gen[i] ? 0 : 1;
        t->ncols = ++i;
    }
    rc = DM_OK;
    if (n == 0) {
        worker_terr_set(e, WTE_DB_EXEC, WTE_CLASS_DATABASE, WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                        "table `%s`.`%s` not found in the target database", t->schema, t->table);
        rc = DM_E_INVAL;
    }
out:
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

static ssize_t col_index(const struct tinfo *t, const char *name)
{
    size_t i;
    for (i = 0; i < t->ncols; i++)
        if (strcasecmp(t->cols[i], name) == 0)
            return (ssize_t)i;
    return -1;
}

static int add_key_col(struct tinfo *t, bool new_key, bool primary, size_t idx)
{
    struct tkey *k;
    size_t *tmp;
    if (new_key) {
        struct tkey *nk = realloc(t->keys, (t->nkeys + 1) * sizeof *nk);
        if (!nk)
            return DM_E_NOMEM;
        t->keys = nk;
        memset(&t->keys[t->nkeys], 0, sizeof *nk);
        t->keys[t->nkeys].primary = primary;
        t->keys[t->nkeys].not_null = true;
        t->nkeys++;
    }
    k = &t->keys[t->nkeys - 1];
    tmp = realloc(k->idx, (k->n + 1) * sizeof *tmp);
    if (!tmp)
        return DM_E_NOMEM;
    k->idx = tmp;
    k->idx[k->n++] = idx;
    if (t->nullable[idx])
        k->not_null = false;
    return DM_OK;
}

static int load_keys(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char last[200] = "";
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                        "WHERE NON_UNIQUE=0 AND TABLE_SCHEMA=") ||
        worker_ap_add_escaped(a, &q, t->schema, strlen(t->schema)) || dm_buf_adds(&q, " AND TABLE_NAME=") ||
        worker_ap_add_escaped(a, &q, t->table, strlen(t->table)) ||
        dm_buf_adds(&q, " ORDER BY INDEX_NAME<>'PRIMARY', INDEX_NAME, SEQ_IN_INDEX"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res))) {
        ssize_t idx = col_index(t, row[1] ? row[1] : "");
        bool fresh = strcmp(last, row[0] ? row[0] : "") != 0;
        if (idx < 0)
            continue;
        snprintf(last, sizeof last, "%s", row[0] ? row[0] : "");
        if (add_key_col(t, fresh, strcmp(last, "PRIMARY") == 0, (size_t)idx)) {
            rc = worker_ap_nomem(e);
            goto out;
        }
    }
    rc = DM_OK;
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

static int get_tinfo(struct worker_applier *a, const char *schema, const char *table,
                     struct tinfo **out, struct worker_terr *e)
{
    struct tinfo *t;
    int rc;
    for (t = a->cache; t; t = t->next) {
        if (strcmp(t->schema, schema) == 0 && strcmp(t->table, table) == 0) {
            *out = t;
            return DM_OK;
        }
    }
    t = calloc(1, sizeof *t);
    if (!t || !(t->schema = strdup(schema)) || !(t->table = strdup(table))) {
        if (t)
            worker_ap_tinfo_free(t);
        return worker_ap_nomem(e);
    }
    if ((rc = load_columns(a, t, e)) || (rc = load_keys(a, t, e))) {
        worker_ap_tinfo_free(t);
        return rc;
    }
    t->next = a->cache;
    a->cache = t;
    *out = t;
    return DM_OK;
}

/* ---- DML generation ---- */

/* Source column index for target column i, or -1 when i is generated (not written). */
struct colmap {
    const struct tinfo *t;
    bool by_writable;                    /* source row lacks generated columns */
    const struct worker_mapping_rule **map; /* per target column, or NULL */
    const char *src_schema, *src_table;
};

static ssize_t src_col(const struct colmap *cm, size_t i)
{
    size_t k, w = 0;
    if (cm->t->gen[i])
        return -1;
    if (!cm->by_writable)
        return (ssize_t)i;
    for (k = 0; k < i; k++)
        w += cm->t->gen[k] ? 0 : 1;
    return (ssize_t)w;
}

/* Target-ordered values of one row image into vals[] (mapping applied). */
static int row_values(const struct colmap *cm, const struct bl_row *row, struct bl_value *vals,
                      struct worker_terr *e)
{
    size_t i;
    for (i = 0; i < cm->t->ncols; i++) {
        ssize_t s = src_col(cm, i);
        const struct worker_mapping_rule *m = cm->map ? cm->map[i] : NULL;
        char err[256];
        int64_t in, outv;
        memset(&vals[i], 0, sizeof vals[i]);
        if (s < 0)
            continue;
        vals[i] = row->cols[s];
        if (vals[i].kind == BL_INT && cm->t->is_unsigned[i])
            vals[i].kind = BL_UINT;
        if (!m || vals[i].kind == BL_NULL)
            continue;
        if (vals[i].kind != BL_INT && vals[i].kind != BL_UINT) {
            worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "column mapping: column %s is not an integer",
                            cm->t->cols[i]);
            return DM_E_INVAL;
        }
        in = vals[i].kind == BL_INT ? vals[i].i : (int64_t)vals[i].u;
        if (worker_rules_partition_id(m, cm->src_schema, cm->src_table, in, &outv, err,
                                      sizeof err)) {
            worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "column mapping on `%s`.`%s`: %s", cm->src_schema,
                            cm->src_table, err);
            return DM_E_INVAL;
        }
        vals[i].kind = BL_INT;
        vals[i].i = outv;
    }
    return DM_OK;
}

static int add_col_list(struct dm_buf *b, const struct tinfo *t)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_addc(b, '(');
    for (i = 0; i < t->ncols && !rc; i++) {
        if (t->gen[i])
            continue;
        if (!first)
            rc = dm_buf_addc(b, ',');
        if (!rc)
            rc = worker_ap_add_ident(b, t->cols[i]);
        first = false;
    }
    return rc ? rc : dm_buf_addc(b, ')');
}

static int add_tuple(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                     const struct bl_value *vals)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_addc(b, '(');
    for (i = 0; i < t->ncols && !rc; i++) {
        if (t->gen[i])
            continue;
        if (!first)
            rc = dm_buf_addc(b, ',');
        if (!rc)
            rc = worker_ap_add_value(a, b, &vals[i]);
        first = false;
    }
    return rc ? rc : dm_buf_addc(b, ')');
}

/* DM's key choice: PK, else NOT NULL UK, else a UK without NULLs in this row, else all. */
static const struct tkey *pick_key(const struct tinfo *t, const struct bl_value *vals)
{
    size_t k, i;
    for (k = 0; k < t->nkeys; k++)
        if (t->keys[k].primary || t->keys[k].not_null)
            return &t->keys[k];
    for (k = 0; k < t->nkeys; k++) {
        bool has_null = false;
        for (i = 0; i < t->keys[k].n; i++)
            has_null |= vals[t->keys[k].idx[i]].kind == BL_NULL;
        if (!has_null)
            return &t->keys[k];
    }
    return NULL;
}

static int add_cond(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t, size_t i,
                    const struct bl_value *vals, bool first)
{
    int rc = first ? DM_OK : dm_buf_adds(b, " AND ");
    if (!rc)
        rc = worker_ap_add_ident(b, t->cols[i]);
    if (!rc && vals[i].kind == BL_NULL)
        return dm_buf_adds(b, " IS NULL");
    if (!rc)
        rc = dm_buf_addc(b, '=');
    return rc ? rc : worker_ap_add_value(a, b, &vals[i]);
}

static int add_where(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                     const struct bl_value *vals)
{
    const struct tkey *k = pick_key(t, vals);
    size_t i;
    bool first = true;
    int rc = dm_buf_adds(b, " WHERE ");
    if (k) {
        for (i = 0; i < k->n && !rc; i++, first = false)
            rc = add_cond(a, b, t, k->idx[i], vals, first);
    } else {
        for (i = 0; i < t->ncols && !rc; i++) {
            if (t->gen[i])
                continue;
            rc = add_cond(a, b, t, i, vals, first);
            first = false;
        }
    }
    return rc ? rc : dm_buf_adds(b, " LIMIT 1");
}

/* ---- causality keys ---- */

static uint64_t table_hash(const struct tinfo *t)
{
    uint64_t h = dm_fnv1a64(DM_FNV64_INIT, t->schema, strlen(t->schema) + 1);
    return dm_fnv1a64(h, t->table, strlen(t->table) + 1);
}

/* Hash of one value as a unique index compares it. Strings are folded (ASCII case,
 * trailing spaces) because the usual collations are case-insensitive and PAD SPACE:
 * two values that may be equal for the index must hash alike (false sharing is safe). */
static uint64_t value_hash(uint64_t h, const struct bl_value *v)
{
    char num[32];
    int n;
    h = dm_fnv1a64(h, &(unsigned char){ (unsigned char)v->kind }, 1);
    switch (v->kind) {
    case BL_NULL:
        return h;
    case BL_INT:
        n = snprintf(num, sizeof num, "%lld", (long long)v->i);
        return dm_fnv1a64(h, num, (size_t)n);
    case BL_FLOAT:
    case BL_DOUBLE:
        n = snprintf(num, sizeof num, "%.17g", v->d);
        return dm_fnv1a64(h, num, (size_t)n);
    case BL_UINT:
    case BL_BIT:
    case BL_ENUM:
    case BL_SET:
        n = snprintf(num, sizeof num, "%llu", (unsigned long long)v->u);
        return dm_fnv1a64(h, num, (size_t)n);
    case BL_STRING: {
        size_t len = v->len, i;
        while (len > 0 && v->ptr[len - 1] == ' ')
            len--;
        for (i = 0; i < len; i++) {
            unsigned char c = (unsigned char)v->ptr[i];
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            h = dm_fnv1a64(h, &c, 1);
        }
        return h;
    }
    case BL_BINARY:
    case BL_DECIMAL:
    case BL_TEMPORAL:
    case BL_JSON:
        return dm_fnv1a64(h, v->ptr, v->len);
    }
    return h;
}

/* DM's causality keys of one row image: one per unique key without NULL parts (values +
 * table). A table without a PK or NOT NULL unique key is key-less as a whole (*keyless,
 * the key is the table): its rows all go to one queue, which never shares a table -
 * and InnoDB gap locks - with the other queues. */
static void row_keys(const struct tinfo *t, const struct bl_value *vals, uint64_t *keys,
                     size_t *n, bool *keyless)
{
    size_t k, i;
    uint64_t th = table_hash(t);
    bool solid = false;
    for (k = 0; k < t->nkeys; k++)
        solid |= t->keys[k].primary || t->keys[k].not_null;
    if (!solid) {
        if (!*keyless)
            keys[(*n)++] = th;
        *keyless = true;
        return;
    }
    for (k = 0; k < t->nkeys; k++) {
        uint64_t h = dm_fnv1a64(th, &k, sizeof k);
        bool null = false;
        for (i = 0; i < t->keys[k].n && !null; i++) {
            const struct bl_value *v = &vals[t->keys[k].idx[i]];
            null = v->kind == BL_NULL;
            h = value_hash(h, v);
        }
        if (!null)
            keys[(*n)++] = h;
    }
}

/* ---- DML generation ---- */

struct gen {
    struct worker_applier *a;
    const struct colmap *cm;
    worker_rowjob_fn fn;
    void *ud;
    uint64_t *keys;                      /* 2 * (nkeys + 1) */
    size_t nkeys;
    bool keyless;
    bool supersedes;                     /* the job is a REPLACE of a row with a key */
};

static int gen_err(int rc, struct worker_terr *e)
{
    if (rc == DM_E_TOO_LARGE) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "generated statement exceeds max-allowed-packet");
        return DM_E_TOO_LARGE;
    }
    return worker_ap_nomem(e);
}

/* a->key = "`s`.`t`:" + the values of solid key k of this row (worker_rowjob.key). */
static int render_key(struct worker_applier *a, const struct tinfo *t, const struct tkey *k,
                      const struct bl_value *vals)
{
    size_t i;
    int rc = worker_ap_add_table(&a->key, t->schema, t->table);
    if (!rc)
        rc = dm_buf_addc(&a->key, ':');
    for (i = 0; i < k->n && !rc; i++) {
        if (i)
            rc = dm_buf_addc(&a->key, ',');
        if (!rc)
            rc = worker_ap_add_value(a, &a->key, &vals[k->idx[i]]);
    }
    return rc;
}

/* Hand the statement(s) in a->sql and the collected keys to the callback. */
static int emit(struct gen *g, size_t head_len, enum worker_merge merge, struct worker_terr *e)
{
    struct worker_rowjob j;
    int rc;
    memset(&j, 0, sizeof j);
    j.sql = g->a->sql.data;
    j.len = g->a->sql.len;
    j.head_len = head_len;
    j.merge = head_len ? merge : WORKER_MERGE_NONE;
    j.key = g->a->key.len ? g->a->key.data : NULL;
    j.key_len = g->a->key.len;
    j.supersedes = g->supersedes && j.key;
    j.keys = g->keys;
    j.nkeys = g->nkeys;
    j.keyless = g->keyless;
    rc = g->fn(g->ud, &j, e);
    dm_buf_reset(&g->a->sql);
    dm_buf_reset(&g->a->key);
    g->supersedes = false;
    g->nkeys = 0;
    g->keyless = false;
    return rc;
}

static int stmt_head(struct worker_applier *a, const struct tinfo *t, const char *verb)
{
    int rc = dm_buf_adds(&a->sql, verb);
    if (!rc)
        rc = worker_ap_add_table(&a->sql, t->schema, t->table);
    if (!rc)
        rc = dm_buf_addc(&a->sql, ' ');
    if (!rc)
        rc = add_col_list(&a->sql, t);
    return rc ? rc : dm_buf_adds(&a->sql, " VALUES ");
}

/* Key usable for set-based statements: PK or NOT NULL unique key and no NULL in this
 * row's key values (`k IN (...)` then matches exactly the row `k = v LIMIT 1` does). */
static bool solid_key(const struct tkey *k, const struct bl_value *vals)
{
    size_t i;
    if (!k || !(k->primary || k->not_null))
        return false;
    for (i = 0; i < k->n; i++)
        if (vals[k->idx[i]].kind == BL_NULL)
            return false;
    return true;
}

static bool same_value(const struct bl_value *x, const struct bl_value *y)
{
    if (x->kind != y->kind)
        return false;
    switch (x->kind) {
    case BL_NULL:
        return true;
    case BL_INT:
        return x->i == y->i;
    case BL_UINT:
    case BL_BIT:
    case BL_ENUM:
    case BL_SET:
        return x->u == y->u;
    case BL_FLOAT:
    case BL_DOUBLE:
        return memcmp(&x->d, &y->d, sizeof x->d) == 0;
    default:
        return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
    }
}

/* Safe-mode UPDATE that keeps its (solid) key byte for byte: REPLACE alone leaves the
 * same table as DELETE + REPLACE (REPLACE removes the row with that key itself). */
static bool key_unchanged(const struct tinfo *t, const struct bl_value *before,
                          const struct bl_value *after)
{
    const struct tkey *k = pick_key(t, before);
    size_t i;
    if (!solid_key(k, before))
        return false;
    for (i = 0; i < k->n; i++)
        if (!same_value(&before[k->idx[i]], &after[k->idx[i]]))
            return false;
    return true;
}

/* DELETE by a solid key in a mergeable form: "DELETE FROM `s`.`t` WHERE `k` IN (" v ")"
 * (one column) or "DELETE FROM `s`.`t` WHERE " "(`k1`=v1 AND `k2`=v2)" (composite). */
static int add_delete_merge(struct worker_applier *a, const struct tinfo *t,
                            const struct tkey *k, const struct bl_value *vals, size_t *head,
                            enum worker_merge *merge)
{
    size_t i;
    int rc = dm_buf_adds(&a->sql, "DELETE FROM ");
    if (!rc)
        rc = worker_ap_add_table(&a->sql, t->schema, t->table);
    if (!rc)
        rc = dm_buf_adds(&a->sql, " WHERE ");
    if (k->n == 1) {
        *merge = WORKER_MERGE_IN;
        if (!rc)
            rc = worker_ap_add_ident(&a->sql, t->cols[k->idx[0]]);
        if (!rc)
            rc = dm_buf_adds(&a->sql, " IN (");
        *head = a->sql.len;
        if (!rc)
            rc = worker_ap_add_value(a, &a->sql, &vals[k->idx[0]]);
        return rc ? rc : dm_buf_addc(&a->sql, ')');
    }
    *merge = WORKER_MERGE_OR;
    *head = a->sql.len;
    if (!rc)
        rc = dm_buf_addc(&a->sql, '(');
    for (i = 0; i < k->n && !rc; i++)
        rc = add_cond(a, &a->sql, t, k->idx[i], vals, i == 0);
    return rc ? rc : dm_buf_addc(&a->sql, ')');
}

static int add_delete(struct worker_applier *a, const struct tinfo *t, const struct bl_value *vals)
{
    int rc = dm_buf_adds(&a->sql, "DELETE FROM ");
    if (!rc)
        rc = worker_ap_add_table(&a->sql, t->schema, t->table);
    return rc ? rc : add_where(a, &a->sql, t, vals);
}

static int add_update(struct worker_applier *a, const struct tinfo *t, const struct bl_value *before,
                      const struct bl_value *after)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_adds(&a->sql, "UPDATE ");
    if (!rc)
        rc = worker_ap_add_table(&a->sql, t->schema, t->table);
    if (!rc)
        rc = dm_buf_adds(&a->sql, " SET ");
    for (i = 0; i < t->ncols && !rc; i++) {
        if (t->gen[i])
            continue;
        if (!first)
            rc = dm_buf_addc(&a->sql, ',');
        if (!rc)
            rc = worker_ap_add_ident(&a->sql, t->cols[i]);
        if (!rc)
            rc = dm_buf_addc(&a->sql, '=');
        if (!rc)
            rc = worker_ap_add_value(a, &a->sql, &after[i]);
        first = false;
    }
    return rc ? rc : add_where(a, &a->sql, t, before);
}

/* One row change -> one job (DM: one statement per row; safe-mode UPDATE is
 * DELETE;REPLACE in one job so both run on the same connection in order). Mergeable
 * jobs (head_len > 0, dmlpool merges consecutive ones with equal heads): INSERT/REPLACE,
 * DELETE by a solid key (IN-list / OR form) and a safe-mode UPDATE that keeps its solid
 * key (REPLACE alone, see key_unchanged). Jobs on rows with a solid key carry its text
 * (a->key) so that dmlpool can drop a DELETE right before a REPLACE of the same row. */
static int gen_row(struct gen *g, enum bl_rows_op op, bool safe, const struct bl_value *vals,
                   const struct bl_value *vals2, struct worker_terr *e)
{
    struct worker_applier *a = g->a;
    const struct tinfo *t = g->cm->t;
    size_t head = 0;
    enum worker_merge merge = WORKER_MERGE_VALUES;
    int rc;
    const struct tkey *k = pick_key(t, vals);
    dm_buf_reset(&a->sql);
    dm_buf_reset(&a->key);
    row_keys(t, vals, g->keys, &g->nkeys, &g->keyless);
    if (op == BL_INSERT) {
        rc = stmt_head(a, t, safe ? "REPLACE INTO " : "INSERT INTO ");
        head = a->sql.len;
        if (!rc)
            rc = add_tuple(a, &a->sql, t, vals);
        if (!rc && safe && solid_key(k, vals)) {
            rc = render_key(a, t, k, vals);
            g->supersedes = true;
        }
    } else if (op == BL_DELETE && solid_key(k, vals)) {
        rc = add_delete_merge(a, t, k, vals, &head, &merge);
        if (!rc)
            rc = render_key(a, t, k, vals);
    } else if (op == BL_DELETE) {
        rc = add_delete(a, t, vals);
    } else {
        row_keys(t, vals2, g->keys, &g->nkeys, &g->keyless);
        if (!safe) {
            rc = add_update(a, t, vals, vals2);
        } else if (key_unchanged(t, vals, vals2)) {
            rc = stmt_head(a, t, "REPLACE INTO ");
            head = a->sql.len;
            if (!rc)
                rc = add_tuple(a, &a->sql, t, vals2);
            if (!rc)
                rc = render_key(a, t, k, vals2);
            g->supersedes = true;
        } else {
            rc = add_delete(a, t, vals);
            if (!rc)
                rc = dm_buf_addc(&a->sql, ';');
            if (!rc)
                rc = stmt_head(a, t, "REPLACE INTO ");
            if (!rc)
                rc = add_tuple(a, &a->sql, t, vals2);
        }
    }
    if (rc) {
        g->nkeys = 0;
        g->keyless = false;
        g->supersedes = false;
        dm_buf_reset(&a->key);
        return gen_err(rc, e);
    }
    return emit(g, head, merge, e);
}

static int gen_rows(struct gen *g, const struct bl_event *ev, bool safe, struct bl_value *vals,
                    struct bl_value *vals2, struct worker_terr *e)
{
    size_t r;
    int rc = DM_OK;
    for (r = 0; r < ev->nrows && !rc; r++) {
        if ((rc = row_values(g->cm, &ev->rows[r], vals, e)))
            break;
        if (ev->op == BL_UPDATE && (rc = row_values(g->cm, &ev->after[r], vals2, e)))
            break;
        rc = gen_row(g, ev->op, safe, vals, vals2, e);
    }
    return rc;
}

int worker_applier_gen_rows(struct worker_applier *a, const struct bl_event *ev,
                            const char *tschema, const char *ttable, bool safe_mode,
                            const struct worker_rules *rules, worker_rowjob_fn fn, void *ud,
                            struct worker_terr *e)
{
    struct colmap cm = { 0 };
    struct gen g = { 0 };
    struct bl_value *vals = NULL;
    size_t i, n;
    int rc;
    dm_buf_reset(&a->sql);
    if ((rc = get_tinfo(a, tschema, ttable, (struct tinfo **)&cm.t, e)))
        return rc;
    n = ev->table->ncols;
    if (n != cm.t->ncols && n != cm.t->nwritable) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_DOWNSTREAM,
                        WTE_LEVEL_HIGH,
                        "column count mismatch for `%s`.`%s`: binlog row has %zu columns, "
                        "target table `%s`.`%s` has %zu", ev->table->schema, ev->table->table, n,
                        tschema, ttable, cm.t->ncols);
        return DM_E_INVAL;
    }
    cm.by_writable = n != cm.t->ncols;
    cm.src_schema = ev->table->schema;
    cm.src_table = ev->table->table;
    vals = calloc(2 * cm.t->ncols, sizeof *vals);
    g.keys = calloc(2 * (cm.t->nkeys + 1), sizeof *g.keys);
    if (rules && worker_rules_has_mapping(rules))
        cm.map = calloc(cm.t->ncols, sizeof *cm.map);
    if (!vals || !g.keys || (rules && worker_rules_has_mapping(rules) && !cm.map)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    for (i = 0; cm.map && i < cm.t->ncols; i++)
        cm.map[i] = worker_rules_mapping(rules, cm.src_schema, cm.src_table, cm.t->cols[i]);
    g.a = a;
    g.cm = &cm;
    g.fn = fn;
    g.ud = ud;
    rc = gen_rows(&g, ev, safe_mode, vals, vals + cm.t->ncols, e);
out:
    free(g.keys);
    free(cm.map);
    free(vals);
    return rc;
}

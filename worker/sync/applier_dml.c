/* applier_dml.c - DML generation with causality keys (applier.h worker_applier_gen_rows).
 *
 * Row images: a source session may log partial images (binlog_row_image MINIMAL or
 * NOBLOB; present[] of each bl_row). The rule: never write a column that is not in the
 * image. INSERT/REPLACE list the present columns (the target fills its defaults, as the
 * source did); UPDATE sets the after-image's present columns and finds the row by a key
 * of the before-image (PK / NOT NULL UK whose columns are all present, else a UK without
 * NULLs, else every column when the image is full); DELETE likewise. Safe mode keeps
 * DM's REPLACE / DELETE+REPLACE only for a full after-image: a partial after-image is
 * applied as the same UPDATE as in normal mode (REPLACE would reset the absent columns
 * to their defaults; INSERT ... ON DUPLICATE KEY UPDATE may update another row that
 * holds a unique value). The UPDATE is idempotent for replays (it sets values, its WHERE
 * names the row) except where a replay over a target already ahead makes it collide
 * with a unique value: then the statement fails and the task pauses with the error -
 * never skipped silently. A row whose image holds no usable key (and is not full) pauses
 * the task naming the table, binlog position and missing key columns.
 * Causality: a job that frees or takes a unique value the images do not show (MINIMAL
 * DELETE without the UK columns, UPDATE of UK columns without their old values, INSERT
 * without a UK's columns) cannot be ordered by keys: it is a barrier (dmlpool.h).
 * FLOATs of key-less rows: a target row a dump tool loaded holds them rounded to 6
 * significant digits; the job carries a fallback match for it (gen_float_alt). */
#include <stdarg.h>
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

/* ---- row images ---- */

/* One row image in target column order. */
struct img {
    struct bl_value *v;       /* ncols values (absent and generated columns: BL_NULL) */
    bool *p;                  /* present in the image (generated columns: false) */
    bool full;                /* every writable column present */
    bool any;                 /* at least one writable column present */
};

/* Source column index for target column i, or -1 when i is generated (not written). */
struct colmap {
    const struct tinfo *t;
    bool by_writable;                    /* source row lacks generated columns */
    const struct worker_mapping_rule **map; /* per target column, or NULL */
    const char *src_schema, *src_table;
    const struct bl_table *bt;           /* the rows' TABLE_MAP */
    const struct srcdef *sd;             /* the source table's definition, or NULL */
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

static int map_value(const struct colmap *cm, size_t i, struct bl_value *v, struct worker_terr *e)
{
    const struct worker_mapping_rule *m = cm->map ? cm->map[i] : NULL;
    char err[256];
    int64_t in, outv;
    if (!m || v->kind == BL_NULL)
        return DM_OK;
    if (v->kind != BL_INT && v->kind != BL_UINT) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "column mapping: column %s is not an integer",
                        cm->t->cols[i]);
        return DM_E_INVAL;
    }
    in = v->kind == BL_INT ? v->i : (int64_t)v->u;
    if (worker_rules_partition_id(m, cm->src_schema, cm->src_table, in, &outv, err,
                                  sizeof err)) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "column mapping on `%s`.`%s`: %s", cm->src_schema,
                        cm->src_table, err);
        return DM_E_INVAL;
    }
    v->kind = BL_INT;
    v->i = outv;
    return DM_OK;
}

/* Refuse the rows of ev (not transient): "cannot apply the rows of `db`.`t` at (file,
 * pos): " followed by the printf-style detail. */
static int rows_refused(struct worker_terr *e, const struct bl_event *ev,
                        enum worker_terr_scope scope,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int rows_refused(struct worker_terr *e, const struct bl_event *ev,
                        enum worker_terr_scope scope,
                        const char *fmt, ...)
{
    char detail[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, scope, WTE_LEVEL_HIGH,
                    "cannot apply the rows of `%s`.`%s` at (%s, %llu): %s", ev->table->schema,
                    ev->table->table, ev->file, (unsigned long long)ev->next_pos, detail);
    e->transient = false;
    return DM_E_INVAL;
}

/* MariaDB's pre-10.1 TIME/DATETIME/TIMESTAMP formats (mysql56_temporal_format=OFF; a
 * server upgraded from 5.3..10.0 keeps such columns) are logged as types 11/12/7 without
 * metadata: with fractional seconds their values are longer than the binlog says, the
 * decoded rows are shifted (an error, or rows of garbage). The target column's precision
 * tells: such a column with fractions is refused (not transient). */
static int old_temporal_check(const struct colmap *cm, const struct bl_event *ev,
                              const char *tschema, const char *ttable, struct worker_terr *e)
{
    size_t i;
    for (i = 0; i < cm->t->ncols; i++) {
        if (!cm->t->fsp || cm->t->fsp[i] == 0)
            continue;
        ssize_t s = src_col(cm, i);
        unsigned ty = s >= 0 && ev->table->types ? ev->table->types[s] : 0;
        if (ty != 7 && ty != 11 && ty != 12)
            continue;
        return rows_refused(e, ev, WTE_SCOPE_UPSTREAM, "column `%s` (%u "
                        "fractional digits on `%s`.`%s`) is in MariaDB's pre-10.1 "
                        "TIME/DATETIME/TIMESTAMP format (mysql56_temporal_format=OFF), whose "
                        "fractional values the binlog does not describe; convert it on the "
                        "source (ALTER TABLE ... FORCE with mysql56_temporal_format=ON)",
                        cm->t->cols[i], cm->t->fsp[i], tschema, ttable);
    }
    return DM_OK;
}

/* An integer value of source column s (target column i) is UNSIGNED: as the TABLE_MAP or
 * the source's definition says, else as the target column is. */
static bool src_unsigned(const struct colmap *cm, size_t s, size_t i)
{
    int su = cm->bt ? worker_ap_src_unsigned(cm->sd, cm->bt, s) : -1;
    return su < 0 ? cm->t->is_unsigned[i] : su == 1;
}

/* Each unique key of the target is implied by one of the source's (worker_ap_srcdef_
 * key_misfit), when the source definition is the rows' and no column is mapped. */
static int key_check(const struct colmap *cm, const struct bl_event *ev, const char *tschema,
                     const char *ttable, struct worker_terr *e)
{
    char why[768];
    ssize_t *src;
    size_t i;
    bool bad;
    if (!cm->sd || !cm->sd->keys_known || !cm->t->nkeys)
        return DM_OK;
    for (i = 0; i < cm->t->ncols; i++)
        if (cm->map && cm->map[i])
            return DM_OK;
    if (!(src = calloc(cm->t->ncols, sizeof *src)))
        return worker_ap_nomem(e);
    for (i = 0; i < cm->t->ncols; i++)
        src[i] = src_col(cm, i);
    bad = worker_ap_srcdef_key_misfit(cm->sd, cm->t, src, why, sizeof why);
    free(src);
    if (!bad)
        return DM_OK;
    return rows_refused(e, ev, WTE_SCOPE_DOWNSTREAM, "target table `%s`.`%s`: %s", tschema,
                        ttable, why);
}

/* What the TABLE_MAP's types do not show (applier_srcdef.c): the source's column names,
 * UNSIGNED, ENUM/SET members and character sets against the target's; refused, not
 * transient. Mapped columns (column-mapping rules) are the rules' business. */
static int srcdef_check(struct worker_applier *a, struct colmap *cm, const struct bl_event *ev,
                        const char *tschema, const char *ttable, struct worker_terr *e)
{
    struct tinfo *t = (struct tinfo *)cm->t;
    char why[768];
    size_t i;
    int rc;
    if (t->conv)
        memset(t->conv, 0, t->ncols * sizeof *t->conv);
    if (t->kpf)
        memset(t->kpf, 0, t->ncols * sizeof *t->kpf);
    if ((rc = worker_ap_srcdef_get(a, t, ev, &cm->sd, e)))
        return rc;
    for (i = 0; cm->t->shape && i < cm->t->ncols; i++) {
        ssize_t s = src_col(cm, i);
        const char *mcs = NULL, *mcoll = NULL, *conv = NULL;
        if (s < 0 || (cm->map && cm->map[i]))
            continue;
        if (ev->table->collation && ev->table->collation[s] &&
            ((rc = worker_ap_coll_charset(a, ev->table->collation[s], &mcs, e)) ||
             (rc = worker_ap_coll_name(a, ev->table->collation[s], &mcoll, e))))
            return rc;
        if ((rc = worker_ap_srcdef_members8(a, t, i, ev->table, (size_t)s, mcs, e)) ||
            (rc = worker_ap_srcdef_keyproof(a, t, i,
                                            worker_ap_src_collation(cm->sd, (size_t)s, mcoll),
                                            e)))
            return rc;
        if (!worker_ap_srcdef_misfit(cm->sd, ev->table, (size_t)s, mcs, mcoll, cm->t, i, &conv,
                                     why, sizeof why)) {
            if (conv && !t->conv && !(t->conv = calloc(t->ncols, sizeof *t->conv)))
                return worker_ap_nomem(e);
            if (conv)
                t->conv[i] = conv;
            continue;
        }
        return rows_refused(e, ev, WTE_SCOPE_DOWNSTREAM, "target column `%s` of `%s`.`%s` "
                            "cannot hold source column %zd exactly: %s; the binlog gives "
                            "columns by position: the target table needs the source's columns "
                            "in the source's order with the same types (or wider)",
                            cm->t->cols[i], tschema, ttable, s + 1, why);
    }
    return key_check(cm, ev, tschema, ttable, e);
}

/* The values of ev converted between charsets (tinfo.conv) convert exactly
 * (worker_ap_conv_check), before any row of ev is generated. */
static int conv_check(struct worker_applier *a, const struct colmap *cm,
                      const struct bl_event *ev, struct worker_terr *e)
{
    ssize_t *src;
    size_t i;
    int rc;
    for (i = 0; cm->t->conv && i < cm->t->ncols && !cm->t->conv[i]; i++)
        ;
    if (!cm->t->conv || i == cm->t->ncols)
        return DM_OK;
    if (!(src = calloc(cm->t->ncols, sizeof *src)))
        return worker_ap_nomem(e);
    for (i = 0; i < cm->t->ncols; i++)
        src[i] = cm->map && cm->map[i] ? -1 : src_col(cm, i);
    rc = worker_ap_conv_check(a, cm->t, ev, src, e);
    free(src);
    return rc;
}

/* Whether target column shape d holds every value of a binlog column of shape s exactly:
 * the same family (a FLOAT also fits a DOUBLE), a DECIMAL with as many integer and
 * fraction digits, a TIME/DATETIME/TIMESTAMP with as many fractional digits (fsp: the
 * target's), an integer as wide, a string as long in bytes (a non-strict target clamps
 * and cuts silently). Unknown families and lengths pass. */
static bool shape_fits(const struct bl_col_shape *s, const struct tshape *d, unsigned fsp)
{
    if (!s->family || !d->family)
        return true;
    if (strcmp(s->family, d->family) != 0)
        return strcmp(s->family, "float") == 0 && strcmp(d->family, "double") == 0;
    if (strcmp(s->family, "decimal") == 0)
        return d->scale >= s->scale && d->prec - d->scale >= s->prec - s->scale;
    if (s->len && d->len && d->len < s->len)
        return false;
    return fsp >= s->fsp;
}

/* With binlog_row_metadata=FULL the binlog names the columns: the target's at the same
 * position must have the name (letter case aside). */
static int name_mismatch(const struct colmap *cm, const struct bl_event *ev, size_t s, size_t i,
                         const char *tschema, const char *ttable, struct worker_terr *e)
{
    return rows_refused(e, ev, WTE_SCOPE_DOWNSTREAM, "its column %zu is `%s` "
                    "in the binlog, target column %zu of `%s`.`%s` is `%s`; the binlog gives "
                    "columns by position: the target table needs the source's columns in the "
                    "source's order", s + 1, ev->table->names[s], i + 1,
                    tschema, ttable, cm->t->cols[i]);
}

/* The binlog's columns against the target's, by position (the binlog has no names): a
 * target table whose columns are in another order, of another type or narrower in
 * digits got values of other columns or rounded ones - silently where the values happen
 * to convert. Refused, not transient. Events without types (unit tests) pass. */
static int shape_check(const struct colmap *cm, const struct bl_event *ev, const char *tschema,
                       const char *ttable, struct worker_terr *e)
{
    struct bl_col_shape sh;
    char what[64];
    size_t i;
    for (i = 0; ev->table->types && cm->t->shape && i < cm->t->ncols; i++) {
        ssize_t s = src_col(cm, i);
        if (s < 0)
            continue;
        if (ev->table->names && ev->table->names[s] &&
            strcasecmp(ev->table->names[s], cm->t->cols[i]) != 0)
            return name_mismatch(cm, ev, (size_t)s, i, tschema, ttable, e);
        bl_column_shape(ev->table, (size_t)s, &sh);
        if (shape_fits(&sh, &cm->t->shape[i], cm->t->fsp ? cm->t->fsp[i] : 0))
            continue;
        if (strcmp(sh.family, "decimal") == 0)
            snprintf(what, sizeof what, "decimal(%u,%u)", sh.prec, sh.scale);
        else if (sh.fsp)
            snprintf(what, sizeof what, "%s(%u)", sh.family, sh.fsp);
        else if (sh.len)
            snprintf(what, sizeof what, "%s of %llu bytes", sh.family,
                     (unsigned long long)sh.len);
        else
            snprintf(what, sizeof what, "%s", sh.family);
        return rows_refused(e, ev, WTE_SCOPE_DOWNSTREAM, "its column %zd is "
                        "%s in the binlog, target column `%s` of `%s`.`%s` at that position "
                        "is %s, which cannot hold its values exactly; the binlog gives columns by "
                        "position: the target table needs the source's columns in the "
                        "source's order with the same types (or wider: FLOAT into DOUBLE, "
                        "more DECIMAL or fractional digits, wider integers, longer strings)",
                        s + 1, what, cm->t->cols[i], tschema, ttable,
                        cm->t->shape[i].column_type);
    }
    return DM_OK;
}

/* A target table with triggers: the target's triggers fire on every replicated row, while
 * the rows the source's triggers wrote are in the binlog too (a MariaDB replica does not
 * fire triggers for row events: slave_run_triggers_for_rbr=NO). Refused, not transient. */
static int trigger_check(const struct colmap *cm, const struct bl_event *ev,
                         const char *tschema, const char *ttable, struct worker_terr *e)
{
    if (!cm->t->triggers)
        return DM_OK;
    return rows_refused(e, ev, WTE_SCOPE_DOWNSTREAM, "target table `%s`.`%s` "
                    "has triggers, which would fire on every replicated row while the rows "
                    "the source's triggers wrote are replicated too; drop the triggers on the "
                    "target (the source's rows already hold their effects)", tschema, ttable);
}

/* Target-ordered values and presence of one row image (mapping applied). */
static int row_image(const struct colmap *cm, const struct bl_row *row, struct img *im,
                     struct worker_terr *e)
{
    size_t i;
    int rc;
    im->full = true;
    im->any = false;
    for (i = 0; i < cm->t->ncols; i++) {
        ssize_t s = src_col(cm, i);
        memset(&im->v[i], 0, sizeof im->v[i]);
        im->p[i] = s >= 0 && (!row->present || row->present[s]);
        if (s < 0)
            continue;
        im->full &= im->p[i];
        im->any |= im->p[i];
        if (!im->p[i])
            continue;
        im->v[i] = row->cols[s];
        if (im->v[i].kind == BL_INT && src_unsigned(cm, (size_t)s, i))
            im->v[i].kind = BL_UINT;
        if ((rc = map_value(cm, i, &im->v[i], e)))
            return rc;
    }
    return DM_OK;
}

/* The row after an UPDATE as far as known: after-image columns, else before-image ones. */
static void merge_image(size_t ncols, const struct img *before, const struct img *after,
                        struct img *out)
{
    size_t i;
    out->any = after->any;
    for (i = 0; i < ncols; i++) {
        out->p[i] = after->p[i] || before->p[i];
        out->v[i] = after->p[i] ? after->v[i] : before->v[i];
    }
    out->full = before->full || after->full;
}

static bool key_present(const struct tkey *k, const struct img *im)
{
    size_t i;
    for (i = 0; i < k->n; i++)
        if (!im->p[k->idx[i]])
            return false;
    return true;
}

static bool key_touched(const struct tkey *k, const struct img *im)
{
    size_t i;
    for (i = 0; i < k->n; i++)
        if (im->p[k->idx[i]])
            return true;
    return false;
}

static bool key_has_null(const struct tkey *k, const struct img *im)
{
    size_t i;
    for (i = 0; i < k->n; i++)
        if (im->v[k->idx[i]].kind == BL_NULL)
            return true;
    return false;
}

/* DM's key choice among the keys whose columns are in the image: PK, else NOT NULL UK,
 * else a UK without NULLs in this row; NULL: none (then every column when full). */
static const struct tkey *pick_key(const struct tinfo *t, const struct img *im)
{
    size_t k;
    for (k = 0; k < t->nkeys; k++)
        if ((t->keys[k].primary || t->keys[k].not_null) && key_present(&t->keys[k], im))
            return &t->keys[k];
    for (k = 0; k < t->nkeys; k++)
        if (key_present(&t->keys[k], im) && !key_has_null(&t->keys[k], im))
            return &t->keys[k];
    return NULL;
}

static bool table_keyless(const struct tinfo *t)
{
    size_t k;
    for (k = 0; k < t->nkeys; k++)
        if (t->keys[k].primary || t->keys[k].not_null)
            return false;
    return true;
}

/* ---- SQL pieces ---- */

static int add_col_list(struct dm_buf *b, const struct tinfo *t, const struct img *im)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_addc(b, '(');
    for (i = 0; i < t->ncols && !rc; i++) {
        if (!im->p[i])
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
                     const struct img *im)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_addc(b, '(');
    for (i = 0; i < t->ncols && !rc; i++) {
        if (!im->p[i])
            continue;
        if (!first)
            rc = dm_buf_addc(b, ',');
        if (!rc)
            rc = worker_ap_add_col_value(a, b, t, i, &im->v[i]);
        first = false;
    }
    return rc ? rc : dm_buf_addc(b, ')');
}

/* The value a dump tool loads for FLOAT value v of column i (*r), and whether it differs
 * from v: MariaDB prints a FLOAT without a declared scale with 6 significant digits
 * (mariadb-dump and mydumper write that text), the load parses it to a double, then to
 * FLOAT. Same as the server for 20k random FLOAT bit patterns on MariaDB 10.11. */
static bool float_loaded(const struct tinfo *t, size_t i, const struct bl_value *v, double *r)
{
    char s[32];
    if (!t->float6 || !t->float6[i] || v->kind != BL_FLOAT)
        return false;
    snprintf(s, sizeof s, "%.6g", v->d);
    *r = (double)(float)strtod(s, NULL);
    return *r != v->d;
}

/* `c`=v (`c` IS NULL). exact: character values compare byte for byte (`c`=BINARY v; not
 * ENUM/SET, written as their number):
 * a row found by all its columns must be that row, and the collation would also match
 * 'A' for 'a', 'e' for 'é' or 'a ' for 'a' (PAD SPACE) - another row of a key-less
 * table. A unique key's match is the row whatever the collation, so keys need not.
 * wide: a FLOAT value that a dump tool loads as another value r also matches r
 * ((`c`=v OR `c`=r), float_loaded; the key-less fallback, gen_float_alt). */
static int add_cond(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t, size_t i,
                    const struct img *im, bool first, bool exact, bool wide)
{
    unsigned char cs = t->tcs ? t->tcs[i] : TCS_NONE;
    double r = 0;
    bool alt = wide && float_loaded(t, i, &im->v[i], &r);
    int rc = first ? DM_OK : dm_buf_adds(b, " AND ");
    if (!rc && alt)
        rc = dm_buf_addc(b, '(');
    if (!rc)
        rc = worker_ap_add_ident(b, t->cols[i]);
    if (!rc && im->v[i].kind == BL_NULL)
        return dm_buf_adds(b, " IS NULL");
    if (!rc)
        rc = dm_buf_addc(b, '=');
    if (!rc && exact && cs != TCS_NONE && cs != TCS_BINARY &&
        (im->v[i].kind == BL_STRING || im->v[i].kind == BL_BINARY || im->v[i].kind == BL_JSON))
        rc = worker_ap_add_col_binary(a, b, t, i, &im->v[i]);
    else if (!rc)
        rc = worker_ap_add_col_value(a, b, t, i, &im->v[i]);
    if (!rc && alt)
        rc = dm_buf_adds(b, " OR ");
    if (!rc && alt)
        rc = worker_ap_add_ident(b, t->cols[i]);
    return rc || !alt ? rc : dm_buf_printf(b, "=%.17g)", r);
}

/* " WHERE <key k>", or every (present = all writable) column when k is NULL (wide:
 * add_cond). */
static int add_match(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                     const struct tkey *k, const struct img *im, bool wide)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_adds(b, " WHERE ");
    if (k) {
        for (i = 0; i < k->n && !rc; i++, first = false)
            rc = add_cond(a, b, t, k->idx[i], im, first, false, false);
    } else {
        for (i = 0; i < t->ncols && !rc; i++) {
            if (!im->p[i])
                continue;
            rc = add_cond(a, b, t, i, im, first, true, wide);
            first = false;
        }
    }
    return rc;
}

/* add_match + " LIMIT 1" */
static int add_where(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                     const struct tkey *k, const struct img *im, bool wide)
{
    int rc = add_match(a, b, t, k, im, wide);
    return rc ? rc : dm_buf_adds(b, " LIMIT 1");
}

/* ---- causality keys ---- */

static uint64_t table_hash(const struct tinfo *t)
{
    uint64_t h = dm_fnv1a64(DM_FNV64_INIT, t->schema, strlen(t->schema) + 1);
    return dm_fnv1a64(h, t->table, strlen(t->table) + 1);
}

/* Hash of one value. Strings are folded (ASCII case, trailing spaces): the rule for
 * columns whose collation is unknown (TCMP_FOLD; part_hash decides for key parts): two
 * values that may be equal for the index must hash alike (false sharing is safe). */
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
        n = snprintf(num, sizeof num, "%.17g", v->d == 0 ? 0.0 : v->d);   /* -0 = 0 */
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

/* Byte length of the first n UTF-8 characters of s (len bytes; stray continuation bytes
 * count with their character, as the server's prefix cut of valid UTF-8). */
static size_t utf8_prefix(const char *s, size_t len, size_t n)
{
    size_t i = 0, chars = 0;
    while (i < len) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == n)
            break;
        i++;
    }
    return i;
}

/* Charset cs keeps ASCII as ASCII (single bytes): a value converted between two such
 * charsets has a trailing space where the other has, and equal values are equal bytes. */
static bool ascii_based(const char *cs)
{
    unsigned char k = worker_ap_classify_text(cs, NULL);
    return k == TCS_ASCII || k == TCS_UTF8;
}

/* Hash of part i of unique key k of a row as the index compares it (enum tcmp,
 * applier_int.h): values the index may find equal hash alike - collation-equal values
 * ('e'/'\xc3\xa9', 'A'/'a', 'a '/'a') and values with an equal prefix of a prefix part
 * (UNIQUE KEY (c(10))). Other columns: value_hash. */
static uint64_t part_hash(uint64_t h, const struct tinfo *t, const struct tkey *k, size_t i,
                          const struct bl_value *v)
{
    size_t col = k->idx[i], sub = k->sub ? k->sub[i] : 0, len = v->len;
    unsigned char cmp = t->cmp ? t->cmp[col] : TCMP_FOLD;
    if (v->kind != BL_STRING && v->kind != BL_BINARY)
        return value_hash(h, v);
    if (t->conv && t->conv[col] && (sub || !ascii_based(t->conv[col]) ||
                                    !ascii_based(t->charset[col])))
        cmp = TCMP_COLLATED;   /* source bytes: characters and spaces counted otherwise */
    if (cmp == TCMP_FOLD && !sub)
        return value_hash(h, v);
    if (cmp == TCMP_BIN && sub) {
        if (!t->tcs || t->tcs[col] != TCS_UTF8)
            cmp = TCMP_COLLATED;    /* characters of a multi-byte charset: not counted */
        else
            len = utf8_prefix(v->ptr, len, sub);
    }
    if (cmp == TCMP_BYTES && sub && sub < len)
        len = sub;
    if (cmp == TCMP_BYTES && t->padlen && t->padlen[col]) {
        while (len > 0 && v->ptr[len - 1] == '\0')
            len--;  /* BINARY(n): the binlog strips the 0x00 padding of whole values */
    }
    if (cmp == TCMP_BIN) {
        while (len > 0 && v->ptr[len - 1] == ' ')
            len--;
    }
    if (cmp != TCMP_BYTES && cmp != TCMP_BIN)
        return dm_fnv1a64(h, "\x01collated", 9);
    h = dm_fnv1a64(h, &(unsigned char){ cmp }, 1);
    return dm_fnv1a64(h, v->ptr, len);
}

/* A unique key over a generated column: its values are never in a row image the Sync unit
 * reads (generated columns are not written; applier_schema.c), so no causality key holds
 * them, and a change of a base column moves them unseen. Rows of such a table carry the
 * table as a causality key too: they run in one queue, in binlog order. Before, an INSERT
 * taking the generated value 3 ran in another queue than the UPDATE or DELETE freeing it
 * (keys: only the PRIMARY KEY): Error 1062 (normal mode), or safe mode's REPLACE could
 * delete the other row first and that row's later partial-image UPDATE match nothing. */
static bool gen_unique(const struct tinfo *t)
{
    size_t k, i;
    for (k = 0; k < t->nkeys; k++)
        for (i = 0; i < t->keys[k].n; i++)
            if (t->gen[t->keys[k].idx[i]])
                return true;
    return false;
}

static bool has_key(const uint64_t *keys, size_t n, uint64_t h)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (keys[i] == h)
            return true;
    return false;
}

/* DM's causality keys of one row image: one per unique key without NULL parts whose
 * columns are all known (values + table). A table without a PK or NOT NULL unique key is
 * key-less as a whole (*keyless, the key is the table): its rows all go to one queue,
 * which never shares a table - and InnoDB gap locks - with the other queues. */
static void row_keys(const struct tinfo *t, const struct img *im, uint64_t *keys, size_t *n,
                     bool *keyless)
{
    size_t k, i;
    uint64_t th = table_hash(t);
    if (table_keyless(t)) {
        if (!*keyless)
            keys[(*n)++] = th;
        *keyless = true;
        return;
    }
    if ((gen_unique(t) || t->overlaps) && !has_key(keys, *n, th))
        keys[(*n)++] = th;      /* the table orders its rows (gen_unique, WITHOUT OVERLAPS:
                                   an INSERT conflicts with any row whose range overlaps) */
    for (k = 0; k < t->nkeys; k++) {
        uint64_t h = dm_fnv1a64(th, &k, sizeof k);
        if (!key_present(&t->keys[k], im) || key_has_null(&t->keys[k], im))
            continue;
        for (i = 0; i < t->keys[k].n; i++)
            h = part_hash(h, t, &t->keys[k], i, &im->v[t->keys[k].idx[i]]);
        keys[(*n)++] = h;
    }
}

/* Whether a row change of a keyed table frees or takes a unique value its images do not
 * show (module comment: such a job is a barrier). */
static bool unknown_unique(const struct tinfo *t, enum bl_rows_op op, const struct img *img,
                           const struct img *after, const struct img *merged)
{
    size_t k, i;
    for (k = 0; k < t->nkeys; k++) {
        const struct tkey *key = &t->keys[k];
        bool gen = false;
        for (i = 0; i < key->n; i++)
            gen |= t->gen[key->idx[i]];
        if (gen && img->full)
            continue;   /* a key over a generated column is no causality key (as before) */
        if (op != BL_UPDATE && !key_present(key, img))
            return true;
        if (op == BL_UPDATE && key_touched(key, after) &&
            (!key_present(key, img) || !key_present(key, merged)))
            return true;
    }
    return false;
}

/* ---- DML generation ---- */

struct gen {
    struct worker_applier *a;
    const struct colmap *cm;
    const struct bl_event *ev;
    const char *tschema, *ttable;
    worker_rowjob_fn fn;
    void *ud;
    uint64_t *keys;                      /* 2 * (nkeys + 1) */
    size_t nkeys;
    bool keyless;
    bool finds_row;                      /* worker_rowjob.finds_row */
    bool supersedes;                     /* the job is a REPLACE of a row with a key */
    bool barrier;                        /* unknown_unique */
    bool must_match;                     /* worker_rowjob.must_match */
    bool lax;                            /* the row writes ENUM index 0 (enum_zero) */
    bool nocheck;                        /* no CHECK constraints (add_lax) */
    struct dm_buf alt;                   /* worker_rowjob.alt (gen_float_alt) */
};

/* The ENUM value '' of index 0 - what a non-strict source session stores for an invalid
 * member - is refused by a strict target (Error 1265), whatever the literal. A row writing
 * it runs its INSERT / REPLACE / UPDATE without STRICT_* (SET STATEMENT: the connection
 * keeps its mode), which stores index 0 as the source did. Every other value of such a row
 * fits its target column (the binlog's columns are checked against the target's:
 * shape_check), so nothing else is clamped by the lax mode. */
#define LAX_MODE "sql_mode=REPLACE(REPLACE(@@sql_mode,'STRICT_TRANS_TABLES','')," \
    "'STRICT_ALL_TABLES','')"

static bool enum_zero(const struct tinfo *t, const struct img *im)
{
    size_t i;
    for (i = 0; i < t->ncols; i++)
        if (im->p[i] && im->v[i].kind == BL_ENUM && im->v[i].u == 0)
            return true;
    return false;
}

/* The SET STATEMENT of a row's INSERT / REPLACE / UPDATE: LAX_MODE for enum_zero, and
 * check_constraint_checks=0 for rows of a source session that had it (the rows event's
 * NO_CHECK_CONSTRAINT_CHECKS_F): its rows may violate a CHECK constraint the target
 * enforces (Error 4025, the task paused), as a MariaDB replica honours the flag. */
static int add_lax(const struct gen *g, struct dm_buf *b)
{
    int rc;
    if (!g->lax && !g->nocheck)
        return DM_OK;
    rc = dm_buf_adds(b, "SET STATEMENT ");
    if (!rc && g->lax)
        rc = dm_buf_adds(b, LAX_MODE);
    if (!rc && g->nocheck)
        rc = dm_buf_adds(b, g->lax ? ", check_constraint_checks=0" : "check_constraint_checks=0");
    return rc ? rc : dm_buf_adds(b, " FOR ");
}

static int gen_err(int rc, struct worker_terr *e)
{
    if (rc == DM_E_TOO_LARGE) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "generated statement exceeds max-allowed-packet");
        return DM_E_TOO_LARGE;
    }
    return worker_ap_nomem(e);
}

/* The row of a partial image cannot be found: pause with table, position and the key
 * columns the image lacks (those of the first target key - PK first - it lacks). */
static int missing_key(struct gen *g, const struct img *im, struct worker_terr *e)
{
    const struct tinfo *t = g->cm->t;
    const struct tkey *k = NULL;
    char cols[512] = "";
    size_t i, off = 0;
    for (i = 0; i < t->nkeys && !k; i++)
        if (!key_present(&t->keys[i], im))
            k = &t->keys[i];
    for (i = 0; k && i < k->n && off < sizeof cols; i++) {
        if (im->p[k->idx[i]])
            continue;
        off += (size_t)snprintf(cols + off, sizeof cols - off, "%s`%s`", off ? ", " : "",
                                t->cols[k->idx[i]]);
    }
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                    "cannot apply the %s row of `%s`.`%s` at (%s, %llu): its binlog row image "
                    "is partial (source binlog_row_image MINIMAL or NOBLOB) and %s%s%s of the "
                    "target table `%s`.`%s`; log FULL row images on the source or give the "
                    "target the source's primary key",
                    g->ev->op == BL_DELETE ? "DELETE" : "UPDATE", g->ev->table->schema,
                    g->ev->table->table, g->ev->file, (unsigned long long)g->ev->next_pos,
                    k ? "lacks the key columns " : t->nkeys ? "has NULL in every unique key"
                                                           : "there is no primary or unique key",
                    k ? cols : "", k ? (k->primary ? " of the PRIMARY KEY" : " of a UNIQUE KEY") : "",
                    g->tschema, g->ttable);
    e->transient = false;
    return DM_E_INVAL;
}

/* a->key = "`s`.`t`:" + the values of solid key k of this row (worker_rowjob.key). */
static int render_key(struct worker_applier *a, const struct tinfo *t, const struct tkey *k,
                      const struct img *im)
{
    size_t i;
    int rc = worker_ap_add_table(&a->key, t->schema, t->table);
    if (!rc)
        rc = dm_buf_addc(&a->key, ':');
    for (i = 0; i < k->n && !rc; i++) {
        if (i)
            rc = dm_buf_addc(&a->key, ',');
        if (!rc)
            rc = worker_ap_add_col_value(a, &a->key, t, k->idx[i], &im->v[k->idx[i]]);
    }
    return rc;
}

static void reset_job(struct gen *g)
{
    dm_buf_reset(&g->a->sql);
    dm_buf_reset(&g->a->key);
    g->supersedes = false;
    g->barrier = false;
    g->must_match = false;
    g->lax = false;
    g->nkeys = 0;
    g->keyless = false;
    g->finds_row = false;
    dm_buf_reset(&g->alt);
}

/* Hand the statement(s) in a->sql and the collected keys to the callback. A barrier is
 * never merged (it runs alone, dmlpool.h) and carries the table when no key is known. */
static int emit(struct gen *g, size_t head_len, enum worker_merge merge, struct worker_terr *e)
{
    struct worker_rowjob j;
    int rc;
    if (g->nkeys == 0)
        g->keys[g->nkeys++] = table_hash(g->cm->t);
    memset(&j, 0, sizeof j);
    j.sql = g->a->sql.data;
    j.len = g->a->sql.len;
    j.head_len = g->barrier ? 0 : head_len;
    j.merge = j.head_len ? merge : WORKER_MERGE_NONE;
    j.key = g->a->key.len ? g->a->key.data : NULL;
    j.key_len = g->a->key.len;
    j.supersedes = g->supersedes && j.key;
    j.keys = g->keys;
    j.nkeys = g->nkeys;
    j.keyless = g->keyless;
    j.finds_row = g->finds_row;
    j.barrier = g->barrier;
    j.must_match = g->must_match;
    j.alt = g->alt.len ? g->alt.data : NULL;
    j.alt_len = g->alt.len;
    rc = g->fn(g->ud, &j, e);
    reset_job(g);
    return rc;
}

static int stmt_head(struct worker_applier *a, const struct tinfo *t, const struct img *im,
                     const char *verb)
{
    int rc = dm_buf_adds(&a->sql, verb);
    if (!rc)
        rc = worker_ap_add_table(&a->sql, t->schema, t->table);
    if (!rc)
        rc = dm_buf_addc(&a->sql, ' ');
    if (!rc)
        rc = add_col_list(&a->sql, t, im);
    return rc ? rc : dm_buf_adds(&a->sql, " VALUES ");
}

/* Key usable for set-based statements: PK or NOT NULL unique key and no NULL in this
 * row's key values (`k IN (...)` then matches exactly the row `k = v LIMIT 1` does). */
static bool solid_key(const struct tkey *k, const struct img *im)
{
    return k && (k->primary || k->not_null) && key_present(k, im) && !key_has_null(k, im);
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
static bool key_unchanged(const struct tkey *k, const struct img *before, const struct img *after)
{
    size_t i;
    if (!solid_key(k, before) || !key_present(k, after))
        return false;
    for (i = 0; i < k->n; i++)
        if (!same_value(&before->v[k->idx[i]], &after->v[k->idx[i]]))
            return false;
    return true;
}

/* DELETE by a solid key in a mergeable form: "DELETE FROM `s`.`t` WHERE `k` IN (" v ")"
 * (one column) or "DELETE FROM `s`.`t` WHERE " "(`k1`=v1 AND `k2`=v2)" (composite). */
static int add_delete_merge(struct worker_applier *a, const struct tinfo *t,
                            const struct tkey *k, const struct img *im, size_t *head,
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
            rc = worker_ap_add_col_value(a, &a->sql, t, k->idx[0], &im->v[k->idx[0]]);
        return rc ? rc : dm_buf_addc(&a->sql, ')');
    }
    *merge = WORKER_MERGE_OR;
    *head = a->sql.len;
    if (!rc)
        rc = dm_buf_addc(&a->sql, '(');
    for (i = 0; i < k->n && !rc; i++)
        rc = add_cond(a, &a->sql, t, k->idx[i], im, i == 0, false, false);
    return rc ? rc : dm_buf_addc(&a->sql, ')');
}

/* DELETE FROM ... WHERE <key k, else every column of im> LIMIT 1 (wide: add_cond) */
static int add_delete(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                      const struct tkey *k, const struct img *im, bool wide)
{
    int rc = dm_buf_adds(b, "DELETE FROM ");
    if (!rc)
        rc = worker_ap_add_table(b, t->schema, t->table);
    return rc ? rc : add_where(a, b, t, k, im, wide);
}

/* UPDATE ... SET <the after-image's present columns> WHERE <before-image key> LIMIT 1 */
static int add_update(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                      const struct tkey *k, const struct img *before, const struct img *after,
                      bool wide)
{
    size_t i;
    bool first = true;
    int rc = dm_buf_adds(b, "UPDATE ");
    if (!rc)
        rc = worker_ap_add_table(b, t->schema, t->table);
    if (!rc)
        rc = dm_buf_adds(b, " SET ");
    for (i = 0; i < t->ncols && !rc; i++) {
        if (!after->p[i])
            continue;
        if (!first)
            rc = dm_buf_addc(b, ',');
        if (!rc)
            rc = worker_ap_add_ident(b, t->cols[i]);
        if (!rc)
            rc = dm_buf_addc(b, '=');
        if (!rc)
            rc = worker_ap_add_col_value(a, b, t, i, &after->v[i]);
        first = false;
    }
    return rc ? rc : add_where(a, b, t, k, before, wide);
}

static int gen_insert(struct gen *g, bool safe, const struct img *im, size_t *head)
{
    struct worker_applier *a = g->a;
    const struct tinfo *t = g->cm->t;
    const struct tkey *k = pick_key(t, im);
    int rc = add_lax(g, &a->sql);
    if (!rc)
        rc = stmt_head(a, t, im, safe ? "REPLACE INTO " : "INSERT INTO ");
    *head = a->sql.len;
    if (!rc)
        rc = add_tuple(a, &a->sql, t, im);
    if (!rc && safe && solid_key(k, im)) {
        rc = render_key(a, t, k, im);
        g->supersedes = true;
    }
    return rc;
}

/* Whether the after-image sets a column of key k (the WHERE's key) to another value. */
static bool key_changes(const struct tkey *k, const struct img *before, const struct img *after)
{
    size_t i;
    for (i = 0; k && i < k->n; i++) {
        size_t c = k->idx[i];
        if (after->p[c] && (!before->p[c] || !same_value(&before->v[c], &after->v[c])))
            return true;
    }
    return false;
}

/* Safe mode with a full after-image: DM's DELETE + REPLACE, or REPLACE alone when the
 * key is unchanged (mergeable). A partial after-image: the normal-mode UPDATE; in safe
 * mode one that moves the row to another key must match exactly one row (must_match),
 * found by every column of its before-image (exact): over a target already ahead the row
 * at the old key may be a later re-creation, which must not be moved (a NOBLOB image tells
 * them apart; a MINIMAL one holds the key only). */
static int gen_update(struct gen *g, bool safe, const struct tkey *k, const struct img *before,
                      const struct img *after, size_t *head)
{
    struct worker_applier *a = g->a;
    const struct tinfo *t = g->cm->t;
    int rc;
    if (!safe || !after->full) {
        g->must_match = safe && key_changes(k, before, after);
        rc = add_lax(g, &a->sql);
        return rc ? rc : add_update(a, &a->sql, t, g->must_match ? NULL : k, before, after,
                                    false);
    }
    if (key_unchanged(k, before, after)) {
        rc = add_lax(g, &a->sql);
        if (!rc)
            rc = stmt_head(a, t, after, "REPLACE INTO ");
        *head = a->sql.len;
        if (!rc)
            rc = add_tuple(a, &a->sql, t, after);
        if (!rc)
            rc = render_key(a, t, k, after);
        g->supersedes = true;
        return rc;
    }
    rc = add_delete(a, &a->sql, t, k, before, false);
    if (!rc)
        rc = dm_buf_addc(&a->sql, ';');
    if (!rc)
        rc = add_lax(g, &a->sql);
    if (!rc)
        rc = stmt_head(a, t, after, "REPLACE INTO ");
    return rc ? rc : add_tuple(a, &a->sql, t, after);
}

/* Whether an UPDATE changes a column of a unique key (what a FOREIGN KEY references). */
static bool unique_value_changes(const struct tinfo *t, const struct img *before,
                                 const struct img *after)
{
    size_t k, i;
    for (k = 0; k < t->nkeys; k++)
        for (i = 0; i < t->keys[k].n; i++) {
            size_t c = t->keys[k].idx[i];
            if (after->p[c] && (!before->p[c] || !same_value(&before->v[c], &after->v[c])))
                return true;
        }
    return false;
}

/* A DELETE of a row, or an UPDATE of its key, in a table that FOREIGN KEYs reference with
 * ON DELETE / ON UPDATE CASCADE, SET NULL or SET DEFAULT: the source's InnoDB changed the
 * child rows without binlogging them. The target does the same - the statement runs with
 * foreign_key_checks=1 (SET STATEMENT; the connection keeps 0) as a barrier (the child rows
 * it changes have no causality keys), and an UPDATE stays an UPDATE in safe mode (DELETE +
 * REPLACE would not cascade the new key). */
static int gen_fk_action(struct gen *g, enum bl_rows_op op, const struct tkey *k,
                         const struct img *before, const struct img *after)
{
    struct worker_applier *a = g->a;
    int rc = dm_buf_adds(&a->sql, g->nocheck ? "SET STATEMENT foreign_key_checks=1, "
                         "check_constraint_checks=0 FOR " : "SET STATEMENT foreign_key_checks=1 FOR ");
    g->barrier = true;
    if (rc)
        return rc;
    return op == BL_DELETE ? add_delete(a, &a->sql, g->cm->t, k, before, false)
                           : add_update(a, &a->sql, g->cm->t, k, before, after, false);
}

/* A source session with foreign_key_checks=0 (the rows event's NO_FOREIGN_KEY_CHECKS_F)
 * changed no child rows: the target must not either (the connection's 0 stands). */
static bool fk_action(const struct bl_event *ev, const struct tinfo *t, enum bl_rows_op op,
                      const struct img *before, const struct img *after)
{
    if (ev->rows_flags & BL_ROWS_NO_FOREIGN_KEY_CHECKS)
        return false;
    return (op == BL_DELETE && t->fk_delete) ||
           (op == BL_UPDATE && t->fk_update && unique_value_changes(t, before, after));
}

/* The fallback of a key-less row's UPDATE/DELETE (worker_rowjob.alt, applier.h
 * worker_applier_exec_one_row): its WHERE names every column, FLOAT values exact; a target
 * row a dump tool loaded holds a FLOAT rounded to 6 significant digits (float_loaded) and
 * is not found. Only when some FLOAT value of the image is not exact in 6 digits:
 *   SELECT COUNT(*) FROM (SELECT 1 FROM t WHERE <wide> LIMIT 2) c  NUL
 *   <the job's first statement with the wide WHERE>                NUL
 *   <the job's first statement as generated>
 * (the first statement: the UPDATE, or the DELETE of DELETE / safe mode's DELETE;REPLACE -
 * the choice of gen_update for a row without key). */
static int gen_float_alt(struct gen *g, enum bl_rows_op op, bool safe, const struct img *im,
                         const struct img *after)
{
    struct worker_applier *a = g->a;
    const struct tinfo *t = g->cm->t;
    bool del = op == BL_DELETE || (safe && after->full);
    double r;
    size_t i;
    int rc, wide;
    for (i = 0; i < t->ncols && !(im->p[i] && float_loaded(t, i, &im->v[i], &r)); i++)
        ;
    if (i == t->ncols)
        return DM_OK;
    rc = dm_buf_adds(&g->alt, "SELECT COUNT(*) FROM (SELECT 1 FROM ");
    if (!rc)
        rc = worker_ap_add_table(&g->alt, t->schema, t->table);
    if (!rc)
        rc = add_match(a, &g->alt, t, NULL, im, true);
    if (!rc)
        rc = dm_buf_adds(&g->alt, " LIMIT 2) c");
    for (wide = 1; wide >= 0 && !rc; wide--) {
        rc = dm_buf_add(&g->alt, "", 1);       /* the NUL separator */
        if (!rc)
            rc = del ? add_delete(a, &g->alt, t, NULL, im, wide)
                     : add_update(a, &g->alt, t, NULL, im, after, wide);
    }
    return rc;
}

/* One row change -> one job (DM: one statement per row; safe-mode UPDATE is
 * DELETE;REPLACE in one job so both run on the same connection in order). Mergeable
 * jobs (head_len > 0, dmlpool merges consecutive ones with equal heads - the head holds
 * the column list, so only images with the same columns merge): INSERT/REPLACE, DELETE
 * by a solid key (IN-list / OR form) and a safe-mode UPDATE that keeps its solid key
 * (REPLACE alone, see key_unchanged). Jobs on rows with a solid key carry its text
 * (a->key) so that dmlpool can drop a DELETE right before a REPLACE of the same row.
 * merged: scratch image for the UPDATE's known new row. */
static int gen_row(struct gen *g, enum bl_rows_op op, bool safe, const struct img *im,
                   const struct img *after, struct img *merged, struct worker_terr *e)
{
    const struct tinfo *t = g->cm->t;
    const struct tkey *k = pick_key(t, im);
    size_t head = 0;
    enum worker_merge merge = WORKER_MERGE_VALUES;
    bool fk;
    int rc;
    reset_job(g);
    if (op != BL_INSERT && !k && !im->full)
        return missing_key(g, im, e);
    if (op == BL_UPDATE && !after->any)
        return DM_OK;               /* nothing written (e.g. only generated columns) */
    row_keys(t, im, g->keys, &g->nkeys, &g->keyless);
    if (op == BL_UPDATE) {
        merge_image(t->ncols, im, after, merged);
        row_keys(t, merged, g->keys, &g->nkeys, &g->keyless);
    }
    g->barrier = !g->keyless && unknown_unique(t, op, im, after, merged);
    g->lax = op != BL_DELETE && enum_zero(t, op == BL_UPDATE ? after : im);
    g->nocheck = op != BL_DELETE && (g->ev->rows_flags & BL_ROWS_NO_CHECK_CONSTRAINT_CHECKS);
    fk = fk_action(g->ev, t, op, im, after);
    if (fk)
        rc = gen_fk_action(g, op, k, im, after);
    else if (op == BL_INSERT)
        rc = gen_insert(g, safe, im, &head);
    else if (op == BL_DELETE && solid_key(k, im)) {
        rc = add_delete_merge(g->a, t, k, im, &head, &merge);
        if (!rc)
            rc = render_key(g->a, t, k, im);
    } else if (op == BL_DELETE)
        rc = add_delete(g->a, &g->a->sql, t, k, im, false);
    else
        rc = gen_update(g, safe, k, im, after, &head);
    if (!rc && g->keyless && !k && op != BL_INSERT && !fk)
        rc = gen_float_alt(g, op, safe, im, after);
    g->finds_row = g->keyless && op != BL_INSERT;
    if (rc) {
        reset_job(g);
        return gen_err(rc, e);
    }
    return emit(g, head, merge, e);
}

/* A REPLACE that found its row by a unique key rewrites it in place, logged as an UPDATE;
 * with a partial image (MINIMAL: the columns the statement names; NOBLOB: no unchanged
 * BLOB/TEXT) the after-image lacks the columns the REPLACE reset to their defaults, so the
 * target row would keep their old values. The binlog does not hold them: refused, not
 * transient. */
static int replace_partial_check(const struct gen *g, const struct img *after,
                                 struct worker_terr *e)
{
    if (!g->ev->stmt_replace || after->full)
        return DM_OK;
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "cannot apply the UPDATE row of `%s`.`%s` at (%s, %llu) exactly: it is a "
                    "row a REPLACE rewrote in place, logged with a partial binlog row image "
                    "(source binlog_row_image MINIMAL or NOBLOB) that lacks the columns the "
                    "REPLACE reset to their defaults - the binlog does not hold their values; "
                    "log FULL row images on the source and re-sync the table, or filter it",
                    g->ev->table->schema, g->ev->table->table, g->ev->file,
                    (unsigned long long)g->ev->next_pos);
    e->transient = false;
    return DM_E_INVAL;
}

static int gen_rows(struct gen *g, const struct bl_event *ev, bool safe, struct img *im,
                    struct worker_terr *e)
{
    size_t r;
    int rc = DM_OK;
    for (r = 0; r < ev->nrows && !rc; r++) {
        if ((rc = row_image(g->cm, &ev->rows[r], &im[0], e)))
            break;
        if (ev->op == BL_UPDATE && ((rc = row_image(g->cm, &ev->after[r], &im[1], e)) ||
                                    (rc = replace_partial_check(g, &im[1], e))))
            break;
        rc = gen_row(g, ev->op, safe, &im[0], &im[1], &im[2], e);
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
    struct img im[3];
    struct bl_value *vals = NULL;
    bool *pres = NULL;
    size_t i, n;
    int rc;
    dm_buf_reset(&a->sql);
    if ((rc = worker_ap_tinfo_get(a, tschema, ttable, (struct tinfo **)&cm.t, e)))
        return rc;
    n = ev->table->ncols;
    if (cm.t->versioned)
        return rows_refused(e, ev, WTE_SCOPE_DOWNSTREAM, "system-versioned "
                        "tables (WITH SYSTEM VERSIONING) are not supported - the binlog holds "
                        "the source's history rows and ROW START/ROW END times, the target "
                        "`%s`.`%s` would make its own; skip the table with the "
                        "black-white-list or drop its versioning on both sides", tschema, ttable);
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
    if ((rc = old_temporal_check(&cm, ev, tschema, ttable, e)) ||
        (rc = shape_check(&cm, ev, tschema, ttable, e)) ||
        (rc = trigger_check(&cm, ev, tschema, ttable, e)))
        return rc;
    vals = calloc(3 * cm.t->ncols + 1, sizeof *vals);
    pres = calloc(3 * cm.t->ncols + 1, sizeof *pres);
    g.keys = calloc(2 * (cm.t->nkeys + 1), sizeof *g.keys);
    if (rules && worker_rules_has_mapping(rules))
        cm.map = calloc(cm.t->ncols, sizeof *cm.map);
    if (!vals || !pres || !g.keys || (rules && worker_rules_has_mapping(rules) && !cm.map)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    for (i = 0; cm.map && i < cm.t->ncols; i++)
        cm.map[i] = worker_rules_mapping(rules, cm.src_schema, cm.src_table, cm.t->cols[i]);
    cm.bt = ev->table;
    if ((rc = srcdef_check(a, &cm, ev, tschema, ttable, e)) ||
        (rc = conv_check(a, &cm, ev, e)))
        goto out;
    for (i = 0; i < 3; i++) {
        im[i].v = vals + i * cm.t->ncols;
        im[i].p = pres + i * cm.t->ncols;
    }
    g.a = a;
    g.cm = &cm;
    g.ev = ev;
    g.tschema = tschema;
    g.ttable = ttable;
    g.fn = fn;
    g.ud = ud;
    dm_buf_init(&g.alt, a->sql.max);
    rc = gen_rows(&g, ev, safe_mode, im, e);
    dm_buf_free(&g.alt);
out:
    free(g.keys);
    free(cm.map);
    free(pres);
    free(vals);
    return rc;
}

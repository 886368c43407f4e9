/* applier_conv.c - character data converted between charsets (applier_int.h
 * worker_ap_conv_check): a source column in another charset than the target column's is
 * written as `_<source charset> X'..'` (applier_text.c) and the server converts it. A
 * character the target's charset has not would become '?' in a non-strict session (and
 * fail at some later statement of a strict one): every such value of an event is
 * converted there and back by the target server first, in batches of one query:
 *   SELECT CASE WHEN BINARY CONVERT(CONVERT(v1 USING tc) USING sc) <> BINARY v1 THEN '1'
 *               [WHEN CHAR_LENGTH(v1) > n THEN 'l1'] WHEN ... THEN '2' ... ELSE '0' END
 *   FROM (SELECT _sc X'..' AS v1, ...) d
 * and the event is refused (nothing of it applied) naming the first value that does not
 * come back. Invalid source bytes (gbk X'FF') fail the query itself (Error 1300). The
 * same query checks the converted value's length against the target column's (CHAR /
 * VARCHAR(n): n characters; TINYTEXT..LONGTEXT: bytes): the shape check compares byte
 * lengths, and 20 latin1 characters fit VARCHAR(5) utf8mb4's 20 bytes - a non-strict
 * session would cut them silently. A latin1 value into a Unicode charset short enough for
 * any conversion needs no check (worker_ap_conv_total). */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"

#define BATCH_VALUES 200
#define BATCH_BYTES (256u << 10)
#define TOO_LONG "converted, it is longer than the column holds (it would be cut)"

struct convref {
    size_t row, col;
    bool after;
};

/* What target column type ct holds: *chars characters (CHAR/VARCHAR), or *bytes bytes
 * (TINYTEXT..LONGTEXT); 0: not known (no check). */
static void col_limit(const char *ct, unsigned long long *chars, unsigned long long *bytes)
{
    static const struct { const char *type; unsigned long long bytes; } texts[] = {
        { "tinytext", 255 }, { "text", 65535 }, { "mediumtext", 16777215 },
        { "longtext", 4294967295ull },
    };
    size_t i;
    *chars = *bytes = 0;
    if (strncmp(ct, "varchar(", 8) == 0)
        *chars = strtoull(ct + 8, NULL, 10);
    else if (strncmp(ct, "char(", 5) == 0)
        *chars = strtoull(ct + 5, NULL, 10);
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(ct, texts[i].type) == 0)
            *bytes = texts[i].bytes;
}

/* A latin1 value (one byte a character, at most 4 bytes in a Unicode charset) that fits
 * column ct in any case. */
static bool short_enough(const char *ct, size_t len)
{
    unsigned long long chars, bytes;
    col_limit(ct, &chars, &bytes);
    return (chars && len <= chars) || (bytes && (unsigned long long)len * 4 <= bytes) ||
           (!chars && !bytes);
}

struct convbatch {
    struct worker_applier *a;
    const struct tinfo *t;
    const struct bl_event *ev;
    struct dm_buf q;                     /* SELECT CASE ... */
    struct dm_buf d;                     /* the derived table: each value once */
    struct convref ref[BATCH_VALUES];
    size_t n;
};

/* Refused, not transient: the value r (NULL: one of the batch's, not known which). */
static int refused(const struct convbatch *cb, const struct convref *r, const char *what,
                   struct worker_terr *e)
{
    const struct tinfo *t = cb->t;
    char who[512];
    if (r)
        snprintf(who, sizeof who, "row %zu%s: its %s value of column `%s` cannot be converted "
                 "exactly into target column `%s`.`%s`.`%s` (%s)", r->row + 1,
                 cb->ev->op != BL_UPDATE ? "" : r->after ? " (after image)" : " (before image)",
                 t->conv[r->col], t->cols[r->col], t->schema, t->table, t->cols[r->col],
                 t->charset[r->col]);
    else
        snprintf(who, sizeof who, "a value of a column converted between character sets "
                 "cannot be converted exactly into its column of `%s`.`%s`", t->schema,
                 t->table);
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                    "cannot apply the rows of `%s`.`%s` at (%s, %llu): %s: %s; nothing of the "
                    "event is applied: give the target column a character set that holds the "
                    "source's characters (utf8mb4 holds every one)", cb->ev->table->schema,
                    cb->ev->table->table, cb->ev->file, (unsigned long long)cb->ev->next_pos,
                    who, what);
    e->transient = false;
    return DM_E_INVAL;
}

static int flush(struct convbatch *cb, struct worker_terr *e)
{
    char v[32];
    unsigned long k;
    int rc;
    if (!cb->n)
        return DM_OK;
    rc = dm_buf_adds(&cb->q, " ELSE '0' END FROM (SELECT ");
    if (!rc)
        rc = dm_buf_add(&cb->q, cb->d.data, cb->d.len);
    if (!rc)
        rc = dm_buf_adds(&cb->q, ") d");
    if (rc)
        return rc == DM_E_NOMEM ? worker_ap_nomem(e)
                                : refused(cb, &cb->ref[0], "too long to check", e);
    rc = worker_applier_query_text(cb->a, cb->q.data, v, sizeof v, e);
    if (rc == DM_E_DB) {
        char msg[256];
        snprintf(msg, sizeof msg, "%.255s", e->msg);
        /* which value of the batch: not told (Error 1300 names the bytes) */
        return refused(cb, cb->n == 1 ? &cb->ref[0] : NULL, msg, e);
    }
    if (rc)
        return rc;
    k = strtoul(v + (v[0] == 'l'), NULL, 10);
    if (k >= 1 && k <= cb->n)
        return refused(cb, &cb->ref[k - 1], v[0] == 'l'
                       ? TOO_LONG
                       : "a character it has not would be stored as '?'", e);
    dm_buf_reset(&cb->q);
    dm_buf_reset(&cb->d);
    cb->n = 0;
    return DM_OK;
}

static int add_literal(struct dm_buf *b, const char *cs, const struct bl_value *v)
{
    int rc = dm_buf_printf(b, "_%s ", cs);
    return rc ? rc : worker_ap_add_hex(b, v->ptr, v->len);
}

/* The length WHEN of value d.v<n> into column type ct of charset tc: " WHEN
 * CHAR_LENGTH(d.v<n>) > <chars> THEN 'l<n>'" or " WHEN OCTET_LENGTH(CONVERT(d.v<n> USING
 * tc)) > <bytes> THEN 'l<n>'"; nothing when not known. */
static int add_length(struct dm_buf *b, const char *ct, const char *tc, size_t n)
{
    unsigned long long chars, bytes;
    col_limit(ct, &chars, &bytes);
    if (chars)
        return dm_buf_printf(b, " WHEN CHAR_LENGTH(d.v%zu) > %llu THEN 'l%zu'", n, chars, n);
    if (bytes)
        return dm_buf_printf(b, " WHEN OCTET_LENGTH(CONVERT(d.v%zu USING %s)) > %llu THEN "
                             "'l%zu'", n, tc, bytes, n);
    return DM_OK;
}

/* Value v (row, after, target column col) as d.v<n+1>: " WHEN BINARY CONVERT(CONVERT(
 * d.v<n+1> USING tc) USING sc) <> BINARY d.v<n+1> THEN '<n+1>'" and add_length. */
static int add_value(struct convbatch *cb, size_t row, bool after, size_t col,
                     const struct bl_value *v, struct worker_terr *e)
{
    const char *sc = cb->t->conv[col], *tc = cb->t->charset[col];
    struct dm_buf *b = &cb->q;
    size_t n;
    int rc;
    if (cb->n == BATCH_VALUES || b->len + cb->d.len > BATCH_BYTES) {
        if ((rc = flush(cb, e)))
            return rc;
    }
    n = cb->n + 1;
    rc = dm_buf_printf(b, "%s BINARY CONVERT(CONVERT(d.v%zu USING %s) USING %s) <> BINARY "
                       "d.v%zu THEN '%zu'", cb->n ? " WHEN" : "SELECT CASE WHEN", n, tc, sc, n,
                       n);
    if (!rc)
        rc = add_length(b, cb->t->shape ? cb->t->shape[col].column_type : "", tc, n);
    if (!rc && cb->n)
        rc = dm_buf_addc(&cb->d, ',');
    if (!rc)
        rc = add_literal(&cb->d, sc, v);
    if (!rc)
        rc = dm_buf_printf(&cb->d, " AS v%zu", n);
    cb->ref[cb->n] = (struct convref){ row, col, after };
    cb->n++;
    if (rc == DM_E_NOMEM)
        return worker_ap_nomem(e);
    return rc ? refused(cb, &cb->ref[cb->n - 1], "too long to check", e) : DM_OK;
}

static int check_row(struct convbatch *cb, const struct bl_row *row, size_t r, bool after,
                     const ssize_t *src, struct worker_terr *e)
{
    const struct tinfo *t = cb->t;
    unsigned long long chars, bytes;
    const char *ct;
    size_t i;
    int rc;
    for (i = 0; i < t->ncols; i++) {
        const struct bl_value *v;
        ssize_t s = src[i];
        if (!t->conv[i] || s < 0 || (size_t)s >= cb->ev->table->ncols ||
            (row->present && !row->present[s]))
            continue;
        v = &row->cols[s];
        ct = t->shape ? t->shape[i].column_type : "";
        if ((v->kind != BL_STRING && v->kind != BL_BINARY) || (!v->ptr && v->len))
            continue;   /* (NO_LOG: TEXT decodes as BL_BINARY) */
        if (!worker_ap_conv_hex(t->conv[i], t->charset[i], v->ptr, v->len)) {
            struct convref ref = { r, i, after };   /* ASCII: a byte a character */
            col_limit(ct, &chars, &bytes);
            if ((chars && v->len > chars) || (bytes && v->len > bytes))
                return refused(cb, &ref, TOO_LONG, e);
            continue;
        }
        if (worker_ap_conv_total(t->conv[i], t->charset[i]) && short_enough(ct, v->len))
            continue;
        if ((rc = add_value(cb, r, after, i, v, e)))
            return rc;
    }
    return DM_OK;
}

int worker_ap_conv_check(struct worker_applier *a, const struct tinfo *t,
                         const struct bl_event *ev, const ssize_t *src, struct worker_terr *e)
{
    struct convbatch *cb;
    size_t r;
    int rc = DM_OK;
    if (!t->conv || !t->charset)
        return DM_OK;
    if (!(cb = calloc(1, sizeof *cb)))
        return worker_ap_nomem(e);
    cb->a = a;
    cb->t = t;
    cb->ev = ev;
    dm_buf_init(&cb->q, a->sql.max);
    dm_buf_init(&cb->d, a->sql.max);
    for (r = 0; r < ev->nrows && !rc; r++) {
        rc = check_row(cb, &ev->rows[r], r, false, src, e);
        if (!rc && ev->op == BL_UPDATE)
            rc = check_row(cb, &ev->after[r], r, true, src, e);
    }
    if (!rc)
        rc = flush(cb, e);
    dm_buf_free(&cb->q);
    dm_buf_free(&cb->d);
    free(cb);
    return rc;
}

/* rowdec.c - TABLE_MAP and row-image decoder. Contract in rowdec.h.
 * Encodings implemented from the MariaDB KB ("Rows events", "TABLE_MAP_EVENT") and the
 * MySQL internals documentation of the row value formats. */
#include "rowdec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bl_compress.h"
#include "dm_error.h"

/* MYSQL_TYPE_* values on the wire (kept local so this file needs no connector header). */
enum {
    T_DECIMAL = 0, T_TINY = 1, T_SHORT = 2, T_LONG = 3, T_FLOAT = 4, T_DOUBLE = 5,
    T_NULL = 6, T_TIMESTAMP = 7, T_LONGLONG = 8, T_INT24 = 9, T_DATE = 10, T_TIME = 11,
    T_DATETIME = 12, T_YEAR = 13, T_NEWDATE = 14, T_VARCHAR = 15, T_BIT = 16,
    T_TIMESTAMP2 = 17, T_DATETIME2 = 18, T_TIME2 = 19, T_JSON = 245, T_NEWDECIMAL = 246,
    T_ENUM = 247, T_SET = 248, T_TINY_BLOB = 249, T_MEDIUM_BLOB = 250, T_LONG_BLOB = 251,
    T_BLOB = 252, T_VAR_STRING = 253, T_STRING = 254, T_GEOMETRY = 255,
    /* MariaDB's compressed columns (VARCHAR / TEXT / BLOB ... COMPRESSED): the row image
     * holds the stored, compressed bytes (compressed_value) */
    T_BLOB_COMPRESSED = 140, T_VARCHAR_COMPRESSED = 141
};

enum { OPT_SIGNEDNESS = 1, OPT_DEFAULT_CHARSET = 2, OPT_COLUMN_CHARSET = 3, OPT_COLUMN_NAME = 4,
       OPT_SET_STR_VALUE = 5, OPT_ENUM_STR_VALUE = 6, OPT_ENUM_SET_DEFAULT_CHARSET = 10,
       OPT_ENUM_SET_COLUMN_CHARSET = 11 };

#define BINARY_COLLATION 63
#define MAX_VALUES (8u * 1024u * 1024u) /* per event, bounds memory on hostile input */

struct cur {
    const uint8_t *p;
    size_t n;
};

uint64_t rowdec_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = n; k > 0; k--)
        v = (v << 8) | p[k - 1];
    return v;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v = (v << 8) | p[k];
    return v;
}

static bool take(struct cur *c, size_t k, const uint8_t **out)
{
    if (c->n < k)
        return false;
    *out = c->p;
    c->p += k;
    c->n -= k;
    return true;
}

/* Length-encoded integer (0xfb NULL is not valid here). */
static bool lenenc(struct cur *c, uint64_t *v)
{
    const uint8_t *p;
    if (!take(c, 1, &p))
        return false;
    unsigned w = p[0] < 0xfb ? 0 : p[0] == 0xfc ? 2 : p[0] == 0xfd ? 3 : p[0] == 0xfe ? 8 : 99;
    if (w == 0) {
        *v = p[0];
        return true;
    }
    if (w == 99 || !take(c, w, &p))
        return false;
    *v = rowdec_le(p, w);
    return true;
}

static bool bit_set(const uint8_t *bm, size_t i)
{
    return (bm[i / 8] >> (i % 8)) & 1;
}

/* ---- scratch text arena: offsets while decoding, pointers fixed up at the end ---- */

static int text_reserve(struct rowdec_scratch *s, size_t need)
{
    if (s->text_len + need <= s->text_cap)
        return DM_OK;
    size_t ncap = s->text_cap ? s->text_cap : 4096;
    while (ncap < s->text_len + need)
        ncap *= 2;
    char *nt = realloc(s->text, ncap);
    if (!nt)
        return DM_E_NOMEM;
    s->text = nt;
    s->text_cap = ncap;
    return DM_OK;
}

/* Append formatted text (< 128 bytes) and make v point at it (offset in v->i for now). */
static int text_value(struct rowdec_scratch *s, struct bl_value *v, enum bl_kind kind,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int text_value(struct rowdec_scratch *s, struct bl_value *v, enum bl_kind kind,
                      const char *fmt, ...)
{
    if (text_reserve(s, 128) != DM_OK)
        return DM_E_NOMEM;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->text + s->text_len, 128, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= 128)
        return DM_E_INTERNAL;
    v->kind = kind;
    v->i = (int64_t)s->text_len;
    v->len = (size_t)n;
    s->text_len += (size_t)n + 1;
    return DM_OK;
}

static int text_bytes(struct rowdec_scratch *s, struct bl_value *v, enum bl_kind kind,
                      const char *p, size_t n)
{
    if (text_reserve(s, n + 1) != DM_OK)
        return DM_E_NOMEM;
    memcpy(s->text + s->text_len, p, n);
    s->text[s->text_len + n] = '\0';
    v->kind = kind;
    v->i = (int64_t)s->text_len;
    v->len = n;
    s->text_len += n + 1;
    return DM_OK;
}

void rowdec_scratch_free(struct rowdec_scratch *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s->vals);
    free(s->present);
    free(s->text);
    memset(s, 0, sizeof(*s));
}

/* ---- TABLE_MAP ---- */

static unsigned meta_width(unsigned type)
{
    switch (type) {
    case T_FLOAT: case T_DOUBLE: case T_BLOB: case T_TINY_BLOB: case T_MEDIUM_BLOB:
    case T_LONG_BLOB: case T_GEOMETRY: case T_JSON: case T_TIMESTAMP2: case T_DATETIME2:
    case T_TIME2: case T_BLOB_COMPRESSED:
        return 1;
    case T_VARCHAR: case T_VAR_STRING: case T_BIT: case T_NEWDECIMAL: case T_STRING:
    case T_ENUM: case T_SET: case T_VARCHAR_COMPRESSED:
        return 2;
    default:
        return 0;
    }
}

static uint16_t meta_word(unsigned type, const uint8_t *m)
{
    switch (meta_width(type)) {
    case 1:
        return m[0];
    case 2:
        if (type == T_VARCHAR || type == T_VAR_STRING || type == T_BIT ||
            type == T_VARCHAR_COMPRESSED)
            return (uint16_t)(m[0] | (m[1] << 8));
        return (uint16_t)((m[0] << 8) | m[1]);
    default:
        return 0;
    }
}

/* Real type of a STRING column (ENUM/SET hide there) and its max byte length. */
static unsigned string_real_type(uint16_t meta, unsigned *maxlen)
{
    unsigned b0 = meta >> 8, b1 = meta & 0xff;
    if (b0 != 0 && (b0 & 0x30) != 0x30) {
        *maxlen = b1 | (((b0 & 0x30) ^ 0x30) << 4);
        return b0 | 0x30;
    }
    *maxlen = b1;
    return b0 ? b0 : T_STRING;
}

void bl_column_shape(const struct bl_table *t, size_t i, struct bl_col_shape *out)
{
    unsigned maxlen, ty = t->types ? t->types[i] : 0;
    uint16_t meta = t->meta ? t->meta[i] : 0;
    memset(out, 0, sizeof *out);
    switch (ty) {
    case T_TINY: case T_SHORT: case T_INT24: case T_LONG: case T_LONGLONG:
        out->family = "integer";
        out->len = ty == T_TINY ? 1 : ty == T_SHORT ? 2 : ty == T_INT24 ? 3 : ty == T_LONG ? 4 : 8;
        break;
    case T_YEAR:
        out->family = "year";
        break;
    case T_FLOAT:
        out->family = "float";
        break;
    case T_DOUBLE:
        out->family = "double";
        break;
    case T_NEWDECIMAL:
        out->family = "decimal";
        out->prec = meta >> 8;
        out->scale = meta & 0xff;
        break;
    case T_DATE: case T_NEWDATE:
        out->family = "date";
        break;
    case T_TIME: case T_TIME2:
        out->family = "time";
        out->fsp = ty == T_TIME2 ? meta : 0;
        break;
    case T_DATETIME: case T_DATETIME2:
        out->family = "datetime";
        out->fsp = ty == T_DATETIME2 ? meta : 0;
        break;
    case T_TIMESTAMP: case T_TIMESTAMP2:
        out->family = "timestamp";
        out->fsp = ty == T_TIMESTAMP2 ? meta : 0;
        break;
    case T_BIT:
        out->family = "bit";
        out->len = (meta >> 8) * 8u + (meta & 0xff);   /* bytes, bits of the last byte */
        break;
    case T_ENUM:
        out->family = "enum";
        break;
    case T_SET:
        out->family = "set";
        break;
    case T_STRING:
        ty = string_real_type(meta, &maxlen);
        out->family = ty == T_ENUM ? "enum" : ty == T_SET ? "set" : "string";
        out->len = ty == T_STRING ? maxlen : 0;
        break;
    case T_VARCHAR: case T_VAR_STRING:
        out->family = "string";
        out->len = meta;
        break;
    case T_VARCHAR_COMPRESSED:   /* meta: the stored length, one header byte more */
        out->family = "string";
        out->len = meta ? meta - 1u : 0;
        break;
    case T_BLOB: case T_TINY_BLOB: case T_MEDIUM_BLOB: case T_LONG_BLOB: case T_JSON:
    case T_BLOB_COMPRESSED:
        out->family = "string";   /* meta: bytes of the length prefix */
        out->len = meta >= 1 && meta <= 4 ? (UINT64_C(1) << (8 * meta)) - 1 : 0;
        break;
    case T_GEOMETRY:
        out->family = "geometry";
        break;
    default:
        break;
    }
}

static bool is_numeric(unsigned type)
{
    switch (type) {
    case T_TINY: case T_SHORT: case T_INT24: case T_LONG: case T_LONGLONG: case T_FLOAT:
    case T_DOUBLE: case T_NEWDECIMAL:
    case T_YEAR:   /* MariaDB 10.11 writes a SIGNEDNESS bit for YEAR (its unsigned flag; not
                    * for BIT): without it every later numeric column took the bit of the one
                    * before it - an INT after a YEAR decoded -1 as 4294967295 (mariadb-binlog
                    * --print-table-metadata shows the same shift) */
        return true;
    default:
        return false;
    }
}

static bool is_character(const struct bl_table *t, size_t i)
{
    unsigned maxlen;
    switch (t->types[i]) {
    case T_VARCHAR: case T_VAR_STRING: case T_BLOB: case T_TINY_BLOB: case T_MEDIUM_BLOB:
    case T_LONG_BLOB: case T_VARCHAR_COMPRESSED: case T_BLOB_COMPRESSED:
    case T_GEOMETRY:   /* the server counts it (a blob underneath, collation binary): without
                        * it every later column took the collation of the one before it - a
                        * JSON column after a GEOMETRY one read as binary (test_sync_divrand) */
        return true;
    case T_STRING:
        return string_real_type(t->meta[i], &maxlen) == T_STRING;
    default:
        return false;
    }
}

void rowdec_table_free(struct bl_table *t)
{
    if (!t)
        return;
    free(t->schema);
    free(t->table);
    free(t->types);
    free(t->meta);
    free(t->nullable);
    free(t->is_unsigned);
    free(t->is_binary);
    free(t->collation);
    for (size_t i = 0; t->names && i < t->ncols; i++)
        free(t->names[i]);
    free(t->names);
    for (size_t i = 0; t->members && i < t->ncols; i++)
        free(t->members[i]);
    free(t->members);
    free(t);
}

static int name_field(struct cur *c, char **out)
{
    const uint8_t *p, *s;
    if (!take(c, 1, &p) || !take(c, (size_t)p[0] + 1, &s) || s[p[0]] != 0)
        return DM_E_PARSE;
    *out = strndup((const char *)s, p[0]);
    return *out ? DM_OK : DM_E_NOMEM;
}

static int opt_signedness(struct bl_table *t, const uint8_t *v, size_t n)
{
    if (!t->is_unsigned && !(t->is_unsigned = calloc(t->ncols ? t->ncols : 1, 1)))
        return DM_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        if (!is_numeric(t->types[i]))
            continue;
        if (k / 8 >= n)
            return DM_E_PARSE;
        t->is_unsigned[i] = (v[k / 8] >> (7 - k % 8)) & 1;
        k++;
    }
    return DM_OK;
}

static bool is_enum_or_set(const struct bl_table *t, size_t i, unsigned want);

static bool is_enum_set(const struct bl_table *t, size_t i)
{
    return is_enum_or_set(t, i, T_ENUM) || is_enum_or_set(t, i, T_SET);
}

/* Charset TLVs: DEFAULT_CHARSET (default + (index, collation) exceptions) or
 * COLUMN_CHARSET (one collation per character column); ENUM_AND_SET_DEFAULT_CHARSET /
 * ENUM_AND_SET_COLUMN_CHARSET the same over the ENUM and SET columns (the charset their
 * members are in: bl_table.members). */
static int opt_charset(struct bl_table *t, unsigned type, const uint8_t *v, size_t n)
{
    struct cur c = { v, n };
    uint64_t coll = 0, ex = 0;
    bool have_ex = false, es = type == OPT_ENUM_SET_DEFAULT_CHARSET ||
                             type == OPT_ENUM_SET_COLUMN_CHARSET;
    bool def = type == OPT_DEFAULT_CHARSET || type == OPT_ENUM_SET_DEFAULT_CHARSET;
    if (!es && !t->is_binary && !(t->is_binary = calloc(t->ncols ? t->ncols : 1, 1)))
        return DM_E_NOMEM;
    if (!t->collation &&
        !(t->collation = calloc(t->ncols ? t->ncols : 1, sizeof *t->collation)))
        return DM_E_NOMEM;
    if (def && !lenenc(&c, &coll))
        return DM_E_PARSE;
    size_t k = 0;
    if (def && c.n > 0) {
        if (!lenenc(&c, &ex))
            return DM_E_PARSE;
        have_ex = true;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        if (es ? !is_enum_set(t, i) : !is_character(t, i))
            continue;
        uint64_t this_coll = coll;
        if (!def) {
            if (!lenenc(&c, &this_coll))
                return DM_E_PARSE;
        } else if (have_ex && ex == k) {
            if (!lenenc(&c, &this_coll))
                return DM_E_PARSE;
            have_ex = c.n > 0;
            if (have_ex && !lenenc(&c, &ex))
                return DM_E_PARSE;
        }
        if (!es)
            t->is_binary[i] = this_coll == BINARY_COLLATION;
        t->collation[i] = this_coll <= UINT16_MAX ? (uint16_t)this_coll : 0;
        k++;
    }
    return DM_OK;
}

/* COLUMN_NAME (binlog_row_metadata=FULL): one length-prefixed name per column. */
static int opt_column_name(struct bl_table *t, const uint8_t *v, size_t n)
{
    struct cur c = { v, n };
    if (t->names)
        return DM_E_PARSE;
    if (!(t->names = calloc(t->ncols ? t->ncols : 1, sizeof *t->names)))
        return DM_E_NOMEM;
    for (size_t i = 0; i < t->ncols; i++) {
        uint64_t len;
        const uint8_t *p;
        if (!lenenc(&c, &len) || len > c.n || !take(&c, (size_t)len, &p))
            return DM_E_PARSE;
        if (!(t->names[i] = malloc((size_t)len + 1)))
            return DM_E_NOMEM;
        memcpy(t->names[i], p, (size_t)len);
        t->names[i][len] = '\0';
    }
    return DM_OK;
}

/* Column i is an ENUM (want T_ENUM) or a SET (T_SET): a STRING of that real type. */
static bool is_enum_or_set(const struct bl_table *t, size_t i, unsigned want)
{
    unsigned maxlen;
    return t->types[i] == want ||
           (t->types[i] == T_STRING && string_real_type(t->meta[i], &maxlen) == want);
}

/* One member of value list v (its length-prefixed bytes) appended to out as
 * information_schema's COLUMN_TYPE quotes it ('it''s', '\\', '\0', '\n', '\r'). */
static void member_quote(char *out, size_t *o, const uint8_t *s, size_t n)
{
    out[(*o)++] = '\'';
    for (size_t k = 0; k < n; k++) {
        char e = s[k] == 0 ? '0' : s[k] == '\n' ? 'n' : s[k] == '\r' ? 'r' : 0;
        if (e || s[k] == '\\') {
            out[(*o)++] = '\\';
            out[(*o)++] = e ? e : '\\';
        } else {
            if (s[k] == '\'')
                out[(*o)++] = '\'';
            out[(*o)++] = (char)s[k];
        }
    }
    out[(*o)++] = '\'';
}

/* One column's members: a count, then each member length-prefixed; *out "'a','b'". */
static int member_list(struct cur *c, char **out)
{
    uint64_t count, len;
    size_t o = 0, cap = 1;
    const uint8_t *p = NULL;
    struct cur scan = *c;
    /* first pass: the room the quoted list needs (each byte at most twice, 3 per member) */
    if (!lenenc(&scan, &count) || count > scan.n)
        return DM_E_PARSE;
    for (uint64_t k = 0; k < count; k++) {
        if (!lenenc(&scan, &len) || len > scan.n || !take(&scan, (size_t)len, &p))
            return DM_E_PARSE;
        cap += 2 * (size_t)len + 3;
    }
    if (!(*out = malloc(cap)))
        return DM_E_NOMEM;
    (void)lenenc(c, &count);
    for (uint64_t k = 0; k < count; k++) {
        (void)lenenc(c, &len);
        (void)take(c, (size_t)len, &p);
        if (k)
            (*out)[o++] = ',';
        member_quote(*out, &o, p, (size_t)len);
    }
    (*out)[o] = '\0';
    return DM_OK;
}

/* ENUM_STR_VALUE / SET_STR_VALUE (binlog_row_metadata=FULL): the member strings of each
 * ENUM (SET) column, in column order. */
static int opt_members(struct bl_table *t, unsigned want, const uint8_t *v, size_t n)
{
    struct cur c = { v, n };
    if (!t->members && !(t->members = calloc(t->ncols ? t->ncols : 1, sizeof *t->members)))
        return DM_E_NOMEM;
    for (size_t i = 0; i < t->ncols; i++) {
        int rc;
        if (!is_enum_or_set(t, i, want))
            continue;
        if (t->members[i])
            return DM_E_PARSE;          /* the same list twice */
        if ((rc = member_list(&c, &t->members[i])) != DM_OK)
            return rc;
    }
    return DM_OK;
}

static int optional_metadata(struct bl_table *t, struct cur *c)
{
    while (c->n > 0) {
        const uint8_t *ty, *v;
        uint64_t len;
        if (!take(c, 1, &ty) || !lenenc(c, &len) || len > c->n || !take(c, (size_t)len, &v))
            return DM_E_PARSE;
        int rc = DM_OK;
        if (ty[0] == OPT_SIGNEDNESS)
            rc = opt_signedness(t, v, (size_t)len);
        else if (ty[0] == OPT_DEFAULT_CHARSET || ty[0] == OPT_COLUMN_CHARSET ||
                 ty[0] == OPT_ENUM_SET_DEFAULT_CHARSET || ty[0] == OPT_ENUM_SET_COLUMN_CHARSET)
            rc = opt_charset(t, ty[0], v, (size_t)len);
        else if (ty[0] == OPT_COLUMN_NAME)
            rc = opt_column_name(t, v, (size_t)len);
        else if (ty[0] == OPT_ENUM_STR_VALUE || ty[0] == OPT_SET_STR_VALUE)
            rc = opt_members(t, ty[0] == OPT_ENUM_STR_VALUE ? T_ENUM : T_SET, v, (size_t)len);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

static int column_meta(struct bl_table *t, struct cur *c)
{
    uint64_t mlen;
    const uint8_t *m;
    if (!lenenc(c, &mlen) || mlen > c->n || !take(c, (size_t)mlen, &m))
        return DM_E_PARSE;
    size_t off = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        unsigned w = meta_width(t->types[i]);
        if (off + w > mlen)
            return DM_E_PARSE;
        t->meta[i] = meta_word(t->types[i], m + off);
        off += w;
    }
    return off == mlen ? DM_OK : DM_E_PARSE;
}

static int table_map_body(struct bl_table *t, struct cur *c, unsigned tid_len)
{
    const uint8_t *p;
    uint64_t ncols;
    if ((tid_len != 4 && tid_len != 6) || !take(c, tid_len + 2u, &p))
        return DM_E_PARSE;
    t->table_id = rowdec_le(p, tid_len);
    int rc = name_field(c, &t->schema);
    if (rc == DM_OK)
        rc = name_field(c, &t->table);
    if (rc != DM_OK)
        return rc;
    if (!lenenc(c, &ncols) || ncols == 0 || ncols > c->n || !take(c, (size_t)ncols, &p))
        return DM_E_PARSE;
    t->ncols = (size_t)ncols;
    t->types = malloc(t->ncols);
    t->meta = calloc(t->ncols, sizeof(*t->meta));
    t->nullable = malloc(t->ncols);
    if (!t->types || !t->meta || !t->nullable)
        return DM_E_NOMEM;
    memcpy(t->types, p, t->ncols);
    if ((rc = column_meta(t, c)) != DM_OK)
        return rc;
    if (!take(c, (t->ncols + 7) / 8, &p))
        return DM_E_PARSE;
    for (size_t i = 0; i < t->ncols; i++)
        t->nullable[i] = bit_set(p, i);
    return optional_metadata(t, c);
}

int rowdec_table_map(const uint8_t *body, size_t len, unsigned tid_len,
                     struct bl_table **out, char *err, size_t cap)
{
    int result = DM_E_NOMEM;
    struct bl_table *t = calloc(1, sizeof(*t));
    struct cur c = { body, len };
    if (!t)
        goto out;
    result = table_map_body(t, &c, tid_len);
    if (result == DM_E_PARSE)
        dm_errf(err, cap, "malformed TABLE_MAP event (%zu bytes)", len);
    if (result != DM_OK)
        goto out;
    *out = t;
    t = NULL;
out:
    rowdec_table_free(t);
    return result;
}

/* ---- values ---- */

struct vctx {
    struct rowdec_scratch *s;
    const struct bl_table *t;
    size_t col;
    char *err;
    size_t cap;
};

static const unsigned dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
static const uint32_t pow10u[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
                                     10000000, 100000000, 1000000000 };

/* The table has MariaDB's pre-10.1 TIME/DATETIME/TIMESTAMP columns: with fractional
 * seconds (mysql56_temporal_format=OFF) their length is not in the TABLE_MAP. */
static bool has_old_temporal(const struct bl_table *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->types[i] == T_TIME || t->types[i] == T_DATETIME || t->types[i] == T_TIMESTAMP)
            return true;
    return false;
}

static int verr(struct vctx *x, const char *what)
{
    dm_errf(x->err, x->cap, "column %zu of %s.%s (type %u): %s%s", x->col + 1, x->t->schema,
            x->t->table, x->t->types[x->col], what, has_old_temporal(x->t) ?
            " (the table has TIME/DATETIME/TIMESTAMP columns in MariaDB's pre-10.1 format: "
            "with fractional seconds (mysql56_temporal_format=OFF) their values are longer "
            "than the binlog says and cannot be decoded; convert them on the source with "
            "ALTER TABLE ... FORCE)" : "");
    return DM_E_PARSE;
}

static void int_value(struct bl_value *v, const uint8_t *p, unsigned n, int is_unsigned)
{
    uint64_t u = rowdec_le(p, n);
    unsigned shift = 64 - 8 * n;
    v->u = u;
    v->i = shift ? (int64_t)(u << shift) >> shift : (int64_t)u;
    v->kind = is_unsigned > 0 ? BL_UINT : BL_INT;
}

/* Binary NEWDECIMAL -> "-123.4500". */
static int decimal_value(struct vctx *x, struct cur *c, struct bl_value *v, uint16_t meta)
{
    unsigned prec = meta >> 8, scale = meta & 0xff;
    if (prec == 0 || prec > 65 || scale > 38 || scale > prec)
        return verr(x, "bad DECIMAL precision/scale");
    unsigned intg = prec - scale, i0 = intg / 9, i0x = intg % 9, f0 = scale / 9, f0x = scale % 9;
    size_t size = i0 * 4 + dig2bytes[i0x] + f0 * 4 + dig2bytes[f0x];
    const uint8_t *p;
    if (!take(c, size, &p))
        return verr(x, "truncated DECIMAL");
    uint8_t b[40];
    memcpy(b, p, size);
    bool neg = !(b[0] & 0x80);
    b[0] ^= 0x80;
    for (size_t k = 0; neg && k < size; k++)
        b[k] ^= 0xff;
    char out[96];
    size_t o = 0, off = 0;
    bool started = false;
    if (neg)
        out[o++] = '-';
    for (unsigned g = 0; g <= i0; g++) {
        unsigned w = g == 0 ? dig2bytes[i0x] : 4;
        if (w == 0)
            continue;
        uint32_t d = (uint32_t)be(b + off, w) % pow10u[9];
        off += w;
        if (started)
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%09" PRIu32, d);
        else if (d) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%" PRIu32, d);
            started = true;
        }
    }
    if (!started)
        out[o++] = '0';
    if (scale)
        out[o++] = '.';
    for (unsigned g = 0; g < f0 + (f0x ? 1 : 0); g++) {
        unsigned w = g < f0 ? 4 : dig2bytes[f0x], digits = g < f0 ? 9 : f0x;
        uint32_t d = (uint32_t)be(b + off, w) % pow10u[digits];
        off += w;
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%0*" PRIu32, (int)digits, d);
    }
    return text_bytes(x->s, v, BL_DECIMAL, out, o);
}

static unsigned frac_bytes(unsigned fsp)
{
    return (fsp + 1) / 2;
}

/* Fractional part stored big-endian in (fsp+1)/2 bytes -> microseconds. */
static uint32_t frac_usec(const uint8_t *p, unsigned fsp)
{
    static const uint32_t mul[4] = { 0, 10000, 100, 1 };
    unsigned nb = frac_bytes(fsp);
    return nb ? (uint32_t)be(p, nb) * mul[nb] : 0;
}

/* ".123" for fsp 3, "" for fsp 0 */
static void frac_str(char *buf, uint32_t usec, unsigned fsp)
{
    uint32_t v = (usec % 1000000u) / pow10u[6 - (fsp > 6 ? 6 : fsp)];
    size_t o = 0;
    if (fsp > 0 && fsp <= 6) {
        buf[o++] = '.';
        for (unsigned k = fsp; k > 0; k--)
            buf[o++] = (char)('0' + v / pow10u[k - 1] % 10);
    }
    buf[o] = '\0';
}

static int temporal(struct vctx *x, struct bl_value *v, bool neg, unsigned y, unsigned mo,
                    unsigned d, unsigned h, unsigned mi, unsigned s, uint32_t usec,
                    unsigned fsp, int shape)
{
    char fr[16];
    frac_str(fr, usec, fsp);
    if (shape == 'D')
        return text_value(x->s, v, BL_TEMPORAL, "%04u-%02u-%02u", y % 10000, mo % 100, d % 100);
    if (shape == 'T')
        return text_value(x->s, v, BL_TEMPORAL, "%s%02u:%02u:%02u%s", neg ? "-" : "",
                          h % 10000, mi % 100, s % 100, fr);
    return text_value(x->s, v, BL_TEMPORAL, "%04u-%02u-%02u %02u:%02u:%02u%s", y % 10000,
                      mo % 100, d % 100, h % 100, mi % 100, s % 100, fr);
}

static int timestamp_value(struct vctx *x, struct bl_value *v, uint64_t sec, uint32_t usec,
                           unsigned fsp)
{
    /* 0 is the zero TIMESTAMP; (0, usec > 0) is '1970-01-01 00:00:00.<usec>' UTC, which a
     * session in a zone east of UTC stores for its local midnight-to-1 a.m. + fraction */
    if (sec == 0 && usec == 0)
        return temporal(x, v, false, 0, 0, 0, 0, 0, 0, 0, fsp, 'S');
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return verr(x, "bad TIMESTAMP");
    return temporal(x, v, false, (unsigned)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                    (unsigned)tm.tm_mday, (unsigned)tm.tm_hour, (unsigned)tm.tm_min,
                    (unsigned)tm.tm_sec, usec, fsp, 'S');
}

static int datetime2_value(struct vctx *x, struct cur *c, struct bl_value *v, unsigned fsp)
{
    const uint8_t *p;
    if (fsp > 6 || !take(c, 5 + frac_bytes(fsp), &p))
        return verr(x, "truncated DATETIME2");
    int64_t ip = (int64_t)be(p, 5) - INT64_C(0x8000000000);
    if (ip < 0)
        return verr(x, "negative DATETIME2");
    uint64_t ymdhms = (uint64_t)ip, ymd = ymdhms >> 17, ym = ymd >> 5, hms = ymdhms & 0x1ffff;
    return temporal(x, v, false, (unsigned)(ym / 13), (unsigned)(ym % 13), (unsigned)(ymd & 31),
                    (unsigned)(hms >> 12), (unsigned)((hms >> 6) & 63), (unsigned)(hms & 63),
                    frac_usec(p + 5, fsp), fsp, 'S');
}

static int time2_value(struct vctx *x, struct cur *c, struct bl_value *v, unsigned fsp)
{
    const uint8_t *p;
    if (fsp > 6 || !take(c, 3 + frac_bytes(fsp), &p))
        return verr(x, "truncated TIME2");
    int64_t packed;
    if (fsp >= 5) {
        packed = (int64_t)be(p, 6) - INT64_C(0x800000000000);
    } else {
        int64_t ip = (int64_t)be(p, 3) - 0x800000;
        int64_t fr = fsp == 0 ? 0 : (int64_t)be(p + 3, frac_bytes(fsp));
        if (ip < 0 && fr) {
            ip++;
            fr -= fsp <= 2 ? 0x100 : 0x10000;
        }
        packed = ip * (INT64_C(1) << 24) + fr * (fsp == 0 ? 0 : fsp <= 2 ? 10000 : 100);
    }
    bool neg = packed < 0;
    uint64_t up = neg ? (uint64_t)(-packed) : (uint64_t)packed, hms = up >> 24;
    return temporal(x, v, neg, 0, 0, 0, (unsigned)((hms >> 12) % 1024), (unsigned)((hms >> 6) % 64),
                    (unsigned)(hms % 64), (uint32_t)(up % (1u << 24)), fsp, 'T');
}

static int old_temporal(struct vctx *x, struct cur *c, struct bl_value *v, unsigned type)
{
    static const unsigned widths[] = { [T_TIMESTAMP] = 4, [T_DATE] = 3, [T_TIME] = 3,
                                       [T_DATETIME] = 8, [T_NEWDATE] = 3 };
    const uint8_t *p;
    if (!take(c, widths[type], &p))
        return verr(x, "truncated temporal");
    uint64_t u = rowdec_le(p, widths[type]);
    if (type == T_TIMESTAMP)
        return timestamp_value(x, v, u, 0, 0);
    if (type == T_DATE || type == T_NEWDATE)
        return temporal(x, v, false, (unsigned)(u >> 9), (unsigned)((u >> 5) & 15),
                        (unsigned)(u & 31), 0, 0, 0, 0, 0, 'D');
    if (type == T_TIME) {
        int64_t t = (int64_t)(u << 40) >> 40;
        bool neg = t < 0;
        uint64_t a = neg ? (uint64_t)(-t) : (uint64_t)t;
        return temporal(x, v, neg, 0, 0, 0, (unsigned)(a / 10000), (unsigned)(a / 100 % 100),
                        (unsigned)(a % 100), 0, 0, 'T');
    }
    uint64_t d = u / 1000000, t = u % 1000000;
    return temporal(x, v, false, (unsigned)(d / 10000), (unsigned)(d / 100 % 100),
                    (unsigned)(d % 100), (unsigned)(t / 10000), (unsigned)(t / 100 % 100),
                    (unsigned)(t % 100), 0, 0, 'S');
}

static int bytes_value(struct vctx *x, struct cur *c, struct bl_value *v, unsigned lenbytes,
                       enum bl_kind kind)
{
    const uint8_t *p, *d;
    if (lenbytes < 1 || lenbytes > 4 || !take(c, lenbytes, &p))
        return verr(x, "truncated length");
    uint64_t n = rowdec_le(p, lenbytes);
    if (!take(c, (size_t)n, &d))
        return verr(x, "truncated string");
    v->kind = kind;
    v->ptr = (const char *)d;
    v->len = (size_t)n;
    return DM_OK;
}

static enum bl_kind text_kind(struct vctx *x, enum bl_kind dflt)
{
    if (!x->t->is_binary)
        return dflt;
    return x->t->is_binary[x->col] ? BL_BINARY : BL_STRING;
}

static int fixed_uint(struct vctx *x, struct cur *c, struct bl_value *v, unsigned n,
                      enum bl_kind kind, bool big_endian)
{
    const uint8_t *p;
    if (n == 0 || n > 8 || !take(c, n, &p))
        return verr(x, "truncated value");
    v->kind = kind;
    v->u = big_endian ? be(p, n) : rowdec_le(p, n);
    v->i = (int64_t)v->u;
    return DM_OK;
}

static int string_value(struct vctx *x, struct cur *c, struct bl_value *v, uint16_t meta)
{
    unsigned maxlen;
    unsigned real = string_real_type(meta, &maxlen);
    if (real == T_ENUM)
        return fixed_uint(x, c, v, meta & 0xff, BL_ENUM, false);
    if (real == T_SET)
        return fixed_uint(x, c, v, meta & 0xff, BL_SET, false);
    int rc = bytes_value(x, c, v, maxlen > 255 ? 2 : 1, text_kind(x, BL_STRING));
    if (rc != DM_OK || v->kind != BL_BINARY || v->len >= maxlen)
        return rc;
    /* BINARY(n): the server strips trailing 0x00; pad back when we know it is binary */
    const char *src = v->ptr;
    size_t n = v->len;
    if (text_reserve(x->s, maxlen + 1) != DM_OK)
        return DM_E_NOMEM;
    char *dst = x->s->text + x->s->text_len;
    memcpy(dst, src, n);
    memset(dst + n, 0, maxlen - n + 1);
    v->ptr = NULL;
    v->i = (int64_t)x->s->text_len;
    v->len = maxlen;
    x->s->text_len += maxlen + 1;
    return DM_OK;
}

static int blob_value(struct vctx *x, struct cur *c, struct bl_value *v, unsigned type,
                      uint16_t meta)
{
    unsigned lb = meta;
    if (type == T_JSON)
        return verr(x, "MySQL binary JSON is not supported");
    if (lb == 0)
        lb = type == T_TINY_BLOB ? 1 : type == T_MEDIUM_BLOB ? 3 : type == T_LONG_BLOB ? 4 : 2;
    return bytes_value(x, c, v, lb, type == T_GEOMETRY ? BL_BINARY : text_kind(x, BL_BINARY));
}

/* A compressed column's stored value (MariaDB field_comp.cc, Field_longstr::uncompress):
 * '' is stored without a header; header byte 0x00: the value follows as is (shorter than
 * column_compression_threshold); 0x8N (zlib; bit 0x08: raw deflate): the value's length in
 * N = 1..4 big-endian bytes, then the stream. The value is inflated into the arena; more
 * than the column can hold (limit) is refused. */
static int compressed_value(struct vctx *x, struct bl_value *v, uint64_t limit)
{
    const uint8_t *p = (const uint8_t *)v->ptr;
    size_t len = v->len;
    if (len == 0)
        return DM_OK;
    if ((p[0] & 0xF0) == 0) {
        v->ptr = (const char *)p + 1;
        v->len = len - 1;
        return DM_OK;
    }
    unsigned n = p[0] & 0x07u;
    if ((p[0] & 0xF0) != 0x80 || n < 1 || n > 4 || len < 1u + n)
        return verr(x, "compressed column value with an unknown header");
    uint64_t want = be(p + 1, n);
    if (want > limit || want > (UINT64_C(1) << 30))   /* max_allowed_packet's ceiling */
        return verr(x, "compressed column value longer than its column");
    if (text_reserve(x->s, (size_t)want + 1) != DM_OK)
        return DM_E_NOMEM;
    char zerr[160];
    uint8_t *dst = (uint8_t *)x->s->text + x->s->text_len;
    if (bl_inflate_column(p + 1 + n, len - 1 - n, (p[0] & 0x08) != 0, dst, (size_t)want, zerr,
                          sizeof zerr) != DM_OK)
        return verr(x, zerr);
    dst[want] = '\0';
    v->ptr = want ? NULL : "";
    v->i = (int64_t)x->s->text_len;
    v->len = (size_t)want;
    x->s->text_len += (size_t)want + 1;
    return DM_OK;
}

static int compressed_col(struct vctx *x, struct cur *c, struct bl_value *v, unsigned type,
                          uint16_t meta)
{
    unsigned lb = type == T_BLOB_COMPRESSED ? meta : meta > 255 ? 2 : 1;
    uint64_t limit = type == T_BLOB_COMPRESSED ? (lb >= 1 && lb <= 4 ?
                     (UINT64_C(1) << (8 * lb)) - 1 : 0) : meta;
    int rc = bytes_value(x, c, v, lb, text_kind(x, type == T_BLOB_COMPRESSED ? BL_BINARY
                                                                             : BL_STRING));
    return rc != DM_OK ? rc : compressed_value(x, v, limit);
}

static int float_value(struct vctx *x, struct cur *c, struct bl_value *v, unsigned n)
{
    const uint8_t *p;
    if (!take(c, n, &p))
        return verr(x, "truncated float");
    uint64_t u = rowdec_le(p, n);
    if (n == 4) {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, sizeof(f));
        v->d = f;
        v->kind = BL_FLOAT;
    } else {
        memcpy(&v->d, &u, sizeof(v->d));
        v->kind = BL_DOUBLE;
    }
    return DM_OK;
}

static int int_col(struct vctx *x, struct cur *c, struct bl_value *v, unsigned n)
{
    const uint8_t *p;
    if (!take(c, n, &p))
        return verr(x, "truncated integer");
    int_value(v, p, n, x->t->is_unsigned ? x->t->is_unsigned[x->col] : -1);
    return DM_OK;
}

static int bit_value(struct vctx *x, struct cur *c, struct bl_value *v, uint16_t meta)
{
    unsigned n = (meta >> 8) + ((meta & 0xff) ? 1u : 0u);
    return fixed_uint(x, c, v, n, BL_BIT, true);
}

static int year_value(struct vctx *x, struct cur *c, struct bl_value *v)
{
    const uint8_t *p;
    if (!take(c, 1, &p))
        return verr(x, "truncated YEAR");
    v->kind = BL_INT;
    v->i = p[0] ? 1900 + p[0] : 0;
    v->u = (uint64_t)v->i;
    return DM_OK;
}

static int decode_value(struct vctx *x, struct cur *c, struct bl_value *v)
{
    unsigned type = x->t->types[x->col];
    uint16_t meta = x->t->meta[x->col];
    switch (type) {
    case T_TINY: return int_col(x, c, v, 1);
    case T_SHORT: return int_col(x, c, v, 2);
    case T_INT24: return int_col(x, c, v, 3);
    case T_LONG: return int_col(x, c, v, 4);
    case T_LONGLONG: return int_col(x, c, v, 8);
    case T_YEAR: return year_value(x, c, v);
    case T_FLOAT: return float_value(x, c, v, 4);
    case T_DOUBLE: return float_value(x, c, v, 8);
    case T_NEWDECIMAL: return decimal_value(x, c, v, meta);
    case T_NULL: v->kind = BL_NULL; return DM_OK;
    case T_TIMESTAMP: case T_DATE: case T_NEWDATE: case T_TIME: case T_DATETIME:
        return old_temporal(x, c, v, type);
    case T_TIMESTAMP2: {
        const uint8_t *p;
        if (meta > 6 || !take(c, 4 + frac_bytes(meta), &p))
            return verr(x, "truncated TIMESTAMP2");
        return timestamp_value(x, v, be(p, 4), frac_usec(p + 4, meta), meta);
    }
    case T_DATETIME2: return datetime2_value(x, c, v, meta);
    case T_TIME2: return time2_value(x, c, v, meta);
    case T_VARCHAR: case T_VAR_STRING:
        return bytes_value(x, c, v, meta > 255 ? 2 : 1, text_kind(x, BL_STRING));
    case T_STRING: case T_ENUM: case T_SET: return string_value(x, c, v, meta);
    case T_BLOB: case T_TINY_BLOB: case T_MEDIUM_BLOB: case T_LONG_BLOB: case T_GEOMETRY:
    case T_JSON:
        return blob_value(x, c, v, type, meta);
    case T_BIT: return bit_value(x, c, v, meta);
    case T_VARCHAR_COMPRESSED: case T_BLOB_COMPRESSED:
        return compressed_col(x, c, v, type, meta);
    default: return verr(x, "unsupported column type");
    }
}

/* ---- row images ---- */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return DM_OK;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, ncap * elem);
    if (!n)
        return DM_E_NOMEM;
    *arr = n;
    *cap = ncap;
    return DM_OK;
}

static size_t popcount_bits(const uint8_t *bm, size_t ncols)
{
    size_t k = 0;
    for (size_t i = 0; i < ncols; i++)
        k += bit_set(bm, i);
    return k;
}

/* One image at vals[base .. base+ncols). */
static int decode_image(struct vctx *x, struct cur *c, const uint8_t *bitmap, size_t npresent,
                        size_t base)
{
    const struct bl_table *t = x->t;
    const uint8_t *nulls;
    if (!take(c, (npresent + 7) / 8, &nulls)) {
        x->col = 0;
        return verr(x, "truncated null bitmap");
    }
    size_t k = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        struct bl_value *v = &x->s->vals[base + i];
        memset(v, 0, sizeof(*v));
        x->s->present[base + i] = (uint8_t)bit_set(bitmap, i);
        if (!x->s->present[base + i])
            continue;
        if (bit_set(nulls, k++))
            continue;
        x->col = i;
        int rc = decode_value(x, c, v);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

static void fixup(struct rowdec_scratch *s, size_t nimages, size_t ncols, enum bl_rows_op op,
                  const struct bl_table *t, struct bl_event *ev)
{
    size_t nvals = nimages * ncols;
    for (size_t k = 0; k < nvals; k++) {
        struct bl_value *v = &s->vals[k];
        /* arena values: DECIMAL/TEMPORAL text and padded BINARY(n) (never empty) */
        if (!v->ptr && v->len && v->kind != BL_NULL) {
            v->ptr = s->text + v->i;
            v->i = 0;
        }
    }
    size_t nrows = op == BL_UPDATE ? nimages / 2 : nimages;
    for (size_t r = 0; r < nimages; r++) {
        /* UPDATE images alternate before/after: befores go to rows[0..n), afters to [n..2n) */
        size_t slot = op == BL_UPDATE ? (r % 2) * nrows + r / 2 : r;
        s->rows[slot].cols = &s->vals[r * ncols];
        s->rows[slot].present = &s->present[r * ncols];
    }
    ev->op = op;
    ev->table = t;
    ev->nrows = nrows;
    ev->rows = nrows ? s->rows : NULL;
    ev->after = op == BL_UPDATE && nrows ? s->rows + nrows : NULL;
}

int rowdec_images(struct rowdec_scratch *s, const struct bl_table *t, enum bl_rows_op op,
                  const uint8_t *bitmap1, const uint8_t *bitmap2, const uint8_t *data,
                  size_t len, struct bl_event *ev, char *err, size_t cap)
{
    struct vctx x = { s, t, 0, err, cap };
    struct cur c = { data, len };
    size_t np1 = popcount_bits(bitmap1, t->ncols);
    size_t np2 = op == BL_UPDATE ? popcount_bits(bitmap2, t->ncols) : np1;
    size_t nimages = 0;
    s->text_len = 0;
    if (len > 0 && (np1 == 0 || np2 == 0))
        return verr(&x, "row image without columns");
    while (c.n > 0) {
        size_t base = nimages * t->ncols;
        if (base + t->ncols > MAX_VALUES) {
            dm_errf(err, cap, "rows event of %s.%s has too many values", t->schema, t->table);
            return DM_E_PARSE;
        }
        if (grow((void **)&s->vals, &s->vals_cap, base + t->ncols, sizeof(*s->vals)) ||
            grow((void **)&s->present, &s->present_cap, base + t->ncols, 1))
            return DM_E_NOMEM;
        bool second = op == BL_UPDATE && nimages % 2 == 1;
        int rc = decode_image(&x, &c, second ? bitmap2 : bitmap1, second ? np2 : np1, base);
        if (rc != DM_OK)
            return rc;
        nimages++;
    }
    if (op == BL_UPDATE && nimages % 2)
        return verr(&x, "UPDATE without after-image");
    if (grow((void **)&s->rows, &s->rows_cap, nimages ? nimages : 1, sizeof(*s->rows)))
        return DM_E_NOMEM;
    fixup(s, nimages, t->ncols, op, t, ev);
    return DM_OK;
}

int rowdec_is_rows_event(unsigned ev_type)
{
    return (ev_type >= 23 && ev_type <= 25) || (ev_type >= 30 && ev_type <= 32);
}

int rowdec_rows_table_id(const uint8_t *body, size_t len, unsigned tid_len, uint64_t *id)
{
    if ((tid_len != 4 && tid_len != 6) || len < tid_len)
        return DM_E_PARSE;
    *id = rowdec_le(body, tid_len);
    return DM_OK;
}

static enum bl_rows_op rows_op(unsigned ev_type)
{
    unsigned k = ev_type >= 30 ? ev_type - 30 : ev_type - 23;
    return k == 0 ? BL_INSERT : k == 1 ? BL_UPDATE : BL_DELETE;
}

int rowdec_rows(struct rowdec_scratch *s, const struct bl_table *t, unsigned ev_type,
                const uint8_t *body, size_t len, unsigned tid_len, struct bl_event *ev,
                char *err, size_t cap)
{
    struct cur c = { body, len };
    const uint8_t *p, *bm1, *bm2 = NULL;
    uint64_t ncols;
    if (!rowdec_is_rows_event(ev_type) || (tid_len != 4 && tid_len != 6) ||
        !take(&c, tid_len + 2u, &p))
        goto bad;
    if (ev_type >= 30) { /* v2: extra data, length includes its own 2 bytes */
        if (!take(&c, 2, &p) || rowdec_le(p, 2) < 2 || !take(&c, (size_t)rowdec_le(p, 2) - 2, &p))
            goto bad;
    }
    if (!lenenc(&c, &ncols) || ncols != t->ncols || !take(&c, (t->ncols + 7) / 8, &bm1))
        goto bad;
    enum bl_rows_op op = rows_op(ev_type);
    if (op == BL_UPDATE && !take(&c, (t->ncols + 7) / 8, &bm2))
        goto bad;
    return rowdec_images(s, t, op, bm1, bm2, c.p, c.n, ev, err, cap);
bad:
    dm_errf(err, cap, "malformed rows event header for %s.%s (type %u, %zu bytes)", t->schema,
            t->table, ev_type, len);
    return DM_E_PARSE;
}

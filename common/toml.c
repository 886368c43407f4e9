/* toml.c - see toml.h. A recursive-descent parser over the whole text; tables are
 * jansson objects (insertion order kept). Redefinition rules are tracked with a small
 * side table of per-node marks (explicitly defined by a header, created by dotted keys,
 * inline = closed, array of tables). */
#include "toml.h"
#include "dm_hex.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"

#define TOML_MAX_DEPTH 64
#define TOML_MAX_STR   (16u << 20)

enum {
    MARK_DEFINED = 1u,  /* [table] header seen for it */
    MARK_DOTTED = 2u,   /* created by a dotted key */
    MARK_INLINE = 4u,   /* inline table or inline array: closed */
    MARK_AOT = 8u,      /* array created by [[...]] */
};

struct mark { const json_t *node; unsigned flags; };

struct tp {
    const char *p, *end;
    int line;
    char *err;
    size_t cap;
    bool failed;
    int depth;
    json_t *root;
    json_t *cur;        /* table receiving key/values */
    struct mark *marks;
    size_t nmarks, capmarks;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct tp *t, const char *fmt, ...)
{
    if (t->failed)
        return DM_E_PARSE;
    t->failed = true;
    if (t->err && t->cap) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(t->err, t->cap, "line %d: %s", t->line, msg);
    }
    return DM_E_PARSE;
}

/* The marks are an open-addressing hash table keyed by node address (capmarks a power of
 * two, at most half full): one mark per table, so a linear list made 40,000 `[tN]`
 * headers or a 40,000-part dotted key take ~10 s (quadratic; gwattack4). */
static size_t mark_slot(const struct mark *m, size_t cap, const json_t *n)
{
    size_t i = (size_t)(((uintptr_t)n >> 4) * 0x9e3779b97f4a7c15ull) & (cap - 1);
    while (m[i].node && m[i].node != n)
        i = (i + 1) & (cap - 1);
    return i;
}

static unsigned mark_get(const struct tp *t, const json_t *n)
{
    return t->capmarks ? t->marks[mark_slot(t->marks, t->capmarks, n)].flags : 0;
}

static int marks_grow(struct tp *t)
{
    size_t ncap = t->capmarks ? t->capmarks * 2 : 64;
    struct mark *nm = calloc(ncap, sizeof(*nm));
    if (!nm)
        return fail(t, "out of memory");
    for (size_t i = 0; i < t->capmarks; i++)
        if (t->marks[i].node)
            nm[mark_slot(nm, ncap, t->marks[i].node)] = t->marks[i];
    free(t->marks);
    t->marks = nm;
    t->capmarks = ncap;
    return DM_OK;
}

static int mark_add(struct tp *t, const json_t *n, unsigned flags)
{
    if (2 * (t->nmarks + 1) > t->capmarks && marks_grow(t) != DM_OK)
        return DM_E_NOMEM;
    struct mark *m = &t->marks[mark_slot(t->marks, t->capmarks, n)];
    if (!m->node) {
        m->node = n;
        t->nmarks++;
    }
    m->flags |= flags;
    return DM_OK;
}

/* ---- lexical helpers ---- */

static bool at_end(const struct tp *t) { return t->p >= t->end; }
static int peek(const struct tp *t) { return t->p < t->end ? (unsigned char)*t->p : -1; }
static int peek_at(const struct tp *t, size_t k)
{
    return (size_t)(t->end - t->p) > k ? (unsigned char)t->p[k] : -1;
}
static bool starts(const struct tp *t, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(t->end - t->p) >= n && memcmp(t->p, s, n) == 0;
}

static void skip_ws(struct tp *t)
{
    while (!at_end(t) && (*t->p == ' ' || *t->p == '\t'))
        t->p++;
}

static int skip_comment(struct tp *t)
{
    if (peek(t) != '#')
        return DM_OK;
    while (!at_end(t) && *t->p != '\n') {
        unsigned char c = (unsigned char)*t->p;
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return fail(t, "control character in comment");
        t->p++;
    }
    return DM_OK;
}

/* Consume a newline ("\n" or "\r\n"); false if none here. */
static bool eat_newline(struct tp *t)
{
    if (peek(t) == '\n') {
        t->p++;
        t->line++;
        return true;
    }
    if (peek(t) == '\r' && peek_at(t, 1) == '\n') {
        t->p += 2;
        t->line++;
        return true;
    }
    return false;
}

/* Skip whitespace, comments and newlines (inside arrays). */
static int skip_ws_nl(struct tp *t)
{
    for (;;) {
        skip_ws(t);
        if (skip_comment(t) != DM_OK)
            return DM_E_PARSE;
        if (!eat_newline(t))
            return DM_OK;
    }
}

/* After a statement: ws, comment, then newline or end of input. */
static int end_of_line(struct tp *t)
{
    skip_ws(t);
    if (skip_comment(t) != DM_OK)
        return DM_E_PARSE;
    if (at_end(t) || eat_newline(t))
        return DM_OK;
    return fail(t, "expected end of line, found '%c'", *t->p);
}

/* ---- strings ---- */

static int utf8_put(struct dm_buf *b, uint32_t cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return dm_buf_add(b, o, n);
}

static int parse_escape(struct tp *t, struct dm_buf *b)
{
    t->p++;   /* backslash */
    int c = peek(t);
    const char *simple = "b\bt\tn\nf\fr\r\"\"\\\\";
    for (const char *s = simple; *s; s += 2) {
        if (c == *s) {
            t->p++;
            return dm_buf_addc(b, s[1]);
        }
    }
    if (c != 'u' && c != 'U')
        return fail(t, "invalid escape sequence");
    int ndig = c == 'u' ? 4 : 8;
    t->p++;
    uint32_t cp = 0;
    for (int i = 0; i < ndig; i++) {
        int h = dm_hexval(peek(t));
        if (h < 0)
            return fail(t, "invalid unicode escape");
        cp = cp * 16 + (uint32_t)h;
        t->p++;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(t, "invalid unicode scalar value in escape");
    return utf8_put(b, cp);
}

static bool bad_ctrl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Body of a basic or literal string (opening quote(s) already consumed). */
static int parse_str_body(struct tp *t, char q, bool multi, struct dm_buf *b)
{
    if (multi)
        eat_newline(t);   /* a newline right after the opening delimiter is trimmed */
    for (;;) {
        if (at_end(t))
            return fail(t, "unterminated string");
        unsigned char c = (unsigned char)*t->p;
        if (c == (unsigned char)q) {
            if (!multi) {
                t->p++;
                return DM_OK;
            }
            if (peek_at(t, 1) == q && peek_at(t, 2) == q) {
                /* up to two extra quotes may belong to the content */
                size_t run = 3;
                while (run < 5 && peek_at(t, run) == q)
                    run++;
                if (dm_buf_add(b, t->p, run - 3) != DM_OK)
                    return fail(t, "string too long");
                t->p += run;
                return DM_OK;
            }
            t->p++;
            if (dm_buf_addc(b, (char)c) != DM_OK)
                return fail(t, "string too long");
            continue;
        }
        if (c == '\n' || (c == '\r' && peek_at(t, 1) == '\n')) {
            if (!multi)
                return fail(t, "newline in single-line string");
            eat_newline(t);
            if (dm_buf_addc(b, '\n') != DM_OK)
                return fail(t, "string too long");
            continue;
        }
        if (c == '\\' && q == '"') {
            if (multi) {
                /* line-ending backslash: trim it, the newline and following blanks */
                const char *s = t->p + 1;
                while (s < t->end && (*s == ' ' || *s == '\t'))
                    s++;
                if (s < t->end && (*s == '\n' || *s == '\r')) {
                    t->p = s;
                    for (;;) {
                        skip_ws(t);
                        if (!eat_newline(t))
                            break;
                    }
                    continue;
                }
            }
            if (parse_escape(t, b) != DM_OK)
                return fail(t, "invalid escape");
            continue;
        }
        if (bad_ctrl(c))
            return fail(t, "control character in string");
        t->p++;
        if (dm_buf_addc(b, (char)c) != DM_OK)
            return fail(t, "string too long");
    }
}

/* Parse any string form at t->p into a malloc'd buffer. */
static int parse_string(struct tp *t, bool allow_multi, struct dm_buf *b)
{
    char q = *t->p;
    bool multi = false;
    if (peek_at(t, 1) == q && peek_at(t, 2) == q) {
        if (!allow_multi)
            return fail(t, "multi-line string not allowed here");
        multi = true;
        t->p += 3;
    } else {
        t->p++;
    }
    return parse_str_body(t, q, multi, b);
}

static json_t *buf_to_json_string(struct tp *t, struct dm_buf *b)
{
    json_t *s = json_stringn(b->data ? b->data : "", b->len);
    if (!s)
        fail(t, "string is not valid UTF-8");
    return s;
}

/* ---- keys ---- */

static bool bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* One key part into `b` (reset first). */
static int parse_key_part(struct tp *t, struct dm_buf *b)
{
    dm_buf_reset(b);
    int c = peek(t);
    if (c == '"' || c == '\'') {
        if (parse_string(t, false, b) != DM_OK)
            return DM_E_PARSE;
        return DM_OK;
    }
    const char *s = t->p;
    while (!at_end(t) && bare_key_char(*t->p))
        t->p++;
    if (t->p == s)
        return fail(t, "expected a key");
    if (dm_buf_add(b, s, (size_t)(t->p - s)) != DM_OK)
        return fail(t, "key too long");
    return DM_OK;
}

/* Dotted key -> array of key strings (new reference). */
static json_t *parse_key(struct tp *t)
{
    struct dm_buf b;
    dm_buf_init(&b, 64 * 1024);
    json_t *parts = json_array();
    if (!parts) {
        fail(t, "out of memory");
        goto bad;
    }
    for (;;) {
        skip_ws(t);
        if (parse_key_part(t, &b) != DM_OK)
            goto bad;
        json_t *s = buf_to_json_string(t, &b);
        if (!s || json_array_append_new(parts, s) != 0)
            goto bad;
        skip_ws(t);
        if (peek(t) != '.')
            break;
        if (json_array_size(parts) >= TOML_MAX_DEPTH) {   /* each part is a table level */
            fail(t, "key has more than %d dotted parts (nesting too deep)", TOML_MAX_DEPTH);
            goto bad;
        }
        t->p++;
    }
    dm_buf_free(&b);
    return parts;
bad:
    dm_buf_free(&b);
    json_decref(parts);
    return NULL;
}

/* ---- numbers, booleans ---- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* Copy digits of `base` from the number token, checking underscores sit between
 * digits. Returns the count of chars copied or -1. */
static int copy_digits(struct tp *t, char *dst, size_t cap, size_t *len, int base)
{
    bool prev_digit = false;
    int count = 0;
    for (;;) {
        int c = peek(t);
        bool dig = base == 16 ? dm_hexval(c) >= 0 : (c >= '0' && c < '0' + base);
        if (c == '_') {
            if (!prev_digit || !(base == 16 ? dm_hexval(peek_at(t, 1)) >= 0
                                            : (peek_at(t, 1) >= '0' && peek_at(t, 1) < '0' + base)))
                return -1;
            t->p++;
            prev_digit = false;
            continue;
        }
        if (!dig)
            break;
        if (*len + 5 >= cap)   /* room for '.', 'e', sign and NUL after us */
            return -1;
        dst[(*len)++] = (char)c;
        t->p++;
        prev_digit = true;
        count++;
    }
    dst[*len] = '\0';
    return count;
}

static json_t *parse_prefixed_int(struct tp *t)
{
    int base = t->p[1] == 'x' ? 16 : t->p[1] == 'o' ? 8 : 2;
    t->p += 2;
    char d[80];
    size_t n = 0;
    if (copy_digits(t, d, sizeof(d), &n, base) <= 0) {
        fail(t, "invalid integer");
        return NULL;
    }
    errno = 0;
    char *e;
    unsigned long long v = strtoull(d, &e, base);
    if (errno || *e || v > INT64_MAX) {
        fail(t, "integer out of range");
        return NULL;
    }
    return json_integer((json_int_t)v);
}

static bool looks_like_datetime(const struct tp *t)
{
    const char *s = t->p;
    size_t left = (size_t)(t->end - s);
    if (left >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
        s[4] == '-')
        return true;
    return left >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':';
}

static json_t *parse_number(struct tp *t)
{
    if (looks_like_datetime(t)) {
        fail(t, "dates and times are not supported");
        return NULL;
    }
    if (peek(t) == '0' && (peek_at(t, 1) == 'x' || peek_at(t, 1) == 'o' || peek_at(t, 1) == 'b'))
        return parse_prefixed_int(t);
    char d[128];
    size_t n = 0;
    if (peek(t) == '+' || peek(t) == '-') {
        d[n++] = *t->p;
        t->p++;
    }
    if (starts(t, "inf") || starts(t, "nan")) {
        fail(t, "inf and nan are not supported");
        return NULL;
    }
    const char *int_start = t->p;
    if (copy_digits(t, d, sizeof(d), &n, 10) <= 0)
        goto bad;
    if (*int_start == '0' && t->p - int_start > 1)
        goto bad;   /* leading zero */
    bool is_float = false;
    if (peek(t) == '.') {
        d[n++] = '.';
        t->p++;
        if (copy_digits(t, d, sizeof(d), &n, 10) <= 0)
            goto bad;
        is_float = true;
    }
    if (peek(t) == 'e' || peek(t) == 'E') {
        d[n++] = 'e';
        t->p++;
        if (peek(t) == '+' || peek(t) == '-') {
            d[n++] = *t->p;
            t->p++;
        }
        if (copy_digits(t, d, sizeof(d), &n, 10) <= 0)
            goto bad;
        is_float = true;
    }
    if (!at_end(t) && (bare_key_char(*t->p) || *t->p == '.' || *t->p == ':'))
        goto bad;
    d[n] = '\0';
    errno = 0;
    char *e;
    if (is_float) {
        double v = strtod(d, &e);
        if (*e || !isfinite(v)) {
            fail(t, "float out of range");
            return NULL;
        }
        return json_real(v);
    }
    long long v = strtoll(d, &e, 10);
    if (errno || *e) {
        fail(t, "integer out of range");
        return NULL;
    }
    return json_integer((json_int_t)v);
bad:
    fail(t, "invalid number");
    return NULL;
}

/* ---- values ---- */

static json_t *parse_value(struct tp *t);
static int set_dotted(struct tp *t, json_t *table, json_t *keys, json_t *value_take);

static json_t *parse_array(struct tp *t)
{
    t->p++;   /* [ */
    json_t *arr = json_array();
    if (!arr || mark_add(t, arr, MARK_INLINE) != DM_OK)
        goto bad;
    for (;;) {
        if (skip_ws_nl(t) != DM_OK)
            goto bad;
        if (peek(t) == ']') {
            t->p++;
            return arr;
        }
        json_t *v = parse_value(t);
        if (!v || json_array_append_new(arr, v) != 0)
            goto bad;
        if (skip_ws_nl(t) != DM_OK)
            goto bad;
        if (peek(t) == ',') {
            t->p++;
            continue;
        }
        if (peek(t) == ']') {
            t->p++;
            return arr;
        }
        fail(t, "expected ',' or ']' in array");
        goto bad;
    }
bad:
    fail(t, "out of memory");
    json_decref(arr);
    return NULL;
}

static json_t *parse_inline_table(struct tp *t)
{
    t->p++;   /* { */
    json_t *obj = json_object();
    if (!obj || mark_add(t, obj, MARK_INLINE) != DM_OK)
        goto bad;
    skip_ws(t);
    if (peek(t) == '}') {
        t->p++;
        return obj;
    }
    for (;;) {
        json_t *keys = parse_key(t);
        if (!keys)
            goto bad;
        skip_ws(t);
        if (peek(t) != '=') {
            json_decref(keys);
            fail(t, "expected '=' in inline table");
            goto bad;
        }
        t->p++;
        skip_ws(t);
        json_t *v = parse_value(t);
        int rc = v ? set_dotted(t, obj, keys, v) : DM_E_PARSE;
        json_decref(keys);
        if (rc != DM_OK)
            goto bad;
        skip_ws(t);
        if (peek(t) == ',') {
            t->p++;
            continue;
        }
        if (peek(t) == '}') {
            t->p++;
            return obj;
        }
        fail(t, "expected ',' or '}' in inline table");
        goto bad;
    }
bad:
    fail(t, "out of memory");
    json_decref(obj);
    return NULL;
}

static json_t *parse_value_inner(struct tp *t)
{
    int c = peek(t);
    if (c == '"' || c == '\'') {
        struct dm_buf b;
        dm_buf_init(&b, TOML_MAX_STR);
        json_t *s = NULL;
        if (parse_string(t, true, &b) == DM_OK)
            s = buf_to_json_string(t, &b);
        dm_buf_free(&b);
        return s;
    }
    if (c == '[')
        return parse_array(t);
    if (c == '{')
        return parse_inline_table(t);
    if (starts(t, "true") && !bare_key_char(peek_at(t, 4))) {
        t->p += 4;
        return json_true();
    }
    if (starts(t, "false") && !bare_key_char(peek_at(t, 5))) {
        t->p += 5;
        return json_false();
    }
    if (c == '+' || c == '-' || is_digit(c) || starts(t, "inf") || starts(t, "nan"))
        return parse_number(t);
    if (c < 0 || c == '\n' || c == '\r' || c == '#')
        fail(t, "missing value");
    else
        fail(t, "invalid value");
    return NULL;
}

static json_t *parse_value(struct tp *t)
{
    if (++t->depth > TOML_MAX_DEPTH) {
        fail(t, "nesting too deep");
        t->depth--;
        return NULL;
    }
    json_t *v = parse_value_inner(t);
    t->depth--;
    return v;
}

/* ---- tables ---- */

/* Walk/create the intermediate table `key` under `table` for a dotted key-value. */
static json_t *descend_dotted(struct tp *t, json_t *table, const char *key)
{
    json_t *child = json_object_get(table, key);
    if (!child) {
        child = json_object();
        if (!child || json_object_set_new(table, key, child) != 0 ||
            mark_add(t, child, MARK_DOTTED) != DM_OK) {
            fail(t, "out of memory");
            return NULL;
        }
        return child;
    }
    unsigned m = mark_get(t, child);
    if (!json_is_object(child) || (m & (MARK_DEFINED | MARK_INLINE))) {
        fail(t, "cannot redefine key '%s'", key);
        return NULL;
    }
    return child;
}

/* table[keys...] = value (takes ownership of value). */
static int set_dotted(struct tp *t, json_t *table, json_t *keys, json_t *value_take)
{
    size_t n = json_array_size(keys);
    for (size_t i = 0; i + 1 < n && table; i++)
        table = descend_dotted(t, table, json_string_value(json_array_get(keys, i)));
    const char *last = json_string_value(json_array_get(keys, n - 1));
    if (!table) {
        json_decref(value_take);
        return DM_E_PARSE;
    }
    if (json_object_get(table, last)) {
        json_decref(value_take);
        return fail(t, "duplicate key '%s'", last);
    }
    if (json_object_set_new(table, last, value_take) != 0)
        return fail(t, "out of memory");
    return DM_OK;
}

/* Resolve the parent path of a [header]: each part an existing table (last element
 * for arrays of tables) or a new implicit table. */
static json_t *descend_header(struct tp *t, json_t *table, const char *key)
{
    json_t *child = json_object_get(table, key);
    if (!child) {
        child = json_object();
        if (!child || json_object_set_new(table, key, child) != 0) {
            fail(t, "out of memory");
            return NULL;
        }
        return child;
    }
    unsigned m = mark_get(t, child);
    if (json_is_array(child) && (m & MARK_AOT))
        return json_array_get(child, json_array_size(child) - 1);
    if (!json_is_object(child) || (m & MARK_INLINE)) {
        fail(t, "cannot redefine key '%s'", key);
        return NULL;
    }
    return child;
}

static int open_table(struct tp *t, json_t *parent, const char *key)
{
    json_t *child = json_object_get(parent, key);
    if (!child) {
        child = json_object();
        if (!child || json_object_set_new(parent, key, child) != 0)
            return fail(t, "out of memory");
    } else {
        unsigned m = mark_get(t, child);
        if (!json_is_object(child) || (m & (MARK_DEFINED | MARK_DOTTED | MARK_INLINE)))
            return fail(t, "table '%s' defined twice", key);
    }
    t->cur = child;
    return mark_add(t, child, MARK_DEFINED);
}

static int open_array_table(struct tp *t, json_t *parent, const char *key)
{
    json_t *arr = json_object_get(parent, key);
    if (!arr) {
        arr = json_array();
        if (!arr || json_object_set_new(parent, key, arr) != 0 ||
            mark_add(t, arr, MARK_AOT) != DM_OK)
            return fail(t, "out of memory");
    } else if (!json_is_array(arr) || !(mark_get(t, arr) & MARK_AOT)) {
        return fail(t, "'%s' is not an array of tables", key);
    }
    json_t *tbl = json_object();
    if (!tbl || json_array_append_new(arr, tbl) != 0)
        return fail(t, "out of memory");
    t->cur = tbl;
    return DM_OK;
}

static int parse_header(struct tp *t)
{
    bool aot = peek_at(t, 1) == '[';
    t->p += aot ? 2 : 1;
    json_t *keys = parse_key(t);
    if (!keys)
        return DM_E_PARSE;
    int rc = DM_E_PARSE;
    if (!starts(t, aot ? "]]" : "]")) {
        fail(t, "expected '%s' after table name", aot ? "]]" : "]");
        goto out;
    }
    t->p += aot ? 2 : 1;
    json_t *tbl = t->root;
    size_t n = json_array_size(keys);
    for (size_t i = 0; i + 1 < n && tbl; i++)
        tbl = descend_header(t, tbl, json_string_value(json_array_get(keys, i)));
    if (!tbl)
        goto out;
    const char *last = json_string_value(json_array_get(keys, n - 1));
    rc = aot ? open_array_table(t, tbl, last) : open_table(t, tbl, last);
    if (rc == DM_OK)
        rc = end_of_line(t);
out:
    json_decref(keys);
    return rc;
}

static int parse_keyval(struct tp *t)
{
    json_t *keys = parse_key(t);
    if (!keys)
        return DM_E_PARSE;
    int rc = DM_E_PARSE;
    skip_ws(t);
    if (peek(t) != '=') {
        fail(t, "expected '=' after key");
        goto out;
    }
    t->p++;
    skip_ws(t);
    json_t *v = parse_value(t);
    if (!v)
        goto out;
    rc = set_dotted(t, t->cur, keys, v);
    if (rc == DM_OK)
        rc = end_of_line(t);
out:
    json_decref(keys);
    return rc;
}

static int parse_document(struct tp *t)
{
    for (;;) {
        if (skip_ws_nl(t) != DM_OK)
            return DM_E_PARSE;
        if (at_end(t))
            return DM_OK;
        int rc = peek(t) == '[' ? parse_header(t) : parse_keyval(t);
        if (rc != DM_OK)
            return fail(t, "syntax error");
    }
}

json_t *toml_parse(const char *text, size_t len, char *err, size_t cap)
{
    struct tp t = { .p = text, .end = text + len, .line = 1, .err = err, .cap = cap };
    if (err && cap)
        err[0] = '\0';
    if (!text && len) {
        fail(&t, "no input");
        return NULL;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        t.p += 3;   /* UTF-8 BOM */
    t.root = json_object();
    if (!t.root) {
        fail(&t, "out of memory");
        return NULL;
    }
    t.cur = t.root;
    if (parse_document(&t) != DM_OK) {
        json_decref(t.root);
        t.root = NULL;
    }
    free(t.marks);
    return t.root;
}


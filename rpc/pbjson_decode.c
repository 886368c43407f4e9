/* pbjson_decode.c - strict JSON -> protobuf-c message, driven by the descriptor.
 *
 * Why a hand-written parser instead of jansson: it decodes straight into the
 * message (no intermediate tree), keeps int64/uint64 exact over their full range
 * (jansson's json_int_t is long long: no uint64 above INT64_MAX), and reports the
 * byte offset of syntax errors and the field path of schema errors. Unknown fields
 * are errors, so the parser never has to skip arbitrary JSON; recursion happens only
 * through message fields and is bounded by PBJSON_MAX_DEPTH.
 *
 * Ownership: every allocation is linked into the message before it is filled, so on
 * any error protobuf_c_message_free_unpacked(root, NULL) releases everything. */
#include <errno.h>
#include <math.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "pbjson.h"
#include "pbjson_priv.h"

#define PATH_MAX_LEN 1024
#define PATH_SHOWN 120 /* longer paths are shown as "..." + their tail */

struct dec {
    const unsigned char *start, *p, *end;
    int depth;
    int rc;
    char *err;
    size_t cap;
    char path[PATH_MAX_LEN];
    size_t plen;
};

static int parse_message(struct dec *d, const ProtobufCMessageDescriptor *desc,
                         ProtobufCMessage *m);

/* ---- errors and path ----------------------------------------------------------- */

static int fail(struct dec *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct dec *d, int rc, const char *fmt, ...)
{
    if (d->rc != DM_OK)
        return d->rc;
    d->rc = rc;
    if (!d->err || d->cap == 0)
        return rc;
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (d->plen > PATH_SHOWN)
        snprintf(d->err, d->cap, "...%s: %s", d->path + d->plen - (PATH_SHOWN - 3), reason);
    else
        snprintf(d->err, d->cap, "%s: %s", d->plen ? d->path : "(root)", reason);
    return rc;
}

static int syntax(struct dec *d, const char *what)
{
    return fail(d, DM_E_PARSE, "syntax error at offset %zu: %s", (size_t)(d->p - d->start),
                what);
}

static int nomem(struct dec *d) { return fail(d, DM_E_NOMEM, "out of memory"); }

/* Append to the path (truncating silently, it is only for messages); returns the
 * length to restore with path_pop. Quotes and controls in keys become '?'. */
static size_t path_push(struct dec *d, const char *sep, const char *seg)
{
    size_t saved = d->plen;
    char tmp[PATH_MAX_LEN];
    snprintf(tmp, sizeof(tmp), "%s%s", d->plen ? sep : "", seg);
    for (char *c = tmp; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == '"')
            *c = '?';
    size_t n = strlen(tmp);
    if (n > sizeof(d->path) - 1 - d->plen)
        n = sizeof(d->path) - 1 - d->plen;
    memcpy(d->path + d->plen, tmp, n);
    d->plen += n;
    d->path[d->plen] = '\0';
    return saved;
}

static size_t path_push_index(struct dec *d, size_t i)
{
    char seg[32];
    snprintf(seg, sizeof(seg), "[%zu]", i);
    size_t saved = d->plen;
    size_t n = strlen(seg);
    if (n <= sizeof(d->path) - 1 - d->plen) {
        memcpy(d->path + d->plen, seg, n + 1);
        d->plen += n;
    }
    return saved;
}

static void path_pop(struct dec *d, size_t saved)
{
    d->plen = saved;
    d->path[saved] = '\0';
}

/* ---- lexer --------------------------------------------------------------------- */

static void skip_ws(struct dec *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
        d->p++;
}

static int peek(const struct dec *d) { return d->p < d->end ? *d->p : -1; }

static int at_literal(const struct dec *d, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(d->end - d->p) >= n && memcmp(d->p, lit, n) == 0;
}

/* Length of a JSON number at s[0..n) (0 if none); *is_int = no fraction/exponent. */
static size_t scan_number(const unsigned char *s, size_t n, int *is_int)
{
    size_t i = 0;
    *is_int = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        size_t j = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j)
            return 0;
        *is_int = 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t j = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j)
            return 0;
        *is_int = 0;
    }
    return i;
}

static int hex4(const unsigned char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        unsigned x;
        if (c >= '0' && c <= '9')
            x = c - '0';
        else if (c >= 'a' && c <= 'f')
            x = c - 'a' + 10u;
        else if (c >= 'A' && c <= 'F')
            x = c - 'A' + 10u;
        else
            return -1;
        *v = (*v << 4) | x;
    }
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX at d->p (after the backslash-u), surrogate pairs joined. */
static int parse_u_escape(struct dec *d, uint32_t *cp)
{
    if (d->end - d->p < 4 || hex4(d->p, cp) != 0)
        return syntax(d, "invalid \\u escape");
    d->p += 4;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return syntax(d, "lone low surrogate in \\u escape");
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return DM_OK;
    uint32_t lo;
    if (d->end - d->p < 6 || d->p[0] != '\\' || d->p[1] != 'u' || hex4(d->p + 2, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
        return syntax(d, "lone high surrogate in \\u escape");
    d->p += 6;
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    return DM_OK;
}

static int parse_escape(struct dec *d, char *o, size_t *k)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    unsigned char c = *d->p++;
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        o[(*k)++] = to[hit - from];
        return DM_OK;
    }
    if (c != 'u') {
        d->p--;
        return syntax(d, "invalid escape in string");
    }
    uint32_t cp;
    int rc = parse_u_escape(d, &cp);
    if (rc == DM_OK)
        *k += put_utf8(o + *k, cp);
    return rc;
}

/* JSON string at d->p (which is '"') -> malloc'd NUL-terminated UTF-8 in *out. */
static int parse_string(struct dec *d, char **out, size_t *outlen)
{
    const unsigned char *q = d->p + 1;
    while (q < d->end && *q != '"')
        q += (*q == '\\' && q + 1 < d->end) ? 2 : 1;
    if (q >= d->end)
        return syntax(d, "unterminated string");
    char *o = malloc((size_t)(q - d->p));
    if (!o)
        return nomem(d);
    size_t k = 0;
    int rc = DM_OK;
    d->p++;
    while (rc == DM_OK && *d->p != '"') {
        unsigned char c = *d->p;
        uint32_t cp;
        size_t n;
        if (c < 0x20) {
            rc = syntax(d, "control character in string");
        } else if (c == '\\') {
            d->p++;
            rc = parse_escape(d, o, &k);
        } else if (c < 0x80) {
            o[k++] = (char)*d->p++;
        } else if ((n = dm_utf8_decode(d->p, (size_t)(d->end - d->p), &cp)) == 0) {
            rc = syntax(d, "invalid UTF-8 in string");
        } else {
            memcpy(o + k, d->p, n);
            k += n;
            d->p += n;
        }
    }
    if (rc != DM_OK) {
        free(o);
        return rc;
    }
    d->p++;
    o[k] = '\0';
    *out = o;
    *outlen = k;
    return DM_OK;
}

/* ---- scalars ------------------------------------------------------------------- */

/* -?digits -> sign + magnitude. 0 ok, -1 not an integer, -2 overflow. */
static int text_to_mag(const unsigned char *s, size_t n, int *neg, uint64_t *mag)
{
    int is_int;
    if (n == 0 || scan_number(s, n, &is_int) != n || !is_int)
        return -1;
    *neg = s[0] == '-';
    *mag = 0;
    for (size_t i = (size_t)*neg; i < n; i++) {
        unsigned dgt = s[i] - '0';
        if (*mag > (UINT64_MAX - dgt) / 10)
            return -2;
        *mag = *mag * 10 + dgt;
    }
    return 0;
}

enum int_kind { IK_I32, IK_U32, IK_I64, IK_U64 };

static enum int_kind int_kind(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: return IK_U32;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: return IK_I64;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return IK_U64;
    default: return IK_I32; /* int32 family and enums */
    }
}

/* Store sign/magnitude into slot for an integer or enum type; -2 if out of range. */
static int store_int(ProtobufCType t, int neg, uint64_t mag, void *slot)
{
    static const uint64_t pos_max[] = {INT32_MAX, UINT32_MAX, INT64_MAX, UINT64_MAX};
    static const uint64_t neg_max[] = {(uint64_t)INT32_MAX + 1, 0, (uint64_t)INT64_MAX + 1, 0};
    enum int_kind k = int_kind(t);
    if (neg ? mag > neg_max[k] : mag > pos_max[k])
        return -2;
    int64_t sv = !neg ? (int64_t)mag : mag > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)mag;
    switch (k) {
    case IK_U32: *(uint32_t *)slot = (uint32_t)mag; break;
    case IK_I64: *(int64_t *)slot = sv; break;
    case IK_U64: *(uint64_t *)slot = mag; break;
    case IK_I32:
        if (t == PROTOBUF_C_TYPE_ENUM)
            *(int *)slot = (int)sv;
        else
            *(int32_t *)slot = (int32_t)sv;
        break;
    }
    return 0;
}

static const char *const kind_names[] = {"int32", "uint32", "int64", "uint64"};

/* Integer field: a JSON number or a string holding one. */
static int parse_int(struct dec *d, const ProtobufCFieldDescriptor *f, void *slot)
{
    char *tmp = NULL;
    const unsigned char *s = d->p;
    size_t n = 0;
    int is_int, neg = 0, rc = DM_OK;
    uint64_t mag = 0;
    if (peek(d) == '"') {
        rc = parse_string(d, &tmp, &n);
        s = (const unsigned char *)tmp;
    } else if (peek(d) == '-' || (peek(d) >= '0' && peek(d) <= '9')) {
        n = scan_number(d->p, (size_t)(d->end - d->p), &is_int);
        if (n == 0)
            rc = syntax(d, "invalid number");
        d->p += n;
    } else {
        rc = fail(d, DM_E_INVAL, "expected integer");
    }
    if (rc == DM_OK) {
        int r = text_to_mag(s, n, &neg, &mag);
        if (r == 0)
            r = store_int(f->type, neg, mag, slot);
        if (r == -1)
            rc = fail(d, DM_E_INVAL, "expected integer, got \"%.*s\"", (int)(n > 40 ? 40 : n), s);
        else if (r == -2)
            rc = fail(d, DM_E_INVAL, "value %.*s out of range for %s", (int)(n > 40 ? 40 : n), s,
                      f->type == PROTOBUF_C_TYPE_ENUM ? "enum" : kind_names[int_kind(f->type)]);
    }
    free(tmp);
    return rc;
}

static int text_to_double(const char *s, size_t n, double *v)
{
    if (strcmp(s, "NaN") == 0) {
        *v = NAN;
        return 0;
    }
    if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
        *v = s[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    int is_int;
    if (n == 0 || scan_number((const unsigned char *)s, n, &is_int) != n)
        return -1;
    errno = 0;
    *v = strtod(s, NULL);
    return isinf(*v) ? -2 : 0;
}

static int parse_float(struct dec *d, const ProtobufCFieldDescriptor *f, void *slot)
{
    char *tmp = NULL;
    size_t n = 0;
    int is_int, rc = DM_OK;
    if (peek(d) == '"') {
        rc = parse_string(d, &tmp, &n);
    } else if ((n = scan_number(d->p, (size_t)(d->end - d->p), &is_int)) > 0) {
        tmp = strndup((const char *)d->p, n);
        d->p += n;
        if (!tmp)
            rc = nomem(d);
    } else {
        rc = fail(d, DM_E_INVAL, "expected number");
    }
    double v = 0;
    int r = rc == DM_OK ? text_to_double(tmp, n, &v) : 0;
    if (r == 0 && rc == DM_OK && f->type == PROTOBUF_C_TYPE_FLOAT && isfinite(v) &&
        fabs(v) > FLT_MAX)
        r = -2;
    if (r == -1)
        rc = fail(d, DM_E_INVAL, "expected number");
    else if (r == -2)
        rc = fail(d, DM_E_INVAL, "number out of range for %s",
                  f->type == PROTOBUF_C_TYPE_FLOAT ? "float" : "double");
    else if (rc == DM_OK && f->type == PROTOBUF_C_TYPE_FLOAT)
        *(float *)slot = (float)v;
    else if (rc == DM_OK)
        *(double *)slot = v;
    free(tmp);
    return rc;
}

static int parse_bool(struct dec *d, void *slot)
{
    if (at_literal(d, "true") || at_literal(d, "false")) {
        *(protobuf_c_boolean *)slot = *d->p == 't';
        d->p += *d->p == 't' ? 4 : 5;
        return DM_OK;
    }
    return fail(d, DM_E_INVAL, "expected true or false");
}

static int parse_enum(struct dec *d, const ProtobufCFieldDescriptor *f, void *slot)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    if (peek(d) != '"') {
        if (peek(d) == '-' || (peek(d) >= '0' && peek(d) <= '9'))
            return parse_int(d, f, slot);
        return fail(d, DM_E_INVAL, "expected enum name or number");
    }
    char *name = NULL;
    size_t n;
    int rc = parse_string(d, &name, &n);
    if (rc != DM_OK)
        return rc;
    const ProtobufCEnumValue *ev =
        strlen(name) == n ? protobuf_c_enum_descriptor_get_value_by_name(ed, name) : NULL;
    if (ev)
        *(int *)slot = ev->value;
    else
        rc = fail(d, DM_E_INVAL, "unknown value \"%.60s\" for enum %s", name, ed->name);
    free(name);
    return rc;
}

static int parse_str(struct dec *d, void *slot)
{
    if (peek(d) != '"')
        return fail(d, DM_E_INVAL, "expected string");
    char *s = NULL;
    size_t n;
    int rc = parse_string(d, &s, &n);
    if (rc != DM_OK)
        return rc;
    if (strlen(s) != n) {
        free(s);
        return fail(d, DM_E_INVAL, "string contains a NUL character");
    }
    *(char **)slot = s;
    return DM_OK;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 with padding, decoded in place (output never longer). */
static int b64_decode(char *s, size_t n, size_t *outlen)
{
    if (n % 4 != 0)
        return -1;
    size_t pad = n && s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int x = (i + j >= n - pad) ? 0 : b64val((unsigned char)s[i + j]);
            if (x < 0)
                return -1;
            v = (v << 6) | (uint32_t)x;
        }
        size_t keep = (i + 4 == n) ? 3 - pad : 3;
        for (size_t j = 0; j < keep; j++)
            s[k++] = (char)(v >> (16 - 8 * j));
    }
    *outlen = k;
    return 0;
}

static int parse_bytes(struct dec *d, void *slot)
{
    if (peek(d) != '"')
        return fail(d, DM_E_INVAL, "expected base64 string");
    char *s = NULL;
    size_t n, len = 0;
    int rc = parse_string(d, &s, &n);
    if (rc != DM_OK)
        return rc;
    if (b64_decode(s, n, &len) != 0) {
        free(s);
        return fail(d, DM_E_INVAL, "invalid base64");
    }
    ProtobufCBinaryData *bd = slot;
    bd->data = (uint8_t *)s;
    bd->len = len;
    return DM_OK;
}

/* Any non-message value into slot; slot is written only on success. */
static int parse_scalar(struct dec *d, const ProtobufCFieldDescriptor *f, void *slot)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: return parse_float(d, f, slot);
    case PROTOBUF_C_TYPE_BOOL: return parse_bool(d, slot);
    case PROTOBUF_C_TYPE_ENUM: return parse_enum(d, f, slot);
    case PROTOBUF_C_TYPE_STRING: return parse_str(d, slot);
    case PROTOBUF_C_TYPE_BYTES: return parse_bytes(d, slot);
    case PROTOBUF_C_TYPE_MESSAGE: return fail(d, DM_E_INTERNAL, "message as scalar");
    default: return parse_int(d, f, slot);
    }
}

/* ---- messages ------------------------------------------------------------------ */

/* New message of type desc stored into *slot (owned by the parent from now on),
 * then filled from the object at d->p. */
static int parse_submessage(struct dec *d, const ProtobufCMessageDescriptor *desc,
                            ProtobufCMessage **slot)
{
    if (peek(d) != '{')
        return fail(d, DM_E_INVAL, "expected object");
    ProtobufCMessage *sub = malloc(desc->sizeof_message);
    if (!sub)
        return nomem(d);
    protobuf_c_message_init(desc, sub);
    *slot = sub;
    return parse_message(d, desc, sub);
}

static int grow_array(struct dec *d, void **arr, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return DM_OK;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *tmp = realloc(*arr, ncap * sz);
    if (!tmp)
        return nomem(d);
    *arr = tmp;
    *cap = ncap;
    return DM_OK;
}

static int parse_element(struct dec *d, const ProtobufCFieldDescriptor *f, void **arr,
                         size_t *n)
{
    if (at_literal(d, "null"))
        return fail(d, DM_E_INVAL, "null is not allowed in an array");
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
        int rc = parse_scalar(d, f, (char *)*arr + *n * pbjson_elem_size(f->type));
        if (rc == DM_OK)
            (*n)++;
        return rc;
    }
    ProtobufCMessage **elems = *arr;
    elems[*n] = NULL;
    int rc = parse_submessage(d, f->descriptor, &elems[*n]);
    if (elems[*n])
        (*n)++; /* linked even when partially filled: freed with the parent */
    return rc;
}

static int parse_repeated(struct dec *d, const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    size_t *n = (size_t *)((char *)m + f->quantifier_offset);
    void **arr = (void **)((char *)m + f->offset);
    size_t cap = 0;
    if (peek(d) != '[')
        return fail(d, DM_E_INVAL, "expected array");
    d->p++;
    skip_ws(d);
    if (peek(d) == ']') {
        d->p++;
        return DM_OK;
    }
    for (size_t i = 0;; i++) {
        size_t saved = path_push_index(d, i);
        skip_ws(d);
        int rc = grow_array(d, arr, *n, &cap, pbjson_elem_size(f->type));
        if (rc == DM_OK)
            rc = parse_element(d, f, arr, n);
        if (rc != DM_OK)
            return rc;
        path_pop(d, saved);
        skip_ws(d);
        int c = peek(d);
        if (c != ',' && c != ']')
            return syntax(d, "expected ',' or ']'");
        d->p++;
        if (c == ']')
            return DM_OK;
    }
}

static int parse_oneof(struct dec *d, const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    uint32_t *which = (uint32_t *)((char *)m + f->quantifier_offset);
    if (*which != 0 && *which != f->id) {
        const ProtobufCFieldDescriptor *o = protobuf_c_message_descriptor_get_field(desc, *which);
        return fail(d, DM_E_INVAL, "oneof already set by field \"%s\"", o ? o->name : "?");
    }
    void *slot = (char *)m + f->offset;
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
        int rc = parse_scalar(d, f, slot);
        if (rc == DM_OK)
            *which = f->id;
        return rc;
    }
    ProtobufCMessage **sub = slot;
    *sub = NULL;
    int rc = parse_submessage(d, f->descriptor, sub);
    if (*sub)
        *which = f->id;
    return rc;
}

static int parse_field(struct dec *d, const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    if (at_literal(d, "null")) { /* null = default: leave the field unset */
        d->p += 4;
        return DM_OK;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return parse_repeated(d, f, m);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return parse_oneof(d, f, m);
    void *slot = (char *)m + f->offset;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return parse_submessage(d, f->descriptor, slot);
    int rc = parse_scalar(d, f, slot);
    if (rc == DM_OK && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
    return rc;
}

/* The field named `key` (proto name, or its lowerCamel JSON name), or NULL. */
static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *desc,
                                                  const char *key, size_t keylen)
{
    if (strlen(key) != keylen)
        return NULL;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, key);
    if (f)
        return f;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const char *s = desc->fields[i].name;
        if (!strchr(s, '_'))
            continue;
        char camel[128];
        size_t k = 0;
        for (int up = 0; *s && k + 1 < sizeof(camel); s++) {
            if (*s == '_') {
                up = 1;
                continue;
            }
            camel[k++] = up && *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
            up = 0;
        }
        camel[k] = '\0';
        if (strcmp(camel, key) == 0)
            return &desc->fields[i];
    }
    return NULL;
}

/* One "key": value member of an object; seen[] flags fields already given. */
static int parse_member(struct dec *d, const ProtobufCMessageDescriptor *desc,
                        ProtobufCMessage *m, unsigned char *seen)
{
    char *key = NULL;
    size_t keylen;
    if (peek(d) != '"')
        return syntax(d, "expected string key");
    int rc = parse_string(d, &key, &keylen);
    if (rc != DM_OK)
        return rc;
    const ProtobufCFieldDescriptor *f = find_field(desc, key, keylen);
    size_t saved = path_push(d, ".", f ? f->name : key);
    free(key);
    if (!f)
        return fail(d, DM_E_INVAL, "unknown field");
    if (seen[f - desc->fields]++)
        return fail(d, DM_E_INVAL, "duplicate field");
    skip_ws(d);
    if (peek(d) != ':')
        return syntax(d, "expected ':'");
    d->p++;
    skip_ws(d);
    rc = parse_field(d, f, m);
    if (rc == DM_OK)
        path_pop(d, saved);
    return rc;
}

static int parse_members(struct dec *d, const ProtobufCMessageDescriptor *desc,
                         ProtobufCMessage *m, unsigned char *seen)
{
    skip_ws(d);
    if (peek(d) == '}') {
        d->p++;
        return DM_OK;
    }
    for (;;) {
        skip_ws(d);
        int rc = parse_member(d, desc, m, seen);
        if (rc != DM_OK)
            return rc;
        skip_ws(d);
        int c = peek(d);
        if (c != ',' && c != '}')
            return syntax(d, "expected ',' or '}'");
        d->p++;
        if (c == '}')
            return DM_OK;
    }
}

static int parse_message(struct dec *d, const ProtobufCMessageDescriptor *desc,
                         ProtobufCMessage *m)
{
    if (d->depth >= PBJSON_MAX_DEPTH)
        return fail(d, DM_E_INVAL, "nesting deeper than %d messages", PBJSON_MAX_DEPTH);
    unsigned char *seen = calloc(desc->n_fields + 1, 1);
    if (!seen)
        return nomem(d);
    d->depth++;
    d->p++; /* '{' checked by the caller */
    int rc = parse_members(d, desc, m, seen);
    d->depth--;
    free(seen);
    return rc;
}

static int parse_root(struct dec *d, const ProtobufCMessageDescriptor *desc, ProtobufCMessage *m)
{
    skip_ws(d);
    int c = peek(d);
    if (c != '{') {
        if (c == -1)
            return syntax(d, "unexpected end of input");
        if (c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || at_literal(d, "true") ||
            at_literal(d, "false") || at_literal(d, "null"))
            return fail(d, DM_E_INVAL, "expected object");
        return syntax(d, "unexpected character");
    }
    int rc = parse_message(d, desc, m);
    if (rc != DM_OK)
        return rc;
    skip_ws(d);
    return d->p == d->end ? DM_OK : syntax(d, "unexpected data after the JSON value");
}

int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                  ProtobufCMessage **out, char *err, size_t cap)
{
    struct dec d = {0};
    d.start = d.p = (const unsigned char *)(json ? json : "");
    d.end = d.start + (json ? len : 0);
    d.err = err;
    d.cap = cap;
    *out = NULL;
    if (err && cap)
        err[0] = '\0';
    ProtobufCMessage *m = malloc(desc->sizeof_message);
    if (!m)
        return nomem(&d);
    protobuf_c_message_init(desc, m);
    int rc = parse_root(&d, desc, m);
    if (rc != DM_OK) {
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return DM_OK;
}

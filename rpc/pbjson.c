/* pbjson.c - descriptor-driven JSON encoder (golang/protobuf v1.3.4 jsonpb layout).
 * The decoder lives in pbjson_decode.c. Layout rules are in pbjson.h and
 * dm-v1-wire.md §4; the jsonpb algorithm mirrored here is:
 *   object(L):  "{" [\n] fields joined by ",\n" (each: indent(L+1) "key": value(L))
 *               [\n indent(L)] "}"
 *   value(L):   message -> object(L+1); repeated -> "[" elems "\n" indent(L+1) "]"
 *               where each elem is "\n" indent(L+2) value(L+1).
 * Compact styles drop every newline/indent and the space after ':'. */
#include "pbjson.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "pbjson_priv.h"

struct enc {
    struct dm_buf *out;
    enum pbjson_style style;
};

static int emit_object(struct enc *e, const ProtobufCMessage *msg, unsigned level);
static int emit_value(struct enc *e, const ProtobufCFieldDescriptor *f, const void *p,
                      unsigned level);

/* ---- UTF-8 and Go string escaping ---------------------------------------------- */

/* Go's htmlSafeSet: printable ASCII except " \ < > & */
static int go_safe(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' &&
           c != '&';
}

static int add_ascii_escape(struct dm_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':  return dm_buf_add(b, "\\\"", 2);
    case '\\': return dm_buf_add(b, "\\\\", 2);
    case '\n': return dm_buf_add(b, "\\n", 2);
    case '\r': return dm_buf_add(b, "\\r", 2);
    case '\t': return dm_buf_add(b, "\\t", 2);
    default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        return dm_buf_add(b, u, sizeof(u));
    }
    }
}

int pbjson_add_go_str(struct dm_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start = 0, i = 0;
    int rc = dm_buf_addc(b, '"');
    while (rc == DM_OK && i < n) {
        if (s[i] < 0x80 && go_safe(s[i])) {
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t len = s[i] < 0x80 ? 1 : dm_utf8_decode(s + i, n - i, &cp);
        if (len > 1 && cp != 0x2028 && cp != 0x2029) {
            i += len;
            continue;
        }
        rc = dm_buf_add(b, s + start, i - start);
        if (rc != DM_OK)
            break;
        if (s[i] < 0x80)
            rc = add_ascii_escape(b, s[i]);
        else if (len == 0)
            rc = dm_buf_add(b, "\\ufffd", 6);
        else
            rc = dm_buf_add(b, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
        i += len ? len : 1;
        start = i;
    }
    if (rc == DM_OK)
        rc = dm_buf_add(b, s + start, n - start);
    if (rc == DM_OK)
        rc = dm_buf_addc(b, '"');
    return rc;
}

/* ---- scalars ------------------------------------------------------------------- */

static int pretty(const struct enc *e) { return e->style == PBJSON_DMCTL; }

static int emit_indent(struct enc *e, unsigned level)
{
    int rc = DM_OK;
    for (unsigned i = 0; rc == DM_OK && i < level; i++)
        rc = dm_buf_add(e->out, "    ", 4);
    return rc;
}

static int emit_newline_indent(struct enc *e, unsigned level)
{
    if (!pretty(e))
        return DM_OK;
    int rc = dm_buf_addc(e->out, '\n');
    return rc == DM_OK ? emit_indent(e, level) : rc;
}

static int emit_base64(struct dm_buf *b, const uint8_t *d, size_t n)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = dm_buf_addc(b, '"');
    for (size_t i = 0; rc == DM_OK && i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        char q[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
                     i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
        rc = dm_buf_add(b, q, 4);
    }
    return rc == DM_OK ? dm_buf_addc(b, '"') : rc;
}

/* Shortest decimal digits that read back as `v` (as float when is_float): digits
 * without dot into dig (trailing zeros cut), returns the decimal exponent of the
 * first digit (v = d.ddd x 10^exp). */
static int shortest_digits(double v, int is_float, char *dig, size_t cap)
{
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        double back = strtod(tmp, NULL);
        if (is_float ? (float)back == (float)v : back == v)
            break;
    }
    size_t k = 0;
    const char *p = tmp;
    for (; *p && *p != 'e' && k + 1 < cap; p++)
        if (*p >= '0' && *p <= '9')
            dig[k++] = *p;
    while (k > 1 && dig[k - 1] == '0')
        k--;
    dig[k] = '\0';
    return *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
}

/* Go encoding/json float formatting (strconv 'f' / 'e' with -1 precision). */
static int emit_go_float(struct dm_buf *b, double v, int is_float)
{
    if (isnan(v))
        return dm_buf_adds(b, "\"NaN\"");
    if (isinf(v))
        return dm_buf_adds(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    if (v == 0)
        return dm_buf_adds(b, signbit(v) ? "-0" : "0");
    char dig[32];
    double a = fabs(v);
    int exp = shortest_digits(a, is_float, dig, sizeof(dig));
    size_t nd = strlen(dig);
    int rc = v < 0 ? dm_buf_addc(b, '-') : DM_OK;
    int use_e = is_float ? ((float)a < 1e-6f || (float)a >= 1e21f) : (a < 1e-6 || a >= 1e21);
    if (rc != DM_OK)
        return rc;
    if (use_e) { /* d[.ddd]e±XX, Go trims "e-0X" to "e-X" */
        rc = dm_buf_addc(b, dig[0]);
        if (rc == DM_OK && nd > 1)
            rc = dm_buf_printf(b, ".%s", dig + 1);
        if (rc == DM_OK)
            rc = exp < 0 ? dm_buf_printf(b, "e-%d", -exp) : dm_buf_printf(b, "e+%02d", exp);
        return rc;
    }
    if (exp < 0) {
        rc = dm_buf_adds(b, "0.");
        for (int i = 0; rc == DM_OK && i < -exp - 1; i++)
            rc = dm_buf_addc(b, '0');
        return rc == DM_OK ? dm_buf_adds(b, dig) : rc;
    }
    for (int i = 0; rc == DM_OK && i <= exp; i++)
        rc = dm_buf_addc(b, (size_t)i < nd ? dig[i] : '0');
    if (rc == DM_OK && nd > (size_t)exp + 1)
        rc = dm_buf_printf(b, ".%s", dig + exp + 1);
    return rc;
}

/* Decimal digits of v (the hot path of every answer: no printf). */
static int add_u64(struct dm_buf *b, uint64_t v, bool neg, bool quoted)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    if (quoted)
        *--p = '"';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        *--p = '-';
    if (quoted)
        *--p = '"';
    return dm_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int add_i64(struct dm_buf *b, int64_t v, bool quoted)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return add_u64(b, mag, v < 0, quoted);
}

static int emit_enum(struct enc *e, const ProtobufCFieldDescriptor *f, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    if (!ev)
        return add_i64(e->out, v, false);
    int rc = dm_buf_addc(e->out, '"');
    rc = rc ? rc : dm_buf_adds(e->out, ev->name);
    return rc ? rc : dm_buf_addc(e->out, '"');
}

static int emit_scalar(struct enc *e, const ProtobufCFieldDescriptor *f, const void *p)
{
    struct dm_buf *b = e->out;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: return add_i64(b, *(const int32_t *)p, false);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: return add_u64(b, *(const uint32_t *)p, false, false);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: return add_i64(b, *(const int64_t *)p, true);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return add_u64(b, *(const uint64_t *)p, false, true);
    case PROTOBUF_C_TYPE_FLOAT: return emit_go_float(b, *(const float *)p, 1);
    case PROTOBUF_C_TYPE_DOUBLE: return emit_go_float(b, *(const double *)p, 0);
    case PROTOBUF_C_TYPE_BOOL:
        return dm_buf_adds(b, *(const protobuf_c_boolean *)p ? "true" : "false");
    case PROTOBUF_C_TYPE_ENUM: return emit_enum(e, f, *(const int *)p);
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return s ? pbjson_add_go_str(b, s, strlen(s)) : dm_buf_adds(b, "\"\"");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = p;
        if (!bd->data && bd->len == 0)
            return dm_buf_adds(b, "null");
        return emit_base64(b, bd->data, bd->len);
    }
    case PROTOBUF_C_TYPE_MESSAGE: break;
    }
    return DM_E_INTERNAL;
}

/* ---- fields -------------------------------------------------------------------- */

size_t pbjson_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    }
    return 0;
}

static int emit_repeated(struct enc *e, const ProtobufCFieldDescriptor *f,
                         const ProtobufCMessage *msg, unsigned level)
{
    const char *base = (const char *)msg;
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(char *const *)(base + f->offset);
    size_t sz = pbjson_elem_size(f->type);
    int rc = dm_buf_addc(e->out, '[');
    for (size_t i = 0; rc == DM_OK && i < n; i++) {
        if (i > 0)
            rc = dm_buf_addc(e->out, ',');
        if (rc == DM_OK)
            rc = emit_newline_indent(e, level + 2);
        if (rc == DM_OK)
            rc = emit_value(e, f, arr + i * sz, level + 1);
    }
    if (rc == DM_OK)
        rc = emit_newline_indent(e, level + 1);
    return rc == DM_OK ? dm_buf_addc(e->out, ']') : rc;
}

/* One value (a singular field or a repeated element) at object level `level`. */
static int emit_value(struct enc *e, const ProtobufCFieldDescriptor *f, const void *p,
                      unsigned level)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return emit_scalar(e, f, p);
    const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
    if (!sub)
        return dm_buf_adds(e->out, "null");
    return emit_object(e, sub, level + 1);
}

static int is_zero_scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p == 0;
    case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->data == NULL;
    case PROTOBUF_C_TYPE_MESSAGE: return *(const ProtobufCMessage *const *)p == NULL;
    default: break;
    }
    size_t sz = pbjson_elem_size(f->type);
    static const unsigned char zero[8];
    return memcmp(p, zero, sz) == 0;
}

/* proto2-style optional scalar with has_ flag: 1 if the flag is clear. */
static int is_absent_optional(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    if (f->label != PROTOBUF_C_LABEL_OPTIONAL || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return 0;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
        return *(void *const *)((const char *)m + f->offset) == NULL;
    return !*(const protobuf_c_boolean *)((const char *)m + f->quantifier_offset);
}

/* The field to print for descriptor slot i (resolving oneofs), or NULL to skip. */
static const ProtobufCFieldDescriptor *field_to_emit(const ProtobufCMessageDescriptor *d,
                                                     const ProtobufCMessage *m, unsigned i)
{
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return f;
    for (unsigned j = 0; j < i; j++) /* printed at its first member already? */
        if ((d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            d->fields[j].quantifier_offset == f->quantifier_offset)
            return NULL;
    uint32_t which = *(const uint32_t *)((const char *)m + f->quantifier_offset);
    for (unsigned j = i; j < d->n_fields; j++)
        if ((d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            d->fields[j].quantifier_offset == f->quantifier_offset && d->fields[j].id == which)
            return &d->fields[j];
    return NULL;
}

static int gateway_omits(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    const char *p = (const char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)((const char *)m + f->quantifier_offset) == 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return 0;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL) /* explicit presence (proto2, has_) */
        return is_absent_optional(f, m);
    return is_zero_scalar(f, p);
}

static int emit_field(struct enc *e, const ProtobufCFieldDescriptor *f,
                      const ProtobufCMessage *m, unsigned level)
{
    int rc = pretty(e) ? emit_indent(e, level + 1) : DM_OK;
    rc = rc ? rc : dm_buf_addc(e->out, '"');
    rc = rc ? rc : dm_buf_adds(e->out, f->name);
    rc = rc ? rc : (pretty(e) ? dm_buf_add(e->out, "\": ", 3) : dm_buf_add(e->out, "\":", 2));
    if (rc != DM_OK)
        return rc;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return emit_repeated(e, f, m, level);
    if (is_absent_optional(f, m))
        return dm_buf_adds(e->out, "null");
    return emit_value(e, f, (const char *)m + f->offset, level);
}

static int emit_object(struct enc *e, const ProtobufCMessage *msg, unsigned level)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    int first = 1;
    int rc = dm_buf_adds(e->out, pretty(e) ? "{\n" : "{");
    for (unsigned i = 0; rc == DM_OK && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = field_to_emit(d, msg, i);
        if (!f || (e->style == PBJSON_GATEWAY && gateway_omits(f, msg)))
            continue;
        if (!first)
            rc = dm_buf_adds(e->out, pretty(e) ? ",\n" : ",");
        if (rc == DM_OK)
            rc = emit_field(e, f, msg, level);
        first = 0;
    }
    if (rc == DM_OK)
        rc = emit_newline_indent(e, level);
    return rc == DM_OK ? dm_buf_addc(e->out, '}') : rc;
}

int pbjson_encode(const ProtobufCMessage *msg, enum pbjson_style style, struct dm_buf *out)
{
    struct enc e = {out, style};
    size_t start = out->len;
    if (!out->data)
        dm_buf_reserve(out, 1000);   /* typical answers fit: no doubling from 64 bytes (best effort) */
    int rc = msg ? emit_object(&e, msg, 0) : dm_buf_adds(out, "null");
    if (rc != DM_OK && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

char *pbjson_encode_str(const ProtobufCMessage *msg, enum pbjson_style style)
{
    struct dm_buf b;
    dm_buf_init(&b, SIZE_MAX / 2);
    if (pbjson_encode(msg, style, &b) != DM_OK) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

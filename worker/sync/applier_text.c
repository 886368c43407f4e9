/* applier_text.c - byte-exact literals for character data (applier_int.h
 * worker_ap_add_col_value). The DML connections talk utf8mb4; a quoted literal is
 * converted from utf8mb4 to the column's charset by the server, which is lossless only
 * for valid UTF-8 into utf8 columns and for ASCII into ASCII-compatible charsets. Every
 * other value (latin1 0xE9, gbk, big5, sjis, ucs2/utf16/utf32, invalid sequences) is sent
 * as `_<column charset> X'<hex>'`: the server takes the bytes as they are, as the source
 * stored them. Binary columns get X'<hex>' (binary string, no conversion). A column whose
 * source charset is another one (tinfo.conv, applier_srcdef.c) gets `_<source charset>
 * X'<hex>'`: the server converts the source's characters into the column's charset
 * (worker_ap_conv_check has made sure it can, exactly). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applier_int.h"
#include "buf.h"

/* Charsets whose bytes 0x00-0x7F are exactly ASCII (allow-list; everything else is
 * written as hex with an introducer). */
static const char *const ascii_sets[] = {
    "ascii", "latin1", "latin2", "latin5", "latin7", "cp1250", "cp1251", "cp1256", "cp1257",
    "cp850", "cp852", "cp866", "dec8", "hp8", "koi8r", "koi8u", "greek", "hebrew", "tis620",
    "armscii8", "geostd8", "keybcs2", "macce", "macroman", "gbk", "gb2312", "big5", "euckr",
    "ujis", "eucjpms", "sjis", "cp932",
};

static const char *const binary_types[] = {
    "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry", "point",
    "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
    "geometrycollection", "inet6", "inet4", "uuid",
};

/* Fixed-length binary types of MariaDB 10.11 whose binlog value loses its trailing 0x00
 * bytes (packed like BINARY(n)); BINARY(n) itself takes n from the octet length. */
static const struct {
    const char *type;
    size_t len;
} fixed_binary[] = { { "inet6", 16 }, { "uuid", 16 }, { "inet4", 4 } };

static bool in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcasecmp(s, list[i]) == 0)
            return true;
    return false;
}

unsigned char worker_ap_classify_text(const char *charset, const char *data_type)
{
    if (!charset || !charset[0] || strcasecmp(charset, "binary") == 0)
        return data_type && in_list(data_type, binary_types,
                                    sizeof binary_types / sizeof binary_types[0])
                   ? TCS_BINARY : TCS_NONE;
    if (strncasecmp(charset, "utf8", 4) == 0 && (charset[4] == '\0' ||
                                                  strcasecmp(charset + 4, "mb3") == 0 ||
                                                  strcasecmp(charset + 4, "mb4") == 0))
        return TCS_UTF8;
    if (in_list(charset, ascii_sets, sizeof ascii_sets / sizeof ascii_sets[0]))
        return TCS_ASCII;
    return TCS_OTHER;
}

size_t worker_ap_fixed_binary_len(const char *data_type, const char *octet_length)
{
    size_t i;
    if (!data_type)
        return 0;
    if (strcasecmp(data_type, "binary") == 0)
        return octet_length ? (size_t)strtoull(octet_length, NULL, 10) : 0;
    for (i = 0; i < sizeof fixed_binary / sizeof fixed_binary[0]; i++)
        if (strcasecmp(data_type, fixed_binary[i].type) == 0)
            return fixed_binary[i].len;
    return 0;
}

static bool valid_utf8(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l;
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        l = dm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

static bool ascii_only(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

static bool is_text(enum bl_kind k)
{
    return k == BL_STRING || k == BL_BINARY || k == BL_JSON;
}

static const char *const unicode_sets[] = {
    "utf8mb3", "utf8mb4", "utf8", "ucs2", "utf16", "utf16le", "utf32",
};

bool worker_ap_conv_hex(const char *sc, const char *tc, const char *p, size_t n)
{
    unsigned char ks = worker_ap_classify_text(sc, NULL), kt = worker_ap_classify_text(tc, NULL);
    if (n == 0)
        return false;
    return !((ks == TCS_ASCII || ks == TCS_UTF8) && (kt == TCS_ASCII || kt == TCS_UTF8) &&
             ascii_only(p, n));
}

bool worker_ap_conv_total(const char *sc, const char *tc)
{
    return strcasecmp(sc, "latin1") == 0 &&
           in_list(tc, unicode_sets, sizeof unicode_sets / sizeof unicode_sets[0]);
}

static const char *conv_of(const struct tinfo *t, size_t col, const struct bl_value *v)
{
    const char *sc = t->conv && t->charset && t->charset[col] ? t->conv[col] : NULL;
    if (!sc || (v->kind != BL_STRING && v->kind != BL_BINARY) || (!v->ptr && v->len))
        return NULL;        /* (NO_LOG: TEXT decodes as BL_BINARY) */
    return worker_ap_conv_hex(sc, t->charset[col], v->ptr, v->len) ? sc : NULL;
}

/* _<cs> X'<hex>' */
static int add_introduced(struct dm_buf *b, const char *cs, const struct bl_value *v)
{
    int rc = dm_buf_addc(b, '_');
    if (!rc)
        rc = dm_buf_adds(b, cs);
    if (!rc)
        rc = dm_buf_addc(b, ' ');
    return rc ? rc : worker_ap_add_hex(b, v->ptr, v->len);
}

int worker_ap_add_col_value(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                            size_t col, const struct bl_value *v)
{
    unsigned char cs = t->tcs ? t->tcs[col] : TCS_NONE;
    const char *sc;
    if (!is_text(v->kind) || cs == TCS_NONE)
        return worker_ap_add_value(a, b, v);
    if (cs == TCS_BINARY)
        return worker_ap_add_hex_pad(b, v->ptr, v->len, t->padlen ? t->padlen[col] : 0);
    if ((sc = conv_of(t, col, v)))
        return add_introduced(b, sc, v);
    if (v->len == 0 || (cs == TCS_UTF8 && valid_utf8(v->ptr, v->len)) ||
        (cs == TCS_ASCII && ascii_only(v->ptr, v->len)))
        return worker_ap_add_escaped(a, b, v->ptr, v->len);
    return add_introduced(b, t->charset[col], v);
}

int worker_ap_add_col_binary(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                             size_t col, const struct bl_value *v)
{
    const char *sc = conv_of(t, col, v);
    int rc;
    if (!sc) {
        rc = dm_buf_adds(b, "BINARY ");
        return rc ? rc : worker_ap_add_col_value(a, b, t, col, v);
    }
    rc = dm_buf_adds(b, "BINARY CONVERT(");
    if (!rc)
        rc = add_introduced(b, sc, v);
    return rc ? rc : dm_buf_printf(b, " USING %s)", t->charset[col]);
}

/* buf.c - bounded growable buffer. */
#include "buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

void dm_buf_init(struct dm_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void dm_buf_free(struct dm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void dm_buf_reset(struct dm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct dm_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return DM_E_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return DM_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap *= 2;
    char *n = realloc(b->data, ncap);
    if (!n)
        return DM_E_NOMEM;
    b->data = n;
    b->cap = ncap;
    return DM_OK;
}

int dm_buf_reserve(struct dm_buf *b, size_t extra) { return reserve(b, extra); }

int dm_buf_add_grow(struct dm_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc != DM_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DM_OK;
}


int dm_buf_vprintf(struct dm_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    size_t room = b->data ? b->cap - b->len : 0;   /* includes the NUL's byte */
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, cp);
    va_end(cp);
    if (n < 0)
        return DM_E_INVAL;
    if ((size_t)n < room) {   /* it fitted (one formatting pass) */
        if ((size_t)n > b->max || b->len > b->max - (size_t)n) {
            b->data[b->len] = '\0';
            return DM_E_TOO_LARGE;
        }
        b->len += (size_t)n;
        return DM_OK;
    }
    int rc = reserve(b, (size_t)n);
    if (rc != DM_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return DM_OK;
}

int dm_buf_printf(struct dm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dm_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *dm_buf_take(struct dm_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

/* JSON escape of one byte that needs it ('"', '\\', < 0x20) into out; returns its length */
static size_t json_escape(unsigned char c, char out[7])
{
    static const char hex[] = "0123456789abcdef";
    const char *short_esc = NULL;
    switch (c) {
    case '"': short_esc = "\\\""; break;
    case '\\': short_esc = "\\\\"; break;
    case '\n': short_esc = "\\n"; break;
    case '\r': short_esc = "\\r"; break;
    case '\t': short_esc = "\\t"; break;
    case '\b': short_esc = "\\b"; break;
    case '\f': short_esc = "\\f"; break;
    default: break;
    }
    if (short_esc) {
        memcpy(out, short_esc, 2);
        return 2;
    }
    memcpy(out, "\\u00", 4);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}

size_t dm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* A byte a JSON string may hold as it is; html: not '<', '>' or '&' either. */
static inline bool json_plain(unsigned char c, bool html)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
           !(html && (c == '<' || c == '>' || c == '&'));
}

enum json_mode { JSON_PLAIN, JSON_HTML, JSON_LOG };

bool dm_utf8_display_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Runs of ASCII bytes that need no escape are appended with one copy each. */
static int add_json_strn(struct dm_buf *b, const char *s, size_t n, enum json_mode mode)
{
    int rc = reserve(b, n + 2);
    if (rc != DM_OK)
        return rc;
    b->data[b->len++] = '"';
    size_t i = 0;
    const bool html = mode == JSON_HTML;
    while (i < n && json_plain((unsigned char)s[i], html))
        i++;
    memcpy(b->data + b->len, s, i);   /* the plain prefix (all of s, usually): reserved */
    b->len += i;
    b->data[b->len] = '\0';
    while (rc == DM_OK && i < n) {
        size_t run = i;
        while (run < n && json_plain((unsigned char)s[run], html))
            run++;
        if (run > i)
            rc = dm_buf_add(b, s + i, run - i);
        if (rc != DM_OK || run == n) {
            i = run;
            continue;
        }
        unsigned char c = (unsigned char)s[run];
        if (c >= 0x80) {
            uint32_t cp;
            size_t l = dm_utf8_decode((const unsigned char *)s + run, n - run, &cp);
            if (l && mode == JSON_LOG && dm_utf8_display_control(cp)) {
                char esc[8];
                snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
                rc = dm_buf_add(b, esc, 6);
            } else {
                rc = l ? dm_buf_add(b, s + run, l) : dm_buf_add(b, "\\ufffd", 6);
            }
            run += l ? l : 1;
        } else {
            char esc[7];
            rc = dm_buf_add(b, esc, json_escape(c, esc));
            run++;
        }
        i = run;
    }
    if (rc == DM_OK)
        rc = dm_buf_addc(b, '"');
    return rc;
}

int dm_buf_add_json_strn(struct dm_buf *b, const char *s, size_t n)
{
    return add_json_strn(b, s, n, JSON_PLAIN);
}

int dm_buf_add_json_str(struct dm_buf *b, const char *s)
{
    return dm_buf_add_json_strn(b, s ? s : "", s ? strlen(s) : 0);
}

int dm_buf_add_json_str_html(struct dm_buf *b, const char *s)
{
    return add_json_strn(b, s ? s : "", s ? strlen(s) : 0, JSON_HTML);
}

int dm_buf_add_json_str_log(struct dm_buf *b, const char *s)
{
    return add_json_strn(b, s ? s : "", s ? strlen(s) : 0, JSON_LOG);
}

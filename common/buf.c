/* buf.c - bounded growable buffer. */
#include "buf.h"

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

int dm_buf_add(struct dm_buf *b, const void *p, size_t n)
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

int dm_buf_adds(struct dm_buf *b, const char *s) { return dm_buf_add(b, s, strlen(s)); }

int dm_buf_addc(struct dm_buf *b, char c) { return dm_buf_add(b, &c, 1); }

int dm_buf_vprintf(struct dm_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return DM_E_INVAL;
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

int dm_buf_add_json_strn(struct dm_buf *b, const char *s, size_t n)
{
    int rc = dm_buf_addc(b, '"');
    for (size_t i = 0; rc == DM_OK && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': rc = dm_buf_add(b, "\\\"", 2); break;
        case '\\': rc = dm_buf_add(b, "\\\\", 2); break;
        case '\n': rc = dm_buf_add(b, "\\n", 2); break;
        case '\r': rc = dm_buf_add(b, "\\r", 2); break;
        case '\t': rc = dm_buf_add(b, "\\t", 2); break;
        case '\b': rc = dm_buf_add(b, "\\b", 2); break;
        case '\f': rc = dm_buf_add(b, "\\f", 2); break;
        default:
            if (c < 0x20)
                rc = dm_buf_printf(b, "\\u%04x", c);
            else
                rc = dm_buf_addc(b, (char)c);
        }
    }
    if (rc == DM_OK)
        rc = dm_buf_addc(b, '"');
    return rc;
}

int dm_buf_add_json_str(struct dm_buf *b, const char *s)
{
    return dm_buf_add_json_strn(b, s ? s : "", s ? strlen(s) : 0);
}

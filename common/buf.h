/* buf.h - bounded, growable byte buffer (curl dynbuf style). Going over the bound is
 * an error (DM_E_TOO_LARGE), never a truncation. The buffer is always NUL-terminated
 * (the NUL is not counted in len). Not thread-safe: one owner at a time. */
#ifndef DM_BUF_H
#define DM_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dm_buf {
    char *data;     /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;     /* hard limit on len */
};

/* Initialise an empty buffer with limit `max` bytes. Never fails. */
void dm_buf_init(struct dm_buf *b, size_t max);
/* Free the storage and reset to empty (limit kept). */
void dm_buf_free(struct dm_buf *b);
/* Reset length to 0, keep storage. */
void dm_buf_reset(struct dm_buf *b);
/* Append bytes. DM_OK, DM_E_TOO_LARGE (buffer unchanged) or DM_E_NOMEM. */
/* Make room for `extra` more bytes now (fewer reallocations when the size is about known).
 * DM_OK, DM_E_TOO_LARGE (over max; nothing changes), DM_E_NOMEM. */
int dm_buf_reserve(struct dm_buf *b, size_t extra);
int dm_buf_add_grow(struct dm_buf *b, const void *p, size_t n);   /* dm_buf_add's slow path */
/* Inline: the common case (room already reserved) is a copy, not a call (the JSON
 * encoders and the logger append byte by byte). */
static inline int dm_buf_add(struct dm_buf *b, const void *p, size_t n)
{
    if (n < b->cap - b->len && n <= b->max - b->len) {   /* cap 0: never (len 0) */
        if (n)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;   /* DM_OK */
    }
    return dm_buf_add_grow(b, p, n);
}
static inline int dm_buf_adds(struct dm_buf *b, const char *s) { return dm_buf_add(b, s, strlen(s)); }
static inline int dm_buf_addc(struct dm_buf *b, char c) { return dm_buf_add(b, &c, 1); }
int dm_buf_printf(struct dm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dm_buf_vprintf(struct dm_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand the storage to the caller (free() it); the buffer becomes empty. Returns an
 * empty malloc'd string when nothing was appended; NULL only on out-of-memory. */
char *dm_buf_take(struct dm_buf *b);

#endif /* DM_BUF_H */

#ifndef DM_BUF_JSON_DECL
#define DM_BUF_JSON_DECL
/* Append `s` (n bytes) as a quoted JSON string: ", \, control characters escaped
 * (\n \t \r \b \f, others \u00XX); valid UTF-8 copied as it is; a byte that does not
 * start a valid UTF-8 sequence (cut, overlong, surrogate, > U+10FFFF) becomes \ufffd, so
 * the output is valid JSON whatever the input. */
int dm_buf_add_json_strn(struct dm_buf *b, const char *s, size_t n);
/* Decode one UTF-8 sequence at s[0..n): returns its length (1-4) and sets *cp, or 0
 * if it is not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated; n == 0). */
size_t dm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* A code point that changes how a terminal or viewer shows the text around it: C1
 * controls U+0080-U+009F, bidirectional formatting U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069, and the separators U+2028, U+2029 (dm_buf_add_json_str_log escapes
 * them; dm_name_check_new refuses them in new names). */
bool dm_utf8_display_control(uint32_t cp);
int dm_buf_add_json_str(struct dm_buf *b, const char *s);
/* The same, with '<', '>' and '&' also escaped (\u003c \u003e \u0026), as Go's
 * encoding/json does: for text that echoes request input (problem+json), so a body a
 * browser might sniff as HTML never holds markup. */
int dm_buf_add_json_str_html(struct dm_buf *b, const char *s);
/* The same as dm_buf_add_json_str, for log lines: code points that change how a terminal
 * or viewer shows the rest of the line are escaped too (\uXXXX): C1 controls U+0080-U+009F
 * (U+009B is a one-character CSI), bidirectional formatting U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069, and U+2028, U+2029. The JSON value is the same string. */
int dm_buf_add_json_str_log(struct dm_buf *b, const char *s);
#endif

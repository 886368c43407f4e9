/* bl_compress.c - see bl_compress.h (MariaDB sql/log_event.cc binlog_buf_uncompress). */
#include "bl_compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "dm_error.h"

#define MAX_INFLATED (1u << 30)   /* max_allowed_packet's ceiling */

int bl_inflate(const uint8_t *src, size_t len, uint8_t **out, size_t *out_len, char *err,
               size_t cap)
{
    *out = NULL;
    *out_len = 0;
    unsigned n = len ? (src[0] & 0x07u) : 0;
    if (len < 2 || !(src[0] & 0x80) || n < 1 || n > 4 || len < 1 + (size_t)n) {
        snprintf(err, cap, "compressed binlog payload: bad header (%zu bytes)", len);
        return DM_E_PARSE;
    }
    uint32_t want = 0;
    for (unsigned i = 0; i < n; i++)
        want = want << 8 | src[1 + i];
    if (want > MAX_INFLATED) {
        snprintf(err, cap, "compressed binlog payload: uncompressed length %u too large", want);
        return DM_E_PARSE;
    }
    uint8_t *buf = malloc((size_t)want + 1);
    if (!buf)
        return DM_E_NOMEM;
    uLongf got = want;
    int zrc = uncompress(buf, &got, src + 1 + n, (uLong)(len - 1 - n));
    if (zrc != Z_OK || got != want) {
        snprintf(err, cap, "compressed binlog payload: zlib error %d (%lu of %u bytes)", zrc,
                 (unsigned long)got, want);
        free(buf);
        return DM_E_PARSE;
    }
    buf[want] = '\0';
    *out = buf;
    *out_len = want;
    return DM_OK;
}

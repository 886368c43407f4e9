/* bl_compress.c - see bl_compress.h (MariaDB sql/log_event.cc binlog_buf_uncompress). */
#include "bl_compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int bl_inflate_column(const uint8_t *src, size_t len, bool raw, uint8_t *dst, size_t want,
                      char *err, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (len > UINT32_MAX || want > MAX_INFLATED ||
        inflateInit2(&zs, raw ? -MAX_WBITS : MAX_WBITS) != Z_OK) {
        snprintf(err, cap, "compressed column: cannot inflate %zu bytes", len);
        return DM_E_PARSE;
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)want;
    int zrc = inflate(&zs, Z_FINISH);
    size_t got = (size_t)zs.total_out;
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END || got != want) {
        snprintf(err, cap, "compressed column: zlib error %d (%zu of %zu bytes)", zrc, got, want);
        return DM_E_PARSE;
    }
    return DM_OK;
}

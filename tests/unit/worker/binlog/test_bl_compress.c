/* test_bl_compress.c - MariaDB compressed binlog payloads (worker/binlog/bl_compress.h):
 * a payload built as MariaDB's binlog_buf_compress writes it (0x80 | n, n big-endian length
 * bytes, zlib stream) inflates back for every n; bad headers, truncated or corrupt streams
 * and a wrong declared length are named errors, never a partial result; likewise a
 * compressed column's stream (bl_inflate_column), raw deflate and zlib-wrapped. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bl_compress.h"
#include "dm_error.h"
#include "testutil.h"

/* MariaDB binlog_buf_compress with a forced length-byte count n (the server picks the
 * smallest; any 1..4 must be read). */
static size_t pack(const char *text, unsigned n, uint32_t declared, uint8_t *out, size_t cap)
{
    uLongf zlen = cap - 1 - n;
    ck_assert_int_eq(compress(out + 1 + n, &zlen, (const Bytef *)text, strlen(text)), Z_OK);
    out[0] = (uint8_t)(0x80 | n);
    for (unsigned i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(declared >> (8 * (n - 1 - i)));
    return 1 + n + zlen;
}

START_TEST(round_trip_and_errors)
{
    static const char text[] = "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(200)) -- some text"
                               " long enough to be worth compressing, compressing, compressing";
    uint8_t buf[512], *out = NULL;
    size_t len, n;
    char err[256];
    for (unsigned k = 1; k <= 4; k++) {
        len = pack(text, k, (uint32_t)strlen(text), buf, sizeof buf);
        ck_assert_int_eq(bl_inflate(buf, len, &out, &n, err, sizeof err), DM_OK);
        ck_assert_uint_eq(n, strlen(text));
        ck_assert_str_eq((char *)out, text);
        free(out);
    }
    len = pack(text, 2, (uint32_t)strlen(text), buf, sizeof buf);
    ck_assert_int_eq(bl_inflate(buf, len - 3, &out, &n, err, sizeof err), DM_E_PARSE);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(err, "zlib error"));
    buf[5] ^= 0x55;                                      /* corrupt stream */
    ck_assert_int_eq(bl_inflate(buf, len, &out, &n, err, sizeof err), DM_E_PARSE);
    len = pack(text, 2, (uint32_t)strlen(text) + 1, buf, sizeof buf);   /* wrong length */
    ck_assert_int_eq(bl_inflate(buf, len, &out, &n, err, sizeof err), DM_E_PARSE);
    len = pack(text, 2, (uint32_t)strlen(text), buf, sizeof buf);
    buf[0] = 0x02;                                       /* no 0x80 flag */
    ck_assert_int_eq(bl_inflate(buf, len, &out, &n, err, sizeof err), DM_E_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "bad header"));
    buf[0] = 0x85;                                       /* 5 length bytes */
    ck_assert_int_eq(bl_inflate(buf, len, &out, &n, err, sizeof err), DM_E_PARSE);
    ck_assert_int_eq(bl_inflate(buf, 1, &out, &n, err, sizeof err), DM_E_PARSE);
    ck_assert_int_eq(bl_inflate(buf, 0, &out, &n, err, sizeof err), DM_E_PARSE);
    len = pack(text, 4, 0x7fffffffu, buf, sizeof buf);   /* absurd declared length */
    ck_assert_int_eq(bl_inflate(buf, len, &out, &n, err, sizeof err), DM_E_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "too large"));
    ck_assert_ptr_null(out);
}
END_TEST

/* A compressed column's stream (MariaDB field_comp.cc compress_zlib): raw deflate
 * (column_compression_zlib_wrap=OFF) or zlib-wrapped; exactly `want` bytes or an error. */
static size_t deflate_col(const char *text, bool raw, uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, raw ? -MAX_WBITS : MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)text;
    zs.avail_in = (uInt)strlen(text);
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t n = zs.total_out;
    deflateEnd(&zs);
    return n;
}

START_TEST(column_streams)
{
    static const char text[] = "a compressed column value, a compressed column value, again";
    uint8_t z[256], out[256];
    char err[256];
    size_t n, want = strlen(text);
    for (int raw = 0; raw < 2; raw++) {
        n = deflate_col(text, raw, z, sizeof z);
        memset(out, 0, sizeof out);
        ck_assert_int_eq(bl_inflate_column(z, n, raw, out, want, err, sizeof err), DM_OK);
        ck_assert_int_eq(memcmp(out, text, want), 0);
        /* the other wrapping, a shorter or longer declared length, a cut stream */
        ck_assert_int_eq(bl_inflate_column(z, n, !raw, out, want, err, sizeof err), DM_E_PARSE);
        ck_assert_int_eq(bl_inflate_column(z, n, raw, out, want - 1, err, sizeof err),
                         DM_E_PARSE);
        ck_assert_int_eq(bl_inflate_column(z, n, raw, out, want + 1, err, sizeof err),
                         DM_E_PARSE);
        ck_assert_int_eq(bl_inflate_column(z, n / 2, raw, out, want, err, sizeof err),
                         DM_E_PARSE);
        ck_assert_ptr_nonnull(strstr(err, "compressed column"));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bl_compress");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, round_trip_and_errors);
    tcase_add_test(tc, column_streams);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

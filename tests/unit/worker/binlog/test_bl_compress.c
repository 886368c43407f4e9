/* test_bl_compress.c - MariaDB compressed binlog payloads (worker/binlog/bl_compress.h):
 * a payload built as MariaDB's binlog_buf_compress writes it (0x80 | n, n big-endian length
 * bytes, zlib stream) inflates back for every n; bad headers, truncated or corrupt streams
 * and a wrong declared length are named errors, never a partial result. */
#include <check.h>
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

int main(void)
{
    Suite *s = suite_create("bl_compress");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, round_trip_and_errors);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

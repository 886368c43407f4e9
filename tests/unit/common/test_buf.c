/* test_buf.c - common/buf.c and common/dm_error.c */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "testutil.h"

START_TEST(bounded_append_is_error_not_truncation)
{
    struct dm_buf b;
    dm_buf_init(&b, 8);
    ck_assert_int_eq(dm_buf_adds(&b, "12345"), DM_OK);
    ck_assert_int_eq(dm_buf_adds(&b, "6789"), DM_E_TOO_LARGE);
    ck_assert_str_eq(b.data, "12345");
    ck_assert_int_eq(dm_buf_adds(&b, "678"), DM_OK);
    ck_assert_uint_eq(b.len, 8);
    ck_assert_int_eq(dm_buf_addc(&b, 'x'), DM_E_TOO_LARGE);
    char *s = dm_buf_take(&b);
    ck_assert_str_eq(s, "12345678");
    free(s);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(printf_and_json_escape)
{
    struct dm_buf b;
    dm_buf_init(&b, 1024);
    ck_assert_int_eq(dm_buf_printf(&b, "%d-%s ", 42, "x"), DM_OK);
    ck_assert_int_eq(dm_buf_add_json_str(&b, "a\"b\\c\n\x01"), DM_OK);
    ck_assert_str_eq(b.data, "42-x \"a\\\"b\\\\c\\n\\u0001\"");
    dm_buf_free(&b);
}
END_TEST

/* runs of plain bytes are copied at once: escapes at the start, middle and end, every
 * short escape, control bytes as \u00XX, bytes >= 0x80 passed through (UTF-8) */
START_TEST(json_escape_runs)
{
    struct dm_buf b;
    dm_buf_init(&b, 1024);
    static const char in[] = "\"head\tmid\\dle\b\f\r\x1f\x7f\xc3\xa9" "end\"";
    ck_assert_int_eq(dm_buf_add_json_strn(&b, in, sizeof(in) - 1), DM_OK);
    ck_assert_str_eq(b.data, "\"\\\"head\\tmid\\\\dle\\b\\f\\r\\u001f\x7f\xc3\xa9" "end\\\"\"");
    dm_buf_reset(&b);
    ck_assert_int_eq(dm_buf_add_json_strn(&b, "a\0b", 3), DM_OK);   /* embedded NUL */
    ck_assert_str_eq(b.data, "\"a\\u0000b\"");
    dm_buf_reset(&b);
    ck_assert_int_eq(dm_buf_add_json_str(&b, NULL), DM_OK);
    ck_assert_str_eq(b.data, "\"\"");
    dm_buf_free(&b);
    /* invalid UTF-8 never leaves: cut sequence, lone continuation, overlong, surrogate,
     * > U+10FFFF, 0xff; valid 2/3/4-byte sequences pass */
    dm_buf_init(&b, 1024);
    static const char bad[] = "a\xc3" "b\x80" "c\xc0\xaf" "d\xed\xa0\x80" "e\xf4\x90\x80\x80"
                              "f\xff" "g\xe2\x82\xac\xf0\x9f\x98\x80\xc3";
    ck_assert_int_eq(dm_buf_add_json_strn(&b, bad, sizeof(bad) - 1), DM_OK);
    ck_assert_str_eq(b.data, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffde"
                             "\\ufffd\\ufffd\\ufffd\\ufffdf\\ufffdg\xe2\x82\xac\xf0\x9f\x98\x80\\ufffd\"");
    dm_buf_free(&b);
    dm_buf_init(&b, 6);   /* "abcd" quoted is 6 bytes: fits; one more byte does not */
    ck_assert_int_eq(dm_buf_add_json_str(&b, "abcd"), DM_OK);
    ck_assert_int_eq(dm_buf_add_json_str(&b, ""), DM_E_TOO_LARGE);
    dm_buf_free(&b);
}
END_TEST

/* the html variant (problem+json echoing request input) also escapes < > &; the plain
 * one (dmctl's bytes) does not */
START_TEST(json_escape_html)
{
    struct dm_buf b;
    dm_buf_init(&b, 1024);
    ck_assert_int_eq(dm_buf_add_json_str_html(&b, "<script>a&b\"</script>\xc3\xa9"), DM_OK);
    ck_assert_str_eq(b.data, "\"\\u003cscript\\u003ea\\u0026b\\\"\\u003c/script\\u003e\xc3\xa9\"");
    dm_buf_reset(&b);
    ck_assert_int_eq(dm_buf_add_json_str(&b, "<a>&"), DM_OK);
    ck_assert_str_eq(b.data, "\"<a>&\"");
    dm_buf_free(&b);
}
END_TEST

/* gwattack4: a task name or token subject in a log line must not reorder or recolour the
 * line in a terminal: C1 controls (U+009B is a one-character CSI) and bidirectional
 * formatting characters are escaped in log lines; other UTF-8 stays as it is, and API
 * bodies keep them raw (dmctl's JSON does). */
START_TEST(json_escape_log_display_controls)
{
    struct dm_buf b;
    dm_buf_init(&b, 1024);
    ck_assert_int_eq(dm_buf_add_json_str_log(&b, "a\xc2\x9b" "31m\xe2\x80\xae" "gpj.exe\x1b[0m"
                                                 "\xe2\x81\xa6\xe2\x80\xa8\xd8\x9c\xc3\xa9\xe2\x82\xac\xc2\xa0"),
                     DM_OK);
    ck_assert_str_eq(b.data, "\"a\\u009b31m\\u202egpj.exe\\u001b[0m\\u2066\\u2028\\u061c"
                             "\xc3\xa9\xe2\x82\xac\xc2\xa0\"");
    dm_buf_reset(&b);
    ck_assert_int_eq(dm_buf_add_json_str(&b, "\xc2\x9b\xe2\x80\xae"), DM_OK);
    ck_assert_str_eq(b.data, "\"\xc2\x9b\xe2\x80\xae\"");
    dm_buf_free(&b);
}
END_TEST

/* printf formats in place when the free capacity suffices, else grows; the bound holds in
 * both paths and the text stays NUL-terminated */
START_TEST(printf_in_place_and_bounded)
{
    struct dm_buf b;
    dm_buf_init(&b, 40);
    ck_assert_int_eq(dm_buf_reserve(&b, 32), DM_OK);
    ck_assert_int_eq(dm_buf_printf(&b, "%s", "0123456789"), DM_OK);         /* in place */
    ck_assert_int_eq(dm_buf_printf(&b, "%d", 1234567890), DM_OK);          /* in place */
    ck_assert_str_eq(b.data, "01234567891234567890");
    ck_assert_int_eq(dm_buf_printf(&b, "%s", "abcdefghijklmnopqrst"), DM_OK); /* exactly 40 */
    ck_assert_uint_eq(b.len, 40);
    ck_assert_int_eq(dm_buf_printf(&b, "%c", 'x'), DM_E_TOO_LARGE);
    ck_assert_str_eq(b.data, "01234567891234567890abcdefghijklmnopqrst");
    ck_assert_int_eq(dm_buf_reserve(&b, 1), DM_E_TOO_LARGE);
    dm_buf_free(&b);
    dm_buf_init(&b, 100);
    ck_assert_int_eq(dm_buf_reserve(&b, 200), DM_E_TOO_LARGE);
    ck_assert_int_eq(dm_buf_printf(&b, "%0*d", 90, 7), DM_OK);              /* grows */
    ck_assert_uint_eq(b.len, 90);
    ck_assert_int_eq(dm_buf_printf(&b, "%0*d", 11, 7), DM_E_TOO_LARGE);    /* in place, over max */
    ck_assert_uint_eq(b.len, 90);
    ck_assert_uint_eq(strlen(b.data), 90);
    dm_buf_free(&b);
}
END_TEST

START_TEST(error_table)
{
    ck_assert_int_eq(DM_OK, 0);
    ck_assert_str_eq(dm_err_name(DM_E_TOO_LARGE), "TOO_LARGE");
    ck_assert_int_eq(dm_err_http_status(DM_E_TOO_LARGE), 413);
    ck_assert_int_eq(dm_err_http_status(DM_E_HDR_TOO_LARGE), 431);
    ck_assert_int_eq(dm_err_http_status(DM_E_UNAVAILABLE), 503);
    ck_assert_int_eq(dm_err_grpc_status(DM_E_UNAVAILABLE), 14);
    ck_assert_int_eq(dm_err_from_grpc_status(4), DM_E_TIMEOUT);
    ck_assert_str_eq(dm_err_name(12345), "INTERNAL");
    ck_assert_str_eq(dm_strerror(DM_E_NOT_FOUND), "not found");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bounded_append_is_error_not_truncation);
    tcase_add_test(tc, printf_and_json_escape);
    tcase_add_test(tc, json_escape_runs);
    tcase_add_test(tc, json_escape_html);
    tcase_add_test(tc, printf_in_place_and_bounded);
    tcase_add_test(tc, error_table);
    tcase_add_test(tc, json_escape_log_display_controls);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

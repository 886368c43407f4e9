/* test_buf.c - common/buf.c and common/dm_error.c */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"

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
    tcase_add_test(tc, error_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

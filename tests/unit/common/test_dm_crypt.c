/* test_dm_crypt.c - common/dm_crypt.c: DM v1.0 vectors, round trip, error cases */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dm_crypt.h"
#include "dm_error.h"
#include "testutil.h"

START_TEST(dm_vectors_decrypt)
{
    char *p = NULL;
    ck_assert_int_eq(dm_crypt_decrypt("Up8156jArvIPymkVC+5LxkAT6rek", &p), DM_OK);
    ck_assert_str_eq(p, "1234");
    free(p);
    ck_assert_int_eq(dm_crypt_decrypt("/Q7B9DizNLLTTfiZHv9WoEAKamfpIUs=", &p), DM_OK);
    ck_assert_str_eq(p, "123456");
    free(p);
}
END_TEST

START_TEST(round_trip_and_random_iv)
{
    const char *plains[] = {"", "x", "123456", "p@ss w0rd with spaces and \xc3\xa9 utf8 ....."};
    for (size_t i = 0; i < sizeof plains / sizeof *plains; i++) {
        char *c1 = NULL, *c2 = NULL, *back = NULL;
        ck_assert_int_eq(dm_crypt_encrypt(plains[i], &c1), DM_OK);
        ck_assert_int_eq(dm_crypt_encrypt(plains[i], &c2), DM_OK);
        ck_assert_str_ne(c1, c2);   /* fresh IV each time */
        /* base64 of 17 + len bytes, padded */
        size_t blob = 17 + strlen(plains[i]);
        ck_assert_uint_eq(strlen(c1), 4 * ((blob + 2) / 3));
        ck_assert_int_eq(dm_crypt_decrypt(c1, &back), DM_OK);
        ck_assert_str_eq(back, plains[i]);
        free(back);
        free(c1);
        free(c2);
    }
}
END_TEST

START_TEST(bad_input)
{
    char *p = (char *)"sentinel";
    ck_assert_int_eq(dm_crypt_decrypt("not base64!!", &p), DM_E_PARSE);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(dm_crypt_decrypt("", &p), DM_E_PARSE);
    ck_assert_int_eq(dm_crypt_decrypt("abc", &p), DM_E_PARSE);          /* bad length */
    ck_assert_int_eq(dm_crypt_decrypt("YWJjZA==", &p), DM_E_PARSE);     /* too short */
    /* 17 bytes, byte 16 != '@' */
    ck_assert_int_eq(dm_crypt_decrypt("AAAAAAAAAAAAAAAAAAAAAAA=", &p), DM_E_PARSE);
    ck_assert_int_eq(dm_crypt_decrypt("AAAAAAAAAAAAAAAAAAAAAEA=", &p), DM_OK);  /* IV + '@' */
    ck_assert_str_eq(p, "");
    free(p);
    ck_assert_int_eq(dm_crypt_decrypt("Up81=6jArvIPymkVC+5LxkAT6rek", &p), DM_E_PARSE);
    ck_assert_int_eq(dm_crypt_encrypt(NULL, &p), DM_E_INVAL);
}
END_TEST

START_TEST(decrypt_or_plain)
{
    char *s = dm_crypt_decrypt_or_plain("Up8156jArvIPymkVC+5LxkAT6rek");
    ck_assert_str_eq(s, "1234");
    free(s);
    s = dm_crypt_decrypt_or_plain("plain-secret");
    ck_assert_str_eq(s, "plain-secret");
    free(s);
    s = dm_crypt_decrypt_or_plain("");
    ck_assert_str_eq(s, "");
    free(s);
    ck_assert_ptr_null(dm_crypt_decrypt_or_plain(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_crypt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, dm_vectors_decrypt);
    tcase_add_test(tc, round_trip_and_random_iv);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, decrypt_or_plain);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

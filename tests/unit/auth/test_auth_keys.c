/* test_auth_keys.c - auth/auth_keys.c: strict base64url, alg names, JWK -> PEM checks. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth_keys.h"
#include "dm_error.h"
#include "testutil.h"

START_TEST(b64url_strict)
{
    unsigned char *out = NULL;
    size_t n = 0;
    ck_assert_int_eq(auth_b64url_decode("eyJhIjoxfQ", 10, &out, &n), DM_OK);
    ck_assert_uint_eq(n, 7);
    ck_assert_str_eq((char *)out, "{\"a\":1}");
    free(out);
    ck_assert_int_eq(auth_b64url_decode("-_8", 3, &out, &n), DM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(out[0], 0xfb);
    ck_assert_int_eq(out[1], 0xff);
    free(out);
    ck_assert_int_eq(auth_b64url_decode("eyJhIjoxfQ==", 12, &out, &n), DM_E_PARSE);  /* padding */
    ck_assert_int_eq(auth_b64url_decode("ab+/", 4, &out, &n), DM_E_PARSE);           /* std alphabet */
    ck_assert_int_eq(auth_b64url_decode("abcde", 5, &out, &n), DM_E_PARSE);          /* length */
    ck_assert_int_eq(auth_b64url_decode("QR", 2, &out, &n), DM_E_PARSE);  /* non-zero spare bits */
    ck_assert_int_eq(auth_b64url_decode("", 0, &out, &n), DM_OK);
    ck_assert_uint_eq(n, 0);
    free(out);
}
END_TEST

START_TEST(alg_names)
{
    ck_assert_int_eq(auth_alg_parse("HS256"), JWT_ALG_HS256);
    ck_assert_int_eq(auth_alg_parse("ES512"), JWT_ALG_ES512);
    ck_assert_int_eq(auth_alg_parse("none"), JWT_ALG_INVAL);
    ck_assert_int_eq(auth_alg_parse("hs256"), JWT_ALG_INVAL);
    ck_assert_int_eq(auth_alg_parse(NULL), JWT_ALG_INVAL);
    ck_assert_uint_eq(auth_hs_min_secret(JWT_ALG_HS384), 48);
}
END_TEST

START_TEST(jwk_rejects)
{
    char err[256];
    char *pem = NULL;
    /* P-256 generator point G: valid */
    json_t *good = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
                             "x", "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
                             "y", "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU");
    ck_assert_int_eq(auth_jwk_to_pem(good, JWT_ALG_ES256, &pem, err, sizeof err), DM_OK);
    ck_assert_ptr_nonnull(strstr(pem, "BEGIN PUBLIC KEY"));
    free(pem);
    /* same key for the wrong curve / family */
    ck_assert_int_eq(auth_jwk_to_pem(good, JWT_ALG_ES384, &pem, err, sizeof err), DM_E_INVAL);
    ck_assert_int_eq(auth_jwk_to_pem(good, JWT_ALG_RS256, &pem, err, sizeof err), DM_E_INVAL);
    json_decref(good);
    /* point not on the curve */
    json_t *off = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
                            "x", "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
                            "y", "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfA");
    ck_assert_int_eq(auth_jwk_to_pem(off, JWT_ALG_ES256, &pem, err, sizeof err), DM_E_INVAL);
    json_decref(off);
    /* RSA too small (512-bit modulus) */
    json_t *small = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "e", "AQAB",
                              "n", "wB0lJ8bEq4K3J1sbq0x6Kz2uj1E3ZkXN6Hhd3xw9Ez0mM6gGkq1Z5zJvR3Y2"
                                   "nX8pYc6rK0F1bGQH7t8dN3a6Rw");
    ck_assert_int_eq(auth_jwk_to_pem(small, JWT_ALG_RS256, &pem, err, sizeof err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "2048") != NULL, "%s", err);
    json_decref(small);
    json_t *nokty = json_pack("{s:s}", "n", "AQAB");
    ck_assert_int_eq(auth_jwk_to_pem(nokty, JWT_ALG_RS256, &pem, err, sizeof err), DM_E_INVAL);
    json_decref(nokty);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth_keys");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, b64url_strict);
    tcase_add_test(tc, alg_names);
    tcase_add_test(tc, jwk_rejects);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

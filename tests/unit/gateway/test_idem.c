/* test_idem.c - the Idempotency-Key store (gateway/idem.c): claim, replay, busy,
 * mismatch, abandon, namespaces, TTL, bounds, key syntax. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "testutil.h"

static void answer(struct idem_answer *a, int status, const char *body)
{
    memset(a, 0, sizeof(*a));
    a->status = status;
    a->body = strdup(body);
    a->body_len = strlen(body);
    a->content_type = strdup("application/json");
    a->hkey[0] = strdup("Location");
    a->hval[0] = strdup("/api/v1/tasks/t");
    a->nheaders = 1;
}

START_TEST(claim_replay_busy_mismatch)
{
    struct idem_store *s = idem_new(100, 0, 60000);
    struct idem_entry *t = NULL, *t2 = NULL;
    struct idem_answer out, a;
    ck_assert_int_eq(idem_begin(s, "alice", "k1", 42, 0, &t, &out), IDEM_NEW);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(idem_begin(s, "alice", "k1", 42, 1, &t2, &out), IDEM_BUSY);
    ck_assert_ptr_null(t2);
    ck_assert_int_eq(idem_begin(s, "alice", "k1", 43, 1, &t2, &out), IDEM_MISMATCH);
    answer(&a, 201, "{\"result\":true}");
    idem_finish(s, t, &a, 10);
    ck_assert_ptr_null(a.body);   /* taken */
    ck_assert_int_eq(idem_begin(s, "alice", "k1", 42, 20, &t2, &out), IDEM_REPLAY);
    ck_assert_int_eq(out.status, 201);
    ck_assert_str_eq(out.body, "{\"result\":true}");
    ck_assert_str_eq(out.content_type, "application/json");
    ck_assert_uint_eq(out.nheaders, 1);
    ck_assert_str_eq(out.hval[0], "/api/v1/tasks/t");
    idem_answer_clear(&out);
    ck_assert_int_eq(idem_begin(s, "alice", "k1", 7, 20, &t2, &out), IDEM_MISMATCH);
    /* another subject's key of the same name is another key */
    ck_assert_int_eq(idem_begin(s, "bob", "k1", 7, 20, &t2, &out), IDEM_NEW);
    idem_abandon(s, t2);
    ck_assert_int_eq(idem_begin(s, "bob", "k1", 8, 21, &t2, &out), IDEM_NEW);   /* freed again */
    idem_abandon(s, t2);
    /* "a\0b" + "c" must not equal "a" + "b\0c": the namespace is length-delimited */
    ck_assert_int_eq(idem_begin(s, "alic", "e\nk1", 42, 22, &t2, &out), IDEM_NEW);
    idem_abandon(s, t2);
    ck_assert_uint_eq(idem_count(s), 1);
    idem_free(s);
}
END_TEST

START_TEST(ttl_and_bounds)
{
    struct idem_store *s = idem_new(3, 0, 1000);
    struct idem_entry *t = NULL;
    struct idem_answer out, a;
    char key[16];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ck_assert_int_eq(idem_begin(s, "", key, 1, i, &t, &out), IDEM_NEW);
        answer(&a, 200, "x");
        idem_finish(s, t, &a, i);
    }
    ck_assert_uint_eq(idem_count(s), 3);
    /* a fourth key pushes out the oldest */
    struct idem_entry *t3 = NULL;
    ck_assert_int_eq(idem_begin(s, "", "k3", 1, 5, &t3, &out), IDEM_NEW);
    ck_assert_uint_eq(idem_count(s), 3);
    ck_assert_int_eq(idem_begin(s, "", "k1", 1, 5, &t, &out), IDEM_REPLAY);
    idem_answer_clear(&out);
    struct idem_entry *t0 = NULL;
    ck_assert_int_eq(idem_begin(s, "", "k0", 1, 5, &t0, &out), IDEM_NEW);   /* evicted: new */
    /* running entries are never evicted, even over the bound */
    ck_assert_uint_eq(idem_count(s), 3);
    idem_abandon(s, t0);
    idem_abandon(s, t3);
    /* expiry: k1 and k2 finished at 1 and 2 with a 1000 ms TTL */
    ck_assert_int_eq(idem_begin(s, "", "k2", 1, 1001, &t, &out), IDEM_REPLAY);
    idem_answer_clear(&out);
    ck_assert_int_eq(idem_begin(s, "", "k2", 1, 2001, &t, &out), IDEM_NEW);
    ck_assert_uint_eq(idem_count(s), 1);
    idem_abandon(s, t);
    idem_free(s);
    /* a byte bound drops old answers */
    s = idem_new(100, 64, 60000);
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "b%d", i);
        ck_assert_int_eq(idem_begin(s, "", key, 1, i, &t, &out), IDEM_NEW);
        answer(&a, 200, "0123456789012345678901234567890123456789");
        idem_finish(s, t, &a, i);
        ck_assert_uint_le(idem_count(s), 2);
    }
    idem_free(s);
}
END_TEST

START_TEST(key_syntax)
{
    char k[IDEM_KEY_MAX + 1];
    ck_assert_int_eq(idem_parse_key("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", k), 0);
    ck_assert_str_eq(k, "8e03978e-40d5-43e8-bc93-6894a57f9324");
    ck_assert_int_eq(idem_parse_key("  abc  ", k), 0);
    ck_assert_str_eq(k, "abc");
    ck_assert_int_eq(idem_parse_key("", k), -1);
    ck_assert_int_eq(idem_parse_key("\"\"", k), -1);
    ck_assert_int_eq(idem_parse_key("a b", k), -1);
    ck_assert_int_eq(idem_parse_key("a\"b", k), -1);
    ck_assert_int_eq(idem_parse_key("caf\xc3\xa9", k), -1);
    ck_assert_int_eq(idem_parse_key(NULL, k), -1);
    char big[300];
    memset(big, 'x', 256);
    big[256] = '\0';
    ck_assert_int_eq(idem_parse_key(big, k), -1);
    big[255] = '\0';
    ck_assert_int_eq(idem_parse_key(big, k), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("idem");
    TCase *tc = tcase_create("idem");
    tcase_add_test(tc, claim_replay_busy_mismatch);
    tcase_add_test(tc, ttl_and_bounds);
    tcase_add_test(tc, key_syntax);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

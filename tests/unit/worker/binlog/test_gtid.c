/* test_gtid.c - MariaDB GTID sets (worker/binlog/gtid.h): parsing and printing as DM
 * (go-mysql) does, update / merge, containment and equality by domain, bad input named. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "dm_error.h"
#include "gtid.h"
#include "testutil.h"

static struct gtid_set P(const char *s)
{
    struct gtid_set g;
    char err[256] = "";
    ck_assert_msg(gtid_set_parse(s, &g, err, sizeof err) == DM_OK, "%s: %s", s, err);
    return g;
}

static void fmt_is(const char *in, const char *want)
{
    struct gtid_set g = P(in);
    char out[512];
    ck_assert(gtid_set_format(&g, out, sizeof out));
    ck_assert_str_eq(out, want);
}

START_TEST(parse_print)
{
    fmt_is("", "");
    fmt_is("   ", "");
    fmt_is("0-1-42", "0-1-42");
    fmt_is("2-5-9,0-1-42", "0-1-42,2-5-9");                 /* sorted by domain */
    fmt_is(" 1-2-3 , 0-1-1\n", "0-1-1,1-2-3");               /* blanks around items */
    fmt_is("0-1-5,0-2-3", "0-2-3");                          /* later item of a domain wins */
    fmt_is("4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615");
    static const char *const bad[] = { "0-1", "0-1-", "-1-2", "a-1-2", "0-1-2-3", "0-1-2,",
                                       ",0-1-2", "0-1-2,,1-1-1", "4294967296-1-1",
                                       "0-1-18446744073709551616", "0 -1-2", "0-1-2x",
                                       "3E11A2B4-1-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gtid_set g;
        char err[256] = "";
        ck_assert_msg(gtid_set_parse(bad[i], &g, err, sizeof err) == DM_E_PARSE, "%s", bad[i]);
        ck_assert_msg(strstr(err, "invalid MariaDB GTID") != NULL, "%s", err);
    }
    /* more domains than the set holds */
    char big[4096] = "";
    size_t off = 0;
    for (int d = 0; d <= GTID_MAX_DOMAINS; d++)
        off += (size_t)snprintf(big + off, sizeof big - off, "%s%d-1-1", d ? "," : "", d);
    struct gtid_set g;
    char err[256];
    ck_assert_int_eq(gtid_set_parse(big, &g, err, sizeof err), DM_E_TOO_LARGE);
    /* too small an output buffer */
    g = P("0-1-42,1-1-1");
    char tiny[6];
    ck_assert(!gtid_set_format(&g, tiny, sizeof tiny));
    ck_assert_str_eq(tiny, "");
}
END_TEST

START_TEST(update_merge)
{
    struct gtid_set s = P("0-1-10,2-1-5");
    struct gtid g = { 0, 2, 11 };
    ck_assert_int_eq(gtid_set_update(&s, &g), DM_OK);
    g = (struct gtid){ 1, 3, 1 };
    ck_assert_int_eq(gtid_set_update(&s, &g), DM_OK);
    char out[256];
    ck_assert(gtid_set_format(&s, out, sizeof out));
    ck_assert_str_eq(out, "0-2-11,1-3-1,2-1-5");
    /* update goes back too (go-mysql forward), merge_max does not */
    g = (struct gtid){ 2, 1, 3 };
    struct gtid_set m = s;
    ck_assert_int_eq(gtid_set_update(&s, &g), DM_OK);
    ck_assert_uint_eq(gtid_set_get(&s, 2)->seq, 3);
    ck_assert_int_eq(gtid_set_merge_max(&m, &g), DM_OK);
    ck_assert_uint_eq(gtid_set_get(&m, 2)->seq, 5);
    g = (struct gtid){ 7, 1, 1 };
    ck_assert_int_eq(gtid_set_merge_max(&m, &g), DM_OK);
    ck_assert_ptr_nonnull(gtid_set_get(&m, 7));
    ck_assert_ptr_null(gtid_set_get(&m, 6));
    /* text helper */
    char t[64] = "1-1-1, 0-1-7";
    g = (struct gtid){ 0, 9, 8 };
    ck_assert(gtid_text_update(t, sizeof t, &g));
    ck_assert_str_eq(t, "0-9-8,1-1-1");
    char small[8] = "0-1-1";
    g = (struct gtid){ 1, 1, 123456 };
    ck_assert(!gtid_text_update(small, sizeof small, &g));
    ck_assert_str_eq(small, "0-1-1");
    char junk[32] = "zz";
    ck_assert(!gtid_text_update(junk, sizeof junk, &g));
}
END_TEST

START_TEST(contain_equal)
{
    struct gtid_set a = P("0-1-10,1-2-5"), b = P("1-9-5,0-1-3"), e = P("");
    ck_assert(gtid_set_contain(&a, &b));          /* server ids do not matter */
    ck_assert(!gtid_set_contain(&b, &a));         /* 0-1-3 < 0-1-10 */
    ck_assert(gtid_set_contain(&a, &e));          /* everything contains the empty set */
    ck_assert(gtid_set_contain(&e, &e));
    ck_assert(!gtid_set_contain(&e, &a));
    struct gtid_set c = P("0-1-10");
    ck_assert(gtid_set_contain(&a, &c));
    ck_assert(!gtid_set_contain(&c, &a));         /* domain 1 missing */
    ck_assert(gtid_set_equal(&a, &a));
    ck_assert(!gtid_set_equal(&a, &b));
    ck_assert(!gtid_set_equal(&a, &c));
    struct gtid_set d = P("0-2-10,1-2-5");        /* same seqs, another server: not equal */
    ck_assert(!gtid_set_equal(&a, &d));
    ck_assert(gtid_set_contain(&a, &d) && gtid_set_contain(&d, &a));
    ck_assert(gtid_text_equal("1-2-5,0-1-10", " 0-1-10 ,1-2-5"));
    ck_assert(!gtid_text_equal("0-1-10", "0-1-11"));
    ck_assert(gtid_text_contain("0-1-11", "0-1-10"));
    ck_assert(!gtid_text_contain("0-1-10", "0-1-11"));
    ck_assert(!gtid_text_equal("bad", "bad"));
    ck_assert(gtid_text_equal("", ""));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gtid");
    TCase *tc = tcase_create("sets");
    tcase_add_test(tc, parse_print);
    tcase_add_test(tc, update_merge);
    tcase_add_test(tc, contain_equal);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

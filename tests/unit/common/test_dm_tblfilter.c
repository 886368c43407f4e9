/* test_dm_tblfilter.c - common/dm_tblfilter: tidb-tools black-white-list semantics with Go
 * regexp `~` names and wildcard plain names, routes, binlog-filter sql-pattern joining. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_tblfilter.h"
#include "testutil.h"

START_TEST(bwl_rules)
{
    const char *do_dbs[] = {"~^shop_\\d+$", "app", "logs_*"};
    const struct dm_bwl_table do_t[] = {{"app", "~^t"}, {"~.*", "keep"}};
    const struct dm_bwl_table ign_t[] = {{"app", "tlog"}, {"app", "~^t_tmp"}};
    struct dm_bwl_rules r = {do_dbs, 3, NULL, 0, do_t, 2, ign_t, 2};
    struct dm_bwl *b = NULL;
    char err[256] = "";
    ck_assert_int_eq(dm_bwl_new(&r, false, &b, err, sizeof err), DM_OK);
    ck_assert(dm_bwl_allow(b, "shop_12", NULL));
    ck_assert(!dm_bwl_allow(b, "shop_x", NULL));
    ck_assert(dm_bwl_allow(b, "SHOP_1", NULL));             /* case-insensitive: (?i) */
    ck_assert(dm_bwl_allow(b, "logs_2026", NULL));          /* plain name = wildcard */
    ck_assert(!dm_bwl_allow(b, "mysql", NULL));             /* system schema */
    ck_assert(dm_bwl_allow(b, "app", "t1"));
    ck_assert(dm_bwl_allow(b, "app", "tlog"));              /* do-tables win over ignore */
    ck_assert(!dm_bwl_allow(b, "app", "x"));                /* do-tables given, no match */
    ck_assert(dm_bwl_allow(b, "shop_1", "keep"));
    ck_assert(!dm_bwl_allow(b, "other", "keep"));           /* do-dbs first */
    dm_bwl_free(b);

    /* only ignore rules */
    const char *ign_dbs[] = {"tmp"};
    struct dm_bwl_rules r2 = {NULL, 0, ign_dbs, 1, NULL, 0, ign_t, 2};
    ck_assert_int_eq(dm_bwl_new(&r2, true, &b, err, sizeof err), DM_OK);
    ck_assert(!dm_bwl_allow(b, "tmp", "a"));
    ck_assert(dm_bwl_allow(b, "TMP", "a"));                 /* case-sensitive */
    ck_assert(!dm_bwl_allow(b, "app", "t_tmp1"));
    ck_assert(dm_bwl_allow(b, "app", "t"));
    ck_assert(dm_bwl_allow(b, "x", NULL));
    dm_bwl_free(b);

    /* empty rules: everything but the system schemas */
    struct dm_bwl_rules none = {0};
    ck_assert_int_eq(dm_bwl_new(&none, false, &b, err, sizeof err), DM_OK);
    ck_assert(dm_bwl_allow(b, "a", "b"));
    ck_assert(!dm_bwl_allow(b, "INFORMATION_SCHEMA", "b"));
    dm_bwl_free(b);
}
END_TEST

START_TEST(bwl_errors)
{
    const char *bad_db[] = {"ok", "~[z-a]"};
    struct dm_bwl_rules r = {bad_db, 2, NULL, 0, NULL, 0, NULL, 0};
    struct dm_bwl *b = (struct dm_bwl *)1;
    char err[256] = "";
    ck_assert_int_eq(dm_bwl_new(&r, false, &b, err, sizeof err), DM_E_INVAL);
    ck_assert_ptr_null(b);
    ck_assert_str_eq(err, "do-dbs \"~[z-a]\": error parsing regexp: invalid character class range: `z-a`");
    const struct dm_bwl_table empty[] = {{"db", ""}};
    struct dm_bwl_rules r2 = {NULL, 0, NULL, 0, NULL, 0, empty, 1};
    ck_assert_int_eq(dm_bwl_new(&r2, false, &b, err, sizeof err), DM_E_INVAL);
    ck_assert_str_eq(err, "ignore-tables tbl-name: name cannot be empty");
}
END_TEST

START_TEST(routes)
{
    const struct dm_route_rule rr[] = {{"db_*", "", "db", NULL}, {"db_*", "t_?", "db", "t"}};
    char s[64], t[64];
    dm_route(rr, 2, true, "DB_1", "T_2", s, sizeof s, t, sizeof t);   /* table rule wins */
    ck_assert_str_eq(s, "db");
    ck_assert_str_eq(t, "t");
    dm_route(rr, 2, false, "db_1", "other", s, sizeof s, t, sizeof t);
    ck_assert_str_eq(s, "db");
    ck_assert_str_eq(t, "other");
    dm_route(rr, 2, false, "x", NULL, s, sizeof s, t, sizeof t);
    ck_assert_str_eq(s, "x");
    ck_assert_str_eq(t, "");
    ck_assert(dm_wildcard_match("a*b?", "aXXbc", false));
    ck_assert(!dm_wildcard_match("a*b?", "aXXb", false));
}
END_TEST

/* tidb-tools' table selector: [...] ranges (were literal bytes: `shard_[0-9]` matched no
 * schema, its route and black-white-list entries silently did nothing), `*` only last. */
START_TEST(wildcard_ranges)
{
    char err[512] = "";
    ck_assert(dm_wildcard_match("shard_[0-9]", "shard_7", false));
    ck_assert(!dm_wildcard_match("shard_[0-9]", "shard_x", false));
    ck_assert(!dm_wildcard_match("shard_[0-9]", "shard_12", false));
    ck_assert(dm_wildcard_match("shard_[0-9]*", "shard_12", false));
    ck_assert(dm_wildcard_match("t_[!0-9]", "t_x", false));
    ck_assert(!dm_wildcard_match("t_[!0-9]", "t_5", false));
    ck_assert(dm_wildcard_match("t_[abc]?", "t_bz", false));
    ck_assert(dm_wildcard_match("t_[A-C]", "T_b", true));        /* both sides fold */
    ck_assert(!dm_wildcard_match("t_[A-C]", "t_b", false));
    ck_assert(dm_wildcard_match("t_[a-]", "t_-", false));          /* trailing - is itself */
    ck_assert(dm_wildcard_match("t_[!]", "t_!", false));           /* [!] is ! */
    ck_assert(dm_wildcard_match("t_[x", "t_[x", false));           /* no ]: [ is itself */
    ck_assert(!dm_wildcard_match("t_[]x", "t_x", false));          /* [] matches nothing */
    ck_assert(dm_wildcard_match("*", "", false));
    ck_assert(dm_wildcard_match("ab*", "ab", false));
    ck_assert(dm_wildcard_valid("a?[*]") == false);
    ck_assert(dm_wildcard_valid("a?[0-9]*"));
    ck_assert_int_eq(dm_wildcard_check("route rule 0", "a*b", err, sizeof err), DM_E_INVAL);
    ck_assert_str_eq(err, "route rule 0 \"a*b\": pattern a*b not valid (a wildcard `*` must be "
                          "the last character; use a `~` regular expression)");
}
END_TEST

/* Two rules of the level that routes a name: tidb-tools' Route fails (DM v1.0.7 then
 * writes to the unrouted name); dm_route took the first. dm_route_check names both. */
START_TEST(route_ambiguous)
{
    const struct dm_route_rule rr[] = {{"a", "t*", "m1", "t"}, {"a", "t?", "m2", "t"},
                                       {"a", "", "m", NULL}, {"[ab]", "", "n", NULL}};
    char err[512] = "";
    ck_assert_int_eq(dm_route_check(rr, 4, false, "a", "tx", err, sizeof err), DM_E_INVAL);
    ck_assert_str_eq(err, "`a`.`tx` matches 2 table route rules which is more than one (the "
                          "first two: schema-pattern \"a\" table-pattern \"t*\" and "
                          "schema-pattern \"a\" table-pattern \"t?\"): which target it goes "
                          "to is ambiguous; make the patterns exclusive");
    ck_assert_int_eq(dm_route_check(rr, 4, false, "a", "txy", err, sizeof err), DM_OK);
    ck_assert_int_eq(dm_route_check(rr, 4, false, "a", "u", err, sizeof err), DM_E_INVAL);
    ck_assert_int_eq(dm_route_check(rr, 4, false, "a", "", err, sizeof err), DM_E_INVAL);
    ck_assert_int_eq(dm_route_check(rr, 4, false, "b", "u", err, sizeof err), DM_OK);
    ck_assert_int_eq(dm_route_check(rr, 2, false, "a", "u", err, sizeof err), DM_OK);
}
END_TEST

/* Which routes can merge other source names into a name's target (a DROP / TRUNCATE /
 * RENAME of one source name would take the others' rows with it). */
START_TEST(route_merges)
{
    const struct dm_route_rule rr[] = {{"s_*", "", "m", NULL}, {"s_*", "t_*", "m", "t"},
                                       {"x", "u_*", "x2", NULL}, {"one", "", "solo", NULL},
                                       {"p", "", "pq", NULL}, {"q", "", "pq", NULL}};
    ck_assert_ptr_eq(dm_route_merges(rr, 6, false, "s_1", "t_1"), &rr[1]);
    ck_assert_ptr_eq(dm_route_merges(rr, 6, false, "s_1", "other"), &rr[0]);
    ck_assert_ptr_eq(dm_route_merges(rr, 6, false, "s_1", ""), &rr[0]);
    ck_assert_ptr_null(dm_route_merges(rr, 6, false, "x", "u_1"));     /* x.u_1 -> x2.u_1 */
    ck_assert_ptr_null(dm_route_merges(rr, 6, false, "one", "t"));
    ck_assert_ptr_null(dm_route_merges(rr, 6, false, "zz", "t"));      /* not routed */
    ck_assert_ptr_eq(dm_route_merges(rr, 6, false, "p", "t"), &rr[4]); /* p.t, q.t -> pq.t */
    ck_assert_ptr_eq(dm_route_merges(rr, 6, false, "q", ""), &rr[5]);
}
END_TEST

START_TEST(sql_patterns)
{
    const char *p[] = {"^DROP\\s+PROCEDURE", "^alter\\s+table\\s+\\w+\\s+add\\s+partition"};
    struct dm_regex *re = NULL;
    char err[512] = "";
    ck_assert_int_eq(dm_sql_patterns_compile(p, 2, &re, err, sizeof err), DM_OK);
    ck_assert(dm_regex_match(re, "drop  procedure p"));                       /* (?i) */
    ck_assert(dm_regex_match(re, "ALTER TABLE t ADD PARTITION (PARTITION p2)"));
    ck_assert(!dm_regex_match(re, "DROP TABLE t"));
    dm_regex_free(re);
    const char *bad[] = {"^a", "(b"};
    ck_assert_int_eq(dm_sql_patterns_compile(bad, 2, &re, err, sizeof err), DM_E_INVAL);
    ck_assert_str_eq(err, "compile regular expression [^a (b]: error parsing regexp: missing closing ): `(?i)^a|(b`");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_tblfilter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bwl_rules);
    tcase_add_test(tc, bwl_errors);
    tcase_add_test(tc, routes);
    tcase_add_test(tc, wildcard_ranges);
    tcase_add_test(tc, route_ambiguous);
    tcase_add_test(tc, route_merges);
    tcase_add_test(tc, sql_patterns);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

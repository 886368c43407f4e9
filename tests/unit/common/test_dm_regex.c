/* test_dm_regex.c - common/dm_regex: Go regexp syntax and semantics (cases checked against
 * Go's regexp.MatchString), Go's error texts for invalid patterns, bounds. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_regex.h"
#include "testutil.h"

struct mcase {
    const char *pattern;
    unsigned flags;
    const char *text;
    bool match;
};

/* Go: regexp.MustCompile(pattern).MatchString(text) */
static const struct mcase match_cases[] = {
    /* the example: \d is a Perl class in Go, a literal 'd' in POSIX ERE */
    {"^keep_\\d+$", 0, "keep_1", true},
    {"^keep_\\d+$", 0, "keep_12a", false},
    {"^keep_\\d+$", 0, "skip_1", false},
    {"^keep_\\d+$", 0, "keep_d", false},
    /* (?i) anywhere, and as a group */
    {"^keep_(?i)ABC$", 0, "keep_abc", true},
    {"^keep_(?i)ABC$", 0, "KEEP_abc", false},
    {"^(?i:ab)c$", 0, "ABc", true},
    {"^(?i:ab)c$", 0, "ABC", false},
    {"(?i)^drop\\s+table", 0, "DROP  TABLE t", true},
    {"^T$", DM_REGEX_ICASE, "t", true},
    {"^(?-i)T$", DM_REGEX_ICASE, "t", false},
    /* Unicode classes */
    {"^\\pL+$", 0, "日本語abc", true},
    {"^\\pL+$", 0, "abc1", false},
    {"^\\p{Greek}+$", 0, "αβγ", true},
    {"^\\PL$", 0, "1", true},
    {"^.$", 0, "é", true},          /* one rune, two bytes */
    /* non-greedy, unanchored search (MatchString finds a match anywhere) */
    {"a.*?b", 0, "xxaxxbyyb", true},
    {"<.+?>", 0, "<a><b>", true},
    {"shop", 0, "my_shop_db", true},
    {"^shop", 0, "my_shop_db", false},
    /* anchors: $ is the end of text (no trailing newline allowance), \z, \A, (?m) */
    {"abc$", 0, "abc\n", false},
    {"abc\\z", 0, "abc", true},
    {"\\Aabc", 0, "abc", true},
    {"(?m)^b$", 0, "a\nb\nc", true},
    {"^b$", 0, "a\nb\nc", false},
    {"a.c", 0, "a\nc", false},
    {"(?s)a.c", 0, "a\nc", true},
    /* word boundary, \w, \Q..\E, named group, repeat counts */
    {"\\border\\b", 0, "select * from order where", true},
    {"\\border\\b", 0, "orders", false},
    {"^\\w+$", 0, "t_1", true},
    {"^\\Q$a.b\\E$", 0, "$a.b", true},
    {"^\\Q$a.b\\E$", 0, "$axb", false},
    {"^(?P<db>shop)_\\d{2,3}$", 0, "shop_123", true},
    {"^(?P<db>shop)_\\d{2,3}$", 0, "shop_1234", false},
    /* DM docs examples: black-white-list and binlog event filter */
    {"^test.*", 0, "test_1", true},
    {"^(?i)ALTER\\s+TABLE[\\s\\S]*ADD\\s+PARTITION", 0, "alter table t add partition (p1)", true},
    {"^DROP\\s+PROCEDURE", DM_REGEX_ICASE, "drop procedure p", true},
    {"^INSERT\\s+INTO\\s+`?ignore_test`?", 0, "INSERT INTO `ignore_test` VALUES (1)", true},
    /* empty pattern matches everything */
    {"", 0, "x", true},
    /* Go accepts a capture name twice (regexp.SubexpIndex documents it) */
    {"^(?P<n>a)(?P<n>b)$", 0, "ab", true},
    /* \C only inside \Q..\E is literal text */
    {"^\\Q\\C\\E$", 0, "\\C", true},
    /* POSIX bracket classes are valid inside [] in Go too */
    {"^[[:digit:]]+$", 0, "123", true},
};

START_TEST(go_semantics)
{
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const struct mcase *c = &match_cases[i];
        struct dm_regex *re = NULL;
        char err[256] = "";
        int rc = dm_regex_compile(c->pattern, c->flags, &re, err, sizeof err);
        ck_assert_msg(rc == DM_OK, "compile %s: %s", c->pattern, err);
        ck_assert_msg(dm_regex_match(re, c->text) == c->match, "%s ~ %s should be %d",
                      c->pattern, c->text, c->match);
        ck_assert_str_eq(dm_regex_pattern(re), c->pattern);
        dm_regex_free(re);
    }
}
END_TEST

START_TEST(match_n_is_bounded)
{
    struct dm_regex *re = NULL;
    char err[128];
    ck_assert_int_eq(dm_regex_compile("^abc$", 0, &re, err, sizeof err), DM_OK);
    ck_assert(dm_regex_match_n(re, "abcdef", 3));
    ck_assert(!dm_regex_match_n(re, "abcdef", 4));
    dm_regex_free(re);
    dm_regex_free(NULL);
}
END_TEST

struct ecase {
    const char *pattern;
    const char *error;   /* Go: regexp.Compile(pattern) error text */
};

static const struct ecase error_cases[] = {
    {"keep_\\q", "error parsing regexp: invalid escape sequence: `\\q`"},
    {"a\\C", "error parsing regexp: invalid escape sequence: `\\C`"},
    {"a\\Z", "error parsing regexp: invalid escape sequence: `\\Z`"},
    {"(a", "error parsing regexp: missing closing ): `(a`"},
    {"a)", "error parsing regexp: unexpected ): `a)`"},
    {"[a", "error parsing regexp: missing closing ]: `[a`"},
    {"[z-a]", "error parsing regexp: invalid character class range: `z-a`"},
    {"a**", "error parsing regexp: invalid nested repetition operator: `**`"},
    {"*a", "error parsing regexp: missing argument to repetition operator: `*`"},
    {"a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"},
    {"(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
    {"(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"},
    {"a\\", "error parsing regexp: trailing backslash at end of expression: ``"},
    {"[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`"},
    {"[\\C]a", NULL},   /* \C in a class: RE2's own error, same text */
};

START_TEST(go_errors)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        struct dm_regex *re = (struct dm_regex *)1;
        char err[256] = "";
        int rc = dm_regex_compile(error_cases[i].pattern, 0, &re, err, sizeof err);
        if (!error_cases[i].error) {
            ck_assert_msg(rc == DM_E_INVAL, "%s compiled", error_cases[i].pattern);
            ck_assert_str_eq(err, "error parsing regexp: invalid escape sequence: `\\C`");
            continue;
        }
        ck_assert_msg(rc == DM_E_INVAL, "%s compiled", error_cases[i].pattern);
        ck_assert_ptr_null(re);
        ck_assert_msg(strncmp(err, "error parsing regexp: ", 22) == 0, "%s", err);
        ck_assert_str_eq(err, error_cases[i].error);
    }
}
END_TEST

START_TEST(bounds)
{
    size_t n = DM_REGEX_MAX_PATTERN + 1;
    char *big = malloc(n + 1);
    struct dm_regex *re = NULL;
    char err[256];
    memset(big, 'a', n);
    big[n] = '\0';
    ck_assert_int_eq(dm_regex_compile(big, 0, &re, err, sizeof err), DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "too large"));
    free(big);
    /* program over max_mem: valid Go syntax but refused rather than unbounded */
    ck_assert_int_eq(dm_regex_compile("[\\p{Greek}\\pL]{500}", 0, &re, err,
                                      sizeof err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "expression too large") != NULL, "%s", err);
    /* a pattern just within bounds compiles */
    ck_assert_int_eq(dm_regex_compile("^(\\pL|\\d){1,200}$", 0, &re, err, sizeof err), DM_OK);
    ck_assert(dm_regex_match(re, "abc123"));
    dm_regex_free(re);
}
END_TEST

static void *matcher(void *arg)
{
    long ok = 0;
    for (int i = 0; i < 2000; i++)
        ok += dm_regex_match(arg, i % 2 ? "keep_42" : "skip_42") == (i % 2 == 1);
    return (void *)ok;
}

/* Go evaluates \B at rune boundaries, RE2 at every byte: "\B" matched inside "ß" (found by
 * a differential run against Go's regexp: 180k random patterns, this was the only match
 * that differed). */
START_TEST(not_word_boundary_at_runes)
{
    static const struct { const char *p, *s; bool want; } cases[] = {
        { "\\B", "_\xc3\x9f" "B", false }, { "\\B", "ab", true }, { "\\B+?", "1\xc3\x9fk.B", false },
        { "A\\.+?|\\B", "A\xe2\x84\xaa" "B", false }, { "\\B", "\xc3\xa9\xc3\xa9", true },
        { "\\B\\w", "\xc3\xa9" "ab", true }, { "x\\B", "x\xc3\xa9", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dm_regex *re = NULL;
        char err[256];
        ck_assert_int_eq(dm_regex_compile(cases[i].p, 0, &re, err, sizeof err), DM_OK);
        ck_assert_msg(dm_regex_match(re, cases[i].s) == cases[i].want, "%s on %s", cases[i].p,
                      cases[i].s);
        dm_regex_free(re);
    }
}
END_TEST

START_TEST(concurrent_match)
{
    /* a compiled regex is shared read-only by many threads (the syncer's DML workers) */
    struct dm_regex *re = NULL;
    char err[64];
    ck_assert_int_eq(dm_regex_compile("^keep_\\d+$", 0, &re, err, sizeof err), DM_OK);
    pthread_t th[4];
    long total = 0;
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, matcher, re);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        total += (long)r;
    }
    ck_assert_int_eq(total, 8000);
    dm_regex_free(re);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_regex");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, go_semantics);
    tcase_add_test(tc, match_n_is_bounded);
    tcase_add_test(tc, go_errors);
    tcase_add_test(tc, bounds);
    tcase_add_test(tc, concurrent_match);
    tcase_add_test(tc, not_word_boundary_at_runes);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_yamljson.c - common/yamljson.c: typing, order, anchors/merge, errors, emit round trip */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamljson.h"
#include "testutil.h"

static json_t *parse_ok(const char *text)
{
    char err[256];
    json_t *v = yamljson_parse(text, strlen(text), err, sizeof err);
    ck_assert_msg(v != NULL, "parse failed: %s\n--\n%s", err, text);
    return v;
}

static void parse_bad(const char *text, const char *want_err)
{
    char err[256] = "";
    json_t *v = yamljson_parse(text, strlen(text), err, sizeof err);
    ck_assert_msg(v == NULL, "expected failure for:\n%s", text);
    ck_assert_msg(strstr(err, want_err) != NULL, "error '%s' lacks '%s'", err, want_err);
}

START_TEST(task_yaml)
{
    const char *text =
        "---\n"
        "name: test\n"
        "task-mode: all\n"
        "is-sharding: false\n"
        "meta-schema: \"dm_meta\"\n"
        "remove-meta: no\n"
        "enable-heartbeat: on\n"
        "heartbeat-update-interval: 1\n"
        "target-database:\n"
        "  host: \"127.0.0.1\"\n"
        "  port: 4000\n"
        "  password: '/Q7B9DizNLLTTfiZHv9WoEAKamfpIUs='\n"
        "mysql-instances:\n"
        "  - source-id: \"mysql-replica-01\"\n"
        "    black-white-list: \"instance\"\n"
        "    mydumper-config-name: \"global\"\n"
        "  - source-id: mysql-replica-02\n"
        "    route-rules: [\"route-rule-1\", \"route-rule-2\"]\n"
        "black-white-list:\n"
        "  instance:\n"
        "    do-dbs: [\"~^test.*\"]\n"
        "    ignore-tables:\n"
        "    - db-name: \"user\"\n"
        "      tbl-name: \"log\"\n";
    json_t *v = parse_ok(text);
    ck_assert_str_eq(json_string_value(json_object_get(v, "name")), "test");
    ck_assert(json_is_false(json_object_get(v, "is-sharding")));
    ck_assert(json_is_false(json_object_get(v, "remove-meta")));
    ck_assert(json_is_true(json_object_get(v, "enable-heartbeat")));
    ck_assert_int_eq(json_integer_value(json_object_get(v, "heartbeat-update-interval")), 1);
    json_t *td = json_object_get(v, "target-database");
    ck_assert_int_eq(json_integer_value(json_object_get(td, "port")), 4000);
    ck_assert_str_eq(json_string_value(json_object_get(td, "password")),
                     "/Q7B9DizNLLTTfiZHv9WoEAKamfpIUs=");
    json_t *mi = json_object_get(v, "mysql-instances");
    ck_assert_uint_eq(json_array_size(mi), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(mi, 1), "source-id")),
                     "mysql-replica-02");
    /* order preserved */
    const char *keys[] = {"name", "task-mode", "is-sharding", "meta-schema"};
    void *it = json_object_iter(v);
    for (int i = 0; i < 4; i++, it = json_object_iter_next(v, it))
        ck_assert_str_eq(json_object_iter_key(it), keys[i]);
    json_decref(v);
}
END_TEST

START_TEST(scalar_typing)
{
    json_t *v = parse_ok("a: ~\nb: null\nc:\nd: 0x1F\ne: 0o17\nf: 0755\ng: 1_000\nh: -12\n"
                         "i: 1.5\nj: 1e3\nk: \"123\"\nl: '1.5'\nm: !!str 42\nn: 99999999999999999999\n"
                         "o: 1.2.3\np: YES\nq: Off\nr: .inf\ns: 08\nt: \"yes\"\n");
    ck_assert(json_is_null(json_object_get(v, "a")));
    ck_assert(json_is_null(json_object_get(v, "b")));
    ck_assert(json_is_null(json_object_get(v, "c")));
    ck_assert_int_eq(json_integer_value(json_object_get(v, "d")), 31);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "e")), 15);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "f")), 0755);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "g")), 1000);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "h")), -12);
    ck_assert(json_real_value(json_object_get(v, "i")) == 1.5);
    ck_assert(json_real_value(json_object_get(v, "j")) == 1000.0);
    ck_assert_str_eq(json_string_value(json_object_get(v, "k")), "123");
    ck_assert_str_eq(json_string_value(json_object_get(v, "l")), "1.5");
    ck_assert_str_eq(json_string_value(json_object_get(v, "m")), "42");
    ck_assert(json_is_real(json_object_get(v, "n")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "o")), "1.2.3");
    ck_assert(json_is_true(json_object_get(v, "p")));
    ck_assert(json_is_false(json_object_get(v, "q")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "r")), ".inf");
    ck_assert(json_real_value(json_object_get(v, "s")) == 8.0);
    ck_assert_str_eq(json_string_value(json_object_get(v, "t")), "yes");
    json_decref(v);
}
END_TEST

START_TEST(anchors_and_merge)
{
    json_t *v = parse_ok("base: &b\n  threads: 4\n  chunk: 64\n"
                         "x: *b\n"
                         "y:\n  <<: *b\n  chunk: 128\n"
                         "z:\n  chunk: 1\n  <<: [*b]\n");
    json_t *b = json_object_get(v, "base");
    ck_assert(json_equal(b, json_object_get(v, "x")));
    ck_assert_ptr_eq(b, json_object_get(v, "x"));   /* shared, never copied (issue 17) */
    json_t *y = json_object_get(v, "y");
    ck_assert_int_eq(json_integer_value(json_object_get(y, "threads")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "chunk")), 128);
    json_t *z = json_object_get(v, "z");
    ck_assert_int_eq(json_integer_value(json_object_get(z, "chunk")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(z, "threads")), 4);
    json_decref(v);
}
END_TEST

START_TEST(errors)
{
    parse_bad("a: 1\na: 2\n", "line 2 column 1: duplicate key 'a'");
    parse_bad("a: 1\n---\nb: 2\n", "multiple documents");
    parse_bad("1: x\n", "keys must be strings");
    parse_bad("? [a]\n: x\n", "keys must be strings");
    parse_bad("a: *nope\n", "unknown anchor");
    parse_bad("a: [1, 2\n", "line");
    parse_bad("a: !custom x\n", "unsupported tag");
    parse_bad("a:\n  b: 1\n c: 2\n", "line 3");
    /* alias bomb stays bounded */
    const char *bomb =
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    parse_bad(bomb, "too large");
    json_t *v = parse_ok("");
    ck_assert(json_is_null(v));
    json_decref(v);
    v = parse_ok("# only a comment\n");
    ck_assert(json_is_null(v));
    json_decref(v);
}
END_TEST

/* issue 17: aliases are shared and the budget counts expanded BYTES. */
static char *alias_doc(size_t scalar_len, size_t aliases)
{
    size_t cap = scalar_len + aliases * 8 + 64;
    char *d = malloc(cap);
    ck_assert_ptr_nonnull(d);
    size_t n = (size_t)snprintf(d, cap, "name: t\nbig: &a \"");
    memset(d + n, 'x', scalar_len);
    n += scalar_len;
    n += (size_t)snprintf(d + n, cap - n, "\"\nlist: [");
    for (size_t i = 0; i < aliases; i++)
        n += (size_t)snprintf(d + n, cap - n, "%s*a", i ? "," : "");
    snprintf(d + n, cap - n, "]\n");
    return d;
}

START_TEST(alias_budget_counts_bytes)
{
    char err[256];
    /* the 44,801-byte body: one 32 KiB scalar aliased 3,000 times (~94 MiB) */
    char *d = alias_doc(32768, 3000);
    ck_assert_ptr_null(yamljson_parse(d, strlen(d), err, sizeof(err)));
    ck_assert_msg(strstr(err, "document too large: its aliases expand to more than") != NULL, "%s", err);
    char want[128];
    snprintf(want, sizeof(want), "the budget of a %zu-byte document", strlen(d));
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    free(d);
    /* a few aliases of it are fine, and share the one value */
    d = alias_doc(32768, 4);
    json_t *v = yamljson_parse(d, strlen(d), err, sizeof(err));
    ck_assert_msg(v != NULL, "%s", err);
    json_t *list = json_object_get(v, "list");
    ck_assert_uint_eq(json_array_size(list), 4);
    ck_assert_ptr_eq(json_array_get(list, 0), json_object_get(v, "big"));
    ck_assert_ptr_eq(json_array_get(list, 3), json_object_get(v, "big"));
    ck_assert_uint_eq(json_string_length(json_array_get(list, 2)), 32768);
    /* emitting expands the aliases again: a value equal to the parse */
    char *y = yamljson_emit(v);
    ck_assert_ptr_nonnull(y);
    json_t *back = yamljson_parse(y, strlen(y), err, sizeof(err));
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert(json_equal(v, back));
    json_decref(back);
    free(y);
    json_decref(v);
    free(d);
    /* the classic billion laughs (617 bytes) */
    const char *lol =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    ck_assert_ptr_null(yamljson_parse(lol, strlen(lol), err, sizeof(err)));
    ck_assert_msg(strstr(err, "its aliases expand to more than") != NULL, "%s", err);
    /* dense text without aliases: 1 MiB of "0," is ~512k nodes (~40 MiB of jansson) */
    size_t n = 1u << 20;
    d = malloc(n + 1);
    ck_assert_ptr_nonnull(d);
    d[0] = '[';
    for (size_t i = 1; i < n - 1; i += 2) {
        d[i] = '0';
        d[i + 1] = ',';
    }
    d[n - 2] = '0';
    d[n - 1] = ']';
    d[n] = '\0';
    ck_assert_ptr_null(yamljson_parse(d, n, err, sizeof(err)));
    ck_assert_msg(strstr(err, "document too large: it expands to more than") != NULL, "%s", err);
    /* ... and the same text as JSON costs the same: over its budget before jansson runs */
    ck_assert_uint_gt(yamljson_json_cost(d, n), yamljson_budget(n));
    free(d);
    /* explicit budgets: exactly at the cost passes, one byte less fails */
    const char *small = "k: vv\n";   /* mapping + key "k" + scalar "vv" */
    size_t cost = 3 * YAMLJSON_NODE_COST + 1 + 2;
    v = yamljson_parse_budget(small, strlen(small), cost, err, sizeof(err));
    ck_assert_msg(v != NULL, "%s", err);
    json_decref(v);
    ck_assert_ptr_null(yamljson_parse_budget(small, strlen(small), cost - 1, err, sizeof(err)));
    /* the budget formula and the JSON pre-scan */
    ck_assert_uint_eq(yamljson_budget(0), YAMLJSON_BUDGET_MIN);
    ck_assert_uint_eq(yamljson_budget(1000), YAMLJSON_BUDGET_MIN + YAMLJSON_BUDGET_FACTOR * 1000);
    ck_assert_uint_eq(yamljson_budget(YAMLJSON_BUDGET_KNEE + 1000),
                      YAMLJSON_BUDGET_MIN + YAMLJSON_BUDGET_FACTOR * YAMLJSON_BUDGET_KNEE + 500);
    ck_assert_uint_eq(yamljson_budget(SIZE_MAX), SIZE_MAX / 2 + 640u * 1024);
    /* issue 17: a body at the 1 MiB limit builds about its own size of tree, no more */
    ck_assert_uint_le(yamljson_budget(1u << 20), (1u << 20) + YAMLJSON_BUDGET_MIN);
    ck_assert_uint_eq(yamljson_json_cost("{}", 2), 2 * YAMLJSON_NODE_COST + 2);
    ck_assert_uint_eq(yamljson_json_cost("[1,2]", 5), 3 * YAMLJSON_NODE_COST + 5);
    /* commas, brackets and escaped quotes inside strings are not values */
    const char *str = "[\"a,b[c{\\\",\"]";
    ck_assert_uint_eq(yamljson_json_cost(str, strlen(str)), 2 * YAMLJSON_NODE_COST + strlen(str));
}
END_TEST

START_TEST(emit_round_trip)
{
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:f, s:b, s:n, s:[], s:{}, s:[s,{s:s}],"
                          " s:s, s:s, s:s}",
                          "plain", "hello", "bool-like", "yes", "num-like", "0x10", "null-like", "~",
                          "multi", "line1\nline2\t\"q\"", "int", 42, "real", 2.0, "real2", 0.1,
                          "flag", 1, "nothing", "empty-arr", "empty-obj", "list", "a", "k", "v",
                          "colon", "a: b", "", "empty key", "utf8", "\xc3\xa9t\xc3\xa9");
    ck_assert_ptr_nonnull(v);
    char *out = yamljson_emit(v);
    ck_assert_ptr_nonnull(out);
    json_t *back = parse_ok(out);
    ck_assert_msg(json_equal(v, back), "round trip differs:\n%s", out);
    ck_assert_ptr_nonnull(strstr(out, "plain: hello\n"));
    ck_assert_ptr_nonnull(strstr(out, "bool-like: \"yes\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "real: 2.0\n"));
    free(out);
    json_decref(back);
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("yamljson");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, task_yaml);
    tcase_add_test(tc, scalar_typing);
    tcase_add_test(tc, anchors_and_merge);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, alias_budget_counts_bytes);
    tcase_add_test(tc, emit_round_trip);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_toml.c - common/toml.c: parsing, error lines, redefinition rules, emit round trip */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "testutil.h"

static json_t *parse_ok(const char *text)
{
    char err[256];
    json_t *v = toml_parse(text, strlen(text), err, sizeof err);
    ck_assert_msg(v != NULL, "parse failed: %s\n--\n%s", err, text);
    return v;
}

static void parse_bad(const char *text, const char *want_err)
{
    char err[256] = "";
    json_t *v = toml_parse(text, strlen(text), err, sizeof err);
    ck_assert_msg(v == NULL, "expected failure for:\n%s", text);
    ck_assert_msg(strstr(err, want_err) != NULL, "error '%s' lacks '%s'", err, want_err);
}

START_TEST(dm_master_config)
{
    const char *text =
        "# Master Configuration.\n"
        "master-addr = \":8261\"\n"
        "log-level = 'info'   # trailing comment\n"
        "rpc-timeout = \"30s\"\n"
        "rpc-rate-limit = 10.0\n"
        "rpc-rate-burst = 4_0\n"
        "\n"
        "[[deploy]]\n"
        "source-id = \"mysql-replica-01\"\n"
        "dm-worker = \"172.16.10.72:8262\"\n"
        "\n"
        "[[deploy]]\r\n"
        "\"source-id\" = \"mysql-replica-02\"\r\n"
        "dm-worker = \"172.16.10.73:8262\"\r\n";
    json_t *v = parse_ok(text);
    ck_assert_str_eq(json_string_value(json_object_get(v, "master-addr")), ":8261");
    ck_assert_str_eq(json_string_value(json_object_get(v, "log-level")), "info");
    ck_assert(json_is_real(json_object_get(v, "rpc-rate-limit")));
    ck_assert_int_eq(json_integer_value(json_object_get(v, "rpc-rate-burst")), 40);
    json_t *d = json_object_get(v, "deploy");
    ck_assert_uint_eq(json_array_size(d), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 1), "source-id")),
                     "mysql-replica-02");
    /* key order is preserved */
    const char *first = json_object_iter_key(json_object_iter(v));
    ck_assert_str_eq(first, "master-addr");
    json_decref(v);
}
END_TEST

START_TEST(values)
{
    const char *text =
        "a = \"tab\\there \\u00e9 \\U0001F600 \\\\ \\\"\"\n"
        "b = '''\nraw \\n\n'''\n"
        "c = \"\"\"\nline1 \\\n   line2\"\"\"\n"
        "d = [1, 2,\n  3, # comment\n]\n"
        "e = { x = 1, y.z = \"w\" }\n"
        "f = -0x10\n";
    parse_bad(text, "line 12: invalid number");
    text =
        "a = \"tab\\there \\u00e9 \\U0001F600 \\\\ \\\"\"\n"
        "b = '''\nraw \\n\n'''\n"
        "c = \"\"\"\nline1 \\\n   line2\"\"\"\n"
        "d = [1, 2,\n  3, # comment\n]\n"
        "e = { x = 1, y.z = \"w\" }\n"
        "f = 0x1F\ng = 0o17\nh = 0b101\ni = 1e3\nj = -1.5E-2\nk = true\nl = false\n"
        "m = \"\"\"two \"\"quotes\"\"\"\"\n"
        "n = [[1, 2], [\"a\"]]\n"
        "o.p.q = 9223372036854775807\n";
    json_t *v = parse_ok(text);
    ck_assert_str_eq(json_string_value(json_object_get(v, "a")),
                     "tab\there \xc3\xa9 \xf0\x9f\x98\x80 \\ \"");
    ck_assert_str_eq(json_string_value(json_object_get(v, "b")), "raw \\n\n");
    ck_assert_str_eq(json_string_value(json_object_get(v, "c")), "line1 line2");
    ck_assert_uint_eq(json_array_size(json_object_get(v, "d")), 3);
    json_t *e = json_object_get(v, "e");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "x")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "y"), "z")), "w");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "f")), 31);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "g")), 15);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "h")), 5);
    ck_assert(json_real_value(json_object_get(v, "i")) == 1000.0);
    ck_assert(json_real_value(json_object_get(v, "j")) == -0.015);
    ck_assert(json_is_true(json_object_get(v, "k")));
    ck_assert(json_is_false(json_object_get(v, "l")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "m")), "two \"\"quotes\"");
    ck_assert_uint_eq(json_array_size(json_object_get(v, "n")), 2);
    json_t *q = json_object_get(json_object_get(json_object_get(v, "o"), "p"), "q");
    ck_assert(json_integer_value(q) == 9223372036854775807LL);
    json_decref(v);
}
END_TEST

START_TEST(tables_and_redefinition)
{
    json_t *v = parse_ok("[a.b]\nx = 1\n[a]\ny = 2\n[a.c]\n[[t]]\nk=1\n[t.sub]\nz=1\n[[t]]\nk=2\n");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(v, "a"), "b"), "x")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(v, "a"), "y")), 2);
    json_t *t = json_object_get(v, "t");
    ck_assert_uint_eq(json_array_size(t), 2);
    ck_assert_ptr_nonnull(json_object_get(json_array_get(t, 0), "sub"));
    json_decref(v);

    parse_bad("a = 1\na = 2\n", "line 2: duplicate key 'a'");
    parse_bad("[a]\n[a]\n", "line 2");
    parse_bad("a.b = 1\n[a]\n", "line 2");
    parse_bad("[a.b]\n[a]\nb.c = 1\n", "line 3");
    parse_bad("a = {x = 1}\n[a]\n", "line 2");
    parse_bad("a = {x = 1}\na.y = 2\n", "line 2");
    parse_bad("a = [1]\n[[a]]\n", "line 2");
    parse_bad("[[a]]\n[a]\n", "line 2");
}
END_TEST

START_TEST(errors)
{
    parse_bad("d = 1979-05-27\n", "dates");
    parse_bad("t = 07:32:00\n", "dates");
    parse_bad("x = \"unterminated\n", "line 1");
    parse_bad("x =\n", "missing value");
    parse_bad("x = 1 2\n", "expected end of line");
    parse_bad("\n\nx = 01\n", "line 3: invalid number");
    parse_bad("x = 1__0\n", "invalid number");
    parse_bad("x = 99999999999999999999\n", "out of range");
    parse_bad("x = inf\n", "not supported");
    parse_bad("x = \"\\q\"\n", "escape");
    parse_bad("x = \"\\u0000\"\n", "unicode");
    parse_bad("x = \"a\x01\"\n", "control");
    parse_bad("x = \"\xff\"\n", "UTF-8");
    parse_bad("[a\n", "expected ']'");
    parse_bad("x = [1,,2]\n", "line 1");
    parse_bad("x = {a = 1,}\n", "line 1");
    /* deep nesting is bounded */
    char deep[400];
    memset(deep, '[', sizeof deep);
    memcpy(deep, "x = ", 4);
    deep[sizeof deep - 1] = '\0';
    parse_bad(deep, "too deep");
    json_t *v = parse_ok("");
    ck_assert_uint_eq(json_object_size(v), 0);
    json_decref(v);
}
END_TEST

/* gwattack4 (PUT /api/v1/master/config with an admin token, parsed by our dm-master):
 * a dotted key or table header of 50,000 parts nested 50,000 tables (the value depth
 * bound did not apply to keys; a deep enough one would overflow the stack when freed),
 * and every table's redefinition mark was found by a linear scan, so 40,000 `[tN]`
 * headers took ~10 s. Keys are now bounded to 64 parts and the marks are hashed. */
START_TEST(key_parts_bounded_and_many_tables)
{
    char key[3 * 70 + 16];
    size_t n = 0;
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(key + n, sizeof(key) - n, "a.");
    snprintf(key + n, sizeof(key) - n, "a = 1\n");   /* 64 parts: the limit */
    json_t *v = parse_ok(key);
    json_decref(v);
    snprintf(key + n, sizeof(key) - n, "a.b = 1\n");   /* 65 */
    parse_bad(key, "more than 64 dotted parts");
    char hdr[sizeof(key) + 2];
    snprintf(hdr, sizeof(hdr), "[%.*sa.b]\n", (int)n, key);
    parse_bad(hdr, "more than 64 dotted parts");

    enum { TABLES = 20000 };
    struct {
        char *p;
        size_t len;
    } b = {malloc(TABLES * 24), 0};   /* 20,000 x "[tNNNNN]\nk = NNNNN\n" */
    ck_assert_ptr_nonnull(b.p);
    for (int i = 0; i < TABLES; i++)
        b.len += (size_t)sprintf(b.p + b.len, "[t%d]\nk = %d\n", i, i);
    char err[256] = "";
    v = toml_parse(b.p, b.len, err, sizeof(err));
    ck_assert_msg(v != NULL, "%s", err);
    ck_assert_uint_eq(json_object_size(v), TABLES);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(v, "t19999"), "k")), 19999);
    json_decref(v);
    /* redefinition is still found among them */
    b.len += (size_t)sprintf(b.p + b.len, "[t7]\n");
    ck_assert_ptr_null(toml_parse(b.p, b.len, err, sizeof(err)));
    ck_assert_msg(strstr(err, "defined twice") != NULL, "%s", err);
    free(b.p);
}
END_TEST

START_TEST(emit_round_trip)
{
    const char *text =
        "name = \"x\\\"y\\n\"\n"
        "\"weird key\" = 1.5\n"
        "n = 3\n"
        "f = 2.0\n"
        "arr = [1, \"two\", [3]]\n"
        "mixed = [{a = 1}, 2]\n"
        "flag = false\n"
        "[from]\nhost = \"127.0.0.1\"\nport = 3306\n[from.session]\nsql_mode = \"\"\n"
        "[[deploy]]\nsource-id = \"a\"\n[[deploy]]\nsource-id = \"b\"\n[deploy.inner]\nz = 1\n";
    json_t *v = parse_ok(text);
    json_object_set_new(v, "dropped", json_null());
    char *out = toml_emit(v);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_null(strstr(out, "dropped"));
    json_object_del(v, "dropped");
    json_t *back = parse_ok(out);
    ck_assert_msg(json_equal(v, back), "round trip differs:\n%s", out);
    ck_assert_ptr_nonnull(strstr(out, "[from.session]\n"));
    ck_assert_ptr_nonnull(strstr(out, "[[deploy]]\n"));
    ck_assert_ptr_nonnull(strstr(out, "\"weird key\" = 1.5\n"));
    ck_assert_ptr_nonnull(strstr(out, "f = 2.0\n"));
    free(out);
    json_decref(back);
    json_decref(v);
    ck_assert_ptr_null(toml_emit(NULL));
    json_t *arr = json_array();
    ck_assert_ptr_null(toml_emit(arr));
    json_decref(arr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("toml");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, dm_master_config);
    tcase_add_test(tc, values);
    tcase_add_test(tc, tables_and_redefinition);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, emit_round_trip);
    tcase_add_test(tc, key_parts_bounded_and_many_tables);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

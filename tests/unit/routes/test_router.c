/* test_router.c - routes/router.c: matching, percent-decoding, 404/405, and the
 * route table <-> openapi/openapi.yaml consistency check (both directions). */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"
#include "openapi_doc.h"
#include "router.h"
#include "yamljson.h"
#include "testutil.h"

START_TEST(matches_and_decodes_params)
{
    struct router_match m;
    ck_assert_int_eq(router_match(router_table, router_table_len, "GET", "/api/v1/tasks/my%2Dtask", &m), DM_OK);
    ck_assert_str_eq(m.route->operation_id, "getTask");
    ck_assert_str_eq(router_param(&m, "name"), "my-task");
    router_match_clear(&m);
    ck_assert_int_eq(router_match(router_table, router_table_len, "PUT",
                                  "/api/v1/workers/127.0.0.1%3A8262/relay-config", &m), DM_OK);
    ck_assert_str_eq(router_param(&m, "worker"), "127.0.0.1:8262");
    router_match_clear(&m);
    ck_assert_int_eq(router_match(router_table, router_table_len, "POST",
                                  "/api/v1/ddl-locks/test-%60db%60.%60tbl%60/unlock", &m), DM_OK);
    ck_assert_str_eq(router_param(&m, "id"), "test-`db`.`tbl`");
    router_match_clear(&m);
    /* literal before template: /tasks/check is checkTask for POST */
    ck_assert_int_eq(router_match(router_table, router_table_len, "POST", "/api/v1/tasks/check", &m), DM_OK);
    ck_assert_str_eq(m.route->operation_id, "checkTask");
    router_match_clear(&m);
    /* one trailing slash tolerated */
    ck_assert_int_eq(router_match(router_table, router_table_len, "GET", "/api/v1/tasks/", &m), DM_OK);
    ck_assert_str_eq(m.route->operation_id, "listTasks");
    router_match_clear(&m);
}
END_TEST

START_TEST(not_found_and_method_not_allowed)
{
    struct router_match m;
    ck_assert_int_eq(router_match(router_table, router_table_len, "GET", "/api/v2/tasks", &m), DM_E_NOT_FOUND);
    router_match_clear(&m);
    ck_assert_int_eq(router_match(router_table, router_table_len, "POST", "/api/v1/tasks/x", &m), DM_E_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD, PUT, PATCH, DELETE");
    router_match_clear(&m);
    /* HEAD is served by the GET route (RFC 9110 9.3.2; it used to be 405) */
    ck_assert_int_eq(router_match(router_table, router_table_len, "HEAD", "/api/v1/tasks/x", &m), DM_OK);
    ck_assert_str_eq(m.route->operation_id, "getTask");
    router_match_clear(&m);
    ck_assert_int_eq(router_match(router_table, router_table_len, "HEAD", "/api/v1/tasks/x/pause", &m),
                     DM_E_METHOD);
    router_match_clear(&m);
    /* encoded slash, NUL, bad escapes and empty segments never match a parameter */
    const char *bad[] = {"/api/v1/tasks/a%2Fb", "/api/v1/tasks/%00", "/api/v1/tasks/%zz",
                         "/api/v1/tasks/%4", "/api/v1/tasks//errors", "api/v1/tasks", "",
                         /* issue 17: the name rule (dm_name_check) */
                         "/api/v1/tasks/atk%0Ameta-schema:%20x", "/api/v1/tasks/atk%0D%0ASet-Cookie:%20a=1",
                         "/api/v1/tasks/atk%09x", "/api/v1/tasks/---atk", "/api/v1/tasks/...x",
                         "/api/v1/tasks/a%7Fb",
                         /* gwattack: escapes that decode to bytes that are not UTF-8 (they
                          * reached the master, whose answer named the task "\ufffd\ufffd") */
                         "/api/v1/tasks/%c0%af", "/api/v1/tasks/%ed%a0%80/config", "/api/v1/tasks/a%ff",
                         "/api/v1/tasks/%e5%90/errors"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(router_match(router_table, router_table_len, "GET", bad[i], &m), DM_E_NOT_FOUND);
        router_match_clear(&m);
    }
    char longp[ROUTER_MAX_PATH + 10];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    ck_assert_int_eq(router_match(router_table, router_table_len, "GET", longp, &m), DM_E_INVAL);
    router_match_clear(&m);
}
END_TEST

START_TEST(pct_decode)
{
    char *s = router_pct_decode("a+b%20c%3a", 10, true);
    ck_assert_str_eq(s, "a b c:");
    free(s);
    s = router_pct_decode("a+b", 3, false);
    ck_assert_str_eq(s, "a+b");
    free(s);
    ck_assert_ptr_null(router_pct_decode("%", 1, false));
    ck_assert_ptr_null(router_pct_decode("%0", 2, false));
    ck_assert_ptr_null(router_pct_decode("%00", 3, false));
    /* gwattack: the decoded bytes must be UTF-8 (query values went to the master too) */
    ck_assert_ptr_null(router_pct_decode("%ff", 3, true));
    ck_assert_ptr_null(router_pct_decode("%c0%af", 6, true));
    ck_assert_ptr_null(router_pct_decode("x%ed%a0%80", 10, false));
    s = router_pct_decode("%e5%90%8d+%E2%82%AC", 19, true);
    ck_assert_str_eq(s, "\xe5\x90\x8d \xe2\x82\xac");
    free(s);
}
END_TEST

static const char *METHODS[] = {"get", "put", "post", "patch", "delete", NULL};

static const struct route *table_find(const char *method, const char *path)
{
    for (size_t i = 0; i < router_table_len; i++) {
        if (strcasecmp(router_table[i].method, method) == 0 && strcmp(router_table[i].path, path) == 0)
            return &router_table[i];
    }
    return NULL;
}

static const char *scope_name(enum auth_scope s)
{
    return s == AUTH_SCOPE_READ ? "dm:read" : s == AUTH_SCOPE_WRITE ? "dm:write"
         : s == AUTH_SCOPE_ADMIN ? "dm:admin" : NULL;
}

/* Every OpenAPI operation has a route (same operationId and scope) and vice versa. */
/* gwattack4: a body announced in another charset than UTF-8 is refused (415), whatever
 * the spelling of the parameter; a `charset=` inside another parameter's quotes is not one. */
START_TEST(media_charset)
{
    static const struct {
        const char *ct, *bad;
    } cases[] = {
        {NULL, NULL},
        {"application/json", NULL},
        {"application/json; charset=utf-8", NULL},
        {"application/json;CHARSET=\"UTF-8\"", NULL},
        {"application/json; charset=utf8; x=1", NULL},
        {"text/yaml; charset=us-ascii", NULL},
        {"application/json; a=\"x;charset=utf-16\"", NULL},
        {"application/json; a=\"\\\";charset=utf-16\"", NULL},
        {"application/json; charset=utf-16", "utf-16"},
        {"application/json; Charset = ISO-8859-1 ", "ISO-8859-1"},
        {"application/json; charset=\"latin1\"", "latin1"},
        {"application/json; charset=utf-8; charset=utf-16", "utf-16"},
        {"application/json; charset=", ""},
        {"application/json; charset", ""},
        {"application/json; charset=\"utf-8", NULL},   /* an unclosed quote ends the value */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = 99;
        const char *v = router_media_charset_bad(cases[i].ct, &n);
        if (!cases[i].bad) {
            ck_assert_msg(v == NULL, "%s: %s", cases[i].ct, v);
            continue;
        }
        ck_assert_msg(v != NULL, "%s", cases[i].ct);
        ck_assert_msg(n == strlen(cases[i].bad) && strncmp(v, cases[i].bad, n) == 0, "%s: %.*s",
                      cases[i].ct, (int)n, v);
    }
}
END_TEST

START_TEST(route_table_matches_openapi)
{
    char err[256] = "";
    json_t *doc = yamljson_parse_budget(route_openapi_yaml, route_openapi_yaml_len, SIZE_MAX, err, sizeof(err));
    ck_assert_msg(doc != NULL, "openapi.yaml: %s", err);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    size_t nops = 0;
    json_object_foreach(paths, path, item) {
        for (size_t k = 0; METHODS[k]; k++) {
            json_t *op = json_object_get(item, METHODS[k]);
            if (!op)
                continue;
            nops++;
            const struct route *r = table_find(METHODS[k], path);
            ck_assert_msg(r != NULL, "openapi %s %s has no route", METHODS[k], path);
            const char *opid = json_string_value(json_object_get(op, "operationId"));
            ck_assert_msg(opid && strcmp(opid, r->operation_id) == 0, "%s %s: operationId %s vs %s",
                          METHODS[k], path, opid, r->operation_id);
            const char *xs = json_string_value(json_object_get(op, "x-scope"));
            const char *want = scope_name(r->scope);
            ck_assert_msg((!xs && !want) || (xs && want && strcmp(xs, want) == 0),
                          "%s %s: x-scope %s vs table %s", METHODS[k], path, xs, want);
            ck_assert_msg(json_object_get(op, "responses") != NULL, "%s %s: no responses", METHODS[k], path);
        }
    }
    for (size_t i = 0; i < router_table_len; i++) {
        json_t *it = json_object_get(paths, router_table[i].path);
        char lower[16];
        size_t j = 0;
        for (; router_table[i].method[j] && j < sizeof(lower) - 1; j++)
            lower[j] = (char)(router_table[i].method[j] | 0x20);
        lower[j] = '\0';
        ck_assert_msg(it && json_object_get(it, lower), "route %s %s missing from openapi.yaml",
                      router_table[i].method, router_table[i].path);
    }
    ck_assert_uint_eq(nops, router_table_len);
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matches_and_decodes_params);
    tcase_add_test(tc, not_found_and_method_not_allowed);
    tcase_add_test(tc, pct_decode);
    tcase_add_test(tc, route_table_matches_openapi);
    tcase_add_test(tc, media_charset);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

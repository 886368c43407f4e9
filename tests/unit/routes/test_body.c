/* test_body.c - routes/body.c: the memory budget of JSON bodies and the in-place decode
 * of {"task": "<yaml>"} (issue 17). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dm_error.h"
#include "route_ctx.h"
#include "testutil.h"
#include "yamljson.h"

START_TEST(json_cost_budget)
{
    char why[256] = "";
    const char *task = "{\"name\":\"t\",\"task-mode\":\"all\",\"mysql-instances\":[{\"source-id\":\"s1\"}]}";
    ck_assert(body_json_cost_fits(task, strlen(task), why, sizeof(why)));
    /* 1 MiB of [0,0,0,...]: ~512k values, far over 256 KiB + 2 MiB */
    size_t n = 1u << 20;
    char *d = malloc(n + 1);
    ck_assert_ptr_nonnull(d);
    d[0] = '[';
    for (size_t i = 1; i < n; i++)
        d[i] = i % 2 ? '0' : ',';
    d[n - 1] = ']';
    d[n] = '\0';
    ck_assert(!body_json_cost_fits(d, n, why, sizeof(why)));
    ck_assert_msg(strstr(why, "the JSON body has too many values for its size") != NULL, "%s", why);
    /* nesting counts too: [[[[...]]]] */
    for (size_t i = 0; i < n; i++)
        d[i] = i < n / 2 ? '[' : ']';
    ck_assert(!body_json_cost_fits(d, n, why, sizeof(why)));
    /* one big string is one value: fits */
    memset(d, 'a', n);
    d[0] = '"';
    d[n - 1] = '"';
    ck_assert(body_json_cost_fits(d, n, why, sizeof(why)));
    free(d);
}
END_TEST

/* One task_body_parse of a JSON body: status (0 = parsed), problem text, YAML, workers. */
struct parsed {
    int status;
    char text[1024];
    char yaml[512];
    char workers[128];
    bool body_changed;
};

static void parse_one(const char *body, struct parsed *out)
{
    struct route_env env;
    struct route_ctx c;
    struct task_body tb;
    memset(&env, 0, sizeof(env));
    memset(out, 0, sizeof(*out));
    route_ctx_init(&c, &env);
    char *copy = strdup(body);
    ck_assert_ptr_nonnull(copy);
    c.req.method = "POST";
    c.req.path = "/api/v1/tasks";
    c.req.request_id = "test";
    c.req.content_type = "application/json";
    c.req.body = copy;
    c.req.body_len = strlen(body);
    if (task_body_parse(&c, &tb) == DM_OK) {
        snprintf(out->yaml, sizeof(out->yaml), "%s", tb.yaml);
        for (size_t i = 0; i < tb.workers.n; i++)
            snprintf(out->workers + strlen(out->workers), sizeof(out->workers) - strlen(out->workers),
                     "%s;", tb.workers.v[i]);
    } else {
        out->status = c.resp.status;
        snprintf(out->text, sizeof(out->text), "%s", c.resp.body.data ? c.resp.body.data : "");
    }
    out->body_changed = strcmp(copy, body) != 0;
    task_body_free(&tb);
    route_ctx_release(&c);
    free(copy);
}

/* The in-place path gives what jansson gives: each body is compared with the same body
 * whose key is spelled "t\u0061sk" (jansson reads it as "task"; the in-place scanner does
 * not, so that one takes the plain jansson parse). Keys sit on line 1, values on line 2,
 * so error positions match. */
START_TEST(task_in_place_same_as_jansson)
{
    static const struct { const char *body; bool fast; } cases[] = {
        {"{\"task\":\n\"name: t\\ntask-mode: all\\n\"}", true},
        {"{\"task\":\n\"name: \\\"t\\u00e9\\ud83d\\ude00\\\"\\ntask-mode: all\\n# \\/\\\\ \\t\\r\\n\"}", true},
        {"{\"workers\": [\"w1\"], \"task\":\n\"name: t\\n\", \"workers\": [\"w2\"]}", false},
        {"{\"workers\": [\"w1\", \"w2\"], \"task\":\n\"name: t\\n\"}", true},
        {"{\"a\": {\"task\": 1, \"b\": [\"}\", {\"c\": \"\\\"\"}]}, \"task\":\n\"name: t\\n\"}", true},
        {"{\"task\":\n\"name: t\\n\", \"x\": 1}", true},
        {"{\"task\":\n\"name: t\\n\", \"task\": \"name: u\\n\"}", false},
        {"{\"task\":\n\"name: t\\q\\n\"}", false},
        {"{\"task\":\n\"name: t\\u0000\\n\"}", false},
        {"{\"task\":\n\"name: t\\ud800\\n\"}", false},
        {"{\"task\":\n\"name: t\\udc00x\\n\"}", false},
        {"{\"task\":\n\"name: t\\u12\"}", false},
        {"{\"task\":\n\"name: t\tx\\n\"}", false},
        {"{\"task\":\n\"name: t\xff\\n\"}", false},
        {"{\"task\":\n\"name: t\xc3\"}", false},
        {"{\"task\":\n\"name: t\xed\xa0\x80\"}", false},
        {"{\"task\":\n\"name: t\\n\"}\n]", false},
        {"{\"task\":\n5}", false},
        {"{\"task\":\n\"name: [\\n\"}", true},
        {"{\"task\":\n\"name: \\\"a\\\\u0001b\\\"\\n\"}", true},
        {"{\"task\":\n\"a: &a [1,2]\\nb: [*a,*a,*a,*a]\\nname: t\\n\"}", true},
        {"{\"task\":\n\"- 1\\n\"}", true},
        {"{\"task\":\n\"\"}", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *b = cases[i].body, *k = strstr(b, "\"task\":\n");
        ck_assert_ptr_nonnull(k);
        char slow[512];
        snprintf(slow, sizeof(slow), "%.*s\"t\\u0061sk\"%s", (int)(k - b), b, k + 6);
        struct parsed f, s;
        parse_one(b, &f);
        parse_one(slow, &s);
        ck_assert_msg(!s.body_changed, "case %zu: the jansson path changed the body", i);
        ck_assert_msg(f.body_changed == cases[i].fast, "case %zu: in place %d", i, f.body_changed);
        ck_assert_msg(f.status == s.status, "case %zu: %d vs %d (%s | %s)", i, f.status, s.status,
                      f.text, s.text);
        ck_assert_msg(strcmp(f.text, s.text) == 0, "case %zu: %s | %s", i, f.text, s.text);
        ck_assert_msg(strcmp(f.yaml, s.yaml) == 0, "case %zu: %s | %s", i, f.yaml, s.yaml);
        ck_assert_str_eq(f.workers, s.workers);
    }
    /* a valid one really parsed, with the decoded characters */
    struct parsed f;
    parse_one(cases[1].body, &f);
    ck_assert_int_eq(f.status, 0);
    ck_assert_msg(strstr(f.yaml, "t\xc3\xa9\xf0\x9f\x98\x80") != NULL, "%s", f.yaml);
    parse_one(cases[3].body, &f);
    ck_assert_str_eq(f.workers, "w1;w2;");
}
END_TEST

/* gwharden: a YAML body with a NUL byte was cut there (strlen): the part after it was
 * neither checked nor sent on, silently. Now a 422 that names the offset. */
START_TEST(regress_yaml_body_nul_refused)
{
    static const char body[] = "name: t\x00\ntask-mode: [[[";
    struct route_env env;
    struct route_ctx c;
    struct task_body tb;
    memset(&env, 0, sizeof(env));
    route_ctx_init(&c, &env);
    char copy[sizeof(body)];
    memcpy(copy, body, sizeof(body));
    c.req.method = "POST";
    c.req.path = "/api/v1/tasks";
    c.req.request_id = "test";
    c.req.content_type = "application/yaml";
    c.req.body = copy;
    c.req.body_len = sizeof(body) - 1;
    ck_assert_int_ne(task_body_parse(&c, &tb), DM_OK);
    ck_assert_int_eq(c.resp.status, 422);
    ck_assert_ptr_nonnull(strstr(c.resp.body.data, "NUL byte at offset 7"));
    task_body_free(&tb);
    route_ctx_release(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("body");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, json_cost_budget);
    tcase_add_test(tc, task_in_place_same_as_jansson);
    tcase_add_test(tc, regress_yaml_body_nul_refused);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

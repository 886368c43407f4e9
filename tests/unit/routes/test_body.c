/* test_body.c - routes/body.c: the memory budget of JSON bodies (issue 17). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
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

int main(void)
{
    Suite *s = suite_create("body");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, json_cost_budget);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

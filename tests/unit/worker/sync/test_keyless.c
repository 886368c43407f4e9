/* test_keyless.c - the commit plan of the key-less exactly-once rule (keyless.h rule 2):
 * no commit while a key-less row waits for its event marker, table points at the last
 * marker's position, one row per table, more tables than a commit holds wait for the
 * global barrier. (Rules 1 and 3 end to end: tests/unit/worker/test_worker_recovery.c.) */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "keyless.h"
#include "testutil.h"

START_TEST(plan_commits_at_event_end)
{
    struct worker_keyless_plan p;
    const struct worker_cp_row *rows = NULL;
    size_t n = 99;
    worker_keyless_plan_init(&p);
    ck_assert(worker_keyless_plan_ready(&p, &rows, &n));   /* keyed-only transaction */
    ck_assert_uint_eq(n, 0);
    worker_keyless_plan_job(&p, false, "s", "a", "f.000001", 100);
    ck_assert(!worker_keyless_plan_ready(&p, &rows, &n));
    worker_keyless_plan_job(&p, true, "s", "a", "f.000001", 100);
    worker_keyless_plan_job(&p, false, "s", "b", "f.000001", 200);
    worker_keyless_plan_job(&p, true, "s", "b", "f.000001", 200);
    worker_keyless_plan_job(&p, false, "s", "a", "f.000002", 50);
    worker_keyless_plan_job(&p, true, "s", "a", "f.000002", 50);
    ck_assert(worker_keyless_plan_ready(&p, &rows, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(rows[0].table, "a");
    ck_assert_str_eq(rows[1].table, "b");
    ck_assert_str_eq(rows[0].file, "f.000002");
    ck_assert_uint_eq(rows[1].pos, 50);
}
END_TEST

START_TEST(plan_too_many_tables_waits)
{
    struct worker_keyless_plan p;
    const struct worker_cp_row *rows;
    size_t n, i;
    char names[WORKER_KEYLESS_TABLES + 1][16];
    worker_keyless_plan_init(&p);
    for (i = 0; i < WORKER_KEYLESS_TABLES - 1; i++) {
        snprintf(names[i], sizeof names[i], "t%zu", i);
        worker_keyless_plan_job(&p, true, "s", names[i], "f.000001", 10 + i);
    }
    ck_assert(worker_keyless_plan_ready(&p, &rows, &n));
    ck_assert_uint_eq(n, WORKER_KEYLESS_TABLES - 1);
    snprintf(names[i], sizeof names[i], "t%zu", i);
    worker_keyless_plan_job(&p, true, "s", names[i], "f.000001", 10 + i);
    ck_assert(!worker_keyless_plan_ready(&p, &rows, &n));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keyless");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, plan_commits_at_event_end);
    tcase_add_test(tc, plan_too_many_tables_waits);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_loop_place.c - gateway/loop_place.c: the placement policy fed with made-up windows
 * and loops (no clock, no thread). The numbers are shaped after the seventh and eighth
 * passes (docs/benchmarks.md): a loop that never sleeps is saturated however long it waits
 * for a CPU; one that sleeps between bursts is not, however long its wake-ups wait. */
#include <check.h>
#include <signal.h>

#include "loop_place.h"
#include "testutil.h"

#define MS 1000000LL

static int busy(int64_t wall, int64_t idle, int64_t run, int64_t delay)
{
    struct loop_place_window w = {.wall_ns = wall, .idle_ns = idle, .run_ns = run, .delay_ns = delay};
    return loop_place_busy(&w);
}

/* run / (run + asleep): the wait for a CPU counts neither way; the wall time outside
 * epoll_wait stands in when schedstat is unknown. */
START_TEST(busy_is_run_over_run_plus_sleep)
{
    /* the seventh pass's collapse: 40 % of the wall outside epoll_wait, but the loop never
     * slept - it ran 70 ms and waited for a CPU 130 ms: saturated */
    ck_assert_int_eq(busy(200 * MS, 120 * MS, 70 * MS, 130 * MS), 1000);
    ck_assert_int_eq(busy(200 * MS, 120 * MS, -1, -1), 400);          /* no schedstat */
    /* an oversubscribed box: 50 ms run, 80 ms waiting after wake-ups, 70 ms asleep: not busy */
    ck_assert_int_eq(busy(200 * MS, 100 * MS, 50 * MS, 80 * MS), 416);
    ck_assert_int_eq(busy(200 * MS, 200 * MS, 0, 0), 0);               /* asleep throughout */
    ck_assert_int_eq(busy(200 * MS, 0, 150 * MS, 150 * MS), 1000);     /* more than the wall */
    ck_assert_int_eq(busy(200 * MS, 0, 0, 200 * MS), 1000);            /* never ran, never slept */
    ck_assert_int_eq(busy(200 * MS, 200 * MS, 0, -1), 0);              /* half known: wall */
}
END_TEST

START_TEST(pick_by_load_fills_the_first_loop_until_busy)
{
    struct loop_place_view v[2] = {{.busy_pm = 950, .nconn = 10}, {.busy_pm = 0, .nconn = 0}};
    ck_assert_uint_eq(loop_place_pick_load(v, 2), 0);     /* under LOOP_PLACE_MIN: kept */
    v[0].nconn = 64;
    ck_assert_uint_eq(loop_place_pick_load(v, 2), 1);     /* saturated */
    v[0].busy_pm = LOOP_PLACE_BUSY_PM;
    ck_assert_uint_eq(loop_place_pick_load(v, 2), 0);     /* at the bound: still takes */
    v[0].busy_pm = 900;
    v[1] = (struct loop_place_view){.busy_pm = 950, .nconn = 40};
    ck_assert_uint_eq(loop_place_pick_load(v, 2), 0);     /* both busy: the less busy */
    ck_assert_uint_eq(loop_place_pick_load(v, 1), 0);
}
END_TEST

START_TEST(pick_by_count_fills_16_then_the_fewest)
{
    struct loop_place_view v[3] = {{.nconn = 15}, {.nconn = 0}, {.nconn = 0}};
    ck_assert_uint_eq(loop_place_pick_count(v, 3), 0);
    v[0].nconn = 16;
    ck_assert_uint_eq(loop_place_pick_count(v, 3), 1);
    v[0].nconn = 18;
    v[1].nconn = 20;
    v[2].nconn = 17;
    ck_assert_uint_eq(loop_place_pick_count(v, 3), 2);
}
END_TEST

START_TEST(shed_only_from_a_busy_loop_to_a_quieter_one)
{
    struct loop_place_view v[2] = {{.busy_pm = 900, .nconn = 64}, {.busy_pm = 300, .nconn = 0}};
    ck_assert_int_eq(loop_place_shed(v, 2, 0), LOOP_PLACE_SHED_MAX);   /* 64/8 */
    ck_assert_int_eq(loop_place_shed(v, 2, 1), 0);                     /* not busy */
    v[0].nconn = 20;
    ck_assert_int_eq(loop_place_shed(v, 2, 0), 2);                     /* 20/8 */
    v[0].nconn = 17;
    ck_assert_int_eq(loop_place_shed(v, 2, 0), 1);                     /* keeps 16 */
    v[0].nconn = LOOP_PLACE_MIN;
    ck_assert_int_eq(loop_place_shed(v, 2, 0), 0);
    v[0].nconn = 64;
    v[1].busy_pm = 900 - LOOP_PLACE_GAP_PM;                            /* not quieter enough */
    ck_assert_int_eq(loop_place_shed(v, 2, 0), 0);
    v[0].busy_pm = LOOP_PLACE_BUSY_PM;                                  /* at the bound */
    v[1].busy_pm = 0;
    ck_assert_int_eq(loop_place_shed(v, 2, 0), 0);
    ck_assert_int_eq(loop_place_shed(v, 1, 0), 0);                     /* one loop */
}
END_TEST

/* Merge placement (ninth pass): by count over the loops that are not spare. */
START_TEST(pick_merge_is_by_count_over_active_loops)
{
    struct loop_place_view v[3] = {{.nconn = 15}, {.nconn = 0}, {.nconn = 0}};
    ck_assert_uint_eq(loop_place_pick_merge(v, 3), 0);
    v[0].nconn = 16;
    ck_assert_uint_eq(loop_place_pick_merge(v, 3), 1);   /* a burst is spread, not piled */
    v[1].spare = true;
    ck_assert_uint_eq(loop_place_pick_merge(v, 3), 2);   /* the spare takes none */
    v[2].spare = true;
    v[0].nconn = 64;
    ck_assert_uint_eq(loop_place_pick_merge(v, 3), 0);   /* everything on the active one */
    v[0].spare = true;                                   /* all spare: by count */
    ck_assert_uint_eq(loop_place_pick_merge(v, 3), 1);
}
END_TEST

/* The last active loop is made spare when the active loops together are underused over a
 * window in which nothing was placed (the running task's 32 + 32 connections). */
START_TEST(merge_only_underused_settled_loops)
{
    struct loop_place_view v[2] = {{.busy_pm = 150, .nconn = 32}, {.busy_pm = 140, .nconn = 32}};
    ck_assert(loop_place_merge(v, 2, 1, true));           /* 290 <= 300 */
    ck_assert(!loop_place_merge(v, 2, 1, false));        /* a burst is still arriving */
    ck_assert(!loop_place_merge(v, 2, 0, true));         /* only the last active loop */
    v[1].busy_pm = LOOP_PLACE_MERGE_PM - 150;
    ck_assert(loop_place_merge(v, 2, 1, true));           /* at the bound */
    v[1].busy_pm++;
    ck_assert(!loop_place_merge(v, 2, 1, true));
    v[0].busy_pm = v[1].busy_pm = 250;                   /* the unknown task's loops on a */
    ck_assert(!loop_place_merge(v, 2, 1, true));          /* loaded box read 220-550 each */
    v[0].busy_pm = 900;
    v[1].busy_pm = 0;
    ck_assert(!loop_place_merge(v, 2, 1, true));          /* one loop over the busy bound */
    ck_assert(!loop_place_merge(v, 1, 0, true));          /* one loop */
    struct loop_place_view w[3] = {{.busy_pm = 250, .nconn = 20}, {.busy_pm = 250, .nconn = 20},
                                   {.busy_pm = 100, .nconn = 20}};
    ck_assert(loop_place_merge(w, 3, 2, true));           /* 600 <= 2 x 300 */
    w[2].spare = true;
    ck_assert(!loop_place_merge(w, 3, 2, true));          /* spare already */
    ck_assert(!loop_place_merge(w, 3, 1, true));          /* 500 > 1 x 300 */
}
END_TEST

START_TEST(spares_come_back_when_busy_or_a_new_workload_starts)
{
    struct loop_place_view v[2] = {{.busy_pm = 300, .nconn = 64}, {.busy_pm = 0, .nconn = 0, .spare = true}};
    ck_assert(!loop_place_unmerge(v, 2));
    v[0].busy_pm = LOOP_PLACE_BUSY_PM + 1;
    ck_assert(loop_place_unmerge(v, 2));                 /* the active loop is busy */
    v[0].busy_pm = 0;
    v[0].nconn = LOOP_PLACE_MIN - 1;
    ck_assert(loop_place_unmerge(v, 2));                 /* few connections: by count again */
    v[1].spare = false;
    ck_assert(!loop_place_unmerge(v, 2));                /* no spare */
}
END_TEST

START_TEST(a_spare_loop_sheds_all_its_connections)
{
    struct loop_place_view v[2] = {{.busy_pm = 150, .nconn = 40}, {.busy_pm = 100, .nconn = 24, .spare = true}};
    ck_assert_int_eq(loop_place_shed_merge(v, 2, 1), LOOP_PLACE_SHED_MAX);
    v[1].nconn = 3;
    ck_assert_int_eq(loop_place_shed_merge(v, 2, 1), 3);  /* below LOOP_PLACE_MIN too */
    v[1].nconn = 0;
    ck_assert_int_eq(loop_place_shed_merge(v, 2, 1), 0);
    ck_assert_int_eq(loop_place_shed_merge(v, 2, 0), 0);  /* active: placement by load's rule */
    v[0].busy_pm = 900;
    v[0].nconn = 64;
    ck_assert_int_eq(loop_place_shed_merge(v, 2, 0), 0);  /* never to a spare loop */
    v[1].spare = false;
    ck_assert_int_eq(loop_place_shed_merge(v, 2, 0), LOOP_PLACE_SHED_MAX);
}
END_TEST

/* Invariants the loops rely on abort when broken (DM_ASSERT stays on in release). */
START_TEST(idle_longer_than_the_window_aborts)
{
    busy(100 * MS, 101 * MS, -1, -1);
}
END_TEST

START_TEST(a_negative_count_aborts)
{
    struct loop_place_view v[1] = {{.busy_pm = 0, .nconn = -1}};
    loop_place_pick_count(v, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loop_place");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, busy_is_run_over_run_plus_sleep);
    tcase_add_test(tc, pick_by_load_fills_the_first_loop_until_busy);
    tcase_add_test(tc, pick_by_count_fills_16_then_the_fewest);
    tcase_add_test(tc, shed_only_from_a_busy_loop_to_a_quieter_one);
    tcase_add_test(tc, pick_merge_is_by_count_over_active_loops);
    tcase_add_test(tc, merge_only_underused_settled_loops);
    tcase_add_test(tc, spares_come_back_when_busy_or_a_new_workload_starts);
    tcase_add_test(tc, a_spare_loop_sheds_all_its_connections);
    tcase_add_test_raise_signal(tc, idle_longer_than_the_window_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, a_negative_count_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_ratelimit.c - common/ratelimit.c: Go x/time/rate semantics on an explicit clock,
 * blocking wait with timeout, concurrency. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "dm_error.h"
#include "ratelimit.h"
#include "testutil.h"

#define MS 1000000LL

START_TEST(burst_then_refill)
{
    struct dm_ratelimit *rl = dm_ratelimit_new(10.0, 3);   /* 1 token / 100 ms */
    ck_assert_ptr_nonnull(rl);
    int64_t t0 = dm_ratelimit_now_ns();
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t0), DM_OK);   /* starts full */
    ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t0), DM_E_RATE_LIMITED);
    ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t0 + 99 * MS), DM_E_RATE_LIMITED);
    ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t0 + 100 * MS), DM_OK);
    ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t0 + 100 * MS), DM_E_RATE_LIMITED);
    /* a long pause refills only up to burst */
    int64_t t1 = t0 + 10000 * MS;
    ck_assert(dm_ratelimit_tokens_at(rl, t1) == 3.0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t1), DM_OK);
    ck_assert_int_eq(dm_ratelimit_try_take_at(rl, t1), DM_E_RATE_LIMITED);
    dm_ratelimit_free(rl);
}
END_TEST

START_TEST(reservations_queue_up)
{
    struct dm_ratelimit *rl = dm_ratelimit_new(10.0, 1);
    int64_t t0 = dm_ratelimit_now_ns();
    int64_t wait = -1;
    ck_assert_int_eq(dm_ratelimit_reserve_at(rl, t0, -1, &wait), DM_OK);
    ck_assert_int_eq(wait, 0);
    ck_assert_int_eq(dm_ratelimit_reserve_at(rl, t0, -1, &wait), DM_OK);
    ck_assert_int_eq(wait, 100 * MS);
    ck_assert_int_eq(dm_ratelimit_reserve_at(rl, t0, -1, &wait), DM_OK);
    ck_assert_int_eq(wait, 200 * MS);
    /* not within 250 ms: refused and nothing consumed */
    ck_assert_int_eq(dm_ratelimit_reserve_at(rl, t0, 250 * MS, &wait), DM_E_RATE_LIMITED);
    ck_assert(dm_ratelimit_tokens_at(rl, t0) == -2.0);
    ck_assert_int_eq(dm_ratelimit_reserve_at(rl, t0, 300 * MS, &wait), DM_OK);
    ck_assert_int_eq(wait, 300 * MS);
    dm_ratelimit_free(rl);
}
END_TEST

START_TEST(special_limits)
{
    struct dm_ratelimit *inf = dm_ratelimit_new(DM_RATE_INF, 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(dm_ratelimit_try_take(inf), DM_OK);
    dm_ratelimit_free(inf);
    struct dm_ratelimit *zero = dm_ratelimit_new(100.0, 0);
    ck_assert_int_eq(dm_ratelimit_try_take(zero), DM_E_RATE_LIMITED);
    ck_assert_int_eq(dm_ratelimit_wait_take(zero, 1000), DM_E_RATE_LIMITED);
    ck_assert_int_eq(dm_ratelimit_set(zero, 100.0, 2), DM_OK);
    ck_assert_int_eq(dm_ratelimit_try_take(zero), DM_E_RATE_LIMITED);  /* tokens were 0 */
    ck_assert_int_eq(dm_ratelimit_wait_take(zero, 1000), DM_OK);
    ck_assert_int_eq(dm_ratelimit_set(zero, 0.0, 1), DM_E_INVAL);
    dm_ratelimit_free(zero);
    ck_assert_ptr_null(dm_ratelimit_new(0.0, 1));
    ck_assert_ptr_null(dm_ratelimit_new(1.0, -1));
}
END_TEST

START_TEST(wait_take_blocks_until_due)
{
    struct dm_ratelimit *rl = dm_ratelimit_new(20.0, 1);   /* 50 ms per token */
    ck_assert_int_eq(dm_ratelimit_try_take(rl), DM_OK);
    ck_assert_int_eq(dm_ratelimit_wait_take(rl, 10), DM_E_RATE_LIMITED);   /* due in 50 ms */
    long long t0 = tu_now_ms();
    ck_assert_int_eq(dm_ratelimit_wait_take(rl, 1000), DM_OK);
    long long took = tu_now_ms() - t0;
    ck_assert_msg(took >= 35 && took < 500, "waited %lld ms", took);
    dm_ratelimit_free(rl);
}
END_TEST

static void *taker(void *arg)
{
    struct dm_ratelimit *rl = arg;
    long ok = 0;
    for (int i = 0; i < 2000; i++)
        if (dm_ratelimit_try_take(rl) == DM_OK)
            ok++;
    return (void *)ok;
}

START_TEST(concurrent_try_take)
{
    struct dm_ratelimit *rl = dm_ratelimit_new(0.001, 50);   /* effectively no refill */
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, taker, rl);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        total += (long)r;
    }
    ck_assert_int_eq(total, 50);
    dm_ratelimit_free(rl);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, burst_then_refill);
    tcase_add_test(tc, reservations_queue_up);
    tcase_add_test(tc, special_limits);
    tcase_add_test(tc, wait_take_blocks_until_due);
    tcase_add_test(tc, concurrent_try_take);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

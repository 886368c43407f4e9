/* test_dm_time.c - common/dm_time.h: the one deadline computation for timed waits. */
#include <check.h>
#include <stdint.h>

#include "dm_time.h"
#include "testutil.h"

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec; }

START_TEST(deadline_is_now_plus_ms_normalised)
{
    static const int64_t ms[] = {1, 999, 1000, 1001, 1500, 86400000};
    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        struct timespec before;
        clock_gettime(CLOCK_REALTIME, &before);
        struct timespec d = dm_deadline_ms(ms[i]);
        struct timespec after;
        clock_gettime(CLOCK_REALTIME, &after);
        ck_assert_msg(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L, "ms=%lld nsec=%ld", (long long)ms[i], d.tv_nsec);
        ck_assert_int_ge(ns_of(d), ns_of(before) + ms[i] * 1000000LL);
        ck_assert_int_le(ns_of(d), ns_of(after) + ms[i] * 1000000LL);
    }
}
END_TEST

START_TEST(deadline_not_in_the_past_for_zero_or_negative)
{
    static const int64_t ms[] = {0, -1, -1500};
    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        struct timespec before;
        clock_gettime(CLOCK_REALTIME, &before);
        struct timespec d = dm_deadline_ms(ms[i]);
        ck_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
        ck_assert_int_ge(ns_of(d), ns_of(before));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_time");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, deadline_is_now_plus_ms_normalised);
    tcase_add_test(tc, deadline_not_in_the_past_for_zero_or_negative);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

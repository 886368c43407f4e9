/* test_arena.c - common/dm_arena.c */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_arena.h"
#include "testutil.h"

/* inline first, then blocks; every pointer aligned, distinct and intact until release */
START_TEST(allocations_stay_valid_until_release)
{
    struct dm_arena a;
    dm_arena_init(&a);
    char *p[200];
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)(i % 37) * 3;
        p[i] = dm_arena_alloc(&a, n + 1);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_uint_eq((uintptr_t)p[i] % 16, 0);
        memset(p[i], 'a' + i % 26, n);
        p[i][n] = '\0';
    }
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)(i % 37) * 3;
        ck_assert_uint_eq(strlen(p[i]), n);
        for (size_t k = 0; k < n; k++)
            ck_assert_int_eq(p[i][k], 'a' + i % 26);
    }
    ck_assert_ptr_nonnull(a.blk);
    dm_arena_release(&a);
    ck_assert_ptr_null(a.blk);
    ck_assert_uint_eq(a.used, 0);
}
END_TEST

START_TEST(small_use_needs_no_block)
{
    struct dm_arena a;
    dm_arena_init(&a);
    char *k = dm_arena_strdup(&a, "X-DM-Error-Code");
    char *v = dm_arena_strdup(&a, "40054");
    ck_assert_str_eq(k, "X-DM-Error-Code");
    ck_assert_str_eq(v, "40054");
    ck_assert_ptr_ne(k, v);
    ck_assert_ptr_null(a.blk);                       /* inside the struct */
    ck_assert_ptr_null(dm_arena_strdup(&a, NULL));
    ck_assert_ptr_nonnull(dm_arena_alloc(&a, 0));
    dm_arena_release(&a);
}
END_TEST

START_TEST(big_allocation_and_overflow)
{
    struct dm_arena a;
    dm_arena_init(&a);
    char *big = dm_arena_alloc(&a, 100000);          /* bigger than any default block */
    ck_assert_ptr_nonnull(big);
    memset(big, 1, 100000);
    ck_assert_ptr_null(dm_arena_alloc(&a, SIZE_MAX - 8));
    char *after = dm_arena_strdup(&a, "still fine");
    ck_assert_str_eq(after, "still fine");
    dm_arena_release(&a);
    dm_arena_release(&a);                            /* twice: harmless */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_arena");
    TCase *tc = tcase_create("arena");
    tcase_add_test(tc, allocations_stay_valid_until_release);
    tcase_add_test(tc, small_use_needs_no_block);
    tcase_add_test(tc, big_allocation_and_overflow);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

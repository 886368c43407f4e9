/* test_http_park.c - http_park_dup_for_worker: the descriptor the front hands MHD lands on
 * the wanted worker (descriptor % threads), whatever descriptors are taken around it. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_park.h"

static bool same_file(int a, int b)
{
    struct stat sa, sb;
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
}

START_TEST(every_worker_in_turn)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    for (unsigned pool = 1; pool <= 8; pool++) {
        for (unsigned want = 0; want < 3 * pool; want++) {
            int fd = http_park_dup_for_worker(p[0], pool, want);
            ck_assert_int_ge(fd, 0);
            ck_assert_uint_eq((unsigned)fd % pool, want % pool);
            ck_assert(same_file(fd, p[0]));
            ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
            close(fd);
        }
    }
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Descriptors of the wanted residue taken: the next free one of that residue is used, and
 * the dups tried on the way are closed again. */
START_TEST(wanted_numbers_taken)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    enum { POOL = 4, HOLD = 8 };
    int low = fcntl(p[0], F_DUPFD_CLOEXEC, 0);   /* the lowest free number */
    ck_assert_int_ge(low, 0);
    close(low);
    int want = (low + 1) % POOL;
    /* take the next two numbers of residue `want` above `low` */
    int held[HOLD], nheld = 0;
    for (int n = low; n < low + 3 * POOL && nheld < 2; n++)
        if (n % POOL == want) {
            held[nheld] = fcntl(p[0], F_DUPFD_CLOEXEC, n);
            ck_assert_int_eq(held[nheld], n);
            nheld++;
        }
    int fd = http_park_dup_for_worker(p[0], POOL, (unsigned)want);
    ck_assert_int_eq(fd % POOL, want);
    ck_assert_int_gt(fd, held[1]);
    int after = fcntl(p[0], F_DUPFD_CLOEXEC, 0);   /* the tries were closed: low is free */
    ck_assert_int_eq(after, low);
    close(after);
    close(fd);
    for (int i = 0; i < nheld; i++)
        close(held[i]);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(bad_descriptor)
{
    ck_assert_int_eq(http_park_dup_for_worker(-1, 4, 0), -1);
    ck_assert_int_eq(http_park_dup_for_worker(-1, 1, 0), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_park");
    TCase *tc = tcase_create("dup_for_worker");
    tcase_add_test(tc, every_worker_in_turn);
    tcase_add_test(tc, wanted_numbers_taken);
    tcase_add_test(tc, bad_descriptor);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

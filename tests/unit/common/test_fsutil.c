/* test_fsutil.c - common/fsutil.c: atomic write, bounded read, mkdir -p */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dm_error.h"
#include "fsutil.h"
#include "testutil.h"

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

START_TEST(atomic_write_and_read)
{
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/f.toml", dir);
    ck_assert_int_eq(dm_write_file_atomic(path, "hello", 5), DM_OK);
    ck_assert_int_eq(dm_write_file_atomic(path, "bye\0x", 5), DM_OK);   /* replaces */
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(dm_read_file(path, 100, &data, &len), DM_OK);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(data, "bye\0x", 6), 0);   /* NUL appended */
    free(data);
    ck_assert_int_eq(count_entries(dir), 1);   /* no temp file left */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    ck_assert_int_eq(dm_write_file_atomic_mode(path, "s", 1, 0600), DM_OK);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    /* empty file */
    ck_assert_int_eq(dm_write_file_atomic(path, NULL, 0), DM_OK);
    ck_assert_int_eq(dm_read_file(path, 0, &data, &len), DM_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    free(data);

    /* failure leaves nothing behind */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/f", dir);
    ck_assert_int_eq(dm_write_file_atomic(bad, "x", 1), DM_E_NOT_FOUND);
    ck_assert_int_eq(count_entries(dir), 1);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(read_bounds)
{
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/big", dir);
    char big[10000];
    memset(big, 'a', sizeof big);
    ck_assert_int_eq(dm_write_file_atomic(path, big, sizeof big), DM_OK);
    char *data = (char *)"x";
    ck_assert_int_eq(dm_read_file(path, 9999, &data, NULL), DM_E_TOO_LARGE);
    ck_assert_ptr_null(data);
    size_t len;
    ck_assert_int_eq(dm_read_file(path, 10000, &data, &len), DM_OK);
    ck_assert_uint_eq(len, 10000);
    free(data);
    snprintf(path, sizeof path, "%s/nope", dir);
    ck_assert_int_eq(dm_read_file(path, 10, &data, NULL), DM_E_NOT_FOUND);
    ck_assert_int_eq(dm_read_file(dir, 10, &data, NULL), DM_E_IO);   /* EISDIR */
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(mkdir_p)
{
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/a/b//c/", dir);
    ck_assert_int_eq(dm_mkdir_p(path, 0755), DM_OK);
    ck_assert_int_eq(dm_mkdir_p(path, 0755), DM_OK);   /* idempotent */
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    snprintf(path, sizeof path, "%s/file", dir);
    ck_assert_int_eq(dm_write_file_atomic(path, "x", 1), DM_OK);
    snprintf(path, sizeof path, "%s/file/sub", dir);
    ck_assert_int_eq(dm_mkdir_p(path, 0755), DM_E_IO);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert_int_eq(dm_mkdir_p("", 0755), DM_E_INVAL);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fsutil");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, atomic_write_and_read);
    tcase_add_test(tc, read_bounds);
    tcase_add_test(tc, mkdir_p);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_log.c - common/log.c: buffered mode keeps every line and their order. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "log.h"
#include "testutil.h"

/* The whole file (valid until the next call). */
static const char *slurp(const char *path)
{
    static char *last;
    free(last);
    size_t n = 0;
    last = tu_read_file(path, &n);
    ck_assert_ptr_nonnull(last);
    return last;
}

/* info lines wait in the buffer; a warning goes out at once, behind them; stop writes
 * the rest; afterwards lines are written directly again */
START_TEST(buffered_lines_keep_order_and_survive_stop)
{
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof(path), "%s/log", dir);
    dm_log_init("t", DM_LOG_INFO);
    ck_assert_int_eq(dm_log_open(path), DM_OK);
    ck_assert_int_eq(dm_log_buffer(0), DM_E_INVAL);
    ck_assert_int_eq(dm_log_buffer(60000), DM_OK);   /* the timer never fires in this test */
    dm_log_kv(DM_LOG_INFO, "one", NULL);
    dm_log_kv(DM_LOG_INFO, "two", NULL);
    ck_assert_ptr_null(strstr(slurp(path), "\"one\""));
    dm_log_kv(DM_LOG_WARN, "three", NULL);
    const char *s = slurp(path);
    const char *a = strstr(s, "\"one\""), *b = strstr(s, "\"two\""), *c = strstr(s, "\"three\"");
    ck_assert(a && b && c && a < b && b < c);
    dm_log_kv(DM_LOG_INFO, "four", NULL);
    dm_log_flush();
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"four\""));
    for (int i = 0; i < 2000; i++)   /* over the size bound: written without the timer */
        dm_log_kv(DM_LOG_INFO, "bulk", NULL);
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"bulk\""));
    dm_log_kv(DM_LOG_INFO, "five", NULL);
    dm_log_buffer_stop();
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"five\""));
    dm_log_kv(DM_LOG_INFO, "six", NULL);
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"six\""));
    tu_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, buffered_lines_keep_order_and_survive_stop);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

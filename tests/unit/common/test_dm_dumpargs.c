/* test_dm_dumpargs.c - common/dm_dumpargs.c: mydumper extra-args that let a dump leave
 * tables out silently are refused (master precheck and the worker's Dump unit). */
#include <check.h>
#include <string.h>

#include "dm_dumpargs.h"
#include "testutil.h"

START_TEST(accepted)
{
    static const char *const ok[] = {
        "", "   ", "--rows 700 -s 5000", "--use-savepoints", "-x '^db\\.t$'",
        "--regex -d", "-x -dW", "-r50000 -t 4", "--tables-list=-m", "-B -U", "-K",
        "--complete-insert --less-locking", "\"--rows\" 10", "--defaults-file -W",
        "--trx-consistency-only", "--lock-all-tables", "-e -N", "--tz-utc", "-x -k",
    };
    char flag[64];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        ck_assert_msg(dm_dumpargs_refused(ok[i], flag, sizeof flag) == NULL, "%s", ok[i]);
    ck_assert_ptr_null(dm_dumpargs_refused(NULL, flag, sizeof flag));
}
END_TEST

START_TEST(refused_named)
{
    static const struct {
        const char *args, *flag, *why;
    } bad[] = {
        {"--success-on-1146", "--success-on-1146", "warning only"},
        {"--rows 700 --success-on-1146 -s 5000", "--success-on-1146", "warning only"},
        {"'--success-on-1146'", "--success-on-1146", "warning only"},
        {"--ignore-engines=MyISAM", "--ignore-engines", "engines"},
        {"-i MyISAM", "-i", "engines"},
        {"--omit-from-file /tmp/x", "--omit-from-file", "listed tables"},
        {"-O /tmp/x", "-O", "listed tables"},
        {"-U 3", "-U", "updated"},
        {"--updated-since=3", "--updated-since", "updated"},
        {"-d", "-d", "no rows"},
        {"--no-data", "--no-data", "no rows"},
        {"-m", "-m", "no table schemas"},
        {"--no-schemas", "--no-schemas", "no table schemas"},
        {"-W", "-W", "views"},
        {"--no-views", "--no-views", "views"},
        {"-NW", "-W", "views"},
        {"-ed", "-d", "no rows"},
        {"-k", "-k", "lost or doubled"},
        {"--complete-insert --no-locks", "--no-locks", "lost or doubled"},
        {"-kW", "-k", "lost or doubled"},
        {"-D -I 5", "-D", "Dump unit waits"},
        {"--daemon", "--daemon", "Dump unit waits"},
        {"--skip-tz-utc", "--skip-tz-utc", "time zone"},
        {"-c", "-c", "compressed"},
        {"--compress", "--compress", "compressed"},
        {"-cd", "-c", "compressed"},
        {"-G", "-G", "triggers"},
        {"--routines", "--routines", "procedures"},
        {"-E", "-E", "events"},
        {"--logfile /tmp/x", "--logfile", "errors"},
        {"--rows 5 -ex x -d", "-d", "no rows"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char flag[64] = "";
        const char *why = dm_dumpargs_refused(bad[i].args, flag, sizeof flag);
        ck_assert_msg(why != NULL, "%s", bad[i].args);
        ck_assert_str_eq(flag, bad[i].flag);
        ck_assert_msg(strstr(why, bad[i].why) != NULL, "%s: %s", bad[i].args, why);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_dumpargs");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, accepted);
    tcase_add_test(tc, refused_named);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

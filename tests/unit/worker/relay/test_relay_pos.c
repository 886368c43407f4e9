/* test_relay_pos.c - DM's relay position names (worker/relay/relay_pos.h, DM v1.0.7
 * pkg/binlog/position.go RealMySQLPos / ExtractPos): "<base>|<suffix>.<seq>" splits into
 * the plain file and the sub-directory suffix; anything else is a plain name. */
#include <check.h>
#include <string.h>

#include "relay_pos.h"
#include "testutil.h"

static void split(const char *in, bool want, const char *real, unsigned long suffix)
{
    char out[64];
    unsigned long s = 99;
    ck_assert_msg(relay_pos_split(in, out, sizeof out, &s) == want, "%s", in);
    ck_assert_str_eq(out, real);
    ck_assert_uint_eq(s, suffix);
}

START_TEST(names)
{
    split("mysql-bin|000002.000003", true, "mysql-bin.000003", 2);
    split("mysql-bin.000003", false, "mysql-bin.000003", 0);
    split("a|b|000010.000001", true, "a|b.000001", 10);
    split("mysql-bin|000000.000003", false, "mysql-bin|000000.000003", 0);   /* suffix > 0 */
    split("mysql-bin|x1.000003", false, "mysql-bin|x1.000003", 0);
    split("mysql-bin|.000003", false, "mysql-bin|.000003", 0);
    split("|000001.000003", false, "|000001.000003", 0);
    split("mysql-bin|-1.000003", false, "mysql-bin|-1.000003", 0);
    split("mysql-bin.00|0001", false, "mysql-bin.00|0001", 0);             /* bar after the dot */
    split("", false, "", 0);
    char small[8];
    unsigned long s;
    ck_assert(!relay_pos_split("mysql-bin|000002.000003", small, sizeof small, &s));
    ck_assert_uint_eq(relay_subdir_suffix("0-1.000002"), 2);
    ck_assert_uint_eq(relay_subdir_suffix("c6ae5afe-c7a3-11e8-a19d-0242ac130006.000010"), 10);
    ck_assert_uint_eq(relay_subdir_suffix("nodot"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay_pos");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

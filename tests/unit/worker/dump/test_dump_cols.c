/* test_dump_cols.c - worker_dump_create_columns: the column names of a dumped CREATE TABLE
 * (compared by the Dump unit with the columns before its snapshot). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dump_cols.h"
#include "testutil.h"

static int cols(const char *text, char *out, size_t cap)
{
    struct dm_buf b;
    int n;
    dm_buf_init(&b, 1u << 20);
    n = worker_dump_create_columns(text, &b);
    snprintf(out, cap, "%.*s", (int)b.len, b.len ? b.data : "");
    dm_buf_free(&b);
    return n;
}

START_TEST(columns_of_a_dumped_create)
{
    char c[1024];
    ck_assert_int_eq(cols("/*!40101 SET NAMES binary*/;\n/*!40014 SET FOREIGN_KEY_CHECKS=0*/;\n\n"
                          "/*!40103 SET TIME_ZONE='+00:00' */;\n"
                          "CREATE TABLE `we``ird (x` (\n"
                          "  `id` int(11) NOT NULL,\n"
                          "  `a``b` varchar(10) DEFAULT 'x\\n  `y` z',\n"
                          "  `g` int(11) GENERATED ALWAYS AS (`id` * 2) VIRTUAL,\n"
                          "  `\xe8\xa1\xa8` int(11) DEFAULT NULL INVISIBLE,\n"
                          "  PRIMARY KEY (`id`),\n"
                          "  KEY `k` (`a``b`)\n"
                          ") ENGINE=InnoDB DEFAULT CHARSET=latin1;\n", c, sizeof c), 1);
    ck_assert_str_eq(c, "id\na`b\ng\n\xe8\xa1\xa8\n");
    ck_assert_int_eq(cols("CREATE TABLE `s` (\n  `next_not_cached_value` bigint(21) NOT NULL\n"
                          ") ENGINE=InnoDB SEQUENCE=1;\n", c, sizeof c), 1);
    ck_assert_str_eq(c, "next_not_cached_value\n");
    ck_assert_int_eq(cols("/*!40101 SET NAMES binary*/;\nCREATE ALGORITHM=UNDEFINED VIEW `v` AS "
                          "select 1\n", c, sizeof c), 0);
    ck_assert_str_eq(c, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dump_cols");
    TCase *tc = tcase_create("cols");
    tcase_add_test(tc, columns_of_a_dumped_create);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

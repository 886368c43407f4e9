/* test_load_cols.c - worker_load_insert_cols / worker_load_with_cols: the source's column
 * list for mydumper's INSERTs without one (rows go by name, not by position). */
#include <check.h>
#include <string.h>

#include "load_cols.h"
#include "testutil.h"

static const char *cols_of(const char *create, struct dm_buf *b)
{
    int rc = worker_load_insert_cols(create, b);
    ck_assert_int_ge(rc, 0);
    return rc ? b->data : NULL;
}

START_TEST(column_list_from_create)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 20);
    ck_assert_str_eq(cols_of("/*!40101 SET NAMES binary*/;\n\nCREATE TABLE `t` (\n"
                             "  `id` int(11) NOT NULL,\n  `a b` varchar(5) DEFAULT 'x,`y''',\n"
                             "  `c``d` int(11) DEFAULT NULL COMMENT 'GENERATED INVISIBLE',\n"
                             "  `ü` text,\n  PRIMARY KEY (`id`),\n  KEY `k` (`a b`)\n) "
                             "ENGINE=InnoDB;\n", &b),
                     " (`id`,`a b`,`c``d`,`ü`)");
    /* invisible columns are not in a SELECT *, nor in mydumper's rows */
    ck_assert_str_eq(cols_of("CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n"
                             "  `inv` int(11) INVISIBLE DEFAULT 7,\n  `v` int(11) DEFAULT NULL\n"
                             ") ENGINE=InnoDB;\n", &b),
                     " (`id`,`v`)");
    /* generated columns: mydumper's own list (every other column, invisible ones too),
     * for the statements it writes without it (0.10 with a small --statement-size) */
    ck_assert_str_eq(cols_of("CREATE TABLE `t` (\n  `a` int(11) DEFAULT NULL,\n"
                             "  `g` int(11) GENERATED ALWAYS AS (`a` * 2) VIRTUAL,\n"
                             "  `inv` int(11) INVISIBLE DEFAULT 7,\n  `s` int(11) GENERATED ALWAYS AS (1) STORED\n"
                             ") ;\n", &b),
                     " (`a`,`inv`)");
    ck_assert_ptr_null(cols_of("CREATE TABLE `t` (\n  `a` int(11) GENERATED ALWAYS AS ROW "
                               "START INVISIBLE\n) ;\n", &b));
    ck_assert_uint_eq(b.len, 0);   /* before: " (`a`" left behind */
    ck_assert_ptr_null(cols_of("CREATE TABLE `t` (\n  `x` int,\n  `a` int(11) GENERATED ALWAYS AS ROW "
                               "START INVISIBLE\n) ;\n", &b));
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_null(cols_of("CREATE ALGORITHM=UNDEFINED VIEW `v` AS select 1;\n", &b));
    ck_assert_ptr_null(cols_of("", &b));
    dm_buf_free(&b);
}
END_TEST

static const char *with(const char *stmt, struct dm_buf *b)
{
    int rc = worker_load_with_cols(stmt, strlen(stmt), " (`a`,`b`)", b);
    ck_assert_int_ge(rc, 0);
    return rc ? b->data : NULL;
}

START_TEST(list_added_to_insert)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 20);
    ck_assert_str_eq(with("INSERT INTO `t` VALUES\n(1,2),\n(3,4);\n", &b),
                     "INSERT INTO `t` (`a`,`b`) VALUES\n(1,2),\n(3,4);\n");
    ck_assert_str_eq(with("INSERT IGNORE INTO `x``y z` VALUES(1,2);", &b),
                     "INSERT IGNORE INTO `x``y z` (`a`,`b`) VALUES(1,2);");
    ck_assert_str_eq(with("\nINSERT INTO `t`\nVALUES (1,2);", &b),
                     "\nINSERT INTO `t` (`a`,`b`)\nVALUES (1,2);");
    /* a list already, or not an INSERT of that form: left as it is */
    ck_assert_ptr_null(with("INSERT INTO `t` (`b`,`a`) VALUES (1,2);", &b));
    ck_assert_ptr_null(with("REPLACE INTO `t` VALUES (1,2);", &b));
    ck_assert_ptr_null(with("INSERT INTO t VALUES (1,2);", &b));
    ck_assert_ptr_null(with("INSERT INTO `t", &b));
    ck_assert_ptr_null(with("INSERT INTO `t` VALUESX", &b));
    dm_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_cols");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, column_list_from_create);
    tcase_add_test(tc, list_added_to_insert);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

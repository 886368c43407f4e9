/* test_load_keys.c - worker_load_split_keys: a dumped CREATE TABLE without its plain KEYs,
 * and the ALTER clause adding them; tables whose keys must stay in the CREATE. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "load_keys.h"
#include "testutil.h"

static int split(const char *create, char *stripped, char *adds, size_t cap)
{
    struct dm_buf s, a;
    int n;
    dm_buf_init(&s, 1u << 20);
    dm_buf_init(&a, 1u << 20);
    n = worker_load_split_keys(create, &s, &a);
    snprintf(stripped, cap, "%.*s", (int)s.len, s.len ? s.data : "");
    snprintf(adds, cap, "%.*s", (int)a.len, a.len ? a.data : "");
    dm_buf_free(&s);
    dm_buf_free(&a);
    return n;
}

START_TEST(plain_keys_move_to_the_alter)
{
    char s[2048], a[2048];
    ck_assert_int_eq(split("CREATE TABLE `t` (\n"
                           "  `id` int(11) NOT NULL,\n"
                           "  `a` int(11) DEFAULT NULL,\n"
                           "  `s` varchar(100) DEFAULT 'KEY `x`',\n"
                           "  PRIMARY KEY (`id`),\n"
                           "  UNIQUE KEY `us` (`s`),\n"
                           "  KEY `a` (`a`),\n"
                           "  KEY `as` (`a`,`s`(10)) COMMENT 'c'\n"
                           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n", s, a, sizeof s), 2);
    ck_assert_str_eq(s, "CREATE TABLE `t` (\n"
                        "  `id` int(11) NOT NULL,\n"
                        "  `a` int(11) DEFAULT NULL,\n"
                        "  `s` varchar(100) DEFAULT 'KEY `x`',\n"
                        "  PRIMARY KEY (`id`),\n"
                        "  UNIQUE KEY `us` (`s`)\n"
                        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n");
    ck_assert_str_eq(a, "ADD KEY IF NOT EXISTS `a` (`a`), "
                        "ADD KEY IF NOT EXISTS `as` (`a`,`s`(10)) COMMENT 'c'");
}
END_TEST

START_TEST(keys_that_stay)
{
    char s[2048], a[2048];
    /* no plain key */
    ck_assert_int_eq(split("CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n"
                           ") ENGINE=InnoDB;", s, a, sizeof s), 0);
    ck_assert_str_eq(s, "");
    ck_assert_str_eq(a, "");
    /* foreign key: InnoDB needs an index for it */
    ck_assert_int_eq(split("CREATE TABLE `c` (\n  `id` int(11) NOT NULL,\n  `p` int(11),\n"
                           "  PRIMARY KEY (`id`),\n  KEY `p` (`p`),\n  CONSTRAINT `f` FOREIGN KEY "
                           "(`p`) REFERENCES `p` (`id`)\n) ENGINE=InnoDB;", s, a, sizeof s), 0);
    /* AUTO_INCREMENT column: must be a key's first column at CREATE */
    ck_assert_int_eq(split("CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
                           "  `a` int(11),\n  KEY `id` (`id`)\n) ENGINE=InnoDB;", s, a, sizeof s),
                     0);
    /* not SHOW CREATE TABLE's layout */
    ck_assert_int_eq(split("CREATE TABLE t (id int, KEY (id))", s, a, sizeof s), 0);
    ck_assert_int_eq(split("CREATE TABLE `t` (\n  `id` int,\n  KEY `k` (`id`)", s, a, sizeof s), 0);
    ck_assert_str_eq(a, "");
    /* only keys */
    ck_assert_int_eq(split("CREATE TABLE `t` (\n  `a` int(11) DEFAULT NULL,\n  KEY `a` (`a`)\n"
                           ") ENGINE=InnoDB", s, a, sizeof s), 1);
    ck_assert_str_eq(s, "CREATE TABLE `t` (\n  `a` int(11) DEFAULT NULL\n) ENGINE=InnoDB");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_keys");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, plain_keys_move_to_the_alter);
    tcase_add_test(tc, keys_that_stay);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

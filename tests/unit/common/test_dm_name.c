/* test_dm_name.c - common/dm_name.c: the one name rule (router path parameters, task
 * bodies, dm-master's task configs). */
#include <check.h>
#include <string.h>

#include "dm_name.h"
#include "testutil.h"

START_TEST(good_names)
{
    static const char *const good[] = {"t", "shop-sync", "task_1", "a.b", "127.0.0.1:8262",
                                       "test-`db`.`tbl`", "--x", "..x", "x---", "名前", " sp "};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(dm_name_check(good[i], strlen(good[i]), NULL) == NULL, "%s", good[i]);
    char longest[DM_NAME_MAX];
    memset(longest, 'a', sizeof(longest));
    ck_assert_ptr_null(dm_name_check(longest, sizeof(longest), NULL));
}
END_TEST

START_TEST(bad_names_say_which_rule)
{
    static const struct {
        const char *name;
        size_t len;
        const char *why;
        size_t at;
    } bad[] = {
        {"", 0, "is empty", 0},
        {"atk\nmeta-schema: x", 18, "contains a control character", 3},
        {"atk\r\nSet-Cookie: a=1", 20, "contains a control character", 3},
        {"atk\tx", 5, "contains a control character", 3},
        {"a\0b", 3, "contains a control character", 1},
        {"ab\x7f", 3, "contains a control character", 2},
        {"a/b", 3, "contains '/'", 1},
        {"---atk", 6, "starts with a YAML document marker (\"---\" or \"...\")", 0},
        {"...", 3, "starts with a YAML document marker (\"---\" or \"...\")", 0},
        /* gwattack: percent-decoded path parameters that are not UTF-8 */
        {"\xc0\xaf", 2, "is not valid UTF-8", 0},          /* overlong '/' */
        {"ab\xed\xa0\x80", 5, "is not valid UTF-8", 2},   /* lone surrogate U+D800 */
        {"\xe5\x90\x8d\xff", 4, "is not valid UTF-8", 3}, /* a stray byte after a character */
        {"x\xe5\x90", 3, "is not valid UTF-8", 1},         /* cut sequence */
        {"\xf4\x90\x80\x80", 4, "is not valid UTF-8", 0}, /* beyond U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t at = 99;
        const char *why = dm_name_check(bad[i].name, bad[i].len, &at);
        ck_assert_msg(why && strcmp(why, bad[i].why) == 0, "case %zu: %s", i, why ? why : "ok");
        ck_assert_uint_eq(at, bad[i].at);
    }
    char toolong[DM_NAME_MAX + 1];
    memset(toolong, 'a', sizeof(toolong));
    ck_assert_str_eq(dm_name_check(toolong, sizeof(toolong), NULL), "is longer than 512 bytes");
    ck_assert_str_eq(dm_name_check(NULL, 0, NULL), "is empty");
}
END_TEST

/* browser4: a 47-64 character task name passed, and `<task>_syncer_checkpoint` paused the
 * task at once with Error 1103; the worker's longest meta suffix is 21 characters. */
START_TEST(task_names_fit_the_meta_tables)
{
    char name[4 * 64 + 1];
    memset(name, 'a', DM_TASK_NAME_CHARS_MAX);
    name[DM_TASK_NAME_CHARS_MAX] = '\0';
    ck_assert_ptr_null(dm_task_name_meta_check(name));
    ck_assert_ptr_null(dm_task_name_meta_check("shop sync 名前"));
    name[DM_TASK_NAME_CHARS_MAX] = 'a';
    name[DM_TASK_NAME_CHARS_MAX + 1] = '\0';
    ck_assert_ptr_nonnull(strstr(dm_task_name_meta_check(name), "is longer than 43 characters"));
    /* characters, not bytes: 43 three-byte characters fit (129 bytes) */
    name[0] = '\0';
    for (int i = 0; i < DM_TASK_NAME_CHARS_MAX; i++)
        strcat(name, "名");
    ck_assert_ptr_null(dm_task_name_meta_check(name));
    strcat(name, "名");
    ck_assert_ptr_nonnull(dm_task_name_meta_check(name));
    ck_assert_str_eq(dm_task_name_meta_check("a`b"), "contains / \\ or `");
    ck_assert_str_eq(dm_task_name_meta_check("a\\b"), "contains / \\ or `");
    ck_assert_ptr_nonnull(strstr(dm_task_name_meta_check("sync \xf0\x9f\x98\x80"), "Basic Multilingual Plane"));
    ck_assert_str_eq(dm_task_name_meta_check(""), "is empty");
}
END_TEST

/* gwattack6: a new name may not hold C1 controls, bidirectional formatting, line
 * separators or invisible characters (dm_name_check_new); the path rule still takes them
 * (dm_name_check) so tasks named so before stay addressable. */
START_TEST(new_names_refuse_display_controls)
{
    static const struct {
        const char *name;
        size_t at;
        const char *why;
    } bad[] = {
        {"evil\xe2\x80\xaetxt.exe", 4, "bidirectional"},   /* U+202E RIGHT-TO-LEFT OVERRIDE */
        {"a\xc2\x85" "b", 1, "C1 control"},                  /* U+0085 NEXT LINE */
        {"\xc2\x9b" "31m", 0, "C1 control"},                 /* U+009B CSI */
        {"a\xc2\x80", 1, "C1 control"},
        {"a\xc2\x9f", 1, "C1 control"},
        {"x\xd8\x9c", 1, "bidirectional"},                  /* U+061C */
        {"x\xe2\x80\x8e", 1, "bidirectional"},             /* U+200E */
        {"x\xe2\x80\x8f", 1, "bidirectional"},
        {"x\xe2\x80\xaa", 1, "bidirectional"},             /* U+202A */
        {"x\xe2\x81\xa6", 1, "bidirectional"},             /* U+2066 */
        {"x\xe2\x81\xa9", 1, "bidirectional"},             /* U+2069 */
        {"x\xe2\x80\xa8", 1, "line separator"},            /* U+2028 */
        {"x\xe2\x80\xa9", 1, "line separator"},
        {"sh\xe2\x80\x8bop", 2, "invisible"},               /* U+200B */
        {"x\xe2\x81\xa0", 1, "invisible"},                 /* U+2060 */
        {"\xef\xbb\xbfshop", 0, "invisible"},               /* U+FEFF */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t at = 99;
        const char *why = dm_name_check_new(bad[i].name, strlen(bad[i].name), &at);
        ck_assert_msg(why && strstr(why, bad[i].why), "%zu: %s", i, why ? why : "(accepted)");
        ck_assert_uint_eq(at, bad[i].at);
        ck_assert_ptr_null(dm_name_check(bad[i].name, strlen(bad[i].name), NULL));
    }
    /* neighbours of the refused ranges and ordinary scripts pass */
    static const char *const good[] = {"shop-sync", "\xc2\xa0nbsp", "\xc2\xbf", "\x7e",
                                       "\xe2\x80\x8c\xe2\x80\x8d",   /* ZWNJ / ZWJ: Persian, Indic */
                                       "\xe2\x80\xaf", "\xe2\x81\xaa", "名前", "\xd8\x9b",
                                       "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"};   /* Hebrew */
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(dm_name_check_new(good[i], strlen(good[i]), NULL) == NULL, "%zu", i);
    /* the path rule's refusals come first */
    ck_assert_str_eq(dm_name_check_new("a\nb", 3, NULL), "contains a control character");
    ck_assert_str_eq(dm_name_check_new("", 0, NULL), "is empty");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_name");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, good_names);
    tcase_add_test(tc, bad_names_say_which_rule);
    tcase_add_test(tc, task_names_fit_the_meta_tables);
    tcase_add_test(tc, new_names_refuse_display_controls);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

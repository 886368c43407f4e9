/* test_dmctl_cmd.c - dmctl's table (kept honest against DM v1.0's command list, its
 * Use strings and docs/dmctl.md), the pflag-style parser, shell-like line splitting
 * and the sql-* local checks, in process. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmctl.h"
#include "dmctl_args.h"
#include "dmctl_cmd.h"
#include "dmctl_sql.h"
#include "testutil.h"

/* DM v1.0.7 dm/ctl/ctl.go, in AddCommand order. */
static const char *const dm_commands[] = {
    "start-task", "stop-task", "pause-task", "resume-task", "check-task", "update-task",
    "query-status", "query-error", "refresh-worker-tasks", "sql-replace", "sql-skip",
    "sql-inject", "show-ddl-locks", "unlock-ddl-lock", "break-ddl-lock",
    "switch-relay-master", "pause-relay", "resume-relay", "update-master-config",
    "update-relay", "purge-relay", "migrate-relay"};

START_TEST(table_matches_dm_and_docs)
{
    size_t n = sizeof dm_commands / sizeof dm_commands[0];
    ck_assert_uint_eq(dmctl_ncommands, n);
    char *doc = tu_read_source_file("docs/dmctl.md", NULL);
    ck_assert_ptr_nonnull(doc);
    for (size_t i = 0; i < n; i++) {
        const struct dmctl_cmd *c = &dmctl_commands[i];
        ck_assert_str_eq(c->name, dm_commands[i]);
        ck_assert_ptr_eq(dmctl_cmd_find(c->name), c);
        ck_assert_ptr_nonnull(c->run);
        ck_assert_ptr_nonnull(c->short_help);
        /* the Use string starts with the name */
        ck_assert_int_eq(strncmp(c->use, c->name, strlen(c->name)), 0);
        ck_assert_uint_le(c->nflags, DMCTL_MAX_FLAGS);
        char needle[128];
        snprintf(needle, sizeof needle, "`%s", c->use);
        ck_assert_msg(strstr(doc, needle), "docs/dmctl.md lacks `%s`", c->use);
        for (size_t k = 0; k < c->nflags; k++) {
            const struct dmctl_flag *f = &c->flags[k];
            /* each flag is named in docs and has no clash with -w/-h */
            snprintf(needle, sizeof needle, "--%s", f->name);
            ck_assert_msg(strstr(doc, needle), "docs/dmctl.md lacks %s", needle);
            ck_assert_int_ne(f->shorthand, 'w');
            ck_assert_int_ne(f->shorthand, 'h');
            for (size_t j = 0; j < k; j++) {
                ck_assert_str_ne(f->name, c->flags[j].name);
                ck_assert(!f->shorthand || f->shorthand != c->flags[j].shorthand);
            }
        }
    }
    ck_assert_ptr_null(dmctl_cmd_find("generate-task-config"));
    free(doc);
}
END_TEST

static int parse(const struct dmctl_cmd *c, const char *line, struct dmctl_parsed *p, char *err)
{
    int argc = 0;
    char **argv = NULL;
    ck_assert_int_eq(dmctl_split_line(line, &argc, &argv), DM_OK);
    int rc = dmctl_args_parse(c->flags, c->nflags, argc, argv, p, err, 256);
    dmctl_argv_free(argc, argv);
    return rc;
}

START_TEST(pflag_parsing)
{
    const struct dmctl_cmd *c = dmctl_cmd_find("break-ddl-lock");
    struct dmctl_parsed p;
    char err[256];
    ck_assert_int_eq(parse(c, "-w a,b t1 --worker=c -wd -i=x1 -es", &p, err), DM_OK);
    ck_assert_uint_eq(p.nworkers, 4);
    ck_assert_str_eq(p.workers[0], "a");
    ck_assert_str_eq(p.workers[3], "d");
    ck_assert_uint_eq(p.nargs, 1);
    ck_assert_str_eq(p.args[0], "t1");
    ck_assert_str_eq(dmctl_flag_str(c, &p, "remove-id"), "x1");
    ck_assert(dmctl_flag_bool(c, &p, "exec") && dmctl_flag_bool(c, &p, "skip"));
    dmctl_parsed_free(&p);

    ck_assert_int_eq(parse(c, "--exec=false --remove-id id -- -x --skip", &p, err), DM_OK);
    ck_assert(!dmctl_flag_bool(c, &p, "exec") && !dmctl_flag_bool(c, &p, "skip"));
    ck_assert_uint_eq(p.nargs, 2);
    ck_assert_str_eq(p.args[0], "-x");
    dmctl_parsed_free(&p);

    ck_assert_int_eq(parse(c, "-w '\"a,b\",c' -", &p, err), DM_OK); /* CSV quoting */
    ck_assert_uint_eq(p.nworkers, 2);
    ck_assert_str_eq(p.workers[0], "a,b");
    ck_assert_str_eq(p.args[0], "-");
    dmctl_parsed_free(&p);

    ck_assert_int_eq(parse(c, "-x", &p, err), DM_E_INVAL);
    ck_assert_str_eq(err, "unknown shorthand flag: 'x' in -x");
    dmctl_parsed_free(&p);
    ck_assert_int_eq(parse(c, "--nope=1", &p, err), DM_E_INVAL);
    ck_assert_str_eq(err, "unknown flag: --nope");
    dmctl_parsed_free(&p);
    ck_assert_int_eq(parse(c, "t --remove-id", &p, err), DM_E_INVAL);
    ck_assert_str_eq(err, "flag needs an argument: --remove-id");
    dmctl_parsed_free(&p);
    ck_assert_int_eq(parse(c, "-i", &p, err), DM_E_INVAL);
    ck_assert_str_eq(err, "flag needs an argument: 'i' in -i");
    dmctl_parsed_free(&p);
    ck_assert_int_eq(parse(c, "--exec=maybe", &p, err), DM_E_INVAL);
    ck_assert_str_eq(err, "invalid argument \"maybe\" for \"-e, --exec\" flag: "
                          "strconv.ParseBool: parsing \"maybe\": invalid syntax");
    dmctl_parsed_free(&p);
    ck_assert_int_eq(parse(c, "---x", &p, err), DM_E_INVAL);
    ck_assert_str_eq(err, "bad flag syntax: ---x");
    dmctl_parsed_free(&p);
    ck_assert_int_eq(parse(c, "t -h", &p, err), DM_OK);
    ck_assert(p.help);
    dmctl_parsed_free(&p);
}
END_TEST

START_TEST(flag_usage_alignment)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    ck_assert_int_eq(dmctl_cmd_usage(dmctl_cmd_find("unlock-ddl-lock"), &b), DM_OK);
    ck_assert_str_eq(b.data, "Usage:\n"
                             "  dmctl unlock-ddl-lock [-w worker ...] <lock-ID> [flags]\n\n"
                             "Flags:\n"
                             "  -f, --force-remove   force to remove DDL lock\n"
                             "  -h, --help           help for unlock-ddl-lock\n"
                             "  -o, --owner string   DM-worker to replace the default owner\n\n"
                             "Global Flags:\n"
                             "  -w, --worker strings   DM-worker ID");
    dm_buf_free(&b);
}
END_TEST

START_TEST(shell_split)
{
    int argc;
    char **argv;
    ck_assert_int_eq(dmctl_split_line("  a 'b c'  \"d \\\"e\\\" \\\\\" f\\ g h'i'\"j\" ", &argc,
                                      &argv), DM_OK);
    ck_assert_int_eq(argc, 5);
    ck_assert_str_eq(argv[0], "a");
    ck_assert_str_eq(argv[1], "b c");
    ck_assert_str_eq(argv[2], "d \"e\" \\");
    ck_assert_str_eq(argv[3], "f g");
    ck_assert_str_eq(argv[4], "hij");
    ck_assert_ptr_null(argv[5]);
    dmctl_argv_free(argc, argv);
    ck_assert_int_eq(dmctl_split_line("   ", &argc, &argv), DM_OK);
    ck_assert_int_eq(argc, 0);
    dmctl_argv_free(argc, argv);
    ck_assert_int_eq(dmctl_split_line("a 'b", &argc, &argv), DM_E_PARSE);
    ck_assert_int_eq(dmctl_split_line("a \"b", &argc, &argv), DM_E_PARSE);
}
END_TEST

START_TEST(sql_checks)
{
    struct dm_buf e;
    dm_buf_init(&e, 4096);
    ck_assert_int_eq(dmctl_verify_sql_args("\"f:1\"", "", false, &e), DM_OK);
    ck_assert_int_eq(dmctl_verify_sql_args("", "\"~x\"", true, &e), DM_OK);
    ck_assert_int_eq(dmctl_verify_sql_args("f:4294967296", "", false, &e), DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(e.data, "the pos should be digital"));
    dm_buf_reset(&e);
    ck_assert_int_eq(dmctl_verify_sql_args("a:b:1", "", false, &e), DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(e.data, "the format should be filename:pos"));
    /* `~` patterns are Go regexps, compiled locally as DM's dmctl does */
    dm_buf_reset(&e);
    ck_assert_int_eq(dmctl_verify_sql_args("", "~^ALTER\\s+TABLE\\s+`?t\\d+`?", false, &e), DM_OK);
    ck_assert_int_eq(dmctl_verify_sql_args("", "\"~(?i)^drop\\s+(table\"", true, &e), DM_E_INVAL);
    ck_assert_str_eq(e.data, "[code=11017:class=functional:scope=internal:level=low] invalid "
                             "--sql-pattern ~(?i)^drop\\s+(table in sql operation: error parsing "
                             "regexp: missing closing ): `(?i)^drop\\s+(table`");
    dm_buf_reset(&e);
    ck_assert_int_eq(dmctl_verify_sql_args("", "DROP TABLE (", false, &e), DM_OK);   /* literal */
    dm_buf_free(&e);

    char *args[] = {"ALTER TABLE `a;b` ADD c INT; -- x;", "\nDROP TABLE 'q;'", ";;"};
    char **sqls;
    size_t n;
    dm_buf_init(&e, 4096);
    ck_assert_int_eq(dmctl_extract_sqls(args, 3, &sqls, &n, &e), DM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(sqls[0], "ALTER TABLE `a;b` ADD c INT;");
    ck_assert_str_eq(sqls[1], "DROP TABLE 'q;' ;");
    dmctl_sqls_free(sqls, n);
    char *empty[] = {" ; "};
    ck_assert_int_eq(dmctl_extract_sqls(empty, 1, &sqls, &n, &e), DM_E_INVAL);
    ck_assert_str_eq(e.data, "no valid SQLs");
    dm_buf_free(&e);

    ck_assert(dmctl_is_ddl("  /* c */ alter table t add c int"));
    ck_assert(dmctl_is_ddl("CREATE INDEX i ON t (c)"));
    ck_assert(dmctl_is_ddl("truncate table t"));
    ck_assert(!dmctl_is_ddl("insert into t values (1)"));
    ck_assert(!dmctl_is_ddl("CREATE USER u"));
    ck_assert(!dmctl_is_ddl(""));

    char *t = dmctl_trim_quote_mark("\"\"");
    ck_assert_str_eq(t, "\"\""); /* DM trims only when len > 2 */
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dmctl_cmd");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, table_matches_dm_and_docs);
    tcase_add_test(tc, pflag_parsing);
    tcase_add_test(tc, flag_usage_alignment);
    tcase_add_test(tc, shell_split);
    tcase_add_test(tc, sql_checks);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

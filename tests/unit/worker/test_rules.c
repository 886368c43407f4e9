/* test_rules.c - subtask config parsing, black-white-list, event filter, routes,
 * partition-id column mapping and the DDL analyzer (pure functions, no database). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "dm_error.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "testutil.h"

static const char *base =
    "name = \"t1\"\nmode = \"incremental\"\n[to]\nhost = \"127.0.0.1\"\nport = 3306\n"
    "user = \"root\"\npassword = \"Up8156jArvIPymkVC+5LxkAT6rek\"\n";

static struct worker_subtask_cfg *parse_top(const char *top, const char *extra)
{
    char text[4096], err[512] = "";
    struct worker_subtask_cfg *c = NULL;
    snprintf(text, sizeof text, "%s%s%s", top, base, extra);
    ck_assert_msg(worker_subtask_cfg_parse_toml(text, strlen(text), &c, err, sizeof err) == DM_OK,
                  "%s", err);
    return c;
}

static struct worker_subtask_cfg *parse(const char *extra)
{
    return parse_top("", extra);
}

START_TEST(config_defaults_and_errors)
{
    struct worker_subtask_cfg *c = parse("");
    char err[512];
    ck_assert_str_eq(c->name, "t1");
    ck_assert_str_eq(c->meta_schema, "dm_meta");
    ck_assert_int_eq(c->batch, 100);
    ck_assert_int_eq(c->worker_count, 16);
    ck_assert_str_eq(c->to.password, "1234");   /* DM-encrypted sample decrypted */
    ck_assert_ptr_null(c->meta_binlog_name);
    worker_subtask_cfg_free(c);
    ck_assert_int_eq(worker_subtask_cfg_parse_toml("name = \"x\"\nmode = \"all\"\n[to]\n", 28, &c,
                                                   err, sizeof err), DM_OK);
    ck_assert(worker_subtask_cfg_has_load(c));
    ck_assert_int_eq(c->pool_size, 16);
    ck_assert_int_eq(c->threads, 4);
    ck_assert_str_eq(c->dir, "./dumped_data");
    worker_subtask_cfg_free(c);
    ck_assert_int_eq(worker_subtask_cfg_parse_toml("name = \"x\"\nmode = \"sideways\"\n", 29, &c,
                                                   err, sizeof err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "task-mode sideways is not one of") != NULL, "%s", err);
    ck_assert_int_eq(worker_subtask_cfg_parse_toml("name = \"x\"\n", 11, &c, err, sizeof err),
                     DM_E_INVAL);
}
END_TEST

START_TEST(bwl_semantics)
{
    struct worker_subtask_cfg *c = parse(
        "[black-white-list]\ndo-dbs = [\"~^shop_\", \"app\"]\n"
        "[[black-white-list.do-tables]]\ndb-name = \"app\"\ntbl-name = \"~^t\"\n"
        "[[black-white-list.ignore-tables]]\ndb-name = \"app\"\ntbl-name = \"tlog\"\n");
    struct worker_rules *r;
    char err[256];
    ck_assert_int_eq(worker_rules_new(c, &r, err, sizeof err), DM_OK);
    ck_assert(worker_rules_bwl_allow(r, "app", "t1"));
    ck_assert(worker_rules_bwl_allow(r, "APP", "T1"));           /* case-insensitive */
    ck_assert(worker_rules_bwl_allow(r, "app", "tlog"));         /* do-tables win */
    ck_assert(!worker_rules_bwl_allow(r, "app", "x"));           /* do-tables set, no match */
    ck_assert(worker_rules_bwl_allow(r, "shop_1", NULL));
    ck_assert(!worker_rules_bwl_allow(r, "other", NULL));
    ck_assert(!worker_rules_bwl_allow(r, "mysql", NULL));
    worker_rules_free(r);
    worker_subtask_cfg_free(c);
}
END_TEST

/* issue 12 item 4: `~` patterns are Go regexps (RE2), never POSIX ERE */
START_TEST(bwl_go_regexp)
{
    struct worker_subtask_cfg *c = parse_top("case-sensitive = true\n",
        "[black-white-list]\ndo-dbs = [\"~^(?i)SHOP$\", \"~^app_\\\\pL+$\"]\n"
        "[[black-white-list.do-tables]]\ndb-name = \"~.*\"\ntbl-name = \"~^keep_\\\\d+$\"\n"
        "[[black-white-list.do-tables]]\ndb-name = \"~.*\"\ntbl-name = \"~^k(?i)EEP$\"\n"
        "[[filter-rules]]\nschema-pattern = \"*\"\n"
        "sql-pattern = [\"^alter\\\\s+table\\\\s+\\\\w+\\\\s+add\\\\s+partition\", \"^drop\\\\s+procedure\"]\n"
        "action = \"Ignore\"\n");
    struct worker_rules *r;
    char err[256] = "";
    ck_assert_int_eq(worker_rules_new(c, &r, err, sizeof err), DM_OK);
    ck_assert(worker_rules_bwl_allow(r, "shop", "keep_1"));
    ck_assert(worker_rules_bwl_allow(r, "shop", "keep_12"));
    ck_assert(!worker_rules_bwl_allow(r, "shop", "skip_1"));
    ck_assert(!worker_rules_bwl_allow(r, "shop", "keep_d"));        /* ERE read \d as 'd' */
    ck_assert(!worker_rules_bwl_allow(r, "shop", "keep_1x"));
    ck_assert(worker_rules_bwl_allow(r, "shop", "kEeP"));           /* (?i) mid-pattern */
    ck_assert(!worker_rules_bwl_allow(r, "shop", "KEEP"));          /* case-sensitive before it */
    ck_assert(worker_rules_bwl_allow(r, "SHOP", NULL));             /* (?i) in do-dbs */
    ck_assert(worker_rules_bwl_allow(r, "app_日本", NULL));          /* \pL */
    ck_assert(!worker_rules_bwl_allow(r, "app_1", NULL));
    /* binlog-filter sql-pattern: "(?i)" + patterns joined by "|" (tidb-tools) */
    ck_assert(worker_rules_filter_ignore(r, "shop", "", WEV_NULL,
                                         "ALTER TABLE t1 ADD PARTITION (PARTITION p1)"));
    ck_assert(worker_rules_filter_ignore(r, "shop", "", WEV_NULL, "DROP PROCEDURE p"));
    ck_assert(!worker_rules_filter_ignore(r, "shop", "", WEV_NULL, "DROP TABLE p"));
    worker_rules_free(r);
    worker_subtask_cfg_free(c);
}
END_TEST

/* an invalid pattern refuses the rules and names the pattern (never a pattern that
 * silently matches nothing) */
START_TEST(invalid_patterns_refused)
{
    static const char *const cases[][2] = {
        {"[black-white-list]\ndo-dbs = [\"~^shop_(\"]\n",
         "generate black white list: do-dbs \"~^shop_(\": error parsing regexp: missing closing ): `^shop_(`"},
        {"[[black-white-list.ignore-tables]]\ndb-name = \"s\"\ntbl-name = \"~^keep_\\\\q\"\n",
         "generate black white list: ignore-tables tbl-name \"~^keep_\\q\": error parsing regexp: invalid escape sequence: `\\q`"},
        {"[[filter-rules]]\nschema-pattern = \"*\"\nsql-pattern = [\"^drop\", \"a**\"]\naction = \"Ignore\"\n",
         "generate binlog event filter: filter rule 0: compile regular expression [^drop a**]: error parsing regexp: invalid nested repetition operator: `**`"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct worker_subtask_cfg *c = parse(cases[i][0]);
        struct worker_rules *r = NULL;
        char err[512] = "";
        ck_assert_int_eq(worker_rules_new(c, &r, err, sizeof err), DM_E_INVAL);
        ck_assert_ptr_null(r);
        ck_assert_str_eq(err, cases[i][1]);
        worker_subtask_cfg_free(c);
    }
}
END_TEST

START_TEST(filter_route_mapping)
{
    struct worker_subtask_cfg *c = parse(
        "[[route-rules]]\nschema-pattern = \"db_*\"\ntable-pattern = \"t_?\"\n"
        "target-schema = \"db\"\ntarget-table = \"t\"\n"
        "[[route-rules]]\nschema-pattern = \"db_*\"\ntarget-schema = \"db\"\n"
        "[[filter-rules]]\nschema-pattern = \"db_*\"\ntable-pattern = \"t_*\"\n"
        "events = [\"delete\", \"drop table\"]\naction = \"Ignore\"\n"
        "[[filter-rules]]\nschema-pattern = \"db_*\"\nsql-pattern = [\"^DROP\\\\s+PROCEDURE\"]\n"
        "action = \"Ignore\"\n"
        "[[mapping-rule]]\nschema-pattern = \"db_*\"\ntable-pattern = \"t_*\"\n"
        "source-column = \"id\"\ntarget-column = \"id\"\nexpression = \"partition id\"\n"
        "arguments = [\"1\", \"db\", \"t\"]\n");
    struct worker_rules *r;
    const struct worker_mapping_rule *m;
    char err[256], s[64], t[64];
    int64_t out;
    ck_assert_int_eq(worker_rules_new(c, &r, err, sizeof err), DM_OK);
    ck_assert(worker_rules_filter_ignore(r, "db_1", "t_1", WEV_DELETE, NULL));
    ck_assert(!worker_rules_filter_ignore(r, "db_1", "t_1", WEV_INSERT, NULL));
    ck_assert(worker_rules_filter_ignore(r, "db_1", "t_1", WEV_DROP_TABLE, "DROP TABLE t_1"));
    ck_assert(worker_rules_filter_ignore(r, "db_1", "", WEV_NULL, "DROP PROCEDURE p"));
    ck_assert(!worker_rules_filter_ignore(r, "x", "t_1", WEV_DELETE, NULL));
    worker_rules_route(r, "db_1", "t_2", s, sizeof s, t, sizeof t);
    ck_assert_str_eq(s, "db");
    ck_assert_str_eq(t, "t");
    worker_rules_route(r, "db_1", "other", s, sizeof s, t, sizeof t);
    ck_assert_str_eq(s, "db");
    ck_assert_str_eq(t, "other");
    worker_rules_route(r, "x", "y", s, sizeof s, t, sizeof t);
    ck_assert_str_eq(s, "x");
    m = worker_rules_mapping(r, "db_1", "t_2", "id");
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(worker_rules_partition_id(m, "db_1", "t_2", 5, &out, err, sizeof err), DM_OK);
    ck_assert(out == (int64_t)((1ULL << 59) | (1ULL << 52) | (2ULL << 44) | 5));
    ck_assert_int_eq(worker_rules_partition_id(m, "db_1", "t_2", 1LL << 44, &out, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_int_eq(worker_rules_partition_id(m, "zz", "t_2", 1, &out, err, sizeof err), DM_E_INVAL);
    ck_assert(worker_wildcard_match("a*b?", "aXXbc", false));
    ck_assert(!worker_wildcard_match("a*b?", "aXXb", false));
    worker_rules_free(r);
    worker_subtask_cfg_free(c);
}
END_TEST

/* tidb-tools refuses a wildcard with `*` before its end at task start (its table
 * selector); we matched it as a glob. Routes, filters and mappings alike. */
START_TEST(wildcard_star_not_last_refused)
{
    static const char *const bad[] = {
        "[[route-rules]]\nschema-pattern = \"s*x\"\ntarget-schema = \"d\"\n",
        "[[filter-rules]]\nschema-pattern = \"s\"\ntable-pattern = \"t*_1\"\n"
        "events = [\"all\"]\naction = \"Ignore\"\n",
        "[[mapping-rule]]\nschema-pattern = \"s*?\"\nsource-column = \"id\"\n"
        "target-column = \"id\"\nexpression = \"partition id\"\narguments = [\"1\", \"\", \"\"]\n",
    };
    static const char *const want[] = { "generate table router: route rule 0 \"s*x\": pattern s*x not valid",
                                        "generate binlog event filter: filter rule 0 \"t*_1\": pattern t*_1 not valid",
                                        "generate column mapping: mapping rule 0 \"s*?\": pattern s*? not valid" };
    for (size_t i = 0; i < 3; i++) {
        struct worker_subtask_cfg *c = parse(bad[i]);
        struct worker_rules *r = NULL;
        char err[512] = "";
        ck_assert_int_eq(worker_rules_new(c, &r, err, sizeof err), DM_E_INVAL);
        ck_assert_msg(strncmp(err, want[i], strlen(want[i])) == 0, "%s", err);
        worker_subtask_cfg_free(c);
    }
}
END_TEST

START_TEST(ddl_analyzer)
{
    struct worker_subtask_cfg *c = parse(
        "[[route-rules]]\nschema-pattern = \"s\"\ntable-pattern = \"a\"\n"
        "target-schema = \"S2\"\ntarget-table = \"A2\"\n");
    struct worker_rules *r;
    struct worker_ddl d;
    char err[256], *sql;
    ck_assert_int_eq(worker_rules_new(c, &r, err, sizeof err), DM_OK);
    ck_assert_int_eq(worker_ddl_parse("DROP TABLE IF EXISTS a, `x`.`b` /* c */", "s", &d), DM_OK);
    ck_assert_int_eq(d.kind, WDDL_DDL);
    ck_assert_uint_eq(d.n, 2);
    sql = worker_ddl_rewrite(&d.items[0], r);
    ck_assert_str_eq(sql, "DROP TABLE IF EXISTS `S2`.`A2`");
    free(sql);
    sql = worker_ddl_rewrite(&d.items[1], r);
    ck_assert_str_eq(sql, "DROP TABLE IF EXISTS `x`.`b`");
    free(sql);
    worker_ddl_free(&d);
    ck_assert_int_eq(worker_ddl_parse("alter table a add column c int", "s", &d), DM_OK);
    ck_assert_int_eq(d.items[0].ev, WEV_ALTER_TABLE);
    sql = worker_ddl_rewrite(&d.items[0], r);
    ck_assert_str_eq(sql, "alter table `S2`.`A2` add column c int");
    free(sql);
    worker_ddl_free(&d);
    ck_assert_int_eq(worker_ddl_parse("RENAME TABLE a TO b, c TO d", "s", &d), DM_OK);
    ck_assert_uint_eq(d.n, 2);
    sql = worker_ddl_rewrite(&d.items[0], r);
    ck_assert_str_eq(sql, "RENAME TABLE `S2`.`A2` TO `s`.`b`");
    free(sql);
    worker_ddl_free(&d);
    ck_assert_int_eq(worker_ddl_parse("CREATE INDEX i ON a (c)", "s", &d), DM_OK);
    ck_assert_int_eq(d.items[0].ev, WEV_CREATE_INDEX);
    worker_ddl_free(&d);
    ck_assert_int_eq(worker_ddl_parse("CREATE DATABASE IF NOT EXISTS `z`", NULL, &d), DM_OK);
    ck_assert_int_eq(d.items[0].ev, WEV_CREATE_DATABASE);
    ck_assert_str_eq(d.items[0].refs[0].schema, "z");
    worker_ddl_free(&d);
    ck_assert_int_eq(worker_ddl_parse("BEGIN", NULL, &d), DM_OK);
    ck_assert_int_eq(d.kind, WDDL_BEGIN);
    ck_assert_int_eq(worker_ddl_parse("CREATE DEFINER=`root`@`%` TRIGGER x", NULL, &d), DM_OK);
    ck_assert_int_eq(d.kind, WDDL_SKIP);
    ck_assert_int_eq(worker_ddl_parse("INSERT INTO t VALUES (1)", NULL, &d), DM_OK);
    ck_assert_int_eq(d.kind, WDDL_DML);
    ck_assert_int_eq(worker_ddl_parse("CREATE TEMPORARY TABLE t (a int)", NULL, &d), DM_OK);
    ck_assert_int_eq(d.kind, WDDL_SKIP);
    worker_rules_free(r);
    worker_subtask_cfg_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_rules");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, config_defaults_and_errors);
    tcase_add_test(tc, bwl_semantics);
    tcase_add_test(tc, bwl_go_regexp);
    tcase_add_test(tc, invalid_patterns_refused);
    tcase_add_test(tc, filter_route_mapping);
    tcase_add_test(tc, ddl_analyzer);
    tcase_add_test(tc, wildcard_star_not_last_refused);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_sqlop.c - SQL operators (worker/sync/sqlop): DM v1.0.7 argument checks and
 * messages, matching by binlog-pos (wins) and by pattern (`~regex` or exact), consumed
 * once, same key overwrites, REPLACE statements handed out, INJECT checks and order. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "sqlop.h"

static bool apply(struct worker_sqlop *h, const char *file, uint64_t pos, const char *sql,
                  char ***out)
{
    const char *sqls[] = { sql };
    char cause[512];
    bool applied = false;
    ck_assert_int_eq(worker_sqlop_apply(h, file, pos, sqls, 1, &applied, out, cause,
                                        sizeof cause), DM_OK);
    ck_assert(!applied || cause[0]);
    return applied;
}

START_TEST(arguments)
{
    struct worker_sqlop *h = worker_sqlop_new();
    char err[1024];
    const char *args[] = { "x" };
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, NULL, 0, "f.000001:4", "p", err, sizeof err),
                     DM_E_INVAL);
    ck_assert_str_eq(err, "[code=11017:class=functional:scope=internal:level=low] cannot specify "
                          "both --binlog-pos and --sql-pattern in sql operation");
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, NULL, 0, "", NULL, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "must specify one of --binlog-pos and --sql-pattern"));
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_REPLACE, args, 1, "nopos", NULL, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "invalid --binlog-pos nopos"));
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_REPLACE, args, 1, "f:-1", NULL, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, NULL, 0, NULL, "~(", err, sizeof err),
                     DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "invalid --sql-pattern ~( in sql operation"));
    ck_assert_ptr_nonnull(strstr(err, "error parsing regexp: missing closing )"));
    ck_assert_int_eq(worker_sqlop_set(h, (enum worker_sqlop_op)7, NULL, 0, "f:4", NULL, err,
                                      sizeof err), DM_E_NOT_SUPPORTED);
    ck_assert_ptr_nonnull(strstr(err, "code=36025"));
    ck_assert_uint_eq(worker_sqlop_describe(h, err, sizeof err), 0);
    worker_sqlop_free(h);
}
END_TEST

/* DM's relay position "mysql-bin|000001.000003:1234" matches the plain event position */
START_TEST(uuid_suffixed_pos)
{
    struct worker_sqlop *h = worker_sqlop_new();
    char err[1024], **out = NULL;
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, NULL, 0, "mysql-bin|000002.000003:1234",
                                      NULL, err, sizeof err), DM_OK);
    ck_assert_uint_eq(worker_sqlop_describe(h, err, sizeof err), 1);
    ck_assert_ptr_nonnull(strstr(err, "binlog-pos mysql-bin.000003:1234: SKIP"));
    ck_assert(apply(h, "mysql-bin.000003", 1234, "DROP TABLE t", &out));
    worker_sqlop_strv_free(out);
    worker_sqlop_free(h);
}
END_TEST

START_TEST(match_and_consume)
{
    struct worker_sqlop *h = worker_sqlop_new();
    char err[1024], **out = NULL;
    const char *r1[] = { "ALTER TABLE a.b ADD x INT", "ALTER TABLE a.b ADD y INT" };
    const char *r2[] = { "SELECT 2" };
    /* quotes trimmed as DM does; position normalised */
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, r2, 1, "'bin.000002:0100'", NULL, err,
                                      sizeof err), DM_OK);
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_REPLACE, r1, 2, NULL, "~^(?i)alter\\s+table t ", err,
                                      sizeof err), DM_OK);
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, NULL, 0, NULL, "DROP TABLE t", err,
                                      sizeof err), DM_OK);
    ck_assert_uint_eq(worker_sqlop_describe(h, err, sizeof err), 3);
    ck_assert_ptr_nonnull(strstr(err, "binlog-pos bin.000002:100: SKIP"));
    ck_assert_ptr_nonnull(strstr(err, "sql-pattern ~^(?i)alter\\s+table t : REPLACE ALTER TABLE a.b ADD x INT"));
    /* no match */
    ck_assert(!apply(h, "bin.000002", 99, "CREATE TABLE q (a INT)", &out));
    ck_assert_ptr_null(out);
    /* exact pattern: the whole statement only */
    ck_assert(!apply(h, "bin.000002", 50, "DROP TABLE t2", &out));
    ck_assert(apply(h, "bin.000002", 50, "DROP TABLE t", &out));
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_null(out[0]);              /* skip: no statements */
    worker_sqlop_strv_free(out);
    ck_assert(!apply(h, "bin.000002", 50, "DROP TABLE t", &out));   /* consumed */
    /* position wins over a matching pattern; skip args were dropped */
    ck_assert(apply(h, "bin.000002", 100, "ALTER TABLE t ADD c INT", &out));
    ck_assert_ptr_null(out[0]);
    worker_sqlop_strv_free(out);
    /* regex pattern: replacement statements in order */
    ck_assert(apply(h, "bin.000003", 7, "ALTER TABLE t ADD c INT", &out));
    ck_assert_str_eq(out[0], "ALTER TABLE a.b ADD x INT");
    ck_assert_str_eq(out[1], "ALTER TABLE a.b ADD y INT");
    ck_assert_ptr_null(out[2]);
    worker_sqlop_strv_free(out);
    ck_assert_uint_eq(worker_sqlop_describe(h, err, sizeof err), 0);
    /* same key overwrites */
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_SKIP, NULL, 0, "f:4", NULL, err, sizeof err), DM_OK);
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_REPLACE, r2, 1, "f:4", NULL, err, sizeof err), DM_OK);
    ck_assert_uint_eq(worker_sqlop_describe(h, err, sizeof err), 1);
    ck_assert(apply(h, "f", 4, "anything", &out));
    ck_assert_str_eq(out[0], "SELECT 2");
    worker_sqlop_strv_free(out);
    worker_sqlop_free(h);
}
END_TEST

START_TEST(inject)
{
    struct worker_sqlop *h = worker_sqlop_new();
    char err[1024], schema[200];
    const char *noschema[] = { "ALTER TABLE t ADD c INT" };
    const char *notddl[] = { "INSERT INTO a.t VALUES (1)" };
    const char *good[] = { "ALTER TABLE a.t ADD c INT", "CREATE TABLE `b`.`u` (id INT)" };
    char *sql;
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_INJECT, noschema, 1, NULL, NULL, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_str_eq(err, "[code=36024:class=sync-unit:scope=internal:level=low] injected DDL "
                          "ALTER TABLE t ADD c INT without schema name not valid");
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_INJECT, notddl, 1, NULL, NULL, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "code=36023"));
    ck_assert_ptr_null(worker_sqlop_take_inject(h, schema, sizeof schema));
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_INJECT, good, 2, NULL, NULL, err, sizeof err), DM_OK);
    sql = worker_sqlop_take_inject(h, schema, sizeof schema);
    ck_assert_str_eq(sql, good[0]);
    ck_assert_str_eq(schema, "a");
    free(sql);
    sql = worker_sqlop_take_inject(h, schema, sizeof schema);
    ck_assert_str_eq(sql, good[1]);
    ck_assert_str_eq(schema, "b");
    free(sql);
    ck_assert_ptr_null(worker_sqlop_take_inject(h, schema, sizeof schema));
    ck_assert_int_eq(worker_sqlop_set(h, WSQLOP_INJECT, good, 2, NULL, NULL, err, sizeof err), DM_OK);
    worker_sqlop_free(h);                      /* pending injections freed */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sqlop");
    TCase *tc = tcase_create("sqlop");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, arguments);
    tcase_add_test(tc, uuid_suffixed_pos);
    tcase_add_test(tc, match_and_consume);
    tcase_add_test(tc, inject);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_srcmeta.c - worker/sync/srcmeta.h against a real MariaDB sandbox: one kept
 * connection for every query, opened at the first; a connection the server killed (or a
 * restart) is reopened and the query runs once more; a server error keeps the connection
 * and is a transient error naming what was read; a source that is down is a transient
 * "unreachable" error naming host:port, and the next query after it comes back works;
 * escaping of names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../sandbox_db.h"
#include "dm_error.h"
#include "srcmeta.h"

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_port = tu_free_port();
    ck_assert_int_eq(sandbox("start"), 0);
}

static void teardown(void)
{
    sandbox("stop");
    if (!getenv("KEEP_TMP"))
        tu_rmrf(g_dir);
}

/* The first column of the first row of sql through m ("" for NULL). */
static int one(struct worker_srcmeta *m, const char *sql, char *out, size_t cap,
               struct worker_terr *e)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    int rc = worker_srcmeta_query(m, "read a test value", sql, &res, e);
    if (rc)
        return rc;
    row = mysql_fetch_row(res);
    snprintf(out, cap, "%s", row && row[0] ? row[0] : "");
    mysql_free_result(res);
    return DM_OK;
}

START_TEST(kept_connection)
{
    struct bl_source src = source(4001);
    struct worker_srcmeta *m = worker_srcmeta_new(&src);
    struct worker_terr e;
    char v[64], id[64];
    MYSQL *k;
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(worker_srcmeta_connects(m), 0);     /* lazily opened */
    ck_assert_int_eq(one(m, "SELECT CONNECTION_ID()", id, sizeof id, &e), DM_OK);
    ck_assert_int_eq(one(m, "SELECT CONNECTION_ID()", v, sizeof v, &e), DM_OK);
    ck_assert_str_eq(v, id);                                /* the same session */
    ck_assert_uint_eq(worker_srcmeta_connects(m), 1);
    /* the session is UTC (CREATE_TIME comparisons) with sql_mode '' */
    ck_assert_int_eq(one(m, "SELECT CONCAT(@@time_zone, '|', @@sql_mode)", v, sizeof v, &e),
                     DM_OK);
    ck_assert_str_eq(v, "+00:00|");
    /* the server kills it: reopened, the query answered */
    k = db();
    sql(k, "KILL %s", id);
    mysql_close(k);
    ck_assert_int_eq(one(m, "SELECT CONNECTION_ID()", v, sizeof v, &e), DM_OK);
    ck_assert_str_ne(v, id);
    ck_assert_uint_eq(worker_srcmeta_connects(m), 2);
    /* a server error: transient, named, the connection kept */
    ck_assert_int_eq(one(m, "SELECT * FROM no_such_db.t", v, sizeof v, &e), DM_E_IO);
    ck_assert(e.transient);
    ck_assert_msg(strstr(e.msg, "read a test value: ") && strstr(e.msg, "no_such_db"), "%s",
                  e.msg);
    ck_assert_int_eq(one(m, "SELECT 1", v, sizeof v, &e), DM_OK);
    ck_assert_uint_eq(worker_srcmeta_connects(m), 2);
    worker_srcmeta_free(m);
}
END_TEST

START_TEST(source_down)
{
    struct bl_source src = source(4002);
    struct worker_srcmeta *m = worker_srcmeta_new(&src);
    struct worker_terr e;
    char v[64], want[64];
    ck_assert_int_eq(one(m, "SELECT 1", v, sizeof v, &e), DM_OK);
    ck_assert_int_eq(sandbox("stop"), 0);
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(one(m, "SELECT 1", v, sizeof v, &e), DM_E_IO);
    ck_assert(e.transient);
    snprintf(want, sizeof want, "the source 127.0.0.1:%d is unreachable", g_port);
    ck_assert_msg(strstr(e.msg, "read a test value: ") && strstr(e.msg, want), "%s", e.msg);
    ck_assert_int_eq(sandbox("start"), 0);
    ck_assert_int_eq(one(m, "SELECT 2", v, sizeof v, &e), DM_OK);
    ck_assert_str_eq(v, "2");
    worker_srcmeta_free(m);
}
END_TEST

START_TEST(escape)
{
    char out[2 * WORKER_SRCMETA_NAME_MAX + 1], big[WORKER_SRCMETA_NAME_MAX + 2];
    struct bl_source src = source(4003);
    struct worker_srcmeta *m = worker_srcmeta_new(&src);
    struct worker_terr e;
    char q[512], v[64];
    ck_assert(worker_srcmeta_escape("a'b\\c\"d\ne\r\032", out, sizeof out));
    ck_assert_str_eq(out, "a\\'b\\\\c\\\"d\\ne\\r\\Z");
    ck_assert(worker_srcmeta_escape("t\xc3\xa9", out, sizeof out));   /* UTF-8 kept */
    ck_assert_str_eq(out, "t\xc3\xa9");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert(!worker_srcmeta_escape(big, out, sizeof out));            /* too long */
    ck_assert_str_eq(out, "");
    ck_assert(!worker_srcmeta_escape("ab", out, 2));                    /* no room */
    /* what it writes reads back as the name on the server */
    ck_assert(worker_srcmeta_escape("x'\\y\xc3\xa9", out, sizeof out));
    snprintf(q, sizeof q, "SELECT HEX('%s')", out);
    ck_assert_int_eq(one(m, q, v, sizeof v, &e), DM_OK);
    ck_assert_str_eq(v, "78275C79C3A9");
    worker_srcmeta_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("srcmeta");
    TCase *tc = tcase_create("srcmeta");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kept_connection);
    tcase_add_test(tc, escape);
    tcase_add_test(tc, source_down);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

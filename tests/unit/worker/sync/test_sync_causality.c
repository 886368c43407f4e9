/* test_sync_causality.c - causality keys of unique key values as the target's index
 * compares them (applier_dml.c part_hash), with the schema read from a real MariaDB:
 * values equal under the column's collation ('é'/'e', 'A'/'a', 'a '/'a', 'ß'/'ss') and
 * values with an equal prefix of a prefix index part (UNIQUE KEY (c(3))) get the same key
 * (so dmlpool runs their row changes in order on one connection); values of _bin and binary
 * columns that differ get different keys, and so do different integers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../sandbox_db.h"
#include "applier.h"
#include "dm_error.h"

static struct worker_applier *g_ap;

static void setup(void)
{
    struct worker_db_cfg to = { "127.0.0.1", 0, "root", NULL, 0 };
    struct worker_terr e;
    MYSQL *m;
    g_dir = tu_mkdtemp();
    g_port = tu_free_port();
    ck_assert_int_eq(sandbox("start"), 0);
    m = db();
    sql(m, "CREATE DATABASE ck");
    /* one unique key (the first causality key) per table */
    sql(m, "CREATE TABLE ck.gci (c VARCHAR(20) PRIMARY KEY) DEFAULT CHARSET=utf8mb4 "
           "COLLATE=utf8mb4_general_ci");
    sql(m, "CREATE TABLE ck.uci (c VARCHAR(20) PRIMARY KEY) DEFAULT CHARSET=utf8mb4 "
           "COLLATE=utf8mb4_unicode_ci");
    sql(m, "CREATE TABLE ck.lat (c VARCHAR(20) PRIMARY KEY) DEFAULT CHARSET=latin1");
    sql(m, "CREATE TABLE ck.bin (c VARCHAR(20) PRIMARY KEY) DEFAULT CHARSET=utf8mb4 "
           "COLLATE=utf8mb4_bin");
    sql(m, "CREATE TABLE ck.vb (c VARBINARY(20) PRIMARY KEY)");
    sql(m, "CREATE TABLE ck.pre (c VARCHAR(20) NOT NULL, UNIQUE KEY (c(3))) "
           "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    sql(m, "CREATE TABLE ck.prb (c VARBINARY(20) NOT NULL, UNIQUE KEY (c(3)))");
    sql(m, "CREATE TABLE ck.txt (c TEXT NOT NULL, UNIQUE KEY (c(4))) DEFAULT CHARSET=utf8mb4");
    sql(m, "CREATE TABLE ck.num (c INT PRIMARY KEY)");
    mysql_close(m);
    to.port = g_port;
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(worker_applier_open(&to, "dm_meta", "t", "s", &g_ap, &e), DM_OK);
}

static void teardown(void)
{
    worker_applier_free(g_ap);
    sandbox("stop");
    if (!getenv("KEEP_TMP"))
        tu_rmrf(g_dir);
}

static int first_key(void *ud, const struct worker_rowjob *j, struct worker_terr *e)
{
    (void)e;
    ck_assert_uint_ge(j->nkeys, 1);
    ck_assert(!j->keyless);
    *(uint64_t *)ud = j->keys[0];
    return DM_OK;
}

/* The causality key of an INSERT of the one-column row (s, n bytes) into ck.<table>. */
static uint64_t key_of(const char *table, const char *s, size_t n, enum bl_kind kind)
{
    struct bl_table tb = { .schema = "ck", .table = (char *)table, .ncols = 1 };
    struct bl_value v = { .kind = kind, .ptr = s, .len = n };
    struct bl_row row = { .cols = &v, .present = NULL };
    struct bl_event ev;
    struct worker_terr e;
    uint64_t k = 0;
    memset(&ev, 0, sizeof ev);
    memset(&e, 0, sizeof e);
    ev.kind = BL_EV_ROWS;
    ev.op = BL_INSERT;
    ev.table = &tb;
    ev.nrows = 1;
    ev.rows = &row;
    ck_assert_int_eq(worker_applier_gen_rows(g_ap, &ev, "ck", table, false, NULL, first_key, &k,
                                             &e), DM_OK);
    return k;
}

static uint64_t skey(const char *table, const char *s)
{
    return key_of(table, s, strlen(s), BL_STRING);
}

START_TEST(collation_equal_same_key)
{
    static const char *const tables[] = { "gci", "uci" };
    size_t i;
    for (i = 0; i < 2; i++) {
        const char *t = tables[i];
        ck_assert_uint_eq(skey(t, "e"), skey(t, "\xc3\xa9"));   /* e / é */
        ck_assert_uint_eq(skey(t, "A"), skey(t, "a"));
        ck_assert_uint_eq(skey(t, "a "), skey(t, "a"));
        ck_assert_uint_eq(skey(t, "ss"), skey(t, "\xc3\x9f"));  /* ss / ß (unicode_ci) */
    }
    ck_assert_uint_eq(skey("lat", "e"), skey("lat", "\xe9"));  /* latin1 é */
    /* TEXT (BL_BINARY on the wire without charset metadata), prefix of 4 characters */
    ck_assert_uint_eq(key_of("txt", "abcd", 4, BL_BINARY), key_of("txt", "ABCDx", 5, BL_BINARY));
    ck_assert_uint_eq(key_of("txt", "\xc3\xa9", 2, BL_BINARY), key_of("txt", "E", 1, BL_BINARY));
}
END_TEST

START_TEST(prefix_equal_same_key)
{
    /* utf8mb4_bin, prefix of 3 characters (not bytes), PAD SPACE */
    ck_assert_uint_eq(skey("pre", "abcdef"), skey("pre", "abcxyz"));
    ck_assert_uint_eq(skey("pre", "\xc3\xa9\xc3\xa9\xc3\xa9" "a"), skey("pre", "\xc3\xa9\xc3\xa9\xc3\xa9" "b"));
    ck_assert_uint_eq(skey("pre", "ab "), skey("pre", "ab"));
    ck_assert_uint_ne(skey("pre", "\xc3\xa9\xc3\xa9" "a"), skey("pre", "\xc3\xa9\xc3\xa9" "b"));
    ck_assert_uint_ne(skey("pre", "abd"), skey("pre", "abc"));
    ck_assert_uint_ne(skey("pre", "Abc"), skey("pre", "abc"));
    /* binary: 3 bytes */
    ck_assert_uint_eq(skey("prb", "abcdef"), skey("prb", "abcxyz"));
    ck_assert_uint_ne(skey("prb", "abd"), skey("prb", "abc"));
}
END_TEST

START_TEST(exact_columns_different_keys)
{
    ck_assert_uint_ne(skey("bin", "A"), skey("bin", "a"));
    ck_assert_uint_ne(skey("bin", "e"), skey("bin", "\xc3\xa9"));
    ck_assert_uint_eq(skey("bin", "a "), skey("bin", "a"));     /* utf8mb4_bin is PAD SPACE */
    ck_assert_uint_ne(skey("vb", "A"), skey("vb", "a"));
    ck_assert_uint_ne(skey("vb", "a "), skey("vb", "a"));       /* binary: no padding */
    {
        struct bl_value a = { .kind = BL_INT, .i = 1 }, b = { .kind = BL_INT, .i = 2 };
        struct bl_table tb = { .schema = "ck", .table = (char *)"num", .ncols = 1 };
        struct bl_row r1 = { .cols = &a, .present = NULL }, r2 = { .cols = &b, .present = NULL };
        struct bl_event ev;
        struct worker_terr e;
        uint64_t k1 = 0, k2 = 0;
        memset(&ev, 0, sizeof ev);
        memset(&e, 0, sizeof e);
        ev.kind = BL_EV_ROWS;
        ev.op = BL_INSERT;
        ev.table = &tb;
        ev.nrows = 1;
        ev.rows = &r1;
        ck_assert_int_eq(worker_applier_gen_rows(g_ap, &ev, "ck", "num", false, NULL, first_key,
                                                 &k1, &e), DM_OK);
        ev.rows = &r2;
        ck_assert_int_eq(worker_applier_gen_rows(g_ap, &ev, "ck", "num", false, NULL, first_key,
                                                 &k2, &e), DM_OK);
        ck_assert_uint_ne(k1, k2);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_causality");
    TCase *tc = tcase_create("causality");
    (void)source;   /* (sandbox_db.h: not a binlog source here) */
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, collation_equal_same_key);
    tcase_add_test(tc, prefix_equal_same_key);
    tcase_add_test(tc, exact_columns_different_keys);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

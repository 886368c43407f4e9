/* test_applier_srcdef.c - worker_ap_srcdef_misfit / worker_ap_src_unsigned (applier_int.h)
 * on hand-made source definitions, TABLE_MAPs and target schemas: what fits, what is
 * refused and why. The end-to-end behaviour with real MariaDB is test_sync_srcdef.c. */
#include <check.h>
#include <mysql.h>
#include <string.h>

#include "applier_int.h"
#include "testutil.h"

/* A one-column target `name` of DATA_TYPE family fam / COLUMN_TYPE ct. */
struct tcol {
    struct tinfo t;
    char *cols[2];
    char *charset[2];
    unsigned char tcs[2];
    bool is_unsigned[2];
    struct tshape shape[2];
};

static void target(struct tcol *c, const char *name, const char *fam, const char *ct,
                   unsigned long long len, bool uns, const char *charset, unsigned char tcs)
{
    memset(c, 0, sizeof *c);
    c->cols[0] = (char *)name;
    c->cols[1] = (char *)"other";
    c->charset[0] = (char *)charset;
    c->tcs[0] = tcs;
    c->is_unsigned[0] = uns;
    c->shape[0].family = fam;
    c->shape[0].column_type = (char *)ct;
    c->shape[0].len = len;
    c->shape[1].family = "integer";
    c->shape[1].column_type = (char *)"int(11)";
    c->shape[1].len = 4;
    c->t.ncols = 2;
    c->t.cols = c->cols;
    c->t.charset = c->charset;
    c->t.tcs = c->tcs;
    c->t.is_unsigned = c->is_unsigned;
    c->t.shape = c->shape;
}

struct src {
    struct srcdef d;
    struct srccol cols[2];
    struct bl_table bt;
    uint8_t types[2];
    uint16_t meta[2];
};

static void source(struct src *s, const char *name, const char *fam, const char *ct,
                   unsigned long long len, const char *charset, uint8_t type, uint16_t meta)
{
    memset(s, 0, sizeof *s);
    s->cols[0].name = (char *)name;
    s->cols[0].column_type = (char *)ct;
    s->cols[0].charset = (char *)charset;
    s->cols[0].family = fam;
    s->cols[0].len = len;
    s->cols[0].is_unsigned = strstr(ct, "unsigned") != NULL;
    s->cols[1].name = (char *)"other";
    s->cols[1].column_type = (char *)"int(11)";
    s->cols[1].family = "integer";
    s->cols[1].len = 4;
    s->d.ncols = 2;
    s->d.cols = s->cols;
    s->types[0] = type;
    s->meta[0] = meta;
    s->types[1] = MYSQL_TYPE_LONG;
    s->bt.ncols = 2;
    s->bt.types = s->types;
    s->bt.meta = s->meta;
}

static const char *g_conv;   /* the last call's conversion */

static bool misfit(const struct src *s, const struct tcol *t, char *why)
{
    return worker_ap_srcdef_misfit(&s->d, &s->bt, 0, NULL, NULL, &t->t, 0, &g_conv, why, 512);
}

static bool misfit_bt(const struct srcdef *d, const struct bl_table *bt, const char *mcs,
                      const struct tcol *t, char *why)
{
    return worker_ap_srcdef_misfit(d, bt, 0, mcs, NULL, &t->t, 0, &g_conv, why, 512);
}

START_TEST(signedness)
{
    struct src s;
    struct tcol t;
    char why[512];
    source(&s, "u", "integer", "int(10) unsigned", 4, NULL, MYSQL_TYPE_LONG, 0);
    target(&t, "u", "integer", "int(11)", 4, false, NULL, TCS_NONE);
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "UNSIGNED integer of 4 bytes in the source, signed int(11)"),
                  "%s", why);
    ck_assert_int_eq(worker_ap_src_unsigned(&s.d, &s.bt, 0), 1);
    target(&t, "u", "integer", "bigint(20)", 8, false, NULL, TCS_NONE);
    ck_assert(!misfit(&s, &t, why));                /* wider: fits */
    target(&t, "u", "integer", "int(10) unsigned", 4, true, NULL, TCS_NONE);
    ck_assert(!misfit(&s, &t, why));
    source(&s, "i", "integer", "int(11)", 4, NULL, MYSQL_TYPE_LONG, 0);
    target(&t, "i", "integer", "bigint(20) unsigned", 8, true, NULL, TCS_NONE);
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "signed in the source, bigint(20) unsigned on the target"), "%s",
                  why);
    source(&s, "d", "decimal", "decimal(10,2)", 0, NULL, MYSQL_TYPE_NEWDECIMAL, 0x0a02);
    target(&t, "d", "decimal", "decimal(10,2) unsigned", 0, true, NULL, TCS_NONE);
    ck_assert(misfit(&s, &t, why));
}
END_TEST

/* The TABLE_MAP's signedness (binlog_row_metadata MINIMAL) wins over, and works without,
 * a source definition. */
START_TEST(table_map_signedness)
{
    struct src s;
    struct tcol t;
    char why[512];
    uint8_t uns[2] = { 0, 0 };
    source(&s, "i", "integer", "int(10) unsigned", 4, NULL, MYSQL_TYPE_LONG, 0);
    s.bt.is_unsigned = uns;
    target(&t, "i", "integer", "int(10) unsigned", 4, true, NULL, TCS_NONE);
    ck_assert_int_eq(worker_ap_src_unsigned(&s.d, &s.bt, 0), 0);
    ck_assert(misfit_bt(NULL, &s.bt, NULL, &t, why));
    s.bt.is_unsigned = NULL;
    ck_assert_int_eq(worker_ap_src_unsigned(NULL, &s.bt, 0), -1);
    ck_assert(!misfit_bt(NULL, &s.bt, NULL, &t, why));
}
END_TEST

START_TEST(enum_set_members)
{
    struct src s;
    struct tcol t;
    char why[512];
    source(&s, "e", "enum", "enum('x','y')", 0, "utf8mb4", MYSQL_TYPE_STRING, 0xf701);
    target(&t, "e", "enum", "enum('y','x')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "enum('x','y') in the source, enum('y','x') on the target"), "%s",
                  why);
    target(&t, "e", "enum", "enum('x','y','z')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(!misfit(&s, &t, why));
    target(&t, "e", "enum", "enum('x','yy')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(misfit(&s, &t, why));                 /* 'y' is a prefix of 'yy' only */
    target(&t, "e", "enum", "enum('x')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(misfit(&s, &t, why));
    source(&s, "s", "set", "set('a','b')", 0, "latin1", MYSQL_TYPE_STRING, 0xf801);
    target(&t, "s", "set", "set('a','b','c')", 0, false, "latin1", TCS_ASCII);
    ck_assert(!misfit(&s, &t, why));
    target(&t, "s", "set", "set('A','b')", 0, false, "latin1", TCS_ASCII);
    ck_assert(misfit(&s, &t, why));                 /* another value for bit 0 */
}
END_TEST

/* Another charset is converted (g_conv: the source's), not refused; binary source data
 * into a character column is. */
START_TEST(charsets)
{
    struct src s;
    struct tcol t;
    char why[512];
    source(&s, "c", "string", "varchar(10)", 0, "latin1", MYSQL_TYPE_VARCHAR, 10);
    target(&t, "c", "string", "varchar(10)", 10, false, "cp1251", TCS_ASCII);
    ck_assert(!misfit(&s, &t, why));
    ck_assert_str_eq(g_conv, "latin1");
    target(&t, "c", "string", "varbinary(10)", 10, false, NULL, TCS_BINARY);
    ck_assert(!misfit(&s, &t, why));                /* bytes kept */
    ck_assert_ptr_null(g_conv);
    target(&t, "c", "string", "varchar(10)", 10, false, "latin1", TCS_ASCII);
    ck_assert(!misfit(&s, &t, why));
    ck_assert_ptr_null(g_conv);
    target(&t, "c", "string", "varchar(10)", 40, false, "utf8mb4", TCS_UTF8);
    ck_assert(!misfit(&s, &t, why));
    ck_assert_str_eq(g_conv, "latin1");
    source(&s, "c", "string", "varchar(10)", 0, "utf8mb3", MYSQL_TYPE_VARCHAR, 30);
    ck_assert(!misfit(&s, &t, why));                /* utf8mb3 into utf8mb4: same bytes */
    ck_assert_ptr_null(g_conv);
    source(&s, "c", "string", "varchar(10)", 0, "ascii", MYSQL_TYPE_VARCHAR, 10);
    ck_assert(!misfit(&s, &t, why));
    ck_assert_ptr_null(g_conv);
    target(&t, "c", "string", "varchar(10)", 20, false, "ucs2", TCS_OTHER);
    ck_assert(!misfit(&s, &t, why));                /* ascii bytes are not ucs2 */
    ck_assert_str_eq(g_conv, "ascii");
    source(&s, "c", "string", "varbinary(10)", 0, NULL, MYSQL_TYPE_VARCHAR, 10);
    target(&t, "c", "string", "varchar(10)", 10, false, "latin1", TCS_ASCII);
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "varbinary(10) in the source (binary), varchar(10) on the "
                              "target (latin1)"), "%s", why);
}
END_TEST

/* The literal forms of converted values (applier_text.c). */
START_TEST(conv_literals)
{
    ck_assert(!worker_ap_conv_hex("latin1", "utf8mb4", "ab c", 4));    /* ASCII: quoted */
    ck_assert(worker_ap_conv_hex("latin1", "utf8mb4", "\xe9", 1));
    ck_assert(!worker_ap_conv_hex("latin1", "utf8mb4", "", 0));
    ck_assert(worker_ap_conv_hex("ucs2", "utf8mb4", "\0a", 2));       /* not ASCII-based */
    ck_assert(worker_ap_conv_hex("latin1", "utf16", "a", 1));
    ck_assert(worker_ap_conv_total("latin1", "utf8mb4"));
    ck_assert(worker_ap_conv_total("latin1", "utf16"));
    ck_assert(!worker_ap_conv_total("cp1251", "utf8mb4"));   /* 0x98 is no character */
    ck_assert(!worker_ap_conv_total("utf8mb4", "latin1"));
    ck_assert(!worker_ap_conv_total("latin1", "cp1251"));
}
END_TEST

/* MINIMAL metadata's binary flag alone (no source definition). */
START_TEST(table_map_binary)
{
    struct src s;
    struct tcol t;
    char why[512];
    uint8_t bin[2] = { 1, 0 };
    source(&s, "c", "string", "varbinary(10)", 0, NULL, MYSQL_TYPE_VARCHAR, 10);
    s.bt.is_binary = bin;
    target(&t, "c", "string", "varchar(10)", 10, false, "latin1", TCS_ASCII);
    ck_assert(misfit_bt(NULL, &s.bt, NULL, &t, why));
    bin[0] = 0;
    ck_assert(!misfit_bt(NULL, &s.bt, NULL, &t, why));
}
END_TEST

/* The charset of the TABLE_MAP's collation metadata (mcs) alone, and over a definition
 * that says otherwise (the binlog's is the rows' own). */
START_TEST(table_map_charset)
{
    struct src s;
    struct tcol t;
    char why[512];
    source(&s, "c", "string", "varchar(10)", 0, "latin1", MYSQL_TYPE_VARCHAR, 10);
    target(&t, "c", "string", "varchar(10)", 10, false, "latin1", TCS_ASCII);
    ck_assert(!misfit_bt(NULL, &s.bt, "cp1251", &t, why));
    ck_assert_str_eq(g_conv, "cp1251");
    ck_assert(!misfit_bt(NULL, &s.bt, "latin1", &t, why));
    ck_assert_ptr_null(g_conv);
    ck_assert(!misfit_bt(&s.d, &s.bt, "cp1251", &t, why));
    ck_assert_str_eq(g_conv, "cp1251");             /* the binlog's over the definition's */
    ck_assert(!misfit_bt(&s.d, &s.bt, NULL, &t, why));
    ck_assert_ptr_null(g_conv);
}
END_TEST

/* A source column's name at another position of the target: swapped; a name the target
 * lacks: renamed there, not refused; FULL metadata's names are shape_check's business. */
START_TEST(names)
{
    struct src s;
    struct tcol t;
    char why[512];
    char *binlog_names[2] = { (char *)"other", (char *)"x" };
    source(&s, "other", "integer", "int(11)", 4, NULL, MYSQL_TYPE_LONG, 0);
    target(&t, "u", "integer", "int(11)", 4, false, NULL, TCS_NONE);
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "its column 1 is `other` in the source table, which is column "
                              "`u`'s position on the target"), "%s", why);
    source(&s, "renamed", "integer", "int(11)", 4, NULL, MYSQL_TYPE_LONG, 0);
    ck_assert(!misfit(&s, &t, why));
    source(&s, "U", "integer", "int(11)", 4, NULL, MYSQL_TYPE_LONG, 0);
    ck_assert(!misfit(&s, &t, why));                /* letter case aside */
    source(&s, "other", "integer", "int(11)", 4, NULL, MYSQL_TYPE_LONG, 0);
    s.bt.names = binlog_names;
    ck_assert(!misfit(&s, &t, why));
}
END_TEST

/* Target column 0 in a unique key (primary or not) of collation tc; source column 0 of
 * collation sc (the definition's). */
static void keyed(struct tcol *t, struct tkey *k, size_t *idx, bool primary, const char *tc)
{
    idx[0] = 0;
    memset(k, 0, sizeof *k);
    k->n = 1;
    k->idx = idx;
    k->primary = primary;
    t->t.keys = k;
    t->t.nkeys = 1;
    t->shape[0].collation = (char *)tc;
}

START_TEST(key_collations)
{
    struct src s;
    struct tcol t;
    struct tkey k;
    size_t idx[1];
    char why[1024];
    const char *conv;
    source(&s, "k", "string", "varchar(10)", 0, "utf8mb4", MYSQL_TYPE_VARCHAR, 40);
    s.cols[0].collation = (char *)"utf8mb4_bin";
    /* a coarser target collation on a PRIMARY KEY column: refused, naming both */
    target(&t, "k", "string", "varchar(10)", 40, false, "utf8mb4", TCS_UTF8);
    keyed(&t, &k, idx, true, "utf8mb4_general_ci");
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "PRIMARY KEY of the target, compared as utf8mb4_general_ci there "
                              "but as utf8mb4_bin in the source"), "%s", why);
    keyed(&t, &k, idx, false, "utf8mb4_unicode_ci");
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "a UNIQUE key"), "%s", why);
    /* not in a key: key-less rows are matched byte for byte */
    t.t.nkeys = 0;
    ck_assert(!misfit(&s, &t, why));
    /* the same, or finer: fits */
    keyed(&t, &k, idx, true, "utf8mb4_bin");
    ck_assert(!misfit(&s, &t, why));
    keyed(&t, &k, idx, true, "utf8mb4_nopad_bin");
    ck_assert(!misfit(&s, &t, why));
    /* the binlog's collation (MINIMAL/FULL metadata) wins over the definition's */
    ck_assert(worker_ap_srcdef_misfit(NULL, &s.bt, 0, "utf8mb4", "utf8mb4_nopad_bin", &t.t, 0,
                                      &conv, why, sizeof why) == false);
    keyed(&t, &k, idx, true, "utf8mb4_bin");
    ck_assert(worker_ap_srcdef_misfit(NULL, &s.bt, 0, "utf8mb4", "utf8mb4_nopad_bin", &t.t, 0,
                                      &conv, why, sizeof why));
    ck_assert_msg(strstr(why, "compared as utf8mb4_bin there but as utf8mb4_nopad_bin"), "%s",
                  why);
    /* nothing known of the source's collation: not refused */
    s.cols[0].collation = NULL;
    keyed(&t, &k, idx, true, "utf8mb4_general_ci");
    ck_assert(!misfit(&s, &t, why));
}
END_TEST

START_TEST(collation_order)
{
    ck_assert(worker_ap_coll_keeps_apart("utf8mb4_general_ci", "utf8mb4_general_ci"));
    ck_assert(worker_ap_coll_keeps_apart("utf8mb3_general_ci", "utf8mb4_general_ci"));
    ck_assert(worker_ap_coll_keeps_apart("utf8mb4_general_ci", "utf8mb4_bin"));
    ck_assert(worker_ap_coll_keeps_apart("utf8mb4_bin", "utf8mb4_bin"));
    ck_assert(worker_ap_coll_keeps_apart("utf8mb4_nopad_bin", "utf8mb4_nopad_bin"));
    ck_assert(worker_ap_coll_keeps_apart("utf8mb4_general_nopad_ci", "utf8mb4_nopad_bin"));
    ck_assert(worker_ap_coll_keeps_apart("latin1_bin", "utf8mb4_bin"));
    ck_assert(worker_ap_coll_keeps_apart("utf8mb4_unicode_ci", NULL));       /* binary */
    /* across charsets the names do not tell (applier_collpf.c asks the target) */
    ck_assert(!worker_ap_coll_keeps_apart("latin1_swedish_ci", "utf8mb4_general_ci"));
    ck_assert(!worker_ap_coll_keeps_apart("utf8mb4_bin", "utf8mb4_general_ci"));      /* a/A */
    ck_assert(!worker_ap_coll_keeps_apart("utf8mb4_general_ci", "utf8mb4_unicode_ci")); /* ß */
    ck_assert(!worker_ap_coll_keeps_apart("utf8mb4_unicode_ci", "utf8mb4_general_ci"));
    ck_assert(!worker_ap_coll_keeps_apart("utf8mb4_nopad_bin", "utf8mb4_bin"));     /* 'a ' */
    ck_assert(!worker_ap_coll_keeps_apart("utf8mb4_general_nopad_ci", "utf8mb4_bin"));
    ck_assert(!worker_ap_coll_keeps_apart("latin1_bin", "utf8mb4_general_ci"));
    ck_assert(!worker_ap_coll_keeps_apart("latin1_general_cs", "latin1_general_ci"));
    ck_assert(!worker_ap_coll_keeps_apart("binary", "utf8mb4_bin"));
}
END_TEST

/* binlog_row_metadata=FULL's ENUM/SET members (bl_table.members) are the rows' own: used
 * without a source definition (rows in the second of the table's last DDL). */
START_TEST(table_map_members)
{
    struct src s;
    struct tcol t;
    char why[512];
    char *members[2] = { (char *)"'x','y'", NULL };
    const char *conv;
    source(&s, "e", "enum", "enum('x','y')", 0, "utf8mb4", MYSQL_TYPE_STRING, 0xf701);
    s.bt.members = members;
    target(&t, "e", "enum", "enum('y','x')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(worker_ap_srcdef_misfit(NULL, &s.bt, 0, NULL, NULL, &t.t, 0, &conv, why, 512));
    ck_assert_msg(strstr(why, "enum('x','y') in the source, enum('y','x') on the target"), "%s",
                  why);
    target(&t, "e", "enum", "enum('x','y','z')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(!worker_ap_srcdef_misfit(NULL, &s.bt, 0, NULL, NULL, &t.t, 0, &conv, why, 512));
    /* the binlog's over a definition that disagrees (read later, after an ALTER) */
    s.cols[0].column_type = (char *)"enum('y','x','z')";
    ck_assert(!misfit(&s, &t, why));
    /* non-ASCII members: information_schema shows them as UTF-8, the binlog in the
     * column's charset: the definition's are used */
    members[0] = (char *)"'\xe9','y'";
    target(&t, "e", "enum", "enum('x','y')", 0, false, "utf8mb4", TCS_UTF8);
    ck_assert(misfit(&s, &t, why));
    ck_assert_msg(strstr(why, "enum('y','x','z') in the source"), "%s", why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("applier_srcdef");
    TCase *tc = tcase_create("misfit");
    tcase_add_test(tc, signedness);
    tcase_add_test(tc, table_map_signedness);
    tcase_add_test(tc, enum_set_members);
    tcase_add_test(tc, charsets);
    tcase_add_test(tc, conv_literals);
    tcase_add_test(tc, table_map_binary);
    tcase_add_test(tc, table_map_charset);
    tcase_add_test(tc, names);
    tcase_add_test(tc, key_collations);
    tcase_add_test(tc, collation_order);
    tcase_add_test(tc, table_map_members);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

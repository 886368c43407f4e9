/* test_load_infile.c - worker_li_convert: dumped INSERT rows to LOAD DATA's text format.
 * Tricky values round-trip (decoded back with LOAD DATA's own field rules): NULL, empty
 * string, the string '\N', tabs / newlines / backslashes, every byte 0x00-0xff, utf8mb4,
 * hex literals, negative decimals, scientific floats; statements whose literals would
 * mean something else through LOAD DATA are refused (DM_E_PARSE: run as INSERT).
 * The same values through a real target are in test_load_infile_target.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "load_infile.h"
#include "testutil.h"

static struct worker_li_col g_cols[8];
static struct worker_li_table g_t;

/* t(id INT NOT NULL, a VARCHAR NULL, b DOUBLE NULL, c DECIMAL NULL, d DATETIME NULL) */
static void table5(void)
{
    static char *names[] = {"id", "a", "b", "c", "d"};
    enum worker_li_class cls[] = {WLI_INT, WLI_STRING, WLI_FLOAT, WLI_DECIMAL, WLI_OTHER};
    for (int i = 0; i < 5; i++) {
        g_cols[i].name = names[i];
        g_cols[i].cls = cls[i];
        g_cols[i].nullable = i > 0;
    }
    g_t.cols = g_cols;
    g_t.ncols = 5;
}

static int conv(const char *stmt, bool binary, char *rows, size_t cap, char *cols, size_t *n,
                size_t *rows_len)
{
    struct dm_buf r, c;
    int rc;
    dm_buf_init(&r, 1u << 24);
    dm_buf_init(&c, 1u << 20);
    rc = worker_li_convert(stmt, strlen(stmt), &g_t, binary, &r, &c, n);
    ck_assert_uint_lt(r.len, cap);
    if (r.len)
        memcpy(rows, r.data, r.len);
    rows[r.len] = '\0';
    if (rows_len)
        *rows_len = r.len;
    snprintf(cols, 256, "%s", c.len ? c.data : "");
    dm_buf_free(&r);
    dm_buf_free(&c);
    return rc;
}

/* LOAD DATA's reading of one field (ESCAPED BY '\\'): *is_null for exactly \N. */
static size_t unfield(const char *s, size_t n, char *out, bool *is_null)
{
    size_t o = 0;
    *is_null = n == 2 && s[0] == '\\' && s[1] == 'N';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            c = s[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b'
              : c == '0' ? '\0' : c == 'Z' ? '\032' : c;
        }
        out[o++] = c;
    }
    return o;
}

START_TEST(plain_rows)
{
    char rows[4096], cols[256];
    size_t n;
    table5();
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES\n"
                          "(1,\"x\",1.0000009999999999e-19,-999.99,\"2020-01-01 00:01:00\"),\n"
                          "(2,NULL,-5e+3,0,NULL),\n(3,'',.5,-0.01,'0000-00-00 00:00:00');\n",
                          true, rows, sizeof rows, cols, &n, NULL), DM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(cols, "(`id`,`a`,`b`,`c`,`d`)");
    ck_assert_str_eq(rows, "1\tx\t1.0000009999999999e-19\t-999.99\t2020-01-01 00:01:00\n"
                           "2\t\\N\t-5e+3\t0\t\\N\n"
                           "3\t\t.5\t-0.01\t0000-00-00 00:00:00\n");
}
END_TEST

START_TEST(tricky_strings)
{
    char rows[4096], cols[256], out[256];
    size_t n;
    bool null;
    table5();
    /* the string \N, a raw tab and a newline escape, backslashes, \% kept, doubled quotes,
     * \Z, \0, utf8mb4 */
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,\"\\\\N\",NULL,NULL,NULL),"
                          "(2,\"a\tb\\nc\\\\d\\%e\\_\",NULL,NULL,NULL),"
                          "(3,'it''s \"q\"\\'',NULL,NULL,NULL),(4,\"\\Z\\0\\r\\b\\x\",NULL,NULL,NULL),"
                          "(5,\"\xF0\x9F\x98\x80 \xC3\xA9\",NULL,NULL,NULL);",
                          true, rows, sizeof rows, cols, &n, NULL), DM_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(rows, "1\t\\\\N\t\\N\t\\N\t\\N\n"
                           "2\ta\\tb\\nc\\\\d\\\\%e\\\\_\t\\N\t\\N\t\\N\n"
                           "3\tit's \"q\"'\t\\N\t\\N\t\\N\n"
                           "4\t\032\\0\r\bx\t\\N\t\\N\t\\N\n"
                           "5\t\xF0\x9F\x98\x80 \xC3\xA9\t\\N\t\\N\t\\N\n");
    /* field 2 of row 1 reads back as the 2-byte string \N, not NULL */
    ck_assert_uint_eq(unfield("\\\\N", 3, out, &null), 2);
    ck_assert(!null);
    ck_assert(memcmp(out, "\\N", 2) == 0);
}
END_TEST

/* Every byte 0x00-0xff in a string literal escaped as mysql_real_escape_string does
 * (\0 \n \r \\ \' \" \Z), and as a hex literal: both read back to the same 256 bytes. */
START_TEST(all_bytes_round_trip)
{
    char stmt[4096], rows[4096], cols[256], out[1024];
    size_t n, len, o = 0, i, rl;
    bool null;
    table5();
    o += (size_t)snprintf(stmt, sizeof stmt, "INSERT INTO `t` VALUES (1,\"");
    for (i = 0; i < 256; i++) {
        unsigned char c = (unsigned char)i;
        const char *e = c == 0 ? "\\0" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\\' ? "\\\\"
                      : c == '\'' ? "\\'" : c == '"' ? "\\\"" : c == 032 ? "\\Z" : NULL;
        if (e) {
            memcpy(stmt + o, e, 2);
            o += 2;
        } else {
            stmt[o++] = (char)c;
        }
    }
    o += (size_t)snprintf(stmt + o, sizeof stmt - o, "\",NULL,NULL,NULL),(2,0x");
    for (i = 0; i < 256; i++)
        o += (size_t)snprintf(stmt + o, sizeof stmt - o, "%02X", (unsigned)i);
    snprintf(stmt + o, sizeof stmt - o, ",NULL,NULL,NULL);");
    {
        struct dm_buf r, c;
        dm_buf_init(&r, 1u << 20);
        dm_buf_init(&c, 1u << 20);
        ck_assert_int_eq(worker_li_convert(stmt, strlen(stmt), &g_t, true, &r, &c, &n), DM_OK);
        memcpy(rows, r.data, r.len);
        rl = r.len;
        dm_buf_free(&r);
        dm_buf_free(&c);
    }
    (void)cols;
    ck_assert_uint_eq(n, 2);
    for (int row = 0; row < 2; row++) {
        /* row: "<id>\t<field>\t\N\t\N\t\N\n": the field has no raw tab or newline */
        const char *p = rows, *f, *fe;
        for (int k = 0; k < row; k++)
            p = memchr(p, '\n', rl - (size_t)(p - rows)) + 1;
        f = memchr(p, '\t', rl - (size_t)(p - rows)) + 1;
        fe = memchr(f, '\t', rl - (size_t)(f - rows));
        ck_assert_ptr_nonnull(fe);
        ck_assert_ptr_null(memchr(f, '\n', (size_t)(fe - f)));
        len = unfield(f, (size_t)(fe - f), out, &null);
        ck_assert(!null);
        ck_assert_uint_eq(len, 256);
        for (i = 0; i < 256; i++)
            ck_assert_uint_eq((unsigned char)out[i], i);
    }
}
END_TEST

START_TEST(hex_literals)
{
    char rows[4096], cols[256];
    size_t n;
    table5();
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,0x41095C0A,NULL,NULL,NULL),"
                          "(2,X'00ff',NULL,NULL,NULL),(3,0x123,NULL,NULL,NULL),"
                          "(4,_binary 'a\\tb',NULL,NULL,NULL);",
                          true, rows, sizeof rows, cols, &n, NULL), DM_OK);
    ck_assert_str_eq(rows, "1\tA\\t\\\\\\n\t\\N\t\\N\t\\N\n"
                           "2\t\\0\xff\t\\N\t\\N\t\\N\n"
                           "3\t\x01#\t\\N\t\\N\t\\N\n"
                           "4\ta\\tb\t\\N\t\\N\t\\N\n");
    /* hex needs names binary (else the bytes would be read in another charset) */
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,0x41,NULL,NULL,NULL);", false, rows,
                          sizeof rows, cols, &n, NULL), DM_E_PARSE);
    /* into a number / date column it would be a number: refused */
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (0x41,'a',NULL,NULL,NULL);", true, rows,
                          sizeof rows, cols, &n, NULL), DM_E_PARSE);
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,'a',NULL,NULL,X'41');", true, rows,
                          sizeof rows, cols, &n, NULL), DM_E_PARSE);
    /* malformed */
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,X'123',NULL,NULL,NULL);", true, rows,
                          sizeof rows, cols, &n, NULL), DM_E_PARSE);
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,0x4g,NULL,NULL,NULL);", true, rows,
                          sizeof rows, cols, &n, NULL), DM_E_PARSE);
}
END_TEST

START_TEST(column_list)
{
    char rows[4096], cols[256];
    size_t n;
    table5();
    ck_assert_int_eq(conv("INSERT INTO `t` (`a`,`ID`) VALUES ('x',7);", true, rows, sizeof rows,
                          cols, &n, NULL), DM_OK);
    ck_assert_str_eq(cols, "(`a`,`id`)");
    ck_assert_str_eq(rows, "x\t7\n");
    /* a value's class is its named column's: a number into `a` is refused */
    ck_assert_int_eq(conv("INSERT INTO `t` (`a`,`id`) VALUES (7,7);", true, rows, sizeof rows,
                          cols, &n, NULL), DM_E_PARSE);
    ck_assert_int_eq(conv("INSERT INTO `t` (`nope`) VALUES (7);", true, rows, sizeof rows,
                          cols, &n, NULL), DM_E_PARSE);
}
END_TEST

/* Forms run as INSERTs: each would load differently or needs the server's own error. */
START_TEST(refused_forms)
{
    static const char *bad[] = {
        "INSERT INTO `t` VALUES (NULL,'a',NULL,NULL,NULL);",      /* NULL into NOT NULL */
        "INSERT INTO `t` VALUES (1.5,'a',NULL,NULL,NULL);",       /* decimal into INT */
        "INSERT INTO `t` VALUES (1,'a',NULL,1e3,NULL);",          /* exponent into DECIMAL */
        "INSERT INTO `t` VALUES (1,5,NULL,NULL,NULL);",           /* number into VARCHAR */
        "INSERT INTO `t` VALUES (1,'a',NULL,NULL,20200101);",     /* number into DATETIME */
        "INSERT INTO `t` VALUES (1,'a',NULL,NULL);",              /* too few values */
        "INSERT INTO `t` VALUES (1,'a',NULL,NULL,NULL,NULL);",    /* too many */
        "INSERT INTO `t` VALUES (1,'a' 'b',NULL,NULL,NULL);",     /* adjacent literals */
        "INSERT INTO `t` VALUES (1,NOW(),NULL,NULL,NULL);",       /* a function */
        "INSERT INTO `t` VALUES (1,DEFAULT,NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (- 1,'a',NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,'unterminated,NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,'\\\xC3\xA9',NULL,NULL,NULL);", /* \ + a multi-byte char */
        "INSERT INTO `t` VALUES (1,'a',NULL,NULL,NULL) ON DUPLICATE KEY UPDATE a=1;",
        "INSERT IGNORE INTO `t` VALUES (1,'a',NULL,NULL,NULL);",
        "REPLACE INTO `t` VALUES (1,'a',NULL,NULL,NULL);",
        "INSERT INTO `db`.`t` VALUES (1,'a',NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES ();",
        "INSERT INTO `t` VALUES (1,'a',NULL,NULL,NULL),;",
        NULL};
    char rows[4096], cols[256];
    size_t n;
    table5();
    for (int i = 0; bad[i]; i++) {
        ck_assert_msg(conv(bad[i], true, rows, sizeof rows, cols, &n, NULL) == DM_E_PARSE,
                      "accepted: %s", bad[i]);
        ck_assert_uint_eq(n, 0);
        ck_assert_str_eq(cols, "");
    }
}
END_TEST

/* YEAR: 4-digit numbers only (0 is 0000 as a number, 2000 as the string '0') */
START_TEST(year_digits)
{
    char rows[256], cols[256];
    size_t n;
    table5();
    g_cols[4].cls = WLI_YEAR;
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,NULL,NULL,NULL,2155),(2,NULL,NULL,NULL,0000),"
                          "(3,NULL,NULL,NULL,'99');", true, rows, sizeof rows, cols, &n, NULL),
                     DM_OK);
    ck_assert_str_eq(rows, "1\t\\N\t\\N\t\\N\t2155\n2\t\\N\t\\N\t\\N\t0000\n"
                           "3\t\\N\t\\N\t\\N\t99\n");
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,NULL,NULL,NULL,0);", true, rows, sizeof rows,
                          cols, &n, NULL), DM_E_PARSE);
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,NULL,NULL,NULL,99);", true, rows, sizeof rows,
                          cols, &n, NULL), DM_E_PARSE);
}
END_TEST

/* The rows are written into a reserve of one byte per input byte plus one per backslash,
 * tab, newline or NUL (+64): the densest forms stay within it. */
START_TEST(output_bound)
{
    static const char *dense[] = {
        "INSERT INTO `t` VALUES (1,'\t\t\t\t\n\n',NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,'\\%\\%\\%\\_\\_',NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,0x5C5C5C090A00,NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,X'5C5C5C090A00',NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,'\\\\\\\\',NULL,NULL,NULL);",
        "INSERT INTO `t` VALUES (1,'\\0\\0\\t\\n',NULL,NULL,NULL);",
        NULL};
    char rows[4096], cols[256];
    size_t n, rl;
    table5();
    for (int i = 0; dense[i]; i++) {
        size_t len = strlen(dense[i]), bound = len + 64;
        for (size_t k = 0; k < len; k++)
            bound += strchr("\\\t\n", dense[i][k]) != NULL;
        ck_assert_int_eq(conv(dense[i], true, rows, sizeof rows, cols, &n, &rl), DM_OK);
        ck_assert_uint_le(rl, bound - 64);   /* within the reserve even without its slack */
    }
}
END_TEST

START_TEST(classify)
{
    ck_assert_int_eq(worker_li_classify("bigint"), WLI_INT);
    ck_assert_int_eq(worker_li_classify("decimal"), WLI_DECIMAL);
    ck_assert_int_eq(worker_li_classify("double"), WLI_FLOAT);
    ck_assert_int_eq(worker_li_classify("longblob"), WLI_STRING);
    ck_assert_int_eq(worker_li_classify("varchar"), WLI_STRING);
    ck_assert_int_eq(worker_li_classify("bit"), WLI_OTHER);
    ck_assert_int_eq(worker_li_classify("year"), WLI_YEAR);
    ck_assert_int_eq(worker_li_classify("enum"), WLI_OTHER);
    ck_assert_int_eq(worker_li_classify("timestamp"), WLI_OTHER);
    ck_assert_int_eq(worker_li_classify("inet6"), WLI_TEXTBIN);
    ck_assert_int_eq(worker_li_classify("UUID"), WLI_TEXTBIN);
}
END_TEST

/* INET6 / UUID columns go through user variables read as utf8mb4 text; their quoted text
 * and NULL pass, a hex literal (the 16-byte form) does not (the INSERT runs) */
START_TEST(textbin_columns)
{
    char rows[256], cols[256];
    size_t n;
    table5();
    g_cols[2].cls = WLI_TEXTBIN;
    g_cols[4].cls = WLI_TEXTBIN;
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,'a','::1',2,\"123e4567-e89b-12d3-a456-"
                          "426655440000\"),(2,NULL,NULL,NULL,NULL);", true, rows, sizeof rows,
                          cols, &n, NULL), DM_OK);
    ck_assert_str_eq(rows, "1\ta\t::1\t2\t123e4567-e89b-12d3-a456-426655440000\n"
                           "2\t\\N\t\\N\t\\N\t\\N\n");
    ck_assert_str_eq(cols, "(`id`,`a`,@dmgw_li2,`c`,@dmgw_li4) SET "
                           "`b`=CONVERT(@dmgw_li2 USING utf8mb4),"
                           "`d`=CONVERT(@dmgw_li4 USING utf8mb4)");
    ck_assert_int_eq(conv("INSERT INTO `t` (`d`,`id`) VALUES ('::',3);", true, rows,
                          sizeof rows, cols, &n, NULL), DM_OK);
    ck_assert_str_eq(cols, "(@dmgw_li0,`id`) SET `d`=CONVERT(@dmgw_li0 USING utf8mb4)");
    ck_assert_int_eq(conv("INSERT INTO `t` VALUES (1,'a',0x00000000000000000000000000000001,"
                          "2,NULL);", true, rows, sizeof rows, cols, &n, NULL), DM_E_PARSE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_infile");
    TCase *tc = tcase_create("convert");
    tcase_add_test(tc, plain_rows);
    tcase_add_test(tc, tricky_strings);
    tcase_add_test(tc, all_bytes_round_trip);
    tcase_add_test(tc, hex_literals);
    tcase_add_test(tc, column_list);
    tcase_add_test(tc, refused_forms);
    tcase_add_test(tc, year_digits);
    tcase_add_test(tc, output_bound);
    tcase_add_test(tc, classify);
    tcase_add_test(tc, textbin_columns);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

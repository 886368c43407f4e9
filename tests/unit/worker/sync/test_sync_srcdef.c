/* test_sync_srcdef.c - target tables that differ from the source in what the binlog's
 * TABLE_MAP does not show without binlog_row_metadata (worker/sync/applier_srcdef.c),
 * with real MariaDB in normal mode (task <db>n -> <db>_n) and safe mode (<db>s -> <db>_s):
 *  - two columns of the same type swapped on the target (NO_LOG: no names);
 *  - ENUM members in another order on the target (the binlog holds the index);
 *  - INT UNSIGNED into INT (4294967295 was stored as -1 silently), INT into INT UNSIGNED
 *    (-1 was stored as 4294967295), also under binlog_row_metadata=MINIMAL;
 *  - latin1 'é' into cp1251, which has no 'é' (it became 'й'; now converted, refused for
 *    that character), VARBINARY into latin1;
 * each pauses with nothing applied (each fails on the previous worker). Targets an
 * operator made wider (BIGINT for INT UNSIGNED, ENUM/SET members appended, utf8mb3 into
 * utf8mb4, VARBINARY for latin1, longer VARCHAR, other character sets: converted) apply
 * exactly, and a table the source
 * ALTERed after the rows the task is applying (the definition read now is not theirs)
 * does not pause. A CREATE TABLE replayed after an ALTER DATABASE ... CHARACTER SET gets
 * the charset it had on the source (database_charset_at_create). random_variants (seeded:
 * DMGW_SEED) checks the property on random column pairs: exact or a 36059 pause. */
#include <time.h>

#include "rowimg_e2e.h"

static void setup(void)
{
    rt_up();
    sql(g_src, "CREATE DATABASE rt");
}

static void teardown(void)
{
    e2e_env_down();
}

/* Source db.t and both targets hold the same rows over the column expressions `cols`. */
static void pair_converge(const char *db, const char *cols)
{
    char qs[1024], qt[1024];
    int k;
    snprintf(qs, sizeof qs, "SELECT GROUP_CONCAT(%s ORDER BY id) FROM %s.t", cols, db);
    for (k = 0; k < 2; k++) {
        snprintf(qt, sizeof qt, "SELECT GROUP_CONCAT(%s ORDER BY id) FROM %s_%s.t", cols, db,
                 k ? "s" : "n");
        ck_assert_msg(converge(qs, qt, 30000), "%s differs from %s", qt, qs);
    }
}

#define NCASE 8
START_TEST(blind_spots_pause)
{
    static const struct {
        const char *db, *cols, *alter, *row, *want;
        const char *metadata;   /* binlog_row_metadata of the rows, NULL: NO_LOG */
    } c[NCASE] = {
        { "sw", "id INT PRIMARY KEY, a INT, b INT", "MODIFY b INT AFTER id", "(1,2,3)",
          "its column 2 is `a` in the source table, which is column `b`'s position", NULL },
        { "en", "id INT PRIMARY KEY, e ENUM('x','y','z')", "MODIFY e ENUM('z','y','x')",
          "(1,'x')", "enum('x','y','z') in the source, enum('z','y','x') on the target", NULL },
        { "su", "id INT PRIMARY KEY, u INT UNSIGNED", "MODIFY u INT", "(1,4294967295)",
          "UNSIGNED integer of 4 bytes in the source, signed int(11) on the target", NULL },
        { "si", "id INT PRIMARY KEY, i INT", "MODIFY i INT UNSIGNED", "(1,-1)",
          "signed in the source, int(10) unsigned on the target", NULL },
        { "sm", "id INT PRIMARY KEY, i INT", "MODIFY i INT UNSIGNED", "(1,-1)",
          "signed in the source, int(10) unsigned on the target", "MINIMAL" },
        { "cs", "id INT PRIMARY KEY, c VARCHAR(10) CHARACTER SET latin1",
          "MODIFY c VARCHAR(10) CHARACTER SET cp1251", "(1,_latin1 X'E9')",
          "row 1: its latin1 value of column `c` cannot be converted exactly into target "
          "column `cs_", NULL },
        { "bn", "id INT PRIMARY KEY, c VARBINARY(10)",
          "MODIFY c VARCHAR(10) CHARACTER SET latin1", "(1,X'E9')",
          "varbinary(10) in the source (binary), varchar(10) on the target (latin1)", NULL },
        /* rows dated before the table's definition (SET timestamp): the definition read
         * now may not be theirs - MINIMAL metadata's collation tells the charset alone */
        { "cm", "id INT PRIMARY KEY, c VARCHAR(10) CHARACTER SET latin1",
          "MODIFY c VARCHAR(10) CHARACTER SET cp1251", "(1,_latin1 X'E9')",
          "row 1: its latin1 value of column `c` cannot be converted exactly into target "
          "column `cm_", "MINIMAL" },
    };
    int i, k;
    for (i = 0; i < NCASE; i++)
        pair_table(c[i].db, c[i].cols, c[i].alter);
    for (i = 0; i < NCASE; i++) {
        sql(g_src, "SET GLOBAL binlog_row_metadata=%s", c[i].metadata ? c[i].metadata : "NO_LOG");
        sqli("FULL", "SET timestamp=%s; INSERT INTO %s.t VALUES %s",
             strcmp(c[i].db, "cm") == 0 ? "UNIX_TIMESTAMP()-100" : "DEFAULT", c[i].db,
             c[i].row);
    }
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    for (i = 0; i < NCASE; i++) {
        pair_paused(c[i].db, c[i].want, "cannot apply the rows of");
        pair_count(c[i].db, "0");
    }
    /* The operator fixes the targets and resumes: exact. */
    for (k = 0; k < 2; k++) {
        char msg[2048], name[8];
        sql(g_dst, "ALTER TABLE su_%s.t MODIFY u BIGINT", k ? "s" : "n");
        sql(g_dst, "ALTER TABLE en_%s.t MODIFY e ENUM('x','y','z')", k ? "s" : "n");
        snprintf(name, sizeof name, "su%s", k ? "s" : "n");
        ck_assert_msg(operate(name, PB__TASK_OP__Resume, msg, sizeof msg), "%s", msg);
        snprintf(name, sizeof name, "en%s", k ? "s" : "n");
        ck_assert_msg(operate(name, PB__TASK_OP__Resume, msg, sizeof msg), "%s", msg);
    }
    pair_converge("su", "id,':',u");
    pair_converge("en", "id,':',e");
}
END_TEST

/* Targets made wider on purpose apply exactly: INT UNSIGNED into BIGINT (4294967295 was
 * -1: the value was read as the target column's signedness), INT into BIGINT UNSIGNED is
 * not wider (pauses in blind_spots_pause's way), ENUM/SET members appended, utf8mb3 into
 * utf8mb4, latin1 into VARBINARY, ascii into latin1, a longer VARCHAR, a column renamed on
 * the target. */
START_TEST(wider_targets_apply)
{
    pair_table("wd", "id INT PRIMARY KEY, u INT UNSIGNED, i INT, e ENUM('x','y'), "
                     "s SET('a','b'), c VARCHAR(5) CHARACTER SET latin1, "
                     "m VARCHAR(5) CHARACTER SET utf8mb3, a CHAR(3) CHARACTER SET ascii, "
                     "v VARCHAR(5), r INT",
               "MODIFY u BIGINT, MODIFY i BIGINT, MODIFY e ENUM('x','y','w'), "
               "MODIFY s SET('a','b','c'), MODIFY c VARBINARY(20), "
               "MODIFY m VARCHAR(5) CHARACTER SET utf8mb4, "
               "MODIFY a CHAR(3) CHARACTER SET latin1, MODIFY v VARCHAR(50), "
               "CHANGE r r2 INT");
    sqli("FULL", "INSERT INTO wd.t VALUES (1,4294967295,-5,'y','a,b',_latin1 X'E9',"
                 "'\xc3\xbc','abc','abc',7), (2,0,2147483647,'x','b','a','b','c','d',8);"
                 "UPDATE wd.t SET u=4294967294, i=-2147483648 WHERE id=2");
    pair_converge("wd", "id,':',u,':',i,':',e,':',s,':',HEX(c),':',HEX(m),':',a,':',v");
    pair_running("wd");
}
END_TEST

/* The source ALTERs the table after rows the task has not applied yet: the definition
 * read now is not theirs (CREATE_TIME in or after their second). The task started from
 * the start position catches up without a pause and ends equal. */
START_TEST(source_altered_later)
{
    sql(g_src, "CREATE DATABASE la");
    sql(g_src, "CREATE TABLE la.t (id INT PRIMARY KEY, a INT, b INT, e ENUM('x','y'), "
               "u INT UNSIGNED)");
    sqli("FULL", "INSERT INTO la.t VALUES (1,2,3,'x',4);"
                 "ALTER TABLE la.t MODIFY b INT AFTER id, MODIFY e ENUM('y','x'), "
                 "MODIFY u INT;"
                 "INSERT INTO la.t VALUES (2,5,4,'x',-1)");
    past_definition("la");
    sqli("FULL", "INSERT INTO la.t VALUES (3,7,6,'y',-2)");
    pair_up("la");
    pair_converge("la", "id,':',a,':',b,':',e,':',u");
    pair_running("la");
}
END_TEST

/* The database default charset a CREATE TABLE without one met: an ALTER DATABASE on the
 * source after it (before the task applied the CREATE) made the target's columns cp1251
 * where the source's are latin1 ('\xe9' became '\xd0\xb9' silently). The table's own
 * default is used while it is unchanged since; a table ALTERed since pauses at its rows. */
START_TEST(database_charset_at_create)
{
    int k;
    sql(g_src, "CREATE DATABASE dc CHARACTER SET latin1");
    sql(g_src, "CREATE TABLE dc.t (id INT PRIMARY KEY, c VARCHAR(10))");
    sql(g_src, "CREATE TABLE dc.u (id INT PRIMARY KEY, c VARCHAR(10))");
    past_definition("dc");
    sqli("FULL", "INSERT INTO dc.t VALUES (1,_latin1 X'E9'); ALTER DATABASE dc CHARACTER SET "
                 "cp1251; ALTER TABLE dc.u ADD d INT");
    sql(g_src, "CREATE TABLE dc.w (id INT PRIMARY KEY, c VARCHAR(10))");
    past_definition("dc");
    sqli("FULL", "INSERT INTO dc.t VALUES (2,_latin1 X'E8'); INSERT INTO dc.w VALUES "
                 "(1,_cp1251 X'E9')");
    pair_up("dc");
    for (k = 0; k < 2; k++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT GROUP_CONCAT(id,':',HEX(c),':',CHARSET(c) ORDER BY id) "
                 "FROM dc_%s.t", k ? "s" : "n");
        ck_assert(wait_value(g_dst, q, "1:E9:latin1,2:E8:latin1", 30000));
        snprintf(q, sizeof q, "SELECT GROUP_CONCAT(id,':',HEX(c),':',CHARSET(c)) FROM "
                 "dc_%s.w", k ? "s" : "n");
        ck_assert(wait_value(g_dst, q, "1:E9:cp1251", 30000));
    }
    sqli("FULL", "INSERT INTO dc.u VALUES (1,_latin1 X'E9',1)");
    pair_paused("dc", "its latin1 value of column `c` cannot be converted exactly into "
                "target column `dc_", "`.`u`.`c` (cp1251)");
}
END_TEST

#define U8(c) "CONVERT(" c " USING utf8mb4)"

/* Source db.<table> and both targets hold the same characters over `cols` (compared as
 * utf8mb4, ordered by `order`). */
static void pair_same(const char *db, const char *table, const char *cols, const char *order)
{
    char qs[1024], qt[1024];
    int k;
    snprintf(qs, sizeof qs, "SELECT HEX(CONVERT(GROUP_CONCAT(%s ORDER BY %s SEPARATOR '|') "
             "USING utf8mb4)) FROM %s.%s", cols, order, db, table);
    for (k = 0; k < 2; k++) {
        snprintf(qt, sizeof qt, "SELECT HEX(CONVERT(GROUP_CONCAT(%s ORDER BY %s SEPARATOR "
                 "'|') USING utf8mb4)) FROM %s_%s.%s", cols, order, db, k ? "s" : "n", table);
        ck_assert_msg(converge(qs, qt, 30000), "%s differs from %s", qt, qs);
    }
}

/* Character columns in another charset on the target than in the source - latin1, cp1251
 * and gbk into utf8mb4, utf8mb4 into latin1 (with characters latin1 has) - are converted
 * by the target server exactly (before: the source bytes were taken as the target's
 * charset - latin1 'é' became invalid utf8mb4 - and then paused with "converting between
 * character sets is not supported"). With each binlog_row_metadata (NO_LOG: the source's
 * definition tells the charsets) and FULL and MINIMAL row images; UPDATE and DELETE find
 * rows by keys in converted columns (t.k UNIQUE; p's PRIMARY KEY; the key-less n by all
 * of its columns, byte for byte, a TEXT among them). */
START_TEST(charset_conversions)
{
    static const char *const meta[3] = { "NO_LOG", "MINIMAL", "FULL" };
    static const char *const image[2] = { "FULL", "MINIMAL" };
    char db[8];
    int m, k, im;
    for (m = 0; m < 3; m++) {
        snprintf(db, sizeof db, "cv%d", m);
        sql(g_src, "CREATE DATABASE %s", db);
        sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY, l VARCHAR(10) CHARACTER SET latin1, "
                   "c VARCHAR(10) CHARACTER SET cp1251, g VARCHAR(10) CHARACTER SET gbk, "
                   "u VARCHAR(10) CHARACTER SET utf8mb4, k VARCHAR(10) CHARACTER SET latin1, "
                   "UNIQUE KEY (k))", db);
        sql(g_src, "CREATE TABLE %s.p (k VARCHAR(10) CHARACTER SET cp1251 PRIMARY KEY, v INT)",
            db);
        sql(g_src, "CREATE TABLE %s.n (l VARCHAR(10) CHARACTER SET latin1, "
                   "g VARCHAR(10) CHARACTER SET gbk, v INT, x TEXT CHARACTER SET cp1251)", db);
        pair_up(db);
        pair_tables(db, "t");
        pair_tables(db, "p");
        pair_tables(db, "n");
        for (k = 0; k < 2; k++) {
            const char *sfx = k ? "s" : "n";
            sql(g_dst, "ALTER TABLE %s_%s.t MODIFY l VARCHAR(10) CHARACTER SET utf8mb4, "
                       "MODIFY c VARCHAR(10) CHARACTER SET utf8mb4, "
                       "MODIFY g VARCHAR(10) CHARACTER SET utf8mb4, "
                       "MODIFY u VARCHAR(40) CHARACTER SET latin1, "
                       "MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
                db, sfx);
            /* key columns: _bin (a folding utf8mb4 collation folds values latin1_swedish_ci
             * / cp1251_general_ci keep apart: refused since session 11, test_sync_srcmeta2) */
            sql(g_dst, "ALTER TABLE %s_%s.p MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE "
                       "utf8mb4_bin", db, sfx);
            sql(g_dst, "ALTER TABLE %s_%s.n MODIFY l VARCHAR(10) CHARACTER SET utf8mb4, "
                       "MODIFY g VARCHAR(10) CHARACTER SET utf8mb4, "
                       "MODIFY x TEXT CHARACTER SET utf8mb4", db, sfx);
        }
        past_definition(db);
    }
    for (m = 0; m < 3; m++) {
        sql(g_src, "SET GLOBAL binlog_row_metadata=%s", meta[m]);
        for (im = 0; im < 2; im++) {
            int b = im * 10;   /* ids / values of this image */
            sqli(image[im],
                 "INSERT INTO cv%d.t VALUES (%d,_latin1 X'E9E8',_cp1251 X'E9C0',_gbk X'D6D0CEC4',"
                 "_utf8mb4 X'C3BCE282AC','m%d'), (%d,'x','y','z','w',_latin1 X'E9%02X'), "
                 "(%d,_latin1 X'FF',_cp1251 X'B9',_gbk X'B1B1',_utf8mb4 X'C3A9','z%d');"
                 "UPDATE cv%d.t SET l=_latin1 X'C4', c=_cp1251 X'FF', g=_gbk X'BEA9' WHERE id=%d;"
                 "UPDATE cv%d.t SET k=_latin1 X'C5%02X' WHERE k=_latin1 X'E9%02X';"
                 "DELETE FROM cv%d.t WHERE id=%d;",
                 m, b + 1, im, b + 2, 0x30 + im, b + 3, im, m, b + 1, m, 0x30 + im, 0x30 + im,
                 m, b + 3);
            sqli(image[im],
                 "INSERT INTO cv%d.p VALUES (_cp1251 X'C0%02X',1), (_cp1251 X'C1%02X',2);"
                 "UPDATE cv%d.p SET v=v+10 WHERE k=_cp1251 X'C0%02X';"
                 "UPDATE cv%d.p SET k=_cp1251 X'C2%02X' WHERE k=_cp1251 X'C1%02X';"
                 "INSERT INTO cv%d.n VALUES (_latin1 X'E9',_gbk X'D6D0',%d,_cp1251 X'E9FF'), "
                 "(_latin1 X'E9',_gbk X'D6D0',%d,_cp1251 X'E9FF');"
                 "UPDATE cv%d.n SET v=v+100 WHERE v=%d; DELETE FROM cv%d.n WHERE v=%d",
                 m, 0x30 + im, 0x30 + im, m, 0x30 + im, m, 0x30 + im, 0x30 + im, m, b + 1,
                 b + 2, m, b + 1, m, b + 2);
        }
    }
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    for (m = 0; m < 3; m++) {
        snprintf(db, sizeof db, "cv%d", m);
        pair_same(db, "t", "CONCAT_WS(':',id," U8("l") "," U8("c") "," U8("g") "," U8("u") ","
                  U8("k") ")", "id");
        pair_same(db, "p", "CONCAT_WS(':'," U8("k") ",v)", "HEX(" U8("k") ")");
        pair_same(db, "n", "CONCAT_WS(':'," U8("l") "," U8("g") ",v," U8("x") ")", "v");
        pair_running(db);
    }
    /* the target holds the characters in its own charsets */
    for (k = 0; k < 2; k++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT CONCAT_WS(':',HEX(l),HEX(c),HEX(g),HEX(u),HEX(k)) FROM "
                 "cv1_%s.t WHERE id=1", k ? "s" : "n");
        ck_assert(wait_value(g_dst, q, "C384:D18F:E4BAAC:FC80:6D30", 30000));
    }
}
END_TEST

/* utf8mb4 into latin1: a character latin1 has not ('中') is refused before anything of
 * its event is applied - also with a non-strict target (where the server stores '?') -
 * naming table, column, row and binlog position; never '?' in the target. Values longer
 * in characters than the converted column holds (ASCII and not) likewise. */
START_TEST(charset_unrepresentable)
{
    char v[64], q[256];
    int k;
    sql(g_dst, "SET GLOBAL sql_mode=''");
    pair_table("cx", "id INT PRIMARY KEY, u VARCHAR(10) CHARACTER SET utf8mb4",
               "MODIFY u VARCHAR(40) CHARACTER SET latin1");
    /* 20 latin1 characters fit VARCHAR(5) utf8mb4's 20 bytes: cut silently before */
    pair_table("cy", "id INT PRIMARY KEY, u VARCHAR(20) CHARACTER SET latin1",
               "MODIFY u VARCHAR(5) CHARACTER SET utf8mb4");
    pair_table("cz", "id INT PRIMARY KEY, u VARCHAR(20) CHARACTER SET latin1",
               "MODIFY u VARCHAR(5) CHARACTER SET utf8mb4");
    /* rows writing ENUM index 0 (a non-strict source session) run without STRICT_* on the
     * target (applier_dml.c LAX_MODE): converted values are checked all the same */
    pair_table("ce", "id INT PRIMARY KEY, e ENUM('a','b'), u VARCHAR(10) CHARACTER SET "
                     "utf8mb4", "MODIFY u VARCHAR(40) CHARACTER SET latin1");
    pair_table("cf", "id INT PRIMARY KEY, e ENUM('a','b'), u VARCHAR(10) CHARACTER SET "
                     "utf8mb4", "MODIFY u VARCHAR(40) CHARACTER SET latin1");
    sqli("FULL", "INSERT INTO cx.t VALUES (1,_utf8mb4 X'C3A9'); "
                 "INSERT INTO cx.t VALUES (2,_utf8mb4 X'61E4B8AD'),(3,'b');"
                 "INSERT INTO cy.t VALUES (1,'abcde'),(2,'abcdef');"
                 "INSERT INTO cz.t VALUES (1,_latin1 X'E9E9E9E9E9'),(2,_latin1 X'E9E9E9E9E9E9');"
                 "SET SESSION sql_mode='';"
                 "INSERT INTO ce.t VALUES (1,'zz',_utf8mb4 X'E4B8AD');"
                 "INSERT INTO cf.t VALUES (1,'zz',_utf8mb4 X'C3A9E282AC'),(2,'b','x')");
    pair_paused("cx", "row 1: its utf8mb4 value of column `u` cannot be converted exactly "
                "into target column `cx_", "`.`t`.`u` (latin1): a character it has not would be "
                "stored as '?'");
    pair_paused("cy", "row 2: its latin1 value of column `u` cannot be converted exactly into "
                "target column `cy_", "`.`t`.`u` (utf8mb4): converted, it is longer than the "
                "column holds");
    pair_paused("cz", "row 2: its latin1 value of column `u` cannot be converted exactly into "
                "target column `cz_", "`.`t`.`u` (utf8mb4): converted, it is longer than the "
                "column holds");
    pair_paused("ce", "row 1: its utf8mb4 value of column `u` cannot be converted exactly "
                "into target column `ce_", "a character it has not would be stored as '?'");
    pair_count("cy", "0");
    pair_count("cz", "0");
    pair_count("ce", "0");
    pair_same("cf", "t", "CONCAT_WS(':',id,e+0," U8("u") ")", "id");
    pair_running("cf");
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");
    for (k = 0; k < 2; k++) {   /* row 1 may wait for the checkpoint's transaction */
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM cx_%s.t WHERE id>1 OR INSTR(u,'?')",
                 k ? "s" : "n");
        value(g_dst, q, v, sizeof v);
        ck_assert_msg(strcmp(v, "0") == 0, "%s: %s", q, v);
    }
    {
        char msg[2048];
        ck_assert(task_stage("cxn", msg, sizeof msg) == PB__STAGE__Paused);
        ck_assert_msg(strstr(msg, "code=36059") && strstr(msg, "cannot apply the rows of "
                      "`cx`.`t` at (mysql-bin.") , "%s", msg);
    }
    /* the operator gives the target column utf8mb4 and resumes: exact */
    for (k = 0; k < 2; k++) {
        char msg[2048], name[8];
        sql(g_dst, "ALTER TABLE cx_%s.t MODIFY u VARCHAR(10) CHARACTER SET utf8mb4",
            k ? "s" : "n");
        snprintf(name, sizeof name, "cx%s", k ? "s" : "n");
        ck_assert_msg(operate(name, PB__TASK_OP__Resume, msg, sizeof msg), "%s", msg);
    }
    pair_same("cx", "t", "CONCAT_WS(':',id,HEX(u))", "id");
    pair_running("cx");
}
END_TEST

/* Randomized (DMGW_SEED, printed): a random subset of source/target column pairs, each
 * in a database of its own with one normal-mode task, random values of the source type.
 * The property: a pair that fits converges byte for byte; one that does not pauses with
 * 36059 and nothing applied - never a silent difference. */
static const struct variant {
    const char *src, *dst;  /* column definitions of v */
    bool fits;
    const char *vals[4];    /* literals */
} g_var[] = {
    { "INT UNSIGNED", "INT UNSIGNED", true, { "0", "4294967295", "2147483648", "7" } },
    { "INT UNSIGNED", "BIGINT", true, { "0", "4294967295", "2147483648", "7" } },
    { "INT UNSIGNED", "BIGINT UNSIGNED", true, { "4294967295", "1", "2147483648", "7" } },
    { "INT UNSIGNED", "INT", false, { "4294967295", "1", "2147483648", "7" } },
    { "INT", "BIGINT", true, { "-1", "-2147483648", "2147483647", "0" } },
    { "INT", "INT UNSIGNED", false, { "-1", "-2147483648", "2147483647", "0" } },
    { "INT", "BIGINT UNSIGNED", false, { "-1", "-2147483648", "2147483647", "0" } },
    { "BIGINT UNSIGNED", "BIGINT", false, { "18446744073709551615", "1", "0", "9" } },
    { "TINYINT", "TINYINT UNSIGNED", false, { "-128", "127", "0", "-1" } },
    { "TINYINT UNSIGNED", "SMALLINT", true, { "255", "128", "0", "1" } },
    { "DECIMAL(6,2)", "DECIMAL(6,2) UNSIGNED", false, { "-1.5", "9999.99", "0", "1" } },
    { "ENUM('a','b','c')", "ENUM('a','b','c','d')", true, { "'a'", "'b'", "'c'", "'a'" } },
    { "ENUM('a','b','c')", "ENUM('c','b','a')", false, { "'a'", "'b'", "'c'", "'a'" } },
    { "ENUM('a','b','c')", "ENUM('a','c','b')", false, { "'a'", "'b'", "'c'", "'a'" } },
    { "SET('a','b')", "SET('a','b','x')", true, { "'a'", "'a,b'", "''", "'b'" } },
    { "SET('a','b')", "SET('b','a')", false, { "'a'", "'a,b'", "''", "'b'" } },
    { "VARCHAR(8) CHARACTER SET latin1", "VARCHAR(8) CHARACTER SET latin1", true,
      { "_latin1 X'E9'", "'ab'", "_latin1 X'FF80'", "''" } },
    { "VARCHAR(8) CHARACTER SET latin1", "VARBINARY(8)", true,
      { "_latin1 X'E9'", "'ab'", "_latin1 X'FF80'", "''" } },
    { "VARCHAR(8) CHARACTER SET latin1", "VARCHAR(8) CHARACTER SET cp1251", false,
      { "_latin1 X'E9'", "_latin1 X'61E8'", "_latin1 X'FF80'", "_latin1 X'C4'" } },
    { "VARCHAR(8) CHARACTER SET latin1", "VARCHAR(8) CHARACTER SET cp1251", true,
      { "_latin1 X'A9'", "'ab'", "_latin1 X'80A7'", "''" } },
    { "VARCHAR(8) CHARACTER SET latin1", "VARCHAR(8) CHARACTER SET utf8mb4", true,
      { "_latin1 X'E9'", "'ab'", "_latin1 X'FF80'", "''" } },
    { "VARCHAR(8) CHARACTER SET cp1251", "VARCHAR(8) CHARACTER SET utf8mb4", true,
      { "_cp1251 X'E9'", "'ab'", "_cp1251 X'FF88'", "''" } },
    { "VARCHAR(8) CHARACTER SET gbk", "VARCHAR(8) CHARACTER SET utf8mb4", true,
      { "_gbk X'D6D0'", "'ab'", "_gbk X'B1B1CEC4'", "''" } },
    { "VARCHAR(8) CHARACTER SET utf8mb4", "VARCHAR(32) CHARACTER SET latin1", false,
      { "_utf8mb4 X'E4B8AD'", "_utf8mb4 X'61E4B8AD'", "_utf8mb4 X'F09F9880'",
        "_utf8mb4 X'CEB1'" } },
    { "VARCHAR(8) CHARACTER SET utf8mb3", "VARCHAR(8) CHARACTER SET utf8mb4", true,
      { "_utf8mb3 X'C3BC'", "'ab'", "_utf8mb3 X'E282AC'", "''" } },
    { "VARCHAR(8) CHARACTER SET utf8mb3", "VARCHAR(24) CHARACTER SET latin1", true,
      { "_utf8mb3 X'C3BC'", "'ab'", "_utf8mb3 X'E282AC'", "''" } },
    { "VARBINARY(8)", "VARCHAR(8) CHARACTER SET latin1", false,
      { "X'E9'", "'ab'", "X'00FF'", "''" } },
    { "CHAR(4) CHARACTER SET ascii", "CHAR(4) CHARACTER SET utf8mb4", true,
      { "'ab'", "'abcd'", "''", "'z'" } },
};
#define NVAR (sizeof g_var / sizeof g_var[0])
#define NPICK 6

/* db rv<k> with table t (id, v <src>, w INT) and a task rv<k>n into rv<k>_n (the caller
 * makes its column v <dst>); swapped columns are blind_spots_pause's. */
static void variant_up(int k, const struct variant *v)
{
    char toml[4096], msg[2048], db[16], name[16], ts[16];
    snprintf(db, sizeof db, "rv%d", k);
    snprintf(name, sizeof name, "rv%dn", k);
    snprintf(ts, sizeof ts, "rv%d_n", k);
    sql(g_src, "CREATE DATABASE %s", db);
    sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY, v %s, w INT)", db, v->src);
    rt_task_toml(toml, sizeof toml, name, ts, false, db);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    snprintf(msg, sizeof msg, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
             "TABLE_SCHEMA='%s' AND TABLE_NAME='t'", ts);
    ck_assert(wait_value(g_dst, msg, "1", 30000));
}

START_TEST(random_variants)
{
    const char *env = getenv("DMGW_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL), rng;
    size_t pick[NPICK];
    char q[512], name[16], msg[2048], v[64];
    int k, r;
    fprintf(stderr, "random_variants: DMGW_SEED=%llu\n", (unsigned long long)seed);
    rng = seed;
    for (k = 0; k < NPICK; k++)
        pick[k] = (size_t)(tu_splitmix64(&rng) % NVAR);
    for (k = 0; k < NPICK; k++) {
        variant_up(k, &g_var[pick[k]]);
        sql(g_dst, "ALTER TABLE rv%d_n.t MODIFY v %s", k, g_var[pick[k]].dst);
    }
    for (k = 0; k < NPICK; k++) {
        char db[16];
        snprintf(db, sizeof db, "rv%d", k);
        past_definition(db);
    }
    for (k = 0; k < NPICK; k++)
        for (r = 0; r < 4; r++)
            sqli(r % 2 ? "MINIMAL" : "FULL", "INSERT INTO rv%d.t VALUES (%d, %s, %d)", k, r,
                 g_var[pick[k]].vals[tu_splitmix64(&rng) % 4], r);
    for (k = 0; k < NPICK; k++) {
        const struct variant *var = &g_var[pick[k]];
        snprintf(name, sizeof name, "rv%dn", k);
        if (var->fits) {
            char qs[256], qt[256];
            snprintf(qs, sizeof qs, "SELECT GROUP_CONCAT(id,':',HEX(v),':',w ORDER BY id) FROM "
                     "rv%d.t", k);
            snprintf(qt, sizeof qt, "SELECT GROUP_CONCAT(id,':',HEX(v),':',w ORDER BY id) FROM "
                     "rv%d_n.t", k);
            if (strstr(var->dst, "CHARACTER SET")) {   /* the characters, converted */
                snprintf(qs, sizeof qs, "SELECT GROUP_CONCAT(id,':',HEX(CONVERT(v USING "
                         "utf8mb4)),':',w ORDER BY id) FROM rv%d.t", k);
                snprintf(qt, sizeof qt, "SELECT GROUP_CONCAT(id,':',HEX(CONVERT(v USING "
                         "utf8mb4)),':',w ORDER BY id) FROM rv%d_n.t", k);
            }
            if (strstr(var->src, "INT") || strstr(var->src, "DECIMAL")) {
                snprintf(qs, sizeof qs, "SELECT GROUP_CONCAT(id,':',v,':',w ORDER BY id) FROM "
                         "rv%d.t", k);
                snprintf(qt, sizeof qt, "SELECT GROUP_CONCAT(id,':',v,':',w ORDER BY id) FROM "
                         "rv%d_n.t", k);
            }
            ck_assert_msg(converge(qs, qt, 30000), "%s -> %s differs", var->src, var->dst);
            assert_running(name);
            continue;
        }
        long long end = tu_now_ms() + 30000;
        while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "code=36059") && (strstr(msg, "cannot hold source column") ||
                                                    strstr(msg, "cannot be converted exactly")),
                      "%s -> %s: %s", var->src, var->dst, msg);
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM rv%d_n.t", k);
        value(g_dst, q, v, sizeof v);
        ck_assert_msg(strcmp(v, "0") == 0, "%s -> %s: %s rows applied", var->src, var->dst, v);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_srcdef");
    TCase *tc = tcase_create("srcdef");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, wider_targets_apply);
    tcase_add_test(tc, source_altered_later);
    tcase_add_test(tc, database_charset_at_create);
    tcase_add_test(tc, blind_spots_pause);
    tcase_add_test(tc, random_variants);
    tcase_add_test(tc, charset_conversions);
    tcase_add_test(tc, charset_unrepresentable);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_sync_srcmeta2.c - the source column check's blind spots closed in session 11
 * (applier_collpf.c, applier_srcdef.c, rowdec.c) with real MariaDB, normal mode (task
 * <db>n -> <db>_n) and safe mode (<db>s -> <db>_s):
 *  - key_collation_charsets: a unique key column whose target collation, in another
 *    charset, folds two values the source's keeps apart - latin1_swedish_ci 'A'/'Ä' into
 *    utf8mb4_general_ci, cp1251_general_ci 'Г'/'Ѓ' into utf8mb4_general_ci, latin1 into
 *    utf8mb4_unicode_ci -: the previous worker let the pair through (safe mode's REPLACE
 *    kept one row of two, Running; normal mode stopped at Error 1062). Pairs the target
 *    server proves (ascii_general_ci / greek_general_ci into utf8mb4_general_ci,
 *    latin1_swedish_ci into latin1_general_ci, which the previous worker paused) apply;
 *  - enum_members_charsets: binlog_row_metadata=FULL's ENUM/SET members in latin1 (or
 *    UTF-8) with non-ASCII bytes against the target's: the previous worker skipped them
 *    (no definition for rows older than it) and wrote 'thé' for 'café' into a target
 *    ENUM('thé','café');
 *  - gen_unique_safe_mode: session 10's generated-unique-key ordering bug, safe mode's
 *    variant reproduced (rows lost silently on the code before that fix);
 *  - same_second_lookahead: rows in the second of their table's CREATE where the binlog
 *    after them continues in a later file or holds more than 20000 events;
 *  - proven_pairs_hold: the collation pairs documented as proven, checked exhaustively
 *    over short strings on the server;
 *  - extra_unique_keys: a target UNIQUE key the source's keys do not imply (safe mode's
 *    REPLACE deleted the other row silently). */
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

/* Source db.t and both targets hold the same rows over expression cols (order by ord). */
static void pair_converge(const char *db, const char *cols, const char *ord)
{
    char qs[1024], qt[1024];
    int k;
    snprintf(qs, sizeof qs, "SELECT GROUP_CONCAT(%s ORDER BY %s) FROM %s.t", cols, ord, db);
    for (k = 0; k < 2; k++) {
        snprintf(qt, sizeof qt, "SELECT GROUP_CONCAT(%s ORDER BY %s) FROM %s_%s.t", cols, ord,
                 db, k ? "s" : "n");
        ck_assert_msg(converge(qs, qt, 30000), "%s differs from %s", qt, qs);
    }
}

START_TEST(key_collation_charsets)
{
    pair_table("ks", "k VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci PRIMARY KEY, "
                     "v INT", "MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE "
                     "utf8mb4_general_ci");
    pair_table("kr", "id INT PRIMARY KEY, k VARCHAR(10) CHARACTER SET cp1251 COLLATE "
                     "cp1251_general_ci, v INT, UNIQUE KEY (k)",
               "MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
    pair_table("ku", "k VARCHAR(10) CHARACTER SET latin1 PRIMARY KEY, v INT",
               "MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    /* proven by the target server: apply */
    pair_table("ka", "k VARCHAR(10) CHARACTER SET ascii PRIMARY KEY, v INT",
               "MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
    pair_table("kg", "k VARCHAR(10) CHARACTER SET greek PRIMARY KEY, v INT",
               "MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
    pair_table("kl", "k VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci PRIMARY KEY, "
                     "v INT", "MODIFY k VARCHAR(10) CHARACTER SET latin1 COLLATE "
                     "latin1_general_ci");
    /* NO_LOG: the source definition's collation */
    sqli("FULL", "INSERT INTO ks.t VALUES ('A',1),('\xc3\x84',2)");
    sqli("FULL", "INSERT INTO ku.t VALUES ('a',1)");
    sqli("FULL", "INSERT INTO ka.t VALUES ('a',1),('B',2); UPDATE ka.t SET v=v+10 WHERE k='A'; "
                 "UPDATE ka.t SET k='b2' WHERE k='b'; DELETE FROM ka.t WHERE k='X'");
    sqli("FULL", "INSERT INTO kl.t VALUES ('A',1),('\xc3\x84',2),('b',3); "
                 "UPDATE kl.t SET v=v+10 WHERE k='a'; DELETE FROM kl.t WHERE k='B'");
    /* MINIMAL: the TABLE_MAP's collation, rows older than the definition read */
    sql(g_src, "SET GLOBAL binlog_row_metadata=MINIMAL");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO kr.t VALUES "
                 "(1,'\xd0\x93',1),(2,'\xd0\x83',2)");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO kg.t VALUES "
                 "('\xce\xb1',1),('\xce\xa9',2); UPDATE kg.t SET v=v+10 WHERE k='\xce\x91'; "
                 "UPDATE kg.t SET k='\xcf\x89\xcf\x89' WHERE k='\xcf\x89'");
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    pair_paused("ks", "compared as utf8mb4_general_ci there but as latin1_swedish_ci in the "
                "source", "the target server finds source bytes 0x41 and 0xC4 one value");
    pair_paused("kr", "compared as utf8mb4_general_ci there but as cp1251_general_ci",
                "a UNIQUE key of the target");
    pair_paused("ku", "compared as utf8mb4_unicode_ci there but as latin1_swedish_ci",
                "PRIMARY KEY of the target");
    pair_count("ks", "0");
    pair_count("kr", "0");
    pair_count("ku", "0");
    pair_converge("ka", "HEX(k),':',v", "HEX(k)");
    pair_converge("kg", "HEX(CONVERT(k USING utf8mb4)),':',v", "HEX(CONVERT(k USING utf8mb4))");
    pair_converge("kl", "HEX(k),':',v", "HEX(k)");
    pair_running("ka");
    pair_running("kg");
    pair_running("kl");
    /* the operator gives the target a _bin collation and resumes: exact */
    {
        char msg[2048], name[8];
        int k;
        for (k = 0; k < 2; k++) {
            sql(g_dst, "ALTER TABLE ks_%s.t MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 "
                "COLLATE utf8mb4_bin", k ? "s" : "n");
            snprintf(name, sizeof name, "ks%s", k ? "s" : "n");
            ck_assert_msg(operate(name, PB__TASK_OP__Resume, msg, sizeof msg), "%s", msg);
        }
        pair_converge("ks", "HEX(CONVERT(k USING utf8mb4)),':',v",
                      "HEX(CONVERT(k USING utf8mb4))");
    }
}
END_TEST

START_TEST(enum_members_charsets)
{
    /* latin1 members into utf8mb4 ones: the same members (fits), reordered (pauses) */
    pair_table("ec", "id INT PRIMARY KEY, e ENUM('caf\xc3\xa9','th\xc3\xa9') CHARACTER SET latin1,"
                     " s SET('\xc3\xa0','b') CHARACTER SET latin1",
               "MODIFY e ENUM('caf\xc3\xa9','th\xc3\xa9','z') CHARACTER SET utf8mb4, "
               "MODIFY s SET('\xc3\xa0','b') CHARACTER SET utf8mb4");
    pair_table("er", "id INT PRIMARY KEY, e ENUM('caf\xc3\xa9','th\xc3\xa9') CHARACTER SET latin1",
               "MODIFY e ENUM('th\xc3\xa9','caf\xc3\xa9') CHARACTER SET utf8mb4");
    /* latin1 into latin1, one member changed ('thé' -> 'the') */
    pair_table("el", "id INT PRIMARY KEY, e ENUM('caf\xc3\xa9','th\xc3\xa9') CHARACTER SET latin1",
               "MODIFY e ENUM('caf\xc3\xa9','the') CHARACTER SET latin1");
    /* utf8mb4 members reordered */
    pair_table("eu", "id INT PRIMARY KEY, e ENUM('\xe4\xb8\xad','\xe6\x96\x87') CHARACTER SET utf8mb4",
               "MODIFY e ENUM('\xe6\x96\x87','\xe4\xb8\xad') CHARACTER SET utf8mb4");
    sql(g_src, "SET GLOBAL binlog_row_metadata=FULL");
    /* dated before the definition read: the TABLE_MAP's members are the rows' own */
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO ec.t VALUES "
                 "(1,'caf\xc3\xa9','\xc3\xa0'),(2,'th\xc3\xa9','\xc3\xa0,b'); "
                 "UPDATE ec.t SET e='caf\xc3\xa9' WHERE id=2");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO er.t VALUES (1,'caf\xc3\xa9')");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO el.t VALUES (1,'caf\xc3\xa9')");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO eu.t VALUES (1,'\xe4\xb8\xad')");
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    pair_paused("er", "in the source, enum('th\xc3\xa9','caf\xc3\xa9') on the target",
                "enum('caf\xc3\xa9','th\xc3\xa9')");
    pair_paused("el", "enum('caf\xc3\xa9','th\xc3\xa9') in the source, enum('caf\xc3\xa9','the')",
                "target column `e` of `el_");
    pair_paused("eu", "enum('\xe4\xb8\xad','\xe6\x96\x87') in the source",
                "target column `e` of `eu_");
    pair_count("er", "0");
    pair_count("el", "0");
    pair_count("eu", "0");
    pair_converge("ec", "id,':',HEX(CONVERT(e USING utf8mb4)),':',HEX(CONVERT(s USING utf8mb4))",
                  "id");
    pair_running("ec");
}
END_TEST

/* A unique key over a generated column (session 10's ordering fix, applier_dml.c
 * gen_unique), safe mode: an UPDATE of a base column frees generated value k, an INSERT
 * of another row takes it. Without the table as a causality key the INSERT's REPLACE
 * could run first in another queue, delete the updated row by its old generated value,
 * and the row's MINIMAL-image UPDATE (it cannot be a REPLACE) then matched nothing:
 * a row lost, the task Running. Forty such pairs in one transaction. */
START_TEST(gen_unique_safe_mode)
{
    char q[16384];
    size_t o;
    int k;
    pair_table("gu", "id INT PRIMARY KEY, a INT, s INT AS (a) STORED, v INT, UNIQUE KEY (s)",
               NULL);
    o = (size_t)snprintf(q, sizeof q, "INSERT INTO gu.t (id,a,v) VALUES (0,0,0)");
    for (k = 1; k <= 40; k++)
        o += (size_t)snprintf(q + o, sizeof q - o, ",(%d,%d,%d)", k, k, k);
    sqli("FULL", "%s", q);
    o = (size_t)snprintf(q, sizeof q, "BEGIN");
    for (k = 1; k <= 40; k++)
        o += (size_t)snprintf(q + o, sizeof q - o, "; UPDATE gu.t SET a=a+1000 WHERE id=%d; "
                              "INSERT INTO gu.t (id,a,v) VALUES (%d,%d,%d)", k, k + 500, k, k);
    snprintf(q + o, sizeof q - o, "; COMMIT");
    sqli("MINIMAL", "%s", q);
    /* safe mode first: the variant that lost rows silently */
    ck_assert_msg(converge("SELECT GROUP_CONCAT(id,':',a,':',s,':',v ORDER BY id) FROM gu.t",
                           "SELECT GROUP_CONCAT(id,':',a,':',s,':',v ORDER BY id) FROM gu_s.t",
                           30000), "gu_s differs from gu");
    assert_running("gus");
    pair_converge("gu", "id,':',a,':',s,':',v", "id");
    pair_running("gu");
    pair_count("gu", "81");
}
END_TEST

/* CREATE_TIME (UNIX seconds) of source table db.t. */
static long long ctime_of(const char *db)
{
    char q[256], v[64];
    snprintf(q, sizeof q, "SELECT UNIX_TIMESTAMP(CREATE_TIME) FROM information_schema.TABLES "
             "WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='t'", db);
    value(g_src, q, v, sizeof v);
    return strtoll(v, NULL, 10);
}

/* Target tables db_n/db_s.t made before the task, with columns cols. */
static void precreate(const char *db, const char *cols)
{
    int k;
    sql(g_src, "CREATE DATABASE %s", db);
    for (k = 0; k < 2; k++) {
        sql(g_dst, "CREATE DATABASE IF NOT EXISTS %s_%s", db, k ? "s" : "n");
        sql(g_dst, "CREATE TABLE %s_%s.t (%s)", db, k ? "s" : "n", cols);
    }
}

/* NO_LOG rows in the second of their table's CREATE, into target tables made before the
 * task (not by its CREATE), where the look-ahead over the source's binlog after the rows
 * could not tell on the previous worker (the rows were applied unchecked):
 *  - sf / sg: the binlog continues in a later file (FLUSH BINARY LOGS): read through it to
 *    the end now. sf's target has two INT columns swapped: pauses; sg (an ALTER, then the
 *    rows, in one second) fits: applies;
 *  - su / sv: more than 20000 events follow (a procedure inserting 10001 rows into
 *    another table in one transaction): the definition read in the rows' second is used
 *    for the check (named as not certain); su (swapped) pauses, sv (as the source) applies. */
START_TEST(same_second_lookahead)
{
    precreate("sf", "id INT PRIMARY KEY, b INT, a INT");
    precreate("sg", "id INT PRIMARY KEY, a INT, b INT, c INT");
    precreate("su", "id INT PRIMARY KEY, b INT, a INT");
    precreate("sv", "id INT PRIMARY KEY, a INT, b INT");
    sql(g_src, "CREATE DATABASE fill");
    sql(g_src, "CREATE TABLE fill.f (i INT PRIMARY KEY)");
    sql(g_src, "CREATE PROCEDURE fill.p() BEGIN DECLARE i INT DEFAULT 0; WHILE i < 10001 DO "
               "INSERT INTO fill.f VALUES (i); SET i = i + 1; END WHILE; END");
    sql(g_src, "CREATE TABLE su.t (id INT PRIMARY KEY, a INT, b INT)");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO su.t VALUES (1,2,3)", ctime_of("su"));
    sql(g_src, "CREATE TABLE sv.t (id INT PRIMARY KEY, a INT, b INT)");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO sv.t VALUES (1,2,3)", ctime_of("sv"));
    sqli("FULL", "BEGIN; CALL fill.p(); COMMIT");
    sql(g_src, "CREATE TABLE sf.t (id INT PRIMARY KEY, a INT, b INT)");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO sf.t VALUES (1,2,3)", ctime_of("sf"));
    sql(g_src, "CREATE TABLE sg.t (id INT PRIMARY KEY, a INT, b INT)");
    sql(g_src, "ALTER TABLE sg.t ADD c INT");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO sg.t VALUES (1,2,3,4)", ctime_of("sg"));
    sql(g_src, "FLUSH BINARY LOGS");
    sql(g_src, "INSERT INTO fill.f VALUES (-1)");
    pair_up("sf");
    pair_up("sg");
    pair_up("su");
    pair_up("sv");
    pair_paused("sf", "its column 2 is `a` in the source table, which is column `b`'s position",
                "definition of the rows' own second: its binlog has no later statement");
    pair_paused("su", "its column 2 is `a` in the source table, which is column `b`'s position",
                "could have replaced: more than 20000 events follow");
    pair_count("sf", "0");
    pair_count("su", "0");
    pair_converge("sg", "id,':',a,':',b,':',c", "id");
    pair_converge("sv", "id,':',a,':',b", "id");
    pair_running("sg");
    pair_running("sv");
}
END_TEST

/* A target UNIQUE key no key of the source implies: an extra UNIQUE (x), a prefix
 * UNIQUE (k(2)) where the source's is whole. Normal mode stopped at Error 1062; safe
 * mode's REPLACE deleted the other row, Running (one row of two, silently). Weaker or
 * implied target keys apply: a source key missing on the target, UNIQUE (a, b) over the
 * source's UNIQUE (a), a prefix as long as the source's. */
START_TEST(extra_unique_keys)
{
    pair_table("xu", "id INT PRIMARY KEY, x INT, v INT", "ADD UNIQUE KEY (x)");
    pair_table("xp", "id INT PRIMARY KEY, k VARCHAR(10), UNIQUE KEY (k)",
               "DROP KEY k, ADD UNIQUE KEY (k(2))");
    pair_table("xo", "id INT PRIMARY KEY, a INT, b INT, k VARCHAR(10), UNIQUE KEY (a), "
                     "UNIQUE KEY (b), UNIQUE KEY (k(3))",
               "DROP KEY a, ADD UNIQUE KEY (a, b), DROP KEY b, DROP KEY k, "
               "ADD UNIQUE KEY (k(3))");
    sqli("FULL", "INSERT INTO xu.t VALUES (1,5,1),(2,5,2)");
    sqli("FULL", "INSERT INTO xp.t VALUES (1,'abc'),(2,'abd')");
    sqli("FULL", "INSERT INTO xo.t VALUES (1,1,1,'abcd'),(2,2,2,'abd'); "
                 "UPDATE xo.t SET b=3 WHERE id=1; DELETE FROM xo.t WHERE id=2; "
                 "INSERT INTO xo.t VALUES (3,2,2,'abd')");
    pair_paused("xu", "target table `xu_", "its UNIQUE key over `x` is implied by no "
                "PRIMARY/UNIQUE key of the source table");
    pair_paused("xp", "its UNIQUE key over `k` (a prefix) is implied by no", "`xp_");
    pair_count("xu", "0");
    pair_count("xp", "0");
    pair_converge("xo", "id,':',a,':',b,':',k", "id");
    pair_running("xo");
}
END_TEST

/* The pairs docs/worker.md lists as proven (applier_collpf.c) hold for every string of
 * one or two characters of the source charset, and with a leading or trailing space: no
 * two of them the source collation tells apart are one value under the target's (GROUP
 * BY the converted value, COUNT(DISTINCT) under the source collation); the refused
 * latin1_swedish_ci into utf8mb4_general_ci has such groups. The server, not a model. */
START_TEST(proven_pairs_hold)
{
    static const char *const pairs[][4] = {
        { "latin1", "latin1_swedish_ci", "latin1", "latin1_general_ci" },
        { "greek", "greek_general_ci", "utf8mb4", "utf8mb4_general_ci" },
        { "ascii", "ascii_general_ci", "utf8mb4", "utf8mb4_general_ci" },
        { "hebrew", "hebrew_general_ci", "utf8mb4", "utf8mb4_general_ci" },
        { "macce", "macce_general_ci", "utf8mb4", "utf8mb4_general_ci" },
        { "cp1257", "cp1257_general_ci", "utf8mb4", "utf8mb4_general_ci" },
        { "geostd8", "geostd8_general_ci", "utf8mb4", "utf8mb4_general_ci" },
        { "latin1", "latin1_swedish_ci", "utf8mb4", "utf8mb4_general_ci" },   /* refused */
    };
    char q[2048], v[64];
    size_t k;
    for (k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        snprintf(q, sizeof q,
                 "WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM b WHERE n<255), "
                 "s AS (SELECT CONVERT(UNHEX(LPAD(HEX(n),2,'0')) USING %s) COLLATE %s AS c "
                 "FROM b), v AS (SELECT c FROM s WHERE BINARY CONVERT(CONVERT(c USING %s) "
                 "USING %s) = BINARY c), str AS (SELECT c AS x FROM v UNION ALL SELECT "
                 "CONCAT(a.c,b2.c) FROM v a JOIN v b2 UNION ALL SELECT CONCAT(c,' ') FROM v "
                 "UNION ALL SELECT CONCAT(' ',c) FROM v), w AS (SELECT x, CONVERT(x USING %s) "
                 "COLLATE %s AS t FROM str) SELECT COUNT(*) FROM (SELECT t FROM w GROUP BY t "
                 "HAVING COUNT(DISTINCT x) > 1) g",
                 pairs[k][0], pairs[k][1], pairs[k][2], pairs[k][0], pairs[k][2], pairs[k][3]);
        value(g_dst, q, v, sizeof v);
        if (k + 1 < sizeof pairs / sizeof pairs[0])
            ck_assert_msg(strcmp(v, "0") == 0, "%s into %s: %s groups", pairs[k][1],
                          pairs[k][3], v);
        else
            ck_assert_msg(strcmp(v, "0") != 0, "%s into %s folds nothing", pairs[k][1],
                          pairs[k][3]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_srcmeta2");
    TCase *tc = tcase_create("srcmeta2");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, key_collation_charsets);
    tcase_add_test(tc, enum_members_charsets);
    tcase_add_test(tc, gen_unique_safe_mode);
    tcase_add_test(tc, same_second_lookahead);
    tcase_add_test(tc, proven_pairs_hold);
    tcase_add_test(tc, extra_unique_keys);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

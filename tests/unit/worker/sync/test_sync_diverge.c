/* test_sync_diverge.c - silent divergences found by probing the Sync unit as an
 * adversarial user (after issue 12), each with real MariaDB in normal mode (task norm ->
 * rt_n) and safe mode (task safe -> rt_s), compared with HEX() of every column:
 *  - fixed-length binary values whose trailing 0x00 bytes the binlog strips (BINARY(n),
 *    INET6, UUID, INET4), as keys and in key-less tables;
 *  - AUTO_INCREMENT 0 stored by a NO_AUTO_VALUE_ON_ZERO source session;
 *  - key-less rows that equal others under the collation ('a'/'A', 'e'/'é', 'a'/'a ');
 *  - key-less rows whose FLOAT values the target holds as a dump tool loaded them (6
 *    significant digits) are found; two such rows equal in 6 digits pause, as does none;
 *  - DDL in the source session's context (timestamp, time zone, charset, sql_mode,
 *    explicit_defaults_for_timestamp);
 *  - FOREIGN KEY ON DELETE/UPDATE CASCADE and SET NULL (InnoDB does not binlog the
 *    child rows it changes);
 *  - row changes on unique values equal under the collation ('É'/'e', 'E '/'e') or in
 *    their prefix (UNIQUE KEY (c(4))) applied in order by several connections;
 *  - XA ROLLBACK of a prepared transaction pauses (its rows were applied at PREPARE);
 *  - ROLLBACK TO SAVEPOINT in the binlog (a transaction that also changed a MyISAM
 *    table) pauses; the SAVEPOINTs MariaDB logs without it do not;
 *  - rows of a system-versioned table pause (safe mode replaced the current row by the
 *    history row the binlog holds);
 *  - ALTER TABLE adding an AUTO_INCREMENT column, ALTER IGNORE TABLE adding a unique key,
 *    to a key-less table with rows pause (each server numbers / keeps the rows in its own
 *    insertion order);
 *  - RENAME TABLE of a replicated table to a name the task does not replicate pauses;
 *  - DDL written as SET STATEMENT var=v FOR <DDL> (was skipped as a SET statement);
 *  - a target table whose columns do not fit the binlog's by position (swapped, retyped,
 *    fewer DECIMAL / fractional digits) or that has triggers pauses;
 *  - a REPLACE rewriting a row in place under a MINIMAL / NOBLOB image pauses;
 *  - the ENUM value '' (index 0) of a non-strict source session into a strict target;
 *  - LOAD DATA logged as a statement pauses naming the cause (last: it stops every task);
 *  - a target with lower_case_table_names=1 and sql_mode TRADITIONAL (own sandboxes, tcase
 *    lower_case_target): zero dates of a non-strict source apply; source tables whose
 *    names differ only in letter case pause instead of mixing;
 *  - types and statements that replicate exactly (INVISIBLE and generated columns in
 *    keys under MINIMAL images, spatial, JSON, FLOAT/DOUBLE extremes and -0, DECIMAL
 *    edges, negative/fractional TIME, zero dates, temporary tables, RENAME swap,
 *    multi-table UPDATE/DELETE, EXCHANGE PARTITION, odd names, sequence rows).
 * The tests run in order, sharing sandboxes, worker and tasks; the pausing ones use task
 * pairs of their own (pair_up), except the XA one, which pauses both and comes last. */
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

START_TEST(fixed_binary_padding)
{
    sql(g_src, "CREATE TABLE rt.bp (k BINARY(4) PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE rt.bk (k BINARY(4), v INT)");
    sql(g_src, "CREATE TABLE rt.nt (id INT PRIMARY KEY, i6 INET6, u UUID, i4 INET4)");
    sql(g_src, "CREATE TABLE rt.n6 (i6 INET6 PRIMARY KEY, v INT)");
    sqli("FULL", "INSERT INTO rt.bp VALUES (0x61,1),(0x6200,2),(0x63000001,3),(0x00,4);"
                 "INSERT INTO rt.bk VALUES (0x61,1),(0x6200,2),(0x00,4);"
                 "INSERT INTO rt.nt VALUES (1,'::','00000000-0000-0000-0000-000000000000',"
                 "'0.0.0.0'),(2,'2001:db8::ff00:42:8300','123e4567-e89b-12d3-a456-426614174000',"
                 "'192.168.1.0');"
                 "INSERT INTO rt.n6 VALUES ('::',1),('::1',2),('1::',3)");
    sqli("FULL", "UPDATE rt.bp SET v=v+10; UPDATE rt.bk SET v=v+10; DELETE FROM rt.bp WHERE "
                 "k=0x62000000; DELETE FROM rt.bk WHERE v=11; UPDATE rt.nt SET i6='::1' WHERE id=1;"
                 "UPDATE rt.n6 SET v=v+1; DELETE FROM rt.n6 WHERE i6='::'");
    ck_assert_int_eq(rt_converge("bp", "HEX(k),v"), 3);
    ck_assert_int_eq(rt_converge("bk", "HEX(k),v"), 2);
    ck_assert_int_eq(rt_converge("nt", "id,HEX(i6),HEX(u),HEX(i4)"), 2);
    ck_assert_int_eq(rt_converge("n6", "HEX(i6),v"), 2);
    both_eq("SELECT GROUP_CONCAT(HEX(k),':',v ORDER BY k) FROM %s.bp",
            "00000000:14,61000000:11,63000001:13");
    both_eq("SELECT GROUP_CONCAT(HEX(k),':',v ORDER BY k) FROM %s.bk", "00000000:14,62000000:12");
    both_eq("SELECT CONCAT(u,'/',i4) FROM %s.nt WHERE id=2",
            "123e4567-e89b-12d3-a456-426614174000/192.168.1.0");
    both_eq("SELECT GROUP_CONCAT(i6,':',v ORDER BY i6) FROM %s.n6", "::1:3,1:::4");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(auto_increment_zero)
{
    sql(g_src, "CREATE TABLE rt.ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
    sqli("FULL", "INSERT INTO rt.ai (v) VALUES (1),(2); SET sql_mode='NO_AUTO_VALUE_ON_ZERO';"
                 "INSERT INTO rt.ai VALUES (0,100)");
    ck_assert_int_eq(rt_converge("ai", "id,v"), 3);
    both_eq("SELECT v FROM %s.ai WHERE id=0", "100");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(keyless_collation_equal_rows)
{
    sql(g_src, "CREATE TABLE rt.kl (c VARCHAR(10), v INT) DEFAULT CHARSET=utf8mb4");
    sql(g_src, "CREATE TABLE rt.kl1 (c CHAR(4), t TEXT, e ENUM('p','q'), st SET('x','y'), "
               "v INT) DEFAULT CHARSET=latin1");
    sqli("FULL", "INSERT INTO rt.kl VALUES ('a',0),('A',0),('a ',0),('e',0),('é',0);"
                 "INSERT INTO rt.kl1 VALUES ('x','a','q','x,y',0),('X','A','q','x,y',0),"
                 "('x','a ','q','x,y',0)");
    sqli("FULL", "UPDATE rt.kl SET v=1 WHERE c=BINARY 'A'; UPDATE rt.kl SET v=2 WHERE "
                 "c=BINARY 'a '; UPDATE rt.kl SET v=3 WHERE c=BINARY 'é';"
                 "DELETE FROM rt.kl WHERE c=BINARY 'A'; UPDATE rt.kl1 SET v=5 WHERE "
                 "t=BINARY 'a '; UPDATE rt.kl1 SET v=6 WHERE c=BINARY 'X'; DELETE FROM rt.kl1 "
                 "WHERE t=BINARY 'A'");
    ck_assert_int_eq(rt_converge("kl", "HEX(c),v"), 4);
    ck_assert_int_eq(rt_converge("kl1", "HEX(c),HEX(t),e,st,v"), 2);
    both_eq("SELECT GROUP_CONCAT(HEX(c),':',v ORDER BY HEX(c)) FROM %s.kl",
            "61:0,6120:2,65:0,C3A9:3");
    both_eq("SELECT GROUP_CONCAT(HEX(c),HEX(t),':',v ORDER BY HEX(c),HEX(t)) FROM %s.kl1",
            "7861:0,786120:5");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(ddl_in_source_session)
{
    sql(g_src, "CREATE TABLE rt.dz (id INT PRIMARY KEY, v INT) DEFAULT CHARSET=latin1");
    sqli("FULL", "INSERT INTO rt.dz VALUES (1,1),(2,2)");
    sqli("FULL", "SET time_zone='+08:00'; ALTER TABLE rt.dz ADD COLUMN ts TIMESTAMP NOT NULL "
                 "DEFAULT '2020-01-01 00:00:00'; SET time_zone='+00:00';"
                 "SET TIMESTAMP=1000000000.25; ALTER TABLE rt.dz ADD COLUMN dt DATETIME(2) NOT "
                 "NULL DEFAULT CURRENT_TIMESTAMP(2); SET TIMESTAMP=DEFAULT;"
                 "SET NAMES latin1; ALTER TABLE rt.dz ADD COLUMN c VARCHAR(10) DEFAULT '\xe9';"
                 "SET NAMES utf8mb4; SET sql_mode='PIPES_AS_CONCAT'; ALTER TABLE rt.dz ADD "
                 "COLUMN d VARCHAR(10) DEFAULT ('a' || 'b')");
    sqli("MINIMAL", "INSERT INTO rt.dz (id, v) VALUES (3,3)");
    ck_assert_int_eq(rt_converge("dz", "id,v,ts,dt,HEX(c),d"), 3);
    both_eq("SELECT CONCAT(UNIX_TIMESTAMP(ts),'/',dt,'/',HEX(c),'/',d) FROM %s.dz WHERE id=1",
            "1577808000/2001-09-09 01:46:40.25/E9/ab");
    both_eq("SELECT CONCAT(HEX(c),'/',d) FROM %s.dz WHERE id=3", "E9/ab");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* explicit_defaults_for_timestamp of the source session (QUERY flags2): with 0, a bare
 * TIMESTAMP column is NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE ... (the first) or
 * DEFAULT '0000-00-00'; the target's session default (1) made them NULL DEFAULT NULL. */
START_TEST(explicit_defaults_for_timestamp)
{
    sqli("FULL", "SET explicit_defaults_for_timestamp=0; CREATE TABLE rt.edt (id INT PRIMARY "
                 "KEY, ts TIMESTAMP, ts2 TIMESTAMP); SET explicit_defaults_for_timestamp=1;"
                 "ALTER TABLE rt.edt ADD COLUMN ts3 TIMESTAMP");
    sqli("MINIMAL", "INSERT INTO rt.edt (id) VALUES (1)");
    ck_assert_int_eq(rt_converge("edt", "id,UNIX_TIMESTAMP(ts),ts2,IFNULL(ts3,'N')"), 1);
    both_eq("SELECT CONCAT(IS_NULLABLE,COLUMN_DEFAULT,EXTRA) FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='edt' AND COLUMN_NAME='ts'",
            "NOcurrent_timestamp()on update current_timestamp()");
    both_eq("SELECT CONCAT(ts2,'/',IFNULL(ts3,'N')) FROM %s.edt", "0000-00-00 00:00:00/N");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(foreign_key_actions)
{
    sql(g_src, "CREATE TABLE rt.par (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE rt.chi (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES "
               "rt.par(id) ON DELETE CASCADE ON UPDATE CASCADE)");
    sql(g_src, "CREATE TABLE rt.chn (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES "
               "rt.par(id) ON DELETE SET NULL)");
    sqli("FULL", "INSERT INTO rt.par VALUES (1,1),(2,2),(3,3),(4,4);"
                 "INSERT INTO rt.chi VALUES (10,1),(11,1),(12,2),(13,4);"
                 "INSERT INTO rt.chn VALUES (20,1),(21,3)");
    sqli("FULL", "DELETE FROM rt.par WHERE id=1; UPDATE rt.par SET id=5 WHERE id=2;"
                 "UPDATE rt.par SET v=40 WHERE id=4");
    sqli("MINIMAL", "UPDATE rt.par SET id=6 WHERE id=5");
    ck_assert_int_eq(rt_converge("par", "id,v"), 3);
    ck_assert_int_eq(rt_converge("chi", "id,IFNULL(pid,'N')"), 2);
    ck_assert_int_eq(rt_converge("chn", "id,IFNULL(pid,'N')"), 2);
    both_eq("SELECT GROUP_CONCAT(id,':',pid ORDER BY id) FROM %s.chi", "12:6,13:4");
    both_eq("SELECT GROUP_CONCAT(id,':',IFNULL(pid,'N') ORDER BY id) FROM %s.chn", "20:N,21:3");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* Rows of rounds 1..n: row 1000+k takes unique value old(k) (<prefix><k as %04d><suffix>
 * of the pair old[k % nold]), is deleted, then row k takes new(k) (likewise newfix), equal to old(k) under the index (collation / prefix). The INSERT of row k must
 * not run before the earlier row's REPLACE/INSERT: safe mode's REPLACE of row 1000+k would
 * remove row k (lost silently), normal mode would fail with a duplicate key. */
static void collation_rounds(const char *table, const char *const (*old)[2], size_t nold,
                             const char *const newfix[2], int n)
{
    MYSQL *m = session("FULL");
    char q[256];
    int k;
    ck_assert_int_eq(mysql_query(m, "BEGIN"), 0);
    for (k = 1; k <= n; k++) {
        char v[64];
        snprintf(v, sizeof v, "%s%04d%s", old[(size_t)k % nold][0], k, old[(size_t)k % nold][1]);
        snprintf(q, sizeof q, "INSERT INTO rt.%s VALUES (%d,'%s',0)", table, 1000 + k, v);
        ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
        snprintf(q, sizeof q, "DELETE FROM rt.%s WHERE id=%d", table, 1000 + k);
        ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
        snprintf(v, sizeof v, "%s%04d%s", newfix[0], k, newfix[1]);
        snprintf(q, sizeof q, "INSERT INTO rt.%s VALUES (%d,'%s',1)", table, k, v);
        ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
        if (k % 50 == 0) {
            ck_assert_int_eq(mysql_query(m, "COMMIT"), 0);
            ck_assert_int_eq(mysql_query(m, "BEGIN"), 0);
        }
    }
    ck_assert_int_eq(mysql_query(m, "COMMIT"), 0);
    mysql_close(m);
}

START_TEST(collation_equal_unique_keys)
{
    static const char *const ci_old[][2] = { { "\xc3\x89", "" }, { "E", " " },
                                             { "\xc3\xa9", "" }, { "e", "" } };
    static const char *const pre_old[][2] = { { "", "-old" }, { "", "" } };
    static const char *const ci_new[2] = { "e", "" }, *const pre_new[2] = { "", "-new" };
    sql(g_src, "CREATE TABLE rt.cu (id INT PRIMARY KEY, c VARCHAR(20) NOT NULL, v INT, "
               "UNIQUE KEY (c)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
    sql(g_src, "CREATE TABLE rt.pu (id INT PRIMARY KEY, c VARCHAR(20) NOT NULL, v INT, "
               "UNIQUE KEY (c(4))) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    collation_rounds("cu", ci_old, 4, ci_new, 200);
    collation_rounds("pu", pre_old, 2, pre_new, 200);
    ck_assert_int_eq(rt_converge("cu", "id,HEX(c),v"), 200);
    ck_assert_int_eq(rt_converge("pu", "id,HEX(c),v"), 200);
    both_eq("SELECT CONCAT(COUNT(*),':',MIN(id),':',MAX(id),':',SUM(v)) FROM %s.cu",
            "200:1:200:200");
    both_eq("SELECT CONCAT(COUNT(*),':',SUM(c LIKE '%%-new')) FROM %s.pu", "200:200");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* SET STATEMENT ... FOR <DDL> was skipped as a "session variable" statement: the ALTER,
 * the TRUNCATE, the DROP never reached the target. */
START_TEST(set_statement_ddl)
{
    sqli("FULL", "CREATE TABLE rt.ss (id INT PRIMARY KEY); SET STATEMENT lock_wait_timeout=10 "
                 "FOR ALTER TABLE rt.ss ADD COLUMN c INT; INSERT INTO rt.ss VALUES (1,2);"
                 "SET STATEMENT max_statement_time=100, sql_mode='' FOR CREATE TABLE rt.ss2 "
                 "(id INT PRIMARY KEY, s VARCHAR(5) DEFAULT 'a', d DATETIME DEFAULT "
                 "'0000-00-00'); INSERT INTO rt.ss2 (id) VALUES (1); SET STATEMENT "
                 "lock_wait_timeout=5 FOR TRUNCATE TABLE rt.ss2; INSERT INTO rt.ss2 (id,s) "
                 "VALUES (2,'b'); CREATE TABLE rt.ss3 (id INT); SET STATEMENT "
                 "foreign_key_checks=0 FOR DROP TABLE rt.ss3");
    ck_assert_int_eq(rt_converge("ss", "id,c"), 1);
    ck_assert_int_eq(rt_converge("ss2", "id,s,d"), 1);
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA IN ('rt_n','rt_s') AND TABLE_NAME='ss3'", "0", 30000));
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* FLOAT values as mariadb-dump / mydumper load them: the 6 significant digits MariaDB
 * prints (21469.818359375 -> 21469.8 = 21469.80078125). Source rows are written without
 * binlog, the target rows from that text, as after a dump the user loaded. */
static void float_rows_loaded(const char *db, const char *table, const char *src_rows,
                              const char *dst_rows)
{
    int i;
    sqli("FULL", "SET sql_log_bin=0; INSERT INTO %s.%s VALUES %s; SET sql_log_bin=1", db, table,
         src_rows);
    for (i = 0; i < 2; i++)
        sql(g_dst, "INSERT INTO %s_%s.%s VALUES %s", db, i ? "s" : "n", table, dst_rows);
}

/* Key-less rows the target holds with rounded FLOATs: UPDATE/DELETE (normal mode: UPDATE;
 * safe mode: DELETE;REPLACE) find them when no row matches exactly and exactly one matches
 * rounded (a row with one FLOAT rounded and one exact too), and leave the exact values;
 * of two rows the Sync wrote that are equal in 6 digits the exact match changes the right
 * one (the fallback is never tried when a row matches exactly). */
START_TEST(keyless_float_dump_loaded)
{
    sql(g_src, "CREATE TABLE rt.kf (a INT, f FLOAT, g FLOAT, v INT)");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA IN ('rt_n','rt_s') AND TABLE_NAME='kf'", "2", 30000));
    float_rows_loaded("rt", "kf", "(1,21469.818359375,0.5,0),(2,1.2345679,7.654321,0),"
                      "(3,-0.00012345678,NULL,0),(5,21469.818359375,7.654321,0)",
                      "(1,21469.8,0.5,0),(2,1.23457,7.65432,0),(3,-0.000123457,NULL,0),"
                      "(5,21469.8,7.654321,0)");
    sqli("FULL", "INSERT INTO rt.kf VALUES (6,3.14159274,NULL,0),(6,3.1415925,NULL,0)");
    sqli("FULL", "UPDATE rt.kf SET v=1 WHERE a=1; UPDATE rt.kf SET v=2, f=f*2 WHERE a=2;"
                 "DELETE FROM rt.kf WHERE a=3; UPDATE rt.kf SET v=5 WHERE a=5;"
                 "UPDATE rt.kf SET v=6 WHERE a=6 AND f<3.1415926");
    ck_assert_int_eq(rt_converge("kf", "a,CAST(f AS DOUBLE),IFNULL(CAST(g AS DOUBLE),'N'),v"), 5);
    both_eq("SELECT GROUP_CONCAT(a,':',v,':',CAST(f AS DOUBLE) ORDER BY a,v) FROM %s.kf",
            "1:1:21469.818359375,2:2:2.4691357612609863,5:5:21469.818359375,"
            "6:0:3.1415927410125732,6:6:3.141592502593994");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* Both tasks of pair db pause with a key-less error holding want, and the target table
 * <db>_n/_s.t still sums v to 0 (nothing applied to a guessed row). */
static void keyless_float_paused(const char *db, const char *want)
{
    char q[128], v[64];
    int i;
    pair_paused(db, "key-less row not found on the target (0 rows matched, 1 expected; ", want);
    for (i = 0; i < 2; i++) {
        snprintf(q, sizeof q, "SELECT SUM(v) FROM %s_%s.t", db, i ? "s" : "n");
        value(g_dst, q, v, sizeof v);
        ck_assert_msg(strcmp(v, "0") == 0, "%s: %s", q, v);
    }
}

/* Two source rows differing only beyond 6 digits were loaded as two equal target rows:
 * which one the UPDATE means is unknown - pause, never a guess (LIMIT 1 on the rounded
 * match would change either); a row not on the target even rounded pauses too. */
START_TEST(keyless_float_ambiguous_pauses)
{
    const char *db[2] = { "kfa", "kfz" };
    char q[256];
    int i;
    for (i = 0; i < 2; i++) {
        sql(g_src, "CREATE DATABASE %s", db[i]);
        sql(g_src, "CREATE TABLE %s.t (f FLOAT, v INT)", db[i]);
        pair_up(db[i]);
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                 "TABLE_SCHEMA IN ('%s_n','%s_s') AND TABLE_NAME='t'", db[i], db[i]);
        ck_assert(wait_value(g_dst, q, "2", 30000));
    }
    float_rows_loaded("kfa", "t", "(3.14159274,0),(3.1415925,0)", "(3.14159,0),(3.14159,0)");
    float_rows_loaded("kfz", "t", "(3.14159274,0)", "(3.14158,0)");
    sqli("FULL", "UPDATE kfa.t SET v=1 WHERE f<3.1415926; DELETE FROM kfz.t");
    keyless_float_paused("kfa", "2 or more with its FLOAT values rounded to 6 significant "
                                "digits as a dump tool loads them, which one is unknown");
    keyless_float_paused("kfz", "none with its FLOAT values rounded");
}
END_TEST

START_TEST(savepoint_rollback_pauses)
{
    char v[64];
    sql(g_src, "CREATE DATABASE sp");
    sql(g_src, "CREATE TABLE sp.inn (id INT PRIMARY KEY) ENGINE=InnoDB");
    sql(g_src, "CREATE TABLE sp.my (id INT PRIMARY KEY) ENGINE=MyISAM");
    pair_up("sp");
    /* not logged (binlog cache truncated), logged without rows after it, released */
    sqli("FULL", "INSERT INTO sp.inn VALUES (1); BEGIN; INSERT INTO sp.inn VALUES (2); "
                 "SAVEPOINT a; INSERT INTO sp.inn VALUES (3); ROLLBACK TO a; SAVEPOINT `b b`; "
                 "INSERT INTO sp.my VALUES (1); ROLLBACK WORK TO SAVEPOINT `b b`; "
                 "INSERT INTO sp.inn VALUES (6); RELEASE SAVEPOINT `b b`; COMMIT");
    ck_assert(converge("SELECT GROUP_CONCAT(id ORDER BY id) FROM sp.inn",
                       "SELECT GROUP_CONCAT(id ORDER BY id) FROM sp_n.inn", 30000));
    ck_assert(converge("SELECT GROUP_CONCAT(id ORDER BY id) FROM sp.inn",
                       "SELECT GROUP_CONCAT(id ORDER BY id) FROM sp_s.inn", 30000));
    /* logged with the rolled-back row 4 before it: the target would keep row 4 */
    sqli("FULL", "BEGIN; INSERT INTO sp.inn VALUES (8); INSERT INTO sp.my VALUES (2); "
                 "SAVEPOINT c; INSERT INTO sp.inn VALUES (4); ROLLBACK TO c; "
                 "INSERT INTO sp.inn VALUES (9); COMMIT");
    value(g_src, "SELECT GROUP_CONCAT(id ORDER BY id) FROM sp.inn", v, sizeof v);
    ck_assert_str_eq(v, "1,2,6,8,9");
    pair_paused("sp", "ROLLBACK TO SAVEPOINT in a transaction that also changed a "
                      "non-transactional table: its 1 row changes", "36017");
}
END_TEST

START_TEST(system_versioned_pauses)
{
    sql(g_src, "CREATE DATABASE sv");
    pair_up("sv");
    sqli("FULL", "CREATE TABLE sv.t (id INT PRIMARY KEY, v INT, s TIMESTAMP(6) AS ROW START, "
                 "e TIMESTAMP(6) AS ROW END, PERIOD FOR SYSTEM_TIME(s,e)) WITH SYSTEM VERSIONING;"
                 "INSERT INTO sv.t (id,v) VALUES (1,1); UPDATE sv.t SET v=2");
    pair_paused("sv", "system-versioned tables (WITH SYSTEM VERSIONING) are not supported",
                "`sv`.`t`");
}
END_TEST

/* The ENUM value '' (index 0) a non-strict source session stores for an invalid member:
 * the strict target refused it (Error 1265, the task paused). Rows writing it run without
 * STRICT_* and replicate exactly - keyed and key-less, INSERT, UPDATE, key moves, under
 * every row image. */
START_TEST(enum_zero_strict_target)
{
    char v[256];
    value(g_dst, "SELECT @@global.sql_mode LIKE '%STRICT_TRANS_TABLES%'", v, sizeof v);
    ck_assert_str_eq(v, "1");
    sql(g_src, "CREATE TABLE rt.en (id INT PRIMARY KEY, e ENUM('a','b'), f ENUM('x','y') NOT "
               "NULL, b BIT(17), v INT)");
    sql(g_src, "CREATE TABLE rt.ek (e ENUM('a','b'), v INT)");
    sqli("FULL", "SET sql_mode=''; INSERT INTO rt.en VALUES (1,'zz','x',1,1),(2,'a','qq',0,2),"
                 "(3,'b','y',5,3); INSERT INTO rt.ek VALUES ('zz',1),('a',1),('zz',2);"
                 "UPDATE rt.en SET e='bad' WHERE id=3; UPDATE rt.en SET id=10, f='bad' WHERE "
                 "id=2; UPDATE rt.ek SET v=5 WHERE e=0 AND v=2; UPDATE rt.ek SET e='no' WHERE "
                 "e='a'; DELETE FROM rt.ek WHERE v=1 LIMIT 1");
    sqli("MINIMAL", "SET sql_mode=''; UPDATE rt.en SET e='b' WHERE id=1; UPDATE rt.en SET "
                    "e='xx', v=v+1 WHERE id=10");
    sqli("NOBLOB", "SET sql_mode=''; UPDATE rt.en SET id=20 WHERE id=10");
    ck_assert_int_eq(rt_converge("en", "id,e+0,f+0,HEX(b),v"), 3);
    ck_assert_int_eq(rt_converge("ek", "e+0,v"), 2);
    both_eq("SELECT GROUP_CONCAT(id,':',e+0,':',f+0 ORDER BY id) FROM %s.en",
            "1:2:1,3:0:2,20:0:0");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* A key-less UPDATE the applier writes under SET STATEMENT (here LAX sql_mode for an ENUM
 * index 0) is still run alone and checked to change exactly one row: a row missing on the
 * target pauses (dmlpool's check looked for a statement starting with "UPDATE "; found by
 * charconv). */
START_TEST(keyless_set_statement_row_missing)
{
    int i;
    sql(g_src, "CREATE DATABASE kz");
    pair_up("kz");
    sqli("FULL", "CREATE TABLE kz.t (e ENUM('a','b'), v INT); SET sql_mode='';"
                 "INSERT INTO kz.t VALUES ('zz',0),('a',0)");
    pair_tables("kz", "t");
    for (i = 0; i < 2; i++) {
        char q[128];
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM kz_%s.t", i ? "s" : "n");
        ck_assert(wait_value(g_dst, q, "2", 30000));
        sql(g_dst, "DELETE FROM kz_%s.t WHERE e=0", i ? "s" : "n");
    }
    sqli("FULL", "SET sql_mode=''; UPDATE kz.t SET v=1 WHERE e=0");
    pair_paused("kz", "key-less row not found on the target (0 rows matched, 1 expected)", "kz");
}
END_TEST

/* Target tables that differ from the source's: the binlog gives columns by position, so a
 * target with two columns swapped got each other's values (normal mode stored
 * (1,b='2',a=3) silently), a DECIMAL(10,2) target rounded 1.2345 silently (a Note, even in
 * strict mode), a TIME target cut .5 off TIME(3); two INT columns swapped are told apart
 * by the names binlog_row_metadata=FULL logs. Each pauses, nothing applied. */
START_TEST(target_shape_pauses)
{
    static const char *const db[4] = { "tsc", "tsd", "tst", "tsn" };
    static const char *const alter[4] = { "MODIFY b VARCHAR(10) AFTER id",
                                          "MODIFY d DECIMAL(10,2)", "MODIFY t TIME",
                                          "MODIFY a2 INT AFTER id" };
    static const char *const want[4] = {
        "its column 2 is integer of 4 bytes in the binlog, target column `b` of ",
        "its column 5 is decimal(10,4) in the binlog, target column `d` of ",
        "its column 6 is time(3) in the binlog, target column `t` of ",
        "its column 2 is `a` in the binlog, target column 2 of `tsn_" };
    char q[256], v[64];
    int i, k;
    for (i = 0; i < 4; i++) {
        if (i == 3)   /* same type swapped: only the column names of FULL metadata tell */
            sql(g_src, "SET GLOBAL binlog_row_metadata=FULL");
        sql(g_src, "CREATE DATABASE %s", db[i]);
        sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY, a INT, a2 INT, b VARCHAR(10), "
                   "d DECIMAL(10,4), t TIME(3))", db[i]);
        pair_up(db[i]);
        pair_tables(db[i], "t");
        for (k = 0; k < 2; k++)
            sql(g_dst, "ALTER TABLE %s_%s.t %s", db[i], k ? "s" : "n", alter[i]);
        sql(g_src, "INSERT INTO %s.t VALUES (1,2,7,'3',1.2345,'00:00:01.5')", db[i]);
    }
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    for (i = 0; i < 4; i++) {
        pair_paused(db[i], want[i], "the target table needs the source's columns in the "
                                    "source's order");
        for (k = 0; k < 2; k++) {
            snprintf(q, sizeof q, "SELECT COUNT(*) FROM %s_%s.t", db[i], k ? "s" : "n");
            value(g_dst, q, v, sizeof v);
            ck_assert_msg(strcmp(v, "0") == 0, "%s: %s", q, v);
        }
    }
}
END_TEST

/* A trigger on the target fired on every replicated row (an audit row written twice: once
 * by the target's trigger, once from the source's binlog): a MariaDB replica does not run
 * triggers for row events. Pauses until the trigger is dropped; then exact. */
START_TEST(target_trigger_pauses)
{
    char msg[2048];
    int k;
    sql(g_src, "CREATE DATABASE trg");
    sql(g_src, "CREATE TABLE trg.t (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE trg.log (n INT AUTO_INCREMENT PRIMARY KEY, id INT)");
    sql(g_src, "CREATE TRIGGER trg.ti AFTER INSERT ON trg.t FOR EACH ROW INSERT INTO trg.log "
               "(id) VALUES (NEW.id)");
    pair_up("trg");
    pair_tables("trg", "log");
    for (k = 0; k < 2; k++)
        sql(g_dst, "CREATE TRIGGER trg_%s.ti AFTER INSERT ON trg_%s.t FOR EACH ROW INSERT "
                   "INTO trg_%s.log (id) VALUES (NEW.id)", k ? "s" : "n", k ? "s" : "n",
                   k ? "s" : "n");
    sql(g_src, "INSERT INTO trg.t VALUES (1,1),(2,2)");
    pair_paused("trg", "target table `trg_", "has triggers, which would fire on every "
                                             "replicated row");
    for (k = 0; k < 2; k++) {
        const char *name = k ? "trgs" : "trgn";
        sql(g_dst, "DROP TRIGGER trg_%s.ti", k ? "s" : "n");
        ck_assert_msg(operate(name, PB__TASK_OP__Resume, msg, sizeof msg), "%s", msg);
    }
    ck_assert(converge("SELECT GROUP_CONCAT(n,':',id ORDER BY n) FROM trg.log",
                       "SELECT GROUP_CONCAT(n,':',id ORDER BY n) FROM trg_n.log", 30000));
    ck_assert(converge("SELECT GROUP_CONCAT(n,':',id ORDER BY n) FROM trg.log",
                       "SELECT GROUP_CONCAT(n,':',id ORDER BY n) FROM trg_s.log", 30000));
    ck_assert(converge("SELECT GROUP_CONCAT(id ORDER BY id) FROM trg.t",
                       "SELECT GROUP_CONCAT(id ORDER BY id) FROM trg_s.t", 30000));
}
END_TEST

/* A REPLACE that rewrites its row in place is logged as an UPDATE; under MINIMAL (the
 * columns it names) or NOBLOB (no unchanged BLOB) its after-image lacks the columns it
 * reset to their defaults: the target kept w=1 / b='old' where the source has 7 / NULL,
 * silently. Such a row pauses (also SET STATEMENT ... FOR REPLACE and LOAD DATA ...
 * REPLACE); a REPLACE naming every column and INSERT ... ON DUPLICATE KEY UPDATE (which
 * changes only what it names) apply. */
START_TEST(replace_partial_pauses)
{
    static const char *const db[4] = { "rpm", "rpb", "rps", "rpl" };
    char path[512];
    int i;
    for (i = 0; i < 4; i++) {
        sql(g_src, "CREATE DATABASE %s", db[i]);
        sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY, v INT, w INT DEFAULT 7, b BLOB)",
            db[i]);
        pair_up(db[i]);
    }
    sqli("MINIMAL", "INSERT INTO rpm.t VALUES (1,1,1,'old'),(2,2,2,'old'),(3,3,3,'old');"
                    "REPLACE INTO rpm.t VALUES (3,30,31,'new'); INSERT INTO rpm.t (id,v) "
                    "VALUES (2,5) ON DUPLICATE KEY UPDATE v=6");
    sqli("NOBLOB", "INSERT INTO rpb.t VALUES (1,1,1,'old'),(2,2,2,'old');"
                   "REPLACE INTO rpb.t (id,v) VALUES (2,20)");
    sqli("MINIMAL", "INSERT INTO rps.t VALUES (1,1,1,'old'); SET STATEMENT "
                    "max_statement_time=100 FOR REPLACE INTO rps.t (id,v) VALUES (1,10)");
    snprintf(path, sizeof path, "%s/rpl.csv", g_dir);
    ck_assert_int_eq(tu_write_file(path, "1,10\n", 5), 0);
    sqli("MINIMAL", "INSERT INTO rpl.t VALUES (1,1,1,'old'); LOAD DATA INFILE '%s' REPLACE "
                    "INTO TABLE rpl.t FIELDS TERMINATED BY ',' (id,v)", path);
    ck_assert(converge("SELECT GROUP_CONCAT(id,':',v,':',w,':',IFNULL(b,'N') ORDER BY id) "
                       "FROM rpm.t", "SELECT GROUP_CONCAT(id,':',v,':',w,':',IFNULL(b,'N') "
                       "ORDER BY id) FROM rpm_n.t", 30000));
    sqli("MINIMAL", "/* in place */ REPLACE INTO rpm.t (id,v) VALUES (1,10)");
    pair_paused("rpm", "it is a row a REPLACE rewrote in place, logged with a partial binlog "
                       "row image", "`rpm`.`t`");
    for (i = 1; i < 4; i++) {
        char want[32];
        snprintf(want, sizeof want, "`%s`.`t`", db[i]);
        pair_paused(db[i], "it is a row a REPLACE rewrote in place, logged with a partial "
                           "binlog row image", want);
    }
}
END_TEST

/* Rows of key-less table db.kl (c, v) in each server's insertion order: the source's is
 * a1, b1, a2 (a1's transaction commits last), the target's the commit order b1, a1, a2. */
static void interleaved_rows(const char *schema)
{
    MYSQL *a = db(g_src), *b = db(g_src);
    char q[128];
    ck_assert_int_eq(mysql_query(a, "BEGIN"), 0);
    snprintf(q, sizeof q, "INSERT INTO %s.kl VALUES (1,'a1')", schema);
    ck_assert_int_eq(mysql_query(a, q), 0);
    snprintf(q, sizeof q, "INSERT INTO %s.kl VALUES (1,'b1')", schema);
    ck_assert_int_eq(mysql_query(b, q), 0);
    snprintf(q, sizeof q, "INSERT INTO %s.kl VALUES (2,'a2')", schema);
    ck_assert_int_eq(mysql_query(a, q), 0);
    ck_assert_int_eq(mysql_query(a, "COMMIT"), 0);
    mysql_close(a);
    mysql_close(b);
}

START_TEST(auto_increment_column_pauses)
{
    char v[64];
    sql(g_src, "CREATE DATABASE ai");
    sql(g_src, "CREATE TABLE ai.kp (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE ai.ke (v INT)");
    sql(g_src, "CREATE TABLE ai.kl (c INT, v VARCHAR(5))");
    pair_up("ai");
    sqli("FULL", "INSERT INTO ai.kp VALUES (2,2),(1,1); ALTER TABLE ai.kp ADD COLUMN n INT "
                 "AUTO_INCREMENT UNIQUE; ALTER TABLE ai.kp AUTO_INCREMENT=100; ALTER TABLE "
                 "ai.kp AUTO_INCREMENT 200; ALTER TABLE ai.ke ADD id INT AUTO_INCREMENT "
                 "PRIMARY KEY, AUTO_INCREMENT=5");
    interleaved_rows("ai");
    ck_assert(converge("SELECT GROUP_CONCAT(id,n ORDER BY id) FROM ai.kp",
                       "SELECT GROUP_CONCAT(id,n ORDER BY id) FROM ai_s.kp", 30000));
    sql(g_src, "ALTER TABLE ai.kl ADD COLUMN id INT AUTO_INCREMENT PRIMARY KEY FIRST");
    pair_paused("ai", "ALTER TABLE adding an AUTO_INCREMENT column on `ai_", "36017");
    value(g_dst, "SELECT GROUP_CONCAT(id,n ORDER BY id) FROM ai_n.kp", v, sizeof v);
    ck_assert_str_eq(v, "11,22");
    value(g_src, "SELECT GROUP_CONCAT(v ORDER BY id) FROM ai.kl", v, sizeof v);
    ck_assert_str_eq(v, "a1,b1,a2");
}
END_TEST

START_TEST(alter_ignore_unique_pauses)
{
    char v[64];
    sql(g_src, "CREATE DATABASE ag");
    sql(g_src, "CREATE TABLE ag.kl (c INT, v VARCHAR(5))");
    pair_up("ag");
    interleaved_rows("ag");
    sql(g_src, "ALTER IGNORE TABLE ag.kl ADD UNIQUE KEY (c)");
    pair_paused("ag", "ALTER TABLE ALTER IGNORE adding a unique key on `ag_", "36017");
    value(g_src, "SELECT GROUP_CONCAT(v ORDER BY c) FROM ag.kl", v, sizeof v);
    ck_assert_str_eq(v, "a1,a2");
}
END_TEST

/* RENAME out of the replicated set was skipped: the target kept mv.t, the later CREATE of
 * mv.t was skipped as existing and its rows joined the old ones. Renames inside it run. */
START_TEST(rename_out_pauses)
{
    char v[64];
    sql(g_src, "CREATE DATABASE mv");
    sql(g_src, "CREATE DATABASE IF NOT EXISTS other");
    pair_up("mv");
    sqli("FULL", "CREATE TABLE mv.t (id INT PRIMARY KEY, v INT); INSERT INTO mv.t VALUES (1,1),"
                 "(2,2); RENAME TABLE mv.t TO mv.t2, mv.t2 TO mv.t3; ALTER TABLE mv.t3 RENAME TO "
                 "mv.t; RENAME TABLE mv.t TO other.t; CREATE TABLE mv.t (id INT PRIMARY KEY, "
                 "v INT); INSERT INTO mv.t VALUES (3,3)");
    pair_paused("mv", "RENAME of replicated `mv`.`t` to unreplicated `other`.`t`", "36017");
    value(g_src, "SELECT GROUP_CONCAT(id) FROM mv.t", v, sizeof v);
    ck_assert_str_eq(v, "3");
    value(g_dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM mv_n.t", v, sizeof v);
    ck_assert_str_eq(v, "1,2");
}
END_TEST

START_TEST(exact_types_and_statements)
{
    sqli("FULL",
         "CREATE TABLE rt.iv (id INT PRIMARY KEY, a INT, h INT INVISIBLE DEFAULT 7, v INT);"
         "CREATE TABLE rt.ivk (a INT, h INT INVISIBLE, v INT);"
         "CREATE TABLE rt.gc (id INT PRIMARY KEY, a INT, b INT, g1 INT AS (a+b) VIRTUAL, "
         "g2 INT AS (a*b) STORED, c VARCHAR(10), g3 VARCHAR(20) AS (CONCAT(c,'x')) PERSISTENT, "
         "UNIQUE KEY (g2), KEY (g1));"
         "CREATE TABLE rt.gu (a INT, b INT, g INT AS (a+b) VIRTUAL, UNIQUE KEY (g), v INT);"
         "CREATE TABLE rt.sp (id INT PRIMARY KEY, g GEOMETRY, p POINT NOT NULL, j JSON, "
         "j2 LONGTEXT CHECK (JSON_VALID(j2)), SPATIAL KEY (p));"
         "CREATE TABLE rt.spk (g GEOMETRY, v INT);"
         "CREATE TABLE rt.fl (id INT PRIMARY KEY, f FLOAT, d DOUBLE, f7 FLOAT(7,3), "
         "d10 DOUBLE(10,4), fu FLOAT UNSIGNED);"
         "CREATE TABLE rt.flk (f FLOAT, d DOUBLE, f7 FLOAT(7,3), v INT);"
         "CREATE TABLE rt.de (id INT PRIMARY KEY, a DECIMAL(65,30), b DECIMAL(10,0), "
         "c DECIMAL(5,5), u DECIMAL(20,10) UNSIGNED);"
         "CREATE TABLE rt.tm (id INT PRIMARY KEY, t TIME, t6 TIME(6), dt DATETIME(6), "
         "ts TIMESTAMP(6) NULL, d DATE, y YEAR);"
         "CREATE TABLE rt.tmk (t TIME(6), dt DATETIME, d DATE, v INT)");
    sqli("FULL",
         "INSERT INTO rt.iv (id,a,h,v) VALUES (1,1,100,1),(2,2,200,2); INSERT INTO rt.iv "
         "VALUES (3,3,3); UPDATE rt.iv SET h=h+1 WHERE id=1; DELETE FROM rt.iv WHERE id=2;"
         "INSERT INTO rt.ivk (a,h,v) VALUES (1,10,1),(1,20,1); UPDATE rt.ivk SET v=5 WHERE "
         "h=10; DELETE FROM rt.ivk WHERE h=20;"
         "INSERT INTO rt.gc (id,a,b,c) VALUES (1,1,2,'a'),(2,3,4,'b'),(3,5,6,'c');"
         "INSERT INTO rt.gu (a,b,v) VALUES (1,1,1),(2,2,2);"
         "INSERT INTO rt.sp VALUES (1,ST_GeomFromText('POINT(1 2)',4326),POINT(1.5,-2.25),"
         "'{\"a\": [1, 2.5e300]}','{\"k\":\"\xc3\xa9\"}'),(2,ST_GeomFromText('POLYGON((0 0,1 0,"
         "1 1,0 0))'),POINT(0,-0.0),NULL,'[]');"
         "INSERT INTO rt.spk VALUES (POINT(1,1),1),(POINT(1,1),1),(NULL,2);"
         "INSERT INTO rt.fl VALUES (1,3.4028234e38,1.7976931348623157e308,9999.999,"
         "999999.9999,0),(2,-3.4028234e38,-1.7976931348623157e308,-9999.999,-999999.9999,"
         "1.17549435e-38),(3,1.4e-45,4.9e-324,0.001,0.0001,1e-40),(4,-0.0,-0.0,-0.0,-0.0,-0.0),"
         "(5,0.1,0.30000000000000004,1.2345,0.12345,16777217),(6,NULL,NULL,NULL,NULL,NULL);"
         "INSERT INTO rt.flk SELECT f,d,f7,id FROM rt.fl;"
         "INSERT INTO rt.de VALUES (1,99999999999999999999999999999999999.99999999999999999999"
         "9999999999,9999999999,0.99999,9999999999.9999999999),(2,-99999999999999999999999999"
         "999999999.999999999999999999999999999999,-9999999999,-0.99999,0),(3,-0.00000000000"
         "0000000000000000001,0,0.00001,0.0000000001);"
         "SET sql_mode='';"
         "INSERT INTO rt.tm VALUES (1,'-838:59:59','-838:59:59.000000','0000-00-00 00:00:00',"
         "'0000-00-00 00:00:00','0000-00-00','0000'),(2,'838:59:59','-00:00:00.000001',"
         "'9999-12-31 23:59:59.999999','2038-01-19 03:14:07.999999','2020-02-00',1901),"
         "(3,'-00:00:01','-12:00:00.5','2020-00-00 00:00:00','1970-01-01 00:00:01','0001-01-01',"
         "2155);"
         "INSERT INTO rt.tmk SELECT t6,dt,d,id FROM rt.tm");
    sqli("MINIMAL", "UPDATE rt.gc SET a=10 WHERE id=1; DELETE FROM rt.gc WHERE id=2; INSERT "
                    "INTO rt.gc (id,a,b) VALUES (4,7,7); UPDATE rt.gu SET v=9 WHERE g=2;"
                    "UPDATE rt.gu SET a=5 WHERE g=4");
    sqli("NOBLOB", "UPDATE rt.gc SET c='z' WHERE id=3; UPDATE rt.sp SET p=POINT(3,3) WHERE id=2");
    sqli("FULL", "UPDATE rt.spk SET v=5 WHERE v=1 LIMIT 1; DELETE FROM rt.spk WHERE v=2;"
                 "UPDATE rt.flk SET v=v+10; DELETE FROM rt.flk WHERE v IN (13,14);"
                 "UPDATE rt.tmk SET v=v+10; DELETE FROM rt.tmk WHERE v=12;"
                 "UPDATE rt.de SET b=b DIV 2");
    ck_assert_int_eq(rt_converge("iv", "id,a,h,v"), 2);
    ck_assert_int_eq(rt_converge("ivk", "a,h,v"), 1);
    ck_assert_int_eq(rt_converge("gc", "id,a,b,g1,g2,c,g3"), 3);
    ck_assert_int_eq(rt_converge("gu", "a,b,g,v"), 2);
    ck_assert_int_eq(rt_converge("sp", "id,HEX(g),HEX(p),HEX(j),HEX(j2)"), 2);
    ck_assert_int_eq(rt_converge("spk", "HEX(g),v"), 2);
    ck_assert_int_eq(rt_converge("fl", "id,HEX(CAST(f AS BINARY)),HEX(CAST(d AS BINARY)),"
                                       "HEX(CAST(f7 AS BINARY)),HEX(CAST(d10 AS BINARY)),"
                                       "HEX(CAST(fu AS BINARY)),IFNULL(f,'N')"), 6);
    ck_assert_int_eq(rt_converge("flk", "HEX(CAST(f AS BINARY)),HEX(CAST(d AS BINARY)),"
                                        "HEX(CAST(f7 AS BINARY)),v"), 4);
    ck_assert_int_eq(rt_converge("de", "id,HEX(CAST(a AS BINARY)),b,c,u"), 3);
    ck_assert_int_eq(rt_converge("tm", "id,HEX(CAST(t AS BINARY)),HEX(CAST(t6 AS BINARY)),"
                                       "HEX(CAST(dt AS BINARY)),UNIX_TIMESTAMP(ts),"
                                       "HEX(CAST(d AS BINARY)),y"), 3);
    ck_assert_int_eq(rt_converge("tmk", "HEX(CAST(t AS BINARY)),HEX(CAST(dt AS BINARY)),"
                                        "HEX(CAST(d AS BINARY)),v"), 2);
    both_eq("SELECT CONCAT(HEX(CAST(t6 AS BINARY)),'/',dt) FROM %s.tm WHERE id=3",
            "2D31323A30303A30302E353030303030/2020-00-00 00:00:00.000000");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(exact_statements)
{
    sqli("FULL",
         "CREATE TABLE rt.r1 (id INT PRIMARY KEY, v VARCHAR(5)); CREATE TABLE rt.r2 "
         "(id INT PRIMARY KEY, w INT); INSERT INTO rt.r1 VALUES (1,'a'); INSERT INTO rt.r2 "
         "VALUES (2,2); RENAME TABLE rt.r1 TO rt.tmp, rt.r2 TO rt.r1, rt.tmp TO rt.r2;"
         "INSERT INTO rt.r1 VALUES (3,3); INSERT INTO rt.r2 VALUES (4,'b');"
         "CREATE TEMPORARY TABLE rt.tp (id INT PRIMARY KEY, v VARCHAR(5)); INSERT INTO rt.tp "
         "VALUES (1,'a'),(2,'b'); CREATE TABLE rt.ft LIKE rt.tp; INSERT INTO rt.ft SELECT * "
         "FROM rt.tp; CREATE TABLE rt.fs AS SELECT * FROM rt.tp;"
         "CREATE TEMPORARY TABLE rt.r1 (id INT PRIMARY KEY); INSERT INTO rt.r1 VALUES (99);"
         "DROP TABLE rt.r1; INSERT INTO rt.r1 VALUES (5,5);"
         "CREATE TABLE rt.m1 (id INT PRIMARY KEY, v INT); CREATE TABLE rt.m2 (id INT PRIMARY "
         "KEY, v INT); INSERT INTO rt.m1 VALUES (1,1),(2,2),(3,3); INSERT INTO rt.m2 VALUES "
         "(1,10),(2,20),(4,40); UPDATE rt.m1 JOIN rt.m2 USING (id) SET rt.m1.v=rt.m2.v, "
         "rt.m2.v=rt.m2.v+1; DELETE rt.m1, rt.m2 FROM rt.m1 JOIN rt.m2 USING (id) WHERE "
         "rt.m1.id=2;"
         "CREATE TABLE rt.pt (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id) (PARTITION "
         "p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN (20), PARTITION p2 VALUES "
         "LESS THAN MAXVALUE); INSERT INTO rt.pt VALUES (1,1),(11,11),(21,21);"
         "CREATE TABLE rt.px (id INT PRIMARY KEY, v INT); INSERT INTO rt.px VALUES (5,500);"
         "ALTER TABLE rt.pt EXCHANGE PARTITION p0 WITH TABLE rt.px; ALTER TABLE rt.pt "
         "TRUNCATE PARTITION p1; INSERT INTO rt.pt VALUES (12,12);"
         "CREATE TABLE rt.`select` (`from` INT PRIMARY KEY, `a``b` INT, `\xc3\xbcn\xc3\xaf` "
         "VARCHAR(3), `cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc` INT);"
         "INSERT INTO rt.`select` VALUES (1,2,'\xc3\xa9',4); UPDATE rt.`select` SET `a``b`=3;"
         "DROP TABLE IF EXISTS rt.px, rt.nonexistent, rt.fs");
    ck_assert_int_eq(rt_converge("r1", "id,w"), 3);
    ck_assert_int_eq(rt_converge("r2", "id,v"), 2);
    ck_assert_int_eq(rt_converge("ft", "id,v"), 2);
    ck_assert_int_eq(rt_converge("m1", "id,v"), 2);
    ck_assert_int_eq(rt_converge("m2", "id,v"), 2);
    ck_assert_int_eq(rt_converge("pt", "id,v"), 3);
    ck_assert_int_eq(rt_converge("select", "`from`,`a``b`,HEX(`\xc3\xbcn\xc3\xaf`)"), 1);
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA IN ('rt_n','rt_s') AND TABLE_NAME IN ('px','fs','tp')",
                         "0", 30000));
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(xa_rollback_pauses)
{
    char msg[2048];
    long long end = tu_now_ms() + 30000;
    int i;
    sql(g_src, "CREATE TABLE rt.xa (id INT PRIMARY KEY)");
    sqli("FULL", "INSERT INTO rt.xa VALUES (1); XA START 'a2'; INSERT INTO rt.xa VALUES (2); "
                 "XA END 'a2'; XA PREPARE 'a2'; XA COMMIT 'a2'");
    ck_assert_int_eq(rt_converge("xa", "id"), 2);
    sqli("FULL", "XA START 'a1'; INSERT INTO rt.xa VALUES (3); XA END 'a1'; XA PREPARE 'a1'; "
                 "XA ROLLBACK 'a1'; INSERT INTO rt.xa VALUES (4)");
    for (i = 0; i < 2; i++) {
        const char *name = i ? "safe" : "norm";
        while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "XA ROLLBACK"), "%s: %s", name, msg);
        ck_assert_msg(strstr(msg, "36017"), "%s: %s", name, msg);
    }
    both_eq("SELECT GROUP_CONCAT(id ORDER BY id) FROM %s.xa", "1,2,3");
}
END_TEST

/* LOAD DATA of a STATEMENT/MIXED session is logged as BEGIN_LOAD_QUERY +
 * EXECUTE_LOAD_QUERY events, not rows: the connector refused them as a "Malformed packet"
 * (every task on the source and the relay paused with that alone). The pause now names
 * the cause. It stops every reader of the source, so this test comes last (and moves the
 * start position of pair_up to the current one). */
START_TEST(statement_load_data_pauses)
{
    char path[512];
    master_pos();   /* the pair starts here: the earlier tests' pauses are not its own */
    sql(g_src, "CREATE DATABASE ldf");
    sql(g_src, "CREATE TABLE ldf.t (id INT PRIMARY KEY, v VARCHAR(5))");
    pair_up("ldf");
    pair_tables("ldf", "t");
    snprintf(path, sizeof path, "%s/ld.csv", g_dir);
    ck_assert_int_eq(tu_write_file(path, "1,a\n2,b\n", 8), 0);
    sqli("FULL", "SET binlog_format=STATEMENT; LOAD DATA INFILE '%s' INTO TABLE ldf.t FIELDS "
                 "TERMINATED BY ','", path);
    pair_paused("ldf", "LOAD DATA logged in statement format", "set binlog_format=ROW");
}
END_TEST

/* A target with lower_case_table_names=1 (the source is case-sensitive) and sql_mode
 * TRADITIONAL (strict, NO_ZERO_DATE, NO_ZERO_IN_DATE): tasks as rt_up. */
static void setup_lctn(void)
{
    char toml[4096], msg[2048];
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    g_dir = tu_mkdtemp();
    g_src = tu_free_port();
    g_dst = tu_free_port();
    while (g_dst == g_src)
        g_dst = tu_free_port();
    ck_assert_int_eq(sandbox("start", "src", g_src, 1), 0);
    setenv("DMGW_SANDBOX_ARGS", "--lower-case-table-names=1 --sql-mode=TRADITIONAL", 1);
    ck_assert_int_eq(sandbox("start", "dst", g_dst, 2), 0);
    unsetenv("DMGW_SANDBOX_ARGS");
    g_wport = tu_free_port();
    rpc_global_init();
    master_pos();
    spawn_worker();
    rt_task_toml(toml, sizeof toml, "norm", "rt_n", false, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    rt_task_toml(toml, sizeof toml, "safe", "rt_s", true, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    sql(g_src, "CREATE DATABASE rt");
}

/* Zero dates a non-strict source session stored: the target's NO_ZERO_DATE /
 * NO_ZERO_IN_DATE refused them (Error 1292 paused the task). */
START_TEST(zero_dates_strict_target)
{
    sql(g_src, "CREATE TABLE rt.zd (id INT PRIMARY KEY, d DATE, dt DATETIME(3), ts TIMESTAMP "
               "NULL, k DATE, UNIQUE KEY (k))");
    sql(g_src, "CREATE TABLE rt.zk (d DATE, dt DATETIME, v INT)");
    sqli("FULL", "SET sql_mode=''; INSERT INTO rt.zd VALUES (1,'0000-00-00','0000-00-00 "
                 "00:00:00','0000-00-00 00:00:00','2020-00-00'),(2,'2020-02-00','2020-00-01 "
                 "10:00:00.5',NULL,'0000-00-00'); INSERT INTO rt.zk VALUES ('0000-00-00',"
                 "'2020-01-00 00:00:00',1),('0000-00-00','2020-01-00 00:00:00',1)");
    sqli("MINIMAL", "SET sql_mode=''; UPDATE rt.zd SET d='0000-01-01' WHERE id=2; UPDATE rt.zk "
                    "SET v=2 LIMIT 1; DELETE FROM rt.zk WHERE v=1");
    ck_assert_int_eq(rt_converge("zd", "id,HEX(CAST(d AS BINARY)),HEX(CAST(dt AS BINARY)),"
                                       "IFNULL(UNIX_TIMESTAMP(ts),'N'),HEX(CAST(k AS BINARY))"), 2);
    ck_assert_int_eq(rt_converge("zk", "HEX(CAST(d AS BINARY)),HEX(CAST(dt AS BINARY)),v"), 1);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* rt.Tab and rt.tab are two tables on the source, one on the target: safe mode merged
 * their rows silently (REPLACE), normal mode failed only where ids collided. A table
 * dropped before the other name appears is no conflict. */
START_TEST(case_folded_names_pause)
{
    char msg[2048];
    long long end = tu_now_ms() + 30000;
    int i;
    sqli("FULL", "CREATE TABLE rt.Tab (id INT PRIMARY KEY, v INT); INSERT INTO rt.Tab VALUES "
                 "(1,1); DROP TABLE rt.Tab; CREATE TABLE rt.tab (id INT PRIMARY KEY, w INT);"
                 "INSERT INTO rt.tab VALUES (1,100),(2,200)");
    ck_assert_int_eq(rt_converge("tab", "id,w"), 2);
    sqli("FULL", "CREATE TABLE rt.TAB (id INT PRIMARY KEY, v INT); INSERT INTO rt.TAB VALUES "
                 "(1,1),(5,5); INSERT INTO rt.tab VALUES (3,3)");
    for (i = 0; i < 2; i++) {
        const char *name = i ? "safe" : "norm";
        while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "which are one table on the target (lower_case_table_names=1)"),
                      "%s: %s", name, msg);
    }
    both_eq("SELECT GROUP_CONCAT(id,':',w ORDER BY id) FROM %s.tab", "1:100,2:200");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_diverge");
    TCase *tc = tcase_create("diverge");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fixed_binary_padding);
    tcase_add_test(tc, auto_increment_zero);
    tcase_add_test(tc, keyless_collation_equal_rows);
    tcase_add_test(tc, keyless_float_dump_loaded);
    tcase_add_test(tc, keyless_float_ambiguous_pauses);
    tcase_add_test(tc, ddl_in_source_session);
    tcase_add_test(tc, explicit_defaults_for_timestamp);
    tcase_add_test(tc, foreign_key_actions);
    tcase_add_test(tc, collation_equal_unique_keys);
    tcase_add_test(tc, set_statement_ddl);
    tcase_add_test(tc, savepoint_rollback_pauses);
    tcase_add_test(tc, system_versioned_pauses);
    tcase_add_test(tc, auto_increment_column_pauses);
    tcase_add_test(tc, alter_ignore_unique_pauses);
    tcase_add_test(tc, rename_out_pauses);
    tcase_add_test(tc, enum_zero_strict_target);
    tcase_add_test(tc, keyless_set_statement_row_missing);
    tcase_add_test(tc, target_shape_pauses);
    tcase_add_test(tc, target_trigger_pauses);
    tcase_add_test(tc, replace_partial_pauses);
    tcase_add_test(tc, exact_types_and_statements);
    tcase_add_test(tc, exact_statements);
    tcase_add_test(tc, xa_rollback_pauses);
    tcase_add_test(tc, statement_load_data_pauses);
    suite_add_tcase(s, tc);
    tc = tcase_create("lower_case_target");
    tcase_add_unchecked_fixture(tc, setup_lctn, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, zero_dates_strict_target);
    tcase_add_test(tc, case_folded_names_pause);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

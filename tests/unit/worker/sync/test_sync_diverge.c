/* test_sync_diverge.c - silent divergences found by probing the Sync unit as an
 * adversarial user (after issue 12), each with real MariaDB in normal mode (task norm ->
 * rt_n) and safe mode (task safe -> rt_s), compared with HEX() of every column:
 *  - fixed-length binary values whose trailing 0x00 bytes the binlog strips (BINARY(n),
 *    INET6, UUID, INET4), as keys and in key-less tables;
 *  - AUTO_INCREMENT 0 stored by a NO_AUTO_VALUE_ON_ZERO source session;
 *  - key-less rows that equal others under the collation ('a'/'A', 'e'/'é', 'a'/'a ');
 *  - DDL in the source session's context (timestamp, time zone, charset, sql_mode);
 *  - FOREIGN KEY ON DELETE/UPDATE CASCADE and SET NULL (InnoDB does not binlog the
 *    child rows it changes);
 *  - row changes on unique values equal under the collation ('É'/'e', 'E '/'e') or in
 *    their prefix (UNIQUE KEY (c(4))) applied in order by several connections;
 *  - XA ROLLBACK of a prepared transaction pauses (its rows were applied at PREPARE).
 * The tests run in order, sharing sandboxes, worker and tasks; the XA one pauses both
 * tasks and comes last. */
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

int main(void)
{
    Suite *s = suite_create("sync_diverge");
    TCase *tc = tcase_create("diverge");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fixed_binary_padding);
    tcase_add_test(tc, auto_increment_zero);
    tcase_add_test(tc, keyless_collation_equal_rows);
    tcase_add_test(tc, ddl_in_source_session);
    tcase_add_test(tc, foreign_key_actions);
    tcase_add_test(tc, collation_equal_unique_keys);
    tcase_add_test(tc, xa_rollback_pauses);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

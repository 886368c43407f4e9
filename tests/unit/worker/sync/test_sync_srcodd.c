/* test_sync_srcodd.c - source-side oddities of a real MariaDB 10.11 source (binlog_format
 * ROW, sessions changing it) against the Sync unit (session 11, divsrc; docs/worker.md
 * "Source-side oddities"):
 *  - statements that replicate exactly as rows (pinned): application-time periods
 *    (UPDATE/DELETE FOR PORTION OF; with WITHOUT OVERLAPS keys the table orders its rows,
 *    safe mode pauses with MariaDB's Error 1235), CREATE OR REPLACE TABLE ... SELECT over an existing
 *    table, a MIXED session's unsafe statement, a stored function writing rows under ROW;
 *  - a transaction that also created a temporary table and was rolled back: MariaDB logs
 *    its InnoDB rows, then ROLLBACK - the task pauses instead of keeping them (a group
 *    without replicated rows does not);
 *  - `SELECT f()` / `DO f()` of a STATEMENT session whose stored function wrote rows is a
 *    QUERY event `SELECT f()` - statement-format DML, it pauses (was skipped);
 *  - an INCIDENT event (LOST_EVENTS: a MyISAM statement over max_binlog_stmt_cache_size,
 *    its row on the source and not in the binlog) pauses every task (last).
 * The tests run in order, sharing sandboxes, worker and the rt tasks; pausing ones use
 * task pairs of their own (pair_up). */
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

START_TEST(exact_as_rows)
{
    sql(g_src, "SET GLOBAL log_bin_trust_function_creators=1");
    sqli("FULL",
         "CREATE TABLE rt.ap (id INT, s DATE, e DATE, v INT, PERIOD FOR p(s, e), "
         "PRIMARY KEY (id, s));"
         "INSERT INTO rt.ap VALUES (1,'2020-01-01','2021-01-01',1),(2,'2020-01-01',"
         "'2020-06-01',1);"
         "UPDATE rt.ap FOR PORTION OF p FROM '2020-03-01' TO '2020-04-01' SET v=2 WHERE id=1;"
         "DELETE FROM rt.ap FOR PORTION OF p FROM '2020-02-01' TO '2020-03-01' WHERE id=2;"
         "CREATE TABLE rt.cs (id INT PRIMARY KEY, w VARCHAR(3)); INSERT INTO rt.cs VALUES "
         "(9,'old');"
         "CREATE OR REPLACE TABLE rt.cs (k INT AUTO_INCREMENT PRIMARY KEY) SELECT id, v "
         "FROM rt.ap ORDER BY id, s;"
         "CREATE TABLE rt.mx (id INT AUTO_INCREMENT PRIMARY KEY, u VARCHAR(40));"
         "SET SESSION binlog_format=MIXED; INSERT INTO rt.mx (u) VALUES (UUID());"
         "INSERT INTO rt.mx (u) SELECT UUID() FROM rt.ap LIMIT 2; SET SESSION binlog_format=ROW;"
         "CREATE FUNCTION rt.f(x INT) RETURNS INT MODIFIES SQL DATA BEGIN "
         "INSERT INTO rt.mx (u) VALUES (CONCAT('f', x)); RETURN 1; END;"
         "SELECT rt.f(1); DO rt.f(2)");
    ck_assert_int_eq(rt_converge("ap", "id,s,e,v"), 5);
    ck_assert_int_eq(rt_converge("cs", "k,id,v"), 5);
    ck_assert_int_eq(rt_converge("mx", "id,u"), 5);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* PRIMARY KEY (id, p WITHOUT OVERLAPS): FOR PORTION OF splits a row into an UPDATE and
 * INSERTs whose key values differ but whose ranges conflict with the old row until the
 * UPDATE ran - normal mode ran them on other connections or merged an INSERT before the
 * UPDATE (Error 1062, paused); now the table orders its rows (applier_schema.c
 * load_overlaps). Safe mode's REPLACE is refused by MariaDB for such tables (Error 1235): a
 * named pause, never a silent skip. */
START_TEST(without_overlaps)
{
    char msg[2048];
    long long end = tu_now_ms() + 30000;
    sql(g_src, "CREATE DATABASE wo");
    sql(g_src, "CREATE TABLE wo.ap (id INT, s DATE, e DATE, v INT, PERIOD FOR p(s, e), "
               "PRIMARY KEY (id, p WITHOUT OVERLAPS))");
    pair_up("wo");
    pair_tables("wo", "ap");
    sqli("FULL", "INSERT INTO wo.ap VALUES (1,'2020-01-01','2021-01-01',1),(2,'2020-01-01',"
                 "'2020-06-01',1),(3,'2020-01-01','2020-02-01',3);"
                 "UPDATE wo.ap FOR PORTION OF p FROM '2020-03-01' TO '2020-04-01' SET v=2 "
                 "WHERE id=1;"
                 "DELETE FROM wo.ap FOR PORTION OF p FROM '2020-02-01' TO '2020-03-01' WHERE "
                 "id=2;"
                 "UPDATE wo.ap FOR PORTION OF p FROM '2020-05-01' TO '2020-06-01' SET v=4 "
                 "WHERE id=1");
    if (!converge("SELECT GROUP_CONCAT(id,s,e,v ORDER BY id,s) FROM wo.ap",
                  "SELECT GROUP_CONCAT(id,s,e,v ORDER BY id,s) FROM wo_n.ap", 30000)) {
        task_stage("won", msg, sizeof msg);
        ck_abort_msg("wo_n.ap differs; won: %s", msg);
    }
    assert_running("won");
    while (task_stage("wos", msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(strstr(msg, "1235") && strstr(msg, "WITHOUT OVERLAPS"), "%s", msg);
}
END_TEST

START_TEST(rolled_back_group_pauses)
{
    char v[64];
    sql(g_src, "CREATE DATABASE rb");
    sql(g_src, "CREATE DATABASE rbx");
    sql(g_src, "CREATE TABLE rb.inn (id INT PRIMARY KEY) ENGINE=InnoDB");
    sql(g_src, "CREATE TABLE rbx.o (id INT PRIMARY KEY) ENGINE=InnoDB");
    pair_up("rb");
    /* rolled back with rows of an unreplicated database only: nothing applied, goes on */
    sqli("FULL", "BEGIN; INSERT INTO rbx.o VALUES (1); CREATE TEMPORARY TABLE rb.tt (a INT); "
                 "INSERT INTO rbx.o VALUES (2); ROLLBACK; INSERT INTO rb.inn VALUES (1)");
    ck_assert(converge("SELECT GROUP_CONCAT(id) FROM rb.inn",
                       "SELECT GROUP_CONCAT(id) FROM rb_n.inn", 30000));
    ck_assert(converge("SELECT GROUP_CONCAT(id) FROM rb.inn",
                       "SELECT GROUP_CONCAT(id) FROM rb_s.inn", 30000));
    pair_running("rb");
    /* logged: rows 2 and 3, then ROLLBACK; the source has neither */
    sqli("FULL", "BEGIN; INSERT INTO rb.inn VALUES (2); CREATE TEMPORARY TABLE rb.tt2 (a INT); "
                 "INSERT INTO rb.inn VALUES (3); ROLLBACK");
    value(g_src, "SELECT GROUP_CONCAT(id ORDER BY id) FROM rb.inn", v, sizeof v);
    ck_assert_str_eq(v, "1");
    pair_paused("rb", "ROLLBACK of a source transaction whose 2 row changes (the first in "
                      "`rb`.`inn`) precede it in the binlog", "36017");
}
END_TEST

START_TEST(statement_function_pauses)
{
    int i;
    sql(g_src, "SET GLOBAL log_bin_trust_function_creators=1");
    for (i = 0; i < 2; i++) {
        char db[8];
        snprintf(db, sizeof db, "sf%d", i);
        master_pos();   /* after the other pair's statement (it pauses every task) */
        sql(g_src, "CREATE DATABASE %s", db);
        sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY)", db);
        pair_up(db);
        pair_tables(db, "t");
        /* logged as the QUERY `SELECT `sfN`.`f`(1)` (DO too), no rows */
        sql(g_src, "CREATE FUNCTION %s.f(x INT) RETURNS INT MODIFIES SQL DATA BEGIN "
                   "INSERT INTO %s.t VALUES (x); RETURN 1; END", db, db);
        sqli("FULL", "SET SESSION binlog_format=STATEMENT; %s %s.f(1)", i ? "DO" : "SELECT", db);
        pair_paused(db, "unexpected DML statement found in query event: SELECT", "36014");
    }
}
END_TEST

/* Last: an INCIDENT stops every task reading the source after it. */
START_TEST(incident_pauses)
{
    MYSQL *m;
    master_pos();
    sql(g_src, "CREATE DATABASE inc");
    sql(g_src, "CREATE TABLE inc.big (id INT PRIMARY KEY, b LONGBLOB) ENGINE=MyISAM");
    pair_up("inc");
    pair_tables("inc", "big");
    sql(g_src, "SET GLOBAL max_binlog_stmt_cache_size=4096");
    m = db(g_src);
    ck_assert_int_ne(mysql_query(m, "INSERT INTO inc.big VALUES (1, REPEAT('x', 100000))"), 0);
    ck_assert_uint_eq(mysql_errno(m), 1705);   /* ER_STMT_CACHE_FULL; the row is stored */
    mysql_close(m);
    sql(g_src, "SET GLOBAL max_binlog_stmt_cache_size=DEFAULT");
    ck_assert(wait_value(g_src, "SELECT COUNT(*) FROM inc.big", "1", 1000));
    pair_paused("inc", "binlog INCIDENT event (LOST_EVENTS)", "the target misses them");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_srcodd");
    TCase *tc = tcase_create("srcodd");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, exact_as_rows);
    tcase_add_test(tc, without_overlaps);
    tcase_add_test(tc, rolled_back_group_pauses);
    tcase_add_test(tc, statement_function_pauses);
    tcase_add_test(tc, incident_pauses);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}

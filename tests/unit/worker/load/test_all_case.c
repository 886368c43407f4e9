/* test_all_case.c - task-mode full over tables whose names differ only in letter case
 * (`CaseDb`.`T1` and `CaseDb`.`t1`, a source with lower_case_table_names=0): both must
 * arrive whole and apart, row by row. information_schema's names compare
 * case-insensitively (utf8mb3_general_ci), so a GROUP BY TABLE_NAME or a join on it made
 * one of two such tables: the Dump unit's column list before the snapshot merged T1's and
 * t1's columns, every dump then "had other columns than before its snapshot" (a transient
 * error) and the task dumped again and again without ever loading. */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE CaseDb");
    sql(g_src, "CREATE TABLE CaseDb.T1 (id INT PRIMARY KEY, a VARCHAR(10))");
    sql(g_src, "CREATE TABLE CaseDb.t1 (id INT PRIMARY KEY, b INT, c DOUBLE)");
    sql(g_src, "CREATE TABLE CaseDb.Only (k INT, v INT)");   /* no key: a plain neighbour */
    sql(g_src, "INSERT INTO CaseDb.T1 SELECT seq, CONCAT('T', seq) FROM CaseDb.seq_1_to_50");
    sql(g_src, "INSERT INTO CaseDb.t1 SELECT seq, seq * 7, seq / 3 FROM CaseDb.seq_1_to_80");
    sql(g_src, "INSERT INTO CaseDb.Only VALUES (1, 1), (1, 1), (2, NULL)");
    /* a second database apart only by case: one mydumper per database (dump.c) */
    sql(g_src, "CREATE DATABASE casedb");
    sql(g_src, "CREATE TABLE casedb.T1 (id INT PRIMARY KEY, z TEXT)");
    sql(g_src, "CREATE TABLE casedb.only (x INT)");
    sql(g_src, "INSERT INTO casedb.T1 SELECT seq, REPEAT('z', seq) FROM casedb.seq_1_to_30");
    sql(g_src, "INSERT INTO casedb.only VALUES (5), (5)");
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static void run_full(const char *name, const char *extra)
{
    char toml[4096], msg[2048];
    task_toml(toml, sizeof toml, name, "full", "CaseDb\", \"casedb", extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    if (!wait_unit(name, PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000)) {
        int stage, unit = unit_now(name, &stage, msg, sizeof msg);
        ck_abort_msg("%s never finished: unit %d stage %d: %s", name, unit, stage, msg);
    }
    assert_table_equal("CaseDb", "T1", 50);
    assert_table_equal("CaseDb", "t1", 80);
    assert_table_equal("CaseDb", "Only", 3);
    assert_table_equal("casedb", "T1", 30);
    assert_table_equal("casedb", "only", 2);
    ck_assert(operate(name, PB__TASK_OP__Stop, msg, sizeof msg));
}

START_TEST(case_twins_full)
{
    run_full("casefull", "case-sensitive = true\n");
    sql(g_dst, "DROP DATABASE CaseDb");
    sql(g_dst, "DROP DATABASE casedb");
    sql(g_dst, "DROP DATABASE IF EXISTS dm_meta");
    run_full("casefull2", NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_case");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 280);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, case_twins_full);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

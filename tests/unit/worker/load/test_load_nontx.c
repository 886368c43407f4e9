/* test_load_nontx.c - the Load into non-transactional target tables (MyISAM, Aria) and the
 * ENUM error value (real dm-worker, real MariaDB, the packaged mydumper; found by
 * tests/integration/fullall/random.sh). Before:
 *  - a LOAD DATA that warned was undone with ROLLBACK, which leaves a MyISAM table's rows:
 *    the rows then came a second time through the INSERT fallback (an ENUM holding its
 *    error value '' on a non-strict target: the table held every row twice, Finished);
 *  - the ENUM error value '' (index 0) paused the Load on a strict target (Error 1265);
 *  - a kill -9 between a MyISAM INSERT and its checkpoint commit: the resume loaded the
 *    statement again (key-less: rows doubled silently; keyed: Error 1062 for ever);
 *  - a MyISAM user table narrower than the source took later rows truncated (a warning
 *    under STRICT_TRANS_TABLES), Finished.
 * Now: no LOAD DATA into non-transactional tables; '' into an ENUM runs once more without
 * STRICT_* and is kept when its warnings are only that value's (index 0 as on the source);
 * a statement into a non-transactional table is framed by an in-flight checkpoint row (a
 * stop inside it pauses with 34994); an INSERT whose warnings changed a value pauses with
 * 34995 (docs/worker.md, "Full / all: random hunt"). */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define ENUM_Q(t) "SELECT CONCAT(COUNT(*), ':', IFNULL(GROUP_CONCAT(id, '=', e + 0, '/', HEX(e) " \
                  "ORDER BY id), '')) FROM " t

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "SET GLOBAL sql_mode=''");
    sql(g_src, "CREATE DATABASE ne");
    sql(g_src, "CREATE TABLE ne.k (id INT PRIMARY KEY, e ENUM('a','b') NOT NULL, s VARCHAR(5))");
    sql(g_src, "CREATE TABLE ne.m (id INT, e ENUM('a','b') NOT NULL, s VARCHAR(5)) ENGINE=MyISAM");
    sql(g_src, "CREATE TABLE ne.r (id INT, e ENUM('x','y') NULL) ENGINE=Aria");
    sql(g_src, "INSERT INTO ne.k VALUES (1, 'zz', ''), (2, 'a', 'q'), (3, '', NULL), (4, 'b', 'x')");
    sql(g_src, "INSERT INTO ne.m VALUES (1, 'a', 'f'), (2, 'nope', ''), (3, 'b', NULL), (3, 'b', NULL)");
    sql(g_src, "INSERT INTO ne.r VALUES (1, 'bad'), (2, NULL), (3, 'y')");
    sql(g_src, "CREATE DATABASE na");
    sql(g_src, "CREATE TABLE na.n (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM");
    sql(g_src, "INSERT INTO na.n VALUES (1, 'abc'), (2, 'abcdef'), (3, 'x')");
    sql(g_src, "CREATE DATABASE nk");
    sql(g_src, "CREATE TABLE nk.m (a INT, b VARCHAR(40)) ENGINE=MyISAM");
    sql(g_src, "INSERT INTO nk.m SELECT seq %% 500, CONCAT('row ', seq %% 500) FROM nk.seq_1_to_8000");
    /* names the loader checkpoint (latin1 / case-insensitive before) could not tell apart */
    sql(g_src, "CREATE DATABASE nc");
    sql(g_src, "CREATE TABLE nc.`表a` (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "CREATE TABLE nc.`中a` (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "CREATE TABLE nc.Tc (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "CREATE TABLE nc.tc (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "INSERT INTO nc.`表a` SELECT seq, CONCAT('biao ', seq) FROM nc.seq_1_to_8000");
    sql(g_src, "INSERT INTO nc.`中a` SELECT seq, CONCAT('zhong ', seq) FROM nc.seq_1_to_1000");
    sql(g_src, "INSERT INTO nc.Tc SELECT seq, CONCAT('T ', seq) FROM nc.seq_1_to_8000");
    sql(g_src, "INSERT INTO nc.tc SELECT seq, CONCAT('t ', seq) FROM nc.seq_1_to_1000");
    sql(g_src, "SET GLOBAL sql_mode=DEFAULT");
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static void assert_same(const char *q)
{
    char a[2048], b[2048];
    value(g_src, q, a, sizeof a);
    value(g_dst, q, b, sizeof b);
    ck_assert_str_eq(b, a);
}

/* '' (index 0) into ENUM columns of InnoDB, MyISAM and Aria tables on a strict target:
 * equal, each row once */
START_TEST(enum_error_value_strict_target)
{
    char toml[4096], msg[2048];
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");   /* STRICT_TRANS_TABLES */
    task_toml(toml, sizeof toml, "nen", "full", "ne", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("nen", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "not finished: %s", (unit_now("nen", NULL, msg, sizeof msg), msg));
    assert_same(ENUM_Q("ne.k"));
    assert_same(ENUM_Q("ne.m"));
    assert_same("SELECT CONCAT(COUNT(*), ':', GROUP_CONCAT(id, '=', IFNULL(e + 0, 'N') ORDER BY id)) FROM ne.r");
    assert_table_equal("ne", "k", 4);
    assert_table_equal("ne", "m", 4);
    ck_assert(operate("nen", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* the same on a non-strict target: LOAD DATA warned on ne.m and its ROLLBACK left the rows */
START_TEST(enum_error_value_lax_target_once)
{
    char toml[4096], msg[2048];
    sql(g_dst, "DROP DATABASE IF EXISTS ne");
    sql(g_dst, "SET GLOBAL sql_mode='NO_ENGINE_SUBSTITUTION'");
    task_toml(toml, sizeof toml, "nel", "full", "ne", "remove-meta = true\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("nel", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000), "not finished");
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");
    assert_same(ENUM_Q("ne.k"));
    assert_same(ENUM_Q("ne.m"));   /* before: 8 rows */
    ck_assert(operate("nel", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* a user's MyISAM table narrower than the source: row 2 would be truncated with a warning */
START_TEST(adjusted_value_named)
{
    char toml[4096], msg[2048], a[64];
    int stage;
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");
    sql(g_dst, "CREATE DATABASE na");
    sql(g_dst, "CREATE TABLE na.n (id INT PRIMARY KEY, v VARCHAR(3)) ENGINE=MyISAM");
    task_toml(toml, sizeof toml, "nad", "full", "na", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("nad", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 120000), "no pause");
    ck_assert_int_eq(unit_now("nad", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
    fprintf(stderr, "paused: %s\n", msg);
    ck_assert_ptr_nonnull(strstr(msg, "code=34995"));
    ck_assert_ptr_nonnull(strstr(msg, "Warning 1406: Data too long for column 'v' at row 2"));
    ck_assert_ptr_nonnull(strstr(msg, "not transactional"));
    value(g_dst, "SELECT COUNT(*) FROM na.n", a, sizeof a);
    ck_assert_str_eq(a, "3");   /* the rows are there (MyISAM), the message says so */
    ck_assert(operate("nad", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* kill -9 while statements go into a key-less MyISAM table: never doubled rows */
START_TEST(kill_during_myisam_statement)
{
    char toml[4096], msg[2048], a[64];
    int stage, unit;
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "80", 1);
    stop_worker(SIGTERM);
    spawn_worker();
    task_toml(toml, sizeof toml, "nkm", "full", "nk", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("nkm", PB__UNIT_TYPE__Load, PB__STAGE__Running, 90000), "no Load");
    value(g_dst, "SELECT COUNT(*) FROM nk.m", a, sizeof a);
    for (int i = 0; i < 600 && atoll(a) == 0; i++) {
        usleep(20000);
        value(g_dst, "SELECT COUNT(*) FROM nk.m", a, sizeof a);
    }
    stop_worker(SIGKILL);   /* inside a statement's window: the delay runs before its commit */
    unsetenv("DMGW_LOAD_STMT_DELAY_MS");
    spawn_worker();
    for (int i = 0; i < 600; i++) {
        unit = unit_now("nkm", &stage, msg, sizeof msg);
        if (stage == PB__STAGE__Paused || stage == PB__STAGE__Finished)
            break;
        usleep(200000);
    }
    (void)unit;
    if (stage == PB__STAGE__Paused) {
        fprintf(stderr, "paused: %s\n", msg);
        ck_assert_ptr_nonnull(strstr(msg, "code=34994"));
        ck_assert_ptr_nonnull(strstr(msg, "`nk`.`m`"));
        ck_assert(operate("nkm", PB__TASK_OP__Stop, msg, sizeof msg));
        sql(g_dst, "TRUNCATE TABLE nk.m");
        task_toml(toml, sizeof toml, "nkm", "full", "nk", "remove-meta = true\n");
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start again: %s", msg);
        ck_assert_msg(wait_unit("nkm", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                      "not finished after TRUNCATE + remove-meta");
    } else {
        ck_assert_int_eq(stage, PB__STAGE__Finished);
    }
    assert_same("SELECT CONCAT(COUNT(*), '-', SUM(CRC32(CONCAT(a, b)))) FROM nk.m");
    ck_assert(operate("nkm", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* kill -9 mid-load with table names that differ only in non-latin1 characters or letter
 * case (a target server whose default charset is latin1, as the sandbox's): each file keeps
 * its own checkpoint row, the resume finishes equal */
START_TEST(kill_with_names_checkpoint_exact)
{
    char toml[4096], msg[2048];
    int stage = -1;
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "100", 1);
    stop_worker(SIGTERM);
    spawn_worker();
    task_toml(toml, sizeof toml, "nct", "full", "nc", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("nct", PB__UNIT_TYPE__Load, PB__STAGE__Running, 90000), "no Load");
    for (int i = 0; i < 900; i++) {   /* both big tables have rows: their files are under way */
        char a[64];
        value(g_dst, "SELECT IF(EXISTS (SELECT 1 FROM nc.`表a`) AND EXISTS (SELECT 1 FROM nc.Tc), 1, 0)",
              a, sizeof a);
        if (strcmp(a, "1") == 0)
            break;
        usleep(20000);
    }
    stop_worker(SIGKILL);
    unsetenv("DMGW_LOAD_STMT_DELAY_MS");
    spawn_worker();
    for (int i = 0; i < 600; i++) {
        unit_now("nct", &stage, msg, sizeof msg);
        if (stage == PB__STAGE__Paused || stage == PB__STAGE__Finished)
            break;
        usleep(200000);
    }
    ck_assert_msg(stage == PB__STAGE__Finished, "not finished: %s", msg);
    assert_same("SELECT CONCAT(COUNT(*), '-', SUM(CRC32(v))) FROM nc.`表a`");
    assert_same("SELECT CONCAT(COUNT(*), '-', SUM(CRC32(v))) FROM nc.`中a`");
    assert_same("SELECT CONCAT(COUNT(*), '-', SUM(CRC32(v))) FROM nc.Tc");
    assert_same("SELECT CONCAT(COUNT(*), '-', SUM(CRC32(v))) FROM nc.tc");
    ck_assert(operate("nct", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_nontx");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, enum_error_value_strict_target);
    tcase_add_test(tc, enum_error_value_lax_target_once);
    tcase_add_test(tc, adjusted_value_named);
    tcase_add_test(tc, kill_during_myisam_statement);
    tcase_add_test(tc, kill_with_names_checkpoint_exact);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_all_sqlmode.c - task-mode all between a permissive source and a target whose global
 * sql_mode reads SQL another way (TRADITIONAL, NO_BACKSLASH_ESCAPES, ANSI_QUOTES,
 * PIPES_AS_CONCAT, EMPTY_STRING_IS_NULL, PAD_CHAR_TO_FULL_LENGTH, NO_AUTO_VALUE_ON_ZERO):
 * zero dates, id 0 of an AUTO_INCREMENT column, backslashes and quotes, '' and NULL, CHAR
 * with trailing spaces, DECIMAL(65,30) extremes and a STORED generated column arrive equal
 * through the Load (its INSERT path: the target's modes turn LOAD DATA off) and the Sync.
 * And an ENUM column holding the error value '' (index 0, stored by a non-strict source):
 * a strict target refused it (Error 1265: the task paused in Load); since session 11 the
 * Load runs such a statement once more without STRICT_* and the target holds index 0, equal
 * (docs/worker.md, "Random full / all hunt"; more in test_load_nontx.c). */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define ROW_Q "SELECT GROUP_CONCAT(id, HEX(d), HEX(dt), HEX(s), '/', HEX(c), '/', " \
              "IFNULL(HEX(b), 'N'), e, x, HEX(g) ORDER BY id) FROM sm.t"

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "SET GLOBAL sql_mode='NO_AUTO_VALUE_ON_ZERO'");
    sql(g_dst, "SET GLOBAL sql_mode='TRADITIONAL,NO_BACKSLASH_ESCAPES,ANSI_QUOTES,"
               "PIPES_AS_CONCAT,EMPTY_STRING_IS_NULL,PAD_CHAR_TO_FULL_LENGTH,NO_AUTO_VALUE_ON_ZERO'");
    sql(g_src, "CREATE DATABASE sm");
    sql(g_src, "CREATE TABLE sm.t (id INT AUTO_INCREMENT PRIMARY KEY, d DATE DEFAULT '0000-00-00', "
               "dt DATETIME NOT NULL, s VARCHAR(20) NOT NULL DEFAULT '', c CHAR(5), b VARBINARY(10), "
               "e ENUM('a','b') NOT NULL, x DECIMAL(65,30), g VARCHAR(30) AS (CONCAT(s, '|')) STORED)");
    sql(g_src, "INSERT INTO sm.t (id, d, dt, s, c, b, e, x) VALUES "
               "(0, '0000-00-00', '2020-00-05 00:00:00', '', 'a ', '', 'a', "
               "-99999999999999999999999999999999999.999999999999999999999999999999), "
               "(1, '2020-02-00', '0000-00-00 00:00:00', 'a\\\\b\\\"c''d', '', 0x00, 'b', 1e-30), "
               "(2, NULL, '2020-01-01', 'x', NULL, NULL, 'a', NULL)");
    sql(g_src, "CREATE DATABASE se");
    sql(g_src, "CREATE TABLE se.t (id INT PRIMARY KEY, e ENUM('a','b') NOT NULL, s SET('p','q'))");
    sql(g_src, "INSERT INTO se.t VALUES (1, '', 'p,zz'), (2, 'b', ''), (3, 'a', NULL)");
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

/* both sides read with the server's default sql_mode (PAD_CHAR_TO_FULL_LENGTH changes reads) */
static void modes_default(void)
{
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");
    sql(g_src, "SET GLOBAL sql_mode=DEFAULT");
}

START_TEST(target_reads_sql_another_way)
{
    char toml[4096], msg[2048], a[1024], b[1024];
    task_toml(toml, sizeof toml, "smt", "all", "sm", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("smt", PB__UNIT_TYPE__Sync, PB__STAGE__Running, 120000), "no Sync");
    sql(g_src, "INSERT INTO sm.t (id, d, dt, s, c, b, e, x) VALUES (10, '0000-00-00', "
               "'2020-00-05 00:00:00', '', 'a ', '', 'b', 5), (11, '2020-02-00', "
               "'0000-00-00 00:00:00', 'q\\\\', '', 0x00, 'b', 1e-30)");
    sql(g_src, "UPDATE sm.t SET s = '' WHERE id = 1");
    sql(g_src, "DELETE FROM sm.t WHERE id = 2");
    sql(g_src, "INSERT INTO sm.t (id, d, dt, s, c, b, e, x) VALUES (12, '0000-00-00', '2020-01-01', "
               "'z', 'end', NULL, 'a', 0)");
    /* the last row on the target: the Sync got through the ones before it */
    ck_assert_msg(converge("SELECT COUNT(*) FROM sm.t WHERE id = 12",
                           "SELECT COUNT(*) FROM sm.t WHERE id = 12", 60000), "no row 12");
    modes_default();
    assert_table_equal("sm", "t", 4);
    value(g_src, ROW_Q, a, sizeof a);
    value(g_dst, ROW_Q, b, sizeof b);
    ck_assert_str_eq(b, a);
    assert_sync_then_stop("smt");
}
END_TEST

START_TEST(enum_error_value_loads_on_strict_target)
{
    char toml[4096], msg[2048], a[256], b[256];
    sql(g_dst, "SET GLOBAL sql_mode=DEFAULT");   /* STRICT_TRANS_TABLES */
    task_toml(toml, sizeof toml, "ent", "full", "se", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("ent", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "not finished: %s", (unit_now("ent", NULL, msg, sizeof msg), msg));
    assert_table_equal("se", "t", 3);
    value(g_src, "SELECT GROUP_CONCAT(id, ':', e + 0, ':', IFNULL(s + 0, 'N') ORDER BY id) FROM se.t", a, sizeof a);
    value(g_dst, "SELECT GROUP_CONCAT(id, ':', e + 0, ':', IFNULL(s + 0, 'N') ORDER BY id) FROM se.t", b, sizeof b);
    ck_assert_str_eq(b, a);   /* 1:0:1 - index 0 as on the source */
    ck_assert(operate("ent", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_sqlmode");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, target_reads_sql_another_way);
    tcase_add_test(tc, enum_error_value_loads_on_strict_target);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_load_rerun.c - task-mode full loaded again over its own rows (real dm-worker, real
 * MariaDB, the packaged mydumper): a kill -9 during Load resumes exactly once for every
 * table shape (primary key, key-less with duplicate rows, nullable unique key only, two
 * key-less shards routed into one table, a target table that held a user's rows); then
 * stop-task and start-task with remove-meta over the loaded target. Keyed tables stop on
 * Error 1062, as in DM; key-less tables took every row a second time, silently (the
 * target held twice the source's rows). Now the Load refuses them before loading anything
 * (34999, load_keyless.h) and, once the user emptied them, a resume loads each row once.
 * remove-meta also clears this source's checkpoint rows only (DM's `WHERE id = ...`):
 * another source's loader and syncer checkpoint rows of the task stay (they were deleted /
 * dropped). Then the target database is dropped under the finished loader checkpoint:
 * start-task without remove-meta re-created the tables empty and skipped every finished
 * file (the target silently lacked all rows). Now the Load refuses before creating anything
 * (34998, load_dropped.h); remove-meta loads it again; an emptied table is refused alike. */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define SUM_AB "CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',IFNULL(a,'N'),IFNULL(b,'N')))),0))"
#define SHARDS "(SELECT a, b FROM kr.s1 UNION ALL SELECT a, b FROM kr.s2) x"
#define ROUTE_SHARDS "[[route-rules]]\nschema-pattern = \"kr\"\ntable-pattern = \"s*\"\n" \
                     "target-schema = \"kr\"\ntarget-table = \"m\"\n"

static void fill_source(void)
{
    sql(g_src, "CREATE DATABASE kr");
    sql(g_src, "CREATE TABLE kr.pk (id INT PRIMARY KEY, b VARCHAR(40))");
    sql(g_src, "INSERT INTO kr.pk SELECT seq, CONCAT('p', seq) FROM kr.seq_1_to_1500");
    sql(g_src, "CREATE TABLE kr.nk (a INT, b VARCHAR(40))");
    sql(g_src, "INSERT INTO kr.nk SELECT seq %% 700, IF(seq %% 9 = 0, NULL, CONCAT('\\t', seq %% 700)) "
               "FROM kr.seq_1_to_2100");
    sql(g_src, "CREATE TABLE kr.nu (a INT NULL, b VARCHAR(40), UNIQUE KEY ua (a))");
    sql(g_src, "INSERT INTO kr.nu SELECT IF(seq %% 2 = 0, NULL, seq), 'same' FROM kr.seq_1_to_1400");
    sql(g_src, "CREATE TABLE kr.s1 (a INT, b VARCHAR(40))");
    sql(g_src, "CREATE TABLE kr.s2 (a INT, b VARCHAR(40))");
    sql(g_src, "INSERT INTO kr.s1 SELECT seq %% 50, 'shard' FROM kr.seq_1_to_1000");
    sql(g_src, "INSERT INTO kr.s2 SELECT seq %% 50, 'shard' FROM kr.seq_1_to_1000");
    sql(g_src, "CREATE TABLE kr.u (a INT, b VARCHAR(40))");
    sql(g_src, "INSERT INTO kr.u SELECT seq, 'src' FROM kr.seq_1_to_10");
}

static void setup(void)
{
    e2e_env_up();
    fill_source();
    /* a user's table on the target with rows of its own: loaded into (DM's) */
    sql(g_dst, "CREATE DATABASE kr");
    sql(g_dst, "CREATE TABLE kr.u (a INT, b VARCHAR(40))");
    sql(g_dst, "INSERT INTO kr.u VALUES (-1, 'user'), (-2, 'user'), (-3, 'user')");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "60", 1);
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static void assert_all_equal(void)
{
    assert_equal("kr.pk", "kr.pk", "CONCAT(COUNT(*),'-',SUM(CRC32(CONCAT_WS(',',id,b))))", "1500");
    assert_equal("kr.nk", "kr.nk", SUM_AB, "2100");
    assert_equal("kr.nu", "kr.nu", SUM_AB, "1400");
    assert_equal(SHARDS, "kr.m", SUM_AB, "2000");
}

/* a row of another source in the task's loader and syncer checkpoints */
static void other_source_rows(void)
{
    sql(g_dst, "CREATE TABLE IF NOT EXISTS dm_meta.rr_syncer_checkpoint (id VARCHAR(32) NOT NULL, "
               "cp_schema VARCHAR(128) NOT NULL, cp_table VARCHAR(128) NOT NULL, binlog_name "
               "VARCHAR(128), binlog_pos INT UNSIGNED, is_global BOOLEAN, UNIQUE KEY uk "
               "(id, cp_schema, cp_table))");
    sql(g_dst, "INSERT INTO dm_meta.rr_syncer_checkpoint (id, cp_schema, cp_table, binlog_name, "
               "binlog_pos, is_global) VALUES ('other-src', '', '', 'mysql-bin.000001', 4, 1)");
    sql(g_dst, "INSERT INTO dm_meta.rr_loader_checkpoint (id, filename, cp_schema, cp_table, "
               "`offset`, end_pos) VALUES ('other-src', 'kr.s9.sql', 'kr', 's9', 5, 10)");
}

/* The target dropped (then one table emptied) under the loader checkpoint of the finished
 * task: a start without remove-meta is refused, nothing loaded; remove-meta loads it again. */
static void dropped_under_checkpoint(void)
{
    char toml[4096], msg[2048], a[64];
    int stage;
    sql(g_dst, "DROP DATABASE kr");
    task_toml(toml, sizeof toml, "rr", "full", "kr", ROUTE_SHARDS);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start over the dropped db: %s", msg);
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 120000),
                  "the resume over the dropped database did not pause");
    ck_assert_int_eq(unit_now("rr", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
    fprintf(stderr, "paused: %s\n", msg);
    ck_assert_ptr_nonnull(strstr(msg, "code=34998"));
    ck_assert_ptr_nonnull(strstr(msg, "the target table `kr`.`pk` was dropped or emptied "
                                      "after the Load committed "));
    ck_assert_ptr_nonnull(strstr(msg, "`kr`.`m` (from `kr`.`s1`) was dropped"));
    ck_assert_ptr_nonnull(strstr(msg, "`kr`.`m` (from `kr`.`s2`) was dropped"));
    ck_assert_ptr_nonnull(strstr(msg, "`kr`.`nk` was dropped"));
    ck_assert_ptr_nonnull(strstr(msg, "`kr`.`nu` was dropped"));
    ck_assert_ptr_nonnull(strstr(msg, "`kr`.`u` was dropped"));
    ck_assert_ptr_nonnull(strstr(msg, "start the task with remove-meta"));
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'kr'",
          a, sizeof a);
    ck_assert_str_eq(a, "0");   /* nothing created, nothing loaded */

    ck_assert(operate("rr", PB__TASK_OP__Stop, msg, sizeof msg));
    task_toml(toml, sizeof toml, "rr", "full", "kr", "remove-meta = true\n" ROUTE_SHARDS);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start with remove-meta: %s", msg);
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "remove-meta did not load the dropped database again");
    assert_all_equal();

    /* a table emptied (not dropped) under the finished checkpoint: only it is named */
    ck_assert(operate("rr", PB__TASK_OP__Stop, msg, sizeof msg));
    sql(g_dst, "DELETE FROM kr.pk");
    task_toml(toml, sizeof toml, "rr", "full", "kr", ROUTE_SHARDS);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start over the emptied table: %s", msg);
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 120000),
                  "the resume over the emptied table did not pause");
    ck_assert_int_eq(unit_now("rr", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
    ck_assert_ptr_nonnull(strstr(msg, "code=34998"));
    ck_assert_ptr_nonnull(strstr(msg, "the target table `kr`.`pk` was dropped or emptied"));
    ck_assert_ptr_null(strstr(msg, "`kr`.`nk`"));
    value(g_dst, "SELECT COUNT(*) FROM kr.pk", a, sizeof a);
    ck_assert_str_eq(a, "0");
    ck_assert(operate("rr", PB__TASK_OP__Stop, msg, sizeof msg));
}

START_TEST(reload_over_own_rows)
{
    char toml[4096], msg[2048], a[64];
    int stage;
    task_toml(toml, sizeof toml, "rr", "full", "kr", ROUTE_SHARDS);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Running, 90000),
                  "never reached Load");
    stop_worker(SIGKILL);   /* mid-load: the Load commits one statement per 60 ms */
    value(g_dst, "SELECT (SELECT COUNT(*) FROM kr.pk) + (SELECT COUNT(*) FROM kr.nk) + "
                 "(SELECT COUNT(*) FROM kr.nu) + (SELECT COUNT(*) FROM kr.m)", a, sizeof a);
    ck_assert_msg(atoll(a) > 0 && atoll(a) < 7000, "killed mid-load: %s rows", a);
    spawn_worker();
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "did not finish after the kill -9");
    assert_all_equal();
    value(g_dst, "SELECT CONCAT(COUNT(*), '/', SUM(b = 'user')) FROM kr.u", a, sizeof a);
    ck_assert_str_eq(a, "13/3");   /* the user's rows and the source's */

    /* stop-task, start-task --remove-meta over the loaded target */
    ck_assert(operate("rr", PB__TASK_OP__Stop, msg, sizeof msg));
    other_source_rows();
    task_toml(toml, sizeof toml, "rr", "full", "kr", "remove-meta = true\n" ROUTE_SHARDS);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start again: %s", msg);
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 120000),
                  "the load over its own rows did not pause");
    ck_assert_int_eq(unit_now("rr", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
    fprintf(stderr, "paused: %s\n", msg);
    ck_assert_ptr_nonnull(strstr(msg, "code=34999"));
    ck_assert_ptr_nonnull(strstr(msg, "5 source table(s) would be loaded again"));
    ck_assert_ptr_nonnull(strstr(msg, "`kr`.`nk` (from `kr`.`nk`), `kr`.`nu` (from `kr`.`nu`), "
                                      "`kr`.`m` (from `kr`.`s1`), `kr`.`m` (from `kr`.`s2`), "
                                      "`kr`.`u` (from `kr`.`u`)"));
    assert_all_equal();   /* nothing loaded twice */
    value(g_dst, "SELECT COUNT(*) FROM kr.u", a, sizeof a);
    ck_assert_str_eq(a, "13");
    value(g_dst, "SELECT CONCAT((SELECT COUNT(*) FROM dm_meta.rr_loader_checkpoint WHERE "
                 "id = 'other-src'), '/', (SELECT COUNT(*) FROM dm_meta.rr_syncer_checkpoint "
                 "WHERE id = 'other-src'))", a, sizeof a);
    ck_assert_str_eq(a, "1/1");   /* remove-meta of this source left them */

    /* the user empties the tables (as DM asks before a new full load) and resumes */
    sql(g_dst, "TRUNCATE TABLE kr.pk");
    sql(g_dst, "TRUNCATE TABLE kr.nk");
    sql(g_dst, "TRUNCATE TABLE kr.nu");
    sql(g_dst, "TRUNCATE TABLE kr.m");
    sql(g_dst, "TRUNCATE TABLE kr.u");
    unsetenv("DMGW_LOAD_STMT_DELAY_MS");
    ck_assert(operate("rr", PB__TASK_OP__Resume, msg, sizeof msg));
    ck_assert_msg(wait_unit("rr", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "did not finish after the tables were emptied");
    assert_all_equal();
    value(g_dst, "SELECT COUNT(*) FROM kr.u", a, sizeof a);
    ck_assert_str_eq(a, "10");
    ck_assert(operate("rr", PB__TASK_OP__Stop, msg, sizeof msg));
    dropped_under_checkpoint();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_rerun");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 400);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reload_over_own_rows);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

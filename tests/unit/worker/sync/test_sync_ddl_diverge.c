/* test_sync_ddl_diverge.c - silent divergences in DDL handling and replication rules found
 * by probing the Sync unit as an adversarial user (session 8), with real MariaDB, the tasks
 * of rowimg_e2e.h (rt -> rt_n normal mode, rt -> rt_s safe mode) and tasks of their own:
 *  - multi-spec ALTER TABLEs that DM's split changed the meaning of (one ALTER resolves
 *    names against the old table and applies table options to every spec): the target got
 *    another table - columns, indexes, charsets - while the task kept running (a split
 *    part's "duplicate" error was ignored as a replay); compared column by column and
 *    index by index with the source, rows too;
 *  - wildcard ranges (`[0-9]`, `[!x]`) in black-white-list and route patterns: they were
 *    literal bytes, so `rq_[0-9]` replicated nothing;
 *  - a table matching two route rules pauses (36031) instead of going to the first one;
 *  - RENAME of an unreplicated table into the replicated set, CREATE TABLE ... LIKE an
 *    unreplicated table pause (36017): the target has no such table, its ALTERs were
 *    ignored as "no such table" until a row paused the task;
 *  - EXCHANGE PARTITION between a replicated and an unreplicated table pauses (36017): it
 *    failed on the target as "no such table", ignored, the rows stayed;
 *  - TRUNCATE / DROP TABLE / RENAME / DROP DATABASE of one of the source tables a route
 *    merges into one target pause (36017): the target lost the other tables' rows;
 *  - an ALTER of a merged table that the target ignored as "duplicate column" after another
 *    source table's ALTER added it elsewhere pauses (36017): that table's rows went into
 *    other columns (positional apply); the same ALTER on both replicates as before.
 * The tests run in order, sharing sandboxes, worker and tasks. */
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

/* Column and index definitions of schema.table, comparable across servers. */
static void shape_query(char *out, size_t cap, const char *schema, const char *table)
{
    snprintf(out, cap,
             "SELECT CONCAT((SELECT GROUP_CONCAT(CONCAT_WS(':', column_name, column_type, "
             "IFNULL(character_set_name, '-'), IFNULL(collation_name, '-'), is_nullable, "
             "IFNULL(column_default, '-')) ORDER BY ordinal_position) FROM "
             "information_schema.columns WHERE table_schema = '%s' AND table_name = '%s'), '|', "
             "IFNULL((SELECT GROUP_CONCAT(CONCAT_WS(':', index_name, seq_in_index, column_name, "
             "non_unique) ORDER BY index_name, seq_in_index) FROM information_schema.statistics "
             "WHERE table_schema = '%s' AND table_name = '%s'), ''), '|', (SELECT "
             "CONCAT_WS(':', table_collation, IFNULL(table_comment, '')) FROM "
             "information_schema.tables WHERE table_schema = '%s' AND table_name = '%s'))",
             schema, table, schema, table, schema, table);
}

/* rt.<table> has the same shape and rows in rt_n and rt_s (every column, HEX). */
static void same_table(const char *table)
{
    static const char *const targets[] = { "rt_n", "rt_s" };
    char qs[2048], qd[2048], cols[1024], q[512];
    size_t i;
    snprintf(q, sizeof q, "SELECT GROUP_CONCAT(CONCAT('HEX(`', column_name, '`)') ORDER BY "
             "ordinal_position) FROM information_schema.columns WHERE table_schema = 'rt' AND "
             "table_name = '%s'", table);
    value(g_src, q, cols, sizeof cols);
    ck_assert_msg(cols[0] && strcmp(cols, "ERR") != 0, "no columns of rt.%s", table);
    shape_query(qs, sizeof qs, "rt", table);
    for (i = 0; i < 2; i++) {
        shape_query(qd, sizeof qd, targets[i], table);
        ck_assert_msg(converge(qs, qd, 30000), "%s.%s: another table than the source's",
                      targets[i], table);
    }
    ck_assert_int_eq(rt_converge(table, cols), 3);
}

/* Each ALTER on its own copy of one table with rows; a row after it. Split as DM does,
 * each gave another table (noted: what the target had). */
START_TEST(alter_specs_kept_whole)
{
    static const char *const alters[] = {
        /* target: id,b (the rename failed as duplicate, then the old a was dropped) */
        "RENAME COLUMN b TO a, DROP COLUMN a",
        /* target: no e (added, then dropped) */
        "ADD e INT FIRST, DROP COLUMN IF EXISTS e",
        /* target: no BIGINT b (the ADD failed as duplicate) */
        "ADD b BIGINT, RENAME COLUMN b TO c",
        /* target: index ka (the rename failed as duplicate, kb went with b) */
        "RENAME INDEX ka TO kb, DROP b",
        /* target: no unique ka (the ADD failed as duplicate, ka went with a) */
        "ADD UNIQUE ka (b), DROP COLUMN a",
        /* target: c latin1 (the old default) */
        "ADD c VARCHAR(10), DEFAULT CHARSET utf8mb4",
        /* target: c latin1_swedish_ci */
        "ADD c VARCHAR(10), COLLATE latin1_bin",
        /* target: b latin1 (the MODIFY ran after the conversion) */
        "CONVERT TO CHARACTER SET utf8mb4, MODIFY b VARCHAR(10) CHARACTER SET latin1",
    };
    char t[16];
    size_t i;
    for (i = 0; i < sizeof alters / sizeof alters[0]; i++) {
        snprintf(t, sizeof t, "al%zu", i);
        sqli("FULL", "CREATE TABLE rt.%s (id INT PRIMARY KEY, a INT, b VARCHAR(10), KEY ka (a), "
                     "KEY kb (b)) DEFAULT CHARSET=latin1; INSERT INTO rt.%s (id, b) VALUES "
                     "(1, 'x'), (2, 'y'); ALTER TABLE rt.%s %s; INSERT INTO rt.%s (id) VALUES (3)",
             t, t, t, alters[i], t);
    }
    for (i = 0; i < sizeof alters / sizeof alters[0]; i++) {
        snprintf(t, sizeof t, "al%zu", i);
        same_table(t);
    }
    assert_running("norm");
    assert_running("safe");
}
END_TEST

static void task_up(const char *name, const char *rules)
{
    char toml[4096], msg[2048];
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 2\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n%s",
             name, g_file, g_pos, g_src, g_dst, rules);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

/* `[0-9]` / `[!x]` as tidb-tools' table selector takes them: rq_1.t_1 and rq_2.t_2 merge
 * into rq_m.t, rq_1.t_x goes to rq_m.t_x (schema rule); before, nothing replicated. */
START_TEST(wildcard_ranges_route)
{
    task_up("rng", "[black-white-list]\ndo-dbs = [\"rq_[0-9]\"]\n"
                   "[[route-rules]]\nschema-pattern = \"rq_[0-9]\"\ntarget-schema = \"rq_m\"\n"
                   "[[route-rules]]\nschema-pattern = \"rq_[0-9]\"\ntable-pattern = \"t_[!x]\"\n"
                   "target-schema = \"rq_m\"\ntarget-table = \"t\"\n");
    sqli("FULL", "CREATE DATABASE rq_1; CREATE DATABASE rq_2; CREATE DATABASE rq_x;"
                 "CREATE TABLE rq_1.t_1 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE rq_2.t_2 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE rq_1.t_x (id INT PRIMARY KEY);"
                 "CREATE TABLE rq_x.t_1 (id INT PRIMARY KEY, v INT);"
                 "INSERT INTO rq_1.t_1 VALUES (1, 1); INSERT INTO rq_2.t_2 VALUES (2, 2);"
                 "INSERT INTO rq_1.t_x VALUES (7); INSERT INTO rq_x.t_1 VALUES (9, 9)");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id, ':', v ORDER BY id) FROM rq_m.t",
                         "1:1,2:2", 30000));
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id) FROM rq_m.t_x", "7", 30000));
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.schemata WHERE "
                                "schema_name LIKE 'rq\\_%' AND schema_name <> 'rq_m'", "0", 1000));
    assert_running("rng");
}
END_TEST

/* Task `name` ends Paused with an error holding want1 and want2. */
static void task_paused(const char *name, const char *want1, const char *want2)
{
    char msg[2048];
    long long end = tu_now_ms() + 30000;
    while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(strstr(msg, want1) && strstr(msg, want2), "%s: %s", name, msg);
}

/* ra.tx matches `t*` and `t?`: which merged table is meant is unknown. */
START_TEST(ambiguous_route_pauses)
{
    char msg[2048];
    task_up("amb", "[black-white-list]\ndo-dbs = [\"ra\"]\n"
                   "[[route-rules]]\nschema-pattern = \"ra\"\ntable-pattern = \"t*\"\n"
                   "target-schema = \"ra_1\"\ntarget-table = \"t\"\n"
                   "[[route-rules]]\nschema-pattern = \"ra\"\ntable-pattern = \"t?\"\n"
                   "target-schema = \"ra_2\"\ntarget-table = \"t\"\n");
    sqli("FULL", "CREATE DATABASE ra; CREATE TABLE ra.tx (id INT PRIMARY KEY)");
    task_paused("amb", "36031", "`ra`.`tx` matches 2 table route rules");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema LIKE 'ra%'",
          msg, sizeof msg);
    ck_assert_str_eq(msg, "0");
}
END_TEST

/* The table's rows are not in the binlog: nothing to replicate exactly. Before, the RENAME
 * and the CREATE ... LIKE were skipped (DM's skipQuery), the ALTER after them ignored as
 * "no such table" on the target, and only a row paused the task. */
START_TEST(across_the_rules_pauses)
{
    char v[64];
    task_up("into", "[black-white-list]\ndo-dbs = [\"ri\"]\n");
    task_up("like", "[black-white-list]\ndo-dbs = [\"rl\"]\n");
    task_up("exch", "[black-white-list]\ndo-dbs = [\"rx\"]\n");
    sqli("FULL", "CREATE DATABASE rx; CREATE TABLE rx.p (id INT PRIMARY KEY, v INT) PARTITION BY "
                 "RANGE (id) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN "
                 "(20)); INSERT INTO rx.p VALUES (1, 1), (11, 11)");
    sqli("FULL", "CREATE DATABASE ri; CREATE DATABASE rl; CREATE DATABASE ro;"
                 "CREATE TABLE ro.t (id INT PRIMARY KEY); INSERT INTO ro.t VALUES (1);"
                 "CREATE TABLE rl.t LIKE ro.t; RENAME TABLE ro.t TO ri.t; ALTER TABLE ri.t ADD c INT;"
                 "CREATE TABLE ro.px (id INT PRIMARY KEY, v INT); INSERT INTO ro.px VALUES (15, 99);"
                 "ALTER TABLE rx.p EXCHANGE PARTITION p1 WITH TABLE ro.px");
    task_paused("into", "36017", "RENAME of unreplicated `ro`.`t` to replicated `ri`.`t`");
    task_paused("like", "36017", "CREATE TABLE `rl`.`t` LIKE unreplicated `ro`.`t`");
    task_paused("exch", "36017", "EXCHANGE PARTITION of replicated `rx`.`p` with unreplicated "
                                 "`ro`.`px`");
    value(g_dst, "SELECT GROUP_CONCAT(id, ':', v ORDER BY id) FROM rx.p", v, sizeof v);
    ck_assert_str_eq(v, "1:1,11:11");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema IN "
                 "('ri', 'rl', 'ro')", v, sizeof v);
    ck_assert_str_eq(v, "0");
}
END_TEST

/* s_1.t_1 and s_2.t_2 merged into mg.t: TRUNCATE s_1.t_1 emptied mg.t, s_2's row too. */
START_TEST(merged_truncate_pauses)
{
    char v[64];
    task_up("mrg", "[black-white-list]\ndo-dbs = [\"mg_*\"]\n"
                   "[[route-rules]]\nschema-pattern = \"mg_*\"\ntarget-schema = \"mg\"\n"
                   "[[route-rules]]\nschema-pattern = \"mg_*\"\ntable-pattern = \"t_*\"\n"
                   "target-schema = \"mg\"\ntarget-table = \"t\"\n");
    sqli("FULL", "CREATE DATABASE mg_1; CREATE DATABASE mg_2;"
                 "CREATE TABLE mg_1.t_1 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE mg_2.t_2 (id INT PRIMARY KEY, v INT);"
                 "INSERT INTO mg_1.t_1 VALUES (1, 1); INSERT INTO mg_2.t_2 VALUES (2, 2)");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM mg.t", "1,2", 30000));
    assert_running("mrg");
    sqli("FULL", "TRUNCATE mg_1.t_1");
    task_paused("mrg", "36017", "TRUNCATE of `mg_1`.`t_1`, whose route (schema-pattern "
                                "\"mg_*\") merges other source names into `mg`.`t`");
    value(g_dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM mg.t", v, sizeof v);
    ck_assert_str_eq(v, "1,2");
}
END_TEST

/* mh_1.t_1 ADD c AFTER id, mh_2.t_2 ADD c at the end: the second failed on mh.t as
 * duplicate (ignored) and mh_2's rows (id, v, c) were written as (id, c, v). The same ALTER
 * on both tables (d) goes on as before. */
START_TEST(merged_alter_other_shape_pauses)
{
    char v[64];
    task_up("mrgs", "[black-white-list]\ndo-dbs = [\"mh_*\"]\n"
                    "[[route-rules]]\nschema-pattern = \"mh_*\"\ntarget-schema = \"mh\"\n"
                    "[[route-rules]]\nschema-pattern = \"mh_*\"\ntable-pattern = \"t_*\"\n"
                    "target-schema = \"mh\"\ntarget-table = \"t\"\n");
    sqli("FULL", "CREATE DATABASE mh_1; CREATE DATABASE mh_2;"
                 "CREATE TABLE mh_1.t_1 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE mh_2.t_2 (id INT PRIMARY KEY, v INT);"
                 "ALTER TABLE mh_1.t_1 ADD d INT; ALTER TABLE mh_2.t_2 ADD d INT;"
                 "INSERT INTO mh_1.t_1 VALUES (1, 1, 1); INSERT INTO mh_2.t_2 VALUES (2, 2, 2)");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(id, v, d ORDER BY id) FROM mh.t", "111,222",
                         30000));
    assert_running("mrgs");
    sqli("FULL", "ALTER TABLE mh_1.t_1 ADD c INT AFTER id; ALTER TABLE mh_2.t_2 ADD c INT;"
                 "INSERT INTO mh_2.t_2 VALUES (4, 4, 4, 40)");
    task_paused("mrgs", "36017", "`mh_2`.`t_2` is merged into `mh`.`t`, which another source "
                                 "table's DDL already changed");
    value(g_dst, "SELECT COUNT(*) FROM mh.t WHERE id = 4", v, sizeof v);
    ck_assert_str_eq(v, "0");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_ddl_diverge");
    TCase *tc = tcase_create("ddl");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, alter_specs_kept_whole);
    tcase_add_test(tc, wildcard_ranges_route);
    tcase_add_test(tc, ambiguous_route_pauses);
    tcase_add_test(tc, across_the_rules_pauses);
    tcase_add_test(tc, merged_truncate_pauses);
    tcase_add_test(tc, merged_alter_other_shape_pauses);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

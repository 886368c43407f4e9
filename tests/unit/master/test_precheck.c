/* test_precheck.c - master/precheck.c against a real MariaDB sandbox
 * (scripts/mariadb-sandbox.sh): passes on ROW/FULL, fails with DM's 26005 message, DM's
 * result names (mysql_binlog_format, ...) and a readable detail once binlog_format is
 * STATEMENT; honours ignore-checking-items; table_schema warnings, schema_of_shard_tables
 * and auto_increment_ID over real tables routed together; the settings this dm-worker
 * refuses fail check-task even with every DM item ignored (issue 12 item 9); extra-args
 * --rows over a key mydumper cannot chunk is an error naming table and column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "master_int.h"
#include "subtask.h"
#include "taskcfg.h"
#include "testutil.h"

static char *dir;
static int port;
static struct master_db_cfg *src;

/* scripts/mariadb-sandbox.sh <verb> <dir> [port] [extra shell text] */
static int sandbox(const char *verb, int p, const char *extra)
{
    char cmd[4096];
    if (p)
        snprintf(cmd, sizeof(cmd), "%s/scripts/mariadb-sandbox.sh %s %s %d %s", tu_source_dir(), verb, dir, p, extra);
    else
        snprintf(cmd, sizeof(cmd), "%s/scripts/mariadb-sandbox.sh %s %s %s", tu_source_dir(), verb, dir, extra);
    return system(cmd);
}

static void sql(const char *stmts)
{
    char extra[3072];
    snprintf(extra, sizeof(extra), "-e \"%s\"", stmts);
    ck_assert_int_eq(sandbox("client", 0, extra), 0);
}

/* an incremental task over source s1 = the sandbox; `more` is top-level YAML, `inst` more
 * keys of the instance (indented 4) */
static struct master_task_cfg *task(const char *more, const char *inst)
{
    char y[4096];
    snprintf(y, sizeof(y),
             "name: t\ntask-mode: incremental\n%s\n"
             "target-database: {host: 127.0.0.1, port: %d, user: root, password: ''}\n"
             "mysql-instances:\n  - source-id: s1\n    meta: {binlog-name: mysql-bin.000001, binlog-pos: 4}\n%s",
             more, port, inst);
    struct master_task_cfg *c = NULL;
    char *err = NULL;
    ck_assert_msg(master_taskcfg_parse(y, strlen(y), &c, &err) == DM_OK, "%s", err);
    return c;
}

/* precheck of `c` (freed); NULL when it passed, else the owned message */
static char *run(struct master_task_cfg *c)
{
    struct master_db_cfg *srcs[1] = {src};
    char *err = NULL;
    int rc = master_precheck(c, srcs, &err);
    master_taskcfg_free(c);
    ck_assert_msg((rc == DM_OK) == (err == NULL), "rc %d err %s", rc, err ? err : "");
    return err;
}

static void expect_pass(struct master_task_cfg *c)
{
    char *err = run(c);
    ck_assert_msg(err == NULL, "%s", err);
}

static char *expect_fail(struct master_task_cfg *c, const char *needle)
{
    char *err = run(c);
    ck_assert_msg(err != NULL, "precheck passed, wanted %s", needle);
    ck_assert_msg(strncmp(err, "[code=26005:class=dm-master:scope=internal:level=medium] fail to check "
                               "synchronization configuration with type: check was failed, please see detail\n"
                               " detail: {", 152) == 0, "%s", err);
    ck_assert_msg(strstr(err, needle) != NULL, "want %s in %s", needle, err);
    return err;
}

START_TEST(server_checks)
{
    expect_pass(task("", ""));
    sql("SET GLOBAL binlog_format='STATEMENT'");
    char *err = expect_fail(task("", ""), "binlog_format is STATEMENT, and should be ROW");
    ck_assert_msg(strstr(err, "\"name\": \"mysql_binlog_format\"") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "please execute 'set global binlog_format=ROW;'") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"failed\": 1") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"id\": 2,") != NULL, "%s", err);   /* version 0, enable 1, format 2 */
    free(err);
    expect_pass(task("ignore-checking-items: [binlog_format]", ""));
    sql("SET GLOBAL binlog_format='ROW'");

    char *host = src->host;
    int64_t p = src->port;
    src->port = tu_free_port();
    err = expect_fail(task("", ""), "check connection to source db");
    free(err);
    src->port = p;
    src->host = host;
}
END_TEST

/* task-mode all: mydumper must be found (the message names the package) */
START_TEST(mydumper_presence)
{
    char y[1024], *err = NULL;
    for (int missing = 0; missing < 2; missing++) {
        struct master_task_cfg *c = NULL;
        snprintf(y, sizeof(y),
                 "name: t\ntask-mode: all\n"
                 "target-database: {host: 127.0.0.1, port: %d, user: root, password: ''}\n"
                 "mysql-instances:\n  - source-id: s1\n    mydumper: {mydumper-path: %s}\n",
                 port, missing ? "/nonexistent/mydumper" : "./bin/mydumper");
        ck_assert_msg(master_taskcfg_parse(y, strlen(y), &c, &err) == DM_OK, "%s", err);
        if (!missing) {
            expect_pass(c);
            continue;
        }
        err = expect_fail(c, "mydumper not found (mydumper-path /nonexistent/mydumper, PATH)");
        ck_assert_msg(strstr(err, "apt-get install mydumper") != NULL, "%s", err);
        free(err);
    }
}
END_TEST

START_TEST(unsupported_settings)
{
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {"is-sharding: true\nonline-ddl-scheme: gh-ost", "is-sharding together with online-ddl-scheme gh-ost not supported by this worker yet"},
        {"column-mappings:\n  c1: {schema-pattern: s, source-column: a, target-column: a, expression: add prefix, "
         "arguments: [x]}", "column mapping expression 'add prefix' not supported by this worker yet"},
        {"syncers:\n  big: {batch: 1000000}", "mysql-instance(0)'s syncer batch must be in [1, 100000] for this worker"},
        {"mydumpers:\n  md: {extra-args: \"--rows 5 --success-on-1146\"}",
         "mysql-instance(0)'s mydumper extra-args --success-on-1146: a table dropped while mydumper"},
        {"mydumpers:\n  md: {extra-args: \"-t 2 -dW\"}", "mydumper extra-args -d: dumps no rows"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char more[512];
        snprintf(more, sizeof(more), "%s\nignore-checking-items: [all]", cases[i].yaml);
        struct master_task_cfg *c = NULL;
        char y[2048], *err = NULL;
        snprintf(y, sizeof(y),
                 "name: t\ntask-mode: %s\n%s\ntarget-database: {host: 127.0.0.1, port: %d, user: root}\n"
                 "mysql-instances:\n  - source-id: s1\n    meta: {binlog-name: b.000001}\n%s",
                 strstr(cases[i].yaml, "mydumpers:") ? "full" : "incremental", more, port,
                 strstr(cases[i].yaml, "syncers:")     ? "    syncer-config-name: big\n"
                 : strstr(cases[i].yaml, "mydumpers:") ? "    mydumper-config-name: md\n"
                                                       : "");
        ck_assert_msg(master_taskcfg_parse(y, strlen(y), &c, &err) == DM_OK, "%s", err);
        err = expect_fail(c, cases[i].msg);
        ck_assert_msg(strstr(err, "\"name\": \"dm-worker support\"") != NULL, "%s", err);
        free(err);
    }
}
END_TEST

START_TEST(table_schema_warnings)
{
    sql("CREATE DATABASE pc_a; CREATE TABLE pc_a.nokey (a INT, b INT);"
        "CREATE TABLE pc_a.parent (id INT PRIMARY KEY);"
        "CREATE TABLE pc_a.child (id INT PRIMARY KEY, p INT, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES pc_a.parent (id));"
        /* names apart only by case, both keyed: information_schema groups them as one */
        "CREATE TABLE pc_a.Kt (id INT PRIMARY KEY); CREATE TABLE pc_a.kt (id INT PRIMARY KEY, b INT)");
    const char *bwl = "black-white-list:\n  l: {do-dbs: [pc_a]}";
    const char *inst = "    black-white-list: l\n";
    expect_pass(task(bwl, inst));   /* warnings only: DM passes */
    /* next to a failure the warnings are shown, as DM keeps every non-success result */
    sql("SET GLOBAL binlog_format='MIXED'");
    char *err = expect_fail(task(bwl, inst), "\"name\": \"table structure compatibility check\"");
    ck_assert_msg(strstr(err, "\"state\": \"warn\"") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "********** table `pc_a`.`nokey` **********") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "primary/unique key does not exist") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "Foreign Key fk_p") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "`pc_a`.`parent`") == NULL, "%s", err);   /* nothing to say about it */
    ck_assert_msg(strstr(err, "`pc_a`.`Kt`") == NULL && strstr(err, "`pc_a`.`kt`") == NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"warning\": 1") != NULL, "%s", err);
    free(err);
    err = expect_fail(task("ignore-checking-items: [table_schema]\nblack-white-list:\n  l: {do-dbs: [pc_a]}", inst),
                      "mysql_binlog_format");
    ck_assert_msg(strstr(err, "table structure") == NULL, "%s", err);
    free(err);
    sql("SET GLOBAL binlog_format='ROW'; DROP DATABASE pc_a");
}
END_TEST

/* two shards routed to one target table, their schema and their auto-increment keys */
START_TEST(shard_tables)
{
    const char *rules =
        "routes:\n  r1: {schema-pattern: pc_s, table-pattern: 't_*', target-schema: tgt, target-table: t}\n"
        "black-white-list:\n  l: {do-dbs: ['~^pc_s$']}\n"
        "column-mappings:\n  m: {schema-pattern: pc_s, table-pattern: 't_*', source-column: id, target-column: id, "
        "expression: partition id, arguments: ['1', '', 't']}";
    const char *inst = "    route-rules: [r1]\n    black-white-list: l\n";
    const char *inst_map = "    route-rules: [r1]\n    black-white-list: l\n    column-mapping-rules: [m]\n";
    char more[2048];

    sql("CREATE DATABASE pc_s; CREATE TABLE pc_s.t_1 (id INT PRIMARY KEY, a VARCHAR(10));"
        "CREATE TABLE pc_s.t_2 (id INT PRIMARY KEY, a INT); CREATE TABLE pc_s.other (x INT PRIMARY KEY)");
    char *err = expect_fail(task(rules, inst), "different column definition\\ncolumn a varchar(10) on table "
                                               "`pc_s`.`t_1`\\ncolumn a int(11) on table `pc_s`.`t_2`");
    ck_assert_msg(strstr(err, "\"name\": \"sharding table `tgt`.`t` consistency checking\"") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"extra\": \"instance s1 on sharding `tgt`.`t`\"") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "please set same table structure for sharding tables") != NULL, "%s", err);
    free(err);
    snprintf(more, sizeof(more), "ignore-checking-items: [schema_of_shard_tables]\n%s", rules);
    expect_pass(task(more, inst));

    sql("ALTER TABLE pc_s.t_2 MODIFY a VARCHAR(10), ADD b INT");
    err = expect_fail(task(rules, inst), "column length mismatch (2 vs 3)");
    free(err);

    /* same schema, auto-increment key: DM's auto_increment_ID failure */
    sql("DROP TABLE pc_s.t_1, pc_s.t_2; CREATE TABLE pc_s.t_1 (id INT AUTO_INCREMENT PRIMARY KEY, a INT);"
        "CREATE TABLE pc_s.t_2 (id INT AUTO_INCREMENT PRIMARY KEY, a INT)");
    err = expect_fail(task(rules, inst), "instance s1 table `pc_s`.`t_1` of sharding `tgt`.`t` have auto-increment "
                                         "key, would conflict with each other to cause data corruption");
    ck_assert_msg(strstr(err, "please handle it by yourself, read document") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"extra\": \"auto-increment key checking\"") != NULL, "%s", err);
    free(err);
    err = expect_fail(task(rules, inst_map), "have auto-increment key id and column mapping, but type of id should be bigint");
    free(err);
    snprintf(more, sizeof(more), "ignore-checking-items: [auto_increment_ID]\n%s", rules);
    expect_pass(task(more, inst));
    sql("ALTER TABLE pc_s.t_1 MODIFY id BIGINT AUTO_INCREMENT; ALTER TABLE pc_s.t_2 MODIFY id BIGINT AUTO_INCREMENT");
    expect_pass(task(rules, inst_map));
    /* tables not routed together are not a sharding group */
    expect_pass(task("black-white-list:\n  l: {do-dbs: [pc_s]}", "    black-white-list: l\n"));
    sql("DROP DATABASE pc_s");
}
END_TEST

/* task-mode full with mydumper extra-args `args` over the tables of pc_r */
static struct master_task_cfg *rows_task(const char *args, const char *ignore)
{
    char y[1024], *err = NULL;
    struct master_task_cfg *c = NULL;
    snprintf(y, sizeof(y),
             "name: t\ntask-mode: full\n%s\n"
             "target-database: {host: 127.0.0.1, port: %d, user: root, password: ''}\n"
             "black-white-list:\n  l: {do-dbs: [pc_r]}\n"
             "mysql-instances:\n  - source-id: s1\n    black-white-list: l\n"
             "    mydumper: {mydumper-path: ./bin/mydumper, extra-args: \"%s\"}\n",
             ignore, port, args);
    ck_assert_msg(master_taskcfg_parse(y, strlen(y), &c, &err) == DM_OK, "%s", err);
    return c;
}

/* extra-args --rows on a key mydumper 0.10 cannot chunk (worker/dump/dump_chunks.h): the
 * Dump unit would refuse the table; check-task says so first, naming table and column */
START_TEST(rows_chunking)
{
    sql("CREATE DATABASE pc_r; CREATE TABLE pc_r.ok (id INT PRIMARY KEY); INSERT INTO pc_r.ok VALUES (1),(2);"
        "CREATE TABLE pc_r.neg (k INT PRIMARY KEY, v INT); INSERT INTO pc_r.neg VALUES (-5,1),(-1,2)");
    char *err = expect_fail(rows_task("--rows 10", ""), "\"name\": \"mydumper --rows chunking check\"");
    ck_assert_msg(strstr(err, "cannot split table `pc_r`.`neg` on its key column `k` (MIN -5, MAX -1)") != NULL,
                  "%s", err);
    ck_assert_msg(strstr(err, "remove --rows (-r) from the mydumper extra-args of this task") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"failed\": 1") != NULL, "%s", err);
    free(err);
    /* the Dump unit's refusal: still checked with the table items ignored */
    err = expect_fail(rows_task("-t 2 -r5", "ignore-checking-items: [table_schema, schema_of_shard_tables]"),
                      "`pc_r`.`neg`");
    free(err);
    expect_pass(rows_task("-t 2", ""));   /* no --rows: no such item */
    expect_pass(rows_task("--rows 0", ""));
    sql("DROP TABLE pc_r.neg; CREATE TABLE pc_r.big (id BIGINT UNSIGNED PRIMARY KEY);"
        "INSERT INTO pc_r.big VALUES (1), (9223372036854775808)");
    err = expect_fail(rows_task("--rows=100", ""), "`pc_r`.`big` on its key column `id`");
    free(err);
    sql("DELETE FROM pc_r.big WHERE id > 5");
    expect_pass(rows_task("--rows=100", ""));
    sql("DROP DATABASE pc_r");
}
END_TEST

int main(void)
{
    dir = tu_mkdtemp();
    port = tu_free_port();
    if (sandbox("start", port, ">/dev/null") != 0) {
        fprintf(stderr, "mariadb sandbox unavailable\n");
        tu_rmrf(dir);
        return 77;
    }
    char toml[256], *err = NULL;
    snprintf(toml, sizeof(toml), "host = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n", port);
    if (master_dbcfg_from_toml(toml, &src, &err) != DM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    Suite *s = suite_create("precheck");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, server_checks);
    tcase_add_test(tc, mydumper_presence);
    tcase_add_test(tc, unsupported_settings);
    tcase_add_test(tc, table_schema_warnings);
    tcase_add_test(tc, shard_tables);
    tcase_add_test(tc, rows_chunking);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    sandbox("stop", 0, ">/dev/null");
    master_dbcfg_free(src);
    tu_rmrf(dir);
    free(dir);
    return rc;
}

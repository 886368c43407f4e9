/* test_online_ddl.c - online DDL (online_ddl.h) and heartbeat (heartbeat.h) end to end:
 * the real dm-worker between two MariaDB sandboxes.
 *  - pt: the real pt-online-schema-change alters app.t on the source while a background
 *    loop runs INSERT/UPDATE/DELETE on it; the target ends equal row by row (count +
 *    checksum) with the new column and index, no _t_new/_t_old, the online DDL record
 *    deleted, and a row that exists only on the target survives (the real target table
 *    was altered in place, not replaced by a copy of the shadow table).
 *  - gh-ost: its statement sequence replayed by hand (changelog and ghost tables, ALTER
 *    of the ghost table, row copy, binlog DML on the original applied to the ghost table,
 *    cut-over RENAME, drops) with a kill -9 + restart of the worker between the ALTER and
 *    the cut-over: the record is persisted in dm_meta.gho_onlineddl and reloaded; the
 *    task routes schema gh to gh_r, so the recorded DDL is applied to the routed table.
 *  - heartbeat: enable-heartbeat writes DM_HEARTBEAT.HEARTBEAT on the source, the lag is
 *    measured (worker log "replication lag") and the heartbeat schema never reaches the
 *    target.
 *  - an unknown online-ddl-scheme is refused with DM's message; renames between real and
 *    temporary names fail with DM's errors (module in-process against the target). */
#include "worker_e2e.h"
#include "applier.h"
#include "ddl.h"
#include "heartbeat.h"
#include "online_ddl.h"
#include "testutil.h"

static void task_toml(char *out, size_t cap, const char *name, const char *extra)
{
    snprintf(out, cap,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nbatch = 100\nworker-count = 4\n%s\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n",
             name, extra, g_file, g_pos, g_src, g_dst);
}

static void setup(void)
{
    char t[4096], msg[2048];
    e2e_env_up();
    master_pos();
    spawn_worker();
    task_toml(t, sizeof t, "ptt",
              "online-ddl-scheme = \"pt\"\nenable-heartbeat = true\n"
              "heartbeat-update-interval = 1\nheartbeat-report-interval = 1\n"
              "[black-white-list]\ndo-dbs = [\"app\"]\n");
    ck_assert_msg(start_task(t, msg, sizeof msg), "start ptt: %s", msg);
    task_toml(t, sizeof t, "gho",
              "online-ddl-scheme = \"gh-ost\"\n[black-white-list]\ndo-dbs = [\"gh\"]\n"
              "[[route-rules]]\nschema-pattern = \"gh\"\ntarget-schema = \"gh_r\"\n");
    ck_assert_msg(start_task(t, msg, sizeof msg), "start gho: %s", msg);
}

static void teardown(void)
{
    e2e_env_down();
}

#define SUM_T(db, cols) "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',', " cols \
    "))),0)) FROM " db ".t WHERE id < 1000000"
#define TMP_TABLES(db) "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='" db \
    "' AND TABLE_NAME LIKE '\\_t\\_%'"

static bool has_column(int port, const char *db, const char *col)
{
    char q[512], v[64];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='%s' "
             "AND TABLE_NAME='t' AND COLUMN_NAME='%s'", db, col);
    value(port, q, v, sizeof v);
    return strcmp(v, "1") == 0;
}

static bool has_index(int port, const char *db, const char *idx)
{
    char q[512], v[64];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
             "TABLE_SCHEMA='%s' AND TABLE_NAME='t' AND INDEX_NAME='%s'", db, idx);
    value(port, q, v, sizeof v);
    return strcmp(v, "0") != 0 && strcmp(v, "ERR") != 0;
}

/* Background INSERT/UPDATE/DELETE on app.t through one mariadb client until <dir>/STOP. */
static void load_start(void)
{
    char path[512], script[2048], cmd[1024];
    snprintf(path, sizeof path, "%s/load.sh", g_dir);
    snprintf(script, sizeof script,
             "i=0; RANDOM=42\n"
             "{ while [ ! -e %s/STOP ]; do i=$((i+1)); r=$RANDOM\n"
             "  case $((r %% 3)) in\n"
             "  0) echo \"INSERT INTO app.t (a,b) VALUES ($r,'v$i');\";;\n"
             "  1) echo \"UPDATE app.t SET a=a+1, b='u$i' WHERE id=$((r %% 3000 + 1));\";;\n"
             "  2) echo \"DELETE FROM app.t WHERE id=$((r %% 3000 + 1));\";;\n"
             "  esac\n"
             "done; echo $i >%s/COUNT; } | mariadb --force -h127.0.0.1 -P%d -uroot\n"
             "mv %s/COUNT %s/DONE\n", g_dir, g_dir, g_src, g_dir, g_dir);
    ck_assert_int_eq(tu_write_file(path, script, strlen(script)), 0);
    snprintf(cmd, sizeof cmd, "bash %s >%s/load.log 2>&1 &", path, g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static long load_stop(void)
{
    char path[512], *done = NULL;
    long long end = tu_now_ms() + 60000;
    long n;
    snprintf(path, sizeof path, "%s/STOP", g_dir);
    ck_assert_int_eq(tu_write_file(path, "", 0), 0);
    snprintf(path, sizeof path, "%s/DONE", g_dir);
    while (!(done = tu_read_file(path, NULL)) && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(done != NULL, "load loop did not stop");
    n = strtol(done, NULL, 10);
    free(done);
    return n;
}

START_TEST(pt_osc_under_load)
{
    char cmd[1024], a[128], b[128];
    long ops;
    sql(g_src, "CREATE DATABASE app");
    sql(g_src, "CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(32))");
    sql(g_src, "INSERT INTO app.t (a, b) SELECT seq, CONCAT('r', seq) FROM app.seq_1_to_3000");
    ck_assert(converge(SUM_T("app", "id,a,b"), NULL, 60000));
    sql(g_dst, "INSERT INTO app.t VALUES (1000000, -1, 'target only')");
    load_start();
    usleep(500000);
    snprintf(cmd, sizeof cmd,
             "pt-online-schema-change --alter 'ADD COLUMN c INT NOT NULL DEFAULT 7, ADD INDEX "
             "idx_a (a)' h=127.0.0.1,P=%d,u=root,D=app,t=t --execute --recursion-method=none "
             "--chunk-size=500 >%s/ptosc.log 2>&1", g_src, g_dir);
    ck_assert_msg(system(cmd) == 0, "pt-online-schema-change failed, see %s/ptosc.log", g_dir);
    usleep(500000);
    ops = load_stop();
    ck_assert_int_gt(ops, 100);
    ck_assert(has_column(g_src, "app", "c"));
    ck_assert(converge(SUM_T("app", "id,a,b,c"), NULL, 60000));
    value(g_src, "SELECT COUNT(*) FROM app.t", a, sizeof a);
    ck_assert_int_gt(atoi(a), 0);
    ck_assert(has_column(g_dst, "app", "c"));
    ck_assert(has_index(g_dst, "app", "idx_a"));
    value(g_dst, TMP_TABLES("app"), b, sizeof b);
    ck_assert_str_eq(b, "0");
    value(g_dst, "SELECT CONCAT(b, '/', c) FROM app.t WHERE id = 1000000", b, sizeof b);
    ck_assert_str_eq(b, "target only/7");
    value(g_dst, "SELECT COUNT(*) FROM dm_meta.ptt_onlineddl", b, sizeof b);
    ck_assert_str_eq(b, "0");
}
END_TEST

START_TEST(ghost_replay_with_restart)
{
    char v[512];
    sql(g_src, "CREATE DATABASE gh");
    sql(g_src, "CREATE TABLE gh.t (id INT PRIMARY KEY, a INT, b VARCHAR(32))");
    sql(g_src, "INSERT INTO gh.t SELECT seq, seq, CONCAT('g', seq) FROM gh.seq_1_to_100");
    ck_assert(converge(SUM_T("gh", "id,a,b"), SUM_T("gh_r", "id,a,b"), 30000));
    sql(g_dst, "INSERT INTO gh_r.t VALUES (1000000, -1, 'target only')");
    /* gh-ost: initial cleanup, changelog and ghost tables, ALTER of the ghost table */
    sql(g_src, "drop /* gh-ost */ table if exists `gh`.`_t_ghc`");
    sql(g_src, "drop /* gh-ost */ table if exists `gh`.`_t_gho`");
    sql(g_src, "create /* gh-ost */ table `gh`.`_t_ghc` (\n id bigint auto_increment,\n "
               "last_update timestamp not null DEFAULT CURRENT_TIMESTAMP ON UPDATE "
               "CURRENT_TIMESTAMP,\n hint varchar(64) charset ascii not null,\n value "
               "varchar(4096) charset ascii not null,\n primary key(id),\n unique key "
               "hint_uidx(hint)\n) auto_increment=256");
    sql(g_src, "create /* gh-ost */ table `gh`.`_t_gho` like `gh`.`t`");
    sql(g_src, "alter /* gh-ost */ table `gh`.`_t_gho` add column c int not null default 5, "
               "add key idx_a (a)");
    sql(g_src, "insert /* gh-ost */ into `gh`.`_t_ghc` (id, hint, value) values (NULLIF(2, 0), "
               "'state', 'GhostTableMigrated') on duplicate key update last_update=NOW(), "
               "value=VALUES(value)");
    sql(g_src, "INSERT INTO gh.t VALUES (101, 101, 'before restart')");
    ck_assert(converge(SUM_T("gh", "id,a,b"), SUM_T("gh_r", "id,a,b"), 30000));
    /* recorded and persisted, nothing of it on the target */
    value(g_dst, "SELECT CONCAT(ghost_schema,'.',ghost_table,' ',ddls) FROM dm_meta.gho_onlineddl",
          v, sizeof v);
    ck_assert_msg(strstr(v, "gh._t_gho {\"schema\":\"gh\",\"table\":\"t\",\"ddls\":[\"alter") == v,
                  "%s", v);
    ck_assert_msg(strstr(v, "add column c int not null default 5") != NULL, "%s", v);
    value(g_dst, TMP_TABLES("gh_r"), v, sizeof v);
    ck_assert_str_eq(v, "0");
    ck_assert(!has_column(g_dst, "gh_r", "c"));
    /* the record survives a crash */
    stop_worker(SIGKILL);
    spawn_worker();
    /* row copy, binlog DML on the original (applied by gh-ost to the ghost table) */
    sql(g_src, "insert /* gh-ost `gh`.`t` */ ignore into `gh`.`_t_gho` (`id`, `a`, `b`) (select "
               "`id`, `a`, `b` from `gh`.`t` force index (`PRIMARY`) where (((`id` >= 1)) and "
               "((`id` <= 101))) lock in share mode)");
    sql(g_src, "INSERT INTO gh.t VALUES (102, 102, 'x'), (103, 103, 'y')");
    sql(g_src, "UPDATE gh.t SET a = a * 2 WHERE id <= 20");
    sql(g_src, "DELETE FROM gh.t WHERE id BETWEEN 30 AND 39");
    sql(g_src, "replace /* gh-ost `gh`.`_t_gho` */ into `gh`.`_t_gho` (`id`, `a`, `b`) select "
               "id, a, b from gh.t where id > 101 or id <= 20");
    sql(g_src, "delete /* gh-ost `gh`.`_t_gho` */ from `gh`.`_t_gho` where id between 30 and 39");
    /* cut-over */
    sql(g_src, "create /* gh-ost */ table `gh`.`_t_del` (\n id int auto_increment primary key\n) "
               "engine=InnoDB comment='ghost-cut-over-sentry'");
    sql(g_src, "drop /* gh-ost */ table if exists `gh`.`_t_del`");
    sql(g_src, "rename /* gh-ost */ table `gh`.`t` to `gh`.`_t_del`, `gh`.`_t_gho` to `gh`.`t`");
    sql(g_src, "drop /* gh-ost */ table if exists `gh`.`_t_ghc`");
    sql(g_src, "drop /* gh-ost */ table if exists `gh`.`_t_del`");
    sql(g_src, "INSERT INTO gh.t VALUES (200, 200, 'after', 9)");
    ck_assert(converge(SUM_T("gh", "id,a,b,c"), SUM_T("gh_r", "id,a,b,c"), 30000));
    value(g_src, "SELECT COUNT(*) FROM gh.t", v, sizeof v);
    ck_assert_str_eq(v, "94");
    ck_assert(has_column(g_dst, "gh_r", "c"));
    ck_assert(has_index(g_dst, "gh_r", "idx_a"));
    value(g_dst, TMP_TABLES("gh_r"), v, sizeof v);
    ck_assert_str_eq(v, "0");
    value(g_dst, "SELECT CONCAT(b, '/', c) FROM gh_r.t WHERE id = 1000000", v, sizeof v);
    ck_assert_str_eq(v, "target only/5");
    value(g_dst, "SELECT COUNT(*) FROM dm_meta.gho_onlineddl", v, sizeof v);
    ck_assert_str_eq(v, "0");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='gh'", v,
          sizeof v);
    ck_assert_str_eq(v, "0");
}
END_TEST

/* Newest "replication lag" value of task ptt in the worker log; -1 when none yet. */
static double logged_lag(void)
{
    char path[512], *log, *p, *last = NULL;
    double lag = -1;
    snprintf(path, sizeof path, "%s/worker.log", g_dir);
    if (!(log = tu_read_file(path, NULL)))
        return -1;
    for (p = log; (p = strstr(p, "\"dm_syncer_replication_lag\":\"")); p++)
        last = p;
    if (last)
        lag = strtod(last + strlen("\"dm_syncer_replication_lag\":\""), NULL);
    free(log);
    return lag;
}

START_TEST(heartbeat_lag_and_not_replicated)
{
    char v[128];
    double lag = -1;
    long long end = tu_now_ms() + 60000;
    while ((lag = logged_lag()) < 0 && tu_now_ms() < end)
        usleep(200000);
    ck_assert_msg(lag >= 0, "no replication lag reported");
    ck_assert_msg(lag < 30, "lag %.3f s", lag);
    value(g_src, "SELECT COUNT(*) FROM DM_HEARTBEAT.HEARTBEAT WHERE ts > '2020'", v, sizeof v);
    ck_assert_int_ge(atoi(v), 1);
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                 "UPPER(SCHEMA_NAME) = 'DM_HEARTBEAT'", v, sizeof v);
    ck_assert_str_eq(v, "0");
}
END_TEST

START_TEST(unknown_scheme_refused)
{
    char t[4096], msg[2048];
    double ts;
    task_toml(t, sizeof t, "bad", "online-ddl-scheme = \"osc\"\n");
    ck_assert(!start_task(t, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "online scheme osc not supported") != NULL, "%s", msg);
    ck_assert(worker_onlineddl_scheme_valid("pt") && worker_onlineddl_scheme_valid("gh-ost") &&
              worker_onlineddl_scheme_valid("") && !worker_onlineddl_scheme_valid("PT"));
    ck_assert(worker_heartbeat_parse_ts("1970-01-02 00:00:01.500000", 26, &ts));
    ck_assert(ts > 86400.49 && ts < 86401.51);
    ck_assert(!worker_heartbeat_parse_ts("1970-01-02 00:00:01.", 20, &ts));
}
END_TEST

/* DM's errors for renames between real and temporary names, in-process against the target. */
static int od_one(struct worker_onlineddl *od, const char *sqltext, enum worker_od_verdict *v,
                  struct worker_terr *e)
{
    struct worker_ddl d;
    struct worker_od_cutover co;
    int rc;
    ck_assert_int_eq(worker_ddl_parse(sqltext, "x", &d), DM_OK);
    ck_assert_int_eq(d.kind, WDDL_DDL);
    ck_assert_uint_ge(d.n, 1);
    memset(e, 0, sizeof *e);
    rc = worker_onlineddl_apply(od, &d.items[d.n - 1], v, &co, e);
    if (!rc && *v == WOD_CUTOVER)
        worker_onlineddl_cutover_free(&co);
    worker_ddl_free(&d);
    return rc;
}

START_TEST(rename_errors_as_dm)
{
    struct worker_db_cfg to = { "127.0.0.1", 0, "root", (char *)"", 0 };
    struct worker_applier *a;
    struct worker_onlineddl *od;
    struct worker_terr e;
    enum worker_od_verdict v;
    char real[64];
    to.port = g_dst;
    ck_assert_int_eq(worker_applier_open(&to, "dm_meta", "unit", "s", &a, &e), DM_OK);
    ck_assert_int_eq(worker_onlineddl_open("pt", a, "dm_meta", "unit", 7, true, &od, &e), DM_OK);
    ck_assert_int_eq(worker_onlineddl_table_type(od, "__t_new"), WOD_GHOST);
    ck_assert_int_eq(worker_onlineddl_table_type(od, "_t_old"), WOD_TRASH);
    ck_assert_int_eq(worker_onlineddl_table_type(od, "_new"), WOD_REAL);
    worker_onlineddl_real_name(od, "__t_new", real, sizeof real);
    ck_assert_str_eq(real, "t");
    ck_assert_int_eq(od_one(od, "RENAME TABLE t TO _t_new", &v, &e), DM_E_INVAL);
    ck_assert_int_eq(e.code, 36049);
    ck_assert_str_eq(e.msg, "rename table to pt temporary table RENAME TABLE t TO _t_new not "
                            "supported");
    ck_assert_int_eq(od_one(od, "RENAME TABLE _t_old TO _t_new", &v, &e), DM_E_INVAL);
    ck_assert_int_eq(e.code, 36050);
    ck_assert_int_eq(od_one(od, "RENAME TABLE _u_new TO u", &v, &e), DM_E_INVAL);
    ck_assert_int_eq(e.code, 36051);
    ck_assert_str_eq(e.msg, "online ddl metadata for pt temporary table `x`.`_u_new` not found");
    ck_assert_int_eq(od_one(od, "DROP TABLE IF EXISTS _t_old", &v, &e), DM_OK);
    ck_assert_int_eq(v, WOD_SKIP);
    ck_assert_int_eq(od_one(od, "ALTER TABLE t ADD COLUMN z INT", &v, &e), DM_OK);
    ck_assert_int_eq(v, WOD_APPLY);
    /* recorded once even when the event is replayed, then cut over */
    ck_assert_int_eq(od_one(od, "ALTER TABLE _t_new ADD COLUMN z INT", &v, &e), DM_OK);
    ck_assert_int_eq(od_one(od, "ALTER TABLE _t_new ADD COLUMN z INT", &v, &e), DM_OK);
    ck_assert_int_eq(v, WOD_SKIP);
    ck_assert_uint_eq(worker_onlineddl_pending(od), 1);
    {
        struct worker_ddl d;
        struct worker_od_cutover co;
        ck_assert_int_eq(worker_ddl_parse("RENAME TABLE _t_new TO t", "x", &d), DM_OK);
        ck_assert_int_eq(worker_onlineddl_apply(od, &d.items[0], &v, &co, &e), DM_OK);
        ck_assert_int_eq(v, WOD_CUTOVER);
        ck_assert_uint_eq(co.n, 1);
        ck_assert_str_eq(co.ddls[0].items[0].refs[0].table, "t");
        ck_assert_ptr_nonnull(strstr(co.ddls[0].items[0].text, "ADD COLUMN z INT"));
        ck_assert_int_eq(worker_onlineddl_finish(od, co.ghost_schema, co.ghost_table, &e), DM_OK);
        worker_onlineddl_cutover_free(&co);
        worker_ddl_free(&d);
    }
    ck_assert_uint_eq(worker_onlineddl_pending(od), 0);
    worker_onlineddl_free(od);
    ck_assert_int_ne(worker_onlineddl_open("osc", a, "dm_meta", "unit", 7, false, &od, &e), DM_OK);
    ck_assert_int_eq(e.code, 36040);
    worker_applier_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("online_ddl");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pt_osc_under_load);
    tcase_add_test(tc, ghost_replay_with_restart);
    tcase_add_test(tc, heartbeat_lag_and_not_replicated);
    tcase_add_test(tc, unknown_scheme_refused);
    tcase_add_test(tc, rename_errors_as_dm);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_worker_sync.c - the real dm-worker binary against two MariaDB sandboxes (source
 * and target), driven over gRPC (pb.Worker): StartSubTask, DML/DDL replication, stage
 * rules and their exact DM error texts, pause/resume, kill -9 + restart without loss
 * or duplicates, routes merging two tables, a filter ignoring deletes, BWL ignore,
 * QueryStatus/QueryError/QueryWorkerConfig, Stop removing the subtask. */
#include "worker_e2e.h"
#include "testutil.h"

static void task_toml(char *out, size_t cap, const char *name, const char *extra)
{
    snprintf(out, cap,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nbatch = 100\nworker-count = 4\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n%s",
             name, g_file, g_pos, g_src, g_dst, extra ? extra : "");
}

/* ---- fixture ---- */

static void setup(void)
{
    char main_toml[4096], msg[2048];
    e2e_env_up();
    master_pos();
    spawn_worker();
    task_toml(main_toml, sizeof main_toml, "main",
              "[black-white-list]\ndo-dbs = [\"app\"]\n");
    ck_assert_msg(start_task(main_toml, msg, sizeof msg), "start: %s", msg);
}

static void teardown(void)
{
    e2e_env_down();
}

/* ---- tests (run in order, sharing the sandboxes and the worker) ---- */

#define ROWSUM(t, cols) "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',', " cols "))),0)) FROM " t

START_TEST(dml_replicated_and_status)
{
    Pb__QueryStatusResponse *st;
    char v[256];
    sql(g_src, "CREATE DATABASE app");
    sql(g_src, "CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(32), u INT UNSIGNED, "
               "d DECIMAL(10,2), ts DATETIME(3), c CHAR(5), b BLOB, n INT NULL)");
    sql(g_src, "INSERT INTO app.t VALUES (1,'a',4000000000,-1.50,'2024-01-02 03:04:05.678','x',"
               "X'00ff',NULL),(2,'b''q',0,2.25,NULL,'yy',NULL,7),(3,'c',5,0,'2020-02-29 00:00:00','',"
               "'',8)");
    sql(g_src, "UPDATE app.t SET v='bb', n=NULL WHERE id=2");
    sql(g_src, "DELETE FROM app.t WHERE id=3");
    sql(g_src, "INSERT INTO app.t (id, v) VALUES (10, 'ten')");
    ck_assert(converge(ROWSUM("app.t", "id,v,u,d,ts,c,HEX(b),n"), NULL, 20000));
    value(g_dst, "SELECT u FROM app.t WHERE id=1", v, sizeof v);
    ck_assert_str_eq(v, "4000000000");
    /* checkpoint in the target, caught up in QueryStatus */
    value(g_dst, "SELECT COUNT(*) FROM dm_meta.main_syncer_checkpoint WHERE is_global=1 AND "
                 "id='mysql-replica-01'", v, sizeof v);
    ck_assert_str_eq(v, "1");
    {
        long long end = tu_now_ms() + 10000;
        bool synced = false;
        while (!synced && tu_now_ms() < end) {
            st = query_status("main");
            ck_assert(st->result);
            ck_assert_str_eq(st->sourceid, "mysql-replica-01");
            ck_assert_uint_eq(st->n_subtaskstatus, 1);
            ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Running);
            ck_assert_int_eq(st->subtaskstatus[0]->unit, PB__UNIT_TYPE__Sync);
            ck_assert_int_eq(st->subtaskstatus[0]->status_case, PB__SUB_TASK_STATUS__STATUS_SYNC);
            ck_assert_ptr_null(st->subtaskstatus[0]->result);
            ck_assert_ptr_nonnull(st->relaystatus);
            synced = st->subtaskstatus[0]->sync->synced;
            if (synced) {
                ck_assert_str_eq(st->subtaskstatus[0]->sync->masterbinlog,
                                 st->subtaskstatus[0]->sync->syncerbinlog);
                ck_assert_int_ge(st->subtaskstatus[0]->sync->totalevents, 6);
            }
            protobuf_c_message_free_unpacked(&st->base, NULL);
            if (!synced)
                usleep(200000);
        }
        ck_assert_msg(synced, "never synced");
    }
}
END_TEST

START_TEST(ddl_replicated)
{
    char v[64];
    sql(g_src, "ALTER TABLE app.t ADD COLUMN extra VARCHAR(10) DEFAULT 'z'");
    sql(g_src, "INSERT INTO app.t (id, v, extra) VALUES (20, 'twenty', 'e')");
    sql(g_src, "CREATE TABLE app.tmp (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO app.tmp VALUES (1)");
    ck_assert(converge(ROWSUM("app.t", "id,v,extra"), NULL, 20000));
    ck_assert(converge("SELECT COUNT(*) FROM app.tmp", NULL, 20000));
    sql(g_src, "DROP TABLE app.tmp");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                "TABLE_SCHEMA='app' AND TABLE_NAME='tmp'", "0", 20000));
    sql(g_src, "ALTER TABLE app.t DROP COLUMN extra");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                "TABLE_SCHEMA='app' AND TABLE_NAME='t' AND COLUMN_NAME='extra'",
                         "0", 20000));
    sql(g_src, "INSERT INTO app.t (id, v) VALUES (21, 'after drop')");
    ck_assert(converge(ROWSUM("app.t", "id,v"), NULL, 20000));
    value(g_dst, "SELECT v FROM app.t WHERE id=21", v, sizeof v);
    ck_assert_str_eq(v, "after drop");
}
END_TEST

START_TEST(stage_rules_and_texts)
{
    char msg[2048], toml[4096], a[64], b[64];
    ck_assert_msg(operate("main", PB__TASK_OP__Pause, msg, sizeof msg), "pause: %s", msg);
    ck_assert(!operate("main", PB__TASK_OP__Pause, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40050:class=dm-worker:scope=internal:level=high] current stage "
                          "is Paused but not running, invalid");
    sql(g_src, "INSERT INTO app.t (id, v) VALUES (30, 'while paused')");
    usleep(1500000);
    value(g_src, "SELECT COUNT(*) FROM app.t", a, sizeof a);
    value(g_dst, "SELECT COUNT(*) FROM app.t", b, sizeof b);
    ck_assert_str_ne(a, b);
    /* update is allowed while paused */
    task_toml(toml, sizeof toml, "main", "[black-white-list]\ndo-dbs = [\"app\"]\n");
    ck_assert_msg(update_task(toml, msg, sizeof msg), "update: %s", msg);
    ck_assert_msg(operate("main", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    ck_assert(converge(ROWSUM("app.t", "id,v"), NULL, 20000));
    ck_assert(!operate("main", PB__TASK_OP__Resume, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40051:class=dm-worker:scope=internal:level=high] current stage "
                          "is Running but not paused, invalid");
    ck_assert(!update_task(toml, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40052:class=dm-worker:scope=internal:level=high] can only update "
                          "task on Paused stage, but current stage is Running");
    ck_assert(!operate("nope", PB__TASK_OP__Pause, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40054:class=dm-worker:scope=internal:level=high] sub task with "
                          "name nope not found");
    ck_assert(!start_task(toml, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40055:class=dm-worker:scope=internal:level=high] sub task main "
                          "already exists");
    /* a malformed config is a gRPC error */
    ck_assert(!start_task("name = ", msg, sizeof msg));
    ck_assert_msg(strstr(msg, "[code=20016:class=config") != NULL, "%s", msg);
}
END_TEST

START_TEST(rules_route_filter_bwl)
{
    char toml[8192], msg[2048], v[64];
    sql(g_src, "CREATE DATABASE r1");
    sql(g_src, "CREATE TABLE r1.t_1 (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE r1.t_2 (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE DATABASE f1");
    sql(g_src, "CREATE TABLE f1.t (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE DATABASE ign");
    sql(g_src, "CREATE TABLE ign.t (id INT PRIMARY KEY)");
    master_pos();
    task_toml(toml, sizeof toml, "rules",
              "[[route-rules]]\nschema-pattern = \"r1\"\ntable-pattern = \"t_*\"\n"
              "target-schema = \"rmerge\"\ntarget-table = \"t\"\n"
              "[[route-rules]]\nschema-pattern = \"r1\"\ntarget-schema = \"rmerge\"\n"
              "[[filter-rules]]\nschema-pattern = \"f1\"\ntable-pattern = \"*\"\n"
              "events = [\"delete\"]\naction = \"Ignore\"\n"
              "[black-white-list]\nignore-dbs = [\"app\", \"ign\"]\n");
    /* DDL from before the start point is not replayed: create the targets by hand */
    sql(g_dst, "CREATE DATABASE rmerge");
    sql(g_dst, "CREATE TABLE rmerge.t (id INT PRIMARY KEY, v INT)");
    sql(g_dst, "CREATE DATABASE f1");
    sql(g_dst, "CREATE TABLE f1.t (id INT PRIMARY KEY, v INT)");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start rules: %s", msg);
    sql(g_src, "INSERT INTO r1.t_1 VALUES (1,1),(2,2),(3,3)");
    sql(g_src, "INSERT INTO r1.t_2 VALUES (101,1),(102,2)");
    sql(g_src, "UPDATE r1.t_2 SET v=20 WHERE id=102");
    sql(g_src, "INSERT INTO f1.t VALUES (1,1),(2,2),(3,3)");
    sql(g_src, "DELETE FROM f1.t WHERE id=2");
    sql(g_src, "UPDATE f1.t SET v=30 WHERE id=3");
    sql(g_src, "INSERT INTO ign.t VALUES (1)");
    sql(g_src, "CREATE TABLE r1.t_3 (id INT PRIMARY KEY, v INT)");   /* routed: exists -> ok */
    sql(g_src, "INSERT INTO r1.t_3 VALUES (201, 5)");
    ck_assert(wait_value(g_dst, "SELECT CONCAT(COUNT(*),'-',SUM(v)) FROM rmerge.t", "6-32", 20000));
    ck_assert(wait_value(g_dst, "SELECT CONCAT(COUNT(*),'-',SUM(v)) FROM f1.t", "3-33", 20000));
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('ign','r1')",
          v, sizeof v);
    ck_assert_str_eq(v, "0");
    ck_assert_msg(operate("rules", PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);
    {
        Pb__QueryStatusResponse *st = query_status("rules");
        ck_assert_uint_eq(st->n_subtaskstatus, 1);
        ck_assert_int_eq(st->subtaskstatus[0]->status_case, PB__SUB_TASK_STATUS__STATUS_MSG);
        ck_assert_str_eq(st->subtaskstatus[0]->msg, "no sub task with name rules has started");
        protobuf_c_message_free_unpacked(&st->base, NULL);
    }
}
END_TEST

/* issue 12 item 4: black-white-list `~` names are Go regexps (DM's docs write \d), and an
 * invalid one refuses the subtask instead of silently matching nothing */
START_TEST(bwl_go_regexp_e2e)
{
    char toml[8192], msg[2048], v[64];
    master_pos();
    task_toml(toml, sizeof toml, "re",
              "[[black-white-list.do-tables]]\ndb-name = \"re1\"\ntbl-name = \"~^keep_\\\\d+$\"\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start re: %s", msg);
    sql(g_src, "CREATE DATABASE re1");
    sql(g_src, "CREATE TABLE re1.keep_1 (id INT PRIMARY KEY, v VARCHAR(8))");
    sql(g_src, "CREATE TABLE re1.skip_1 (id INT PRIMARY KEY, v VARCHAR(8))");
    sql(g_src, "CREATE TABLE re1.keep_x (id INT PRIMARY KEY, v VARCHAR(8))");
    sql(g_src, "CREATE TABLE re1.keep_12 (id INT PRIMARY KEY, v VARCHAR(8))");
    sql(g_src, "INSERT INTO re1.skip_1 VALUES (1,'s'),(2,'s')");
    sql(g_src, "INSERT INTO re1.keep_x VALUES (1,'x')");
    sql(g_src, "INSERT INTO re1.keep_12 VALUES (1,'k'),(2,'k'),(3,'k')");
    sql(g_src, "INSERT INTO re1.keep_1 VALUES (1,'a'),(2,'b')");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM re1.keep_12", "3", 20000));
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(v ORDER BY id) FROM re1.keep_1", "a,b", 20000));
    value(g_dst, "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES "
                 "WHERE TABLE_SCHEMA = 're1'", v, sizeof v);
    ck_assert_str_eq(v, "keep_1,keep_12");   /* skip_1 and keep_x were never created */
    ck_assert_msg(operate("re", PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);

    task_toml(toml, sizeof toml, "re_bad",
              "[[black-white-list.do-tables]]\ndb-name = \"re1\"\ntbl-name = \"~^keep_\\\\q+$\"\n");
    ck_assert(!start_task(toml, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "do-tables tbl-name \"~^keep_\\q+$\": error parsing regexp: invalid escape "
                              "sequence: `\\q`") != NULL, "%s", msg);
}
END_TEST

START_TEST(kill9_no_loss_no_duplicates)
{
    MYSQL *m;
    char q[256], a[128], b[128];
    int i;
    sql(g_src, "CREATE TABLE app.k (id INT, v INT)");   /* no key: duplicates would show */
    ck_assert(converge("SELECT COUNT(*) FROM app.k", NULL, 20000));
    m = db(g_src);
    for (i = 0; i < 300; i++) {
        snprintf(q, sizeof q, "INSERT INTO app.k SELECT seq, seq * %d FROM app.seq_1_to_50", i + 1);
        ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
        if (i == 150)
            stop_worker(SIGKILL);
    }
    mysql_close(m);
    spawn_worker();
    ck_assert(converge(ROWSUM("app.k", "id,v"), NULL, 60000));
    value(g_src, "SELECT COUNT(*) FROM app.k", a, sizeof a);
    value(g_dst, "SELECT COUNT(*) FROM app.k", b, sizeof b);
    ck_assert_str_eq(a, "15000");
    ck_assert_str_eq(b, "15000");
}
END_TEST

START_TEST(worker_config_and_stop)
{
    Pb__QueryWorkerConfigRequest req = PB__QUERY_WORKER_CONFIG_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__QueryWorkerConfigResponse *r;
    Pb__QueryStatusResponse *st;
    char det[512], msg[2048];
    ck_assert_int_eq(call("QueryWorkerConfig", &req.base, &resp, det, sizeof det), RPC_OK);
    r = (Pb__QueryWorkerConfigResponse *)resp;
    ck_assert(r->result);
    ck_assert_str_eq(r->sourceid, "mysql-replica-01");
    ck_assert_msg(strstr(r->content, "host = \"127.0.0.1\"") != NULL, "%s", r->content);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_msg(operate("main", PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);
    st = query_status("");
    ck_assert_uint_eq(st->n_subtaskstatus, 0);
    ck_assert_str_eq(st->msg, "no sub task started");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_sync");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dml_replicated_and_status);
    tcase_add_test(tc, ddl_replicated);
    tcase_add_test(tc, stage_rules_and_texts);
    tcase_add_test(tc, rules_route_filter_bwl);
    tcase_add_test(tc, bwl_go_regexp_e2e);
    tcase_add_test(tc, kill9_no_loss_no_duplicates);
    tcase_add_test(tc, worker_config_and_stop);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_ddl_mariadb.c - DDL through the real dm-worker between two MariaDB sandboxes
 * (issue 12 items 4 and 5): every DDL kind of ddl.h replicates (the target's columns,
 * indexes and partitions end identical to the source's; routes and the
 * black-white-list apply to every name), DROP TABLE of 300 tables drops 300, ANSI_QUOTES
 * and NO_BACKSLASH_ESCAPES sessions, executable comments, unicode names; a statement
 * outside the list pauses the task with 36017 naming it and its position; sql-skip at
 * that position + resume continues; sql-replace by position and by pattern; statement DML
 * in a transaction skipped by pattern; sql-inject;
 * bad HandleSQLs arguments give DM's errors. */
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

static void setup(void)
{
    char toml[4096], msg[2048];
    e2e_env_up();
    master_pos();
    spawn_worker();
    task_toml(toml, sizeof toml, "ddl",
              "[black-white-list]\ndo-dbs = [\"app\", \"rsrc\"]\n"
              "[[route-rules]]\nschema-pattern = \"rsrc\"\ntarget-schema = \"rdst\"\n");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

static void teardown(void)
{
    e2e_env_down();
}

/* Run q on the source in a session with default database `dbname` and `mode` (NULL:
 * server default) as sql_mode. */
static void src_sql(const char *dbname, const char *mode, const char *q)
{
    MYSQL *m = mysql_init(NULL);
    char set[256];
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", dbname, (unsigned)g_src, NULL, 0),
                  "connect: %s", mysql_error(m));
    if (mode) {
        snprintf(set, sizeof set, "SET SESSION sql_mode='%s'", mode);
        ck_assert_int_eq(mysql_query(m, set), 0);
    }
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    mysql_close(m);
}

/* count and order-independent checksum of every base-table column / index column */
#define COLS(db) "SELECT CONCAT(COUNT(*),'|',SUM(CRC32(CONCAT_WS(':',c.TABLE_NAME,COLUMN_NAME," \
    "ORDINAL_POSITION,COLUMN_TYPE,IS_NULLABLE,IFNULL(COLUMN_DEFAULT,'-'),COLUMN_KEY," \
    "IFNULL(COLLATION_NAME,'-'))))) FROM information_schema.COLUMNS c JOIN " \
    "information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME) WHERE t.TABLE_TYPE=" \
    "'BASE TABLE' AND TABLE_SCHEMA='" db "'"
#define IDX(db) "SELECT CONCAT(COUNT(*),'|',SUM(CRC32(CONCAT_WS(':',TABLE_NAME,INDEX_NAME," \
    "SEQ_IN_INDEX,COLUMN_NAME,NON_UNIQUE)))) FROM information_schema.STATISTICS WHERE " \
    "TABLE_SCHEMA='" db "'"
#define PARTS(db) "SELECT CONCAT(COUNT(*),'|',GROUP_CONCAT(CONCAT_WS(':',TABLE_NAME," \
    "PARTITION_NAME) ORDER BY TABLE_NAME,PARTITION_NAME)) FROM information_schema.PARTITIONS " \
    "WHERE TABLE_SCHEMA='" db "' AND PARTITION_NAME IS NOT NULL"
#define NTABLES(db, like) "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='" \
    db "' AND TABLE_NAME LIKE '" like "'"

static int stage_of(const char *name)
{
    Pb__QueryStatusResponse *st = query_status(name);
    int stage = st->n_subtaskstatus ? (int)st->subtaskstatus[0]->stage : -1;
    protobuf_c_message_free_unpacked(&st->base, NULL);
    return stage;
}

static bool wait_stage(const char *name, int stage, int ms)
{
    long long end = tu_now_ms() + ms;
    do {
        if (stage_of(name) == stage)
            return true;
        usleep(100000);
    } while (tu_now_ms() < end);
    return false;
}

/* query-error of "ddl": msg, failedBinlogPosition, errorSQL of the first error. */
static void query_error(char *msg, size_t mcap, char *pos, size_t pcap, char *esql, size_t scap)
{
    Pb__QueryErrorRequest req = PB__QUERY_ERROR_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__QueryErrorResponse *r;
    const Pb__SyncSQLError *e;
    char det[512];
    req.name = (char *)"ddl";
    ck_assert_int_eq(call("QueryError", &req.base, &resp, det, sizeof det), RPC_OK);
    r = (Pb__QueryErrorResponse *)resp;
    ck_assert_uint_eq(r->n_subtaskerror, 1);
    ck_assert_int_eq(r->subtaskerror[0]->error_case, PB__SUB_TASK_ERROR__ERROR_SYNC);
    ck_assert_uint_eq(r->subtaskerror[0]->sync->n_errors, 1);
    e = r->subtaskerror[0]->sync->errors[0];
    snprintf(msg, mcap, "%s", e->msg);
    snprintf(pos, pcap, "%s", e->failedbinlogposition);
    snprintf(esql, scap, "%s", e->errorsql);
    protobuf_c_message_free_unpacked(resp, NULL);
}

static bool handle_sqls(Pb__SQLOp op, const char *pos, const char *pattern, const char **args,
                        size_t nargs, char *msg, size_t cap)
{
    Pb__HandleSubTaskSQLsRequest req = PB__HANDLE_SUB_TASK_SQLS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__CommonWorkerResponse *r;
    char det[512];
    bool ok;
    req.name = (char *)"ddl";
    req.op = op;
    req.binlogpos = (char *)(pos ? pos : "");
    req.sqlpattern = (char *)(pattern ? pattern : "");
    req.args = (char **)args;
    req.n_args = nargs;
    ck_assert_int_eq(call("HandleSQLs", &req.base, &resp, det, sizeof det), RPC_OK);
    r = (Pb__CommonWorkerResponse *)resp;
    ok = r->result;
    snprintf(msg, cap, "%s", r->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

START_TEST(every_kind_replicates)
{
    char q[16384], v[512];
    size_t len = 0;
    int i;
    sql(g_src, "CREATE DATABASE app");
    src_sql("app", NULL, "CREATE TABLE p (id INT PRIMARY KEY, s VARCHAR(10))");
    src_sql("app", NULL, "CREATE TABLE c (id INT PRIMARY KEY, pid INT, "
                         "CONSTRAINT fk1 FOREIGN KEY (pid) REFERENCES p (id))");
    src_sql("app", NULL, "CREATE TABLE l LIKE p");
    src_sql("app", NULL, "ALTER TABLE p ADD a INT, ADD b VARCHAR(10) DEFAULT 'x', ADD INDEX ia (a)");
    src_sql("app", NULL, "ALTER TABLE p RENAME COLUMN b TO b2, CHANGE a a2 BIGINT, "
                         "MODIFY s VARCHAR(20) NOT NULL DEFAULT ''");
    src_sql("app", NULL, "ALTER TABLE p RENAME INDEX ia TO ia2, ALGORITHM=INPLACE");
    src_sql("app", NULL, "CREATE INDEX ib ON p (b2)");
    src_sql("app", NULL, "CREATE UNIQUE INDEX us ON p (s)");
    src_sql("app", NULL, "DROP INDEX ib ON p");
    src_sql("app", NULL, "CREATE TABLE pt (id INT PRIMARY KEY) PARTITION BY RANGE (id) "
                         "(PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN (20))");
    src_sql("app", NULL, "ALTER TABLE pt ADD PARTITION (PARTITION p2 VALUES LESS THAN (30), "
                         "PARTITION p3 VALUES LESS THAN (40))");
    src_sql("app", NULL, "ALTER TABLE pt DROP PARTITION p0, p1");
    src_sql("app", NULL, "ALTER TABLE l ADD x INT, ADD y VARCHAR(5)");
    src_sql("app", NULL, "ALTER TABLE l CHANGE x y INT, CHANGE y x VARCHAR(5)");   /* a swap */
    src_sql("app", NULL, "CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0)");
    src_sql("app", NULL, "ALTER TABLE ai DROP PRIMARY KEY, ADD PRIMARY KEY (id, k)");
    src_sql("app", NULL, "INSERT INTO l (id) VALUES (1), (2)");
    src_sql("app", NULL, "TRUNCATE TABLE l");
    src_sql("app", NULL, "RENAME TABLE l TO l2, ai TO ai2");
    src_sql("app", NULL, "ALTER TABLE l2 ADD z INT, RENAME TO l3, ADD w INT");
    src_sql("app", NULL, "CREATE TABLE ec (id INT PRIMARY KEY) /*!50100 COMMENT='ec' */ "
                         "/*M!100000 PAGE_CHECKSUM=1 */");
    src_sql("app", "ANSI_QUOTES", "CREATE TABLE \"app\".\"aq\" (\"id\" INT PRIMARY KEY, "
                                  "\"v\" VARCHAR(5) DEFAULT 'a')");
    src_sql("app", "NO_BACKSLASH_ESCAPES", "CREATE TABLE nb (id INT PRIMARY KEY, "
                                           "v VARCHAR(10) DEFAULT 'C:\\')");
    src_sql("app", NULL, "CREATE TABLE `表` (`列` INT PRIMARY KEY, `a``b` INT)");
    src_sql("app", NULL, "CREATE VIEW vw AS SELECT 1 AS one");       /* skipped, as DM */
    src_sql(NULL, NULL, "CREATE DATABASE other");
    src_sql(NULL, NULL, "CREATE TABLE other.x (id INT)");            /* not in do-dbs */
    src_sql(NULL, NULL, "CREATE DATABASE rsrc");
    src_sql("rsrc", NULL, "CREATE TABLE t (id INT PRIMARY KEY)");
    src_sql("rsrc", NULL, "ALTER TABLE t ADD v INT DEFAULT 3");
    src_sql("rsrc", NULL, "INSERT INTO t (id) VALUES (1)");
    {
        MYSQL *m = db(g_src);
        for (i = 0; i < 300; i++) {
            snprintf(q, sizeof q, "CREATE TABLE app.d%d (id INT)", i);
            ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
        }
        mysql_close(m);
    }
    ck_assert(wait_value(g_dst, NTABLES("app", "d%"), "300", 60000));
    len = (size_t)snprintf(q, sizeof q, "DROP TABLE ");
    for (i = 0; i < 300; i++)
        len += (size_t)snprintf(q + len, sizeof q - len, "%sapp.d%d", i ? ", " : "", i);
    src_sql(NULL, NULL, q);
    ck_assert(wait_value(g_dst, NTABLES("app", "d%"), "0", 30000));
    src_sql("app", NULL, "INSERT INTO p (id, s) VALUES (1, 'one')");
    ck_assert(converge("SELECT COUNT(*) FROM app.p", NULL, 20000));
    /* the target's schema is the source's */
    ck_assert(converge(COLS("app"), NULL, 20000));
    ck_assert(converge(IDX("app"), NULL, 20000));
    ck_assert(converge(PARTS("app"), NULL, 20000));
    value(g_dst, COLS("app"), v, sizeof v);
    ck_assert_msg(strtol(v, NULL, 10) >= 22, "%s", v);
    value(g_dst, IDX("app"), v, sizeof v);
    ck_assert_msg(strtol(v, NULL, 10) >= 9, "%s", v);
    value(g_dst, "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='app' "
                 "AND TABLE_NAME='nb' AND COLUMN_NAME='v'", v, sizeof v);
    ck_assert_str_eq(v, "'C:\\\\'");
    value(g_dst, PARTS("app"), v, sizeof v);
    ck_assert_str_eq(v, "2|pt:p2,pt:p3");
    ck_assert(wait_value(g_dst, NTABLES("app", "l3"), "1", 5000));
    value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND "
                 "TABLE_NAME IN ('l','l2','ai','vw')", v, sizeof v);
    ck_assert_str_eq(v, "0");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN "
                 "('other','rsrc')", v, sizeof v);
    ck_assert_str_eq(v, "0");
    ck_assert(converge("SELECT CONCAT(id,'-',v) FROM rsrc.t", "SELECT CONCAT(id,'-',v) FROM rdst.t",
                       20000));
    ck_assert_int_eq(stage_of("ddl"), PB__STAGE__Running);
}
END_TEST

START_TEST(unsupported_pauses_then_skip)
{
    char msg[2048], pos[300], esql[1024], v[64];
    src_sql("app", NULL, "CREATE SEQUENCE sq");
    ck_assert(wait_stage("ddl", PB__STAGE__Paused, 20000));
    query_error(msg, sizeof msg, pos, sizeof pos, esql, sizeof esql);
    ck_assert_msg(strstr(msg, "[code=36017:class=sync-unit:scope=internal:level=high]") != NULL,
                  "%s", msg);
    ck_assert_msg(strstr(msg, "CREATE SEQUENCE sq") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, pos) != NULL && strchr(pos, ':') != NULL, "%s / %s", msg, pos);
    ck_assert_str_eq(esql, "CREATE SEQUENCE sq");
    /* bad arguments: DM's messages */
    ck_assert(!handle_sqls(PB__SQLOP__SKIP, pos, "x", NULL, 0, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "code=11017") && strstr(msg, "cannot specify both"), "%s", msg);
    ck_assert(!handle_sqls(PB__SQLOP__SKIP, "", "", NULL, 0, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "must specify one of"), "%s", msg);
    ck_assert(!handle_sqls(PB__SQLOP__SKIP, "nofile", "", NULL, 0, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "invalid --binlog-pos"), "%s", msg);
    /* resume without an operator: paused again on the same statement */
    ck_assert_msg(operate("ddl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    ck_assert(wait_stage("ddl", PB__STAGE__Paused, 20000));
    /* sql-skip at its position, resume: replication continues past it */
    ck_assert_msg(handle_sqls(PB__SQLOP__SKIP, pos, NULL, NULL, 0, msg, sizeof msg), "%s", msg);
    ck_assert_msg(operate("ddl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    src_sql("app", NULL, "INSERT INTO p (id, s) VALUES (2, 'two')");
    ck_assert(converge("SELECT COUNT(*) FROM app.p", NULL, 20000));
    value(g_dst, "SELECT COUNT(*) FROM app.p", v, sizeof v);
    ck_assert_str_eq(v, "2");
    ck_assert_int_eq(stage_of("ddl"), PB__STAGE__Running);
}
END_TEST

START_TEST(replace_by_pos_and_pattern)
{
    char msg[2048], pos[300], esql[1024], v[128];
    const char *repl[] = { "CREATE TABLE app.sq2_repl (id INT PRIMARY KEY)" };
    const char *repl2[] = { "ALTER TABLE app.rp ADD z INT DEFAULT 7",
                            "ALTER TABLE app.rp ADD z2 INT" };
    /* by position, on a statement that paused the task */
    src_sql("app", NULL, "CREATE SEQUENCE sq2");
    ck_assert(wait_stage("ddl", PB__STAGE__Paused, 20000));
    query_error(msg, sizeof msg, pos, sizeof pos, esql, sizeof esql);
    ck_assert_msg(handle_sqls(PB__SQLOP__REPLACE, pos, NULL, repl, 1, msg, sizeof msg), "%s", msg);
    ck_assert_msg(operate("ddl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    ck_assert(wait_value(g_dst, NTABLES("app", "sq2_repl"), "1", 20000));
    /* by pattern, set before the statement arrives; consumed once */
    ck_assert_msg(handle_sqls(PB__SQLOP__REPLACE, NULL, "~ALTER TABLE rp ADD z ", repl2, 2, msg,
                              sizeof msg), "%s", msg);
    src_sql("app", NULL, "CREATE TABLE rp (id INT PRIMARY KEY)");
    src_sql("app", NULL, "ALTER TABLE rp ADD z VARCHAR(3)");
    src_sql("app", NULL, "ALTER TABLE rp ADD z3 VARCHAR(3)");
    ck_assert(wait_value(g_dst, "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME,':',DATA_TYPE) ORDER BY "
                                "ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE "
                                "TABLE_SCHEMA='app' AND TABLE_NAME='rp'",
                         "id:int,z:int,z2:int,z3:varchar", 20000));
    value(g_src, "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='app' AND "
                 "TABLE_NAME='rp' AND COLUMN_NAME='z'", v, sizeof v);
    ck_assert_str_eq(v, "varchar");
    /* an exact (non-~) pattern that matches nothing stays pending, harmlessly */
    ck_assert(handle_sqls(PB__SQLOP__SKIP, NULL, "DROP TABLE nothing_like_this", NULL, 0, msg,
                          sizeof msg));
    ck_assert_int_eq(stage_of("ddl"), PB__STAGE__Running);
}
END_TEST

/* statement-format DML inside a source transaction pauses (36014); sql-skip by pattern
 * skips it there (position moves at COMMIT), rows after it replicate. */
START_TEST(statement_dml_skipped_in_transaction)
{
    char msg[2048], pos[300], esql[1024], v[64], w[64];
    MYSQL *m = db(g_src);
    ck_assert_int_eq(mysql_query(m, "SET SESSION binlog_format='STATEMENT'"), 0);
    ck_assert_int_eq(mysql_query(m, "BEGIN"), 0);
    ck_assert_int_eq(mysql_query(m, "INSERT INTO app.p (id, s) VALUES (50, 'stmt')"), 0);
    ck_assert_int_eq(mysql_query(m, "COMMIT"), 0);
    mysql_close(m);
    ck_assert(wait_stage("ddl", PB__STAGE__Paused, 20000));
    query_error(msg, sizeof msg, pos, sizeof pos, esql, sizeof esql);
    ck_assert_msg(strstr(msg, "code=36014") != NULL, "%s", msg);
    ck_assert_str_eq(esql, "INSERT INTO app.p (id, s) VALUES (50, 'stmt')");
    ck_assert_msg(handle_sqls(PB__SQLOP__SKIP, NULL, "~^INSERT INTO app[.]p .*'stmt'", NULL, 0, msg,
                              sizeof msg), "%s", msg);
    ck_assert_msg(operate("ddl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    src_sql("app", NULL, "INSERT INTO p (id, s) VALUES (51, 'row')");
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM app.p WHERE id=51", "1", 20000));
    value(g_dst, "SELECT COUNT(*) FROM app.p WHERE id=50", v, sizeof v);
    ck_assert_str_eq(v, "0");                       /* skipped, as asked */
    value(g_src, "SELECT COUNT(*) FROM app.p", v, sizeof v);
    value(g_dst, "SELECT COUNT(*) + 1 FROM app.p", w, sizeof w);
    ck_assert_str_eq(v, w);
    ck_assert_int_eq(stage_of("ddl"), PB__STAGE__Running);
}
END_TEST

START_TEST(inject)
{
    char msg[2048];
    const char *bad[] = { "ALTER TABLE p ADD q INT" };
    const char *notddl[] = { "INSERT INTO app.p VALUES (9, 'x', NULL, NULL)" };
    const char *good[] = { "ALTER TABLE app.p ADD injected INT DEFAULT 5" };
    ck_assert(!handle_sqls(PB__SQLOP__INJECT, NULL, NULL, bad, 1, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "code=36024") && strstr(msg, "without schema name"), "%s", msg);
    ck_assert(!handle_sqls(PB__SQLOP__INJECT, NULL, NULL, notddl, 1, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "code=36023"), "%s", msg);
    ck_assert_msg(handle_sqls(PB__SQLOP__INJECT, NULL, NULL, good, 1, msg, sizeof msg), "%s", msg);
    src_sql("app", NULL, "INSERT INTO p (id, s) VALUES (3, 'three')");   /* a transaction end */
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                "TABLE_SCHEMA='app' AND TABLE_NAME='p' AND COLUMN_NAME='injected'",
                         "1", 20000));
    ck_assert(wait_value(g_dst, "SELECT CONCAT(s, '-', injected) FROM app.p WHERE id=3",
                         "three-5", 20000));
    ck_assert_int_eq(stage_of("ddl"), PB__STAGE__Running);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ddl_mariadb");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_kind_replicates);
    tcase_add_test(tc, unsupported_pauses_then_skip);
    tcase_add_test(tc, replace_by_pos_and_pattern);
    tcase_add_test(tc, statement_dml_skipped_in_transaction);
    tcase_add_test(tc, inject);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_sync_divrand.c - silent divergences found by random workloads on the Sync unit
 * (session 9), each with real MariaDB in normal mode (task norm -> rt_n) and safe mode
 * (task safe -> rt_s), compared with HEX() of every column:
 *  - a source session with foreign_key_checks=0 deletes / re-keys parent rows: InnoDB
 *    changes no child rows there, the target must not cascade either (the rows event's
 *    NO_FOREIGN_KEY_CHECKS_F); an unqualified REFERENCES table of CREATE / ALTER TABLE
 *    is in the child table's schema (InnoDB's rule), not the session's default database
 *    (the target's child referenced another table: no cascade there); a parent the task
 *    does not replicate whose DELETE cascades to a replicated child pauses;
 *  - compressed columns (VARCHAR / TEXT / BLOB ... COMPRESSED): the binlog holds their
 *    compressed bytes (types VARCHAR_COMPRESSED / BLOB_COMPRESSED), which are inflated,
 *    raw deflate and zlib-wrapped, under every row image and binlog_row_metadata=FULL;
 *  - TIMESTAMP values in the first second of 1970 UTC with a fraction (0 s + usec) were
 *    written as the zero TIMESTAMP;
 *  - rows of a check_constraint_checks=0 source session that its CHECK constraints
 *    refuse were refused by the target too (the task paused with Error 4025);
 *  - a DDL replayed after dm-worker was killed -9 between the target running it and the
 *    checkpoint passing it (DMGW_FAILPOINT=ddl-executed / ddl-marked): a RENAME TABLE swap
 *    chain ran again and swapped back, a RENAME COLUMN paused with Error 1054; now decided
 *    from the execution marker and the target's definitions, or a named pause (EXCHANGE
 *    PARTITION);
 *  - random_mix: a seeded random workload (DMGW_SEED, DMGW_DIVRAND_OPS) over the types,
 *    statements and session settings above, compared column by column.
 * The tests run in order, sharing sandboxes, worker and tasks. */
#include "rowimg_e2e.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void setup(void)
{
    rt_up();
    sql(g_src, "CREATE DATABASE rt");
}

static void teardown(void)
{
    e2e_env_down();
}

/* rt_converge, naming the tasks' errors when a target differs. */
static long converged(const char *table, const char *cols)
{
    char qs[2048], q[2048], msg[2048];
    const char *task[2] = { "norm", "safe" }, *sch[2] = { "rt_n", "rt_s" };
    int i;
    table_sum(qs, sizeof qs, "rt", table, cols);
    for (i = 0; i < 2; i++) {
        table_sum(q, sizeof q, sch[i], table, cols);
        if (!converge(qs, q, 30000)) {
            task_stage(task[i], msg, sizeof msg);
            ck_abort_msg("%s.%s differs; task %s: %s", sch[i], table, task[i], msg);
        }
    }
    return rt_converge(table, cols);
}

/* foreign_key_checks=0 on the source: no cascade there, none on the target. With the
 * checks on (the second half) the cascade happens on both. */
START_TEST(fk_checks_off_no_cascade)
{
    sql(g_src, "CREATE TABLE rt.fp (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE rt.fc (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES "
               "rt.fp(id) ON DELETE CASCADE ON UPDATE CASCADE)");
    sql(g_src, "CREATE TABLE rt.fn (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES "
               "rt.fp(id) ON DELETE SET NULL ON UPDATE SET NULL)");
    /* unqualified REFERENCES: the child's schema (rt), not the default database */
    sqli("FULL", "USE mysql; CREATE TABLE rt.fr (id INT PRIMARY KEY, pid INT, FOREIGN KEY "
                 "(pid) REFERENCES fp(id) ON DELETE CASCADE)");
    sqli("FULL", "INSERT INTO rt.fp VALUES (1,1),(2,2),(3,3),(4,4),(5,5);"
                 "INSERT INTO rt.fc VALUES (10,1),(11,2),(12,3),(13,4),(14,5);"
                 "INSERT INTO rt.fn VALUES (20,1),(21,2),(22,3);"
                 "INSERT INTO rt.fr VALUES (30,4),(31,NULL)");
    sqli("FULL", "SET foreign_key_checks=0; DELETE FROM rt.fp WHERE id=1;"
                 "UPDATE rt.fp SET id=7 WHERE id=2; SET foreign_key_checks=1");
    sqli("MINIMAL", "SET foreign_key_checks=0; UPDATE rt.fp SET id=8 WHERE id=3;"
                    "SET foreign_key_checks=1");
    sqli("FULL", "DELETE FROM rt.fp WHERE id=4; UPDATE rt.fp SET id=9 WHERE id=5");
    ck_assert_int_eq(converged("fp", "id,v"), 3);
    ck_assert_int_eq(converged("fc", "id,IFNULL(pid,'N')"), 4);
    ck_assert_int_eq(converged("fn", "id,IFNULL(pid,'N')"), 3);
    ck_assert_int_eq(converged("fr", "id,IFNULL(pid,'N')"), 1);
    both_eq("SELECT GROUP_CONCAT(id,':',pid ORDER BY id) FROM %s.fc", "10:1,11:2,12:3,14:9");
    both_eq("SELECT GROUP_CONCAT(id,':',IFNULL(pid,'N') ORDER BY id) FROM %s.fn",
            "20:1,21:2,22:3");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* The pair of tasks fzn (normal, -> fz_n) and fzs (safe mode, -> fz_s) replicating schema
 * fz but its table fp (ignore-tables). */
static void fz_pair_up(void)
{
    char toml[4096], msg[2048];
    int i;
    for (i = 0; i < 2; i++) {
        rt_task_toml(toml, sizeof toml, i ? "fzs" : "fzn", i ? "fz_s" : "fz_n", i == 1, "fz");
        strcat(toml, "[[black-white-list.ignore-tables]]\ndb-name = \"fz\"\ntbl-name = \"fp\"\n");
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    }
}

/* A parent the task does not replicate, a replicated child with ON DELETE CASCADE: the
 * source's cascade is not in the binlog. Its INSERTs, UPDATEs of unreferenced columns and
 * DELETEs of a foreign_key_checks=0 session (no cascade) pass; a DELETE that cascades
 * pauses both tasks naming the parent, the child and the rule. */
START_TEST(fk_unreplicated_parent_pauses)
{
    char msg[2048];
    const char *tasks[2] = { "fzn", "fzs" };
    int i;
    sql(g_src, "CREATE DATABASE fz");
    sql(g_src, "CREATE TABLE fz.fp (id INT PRIMARY KEY, v INT)");
    sql(g_src, "CREATE TABLE fz.fc (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES "
               "fz.fp(id) ON DELETE CASCADE ON UPDATE CASCADE)");
    sqli("FULL", "INSERT INTO fz.fp VALUES (1,1),(2,2),(3,3); INSERT INTO fz.fc VALUES "
                 "(10,1),(11,2),(12,3)");
    fz_pair_up();
    sqli("FULL", "UPDATE fz.fp SET v=v+1; SET foreign_key_checks=0; DELETE FROM fz.fp WHERE id=1;"
                 "SET foreign_key_checks=1; INSERT INTO fz.fc VALUES (13,2)");
    sqli("MINIMAL", "UPDATE fz.fp SET v=v+1 WHERE id=3");
    for (i = 0; i < 2; i++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM fz_%s.fc", i ? "s" : "n");
        ck_assert_msg(wait_value(g_dst, q, "4", 30000), "%s: 4 rows", q);
        assert_running(tasks[i]);
    }
    sqli("FULL", "DELETE FROM fz.fp WHERE id=2");
    for (i = 0; i < 2; i++) {
        long long end = tu_now_ms() + 30000;
        while (task_stage(tasks[i], msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "cannot apply the DELETE rows of `fz`.`fp` at (") &&
                      strstr(msg, "replicated `fz`.`fc` references it ON DELETE CASCADE") &&
                      strstr(msg, "not supported"), "%s: %s", tasks[i], msg);
    }
}
END_TEST

/* Compressed columns under FULL / MINIMAL / NOBLOB images: '' (no header byte), values
 * under column_compression_threshold (header 0x00, stored as is), compressed ones (raw
 * deflate; zlib-wrapped with column_compression_zlib_wrap=ON), NULL; keyed and key-less
 * (found by the value); then binlog_row_metadata=FULL (charsets of the columns after a
 * compressed one). */
static const char *const cz_cols =
    "id,IFNULL(HEX(c),'N'),IFNULL(HEX(t),'N'),IFNULL(HEX(b),'N'),IFNULL(HEX(l),'N'),v";

static void cz_rows(const char *image, const char *table)
{
    sqli(image, "INSERT INTO rt.%s VALUES (1,'',NULL,'','é',1),"
                "(2,REPEAT('a',300),REPEAT('é',200),REPEAT(X'00FF',90),'x',2),"
                "(3,'short','t',X'0102','été',3),"
                "(4,REPEAT('xyz',330),REPEAT('😀',3000),REPEAT(X'AB',60000),REPEAT('é',50),4)",
         table);
    sqli(image, "SET column_compression_zlib_wrap=ON; INSERT INTO rt.%s VALUES "
                "(5,REPEAT('w',500),REPEAT('ü',400),REPEAT('b',1000),REPEAT('q',200),5)",
         table);
    sqli(image, "UPDATE rt.%s SET v=v+10 WHERE id IN (2,4,5); UPDATE rt.%s SET c=REPEAT('n',"
                "250), b=NULL WHERE id=3; DELETE FROM rt.%s WHERE id=1", table, table, table);
}

START_TEST(compressed_columns)
{
    static const char *const images[] = { "FULL", "MINIMAL", "NOBLOB" };
    char name[16];
    int i, k;
    for (i = 0; i < 4; i++)
        for (k = 0; k < 2; k++) {
            snprintf(name, sizeof name, "cz%d%s", i, k ? "n" : "");
            sql(g_src, "CREATE TABLE rt.%s (id INT%s, c VARCHAR(1000) COMPRESSED, t TEXT "
                       "COMPRESSED CHARACTER SET utf8mb4, b BLOB COMPRESSED, l VARCHAR(300) "
                       "CHARACTER SET latin1 COMPRESSED, v INT) DEFAULT CHARSET=utf8mb4",
                name, k ? "" : " PRIMARY KEY");
            if (i == 3)
                sql(g_src, "SET GLOBAL binlog_row_metadata=FULL");
            cz_rows(i == 3 ? "FULL" : images[i], name);
            if (i == 3)
                sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
            ck_assert_int_eq(converged(name, cz_cols), 4);
        }
    both_eq("SELECT CONCAT(LENGTH(c),'/',CHAR_LENGTH(t),'/',IFNULL(b,'N'),'/',HEX(l)) FROM %s.cz0n "
            "WHERE id=3", "250/1/N/E974E9");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* TIMESTAMP(n) values in the first second of 1970 UTC: (0 s, fraction > 0) is a value, not
 * the zero TIMESTAMP (0, 0) - a session in a zone east of UTC stores it for '01:00:00.5'
 * at +01:00; it was written as '0000-00-00 00:00:00'. Keyed (as the key too) and key-less. */
START_TEST(timestamp_first_second)
{
    sql(g_src, "CREATE TABLE rt.tsk (ts TIMESTAMP(6) NOT NULL PRIMARY KEY, t3 TIMESTAMP(3) NULL, "
               "v INT)");
    sql(g_src, "CREATE TABLE rt.tsn (ts TIMESTAMP(6) NULL, t1 TIMESTAMP(1) NULL, v INT)");
    sqli("FULL", "SET time_zone='+00:00'; INSERT INTO rt.tsk VALUES ('1970-01-01 00:00:00.999999',"
                 "'1970-01-01 00:00:00.5',1),('1970-01-01 00:00:00.000001',NULL,2),"
                 "('1970-01-01 00:00:01',0,3); SET time_zone='+01:00';"
                 "INSERT INTO rt.tsn VALUES ('1970-01-01 01:00:00.5','1970-01-01 01:00:00.2',1),"
                 "(0,0,2),('1970-01-01 01:00:00.000001',NULL,3)");
    sqli("FULL", "UPDATE rt.tsk SET v=v+10; UPDATE rt.tsn SET v=v+10 WHERE v<3;"
                 "DELETE FROM rt.tsn WHERE v=3; DELETE FROM rt.tsk WHERE v=12");
    sqli("MINIMAL", "UPDATE rt.tsk SET v=v+100 WHERE v=11; UPDATE rt.tsn SET v=v+100 WHERE v=11");
    ck_assert_int_eq(converged("tsk", "HEX(CAST(ts AS BINARY)),IFNULL(HEX(CAST(t3 AS BINARY)),"
                                      "'N'),v"), 2);
    ck_assert_int_eq(converged("tsn", "IFNULL(HEX(CAST(ts AS BINARY)),'N'),IFNULL(HEX(CAST(t1 "
                                      "AS BINARY)),'N'),v"), 2);
    both_eq("SELECT GROUP_CONCAT(UNIX_TIMESTAMP(ts),'/',v ORDER BY v) FROM %s.tsk",
            "1.000000/13,0.999999/111");
    both_eq("SELECT GROUP_CONCAT(UNIX_TIMESTAMP(ts),'/',UNIX_TIMESTAMP(t1),'/',v ORDER BY v) FROM "
            "%s.tsn", "0.000000/0.0/12,0.500000/0.2/111");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* A source session with check_constraint_checks=0 writes rows its CHECK constraints refuse
 * (the rows event's NO_CHECK_CONSTRAINT_CHECKS_F); the target's own checks refused them
 * (Error 4025, the task paused). Keyed (INSERT, UPDATE under FULL and MINIMAL, safe mode's
 * REPLACE), key-less, and a parent whose key update cascades. */
START_TEST(check_constraints_off)
{
    sql(g_src, "CREATE TABLE rt.ck (id INT PRIMARY KEY, v INT CHECK (v > 0), w INT, "
               "CONSTRAINT cw CHECK (w < v))");
    sql(g_src, "CREATE TABLE rt.ckn (v INT, w INT, CHECK (v <> w))");
    sql(g_src, "CREATE TABLE rt.ckp (id INT PRIMARY KEY, v INT CHECK (v > 0))");
    sql(g_src, "CREATE TABLE rt.ckc (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES "
               "rt.ckp(id) ON UPDATE CASCADE)");
    sqli("FULL", "INSERT INTO rt.ck VALUES (1,5,1),(2,5,2); INSERT INTO rt.ckp VALUES (1,1);"
                 "INSERT INTO rt.ckc VALUES (10,1); SET check_constraint_checks=0;"
                 "INSERT INTO rt.ck VALUES (3,-1,0),(4,1,9); INSERT INTO rt.ckn VALUES (1,1),(2,3);"
                 "UPDATE rt.ck SET v=-5 WHERE id=1; UPDATE rt.ckn SET w=2 WHERE v=2;"
                 "UPDATE rt.ckp SET id=2, v=-2 WHERE id=1");
    sqli("MINIMAL", "SET check_constraint_checks=0; UPDATE rt.ck SET w=100 WHERE id=2;"
                    "INSERT INTO rt.ck (id,v,w) VALUES (5,0,0)");
    ck_assert_int_eq(converged("ck", "id,v,w"), 5);
    ck_assert_int_eq(converged("ckn", "v,w"), 2);
    ck_assert_int_eq(converged("ckp", "id,v"), 1);
    ck_assert_int_eq(converged("ckc", "id,pid"), 1);
    both_eq("SELECT GROUP_CONCAT(id,':',v,':',w ORDER BY id) FROM %s.ck",
            "1:-5:1,2:5:100,3:-1:0,4:1:9,5:0:0");
    both_eq("SELECT CONCAT(pid) FROM %s.ckc", "2");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* dm-worker killed -9 right after `ddl` ran on the target for one of the tasks, before
 * the checkpoint moved past it (DMGW_FAILPOINT=ddl-executed; the other task may not have
 * met it, have its marker written only, or have run it too), then restarted (safe mode
 * for a minute, as after any crash). */
static void kill_at(const char *failpoint, const char *ddl)
{
    int st;
    stop_worker(SIGTERM);
    setenv("DMGW_FAILPOINT", failpoint, 1);
    spawn_worker();
    sql(g_src, "%s", ddl);
    waitpid(g_pid, &st, 0);
    g_pid = 0;
    unsetenv("DMGW_FAILPOINT");
    setenv("DM_WORKER_SAFE_MODE_MS", "60000", 1);
    spawn_worker();
}

static void kill_after_ddl(const char *ddl)
{
    kill_at("ddl-executed", ddl);
}

/* A worker in normal mode again (right after its start) for the tests that follow. */
static void restart_normal(void)
{
    stop_worker(SIGTERM);
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    spawn_worker();
}

/* A RENAME TABLE swap replayed after the kill ran again and swapped the tables back,
 * silently: the execution marker (ddl_exec.h) says which statement of its split ran. */
START_TEST(ddl_replay_swap)
{
    sql(g_src, "CREATE TABLE rt.sw1 (id INT PRIMARY KEY, v VARCHAR(10))");
    sql(g_src, "CREATE TABLE rt.sw2 (id INT PRIMARY KEY, v VARCHAR(10))");
    sqli("FULL", "INSERT INTO rt.sw1 VALUES (1,'one'); INSERT INTO rt.sw2 VALUES (2,'two')");
    ck_assert_int_eq(converged("sw1", "id,v"), 1);
    kill_after_ddl("RENAME TABLE rt.sw1 TO rt.swx, rt.sw2 TO rt.sw1, rt.swx TO rt.sw2");
    sqli("FULL", "INSERT INTO rt.sw1 VALUES (3,'three')");
    ck_assert_int_eq(converged("sw1", "id,v"), 2);
    ck_assert_int_eq(converged("sw2", "id,v"), 1);
    both_eq("SELECT GROUP_CONCAT(id ORDER BY id) FROM %s.sw1", "2,3");
    both_eq("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='%s' AND "
            "TABLE_NAME='swx'", "0");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* A single RENAME COLUMN replayed after the kill paused with Error 1054 (Unknown column):
 * the target's definition tells it ran. */
START_TEST(ddl_replay_rename_column)
{
    sql(g_src, "CREATE TABLE rt.rn (id INT PRIMARY KEY, a INT, b VARCHAR(10))");
    sqli("FULL", "INSERT INTO rt.rn VALUES (1,10,'x')");
    ck_assert_int_eq(converged("rn", "id,a,b"), 1);
    kill_after_ddl("ALTER TABLE rt.rn RENAME COLUMN a TO a2");
    sqli("FULL", "INSERT INTO rt.rn VALUES (2,20,'y')");
    ck_assert_int_eq(converged("rn", "id,a2,b"), 2);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* Two columns swapped by name in one ALTER (kept whole: a second run swaps them back):
 * the names move, the positions stay, so the target's definition tells it ran. */
START_TEST(ddl_replay_column_swap)
{
    sql(g_src, "CREATE TABLE rt.cw (id INT PRIMARY KEY, a INT, b INT)");
    sqli("FULL", "INSERT INTO rt.cw VALUES (1,10,20)");
    ck_assert_int_eq(converged("cw", "id,a,b"), 1);
    kill_after_ddl("ALTER TABLE rt.cw RENAME COLUMN a TO b, RENAME COLUMN b TO a");
    sqli("FULL", "INSERT INTO rt.cw VALUES (2,30,40)");
    ck_assert_int_eq(converged("cw", "id,a,b"), 2);
    both_eq("SELECT CONCAT(a,':',b) FROM %s.cw WHERE id=1", "20:10");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* Killed after the marker of the swap chain's first statement was written, before the
 * statement ran (DMGW_FAILPOINT=ddl-marked): the restart finds the target unchanged and
 * runs the chain from that statement on, once. */
START_TEST(ddl_replay_marked_not_run)
{
    sql(g_src, "CREATE TABLE rt.mw1 (id INT PRIMARY KEY, v VARCHAR(10))");
    sql(g_src, "CREATE TABLE rt.mw2 (id INT PRIMARY KEY, v VARCHAR(10))");
    sqli("FULL", "INSERT INTO rt.mw1 VALUES (1,'one'); INSERT INTO rt.mw2 VALUES (2,'two')");
    ck_assert_int_eq(converged("mw1", "id,v"), 1);
    kill_at("ddl-marked", "RENAME TABLE rt.mw1 TO rt.mwx, rt.mw2 TO rt.mw1, rt.mwx TO rt.mw2");
    sqli("FULL", "INSERT INTO rt.mw1 VALUES (3,'three')");
    ck_assert_int_eq(converged("mw1", "id,v"), 2);
    ck_assert_int_eq(converged("mw2", "id,v"), 1);
    both_eq("SELECT GROUP_CONCAT(id ORDER BY id) FROM %s.mw1", "2,3");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* sql-skip (it ran: the table holds the partition's row) or sql-replace with the
 * statement (it did not run) at the paused task's position, then resume-task. */
static void decide_exchange(const char *task, const char *sch, const char *msg)
{
    Pb__HandleSubTaskSQLsRequest req = PB__HANDLE_SUB_TASK_SQLS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char pos[256] = "", q[256], v[64], stmt[256], det[512], out[2048];
    char *args[1] = { stmt };
    const char *p = strstr(msg, "sql-skip --binlog-pos ");
    ck_assert_msg(p && sscanf(p, "sql-skip --binlog-pos %255s", pos) == 1, "%s", msg);
    snprintf(q, sizeof q, "SELECT GROUP_CONCAT(id) FROM `%s`.`xt`", sch);
    value(g_dst, q, v, sizeof v);
    snprintf(stmt, sizeof stmt, "ALTER TABLE `%s`.`xp` EXCHANGE PARTITION p0 WITH TABLE "
             "`%s`.`xt`", sch, sch);
    req.name = (char *)task;
    req.binlogpos = pos;
    req.op = strcmp(v, "1") == 0 ? PB__SQLOP__SKIP : PB__SQLOP__REPLACE;
    if (req.op == PB__SQLOP__REPLACE) {
        req.n_args = 1;
        req.args = args;
    }
    ck_assert_int_eq(call("HandleSQLs", &req.base, &resp, det, sizeof det), RPC_OK);
    ck_assert_msg(((Pb__CommonWorkerResponse *)resp)->result, "HandleSQLs %s: %s", task,
                  ((Pb__CommonWorkerResponse *)resp)->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_msg(operate(task, PB__TASK_OP__Resume, out, sizeof out), "resume: %s", out);
}

/* EXCHANGE PARTITION swaps rows and leaves both definitions as they were: the target
 * cannot tell whether it ran, so the restart pauses the task that met its marker (not
 * transient), naming the statement and the position; the operator checks the rows and
 * skips or replaces it. A task that had not met the DDL runs it. */
START_TEST(ddl_replay_undecidable_pauses)
{
    const char *task[2] = { "norm", "safe" }, *sch[2] = { "rt_n", "rt_s" };
    char msg[2048], qs[512], q[512];
    int i, paused = 0;
    sql(g_src, "CREATE TABLE rt.xp (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id) "
               "(PARTITION p0 VALUES LESS THAN (100), PARTITION p1 VALUES LESS THAN MAXVALUE)");
    sql(g_src, "CREATE TABLE rt.xt (id INT PRIMARY KEY, v INT)");
    sqli("FULL", "INSERT INTO rt.xp VALUES (1,10),(200,30); INSERT INTO rt.xt VALUES (2,20)");
    ck_assert_int_eq(converged("xt", "id,v"), 1);
    kill_after_ddl("ALTER TABLE rt.xp EXCHANGE PARTITION p0 WITH TABLE rt.xt");
    sqli("FULL", "INSERT INTO rt.xt VALUES (3,40)");
    table_sum(qs, sizeof qs, "rt", "xt", "id,v");
    for (i = 0; i < 2; i++) {
        long long end = tu_now_ms() + 60000;
        bool same = false;
        table_sum(q, sizeof q, sch[i], "xt", "id,v");
        while (task_stage(task[i], msg, sizeof msg) != PB__STAGE__Paused &&
               !(same = converge(qs, q, 200)) && tu_now_ms() < end)
            ;
        if (same)
            continue;
        ck_assert_msg(strstr(msg, "the target cannot tell whether it took effect") &&
                      strstr(msg, "EXCHANGE PARTITION"), "%s: %s", task[i], msg);
        paused++;
        decide_exchange(task[i], sch[i], msg);
    }
    ck_assert_int_ge(paused, 1);    /* the task whose run was killed */
    ck_assert_int_eq(converged("xt", "id,v"), 2);
    ck_assert_int_eq(converged("xp", "id,v"), 2);
    both_eq("SELECT GROUP_CONCAT(id ORDER BY id) FROM %s.xt", "1,3");
    assert_running("norm");
    assert_running("safe");
    restart_normal();
}
END_TEST

/* ---- random workload (seeded: DMGW_SEED, printed; DMGW_DIVRAND_OPS statements) ---- */

static uint64_t g_rng;

static int pick(int n)
{
    return n > 0 ? (int)(tu_splitmix64(&g_rng) % (uint64_t)n) : 0;
}

#define PICK(arr) (arr)[pick((int)(sizeof(arr) / sizeof((arr)[0])))]

static const char *const r_tables[] = {
    "rp (id INT PRIMARY KEY, v INT, u INT NULL UNIQUE)",
    "rc (id INT AUTO_INCREMENT PRIMARY KEY, pid INT, pu INT, w VARCHAR(20), "
    "FOREIGN KEY (pid) REFERENCES rp(id) ON DELETE CASCADE ON UPDATE CASCADE, "
    "FOREIGN KEY (pu) REFERENCES rp(u) ON DELETE SET NULL ON UPDATE CASCADE)",
    "rg (id INT PRIMARY KEY, g GEOMETRY NULL, j JSON NULL, i6 INET6 NULL, uu UUID NULL, "
    "cz VARCHAR(400) COMPRESSED NULL, tz TEXT COMPRESSED NULL, "
    "gp VARCHAR(60) AS (CONCAT(id,'-',IFNULL(JSON_TYPE(j),'n'))) PERSISTENT, "
    "gv INT AS (id % 7) VIRTUAL, inv INT INVISIBLE DEFAULT 3, dr DOUBLE DEFAULT (RAND()), "
    "ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), "
    "y YEAR NULL, b64 BIT(64) NULL, n INT DEFAULT 0, UNIQUE KEY (uu), KEY (gp))",
    "rk (g GEOMETRY NULL, j JSON NULL, i6 INET6 NULL, cz VARCHAR(100) COMPRESSED NULL, "
    "y YEAR NULL, b BIT(64) NULL, f FLOAT NULL, t TIME(6) NULL, dt DATETIME(6) NULL, v INT)",
    "ru (id INT PRIMARY KEY, k VARCHAR(20) CHARACTER SET latin1 NOT NULL UNIQUE, "
    "n INT DEFAULT 7, m VARCHAR(10) DEFAULT 'd')",
    "ra (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(40), e INT)",
    "rd (id INT PRIMARY KEY, a INT, b VARCHAR(20))",
    "rx (id INT PRIMARY KEY, v INT CHECK (v >= 0), w INT, CONSTRAINT cvw CHECK (w <> v))",
    "rq (id INT PRIMARY KEY, v INT) DEFAULT CHARSET=utf8mb4 PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN "
    "(10), PARTITION p1 VALUES LESS THAN (20), PARTITION p2 VALUES LESS THAN MAXVALUE)",
    "rs1 (id INT PRIMARY KEY, v VARCHAR(10))",
    "rs2 (id INT PRIMARY KEY, v VARCHAR(10))",
    "rcs (id INT, w VARCHAR(20))",
};

static const char *const v_geom[] = {
    "NULL", "ST_GeomFromText('POINT(1 2)')", "ST_GeomFromText('POINT(-0 1e-300)')",
    "ST_GeomFromText('LINESTRING(0 0,1 1,2 5)')",
    "ST_GeomFromText('POLYGON((0 0,4 0,4 4,0 4,0 0))')",
    "ST_GeomFromText('POINT(3 4)',4326)", "ST_GeomFromText('MULTIPOINT(1 1,2 2)')",
    "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))')",
};
static const char *const v_json[] = {
    "NULL", "'{}'", "'[]'", "'{\"a\":1,\"b\":[1,2,{\"c\":null}]}'", "'\"é😀\"'", "'null'",
    "'1.5e300'", "'{\"k\": \"x\\\\\\\\y\"}'",
};
static const char *const v_i6[] = { "NULL", "'::'", "'::1'", "'ffff::'", "'::ffff:1.2.3.4'",
                                     "'2001:db8::ff00:42:8300'" };
static const char *const v_text[] = {
    "NULL", "''", "'a'", "REPEAT('x',99)", "REPEAT('ab',150)", "REPEAT('é',120)",
    "REPEAT('😀',90)", "'x y '", "REPEAT(CHAR(0),30)",
};
static const char *const v_year[] = { "NULL", "0", "1901", "2155", "2000", "'00'", "69", "70" };
static const char *const v_bit[] = { "NULL", "0", "b'1'", "0xFFFFFFFFFFFFFFFF",
                                     "0x8000000000000000", "1234567890123" };
static const char *const v_float[] = { "NULL", "-0e0", "1.4e-45", "1.17549435e-38",
                                       "3.4028234e38", "-3.4028234e38", "0.1", "16777217" };
static const char *const v_time[] = { "NULL", "'-838:59:59'", "'838:59:59.000000'",
                                      "'-00:00:00.000001'", "'00:00:00'", "'-12:34:56.789012'" };
static const char *const v_dt[] = {
    "NULL", "'0000-00-00 00:00:00'", "'1000-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'",
    "'2024-02-29 12:00:00.5'", "'2020-00-15 00:00:00'", "'2021-02-30 10:00:00'",
};
static const char *const v_ts[] = {
    "DEFAULT", "'1970-01-01 00:00:01'", "'2038-01-19 03:14:07.999999'",
    "'2024-03-31 02:30:00'", "'2024-10-27 02:30:00.25'", "'2024-11-03 01:30:00'",
};
static const char *const r_images[] = { "FULL", "MINIMAL", "NOBLOB" };
static const char *const r_modes[] = {
    "''", "'STRICT_ALL_TABLES'", "'ALLOW_INVALID_DATES'", "'NO_AUTO_VALUE_ON_ZERO'",
    "'STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE'", "'PAD_CHAR_TO_FULL_LENGTH'",
};
static const char *const r_zones[] = { "'+00:00'", "'+05:30'", "'-08:00'", "'+13:00'",
                                       "'SYSTEM'" };
static long g_ran, g_refused;

/* A source session with random row image, sql_mode, time zone, foreign_key_checks and
 * unique_checks. */
static MYSQL *r_session(void)
{
    MYSQL *m = mysql_init(NULL);
    char q[512];
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", "rt", (unsigned)g_src, NULL,
                                     CLIENT_MULTI_STATEMENTS), "connect: %s", mysql_error(m));
    ck_assert_int_eq(mysql_set_character_set(m, "utf8mb4"), 0);
    snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s', sql_mode=%s, time_zone=%s, "
             "foreign_key_checks=%d, unique_checks=%d, check_constraint_checks=%d",
             PICK(r_images), PICK(r_modes), PICK(r_zones), pick(3) ? 1 : 0, pick(4) ? 1 : 0,
             pick(3) ? 1 : 0);
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    return m;
}

static void r_run(MYSQL *m, const char *q)
{
    g_ran++;
    if (mysql_query(m, q) != 0) {
        ck_assert_msg(mysql_errno(m) != 2006 && mysql_errno(m) != 2013, "%s", mysql_error(m));
        if (getenv("DMGW_DIVRAND_VERBOSE"))
            fprintf(stderr, "refused (%s): %.300s\n", mysql_error(m), q);
        g_refused++;
        return;
    }
    mysql_free_result(mysql_store_result(m));
}

static int r_id(void)
{
    return 1 + pick(30);
}

/* One random statement (or short transaction) on m. */
static void r_step(MYSQL *m)
{
    char q[4096];
    int op = pick(31), a = r_id(), b = r_id();
    switch (op) {
    case 0: case 1:
        snprintf(q, sizeof q, "INSERT INTO rt.rp VALUES (%d,%d,%s)", a, pick(100),
                 pick(3) ? "NULL" : (snprintf(q + 3000, 64, "%d", b), q + 3000));
        break;
    case 2: case 3:
        snprintf(q, sizeof q, "INSERT INTO rt.rc (pid,pu,w) VALUES (%d,%s,%s)", a,
                 pick(2) ? "NULL" : (snprintf(q + 3000, 64, "%d", b), q + 3000), PICK(v_text));
        break;
    case 4:
        snprintf(q, sizeof q, pick(2) ? "UPDATE rt.rp SET id=id+%d WHERE id=%d"
                                      : "UPDATE rt.rp SET u=%d WHERE id=%d", 40 + b, a);
        break;
    case 5:
        snprintf(q, sizeof q, "DELETE FROM rt.rp WHERE id=%d OR u=%d", a, b);
        break;
    case 6:
        snprintf(q, sizeof q, "UPDATE rt.rc JOIN rt.rp ON rc.pid=rp.id SET rc.w=CONCAT("
                 "IFNULL(rc.w,''),'j'), rp.v=rp.v+1 WHERE rp.id<%d", a);
        break;
    case 7:
        snprintf(q, sizeof q, "DELETE rc, rp FROM rc JOIN rp ON rc.pid=rp.id WHERE rp.v=%d",
                 pick(100));
        break;
    case 8: case 9:
        snprintf(q, sizeof q, "INSERT INTO rt.rg (id,g,j,i6,uu,cz,tz,y,b64,ts) VALUES "
                 "(%d,%s,%s,%s,%s,%s,%s,%s,%s,%s)", a, PICK(v_geom), PICK(v_json), PICK(v_i6),
                 pick(3) ? "UUID()" : "NULL", PICK(v_text), PICK(v_text), PICK(v_year),
                 PICK(v_bit), PICK(v_ts));
        break;
    case 10:
        snprintf(q, sizeof q, "UPDATE rt.rg SET %s=%s, n=n+1 WHERE id=%d",
                 pick(2) ? "cz" : "tz", PICK(v_text), a);
        break;
    case 11:
        snprintf(q, sizeof q, "UPDATE rt.rg SET g=%s, j=%s, y=%s WHERE id IN (%d,%d)",
                 PICK(v_geom), PICK(v_json), PICK(v_year), a, b);
        break;
    case 12:
        snprintf(q, sizeof q, "DELETE FROM rt.rg WHERE id=%d", a);
        break;
    case 13: case 14:
        snprintf(q, sizeof q, "INSERT INTO rt.rk VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%d)",
                 PICK(v_geom), PICK(v_json), PICK(v_i6), PICK(v_text), PICK(v_year),
                 PICK(v_bit), PICK(v_float), PICK(v_time), PICK(v_dt), pick(10));
        break;
    case 15:
        snprintf(q, sizeof q, "UPDATE rt.rk SET v=v+10, %s LIMIT 1", pick(2) ?
                 "f=f*2" : pick(2) ? "g=ST_GeomFromText('POINT(9 9)')" : "cz=CONCAT(cz,'z')");
        break;
    case 16:
        snprintf(q, sizeof q, "DELETE FROM rt.rk WHERE v=%d LIMIT 1", pick(30));
        break;
    case 17:
        snprintf(q, sizeof q, pick(2) ? "SET STATEMENT binlog_row_image=FULL FOR REPLACE INTO rt.ru (id,k) "
                 "VALUES (%d,'k%d')"
                 : "INSERT INTO rt.ru (id,k) VALUES (%d,'k%d') ON DUPLICATE KEY UPDATE n=n+1, "
                   "m='u'", a, b % 9);
        break;
    case 18:
        snprintf(q, sizeof q, "INSERT INTO rt.ra (s,e) SELECT w, id FROM rt.rc WHERE id>%d "
                 "LIMIT %d", pick(50), 1 + pick(20));
        break;
    case 19:
        snprintf(q, sizeof q, "BEGIN; INSERT INTO rt.ra (s,e) VALUES ('t%d',1); SAVEPOINT s1; "
                 "UPDATE rt.rp SET v=v+1000 WHERE id=%d; INSERT INTO rt.ra (s,e) VALUES "
                 "('t%d',2); ROLLBACK TO SAVEPOINT s1; UPDATE rt.rg SET n=n+5 WHERE id=%d; "
                 "COMMIT", a, b, a, b);
        break;
    case 20: {
        size_t off = (size_t)snprintf(q, sizeof q, "INSERT INTO rt.ra (s,e) VALUES ");
        for (int i = 0; i < 150; i++)
            off += (size_t)snprintf(q + off, sizeof q - off, "%s('b%d',%d)", i ? "," : "", i,
                                    pick(1000));
        break;
    }
    case 21:
        snprintf(q, sizeof q, "CREATE TEMPORARY TABLE tmp%d SELECT id, w FROM rt.rc; INSERT "
                 "INTO rt.ra (s,e) SELECT w, id FROM tmp%d LIMIT 3; DROP TEMPORARY TABLE tmp%d",
                 a, a, a);
        break;
    case 22:
        snprintf(q, sizeof q, pick(2) ? "INSERT INTO rt.rd VALUES (%d,%d,'r%d') ON DUPLICATE "
                 "KEY UPDATE a=a+1" : "INSERT INTO rt.rd (id) VALUES (%d) ON DUPLICATE KEY UPDATE "
                 "id=id+%d", a, b + 30, b);
        break;
    case 24: case 25:
        snprintf(q, sizeof q, "INSERT INTO rt.rx VALUES (%d,%d,%d) ON DUPLICATE KEY UPDATE "
                 "v=VALUES(v), w=w-1", a, pick(7) - 3, pick(7) - 3);
        break;
    case 26:
        snprintf(q, sizeof q, pick(3) ? "REPLACE INTO rt.rq VALUES (%d,%d)"
                                      : "UPDATE rt.rq SET id=id+7 WHERE id=%d OR v=%d", a, b);
        break;
    case 27:
        snprintf(q, sizeof q, pick(2) ? "ALTER TABLE rt.rq TRUNCATE PARTITION p%d"
                                      : "DELETE FROM rt.rq PARTITION (p%d) WHERE v>%d",
                 pick(3), pick(30));
        break;
    case 28:
        snprintf(q, sizeof q, pick(2) ? "INSERT INTO rt.rs1 VALUES (%d,'a%d')"
                 : "INSERT INTO rt.rs2 VALUES (%d,'b%d') ON DUPLICATE KEY UPDATE v='u'", a, b);
        break;
    case 29:
        snprintf(q, sizeof q, pick(2) ? "RENAME TABLE rt.rs1 TO rt.rsx, rt.rs2 TO rt.rs1, "
                 "rt.rsx TO rt.rs2" : "DROP TABLE rt.rcs; CREATE TABLE rt.rcs SELECT id, w "
                 "FROM rt.rc WHERE id %% 3 = %d", pick(3));
        break;
    case 30: {
        static const char *const meta[] = { "NO_LOG", "MINIMAL", "FULL" };
        snprintf(q, sizeof q, "SET GLOBAL binlog_row_metadata=%s", PICK(meta));
        break;
    }
    default: {
        switch (pick(10)) {
        case 0: snprintf(q, sizeof q, "ALTER TABLE rt.rd ADD COLUMN c%d INT DEFAULT %d", a, b); break;
        case 1: snprintf(q, sizeof q, "ALTER TABLE rt.rd DROP COLUMN b"); break;
        case 2: snprintf(q, sizeof q, "ALTER TABLE rt.rd ADD COLUMN b VARCHAR(30) DEFAULT "
                         "'n%d' AFTER a", a); break;
        case 3: snprintf(q, sizeof q, "ALTER TABLE rt.rd MODIFY a BIGINT"); break;
        case 4: snprintf(q, sizeof q, "ALTER TABLE rt.rd ADD INDEX ia%d (a)", a); break;
        case 5: snprintf(q, sizeof q, "ALTER TABLE rt.rd RENAME COLUMN a TO a2"); break;
        case 6: snprintf(q, sizeof q, "ALTER TABLE rt.rd RENAME COLUMN a2 TO a"); break;
        case 7: snprintf(q, sizeof q, "ALTER TABLE rt.rd ADD UNIQUE KEY ub%d (b)", a); break;
        case 8: snprintf(q, sizeof q, "UPDATE rt.rd SET b=CONCAT(b,'%d') WHERE id<%d", a, b);
                break;
        default: snprintf(q, sizeof q, "DELETE FROM rt.rd WHERE id=%d", a); break;
        }
        break;
    }
    }
    r_run(m, q);
    while (mysql_next_result(m) == 0)
        mysql_free_result(mysql_store_result(m));
}

/* "count:sum" of schema.table over every column of rt.<table> (the source's). */
static void r_sum(int port, const char *schema, const char *table, char *out, size_t cap)
{
    MYSQL *m = db(g_src), *t;
    MYSQL_RES *r;
    MYSQL_ROW row;
    char *q = malloc(65536);
    size_t off;
    ck_assert_ptr_nonnull(q);
    snprintf(q, 65536, "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
             "TABLE_SCHEMA='rt' AND TABLE_NAME='%s' ORDER BY ORDINAL_POSITION", table);
    ck_assert_int_eq(mysql_query(m, q), 0);
    r = mysql_store_result(m);
    off = (size_t)snprintf(q, 65536, "SELECT CONCAT(COUNT(*),':',COALESCE(SUM(CAST(CONV("
                           "SUBSTR(MD5(CONCAT_WS('|'");
    while ((row = mysql_fetch_row(r)))
        off += (size_t)snprintf(q + off, 65536 - off, strcmp(row[1], "float") == 0 ?
                                ",IFNULL(CAST(`%s` AS DOUBLE),'N')" :
                                ",IFNULL(HEX(CAST(`%s` AS BINARY)),'N')", row[0]);
    mysql_free_result(r);
    mysql_close(m);
    snprintf(q + off, 65536 - off, ")),1,15),16,10) AS UNSIGNED)),0)) FROM `%s`.`%s`", schema,
             table);
    t = db(port);
    ck_assert_int_eq(mysql_query(t, "SET time_zone='+00:00', sql_mode=''"), 0);
    if (mysql_query(t, q) == 0 && (r = mysql_store_result(t))) {
        row = mysql_fetch_row(r);
        snprintf(out, cap, "%s", row && row[0] ? row[0] : "");
        mysql_free_result(r);
    } else {
        snprintf(out, cap, "(%s)", mysql_error(t));
    }
    mysql_close(t);
    free(q);
}

/* The rows of rt.<table> on port/schema as "col|col|..." lines (HEX of every column). */
static char **r_rows(int port, const char *schema, const char *table, size_t *n)
{
    MYSQL *m = db(g_src), *t;
    MYSQL_RES *r;
    MYSQL_ROW row;
    char *q = malloc(65536), **out = NULL;
    size_t off, k = 0;
    ck_assert_ptr_nonnull(q);
    snprintf(q, 65536, "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
             "TABLE_SCHEMA='rt' AND TABLE_NAME='%s' ORDER BY ORDINAL_POSITION", table);
    ck_assert_int_eq(mysql_query(m, q), 0);
    r = mysql_store_result(m);
    off = (size_t)snprintf(q, 65536, "SELECT CONCAT_WS('|'");
    while ((row = mysql_fetch_row(r)))
        off += (size_t)snprintf(q + off, 65536 - off, strcmp(row[1], "float") == 0 ?
                                ",IFNULL(CAST(`%s` AS DOUBLE),'N')" :
                                ",IFNULL(HEX(CAST(`%s` AS BINARY)),'N')", row[0]);
    mysql_free_result(r);
    mysql_close(m);
    snprintf(q + off, 65536 - off, ") x FROM `%s`.`%s` ORDER BY x", schema, table);
    t = db(port);
    ck_assert_int_eq(mysql_query(t, "SET time_zone='+00:00', sql_mode=''"), 0);
    ck_assert_msg(mysql_query(t, q) == 0, "%s", mysql_error(t));
    r = mysql_store_result(t);
    out = calloc(mysql_num_rows(r) + 1, sizeof *out);
    while ((row = mysql_fetch_row(r)))
        out[k++] = strdup(row[0] ? row[0] : "NULL");
    mysql_free_result(r);
    mysql_close(t);
    free(q);
    *n = k;
    return out;
}

/* Print the rows of rt.<table> that rt_n lacks and the other way round. */
static void r_diff(const char *table)
{
    size_t ns, nd, i, j;
    char **s = r_rows(g_src, "rt", table, &ns), **d = r_rows(g_dst, "rt_n", table, &nd);
    for (i = 0, j = 0; i < ns || j < nd;) {
        int c = i == ns ? 1 : j == nd ? -1 : strcmp(s[i], d[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        fprintf(stderr, "  %s %.1500s\n", c < 0 ? "source:" : "rt_n:  ", c < 0 ? s[i] : d[j]);
        c < 0 ? i++ : j++;
    }
    for (i = 0; i < ns; i++)
        free(s[i]);
    for (j = 0; j < nd; j++)
        free(d[j]);
    free(s);
    free(d);
}

/* Every table of rt equal on rt_n and rt_s (or a task paused: fail naming it). */
static void r_compare(void)
{
    static const char *const names[] = { "rp", "rc", "rg", "rk", "ru", "ra", "rd", "rx", "rq",
                                         "rs1", "rs2", "rcs" };
    char s[128], n[128], f[128], msg[2048];
    const char *tasks[2] = { "norm", "safe" };
    size_t k;
    int i;
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        long long end = tu_now_ms() + 60000;
        for (;;) {
            r_sum(g_src, "rt", names[k], s, sizeof s);
            r_sum(g_dst, "rt_n", names[k], n, sizeof n);
            r_sum(g_dst, "rt_s", names[k], f, sizeof f);
            if (strcmp(s, n) == 0 && strcmp(s, f) == 0)
                break;
            for (i = 0; i < 2; i++)
                ck_assert_msg(task_stage(tasks[i], msg, sizeof msg) == PB__STAGE__Running,
                              "%s paused: %s (%s: source %s, rt_n %s, rt_s %s)", tasks[i],
                              msg, names[k], s, n, f);
            if (tu_now_ms() >= end)
                r_diff(names[k]);
            ck_assert_msg(tu_now_ms() < end, "rt.%s differs: source %s, rt_n %s, rt_s %s",
                          names[k], s, n, f);
            usleep(300000);
        }
        fprintf(stderr, "  rt.%s equal: %s\n", names[k], s);
    }
}

START_TEST(random_mix)
{
    const char *e = getenv("DMGW_SEED"), *o = getenv("DMGW_DIVRAND_OPS");
    uint64_t seed = e && e[0] ? strtoull(e, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    int nops = o && o[0] ? atoi(o) : 300, i, k;
    bool kill9 = getenv("DMGW_DIVRAND_KILL9") != NULL;
    MYSQL *ms[3];
    size_t t;
    g_rng = seed;
    fprintf(stderr, "test_sync_divrand random_mix: DMGW_SEED=%llu ops=%d\n",
            (unsigned long long)seed, nops);
    for (t = 0; t < sizeof r_tables / sizeof r_tables[0]; t++)
        sql(g_src, "CREATE TABLE rt.%s%s", r_tables[t],
            strstr(r_tables[t], "PARTITION") ? "" : " DEFAULT CHARSET=utf8mb4");
    /* a source trigger: its rows are in the binlog, the trigger is not created on the target */
    sql(g_src, "CREATE TRIGGER rt.trd AFTER INSERT ON rt.rd FOR EACH ROW INSERT INTO rt.ra "
               "(s,e) VALUES (CONCAT('trg',NEW.id), NEW.id)");
    for (k = 0; k < 3; k++)
        ms[k] = r_session();
    for (i = 0; i < nops; i++) {
        k = pick(3);
        if (pick(40) == 0) {              /* a new session: other settings */
            mysql_close(ms[k]);
            ms[k] = r_session();
        }
        r_step(ms[k]);
        if (kill9 && (i == nops / 3 || i == 2 * nops / 3)) {
            /* kill -9 of dm-worker while the source writes on; the restart replays from
             * the checkpoint in safe mode (60 s) */
            usleep((useconds_t)(pick(400) * 1000));
            stop_worker(SIGKILL);
            setenv("DM_WORKER_SAFE_MODE_MS", "60000", 1);
            spawn_worker();
        }
    }
    for (k = 0; k < 3; k++)
        mysql_close(ms[k]);
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    fprintf(stderr, "  %ld statements, %ld refused by the source\n", g_ran, g_refused);
    r_compare();
}
END_TEST

/* A DDL the target refuses (EXCHANGE PARTITION of a target table holding a row outside the
 * partition: Error 1737) pauses with that error; its marker says it did not run, so the
 * resume after the operator's fix runs it - not the "cannot tell" pause. */
START_TEST(ddl_refused_then_resumed)
{
    const char *task[2] = { "norm", "safe" }, *sch[2] = { "rt_n", "rt_s" };
    char msg[2048], out[2048];
    int i;
    sql(g_src, "CREATE TABLE rt.ep (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id) "
               "(PARTITION p0 VALUES LESS THAN (100), PARTITION p1 VALUES LESS THAN MAXVALUE)");
    sql(g_src, "CREATE TABLE rt.et (id INT PRIMARY KEY, v INT)");
    sqli("FULL", "INSERT INTO rt.ep VALUES (1,10); INSERT INTO rt.et VALUES (2,20)");
    ck_assert_int_eq(converged("et", "id,v"), 1);
    for (i = 0; i < 2; i++)
        sql(g_dst, "INSERT INTO %s.et VALUES (500,50)", sch[i]);
    sql(g_src, "ALTER TABLE rt.ep EXCHANGE PARTITION p0 WITH TABLE rt.et");
    for (i = 0; i < 2; i++) {
        long long end = tu_now_ms() + 30000;
        while (task_stage(task[i], msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "1737") && !strstr(msg, "cannot tell"), "%s: %s", task[i],
                      msg);
        sql(g_dst, "DELETE FROM %s.et WHERE id=500", sch[i]);
        ck_assert_msg(operate(task[i], PB__TASK_OP__Resume, out, sizeof out), "resume: %s", out);
    }
    ck_assert_int_eq(converged("et", "id,v"), 1);
    ck_assert_int_eq(converged("ep", "id,v"), 1);
    both_eq("SELECT GROUP_CONCAT(id) FROM %s.et", "1");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_divrand");
    TCase *tc = tcase_create("divrand");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fk_checks_off_no_cascade);
    tcase_add_test(tc, fk_unreplicated_parent_pauses);
    tcase_add_test(tc, compressed_columns);
    tcase_add_test(tc, timestamp_first_second);
    tcase_add_test(tc, check_constraints_off);
    tcase_add_test(tc, ddl_replay_swap);
    tcase_add_test(tc, ddl_replay_rename_column);
    tcase_add_test(tc, ddl_replay_column_swap);
    tcase_add_test(tc, ddl_replay_marked_not_run);
    tcase_add_test(tc, ddl_replay_undecidable_pauses);
    tcase_add_test(tc, ddl_refused_then_resumed);
    tcase_add_test(tc, random_mix);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

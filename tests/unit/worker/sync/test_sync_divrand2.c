/* test_sync_divrand2.c - random-workload divergence hunt on the Sync unit, second pass
 * (session 10): shapes test_sync_divrand.c does not cover, each into a normal-mode task
 * (norm: rt -> rt_n) and a safe-mode task (safe: rt -> rt_s) on real MariaDB, compared
 * row by row (HEX of every column of every table of rt):
 *  - types at their edges: DECIMAL(65,30) / (65,0) extremes, BIT(1..64), FLOAT / DOUBLE
 *    edges, JSON, VIRTUAL / STORED generated columns with a unique key on a stored one,
 *    INVISIBLE columns, DATETIME(6) / TIME(6) boundaries, zero dates (sql_mode '');
 *  - DDL between rows: ADD COLUMN FIRST / AFTER, DROP PRIMARY KEY, ADD UNIQUE, CONVERT TO
 *    CHARACTER SET, TRUNCATE, RENAME TABLE; a zoo of ALTER forms (ddl_zoo); ALTER TABLE ...
 *    CONVERT PARTITION p TO TABLE x, whose x was not routed (fixed in ddl_emit.c);
 *  - filters: Go-regexp do-tables, event and sql-pattern filters, routes (filters_exact);
 *  - a unique key over a STORED generated column: its values are in no image, an INSERT
 *    taking a value ran before the UPDATE freeing it (fixed in applier_dml.c: such tables
 *    are ordered as a whole);
 *  - values over 16 MiB (big_values, DMGW_DIVRAND2_BIG only: the long variant);
 *  - random_mix2: a seeded workload (DMGW_SEED, DMGW_DIVRAND2_OPS) of MINIMAL / NOBLOB
 *    UPDATEs moving keys, DELETEs, multi-statement transactions with SAVEPOINT, INSERT
 *    IGNORE / REPLACE / ON DUPLICATE KEY UPDATE, multi-table statements and transactions
 *    bigger than the task's batch, with DMGW_DIVRAND2_KILL9 kills -9 of dm-worker. A task
 *    may pause with a named error (never Running while its target differs).
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

/* The expression list "HEX of every column" of rt.<table> as the source has it now. */
static void col_exprs(const char *table, char *out, size_t cap)
{
    MYSQL *m = db(g_src);
    MYSQL_RES *r;
    MYSQL_ROW row;
    char q[512];
    size_t off = 0;
    snprintf(q, sizeof q, "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
             "TABLE_SCHEMA='rt' AND TABLE_NAME='%s' ORDER BY ORDINAL_POSITION", table);
    ck_assert_int_eq(mysql_query(m, q), 0);
    r = mysql_store_result(m);
    out[0] = '\0';
    while ((row = mysql_fetch_row(r)))
        off += (size_t)snprintf(out + off, cap - off, strcmp(row[1], "float") == 0 ?
                                ",IFNULL(CAST(`%s` AS DOUBLE),'N')" :
                                ",IFNULL(HEX(CAST(`%s` AS BINARY)),'N')", row[0]);
    mysql_free_result(r);
    mysql_close(m);
}

/* The rows of schema.table (HEX of every column of rt.<table>) as sorted lines. */
static char **rows_of(int port, const char *schema, const char *table, size_t *n)
{
    char *cols = malloc(32768), *q = malloc(40000), **out;
    MYSQL *t = db(port);
    MYSQL_RES *r;
    MYSQL_ROW row;
    size_t k = 0;
    ck_assert_ptr_nonnull(cols);
    ck_assert_ptr_nonnull(q);
    col_exprs(table, cols, 32768);
    snprintf(q, 40000, "SELECT CONCAT_WS('|'%s) x FROM `%s`.`%s` ORDER BY x", cols, schema, table);
    ck_assert_int_eq(mysql_query(t, "SET time_zone='+00:00', sql_mode=''"), 0);
    *n = 0;
    if (mysql_query(t, q) != 0) {   /* the same error on both sides is no equality */
        out = calloc(2, sizeof *out);
        out[0] = strdup(mysql_error(t));
        *n = 1;
        fprintf(stderr, "  %s.%s: %s\n", schema, table, out[0]);
    } else {
        r = mysql_store_result(t);
        out = calloc(mysql_num_rows(r) + 1, sizeof *out);
        while ((row = mysql_fetch_row(r)))
            out[k++] = strdup(row[0] ? row[0] : "NULL");
        mysql_free_result(r);
        *n = k;
    }
    mysql_close(t);
    free(cols);
    free(q);
    return out;
}

static void rows_free(char **v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Lines of a that b lacks and the other way round, printed; true when equal. */
static bool rows_diff(char **a, size_t na, char **b, size_t nb, const char *tag, bool print)
{
    size_t i = 0, j = 0;
    bool eq = true;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        eq = false;
        if (print)
            fprintf(stderr, "  %s %s %.600s\n", tag, c < 0 ? "source:" : "target:",
                    c < 0 ? a[i] : b[j]);
        c < 0 ? i++ : j++;
    }
    return eq;
}

static const char *const g_task[2] = { "norm", "safe" }, *const g_sch[2] = { "rt_n", "rt_s" };

/* rt.<table> equal in the target of task i (true), or the task paused with a message
 * holding `pause` (false; NULL: it must stay Running). */
static bool compare_table(int i, const char *table, const char *pause)
{
    char msg[2048];
    long long end = tu_now_ms() + 60000;
    for (;;) {
        size_t ns, nd;
        char **s = rows_of(g_src, "rt", table, &ns);
        char **d = rows_of(g_dst, g_sch[i], table, &nd);
        bool late = tu_now_ms() >= end, eq = rows_diff(s, ns, d, nd, g_sch[i], late);
        int st;
        rows_free(s, ns);
        rows_free(d, nd);
        if (eq)
            return true;
        st = task_stage(g_task[i], msg, sizeof msg);
        if (st == PB__STAGE__Paused && pause && strstr(msg, pause)) {
            fprintf(stderr, "  %s paused as allowed: %.400s\n", g_task[i], msg);
            return false;
        }
        ck_assert_msg(st == PB__STAGE__Running, "%s paused: %s (at rt.%s)", g_task[i], msg,
                      table);
        ck_assert_msg(!late, "%s.%s differs from rt.%s, task %s Running", g_sch[i], table,
                      table, g_task[i]);
        usleep(300000);
    }
}

static void compare_one(const char *table)
{
    compare_table(0, table, NULL);
    compare_table(1, table, NULL);
}

/* Every table of rt equal in rt_n and rt_s, or the task named paused with a message
 * holding `pause` (NULL: both must stay Running). Returns the number of tables. */
static int compare_all(const char *pause)
{
    MYSQL *m = db(g_src);
    MYSQL_RES *r;
    MYSQL_ROW row;
    char names[64][65];
    int nt = 0, k, i;
    ck_assert_int_eq(mysql_query(m, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                    "TABLE_SCHEMA='rt' AND TABLE_TYPE<>'VIEW' ORDER BY 1"), 0);
    r = mysql_store_result(m);
    while ((row = mysql_fetch_row(r)) && nt < 64)
        snprintf(names[nt++], sizeof names[0], "%s", row[0]);
    mysql_free_result(r);
    mysql_close(m);
    for (i = 0; i < 2; i++)
        for (k = 0; k < nt && compare_table(i, names[k], pause); k++)
            ;
    return nt;
}

/* rt.<table> equal in rt_n and rt_s (both tasks Running); its row count. */
static long converged(const char *table)
{
    char q[128], v[64];
    compare_one(table);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM rt.%s", table);
    value(g_src, q, v, sizeof v);
    return strtol(v, NULL, 10);
}

/* New connections after a max_allowed_packet change (dm-worker's included). */
static void restart_for_packet(void)
{
    stop_worker(SIGTERM);
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    spawn_worker();
}

static void both_running(void)
{
    assert_running("norm");
    assert_running("safe");
}

/* Column types at their edges, keyed and key-less, under FULL / MINIMAL / NOBLOB. */
START_TEST(type_edges)
{
    static const char *const images[] = { "FULL", "MINIMAL", "NOBLOB" };
    int i;
    sql(g_src, "CREATE TABLE rt.td (id INT PRIMARY KEY, d1 DECIMAL(65,30), d2 DECIMAL(65,0), "
               "d3 DECIMAL(10,10) UNSIGNED, d4 DECIMAL(1,0), d5 DECIMAL(38,19) ZEROFILL)");
    sql(g_src, "CREATE TABLE rt.tb (id INT PRIMARY KEY, b1 BIT(1), b7 BIT(7), b9 BIT(9), "
               "b17 BIT(17), b33 BIT(33), b63 BIT(63), b64 BIT(64))");
    sql(g_src, "CREATE TABLE rt.tbk (b1 BIT(1), b9 BIT(9), b64 BIT(64), v INT)");
    sql(g_src, "CREATE TABLE rt.tf (id INT PRIMARY KEY, f FLOAT, d DOUBLE, fu FLOAT UNSIGNED, "
               "f52 FLOAT(7,3), d62 DOUBLE(20,6))");
    sql(g_src, "CREATE TABLE rt.tg (id INT PRIMARY KEY, a INT, b VARCHAR(20), "
               "s VARCHAR(40) AS (CONCAT(b,'/',a)) STORED, v INT AS (a*2) VIRTUAL, "
               "inv INT INVISIBLE DEFAULT 9, j JSON, jv VARCHAR(20) AS (JSON_VALUE(j,'$.k')) "
               "VIRTUAL, UNIQUE KEY us (s), KEY kv (v)) DEFAULT CHARSET=utf8mb4");
    sql(g_src, "CREATE TABLE rt.tgk (a INT, b VARCHAR(20), s VARCHAR(40) AS (CONCAT(b,'/',a)) "
               "STORED UNIQUE, inv INT INVISIBLE DEFAULT 1) DEFAULT CHARSET=utf8mb4");
    sql(g_src, "CREATE TABLE rt.tt (id INT PRIMARY KEY, dt DATETIME(6), t TIME(6), t0 TIME, "
               "d DATE, ts TIMESTAMP(6) NULL, y YEAR)");
    for (i = 0; i < 3; i++) {
        int o = i * 100;
        sqli(images[i], "SET sql_mode=''; INSERT INTO rt.td VALUES "
             "(%d,'99999999999999999999999999999999999.999999999999999999999999999999',"
             "'99999999999999999999999999999999999999999999999999999999999999999',"
             "0.9999999999,9,'9999999999999999999.9999999999999999999'),"
             "(%d,'-99999999999999999999999999999999999.999999999999999999999999999999',"
             "'-99999999999999999999999999999999999999999999999999999999999999999',0,-9,0),"
             "(%d,'0.000000000000000000000000000001',-0,0.0000000001,0,"
             "'0.0000000000000000001'),(%d,NULL,NULL,NULL,NULL,NULL)", o + 1, o + 2, o + 3, o + 4);
        sqli(images[i], "UPDATE rt.td SET d1=-d1, d2=d2-1, id=id+50 WHERE id=%d;"
             "DELETE FROM rt.td WHERE id=%d", o + 1, o + 2);
        sqli(images[i], "SET sql_mode=''; INSERT INTO rt.tb VALUES (%d,1,127,511,131071,"
             "8589934591,0x7FFFFFFFFFFFFFFF,0xFFFFFFFFFFFFFFFF),(%d,0,0,256,65536,4294967296,"
             "0x4000000000000000,0x8000000000000001),(%d,NULL,1,1,1,1,1,1);"
             "UPDATE rt.tb SET b9=b9^1, b64=b64>>1, id=id+50 WHERE id=%d;"
             "INSERT INTO rt.tbk VALUES (1,511,0xFFFFFFFFFFFFFFFF,%d),(0,0,0,%d),(NULL,256,"
             "0x8000000000000000,%d); UPDATE rt.tbk SET v=v+1000 WHERE b64=0x8000000000000000;"
             "DELETE FROM rt.tbk WHERE b9=511 AND v=%d", o + 1, o + 2, o + 3, o + 2, i, i, i, i);
        sqli(images[i], "SET sql_mode=''; INSERT INTO rt.tf VALUES (%d,-0e0,-0e0,0,9999.999,"
             "99999999999999.999999),(%d,1.4e-45,4.9e-324,3.4028234e38,-9999.999,"
             "-1.7976931348623157e308),(%d,-3.4028234e38,1.7976931348623157e308,1.17549435e-38,"
             "0.0005,2.2250738585072014e-308),(%d,0.1,0.1,NULL,NULL,NULL);"
             "UPDATE rt.tf SET d=d/3, f=f*3 WHERE id=%d; UPDATE rt.tf SET id=id+50 WHERE "
             "id=%d", o + 1, o + 2, o + 3, o + 4, o + 4, o + 1);
        sqli(images[i], "INSERT INTO rt.tg (id,a,b,j) VALUES (%d,%d,'x','{\"k\":\"v\"}'),"
             "(%d,%d,'y',NULL),(%d,%d,NULL,'[1,2]'); INSERT INTO rt.tg (id,a,b,inv) VALUES "
             "(%d,%d,'w',-1); UPDATE rt.tg SET a=a+10 WHERE id=%d; UPDATE rt.tg SET "
             "b='z', inv=inv+1 WHERE id=%d; DELETE FROM rt.tg WHERE s='y/%d'; "
             "UPDATE rt.tg SET id=id+50, j=JSON_SET(j,'$.k','w') WHERE id=%d",
             o + 1, o + 1, o + 2, o + 2, o + 3, o + 3, o + 4, o + 4, o + 1, o + 3, o + 2, o + 1);
        sqli(images[i], "INSERT INTO rt.tgk (a,b) VALUES (%d,'p'),(%d,'q'),(%d,NULL);"
             "UPDATE rt.tgk SET a=a+1000 WHERE a=%d; UPDATE rt.tgk SET inv=5 WHERE b='q' AND "
             "a=%d; DELETE FROM rt.tgk WHERE a=%d", o + 1, o + 2, o + 3, o + 1, o + 2, o + 3);
        sqli(images[i], "SET sql_mode='', time_zone='+00:00'; INSERT INTO rt.tt VALUES "
             "(%d,'0000-00-00 00:00:00','-838:59:59.000000','-00:00:01','0000-00-00',"
             "'0000-00-00 00:00:00',0),(%d,'9999-12-31 23:59:59.999999','838:59:59.000000',"
             "'838:59:59','9999-12-31','2038-01-19 03:14:07.999999',2155),"
             "(%d,'2000-02-00 00:00:00.000001','-00:00:00.000001','00:00:00','2000-00-00',"
             "'1970-01-01 00:00:01',1901),(%d,'1000-01-01 00:00:00','-12:00:00.5',"
             "'-00:59:59','1000-01-01',NULL,NULL); UPDATE rt.tt SET t=ADDTIME(t,'-1:00:00.25'),"
             " id=id+50 WHERE id=%d", o + 1, o + 2, o + 3, o + 4, o + 4);
    }
    ck_assert_int_eq(compare_all(NULL), 7);
    both_running();
}
END_TEST

/* DDL between rows of every row image. */
START_TEST(ddl_between_rows)
{
    sql(g_src, "CREATE TABLE rt.da (id INT PRIMARY KEY, a INT, b VARCHAR(20)) "
               "DEFAULT CHARSET=latin1");
    sqli("FULL", "INSERT INTO rt.da VALUES (1,1,'é'),(2,2,'b'),(3,3,NULL)");
    sqli("MINIMAL", "ALTER TABLE rt.da ADD COLUMN z INT DEFAULT 5 FIRST; "
                    "UPDATE rt.da SET a=a+10 WHERE id=1; INSERT INTO rt.da (id,a,b) VALUES "
                    "(4,4,'d')");
    sqli("NOBLOB", "ALTER TABLE rt.da ADD COLUMN m VARCHAR(10) DEFAULT 'm' AFTER a, "
                   "MODIFY b VARCHAR(30) FIRST; UPDATE rt.da SET id=id+10 WHERE id=2");
    sqli("FULL", "ALTER TABLE rt.da CONVERT TO CHARACTER SET utf8mb4; UPDATE rt.da SET "
                 "b=CONCAT(b,'😀') WHERE id=1; INSERT INTO rt.da (id,b) VALUES (5,'ü😀')");
    sqli("MINIMAL", "ALTER TABLE rt.da ADD UNIQUE KEY ub (b); UPDATE rt.da SET b='q' WHERE "
                    "id=3; DELETE FROM rt.da WHERE b='d'");
    sqli("FULL", "ALTER TABLE rt.da DROP PRIMARY KEY; UPDATE rt.da SET a=99 WHERE id=1; "
                 "INSERT INTO rt.da (id,a,b) VALUES (1,1,NULL),(1,1,NULL)");
    sqli("FULL", "UPDATE rt.da SET a=7 WHERE b IS NULL LIMIT 1; DELETE FROM rt.da WHERE "
                 "b IS NULL LIMIT 1");
    sqli("MINIMAL", "ALTER TABLE rt.da ADD UNIQUE KEY uia (id, a), DROP KEY ub; UPDATE rt.da "
                    "SET b='mm' WHERE id=5");
    sqli("FULL", "CREATE TABLE rt.db2 (id INT PRIMARY KEY, v INT); INSERT INTO rt.db2 VALUES "
                 "(1,1),(2,2); TRUNCATE TABLE rt.db2; INSERT INTO rt.db2 VALUES (3,3); "
                 "RENAME TABLE rt.db2 TO rt.db3; INSERT INTO rt.db3 VALUES (4,4);"
                 "CREATE TABLE rt.dc AS SELECT id, v*2 AS w FROM rt.db3; "
                 "CREATE TEMPORARY TABLE rt.da (x INT); INSERT INTO rt.da VALUES (1);"
                 "DROP TEMPORARY TABLE rt.da; UPDATE rt.da SET a=0 WHERE id=5");
    ck_assert_int_eq(compare_all(NULL), 10);
    both_running();
}
END_TEST

/* A REPLACE whose row conflicts with two rows (PRIMARY KEY and a unique key over a STORED
 * generated column): MariaDB logs the DELETEs of both and the INSERT. */
START_TEST(replace_two_conflicts)
{
    sql(g_src, "CREATE TABLE rt.rr (id INT PRIMARY KEY, a INT, s INT AS (a %% 50) STORED, "
               "UNIQUE KEY (s), h INT INVISIBLE DEFAULT 4)");
    sqli("FULL", "INSERT INTO rt.rr (id,a) VALUES (8,13),(38,3)");
    sqli("FULL", "REPLACE INTO rt.rr (id,a) VALUES (8,3); INSERT INTO rt.rr (id,a) VALUES (28,17)");
    ck_assert_int_eq(converged("rr"), 2);
    both_running();
}
END_TEST

/* Filters say exactly what is left out: schema fl into fl_n (normal) / fl_s (safe mode),
 * do-tables `~^keep_\d+$` (a Go regexp), an event filter ignoring DELETE and TRUNCATE of
 * keep_2, a sql-pattern filter ignoring `ALTER ... ADD COLUMN junk` of keep_3, a route of
 * keep_4 to keep_1x. A table the task does not replicate is never created, changed or
 * dropped on the target (the target's own fl_n.skip_1 stays), a multi-table statement
 * changes only the replicated tables. */
static void fl_pair_up(void)
{
    char toml[8192], msg[2048];
    int i;
    for (i = 0; i < 2; i++) {
        rt_task_toml(toml, sizeof toml, i ? "fls" : "fln", i ? "fl_s" : "fl_n", i == 1, "fl");
        snprintf(toml + strlen(toml), sizeof toml - strlen(toml),
                 "[[black-white-list.do-tables]]\ndb-name = \"fl\"\ntbl-name = \"~^keep_\\\\d+$\"\n"
                 "[[filter-rules]]\nschema-pattern = \"fl\"\ntable-pattern = \"keep_2\"\n"
                 "events = [\"delete\", \"truncate table\"]\naction = \"Ignore\"\n"
                 "[[filter-rules]]\nschema-pattern = \"fl\"\ntable-pattern = \"keep_3\"\n"
                 "sql-pattern = [\"~(?i)^ALTER\\\\s+TABLE\\\\s+\\\\S+\\\\s+ADD\\\\s+COLUMN\\\\s+junk\"]\n"
                 "action = \"Ignore\"\n"
                 "[[route-rules]]\nschema-pattern = \"fl\"\ntable-pattern = \"keep_4\"\n"
                 "target-schema = \"%s\"\ntarget-table = \"keep_1x\"\n", i ? "fl_s" : "fl_n");
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    }
}

START_TEST(filters_exact)
{
    static const char *const sch[2] = { "fl_n", "fl_s" };
    char q[512], v[512];
    int i;
    sql(g_src, "CREATE DATABASE fl");
    master_pos();
    fl_pair_up();
    for (i = 0; i < 2; i++) {
        sql(g_dst, "CREATE DATABASE IF NOT EXISTS %s", sch[i]);
        sql(g_dst, "CREATE TABLE %s.skip_1 (id INT PRIMARY KEY, v INT)", sch[i]);
        sql(g_dst, "INSERT INTO %s.skip_1 VALUES (42,42)", sch[i]);
    }
    sqli("FULL", "CREATE TABLE fl.keep_1 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE fl.keep_2 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE fl.keep_3 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE fl.keep_4 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE fl.skip_1 (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE fl.keep_x (id INT PRIMARY KEY, v INT);"
                 "CREATE TABLE fl.Keep_5 (id INT PRIMARY KEY, v INT)");
    sqli("MINIMAL", "INSERT INTO fl.keep_1 VALUES (1,1),(2,2),(3,3); INSERT INTO fl.keep_2 "
                    "VALUES (1,1),(2,2),(3,3); INSERT INTO fl.skip_1 VALUES (1,1),(2,2);"
                    "INSERT INTO fl.keep_x VALUES (1,1); INSERT INTO fl.keep_4 VALUES (7,7);"
                    "INSERT INTO fl.Keep_5 VALUES (5,5); INSERT INTO fl.keep_3 VALUES (1,1)");
    sqli("FULL", "UPDATE fl.keep_1 JOIN fl.skip_1 USING (id) SET keep_1.v=keep_1.v+10, "
                 "skip_1.v=skip_1.v+10; DELETE fl.keep_2, fl.skip_1 FROM fl.keep_2 JOIN fl.skip_1 "
                 "USING (id) WHERE id=1; DELETE FROM fl.keep_1 WHERE id=3;"
                 "INSERT INTO fl.keep_1 SELECT id+100, v FROM fl.skip_1");
    sqli("NOBLOB", "UPDATE fl.keep_2 SET v=v*100; DELETE FROM fl.keep_2 WHERE id=2;"
                   "TRUNCATE TABLE fl.keep_2; INSERT INTO fl.keep_2 VALUES (9,9)");
    sqli("FULL", "ALTER TABLE fl.keep_3 ADD COLUMN junk INT DEFAULT 5");
    sqli("FULL", "ALTER TABLE fl.keep_3 ADD COLUMN w INT DEFAULT 6");
    sqli("FULL", "INSERT INTO fl.keep_3 (id,v) VALUES (2,2); UPDATE fl.keep_4 SET v=70;"
                 "DROP TABLE fl.keep_x, fl.skip_1, fl.keep_1");
    sqli("FULL", "CREATE TABLE fl.keep_9 (id INT PRIMARY KEY); INSERT INTO fl.keep_9 VALUES (1)");
    for (i = 0; i < 2; i++) {
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM %s.keep_9", sch[i]);
        ck_assert_msg(wait_value(g_dst, q, "1", 30000), "%s", q);
    }
    for (i = 0; i < 2; i++) {
        char msg[2048];
        int st = task_stage(i ? "fls" : "fln", msg, sizeof msg);
        fprintf(stderr, "  %s stage %d: %s\n", i ? "fls" : "fln", st, msg);
        snprintf(q, sizeof q, "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM "
                 "information_schema.TABLES WHERE TABLE_SCHEMA='%s'", sch[i]);
        value(g_dst, q, v, sizeof v);
        ck_assert_str_eq(v, "keep_1x,keep_2,keep_3,Keep_5,keep_9,skip_1");   /* case-insensitive */
        snprintf(q, sizeof q, "SELECT CONCAT(GROUP_CONCAT(id,':',v ORDER BY id),'/',"
                 "(SELECT GROUP_CONCAT(id,':',v ORDER BY id) FROM %s.keep_2),'/',"
                 "(SELECT GROUP_CONCAT(id,':',v ORDER BY id) FROM %s.keep_1x)) FROM %s.skip_1",
                 sch[i], sch[i], sch[i]);
        value(g_dst, q, v, sizeof v);
        ck_assert_str_eq(v, "42:42/1:1,2:200,3:300,9:9/7:70");
        snprintf(q, sizeof q, "SELECT GROUP_CONCAT(CONCAT_WS(':',id,v,w) ORDER BY id) FROM "
                 "%s.keep_3", sch[i]);
        value(g_dst, q, v, sizeof v);
        ck_assert_str_eq(v, "1:1:6,2:2:6");
    }
}
END_TEST

/* DDL the parser may not know, each followed by rows: runs, or pauses naming the
 * statement - never skipped while its rows go on. */
START_TEST(ddl_zoo)
{
    static const char *const zoo[] = {
        "ALTER TABLE rt.zz ADD COLUMN IF NOT EXISTS b INT DEFAULT 2 AFTER id",
        "ALTER ONLINE TABLE rt.zz ADD COLUMN c VARCHAR(10) DEFAULT 'c' FIRST",
        "ALTER TABLE rt.zz ALTER COLUMN b SET DEFAULT 7",
        "ALTER TABLE rt.zz CHANGE b b2 BIGINT DEFAULT 3 AFTER c",
        "ALTER TABLE rt.zz ORDER BY v",
        "ALTER TABLE rt.zz FORCE",
        "ALTER TABLE rt.zz ENGINE=InnoDB",
        "ALTER TABLE rt.zz PARTITION BY HASH(id) PARTITIONS 3",
        "ALTER TABLE rt.zz REMOVE PARTITIONING",
        "ALTER TABLE rt.zz AUTO_INCREMENT=1000",
        "CREATE INDEX ic ON rt.zz (c(3))",
        "ALTER TABLE rt.zz RENAME INDEX ic TO ic2",
        "ALTER TABLE rt.zz ADD COLUMN h INT INVISIBLE DEFAULT 8",
        "/*!40101 ALTER TABLE rt.zz ADD COLUMN e1 INT DEFAULT 11 */",
        "/*M!100300 ALTER TABLE rt.zz ADD COLUMN e2 INT DEFAULT 12 */",
        "CREATE OR REPLACE TABLE rt.zy (id INT PRIMARY KEY, v INT)",
        "ALTER TABLE rt.zz RENAME TO rt.zx, ADD COLUMN r INT DEFAULT 1",
        "ALTER TABLE rt.zx RENAME TO rt.zz",
        "ALTER TABLE rt.zz MODIFY v INT UNSIGNED",
        "CREATE TABLE rt.zw (id INT PRIMARY KEY, v INT) ENGINE=Aria; INSERT INTO rt.zw VALUES (1,1)",
        "ALTER TABLE rt.zz ADD SYSTEM VERSIONING",   /* the rows pause (36059), last */
    };
    size_t i;
    int n = 0;
    sql(g_src, "CREATE TABLE rt.zz (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
    for (i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        sqli("FULL", "%s", zoo[i]);
        const char *t = strstr(zoo[i], "TO rt.zx") ? "zx" : "zz";
        sqli(i % 2 ? "MINIMAL" : "FULL", "INSERT INTO rt.%s (v) VALUES (%d),(%d); UPDATE rt.%s "
             "SET v=v+1000 WHERE v=%d; DELETE FROM rt.%s WHERE v=%d", t, n, n + 1, t, n + 1, t,
             n);
        n += 2;
    }
    compare_all("system-versioned tables (WITH SYSTEM VERSIONING) are not supported");
}
END_TEST

/* MariaDB 10.7+ ALTER TABLE ... CONVERT PARTITION p TO TABLE t2 (qualified and not): the
 * new table is routed like the first - it was created in the source's schema name on the
 * target (Error 1049 here; a target with that schema got the table there, silently). */
START_TEST(convert_partition)
{
    sql(g_src, "CREATE DATABASE cv");
    pair_up("cv");
    sqli("FULL", "CREATE TABLE cv.cp (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id) "
                 "(PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN (20), "
                 "PARTITION p2 VALUES LESS THAN MAXVALUE); INSERT INTO cv.cp VALUES (1,1),"
                 "(15,15),(25,25)");
    sqli("FULL", "ALTER TABLE cv.cp CONVERT PARTITION p0 TO TABLE cv.cpx; "
                 "INSERT INTO cv.cpx VALUES (2,2); INSERT INTO cv.cp VALUES (30,30)");
    sqli("FULL", "USE cv; ALTER TABLE cp CONVERT PARTITION p1 TO TABLE cpy; "
                 "INSERT INTO cv.cpy VALUES (16,16)");
    sqli("FULL", "DELETE FROM cv.cpy WHERE id=16; INSERT INTO cv.cp VALUES (17,17)");
    sqli("FULL", "CREATE TABLE cv.done (id INT PRIMARY KEY)");
    for (int i = 0; i < 2; i++) {
        char q[512], v[512], msg[2048];
        long long end = tu_now_ms() + 30000;
        const char *task = i ? "cvs" : "cvn", *ts = i ? "cv_s" : "cv_n";
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                 "TABLE_SCHEMA='%s' AND TABLE_NAME='done'", ts);
        while (tu_now_ms() < end) {
            value(g_dst, q, v, sizeof v);
            if (strcmp(v, "1") == 0 || task_stage(task, msg, sizeof msg) == PB__STAGE__Paused)
                break;
            usleep(200000);
        }
        snprintf(q, sizeof q, "SELECT GROUP_CONCAT(TABLE_SCHEMA,'.',TABLE_NAME ORDER BY 1) FROM "
                 "information_schema.TABLES WHERE TABLE_NAME LIKE 'cp%%'");
        value(g_dst, q, v, sizeof v);
        fprintf(stderr, "  %s: stage %d (%s), target tables %s\n", task,
                task_stage(task, msg, sizeof msg), msg, v);
        snprintf(q, sizeof q, "SELECT CONCAT((SELECT GROUP_CONCAT(id ORDER BY id) FROM %s.cp),'/',"
                 "(SELECT GROUP_CONCAT(id ORDER BY id) FROM %s.cpx))", ts, ts);
        ck_assert_msg(task_stage(task, msg, sizeof msg) == PB__STAGE__Running, "%s: %s", task,
                      msg);
        value(g_dst, q, v, sizeof v);
        ck_assert_str_eq(v, "17,25,30/1,2");
        snprintf(q, sizeof q, "SELECT GROUP_CONCAT(id) FROM %s.cpy", ts);
        value(g_dst, q, v, sizeof v);
        ck_assert_str_eq(v, "15");
    }
}
END_TEST

/* Values over 16 MiB (one binlog event over the 16 MiB protocol packet: sent as several
 * packets; the target statement over 32 MiB): a LONGBLOB / LONGTEXT row inserted, updated
 * under FULL and NOBLOB, deleted. Only with DMGW_DIVRAND2_BIG (the long variant). */
START_TEST(big_values)
{
    int i;
    if (!getenv("DMGW_DIVRAND2_BIG"))
        return;
    sql(g_src, "SET GLOBAL max_allowed_packet=256*1024*1024");
    sql(g_dst, "SET GLOBAL max_allowed_packet=256*1024*1024");
    restart_for_packet();
    sql(g_src, "CREATE TABLE rt.bg (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT, v INT) "
               "DEFAULT CHARSET=utf8mb4");
    sqli("FULL", "INSERT INTO rt.bg VALUES (1, REPEAT(X'00FF5C27',5*1024*1024), "
                 "REPEAT('é',9*1024*1024), 1), (2, 'small', 'small', 2)");
    sqli("NOBLOB", "UPDATE rt.bg SET v=v+1; UPDATE rt.bg SET id=3 WHERE id=1");
    sqli("FULL", "UPDATE rt.bg SET b=CONCAT(b,'x') WHERE id=3; DELETE FROM rt.bg WHERE id=2");
    for (i = 0; i < 2; i++)
        ck_assert_msg(compare_table(i, "bg", NULL), "bg");
    both_eq("SELECT CONCAT(LENGTH(b),'/',CHAR_LENGTH(t),'/',v) FROM %s.bg",
            "20971521/9437184/2");
}
END_TEST

/* ---- random_mix2 (seeded: DMGW_SEED, printed; DMGW_DIVRAND2_OPS statements) ---- */

static uint64_t g_rng;
static long g_ran, g_refused;

static int pick(int n)
{
    return n > 0 ? (int)(tu_splitmix64(&g_rng) % (uint64_t)n) : 0;
}

#define PICK(arr) (arr)[pick((int)(sizeof(arr) / sizeof((arr)[0])))]

static const char *const m_tables[] = {
    "mk (id INT PRIMARY KEY, u INT NULL UNIQUE, v INT NOT NULL DEFAULT 0, t TEXT, b BLOB, "
    "d DECIMAL(20,4) DEFAULT 0)",
    "mc (a INT NOT NULL, b INT NOT NULL, v INT, t MEDIUMTEXT, PRIMARY KEY (a,b))",
    "mu (id INT NULL, k VARCHAR(16) NOT NULL, v INT, UNIQUE KEY (k))",
    "ml (x INT, y VARCHAR(10), z BLOB)",
    "mg (id INT PRIMARY KEY, a INT, s INT AS (a % 50) STORED, UNIQUE KEY (s), "
    "h INT INVISIBLE DEFAULT 4)",
    "md (id INT PRIMARY KEY, a INT, b VARCHAR(20), c TEXT) DEFAULT CHARSET=latin1",
};
static const char *const m_images[] = { "MINIMAL", "NOBLOB", "MINIMAL", "NOBLOB", "FULL" };
static const char *const m_text[] = { "NULL", "''", "'t'", "REPEAT('é',300)",
                                      "REPEAT(X'00FF',500)" };

static MYSQL *m_session(void)
{
    MYSQL *m = mysql_init(NULL);
    char q[256];
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", "rt", (unsigned)g_src, NULL,
                                     CLIENT_MULTI_STATEMENTS), "connect: %s", mysql_error(m));
    ck_assert_int_eq(mysql_set_character_set(m, "utf8mb4"), 0);
    snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s', sql_mode=%s", PICK(m_images),
             pick(3) ? "''" : "'STRICT_ALL_TABLES'");
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    if (getenv("DMGW_DIVRAND2_TRACE"))
        fprintf(stderr, "trace [%p]: %s\n", (void *)m, q);
    return m;
}

static void m_run(MYSQL *m, const char *q)
{
    const char *tr = getenv("DMGW_DIVRAND2_TRACE");
    g_ran++;
    if (tr && strstr(q, tr))
        fprintf(stderr, "trace [%p]: %.400s\n", (void *)m, q);
    if (mysql_query(m, q) != 0) {
        ck_assert_msg(mysql_errno(m) != 2006 && mysql_errno(m) != 2013, "%s", mysql_error(m));
        if (getenv("DMGW_DIVRAND_VERBOSE"))
            fprintf(stderr, "refused (%s): %.300s\n", mysql_error(m), q);
        g_refused++;
        mysql_query(m, "ROLLBACK");
        return;
    }
    do
        mysql_free_result(mysql_store_result(m));
    while (mysql_next_result(m) == 0);
    if (mysql_errno(m)) {       /* a later statement failed: the rest did not run */
        ck_assert_msg(mysql_errno(m) != 2006 && mysql_errno(m) != 2013, "%s", mysql_error(m));
        if (getenv("DMGW_DIVRAND_VERBOSE"))
            fprintf(stderr, "refused later (%s): %.300s\n", mysql_error(m), q);
        g_refused++;
        ck_assert_int_eq(mysql_query(m, "ROLLBACK"), 0);
    }
}

/* A big transaction: more rows than the task's batch (100). */
static void m_big(char *q, size_t cap)
{
    size_t off = (size_t)snprintf(q, cap, "BEGIN; INSERT INTO rt.ml VALUES ");
    int i, n = 120 + pick(150);
    for (i = 0; i < n; i++)
        off += (size_t)snprintf(q + off, cap - off, "%s(%d,'g%d',NULL)", i ? "," : "", pick(40),
                                i % 7);
    snprintf(q + off, cap - off, "; UPDATE rt.ml SET z=x WHERE y='g%d'; DELETE FROM rt.ml WHERE "
             "x=%d; UPDATE rt.mk SET v=v+1; COMMIT", pick(7), pick(40));
}

static void m_step(MYSQL *m)
{
    char q[16384];
    int a = 1 + pick(40), b = 1 + pick(40), c = pick(6);
    switch (pick(30)) {
    case 0: case 1:
        snprintf(q, sizeof q, "INSERT %s INTO rt.mk (id,u,v,t,b) VALUES (%d,%s,%d,%s,%s)",
                 pick(2) ? "IGNORE" : "", a, pick(2) ? "NULL" : (snprintf(q + 9000, 32, "%d", b),
                 q + 9000), c, PICK(m_text), PICK(m_text));
        break;
    case 2: case 3:
        snprintf(q, sizeof q, "UPDATE rt.mk SET id=id+%d WHERE id=%d", 40 + pick(40), a);
        break;
    case 4:
        snprintf(q, sizeof q, "UPDATE rt.mk SET u=%d, v=v+1 WHERE id=%d OR u=%d", b, a, b);
        break;
    case 5:
        snprintf(q, sizeof q, "UPDATE rt.mk SET id=u+100, u=NULL WHERE u IS NOT NULL AND v=%d "
                 "LIMIT 2", c);
        break;
    case 6:
        snprintf(q, sizeof q, "DELETE FROM rt.mk WHERE v=%d OR id=%d", c, a);
        break;
    case 7:
        snprintf(q, sizeof q, "SET STATEMENT binlog_row_image=FULL FOR REPLACE INTO rt.mk (id,u,v) VALUES (%d,%d,%d)", a, b, c);
        break;
    case 8:
        snprintf(q, sizeof q, "INSERT INTO rt.mk (id,u,v,t) VALUES (%d,%d,%d,'o') ON DUPLICATE "
                 "KEY UPDATE %s", a, b, c, pick(2) ? "v=v+100, t=CONCAT(IFNULL(t,''),'+')"
                 : "id=id+200");
        break;
    case 9: case 10:
        snprintf(q, sizeof q, "INSERT IGNORE INTO rt.mc VALUES (%d,%d,%d,%s)", a % 5, b, c,
                 PICK(m_text));
        break;
    case 11:
        snprintf(q, sizeof q, "UPDATE rt.mc SET b=b+%d WHERE a=%d ORDER BY b DESC", 40, a % 5);
        break;
    case 12:
        snprintf(q, sizeof q, "UPDATE rt.mc SET a=a+1, t=%s WHERE b=%d", PICK(m_text), b);
        break;
    case 13:
        snprintf(q, sizeof q, "INSERT INTO rt.mu VALUES (%s,'k%d',%d) ON DUPLICATE KEY UPDATE "
                 "k=CONCAT(k,'x'), v=v+1", pick(2) ? "NULL" : "1", a % 9, c);
        break;
    case 14:
        snprintf(q, sizeof q, "UPDATE rt.mu SET k=CONCAT('m',k) WHERE v=%d LIMIT 1", c);
        break;
    case 15:
        snprintf(q, sizeof q, "INSERT INTO rt.ml VALUES (%d,'l%d',%s)", a, c, PICK(m_text));
        break;
    case 16:
        snprintf(q, sizeof q, "UPDATE rt.ml SET y='u%d' WHERE x=%d LIMIT 1", c, a);
        break;
    case 17:
        snprintf(q, sizeof q, "DELETE FROM rt.ml WHERE x=%d LIMIT 1", a);
        break;
    case 18:
        snprintf(q, sizeof q, "BEGIN; UPDATE rt.mk SET v=v+1 WHERE id=%d; SAVEPOINT a; "
                 "UPDATE rt.mk SET id=id+300 WHERE id=%d; INSERT INTO rt.mc VALUES (%d,%d,0,"
                 "'s'); ROLLBACK TO SAVEPOINT a; UPDATE rt.mc SET v=v+7 WHERE a=%d; SAVEPOINT "
                 "b; DELETE FROM rt.mu WHERE v=%d; RELEASE SAVEPOINT b; COMMIT", a, b, a, b,
                 a % 5, c);
        break;
    case 19:
        snprintf(q, sizeof q, pick(2) ? "UPDATE rt.mk JOIN rt.mc ON mk.v=mc.a SET mk.u=NULL, "
                 "mc.v=mc.v+mk.id WHERE mk.id<%d" : "DELETE mk, mc FROM rt.mk JOIN rt.mc ON "
                 "mk.id=mc.b WHERE mc.a=%d", a % 5);
        break;
    case 20:
        m_big(q, sizeof q);
        break;
    case 21:
        snprintf(q, sizeof q, "INSERT INTO rt.mg (id,a) VALUES (%d,%d) ON DUPLICATE KEY UPDATE "
                 "a=a+1, h=h+1", a, b);
        break;
    case 22:
        snprintf(q, sizeof q, pick(2) ? "UPDATE rt.mg SET a=a+%d WHERE id=%d"
                                      : "UPDATE rt.mg SET id=id+40 WHERE a=%d", b, a);
        break;
    case 23:
        snprintf(q, sizeof q, "SET STATEMENT binlog_row_image=FULL FOR REPLACE INTO rt.mg (id,a) VALUES (%d,%d)", a, b);
        break;
    case 24: case 25:
        snprintf(q, sizeof q, pick(2) ? "INSERT INTO rt.md (id,a,b,c) VALUES (%d,%d,'é%d',%s)"
                 " ON DUPLICATE KEY UPDATE a=a+1" : "UPDATE rt.md SET id=id+%d, a=%d WHERE id=%d",
                 a, b, c, PICK(m_text));
        if (q[0] == 'U')
            snprintf(q, sizeof q, "UPDATE rt.md SET id=id+40, a=%d WHERE id=%d", b, a);
        break;
    case 26:
        snprintf(q, sizeof q, "DELETE FROM rt.md WHERE a=%d OR id=%d", b, a);
        break;
    default: {
        static const char *const ddl[] = {
            "ALTER TABLE rt.md ADD COLUMN f%d INT DEFAULT %d FIRST",
            "ALTER TABLE rt.md ADD COLUMN x%d VARCHAR(9) DEFAULT 'x%d' AFTER a",
            "ALTER TABLE rt.md DROP COLUMN b",
            "ALTER TABLE rt.md ADD COLUMN b VARCHAR(20) DEFAULT 'b%d%d' AFTER id",
            "ALTER TABLE rt.md MODIFY a BIGINT NULL AFTER c",
            "ALTER TABLE rt.md MODIFY a INT FIRST",
            "ALTER TABLE rt.md ADD UNIQUE KEY u%d (a), ALGORITHM=COPY",
            "ALTER TABLE rt.md CONVERT TO CHARACTER SET utf8mb4",
            "ALTER TABLE rt.md CONVERT TO CHARACTER SET latin1",
            "ALTER TABLE rt.md DROP PRIMARY KEY",
            "ALTER TABLE rt.md ADD PRIMARY KEY (id)",
            "TRUNCATE TABLE rt.ml",
            "RENAME TABLE rt.md TO rt.mdx, rt.mdx TO rt.md",
            "DROP TABLE IF EXISTS rt.mcs; CREATE TABLE rt.mcs SELECT a, b, v FROM rt.mc WHERE v > %d",
            "CREATE TEMPORARY TABLE rt.md (id INT); INSERT INTO rt.md VALUES (%d); "
            "DROP TEMPORARY TABLE rt.md",
        };
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(q, sizeof q, PICK(ddl), a, b);     /* table entries: up to two %d */
#pragma GCC diagnostic pop
        break;
    }
    }
    m_run(m, q);
}

START_TEST(random_mix2)
{
    const char *e = getenv("DMGW_SEED"), *o = getenv("DMGW_DIVRAND2_OPS");
    const char *allowed = getenv("DMGW_DIVRAND2_KILL9") ? "binlog_row_image" : NULL;
    uint64_t seed = e && e[0] ? strtoull(e, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    int nops = o && o[0] ? atoi(o) : 300, i, k;
    MYSQL *ms[3];
    size_t t;
    g_rng = seed;
    fprintf(stderr, "test_sync_divrand2 random_mix2: DMGW_SEED=%llu ops=%d kill9=%s\n",
            (unsigned long long)seed, nops, allowed ? "yes" : "no");
    for (t = 0; t < sizeof m_tables / sizeof m_tables[0]; t++)
        sql(g_src, "CREATE TABLE rt.%s%s", m_tables[t],
            strstr(m_tables[t], "CHARSET") ? "" : " DEFAULT CHARSET=utf8mb4");
    for (k = 0; k < 3; k++)
        ms[k] = m_session();
    for (i = 0; i < nops; i++) {
        k = pick(3);
        if (pick(30) == 0) {
            mysql_close(ms[k]);
            ms[k] = m_session();
        }
        m_step(ms[k]);
        if (allowed && (i == nops / 3 || i == 2 * nops / 3)) {
            usleep((useconds_t)(pick(300) * 1000));
            stop_worker(SIGKILL);
            setenv("DM_WORKER_SAFE_MODE_MS", "60000", 1);
            spawn_worker();
        }
    }
    for (k = 0; k < 3; k++)
        mysql_close(ms[k]);
    fprintf(stderr, "  %ld statements, %ld refused by the source\n", g_ran, g_refused);
    compare_all(allowed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_divrand2");
    TCase *tc = tcase_create("divrand2");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, type_edges);
    tcase_add_test(tc, ddl_between_rows);
    tcase_add_test(tc, replace_two_conflicts);
    tcase_add_test(tc, random_mix2);
    suite_add_tcase(s, tc);
    tc = tcase_create("filters");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, filters_exact);
    tcase_add_test(tc, ddl_zoo);
    tcase_add_test(tc, convert_partition);
    suite_add_tcase(s, tc);
    if (getenv("DMGW_DIVRAND2_BIG")) {     /* the long variant only: sandboxes of its own */
        tc = tcase_create("big");
        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, big_values);
        suite_add_tcase(s, tc);
    }
    return tu_run_suite(s, true);
}

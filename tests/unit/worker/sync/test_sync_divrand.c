/* test_sync_divrand.c - silent divergences found by random workloads on the Sync unit
 * (session 9), each with real MariaDB in normal mode (task norm -> rt_n) and safe mode
 * (task safe -> rt_s), compared with HEX() of every column:
 *  - a source session with foreign_key_checks=0 deletes / re-keys parent rows: InnoDB
 *    changes no child rows there, the target must not cascade either (the rows event's
 *    NO_FOREIGN_KEY_CHECKS_F);
 *  - compressed columns (VARCHAR / TEXT / BLOB ... COMPRESSED): the binlog holds their
 *    compressed bytes (types VARCHAR_COMPRESSED / BLOB_COMPRESSED), which are inflated,
 *    raw deflate and zlib-wrapped, under every row image and binlog_row_metadata=FULL.
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
    sqli("FULL", "INSERT INTO rt.fp VALUES (1,1),(2,2),(3,3),(4,4),(5,5);"
                 "INSERT INTO rt.fc VALUES (10,1),(11,2),(12,3),(13,4),(14,5);"
                 "INSERT INTO rt.fn VALUES (20,1),(21,2),(22,3)");
    sqli("FULL", "SET foreign_key_checks=0; DELETE FROM rt.fp WHERE id=1;"
                 "UPDATE rt.fp SET id=7 WHERE id=2; SET foreign_key_checks=1");
    sqli("MINIMAL", "SET foreign_key_checks=0; UPDATE rt.fp SET id=8 WHERE id=3;"
                    "SET foreign_key_checks=1");
    sqli("FULL", "DELETE FROM rt.fp WHERE id=4; UPDATE rt.fp SET id=9 WHERE id=5");
    ck_assert_int_eq(converged("fp", "id,v"), 3);
    ck_assert_int_eq(converged("fc", "id,IFNULL(pid,'N')"), 4);
    ck_assert_int_eq(converged("fn", "id,IFNULL(pid,'N')"), 3);
    both_eq("SELECT GROUP_CONCAT(id,':',pid ORDER BY id) FROM %s.fc", "10:1,11:2,12:3,14:9");
    both_eq("SELECT GROUP_CONCAT(id,':',IFNULL(pid,'N') ORDER BY id) FROM %s.fn",
            "20:1,21:2,22:3");
    assert_running("norm");
    assert_running("safe");
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

int main(void)
{
    Suite *s = suite_create("sync_divrand");
    TCase *tc = tcase_create("divrand");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fk_checks_off_no_cascade);
    tcase_add_test(tc, compressed_columns);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

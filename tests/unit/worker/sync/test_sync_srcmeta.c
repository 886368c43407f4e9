/* test_sync_srcmeta.c - the blind spots of the source column check (applier_srcdef.c,
 * srcmeta.c) with real MariaDB, normal mode (task <db>n -> <db>_n) and safe mode (<db>s
 * -> <db>_s); each *_pauses case applied other rows silently on the previous worker:
 *  - key_collation_pauses: a unique key column whose target collation finds values equal
 *    that the source's keeps apart ('a'/'A' utf8mb4_bin into utf8mb4_general_ci, 'a'/'a '
 *    utf8mb4_nopad_bin into utf8mb4_bin): safe mode's REPLACE overwrote the other row;
 *    also known from MINIMAL metadata alone (rows dated before the definition read);
 *  - full_members_pause: binlog_row_metadata=FULL rows older than the definition read:
 *    their ENUM members (TABLE_MAP) against a target with the members reordered;
 *  - same_second_pauses: NO_LOG rows in the second of the table's CREATE (CREATE_TIME ==
 *    the rows' second) into a target table the task did not create, columns swapped.
 * The fitting variants - a finer target collation, a key-less table (found byte for byte), ENUM members appended (quotes and
 * backslashes in members), CREATE / ALTER followed by rows in the same second - apply
 * exactly without a pause (ordinary workloads must not pause). */
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

/* Source db.t and both targets hold the same rows over expression cols (order by ord). */
static void pair_converge(const char *db, const char *cols, const char *ord)
{
    char qs[1024], qt[1024];
    int k;
    snprintf(qs, sizeof qs, "SELECT GROUP_CONCAT(%s ORDER BY %s) FROM %s.t", cols, ord, db);
    for (k = 0; k < 2; k++) {
        snprintf(qt, sizeof qt, "SELECT GROUP_CONCAT(%s ORDER BY %s) FROM %s_%s.t", cols, ord,
                 db, k ? "s" : "n");
        ck_assert_msg(converge(qs, qt, 30000), "%s differs from %s", qt, qs);
    }
}

START_TEST(key_collation_pauses)
{
    pair_table("kc", "k VARCHAR(10) COLLATE utf8mb4_bin PRIMARY KEY, v INT",
               "MODIFY k VARCHAR(10) COLLATE utf8mb4_general_ci");
    pair_table("kp", "id INT PRIMARY KEY, k VARCHAR(10) COLLATE utf8mb4_nopad_bin, v INT, "
                     "UNIQUE KEY (k)", "MODIFY k VARCHAR(10) COLLATE utf8mb4_bin");
    pair_table("km", "k VARCHAR(10) COLLATE utf8mb4_bin PRIMARY KEY, v INT",
               "MODIFY k VARCHAR(10) COLLATE utf8mb4_unicode_ci");
    /* finer on the target: fits */
    pair_table("kf", "k VARCHAR(10) COLLATE utf8mb4_general_ci PRIMARY KEY, v INT",
               "MODIFY k VARCHAR(10) COLLATE utf8mb4_bin");
    /* not in a key: key-less rows are found byte for byte, whatever the collation */
    pair_table("kl", "k VARCHAR(10) COLLATE utf8mb4_bin, v INT",
               "MODIFY k VARCHAR(10) COLLATE utf8mb4_general_ci");
    sqli("FULL", "INSERT INTO kc.t VALUES ('a',1),('A',2)");
    sqli("FULL", "INSERT INTO kl.t VALUES ('A',1),('a',1),('a ',1),('e',1),('\xc3\xa9',1);"
                 "UPDATE kl.t SET v=2 WHERE k='a'; DELETE FROM kl.t WHERE k='e'");
    sqli("FULL", "INSERT INTO kp.t VALUES (1,'a',1),(2,'a ',2)");
    /* rows dated before the definition: only MINIMAL metadata's collation tells */
    sql(g_src, "SET GLOBAL binlog_row_metadata=MINIMAL");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO km.t VALUES ('a',1),('A',2)");
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    sqli("MINIMAL", "INSERT INTO kf.t VALUES ('a',1),('B',2); UPDATE kf.t SET v=v+10 WHERE "
                    "k='A'; UPDATE kf.t SET k='b2' WHERE k='b'; DELETE FROM kf.t WHERE k='X'");
    pair_paused("kc", "compared as utf8mb4_general_ci there but as utf8mb4_bin in the source",
                "target column `k` of `kc_");
    pair_paused("kp", "compared as utf8mb4_bin there but as utf8mb4_nopad_bin",
                "a UNIQUE key of the target");
    pair_paused("km", "compared as utf8mb4_unicode_ci there but as utf8mb4_bin",
                "PRIMARY KEY of the target");
    pair_count("kc", "0");
    pair_count("kp", "0");
    pair_count("km", "0");
    pair_converge("kf", "HEX(k),':',v", "HEX(k)");
    pair_running("kf");
    pair_converge("kl", "HEX(k),':',v", "HEX(k)");
    pair_running("kl");
    /* the operator gives the target the source's collation and resumes: exact */
    {
        char msg[2048], name[8];
        int k;
        for (k = 0; k < 2; k++) {
            sql(g_dst, "ALTER TABLE kc_%s.t MODIFY k VARCHAR(10) COLLATE utf8mb4_bin",
                k ? "s" : "n");
            snprintf(name, sizeof name, "kc%s", k ? "s" : "n");
            ck_assert_msg(operate(name, PB__TASK_OP__Resume, msg, sizeof msg), "%s", msg);
        }
        pair_converge("kc", "HEX(k),':',v", "HEX(k)");
    }
}
END_TEST

START_TEST(full_members_pause)
{
    pair_table("fe", "id INT PRIMARY KEY, e ENUM('x','y','z')", "MODIFY e ENUM('z','y','x')");
    pair_table("fa", "id INT PRIMARY KEY, e ENUM('it''s','a\\\\b','z'), s SET('p','q')",
               "MODIFY e ENUM('it''s','a\\\\b','z','w'), MODIFY s SET('p','q','r')");
    sql(g_src, "SET GLOBAL binlog_row_metadata=FULL");
    /* dated before the definition read now: the definition is not the rows' (an ALTER
     * could have reordered the members since) - the TABLE_MAP's members are */
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO fe.t VALUES (1,'x')");
    sqli("FULL", "SET timestamp=UNIX_TIMESTAMP()-100; INSERT INTO fa.t VALUES (1,'it''s','q'),"
                 "(2,'a\\\\b','p,q'),(3,'z','')");
    sql(g_src, "SET GLOBAL binlog_row_metadata=NO_LOG");
    pair_paused("fe", "enum('x','y','z') in the source, enum('z','y','x') on the target",
                "target column `e` of `fe_");
    pair_count("fe", "0");
    pair_converge("fa", "id,':',HEX(e),':',s", "id");
    pair_running("fa");
}
END_TEST

/* CREATE_TIME (UNIX seconds) of source table db.t. */
static long long ctime_of(const char *db)
{
    char q[256], v[64];
    snprintf(q, sizeof q, "SELECT UNIX_TIMESTAMP(CREATE_TIME) FROM information_schema.TABLES "
             "WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='t'", db);
    value(g_src, q, v, sizeof v);
    return strtoll(v, NULL, 10);
}

START_TEST(same_second_pauses)
{
    int k;
    long long ct;
    /* ss: the target tables exist before the task's CREATE (ignored as "exists"), with two
     * INT columns swapped; rows logged in the CREATE's second under NO_LOG */
    sql(g_src, "CREATE DATABASE ss");
    for (k = 0; k < 2; k++) {
        sql(g_dst, "CREATE DATABASE IF NOT EXISTS ss_%s", k ? "s" : "n");
        sql(g_dst, "CREATE TABLE ss_%s.t (id INT PRIMARY KEY, b INT, a INT)", k ? "s" : "n");
    }
    /* so: likewise pre-created, but as the source has it; then an ALTER and rows in its
     * second: the definition read is theirs, checked, fits */
    sql(g_src, "CREATE DATABASE so");
    for (k = 0; k < 2; k++) {
        sql(g_dst, "CREATE DATABASE IF NOT EXISTS so_%s", k ? "s" : "n");
        sql(g_dst, "CREATE TABLE so_%s.t (id INT PRIMARY KEY, a INT, b INT)", k ? "s" : "n");
    }
    pair_up("ss");
    pair_up("so");
    pair_up("sc");
    sql(g_src, "CREATE TABLE ss.t (id INT PRIMARY KEY, a INT, b INT)");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO ss.t VALUES (1,2,3)", ct = ctime_of("ss"));
    sql(g_src, "CREATE TABLE so.t (id INT PRIMARY KEY, a INT, b INT)");
    past_definition("so");
    sqli("FULL", "INSERT INTO so.t VALUES (1,2,3)");
    sql(g_src, "ALTER TABLE so.t ADD c INT");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO so.t VALUES (2,4,5,6)", ctime_of("so"));
    /* sc: created by the task, rows in the CREATE's and then an ALTER's second */
    sql(g_src, "CREATE DATABASE sc");
    sql(g_src, "CREATE TABLE sc.t (id INT PRIMARY KEY, a INT, e ENUM('x','y'))");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO sc.t VALUES (1,2,'y')", ctime_of("sc"));
    sql(g_src, "ALTER TABLE sc.t MODIFY e ENUM('y','x')");
    sqli("FULL", "SET timestamp=%lld; INSERT INTO sc.t VALUES (2,3,'x')", ctime_of("sc"));
    /* sd: pre-created as the source has it; rows, then an ALTER reordering the columns in
     * the rows' second: the definition read is the ALTER's, not the rows' - the binlog
     * after the rows names the table, so no check (a first version paused here) */
    sql(g_src, "CREATE DATABASE sd");
    for (k = 0; k < 2; k++) {
        sql(g_dst, "CREATE DATABASE IF NOT EXISTS sd_%s", k ? "s" : "n");
        sql(g_dst, "CREATE TABLE sd_%s.t (id INT PRIMARY KEY, a INT, b INT)", k ? "s" : "n");
    }
    sql(g_src, "CREATE TABLE sd.t (id INT PRIMARY KEY, a INT, b INT)");
    {
        char q[128], v[64];
        long long at;
        value(g_src, "SELECT UNIX_TIMESTAMP() + 2", v, sizeof v);
        at = strtoll(v, NULL, 10);
        sqli("FULL", "SET timestamp=%lld; INSERT INTO sd.t VALUES (1,2,3)", at);
        snprintf(q, sizeof q, "SELECT UNIX_TIMESTAMP() >= %lld", at);
        ck_assert(wait_value(g_src, q, "1", 30000));
        sql(g_src, "ALTER TABLE sd.t MODIFY b INT AFTER id");
        if (ctime_of("sd") != at)
            fprintf(stderr, "  sd: the ALTER missed the rows' second (not exercised)\n");
    }
    pair_up("sd");              /* behind the ALTER: its rows read the ALTER's definition */
    pair_paused("ss", "its column 2 is `a` in the source table, which is column `b`'s position",
                "definition of the rows' own second");
    pair_count("ss", "0");
    pair_converge("so", "id,':',a,':',b,':',IFNULL(c,'-')", "id");
    pair_running("so");
    pair_converge("sc", "id,':',a,':',e", "id");
    pair_converge("sd", "id,':',a,':',b", "id");
    pair_running("sd");
    pair_running("sc");
    (void)ct;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_srcmeta");
    TCase *tc = tcase_create("srcmeta");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, key_collation_pauses);
    tcase_add_test(tc, full_members_pause);
    tcase_add_test(tc, same_second_pauses);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

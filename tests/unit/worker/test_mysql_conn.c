/* test_mysql_conn.c - worker/mysql_conn.c against a real MariaDB: no dm-worker handle
 * hands a local file to a server. A server may answer any query with a LOAD DATA LOCAL
 * file request; the client side of that is the same as a LOAD DATA LOCAL INFILE the
 * client sends itself, which is what this test does: with the capability off
 * (worker_mysql_init(false)) and with it on behind the refusing handler
 * (worker_mysql_init(true), the target sessions of the Load unit), the file's bytes must
 * not reach the table. A plain mysql_init handle shows what Connector/C does by default. */
#include "sandbox_db.h"

#include "mysql_conn.h"

static char g_secret[600];

static void setup_table(void)
{
    MYSQL *m = db();
    sql(m, "SET GLOBAL local_infile = 1");
    sql(m, "CREATE DATABASE IF NOT EXISTS li");
    sql(m, "CREATE TABLE IF NOT EXISTS li.t (line VARCHAR(200))");
    sql(m, "TRUNCATE li.t");
    mysql_close(m);
}

static long rows_in_table(void)
{
    MYSQL *m = db();
    ck_assert_int_eq(mysql_query(m, "SELECT COUNT(*) FROM li.t"), 0);
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(r);
    long n = atol(row[0]);
    mysql_free_result(r);
    mysql_close(m);
    return n;
}

/* LOAD DATA LOCAL of the secret through m; the server's error (0 when it loaded) */
static unsigned int load_secret(MYSQL *m)
{
    char q[800];
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)g_port, NULL, 0),
                  "connect: %s", mysql_error(m));
    snprintf(q, sizeof q, "LOAD DATA LOCAL INFILE '%s' INTO TABLE li.t", g_secret);
    unsigned int err = mysql_query(m, q) ? mysql_errno(m) : 0;
    if (err)
        fprintf(stderr, "refused as expected: %u %s\n", err, mysql_error(m));
    mysql_close(m);
    return err;
}

START_TEST(capability_off_refuses)
{
    setup_table();
    ck_assert_uint_ne(load_secret(worker_mysql_init(false)), 0);
    ck_assert_int_eq(rows_in_table(), 0);
}
END_TEST

START_TEST(refusing_handler_refuses)
{
    setup_table();
    ck_assert_uint_ne(load_secret(worker_mysql_init(true)), 0);
    ck_assert_int_eq(rows_in_table(), 0);
}
END_TEST

START_TEST(default_handle_for_reference)
{
    setup_table();
    unsigned int err = load_secret(mysql_init(NULL));
    fprintf(stderr, "a plain mysql_init handle: %s (%ld rows)\n",
            err ? "refused" : "SENT THE FILE", rows_in_table());
}
END_TEST

int main(void)
{
    g_dir = tu_mkdtemp();
    g_port = tu_free_port();
    if (!g_dir || g_port <= 0 || sandbox("start") != 0) {
        fprintf(stderr, "cannot start the MariaDB sandbox (see %s/sandbox.log)\n", g_dir);
        return EXIT_FAILURE;
    }
    (void)source;   /* sandbox_db.h helper this test does not need */
    snprintf(g_secret, sizeof g_secret, "%s/secret.toml", g_dir);
    if (tu_write_file(g_secret, "password = \"s3cret\"\n", 20) != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("mysql_conn");
    TCase *tc = tcase_create("mariadb");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, capability_off_refuses);
    tcase_add_test(tc, refusing_handler_refuses);
    tcase_add_test(tc, default_handle_for_reference);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, false);
    sandbox("stop");
    tu_rmrf(g_dir);
    free(g_dir);
    return rc;
}

/* test_binlog.c - the replication stream reader against a real MariaDB sandbox:
 * event sequence and positions across FLUSH LOGS (ROTATE), GTID events, QUERY schema/text,
 * reconnect from a saved position, read timeout, close from another thread, connection
 * loss, open errors, source status, rows without their TABLE_MAP. */
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "binlog.h"
#include "dm_error.h"
#include "sandbox_db.h"
#include "testutil.h"

static void value(MYSQL *m, const char *q, char *out, size_t cap)
{
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(r);
    ck_assert_ptr_nonnull(row);
    snprintf(out, cap, "%s", row[0] ? row[0] : "");
    mysql_free_result(r);
}

static void status(char *file, size_t cap, uint64_t *pos, char *gtid, size_t gcap)
{
    struct bl_source s = source(1);
    char err[256];
    int rc = bl_source_status(&s, file, cap, pos, gtid, gcap, err, sizeof(err));
    ck_assert_msg(rc == DM_OK, "status: %s", err);
}

static struct bl_reader *open_at(uint32_t sid, const char *file, uint64_t pos)
{
    struct bl_source src = source(sid);
    struct bl_reader *r = NULL;
    char err[512];
    int rc = bl_reader_open(&src, file, pos, &r, err, sizeof(err));
    ck_assert_msg(rc == DM_OK, "open %s:%" PRIu64 ": %s", file, pos, err);
    return r;
}

static struct bl_event *next_ok(struct bl_reader *r)
{
    struct bl_event *ev = NULL;
    char err[512];
    int rc = bl_reader_next(r, 5000, &ev, err, sizeof(err));
    ck_assert_msg(rc == DM_OK, "next: %s: %s", dm_err_name(rc), err);
    return ev;
}

/* next rows event; returns its first row's first column */
static long long next_row_id(struct bl_reader *r)
{
    for (;;) {
        struct bl_event *ev = next_ok(r);
        if (ev->kind == BL_EV_ROWS)
            return ev->rows[0].cols[0].i;
    }
}

START_TEST(source_status_matches_server)
{
    MYSQL *m = db();
    char f[256], g[128], wf[256], wp[64], wg[128];
    uint64_t p;
    sql(m, "CREATE DATABASE IF NOT EXISTS st");
    status(f, sizeof(f), &p, g, sizeof(g));
    value(m, "SELECT @@global.gtid_binlog_pos", wg, sizeof(wg));
    ck_assert_int_eq(mysql_query(m, "SHOW MASTER STATUS"), 0);
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(res);
    snprintf(wf, sizeof(wf), "%s", row[0]);
    snprintf(wp, sizeof(wp), "%s", row[1]);
    mysql_free_result(res);
    mysql_close(m);
    ck_assert_str_eq(f, wf);
    ck_assert_uint_eq(p, strtoull(wp, NULL, 10));
    ck_assert_str_eq(g, wg);
    ck_assert_ptr_nonnull(strstr(g, "0-1-"));
}
END_TEST

/* Connections of the sandbox from this test's user, not counting `self`. */
static long other_conns(MYSQL *self)
{
    char v[32];
    value(self, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
                "AND COMMAND <> 'Binlog Dump' AND USER = 'root'", v, sizeof(v));
    return strtol(v, NULL, 10);
}

/* The kept status connection (dm-worker's QueryStatus): one connection over many calls, the
 * same answers as a one-off call, a fresh connection after the server killed the kept one,
 * and a new connection when the source (here: its user) changes. */
START_TEST(status_conn_kept_and_renewed)
{
    MYSQL *m = db();
    struct bl_status_conn c = { 0 };
    struct bl_source s = source(1);
    char f[256], g[128], f1[256], g1[128], err[256], v[32];
    uint64_t p, p1;
    long base = other_conns(m);
    for (int i = 0; i < 20; i++)
        ck_assert_msg(bl_status_conn_query(&c, &s, f, sizeof f, &p, g, sizeof g, err, sizeof err)
                      == DM_OK, "kept: %s", err);
    ck_assert_int_eq(other_conns(m), base + 1); /* one connection for twenty answers */
    status(f1, sizeof f1, &p1, g1, sizeof g1);
    ck_assert_str_eq(f, f1);
    ck_assert_uint_eq(p, p1);
    ck_assert_str_eq(g, g1);
    /* the server drops the kept connection (wait_timeout, a restart): answered on a new one */
    value(m, "SELECT MAX(ID) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
             "AND USER = 'root' AND COMMAND = 'Sleep'", v, sizeof v);
    sql(m, "KILL CONNECTION %s", v);
    ck_assert_msg(bl_status_conn_query(&c, &s, f, sizeof f, &p, g, sizeof g, err, sizeof err)
                  == DM_OK, "after KILL: %s", err);
    ck_assert_int_eq(other_conns(m), base + 1);
    /* another source identity: the old connection is closed, the new one refused (no user) */
    s.user = "no_such_user_st";
    ck_assert_int_ne(bl_status_conn_query(&c, &s, f, sizeof f, &p, g, sizeof g, err, sizeof err),
                     DM_OK);
    ck_assert_ptr_null(c.m);
    ck_assert_int_eq(other_conns(m), base);
    bl_status_conn_close(&c);
    bl_status_conn_close(&c); /* twice is harmless */
    mysql_close(m);
}
END_TEST

/* DDL + DML, FLUSH LOGS, DML: event kinds, GTIDs, ROTATE, and positions that end at
 * exactly SHOW MASTER STATUS. */
START_TEST(sequence_rotate_gtid_positions)
{
    MYSQL *m = db();
    char f0[256], f1[256], g0[128], g1[128];
    uint64_t p0, p1;
    sql(m, "CREATE DATABASE IF NOT EXISTS s1");
    status(f0, sizeof(f0), &p0, g0, sizeof(g0));
    sql(m, "USE s1");
    sql(m, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))");
    sql(m, "INSERT INTO t VALUES (1, 'a')");
    sql(m, "FLUSH BINARY LOGS");
    sql(m, "INSERT INTO t VALUES (2, 'b')");
    status(f1, sizeof(f1), &p1, g1, sizeof(g1));
    mysql_close(m);
    ck_assert_str_ne(f0, f1);

    struct bl_reader *r = open_at(3001, f0, p0);
    int saw_ddl = 0, saw_dml_gtid = 0, rotates_to_new = 0, xids = 0, rows = 0;
    char last_gtid[64] = "";
    uint64_t last_pos = 0;
    char last_file[256] = "";
    for (;;) {
        struct bl_event *ev = next_ok(r);
        if (strcmp(ev->file, last_file) == 0 && ev->kind != BL_EV_ROTATE)
            ck_assert_uint_ge(ev->next_pos, last_pos); /* monotonic inside a file */
        snprintf(last_file, sizeof(last_file), "%s", ev->file);
        last_pos = ev->next_pos;
        if (ev->kind == BL_EV_GTID) {
            snprintf(last_gtid, sizeof(last_gtid), "%s", ev->gtid);
            ck_assert_uint_eq(ev->gtid_domain, 0);
            ck_assert_uint_eq(ev->gtid_server, 1);
        }
        if (ev->kind == BL_EV_GTID && ev->gtid_standalone)
            saw_ddl++;
        if (ev->kind == BL_EV_GTID && !ev->gtid_standalone)
            saw_dml_gtid++;
        if (ev->kind == BL_EV_QUERY && strstr(ev->query, "CREATE TABLE t")) {
            ck_assert_str_eq(ev->schema, "s1");
            ck_assert_str_eq(ev->file, f0);
        }
        if (ev->kind == BL_EV_ROTATE && strcmp(ev->file, f1) == 0) {
            ck_assert_uint_eq(ev->next_pos, 4);
            rotates_to_new++;
        }
        if (ev->kind == BL_EV_ROWS) {
            ck_assert_str_eq(ev->table->schema, "s1");
            ck_assert_str_eq(ev->table->table, "t");
            ck_assert_int_eq(ev->op, BL_INSERT);
            ck_assert_int_eq(ev->rows[0].cols[0].i, rows + 1);
            ck_assert_str_eq(ev->file, rows == 0 ? f0 : f1);
            rows++;
        }
        if (ev->kind == BL_EV_XID) {
            xids++;
            ck_assert_uint_gt(ev->xid, 0);
        }
        if (strcmp(ev->file, f1) == 0 && ev->next_pos >= p1)
            break;
    }
    bl_reader_free(r);
    ck_assert_int_eq(saw_ddl, 1);
    ck_assert_int_eq(saw_dml_gtid, 2);
    ck_assert_int_ge(rotates_to_new, 1);
    ck_assert_int_eq(rows, 2);
    ck_assert_int_eq(xids, 2);
    ck_assert_uint_eq(last_pos, p1); /* the last XID ends exactly at SHOW MASTER STATUS */
    ck_assert_str_eq(last_gtid, g1);
}
END_TEST

/* Checkpoint at an XID, close, reopen there: the stream continues with the next trx. */
START_TEST(reconnect_from_saved_position)
{
    MYSQL *m = db();
    char f0[256], g[128], saved_file[256];
    uint64_t p0, saved_pos = 0;
    sql(m, "CREATE DATABASE IF NOT EXISTS s2");
    sql(m, "CREATE TABLE s2.t (id INT PRIMARY KEY)");
    status(f0, sizeof(f0), &p0, g, sizeof(g));
    sql(m, "INSERT INTO s2.t VALUES (1)");
    sql(m, "INSERT INTO s2.t VALUES (2)");
    sql(m, "FLUSH BINARY LOGS");
    sql(m, "INSERT INTO s2.t VALUES (3)");
    mysql_close(m);

    struct bl_reader *r = open_at(3002, f0, p0);
    ck_assert_int_eq(next_row_id(r), 1);
    struct bl_event *ev;
    while ((ev = next_ok(r))->kind != BL_EV_XID)
        ;
    snprintf(saved_file, sizeof(saved_file), "%s", ev->file);
    saved_pos = ev->next_pos;
    bl_reader_free(r);

    r = open_at(3002, saved_file, saved_pos);
    ck_assert_int_eq(next_row_id(r), 2);
    ck_assert_int_eq(next_row_id(r), 3); /* across the rotate */
    while ((ev = next_ok(r))->kind != BL_EV_XID)
        ;
    snprintf(saved_file, sizeof(saved_file), "%s", ev->file);
    saved_pos = ev->next_pos;
    bl_reader_free(r);
    ck_assert_str_ne(saved_file, f0);

    m = db();
    sql(m, "INSERT INTO s2.t VALUES (4)");
    mysql_close(m);
    r = open_at(3002, saved_file, saved_pos); /* resume in the second file */
    ck_assert_int_eq(next_row_id(r), 4);
    bl_reader_free(r);
}
END_TEST

START_TEST(timeout_then_event)
{
    char f[256], g[128], err[256];
    uint64_t p;
    MYSQL *m = db();
    sql(m, "CREATE DATABASE IF NOT EXISTS s3");
    sql(m, "CREATE TABLE s3.t (id INT PRIMARY KEY)");
    status(f, sizeof(f), &p, g, sizeof(g));
    struct bl_reader *r = open_at(3003, f, p);
    struct bl_event *ev;
    int rc;
    while ((rc = bl_reader_next(r, 300, &ev, err, sizeof(err))) == DM_OK)
        ck_assert_int_ne(ev->kind, BL_EV_ROWS); /* preamble: ROTATE, FDE, ... */
    ck_assert_int_eq(rc, DM_E_TIMEOUT);
    /* registered as a replica with our server id (COM_REGISTER_SLAVE) */
    ck_assert_int_eq(mysql_query(m, "SHOW SLAVE HOSTS"), 0);
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row;
    int registered = 0;
    while ((row = mysql_fetch_row(res)))
        registered |= strcmp(row[0], "3003") == 0 && strcmp(row[1], "dm-worker") == 0;
    mysql_free_result(res);
    ck_assert(registered);
    long long t0 = tu_now_ms();
    rc = bl_reader_next(r, 300, &ev, err, sizeof(err));
    long long dt = tu_now_ms() - t0;
    ck_assert_int_eq(rc, DM_E_TIMEOUT);
    ck_assert_int_ge(dt, 250);
    ck_assert_int_le(dt, 2000);
    sql(m, "INSERT INTO s3.t VALUES (42)"); /* still usable after timeouts */
    mysql_close(m);
    ck_assert_int_eq(next_row_id(r), 42);
    bl_reader_free(r);
}
END_TEST

struct blocker {
    struct bl_reader *r;
    int rc;
};

static void *block_in_next(void *arg)
{
    struct blocker *b = arg;
    struct bl_event *ev;
    char err[256];
    do
        b->rc = bl_reader_next(b->r, -1, &ev, err, sizeof(err));
    while (b->rc == DM_OK);
    return NULL;
}

START_TEST(close_from_another_thread)
{
    char f[256], g[128];
    uint64_t p;
    status(f, sizeof(f), &p, g, sizeof(g));
    struct blocker b = { open_at(3004, f, p), 0 };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, block_in_next, &b), 0);
    usleep(700 * 1000); /* several heartbeats pass: -1 ignores them */
    long long t0 = tu_now_ms();
    bl_reader_close(b.r);
    pthread_join(th, NULL);
    ck_assert_int_le(tu_now_ms() - t0, 1000);
    ck_assert_int_eq(b.rc, DM_E_CANCELLED);
    bl_reader_free(b.r);
}
END_TEST

START_TEST(connection_loss_is_unavailable)
{
    char f[256], g[128], id[32], err[256];
    uint64_t p;
    status(f, sizeof(f), &p, g, sizeof(g));
    struct bl_reader *r = open_at(3005, f, p);
    struct bl_event *ev;
    ck_assert_int_eq(bl_reader_next(r, 300, &ev, err, sizeof(err)), DM_OK); /* dump running */
    MYSQL *m = db();
    value(m, "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
          id, sizeof(id));
    sql(m, "KILL %s", id);
    mysql_close(m);
    int rc;
    long long t0 = tu_now_ms();
    while ((rc = bl_reader_next(r, 300, &ev, err, sizeof(err))) == DM_OK || rc == DM_E_TIMEOUT)
        ck_assert_int_lt(tu_now_ms() - t0, 10000);
    ck_assert_msg(rc == DM_E_UNAVAILABLE, "rc %s: %s", dm_err_name(rc), err);
    bl_reader_free(r);
}
END_TEST

START_TEST(open_errors)
{
    struct bl_source src = source(3006);
    struct bl_reader *r = NULL;
    char err[512];
    src.port = tu_free_port();
    ck_assert_int_eq(bl_reader_open(&src, "mysql-bin.000001", 4, &r, err, sizeof(err)),
                     DM_E_UNAVAILABLE);
    src = source(0);
    ck_assert_int_eq(bl_reader_open(&src, "mysql-bin.000001", 4, &r, err, sizeof(err)), DM_E_INVAL);
    src = source(3006);
    src.user = "nosuchuser";
    ck_assert_int_eq(bl_reader_open(&src, "mysql-bin.000001", 4, &r, err, sizeof(err)),
                     DM_E_FORBIDDEN);
    ck_assert_msg(strstr(err, "Error 1045: Access denied") != NULL, "%s", err);
    /* a file the server does not have: refused at open or on the first read */
    src = source(3006);
    int rc = bl_reader_open(&src, "nosuch-bin.000042", 4, &r, err, sizeof(err));
    if (rc == DM_OK) {
        struct bl_event *ev;
        rc = bl_reader_next(r, 2000, &ev, err, sizeof(err));
        bl_reader_free(r);
    }
    ck_assert_msg(rc == DM_E_DB, "rc %s: %s", dm_err_name(rc), err);
    ck_assert_ptr_nonnull(strstr(err, "1236"));
}
END_TEST

/* Starting between a TABLE_MAP and its rows is refused with a clear error (checkpoints
 * must be transaction ends). */
START_TEST(rows_without_table_map)
{
    MYSQL *m = db();
    char f[256], g[128], err[512];
    uint64_t p, mid = 0;
    sql(m, "CREATE DATABASE IF NOT EXISTS s4");
    sql(m, "CREATE TABLE s4.t (id INT PRIMARY KEY)");
    status(f, sizeof(f), &p, g, sizeof(g));
    sql(m, "INSERT INTO s4.t VALUES (1)");
    mysql_close(m);
    struct bl_reader *r = open_at(3007, f, p);
    struct bl_event *ev;
    while ((ev = next_ok(r))->type != 19 /* TABLE_MAP */)
        ;
    mid = ev->next_pos;
    bl_reader_free(r);
    r = open_at(3007, f, mid);
    int rc;
    while ((rc = bl_reader_next(r, 2000, &ev, err, sizeof(err))) == DM_OK)
        ck_assert_int_ne(ev->kind, BL_EV_ROWS);
    ck_assert_int_eq(rc, DM_E_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "without TABLE_MAP"));
    bl_reader_free(r);
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
    Suite *s = suite_create("binlog");
    TCase *tc = tcase_create("mariadb");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, source_status_matches_server);
    tcase_add_test(tc, status_conn_kept_and_renewed);
    tcase_add_test(tc, sequence_rotate_gtid_positions);
    tcase_add_test(tc, reconnect_from_saved_position);
    tcase_add_test(tc, timeout_then_event);
    tcase_add_test(tc, close_from_another_thread);
    tcase_add_test(tc, connection_loss_is_unavailable);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, rows_without_table_map);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, false);
    sandbox("stop");
    tu_rmrf(g_dir);
    free(g_dir);
    return rc;
}

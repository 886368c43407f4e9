/* test_relay_compress.c - MariaDB log_bin_compress through the relay: a source writing
 * QUERY_COMPRESSED and WRITE/UPDATE/DELETE_ROWS_COMPRESSED v1 events, a dm-worker whose
 * subtask reads the relay (binlog-type local): the relay reader inflates them as the
 * connector does for a source reader, so DDL and rows arrive identical (checksum of every
 * column equal on source and target); a second subtask reading the source (remote) into
 * another schema gives the same checksum. */
#include "worker_e2e.h"
#include "testutil.h"

#define SUM(db) "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,v,s,t,b,d,dt," \
                "f,e,x))),0)) FROM " db ".t"

static void start(const char *name, const char *type, const char *db)
{
    char toml[4096], msg[2048];
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "binlog-type = \"%s\"\nworker-count = 4\n[meta]\nbinlog-name = \"%s\"\n"
             "binlog-pos = %llu\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"%s\"]\n", name, type, g_file, g_pos, g_dst, db);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start %s: %s", name, msg);
}

static void workload(const char *db)
{
    sql(g_src, "CREATE DATABASE %s", db);
    sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY, v INT, s VARCHAR(200), t TEXT, b BLOB, "
        "d DECIMAL(20,6), dt DATETIME(3), f DOUBLE, e ENUM('a','b','c'), "
        "x VARCHAR(64) DEFAULT 'a long enough default so that this statement is compressed')",
        db);
    sql(g_src, "INSERT INTO %s.t (id, v, s, t, b, d, dt, f, e) SELECT seq, seq * 7, "
        "REPEAT(CHAR(65 + seq %% 26), seq %% 150), REPEAT('text-', seq %% 40), "
        "UNHEX(REPEAT(HEX(seq), 3)), seq / 7, '2024-01-01 00:00:00' + INTERVAL seq SECOND, "
        "seq / 3, ELT(1 + seq %% 3, 'a', 'b', 'c') FROM %s.seq_1_to_600", db, db);
    sql(g_src, "UPDATE %s.t SET s = CONCAT(s, '-upd'), v = NULL WHERE id %% 3 = 0", db);
    sql(g_src, "DELETE FROM %s.t WHERE id %% 7 = 0", db);
    sql(g_src, "ALTER TABLE %s.t ADD COLUMN extra INT DEFAULT 5 COMMENT 'compressed DDL too'",
        db);
    sql(g_src, "INSERT INTO %s.t (id, v, s, b) SELECT seq, seq, 'after-alter', NULL "
        "FROM %s.seq_1001_to_1200", db, db);
    sql(g_src, "UPDATE %s.t SET t = NULL, b = 'x' WHERE id > 1100", db);
}

START_TEST(compressed_events_through_relay)
{
    char a[128], b[128];
    sql(g_src, "SET GLOBAL log_bin_compress = ON");
    sql(g_src, "SET GLOBAL log_bin_compress_min_len = 10");
    master_pos();
    spawn_worker();
    start("loc", "local", "c");
    start("rem", "remote", "c2");
    workload("c");
    workload("c2");
    /* the source really wrote compressed events */
    char q[512];
    snprintf(q, sizeof q, "SHOW BINLOG EVENTS IN '%s'", g_file);
    MYSQL *m = db(g_src);
    ck_assert_int_eq(mysql_query(m, q), 0);
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row;
    int cq = 0, cr = 0;
    while ((row = mysql_fetch_row(res))) {
        cq += strcmp(row[2], "Query_compressed") == 0;
        cr += strncmp(row[2], "Write_rows_compressed_v1", 24) == 0 ||
              strncmp(row[2], "Update_rows_compressed_v1", 25) == 0 ||
              strncmp(row[2], "Delete_rows_compressed_v1", 25) == 0;
    }
    mysql_free_result(res);
    mysql_close(m);
    ck_assert_msg(cq >= 4 && cr >= 6, "compressed events: %d queries, %d rows", cq, cr);

    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM c.t", "715", 30000));
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM c2.t", "715", 30000));
    ck_assert(converge(SUM("c"), NULL, 30000));
    ck_assert(converge(SUM("c2"), NULL, 30000));
    value(g_dst, SUM("c"), a, sizeof a);
    value(g_dst, SUM("c2"), b, sizeof b);
    ck_assert_str_eq(a, b);                        /* relay path == source path */
    value(g_dst, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'c' "
          "AND COLUMN_NAME = 'extra'", a, sizeof a);
    ck_assert_str_eq(a, "1");
    Pb__QueryStatusResponse *st = query_status("");
    ck_assert_uint_eq(st->n_subtaskstatus, 2);
    for (size_t i = 0; i < st->n_subtaskstatus; i++)
        ck_assert_int_eq(st->subtaskstatus[i]->stage, PB__STAGE__Running);
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

static void setup(void)
{
    e2e_env_up();
}

static void teardown(void)
{
    e2e_env_down();
}

int main(void)
{
    Suite *s = suite_create("relay_compress");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, compressed_events_through_relay);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

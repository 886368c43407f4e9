/* rowimg_e2e.h - helpers of the row image / charset end-to-end tests (included by one
 * test program each, on top of worker_e2e.h): statements under a session
 * binlog_row_image, two tasks replicating schema `rt` into `rt_n` (normal mode) and
 * `rt_s` (safe-mode = true), byte-exact table checksums, waiting for a paused task. */
#ifndef DM_TEST_ROWIMG_E2E_H
#define DM_TEST_ROWIMG_E2E_H

#include "worker_e2e.h"
#include "testutil.h"

/* Run statements (';'-separated) on one connection under binlog_row_image `image`. */
static void sqli(const char *image, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
U static void sqli(const char *image, const char *fmt, ...)
{
    char q[16384], set[96];
    va_list ap;
    MYSQL *m = mysql_init(NULL);
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)g_src, NULL,
                                     CLIENT_MULTI_STATEMENTS), "connect: %s", mysql_error(m));
    ck_assert_int_eq(mysql_set_character_set(m, "utf8mb4"), 0);
    snprintf(set, sizeof set, "SET SESSION binlog_row_image='%s'", image);
    ck_assert_msg(mysql_query(m, set) == 0, "%s", mysql_error(m));
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    do {
        mysql_free_result(mysql_store_result(m));
    } while (mysql_next_result(m) == 0);
    ck_assert_msg(mysql_errno(m) == 0, "%s: %s", q, mysql_error(m));
    mysql_close(m);
}

/* A source connection (utf8mb4) whose session logs `image` row images. */
U static MYSQL *session(const char *image)
{
    MYSQL *m = db(g_src);
    char set[96];
    ck_assert_int_eq(mysql_set_character_set(m, "utf8mb4"), 0);
    snprintf(set, sizeof set, "SET SESSION binlog_row_image='%s'", image);
    ck_assert_msg(mysql_query(m, set) == 0, "%s", mysql_error(m));
    return m;
}

/* "count-crc" of a table over the given column expressions (byte-exact: use HEX()). */
U static void table_sum(char *out, size_t cap, const char *schema, const char *table,
                        const char *cols)
{
    snprintf(out, cap,
             "SELECT CONCAT(COUNT(*),'-',COALESCE(BIT_XOR(CRC32(CONCAT_WS(',',%s))),0)) "
             "FROM `%s`.`%s`", cols, schema, table);
}

/* Wait until rt.<table> equals rt_n.<table> and rt_s.<table> over cols; returns the
 * row count of the source (so callers can assert data is there). */
U static long rt_converge(const char *table, const char *cols)
{
    char qs[2048], qn[2048], qsafe[2048], v[512];
    table_sum(qs, sizeof qs, "rt", table, cols);
    table_sum(qn, sizeof qn, "rt_n", table, cols);
    table_sum(qsafe, sizeof qsafe, "rt_s", table, cols);
    ck_assert_msg(converge(qs, qn, 30000), "rt_n.%s differs", table);
    ck_assert_msg(converge(qs, qsafe, 30000), "rt_s.%s differs", table);
    value(g_src, qs, v, sizeof v);
    return strtol(v, NULL, 10);
}

/* Target value (dst) of query format qfmt (a literal with one "%s" for the schema) in
 * both target schemas rt_n and rt_s equals want. */
#define both_eq(qfmt, want)                                                                \
    do {                                                                                   \
        const char *sch_[2] = { "rt_n", "rt_s" };                                          \
        char q_[2048], v_[512];                                                            \
        int i_;                                                                            \
        for (i_ = 0; i_ < 2; i_++) {                                                       \
            snprintf(q_, sizeof q_, qfmt, sch_[i_]);                                       \
            value(g_dst, q_, v_, sizeof v_);                                               \
            ck_assert_msg(strcmp(v_, (want)) == 0, "%s: got '%s' want '%s'", q_, v_, (want)); \
        }                                                                                  \
    } while (0)

U static void rt_task_toml(char *out, size_t cap, const char *name, const char *tschema,
                           bool safe, const char *db)
{
    snprintf(out, cap,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nbatch = 100\nworker-count = 4\nsafe-mode = %s\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"%s\"]\n"
             "[[route-rules]]\nschema-pattern = \"%s\"\ntarget-schema = \"%s\"\n",
             name, safe ? "true" : "false", g_file, g_pos, g_src, g_dst, db, db, tschema);
}

/* Environment + worker (normal mode right after start: DM_WORKER_SAFE_MODE_MS=1) +
 * the two tasks rt -> rt_n (normal) and rt -> rt_s (safe mode). */
U static void rt_up(void)
{
    char toml[4096], msg[2048];
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    e2e_env_up();
    master_pos();
    spawn_worker();
    rt_task_toml(toml, sizeof toml, "norm", "rt_n", false, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    rt_task_toml(toml, sizeof toml, "safe", "rt_s", true, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

/* Stage of a task; *errmsg gets its first error ("" when none). */
U static int task_stage(const char *name, char *errmsg, size_t cap)
{
    Pb__QueryStatusResponse *st = query_status(name);
    int stage;
    ck_assert_uint_eq(st->n_subtaskstatus, 1);
    stage = st->subtaskstatus[0]->stage;
    errmsg[0] = '\0';
    if (st->subtaskstatus[0]->result && st->subtaskstatus[0]->result->n_errors)
        snprintf(errmsg, cap, "%s", st->subtaskstatus[0]->result->errors[0]->msg);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    return stage;
}

/* Two more tasks, normal (<db>n) and safe mode (<db>s), replicating schema db into <db>_n /
 * <db>_s from the start position (pair_paused: both end Paused). */
U static void pair_up(const char *db)
{
    char toml[4096], msg[2048], name[32], ts[32];
    int i;
    for (i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", db, i ? "s" : "n");
        snprintf(ts, sizeof ts, "%s_%s", db, i ? "s" : "n");
        rt_task_toml(toml, sizeof toml, name, ts, i == 1, db);
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    }
}

/* Both tasks of pair db end Paused with an error holding want1 and want2. */
U static void pair_paused(const char *db, const char *want1, const char *want2)
{
    char msg[2048], name[32];
    long long end = tu_now_ms() + 30000;
    int i;
    for (i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", db, i ? "s" : "n");
        while (task_stage(name, msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, want1) && strstr(msg, want2), "%s: %s", name, msg);
    }
}

U static void assert_running(const char *name)
{
    char msg[2048];
    ck_assert_msg(task_stage(name, msg, sizeof msg) == PB__STAGE__Running, "%s: %s", name, msg);
}

U static void pair_running(const char *db)
{
    char name[32];
    int i;
    for (i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", db, i ? "s" : "n");
        assert_running(name);
    }
}

/* Pair db's target tables <db>_n/_s.<table> exist. */
U static void pair_tables(const char *db, const char *table)
{
    char q[256];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
             "TABLE_SCHEMA IN ('%s_n','%s_s') AND TABLE_NAME='%s'", db, db, table);
    ck_assert(wait_value(g_dst, q, "2", 30000));
}

/* The source's clock is past the second db's tables were created or last ALTERed in: rows
 * from now on are newer than their definitions (applier_srcdef.c reads it only for those). */
U static void past_definition(const char *db)
{
    char q[512];
    snprintf(q, sizeof q, "SELECT UNIX_TIMESTAMP() > MAX(UNIX_TIMESTAMP(CREATE_TIME)) FROM "
             "information_schema.TABLES WHERE TABLE_SCHEMA='%s'", db);
    ck_assert(wait_value(g_src, q, "1", 30000));
}

/* db.t from `cols`, replicated by a pair of tasks; the target tables then altered with
 * `alter`. */
U static void pair_table(const char *db, const char *cols, const char *alter)
{
    int k;
    sql(g_src, "CREATE DATABASE %s", db);
    sql(g_src, "CREATE TABLE %s.t (%s)", db, cols);
    pair_up(db);
    pair_tables(db, "t");
    for (k = 0; alter && k < 2; k++)
        sql(g_dst, "ALTER TABLE %s_%s.t %s", db, k ? "s" : "n", alter);
    past_definition(db);
}

/* Both targets <db>_n/_s.t hold `want` rows. */
U static void pair_count(const char *db, const char *want)
{
    char q[256], v[64];
    int k;
    for (k = 0; k < 2; k++) {
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM %s_%s.t", db, k ? "s" : "n");
        value(g_dst, q, v, sizeof v);
        ck_assert_msg(strcmp(v, want) == 0, "%s: %s, want %s", q, v, want);
    }
}

#endif /* DM_TEST_ROWIMG_E2E_H */

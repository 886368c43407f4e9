/* all_e2e.h - helpers shared by the task-mode full/all tests (tests/unit/worker/load/; one
 * test program includes it once, after worker_e2e.h; not a library): the subtask TOML,
 * waiting for a unit/stage, per-table count + checksum comparison, fake mydumpers. */
#ifndef DM_TEST_ALL_E2E_H
#define DM_TEST_ALL_E2E_H

#include <stdatomic.h>
#include <sys/stat.h>

#include "worker_e2e.h"

/* A full/all subtask on the sandboxes: pool-size 4, mydumper --rows 700 -s 5000, dump dir
 * under g_dir, a route shop.src_named -> shop.routed, do-dbs [db]; `extra` is appended
 * to the top-level keys (TOML lines). */
U static void task_toml(char *out, size_t cap, const char *name, const char *mode,
                        const char *db, const char *extra)
{
    snprintf(out, cap,
             "name = \"%s\"\nmode = \"%s\"\nsource-id = \"mysql-replica-01\"\n"
             "worker-count = 4\npool-size = 4\nthreads = 2\nchunk-filesize = 64\n"
             "skip-tz-utc = true\nextra-args = \"--rows 700 -s 5000\"\n"
             "dir = \"%s/dumped_data.%s\"\n%s"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[[route-rules]]\nschema-pattern = \"shop\"\ntable-pattern = \"src_named\"\n"
             "target-schema = \"shop\"\ntarget-table = \"routed\"\n"
             "[black-white-list]\ndo-dbs = [\"%s\"]\n",
             name, mode, g_dir, name, extra ? extra : "", g_src, g_dst, db);
}

U static Pb__SubTaskStatus *status_of(Pb__QueryStatusResponse *r)
{
    return r->n_subtaskstatus == 1 ? r->subtaskstatus[0] : NULL;
}

/* The subtask's unit (-1 when unknown) and, when err is given, its first error. */
U static int unit_now(const char *name, int *stage, char *err, size_t cap)
{
    Pb__QueryStatusResponse *r = query_status(name);
    Pb__SubTaskStatus *s = status_of(r);
    int unit = s ? (int)s->unit : -1;
    if (stage)
        *stage = s ? (int)s->stage : -1;
    if (err && cap) {
        err[0] = '\0';
        if (s && s->result && s->result->n_errors)
            snprintf(err, cap, "%s", s->result->errors[0]->msg);
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return unit;
}

/* Poll until the subtask is in `unit` and `stage` (for a running Load: it has committed
 * something, and its status carries totals, progress and the dump's binlog). A Paused
 * subtask that is not waiting for auto-resume ends the wait (false). */
U static bool wait_unit(const char *name, Pb__UnitType unit, Pb__Stage stage, int ms)
{
    long long end = tu_now_ms() + ms;
    do {
        Pb__QueryStatusResponse *r = query_status(name);
        Pb__SubTaskStatus *s = status_of(r);
        bool ok = s && s->unit == unit && s->stage == stage &&
                  (unit != PB__UNIT_TYPE__Load || stage == PB__STAGE__Paused ||
                   (s->load && s->load->finishedbytes > 0));
        if (ok && unit == PB__UNIT_TYPE__Load && stage != PB__STAGE__Paused) {
            ck_assert_int_gt(s->load->totalbytes, 0);
            ck_assert_ptr_nonnull(strstr(s->load->metabinlog, "mysql-bin."));
            ck_assert_ptr_nonnull(strstr(s->load->progress, "%"));
        }
        bool stuck = s && stage == PB__STAGE__Running && s->stage == PB__STAGE__Paused &&
                     !(s->result && s->result->n_errors &&
                       strstr(s->result->errors[0]->msg, "auto-resume"));
        if (stuck && s->result && s->result->n_errors)
            fprintf(stderr, "paused: %s\n", s->result->errors[0]->msg);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        if (ok)
            return true;
        if (stuck)
            return false;
        usleep(100000);
    } while (tu_now_ms() < end);
    return false;
}

/* *ops (a writer's operation count) when the subtask was first seen in each unit; -1: never */
struct unit_ops {
    long dump, load, sync;
};

/* Follow subtask `name` through Dump, Load and Sync (for at most 120 s) while writers run,
 * until it has been in Sync for settle_ms. A Paused subtask not waiting for auto-resume
 * fails the test. */
U static struct unit_ops follow_units(const char *name, atomic_long *ops, int settle_ms)
{
    struct unit_ops o = {-1, -1, -1};
    char msg[2048];
    long long end = tu_now_ms() + 120000, sync_at = 0;
    int stage, unit;
    while (tu_now_ms() < end) {
        unit = unit_now(name, &stage, msg, sizeof msg);
        ck_assert_msg(stage != PB__STAGE__Paused || strstr(msg, "auto-resume"), "paused: %s", msg);
        if (unit == PB__UNIT_TYPE__Dump && o.dump < 0)
            o.dump = atomic_load(ops);
        if (unit == PB__UNIT_TYPE__Load && o.load < 0)
            o.load = atomic_load(ops);
        if (unit == PB__UNIT_TYPE__Sync && o.sync < 0) {
            o.sync = atomic_load(ops);
            sync_at = tu_now_ms();
        }
        if (sync_at && tu_now_ms() - sync_at > settle_ms)
            break;
        usleep(20000);
    }
    return o;
}

/* The subtask is still in Sync and Running at the end; then stop it. */
U static void assert_sync_then_stop(const char *name)
{
    char msg[2048];
    int stage, unit = unit_now(name, &stage, msg, sizeof msg);
    ck_assert_int_eq(unit, PB__UNIT_TYPE__Sync);
    ck_assert_msg(stage == PB__STAGE__Running, "stage %d: %s", stage, msg);
    ck_assert(operate(name, PB__TASK_OP__Stop, msg, sizeof msg));
}

/* count-checksum `expr` of both tables equal, the count at least min_count */
U static void assert_equal(const char *src_tbl, const char *dst_tbl, const char *expr,
                           const char *min_count)
{
    char qs[512], qd[512], a[128];
    snprintf(qs, sizeof qs, "SELECT %s FROM %s", expr, src_tbl);
    snprintf(qd, sizeof qd, "SELECT %s FROM %s", expr, dst_tbl);
    ck_assert_msg(converge(qs, qd, 60000), "%s differs from %s", dst_tbl, src_tbl);
    value(g_dst, qd, a, sizeof a);
    ck_assert_msg(atoll(a) >= atoll(min_count), "%s: %s rows, want >= %s", dst_tbl, a, min_count);
}

/* "SELECT <count>-<checksum> FROM db.tbl" over the raw bytes of every column (NULL apart
 * from every value), order-independent, duplicates counted: built from the source's
 * information_schema. */
U static void sum_query(const char *schema, const char *tbl, char *out, size_t cap)
{
    char q[1024], cols[6000];
    snprintf(q, sizeof q,
             "SELECT GROUP_CONCAT(CONCAT('COALESCE(HEX(CAST(`', COLUMN_NAME, '` AS BINARY)),''N'')') "
             "ORDER BY ORDINAL_POSITION SEPARATOR ',') FROM information_schema.COLUMNS "
             "WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s'", schema, tbl);
    {
        MYSQL *m = db(g_src);
        MYSQL_RES *r;
        MYSQL_ROW row;
        cols[0] = '\0';
        ck_assert_int_eq(mysql_query(m, "SET SESSION group_concat_max_len = 1000000"), 0);
        ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
        r = mysql_store_result(m);
        row = mysql_fetch_row(r);
        snprintf(cols, sizeof cols, "%s", row && row[0] ? row[0] : "");
        mysql_free_result(r);
        mysql_close(m);
    }
    ck_assert_msg(cols[0], "no columns for %s.%s", schema, tbl);
    snprintf(out, cap,
             "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CAST(CONV(SUBSTR(MD5(CONCAT_WS('|',%s)),"
             "1,15),16,10) AS UNSIGNED)),0)) FROM `%s`.`%s`", cols, schema, tbl);
}

/* db.tbl equal on both sides (count + checksum of every column, within 60 s), with at
 * least min_rows rows. */
U static void assert_table_equal(const char *schema, const char *tbl, long long min_rows)
{
    char q[8192], a[128];
    sum_query(schema, tbl, q, sizeof q);
    ck_assert_msg(converge(q, q, 60000), "%s.%s differs (count-checksum)", schema, tbl);
    value(g_dst, q, a, sizeof a);
    ck_assert_msg(atoll(a) >= min_rows, "%s.%s: %s, want >= %lld rows", schema, tbl, a,
                  min_rows);
    fprintf(stderr, "  %s.%s equal: %s\n", schema, tbl, a);
}

/* A wrapper standing in for mydumper: records its arguments and pid, then runs `body`
 * ("$REAL" = the packaged mydumper). The pid file appears whole (written aside, renamed):
 * `echo $$ > f` creates f empty before the write, and a reader in between took pid 0. */
U static void fake_mydumper(const char *path, const char *body)
{
    char text[8192];
    snprintf(text, sizeof text,
             "#!/bin/sh\necho \"$@\" > %s.args\necho $$ > %s.pid.tmp && mv %s.pid.tmp %s.pid\n"
             "REAL=$(command -v mydumper)\n%s\n", path, path, path, path, body);
    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

#endif /* DM_TEST_ALL_E2E_H */

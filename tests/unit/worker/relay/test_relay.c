/* test_relay.c - the relay unit (worker/relay/relay.h) against a real MariaDB sandbox:
 * mariadb-binlog decodes our relay files exactly as the source's own files (closed and
 * active file, rows decoded), a local reader yields the rows the source wrote across the
 * rotate, purge never removes a file a reader is on, a torn tail (kill -9) is cut back to
 * relay.meta and refetched, and bad input pauses the relay with a named error: corrupt
 * relay file, unwritable relay-dir, source that purged a needed binlog. A reader crosses
 * into the next sub-directory when the source's identity changes. */
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dm_error.h"
#include "relay.h"
#include "relay_sandbox.h"
#include "testutil.h"

static void master(char *file, size_t cap, uint64_t *pos)
{
    source_at(file, cap, pos, NULL, 0);
}

static bool caught_up(struct worker_relay *r, int ms)
{
    return relay_caught_up(r, ms, false, NULL);
}

static struct worker_relay *relay_up(const char *dir)
{
    struct worker_relay_cfg c;
    struct worker_relay *r = NULL;
    memset(&c, 0, sizeof c);
    c.dir = dir;
    c.src = source(9001);
    c.purge_interval_s = 3600;
    ck_assert_int_eq(worker_relay_new(&c, &r), DM_OK);
    return r;
}

static void workload(MYSQL *m, int base, int n)
{
    for (int i = 0; i < n; i++)
        sql(m, "INSERT INTO r.t VALUES (%d, %d, REPEAT('x', %d))", base + i, i, i % 50);
    sql(m, "UPDATE r.t SET v = v + 1 WHERE id %% 7 = 0");
    sql(m, "DELETE FROM r.t WHERE id %% 11 = 0");
}

/* mariadb-binlog's decoded output of `path` (up to stop when > 0) into out (malloc'd). */
static char *decode(const char *path, uint64_t stop)
{
    char cmd[1400], stop_opt[64] = "", out[600];
    snprintf(out, sizeof out, "%s/decode.out", g_dir);
    if (stop)
        snprintf(stop_opt, sizeof stop_opt, "--stop-position=%llu", (unsigned long long)stop);
    snprintf(cmd, sizeof cmd, "mariadb-binlog --base64-output=decode-rows -vv %s %s >%s 2>&1",
             stop_opt, path, out);
    int rc = system(cmd);
    if (rc != 0) {   /* say what mariadb-binlog said (seen once in CI under ASan: exit 1) */
        char *said = tu_read_file(out, NULL);
        size_t n = said ? strlen(said) : 0;
        ck_abort_msg("%s: exit %d: %s", cmd, rc, said ? said + (n > 1500 ? n - 1500 : 0) : "(no output)");
    }
    /* the server clears LOG_EVENT_BINLOG_IN_USE_F in the FDE it sends for its active
     * file, so only the source's copy of an active file carries this header warning */
    snprintf(cmd, sizeof cmd, "sed -i '/^# Warning: this binlog is either in use or was not "
             "closed properly.$/d' %s", out);
    ck_assert_int_eq(system(cmd), 0);
    size_t len = 0;
    char *text = tu_read_file(out, &len);
    ck_assert_ptr_nonnull(text);
    return text;
}

static void relay_file(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/0-1.000001/%s", g_relay, name);
}

static void src_file(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/db/data/%s", g_dir, name);
}

/* equal decoded outputs; on a difference both are kept in g_dir for diff */
static void same(const char *x, const char *y)
{
    if (strcmp(x, y) == 0)
        return;
    char p[600];
    snprintf(p, sizeof p, "%s/relay.decoded", g_dir);
    tu_write_file(p, x, strlen(x));
    snprintf(p, sizeof p, "%s/source.decoded", g_dir);
    tu_write_file(p, y, strlen(y));
    ck_abort_msg("decoded relay file differs from the source's: diff %s/relay.decoded %s",
                 g_dir, p);
}

START_TEST(oracle_reader_purge)
{
    MYSQL *m = db();
    char f1[256], f2[256], a[1200], b[1200];
    uint64_t p1, p2;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    master(f1, sizeof f1, &p1);
    struct worker_relay *r = relay_up(g_relay);
    workload(m, 1, 120);
    sql(m, "FLUSH BINARY LOGS");
    workload(m, 1000, 80);
    ck_assert(caught_up(r, 20000));
    master(f2, sizeof f2, &p2);
    ck_assert_str_ne(f1, f2);

    /* layout */
    snprintf(a, sizeof a, "%s/server-uuid.index", g_relay);
    char *idx = tu_read_file(a, NULL);
    ck_assert_ptr_nonnull(idx);
    ck_assert_str_eq(idx, "0-1.000001\n");
    free(idx);
    snprintf(a, sizeof a, "%s/0-1.000001/relay.meta", g_relay);
    snprintf(b, sizeof b, "binlog-name = \"%s\"\nbinlog-pos = %llu\n", f2, (unsigned long long)p2);
    char *meta = NULL;
    for (int i = 0; i < 50; i++) {   /* flushed within 100 ms of the last event */
        free(meta);
        meta = tu_read_file(a, NULL);
        ck_assert_ptr_nonnull(meta);
        if (strncmp(meta, b, strlen(b)) == 0)
            break;
        usleep(50000);
    }
    ck_assert_msg(strncmp(meta, b, strlen(b)) == 0, "meta: %s want %s", meta, b);
    ck_assert_ptr_nonnull(strstr(meta, "binlog-gtid = \"0-1-"));
    free(meta);

    /* oracle: the closed file whole, the active one up to the source position */
    relay_file(a, sizeof a, f1);
    src_file(b, sizeof b, f1);
    char *x = decode(a, 0), *y = decode(b, 0);
    ck_assert_int_eq(count(y, "### INSERT INTO `r`.`t`"), 120);
    ck_assert_int_ge(count(y, "### UPDATE `r`.`t`"), 10);
    same(x, y);
    free(x);
    free(y);
    relay_file(a, sizeof a, f2);
    src_file(b, sizeof b, f2);
    x = decode(a, p2);
    y = decode(b, p2);
    ck_assert_int_eq(count(y, "### INSERT INTO `r`.`t`"), 80);
    same(x, y);
    free(x);
    free(y);

    /* a local reader from the first file: every row, across the rotate */
    struct bl_reader *rd = NULL;
    char err[512];
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f1, 4, &rd, err, sizeof err), DM_OK);
    /* purge while it stands on f1: f1 stays */
    struct worker_relay_purge_req q = { .inactive = true };
    struct worker_terr e;
    ck_assert_int_eq(worker_relay_purge(r, &q, &e), DM_OK);
    relay_file(a, sizeof a, f1);
    ck_assert_int_eq(access(a, F_OK), 0);
    struct worker_relay_purge_req qf = { .filename = f2 };
    ck_assert_int_eq(worker_relay_purge(r, &qf, &e), DM_OK);
    ck_assert_int_eq(access(a, F_OK), 0);
    int inserts = 0, rotates = 0;
    struct bl_event *ev;
    for (;;) {
        int rc = bl_reader_next(rd, 2000, &ev, err, sizeof err);
        ck_assert_msg(rc == DM_OK, "next: %s", err);
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT)
            inserts += (int)ev->nrows;
        if (ev->kind == BL_EV_ROTATE)
            rotates++;
        if (strcmp(ev->file, f2) == 0 && ev->next_pos == p2)
            break;
    }
    ck_assert_int_eq(inserts, 200);
    ck_assert_int_ge(rotates, 1);
    /* a paused subtask's hold on f1 keeps it */
    worker_relay_hold(r, "paused", f1);
    ck_assert_int_eq(worker_relay_purge(r, &q, &e), DM_OK);
    ck_assert_int_eq(access(a, F_OK), 0);
    worker_relay_hold(r, "paused", NULL);
    /* the reader is on f2 now: purge before f2 removes f1 */
    ck_assert_int_eq(worker_relay_purge(r, &q, &e), DM_OK);
    ck_assert_int_ne(access(a, F_OK), 0);
    relay_file(a, sizeof a, f2);
    ck_assert_int_eq(access(a, F_OK), 0);
    bl_reader_free(rd);
    /* a purged file cannot be read */
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f1, 4, &rd, err, sizeof err), DM_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err, f1));
    /* bad request */
    struct worker_relay_purge_req none = { 0 };
    ck_assert_int_eq(worker_relay_purge(r, &none, &e), DM_E_INVAL);
    ck_assert_int_eq(e.code, 30039);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

START_TEST(torn_tail_and_corruption)
{
    MYSQL *m = db();
    char f[256], a[1200], b[1200], err[512];
    uint64_t p;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    struct worker_relay *r = relay_up(g_relay);
    workload(m, 1, 50);
    ck_assert(caught_up(r, 20000));
    worker_relay_free(r);
    master(f, sizeof f, &p);
    /* kill -9 mid-write: half an event past relay.meta */
    relay_file(a, sizeof a, f);
    int fd = open(a, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 11), 11);
    close(fd);
    workload(m, 500, 40);
    r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));
    master(f, sizeof f, &p);
    worker_relay_free(r);
    src_file(b, sizeof b, f);
    char *x = decode(a, p), *y = decode(b, p);
    ck_assert_int_eq(count(y, "### INSERT INTO `r`.`t`"), 90);
    same(x, y);
    free(x);
    free(y);
    /* a relay file broken before the meta position: Paused, named */
    fd = open(a, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, "\xff\xff\xff\xff", 4, 4 + 9), 4);   /* FDE length */
    close(fd);
    r = relay_up(g_relay);
    struct worker_relay_status st = paused_with(r, 20000);
    ck_assert_msg(strstr(st.err.msg, "corrupt") && strstr(st.err.msg, f), "%s", st.err.msg);
    struct bl_reader *rd = NULL;
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f, 4, &rd, err, sizeof err), DM_OK);
    struct bl_event *ev;
    ck_assert_int_eq(bl_reader_next(rd, 300, &ev, err, sizeof err), DM_E_TIMEOUT); /* waits */
    bl_reader_free(rd);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

/* End of the first XID event of a relay file (a transaction boundary past the FDE); the
 * offset of the last one into *last. */
static uint64_t first_xid_end(const char *path, uint64_t *last)
{
    uint8_t h[19];
    uint64_t off = 4, first = 0;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    while (pread(fd, h, 19, (off_t)off) == 19) {
        uint64_t len = h[9] | (uint64_t)h[10] << 8 | (uint64_t)h[11] << 16 | (uint64_t)h[12] << 24;
        ck_assert_uint_ge(len, 19);
        if (h[4] == 16) {
            *last = off;
            if (!first)
                first = off + len;
        }
        off += len;
    }
    close(fd);
    return first;
}

/* Give the XID event at off another xid (CRC32 fixed): bytes the source would not send
 * again, so a test sees whether the relay kept or re-fetched them. */
static void mark_xid(const char *path, uint64_t off)
{
    uint8_t ev[64];
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, ev, 31, (off_t)off), 31);
    ck_assert_int_eq(ev[9], 31);                     /* header, xid, CRC32 */
    memset(ev + 19, 0x77, 8);
    uLong c = crc32(0L, ev, 27);
    for (int i = 0; i < 4; i++)
        ev[27 + i] = (uint8_t)(c >> (8 * i));
    ck_assert_int_eq(pwrite(fd, ev, 31, (off_t)off), 31);
    close(fd);
}

/* kill -9 with complete transactions past relay.meta (flushed every 100 ms; the readers may
 * have applied them): they are kept, relay.meta moves to the last one with its GTID set;
 * only the torn tail goes. Before, the file was cut back to relay.meta. */
START_TEST(tail_past_meta_kept)
{
    MYSQL *m = db();
    char f[256], a[1200], meta[1200], *orig, text[1600];
    uint64_t p;
    struct stat st;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    struct worker_relay *r = relay_up(g_relay);
    workload(m, 1, 40);
    ck_assert(caught_up(r, 20000));
    worker_relay_free(r);
    master(f, sizeof f, &p);
    relay_file(a, sizeof a, f);
    snprintf(meta, sizeof meta, "%s/0-1.000001/relay.meta", g_relay);
    orig = tu_read_file(meta, NULL);
    ck_assert_ptr_nonnull(orig);
    ck_assert_int_eq(stat(a, &st), 0);
    uint64_t last = 0, end = (uint64_t)st.st_size, back = first_xid_end(a, &last);
    ck_assert_uint_lt(back, last);
    mark_xid(a, last);
    /* relay.meta as a kill -9 can leave it: the first transaction, an older set */
    snprintf(text, sizeof text, "binlog-name = \"%s\"\nbinlog-pos = %llu\nbinlog-gtid = "
             "\"0-1-1\"\n", f, (unsigned long long)back);
    ck_assert_int_eq(tu_write_file(meta, text, strlen(text)), 0);
    int fd = open(a, O_WRONLY | O_APPEND);   /* and half an event */
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\x2a\x00\x00\x00\x10\x01\x00\x00\x00\x99\x00", 11), 11);
    close(fd);
    r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));
    worker_relay_free(r);
    char *now = tu_read_file(meta, NULL);
    ck_assert_ptr_nonnull(now);
    ck_assert_str_eq(now, orig);             /* position and GTID set of the last one */
    ck_assert_int_eq(stat(a, &st), 0);
    ck_assert_uint_eq((uint64_t)st.st_size, end);
    char *x = decode(a, p);                  /* kept, not fetched again */
    ck_assert_msg(strstr(x, "Xid = 8608480567731124087"), "the relay re-fetched the "
                  "transactions past relay.meta");
    free(x);
    free(now);
    free(orig);
    mysql_close(m);
}
END_TEST

/* Offsets in a relay file of the last XA_PREPARE event (38) and of the GTID event (162)
 * that began its group. */
static void last_xa_prepare(const char *path, uint64_t *gtid_at, uint64_t *prep_at)
{
    uint8_t h[19];
    uint64_t off = 4, g = 0;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    *prep_at = 0;
    *gtid_at = 0;
    while (pread(fd, h, 19, (off_t)off) == 19) {
        uint64_t len = h[9] | (uint64_t)h[10] << 8 | (uint64_t)h[11] << 16 | (uint64_t)h[12] << 24;
        ck_assert_uint_ge(len, 19);
        if (h[4] == 162)
            g = off;
        if (h[4] == 38) {
            *gtid_at = g;
            *prep_at = off;
        }
        off += len;
    }
    close(fd);
    ck_assert_uint_gt(*prep_at, 0);
}

/* The event group of an XA PREPARE (GTID, rows, QUERY "XA END", XA_PREPARE) is one
 * transaction for the relay: a kill -9 that left it without its XA_PREPARE event keeps
 * relay.meta before its GTID event. Before, "XA END" counted as the end of a transaction:
 * relay.meta (and its GTID set, which a failover reads the next server from) went past a
 * group whose XA_PREPARE the relay never wrote. The source user below cannot read the
 * binlog, so relay.meta stays as the start-up recovery wrote it. */
START_TEST(xa_prepare_group_is_one_transaction)
{
    MYSQL *m = db();
    char f[256], a[1200], meta[1200], text[1600];
    uint64_t p, g = 0, q = 0;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    sql(m, "CREATE USER 'norepl'@'127.0.0.1'");
    sql(m, "GRANT SELECT ON *.* TO 'norepl'@'127.0.0.1'");
    struct worker_relay *r = relay_up(g_relay);
    workload(m, 1, 5);
    sql(m, "XA START 'x1'");
    sql(m, "INSERT INTO r.t VALUES (900, 1, 'xa')");
    sql(m, "XA END 'x1'");
    sql(m, "XA PREPARE 'x1'");
    ck_assert(caught_up(r, 20000));
    worker_relay_free(r);
    master(f, sizeof f, &p);
    relay_file(a, sizeof a, f);
    last_xa_prepare(a, &g, &q);
    ck_assert_uint_lt(g, q);
    ck_assert_int_eq(truncate(a, (off_t)q), 0);          /* the XA_PREPARE event lost */
    snprintf(meta, sizeof meta, "%s/0-1.000001/relay.meta", g_relay);
    snprintf(text, sizeof text, "binlog-name = \"%s\"\nbinlog-pos = %llu\nbinlog-gtid = "
             "\"0-1-1\"\n", f, (unsigned long long)first_xid_end(a, &p));
    ck_assert_int_eq(tu_write_file(meta, text, strlen(text)), 0);
    struct worker_relay_cfg c;
    memset(&c, 0, sizeof c);
    c.dir = g_relay;
    c.src = source(9001);
    c.src.user = "norepl";
    c.purge_interval_s = 3600;
    ck_assert_int_eq(worker_relay_new(&c, &r), DM_OK);
    struct worker_relay_status st;
    long long end = tu_now_ms() + 20000;
    do {
        worker_relay_status(r, &st);
        if (st.has_err)
            break;
        usleep(100000);
    } while (tu_now_ms() < end);
    ck_assert_msg(st.has_err, "the relay read the binlog as a user without REPLICATION SLAVE");
    worker_relay_free(r);
    char *now = tu_read_file(meta, NULL), want[64];
    ck_assert_ptr_nonnull(now);
    snprintf(want, sizeof want, "binlog-pos = %llu\n", (unsigned long long)g);
    ck_assert_msg(strstr(now, want), "relay.meta not at the XA group's GTID event (%s): %s",
                  want, now);
    free(now);
    sql(m, "XA COMMIT 'x1'");
    mysql_close(m);
}
END_TEST

START_TEST(bad_dir_and_purged_source)
{
    MYSQL *m = db();
    char a[1200], f[256];
    uint64_t p;
    struct worker_terr e;
    /* relay-dir under a regular file: cannot be created */
    snprintf(a, sizeof a, "%s/plain", g_dir);
    ck_assert_int_eq(tu_write_file(a, "x", 1), 0);
    snprintf(a, sizeof a, "%s/plain/relay", g_dir);
    struct worker_relay *r = relay_up(a);
    struct worker_relay_status st = paused_with(r, 20000);
    ck_assert_int_eq(st.err.code, 30033);
    ck_assert_ptr_nonnull(strstr(st.err.msg, a));
    /* resume needs Paused; pause needs Running */
    ck_assert_int_eq(worker_relay_pause(r, &e), DM_E_STATE);
    ck_assert_str_eq(e.msg, "current stage is Paused, Running required, relay op PauseRelay");
    ck_assert_int_eq(e.code, 40039);
    worker_relay_free(r);

    /* the source purged a file the relay still needs */
    sql(m, "CREATE DATABASE r");
    r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));
    /* a second writer on the same relay-dir is refused */
    struct worker_relay *r2 = relay_up(g_relay);
    st = paused_with(r2, 20000);
    ck_assert_msg(strstr(st.err.msg, "in use by another dm-worker"), "%s", st.err.msg);
    worker_relay_free(r2);
    ck_assert_int_eq(worker_relay_pause(r, &e), DM_OK);
    ck_assert_int_eq(worker_relay_pause(r, &e), DM_E_STATE);
    master(f, sizeof f, &p);
    sql(m, "FLUSH BINARY LOGS");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY)");
    sql(m, "FLUSH BINARY LOGS");
    char now[256];
    uint64_t np;
    master(now, sizeof now, &np);
    sql(m, "PURGE BINARY LOGS TO '%s'", now);
    worker_relay_free(r);
    /* restart from relay.meta in `f`, which the source no longer has */
    r = relay_up(g_relay);
    st = paused_with(r, 20000);
    ck_assert_msg(strstr(st.err.msg, "purged") && strstr(st.err.msg, f), "%s", st.err.msg);
    ck_assert_int_eq(worker_relay_switch_master(r, &e), DM_E_STATE);
    ck_assert_int_eq(e.code, 30034);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

/* The source's identity changes (server_id 1 -> 2) while a local reader is on the first
 * sub-directory: the writer starts 0-2.000002 and the reader crosses into it at the end of
 * the finished file (artificial ROTATE to the new sub-directory's first file at 4), seeing
 * every row of both. */
START_TEST(reader_crosses_subdir)
{
    MYSQL *m = db();
    char f1[256], f2[256], a[1200], err[512];
    uint64_t p1, p2;
    struct worker_terr e;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    master(f1, sizeof f1, &p1);
    struct worker_relay *r = relay_up(g_relay);
    workload(m, 1, 30);
    ck_assert(caught_up(r, 20000));
    struct bl_reader *rd = NULL;
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f1, 4, &rd, err, sizeof err), DM_OK);
    ck_assert_int_eq(worker_relay_pause(r, &e), DM_OK);
    sql(m, "SET GLOBAL server_id = 2");
    sql(m, "FLUSH BINARY LOGS");
    workload(m, 1000, 20);
    master(f2, sizeof f2, &p2);
    ck_assert_str_ne(f1, f2);
    ck_assert_int_eq(worker_relay_resume(r, &e), DM_OK);
    ck_assert(caught_up(r, 20000));
    struct worker_relay_status st;
    worker_relay_status(r, &st);
    ck_assert_str_eq(st.sub_dir, "0-2.000002");
    snprintf(a, sizeof a, "%s/server-uuid.index", g_relay);
    char *idx = tu_read_file(a, NULL);
    ck_assert_ptr_nonnull(idx);
    ck_assert_str_eq(idx, "0-1.000001\n0-2.000002\n");
    free(idx);
    snprintf(a, sizeof a, "%s/0-2.000002/%s", g_relay, f2);
    ck_assert_int_eq(access(a, F_OK), 0);
    snprintf(a, sizeof a, "%s/0-1.000001/%s", g_relay, f2);
    ck_assert_int_ne(access(a, F_OK), 0);        /* f2 only in the new sub-directory */

    int ins1 = 0, ins2 = 0, crossed = 0;
    struct bl_event *ev;
    for (;;) {
        int rc = bl_reader_next(rd, 5000, &ev, err, sizeof err);
        ck_assert_msg(rc == DM_OK, "next: %s", err);
        if (ev->kind == BL_EV_ROTATE && strcmp(ev->file, f2) == 0) {
            ck_assert_uint_eq(ev->next_pos, 4);
            ck_assert(ev->flags & 0x20);
            crossed++;
        }
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT) {
            ck_assert_uint_eq(ev->server_id, strcmp(ev->file, f1) == 0 ? 1 : 2);
            *(strcmp(ev->file, f1) == 0 ? &ins1 : &ins2) += (int)ev->nrows;
        }
        if (strcmp(ev->file, f2) == 0 && ev->next_pos == p2)
            break;
    }
    ck_assert_int_eq(crossed, 1);
    ck_assert_int_eq(ins1, 30);
    ck_assert_int_eq(ins2, 20);
    /* the reader now stands in the new sub-directory: purge of the old one's files works */
    struct worker_relay_purge_req q = { .inactive = true };
    ck_assert_int_eq(worker_relay_purge(r, &q, &e), DM_OK);
    bl_reader_free(rd);
    /* opening at f2 finds it in the new sub-directory */
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f2, 4, &rd, err, sizeof err), DM_OK);
    int n = 0;
    for (;;) {
        ck_assert_int_eq(bl_reader_next(rd, 5000, &ev, err, sizeof err), DM_OK);
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT)
            n += (int)ev->nrows;
        if (ev->next_pos == p2)
            break;
    }
    ck_assert_int_eq(n, 20);
    bl_reader_free(rd);
    worker_relay_free(r);

    /* kill -9 left a torn event in the newest sub-directory, then the worker restarts
     * against a source with another identity: that file is cut back to relay.meta before
     * 0-3.000003 starts, so a reader crosses it cleanly (not "ends inside an event") */
    snprintf(a, sizeof a, "%s/0-2.000002/%s", g_relay, f2);
    int fd = open(a, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 11), 11);
    close(fd);
    char f3[256];
    uint64_t p3;
    sql(m, "SET GLOBAL server_id = 3");
    sql(m, "FLUSH BINARY LOGS");
    workload(m, 2000, 10);
    master(f3, sizeof f3, &p3);
    r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));
    worker_relay_status(r, &st);
    ck_assert_str_eq(st.sub_dir, "0-3.000003");
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f2, 4, &rd, err, sizeof err), DM_OK);
    n = 0;
    for (;;) {
        int rc = bl_reader_next(rd, 5000, &ev, err, sizeof err);
        ck_assert_msg(rc == DM_OK, "next: %s", err);
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT)
            n += (int)ev->nrows;
        if (strcmp(ev->file, f3) == 0 && ev->next_pos == p3)
            break;
    }
    ck_assert_int_eq(n, 30);
    bl_reader_free(rd);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

/* A source crash (kill -9 of mariadbd) ends its file without a ROTATE: the writer records
 * that end (relay.ends) and a reader goes on with the next file. A finished relay file cut
 * by hand exactly at an event boundary also ends without a ROTATE: before, the reader took
 * it for such a file and went on with the next one - the rest of the cut file skipped, the
 * subtask Running. Now it stops with an error naming the file. */
START_TEST(finished_file_cut_at_boundary)
{
    MYSQL *m = db();
    char f1[256], f2[256], f3[256], a[1200], pid[600], err[1024];
    uint64_t p1, p3;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    master(f1, sizeof f1, &p1);
    struct worker_relay *r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));              /* started at f1 (not after the FLUSH) */
    workload(m, 1, 40);
    sql(m, "FLUSH BINARY LOGS");
    master(f2, sizeof f2, &p1);
    workload(m, 1000, 20);
    ck_assert(caught_up(r, 20000));
    /* source crash: its f2 ends without STOP or ROTATE */
    mysql_close(m);
    snprintf(pid, sizeof pid, "kill -9 $(cat %s/db/mysqld.pid) && sleep 1", g_dir);
    ck_assert_int_eq(system(pid), 0);
    ck_assert_int_eq(sandbox("start"), 0);
    m = db();
    workload(m, 2000, 10);
    master(f3, sizeof f3, &p3);
    ck_assert_str_ne(f2, f3);
    ck_assert(relay_caught_up(r, 60000, false, NULL));
    snprintf(a, sizeof a, "%s/0-1.000001/relay.ends", g_relay);
    char *ends = tu_read_file(a, NULL);
    ck_assert_msg(ends && strncmp(ends, f2, strlen(f2)) == 0, "relay.ends: %s", ends ? ends : "(none)");
    free(ends);
    struct bl_reader *rd = NULL;
    struct bl_event *ev;
    int ins = 0, rc;
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f1, 4, &rd, err, sizeof err), DM_OK);
    while ((rc = bl_reader_next(rd, 5000, &ev, err, sizeof err)) == DM_OK) {
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT)
            ins += (int)ev->nrows;
        if (strcmp(ev->file, f3) == 0 && ev->next_pos == p3)
            break;
    }
    ck_assert_msg(rc == DM_OK, "next: %s", err);
    ck_assert_int_eq(ins, 70);
    bl_reader_free(rd);
    worker_relay_free(r);

    /* f1 cut by hand after its first transaction (an event boundary) */
    uint64_t last, cut;
    relay_file(a, sizeof a, f1);
    cut = first_xid_end(a, &last);
    ck_assert_uint_gt(cut, 4);
    ck_assert_int_eq(truncate(a, (off_t)cut), 0);
    r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));
    ins = 0;
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f1, 4, &rd, err, sizeof err), DM_OK);
    while ((rc = bl_reader_next(rd, 3000, &ev, err, sizeof err)) == DM_OK)
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT)
            ins += (int)ev->nrows;
    ck_assert_msg(rc != DM_E_TIMEOUT, "the reader went on past the cut file (%d rows): %s", ins, err);
    ck_assert_msg(strstr(err, "without a ROTATE") && strstr(err, f1), "%s", err);
    ck_assert_int_eq(ins, 1);                    /* f1's first row, nothing of f2 */
    bl_reader_free(rd);
    /* re-opened past the cut: the file is shorter than the position */
    ck_assert_int_eq(worker_relay_open_reader(r, "t1", f1, last, &rd, err, sizeof err), DM_OK);
    while ((rc = bl_reader_next(rd, 3000, &ev, err, sizeof err)) == DM_OK)
        ck_assert_msg(!(ev->kind == BL_EV_ROWS), "rows read past the cut");
    ck_assert_msg(rc != DM_E_TIMEOUT && strstr(err, f1), "%s", err);
    bl_reader_free(rd);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

/* More replication domains (with long ids) than relay.meta's binlog-gtid holds: the
 * relay's set stopped following the source (a warning) with the relay Running, and a
 * failover would start from that stale set. Now the relay pauses naming the GTID. */
START_TEST(gtid_set_too_long_pauses)
{
    MYSQL *m = db();
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    struct worker_relay *r = relay_up(g_relay);
    ck_assert(caught_up(r, 20000));
    for (int k = 1; k <= 50; k++) {
        sql(m, "SET SESSION gtid_domain_id = %d, server_id = %u, gtid_seq_no = %llu", k,
            4000000000u + (unsigned)k, 1000000000000ULL + (unsigned long long)k);
        sql(m, "INSERT INTO r.t VALUES (%d, %d, 'x')", k, k);
    }
    struct worker_relay_status st = paused_with(r, 30000);
    ck_assert_msg(strstr(st.err.msg, "cannot take GTID"), "%s", st.err.msg);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay");
    TCase *tc = tcase_create("mariadb");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, oracle_reader_purge);
    tcase_add_test(tc, torn_tail_and_corruption);
    tcase_add_test(tc, tail_past_meta_kept);
    tcase_add_test(tc, xa_prepare_group_is_one_transaction);
    tcase_add_test(tc, bad_dir_and_purged_source);
    tcase_add_test(tc, reader_crosses_subdir);
    tcase_add_test(tc, finished_file_cut_at_boundary);
    tcase_add_test(tc, gtid_set_too_long_pauses);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

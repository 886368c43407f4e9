/* test_relay_gtid.c - the relay unit with enable-gtid against a real MariaDB sandbox:
 * relay-binlog-gtid starts the relay at the first transaction after the set (the gap
 * before it filled with DM's dummy event: mariadb-binlog still decodes the file, readers
 * never see it, a position inside it is not served), relay.meta and the status carry the
 * source's GTID set, switch-relay-master opens a new sub-directory read from the relay's
 * GTID set and a reader crosses into it with every transaction exactly once; bad sets are
 * named errors. */
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_error.h"
#include "gtid.h"
#include "relay.h"
#include "relay_sandbox.h"
#include "testutil.h"

static bool caught_up(struct worker_relay *r, int ms)
{
    return relay_caught_up(r, ms, true, gtid_text_equal);
}

static struct worker_relay *relay_up(const char *gtid)
{
    struct worker_relay_cfg c;
    struct worker_relay *r = NULL;
    memset(&c, 0, sizeof c);
    c.dir = g_relay;
    c.src = source(9001);
    c.enable_gtid = true;
    c.binlog_gtid = gtid;
    c.purge_interval_s = 3600;
    ck_assert_int_eq(worker_relay_new(&c, &r), DM_OK);
    return r;
}

/* n single-row transactions */
static void inserts(MYSQL *m, int base, int n)
{
    for (int i = 0; i < n; i++)
        sql(m, "INSERT INTO r.t VALUES (%d, %d, REPEAT('g', %d))", base + i, i, 1 + i % 40);
}

/* Read until (file, pos): inserted rows, and every GTID exactly once in order from
 * *next_seq (domain 0), which is advanced. */
static int read_until(struct bl_reader *rd, const char *file, uint64_t pos, uint64_t *next_seq,
                      int *crossed)
{
    struct bl_event *ev;
    char err[512];
    int rows = 0;
    for (;;) {
        int rc = bl_reader_next(rd, 5000, &ev, err, sizeof err);
        ck_assert_msg(rc == DM_OK, "next: %s", err);
        ck_assert_msg(ev->type != 2 || !strstr(ev->query, "dummy"), "gap filler reached a reader");
        ck_assert_msg(ev->type != 14, "USER_VAR (gap filler) reached a reader");
        if (ev->kind == BL_EV_GTID) {
            ck_assert_uint_eq(ev->gtid_domain, 0);
            ck_assert_msg(ev->gtid_seq == *next_seq, "GTID 0-%u-%llu, want seq %llu",
                          ev->gtid_server, (unsigned long long)ev->gtid_seq,
                          (unsigned long long)*next_seq);
            (*next_seq)++;
        }
        if (ev->kind == BL_EV_ROTATE && (ev->flags & 0x20) && ev->next_pos == 4 && crossed)
            (*crossed)++;
        if (ev->kind == BL_EV_ROWS && ev->op == BL_INSERT)
            rows += (int)ev->nrows;
        if (strcmp(ev->file, file) == 0 && ev->next_pos == pos)
            return rows;
    }
}

static char *decode(const char *path, uint64_t start)
{
    char cmd[1400], out[600];
    snprintf(out, sizeof out, "%s/decode.out", g_dir);
    snprintf(cmd, sizeof cmd, "mariadb-binlog --base64-output=decode-rows -vv "
             "--start-position=%llu %s >%s.raw 2>&1", (unsigned long long)start, path, out);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
    /* the dummy query's zero padding is printed as is: dropped for strstr */
    snprintf(cmd, sizeof cmd, "tr -d '\\000' <%s.raw >%s", out, out);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
    char *text = tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* where the first transaction after the gap fillers starts in a relay file (0: none) */
static uint64_t gap_end_of(const char *path)
{
    uint8_t h[19];
    uint64_t off = 4, end = 0;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < 64 && pread(fd, h, 19, (off_t)off) == 19 && h[4] != 162; i++) {
        off += h[9] | h[10] << 8 | (uint64_t)h[11] << 16 | (uint64_t)h[12] << 24;
        if (h[17] & 0x40)
            end = off;
    }
    close(fd);
    return end;
}

START_TEST(gtid_start_and_switch)
{
    MYSQL *m = db();
    char f1[256], f2[256], g1[1024], gtid[1024], a[1200], b[1200], err[512];
    uint64_t p, p2;
    struct worker_terr e;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    inserts(m, 1, 20);
    source_at(f1, sizeof f1, &p, g1, sizeof g1);
    struct gtid_set gs;
    ck_assert_int_eq(gtid_set_parse(g1, &gs, err, sizeof err), DM_OK);
    ck_assert_uint_eq(gs.n, 1);
    uint64_t seq = gs.g[0].seq + 1;            /* the first transaction the relay must hold */
    inserts(m, 100, 30);
    sql(m, "FLUSH BINARY LOGS");
    inserts(m, 200, 10);
    source_at(f2, sizeof f2, &p2, gtid, sizeof gtid);
    ck_assert_str_ne(f1, f2);

    struct worker_relay *r = relay_up(g1);
    ck_assert(caught_up(r, 20000));
    struct worker_relay_status st;
    worker_relay_status(r, &st);
    ck_assert_str_eq(st.sub_dir, "0-1.000001");
    ck_assert(gtid_text_equal(st.gtid, gtid));
    snprintf(a, sizeof a, "%s/0-1.000001/relay.meta", g_relay);
    char *meta = NULL;
    for (int i = 0; i < 50; i++) {            /* flushed within 100 ms of the last event */
        free(meta);
        meta = tu_read_file(a, NULL);
        snprintf(b, sizeof b, "binlog-gtid = \"%s\"", gtid);
        if (meta && strstr(meta, b))
            break;
        usleep(50000);
    }
    ck_assert_msg(meta && strstr(meta, b), "meta %s, want %s", meta, b);
    free(meta);

    /* the first file: a gap filler, then the source's bytes; mariadb-binlog decodes it */
    snprintf(a, sizeof a, "%s/0-1.000001/%s", g_relay, f1);
    uint64_t gap = gap_end_of(a);
    ck_assert_uint_gt(gap, 4);
    char *x = decode(a, 4);
    ck_assert_int_eq(count(x, "### INSERT INTO `r`.`t`"), 30);
    ck_assert_int_ge(count(x, "dummy query generated by DM"), 1);
    free(x);
    snprintf(b, sizeof b, "%s/db/data/%s", g_dir, f1);
    x = decode(a, gap);
    char *y = decode(b, gap);
    ck_assert_str_eq(strstr(x, "# at "), strstr(y, "# at "));   /* same events from the gap on */
    free(x);
    free(y);

    /* a position inside the gap is not in the relay; the gap's end is */
    struct bl_reader *rd = NULL;
    ck_assert_int_eq(worker_relay_open_reader(r, "t", f1, 4, &rd, err, sizeof err), DM_E_NOT_FOUND);
    ck_assert_int_eq(worker_relay_open_reader(r, "t", f1, gap - 1, &rd, err, sizeof err),
                     DM_E_NOT_FOUND);
    ck_assert_int_eq(worker_relay_open_reader(r, "t", f1, gap, &rd, err, sizeof err), DM_OK);
    ck_assert_int_eq(read_until(rd, f2, p2, &seq, NULL), 40);

    /* switch-relay-master: Paused only; a new sub-directory from the relay's GTID set */
    ck_assert_int_eq(worker_relay_switch_master(r, &e), DM_E_STATE);
    ck_assert_int_eq(e.code, 40039);
    ck_assert_int_eq(worker_relay_pause(r, &e), DM_OK);
    inserts(m, 300, 5);                        /* written while paused: read after the switch */
    ck_assert_int_eq(worker_relay_switch_master(r, &e), DM_OK);
    ck_assert_int_eq(worker_relay_resume(r, &e), DM_OK);
    inserts(m, 400, 15);
    ck_assert(caught_up(r, 20000));
    worker_relay_status(r, &st);
    ck_assert_str_eq(st.sub_dir, "0-1.000002");
    snprintf(a, sizeof a, "%s/server-uuid.index", g_relay);
    char *idx = tu_read_file(a, NULL);
    ck_assert_str_eq(idx, "0-1.000001\n0-1.000002\n");
    free(idx);
    char f3[256];
    uint64_t p3;
    source_at(f3, sizeof f3, &p3, gtid, sizeof gtid);
    int crossed = 0;
    ck_assert_int_eq(read_until(rd, f3, p3, &seq, &crossed), 20);
    ck_assert_int_eq(crossed, 1);
    bl_reader_free(rd);

    /* restart: the relay continues in the new sub-directory by position */
    worker_relay_free(r);
    inserts(m, 500, 7);
    r = relay_up(g1);
    ck_assert(caught_up(r, 20000));
    worker_relay_status(r, &st);
    ck_assert_str_eq(st.sub_dir, "0-1.000002");
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

/* A GTID start with nothing after the set yet: relay.meta keeps binlog-name "" (no safe
 * point), a restart - with junk past the FDE, as a kill -9 could leave - opens by GTID again
 * and the transactions written meanwhile arrive exactly once. */
START_TEST(restart_before_first_transaction)
{
    MYSQL *m = db();
    char f[256], g[1024], gtid[1024], a[1200], err[512];
    uint64_t p;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    inserts(m, 1, 10);
    source_at(f, sizeof f, &p, g, sizeof g);
    struct worker_relay *r = relay_up(g);
    struct worker_relay_status st;
    long long end = tu_now_ms() + 20000;
    do {                                       /* the FDE of the source's file is written */
        usleep(50000);
        worker_relay_status(r, &st);
    } while (st.pos == 0 && tu_now_ms() < end);
    ck_assert_str_eq(st.file, f);
    ck_assert_str_eq(st.sub_dir, "0-1.000001");
    usleep(300000);
    worker_relay_free(r);
    snprintf(a, sizeof a, "%s/0-1.000001/relay.meta", g_relay);
    char *meta = tu_read_file(a, NULL);
    ck_assert_msg(strstr(meta, "binlog-name = \"\"") != NULL, "%s", meta);
    free(meta);
    snprintf(a, sizeof a, "%s/0-1.000001/%s", g_relay, f);
    int fd = open(a, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\x01\x02\x03\x04\x05\x06\x07", 7), 7);
    close(fd);
    inserts(m, 100, 6);
    r = relay_up(g);
    ck_assert(caught_up(r, 20000));
    source_at(f, sizeof f, &p, gtid, sizeof gtid);
    uint64_t gap = gap_end_of(a);
    ck_assert_uint_gt(gap, 4);
    struct gtid_set gs;
    ck_assert_int_eq(gtid_set_parse(g, &gs, err, sizeof err), DM_OK);
    uint64_t seq = gs.g[0].seq + 1;
    struct bl_reader *rd = NULL;
    ck_assert_int_eq(worker_relay_open_reader(r, "t", f, gap, &rd, err, sizeof err), DM_OK);
    ck_assert_int_eq(read_until(rd, f, p, &seq, NULL), 6);
    bl_reader_free(rd);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

START_TEST(bad_gtid_sets)
{
    MYSQL *m = db();
    struct worker_terr e;
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(64))");
    inserts(m, 1, 3);
    struct worker_relay *r = relay_up("0-1-x");
    struct worker_relay_status st = paused_with(r, 20000);
    ck_assert_int_eq(st.err.code, 11009);
    ck_assert_msg(strstr(st.err.msg, "relay-binlog-gtid 0-1-x") != NULL, "%s", st.err.msg);
    worker_relay_free(r);
    tu_rmrf(g_relay);
    /* a GTID the source never wrote (strict mode): named, not skipped */
    r = relay_up("0-1-999999");
    st = paused_with(r, 20000);
    ck_assert_msg(st.err.code == 30014 && strstr(st.err.msg, "start sync from GTID set 0-1-999999"),
                  "%d %s", st.err.code, st.err.msg);
    worker_relay_free(r);
    tu_rmrf(g_relay);
    /* switch-relay-master needs enable-gtid */
    struct worker_relay_cfg c;
    memset(&c, 0, sizeof c);
    c.dir = g_relay;
    c.src = source(9001);
    ck_assert_int_eq(worker_relay_new(&c, &r), DM_OK);
    ck_assert_int_eq(worker_relay_switch_master(r, &e), DM_E_STATE);
    ck_assert_int_eq(e.code, 30034);
    worker_relay_free(r);
    mysql_close(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay_gtid");
    TCase *tc = tcase_create("mariadb");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gtid_start_and_switch);
    tcase_add_test(tc, restart_before_first_transaction);
    tcase_add_test(tc, bad_gtid_sets);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

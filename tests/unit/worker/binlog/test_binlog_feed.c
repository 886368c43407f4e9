/* test_binlog_feed.c - the binlog reader over a feed (bl_reader_open_feed, the relay's
 * path) on events a source we do not control could send: a ROTATE whose file name reaches
 * outside the binlog directory ('/', "..", ".", an embedded NUL) is a named DM_E_PARSE and
 * leaves the reader's file alone (the relay writer creates files of that name); a plain
 * name is followed. Found by tests/fuzz/fuzz_binlog_stream. A QUERY whose statement has a
 * raw NUL byte (MariaDB takes one inside a comment or a quoted literal and logs it as is)
 * keeps its whole text, the NUL written as the escape \0, instead of ending there (the
 * text after it was lost); under NO_BACKSLASH_ESCAPES it is a named DM_E_PARSE. An
 * INCIDENT event (the source lost rows) is a named DM_E_PARSE, not an ignored event. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "dm_error.h"
#include "testutil.h"

struct one {
    uint8_t ev[512];
    size_t len;
    int used;
};

static int one_next(void *ctx, int timeout_ms, const uint8_t **ev, size_t *len, char *err,
                    size_t cap)
{
    struct one *o = ctx;
    (void)timeout_ms;
    if (o->used++) {
        dm_errf(err, cap, "end");
        return DM_E_CANCELLED;
    }
    *ev = o->ev;
    *len = o->len;
    return DM_OK;
}

/* a ROTATE event (no checksum: no FDE came first) to `name` of `nlen` bytes at pos 4 */
static struct one *rotate(const char *name, size_t nlen)
{
    struct one *o = calloc(1, sizeof(*o));
    ck_assert_ptr_nonnull(o);
    o->len = 19 + 8 + nlen;
    o->ev[4] = 4;                                   /* ROTATE_EVENT */
    o->ev[5] = 1;                                   /* server id */
    o->ev[9] = (uint8_t)o->len;
    o->ev[19] = 4;                                  /* position */
    memcpy(o->ev + 27, name, nlen);
    return o;
}

static int read_rotate(const char *name, size_t nlen, char *file, char *err, size_t cap)
{
    struct bl_feed feed = { .next = one_next, .free = free, .ctx = rotate(name, nlen) };
    struct bl_reader *r = NULL;
    struct bl_event *ev = NULL;
    ck_assert_int_eq(bl_reader_open_feed(&feed, "mysql-bin.000001", 4, &r, err, cap), DM_OK);
    int rc = bl_reader_next(r, 0, &ev, err, cap);
    if (rc == DM_OK) {
        ck_assert_int_eq(ev->kind, BL_EV_ROTATE);
        strcpy(file, ev->file);
    }
    bl_reader_free(r);
    return rc;
}

START_TEST(rotate_names)
{
    static const struct {
        const char *name;
        size_t len;
    } bad[] = {
        { "../../../tmp/x", 14 }, { "/etc/passwd", 11 }, { "..", 2 }, { ".", 1 },
        { "a/b", 3 }, { "bin.000002\0/x", 13 },
    };
    char file[256], err[256];
    ck_assert_int_eq(read_rotate("mysql-bin.000002", 16, file, err, sizeof err), DM_OK);
    ck_assert_str_eq(file, "mysql-bin.000002");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(read_rotate(bad[i].name, bad[i].len, file, err, sizeof err),
                         DM_E_PARSE);
        ck_assert_ptr_nonnull(strstr(err, "outside the binlog directory"));
    }
}
END_TEST

/* a QUERY event (13-byte post-header, no FDE) of db "d", sql_mode `mode` (status var 1) */
static struct one *query(const char *sql, size_t n, uint64_t mode)
{
    struct one *o = calloc(1, sizeof(*o));
    ck_assert_ptr_nonnull(o);
    uint8_t *b = o->ev + 19;
    b[8] = 1;                                       /* db length */
    b[11] = 9;                                      /* status length */
    b[13] = 1;                                      /* Q_SQL_MODE_CODE */
    for (int i = 0; i < 8; i++)
        b[14 + i] = (uint8_t)(mode >> (8 * i));
    b[22] = 'd';
    memcpy(b + 24, sql, n);
    o->len = 19 + 24 + n;
    o->ev[4] = 2;                                   /* QUERY_EVENT */
    o->ev[9] = (uint8_t)o->len;
    return o;
}

START_TEST(query_nul_byte)
{
    static const char sql[] = "ALTER TABLE t ADD COLUMN e INT /* x\0y */, DROP COLUMN a";
    char err[256];
    for (int nbe = 0; nbe < 2; nbe++) {
        struct bl_feed feed = { .next = one_next, .free = free,
                                .ctx = query(sql, sizeof sql - 1, nbe ? 1ull << 20 : 0) };
        struct bl_reader *r = NULL;
        struct bl_event *ev = NULL;
        ck_assert_int_eq(bl_reader_open_feed(&feed, "mysql-bin.000001", 4, &r, err, sizeof err),
                         DM_OK);
        int rc = bl_reader_next(r, 0, &ev, err, sizeof err);
        if (nbe) {
            ck_assert_int_eq(rc, DM_E_PARSE);
            ck_assert_ptr_nonnull(strstr(err, "NO_BACKSLASH_ESCAPES"));
        } else {
            ck_assert_int_eq(rc, DM_OK);
            ck_assert_int_eq(ev->kind, BL_EV_QUERY);
            ck_assert_str_eq(ev->schema, "d");
            ck_assert_str_eq(ev->query,
                             "ALTER TABLE t ADD COLUMN e INT /* x\\0y */, DROP COLUMN a");
        }
        bl_reader_free(r);
    }
}
END_TEST

/* An INCIDENT event (type 26, LOST_EVENTS) as a relay file holds it: the reader ignored it
 * as an unknown event (the source's lost rows silently missing on the target); now a named
 * DM_E_PARSE. (The relay writer reads the source in raw mode and copies it.) */
START_TEST(incident_stops)
{
    static const char msg[] = "error writing to the binary log";
    char err[512];
    {
        struct one *o = calloc(1, sizeof(*o));
        ck_assert_ptr_nonnull(o);
        o->len = 19 + 3 + sizeof msg - 1;
        o->ev[4] = 26;                              /* INCIDENT_EVENT */
        o->ev[5] = 1;
        o->ev[9] = (uint8_t)o->len;
        o->ev[13] = 120;                            /* log_pos */
        o->ev[19] = 1;                              /* LOST_EVENTS */
        o->ev[21] = (uint8_t)(sizeof msg - 1);
        memcpy(o->ev + 22, msg, sizeof msg - 1);
        struct bl_feed feed = { .next = one_next, .free = free, .ctx = o };
        struct bl_reader *r = NULL;
        struct bl_event *ev = NULL;
        ck_assert_int_eq(bl_reader_open_feed(&feed, "mysql-bin.000001", 4, &r, err, sizeof err),
                         DM_OK);
        ck_assert_int_eq(bl_reader_next(r, 0, &ev, err, sizeof err), DM_E_PARSE);
        ck_assert_msg(strstr(err, "incident #1 (error writing to the binary log) at "
                                  "mysql-bin.000001:120") &&
                      strstr(err, "the target misses them"), "%s", err);
        bl_reader_free(r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("binlog_feed");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, rotate_names);
    tcase_add_test(tc, query_nul_byte);
    tcase_add_test(tc, incident_stops);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

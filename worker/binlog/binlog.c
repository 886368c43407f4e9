/* binlog.c - replication stream reader over MariaDB Connector/C mariadb_rpl.
 * Contract in binlog.h; the session settings and connector pitfalls it works around are
 * in /work/shared/spec/dataplane.md §2 (P1 checksum, P2 capability, P3 ROTATE, P5/P9
 * heartbeats, P6 event reuse, P7 sticky errors). Row images go to rowdec.c. */
#include "binlog.h"
#include "mysql_conn.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mariadb_rpl.h>

#include "bl_compress.h"
#include "buf.h"
#include "dm_error.h"
#include "gtid.h"
#include "rowdec.h"
#include "terror.h"

#define HDR_LEN 19
#define TM_BUCKETS 256
#define TM_TRIM_AT 4096 /* cached table maps before a trim at the next transaction start */
#define QUERY_MAX (1024u * 1024u * 1024u)
#define SQL_NO_BACKSLASH_ESCAPES (1ull << 20)   /* MariaDB's MODE_NO_BACKSLASH_ESCAPES */

struct tm_entry {
    struct bl_table *t;
    uint8_t *raw;       /* TABLE_MAP body, to skip re-parsing identical maps */
    size_t rawlen;
    struct tm_entry *next;
};

struct bl_reader {
    MYSQL *mysql;
    MARIADB_RPL *rpl;
    MARIADB_RPL_EVENT *rev;
    int fd;
    atomic_bool closed;
    unsigned checksum_len;
    uint8_t post_header[256];
    struct tm_entry *tm[TM_BUCKETS];
    size_t ntables;
    struct rowdec_scratch scratch;
    struct dm_buf text;         /* schema '\0' query '\0' of the current QUERY event */
    char file[256];
    uint64_t pos;
    struct bl_event ev;
    bool raw;                   /* bl_reader_set_raw: rows/table maps not decoded */
    bool stmt_replace;          /* the current statement's ANNOTATE_ROWS is a REPLACE */
    struct bl_feed feed;        /* bl_reader_open_feed: events from here, not from rpl */
    bool has_feed;
    uint8_t *inflated;          /* feed mode: row images of the current compressed rows
                                   event (values point into them until the next event) */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
    mysql_library_init(0, NULL, NULL);
}

static int is_conn_error(unsigned e)
{
    return e == CR_SERVER_LOST || e == CR_SERVER_GONE_ERROR || e == CR_CONN_HOST_ERROR ||
           e == CR_CONNECTION_ERROR || e == CR_UNKNOWN_HOST || e == CR_SERVER_LOST_EXTENDED ||
           e == 0;
}

/* Server/client error -> DM_E_UNAVAILABLE (client side, connection level),
 * DM_E_FORBIDDEN (authentication / privilege: retrying cannot help) or DM_E_DB. */
static int db_rc(unsigned e)
{
    if (e >= 2000)
        return DM_E_UNAVAILABLE;
    return worker_terr_access_denied(e) ? DM_E_FORBIDDEN : DM_E_DB;
}

/* ---- connection ---- */

static int connect_source(const struct bl_source *src, unsigned read_timeout_s, MYSQL **out,
                          char *err, size_t cap)
{
    char msg[512];
    unsigned e;
    pthread_once(&lib_once, lib_init);
    MYSQL *m = worker_mysql_connect(src, 5, read_timeout_s, 30, &e, msg, sizeof msg);
    if (!m && !e)
        return DM_E_NOMEM;
    if (!m) {
        dm_errf(err, cap, "connect %s:%d as '%s': Error %u: %s%s", src->host, src->port,
                src->user ? src->user : "", e, msg, worker_terr_access_hint(e, true));
        return db_rc(e);
    }
    *out = m;
    return DM_OK;
}

static int run(MYSQL *m, const char *sql, char *err, size_t cap)
{
    if (mysql_query(m, sql) == 0) {
        MYSQL_RES *res = mysql_store_result(m);
        mysql_free_result(res);
        return DM_OK;
    }
    unsigned e = mysql_errno(m);
    dm_errf(err, cap, "%s: Error %u: %s%s", sql, e, mysql_error(m), worker_terr_access_hint(e, true));
    return db_rc(e);
}

/* First column of the first row of `sql` into buf. */
static int query_value(MYSQL *m, const char *sql, char *buf, size_t bufcap, char *err, size_t cap)
{
    if (mysql_query(m, sql) != 0) {
        unsigned e = mysql_errno(m);
        dm_errf(err, cap, "%s: Error %u: %s%s", sql, e, mysql_error(m),
                worker_terr_access_hint(e, true));
        return db_rc(e);
    }
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    int rc = DM_OK;
    if (!row) {
        dm_errf(err, cap, "%s: no result", sql);
        rc = DM_E_DB;
    } else {
        snprintf(buf, bufcap, "%s", row[0] ? row[0] : "");
    }
    mysql_free_result(res);
    return rc;
}

/* dataplane.md §2.2: checksum (P1), GTID events (P2), heartbeats (P9). */
static int session_setup(struct bl_reader *r, int heartbeat_ms, char *err, size_t cap)
{
    char alg[32], sql[128];
    int rc = query_value(r->mysql, "SELECT @@global.binlog_checksum", alg, sizeof(alg), err, cap);
    if (rc != DM_OK)
        return rc;
    r->checksum_len = strcasecmp(alg, "CRC32") == 0 ? 4 : 0;
    if ((rc = run(r->mysql, "SET @master_binlog_checksum = @@global.binlog_checksum", err, cap)) ||
        (rc = run(r->mysql, "SET @mariadb_slave_capability = 4", err, cap)))
        return rc;
    snprintf(sql, sizeof(sql), "SET @master_heartbeat_period = %lld",
             (long long)heartbeat_ms * 1000000LL);
    return run(r->mysql, sql, err, cap);
}

static int start_dump(struct bl_reader *r, uint32_t server_id, const char *file, uint64_t pos,
                      char *err, size_t cap)
{
    r->rpl = mariadb_rpl_init(r->mysql);
    if (!r->rpl) {
        dm_errf(err, cap, "mariadb_rpl_init: %s", mysql_error(r->mysql));
        return DM_E_DB;
    }
    if (mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_SERVER_ID, (unsigned int)server_id) ||
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_FILENAME, file, strlen(file)) ||
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_START, (unsigned long)pos) ||
        /* 2 = BINLOG_SEND_ANNOTATE_ROWS_EVENT (the relay keeps the file complete; the
         * Sync unit reads the statement of rows events: bl_event.stmt_replace) */
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_FLAGS, 2u) ||
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_VERIFY_CHECKSUM, (uint32_t)1) ||
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_UNCOMPRESS, (uint32_t)1) ||
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_HOST, "dm-worker", (size_t)9) ||
        mariadb_rpl_optionsv(r->rpl, MARIADB_RPL_PORT, (unsigned int)0)) {
        dm_errf(err, cap, "mariadb_rpl_optionsv failed");
        return DM_E_INTERNAL;
    }
    if (mariadb_rpl_open(r->rpl) != 0) {
        unsigned e = mysql_errno(r->mysql);
        /* The login worked, so an access error here is a missing privilege (the connector
         * reports a refused COM_REGISTER_SLAVE as 1045 "Unknown or undefined error code"). */
        dm_errf(err, cap, "binlog dump %s:%" PRIu64 " refused by the source: Error %u: %s%s", file,
                pos, e, mysql_error(r->mysql),
                worker_terr_access_hint(worker_terr_access_denied(e) ? 1227 : e, true));
        return db_rc(e);
    }
    return DM_OK;
}

/* A MariaDB replica connecting by GTID (sql/rpl_mi / slave.cc): the start set in
 * @slave_connect_state, strict mode (a GTID missing from the source's binlog is an error,
 * not a silent skip), duplicates not ignored. The set is re-printed from its parsed form,
 * so nothing but digits, '-' and ',' reaches the statement. */
static int gtid_setup(struct bl_reader *r, const char *gtid_set, char *err, size_t cap)
{
    struct gtid_set gs;
    char text[2048], sql[2200];
    int rc = gtid_set_parse(gtid_set, &gs, err, cap);
    if (rc != DM_OK)
        return rc;
    if (!gtid_set_format(&gs, text, sizeof text)) {
        dm_errf(err, cap, "GTID set too long");
        return DM_E_TOO_LARGE;
    }
    snprintf(sql, sizeof sql, "SET @slave_connect_state = '%s'", text);
    if ((rc = run(r->mysql, sql, err, cap)) ||
        (rc = run(r->mysql, "SET @slave_gtid_strict_mode = 1", err, cap)))
        return rc;
    return run(r->mysql, "SET @slave_gtid_ignore_duplicates = 0", err, cap);
}

static int reader_open(const struct bl_source *src, const char *file, uint64_t pos,
                       const char *gtid_set, struct bl_reader **out, char *err, size_t cap)
{
    if (!src || !file || !out || strlen(file) >= sizeof(((struct bl_reader *)0)->file) ||
        src->server_id == 0) {
        dm_errf(err, cap, "bl_reader_open: invalid argument");
        return DM_E_INVAL;
    }
    int hb = src->heartbeat_ms > 0 ? src->heartbeat_ms : 500;
    int result = DM_E_NOMEM;
    struct bl_reader *r = calloc(1, sizeof(*r));
    if (!r)
        goto out;
    atomic_init(&r->closed, false);
    r->fd = -1;
    dm_buf_init(&r->text, QUERY_MAX);
    snprintf(r->file, sizeof(r->file), "%s", file);
    r->pos = pos;
    r->raw = src->relay;
    result = connect_source(src, (unsigned)(4 * hb / 1000 + 5), &r->mysql, err, cap);
    if (result != DM_OK)
        goto out;
    r->fd = (int)mysql_get_socket(r->mysql);
    if ((result = session_setup(r, hb, err, cap)) != DM_OK ||
        (gtid_set && (result = gtid_setup(r, gtid_set, err, cap)) != DM_OK) ||
        (result = start_dump(r, src->server_id, file, pos, err, cap)) != DM_OK)
        goto out;
    *out = r;
    r = NULL;
out:
    bl_reader_free(r);
    return result;
}

int bl_reader_open(const struct bl_source *src, const char *file, uint64_t pos,
                   struct bl_reader **out, char *err, size_t cap)
{
    return reader_open(src, file, pos, NULL, out, err, cap);
}

int bl_reader_open_gtid(const struct bl_source *src, const char *gtid_set,
                        struct bl_reader **out, char *err, size_t cap)
{
    if (!gtid_set) {
        dm_errf(err, cap, "bl_reader_open_gtid: invalid argument");
        return DM_E_INVAL;
    }
    return reader_open(src, "", 4, gtid_set, out, err, cap);
}

int bl_reader_open_feed(const struct bl_feed *feed, const char *file, uint64_t pos,
                        struct bl_reader **out, char *err, size_t cap)
{
    struct bl_reader *r = NULL;
    int result = DM_E_INVAL;
    if (!feed || !feed->next || !file || !out || strlen(file) >= sizeof(r->file)) {
        dm_errf(err, cap, "bl_reader_open_feed: invalid argument");
        goto fail;
    }
    result = DM_E_NOMEM;
    if (!(r = calloc(1, sizeof(*r))))
        goto fail;
    atomic_init(&r->closed, false);
    r->fd = -1;
    dm_buf_init(&r->text, QUERY_MAX);
    snprintf(r->file, sizeof(r->file), "%s", file);
    r->pos = pos;
    r->feed = *feed;
    r->has_feed = true;
    *out = r;
    return DM_OK;
fail:
    if (feed && feed->free)
        feed->free(feed->ctx);
    return result;
}

void bl_reader_close(struct bl_reader *r)
{
    if (!r)
        return;
    atomic_store(&r->closed, true);
    if (r->has_feed && r->feed.close)
        r->feed.close(r->feed.ctx);
    if (r->fd >= 0)
        shutdown(r->fd, SHUT_RDWR);
}

static void tm_clear(struct bl_reader *r)
{
    for (size_t b = 0; b < TM_BUCKETS; b++) {
        struct tm_entry *e = r->tm[b];
        while (e) {
            struct tm_entry *n = e->next;
            rowdec_table_free(e->t);
            free(e->raw);
            free(e);
            e = n;
        }
        r->tm[b] = NULL;
    }
    r->ntables = 0;
}

void bl_reader_free(struct bl_reader *r)
{
    if (!r)
        return;
    if (r->rev)
        mariadb_free_rpl_event(r->rev);
    if (r->rpl)
        mariadb_rpl_close(r->rpl);
    if (r->mysql)
        mysql_close(r->mysql);
    if (r->has_feed && r->feed.free)
        r->feed.free(r->feed.ctx);
    tm_clear(r);
    rowdec_scratch_free(&r->scratch);
    dm_buf_free(&r->text);
    free(r->inflated);
    free(r);
}

/* ---- table-map cache ---- */

static struct tm_entry **tm_slot(struct bl_reader *r, uint64_t id)
{
    struct tm_entry **pp = &r->tm[(id * 0x9E3779B97F4A7C15ull) >> 56];
    while (*pp && (*pp)->t->table_id != id)
        pp = &(*pp)->next;
    return pp;
}

static unsigned tid_len(const struct bl_reader *r, unsigned type)
{
    uint8_t ph = r->post_header[type];
    return ph == 6 ? 4 : 6;
}

static int on_table_map(struct bl_reader *r, const uint8_t *body, size_t len, char *err,
                        size_t cap)
{
    uint64_t id;
    if (rowdec_rows_table_id(body, len, tid_len(r, TABLE_MAP_EVENT), &id) != DM_OK) {
        dm_errf(err, cap, "short TABLE_MAP event");
        return DM_E_PARSE;
    }
    struct tm_entry **pp = tm_slot(r, id);
    if (*pp && (*pp)->rawlen == len && memcmp((*pp)->raw, body, len) == 0)
        return DM_OK;
    struct bl_table *t = NULL;
    int rc = rowdec_table_map(body, len, tid_len(r, TABLE_MAP_EVENT), &t, err, cap);
    if (rc != DM_OK)
        return rc;
    struct tm_entry *e = *pp;
    if (!e && !(e = calloc(1, sizeof(*e)))) {
        rowdec_table_free(t);
        return DM_E_NOMEM;
    }
    uint8_t *raw = malloc(len ? len : 1);
    if (!raw) {
        rowdec_table_free(t);
        if (!*pp)
            free(e);
        return DM_E_NOMEM;
    }
    memcpy(raw, body, len);
    rowdec_table_free(e->t);
    free(e->raw);
    e->t = t;
    e->raw = raw;
    e->rawlen = len;
    if (!*pp) {
        *pp = e;
        r->ntables++;
    }
    return DM_OK;
}

/* ---- event handlers ---- */

static int on_fde(struct bl_reader *r, const uint8_t *body, size_t len, char *err, size_t cap)
{
    /* binlog_version(2) server_version(50) created(4) header_len(1) post_header[] alg(1) crc(4) */
    if (len < 57 + 5) {
        dm_errf(err, cap, "short FORMAT_DESCRIPTION event");
        return DM_E_PARSE;
    }
    uint8_t alg = body[len - 5];
    size_t n = len - 57 - 5;
    memset(r->post_header, 0, sizeof(r->post_header));
    for (size_t i = 0; i < n && i + 1 < sizeof(r->post_header); i++)
        r->post_header[i + 1] = body[57 + i];
    r->checksum_len = alg == 1 ? 4 : 0;
    return DM_OK;
}

/* A binlog file name as a source may give it (ROTATE, SHOW MASTER STATUS) that would reach
 * outside the directory the relay writer creates files of that name in: a '/', a NUL, or
 * a dot name. */
static bool outside_name(const char *name, size_t n)
{
    return memchr(name, '/', n) || memchr(name, '\0', n) || (n == 1 && name[0] == '.') ||
           (n == 2 && name[0] == '.' && name[1] == '.');
}

static int on_rotate(struct bl_reader *r, const uint8_t *body, size_t len, char *err, size_t cap)
{
    /* P3: the connector mis-parses ROTATE; 8-byte position + file name to the end */
    if (len < 8 || len - 8 >= sizeof(r->file) || len == 8) {
        dm_errf(err, cap, "bad ROTATE event (%zu bytes)", len);
        return DM_E_PARSE;
    }
    const char *name = (const char *)body + 8;
    size_t nlen = len - 8;
    if (outside_name(name, nlen)) {
        dm_errf(err, cap, "ROTATE event names a file outside the binlog directory: %.*s",
                (int)nlen, name);
        return DM_E_PARSE;
    }
    memcpy(r->file, name, nlen);
    r->file[nlen] = '\0';
    r->pos = rowdec_le(body, 8);
    r->ev.kind = BL_EV_ROTATE;
    return DM_OK;
}

static int set_text(struct bl_reader *r, const MARIADB_STRING *db, const MARIADB_STRING *q)
{
    dm_buf_reset(&r->text);
    int rc = dm_buf_add(&r->text, db->str ? db->str : "", db->str ? db->length : 0);
    if (rc == DM_OK)
        rc = dm_buf_addc(&r->text, '\0');
    size_t qoff = r->text.len;
    const char *p = q->str ? q->str : "", *end = p + (q->str ? q->length : 0), *z;
    /* a raw NUL (the source takes one inside a comment or a quoted literal) would end the
     * statement's text early: written as the escape \0, the same byte in a literal, text
     * in a comment (the caller refuses it under NO_BACKSLASH_ESCAPES) */
    while (rc == DM_OK && (z = memchr(p, '\0', (size_t)(end - p))) != NULL) {
        rc = dm_buf_add(&r->text, p, (size_t)(z - p));
        if (rc == DM_OK)
            rc = dm_buf_add(&r->text, "\\0", 2);
        p = z + 1;
    }
    if (rc == DM_OK)
        rc = dm_buf_add(&r->text, p, (size_t)(end - p));
    if (rc != DM_OK)
        return rc;
    r->ev.schema = r->text.data;
    r->ev.query = r->text.data + qoff;
    return DM_OK;
}

static void maybe_trim(struct bl_reader *r)
{
    if (r->ntables >= TM_TRIM_AT)
        tm_clear(r);
}

/* QUERY status variables (the source session's context of the statement): sql_mode,
 * charsets, time zone, microseconds. Walks the (code, value) list as the server writes
 * it; an unknown code ends the walk (what was read so far stays). */
#define Q_GTID_FLAGS3_CODE 130   /* MariaDB 10.5+: 1 byte (not in the connector's enum) */

/* Fixed value width of a status variable code; 0 = variable (handled by the caller),
 * -1 = unknown. */
static int status_width(unsigned code)
{
    switch (code) {
    case Q_FLAGS2_CODE: case Q_AUTO_INCREMENT_CODE: case Q_MASTER_DATA_WRITTEN_CODE: return 4;
    case Q_SQL_MODE_CODE: case Q_TABLE_MAP_FOR_UPDATE_CODE: case Q_XID:
    case Q_DDL_LOGGED_WITH_XID_CODE:
        return 8;
    case Q_CHARSET_CODE: return 6;
    case Q_LC_TIME_NAMES_CODE: case Q_CHARSET_DATABASE_CODE: case Q_DEFAULT_COLLATION_FOR_UTF8_CODE:
        return 2;
    case Q_MICROSECONDS_CODE: case Q_HRNOW: return 3;
    case Q_GTID_FLAGS3_CODE: case Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP_CODE:
    case Q_SQL_REQUIRE_PRIMARY_KEY_CODE: case Q_DEFAULT_TABLE_ENCRYPTION_CODE:
        return 1;
    case Q_CATALOG_CODE: case Q_TIMEZONE_CODE: case Q_CATALOG_NZ_CODE: case Q_INVOKERS_CODE:
    case Q_UPDATED_DB_NAMES_CODE:
        return 0;
    default: return -1;
    }
}

/* Length of a variable-width value at p (n bytes left); 0 when malformed. */
static size_t status_var_len(unsigned code, const uint8_t *p, size_t n)
{
    size_t k, i, len;
    if (n < 1)
        return 0;
    switch (code) {
    case Q_CATALOG_CODE: len = (size_t)p[0] + 2; break;          /* length, name, NUL */
    case Q_TIMEZONE_CODE: case Q_CATALOG_NZ_CODE: len = (size_t)p[0] + 1; break;
    case Q_INVOKERS_CODE:                                     /* user, then host */
        len = (size_t)p[0] + 1;
        if (len >= n)
            return 0;
        len += (size_t)p[len] + 1;
        break;
    case Q_UPDATED_DB_NAMES_CODE:                             /* count, NUL-ended names */
        len = 1;
        for (k = 0; p[0] != 254 && k < p[0]; k++) {
            for (i = len; i < n && p[i]; i++)
                ;
            if (i >= n)
                return 0;
            len = i + 1;
        }
        break;
    default: return 0;
    }
    return len <= n ? len : 0;
}

static void status_var(struct bl_event *ev, unsigned code, const uint8_t *v, size_t len)
{
    size_t k;
    switch (code) {
    case Q_SQL_MODE_CODE:
        ev->sql_mode = rowdec_le(v, 8);
        ev->has_sql_mode = true;
        break;
    case Q_CHARSET_CODE:
        for (k = 0; k < 3; k++)
            ev->charset[k] = (uint16_t)rowdec_le(v + 2 * k, 2);
        ev->has_charset = true;
        break;
    case Q_TIMEZONE_CODE:
        if (len - 1 < sizeof ev->time_zone) {
            memcpy(ev->time_zone, v + 1, len - 1);
            ev->time_zone[len - 1] = '\0';
        }
        break;
    case Q_HRNOW:
        ev->usec = (int32_t)rowdec_le(v, 3);
        break;
    case Q_FLAGS2_CODE:
        ev->flags2 = (uint32_t)rowdec_le(v, 4);
        ev->has_flags2 = true;
        break;
    default:
        break;
    }
}

static void query_status(struct bl_event *ev, const MARIADB_STRING *st)
{
    const uint8_t *p = (const uint8_t *)st->str;
    size_t i = 0, n = st->str ? st->length : 0;
    ev->usec = -1;
    while (i < n) {
        unsigned code = p[i++];
        int w = status_width(code);
        size_t len = w > 0 ? (size_t)w : w == 0 ? status_var_len(code, p + i, n - i) : 0;
        if (len == 0 || len > n - i)
            break;
        status_var(ev, code, p + i, len);
        i += len;
    }
}

/* QUERY body from raw bytes (feed mode): thread_id(4) exec_time(4) db_len(1) error(2)
 * status_len(2) [post-header from the FDE], status vars, db, NUL, statement. */
static int raw_query(struct bl_reader *r, const uint8_t *body, size_t len, MARIADB_STRING *db,
                     MARIADB_STRING *q, MARIADB_STRING *st)
{
    size_t ph = r->post_header[QUERY_EVENT] ? r->post_header[QUERY_EVENT] : 13;
    if (len < ph || ph < 13)
        return DM_E_PARSE;
    size_t dblen = body[8], stlen = (size_t)rowdec_le(body + 11, 2);
    if (ph + stlen + dblen + 1 > len)
        return DM_E_PARSE;
    st->str = (char *)body + ph;
    st->length = stlen;
    db->str = (char *)body + ph + stlen;
    db->length = dblen;
    q->str = (char *)body + ph + stlen + dblen + 1;
    q->length = len - (ph + stlen + dblen + 1);
    return DM_OK;
}

static int on_query(struct bl_reader *r, unsigned type, const uint8_t *body, size_t len,
                    char *err, size_t cap)
{
    MARIADB_STRING db, q, st;
    uint8_t *inflated = NULL;             /* feed mode, QUERY_COMPRESSED: the statement */
    size_t ilen = 0;
    if (r->has_feed) {
        if (raw_query(r, body, len, &db, &q, &st) != DM_OK) {
            dm_errf(err, cap, "malformed QUERY event at %s:%" PRIu64, r->file, r->pos);
            return DM_E_PARSE;
        }
        if (type == QUERY_COMPRESSED_EVENT) {
            char zerr[200];
            int zrc = bl_inflate((const uint8_t *)q.str, q.length, &inflated, &ilen, zerr,
                                 sizeof zerr);
            if (zrc != DM_OK) {
                dm_errf(err, cap, "QUERY_COMPRESSED event at %s:%" PRIu64 ": %s", r->file,
                        r->pos, zrc == DM_E_NOMEM ? "out of memory" : zerr);
                return zrc;
            }
            q.str = (char *)inflated;
            q.length = ilen;
        }
    } else {
        db = r->rev->event.query.database;
        q = r->rev->event.query.statement;
        st = r->rev->event.query.status;
    }
    query_status(&r->ev, &st);
    if (q.str && memchr(q.str, '\0', q.length) && (r->ev.sql_mode & SQL_NO_BACKSLASH_ESCAPES)) {
        free(inflated);
        dm_errf(err, cap, "QUERY event at %s:%" PRIu64 ": the statement has a NUL byte and the "
                "source session's sql_mode has NO_BACKSLASH_ESCAPES: not supported (apply it "
                "to the target by hand, then skip it)", r->file, r->pos);
        return DM_E_PARSE;
    }
    int rc = set_text(r, &db, &q);
    free(inflated);
    if (rc != DM_OK) {
        dm_errf(err, cap, "QUERY event: %s", dm_strerror(rc));
        return rc;
    }
    if (strcmp(r->ev.query, "BEGIN") == 0)
        maybe_trim(r);
    r->ev.kind = BL_EV_QUERY;
    return DM_OK;
}

static int on_gtid(struct bl_reader *r, const uint8_t *body, size_t len, char *err, size_t cap)
{
    if (len < 13) {
        dm_errf(err, cap, "short GTID event");
        return DM_E_PARSE;
    }
    struct bl_event *ev = &r->ev;
    ev->gtid_seq = rowdec_le(body, 8);
    ev->gtid_domain = (uint32_t)rowdec_le(body + 8, 4);
    ev->gtid_flags = body[12];
    ev->gtid_server = ev->server_id;
    ev->gtid_standalone = (ev->gtid_flags & FL_STANDALONE) != 0;
    snprintf(ev->gtid, sizeof(ev->gtid), "%" PRIu32 "-%" PRIu32 "-%" PRIu64, ev->gtid_domain,
             ev->gtid_server, ev->gtid_seq);
    ev->kind = BL_EV_GTID;
    maybe_trim(r);
    return DM_OK;
}

static int rows_table(struct bl_reader *r, uint64_t id, const struct bl_table **t, char *err,
                      size_t cap)
{
    struct tm_entry **pp = tm_slot(r, id);
    if (!*pp) {
        dm_errf(err, cap, "rows event for table id %" PRIu64 " without TABLE_MAP (%s:%" PRIu64
                "); start at a transaction boundary", id, r->file, r->pos);
        return DM_E_PARSE;
    }
    *t = (*pp)->t;
    return DM_OK;
}

static int on_rows(struct bl_reader *r, unsigned type, const uint8_t *body, size_t len,
                   char *err, size_t cap)
{
    uint64_t id;
    const struct bl_table *t;
    if (rowdec_rows_table_id(body, len, tid_len(r, type), &id) != DM_OK) {
        dm_errf(err, cap, "short rows event");
        return DM_E_PARSE;
    }
    int rc = rows_table(r, id, &t, err, cap);
    if (rc != DM_OK)
        return rc;
    rc = rowdec_rows(&r->scratch, t, type, body, len, tid_len(r, type), &r->ev, err, cap);
    if (rc == DM_OK)
        r->ev.kind = BL_EV_ROWS;
    return rc;
}

static enum bl_rows_op compressed_op(unsigned type)
{
    return type == WRITE_ROWS_COMPRESSED_EVENT_V1    ? BL_INSERT
           : type == UPDATE_ROWS_COMPRESSED_EVENT_V1 ? BL_UPDATE
                                                     : BL_DELETE;
}

/* Feed mode (relay file): compressed rows v1 body = table id, flags, column count (packed
 * integer), the column bitmap(s), then the row images compressed (bl_compress.h), as the
 * connector would have inflated them. */
static int feed_compressed_rows(struct bl_reader *r, unsigned type, const uint8_t *body,
                                size_t len, char *err, size_t cap)
{
    unsigned tl = tid_len(r, type);
    uint64_t id, ncols;
    const struct bl_table *t;
    if (rowdec_rows_table_id(body, len, tl, &id) != DM_OK || len < tl + 3) {
        dm_errf(err, cap, "short compressed rows event at %s:%" PRIu64, r->file, r->pos);
        return DM_E_PARSE;
    }
    int rc = rows_table(r, id, &t, err, cap);
    if (rc != DM_OK)
        return rc;
    const uint8_t *p = body + tl + 2, *end = body + len;
    unsigned nb = *p < 251 ? 0 : *p == 252 ? 2 : *p == 253 ? 3 : *p == 254 ? 8 : 9;
    if (nb == 9 || p + 1 + nb > end) {
        dm_errf(err, cap, "malformed compressed rows event for %s.%s", t->schema, t->table);
        return DM_E_PARSE;
    }
    ncols = nb ? rowdec_le(p + 1, nb) : *p;
    p += 1 + nb;
    size_t bm = (size_t)(ncols + 7) / 8;
    const uint8_t *b1 = p, *b2 = type == UPDATE_ROWS_COMPRESSED_EVENT_V1 ? p + bm : NULL;
    p += b2 ? 2 * bm : bm;
    if (ncols != t->ncols || p > end) {
        dm_errf(err, cap, "malformed compressed rows event for %s.%s", t->schema, t->table);
        return DM_E_PARSE;
    }
    uint8_t *rows = NULL;
    size_t rlen = 0;
    char zerr[200];
    if ((rc = bl_inflate(p, (size_t)(end - p), &rows, &rlen, zerr, sizeof zerr)) != DM_OK) {
        dm_errf(err, cap, "compressed rows event for %s.%s at %s:%" PRIu64 ": %s", t->schema,
                t->table, r->file, r->pos, rc == DM_E_NOMEM ? "out of memory" : zerr);
        return rc;
    }
    free(r->inflated);
    r->inflated = rows;                   /* string values point into it */
    rc = rowdec_images(&r->scratch, t, compressed_op(type), b1, b2, rows, rlen, &r->ev, err,
                       cap);
    if (rc == DM_OK)
        r->ev.kind = BL_EV_ROWS;
    return rc;
}

/* MariaDB compressed rows v1: the connector inflated the images into event.rows (source),
 * feed_compressed_rows inflates them (relay). */
static int on_compressed_rows(struct bl_reader *r, unsigned type, const uint8_t *body,
                              size_t len, char *err, size_t cap)
{
    const struct bl_table *t;
    if (type >= WRITE_ROWS_COMPRESSED_EVENT) {
        dm_errf(err, cap, "compressed rows v2 event (type %u) not supported", type);
        return DM_E_PARSE;
    }
    if (r->has_feed)
        return feed_compressed_rows(r, type, body, len, err, cap);
    const struct st_mariadb_rpl_rows_event *re = &r->rev->event.rows;
    int rc = rows_table(r, re->table_id, &t, err, cap);
    if (rc != DM_OK)
        return rc;
    if (re->column_count != t->ncols || !re->column_bitmap || !re->row_data ||
        (type == UPDATE_ROWS_COMPRESSED_EVENT_V1 && !re->column_update_bitmap)) {
        dm_errf(err, cap, "malformed compressed rows event for %s.%s", t->schema, t->table);
        return DM_E_PARSE;
    }
    rc = rowdec_images(&r->scratch, t, compressed_op(type), re->column_bitmap, re->column_update_bitmap,
                       re->row_data, re->row_data_size, &r->ev, err, cap);
    if (rc == DM_OK)
        r->ev.kind = BL_EV_ROWS;
    return rc;
}

/* Length of the keyword at p (letters), 0 if none. */
static size_t word_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_'))
        q++;
    return (size_t)(q - p);
}

/* Whether statement text s (an ANNOTATE_ROWS body) is a REPLACE: REPLACE ..., LOAD DATA
 * ... REPLACE INTO ..., SET STATEMENT ... FOR REPLACE ...; leading blanks and comments are
 * skipped. A REPLACE that rewrites a row in place is logged as an UPDATE whose partial
 * image (MINIMAL / NOBLOB) lacks the columns it reset to their defaults. */
static bool annotate_is_replace(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    size_t w;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '('))
            p++;
        if (end - p >= 2 && p[0] == '/' && p[1] == '*' && (end - p < 3 || p[2] != '!')) {
            const char *c = p + 2;
            while (end - c >= 2 && !(c[0] == '*' && c[1] == '/'))
                c++;
            p = end - c >= 2 ? c + 2 : end;
            continue;
        }
        break;
    }
    w = word_len(p, end);
    if (w == 7 && strncasecmp(p, "REPLACE", 7) == 0)
        return true;
    if (w == 3 && strncasecmp(p, "SET", 3) == 0) {
        for (p += 3; p < end; p++)          /* SET STATEMENT ... FOR <statement> */
            if ((p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t') && word_len(p, end) == 3 &&
                strncasecmp(p, "FOR", 3) == 0)
                return annotate_is_replace(p + 3, (size_t)(end - p - 3));
        return false;
    }
    if (w == 4 && strncasecmp(p, "LOAD", 4) == 0) {
        for (p += 4; p < end; p++)          /* LOAD DATA ... REPLACE INTO TABLE */
            if ((p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t') && word_len(p, end) == 7 &&
                strncasecmp(p, "REPLACE", 7) == 0)
                return true;
    }
    return false;
}

/* LOAD DATA logged as a statement (binlog_format STATEMENT or MIXED): its rows are in a
 * file the source ships in these events, not in rows events. */
static bool is_load_file_event(unsigned type)
{
    return type == LOAD_EVENT || type == CREATE_FILE_EVENT || type == APPEND_BLOCK_EVENT ||
           type == EXEC_LOAD_EVENT || type == DELETE_FILE_EVENT || type == NEW_LOAD_EVENT ||
           type == BEGIN_LOAD_QUERY_EVENT || type == EXECUTE_LOAD_QUERY_EVENT;
}

#define LOAD_FILE_HINT "LOAD DATA logged in statement format (binlog_format STATEMENT or " \
    "MIXED on the source) - only ROW format binlog is supported: set binlog_format=ROW on " \
    "the source; the rows of that LOAD DATA must be applied to the target by hand"

#define INCIDENT_HINT "binlog INCIDENT event (LOST_EVENTS): the source lost changes it " \
    "could not write to its binlog (e.g. a non-transactional statement larger than " \
    "max_binlog_stmt_cache_size); the target misses them - compare and repair the tables " \
    "changed around it by hand, then start the task from a position after it"

/* INCIDENT_EVENT: the source lost changes it could not log (LOST_EVENTS: e.g. a
 * non-transactional statement whose rows exceeded max_binlog_stmt_cache_size - its rows are
 * on the source, not in the binlog). A MariaDB replica stops on it; so does every parsing
 * reader (the relay copies it raw). body: 2-byte incident number, 1-byte message length,
 * message. */
static int on_incident(const struct bl_reader *r, const uint8_t *body, size_t len, char *err,
                       size_t cap)
{
    unsigned no = len >= 2 ? (unsigned)rowdec_le(body, 2) : 0;
    int mlen = len >= 3 ? (int)(body[2] <= len - 3 ? body[2] : len - 3) : 0;
    dm_errf(err, cap, "incident #%u (%.*s) at %s:%" PRIu64 ": " INCIDENT_HINT,
            no, mlen ? mlen : no == 1 ? 11 : 7,
            mlen ? (const char *)body + 3 : no == 1 ? "LOST_EVENTS" : "unknown", r->file, r->pos);
    return DM_E_PARSE;
}

static int dispatch(struct bl_reader *r, unsigned type, const uint8_t *body, size_t len,
                    char *err, size_t cap)
{
    if (!r->raw && is_load_file_event(type)) {
        dm_errf(err, cap, "binlog event type %u at %s:%" PRIu64 ": " LOAD_FILE_HINT, type,
                r->file, r->pos);
        return DM_E_PARSE;
    }
    if (!r->raw && type == INCIDENT_EVENT)
        return on_incident(r, body, len, err, cap);
    if (type == GTID_EVENT || type == QUERY_EVENT || type == QUERY_COMPRESSED_EVENT ||
        type == XID_EVENT)
        r->stmt_replace = false;
    switch (type) {
    case ANNOTATE_ROWS_EVENT:
        r->stmt_replace = annotate_is_replace((const char *)body, len);
        return DM_OK;
    case FORMAT_DESCRIPTION_EVENT: return on_fde(r, body, len, err, cap);
    case ROTATE_EVENT: return on_rotate(r, body, len, err, cap);
    case TABLE_MAP_EVENT: return r->raw ? DM_OK : on_table_map(r, body, len, err, cap);
    case QUERY_EVENT: case QUERY_COMPRESSED_EVENT: return on_query(r, type, body, len, err, cap);
    case GTID_EVENT: return on_gtid(r, body, len, err, cap);
    case XA_PREPARE_LOG_EVENT:      /* ends the event group of an XA PREPARE (MariaDB 10.5+
                                       logs the rows there): a transaction end, as XID */
        r->ev.kind = BL_EV_XID;
        return DM_OK;
    case XID_EVENT:
        if (len < 8) {
            dm_errf(err, cap, "short XID event");
            return DM_E_PARSE;
        }
        r->ev.xid = rowdec_le(body, 8);
        r->ev.kind = BL_EV_XID;
        return DM_OK;
    case WRITE_ROWS_COMPRESSED_EVENT_V1: case UPDATE_ROWS_COMPRESSED_EVENT_V1:
    case DELETE_ROWS_COMPRESSED_EVENT_V1: case WRITE_ROWS_COMPRESSED_EVENT:
    case UPDATE_ROWS_COMPRESSED_EVENT: case DELETE_ROWS_COMPRESSED_EVENT:
        return r->raw ? DM_OK : on_compressed_rows(r, type, body, len, err, cap);
    default:
        if (!r->raw && rowdec_is_rows_event(type))
            return on_rows(r, type, body, len, err, cap);
        return DM_OK;
    }
}

/* Header fields and body of the fetched event; positions per binlog.h. */
static int handle_event(struct bl_reader *r, const uint8_t *h, size_t avail, char *err, size_t cap)
{
    if (avail < HDR_LEN) {
        dm_errf(err, cap, "short binlog event");
        return DM_E_PARSE;
    }
    unsigned type = h[4];
    size_t evlen = (size_t)rowdec_le(h + 9, 4);
    uint32_t log_pos = (uint32_t)rowdec_le(h + 13, 4);
    struct bl_event *ev = &r->ev;
    memset(ev, 0, sizeof(*ev));
    ev->kind = BL_EV_OTHER;
    ev->type = (uint8_t)type;
    ev->timestamp = (uint32_t)rowdec_le(h, 4);
    ev->server_id = (uint32_t)rowdec_le(h + 5, 4);
    ev->flags = (uint16_t)rowdec_le(h + 17, 2);
    ev->raw = h;
    ev->raw_len = evlen <= avail ? evlen : avail;
    ev->log_pos = log_pos;
    unsigned crc = type == FORMAT_DESCRIPTION_EVENT ? 0 : r->checksum_len;
    if (evlen > avail || evlen < HDR_LEN + crc) {
        dm_errf(err, cap, "binlog event length %zu does not fit packet of %zu", evlen, avail);
        return DM_E_PARSE;
    }
    if (log_pos != 0 && !(ev->flags & LOG_EVENT_ARTIFICIAL_F) && type != ROTATE_EVENT)
        r->pos = log_pos;
    int rc = dispatch(r, type, h + HDR_LEN, evlen - HDR_LEN - crc, err, cap);
    ev->stmt_replace = ev->kind == BL_EV_ROWS && r->stmt_replace;
    if (rc == DM_OK && ev->kind == BL_EV_ROWS &&    /* post-header: table id, flags */
        evlen - HDR_LEN - crc >= tid_len(r, type) + 2u)
        ev->rows_flags = (uint16_t)rowdec_le(h + HDR_LEN + tid_len(r, type), 2);
    snprintf(ev->file, sizeof(ev->file), "%s", r->file);
    ev->next_pos = r->pos;
    return rc;
}

static int fetch_error(struct bl_reader *r, char *err, size_t cap)
{
    if (atomic_load(&r->closed)) {
        dm_errf(err, cap, "reader closed");
        return DM_E_CANCELLED;
    }
    unsigned e = mysql_errno(r->mysql);
    /* The connector refuses (5021 Malformed packet) the events of a LOAD DATA logged as a
     * statement and (5020 Unknown event type) an INCIDENT; the packet is still in its
     * buffer: OK byte, then the event header. */
    bool refused = e == CR_BINLOG_ERROR || e == CR_UNKNOWN_BINLOG_EVENT;
    const unsigned char *pkt = r->mysql->net.read_pos;
    unsigned type = refused && pkt && r->mysql->packet_length > 5 ? pkt[5] : 0;
    const char *hint = is_load_file_event(type) ? LOAD_FILE_HINT
                       : type == INCIDENT_EVENT ? INCIDENT_HINT : "";
    dm_errf(err, cap, "binlog stream at %s:%" PRIu64 ": %s (%u)%s%s%s", r->file, r->pos,
            e ? mysql_error(r->mysql) : "end of stream", e, worker_terr_access_hint(e, true),
            hint[0] ? ": " : "", hint);
    if (is_conn_error(e))
        return DM_E_UNAVAILABLE;
    if (worker_terr_access_denied(e))
        return DM_E_FORBIDDEN;
    return refused ? DM_E_PARSE : DM_E_DB;
}

static int feed_next(struct bl_reader *r, int timeout_ms, struct bl_event **ev, char *err,
                     size_t cap)
{
    const uint8_t *h = NULL;
    size_t len = 0;
    if (atomic_load(&r->closed)) {
        dm_errf(err, cap, "reader closed");
        return DM_E_CANCELLED;
    }
    int rc = r->feed.next(r->feed.ctx, timeout_ms, &h, &len, err, cap);
    if (rc == DM_OK && (rc = handle_event(r, h, len, err, cap)) == DM_OK)
        *ev = &r->ev;
    return rc;
}

int bl_reader_next(struct bl_reader *r, int timeout_ms, struct bl_event **ev, char *err,
                   size_t cap)
{
    if (r->has_feed)
        return feed_next(r, timeout_ms, ev, err, cap);
    long long start = now_ms();
    for (;;) {
        if (atomic_load(&r->closed)) {
            dm_errf(err, cap, "reader closed");
            return DM_E_CANCELLED;
        }
        MARIADB_RPL_EVENT *next = mariadb_rpl_fetch(r->rpl, r->rev);
        if (!next) {
            r->rev = NULL; /* P6: freed by the connector */
            return fetch_error(r, err, cap);
        }
        r->rev = next;
        if (next->event_type == HEARTBEAT_LOG_EVENT) {
            if (timeout_ms >= 0 && now_ms() - start >= timeout_ms) {
                dm_errf(err, cap, "no event in %d ms", timeout_ms);
                return DM_E_TIMEOUT;
            }
            continue;
        }
        if (next->raw_data_ofs > next->raw_data_size) {
            dm_errf(err, cap, "short binlog event");
            return DM_E_PARSE;
        }
        int rc = handle_event(r, next->raw_data + next->raw_data_ofs,
                              next->raw_data_size - next->raw_data_ofs, err, cap);
        if (rc != DM_OK)
            return rc;
        *ev = &r->ev;
        return DM_OK;
    }
}

/* ---- source status ---- */

static int master_status(MYSQL *m, char *file, size_t file_cap, uint64_t *pos, char *err,
                         size_t cap)
{
    if (mysql_query(m, "SHOW MASTER STATUS") != 0) {
        unsigned e = mysql_errno(m);
        dm_errf(err, cap, "SHOW MASTER STATUS: Error %u: %s%s", e, mysql_error(m),
                worker_terr_access_hint(e, true));
        return db_rc(e);
    }
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    int rc = DM_OK;
    if (!row || !row[0] || !row[1]) {
        dm_errf(err, cap, "SHOW MASTER STATUS: binary log not enabled on the source");
        rc = DM_E_DB;
    } else if (outside_name(row[0], strlen(row[0]))) {
        dm_errf(err, cap, "SHOW MASTER STATUS names a file outside the binlog directory: %s",
                row[0]);
        rc = DM_E_DB;
    } else {
        snprintf(file, file_cap, "%s", row[0]);
        *pos = strtoull(row[1], NULL, 10);
    }
    mysql_free_result(res);
    return rc;
}

int bl_source_uuid(const struct bl_source *src, char *uuid, size_t uuid_cap, char *err, size_t cap)
{
    MYSQL *m = NULL;
    int rc = connect_source(src, 30, &m, err, cap);
    if (rc != DM_OK)
        return rc;
    rc = query_value(m, "SELECT CONCAT(@@global.gtid_domain_id, '-', @@global.server_id)", uuid,
                     uuid_cap, err, cap);
    mysql_close(m);
    return rc;
}

static int status_on(MYSQL *m, char *file, size_t file_cap, uint64_t *pos, char *gtid,
                     size_t gtid_cap, char *err, size_t cap)
{
    int rc = master_status(m, file, file_cap, pos, err, cap);
    if (rc == DM_OK && gtid)
        rc = query_value(m, "SELECT @@global.gtid_binlog_pos", gtid, gtid_cap, err, cap);
    return rc;
}

int bl_source_status(const struct bl_source *src, char *file, size_t file_cap, uint64_t *pos,
                     char *gtid, size_t gtid_cap, char *err, size_t cap)
{
    struct bl_status_conn c = { 0 };
    int rc = bl_status_conn_query(&c, src, file, file_cap, pos, gtid, gtid_cap, err, cap);
    bl_status_conn_close(&c);
    return rc;
}

static void status_key(const struct bl_source *src, char *key, size_t cap)
{
    snprintf(key, cap, "%s\n%d\n%s\n%s", src->host ? src->host : "", src->port,
             src->user ? src->user : "", src->password ? src->password : "");
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A kept connection the server closed while idle (wait_timeout, a source restart) fails at
 * once with 2006/2013: worth one fresh connection. A slow failure (the read timeout of a
 * hung source) is not retried, so a stopped source costs one timeout, not two. */
static bool stale_conn_error(unsigned e, int64_t took_ms)
{
    return (e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST) && took_ms < 1000;
}

int bl_status_conn_query(struct bl_status_conn *c, const struct bl_source *src, char *file,
                         size_t file_cap, uint64_t *pos, char *gtid, size_t gtid_cap,
                         char *err, size_t cap)
{
    char key[sizeof c->key];
    status_key(src, key, sizeof key);
    if (c->m && strcmp(c->key, key) != 0)
        bl_status_conn_close(c); /* the worker's source changed: never ask the old one */
    for (int attempt = 0; attempt < 2; attempt++) {
        bool kept = c->m != NULL;
        if (!kept) {
            MYSQL *m = NULL;
            int rc = connect_source(src, 30, &m, err, cap);
            if (rc != DM_OK)
                return rc;
            c->m = m;
            memcpy(c->key, key, sizeof key);
        }
        int64_t t0 = mono_ms();
        int rc = status_on(c->m, file, file_cap, pos, gtid, gtid_cap, err, cap);
        if (rc == DM_OK)
            return DM_OK;
        unsigned e = mysql_errno(c->m);
        if (e == 0) /* an answer we refuse (no binlog, a bad name): the connection is fine */
            return rc;
        bl_status_conn_close(c);
        if (!kept || !stale_conn_error(e, mono_ms() - t0))
            return rc;
    }
    return DM_E_DB; /* not reached: the second attempt always runs on a fresh connection */
}

void bl_status_conn_close(struct bl_status_conn *c)
{
    if (c->m)
        mysql_close(c->m);
    c->m = NULL;
    explicit_bzero(c->key, sizeof c->key);
}

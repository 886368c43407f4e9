/* relay.c - the relay writer thread, relay.meta / server-uuid.index, the operations and
 * the purger (contract in relay.h; DM v1.0.7 relay/relay.go, writer/file.go, meta.go,
 * purger/). */
#include "relay_int.h"
#include "relay_pos.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dm_assert.h"
#include "dm_error.h"
#include "gtid.h"
#include "log.h"
#include "dm_time.h"

#define EV_ROTATE 4
#define EV_QUERY 2
#define EV_XID 16
#define EV_FDE 15
#define EV_GTID 162
#define EV_GTID_LIST 163
#define EV_USER_VAR 14
#define EV_XA_PREPARE 38
#define EV_QUERY_COMPRESSED 165
#define RELAY_LOG_F 0x40         /* LOG_EVENT_RELAY_LOG_F: marks our hole-filling event */
#define SUPPRESS_USE_F 0x08
#define ARTIFICIAL_F 0x20
#define FLUSH_MS 100
#define HDR 19

/* DM v1.0.7 terror codes (pkg/terror/error_list.go) */
#define TE_RELAY_LOAD_META 30003
#define TE_RELAY_FLUSH_META 30006
#define TE_RELAY_UPDATE_INDEX 30007
#define TE_RELAY_TCP_GET_EVENT 30015
#define TE_RELAY_START_SYNC_GTID 30014
#define TE_PARSE_GTID 11009
#define TE_RELAY_WRITER_FILE 30025
#define TE_RELAY_MKDIR 30033
#define TE_RELAY_SWITCH_NEED_GTID 30034
#define TE_RELAY_OTHER_PURGING 30036
#define TE_RELAY_PURGE_REQUEST 30039
#define TE_WORKER_RELAY_STAGE 40039

static const char *const stage_names[] = { "New", "Running", "Paused", "Stopped" };

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void relay_err(struct worker_terr *e, int code, bool transient, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void relay_err(struct worker_terr *e, int code, bool transient, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    worker_terr_vset(e, code, WTE_CLASS_RELAY_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH, fmt, ap);
    va_end(ap);
    e->transient = transient;
}

bool relay_path(const struct worker_relay *r, size_t subdir, const char *file, char *out,
                size_t cap)
{
    if (subdir >= r->nsubdirs || !r->subdirs[subdir])
        return false;                    /* none yet, or the index was reloaded shorter */
    int n = snprintf(out, cap, "%s/%s%s%s", r->dir, r->subdirs[subdir], file ? "/" : "",
                     file ? file : "");
    return n > 0 && (size_t)n < cap;
}

/* ---- files: atomic replace, index, meta ---- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* write tmp + fsync + rename + fsync(dir); -1 with errno */
static int write_atomic(const char *dir, const char *path, const char *text)
{
    char tmp[4200];
    int fd, rc = -1;
    size_t len = strlen(text);
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
        rc = 0;
    close(fd);
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc == 0)
        rc = fsync_dir(dir);
    return rc;
}

static void free_subdirs(struct worker_relay *r)
{
    for (size_t i = 0; i < r->nsubdirs; i++) {
        free(r->subdirs[i]);
        r->subdirs[i] = NULL;
    }
    r->nsubdirs = 0;
}

/* server-uuid.index -> r->subdirs (caller holds mu). */
static int load_index(struct worker_relay *r, struct worker_terr *e)
{
    char path[4096], line[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", r->dir, RELAY_INDEX);
    free_subdirs(r);
    if (!(f = fopen(path, "r")))
        return errno == ENOENT ? DM_OK : (relay_err(e, 28001, false, "parse UUID index file %s: %s",
                                                    path, strerror(errno)), DM_E_IO);
    while (fgets(line, sizeof line, f) && r->nsubdirs < RELAY_MAX_SUBDIRS) {
        line[strcspn(line, "\r\n \t")] = '\0';
        if (line[0] && (!relay_binlog_name(line) || line[0] == '.' || strlen(line) >= 160)) {
            /* every path the relay builds starts with it: no "/", "..", or a name that is
               not DM's <uuid>.<NNNNNN> */
            fclose(f);
            free_subdirs(r);
            relay_err(e, 28001, false, "parse UUID index file %s: line '%.100s' is not a "
                      "relay sub-directory name (<server uuid>.<NNNNNN>)", path, line);
            return DM_E_PARSE;
        }
        if (line[0] && !(r->subdirs[r->nsubdirs++] = strdup(line))) {
            fclose(f);
            return DM_E_NOMEM;
        }
    }
    fclose(f);
    return DM_OK;
}

int relay_save_index(struct worker_relay *r, struct worker_terr *e)
{
    char path[4096], text[RELAY_MAX_SUBDIRS * 170] = "";
    size_t off = 0;
    for (size_t i = 0; i < r->nsubdirs; i++)
        off += (size_t)snprintf(text + off, sizeof text - off, "%s\n", r->subdirs[i]);
    snprintf(path, sizeof path, "%s/%s", r->dir, RELAY_INDEX);
    if (write_atomic(r->dir, path, text) != 0) {
        relay_err(e, TE_RELAY_UPDATE_INDEX, false, "update UUID index file %s: %s", path,
                  strerror(errno));
        return DM_E_IO;
    }
    return DM_OK;
}

/* Parse relay.meta of the newest sub-directory into meta_file/meta_pos/gtid. */
static int load_meta(struct worker_relay *r, bool *found, struct worker_terr *e)
{
    char path[4096], line[1400];
    FILE *f;
    bool name = false;
    *found = false;
    if (!relay_path(r, r->nsubdirs - 1, RELAY_META, path, sizeof path))
        return DM_E_INVAL;
    if (!(f = fopen(path, "r"))) {
        if (errno == ENOENT)
            return DM_OK;
        relay_err(e, TE_RELAY_LOAD_META, false, "load meta data %s: %s", path, strerror(errno));
        return DM_E_IO;
    }
    r->meta_file[0] = '\0';
    r->meta_pos = 4;
    r->gtid[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        char v[1300];
        unsigned long long p;
        if (strncmp(line, "binlog-name = \"\"", 16) == 0) {
            name = true;                 /* a GTID sub-directory before its first file */
        } else if (sscanf(line, "binlog-name = \"%255[^\"]\"", v) == 1) {
            if (!relay_binlog_name(v)) {   /* the writer opens (creates) and cuts it */
                fclose(f);
                relay_err(e, TE_RELAY_LOAD_META, false, "load meta data %s: binlog-name "
                          "'%.100s' is not a binlog file name", path, v);
                return DM_E_PARSE;
            }
            name = true;
            memcpy(r->meta_file, v, strlen(v) + 1);
        } else if (sscanf(line, "binlog-pos = %llu", &p) == 1) {
            r->meta_pos = p;
        } else if (sscanf(line, "binlog-gtid = \"%1023[^\"]\"", v) == 1) {
            memcpy(r->gtid, v, strlen(v) + 1);
        }
    }
    fclose(f);
    *found = name;
    if (!*found) {
        relay_err(e, TE_RELAY_LOAD_META, false, "load meta data %s: no binlog-name", path);
        return DM_E_PARSE;
    }
    return DM_OK;
}

int relay_save_meta(struct worker_relay *r, const char *file, uint64_t pos, const char *gtid,
                     struct worker_terr *e)
{
    char path[4096], dir[4096], text[1600];
    if (!relay_path(r, r->nsubdirs - 1, RELAY_META, path, sizeof path) ||
        !relay_path(r, r->nsubdirs - 1, NULL, dir, sizeof dir))
        return DM_E_INVAL;
    snprintf(text, sizeof text, "binlog-name = \"%s\"\nbinlog-pos = %" PRIu64
             "\nbinlog-gtid = \"%s\"\n", file, pos, gtid);
    if (write_atomic(dir, path, text) != 0) {
        relay_err(e, TE_RELAY_FLUSH_META, false, "flush local meta %s: %s", path, strerror(errno));
        return DM_E_IO;
    }
    return DM_OK;
}

/* ---- GTID set of the last transaction boundary (gtid.h) ---- */

static bool gtid_track(char *set, size_t cap, const struct bl_event *g)
{
    struct gtid x = { g->gtid_domain, g->gtid_server, g->gtid_seq };
    if (gtid_text_update(set, cap, &x))
        return true;
    dm_log_kv(DM_LOG_WARN, "relay: GTID set not updated (unparsable or too long)", "set",
              set, "gtid", g->gtid, NULL);
    return false;
}

/* A real GTID_LIST event (start of every MariaDB binlog file): the binlog state before the
 * file, merged into the set (higher seq per domain), so a relay started at a file's
 * beginning knows every domain's position from there. */
static void gtid_list_merge(char *set, size_t cap, const struct bl_event *ev)
{
    struct gtid_set gs;
    char err[256], out[1024];
    if (ev->raw_len < HDR + 4 || gtid_set_parse(set, &gs, err, sizeof err) != DM_OK)
        return;
    uint64_t n = le(ev->raw + HDR, 4) & 0x0fffffff;
    if (HDR + 4 + n * 16 > ev->raw_len)
        return;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *p = ev->raw + HDR + 4 + i * 16;
        struct gtid g = { (uint32_t)le(p, 4), (uint32_t)le(p + 4, 4), le(p + 8, 8) };
        if (gtid_set_merge_max(&gs, &g) != DM_OK)
            return;
    }
    if (gtid_set_format(&gs, out, sizeof out) && strlen(out) < cap)
        memcpy(set, out, strlen(out) + 1);
}

/* ---- the writer ---- */

struct wstate {
    int fd;
    char file[256];
    uint64_t end;
    bool in_txn;
    char pending_gtid[64];
    struct bl_event gtid_ev;       /* the pending transaction's GTID */
    char safe_file[256];
    uint64_t safe_pos;
    char safe_gtid[1024];
    bool dirty;
    int64_t last_flush;
    uint64_t want;                 /* where the source stream starts (> 4: migrate-relay) */
    bool gtid_gap;                 /* opened by GTID, no transaction written yet: events may
                                      start past a gap (the transactions the source skipped;
                                      each filled with DM's dummy event), and no
                                      safe point exists before it (a restart by position
                                      would fetch the skipped ones) */
    bool checksum;                 /* CRC32 per the FDE written */
    char gtid_lost[64];            /* a GTID the set text could not take (too many domains
                                      for relay.meta's binlog-gtid): the relay pauses */
};

static void publish(struct worker_relay *r, const struct wstate *w)
{
    pthread_mutex_lock(&r->mu);
    snprintf(r->file, sizeof r->file, "%s", w->file);
    r->end = w->end;
    r->seq++;
    pthread_cond_broadcast(&r->data_cond);
    pthread_mutex_unlock(&r->mu);
}

/* Test hook (DMGW_FAILPOINT=relay-meta-frozen): relay.meta is not moved within its file,
 * so a kill -9 leaves transactions the readers applied past it, every time (the 100 ms
 * flush makes that a race otherwise; tests/integration/e2e_relay_failover.sh). */
static bool meta_frozen(const struct worker_relay *r, const struct wstate *w)
{
    const char *v = getenv("DMGW_FAILPOINT");
    return v && strcmp(v, "relay-meta-frozen") == 0 && r->meta_pos >= 4 &&
           strcmp(r->meta_file, w->safe_file) == 0;
}

static int flush(struct worker_relay *r, struct wstate *w, struct worker_terr *e)
{
    if (!w->dirty)
        return DM_OK;
    if (w->fd >= 0 && fdatasync(w->fd) != 0) {
        relay_err(e, TE_RELAY_WRITER_FILE, false, "fdatasync relay log file %s: %s", w->file,
                  strerror(errno));
        return DM_E_IO;
    }
    if (meta_frozen(r, w)) {
        w->dirty = false;
        w->last_flush = now_ms();
        return DM_OK;
    }
    int rc = relay_save_meta(r, w->safe_file, w->safe_pos, w->safe_gtid, e);
    if (rc)
        return rc;
    pthread_mutex_lock(&r->mu);
    snprintf(r->meta_file, sizeof r->meta_file, "%s", w->safe_file);
    r->meta_pos = w->safe_pos;
    snprintf(r->gtid, sizeof r->gtid, "%s", w->safe_gtid);
    pthread_mutex_unlock(&r->mu);
    w->dirty = false;
    w->last_flush = now_ms();
    return DM_OK;
}

static int write_all(struct worker_relay *r, struct wstate *w, const uint8_t *p, size_t n,
                     struct worker_terr *e)
{
    size_t done = 0;
    int64_t t0 = now_us();
    while (done < n) {
        ssize_t k = pwrite(w->fd, p + done, n - done, (off_t)(w->end + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            char path[4096];
            int en = k < 0 ? errno : ENOSPC;
            if (!relay_path(r, r->nsubdirs - 1, w->file, path, sizeof path))
                snprintf(path, sizeof path, "%s", w->file);
            if (ftruncate(w->fd, (off_t)w->end) != 0) { /* never leave a torn event */ }
            relay_err(e, TE_RELAY_WRITER_FILE, false, "write relay log file %s: %s", path,
                      strerror(en));
            relay_metrics_count(RELAY_M_WRITE_ERROR);
            return DM_E_IO;
        }
        done += (size_t)k;
    }
    relay_metrics_write(n, (double)(now_us() - t0) / 1e6);
    w->end += n;
    return DM_OK;
}

static void close_file(struct wstate *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* Open (create) the current file for writing; size checked against what we expect. */
static int open_file(struct worker_relay *r, struct wstate *w, struct worker_terr *e)
{
    char path[4096];
    struct stat st;
    if (!relay_path(r, r->nsubdirs - 1, w->file, path, sizeof path))
        return DM_E_INVAL;
    w->fd = open(path, O_RDWR | O_CREAT, 0644);
    if (w->fd < 0 || fstat(w->fd, &st) != 0) {
        relay_err(e, TE_RELAY_WRITER_FILE, false, "open relay log file %s: %s", path,
                  strerror(errno));
        close_file(w);
        return DM_E_IO;
    }
    w->end = (uint64_t)st.st_size;
    if (w->end < 4) {
        static const uint8_t magic[4] = { 0xfe, 'b', 'i', 'n' };
        if (ftruncate(w->fd, 0) != 0) { /* rewritten below */ }
        w->end = 0;
        return write_all(r, w, magic, 4, e);
    }
    return DM_OK;
}

static void safe_point(struct wstate *w)
{
    snprintf(w->safe_file, sizeof w->safe_file, "%s", w->file);
    w->safe_pos = w->end;
    w->dirty = true;
}

static int fill_gap(struct worker_relay *r, struct wstate *w, const struct bl_event *ev,
                    uint64_t start, struct worker_terr *e);

static int hole_err(const struct wstate *w, uint64_t start, struct worker_terr *e)
{
    char a[64];
    snprintf(a, sizeof a, "%" PRIu64 " to %" PRIu64, w->end, start);
    return relay_err(e, TE_RELAY_WRITER_FILE, false,
                     "relay log file %s would have a hole from %s (the source sent an event "
                     "past the end of the relay file; not supported)", w->file, a), DM_E_PARSE;
}

/* A file of the newest sub-directory is finished at `size` without its ROTATE (the
 * source restarted or crashed and went on with its next file; or the sub-directory ends
 * there): one line "<file> TAB <size>" appended to <sub-dir>/relay.ends (fsync'd). A local
 * reader at the end of a finished file that has no ROTATE goes on only when this record (or
 * a STOP event, or relay.meta of a finished sub-directory) vouches for that end: a file
 * cut by hand at an event boundary is then not taken for a complete one (relay_stream.c
 * end_vouched). */
int relay_note_end(struct worker_relay *r, size_t sub, const char *file, uint64_t size,
                   struct worker_terr *e)
{
    char path[4096], line[320];
    if (!relay_path(r, sub, RELAY_ENDS, path, sizeof path))
        return DM_E_INVAL;
    int n = snprintf(line, sizeof line, "%s\t%" PRIu64 "\n", file, size);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && n > 0 && (size_t)n < sizeof line &&
              write(fd, line, (size_t)n) == n && fdatasync(fd) == 0;
    int en = errno;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return relay_err(e, TE_RELAY_WRITER_FILE, false, "write %s: %s", path, strerror(en)),
               DM_E_IO;
    line[n - 1] = '\0';
    dm_log_kv(DM_LOG_INFO, "relay: file finished without a ROTATE", "file", file, "size",
              line + strlen(file) + 1, NULL);
    return DM_OK;
}

static int on_rotate(struct worker_relay *r, struct wstate *w, const struct bl_event *ev,
                     struct worker_terr *e)
{
    bool fake = (ev->flags & ARTIFICIAL_F) || ev->log_pos == 0 || ev->timestamp == 0;
    int rc = DM_OK;
    if (!fake) {
        if (w->fd < 0)
            return relay_err(e, 30021, false, "ROTATE event to %s received without an open relay log file",
                             ev->file), DM_E_PARSE;
        if (ev->log_pos > w->end) {
            uint64_t start = ev->log_pos >= ev->raw_len ? ev->log_pos - ev->raw_len : 0;
            if (start > w->end && w->gtid_gap && (rc = fill_gap(r, w, ev, start, e)))
                return rc;
            if (start > w->end)
                return hole_err(w, start, e);
            if ((rc = write_all(r, w, ev->raw, ev->raw_len, e)))
                return rc;
        }
        if (fdatasync(w->fd) != 0)
            return relay_err(e, TE_RELAY_WRITER_FILE, false, "fdatasync relay log file %s: %s",
                             w->file, strerror(errno)), DM_E_IO;
    }
    if (strcmp(ev->file, w->file) != 0) {
        /* a fake ROTATE to another file while ours has events: the source's file ended
           without a ROTATE (a restart's STOP event, or a crash) */
        if (fake && w->file[0] && w->end > 4 &&
            (rc = relay_note_end(r, r->nsubdirs - 1, w->file, w->end, e)))
            return rc;
        close_file(w);
        snprintf(w->file, sizeof w->file, "%s", ev->file);
        w->end = 0;
        w->want = 0;                     /* the next file starts at 4 */
        if (!fake) {
            snprintf(w->safe_file, sizeof w->safe_file, "%s", w->file);
            w->safe_pos = 4;
            w->dirty = true;
            rc = flush(r, w, e);
        }
    }
    return rc;
}

static int on_fde(struct worker_relay *r, struct wstate *w, const struct bl_event *ev,
                  struct worker_terr *e)
{
    int rc;
    /* checksum algorithm: the byte before the FDE's 4-byte CRC (as relay_stream reads it) */
    w->checksum = ev->raw_len >= HDR + 57 + 5 && ev->raw[ev->raw_len - 5] == 1;
    if (w->fd >= 0 && w->end > 4)
        return DM_OK;                    /* the FDE a reconnect sends: already written */
    if (w->fd < 0) {
        if ((rc = open_file(r, w, e)))
            return rc;
        /* a GTID start before any safe point: nothing past the magic is vouched for */
        if (w->gtid_gap && w->end > 4) {
            if (ftruncate(w->fd, 4) != 0)
                return relay_err(e, TE_RELAY_WRITER_FILE, false, "truncate relay log file %s: %s",
                                 w->file, strerror(errno)), DM_E_IO;
            w->end = 4;
        }
    }
    if (w->end > 4)
        return DM_OK;
    if ((rc = write_all(r, w, ev->raw, ev->raw_len, e)))
        return rc;
    if (w->want > w->end) {              /* a file begun past 4 (migrate-relay): DM's dummy */
        DM_ASSERT(w->end > 4);
        if ((rc = fill_gap(r, w, ev, w->want, e)))
            return rc;
    }
    w->want = 0;
    if (!w->gtid_gap)
        safe_point(w);                   /* after a GTID start: at its first transaction */
    publish(r, w);
    return DM_OK;
}

/* DM's GenDummyEvent (pkg/binlog/event): one event exactly filling a gap the source left
 * by skipping the transactions of a GTID start's set, or the bytes before the position a
 * migrate-relay starts a file at, so positions stay the source's. A USER_VAR event
 * ("!dummyvar" = NULL) below 38 bytes, else a QUERY event with DM's comment padded with
 * zero bytes; flags LOG_EVENT_RELAY_LOG_F | LOG_EVENT_SUPPRESS_USE_F (local readers skip
 * events with LOG_EVENT_RELAY_LOG_F, which a source's binlog never has); CRC32 when the
 * file has checksums. Written in chunks (a gap may be as long as a binlog file); a failed
 * write leaves the file at the gap's start. */
static int fill_gap(struct worker_relay *r, struct wstate *w, const struct bl_event *ev,
                    uint64_t start, struct worker_terr *e)
{
    static const char query[] = "# dummy query generated by DM, often used to fill a hole in a binlog file";
    static const uint8_t zeros[65536];
    const uint64_t from = w->end, size = start - w->end;
    const size_t tail = w->checksum ? 4 : 0;
    uint8_t p[HDR + 13 + 1 + sizeof query];
    size_t head;
    uint64_t pad;
    if (size < HDR + 6 + tail || size > UINT32_MAX)
        return relay_err(e, TE_RELAY_WRITER_FILE, false, "relay log file %s: a gap of %" PRIu64
                         " bytes (a GTID start's skipped transactions, or a migrate-relay "
                         "position past 4) cannot be filled with one event "
                         "(minimum %zu)", w->file, size, HDR + 6 + tail), DM_E_PARSE;
    memset(p, 0, sizeof p);
    bool uv = size < HDR + 13 + 2 + tail;
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(ev->timestamp >> (8 * i));
        p[5 + i] = (uint8_t)(ev->server_id >> (8 * i));
        p[9 + i] = (uint8_t)(size >> (8 * i));
        p[13 + i] = (uint8_t)(start >> (8 * i));
    }
    p[4] = uv ? EV_USER_VAR : EV_QUERY;
    uint16_t fl = SUPPRESS_USE_F | RELAY_LOG_F;    /* DM's GenDummyEvent flags */
    p[17] = (uint8_t)fl;
    p[18] = (uint8_t)(fl >> 8);
    if (uv) {                            /* name_len, name, is_null = 1 */
        uint64_t nl = size - HDR - 4 - 1 - tail;
        for (int i = 0; i < 4; i++)
            p[HDR + i] = (uint8_t)(nl >> (8 * i));
        memcpy(p + HDR + 4, "!dummyvar", nl < 9 ? nl : 9);
        p[HDR + 4 + nl] = 1;
        head = (size_t)(size - tail);
        pad = 0;
    } else {                             /* post-header zeros, db "" NUL, query */
        uint64_t ql = size - HDR - 13 - 1 - tail;
        size_t qn = ql < sizeof query - 1 ? (size_t)ql : sizeof query - 1;
        memcpy(p + HDR + 13 + 1, query, qn);
        head = HDR + 13 + 1 + qn;
        pad = ql - qn;
    }
    uLong crc = crc32(0L, p, (uInt)head);
    int rc = write_all(r, w, p, head, e);
    while (rc == DM_OK && pad > 0) {
        size_t n = pad < sizeof zeros ? (size_t)pad : sizeof zeros;
        crc = crc32(crc, zeros, (uInt)n);
        rc = write_all(r, w, zeros, n, e);
        pad -= n;
    }
    if (rc == DM_OK && tail) {
        uint8_t c[4];
        for (int i = 0; i < 4; i++)
            c[i] = (uint8_t)(crc >> (8 * i));
        rc = write_all(r, w, c, 4, e);
    }
    if (rc != DM_OK) {
        if (ftruncate(w->fd, (off_t)from) != 0) { /* the GTID start is retried from scratch */ }
        w->end = from;
        return rc;
    }
    char a[64];
    snprintf(a, sizeof a, "%" PRIu64 "-%" PRIu64, from, start);
    dm_log_kv(DM_LOG_INFO, "relay: filled a gap with a dummy event", "file", w->file,
              "range", a, NULL);
    return DM_OK;
}

static void txn_track(struct wstate *w, const struct bl_event *ev)
{
    bool end = false;
    if (ev->kind == BL_EV_GTID) {
        w->in_txn = true;
        w->gtid_ev = *ev;
        w->pending_gtid[0] = '1';
    } else if (ev->kind == BL_EV_QUERY) {
        /* MariaDB's XA PREPARE group: GTID, rows, QUERY "XA END <xid>", XA_PREPARE (kind
         * XID, the end); the XA END is no boundary (relay.meta there, its GTID counted, a
         * GTID start - a failover - skipped the XA_PREPARE event) */
        if (strcmp(ev->query, "BEGIN") == 0 || strncmp(ev->query, "XA END", 6) == 0)
            w->in_txn = true;
        else
            end = true;
    } else if (ev->kind == BL_EV_XID) {
        end = true;
    } else if (ev->type == EV_GTID_LIST) {
        gtid_list_merge(w->safe_gtid, sizeof w->safe_gtid, ev);
    }
    if (end) {
        w->in_txn = false;
        if (w->pending_gtid[0])
            if (!gtid_track(w->safe_gtid, sizeof w->safe_gtid, &w->gtid_ev))
                snprintf(w->gtid_lost, sizeof w->gtid_lost, "%s", w->gtid_ev.gtid);
        w->pending_gtid[0] = '\0';
    }
    if (!w->in_txn && !w->gtid_gap)
        safe_point(w);                   /* none before the GTID start's first transaction */
}

static int on_event(struct worker_relay *r, struct wstate *w, const struct bl_event *ev,
                    struct worker_terr *e)
{
    int rc;
    if (ev->type == EV_ROTATE)
        return on_rotate(r, w, ev, e);
    if (ev->type == EV_FDE)
        return on_fde(r, w, ev, e);
    if ((ev->flags & ARTIFICIAL_F) || ev->log_pos == 0)
        return DM_OK;                    /* fake GTID_LIST etc.: not in the source file */
    if (w->fd < 0)
        return relay_err(e, 30019, false, "binlog event in %s before its FORMAT_DESCRIPTION event",
                         w->file), DM_E_PARSE;
    if (ev->raw_len > ev->log_pos)
        return relay_err(e, TE_RELAY_TCP_GET_EVENT, false, "binlog event in %s with log_pos smaller than its size",
                         w->file), DM_E_PARSE;
    uint64_t start = ev->log_pos - ev->raw_len;
    if (start < w->end)
        return DM_OK;                    /* duplicate (already written) */
    if (start > w->end && w->gtid_gap) {
        /* transactions the source skipped (there may be several gaps: it still sends the
         * BINLOG_CHECKPOINT events between them) */
        if ((rc = fill_gap(r, w, ev, start, e)))
            return rc;
        if (ev->kind == BL_EV_GTID)
            safe_point(w);               /* the first transaction after the GTID set */
    }
    if (start > w->end)
        return hole_err(w, start, e);
    if ((rc = write_all(r, w, ev->raw, ev->raw_len, e)))
        return rc;
    if (ev->kind == BL_EV_GTID)
        w->gtid_gap = false;             /* the first transaction after the GTID set */
    txn_track(w, ev);
    publish(r, w);
    if (w->gtid_lost[0])   /* a stale set would make a failover re-read (or skip) silently */
        return relay_err(e, TE_RELAY_FLUSH_META, false, "relay: the relay's GTID set cannot "
                         "take GTID %s (more domains than relay.meta's binlog-gtid holds: %zu "
                         "bytes, %d domains); the set would stop following the source and a "
                         "failover to another server would start from a stale set; not "
                         "supported. Set: %.300s...", w->gtid_lost, sizeof w->safe_gtid - 1,
                         GTID_MAX_DOMAINS, w->safe_gtid), DM_E_TOO_LARGE;
    return DM_OK;
}

/* ---- start of a session: directory, sub-directory, recovery ---- */

static int ensure_dir(struct worker_relay *r, struct worker_terr *e)
{
    char probe[4200];
    int fd;
    if (mkdir(r->dir, 0755) != 0 && errno != EEXIST) {
        relay_err(e, TE_RELAY_MKDIR, false, "relay log directory %s: %s", r->dir, strerror(errno));
        return DM_E_IO;
    }
    snprintf(probe, sizeof probe, "%s/.write-probe", r->dir);
    fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        relay_err(e, TE_RELAY_MKDIR, false, "relay log directory %s is not writable: %s", r->dir,
                  strerror(errno));
        return DM_E_IO;
    }
    close(fd);
    unlink(probe);
    if (r->lock_fd < 0) {   /* one writer per relay-dir, also across processes */
        snprintf(probe, sizeof probe, "%s/.lock", r->dir);
        fd = open(probe, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
            relay_err(e, TE_RELAY_MKDIR, false, "relay log directory %s is in use by another "
                      "dm-worker (each worker needs its own relay-dir)", r->dir);
            if (fd >= 0)
                close(fd);
            return DM_E_CONFLICT;
        }
        r->lock_fd = fd;
    }
    return DM_OK;
}

static int source_err(struct worker_relay *r, int rc, const char *what, const char *err,
                      struct worker_terr *e)
{
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "relay: source %s:%d: %s: %s", r->host, r->cfg.src.port, what, err);
    e->transient = rc == DM_E_UNAVAILABLE;
    return rc;
}

/* mkdir "<dir>/<uuid>.<last suffix+1>" and append it to r->subdirs (caller holds mu); the
 * name into name. exist_ok: a directory left by a crash is reused (the writer); without it
 * an existing one is an error (migrate-relay, DM's os.Mkdir). */
int relay_subdir_append(struct worker_relay *r, const char *uuid, bool exist_ok, char *name,
                        size_t cap, struct worker_terr *e)
{
    char path[4096];
    unsigned long suffix = 0;
    if (r->nsubdirs >= RELAY_MAX_SUBDIRS)
        return relay_err(e, TE_RELAY_MKDIR, false, "relay mkdir: too many sub-directories in %s",
                         r->dir), DM_E_TOO_LARGE;
    if (r->nsubdirs) {
        const char *dot = strrchr(r->subdirs[r->nsubdirs - 1], '.');
        suffix = dot ? strtoul(dot + 1, NULL, 10) : 0;
    }
    snprintf(name, cap, "%s.%06lu", uuid, suffix + 1);
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (mkdir(path, 0755) != 0 && !(exist_ok && errno == EEXIST))
        return relay_err(e, TE_RELAY_MKDIR, false, "relay mkdir %s: %s", path, strerror(errno)),
               DM_E_IO;
    if (!(r->subdirs[r->nsubdirs] = strdup(name)))
        return DM_E_NOMEM;
    r->nsubdirs++;
    r->file[0] = '\0';                         /* nothing published in it yet */
    r->end = 0;
    return DM_OK;
}

/* a new sub-directory for the writer, appended to server-uuid.index. */
static int new_subdir(struct worker_relay *r, const char *uuid, char *name, size_t cap,
                      struct worker_terr *e)
{
    pthread_mutex_lock(&r->mu);
    int rc = relay_subdir_append(r, uuid, true, name, cap, e);
    pthread_mutex_unlock(&r->mu);
    return rc == DM_OK ? relay_save_index(r, e) : rc;
}

/* The GTID set a GTID sub-directory starts from, normalized: relay-binlog-gtid for the
 * first one, else the relay's set so far (DM's AddDir keeps it). */
static int start_gtid_set(struct worker_relay *r, char *out, size_t cap, struct worker_terr *e)
{
    struct gtid_set gs;
    char err[512];
    const char *from = r->nsubdirs == 0 ? r->binlog_gtid : r->gtid;
    if (gtid_set_parse(from, &gs, err, sizeof err) != DM_OK || !gtid_set_format(&gs, out, cap)) {
        worker_terr_set(e, TE_PARSE_GTID, WTE_CLASS_FUNCTIONAL, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "%s %s: parse GTID %s: %s", r->nsubdirs == 0 ? "relay-binlog-gtid" :
                        "relay.meta binlog-gtid", from, from, err);
        return DM_E_PARSE;
    }
    return DM_OK;
}

/* DM's reSetupMeta: a new sub-directory "<uuid>.<suffix+1>". With enable-gtid, after the
 * first one (a switch or a source of another uuid) or with relay-binlog-gtid, it starts
 * from a GTID set: relay.meta binlog-name "" until the first event (the writer opens the
 * source by GTID); otherwise at relay-binlog-name (first one only) or the source's current
 * file, position 4. */
static int add_subdir(struct worker_relay *r, const char *uuid, struct worker_terr *e)
{
    char name[160], file[256] = "", gtid[1024] = "", err[512] = "";
    uint64_t pos = 0;
    int rc;
    bool by_gtid = r->cfg.enable_gtid && (r->nsubdirs > 0 || r->binlog_gtid[0]);
    /* Without enable-gtid, a later sub-directory is another server (a failover, or the
     * server_id changed): its binlog positions are not the old server's, and its current
     * file at 4 skipped what the relay had not read yet (the transactions written while it
     * lagged or the worker was down: a silent gap) or repeated what it had. The relay's
     * GTID set says where it is in any server of the replication topology: continue from
     * it (MariaDB GTID, as enable-gtid does). */
    bool carry = !r->cfg.enable_gtid && r->nsubdirs > 0 && r->gtid[0];
    if (carry)
        dm_log_kv(DM_LOG_WARN, "relay: the source is another server; its binlog is read from "
                  "the relay's GTID set (positions of the old server mean nothing there)",
                  "uuid", uuid, "gtid", r->gtid, NULL);
    by_gtid = by_gtid || carry;
    if (by_gtid) {
        if ((rc = start_gtid_set(r, gtid, sizeof gtid, e)))
            return rc;
        if (!gtid[0])
            dm_log_kv(DM_LOG_WARN, "relay: GTID start from an empty set (the source sends its "
                      "whole binlog)", "uuid", uuid, NULL);
    } else {
        rc = bl_source_status(&r->cfg.src, file, sizeof file, &pos, gtid, sizeof gtid, err,
                              sizeof err);
        if (rc)
            return source_err(r, rc, "SHOW MASTER STATUS", err, e);
        if (r->nsubdirs == 0 && r->binlog_name && r->binlog_name[0])
            snprintf(file, sizeof file, "%s", r->binlog_name);
    }
    if ((rc = new_subdir(r, uuid, name, sizeof name, e)))
        return rc;
    if (by_gtid)
        snprintf(r->gtid, sizeof r->gtid, "%s", gtid);
    else if (r->nsubdirs > 1 && !r->gtid[0])
        snprintf(r->gtid, sizeof r->gtid, "%s", gtid);
    dm_log_kv(DM_LOG_INFO, "relay: new sub-directory", "sub-dir", name, "binlog", file,
              "gtid", by_gtid ? r->gtid : "", NULL);
    return relay_save_meta(r, file, 4, r->nsubdirs > 1 || by_gtid ? r->gtid : "", e) ? DM_E_IO
           : (snprintf(r->meta_file, sizeof r->meta_file, "%s", file), r->meta_pos = 4, DM_OK);
}

/* Walk the events of a relay file up to `limit`: every header must be sane and end
 * exactly at limit (else the file is corrupt before the meta position). */
static int verify_file(const char *path, int fd, uint64_t limit, struct worker_terr *e)
{
    uint8_t h[HDR], magic[4];
    uint64_t off = 4;
    char at[64];
    if (limit < 4 || pread(fd, magic, 4, 0) != 4 || memcmp(magic, "\xfe" "bin", 4) != 0)
        goto bad;
    while (off < limit) {
        if (pread(fd, h, HDR, (off_t)off) != HDR)
            goto bad;
        uint64_t len = le(h + 9, 4);
        if (len < HDR || off + len > limit)
            goto bad;
        off += len;
    }
    return DM_OK;
bad:
    relay_metrics_count(RELAY_M_CORRUPTION);
    snprintf(at, sizeof at, "%" PRIu64, off);
    relay_err(e, TE_RELAY_WRITER_FILE, false,
              "relay log file %s is corrupt at offset %s (before the position in relay.meta); "
              "remove the relay sub-directory or purge it, then resume-relay", path, at);
    return DM_E_PARSE;
}

/* One complete event of a relay file past relay.meta, as the writer's txn_track sees it
 * (kind, BEGIN, GTID, GTID_LIST); false when the bytes at off are not a whole sane event
 * (torn by a kill -9, or garbage): header length, log_pos = its end (relay files keep the
 * source's positions), CRC32 when the file has checksums. ROTATE / FDE stop the scan (the
 * writer handles them when it fetches them again). */
static bool tail_event(int fd, uint64_t off, uint64_t size, bool checksum, uint8_t **buf,
                       size_t *cap, struct bl_event *ev, char *query, size_t qcap)
{
    uint8_t h[HDR];
    if (off + HDR > size || pread(fd, h, HDR, (off_t)off) != HDR)
        return false;
    uint64_t len = le(h + 9, 4);
    size_t tail = checksum ? 4 : 0;
    if (len < HDR + tail || off + len > size || le(h + 13, 4) != off + len ||
        h[4] == EV_ROTATE || h[4] == EV_FDE)
        return false;
    if (len > *cap) {
        uint8_t *b = realloc(*buf, (size_t)len);
        if (!b)
            return false;
        *buf = b;
        *cap = (size_t)len;
    }
    uint8_t *p = *buf;
    if (pread(fd, p, (size_t)len, (off_t)off) != (ssize_t)len)
        return false;
    if (checksum && crc32(crc32(0L, Z_NULL, 0), p, (uInt)(len - 4)) != le(p + len - 4, 4))
        return false;
    memset(ev, 0, sizeof *ev);
    ev->type = p[4];
    ev->raw = p;
    ev->raw_len = (size_t)(len - tail);
    ev->kind = BL_EV_OTHER;
    query[0] = '\0';
    ev->query = query;
    if (ev->type == EV_GTID && len >= HDR + 13 + tail) {
        ev->kind = BL_EV_GTID;
        ev->gtid_seq = le(p + HDR, 8);
        ev->gtid_domain = (uint32_t)le(p + HDR + 8, 4);
        ev->gtid_server = (uint32_t)le(p + 5, 4);
        snprintf(ev->gtid, sizeof ev->gtid, "%" PRIu32 "-%" PRIu32 "-%" PRIu64,
                 ev->gtid_domain, ev->gtid_server, ev->gtid_seq);
    } else if (ev->type == EV_XID || ev->type == EV_XA_PREPARE) {
        ev->kind = BL_EV_XID;
    } else if (ev->type == EV_QUERY || ev->type == EV_QUERY_COMPRESSED) {
        ev->kind = BL_EV_QUERY;
        snprintf(query, qcap, "?");        /* any statement but BEGIN ends a transaction */
        if (ev->type == EV_QUERY && len >= HDR + 13 + tail) {
            uint64_t st = le(p + HDR + 11, 2), db = p[HDR + 8];
            uint64_t q = HDR + 13 + st + db + 1;
            if (q + 5 + tail == len && memcmp(p + q, "BEGIN", 5) == 0)
                snprintf(query, qcap, "BEGIN");
            else if (q + 6 + tail <= len && memcmp(p + q, "XA END", 6) == 0)
                snprintf(query, qcap, "XA END");
        }
    }
    return true;
}

/* The checksum flag of a relay file's FDE (at offset 4). */
static bool file_checksum(int fd)
{
    uint8_t h[HDR], c;
    if (pread(fd, h, HDR, 4) != HDR)
        return false;
    uint64_t len = le(h + 9, 4);
    return h[4] == EV_FDE && len >= HDR + 57 + 5 && pread(fd, &c, 1, (off_t)(4 + len - 5)) == 1
           && c == 1;
}

/* A kill -9 leaves the events written after relay.meta (the writer flushes it every 100 ms)
 * in the file - readers may have applied them already. Keep every complete transaction
 * among them: relay.meta moves to the last transaction boundary (its GTID set with it), so
 * a failover to another server continues from the set the readers really reached, and only
 * the torn tail is cut. Before, the file was cut back to relay.meta and, after a source
 * failover, a subtask's checkpoint past it fell into the new server's copy of the file name
 * ("relay log file X is corrupt at offset N"). */
static int keep_tail(struct worker_relay *r, struct wstate *w, const char *path,
                     struct worker_terr *e)
{
    struct wstate t;
    struct bl_event ev;
    uint8_t *buf = NULL;
    size_t cap = 0;
    char query[8];
    bool checksum = file_checksum(w->fd);
    memset(&t, 0, sizeof t);
    snprintf(t.file, sizeof t.file, "%s", r->meta_file);
    t.end = r->meta_pos;
    snprintf(t.safe_file, sizeof t.safe_file, "%s", r->meta_file);
    t.safe_pos = r->meta_pos;
    snprintf(t.safe_gtid, sizeof t.safe_gtid, "%s", r->gtid);
    while (t.end < w->end && tail_event(w->fd, t.end, w->end, checksum, &buf, &cap, &ev, query,
                                        sizeof query)) {
        t.end += ev.raw_len + (checksum ? 4 : 0);
        txn_track(&t, &ev);
    }
    free(buf);
    if (t.safe_pos == r->meta_pos)
        return DM_OK;
    if (fdatasync(w->fd) != 0)
        return relay_err(e, TE_RELAY_WRITER_FILE, false, "fdatasync %s: %s", path,
                         strerror(errno)), DM_E_IO;
    int rc = relay_save_meta(r, t.safe_file, t.safe_pos, t.safe_gtid, e);
    if (rc)
        return rc;
    char a[64];
    snprintf(a, sizeof a, "%" PRIu64 " -> %" PRIu64, r->meta_pos, t.safe_pos);
    dm_log_kv(DM_LOG_WARN, "relay: kept the complete transactions written after relay.meta "
              "(a kill -9)", "file", path, "meta", a, "gtid", t.safe_gtid, NULL);
    pthread_mutex_lock(&r->mu);
    r->meta_pos = t.safe_pos;
    snprintf(r->gtid, sizeof r->gtid, "%s", t.safe_gtid);
    pthread_mutex_unlock(&r->mu);
    return DM_OK;
}

/* First session of the process: keep the complete transactions past the meta position
 * (keep_tail), then cut the current file back to it (a kill -9 may have left a torn event
 * or half a transaction; it is fetched again). */
static int recover(struct worker_relay *r, struct wstate *w, struct worker_terr *e)
{
    char path[4096];
    struct stat st;
    int rc = DM_OK;
    snprintf(w->file, sizeof w->file, "%s", r->meta_file);
    if (!w->file[0]) {                   /* a GTID start that wrote nothing vouched for */
        w->end = 0;
        return DM_OK;
    }
    if (!relay_path(r, r->nsubdirs - 1, w->file, path, sizeof path))
        return DM_E_INVAL;
    if (stat(path, &st) != 0) {
        w->end = 0;
        return DM_OK;
    }
    if ((uint64_t)st.st_size < r->meta_pos)
        return relay_err(e, 30024, false, "relay log file %s is shorter than the position in relay.meta",
                         path), DM_E_PARSE;
    if ((rc = open_file(r, w, e)))
        return rc;
    if (r->meta_pos > 4 && (rc = verify_file(path, w->fd, r->meta_pos, e)))
        return rc;
    if (w->end > r->meta_pos && r->meta_pos >= 4 && (rc = keep_tail(r, w, path, e)))
        return rc;
    if (w->end > r->meta_pos) {
        char a[64];
        snprintf(a, sizeof a, "%" PRIu64 " -> %" PRIu64, w->end, r->meta_pos);
        dm_log_kv(DM_LOG_WARN, "relay: truncating relay log file to relay.meta", "file", path,
                  "size", a, NULL);
        if (ftruncate(w->fd, (off_t)r->meta_pos) != 0 || fdatasync(w->fd) != 0)
            return relay_err(e, TE_RELAY_WRITER_FILE, false, "truncate %s: %s", path,
                             strerror(errno)), DM_E_IO;
        w->end = r->meta_pos;
    }
    if (w->end <= 4)
        close_file(w);                   /* written again from the FDE */
    return DM_OK;
}

/* A source of another uuid: the newest (now finished) sub-directory's file is cut back to
 * its relay.meta (the last transaction boundary) first, so readers crossing into the new
 * one never meet a torn event or half a transaction (unless they had read it already).
 * The meta fields are those of its relay.meta (kept as they were when it has none). */
static int finish_old(struct worker_relay *r, struct wstate *w, struct worker_terr *e)
{
    char file[256], gtid[1024];
    uint64_t pos = r->meta_pos;
    bool found = false;
    snprintf(file, sizeof file, "%s", r->meta_file);
    snprintf(gtid, sizeof gtid, "%s", r->gtid);
    close_file(w);
    int rc = load_meta(r, &found, e);
    if (rc == DM_OK && found)
        rc = recover(r, w, e);
    if (rc == DM_OK && found && r->meta_file[0] && r->meta_pos > 4)
        rc = relay_note_end(r, r->nsubdirs - 1, r->meta_file, r->meta_pos, e);
    close_file(w);
    w->file[0] = '\0';
    w->end = 0;
    if (!found) {   /* else the finished sub-directory's relay.meta (its GTID set: a GTID
                       start continues from it, also at process start) */
        snprintf(r->meta_file, sizeof r->meta_file, "%s", file);
        snprintf(r->gtid, sizeof r->gtid, "%s", gtid);
        r->meta_pos = pos;
    }
    return rc;
}

/* The sub-directory this process wrote (prev) is gone from server-uuid.index, or lost its
 * relay.meta: relay-dir (or a part of it) was deleted under the running worker. Starting a
 * new sub-directory then (at the source's current file, position 4) would leave a gap
 * between what the readers got and what the relay writes next, which a reader crossing into
 * it would skip silently: refused, named, until a restart (whose readers re-open their
 * checkpoint files by name: present again or `not found in relay-dir`). */
static int lost_dir(struct worker_relay *r, const char *prev, bool meta_missing,
                    struct worker_terr *e)
{
    bool listed = false;
    for (size_t i = 0; i < r->nsubdirs && !listed; i++)
        listed = strcmp(r->subdirs[i], prev) == 0;
    if (listed && !meta_missing)
        return DM_OK;
    relay_err(e, TE_RELAY_LOAD_META, false, "relay log directory %s lost %s while dm-worker "
              "ran (deleted by hand?): the relay does not start over at the source's current "
              "position, which would leave a gap for the subtasks reading it; restart "
              "dm-worker (a subtask then re-reads the relay from its checkpoint, or pauses "
              "naming the relay log file it lacks)", r->dir,
              listed ? "the relay.meta of its sub-directory" : "the sub-directory it writes");
    return DM_E_NOT_FOUND;
}

static int session_start(struct worker_relay *r, struct wstate *w, bool first,
                         struct worker_terr *e)
{
    char uuid[128], err[512] = "", prev[160] = "";
    bool found = false;
    int rc;
    pthread_mutex_lock(&r->mu);
    snprintf(prev, sizeof prev, "%s", r->wrote);   /* the sub-directory this process wrote */
    pthread_mutex_unlock(&r->mu);
    if ((rc = ensure_dir(r, e)))
        return rc;
    if (r->cfg.enable_gtid && r->binlog_gtid[0]) {   /* checked before anything is written */
        struct gtid_set gs;
        if (gtid_set_parse(r->binlog_gtid, &gs, err, sizeof err) != DM_OK) {
            worker_terr_set(e, TE_PARSE_GTID, WTE_CLASS_FUNCTIONAL, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "relay-binlog-gtid %s: parse GTID %s: %s",
                            r->binlog_gtid, r->binlog_gtid, err);
            return DM_E_PARSE;
        }
    }
    if ((rc = bl_source_uuid(&r->cfg.src, uuid, sizeof uuid, err, sizeof err)))
        return source_err(r, rc, "server uuid", err, e);
    pthread_mutex_lock(&r->mu);
    rc = load_index(r, e);
    bool switching = r->switch_pending;   /* switch-relay-master: a new sub-directory */
    pthread_mutex_unlock(&r->mu);
    if (rc)
        return rc;
    if (prev[0] && (rc = lost_dir(r, prev, false, e)))
        return rc;
    if (switching && r->nsubdirs)
        dm_log_kv(DM_LOG_INFO, "relay: switching the master server", "uuid", uuid, NULL);
    if (r->nsubdirs && !switching) {
        const char *last = r->subdirs[r->nsubdirs - 1];
        size_t ul = strlen(uuid);
        bool same = strncmp(last, uuid, ul) == 0 && last[ul] == '.';
        if (same && (rc = load_meta(r, &found, e)))
            return rc;
        if (same && !found && prev[0] && strcmp(last, prev) == 0 &&
            (rc = lost_dir(r, prev, true, e)))
            return rc;
    }
    if (!found && r->nsubdirs && (rc = finish_old(r, w, e)))
        return rc;
    if (!found) {
        if ((rc = add_subdir(r, uuid, e)))
            return rc;
        pthread_mutex_lock(&r->mu);
        r->switch_pending = false;
        pthread_mutex_unlock(&r->mu);
        first = true;
    }
    if (first) {
        close_file(w);
        w->in_txn = false;
        if ((rc = recover(r, w, e)))   /* may move relay.meta forward (keep_tail) */
            return rc;
        snprintf(w->safe_file, sizeof w->safe_file, "%s", r->meta_file);
        w->safe_pos = r->meta_pos;
        snprintf(w->safe_gtid, sizeof w->safe_gtid, "%s", r->gtid);
    }
    if (!w->safe_file[0] && !r->cfg.enable_gtid && r->nsubdirs < 2) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s", r->subdirs[r->nsubdirs - 1]);
        return relay_err(e, TE_RELAY_LOAD_META, false, "relay.meta of sub-directory %s starts "
                         "from a GTID set (no binlog-name) but enable-gtid is off", sub),
               DM_E_STATE;
    }
    pthread_mutex_lock(&r->mu);
    snprintf(r->wrote, sizeof r->wrote, "%s", r->subdirs[r->nsubdirs - 1]);
    pthread_mutex_unlock(&r->mu);
    publish(r, w);
    return DM_OK;
}

/* Where the source stream restarts: the end of what was written (an event boundary). */
static void resume_point(const struct wstate *w, char *file, size_t cap, uint64_t *pos)
{
    snprintf(file, cap, "%s", w->file);
    *pos = w->end >= 4 && w->fd >= 0 && w->end > 4 ? w->end : 4;
    if (*pos == 4 && w->safe_pos > 4 && strcmp(w->safe_file, w->file) == 0)
        *pos = w->safe_pos;              /* relay.meta past 4 in a file not written yet */
}

static bool should_run(struct worker_relay *r)
{
    pthread_mutex_lock(&r->mu);
    bool run = !r->stop && r->stage == WORKER_RELAY_RUNNING;
    pthread_mutex_unlock(&r->mu);
    return run;
}

static int read_loop(struct worker_relay *r, struct wstate *w, struct bl_reader *rd,
                     struct worker_terr *e)
{
    char err[512] = "";
    while (should_run(r)) {
        struct bl_event *ev = NULL;
        int64_t t0 = now_us();
        int rc = bl_reader_next(rd, 100, &ev, err, sizeof err);
        if (rc == DM_OK)
            relay_metrics_read((double)(now_us() - t0) / 1e6);
        else if (rc != DM_E_TIMEOUT && rc != DM_E_CANCELLED)
            relay_metrics_count(RELAY_M_READ_ERROR);
        if (rc == DM_E_TIMEOUT) {
            if ((rc = flush(r, w, e)))
                return rc;
            continue;
        }
        if (rc == DM_E_CANCELLED)
            return DM_OK;
        if (rc) {
            if (strstr(err, "(1236)") && w->gtid_gap)
                return relay_err(e, TE_RELAY_START_SYNC_GTID, false, "start sync from GTID set "
                                 "%s: %s", w->safe_gtid, err), DM_E_NOT_FOUND;
            if (strstr(err, "(1236)"))
                return relay_err(e, TE_RELAY_TCP_GET_EVENT, false,
                                 "the source purged binlog file %s that the relay still needs "
                                 "(or it does not exist): %s", w->file, err), DM_E_NOT_FOUND;
            return source_err(r, rc, "read binlog", err, e);
        }
        if ((rc = on_event(r, w, ev, e)))
            return rc;
        if (w->dirty && now_ms() - w->last_flush >= FLUSH_MS && (rc = flush(r, w, e)))
            return rc;
    }
    return DM_OK;
}

static int session(struct worker_relay *r, struct wstate *w, bool first, struct worker_terr *e)
{
    char file[256], err[512] = "";
    uint64_t pos;
    struct bl_reader *rd = NULL;
    int rc = session_start(r, w, first, e);
    if (rc)
        return rc;
    if (!w->file[0])
        snprintf(w->file, sizeof w->file, "%s", r->meta_file);
    resume_point(w, file, sizeof file, &pos);
    /* no safe point yet in a GTID sub-directory: (re)open by its GTID set */
    w->gtid_gap = !w->safe_file[0];
    w->want = w->gtid_gap ? 0 : pos;
    if (w->gtid_gap) {
        dm_log_kv(DM_LOG_INFO, "relay: reading the source from a GTID set", "gtid", w->safe_gtid,
                  NULL);
        rc = bl_reader_open_gtid(&r->cfg.src, w->safe_gtid, &rd, err, sizeof err);
    } else {
        rc = bl_reader_open(&r->cfg.src, file, pos, &rd, err, sizeof err);
    }
    if (rc) {
        if (strstr(err, "1236") && w->gtid_gap)
            return relay_err(e, TE_RELAY_START_SYNC_GTID, false, "start sync from GTID set %s: "
                             "%s", w->safe_gtid, err), DM_E_NOT_FOUND;
        if (strstr(err, "1236"))
            return relay_err(e, TE_RELAY_TCP_GET_EVENT, false,
                             "the source purged binlog file %s that the relay still needs (or it "
                             "does not exist): %s", file, err), DM_E_NOT_FOUND;
        return source_err(r, rc, "open binlog stream", err, e);
    }
    pthread_mutex_lock(&r->mu);
    r->reader = rd;
    r->has_err = false;
    bool stop = r->stop || r->stage != WORKER_RELAY_RUNNING;
    pthread_mutex_unlock(&r->mu);
    if (stop)
        bl_reader_close(rd);
    dm_log_kv(DM_LOG_INFO, "relay: reading the source", "binlog", file, NULL);
    rc = read_loop(r, w, rd, e);
    struct worker_terr e2;
    if (flush(r, w, rc ? &e2 : e) && !rc)
        rc = DM_E_IO;
    pthread_mutex_lock(&r->mu);
    r->reader = NULL;
    pthread_mutex_unlock(&r->mu);
    bl_reader_free(rd);
    return rc;
}

static void timed_wait(struct worker_relay *r, int64_t ms)
{
    struct timespec ts = dm_deadline_ms(ms);
    pthread_cond_timedwait(&r->cond, &r->mu, &ts);
}

static void *writer_main(void *arg)
{
    struct worker_relay *r = arg;
    struct wstate w;
    bool first = true;
    int64_t backoff = 1000;
    memset(&w, 0, sizeof w);
    w.fd = -1;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        if (r->stage != WORKER_RELAY_RUNNING) {
            pthread_cond_wait(&r->cond, &r->mu);
            continue;
        }
        r->writing = true;
        pthread_mutex_unlock(&r->mu);
        struct worker_terr e;
        memset(&e, 0, sizeof e);
        int rc = session(r, &w, first, &e);
        pthread_mutex_lock(&r->mu);
        r->writing = false;
        pthread_cond_broadcast(&r->cond);
        if (rc == DM_OK) {
            backoff = 1000;
            continue;
        }
        relay_metrics_count(RELAY_M_EXIT_ERROR);
        r->err = e;
        r->has_err = true;
        char msg[1200];
        worker_terr_string(&e, msg, sizeof msg);
        dm_log_kv(DM_LOG_ERROR, "relay: error", "error", msg, NULL);
        if (e.transient && !r->stop) {
            timed_wait(r, backoff);
            backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
        } else if (r->stage == WORKER_RELAY_RUNNING) {
            r->stage = WORKER_RELAY_PAUSED;  /* DM: the relay unit ends Paused with its error */
            first = true;                    /* a resume re-checks everything */
        }
    }
    pthread_mutex_unlock(&r->mu);
    close_file(&w);
    return NULL;
}

/* ---- purge (DM purger: files before the earliest active relay log) ---- */

static int cmp_sub(const struct worker_relay *r, const char *sub)
{
    for (size_t i = 0; i < r->nsubdirs; i++)
        if (strcmp(r->subdirs[i], sub) == 0)
            return (int)i;
    return -1;
}

bool relay_binlog_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && dot != n && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1) &&
           strcmp(n, RELAY_META) != 0 && !strchr(n, '/');
}

/* Remove binlog files of sub-directory i that sort before `before` (NULL: all) and, when
 * safe_time > 0, were modified before it. */
static int purge_dir(struct worker_relay *r, size_t i, const char *before, int64_t safe_time,
                     int *removed, struct worker_terr *e)
{
    char dir[4096], path[4400];
    DIR *d;
    struct dirent *de;
    if (!relay_path(r, i, NULL, dir, sizeof dir) || !(d = opendir(dir)))
        return DM_OK;
    while ((de = readdir(d))) {
        struct stat st;
        if (!relay_binlog_name(de->d_name) || (before && strcmp(de->d_name, before) >= 0))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0 || (safe_time > 0 && st.st_mtime >= safe_time))
            continue;
        if (unlink(path) != 0) {
            relay_err(e, 30041, false, "remove relay log file %s: %s", path, strerror(errno));
            closedir(d);
            return DM_E_IO;
        }
        (*removed)++;
        dm_log_kv(DM_LOG_INFO, "relay: purged", "file", path, NULL);
    }
    closedir(d);
    return DM_OK;
}

/* Purge everything before (sub, file), capped at the earliest active relay log. */
static int purge_before(struct worker_relay *r, size_t sub, const char *file, int64_t safe_time,
                        struct worker_terr *e)
{
    struct relay_active act;
    int rc = DM_OK, removed = 0;
    char cap_file[256];
    pthread_mutex_lock(&r->mu);
    if (r->purging) {
        pthread_mutex_unlock(&r->mu);
        relay_err(e, TE_RELAY_OTHER_PURGING, false, "%s is purging", "relay purger");
        return DM_E_STATE;
    }
    if (!r->file[0] || r->nsubdirs == 0) {
        pthread_mutex_unlock(&r->mu);
        relay_err(e, 30038, false, "no active relay log file found");
        return DM_E_STATE;
    }
    r->purging = true;
    /* active = the writer's file, or an earlier one a stream reads */
    size_t asub = r->nsubdirs - 1;
    snprintf(cap_file, sizeof cap_file, "%s", r->file);
    if (relay_streams_earliest(r, &act) &&
        (act.subdir < asub || (act.subdir == asub && strcmp(act.file, cap_file) < 0))) {
        asub = act.subdir;
        snprintf(cap_file, sizeof cap_file, "%s", act.file);
    }
    if (sub > asub || (sub == asub && file && strcmp(file, cap_file) > 0)) {
        sub = asub;
        file = cap_file;
    }
    for (size_t i = 0; i <= sub && rc == DM_OK; i++)
        rc = purge_dir(r, i, i == sub ? file : NULL, safe_time, &removed, e);
    r->purging = false;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int worker_relay_purge(struct worker_relay *r, const struct worker_relay_purge_req *q,
                       struct worker_terr *e)
{
    size_t sub;
    char file[256];
    unsigned long suffix = 0;
    if (q->filename && q->filename[0])    /* DM's "<base>|<sub-dir suffix>.<seq>" too */
        relay_pos_split(q->filename, file, sizeof file, &suffix);
    pthread_mutex_lock(&r->mu);
    sub = r->nsubdirs ? r->nsubdirs - 1 : 0;
    for (size_t i = 0; suffix && !(q->sub_dir && q->sub_dir[0]) && i < r->nsubdirs; i++)
        sub = relay_subdir_suffix(r->subdirs[i]) == suffix ? i : sub;
    if (q->filename && q->filename[0] && q->sub_dir && q->sub_dir[0]) {
        int i = cmp_sub(r, q->sub_dir);
        if (i < 0) {
            pthread_mutex_unlock(&r->mu);
            relay_err(e, 30040, false, "UUID %s not found in UUIDs of server-uuid.index",
                      q->sub_dir);
            return DM_E_NOT_FOUND;
        }
        sub = (size_t)i;
    }
    pthread_mutex_unlock(&r->mu);
    if (q->inactive)
        return purge_before(r, SIZE_MAX, NULL, 0, e);
    if (q->time > 0)
        return purge_before(r, SIZE_MAX, NULL, q->time, e);
    if (q->filename && q->filename[0]) {
        if (!relay_binlog_name(file)) {
            relay_err(e, 30004, false, "binlog filename %s not valid", q->filename);
            return DM_E_INVAL;
        }
        return purge_before(r, sub, file, 0, e);
    }
    relay_err(e, TE_RELAY_PURGE_REQUEST, false,
              "request %s not valid: one of inactive, time or filename is required",
              "PurgeRelay");
    return DM_E_INVAL;
}

static void auto_purge(struct worker_relay *r)
{
    struct worker_terr e;
    int rc = DM_OK;
    if (r->cfg.purge_expires_h > 0) {
        rc = purge_before(r, SIZE_MAX, NULL, (int64_t)time(NULL) - r->cfg.purge_expires_h * 3600,
                          &e);
    }
    if (rc == DM_OK && r->cfg.purge_remain_space_gb > 0) {
        struct statvfs vs;
        if (statvfs(r->dir, &vs) == 0 &&
            (uint64_t)vs.f_bavail * vs.f_frsize < (uint64_t)r->cfg.purge_remain_space_gb << 30)
            rc = purge_before(r, SIZE_MAX, NULL, 0, &e);
    }
    if (rc) {
        char msg[1200];
        worker_terr_string(&e, msg, sizeof msg);
        dm_log_kv(DM_LOG_WARN, "relay: auto purge", "error", msg, NULL);
    }
}

static void *purger_main(void *arg)
{
    struct worker_relay *r = arg;
    int64_t interval = r->cfg.purge_interval_s > 0 ? r->cfg.purge_interval_s : 3600;
    int64_t next = now_ms() + interval * 1000;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        timed_wait(r, 1000);
        if (r->stop || now_ms() < next)
            continue;
        next = now_ms() + interval * 1000;
        pthread_mutex_unlock(&r->mu);
        auto_purge(r);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- lifecycle and operations ---- */

static void holds_load(struct worker_relay *r);

static char *dup0(const char *s)
{
    return strdup(s ? s : "");
}

int worker_relay_new(const struct worker_relay_cfg *cfg, struct worker_relay **out)
{
    struct worker_relay *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return DM_E_NOMEM;
    r->cfg = *cfg;
    r->dir = dup0(cfg->dir);
    r->host = dup0(cfg->src.host);
    r->user = dup0(cfg->src.user);
    r->password = dup0(cfg->src.password);
    r->binlog_name = dup0(cfg->binlog_name);
    r->binlog_gtid = dup0(cfg->binlog_gtid);
    r->cfg.src.host = r->host;
    r->cfg.src.user = r->user;
    r->cfg.src.password = r->password;
    r->cfg.src.relay = true;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    pthread_cond_init(&r->data_cond, NULL);
    r->lock_fd = -1;
    r->stage = WORKER_RELAY_RUNNING;
    if (!r->dir || !r->host || !r->user || !r->password || !r->binlog_name || !r->binlog_gtid) {
        worker_relay_free(r);
        return DM_E_NOMEM;
    }
    holds_load(r);
    if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
        r->stage = WORKER_RELAY_NEW;
        worker_relay_free(r);
        return DM_E_INTERNAL;
    }
    if (pthread_create(&r->purger, NULL, purger_main, r) != 0) {
        worker_relay_free(r);
        return DM_E_INTERNAL;
    }
    r->stage = r->stage == WORKER_RELAY_NEW ? WORKER_RELAY_RUNNING : r->stage;
    *out = r;
    return DM_OK;
}

int relay_open_offline(const char *dir, struct worker_relay **out, struct worker_terr *e)
{
    struct worker_relay *r = calloc(1, sizeof *r);
    struct wstate w;
    bool found = false;
    int rc = DM_OK;
    *out = NULL;
    if (!r)
        return DM_E_NOMEM;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    pthread_cond_init(&r->data_cond, NULL);
    r->lock_fd = -1;
    r->stage = WORKER_RELAY_NEW;                 /* no threads: free joins none */
    r->dir = dup0(dir);
    r->host = dup0("");
    r->user = dup0("");
    r->password = dup0("");
    r->binlog_name = dup0("");
    r->binlog_gtid = dup0("");
    if (!r->dir || !r->host || !r->user || !r->password || !r->binlog_name || !r->binlog_gtid) {
        worker_relay_free(r);
        return DM_E_NOMEM;
    }
    holds_load(r);
    memset(&w, 0, sizeof w);
    w.fd = -1;
    rc = load_index(r, e);
    if (rc == DM_OK && r->nsubdirs)
        rc = load_meta(r, &found, e);
    if (rc == DM_OK && found)
        rc = recover(r, &w, e);
    if (rc == DM_OK && found)
        publish(r, &w);
    close_file(&w);
    *out = r;
    return rc;
}

void worker_relay_free(struct worker_relay *r)
{
    if (!r)
        return;
    bool started = r->stage != WORKER_RELAY_NEW;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    if (r->reader)
        bl_reader_close(r->reader);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    if (started) {
        pthread_join(r->thread, NULL);
        if (r->purger)
            pthread_join(r->purger, NULL);
    }
    free_subdirs(r);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cond);
    pthread_cond_destroy(&r->data_cond);
    free(r->dir);
    free(r->host);
    free(r->user);
    free(r->password);
    free(r->binlog_name);
    free(r->binlog_gtid);
    free(r->holds_saved);
    free(r);
}

static int stage_err(struct worker_relay *r, enum worker_relay_stage need, const char *op,
                     struct worker_terr *e)
{
    worker_terr_set(e, TE_WORKER_RELAY_STAGE, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL,
                    WTE_LEVEL_HIGH, "current stage is %s, %s required, relay op %s",
                    stage_names[r->stage], stage_names[need], op);
    return DM_E_STATE;
}

int worker_relay_pause(struct worker_relay *r, struct worker_terr *e)
{
    int rc = DM_OK;
    pthread_mutex_lock(&r->mu);
    if (r->stage != WORKER_RELAY_RUNNING) {
        rc = stage_err(r, WORKER_RELAY_RUNNING, "PauseRelay", e);
    } else {
        r->stage = WORKER_RELAY_PAUSED;
        if (r->reader)
            bl_reader_close(r->reader);
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int worker_relay_resume(struct worker_relay *r, struct worker_terr *e)
{
    int rc = DM_OK;
    pthread_mutex_lock(&r->mu);
    if (r->stage != WORKER_RELAY_PAUSED) {
        rc = stage_err(r, WORKER_RELAY_PAUSED, "ResumeRelay", e);
    } else {
        r->stage = WORKER_RELAY_RUNNING;
        r->has_err = false;
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int worker_relay_switch_master(struct worker_relay *r, struct worker_terr *e)
{
    int rc;
    pthread_mutex_lock(&r->mu);
    if (!r->cfg.enable_gtid) {
        relay_err(e, TE_RELAY_SWITCH_NEED_GTID, false,
                  "can only switch relay's master server when GTID enabled");
        rc = DM_E_STATE;
    } else if (r->stage != WORKER_RELAY_PAUSED) {
        rc = stage_err(r, WORKER_RELAY_PAUSED, "switch master", e);
    } else {
        /* DM's reSetupMeta, done by the writer at resume-relay: a new sub-directory for the
         * configured source (even of the same uuid), read from the relay's GTID set */
        r->switch_pending = true;
        rc = DM_OK;
        dm_log_kv(DM_LOG_INFO, "relay: switch-relay-master: a new sub-directory at resume",
                  "gtid", r->gtid, NULL);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void relay_hold_drop(struct worker_relay *r, const char *owner)
{
    for (size_t i = 0; i < r->nholds; i++) {
        if (strcmp(r->holds[i].owner, owner) == 0) {
            r->holds[i] = r->holds[--r->nholds];
            return;
        }
    }
}

/* ---- holds kept across a restart (<relay-dir>/relay.holds: owner TAB sub-dir TAB file) ---- */

#define RELAY_HOLDS "relay.holds"

/* Write the holds when they changed since the last write (under mu). A subtask restored
 * Paused by a restart opens no reader until it is resumed: without this its checkpoint's
 * files were not held and purge-relay / the auto purger removed them (the resume then
 * failed `... not found in relay-dir`). Failure: logged, the holds stay in memory. */
static void holds_save(struct worker_relay *r)
{
    char path[4096], *text;
    size_t cap = 1 + r->nholds * (128 + 160 + 256 + 3), off = 0;
    if (!(text = malloc(cap)))
        return;
    text[0] = '\0';
    for (size_t i = 0; i < r->nholds; i++)
        if (r->holds[i].subdir < r->nsubdirs)
            off += (size_t)snprintf(text + off, cap - off, "%s\t%s\t%s\n", r->holds[i].owner,
                                    r->subdirs[r->holds[i].subdir], r->holds[i].file);
    if (r->holds_saved && strcmp(r->holds_saved, text) == 0) {
        free(text);
        return;
    }
    snprintf(path, sizeof path, "%s/%s", r->dir, RELAY_HOLDS);
    if (write_atomic(r->dir, path, text) != 0) {
        dm_log_kv(DM_LOG_WARN, "relay: write relay.holds", "error", strerror(errno), NULL);
        free(text);
        return;
    }
    free(r->holds_saved);
    r->holds_saved = text;
}

/* At start: the holds of the last run (sub-directories by name; gone ones are skipped). */
static void holds_load(struct worker_relay *r)
{
    char path[4096], line[700];
    struct worker_terr e;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", r->dir, RELAY_HOLDS);
    if (!(f = fopen(path, "r")))
        return;
    memset(&e, 0, sizeof e);
    if (load_index(r, &e) != DM_OK) {
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f) && r->nholds < RELAY_MAX_STREAMS) {
        char *owner = line, *sub = strchr(line, '\t'), *file;
        if (!sub || !(file = strchr(sub + 1, '\t')))
            continue;
        *sub++ = '\0';
        *file++ = '\0';
        file[strcspn(file, "\r\n")] = '\0';
        for (size_t i = 0; i < r->nsubdirs; i++)
            if (strcmp(r->subdirs[i], sub) == 0 && strlen(owner) < 128 && strlen(file) < 256 &&
                relay_binlog_name(file)) {
                struct relay_hold *h = &r->holds[r->nholds++];
                memcpy(h->owner, owner, strlen(owner) + 1);   /* lengths checked above */
                memcpy(h->file, file, strlen(file) + 1);
                h->subdir = i;
                dm_log_kv(DM_LOG_INFO, "relay: hold of the last run kept", "owner", owner,
                          "sub-dir", sub, "file", file, NULL);
                break;
            }
    }
    fclose(f);
}

void worker_relay_hold(struct worker_relay *r, const char *owner, const char *file)
{
    pthread_mutex_lock(&r->mu);
    relay_hold_drop(r, owner);
    if (file && file[0] && r->nholds < RELAY_MAX_STREAMS && strlen(owner) < 128 &&
        strlen(file) < 256) {
        struct relay_hold *h = &r->holds[r->nholds++];
        memcpy(h->owner, owner, strlen(owner) + 1);
        memcpy(h->file, file, strlen(file) + 1);
        h->subdir = r->nsubdirs ? r->nsubdirs - 1 : 0;
    } else if (file && file[0]) {
        dm_log_kv(DM_LOG_WARN, "relay: hold not kept (too many)", "owner", owner, "file", file,
                  NULL);
    }
    holds_save(r);
    pthread_mutex_unlock(&r->mu);
}

void worker_relay_status(struct worker_relay *r, struct worker_relay_status *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&r->mu);
    st->stage = r->stage;
    if (r->nsubdirs)
        snprintf(st->sub_dir, sizeof st->sub_dir, "%s", r->subdirs[r->nsubdirs - 1]);
    snprintf(st->file, sizeof st->file, "%s", r->file);
    st->pos = r->end;
    snprintf(st->gtid, sizeof st->gtid, "%s", r->gtid);
    st->has_err = r->has_err;
    st->err = r->err;
    pthread_mutex_unlock(&r->mu);
}

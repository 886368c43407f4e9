/* relay_stream.c - the local streamer (DM pkg/streamer): a bl_feed over the relay files,
 * bounded by what the writer published, following ROTATE events to the next file and, at
 * the end of the last file of a sub-directory that is no longer the newest, crossing into
 * the next sub-directory (DM's needSwitchSubDir) with an artificial ROTATE to its first
 * file. Contract: relay.h worker_relay_open_reader. */
#include "relay_int.h"
#include "relay_pos.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dm_error.h"
#include "log.h"
#include "dm_time.h"

#define HDR 19
#define EV_STOP 3
#define EV_ROTATE 4
#define EV_FDE 15
#define EV_GTID 162
#define RELAY_LOG_F 0x40              /* the relay writer's gap filler (relay.c fill_gap) */
#define MAX_EVENT (1100u * 1024u * 1024u)
#define READ_AHEAD (128u * 1024u)     /* bytes read at once below the limit */

struct relay_stream {
    struct worker_relay *r;
    size_t subdir;
    char file[256];               /* guarded by r->mu for the purge rule */
    int fd;
    uint64_t off;
    uint64_t start;               /* first event position in the first file */
    bool need_fde;                /* emit the file's FDE first */
    char next_file[256];          /* set by a ROTATE read: switch at the next call */
    size_t next_subdir;           /* with next_file: the sub-directory to switch to */
    uint32_t server_id;           /* of the last FDE (for the artificial ROTATE) */
    bool checksum;                /* CRC32 per the FDE */
    int last_type;                /* type of the last event read in this file (0: none yet) */
    uint8_t *buf;
    size_t cap;
    uint8_t *ra;                  /* read-ahead window: file bytes [ra_off, ra_off + ra_len) */
    uint64_t ra_off;
    size_t ra_len;
    atomic_bool closed;
};

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

bool relay_streams_earliest(struct worker_relay *r, struct relay_active *out)
{
    bool any = false;
    for (size_t i = 0; i < r->nstreams; i++) {
        const struct relay_stream *s = r->streams[i];
        if (!any || s->subdir < out->subdir ||
            (s->subdir == out->subdir && strcmp(s->file, out->file) < 0)) {
            out->subdir = s->subdir;
            snprintf(out->file, sizeof out->file, "%s", s->file);
            any = true;
        }
    }
    for (size_t i = 0; i < r->nholds; i++) {
        const struct relay_hold *h = &r->holds[i];
        if (!any || h->subdir < out->subdir ||
            (h->subdir == out->subdir && strcmp(h->file, out->file) < 0)) {
            out->subdir = h->subdir;
            snprintf(out->file, sizeof out->file, "%s", h->file);
            any = true;
        }
    }
    return any;
}

static int grow(struct relay_stream *s, size_t n)
{
    if (n <= s->cap)
        return DM_OK;
    uint8_t *nb = realloc(s->buf, n);
    if (!nb)
        return DM_E_NOMEM;
    s->buf = nb;
    s->cap = n;
    return DM_OK;
}

/* Open s->file of s->subdir. DM_OK, DM_E_NOT_FOUND (missing), DM_E_IO. */
static int open_file(struct relay_stream *s, char *err, size_t cap)
{
    char path[4096];
    pthread_mutex_lock(&s->r->mu);
    bool ok = relay_path(s->r, s->subdir, s->file, path, sizeof path);
    bool listed = s->subdir < s->r->nsubdirs;
    pthread_mutex_unlock(&s->r->mu);
    if (!ok) {       /* no sub-directory yet (the writer's first session has not run) */
        snprintf(err, cap, "relay log file %s: %s", s->file,
                 listed ? "path too long" : "no relay sub-directory yet");
        return listed ? DM_E_INVAL : DM_E_NOT_FOUND;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->ra_len = 0;
    s->fd = open(path, O_RDONLY);
    if (s->fd < 0) {
        snprintf(err, cap, "open relay log file %s: %s", path, strerror(errno));
        return errno == ENOENT ? DM_E_NOT_FOUND : DM_E_IO;
    }
    return DM_OK;
}

/* How far the file may be read: the writer's published end for its current file, the
 * file size for earlier (complete) ones. */
static uint64_t limit_of(struct relay_stream *s, bool *complete)
{
    struct worker_relay *r = s->r;
    struct stat st;
    uint64_t lim;
    pthread_mutex_lock(&r->mu);
    bool current = s->subdir + 1 == r->nsubdirs && strcmp(s->file, r->file) == 0;
    lim = r->end;
    bool ready = r->file[0] != '\0';
    pthread_mutex_unlock(&r->mu);
    *complete = false;
    if (current || !ready)
        return current ? lim : 0;
    if (fstat(s->fd, &st) != 0)
        return 0;
    *complete = true;
    return (uint64_t)st.st_size;
}

/* n bytes of the file at off (off + n <= lim) into dst: from the read-ahead window,
 * refilled with one pread of up to READ_AHEAD bytes, never past lim (what the writer
 * published; the bytes below it do not change). Events larger than the window are read
 * directly. false on a short read. */
static bool read_at(struct relay_stream *s, uint64_t off, size_t n, uint64_t lim, uint8_t *dst)
{
    if (s->ra_len && off >= s->ra_off && off + n <= s->ra_off + s->ra_len) {
        memcpy(dst, s->ra + (off - s->ra_off), n);
        return true;
    }
    if (n > READ_AHEAD / 2)
        return pread(s->fd, dst, n, (off_t)off) == (ssize_t)n;
    if (!s->ra && !(s->ra = malloc(READ_AHEAD)))
        return pread(s->fd, dst, n, (off_t)off) == (ssize_t)n;
    size_t want = lim - off < READ_AHEAD ? (size_t)(lim - off) : READ_AHEAD;
    ssize_t k = pread(s->fd, s->ra, want, (off_t)off);
    s->ra_len = k > 0 ? (size_t)k : 0;
    s->ra_off = off;
    if (s->ra_len < n)
        return false;
    memcpy(dst, s->ra, n);
    return true;
}

/* Read the event at s->off if complete below `lim`: DM_OK (in buf, *len), DM_E_TIMEOUT
 * (not there yet), DM_E_PARSE (corrupt). */
static int read_event(struct relay_stream *s, uint64_t lim, size_t *len, char *err, size_t cap)
{
    uint8_t h[HDR];
    if (s->off + HDR > lim)
        return DM_E_TIMEOUT;
    if (!read_at(s, s->off, HDR, lim, h))
        goto bad;
    uint64_t n = le(h + 9, 4);
    if (n < HDR || n > MAX_EVENT)
        goto bad;
    if (s->off + n > lim)
        return DM_E_TIMEOUT;
    if (grow(s, (size_t)n) != DM_OK)
        return DM_E_NOMEM;
    if (!read_at(s, s->off, (size_t)n, lim, s->buf))
        goto bad;
    if (s->checksum && h[4] != EV_FDE) {
        uint32_t want = (uint32_t)le(s->buf + n - 4, 4);
        if ((uint32_t)crc32(0L, s->buf, (uInt)(n - 4)) != want) {
            snprintf(err, cap, "relay log file %s: checksum mismatch in the event at %" PRIu64,
                     s->file, s->off);
            return DM_E_PARSE;
        }
    }
    *len = (size_t)n;
    return DM_OK;
bad:
    snprintf(err, cap, "relay log file %s is corrupt at offset %" PRIu64, s->file, s->off);
    return DM_E_PARSE;
}

/* The FDE at position 4: emitted with log_pos 0 when the stream starts past it (the
 * server does the same), so the decoder keeps the start position. Sets s->off to where
 * the stream continues. */
static int emit_fde(struct relay_stream *s, uint64_t lim, size_t *len, char *err, size_t cap)
{
    s->off = 4;
    int rc = read_event(s, lim, len, err, cap);
    if (rc)
        return rc;
    if (s->buf[4] != EV_FDE) {
        snprintf(err, cap, "relay log file %s: no FORMAT_DESCRIPTION event at 4", s->file);
        return DM_E_PARSE;
    }
    /* checksum algorithm: the byte before the FDE's 4-byte CRC */
    s->checksum = *len >= HDR + 57 + 5 && s->buf[*len - 5] == 1;
    s->server_id = (uint32_t)le(s->buf + 5, 4);
    if (s->start > 4 + *len) {
        memset(s->buf + 13, 0, 4);
        s->off = s->start;
    } else {
        s->off = 4 + *len;
    }
    s->need_fde = false;
    return DM_OK;
}

static void wait_publish(struct relay_stream *s, uint64_t seq, int timeout_ms)
{
    struct worker_relay *r = s->r;
    int ms = timeout_ms <= 0 ? 1 : timeout_ms > 200 ? 200 : timeout_ms;
    struct timespec ts = dm_deadline_ms(ms);
    pthread_mutex_lock(&r->mu);
    if (r->seq == seq && !atomic_load(&s->closed))
        pthread_cond_timedwait(&r->data_cond, &r->mu, &ts);
    pthread_mutex_unlock(&r->mu);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open the file to read (after a ROTATE: the next one from position 4); DM_E_TIMEOUT
 * while the writer has not created it. */
static int ensure_open(struct relay_stream *s, char *err, size_t cap)
{
    if (s->next_file[0]) {
        pthread_mutex_lock(&s->r->mu);
        snprintf(s->file, sizeof s->file, "%s", s->next_file);
        s->subdir = s->next_subdir;
        pthread_mutex_unlock(&s->r->mu);
        s->next_file[0] = '\0';
        s->start = 4;
        s->need_fde = true;
        s->last_type = 0;
        if (s->fd >= 0)
            close(s->fd);
        s->fd = -1;
        s->ra_len = 0;
    }
    if (s->fd >= 0)
        return DM_OK;
    int rc = open_file(s, err, cap);
    return rc == DM_E_NOT_FOUND ? DM_E_TIMEOUT : rc;
}

static void note_rotate(struct relay_stream *s, size_t len)
{
    size_t tail = s->checksum ? 4 : 0;
    if (s->buf[4] != EV_ROTATE || len <= HDR + 8 + tail)
        return;
    size_t nl = len - HDR - 8 - tail;
    if (nl >= sizeof s->next_file)
        nl = sizeof s->next_file - 1;
    memcpy(s->next_file, s->buf + HDR + 8, nl);
    s->next_file[nl] = '\0';
    s->next_subdir = s->subdir;
}

/* The smallest binlog file name in sub-directory `sub` into out; false when none yet (the
 * writer creates the sub-directory before its first file). */
/* The smallest binlog file name in directory `path` into out (false: none). */
static bool smallest_binlog(const char *path, char *out, size_t cap)
{
    bool any = false;
    DIR *d = opendir(path);
    if (!d)
        return false;
    for (struct dirent *de; (de = readdir(d));) {
        if (!relay_binlog_name(de->d_name) || strlen(de->d_name) >= cap)
            continue;
        if (!any || strcmp(de->d_name, out) < 0)
            snprintf(out, cap, "%s", de->d_name);
        any = true;
    }
    closedir(d);
    return any;
}

static bool first_binlog(struct worker_relay *r, size_t sub, char *out, size_t cap)
{
    char path[4096];
    pthread_mutex_lock(&r->mu);
    bool ok = relay_path(r, sub, NULL, path, sizeof path);
    pthread_mutex_unlock(&r->mu);
    return ok && smallest_binlog(path, out, cap);
}

/* The smallest binlog file name in sub-directory `sub` after `after` (false: none). */
static bool next_binlog(struct worker_relay *r, size_t sub, const char *after, char *out,
                        size_t cap)
{
    char path[4096];
    bool any = false;
    pthread_mutex_lock(&r->mu);
    bool ok = relay_path(r, sub, NULL, path, sizeof path);
    pthread_mutex_unlock(&r->mu);
    DIR *d = ok ? opendir(path) : NULL;
    if (!d)
        return false;
    for (struct dirent *de; (de = readdir(d));) {
        if (!relay_binlog_name(de->d_name) || strlen(de->d_name) >= cap ||
            strcmp(de->d_name, after) <= 0)
            continue;
        if (!any || strcmp(de->d_name, out) < 0)
            snprintf(out, cap, "%s", de->d_name);
        any = true;
    }
    closedir(d);
    return any;
}

/* An artificial ROTATE (log_pos 0, LOG_EVENT_ARTIFICIAL_F) to `name` at 4 into buf; the
 * stream switches to it (in sub-directory `sub`) at the next call. */
static int artificial_rotate(struct relay_stream *s, const char *name, size_t sub, size_t *len)
{
    size_t nl = strlen(name), tail = s->checksum ? 4 : 0, n = HDR + 8 + nl + tail;
    if (grow(s, n) != DM_OK)
        return DM_E_NOMEM;
    uint8_t *p = s->buf;
    memset(p, 0, HDR + 8);
    p[4] = EV_ROTATE;
    for (int i = 0; i < 4; i++) {
        p[5 + i] = (uint8_t)(s->server_id >> (8 * i));
        p[9 + i] = (uint8_t)(n >> (8 * i));
    }
    p[17] = 0x20;                                /* LOG_EVENT_ARTIFICIAL_F, log_pos 0 */
    p[HDR] = 4;                                  /* position 4 */
    memcpy(p + HDR + 8, name, nl);
    if (tail) {
        uint32_t c = (uint32_t)crc32(0L, p, (uInt)(n - 4));
        for (int i = 0; i < 4; i++)
            p[n - 4 + i] = (uint8_t)(c >> (8 * i));
    }
    snprintf(s->next_file, sizeof s->next_file, "%s", name);
    s->next_subdir = sub;
    *len = n;
    return DM_OK;
}

/* The type of the last event of the file at fd (headers walked from 4 up to size); 0 when
 * the walk does not end exactly at size. */
static int last_event_type(int fd, uint64_t size)
{
    uint8_t h[HDR];
    uint64_t off = 4;
    int type = 0;
    while (off < size && pread(fd, h, HDR, (off_t)off) == HDR) {
        uint64_t len = le(h + 9, 4);
        if (len < HDR)
            return 0;
        type = h[4];
        off += len;
    }
    return off == size ? type : 0;
}

/* relay.ends of sub-directory `sub` records `file` finished at exactly `size`. */
static bool end_recorded(struct worker_relay *r, size_t sub, const char *file, uint64_t size)
{
    char path[4096], line[320];
    bool ok = false;
    pthread_mutex_lock(&r->mu);
    bool fits = relay_path(r, sub, RELAY_ENDS, path, sizeof path);
    pthread_mutex_unlock(&r->mu);
    FILE *f = fits ? fopen(path, "r") : NULL;
    if (!f)
        return false;
    size_t fl = strlen(file);
    while (!ok && fgets(line, sizeof line, f)) {
        char *end = NULL;
        if (strncmp(line, file, fl) != 0 || line[fl] != '\t')
            continue;
        errno = 0;
        unsigned long long v = strtoull(line + fl + 1, &end, 10);
        ok = errno == 0 && end != line + fl + 1 && (*end == '\n' || *end == '\0') && v == size;
    }
    fclose(f);
    return ok;
}

/* relay.meta of sub-directory `sub` (a finished one) names `file` at exactly `size`: the
 * writer cut its last file there when the source changed (relay.c finish_old). */
static bool meta_says(struct worker_relay *r, size_t sub, const char *file, uint64_t size)
{
    char path[4096], line[400], name[256] = "";
    unsigned long long pos = 0;
    pthread_mutex_lock(&r->mu);
    bool fits = relay_path(r, sub, RELAY_META, path, sizeof path);
    pthread_mutex_unlock(&r->mu);
    FILE *f = fits ? fopen(path, "r") : NULL;
    if (!f)
        return false;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "binlog-name = \"%255[^\"]\"", name) != 1)
            (void)sscanf(line, "binlog-pos = %llu", &pos);
    }
    fclose(f);
    return strcmp(name, file) == 0 && pos == size;
}

/* The stream is at the end (`lim`, the file's size) of a finished file that had no ROTATE
 * (the caller goes on with the next file or sub-directory). That end must be vouched for:
 * a STOP event (the source restarted), relay.ends (the writer saw the source go on with its
 * next file there: a crash), or the finished sub-directory's relay.meta. Else the file was
 * cut (by hand, or a file system that lost its tail) and going on would skip the rest of
 * the source's file silently: DM_E_PARSE naming it. Also a stream past the end (the file
 * got shorter than where it reads). DM_OK when vouched for. */
static int end_vouched(struct relay_stream *s, uint64_t lim, char *err, size_t cap)
{
    char sub[160];
    bool older;
    pthread_mutex_lock(&s->r->mu);
    snprintf(sub, sizeof sub, "%s", s->subdir < s->r->nsubdirs ? s->r->subdirs[s->subdir] : "");
    older = s->subdir + 1 < s->r->nsubdirs;
    pthread_mutex_unlock(&s->r->mu);
    if (s->off > lim) {
        snprintf(err, cap, "relay log file %s (sub-directory %s) has %" PRIu64 " bytes, less "
                 "than the position %" PRIu64 " this subtask reads from (cut by hand?): the "
                 "rest of the source's file is not in the relay", s->file, sub, lim, s->off);
        return DM_E_PARSE;
    }
    if (s->off < lim) {
        snprintf(err, cap, "relay log file %s ends inside an event at offset %" PRIu64
                 " (the file is finished)", s->file, s->off);
        return DM_E_PARSE;
    }
    if (s->last_type == EV_STOP || end_recorded(s->r, s->subdir, s->file, lim) ||
        (older && meta_says(s->r, s->subdir, s->file, lim)))
        return DM_OK;
    if (s->last_type == 0 && last_event_type(s->fd, lim) == EV_STOP)
        return DM_OK;
    snprintf(err, cap, "relay log file %s (sub-directory %s) ends at %" PRIu64 " without a "
             "ROTATE event, and the relay did not finish it there (no STOP event, not where "
             "the source went on with its next file or the sub-directory ended): the file was "
             "cut (by hand?) and the rest of the source's file is not in the relay; restore "
             "it, or stop dm-worker, remove the relay sub-directory and start it with "
             "relay-binlog-name = %s (the source must still have it), or add \"%s<TAB>%" PRIu64
             "\" to %s/%s/" RELAY_ENDS " when the source's file really ends there",
             s->file, sub, lim, s->file, s->file, lim, s->r->dir, sub);
    return DM_E_PARSE;
}

/* DM's parseDir: every file of the sub-directory is read in order, whether or not the one
 * before ended with a ROTATE. A source restart ends its binlog with a STOP event (no ROTATE)
 * and the server then sends the next file: at the end of such a finished file (not the
 * writer's) the stream goes on with the next file of the same sub-directory, announced by
 * an artificial ROTATE. DM_E_TIMEOUT when not at the end of a finished file or no later file
 * exists. */
static int next_file_same_subdir(struct relay_stream *s, size_t *len, char *err, size_t cap)
{
    char name[256];
    bool complete;
    if (s->fd < 0 || s->next_file[0] || s->need_fde)
        return DM_E_TIMEOUT;
    uint64_t lim = limit_of(s, &complete);
    if (!complete || !next_binlog(s->r, s->subdir, s->file, name, sizeof name))
        return DM_E_TIMEOUT;
    int rc = end_vouched(s, lim, err, cap);
    if (rc != DM_OK)
        return rc;
    dm_log_kv(DM_LOG_INFO, "relay reader: file ends without a ROTATE, next file", "binlog",
              s->file, "next", name, NULL);
    return artificial_rotate(s, name, s->subdir, len);
}

/* At the end of what it can read: the open file was removed (relay-dir deleted by hand
 * while the worker ran; purge never removes a file a reader is in). Its end is then not
 * the end of the source's file, and going on with the next file (or a sub-directory the
 * writer starts again) would skip the rest: DM_E_NOT_FOUND naming it, else DM_E_TIMEOUT. */
static int removed_under(struct relay_stream *s, char *err, size_t cap)
{
    struct stat st;
    if (s->fd < 0 || s->next_file[0] || fstat(s->fd, &st) != 0 || st.st_nlink > 0)
        return DM_E_TIMEOUT;
    snprintf(err, cap, "relay log file %s was removed while this subtask read it (at offset %"
             PRIu64 "; relay-dir deleted or cleaned by hand?): the rest of the source's file is "
             "not in the relay; restart dm-worker, then resume the task (it re-reads the relay "
             "from its checkpoint, or pauses naming the file the relay lacks)", s->file, s->off);
    return DM_E_NOT_FOUND;
}

/* DM's needSwitchSubDir: the stream is at the end of a finished file (or its ROTATE named a
 * file never written there) of a sub-directory that is not the newest. Then the artificial
 * ROTATE to the next sub-directory's first file at 4 is built in buf (the file is switched
 * at the next call) and DM_OK returned; DM_E_TIMEOUT when not (yet); DM_E_PARSE when the
 * finished file ends inside an event. */
static int cross_subdir(struct relay_stream *s, size_t *len, char *err, size_t cap)
{
    struct worker_relay *r = s->r;
    char name[256];
    pthread_mutex_lock(&r->mu);
    bool older = s->subdir + 1 < r->nsubdirs;
    pthread_mutex_unlock(&r->mu);
    if (!older)
        return DM_E_TIMEOUT;
    if (s->fd >= 0) {
        bool complete;
        uint64_t lim = limit_of(s, &complete);
        if (!complete)
            return DM_E_TIMEOUT;
        int rc = s->need_fde ? DM_E_TIMEOUT : end_vouched(s, lim, err, cap);
        if (rc != DM_OK)
            return rc;
    }
    size_t next = s->subdir + 1;
    while (!first_binlog(r, next, name, sizeof name)) {
        pthread_mutex_lock(&r->mu);
        bool newest = next + 1 >= r->nsubdirs;
        pthread_mutex_unlock(&r->mu);
        if (newest)
            return DM_E_TIMEOUT;
        next++;                          /* a GTID sub-directory left before its first file */
    }
    int rc = artificial_rotate(s, name, next, len);
    if (rc != DM_OK)
        return rc;
    pthread_mutex_lock(&r->mu);
    char from[160], to[160];
    snprintf(from, sizeof from, "%s", r->subdirs[s->subdir]);
    snprintf(to, sizeof to, "%s", r->subdirs[next]);
    pthread_mutex_unlock(&r->mu);
    dm_log_kv(DM_LOG_INFO, "relay reader: next sub-directory", "from", from, "to", to,
              "binlog", name, NULL);
    return DM_OK;
}

static int feed_next(void *ctx, int timeout_ms, const uint8_t **ev, size_t *len, char *err,
                     size_t cap)
{
    struct relay_stream *s = ctx;
    int64_t deadline = mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        bool complete;
        if (atomic_load(&s->closed)) {
            snprintf(err, cap, "reader closed");
            return DM_E_CANCELLED;
        }
        pthread_mutex_lock(&s->r->mu);
        uint64_t seq = s->r->seq;
        pthread_mutex_unlock(&s->r->mu);
        int rc = ensure_open(s, err, cap);
        if (rc == DM_OK) {
            uint64_t lim = limit_of(s, &complete);
            if (s->need_fde) {
                rc = emit_fde(s, lim, len, err, cap);
            } else if ((rc = read_event(s, lim, len, err, cap)) == DM_OK) {
                s->off += *len;
                if (le(s->buf + 17, 2) & RELAY_LOG_F)
                    continue;            /* the gap before a GTID start: not a source event */
                s->last_type = s->buf[4];
                note_rotate(s, *len);
            }
        }
        if (rc == DM_E_TIMEOUT)
            rc = removed_under(s, err, cap);
        if (rc == DM_E_TIMEOUT)
            rc = next_file_same_subdir(s, len, err, cap);
        if (rc == DM_E_TIMEOUT)
            rc = cross_subdir(s, len, err, cap);
        if (rc == DM_OK) {
            *ev = s->buf;
            return DM_OK;
        }
        if (rc != DM_E_TIMEOUT)
            return rc;
        if (mono_ms() >= deadline) {
            snprintf(err, cap, "no event in %d ms", timeout_ms);
            return DM_E_TIMEOUT;
        }
        wait_publish(s, seq, (int)(deadline - mono_ms()));
    }
}

static void feed_close(void *ctx)
{
    struct relay_stream *s = ctx;
    atomic_store(&s->closed, true);
    pthread_mutex_lock(&s->r->mu);
    pthread_cond_broadcast(&s->r->data_cond);
    pthread_mutex_unlock(&s->r->mu);
}

static void feed_free(void *ctx)
{
    struct relay_stream *s = ctx;
    if (!s)
        return;
    struct worker_relay *r = s->r;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->nstreams; i++) {
        if (r->streams[i] == s) {
            r->streams[i] = r->streams[--r->nstreams];
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s->ra);
    free(s);
}

/* `file` in sub-directory i (under mu): i, or -1 when it is not there. */
static int find_in_subdir(struct worker_relay *r, size_t i, const char *file)
{
    char path[4096];
    struct stat st;
    return relay_path(r, i, file, path, sizeof path) && stat(path, &st) == 0 ? (int)i : -1;
}

/* The end of the last gap filler of a file a GTID start began (0 when the file has none):
 * the fillers come before its first transaction, among the events the source sends while
 * skipping (FDE, GTID_LIST, BINLOG_CHECKPOINT), so only the first events are looked at.
 * Positions before that end are not in this copy of the file. */
static uint64_t gap_end(const char *path)
{
    uint8_t h[HDR];
    uint64_t off = 4, end = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    for (int i = 0; i < 64 && pread(fd, h, HDR, (off_t)off) == HDR; i++) {
        uint64_t len = le(h + 9, 4);
        if (len < HDR || h[4] == EV_GTID)
            break;                       /* the first transaction */
        off += len;
        if (le(h + 17, 2) & RELAY_LOG_F)
            end = off;
    }
    close(fd);
    return end;
}

/* An event starts at pos in the file at path (its headers walked from 4). */
static bool at_boundary(const char *path, uint64_t pos)
{
    uint8_t h[HDR];
    uint64_t off = 4;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    while (off < pos && pread(fd, h, HDR, (off_t)off) == HDR) {
        uint64_t len = le(h + 9, 4);
        if (len < HDR)
            break;
        off += len;
    }
    close(fd);
    return off == pos;
}

/* The server uuid part of sub-directory i ("<uuid>.<suffix>"), its length. */
static size_t uuid_len(const struct worker_relay *r, size_t i)
{
    const char *dot = strrchr(r->subdirs[i], '.');
    return dot ? (size_t)(dot - r->subdirs[i]) : strlen(r->subdirs[i]);
}

static bool same_server(const struct worker_relay *r, size_t i, size_t j)
{
    size_t n = uuid_len(r, i);
    return n == uuid_len(r, j) && memcmp(r->subdirs[i], r->subdirs[j], n) == 0;
}

/* Sub-directory i has `file` holding pos: present, pos not inside its GTID start gap (the
 * events there are only in an older one); older copies (finished) also not past their end. */
static bool holds(struct worker_relay *r, size_t i, const char *file, uint64_t pos, bool newest,
                  char *path, size_t cap)
{
    struct stat st;
    if (!relay_path(r, i, file, path, cap) || stat(path, &st) != 0)
        return false;
    uint64_t g = gap_end(path);
    return (g == 0 || pos >= g) && (newest || pos <= (uint64_t)st.st_size);
}

/* The smallest binlog file name of sub-directory i into out (under mu); false: none. */
static bool first_in(struct worker_relay *r, size_t i, char *out, size_t cap)
{
    char path[4096];
    return relay_path(r, i, NULL, path, sizeof path) && smallest_binlog(path, out, cap);
}

/* The last binlog file of sub-directory j ends with a ROTATE naming `file` (under mu). */
static bool rotates_to(struct worker_relay *r, size_t j, const char *file)
{
    char path[4096], last[256] = "";
    uint8_t h[HDR], name[256];
    DIR *d = relay_path(r, j, NULL, path, sizeof path) ? opendir(path) : NULL;
    if (!d)
        return false;
    for (struct dirent *de; (de = readdir(d));)
        if (relay_binlog_name(de->d_name) && strlen(de->d_name) < sizeof last &&
            strcmp(de->d_name, last) > 0)
            snprintf(last, sizeof last, "%s", de->d_name);
    closedir(d);
    int fd = last[0] && relay_path(r, j, last, path, sizeof path) ? open(path, O_RDONLY | O_CLOEXEC)
                                                                   : -1;
    if (fd < 0)
        return false;
    struct stat st;
    uint64_t off = 4, at = 0, len = 0;
    if (fstat(fd, &st) == 0) {
        while (off < (uint64_t)st.st_size && pread(fd, h, HDR, (off_t)off) == HDR &&
               (len = le(h + 9, 4)) >= HDR) {
            at = h[4] == EV_ROTATE ? off : 0;
            off += len;
        }
    }
    /* ROTATE body: 8-byte position, the name (then a CRC32 or not: both compared) */
    size_t fl = strlen(file);
    bool yes = at && off == (uint64_t)st.st_size && fl < sizeof name &&
               pread(fd, name, fl, (off_t)(at + HDR + 8)) == (ssize_t)fl &&
               memcmp(name, file, fl) == 0 &&
               (at + HDR + 8 + fl == off || at + HDR + 8 + fl + 4 == off);
    close(fd);
    return yes;
}

/* Position 4 of `file`, found in sub-directory i (the newest holding it), while an older
 * sub-directory j of another server holds the same name or ended with a ROTATE to it (a
 * failover; the new server's files often have the old one's names): (file, 4) is the
 * checkpoint after j's ROTATE - the next events are then i's FIRST file (the reader crosses
 * into i) - or after i's own ROTATE - i's `file`. When i has files before `file` the two
 * differ and reading i's `file` skipped them silently: -3, err names both. */
static int start_of_file(struct worker_relay *r, int found, const char *file, char *err,
                         size_t cap)
{
    char first[256];
    if (found <= 0 || !first_in(r, (size_t)found, first, sizeof first) ||
        strcmp(first, file) >= 0)
        return found;
    for (size_t j = (size_t)found; j-- > 0;) {
        char path[4096];
        struct stat st;
        if (same_server(r, (size_t)found, j))
            continue;
        if (!(relay_path(r, j, file, path, sizeof path) && stat(path, &st) == 0) &&
            !rotates_to(r, j, file))
            continue;
        const char *dot = strrchr(file, '.'), *fdot = strrchr(first, '.');
        unsigned long sfx = relay_subdir_suffix(r->subdirs[found]);
        snprintf(err, cap, "relay log file %s at position 4 is the start of a file in "
                 "sub-directory %s and the file after sub-directory %s (two source servers' "
                 "files of one name) and the position does not say which (a restart across a "
                 "source failover?): reading the newer one would skip %s's files from %s on. "
                 "Give the position with DM's sub-directory suffix via the task's [meta] and "
                 "remove-meta, or the checkpoint row: %.*s|%06lu.%s at 4 when the subtask had "
                 "not read %s of %s yet, else %.*s|%06lu.%s at 4", file, r->subdirs[found],
                 r->subdirs[j], r->subdirs[found], first,
                 fdot ? (int)(fdot - first) : 0, first, sfx, fdot ? fdot + 1 : first,
                 first, r->subdirs[found],
                 dot ? (int)(dot - file) : 0, file, sfx, dot ? dot + 1 : file);
        return -3;
    }
    return found;
}

/* The newest sub-directory holding `file` at `pos` (under mu); -1 when none. Positions
 * carry no sub-directory: when an older copy of another server (a failover; the new
 * server's files often have the old one's names) holds it too, the copy where an event
 * starts at pos is the one; both: -3, err names them (which server's file the checkpoint
 * means is unknown; reading the wrong one skips or repeats transactions silently). */
static int find_subdir(struct worker_relay *r, const char *file, uint64_t pos, char *err,
                       size_t cap)
{
    char path[4096], opath[4096];
    int found = -1;
    for (size_t i = r->nsubdirs; i-- > 0 && found < 0;)
        if (holds(r, i, file, pos, i + 1 == r->nsubdirs, path, sizeof path))
            found = (int)i;
    if (pos <= 4)
        return start_of_file(r, found, file, err, cap);
    if (found <= 0)
        return found;
    for (size_t j = (size_t)found; j-- > 0;) {
        if (same_server(r, (size_t)found, j) || !holds(r, j, file, pos, false, opath, sizeof opath))
            continue;
        bool bi = at_boundary(path, pos), bj = at_boundary(opath, pos);
        const char *dot = strrchr(file, '.');
        struct stat st;
        /* the old copy's end, where the next sub-directory (started from the old one's GTID
         * set there) fills its skipped transactions up to: the same point in both */
        if (bi && bj && j + 1 == (size_t)found && stat(opath, &st) == 0 &&
            (uint64_t)st.st_size == pos && gap_end(path) == pos)
            return found;
        if (bi && bj) {
            snprintf(err, cap, "relay log file %s at position %" PRIu64 " is in sub-directories "
                     "%s and %s (two source servers' files of one name) and the position does "
                     "not say which (a kill -9 across a source failover?): give the position with "
                     "DM's sub-directory suffix (e.g. %.*s|%06lu.%s), via the task's [meta] and "
                     "remove-meta, or the checkpoint row", file, pos, r->subdirs[j],
                     r->subdirs[found], dot ? (int)(dot - file) : 0, file,
                     relay_subdir_suffix(r->subdirs[j]), dot ? dot + 1 : file);
            return -3;
        }
        return bj && !bi ? (int)j : found;
    }
    return found;
}

/* DM's ExtractPos: the sub-directory whose suffix a "<base>|<suffix>.<seq>" name gives
 * (under mu); -2 when none has it (err set). */
static int subdir_of_suffix(struct worker_relay *r, unsigned long suffix, char *err, size_t cap)
{
    size_t off = 0;
    for (size_t i = 0; i < r->nsubdirs; i++)
        if (relay_subdir_suffix(r->subdirs[i]) == suffix)
            return (int)i;
    char list[512] = "";
    for (size_t i = 0; i < r->nsubdirs && off < sizeof list; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? " " : "", r->subdirs[i]);
    snprintf(err, cap, "UUID suffix %06lu with UUIDs [%s] not found", suffix, list);
    return -2;
}

int worker_relay_open_reader(struct worker_relay *r, const char *owner, const char *name,
                             uint64_t pos, struct bl_reader **out, char *err, size_t cap)
{
    struct relay_stream *s;
    struct bl_feed feed;
    char file[sizeof s->file];
    unsigned long suffix;
    int sub;
    if (strlen(name) >= sizeof s->file)
        return DM_E_INVAL;
    bool suffixed = relay_pos_split(name, file, sizeof file, &suffix);
    if (!(s = calloc(1, sizeof *s)))
        return DM_E_NOMEM;
    s->r = r;
    s->fd = -1;
    s->start = pos < 4 ? 4 : pos;
    s->need_fde = true;
    atomic_init(&s->closed, false);
    snprintf(s->file, sizeof s->file, "%s", file);
    pthread_mutex_lock(&r->mu);
    int want = suffixed ? subdir_of_suffix(r, suffix, err, cap) : -1;
    if (want == -2) {
        pthread_mutex_unlock(&r->mu);
        free(s);
        return DM_E_NOT_FOUND;
    }
    sub = want >= 0 ? find_in_subdir(r, (size_t)want, file)
                    : find_subdir(r, file, s->start, err, cap);
    if (sub == -3) {
        pthread_mutex_unlock(&r->mu);
        free(s);
        return DM_E_CONFLICT;
    }
    bool newest = want < 0 || (size_t)want + 1 == r->nsubdirs;
    bool later = newest && (r->file[0] == '\0' || strcmp(file, r->file) > 0 ||
                            (strcmp(file, r->file) == 0 && r->end == 0));
    if (sub < 0 && !later) {
        snprintf(err, cap, "relay log file %s not found in relay-dir %s (purged from the relay, "
                 "or before the position where the relay started: %s%s%s)", file, r->dir,
                 r->nsubdirs ? r->subdirs[0] : "", r->nsubdirs ? " starts at its oldest file" : "none",
                 r->nsubdirs ? "" : "");
        pthread_mutex_unlock(&r->mu);
        free(s);
        return DM_E_NOT_FOUND;
    }
    if (r->nstreams >= RELAY_MAX_STREAMS) {
        pthread_mutex_unlock(&r->mu);
        free(s);
        snprintf(err, cap, "too many relay readers");
        return DM_E_TOO_LARGE;
    }
    s->subdir = sub >= 0 ? (size_t)sub : (r->nsubdirs ? r->nsubdirs - 1 : 0);
    r->streams[r->nstreams++] = s;
    if (owner)
        relay_hold_drop(r, owner);
    pthread_mutex_unlock(&r->mu);
    if (sub >= 0) {
        int rc = open_file(s, err, cap);
        if (rc != DM_OK && rc != DM_E_NOT_FOUND) {
            feed_free(s);
            return rc;
        }
    }   /* else not written yet: opened when it appears (ensure_open) */
    feed.next = feed_next;
    feed.close = feed_close;
    feed.free = feed_free;
    feed.ctx = s;
    return bl_reader_open_feed(&feed, file, s->start, out, err, cap);
}

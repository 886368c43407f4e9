/* log.c - JSON-lines logger. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dm_error.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_component[64] = "dm";
static enum dm_log_level log_min = DM_LOG_INFO;
static int log_fd = 2;

/* Buffered mode (dm_log_buffer): lines below WARN collect here and are written by the
 * flusher thread flush_ms after the first one, or at once past LOG_BUF_FLUSH bytes. */
#define LOG_BUF_FLUSH 32768
static struct dm_buf log_pending;       /* guarded by log_mu */
static bool log_buffered;
static bool log_flusher_waiting, log_flusher_stop;
static int log_flush_ms;
static pthread_cond_t log_cv = PTHREAD_COND_INITIALIZER;
static pthread_t log_flusher;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void dm_log_init(const char *component, enum dm_log_level min)
{
    pthread_mutex_lock(&log_mu);
    snprintf(log_component, sizeof(log_component), "%s", component ? component : "dm");
    log_min = min;
    pthread_mutex_unlock(&log_mu);
}

/* log_mu held: write everything of `b` (retrying short writes and EINTR). */
static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(log_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* log_mu held: write out the buffered lines. */
static void flush_locked(void)
{
    if (log_pending.len)
        write_all(log_pending.data, log_pending.len);
    dm_buf_reset(&log_pending);
}

void dm_log_flush(void)
{
    pthread_mutex_lock(&log_mu);
    flush_locked();
    pthread_mutex_unlock(&log_mu);
}

static void *flusher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    while (!log_flusher_stop) {
        if (!log_pending.len) {
            log_flusher_waiting = true;
            pthread_cond_wait(&log_cv, &log_mu);
            log_flusher_waiting = false;
            continue;
        }
        /* lines collect meanwhile; dm_log_buffer_stop cuts the wait short */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += log_flush_ms / 1000;
        until.tv_nsec += (long)(log_flush_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!log_flusher_stop && pthread_cond_timedwait(&log_cv, &log_mu, &until) == 0)
            ;
        flush_locked();
    }
    flush_locked();
    pthread_mutex_unlock(&log_mu);
    return NULL;
}

static void log_atexit(void)
{
    dm_log_buffer_stop();
}

int dm_log_buffer(int flush_ms)
{
    if (flush_ms <= 0)
        return DM_E_INVAL;
    pthread_mutex_lock(&log_mu);
    if (log_buffered) {
        pthread_mutex_unlock(&log_mu);
        return DM_OK;
    }
    dm_buf_init(&log_pending, 1 << 24);
    log_flush_ms = flush_ms;
    log_flusher_stop = false;
    int rc = pthread_create(&log_flusher, NULL, flusher_main, NULL) == 0 ? DM_OK : DM_E_NOMEM;
    log_buffered = rc == DM_OK;
    static bool registered;
    if (log_buffered && !registered)
        registered = atexit(log_atexit) == 0;
    pthread_mutex_unlock(&log_mu);
    return rc;
}

void dm_log_buffer_stop(void)
{
    pthread_mutex_lock(&log_mu);
    bool was = log_buffered;
    log_buffered = false;   /* lines from here on are written directly */
    log_flusher_stop = true;
    pthread_cond_signal(&log_cv);
    pthread_mutex_unlock(&log_mu);
    if (!was)
        return;
    pthread_join(log_flusher, NULL);   /* it flushes what is left */
    pthread_mutex_lock(&log_mu);
    flush_locked();
    dm_buf_free(&log_pending);
    pthread_mutex_unlock(&log_mu);
}

int dm_log_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return DM_E_IO;
    pthread_mutex_lock(&log_mu);
    flush_locked();   /* buffered lines belong to the old destination */
    if (log_fd > 2)
        close(log_fd);
    log_fd = fd;
    pthread_mutex_unlock(&log_mu);
    return DM_OK;
}

int dm_log_level_parse(const char *s, enum dm_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (enum dm_log_level)i;
            return DM_OK;
        }
    }
    if (s && strcmp(s, "warning") == 0) {
        *out = DM_LOG_WARN;
        return DM_OK;
    }
    return DM_E_INVAL;
}

enum dm_log_level dm_log_level_get(void) { return log_min; }

/* "YYYY-MM-DDTHH:MM:SS" of the current second, formatted once per second per thread */
static const char *second_text(time_t sec)
{
    static _Thread_local time_t cached = (time_t)-1;
    static _Thread_local char text[40];
    if (sec != cached) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
        cached = sec;
    }
    return text;
}

static void begin_line(struct dm_buf *b, enum dm_log_level lvl, const char *msg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long ms = ts.tv_nsec / 1000000L;
    char frac[8] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10),
                    'Z', '"', '\0'};
    dm_buf_adds(b, "{\"ts\":\"");
    dm_buf_adds(b, second_text(ts.tv_sec));
    dm_buf_adds(b, frac);
    dm_buf_adds(b, ",\"level\":\"");
    dm_buf_adds(b, level_names[lvl]);
    dm_buf_adds(b, "\",\"component\":");
    dm_buf_add_json_str_log(b, log_component);
    dm_buf_adds(b, ",\"msg\":");
    dm_buf_add_json_str_log(b, msg);
}

/* Each thread formats its lines in one buffer it keeps (no malloc per line: the gateway
 * writes an access line per request); freed when the thread exits, or after a line
 * longer than LINE_KEEP. */
#define LINE_KEEP 4096
static pthread_key_t line_key;
static pthread_once_t line_once = PTHREAD_ONCE_INIT;
static _Thread_local struct dm_buf *line_buf;

static void line_free(void *p)
{
    struct dm_buf *b = p;
    dm_buf_free(b);
    free(b);
    line_buf = NULL;
}

static void line_key_init(void)
{
    if (pthread_key_create(&line_key, line_free) != 0)
        line_key = (pthread_key_t)-1;
}

/* An empty line buffer: the thread's own, or (out of memory) `fallback`. */
static struct dm_buf *line_begin(struct dm_buf *fallback)
{
    dm_buf_init(fallback, 1 << 20);
    if (!line_buf) {
        pthread_once(&line_once, line_key_init);
        struct dm_buf *b = line_key != (pthread_key_t)-1 ? malloc(sizeof(*b)) : NULL;
        if (!b || pthread_setspecific(line_key, b) != 0) {
            free(b);
            return fallback;
        }
        dm_buf_init(b, 1 << 20);
        line_buf = b;
    }
    dm_buf_reset(line_buf);
    return line_buf;
}

/* Write the line, or buffer it (buffered mode, below WARN: a WARN or ERROR line is
 * written at once, behind the buffered ones). */
static void emit(struct dm_buf *b, enum dm_log_level lvl)
{
    dm_buf_adds(b, "}\n");
    if (b->data) {
        pthread_mutex_lock(&log_mu);
        size_t before = log_pending.len;
        if (log_buffered && lvl < DM_LOG_WARN && dm_buf_add(&log_pending, b->data, b->len) == DM_OK) {
            if (log_pending.len >= LOG_BUF_FLUSH)
                flush_locked();
            else if (!before && log_flusher_waiting)
                pthread_cond_signal(&log_cv);
        } else {
            flush_locked();
            write_all(b->data, b->len);
        }
        pthread_mutex_unlock(&log_mu);
    }
    if (b != line_buf || b->cap > LINE_KEEP)
        dm_buf_free(b);
}

void dm_log_raw(enum dm_log_level lvl, const char *msg, const char *json_members)
{
    if (lvl < log_min || lvl > DM_LOG_ERROR)
        return;
    struct dm_buf fb, *b = line_begin(&fb);
    dm_buf_reserve(b, 512);   /* a typical line in one allocation */
    begin_line(b, lvl, msg);
    if (json_members && *json_members) {
        dm_buf_addc(b, ',');
        dm_buf_adds(b, json_members);
    }
    emit(b, lvl);
}

void dm_logf(enum dm_log_level lvl, const char *fmt, ...)
{
    if (lvl < log_min || lvl > DM_LOG_ERROR)
        return;
    struct dm_buf m;
    dm_buf_init(&m, 1 << 20);
    va_list ap;
    va_start(ap, fmt);
    dm_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    dm_log_raw(lvl, m.data ? m.data : "", NULL);
    dm_buf_free(&m);
}

void dm_log_kv(enum dm_log_level lvl, const char *msg, ...)
{
    if (lvl < log_min || lvl > DM_LOG_ERROR)
        return;
    struct dm_buf fb, *b = line_begin(&fb);
    dm_buf_reserve(b, 512);   /* a typical line in one allocation */
    begin_line(b, lvl, msg);
    va_list ap;
    va_start(ap, msg);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        dm_buf_addc(b, ',');
        dm_buf_add_json_str_log(b, k);
        dm_buf_addc(b, ':');
        if (v)
            dm_buf_add_json_str_log(b, v);
        else
            dm_buf_adds(b, "null");
    }
    va_end(ap);
    emit(b, lvl);
}

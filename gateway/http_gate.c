/* http_gate.c - see http_gate.h */
#include "http_gate.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

#define GATE_MAX_FDS (1u << 20)
#define GATE_MAX_PARTS 256      /* an element arriving in more pieces is refused (re-peeked each time) */
#define GATE_PEEK_SLACK 4096    /* held bytes beyond the header limit */

static _Atomic(struct http_gate *) *gate_tbl;
static atomic_size_t gate_n;   /* published (release) after the table is zeroed */
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static atomic_bool warned_fd;

static void table_init(void)
{
    struct rlimit rl;
    size_t n = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t m = rl.rlim_max > rl.rlim_cur ? rl.rlim_max : rl.rlim_cur;
        n = m == RLIM_INFINITY || m > GATE_MAX_FDS ? GATE_MAX_FDS : (size_t)m;
    }
    gate_tbl = calloc(n, sizeof(*gate_tbl));
    atomic_store_explicit(&gate_n, gate_tbl ? n : 0, memory_order_release);
}

void http_gate_init(struct http_gate *g, const struct http_frame_limits *lim)
{
    memset(g, 0, sizeof(*g));
    http_frame_stream_init(&g->fs);
    g->lim = lim;
}

bool http_gate_register(int fd, struct http_gate *g)
{
    pthread_once(&gate_once, table_init);
    size_t n = atomic_load_explicit(&gate_n, memory_order_acquire);
    if (fd < 0 || (size_t)fd >= n) {
        if (!atomic_exchange(&warned_fd, true))
            DM_WARN("http gate: descriptor %d beyond the table (%zu): its reads are not checked",
                    fd, n);
        return false;
    }
    atomic_store_explicit(&gate_tbl[fd], g, memory_order_release);
    return true;
}

void http_gate_unregister(int fd)
{
    if (fd >= 0 && (size_t)fd < atomic_load_explicit(&gate_n, memory_order_acquire))
        atomic_store_explicit(&gate_tbl[fd], NULL, memory_order_release);
}

/* Any thread, also one that never registered (an in-process client's recv): gate_n's
 * acquire orders the table's zeroing before the read (TSan, test_http_loop_shed). */
struct http_gate *http_gate_lookup(int fd)
{
    if (fd < 0 || (size_t)fd >= atomic_load_explicit(&gate_n, memory_order_acquire))
        return NULL;
    return atomic_load_explicit(&gate_tbl[fd], memory_order_acquire);
}

static void refuse(struct http_gate *g, const struct http_frame_verdict *v)
{
    g->bad = HTTP_GATE_EOF;
    g->verdict_due = true;
    g->verdict = *v;
}

/* Keep n consumed bytes that are not vouched yet (the start of an element still arriving,
 * or a refused one) in front of what the socket delivers next. */
static bool hold(struct http_gate *g, const char *p, size_t n)
{
    size_t cap = g->lim->max_head + GATE_PEEK_SLACK;
    if (!g->held && !(g->held = malloc(cap)))
        return false;
    if (n > cap - g->held_len)
        return false;
    memmove(g->held + g->held_len, p, n);
    g->held_len += n;
    return true;
}

/* Scan result of `used` vouched bytes out of a piece that ends the current read: a refused
 * element, or the count of reads of an element still arriving. */
static void judge(struct http_gate *g, enum http_frame_rc rc, size_t used, size_t before,
                  struct http_frame_verdict *v)
{
    g->parts = used ? 0 : g->parts + 1;
    if (rc == HTTP_FRAME_MORE && g->parts > GATE_MAX_PARTS) {
        *v = (struct http_frame_verdict){400, "request head sent in too many pieces", 0};
        rc = HTTP_FRAME_BAD;
    }
    if (rc != HTTP_FRAME_BAD)
        return;
    refuse(g, v);
    g->bad_in_request = !http_frame_stream_at_request(&g->fs);
    g->bad_req = g->fs.heads;
    /* a refused head behind whole requests MHD has not answered yet waits for them */
    if (!g->bad_in_request && used + before > 0)
        g->bad = HTTP_GATE_PENDING;
}

/* One read from the gate's source: the socket, or (TLS) the session's decrypted bytes. */
static ssize_t src_read(struct http_gate *g, int fd, void *buf, size_t len)
{
    if (g->src)
        return g->src(g->src_ctx, buf, len);
    return recvfrom(fd, buf, len, MSG_DONTWAIT, NULL, NULL);
}

/* Read more behind the held start of an element and scan it again. false: nothing more
 * now (*last and *err say why: EAGAIN, end of file, an error). */
static bool read_held(struct http_gate *g, int fd, size_t before, bool *drained, ssize_t *last,
                      int *err)
{
    size_t cap = g->lim->max_head + GATE_PEEK_SLACK, room = cap - g->held_len;
    ssize_t n = room ? src_read(g, fd, g->held + g->held_len, room) : 0;
    if (n <= 0) {
        *last = n;
        *err = n < 0 ? errno : 0;
        if (n == 0)
            g->bad = HTTP_GATE_EOF;   /* the peer closed inside an element: nothing to answer */
        return false;
    }
    /* a short socket read emptied the kernel's buffer; a TLS record is short anyway:
     * read on until the session says EAGAIN (libmicrohttpd waits for epoll only then) */
    *drained = !g->src && (size_t)n < room;
    g->rx += (uint64_t)n;
    g->held_len += (size_t)n;
    struct http_frame_verdict v;
    size_t used = 0;
    enum http_frame_rc rc = http_frame_stream_scan(&g->fs, g->held, g->held_len, g->lim, &used, &v);
    g->allowed = used;
    judge(g, rc, used, before, &v);
    return true;
}

/* Deliver vouched held bytes into buf. */
static size_t give_held(struct http_gate *g, char *buf, size_t want)
{
    size_t k = g->allowed < want ? g->allowed : want;
    memcpy(buf, g->held, k);
    memmove(g->held, g->held + k, g->held_len - k);
    g->held_len -= k;
    g->allowed -= k;
    return k;
}

/* recv(2) result for libmicrohttpd: what was filled, else end of file or the error. */
static ssize_t result(size_t filled, ssize_t last, int err)
{
    if (filled)
        return (ssize_t)filled;
    if (last < 0)
        errno = err;
    return last;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A request inside its body past body_timeout_ms: refused (408) before anything more is
 * read. Between requests nothing is timed (no clock read on the GET path). */
static void body_deadline(struct http_gate *g)
{
    if (!g->body_since_ms || g->bad || mono_ms() - g->body_since_ms <= (int64_t)g->body_timeout_ms)
        return;
    struct http_frame_verdict v = {408, "request body not received within connection-timeout", 0};
    refuse(g, &v);
    g->bad_in_request = true;
    g->bad_req = g->fs.heads;
}

/* After a read: a request whose head went through starts its body clock; one that is
 * whole (the stream is between requests) stops it. */
static void body_clock(struct http_gate *g)
{
    if (!g->body_timeout_ms || http_frame_stream_at_request(&g->fs))
        g->body_since_ms = 0;
    else if (!g->body_since_ms)
        g->body_since_ms = mono_ms();
}

/* Read straight into libmicrohttpd's buffer and keep what the scan vouches for; a tail
 * that is not (yet) vouched is held back (http_gate.h). One recv per read, as without
 * the gate; the held path only for elements split across reads or refused. */
ssize_t http_gate_read(struct http_gate *g, int fd, void *out, size_t len)
{
    char *buf = out;
    size_t filled = 0;
    ssize_t last = -1;
    int err = EAGAIN;
    bool drained = false;
    body_deadline(g);
    while (filled < len) {
        if (g->allowed) {
            filled += give_held(g, buf + filled, len - filled);
            continue;
        }
        if (g->bad || drained) {
            last = g->bad == HTTP_GATE_EOF ? 0 : -1;
            break;
        }
        if (g->held_len) {
            if (!read_held(g, fd, filled, &drained, &last, &err))
                break;
            continue;
        }
        uint64_t data = http_frame_stream_data_left(&g->fs);
        size_t want = len - filled;
        size_t take = data && data < want ? (size_t)data : want;
        ssize_t n = src_read(g, fd, buf + filled, take);
        if (n <= 0) {
            last = n;
            err = errno;
            break;
        }
        g->rx += (uint64_t)n;
        struct http_frame_verdict v;
        size_t used = 0;
        enum http_frame_rc rc = http_frame_stream_scan(&g->fs, buf + filled, (size_t)n, g->lim,
                                                       &used, &v);
        /* a refused element's own verdict stands (a TLS record of a 100 KiB request line
         * is more than the hold buffer takes: 414, not 431) */
        if (used < (size_t)n && !hold(g, buf + filled + used, (size_t)n - used) &&
            rc != HTTP_FRAME_BAD) {
            v = (struct http_frame_verdict){431, "request header too large", 0};
            rc = HTTP_FRAME_BAD;
        }
        if (used < (size_t)n)
            judge(g, rc, used, filled, &v);
        filled += used;
        drained = !g->src && (size_t)n < take;
    }
    body_clock(g);
    if (g->bad == HTTP_GATE_EOF && filled)
        shutdown(fd, SHUT_RD);   /* wakes libmicrohttpd: its next read gets the end of file */
    return result(filled, last, err);
}

void http_gate_request_done(struct http_gate *g, int fd, bool keepalive, bool answered)
{
    g->done++;
    /* a pipelined request whose head came in with this one's bytes: libmicrohttpd reads
     * its body only from now on (this one may have waited on the master for long) */
    if (g->body_since_ms)
        g->body_since_ms = mono_ms();
    if (g->bad == HTTP_GATE_EOF && g->bad_in_request && g->done == g->bad_req && answered)
        g->verdict_due = false;   /* answered early (before its body): that answer stands */
    if (!keepalive)
        g->closing = true;
    if (g->bad != HTTP_GATE_PENDING)
        return;
    if (!keepalive) {
        g->bad = HTTP_GATE_DROPPED;
        g->verdict_due = false;
        return;
    }
    if (g->done < g->bad_req)
        return;   /* requests before the refused head are still to be answered */
    g->bad = HTTP_GATE_EOF;
    shutdown(fd, SHUT_RD);
}

void http_gate_release(struct http_gate *g)
{
    free(g->held);
    g->held = NULL;
    g->held_len = g->allowed = 0;
}

const struct http_frame_verdict *http_gate_answer_due(const struct http_gate *g)
{
    static const struct http_frame_verdict stalled = {
        408, "request head not complete within connection-timeout", 0};
    if (g->bad == HTTP_GATE_OK && !g->closing && g->held_len && http_frame_stream_at_request(&g->fs))
        return &stalled;
    return g->bad == HTTP_GATE_EOF && g->verdict_due ? &g->verdict : NULL;
}

/* The interposed recv(2): see the header. A TLS connection's gate reads through its
 * session; the TLS library's own reads of the socket (ciphertext) pass. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    struct http_gate *g = flags == 0 ? http_gate_lookup(fd) : NULL;
    if (g && g->src && g->raw)
        return g->raw(g->src_ctx, fd, buf, len);
    if (!g || g->src)
        return recvfrom(fd, buf, len, flags, NULL, NULL);
    return http_gate_read(g, fd, buf, len);
}

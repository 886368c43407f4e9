/* http_gate.c - see http_gate.h */
#include "http_gate.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "log.h"

#define GATE_MAX_FDS (1u << 20)
#define GATE_MAX_PARTS 256      /* an element arriving in more pieces is refused (re-peeked each time) */
#define GATE_PEEK_SLACK 4096    /* peek window beyond the header limit */

static _Atomic(struct http_gate *) *gate_tbl;
static size_t gate_n;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static pthread_key_t peek_key;
static atomic_bool warned_fd;

struct peek_buf {
    size_t cap;
    char data[];
};

static void table_init(void)
{
    struct rlimit rl;
    size_t n = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t m = rl.rlim_max > rl.rlim_cur ? rl.rlim_max : rl.rlim_cur;
        n = m == RLIM_INFINITY || m > GATE_MAX_FDS ? GATE_MAX_FDS : (size_t)m;
    }
    gate_tbl = calloc(n, sizeof(*gate_tbl));
    gate_n = gate_tbl ? n : 0;
    pthread_key_create(&peek_key, free);
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
    if (fd < 0 || (size_t)fd >= gate_n) {
        if (!atomic_exchange(&warned_fd, true))
            DM_WARN("http gate: descriptor %d beyond the table (%zu): its reads are not checked",
                    fd, gate_n);
        return false;
    }
    atomic_store_explicit(&gate_tbl[fd], g, memory_order_release);
    return true;
}

void http_gate_unregister(int fd)
{
    if (fd >= 0 && (size_t)fd < gate_n)
        atomic_store_explicit(&gate_tbl[fd], NULL, memory_order_release);
}

static struct http_gate *gate_of(int fd)
{
    if (fd < 0 || (size_t)fd >= gate_n)
        return NULL;
    return atomic_load_explicit(&gate_tbl[fd], memory_order_acquire);
}

/* This thread's peek buffer, at least cap bytes (freed at thread exit). */
static char *peek_buf(size_t cap)
{
    struct peek_buf *b = pthread_getspecific(peek_key);
    if (b && b->cap >= cap)
        return b->data;
    struct peek_buf *nb = malloc(sizeof(*nb) + cap);
    if (!nb)
        return NULL;
    nb->cap = cap;
    free(b);
    pthread_setspecific(peek_key, nb);
    return nb->data;
}

static void refuse(struct http_gate *g, const struct http_frame_verdict *v)
{
    g->bad = HTTP_GATE_EOF;
    g->verdict_due = true;
    g->verdict = *v;
}

/* The peer shut its side: no incomplete element will ever complete. */
static bool peer_done(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLRDHUP};
    return poll(&pf, 1, 0) == 1 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

enum scan_out { SCAN_SOME, SCAN_WAIT, SCAN_STOP };

/* Peek and vouch for the next bytes (g->allowed). *drained: the peek saw the whole queue.
 * SCAN_SOME: bytes allowed; SCAN_WAIT: nothing yet (EAGAIN or an incomplete element);
 * SCAN_STOP: end of file for libmicrohttpd (g->bad set, or the peer closed). */
static enum scan_out scan(struct http_gate *g, int fd, bool *drained, int *err)
{
    size_t cap = g->lim->max_head + GATE_PEEK_SLACK;
    char *buf = peek_buf(cap);
    if (!buf) {
        *err = ENOMEM;
        return SCAN_WAIT;
    }
    ssize_t n = recvfrom(fd, buf, cap, MSG_PEEK | MSG_DONTWAIT, NULL, NULL);
    if (n <= 0) {
        *err = n < 0 ? errno : 0;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? SCAN_WAIT
                                                                                   : SCAN_STOP;
    }
    *drained = (size_t)n < cap;
    struct http_frame_verdict v;
    size_t vouched = 0;
    enum http_frame_rc rc = http_frame_stream_scan(&g->fs, buf, (size_t)n, g->lim, &vouched, &v);
    g->parts = vouched ? 0 : g->parts + 1;
    if (rc == HTTP_FRAME_MORE && g->parts > GATE_MAX_PARTS) {
        v = (struct http_frame_verdict){400, "request head sent in too many pieces", 0};
        rc = HTTP_FRAME_BAD;
    }
    g->allowed = vouched;
    if (rc == HTTP_FRAME_BAD) {
        refuse(g, &v);
        g->bad_in_request = !http_frame_stream_at_request(&g->fs);
        g->bad_req = g->fs.heads;
        /* a refused head behind whole requests waits until they are served */
        if (vouched && http_frame_stream_at_request(&g->fs))
            g->bad = HTTP_GATE_PENDING;
    } else if (rc == HTTP_FRAME_MORE && *drained && peer_done(fd)) {
        g->bad = HTTP_GATE_EOF;   /* half-closed inside an element: nothing to answer */
    }
    if (vouched)
        return SCAN_SOME;
    *err = EAGAIN;
    return g->bad ? SCAN_STOP : SCAN_WAIT;
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

/* Fill buf with vouched bytes: those a peek vouched for (g->allowed), body bytes due
 * (read without a peek), and more of both while the queue has them. */
static ssize_t gate_recv(struct http_gate *g, int fd, char *buf, size_t len)
{
    size_t filled = 0;
    ssize_t last = -1;
    int err = EAGAIN;
    bool drained = false;
    while (filled < len) {
        size_t want = len - filled;
        uint64_t data = g->allowed ? 0 : http_frame_stream_data_left(&g->fs);
        if (!g->allowed && (g->bad || drained)) {
            last = g->bad == HTTP_GATE_EOF ? 0 : -1;
            break;   /* refused, or the last peek saw everything: new bytes bring an edge */
        }
        if (!g->allowed && !data) {
            enum scan_out s = scan(g, fd, &drained, &err);
            if (s != SCAN_SOME) {
                last = s == SCAN_STOP ? 0 : -1;
                break;
            }
        }
        size_t take = g->allowed ? g->allowed : data < want ? (size_t)data : want;
        take = take < want ? take : want;
        ssize_t n = recvfrom(fd, buf + filled, take, MSG_DONTWAIT, NULL, NULL);
        if (n <= 0) {
            last = n;
            err = errno;
            break;
        }
        if (g->allowed) {
            g->allowed -= (size_t)n;
        } else {   /* body bytes read without a peek: move the stream past them */
            size_t used = 0;
            struct http_frame_verdict v;
            http_frame_stream_scan(&g->fs, buf + filled, (size_t)n, g->lim, &used, &v);
        }
        filled += (size_t)n;
        if ((size_t)n < take)
            break;   /* the queue is empty */
    }
    if (g->bad == HTTP_GATE_EOF && filled)
        shutdown(fd, SHUT_RD);   /* wakes libmicrohttpd: its next read gets the end of file */
    return result(filled, last, err);
}

void http_gate_request_done(struct http_gate *g, int fd, bool keepalive, bool answered)
{
    g->done++;
    if (g->bad == HTTP_GATE_EOF && g->bad_in_request && g->done == g->bad_req && answered)
        g->verdict_due = false;   /* answered early (before its body): that answer stands */
    if (g->bad != HTTP_GATE_PENDING)
        return;
    if (!keepalive) {
        g->bad = HTTP_GATE_DROPPED;
        g->verdict_due = false;
        return;
    }
    g->bad = HTTP_GATE_EOF;
    shutdown(fd, SHUT_RD);
}

const struct http_frame_verdict *http_gate_answer_due(const struct http_gate *g)
{
    return g->bad == HTTP_GATE_EOF && g->verdict_due ? &g->verdict : NULL;
}

/* The interposed recv(2): see the header. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    struct http_gate *g = flags == 0 ? gate_of(fd) : NULL;
    if (!g)
        return recvfrom(fd, buf, len, flags, NULL, NULL);
    return gate_recv(g, fd, buf, len);
}

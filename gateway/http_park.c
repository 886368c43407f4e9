/* http_park.c - see http_park.h */
#include "http_park.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>   /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn_limits.h"
#include "dm_error.h"
#include "http_frame.h"
#include "http_gate.h"
#include "http_loop.h"
#include "log.h"
#include "metrics.h"

#define PENDING_TTL_MS 5000   /* handed to MHD but never STARTED: MHD refused it */
#define PEEK_BODY_WINDOW 8192 /* chunk lines checked behind a request head */
#define PROBE_MAX_PARTS 256   /* a head arriving in more pieces is refused (each is re-peeked) */
#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 100   /* out of descriptors: stop accepting this long */

/* One per TCP connection, from accept to the last close. Owned by MHD's thread while the
 * connection is inside MHD (socket_context), by the front thread while parked or pending. */
struct park_conn {
    int fd;                         /* our dup of the socket; -1 if dup failed */
    bool idle;                      /* no request in progress, last one kept alive */
    bool parked;                    /* in the parked list (front thread's) */
    bool probing;                   /* in the probing list: head not yet complete */
    bool waiting;                   /* probing and counted in the parked gauge */
    unsigned parts;                 /* probing: peeks of this head so far */
    int64_t idle_since_ms;          /* when it last became idle */
    int64_t started_ms;             /* when MHD last took it (STARTED) */
    int64_t idle_rx;                /* bytes received when it became idle (-1: unknown) */
    bool idle_rx_gate;              /* idle_rx is the gate's count, not the kernel's */
    int64_t deadline_ms;            /* parked/probing: close at; pending: give up at */
    ino_t ino;                      /* pending: socket inode (matches MHD's fd in STARTED) */
    int mfd;                        /* inside MHD: MHD's descriptor, -1 none */
    bool gated;                     /* gate registered for mfd */
    struct http_gate gate;          /* inside MHD: what MHD may read (http_gate.h) */
    struct park_conn *prev, *next;  /* parked list or pending list */
    socklen_t alen;
    struct sockaddr_storage addr;
};

struct plist {
    struct park_conn *head, *tail;
};

struct http_park {
    struct http_park_cfg cfg;
    struct http_loops *loops;       /* where accepted connections go (http_loop.h) */
    pthread_mutex_t mu;             /* lists, counts, flags below */
    struct plist parked;            /* oldest first = earliest deadline first */
    struct plist pending;           /* handed to MHD, STARTED not seen yet */
    struct plist probing;           /* front thread's: waiting for a whole request head */
    struct conn_limits *limits;     /* every connection counted, accept to last close */
    bool closing;                   /* drain/stop: park no more */
    bool want_close_all;            /* front thread: close the parked set */
    bool close_all_done;            /* the front thread has handled want_close_all */
    pthread_cond_t cv;              /* signals close_all_done */
    bool want_exit;
    unsigned parks_since_trim;
    atomic_long nparked;
    int epfd, evfd;
    int lfd;                        /* listen socket (MHD never sees it; borrowed), -1: none */
    char ltag;                      /* its epoll tag (&ltag) */
    int64_t accept_resume_ms;       /* accept paused (EMFILE) until then, 0 = active */
    char *peek;                     /* front thread's peek buffer */
    size_t peek_cap;
    char busy[1536];                /* the 503 a connection over a limit gets (pre-written) */
    size_t busy_len;
    pthread_t th;
    bool running;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- lists ---------- */

static void pl_append(struct plist *l, struct park_conn *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void pl_remove(struct plist *l, struct park_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

static void release_counts(struct http_park *p, const struct sockaddr *a)
{
    conn_limits_release(p->limits, a);
}

/* The connection's life ends: close our reference, uncount it. */
static void conn_end(struct http_park *p, struct park_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    release_counts(p, (const struct sockaddr *)&c->addr);
    free(c);
}

static atomic_ulong front_ids;

/* Answer a request that cannot be framed and close: read what the client sent (closing
 * with unread bytes would reset the connection and could destroy the answer), write the
 * whole answer, half-close. Any thread (the front, or MHD's when the gate refused). */
/* Read (and drop) what the client sent and nobody will read, up to 1 MiB: closing a
 * socket with unread bytes resets the connection, which can destroy the answer in flight. */
static void drain(int fd)
{
    char sink[4096];
    for (size_t got = 0; fd >= 0 && got < (1u << 20);) {
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
}

static void refuse(struct http_park *p, struct park_conn *c, const struct http_frame_verdict *v)
{
    char ans[2048], rid[32], status[8];
    drain(c->fd);
    snprintf(rid, sizeof(rid), "front-%lu", atomic_fetch_add(&front_ids, 1) + 1);
    snprintf(status, sizeof(status), "%d", v->status);
    size_t n = http_frame_answer(ans, sizeof(ans), v->status, v->detail, rid);
    if (n && send(c->fd, ans, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        DM_DEBUG("park: framing answer not sent");
    shutdown(c->fd, SHUT_WR);
    dm_log_kv(DM_LOG_INFO, "access", "requestId", rid, "route", "framing", "status", status,
              "detail", v->detail, NULL);
    metrics_http_observe("unmatched", "other", v->status, 0);
    conn_end(p, c);
}

/* The 503 for connections over max-connections / max-connections-per-ip, written once:
 * the answer of refuse() plus Retry-After. */
static void busy_answer(struct http_park *p)
{
    char ans[sizeof(p->busy) - 32];
    size_t n = http_frame_answer(ans, sizeof(ans), 503,
                                 "too many connections (max-connections or max-connections-per-ip): "
                                 "close idle ones or retry later", "front-limit");
    const char *eol = n ? memchr(ans, '\n', n) : NULL;
    if (!eol)
        return;
    size_t line = (size_t)(eol + 1 - ans);
    int w = snprintf(p->busy, sizeof(p->busy), "%.*sRetry-After: 1\r\n%.*s", (int)line, ans,
                     (int)(n - line), ans + line);
    p->busy_len = w > 0 && (size_t)w < sizeof(p->busy) ? (size_t)w : 0;
}

/* A connection over a limit (nothing counted, no state kept): what the client sent so
 * far is read and dropped (closing with unread bytes would reset the connection), the
 * pre-written 503 goes out in one non-blocking send (it fits any socket buffer), then the
 * socket is half-closed and closed. Constant work per refused connection; a request that
 * arrives after the close may still make the kernel reset the connection, possibly before
 * the client read the 503 (docs/gateway.md "Attack pass"). */
static void over_limit(struct http_park *p, int fd)
{
    drain(fd);
    if (p->busy_len && send(fd, p->busy, p->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        DM_DEBUG("park: 503 over the connection limit not sent");
    shutdown(fd, SHUT_WR);
    drain(fd);
    close(fd);
    metrics_http_observe("unmatched", "other", 503, 0);
}

/* ---------- MHD callbacks ---------- */

enum MHD_Result http_park_accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct http_park *p = cls;
    return conn_limits_take(p->limits, addr) ? MHD_YES : MHD_NO;
}

/* Bytes the kernel has received on the socket so far (not what the application read), or
 * -1 when the kernel does not say. */
static int64_t rx_bytes(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return -1;
    return (int64_t)ti.tcpi_bytes_received;
}

/* Bytes received on the connection so far: the gate's count when MHD's reads go through
 * it (no system call), else the kernel's. */
static int64_t conn_rx(const struct park_conn *c, bool gated)
{
    return gated ? (int64_t)c->gate.rx : rx_bytes(c->fd);
}

static void mark_idle(struct park_conn *c)
{
    c->idle = true;
    c->idle_since_ms = now_ms();
    c->idle_rx_gate = c->gated;
    c->idle_rx = conn_rx(c, c->idle_rx_gate);
}

static socklen_t addr_len(const struct sockaddr *a)
{
    return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* A parked socket handed back: find its record by the socket's inode. */
static struct park_conn *take_pending(struct http_park *p, int mfd)
{
    struct park_conn *c = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->pending.head) {
        struct stat st;
        if (fstat(mfd, &st) == 0)
            for (c = p->pending.head; c && c->ino != st.st_ino; c = c->next)
                ;
        if (c)
            pl_remove(&p->pending, c);
    }
    pthread_mutex_unlock(&p->mu);
    return c;
}

static struct park_conn *conn_new(struct MHD_Connection *mc, int mfd)
{
    const union MHD_ConnectionInfo *ai = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct park_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fcntl(mfd, F_DUPFD_CLOEXEC, 0);
    if (ai && ai->client_addr) {
        c->alen = addr_len(ai->client_addr);
        memcpy(&c->addr, ai->client_addr, c->alen);
    }
    return c;
}

static void on_started(struct http_park *p, struct MHD_Connection *mc, void **ctx)
{
    const union MHD_ConnectionInfo *fi = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    int mfd = fi ? fi->connect_fd : -1;
    struct park_conn *c = mfd >= 0 ? take_pending(p, mfd) : NULL;
    if (!c)
        c = conn_new(mc, mfd);
    /* Not idle: the front hands over only connections whose request head has arrived. A
     * connection MHD drops before that request's line was logged (a head MHD refuses)
     * must not look idle: marking it idle here, with the kernel's byte count already
     * including that request, made such drops look like idle timeouts and parked them
     * unanswered (issue 17: "GET\r\n\r\n" hung for the inactivity timeout). */
    if (c) {
        c->idle = false;
        c->started_ms = now_ms();
        c->mfd = mfd;
        http_gate_init(&c->gate, &p->cfg.frame);
        c->gate.body_timeout_ms = p->cfg.idle_timeout_s > 4000000u ? 4000000000u
                                                                   : p->cfg.idle_timeout_s * 1000u;
        c->gated = http_gate_register(mfd, &c->gate);
    }
    *ctx = c;
}

/* Did MHD close this idle connection because of its (park_after) timeout? Not when the
 * client closed or reset it. Yes when no byte arrived since it became idle: nothing else
 * makes MHD close an idle connection (MHD's last activity, the last send, may precede our
 * idle mark by a lot on a loaded host, so the clock alone is not enough). Otherwise (MHD
 * read something: a partial request line, or a bad one it answered with an error) only
 * when park_after has passed: error answers and Connection: close come sooner. */
static bool closed_by_idle_timeout(const struct http_park *p, const struct park_conn *c)
{
    if (!c->idle || c->fd < 0 || p->cfg.park_after_s == 0 || c->gate.bad)
        return false;
    char b;
    ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        return false;
    /* with the gate's count, bytes still unread in the kernel (r == 1) also arrived */
    if (c->idle_rx >= 0 && r < 0 && conn_rx(c, c->idle_rx_gate) == c->idle_rx)
        return true;
    return now_ms() - c->idle_since_ms >= (int64_t)p->cfg.park_after_s * 1000 - 100;
}

/* MHD is closing the connection (its fd is still open; MHD closes it after we return). */
static void on_closed(struct http_park *p, struct MHD_Connection *mc, void **ctx)
{
    struct park_conn *c = *ctx;
    *ctx = NULL;
    if (c && c->gated) {
        http_gate_unregister(c->mfd);
        c->gated = false;
    }
    bool held = c && c->gate.held_len;   /* bytes the gate read: parking would lose them */
    const struct http_frame_verdict *v = c ? http_gate_answer_due(&c->gate) : NULL;
    if (c)
        http_gate_release(&c->gate);   /* v: a static verdict or the gate's own (kept) */
    if (v && c->fd >= 0) {   /* the gate refused what MHD would have read next */
        struct http_frame_verdict copy = *v;
        refuse(p, c, &copy);
        return;
    }
    if (!c) {   /* no record (out of memory at STARTED): uncount by MHD's address */
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        release_counts(p, ai ? ai->client_addr : NULL);
        return;
    }
    if (!held && closed_by_idle_timeout(p, c)) {
        pthread_mutex_lock(&p->mu);
        bool parked = false;
        if (!p->closing) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = c};
            c->deadline_ms = p->cfg.idle_timeout_s
                                 ? c->idle_since_ms + (int64_t)p->cfg.idle_timeout_s * 1000
                                 : INT64_MAX;
            if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev) == 0) {
                c->parked = true;
                pl_append(&p->parked, c);
                p->parks_since_trim++;
                parked = true;
            }
        }
        pthread_mutex_unlock(&p->mu);
        if (parked) {
            atomic_fetch_add(&p->nparked, 1);
            metrics_http_parked_add(1);
            return;
        }
    }
    drain(c->fd);   /* bytes the gate kept from MHD (behind Connection: close): no reset */
    conn_end(p, c);
}

void http_park_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                 enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        on_started(cls, c, socket_context);
    } else {
        on_closed(cls, c, socket_context);
        http_loop_conn_closed();
    }
}

static struct park_conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

void *http_park_uri_log(void *cls, const char *uri, struct MHD_Connection *mc)
{
    struct http_park *p = cls;
    struct park_conn *c = conn_of(mc);
    if (c)
        c->idle = false;
    if (p->cfg.park_after_s && p->cfg.idle_timeout_s != p->cfg.park_after_s)
        MHD_set_connection_option(mc, MHD_CONNECTION_OPTION_TIMEOUT, p->cfg.idle_timeout_s);
    return NULL;
}

bool http_park_gated(struct MHD_Connection *mc)
{
    const struct park_conn *c = conn_of(mc);
    return c && c->gated;
}

bool http_park_may_close(struct MHD_Connection *mc, int64_t min_age_ms)
{
    const struct park_conn *c = conn_of(mc);
    if (!c || c->fd < 0 || !c->gated || now_ms() - c->started_ms < min_age_ms)
        return false;
    /* nothing of a next request read yet: not by the gate, not by MHD (every head MHD
     * read went through the gate's scan: the one being answered is number done + 1) */
    const struct http_gate *g = &c->gate;
    if (g->held_len || g->fs.heads != g->done + 1 || !http_frame_stream_at_request(&g->fs))
        return false;
    char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void http_park_request_done(struct http_park *p, struct MHD_Connection *mc, bool keepalive)
{
    struct park_conn *c = conn_of(mc);
    if (c && c->gated)
        http_gate_request_done(&c->gate, c->mfd, keepalive,
                               MHD_get_connection_info(mc, MHD_CONNECTION_INFO_HTTP_STATUS) != NULL);
    if (!keepalive || !c)
        return;   /* MHD closes it (or keeps the request timeout): never parked */
    mark_idle(c);
    if (p->cfg.park_after_s && p->cfg.idle_timeout_s != p->cfg.park_after_s)
        MHD_set_connection_option(mc, MHD_CONNECTION_OPTION_TIMEOUT, p->cfg.park_after_s);
}

/* ---------- front thread ---------- */

/* Bytes wait unread on the socket: the client's next request. */
static bool has_request(int fd)
{
    char b;
    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

/* Give a readable parked socket back to MHD on a fresh dup. */
static void unpark(struct http_park *p, struct park_conn *c)
{
    int fd2 = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
    struct stat st;
    if (fd2 < 0 || fstat(fd2, &st) != 0) {
        if (fd2 >= 0)
            close(fd2);
        conn_end(p, c);
        return;
    }
    c->ino = st.st_ino;
    c->deadline_ms = now_ms() + PENDING_TTL_MS;
    pthread_mutex_lock(&p->mu);
    pl_append(&p->pending, c);
    pthread_mutex_unlock(&p->mu);
    if (http_loops_hand_over(p->loops, fd2, (const struct sockaddr *)&c->addr, c->alen, c))
        return;   /* fd2 is the loop's now; STARTED takes c off the pending list */
    http_park_refused(p, c);   /* out of memory: fd2 closed */
}

void http_park_refused(void *cls, void *item)
{
    struct http_park *p = cls;
    struct park_conn *c = item;
    pthread_mutex_lock(&p->mu);
    bool mine = false;
    for (struct park_conn *x = p->pending.head; x; x = x->next)
        mine = mine || x == c;
    if (mine)
        pl_remove(&p->pending, c);
    pthread_mutex_unlock(&p->mu);
    if (mine)
        conn_end(p, c);   /* MHD refused it (at its limit) and closed fd2 */
}

/* ---------- probing: the raw request head before MHD reads it (http_frame.h) ---------- */

/* A probing connection waits (counted in the parked gauge) or no longer does. */
static void set_waiting(struct park_conn *c, bool on)
{
    if (c->waiting != on)
        metrics_http_waiting_add(on ? 1 : -1);
    c->waiting = on;
}

static void probing_del(struct http_park *p, struct park_conn *c)
{
    set_waiting(c, false);
    pthread_mutex_lock(&p->mu);
    if (c->probing)
        pl_remove(&p->probing, c);
    c->probing = false;
    pthread_mutex_unlock(&p->mu);
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
}

/* Peek at what arrived: a whole acceptable head goes to MHD, a bad one is answered, an
 * incomplete one waits (edge-triggered: the next bytes wake us). */
static void probe(struct http_park *p, struct park_conn *c, bool peer_done)
{
    ssize_t n = recv(c->fd, p->peek, p->peek_cap, MSG_PEEK | MSG_DONTWAIT);
    struct http_frame_verdict v = {400, "request head sent in too many pieces", 0};
    enum http_frame_rc rc = HTTP_FRAME_BAD;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        rc = HTTP_FRAME_MORE;   /* nothing yet */
    else if (n > 0 && ++c->parts <= PROBE_MAX_PARTS)   /* bounds the re-peeking of a trickle */
        rc = http_frame_check_raw(p->peek, (size_t)n, &p->cfg.frame, &v);
    if (rc == HTTP_FRAME_MORE && n > 0 && (size_t)n == p->peek_cap)
        rc = HTTP_FRAME_OK;   /* head complete (it fits), body beyond our window: MHD's */
    if (rc == HTTP_FRAME_MORE && !peer_done) {
        set_waiting(c, true);
        return;
    }
    probing_del(p, c);
    if (n <= 0 || rc == HTTP_FRAME_MORE)
        conn_end(p, c);       /* EOF, error or half-close before a whole request head */
    else if (rc == HTTP_FRAME_OK)
        unpark(p, c);
    else
        refuse(p, c, &v);
}

/* Watch c (ours, not in MHD) until its request head is complete. */
static void probe_start(struct http_park *p, struct park_conn *c, bool registered)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    c->deadline_ms = p->cfg.idle_timeout_s ? now_ms() + (int64_t)p->cfg.idle_timeout_s * 1000
                                           : INT64_MAX;
    c->parts = 0;
    if (epoll_ctl(p->epfd, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        if (registered)
            epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        conn_end(p, c);
        return;
    }
    pthread_mutex_lock(&p->mu);
    c->probing = true;
    pl_append(&p->probing, c);
    pthread_mutex_unlock(&p->mu);
    probe(p, c, false);
}

static void pause_accept(struct http_park *p)
{
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->lfd, NULL);
    p->accept_resume_ms = now_ms() + ACCEPT_PAUSE_MS;
    DM_WARN("park: accept failed (%s); pausing accept for %d ms", strerror(errno), ACCEPT_PAUSE_MS);
}

/* Watch the listen socket (again). */
static bool listen_watch(struct http_park *p)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->ltag};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->lfd, &ev) != 0 && errno != EEXIST)
        return false;
    p->accept_resume_ms = 0;
    return true;
}

/* New connections: counted by the accept policy, then probed. */
static void on_accept(struct http_park *p)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(p->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accept(p);
            return;
        }
        if (http_park_accept_policy(p, (const struct sockaddr *)&ss, sl) != MHD_YES) {
            over_limit(p, fd);
            continue;
        }
        struct park_conn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            release_counts(p, (const struct sockaddr *)&ss);
            continue;
        }
        c->fd = fd;
        c->alen = sl <= sizeof(c->addr) ? sl : sizeof(c->addr);
        memcpy(&c->addr, &ss, c->alen);
        probe_start(p, c, false);
    }
}

static void on_event(struct http_park *p, struct park_conn *c, uint32_t events)
{
    if (c->probing) {   /* only the front thread sets or clears it */
        probe(p, c, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    bool was = c->parked;
    if (was) {
        pl_remove(&p->parked, c);
        c->parked = false;
    }
    bool exiting = p->want_exit;
    pthread_mutex_unlock(&p->mu);
    if (!was)
        return;
    atomic_fetch_sub(&p->nparked, 1);
    metrics_http_parked_add(-1);
    /* a request is served while draining too (MHD still runs); not once stopping */
    if (!exiting && (events & EPOLLIN) && has_request(c->fd)) {
        probe_start(p, c, true);
        return;
    }
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    conn_end(p, c);   /* EOF, error, or stopping */
}

/* Move the entries of l due by `now` to out (mu held). */
static long take_due(struct plist *l, struct plist *out, int64_t now, bool parked_list)
{
    long n = 0;
    while (l->head && l->head->deadline_ms <= now) {
        struct park_conn *c = l->head;
        pl_remove(l, c);
        if (parked_list)
            c->parked = false;
        else
            c->probing = false;
        pl_append(out, c);
        n++;
    }
    return n;
}

/* Detach parked and probing connections due by `now` (all: INT64_MAX) and pending ones
 * MHD never took by `pending_now`; close them outside the lock. give_back (drain): a
 * parked connection whose next request already arrived is probed and goes back to MHD to
 * be answered. */
static void expire(struct http_park *p, int64_t now, int64_t pending_now, bool give_back)
{
    static const struct http_frame_verdict head_timeout = {
        408, "request head not complete within connection-timeout", 0};
    struct plist parked = {NULL, NULL}, stale = {NULL, NULL}, slow = {NULL, NULL};
    pthread_mutex_lock(&p->mu);
    long n = take_due(&p->parked, &parked, now, true);
    take_due(&p->probing, &slow, now, false);
    for (struct park_conn *c = p->pending.head, *nx; c; c = nx) {
        nx = c->next;
        if (c->deadline_ms <= pending_now) {
            pl_remove(&p->pending, c);
            pl_append(&stale, c);
        }
    }
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_sub(&p->nparked, n);
    metrics_http_parked_add((int)-n);
    for (struct park_conn *c = parked.head, *nx; c; c = nx) {
        nx = c->next;
        if (give_back && has_request(c->fd)) {
            probe_start(p, c, true);
            continue;
        }
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        conn_end(p, c);
    }
    for (struct park_conn *c = stale.head, *nx; c; c = nx) {
        nx = c->next;
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        set_waiting(c, false);
        conn_end(p, c);
    }
    for (struct park_conn *c = slow.head, *nx; c; c = nx) {
        nx = c->next;
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);   /* probing ones are registered */
        set_waiting(c, false);
        /* part of a head arrived, the rest not within connection-timeout: 408 (not when
         * stopping; a connection that sent nothing is just closed) */
        if (now != INT64_MAX && has_request(c->fd))
            refuse(p, c, &head_timeout);
        else
            conn_end(p, c);
    }
}

/* Pools MHD freed for parked connections sit in malloc's free lists: give them back. */
static void maybe_trim(struct http_park *p, int64_t now, int64_t *last)
{
    pthread_mutex_lock(&p->mu);
    bool due = p->parks_since_trim > 0 && now - *last >= 1000;
    if (due)
        p->parks_since_trim = 0;
    pthread_mutex_unlock(&p->mu);
    if (due) {
        malloc_trim(0);
        *last = now;
    }
}

static int next_wait_ms(struct http_park *p, int64_t now)
{
    int64_t w = 1000;
    pthread_mutex_lock(&p->mu);
    if (p->parked.head && p->parked.head->deadline_ms - now < w)
        w = p->parked.head->deadline_ms - now;
    if (p->probing.head && p->probing.head->deadline_ms - now < w)
        w = p->probing.head->deadline_ms - now;
    pthread_mutex_unlock(&p->mu);
    if (p->accept_resume_ms && p->accept_resume_ms - now < w)
        w = p->accept_resume_ms - now;
    return w < 0 ? 0 : (int)w;
}

/* The wake eventfd: returns false when the thread should exit. */
static bool on_wake(struct http_park *p)
{
    uint64_t v;
    if (read(p->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        DM_WARN("park: eventfd read failed");
    pthread_mutex_lock(&p->mu);
    bool all = p->want_close_all, quit = p->want_exit;
    p->want_close_all = false;
    pthread_mutex_unlock(&p->mu);
    if (all || quit)
        expire(p, INT64_MAX, now_ms(), all && !quit);
    pthread_mutex_lock(&p->mu);
    p->close_all_done = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return !quit;
}

static void *front_main(void *arg)
{
    struct http_park *p = arg;
    struct epoll_event evs[64];
    int64_t last_trim = now_ms();
    for (;;) {
        int n = epoll_wait(p->epfd, evs, 64, next_wait_ms(p, now_ms()));
        bool woke = false;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == p)
                woke = true;
            else if (evs[i].data.ptr == &p->ltag)
                on_accept(p);
            else
                on_event(p, evs[i].data.ptr, evs[i].events);
        }
        /* only after the batch: close-all frees parked records whose events may still sit
         * later in evs[] */
        if (woke && !on_wake(p))
            return NULL;
        int64_t now = now_ms();
        if (p->accept_resume_ms && now >= p->accept_resume_ms)
            listen_watch(p);
        expire(p, now, now, false);
        maybe_trim(p, now, &last_trim);
    }
}

/* ---------- lifecycle ---------- */

int http_park_new(const struct http_park_cfg *cfg, struct http_park **out)
{
    *out = NULL;
    struct http_park *p = calloc(1, sizeof(*p));
    if (!p)
        return DM_E_NOMEM;
    p->cfg = *cfg;
    p->lfd = -1;
    p->peek_cap = cfg->frame.max_head + PEEK_BODY_WINDOW;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    p->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->peek = malloc(p->peek_cap);
    p->limits = conn_limits_new(cfg->max_connections, cfg->max_per_ip);
    busy_answer(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
    if (!p->peek || !p->limits || p->epfd < 0 || p->evfd < 0 ||
        epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) != 0) {
        http_park_free(p);
        return DM_E_IO;
    }
    *out = p;
    return DM_OK;
}

int http_park_start(struct http_park *p, struct http_loops *loops, int listen_fd)
{
    p->loops = loops;
    p->lfd = listen_fd;
    if (listen_fd >= 0 && !listen_watch(p))
        return DM_E_IO;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    int rc = pthread_create(&p->th, &at, front_main, p);
    pthread_attr_destroy(&at);
    if (rc != 0)
        return DM_E_IO;
    pthread_setname_np(p->th, "dmgw-park");
    p->running = true;
    return DM_OK;
}

static void wake(struct http_park *p)
{
    uint64_t one = 1;
    if (write(p->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        DM_WARN("park: eventfd write failed");
}

void http_park_close_all(struct http_park *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    p->want_close_all = true;
    p->close_all_done = false;
    pthread_mutex_unlock(&p->mu);
    wake(p);
    if (!p->running)
        return;
    /* wait (bounded) until the front thread closed the set and gave back connections
     * with a request waiting, so a drain that follows sees them in flight */
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 1;
    pthread_mutex_lock(&p->mu);
    while (!p->close_all_done)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) != 0)
            break;
    pthread_mutex_unlock(&p->mu);
}

long http_park_pending(struct http_park *p)
{
    long n = 0;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    for (struct park_conn *c = p->pending.head; c; c = c->next)
        n++;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void http_park_stop(struct http_park *p)
{
    if (!p || !p->running)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    p->want_exit = true;
    pthread_mutex_unlock(&p->mu);
    wake(p);
    pthread_join(p->th, NULL);
    p->running = false;
}

void http_park_free(struct http_park *p)
{
    if (!p)
        return;
    http_park_stop(p);
    /* after MHD stopped: nothing parked (the thread closed it); pending records MHD
     * never STARTED are still ours */
    for (struct park_conn *c = p->pending.head, *nx; c; c = nx) {
        nx = c->next;
        if (c->fd >= 0)
            close(c->fd);
        free(c);
    }
    conn_limits_free(p->limits);
    if (p->epfd >= 0)
        close(p->epfd);
    if (p->evfd >= 0)
        close(p->evfd);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->peek);
    free(p);
}

long http_park_count(const struct http_park *p)
{
    return p ? atomic_load(&((struct http_park *)p)->nparked) : 0;
}

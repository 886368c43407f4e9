/* h2_client.c - the lean unary transport of an rpc_channel made with rpc_channel_new_h2
 * (issue 18: fewer threads and system calls per call than gRPC core).
 *
 * One TCP connection per channel, many concurrent calls multiplexed on it (h2_conn.h).
 * The thread starting a call encodes its HEADERS and DATA frames under the channel lock
 * and, unless another thread is writing at that moment, writes them itself with one
 * send(2) after releasing the lock (one writer at a time; a call that starts meanwhile
 * only appends its frames, the writer sends them with its next send). The lock is held
 * for the encoding and the frame processing only, never across a system call: with the
 * send under it, every call on a busy channel waited for the previous call's send or
 * the reader's turn in the kernel (futex wait + wake: ~2 system calls and a context
 * switch per request at 8 connections, issue 18). One reader thread per channel receives,
 * runs the state machine and hands each finished call's raw answer to its callback (the
 * callback runs on the reader thread, as gRPC core's run on its completion-queue thread).
 * The reader also connects: a call started while there is no connection waits on the
 * channel's list, the reader dials (2 s connect timeout), sends the preface and starts
 * the waiting calls; if the dial fails they end UNAVAILABLE at once and calls in the
 * next second fail fast the same way (then the next call dials again). A connection that
 * closes, errs or got GOAWAY is dropped once its streams are over; the next call dials.
 * Deadlines: grpc-timeout on the request, and the reader's receive timeout (100 ms)
 * bounds how late a local DEADLINE_EXCEEDED can be.
 * Lanes (rpc_lane_new, issue 18 session 9): a connection of the channel owned by one event
 * loop's thread, without a lock: calls that thread starts go over it and are answered on
 * it, inside rpc_lane_service; the channel's own connection carries everything else.
 * Not supported on such a channel: streams, rpc_call_raw_sync, TLS. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "dm_error.h"
#include "h2_conn.h"
#include "rpc_int.h"

#define RECV_TIMEOUT_MS 100
#define CONNECT_TIMEOUT_MS 2000
#define RETRY_AFTER_US 1000000
#define SEND_TIMEOUT_S 10
#define READ_CHUNK 65536
#define USER_TIMEOUT_MS 20000
#define KEEPALIVE_IDLE_S 60

struct h2_call {
    struct h2_call *next;                 /* waiting list */
    struct dm_buf hdr;                    /* encoded header block */
    uint8_t *msg;                         /* gRPC-framed request */
    size_t mlen;
    int64_t deadline_us, start_us;
    const ProtobufCMessageDescriptor *out;
    rpc_answer_fn done;
    void *arg;
};

struct h2_chan {
    char *host, *port, *authority;
    pthread_mutex_t mu;
    pthread_cond_t cv;                    /* the reader waits here without a connection */
    struct h2_conn conn;
    bool have_conn;
    int fd;
    bool writing;                         /* a thread writes `sending` (mu released) */
    struct dm_buf sending;                /* that thread's bytes (swapped with conn.out) */
    struct h2_call *wait_head, **wait_tail;
    pthread_t thread;
    bool stop;
    int64_t retry_at_us;                  /* no dial before (the last one failed) */
    bool want_connect;                    /* h2_chan_state(try_connect) asked for a dial */
    char last_err[128];
    atomic_bool down;
};

static void call_free(struct h2_call *k)
{
    dm_buf_free(&k->hdr);
    free(k->msg);
    free(k);
}

/* Hand the callback its answer; frees the call. */
static void call_finish(struct h2_call *k, int status, const char *details, const uint8_t *resp,
                        size_t resp_len)
{
    details = details ? details : "";
    struct rpc_answer *a = rpc_answer_make(status, details, strlen(details), k->out, resp,
                                           resp_len, rpc_now_us() - k->start_us);
    k->done(k->arg, a);
    rpc_answer_unref(a);
    call_free(k);
}

static void dispatch(struct h2_stream *l)
{
    for (struct h2_stream *s = l, *n; s; s = n) {
        n = s->next;
        call_finish(s->user, s->status, s->details, s->resp, s->resp_len);
        h2_stream_free(s);
    }
}

static void dispatch_failed(struct h2_call *l, int status, const char *details)
{
    for (struct h2_call *k = l, *n; k; k = n) {
        n = k->next;
        call_finish(k, status, details, NULL, 0);
    }
}

/* Write all of b to fd; false when the connection failed. */
static bool send_all(int fd, const struct dm_buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

/* mu held (released while writing, held again on return): write what the connection has
 * queued. One writer at a time: when another thread is writing, it sends these bytes
 * with its next turn (it loops until nothing is queued), so frames leave in the order
 * they were queued and never interleave. The connection is not dropped while a writer
 * holds its descriptor (drop_if_over). A failed write ends the connection. */
static void flush_locked(struct h2_chan *h)
{
    if (h->writing)
        return;
    h->writing = true;
    int fd = h->fd;
    while (h->conn.out.len) {
        struct dm_buf *o = &h->conn.out, *w = &h->sending, t = *w;   /* w is empty */
        w->data = o->data, w->len = o->len, w->cap = o->cap;   /* each keeps its max */
        o->data = t.data, o->len = 0, o->cap = t.cap;
        pthread_mutex_unlock(&h->mu);
        bool ok = send_all(fd, &h->sending);
        pthread_mutex_lock(&h->mu);
        dm_buf_reset(&h->sending);
        if (!ok) {
            h2_conn_fail(&h->conn, RPC_UNAVAILABLE, "write to the server failed");
            shutdown(fd, SHUT_RDWR);   /* wakes the reader */
            dm_buf_reset(&h->conn.out);
        }
    }
    h->writing = false;
}

/* mu held: start the call on the connection; false when it cannot start there. */
static bool start_on_conn(struct h2_chan *h, struct h2_call *k)
{
    return h->have_conn && h2_conn_start(&h->conn, (const uint8_t *)k->hdr.data, k->hdr.len,
                                         k->msg, k->mlen, k->deadline_us, k) == DM_OK;
}

/* mu held: start what waits, as far as the connection takes it. */
static void start_waiting(struct h2_chan *h)
{
    while (h->wait_head && h2_conn_can_start(&h->conn)) {
        struct h2_call *k = h->wait_head;
        h->wait_head = k->next;
        if (!h->wait_head)
            h->wait_tail = &h->wait_head;
        k->next = NULL;
        if (!start_on_conn(h, k)) {   /* header block too large or no memory */
            pthread_mutex_unlock(&h->mu);
            call_finish(k, RPC_INTERNAL, "cannot start the call", NULL, 0);
            pthread_mutex_lock(&h->mu);
        }
    }
}

/* mu held: take the waiting calls whose deadline passed (a connection that drains after a
 * GOAWAY, or a server that allows no more streams, can keep them waiting). */
static struct h2_call *take_expired_waiting(struct h2_chan *h, int64_t now)
{
    struct h2_call *l = NULL, **lt = &l;
    for (struct h2_call **pp = &h->wait_head; *pp;) {
        struct h2_call *k = *pp;
        if (k->deadline_us > now) {
            pp = &k->next;
            continue;
        }
        *pp = k->next;
        k->next = NULL;
        *lt = k;
        lt = &k->next;
    }
    h->wait_tail = &h->wait_head;
    while (*h->wait_tail)
        h->wait_tail = &(*h->wait_tail)->next;
    return l;
}

static struct h2_call *take_waiting(struct h2_chan *h)
{
    struct h2_call *l = h->wait_head;
    h->wait_head = NULL;
    h->wait_tail = &h->wait_head;
    return l;
}

/* No Nagle; a master host that vanished (no RST): unacknowledged requests end the
 * connection after TCP_USER_TIMEOUT, an idle one is probed by TCP keepalive (gRPC core
 * pings). */
static void tune_socket(int fd)
{
    int one = 1, user_timeout_ms = USER_TIMEOUT_MS, idle = KEEPALIVE_IDLE_S, intvl = 10, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* Non-blocking connect with a timeout; a connected blocking socket or -1 (last_err). */
static int dial(struct h2_chan *h)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int e = getaddrinfo(h->host, h->port, &hints, &res);
    if (e != 0) {
        snprintf(h->last_err, sizeof(h->last_err), "cannot resolve %s: %s", h->host, gai_strerror(e));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen), err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            socklen_t l = sizeof(err);
            err = poll(&p, 1, CONNECT_TIMEOUT_MS) == 1 &&
                          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0
                      ? err
                      : ETIMEDOUT;
        }
        if (err) {
            snprintf(h->last_err, sizeof(h->last_err), "connect to %s:%s: %s", h->host, h->port,
                     strerror(err));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    struct timeval rt = {0, RECV_TIMEOUT_MS * 1000}, st = {SEND_TIMEOUT_S, 0};
    tune_socket(fd);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof(rt));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &st, sizeof(st));
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

/* mu held, no connection, calls waiting: dial (unlocked) and start them, or fail them. */
static void connect_waiting(struct h2_chan *h)
{
    if (rpc_now_us() < h->retry_at_us) {
        struct h2_call *l = take_waiting(h);
        char why[160];
        snprintf(why, sizeof(why), "%s", h->last_err);
        pthread_mutex_unlock(&h->mu);
        dispatch_failed(l, RPC_UNAVAILABLE, why);
        pthread_mutex_lock(&h->mu);
        return;
    }
    h->want_connect = false;
    pthread_mutex_unlock(&h->mu);
    int fd = dial(h);
    pthread_mutex_lock(&h->mu);
    if (fd < 0) {
        h->retry_at_us = rpc_now_us() + RETRY_AFTER_US;
        atomic_store(&h->down, true);
        return;   /* the next turn fails the waiting calls */
    }
    if (h2_conn_init(&h->conn) != DM_OK) {
        h2_conn_free(&h->conn);
        close(fd);
        snprintf(h->last_err, sizeof(h->last_err), "out of memory");
        h->retry_at_us = rpc_now_us() + RETRY_AFTER_US;
        return;
    }
    h->fd = fd;
    h->have_conn = true;
    atomic_store(&h->down, false);
    start_waiting(h);
    flush_locked(h);
}

/* mu held: drop a connection that is over (dead, or GOAWAY and idle). Its finished
 * streams are returned for dispatch. */
static struct h2_stream *drop_if_over(struct h2_chan *h)
{
    if (!h->have_conn || !(h->conn.dead || (h->conn.goaway && !h->conn.nopen)))
        return NULL;
    if (h->writing)
        return NULL;   /* a writer holds the descriptor: the next turn drops it */
    h2_conn_fail(&h->conn, RPC_UNAVAILABLE, h->conn.dead_reason ? h->conn.dead_reason
                                                                : "connection closed");
    struct h2_stream *l = h2_conn_take_done(&h->conn);
    h2_conn_free(&h->conn);
    close(h->fd);
    h->fd = -1;
    h->have_conn = false;
    return l;
}

/* One receive (unlocked) and its processing. */
static struct h2_stream *read_turn(struct h2_chan *h)
{
    size_t avail = 0;
    uint8_t *dst = h2_conn_in_space(&h->conn, READ_CHUNK, &avail);
    int fd = h->fd;
    pthread_mutex_unlock(&h->mu);
    ssize_t n = dst ? recv(fd, dst, avail, 0) : -1;
    int err = n < 0 ? (dst ? errno : ENOMEM) : 0;
    pthread_mutex_lock(&h->mu);
    if (n > 0)
        h2_conn_in_commit(&h->conn, (size_t)n);
    else if (n == 0 || (err != EAGAIN && err != EWOULDBLOCK && err != EINTR))
        h2_conn_fail(&h->conn, RPC_UNAVAILABLE, n == 0 ? "connection closed by the server"
                                                       : "read from the server failed");
    h2_conn_expire(&h->conn, rpc_now_us());
    if (!h->conn.dead) {
        start_waiting(h);
        flush_locked(h);
    }
    struct h2_stream *l = h2_conn_take_done(&h->conn);
    struct h2_stream *over = drop_if_over(h);
    if (over) {   /* append */
        struct h2_stream **t = &l;
        while (*t)
            t = &(*t)->next;
        *t = over;
    }
    return l;
}

/* Wait on cv until the monotonic time `until_us` (microseconds, rpc_now_us's clock). */
static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_us)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t left = until_us - rpc_now_us();
    if (left < 1000)
        left = 1000;
    ts.tv_sec += left / 1000000;
    ts.tv_nsec += (long)(left % 1000000) * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, mu, &ts);
}

static void *reader_main(void *arg)
{
    struct h2_chan *h = arg;
    rpc_mark_client_thread();
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        if (!h->have_conn) {
            /* calls wait or a dial was asked for: dial (or fail them during the backoff);
             * known down: dial again after each backoff, so the snapshot clears by itself
             * once the server is back (as gRPC core's watcher does); else sleep */
            int64_t now = rpc_now_us();
            bool down = atomic_load(&h->down);
            if (h->wait_head || (h->want_connect && now >= h->retry_at_us) ||
                (down && now >= h->retry_at_us))
                connect_waiting(h);
            else if (down || h->want_connect)
                cond_wait_until(&h->cv, &h->mu, h->retry_at_us);
            else
                pthread_cond_wait(&h->cv, &h->mu);
            continue;
        }
        struct h2_stream *l = read_turn(h);
        struct h2_call *late = h->wait_head ? take_expired_waiting(h, rpc_now_us()) : NULL;
        if (l || late) {
            pthread_mutex_unlock(&h->mu);
            dispatch(l);
            dispatch_failed(late, RPC_DEADLINE_EXCEEDED, "Deadline Exceeded");
            pthread_mutex_lock(&h->mu);
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* "host:port", "[v6]:port", "dns:///host:port", "ipv4:host:port". */
static int split_target(const char *t, char **host, char **port)
{
    if (!strncmp(t, "dns:///", 7))
        t += 7;
    else if (!strncmp(t, "ipv4:", 5) || !strncmp(t, "ipv6:", 5))
        t += 5;
    const char *colon = strrchr(t, ':');
    if (!colon || !colon[1])
        return DM_E_INVAL;
    const char *hs = t, *he = colon;
    if (*hs == '[' && he > hs && he[-1] == ']') {
        hs++;
        he--;
    }
    *host = strndup(hs, (size_t)(he - hs));
    *port = strdup(colon + 1);
    return *host && *port ? DM_OK : DM_E_NOMEM;
}

struct h2_chan *h2_chan_new(const char *target)
{
    struct h2_chan *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->fd = -1;
    h->wait_tail = &h->wait_head;
    if (split_target(target, &h->host, &h->port) != DM_OK ||
        !(h->authority = strdup(strncmp(target, "dns:///", 7) ? target : target + 7))) {
        free(h->host);
        free(h->port);
        free(h);
        return NULL;
    }
    dm_buf_init(&h->sending, 0);   /* never appended to: it takes conn.out's bytes */
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, reader_main, h) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        free(h->host);
        free(h->port);
        free(h->authority);
        free(h);
        return NULL;
    }
    return h;
}

void h2_chan_free(struct h2_chan *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    if (h->have_conn)
        shutdown(h->fd, SHUT_RDWR);
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    /* calls still in flight end CANCELLED here (their callbacks still run) */
    struct h2_stream *l = NULL;
    if (h->have_conn) {
        h2_conn_fail(&h->conn, RPC_CANCELLED, "channel closed");
        l = h2_conn_take_done(&h->conn);
        h2_conn_free(&h->conn);
        close(h->fd);
    }
    dispatch(l);
    dispatch_failed(take_waiting(h), RPC_CANCELLED, "channel closed");
    dm_buf_free(&h->sending);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h->host);
    free(h->port);
    free(h->authority);
    free(h);
}

bool h2_chan_known_down(struct h2_chan *h)
{
    return atomic_load(&h->down);
}

enum rpc_chan_state h2_chan_state(struct h2_chan *h, bool try_connect)
{
    pthread_mutex_lock(&h->mu);
    bool up = h->have_conn && !h->conn.dead;
    if (!h->have_conn && try_connect && !h->want_connect) {
        h->want_connect = true;
        pthread_cond_signal(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    if (up)
        return RPC_CHAN_READY;
    return atomic_load(&h->down) ? RPC_CHAN_TRANSIENT_FAILURE : RPC_CHAN_IDLE;
}

/* The request as a gRPC message: 5-byte prefix + protobuf. */
static int pack_framed(const ProtobufCMessage *req, uint8_t **out, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    if (n > CODEC_MAX_MSG)
        return DM_E_TOO_LARGE;
    uint8_t *b = malloc(n + 5);
    if (!b)
        return DM_E_NOMEM;
    b[0] = 0;
    b[1] = (uint8_t)(n >> 24);
    b[2] = (uint8_t)(n >> 16);
    b[3] = (uint8_t)(n >> 8);
    b[4] = (uint8_t)n;
    protobuf_c_message_pack(req, b + 5);
    *out = b;
    *len = n + 5;
    return DM_OK;
}

static int encode_md(struct h2_call *k, const char *path, const char *authority,
                     int64_t timeout_ms, const struct rpc_md *md, size_t nmd)
{
    const char *kv[2 * 16];
    if (nmd > 16)
        return DM_E_INVAL;
    for (size_t i = 0; i < nmd; i++) {
        if (!md[i].key || !md[i].value || !*md[i].key || md[i].key[0] == ':')
            return DM_E_INVAL;
        for (const char *c = md[i].key; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                  *c == '_' || *c == '.'))
                return DM_E_INVAL;
        for (const char *c = md[i].value; *c; c++)
            if (*c < 0x20 || *c == 0x7f)
                return DM_E_INVAL;
        kv[2 * i] = md[i].key;
        kv[2 * i + 1] = md[i].value;
    }
    return h2_encode_request(&k->hdr, path, authority, timeout_ms, kv, nmd);
}

/* ---------- lanes: a connection owned by an event loop's thread (rpc.h rpc_lane_new) ---------- */

#define LANE_RETRY_US 1000000

struct rpc_lane {
    struct h2_chan *chan;
    int epfd;                             /* the loop's epoll set (borrowed) */
    int fd;                               /* -1: none */
    bool connecting;                      /* fd: non-blocking connect in progress */
    bool up;                              /* conn is initialized on fd */
    bool want_out;                        /* EPOLLOUT registered (bytes wait in conn.out) */
    struct h2_conn conn;
    int64_t connect_deadline_us;
    int64_t retry_at_us;                  /* no dial before */
    int64_t next_deadline_us;             /* no open stream's deadline is earlier */
};

static _Thread_local struct rpc_lane *tl_lane;

/* The address the channel's own connection reached (no name lookup on the loop's
 * thread): a lane dials only while the channel is connected. */
static bool chan_peer(struct h2_chan *h, struct sockaddr_storage *ss, socklen_t *len)
{
    bool ok = false;
    pthread_mutex_lock(&h->mu);
    if (h->have_conn && !h->conn.dead && !h->conn.goaway) {
        *len = sizeof(*ss);
        ok = getpeername(h->fd, (struct sockaddr *)ss, len) == 0;
    }
    pthread_mutex_unlock(&h->mu);
    return ok;
}

static void lane_watch(struct rpc_lane *l, int op)
{
    struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP | (l->want_out ? EPOLLOUT : 0),
                            .data.ptr = l};
    if (epoll_ctl(l->epfd, op, l->fd, &e) != 0 && op == EPOLL_CTL_ADD)
        shutdown(l->fd, SHUT_RDWR);   /* never watched: the next write or timer ends it */
}

/* Close the socket (conn already freed or never initialized); dial again after `retry_us`. */
static void lane_close(struct rpc_lane *l, int64_t retry_us)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->fd, NULL);
    close(l->fd);
    l->fd = -1;
    l->connecting = l->up = l->want_out = false;
    l->retry_at_us = rpc_now_us() + retry_us;
}

static void lane_dial(struct rpc_lane *l)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (rpc_now_us() < l->retry_at_us || atomic_load(&l->chan->down) ||
        !chan_peer(l->chan, &ss, &len))
        return;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        l->retry_at_us = rpc_now_us() + LANE_RETRY_US;
        return;
    }
    tune_socket(fd);
    if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
        close(fd);
        l->retry_at_us = rpc_now_us() + LANE_RETRY_US;
        return;
    }
    l->fd = fd;
    l->connecting = l->want_out = true;   /* writable = connected (or failed) */
    l->connect_deadline_us = rpc_now_us() + CONNECT_TIMEOUT_MS * 1000;
    lane_watch(l, EPOLL_CTL_ADD);
}

/* Write what conn.out holds without blocking; the rest waits for EPOLLOUT. */
static void lane_flush(struct rpc_lane *l)
{
    struct dm_buf *o = &l->conn.out;
    size_t off = 0;
    while (off < o->len) {
        ssize_t n = send(l->fd, o->data + off, o->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        h2_conn_fail(&l->conn, RPC_UNAVAILABLE, "write to the server failed");
        off = o->len;
    }
    if (off) {
        memmove(o->data, o->data + off, o->len - off);
        o->len -= off;
    }
    bool want = o->len > 0;
    if (want != l->want_out) {
        l->want_out = want;
        lane_watch(l, EPOLL_CTL_MOD);
    }
}

static void lane_connected(struct rpc_lane *l)
{
    int err = 0;
    socklen_t el = sizeof(err);
    if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
        lane_close(l, LANE_RETRY_US);
        return;
    }
    if (h2_conn_init(&l->conn) != DM_OK) {
        h2_conn_free(&l->conn);
        lane_close(l, LANE_RETRY_US);
        return;
    }
    l->connecting = false;
    l->up = true;
    l->next_deadline_us = INT64_MAX;
    lane_flush(l);   /* preface and SETTINGS */
}

/* The calling thread's lane takes k (true), or k goes the channel's way (false: no lane
 * connection yet - one is dialled - or it cannot take another stream). Never calls back.
 * The frames wait for rpc_lane_flush: the loop sends the calls of one pass together. */
static bool lane_start(struct rpc_lane *l, struct h2_call *k)
{
    if (!l->up) {
        if (l->fd < 0)
            lane_dial(l);
        return false;
    }
    if (!h2_conn_can_start(&l->conn) ||
        h2_conn_start(&l->conn, (const uint8_t *)k->hdr.data, k->hdr.len, k->msg, k->mlen,
                      k->deadline_us, k) != DM_OK)
        return false;
    if (k->deadline_us < l->next_deadline_us)
        l->next_deadline_us = k->deadline_us;
    return true;
}

static void lane_read(struct rpc_lane *l)
{
    size_t avail = 0;
    uint8_t *dst = h2_conn_in_space(&l->conn, READ_CHUNK, &avail);
    ssize_t n = dst ? recv(l->fd, dst, avail, MSG_DONTWAIT) : -1;
    int err = n < 0 ? (dst ? errno : ENOMEM) : 0;
    if (n > 0)
        h2_conn_in_commit(&l->conn, (size_t)n);
    else if (n == 0 || (err != EAGAIN && err != EWOULDBLOCK && err != EINTR))
        h2_conn_fail(&l->conn, RPC_UNAVAILABLE, n == 0 ? "connection closed by the server"
                                                       : "read from the server failed");
}

/* Finished streams, and the connection's end when it is over (dead, or GOAWAY and idle). */
static struct h2_stream *lane_take_done(struct rpc_lane *l)
{
    struct h2_stream *d = h2_conn_take_done(&l->conn);
    if (!(l->conn.dead || (l->conn.goaway && !l->conn.nopen)))
        return d;
    bool dead = l->conn.dead;
    h2_conn_fail(&l->conn, RPC_UNAVAILABLE, l->conn.dead_reason ? l->conn.dead_reason
                                                                : "connection closed");
    struct h2_stream **t = &d;
    while (*t)
        t = &(*t)->next;
    *t = h2_conn_take_done(&l->conn);
    h2_conn_free(&l->conn);
    lane_close(l, dead ? LANE_RETRY_US : 0);
    return d;
}

struct rpc_lane *rpc_lane_new(struct rpc_channel *ch, int epfd)
{
    struct h2_chan *h = rpc_channel_h2(ch);
    struct rpc_lane *l = h && !tl_lane ? calloc(1, sizeof(*l)) : NULL;
    if (!l)
        return NULL;
    l->chan = h;
    l->epfd = epfd;
    l->fd = -1;
    l->next_deadline_us = INT64_MAX;
    tl_lane = l;
    return l;
}

int rpc_lane_timeout_ms(const struct rpc_lane *l)
{
    if (!l)
        return -1;
    if (l->up && (l->conn.done_head || l->conn.dead))
        return 0;
    int64_t due = l->connecting ? l->connect_deadline_us
                                : l->up && l->conn.nopen ? l->next_deadline_us : INT64_MAX;
    if (due == INT64_MAX)
        return -1;
    int64_t left = due - rpc_now_us();
    return left <= 0 ? 0 : left > 1000000 ? 1000 : (int)((left + 999) / 1000);
}

void rpc_lane_service(struct rpc_lane *l, uint32_t events)
{
    if (!l || l->fd < 0)
        return;
    int64_t now = rpc_now_us();
    if (l->connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            lane_connected(l);
        else if (now >= l->connect_deadline_us)
            lane_close(l, LANE_RETRY_US);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        lane_read(l);
    if (now >= l->next_deadline_us)
        l->next_deadline_us = h2_conn_expire(&l->conn, now);
    if (!l->conn.dead && l->conn.out.len)
        lane_flush(l);   /* acks, window updates, RST_STREAMs, what waited for EPOLLOUT */
    dispatch(lane_take_done(l));   /* callbacks may start calls on this lane */
}

void rpc_lane_flush(struct rpc_lane *l)
{
    if (l && l->up && !l->conn.dead && l->conn.out.len && !l->want_out)
        lane_flush(l);
}

void rpc_lane_free(struct rpc_lane *l)
{
    if (!l)
        return;
    if (tl_lane == l)
        tl_lane = NULL;
    struct h2_stream *d = NULL;
    if (l->up) {
        h2_conn_fail(&l->conn, RPC_CANCELLED, "channel closed");
        d = h2_conn_take_done(&l->conn);
        h2_conn_free(&l->conn);
    }
    if (l->fd >= 0)
        lane_close(l, 0);
    free(l);
    dispatch(d);
}

int h2_call_start(struct h2_chan *h, const char *path, const ProtobufCMessageDescriptor *out,
                  const ProtobufCMessage *req, int64_t timeout_ms, const struct rpc_md *md,
                  size_t nmd, rpc_answer_fn done, void *arg, bool may_lane)
{
    struct h2_call *k = calloc(1, sizeof(*k));
    if (!k)
        return DM_E_NOMEM;
    dm_buf_init(&k->hdr, 16384);
    int rc = encode_md(k, path, h->authority, timeout_ms, md, nmd);
    if (rc == DM_OK)
        rc = pack_framed(req, &k->msg, &k->mlen);
    if (rc != DM_OK) {
        call_free(k);
        return rc;
    }
    k->out = out;
    k->done = done;
    k->arg = arg;
    k->start_us = rpc_now_us();
    k->deadline_us = k->start_us + timeout_ms * 1000;
    if (may_lane && tl_lane && tl_lane->chan == h && lane_start(tl_lane, k))
        return DM_OK;
    pthread_mutex_lock(&h->mu);
    if (!h->wait_head && h->have_conn && h2_conn_can_start(&h->conn) && start_on_conn(h, k)) {
        flush_locked(h);
    } else {
        *h->wait_tail = k;
        h->wait_tail = &k->next;
        if (!h->have_conn)
            pthread_cond_signal(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return DM_OK;
}

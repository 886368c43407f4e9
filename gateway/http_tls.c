/* http_tls.c - see http_tls.h */
#include "http_tls.h"

#include <dlfcn.h>      /* RTLD_NEXT: _GNU_SOURCE is set project-wide */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn_limits.h"
#include "dm_error.h"
#include "http_gate.h"
#include "log.h"
#include "metrics.h"

#define SEND_TRIES 20         /* an answer of ~500 bytes: the socket buffer takes it at once */
#define SEND_WAIT_MS 50

struct http_tls {
    struct http_frame_limits lim;   /* the gates borrow it */
    unsigned body_timeout_ms;
    struct conn_limits *limits;     /* max-connections-per-ip; NULL: none */
};

/* One per connection (socket_context). */
struct tls_conn {
    const char *target_end;   /* ungated: the logged raw target's terminator, NULL: none */
    gnutls_session_t session;
    int fd;
    int err;                  /* libgnutls's error of the gate's last failed read */
    bool gated;
    bool answered;            /* the gate's verdict went out (gnutls_bye) */
    bool first_read;          /* the socket's first bytes were looked at (socket_read) */
    bool counted;             /* addr holds a count in limits (the accept policy's) */
    struct sockaddr_storage addr;
    struct http_gate gate;
};

typedef ssize_t (*record_recv_fn)(gnutls_session_t, void *, size_t);
typedef int (*bye_fn)(gnutls_session_t, gnutls_close_request_t);

static record_recv_fn real_recv;
static bye_fn real_bye;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static atomic_ulong tls_ids;

static void find_real(void)
{
    real_recv = (record_recv_fn)dlsym(RTLD_NEXT, "gnutls_record_recv");
    real_bye = (bye_fn)dlsym(RTLD_NEXT, "gnutls_bye");
}

int http_tls_new(const struct http_frame_limits *lim, unsigned body_timeout_ms,
                 unsigned max_per_ip, struct http_tls **out)
{
    *out = NULL;
    pthread_once(&real_once, find_real);
    if (!real_recv || !real_bye) {
        DM_WARN("tls: libgnutls's gnutls_record_recv / gnutls_bye not found: %s", dlerror());
        return DM_E_IO;
    }
    struct http_tls *t = calloc(1, sizeof(*t));
    if (!t)
        return DM_E_NOMEM;
    t->lim = *lim;
    t->body_timeout_ms = body_timeout_ms;
    if (max_per_ip && !(t->limits = conn_limits_new(0, max_per_ip))) {
        free(t);
        return DM_E_NOMEM;
    }
    *out = t;
    return DM_OK;
}

void http_tls_free(struct http_tls *t)
{
    if (t)
        conn_limits_free(t->limits);
    free(t);
}

enum MHD_Result http_tls_accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct http_tls *t = cls;
    return !t->limits || conn_limits_accept(t->limits, addr, len) ? MHD_YES : MHD_NO;
}

/* The gate's source: the session's decrypted bytes, with recv(2)'s results. */
static ssize_t session_read(void *ctx, void *buf, size_t len)
{
    struct tls_conn *c = ctx;
    ssize_t n = real_recv(c->session, buf, len);
    if (n >= 0)
        return n;
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
        errno = n == GNUTLS_E_AGAIN ? EAGAIN : EINTR;
        return -1;
    }
    c->err = (int)n;
    errno = EPROTO;
    return -1;
}

/* Read (and drop) bytes nobody will read, up to 1 MiB: closing a socket with unread
 * bytes resets the connection, which can destroy the answer in flight. */
static void drain(int fd)
{
    char sink[4096];
    for (size_t got = 0; got < (1u << 20);) {
        ssize_t n = recvfrom(fd, sink, sizeof(sink), MSG_DONTWAIT, NULL, NULL);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
}

static void log_refusal(const char *rid, int status, const char *detail)
{
    char st[8];
    snprintf(st, sizeof(st), "%d", status);
    dm_log_kv(DM_LOG_INFO, "access", "requestId", rid, "route", "framing", "status", st, "detail",
              detail, NULL);
    metrics_http_observe("unmatched", "other", status, 0);
}

/* libgnutls's reads of the socket (the handshake's, then the records'): the first bytes of
 * a connection that are an HTTP request line instead of a TLS record (those start with a
 * content type 20-23, an SSLv2 hello with 0x80) get a plain-text problem+json 400 and end
 * of file (the handshake fails, libmicrohttpd closes). */
static ssize_t socket_read(void *ctx, int fd, void *buf, size_t len)
{
    struct tls_conn *c = ctx;
    ssize_t n = recvfrom(fd, buf, len, 0, NULL, NULL);
    if (c->first_read || n <= 0)
        return n;
    c->first_read = true;
    unsigned char b0 = *(const unsigned char *)buf;
    if (b0 < 'A' || b0 > 'Z')
        return n;
    static const char detail[] = "this port serves HTTPS: plain HTTP is not read here";
    char ans[1536], rid[32];
    drain(fd);   /* the rest of the request: closing with unread bytes resets the answer */
    snprintf(rid, sizeof(rid), "tls-%lu", atomic_fetch_add(&tls_ids, 1) + 1);
    size_t k = http_frame_answer(ans, sizeof(ans), 400, detail, rid);
    if (k && send(fd, ans, k, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        DM_DEBUG("tls: plain-HTTP answer not sent");
    shutdown(fd, SHUT_WR);
    log_refusal(rid, 400, detail);
    return 0;
}

/* The gated connection that owns session s, or NULL (another session: a client's, an
 * ungated connection's). The gate table is keyed by descriptor; s must match too. */
static struct tls_conn *conn_of_session(gnutls_session_t s)
{
    struct http_gate *g = http_gate_lookup(gnutls_transport_get_int(s));
    if (!g || g->src != session_read)
        return NULL;
    struct tls_conn *c = g->src_ctx;
    return c->session == s ? c : NULL;
}

/* STARTED: the connection takes over the accept policy's count (out of memory: given
 * back, the connection goes uncounted). */
static void claim_count(struct http_tls *t, struct tls_conn *c)
{
    struct sockaddr_storage a;
    if (!t->limits)
        return;
    if (c)
        c->counted = conn_limits_claim(t->limits, &c->addr);
    else if (conn_limits_claim(t->limits, &a))
        conn_limits_release(t->limits, (const struct sockaddr *)&a);
}

static void on_started(struct http_tls *t, struct MHD_Connection *mc, void **ctx)
{
    struct tls_conn *c = calloc(1, sizeof(*c));
    *ctx = c;
    claim_count(t, c);
    if (!c)
        return;
    const union MHD_ConnectionInfo *fi = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *si = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    c->fd = fi ? fi->connect_fd : -1;
    c->session = si ? si->tls_session : NULL;
    if (c->fd < 0 || !c->session)
        return;
    http_gate_init(&c->gate, &t->lim);
    c->gate.body_timeout_ms = t->body_timeout_ms;
    c->gate.src = session_read;
    c->gate.raw = socket_read;
    c->gate.src_ctx = c;
    c->gated = http_gate_register(c->fd, &c->gate);
}

static void on_closed(struct http_tls *t, struct tls_conn *c)
{
    if (!c)
        return;
    if (c->counted)
        conn_limits_release(t->limits, (const struct sockaddr *)&c->addr);
    if (c->gated) {
        http_gate_unregister(c->fd);
        if (c->gate.bad)
            drain(c->fd);   /* libmicrohttpd closes the socket after this callback */
    }
    http_gate_release(&c->gate);
    free(c);
}

void http_tls_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        on_started(cls, c, socket_context);
    } else {
        on_closed(cls, *socket_context);
        *socket_context = NULL;
    }
}

static struct tls_conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* libmicrohttpd's URI log callback gets the raw target (query included) NUL-terminated
 * where the space before the version was, and the access handler's `version` points into
 * the same buffer: a target holding a NUL ("GET /livez\0.json", served as /livez) ends
 * before that space. Only needed where the gate did not see the head. */
void *http_tls_uri_log(void *cls, const char *uri, struct MHD_Connection *mc)
{
    (void)cls;
    struct tls_conn *c = conn_of(mc);
    if (c && !c->gated)
        c->target_end = uri + strlen(uri);
    return NULL;
}

bool http_tls_target_has_nul(struct MHD_Connection *mc, const char *version)
{
    struct tls_conn *c = conn_of(mc);
    bool nul = c && c->target_end && *version && version != c->target_end + 1;
    if (c)
        c->target_end = NULL;
    return nul;
}

bool http_tls_gated(struct MHD_Connection *mc)
{
    const struct tls_conn *c = conn_of(mc);
    return c && c->gated;
}

void http_tls_request_done(struct MHD_Connection *mc, bool keepalive)
{
    struct tls_conn *c = conn_of(mc);
    if (c && c->gated)
        http_gate_request_done(&c->gate, c->fd, keepalive,
                               MHD_get_connection_info(mc, MHD_CONNECTION_INFO_HTTP_STATUS) != NULL);
}

/* Write all of buf through the session (non-blocking socket: a few short waits). */
static bool send_all(gnutls_session_t s, int fd, const char *buf, size_t len)
{
    size_t off = 0;
    for (int tries = 0; off < len && tries < SEND_TRIES;) {
        ssize_t n = gnutls_record_send(s, buf + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
            return false;
        struct pollfd p = {fd, POLLOUT, 0};
        poll(&p, 1, SEND_WAIT_MS);
        tries++;
    }
    return off == len;
}

/* The gate's verdict, once, as the plain front answers it (http_park.c refuse). */
static void answer_verdict(struct tls_conn *c)
{
    const struct http_frame_verdict *v = http_gate_answer_due(&c->gate);
    if (!v || c->answered)
        return;
    c->answered = true;
    char ans[2048], rid[32];
    snprintf(rid, sizeof(rid), "tls-%lu", atomic_fetch_add(&tls_ids, 1) + 1);
    size_t n = http_frame_answer(ans, sizeof(ans), v->status, v->detail, rid);
    if (n && !send_all(c->session, c->fd, ans, n))
        DM_DEBUG("tls: framing answer not sent");
    log_refusal(rid, v->status, v->detail);
}

/* ---------- the interposed libgnutls functions (see the header) ---------- */

ssize_t gnutls_record_recv(gnutls_session_t s, void *buf, size_t len)
{
    pthread_once(&real_once, find_real);
    struct tls_conn *c = conn_of_session(s);
    if (!c)
        return real_recv ? real_recv(s, buf, len) : GNUTLS_E_INTERNAL_ERROR;
    c->err = 0;
    ssize_t n = http_gate_read(&c->gate, c->fd, buf, len);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return GNUTLS_E_AGAIN;
    if (errno == EINTR)
        return GNUTLS_E_INTERRUPTED;
    return c->err ? c->err : GNUTLS_E_PULL_ERROR;
}

int gnutls_bye(gnutls_session_t s, gnutls_close_request_t how)
{
    pthread_once(&real_once, find_real);
    struct tls_conn *c = conn_of_session(s);
    if (c)
        answer_verdict(c);
    return real_bye ? real_bye(s, how) : GNUTLS_E_INTERNAL_ERROR;
}

/* raw_http.c - see raw_http.h */
#include "raw_http.h"
#include "testutil.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------- the transport: a plain socket, or a TLS session on it (raw_http_tls) ---------- */

static bool use_tls;
static gnutls_certificate_credentials_t tls_cred;

struct conn {
    int fd;
    gnutls_session_t s;   /* NULL: plain */
};

int raw_http_tls(bool on)
{
    if (on && !tls_cred && (gnutls_global_init() != 0 ||
                            gnutls_certificate_allocate_credentials(&tls_cred) != 0))
        return -1;
    use_tls = on;
    return 0;
}

static int conn_open(int port, struct conn *c)
{
    c->s = NULL;
    c->fd = tu_connect_lo(port);
    if (c->fd < 0 || !use_tls)
        return c->fd < 0 ? -1 : 0;
    int rc = gnutls_init(&c->s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
    rc = rc ? rc : gnutls_set_default_priority(c->s);
    rc = rc ? rc : gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, tls_cred);
    if (rc == 0) {
        gnutls_transport_set_int(c->s, c->fd);
        gnutls_handshake_set_timeout(c->s, 10000);
        do
            rc = gnutls_handshake(c->s);
        while (rc < 0 && !gnutls_error_is_fatal(rc));
    }
    if (rc != 0) {
        if (c->s)
            gnutls_deinit(c->s);
        close(c->fd);
        return -1;
    }
    return 0;
}

static ssize_t conn_send(struct conn *c, const char *p, size_t len)
{
    if (!c->s)
        return send(c->fd, p, len, MSG_NOSIGNAL);
    ssize_t n = gnutls_record_send(c->s, p, len);
    if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN) {
        errno = EINTR;
        return -1;
    }
    return n < 0 ? -1 : n;
}

/* Bytes already decrypted wait in the session: no poll needed. */
static bool conn_pending(struct conn *c)
{
    return c->s && gnutls_record_check_pending(c->s) > 0;
}

static ssize_t conn_recv(struct conn *c, char *buf, size_t len)
{
    if (!c->s)
        return recv(c->fd, buf, len, 0);
    ssize_t n = gnutls_record_recv(c->s, buf, len);
    if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN) {
        errno = EINTR;
        return -1;
    }
    return n < 0 ? 0 : n;   /* a reset or a close without close_notify: the end */
}

/* Half-close: FIN, or TLS close_notify (the server reads end of file either way). */
static void conn_shutdown_wr(struct conn *c)
{
    if (c->s)
        gnutls_bye(c->s, GNUTLS_SHUT_WR);
    else
        shutdown(c->fd, SHUT_WR);
}

static void conn_close(struct conn *c)
{
    if (c->s)
        gnutls_deinit(c->s);
    close(c->fd);
}

static void send_all(struct conn *c, const char *p, size_t len)
{
    while (len) {
        ssize_t n = conn_send(c, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;   /* the server closed on us: what it answered is read below */
        p += n;
        len -= (size_t)n;
    }
}

static int append(struct raw_result *r, size_t *cap, const char *p, size_t n)
{
    if (r->len + n + 1 > *cap) {
        size_t nc = (*cap ? *cap : 4096);
        while (nc < r->len + n + 1)
            nc *= 2;
        char *nb = realloc(r->bytes, nc);
        if (!nb)
            return -1;
        r->bytes = nb;
        *cap = nc;
    }
    memcpy(r->bytes + r->len, p, n);
    r->len += n;
    r->bytes[r->len] = '\0';
    return 0;
}

/* Read into out until EOF or the deadline; with want_resp > 0 stop as soon as that many
 * whole responses arrived. */
static void read_answers(struct conn *c, struct raw_result *out, size_t *cap, long long end,
                         unsigned want_resp)
{
    for (;;) {
        long long left = end - tu_now_ms();
        if (left <= 0) {
            out->timed_out = true;
            break;
        }
        struct pollfd p = {c->fd, POLLIN, 0};
        if (!conn_pending(c) && poll(&p, 1, (int)left) <= 0)
            continue;
        char buf[8192];
        ssize_t n = conn_recv(c, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            out->closed = true;
            break;
        }
        if (append(out, cap, buf, (size_t)n) != 0)
            break;
        if (want_resp) {
            raw_parse(out);
            if (out->nresp >= want_resp)
                break;
        }
    }
}

int raw_exchange_after(int port, const void *first, size_t flen, const void *req, size_t len,
                       bool half_close, int timeout_ms, struct raw_result *out)
{
    return raw_exchange_split(port, first, flen, req, len, NULL, 0, half_close, timeout_ms, out);
}

int raw_exchange_split(int port, const void *first, size_t flen, const void *req, size_t len,
                       const void *rest, size_t rlen, bool half_close, int timeout_ms,
                       struct raw_result *out)
{
    memset(out, 0, sizeof(*out));
    struct conn c;
    if (conn_open(port, &c) != 0)
        return -1;
    size_t cap = 0;
    append(out, &cap, "", 0);
    long long end = tu_now_ms() + timeout_ms;
    if (first) {
        send_all(&c, first, flen);
        read_answers(&c, out, &cap, end, 1);
    }
    if (!out->closed && !out->timed_out) {
        send_all(&c, req, len);
        if (rest) {   /* a separate read for the server: let the first part arrive alone */
            struct timespec gap = {0, 50 * 1000000L};
            nanosleep(&gap, NULL);
            send_all(&c, rest, rlen);
        }
        if (half_close)
            conn_shutdown_wr(&c);
        read_answers(&c, out, &cap, end, 0);
    }
    conn_close(&c);
    raw_parse(out);
    return 0;
}

int raw_exchange_trickle(int port, const void *head, size_t hlen, const void *drip, size_t dlen,
                         int interval_ms, int timeout_ms, struct raw_result *out)
{
    memset(out, 0, sizeof(*out));
    struct conn c;
    if (conn_open(port, &c) != 0)
        return -1;
    size_t cap = 0;
    append(out, &cap, "", 0);
    long long start = tu_now_ms(), end = start + timeout_ms;
    send_all(&c, head, hlen);
    while (!out->closed && !out->timed_out && out->len == 0) {
        long long next = tu_now_ms() + interval_ms;
        read_answers(&c, out, &cap, next < end ? next : end, 1);
        if (out->timed_out && next < end && out->len == 0) {
            out->timed_out = false;   /* only this interval passed: one more drip */
            send_all(&c, drip, dlen);
        }
    }
    if (!out->closed && !out->timed_out)
        read_answers(&c, out, &cap, end, 0);   /* the rest of the answer, then EOF */
    out->elapsed_ms = tu_now_ms() - start;
    conn_close(&c);
    raw_parse(out);
    return 0;
}

int raw_exchange(int port, const void *req, size_t len, bool half_close, int timeout_ms,
                 struct raw_result *out)
{
    return raw_exchange_after(port, NULL, 0, req, len, half_close, timeout_ms, out);
}

size_t raw_read_until(int fd, char *buf, size_t cap, const char *want, int timeout_ms)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int waited = 0; waited < timeout_ms && len + 1 < cap && !strstr(buf, want);) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) == 0) {
            waited += 100;
            continue;
        }
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
    }
    return len;
}

void raw_result_free(struct raw_result *r)
{
    free(r->bytes);
    r->bytes = NULL;
}

static const char *find_crlf2(const char *p, const char *end)
{
    for (; p + 3 < end; p++)
        if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
            return p;
    return NULL;
}

bool raw_header(const struct raw_resp *rp, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = rp->head, *end = rp->head + rp->head_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(eol - v);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            if (out && cap) {
                size_t k = vl < cap - 1 ? vl : cap - 1;
                memcpy(out, v, k);
                out[k] = '\0';
            }
            return true;
        }
        p = eol + 1;
    }
    return false;
}

static void bad(struct raw_result *r, const char *why)
{
    r->malformed = true;
    r->why = why;
}

/* Chunked body from p: returns its end, or NULL when not well-framed. */
static const char *chunked_end(const char *p, const char *end)
{
    for (;;) {
        char *e = NULL;
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        if (!lf)
            return NULL;
        unsigned long long sz = strtoull(p, &e, 16);
        if (e == p || lf[-1] != '\r')
            return NULL;
        p = lf + 1;
        if (sz == 0) {   /* trailers until the empty line */
            const char *t = p;
            while (t + 1 < end && !(t[0] == '\r' && t[1] == '\n')) {
                const char *l2 = memchr(t, '\n', (size_t)(end - t));
                if (!l2)
                    return NULL;
                t = l2 + 1;
            }
            return t + 1 < end ? t + 2 : NULL;
        }
        if ((unsigned long long)(end - p) < sz + 2 || p[sz] != '\r' || p[sz + 1] != '\n')
            return NULL;
        p += sz + 2;
    }
}

/* One response at *pp; false (and r->malformed) when it is not well-framed. */
static bool parse_one(struct raw_result *r, const char **pp, const char *end)
{
    const char *p = *pp;
    const char *he = find_crlf2(p, end);
    if ((size_t)(end - p) < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' || !he) {
        bad(r, "not a status line and header block");
        return false;
    }
    struct raw_resp *rp = &r->resp[r->nresp];
    memset(rp, 0, sizeof(*rp));
    rp->status = atoi(p + 9);
    rp->head = p;
    rp->head_len = (size_t)(he - p) + 2;
    const char *body = he + 4;
    char v[64];
    rp->conn_close = raw_header(rp, "Connection", v, sizeof(v)) && strcasecmp(v, "close") == 0;
    bool has_cl = raw_header(rp, "Content-Length", v, sizeof(v));
    char te[64];
    bool chunked = raw_header(rp, "Transfer-Encoding", te, sizeof(te)) && strcasecmp(te, "chunked") == 0;
    if (has_cl && chunked) {
        bad(r, "Content-Length and chunked in one response");
        return false;
    }
    const char *next = NULL;
    if (chunked) {
        next = chunked_end(body, end);
    } else if (has_cl) {
        char *e = NULL;
        unsigned long long n = strtoull(v, &e, 10);
        if (e != v && *e == '\0' && n <= (unsigned long long)(end - body))
            next = body + n;
        rp->body = body;
        rp->body_len = next ? n : 0;
    } else if (rp->status < 200 || rp->status == 204 || rp->status == 304) {
        next = body;
    } else {
        next = r->closed ? end : NULL;   /* close-delimited */
    }
    if (!next) {
        bad(r, "response body not well-framed");
        return false;
    }
    r->nresp++;
    *pp = next;
    return true;
}

void raw_parse(struct raw_result *r)
{
    r->nresp = 0;
    r->malformed = false;
    r->why = NULL;
    const char *p = r->bytes, *end = r->bytes + r->len;
    while (p && p < end && r->nresp < RAW_MAX_RESP) {
        r->parsed = (size_t)(p - r->bytes);
        if (!parse_one(r, &p, end))
            return;
    }
    r->parsed = (size_t)(p - r->bytes);
    if (p < end)
        bad(r, "too many responses");
}

/* ---------- a throw-away certificate ---------- */

int raw_tls_selfsigned(char **cert_pem, char **key_pem)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t c = {NULL, 0}, k = {NULL, 0};
    unsigned char serial[4] = {1, 2, 3, 4};
    time_t now = time(NULL);
    int rc = gnutls_x509_privkey_init(&key);
    rc = rc ? rc : gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                                GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    rc = rc ? rc : gnutls_x509_crt_init(&crt);
    rc = rc ? rc : gnutls_x509_crt_set_version(crt, 3);
    rc = rc ? rc : gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
    rc = rc ? rc : gnutls_x509_crt_set_activation_time(crt, now - 60);
    rc = rc ? rc : gnutls_x509_crt_set_expiration_time(crt, now + 24 * 3600);
    rc = rc ? rc : gnutls_x509_crt_set_dn(crt, "CN=localhost", NULL);
    rc = rc ? rc : gnutls_x509_crt_set_key(crt, key);
    rc = rc ? rc : gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    rc = rc ? rc : gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c);
    rc = rc ? rc : gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k);
    *cert_pem = rc ? NULL : strndup((const char *)c.data, c.size);
    *key_pem = rc ? NULL : strndup((const char *)k.data, k.size);
    gnutls_free(c.data);
    gnutls_free(k.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    if (!rc && (!*cert_pem || !*key_pem)) {
        free(*cert_pem);
        free(*key_pem);
        rc = -1;
    }
    return rc ? -1 : 0;
}

/* test_http_tls.c - the gateway over TLS (tls-cert-file), through a real TLS client
 * (gnutls) to an in-process gateway with a throw-away self-signed certificate.
 *
 * TLS connections have no front (their bytes cannot be peeked), but since gwattack3 the
 * read gate runs on their decrypted bytes (gateway/http_tls.c): the same head, body
 * framing and chunk rules as plain HTTP, the same problem+json refusals. Before, only the
 * access handler's rules applied: bare LF line ends and obs-fold (glued to the field
 * name) were served, and libmicrohttpd's own HTML error pages (status line written twice)
 * answered `Content-Length: 16 `, a bad chunk size and a head larger than its pool.
 * Each shape is tried as a connection's first request, as a keep-alive follow-up and
 * pipelined behind a GET in one write, with a GET /metrics pipelined behind it that
 * must never be answered. Also (gwattack2): a NUL in the request target (400), cookie-heavy
 * heads (431 problem+json), Host / Content-Encoding / Expect + 415 as over plain HTTP.
 * max-connections-per-ip over TLS: counted as on plain HTTP (gateway/conn_limits.c, IPv6
 * by /64: test_conn_limits drives the TLS accept policy's counting with other addresses),
 * over 127.0.0.1 and ::1, and no place leaks over 200 connections. */
#include <arpa/inet.h>
#include <check.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "gw_inproc.h"
#include "raw_http.h"
#include "rpc.h"
#include "scripted_master.h"
#include "testutil.h"

#define SECRET "tls-secret-tls-secret-tls-secret-0123"
#define WAIT_MS 8000   /* a hang bound, not a timing assertion */

static struct scripted_master *sm;
static struct gw_inproc *gw;
static int port;
static char tok_write[2048];
static gnutls_datum_t cert_pem, key_pem;

/* A self-signed ECDSA P-256 certificate for localhost, PEM. */
static void make_cert(void)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    ck_assert_int_eq(gnutls_x509_privkey_init(&key), 0);
    ck_assert_int_eq(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                                  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
    unsigned char serial[4] = {1, 2, 3, 4};
    time_t now = time(NULL);
    ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
    ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), 0);
    ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt, now - 60), 0);
    ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt, now + 3600), 0);
    ck_assert_int_eq(gnutls_x509_crt_set_dn(crt, "CN=localhost", NULL), 0);
    ck_assert_int_eq(gnutls_x509_crt_set_key(crt, key), 0);
    ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
    ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem), 0);
    ck_assert_int_eq(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem), 0);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

static void setup(void)
{
    ck_assert_int_eq(gnutls_global_init(), 0);
    make_cert();
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    /* PEM strings: the datums are NUL-terminated by gnutls */
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET,
                              .tls_cert_pem = (const char *)cert_pem.data,
                              .tls_key_pem = (const char *)key_pem.data,
                              .conn_timeout_s = 4};   /* stalled_head_gets_408 */
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
    gw_test_mint(tok_write, sizeof(tok_write), SECRET, "dm:write", 600);
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    sm_stop(sm);
    gnutls_free(cert_pem.data);
    gnutls_free(key_pem.data);
    gnutls_global_deinit();
}

struct tls_client {
    int fd;
    gnutls_certificate_credentials_t cred;
    gnutls_session_t s;
};

/* A TCP connection to the loopback address of `family` at port p. */
static int loopback_connect(int family, int p)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (family == AF_INET6) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        a6->sin6_addr = in6addr_loopback;
    } else {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    int fd = socket(family, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    socklen_t len = family == AF_INET6 ? sizeof(*a6) : sizeof(*a4);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
    return fd;
}

/* Connect and shake hands; false: the server closed the connection instead (c still to
 * be closed with tls_close). */
static bool tls_try_open(struct tls_client *c, int family, int p)
{
    c->fd = loopback_connect(family, p);
    ck_assert_int_eq(gnutls_certificate_allocate_credentials(&c->cred), 0);
    ck_assert_int_eq(gnutls_init(&c->s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL), 0);
    ck_assert_int_eq(gnutls_set_default_priority(c->s), 0);
    ck_assert_int_eq(gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, c->cred), 0);
    gnutls_transport_set_int(c->s, c->fd);
    gnutls_handshake_set_timeout(c->s, WAIT_MS);
    int rc;
    do
        rc = gnutls_handshake(c->s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    gnutls_record_set_timeout(c->s, WAIT_MS);
    return rc == 0;
}

static void tls_open(struct tls_client *c)
{
    ck_assert_msg(tls_try_open(c, AF_INET, port), "handshake failed");
}

/* Send len bytes; a server that refused the start and closed ends the sending (its
 * answer is read next). */
static void tls_send(struct tls_client *c, const void *req, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = gnutls_record_send(c->s, (const char *)req + off, len - off);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

/* Read into buf (cap, NUL-terminated) from *got on until the server closes, `want` shows
 * up or WAIT_MS passed without a byte. Returns true when the server closed. */
static bool tls_read(struct tls_client *c, char *buf, size_t cap, size_t *got, const char *want)
{
    for (;;) {
        if (want && strstr(buf, want))
            return false;
        ssize_t n = gnutls_record_recv(c->s, buf + *got, cap - 1 - *got);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n <= 0 || *got + (size_t)n + 1 >= cap)
            return n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION;
        *got += (size_t)n;
        buf[*got] = '\0';
    }
}

static void tls_close(struct tls_client *c)
{
    gnutls_deinit(c->s);
    gnutls_certificate_free_credentials(c->cred);
    close(c->fd);
}

/* Send len bytes over TLS (after `first` and its whole answer, when given) and read until
 * the server closes, `want` shows up or WAIT_MS passed. out gets what came back (parsed). */
static void tls_exchange_after(const char *first, const void *req, size_t len, const char *want,
                               struct raw_result *out)
{
    struct tls_client c;
    tls_open(&c);
    size_t cap = 65536, got = 0;
    char *buf = calloc(1, cap);
    ck_assert_ptr_nonnull(buf);
    if (first) {   /* a keep-alive request whose answer (a small JSON body) arrives first */
        tls_send(&c, first, strlen(first));
        ck_assert(!tls_read(&c, buf, cap, &got, "}"));
    }
    tls_send(&c, req, len);
    bool closed = tls_read(&c, buf, cap, &got, want);
    tls_close(&c);
    memset(out, 0, sizeof(*out));
    out->bytes = buf;
    out->len = got;
    out->closed = closed;
    raw_parse(out);
}

static void tls_exchange(const void *req, size_t len, const char *want, struct raw_result *out)
{
    tls_exchange_after(NULL, req, len, want, out);
}

static void expect_one(const void *req, size_t len, int status, const char *has)
{
    struct raw_result r;
    tls_exchange(req, len, NULL, &r);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == status, "want %d: %s (%s)",
                  status, r.bytes, r.why ? r.why : "");
    ck_assert_msg(strstr(r.bytes, "Content-Type: application/problem+json") != NULL, "%s", r.bytes);
    ck_assert_msg(strstr(r.bytes, has) != NULL, "no \"%s\" in %s", has, r.bytes);
    raw_result_free(&r);
}

START_TEST(nul_in_the_target)
{
    static const char a[] = "GET /livez\0.json HTTP/1.1\r\nHost: x\r\n\r\n";
    expect_one(a, sizeof(a) - 1, 400, "request target");
    static const char b[] = "GET /livez\0HTTP/1.1\0x HTTP/1.1\r\nHost: x\r\n\r\n";
    expect_one(b, sizeof(b) - 1, 400, "request target");
    /* a query (split at '?' by libmicrohttpd) is no NUL */
    static const char ok[] = "GET /livez?a=1&b=%20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    struct raw_result r;
    tls_exchange(ok, sizeof(ok) - 1, NULL, &r);
    ck_assert_msg(r.nresp == 1 && r.resp[0].status == 200, "%s", r.bytes);
    raw_result_free(&r);
    /* a keep-alive follow-up with a NUL: its own 400 after the first 200 */
    static const char two[] = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\nGET /livez\0x HTTP/1.1\r\nHost: x\r\n\r\n";
    tls_exchange(two, sizeof(two) - 1, NULL, &r);
    ck_assert_msg(!r.malformed && r.nresp == 2 && r.resp[0].status == 200 && r.resp[1].status == 400,
                  "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

START_TEST(cookie_heavy_heads_get_a_json_431)
{
    static char req[12000];
    int n = snprintf(req, sizeof(req), "GET /livez HTTP/1.1\r\nHost: x\r\nCookie: ");
    memset(req + n, 'a', 8000);
    n += 8000;
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
    expect_one(req, (size_t)n, 431, "\"status\":431");
    n = snprintf(req, sizeof(req), "GET /livez HTTP/1.1\r\nHost: x\r\nCookie: ");
    for (int i = 0; i < 250; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "a;");
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
    expect_one(req, (size_t)n, 431, "\"status\":431");
}
END_TEST

START_TEST(head_rules_of_the_handler_over_tls)
{
    static const char host[] = "GET /livez HTTP/1.1\r\nHost: a:99999999\r\n\r\n";
    expect_one(host, sizeof(host) - 1, 400, "invalid Host");
    char req[4096];
    int n = snprintf(req, sizeof(req), "POST /api/v1/tasks/t1/pause HTTP/1.1\r\nHost: x\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", tok_write);
    expect_one(req, (size_t)n, 415, "Content-Encoding gzip");
    n = snprintf(req, sizeof(req), "POST /api/v1/tasks/t1/pause HTTP/1.1\r\nHost: x\r\n"
                 "Authorization: Bearer %s\r\nContent-Type: text/xml\r\nContent-Length: 20\r\n"
                 "Expect: 100-continue\r\n\r\n", tok_write);
    struct raw_result r;
    tls_exchange(req, (size_t)n, "\r\n\r\n{", &r);
    ck_assert_msg(strncmp(r.bytes, "HTTP/1.1 415 ", 13) == 0 && !strstr(r.bytes, " 100 "), "%s",
                  r.bytes);
    raw_result_free(&r);
}
END_TEST


/* ---------- the read gate on TLS (gwattack3) ---------- */

static const char PIPELINED[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
static const char KEEPALIVE_GET[] = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
enum position { POS_FIRST, POS_FOLLOWUP, POS_PIPELINED };
static const char *const POS_NAME[] = {"first", "follow-up", "pipelined"};

/* Exactly one well-framed problem+json with `status` and Connection: close, the
 * connection closed, the pipelined GET /metrics never answered - after the GET's 200 when
 * the shape followed one. */
static void expect_refused_at(enum position pos, const char *req, size_t len, int status)
{
    static char both[80000];
    struct raw_result r;
    if (pos == POS_PIPELINED) {
        ck_assert(sizeof(KEEPALIVE_GET) - 1 + len <= sizeof(both));
        memcpy(both, KEEPALIVE_GET, sizeof(KEEPALIVE_GET) - 1);
        memcpy(both + sizeof(KEEPALIVE_GET) - 1, req, len);
        tls_exchange(both, sizeof(KEEPALIVE_GET) - 1 + len, NULL, &r);
    } else {
        tls_exchange_after(pos == POS_FOLLOWUP ? KEEPALIVE_GET : NULL, req, len, NULL, &r);
    }
    const char *at = POS_NAME[pos];
    unsigned want = pos == POS_FIRST ? 1 : 2;
    ck_assert_msg(!r.malformed, "%s: malformed answer (%s): %s", at, r.why ? r.why : "", r.bytes);
    ck_assert_msg(r.closed, "%s: connection left open: %s", at, r.bytes);
    ck_assert_msg(r.nresp == want, "%s: %u answers: %s", at, r.nresp, r.bytes);
    if (want == 2)
        ck_assert_msg(r.resp[0].status == 200 && !r.resp[0].conn_close, "%s: %s", at, r.bytes);
    const struct raw_resp *rp = &r.resp[want - 1];
    ck_assert_msg(rp->status == status, "%s: want %d: %s", at, status, r.bytes);
    ck_assert_msg(rp->conn_close, "%s: no Connection: close: %s", at, r.bytes);
    char ct[64];
    ck_assert(raw_header(rp, "Content-Type", ct, sizeof(ct)));
    ck_assert_str_eq(ct, "application/problem+json");
    ck_assert_ptr_null(strstr(r.bytes, "dmgw_"));
    raw_result_free(&r);
}

/* head: "%s" marks where the Authorization line goes; then body and the pipelined GET. */
static void expect_refused(const char *head, const char *body, size_t body_len, int status)
{
    static char req[75000];
    char authz[2200];
    snprintf(authz, sizeof(authz), "Authorization: Bearer %s\r\n", tok_write);
    const char *mark = strstr(head, "%s");
    ck_assert_ptr_nonnull(mark);
    int n = snprintf(req, sizeof(req), "%.*s%s%s", (int)(mark - head), head, authz, mark + 2);
    ck_assert(n > 0 && (size_t)n + body_len + sizeof(PIPELINED) < sizeof(req));
    size_t len = (size_t)n;
    memcpy(req + len, body, body_len);
    len += body_len;
    memcpy(req + len, PIPELINED, sizeof(PIPELINED) - 1);
    len += sizeof(PIPELINED) - 1;
    for (enum position pos = POS_FIRST; pos <= POS_PIPELINED; pos++)
        expect_refused_at(pos, req, len, status);
}

#define BODY(s) (s), sizeof(s) - 1
#define GET_LIVEZ "GET /livez HTTP/1.1\r\nHost: x\r\n%s"
#define POST_ENC "POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: x\r\n%s" \
                 "Content-Type: application/json\r\n"

/* Served before: bare LF line ends; obs-fold, glued to the field name. */
START_TEST(line_ends_and_folding_refused)
{
    expect_refused("GET /livez HTTP/1.1\nHost: x\n%s\n", "", 0, 400);
    expect_refused(GET_LIVEZ "X-A: a\nX-B: b\r\n\r\n", "", 0, 400);
    expect_refused(GET_LIVEZ "X-A: a\r\n b\r\n\r\n", "", 0, 400);
    expect_refused(GET_LIVEZ "X-A: a\rX-B: b\r\n\r\n", "", 0, 400);
    expect_refused(GET_LIVEZ "X-A : a\r\n\r\n", "", 0, 400);
    expect_refused(GET_LIVEZ "X-A: a\x01b\r\n\r\n", "", 0, 400);
    expect_refused("GET /livez HTTP/2.0\r\nHost: x\r\n%s\r\n", "", 0, 505);
}
END_TEST

/* Were libmicrohttpd's HTML pages with the status line and headers twice. */
START_TEST(library_error_pages_are_problem_json)
{
    const char *body = "{\"password\":\"x\"}";   /* 16 bytes */
    expect_refused(POST_ENC "Content-Length: 16 \r\n\r\n", body, 16, 400);
    expect_refused(POST_ENC "Transfer-Encoding: chunked\r\n\r\n", BODY("5 ;x\r\nabcde\r\n0\r\n\r\n"), 400);
    expect_refused(POST_ENC "Transfer-Encoding: chunked\r\n\r\n", BODY("zz\r\nabc\r\n0\r\n\r\n"), 400);
    static char big[64000];
    int n = snprintf(big, sizeof(big), "GET /livez HTTP/1.1\r\nHost: x\r\n%%sX-Big: ");
    memset(big + n, 'a', 60000);
    snprintf(big + n + 60000, sizeof(big) - (size_t)n - 60000, "\r\n\r\n");
    expect_refused(big, "", 0, 431);
}
END_TEST

START_TEST(smuggling_shapes_refused)
{
    const char *body = "{\"password\":\"x\"}";
    expect_refused(POST_ENC "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", BODY("0\r\n\r\n"), 400);
    expect_refused(POST_ENC "Content-Length: 16\r\nContent-Length: 5\r\n\r\n", body, 16, 400);
    expect_refused(POST_ENC "Content-Length: +16\r\n\r\n", body, 16, 400);
    expect_refused(POST_ENC "Transfer-Encoding: xchunked\r\n\r\n", BODY("0\r\n\r\n"), 501);
    expect_refused(POST_ENC "Transfer-Encoding: chunked, identity\r\n\r\n", BODY("0\r\n\r\n"), 501);
    expect_refused(POST_ENC "Transfer-Encoding: chunked\r\n\r\n", BODY("ffffffffffffffff\r\nabc"), 413);
    expect_refused(POST_ENC "Transfer-Encoding: chunked\r\n\r\n", BODY("3\r\nabcX\r\n0\r\n\r\n"), 400);
    expect_refused(POST_ENC "Transfer-Encoding: chunked\r\n\r\n", BODY("0\r\nno colon\r\n\r\n"), 400);
}
END_TEST

/* A good chunked body whose lines straddle TLS records, then a keep-alive GET: both served. */
START_TEST(chunked_body_across_records_served)
{
    char head[3000];
    int n = snprintf(head, sizeof(head), "POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: x\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n1", tok_write);
    struct tls_client c;
    tls_open(&c);
    tls_send(&c, head, (size_t)n);
    static const char *const parts[] = {"0\r", "\n{\"password\":\"", "x\"}\r\n", "0\r\n", "\r\n",
                                         "GET /livez HTTP/1.1\r\nHost: x\r\n", "Connection: close\r\n\r\n"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        tls_send(&c, parts[i], strlen(parts[i]));   /* one record each */
    size_t cap = 65536, got = 0;
    char *buf = calloc(1, cap);
    ck_assert_ptr_nonnull(buf);
    bool closed = tls_read(&c, buf, cap, &got, NULL);
    tls_close(&c);
    struct raw_result r = {.bytes = buf, .len = got, .closed = closed};
    raw_parse(&r);
    ck_assert_msg(!r.malformed && r.nresp == 2 && r.resp[0].status == 200 && r.resp[1].status == 200,
                  "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

/* A 100 KiB request line: one TLS record is more than the gate's hold buffer (was 431,
 * plain HTTP says 414); Expect other than 100-continue (was served). */
START_TEST(long_target_and_unmet_expectation)
{
    static char big[110000];
    int n = snprintf(big, sizeof(big), "GET /");
    memset(big + n, 'a', 100000);
    snprintf(big + n + 100000, sizeof(big) - (size_t)n - 100000, " HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_one(big, strlen(big), 414, "\"status\":414");
    expect_refused(GET_LIVEZ "Expect: foo\r\n\r\n", "", 0, 417);
}
END_TEST

/* A head that stalls halfway, as a first request and as a keep-alive follow-up: 408 when
 * libmicrohttpd's inactivity timeout (4 s here) closes the connection (was: closed without
 * an answer). Both connections wait at the same time. */
START_TEST(stalled_head_gets_408)
{
    static const char part[] = "GET /livez HTTP/1.1\r\nHost: x\r\nX-A: b";
    struct tls_client c[2];
    size_t cap = 8192, got[2] = {0, 0};
    char *buf[2];
    for (int i = 0; i < 2; i++) {
        buf[i] = calloc(1, cap);
        ck_assert_ptr_nonnull(buf[i]);
        tls_open(&c[i]);
        if (i == 1) {
            tls_send(&c[i], KEEPALIVE_GET, sizeof(KEEPALIVE_GET) - 1);
            ck_assert(!tls_read(&c[i], buf[i], cap, &got[i], "}"));
        }
        tls_send(&c[i], part, sizeof(part) - 1);
    }
    for (int i = 0; i < 2; i++) {
        gnutls_record_set_timeout(c[i].s, 3 * WAIT_MS);
        bool closed = tls_read(&c[i], buf[i], cap, &got[i], NULL);
        tls_close(&c[i]);
        struct raw_result r = {.bytes = buf[i], .len = got[i], .closed = closed};
        raw_parse(&r);
        unsigned want = (unsigned)i + 1;
        ck_assert_msg(!r.malformed && r.closed && r.nresp == want && r.resp[want - 1].status == 408,
                      "%d: %s", i, r.bytes);
        ck_assert_msg(strstr(r.bytes, "request head not complete") != NULL, "%s", r.bytes);
        raw_result_free(&r);
    }
}
END_TEST

/* Plain HTTP sent to the TLS port: one plain-text problem+json 400 and close (was: closed
 * at the handshake without a word). A real TLS client right after is served. */
START_TEST(plain_http_to_the_tls_port)
{
    static const char req[] = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, sizeof(req) - 1, false, WAIT_MS, &r), 0);
    ck_assert_msg(!r.malformed && r.closed && r.nresp == 1 && r.resp[0].status == 400 &&
                      r.resp[0].conn_close, "%s", r.bytes);
    ck_assert_msg(strstr(r.bytes, "serves HTTPS") != NULL, "%s", r.bytes);
    raw_result_free(&r);
    tls_exchange(KEEPALIVE_GET, sizeof(KEEPALIVE_GET) - 1, "}", &r);
    ck_assert_msg(r.nresp == 1 && r.resp[0].status == 200, "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

/* ---------- max-connections-per-ip over TLS ---------- */

static struct gw_inproc *limited_gateway(const char *listen)
{
    struct gw_inproc_cfg c = {.max_per_ip = 2, .listen_addr = listen,
                              .tls_cert_pem = (const char *)cert_pem.data,
                              .tls_key_pem = (const char *)key_pem.data};
    return gw_inproc_start(&c);
}

/* Open a connection the server admits. A refusal right after other connections closed is
 * retried: the server uncounts a connection when it sees the close (WAIT_MS: a hang bound,
 * a place that never comes back fails the test). */
static void open_admitted(struct tls_client *c, int family, int p)
{
    for (long long end = tu_now_ms() + WAIT_MS;;) {
        if (tls_try_open(c, family, p))
            return;
        tls_close(c);
        ck_assert_msg(tu_now_ms() < end, "no place for a connection within %d ms", WAIT_MS);
        usleep(20000);
    }
}

/* Two connections held (served a request each), a third refused at accept, then a place
 * freed by a close is given again. */
static void two_then_refused(int family, int p)
{
    struct tls_client c[3];
    for (int i = 0; i < 2; i++) {
        open_admitted(&c[i], family, p);
        char buf[4096] = "";
        size_t got = 0;
        tls_send(&c[i], KEEPALIVE_GET, sizeof(KEEPALIVE_GET) - 1);
        ck_assert(!tls_read(&c[i], buf, sizeof(buf), &got, "}"));
        ck_assert_msg(strstr(buf, "HTTP/1.1 200") == buf, "%s", buf);
    }
    ck_assert_msg(!tls_try_open(&c[2], family, p), "a third connection was admitted");
    tls_close(&c[2]);
    tls_close(&c[1]);
    open_admitted(&c[1], family, p);
    ck_assert(!tls_try_open(&c[2], family, p));
    tls_close(&c[2]);
    tls_close(&c[0]);
    tls_close(&c[1]);
}

START_TEST(per_ip_limit_over_tls)
{
    struct gw_inproc *g = limited_gateway(NULL);
    ck_assert_ptr_nonnull(g);
    int p = gw_inproc_port(g);
    two_then_refused(AF_INET, p);
    /* 200 connections opened and closed: every place comes back */
    for (int i = 0; i < 200; i++) {
        struct tls_client c;
        open_admitted(&c, AF_INET, p);
        tls_close(&c);
    }
    two_then_refused(AF_INET, p);
    gw_inproc_stop(g);
}
END_TEST

/* ::1 (where the box has IPv6): the same refusal at the third connection. */
START_TEST(per_ip_limit_over_tls_ipv6)
{
    struct gw_inproc *g = limited_gateway("[::1]:0");
    if (!g) {
        fprintf(stderr, "per_ip_limit_over_tls_ipv6: no [::1] here, skipped\n");
        return;
    }
    two_then_refused(AF_INET6, gw_inproc_port(g));
    gw_inproc_stop(g);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);   /* as dm-gateway's main: a peer gone mid-write is EPIPE */
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_tls");
    TCase *tc = tcase_create("tls");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, nul_in_the_target);
    tcase_add_test(tc, cookie_heavy_heads_get_a_json_431);
    tcase_add_test(tc, head_rules_of_the_handler_over_tls);
    tcase_add_test(tc, line_ends_and_folding_refused);
    tcase_add_test(tc, library_error_pages_are_problem_json);
    tcase_add_test(tc, smuggling_shapes_refused);
    tcase_add_test(tc, chunked_body_across_records_served);
    tcase_add_test(tc, long_target_and_unmet_expectation);
    tcase_add_test(tc, stalled_head_gets_408);
    tcase_add_test(tc, plain_http_to_the_tls_port);
    tcase_add_test(tc, per_ip_limit_over_tls);
    tcase_add_test(tc, per_ip_limit_over_tls_ipv6);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

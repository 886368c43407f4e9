/* test_http_tls.c - the gateway over TLS (tls-cert-file): no front and no read gate there
 * (TLS bytes cannot be peeked), so only the access handler's rules apply. The gwattack2
 * pass moved what the handler can see into it; each shape here is sent through a real
 * TLS client (gnutls) to an in-process gateway with a throw-away self-signed certificate:
 *   - a NUL in the request target ("GET /livez\0.json" was served as /livez): 400;
 *   - an 8 KiB cookie / 250 cookie pairs (no answer, or libmicrohttpd's HTML 431 with its
 *     status line twice): 431 problem+json;
 *   - Host port out of range, request Content-Encoding, a body of the wrong media type
 *     behind Expect: 100-continue: the same answers as over plain HTTP. */
#include <arpa/inet.h>
#include <check.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
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
                              .tls_key_pem = (const char *)key_pem.data};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
    char *t = NULL;
    ck_assert_int_eq(auth_mint_hs("HS256", (const unsigned char *)SECRET, strlen(SECRET), "tester",
                                  "dm:write", 600, NULL, NULL, (int64_t)time(NULL), &t), 0);
    snprintf(tok_write, sizeof(tok_write), "%s", t);
    free(t);
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    sm_stop(sm);
    gnutls_free(cert_pem.data);
    gnutls_free(key_pem.data);
    gnutls_global_deinit();
}

/* Send len bytes over TLS and read until the server closes, `want` shows up or WAIT_MS
 * passed. out gets what came back (parsed). */
static void tls_exchange(const void *req, size_t len, const char *want, struct raw_result *out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    gnutls_certificate_credentials_t cred;
    gnutls_session_t s;
    ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cred), 0);
    ck_assert_int_eq(gnutls_init(&s, GNUTLS_CLIENT), 0);
    ck_assert_int_eq(gnutls_set_default_priority(s), 0);
    ck_assert_int_eq(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
    gnutls_transport_set_int(s, fd);
    gnutls_handshake_set_timeout(s, WAIT_MS);
    int rc;
    do
        rc = gnutls_handshake(s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    ck_assert_msg(rc == 0, "handshake: %s", gnutls_strerror(rc));
    for (size_t off = 0; off < len;) {
        ssize_t n = gnutls_record_send(s, (const char *)req + off, len - off);
        ck_assert_int_gt(n, 0);
        off += (size_t)n;
    }
    gnutls_record_set_timeout(s, WAIT_MS);
    size_t cap = 65536, got = 0;
    char *buf = calloc(1, cap);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        if (want && strstr(buf, want))
            break;
        ssize_t n = gnutls_record_recv(s, buf + got, cap - 1 - got);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n <= 0 || got + (size_t)n + 1 >= cap)
            break;
        got += (size_t)n;
        buf[got] = '\0';
    }
    gnutls_deinit(s);
    gnutls_certificate_free_credentials(cred);
    close(fd);
    memset(out, 0, sizeof(*out));
    out->bytes = buf;
    out->len = got;
    raw_parse(out);
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

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_tls");
    TCase *tc = tcase_create("tls");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, nul_in_the_target);
    tcase_add_test(tc, cookie_heavy_heads_get_a_json_431);
    tcase_add_test(tc, head_rules_of_the_handler_over_tls);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

/* test_http_gzip.c - response compression and the API answers' security headers, with raw
 * requests on plain sockets against an in-process gateway (tests/support/gw_inproc.h):
 *   - the static files and /openapi.json, /openapi.yaml: the build-time gzip variant when
 *     Accept-Encoding allows it (q-values honoured), identity otherwise; Vary, the
 *     Content-Length of the bytes sent, an ETag per encoding, If-None-Match -> 304 per
 *     encoding, HEAD with the GET's headers and no body;
 *   - every non-asset answer (API JSON, problem+json from a handler, the transport and the
 *     front) carries nosniff, a default-src 'none' CSP and Referrer-Policy: no-referrer. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "gw_inproc.h"
#include "raw_http.h"
#include "route_ctx.h"
#include "rpc.h"
#include "scripted_master.h"
#include "testutil.h"

#define SECRET "gzip-secret-gzip-secret-gzip-0123456"
#define WAIT_MS 8000   /* a hang bound, not a timing assertion: answers come at once */

static struct scripted_master *sm;
static struct gw_inproc *gw;
static int port;

static void setup(void)
{
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .max_body = 4096,
                              .park_after_s = 2};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    sm_stop(sm);
}

/* GET (or another method) `path` with extra header lines `hdrs`; one answer expected. */
static void get(const char *method, const char *path, const char *hdrs, struct raw_result *r)
{
    char req[1024];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: a\r\n%sConnection: close\r\n\r\n",
                     method, path, hdrs);
    ck_assert(n > 0 && (size_t)n < sizeof(req));
    ck_assert_int_eq(raw_exchange(port, req, (size_t)n, false, WAIT_MS, r), 0);
}

static const char *hdr(const struct raw_resp *rp, const char *name)
{
    static char v[1024];
    return raw_header(rp, name, v, sizeof(v)) ? v : NULL;
}

/* The file the matrix uses: the biggest one (Swagger UI's bundle when embedded). */
static const struct asset_file *big_file(const char **path)
{
    const struct asset_file *a = asset_find("docs/swagger-ui-bundle.js");
    *path = "/docs/swagger-ui-bundle.js";
    if (!a) {
        a = asset_find("docs/docs.js");
        *path = "/docs/docs.js";
    }
    ck_assert_ptr_nonnull(a);
    return a;
}

/* One GET answered 200 with encoding gz (true: gzip) of file a; its ETag copied to etag. */
static void expect_file(const char *path, const char *hdrs, const struct asset_file *a, bool gz,
                        char *etag, size_t cap)
{
    struct raw_result r;
    get("GET", path, hdrs, &r);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 200, "%s: %.300s", hdrs,
                  r.bytes);
    const struct raw_resp *rp = &r.resp[0];
    const unsigned char *want = gz ? a->gz_start : a->start;
    size_t want_len = (size_t)((gz ? a->gz_end : a->end) - want);
    ck_assert_msg(rp->body_len == want_len, "%s: %zu bytes, want %zu", hdrs, rp->body_len, want_len);
    ck_assert(memcmp(rp->body, want, want_len) == 0);
    const char *ce = hdr(rp, "Content-Encoding");
    if (gz)
        ck_assert_msg(ce && strcmp(ce, "gzip") == 0, "%s: no Content-Encoding: gzip", hdrs);
    else
        ck_assert_msg(!ce, "%s: Content-Encoding %s on identity", hdrs, ce);
    ck_assert_str_eq(hdr(rp, "Vary"), "Accept-Encoding");
    const char *t = hdr(rp, "ETag");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, asset_etag(a, gz));
    ck_assert(strlen(t) < cap);
    memcpy(etag, t, strlen(t) + 1);
    raw_result_free(&r);
}

START_TEST(gzip_negotiation_matrix)
{
    const char *path;
    const struct asset_file *a = big_file(&path);
    ck_assert((size_t)(a->gz_end - a->gz_start) < (size_t)(a->end - a->start));
    char e_id[64], e_gz[64], e[64];
    expect_file(path, "", a, false, e_id, sizeof(e_id));   /* no header: identity */
    expect_file(path, "Accept-Encoding: gzip, deflate, br\r\n", a, true, e_gz, sizeof(e_gz));
    ck_assert_str_ne(e_id, e_gz);
    expect_file(path, "Accept-Encoding: identity\r\n", a, false, e, sizeof(e));
    expect_file(path, "Accept-Encoding: gzip;q=0\r\n", a, false, e, sizeof(e));
    expect_file(path, "Accept-Encoding: br, gzip ; q=0.000\r\n", a, false, e, sizeof(e));
    expect_file(path, "Accept-Encoding: br;q=1.0, GZIP;q=0.5\r\n", a, true, e, sizeof(e));
    expect_file(path, "Accept-Encoding: *\r\n", a, true, e, sizeof(e));
    expect_file(path, "Accept-Encoding: *;q=0.5, gzip;q=0\r\n", a, false, e, sizeof(e));
    expect_file(path, "Accept-Encoding: gzip;q=0.4, identity;q=0.9\r\n", a, false, e, sizeof(e));
    expect_file(path, "Accept-Encoding: x-gzip\r\n", a, true, e, sizeof(e));
    expect_file(path, "Accept-Encoding:\r\n", a, false, e, sizeof(e));

    /* If-None-Match per encoding: the gzip ETag revalidates the gzip answer only */
    char h[256];
    struct raw_result r;
    snprintf(h, sizeof(h), "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", e_gz);
    get("GET", path, h, &r);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 304, "%.300s", r.bytes);
    ck_assert_str_eq(hdr(&r.resp[0], "ETag"), e_gz);
    ck_assert_str_eq(hdr(&r.resp[0], "Vary"), "Accept-Encoding");
    raw_result_free(&r);
    snprintf(h, sizeof(h), "If-None-Match: %s\r\n", e_id);
    get("GET", path, h, &r);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 304, "%.300s", r.bytes);
    raw_result_free(&r);
    snprintf(h, sizeof(h), "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", e_id);
    expect_file(path, h, a, true, e, sizeof(e));   /* the other encoding's tag: 200 */

    /* HEAD: the GET's headers (Content-Length of the gzip bytes), no body */
    get("HEAD", path, "Accept-Encoding: gzip\r\n", &r);
    ck_assert_msg(strncmp(r.bytes, "HTTP/1.1 200 ", 13) == 0, "%.300s", r.bytes);
    const char *end = strstr(r.bytes, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_msg(end + 4 == r.bytes + r.len, "HEAD answered with a body");
    char cl[64];
    snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", (size_t)(a->gz_end - a->gz_start));
    ck_assert_msg(strcasestr(r.bytes, cl) && strcasestr(r.bytes, "\r\nContent-Encoding: gzip\r\n") &&
                  strcasestr(r.bytes, "\r\nVary: Accept-Encoding\r\n"), "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

/* The OpenAPI documents: compressed the same way, with the API answers' headers. */
START_TEST(openapi_documents_gzip)
{
    static const char *const docs[][2] = {{"/openapi.json", "openapi.json"},
                                          {"/openapi.yaml", "openapi.yaml"}};
    for (size_t i = 0; i < 2; i++) {
        const struct asset_file *a = asset_find(docs[i][1]);
        ck_assert_ptr_nonnull(a);
        char e[64];
        expect_file(docs[i][0], "Accept-Encoding: gzip\r\n", a, true, e, sizeof(e));
        expect_file(docs[i][0], "", a, false, e, sizeof(e));
        struct raw_result r;
        get("GET", docs[i][0], "Accept-Encoding: gzip\r\n", &r);
        const struct raw_resp *rp = &r.resp[0];
        ck_assert_str_eq(hdr(rp, "Content-Type"), i == 0 ? "application/json" : "application/yaml");
        ck_assert_str_eq(hdr(rp, "X-Content-Type-Options"), "nosniff");
        ck_assert_str_eq(hdr(rp, "Content-Security-Policy"), ROUTE_API_CSP);
        raw_result_free(&r);
    }
    const struct asset_file *j = asset_find("openapi.json");
    ck_assert(j->end > j->start && j->start[0] == '{');
}
END_TEST

static void expect_api_headers(const struct raw_resp *rp, const char *what)
{
    for (size_t i = 0; i < ROUTE_API_HEADERS_N; i++) {
        const char *v = hdr(rp, route_api_headers[i].key);
        ck_assert_msg(v && strcmp(v, route_api_headers[i].value) == 0, "%s: %s is %s", what,
                      route_api_headers[i].key, v ? v : "(none)");
    }
    const char *sec = strcasestr(rp->head, "\r\nX-Content-Type-Options:");
    ck_assert_msg(sec && !strcasestr(sec + 2, "\r\nX-Content-Type-Options:"), "%s: twice", what);
}

/* Every non-asset answer: a handler's JSON, a handler's problem, the transport's 404/405/
 * 401 problems, a preflight, the front's raw refusal. The browser files keep their own. */
START_TEST(api_security_headers)
{
    static const char *const reqs[][3] = {
        {"GET", "/livez", ""},
        {"GET", "/api/v1/tasks", ""},                       /* 401 from the auth phase */
        {"GET", "/no/such/route", ""},                      /* 404 */
        {"DELETE", "/livez", ""},                           /* 405 */
        {"OPTIONS", "/api/v1/tasks", "Origin: http://x\r\n"},
        {"GET", "/metrics", ""},
    };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        struct raw_result r;
        get(reqs[i][0], reqs[i][1], reqs[i][2], &r);
        ck_assert_msg(!r.malformed && r.nresp == 1, "%s %s: %.300s", reqs[i][0], reqs[i][1], r.bytes);
        expect_api_headers(&r.resp[0], reqs[i][1]);
        raw_result_free(&r);
    }
    /* the front's own refusal (gateway/http_frame.c): Content-Length with Transfer-Encoding */
    const char *bad = "POST /api/v1/tasks HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n{}";
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, bad, strlen(bad), false, WAIT_MS, &r), 0);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 400, "%.300s", r.bytes);
    expect_api_headers(&r.resp[0], "front 400");
    raw_result_free(&r);
    /* a browser page keeps its own, stricter policy (not replaced, not doubled) */
    get("GET", "/docs", "", &r);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 200, "%.300s", r.bytes);
    ck_assert_ptr_nonnull(strstr(hdr(&r.resp[0], "Content-Security-Policy"), "script-src 'self'"));
    const char *csp = strcasestr(r.resp[0].head, "\r\nContent-Security-Policy:");
    ck_assert(csp && !strcasestr(csp + 2, "\r\nContent-Security-Policy:"));
    raw_result_free(&r);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_gzip");
    TCase *tc = tcase_create("gzip");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gzip_negotiation_matrix);
    tcase_add_test(tc, openapi_documents_gzip);
    tcase_add_test(tc, api_security_headers);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

/* test_http_frame.c - gateway/http_frame.c on its own: a table of raw request heads (and
 * chunk lines) with the verdict each must get, incomplete heads that must wait, and the
 * well-framed refusal answer. The wire behaviour is test_http_framing.c's. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "http_frame.h"
#include "testutil.h"

static const struct http_frame_limits LIM = {4096, 32, 64, 9216};

struct raw_case {
    const char *req;
    size_t len;            /* 0: strlen */
    enum http_frame_rc rc;
    int status;
};

#define H "Host: a\r\n"
static const struct raw_case CASES[] = {
    {"GET / HTTP/1.1\r\n" H "\r\n", 0, HTTP_FRAME_OK, 0},
    {"GET / HTTP/1.0\r\n\r\n", 0, HTTP_FRAME_OK, 0},
    {"\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 0, HTTP_FRAME_OK, 0},
    {"OPTIONS * HTTP/1.1\r\n" H "\r\n", 0, HTTP_FRAME_OK, 0},
    {"GET http://a:1/x?y=1 HTTP/1.1\r\n" H "\r\n", 0, HTTP_FRAME_OK, 0},
    {"POST / HTTP/1.1\r\n" H "Content-Length: 3\r\n\r\nabc", 0, HTTP_FRAME_OK, 0},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: \tChunked\r\n\r\n3;a=b\r\nabc\r\n0\r\n\r\n", 0, HTTP_FRAME_OK, 0},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", 0, HTTP_FRAME_OK, 0},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3\r\nab", 0, HTTP_FRAME_OK, 0},
    /* incomplete: wait */
    {"GET / HTTP/1.1\r\n" H, 0, HTTP_FRAME_MORE, 0},
    {"GET / HT", 0, HTTP_FRAME_MORE, 0},
    {"", 0, HTTP_FRAME_MORE, 0},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3;ab", 0, HTTP_FRAME_MORE, 0},
    /* refused */
    {"POST / HTTP/1.1\r\n" H "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, identity\r\n\r\n", 0, HTTP_FRAME_BAD, 501},
    {"POST / HTTP/1.1\r\n" H "Content-Length: 1\r\nContent-Length: 1\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Content-Length: 1 1\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n", 0, HTTP_FRAME_BAD, 413},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n1001\r\n", 0, HTTP_FRAME_BAD, 413},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n800\r\n", 0, HTTP_FRAME_OK, 0},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3x\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3\n", 0, HTTP_FRAME_BAD, 400},
    /* libmicrohttpd reads these differently (gwharden): refused */
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: Chunked \r\n\r\n3;a=b\r\nabc\r\n0\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Content-Length: 3\t\r\n\r\nabc", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3 ;a\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3 \r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "Cookie: a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q;r;s;t;u;v;w;x;y;z;a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q;r;s;t;u;v;w;x;y;z;a;b;c;d;e;f;g;h;i;j;k;l\r\n\r\n", 0, HTTP_FRAME_BAD, 431},
    {"GET / HTTP/1.1\r\n" H "Cookie: a=1; b=2\r\n\r\n", 0, HTTP_FRAME_OK, 0},
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    /* attack pass 7: fields read as one value, sent twice (a proxy may read the other) */
    {"POST / HTTP/1.1\r\n" H "Content-Type: application/json\r\ncontent-type: text/yaml\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Idempotency-Key: a\r\nIdempotency-Key: b\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"POST / HTTP/1.1\r\n" H "Idempotency-Key: a\r\nX: 1\r\nIDEMPOTENCY-KEY: a\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "Origin: https://a\r\nOrigin: https://b\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "If-None-Match: \"a\"\r\nIf-None-Match: *\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"PUT / HTTP/1.1\r\n" H "If-Match: \"a\"\r\nIf-Match: \"b\"\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "Last-Event-ID: 1\r\nLast-Event-ID: 2\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "X-Request-Id: a\r\nX-Request-Id: b\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"PUT / HTTP/1.1\r\n" H "If-Match: \"a\", \"b\"\r\nContent-Type: a/b\r\nIdempotency-Key: k\r\nOrigin: o\r\nAccept: a\r\nAccept: b\r\n\r\n", 0, HTTP_FRAME_OK, 0},
    {"GET / HTTP/1.1\r\n" H "X: a\r\n\tb\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", 35, HTTP_FRAME_BAD, 400},
    {"GET /\0 HTTP/1.1\r\n" H "\r\n", 28, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "Authorization: a\r\nauthorization: b\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/1.1\r\n" H "\n", 0, HTTP_FRAME_BAD, 400},
    {"GET\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"\r\n\r\n\r\n\r\n\r\n\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET / HTTP/3.0\r\n" H "\r\n", 0, HTTP_FRAME_BAD, 505},
    {"GET / HTTP/1.2\r\n" H "\r\n", 0, HTTP_FRAME_BAD, 505},
    {"GET / http/1.1\r\n" H "\r\n", 0, HTTP_FRAME_BAD, 400},
    {"GET ftp://a/ HTTP/1.1\r\n" H "\r\n", 0, HTTP_FRAME_BAD, 400},
    /* an incomplete first line that cannot become a request line: no waiting (gwharden) */
    {"\x16\x03\x01\x00\xa5\x01", 6, HTTP_FRAME_BAD, 400},
    {"GE\x01", 0, HTTP_FRAME_BAD, 400},
    {" GET", 0, HTTP_FRAME_BAD, 400},
    {"GET", 0, HTTP_FRAME_MORE, 0},
    {"GET /x", 0, HTTP_FRAME_MORE, 0},
    {"GET\r", 0, HTTP_FRAME_MORE, 0},
    {"GET http://a HTTP/1.1\r\n" H "\r\n", 0, HTTP_FRAME_BAD, 400},
};

START_TEST(raw_table)
{
    const struct raw_case *c = &CASES[_i];
    struct http_frame_verdict v;
    size_t len = c->len ? c->len : strlen(c->req);
    enum http_frame_rc rc = http_frame_check_raw(c->req, len, &LIM, &v);
    ck_assert_msg(rc == c->rc && v.status == c->status, "case %d: rc %d status %d (%s)", _i,
                  (int)rc, v.status, v.detail ? v.detail : "");
}
END_TEST

START_TEST(limits_431_414)
{
    static char big[12000];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n" H "X: ");
    memset(big + n, 'a', 9500);
    struct http_frame_verdict v;
    ck_assert_int_eq(http_frame_check_raw(big, (size_t)n + 9500, &LIM, &v), HTTP_FRAME_BAD);
    ck_assert_int_eq(v.status, 431);
    n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 65; i++)
        n += snprintf(big + n, sizeof(big) - (size_t)n, "X%d: 1\r\n", i);
    n += snprintf(big + n, sizeof(big) - (size_t)n, H "\r\n");
    ck_assert_int_eq(http_frame_check_raw(big, (size_t)n, &LIM, &v), HTTP_FRAME_BAD);
    ck_assert_int_eq(v.status, 431);
    n = snprintf(big, sizeof(big), "GET /?a");
    for (int i = 0; i < 32; i++)
        n += snprintf(big + n, sizeof(big) - (size_t)n, "&a");
    n += snprintf(big + n, sizeof(big) - (size_t)n, " HTTP/1.1\r\n" H "\r\n");
    ck_assert_int_eq(http_frame_check_raw(big, (size_t)n, &LIM, &v), HTTP_FRAME_BAD);
    ck_assert_int_eq(v.status, 414);
    /* a request line over the header limit is 414, whether its end arrived or not */
    n = snprintf(big, sizeof(big), "GET /");
    memset(big + n, 'a', 9500);
    ck_assert_int_eq(http_frame_check_raw(big, (size_t)n + 9500, &LIM, &v), HTTP_FRAME_BAD);
    ck_assert_int_eq(v.status, 414);
    n += 9500;
    n += snprintf(big + n, sizeof(big) - (size_t)n, " HTTP/1.1\r\n" H "\r\n");
    ck_assert_int_eq(http_frame_check_raw(big, (size_t)n, &LIM, &v), HTTP_FRAME_BAD);
    ck_assert_int_eq(v.status, 414);
}
END_TEST

START_TEST(fields_and_absolute_form)
{
    struct http_frame_fields f;
    struct http_frame_verdict v;
    http_frame_fields_init(&f);
    http_frame_field(&f, &LIM, "Host", 4, "x:1", 3);
    ck_assert_int_eq(http_frame_finish(&f, &LIM, 1, "HTTP://x:1/livez", 16, &v), 0);
    ck_assert_uint_eq(v.target_off, 10);
    http_frame_field(&f, &LIM, "Transfer-Encoding", 17, " gzip", 5);
    ck_assert_int_eq(http_frame_finish(&f, &LIM, 1, "/", 1, &v), 501);
    http_frame_field(&f, &LIM, "Content-Length", 14, "0", 1);
    ck_assert_int_eq(http_frame_finish(&f, &LIM, 1, "/", 1, &v), 400);
}
END_TEST

/* The read gate's stream scan (http_gate.h): whole elements only, across requests. */
static size_t scan_all(struct http_frame_stream *s, const char *b, size_t n, enum http_frame_rc *rc,
                       struct http_frame_verdict *v)
{
    size_t used = 0;
    *rc = http_frame_stream_scan(s, b, n, &LIM, &used, v);
    return used;
}

START_TEST(stream_pipelined_requests)
{
    static const char two[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                              "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                              "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3;x=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
                              "GET /d HTTP/1.1\r\nHo";
    struct http_frame_stream s;
    struct http_frame_verdict v;
    enum http_frame_rc rc;
    http_frame_stream_init(&s);
    size_t n = sizeof(two) - 1;
    size_t used = scan_all(&s, two, n, &rc, &v);
    ck_assert_int_eq(rc, HTTP_FRAME_MORE);          /* the last head is incomplete */
    ck_assert_uint_eq(used, n - strlen("GET /d HTTP/1.1\r\nHo"));
    ck_assert(http_frame_stream_at_request(&s));
    ck_assert_uint_eq(s.heads, 3);
    /* fed byte by byte, the same bytes are vouched in the end */
    http_frame_stream_init(&s);
    size_t pos = 0;
    for (size_t end = 1; end <= n; end++) {
        pos += scan_all(&s, two + pos, end - pos, &rc, &v);
        ck_assert_int_ne(rc, HTTP_FRAME_BAD);
    }
    ck_assert_uint_eq(pos, used);
    /* body bytes are counted, never parsed: a request line inside a body is data */
    static const char body[] = "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 21\r\n\r\n"
                               "GET /x HTTP/1.1\r\n\r\n";
    http_frame_stream_init(&s);
    ck_assert_uint_eq(scan_all(&s, body, sizeof(body) - 1, &rc, &v), sizeof(body) - 1);
    ck_assert_int_eq(rc, HTTP_FRAME_OK);
    ck_assert_uint_eq(s.heads, 1);
}
END_TEST

START_TEST(stream_refuses_follow_ups)
{
    static const struct {
        const char *second;
        int status;
    } cases[] = {
        {"GET /livez\0x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +16\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", 413},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : 1\r\n\r\n", 400},
    };
    static const char first[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[512];
        size_t l2 = strlen(cases[i].second) + (i == 0 ? 1 + strlen(cases[i].second + 11) : 0);
        memcpy(buf, first, sizeof(first) - 1);
        memcpy(buf + sizeof(first) - 1, cases[i].second, l2);
        struct http_frame_stream s;
        struct http_frame_verdict v;
        enum http_frame_rc rc;
        http_frame_stream_init(&s);
        size_t used = scan_all(&s, buf, sizeof(first) - 1 + l2, &rc, &v);
        ck_assert_msg(rc == HTTP_FRAME_BAD && v.status == cases[i].status, "case %zu: rc %d status %d",
                      i, rc, v.status);
        ck_assert_uint_ge(used, sizeof(first) - 1);   /* the first request is still vouched */
    }
}
END_TEST

START_TEST(answer_is_well_framed)
{
    char out[2048];
    size_t n = http_frame_answer(out, sizeof(out), 501, "only \"chunked\"", "front-1");
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_eq(strlen(out), n);
    ck_assert(strncmp(out, "HTTP/1.1 501 Not Implemented\r\n", 30) == 0);
    ck_assert_ptr_nonnull(strstr(out, "\r\nConnection: close\r\n"));
    const char *body = strstr(out, "\r\n\r\n") + 4;
    size_t cl = 0;
    ck_assert_int_eq(sscanf(strstr(out, "Content-Length: "), "Content-Length: %zu", &cl), 1);
    ck_assert_uint_eq(cl, strlen(body));
    ck_assert_ptr_nonnull(strstr(body, "\"status\":501"));
    ck_assert_uint_eq(http_frame_answer(out, 64, 400, "x", "r"), 0);   /* too small: nothing */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_frame");
    TCase *tc = tcase_create("frame");
    tcase_add_loop_test(tc, raw_table, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
    tcase_add_test(tc, limits_431_414);
    tcase_add_test(tc, fields_and_absolute_form);
    tcase_add_test(tc, answer_is_well_framed);
    tcase_add_test(tc, stream_pipelined_requests);
    tcase_add_test(tc, stream_refuses_follow_ups);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

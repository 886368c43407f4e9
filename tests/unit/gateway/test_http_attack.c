/* test_http_attack.c - regressions of the gwattack pass (2026-12: the gateway tried as an
 * attacker and as a browser user with raw sockets): each shape below was answered wrongly
 * by the real gateway in front of a real dm-master, and is kept here on plain sockets
 * against an in-process gateway (tests/support/gw_inproc.h) and a scripted master.
 *   - HEAD of the status stream: libmicrohttpd 0.9.75 sent the chunked terminator
 *     "0\r\n\r\n" after the headers of the HEAD answer, which a keep-alive client reads
 *     as the start of its next answer (the pipelined request's answer came after it).
 *   - percent-escapes that decode to bytes that are not UTF-8 (a task name "%c0%af", a
 *     "?worker=%ff") were sent to the master as protobuf strings; its answer named the
 *     task "\ufffd\ufffd". Now 404 (path: no route, like "%2F") and 400 (query), and the
 *     master is never called. */
#include <arpa/inet.h>
#include <check.h>
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

#define SECRET "attack-secret-attack-secret-0123456"
#define WAIT_MS 8000   /* a hang bound, not a timing assertion: answers come at once */

static struct scripted_master *sm;
static struct gw_inproc *gw;
static int port;
static char tok_read[2048], tok_write[2048];

static const char STATUS_JSON[] =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
    "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\",\"result\":null}]}]}";

static void mint(char *out, const char *scope)
{
    char *t = NULL;
    ck_assert_int_eq(auth_mint_hs("HS256", (const unsigned char *)SECRET, strlen(SECRET), "tester",
                                  scope, 600, NULL, NULL, (int64_t)time(NULL), &t), 0);
    snprintf(out, 2048, "%s", t);
    free(t);
}

static void setup(void)
{
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .park_after_s = 2};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
    mint(tok_read, "dm:read");
    mint(tok_write, "dm:write");
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    sm_stop(sm);
}

static size_t req_fmt(char *out, size_t cap, const char *method, const char *target, const char *tail)
{
    int n = snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n%s",
                     method, target, tok_read, tail);
    ck_assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static long metric(const char *name);
static const char LIVEZ[] = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/* HEAD of a stream: the headers and nothing else on the wire (no chunked terminator),
 * then the connection ends (close-delimited: the answer has no length to give). */
START_TEST(head_of_status_stream_sends_no_body)
{
    char req[4096];
    size_t n = req_fmt(req, sizeof(req), "HEAD", "/api/v1/tasks/t1/status/stream", LIVEZ);
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, n, false, WAIT_MS, &r), 0);
    ck_assert_msg(strncmp(r.bytes, "HTTP/1.1 200 ", 13) == 0, "%s", r.bytes);
    const char *end = strstr(r.bytes, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_msg(strcasestr(r.bytes, "Content-Type: text/event-stream") != NULL, "%s", r.bytes);
    ck_assert_msg((size_t)(end + 4 - r.bytes) == r.len, "bytes after the HEAD answer's headers: [%s]",
                  end + 4);
    ck_assert_msg(r.closed && !r.timed_out, "the HEAD answer's connection was not closed: %s", r.bytes);
    ck_assert_msg(strcasestr(r.bytes, "Content-Length") == NULL, "a length for an endless body: %s",
                  r.bytes);
    raw_result_free(&r);

    /* the GET of the same stream still streams (chunked, the first status event) */
    n = req_fmt(req, sizeof(req), "GET", "/api/v1/tasks/t1/status/stream", "");
    ck_assert_int_eq(raw_exchange(port, req, n, false, 1500, &r), 0);
    ck_assert_msg(strstr(r.bytes, "Transfer-Encoding: chunked") && strstr(r.bytes, "event: status"),
                  "%s", r.bytes);
    raw_result_free(&r);

    /* HEAD of an ordinary GET route stays keep-alive and well-framed for the next answer */
    n = req_fmt(req, sizeof(req), "HEAD", "/api/v1/tasks/t1", LIVEZ);
    ck_assert_int_eq(raw_exchange(port, req, n, true, WAIT_MS, &r), 0);
    const char *second = strstr(r.bytes, "\r\n\r\nHTTP/1.1 200 ");
    ck_assert_msg(second != NULL, "the pipelined GET's answer does not follow the HEAD's headers: %s",
                  r.bytes);
    raw_result_free(&r);
}
END_TEST

static void expect_status_no_master_call(const char *target, int status)
{
    unsigned before = sm_count(sm, "QueryStatus") + sm_count(sm, "QueryError");
    char req[4096];
    size_t n = req_fmt(req, sizeof(req), "GET", target, "");
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, n, true, WAIT_MS, &r), 0);
    ck_assert_msg(!r.malformed && r.nresp == 1, "%s: %s", target, r.bytes);
    ck_assert_msg(r.resp[0].status == status, "%s: want %d: %s", target, status, r.bytes);
    ck_assert_msg(strstr(r.bytes, "ufffd") == NULL, "%s: %s", target, r.bytes);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "QueryStatus") + sm_count(sm, "QueryError"), before);
}

START_TEST(escapes_that_are_not_utf8_never_reach_the_master)
{
    expect_status_no_master_call("/api/v1/tasks/%c0%af", 404);          /* overlong '/' */
    expect_status_no_master_call("/api/v1/tasks/%ed%a0%80", 404);       /* lone surrogate */
    expect_status_no_master_call("/api/v1/tasks/a%ff/errors", 404);     /* stray byte */
    expect_status_no_master_call("/api/v1/tasks?worker=%ff", 400);
    expect_status_no_master_call("/api/v1/tasks?stage=%c0%80", 400);
    /* UTF-8 names still reach it */
    unsigned before = sm_count(sm, "QueryStatus");
    char req[4096];
    size_t n = req_fmt(req, sizeof(req), "GET", "/api/v1/tasks/%e5%90%8d", "");
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, n, true, WAIT_MS, &r), 0);
    ck_assert_msg(r.nresp == 1 && r.resp[0].status != 400, "%s", r.bytes);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "QueryStatus"), before + 1);
}
END_TEST

/* Send a request and reset the connection (SO_LINGER 0) before any answer. */
static void send_and_reset(const char *req)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    usleep(20000);   /* let the gateway read it and start the master call */
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

/* A metric's value from GET /metrics (-1 when absent). */
static long metric(const char *name)
{
    static const char get[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, get, sizeof(get) - 1, false, WAIT_MS, &r), 0);
    long v = -1;
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *at = strstr(r.bytes, key);
    if (at)
        v = strtol(at + strlen(key), NULL, 10);
    raw_result_free(&r);
    return v;
}

/* Clients that leave while their request waits for the master (reads, a coalesced read,
 * a write): when the answers come, nothing is written to a dead request, every request
 * completes (in-flight back to where it was) and the gateway serves the next client. The
 * wait is a bound (the delayed answers take 300 ms), not a timing assertion. Status
 * streams are left out: a stream whose client left is noticed at its next heartbeat
 * write (up to sse-heartbeat, docs/gateway.md "Attack pass"). */
START_TEST(clients_leaving_during_master_calls)
{
    /* the stream of an earlier case whose client closed may still count (a stream notices
     * a client that left at a failing heartbeat write): compare with what is there now */
    long in_flight0 = metric("dmgw_http_in_flight_requests");
    long watchers0 = metric("dmgw_sse_watchers");
    ck_assert(in_flight0 >= 1 && watchers0 >= 0);
    sm_set_delay(sm, "QueryStatus", 300);
    sm_set_delay(sm, "OperateTask", 300);
    sm_set_json(sm, "OperateTask", "{\"result\":true,\"msg\":\"\",\"op\":\"Pause\",\"sources\":[]}");
    char req[4096];
    for (int i = 0; i < 24; i++) {
        const char *tok = i % 3 == 2 ? tok_write : tok_read;
        const char *line = i % 3 == 0 ? "GET /api/v1/tasks/t1" : i % 3 == 1 ? "GET /api/v1/tasks"
                                                                           : "POST /api/v1/tasks/t1/pause";
        snprintf(req, sizeof(req), "%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%s\r\n",
                 line, tok, i % 3 == 2 ? "Content-Length: 0\r\n" : "");
        send_and_reset(req);
    }
    long in_flight = -1;
    for (int i = 0; i < 100 && in_flight != in_flight0; i++) {
        usleep(100000);
        in_flight = metric("dmgw_http_in_flight_requests");
    }
    ck_assert_int_eq(in_flight, in_flight0);
    ck_assert_int_le(metric("dmgw_sse_watchers"), watchers0);
    sm_set_delay(sm, "QueryStatus", 0);
    size_t n = req_fmt(req, sizeof(req), "GET", "/api/v1/tasks/t1", "");
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, n, true, WAIT_MS, &r), 0);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 200, "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_attack");
    TCase *tc = tcase_create("attack");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, head_of_status_stream_sends_no_body);
    tcase_add_test(tc, escapes_that_are_not_utf8_never_reach_the_master);
    tcase_add_test(tc, clients_leaving_during_master_calls);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

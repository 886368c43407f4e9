/* test_http_loop_shed.c - placement of connections by load and the rebalancing at
 * keep-alive boundaries (--loop-placement-by-load, gateway/http_loop.h "placement by
 * load", issue 18 seventh pass),
 * on raw sockets against an in-process gateway with 2 loops (tests/support/gw_inproc.h)
 * and a scripted master. The loops' measured busy fractions are replaced by fixed ones
 * (http_server_loop_force_busy) so that nothing here depends on the box's timing:
 *   - both loops quiet: every new connection goes to the first loop;
 *   - the first loop busy (holding more than 16), the second idle: some keep-alive connections of the first get
 *     their next answer (complete, 200) with Connection: close and are then closed by the
 *     gateway; their clients reconnect and land on the second loop; no request is lost;
 *   - a pipelined request already sent is never cut off: the answer before it keeps the
 *     connection;
 *   - a status stream (SSE) on the busy loop is never closed by the rebalancing;
 *   - the connection counts stay exact (every close counted once).
 *   - merge placement (--loop-placement-merge): connections go by count (16, then the
 *     second loop); with both loops underused the second becomes spare and asks every one
 *     of its keep-alive connections to reconnect; they land on the first; once the first is
 *     busy the spare takes connections again.
 * Timeouts here are hang bounds, never timing assertions. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw_inproc.h"
#include "http_server.h"
#include "raw_http.h"
#include "rpc.h"
#include "scripted_master.h"
#include "testutil.h"

#define SECRET "loopshed-secret-loopshed-secret-0123"
#define WAIT_MS 30000   /* a hang bound, not a timing assertion */
#define CONNS 24   /* more than the 16 a loop keeps whatever its load */

static struct scripted_master *sm;
static struct gw_inproc *gw;
static struct http_server *srv;
static int port;
static char tok[2048];

static const char STATUS_JSON[] =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
    "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\",\"result\":null}]}]}";

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool merge_mode;

static void setup(void)
{
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .sse_heartbeat_s = 1,
                              .loops_by_load = !merge_mode, .loops_merge = merge_mode};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    srv = gw_inproc_server(gw);
    port = gw_inproc_port(gw);
    gw_test_mint(tok, sizeof(tok), SECRET, "dm:write", 600);
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    gw = NULL;
    sm_stop(sm);
    sm = NULL;
}

static struct http_loop_stats stats(unsigned i)
{
    struct http_loop_stats st;
    ck_assert(http_server_loop_stats(srv, i, &st));
    return st;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_all(int fd, const char *s, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);
        ck_assert_msg(n > 0, "send failed");
        off += (size_t)n;
    }
}

static size_t status_req(char *out, size_t cap)
{
    int n = snprintf(out, cap, "GET /api/v1/tasks/t1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\n\r\n", tok);
    ck_assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* Bytes until buf holds `want` bytes (or the peer closed: false). */
static bool fill(int fd, char *buf, size_t *len, size_t want)
{
    while (*len < want) {
        struct pollfd p = {fd, POLLIN, 0};
        ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "no answer within the hang bound");
        ssize_t n = recv(fd, buf + *len, want - *len, 0);
        if (n <= 0)
            return false;
        *len += (size_t)n;
    }
    return true;
}

struct answer {
    int status;
    bool close;   /* Connection: close */
    bool whole;   /* head and Content-Length body complete */
};

/* One answer of a keep-alive connection, read byte by byte up to its head's end, then
 * its Content-Length body (so that a pipelined next answer stays in the socket). */
static struct answer read_one(int fd)
{
    char buf[65536];
    size_t len = 0;
    struct answer a = {0};
    while (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4) != 0) {
        ck_assert(len + 1 < sizeof(buf));
        if (!fill(fd, buf, &len, len + 1))
            return a;
    }
    buf[len] = '\0';
    if (sscanf(buf, "HTTP/1.1 %d", &a.status) != 1)
        return a;
    a.close = strcasestr(buf, "\r\nConnection: close\r\n") != NULL;
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
    ck_assert(cl && len + body < sizeof(buf));
    a.whole = fill(fd, buf, &len, len + body);
    return a;
}

/* After a Connection: close answer: the gateway closes (EOF, not a hang). */
static void expect_eof(int fd)
{
    char b[256];
    struct pollfd p = {fd, POLLIN, 0};
    ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "not closed after Connection: close");
    ck_assert_int_eq(recv(fd, b, sizeof(b), 0), 0);
}

/* Wait (hang bound) until the loops hold `want` connections in all: closes are counted
 * on the loop threads after the client sees them. */
static void wait_total(int want)
{
    int total = -1;
    for (int i = 0; i < WAIT_MS / 50; i++) {
        total = stats(0).nconn + stats(1).nconn;
        if (total == want)
            return;
        sleep_ms(50);
    }
    ck_assert_msg(0, "loops hold %d connections, expected %d", total, want);
}

/* Two loops or skip (the gateway runs at most one loop per CPU). */
static bool two_loops(void)
{
    struct http_loop_stats st;
    if (http_server_loop_stats(srv, 1, &st))
        return true;
    fprintf(stderr, "test_http_loop_shed: one CPU, one loop: nothing to test\n");
    return false;
}

/* Open CONNS keep-alive connections (each answered once) while both loops are quiet. */
static void open_quiet(int *fds)
{
    char req[4096];
    size_t n = status_req(req, sizeof(req));
    http_server_loop_force_busy(srv, 0, 0);
    http_server_loop_force_busy(srv, 1, 0);
    unsigned long h0 = stats(0).handed;
    int open0 = stats(0).nconn + stats(1).nconn;
    for (int i = 0; i < CONNS; i++) {
        fds[i] = dial();
        send_all(fds[i], req, n);
        struct answer a = read_one(fds[i]);
        ck_assert_msg(a.status == 200 && a.whole && !a.close, "conn %d: %d", i, a.status);
    }
    ck_assert_uint_eq(stats(0).handed, h0 + CONNS);   /* all on the first loop */
    ck_assert_uint_eq(stats(1).handed, 0);
    wait_total(open0 + CONNS);
}

START_TEST(busy_loop_moves_keepalive_connections_to_the_idle_one)
{
    if (!two_loops())
        return;
    int fds[CONNS];
    open_quiet(fds);
    /* older than a load window: the connections may be moved */
    sleep_ms(HTTP_LOOP_WINDOW_MS + 100);
    http_server_loop_force_busy(srv, 0, 900);
    char req[4096];
    size_t n = status_req(req, sizeof(req));
    unsigned answers = 0, closes = 0, sent = 0;
    int64_t end = now_ms() + WAIT_MS;
    for (int round = 0; now_ms() < end && closes < 4; round++) {
        int i = round % CONNS;
        send_all(fds[i], req, n);
        sent++;
        struct answer a = read_one(fds[i]);
        ck_assert_msg(a.status == 200 && a.whole, "request %u lost: status %d", sent, a.status);
        answers++;
        if (!a.close)
            continue;
        closes++;
        expect_eof(fds[i]);
        close(fds[i]);
        unsigned long before = stats(1).handed;
        fds[i] = dial();   /* the client reconnects: the front places it on the quiet loop */
        send_all(fds[i], req, n);
        sent++;
        a = read_one(fds[i]);
        ck_assert_msg(a.status == 200 && a.whole && !a.close, "after reconnect: %d", a.status);
        answers++;
        ck_assert_uint_eq(stats(1).handed, before + 1);
    }
    ck_assert_uint_eq(answers, sent);
    ck_assert_uint_eq(closes, 4);
    ck_assert_uint_eq(stats(0).shed, closes);   /* every shed seen by its client */
    ck_assert_uint_eq(stats(1).handed, closes);
    ck_assert_uint_eq(stats(1).shed, 0);        /* the quiet loop keeps its connections */
    wait_total(CONNS);
    for (int i = 0; i < CONNS; i++)
        close(fds[i]);
    wait_total(0);
}
END_TEST

START_TEST(pipelined_requests_and_streams_are_not_cut)
{
    if (!two_loops())
        return;
    http_server_loop_force_busy(srv, 0, 0);
    http_server_loop_force_busy(srv, 1, 0);
    /* a status stream on the first loop */
    int sfd = dial();
    char req[4096], two[8192];
    int sn = snprintf(req, sizeof(req), "GET /api/v1/tasks/t1/status/stream?interval=200ms HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
    send_all(sfd, req, (size_t)sn);
    char sbuf[4096];
    size_t got = raw_read_until(sfd, sbuf, sizeof(sbuf), "event: status", WAIT_MS);
    ck_assert_msg(got > 0 && strstr(sbuf, "200"), "stream: %.*s", (int)got, sbuf);
    int fds[CONNS];
    open_quiet(fds);
    ck_assert_uint_eq(stats(0).handed, CONNS + 1);
    sleep_ms(HTTP_LOOP_WINDOW_MS + 100);
    http_server_loop_force_busy(srv, 0, 900);
    size_t n = status_req(req, sizeof(req));
    memcpy(two, req, n);
    memcpy(two + n, req, n);
    unsigned closes = 0;
    int64_t end = now_ms() + WAIT_MS;
    for (int round = 0; now_ms() < end && closes < 3; round++) {
        int i = round % CONNS;
        if (fds[i] < 0)
            continue;
        send_all(fds[i], two, 2 * n);   /* two requests at once */
        struct answer a = read_one(fds[i]);
        ck_assert_msg(a.status == 200 && a.whole, "first of a pipelined pair: %d", a.status);
        ck_assert_msg(!a.close, "closed with the next request already sent");
        a = read_one(fds[i]);
        ck_assert_msg(a.status == 200 && a.whole, "second of a pipelined pair lost: %d", a.status);
        if (a.close) {
            closes++;
            expect_eof(fds[i]);
            close(fds[i]);
            fds[i] = -1;
        }
    }
    ck_assert_uint_eq(closes, 3);
    /* the stream lives on: its next events (or heartbeats) still arrive */
    got = raw_read_until(sfd, sbuf, sizeof(sbuf), "\n\n", WAIT_MS);
    ck_assert_msg(got > 0, "the status stream was closed by the rebalancing");
    ck_assert_int_ne(recv(sfd, sbuf, 1, MSG_PEEK | MSG_DONTWAIT), 0);   /* no EOF */
    close(sfd);
    for (int i = 0; i < CONNS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    wait_total(0);
}
END_TEST

static void setup_merge(void)
{
    merge_mode = true;
    setup();
}

static void teardown_merge(void)
{
    teardown();
    merge_mode = false;
}

/* One request on fds[i]; a Connection: close answer: the client reconnects and asks again
 * (the answer on the new connection must keep it). Returns whether it reconnected. */
static bool ask(int *fds, int i, const char *req, size_t n)
{
    send_all(fds[i], req, n);
    struct answer a = read_one(fds[i]);
    ck_assert_msg(a.status == 200 && a.whole, "request lost: status %d", a.status);
    if (!a.close)
        return false;
    expect_eof(fds[i]);
    close(fds[i]);
    fds[i] = dial();
    send_all(fds[i], req, n);
    a = read_one(fds[i]);
    ck_assert_msg(a.status == 200 && a.whole && !a.close, "after reconnect: %d", a.status);
    return true;
}

START_TEST(merge_drains_the_underused_loop_and_takes_it_back_when_busy)
{
    if (!two_loops())
        return;
    char req[4096];
    size_t n = status_req(req, sizeof(req));
    http_server_loop_force_busy(srv, 0, 100);
    http_server_loop_force_busy(srv, 1, 100);
    int fds[CONNS];
    for (int i = 0; i < CONNS; i++) {
        fds[i] = dial();
        send_all(fds[i], req, n);
        struct answer a = read_one(fds[i]);
        ck_assert_msg(a.status == 200 && a.whole && !a.close, "conn %d: %d", i, a.status);
    }
    /* by count: 16 on the first loop, then the second (unless a slow box let a whole load
     * window pass between two connections: the second may have been merged early) */
    ck_assert_uint_ge(stats(0).handed, 16);
    ck_assert_uint_ge(stats(1).handed, 1);
    /* both underused (100 + 100 <= 300): the second drains; every reconnect lands on the
     * first, nothing is lost, the first sheds nothing */
    unsigned moved = 0;
    int64_t end = now_ms() + WAIT_MS;
    for (int round = 0; now_ms() < end && stats(1).nconn > 0; round++)
        moved += ask(fds, round % CONNS, req, n);
    ck_assert_int_eq(stats(1).nconn, 0);
    ck_assert_uint_eq(stats(1).shed, moved);
    ck_assert_uint_eq(stats(0).shed, 0);
    ck_assert_uint_eq(stats(0).handed + stats(1).handed, CONNS + moved);
    unsigned long h1 = stats(1).handed;
    for (int i = 0; i < CONNS; i++)   /* no more reconnects while merged */
        ck_assert(!ask(fds, i, req, n));
    ck_assert_uint_eq(stats(1).handed, h1);
    /* the first loop busy: the spare takes connections again (the first sheds to it) */
    http_server_loop_force_busy(srv, 0, 900);
    http_server_loop_force_busy(srv, 1, 0);
    end = now_ms() + WAIT_MS;
    for (int round = 0; now_ms() < end && stats(1).handed == h1; round++)
        ask(fds, round % CONNS, req, n);
    ck_assert_uint_gt(stats(1).handed, h1);
    ck_assert_uint_gt(stats(0).shed, 0);
    for (int i = 0; i < CONNS; i++)
        close(fds[i]);
    wait_total(0);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_loop_shed");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, busy_loop_moves_keepalive_connections_to_the_idle_one);
    tcase_add_test(tc, pipelined_requests_and_streams_are_not_cut);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("merge");
    tcase_add_checked_fixture(tm, setup_merge, teardown_merge);
    tcase_set_timeout(tm, 120);
    tcase_add_test(tm, merge_drains_the_underused_loop_and_takes_it_back_when_busy);
    suite_add_tcase(s, tm);
    int rc = tu_run_suite(s, true);   /* gRPC does not survive fork */
    rpc_global_shutdown();
    return rc;
}

/* test_http_attack5.c - the gwattack5 pass (session 9): the plain-HTTP event loops
 * (gateway/http_loop.c, one MHD daemon and one master lane per loop; the front fills a
 * loop to 16 connections before the next) tried as a hostile client and as bad luck would,
 * on raw sockets against an in-process gateway (tests/support/gw_inproc.h: 2 loops on a
 * 2-CPU box) and a scripted master. docs/gateway.md "Attack pass 5 (event loops)".
 *   - the per-IP limit is counted once by the front across loops: limit + 1 connections
 *     holding master calls on both loops, the extra one gets the 503 problem, the others
 *     their lane deadline's 504 with a body, a new one works after;
 *   - 15 slow-body connections parked on the first loop do not starve the 16th client of
 *     that loop (it gets its answers; pipelined requests on it are answered in order while
 *     the master answers slowly);
 *   - a master that goes away with calls in flight on the lanes: every request ends with a
 *     503/504 problem (never a hang); after the master is back, requests work again and
 *     the lanes dial again (a connection to the master besides the channel's);
 *   - thousands of connections opened and closed fast (FIN, RST, RST mid-request, RST
 *     while the answer is pending): no descriptor leaks once the gateway settles;
 *   - a client that never reads a large answer does not stall the other clients of its
 *     loop;
 *   - stopping the gateway with lane calls in flight and idle/half-sent connections
 *     neither hangs nor crashes (ASan/TSan runs cover the rest);
 *   - FIXED: stopping it while keep-alive clients keep sending requests (24 clients, a
 *     master answering in 200 ms) never ended: http_server_stop waited for no connection
 *     to be suspended on the master, and every new request suspended one again. New
 *     requests now get a 503 problem with Connection: close once the stop began (without
 *     the fix this test hangs: ctest's timeout ends it);
 *   - through a TCP proxy between gateway and master: every connection (channel and
 *     lanes) reset mid-call, a frozen master (SIGSTOP), a GOAWAY and malformed frames
 *     (DATA on stream 0, a 16 MiB frame header) on idle lanes: problems, then 200 again
 *     and the lanes dial again.
 * Timeouts here are hang bounds, never timing assertions. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
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

#define SECRET "attack5-secret-attack5-secret-01234"
#define WAIT_MS 30000   /* a hang bound, not a timing assertion */
#define PER_IP 20       /* > 16: the limit spans both loops */

static struct scripted_master *sm;
static struct gw_inproc *gw;
static int port, mport;
static char tok[2048];

static const char STATUS_JSON[] =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
    "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\",\"result\":null}]}]}";

static void setup(void)
{
    mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .max_per_ip = PER_IP,
                              .sse_heartbeat_s = 600, .park_after_s = 1};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
    gw_test_mint(tok, sizeof(tok), SECRET, "dm:write", 600);
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    gw = NULL;
    if (sm)
        sm_stop(sm);
    sm = NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void send_str(int fd, const char *s)
{
    size_t len = strlen(s), off = 0;
    while (off < len) {
        ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            return;   /* the server closed: the read shows it */
        off += (size_t)n;
    }
}

static void rst_close(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static void status_req(char *out, size_t cap, const char *task, bool close_conn)
{
    snprintf(out, cap, "GET /api/v1/tasks/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\n%s\r\n", task, tok,
             close_conn ? "Connection: close\r\n" : "");
}

/* Read until EOF (Connection: close answers) or the hang bound; the status of the first
 * answer (0: none). */
static int read_answer(int fd, char *buf, size_t cap)
{
    raw_read_until(fd, buf, cap, "\x01never", WAIT_MS);
    int st = 0;
    if (sscanf(buf, "HTTP/1.1 %d", &st) != 1)
        st = 0;
    return st;
}

static bool has_problem_body(const char *buf)
{
    const char *b = strstr(buf, "\r\n\r\n");
    return b && strstr(b, "\"status\"") && strstr(buf, "application/problem+json");
}

static int one_status(const char *task)
{
    char req[4096], buf[16384];
    status_req(req, sizeof(req), task, true);
    int fd = dial();
    send_str(fd, req);
    int st = read_answer(fd, buf, sizeof(buf));
    close(fd);
    return st;
}

static void fd_dump(const char *tag)
{
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[300], link[300] = "";
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0)
            link[n] = '\0';
        fprintf(stderr, "%s fd %s -> %s\n", tag, e->d_name, link);
    }
    if (d)
        closedir(d);
}

static int fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Established connections to the master's port in this process (the channel's and the
 * lanes'), from /proc/net/tcp: local side = any, remote port = mport, state 01. */
static int master_conns(void)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    int n = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned rport = 0, st = 0;
        if (sscanf(line, " %*d: %*x:%*x %*x:%x %x", &rport, &st) == 2 && (int)rport == mport &&
            st == 1)
            n++;
    }
    fclose(f);
    return n;
}

START_TEST(per_ip_limit_is_counted_once_across_loops)
{
    sm_set_never(sm, "QueryStatus", true);
    int fds[PER_IP];
    char req[4096], buf[16384];
    for (int i = 0; i < PER_IP; i++) {
        char task[16];
        snprintf(task, sizeof(task), "t%d", i);   /* distinct: no coalescing */
        status_req(req, sizeof(req), task, true);
        fds[i] = dial();
        send_str(fds[i], req);
    }
    for (int i = 0; i < 300 && sm_count(sm, "QueryStatus") < PER_IP; i++)
        sleep_ms(100);
    ck_assert_uint_eq(sm_count(sm, "QueryStatus"), PER_IP);   /* 16 on loop 0, 4 on loop 1 */
    int extra = dial();
    status_req(req, sizeof(req), "extra", true);
    send_str(extra, req);
    ck_assert_int_eq(read_answer(extra, buf, sizeof(buf)), 503);
    ck_assert_msg(has_problem_body(buf), "%s", buf);
    close(extra);
    /* the held calls end at their lane deadline (2 s): 504 problem, not a hang */
    for (int i = 0; i < PER_IP; i++) {
        int st = read_answer(fds[i], buf, sizeof(buf));
        ck_assert_msg(st == 504 && has_problem_body(buf), "conn %d: %s", i, buf);
        close(fds[i]);
    }
    sm_set_never(sm, "QueryStatus", false);
    int st = 0;
    for (int i = 0; i < 50 && (st = one_status("t1")) != 200; i++)
        sleep_ms(100);   /* the front counts the closes asynchronously */
    ck_assert_int_eq(st, 200);
}
END_TEST

START_TEST(slow_bodies_on_the_first_loop_do_not_starve_its_other_clients)
{
    enum { SLOW = 15 };
    int slow[SLOW];
    char req[4096], buf[32768];
    for (int i = 0; i < SLOW; i++) {
        slow[i] = dial();
        snprintf(req, sizeof(req), "POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: 100000\r\n\r\n{\"name\":", tok);
        send_str(slow[i], req);
    }
    sleep_ms(200);
    /* the 16th connection: the same loop as the slow ones */
    int fd = dial();
    sm_set_delay(sm, "QueryStatus", 200);
    /* three pipelined requests while the master answers slowly: three answers, in order */
    char one[4096];
    req[0] = '\0';
    for (int i = 0; i < 3; i++) {
        status_req(one, sizeof(one), "t1", i == 2);
        strcat(req, one);
    }
    int64_t t0 = now_ms();
    send_str(fd, req);
    raw_read_until(fd, buf, sizeof(buf), "\x01never", WAIT_MS);
    int64_t took = now_ms() - t0;
    struct raw_result r = {.bytes = strdup(buf), .len = strlen(buf)};
    raw_parse(&r);
    ck_assert_msg(!r.malformed && r.nresp == 3, "%u answers: %s", r.nresp, buf);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_int_eq(r.resp[i].status, 200);
    raw_result_free(&r);
    close(fd);
    fprintf(stderr, "attack5: 3 pipelined slow-master requests beside %d slow bodies: %lld ms\n",
            SLOW, (long long)took);
    sm_set_delay(sm, "QueryStatus", 0);
    t0 = now_ms();
    ck_assert_int_eq(one_status("t1"), 200);
    fprintf(stderr, "attack5: one request beside them: %lld ms\n", (long long)(now_ms() - t0));
    for (int i = 0; i < SLOW; i++)
        close(slow[i]);
}
END_TEST

START_TEST(a_master_that_goes_away_mid_call_gives_problems_then_lanes_come_back)
{
    /* warm up: lanes dial while the channel is connected */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(one_status("t1"), 200);
    sm_set_never(sm, "QueryStatus", true);
    enum { N = 6 };
    int fds[N];
    char req[4096], buf[16384];
    for (int i = 0; i < N; i++) {
        char task[16];
        snprintf(task, sizeof(task), "g%d", i);
        status_req(req, sizeof(req), task, true);
        fds[i] = dial();
        send_str(fds[i], req);
    }
    for (int i = 0; i < 300 && sm_count(sm, "QueryStatus") < 5 + N; i++)
        sleep_ms(100);
    sm_stop(sm);   /* held calls end CANCELLED, the connections close */
    sm = NULL;
    for (int i = 0; i < N; i++) {
        int st = read_answer(fds[i], buf, sizeof(buf));
        ck_assert_msg((st == 503 || st == 504 || st == 502) && has_problem_body(buf),
                      "conn %d: %s", i, buf);
        close(fds[i]);
    }
    /* while it is down: problems, never hangs */
    int st = one_status("t1");
    ck_assert_msg(st == 503 || st == 504, "down: %d", st);
    sm = sm_start_on(&mport);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    for (int i = 0; i < 100 && (st = one_status("t1")) != 200; i++)
        sleep_ms(100);
    ck_assert_int_eq(st, 200);
    /* the lanes dial again (a second after they failed): besides the channel's connection */
    int conns = 0;
    for (int i = 0; i < 100 && (conns = master_conns()) < 2; i++) {
        ck_assert_int_eq(one_status("t1"), 200);
        sleep_ms(100);
    }
    ck_assert_msg(conns >= 2, "connections to the master: %d", conns);
}
END_TEST

START_TEST(fast_churn_leaks_no_descriptors)
{
    ck_assert_int_eq(one_status("t1"), 200);
    sleep_ms(300);
    /* the lanes dial during the churn: their sockets (both ends live in this process)
     * are not counted */
    int before = fd_count() - 2 * master_conns();
    char req[4096];
    status_req(req, sizeof(req), "t1", false);
    for (int i = 0; i < 2000; i++) {
        int fd = dial();
        switch (i % 5) {
        case 0:
            close(fd);   /* open and close */
            break;
        case 1:
            rst_close(fd);   /* open and reset */
            break;
        case 2:
            send_str(fd, "GET /api/v1/tasks/t1 HTTP/1.1\r\nHost: x\r\n");   /* half a head */
            rst_close(fd);
            break;
        case 3:
            send_str(fd, req);   /* a whole request, reset before the answer */
            rst_close(fd);
            break;
        default:
            send_str(fd, req);   /* a whole request, half-closed, then gone */
            shutdown(fd, SHUT_WR);
            close(fd);
            break;
        }
    }
    int after = 0;
    for (int i = 0; i < 300 && (after = fd_count() - 2 * master_conns()) > before; i++)
        sleep_ms(100);
    if (after > before)
        fd_dump("after");
    ck_assert_msg(after <= before, "descriptors before %d, after %d", before, after);
    ck_assert_int_eq(one_status("t1"), 200);
}
END_TEST

START_TEST(half_closed_request_gets_its_answer)
{
    sm_set_delay(sm, "QueryStatus", 300);
    char req[4096];
    status_req(req, sizeof(req), "t1", false);
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, strlen(req), true, WAIT_MS, &r), 0);
    ck_assert_msg(!r.malformed && r.nresp == 1 && r.resp[0].status == 200, "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

START_TEST(a_client_that_never_reads_a_large_answer_does_not_stall_its_loop)
{
    /* ~1 MiB answer: far more than the socket buffers hold */
    size_t big = 1u << 20;
    char *json = malloc(big + 512);
    int n = snprintf(json, 512, "{\"result\":true,\"msg\":\"");
    memset(json + n, 'x', big);
    snprintf(json + n + big, 512, "\",\"workers\":[]}");
    ck_assert_int_eq(sm_set_json(sm, "QueryStatus", json), 0);
    free(json);
    char req[4096], buf[4096];
    int stalled[3];
    for (int i = 0; i < 3; i++) {
        int fd = dial();
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
        status_req(req, sizeof(req), i == 0 ? "t1" : i == 1 ? "t2" : "t3", false);
        send_str(fd, req);
        stalled[i] = fd;   /* never read */
    }
    sleep_ms(500);
    int64_t t0 = now_ms();
    int fd = dial();
    send_str(fd, "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(read_answer(fd, buf, sizeof(buf)), 200);
    close(fd);
    fprintf(stderr, "attack5: /livez beside 3 stalled 1 MiB answers: %lld ms\n",
            (long long)(now_ms() - t0));
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    ck_assert_int_eq(one_status("t1"), 200);
    for (int i = 0; i < 3; i++)
        rst_close(stalled[i]);   /* reset mid-answer */
    ck_assert_int_eq(one_status("t1"), 200);
}
END_TEST


START_TEST(status_streams_across_loops_then_stop_with_them_open)
{
    enum { N = 18 };   /* 16 on loop 0, the rest on loop 1 */
    int fds[N];
    char req[4096], buf[8192];
    for (int i = 0; i < N; i++) {
        fds[i] = dial();
        snprintf(req, sizeof(req), "GET /api/v1/tasks/t1/status/stream?interval=200ms HTTP/1.1\r\n"
                 "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
        send_str(fds[i], req);
    }
    for (int i = 0; i < N; i++) {
        raw_read_until(fds[i], buf, sizeof(buf), "data:", WAIT_MS);
        ck_assert_msg(strstr(buf, "200 OK") && strstr(buf, "data:"), "stream %d: %s", i, buf);
    }
    ck_assert_int_eq(one_status("t1"), 200);
    gw_inproc_stop(gw);   /* with every stream open: ends them, no hang */
    gw = NULL;
    for (int i = 0; i < N; i++) {
        raw_read_until(fds[i], buf, sizeof(buf), "\x01never", WAIT_MS);
        close(fds[i]);
    }
}
END_TEST


/* A keep-alive client that sends requests until the server closes or `hammer_stop`. */
static atomic_bool hammer_stop;
static atomic_long hammer_answers;

static void *hammer(void *arg)
{
    char task[16];
    snprintf(task, sizeof(task), "h%d", (int)(intptr_t)arg);   /* distinct: not coalesced */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[4096], buf[16384];
    status_req(req, sizeof(req), task, false);
    while (!atomic_load(&hammer_stop)) {
        if (send(fd, req, strlen(req), MSG_NOSIGNAL) <= 0)
            break;
        size_t n = raw_read_until(fd, buf, sizeof(buf), "}", 5000);
        if (n == 0 || !strchr(buf, '}'))
            break;   /* closed (or a hang bound: the main thread's check shows it) */
        atomic_fetch_add(&hammer_answers, 1);
    }
    close(fd);
    return NULL;
}

START_TEST(stop_while_keepalive_clients_keep_sending)
{
    enum { T = 24 };   /* both loops */
    /* slow answers: calls in flight (lane, channel, coalesced waiters) whenever the stop
     * comes */
    sm_set_delay(sm, "QueryStatus", 200);
    for (int round = 0; round < 3; round++) {
        if (!gw) {
            struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .sse_heartbeat_s = 600};
            gw = gw_inproc_start(&c);
            ck_assert_ptr_nonnull(gw);
            port = gw_inproc_port(gw);
        }
        atomic_store(&hammer_stop, false);
        atomic_store(&hammer_answers, 0);
        pthread_t th[T];
        for (int i = 0; i < T; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i), 0);
        for (int i = 0; i < 300 && atomic_load(&hammer_answers) < 200; i++)
            sleep_ms(20);
        int64_t t0 = now_ms();
        gw_inproc_stop(gw);   /* with requests arriving all the time: no abort, no hang */
        fprintf(stderr, "attack5: stop took %lld ms\n", (long long)(now_ms() - t0));
        gw = NULL;
        atomic_store(&hammer_stop, true);
        for (int i = 0; i < T; i++)
            pthread_join(th[i], NULL);
        fprintf(stderr, "attack5: stop under keep-alive load, round %d: %ld answers\n", round,
                atomic_load(&hammer_answers));
    }
}
END_TEST

START_TEST(stop_with_lane_calls_in_flight_and_idle_connections)
{
    ck_assert_int_eq(one_status("t1"), 200);
    sm_set_never(sm, "QueryStatus", true);
    enum { N = 20 };
    int fds[N];
    char req[4096], buf[16384];
    for (int i = 0; i < N; i++) {
        fds[i] = dial();
        char task[16];
        snprintf(task, sizeof(task), "s%d", i);
        if (i % 4 == 0) {
            send_str(fds[i], "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");   /* then idle */
        } else if (i % 4 == 1) {
            send_str(fds[i], "GET /livez HTTP/1.1\r\nHo");   /* half a head */
        } else {
            status_req(req, sizeof(req), task, false);
            send_str(fds[i], req);   /* a lane call in flight */
        }
    }
    for (int i = 0; i < 300 && sm_count(sm, "QueryStatus") < 1 + N / 2; i++)
        sleep_ms(100);
    gw_inproc_stop(gw);
    gw = NULL;
    for (int i = 0; i < N; i++) {
        read_answer(fds[i], buf, sizeof(buf));   /* ends: EOF (or a problem), never a hang */
        close(fds[i]);
    }
}
END_TEST


/* ---------- a TCP proxy between the gateway and the scripted master, so that a test can
 * freeze the master (SIGSTOP: nothing forwarded), reset every connection (kill -9) or write
 * its own bytes to the gateway's side (a GOAWAY, a malformed frame) between frames. ---------- */

#define PX_MAX 64

enum px_mode { PX_PASS, PX_FREEZE };

struct proxy {
    int lfd, port, target;
    pthread_t th;
    pthread_mutex_t mu;
    bool stop, kill;
    enum px_mode mode;
    char inject[64];
    size_t ninject;
    unsigned injected;           /* connections the last inject reached */
    unsigned accepted;
    int cl[PX_MAX], sv[PX_MAX];  /* gateway side, master side; -1: free */
};

static struct proxy px;

static int px_connect(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void px_drop(int i, bool reset)
{
    if (reset) {
        rst_close(px.cl[i]);
        rst_close(px.sv[i]);
    } else {
        close(px.cl[i]);
        close(px.sv[i]);
    }
    px.cl[i] = px.sv[i] = -1;
}

static void px_commands(void)
{
    pthread_mutex_lock(&px.mu);
    if (px.kill)
        for (int i = 0; i < PX_MAX; i++)
            if (px.cl[i] >= 0)
                px_drop(i, true);
    px.kill = false;
    if (px.ninject) {
        px.injected = 0;
        for (int i = 0; i < PX_MAX; i++)
            if (px.cl[i] >= 0 && send(px.cl[i], px.inject, px.ninject, MSG_NOSIGNAL) > 0)
                px.injected++;
        px.ninject = 0;
    }
    pthread_mutex_unlock(&px.mu);
}

static void *px_main(void *arg)
{
    (void)arg;
    char buf[65536];
    for (;;) {
        px_commands();
        pthread_mutex_lock(&px.mu);
        bool stop = px.stop, frozen = px.mode == PX_FREEZE;
        pthread_mutex_unlock(&px.mu);
        if (stop)
            break;
        struct pollfd p[1 + 2 * PX_MAX];
        int n = 0;
        p[n++] = (struct pollfd){px.lfd, POLLIN, 0};
        for (int i = 0; i < PX_MAX && !frozen; i++)
            if (px.cl[i] >= 0) {
                p[n++] = (struct pollfd){px.cl[i], POLLIN, 0};
                p[n++] = (struct pollfd){px.sv[i], POLLIN, 0};
            }
        if (poll(p, (nfds_t)n, 20) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            int c = accept(px.lfd, NULL, NULL), s = c >= 0 ? px_connect(px.target) : -1;
            int i = 0;
            while (i < PX_MAX && px.cl[i] >= 0)
                i++;
            if (c < 0 || s < 0 || i == PX_MAX) {
                if (c >= 0)
                    close(c);
                if (s >= 0)
                    close(s);
            } else {
                pthread_mutex_lock(&px.mu);
                px.cl[i] = c;
                px.sv[i] = s;
                px.accepted++;
                pthread_mutex_unlock(&px.mu);
            }
        }
        for (int k = 1; k < n; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int i = 0;
            while (i < PX_MAX && px.cl[i] != p[k].fd && px.sv[i] != p[k].fd)
                i++;
            if (i == PX_MAX)
                continue;
            int to = px.cl[i] == p[k].fd ? px.sv[i] : px.cl[i];
            ssize_t r = recv(p[k].fd, buf, sizeof(buf), 0);
            pthread_mutex_lock(&px.mu);
            if (r <= 0 || send(to, buf, (size_t)r, MSG_NOSIGNAL) != r)
                px_drop(i, false);
            pthread_mutex_unlock(&px.mu);
        }
    }
    for (int i = 0; i < PX_MAX; i++)
        if (px.cl[i] >= 0)
            px_drop(i, false);
    return NULL;
}

static void px_start(int target)
{
    memset(&px, 0, sizeof(px));
    pthread_mutex_init(&px.mu, NULL);
    for (int i = 0; i < PX_MAX; i++)
        px.cl[i] = px.sv[i] = -1;
    px.target = target;
    px.lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(px.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(px.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(px.lfd, 64), 0);
    socklen_t al = sizeof(a);
    getsockname(px.lfd, (struct sockaddr *)&a, &al);
    px.port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&px.th, NULL, px_main, NULL), 0);
}

static void px_stop(void)
{
    pthread_mutex_lock(&px.mu);
    px.stop = true;
    pthread_mutex_unlock(&px.mu);
    pthread_join(px.th, NULL);
    close(px.lfd);
    pthread_mutex_destroy(&px.mu);
}

static void px_set(enum px_mode m)
{
    pthread_mutex_lock(&px.mu);
    px.mode = m;
    pthread_mutex_unlock(&px.mu);
}

static void px_kill(void)
{
    pthread_mutex_lock(&px.mu);
    px.kill = true;
    pthread_mutex_unlock(&px.mu);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&px.mu);
        bool done = !px.kill;
        pthread_mutex_unlock(&px.mu);
        if (done)
            return;
        sleep_ms(10);
    }
}

/* Write `b` to every gateway-side connection; how many it reached. */
static unsigned px_inject(const void *b, size_t n)
{
    pthread_mutex_lock(&px.mu);
    memcpy(px.inject, b, n);
    px.ninject = n;
    pthread_mutex_unlock(&px.mu);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&px.mu);
        bool done = !px.ninject;
        unsigned r = px.injected;
        pthread_mutex_unlock(&px.mu);
        if (done)
            return r;
        sleep_ms(10);
    }
    return 0;
}

static unsigned px_conns(void)
{
    unsigned n = 0;
    pthread_mutex_lock(&px.mu);
    for (int i = 0; i < PX_MAX; i++)
        n += px.cl[i] >= 0;
    pthread_mutex_unlock(&px.mu);
    return n;
}

static void setup_proxied(void)
{
    int sp = 0;
    sm = sm_start(&sp);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    px_start(sp);
    mport = px.port;
    struct gw_inproc_cfg c = {.master_port = px.port, .secret = SECRET, .sse_heartbeat_s = 600};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
    gw_test_mint(tok, sizeof(tok), SECRET, "dm:write", 600);
}

static void teardown_proxied(void)
{
    gw_inproc_stop(gw);
    gw = NULL;
    px_stop();
    sm_stop(sm);
    sm = NULL;
}

/* Requests until both loops' lanes are up beside the channel (3 connections through the
 * proxy): 2 x 17 concurrent requests fill loop 0 and reach loop 1. */
static void warm_lanes(void)
{
    for (int round = 0; round < 50 && px_conns() < 3; round++) {
        int fds[20];
        char req[4096], buf[16384];
        status_req(req, sizeof(req), "t1", true);
        for (int i = 0; i < 20; i++) {
            fds[i] = dial();
            send_str(fds[i], req);
        }
        for (int i = 0; i < 20; i++) {
            read_answer(fds[i], buf, sizeof(buf));
            close(fds[i]);
        }
        sleep_ms(100);
    }
    ck_assert_uint_ge(px_conns(), 3);
}

/* N requests on their own connections (master calls in flight), then `act`, then each
 * must end with 200 or a 503/504 problem - never a hang. Returns how many were 200. */
static int during(void (*act)(void), int *problems)
{
    enum { N = 20 };
    int fds[N], ok = 0;
    char req[4096], buf[16384];
    for (int i = 0; i < N; i++) {
        char task[16];
        snprintf(task, sizeof(task), "d%d", i);
        status_req(req, sizeof(req), task, true);
        fds[i] = dial();
        send_str(fds[i], req);
    }
    sleep_ms(200);
    act();
    *problems = 0;
    for (int i = 0; i < N; i++) {
        int st = read_answer(fds[i], buf, sizeof(buf));
        if (st == 200 || st == 404)
            ok++;
        else
            ck_assert_msg((st == 503 || st == 504) && has_problem_body(buf), "conn %d: %s", i, buf);
        *problems += st != 200 && st != 404;
        close(fds[i]);
    }
    return ok;
}

static void back_to_200(void)
{
    int st = 0;
    for (int i = 0; i < 100 && (st = one_status("t1")) != 200; i++)
        sleep_ms(100);
    ck_assert_int_eq(st, 200);
}

static void act_kill(void)
{
    px_kill();
}

START_TEST(lanes_reset_by_the_master_mid_call)
{
    warm_lanes();
    sm_set_never(sm, "QueryStatus", true);
    int problems = 0;
    during(act_kill, &problems);
    ck_assert_int_eq(problems, 20);
    sm_set_never(sm, "QueryStatus", false);
    back_to_200();
    warm_lanes();   /* the lanes dial again */
}
END_TEST

static void act_freeze(void)
{
    px_set(PX_FREEZE);
}

START_TEST(a_frozen_master_ends_lane_calls_at_their_deadline)
{
    warm_lanes();
    int problems = 0;
    sm_set_delay(sm, "QueryStatus", 500);
    during(act_freeze, &problems);
    ck_assert_int_eq(problems, 20);   /* 504 at the 2 s deadline */
    px_set(PX_PASS);
    sm_set_delay(sm, "QueryStatus", 0);
    back_to_200();
    warm_lanes();
}
END_TEST

START_TEST(goaway_on_idle_lanes)
{
    warm_lanes();
    /* GOAWAY, last stream 0 (no new streams), NO_ERROR, on every connection (channel and
     * lanes) while nothing is in flight */
    static const unsigned char goaway[] = {0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    ck_assert_uint_ge(px_inject(goaway, sizeof(goaway)), 3);
    back_to_200();
    warm_lanes();
}
END_TEST

START_TEST(malformed_frame_on_idle_lanes)
{
    warm_lanes();
    /* a DATA frame on stream 0 (PROTOCOL_ERROR), then a frame far over the max frame size */
    static const unsigned char bad[] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 'x'};
    ck_assert_uint_ge(px_inject(bad, sizeof(bad)), 3);
    back_to_200();
    warm_lanes();
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1};
    ck_assert_uint_ge(px_inject(huge, sizeof(huge)), 3);
    back_to_200();
    warm_lanes();
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_attack5");
    TCase *tc = tcase_create("attack5");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, per_ip_limit_is_counted_once_across_loops);
    tcase_add_test(tc, slow_bodies_on_the_first_loop_do_not_starve_its_other_clients);
    tcase_add_test(tc, a_master_that_goes_away_mid_call_gives_problems_then_lanes_come_back);
    tcase_add_test(tc, fast_churn_leaks_no_descriptors);
    tcase_add_test(tc, half_closed_request_gets_its_answer);
    tcase_add_test(tc, a_client_that_never_reads_a_large_answer_does_not_stall_its_loop);
    tcase_add_test(tc, stop_with_lane_calls_in_flight_and_idle_connections);
    tcase_add_test(tc, status_streams_across_loops_then_stop_with_them_open);
    tcase_add_test(tc, stop_while_keepalive_clients_keep_sending);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("attack5_proxied");
    tcase_add_checked_fixture(tp, setup_proxied, teardown_proxied);
    tcase_set_timeout(tp, 240);
    tcase_add_test(tp, lanes_reset_by_the_master_mid_call);
    tcase_add_test(tp, a_frozen_master_ends_lane_calls_at_their_deadline);
    tcase_add_test(tp, goaway_on_idle_lanes);
    tcase_add_test(tp, malformed_frame_on_idle_lanes);
    suite_add_tcase(s, tp);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

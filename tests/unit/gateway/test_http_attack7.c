/* test_http_attack7.c - regressions of the gwattack7 pass (session 11: the dm-gateway
 * binary tried as a hostile client with raw sockets and curl in front of our dm-master),
 * kept here on plain sockets against an in-process gateway (tests/support/gw_inproc.h)
 * and a scripted master:
 *   - a field the gateway reads as one value sent twice (Idempotency-Key, Content-Type,
 *     Origin, If-Match, ...): libmicrohttpd's lookup gives the first line, a proxy in front may use
 *     the last; the request was served (a write deduplicated under a key the proxy never
 *     saw). Now 400 from the head, the master not called.
 *   - request bodies had no bound across connections: 150 connections each sending most
 *     of a 1 MB body held +148 MiB (1,024 connections: ~1 GiB). Now max-body-buffer bounds
 *     the bodies held at once: a head whose Content-Length does not fit is answered 503 +
 *     Retry-After at once, a body that passes the bound while it arrives is dropped and
 *     answered 503 once it has passed; the bytes are given back when the request ends. */
#include <check.h>
#include <poll.h>
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

#define SECRET "attack7-secret-attack7-secret-01234"
#define BUFFER_CAP (64u * 1024u)
#define PART 30000u

static struct scripted_master *sm;
static struct gw_inproc *gw;
static int port;
static char tok[2048];

static void setup(void)
{
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "OperateTask", "{\"op\":\"Pause\",\"result\":true,\"msg\":\"\",\"workers\":[]}");
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .max_per_ip = 128,
                              .idem_max_keys = 100, .max_body_buffer = BUFFER_CAP};
    gw = gw_inproc_start(&c);
    ck_assert_ptr_nonnull(gw);
    port = gw_inproc_port(gw);
    gw_test_mint(tok, sizeof(tok), SECRET, "dm:write", 600);
}

static void teardown(void)
{
    gw_inproc_stop(gw);
    sm_stop(sm);
}

/* One request on its own connection: its status (the first answer). */
static int exchange(const char *req, struct raw_result *out)
{
    ck_assert_int_eq(raw_exchange(port, req, strlen(req), false, 10000, out), 0);
    ck_assert_msg(!out->malformed && out->nresp >= 1, "%s", out->bytes);
    return out->resp[0].status;
}

START_TEST(fields_read_as_one_value_are_refused_twice)
{
    static const char *const extra[] = {
        "Idempotency-Key: a\r\nIdempotency-Key: b\r\n",
        "Idempotency-Key: a\r\nidempotency-key: a\r\n",
        "Content-Type: application/json\r\nContent-Type: text/yaml\r\n",
        "Origin: https://a.example\r\nOrigin: https://b.example\r\n",
        "X-Request-Id: a\r\nX-Request-Id: b\r\n",
    };
    unsigned ops = sm_count(sm, "OperateTask");
    char req[4096];
    struct raw_result r;
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        snprintf(req, sizeof(req), "POST /api/v1/tasks/t1/pause HTTP/1.1\r\nHost: a\r\n"
                 "Authorization: Bearer %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n",
                 tok, extra[i]);
        ck_assert_msg(exchange(req, &r) == 400, "case %zu: %s", i, r.bytes);
        ck_assert_msg(strstr(r.bytes, "more than one"), "case %zu: %s", i, r.bytes);
        raw_result_free(&r);
    }
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops);
    /* one line each (a list in one If-Match) is served */
    snprintf(req, sizeof(req), "POST /api/v1/tasks/t1/pause HTTP/1.1\r\nHost: a\r\n"
             "Authorization: Bearer %s\r\nIdempotency-Key: one\r\nOrigin: https://a.example\r\n"
             "Accept: application/json\r\nAccept: */*\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             tok);
    ck_assert_int_eq(exchange(req, &r), 200);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 1);
}
END_TEST

/* A connection that sent a POST head announcing `cl` bytes and `sent` of them. */
static int open_body(unsigned cl, unsigned sent)
{
    int fd = tu_connect_lo(port);
    ck_assert_int_ge(fd, 0);
    char head[4096];
    int n = snprintf(head, sizeof(head), "POST /api/v1/tasks HTTP/1.1\r\nHost: a\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %u\r\n\r\n", tok, cl);
    ck_assert_int_eq(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    char *body = malloc(sent + 1);
    ck_assert_ptr_nonnull(body);
    memset(body, ' ', sent);
    for (size_t off = 0; off < sent;) {
        ssize_t w = send(fd, body + off, sent - off, MSG_NOSIGNAL);
        ck_assert_int_gt(w, 0);
        off += (size_t)w;
    }
    free(body);
    return fd;
}

/* The status of the answer on fd within wait_ms (0: none yet). */
static int status_within(int fd, int wait_ms)
{
    char buf[4096];
    size_t n = raw_read_until(fd, buf, sizeof(buf) - 1, "\r\n\r\n", wait_ms);
    buf[n] = 0;
    int st = 0;
    if (n > 12 && sscanf(buf, "HTTP/1.1 %d", &st) == 1)
        return st;
    return 0;
}

START_TEST(request_bodies_held_at_once_are_bounded)
{
    /* two bodies nearly whole: 2 x 29,999 bytes of the 64 KiB held */
    int a = open_body(PART, PART - 1), b = open_body(PART, PART - 1);
    /* a third head announcing 30,000 bytes does not fit: 503 at once, before its body
     * (the gateway counts bytes as its loops take them: ask until they have) */
    int st = 0;
    for (int tries = 0; st != 503 && tries < 300; tries++) {
        int c = open_body(PART, 0);
        st = status_within(c, 100);
        close(c);
        ck_assert_msg(st == 0 || st == 503, "status %d", st);
    }
    ck_assert_int_eq(st, 503);
    /* a chunked body (no length to judge from the head) that passes the bound while it
     * arrives: dropped, 503 + Retry-After once it has passed */
    int c = tu_connect_lo(port);
    char head[4096];
    int n = snprintf(head, sizeof(head), "POST /api/v1/tasks HTTP/1.1\r\nHost: a\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", tok);
    ck_assert_int_eq(send(c, head, (size_t)n, MSG_NOSIGNAL), n);
    char chunk[PART + 32];
    n = snprintf(chunk, sizeof(chunk), "%x\r\n", PART);
    memset(chunk + n, ' ', PART);
    memcpy(chunk + n + PART, "\r\n0\r\n\r\n", 7);
    ck_assert_int_eq(send(c, chunk, (size_t)n + PART + 7, MSG_NOSIGNAL), n + (int)PART + 7);
    char all[8192];
    size_t got = raw_read_until(c, all, sizeof(all) - 1, "}", 30000);
    all[got] = 0;
    ck_assert_msg(strncmp(all, "HTTP/1.1 503", 12) == 0, "%s", all);
    ck_assert_msg(strstr(all, "Retry-After: 1") && strstr(all, "max-body-buffer"), "%s", all);
    close(c);
    /* the held bodies end: their bytes are given back, a whole body is read again */
    close(a);
    close(b);
    st = 503;
    for (int tries = 0; st == 503 && tries < 300; tries++) {
        c = open_body(PART, PART);
        st = status_within(c, 10000);
        close(c);
        if (st == 503)
            usleep(50 * 1000);
    }
    ck_assert_msg(st != 503 && st != 0, "status %d after the bodies ended", st);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_attack7");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, fields_read_as_one_value_are_refused_twice);
    tcase_add_test(tc, request_bodies_held_at_once_are_bounded);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);   /* no fork: gRPC and the in-process gateway */
    rpc_global_shutdown();
    return rc;
}

/* test_http_attack4.c - regressions of the gwattack4 pass (2026-12: the gateway tried as a
 * hostile client with raw sockets, curl and openssl s_client in front of a real dm-master),
 * kept here on plain sockets against an in-process gateway (tests/support/gw_inproc.h) and
 * a scripted master:
 *   - a single-valued query parameter given twice (?pretty=true&pretty=false, also spelled
 *     with an escape: ?full&%66ull=false) was read as its first value: a proxy or WAF in
 *     front that takes the last value sees another request than the gateway (parameter
 *     pollution). Now 400 naming it; `?worker=` stays repeatable.
 *   - a body announced in a charset other than UTF-8 (application/json; charset=utf-16 or
 *     ISO-8859-1) was parsed as UTF-8. Now 415 from the head, before any body byte.
 *   - a status stream whose client stopped reading queued every changed status event
 *     (whole snapshots) up to 1 MiB per stream, then was dropped: 128 such streams per
 *     address held 128 MiB. Now only the latest event waits; the client gets it when it
 *     reads again and the stream lives on.
 *   - 300 short chunked trailer fields (3 KB) exhausted libmicrohttpd's connection pool:
 *     its HTML 431. The head and the trailer now share the head's limits (431 problem). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
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

#define SECRET "attack4-secret-attack4-secret-01234"
#define WAIT_MS 30000   /* a hang bound, not a timing assertion */

static struct scripted_master *sm;
static struct gw_inproc *gw;
static int port;
static char tok[2048];

static const char STATUS_JSON[] =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
    "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\",\"result\":null}]}]}";

static void setup(void)
{
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    sm_set_json(sm, "QueryStatus", STATUS_JSON);
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .max_per_ip = 128,
                              .sse_heartbeat_s = 600};
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

/* One request on its own connection: the first answer's status and body (out). */
static int exchange(const char *req, struct raw_result *out)
{
    ck_assert_int_eq(raw_exchange(port, req, strlen(req), false, 3000, out), 0);
    ck_assert_msg(!out->malformed && out->nresp >= 1, "%s", out->bytes);
    return out->resp[0].status;
}

static int get_status(const char *target, char *body, size_t cap)
{
    char req[4096];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
             "Connection: close\r\n\r\n", target, tok);
    struct raw_result r;
    int st = exchange(req, &r);
    snprintf(body, cap, "%.*s", (int)r.resp[0].body_len, r.resp[0].body ? r.resp[0].body : "");
    raw_result_free(&r);
    return st;
}

START_TEST(repeated_single_valued_query_parameters_are_400)
{
    static const struct {
        const char *target, *key;
    } bad[] = {
        {"/api/v1/tasks?pretty=true&pretty=false", "pretty"},
        {"/api/v1/tasks?full&%66ull=false", "full"},            /* the same key, escaped */
        {"/api/v1/tasks?stage=Running&stage=Paused", "stage"},
        {"/api/v1/tasks/t1/config?format=json&format=yaml", "format"},
        {"/api/v1/ddl-locks?task=a&task=b", "task"},
        {"/api/v1/tasks/t1/status/stream?interval=1s&interval=200ms", "interval"},
    };
    char body[4096], want[64];
    unsigned calls = sm_count(sm, NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(get_status(bad[i].target, body, sizeof(body)) == 400, "%s: %s", bad[i].target, body);
        snprintf(want, sizeof(want), "query parameter `%s` given more than once", bad[i].key);
        ck_assert_msg(strstr(body, want) != NULL, "%s: %s", bad[i].target, body);
    }
    ck_assert_uint_eq(sm_count(sm, NULL), calls);   /* the master never asked */
    /* repeatable and distinct parameters are served */
    ck_assert_int_eq(get_status("/api/v1/tasks?worker=w1&worker=w2&pretty=true", body, sizeof(body)), 200);
    ck_assert_int_eq(get_status("/api/v1/tasks?full=true&stage=Running", body, sizeof(body)), 200);
}
END_TEST

/* A head announcing a body: the answer comes from the head alone (no 100 Continue). */
static int post_head_only(const char *ctype, char *out, size_t cap)
{
    char req[4096];
    snprintf(req, sizeof(req), "POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: 20\r\n"
             "Expect: 100-continue\r\n\r\n", tok, ctype);
    struct raw_result r;
    int st = exchange(req, &r);
    snprintf(out, cap, "%s", r.bytes);
    raw_result_free(&r);
    return st;
}

static int post_body(const char *ctype)
{
    static const char body[] = "{\"password\":\"abc\"}";
    char req[4096];
    snprintf(req, sizeof(req), "POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s", tok, ctype, sizeof(body) - 1, body);
    struct raw_result r;
    int st = exchange(req, &r);
    raw_result_free(&r);
    return st;
}

START_TEST(bodies_in_a_charset_other_than_utf8_are_415)
{
    static const char *const bad[] = {
        "application/json; charset=utf-16", "application/json; Charset = ISO-8859-1 ",
        "application/json;charset=\"utf-16\"", "application/json; charset=", "text/yaml; charset=latin1",
    };
    char out[8192];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(post_head_only(bad[i], out, sizeof(out)) == 415, "%s: %s", bad[i], out);
        ck_assert_msg(strstr(out, "100 Continue") == NULL, "%s: %s", bad[i], out);
        ck_assert_msg(strstr(out, "send the body in UTF-8") != NULL, "%s: %s", bad[i], out);
    }
    static const char *const good[] = {
        "application/json", "application/json; charset=utf-8", "application/json;charset=\"UTF-8\"",
        "application/json; charset=utf8", "application/json; charset=us-ascii",
        "application/json; a=\"x;charset=utf-16\"",   /* inside another parameter's quotes */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(post_body(good[i]) == 200, "%s", good[i]);
}
END_TEST

/* A chunked body whose trailer has `n` short fields, sent whole or split in its trailer. */
static int trailer_fields_status(int n, bool split, char *out, size_t cap)
{
    static const char body[] = "{\"password\":\"abc\"}";
    size_t rcap = 64 * 1024, len = 0;
    char *req = malloc(rcap);
    ck_assert_ptr_nonnull(req);
    len += (size_t)snprintf(req, rcap, "POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n%s\r\n0\r\n",
                            tok, sizeof(body) - 1, body);
    size_t trailer_at = len;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(req + len, rcap - len, "X-T%d: v\r\n", i);
    len += (size_t)snprintf(req + len, rcap - len, "\r\n");
    struct raw_result r;
    size_t cut = trailer_at + (len - trailer_at) / 2;   /* the second half: a read of its own */
    if (split)
        ck_assert_int_eq(raw_exchange_split(port, NULL, 0, req, cut, req + cut, len - cut, false, 3000, &r), 0);
    else
        ck_assert_int_eq(raw_exchange(port, req, len, false, 3000, &r), 0);
    free(req);
    ck_assert_msg(!r.malformed && r.nresp == 1, "%d fields: %s", n, r.bytes);
    snprintf(out, cap, "%s", r.bytes);
    int st = r.resp[0].status;
    raw_result_free(&r);
    return st;
}

/* 300 trailer fields of ~10 bytes (3 KB: under the byte limit) exhausted libmicrohttpd's
 * pool, which keeps a record for each: its HTML 431 "Request too big". The head and the
 * trailer now share the head's limits (64 fields, max-header-size + 1 KiB). */
START_TEST(chunked_trailer_fields_share_the_head_limits)
{
    char out[8192];
    for (int split = 0; split < 2; split++) {
        ck_assert_msg(trailer_fields_status(300, split, out, sizeof(out)) == 431, "%s", out);
        ck_assert_msg(strstr(out, "too many header and chunked trailer fields") != NULL, "%s", out);
        ck_assert_msg(strstr(out, "<html") == NULL, "%s", out);
        /* 5 head fields + 59 trailer fields: 64, the limit */
        ck_assert_msg(trailer_fields_status(59, split, out, sizeof(out)) == 200, "%s", out);
        ck_assert_msg(trailer_fields_status(60, split, out, sizeof(out)) == 431, "%s", out);
    }
}
END_TEST

/* ---------- a status stream that stops reading ---------- */

/* Each status event is ~400 KiB (the per-stream bound is 1 MiB: the rest of one event and
 * the latest fit). Loopback TCP buffers a few MiB for a reader that stopped (the sender's
 * buffer grows with its window), so VERSIONS x BIG_MSG must be well beyond that for the
 * gateway's own queue to matter: before the fix the stream was dropped once about three
 * events waited. */
#define BIG_MSG (400 * 1024)

static char *status_version(int v)
{
    char *msg = malloc(BIG_MSG + 1);
    ck_assert_ptr_nonnull(msg);
    memset(msg, 'a', BIG_MSG);
    msg[BIG_MSG] = '\0';
    char tag[16];
    int n = snprintf(tag, sizeof(tag), "ver%03d-", v);
    memcpy(msg, tag, (size_t)n);
    size_t cap = BIG_MSG + 512;
    char *json = malloc(cap);
    ck_assert_ptr_nonnull(json);
    snprintf(json, cap, "{\"result\":true,\"msg\":\"%s\",\"workers\":[]}", msg);
    free(msg);
    return json;
}

/* Wait until the master got `n` more QueryStatus calls (the hub polls every 200 ms). */
static void wait_polls(unsigned n)
{
    unsigned want = sm_count(sm, "QueryStatus") + n;
    for (int waited = 0; sm_count(sm, "QueryStatus") < want; waited += 20) {
        ck_assert_msg(waited < WAIT_MS, "the hub stopped polling");
        usleep(20 * 1000);
    }
}

static size_t count_of(const char *hay, size_t n, const char *needle)
{
    size_t c = 0, nl = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, nl)) != NULL; p += nl)
        c++;
    return c;
}

START_TEST(a_stalled_stream_keeps_only_the_latest_status)
{
    enum { VERSIONS = 16 };
    char *v0 = status_version(0);
    ck_assert_int_eq(sm_set_json(sm, "QueryStatus", v0), 0);
    free(v0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;   /* before connect: the window the client offers stays small */
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[4096];
    int n = snprintf(req, sizeof(req), "GET /api/v1/tasks/t1/status/stream?interval=200ms HTTP/1.1\r\n"
                     "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
    ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    /* the client reads nothing while the status changes VERSIONS times */
    for (int v = 1; v <= VERSIONS; v++) {
        char *js = status_version(v);
        ck_assert_int_eq(sm_set_json(sm, "QueryStatus", js), 0);
        free(js);
        wait_polls(2);   /* the next poll answered this version and the hub handled it */
        /* at most one event for this client waits in the gateway, whatever the kernel took */
    }
    /* then it reads: the rest of what was in flight, then the latest version */
    size_t cap = 16u << 20, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    bool closed = false;
    for (int waited = 0; waited < WAIT_MS && !memmem(buf, len, "ver016-", 7);) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) == 0) {
            waited += 100;
            continue;
        }
        ssize_t k = recv(fd, buf + len, cap - len, 0);
        if (k <= 0) {
            closed = true;
            break;
        }
        len += (size_t)k;
    }
    ck_assert_msg(!closed, "the stream of a client that stopped reading was dropped (%zu bytes read)", len);
    ck_assert_msg(memmem(buf, len, "ver016-", 7) != NULL, "the latest status never came");
    size_t events = count_of(buf, len, "event: status");
    /* what the kernel buffered before the client stalled, then only the latest: some
     * versions were skipped (never all VERSIONS + 1 queued) */
    ck_assert_msg(events < VERSIONS, "%zu status events: every stale one was queued", events);
    if (getenv("DMGW_TEST_VERBOSE"))
        fprintf(stderr, "stalled stream: %zu status events, %zu bytes\n", events, len);
    free(buf);
    close(fd);
    ck_assert_int_eq(sm_set_json(sm, "QueryStatus", STATUS_JSON), 0);
}
END_TEST

/* Tried and sound, kept: a status stream asked over HTTP/1.0 (which has no chunked
 * coding) is close-delimited, not chunked. */
START_TEST(stream_over_http10_is_close_delimited)
{
    char req[4096];
    snprintf(req, sizeof(req), "GET /api/v1/tasks/t1/status/stream HTTP/1.0\r\n"
             "Authorization: Bearer %s\r\n\r\n", tok);
    struct raw_result r;
    ck_assert_int_eq(raw_exchange(port, req, strlen(req), false, 1500, &r), 0);
    ck_assert_msg(strncmp(r.bytes, "HTTP/1.1 200 ", 13) == 0, "%s", r.bytes);
    ck_assert_msg(strcasestr(r.bytes, "Connection: close") != NULL, "%s", r.bytes);
    ck_assert_msg(strcasestr(r.bytes, "Transfer-Encoding") == NULL, "%s", r.bytes);
    ck_assert_msg(strstr(r.bytes, "\r\n\r\nretry: ") != NULL, "%s", r.bytes);
    raw_result_free(&r);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_attack4");
    TCase *tc = tcase_create("attack4");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, repeated_single_valued_query_parameters_are_400);
    tcase_add_test(tc, bodies_in_a_charset_other_than_utf8_are_415);
    tcase_add_test(tc, chunked_trailer_fields_share_the_head_limits);
    tcase_add_test(tc, a_stalled_stream_keeps_only_the_latest_status);
    tcase_add_test(tc, stream_over_http10_is_close_delimited);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

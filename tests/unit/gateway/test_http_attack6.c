/* test_http_attack6.c - regressions of the gwattack6 pass (session 10: the gateway tried
 * as a hostile client with raw sockets, curl and node fetch in front of our dm-master),
 * kept here on plain sockets against an in-process gateway (tests/support/gw_inproc.h)
 * and a scripted master:
 *   - Idempotency-Key namespaces: the key was kept per token `sub`, and every token
 *     without a `sub` (or with an empty one) shared the namespace "": a second sub-less
 *     client that used the same key got the first client's stored answer (Idempotent-
 *     Replayed) and its own operation never ran. Now such a token's keys live under the
 *     SHA-256 of the token.
 *   - task names with C1 controls (U+0085, U+009B), bidirectional overrides (U+202E) or
 *     invisible characters (U+200B, U+FEFF) were accepted by POST /api/v1/tasks: now 422
 *     naming the character class, the master not called; a path still addresses such a
 *     name (tasks created before stay reachable to stop and delete).
 *   - status streams: each watcher got its own formatted copy of every status event, so
 *     N stalled watchers of a task whose status is large held N copies (two each: the
 *     event in flight and the latest). Now one refcounted event is shared. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "gw_inproc.h"
#include "raw_http.h"
#include "rpc.h"
#include "scripted_master.h"
#include "testutil.h"

#define SECRET "attack6-secret-attack6-secret-01234"

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
    sm_set_json(sm, "StartTask", "{\"result\":true,\"msg\":\"\",\"workers\":[]}");
    struct gw_inproc_cfg c = {.master_port = mport, .secret = SECRET, .max_per_ip = 128,
                              .idem_max_keys = 100};
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

/* A dm:write token with subject `sub` (NULL: no `sub` claim) valid ttl_s from now. */
static void mint(char *out, size_t cap, const char *sub, long ttl_s)
{
    char *t = NULL;
    ck_assert_int_eq(auth_mint_hs("HS256", (const unsigned char *)SECRET, strlen(SECRET), sub,
                                  "dm:write", ttl_s, NULL, NULL, (int64_t)time(NULL), &t), 0);
    ck_assert_uint_lt(strlen(t), cap);
    memcpy(out, t, strlen(t) + 1);
    free(t);
}

/* One request on its own connection (Connection: close): the first answer. */
static int send_req(const char *method, const char *target, const char *token, const char *extra,
                    const char *ctype, const char *body, struct raw_result *out)
{
    char req[8192];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "%s%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s", method, target, token,
                     extra ? extra : "", ctype ? "Content-Type: " : "", ctype ? ctype : "",
                     ctype ? "\r\n" : "", blen, body ? body : "");
    ck_assert_int_lt(n, (int)sizeof(req));
    ck_assert_int_eq(raw_exchange(port, req, (size_t)n, false, 10000, out), 0);
    ck_assert_msg(!out->malformed && out->nresp == 1, "%s", out->bytes);
    return out->resp[0].status;
}

static bool replayed(const struct raw_result *r)
{
    char v[16];
    return raw_header(&r->resp[0], "Idempotent-Replayed", v, sizeof(v));
}

/* Two clients whose tokens carry no `sub` (and one whose `sub` is empty) use the same
 * Idempotency-Key: each gets its own operation; each one's retry gets its own answer. */
START_TEST(idempotency_keys_of_subless_tokens_are_per_token)
{
    char a[2048], b[2048], e[2048], s[2048];
    mint(a, sizeof(a), NULL, 600);
    mint(b, sizeof(b), NULL, 601);   /* another token (another exp), also without sub */
    mint(e, sizeof(e), "", 602);
    mint(s, sizeof(s), "", 603);
    ck_assert_str_ne(a, b);
    const char *key = "Idempotency-Key: shared-key-1\r\n";
    struct raw_result r;
    unsigned ops = sm_count(sm, "OperateTask");
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", a, key, NULL, NULL, &r), 200);
    ck_assert(!replayed(&r));
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 1);
    /* b: before the fix, 200 + Idempotent-Replayed: true and the master not called */
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", b, key, NULL, NULL, &r), 200);
    ck_assert_msg(!replayed(&r), "another client's answer was replayed: %s", r.bytes);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 2);
    /* an empty sub is no subject either */
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", e, key, NULL, NULL, &r), 200);
    ck_assert(!replayed(&r));
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 3);
    /* a different request under the same key from another sub-less client is not a 422 */
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t2/resume", s, key, NULL, NULL, &r), 200);
    ck_assert(!replayed(&r));
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 4);
    /* each client's retry (same token, same header spelled otherwise) is its own replay */
    char key_q[64];
    snprintf(key_q, sizeof(key_q), "Idempotency-Key: \"shared-key-1\"\r\n");
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", a, key_q, NULL, NULL, &r), 200);
    ck_assert(replayed(&r));
    raw_result_free(&r);
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", b, key, NULL, NULL, &r), 200);
    ck_assert(replayed(&r));
    raw_result_free(&r);
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t2/pause", b, key, NULL, NULL, &r), 422);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 4);
    /* a subject is one client across its tokens, and its namespace is not a sub-less one's */
    char s1[2048], s2[2048];
    mint(s1, sizeof(s1), "robot", 600);
    mint(s2, sizeof(s2), "robot", 700);
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", s1, key, NULL, NULL, &r), 200);
    ck_assert(!replayed(&r));
    raw_result_free(&r);
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", s2, key, NULL, NULL, &r), 200);
    ck_assert(replayed(&r));
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 5);
}
END_TEST

/* A sub-less token whose bytes equal another token's subject cannot reach that
 * subject's keys (the namespaces are prefixed "s:" / "t:"). */
START_TEST(subject_and_token_namespaces_do_not_meet)
{
    char a[2048], hex[AUTH_DIGEST_HEX + 1], authz[2200], s1[2048];
    mint(a, sizeof(a), NULL, 600);
    snprintf(authz, sizeof(authz), "Bearer %s", a);
    ck_assert_int_eq(auth_token_digest(authz, hex), 0);
    ck_assert_uint_eq(strlen(hex), AUTH_DIGEST_HEX);
    /* the digest reads the token the way auth_verify does: scheme case and OWS aside */
    char hex2[AUTH_DIGEST_HEX + 1];
    snprintf(authz, sizeof(authz), "bearer \t%s ", a);
    ck_assert_int_eq(auth_token_digest(authz, hex2), 0);
    ck_assert_str_eq(hex, hex2);
    ck_assert_int_ne(auth_token_digest("Basic abc", hex2), 0);
    ck_assert_str_eq(hex2, "");
    ck_assert_int_ne(auth_token_digest(NULL, hex2), 0);
    /* a subject spelled like the sub-less token's namespace */
    char sub[80];
    snprintf(sub, sizeof(sub), "t:%s", hex);
    mint(s1, sizeof(s1), sub, 600);
    const char *key = "Idempotency-Key: ns-key\r\n";
    struct raw_result r;
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", a, key, NULL, NULL, &r), 200);
    raw_result_free(&r);
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks/t1/pause", s1, key, NULL, NULL, &r), 200);
    ck_assert(!replayed(&r));
    raw_result_free(&r);
}
END_TEST

/* POST /api/v1/tasks with a name holding a display control: 422 naming it, the master
 * not called; a path with such a name is still routed to the master. */
START_TEST(task_names_with_display_controls_are_refused)
{
    static const struct {
        const char *yaml_name, *why;
    } bad[] = {
        {"\"evil\\u202etxt\"", "bidirectional"},
        {"\"a\\x85b\"", "C1 control"},
        {"\"a\\u009b31m\"", "C1 control"},
        {"\"sh\\u200bop\"", "invisible"},
        {"\"\\ufeffshop\"", "invisible"},
        {"\"a\\u2028b\"", "line separator"},
    };
    unsigned starts = sm_count(sm, "StartTask");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "name: %s\ntask-mode: all\nmysql-instances:\n  - source-id: s1\n",
                 bad[i].yaml_name);
        struct raw_result r;
        ck_assert_int_eq(send_req("POST", "/api/v1/tasks", tok, NULL, "application/yaml", body, &r), 422);
        ck_assert_msg(strstr(r.resp[0].body, bad[i].why) && strstr(r.resp[0].body, "invalid task name"),
                      "%s", r.resp[0].body);
        raw_result_free(&r);
        /* the same name in JSON */
        snprintf(body, sizeof(body), "{\"name\":%s,\"task-mode\":\"all\"}", bad[i].yaml_name);
        if (strstr(body, "\\x"))
            continue;   /* \x escapes are YAML only */
        ck_assert_int_eq(send_req("POST", "/api/v1/tasks", tok, NULL, "application/json", body, &r), 422);
        ck_assert_msg(strstr(r.resp[0].body, bad[i].why), "%s", r.resp[0].body);
        raw_result_free(&r);
    }
    ck_assert_uint_eq(sm_count(sm, "StartTask"), starts);
    /* an ordinary non-ASCII name still goes to the master */
    struct raw_result r;
    ck_assert_int_eq(send_req("POST", "/api/v1/tasks", tok, NULL, "application/yaml",
                              "name: \"shop \\u540d\"\ntask-mode: all\nmysql-instances:\n  - source-id: s1\n",
                              &r), 201);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "StartTask"), starts + 1);
    /* an old task with such a name: stop it by path */
    unsigned ops = sm_count(sm, "OperateTask");
    ck_assert_int_eq(send_req("DELETE", "/api/v1/tasks/evil%E2%80%AEtxt", tok, NULL, NULL, NULL, &r), 200);
    raw_result_free(&r);
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 1);
    char *last = sm_last_request(sm, "OperateTask");
    ck_assert_ptr_nonnull(last);
    ck_assert_msg(strstr(last, "evil\xe2\x80\xaetxt") || strstr(last, "evil\\u202etxt"), "%s", last);
    free(last);
}
END_TEST

/* ---------- status events shared by watchers ---------- */

#define BIG_MSG (384 * 1024)
#define WATCHERS 48

/* A QueryStatus answer of about BIG_MSG bytes tagged "ver<v>-". */
static char *big_status(int v)
{
    char *json = malloc(BIG_MSG + 512);
    ck_assert_ptr_nonnull(json);
    int n = snprintf(json, 512, "{\"result\":true,\"msg\":\"ver%03d-", v);
    memset(json + n, 'a', BIG_MSG);
    strcpy(json + n + BIG_MSG, "\",\"workers\":[]}");
    return json;
}

static long rss_kib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &rss), 2);
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A stream client with a 4 KiB receive window; reads up to `want` (a hang bound). */
static int open_stream(char *buf, size_t cap, const char *want)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[4096];
    int n = snprintf(req, sizeof(req), "GET /api/v1/tasks/t1/status/stream?interval=200ms HTTP/1.1\r\n"
                     "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
    ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    size_t got = raw_read_until(fd, buf, cap, want, 30000);
    const char *body = strstr(buf, "\r\n\r\n");
    ck_assert_msg(strstr(buf, want), "%zu bytes: %.200s", got, body ? body + 60 : buf);
    return fd;
}

/* 48 watchers that stop reading while a ~384 KiB status changes: before, each held its own
 * copy of the event in flight and of the latest (48 x ~768 KiB, RSS +36 MiB); now the two
 * events are shared (RSS grows by the connections' own buffers). */
START_TEST(status_events_are_shared_by_watchers)
{
    char *v = big_status(1);
    ck_assert_int_eq(sm_set_json(sm, "QueryStatus", v), 0);
    free(v);
    char buf[2048];
    long before = rss_kib();
    int fds[WATCHERS];
    for (int i = 0; i < WATCHERS; i++)
        fds[i] = open_stream(buf, sizeof(buf), "ver001-");   /* stalled after its start */
    v = big_status(2);
    ck_assert_int_eq(sm_set_json(sm, "QueryStatus", v), 0);
    free(v);
    /* a new watcher starts with version 2 (its own QueryStatus), which is news to the
     * topic: the hub queues it for every stalled watcher; then a poll confirms it */
    size_t cap = 4u << 20;
    char *all = malloc(cap);
    ck_assert_ptr_nonnull(all);
    int r = open_stream(all, cap, "ver002-");
    unsigned polls = sm_count(sm, "QueryStatus") + 2;
    for (int waited = 0; sm_count(sm, "QueryStatus") < polls; waited += 20) {
        ck_assert_msg(waited < 30000, "the hub stopped polling");
        usleep(20 * 1000);
    }
    long grown = rss_kib() - before;
    if (getenv("DMGW_TEST_VERBOSE"))
        fprintf(stderr, "%d stalled watchers: RSS +%ld KiB\n", WATCHERS, grown);
    /* a bound far from both (measured: +29 MiB before, +9.5 MiB after); sanitizers keep
     * freed memory in quarantine, so RSS says nothing there */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    ck_assert_msg(grown < 16 * 1024, "RSS grew by %ld KiB with %d stalled watchers", grown, WATCHERS);
#endif
    /* they are still served: one reads on and gets the latest */
    raw_read_until(fds[0], all, cap, "ver002-", 30000);
    ck_assert_msg(strstr(all, "ver002-"), "a stalled watcher never got the latest status");
    for (int i = 0; i < WATCHERS; i++)
        close(fds[i]);
    close(r);
    free(all);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("http_attack6");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, idempotency_keys_of_subless_tokens_are_per_token);
    tcase_add_test(tc, subject_and_token_namespaces_do_not_meet);
    tcase_add_test(tc, task_names_with_display_controls_are_refused);
    tcase_add_test(tc, status_events_are_shared_by_watchers);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);   /* no fork: gRPC and the in-process gateway */
    rpc_global_shutdown();
    return rc;
}

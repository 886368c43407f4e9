/* test_gateway_e2e.c - the real dm-gateway binary ($DMGW_BUILD_DIR/bin/dm-gateway) in
 * front of an in-process scripted pb.Master (tests/support/scripted_master.c), driven
 * with curl: routes and their RPCs, status mapping, auth matrix, limits, timeouts. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "gw_inproc.h"
#include "rpc.h"
#include "scripted_master.h"
#include "testutil.h"

static struct scripted_master *sm;
static int gw_port, master_port;
static pid_t gw_pid = -1;
static char *tmpdir;
static char tok_read[2048], tok_write[2048], tok_admin[2048], tok_bad[2048];

struct res {
    int status;
    char body[65536];
    char headers[8192];
    double secs;
};

static void mint(char *out, const char *secret, const char *scope, int64_t ttl)
{
    gw_test_mint(out, 2048, secret, scope, (long)ttl);
}

static void slurp(const char *path, char *dst, size_t cap)
{
    size_t n = 0;
    char *s = tu_read_file(path, &n);
    dst[0] = '\0';
    if (s) {
        snprintf(dst, cap, "%s", s);
        free(s);
    }
}

/* curl METHOD path [-H ctype] [--data-binary body] [extra]; token may be NULL. */
static void http(struct res *r, const char *method, const char *path, const char *token,
                 const char *ctype, const char *body, const char *extra)
{
    char cmd[8192], bodyf[512], outf[512], hdrf[512];
    snprintf(bodyf, sizeof(bodyf), "%s/req.body", tmpdir);
    snprintf(outf, sizeof(outf), "%s/resp.body", tmpdir);
    snprintf(hdrf, sizeof(hdrf), "%s/resp.hdr", tmpdir);
    unlink(outf);
    unlink(hdrf);
    if (body)
        tu_write_file(bodyf, body, strlen(body));
    snprintf(cmd, sizeof(cmd),
             "curl -s -g -X %s -o %s -D %s -w '%%{http_code} %%{time_total}' --max-time 20 "
             "%s%s%s %s%s%s %s%s %s 'http://127.0.0.1:%d%s'",
             method, outf, hdrf, token ? "-H 'Authorization: Bearer " : "", token ? token : "",
             token ? "'" : "", ctype ? "-H 'Content-Type: " : "", ctype ? ctype : "",
             ctype ? "'" : "", body ? "--data-binary @" : "", body ? bodyf : "",
             extra ? extra : "", gw_port, path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    r->status = 0;
    r->secs = 0;
    if (fscanf(p, "%d %lf", &r->status, &r->secs) != 2)
        r->status = -1;
    pclose(p);
    slurp(outf, r->body, sizeof(r->body));
    slurp(hdrf, r->headers, sizeof(r->headers));
}

/* ---------- raw HTTP/1.1 over a socket (many concurrent clients, SSE) ---------- */

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_get(int fd, const char *path, const char *token, const char *extra_headers)
{
    char req[4096];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%s\r\n",
                     path, token, extra_headers ? extra_headers : "");
    ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
}

struct acc {
    char buf[1 << 16];
    size_t len;
};

/* Read until `needle` shows up in the accumulated bytes (true), EOF or timeout (false).
 * needle NULL: read until EOF. */
static bool read_until(int fd, struct acc *a, const char *needle, int timeout_ms)
{
    long long end = tu_now_ms() + timeout_ms;
    for (;;) {
        if (needle && strstr(a->buf, needle))
            return true;
        long long left = end - tu_now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        if (a->len + 1 >= sizeof(a->buf))
            return false;
        ssize_t n = recv(fd, a->buf + a->len, sizeof(a->buf) - a->len - 1, 0);
        if (n <= 0)
            return needle == NULL;
        a->len += (size_t)n;
        a->buf[a->len] = '\0';
    }
}

static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Value of an unlabelled metric, -1 if absent. Asked from 127.0.0.2 so that it does
 * not count against a per-IP limit a test fills from 127.0.0.1. */
static long metric(const char *name)
{
    struct res r;
    http(&r, "GET", "/metrics", NULL, NULL, NULL, "--interface 127.0.0.2");
    char pat[128];
    snprintf(pat, sizeof(pat), "\n%s ", name);
    const char *p = strstr(r.body, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static bool has_header(const struct res *r, const char *needle)
{
    return strcasestr(r->headers, needle) != NULL;
}

/* Flags every test gateway gets: many connections from 127.0.0.1 (the coalescing test
 * opens 200), a short SSE heartbeat (a client that left is noticed within ~1 s). */
#define GW_COMMON_FLAGS "--max-connections-per-ip", "0", "--sse-heartbeat", "1s"

/* The gateway with the test flags, then `extra` (NULL-terminated; later flags win). */
static pid_t spawn_gateway_v(int port, int mport, const char *const *extra)
{
    char bin[1024], listen[64], master[64], secret[512], logf[512];
    snprintf(bin, sizeof(bin), "%s/bin/dm-gateway", tu_build_dir());
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(master, sizeof(master), "127.0.0.1:%d", mport);
    snprintf(secret, sizeof(secret), "%s/secret", tmpdir);
    snprintf(logf, sizeof(logf), "%s/gw.log", tmpdir);
    const char *base[] = {bin, "--listen-addr", listen, "--master-addr", master,
                          "--auth-secret-file", secret, "--rpc-timeout", "1500ms",
                          "--rpc-write-timeout", "3s", "--log-file", logf, "--max-body-size",
                          "4096", "--max-header-size", "2048", "--threads", "2",
                          GW_COMMON_FLAGS, "--anonymous-read=false"};
    const char *argv[64];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        argv[n++] = base[i];
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static pid_t spawn_gateway(int port, int mport, const char *extra_flag)
{
    const char *extra[] = {extra_flag, NULL};
    return spawn_gateway_v(port, mport, extra);
}

static void wait_live(int port)
{
    int save = gw_port;
    gw_port = port;
    struct res r;
    for (int i = 0; i < 100; i++) {
        http(&r, "GET", "/livez", NULL, NULL, NULL, NULL);
        if (r.status == 200)
            break;
        usleep(50000);
    }
    ck_assert_int_eq(r.status, 200);
    gw_port = save;
}

static void stop_pid(pid_t pid)
{
    int st = 0;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

static void setup(void)
{
    tmpdir = tu_mkdtemp();
    char path[512];
    const char *secret = "e2e-secret-e2e-secret-e2e-secret-42";
    snprintf(path, sizeof(path), "%s/secret", tmpdir);
    tu_write_file(path, secret, strlen(secret));
    sm = sm_start(&master_port);
    ck_assert_ptr_nonnull(sm);
    gw_port = tu_free_port();
    gw_pid = spawn_gateway(gw_port, master_port, NULL);
    wait_live(gw_port);
    mint(tok_read, secret, "dm:read", 600);
    mint(tok_write, secret, "dm:write", 600);
    mint(tok_admin, secret, "dm:admin", 600);
    mint(tok_bad, "another-secret-another-secret-0000", "dm:admin", 600);
}

static void park_down(void);

static void teardown(void)
{
    park_down();   /* a failed parking test leaves its gateway running */
    stop_pid(gw_pid);
    sm_stop(sm);
    tu_rmrf(tmpdir);
    free(tmpdir);
}

static const char *TASK_YAML = "name: test\ntask-mode: all\nmysql-instances:\n  - source-id: s1\n";

START_TEST(start_task_yaml_201_location)
{
    struct res r;
    sm_set_json(sm, "StartTask",
                "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"127.0.0.1:8262\",\"msg\":\"\"}]}");
    http(&r, "POST", "/api/v1/tasks?worker=127.0.0.1:8262", tok_write, "application/yaml", TASK_YAML, NULL);
    ck_assert_int_eq(r.status, 201);
    ck_assert(has_header(&r, "Location: /api/v1/tasks/test"));
    ck_assert_str_eq(r.body, "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"127.0.0.1:8262\",\"msg\":\"\"}]}");
    char *req = sm_last_request(sm, "StartTask");
    ck_assert_ptr_nonnull(strstr(req, "\"workers\":[\"127.0.0.1:8262\"]"));
    ck_assert_ptr_nonnull(strstr(req, "name: test"));
    free(req);
    /* JSON task object is converted to YAML */
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/json",
         "{\"name\":\"j1\",\"task-mode\":\"all\"}", NULL);
    ck_assert_int_eq(r.status, 201);
    req = sm_last_request(sm, "StartTask");
    ck_assert_ptr_nonnull(strstr(req, "j1"));
    free(req);
    /* partial failure -> 207 */
    sm_set_json(sm, "StartTask",
                "{\"result\":true,\"workers\":[{\"result\":true,\"worker\":\"a\"},{\"result\":false,\"worker\":\"b\",\"msg\":\"x\"}]}");
    http(&r, "POST", "/api/v1/tasks", tok_write, "text/yaml", TASK_YAML, NULL);
    ck_assert_int_eq(r.status, 207);
    /* bad YAML -> 422 problem, no RPC */
    unsigned before = sm_count(sm, "StartTask");
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", "name: [x\n", NULL);
    ck_assert_int_eq(r.status, 422);
    ck_assert(has_header(&r, "application/problem+json"));
    ck_assert_uint_eq(sm_count(sm, "StartTask"), before);
}
END_TEST

/* issue 17: a body's task name follows the path name rule (dm_name_check): a name GET or
 * DELETE could never address is refused with 422 before any master call. */
START_TEST(test_regress_issue17_task_names)
{
    static const char *const json_bodies[] = {
        "{\"name\":\"atk\\nmeta-schema: x\",\"task-mode\":\"all\"}",
        "{\"name\":\"atk\\r\\nSet-Cookie: a=1\",\"task-mode\":\"all\"}",
        "{\"name\":\"atk\\tx\",\"task-mode\":\"all\"}",
        "{\"name\":\"---atk\",\"task-mode\":\"all\"}",
        "{\"name\":\"a/b\",\"task-mode\":\"all\"}",
        "{\"task\":\"name: \\\"atk\\\\tx\\\"\\n\"}",
    };
    static const char *const yaml_bodies[] = {
        "name: \"atk\\nmeta-schema: x\"\ntask-mode: all\n",
        "name: \"atk\\r\\nSet-Cookie: a=1\"\ntask-mode: all\n",
        "name: \"atk\\tx\"\n",
        "name: \"---\"\n",
    };
    struct res r;
    sm_set_json(sm, "StartTask", "{\"result\":true,\"msg\":\"\",\"workers\":[]}");
    sm_set_json(sm, "CheckTask", "{\"result\":true,\"msg\":\"check pass!!!\"}");
    unsigned starts = sm_count(sm, "StartTask"), checks = sm_count(sm, "CheckTask");
    for (size_t i = 0; i < sizeof(json_bodies) / sizeof(json_bodies[0]); i++) {
        http(&r, "POST", "/api/v1/tasks", tok_write, "application/json", json_bodies[i], NULL);
        ck_assert_msg(r.status == 422, "json %zu: %d %s", i, r.status, r.body);
        ck_assert_msg(strstr(r.body, "invalid task name: it ") != NULL, "json %zu: %s", i, r.body);
        ck_assert(has_header(&r, "application/problem+json"));
        http(&r, "POST", "/api/v1/tasks/check", tok_write, "application/json", json_bodies[i], NULL);
        ck_assert_msg(r.status == 422, "check json %zu: %d", i, r.status);
    }
    for (size_t i = 0; i < sizeof(yaml_bodies) / sizeof(yaml_bodies[0]); i++) {
        http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", yaml_bodies[i], NULL);
        ck_assert_msg(r.status == 422, "yaml %zu: %d %s", i, r.status, r.body);
        ck_assert_ptr_nonnull(strstr(r.body, "a task name follows the rule of path names"));
    }
    ck_assert_uint_eq(sm_count(sm, "StartTask"), starts);
    ck_assert_uint_eq(sm_count(sm, "CheckTask"), checks);
    /* a good name still goes through */
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/json",
         "{\"name\":\"ok-name\",\"task-mode\":\"all\"}", NULL);
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(sm_count(sm, "StartTask"), starts + 1);
}
END_TEST

START_TEST(dm_errors_map_to_http)
{
    struct res r;
    sm_set_json(sm, "OperateTask",
                "{\"op\":\"Pause\",\"result\":false,\"msg\":\"task nope has no workers or not exist, can try `refresh-worker-tasks` cmd first\",\"workers\":[]}");
    http(&r, "POST", "/api/v1/tasks/nope/pause", tok_write, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_nonnull(strstr(r.body, "\"op\":\"Pause\""));
    char *req = sm_last_request(sm, "OperateTask");
    ck_assert_ptr_nonnull(strstr(req, "\"op\":\"Pause\""));
    ck_assert_ptr_nonnull(strstr(req, "\"name\":\"nope\""));
    free(req);
    /* rate limit with code, Go stack cut */
    sm_set_json(sm, "OperateTask",
                "{\"op\":\"Resume\",\"result\":false,\"msg\":\"[code=38018:class=dm-master:scope=internal:level=high] fail to get emit opportunity\\ngithub.com/pingcap/dm/pkg/terror.(*Error).Generate\\n\\t/go/src/x.go:1\",\"workers\":[]}");
    http(&r, "POST", "/api/v1/tasks/t/resume", tok_write, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 429);
    ck_assert(has_header(&r, "X-DM-Error-Code: 38018"));
    ck_assert(has_header(&r, "Retry-After:"));
    ck_assert_ptr_null(strstr(r.body, "github.com"));
    /* per-worker stage failure (all failed) -> 409 */
    sm_set_json(sm, "OperateTask",
                "{\"op\":\"Stop\",\"result\":true,\"workers\":[{\"meta\":{\"result\":false,\"worker\":\"w\",\"msg\":\"[code=40051:class=dm-worker:scope=internal:level=medium] not paused\"},\"op\":\"Stop\",\"logID\":\"3\"}]}");
    http(&r, "DELETE", "/api/v1/tasks/t", tok_write, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 409);
    ck_assert_ptr_nonnull(strstr(r.body, "\"logID\":\"3\""));
    /* pretty output uses dmctl's layout */
    sm_set_json(sm, "OperateTask", "{\"op\":\"Stop\",\"result\":true,\"msg\":\"\",\"workers\":[]}");
    http(&r, "DELETE", "/api/v1/tasks/t?pretty=true", tok_write, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "{\n    \"op\": \"Stop\",\n    \"result\": true,"));
}
END_TEST

/* Found against the real dm-master + dm-worker: starting a running task answered 500.
 * The master says result=true with every worker failed, the reason wrapped in 38032. */
START_TEST(test_regress_start_twice_409)
{
    struct res r;
    sm_set_json(sm, "StartTask",
                "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"127.0.0.1:50999\","
                "\"msg\":\"[code=38032:class=dm-master:scope=internal:level=high] operation 2 of task shop-sync "
                "on worker 127.0.0.1:50999 not success: [code=40055:class=dm-worker:scope=internal:level=high] "
                "sub task shop-sync already exists\"}]}");
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", TASK_YAML, NULL);
    ck_assert_int_eq(r.status, 409);
    ck_assert(has_header(&r, "X-DM-Error-Code: 40055"));
    ck_assert(!has_header(&r, "Location:"));
    ck_assert_ptr_nonnull(strstr(r.body, "already exists"));
    /* pause of a paused task through OperateTask: wrapped 40051 -> 409 */
    sm_set_json(sm, "OperateTask",
                "{\"op\":\"Pause\",\"result\":true,\"workers\":[{\"meta\":{\"result\":false,\"worker\":\"w\","
                "\"msg\":\"[code=38008:class=dm-master:scope=internal:level=high] grpc request error: "
                "[code=40051:class=dm-worker:scope=internal:level=medium] current stage is not running\"},"
                "\"op\":\"Pause\"}]}");
    http(&r, "POST", "/api/v1/tasks/shop-sync/pause", tok_write, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 409);
    ck_assert(has_header(&r, "X-DM-Error-Code: 40051"));
}
END_TEST

START_TEST(query_routes)
{
    struct res r;
    sm_set_json(sm, "QueryStatus",
                "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
                "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\"}],"
                "\"relayStatus\":{\"stage\":\"Running\"},\"sourceID\":\"s1\"}]}");
    http(&r, "GET", "/api/v1/tasks", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"taskName\":\"t1\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"taskStatus\":\"Running\""));
    http(&r, "GET", "/api/v1/tasks?stage=Paused", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "t1"));
    /* every worker unreachable: not a 200 with an empty condensed list, the whole answer */
    sm_set_json(sm, "QueryStatus",
                "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"127.0.0.1:1\","
                "\"msg\":\"[code=38008:class=dm-master:scope=internal:level=high] grpc request error: "
                "connection refused\"}]}");
    http(&r, "GET", "/api/v1/tasks", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 500);
    ck_assert(has_header(&r, "X-DM-Error-Code: 38008"));
    ck_assert_ptr_nonnull(strstr(r.body, "connection refused"));
    sm_set_json(sm, "QueryStatus",
                "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
                "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\"}],"
                "\"relayStatus\":{\"stage\":\"Running\"},\"sourceID\":\"s1\"}]}");
    http(&r, "GET", "/api/v1/tasks?full=true", tok_read, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "\"subTaskStatus\""));
    http(&r, "GET", "/api/v1/tasks/t1?worker=w1&worker=w2", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    char *req = sm_last_request(sm, "QueryStatus");
    ck_assert_ptr_nonnull(strstr(req, "\"name\":\"t1\",\"workers\":[\"w1\",\"w2\"]"));
    free(req);
    http(&r, "GET", "/api/v1/tasks/t1/errors", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(sm_count(sm, "QueryError"), 1);
    http(&r, "GET", "/api/v1/ddl-locks?task=t1", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    req = sm_last_request(sm, "ShowDDLLocks");
    ck_assert_ptr_nonnull(strstr(req, "\"task\":\"t1\""));
    free(req);
    /* v1alpha1: grpc-gateway JSON (zero values omitted) */
    http(&r, "GET", "/apis/v1alpha1/status/t1", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "\"msg\":\"\""));
}
END_TEST

START_TEST(write_routes_and_rules)
{
    struct res r;
    /* sql: dmctl argument rules checked before any RPC */
    http(&r, "POST", "/api/v1/tasks/t/sql", tok_write, "application/json",
         "{\"op\":\"skip\",\"worker\":\"w\",\"binlogPos\":\"f:1\",\"sqlPattern\":\"x\"}", NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "cannot specify both"));
    http(&r, "POST", "/api/v1/tasks/t/sql", tok_write, "application/json",
         "{\"op\":\"inject\",\"worker\":\"w\",\"sqls\":\"insert into t values(1)\"}", NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "only support inject DDL"));
    ck_assert_uint_eq(sm_count(sm, "HandleSQLs"), 0);
    http(&r, "POST", "/api/v1/tasks/t/sql", tok_write, "application/json",
         "{\"op\":\"replace\",\"worker\":\"w\",\"binlogPos\":\"\\\"mysql-bin.000001:4\\\"\",\"sqls\":\"alter table a add c int; alter table b add d int;\"}", NULL);
    ck_assert_int_eq(r.status, 200);
    char *req = sm_last_request(sm, "HandleSQLs");
    ck_assert_ptr_nonnull(strstr(req, "\"binlogPos\":\"mysql-bin.000001:4\""));
    ck_assert_ptr_nonnull(strstr(req, "\"args\":[\"alter table a add c int\",\"alter table b add d int\"]"));
    free(req);
    /* admin scope for relay / unlock / refresh */
    http(&r, "POST", "/api/v1/relay/pause", tok_write, "application/json", "{\"workers\":[\"w\"]}", NULL);
    ck_assert_int_eq(r.status, 403);
    ck_assert(has_header(&r, "insufficient_scope"));
    http(&r, "POST", "/api/v1/relay/pause", tok_admin, "application/json", "{\"workers\":[]}", NULL);
    ck_assert_int_eq(r.status, 400);
    http(&r, "POST", "/api/v1/relay/pause", tok_admin, "application/json", "{\"workers\":[\"w\"]}", NULL);
    ck_assert_int_eq(r.status, 200);
    req = sm_last_request(sm, "OperateWorkerRelayTask");
    ck_assert_ptr_nonnull(strstr(req, "PauseRelay"));
    free(req);
    http(&r, "POST", "/api/v1/ddl-locks/test-%60db%60.%60t%60/unlock", tok_admin, "application/json",
         "{\"owner\":\"w2\",\"forceRemove\":true}", NULL);
    ck_assert_int_eq(r.status, 200);
    req = sm_last_request(sm, "UnlockDDLLock");
    ck_assert_ptr_nonnull(strstr(req, "\"ID\":\"test-`db`.`t`\",\"replaceOwner\":\"w2\""));
    free(req);
    http(&r, "PUT", "/api/v1/workers/127.0.0.1%3A8262/relay-config", tok_admin, "text/plain",
         "worker-addr = \":8262\"\n", NULL);
    ck_assert_int_eq(r.status, 200);
    req = sm_last_request(sm, "UpdateWorkerRelayConfig");
    ck_assert_ptr_nonnull(strstr(req, "\"worker\":\"127.0.0.1:8262\""));
    free(req);
    http(&r, "POST", "/api/v1/workers/refresh", tok_admin, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    /* PUT name mismatch */
    http(&r, "PUT", "/api/v1/tasks/other", tok_write, "application/yaml", TASK_YAML, NULL);
    ck_assert_int_eq(r.status, 422);
    /* PATCH: stage -> OperateTask; config on a v1.0 master (UNIMPLEMENTED) -> 501 */
    http(&r, "PATCH", "/api/v1/tasks/test", tok_write, "application/merge-patch+json",
         "{\"stage\":\"Paused\"}", NULL);
    ck_assert_int_eq(r.status, 200);
    sm_set_status(sm, "GetTaskCfg", 12, "unknown method");
    http(&r, "PATCH", "/api/v1/tasks/test", tok_write, "application/merge-patch+json",
         "{\"filters\":{\"f1\":{\"action\":\"Ignore\"}}}", NULL);
    ck_assert_int_eq(r.status, 501);
    ck_assert_ptr_nonnull(strstr(r.body, "use PUT"));
    sm_set_json(sm, "GetTaskCfg", "{\"result\":true,\"msg\":\"\",\"cfg\":\"name: test\\ntask-mode: all\\n\"}");
    http(&r, "PATCH", "/api/v1/tasks/test", tok_write, "application/merge-patch+json",
         "{\"filters\":{\"f1\":{\"action\":\"Ignore\"}}}", NULL);
    ck_assert_int_eq(r.status, 200);
    req = sm_last_request(sm, "UpdateTask");
    ck_assert_ptr_nonnull(strstr(req, "f1"));
    ck_assert_ptr_nonnull(strstr(req, "task-mode"));
    free(req);
    http(&r, "PATCH", "/api/v1/tasks/test", tok_write, "application/merge-patch+json",
         "{\"task-mode\":\"full\"}", NULL);
    ck_assert_int_eq(r.status, 422);
    http(&r, "POST", "/api/v1/passwords/encrypt", tok_write, "application/json", "{\"password\":\"1234\"}", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"encrypted\":\""));
}
END_TEST

/* GET .../config, If-Match and the password mask: against a master with GetTaskCfg (the
 * scripted one) and one without it (DM v1.0: UNIMPLEMENTED -> 501). */
START_TEST(task_config_etag_and_mask)
{
    struct res r;
    sm_set_json(sm, "GetTaskCfg", "{\"result\":true,\"msg\":\"\",\"cfg\":\"name: test\\n"
                "task-mode: all\\ntarget-database:\\n  host: db\\n  user: u\\n  password: s3cret\\n\"}");
    http(&r, "GET", "/api/v1/tasks/test/config", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "s3cret"));
    ck_assert_ptr_nonnull(strstr(r.body, "password: '******'"));
    const char *e = strcasestr(r.headers, "\nETag: ");
    ck_assert_ptr_nonnull(e);
    char tag[64] = "", hdr[128];
    ck_assert_int_eq(sscanf(e + 7, "%63[^\r\n]", tag), 1);
    http(&r, "GET", "/api/v1/tasks/test/config?format=json", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"password\":\"******\""));
    ck_assert_ptr_nonnull(strstr(r.headers, tag));
    http(&r, "GET", "/api/v1/tasks/test/config?format=xml", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 400);
    /* the mask sent back with PUT keeps the stored password; a stale If-Match is 412 */
    const char *put = "name: test\ntask-mode: all\ntarget-database:\n  host: db2\n  user: u\n"
                      "  password: '******'\n";
    unsigned updates = sm_count(sm, "UpdateTask");
    snprintf(hdr, sizeof(hdr), "-H 'If-Match: \"00\", %s'", tag);
    http(&r, "PUT", "/api/v1/tasks/test", tok_write, "application/yaml", put, hdr);
    ck_assert_int_eq(r.status, 200);
    char *req = sm_last_request(sm, "UpdateTask");
    ck_assert_ptr_nonnull(strstr(req, "password: s3cret"));
    ck_assert_ptr_nonnull(strstr(req, "host: db2"));
    free(req);
    http(&r, "PUT", "/api/v1/tasks/test", tok_write, "application/yaml", put, "-H 'If-Match: \"00\"'");
    ck_assert_int_eq(r.status, 412);
    ck_assert_ptr_nonnull(strstr(r.headers, tag));
    http(&r, "PATCH", "/api/v1/tasks/test", tok_write, "application/merge-patch+json",
         "{\"stage\":\"Paused\"}", "-H 'If-Match: W/\"x\"'");
    ck_assert_int_eq(r.status, 412);
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", put, NULL);
    ck_assert_int_eq(r.status, 422);
    ck_assert_uint_eq(sm_count(sm, "UpdateTask"), updates + 1);
    /* two config changes of one task at once: the second is refused, not interleaved */
    sm_set_delay(sm, "UpdateTask", 700);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "for i in 1 2; do curl -s -o /dev/null -w '%%{http_code}\\n' -X PATCH -H "
             "'Authorization: Bearer %s' -H 'Content-Type: application/merge-patch+json' "
             "-d '{\"filters\":{\"f'$i'\":{\"action\":\"Ignore\"}}}' "
             "http://127.0.0.1:%d/api/v1/tasks/test & sleep 0.2; done; wait", tok_write, gw_port);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char both[64] = "";
    size_t got = fread(both, 1, sizeof(both) - 1, p);
    pclose(p);
    both[got] = '\0';
    ck_assert_msg(strstr(both, "200") && strstr(both, "409"), "concurrent PATCHes: %s", both);
    sm_set_delay(sm, "UpdateTask", 0);
    /* a password that YAML types as a number is a password too */
    sm_set_json(sm, "GetTaskCfg", "{\"result\":true,\"msg\":\"\",\"cfg\":\"name: test\\n"
                "target-database:\\n  password: 987654\\n\"}");
    http(&r, "GET", "/api/v1/tasks/test/config?format=json", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "987654"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"password\":\"******\""));
    /* DM v1.0: no GetTaskCfg */
    sm_set_status(sm, "GetTaskCfg", 12, "unknown method");
    http(&r, "GET", "/api/v1/tasks/test/config", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 501);
    http(&r, "PUT", "/api/v1/tasks/test", tok_write, "application/yaml", put, NULL);
    ck_assert_int_eq(r.status, 501);
    ck_assert_ptr_nonnull(strstr(r.body, "real or encrypted password"));
    http(&r, "PUT", "/api/v1/tasks/test", tok_write, "application/yaml", TASK_YAML, "-H 'If-Match: *'");
    ck_assert_int_eq(r.status, 501);
    http(&r, "PUT", "/api/v1/tasks/test", tok_write, "application/yaml", TASK_YAML, NULL);
    ck_assert_int_eq(r.status, 200);   /* plain PUT needs nothing DM v1.0 lacks */
    ck_assert_uint_eq(sm_count(sm, "UpdateTask"), updates + 3);
    sm_reset(sm);
}
END_TEST

/* Idempotency-Key: a client that gave up on a slow start-task and retries gets 409 while
 * the first one runs, then the first one's answer; the master saw one StartTask. */
START_TEST(idempotency_key_replays_writes)
{
    struct res r;
    unsigned starts = sm_count(sm, "StartTask");
    sm_set_delay(sm, "StartTask", 1500);
    const char *key = "-H 'Idempotency-Key: \"retry-me-1\"' --max-time 0.4";
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", TASK_YAML, key);
    ck_assert_int_le(r.status, 0);   /* the client gave up (curl: no answer) */
    const char *key2 = "-H 'Idempotency-Key: \"retry-me-1\"'";
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", TASK_YAML, key2);
    ck_assert_int_eq(r.status, 409);
    ck_assert(has_header(&r, "Retry-After: 1"));
    ck_assert_ptr_nonnull(strstr(r.body, "still in progress"));
    usleep(1500 * 1000);
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", TASK_YAML, key2);
    ck_assert_int_eq(r.status, 201);
    ck_assert(has_header(&r, "Idempotent-Replayed: true"));
    ck_assert(has_header(&r, "Location: /api/v1/tasks/test"));
    ck_assert_uint_eq(sm_count(sm, "StartTask"), starts + 1);
    /* the same key for another body: 422, nothing sent */
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", "name: other\n", key2);
    ck_assert_int_eq(r.status, 422);
    sm_set_delay(sm, "StartTask", 0);
    /* a master that is down: the answer is not kept, the retry runs again */
    sm_set_status(sm, "OperateTask", 14, "unavailable");
    const char *key3 = "-H 'Idempotency-Key: pause-1'";
    http(&r, "POST", "/api/v1/tasks/test/pause", tok_write, NULL, NULL, key3);
    ck_assert_int_eq(r.status, 503);
    sm_reset(sm);
    unsigned ops = sm_count(sm, "OperateTask");
    http(&r, "POST", "/api/v1/tasks/test/pause", tok_write, NULL, NULL, key3);
    ck_assert_int_eq(r.status, 200);
    ck_assert(!has_header(&r, "Idempotent-Replayed"));
    http(&r, "POST", "/api/v1/tasks/test/pause", tok_write, NULL, NULL, key3);
    ck_assert_int_eq(r.status, 200);
    ck_assert(has_header(&r, "Idempotent-Replayed: true"));
    ck_assert_uint_eq(sm_count(sm, "OperateTask"), ops + 1);
    http(&r, "POST", "/api/v1/tasks/test/pause", tok_write, NULL, NULL, "-H 'Idempotency-Key: a b'");
    ck_assert_int_eq(r.status, 400);
    http(&r, "GET", "/metrics", NULL, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_idempotency_requests_total{outcome=\"replayed\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_idempotency_requests_total{outcome=\"in_progress\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_idempotency_requests_total{outcome=\"mismatch\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_idempotency_keys 2\n"));
}
END_TEST

START_TEST(auth_matrix)
{
    struct res r;
    http(&r, "GET", "/api/v1/tasks/x", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert(has_header(&r, "WWW-Authenticate: Bearer"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"result\":false"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"requestId\":\""));
    http(&r, "GET", "/api/v1/tasks/x", tok_bad, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert(has_header(&r, "invalid_token"));
    http(&r, "POST", "/api/v1/tasks/x/pause", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 403);
    http(&r, "GET", "/api/v1/tasks/x", tok_admin, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    http(&r, "GET", "/metrics", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_auth_failures_total{reason="));
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_http_requests_total{route=\"/api/v1/tasks/{name}\",method=\"GET\",code=\"401\"}"));
    ck_assert_ptr_nonnull(strstr(r.body, "dmgw_master_rpc_total{rpc=\"QueryStatus\",outcome=\"ok\"}"));
}
END_TEST

START_TEST(limits_and_protocol)
{
    struct res r;
    char big[6000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", big, NULL);
    ck_assert_int_eq(r.status, 413);
    ck_assert(has_header(&r, "application/problem+json"));
    /* chunked upload without Content-Length: also 413, never truncated */
    http(&r, "POST", "/api/v1/tasks", tok_write, "application/yaml", big, "-H 'Transfer-Encoding: chunked'");
    ck_assert_int_eq(r.status, 413);
    char hdr[3000], extra[3100];
    memset(hdr, 'h', sizeof(hdr) - 1);
    hdr[sizeof(hdr) - 1] = '\0';
    snprintf(extra, sizeof(extra), "-H 'X-Big: %s'", hdr);
    http(&r, "GET", "/livez", NULL, NULL, NULL, extra);
    ck_assert_int_eq(r.status, 431);
    ck_assert(has_header(&r, "application/problem+json"));
    http(&r, "PATCH", "/livez", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 405);
    ck_assert(has_header(&r, "Allow: GET"));
    http(&r, "GET", "/api/v1/nothing", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    http(&r, "GET", "/livez", NULL, NULL, NULL, "-H 'X-Request-Id: abc-123'");
    ck_assert(has_header(&r, "X-Request-Id: abc-123"));
    http(&r, "GET", "/openapi.json", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"operationId\":\"createTask\""));
    http(&r, "GET", "/docs", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "/openapi.json"));
    ck_assert_ptr_null(strstr(r.body, "https://"));
    http(&r, "GET", "/readyz", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    http(&r, "GET", "/api/v1/tasks/t/status/stream", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 401);
    http(&r, "GET", "/api/v1/tasks/t/status/stream?interval=10ms", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 400);
    http(&r, "GET", "/api/v1/tasks/t/status/stream?interval=61s", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 400);
}
END_TEST

START_TEST(master_never_answers_504_livez_fast)
{
    struct res r;
    sm_set_never(sm, "QueryStatus", true);
    long long t0 = tu_now_ms();
    http(&r, "GET", "/api/v1/tasks/slow", tok_read, NULL, NULL, NULL);
    long long dt = tu_now_ms() - t0;
    ck_assert_int_eq(r.status, 504);
    ck_assert_msg(dt >= 1400 && dt < 3000, "504 after %lld ms (deadline 1500)", dt);
    /* while requests hang on the master, /livez answers at once (no thread waits) */
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "for i in 1 2 3 4 5 6; do curl -s -o /dev/null -H 'Authorization: Bearer %s' "
             "http://127.0.0.1:%d/api/v1/tasks/slow & done; sleep 0.2; wait", tok_read, gw_port);
    FILE *bg = popen(cmd, "r");
    usleep(300000);
    http(&r, "GET", "/livez", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.secs < 0.5, "/livez took %f s", r.secs);
    pclose(bg);
    sm_set_never(sm, "QueryStatus", false);
}
END_TEST

START_TEST(master_down_503_fast)
{
    int port = tu_free_port(), dead = tu_free_port();
    pid_t pid = spawn_gateway(port, dead, NULL);
    wait_live(port);
    int save = gw_port;
    gw_port = port;
    struct res r;
    http(&r, "GET", "/api/v1/tasks", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 503);
    ck_assert_msg(r.secs < 1.0, "503 took %f s", r.secs);
    ck_assert(has_header(&r, "Retry-After"));
    http(&r, "GET", "/readyz", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 503);
    gw_port = save;
    stop_pid(pid);
}
END_TEST

/* issue 17 (fail fast): once the master's channel is in TRANSIENT_FAILURE, reads, writes
 * and status streams get 503 + Retry-After at once (not after the 10 s rpc-timeout), and
 * the first request after the master is back READY gets its answer. */
START_TEST(test_regress_issue17_master_down_fails_fast_then_recovers)
{
    int mport = 0;
    struct scripted_master *m2 = sm_start_on(&mport);
    ck_assert_ptr_nonnull(m2);
    sm_set_json(m2, "QueryStatus", "{\"result\":true,\"msg\":\"\",\"workers\":[]}");
    int port = tu_free_port();
    const char *extra[] = {"--rpc-timeout", "10s", "--rpc-write-timeout", "10s", NULL};
    pid_t pid = spawn_gateway_v(port, mport, extra);
    wait_live(port);
    int save = gw_port;
    gw_port = port;
    struct res r;
    http(&r, "GET", "/api/v1/tasks", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    sm_stop(m2);
    /* the watcher sees TRANSIENT_FAILURE within a reconnect attempt (backoff 1-3 s) */
    bool fast_path = false;
    for (int i = 0; i < 40 && !fast_path; i++) {
        http(&r, "GET", "/api/v1/tasks", tok_read, NULL, NULL, NULL);
        ck_assert_msg(r.status == 503, "master down: %d %s", r.status, r.body);
        ck_assert_msg(r.secs < 2.0, "503 took %f s", r.secs);
        ck_assert(has_header(&r, "Retry-After: 1"));
        fast_path = strstr(r.body, "TRANSIENT_FAILURE") != NULL;
        if (!fast_path)
            usleep(200000);
    }
    ck_assert_msg(fast_path, "never answered from the connectivity snapshot: %s", r.body);
    /* writes and the status stream answer the same way */
    http(&r, "POST", "/api/v1/tasks/t1/pause", tok_write, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 503);
    ck_assert_msg(r.secs < 2.0, "write 503 took %f s", r.secs);
    ck_assert_ptr_nonnull(strstr(r.body, "TRANSIENT_FAILURE"));
    http(&r, "GET", "/api/v1/tasks/t1/status/stream", tok_read, NULL, NULL, "--max-time 5");
    ck_assert_int_eq(r.status, 503);
    ck_assert(has_header(&r, "Retry-After: 1"));
    /* the master comes back on the same port: 200 as soon as the channel is READY */
    m2 = sm_start_on(&mport);
    ck_assert_ptr_nonnull(m2);
    sm_set_json(m2, "QueryStatus", "{\"result\":true,\"msg\":\"\",\"workers\":[]}");
    long long t0 = tu_now_ms();
    do {
        usleep(100000);
        http(&r, "GET", "/api/v1/tasks", tok_read, NULL, NULL, NULL);
    } while (r.status != 200 && tu_now_ms() - t0 < 15000);
    ck_assert_msg(r.status == 200, "not back after %lld ms: %d %s", tu_now_ms() - t0, r.status, r.body);
    gw_port = save;
    stop_pid(pid);
    sm_stop(m2);
}
END_TEST

static const char *QS_RUNNING =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
    "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Running\",\"unit\":\"Sync\"}],\"sourceID\":\"s1\"}]}";
static const char *QS_PAUSED =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"w1\",\"msg\":\"\","
    "\"subTaskStatus\":[{\"name\":\"t1\",\"stage\":\"Paused\",\"unit\":\"Sync\"}],\"sourceID\":\"s1\"}]}";

/* n concurrent GETs of the same task (odd ones ?pretty=true) on `port`; every answer is
 * checked (status, its own request id, body in its own layout). Returns master calls. */
static unsigned concurrent_gets(int port, int n)
{
    int *fds = calloc((size_t)n, sizeof(int));
    struct acc *a = calloc(1, sizeof(*a));
    ck_assert_ptr_nonnull(fds);
    unsigned before = sm_count(sm, "QueryStatus");
    for (int i = 0; i < n; i++) {
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "X-Request-Id: co-%d\r\nConnection: close\r\n", i);
        fds[i] = tcp_connect(port);
        send_get(fds[i], i % 2 ? "/api/v1/tasks/t1?pretty=true" : "/api/v1/tasks/t1", tok_read, hdr);
    }
    for (int i = 0; i < n; i++) {
        char want[64];
        a->len = 0;
        a->buf[0] = '\0';
        ck_assert(read_until(fds[i], a, NULL, 15000));
        close(fds[i]);
        ck_assert_msg(strncmp(a->buf, "HTTP/1.1 200", 12) == 0, "answer %d: %.200s", i, a->buf);
        snprintf(want, sizeof(want), "X-Request-Id: co-%d\r\n", i);
        ck_assert_msg(strcasestr(a->buf, want), "answer %d lacks its request id", i);
        ck_assert_ptr_nonnull(strstr(a->buf, i % 2 ? "\"stage\": \"Running\"" : "\"stage\":\"Running\""));
    }
    free(fds);
    free(a);
    return sm_count(sm, "QueryStatus") - before;
}

START_TEST(coalesces_identical_concurrent_reads)
{
    enum { N = 200 };
    sm_set_json(sm, "QueryStatus", QS_RUNNING);
    sm_set_delay(sm, "QueryStatus", 800);
    long co_before = metric("dmgw_coalesced_requests_total");
    unsigned calls = concurrent_gets(gw_port, N);
    ck_assert_msg(calls >= 1 && calls <= N / 20, "%u master calls for %d identical GETs", calls, N);
    long co = metric("dmgw_coalesced_requests_total") - co_before;
    ck_assert_msg(co == (long)(N - calls), "coalesced %ld, expected %u", co, N - calls);
    /* a different request (other task) is not merged with them */
    struct res r;
    sm_set_delay(sm, "QueryStatus", 0);
    unsigned b = sm_count(sm, "QueryStatus");
    http(&r, "GET", "/api/v1/tasks/t2", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(sm_count(sm, "QueryStatus"), b + 1);
}
END_TEST

START_TEST(coalescing_off_is_one_rpc_per_request)
{
    int port = tu_free_port();
    pid_t pid = spawn_gateway(port, master_port, "--coalesce=false");
    wait_live(port);
    sm_set_json(sm, "QueryStatus", QS_RUNNING);
    sm_set_delay(sm, "QueryStatus", 300);
    ck_assert_uint_eq(concurrent_gets(port, 20), 20);
    stop_pid(pid);
}
END_TEST

static int open_stream(const char *path, struct acc *a)
{
    int fd = tcp_connect(gw_port);
    a->len = 0;
    a->buf[0] = '\0';
    send_get(fd, path, tok_read, "Accept: text/event-stream\r\n");
    ck_assert_msg(read_until(fd, a, "event: status", 3000), "no initial status: %s", a->buf);
    ck_assert(strncmp(a->buf, "HTTP/1.1 200", 12) == 0);
    ck_assert_ptr_nonnull(strcasestr(a->buf, "Content-Type: text/event-stream"));
    return fd;
}

START_TEST(sse_status_stream)
{
    static struct acc a1, a2;
    sm_set_json(sm, "QueryStatus", QS_RUNNING);
    int f1 = open_stream("/api/v1/tasks/t1/status/stream?interval=0.3", &a1);
    int f2 = open_stream("/api/v1/tasks/t1/status/stream?interval=300ms", &a2);
    ck_assert_ptr_nonnull(strstr(a1.buf, "\"stage\":\"Running\""));
    ck_assert_ptr_nonnull(strstr(a1.buf, "retry: 300"));
    ck_assert_int_eq(metric("dmgw_sse_watchers"), 2);
    /* unchanged answers send nothing; a change reaches both within ~2 intervals */
    usleep(700000);
    ck_assert_uint_eq(count_of(a1.buf, "event: status"), 1);
    unsigned polls0 = sm_count(sm, "QueryStatus");
    long long t0 = tu_now_ms();
    sm_set_json(sm, "QueryStatus", QS_PAUSED);
    ck_assert(read_until(f1, &a1, "\"stage\":\"Paused\"", 2000));
    long long dt = tu_now_ms() - t0;
    ck_assert_msg(dt <= 800, "change seen after %lld ms (interval 300)", dt);
    ck_assert(read_until(f2, &a2, "\"stage\":\"Paused\"", 1000));
    /* one poll per task, not per watcher: ~1.5 s at 300 ms is ~5 polls, never ~10 */
    usleep(1500000);
    unsigned polls = sm_count(sm, "QueryStatus") - polls0;
    ck_assert_msg(polls >= 3 && polls <= 9, "%u polls in ~1.6 s for two watchers", polls);
    ck_assert(read_until(f1, &a1, ": heartbeat", 2500));
    /* master down: an error event with problem JSON, then the status again when back */
    sm_set_status(sm, "QueryStatus", 14, "connection refused");
    ck_assert(read_until(f1, &a1, "event: problem", 2000));
    ck_assert(read_until(f1, &a1, "\"status\":503", 500));
    unsigned st = count_of(a1.buf, "event: status");
    sm_set_json(sm, "QueryStatus", QS_PAUSED);
    long long t1 = tu_now_ms();
    while (count_of(a1.buf, "event: status") == st && tu_now_ms() - t1 < 2000)
        read_until(f1, &a1, "\x01", 100);   /* just read what arrives */
    ck_assert_uint_gt(count_of(a1.buf, "event: status"), st);
    /* clients leave: their watchers are freed (noticed at the next heartbeat) */
    close(f1);
    close(f2);
    long w = -1;
    for (int i = 0; i < 50 && (w = metric("dmgw_sse_watchers")) != 0; i++)
        usleep(100000);
    ck_assert_int_eq(w, 0);
    /* and the task is no longer polled */
    usleep(400000);
    unsigned p1 = sm_count(sm, "QueryStatus");
    usleep(900000);
    ck_assert_uint_eq(sm_count(sm, "QueryStatus"), p1);
}
END_TEST

START_TEST(sse_unknown_task_and_master_down)
{
    struct res r;
    sm_set_json(sm, "QueryStatus",
                "{\"result\":false,\"msg\":\"task nope has no workers or not exist\",\"workers\":[]}");
    http(&r, "GET", "/api/v1/tasks/nope/status/stream", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    sm_set_status(sm, "QueryStatus", 14, "down");
    http(&r, "GET", "/api/v1/tasks/t1/status/stream", tok_read, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 503);
    ck_assert(has_header(&r, "application/problem+json"));
}
END_TEST

START_TEST(cors_preflight_and_allow_list)
{
    int port = tu_free_port();
    pid_t pid = spawn_gateway(port, master_port, "--cors-origins=https://ok.example, https://two.example");
    wait_live(port);
    int save = gw_port;
    gw_port = port;
    struct res r;
    /* preflight from an allowed origin */
    http(&r, "OPTIONS", "/api/v1/tasks", NULL, NULL, NULL,
         "-H 'Origin: https://ok.example' -H 'Access-Control-Request-Method: POST' "
         "-H 'Access-Control-Request-Headers: authorization, content-type'");
    ck_assert_int_eq(r.status, 204);
    ck_assert(has_header(&r, "Access-Control-Allow-Origin: https://ok.example\r\n"));
    ck_assert(has_header(&r, "Access-Control-Allow-Methods: POST, GET"));
    ck_assert(has_header(&r, "Access-Control-Allow-Headers: Authorization, Content-Type"));
    ck_assert(has_header(&r, "Access-Control-Max-Age:"));
    ck_assert(has_header(&r, "Vary: Origin"));
    /* second entry of the list */
    http(&r, "OPTIONS", "/api/v1/tasks/t1/pause", NULL, NULL, NULL,
         "-H 'Origin: https://two.example' -H 'Access-Control-Request-Method: POST'");
    ck_assert_int_eq(r.status, 204);
    ck_assert(has_header(&r, "Access-Control-Allow-Origin: https://two.example"));
    /* preflight from another origin: no CORS grant */
    http(&r, "OPTIONS", "/api/v1/tasks", NULL, NULL, NULL,
         "-H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST'");
    ck_assert_int_eq(r.status, 204);
    ck_assert(!has_header(&r, "Access-Control-Allow-"));
    /* prefix / suffix tricks do not match */
    http(&r, "GET", "/livez", NULL, NULL, NULL, "-H 'Origin: https://ok.example.evil.example'");
    ck_assert(!has_header(&r, "Access-Control-Allow-Origin"));
    /* actual responses: the header only for allowed origins, errors included */
    http(&r, "GET", "/livez", NULL, NULL, NULL, "-H 'Origin: https://ok.example'");
    ck_assert_int_eq(r.status, 200);
    ck_assert(has_header(&r, "Access-Control-Allow-Origin: https://ok.example"));
    ck_assert(has_header(&r, "Access-Control-Expose-Headers:"));
    http(&r, "GET", "/api/v1/tasks", NULL, NULL, NULL, "-H 'Origin: https://ok.example'");
    ck_assert_int_eq(r.status, 401);
    ck_assert(has_header(&r, "Access-Control-Allow-Origin: https://ok.example"));
    http(&r, "GET", "/livez", NULL, NULL, NULL, "-H 'Origin: https://evil.example'");
    ck_assert_int_eq(r.status, 200);
    ck_assert(!has_header(&r, "Access-Control-Allow-Origin"));
    ck_assert(has_header(&r, "Vary: Origin"));
    gw_port = save;
    stop_pid(pid);
    /* without an allow-list no CORS header at all; OPTIONS still answers Allow */
    http(&r, "OPTIONS", "/api/v1/tasks", NULL, NULL, NULL,
         "-H 'Origin: https://ok.example' -H 'Access-Control-Request-Method: POST'");
    ck_assert_int_eq(r.status, 204);
    ck_assert(has_header(&r, "Allow: POST, GET"));
    ck_assert(!has_header(&r, "Access-Control-Allow-Origin"));
}
END_TEST

START_TEST(sse_streams_end_on_drain)
{
    static struct acc a;
    int port = tu_free_port();
    pid_t pid = spawn_gateway(port, master_port, NULL);
    wait_live(port);
    int save = gw_port;
    gw_port = port;
    sm_set_json(sm, "QueryStatus", QS_RUNNING);
    int fd = open_stream("/api/v1/tasks/t1/status/stream", &a);
    gw_port = save;
    long long t0 = tu_now_ms();
    kill(pid, SIGTERM);
    ck_assert(read_until(fd, &a, "\r\n0\r\n\r\n", 3000));   /* chunked end: a clean end */
    int st = 0;
    waitpid(pid, &st, 0);
    ck_assert_msg(tu_now_ms() - t0 < 3000, "drain with a stream took %lld ms", tu_now_ms() - t0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd);
}
END_TEST


/* ---------- idle keep-alive connections parked outside libmicrohttpd ---------- */

static pid_t park_gw;
static int park_port, park_save;

static void park_up(const char *per_ip)
{
    const char *extra[] = {"--idle-park-after", "1s", "--connection-timeout", "4s",
                           "--max-connections-per-ip", per_ip, NULL};
    park_port = tu_free_port();
    park_gw = spawn_gateway_v(park_port, master_port, extra);
    wait_live(park_port);
    park_save = gw_port;
    gw_port = park_port;   /* metric() and http() talk to this gateway */
}

static void park_down(void)
{
    if (park_gw <= 0)
        return;
    gw_port = park_save;
    stop_pid(park_gw);
    park_gw = 0;
}

/* One GET /livez on fd, answer read (acc reset first). */
static void livez_on(int fd, struct acc *a)
{
    a->len = 0;
    a->buf[0] = '\0';
    send_get(fd, "/livez", tok_read, NULL);
    ck_assert_msg(read_until(fd, a, "\"status\"", 3000), "no answer: %s", a->buf);
    ck_assert_msg(strncmp(a->buf, "HTTP/1.1 200", 12) == 0, "%s", a->buf);
}

static bool wait_parked(long want, int timeout_ms)
{
    long long end = tu_now_ms() + timeout_ms;
    while (tu_now_ms() < end) {
        if (metric("dmgw_http_parked_connections") == want)
            return true;
        usleep(100000);
    }
    return false;
}

START_TEST(idle_connections_park_and_come_back)
{
    static struct acc a;
    park_up("0");
    int fd = tcp_connect(park_port);
    livez_on(fd, &a);
    ck_assert_msg(wait_parked(1, 3000), "the idle connection was not parked");
    livez_on(fd, &a);   /* the next request on the parked socket is served */
    ck_assert_int_eq(metric("dmgw_http_parked_connections"), 0);
    ck_assert_int_ge(metric("dmgw_http_parks_total"), 1);

    /* two pipelined requests on a parked socket: both answered, in order */
    ck_assert(wait_parked(1, 3000));
    const char *two = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\nGET /version HTTP/1.1\r\nHost: x\r\n\r\n";
    a.len = 0;
    a.buf[0] = '\0';
    ck_assert_int_eq(send(fd, two, strlen(two), MSG_NOSIGNAL), (ssize_t)strlen(two));
    ck_assert(read_until(fd, &a, "\"version\"", 3000));
    ck_assert_uint_eq(count_of(a.buf, "HTTP/1.1 200"), 2);
    ck_assert(strstr(a.buf, "\"status\"") < strstr(a.buf, "\"version\""));

    /* the client leaving while parked: the gauge goes back to 0 */
    ck_assert(wait_parked(1, 3000));
    close(fd);
    ck_assert(wait_parked(0, 2000));

    /* a connection that never sent anything is parked too, and served when it does */
    fd = tcp_connect(park_port);
    ck_assert(wait_parked(1, 3000));
    livez_on(fd, &a);
    close(fd);
    park_down();
}
END_TEST

START_TEST(parked_connections_keep_http_semantics)
{
    static struct acc a;
    park_up("0");
    /* an early 401 keeps the connection (answered after the request was read) */
    int fd = tcp_connect(park_port);
    const char *noauth = "GET /api/v1/tasks HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(send(fd, noauth, strlen(noauth), MSG_NOSIGNAL), (ssize_t)strlen(noauth));
    ck_assert(read_until(fd, &a, "\"requestId\"", 3000));
    ck_assert_msg(strncmp(a.buf, "HTTP/1.1 401", 12) == 0, "%s", a.buf);
    livez_on(fd, &a);

    /* the configured inactivity timeout still closes a parked connection */
    long long t0 = tu_now_ms();
    a.len = 0;
    a.buf[0] = '\0';
    ck_assert(read_until(fd, &a, NULL, 8000));   /* EOF */
    long long idle = tu_now_ms() - t0;
    ck_assert_msg(idle >= 3500 && idle < 6500, "closed after %lld ms (timeout 4 s)", idle);
    close(fd);

    /* Connection: close and HTTP/1.0 are closed right after the answer, never parked */
    fd = tcp_connect(park_port);
    send_get(fd, "/livez", tok_read, "Connection: close\r\n");
    a.len = 0;
    t0 = tu_now_ms();
    ck_assert(read_until(fd, &a, NULL, 3000));
    ck_assert(strncmp(a.buf, "HTTP/1.1 200", 12) == 0);
    ck_assert_msg(tu_now_ms() - t0 < 900, "Connection: close took %lld ms", tu_now_ms() - t0);
    close(fd);
    fd = tcp_connect(park_port);
    const char *h10 = "GET /livez HTTP/1.0\r\n\r\n";
    ck_assert_int_eq(send(fd, h10, strlen(h10), MSG_NOSIGNAL), (ssize_t)strlen(h10));
    a.len = 0;
    t0 = tu_now_ms();
    ck_assert(read_until(fd, &a, NULL, 3000));
    ck_assert(strstr(a.buf, " 200 ") != NULL);
    ck_assert(tu_now_ms() - t0 < 900);
    close(fd);
    park_down();
}
END_TEST

/* A new connection answered 200 on /livez. wait_live's curl closed its connection just
 * before: until the gateway has seen that close, it still counts against the per-IP limit
 * and a new connection gets the front's 503 (a race of the test, with MHD's thread pool as
 * with the event loops): retried for up to 3 s. */
static int livez_new_conn(struct acc *a)
{
    for (int i = 0; i < 30; i++) {
        int fd = tcp_connect(park_port);
        a->len = 0;
        a->buf[0] = '\0';
        send_get(fd, "/livez", tok_read, NULL);
        if (read_until(fd, a, "\"status\"", 3000) && strncmp(a->buf, "HTTP/1.1 200", 12) == 0)
            return fd;
        close(fd);
        usleep(100000);
    }
    ck_abort_msg("no 200 on a new connection: %s", a->buf);
    return -1;
}

START_TEST(parked_connections_count_against_limits)
{
    static struct acc a;
    park_up("2");
    int f1 = livez_new_conn(&a), f2 = livez_new_conn(&a);
    ck_assert(wait_parked(2, 3000));
    /* a third connection from the same IP is refused: the front's 503 (Retry-After), closed */
    int f3 = tcp_connect(park_port);
    send_get(f3, "/livez", tok_read, NULL);
    a.len = 0;
    a.buf[0] = '\0';
    ck_assert(read_until(f3, &a, NULL, 3000));   /* EOF */
    ck_assert_msg(strncmp(a.buf, "HTTP/1.1 503 ", 13) == 0 && strstr(a.buf, "Retry-After: 1\r\n"),
                  "over the per-IP limit: %s", a.buf);
    close(f3);
    /* one leaves: room for a new one; the other parked one still works */
    close(f1);
    ck_assert(wait_parked(1, 2000));
    /* the per-IP count drops when the gateway has seen f1's close (parked count first):
     * a refused try (503) is retried for up to 3 s */
    for (int i = 0; i < 30; i++) {
        f3 = tcp_connect(park_port);
        send_get(f3, "/livez", tok_read, NULL);
        a.len = 0;
        a.buf[0] = '\0';
        if (read_until(f3, &a, "\"status\"", 3000) && strncmp(a.buf, "HTTP/1.1 200", 12) == 0)
            break;
        close(f3);
        f3 = -1;
        usleep(100000);
    }
    ck_assert_msg(f3 >= 0 && strncmp(a.buf, "HTTP/1.1 200", 12) == 0, "no room after a close: %s",
                  a.buf);
    livez_on(f2, &a);
    close(f2);
    close(f3);
    park_down();
}
END_TEST

START_TEST(drain_closes_parked_connections)
{
    static struct acc a;
    park_up("0");
    int fd = tcp_connect(park_port);
    livez_on(fd, &a);
    ck_assert(wait_parked(1, 3000));
    gw_port = park_save;
    long long t0 = tu_now_ms();
    kill(park_gw, SIGTERM);
    a.len = 0;
    ck_assert(read_until(fd, &a, NULL, 3000));   /* EOF */
    int st = 0;
    waitpid(park_gw, &st, 0);
    park_gw = 0;
    ck_assert_msg(tu_now_ms() - t0 < 3000, "drain with a parked connection took %lld ms",
                  tu_now_ms() - t0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd);
}
END_TEST

/* Regression: parked connections coming back together at max-connections. MHD split the
 * limit over its threads and MHD_add_connection queued them to a worker whose share was
 * full: libmicrohttpd 0.9.75 closed them unanswered and left the worker's mutex locked. */
START_TEST(test_regress_parked_burst_at_connection_limit)
{
    static struct acc a;
    const char *extra[] = {"--idle-park-after", "1s", "--connection-timeout", "5s",
                           "--max-connections", "8", "--threads", "4", NULL};
    park_port = tu_free_port();
    park_gw = spawn_gateway_v(park_port, master_port, extra);
    wait_live(park_port);
    park_save = gw_port;
    gw_port = park_port;
    int fd[7];
    for (int i = 0; i < 7; i++) {
        fd[i] = tcp_connect(park_port);
        livez_on(fd[i], &a);
    }
    for (int round = 0; round < 3; round++) {
        ck_assert(wait_parked(7, 4000));
        for (int i = 0; i < 7; i++)
            send_get(fd[i], "/livez", tok_read, NULL);
        for (int i = 0; i < 7; i++) {
            a.len = 0;
            a.buf[0] = '\0';
            ck_assert_msg(read_until(fd[i], &a, "\"status\"", 3000), "round %d: conn %d unanswered",
                          round, i);
        }
    }
    for (int i = 0; i < 7; i++)
        close(fd[i]);
    park_down();
}
END_TEST

int main(void)
{
    if (rpc_global_init() != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("gateway_e2e");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, start_task_yaml_201_location);
    tcase_add_test(tc, test_regress_issue17_task_names);
    tcase_add_test(tc, dm_errors_map_to_http);
    tcase_add_test(tc, test_regress_start_twice_409);
    tcase_add_test(tc, query_routes);
    tcase_add_test(tc, write_routes_and_rules);
    tcase_add_test(tc, task_config_etag_and_mask);
    tcase_add_test(tc, idempotency_key_replays_writes);
    tcase_add_test(tc, auth_matrix);
    tcase_add_test(tc, limits_and_protocol);
    tcase_add_test(tc, master_never_answers_504_livez_fast);
    tcase_add_test(tc, master_down_503_fast);
    tcase_add_test(tc, test_regress_issue17_master_down_fails_fast_then_recovers);
    tcase_add_test(tc, coalesces_identical_concurrent_reads);
    tcase_add_test(tc, coalescing_off_is_one_rpc_per_request);
    tcase_add_test(tc, sse_status_stream);
    tcase_add_test(tc, sse_unknown_task_and_master_down);
    tcase_add_test(tc, sse_streams_end_on_drain);
    tcase_add_test(tc, cors_preflight_and_allow_list);
    tcase_add_test(tc, idle_connections_park_and_come_back);
    tcase_add_test(tc, parked_connections_keep_http_semantics);
    tcase_add_test(tc, parked_connections_count_against_limits);
    tcase_add_test(tc, drain_closes_parked_connections);
    tcase_add_test(tc, test_regress_parked_burst_at_connection_limit);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

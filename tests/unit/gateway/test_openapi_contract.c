/* test_openapi_contract.c - openapi/openapi.yaml is a contract on real answers: a gateway
 * runs in this process (http_server.h, routes) in front of the scripted pb.Master
 * (tests/support/scripted_master.h); every route of routes/route_table.c is driven through
 * its success answer and its error answers (auth, body, limits, master down, DM errors,
 * gRPC failures), and every exchange (status, Content-Type, body) is checked against the
 * embedded document with tests/support/oas_check.h in strict mode (an answer field the
 * document does not list is a mismatch too). A self-test shows the checker can fail.
 *
 * Adding a route: add its operation to openapi.yaml and its cases to OPS/CASES below;
 * contract_covers_every_route fails until every route has a checked exchange. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "dm_error.h"
#include "http_client.h"
#include "http_server.h"
#include "log.h"
#include "oas_check.h"
#include "openapi_doc.h"
#include "route_ctx.h"
#include "router.h"
#include "rpc.h"
#include "scripted_master.h"
#include "gw_inproc.h"
#include "testutil.h"

/* gRPC status codes the scripted master answers with */
enum { G_DEADLINE = 4, G_EXHAUSTED = 8, G_UNIMPLEMENTED = 12, G_INTERNAL = 13,
       G_UNAVAILABLE = 14 };

#define MAX_BODY 4096

struct gw {
    struct route_env env;
    struct http_server *srv;
    int port;
};

static struct oas_doc *doc;
static struct scripted_master *sm;
static struct auth_ctx *auth;
static struct gw live, down;            /* down: its master address has nobody listening */
static char *tmpdir;
static char tok_read[2048], tok_write[2048], tok_admin[2048], tok_noscope[2048];
static char big_body[MAX_BODY + 1024];
static unsigned covered[64];            /* checked exchanges per router_table index */
static unsigned n_exchanges;
static char failures[1 << 16];
static size_t failures_len;
static unsigned n_failures;

/* ---------- fixture ---------- */

static void mint(char *out, const char *secret, const char *scope)
{
    gw_test_mint(out, 2048, secret, scope, 3600);
}

static void gw_start(struct gw *g, int master_port)
{
    char addr[64], err[256] = "";
    memset(g, 0, sizeof(*g));
    g->env.rpc_timeout_ms = 1500;
    g->env.rpc_write_timeout_ms = 3000;
    g->env.readyz_timeout_ms = 1000;
    g->env.sse_interval_ms = 200;
    g->env.sse_heartbeat_ms = 1000;
    g->env.coalesce = true;
    g->env.version = "contract-test";
    ck_assert_int_eq(route_env_init(&g->env), DM_OK);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", master_port);
    g->env.master = gw_test_master_channel(addr);
    ck_assert_ptr_nonnull(g->env.master);
    struct http_config h = {.listen_addr = "127.0.0.1:0", .threads = 2, .max_body = MAX_BODY,
                            .max_header_bytes = 8192, .max_headers = 64,
                            .max_connections = 256, .conn_timeout_s = 10,
                            .conn_memory_limit = 16384, .audit_fd = -1};
    ck_assert_msg(http_server_start(&h, &g->env, auth, &g->srv, err, sizeof(err)) == DM_OK, "%s", err);
    g->port = http_server_port(g->srv);
}

static void gw_stop(struct gw *g)
{
    if (g->srv)
        http_server_stop(g->srv);
    g->srv = NULL;
    rpc_channel_free(g->env.master);
    g->env.master = NULL;
    route_env_release(&g->env);
}

static void setup(void)
{
    char err[512] = "", path[512];
    const char *secret = "contract-secret-contract-secret-42";
    dm_log_init("test_openapi_contract", DM_LOG_ERROR);
    doc = oas_doc_new(route_openapi_yaml, route_openapi_yaml_len, err, sizeof(err));
    ck_assert_msg(doc != NULL, "%s", err);
    oas_doc_set_strict(doc, true);
    ck_assert_int_eq(rpc_global_init(), DM_OK);
    tmpdir = tu_mkdtemp();
    snprintf(path, sizeof(path), "%s/secret", tmpdir);
    tu_write_file(path, secret, strlen(secret));
    struct auth_config ac = {.alg = "HS256", .secret_file = path, .leeway_s = 30};
    ck_assert_msg(auth_ctx_new(&ac, &auth, err, sizeof(err)) == DM_OK, "%s", err);
    int mport = 0;
    sm = sm_start(&mport);
    ck_assert_ptr_nonnull(sm);
    gw_start(&live, mport);
    gw_start(&down, tu_free_port());
    mint(tok_read, secret, "dm:read");
    mint(tok_write, secret, "dm:write");
    mint(tok_admin, secret, "dm:admin");
    mint(tok_noscope, secret, "profile");
    memset(big_body, 'a', sizeof(big_body) - 1);
}

static void teardown(void)
{
    gw_stop(&live);
    gw_stop(&down);
    sm_stop(sm);
    auth_ctx_free(auth);
    rpc_global_shutdown();
    oas_doc_free(doc);
    tu_rmrf(tmpdir);
    free(tmpdir);
}

/* ---------- canned master answers (dmctl JSON, dm-v1-wire.md §4) ---------- */

#define W1 "127.0.0.1:8262"
#define W2 "127.0.0.1:8263"
#define CWR_OK "{\"result\":true,\"worker\":\"" W1 "\",\"msg\":\"\"}"
#define CWR_FAIL "{\"result\":false,\"worker\":\"" W2 "\",\"msg\":\"[code=38032:class=dm-master:scope=internal:level=high] operation 2 of task test on worker " W2 " not success: [code=10001:class=database:scope=downstream:level=high] database driver error\"}"
#define LIST_OK "{\"result\":true,\"msg\":\"\",\"workers\":[" CWR_OK "]}"
#define LIST_PARTIAL "{\"result\":true,\"msg\":\"\",\"workers\":[" CWR_OK "," CWR_FAIL "]}"
#define NO_TASK "task test has no workers or not exist, can try `refresh-worker-tasks` cmd first"
#define LIST_404 "{\"result\":false,\"msg\":\"" NO_TASK "\",\"workers\":[]}"
#define LIST_409 "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"" W1 "\",\"msg\":\"[code=38032:class=dm-master:scope=internal:level=high] operation 2 of task test on worker " W1 " not success: [code=40055:class=dm-worker:scope=internal:level=high] sub task test already exists\"}]}"
#define LIST_422 "{\"result\":false,\"msg\":\"[code=20005:class=config:scope=internal:level=medium] fail to check task config: 'task-mode' should be one of all, full, incremental\",\"workers\":[]}"
#define LIST_LOCK_404 "{\"result\":false,\"msg\":\"[code=38019:class=dm-master:scope=internal:level=medium] lock with ID test-`db`.`t` not found\",\"workers\":[]}"
/* DM answers with an unknown code (500), the master's rate limit (429), its timeout (504) */
#define DM_500 "{\"result\":false,\"msg\":\"[code=38031:class=dm-master:scope=internal:level=high] get task config from etcd failed\\ngithub.com/pingcap/dm/pkg/terror.(*Error).Generate\\n\\t/go/src/x.go:1\"}"
#define DM_429 "{\"result\":false,\"msg\":\"[code=38018:class=dm-master:scope=internal:level=high] fail to get emit opportunity\"}"
#define DM_504 "{\"result\":false,\"msg\":\"[code=38033:class=dm-master:scope=internal:level=high] request timeout, the outcome is unknown\"}"

#define SUB_META(w, r, m, op, id) "{\"meta\":{\"result\":" r ",\"worker\":\"" w "\",\"msg\":\"" m "\"},\"op\":\"" op "\",\"logID\":\"" id "\"}"
#define OP_OK(op) "{\"op\":\"" op "\",\"result\":true,\"msg\":\"\",\"workers\":[" SUB_META(W1, "true", "", op, "2") "]}"
#define OP_PARTIAL "{\"op\":\"Pause\",\"result\":true,\"msg\":\"\",\"workers\":[" SUB_META(W1, "true", "", "Pause", "2") "," SUB_META(W2, "false", "[code=10001:class=database:scope=downstream:level=high] database driver error", "Pause", "0") "]}"
#define OP_404(op) "{\"op\":\"" op "\",\"result\":false,\"msg\":\"" NO_TASK "\",\"workers\":[]}"
#define OP_409 "{\"op\":\"Pause\",\"result\":true,\"msg\":\"\",\"workers\":[" SUB_META(W1, "false", "[code=38008:class=dm-master:scope=internal:level=high] grpc request error: [code=40051:class=dm-worker:scope=internal:level=medium] current stage is not running", "Pause", "0") "]}"

#define SYNC "{\"totalEvents\":\"12\",\"totalTps\":\"1\",\"recentTps\":\"0\",\"masterBinlog\":\"(mysql-bin.000001, 2022)\",\"masterBinlogGtid\":\"\",\"syncerBinlog\":\"(mysql-bin.000001, 2022)\",\"syncerBinlogGtid\":\"\",\"blockingDDLs\":[\"ALTER TABLE `db`.`t` ADD COLUMN c INT\"],\"unresolvedGroups\":[{\"target\":\"`db`.`t`\",\"DDLs\":[\"ALTER TABLE `db`.`t` ADD COLUMN c INT\"],\"firstPos\":\"(mysql-bin.000001, 1800)\",\"synced\":[\"" W1 "\"],\"unsynced\":[\"" W2 "\"]}],\"synced\":false}"
#define RELAY "{\"masterBinlog\":\"(mysql-bin.000001, 2022)\",\"masterBinlogGtid\":\"\",\"relaySubDir\":\"0-1.000001\",\"relayBinlog\":\"(mysql-bin.000001, 2022)\",\"relayBinlogGtid\":\"\",\"relayCatchUpMaster\":true,\"stage\":\"Running\",\"result\":null}"
#define PERR "{\"isCanceled\":false,\"errors\":[{\"Type\":\"ExecSQL\",\"msg\":\"execute statement failed\",\"error\":{\"ErrCode\":10006,\"ErrClass\":1,\"ErrScope\":2,\"ErrLevel\":3,\"Message\":\"execute statement failed: INSERT INTO t VALUES (1)\",\"RawCause\":\"Error 1146: Table 'db.t' doesn't exist\"}}],\"detail\":\"c29tZSBkZXRhaWw=\"}"
#define QS_WORKER1 "{\"result\":true,\"worker\":\"" W1 "\",\"msg\":\"\",\"subTaskStatus\":[{\"name\":\"test\",\"stage\":\"Running\",\"unit\":\"Sync\",\"result\":null,\"unresolvedDDLLockID\":\"\",\"sync\":" SYNC "}],\"relayStatus\":" RELAY ",\"sourceID\":\"mysql-replica-01\"}"
#define QS_WORKER2 "{\"result\":true,\"worker\":\"" W2 "\",\"msg\":\"\",\"subTaskStatus\":[{\"name\":\"test\",\"stage\":\"Paused\",\"unit\":\"Load\",\"result\":" PERR ",\"unresolvedDDLLockID\":\"\",\"load\":{\"finishedBytes\":\"115\",\"totalBytes\":\"452\",\"progress\":\"25.44 %\",\"metaBinlog\":\"(mysql-bin.000001, 154)\"}},{\"name\":\"other\",\"stage\":\"Running\",\"unit\":\"Check\",\"result\":null,\"unresolvedDDLLockID\":\"\",\"check\":{\"passed\":true,\"total\":3,\"successful\":3,\"failed\":0,\"warning\":0,\"detail\":null}},{\"name\":\"third\",\"stage\":\"New\",\"unit\":\"InvalidUnit\",\"result\":null,\"unresolvedDDLLockID\":\"\",\"msg\":\"no sub task started\"}],\"relayStatus\":null,\"sourceID\":\"mysql-replica-02\"}"
#define QS_OK "{\"result\":true,\"msg\":\"\",\"workers\":[" QS_WORKER1 "," QS_WORKER2 "]}"
#define QS_PARTIAL "{\"result\":true,\"msg\":\"\",\"workers\":[" QS_WORKER1 ",{\"result\":false,\"worker\":\"" W2 "\",\"msg\":\"[code=38008:class=dm-master:scope=internal:level=high] grpc request error: connection refused\",\"subTaskStatus\":[],\"relayStatus\":null,\"sourceID\":\"\"}]}"
#define QS_404 "{\"result\":false,\"msg\":\"" NO_TASK "\",\"workers\":[]}"
#define QE_OK "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"" W1 "\",\"msg\":\"\",\"subTaskError\":[{\"name\":\"test\",\"stage\":\"Paused\",\"unit\":\"Sync\",\"sync\":{\"errors\":[{\"msg\":\"execute statement failed\",\"failedBinlogPosition\":\"mysql-bin.000001:2022\",\"errorSQL\":\"[tp: insert, sql: INSERT INTO t VALUES (?)]\"}]}}],\"RelayError\":{\"msg\":\"\"}},{\"result\":true,\"worker\":\"" W2 "\",\"msg\":\"\",\"subTaskError\":[{\"name\":\"test\",\"stage\":\"Running\",\"unit\":\"Load\",\"msg\":\"\"}],\"RelayError\":null}]}"
#define QE_PARTIAL "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":true,\"worker\":\"" W1 "\",\"msg\":\"\",\"subTaskError\":[],\"RelayError\":null}," CWR_FAIL "]}"
#define DL_OK "{\"result\":true,\"msg\":\"\",\"locks\":[{\"ID\":\"test-`db`.`t`\",\"task\":\"test\",\"owner\":\"" W1 "\",\"DDLs\":[\"ALTER TABLE `db`.`t` ADD COLUMN c INT\"],\"synced\":[\"" W1 "\"],\"unsynced\":[\"" W2 "\"]}]}"
#define RW_OK "{\"result\":true,\"workers\":[{\"worker\":\"" W1 "\",\"msg\":\"\"}]}"
#define RW_500 "{\"result\":false,\"workers\":[{\"worker\":\"" W1 "\",\"msg\":\"[code=38031:class=dm-master:scope=internal:level=high] etcd failed\"}]}"
#define RELAY_SUB(w, r, m) "{\"op\":\"PauseRelay\",\"result\":" r ",\"worker\":\"" w "\",\"msg\":\"" m "\"}"
#define OR_OK "{\"op\":\"InvalidRelayOp\",\"result\":true,\"msg\":\"\",\"workers\":[" RELAY_SUB(W1, "true", "") "]}"
#define OR_PARTIAL "{\"op\":\"InvalidRelayOp\",\"result\":true,\"msg\":\"\",\"workers\":[" RELAY_SUB(W1, "true", "") "," RELAY_SUB(W2, "false", "[code=30017:class=relay-unit:scope=internal:level=high] relay unit is not running") "]}"
#define CWR_404 "{\"result\":false,\"worker\":\"" W1 "\",\"msg\":\"" W1 " relevant worker-client not found\"}"
#define MC_OK "{\"result\":true,\"msg\":\"\",\"workers\":[" QS_WORKER1 "]}"
#define CHECK_OK "{\"result\":true,\"msg\":\"check pass!!!\"}"
#define CHECK_FAIL "{\"result\":false,\"msg\":\"[code=26005:class=dm-master:scope=internal:level=medium] fail to check synchronization configuration with type: mysql_binlog_enable\"}"
#define CFG_SECRET "{\"result\":true,\"msg\":\"\",\"cfg\":\"name: test\\ntask-mode: all\\ntarget-database:\\n  host: 127.0.0.1\\n  password: secret\\n\"}"
#define CFG_OK "{\"result\":true,\"msg\":\"\",\"cfg\":\"name: test\\ntask-mode: all\\n\"}"

static const char *TASK_YAML = "name: test\ntask-mode: all\nmysql-instances:\n  - source-id: s1\n";

/* ---------- the exchange ---------- */

enum tok { T_NONE, T_READ, T_WRITE, T_ADMIN, T_NOSCOPE, T_BAD };

struct xcase {
    const char *method;
    const char *tmpl;          /* route template = OpenAPI path */
    const char *target;        /* request target */
    enum tok tok;
    const char *ctype;
    const char *body;          /* NULL: none; big_body: over the limit */
    const char *rpc, *json;    /* canned answer of rpc (json, or grpc status below) */
    int grpc;
    const char *rpc2, *json2;  /* a second RPC the handler calls */
    int want;                  /* expected HTTP status */
    struct gw *gw;             /* NULL: the live gateway */
    const char *until;         /* streams: stop reading here */
    const char *extra;         /* more request header lines ("Name: value\r\n") */
};

static const char *token_of(enum tok t)
{
    switch (t) {
    case T_READ: return tok_read;
    case T_WRITE: return tok_write;
    case T_ADMIN: return tok_admin;
    case T_NOSCOPE: return tok_noscope;
    case T_BAD: return "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl";
    default: return NULL;
    }
}

static void record_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record_failure(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "contract: %s\n", line);
    n_failures++;
    int w = snprintf(failures + failures_len, sizeof(failures) - failures_len, "%s\n", line);
    if (w > 0 && (size_t)w < sizeof(failures) - failures_len)
        failures_len += (size_t)w;
}

static void failures_reset(void)
{
    n_failures = 0;
    failures_len = 0;
    failures[0] = '\0';
}

static void script(const char *rpc, const char *json, int grpc)
{
    if (!rpc)
        return;
    if (json)
        ck_assert_msg(sm_set_json(sm, rpc, json) == 0, "canned %s answer does not decode: %s", rpc, json);
    else
        ck_assert_int_eq(sm_set_status(sm, rpc, grpc, "scripted failure"), 0);
}

static int route_index(const char *method, const char *tmpl)
{
    for (size_t i = 0; i < router_table_len; i++) {
        if (strcmp(router_table[i].method, method) == 0 && strcmp(router_table[i].path, tmpl) == 0)
            return (int)i;
    }
    return -1;
}

/* The contract in strict mode (no undocumented fields), then with OpenAPI's own semantics
 * (where, for example, an object can match two oneOf alternatives). */
static int check_both(const char *method, const char *tmpl, int status, const char *ctype,
                      const struct hc_response *r, char *err, size_t cap)
{
    int rc = oas_check_exchange(doc, method, tmpl, status, ctype, r->body, r->body_len, err, cap);
    if (rc != DM_OK)
        return rc;
    oas_doc_set_strict(doc, false);
    rc = oas_check_exchange(doc, method, tmpl, status, ctype, r->body, r->body_len, err, cap);
    oas_doc_set_strict(doc, true);
    if (rc != DM_OK) {
        size_t n = strlen(err);
        snprintf(err + n, cap - n, " [OpenAPI semantics, not strict]");
    }
    return rc;
}

/* Send x, check the expected status, then the contract. */
static void exchange(const struct xcase *x)
{
    struct hc_response r;
    char hdrs[4096] = "", ctype[256] = "", err[2048] = "";
    const char *tok = token_of(x->tok);
    size_t n = 0;
    if (tok)
        n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n, "Authorization: Bearer %s\r\n", tok);
    if (x->ctype)
        n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n, "Content-Type: %s\r\n", x->ctype);
    if (x->extra)
        snprintf(hdrs + n, sizeof(hdrs) - n, "%s", x->extra);
    sm_reset(sm);
    script(x->rpc, x->json, x->grpc);
    script(x->rpc2, x->json2, 0);
    struct hc_request rq = {.port = (x->gw ? x->gw : &live)->port, .method = x->method,
                            .target = x->target, .headers = hdrs, .body = x->body,
                            .body_len = x->body ? strlen(x->body) : 0, .until = x->until};
    ck_assert_msg(hc_request(&rq, &r) == 0, "%s %s: no answer", x->method, x->target);
    hc_header(&r, "Content-Type", ctype, sizeof(ctype));
    n_exchanges++;
    if (r.status != x->want) {
        record_failure("%s %s: status %d, expected %d: %.300s", x->method, x->target, r.status,
                       x->want, r.body);
    } else if (check_both(x->method, x->tmpl, r.status, ctype, &r, err, sizeof(err)) != DM_OK) {
        record_failure("%s (request %s %s)", err, x->method, x->target);
    }
    int i = route_index(x->method, x->tmpl);
    if (i >= 0 && (size_t)i < sizeof(covered) / sizeof(covered[0]))
        covered[i]++;
    hc_response_free(&r);
}

/* ---------- operations: generic error answers ---------- */

struct op {
    const char *method, *tmpl, *target;
    enum tok tok;              /* a token with the scope the route needs (T_NONE: no auth) */
    enum tok weak;             /* a valid token without that scope */
    const char *ctype, *body;  /* a valid request body */
    const char *rpc;           /* the master RPC (NULL: none) */
    const char *ok;            /* its canned success */
    int ok_status;
    const char *dm_500;        /* a result=false answer with an unknown code (NULL: DM_500) */
};

static const struct op OPS[] = {
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, T_READ, "application/yaml", NULL, "StartTask", LIST_OK, 201, NULL},
    {"GET", "/api/v1/tasks", "/api/v1/tasks", T_READ, T_NOSCOPE, NULL, NULL, "QueryStatus", QS_OK, 200, NULL},
    {"POST", "/api/v1/tasks/check", "/api/v1/tasks/check", T_WRITE, T_READ, "application/yaml", NULL, "CheckTask", CHECK_OK, 200, "SKIP"},
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_READ, T_NOSCOPE, NULL, NULL, "QueryStatus", QS_OK, 200, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, T_READ, "application/yaml", NULL, "UpdateTask", LIST_OK, 200, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, T_READ, "application/merge-patch+json", "{\"stage\":\"Paused\"}", "OperateTask", OP_OK("Pause"), 200, NULL},
    {"DELETE", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, T_READ, NULL, NULL, "OperateTask", OP_OK("Stop"), 200, NULL},
    {"GET", "/api/v1/tasks/{name}/errors", "/api/v1/tasks/test/errors", T_READ, T_NOSCOPE, NULL, NULL, "QueryError", QE_OK, 200, NULL},
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/test/config", T_READ, T_NOSCOPE, NULL, NULL, "GetTaskCfg", CFG_OK, 200, NULL},
    {"POST", "/api/v1/tasks/{name}/pause", "/api/v1/tasks/test/pause", T_WRITE, T_READ, "application/json", "{\"workers\":[\"" W1 "\"]}", "OperateTask", OP_OK("Pause"), 200, NULL},
    {"POST", "/api/v1/tasks/{name}/resume", "/api/v1/tasks/test/resume", T_WRITE, T_READ, NULL, NULL, "OperateTask", OP_OK("Resume"), 200, NULL},
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/test/sql", T_WRITE, T_READ, "application/json", "{\"op\":\"skip\",\"worker\":\"" W1 "\",\"binlogPos\":\"mysql-bin.000001:2022\"}", "HandleSQLs", LIST_OK, 200, NULL},
    {"POST", "/api/v1/tasks/{name}/ddl-locks/break", "/api/v1/tasks/test/ddl-locks/break", T_ADMIN, T_WRITE, "application/json", "{\"workers\":[\"" W1 "\"],\"exec\":true}", "BreakWorkerDDLLock", LIST_OK, 200, NULL},
    {"GET", "/api/v1/ddl-locks", "/api/v1/ddl-locks?task=test", T_READ, T_NOSCOPE, NULL, NULL, "ShowDDLLocks", DL_OK, 200, NULL},
    {"POST", "/api/v1/ddl-locks/{id}/unlock", "/api/v1/ddl-locks/test-%60db%60.%60t%60/unlock", T_ADMIN, T_WRITE, "application/json", "{\"owner\":\"" W2 "\",\"forceRemove\":true}", "UnlockDDLLock", LIST_OK, 200, NULL},
    {"POST", "/api/v1/workers/refresh", "/api/v1/workers/refresh", T_ADMIN, T_WRITE, NULL, NULL, "RefreshWorkerTasks", RW_OK, 200, RW_500},
    {"PUT", "/api/v1/workers/{worker}/relay-config", "/api/v1/workers/127.0.0.1%3A8262/relay-config", T_ADMIN, T_WRITE, "text/plain", "worker-addr = \":8262\"\n", "UpdateWorkerRelayConfig", CWR_OK, 200, NULL},
    {"POST", "/api/v1/workers/{worker}/relay/migrate", "/api/v1/workers/127.0.0.1%3A8262/relay/migrate", T_ADMIN, T_WRITE, "application/json", "{\"binlogName\":\"mysql-bin.000002\",\"binlogPos\":4}", "MigrateWorkerRelay", CWR_OK, 200, NULL},
    {"POST", "/api/v1/relay/pause", "/api/v1/relay/pause", T_ADMIN, T_WRITE, "application/json", "{\"workers\":[\"" W1 "\"]}", "OperateWorkerRelayTask", OR_OK, 200, NULL},
    {"POST", "/api/v1/relay/resume", "/api/v1/relay/resume", T_ADMIN, T_WRITE, "application/json", "{\"workers\":[\"" W1 "\"]}", "OperateWorkerRelayTask", OR_OK, 200, NULL},
    {"POST", "/api/v1/relay/switch-master", "/api/v1/relay/switch-master", T_ADMIN, T_WRITE, "application/json", "{\"workers\":[\"" W1 "\"]}", "SwitchWorkerRelayMaster", LIST_OK, 200, NULL},
    {"POST", "/api/v1/relay/purge", "/api/v1/relay/purge", T_ADMIN, T_WRITE, "application/json", "{\"workers\":[\"" W1 "\"],\"inactive\":true}", "PurgeWorkerRelay", LIST_OK, 200, NULL},
    {"PUT", "/api/v1/master/config", "/api/v1/master/config", T_ADMIN, T_WRITE, "application/json", "{\"config\":\"master-addr = \\\":8261\\\"\\n\"}", "UpdateMasterConfig", MC_OK, 200, NULL},
    {"POST", "/api/v1/passwords/encrypt", "/api/v1/passwords/encrypt", T_WRITE, T_READ, "application/json", "{\"password\":\"123456\"}", NULL, NULL, 200, NULL},
    {"POST", "/apis/v1alpha1/tasks", "/apis/v1alpha1/tasks", T_WRITE, T_READ, "application/json", "{\"task\":\"name: test\\n\",\"workers\":[\"" W1 "\"]}", "StartTask", LIST_OK, 200, "SKIP"},
    {"PUT", "/apis/v1alpha1/tasks/{name}", "/apis/v1alpha1/tasks/test", T_WRITE, T_READ, "application/json", "{\"op\":2}", "OperateTask", OP_OK("Pause"), 200, "SKIP"},
    {"GET", "/apis/v1alpha1/status/{name}", "/apis/v1alpha1/status/test?workers=" W1, T_READ, T_NOSCOPE, NULL, NULL, "QueryStatus", QS_OK, 200, "SKIP"},
    {"GET", "/apis/v1alpha1/status", "/apis/v1alpha1/status/", T_READ, T_NOSCOPE, NULL, NULL, "QueryStatus", QS_OK, 200, "SKIP"},
    {"GET", "/livez", "/livez", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/readyz", "/readyz", T_NONE, T_NONE, NULL, NULL, "GetTaskCfg", CFG_OK, 200, "SKIP"},
    {"GET", "/version", "/version", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/metrics", "/metrics", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/openapi.json", "/openapi.json", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/openapi.yaml", "/openapi.yaml", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/docs", "/docs", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/docs/{asset}", "/docs/docs.js", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"POST", "/api/v1/stream-tickets", "/api/v1/stream-tickets", T_READ, T_NOSCOPE, NULL, NULL, NULL, NULL, 201, NULL},
    {"GET", "/", "/", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 302, NULL},
    {"GET", "/console", "/console/", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
    {"GET", "/console/{asset}", "/console/app.js", T_NONE, T_NONE, NULL, NULL, NULL, NULL, 200, NULL},
};

static bool is_v1alpha1(const struct op *o)
{
    return strncmp(o->tmpl, "/apis/v1alpha1/", 15) == 0;
}

static struct xcase base_case(const struct op *o, int want)
{
    const char *body = o->body;
    if (!body && o->ctype && strstr(o->ctype, "yaml"))
        body = TASK_YAML;
    struct xcase x = {o->method, o->tmpl, o->target, o->tok, o->ctype, body, NULL, NULL, 0,
                      NULL, NULL, want, NULL, NULL, NULL};
    return x;
}

/* Whether the route refuses bodies of other media types (415 from the head). */
static bool takes_media(const struct op *o)
{
    int i = route_index(o->method, o->tmpl);
    return i >= 0 && (router_table[i].flags & (ROUTE_F_JSON | ROUTE_F_TASK | ROUTE_F_CONFIG));
}

/* The answers every route of its kind gives: success, auth, size limit, request
 * Content-Encoding and body media type (415), master down, gRPC failures, and a DM answer
 * with an unknown code. */
static void generic_cases(const struct op *o)
{
    struct xcase x = base_case(o, o->ok_status);
    x.rpc = o->rpc;
    x.json = o->ok;
    exchange(&x);                                         /* success */
    if (o->tok != T_NONE) {
        x = base_case(o, 401);
        x.tok = T_NONE;
        exchange(&x);                                     /* no token */
        x.tok = T_BAD;
        exchange(&x);                                     /* bad signature */
        x = base_case(o, 403);
        x.tok = o->weak;
        exchange(&x);                                     /* scope missing */
    }
    if (o->ctype) {
        x = base_case(o, 413);
        x.body = big_body;
        exchange(&x);                                     /* over max-body-size */
    }
    x = base_case(o, 415);
    x.extra = "Content-Encoding: gzip\r\n";
    exchange(&x);                                         /* a coded request: any route */
    if (takes_media(o)) {
        x = base_case(o, 415);
        x.ctype = "application/xml";
        x.body = "<x/>";
        exchange(&x);                                     /* a body type it does not take */
    }
    if (!o->rpc)
        return;
    static const struct { int grpc, http, http_v1alpha1; } fails[] = {
        {G_UNAVAILABLE, 503, 503}, {G_DEADLINE, 504, 504}, {G_UNIMPLEMENTED, 501, 501},
        {G_EXHAUSTED, 429, 429}, {G_INTERNAL, 502, 500}};
    bool readyz = strcmp(o->tmpl, "/readyz") == 0;
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        int want = is_v1alpha1(o) ? fails[i].http_v1alpha1 : fails[i].http;
        if (readyz)   /* any answer proves the master serves, except these three */
            want = fails[i].grpc == G_UNAVAILABLE || fails[i].grpc == G_DEADLINE ? 503 : 200;
        x = base_case(o, want);
        x.rpc = o->rpc;
        x.grpc = fails[i].grpc;
        exchange(&x);
    }
    x = base_case(o, 503);
    x.gw = &down;                                         /* nobody listens at the master address */
    exchange(&x);
    if (o->dm_500 && strcmp(o->dm_500, "SKIP") == 0)
        return;
    x = base_case(o, 500);
    x.rpc = o->rpc;
    x.json = o->dm_500 ? o->dm_500 : DM_500;
    if (strcmp(o->tmpl, "/api/v1/tasks/{name}") == 0 && strcmp(o->method, "PATCH") == 0)
        x.json = "{\"op\":\"Pause\",\"result\":false,\"msg\":\"[code=38031:class=dm-master:scope=internal:level=high] etcd failed\",\"workers\":[]}";
    exchange(&x);
}

START_TEST(contract_generic_answers_of_every_route)
{
    failures_reset();
    for (size_t i = 0; i < sizeof(OPS) / sizeof(OPS[0]); i++)
        generic_cases(&OPS[i]);
    ck_assert_msg(n_failures == 0, "%u of %u exchanges break the contract (all on stderr):\n%.3000s",
                  n_failures, n_exchanges, failures);
}
END_TEST

/* ---------- operations: the route-specific answers ---------- */

#define YAML_CT "application/yaml"
#define JSON_CT "application/json"
#define MP_CT "application/merge-patch+json"

static const struct xcase CASES[] = {
    /* createTask */
    {"POST", "/api/v1/tasks", "/api/v1/tasks?worker=" W1 "&pretty=true", T_WRITE, YAML_CT, "name: test\ntask-mode: all\n", "StartTask", LIST_OK, 0, NULL, NULL, 201, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, JSON_CT, "{\"task\":\"name: test\\n\",\"workers\":[\"" W1 "\"]}", "StartTask", LIST_OK, 0, NULL, NULL, 201, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, JSON_CT, "{\"name\":\"test\",\"task-mode\":\"all\"}", "StartTask", LIST_OK, 0, NULL, NULL, 201, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "name: test\n", "StartTask", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "name: test\n", "StartTask", LIST_409, 0, NULL, NULL, 409, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "name: test\n", "StartTask", LIST_422, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "name: test\n", "StartTask", DM_429, 0, NULL, NULL, 429, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "name: test\n", "StartTask", DM_504, 0, NULL, NULL, 504, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "name: [x\n", NULL, NULL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "task-mode: all\n", NULL, NULL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, JSON_CT, "{\"task\":\"name: x\",\"bogus\":1}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, JSON_CT, "{not json", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, YAML_CT, "", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks", "/api/v1/tasks", T_WRITE, "application/xml", "<task/>", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* listTasks */
    {"GET", "/api/v1/tasks", "/api/v1/tasks?pretty=true", T_READ, NULL, NULL, "QueryStatus", QS_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks", "/api/v1/tasks?full=true", T_READ, NULL, NULL, "QueryStatus", QS_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks", "/api/v1/tasks?stage=Running&worker=" W1, T_READ, NULL, NULL, "QueryStatus", QS_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks", "/api/v1/tasks", T_READ, NULL, NULL, "QueryStatus", QS_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks", "/api/v1/tasks", T_READ, NULL, NULL, "QueryStatus", "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"" W2 "\",\"msg\":\"" W2 " relevant worker-client not found\",\"subTaskStatus\":[],\"relayStatus\":null,\"sourceID\":\"\"}]}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks", "/api/v1/tasks?worker=", T_READ, NULL, NULL, NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    /* checkTask */
    {"POST", "/api/v1/tasks/check", "/api/v1/tasks/check", T_WRITE, YAML_CT, "name: test\n", "CheckTask", CHECK_FAIL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/check", "/api/v1/tasks/check", T_WRITE, YAML_CT, "name: [x\n", NULL, NULL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/check", "/api/v1/tasks/check", T_WRITE, "application/xml", "<x/>", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/check", "/api/v1/tasks/check", T_WRITE, YAML_CT, "", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    /* getTask */
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/test?pretty=true&worker=" W1, T_READ, NULL, NULL, "QueryStatus", QS_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_READ, NULL, NULL, "QueryStatus", QS_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/nope", T_READ, NULL, NULL, "QueryStatus", QS_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_READ, NULL, NULL, "QueryStatus", DM_429, 0, NULL, NULL, 429, NULL, NULL, NULL},
    /* a worker down / slow behind the master: the dmctl answer with 503 / 504 (DM 38008 wrapping gRPC Unavailable / DeadlineExceeded) */
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_READ, NULL, NULL, "QueryStatus", "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"" W1 "\",\"msg\":\"[code=38008:class=dm-master:scope=internal:level=high] grpc request error: rpc error: code = Unavailable desc = connection refused\",\"subTaskStatus\":[],\"relayStatus\":null,\"sourceID\":\"\"}]}", 0, NULL, NULL, 503, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_READ, NULL, NULL, "QueryStatus", "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"" W1 "\",\"msg\":\"[code=38008:class=dm-master:scope=internal:level=high] grpc request error: rpc error: code = DeadlineExceeded desc = context deadline exceeded\",\"subTaskStatus\":[],\"relayStatus\":null,\"sourceID\":\"\"}]}", 0, NULL, NULL, 504, NULL, NULL, NULL},
    /* updateTask */
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, YAML_CT, "name: test\n", "UpdateTask", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/other", T_WRITE, YAML_CT, "name: test\n", NULL, NULL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, YAML_CT, "name: test\n", "UpdateTask", LIST_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, YAML_CT, "name: test\n", "UpdateTask", LIST_422, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, YAML_CT, "name: test\n", "UpdateTask", "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"" W1 "\",\"msg\":\"[code=40052:class=dm-worker:scope=internal:level=medium] current stage is not paused\"}]}", 0, NULL, NULL, 409, NULL, NULL, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, YAML_CT, "", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"PUT", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, "application/xml", "<x/>", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* patchTask */
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"stage\":\"Running\"}", "OperateTask", OP_OK("Resume"), 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"filters\":{\"f1\":{\"action\":\"Ignore\"}}}", "GetTaskCfg", CFG_OK, 0, "UpdateTask", LIST_OK, 200, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"filters\":{\"f1\":{\"action\":\"Ignore\"}}}", "GetTaskCfg", CFG_OK, 0, "UpdateTask", LIST_PARTIAL, 207, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"filters\":{\"f1\":{\"action\":\"Ignore\"}}}", "GetTaskCfg", NULL, G_UNIMPLEMENTED, NULL, NULL, 501, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/nope", T_WRITE, MP_CT, "{\"filters\":{}}", "GetTaskCfg", "{\"result\":false,\"msg\":\"" NO_TASK "\",\"cfg\":\"\"}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"filters\":{}}", "GetTaskCfg", "{\"result\":true,\"msg\":\"\",\"cfg\":\"name: [x\"}", 0, NULL, NULL, 502, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"stage\":\"Paused\"}", "OperateTask", OP_409, 0, NULL, NULL, 409, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"stage\":\"Paused\"}", "OperateTask", OP_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/nope", T_WRITE, MP_CT, "{\"stage\":\"Paused\"}", "OperateTask", OP_404("Pause"), 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"task-mode\":\"full\"}", NULL, NULL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "{\"stage\":\"Stopped\"}", NULL, NULL, 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, MP_CT, "[1]", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"PATCH", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, "text/plain", "stage", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* stopTask */
    {"DELETE", "/api/v1/tasks/{name}", "/api/v1/tasks/test?worker=" W1 "&pretty=true", T_WRITE, NULL, NULL, "OperateTask", OP_OK("Stop"), 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"DELETE", "/api/v1/tasks/{name}", "/api/v1/tasks/nope", T_WRITE, NULL, NULL, "OperateTask", OP_404("Stop"), 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"DELETE", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, NULL, NULL, "OperateTask", OP_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"DELETE", "/api/v1/tasks/{name}", "/api/v1/tasks/test", T_WRITE, NULL, NULL, "OperateTask", OP_409, 0, NULL, NULL, 409, NULL, NULL, NULL},
    /* getTaskConfig (GetTaskCfg extension) */
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/test/config?format=json&pretty=true", T_READ, NULL, NULL, "GetTaskCfg", CFG_SECRET, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/test/config", T_READ, NULL, NULL, "GetTaskCfg", CFG_SECRET, 0, NULL, NULL, 200, NULL, NULL, "Accept: application/json\r\n"},
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/test/config", T_READ, NULL, NULL, "GetTaskCfg", CFG_SECRET, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/test/config", T_READ, NULL, NULL, "GetTaskCfg", CFG_OK, 0, NULL, NULL, 304, NULL, NULL, "If-None-Match: *\r\n"},
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/nope/config", T_READ, NULL, NULL, "GetTaskCfg", "{\"result\":false,\"msg\":\"" NO_TASK "\",\"cfg\":\"\"}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/config", "/api/v1/tasks/test/config?format=xml", T_READ, NULL, NULL, NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    /* getTaskErrors */
    {"GET", "/api/v1/tasks/{name}/errors", "/api/v1/tasks/test/errors?pretty=true", T_READ, NULL, NULL, "QueryError", QE_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/errors", "/api/v1/tasks/test/errors", T_READ, NULL, NULL, "QueryError", QE_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/errors", "/api/v1/tasks/nope/errors", T_READ, NULL, NULL, "QueryError", QS_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    /* pauseTask / resumeTask */
    {"POST", "/api/v1/tasks/{name}/pause", "/api/v1/tasks/test/pause", T_WRITE, NULL, NULL, "OperateTask", OP_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/pause", "/api/v1/tasks/nope/pause", T_WRITE, NULL, NULL, "OperateTask", OP_404("Pause"), 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/pause", "/api/v1/tasks/test/pause", T_WRITE, NULL, NULL, "OperateTask", OP_409, 0, NULL, NULL, 409, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/pause", "/api/v1/tasks/test/pause", T_WRITE, NULL, NULL, "OperateTask", DM_429, 0, NULL, NULL, 429, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/pause", "/api/v1/tasks/test/pause", T_WRITE, JSON_CT, "{\"worker\":\"x\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/resume", "/api/v1/tasks/test/resume", T_WRITE, NULL, NULL, "OperateTask", OP_404("Resume"), 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/resume", "/api/v1/tasks/test/resume", T_WRITE, NULL, NULL, "OperateTask", OP_409, 0, NULL, NULL, 409, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/resume", "/api/v1/tasks/test/resume", T_WRITE, NULL, NULL, "OperateTask", OP_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/resume", "/api/v1/tasks/test/resume", T_WRITE, NULL, NULL, "OperateTask", DM_504, 0, NULL, NULL, 504, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/resume", "/api/v1/tasks/test/resume", T_WRITE, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* handleSQLs */
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/test/sql", T_WRITE, JSON_CT, "{\"op\":\"replace\",\"worker\":\"" W1 "\",\"sqlPattern\":\"~(?i)ALTER\",\"sqls\":[\"ALTER TABLE t ADD c INT\"]}", "HandleSQLs", LIST_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/test/sql", T_WRITE, JSON_CT, "{\"op\":\"skip\",\"sharding\":true,\"sqlPattern\":\"x\"}", "HandleSQLs", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/nope/sql", T_WRITE, JSON_CT, "{\"op\":\"skip\",\"worker\":\"" W1 "\",\"binlogPos\":\"f:1\"}", "HandleSQLs", LIST_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/test/sql", T_WRITE, JSON_CT, "{\"op\":\"skip\",\"worker\":\"" W1 "\",\"binlogPos\":\"f:1\"}", "HandleSQLs", "{\"result\":false,\"msg\":\"" W1 " relevant worker-client not found\",\"workers\":[]}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/test/sql", T_WRITE, JSON_CT, "{\"op\":\"skip\",\"worker\":\"w\",\"binlogPos\":\"f:1\",\"sqlPattern\":\"x\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/sql", "/api/v1/tasks/test/sql", T_WRITE, "text/plain", "skip", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* breakDDLLock */
    {"POST", "/api/v1/tasks/{name}/ddl-locks/break", "/api/v1/tasks/test/ddl-locks/break", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\",\"" W2 "\"],\"removeLockID\":\"test-`db`.`t`\"}", "BreakWorkerDDLLock", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/ddl-locks/break", "/api/v1/tasks/test/ddl-locks/break", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\"],\"skip\":true}", "BreakWorkerDDLLock", LIST_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/ddl-locks/break", "/api/v1/tasks/test/ddl-locks/break", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\"],\"exec\":true,\"skip\":true}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/{name}/ddl-locks/break", "/api/v1/tasks/test/ddl-locks/break", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* listDDLLocks */
    {"GET", "/api/v1/ddl-locks", "/api/v1/ddl-locks?worker=" W1 "&pretty=true", T_READ, NULL, NULL, "ShowDDLLocks", "{\"result\":true,\"msg\":\"\",\"locks\":[]}", 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/api/v1/ddl-locks", "/api/v1/ddl-locks?worker=", T_READ, NULL, NULL, NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    /* unlockDDLLock */
    {"POST", "/api/v1/ddl-locks/{id}/unlock", "/api/v1/ddl-locks/test-%60db%60.%60t%60/unlock", T_ADMIN, NULL, NULL, "UnlockDDLLock", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/ddl-locks/{id}/unlock", "/api/v1/ddl-locks/nope/unlock", T_ADMIN, NULL, NULL, "UnlockDDLLock", LIST_LOCK_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/ddl-locks/{id}/unlock", "/api/v1/ddl-locks/x/unlock", T_ADMIN, JSON_CT, "{\"forceRemove\":\"yes\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/ddl-locks/{id}/unlock", "/api/v1/ddl-locks/x/unlock", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* refreshWorkerTasks */
    {"POST", "/api/v1/workers/refresh", "/api/v1/workers/refresh?pretty=true", T_ADMIN, NULL, NULL, "RefreshWorkerTasks", RW_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    /* updateRelayConfig */
    {"PUT", "/api/v1/workers/{worker}/relay-config", "/api/v1/workers/127.0.0.1%3A8262/relay-config", T_ADMIN, JSON_CT, "{\"config\":\"worker-addr = \\\":8262\\\"\\n\"}", "UpdateWorkerRelayConfig", CWR_OK, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"PUT", "/api/v1/workers/{worker}/relay-config", "/api/v1/workers/127.0.0.1%3A8262/relay-config", T_ADMIN, "text/plain", "x = 1\n", "UpdateWorkerRelayConfig", CWR_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"PUT", "/api/v1/workers/{worker}/relay-config", "/api/v1/workers/127.0.0.1%3A8262/relay-config", T_ADMIN, JSON_CT, "{\"config\":\"\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"PUT", "/api/v1/workers/{worker}/relay-config", "/api/v1/workers/127.0.0.1%3A8262/relay-config", T_ADMIN, "application/xml", "<x/>", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* migrateRelay */
    {"POST", "/api/v1/workers/{worker}/relay/migrate", "/api/v1/workers/127.0.0.1%3A8262/relay/migrate", T_ADMIN, JSON_CT, "{\"BinlogName\":\"mysql-bin.000002\",\"BinlogPos\":4}", "MigrateWorkerRelay", CWR_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/workers/{worker}/relay/migrate", "/api/v1/workers/127.0.0.1%3A8262/relay/migrate", T_ADMIN, JSON_CT, "{\"binlogName\":\"mysql-bin.000002\",\"binlogPos\":-1}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/workers/{worker}/relay/migrate", "/api/v1/workers/127.0.0.1%3A8262/relay/migrate", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* relay pause / resume / switch-master / purge */
    {"POST", "/api/v1/relay/pause", "/api/v1/relay/pause", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\",\"" W2 "\"]}", "OperateWorkerRelayTask", OR_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/pause", "/api/v1/relay/pause", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\"]}", "OperateWorkerRelayTask", "{\"op\":\"InvalidRelayOp\",\"result\":false,\"msg\":\"" W1 " relevant worker-client not found\",\"workers\":[]}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/pause", "/api/v1/relay/pause", T_ADMIN, JSON_CT, "{\"workers\":[]}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/pause", "/api/v1/relay/pause", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/resume", "/api/v1/relay/resume", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\",\"" W2 "\"]}", "OperateWorkerRelayTask", OR_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/resume", "/api/v1/relay/resume", T_ADMIN, JSON_CT, "{}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/resume", "/api/v1/relay/resume", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/switch-master", "/api/v1/relay/switch-master", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\",\"" W2 "\"]}", "SwitchWorkerRelayMaster", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/switch-master", "/api/v1/relay/switch-master", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\"]}", "SwitchWorkerRelayMaster", "{\"result\":false,\"msg\":\"" W1 " relevant worker-client not found\",\"workers\":[]}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/switch-master", "/api/v1/relay/switch-master", T_ADMIN, JSON_CT, "{\"workers\":\"\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/switch-master", "/api/v1/relay/switch-master", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/purge", "/api/v1/relay/purge", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\",\"" W2 "\"],\"time\":1700000000,\"subDir\":\"0-1.000001\"}", "PurgeWorkerRelay", LIST_PARTIAL, 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/purge", "/api/v1/relay/purge", T_ADMIN, JSON_CT, "{\"workers\":[\"" W1 "\"],\"filename\":\"mysql-bin.000002\"}", "PurgeWorkerRelay", "{\"result\":false,\"msg\":\"" W1 " relevant worker-client not found\",\"workers\":[]}", 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/purge", "/api/v1/relay/purge", T_ADMIN, JSON_CT, "{\"workers\":[\"a\",\"b\"],\"filename\":\"mysql-bin.000002\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/relay/purge", "/api/v1/relay/purge", T_ADMIN, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* updateMasterConfig */
    {"PUT", "/api/v1/master/config", "/api/v1/master/config", T_ADMIN, "application/toml", "master-addr = \":8261\"\n", "UpdateMasterConfig", "{\"result\":true,\"msg\":\"\",\"workers\":[" QS_WORKER1 ",{\"result\":false,\"worker\":\"" W2 "\",\"msg\":\"[code=10001:class=database:scope=downstream:level=high] database driver error\",\"subTaskStatus\":[],\"relayStatus\":null,\"sourceID\":\"\"}]}", 0, NULL, NULL, 207, NULL, NULL, NULL},
    {"PUT", "/api/v1/master/config", "/api/v1/master/config", T_ADMIN, "text/plain", "master-addr = \":8261\"\n", "UpdateMasterConfig", "{\"result\":false,\"msg\":\"[code=20005:class=config:scope=internal:level=medium] parse master config\",\"workers\":[]}", 0, NULL, NULL, 422, NULL, NULL, NULL},
    {"PUT", "/api/v1/master/config", "/api/v1/master/config", T_ADMIN, JSON_CT, "{}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"PUT", "/api/v1/master/config", "/api/v1/master/config", T_ADMIN, "application/xml", "<x/>", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* encryptPassword */
    {"POST", "/api/v1/passwords/encrypt", "/api/v1/passwords/encrypt", T_WRITE, JSON_CT, "{}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"POST", "/api/v1/passwords/encrypt", "/api/v1/passwords/encrypt", T_WRITE, "text/plain", "x", NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, NULL},
    /* v1alpha1: grpc-gateway JSON, 200 whenever the master answered */
    {"POST", "/apis/v1alpha1/tasks", "/apis/v1alpha1/tasks", T_WRITE, JSON_CT, "{\"task\":\"name: test\\n\"}", "StartTask", LIST_PARTIAL, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"POST", "/apis/v1alpha1/tasks", "/apis/v1alpha1/tasks", T_WRITE, JSON_CT, "{\"task\":\"name: test\\n\"}", "StartTask", LIST_404, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"POST", "/apis/v1alpha1/tasks", "/apis/v1alpha1/tasks", T_WRITE, JSON_CT, "{\"task\":1}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"PUT", "/apis/v1alpha1/tasks/{name}", "/apis/v1alpha1/tasks/test", T_WRITE, JSON_CT, "{\"op\":\"Stop\"}", "OperateTask", OP_404("Stop"), 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"PUT", "/apis/v1alpha1/tasks/{name}", "/apis/v1alpha1/tasks/test", T_WRITE, JSON_CT, "{\"op\":\"Bogus\"}", NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"GET", "/apis/v1alpha1/status/{name}", "/apis/v1alpha1/status/test", T_READ, NULL, NULL, "QueryStatus", QS_404, 0, NULL, NULL, 200, NULL, NULL, NULL},
    {"GET", "/apis/v1alpha1/status", "/apis/v1alpha1/status?workers=" W1 "&workers=" W2, T_READ, NULL, NULL, "QueryStatus", QS_PARTIAL, 0, NULL, NULL, 200, NULL, NULL, NULL},
    /* streamTaskStatus */
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream?interval=500ms", T_READ, NULL, NULL, "QueryStatus", QS_OK, 0, NULL, NULL, 200, NULL, "}\n\n", NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/nope/status/stream", T_READ, NULL, NULL, "QueryStatus", QS_404, 0, NULL, NULL, 404, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream?interval=10ms", T_READ, NULL, NULL, NULL, NULL, 0, NULL, NULL, 400, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_NONE, NULL, NULL, NULL, NULL, 0, NULL, NULL, 401, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_NOSCOPE, NULL, NULL, NULL, NULL, 0, NULL, NULL, 403, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, "QueryStatus", NULL, G_UNAVAILABLE, NULL, NULL, 503, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, "QueryStatus", NULL, G_DEADLINE, NULL, NULL, 504, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, "QueryStatus", NULL, G_UNIMPLEMENTED, NULL, NULL, 501, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, "QueryStatus", DM_429, 0, NULL, NULL, 429, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, "QueryStatus", DM_500, 0, NULL, NULL, 500, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, NULL, NULL, 0, NULL, NULL, 503, &down, NULL, NULL},
    {"GET", "/api/v1/tasks/{name}/status/stream", "/api/v1/tasks/test/status/stream", T_READ, NULL, NULL, NULL, NULL, 0, NULL, NULL, 415, NULL, NULL, "Content-Encoding: br\r\n"},
    /* readyz without a master */
    {"GET", "/readyz", "/readyz", T_NONE, NULL, NULL, NULL, NULL, 0, NULL, NULL, 503, &down, NULL, NULL},
};

START_TEST(contract_route_specific_answers)
{
    failures_reset();
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++)
        exchange(&CASES[i]);
    ck_assert_msg(n_failures == 0, "%u of %u exchanges break the contract (all on stderr):\n%.3000s",
                  n_failures, n_exchanges, failures);
}
END_TEST

/* 405 (known path, other method) and 404 (no route) belong to no operation: their bodies
 * are checked against the shared Problem response, and 405 carries Allow. */
START_TEST(contract_answers_outside_operations)
{
    static const struct { const char *method, *target; int want; } odd[] = {
        {"DELETE", "/api/v1/tasks", 405}, {"PATCH", "/livez", 405},
        {"GET", "/api/v1/relay/purge", 405}, {"POST", "/api/v1/ddl-locks", 405},
        {"GET", "/api/v1/nothing", 404}, {"GET", "/api/v1/tasks/a%2Fb", 404}};
    failures_reset();
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        struct hc_response r;
        char hdrs[2300], ctype[128] = "", allow[128] = "", err[1024] = "";
        snprintf(hdrs, sizeof(hdrs), "Authorization: Bearer %s\r\n", tok_admin);
        struct hc_request rq = {.port = live.port, .method = odd[i].method,
                                .target = odd[i].target, .headers = hdrs};
        ck_assert_int_eq(hc_request(&rq, &r), 0);
        n_exchanges++;
        hc_header(&r, "Content-Type", ctype, sizeof(ctype));
        ck_assert_msg(r.status == odd[i].want, "%s %s: %d", odd[i].method, odd[i].target, r.status);
        if (r.status == 405)
            ck_assert_msg(hc_header(&r, "Allow", allow, sizeof(allow)) == 0 && *allow,
                          "405 without Allow");
        if (oas_check_response_ref(doc, "#/components/responses/Problem", ctype, r.body,
                                   r.body_len, err, sizeof(err)) != DM_OK)
            record_failure("%s %s: %s", odd[i].method, odd[i].target, err);
        hc_response_free(&r);
    }
    ck_assert_msg(n_failures == 0, "%.3000s", failures);
}
END_TEST

/* ---------- stream tickets: what an EventSource uses instead of Authorization ---------- */

/* Mint a ticket with the read token into out (65 bytes). */
static void mint_ticket(char out[65])
{
    struct hc_response r;
    char hdrs[2304];
    snprintf(hdrs, sizeof(hdrs), "Authorization: Bearer %s\r\n", tok_read);
    struct hc_request rq = {.port = live.port, .method = "POST", .target = "/api/v1/stream-tickets",
                            .headers = hdrs};
    ck_assert_int_eq(hc_request(&rq, &r), 0);
    ck_assert_int_eq(r.status, 201);
    const char *t = strstr(r.body, "\"ticket\":\"");
    ck_assert_ptr_nonnull(t);
    snprintf(out, 65, "%s", t + 10);
    ck_assert_uint_eq(strlen(out), 64);
    hc_response_free(&r);
}

/* GET the stream with ?ticket= (no Authorization), reading until `until`. */
static int stream_with_ticket(const char *ticket, const char *extra, const char *until,
                              struct hc_response *r)
{
    char target[256];
    snprintf(target, sizeof(target), "/api/v1/tasks/test/status/stream?interval=500ms&ticket=%s", ticket);
    sm_reset(sm);
    script("QueryStatus", QS_OK, 0);
    struct hc_request rq = {.port = live.port, .method = "GET", .target = target,
                            .headers = extra ? extra : "", .until = until};
    ck_assert_int_eq(hc_request(&rq, r), 0);
    return r->status;
}

START_TEST(contract_stream_ticket_opens_one_stream)
{
    char ticket[65], first_id[32] = "", hdr[96];
    struct hc_response r;
    mint_ticket(ticket);
    ck_assert_int_eq(stream_with_ticket(ticket, NULL, "}\n\n", &r), 200);
    const char *id = strstr(r.body, "id: s");
    ck_assert_msg(id && strstr(r.body, "event: status\ndata: {"), "%s", r.body);
    snprintf(first_id, sizeof(first_id), "%.17s", id + 4);
    hc_response_free(&r);
    /* single use */
    ck_assert_int_eq(stream_with_ticket(ticket, NULL, NULL, &r), 401);
    hc_response_free(&r);
    ck_assert_int_eq(stream_with_ticket("00", NULL, NULL, &r), 401);
    hc_response_free(&r);
    /* Last-Event-ID naming the current status: not sent again, only heartbeats */
    mint_ticket(ticket);
    snprintf(hdr, sizeof(hdr), "Last-Event-ID: %s\r\n", first_id);
    ck_assert_int_eq(stream_with_ticket(ticket, hdr, ": heartbeat", &r), 200);
    ck_assert_msg(strstr(r.body, "retry: ") && !strstr(r.body, "event: status"), "%s", r.body);
    hc_response_free(&r);
    /* an older id: the status is sent */
    mint_ticket(ticket);
    ck_assert_int_eq(stream_with_ticket(ticket, "Last-Event-ID: s0000000000000000\r\n", "}\n\n", &r), 200);
    ck_assert_msg(strstr(r.body, first_id), "%s", r.body);
    hc_response_free(&r);
}
END_TEST

/* A metric's value from GET /metrics (-1 when absent). */
static long metric_value(const char *name)
{
    struct hc_response r;
    struct hc_request rq = {.port = live.port, .method = "GET", .target = "/metrics"};
    long v = -1;
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    if (hc_request(&rq, &r) == 0 && r.status == 200 && r.body) {
        const char *p = strstr(r.body, key);
        if (p)
            v = strtol(p + strlen(key), NULL, 10);
    }
    hc_response_free(&r);
    return v;
}

/* Until the status streams of earlier tests are gone and their polls have stopped (the
 * hub notices a closed client at its next heartbeat, 1 s here): a late poll would be the
 * master's last QueryStatus request. */
static void wait_streams_idle(void)
{
    long polls = -2;
    for (int i = 0; i < 100; i++) {
        long w = metric_value("dmgw_sse_watchers"), p = metric_value("dmgw_sse_polls_total");
        if (w == 0 && p == polls)
            return;
        polls = w == 0 ? p : -2;
        usleep(300 * 1000);
    }
    ck_abort_msg("status streams still open after 30 s");
}

/* GET /apis/v1alpha1/status/ (DM v1.0.7's grpc-gateway: {name} empty) asks the master
 * for every task: QueryStatus with an empty name, the workers from the query. */
START_TEST(contract_v1alpha1_status_of_all_tasks)
{
    wait_streams_idle();
    static const char *targets[] = {"/apis/v1alpha1/status/", "/apis/v1alpha1/status?workers=" W2};
    for (size_t i = 0; i < 2; i++) {
        struct hc_response r;
        char hdrs[2300];
        snprintf(hdrs, sizeof(hdrs), "Authorization: Bearer %s\r\n", tok_read);
        sm_reset(sm);
        script("QueryStatus", QS_OK, 0);
        struct hc_request rq = {.port = live.port, .method = "GET", .target = targets[i],
                                .headers = hdrs};
        ck_assert_int_eq(hc_request(&rq, &r), 0);
        ck_assert_msg(r.status == 200 && strstr(r.body, "\"sourceID\":\"mysql-replica-02\""),
                      "%s: %d %s", targets[i], r.status, r.body);
        char *req = sm_last_request(sm, "QueryStatus");
        ck_assert_ptr_nonnull(req);
        ck_assert_msg(strstr(req, "\"name\":\"\"") || !strstr(req, "\"name\""), "%s", req);
        ck_assert_msg(i == 0 ? !strstr(req, W2) : strstr(req, "\"workers\":[\"" W2 "\"]") != NULL,
                      "%s", req);
        free(req);
        hc_response_free(&r);
    }
}
END_TEST

START_TEST(contract_covers_every_route)
{
    unsigned ops = 0;
    for (size_t i = 0; i < router_table_len; i++) {
        ck_assert_msg(i < sizeof(covered) / sizeof(covered[0]) && covered[i] > 0,
                      "%s %s has no checked exchange: add its cases to OPS/CASES",
                      router_table[i].method, router_table[i].path);
        ops++;
    }
    fprintf(stderr, "contract: %u exchanges checked across %u operations\n", n_exchanges, ops);
}
END_TEST

/* ---------- the checker itself can fail ---------- */

static int check_json(const char *method, const char *tmpl, int status, const char *ctype,
                      const char *body, char *err, size_t cap)
{
    return oas_check_exchange(doc, method, tmpl, status, ctype, body, strlen(body), err, cap);
}

START_TEST(oas_check_rejects_what_the_document_does_not_allow)
{
    char err[1024] = "";
    const char *ok = "{\"result\":true,\"msg\":\"\",\"workers\":[" CWR_OK "]}";
    ck_assert_int_eq(check_json("POST", "/api/v1/tasks", 201, "application/json", ok, err, sizeof(err)), DM_OK);
    /* wrong type, with the pointer of the failing node */
    const char *bad_type = "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":\"yes\",\"worker\":\"w\",\"msg\":\"\"}]}";
    ck_assert_int_ne(check_json("POST", "/api/v1/tasks", 201, "application/json", bad_type, err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "/workers/0/result") && strstr(err, "expected boolean"), "%s", err);
    /* integer is not number: status 401.5 in a problem */
    const char *real_status = "{\"type\":\"t\",\"title\":\"x\",\"status\":401.5,\"detail\":\"d\",\"instance\":\"/\",\"result\":false,\"msg\":\"d\",\"requestId\":\"r\"}";
    ck_assert_int_ne(check_json("GET", "/api/v1/tasks", 401, "application/problem+json", real_status, err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "/status") && strstr(err, "expected integer"), "%s", err);
    /* a missing required key */
    const char *no_rid = "{\"type\":\"t\",\"title\":\"x\",\"status\":401,\"detail\":\"d\",\"instance\":\"/\",\"result\":false,\"msg\":\"d\"}";
    ck_assert_int_ne(check_json("GET", "/api/v1/tasks", 401, "application/problem+json", no_rid, err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "\"requestId\" is missing"), "%s", err);
    /* enum: result must be false in a problem */
    const char *true_problem = "{\"type\":\"t\",\"title\":\"x\",\"status\":401,\"result\":true,\"msg\":\"d\",\"requestId\":\"r\"}";
    ck_assert_int_ne(check_json("GET", "/api/v1/tasks", 401, "application/problem+json", true_problem, err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "/result") && strstr(err, "enum"), "%s", err);
    /* an undocumented status code */
    ck_assert_int_ne(check_json("GET", "/livez", 418, "application/json", "{\"status\":\"ok\"}", err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "418 is not documented"), "%s", err);
    /* an undocumented content type */
    ck_assert_int_ne(check_json("GET", "/livez", 200, "text/plain", "ok", err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "Content-Type text/plain is not documented"), "%s", err);
    /* not JSON, duplicate keys */
    ck_assert_int_ne(check_json("GET", "/livez", 200, "application/json", "{\"status\":", err, sizeof(err)), DM_OK);
    ck_assert_int_ne(check_json("GET", "/livez", 200, "application/json", "{\"status\":\"a\",\"status\":\"b\"}", err, sizeof(err)), DM_OK);
    /* unknown path / method */
    ck_assert_int_ne(check_json("GET", "/nowhere", 200, "application/json", "{}", err, sizeof(err)), DM_OK);
    ck_assert_int_ne(check_json("TRACE", "/livez", 200, "application/json", "{}", err, sizeof(err)), DM_OK);
    /* strict mode: an undocumented property; nullable: null only where allowed */
    ck_assert_int_ne(check_json("GET", "/livez", 200, "application/json", "{\"status\":\"ok\",\"extra\":1}", err, sizeof(err)), DM_OK);
    ck_assert_msg(strstr(err, "\"extra\" is not documented"), "%s", err);
    ck_assert_int_ne(check_json("GET", "/livez", 200, "application/json", "{\"status\":null}", err, sizeof(err)), DM_OK);
}
END_TEST

START_TEST(oas_check_schema_keywords)
{
    char err[1024] = "";
    static const char *yaml =
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    Loop: {$ref: '#/components/schemas/Loop'}\n"
        "    Node: {type: object, properties: {next: {$ref: '#/components/schemas/Node'}}}\n"
        "    N: {type: integer, minimum: 1, maximum: 10}\n"
        "    A: {type: array, items: {type: string}, minItems: 1, maxItems: 2}\n"
        "    O: {oneOf: [{type: string}, {type: integer}]}\n"
        "    Amb: {oneOf: [{type: number}, {type: integer}]}\n"
        "    Any: {anyOf: [{type: string}, {type: integer}]}\n"
        "    All: {allOf: [{type: object, required: [a]}, {type: object, required: [b]}]}\n"
        "    Closed: {type: object, properties: {a: {type: string}}, additionalProperties: false}\n"
        "    Map: {type: object, additionalProperties: {type: integer}}\n"
        "    Nul: {type: string, nullable: true}\n";
    struct oas_doc *d = oas_doc_new(yaml, strlen(yaml), err, sizeof(err));
    ck_assert_msg(d != NULL, "%s", err);
#define V(ref, json, want)                                                                  \
    do {                                                                                    \
        json_t *v_ = json_loads(json, JSON_DECODE_ANY, NULL);                               \
        ck_assert_ptr_nonnull(v_);                                                          \
        int rc_ = oas_validate(d, oas_resolve(d, "#/components/schemas/" ref), v_, err,     \
                               sizeof(err));                                                \
        ck_assert_msg((rc_ == DM_OK) == (want), "%s %s: %s", ref, json, err);               \
        json_decref(v_);                                                                    \
    } while (0)
    V("N", "5", true);
    V("N", "5.0", true);
    V("N", "5.5", false);
    V("N", "0", false);
    V("N", "11", false);
    V("A", "[\"a\"]", true);
    V("A", "[]", false);
    V("A", "[\"a\",\"b\",\"c\"]", false);
    V("A", "[\"a\",1]", false);
    ck_assert_msg(strstr(err, "at /1:"), "%s", err);
    V("O", "\"s\"", true);
    V("O", "true", false);
    V("Amb", "3", false);           /* matches both alternatives */
    V("Amb", "3.5", true);
    V("Any", "3", true);
    V("Any", "[]", false);
    V("All", "{\"a\":1,\"b\":2}", true);
    V("All", "{\"a\":1}", false);
    V("Closed", "{\"a\":\"x\"}", true);
    V("Closed", "{\"a\":\"x\",\"b\":1}", false);
    V("Map", "{\"x\":1,\"y\":2}", true);
    V("Map", "{\"x\":1,\"y\":\"2\"}", false);
    ck_assert_msg(strstr(err, "at /y:"), "%s", err);
    V("Nul", "null", true);
    V("N", "null", false);
    V("Loop", "1", false);          /* a $ref cycle ends at the depth bound */
    ck_assert_msg(strstr(err, "deeper than"), "%s", err);
    V("Node", "{\"next\":{\"next\":{\"next\":{}}}}", true);
#undef V
    /* deep values end at the depth bound too */
    char deep[10 * (OAS_MAX_DEPTH + 2) + 16] = "";   /* 9 bytes a level */
    for (int i = 0; i < OAS_MAX_DEPTH + 2; i++)
        strcat(deep, "{\"next\":");
    strcat(deep, "{}");
    for (int i = 0; i < OAS_MAX_DEPTH + 2; i++)
        strcat(deep, "}");
    json_t *v = json_loads(deep, 0, NULL);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_ne(oas_validate(d, oas_resolve(d, "#/components/schemas/Node"), v, err, sizeof(err)), DM_OK);
    json_decref(v);
    oas_doc_free(d);
    ck_assert_ptr_null(oas_doc_new("openapi: 2.0\npaths: {}\n", 22, err, sizeof(err)));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("openapi_contract");
    TCase *tc = tcase_create("gateway");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, oas_check_rejects_what_the_document_does_not_allow);
    tcase_add_test(tc, oas_check_schema_keywords);
    tcase_add_test(tc, contract_generic_answers_of_every_route);
    tcase_add_test(tc, contract_route_specific_answers);
    tcase_add_test(tc, contract_answers_outside_operations);
    tcase_add_test(tc, contract_stream_ticket_opens_one_stream);
    tcase_add_test(tc, contract_v1alpha1_status_of_all_tasks);
    tcase_add_test(tc, contract_covers_every_route);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite(), true);
}

/* worker_e2e.h - helpers shared by the dm-worker end-to-end tests (included by one test
 * program each; not a library): MariaDB sandboxes, SQL helpers, the dm-worker process,
 * pb.Worker calls. State is file-static per test program. */
#ifndef DM_TEST_WORKER_E2E_H
#define DM_TEST_WORKER_E2E_H

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mysql.h>

#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "rpc.h"
#include "testutil.h"

#define U __attribute__((unused))

static char *g_dir;
static int g_src, g_dst, g_wport;
static pid_t g_pid;
static struct rpc_channel *g_ch;
static char g_file[128];
static const char *g_from_user = "root", *g_from_password = "";   /* dm-worker's [from] */
static const char *g_worker_extra = "";   /* top-level dm-worker.toml lines (e.g. enable-gtid) */
static unsigned long long g_pos;

/* ---- sandboxes and SQL ---- */

U static int sandbox(const char *verb, const char *name, int port, int sid)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash %s/scripts/mariadb-sandbox.sh %s %s/%s %d %d >>%s/sandbox.log 2>&1",
             tu_source_dir(), verb, g_dir, name, port, sid, g_dir);
    return system(cmd);
}

U static MYSQL *db(int port)
{
    MYSQL *m = mysql_init(NULL);
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)port, NULL, 0),
                  "connect: %s", mysql_error(m));
    return m;
}

static void sql(int port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
U static void sql(int port, const char *fmt, ...)
{
    char q[8192];
    va_list ap;
    MYSQL *m = db(port);
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    mysql_free_result(mysql_store_result(m));
    mysql_close(m);
}

/* First column of the first row ("" when no row, "ERR" on error). */
U static void value(int port, const char *q, char *out, size_t cap)
{
    MYSQL *m = db(port);
    MYSQL_RES *r;
    MYSQL_ROW row;
    snprintf(out, cap, "ERR");
    if (mysql_query(m, q) == 0 && (r = mysql_store_result(m))) {
        row = mysql_fetch_row(r);
        snprintf(out, cap, "%s", row && row[0] ? row[0] : "");
        mysql_free_result(r);
    }
    mysql_close(m);
}

/* Wait until `q` gives the same answer on source and target. */
U static bool converge(const char *q_src, const char *q_dst, int ms)
{
    char a[512], b[512];
    long long end = tu_now_ms() + ms;
    do {
        value(g_src, q_src, a, sizeof a);
        value(g_dst, q_dst ? q_dst : q_src, b, sizeof b);
        if (strcmp(a, b) == 0 && strcmp(a, "ERR") != 0)
            return true;
        usleep(100000);
    } while (tu_now_ms() < end);
    fprintf(stderr, "no convergence: src=%s dst=%s for %s\n", a, b, q_src);
    return false;
}

U static bool wait_value(int port, const char *q, const char *want, int ms)
{
    char a[512];
    long long end = tu_now_ms() + ms;
    do {
        value(port, q, a, sizeof a);
        if (strcmp(a, want) == 0)
            return true;
        usleep(100000);
    } while (tu_now_ms() < end);
    fprintf(stderr, "wait_value: got %s want %s for %s\n", a, want, q);
    return false;
}

U static void master_pos(void)
{
    MYSQL *m = db(g_src);
    MYSQL_RES *r;
    MYSQL_ROW row;
    ck_assert_int_eq(mysql_query(m, "SHOW MASTER STATUS"), 0);
    r = mysql_store_result(m);
    row = mysql_fetch_row(r);
    snprintf(g_file, sizeof g_file, "%s", row[0]);
    g_pos = strtoull(row[1], NULL, 10);
    mysql_free_result(r);
    mysql_close(m);
}

/* ---- the worker process ---- */

U static void spawn_worker(void)
{
    char cfg[512], text[4096], addr[64];
    snprintf(cfg, sizeof cfg, "%s/dm-worker.toml", g_dir);
    snprintf(text, sizeof text,
             "worker-addr = \"127.0.0.1:%d\"\nsource-id = \"mysql-replica-01\"\nserver-id = 4242\n"
             "meta-dir = \"%s/meta\"\nlog-file = \"%s/worker.log\"\n%s[from]\nhost = \"127.0.0.1\"\n"
             "port = %d\nuser = \"%s\"\npassword = \"%s\"\n[checker]\nbackoff-max = \"2s\"\n",
             g_wport, g_dir, g_dir, g_worker_extra, g_src, g_from_user, g_from_password);
    ck_assert_int_eq(tu_write_file(cfg, text, strlen(text)), 0);
    g_pid = fork();
    if (g_pid == 0) {
        char bin[512];
        snprintf(bin, sizeof bin, "%s/bin/dm-worker", tu_build_dir());
        execl(bin, "dm-worker", "-config", cfg, (char *)NULL);
        _exit(127);
    }
    snprintf(addr, sizeof addr, "127.0.0.1:%d", g_wport);
    if (!g_ch)
        g_ch = rpc_channel_new(addr);
}

U static void stop_worker(int sig)
{
    int st;
    if (g_pid <= 0)
        return;
    kill(g_pid, sig);
    waitpid(g_pid, &st, 0);
    g_pid = 0;
}

/* ---- RPC helpers ---- */

U static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
                char *details, size_t cap)
{
    const struct rpc_method *m = rpc_method_find(&pb__worker__descriptor, method);
    int status = -1, i;
    for (i = 0; i < 50; i++) {
        details[0] = '\0';
        ck_assert_int_eq(rpc_call_sync(g_ch, m, req, 10000, NULL, 0, &status, resp, details, cap),
                         DM_OK);
        if (status != RPC_UNAVAILABLE)
            break;
        usleep(200000);   /* worker still starting */
    }
    return status;
}

U static Pb__QueryStatusResponse *query_status(const char *name)
{
    Pb__QueryStatusRequest req = PB__QUERY_STATUS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char det[512];
    req.name = (char *)name;
    ck_assert_int_eq(call("QueryStatus", &req.base, &resp, det, sizeof det), RPC_OK);
    return (Pb__QueryStatusResponse *)resp;
}

/* Log entry of an operation; polls like dm-master. Returns message ("" on success). */
U static void op_result(const char *name, int64_t id, char *msg, size_t cap, bool *ok)
{
    Pb__QueryTaskOperationRequest req = PB__QUERY_TASK_OPERATION_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__QueryTaskOperationResponse *r;
    char det[512];
    req.name = (char *)name;
    req.logid = id;
    ck_assert_int_eq(call("QueryTaskOperation", &req.base, &resp, det, sizeof det), RPC_OK);
    r = (Pb__QueryTaskOperationResponse *)resp;
    ck_assert_ptr_nonnull(r->log);
    ck_assert_int_eq(r->log->id, id);
    *ok = r->log->success;
    snprintf(msg, cap, "%s", r->log->message);
    protobuf_c_message_free_unpacked(resp, NULL);
}

U static bool start_task(const char *toml, char *msg, size_t cap)
{
    Pb__StartSubTaskRequest req = PB__START_SUB_TASK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    bool ok = false;
    int st;
    req.task = (char *)toml;
    st = call("StartSubTask", &req.base, &resp, msg, cap);
    if (st != RPC_OK)
        return false;
    op_result("", ((Pb__OperateSubTaskResponse *)resp)->logid, msg, cap, &ok);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

U static bool operate(const char *name, Pb__TaskOp op, char *msg, size_t cap)
{
    Pb__OperateSubTaskRequest req = PB__OPERATE_SUB_TASK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__OperateSubTaskResponse *r;
    char det[512];
    bool ok = false;
    req.name = (char *)name;
    req.op = op;
    ck_assert_int_eq(call("OperateSubTask", &req.base, &resp, det, sizeof det), RPC_OK);
    r = (Pb__OperateSubTaskResponse *)resp;
    ck_assert(r->meta && r->meta->result);
    ck_assert_int_eq(r->op, op);
    op_result(name, r->logid, msg, cap, &ok);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

U static bool update_task(const char *toml, char *msg, size_t cap)
{
    Pb__UpdateSubTaskRequest req = PB__UPDATE_SUB_TASK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    bool ok = false;
    req.task = (char *)toml;
    ck_assert_int_eq(call("UpdateSubTask", &req.base, &resp, msg, cap), RPC_OK);
    op_result("", ((Pb__OperateSubTaskResponse *)resp)->logid, msg, cap, &ok);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

/* Fixture start shared by the e2e worker tests: a temp dir, a source and a target MariaDB
 * sandbox on two distinct free ports, a free port for dm-worker, gRPC initialised. */
U static void e2e_env_up(void)
{
    g_dir = tu_mkdtemp();
    g_src = tu_free_port();
    g_dst = tu_free_port();
    while (g_dst == g_src)
        g_dst = tu_free_port();
    ck_assert_int_eq(sandbox("start", "src", g_src, 1), 0);
    ck_assert_int_eq(sandbox("start", "dst", g_dst, 2), 0);
    g_wport = tu_free_port();
    rpc_global_init();
}

/* Fixture end: stop dm-worker and both sandboxes, drop the temp dir (kept with KEEP_TMP). */
U static void e2e_env_down(void)
{
    stop_worker(SIGTERM);
    if (g_ch)
        rpc_channel_free(g_ch);
    g_ch = NULL;
    sandbox("stop", "src", 0, 0);
    sandbox("stop", "dst", 0, 0);
    if (!getenv("KEEP_TMP"))
        tu_rmrf(g_dir);
    free(g_dir);        /* a second fixture in the same program sets a new one */
    g_dir = NULL;
}

#endif /* DM_TEST_WORKER_E2E_H */

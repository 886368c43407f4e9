/* test_ddl.c - the master's sharding DDL lock keeper (dm-v1-wire.md §9.4/§9.5) and
 * UpdateMasterConfig (§8), in-process against scripted workers that play the worker side
 * of FetchDDLInfo (tests/support/scripted_worker.c): lock creation and ID, owner, synced /
 * unsynced, auto-resolve order (HandleSQLs → exec=true owner → exec=false others),
 * mismatching DDLs (38016), unlock-ddl-lock paths and errors (38019–38025), break-ddl-lock
 * forwarding, stream reconnect after a worker restart, config reload with 38026, a missed
 * skip sent at the worker's next report, an owner that passed a lock whose ExecuteDDL
 * failed. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "master.h"
#include "rpc.h"
#include "scripted_worker.h"
#include "testutil.h"

static const char *FROM = "host = \"127.0.0.1\"\nport = 3306\nuser = \"root\"\npassword = \"\"\n";
static const char *TASK =
    "name: test\ntask-mode: incremental\nignore-checking-items: [all]\n"
    "target-database: {host: 127.0.0.1, port: 4000, user: root, password: ''}\n"
    "mysql-instances:\n"
    "  - source-id: s1\n    meta: {binlog-name: mysql-bin.000001, binlog-pos: 4}\n"
    "  - source-id: s2\n    meta: {binlog-name: mysql-bin.000001, binlog-pos: 4}\n";
static const char *LOCK = "test-`shard_db`.`shard_table`";
static const char *DDL1[] = {"ALTER TABLE `shard_db`.`shard_table` ADD COLUMN `c` INT"};
static const char *DDL2[] = {"ALTER TABLE `shard_db`.`shard_table` DROP COLUMN `d`"};

/* three workers: s1, s2 in the task, s3 deployed but not in the task */
struct env {
    struct scripted_worker *w[3];
    int p[3], mport;
    char a[3][64];
    struct master *m;
    struct rpc_channel *ch;
    char *dir, cfgpath[512];
};
static struct env E;

static void deploy_toml(char *buf, size_t cap, const int *which, int n)
{
    int off = snprintf(buf, cap,
                       "master-addr = \"127.0.0.1:0\"\nrpc-timeout = \"3s\"\ndata-dir = \"%s/data\"\n"
                       "op-poll-interval = \"50ms\"\nrefresh-delay = \"10s\"\nddl-retry-interval = \"200ms\"\n",
                       E.dir);
    for (int i = 0; i < n; i++)
        off += snprintf(buf + off, cap - (size_t)off, "[[deploy]]\nsource-id = \"s%d\"\ndm-worker = \"%s\"\n",
                        which[i] + 1, E.a[which[i]]);
}

/* The answer, or NULL with the gRPC status in *status (Unavailable: see workers_answer). */
static void *try_call(const char *method, const ProtobufCMessage *req, int *status, char *details,
                      size_t cap)
{
    ProtobufCMessage *resp = NULL;
    const struct rpc_method *m = rpc_method_find(&pb__master__descriptor, method);
    ck_assert_ptr_nonnull(m);
    *status = -1;
    ck_assert_int_eq(rpc_call_sync(E.ch, m, req, 20000, NULL, 0, status, &resp, details, cap), DM_OK);
    return *status == RPC_OK ? resp : NULL;
}

static void *call(const char *method, const ProtobufCMessage *req)
{
    int status;
    char details[512] = "";
    void *resp = try_call(method, req, &status, details, sizeof(details));
    ck_assert_msg(resp, "%s: status %d %s", method, status, details);
    return resp;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* polls a condition; the bound only turns a lost event into a failure before the tcase
 * timeout (a TSan build on a loaded box is many times slower: it is not a deadline) */
#define WAIT_FOR(cond)                                                              \
    do {                                                                            \
        long long t0_ = tu_now_ms();                                                \
        while (!(cond) && tu_now_ms() - t0_ < 40000)                                \
            sleep_ms(20);                                                           \
        ck_assert_msg((cond), "timed out waiting for " #cond);                      \
    } while (0)

/* Every listed worker answers the master's QueryStatus (and the master answers the test).
 * A new channel's first connect attempt has gRPC's minimum connect timeout (rpc/global.c:
 * the 1 s min reconnect backoff); under TSan on a loaded box a handshake - the test's with
 * the master, the master's with a scripted worker - can take longer, and that first call
 * fails with Unavailable ("connection attempt timed out before receiving SETTINGS frame")
 * - the TSan flake of this test. Tests wait for this instead. */
static bool workers_answer(const int *which, int n)
{
    char *ws[3];
    for (int i = 0; i < n; i++)
        ws[i] = E.a[which[i]];
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    qr.workers = ws;
    qr.n_workers = (size_t)n;
    int status;
    char details[512];
    Pb__QueryStatusListResponse *q = try_call("QueryStatus", &qr.base, &status, details, sizeof(details));
    if (!q) {
        ck_assert_msg(status == RPC_UNAVAILABLE, "QueryStatus: status %d %s", status, details);
        return false;
    }
    bool ok = q->result && q->n_workers == (size_t)n;
    for (size_t i = 0; ok && i < q->n_workers; i++)
        ok = q->workers[i]->result;
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return ok;
}

static void env_up(void)
{
    memset(&E, 0, sizeof(E));
    E.dir = tu_mkdtemp();
    for (int i = 0; i < 3; i++) {
        char sid[8];
        snprintf(sid, sizeof(sid), "s%d", i + 1);
        E.w[i] = sw_start(sid, FROM, &E.p[i]);
        ck_assert_ptr_nonnull(E.w[i]);
        snprintf(E.a[i], sizeof(E.a[i]), "127.0.0.1:%d", E.p[i]);
    }
    char toml[4096];
    deploy_toml(toml, sizeof(toml), (const int[]){0, 1, 2}, 3);
    snprintf(E.cfgpath, sizeof(E.cfgpath), "%s/dm-master.toml", E.dir);
    ck_assert_int_eq(tu_write_file(E.cfgpath, toml, strlen(toml)), 0);
    struct master_config cfg;
    char *err = NULL;
    ck_assert_int_eq(master_config_defaults(&cfg), DM_OK);
    ck_assert_msg(master_config_apply_toml(&cfg, toml, &err) == DM_OK, "%s", err);
    cfg.config_file = strdup(E.cfgpath);
    E.m = master_new(&cfg);
    ck_assert_ptr_nonnull(E.m);
    ck_assert_int_eq(master_start(E.m, &E.mport), DM_OK);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", E.mport);
    E.ch = rpc_channel_new(addr);
    WAIT_FOR(workers_answer((const int[]){0, 1, 2}, 3));

    Pb__StartTaskRequest sr = PB__START_TASK_REQUEST__INIT;
    sr.task = (char *)TASK;
    Pb__StartTaskResponse *s = call("StartTask", &sr.base);
    ck_assert_msg(s->result && s->n_workers == 2 && s->workers[0]->result && s->workers[1]->result, "%s", s->msg);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void env_down(void)
{
    rpc_channel_free(E.ch);
    master_free(E.m);
    for (int i = 0; i < 3; i++)
        sw_stop(E.w[i]);
    tu_rmrf(E.dir);
    free(E.dir);
}

static Pb__ShowDDLLocksResponse *show(const char *task, char **workers, size_t n)
{
    Pb__ShowDDLLocksRequest r = PB__SHOW_DDLLOCKS_REQUEST__INIT;
    r.task = (char *)(task ? task : "");
    r.workers = workers;
    r.n_workers = n;
    return call("ShowDDLLocks", &r.base);
}

static size_t nlocks(void)
{
    Pb__ShowDDLLocksResponse *l = show(NULL, NULL, 0);
    size_t n = l->n_locks;
    protobuf_c_message_free_unpacked(&l->base, NULL);
    return n;
}

/* the lock of LOCK shows these synced / unsynced workers */
static bool lock_is(const char *owner, int nsynced, int nunsynced)
{
    Pb__ShowDDLLocksResponse *l = show(NULL, NULL, 0);
    bool ok = l->n_locks == 1 && !strcmp(l->locks[0]->id, LOCK) && !strcmp(l->locks[0]->owner, owner) &&
              (int)l->locks[0]->n_synced == nsynced && (int)l->locks[0]->n_unsynced == nunsynced;
    protobuf_c_message_free_unpacked(&l->base, NULL);
    return ok;
}

static Pb__UnlockDDLLockResponse *unlock(const char *owner, char **workers, size_t n, bool force)
{
    Pb__UnlockDDLLockRequest r = PB__UNLOCK_DDLLOCK_REQUEST__INIT;
    r.id = (char *)LOCK;
    r.replaceowner = (char *)(owner ? owner : "");
    r.workers = workers;
    r.n_workers = n;
    r.forceremove = force;
    return call("UnlockDDLLock", &r.base);
}

static int nevents(int wi, const char *method, int exec)
{
    struct sw_event ev[64];
    int n = sw_events(E.w[wi], ev, 64), k = 0;
    for (int i = 0; i < n && i < 64; i++)
        if (!strcmp(ev[i].method, method) && (exec < 0 || ev[i].flag == (exec != 0)))
            k++;
    return k;
}

/* No resolve of LOCK is in flight: an unlock naming an unknown owner is refused with
 * 38021 (no side effect) once the lock is not resolving (38020 while it is; 38019 when it
 * is gone). The master processes the owner's answer after the scripted worker recorded
 * the call, so a test acting on the lock's state after a resolve waits for this. */
static bool lock_settled(void)
{
    Pb__UnlockDDLLockResponse *u = unlock("10.9.9.9:1", NULL, 0, false);
    bool ok = !strstr(u->msg, "code=38020");
    protobuf_c_message_free_unpacked(&u->base, NULL);
    return ok;
}

/* both task workers report DDL1: w1 first (owner) */
static void make_synced_lock(bool also_w2)
{
    int n1 = sw_lock_infos(E.w[0], NULL, 0), n2 = sw_lock_infos(E.w[1], NULL, 0);
    sw_push_ddl(E.w[0], "test", "shard_db", "shard_table", DDL1, 1);
    WAIT_FOR(sw_lock_infos(E.w[0], NULL, 0) == n1 + 1);
    if (also_w2) {
        sw_push_ddl(E.w[1], "test", "shard_db", "shard_table", DDL1, 1);
        WAIT_FOR(sw_lock_infos(E.w[1], NULL, 0) == n2 + 1);
    }
}

START_TEST(lock_lifecycle_auto_resolve)
{
    env_up();
    ck_assert_uint_eq(nlocks(), 0);
    Pb__HandleSQLsRequest hs = PB__HANDLE_SQLS_REQUEST__INIT;
    hs.name = (char *)"test";
    hs.sharding = true;
    hs.op = PB__SQLOP__REPLACE;
    char *args[] = {(char *)"ALTER TABLE `shard_db`.`shard_table` ADD COLUMN `c` BIGINT"};
    hs.args = args;
    hs.n_args = 1;
    hs.sqlpattern = (char *)"~(?i)alter table .*add column";
    Pb__HandleSQLsResponse *h = call("HandleSQLs", &hs.base);
    ck_assert(h->result);
    ck_assert_uint_eq(h->n_workers, 0);
    protobuf_c_message_free_unpacked(&h->base, NULL);

    make_synced_lock(false);
    char id[256];
    sw_lock_infos(E.w[0], id, sizeof(id));
    ck_assert_str_eq(id, LOCK);

    Pb__ShowDDLLocksResponse *l = show(NULL, NULL, 0);
    ck_assert(l->result);
    ck_assert_str_eq(l->msg, "");
    ck_assert_uint_eq(l->n_locks, 1);
    ck_assert_str_eq(l->locks[0]->id, LOCK);
    ck_assert_str_eq(l->locks[0]->task, "test");
    ck_assert_str_eq(l->locks[0]->owner, E.a[0]);
    ck_assert_uint_eq(l->locks[0]->n_ddls, 1);
    ck_assert_str_eq(l->locks[0]->ddls[0], DDL1[0]);
    ck_assert_uint_eq(l->locks[0]->n_synced, 1);
    ck_assert_str_eq(l->locks[0]->synced[0], E.a[0]);
    ck_assert_uint_eq(l->locks[0]->n_unsynced, 1);
    ck_assert_str_eq(l->locks[0]->unsynced[0], E.a[1]);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    /* filters: task, workers appearing in the lock (synced or not) */
    l = show("other", NULL, 0);
    ck_assert(l->result);
    ck_assert_uint_eq(l->n_locks, 0);
    ck_assert_str_eq(l->msg, "no DDL lock exists");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    char *w2[] = {E.a[1]}, *w3[] = {E.a[2]};
    l = show("test", w2, 1);
    ck_assert_uint_eq(l->n_locks, 1);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    l = show(NULL, w3, 1);
    ck_assert_uint_eq(l->n_locks, 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    ck_assert_int_eq(sw_calls(E.w[0], "ExecuteDDL"), 0);
    sw_push_ddl(E.w[1], "test", "shard_db", "shard_table", DDL1, 1);
    WAIT_FOR(nlocks() == 0);
    WAIT_FOR(sw_lock_infos(E.w[1], NULL, 0) == 1);

    /* order: owner HandleSQLs, owner exec=true, then exec=false to the other member */
    struct sw_event e1[8], e2[8];
    ck_assert_int_eq(sw_events(E.w[0], e1, 8), 2);
    ck_assert_int_eq(sw_events(E.w[1], e2, 8), 1);
    ck_assert_int_eq(sw_events(E.w[2], e2 + 1, 7), 0);
    ck_assert_str_eq(e1[0].method, "HandleSQLs");
    ck_assert_int_eq(e1[0].op, PB__SQLOP__REPLACE);
    ck_assert_str_eq(e1[0].id, "test");
    ck_assert_str_eq(e1[0].arg, "~(?i)alter table .*add column");
    ck_assert_str_eq(e1[1].method, "ExecuteDDL");
    ck_assert(e1[1].flag);
    ck_assert_str_eq(e1[1].id, LOCK);
    ck_assert_str_eq(e1[1].arg, DDL1[0]);
    ck_assert_str_eq(e2[0].method, "ExecuteDDL");
    ck_assert(!e2[0].flag);
    ck_assert_str_eq(e2[0].id, LOCK);
    ck_assert(e1[0].seq < e1[1].seq && e1[1].seq < e2[0].seq);
    /* the owner's exec carries the lock instance (traceGID), the skips none */
    ck_assert_msg(!strncmp(e1[1].trace, "ddl-lock-", 9), "%s", e1[1].trace);
    ck_assert_str_eq(e2[0].trace, "");

    /* the operator was consumed: the next lock resolves without HandleSQLs; the next lock
     * of the same ID and DDLs is another instance */
    make_synced_lock(true);
    WAIT_FOR(nlocks() == 0);
    ck_assert_int_eq(sw_events(E.w[0], e1, 8), 3);
    ck_assert_msg(!strncmp(e1[2].trace, "ddl-lock-", 9), "%s", e1[2].trace);
    ck_assert_str_ne(e1[2].trace, e1[1].trace);
    ck_assert_int_eq(nevents(0, "HandleSQLs", -1), 1);
    ck_assert_int_eq(nevents(0, "ExecuteDDL", 1), 2);
    ck_assert_int_eq(nevents(1, "ExecuteDDL", 0), 2);
    env_down();
}
END_TEST

START_TEST(owner_failure_and_mismatch)
{
    env_up();
    sw_fail_next_exec(E.w[0], "[code=36059:class=sync-unit:scope=internal:level=high] exec boom");
    make_synced_lock(true);
    WAIT_FOR(sw_calls(E.w[0], "ExecuteDDL") == 1);
    WAIT_FOR(lock_settled());
    ck_assert(lock_is(E.a[0], 2, 0));                       /* kept, nothing sent to others */
    ck_assert_int_eq(sw_calls(E.w[1], "ExecuteDDL"), 0);

    /* a later resolve by hand works; it asks the owner with the same lock instance */
    Pb__UnlockDDLLockResponse *u = unlock(NULL, NULL, 0, false);
    ck_assert_msg(u->result, "%s", u->msg);
    struct sw_event ev[4];
    ck_assert_int_eq(sw_events(E.w[0], ev, 4), 2);
    ck_assert_str_eq(ev[1].trace, ev[0].trace);
    ck_assert_str_ne(ev[0].trace, "");
    ck_assert_uint_eq(u->n_workers, 2);
    ck_assert_str_eq(u->workers[0]->worker, E.a[0]);
    ck_assert_str_eq(u->workers[1]->worker, E.a[1]);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert_uint_eq(nlocks(), 0);

    /* different DDLs for the same lock: 38016, w2 stays unsynced, its stream is retried */
    sw_push_ddl(E.w[0], "test", "shard_db", "shard_table", DDL1, 1);
    WAIT_FOR(sw_lock_infos(E.w[0], NULL, 0) == 2);
    int streams = sw_calls(E.w[1], "FetchDDLInfo");
    sw_push_ddl(E.w[1], "test", "shard_db", "shard_table", DDL2, 1);
    WAIT_FOR(sw_calls(E.w[1], "FetchDDLInfo") > streams);
    ck_assert_int_eq(sw_lock_infos(E.w[1], NULL, 0), 1);    /* no DDLLockInfo for the bad one */
    ck_assert(lock_is(E.a[0], 1, 1));
    ck_assert_int_eq(sw_calls(E.w[0], "ExecuteDDL"), 2);
    env_down();
}
END_TEST

struct bg_unlock {
    Pb__UnlockDDLLockResponse *resp;
    int rc, status;
};

static void *bg_unlock_main(void *p)
{
    struct bg_unlock *b = p;
    Pb__UnlockDDLLockRequest r = PB__UNLOCK_DDLLOCK_REQUEST__INIT;
    r.id = (char *)LOCK;
    char details[256];
    b->rc = rpc_call_sync(E.ch, rpc_method_find(&pb__master__descriptor, "UnlockDDLLock"), &r.base, 20000,
                          NULL, 0, &b->status, (ProtobufCMessage **)&b->resp, details, sizeof(details));
    return NULL;
}

START_TEST(unlock_paths_and_errors)
{
    env_up();
    char want[600];
    make_synced_lock(false);                                /* w1 synced, w2 not */

    /* replaceOwner: unknown worker (38021), deployed but not a member (38022) */
    Pb__UnlockDDLLockResponse *u = unlock("10.9.9.9:1", NULL, 0, false);
    ck_assert(!u->result);
    ck_assert_str_eq(u->msg, "[code=38021:class=dm-master:scope=internal:level=high] worker 10.9.9.9:1 relevant worker-client not found");
    protobuf_c_message_free_unpacked(&u->base, NULL);
    u = unlock(E.a[2], NULL, 0, false);
    ck_assert(!u->result);
    snprintf(want, sizeof(want), "[code=38022:class=dm-master:scope=internal:level=high] worker %s not waiting for DDL lock %s", E.a[2], LOCK);
    ck_assert_str_eq(u->msg, want);
    ck_assert_uint_eq(u->n_workers, 0);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert(lock_is(E.a[0], 1, 1));

    /* owner fails: 38024, only the owner's entry, lock kept; with forceRemove dropped */
    sw_fail_next_exec(E.w[1], "boom");
    u = unlock(E.a[1], NULL, 0, false);
    ck_assert(!u->result);
    snprintf(want, sizeof(want), "[code=38024:class=dm-master:scope=internal:level=high] owner %s ExecuteDDL fail", E.a[1]);
    ck_assert_str_eq(u->msg, want);
    ck_assert_uint_eq(u->n_workers, 1);
    ck_assert_str_eq(u->workers[0]->worker, E.a[1]);
    ck_assert(!u->workers[0]->result);
    ck_assert_str_eq(u->workers[0]->msg, "boom");
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert(lock_is(E.a[0], 1, 1));
    sw_fail_next_exec(E.w[0], "boom");
    u = unlock(NULL, NULL, 0, true);
    ck_assert(!u->result);
    ck_assert_ptr_nonnull(strstr(u->msg, "code=38024"));
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert_uint_eq(nlocks(), 0);
    u = unlock(NULL, NULL, 0, false);
    snprintf(want, sizeof(want), "[code=38019:class=dm-master:scope=internal:level=high] lock with ID %s not found", LOCK);
    ck_assert_str_eq(u->msg, want);
    protobuf_c_message_free_unpacked(&u->base, NULL);

    /* replaced owner w2 (unsynced member) executes; workers subset [w1] skips */
    make_synced_lock(false);
    char *ws[] = {E.a[0]};
    int e0 = nevents(0, "ExecuteDDL", 0);
    u = unlock(E.a[1], ws, 1, false);
    ck_assert_msg(u->result, "%s", u->msg);
    ck_assert_uint_eq(u->n_workers, 2);
    ck_assert_str_eq(u->workers[0]->worker, E.a[1]);        /* owner first */
    ck_assert_str_eq(u->workers[1]->worker, E.a[0]);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert_int_eq(nevents(1, "ExecuteDDL", 1), 2);        /* + the failed 38024 attempt */
    ck_assert_int_eq(nevents(0, "ExecuteDDL", 0), e0 + 1);
    ck_assert_uint_eq(nlocks(), 0);

    /* a skip-worker fails: 38025, lock removed anyway */
    make_synced_lock(false);
    sw_fail_next_exec(E.w[1], "skip boom");
    u = unlock(NULL, NULL, 0, false);
    ck_assert(!u->result);
    snprintf(want, sizeof(want), "[code=38025:class=dm-master:scope=internal:level=high] DDL lock %s owner ExecuteDDL successfully, so DDL lock removed. but some dm-workers ExecuteDDL fail, you should to handle dm-worker directly", LOCK);
    ck_assert_str_eq(u->msg, want);
    ck_assert_uint_eq(u->n_workers, 2);
    ck_assert(u->workers[0]->result);
    ck_assert(!u->workers[1]->result);
    ck_assert_str_eq(u->workers[1]->msg, "skip boom");
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert_uint_eq(nlocks(), 0);

    /* a second unlock while the first one waits for the owner: 38020 */
    make_synced_lock(false);
    sw_hold_exec(E.w[0], true);                             /* the owner's ExecuteDDL waits */
    struct bg_unlock b = {NULL, -1, -1};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, bg_unlock_main, &b), 0);
    WAIT_FOR(sw_exec_held(E.w[0]) == 1);
    u = unlock(NULL, NULL, 0, false);
    snprintf(want, sizeof(want), "[code=38020:class=dm-master:scope=internal:level=high] lock %s is resolving", LOCK);
    ck_assert_str_eq(u->msg, want);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    sw_hold_exec(E.w[0], false);
    pthread_join(th, NULL);
    ck_assert_int_eq(b.rc, DM_OK);
    ck_assert_int_eq(b.status, RPC_OK);
    ck_assert_msg(b.resp->result, "%s", b.resp->msg);
    protobuf_c_message_free_unpacked(&b.resp->base, NULL);
    ck_assert_uint_eq(nlocks(), 0);
    env_down();
}
END_TEST

/* A synced member that missed its skip (ddl_pending.c) gets it, after the DDLLockInfo, at
 * its next report of the same DDL - no lock of its own; its report after that is a new
 * round (a normal lock). */
START_TEST(missed_skip_sent_at_next_report)
{
    env_up();
    sw_fail_next_exec(E.w[1], "skip lost");
    make_synced_lock(true);
    WAIT_FOR(nlocks() == 0);                                /* 38025: removed anyway */
    int skips = nevents(1, "ExecuteDDL", 0), infos = sw_lock_infos(E.w[1], NULL, 0);
    sw_push_ddl(E.w[1], "test", "shard_db", "shard_table", DDL1, 1);
    WAIT_FOR(nevents(1, "ExecuteDDL", 0) == skips + 1);
    WAIT_FOR(sw_lock_infos(E.w[1], NULL, 0) == infos + 1);
    ck_assert_uint_eq(nlocks(), 0);
    ck_assert_int_eq(nevents(0, "ExecuteDDL", 1), 1);       /* the owner ran it once */
    sw_push_ddl(E.w[1], "test", "shard_db", "shard_table", DDL1, 1);
    WAIT_FOR(lock_is(E.a[1], 1, 1));
    env_down();
}
END_TEST

/* The owner's ExecuteDDL failed (its answer lost) and it reports the lock's next DDL: it
 * passed the DDL, the other member gets its skip, the next DDL forms a new lock. */
START_TEST(owner_passed_a_failed_lock)
{
    env_up();
    sw_fail_next_exec(E.w[0], "answer lost");
    make_synced_lock(true);
    WAIT_FOR(sw_calls(E.w[0], "ExecuteDDL") == 1);
    WAIT_FOR(lock_settled());
    ck_assert(lock_is(E.a[0], 2, 0));                       /* 38024: kept */
    int skips = nevents(1, "ExecuteDDL", 0);
    sw_push_ddl(E.w[0], "test", "shard_db", "shard_table", DDL2, 1);
    WAIT_FOR(nevents(1, "ExecuteDDL", 0) == skips + 1);
    WAIT_FOR(lock_is(E.a[0], 1, 1));
    Pb__ShowDDLLocksResponse *l = show(NULL, NULL, 0);
    ck_assert_uint_eq(l->locks[0]->n_ddls, 1);
    ck_assert_str_eq(l->locks[0]->ddls[0], DDL2[0]);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    ck_assert_int_eq(sw_calls(E.w[0], "ExecuteDDL"), 1);    /* never asked to run it again */
    env_down();
}
END_TEST

START_TEST(break_lock_and_stream_reconnect)
{
    env_up();
    Pb__BreakWorkerDDLLockRequest br = PB__BREAK_WORKER_DDLLOCK_REQUEST__INIT;
    char *ws[] = {E.a[1], (char *)"10.9.9.9:1"};
    br.task = (char *)"test";
    br.removelockid = (char *)LOCK;
    br.execddl = true;
    br.workers = ws;
    br.n_workers = 2;
    Pb__BreakWorkerDDLLockResponse *b = call("BreakWorkerDDLLock", &br.base);
    ck_assert(b->result);
    ck_assert_uint_eq(b->n_workers, 2);
    ck_assert_str_eq(b->workers[0]->worker, "10.9.9.9:1");
    ck_assert(!b->workers[0]->result);
    ck_assert_str_eq(b->workers[0]->msg, "worker 10.9.9.9:1 relevant worker-client not found");
    ck_assert_str_eq(b->workers[1]->worker, E.a[1]);
    ck_assert(b->workers[1]->result);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    struct sw_event ev[4];
    ck_assert_int_eq(sw_events(E.w[1], ev, 4), 1);
    ck_assert_str_eq(ev[0].method, "BreakDDLLock");
    ck_assert_str_eq(ev[0].id, LOCK);
    ck_assert_str_eq(ev[0].arg, "test");
    ck_assert(ev[0].flag);
    ck_assert_uint_eq(nlocks(), 0);                         /* no master-side change */

    /* restart w1 on its port: the master re-opens the stream and gets its DDL */
    WAIT_FOR(sw_calls(E.w[0], "FetchDDLInfo") >= 1);
    sw_stop(E.w[0]);
    sleep_ms(300);
    E.w[0] = sw_start_port("s1", FROM, E.p[0]);
    ck_assert_ptr_nonnull(E.w[0]);
    sw_push_ddl(E.w[0], "test", "shard_db", "shard_table", DDL1, 1);
    WAIT_FOR(sw_lock_infos(E.w[0], NULL, 0) == 1);
    ck_assert(lock_is(E.a[0], 1, 1));
    env_down();
}
END_TEST

START_TEST(update_master_config)
{
    env_up();
    Pb__UpdateMasterConfigRequest ur = PB__UPDATE_MASTER_CONFIG_REQUEST__INIT;
    char toml[4096];
    char *before = tu_read_file(E.cfgpath, NULL);
    ck_assert_ptr_nonnull(before);

    /* invalid text: nothing changes */
    ur.config = (char *)"bogus = 1\n";
    Pb__UpdateMasterConfigResponse *r = call("UpdateMasterConfig", &ur.base);
    ck_assert(!r->result);
    ck_assert_msg(strstr(r->msg, "Failed to parse configure from file") && strstr(r->msg, "code=38011"), "%s", r->msg);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* w2 is a member of a lock: refused (38026), file untouched */
    make_synced_lock(false);
    deploy_toml(toml, sizeof(toml), (const int[]){0, 2}, 2);
    ur.config = toml;
    r = call("UpdateMasterConfig", &ur.base);
    ck_assert(!r->result);
    char want[300];
    snprintf(want, sizeof(want), "[code=38026:class=dm-master:scope=internal:level=high] worker %s exist ddl lock, please unlock ddl lock first", E.a[1]);
    ck_assert_str_eq(r->msg, want);
    ck_assert_uint_eq(r->n_workers, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    char *now = tu_read_file(E.cfgpath, NULL);
    ck_assert_str_eq(now, before);
    free(now);

    Pb__UnlockDDLLockResponse *u = unlock(NULL, NULL, 0, true);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    ck_assert_uint_eq(nlocks(), 0);

    /* drop s2 and s3, keep s1: file rewritten, QueryStatus of the remaining workers */
    deploy_toml(toml, sizeof(toml), (const int[]){0}, 1);
    r = call("UpdateMasterConfig", &ur.base);
    ck_assert_msg(r->result, "%s", r->msg);
    ck_assert_uint_eq(r->n_workers, 1);
    ck_assert_str_eq(r->workers[0]->worker, E.a[0]);
    ck_assert_str_eq(r->workers[0]->sourceid, "s1");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    now = tu_read_file(E.cfgpath, NULL);
    ck_assert_str_eq(now, toml);
    free(now);
    Pb__QueryStatusListRequest qr = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    char *w2[] = {E.a[1]};
    qr.workers = w2;
    qr.n_workers = 1;
    Pb__QueryStatusListResponse *q = call("QueryStatus", &qr.base);
    ck_assert(!q->result);
    snprintf(want, sizeof(want), "%s relevant worker-client not found", E.a[1]);
    ck_assert_str_eq(q->msg, want);
    protobuf_c_message_free_unpacked(&q->base, NULL);

    /* add s2 and s3 back: channels and FetchDDLInfo streams are opened again */
    int s3 = sw_calls(E.w[2], "FetchDDLInfo");
    deploy_toml(toml, sizeof(toml), (const int[]){2, 0, 1}, 3);
    r = call("UpdateMasterConfig", &ur.base);
    ck_assert_msg(r->result, "%s", r->msg);
    ck_assert_uint_eq(r->n_workers, 3);
    for (size_t i = 0; i < 3; i++)                          /* see workers_answer */
        ck_assert_msg(r->workers[i]->result || strstr(r->workers[i]->msg, "code = Unavailable"),
                      "%s: %s", r->workers[i]->worker, r->workers[i]->msg);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    WAIT_FOR(workers_answer((const int[]){0, 1, 2}, 3));
    WAIT_FOR(sw_calls(E.w[2], "FetchDDLInfo") > s3);
    make_synced_lock(true);
    WAIT_FOR(nlocks() == 0);
    free(before);
    env_down();
}
END_TEST

int main(void)
{
    rpc_global_init();
    Suite *s = suite_create("master_ddl");
    TCase *tc = tcase_create("ddl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lock_lifecycle_auto_resolve);
    tcase_add_test(tc, owner_failure_and_mismatch);
    tcase_add_test(tc, unlock_paths_and_errors);
    tcase_add_test(tc, missed_skip_sent_at_next_report);
    tcase_add_test(tc, owner_passed_a_failed_lock);
    tcase_add_test(tc, break_lock_and_stream_reconnect);
    tcase_add_test(tc, update_master_config);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    rpc_global_shutdown();
    return rc;
}

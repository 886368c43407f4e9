/* test_relay_worker.c - the real dm-worker with its relay unit and a subtask of
 * binlog-type local (what dm-master sends): the Sync unit reads the relay; the source
 * purges binlogs while the task is paused and the target still catches up from the relay;
 * purge-relay keeps the files of a subtask restored Paused by a kill -9 and restart;
 * pause-relay holds the task back, resume-relay lets it through; PurgeRelay over gRPC never
 * removes the file the task reads; kill -9 of the worker under load (3 cycles) leaves a
 * readable relay and an identical target; the same under sysbench oltp_write_only with
 * mariadb-binlog reading the relay after every kill (DMGW_KILL_CYCLES cycles, default 3;
 * the ctest variant worker/relay/test_relay_worker_kill10, labels bench;long, runs 10). */
#include <sys/wait.h>

#include "worker_e2e.h"
#include "relay_worker.h"

static const char *const WORK_PROC =
    "CREATE PROCEDURE gen.w(IN n INT, IN base INT) BEGIN DECLARE i INT DEFAULT 0; "
    "WHILE i < n DO START TRANSACTION; INSERT INTO r.t VALUES (base + i, i, 'w'); "
    "UPDATE r.t SET v = v + 1 WHERE id = base + i - 1; COMMIT; SET i = i + 1; END WHILE; END";

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE gen");
    sql(g_src, "%s", WORK_PROC);
    master_pos();
    spawn_worker();
    start_local_task("rl", "", "\"r\", \"sbtest\"");
}

static void teardown(void)
{
    e2e_env_down();
}

static void insert(int base, int n)
{
    sql(g_src, "INSERT INTO r.t SELECT seq, seq, 'x' FROM gen.seq_%d_to_%d", base, base + n - 1);
}

static void rows_eq(int n)
{
    char want[32];
    snprintf(want, sizeof want, "%d", n);
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM r.t", want, 30000));
    ck_assert(converge(SUM, NULL, 30000));
}

static bool operate_relay(Pb__RelayOp op, char *msg, size_t cap)
{
    Pb__OperateRelayRequest req = PB__OPERATE_RELAY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char det[256];
    req.op = op;
    ck_assert_int_eq(call("OperateRelay", &req.base, &resp, det, sizeof det), RPC_OK);
    Pb__OperateRelayResponse *r = (Pb__OperateRelayResponse *)resp;
    bool ok = r->result;
    snprintf(msg, cap, "%s", r->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

static bool purge_relay(bool inactive, const char *filename, char *msg, size_t cap)
{
    Pb__PurgeRelayRequest req = PB__PURGE_RELAY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char det[256];
    req.inactive = inactive;
    req.filename = (char *)(filename ? filename : "");
    ck_assert_int_eq(call("PurgeRelay", &req.base, &resp, det, sizeof det), RPC_OK);
    Pb__CommonWorkerResponse *r = (Pb__CommonWorkerResponse *)resp;
    bool ok = r->result;
    snprintf(msg, cap, "%s", r->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

static bool relay_file_exists(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/meta/relay_log/0-1.000001/%s", g_dir, name);
    return access(p, F_OK) == 0;
}

START_TEST(purged_source_paused_task)
{
    char msg[2048], first[128];
    insert(1, 500);
    rows_eq(500);
    Pb__QueryStatusResponse *st;
    Pb__RelayStatus *rs = relay(&st);
    ck_assert_int_eq(rs->stage, PB__STAGE__Running);
    ck_assert_str_eq(rs->relaysubdir, "0-1.000001");
    ck_assert_ptr_nonnull(strstr(rs->relaybinlog, "mysql-bin."));
    protobuf_c_message_free_unpacked(&st->base, NULL);
    snprintf(first, sizeof first, "%s", g_file);

    /* paused task, source rotates and purges everything before its current file */
    ck_assert_msg(operate("rl", PB__TASK_OP__Pause, msg, sizeof msg), "pause: %s", msg);
    insert(1001, 300);
    sql(g_src, "FLUSH BINARY LOGS");
    insert(2001, 200);
    sql(g_src, "FLUSH BINARY LOGS");
    ck_assert(relay_caught_up_gtid(20000, false));
    master_pos();
    char v[64];
    for (int i = 0; i < 100; i++) {   /* MariaDB keeps a file until its binlog checkpoint */
        sql(g_src, "PURGE BINARY LOGS TO '%s'", g_file);
        value(g_src, "SHOW BINARY LOGS", v, sizeof v);
        if (strcmp(v, g_file) == 0)
            break;
        usleep(100000);
    }
    ck_assert_str_eq(v, g_file);                       /* the source only has the new file */
    ck_assert(relay_file_exists(first));
    ck_assert_msg(operate("rl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    rows_eq(1000);

    /* the task reads the newest file: purging inactive files removes the first one only */
    ck_assert_msg(purge_relay(true, NULL, msg, sizeof msg), "purge: %s", msg);
    ck_assert(!relay_file_exists(first));
    ck_assert(relay_file_exists(g_file));
    ck_assert(!purge_relay(false, NULL, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "code=30039"));

    /* pause-relay holds the task back */
    ck_assert_msg(operate_relay(PB__RELAY_OP__PauseRelay, msg, sizeof msg), "%s", msg);
    ck_assert(!operate_relay(PB__RELAY_OP__PauseRelay, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40039:class=dm-worker:scope=internal:level=high] current stage "
                          "is Paused, Running required, relay op PauseRelay");
    insert(5001, 100);
    usleep(1500000);
    value(g_dst, "SELECT COUNT(*) FROM r.t", v, sizeof v);
    ck_assert_str_eq(v, "1000");
    relay(&st);
    ck_assert_int_eq(st->relaystatus->stage, PB__STAGE__Paused);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    ck_assert_msg(operate_relay(PB__RELAY_OP__ResumeRelay, msg, sizeof msg), "%s", msg);
    rows_eq(1100);
}
END_TEST

/* A subtask restored Paused by a restart (kill -9) opens no reader until resume-task: its
 * checkpoint's file used to be held by nobody, and purge-relay removed it (the resume then
 * paused with "not found in relay-dir"). The hold is kept in <relay-dir>/relay.holds. */
START_TEST(restored_paused_task_keeps_its_files)
{
    char msg[2048], first[128];
    snprintf(first, sizeof first, "%s", g_file);
    insert(1, 200);
    rows_eq(200);
    ck_assert_msg(operate("rl", PB__TASK_OP__Pause, msg, sizeof msg), "pause: %s", msg);
    insert(1001, 300);
    sql(g_src, "FLUSH BINARY LOGS");
    insert(2001, 100);
    sql(g_src, "FLUSH BINARY LOGS");
    ck_assert(relay_caught_up_gtid(20000, false));
    stop_worker(SIGKILL);
    spawn_worker();
    ck_assert(relay_caught_up_gtid(30000, false));
    Pb__QueryStatusResponse *st = query_status("rl");
    ck_assert_uint_eq(st->n_subtaskstatus, 1);
    ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Paused);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    ck_assert_msg(purge_relay(true, NULL, msg, sizeof msg), "purge: %s", msg);
    ck_assert_msg(relay_file_exists(first), "purge-relay removed %s, the restored paused "
                  "task's checkpoint file", first);
    ck_assert_msg(operate("rl", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
    rows_eq(600);
    /* running again, past the first file: now it may go */
    sql(g_src, "FLUSH BINARY LOGS");
    insert(3001, 10);
    rows_eq(610);
    for (int i = 0; i < 100 && relay_file_exists(first); i++) {
        ck_assert_msg(purge_relay(true, NULL, msg, sizeof msg), "purge: %s", msg);
        usleep(100000);   /* until the next checkpoint flush moves the task's hold */
    }
    ck_assert(!relay_file_exists(first));
}
END_TEST

START_TEST(kill9_under_load)
{
    char cmd[512];
    insert(1, 200);
    rows_eq(200);
    for (int c = 0; c < 3; c++) {
        snprintf(cmd, sizeof cmd,
                 "mariadb -h127.0.0.1 -P%d -uroot -e 'CALL gen.w(400, %d)' >>%s/work.log 2>&1 &",
                 g_src, 10000 * (c + 1), g_dir);
        ck_assert_int_eq(system(cmd), 0);
        usleep(700000);
        stop_worker(SIGKILL);
        if (c == 1)
            sql(g_src, "FLUSH BINARY LOGS");
        spawn_worker();
        usleep(500000);
    }
    /* every procedure has ended: 200 + 3 x 400 rows */
    rows_eq(1400);
    Pb__QueryStatusResponse *st = query_status("rl");
    ck_assert_uint_eq(st->n_subtaskstatus, 1);
    ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Running);
    ck_assert_int_eq(st->relaystatus->stage, PB__STAGE__Running);
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

#define SB_TABLES 2

static int kill_cycles(void)
{
    const char *v = getenv("DMGW_KILL_CYCLES");
    int n = v ? atoi(v) : 3;
    return n >= 1 && n <= 100 ? n : 3;
}

/* sysbench against the source: prepare (foreground) or run for `secs` (background pid). */
static pid_t sysbench(const char *what, int secs)
{
    char port[32], tm[32], tables[32];
    snprintf(port, sizeof port, "--mysql-port=%d", g_src);
    snprintf(tm, sizeof tm, "--time=%d", secs);
    snprintf(tables, sizeof tables, "--tables=%d", SB_TABLES);
    pid_t pid = fork();
    if (pid == 0) {
        char log[1024];
        snprintf(log, sizeof log, "%s/sysbench.log", g_dir);
        if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr))
            _exit(126);
        execlp("sysbench", "sysbench", strcmp(what, "run") == 0 ? "oltp_write_only" : "oltp_common",
               "--db-driver=mysql", "--mysql-host=127.0.0.1", port, "--mysql-user=root",
               "--mysql-db=sbtest", tables, "--table-size=2000", "--threads=2", tm,
               "--report-interval=0", what, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_gt(pid, 0);
    return pid;
}

static int wait_exit(pid_t pid)
{
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* With dm-worker dead: every relay file mariadb-binlog can read, finished ones whole, the
 * one relay.meta names up to its position; no file after it. */
static void relay_readable(int cycle)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "d=%s/meta/relay_log/0-1.000001; "
             "f=$(sed -n 's/^binlog-name = \"\\(.*\\)\"$/\\1/p' $d/relay.meta); "
             "p=$(sed -n 's/^binlog-pos = //p' $d/relay.meta); [ -n \"$f\" ] || exit 9; "
             "seen=0; for x in $(ls $d | grep -E '\\.[0-9]+$' | sort); do "
             "  if [ \"$x\" = \"$f\" ]; then seen=1; "
             "    mariadb-binlog --stop-position=$p $d/$x >/dev/null || exit 2; "
             "  elif [ $seen = 1 ]; then exit 3; "
             "  else mariadb-binlog $d/$x >/dev/null || exit 1; fi; "
             "done >>%s/binlog-check.log 2>&1; [ $seen = 1 ] || [ \"$p\" = 4 ] || exit 4",
             g_dir, g_dir);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "cycle %d: relay not readable by mariadb-binlog (exit %d, see "
                  "binlog-check.log)", cycle, WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
}

START_TEST(kill9_sysbench)
{
    int cycles = kill_cycles();
    long long t0 = tu_now_ms();
    sql(g_src, "CREATE DATABASE sbtest");
    ck_assert_int_eq(wait_exit(sysbench("prepare", 1)), 0);
    pid_t load = sysbench("run", cycles * 2 + 2);
    for (int c = 0; c < cycles; c++) {
        usleep(1000000);
        stop_worker(SIGKILL);
        relay_readable(c);
        if (c % 4 == 1)
            sql(g_src, "FLUSH BINARY LOGS");   /* a rotate in the middle of the load */
        spawn_worker();
        usleep(800000);
    }
    ck_assert_int_eq(wait_exit(load), 0);
    for (int t = 1; t <= SB_TABLES; t++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,k,"
                 "c,pad))),0)) FROM sbtest.sbtest%d", t);
        ck_assert_msg(converge(q, NULL, 60000), "sbtest%d differs", t);
    }
    Pb__QueryStatusResponse *st = query_status("rl");
    ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Running);
    ck_assert_int_eq(st->relaystatus->stage, PB__STAGE__Running);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    stop_worker(SIGKILL);
    relay_readable(cycles);
    fprintf(stderr, "kill9_sysbench: %d cycles in %lld ms\n", cycles, tu_now_ms() - t0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay_worker");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, purged_source_paused_task);
    tcase_add_test(tc, restored_paused_task_keeps_its_files);
    tcase_add_test(tc, kill9_under_load);
    suite_add_tcase(s, tc);
    TCase *tk = tcase_create("kill");   /* CK_RUN_CASE=kill: this one alone */
    tcase_add_checked_fixture(tk, setup, teardown);
    tcase_set_timeout(tk, 240);
    tcase_add_test(tk, kill9_sysbench);
    suite_add_tcase(s, tk);
    return tu_run_suite(s, false);
}

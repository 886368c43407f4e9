/* test_relay_gtid_worker.c - switching the relay's master server with GTID, end to end
 * (DM v1.0.7's flow): source A replicates to B (real MariaDB replication, MASTER_USE_GTID,
 * log_slave_updates); the real dm-worker (enable-gtid) relays A and a subtask of
 * binlog-type local applies it to the target. A stops writing, the worker is restarted
 * with its [from] pointing at B (a source of another uuid: a new relay sub-directory
 * read from the relay's GTID set), then pause-relay / switch-relay-master / resume-relay
 * (another sub-directory, same uuid); B takes writes. The target ends identical to B row
 * by row (count + checksum), the task never stopped Running, and the relay's GTID set is
 * B's. */
#include "gtid.h"
#include "worker_e2e.h"
#include "relay_worker.h"
#include "testutil.h"

static int g_a, g_b;   /* source A (server 1) and its replica B (server 3) */

static void setup(void)
{
    char cmd[1024];
    e2e_env_up();
    g_a = g_src;
    g_b = tu_free_port();
    while (g_b == g_src || g_b == g_dst || g_b == g_wport)
        g_b = tu_free_port();
    snprintf(cmd, sizeof cmd, "DMGW_SANDBOX_ARGS='--log-slave-updates=ON' bash "
             "%s/scripts/mariadb-sandbox.sh start %s/b %d 3 >>%s/sandbox.log 2>&1",
             tu_source_dir(), g_dir, g_b, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    sql(g_b, "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', "
        "MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos", g_a);
    sql(g_b, "START SLAVE");
    sql(g_a, "CREATE DATABASE gen");
    master_pos();
    g_worker_extra = "enable-gtid = true\n";
    spawn_worker();
    start_local_task("sw", "enable-gtid = true\n", "\"r\"");
}

static void teardown(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash %s/scripts/mariadb-sandbox.sh stop %s/b >/dev/null 2>&1",
             tu_source_dir(), g_dir);
    if (system(cmd) != 0) { /* best effort */ }
    e2e_env_down();
}

/* n rows from base, then an update and a delete over them, on `port` */
static void work(int port, int base, int n)
{
    sql(port, "INSERT INTO r.t SELECT seq, seq %% 97, 'x' FROM gen.seq_%d_to_%d", base,
        base + n - 1);
    for (int i = 0; i < 20; i++)
        sql(port, "UPDATE r.t SET v = v + 1, s = 'u%d' WHERE id %% 20 = %d", i, i);
    sql(port, "DELETE FROM r.t WHERE id %% 13 = 0 AND id >= %d", base);
}

static bool relay_rpc(const char *method, Pb__RelayOp op, char *msg, size_t cap)
{
    ProtobufCMessage *resp = NULL;
    char det[256];
    if (strcmp(method, "OperateRelay") == 0) {
        Pb__OperateRelayRequest req = PB__OPERATE_RELAY_REQUEST__INIT;
        req.op = op;
        ck_assert_int_eq(call(method, &req.base, &resp, det, sizeof det), RPC_OK);
        Pb__OperateRelayResponse *r = (Pb__OperateRelayResponse *)resp;
        bool ok = r->result;
        snprintf(msg, cap, "%s", r->msg);
        protobuf_c_message_free_unpacked(resp, NULL);
        return ok;
    }
    Pb__SwitchRelayMasterRequest req = PB__SWITCH_RELAY_MASTER_REQUEST__INIT;
    ck_assert_int_eq(call(method, &req.base, &resp, det, sizeof det), RPC_OK);
    Pb__CommonWorkerResponse *r = (Pb__CommonWorkerResponse *)resp;
    bool ok = r->result;
    snprintf(msg, cap, "%s", r->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

static void target_is_source(void)
{
    char want[64];
    value(g_src, "SELECT COUNT(*) FROM r.t", want, sizeof want);
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM r.t", want, 30000));
    ck_assert(converge(SUM, NULL, 30000));
}

static void sub_dir_is(const char *want)
{
    Pb__QueryStatusResponse *st;
    Pb__RelayStatus *rs = relay(&st);
    ck_assert_str_eq(rs->relaysubdir, want);
    ck_assert_int_eq(rs->stage, PB__STAGE__Running);
    protobuf_c_message_free_unpacked(&st->base, NULL);
}

START_TEST(switch_master_by_gtid)
{
    char msg[2048], ga[1024];
    work(g_a, 1, 400);
    target_is_source();
    ck_assert(relay_caught_up_gtid(20000, true));
    sub_dir_is("0-1.000001");

    /* A stops taking writes; B has everything A wrote (same GTIDs, log_slave_updates) */
    value(g_a, "SELECT @@gtid_binlog_pos", ga, sizeof ga);
    ck_assert(wait_value(g_b, "SELECT @@gtid_binlog_pos", ga, 30000));
    value(g_a, SUM, msg, sizeof msg);
    ck_assert(wait_value(g_b, SUM, msg, 30000));
    sql(g_b, "STOP SLAVE");

    /* restart the worker with [from] = B: a new sub-directory, read from A's GTID set */
    stop_worker(SIGTERM);
    g_src = g_b;
    master_pos();                              /* B's file (the new sub-directory's first) */
    spawn_worker();
    work(g_b, 1001, 300);
    target_is_source();
    ck_assert(relay_caught_up_gtid(20000, true));
    sub_dir_is("0-3.000002");
    /* B's binlog was read from A's GTID set: the transactions B got from A are a gap */
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/meta/relay_log/0-3.000002/%s", g_dir, g_file);
    char *bin = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(bin);
    ck_assert_ptr_nonnull(memmem(bin, len, "dummy query generated by DM", 27));
    free(bin);

    /* switch-relay-master: Paused only, then a new sub-directory of the same server */
    ck_assert(!relay_rpc("SwitchRelayMaster", 0, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "code=40039") != NULL, "%s", msg);
    ck_assert_msg(relay_rpc("OperateRelay", PB__RELAY_OP__PauseRelay, msg, sizeof msg), "%s", msg);
    work(g_b, 2001, 200);                      /* written while the relay is paused */
    ck_assert_msg(relay_rpc("SwitchRelayMaster", 0, msg, sizeof msg), "%s", msg);
    ck_assert_msg(relay_rpc("OperateRelay", PB__RELAY_OP__ResumeRelay, msg, sizeof msg), "%s",
                  msg);
    work(g_b, 3001, 100);
    target_is_source();
    ck_assert(relay_caught_up_gtid(20000, true));
    sub_dir_is("0-3.000003");

    Pb__QueryStatusResponse *st = query_status("sw");
    ck_assert_uint_eq(st->n_subtaskstatus, 1);
    ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Running);
    ck_assert_ptr_nonnull(strstr(st->relaystatus->relaybinloggtid, "0-3-"));
    protobuf_c_message_free_unpacked(&st->base, NULL);
    char idx[512], *text;
    snprintf(idx, sizeof idx, "%s/meta/relay_log/server-uuid.index", g_dir);
    text = tu_read_file(idx, NULL);
    ck_assert_str_eq(text, "0-1.000001\n0-3.000002\n0-3.000003\n");
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay_gtid_worker");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 200);
    tcase_add_test(tc, switch_master_by_gtid);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

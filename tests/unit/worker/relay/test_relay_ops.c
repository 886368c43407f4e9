/* test_relay_ops.c - the real dm-worker: migrate-relay and update-relay (DM v1.0.7
 * Worker.MigrateRelay / UpdateRelayConfig) with a subtask of binlog-type local.
 * migrate: a Running relay is paused, a new sub-directory starts at (file, pos > 4): after
 * resume-relay its file is magic + FDE + DM's dummy event + the source's events, which
 * mariadb-binlog reads, and the task crosses into it without losing or repeating a row.
 * update: DM's errors (bad TOML 40003, other source-id 40059), then a new [from] user:
 * relay and task keep replicating through it, QueryWorkerConfig shows it, and a restarted
 * worker keeps it (meta-dir/dm-worker-config.bak). */
#include "worker_e2e.h"
#include "relay_worker.h"

static void setup(void)
{
    e2e_env_up();
    master_pos();
    spawn_worker();
    start_local_task("rl", "", "\"r\"");
}

static void teardown(void)
{
    e2e_env_down();
}

static void insert(int base, int n)
{
    sql(g_src, "INSERT INTO r.t SELECT seq, seq, 'x' FROM r.seq_%d_to_%d", base, base + n - 1);
}

static void rows_eq(int n)
{
    char want[32];
    snprintf(want, sizeof want, "%d", n);
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM r.t", want, 30000));
    ck_assert(converge(SUM, NULL, 30000));
}

static int relay_stage(char *sub, size_t cap)
{
    Pb__QueryStatusResponse *st = query_status("");
    ck_assert_ptr_nonnull(st->relaystatus);
    int stage = st->relaystatus->stage;
    if (sub)
        snprintf(sub, cap, "%s", st->relaystatus->relaysubdir);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    return stage;
}

static bool common_call(const char *method, const ProtobufCMessage *req, char *msg, size_t cap)
{
    ProtobufCMessage *resp = NULL;
    char det[256];
    ck_assert_int_eq(call(method, req, &resp, det, sizeof det), RPC_OK);
    Pb__CommonWorkerResponse *r = (Pb__CommonWorkerResponse *)resp;
    bool ok = r->result;
    snprintf(msg, cap, "%s", r->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

static bool migrate(const char *file, unsigned pos, char *msg, size_t cap)
{
    Pb__MigrateRelayRequest req = PB__MIGRATE_RELAY_REQUEST__INIT;
    req.binlogname = (char *)file;
    req.binlogpos = pos;
    return common_call("MigrateRelay", &req.base, msg, cap);
}

static bool update_relay(const char *content, char *msg, size_t cap)
{
    Pb__UpdateRelayRequest req = PB__UPDATE_RELAY_REQUEST__INIT;
    req.content = (char *)content;
    return common_call("UpdateRelayConfig", &req.base, msg, cap);
}

static bool resume_relay(char *msg, size_t cap)
{
    Pb__OperateRelayRequest req = PB__OPERATE_RELAY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char det[256];
    req.op = PB__RELAY_OP__ResumeRelay;
    ck_assert_int_eq(call("OperateRelay", &req.base, &resp, det, sizeof det), RPC_OK);
    Pb__OperateRelayResponse *r = (Pb__OperateRelayResponse *)resp;
    bool ok = r->result;
    snprintf(msg, cap, "%s", r->msg);
    protobuf_c_message_free_unpacked(resp, NULL);
    return ok;
}

/* Output of a shell command (first line ok; whole output into out). */
static int run(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = '\0';
    return p ? pclose(p) : -1;
}

/* Wait until task `name` is Running with a plain syncer position: rl2 shares the target
 * with rl, so the rows being there does not say that rl2 has passed its first event. */
static bool wait_plain_position(const char *name, char *got, size_t cap)
{
    long long end = tu_now_ms() + 60000;
    bool plain = false;
    do {
        Pb__QueryStatusResponse *st = query_status(name);
        Pb__SubTaskStatus *t = st->n_subtaskstatus ? st->subtaskstatus[0] : NULL;
        snprintf(got, cap, "stage %d, syncer %s", t ? (int)t->stage : -1,
                 t && t->sync ? t->sync->syncerbinlog : "(none)");
        plain = t && t->stage == PB__STAGE__Running && t->sync &&
                strncmp(t->sync->syncerbinlog, "(mysql-bin.", 11) == 0;   /* plain from here */
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (!plain)
            usleep(100000);
    } while (!plain && tu_now_ms() < end);
    return plain;
}

static void start_local(const char *name, const char *file, unsigned long long pos)
{
    char toml[4096], msg[2048];
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "binlog-type = \"local\"\nworker-count = 4\n[meta]\nbinlog-name = \"%s\"\n"
             "binlog-pos = %llu\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"r\"]\n", name, file, pos, g_dst);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start %s: %s", name, msg);
}

/* Wait until task `name` is Paused with an error containing `want`. */
static bool wait_task_msg(const char *name, const char *want, char *got, size_t cap)
{
    long long end = tu_now_ms() + 20000;
    got[0] = '\0';
    do {
        Pb__QueryStatusResponse *st = query_status(name);
        Pb__SubTaskStatus *t = st->n_subtaskstatus ? st->subtaskstatus[0] : NULL;
        if (t && t->result && t->result->n_errors)
            snprintf(got, cap, "%s", t->result->errors[0]->msg);
        bool paused = t && t->stage == PB__STAGE__Paused;
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (paused && strstr(got, want))
            return true;
        usleep(100000);
    } while (tu_now_ms() < end);
    fprintf(stderr, "task %s: %s\n", name, got);
    return false;
}

START_TEST(migrate_relay)
{
    char msg[2048], sub[160], path[1024], out[4096], at_file[128];
    insert(1, 100);
    rows_eq(100);
    master_pos();                                      /* migrate to the current end */
    snprintf(at_file, sizeof at_file, "%s", g_file);
    ck_assert_uint_gt(g_pos, 4);

    ck_assert(!migrate("not-a-binlog", 4, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "[code=30004:class=relay-unit:scope=internal:level=high] "
                              "relay-binlog-name not-a-binlog not valid"), "%s", msg);
    ck_assert(!migrate(at_file, 2, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "code=30004"));
    ck_assert_int_eq(relay_stage(NULL, 0), PB__STAGE__Running);

    ck_assert_msg(migrate(at_file, (unsigned)g_pos, msg, sizeof msg), "migrate: %s", msg);
    ck_assert_int_eq(relay_stage(sub, sizeof sub), PB__STAGE__Paused);   /* DM: stays Paused */
    ck_assert_str_eq(sub, "0-1.000002");
    snprintf(path, sizeof path, "%s/meta/relay_log/server-uuid.index", g_dir);
    ck_assert_int_eq(run(out, sizeof out, "cat %s", path), 0);
    ck_assert_str_eq(out, "0-1.000001\n0-1.000002\n");
    snprintf(path, sizeof path, "%s/meta/relay_log/0-1.000002/relay.meta", g_dir);
    ck_assert_int_eq(run(out, sizeof out, "cat %s", path), 0);
    char want[256];
    snprintf(want, sizeof want, "binlog-name = \"%s\"\nbinlog-pos = %llu\n", at_file, g_pos);
    ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);

    insert(1001, 50);                                   /* written after resume-relay */
    ck_assert_msg(resume_relay(msg, sizeof msg), "resume-relay: %s", msg);
    rows_eq(150);
    ck_assert_int_eq(relay_stage(NULL, 0), PB__STAGE__Running);
    Pb__QueryStatusResponse *st = query_status("rl");
    ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Running);
    protobuf_c_message_free_unpacked(&st->base, NULL);

    /* the new file: readable by mariadb-binlog, the dummy event fills [FDE end, pos) */
    snprintf(path, sizeof path, "%s/meta/relay_log/0-1.000002/%s", g_dir, at_file);
    ck_assert_int_eq(run(out, sizeof out, "mariadb-binlog --base64-output=decode-rows -v %s "
                         "2>&1 | grep -c '^### INSERT INTO `r`.`t`'", path), 0);
    ck_assert_str_eq(out, "50\n");
    ck_assert_int_eq(run(out, sizeof out, "mariadb-binlog %s 2>&1 | grep -c 'dummy query "
                         "generated by DM'", path), 0);
    ck_assert_str_eq(out, "1\n");
    ck_assert_int_eq(run(out, sizeof out, "mariadb-binlog %s 2>&1 | grep -a -m1 -o 'end_log_pos "
                         "%llu.*Query'", path, g_pos), 0);
    ck_assert_msg(out[0], "no dummy QUERY ending at %llu", g_pos);
    ck_assert_int_eq(run(out, sizeof out, "mariadb-binlog %s >/dev/null 2>&1; echo $?", path), 0);
    ck_assert_str_eq(out, "0\n");

    /* DM's relay position names: "<base>|<sub-dir suffix>.<seq>" picks the sub-directory */
    char suffixed[160], toml[2048];
    const char *dot = strrchr(at_file, '.');
    snprintf(suffixed, sizeof suffixed, "%.*s|000002%s", (int)(dot - at_file), at_file, dot);
    start_local("rl2", suffixed, g_pos);
    snprintf(suffixed, sizeof suffixed, "%.*s|000009%s", (int)(dot - at_file), at_file, dot);
    start_local("rl3", suffixed, g_pos);
    insert(2001, 10);
    rows_eq(160);
    ck_assert(wait_task_msg("rl3", "UUID suffix 000009 with UUIDs [0-1.000001 0-1.000002] not "
                            "found", toml, sizeof toml));
    ck_assert_msg(wait_plain_position("rl2", toml, sizeof toml), "rl2: %s", toml);
}
END_TEST

static void worker_toml(char *out, size_t cap, const char *source_id, const char *user)
{
    snprintf(out, cap, "worker-addr = \"127.0.0.1:%d\"\nsource-id = \"%s\"\nserver-id = 4242\n"
             "meta-dir = \"%s/meta\"\n[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"%s\"\n"
             "password = \"pw2\"\n", g_wport, source_id, g_dir, g_src, user);
}

static void worker_config_has(const char *want)
{
    Pb__QueryWorkerConfigRequest req = PB__QUERY_WORKER_CONFIG_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char det[256];
    ck_assert_int_eq(call("QueryWorkerConfig", &req.base, &resp, det, sizeof det), RPC_OK);
    Pb__QueryWorkerConfigResponse *r = (Pb__QueryWorkerConfigResponse *)resp;
    ck_assert_msg(strstr(r->content, want), "%s", r->content);
    protobuf_c_message_free_unpacked(resp, NULL);
}

START_TEST(update_relay_config)
{
    char msg[2048], toml[2048];
    insert(1, 100);
    rows_eq(100);
    ck_assert(!update_relay("source-id = [", msg, sizeof msg));
    ck_assert_msg(strstr(msg, "[code=40003:class=dm-worker:scope=internal:level=medium] toml "
                              "decode file"), "%s", msg);
    worker_toml(toml, sizeof toml, "other-source", "relay2");
    ck_assert(!update_relay(toml, msg, sizeof msg));
    ck_assert_str_eq(msg, "[code=40059:class=dm-worker:scope=internal:level=high] update source "
                          "ID is not allowed");

    sql(g_src, "CREATE USER relay2@'%%' IDENTIFIED BY 'pw2'");
    sql(g_src, "GRANT ALL ON *.* TO relay2@'%%'");
    worker_toml(toml, sizeof toml, "mysql-replica-01", "relay2");
    ck_assert_msg(update_relay(toml, msg, sizeof msg), "update-relay: %s", msg);
    ck_assert_int_eq(relay_stage(NULL, 0), PB__STAGE__Running);
    worker_config_has("user = \"relay2\"");
    insert(1001, 100);
    rows_eq(200);
    /* the relay's source stream now logs in as relay2 */
    ck_assert(wait_value(g_src, "SELECT COUNT(*) > 0 FROM information_schema.PROCESSLIST "
                         "WHERE USER = 'relay2' AND COMMAND LIKE 'Binlog Dump%'", "1", 10000));
    ck_assert(wait_value(g_src, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE "
                         "USER = 'root' AND COMMAND LIKE 'Binlog Dump%'", "0", 10000));

    stop_worker(SIGTERM);                               /* kept across a restart */
    spawn_worker();
    worker_config_has("user = \"relay2\"");
    insert(2001, 100);
    rows_eq(300);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay_ops");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, migrate_relay);
    tcase_add_test(tc, update_relay_config);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

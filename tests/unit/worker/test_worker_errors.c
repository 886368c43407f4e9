/* test_worker_errors.c - configuration mistakes give clear errors (issue "wrong passwords,
 * missing privileges, binlog_format=STATEMENT -> clear errors"): the real dm-worker against
 * two MariaDB sandboxes. Each case starts a subtask that cannot work and expects it Paused
 * at once (not retried for the 60 s connection-loss window, not auto-resumed) with a
 * message naming the side (source id / target address) and the MariaDB error, both in
 * QueryStatus (result.errors[0], ProcessError with TError) and QueryError (sync.errors[0]). */
#include "worker_e2e.h"
#include "testutil.h"

static void task_toml(char *out, size_t cap, const char *name, bool with_meta, const char *to_pw)
{
    char meta[512] = "";
    if (with_meta) {
        master_pos();
        snprintf(meta, sizeof meta, "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n", g_file,
                 g_pos);
    }
    snprintf(out, cap,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 2\n%s"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"%s\"\n"
             "[black-white-list]\ndo-dbs = [\"app\"]\n",
             name, meta, g_src, g_dst, to_pw);
}

static void setup(void)
{
    e2e_env_up();
    /* may read the binlog position, may not replicate */
    sql(g_src, "CREATE USER 'norepl'@'%%' IDENTIFIED BY 'pw'");
    sql(g_src, "GRANT SELECT, BINLOG MONITOR ON *.* TO 'norepl'@'%%'");
}

static void teardown(void)
{
    e2e_env_down();
}

/* (Re)start dm-worker with the given [from] credentials. */
static void worker_as(const char *user, const char *password)
{
    stop_worker(SIGTERM);
    g_from_user = user;
    g_from_password = password;
    spawn_worker();
}

static void must_contain(const char *s, const char *const *want)
{
    for (; *want; want++)
        ck_assert_msg(strstr(s, *want) != NULL, "'%s' not in: %s", *want, s);
}

/* Wait for `name` to be Paused by an error; check QueryStatus and QueryError; the error
 * must not be transient (still Paused after the checker's auto-resume delay). */
static void expect_paused(const char *name, int code, const char *const *want)
{
    Pb__QueryStatusResponse *st = NULL;
    Pb__QueryErrorRequest req = PB__QUERY_ERROR_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__QueryErrorResponse *qe;
    Pb__ProcessError *pe;
    char det[512], term[64];
    long long t0 = tu_now_ms(), end = t0 + 15000;
    int pass;
    for (pass = 0; pass < 2; pass++) {
        for (;;) {
            st = query_status(name);
            ck_assert_uint_eq(st->n_subtaskstatus, 1);
            if (st->subtaskstatus[0]->stage == PB__STAGE__Paused || tu_now_ms() > end)
                break;
            protobuf_c_message_free_unpacked(&st->base, NULL);
            usleep(100000);
        }
        ck_assert_int_eq(st->subtaskstatus[0]->stage, PB__STAGE__Paused);
        if (pass == 0)
            fprintf(stderr, "%s: paused after %lld ms\n", name, tu_now_ms() - t0);
        ck_assert_ptr_nonnull(st->subtaskstatus[0]->result);
        ck_assert(!st->subtaskstatus[0]->result->iscanceled);
        ck_assert_uint_eq(st->subtaskstatus[0]->result->n_errors, 1);
        pe = st->subtaskstatus[0]->result->errors[0];
        ck_assert_ptr_nonnull(pe->error);
        ck_assert_int_eq(pe->error->errcode, code);
        must_contain(pe->error->message, want);
        snprintf(term, sizeof term, "[code=%d:", code);
        ck_assert_msg(strncmp(pe->msg, term, strlen(term)) == 0, "%s", pe->msg);
        must_contain(pe->msg, want);
        if (pass == 0)
            fprintf(stderr, "%s: %s\n", name, pe->msg);
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (pass == 0)
            usleep(1600000);   /* > checker delay (1 s): a transient error would have resumed */
    }
    req.name = (char *)name;
    ck_assert_int_eq(call("QueryError", &req.base, &resp, det, sizeof det), RPC_OK);
    qe = (Pb__QueryErrorResponse *)resp;
    ck_assert_uint_eq(qe->n_subtaskerror, 1);
    ck_assert_int_eq(qe->subtaskerror[0]->error_case, PB__SUB_TASK_ERROR__ERROR_SYNC);
    ck_assert_uint_eq(qe->subtaskerror[0]->sync->n_errors, 1);
    must_contain(qe->subtaskerror[0]->sync->errors[0]->msg, want);
    protobuf_c_message_free_unpacked(resp, NULL);
}

static void start_ok(const char *toml)
{
    char msg[2048];
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

static void stop_task(const char *name)
{
    char msg[2048];
    ck_assert_msg(operate(name, PB__TASK_OP__Stop, msg, sizeof msg), "stop: %s", msg);
}

/* (a) wrong source password: found when the start position is read (no [meta]). */
START_TEST(source_wrong_password)
{
    static const char *const want[] = { "source mysql-replica-01", "Error 1045",
                                        "Access denied for user 'root'", "[from]", NULL };
    char toml[4096];
    worker_as("root", "wrong-password");
    task_toml(toml, sizeof toml, "srcpw", false, "");
    start_ok(toml);
    expect_paused("srcpw", 10001, want);
    stop_task("srcpw");
}
END_TEST

/* (b) a source user without REPLICATION SLAVE: refused at the binlog dump (Connector/C
 * reports the refused COM_REGISTER_SLAVE as 1045 without text; the hint names the privilege). */
START_TEST(source_without_replication_slave)
{
    static const char *const want[] = { "source mysql-replica-01", "open binlog stream",
                                        "refused by the source", "REPLICATION SLAVE", NULL };
    char toml[4096];
    worker_as("norepl", "pw");
    task_toml(toml, sizeof toml, "srcpriv", true, "");
    start_ok(toml);
    expect_paused("srcpriv", 10001, want);
    stop_task("srcpriv");
}
END_TEST

/* (d) wrong target password. */
START_TEST(target_wrong_password)
{
    static const char *const want[] = { "target 127.0.0.1:", "connect as 'root'", "Error 1045",
                                        "Access denied", "target-database", NULL };
    char toml[4096];
    worker_as("root", "");
    task_toml(toml, sizeof toml, "dstpw", true, "wrong-password");
    start_ok(toml);
    expect_paused("dstpw", 10001, want);
    stop_task("dstpw");
}
END_TEST

/* (c) binlog_format=STATEMENT on the source: DDL replicates, the first statement-format
 * DML pauses the subtask (36014) instead of being skipped; nothing after it is applied. */
START_TEST(statement_binlog_format)
{
    static const char *const want[] = { "only support ROW format binlog",
                                        "INSERT INTO app.t VALUES (2", NULL };
    char toml[4096], v[64];
    worker_as("root", "");
    sql(g_src, "CREATE DATABASE app");
    sql(g_src, "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)");
    task_toml(toml, sizeof toml, "stmt", true, "");
    sql(g_dst, "CREATE DATABASE app");
    sql(g_dst, "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)");
    start_ok(toml);
    sql(g_src, "INSERT INTO app.t VALUES (1, 1)");          /* ROW */
    ck_assert(wait_value(g_dst, "SELECT COUNT(*) FROM app.t", "1", 15000));
    sql(g_src, "SET GLOBAL binlog_format = 'STATEMENT'");
    sql(g_src, "INSERT INTO app.t VALUES (2, 2)");          /* new session: STATEMENT */
    sql(g_src, "SET GLOBAL binlog_format = 'ROW'");
    sql(g_src, "INSERT INTO app.t VALUES (3, 3)");
    expect_paused("stmt", 36014, want);
    value(g_dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM app.t", v, sizeof v);
    ck_assert_str_eq(v, "1");
    stop_task("stmt");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_errors");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, source_wrong_password);
    tcase_add_test(tc, source_without_replication_slave);
    tcase_add_test(tc, target_wrong_password);
    tcase_add_test(tc, statement_binlog_format);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

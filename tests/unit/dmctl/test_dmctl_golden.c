/* test_dmctl_golden.c - the real dmctl binary ($DMGW_BUILD_DIR/bin/dmctl) against an
 * in-process scripted pb.Master: stdout byte for byte against
 * tests/data/dmctl/golden/<case>.out, the exit status, which RPC was made and its
 * request (compact JSON), or that no RPC was made for local argument errors.
 * DMCTL_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
 * `test_dmctl_golden --serve <portfile>` only runs the scripted master (used by
 * tests/integration/dmctl_interactive.sh) until SIGTERM. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dmctl.h"
#include "dmctl_master.h"
#include "testutil.h"

struct gcase {
    const char *name;    /* golden file tests/data/dmctl/golden/<name>.out */
    const char *args;    /* dmctl arguments; "$M" = the scripted master's address */
    const char *method;  /* the RPC that must be made, NULL = none at all */
    const char *request; /* its exact compact-JSON request, NULL = not checked */
    int status;          /* exit status */
    const char *resp;    /* canned response of `method` for this case, NULL = default */
};

#define M "-master-addr $M "
#define NOW_WORKERS "\"workers\":[]"

static const struct gcase cases[] = {
    /* ---- task commands ---- */
    {"start_task", M "start-task task.yaml", "StartTask",
     "{\"task\":\"name: test\\ntask-mode: all\\n\"," NOW_WORKERS "}", 0, NULL},
    {"start_task_workers", M "start-task -w 127.0.0.1:8262,127.0.0.1:8263 task.yaml", "StartTask",
     "{\"task\":\"name: test\\ntask-mode: all\\n\",\"workers\":[\"127.0.0.1:8262\",\"127.0.0.1:8263\"]}",
     0, NULL},
    {"start_task_check_fail", M "start-task task.yaml", "StartTask", NULL, 1,
     "{\"result\": false, \"msg\": \"[code=26005:class=dm-master:scope=internal:level=medium] "
     "fail to check synchronization configuration with type: check was failed, please see "
     "detail\\n\\tdetail: {\\n\\t\\\"results\\\": []\\n}\", \"workers\": []}"},
    {"start_task_nofile", M "start-task nosuch.yaml", NULL, NULL, 1, NULL},
    /* gwharden: protobuf-c ends a string at NUL, so the rest was cut silently */
    {"start_task_nul", M "start-task task_nul.yaml", NULL, NULL, 1, NULL},
    {"start_task_usage", M "start-task", NULL, NULL, 1, NULL},
    {"pause_task", M "pause-task test", "OperateTask",
     "{\"op\":\"Pause\",\"name\":\"test\"," NOW_WORKERS "}", 0, NULL},
    {"stop_task", M "stop-task -w 127.0.0.1:8262 test", "OperateTask",
     "{\"op\":\"Stop\",\"name\":\"test\",\"workers\":[\"127.0.0.1:8262\"]}", 0,
     "{\"op\": \"Stop\", \"result\": true, \"msg\": \"\", \"workers\": []}"},
    {"resume_task", M "resume-task --worker=w1 -w w2 test", "OperateTask",
     "{\"op\":\"Resume\",\"name\":\"test\",\"workers\":[\"w1\",\"w2\"]}", 1,
     "{\"op\": \"Resume\", \"result\": false, \"msg\": \"task test has no workers or not exist\", "
     "\"workers\": []}"},
    {"pause_task_rpc_error", M "pause-task test", "OperateTask", NULL, 1, "!14:connection refused"},
    {"check_task", M "check-task task.yaml", "CheckTask",
     "{\"task\":\"name: test\\ntask-mode: all\\n\"}", 0, NULL},
    {"update_task", M "update-task task.yaml", "UpdateTask", NULL, 0, NULL},
    {"query_status_condensed", M "query-status", "QueryStatus", "{\"name\":\"\"," NOW_WORKERS "}",
     0, NULL},
    {"query_status_more", M "query-status --more", "QueryStatus", NULL, 0, NULL},
    {"query_status_task", M "query-status test", "QueryStatus",
     "{\"name\":\"test\"," NOW_WORKERS "}", 0, NULL},
    {"query_status_false", M "query-status", "QueryStatus", NULL, 1,
     "{\"result\": false, \"msg\": \"task nosuch has no workers or not exist\"}"},
    {"query_status_usage", M "query-status a b", NULL, NULL, 1, NULL},
    {"query_error", M "query-error -w 127.0.0.1:8262 test", "QueryError",
     "{\"name\":\"test\",\"workers\":[\"127.0.0.1:8262\"]}", 0, NULL},
    {"query_error_rpc_error", M "query-error -w w1 test", "QueryError", NULL, 1, "!2:boom"},
    {"refresh_worker_tasks", M "refresh-worker-tasks", "RefreshWorkerTasks", "{}", 0, NULL},
    /* ---- sql-* ---- */
    {"sql_skip_pos", M "sql-skip -w 127.0.0.1:8262 -b mysql-bin|000001.000003:3270 test",
     "HandleSQLs",
     "{\"name\":\"test\",\"op\":\"SKIP\",\"args\":[],\"binlogPos\":\"mysql-bin|000001.000003:3270\","
     "\"worker\":\"127.0.0.1:8262\",\"sqlPattern\":\"\",\"sharding\":false}", 0, NULL},
    {"sql_skip_sharding", M "sql-skip -w w1 --sharding -s '~(?i)ALTER\\s+TABLE' test", "HandleSQLs",
     "{\"name\":\"test\",\"op\":\"SKIP\",\"args\":[],\"binlogPos\":\"\",\"worker\":\"\","
     "\"sqlPattern\":\"~(?i)ALTER\\\\s+TABLE\",\"sharding\":true}", 0, NULL},
    {"sql_skip_both", M "sql-skip -w w1 -b f:1 -s x test", NULL, NULL, 1, NULL},
    {"sql_skip_neither", M "sql-skip -w w1 test", NULL, NULL, 1, NULL},
    {"sql_skip_bad_pos", M "sql-skip -w w1 -b mysql-bin.000001 test", NULL, NULL, 1, NULL},
    {"sql_skip_bad_pos_num", M "sql-skip -w w1 --binlog-pos=f:x1 test", NULL, NULL, 1, NULL},
    {"sql_skip_sharding_pos", M "sql-skip --sharding -b f:1 test", NULL, NULL, 1, NULL},
    {"sql_skip_two_workers", M "sql-skip -w a,b -b f:1 test", NULL, NULL, 1, NULL},
    {"sql_skip_usage", M "sql-skip -w a -b f:1", NULL, NULL, 1, NULL},
    {"sql_replace", M "sql-replace -w w1 -s \"ALTER TABLE t ADD c INT\" test "
                      "\"ALTER TABLE t ADD c BIGINT; alter table t\" \"add d int;\"",
     "HandleSQLs",
     "{\"name\":\"test\",\"op\":\"REPLACE\",\"args\":[\"ALTER TABLE t ADD c BIGINT;\","
     "\"alter table t add d int;\"],\"binlogPos\":\"\",\"worker\":\"w1\","
     "\"sqlPattern\":\"ALTER TABLE t ADD c INT\",\"sharding\":false}", 0, NULL},
    {"sql_replace_bad_sql", M "sql-replace -w w1 -b f:1 test \"ALTER TABLE 't\"", NULL, NULL, 1,
     NULL},
    {"sql_inject", M "sql-inject -w w1 test \"alter table t add column c int;\"", "HandleSQLs",
     "{\"name\":\"test\",\"op\":\"INJECT\",\"args\":[\"alter table t add column c int;\"],"
     "\"binlogPos\":\"\",\"worker\":\"w1\",\"sqlPattern\":\"\",\"sharding\":false}", 0, NULL},
    {"sql_inject_not_ddl", M "sql-inject -w w1 test \"alter table t add c int; insert into t "
                             "values (1);\"", NULL, NULL, 1, NULL},
    {"sql_inject_no_worker", M "sql-inject test \"alter table t add c int;\"", NULL, NULL, 1, NULL},
    /* ---- DDL locks ---- */
    {"show_ddl_locks", M "show-ddl-locks test", "ShowDDLLocks",
     "{\"task\":\"test\"," NOW_WORKERS "}", 0, NULL},
    {"unlock_ddl_lock", M "unlock-ddl-lock -o 127.0.0.1:8263 -f test-`db`.`tbl`", "UnlockDDLLock",
     "{\"ID\":\"test-`db`.`tbl`\",\"replaceOwner\":\"127.0.0.1:8263\"," NOW_WORKERS
     ",\"forceRemove\":true}", 0, NULL},
    {"unlock_ddl_lock_rpc_error", M "unlock-ddl-lock -w w1 id1", "UnlockDDLLock", NULL, 1,
     "!4:Deadline Exceeded"},
    {"break_ddl_lock", M "break-ddl-lock -w w1 test -i id1 -e", "BreakWorkerDDLLock",
     "{\"workers\":[\"w1\"],\"task\":\"test\",\"removeLockID\":\"id1\",\"execDDL\":true,"
     "\"skipDDL\":false}", 0, NULL},
    {"break_ddl_lock_no_worker", M "break-ddl-lock test --skip", NULL, NULL, 1, NULL},
    {"break_ddl_lock_nothing", M "break-ddl-lock -w w1 test", NULL, NULL, 1, NULL},
    {"break_ddl_lock_exec_skip", M "break-ddl-lock -w w1 test -es", NULL, NULL, 1, NULL},
    /* ---- relay ---- */
    {"switch_relay_master", M "switch-relay-master -w w1", "SwitchWorkerRelayMaster",
     "{\"workers\":[\"w1\"]}", 0, NULL},
    {"switch_relay_master_no_worker", M "switch-relay-master", NULL, NULL, 1, NULL},
    {"pause_relay", M "pause-relay -w w1", "OperateWorkerRelayTask",
     "{\"op\":\"PauseRelay\",\"workers\":[\"w1\"]}", 0, NULL},
    {"resume_relay", M "resume-relay -w w1", "OperateWorkerRelayTask",
     "{\"op\":\"ResumeRelay\",\"workers\":[\"w1\"]}", 0, NULL},
    {"resume_relay_no_worker", M "resume-relay", NULL, NULL, 1, NULL},
    {"pause_relay_usage", M "pause-relay -w w1 extra", NULL, NULL, 1, NULL},
    {"update_master_config", M "update-master-config master.toml", "UpdateMasterConfig",
     "{\"config\":\"master-addr = \\\":8261\\\"\\nrpc-timeout = \\\"10m\\\"\\n\"}", 0, NULL},
    {"update_relay", M "update-relay -w w1 relay.toml", "UpdateWorkerRelayConfig",
     "{\"config\":\"worker-id = \\\"w1\\\"\\n\",\"worker\":\"w1\"}", 0, NULL},
    {"update_relay_two_workers", M "update-relay -w w1 -w w2 relay.toml", NULL, NULL, 1, NULL},
    {"purge_relay_warn", M "purge-relay -w w1 -f \"mysql-bin.000003\"", "PurgeWorkerRelay",
     "{\"workers\":[\"w1\"],\"inactive\":false,\"time\":\"0\",\"filename\":\"mysql-bin.000003\","
     "\"subDir\":\"\"}", 0, NULL},
    {"purge_relay_subdir", M "purge-relay -w w1 --filename mysql-bin.000003 --sub-dir \"\\\"u.000001\\\"\"",
     "PurgeWorkerRelay",
     "{\"workers\":[\"w1\"],\"inactive\":false,\"time\":\"0\",\"filename\":\"mysql-bin.000003\","
     "\"subDir\":\"u.000001\"}", 0, NULL},
    {"purge_relay_two_workers", M "purge-relay -w w1,w2 -f mysql-bin.000003", NULL, NULL, 1, NULL},
    {"purge_relay_no_worker", M "purge-relay -f mysql-bin.000003", NULL, NULL, 1, NULL},
    {"migrate_relay", M "migrate-relay w1 mysql-bin.000002 1234", "MigrateWorkerRelay",
     "{\"BinlogName\":\"mysql-bin.000002\",\"BinlogPos\":1234,\"worker\":\"w1\"}", 0, NULL},
    {"migrate_relay_usage", M "migrate-relay w1 mysql-bin.000002", NULL, NULL, 1, NULL},
    /* ---- cobra-level and global ---- */
    {"unknown_flag", M "pause-task --foo test", NULL, NULL, 1, NULL},
    {"flag_needs_arg", M "unlock-ddl-lock id -o", NULL, NULL, 1, NULL},
    {"command_help", M "pause-task --help", NULL, NULL, 0, NULL},
    {"help_command", M "help sql-skip", NULL, NULL, 0, NULL},
    {"help_root", M "help", NULL, NULL, 0, NULL},
    {"no_args", "", NULL, NULL, 0, NULL},
    {"no_master", "query-status", NULL, NULL, 2, NULL},
    {"no_master_help", "query-status -h", NULL, NULL, 0, NULL},
    {"bad_global_flag", "-foo x query-status", NULL, NULL, 2, NULL},
    {"bad_rpc_timeout", M "-rpc-timeout 10 query-status", NULL, NULL, 2, NULL},
    {"two_commands", M "query-status pause-task", NULL, NULL, 1, NULL},
    {"bad_master_addr", "-master-addr nohost query-status", NULL, NULL, 2, NULL},
};

static char *g_dmctl, *g_data, *g_tmp;

/* Spawn dmctl with `args` in the data dir; stdout/stderr captured. */
static int run_dmctl(const char *args, char **out, char **err)
{
    char addr[64], *line = NULL, **argv = NULL;
    int argc = 0, status = -1;
    snprintf(addr, sizeof addr, "127.0.0.1:%d", sm.port);
    struct dm_buf b;
    dm_buf_init(&b, 1 << 20);
    for (const char *p = args; *p; p++) {
        if (p[0] == '$' && p[1] == 'M') {
            dm_buf_adds(&b, addr);
            p++;
        } else {
            dm_buf_addc(&b, *p);
        }
    }
    line = dm_buf_take(&b);
    ck_assert_int_eq(dmctl_split_line(line, &argc, &argv), DM_OK);
    char **full = calloc((size_t)argc + 2, sizeof *full);
    full[0] = g_dmctl;
    for (int i = 0; i < argc; i++)
        full[i + 1] = argv[i];
    char opath[512], epath[512];
    snprintf(opath, sizeof opath, "%s/out", g_tmp);
    snprintf(epath, sizeof epath, "%s/err", g_tmp);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || chdir(g_data) != 0)
            _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        execv(g_dmctl, full);
        _exit(127);
    }
    int ws = 0;
    if (pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
        status = WEXITSTATUS(ws);
    *out = tu_read_file(opath, NULL);
    *err = tu_read_file(epath, NULL);
    free(full);
    dmctl_argv_free(argc, argv);
    free(line);
    return status;
}

static void load_default_responses(void)
{
    for (unsigned i = 0; i < pb__master__descriptor.n_methods; i++) {
        char rel[256];
        const char *name = pb__master__descriptor.methods[i].name;
        snprintf(rel, sizeof rel, "tests/data/dmctl/responses/%s.json", name);
        char *json = tu_read_source_file(rel, NULL);
        sm_set(name, json);
        free(json);
    }
}

START_TEST(golden_case)
{
    const struct gcase *gc = &cases[_i];
    load_default_responses();
    if (gc->resp)
        sm_set(gc->method, gc->resp);
    sm_reset_calls(0);
    char *out = NULL, *err = NULL;
    int status = run_dmctl(gc->args, &out, &err);
    ck_assert_msg(out != NULL, "%s: no stdout", gc->name);
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/dmctl/golden/%s.out", gc->name);
    if (getenv("DMCTL_UPDATE_GOLDEN")) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", tu_source_dir(), rel);
        tu_write_file(path, out, strlen(out));
    }
    char *want = tu_read_source_file(rel, NULL);
    ck_assert_msg(want != NULL, "%s: missing golden %s", gc->name, rel);
    ck_assert_msg(!strcmp(out, want), "%s: stdout differs\n--- got ---\n%s--- want ---\n%s"
                  "--- stderr ---\n%s", gc->name, out, want, err ? err : "");
    ck_assert_msg(status == gc->status, "%s: exit %d, want %d (stderr %s)", gc->name, status,
                  gc->status, err ? err : "");
    pthread_mutex_lock(&sm.mu);
    int calls = sm.calls;
    char method[64], *request = sm.last_request ? strdup(sm.last_request) : NULL;
    snprintf(method, sizeof method, "%s", sm.last_method);
    pthread_mutex_unlock(&sm.mu);
    if (!gc->method) {
        ck_assert_msg(calls == 0, "%s: unexpected RPC %s", gc->name, method);
    } else {
        ck_assert_msg(calls == 1, "%s: %d RPCs", gc->name, calls);
        ck_assert_str_eq(method, gc->method);
        if (gc->request)
            ck_assert_msg(request && !strcmp(request, gc->request),
                          "%s: request\n got %s\nwant %s", gc->name, request, gc->request);
    }
    free(request);
    free(want);
    free(out);
    free(err);
}
END_TEST

/* Cobra's error chatter goes to stderr (and DM's root usage to stdout). */
START_TEST(stderr_of_cobra_errors)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(run_dmctl(M "pause-task --foo t", &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "Error: unknown flag: --foo\nUsage:\n  dmctl pause-task"));
    free(out);
    free(err);
    ck_assert_int_eq(run_dmctl(M "nosuch-cmd", &out, &err), 2);
    ck_assert_str_eq(out, "parse cmd flags err: 'nosuch-cmd' is an invalid flag\n");
    free(out);
    free(err);
    ck_assert_int_eq(run_dmctl(M "-x query-status", &out, &err), 2);
    ck_assert_str_eq(err, "flag provided but not defined: -x\n");
    free(out);
    free(err);
}
END_TEST

/* -rpc-timeout is the deadline of query-status (and only of it, as in DM). */
START_TEST(rpc_timeout_applies_to_query_status)
{
    char *out = NULL, *err = NULL;
    load_default_responses();
    sm_reset_calls(1500);
    long long t0 = tu_now_ms();
    ck_assert_int_eq(run_dmctl(M "-rpc-timeout=300ms query-status test", &out, &err), 1);
    ck_assert_int_lt(tu_now_ms() - t0, 1400);
    ck_assert_msg(!strncmp(out, "can not query test task's status(in workers []):\n"
                                "rpc error: code = DeadlineExceeded desc = ", 90), "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(run_dmctl(M "-rpc-timeout=300ms pause-task test", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"op\": \"Pause\""));
    free(out);
    free(err);
    sm_reset_calls(0);
}
END_TEST

/* -config dmctl.toml gives master-addr and rpc-timeout; flags win over the file. */
START_TEST(config_file)
{
    char path[512], text[256], *out = NULL, *err = NULL;
    snprintf(path, sizeof path, "%s/dmctl.toml", g_tmp);
    snprintf(text, sizeof text, "# dmctl\nrpc-timeout = \"1m\"\nmaster-addr = \"127.0.0.1:%d\"\n",
             sm.port);
    tu_write_file(path, text, strlen(text));
    load_default_responses();
    sm_reset_calls(0);
    char args[1024];
    snprintf(args, sizeof args, "-config %s pause-task test", path);
    ck_assert_int_eq(run_dmctl(args, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"logID\": \"2\""));
    free(out);
    free(err);
    snprintf(args, sizeof args, "--config=%s -master-addr 127.0.0.1:1 pause-task test", path);
    ck_assert_int_eq(run_dmctl(args, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(out, "can not pause task test:\nrpc error: code = Unavailable"));
    free(out);
    free(err);
}
END_TEST

/* -encrypt prints a fresh base64 cipher each time; -decrypt inverts it; spec vectors. */
START_TEST(encrypt_decrypt)
{
    char *out = NULL, *err = NULL, *c1 = NULL, args[512];
    ck_assert_int_eq(run_dmctl("-encrypt 123456", &c1, &err), 0);
    free(err);
    ck_assert_int_eq(run_dmctl("--encrypt=123456", &out, &err), 0);
    ck_assert_str_ne(out, c1);
    ck_assert_uint_eq(strlen(c1), 33); /* base64(16 + 1 + 6) + '\n' */
    free(out);
    free(err);
    c1[strlen(c1) - 1] = 0;
    snprintf(args, sizeof args, "-decrypt %s", c1);
    ck_assert_int_eq(run_dmctl(args, &out, &err), 0);
    ck_assert_str_eq(out, "123456\n");
    free(out);
    free(err);
    free(c1);
    ck_assert_int_eq(run_dmctl("-decrypt Up8156jArvIPymkVC+5LxkAT6rek", &out, &err), 0);
    ck_assert_str_eq(out, "1234\n");
    free(out);
    free(err);
    ck_assert_int_eq(run_dmctl("--decrypt /Q7B9DizNLLTTfiZHv9WoEAKamfpIUs=", &out, &err), 0);
    ck_assert_str_eq(out, "123456\n");
    free(out);
    free(err);
    ck_assert_int_eq(run_dmctl("-decrypt bm90LWEtY2lwaGVy", &out, &err), 1);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(version_banner)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(run_dmctl("-V", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "Release Version: v"));
    const char *keys[] = {"Release Version: ", "\nGit Commit Hash: ", "\nGit Branch: ",
                          "\nUTC Build Time: ", "\nGo Version: C17 ("};
    const char *p = out;
    for (size_t i = 0; i < 5; i++) {
        p = strstr(p, keys[i]);
        ck_assert_msg(p != NULL, "missing %s in %s", keys[i], out);
    }
    size_t n = strlen(out);
    ck_assert_str_eq(out + n - 2, "\n\n"); /* fmt.Println of a text ending in '\n' */
    free(out);
    free(err);
}
END_TEST

static volatile sig_atomic_t g_stop;
static void on_term(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* --serve <portfile>: scripted master only, until SIGTERM/SIGINT. */
static int serve(const char *portfile)
{
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    load_default_responses();
    char text[32];
    int n = snprintf(text, sizeof text, "%d\n", sm.port);
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
    if (tu_write_file(tmp, text, (size_t)n) != 0 || rename(tmp, portfile) != 0)
        return 1;
    while (!g_stop)
        pause();
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 1;
    if (rpc_global_init() != DM_OK || sm_start() != DM_OK) {
        fprintf(stderr, "cannot start the scripted master\n");
        return EXIT_FAILURE;
    }
    if (argc == 3 && !strcmp(argv[1], "--serve")) {
        failed = serve(argv[2]);
        goto out;
    }
    if (asprintf(&g_dmctl, "%s/bin/dmctl", tu_build_dir()) < 0 ||
        asprintf(&g_data, "%s/tests/data/dmctl", tu_source_dir()) < 0)
        goto out;
    g_tmp = tu_mkdtemp();
    setenv("HOME", g_tmp, 1);
    Suite *s = suite_create("dmctl_golden");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, golden_case, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, stderr_of_cobra_errors);
    tcase_add_test(tc, rpc_timeout_applies_to_query_status);
    tcase_add_test(tc, config_file);
    tcase_add_test(tc, encrypt_decrypt);
    tcase_add_test(tc, version_banner);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    tu_rmrf(g_tmp);
    free(g_tmp);
out:
    sm_stop();
    rpc_global_shutdown();
    free(g_dmctl);
    free(g_data);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_all_bad_input.c - task-mode full with bad input (real dm-worker, real MariaDB, the
 * packaged mydumper); each case ends in a clear error naming what is wrong, never a
 * partial silent load (a row violating a target constraint: test_worker_all.c):
 *   - a task name unsafe for a directory name: StartSubTask refuses it;
 *   - an unwritable dump directory: Paused in Dump, query-status and query-error name
 *     the directory;
 *   - a source table dropped after the worker listed the tables, before mydumper's
 *     snapshot: the dump goes on without it (rightly absent), the rest loads equal;
 *   - the target going away in the middle of the Load: Paused with an error naming the
 *     data file, auto-resume continues from the loader checkpoint once the target is
 *     back, and the target ends equal (count + checksum, no row doubled);
 *   - a source table dropped while mydumper dumps (its chunk files appearing), with
 *     mydumper's defaults and with --use-savepoints: either the DROP waits for the dump's
 *     metadata locks and the table arrives whole as of the snapshot, or mydumper fails
 *     naming the table, the task pauses in Dump with nothing loaded and a resume dumps
 *     again without it (absent); never partly loaded. */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE d");
    sql(g_src, "CREATE TABLE d.t (id INT PRIMARY KEY, s VARCHAR(60), n INT NULL)");
    sql(g_src, "INSERT INTO d.t SELECT seq, CONCAT('row ', seq, ' ', MD5(seq)), "
               "IF(seq %% 7 = 0, NULL, seq) FROM d.seq_1_to_4000");
    sql(g_src, "CREATE TABLE d.nokey (a INT, b VARCHAR(10))");
    sql(g_src, "INSERT INTO d.nokey SELECT seq %% 10, 'dup' FROM d.seq_1_to_300");
    sql(g_src, "CREATE TABLE d.gone (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO d.gone VALUES (1), (2)");
    for (int i = 0; i < 2; i++) {   /* x: default mydumper, y: --use-savepoints */
        sql(g_src, "CREATE DATABASE %s", i ? "y" : "x");
        sql(g_src, "CREATE TABLE %s.big (id INT PRIMARY KEY, v INT)", i ? "y" : "x");
        sql(g_src, "INSERT INTO %s.big SELECT seq, seq * 7 FROM d.seq_1_to_9000", i ? "y" : "x");
        sql(g_src, "CREATE TABLE %s.t (id INT PRIMARY KEY, s VARCHAR(20))", i ? "y" : "x");
        sql(g_src, "INSERT INTO %s.t SELECT seq, CONCAT('t', seq) FROM d.seq_1_to_300",
            i ? "y" : "x");
    }
    sql(g_src, "CREATE DATABASE u");
    sql(g_src, "CREATE TABLE u.t (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO u.t VALUES (1)");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "300", 1);   /* a Load of ~6 s: the target stops within it */
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

/* Wait until the subtask is Paused in `unit` with an error containing every needle. */
static bool wait_paused_with(const char *name, int unit, const char *n1, const char *n2, int ms,
                             char *err, size_t cap)
{
    long long end = tu_now_ms() + ms;
    int stage;
    do {
        int u = unit_now(name, &stage, err, cap);
        if (u == unit && stage == PB__STAGE__Paused && strstr(err, n1) && (!n2 || strstr(err, n2)))
            return true;
        usleep(50000);
    } while (tu_now_ms() < end);
    fprintf(stderr, "last error of %s: %s\n", name, err);
    return false;
}

START_TEST(unsafe_task_name_refused)
{
    char toml[4096], msg[2048];
    task_toml(toml, sizeof toml, "../x/y", "full", "u", NULL);
    ck_assert(!start_task(toml, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "task name '../x/y'") && strstr(msg, "contains /"), "%s", msg);
}
END_TEST

START_TEST(unwritable_dump_dir)
{
    char toml[4096], msg[2048], path[512];
    Pb__QueryErrorRequest req = PB__QUERY_ERROR_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    Pb__QueryErrorResponse *qe;
    /* the dump directory's parent is a regular file: no directory can be made there */
    snprintf(path, sizeof path, "%s/dumped_data.nodir", g_dir);
    ck_assert_int_eq(tu_write_file(path, "x", 1), 0);
    task_toml(toml, sizeof toml, "nodir", "full", "u", NULL);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert(wait_paused_with("nodir", PB__UNIT_TYPE__Dump, "cannot create the dump directory",
                               path, 30000, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "Not a directory"), "%s", msg);
    req.name = (char *)"nodir";
    ck_assert_int_eq(call("QueryError", &req.base, &resp, msg, sizeof msg), RPC_OK);
    qe = (Pb__QueryErrorResponse *)resp;
    ck_assert_int_eq((int)qe->n_subtaskerror, 1);
    ck_assert_ptr_nonnull(qe->subtaskerror[0]->dump);
    ck_assert_ptr_nonnull(strstr(qe->subtaskerror[0]->dump->msg, path));
    protobuf_c_message_free_unpacked(resp, NULL);
    usleep(3000000);   /* not transient: still Paused after the checker's backoff */
    ck_assert_int_eq(unit_now("nodir", NULL, NULL, 0), PB__UNIT_TYPE__Dump);
    ck_assert(wait_paused_with("nodir", PB__UNIT_TYPE__Dump, path, NULL, 1000, msg, sizeof msg));
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='u'", msg,
          sizeof msg);
    ck_assert_str_eq(msg, "0");   /* nothing loaded */
    ck_assert(operate("nodir", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* d.gone dropped between the worker's table listing and mydumper's snapshot, then the
 * target stops in the middle of the Load of d.t */
START_TEST(dropped_table_then_target_lost_mid_load)
{
    char toml[4096], msg[2048], path[512], extra[700], body[700], a[64];
    long long end;
    bool lost = false;
    snprintf(path, sizeof path, "%s/drop-mydumper", g_dir);
    snprintf(body, sizeof body,
             "mariadb -h127.0.0.1 -P%d -uroot -e 'DROP TABLE IF EXISTS d.gone' || exit 9\n"
             "exec \"$REAL\" \"$@\"", g_src);
    fake_mydumper(path, body);
    snprintf(extra, sizeof extra, "mydumper-path = \"%s\"\n", path);
    task_toml(toml, sizeof toml, "lost", "full", "d", extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_unit("lost", PB__UNIT_TYPE__Load, PB__STAGE__Running, 60000),
                  "never reached Load");
    ck_assert_int_eq(sandbox("stop", "dst", 0, 0), 0);
    /* Paused (then auto-resumed and paused again while the target is down): the error
     * names the target, the first one the data file being loaded */
    snprintf(body, sizeof body, "target 127.0.0.1:%d", g_dst);
    end = tu_now_ms() + 30000;
    while (!lost && tu_now_ms() < end) {
        int stage, unit = unit_now("lost", &stage, msg, sizeof msg);
        lost = unit == PB__UNIT_TYPE__Load && stage == PB__STAGE__Paused && msg[0];
        if (!lost)
            usleep(20000);
    }
    ck_assert_msg(lost, "not paused after the target went away");
    fprintf(stderr, "target lost: %s\n", msg);
    ck_assert_msg(strstr(msg, "file d.t.") || strstr(msg, "file d.nokey.") || strstr(msg, body),
                  "%s", msg);
    snprintf(path, sizeof path, "%s/worker.log", g_dir);
    {
        char *log = tu_read_file(path, NULL), *hit;
        ck_assert_ptr_nonnull(log);
        hit = strstr(log, "\"subtask paused by error\",\"task\":\"lost\",\"error\":\"file d.");
        ck_assert_msg(hit && strstr(hit, "Error 20"), "no pause naming the data file in the log");
        free(log);
    }
    usleep(3000000);   /* auto-resume tries while the target is down */
    ck_assert_int_eq(sandbox("start", "dst", g_dst, 2), 0);
    ck_assert_msg(wait_unit("lost", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000),
                  "the Load did not finish after the target came back");
    assert_table_equal("d", "t", 4000);
    assert_table_equal("d", "nokey", 300);
    value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='d' AND "
                 "TABLE_NAME='gone'", a, sizeof a);
    ck_assert_str_eq(a, "0");   /* dropped before the snapshot: rightly absent */
    ck_assert(operate("lost", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* A mydumper wrapper: when the table <db>.big has a data file (chunk 1 with --rows; with
 * savepoints --rows is left out, since mydumper 0.10.1 turns savepoints off for chunked
 * tables), mydumper is stopped, DROP TABLE <db>.big is sent, and mydumper continues 0.3 s
 * later (the DROP is queued for the table's metadata lock by then). */
static void dropping_mydumper(const char *path, const char *db, bool savepoints)
{
    char body[1500];
    snprintf(body, sizeof body,
             "OUT=; prev=\n"
             "for a in \"$@\"; do [ \"$prev\" = --outputdir ] && OUT=$a; prev=$a; done\n"
             "n=$#; skip=0\n"
             "for a in \"$@\"; do\n"
             "  if [ $skip = 1 ]; then skip=0\n"
             "  elif [ %d = 1 ] && [ \"$a\" = --rows ]; then skip=1\n"
             "  else set -- \"$@\" \"$a\"; fi\n"
             "done\n"
             "shift $n\n"
             "\"$REAL\" \"$@\" %s & P=$!\n"
             "while [ ! -e \"$OUT/%s.big.00001.sql\" ] && [ ! -e \"$OUT/%s.big.sql\" ] &&\n"
             "      kill -0 $P 2>/dev/null; do sleep 0.005; done\n"
             "kill -STOP $P\n"
             "mariadb -h127.0.0.1 -P%d -uroot -e 'DROP TABLE %s.big' & D=$!\n"
             "sleep 0.3; kill -CONT $P\n"
             "wait $P; rc=$?; wait $D; exit $rc",
             savepoints, savepoints ? "--use-savepoints" : "", db, db, g_src, db);
    fake_mydumper(path, body);
}

static void src_table_gone(const char *db)
{
    char a[64], q[256];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='%s' "
                          "AND TABLE_NAME='big'", db);
    value(g_src, q, a, sizeof a);
    ck_assert_str_eq(a, "0");
}

static void assert_big_whole(const char *db)
{
    char a[64], q[256];
    snprintf(q, sizeof q, "SELECT CONCAT(COUNT(*), '-', SUM(v)) FROM %s.big", db);
    value(g_dst, q, a, sizeof a);
    ck_assert_str_eq(a, "9000-283531500");   /* whole, as of the dump's snapshot */
}

/* The three right ends of a table dropped mid-dump: (a) the DROP waited for the dump's
 * metadata locks, the table arrives whole as of the snapshot; (b) the DROP came first
 * (before a thread read the table, or between its data and schema with savepoints):
 * mydumper fails naming the table, the task stays Paused in Dump with nothing loaded, and
 * a resume dumps again without it; (c) mydumper hung on the metadata lock queue, the stall
 * watchdog killed it and auto-resume dumped again without it. Never a partial table. */
static void expect_dropped_table_outcome(const char *task, const char *db)
{
    char msg[2048], a[64], q[256];
    int stage = -1, unit = -1;
    long long end;
    for (end = tu_now_ms() + 150000; tu_now_ms() < end; usleep(50000)) {
        unit = unit_now(task, &stage, msg, sizeof msg);
        if ((unit == PB__UNIT_TYPE__Dump && stage == PB__STAGE__Paused &&
             !strstr(msg, "no dump output")) ||
            (unit == PB__UNIT_TYPE__Load && stage == PB__STAGE__Finished))
            break;
    }
    src_table_gone(db);
    if (unit == PB__UNIT_TYPE__Dump && stage == PB__STAGE__Paused) {
        char want[64];
        fprintf(stderr, "%s: dropped mid-dump: %s\n", task, msg);
        snprintf(want, sizeof want, "%s.big", db);
        ck_assert_msg(strstr(msg, want) && strstr(msg, "exit status 1"), "%s", msg);
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                              "SCHEMA_NAME='%s'", db);
        value(g_dst, q, a, sizeof a);
        ck_assert_str_eq(a, "0");   /* nothing of the failed dump loaded */
        usleep(3000000);            /* not transient: still Paused in Dump */
        ck_assert_int_eq(unit_now(task, NULL, NULL, 0), PB__UNIT_TYPE__Dump);
        ck_assert(operate(task, PB__TASK_OP__Resume, msg, sizeof msg));
        ck_assert_msg(wait_unit(task, PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                      "%s: the resumed task did not finish", task);
    }
    ck_assert_msg(unit_now(task, &stage, msg, sizeof msg) == PB__UNIT_TYPE__Load &&
                      stage == PB__STAGE__Finished, "%s: unit/stage %d: %s", task, stage, msg);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='%s' "
                          "AND TABLE_NAME='big'", db);
    value(g_dst, q, a, sizeof a);
    if (strcmp(a, "0") == 0)
        fprintf(stderr, "%s: %s.big absent (dumped again without it)\n", task, db);
    else
        assert_big_whole(db);       /* present only whole */
    assert_table_equal(db, "t", 300);
    ck_assert(operate(task, PB__TASK_OP__Stop, msg, sizeof msg));
}

/* mydumper as DM runs it (chunks): its threads keep one transaction each for the whole
 * dump, so a DROP that comes after they read the table waits for them */
START_TEST(table_dropped_mid_dump)
{
    char toml[4096], msg[2048], path[512], extra[700];
    snprintf(path, sizeof path, "%s/drop-x-mydumper", g_dir);
    dropping_mydumper(path, "x", false);
    snprintf(extra, sizeof extra, "mydumper-path = \"%s\"\n", path);
    task_toml(toml, sizeof toml, "dropx", "full", "x", extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    expect_dropped_table_outcome("dropx", "x");
}
END_TEST

/* --use-savepoints: the table's lock is released after its data */
START_TEST(table_dropped_mid_dump_with_savepoints)
{
    char toml[4096], msg[2048], path[512], extra[700];
    snprintf(path, sizeof path, "%s/drop-y-mydumper", g_dir);
    dropping_mydumper(path, "y", true);
    snprintf(extra, sizeof extra, "mydumper-path = \"%s\"\n", path);
    task_toml(toml, sizeof toml, "dropy", "full", "y", extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    expect_dropped_table_outcome("dropy", "y");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("all_bad_input");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unsafe_task_name_refused);
    tcase_add_test(tc, unwritable_dump_dir);
    tcase_add_test(tc, dropped_table_then_target_lost_mid_load);
    tcase_add_test(tc, table_dropped_mid_dump);
    tcase_add_test(tc, table_dropped_mid_dump_with_savepoints);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_dump_kill.c - kill -9 of the real dm-worker during the Dump unit of a `full`
 * subtask (real MariaDB, the packaged mydumper), at three points, each followed by a
 * restart: the dump starts again from scratch (DM: resume of Dump restarts it) and the
 * target ends equal to the source (per table count + checksum of every column, no row
 * missing or doubled):
 *   A. mydumper waiting for FLUSH TABLES WITH READ LOCK (a source session holds LOCK
 *      TABLES ... WRITE): mydumper dies with the worker, its FTWRL does not stay behind;
 *   B. mydumper writing data files (killed as soon as the first chunk appears);
 *   C. mydumper done (files + metadata complete) but the unit not ended (a wrapper that
 *      sleeps after the real mydumper): rows written to the source before the restart
 *      are in the target, so the restart dumped again instead of loading the old files.
 * Also: no mydumper left running after a kill, the 0600 password file gone at the end. */
#include <dirent.h>

#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"

#define BIG_ROWS 60000

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE k");
    sql(g_src, "CREATE TABLE k.big (id INT PRIMARY KEY, s VARCHAR(120), d DECIMAL(12,3), "
               "t DATETIME(6), b VARBINARY(40)) CHARSET utf8mb4");
    sql(g_src, "INSERT INTO k.big SELECT seq, CONCAT('row-', seq, '-', MD5(seq), MD5(seq)), "
               "seq / 7, '2024-01-01' + INTERVAL seq SECOND, UNHEX(MD5(seq)) "
               "FROM k.seq_1_to_%d", BIG_ROWS);
    sql(g_src, "CREATE TABLE k.nokey (a INT, b VARCHAR(20))");
    sql(g_src, "INSERT INTO k.nokey SELECT seq %% 50, IF(seq %% 9 = 0, NULL, 'dup') "
               "FROM k.seq_1_to_500");
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);   /* a hung mydumper is retried quickly */
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static void dump_dir(const char *task, char *out, size_t cap)
{
    snprintf(out, cap, "%s/dumped_data.%s/%s.mysql-replica-01", g_dir, task, task);
}

/* pids of processes whose command line holds `needle` (0 = none) */
static int procs_with(const char *needle)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d))) {
        char path[300], buf[8192];
        FILE *f;
        size_t len;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i < len; i++)
            if (!buf[i])
                buf[i] = ' ';
        buf[len] = '\0';
        if (strstr(buf, needle) && !strstr(buf, "sleep"))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static bool wait_no_procs(const char *needle, int ms)
{
    long long end = tu_now_ms() + ms;
    while (procs_with(needle) > 0 && tu_now_ms() < end)
        usleep(50000);
    return procs_with(needle) == 0;
}

static int ftwrl_waiting(void)
{
    char a[32];
    value(g_src, "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                 "WHERE INFO LIKE 'FLUSH TABLES WITH READ LOCK%'", a, sizeof a);
    return atoi(a);
}

static bool wait_ftwrl(int ms)
{
    long long end = tu_now_ms() + ms;
    while (ftwrl_waiting() == 0 && tu_now_ms() < end)
        usleep(50000);
    return ftwrl_waiting() > 0;
}

/* a data chunk of k.big exists in dir (mydumper is writing rows) */
static bool has_chunk(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    bool found = false;
    while (d && !found && (de = readdir(d)))
        found = strncmp(de->d_name, "k.big.", 6) == 0 && !strstr(de->d_name, "schema");
    if (d)
        closedir(d);
    return found;
}

static void assert_k_equal(long long big_rows)
{
    assert_table_equal("k", "big", big_rows);
    assert_table_equal("k", "nokey", 500);
}

static void reset_target(void)
{
    sql(g_dst, "DROP DATABASE IF EXISTS k");
    sql(g_dst, "DROP DATABASE IF EXISTS dm_meta");
}

/* A and B on one task with the packaged mydumper as the worker's direct child */
START_TEST(kill_while_ftwrl_waits_and_while_writing_chunks)
{
    char toml[4096], msg[2048], dir[1024], cnf[1100];
    MYSQL *lock = db(g_src);
    long long end;
    bool hit = false;
    task_toml(toml, sizeof toml, "kd", "full", "k", NULL);
    dump_dir("kd", dir, sizeof dir);
    /* A: FTWRL blocked behind LOCK TABLES ... WRITE */
    ck_assert_int_eq(mysql_query(lock, "LOCK TABLES k.nokey WRITE"), 0);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    ck_assert_msg(wait_ftwrl(30000), "mydumper never waited for FTWRL");
    ck_assert_int_gt(procs_with(dir), 0);
    stop_worker(SIGKILL);
    ck_assert_msg(wait_no_procs(dir, 5000), "mydumper survived the worker's kill -9");
    ck_assert_int_eq(mysql_query(lock, "UNLOCK TABLES"), 0);
    ck_assert_msg(wait_value(g_src, "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                             "WHERE INFO LIKE 'FLUSH TABLES WITH READ LOCK%'", "0", 10000),
                  "the killed mydumper's FTWRL stayed on the source");
    value(g_src, "SELECT COUNT(*) FROM k.nokey", msg, sizeof msg);   /* source writable */
    sql(g_src, "INSERT INTO k.nokey VALUES (7, 'after A')");
    mysql_close(lock);
    /* B: restart; kill as soon as mydumper writes the first chunk of k.big */
    spawn_worker();
    end = tu_now_ms() + 60000;
    while (!hit && tu_now_ms() < end) {
        hit = has_chunk(dir) && procs_with(dir) > 0;
        if (!hit)
            usleep(5000);
    }
    ck_assert_msg(hit, "the restarted dump never wrote a chunk");
    stop_worker(SIGKILL);
    ck_assert_msg(wait_no_procs(dir, 5000), "mydumper survived the worker's kill -9 (B)");
    snprintf(cnf, sizeof cnf, "%s/metadata", dir);
    fprintf(stderr, "B: killed with %s\n", access(cnf, F_OK) == 0 ? "metadata written" : "no metadata");
    sql(g_src, "DELETE FROM k.big WHERE id <= 10");
    sql(g_src, "INSERT INTO k.nokey VALUES (7, 'after B')");
    spawn_worker();
    ck_assert_msg(wait_unit("kd", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000),
                  "full task did not finish after the restarts");
    assert_k_equal(BIG_ROWS - 10);
    value(g_dst, "SELECT COUNT(*) FROM k.nokey WHERE b LIKE 'after %'", msg, sizeof msg);
    ck_assert_str_eq(msg, "2");   /* written before the restarts: in the (re)dump */
    snprintf(cnf, sizeof cnf, "%s.my.cnf", dir);
    ck_assert_int_ne(access(cnf, F_OK), 0);   /* the password file is removed */
    ck_assert(operate("kd", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

/* C: files complete, unit not ended: the restart dumps again */
START_TEST(kill_after_mydumper_finished)
{
    char toml[4096], msg[2048], dir[1024], path[512], extra[700], meta[1100];
    long long end;
    reset_target();
    snprintf(path, sizeof path, "%s/hold-mydumper", g_dir);
    /* the real mydumper, then a sleep while a marker exists (exec: dies with the worker) */
    fake_mydumper(path, "\"$REAL\" \"$@\" || exit $?\n[ -e \"$0.hold\" ] && exec sleep 60\nexit 0");
    snprintf(meta, sizeof meta, "%s.hold", path);
    ck_assert_int_eq(tu_write_file(meta, "1", 1), 0);
    snprintf(extra, sizeof extra, "mydumper-path = \"%s\"\n", path);
    task_toml(toml, sizeof toml, "kc", "full", "k", extra);
    dump_dir("kc", dir, sizeof dir);
    snprintf(meta, sizeof meta, "%s/metadata", dir);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    end = tu_now_ms() + 60000;
    while (tu_now_ms() < end) {
        char *m = tu_read_file(meta, NULL);
        bool done = m && strstr(m, "Finished dump at");
        free(m);
        if (done)
            break;
        usleep(50000);
    }
    usleep(300000);
    ck_assert_int_eq(unit_now("kc", NULL, NULL, 0), PB__UNIT_TYPE__Dump);
    stop_worker(SIGKILL);
    /* rows the old dump does not have; deleted ones it has */
    sql(g_src, "INSERT INTO k.big SELECT seq, 'new', 1, NOW(), NULL FROM k.seq_%d_to_%d",
        BIG_ROWS + 1, BIG_ROWS + 100);
    sql(g_src, "DELETE FROM k.big WHERE id BETWEEN 11 AND 20");
    snprintf(meta, sizeof meta, "%s.hold", path);
    unlink(meta);
    spawn_worker();
    ck_assert_msg(wait_unit("kc", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 90000),
                  "full task did not finish after the restart");
    assert_k_equal(BIG_ROWS + 100 - 20);
    value(g_dst, "SELECT COUNT(*) FROM k.big WHERE s = 'new'", msg, sizeof msg);
    ck_assert_str_eq(msg, "100");
    ck_assert(operate("kc", PB__TASK_OP__Stop, msg, sizeof msg));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dump_kill");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, kill_while_ftwrl_waits_and_while_writing_chunks);
    tcase_add_test(tc, kill_after_mydumper_finished);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

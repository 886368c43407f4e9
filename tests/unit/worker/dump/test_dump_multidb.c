/* test_dump_multidb.c - the Dump unit on a task of several databases (real MariaDB, the
 * packaged mydumper 0.10.1), many times in a row: one mydumper per database under one
 * FLUSH TABLES WITH READ LOCK (dump.c), so 0.10.1's database-listing race cannot happen.
 * Every run must end OK well within the stall watchdog (a hang would end in
 * DM_E_TIMEOUT), with every table's schema and data, no per-database directory left, and
 * one snapshot across the databases: a writer commits the same id into a.w and b.w in one
 * transaction all along, and both dumped tables hold the same ids. Also: a database
 * outside the task is not dumped; FLOAT values mydumper's text would change fail the dump. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "worker_e2e.h"
#include "dump.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "testutil.h"

static atomic_bool g_stop;
static atomic_int g_written;

static void *writer(void *arg)
{
    MYSQL *m = db(g_src);
    (void)arg;
    for (int i = 1000000; !atomic_load(&g_stop); i++) {
        char qa[100], qb[100];
        snprintf(qa, sizeof qa, "INSERT INTO a.w VALUES (%d)", i);
        snprintf(qb, sizeof qb, "INSERT INTO b.w VALUES (%d)", i);
        if (mysql_query(m, "BEGIN") || mysql_query(m, qa) || mysql_query(m, qb) ||
            mysql_query(m, "COMMIT"))
            break;
        g_written = i;
    }
    mysql_close(m);
    return NULL;
}

/* ids of a dumped table: the "(n)" lines of its data files, summed and counted */
static void dumped_ids(const char *dir, const char *table, long long *count, long long *sum)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t tl = strlen(table);
    *count = *sum = 0;
    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        char path[4400], line[256];
        FILE *f;
        if (strncmp(de->d_name, table, tl) != 0 || de->d_name[tl] != '.' ||
            strstr(de->d_name, "-schema"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        ck_assert_ptr_nonnull(f = fopen(path, "r"));
        while (fgets(line, sizeof line, f))
            if (line[0] == '(') {
                (*count)++;
                *sum += atoll(line + 1);
            }
        fclose(f);
    }
    closedir(d);
}

static bool exists(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

START_TEST(multidb_dumps_never_hang)
{
    char toml[2048], err[512], dir[4096];
    struct worker_subtask_cfg *cfg = NULL;
    struct worker_rules *rules = NULL;
    struct worker_dump *d = worker_dump_new();
    struct bl_source src = { 0 };
    struct worker_dump_params p;
    pthread_t th;
    int runs = getenv("DMGW_DUMP_MULTIDB_RUNS") ? atoi(getenv("DMGW_DUMP_MULTIDB_RUNS")) : 25;
    static const char *const want[] = { "a.w", "a.t", "b.w", "c.t", "c.u" };
    snprintf(toml, sizeof toml,
             "name = \"multi\"\nmode = \"full\"\nsource-id = \"s1\"\nthreads = 4\n"
             "chunk-filesize = 64\nextra-args = \"--rows 500\"\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"a\", \"b\", \"c\"]\n", g_src, g_dst);
    ck_assert_msg(worker_subtask_cfg_parse_toml(toml, strlen(toml), &cfg, err, sizeof err) == DM_OK,
                  "%s", err);
    ck_assert_msg(worker_rules_new(cfg, &rules, err, sizeof err) == DM_OK, "%s", err);
    src.host = "127.0.0.1";
    src.port = g_src;
    src.user = "root";
    src.password = "";
    snprintf(dir, sizeof dir, "%s/dump", g_dir);
    p = (struct worker_dump_params){ cfg, rules, &src, dir };
    setenv("DMGW_DUMP_STALL_MS", "20000", 1);
    atomic_store(&g_stop, false);
    ck_assert_int_eq(pthread_create(&th, NULL, writer, NULL), 0);
    for (int i = 0; i < runs; i++) {
        struct worker_terr e;
        long long t0 = tu_now_ms(), ca, sa, cb, sb;
        int rc;
        memset(&e, 0, sizeof e);
        rc = worker_dump_run(d, &p, &e);
        ck_assert_msg(rc == DM_OK, "run %d: rc %d: %s", i, rc, e.msg);
        ck_assert_msg(tu_now_ms() - t0 < 15000, "run %d took %lld ms", i, tu_now_ms() - t0);
        for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s-schema.sql", want[k]);
            ck_assert_msg(exists(dir, name), "run %d: no %s", i, name);
        }
        ck_assert(exists(dir, "metadata") && exists(dir, "a.t.00000.sql") &&
                  exists(dir, "c.u.sql"));
        ck_assert(!exists(dir, "z.t-schema.sql") && !exists(dir, ".part0"));
        dumped_ids(dir, "a.w", &ca, &sa);
        dumped_ids(dir, "b.w", &cb, &sb);
        ck_assert_msg(ca > 0 && ca == cb && sa == sb,
                      "run %d: one snapshot: a.w %lld rows (sum %lld), b.w %lld (sum %lld)", i,
                      ca, sa, cb, sb);
        ck_assert_msg(i < 2 || ca > 100, "the writer is not writing");
        if (i == 0 || i == runs - 1)
            fprintf(stderr, "run %d: %lld ms, a.w = b.w = %lld rows\n", i, tu_now_ms() - t0, ca);
    }
    atomic_store(&g_stop, true);
    pthread_join(th, NULL);
    worker_dump_free(d);
    worker_rules_free(rules);
    worker_subtask_cfg_free(cfg);
}
END_TEST

/* FLOAT columns (no declared scale): the source prints them with 6 significant digits and
 * mydumper dumps that text, so 1.2345679 would reach the target as 1.23457. A dump whose
 * FLOAT values survive their text runs; one value that does not fails it, naming the
 * column. FLOAT(M,D), DOUBLE, generated FLOAT columns and tables outside the task do not
 * count. */
START_TEST(float_digits_refused)
{
    char toml[2048], err[512], dir[4096];
    struct worker_subtask_cfg *cfg = NULL;
    struct worker_rules *rules = NULL;
    struct worker_dump *d = worker_dump_new();
    struct bl_source src = { 0 };
    struct worker_dump_params p;
    struct worker_terr e;
    snprintf(toml, sizeof toml,
             "name = \"fl\"\nmode = \"full\"\nsource-id = \"s1\"\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"f\"]\n", g_src, g_dst);
    ck_assert_msg(worker_subtask_cfg_parse_toml(toml, strlen(toml), &cfg, err, sizeof err) == DM_OK,
                  "%s", err);
    ck_assert_msg(worker_rules_new(cfg, &rules, err, sizeof err) == DM_OK, "%s", err);
    src.host = "127.0.0.1";
    src.port = g_src;
    src.user = "root";
    src.password = "";
    snprintf(dir, sizeof dir, "%s/dumpf", g_dir);
    p = (struct worker_dump_params){ cfg, rules, &src, dir };
    sql(g_src, "CREATE DATABASE f");
    sql(g_src, "CREATE TABLE f.t (id INT PRIMARY KEY, x FLOAT, y FLOAT(7,3), d DOUBLE, "
               "g FLOAT AS (x / 3) VIRTUAL)");
    sql(g_src, "INSERT INTO f.t (id, x, y, d) VALUES (1, 1.5, 1.2345678, 1.2345678901234567), "
               "(2, 0.1, 9999.999, 0.1), (3, -123456, NULL, 5e-324), (4, NULL, 0, 0)");
    sql(g_src, "CREATE TABLE z.f (x FLOAT)");
    sql(g_src, "INSERT INTO z.f VALUES (1.2345679)");
    memset(&e, 0, sizeof e);
    ck_assert_msg(worker_dump_run(d, &p, &e) == DM_OK, "%s", e.msg);
    sql(g_src, "INSERT INTO f.t (id, x) VALUES (5, 1.2345679), (6, 16777216)");
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(worker_dump_run(d, &p, &e), DM_E_INVAL);
    ck_assert_msg(strstr(e.msg, "FLOAT column `f`.`t`.`x` not supported by the dump: 2 of its "
                                "values lose digits"), "%s", e.msg);
    ck_assert(!e.transient);
    worker_dump_free(d);
    worker_rules_free(rules);
    worker_subtask_cfg_free(cfg);
}
END_TEST

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE a");
    sql(g_src, "CREATE DATABASE b");
    sql(g_src, "CREATE DATABASE c");
    sql(g_src, "CREATE DATABASE z");
    sql(g_src, "CREATE TABLE a.w (id INT PRIMARY KEY)");
    sql(g_src, "CREATE TABLE b.w (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO a.w SELECT seq FROM a.seq_1_to_100");
    sql(g_src, "INSERT INTO b.w SELECT seq FROM a.seq_1_to_100");
    sql(g_src, "CREATE TABLE a.t (id INT PRIMARY KEY, s VARCHAR(40))");
    sql(g_src, "INSERT INTO a.t SELECT seq, MD5(seq) FROM a.seq_1_to_3000");
    sql(g_src, "CREATE TABLE c.t (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO c.t VALUES (1)");
    sql(g_src, "CREATE TABLE c.u (a INT, b TEXT)");
    sql(g_src, "INSERT INTO c.u VALUES (1, 'x'), (1, 'x')");
    sql(g_src, "CREATE TABLE z.t (id INT PRIMARY KEY)");
}

static void teardown(void) { e2e_env_down(); }

int main(void)
{
    Suite *s = suite_create("dump_multidb");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 280);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, multidb_dumps_never_hang);
    tcase_add_test(tc, float_digits_refused);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

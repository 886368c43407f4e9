/* test_dump_chunks.c - extra-args --rows and mydumper 0.10's unsigned chunk arithmetic
 * (worker/dump/dump_chunks.h), on a real MariaDB with the packaged mydumper. Before: a
 * table whose chunk key held only negative values was dumped with none of its rows and
 * mydumper exited 0 (a `full` task finished with the table empty, silently), and a BIGINT
 * UNSIGNED key reaching 2^63 made mydumper loop allocating chunk texts until it was
 * killed (or crashed). Now the Dump unit refuses such a table before mydumper runs (not
 * transient), naming it, its column and the way out; without --rows the same tables dump
 * whole. */
#include <dirent.h>

#include "worker_e2e.h"
#include "dump.h"
#include "dump_chunks.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "testutil.h"

START_TEST(rows_option_parsed)
{
    ck_assert(worker_dump_rows_chunking("--rows 700 -s 5000"));
    ck_assert(worker_dump_rows_chunking("-t 2 --rows=10"));
    ck_assert(worker_dump_rows_chunking("-r 5"));
    ck_assert(worker_dump_rows_chunking("-r5"));
    ck_assert(worker_dump_rows_chunking("\"--rows\" \"9\""));
    ck_assert(!worker_dump_rows_chunking(""));
    ck_assert(!worker_dump_rows_chunking(NULL));
    ck_assert(!worker_dump_rows_chunking("--rows 0"));
    ck_assert(!worker_dump_rows_chunking("-s 5000 -F 64"));
    ck_assert(!worker_dump_rows_chunking("--regex x"));
}
END_TEST

START_TEST(chunk_ranges)
{
    ck_assert(worker_dump_chunk_range_bad("-40", "-1"));
    ck_assert(worker_dump_chunk_range_bad("-9223372036854775808", "-9223372036854775807"));
    ck_assert(worker_dump_chunk_range_bad("0", "9223372036854775808"));
    ck_assert(worker_dump_chunk_range_bad("5", "18446744073709551615"));
    ck_assert(!worker_dump_chunk_range_bad("-5", "5"));       /* no chunk: the whole table */
    ck_assert(!worker_dump_chunk_range_bad("0", "9223372036854775807"));
    ck_assert(!worker_dump_chunk_range_bad("1", "1000"));
    ck_assert(!worker_dump_chunk_range_bad(NULL, NULL));      /* every value NULL */
}
END_TEST

/* rows of db.tbl in the dump: lines starting with "(" of its data files */
static long dumped_rows(const char *dir, const char *table)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t tl = strlen(table);
    long n = 0;
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
            n += line[0] == '(';
        fclose(f);
    }
    closedir(d);
    return n;
}

/* worker_dump_run of database db with extra-args; rc, error in e */
static int dump(const char *db, const char *extra, const char *dir, struct worker_terr *e)
{
    char toml[2048], err[512];
    struct worker_subtask_cfg *cfg = NULL;
    struct worker_rules *rules = NULL;
    struct worker_dump *d = worker_dump_new();
    struct bl_source src = { 0 };
    struct worker_dump_params p;
    int rc;
    snprintf(toml, sizeof toml,
             "name = \"ch\"\nmode = \"full\"\nsource-id = \"s1\"\nextra-args = \"%s\"\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"%s\"]\n", extra, g_src, g_dst, db);
    ck_assert_msg(worker_subtask_cfg_parse_toml(toml, strlen(toml), &cfg, err, sizeof err) == DM_OK,
                  "%s", err);
    ck_assert_msg(worker_rules_new(cfg, &rules, err, sizeof err) == DM_OK, "%s", err);
    src.host = "127.0.0.1";
    src.port = g_src;
    src.user = "root";
    src.password = "";
    p = (struct worker_dump_params){ cfg, rules, &src, dir };
    memset(e, 0, sizeof *e);
    rc = worker_dump_run(d, &p, e);
    worker_dump_free(d);
    worker_rules_free(rules);
    worker_subtask_cfg_free(cfg);
    return rc;
}

START_TEST(unsplittable_keys_refused)
{
    char dir[4096];
    struct worker_terr e;
    snprintf(dir, sizeof dir, "%s/dumpc", g_dir);
    /* fine under --rows: keys from negative to positive (mydumper makes no chunk), keys
     * >= 0, a negative secondary index next to a primary key, TINYINT (not chunked) */
    sql(g_src, "CREATE DATABASE okc");
    sql(g_src, "CREATE TABLE okc.mixed (id INT PRIMARY KEY)");
    sql(g_src, "INSERT INTO okc.mixed SELECT CAST(seq AS SIGNED) - 20 FROM okc.seq_1_to_40");
    sql(g_src, "CREATE TABLE okc.pos (id BIGINT UNSIGNED PRIMARY KEY, n INT, KEY (n))");
    sql(g_src, "INSERT INTO okc.pos SELECT seq * 1000, -CAST(seq AS SIGNED) FROM okc.seq_1_to_40");
    sql(g_src, "CREATE TABLE okc.tiny (id TINYINT PRIMARY KEY)");
    sql(g_src, "INSERT INTO okc.tiny SELECT -CAST(seq AS SIGNED) FROM okc.seq_1_to_40");
    ck_assert_msg(dump("okc", "--rows 5", dir, &e) == DM_OK, "%s", e.msg);
    ck_assert_int_eq(dumped_rows(dir, "okc.mixed"), 40);
    ck_assert_int_eq(dumped_rows(dir, "okc.pos"), 40);
    ck_assert_int_eq(dumped_rows(dir, "okc.tiny"), 40);

    /* negative keys only, on a non-unique index of a key-less table: before, mydumper
     * exited 0 with none of its rows */
    sql(g_src, "CREATE DATABASE negc");
    sql(g_src, "CREATE TABLE negc.k (a BIGINT, v INT, KEY (a))");
    sql(g_src, "INSERT INTO negc.k SELECT -CAST(seq AS SIGNED) * 1000, seq FROM negc.seq_1_to_40");
    sql(g_src, "ANALYZE TABLE negc.k");
    ck_assert_int_eq(dump("negc", "--rows 5", dir, &e), DM_E_INVAL);
    ck_assert_msg(strstr(e.msg, "mydumper cannot split table `negc`.`k` on its key column `a` "
                                "(MIN -40000, MAX -1000)") && strstr(e.msg, "remove --rows"),
                  "%s", e.msg);
    ck_assert(!e.transient);
    ck_assert_msg(dump("negc", "-s 5000", dir, &e) == DM_OK, "%s", e.msg);
    ck_assert_int_eq(dumped_rows(dir, "negc.k"), 40);

    /* a BIGINT UNSIGNED primary key reaching 2^63: before, mydumper looped until killed */
    sql(g_src, "CREATE DATABASE bigc");
    sql(g_src, "CREATE TABLE bigc.uk (id BIGINT UNSIGNED PRIMARY KEY)");
    sql(g_src, "INSERT INTO bigc.uk VALUES (0), (1), (9223372036854775808), "
               "(18446744073709551615)");
    ck_assert_int_eq(dump("bigc", "-r 2", dir, &e), DM_E_INVAL);
    ck_assert_msg(strstr(e.msg, "`bigc`.`uk` on its key column `id`"), "%s", e.msg);
    ck_assert_msg(dump("bigc", "", dir, &e) == DM_OK, "%s", e.msg);
    ck_assert_int_eq(dumped_rows(dir, "bigc.uk"), 4);
}
END_TEST

static void setup(void) { e2e_env_up(); }
static void teardown(void) { e2e_env_down(); }

int main(void)
{
    Suite *s = suite_create("dump_chunks");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, rows_option_parsed);
    tcase_add_test(pure, chunk_ranges);
    suite_add_tcase(s, pure);
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 200);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unsplittable_keys_refused);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_load_rules.c - a full task restarted with other rules over its loader checkpoint
 * (real dm-worker, real MariaDB, the packaged mydumper; load_rules.h). Before, stop-task
 * and start-task with a wider black-white-list (or another route) without remove-meta went
 * on loading the old dump at its checkpoint and the task finished without the new tables
 * (or sent the rest of a table to another target), silently - as DM v1.0.7. Now:
 *   - stopped mid-load, started with one more database: paused in Load, 34996 naming the
 *     black-white-list, nothing of the new database created;
 *   - started again with the old rules: resumes and ends equal;
 *   - finished, started with a route changed: paused, 34996 naming route-rules;
 *     update-task of the paused subtask to a wider list too: paused again naming both;
 *     update-task back to the dump's rules and resume: finishes;
 *   - the target cleaned, started with the wider list and remove-meta: dumps again and
 *     ends equal with the new database.
 * And (no database) which config keys move which fingerprint: filters, threads, pool-size
 * and, with import-dir, extra-args move none. */
#include "worker_e2e.h"
#include "all_e2e.h"
#include "testutil.h"
#include "load_rules.h"
#include "subtask_cfg.h"

#define ROUTE_B(to) "[[route-rules]]\nschema-pattern = \"lr\"\ntable-pattern = \"b\"\n" \
                    "target-schema = \"lr\"\ntarget-table = \"" to "\"\n"
#define SUM_IDV "CONCAT(COUNT(*),'-',SUM(CRC32(CONCAT_WS(',',id,v))))"
#define WIDE "lr\", \"lr2"   /* do-dbs = ["lr", "lr2"] */

static void setup(void)
{
    e2e_env_up();
    sql(g_src, "CREATE DATABASE lr");
    sql(g_src, "CREATE TABLE lr.a (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "INSERT INTO lr.a SELECT seq, CONCAT('a', seq) FROM lr.seq_1_to_6000");
    sql(g_src, "CREATE TABLE lr.b (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "INSERT INTO lr.b SELECT seq, CONCAT('b', seq) FROM lr.seq_1_to_6000");
    sql(g_src, "CREATE DATABASE lr2");
    sql(g_src, "CREATE TABLE lr2.c (id INT PRIMARY KEY, v VARCHAR(40))");
    sql(g_src, "INSERT INTO lr2.c SELECT seq, CONCAT('c', seq) FROM lr.seq_1_to_700");
    setenv("DMGW_LOAD_STMT_DELAY_MS", "150", 1);
    spawn_worker();
}

static void teardown(void) { e2e_env_down(); }

static void start(const char *dbs, const char *extra)
{
    char toml[4096], msg[2048];
    task_toml(toml, sizeof toml, "lrt", "full", dbs, extra);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
}

static void stop(void)
{
    char msg[2048];
    ck_assert(operate("lrt", PB__TASK_OP__Stop, msg, sizeof msg));
}

/* update-task of the paused subtask, then resume */
static void update(const char *dbs, const char *extra)
{
    char toml[4096], msg[2048];
    task_toml(toml, sizeof toml, "lrt", "full", dbs, extra);
    ck_assert_msg(update_task(toml, msg, sizeof msg), "update: %s", msg);
    ck_assert_msg(operate("lrt", PB__TASK_OP__Resume, msg, sizeof msg), "resume: %s", msg);
}

/* paused in Load with 34996 naming `rule` only */
static void assert_refused(const char *rule, const char *not_rule)
{
    char msg[2048];
    int stage;
    ck_assert_msg(wait_unit("lrt", PB__UNIT_TYPE__Load, PB__STAGE__Paused, 120000),
                  "the restart with another %s did not pause", rule);
    /* after a resume: until the new run's error replaced the last one */
    for (int i = 0; i < 600; i++) {
        ck_assert_int_eq(unit_now("lrt", &stage, msg, sizeof msg), PB__UNIT_TYPE__Load);
        if (stage == PB__STAGE__Paused && strstr(msg, rule))
            break;
        usleep(100000);
    }
    fprintf(stderr, "paused: %s\n", msg);
    ck_assert_ptr_nonnull(strstr(msg, "code=34996"));
    ck_assert_ptr_nonnull(strstr(msg, rule));
    ck_assert_ptr_null(strstr(msg, not_rule));
    ck_assert_ptr_nonnull(strstr(msg, "start the task with remove-meta"));
    ck_assert_ptr_null(strstr(msg, "auto-resume"));   /* not transient */
}

START_TEST(rules_changed_under_checkpoint)
{
    char a[64];
    start("lr", ROUTE_B("rb"));
    ck_assert_msg(wait_unit("lrt", PB__UNIT_TYPE__Load, PB__STAGE__Running, 90000),
                  "never reached Load");
    stop();   /* mid-load */
    value(g_dst, "SELECT (SELECT COUNT(*) FROM lr.a) + (SELECT COUNT(*) FROM lr.rb)", a, sizeof a);
    ck_assert_msg(atoll(a) < 12000, "stopped mid-load: %s rows", a);

    /* one more database, no remove-meta: refused before anything is loaded */
    start(WIDE, ROUTE_B("rb"));
    assert_refused("black-white-list", "route-rules");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'lr2'",
          a, sizeof a);
    ck_assert_str_eq(a, "0");
    stop();

    /* the same rules as the dump: resumes as before and ends equal */
    start("lr", ROUTE_B("rb"));
    ck_assert_msg(wait_unit("lrt", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "did not finish with the old rules");
    assert_equal("lr.a", "lr.a", SUM_IDV, "6000");
    assert_equal("lr.b", "lr.rb", SUM_IDV, "6000");
    stop();

    /* finished; a route changed: refused, the new target never created */
    start("lr", ROUTE_B("rb2"));
    assert_refused("route-rules", "black-white-list");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'lr' "
                 "AND TABLE_NAME = 'rb2'", a, sizeof a);
    ck_assert_str_eq(a, "0");
    /* update-task on the paused subtask: both rules changed, then the dump's rules again */
    update("lr\", \"lr2", ROUTE_B("rb2"));
    assert_refused("black-white-list, route-rules", "column-mappings");
    update("lr", ROUTE_B("rb"));
    ck_assert_msg(wait_unit("lrt", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "update-task back to the dump's rules did not finish");
    assert_equal("lr.b", "lr.rb", SUM_IDV, "6000");
    stop();

    /* the user cleans the target and starts with the new rules and remove-meta */
    sql(g_dst, "DROP DATABASE lr");
    start(WIDE, "remove-meta = true\n" ROUTE_B("rb"));
    ck_assert_msg(wait_unit("lrt", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 180000),
                  "remove-meta with the new rules did not finish");
    assert_equal("lr.a", "lr.a", SUM_IDV, "6000");
    assert_equal("lr.b", "lr.rb", SUM_IDV, "6000");
    assert_equal("lr2.c", "lr2.c", SUM_IDV, "700");
    stop();

    /* and the new rules are the checkpoint's now: the same start resumes (nothing left) */
    start(WIDE, ROUTE_B("rb"));
    ck_assert_msg(wait_unit("lrt", PB__UNIT_TYPE__Load, PB__STAGE__Finished, 120000),
                  "the new rules were not recorded by the remove-meta run");
    assert_equal("lr2.c", "lr2.c", SUM_IDV, "700");
    stop();
}
END_TEST

/* The five fingerprints of a subtask config: `top` top-level keys, `tail` after the
 * black-white-list's do-dbs (its keys, or other tables). */
static void prints(const char *top, const char *tail, char out[WORKER_LOAD_RULES_N][17])
{
    char toml[4096], err[600] = "";
    struct worker_subtask_cfg *c = NULL;
    snprintf(toml, sizeof toml,
             "name = \"fp\"\nmode = \"full\"\nsource-id = \"s1\"\n%s"
             "[to]\nhost = \"127.0.0.1\"\nport = 3306\nuser = \"root\"\npassword = \"\"\n"
             "[[route-rules]]\nschema-pattern = \"lr\"\ntable-pattern = \"b\"\n"
             "target-schema = \"lr\"\ntarget-table = \"rb\"\n"
             "[black-white-list]\ndo-dbs = [\"lr\"]\n%s", top, tail);
    ck_assert_msg(worker_subtask_cfg_parse_toml(toml, strlen(toml), &c, err, sizeof err) == 0,
                  "%s", err);
    for (size_t i = 0; i < WORKER_LOAD_RULES_N; i++)
        worker_load_rules_hash(c, i, out[i]);
    worker_subtask_cfg_free(c);
}

/* the fingerprints of (top, tail) differ from the base's in exactly rule `which` (-1: none) */
static void assert_moves(const char *top, const char *tail, int which)
{
    char base[WORKER_LOAD_RULES_N][17], now[WORKER_LOAD_RULES_N][17];
    prints("extra-args = \"--rows 700\"\n", "", base);
    prints(top, tail, now);
    for (int i = 0; i < WORKER_LOAD_RULES_N; i++)
        ck_assert_msg((strcmp(base[i], now[i]) != 0) == (i == which), "%s / %s: rule %s",
                      top, tail, worker_load_rules_name((size_t)i));
}

START_TEST(fingerprint_parts)
{
    const char *route2 = "[[route-rules]]\nschema-pattern = \"lr\"\ntable-pattern = \"c\"\n"
                         "target-schema = \"lr\"\ntarget-table = \"rc\"\n";
    const char *map = "[[mapping-rule]]\nschema-pattern = \"lr\"\ntable-pattern = \"b\"\n"
                      "source-column = \"id\"\ntarget-column = \"id\"\n"
                      "expression = \"partition id\"\narguments = [\"1\", \"\", \"\"]\n";
    const char *filter = "[[filter-rules]]\nschema-pattern = \"lr\"\n"
                         "events = [\"delete\"]\naction = \"Ignore\"\n";
    char a[WORKER_LOAD_RULES_N][17], b[WORKER_LOAD_RULES_N][17];
    assert_moves("extra-args = \"--rows 700\"\n", "", -1);
    assert_moves("extra-args = \"--rows 700\"\nthreads = 7\npool-size = 3\n", filter, -1);
    assert_moves("extra-args = \"--rows 700\"\n", route2, 1);
    assert_moves("extra-args = \"--rows 700\"\n", map, 2);
    assert_moves("extra-args = \"--rows 700\"\ncase-sensitive = true\n", "", 3);
    assert_moves("extra-args = \"--rows 701\"\n", "", 4);
    assert_moves("extra-args = \"\"\n", "", 4);
    assert_moves("extra-args = \"--rows 700\"\n", "ignore-dbs = [\"lr3\"]\n", 0);
    /* import-dir: the task's extra-args never made that dump */
    prints("import-dir = \"/x\"\nextra-args = \"--rows 700\"\n", "", a);
    prints("import-dir = \"/x\"\nextra-args = \"-F 1\"\n", "", b);
    ck_assert_str_eq(a[4], b[4]);
    /* a reordered list is the same list (no false pause); another list is not */
    prints("", "ignore-dbs = [\"x\", \"y\"]\n", a);
    prints("", "ignore-dbs = [\"y\", \"x\"]\n", b);
    ck_assert_str_eq(a[0], b[0]);
    prints("", "ignore-dbs = [\"y\", \"y\"]\n", b);
    ck_assert_str_ne(a[0], b[0]);
    /* the `to` side of a route alone (same patterns, another target schema or table)
     * moves route-rules and nothing else: resuming would load into a second place */
    {
        static const char *const to[] = { "target-schema = \"lr\"\ntarget-table = \"rc\"\n",
                                           "target-schema = \"lrX\"\ntarget-table = \"rc\"\n",
                                           "target-schema = \"lr\"\ntarget-table = \"rc2\"\n",
                                           "target-schema = \"lr\"\n" };
        char r[4][WORKER_LOAD_RULES_N][17], tail[512];
        for (int k = 0; k < 4; k++) {
            snprintf(tail, sizeof tail, "[[route-rules]]\nschema-pattern = \"lr\"\n"
                                        "table-pattern = \"c\"\n%s", to[k]);
            prints("", tail, r[k]);
        }
        for (int k = 1; k < 4; k++)
            for (int i = 0; i < WORKER_LOAD_RULES_N; i++)
                ck_assert_msg((strcmp(r[0][i], r[k][i]) != 0) == (i == 1), "to %d rule %s", k,
                              worker_load_rules_name((size_t)i));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_rules");
    TCase *fp = tcase_create("fingerprint");
    tcase_add_test(fp, fingerprint_parts);
    suite_add_tcase(s, fp);
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rules_changed_under_checkpoint);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

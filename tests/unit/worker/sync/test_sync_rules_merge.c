/* test_sync_rules_merge.c - no silent divergence under rules: the real dm-worker merges
 * s_1.t_1 and s_2.t_2 into m.t (route-rules), rewrites `id` with a `partition id`
 * column mapping (and the nullable UNIQUE column `u` with a second one), and ignores DELETEs of s_2.t_2 (binlog event filter), while one source
 * session runs a seeded random workload (multi-row INSERT / INSERT IGNORE / ON DUPLICATE
 * KEY UPDATE, UPDATE of values, of the PK and of a nullable UNIQUE key, single and
 * multi-row, DELETE by key and range, transactions over both tables, NULLs, utf8mb4 text,
 * binary blobs, FULL / MINIMAL / NOBLOB row images). The target must equal, row by row
 * (HEX of every column as bytes), the merge computed from the source with SQL: both
 * tables with their ids mapped, plus the rows deleted from s_2.t_2 (the workload copies
 * them into g.t2 in the transaction that deletes them; ids and unique values of s_2.t_2
 * are never reused, so the expectation is well defined). worker-count 4; runs once in
 * normal mode (safe-mode window 1 ms), once with `safe-mode = true`, and once as a
 * task-mode `all` subtask (the Load routes and maps the dumped rows of both tables into
 * one target table it creates; the workload runs before, during and after the dump), and
 * with DMGW_MERGE_KILL9=1 (alone), with a kill -9 of dm-worker halfway (resumed from its
 * checkpoint, safe mode replays what the killed worker may already have applied). That run
 * logs FULL row images only: a partial image (MINIMAL/NOBLOB) UPDATE that moves a row to
 * another key cannot be replayed over a target already ahead (docs/worker.md, Sync unit:
 * it pauses with a named error - test_sync_rowimg.c `partial_key_move_replay`), which
 * is what this run used to hit about every other time (Error 1062 on the PK, reported
 * under the packet's first statement, a multi-row REPLACE, after lock wait timeouts on
 * the failed connection's locks). Registered as worker/sync/test_sync_rules_merge_kill9.
 * DMGW_MERGE_KILL9=2: the same with FULL / MINIMAL / NOBLOB images; the target must be the
 * expected merge or the task paused naming the partial image - never a silent difference
 * (worker/sync/test_sync_rules_merge_kill9_partial, label long).
 *
 * Knobs: DMGW_SEED=n replays a run (the seed is printed), DMGW_MERGE_OPS=n operations
 * (default 500), DMGW_MERGE_KILL9=1 (above), DMGW_MERGE_VERBOSE=1 prints each statement. */
#include <stdint.h>
#include <time.h>

#include "worker_e2e.h"
#include "testutil.h"

static uint64_t g_rng;
static MYSQL *g_s;              /* the source session */
static long long g_fresh = 1;   /* next never-used id / unique value of s_2.t_2 */
/* DELETEs of s_2.t_2: 0 = before the task (plain: the dump will not have the rows),
 * 1 = while it dumps (none: which side of the snapshot is unknown), 2 = replicated (ignored
 * by the filter: remembered in g.t2) */
static int g_del_phase = 2;
static bool g_full_only;        /* binlog_row_image FULL only (the kill -9 run) */

static uint64_t rnd(void)
{
    return tu_splitmix64(&g_rng);
}

static int pick(int n) { return n > 0 ? (int)(rnd() % (uint64_t)n) : 0; }
static bool chance(int pct) { return pick(100) < pct; }

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && v[0] ? atoi(v) : def;
}

/* source statement; refusals (duplicates) are fine: the target follows what committed */
static void src(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void src(const char *fmt, ...)
{
    char q[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    if (getenv("DMGW_MERGE_VERBOSE"))
        fprintf(stderr, "src: %s\n", q);
    if (mysql_query(g_s, q) != 0) {
        unsigned e = mysql_errno(g_s);
        ck_assert_msg(e != 2006 && e != 2013, "source connection lost: %s", mysql_error(g_s));
        return;
    }
    mysql_free_result(mysql_store_result(g_s));
}

static const char *const TEXTS[] = { "NULL", "''", "'a'", "'A'", "'a '", "_utf8mb4'\xc3\xa9'",
    "'e'", "_utf8mb4'\xf0\x9f\x98\x80x'", "_utf8mb4'stra\xc3\x9f" "e'", "_utf8mb4'\xe4\xb8\xad\xe6\x96\x87'",
    "'it''s'", "'back\\\\slash'" };

static void text_val(char *out, size_t cap)
{
    if (chance(30)) {
        int n = 1 + pick(30), i;
        size_t k = (size_t)snprintf(out, cap, "'");
        for (i = 0; i < n && k + 3 < cap; i++)
            out[k++] = (char)('a' + pick(26));
        snprintf(out + k, cap - k, "'");
        return;
    }
    snprintf(out, cap, "%s", TEXTS[pick((int)(sizeof TEXTS / sizeof TEXTS[0]))]);
}

static void blob_val(char *out, size_t cap)
{
    int n, i;
    size_t k;
    if (chance(25)) {
        snprintf(out, cap, "NULL");
        return;
    }
    n = pick(40);
    k = (size_t)snprintf(out, cap, "X'");
    for (i = 0; i < n && k + 4 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02X", chance(20) ? 0 : pick(256));
    snprintf(out + k, cap - k, "'");
}

static void int_val(char *out, size_t cap)
{
    if (chance(20))
        snprintf(out, cap, "NULL");
    else
        snprintf(out, cap, "%d", pick(2000) - 1000);
}

/* one row's values "(id,u,v,n,b)" for table 1 or 2 */
static void row_vals(int t, char *out, size_t cap)
{
    char v[128], n[32], b[128], u[32];
    long long id = t == 1 ? 1 + pick(300) : g_fresh++;
    if (chance(30))
        snprintf(u, sizeof u, "NULL");
    else
        snprintf(u, sizeof u, "%lld", t == 1 ? (long long)(1 + pick(80)) : 100000 + g_fresh++);
    text_val(v, sizeof v);
    int_val(n, sizeof n);
    blob_val(b, sizeof b);
    snprintf(out, cap, "(%lld,%s,%s,%s,%s)", id, u, v, n, b);
}

static const char *tbl(int t) { return t == 1 ? "s_1.t_1" : "s_2.t_2"; }

static void op_insert(int t)
{
    char q[4096], r[512];
    int n = 1 + pick(5), i;
    int how = t == 1 ? pick(3) : 0;
    size_t k = (size_t)snprintf(q, sizeof q, "INSERT %sINTO %s VALUES ", how == 1 ? "IGNORE " : "",
                                tbl(t));
    for (i = 0; i < n; i++) {
        row_vals(t, r, sizeof r);
        k += (size_t)snprintf(q + k, sizeof q - k, "%s%s", i ? "," : "", r);
    }
    if (how == 2)
        snprintf(q + k, sizeof q - k, " ON DUPLICATE KEY UPDATE v=VALUES(v), n=n+1, b=VALUES(b)");
    src("%s", q);
}

static void op_update_vals(int t)
{
    char v[128], n[32], b[128];
    long long lo = pick(t == 1 ? 300 : (int)g_fresh + 1), hi = lo + pick(20);
    text_val(v, sizeof v);
    int_val(n, sizeof n);
    blob_val(b, sizeof b);
    switch (pick(4)) {
    case 0: src("UPDATE %s SET v=%s WHERE id BETWEEN %lld AND %lld", tbl(t), v, lo, hi); break;
    case 1: src("UPDATE %s SET n=%s, b=%s WHERE id=%lld", tbl(t), n, b, lo); break;
    case 2: src("UPDATE %s SET n=IFNULL(n,0)+1 WHERE id BETWEEN %lld AND %lld", tbl(t), lo, hi); break;
    default: src("UPDATE %s SET v=%s, n=%s, b=%s WHERE n IS NULL LIMIT 3", tbl(t), v, n, b); break;
    }
}

static void op_update_key(int t)
{
    long long x = pick(t == 1 ? 300 : (int)g_fresh + 1);
    if (t == 1) {
        switch (pick(4)) {
        case 0: src("UPDATE s_1.t_1 SET id=%d WHERE id=%lld", 1 + pick(300), x); break;
        case 1: src("UPDATE s_1.t_1 SET u=%s WHERE id=%lld", chance(30) ? "NULL" : "1+FLOOR(RAND()*80)", x); break;
        case 2: src("UPDATE s_1.t_1 SET id=id+%d, v='moved' WHERE id BETWEEN %lld AND %lld ORDER BY id DESC",
                    1 + pick(5), x, x + pick(10)); break;
        default: src("UPDATE s_1.t_1 SET id=%d, u=%d WHERE id=%lld", 1 + pick(300), 1 + pick(80), x); break;
        }
        return;
    }
    switch (pick(3)) {
    case 0: src("UPDATE s_2.t_2 SET id=%lld WHERE id=%lld", g_fresh++, x); break;
    case 1: src("UPDATE s_2.t_2 SET u=%lld WHERE id=%lld", 100000 + g_fresh++, x); break;
    default: src("UPDATE s_2.t_2 SET id=id+10000000, u=NULL WHERE id BETWEEN %lld AND %lld", x, x + pick(6));
        break;
    }
}

static void op_delete(int t)
{
    char where[128];
    long long x = pick(t == 1 ? 300 : (int)g_fresh + 1);
    if (chance(50))
        snprintf(where, sizeof where, "id=%lld", x);
    else
        snprintf(where, sizeof where, "id BETWEEN %lld AND %lld", x, x + pick(8));
    if (t == 1 || g_del_phase == 0) {
        src("DELETE FROM %s WHERE %s", tbl(t), where);
        return;
    }
    if (g_del_phase == 1)
        return;
    /* the filter keeps these rows on the target: remember them in the same transaction */
    src("BEGIN");
    src("INSERT INTO g.t2 SELECT * FROM s_2.t_2 WHERE %s", where);
    src("DELETE FROM s_2.t_2 WHERE %s", where);
    src("COMMIT");
}

static void one_op(void)
{
    int t = 1 + pick(2), k = pick(100);
    if (chance(4)) {
        static const char *const IMG[] = { "FULL", "MINIMAL", "NOBLOB" };
        const char *img = IMG[pick(3)];
        src("SET SESSION binlog_row_image='%s'", g_full_only ? "FULL" : img);
    }
    if (k < 35)
        op_insert(t);
    else if (k < 60)
        op_update_vals(t);
    else if (k < 78)
        op_update_key(t);
    else if (k < 93)
        op_delete(t);
    else {   /* a transaction over both tables */
        src("BEGIN");
        op_insert(1);
        op_update_key(2);
        op_update_vals(1);
        op_insert(2);
        src("COMMIT");
    }
}

/* ---- expected vs actual ---- */

#define COLS(k) "CONCAT_WS('|', HEX(" k "), IFNULL(HEX(u),'N'), IFNULL(HEX(CAST(v AS BINARY)),'N'), " \
             "IFNULL(HEX(n),'N'), IFNULL(HEX(b),'N'))"
#define ID1 "((1<<59)|(1<<52)|(1<<44)|id)"
#define ID2 "((1<<59)|(2<<52)|(2<<44)|id)"
#define U1 "((1<<59)|(1<<52)|(1<<44)|u)"   /* NULL stays NULL */
#define U2 "((1<<59)|(2<<52)|(2<<44)|u)"

/* all rows of q, one per line, into a malloc'd string */
static char *rows(int port, const char *q)
{
    MYSQL *m = db(port);
    MYSQL_RES *r;
    MYSQL_ROW row;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';
    ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
    r = mysql_store_result(m);
    while ((row = mysql_fetch_row(r))) {
        size_t n = strlen(row[0] ? row[0] : "");
        while (len + n + 2 > cap)
            ck_assert_ptr_nonnull(out = realloc(out, cap *= 2));
        memcpy(out + len, row[0] ? row[0] : "", n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    mysql_free_result(r);
    mysql_close(m);
    return out;
}

static void first_diff(const char *a, const char *b)
{
    int line = 1;
    while (*a && *a == *b) {
        if (*a == '\n')
            line++;
        a++, b++;
    }
    while (line > 1 && a[-1] != '\n')
        a--, b--;
    fprintf(stderr, "first difference at row %d:\n  expected: %.200s\n  target:   %.200s\n", line,
            a, b);
}

/* Whether the subtask is paused; msg gets its first error. */
static bool paused(char *msg, size_t cap)
{
    Pb__QueryStatusResponse *r = query_status("merge");
    Pb__SubTaskStatus *st = r->n_subtaskstatus == 1 ? r->subtaskstatus[0] : NULL;
    bool p = st && st->stage == PB__STAGE__Paused;
    msg[0] = '\0';
    if (p && st->result && st->result->n_errors)
        snprintf(msg, cap, "%s", st->result->errors[0]->msg);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return p;
}

/* With partial row images a crash replay may meet a key move it cannot apply: then the
 * only acceptable outcome besides the expected merge is a pause naming it. */
static bool g_partial_pause_ok;

static bool check_merge(void)
{
    bool same;
    const char *qexp = "SELECT " COLS("mid") " FROM (SELECT " ID1 " AS mid, " U1 " AS u, v, n, b "
                     "FROM s_1.t_1 UNION ALL SELECT " ID2 ", " U2 ", v, n, b FROM s_2.t_2 "
                     "UNION ALL SELECT " ID2 ", " U2 ", v, n, b FROM g.t2) x ORDER BY mid";
    const char *qdst = "SELECT " COLS("id") " FROM m.t ORDER BY id";
    char *e = NULL, *a = NULL;
    long long end = tu_now_ms() + 60000;
    src("INSERT INTO s_1.t_1 (id, v) VALUES (100000, 'end') ON DUPLICATE KEY UPDATE v='end2'");
    do {
        free(e);
        free(a);
        e = rows(g_src, qexp);
        a = rows(g_dst, qdst);
        if (strcmp(e, a) == 0)
            break;
        if (g_partial_pause_ok) {
            char msg[2048];
            if (paused(msg, sizeof msg)) {
                fprintf(stderr, "paused: %s\n", msg);
                free(e);
                free(a);
                return strstr(msg, "partial binlog row image") != NULL;
            }
        }
        usleep(200000);
    } while (tu_now_ms() < end);
    if (strcmp(e, a) != 0) {
        Pb__QueryStatusResponse *st = query_status("merge");
        if (st->n_subtaskstatus && st->subtaskstatus[0]->status_case == PB__SUB_TASK_STATUS__STATUS_MSG)
            fprintf(stderr, "status: %s\n", st->subtaskstatus[0]->msg);
        protobuf_c_message_free_unpacked(&st->base, NULL);
        first_diff(e, a);
    }
    same = strcmp(e, a) == 0;
    if (!same) {
        fprintf(stderr, "target m.t differs from the expected merge (KEEP_TMP=1 keeps the dirs)\n");
        free(e);
        free(a);
        return false;
    }
    {
        char g[32];
        int lines = 0;
        const char *p;
        for (p = e; (p = strchr(p, '\n')); p++)
            lines++;
        value(g_src, "SELECT COUNT(*) FROM g.t2", g, sizeof g);
        fprintf(stderr, "merged rows: %d (kept after an ignored DELETE: %s)\n", lines, g);
        same = lines > 50 && atoi(g) > 0;
        if (!same)
            fprintf(stderr, "workload left too few rows\n");
    }
    free(e);
    free(a);
    return same;
}

#define TDEF "(id BIGINT NOT NULL PRIMARY KEY, u BIGINT NULL, v VARCHAR(40) CHARACTER SET utf8mb4 " \
             "COLLATE utf8mb4_general_ci NULL, n INT NULL, b BLOB NULL, UNIQUE KEY uk(u), KEY kn(n))"

/* the subtask's unit (-1 when unknown); a Paused subtask fails the test */
static int unit_of(const char *name)
{
    Pb__QueryStatusResponse *r = query_status(name);
    Pb__SubTaskStatus *st = r->n_subtaskstatus == 1 ? r->subtaskstatus[0] : NULL;
    int unit = st ? (int)st->unit : -1;
    bool paused = st && st->stage == PB__STAGE__Paused;
    char err[1024] = "";
    if (paused && st->result && st->result->n_errors)
        snprintf(err, sizeof err, "%s", st->result->errors[0]->msg);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    ck_assert_msg(!paused, "subtask paused: %s", err);
    return unit;
}

static void run(bool safe, bool all, int kill9)
{
    char toml[4096], msg[2048], mode[512];
    bool ok;
    uint64_t seed = (uint64_t)env_int("DMGW_SEED", (int)(time(NULL) ^ getpid()));
    int ops = env_int("DMGW_MERGE_OPS", 500), i;
    fprintf(stderr, "test_sync_rules_merge: %s mode%s%s, DMGW_SEED=%llu\n",
            safe ? "safe" : "normal", all ? ", task-mode all" : "",
            kill9 ? ", kill -9 halfway" : "", (unsigned long long)seed);
    g_fresh = 1;
    g_del_phase = 2;
    g_full_only = kill9 == 1;
    g_partial_pause_ok = kill9 == 2;
    g_rng = seed;
    e2e_env_up();
    if (getenv("KEEP_TMP"))
        fprintf(stderr, "dir: %s\n", g_dir);
    sql(g_src, "CREATE DATABASE s_1");
    sql(g_src, "CREATE DATABASE s_2");
    sql(g_src, "CREATE DATABASE g");
    sql(g_src, "CREATE TABLE s_1.t_1 " TDEF);
    sql(g_src, "CREATE TABLE s_2.t_2 " TDEF);
    sql(g_src, "CREATE TABLE g.t2 (id BIGINT NOT NULL PRIMARY KEY, u BIGINT NULL, v VARCHAR(40) "
               "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL, n INT NULL, b BLOB NULL)");
    sql(g_dst, "CREATE DATABASE m");
    sql(g_dst, "CREATE TABLE m.t " TDEF);
    master_pos();
    setenv("DM_WORKER_SAFE_MODE_MS", safe ? "0" : "1", 1);
    spawn_worker();
    g_s = db(g_src);
    ck_assert_int_eq(mysql_set_character_set(g_s, "utf8mb4"), 0);
    if (all) {   /* data before the dump, the target table created by the Load (routed) */
        sql(g_dst, "DROP DATABASE m");
        g_del_phase = 0;
        for (i = 0; i < ops; i++)
            one_op();
        g_del_phase = 1;
        snprintf(mode, sizeof mode, "mode = \"all\"\npool-size = 2\nthreads = 2\n"
                 "extra-args = \"--rows 200\"\ndir = \"%s/dump\"\n", g_dir);
    } else {
        snprintf(mode, sizeof mode, "mode = \"incremental\"\n[meta]\nbinlog-name = \"%s\"\n"
                 "binlog-pos = %llu\n", g_file, g_pos);
    }
    snprintf(toml, sizeof toml,
             "name = \"merge\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 4\nbatch = 20\nsafe-mode = %s\n%s"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[[route-rules]]\nschema-pattern = \"s_*\"\ntable-pattern = \"t_*\"\n"
             "target-schema = \"m\"\ntarget-table = \"t\"\n"
             "[[filter-rules]]\nschema-pattern = \"s_2\"\ntable-pattern = \"t_2\"\n"
             "events = [\"delete\"]\naction = \"Ignore\"\n"
             "[[mapping-rule]]\nschema-pattern = \"s_*\"\ntable-pattern = \"t_*\"\n"
             "source-column = \"id\"\ntarget-column = \"id\"\nexpression = \"partition id\"\n"
             "arguments = [\"1\", \"s\", \"t\"]\n"
             "[[mapping-rule]]\nschema-pattern = \"s_*\"\ntable-pattern = \"t_*\"\n"
             "source-column = \"u\"\ntarget-column = \"u\"\nexpression = \"partition id\"\n"
             "arguments = [\"1\", \"s\", \"t\"]\n"
             "[black-white-list]\ndo-dbs = [\"s_1\", \"s_2\"]\n",
             safe ? "true" : "false", mode, g_src, g_dst);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    if (all) {   /* keep writing (no DELETE of s_2.t_2) until the dump is over */
        long long end = tu_now_ms() + 120000;
        int unit;
        while ((unit = unit_of("merge")) != PB__UNIT_TYPE__Load && unit != PB__UNIT_TYPE__Sync &&
               tu_now_ms() < end)
            one_op();
        fprintf(stderr, "dump over (unit %d)\n", unit);
        g_del_phase = 2;
    }
    for (i = 0; i < ops; i++) {
        one_op();
        if (kill9 && i == ops / 2) {   /* resume from the checkpoint (safe-mode window) */
            stop_worker(SIGKILL);
            setenv("DM_WORKER_SAFE_MODE_MS", "0", 1);
            spawn_worker();
        }
    }
    ok = check_merge();
    if (kill9 == 2 && ok)
        fprintf(stderr, "kill9 with partial images: expected merge or named pause\n");
    mysql_close(g_s);
    e2e_env_down();
    ck_assert_msg(ok, "merge: the target is not the expected merge (DMGW_SEED=%llu)",
                  (unsigned long long)seed);
}

START_TEST(merge_normal) { run(false, false, false); }
END_TEST

START_TEST(merge_safe) { run(true, false, false); }
END_TEST

START_TEST(merge_all) { run(false, true, false); }
END_TEST

START_TEST(merge_kill9) { run(false, false, env_int("DMGW_MERGE_KILL9", 1) == 2 ? 2 : 1); }
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_rules_merge");
    TCase *tc = tcase_create("merge");
    int nf;
    SRunner *sr;
    tcase_set_timeout(tc, 240);
    if (!getenv("DMGW_MERGE_KILL9"))
        tcase_add_test(tc, merge_normal);
    if (!getenv("DMGW_MERGE_KILL9"))
        tcase_add_test(tc, merge_safe);
    if (!getenv("DMGW_MERGE_KILL9"))
        tcase_add_test(tc, merge_all);
    if (getenv("DMGW_MERGE_KILL9"))   /* tests/CMakeLists.txt: worker/sync/..._kill9 */
        tcase_add_test(tc, merge_kill9);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}

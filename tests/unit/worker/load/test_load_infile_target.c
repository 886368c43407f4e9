/* test_load_infile_target.c - the Load unit's LOAD DATA LOCAL path (load_infile.h) on real
 * MariaDB: a source table of tricky values (NULL, '', the string '\N', tabs / newlines /
 * backslashes, every byte 0x00-0xff, utf8mb4 and latin1, negative decimals, scientific
 * floats, BIT / ENUM / SET / YEAR / TIMESTAMP / unsigned; and a table of POINT, GEOMETRY, JSON,
 * TIME, BIT(12), SET, ENUM) dumped by the packaged mydumper
 * (plain and --complete-insert; 0.10.1 has no --hex-blob: hex literals are covered by
 * test_load_infile.c), loaded by worker_load_run, compared HEX by HEX, row by row, with
 * myloader's load of the same dump; LOAD DATA was used (Com_load); INSERT IGNORE statements
 * (mydumper --insert-ignore) run as they are, with the same rows; a target with
 * local_infile=OFF gets the same rows as INSERTs; a duplicate key and a strict-mode error
 * still fail naming the file, as with INSERTs.
 * INET6 / UUID (database li6, next to BLOB bytes 0x80-0xff, latin1 and utf8mb4 text, a
 * 16-character INET6 text, NULLs, UUID() values): mydumper's SET NAMES binary makes their
 * dumped text a binary string (Error 1292, or another address), and myloader fails them, so
 * these are compared with the source itself: LOAD DATA, --complete-insert, INSERT IGNORE
 * statements, local_infile=OFF, DMGW_LOAD_INFILE=0 and a column-mapped table all give the
 * source's values. */
#include "worker_e2e.h"

#include "load.h"
#include "rules.h"
#include "subtask_cfg.h"

#define COLS "s,l,b,bl,d,f,fl,dt,ts,bt,e,st,y,u,n"

static void fill_source(void)
{
    sql(g_src, "CREATE DATABASE li");
    sql(g_src, "CREATE TABLE li.t (id INT PRIMARY KEY, s VARCHAR(100) CHARACTER SET utf8mb4, "
               "l VARCHAR(50) CHARACTER SET latin1, b VARBINARY(300), bl BLOB, d DECIMAL(20,6), "
               "f DOUBLE, fl FLOAT, dt DATETIME(6), ts TIMESTAMP NULL, bt BIT(5), "
               "e ENUM('a','b c'), st SET('x','y'), y YEAR, u BIGINT UNSIGNED, "
               "n INT NOT NULL DEFAULT 0, KEY kd (d), KEY ks (s(10)))");
    sql(g_src, "INSERT INTO li.t (id) VALUES (1)");
    sql(g_src, "INSERT INTO li.t (id, s, l, b, bl) VALUES (2, '', '', '', '')");
    sql(g_src, "INSERT INTO li.t (id, s, l, b, bl) VALUES (3, '\\\\N', 'N', '\\\\N', 'NULL')");
    sql(g_src, "INSERT INTO li.t (id, s, l, b, bl) VALUES (4, CONCAT('a', CHAR(9), 'b', "
               "CHAR(10), 'c\\\\d', CHAR(13), '\\'\"', CHAR(26)), CONCAT(CHAR(9), '\\\\'), "
               "CONCAT(CHAR(0), CHAR(9), CHAR(10), CHAR(92)), CONCAT('\\\\%%', '\\\\_'))");
    sql(g_src, "INSERT INTO li.t (id, b, bl) SELECT 5, UNHEX(x), UNHEX(REPEAT(x, 3)) FROM "
               "(SELECT GROUP_CONCAT(LPAD(HEX(seq), 2, '0') ORDER BY seq SEPARATOR '') x "
               "FROM li.seq_0_to_255) h");
    sql(g_src, "INSERT INTO li.t (id, s, l) VALUES (6, _utf8mb4 0xF09F98802063616675C3A920E4B8AD, "
               "_latin1 0xE9E8FF)");
    sql(g_src, "INSERT INTO li.t (id, d, f, fl) VALUES (7, -12345678901234.123456, -2.5e300, "
               "-3.4e38), (8, -0.000001, 1.0000009999999999e-19, 1.17549e-38), "
               "(9, 0, -0.0, 123456789)");
    sql(g_src, "INSERT INTO li.t VALUES (10, 'x', 'y', 0x00, 0x00, 1.5, 1e-300, 0.1, "
               "'2020-02-29 23:59:59.999999', '2038-01-19 03:14:07', b'10101', 'b c', 'x,y', "
               "2155, 18446744073709551615, -7)");
    sql(g_src, "INSERT INTO li.t (id, s, l, b, d, f, n, e, y) SELECT seq, CONCAT('row\\t', seq, "
               "IF(seq %% 3 = 0, '\\n\\\\', '')), IF(seq %% 5 = 0, NULL, CONCAT(_latin1 0xE9, seq)), "
               "UNHEX(MD5(seq)), (CAST(seq AS SIGNED) - 2000) / 7, seq * 1.1e-7, seq, "
               "IF(seq %% 2, 'a', 'b c'), 1901 + seq %% 250 FROM li.seq_11_to_3000");
    sql(g_src, "CREATE TABLE li.g (id INT PRIMARY KEY, pt POINT, gm GEOMETRY, js JSON, "
               "tm TIME(3), bt BIT(12), st SET('a','b'), e ENUM('x','y'))");
    sql(g_src, "INSERT INTO li.g VALUES (1, POINT(1,2), ST_GeomFromText('LINESTRING(0 0,1 1)'), "
               "'{\"a\":\"\\\\t\"}', '-838:59:59.000', b'101010101010', 'a,b', 'y'), "
               "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (3, POINT(-1.5e300, 0), ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), "
               "'[]', '00:00:00.001', b'0', '', 'x')");
}

#define COLS6 "i6 INET6, u UUID, bl BLOB, l VARCHAR(20) CHARACTER SET latin1, " \
    "s VARCHAR(40) CHARACTER SET utf8mb4, i6n INET6 NOT NULL, un UUID NOT NULL, " \
    "KEY k6 (i6), KEY ku (u)"

/* li6.n: INET6 / UUID beside bytes whose meaning depends on the character set */
static void fill_source6(void)
{
    sql(g_src, "CREATE DATABASE li6");
    sql(g_src, "CREATE TABLE li6.n (id INT PRIMARY KEY, " COLS6 ")");
    sql(g_src, "INSERT INTO li6.n SELECT 1, '::1', '123e4567-e89b-12d3-a456-426655440000', "
               "UNHEX(GROUP_CONCAT(LPAD(HEX(seq), 2, '0') ORDER BY seq SEPARATOR '')), "
               "_latin1 0xE9FF27, _utf8mb4 0xF09F98802063616675C3A9, '::', "
               "'00000000-0000-0000-0000-000000000000' FROM li.seq_128_to_255");
    sql(g_src, "INSERT INTO li6.n VALUES (2, NULL, NULL, NULL, NULL, NULL, '::ffff:1.2.3.4', "
               "'ffffffff-ffff-ffff-ffff-ffffffffffff'), "
               "(3, '2001:db8::1:2:34', UUID(), 0x00275C220A09, '\\N', '', 'fe80::1', UUID()), "
               "(4, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '00000000-0000-0000-0000-000000000001',"
               " '', 'N', '\\\\', '1::', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')");
    sql(g_src, "INSERT INTO li6.n SELECT seq, CONCAT('2001:db8::', HEX(seq * 97)), UUID(), "
               "UNHEX(MD5(seq)), CONCAT(_latin1 0xE9, seq), CONCAT('row', seq), "
               "CONCAT('::ffff:10.0.', seq %% 256, '.1'), UUID() FROM li.seq_10_to_400");
}

static void setup(void)
{
    e2e_env_up();
    fill_source();
    fill_source6();
}

static void teardown(void) { e2e_env_down(); }

static void run(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* mydumper of database li into g_dir/<name> (small files and statements: several of each) */
static void dump(const char *name, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mydumper -h 127.0.0.1 -P %d -u root -o %s/%s -B li --rows 700 "
             "-s 20000 -t 2 %s >>%s/mydumper.log 2>&1", g_src, g_dir, name, extra, g_dir);
    run(cmd);
}

static long long com_load(void)
{
    char v[64];
    value(g_dst, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                 "VARIABLE_NAME='COM_LOAD'", v, sizeof v);
    return atoll(v);
}

/* worker_load_run of dump `name` into database `db` (a route schema -> db); err gets the
 * error */
static const char *g_load_extra = "";   /* more task TOML (a mapping rule) */

static int load_schema(const char *name, const char *schema, const char *db, char *err,
                       size_t cap)
{
    char toml[2048], dir[1024], msg[512] = "";
    struct worker_subtask_cfg *cfg = NULL;
    struct worker_rules *rules = NULL;
    struct worker_load *l = worker_load_new();
    struct worker_dump_pos pos;
    struct worker_terr e;
    int rc;
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"full\"\nsource-id = \"src1\"\npool-size = 2\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[[route-rules]]\nschema-pattern = \"%s\"\ntarget-schema = \"%s\"\n"
             "[black-white-list]\ndo-dbs = [\"%s\"]\n%s", db, g_dst, schema, db, schema,
             g_load_extra);
    ck_assert_int_eq(worker_subtask_cfg_parse_toml(toml, strlen(toml), &cfg, msg, sizeof msg),
                     DM_OK);
    ck_assert_msg(worker_rules_new(cfg, &rules, msg, sizeof msg) == DM_OK, "%s", msg);
    snprintf(dir, sizeof dir, "%s/%s", g_dir, name);
    struct worker_load_params p = {cfg, rules, dir, "src1", false};
    /* a transient error (deadlock, lock wait) resumes from the checkpoint, as auto-resume */
    for (int attempt = 0; attempt < 5; attempt++) {
        memset(&e, 0, sizeof e);
        memset(&pos, 0, sizeof pos);
        rc = worker_load_run(l, &p, &pos, &e);
        if (rc == DM_OK || !e.transient)
            break;
        fprintf(stderr, "transient, resuming: %s\n", e.msg);
    }
    snprintf(err, cap, "%s", rc ? e.msg : "");
    worker_load_free(l);
    worker_rules_free(rules);
    worker_subtask_cfg_free(cfg);
    return rc;
}

static int load(const char *name, const char *db, char *err, size_t cap)
{
    return load_schema(name, "li", db, err, cap);
}

/* Every row of db.tbl equal to want.tbl, column by column: the bytes (HEX), and with `value`
 * the value (<=>) too; rows: the count expected. */
static void assert_same_tbl(const char *db, const char *want, const char *tbl, const char *cols,
                            bool value_too, const char *rows)
{
    char q[4096], v[64], cond[2048] = "", col[8];
    const char *c = cols;
    while (*c) {
        size_t n = strcspn(c, ",");
        snprintf(col, sizeof col, "%.*s", (int)n, c);
        snprintf(cond + strlen(cond), sizeof cond - strlen(cond),
                 "%sHEX(CAST(a.%s AS BINARY)) <=> HEX(CAST(b.%s AS BINARY))",
                 cond[0] ? " AND " : "", col, col);
        if (value_too)
            snprintf(cond + strlen(cond), sizeof cond - strlen(cond), " AND a.%s <=> b.%s", col,
                     col);
        c += n + (c[n] == ',');
    }
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM `%s`.%s a JOIN `%s`.%s b USING (id) WHERE %s", db,
             tbl, want, tbl, cond);
    value(g_dst, q, v, sizeof v);
    ck_assert_msg(strcmp(v, rows) == 0, "%s.%s: %s of %s rows equal to %s.%s", db, tbl, v, rows,
                  want, tbl);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM `%s`.%s", db, tbl);
    value(g_dst, q, v, sizeof v);
    ck_assert_str_eq(v, rows);
}

/* li.t and li.g (geometry, JSON, TIME, BIT, SET, ENUM: bytes only) */
static void assert_same(const char *db, const char *want)
{
    assert_same_tbl(db, want, "t", COLS, true, "3000");
    assert_same_tbl(db, want, "g", "pt,gm,js,tm,bt,st,e", false, "3");
}

#define DIGEST6 "SELECT CONCAT(COUNT(*), ' ', MD5(GROUP_CONCAT(%s, ':', " \
    "IFNULL(HEX(CAST(i6 AS BINARY)), 'N'), ':', IFNULL(HEX(CAST(u AS BINARY)), " \
    "'N'), ':', IFNULL(HEX(bl), 'N'), ':', IFNULL(HEX(l), 'N'), ':', " \
    "IFNULL(HEX(s), 'N'), ':', HEX(CAST(i6n AS BINARY)), ':', " \
    "HEX(CAST(un AS BINARY)), ':', IFNULL(CAST(i6 AS CHAR), 'N'), ':', " \
    "IFNULL(CAST(u AS CHAR), 'N') ORDER BY id SEPARATOR ';'))) FROM `%s`.n"

/* db.n holds the rows of the source's li6.n: every column's bytes, and the INET6 / UUID
 * text, in one digest per server */
static void assert_same6_id(const char *db, const char *id)
{
    char q[1024], want[128], got[128];
    snprintf(q, sizeof q, DIGEST6, "id", "li6");
    value(g_src, q, want, sizeof want);
    snprintf(q, sizeof q, DIGEST6, id, db);
    value(g_dst, q, got, sizeof got);
    ck_assert_msg(strncmp(want, "395 ", 4) == 0, "source li6.n: %s", want);
    ck_assert_msg(strcmp(got, want) == 0, "%s.n: %s, source %s", db, got, want);
}

static void assert_same6(const char *db) { assert_same6_id(db, "id"); }

/* myloader, one thread: with two it can stop on an InnoDB deadlock (seen once in 5 runs) */
static void myload(const char *name, const char *db)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "myloader -h 127.0.0.1 -P %d -u root -d %s/%s -B %s -t 1 -o "
             ">>%s/myloader.log 2>&1", g_dst, g_dir, name, db, g_dir);
    run(cmd);
}

/* The plain dump and myloader's load of it (my_plain), once per fixture. */
static void prepare(void)
{
    char v[64], path[1024];
    snprintf(path, sizeof path, "%s/plain/metadata", g_dir);
    if (access(path, F_OK) != 0)
        dump("plain", "");
    value(g_dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='my_plain'",
          v, sizeof v);
    if (strcmp(v, "0") == 0)
        myload("plain", "my_plain");
}

/* db.t created on the target as the source's li.t (the Load keeps an existing table) */
static void precreate(const char *schema, const char *alter)
{
    MYSQL *m = db(g_src);
    MYSQL_RES *r;
    MYSQL_ROW row;
    ck_assert_int_eq(mysql_query(m, "SHOW CREATE TABLE li.t"), 0);
    r = mysql_store_result(m);
    row = mysql_fetch_row(r);
    sql(g_dst, "CREATE DATABASE %s", schema);
    {
        MYSQL *d = db(g_dst);
        char q[4096];
        snprintf(q, sizeof q, "USE %s", schema);
        ck_assert_int_eq(mysql_query(d, q), 0);
        ck_assert_msg(mysql_query(d, row[1]) == 0, "%s", mysql_error(d));
        if (alter) {
            snprintf(q, sizeof q, "ALTER TABLE t %s", alter);
            ck_assert_msg(mysql_query(d, q) == 0, "%s", mysql_error(d));
        }
        mysql_close(d);
    }
    mysql_free_result(r);
    mysql_close(m);
}

START_TEST(same_bytes_as_myloader)
{
    char err[1024];
    long long c0;
    prepare();
    dump("cols", "--complete-insert");   /* INSERT INTO `t` (`id`,...) VALUES */
    myload("cols", "my_cols");
    assert_same("my_cols", "my_plain");
    c0 = com_load();
    ck_assert_msg(load("plain", "ours_plain", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_gt(com_load(), c0 + 3);   /* several statements per file went as LOAD DATA */
    assert_same("ours_plain", "my_plain");
    c0 = com_load();
    ck_assert_msg(load("cols", "ours_cols", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_gt(com_load(), c0 + 3);
    assert_same("ours_cols", "my_plain");
    /* statements the converter does not take (INSERT IGNORE) run as they are */
    dump("ign", "--insert-ignore");
    c0 = com_load();
    ck_assert_msg(load("ign", "ours_ign", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_eq(com_load(), c0);
    assert_same("ours_ign", "my_plain");
    /* a target that refuses LOAD DATA LOCAL: the same rows as INSERTs */
    sql(g_dst, "SET GLOBAL local_infile = 0");
    c0 = com_load();
    ck_assert_msg(load("plain", "ours_off", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_eq(com_load(), c0);
    sql(g_dst, "SET GLOBAL local_infile = 1");
    assert_same("ours_off", "my_plain");
}
END_TEST

/* LOAD DATA LOCAL only warns for these (IGNORE semantics): the statement is rolled back and
 * the INSERT's error stops the load naming the file; after the cause is removed the load
 * resumes from its checkpoint with every row exactly once. */
START_TEST(errors_stay_errors)
{
    char err[1024], v[64];
    prepare();
    precreate("dup", NULL);
    sql(g_dst, "INSERT INTO dup.t (id, s) VALUES (1500, 'already here')");
    ck_assert_int_ne(load("plain", "dup", err, sizeof err), DM_OK);
    ck_assert_msg(strstr(err, "Error 1062") && strstr(err, "Duplicate entry '1500'") &&
                  strstr(err, "file li.t."), "%s", err);
    value(g_dst, "SELECT s FROM dup.t WHERE id = 1500", v, sizeof v);
    ck_assert_str_eq(v, "already here");
    sql(g_dst, "DELETE FROM dup.t WHERE id = 1500");
    ck_assert_msg(load("plain", "dup", err, sizeof err) == DM_OK, "%s", err);
    assert_same("dup", "my_plain");
    /* strict mode: a value too long for the target's column */
    precreate("strict", "MODIFY s VARCHAR(3)");
    ck_assert_int_ne(load("plain", "strict", err, sizeof err), DM_OK);
    ck_assert_msg(strstr(err, "Error 1406") && strstr(err, "file li.t."), "%s", err);
    value(g_dst, "SELECT COUNT(*) FROM strict.t WHERE LENGTH(s) > 3", v, sizeof v);
    ck_assert_str_eq(v, "0");
}
END_TEST

/* mydumper of database li6 into g_dir/<name> */
static void dump6(const char *name, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mydumper -h 127.0.0.1 -P %d -u root -o %s/%s -B li6 --rows 150 "
             "-s 8000 -t 2 %s >>%s/mydumper.log 2>&1", g_src, g_dir, name, extra, g_dir);
    run(cmd);
}

START_TEST(inet6_uuid_as_source)
{
    char err[1024];
    long long c0;
    dump6("n_plain", "");
    dump6("n_cols", "--complete-insert");
    dump6("n_ign", "--insert-ignore");
    c0 = com_load();
    ck_assert_msg(load_schema("n_plain", "li6", "n_plain", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_gt(com_load(), c0 + 2);   /* LOAD DATA with SET i6 = CONVERT(...) */
    assert_same6("n_plain");
    c0 = com_load();
    ck_assert_msg(load_schema("n_cols", "li6", "n_cols", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_gt(com_load(), c0 + 2);
    assert_same6("n_cols");
    /* INSERT IGNORE runs as an INSERT: without the _utf8mb4 fix it would store NULL / '::'
     * with a warning instead of failing */
    c0 = com_load();
    ck_assert_msg(load_schema("n_ign", "li6", "n_ign", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_eq(com_load(), c0);
    assert_same6("n_ign");
    sql(g_dst, "SET GLOBAL local_infile = 0");
    c0 = com_load();
    ck_assert_msg(load_schema("n_plain", "li6", "n_off", err, sizeof err) == DM_OK, "%s", err);
    ck_assert_int_eq(com_load(), c0);
    sql(g_dst, "SET GLOBAL local_infile = 1");
    assert_same6("n_off");
    setenv("DMGW_LOAD_INFILE", "0", 1);
    c0 = com_load();
    ck_assert_msg(load_schema("n_cols", "li6", "n_env", err, sizeof err) == DM_OK, "%s", err);
    unsetenv("DMGW_LOAD_INFILE");
    ck_assert_int_eq(com_load(), c0);
    assert_same6("n_env");
    /* a column-mapped table (partition id on id; BIGINT target): INSERTs through the mapper */
    sql(g_dst, "CREATE DATABASE n_map");
    sql(g_dst, "CREATE TABLE n_map.n (id BIGINT PRIMARY KEY, " COLS6 ")");
    g_load_extra = "[[mapping-rule]]\nschema-pattern = \"li6\"\ntable-pattern = \"n\"\n"
                   "source-column = \"id\"\ntarget-column = \"id\"\n"
                   "expression = \"partition id\"\narguments = [\"1\", \"\", \"\"]\n";
    c0 = com_load();
    ck_assert_msg(load_schema("n_plain", "li6", "n_map", err, sizeof err) == DM_OK, "%s", err);
    g_load_extra = "";
    ck_assert_int_eq(com_load(), c0);
    assert_same6_id("n_map", "id - (1 << 59)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_infile_target");
    TCase *tc = tcase_create("target");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, same_bytes_as_myloader);
    tcase_add_test(tc, errors_stay_errors);
    tcase_add_test(tc, inet6_uuid_as_source);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);   /* nofork: the fixture initialised gRPC in this process */
}

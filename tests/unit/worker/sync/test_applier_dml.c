/* test_applier_dml.c - DML text of the generator (applier_dml.c) and statement merging
 * (worker_sql_append): DELETE by a PK / NOT NULL unique key in a mergeable form (IN-list
 * for one column, OR of conjunctions for composite keys, capped per statement), key-less and nullable-key tables keep DM's per-row
 * "DELETE ... LIMIT 1", safe-mode UPDATE keeping its key = REPLACE alone (mergeable),
 * changing its key = DELETE;REPLACE, a safe-mode DELETE right before a REPLACE of the same
 * row left out, batch order grouping mergeable jobs without reordering jobs that share a
 * causality key. No database: the schema cache is filled by hand and
 * the connection handle is only used for escaping. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "applier.h"
#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"
#include "dmlbatch.h"
#include "testutil.h"

#define MAXJOBS 16

struct jobs {
    size_t n;
    char *sql[MAXJOBS];
    size_t len[MAXJOBS], head[MAXJOBS];
    enum worker_merge merge[MAXJOBS];
    bool keyless[MAXJOBS], supersedes[MAXJOBS], barrier[MAXJOBS], must_match[MAXJOBS];
    bool finds_row[MAXJOBS];
    char *key[MAXJOBS];
    char *alt[MAXJOBS];       /* worker_rowjob.alt with its NULs as '|' */
    uint64_t keys[MAXJOBS][8];
    size_t nkeys[MAXJOBS];
};

static int collect(void *ud, const struct worker_rowjob *j, struct worker_terr *e)
{
    struct jobs *js = ud;
    (void)e;
    ck_assert_uint_lt(js->n, MAXJOBS);
    js->sql[js->n] = strndup(j->sql, j->len);
    js->len[js->n] = j->len;
    js->head[js->n] = j->head_len;
    js->merge[js->n] = j->merge;
    js->key[js->n] = j->key ? strndup(j->key, j->key_len) : NULL;
    js->supersedes[js->n] = j->supersedes;
    js->keyless[js->n] = j->keyless;
    js->barrier[js->n] = j->barrier;
    js->must_match[js->n] = j->must_match;
    js->finds_row[js->n] = j->finds_row;
    js->alt[js->n] = NULL;
    if (j->alt) {
        size_t i;
        js->alt[js->n] = calloc(j->alt_len + 1, 1);
        ck_assert_ptr_nonnull(js->alt[js->n]);
        for (i = 0; i < j->alt_len; i++)
            js->alt[js->n][i] = j->alt[i] ? j->alt[i] : '|';
    }
    ck_assert_uint_le(j->nkeys, 8);
    memcpy(js->keys[js->n], j->keys, j->nkeys * sizeof *j->keys);
    js->nkeys[js->n] = j->nkeys;
    js->n++;
    return DM_OK;
}

static void jobs_free(struct jobs *js)
{
    size_t i;
    for (i = 0; i < js->n; i++) {
        free(js->sql[i]);
        free(js->key[i]);
        free(js->alt[i]);
    }
    memset(js, 0, sizeof *js);
}

static struct worker_sqlpart part(const struct jobs *js, size_t i)
{
    struct worker_sqlpart p = { js->sql[i], js->len[i], js->head[i], js->merge[i], js->key[i],
                                js->key[i] ? strlen(js->key[i]) : 0, js->supersedes[i],
                                NULL, 0, false, false, NULL, 0 };
    return p;
}

/* All jobs appended to one packet as dmlpool does. */
static char *packet(const struct jobs *js)
{
    struct dm_buf b;
    struct worker_sqlpart prev, cur, next;
    size_t i, nmerged = 0;
    bool have_prev = false;
    dm_buf_init(&b, 1 << 20);
    for (i = 0; i < js->n; i++) {
        cur = part(js, i);
        if (i + 1 < js->n) {
            next = part(js, i + 1);
            if (worker_sql_redundant(&cur, &next))
                continue;
        }
        ck_assert_int_eq(worker_sql_append(&b, have_prev ? &prev : NULL, &cur, &nmerged), DM_OK);
        prev = cur;
        have_prev = true;
    }
    return dm_buf_take(&b);
}

static struct worker_applier *applier(void)
{
    struct worker_applier *a = calloc(1, sizeof *a);
    ck_assert_ptr_nonnull(a);
    a->my = mysql_init(NULL);
    ck_assert_ptr_nonnull(a->my);
    dm_buf_init(&a->sql, 1 << 20);
    dm_buf_init(&a->key, 1 << 20);
    return a;
}

/* Table `db`.`name` with columns cols (comma separated), nullable flags, and keys: "P:0,1"
 * (primary on columns 0 and 1), "U:2" (unique), separated by ';'. */
static void add_table(struct worker_applier *a, const char *name, const char *cols,
                      const char *nullable, const char *keys)
{
    struct tinfo *t = calloc(1, sizeof *t);
    char *list = strdup(cols), *c, *save = NULL, *ks = strdup(keys), *k, *save2 = NULL;
    size_t n = 0;
    ck_assert_ptr_nonnull(t);
    t->schema = strdup("db");
    t->table = strdup(name);
    t->cols = calloc(8, sizeof *t->cols);
    t->gen = calloc(8, sizeof *t->gen);
    t->nullable = calloc(8, sizeof *t->nullable);
    t->is_unsigned = calloc(8, sizeof *t->is_unsigned);
    for (c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        t->cols[n] = strdup(c);
        t->nullable[n] = nullable[n] == '1';
        n++;
    }
    t->ncols = t->nwritable = n;
    for (k = strtok_r(ks, ";", &save2); k; k = strtok_r(NULL, ";", &save2)) {
        struct tkey *key;
        const char *p;
        t->keys = realloc(t->keys, (t->nkeys + 1) * sizeof *t->keys);
        key = &t->keys[t->nkeys++];
        memset(key, 0, sizeof *key);
        key->primary = k[0] == 'P';
        key->not_null = true;
        key->idx = calloc(8, sizeof *key->idx);
        for (p = k + 2; *p; p++) {
            if (*p == ',')
                continue;
            key->idx[key->n] = (size_t)(*p - '0');
            key->not_null &= !t->nullable[key->idx[key->n]];
            key->n++;
        }
    }
    free(list);
    free(ks);
    t->next = a->cache;
    a->cache = t;
}

static struct bl_value iv(int64_t i)
{
    struct bl_value v = { .kind = BL_INT, .i = i };
    return v;
}

static struct bl_value sv(const char *s)
{
    struct bl_value v = { .kind = BL_STRING, .ptr = s, .len = strlen(s) };
    return v;
}

static struct bl_value nv(void)
{
    struct bl_value v = { .kind = BL_NULL };
    return v;
}

/* Rows event on `db`.`name` with nrows images of ncols columns (vals: row-major), each
 * image with the present bitmaps pb (before) / pa (after) (NULL: all present); the
 * generator's return code (*e its error). */
static int gen_img(struct worker_applier *a, const char *name, enum bl_rows_op op, bool safe,
                   size_t ncols, size_t nrows, struct bl_value *vals, struct bl_value *after,
                   uint8_t *pb, uint8_t *pa, struct jobs *js, struct worker_terr *e)
{
    struct bl_table tb = { .schema = "db", .table = (char *)name, .ncols = ncols };
    struct bl_row rows[4], arows[4];
    struct bl_event ev;
    size_t r;
    memset(&ev, 0, sizeof ev);
    memset(e, 0, sizeof *e);
    for (r = 0; r < nrows; r++) {
        rows[r].cols = vals + ncols * r;
        rows[r].present = pb;
        if (after) {
            arows[r].cols = after + ncols * r;
            arows[r].present = pa;
        }
    }
    snprintf(ev.file, sizeof ev.file, "mysql-bin.000007");
    ev.next_pos = 4242;
    ev.kind = BL_EV_ROWS;
    ev.op = op;
    ev.table = &tb;
    ev.nrows = nrows;
    ev.rows = rows;
    ev.after = after ? arows : NULL;
    return worker_applier_gen_rows(a, &ev, "db", name, safe, NULL, collect, js, e);
}

/* Whether jobs i and j of js share a causality key (dmlpool then runs them in order). */
static bool share_key(const struct jobs *js, size_t i, size_t j)
{
    size_t x, y;
    for (x = 0; x < js->nkeys[i]; x++)
        for (y = 0; y < js->nkeys[j]; y++)
            if (js->keys[i][x] == js->keys[j][y])
                return true;
    return false;
}

/* One UPDATE row of source table `src`.`stab` routed to `db`.`name` (2 full columns). */
static void gen_routed(struct worker_applier *a, const char *src, const char *stab,
                       const char *name, bool safe, struct bl_value *before,
                       struct bl_value *after, struct jobs *js)
{
    struct bl_table tb = { .schema = (char *)src, .table = (char *)stab, .ncols = 2 };
    struct bl_row row = { .cols = before }, arow = { .cols = after };
    struct bl_event ev;
    struct worker_terr e;
    memset(&ev, 0, sizeof ev);
    memset(&e, 0, sizeof e);
    ev.kind = BL_EV_ROWS;
    ev.op = BL_UPDATE;
    ev.table = &tb;
    ev.nrows = 1;
    ev.rows = &row;
    ev.after = &arow;
    ck_assert_int_eq(worker_applier_gen_rows(a, &ev, "db", name, safe, NULL, collect, js, &e),
                     DM_OK);
}

/* Rows event on `db`.`name` with nrows images of 2 columns (vals: row-major). */
static void gen(struct worker_applier *a, const char *name, enum bl_rows_op op, bool safe,
                size_t nrows, struct bl_value *vals, struct bl_value *after, struct jobs *js)
{
    struct bl_table tb = { .schema = "db", .table = (char *)name, .ncols = 2 };
    struct bl_row rows[4], arows[4];
    struct bl_event ev;
    struct worker_terr e;
    size_t r;
    memset(&ev, 0, sizeof ev);
    memset(&e, 0, sizeof e);
    tb.schema = (char *)"db";
    for (r = 0; r < nrows; r++) {
        rows[r].cols = vals + 2 * r;
        rows[r].present = NULL;
        if (after) {
            arows[r].cols = after + 2 * r;
            arows[r].present = NULL;
        }
    }
    ev.kind = BL_EV_ROWS;
    ev.op = op;
    ev.table = &tb;
    ev.nrows = nrows;
    ev.rows = rows;
    ev.after = after ? arows : NULL;
    ck_assert_int_eq(worker_applier_gen_rows(a, &ev, "db", name, safe, NULL, collect, js, &e),
                     DM_OK);
}

START_TEST(delete_single_key_merged)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value v[] = { iv(1), sv("a"), iv(2), sv("b'c") };
    char *p;
    add_table(a, "t1", "id,c", "01", "P:0");
    gen(a, "t1", BL_DELETE, false, 2, v, NULL, &js);
    ck_assert_uint_eq(js.n, 2);
    ck_assert_str_eq(js.sql[0], "DELETE FROM `db`.`t1` WHERE `id` IN (1)");
    ck_assert_uint_eq(js.head[0], strlen("DELETE FROM `db`.`t1` WHERE `id` IN ("));
    ck_assert_int_eq(js.merge[0], WORKER_MERGE_IN);
    ck_assert(!js.keyless[0]);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t1` WHERE `id` IN (1,2)");
    free(p);
    /* the same delete in safe mode is the same statement */
    jobs_free(&js);
    gen(a, "t1", BL_DELETE, true, 1, v, NULL, &js);
    ck_assert_str_eq(js.sql[0], "DELETE FROM `db`.`t1` WHERE `id` IN (1)");
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

START_TEST(delete_composite_key_merged)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value v[] = { iv(1), sv("x"), iv(2), sv("y") };
    char *p;
    add_table(a, "t2", "a,b", "00", "P:0,1");
    gen(a, "t2", BL_DELETE, false, 2, v, NULL, &js);
    /* OR of conjunctions: MariaDB's DELETE scans the table for a one-element row IN */
    ck_assert_str_eq(js.sql[0], "DELETE FROM `db`.`t2` WHERE (`a`=1 AND `b`='x')");
    ck_assert_uint_eq(js.head[0], strlen("DELETE FROM `db`.`t2` WHERE "));
    ck_assert_int_eq(js.merge[0], WORKER_MERGE_OR);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t2` WHERE (`a`=1 AND `b`='x') OR (`a`=2 AND `b`='y')");
    free(p);
    jobs_free(&js);
    /* NOT NULL unique key (no PK) qualifies too */
    add_table(a, "t4", "a,b", "01", "U:0");
    gen(a, "t4", BL_DELETE, false, 2, v, NULL, &js);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t4` WHERE `a` IN (1,2)");
    free(p);
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

/* A unique key over a generated column: no image holds its values, so the rows of the
 * table share a causality key (the table) - an INSERT taking a generated value runs after
 * the UPDATE freeing it (test_sync_divrand2 random_mix2: Error 1062 in normal mode). */
START_TEST(generated_unique_orders_table)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value up[] = { iv(1), iv(3) }, up2[] = { iv(1), iv(4) }, ins[] = { iv(5), iv(3) };
    size_t i, k;
    bool common = false;
    add_table(a, "tg", "id,a,s", "011", "P:0;U:2");
    a->cache->gen[2] = true;
    a->cache->nwritable = 2;
    gen(a, "tg", BL_UPDATE, false, 1, up, up2, &js);
    gen(a, "tg", BL_INSERT, false, 1, ins, NULL, &js);
    ck_assert_uint_eq(js.n, 2);
    for (i = 0; i < js.nkeys[0]; i++)
        for (k = 0; k < js.nkeys[1]; k++)
            common |= js.keys[0][i] == js.keys[1][k];
    ck_assert_msg(common, "the UPDATE and the INSERT share no causality key");
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

START_TEST(delete_keyless_not_merged)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value v[] = { iv(1), sv("x"), iv(2), nv() };
    char *p;
    add_table(a, "t3", "a,b", "11", "");
    gen(a, "t3", BL_DELETE, false, 2, v, NULL, &js);
    ck_assert(js.keyless[0]);
    ck_assert(js.finds_row[0] && js.finds_row[1]);  /* dmlpool runs each alone, one row */
    ck_assert_uint_eq(js.head[0], 0);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t3` WHERE `a`=1 AND `b`='x' LIMIT 1;"
                        "DELETE FROM `db`.`t3` WHERE `a`=2 AND `b` IS NULL LIMIT 1");
    free(p);
    jobs_free(&js);
    /* nullable unique key: per row, as DM */
    add_table(a, "t5", "a,b", "11", "U:0");
    gen(a, "t5", BL_DELETE, false, 2, v, NULL, &js);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t5` WHERE `a`=1 LIMIT 1;"
                        "DELETE FROM `db`.`t5` WHERE `a`=2 LIMIT 1");
    free(p);
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

START_TEST(safe_update_same_key_is_replace)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 }, ins = { 0 };
    struct bl_value before[] = { iv(1), sv("a"), iv(2), sv("b") };
    struct bl_value after[] = { iv(1), sv("A"), iv(7), sv("b") };
    struct bl_value row[] = { iv(3), sv("c") };
    char *p;
    add_table(a, "t1", "id,c", "01", "P:0");
    gen(a, "t1", BL_UPDATE, true, 2, before, after, &js);
    ck_assert_uint_eq(js.n, 2);
    ck_assert_str_eq(js.sql[0], "REPLACE INTO `db`.`t1` (`id`,`c`) VALUES (1,'A')");
    ck_assert_uint_gt(js.head[0], 0);
    /* key changed: DM's DELETE + REPLACE, not mergeable */
    ck_assert_str_eq(js.sql[1], "DELETE FROM `db`.`t1` WHERE `id`=2 LIMIT 1;"
                                "REPLACE INTO `db`.`t1` (`id`,`c`) VALUES (7,'b')");
    ck_assert_uint_eq(js.head[1], 0);
    /* a safe-mode insert after the same-key update merges into its REPLACE */
    gen(a, "t1", BL_INSERT, true, 1, row, NULL, &ins);
    free(js.sql[1]);
    js.sql[1] = ins.sql[0];
    js.len[1] = ins.len[0];
    js.head[1] = ins.head[0];
    js.merge[1] = ins.merge[0];
    free(js.key[1]);
    js.key[1] = ins.key[0];
    js.supersedes[1] = ins.supersedes[0];
    ins.n = 0;
    p = packet(&js);
    ck_assert_str_eq(p, "REPLACE INTO `db`.`t1` (`id`,`c`) VALUES (1,'A'),(3,'c')");
    free(p);
    jobs_free(&js);
    /* normal mode: DM's UPDATE */
    gen(a, "t1", BL_UPDATE, false, 1, before, after, &js);
    ck_assert_str_eq(js.sql[0], "UPDATE `db`.`t1` SET `id`=1,`c`='A' WHERE `id`=1 LIMIT 1");
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

START_TEST(mixed_statements_not_merged)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value v[] = { iv(1), sv("a") };
    char *p;
    add_table(a, "t1", "id,c", "01", "P:0");
    add_table(a, "t6", "id,c", "01", "P:0");
    gen(a, "t1", BL_DELETE, false, 1, v, NULL, &js);
    gen(a, "t6", BL_DELETE, false, 1, v, NULL, &js);
    gen(a, "t6", BL_INSERT, false, 1, v, NULL, &js);
    gen(a, "t6", BL_DELETE, false, 1, v, NULL, &js);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t1` WHERE `id` IN (1);"
                        "DELETE FROM `db`.`t6` WHERE `id` IN (1);"
                        "INSERT INTO `db`.`t6` (`id`,`c`) VALUES (1,'a');"
                        "DELETE FROM `db`.`t6` WHERE `id` IN (1)");
    free(p);
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

START_TEST(merged_delete_capped)
{
    struct worker_sqlpart one = { "DELETE FROM `db`.`t1` WHERE `id` IN (7)", 0, 0, WORKER_MERGE_IN,
                                  NULL, 0, false, NULL, 0, false, false, NULL, 0 };
    struct dm_buf b;
    size_t i, nmerged = 0, stmts = 1;
    one.len = strlen(one.sql);
    one.head_len = one.len - 2;
    dm_buf_init(&b, 1 << 20);
    for (i = 0; i < WORKER_MERGE_MAX_DELETE + 1; i++)
        ck_assert_int_eq(worker_sql_append(&b, i ? &one : NULL, &one, &nmerged), DM_OK);
    for (i = 0; i < b.len; i++)
        stmts += b.data[i] == ';';
    ck_assert_uint_eq(stmts, 2);
    ck_assert_uint_eq(nmerged, 1);
    ck_assert(strstr(b.data, ",7);DELETE FROM `db`.`t1` WHERE `id` IN (7)") != NULL);
    dm_buf_free(&b);
}
END_TEST

/* Safe mode: DELETE k right before REPLACE k (sysbench's delete + insert of one id) is
 * left out; a DELETE of another key, a normal-mode INSERT or a key-less table keep it. */
START_TEST(delete_before_replace_of_same_row_dropped)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value d1[] = { iv(1), sv("a") }, r1[] = { iv(1), sv("b") };
    struct bl_value d2[] = { iv(2), sv("x") }, r2[] = { iv(2), sv("Y") };
    char *p;
    add_table(a, "t1", "id,c", "01", "P:0");
    add_table(a, "t2", "a,b", "00", "P:0,1");
    add_table(a, "t3", "a,b", "11", "");
    gen(a, "t1", BL_DELETE, true, 1, d1, NULL, &js);
    ck_assert_str_eq(js.key[0], "`db`.`t1`:1");
    ck_assert(!js.supersedes[0]);
    gen(a, "t1", BL_INSERT, true, 1, r1, NULL, &js);
    ck_assert_str_eq(js.key[1], "`db`.`t1`:1");
    ck_assert(js.supersedes[1]);
    gen(a, "t1", BL_DELETE, true, 1, d2, NULL, &js);    /* other key: kept */
    gen(a, "t1", BL_INSERT, true, 1, r1, NULL, &js);
    p = packet(&js);
    ck_assert_str_eq(p, "REPLACE INTO `db`.`t1` (`id`,`c`) VALUES (1,'b');"
                        "DELETE FROM `db`.`t1` WHERE `id` IN (2);"
                        "REPLACE INTO `db`.`t1` (`id`,`c`) VALUES (1,'b')");
    free(p);
    jobs_free(&js);
    /* composite key: values compared exactly ('x' vs 'Y' differ in the 2nd part) */
    gen(a, "t2", BL_DELETE, true, 1, d2, NULL, &js);
    gen(a, "t2", BL_INSERT, true, 1, r2, NULL, &js);
    gen(a, "t2", BL_DELETE, true, 1, r2, NULL, &js);
    gen(a, "t2", BL_UPDATE, true, 1, r2, r2, &js);      /* same-key update = REPLACE */
    ck_assert_str_eq(js.key[3], "`db`.`t2`:2,'Y'");
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t2` WHERE (`a`=2 AND `b`='x');"
                        "REPLACE INTO `db`.`t2` (`a`,`b`) VALUES (2,'Y'),(2,'Y')");
    free(p);
    jobs_free(&js);
    /* normal mode INSERT and key-less tables: nothing dropped */
    gen(a, "t1", BL_DELETE, false, 1, d1, NULL, &js);
    gen(a, "t1", BL_INSERT, false, 1, r1, NULL, &js);
    ck_assert(!js.supersedes[1]);
    gen(a, "t3", BL_DELETE, true, 1, d1, NULL, &js);
    gen(a, "t3", BL_INSERT, true, 1, d1, NULL, &js);
    ck_assert_ptr_null(js.key[2]);
    ck_assert_ptr_null(js.key[3]);
    p = packet(&js);
    ck_assert_str_eq(p, "DELETE FROM `db`.`t1` WHERE `id` IN (1);"
                        "INSERT INTO `db`.`t1` (`id`,`c`) VALUES (1,'b');"
                        "DELETE FROM `db`.`t3` WHERE `a`=1 AND `b`='a' LIMIT 1;"
                        "REPLACE INTO `db`.`t3` (`a`,`b`) VALUES (1,'a')");
    free(p);
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

/* Grouping: jobs move before earlier ones only when they share no causality key. */
START_TEST(order_groups_without_key_conflicts)
{
    static const char *sql[] = {
        "REPLACE INTO `db`.`a` (`id`) VALUES (1)", "REPLACE INTO `db`.`b` (`id`) VALUES (2)",
        "REPLACE INTO `db`.`a` (`id`) VALUES (3)", "DELETE FROM `db`.`b` WHERE `id` IN (4)",
        "REPLACE INTO `db`.`b` (`id`) VALUES (5)", "REPLACE INTO `db`.`a` (`id`) VALUES (2)",
        "UPDATE `db`.`a` SET `id`=9 WHERE `id`=9 LIMIT 1", "REPLACE INTO `db`.`a` (`id`) VALUES (7)" };
    static const uint64_t keys[] = { 1, 2, 3, 4, 5, 2, 9, 7 };
    static const size_t want[] = { 0, 2, 1, 4, 3, 5, 7, 6 };
    struct worker_sqlpart p[8];
    size_t order[8], i, nmerged = 0;
    struct dm_buf b;
    memset(p, 0, sizeof p);
    for (i = 0; i < 8; i++) {
        p[i].sql = sql[i];
        p[i].len = strlen(sql[i]);
        p[i].merge = sql[i][0] == 'R' ? WORKER_MERGE_VALUES
                     : sql[i][0] == 'D' ? WORKER_MERGE_IN : WORKER_MERGE_NONE;
        p[i].head_len = p[i].merge == WORKER_MERGE_NONE ? 0
                        : (size_t)(strrchr(sql[i], '(') - sql[i]) + (sql[i][0] == 'D');
        p[i].keys = &keys[i];
        p[i].nkeys = 1;
    }
    ck_assert_int_eq(worker_sql_order(p, 8, order), DM_OK);
    for (i = 0; i < 8; i++)
        ck_assert_uint_eq(order[i], want[i]);
    dm_buf_init(&b, 1 << 20);
    for (i = 0; i < 8; i++)
        ck_assert_int_eq(worker_sql_append(&b, i ? &p[order[i - 1]] : NULL, &p[order[i]],
                                           &nmerged), DM_OK);
    ck_assert_str_eq(b.data, "REPLACE INTO `db`.`a` (`id`) VALUES (1),(3);"
                             "REPLACE INTO `db`.`b` (`id`) VALUES (2),(5);"
                             "DELETE FROM `db`.`b` WHERE `id` IN (4);"
                             "REPLACE INTO `db`.`a` (`id`) VALUES (2),(7);"
                             "UPDATE `db`.`a` SET `id`=9 WHERE `id`=9 LIMIT 1");
    dm_buf_free(&b);
}
END_TEST

/* Partial row images (binlog_row_image MINIMAL/NOBLOB): only present columns written,
 * row found by the before-image key, no REPLACE of a partial after-image in safe mode,
 * inserts with different column sets never merge, a missing key is a named error, a
 * job hiding a unique value is a barrier. */
START_TEST(partial_images)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct worker_terr e;
    struct bl_value b[] = { iv(1), nv(), nv() }, af[] = { nv(), sv("x"), nv() };
    struct bl_value i1[] = { iv(5), sv("p"), nv() }, i2[] = { iv(6), nv(), nv() };
    uint8_t key_only[] = { 1, 0, 0 }, c_only[] = { 0, 1, 0 }, two[] = { 1, 1, 0 };
    int safe;
    struct worker_sqlpart p0, p1;
    add_table(a, "p", "id,c,u", "001", "P:0;U:2");
    for (safe = 0; safe < 2; safe++) {
        ck_assert_int_eq(gen_img(a, "p", BL_UPDATE, safe, 3, 1, b, af, key_only, c_only, &js, &e),
                         DM_OK);
        ck_assert_uint_eq(js.n, 1);
        ck_assert_str_eq(js.sql[0], "UPDATE `db`.`p` SET `c`='x' WHERE `id`=1 LIMIT 1");
        ck_assert(!js.barrier[0]);
        jobs_free(&js);
    }
    /* DELETE by the present PK frees an unknown value of UK u: barrier, never merged */
    ck_assert_int_eq(gen_img(a, "p", BL_DELETE, false, 3, 1, b, NULL, key_only, NULL, &js, &e),
                     DM_OK);
    ck_assert_str_eq(js.sql[0], "DELETE FROM `db`.`p` WHERE `id` IN (1)");
    ck_assert(js.barrier[0]);
    ck_assert_uint_eq(js.head[0], 0);
    jobs_free(&js);
    /* inserts of different column sets: different heads */
    ck_assert_int_eq(gen_img(a, "p", BL_INSERT, true, 3, 1, i1, NULL, two, NULL, &js, &e), DM_OK);
    ck_assert_int_eq(gen_img(a, "p", BL_INSERT, true, 3, 1, i2, NULL, key_only, NULL, &js, &e),
                     DM_OK);
    ck_assert_str_eq(js.sql[0], "REPLACE INTO `db`.`p` (`id`,`c`) VALUES (5,'p')");
    ck_assert_str_eq(js.sql[1], "REPLACE INTO `db`.`p` (`id`) VALUES (6)");
    p0 = part(&js, 0);
    p1 = part(&js, 1);
    ck_assert(!worker_sql_mergeable(&p0, &p1));
    jobs_free(&js);
    /* the before-image lacks the key: a named error, no job */
    ck_assert_int_eq(gen_img(a, "p", BL_UPDATE, false, 3, 1, b, af, c_only, c_only, &js, &e),
                     DM_E_INVAL);
    ck_assert_uint_eq(js.n, 0);
    ck_assert(!e.transient);
    ck_assert_msg(strstr(e.msg, "`db`.`p` at (mysql-bin.000007, 4242)") &&
                  strstr(e.msg, "lacks the key columns `id` of the PRIMARY KEY"), "%s", e.msg);
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

/* Two rows of two source tables merged into one target table swap their nullable UNIQUE
 * values through a NULL (A: u 1 -> NULL, B: u 2 -> 1, A: u NULL -> 2): each change that
 * frees a value and the change that takes it share a causality key (before AND after
 * images, keyed by the target table, not the source one), so dmlpool runs them in source
 * order on one connection, in normal and safe mode; the rows' PKs alone would have put
 * them on different connections (Error 1062 or a wrong final table by timing). */
START_TEST(merged_unique_swap_shares_keys)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value a0[] = { iv(10), iv(1) }, a1[] = { iv(10), nv() }, a2[] = { iv(10), iv(2) };
    struct bl_value b0[] = { iv(20), iv(2) }, b1[] = { iv(20), iv(1) };
    int safe;
    add_table(a, "m", "id,u", "01", "P:0;U:1");
    for (safe = 0; safe < 2; safe++) {
        gen_routed(a, "s_1", "t_1", "m", safe, a0, a1, &js);   /* frees 1 */
        gen_routed(a, "s_2", "t_2", "m", safe, b0, b1, &js);   /* frees 2, takes 1 */
        gen_routed(a, "s_1", "t_1", "m", safe, a1, a2, &js);   /* takes 2 */
        ck_assert_uint_eq(js.n, 3);
        ck_assert_msg(share_key(&js, 0, 1), "u=1 freed by A, taken by B: no shared key");
        ck_assert_msg(share_key(&js, 1, 2), "u=2 freed by B, taken by A: no shared key");
        ck_assert(!js.barrier[0] && !js.barrier[1] && !js.barrier[2]);
        jobs_free(&js);
    }
    worker_applier_free(a);
}
END_TEST

/* Safe mode, partial after-image: an UPDATE that moves the row to another PK is a
 * must_match job (a crash replay over a target already ahead cannot apply it blindly);
 * one that keeps the key, and any normal-mode UPDATE, is not. */
START_TEST(partial_key_move_must_match)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct worker_terr e;
    struct bl_value b[] = { iv(1), nv(), nv() }, mv[] = { iv(2), nv(), nv() },
                    cv[] = { nv(), sv("x"), nv() }, nb[] = { iv(1), sv("p"), nv() };
    uint8_t key_only[] = { 1, 0, 0 }, c_only[] = { 0, 1, 0 }, two[] = { 1, 1, 0 };
    int safe;
    add_table(a, "q", "id,c,u", "001", "P:0;U:2");
    for (safe = 0; safe < 2; safe++) {
        ck_assert_int_eq(gen_img(a, "q", BL_UPDATE, safe, 3, 1, b, mv, key_only, key_only, &js,
                                 &e), DM_OK);
        ck_assert_str_eq(js.sql[0], "UPDATE `db`.`q` SET `id`=2 WHERE `id`=1 LIMIT 1");
        ck_assert(js.must_match[0] == (safe == 1));
        ck_assert_int_eq(gen_img(a, "q", BL_UPDATE, safe, 3, 1, b, cv, key_only, c_only, &js,
                                 &e), DM_OK);
        ck_assert(!js.must_match[1]);
        /* a before-image with more than the key (NOBLOB): safe mode finds the row by all */
        ck_assert_int_eq(gen_img(a, "q", BL_UPDATE, safe, 3, 1, nb, mv, two, key_only, &js,
                                 &e), DM_OK);
        ck_assert_str_eq(js.sql[2], safe ? "UPDATE `db`.`q` SET `id`=2 WHERE `id`=1 AND `c`='p' "
                                           "LIMIT 1"
                                         : "UPDATE `db`.`q` SET `id`=2 WHERE `id`=1 LIMIT 1");
        jobs_free(&js);
    }
    worker_applier_free(a);
}
END_TEST

static struct bl_value fv(float f)
{
    struct bl_value v = { .kind = BL_FLOAT, .d = f };
    return v;
}

/* A key-less row's UPDATE/DELETE whose FLOAT value a dump tool would load rounded to 6
 * significant digits (21469.818359375 -> 21469.8 = 21469.80078125) carries the fallback:
 * count query, its first statement with (`f`=exact OR `f`=loaded), that statement exact
 * (safe mode: the DELETE of DELETE;REPLACE). None for FLOATs exact in 6 digits, NULL,
 * INSERTs, FLOAT(M,D) / DOUBLE columns (float6 unset) and keyed tables. */
START_TEST(keyless_float_fallback)
{
    struct worker_applier *a = applier();
    struct jobs js = { 0 };
    struct bl_value b[] = { iv(1), fv(21469.818359375f) }, af[] = { iv(2), fv(0.5f) };
    struct bl_value ex[] = { iv(1), fv(0.5f) }, nl[] = { iv(1), nv() };
    const char *w = " WHERE `a`=1 AND (`f`=21469.818359375 OR `f`=21469.80078125)";
    const char *x = " WHERE `a`=1 AND `f`=21469.818359375 LIMIT 1";
    char want[1024];
    add_table(a, "kf", "a,f", "11", "");
    a->cache->float6 = calloc(2, sizeof *a->cache->float6);
    a->cache->float6[1] = true;
    gen(a, "kf", BL_DELETE, false, 1, b, NULL, &js);
    snprintf(want, sizeof want, "SELECT COUNT(*) FROM (SELECT 1 FROM `db`.`kf`%s LIMIT 2) c|"
             "DELETE FROM `db`.`kf`%s LIMIT 1|DELETE FROM `db`.`kf`%s", w, w, x);
    ck_assert_str_eq(js.alt[0], want);
    gen(a, "kf", BL_UPDATE, false, 1, b, af, &js);
    snprintf(want, sizeof want, "SELECT COUNT(*) FROM (SELECT 1 FROM `db`.`kf`%s LIMIT 2) c|"
             "UPDATE `db`.`kf` SET `a`=2,`f`=0.5%s LIMIT 1|UPDATE `db`.`kf` SET `a`=2,`f`=0.5%s",
             w, w, x);
    ck_assert_str_eq(js.alt[1], want);
    gen(a, "kf", BL_UPDATE, true, 1, b, af, &js);
    ck_assert_str_eq(js.sql[2], "DELETE FROM `db`.`kf` WHERE `a`=1 AND `f`=21469.818359375 "
                                "LIMIT 1;REPLACE INTO `db`.`kf` (`a`,`f`) VALUES (2,0.5)");
    ck_assert(strstr(js.alt[2], "|DELETE FROM `db`.`kf` WHERE `a`=1 AND (`f`=21469.818359375 "
                                "OR `f`=21469.80078125) LIMIT 1|DELETE FROM"));
    gen(a, "kf", BL_DELETE, false, 1, ex, NULL, &js);
    gen(a, "kf", BL_DELETE, false, 1, nl, NULL, &js);
    gen(a, "kf", BL_INSERT, false, 1, b, NULL, &js);
    ck_assert(!js.alt[3] && !js.alt[4] && !js.alt[5]);
    jobs_free(&js);
    add_table(a, "kd", "a,f", "11", "");       /* float6 unset: FLOAT(M,D), DOUBLE */
    gen(a, "kd", BL_DELETE, false, 1, b, NULL, &js);
    add_table(a, "kk", "a,f", "01", "P:0");
    a->cache->float6 = calloc(2, sizeof *a->cache->float6);
    a->cache->float6[1] = true;
    gen(a, "kk", BL_DELETE, true, 1, b, NULL, &js);
    ck_assert(!js.alt[0] && !js.alt[1]);
    jobs_free(&js);
    worker_applier_free(a);
}
END_TEST

/* Character data by the target column's charset: quoted where lossless over utf8mb4,
 * else _<charset> X'..'; binary columns X'..'. */
START_TEST(charset_literals)
{
    struct worker_applier *a = applier();
    struct dm_buf b;
    struct tinfo t = { 0 };
    char *cs[4] = { "latin1", "utf8mb4", "ucs2", NULL };
    unsigned char k[4];
    struct bl_value e9 = { .kind = BL_STRING, .ptr = "\xE9", .len = 1 };
    struct bl_value asc = sv("a'b"), u8 = sv("\xC3\xA9");
    size_t i;
    k[0] = worker_ap_classify_text("latin1", "varchar");
    k[1] = worker_ap_classify_text("utf8mb4", "text");
    k[2] = worker_ap_classify_text("ucs2", "char");
    k[3] = worker_ap_classify_text(NULL, "varbinary");
    ck_assert_int_eq(k[0], TCS_ASCII);
    ck_assert_int_eq(k[1], TCS_UTF8);
    ck_assert_int_eq(k[2], TCS_OTHER);
    ck_assert_int_eq(k[3], TCS_BINARY);
    ck_assert_int_eq(worker_ap_classify_text(NULL, "int"), TCS_NONE);
    t.charset = cs;
    t.tcs = k;
    dm_buf_init(&b, 4096);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, i, &e9), DM_OK);
        ck_assert_int_eq(dm_buf_addc(&b, ' '), DM_OK);
        ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, i, &asc), DM_OK);
        ck_assert_int_eq(dm_buf_addc(&b, ' '), DM_OK);
        ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, i, &u8), DM_OK);
        ck_assert_int_eq(dm_buf_addc(&b, '|'), DM_OK);
    }
    ck_assert_str_eq(b.data, "_latin1 X'e9' 'a\\'b' _latin1 X'c3a9'|"
                             "_utf8mb4 X'e9' 'a\\'b' '\xC3\xA9'|"
                             "_ucs2 X'e9' _ucs2 X'612762' _ucs2 X'c3a9'|"
                             "X'e9' X'612762' X'c3a9'|");
    dm_buf_free(&b);
    worker_applier_free(a);
}
END_TEST

/* Columns converted from the source's charset (tinfo.conv): `_<source charset> X'..'`
 * (ASCII of two ASCII-based charsets quoted), the byte-exact match BINARY CONVERT(..
 * USING <column charset>); TEXT values NO_LOG decodes as BL_BINARY too. */
START_TEST(charset_conv_literals)
{
    struct worker_applier *a = applier();
    struct dm_buf b;
    struct tinfo t = { 0 };
    char *cs[3] = { "utf8mb4", "latin1", "ucs2" };
    const char *conv[3] = { "latin1", "utf8mb4", "latin1" };
    unsigned char k[3] = { TCS_UTF8, TCS_ASCII, TCS_OTHER };
    struct bl_value e9 = { .kind = BL_STRING, .ptr = "\xE9", .len = 1 };
    struct bl_value txt = { .kind = BL_BINARY, .ptr = "\xE9", .len = 1 };
    struct bl_value asc = sv("a'b");
    t.charset = cs;
    t.tcs = k;
    t.conv = conv;
    dm_buf_init(&b, 4096);
    ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, 0, &e9), DM_OK);
    ck_assert_int_eq(dm_buf_addc(&b, ' '), DM_OK);
    ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, 0, &txt), DM_OK);
    ck_assert_int_eq(dm_buf_addc(&b, ' '), DM_OK);
    ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, 0, &asc), DM_OK);
    ck_assert_int_eq(dm_buf_addc(&b, '|'), DM_OK);
    ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, 1, &e9), DM_OK);
    ck_assert_int_eq(dm_buf_addc(&b, ' '), DM_OK);
    ck_assert_int_eq(worker_ap_add_col_value(a, &b, &t, 2, &asc), DM_OK);
    ck_assert_int_eq(dm_buf_addc(&b, '|'), DM_OK);
    ck_assert_int_eq(worker_ap_add_col_binary(a, &b, &t, 0, &e9), DM_OK);
    ck_assert_int_eq(dm_buf_addc(&b, ' '), DM_OK);
    ck_assert_int_eq(worker_ap_add_col_binary(a, &b, &t, 0, &asc), DM_OK);
    ck_assert_str_eq(b.data, "_latin1 X'e9' _latin1 X'e9' 'a\\'b'|"
                             "_utf8mb4 X'e9' _latin1 X'612762'|"
                             "BINARY CONVERT(_latin1 X'e9' USING utf8mb4) BINARY 'a\\'b'");
    t.conv = NULL;                                  /* no conversion: as before */
    dm_buf_reset(&b);
    ck_assert_int_eq(worker_ap_add_col_binary(a, &b, &t, 0, &e9), DM_OK);
    ck_assert_str_eq(b.data, "BINARY _utf8mb4 X'e9'");
    dm_buf_free(&b);
    worker_applier_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("applier_dml");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, delete_single_key_merged);
    tcase_add_test(tc, delete_composite_key_merged);
    tcase_add_test(tc, delete_keyless_not_merged);
    tcase_add_test(tc, generated_unique_orders_table);
    tcase_add_test(tc, safe_update_same_key_is_replace);
    tcase_add_test(tc, mixed_statements_not_merged);
    tcase_add_test(tc, merged_delete_capped);
    tcase_add_test(tc, delete_before_replace_of_same_row_dropped);
    tcase_add_test(tc, order_groups_without_key_conflicts);
    tcase_add_test(tc, partial_images);
    tcase_add_test(tc, merged_unique_swap_shares_keys);
    tcase_add_test(tc, partial_key_move_must_match);
    tcase_add_test(tc, charset_literals);
    tcase_add_test(tc, charset_conv_literals);
    tcase_add_test(tc, keyless_float_fallback);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

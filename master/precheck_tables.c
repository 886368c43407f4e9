/* precheck_tables.c - DM's checks over the replicated tables (precheck_int.h):
 *   table_schema            tidb-tools TablesChecker "table structure compatibility check":
 *                           fail on a column charset the target does not have; warn on a
 *                           foreign key (the worker applies rows with foreign_key_checks=0)
 *                           and on a table with neither primary nor unique key;
 *   schema_of_shard_tables  ShardingTablesCheck "sharding table `s`.`t` consistency checking":
 *                           every source table routed to one target has the same column list
 *                           (name, type, primary/unique key), compared as DM's briefColumnInfo;
 *   auto_increment_ID       inside it: an auto-increment single-column key conflicts across
 *                           shards unless a "partition id" column mapping targets it (bigint).
 * The table set is DM's FetchTargetDoTables: base tables of the source minus the system
 * schemas, through the instance's black-white-list, named by its routes. information_schema
 * is read in bulk (four queries per source), not per table. */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dm_error.h"
#include "dm_tblfilter.h"
#include "dump_chunks.h"
#include "precheck_int.h"

#define PT_MAX_TABLES 200000        /* per check run; more is reported, not truncated */
#define PT_ERR_MAX (1u << 20)       /* bytes of one result's errorMsg */

struct ptable {
    size_t inst;
    char *schema, *table;
    char target[400];               /* "`schema`.`table`" after routes */
    char **briefs;                  /* briefColumnInfo.String() per column, in order */
    size_t ncols;
    bool has_key;
    char *fk;                       /* first foreign key name */
    char *charset;                  /* first column charset the target lacks */
    char *autoinc;                  /* the auto-increment column, if any */
    bool autoinc_bigint, autoinc_key;
};

struct precheck_tables {
    struct ptable *t;
    size_t n, cap;
    bool overflow;
};

struct precheck_tables *precheck_tables_new(void)
{
    return calloc(1, sizeof(struct precheck_tables));
}

static void ptable_clear(struct ptable *p)
{
    for (size_t i = 0; i < p->ncols; i++)
        free(p->briefs[i]);
    free(p->briefs);
    free(p->schema);
    free(p->table);
    free(p->fk);
    free(p->charset);
    free(p->autoinc);
}

void precheck_tables_free(struct precheck_tables *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        ptable_clear(&t->t[i]);
    free(t->t);
    free(t);
}

static int cmp_ptable(const void *a, const void *b)
{
    const struct ptable *x = a, *y = b;
    int c = strcmp(x->schema, y->schema);
    return c ? c : strcmp(x->table, y->table);
}

/* the table `schema`.`table` among [lo, hi) (sorted), or NULL */
static struct ptable *find(struct precheck_tables *t, size_t lo, size_t hi, const char *schema,
                           const char *table)
{
    struct ptable key = {.schema = (char *)schema, .table = (char *)table};
    return hi > lo ? bsearch(&key, t->t + lo, hi - lo, sizeof(key), cmp_ptable) : NULL;
}

/* ---------- the instance's rules ---------- */

struct inst_rules {
    struct dm_bwl *bwl;
    struct dm_route_rule *routes;
    size_t nroutes;
};

static int inst_rules_new(const struct master_task_cfg *c, const struct master_instance *in,
                          struct inst_rules *r, char *err, size_t cap)
{
    const struct master_bwlist *l = in->bw_list_name && *in->bw_list_name
                                        ? master_taskcfg_rule(&c->bw_lists, in->bw_list_name) : NULL;
    int rc = master_taskcfg_bwl(l, c->case_sensitive, &r->bwl, err, cap);
    if (rc != DM_OK)
        return rc;
    r->routes = calloc(in->route_rules.n + 1, sizeof(*r->routes));
    if (!r->routes)
        return DM_E_NOMEM;
    for (size_t i = 0; i < in->route_rules.n; i++) {
        const struct master_route *rr = master_taskcfg_rule(&c->routes, in->route_rules.items[i]);
        if (rr)
            r->routes[r->nroutes++] = (struct dm_route_rule){rr->schema_pattern, rr->table_pattern,
                                                              rr->target_schema, rr->target_table};
    }
    return DM_OK;
}

static void inst_rules_clear(struct inst_rules *r)
{
    dm_bwl_free(r->bwl);
    free(r->routes);
}

/* ---------- collection ---------- */

static MYSQL_RES *query(MYSQL *c, const char *sql, char *err, size_t cap)
{
    MYSQL_RES *r = mysql_query(c, sql) == 0 ? mysql_store_result(c) : NULL;
    if (!r)
        snprintf(err, cap, "%s: %s", sql, mysql_error(c));
    return r;
}

static int add_table(struct precheck_tables *t, size_t inst, const char *schema, const char *table,
                     const struct inst_rules *ir, bool icase)
{
    if (t->n == t->cap) {
        if (t->cap >= PT_MAX_TABLES) {
            t->overflow = true;
            return DM_E_TOO_LARGE;
        }
        size_t ncap = t->cap ? t->cap * 2 : 64;
        struct ptable *tmp = realloc(t->t, ncap * sizeof(*tmp));
        if (!tmp)
            return DM_E_NOMEM;
        t->t = tmp;
        t->cap = ncap;
    }
    struct ptable *p = &t->t[t->n];
    memset(p, 0, sizeof(*p));
    p->inst = inst;
    p->schema = strdup(schema);
    p->table = strdup(table);
    if (!p->schema || !p->table) {
        ptable_clear(p);
        return DM_E_NOMEM;
    }
    char ts[192], tt[192];
    dm_route(ir->routes, ir->nroutes, icase, schema, table, ts, sizeof(ts), tt, sizeof(tt));
    snprintf(p->target, sizeof(p->target), "`%s`.`%s`", ts, tt);
    t->n++;
    return DM_OK;
}

static int list_tables(struct precheck_tables *t, size_t inst, MYSQL *c, const struct inst_rules *ir,
                       bool icase, char *err, size_t cap)
{
    MYSQL_RES *r = query(c, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                            "WHERE TABLE_TYPE = 'BASE TABLE'", err, cap);
    MYSQL_ROW row;
    int rc = r ? DM_OK : DM_E_DB;
    while (rc == DM_OK && r && (row = mysql_fetch_row(r)))
        if (row[0] && row[1] && !dm_is_system_schema(row[0]) && dm_bwl_allow(ir->bwl, row[0], row[1]))
            rc = add_table(t, inst, row[0], row[1], ir, icase);
    mysql_free_result(r);
    if (rc == DM_E_TOO_LARGE)
        snprintf(err, cap, "more than %d tables to check", PT_MAX_TABLES);
    return rc;
}

static bool in_strv(const struct master_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcasecmp(v->items[i], s) == 0)
            return true;
    return false;
}

/* row: schema, table, column, column_type, column_key, extra, charset, data_type */
static int add_column(struct ptable *p, MYSQL_ROW row, const struct master_strv *target_cs)
{
    char **tmp = realloc(p->briefs, (p->ncols + 1) * sizeof(*tmp));
    if (!tmp)
        return DM_E_NOMEM;
    p->briefs = tmp;
    const char *key = row[4] ? row[4] : "";
    const char *suffix = !strcmp(key, "PRI") ? " primary key\n" : !strcmp(key, "UNI") ? " unique key\n" : "";
    struct dm_buf b;
    dm_buf_init(&b, 4096);
    dm_buf_printf(&b, "%s %s%s", row[2] ? row[2] : "", row[3] ? row[3] : "", suffix);
    for (char *q = b.data; q && *q && *q != ' '; q++)   /* DM compares lower-cased names */
        *q = (char)((*q >= 'A' && *q <= 'Z') ? *q + 32 : *q);
    if (!(p->briefs[p->ncols] = dm_buf_take(&b)))
        return DM_E_NOMEM;
    p->ncols++;
    if (row[5] && strstr(row[5], "auto_increment") && !p->autoinc) {
        p->autoinc = strdup(row[2] ? row[2] : "");
        p->autoinc_bigint = row[7] && strcasecmp(row[7], "bigint") == 0;
    }
    if (target_cs && row[6] && !p->charset && !in_strv(target_cs, row[6]))
        p->charset = strdup(row[6]);
    return DM_OK;
}

static int read_columns(struct precheck_tables *t, size_t lo, MYSQL *c, const struct master_strv *target_cs,
                        char *err, size_t cap)
{
    MYSQL_RES *r = query(c, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY, EXTRA, "
                            "CHARACTER_SET_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                            "ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION", err, cap);
    MYSQL_ROW row;
    int rc = r ? DM_OK : DM_E_DB;
    while (rc == DM_OK && r && (row = mysql_fetch_row(r))) {
        struct ptable *p = row[0] && row[1] ? find(t, lo, t->n, row[0], row[1]) : NULL;
        if (p)
            rc = add_column(p, row, target_cs);
    }
    mysql_free_result(r);
    return rc;
}

static int read_keys(struct precheck_tables *t, size_t lo, MYSQL *c, char *err, size_t cap)
{
    /* grouped by the names' bytes: information_schema compares them case-insensitively,
     * which made one group of `T1` and `t1` (and a false "no key" warning for one) */
    MYSQL_RES *r = query(c, "SELECT BINARY TABLE_SCHEMA s, BINARY TABLE_NAME n, COUNT(*), "
                            "MIN(COLUMN_NAME) FROM information_schema.STATISTICS WHERE "
                            "NON_UNIQUE = 0 GROUP BY s, n, BINARY INDEX_NAME", err, cap);
    MYSQL_ROW row;
    while (r && (row = mysql_fetch_row(r))) {
        struct ptable *p = row[0] && row[1] ? find(t, lo, t->n, row[0], row[1]) : NULL;
        if (!p)
            continue;
        p->has_key = true;
        if (row[2] && !strcmp(row[2], "1") && row[3] && p->autoinc && !strcasecmp(row[3], p->autoinc))
            p->autoinc_key = true;
    }
    mysql_free_result(r);
    return r ? DM_OK : DM_E_DB;
}

static int read_fks(struct precheck_tables *t, size_t lo, MYSQL *c, char *err, size_t cap)
{
    MYSQL_RES *r = query(c, "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME FROM "
                            "information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_TYPE = 'FOREIGN KEY'",
                         err, cap);
    MYSQL_ROW row;
    int rc = r ? DM_OK : DM_E_DB;
    while (rc == DM_OK && r && (row = mysql_fetch_row(r))) {
        struct ptable *p = row[0] && row[1] ? find(t, lo, t->n, row[0], row[1]) : NULL;
        if (p && !p->fk && !(p->fk = strdup(row[2] ? row[2] : "")))
            rc = DM_E_NOMEM;
    }
    mysql_free_result(r);
    return rc;
}

static int target_charsets(MYSQL *target, struct master_strv *out)
{
    if (!target || mysql_query(target, "SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS"))
        return DM_E_DB;
    MYSQL_RES *r = mysql_store_result(target);
    MYSQL_ROW row;
    int rc = r ? DM_OK : DM_E_DB;
    while (rc == DM_OK && r && (row = mysql_fetch_row(r)))
        rc = row[0] ? master_strv_add(out, row[0]) : DM_OK;
    mysql_free_result(r);
    return rc;
}

/* ---------- table_schema ---------- */

static void table_options(const struct ptable *p, struct dm_buf *info, enum precheck_state *state)
{
    struct dm_buf errs, warns;
    dm_buf_init(&errs, PT_ERR_MAX);
    dm_buf_init(&warns, PT_ERR_MAX);
    if (p->charset)
        dm_buf_printf(&errs, "information: unsupport charset %s\ninstruction: the target database has no "
                      "character set %s; upgrade it or change the column's charset\n", p->charset, p->charset);
    if (p->fk)
        dm_buf_printf(&warns, "information: Foreign Key %s is not checked on the target (rows are applied "
                      "with foreign_key_checks=0)\ninstruction: make sure the target does not depend on it\n",
                      p->fk);
    if (!p->has_key)
        dm_buf_printf(&warns, "%sinformation: primary/unique key does not exist\ninstruction: add a primary "
                      "key or a unique key: without one every row is found by all its columns (slower)\n",
                      warns.len ? "\n" : "");
    if (errs.len || warns.len) {
        dm_buf_printf(info, "********** table `%s`.`%s` **********\n", p->schema, p->table);
        if (errs.len)
            dm_buf_printf(info, "---------- error messages ----------\n%s\n", errs.data);
        if (warns.len)
            dm_buf_printf(info, "---------- warning messages ----------\n%s\n", warns.data);
    }
    if (errs.len)
        *state = PRECHECK_FAIL;
    else if (warns.len && *state == PRECHECK_SUCCESS)
        *state = PRECHECK_WARN;
    dm_buf_free(&errs);
    dm_buf_free(&warns);
}

static void table_schema_result(struct precheck *k, struct precheck_tables *t, size_t lo, const char *src)
{
    struct dm_buf info;
    enum precheck_state state = PRECHECK_SUCCESS;
    dm_buf_init(&info, PT_ERR_MAX);
    for (size_t i = lo; i < t->n; i++)
        table_options(&t->t[i], &info, &state);
    precheck_add(k, "table structure compatibility check", "check compatibility of table structure", state,
                 info.data ? info.data : "", "", src);
    dm_buf_free(&info);
}

/* ---------- mydumper --rows chunking (the Dump unit's rule: worker/dump/dump_chunks.h) ---------- */

/* Instance i's tables t->t[lo..n) as the Dump unit names them ("db.tbl" + db length). */
static int chunk_names(const struct precheck_tables *t, size_t lo, char ***names, size_t **dblen)
{
    size_t n = t->n - lo;
    *names = calloc(n ? n : 1, sizeof(**names));
    *dblen = calloc(n ? n : 1, sizeof(**dblen));
    if (!*names || !*dblen)
        return DM_E_NOMEM;
    for (size_t j = 0; j < n; j++) {
        const struct ptable *p = &t->t[lo + j];
        if (asprintf(&(*names)[j], "%s.%s", p->schema, p->table) < 0) {
            (*names)[j] = NULL;
            return DM_E_NOMEM;
        }
        (*dblen)[j] = strlen(p->schema);
    }
    return DM_OK;
}

/* Whether instance i has a Dump unit (task-mode full / all) whose extra-args turn --rows on. */
static bool chunks_wanted(const struct master_task_cfg *c, size_t i)
{
    const struct master_instance *in = c->instances.items[i];
    return c->task_mode && strcmp(c->task_mode, "incremental") != 0 && in->mydumper &&
           worker_dump_rows_chunking(in->mydumper->extra_args);
}

/* A Dump unit with extra-args --rows (-r) refuses a table whose split key mydumper 0.10
 * cannot chunk; check-task says so first (an error naming table and column). */
static void chunks_result(struct precheck *k, const struct precheck_tables *t, size_t lo, size_t i,
                          MYSQL *src, const char *where)
{
    const struct master_task_cfg *c = k->cfg;
    static const char NAME[] = "mydumper --rows chunking check";
    static const char DESC[] = "check whether mydumper's --rows (-r) chunking can split the dumped tables";
    if (!chunks_wanted(c, i))
        return;
    char **names = NULL, msg[2048] = "";
    size_t *dblen = NULL, n = t->n - lo;
    bool transient = false;
    int rc = chunk_names(t, lo, &names, &dblen);
    if (rc != DM_OK)
        snprintf(msg, sizeof(msg), "out of memory");
    else
        rc = worker_dump_check_chunks(src, names, dblen, n, msg, sizeof(msg), &transient);
    if (rc == 0)
        precheck_add(k, NAME, DESC, PRECHECK_SUCCESS, "", "", where);
    else
        precheck_add(k, NAME, DESC, PRECHECK_FAIL, msg,
                     rc == 1 ? "remove --rows (-r) from the mydumper extra-args of this task, or "
                               "leave the table out of its black-white-list" : "",
                     where);
    for (size_t j = 0; names && j < n; j++)
        free(names[j]);
    free(names);
    free(dblen);
}

void precheck_tables_instance(struct precheck *k, struct precheck_tables *t, size_t i, MYSQL *src,
                              const struct master_db_cfg *srcdb, MYSQL *target)
{
    const struct master_task_cfg *c = k->cfg;
    bool schema = !precheck_ignored(c, "table_schema"), shard = !precheck_ignored(c, "schema_of_shard_tables");
    struct inst_rules ir = {0};
    struct master_strv cs = {0};
    char err[1024] = "", where[300];
    size_t lo = t->n;
    int rc;
    /* the chunking item is the Dump unit's refusal: run even with every DM item ignored */
    if (!schema && !shard && !chunks_wanted(c, i))
        return;
    snprintf(where, sizeof(where), "address of db instance - %s:%lld", srcdb->host ? srcdb->host : "",
             (long long)srcdb->port);
    rc = inst_rules_new(c, c->instances.items[i], &ir, err, sizeof(err));
    if (rc == DM_OK)
        rc = list_tables(t, i, src, &ir, !c->case_sensitive, err, sizeof(err));
    if (t->n > lo)
        qsort(t->t + lo, t->n - lo, sizeof(*t->t), cmp_ptable);
    bool have_cs = schema && target_charsets(target, &cs) == DM_OK;
    if (rc == DM_OK)
        rc = read_columns(t, lo, src, have_cs ? &cs : NULL, err, sizeof(err));
    if (rc == DM_OK)
        rc = read_keys(t, lo, src, err, sizeof(err));
    if (rc == DM_OK)
        rc = read_fks(t, lo, src, err, sizeof(err));
    if (rc != DM_OK)
        precheck_add(k, "table structure compatibility check", "check compatibility of table structure",
                     PRECHECK_FAIL, rc == DM_E_NOMEM ? "out of memory" : err, "", where);
    else if (schema)
        table_schema_result(k, t, lo, where);
    if (rc == DM_OK)
        chunks_result(k, t, lo, i, src, where);
    master_strv_clear(&cs);
    inst_rules_clear(&ir);
}

/* ---------- schema_of_shard_tables + auto_increment_ID ---------- */

static const char AUTOINC_DOC[] =
    ", read document https://pingcap.com/docs-cn/dev/reference/tools/data-migration/usage-scenarios/"
    "best-practice-dm-shard/#自增主键冲突处理 for more detail (only have Chinese document now, will "
    "translate to English later)";

/* a "partition id" column mapping of the table's instance that targets `column` */
static bool partition_id_rule(const struct master_task_cfg *c, const struct ptable *p, const char *column)
{
    const struct master_instance *in = c->instances.items[p->inst];
    for (size_t i = 0; i < in->column_mapping_rules.n; i++) {
        const struct master_colmap *m = master_taskcfg_rule(&c->column_mappings, in->column_mapping_rules.items[i]);
        bool icase = !c->case_sensitive;
        if (!m || !m->expression || strcasecmp(m->expression, "partition id") || !m->target_column ||
            strcmp(m->target_column, column) || !m->schema_pattern ||
            !dm_wildcard_match(m->schema_pattern, p->schema, icase) ||
            (m->table_pattern && *m->table_pattern && !dm_wildcard_match(m->table_pattern, p->table, icase)))
            continue;
        return true;
    }
    return false;
}

struct shard_result {
    enum precheck_state state;
    char *err, *instruction, *extra;   /* owned */
};

/* ShardingTablesCheck.checkAutoIncrementKey; false when it failed */
static bool check_autoinc(const struct master_task_cfg *c, const struct ptable *p, const char *group,
                          struct shard_result *r)
{
    const char *sid = ((const struct master_instance *)c->instances.items[p->inst])->source_id;
    struct dm_buf b;
    if (!p->autoinc || !p->autoinc_key)
        return true;
    bool matched = partition_id_rule(c, p, p->autoinc);
    if (matched && p->autoinc_bigint)
        return true;
    dm_buf_init(&b, PT_ERR_MAX);
    if (matched)
        dm_buf_printf(&b, "instance %s table `%s`.`%s` of sharding %s have auto-increment key %s and column "
                      "mapping, but type of %s should be bigint", sid, p->schema, p->table, group, p->autoinc,
                      p->autoinc);
    else
        dm_buf_printf(&b, "instance %s table `%s`.`%s` of sharding %s have auto-increment key, would conflict "
                      "with each other to cause data corruption", sid, p->schema, p->table, group);
    r->state = PRECHECK_FAIL;
    r->err = dm_buf_take(&b);
    dm_buf_init(&b, PT_ERR_MAX);
    dm_buf_printf(&b, "%s%s", matched ? "please set auto-increment key type to bigint" : "please handle it by yourself",
                  matched ? "" : AUTOINC_DOC);
    r->instruction = dm_buf_take(&b);
    r->extra = strdup("auto-increment key checking");
    return false;
}

static void join_briefs(const struct ptable *p, struct dm_buf *b)
{
    for (size_t i = 0; i < p->ncols; i++)
        dm_buf_printf(b, "%s%s", i ? "\n" : "", p->briefs[i]);
}

/* ShardingTablesCheck.checkConsistency; false when `o` differs from `ref` */
static bool check_consistency(const struct master_task_cfg *c, const struct ptable *ref, const struct ptable *o,
                              const char *group, struct shard_result *r)
{
    struct dm_buf b;
    char rn[400], on[400];
    snprintf(rn, sizeof(rn), "`%s`.`%s`", ref->schema, ref->table);
    snprintf(on, sizeof(on), "`%s`.`%s`", o->schema, o->table);
    dm_buf_init(&b, PT_ERR_MAX);
    if (ref->ncols != o->ncols) {
        dm_buf_printf(&b, "column length mismatch (%zu vs %zu)\n table %s\ncolumns ", ref->ncols, o->ncols, rn);
        join_briefs(ref, &b);
        dm_buf_printf(&b, "\n\ntable%s\ncolumns ", on);
        join_briefs(o, &b);
    } else {
        for (size_t i = 0; i < ref->ncols && !b.len; i++)
            if (strcmp(ref->briefs[i], o->briefs[i]))
                dm_buf_printf(&b, "different column definition\ncolumn %s on table %s\ncolumn %s on table %s",
                              ref->briefs[i], rn, o->briefs[i], on);
    }
    if (!b.len) {
        dm_buf_free(&b);
        return true;
    }
    r->state = PRECHECK_FAIL;
    r->err = dm_buf_take(&b);
    r->instruction = strdup("please set same table structure for sharding tables");
    dm_buf_init(&b, PT_ERR_MAX);
    dm_buf_printf(&b, "instance %s on sharding %s",
                  ((const struct master_instance *)c->instances.items[o->inst])->source_id, group);
    r->extra = dm_buf_take(&b);
    return false;
}

/* the members of one group (indexes into t->t, in instance/schema/table order) */
static void shard_group(struct precheck *k, struct precheck_tables *t, const size_t *idx, size_t n)
{
    const struct master_task_cfg *c = k->cfg;
    bool check_id = !precheck_ignored(c, "auto_increment_ID");
    const char *group = t->t[idx[0]].target;
    struct shard_result r = {PRECHECK_SUCCESS, NULL, NULL, NULL};
    const struct ptable *ref = NULL;
    for (size_t i = 0; i < n && r.state == PRECHECK_SUCCESS; i++) {
        const struct ptable *p = &t->t[idx[i]];
        if (check_id && !check_autoinc(c, p, group, &r))
            break;
        if (!ref)
            ref = p;
        else
            check_consistency(c, ref, p, group, &r);
    }
    char name[512], extra[512];
    snprintf(name, sizeof(name), "sharding table %s consistency checking", group);
    snprintf(extra, sizeof(extra), "sharding %s", group);
    precheck_add(k, name, "check consistency of sharding table structures", r.state, r.err, r.instruction,
                 r.extra ? r.extra : extra);
    free(r.err);
    free(r.instruction);
    free(r.extra);
}

struct sort_ctx {
    const struct precheck_tables *t;
};

/* Targets compare by their bytes, case-sensitive or not: the worker writes into the names
 * the routes give (a source's `T1` and `t1` are two tables on the target, not shards of
 * one; grouping them case-insensitively failed check-task on their different columns). */
static int target_cmp(const struct sort_ctx *sc, size_t x, size_t y)
{
    return strcmp(sc->t->t[x].target, sc->t->t[y].target);
}

static int cmp_target(const void *a, const void *b, void *arg)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = target_cmp(arg, x, y);
    return c ? c : (x > y) - (x < y);
}

void precheck_tables_sharding(struct precheck *k, struct precheck_tables *t)
{
    if (precheck_ignored(k->cfg, "schema_of_shard_tables") || t->n == 0)
        return;
    size_t *idx = calloc(t->n, sizeof(*idx));
    struct sort_ctx sc = {t};
    if (!idx)
        return;
    for (size_t i = 0; i < t->n; i++)
        idx[i] = i;
    qsort_r(idx, t->n, sizeof(*idx), cmp_target, &sc);   /* groups, each in table order */
    for (size_t lo = 0, hi; lo < t->n; lo = hi) {
        for (hi = lo + 1; hi < t->n && target_cmp(&sc, idx[lo], idx[hi]) == 0; hi++)
            ;
        if (hi - lo > 1)   /* DM: shardingCounter[name] > 1 */
            shard_group(k, t, idx + lo, hi - lo);
    }
    free(idx);
}

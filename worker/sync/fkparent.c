/* fkparent.c - see fkparent.h. */
#include "fkparent.h"
#include "srcmeta.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "dm_error.h"

#define FKP_MAX_TABLES 4096   /* past this the cache starts over */
#define FKP_MAX_COLS 16       /* MariaDB's MAX_REF_PARTS */

/* One FOREIGN KEY of a replicated child on the parent, with an action. */
struct fkref {
    char child[2 * WORKER_NAME_MAX + 8];   /* "`s`.`c`" */
    char name[WORKER_NAME_MAX + 1];        /* constraint name */
    char rule[2][16];                      /* DELETE_RULE, UPDATE_RULE */
    size_t cols[FKP_MAX_COLS];             /* referenced columns of the parent, 0-based */
    size_t ncols;
};

struct fkp_table {
    char schema[WORKER_NAME_MAX + 1], table[WORKER_NAME_MAX + 1];
    struct fkref *refs;
    size_t n;
    struct fkp_table *next;
};

struct worker_fkparent {
    struct fkp_table *tables;
    size_t n;
};

struct worker_fkparent *worker_fkparent_new(void)
{
    return calloc(1, sizeof(struct worker_fkparent));
}

void worker_fkparent_clear(struct worker_fkparent *c)
{
    while (c && c->tables) {
        struct fkp_table *t = c->tables;
        c->tables = t->next;
        free(t->refs);
        free(t);
    }
    if (c)
        c->n = 0;
}

void worker_fkparent_ddl(struct worker_fkparent *c, const char *query)
{
    static const char *const words[] = { "FOREIGN", "REFERENCES", "RENAME", "DROP" };
    const struct fkp_table *t;
    size_t i;
    if (!c || !c->tables)
        return;
    for (i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!query || strcasestr(query, words[i])) {
            worker_fkparent_clear(c);
            return;
        }
    for (t = c->tables; t; t = t->next)
        if (strcasestr(query, t->table)) {
            worker_fkparent_clear(c);
            return;
        }
}

void worker_fkparent_free(struct worker_fkparent *c)
{
    worker_fkparent_clear(c);
    free(c);
}

/* CASCADE, SET NULL, SET DEFAULT change child rows; RESTRICT / NO ACTION do not. */
static bool acts(const char *rule)
{
    return rule[0] && strcmp(rule, "RESTRICT") != 0 && strcmp(rule, "NO ACTION") != 0;
}

/* Add the row (child schema, child table, constraint, delete rule, update rule, ordinal
 * position of the referenced column) to t: a new fkref when the constraint changes. */
static int add_row(struct fkp_table *t, const struct worker_rules *rules, MYSQL_ROW row)
{
    char child[sizeof t->refs->child];
    struct fkref *r = t->n ? &t->refs[t->n - 1] : NULL;
    long pos = row[5] ? strtol(row[5], NULL, 10) : 0;
    if (!row[0] || !row[1] || !row[2] || !worker_rules_bwl_allow(rules, row[0], row[1]) ||
        !((row[3] && acts(row[3])) || (row[4] && acts(row[4]))) || pos < 1)
        return DM_OK;
    snprintf(child, sizeof child, "`%s`.`%s`", row[0], row[1]);
    if (!r || strcmp(r->child, child) != 0 || strcmp(r->name, row[2]) != 0) {
        struct fkref *nr = realloc(t->refs, (t->n + 1) * sizeof *nr);
        if (!nr)
            return DM_E_NOMEM;
        t->refs = nr;
        r = &t->refs[t->n++];
        memset(r, 0, sizeof *r);
        snprintf(r->child, sizeof r->child, "%s", child);
        snprintf(r->name, sizeof r->name, "%s", row[2]);
        snprintf(r->rule[0], sizeof r->rule[0], "%s", row[3] ? row[3] : "");
        snprintf(r->rule[1], sizeof r->rule[1], "%s", row[4] ? row[4] : "");
    }
    if (r->ncols < FKP_MAX_COLS)
        r->cols[r->ncols++] = (size_t)pos - 1;
    return DM_OK;
}

static int load(struct fkp_table *t, struct worker_srcmeta *sm,
                const struct worker_rules *rules, struct worker_terr *e)
{
    char es[2 * WORKER_SRCMETA_NAME_MAX + 1], et[2 * WORKER_SRCMETA_NAME_MAX + 1], q[2048];
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    if (!worker_srcmeta_escape(t->schema, es, sizeof es) ||
        !worker_srcmeta_escape(t->table, et, sizeof et))
        return DM_OK;             /* names MariaDB refuses anyway: no FOREIGN KEY */
    snprintf(q, sizeof q,
             "SELECT r.CONSTRAINT_SCHEMA, r.TABLE_NAME, r.CONSTRAINT_NAME, r.DELETE_RULE, "
             "r.UPDATE_RULE, c.ORDINAL_POSITION FROM information_schema.REFERENTIAL_CONSTRAINTS r "
             "JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = "
             "r.CONSTRAINT_SCHEMA AND k.TABLE_NAME = r.TABLE_NAME AND k.CONSTRAINT_NAME = "
             "r.CONSTRAINT_NAME JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = "
             "k.REFERENCED_TABLE_SCHEMA AND c.TABLE_NAME = k.REFERENCED_TABLE_NAME AND "
             "c.COLUMN_NAME = k.REFERENCED_COLUMN_NAME WHERE r.UNIQUE_CONSTRAINT_SCHEMA = '%s' "
             "AND r.REFERENCED_TABLE_NAME = '%s' ORDER BY r.CONSTRAINT_SCHEMA, r.TABLE_NAME, "
             "r.CONSTRAINT_NAME, k.ORDINAL_POSITION", es, et);
    if ((rc = worker_srcmeta_query(sm, "database driver error: read the source's foreign keys",
                                   q, &res, e)))
        rc = DM_E_DB;
    while (!rc && (row = mysql_fetch_row(res)))
        if ((rc = add_row(t, rules, row)) != DM_OK)
            worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "out of memory");
    if (res)
        mysql_free_result(res);
    return rc;
}

static int lookup(struct worker_fkparent *c, struct worker_srcmeta *sm,
                  const struct worker_rules *rules, const char *schema, const char *table,
                  struct fkp_table **out, struct worker_terr *e)
{
    struct fkp_table *t;
    int rc;
    for (t = c->tables; t; t = t->next)
        if (strcmp(t->schema, schema) == 0 && strcmp(t->table, table) == 0) {
            *out = t;
            return DM_OK;
        }
    if (c->n >= FKP_MAX_TABLES)
        worker_fkparent_clear(c);
    if (!(t = calloc(1, sizeof *t))) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "out of memory");
        return DM_E_NOMEM;
    }
    snprintf(t->schema, sizeof t->schema, "%s", schema);
    snprintf(t->table, sizeof t->table, "%s", table);
    if ((rc = load(t, sm, rules, e)) != DM_OK) {
        free(t->refs);
        free(t);
        return rc;
    }
    t->next = c->tables;
    c->tables = t;
    c->n++;
    *out = t;
    return DM_OK;
}

static bool same_value(const struct bl_value *a, const struct bl_value *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case BL_NULL:
        return true;
    case BL_INT: case BL_UINT: case BL_BIT: case BL_ENUM: case BL_SET:
        return a->u == b->u;
    case BL_FLOAT: case BL_DOUBLE:
        return memcmp(&a->d, &b->d, sizeof a->d) == 0;
    default:
        return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
    }
}

/* Whether an UPDATE event changes a column the FOREIGN KEY references (a column the
 * before-image lacks counts as changed when the after-image has it). */
static bool changes(const struct bl_event *ev, const struct fkref *r)
{
    size_t i, k;
    for (i = 0; i < ev->nrows; i++)
        for (k = 0; k < r->ncols; k++) {
            size_t c = r->cols[k];
            if (c >= ev->table->ncols)
                return true;            /* the source table changed since: assume so */
            if (!ev->after[i].present[c])
                continue;
            if (!ev->rows[i].present[c] ||
                !same_value(&ev->rows[i].cols[c], &ev->after[i].cols[c]))
                return true;
        }
    return false;
}

int worker_fkparent_check(struct worker_fkparent *c, struct worker_srcmeta *sm,
                          const struct worker_rules *rules, const struct bl_event *ev,
                          struct worker_terr *e)
{
    struct fkp_table *t;
    size_t i;
    int rc, del = ev->op == BL_DELETE;
    if (ev->op == BL_INSERT || !ev->table || (ev->rows_flags & BL_ROWS_NO_FOREIGN_KEY_CHECKS))
        return DM_OK;
    if ((rc = lookup(c, sm, rules, ev->table->schema, ev->table->table, &t, e)) != DM_OK)
        return rc;
    for (i = 0; i < t->n; i++) {
        const struct fkref *r = &t->refs[i];
        if (!acts(r->rule[del ? 0 : 1]) || (!del && !changes(ev, r)))
            continue;
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "cannot apply the %s rows of `%s`.`%s` at (%s, %llu): "
                        "the task does not replicate `%s`.`%s` (black-white-list), but FOREIGN "
                        "KEY `%s` of replicated %s references it ON %s %s - the source's InnoDB "
                        "changed rows of %s without binlogging them and the target would keep "
                        "them; not supported: replicate `%s`.`%s` too (or drop the foreign "
                        "key's action on the source), then re-sync %s",
                        del ? "DELETE" : "UPDATE", t->schema, t->table, ev->file,
                        (unsigned long long)ev->next_pos, t->schema, t->table, r->name,
                        r->child, del ? "DELETE" : "UPDATE", r->rule[del ? 0 : 1], r->child,
                        t->schema, t->table, r->child);
        e->transient = false;
        return DM_E_DB;
    }
    return DM_OK;
}

/* load_rules.c - the rules fingerprint of a Load's dump (load_rules.h). */
#include "load_rules.h"

#include <inttypes.h>
#include <mysql.h>
#include <stdio.h>
#include <string.h>

#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"
#include "hash.h"

/* Each rule's text, length-prefixed so no two configurations share one. */
static uint64_t add(uint64_t h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char len[24];
    int k = snprintf(len, sizeof len, "%zu:", n);
    h = dm_fnv1a64(h, len, (size_t)k);
    return n ? dm_fnv1a64(h, s, n) : h;
}

/* A set's members in any order give one value (do-dbs [a, b] is [b, a]: no false pause
 * for a reordered list): the sum of the members' own hashes. */
static uint64_t add_sum(uint64_t h, const char *kind, uint64_t sum)
{
    char b[24];
    snprintf(b, sizeof b, "%016" PRIx64, sum);
    return add(add(h, kind), b);
}

static uint64_t add_list(uint64_t h, const char **v, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += add(DM_FNV64_INIT, v[i]);
    return add_sum(h, "list", sum);
}

static uint64_t add_tables(uint64_t h, const struct worker_bwl_table *t, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += add(add(DM_FNV64_INIT, t[i].db), t[i].tbl);
    return add_sum(h, "tables", sum);
}

static uint64_t hash_bwl(const struct worker_subtask_cfg *c)
{
    uint64_t h = DM_FNV64_INIT;
    h = add_list(h, c->bwl.do_dbs, c->bwl.n_do_dbs);
    h = add_list(h, c->bwl.ignore_dbs, c->bwl.n_ignore_dbs);
    h = add_tables(h, c->bwl.do_tables, c->bwl.n_do_tables);
    return add_tables(h, c->bwl.ignore_tables, c->bwl.n_ignore_tables);
}

static uint64_t hash_routes(const struct worker_subtask_cfg *c)
{
    uint64_t h = DM_FNV64_INIT;
    for (size_t i = 0; i < c->n_routes; i++) {
        const struct worker_route_rule *r = &c->routes[i];
        h = add(add(add(add(h, r->schema_pattern), r->table_pattern), r->target_schema),
                r->target_table);
    }
    return h;
}

static uint64_t hash_mappings(const struct worker_subtask_cfg *c)
{
    uint64_t h = DM_FNV64_INIT;
    for (size_t i = 0; i < c->n_mappings; i++) {
        const struct worker_mapping_rule *m = &c->mappings[i];
        h = add(add(add(add(add(h, m->schema_pattern), m->table_pattern), m->source_column),
                    m->target_column), m->expression);
        h = add_list(h, m->args, m->n_args);
    }
    return h;
}

static uint64_t hash_case(const struct worker_subtask_cfg *c)
{
    return add(DM_FNV64_INIT, c->case_sensitive ? "true" : "false");
}

/* import-dir: a dump made elsewhere; the task's extra-args never made it */
static uint64_t hash_extra(const struct worker_subtask_cfg *c)
{
    bool import = c->import_dir && c->import_dir[0];
    return add(DM_FNV64_INIT, import || !c->extra_args ? "" : c->extra_args);
}

static const struct {
    const char *name;
    uint64_t (*hash)(const struct worker_subtask_cfg *c);
} rules[WORKER_LOAD_RULES_N] = {
    {"black-white-list", hash_bwl},
    {"route-rules", hash_routes},
    {"column-mappings", hash_mappings},
    {"case-sensitive", hash_case},
    {"extra-args", hash_extra},
};

const char *worker_load_rules_name(size_t i) { return rules[i].name; }

void worker_load_rules_hash(const struct worker_subtask_cfg *cfg, size_t i, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, rules[i].hash(cfg));
}

static int rule_index(const char *filename)
{
    size_t n = strlen(WORKER_LOAD_RULES_PREFIX);
    if (strncmp(filename, WORKER_LOAD_RULES_PREFIX, n) != 0)
        return -1;
    for (size_t i = 0; i < WORKER_LOAD_RULES_N; i++)
        if (strcmp(filename + n, rules[i].name) == 0)
            return (int)i;
    return -1;
}

/* The recorded fingerprints into have[i] ("" when none). */
static int read_recorded(struct worker_applier *a, char have[][17], struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT filename, cp_table FROM ") ||
        worker_ap_add_meta_table(a, &q, "_loader_checkpoint") || dm_buf_adds(&q, " WHERE id=") ||
        worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) ||
        dm_buf_adds(&q, " AND filename LIKE '#rules.%'"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res))) {
        int i = row[0] && row[1] ? rule_index(row[0]) : -1;
        if (i >= 0)
            snprintf(have[i], 17, "%s", row[1]);
    }
out:
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

static int record(struct worker_applier *a, size_t i, const char *hash, struct worker_terr *e)
{
    struct dm_buf q;
    char name[64];
    int rc = DM_E_NOMEM;
    snprintf(name, sizeof name, WORKER_LOAD_RULES_PREFIX "%s", rules[i].name);
    dm_buf_init(&q, 4096);
    if (!dm_buf_adds(&q, "INSERT IGNORE INTO ") &&
        !worker_ap_add_meta_table(a, &q, "_loader_checkpoint") &&
        !dm_buf_adds(&q, " (id, filename, cp_schema, cp_table, `offset`, end_pos) VALUES (") &&
        !worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) &&
        !dm_buf_printf(&q, ",'%s','','%s',0,0)", name, hash))
        rc = worker_ap_run(a, q.data, q.len, e);
    else
        worker_ap_nomem(e);
    dm_buf_free(&q);
    return rc;
}

int worker_load_rules_check(struct worker_applier *a, const struct worker_subtask_cfg *cfg,
                            const char *dir, struct worker_terr *e)
{
    char have[WORKER_LOAD_RULES_N][17], now[17], changed[200] = "";
    size_t n = 0, len = 0;
    bool import;
    int rc;
    memset(have, 0, sizeof have);
    if ((rc = read_recorded(a, have, e)))
        return rc;
    for (size_t i = 0; i < WORKER_LOAD_RULES_N; i++) {
        worker_load_rules_hash(cfg, i, now);
        if (!have[i][0] && (rc = record(a, i, now, e)))
            return rc;
        if (have[i][0] && strcmp(have[i], now) != 0) {
            int k = snprintf(changed + len, sizeof changed - len, "%s%s", n++ ? ", " : "",
                             rules[i].name);
            len += k > 0 && (size_t)k < sizeof changed - len ? (size_t)k : 0;
        }
    }
    if (!n)
        return DM_OK;
    import = cfg->import_dir && cfg->import_dir[0];
    worker_terr_set(e, WTE_LOAD_RULES_CHANGED, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_INTERNAL,
                    WTE_LEVEL_HIGH,
                    "the task's %s changed since the dump in %.300s was made and its load "
                    "began; continuing that dump at its loader checkpoint would load the "
                    "tables and targets of the old rules, so nothing was loaded: start the "
                    "task with remove-meta (after cleaning the target) to %s under the new "
                    "rules, or start it with the old rules to resume",
                    changed, dir, import ? "load the import-dir again (it is not dumped "
                    "again: a table it lacks stays missing)" : "dump again");
    return DM_E_INVAL;
}

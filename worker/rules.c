/* rules.c - black-white-list, binlog event filter, routes, column mapping (rules.h). */
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"
#include "dm_regex.h"
#include "dm_tblfilter.h"

struct worker_rules {
    const struct worker_subtask_cfg *cfg;
    bool icase;
    struct dm_bwl *bwl;
    struct dm_regex **filter_res;   /* cfg->n_filters; NULL where a rule has no sql-pattern */
    struct dm_route_rule *routes;   /* cfg->n_routes, strings borrowed from cfg */
};

bool worker_wildcard_match(const char *p, const char *s, bool icase)
{
    return dm_wildcard_match(p, s, icase);
}

/* ---- compilation ---- */

static int compile_bwl(struct worker_rules *r, char *err, size_t cap)
{
    const struct worker_bwl *b = &r->cfg->bwl;
    struct dm_bwl_table *tabs = calloc(b->n_do_tables + b->n_ignore_tables + 1, sizeof *tabs);
    struct dm_bwl_rules rules = {b->do_dbs, b->n_do_dbs, b->ignore_dbs, b->n_ignore_dbs,
                                 tabs, b->n_do_tables, tabs + b->n_do_tables,
                                 b->n_ignore_tables};
    char why[700] = "";
    int rc;
    if (!tabs)
        return DM_E_NOMEM;
    for (size_t i = 0; i < b->n_do_tables; i++)
        tabs[i] = (struct dm_bwl_table){b->do_tables[i].db, b->do_tables[i].tbl};
    for (size_t i = 0; i < b->n_ignore_tables; i++)
        tabs[b->n_do_tables + i] = (struct dm_bwl_table){b->ignore_tables[i].db,
                                                         b->ignore_tables[i].tbl};
    rc = dm_bwl_new(&rules, r->cfg->case_sensitive, &r->bwl, why, sizeof why);
    if (rc == DM_E_INVAL)
        snprintf(err, cap, "generate black white list: %s", why);
    free(tabs);
    return rc;
}

static int compile_filters(struct worker_rules *r, char *err, size_t cap)
{
    const struct worker_subtask_cfg *c = r->cfg;
    char why[700] = "";
    int rc;
    if (c->n_filters == 0)
        return DM_OK;
    if (!(r->filter_res = calloc(c->n_filters, sizeof *r->filter_res)))
        return DM_E_NOMEM;
    for (size_t i = 0; i < c->n_filters; i++) {
        const struct worker_filter_rule *f = &c->filters[i];
        if (f->n_sql == 0)
            continue;
        rc = dm_sql_patterns_compile(f->sql_patterns, f->n_sql, &r->filter_res[i], why,
                                     sizeof why);
        if (rc == DM_E_INVAL)
            snprintf(err, cap, "generate binlog event filter: filter rule %zu: %s", i, why);
        if (rc)
            return rc;
    }
    return DM_OK;
}

/* tidb-tools refuses wildcard patterns with `*` before their end (dm_wildcard_check). */
static int check_patterns(const struct worker_subtask_cfg *c, char *err, size_t cap)
{
    char key[96];
    size_t i;
    int rc = DM_OK;
    for (i = 0; i < c->n_routes && !rc; i++) {
        snprintf(key, sizeof key, "generate table router: route rule %zu", i);
        if (!(rc = dm_wildcard_check(key, c->routes[i].schema_pattern, err, cap)))
            rc = dm_wildcard_check(key, c->routes[i].table_pattern, err, cap);
    }
    for (i = 0; i < c->n_filters && !rc; i++) {
        snprintf(key, sizeof key, "generate binlog event filter: filter rule %zu", i);
        if (!(rc = dm_wildcard_check(key, c->filters[i].schema_pattern, err, cap)))
            rc = dm_wildcard_check(key, c->filters[i].table_pattern, err, cap);
    }
    for (i = 0; i < c->n_mappings && !rc; i++) {
        snprintf(key, sizeof key, "generate column mapping: mapping rule %zu", i);
        if (!(rc = dm_wildcard_check(key, c->mappings[i].schema_pattern, err, cap)))
            rc = dm_wildcard_check(key, c->mappings[i].table_pattern, err, cap);
    }
    return rc;
}

static int copy_routes(struct worker_rules *r)
{
    const struct worker_subtask_cfg *c = r->cfg;
    if (c->n_routes == 0)
        return DM_OK;
    if (!(r->routes = calloc(c->n_routes, sizeof *r->routes)))
        return DM_E_NOMEM;
    for (size_t i = 0; i < c->n_routes; i++) {
        const struct worker_route_rule *rr = &c->routes[i];
        r->routes[i] = (struct dm_route_rule){rr->schema_pattern, rr->table_pattern,
                                              rr->target_schema, rr->target_table};
    }
    return DM_OK;
}

int worker_rules_new(const struct worker_subtask_cfg *cfg, struct worker_rules **out,
                     char *err, size_t cap)
{
    struct worker_rules *r = calloc(1, sizeof *r);
    int rc;
    *out = NULL;
    if (!r)
        return DM_E_NOMEM;
    r->cfg = cfg;
    r->icase = !cfg->case_sensitive;
    if ((rc = check_patterns(cfg, err, cap)) || (rc = compile_bwl(r, err, cap)) ||
        (rc = compile_filters(r, err, cap)) || (rc = copy_routes(r))) {
        if (rc == DM_E_NOMEM)
            snprintf(err, cap, "out of memory");
        worker_rules_free(r);
        return rc;
    }
    *out = r;
    return DM_OK;
}

void worker_rules_free(struct worker_rules *r)
{
    if (!r)
        return;
    dm_bwl_free(r->bwl);
    for (size_t i = 0; r->filter_res && i < r->cfg->n_filters; i++)
        dm_regex_free(r->filter_res[i]);
    free(r->filter_res);
    free(r->routes);
    free(r);
}

/* ---- black-white-list ---- */

bool worker_rules_bwl_allow(const struct worker_rules *r, const char *schema, const char *table)
{
    return dm_bwl_allow(r->bwl, schema, table);
}

/* ---- binlog event filter ---- */

static bool is_dml(enum worker_event ev)
{
    return ev == WEV_INSERT || ev == WEV_UPDATE || ev == WEV_DELETE;
}

static const char *event_name(enum worker_event ev)
{
    static const char *const names[] = {
        "", "insert", "update", "delete", "create database", "drop database", "create table",
        "drop table", "truncate table", "rename table", "create index", "drop index",
        "alter table"
    };
    return names[ev];
}

static bool match_event(const struct worker_filter_rule *f, enum worker_event ev)
{
    size_t i;
    for (i = 0; i < f->n_events; i++) {
        const char *e = f->events[i];
        if (strcasecmp(e, "all") == 0)
            return true;
        if (strcasecmp(e, "none") == 0)
            return false;
        if (is_dml(ev)) {
            if (strcasecmp(e, "all dml") == 0)
                return true;
            if (strcasecmp(e, "none dml") == 0)
                return false;
        } else {
            if (strcasecmp(e, "all ddl") == 0)
                return true;
            if (strcasecmp(e, "none ddl") == 0)
                return false;
        }
        if (strcasecmp(e, event_name(ev)) == 0)
            return true;
    }
    return false;
}

/* tidb-tools semantics: Ignore wins on a match; a Do rule that does not match ignores. */
static bool rule_ignores(const struct worker_rules *r, size_t i, enum worker_event ev,
                         const char *sql)
{
    const struct worker_filter_rule *f = &r->cfg->filters[i];
    bool matched;
    if (ev != WEV_NULL) {
        matched = match_event(f, ev);
    } else {
        if (!r->filter_res || !r->filter_res[i] || !sql)
            return false;
        matched = dm_regex_match(r->filter_res[i], sql);
    }
    return matched ? f->ignore : !f->ignore;
}

bool worker_rules_filter_ignore(const struct worker_rules *r, const char *schema,
                                const char *table, enum worker_event ev, const char *sql)
{
    const struct worker_subtask_cfg *c = r->cfg;
    size_t i;
    int pass;
    /* pass 0: table-level rules, pass 1: schema-level rules */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 0 && (!table || !table[0]))
            continue;
        for (i = 0; i < c->n_filters; i++) {
            const struct worker_filter_rule *f = &c->filters[i];
            bool table_rule = f->table_pattern[0] != '\0';
            if (table_rule != (pass == 0))
                continue;
            if (!worker_wildcard_match(f->schema_pattern, schema, r->icase))
                continue;
            if (table_rule && !worker_wildcard_match(f->table_pattern, table, r->icase))
                continue;
            if (rule_ignores(r, i, ev, sql))
                return true;
        }
    }
    return false;
}

/* ---- routes ---- */

void worker_rules_route(const struct worker_rules *r, const char *schema, const char *table,
                        char *tschema, size_t tscap, char *ttable, size_t ttcap)
{
    dm_route(r->routes, r->cfg->n_routes, r->icase, schema, table, tschema, tscap, ttable,
             ttcap);
}

int worker_rules_route_check(const struct worker_rules *r, const char *schema,
                             const char *table, char *err, size_t cap)
{
    return dm_route_check(r->routes, r->cfg->n_routes, r->icase, schema, table, err, cap);
}

bool worker_rules_route_merges(const struct worker_rules *r, const char *schema,
                               const char *table, const char **pattern)
{
    const struct dm_route_rule *hit = dm_route_merges(r->routes, r->cfg->n_routes, r->icase,
                                                      schema, table);
    if (hit && pattern)
        *pattern = hit->schema_pattern;
    return hit != NULL;
}

/* ---- column mapping ---- */

const struct worker_mapping_rule *worker_rules_mapping(const struct worker_rules *r,
                                                       const char *schema, const char *table,
                                                       const char *column)
{
    const struct worker_subtask_cfg *c = r->cfg;
    size_t i;
    for (i = 0; i < c->n_mappings; i++) {
        const struct worker_mapping_rule *m = &c->mappings[i];
        if (!worker_wildcard_match(m->schema_pattern, schema, r->icase))
            continue;
        if (m->table_pattern[0] && !worker_wildcard_match(m->table_pattern, table, r->icase))
            continue;
        if (strcasecmp(m->source_column, column) == 0)
            return m;
    }
    return NULL;
}

static int parse_uint_bits(const char *s, unsigned bits, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!*s || *s == '-' || *s == '+')
        return DM_E_INVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || (bits < 64 && v >= (1ULL << bits)))
        return DM_E_INVAL;
    *out = v;
    return DM_OK;
}

/* DM computeID: name == prefix -> 0; else name must be prefix+sep+<number>. */
static int compute_id(const char *name, const char *prefix, const char *sep, unsigned bits,
                      unsigned shift, int64_t *out, char *err, size_t cap)
{
    size_t pl = strlen(prefix), sl = strlen(sep);
    uint64_t id;
    if (strcmp(name, prefix) == 0) {
        *out = 0;
        return DM_OK;
    }
    if (strlen(name) <= pl + sl || strncmp(name, prefix, pl) != 0 ||
        strncmp(name + pl, sep, sl) != 0) {
        snprintf(err, cap, "%s%s is not the prefix of %s", prefix, sep, name);
        return DM_E_INVAL;
    }
    if (parse_uint_bits(name + pl + sl, bits, &id)) {
        snprintf(err, cap, "invalid id in %s (must fit %u bits)", name, bits);
        return DM_E_INVAL;
    }
    *out = (int64_t)(id << shift);
    return DM_OK;
}

int worker_rules_partition_id(const struct worker_mapping_rule *m, const char *schema,
                              const char *table, int64_t in, int64_t *out, char *err, size_t cap)
{
    const char *sep = m->n_args == 4 ? m->args[3] : "_";
    unsigned shift = 63;
    int64_t inst = 0, sid = 0, tid = 0;
    uint64_t v;
    int rc;
    if (m->args[0][0]) {
        shift -= 4;
        if (parse_uint_bits(m->args[0], 4, &v)) {
            snprintf(err, cap, "invalid instance id %s (must fit 4 bits)", m->args[0]);
            return DM_E_INVAL;
        }
        inst = (int64_t)(v << shift);
    }
    if (m->args[1][0]) {
        shift -= 7;
        if ((rc = compute_id(schema, m->args[1], sep, 7, shift, &sid, err, cap)))
            return rc;
    }
    if (m->args[2][0]) {
        shift -= 8;
        if ((rc = compute_id(table, m->args[2], sep, 8, shift, &tid, err, cap)))
            return rc;
    }
    if (in < 0 || (uint64_t)in >= (1ULL << shift)) {
        snprintf(err, cap,
                 "id must less than %llu, greater than or equal to 0, but got %lld, which is origin data",
                 1ULL << shift, (long long)in);
        return DM_E_INVAL;
    }
    *out = inst | sid | tid | in;
    return DM_OK;
}

bool worker_rules_has_mapping(const struct worker_rules *r)
{
    return r->cfg->n_mappings > 0;
}

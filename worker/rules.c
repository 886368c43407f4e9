/* rules.c - black-white-list, binlog event filter, routes, column mapping (rules.h). */
#include "rules.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"

struct name_pat {
    const char *text;  /* borrowed from the cfg */
    bool is_re;
    regex_t re;
};

struct tbl_pat {
    struct name_pat db, tbl;
};

struct filter_re {
    regex_t *res;       /* one per sql-pattern */
    size_t n;
};

struct worker_rules {
    const struct worker_subtask_cfg *cfg;
    bool icase;
    struct name_pat *do_dbs, *ignore_dbs;
    struct tbl_pat *do_tables, *ignore_tables;
    struct filter_re *filters;   /* cfg->n_filters */
};

static const char *const system_schemas[] = {
    "mysql", "sys", "information_schema", "performance_schema", "metrics_schema",
    "inspection_schema", "dm_heartbeat", NULL
};

bool worker_wildcard_match(const char *p, const char *s, bool icase)
{
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        char pc = *p, sc = *s;
        if (icase) {
            pc = (char)tolower((unsigned char)pc);
            sc = (char)tolower((unsigned char)sc);
        }
        if (*p == '*') {
            star_p = ++p;
            star_s = s;
            continue;
        }
        if (*p && (*p == '?' || pc == sc)) {
            p++;
            s++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* ---- compilation ---- */

static int compile_re(regex_t *re, const char *text, bool icase, char *err, size_t cap)
{
    int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0);
    int rc;
    if (strncmp(text, "(?i)", 4) == 0) {
        text += 4;
        flags |= REG_ICASE;
    }
    rc = regcomp(re, text, flags);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        snprintf(err, cap, "invalid regular expression '%s': %s", text, msg);
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int compile_name(struct name_pat *np, const char *text, bool icase, char *err, size_t cap)
{
    np->text = text;
    np->is_re = text[0] == '~';
    if (!np->is_re)
        return DM_OK;
    return compile_re(&np->re, text + 1, icase, err, cap);
}

static int compile_names(struct name_pat **out, const char **names, size_t n, bool icase,
                         char *err, size_t cap)
{
    size_t i;
    int rc;
    if (n == 0)
        return DM_OK;
    *out = calloc(n, sizeof **out);
    if (!*out)
        return DM_E_NOMEM;
    for (i = 0; i < n; i++)
        if ((rc = compile_name(&(*out)[i], names[i], icase, err, cap)))
            return rc;
    return DM_OK;
}

static int compile_tables(struct tbl_pat **out, const struct worker_bwl_table *t, size_t n,
                          bool icase, char *err, size_t cap)
{
    size_t i;
    int rc;
    if (n == 0)
        return DM_OK;
    *out = calloc(n, sizeof **out);
    if (!*out)
        return DM_E_NOMEM;
    for (i = 0; i < n; i++) {
        if ((rc = compile_name(&(*out)[i].db, t[i].db, icase, err, cap)) ||
            (rc = compile_name(&(*out)[i].tbl, t[i].tbl, icase, err, cap)))
            return rc;
    }
    return DM_OK;
}

static int compile_filters(struct worker_rules *r, char *err, size_t cap)
{
    const struct worker_subtask_cfg *c = r->cfg;
    size_t i, k;
    int rc;
    if (c->n_filters == 0)
        return DM_OK;
    r->filters = calloc(c->n_filters, sizeof *r->filters);
    if (!r->filters)
        return DM_E_NOMEM;
    for (i = 0; i < c->n_filters; i++) {
        const struct worker_filter_rule *f = &c->filters[i];
        if (f->n_sql == 0)
            continue;
        r->filters[i].res = calloc(f->n_sql, sizeof(regex_t));
        if (!r->filters[i].res)
            return DM_E_NOMEM;
        for (k = 0; k < f->n_sql; k++) {
            if ((rc = compile_re(&r->filters[i].res[k], f->sql_patterns[k], false, err, cap)))
                return rc;
            r->filters[i].n++;
        }
    }
    return DM_OK;
}

int worker_rules_new(const struct worker_subtask_cfg *cfg, struct worker_rules **out,
                     char *err, size_t cap)
{
    struct worker_rules *r = calloc(1, sizeof *r);
    const struct worker_bwl *b = &cfg->bwl;
    int rc;
    *out = NULL;
    if (!r)
        return DM_E_NOMEM;
    r->cfg = cfg;
    r->icase = !cfg->case_sensitive;
    if ((rc = compile_names(&r->do_dbs, b->do_dbs, b->n_do_dbs, r->icase, err, cap)) ||
        (rc = compile_names(&r->ignore_dbs, b->ignore_dbs, b->n_ignore_dbs, r->icase, err, cap)) ||
        (rc = compile_tables(&r->do_tables, b->do_tables, b->n_do_tables, r->icase, err, cap)) ||
        (rc = compile_tables(&r->ignore_tables, b->ignore_tables, b->n_ignore_tables, r->icase,
                             err, cap)) ||
        (rc = compile_filters(r, err, cap))) {
        worker_rules_free(r);
        return rc;
    }
    *out = r;
    return DM_OK;
}

static void free_names(struct name_pat *p, size_t n)
{
    size_t i;
    if (!p)
        return;
    for (i = 0; i < n; i++)
        if (p[i].is_re && p[i].text)
            regfree(&p[i].re);
    free(p);
}

static void free_tables(struct tbl_pat *p, size_t n)
{
    size_t i;
    if (!p)
        return;
    for (i = 0; i < n; i++) {
        if (p[i].db.is_re && p[i].db.text)
            regfree(&p[i].db.re);
        if (p[i].tbl.is_re && p[i].tbl.text)
            regfree(&p[i].tbl.re);
    }
    free(p);
}

void worker_rules_free(struct worker_rules *r)
{
    size_t i, k;
    if (!r)
        return;
    free_names(r->do_dbs, r->cfg->bwl.n_do_dbs);
    free_names(r->ignore_dbs, r->cfg->bwl.n_ignore_dbs);
    free_tables(r->do_tables, r->cfg->bwl.n_do_tables);
    free_tables(r->ignore_tables, r->cfg->bwl.n_ignore_tables);
    if (r->filters) {
        for (i = 0; i < r->cfg->n_filters; i++) {
            for (k = 0; k < r->filters[i].n; k++)
                regfree(&r->filters[i].res[k]);
            free(r->filters[i].res);
        }
        free(r->filters);
    }
    free(r);
}

/* ---- black-white-list ---- */

static bool name_match(const struct name_pat *p, const char *s, bool icase)
{
    if (p->is_re)
        return regexec(&p->re, s, 0, NULL, 0) == 0;
    return icase ? strcasecmp(p->text, s) == 0 : strcmp(p->text, s) == 0;
}

static bool names_match(const struct name_pat *p, size_t n, const char *s, bool icase)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (name_match(&p[i], s, icase))
            return true;
    return false;
}

static bool tables_match(const struct tbl_pat *p, size_t n, const char *db, const char *tbl,
                         bool icase)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (name_match(&p[i].db, db, icase) && name_match(&p[i].tbl, tbl, icase))
            return true;
    return false;
}

bool worker_rules_bwl_allow(const struct worker_rules *r, const char *schema, const char *table)
{
    const struct worker_bwl *b = &r->cfg->bwl;
    size_t i;
    for (i = 0; system_schemas[i]; i++)
        if (strcasecmp(system_schemas[i], schema) == 0)
            return false;
    if (b->n_do_dbs > 0) {
        if (!names_match(r->do_dbs, b->n_do_dbs, schema, r->icase))
            return false;
    } else if (b->n_ignore_dbs > 0 && names_match(r->ignore_dbs, b->n_ignore_dbs, schema, r->icase)) {
        return false;
    }
    if (!table || !table[0])
        return true;
    if (b->n_do_tables > 0 && tables_match(r->do_tables, b->n_do_tables, schema, table, r->icase))
        return true;
    if (b->n_ignore_tables > 0 &&
        tables_match(r->ignore_tables, b->n_ignore_tables, schema, table, r->icase))
        return false;
    return b->n_do_tables == 0;
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

static bool match_sql(const struct filter_re *fr, const char *sql)
{
    size_t i;
    for (i = 0; i < fr->n; i++)
        if (regexec(&fr->res[i], sql, 0, NULL, 0) == 0)
            return true;
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
        if (r->filters[i].n == 0 || !sql)
            return false;
        matched = match_sql(&r->filters[i], sql);
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
    const struct worker_subtask_cfg *c = r->cfg;
    const struct worker_route_rule *hit = NULL;
    size_t i;
    if (!table)
        table = "";
    for (i = 0; i < c->n_routes && !hit && table[0]; i++) {
        const struct worker_route_rule *rr = &c->routes[i];
        if (rr->table_pattern[0] && worker_wildcard_match(rr->schema_pattern, schema, r->icase) &&
            worker_wildcard_match(rr->table_pattern, table, r->icase))
            hit = rr;
    }
    for (i = 0; i < c->n_routes && !hit; i++) {
        const struct worker_route_rule *rr = &c->routes[i];
        if (!rr->table_pattern[0] && worker_wildcard_match(rr->schema_pattern, schema, r->icase))
            hit = rr;
    }
    snprintf(tschema, tscap, "%s", hit && hit->target_schema[0] ? hit->target_schema : schema);
    snprintf(ttable, ttcap, "%s",
             hit && hit->table_pattern[0] && hit->target_table[0] ? hit->target_table : table);
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

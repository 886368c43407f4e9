/* dm_tblfilter.c - black-white-list, wildcards, routes, sql-pattern (dm_tblfilter.h). */
#include "dm_tblfilter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dm_error.h"

struct name_pat {
    char *text;               /* owned copy (without the `~` for a regexp) */
    struct dm_regex *re;      /* NULL: exact name */
};

struct tbl_pat {
    struct name_pat db, tbl;
};

struct dm_bwl {
    bool icase;
    struct name_pat *do_dbs, *ignore_dbs;
    struct tbl_pat *do_tables, *ignore_tables;
    size_t n_do_dbs, n_ignore_dbs, n_do_tables, n_ignore_tables;
};

static const char *const system_schemas[] = {
    "mysql", "sys", "information_schema", "performance_schema", "metrics_schema",
    "inspection_schema", "dm_heartbeat", NULL
};

static const char *const filter_events[] = {
    "all", "all dml", "all ddl", "none", "none dml", "none ddl", "insert", "update",
    "delete", "create database", "drop database", "create table", "drop table",
    "truncate table", "rename table", "create index", "drop index", "alter table", NULL
};

bool dm_filter_event_known(const char *event)
{
    for (size_t i = 0; filter_events[i]; i++)
        if (strcasecmp(filter_events[i], event) == 0)
            return true;
    return false;
}

bool dm_is_system_schema(const char *schema)
{
    for (size_t i = 0; system_schemas[i]; i++)
        if (strcasecmp(system_schemas[i], schema) == 0)
            return true;
    return false;
}

static unsigned char fold(unsigned char c, bool icase)
{
    return icase ? (unsigned char)tolower(c) : c;
}

/* tidb-tools getRangeItem: `[` at p opens a range when a `]` follows; *len gets the
 * range's length with the brackets, 0 when `[` is an ordinary byte. */
static bool range_match(const char *p, unsigned char c, bool icase, size_t *len)
{
    const char *close = strchr(p, ']');
    size_t i = 1, end;
    bool not_ = false, hit = false, any = false;
    *len = 0;
    if (!close)
        return false;
    end = (size_t)(close - p);
    *len = end + 1;
    if (p[i] == '!') {
        not_ = true;
        i++;
    }
    for (; i < end; i++) {
        unsigned char lo = fold((unsigned char)p[i], icase), hi = lo;
        if (p[i + 1] == '-' && i + 2 < end) {
            hi = fold((unsigned char)p[i + 2], icase);
            i += 2;
        }
        any = true;
        hit = hit || (lo <= c && c <= hi);
    }
    if (!any && not_)            /* `[!]` is the byte `!` */
        return c == '!';
    return hit ? !not_ : not_;
}

bool dm_wildcard_match(const char *p, const char *s, bool icase)
{
    size_t len;
    for (;; p++, s++) {
        if (*p == '*') {
            if (p[1] == '\0')
                return true;
            for (; *s; s++)      /* not at the end: refused by dm_wildcard_valid */
                if (dm_wildcard_match(p + 1, s, icase))
                    return true;
            return dm_wildcard_match(p + 1, s, icase);
        }
        if (*p == '\0' || *s == '\0')
            return *p == '\0' && *s == '\0';
        if (*p == '[') {
            bool in = range_match(p, fold((unsigned char)*s, icase), icase, &len);
            if (len && !in)
                return false;
            if (len) {
                p += len - 1;
                continue;
            }
        }
        if (*p != '?' && fold((unsigned char)*p, icase) != fold((unsigned char)*s, icase))
            return false;
    }
}

bool dm_wildcard_valid(const char *p)
{
    const char *star = strchr(p, '*');
    return !star || star[1] == '\0';
}

int dm_wildcard_check(const char *key, const char *pattern, char *err, size_t cap)
{
    if (!pattern || dm_wildcard_valid(pattern))
        return DM_OK;
    snprintf(err, cap, "%s \"%s\": pattern %s not valid (a wildcard `*` must be the last "
             "character; use a `~` regular expression)", key, pattern, pattern);
    return DM_E_INVAL;
}

/* ---- black-white-list ---- */

static int compile_name(struct name_pat *np, const char *key, const char *text, bool icase,
                        char *err, size_t cap)
{
    char why[512] = "";
    int rc;
    bool is_re = text && text[0] == '~';
    if (!text || !text[0]) {
        snprintf(err, cap, "%s: name cannot be empty", key);
        return DM_E_INVAL;
    }
    if (!is_re && (rc = dm_wildcard_check(key, text, err, cap)))
        return rc;
    if (!(np->text = strdup(is_re ? text + 1 : text)))
        return DM_E_NOMEM;
    if (!is_re)
        return DM_OK;
    rc = dm_regex_compile(np->text, icase ? DM_REGEX_ICASE : 0, &np->re, why, sizeof why);
    if (rc == DM_E_INVAL)
        snprintf(err, cap, "%s \"%s\": %s", key, text, why);
    return rc;
}

static int compile_names(struct name_pat **out, size_t *nout, const char *key,
                         const char *const *names, size_t n, bool icase, char *err, size_t cap)
{
    int rc;
    if (n == 0)
        return DM_OK;
    if (!(*out = calloc(n, sizeof **out)))
        return DM_E_NOMEM;
    *nout = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = compile_name(&(*out)[i], key, names[i], icase, err, cap)))
            return rc;
    return DM_OK;
}

static int compile_tables(struct tbl_pat **out, size_t *nout, const char *key,
                          const struct dm_bwl_table *t, size_t n, bool icase, char *err,
                          size_t cap)
{
    char kdb[64], ktbl[64];
    int rc;
    if (n == 0)
        return DM_OK;
    if (!(*out = calloc(n, sizeof **out)))
        return DM_E_NOMEM;
    *nout = n;
    snprintf(kdb, sizeof kdb, "%s db-name", key);
    snprintf(ktbl, sizeof ktbl, "%s tbl-name", key);
    for (size_t i = 0; i < n; i++)
        if ((rc = compile_name(&(*out)[i].db, kdb, t[i].db, icase, err, cap)) ||
            (rc = compile_name(&(*out)[i].tbl, ktbl, t[i].tbl, icase, err, cap)))
            return rc;
    return DM_OK;
}

int dm_bwl_new(const struct dm_bwl_rules *r, bool case_sensitive, struct dm_bwl **out,
               char *err, size_t cap)
{
    struct dm_bwl *b = calloc(1, sizeof *b);
    int rc;
    *out = NULL;
    if (!b)
        return DM_E_NOMEM;
    b->icase = !case_sensitive;
    if ((rc = compile_names(&b->do_dbs, &b->n_do_dbs, "do-dbs", r->do_dbs, r->n_do_dbs,
                            b->icase, err, cap)) ||
        (rc = compile_names(&b->ignore_dbs, &b->n_ignore_dbs, "ignore-dbs", r->ignore_dbs,
                            r->n_ignore_dbs, b->icase, err, cap)) ||
        (rc = compile_tables(&b->do_tables, &b->n_do_tables, "do-tables", r->do_tables,
                             r->n_do_tables, b->icase, err, cap)) ||
        (rc = compile_tables(&b->ignore_tables, &b->n_ignore_tables, "ignore-tables",
                             r->ignore_tables, r->n_ignore_tables, b->icase, err, cap))) {
        dm_bwl_free(b);
        return rc;
    }
    *out = b;
    return DM_OK;
}

static void name_free(struct name_pat *p)
{
    free(p->text);
    dm_regex_free(p->re);
}

static void names_free(struct name_pat *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        name_free(&p[i]);
    free(p);
}

static void tables_free(struct tbl_pat *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        name_free(&p[i].db);
        name_free(&p[i].tbl);
    }
    free(p);
}

void dm_bwl_free(struct dm_bwl *b)
{
    if (!b)
        return;
    names_free(b->do_dbs, b->n_do_dbs);
    names_free(b->ignore_dbs, b->n_ignore_dbs);
    tables_free(b->do_tables, b->n_do_tables);
    tables_free(b->ignore_tables, b->n_ignore_tables);
    free(b);
}

static bool name_match(const struct name_pat *p, const char *s, bool icase)
{
    if (p->re)
        return dm_regex_match(p->re, s);
    /* tidb-tools inserts plain names into its table selector: `*`/`?` are wildcards */
    return p->text && dm_wildcard_match(p->text, s, icase);
}

static bool names_match(const struct name_pat *p, size_t n, const char *s, bool icase)
{
    for (size_t i = 0; i < n; i++)
        if (name_match(&p[i], s, icase))
            return true;
    return false;
}

static bool tables_match(const struct tbl_pat *p, size_t n, const char *db, const char *tbl,
                         bool icase)
{
    for (size_t i = 0; i < n; i++)
        if (name_match(&p[i].db, db, icase) && name_match(&p[i].tbl, tbl, icase))
            return true;
    return false;
}

bool dm_bwl_allow(const struct dm_bwl *b, const char *schema, const char *table)
{
    if (dm_is_system_schema(schema))
        return false;
    if (b->n_do_dbs > 0) {
        if (!names_match(b->do_dbs, b->n_do_dbs, schema, b->icase))
            return false;
    } else if (names_match(b->ignore_dbs, b->n_ignore_dbs, schema, b->icase)) {
        return false;
    }
    if (!table || !table[0])
        return true;
    if (tables_match(b->do_tables, b->n_do_tables, schema, table, b->icase))
        return true;
    if (tables_match(b->ignore_tables, b->n_ignore_tables, schema, table, b->icase))
        return false;
    return b->n_do_tables == 0;
}

/* ---- routes ---- */

static bool route_hits(const struct dm_route_rule *rr, bool table_level, bool icase,
                       const char *schema, const char *table)
{
    bool tl = rr->table_pattern && rr->table_pattern[0];
    if (tl != table_level || !dm_wildcard_match(rr->schema_pattern, schema, icase))
        return false;
    return !tl || dm_wildcard_match(rr->table_pattern, table, icase);
}

/* The rules tidb-tools' Route chooses from: table rules when a table is given and one
 * matches, else schema rules. *hit the first, returns how many. */
static size_t route_level(const struct dm_route_rule *rules, size_t n, bool icase,
                          const char *schema, const char *table,
                          const struct dm_route_rule **hit, const struct dm_route_rule **second)
{
    size_t i, count = 0;
    int level;
    *hit = *second = NULL;
    for (level = table[0] ? 1 : 0; level >= 0 && count == 0; level--) {
        for (i = 0; i < n; i++) {
            if (!route_hits(&rules[i], level == 1, icase, schema, table))
                continue;
            if (count == 0)
                *hit = &rules[i];
            else if (count == 1)
                *second = &rules[i];
            count++;
        }
    }
    return count;
}

void dm_route(const struct dm_route_rule *rules, size_t n, bool icase, const char *schema,
              const char *table, char *tschema, size_t tscap, char *ttable, size_t ttcap)
{
    const struct dm_route_rule *hit, *second;
    if (!table)
        table = "";
    (void)route_level(rules, n, icase, schema, table, &hit, &second);
    snprintf(tschema, tscap, "%s",
             hit && hit->target_schema && hit->target_schema[0] ? hit->target_schema : schema);
    snprintf(ttable, ttcap, "%s",
             hit && hit->table_pattern && hit->table_pattern[0] && hit->target_table &&
             hit->target_table[0] ? hit->target_table : table);
}

static bool wild(const char *p)
{
    return p && strpbrk(p, "*?[") != NULL;
}

static bool set(const char *s)
{
    return s && s[0];
}

const struct dm_route_rule *dm_route_merges(const struct dm_route_rule *rules, size_t n,
                                            bool icase, const char *schema, const char *table)
{
    const struct dm_route_rule *hit, *second;
    char ts[256], tt[256];
    size_t i;
    bool tlevel;
    if (!table)
        table = "";
    (void)route_level(rules, n, icase, schema, table, &hit, &second);
    if (!hit || !set(hit->target_schema))
        return NULL;
    tlevel = set(hit->table_pattern);
    if (wild(hit->schema_pattern) || (tlevel && set(hit->target_table) &&
                                      wild(hit->table_pattern)))
        return hit;
    dm_route(rules, n, icase, schema, table, ts, sizeof ts, tt, sizeof tt);
    for (i = 0; i < n; i++) {
        const struct dm_route_rule *o = &rules[i];
        if (o == hit || !set(o->target_schema) || strcasecmp(o->target_schema, ts) != 0)
            continue;
        if (!table[0] || !set(o->table_pattern) || !set(o->target_table) ||
            strcasecmp(o->target_table, tt) == 0)
            return hit;
    }
    return NULL;
}

int dm_route_check(const struct dm_route_rule *rules, size_t n, bool icase, const char *schema,
                   const char *table, char *err, size_t cap)
{
    const struct dm_route_rule *hit, *second;
    size_t count;
    if (!table)
        table = "";
    count = route_level(rules, n, icase, schema, table, &hit, &second);
    if (count <= 1)
        return DM_OK;
    snprintf(err, cap, "`%s`.`%s` matches %zu %s route rules which is more than one (the first "
             "two: schema-pattern \"%s\" table-pattern \"%s\" and schema-pattern \"%s\" "
             "table-pattern \"%s\"): which target it goes to is ambiguous; make the patterns "
             "exclusive", schema, table, count, hit->table_pattern && hit->table_pattern[0] ?
             "table" : "schema", hit->schema_pattern, hit->table_pattern ? hit->table_pattern : "",
             second->schema_pattern, second->table_pattern ? second->table_pattern : "");
    return DM_E_INVAL;
}

/* ---- binlog event filter sql-pattern ---- */

int dm_sql_patterns_compile(const char *const *patterns, size_t n, struct dm_regex **out,
                            char *err, size_t cap)
{
    struct dm_buf joined;
    char why[512] = "";
    int rc = DM_OK;
    *out = NULL;
    dm_buf_init(&joined, DM_REGEX_MAX_PATTERN);
    rc = dm_buf_adds(&joined, "(?i)");   /* literally, so Go's error texts match too */
    for (size_t i = 0; i < n && rc == DM_OK; i++)
        rc = dm_buf_printf(&joined, "%s%s", i ? "|" : "", patterns[i]);
    if (rc == DM_E_TOO_LARGE) {
        snprintf(err, cap, "compile regular expression: sql-pattern longer than %u bytes",
                 DM_REGEX_MAX_PATTERN);
        rc = DM_E_INVAL;
    } else if (rc == DM_OK && n > 0) {
        rc = dm_regex_compile(joined.data, 0, out, why, sizeof why);
    }
    if (rc == DM_E_INVAL && why[0]) {
        struct dm_buf list;
        dm_buf_init(&list, 1u << 16);
        for (size_t i = 0; i < n; i++)
            dm_buf_printf(&list, "%s%s", i ? " " : "", patterns[i]);
        snprintf(err, cap, "compile regular expression [%s]: %s", list.data ? list.data : "",
                 why);
        dm_buf_free(&list);
    }
    dm_buf_free(&joined);
    return rc;
}

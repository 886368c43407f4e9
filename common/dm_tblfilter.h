/* dm_tblfilter.h - tidb-tools' table selection as DM v1.0.7 applies it, shared by the
 * worker (worker/rules.c, every event) and the master (config validation and the
 * prechecks that need the replicated table set):
 *   - black-white-list (pkg/filter): MySQL replicate-do/ignore semantics; a name starting
 *     with `~` is a Go regexp (common/dm_regex.h), any other name a `*`/`?`/`[...]`
 *     wildcard pattern (tidb-tools puts them into its table selector);
 *   - `*` / `?` / `[...]` wildcards of table routes, binlog event filters and column
 *     mappings;
 *   - table routes (pkg/table-router): table rules win over schema rules;
 *   - binlog event filter sql-pattern (pkg/binlog-filter): "(?i)" + patterns joined by "|".
 * Errors name the key and the pattern, then Go's text, e.g.
 *   do-tables tbl-name "~^keep_\q+$": error parsing regexp: invalid escape sequence: `\q`
 * Ownership: dm_bwl_new copies what it needs from `rules` (the caller keeps its arrays);
 * the result is freed with dm_bwl_free. Thread-safety: a dm_bwl is immutable; concurrent
 * readers are fine. */
#ifndef DM_TBLFILTER_H
#define DM_TBLFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "dm_regex.h"

struct dm_bwl_table {
    const char *db, *tbl;
};

struct dm_bwl_rules {             /* one black-white-list rule (borrowed strings) */
    const char *const *do_dbs;
    size_t n_do_dbs;
    const char *const *ignore_dbs;
    size_t n_ignore_dbs;
    const struct dm_bwl_table *do_tables;
    size_t n_do_tables;
    const struct dm_bwl_table *ignore_tables;
    size_t n_ignore_tables;
};

struct dm_bwl;

/* Compile (case_sensitive false: names and patterns compare case-insensitively, as
 * tidb-tools' "(?i)"). DM_OK; DM_E_INVAL (bad `~` pattern, message as above, or a
 * wildcard refused by dm_wildcard_check); DM_E_NOMEM. */
int dm_bwl_new(const struct dm_bwl_rules *rules, bool case_sensitive, struct dm_bwl **out,
               char *err, size_t cap);
void dm_bwl_free(struct dm_bwl *b);

/* true when `schema`.`table` is replicated; table NULL or "" asks about a schema-level
 * statement. System schemas (mysql, sys, information_schema, performance_schema,
 * metrics_schema, inspection_schema, dm_heartbeat) are never replicated. */
bool dm_bwl_allow(const struct dm_bwl *b, const char *schema, const char *table);
/* true for the system schemas above. */
bool dm_is_system_schema(const char *schema);

/* Wildcard match as tidb-tools' table selector (pkg/table-rule-selector): `?` one byte,
 * `[abc]` / `[a-z]` / `[!a-z]` one byte in / not in the set (`[` without a later `]` is
 * itself; `[!]` is `!`), `*` the rest of the name (only valid last: dm_wildcard_valid),
 * any other byte itself (icase: ASCII letters fold, in ranges too). */
bool dm_wildcard_match(const char *pattern, const char *s, bool icase);
/* false when `*` is not the pattern's last byte: tidb-tools refuses such a rule
 * ("pattern ... not valid") when the task starts. */
bool dm_wildcard_valid(const char *pattern);
/* DM_OK, or DM_E_INVAL with err = `<key> "<pattern>": pattern <pattern> not valid (...)`
 * when dm_wildcard_valid refuses it (NULL is valid). */
int dm_wildcard_check(const char *key, const char *pattern, char *err, size_t cap);

struct dm_route_rule {
    const char *schema_pattern, *table_pattern, *target_schema, *target_table;
};
/* Route `schema`.`table` (table may be NULL/"" for schema-level statements) into the
 * caller's buffers; unrouted names are copied unchanged. */
void dm_route(const struct dm_route_rule *rules, size_t n, bool icase, const char *schema,
              const char *table, char *tschema, size_t tscap, char *ttable, size_t ttcap);
/* DM_OK, or DM_E_INVAL (err says which) when `schema`.`table` matches more than one rule
 * of the level dm_route takes (tidb-tools' Route fails; DM v1.0.7 then logs it and leaves
 * the name unrouted, dm_route takes the first). */
int dm_route_check(const struct dm_route_rule *rules, size_t n, bool icase, const char *schema,
                   const char *table, char *err, size_t cap);
/* The rule routing `schema`.`table` (table NULL/"": the schema) when other source names can
 * route to the same target: its schema pattern is a wildcard, or its table pattern is one
 * with a target-table, or another rule names the same target schema (and table, when it
 * sets one). NULL when the target is this name's alone. Conservative: a wildcard that
 * happens to match one name counts. */
const struct dm_route_rule *dm_route_merges(const struct dm_route_rule *rules, size_t n,
                                            bool icase, const char *schema, const char *table);

/* Is `event` one of the binlog event filter's event types (tidb-tools' "all", "all dml",
 * ..., "alter table"; case-insensitive)? Unknown ones are refused by the master and the
 * worker alike. */
bool dm_filter_event_known(const char *event);

/* binlog event filter sql-pattern: one case-insensitive regexp "(?i)p1|p2|..." (n >= 1).
 * DM_OK; DM_E_INVAL with "compile regular expression [p1 p2]: <Go error>"; DM_E_NOMEM. */
int dm_sql_patterns_compile(const char *const *patterns, size_t n, struct dm_regex **out,
                            char *err, size_t cap);

#endif /* DM_TBLFILTER_H */

/* rules.h - task rules of one subtask, compiled: black-white-list (MySQL replicate-do/
 * ignore semantics, `~` = Go regexp), binlog event filters (tidb-tools binlog-filter:
 * Do/Ignore, events, sql-pattern as one case-insensitive Go regexp), table routes
 * (wildcards `*` `?`, table rules win over schema rules) and column mapping "partition id"
 * (dataplane.md §3.6). Matching is common/dm_tblfilter.h over common/dm_regex.h (RE2).
 * Ownership: a rules object BORROWS the cfg it was built from (free it first).
 * Thread-safety: immutable after worker_rules_new; concurrent readers are fine. */
#ifndef DM_WORKER_RULES_H
#define DM_WORKER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "subtask_cfg.h"

enum worker_event {
    WEV_NULL = 0,        /* only sql-pattern applies */
    WEV_INSERT, WEV_UPDATE, WEV_DELETE,
    WEV_CREATE_DATABASE, WEV_DROP_DATABASE,
    WEV_CREATE_TABLE, WEV_DROP_TABLE, WEV_TRUNCATE_TABLE, WEV_RENAME_TABLE,
    WEV_CREATE_INDEX, WEV_DROP_INDEX, WEV_ALTER_TABLE
};

struct worker_rules;

/* Compile. DM_OK, DM_E_INVAL (an invalid pattern: err names the key, the pattern and Go's
 * error, e.g. `generate black white list: do-tables tbl-name "~a\q": error parsing regexp:
 * invalid escape sequence: `\q``) or DM_E_NOMEM. */
int worker_rules_new(const struct worker_subtask_cfg *cfg, struct worker_rules **out,
                     char *err, size_t cap);
void worker_rules_free(struct worker_rules *r);

/* Black-white-list: true when `schema`.`table` is replicated. table NULL or "" asks
 * about a schema-level statement (CREATE/DROP DATABASE). System schemas (mysql, sys,
 * information_schema, performance_schema, metrics_schema, inspection_schema,
 * dm_heartbeat) are never replicated. */
bool worker_rules_bwl_allow(const struct worker_rules *r, const char *schema, const char *table);

/* Binlog event filter: true when the event must be ignored. `sql` may be NULL (DML). */
bool worker_rules_filter_ignore(const struct worker_rules *r, const char *schema,
                                const char *table, enum worker_event ev, const char *sql);

/* Route `schema`.`table` (table may be "" for schema-level statements) to the target
 * names, written into the caller's buffers (unrouted names are copied unchanged). */
void worker_rules_route(const struct worker_rules *r, const char *schema, const char *table,
                        char *tschema, size_t tscap, char *ttable, size_t ttcap);
/* DM_OK, or DM_E_INVAL with err naming the first two rules when `schema`.`table` matches
 * more than one route rule of the level that routes it (dm_route_check): which target
 * is meant is unknown (DM v1.0.7 logs it and writes to the unrouted name). */
int worker_rules_route_check(const struct worker_rules *r, const char *schema,
                             const char *table, char *err, size_t cap);
/* true when the route of `schema`.`table` (table "" : the schema) can merge other source
 * names into its target (dm_route_merges); *pattern gets the rule's schema pattern. */
bool worker_rules_route_merges(const struct worker_rules *r, const char *schema,
                               const char *table, const char **pattern);

/* The column-mapping rule for `schema`.`table` whose source-column is `column`, or
 * NULL. */
const struct worker_mapping_rule *worker_rules_mapping(const struct worker_rules *r,
                                                       const char *schema, const char *table,
                                                       const char *column);
/* Apply "partition id" of rule `m` to value `in` of `schema`.`table`. DM_OK or
 * DM_E_INVAL with DM's message in err (prefix mismatch, id out of range). */
int worker_rules_partition_id(const struct worker_mapping_rule *m, const char *schema,
                              const char *table, int64_t in, int64_t *out, char *err, size_t cap);

/* true when any column-mapping rule is configured. */
bool worker_rules_has_mapping(const struct worker_rules *r);

/* `*`/`?`/`[...]` wildcard match, dm_wildcard_match (exposed for tests). */
bool worker_wildcard_match(const char *pattern, const char *s, bool icase);

#endif /* DM_WORKER_RULES_H */

/* shard_group.h - sharding groups of one Sync unit (is-sharding: true), DM v1.0.7's
 * ShardingGroupKeeper / ShardingGroup / shardmeta.ShardingMeta as a state machine
 * without I/O (persistence: shard_meta.h; the binlog flow: syncer.c).
 *
 * A group = the source tables (IDs "`db`.`tbl`") of this worker routed to one target
 * table (ID "`db`.`tbl`"). A DDL met on a source table is a DDL item (first position = the
 * start of its event, end position, routed statements); the sources' item sequences must
 * be prefixes of the group's global sequence (else 36008). The item at `active_idx` is the
 * DDL being coordinated: a source that met it is "synced" and its later rows are held
 * (wsk_in_syncing) until every source of the group met it; then the group is synced
 * (remain 0) and the caller coordinates with dm-master, executes or skips the DDL, calls
 * wsk_resolve and re-syncs the held rows from the first DDL's end position.
 *
 * Table points (DM's per-table checkpoint): the keeper also keeps each source table's
 * point; a row or DDL event of a table at or before its point is already applied.
 *
 * Positions: (file, pos); files compare by their numeric suffix, then by name.
 * Ownership: the keeper owns copies of every string given to it.
 * Errors: DM_OK, DM_E_NOMEM, DM_E_INVAL (with err: DM's text, code in *code).
 * Thread-safety: none; one thread (the Sync unit's) uses a keeper. */
#ifndef DM_WORKER_SHARD_GROUP_H
#define DM_WORKER_SHARD_GROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSK_MAX_GROUPS 4096
#define WSK_MAX_SOURCES 4096      /* per group, and table points */
#define WSK_MAX_ITEMS 256         /* DDLs in one sharding sequence */

struct wsk_pos {
    char file[256];
    uint64_t pos;
};

int wsk_pos_cmp(const struct wsk_pos *a, const struct wsk_pos *b);
/* DM's mysql.Position.String(): "(file, pos)" */
void wsk_pos_str(const struct wsk_pos *p, char *buf, size_t cap);
/* DM's GenTableID: "`schema`.`table`" */
void wsk_table_id(const char *schema, const char *table, char *buf, size_t cap);
/* The same DDL list: equal length, each statement byte-equal (DM compares DDL texts). */
bool wsk_ddls_equal(char *const *a, size_t na, char *const *b, size_t nb);

struct wsk;

struct wsk *wsk_new(void);
void wsk_free(struct wsk *k);

/* Add source to target's group (created when missing). With `merge` false an existing
 * group is an error (task start); with true (CREATE TABLE) the table joins, refused while
 * the group is in sequence sharding (36005). */
int wsk_add(struct wsk *k, const char *target, const char *source, bool merge, int *code,
            char *err, size_t cap);
/* DROP TABLE / DROP DATABASE: the source leaves its group; refused in sequence sharding
 * (36006). Unknown target/source: no-op. */
int wsk_leave(struct wsk *k, const char *target, const char *source, int *code, char *err,
              size_t cap);
/* The target table of a group source (or NULL). */
const char *wsk_group_of(const struct wsk *k, const char *source);
bool wsk_has_group(const struct wsk *k, const char *target);
/* Every source of every group whose ID starts with "`schema`." (DROP DATABASE). */
size_t wsk_sources_of_schema(const struct wsk *k, const char *schema, const char **out,
                             const char **targets, size_t cap);

struct wsk_sync {
    bool synced;                  /* every source of the group met the active DDL */
    bool active;                  /* this DDL is the one being coordinated */
    int remain;                   /* sources still to meet it */
};
/* TrySync: source met `ddls` at [first, end]. */
int wsk_try_sync(struct wsk *k, const char *target, const char *source,
                 const struct wsk_pos *first, const struct wsk_pos *end, char *const *ddls,
                 size_t n, struct wsk_sync *r, int *code, char *err, size_t cap);
/* Rows of source at pos are held: the group is unresolved and the source already met the
 * active DDL (its first position is before pos). */
bool wsk_in_syncing(const struct wsk *k, const char *target, const char *source,
                    const struct wsk_pos *pos);
/* End position of the group's first DDL of this round (re-sync start); false if none. */
bool wsk_first_end(const struct wsk *k, const char *target, struct wsk_pos *out);
/* The active DDL resolved: active_idx++; *all when the sequence is done (meta reset). */
int wsk_resolve(struct wsk *k, const char *target, bool *all);
/* After the resolution's checkpoint: every source unsynced again. */
void wsk_reset(struct wsk *k, const char *target);
/* First position of the active DDL (sequence sharding continues there). */
bool wsk_active_first(const struct wsk *k, const char *target, struct wsk_pos *out);
/* Lowest first position of the unresolved groups (the global checkpoint's ceiling). */
bool wsk_lowest_first(const struct wsk *k, struct wsk_pos *out);
/* Sources of target's group (for the resolution's table points). */
size_t wsk_sources(const struct wsk *k, const char *target, const char **out, size_t cap);

/* Table points. */
void wsk_point_set(struct wsk *k, const char *source, const struct wsk_pos *p);
bool wsk_point_get(const struct wsk *k, const char *source, struct wsk_pos *out);

/* query-status: DM's unresolvedGroups [{target, DDLs, firstPos, synced, unsynced}]
 * (new reference). */
json_t *wsk_status_json(const struct wsk *k);

/* Persistence in DM's layout (`<task>_syncer_sharding_meta`): rows of one group, global
 * row first (source_table_id ""); data = JSON array of DDL items. n = 0 when the group has
 * no sequence (its rows are deleted). Strings are new references / malloc'd. */
struct wsk_meta_row {
    const char *source;           /* "" = global */
    int active_idx;
    char *data;                   /* malloc'd JSON */
};
int wsk_meta_rows(const struct wsk *k, const char *target, struct wsk_meta_row **rows,
                  size_t *n);
void wsk_meta_rows_free(struct wsk_meta_row *rows, size_t n);
/* Restore one stored row into target's group (the group must exist). */
int wsk_restore(struct wsk *k, const char *target, const char *source, int active_idx,
                bool is_global, const char *data, char *err, size_t cap);

#endif /* DM_WORKER_SHARD_GROUP_H */

/* taskcfg.h - DM v1.0 task configuration (task.yaml, dm-v1-wire.md §7): decode with the
 * strictness and messages of DM's yaml.UnmarshalStrict + TaskConfig.adjust(), and
 * derive the per-source subtask configs.
 *
 * Errors are DM terror strings (master/terror.h), e.g.
 *   [code=20003:class=dm-master:scope=internal:level=medium] decode task config failed:
 *   yaml: unmarshal errors:\n  line 3: field foo not found in type config.TaskConfig
 * (DM's master re-classes config errors as dm-master with terror.WithClass).
 * Ownership: master_taskcfg_parse returns an owned config (master_taskcfg_free); error
 * strings are malloc'd for the caller. Thread-safety: reentrant. */
#ifndef DM_MASTER_TASKCFG_H
#define DM_MASTER_TASKCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A vector of owned pointers (element type given by the containing field). */
struct master_vec {
    void **items;
    size_t n;
};
/* An owned string list. */
struct master_strv {
    char **items;
    size_t n;
};

struct master_kv {           /* element of a map[string]string (session) */
    char *name;
    char *value;
};

struct master_db_cfg {
    char *host;
    int64_t port;
    char *user;
    char *password;
    int64_t max_allowed_packet;    /* -1 = unset (DM default 64 MiB) */
    struct master_vec session;     /* of struct master_kv */
};

struct master_meta {
    char *binlog_name;
    int64_t binlog_pos;
};

/* Rule maps: every element starts with `name` (the map key). */
struct master_route {
    char *name;
    char *schema_pattern, *table_pattern, *target_schema, *target_table;
};
struct master_filter {
    char *name;
    char *schema_pattern, *table_pattern;
    struct master_strv events, sql_pattern;
    char *action;
};
struct master_colmap {
    char *name;
    char *schema_pattern, *table_pattern, *source_column, *target_column, *expression;
    struct master_strv arguments;
    char *create_table_query;
};
struct master_bw_table {
    char *db_name, *tbl_name;
};
struct master_bwlist {
    char *name;
    struct master_strv do_dbs, ignore_dbs;
    struct master_vec do_tables, ignore_tables;   /* of struct master_bw_table */
};
struct master_mydumper {
    char *name;
    char *mydumper_path;
    int64_t threads, chunk_filesize;
    bool skip_tz_utc;
    char *extra_args;
};
struct master_loader {
    char *name;
    int64_t pool_size;
    char *dir;
};
struct master_syncer {
    char *name;
    char *meta_file;
    int64_t worker_count, batch, queue_size, checkpoint_flush_interval, max_retry;
    bool auto_fix_gtid, enable_gtid, disable_detect, safe_mode, enable_ansi_quotes;
};

struct master_instance {
    char *source_id;
    struct master_meta *meta;                     /* NULL = not set */
    struct master_strv filter_rules, column_mapping_rules, route_rules;
    char *bw_list_name;
    char *mydumper_config_name;
    struct master_mydumper *mydumper;             /* resolved by adjust (never NULL after) */
    int64_t mydumper_thread;
    char *loader_config_name;
    struct master_loader *loader;
    int64_t loader_thread;
    char *syncer_config_name;
    struct master_syncer *syncer;
    int64_t syncer_thread;
};

struct master_task_cfg {
    char *name;
    char *task_mode;
    bool is_sharding;
    struct master_strv ignore_checking_items;
    char *meta_schema;
    bool remove_meta;
    bool disable_heartbeat;
    bool enable_heartbeat;
    int64_t heartbeat_update_interval, heartbeat_report_interval;
    char *timezone;
    bool case_sensitive;
    struct master_db_cfg *target_db;
    struct master_vec instances;                  /* of struct master_instance (may hold NULL) */
    char *online_ddl_scheme;
    struct master_vec routes, filters, column_mappings, bw_lists;
    struct master_vec mydumpers, loaders, syncers;
};

/* Decode + validate (DM Decode + adjust). DM_OK, DM_E_INVAL (invalid config, *err set),
 * DM_E_NOMEM. */
int master_taskcfg_parse(const char *yaml, size_t len, struct master_task_cfg **out,
                         char **err);
void master_taskcfg_free(struct master_task_cfg *cfg);

/* Look up a named rule in one of the rule maps (NULL if absent). */
void *master_taskcfg_rule(const struct master_vec *map, const char *name);

/* The DM checking items (config/checking_item.go) and the list text DM prints. */
bool master_checking_item_valid(const char *item);

/* ---- taskcfg_check.c ---- */
struct dm_bwl;
/* Compile black-white-list rule `l` (NULL: everything but the system schemas) with Go
 * regexp `~` patterns (common/dm_tblfilter.h). DM_OK; DM_E_INVAL with the key, the pattern
 * and Go's error in err; DM_E_NOMEM. *out: dm_bwl_free. */
int master_taskcfg_bwl(const struct master_bwlist *l, bool case_sensitive, struct dm_bwl **out,
                       char *err, size_t cap);
/* Every user pattern of the task must compile, as DM's checker/syncer build them:
 * black-white-list `~` names -> 26006 "fail to initial checker: generate black white list
 * error: black-white-list <rule>: <key> \"<pattern>\": error parsing regexp: ...";
 * binlog event filter sql-pattern / action / events -> 36030 "generate binlog event filter:
 * initial rule <rule> in binlog event filter: ..."; partition id arguments -> 26004.
 * Run by master_taskcfg_parse (start-task, update-task, check-task). DM_OK, DM_E_INVAL with
 * *err (class dm-master), DM_E_NOMEM. */
int master_taskcfg_check_rules(const struct master_task_cfg *c, char **err);
/* The settings of `c` that this project's dm-worker does not support yet (one table in
 * taskcfg_check.c: task-mode full/all, is-sharding, column-mapping expressions other than
 * partition id, task names and syncer values the worker cannot take). Calls emit (may be NULL) once per hit
 * with the task.yaml key, the worker's message and an instruction; returns the count. */
size_t master_taskcfg_unsupported(const struct master_task_cfg *c,
                                  void (*emit)(void *ctx, const char *setting, const char *msg,
                                               const char *instruction),
                                  void *ctx);

#endif /* DM_MASTER_TASKCFG_H */

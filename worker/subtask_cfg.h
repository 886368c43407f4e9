/* subtask_cfg.h - the master -> worker subtask configuration
 * (docs/internals/subtask-config.md): parsed from TOML (common/toml.h) into a jansson
 * document, then into typed fields that BORROW their strings from that document.
 * Validation covers what this worker needs: task-mode full/all/incremental, a target [to],
 * well-formed rules (unknown keys are ignored as agreed).
 * Ownership: worker_subtask_cfg_* constructors return an owned cfg, freed with
 * worker_subtask_cfg_free. Thread-safety: a cfg is immutable after parsing; share it
 * read-only between threads or copy it (worker_subtask_cfg_dup). */
#ifndef DM_WORKER_SUBTASK_CFG_H
#define DM_WORKER_SUBTASK_CFG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker_db_cfg {
    const char *host;
    int port;
    const char *user;
    char *password;              /* owned, plaintext (DM-encrypted values decrypted) */
    int64_t max_allowed_packet;
};

struct worker_route_rule {
    const char *schema_pattern, *table_pattern, *target_schema, *target_table;
};

struct worker_filter_rule {
    const char *schema_pattern, *table_pattern;
    const char **events;
    size_t n_events;
    const char **sql_patterns;
    size_t n_sql;
    bool ignore;                 /* action Ignore (else Do) */
};

struct worker_mapping_rule {
    const char *schema_pattern, *table_pattern, *source_column, *target_column, *expression;
    const char **args;
    size_t n_args;
};

struct worker_bwl_table { const char *db, *tbl; };

struct worker_bwl {
    const char **do_dbs;
    size_t n_do_dbs;
    const char **ignore_dbs;
    size_t n_ignore_dbs;
    struct worker_bwl_table *do_tables;
    size_t n_do_tables;
    struct worker_bwl_table *ignore_tables;
    size_t n_ignore_tables;
};

struct worker_subtask_cfg {
    json_t *doc;                 /* owned: the whole config as parsed (persisted as JSON) */
    const char *name, *mode, *source_id, *meta_schema;
    bool remove_meta, case_sensitive, safe_mode, is_sharding;
    int worker_count, batch, checkpoint_flush_interval;
    const char *timezone;        /* "" (UTC), "Local" or an IANA name (validated); TIMESTAMP
                                    values are applied as UTC instants whatever it is */
    const char *online_ddl_scheme; /* "", "pt" or "gh-ost" (online_ddl.h) */
    bool enable_heartbeat;       /* heartbeat.h; intervals in seconds (<= 0 in the config: 1 and 10) */
    int heartbeat_update_interval, heartbeat_report_interval;
    const char *binlog_type;     /* "local" (read the worker's relay, relay.h; what dm-master
                                    sends) or "remote" (read the source; also when absent) */
    const char *meta_binlog_name; /* NULL when [meta] absent */
    uint64_t meta_binlog_pos;
    struct worker_db_cfg to;
    struct worker_route_rule *routes;
    size_t n_routes;
    struct worker_filter_rule *filters;
    size_t n_filters;
    struct worker_mapping_rule *mappings;
    size_t n_mappings;
    struct worker_bwl bwl;
    /* Dump / Load units (task-mode full and all) */
    const char *mydumper_path;   /* "" = "mydumper" from PATH */
    int threads, pool_size;
    int64_t chunk_filesize;      /* MB */
    bool skip_tz_utc;
    const char *extra_args;
    const char *dir;             /* loader dir as sent ("./dumped_data.<task>") */
    const char *import_dir;      /* "" unless given: the dump is read from / written to it */
};

/* true for task-mode full and all (Dump + Load units before Sync or the end). */
bool worker_subtask_cfg_has_load(const struct worker_subtask_cfg *c);

/* Parse subtask TOML text. DM_OK, DM_E_PARSE (TOML syntax), DM_E_INVAL (validation) or
 * DM_E_NOT_SUPPORTED (sharding) with a message in err. */
int worker_subtask_cfg_parse_toml(const char *text, size_t len, struct worker_subtask_cfg **out,
                                  char *err, size_t cap);
/* Same from a JSON document (takes a new reference; the caller keeps its own). */
int worker_subtask_cfg_from_json(json_t *doc, struct worker_subtask_cfg **out, char *err,
                                 size_t cap);
/* A new cfg equal to `base` but with routes, filters, column mappings and the
 * black-white-list taken from `upd` (DM's update-task online scope). */
int worker_subtask_cfg_merge_update(const struct worker_subtask_cfg *base,
                                    const struct worker_subtask_cfg *upd,
                                    struct worker_subtask_cfg **out, char *err, size_t cap);
void worker_subtask_cfg_free(struct worker_subtask_cfg *c);

#endif /* DM_WORKER_SUBTASK_CFG_H */

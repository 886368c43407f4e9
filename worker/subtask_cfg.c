/* subtask_cfg.c - subtask TOML/JSON -> struct worker_subtask_cfg (see subtask_cfg.h). */
#include "subtask_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dm_crypt.h"
#include "dm_error.h"
#include "dm_name.h"
#include "dm_tblfilter.h"
#include "online_ddl.h"
#include "toml.h"

/* ---- typed getters over the document; each reports the key in err ---- */

static int get_str(const json_t *o, const char *key, const char *def, const char **out,
                   char *err, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return DM_OK;
    }
    if (!json_is_string(v)) {
        snprintf(err, cap, "config key %s must be a string", key);
        return DM_E_INVAL;
    }
    *out = json_string_value(v);
    return DM_OK;
}

static int get_int(const json_t *o, const char *key, int64_t def, int64_t min, int64_t max,
                   int64_t *out, char *err, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        *out = def;
        return DM_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(err, cap, "config key %s must be an integer in [%lld, %lld]", key,
                 (long long)min, (long long)max);
        return DM_E_INVAL;
    }
    *out = json_integer_value(v);
    return DM_OK;
}

static int get_bool(const json_t *o, const char *key, bool *out, char *err, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        *out = false;
        return DM_OK;
    }
    if (!json_is_boolean(v)) {
        snprintf(err, cap, "config key %s must be a boolean", key);
        return DM_E_INVAL;
    }
    *out = json_is_true(v);
    return DM_OK;
}

/* Array of strings (absent -> empty). *out is a malloc'd array of borrowed strings. */
static int get_str_array(const json_t *o, const char *key, const char ***out, size_t *n,
                         char *err, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    size_t i;
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return DM_OK;
    if (!json_is_array(v)) {
        snprintf(err, cap, "config key %s must be an array of strings", key);
        return DM_E_INVAL;
    }
    if (json_array_size(v) == 0)
        return DM_OK;
    *out = calloc(json_array_size(v), sizeof **out);
    if (!*out)
        return DM_E_NOMEM;
    for (i = 0; i < json_array_size(v); i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            snprintf(err, cap, "config key %s must be an array of strings", key);
            return DM_E_INVAL;
        }
        (*out)[i] = json_string_value(s);
    }
    *n = json_array_size(v);
    return DM_OK;
}

/* Array of tables (absent -> 0); returns the array or NULL. */
static int get_table_array(const json_t *o, const char *key, const json_t **arr, size_t *n,
                           char *err, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    size_t i;
    *arr = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return DM_OK;
    if (!json_is_array(v)) {
        snprintf(err, cap, "config key %s must be an array of tables", key);
        return DM_E_INVAL;
    }
    for (i = 0; i < json_array_size(v); i++) {
        if (!json_is_object(json_array_get(v, i))) {
            snprintf(err, cap, "config key %s must be an array of tables", key);
            return DM_E_INVAL;
        }
    }
    *arr = v;
    *n = json_array_size(v);
    return DM_OK;
}

/* ---- sections ---- */

static int parse_db(const json_t *doc, struct worker_db_cfg *db, char *err, size_t cap)
{
    const json_t *to = json_object_get(doc, "to");
    const char *pw = NULL;
    int64_t port = 0, map = 0;
    int rc;
    if (!json_is_object(to)) {
        snprintf(err, cap, "subtask config has no [to] target database");
        return DM_E_INVAL;
    }
    if ((rc = get_str(to, "host", "127.0.0.1", &db->host, err, cap)) ||
        (rc = get_int(to, "port", 3306, 1, 65535, &port, err, cap)) ||
        (rc = get_str(to, "user", "root", &db->user, err, cap)) ||
        (rc = get_str(to, "password", "", &pw, err, cap)) ||
        (rc = get_int(to, "max-allowed-packet", 67108864, 0, INT64_MAX, &map, err, cap)))
        return rc;
    db->port = (int)port;
    db->max_allowed_packet = map;
    db->password = pw[0] ? dm_crypt_decrypt_or_plain(pw) : strdup("");
    return db->password ? DM_OK : DM_E_NOMEM;
}

/* One element of a table array: parse r (element i) into out. */
typedef int (*parse_elem_fn)(const json_t *r, size_t i, void *out, char *err, size_t cap);

/* doc[key], an array of tables, into a calloc'ed array of n elements of elem bytes, each
 * filled by parse; absent or empty leaves *out NULL and *nout 0. */
static int parse_table_array(const json_t *doc, const char *key, size_t elem, parse_elem_fn parse,
                             void **out, size_t *nout, char *err, size_t cap)
{
    const json_t *arr;
    size_t i, n;
    int rc = get_table_array(doc, key, &arr, &n, err, cap);
    if (rc || n == 0)
        return rc;
    if (!(*out = calloc(n, elem)))
        return DM_E_NOMEM;
    *nout = n;
    for (i = 0; i < n; i++)
        if ((rc = parse(json_array_get(arr, i), i, (char *)*out + i * elem, err, cap)))
            return rc;
    return DM_OK;
}

static int parse_route(const json_t *r, size_t i, void *out, char *err, size_t cap)
{
    struct worker_route_rule *o = out;
    int rc;
    if ((rc = get_str(r, "schema-pattern", "", &o->schema_pattern, err, cap)) ||
        (rc = get_str(r, "table-pattern", "", &o->table_pattern, err, cap)) ||
        (rc = get_str(r, "target-schema", "", &o->target_schema, err, cap)) ||
        (rc = get_str(r, "target-table", "", &o->target_table, err, cap)))
        return rc;
    if (!o->schema_pattern[0]) {
        snprintf(err, cap, "route rule %zu: schema-pattern must not be empty", i);
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int parse_filter(const json_t *r, size_t i, void *out, char *err, size_t cap)
{
    struct worker_filter_rule *o = out;
    const char *action = NULL;
    size_t k;
    int rc;
    if ((rc = get_str(r, "schema-pattern", "", &o->schema_pattern, err, cap)) ||
        (rc = get_str(r, "table-pattern", "", &o->table_pattern, err, cap)) ||
        (rc = get_str_array(r, "events", &o->events, &o->n_events, err, cap)) ||
        (rc = get_str_array(r, "sql-pattern", &o->sql_patterns, &o->n_sql, err, cap)) ||
        (rc = get_str(r, "action", "", &action, err, cap)))
        return rc;
    if (strcasecmp(action, "Ignore") == 0) {
        o->ignore = true;
    } else if (strcasecmp(action, "Do") != 0) {
        snprintf(err, cap, "filter rule %zu: action must be Do or Ignore, got '%s'", i, action);
        return DM_E_INVAL;
    }
    for (k = 0; k < o->n_events; k++) {
        if (!dm_filter_event_known(o->events[k])) {
            snprintf(err, cap, "filter rule %zu: unknown event type '%s'", i, o->events[k]);
            return DM_E_INVAL;
        }
    }
    return DM_OK;
}

static int parse_mapping(const json_t *r, size_t i, void *out, char *err, size_t cap)
{
    struct worker_mapping_rule *o = out;
    int rc;
    if ((rc = get_str(r, "schema-pattern", "", &o->schema_pattern, err, cap)) ||
        (rc = get_str(r, "table-pattern", "", &o->table_pattern, err, cap)) ||
        (rc = get_str(r, "source-column", "", &o->source_column, err, cap)) ||
        (rc = get_str(r, "target-column", "", &o->target_column, err, cap)) ||
        (rc = get_str(r, "expression", "", &o->expression, err, cap)) ||
        (rc = get_str_array(r, "arguments", &o->args, &o->n_args, err, cap)))
        return rc;
    if (strcasecmp(o->expression, "partition id") != 0) {
        snprintf(err, cap, "column mapping expression '%s' not supported by this worker yet",
                 o->expression);
        return DM_E_NOT_SUPPORTED;
    }
    if (o->n_args < 3 || o->n_args > 4) {
        snprintf(err, cap, "column mapping rule %zu: partition id needs 3 or 4 arguments", i);
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int parse_bwl_table(const json_t *t, size_t i, void *out, char *err, size_t cap)
{
    struct worker_bwl_table *o = out;
    int rc;
    (void)i;
    if ((rc = get_str(t, "db-name", "", &o->db, err, cap)) ||
        (rc = get_str(t, "tbl-name", "", &o->tbl, err, cap)))
        return rc;
    return DM_OK;
}

static int parse_routes(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    return parse_table_array(c->doc, "route-rules", sizeof *c->routes, parse_route,
                             (void **)&c->routes, &c->n_routes, err, cap);
}

static int parse_filters(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    return parse_table_array(c->doc, "filter-rules", sizeof *c->filters, parse_filter,
                             (void **)&c->filters, &c->n_filters, err, cap);
}

static int parse_mappings(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    return parse_table_array(c->doc, "mapping-rule", sizeof *c->mappings, parse_mapping,
                             (void **)&c->mappings, &c->n_mappings, err, cap);
}

static int parse_bwl_tables(const json_t *bwl, const char *key, struct worker_bwl_table **out,
                            size_t *nout, char *err, size_t cap)
{
    return parse_table_array(bwl, key, sizeof **out, parse_bwl_table, (void **)out, nout, err,
                             cap);
}

static int parse_bwl(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    const json_t *b = json_object_get(c->doc, "black-white-list");
    struct worker_bwl *o = &c->bwl;
    int rc;
    if (!b || json_is_null(b))
        return DM_OK;
    if (!json_is_object(b)) {
        snprintf(err, cap, "config key black-white-list must be a table");
        return DM_E_INVAL;
    }
    if ((rc = get_str_array(b, "do-dbs", &o->do_dbs, &o->n_do_dbs, err, cap)) ||
        (rc = get_str_array(b, "ignore-dbs", &o->ignore_dbs, &o->n_ignore_dbs, err, cap)) ||
        (rc = parse_bwl_tables(b, "do-tables", &o->do_tables, &o->n_do_tables, err, cap)) ||
        (rc = parse_bwl_tables(b, "ignore-tables", &o->ignore_tables, &o->n_ignore_tables, err,
                               cap)))
        return rc;
    return DM_OK;
}

static int parse_meta(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    const json_t *m = json_object_get(c->doc, "meta");
    int64_t pos = 4;
    int rc;
    if (!m || json_is_null(m))
        return DM_OK;
    if (!json_is_object(m)) {
        snprintf(err, cap, "config key meta must be a table");
        return DM_E_INVAL;
    }
    if ((rc = get_str(m, "binlog-name", NULL, &c->meta_binlog_name, err, cap)) ||
        (rc = get_int(m, "binlog-pos", 4, 0, UINT32_MAX, &pos, err, cap)))
        return rc;
    if (c->meta_binlog_name && !c->meta_binlog_name[0])
        c->meta_binlog_name = NULL;
    c->meta_binlog_pos = (uint64_t)(pos < 4 ? 4 : pos);
    return DM_OK;
}

/* Go's time.LoadLocation: "" and "UTC" are UTC, "Local" the host zone, else an IANA
 * name found in the zoneinfo database. */
static bool timezone_valid(const char *tz)
{
    static const char *const dirs[] = { "/usr/share/zoneinfo/", "/usr/lib/zoneinfo/",
                                        "/usr/share/lib/zoneinfo/" };
    const char *zi = getenv("ZONEINFO");
    char path[512];
    struct stat st;
    size_t i;
    if (!tz[0] || strcmp(tz, "UTC") == 0 || strcmp(tz, "Local") == 0)
        return true;
    if (strlen(tz) > 200 || strstr(tz, "..") || tz[0] == '/' ||
        strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") !=
            strlen(tz))
        return false;
    if (zi && *zi) {
        snprintf(path, sizeof path, "%s/%s", zi, tz);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return true;
    }
    for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s%s", dirs[i], tz);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return true;
    }
    return false;
}

/* The mydumper / loader keys (flattened in DM's SubTaskConfig). */
static int parse_units(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    int64_t threads = 0, pool = 0;
    int rc;
    if ((rc = get_str(c->doc, "mydumper-path", "", &c->mydumper_path, err, cap)) ||
        (rc = get_int(c->doc, "threads", 4, 1, 1024, &threads, err, cap)) ||
        (rc = get_int(c->doc, "chunk-filesize", 64, 0, 1 << 20, &c->chunk_filesize, err, cap)) ||
        (rc = get_bool(c->doc, "skip-tz-utc", &c->skip_tz_utc, err, cap)) ||
        (rc = get_str(c->doc, "extra-args", "", &c->extra_args, err, cap)) ||
        (rc = get_int(c->doc, "pool-size", 16, 1, 1024, &pool, err, cap)) ||
        (rc = get_str(c->doc, "dir", "", &c->dir, err, cap)) ||
        (rc = get_str(c->doc, "import-dir", "", &c->import_dir, err, cap)))
        return rc;
    c->threads = (int)threads;
    c->pool_size = (int)pool;
    if (!c->dir[0])
        c->dir = "./dumped_data";
    return DM_OK;
}

bool worker_subtask_cfg_has_load(const struct worker_subtask_cfg *c)
{
    return strcmp(c->mode, "full") == 0 || strcmp(c->mode, "all") == 0;
}

/* online-ddl-scheme and the heartbeat keys (DM v1.0.7 SubTaskConfig). */
static int parse_online(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    int64_t upd = 1, rep = 10;
    int rc;
    if ((rc = get_str(c->doc, "online-ddl-scheme", "", &c->online_ddl_scheme, err, cap)) ||
        (rc = get_bool(c->doc, "enable-heartbeat", &c->enable_heartbeat, err, cap)) ||
        (rc = get_int(c->doc, "heartbeat-update-interval", 1, INT32_MIN, INT32_MAX, &upd, err, cap)) ||
        (rc = get_int(c->doc, "heartbeat-report-interval", 10, INT32_MIN, INT32_MAX, &rep, err, cap)))
        return rc;
    if (!worker_onlineddl_scheme_valid(c->online_ddl_scheme)) {
        snprintf(err, cap, "online scheme %s not supported", c->online_ddl_scheme);
        return DM_E_INVAL;
    }
    c->heartbeat_update_interval = upd > 0 ? (int)upd : 1;    /* <= 0: DM's defaults */
    c->heartbeat_report_interval = rep > 0 ? (int)rep : 10;
    return DM_OK;
}

static int parse_top(struct worker_subtask_cfg *c, char *err, size_t cap)
{
    int64_t wc = 0, batch = 0, flush = 0;
    int rc;
    const char *why;
    if ((rc = get_str(c->doc, "name", "", &c->name, err, cap)) ||
        (rc = get_str(c->doc, "mode", "incremental", &c->mode, err, cap)) ||
        (rc = get_str(c->doc, "source-id", "", &c->source_id, err, cap)) ||
        (rc = get_str(c->doc, "meta-schema", "dm_meta", &c->meta_schema, err, cap)) ||
        (rc = get_bool(c->doc, "remove-meta", &c->remove_meta, err, cap)) ||
        (rc = get_bool(c->doc, "case-sensitive", &c->case_sensitive, err, cap)) ||
        (rc = get_bool(c->doc, "safe-mode", &c->safe_mode, err, cap)) ||
        (rc = get_bool(c->doc, "is-sharding", &c->is_sharding, err, cap)) ||
        (rc = get_int(c->doc, "worker-count", 16, 1, 1024, &wc, err, cap)) ||
        (rc = get_int(c->doc, "batch", 100, 1, 100000, &batch, err, cap)) ||
        (rc = get_int(c->doc, "checkpoint-flush-interval", 30, 1, 86400, &flush, err, cap)))
        return rc;
    c->worker_count = (int)wc;
    c->batch = (int)batch;
    c->checkpoint_flush_interval = (int)flush;
    if (!c->name[0]) {
        snprintf(err, cap, "must specify a unique task name");
        return DM_E_INVAL;
    }
    if ((why = dm_task_name_meta_check(c->name))) {
        snprintf(err, cap, "task name '%s' %s", c->name, why);
        return DM_E_INVAL;
    }
    if (!c->meta_schema[0])
        c->meta_schema = "dm_meta";
    if (strcmp(c->mode, "incremental") != 0 && strcmp(c->mode, "full") != 0 &&
        strcmp(c->mode, "all") != 0) {
        snprintf(err, cap, "task-mode %s is not one of full, incremental, all", c->mode);
        return DM_E_INVAL;
    }
    if ((rc = get_str(c->doc, "binlog-type", "remote", &c->binlog_type, err, cap)))
        return rc;
    if (strcmp(c->binlog_type, "local") != 0 && strcmp(c->binlog_type, "remote") != 0) {
        snprintf(err, cap, "binlog-type %s is not one of local, remote", c->binlog_type);
        return DM_E_INVAL;
    }
    if ((rc = get_str(c->doc, "timezone", "", &c->timezone, err, cap)) ||
        (rc = parse_online(c, err, cap)))
        return rc;
    if (c->is_sharding && c->online_ddl_scheme && c->online_ddl_scheme[0]) {
        snprintf(err, cap, "is-sharding together with online-ddl-scheme %s not supported by "
                 "this worker yet", c->online_ddl_scheme);
        return DM_E_NOT_SUPPORTED;
    }
    if (!timezone_valid(c->timezone)) {
        snprintf(err, cap, "unknown time zone %s", c->timezone);
        return DM_E_INVAL;
    }
    return DM_OK;
}

int worker_subtask_cfg_from_json(json_t *doc, struct worker_subtask_cfg **out, char *err,
                                 size_t cap)
{
    struct worker_subtask_cfg *c;
    int rc;
    *out = NULL;
    if (!json_is_object(doc)) {
        snprintf(err, cap, "subtask config is not a table");
        return DM_E_INVAL;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return DM_E_NOMEM;
    c->doc = json_incref(doc);
    if ((rc = parse_top(c, err, cap)) || (rc = parse_units(c, err, cap)) ||
        (rc = parse_meta(c, err, cap)) ||
        (rc = parse_db(c->doc, &c->to, err, cap)) || (rc = parse_routes(c, err, cap)) ||
        (rc = parse_filters(c, err, cap)) || (rc = parse_mappings(c, err, cap)) ||
        (rc = parse_bwl(c, err, cap))) {
        if (rc == DM_E_NOMEM)
            snprintf(err, cap, "out of memory");
        worker_subtask_cfg_free(c);
        return rc;
    }
    *out = c;
    return DM_OK;
}

int worker_subtask_cfg_parse_toml(const char *text, size_t len, struct worker_subtask_cfg **out,
                                  char *err, size_t cap)
{
    char perr[256] = "";
    json_t *doc = toml_parse(text, len, perr, sizeof perr);
    int rc;
    *out = NULL;
    if (!doc) {
        snprintf(err, cap, "decode subtask config: %s", perr);
        return DM_E_PARSE;
    }
    rc = worker_subtask_cfg_from_json(doc, out, err, cap);
    json_decref(doc);
    return rc;
}

int worker_subtask_cfg_merge_update(const struct worker_subtask_cfg *base,
                                    const struct worker_subtask_cfg *upd,
                                    struct worker_subtask_cfg **out, char *err, size_t cap)
{
    static const char *const keys[] = { "route-rules", "filter-rules", "mapping-rule",
                                        "black-white-list", NULL };
    json_t *doc = json_deep_copy(base->doc);
    size_t i;
    int rc;
    if (!doc)
        return DM_E_NOMEM;
    for (i = 0; keys[i]; i++) {
        json_t *v = json_object_get(upd->doc, keys[i]);
        if (v)
            json_object_set(doc, keys[i], v);
        else
            json_object_del(doc, keys[i]);
    }
    rc = worker_subtask_cfg_from_json(doc, out, err, cap);
    json_decref(doc);
    return rc;
}

void worker_subtask_cfg_free(struct worker_subtask_cfg *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->n_filters; i++) {
        free(c->filters[i].events);
        free(c->filters[i].sql_patterns);
    }
    for (i = 0; i < c->n_mappings; i++)
        free(c->mappings[i].args);
    free(c->routes);
    free(c->filters);
    free(c->mappings);
    free(c->bwl.do_dbs);
    free(c->bwl.ignore_dbs);
    free(c->bwl.do_tables);
    free(c->bwl.ignore_tables);
    free(c->to.password);
    json_decref(c->doc);
    free(c);
}

/* taskcfg.c - DM TaskConfig.adjust(): validation, defaults and rule resolution. */
#include "taskcfg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "dm_error.h"
#include "dm_name.h"
#include "terror.h"

static const char *const checking_items[] = {
    "all", "dump_privilege", "replication_privilege", "version", "binlog_enable",
    "binlog_format", "binlog_row_image", "table_schema", "schema_of_shard_tables",
    "auto_increment_ID", NULL};

/* DM's SupportCheckingItems() text (map iteration order there; ours is fixed). */
static const char *const checking_desc[] = {
    "all checking items", "dump privileges of source DB checking item",
    "replication privileges of source DB checking item", "MySQL/MariaDB version checking item",
    "binlog enable checking item", "binlog format checking item",
    "binlog row image checking item", "table schema compatibility checking item",
    "consistent schema of shard tables checking item",
    "conflict auto increment ID of shard tables checking item", NULL};

bool master_checking_item_valid(const char *item)
{
    for (const char *const *p = checking_items; *p; p++)
        if (strcmp(*p, item) == 0)
            return true;
    return false;
}

void *master_taskcfg_rule(const struct master_vec *map, const char *name)
{
    for (size_t i = 0; i < map->n; i++) {
        char *const *n = map->items[i];
        if (n && *n && strcmp(*n, name) == 0)
            return map->items[i];
    }
    return NULL;
}

/* config error with DM's code and the master's dm-master class */
static char *cfg_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *cfg_err(int code, const char *fmt, ...)
{
    struct master_terr te = {code, "dm-master", "internal", "medium"};
    va_list ap;
    va_start(ap, fmt);
    char *s = master_terr_vfmt(&te, NULL, fmt, ap);
    va_end(ap);
    return s;
}

static char *checking_item_error(const char *item)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 16);
    for (size_t i = 0; checking_items[i]; i++)
        dm_buf_printf(&b, "%s: %s\n", checking_items[i], checking_desc[i]);
    char *s = cfg_err(20001, "checking item %s is not supported\n%s", item, b.data ? b.data : "");
    dm_buf_free(&b);
    return s;
}

static bool timezone_valid(const char *tz)
{
    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "Local") == 0)
        return true;
    if (tz[0] == '/' || strstr(tz, "..") || strchr(tz, '\\'))
        return false;
    char path[512];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *ordinal_suffix(size_t i)
{
    if (i % 100 >= 11 && i % 100 <= 13)
        return "th";
    switch (i % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

/* MySQLInstance.Verify */
static char *verify_instance(const struct master_instance *in, size_t i)
{
    char *e = NULL;
    if (!in)
        return cfg_err(20012, "mysql-instance: %zu%s: mysql instance config must specify", i,
                       ordinal_suffix(i));
    if (!in->source_id || !*in->source_id)
        return cfg_err(20005, "mysql-instance: %zu%s: empty source-id not valid", i,
                       ordinal_suffix(i));
    if (in->meta && (!in->meta->binlog_name || !*in->meta->binlog_name))
        return cfg_err(20011, "mysql-instance: %zu%s: source %s: binlog-name must specify", i,
                       ordinal_suffix(i), in->source_id);
    if (in->mydumper_config_name && *in->mydumper_config_name && in->mydumper)
        e = cfg_err(20015, "mysql-instance: %zu%s: mydumper-config-name and mydumper should only specify one", i, ordinal_suffix(i));
    else if (in->loader_config_name && *in->loader_config_name && in->loader)
        e = cfg_err(20016, "mysql-instance: %zu%s: loader-config-name and loader should only specify one", i, ordinal_suffix(i));
    else if (in->syncer_config_name && *in->syncer_config_name && in->syncer)
        e = cfg_err(20017, "mysql-instance: %zu%s: syncer-config-name and syncer should only specify one", i, ordinal_suffix(i));
    return e;
}

static int dup_str(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return (src && !*dst) ? DM_E_NOMEM : DM_OK;
}

/* a default or a copy of a named config, with the *-thread override applied */
static int resolve_units(struct master_task_cfg *c, struct master_instance *in, size_t i,
                         char **err)
{
    if (in->mydumper_config_name && *in->mydumper_config_name) {
        const struct master_mydumper *r = master_taskcfg_rule(&c->mydumpers, in->mydumper_config_name);
        if (!r) {
            *err = cfg_err(20027, "mysql-instance(%zu)'s mydumper config %s not exist in mydumpers", i, in->mydumper_config_name);
            return DM_E_INVAL;
        }
        in->mydumper = calloc(1, sizeof(*in->mydumper));
        if (!in->mydumper)
            return DM_E_NOMEM;
        *in->mydumper = *r;
        in->mydumper->name = NULL;
        if (dup_str(&in->mydumper->mydumper_path, r->mydumper_path) ||
            dup_str(&in->mydumper->extra_args, r->extra_args))
            return DM_E_NOMEM;
    }
    if (!in->mydumper) {
        in->mydumper = calloc(1, sizeof(*in->mydumper));
        if (!in->mydumper || !(in->mydumper->mydumper_path = strdup("./bin/mydumper")))
            return DM_E_NOMEM;
        in->mydumper->threads = 4;
        in->mydumper->chunk_filesize = 64;
        in->mydumper->skip_tz_utc = true;
    }
    if (in->mydumper_thread)
        in->mydumper->threads = in->mydumper_thread;
    if ((strcmp(c->task_mode, "full") == 0 || strcmp(c->task_mode, "all") == 0) &&
        (!in->mydumper->mydumper_path || !*in->mydumper->mydumper_path)) {
        *err = cfg_err(20028, "mysql-instance(%zu)'s mydumper-path must specify a valid path to mydumper binary when task-mode is all or full", i);
        return DM_E_INVAL;
    }
    if (in->loader_config_name && *in->loader_config_name) {
        const struct master_loader *r = master_taskcfg_rule(&c->loaders, in->loader_config_name);
        if (!r) {
            *err = cfg_err(20029, "mysql-instance(%zu)'s loader config %s not exist in loaders", i, in->loader_config_name);
            return DM_E_INVAL;
        }
        in->loader = calloc(1, sizeof(*in->loader));
        if (!in->loader)
            return DM_E_NOMEM;
        *in->loader = *r;
        in->loader->name = NULL;
        if (dup_str(&in->loader->dir, r->dir))
            return DM_E_NOMEM;
    }
    if (!in->loader) {
        in->loader = calloc(1, sizeof(*in->loader));
        if (!in->loader || !(in->loader->dir = strdup("./dumped_data")))
            return DM_E_NOMEM;
        in->loader->pool_size = 16;
    }
    if (in->loader_thread)
        in->loader->pool_size = in->loader_thread;
    if (in->syncer_config_name && *in->syncer_config_name) {
        const struct master_syncer *r = master_taskcfg_rule(&c->syncers, in->syncer_config_name);
        if (!r) {
            *err = cfg_err(20030, "mysql-instance(%zu)'s syncer config %s not exist in syncer", i, in->syncer_config_name);
            return DM_E_INVAL;
        }
        in->syncer = calloc(1, sizeof(*in->syncer));
        if (!in->syncer)
            return DM_E_NOMEM;
        *in->syncer = *r;
        in->syncer->name = NULL;
        if (dup_str(&in->syncer->meta_file, r->meta_file))
            return DM_E_NOMEM;
    }
    if (!in->syncer) {
        in->syncer = calloc(1, sizeof(*in->syncer));
        if (!in->syncer)
            return DM_E_NOMEM;
        in->syncer->worker_count = 16;
        in->syncer->batch = 100;
        in->syncer->queue_size = 1024;
        in->syncer->checkpoint_flush_interval = 30;
    }
    if (in->syncer_thread)
        in->syncer->worker_count = in->syncer_thread;
    return DM_OK;
}

static int check_rules(struct master_task_cfg *c, const struct master_instance *in, size_t i,
                       char **err)
{
    for (size_t j = 0; j < in->route_rules.n; j++)
        if (!master_taskcfg_rule(&c->routes, in->route_rules.items[j])) {
            *err = cfg_err(20023, "mysql-instance(%zu)'s route-rules %s not exist in routes", i, in->route_rules.items[j]);
            return DM_E_INVAL;
        }
    for (size_t j = 0; j < in->filter_rules.n; j++)
        if (!master_taskcfg_rule(&c->filters, in->filter_rules.items[j])) {
            *err = cfg_err(20024, "mysql-instance(%zu)'s filter-rules %s not exist in filters", i, in->filter_rules.items[j]);
            return DM_E_INVAL;
        }
    for (size_t j = 0; j < in->column_mapping_rules.n; j++)
        if (!master_taskcfg_rule(&c->column_mappings, in->column_mapping_rules.items[j])) {
            *err = cfg_err(20025, "mysql-instance(%zu)'s column-mapping-rules %s not exist in column-mapping", i, in->column_mapping_rules.items[j]);
            return DM_E_INVAL;
        }
    if (in->bw_list_name && *in->bw_list_name && !master_taskcfg_rule(&c->bw_lists, in->bw_list_name)) {
        *err = cfg_err(20026, "mysql-instance(%zu)'s list %s not exist in black white list", i, in->bw_list_name);
        return DM_E_INVAL;
    }
    return DM_OK;
}

/* duplicates of a string list, ", "-joined (DM checkDuplicateString) */
static void dup_names(const struct master_strv *v, struct dm_buf *out)
{
    for (size_t a = 0; a < v->n; a++) {
        bool seen_before = false, dup = false;
        for (size_t b = 0; b < a; b++)
            if (strcmp(v->items[a], v->items[b]) == 0)
                seen_before = true;
        for (size_t b = a + 1; b < v->n; b++)
            if (strcmp(v->items[a], v->items[b]) == 0)
                dup = true;
        if (dup && !seen_before)
            dm_buf_printf(out, "%s%s", out->len ? ", " : "", v->items[a]);
    }
}

static int check_instances(struct master_task_cfg *c, char **err)
{
    struct dm_buf dups;
    dm_buf_init(&dups, 1u << 16);
    int rc = DM_OK;
    for (size_t i = 0; i < c->instances.n && rc == DM_OK; i++) {
        struct master_instance *in = c->instances.items[i];
        if ((*err = verify_instance(in, i)))
            break;
        for (size_t j = 0; j < i; j++) {
            const struct master_instance *o = c->instances.items[j];
            if (strcmp(o->source_id, in->source_id) == 0) {
                *err = cfg_err(20014, "mysql-instance (%zu) and (%zu) have same source-id (%s)", j, i, in->source_id);
                break;
            }
        }
        if (*err)
            break;
        if (strcmp(c->task_mode, "incremental") == 0 && !in->meta) {
            *err = cfg_err(20022, "mysql-instance(%zu) must set meta for task-mode %s", i, c->task_mode);
            break;
        }
        rc = check_rules(c, in, i, err);
        if (rc == DM_OK)
            rc = resolve_units(c, in, i, err);
        struct dm_buf one;
        dm_buf_init(&one, 1u << 16);
        dup_names(&in->route_rules, &one);
        if (one.len)
            dm_buf_printf(&dups, "%smysql-instance(%zu)'s route-rules: %s", dups.len ? "\n" : "", i, one.data);
        dm_buf_reset(&one);
        dup_names(&in->filter_rules, &one);
        if (one.len)
            dm_buf_printf(&dups, "%smysql-instance(%zu)'s filter-rules: %s", dups.len ? "\n" : "", i, one.data);
        dm_buf_free(&one);
    }
    if (rc == DM_OK && !*err && dups.len)
        *err = cfg_err(20032, "the following mysql configs have duplicate items, please remove the duplicates:\n%s", dups.data);
    dm_buf_free(&dups);
    if (rc == DM_OK && *err)
        rc = DM_E_INVAL;
    return rc;
}

/* DM TaskConfig.adjust() */
static int adjust(struct master_task_cfg *c, char **err)
{
    size_t at = 0;
    const char *why = c->name && *c->name ? dm_name_check_new(c->name, strlen(c->name), &at) : NULL;
    if (!c->name || !*c->name)
        *err = cfg_err(20019, "must specify a unique task name");
    else if (why)
        *err = cfg_err(20019, "must specify a unique task name: the task name %s (byte %zu); "
                       "names are 1-%d bytes without control characters (C0 or C1), bidirectional, "
                       "line separator or invisible formatting characters, '/' or a leading "
                       "\"---\" or \"...\"", why, at, DM_NAME_MAX);
    else if (!c->task_mode || (strcmp(c->task_mode, "full") && strcmp(c->task_mode, "incremental") &&
                               strcmp(c->task_mode, "all")))
        *err = cfg_err(20020, "please specify right task-mode, support `full`, `incremental`, `all`");
    if (*err)
        return DM_E_INVAL;
    for (size_t i = 0; i < c->ignore_checking_items.n; i++)
        if (!master_checking_item_valid(c->ignore_checking_items.items[i])) {
            *err = checking_item_error(c->ignore_checking_items.items[i]);
            return *err ? DM_E_INVAL : DM_E_NOMEM;
        }
    if (c->online_ddl_scheme && *c->online_ddl_scheme && strcmp(c->online_ddl_scheme, "pt") &&
        strcmp(c->online_ddl_scheme, "gh-ost"))
        *err = cfg_err(20007, "online scheme %s not supported", c->online_ddl_scheme);
    else if (!c->target_db)
        *err = cfg_err(20021, "must specify target-database");
    else if (c->instances.n == 0)
        *err = cfg_err(20013, "must specify at least one mysql-instances");
    if (*err)
        return DM_E_INVAL;
    int rc = check_instances(c, err);
    if (rc != DM_OK)
        return rc;
    if (c->timezone && *c->timezone && !timezone_valid(c->timezone)) {
        *err = cfg_err(20008, "invalid timezone string: %s: unknown time zone %s", c->timezone, c->timezone);
        return DM_E_INVAL;
    }
    return master_taskcfg_check_rules(c, err);
}

int master_taskcfg_parse(const char *yaml, size_t len, struct master_task_cfg **out, char **err)
{
    struct master_task_cfg *c = NULL;
    *out = NULL;
    *err = NULL;
    int rc = master_taskcfg_decode(yaml, len, &c, err);
    if (rc != DM_OK)
        return rc;
    rc = adjust(c, err);
    if (rc == DM_E_INVAL && !*err)
        rc = DM_E_NOMEM;
    if (rc != DM_OK) {
        master_taskcfg_free(c);
        return rc;
    }
    *out = c;
    return DM_OK;
}

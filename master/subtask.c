/* subtask.c - subtask TOML generation and the worker DB config decoder (subtask.h). */
#include "subtask.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "taskcfg_int.h"
#include "terror.h"
#include "toml.h"

#define DEFAULT_MAX_ALLOWED_PACKET 67108864LL

/* ---------- TOML writer ---------- */

static void t_str(struct dm_buf *b, const char *s)
{
    dm_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': dm_buf_adds(b, "\\\""); break;
        case '\\': dm_buf_adds(b, "\\\\"); break;
        case '\n': dm_buf_adds(b, "\\n"); break;
        case '\t': dm_buf_adds(b, "\\t"); break;
        case '\r': dm_buf_adds(b, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                dm_buf_printf(b, "\\u%04x", *p);
            else
                dm_buf_addc(b, (char)*p);
        }
    }
    dm_buf_addc(b, '"');
}

static void kv_str(struct dm_buf *b, const char *k, const char *v)
{
    dm_buf_printf(b, "%s = ", k);
    t_str(b, v);
    dm_buf_addc(b, '\n');
}
static void kv_int(struct dm_buf *b, const char *k, long long v) { dm_buf_printf(b, "%s = %lld\n", k, v); }
static void kv_bool(struct dm_buf *b, const char *k, bool v) { dm_buf_printf(b, "%s = %s\n", k, v ? "true" : "false"); }
static void kv_strv(struct dm_buf *b, const char *k, const struct master_strv *v)
{
    dm_buf_printf(b, "%s = [", k);
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            dm_buf_adds(b, ", ");
        t_str(b, v->items[i]);
    }
    dm_buf_adds(b, "]\n");
}

static void db_table(struct dm_buf *b, const char *name, const struct master_db_cfg *db)
{
    dm_buf_printf(b, "\n[%s]\n", name);
    kv_str(b, "host", db->host);
    kv_int(b, "port", db->port);
    kv_str(b, "user", db->user);
    kv_str(b, "password", db->password);
    kv_int(b, "max-allowed-packet",
           db->max_allowed_packet < 0 ? DEFAULT_MAX_ALLOWED_PACKET : db->max_allowed_packet);
    dm_buf_printf(b, "[%s.session]\n", name);
    for (size_t i = 0; i < db->session.n; i++) {
        const struct master_kv *kv = db->session.items[i];
        t_str(b, kv->name);
        dm_buf_adds(b, " = ");
        t_str(b, kv->value);
        dm_buf_addc(b, '\n');
    }
}

static void rules(struct dm_buf *b, const struct master_task_cfg *c, const struct master_instance *in)
{
    for (size_t i = 0; i < in->route_rules.n; i++) {
        const struct master_route *r = master_taskcfg_rule(&c->routes, in->route_rules.items[i]);
        dm_buf_adds(b, "\n[[route-rules]]\n");
        kv_str(b, "schema-pattern", r->schema_pattern);
        kv_str(b, "table-pattern", r->table_pattern);
        kv_str(b, "target-schema", r->target_schema);
        kv_str(b, "target-table", r->target_table);
    }
    for (size_t i = 0; i < in->filter_rules.n; i++) {
        const struct master_filter *f = master_taskcfg_rule(&c->filters, in->filter_rules.items[i]);
        dm_buf_adds(b, "\n[[filter-rules]]\n");
        kv_str(b, "schema-pattern", f->schema_pattern);
        kv_str(b, "table-pattern", f->table_pattern);
        kv_strv(b, "events", &f->events);
        kv_strv(b, "sql-pattern", &f->sql_pattern);
        kv_str(b, "action", f->action);
    }
    for (size_t i = 0; i < in->column_mapping_rules.n; i++) {
        const struct master_colmap *m =
            master_taskcfg_rule(&c->column_mappings, in->column_mapping_rules.items[i]);
        dm_buf_adds(b, "\n[[mapping-rule]]\n");
        kv_str(b, "schema-pattern", m->schema_pattern);
        kv_str(b, "table-pattern", m->table_pattern);
        kv_str(b, "source-column", m->source_column);
        kv_str(b, "target-column", m->target_column);
        kv_str(b, "expression", m->expression);
        kv_strv(b, "arguments", &m->arguments);
        kv_str(b, "create-table-query", m->create_table_query);
    }
}

static void bw_tables(struct dm_buf *b, const char *key, const struct master_vec *v)
{
    for (size_t i = 0; i < v->n; i++) {
        const struct master_bw_table *t = v->items[i];
        dm_buf_printf(b, "[[black-white-list.%s]]\n", key);
        kv_str(b, "db-name", t ? t->db_name : "");
        kv_str(b, "tbl-name", t ? t->tbl_name : "");
    }
}

static void units(struct dm_buf *b, const struct master_task_cfg *c, const struct master_instance *in)
{
    const struct master_syncer *s = in->syncer;
    const struct master_mydumper *m = in->mydumper;
    const struct master_loader *l = in->loader;
    kv_str(b, "meta-file", s->meta_file);
    kv_int(b, "worker-count", s->worker_count);
    kv_int(b, "batch", s->batch);
    kv_int(b, "queue-size", s->queue_size ? s->queue_size : 1024);
    kv_int(b, "checkpoint-flush-interval",
           s->checkpoint_flush_interval ? s->checkpoint_flush_interval : 30);
    kv_int(b, "max-retry", s->max_retry);
    kv_bool(b, "auto-fix-gtid", s->auto_fix_gtid);
    kv_bool(b, "enable-gtid", s->enable_gtid);
    kv_bool(b, "disable-detect", s->disable_detect);
    kv_bool(b, "safe-mode", s->safe_mode);
    kv_bool(b, "enable-ansi-quotes", s->enable_ansi_quotes);
    kv_str(b, "mydumper-path", m->mydumper_path);
    kv_int(b, "threads", m->threads);
    kv_int(b, "chunk-filesize", m->chunk_filesize);
    kv_bool(b, "skip-tz-utc", m->skip_tz_utc);
    kv_str(b, "extra-args", m->extra_args);
    kv_int(b, "pool-size", l->pool_size);
    /* SubTaskConfig.Adjust: loader dir gets ".<task>" appended once */
    size_t dl = l->dir ? strlen(l->dir) : 0, nl = strlen(c->name);
    if (dl > nl && l->dir[dl - nl - 1] == '.' && strcmp(l->dir + dl - nl, c->name) == 0)
        kv_str(b, "dir", l->dir);
    else {
        dm_buf_adds(b, "dir = ");
        struct dm_buf d;
        dm_buf_init(&d, 1u << 16);
        dm_buf_printf(&d, "%s.%s", l->dir ? l->dir : "", c->name);
        t_str(b, d.data);
        dm_buf_free(&d);
        dm_buf_addc(b, '\n');
    }
}

int master_subtask_toml(const struct master_task_cfg *c, size_t idx,
                        const struct master_db_cfg *from, char **toml, char **err)
{
    *toml = NULL;
    *err = NULL;
    const struct master_instance *in = c->instances.items[idx];
    if (strlen(in->source_id) > 32) {
        *err = master_terr_code(20006, "dm-master", "medium", "source %s: too long source-id not valid",
                                in->source_id);
        return *err ? DM_E_INVAL : DM_E_NOMEM;
    }
    struct dm_buf b;
    dm_buf_init(&b, 1u << 24);
    kv_str(&b, "name", c->name);
    kv_str(&b, "mode", c->task_mode);
    kv_str(&b, "source-id", in->source_id);
    kv_str(&b, "meta-schema", c->meta_schema && *c->meta_schema ? c->meta_schema : "dm_meta");
    kv_bool(&b, "remove-meta", c->remove_meta);
    kv_bool(&b, "case-sensitive", c->case_sensitive);
    kv_bool(&b, "is-sharding", c->is_sharding);
    kv_str(&b, "online-ddl-scheme", c->online_ddl_scheme);
    kv_str(&b, "timezone", c->timezone);
    kv_bool(&b, "disable-heartbeat", c->disable_heartbeat);
    kv_bool(&b, "enable-heartbeat", c->enable_heartbeat || !c->disable_heartbeat);
    kv_int(&b, "heartbeat-update-interval", c->heartbeat_update_interval);
    kv_int(&b, "heartbeat-report-interval", c->heartbeat_report_interval);
    kv_str(&b, "binlog-type", "local");
    kv_strv(&b, "ignore-checking-items", &c->ignore_checking_items);
    units(&b, c, in);
    if (in->meta) {
        dm_buf_adds(&b, "\n[meta]\n");
        kv_str(&b, "binlog-name", in->meta->binlog_name);
        kv_int(&b, "binlog-pos", in->meta->binlog_pos);
    }
    db_table(&b, "from", from);
    db_table(&b, "to", c->target_db);
    rules(&b, c, in);
    const struct master_bwlist *bw =
        in->bw_list_name && *in->bw_list_name ? master_taskcfg_rule(&c->bw_lists, in->bw_list_name) : NULL;
    if (bw) {
        dm_buf_adds(&b, "\n[black-white-list]\n");
        kv_strv(&b, "do-dbs", &bw->do_dbs);
        kv_strv(&b, "ignore-dbs", &bw->ignore_dbs);
        bw_tables(&b, "do-tables", &bw->do_tables);
        bw_tables(&b, "ignore-tables", &bw->ignore_tables);
    }
    if (!b.data) {
        dm_buf_free(&b);
        return DM_E_NOMEM;
    }
    *toml = dm_buf_take(&b);
    return *toml ? DM_OK : DM_E_NOMEM;
}

/* ---------- worker [from] decoding ---------- */

void master_dbcfg_free(struct master_db_cfg *db)
{
    if (!db)
        return;
    free(db->host);
    free(db->user);
    free(db->password);
    for (size_t i = 0; i < db->session.n; i++) {
        struct master_kv *kv = db->session.items[i];
        free(kv->name);
        free(kv->value);
        free(kv);
    }
    free(db->session.items);
    free(db);
}

static int take_str(json_t *o, const char *k, char **dst)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return DM_OK;
    if (!json_is_string(v))
        return DM_E_INVAL;
    *dst = strdup(json_string_value(v));
    return *dst ? DM_OK : DM_E_NOMEM;
}

static int take_session(json_t *s, struct master_db_cfg *db)
{
    if (!s)
        return DM_OK;
    if (!json_is_object(s))
        return DM_E_INVAL;
    size_t n = json_object_size(s);
    db->session.items = calloc(n ? n : 1, sizeof(void *));
    if (!db->session.items)
        return DM_E_NOMEM;
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v) {
        struct master_kv *kv = calloc(1, sizeof(*kv));
        if (!kv)
            return DM_E_NOMEM;
        db->session.items[db->session.n++] = kv;
        kv->name = strdup(k);
        kv->value = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        if (!kv->name || !kv->value)
            return DM_E_NOMEM;
    }
    return DM_OK;
}

int master_dbcfg_from_toml(const char *content, struct master_db_cfg **out, char **err)
{
    char perr[256] = "";
    *out = NULL;
    *err = NULL;
    json_t *o = toml_parse(content, strlen(content), perr, sizeof(perr));
    if (!o) {
        *err = master_terr_code(20002, "dm-master", "medium", "decode db config: %s", perr);
        return *err ? DM_E_INVAL : DM_E_NOMEM;
    }
    int rc = DM_E_NOMEM;
    struct master_db_cfg *db = calloc(1, sizeof(*db));
    if (!db)
        goto out;
    db->max_allowed_packet = -1;
    json_t *port = json_object_get(o, "port"), *map = json_object_get(o, "max-allowed-packet");
    if ((rc = take_str(o, "host", &db->host)) || (rc = take_str(o, "user", &db->user)) ||
        (rc = take_str(o, "password", &db->password)) ||
        (rc = take_session(json_object_get(o, "session"), db)))
        goto out;
    if ((port && !json_is_integer(port)) || (map && !json_is_integer(map))) {
        rc = DM_E_INVAL;
        goto out;
    }
    db->port = port ? json_integer_value(port) : 0;
    if (map)
        db->max_allowed_packet = json_integer_value(map);
    *out = db;
    db = NULL;
    rc = DM_OK;
out:
    if (rc == DM_E_INVAL)
        *err = master_terr_code(20002, "dm-master", "medium",
                                "decode db config: invalid value type in worker DB config");
    master_dbcfg_free(db);
    json_decref(o);
    return rc;
}

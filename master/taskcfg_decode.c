/* taskcfg_decode.c - strict, schema-driven decoding of a task.yaml node tree into
 * struct master_task_cfg, reproducing yaml.v2 UnmarshalStrict's errors
 * ("line N: field X not found in type config.TaskConfig", "line N: cannot unmarshal
 * !!str `abc` into int", ...). Validation (DM's adjust) lives in taskcfg.c. */
#include "taskcfg_int.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "terror.h"

enum fkind { FK_STR, FK_BOOL, FK_INT, FK_UINT32, FK_STRLIST, FK_STRMAP, FK_PTR, FK_PLIST, FK_NMAP };

struct schema;
struct field {
    const char *key;
    enum fkind kind;
    size_t off;
    const char *gotype;          /* Go type named in "cannot unmarshal ... into <T>" */
    const struct schema *sub;    /* FK_PTR / FK_PLIST / FK_NMAP element */
};
struct schema {
    const char *gotype;          /* "config.TaskConfig" */
    size_t size;
    const struct field *fields;
    size_t nfields;
    void (*defaults)(void *);
    const char *custom;          /* DM UnmarshalYAML wrapper name ("mydumper") or NULL */
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- schemas ---------- */

static void mydumper_defaults(void *p)
{
    struct master_mydumper *m = p;
    m->mydumper_path = strdup("./bin/mydumper");
    m->threads = 4;
    m->chunk_filesize = 64;
    m->skip_tz_utc = true;
}
static void loader_defaults(void *p)
{
    struct master_loader *l = p;
    l->pool_size = 16;
    l->dir = strdup("./dumped_data");
}
static void syncer_defaults(void *p)
{
    struct master_syncer *s = p;
    s->worker_count = 16;
    s->batch = 100;
    s->queue_size = 1024;
    s->checkpoint_flush_interval = 30;
}
static void db_defaults(void *p)
{
    ((struct master_db_cfg *)p)->max_allowed_packet = -1;
}

#define S(t, m) offsetof(t, m)

static const struct field kv_fields[] = {{"value", FK_STR, S(struct master_kv, value), "string", NULL}};
static const struct schema kv_schema = {"string", sizeof(struct master_kv), kv_fields, NF(kv_fields), NULL, NULL};

static const struct field db_fields[] = {
    {"host", FK_STR, S(struct master_db_cfg, host), "string", NULL},
    {"port", FK_INT, S(struct master_db_cfg, port), "int", NULL},
    {"user", FK_STR, S(struct master_db_cfg, user), "string", NULL},
    {"password", FK_STR, S(struct master_db_cfg, password), "string", NULL},
    {"max-allowed-packet", FK_INT, S(struct master_db_cfg, max_allowed_packet), "int", NULL},
    {"session", FK_STRMAP, S(struct master_db_cfg, session), "map[string]string", &kv_schema},
};
static const struct schema db_schema = {"config.DBConfig", sizeof(struct master_db_cfg), db_fields, NF(db_fields), db_defaults, NULL};

static const struct field meta_fields[] = {
    {"binlog-name", FK_STR, S(struct master_meta, binlog_name), "string", NULL},
    {"binlog-pos", FK_UINT32, S(struct master_meta, binlog_pos), "uint32", NULL},
};
static const struct schema meta_schema = {"config.Meta", sizeof(struct master_meta), meta_fields, NF(meta_fields), NULL, NULL};

static const struct field route_fields[] = {
    {"schema-pattern", FK_STR, S(struct master_route, schema_pattern), "string", NULL},
    {"table-pattern", FK_STR, S(struct master_route, table_pattern), "string", NULL},
    {"target-schema", FK_STR, S(struct master_route, target_schema), "string", NULL},
    {"target-table", FK_STR, S(struct master_route, target_table), "string", NULL},
};
static const struct schema route_schema = {"router.TableRule", sizeof(struct master_route), route_fields, NF(route_fields), NULL, NULL};

static const struct field filter_fields[] = {
    {"schema-pattern", FK_STR, S(struct master_filter, schema_pattern), "string", NULL},
    {"table-pattern", FK_STR, S(struct master_filter, table_pattern), "string", NULL},
    {"events", FK_STRLIST, S(struct master_filter, events), "[]filter.EventType", NULL},
    {"sql-pattern", FK_STRLIST, S(struct master_filter, sql_pattern), "[]string", NULL},
    {"action", FK_STR, S(struct master_filter, action), "filter.ActionType", NULL},
};
static const struct schema filter_schema = {"filter.BinlogEventRule", sizeof(struct master_filter), filter_fields, NF(filter_fields), NULL, NULL};

static const struct field colmap_fields[] = {
    {"schema-pattern", FK_STR, S(struct master_colmap, schema_pattern), "string", NULL},
    {"table-pattern", FK_STR, S(struct master_colmap, table_pattern), "string", NULL},
    {"source-column", FK_STR, S(struct master_colmap, source_column), "string", NULL},
    {"target-column", FK_STR, S(struct master_colmap, target_column), "string", NULL},
    {"expression", FK_STR, S(struct master_colmap, expression), "column.Expr", NULL},
    {"arguments", FK_STRLIST, S(struct master_colmap, arguments), "[]string", NULL},
    {"create-table-query", FK_STR, S(struct master_colmap, create_table_query), "string", NULL},
};
static const struct schema colmap_schema = {"column.Rule", sizeof(struct master_colmap), colmap_fields, NF(colmap_fields), NULL, NULL};

static const struct field bwtable_fields[] = {
    {"db-name", FK_STR, S(struct master_bw_table, db_name), "string", NULL},
    {"tbl-name", FK_STR, S(struct master_bw_table, tbl_name), "string", NULL},
};
static const struct schema bwtable_schema = {"filter.Table", sizeof(struct master_bw_table), bwtable_fields, NF(bwtable_fields), NULL, NULL};

static const struct field bw_fields[] = {
    {"do-tables", FK_PLIST, S(struct master_bwlist, do_tables), "[]*filter.Table", &bwtable_schema},
    {"do-dbs", FK_STRLIST, S(struct master_bwlist, do_dbs), "[]string", NULL},
    {"ignore-tables", FK_PLIST, S(struct master_bwlist, ignore_tables), "[]*filter.Table", &bwtable_schema},
    {"ignore-dbs", FK_STRLIST, S(struct master_bwlist, ignore_dbs), "[]string", NULL},
};
static const struct schema bw_schema = {"filter.Rules", sizeof(struct master_bwlist), bw_fields, NF(bw_fields), NULL, NULL};

static const struct field mydumper_fields[] = {
    {"mydumper-path", FK_STR, S(struct master_mydumper, mydumper_path), "string", NULL},
    {"threads", FK_INT, S(struct master_mydumper, threads), "int", NULL},
    {"chunk-filesize", FK_INT, S(struct master_mydumper, chunk_filesize), "int64", NULL},
    {"skip-tz-utc", FK_BOOL, S(struct master_mydumper, skip_tz_utc), "bool", NULL},
    {"extra-args", FK_STR, S(struct master_mydumper, extra_args), "string", NULL},
};
static const struct schema mydumper_schema = {"config.rawMydumperConfig", sizeof(struct master_mydumper), mydumper_fields, NF(mydumper_fields), mydumper_defaults, "mydumper"};

static const struct field loader_fields[] = {
    {"pool-size", FK_INT, S(struct master_loader, pool_size), "int", NULL},
    {"dir", FK_STR, S(struct master_loader, dir), "string", NULL},
};
static const struct schema loader_schema = {"config.rawLoaderConfig", sizeof(struct master_loader), loader_fields, NF(loader_fields), loader_defaults, "loader"};

static const struct field syncer_fields[] = {
    {"meta-file", FK_STR, S(struct master_syncer, meta_file), "string", NULL},
    {"worker-count", FK_INT, S(struct master_syncer, worker_count), "int", NULL},
    {"batch", FK_INT, S(struct master_syncer, batch), "int", NULL},
    {"queue-size", FK_INT, S(struct master_syncer, queue_size), "int", NULL},
    {"checkpoint-flush-interval", FK_INT, S(struct master_syncer, checkpoint_flush_interval), "int", NULL},
    {"max-retry", FK_INT, S(struct master_syncer, max_retry), "int", NULL},
    {"auto-fix-gtid", FK_BOOL, S(struct master_syncer, auto_fix_gtid), "bool", NULL},
    {"enable-gtid", FK_BOOL, S(struct master_syncer, enable_gtid), "bool", NULL},
    {"disable-detect", FK_BOOL, S(struct master_syncer, disable_detect), "bool", NULL},
    {"safe-mode", FK_BOOL, S(struct master_syncer, safe_mode), "bool", NULL},
    {"enable-ansi-quotes", FK_BOOL, S(struct master_syncer, enable_ansi_quotes), "bool", NULL},
};
static const struct schema syncer_schema = {"config.rawSyncerConfig", sizeof(struct master_syncer), syncer_fields, NF(syncer_fields), syncer_defaults, "syncer"};

static const struct field inst_fields[] = {
    {"source-id", FK_STR, S(struct master_instance, source_id), "string", NULL},
    {"meta", FK_PTR, S(struct master_instance, meta), "config.Meta", &meta_schema},
    {"filter-rules", FK_STRLIST, S(struct master_instance, filter_rules), "[]string", NULL},
    {"column-mapping-rules", FK_STRLIST, S(struct master_instance, column_mapping_rules), "[]string", NULL},
    {"route-rules", FK_STRLIST, S(struct master_instance, route_rules), "[]string", NULL},
    {"black-white-list", FK_STR, S(struct master_instance, bw_list_name), "string", NULL},
    {"mydumper-config-name", FK_STR, S(struct master_instance, mydumper_config_name), "string", NULL},
    {"mydumper", FK_PTR, S(struct master_instance, mydumper), "config.MydumperConfig", &mydumper_schema},
    {"mydumper-thread", FK_INT, S(struct master_instance, mydumper_thread), "int", NULL},
    {"loader-config-name", FK_STR, S(struct master_instance, loader_config_name), "string", NULL},
    {"loader", FK_PTR, S(struct master_instance, loader), "config.LoaderConfig", &loader_schema},
    {"loader-thread", FK_INT, S(struct master_instance, loader_thread), "int", NULL},
    {"syncer-config-name", FK_STR, S(struct master_instance, syncer_config_name), "string", NULL},
    {"syncer", FK_PTR, S(struct master_instance, syncer), "config.SyncerConfig", &syncer_schema},
    {"syncer-thread", FK_INT, S(struct master_instance, syncer_thread), "int", NULL},
};
static const struct schema inst_schema = {"config.MySQLInstance", sizeof(struct master_instance), inst_fields, NF(inst_fields), NULL, NULL};

#define T(m) S(struct master_task_cfg, m)
static const struct field task_fields[] = {
    {"name", FK_STR, T(name), "string", NULL},
    {"task-mode", FK_STR, T(task_mode), "string", NULL},
    {"is-sharding", FK_BOOL, T(is_sharding), "bool", NULL},
    {"ignore-checking-items", FK_STRLIST, T(ignore_checking_items), "[]string", NULL},
    {"meta-schema", FK_STR, T(meta_schema), "string", NULL},
    {"remove-meta", FK_BOOL, T(remove_meta), "bool", NULL},
    {"disable-heartbeat", FK_BOOL, T(disable_heartbeat), "bool", NULL},
    {"enable-heartbeat", FK_BOOL, T(enable_heartbeat), "bool", NULL},
    {"heartbeat-update-interval", FK_INT, T(heartbeat_update_interval), "int", NULL},
    {"heartbeat-report-interval", FK_INT, T(heartbeat_report_interval), "int", NULL},
    {"timezone", FK_STR, T(timezone), "string", NULL},
    {"case-sensitive", FK_BOOL, T(case_sensitive), "bool", NULL},
    {"target-database", FK_PTR, T(target_db), "config.DBConfig", &db_schema},
    {"mysql-instances", FK_PLIST, T(instances), "[]*config.MySQLInstance", &inst_schema},
    {"online-ddl-scheme", FK_STR, T(online_ddl_scheme), "string", NULL},
    {"routes", FK_NMAP, T(routes), "map[string]*router.TableRule", &route_schema},
    {"filters", FK_NMAP, T(filters), "map[string]*filter.BinlogEventRule", &filter_schema},
    {"column-mappings", FK_NMAP, T(column_mappings), "map[string]*column.Rule", &colmap_schema},
    {"black-white-list", FK_NMAP, T(bw_lists), "map[string]*filter.Rules", &bw_schema},
    {"mydumpers", FK_NMAP, T(mydumpers), "map[string]*config.MydumperConfig", &mydumper_schema},
    {"loaders", FK_NMAP, T(loaders), "map[string]*config.LoaderConfig", &loader_schema},
    {"syncers", FK_NMAP, T(syncers), "map[string]*config.SyncerConfig", &syncer_schema},
};
static void task_defaults(void *p)
{
    struct master_task_cfg *c = p;
    c->meta_schema = strdup("dm_meta");
    c->disable_heartbeat = true;
    c->heartbeat_update_interval = 1;
    c->heartbeat_report_interval = 10;
}
static const struct schema task_schema = {"config.TaskConfig", sizeof(struct master_task_cfg), task_fields, NF(task_fields), task_defaults, NULL};

/* ---------- decoder ---------- */

struct decoder {
    struct dm_buf terrs;   /* "\n  line N: ..." accumulated type errors */
    char *fatal;           /* error of a custom unmarshaler: stops decoding */
    int nomem;
};

static void terror_add(struct decoder *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void terror_add(struct decoder *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (dm_buf_adds(&d->terrs, "\n  ") != 0 || dm_buf_vprintf(&d->terrs, fmt, ap) != 0)
        d->nomem = 1;
    va_end(ap);
}

/* yaml.v2 decoder.terror */
static void type_error(struct decoder *d, const struct master_ynode *n, const char *into)
{
    const char *tag = master_yscalar_tag(n);
    if (n->kind != MASTER_Y_SCALAR) {
        terror_add(d, "line %d: cannot unmarshal %s into %s", n->line, tag, into);
    } else if (strlen(n->value) > 10) {
        terror_add(d, "line %d: cannot unmarshal %s `%.7s...` into %s", n->line, tag, n->value, into);
    } else {
        terror_add(d, "line %d: cannot unmarshal %s `%s` into %s", n->line, tag, n->value, into);
    }
}

static bool is_null(const struct master_ynode *n)
{
    return n->kind == MASTER_Y_SCALAR && strcmp(master_yscalar_tag(n), "!!null") == 0;
}

static int parse_int_text(const char *s, long long *out)
{
    char clean[64];
    size_t j = 0;
    for (const char *p = s; *p && j + 1 < sizeof(clean); p++)
        if (*p != '_')
            clean[j++] = *p;
    clean[j] = '\0';
    const char *p = clean;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && p[1] == 'x') { base = 16; p += 2; }
    else if (p[0] == '0' && p[1] == 'b') { base = 2; p += 2; }
    else if (p[0] == '0' && p[1] == 'o') { base = 8; p += 2; }
    else if (p[0] == '0' && p[1]) { base = 8; }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(p, &end, base);
    if (errno || !end || *end || v > (unsigned long long)LLONG_MAX)
        return -1;
    *out = neg ? -(long long)v : (long long)v;
    return 0;
}

/* A !!float scalar as an integer: the whole text a finite number in int64's range with no
 * fraction. YAML's specials (.nan, .inf, -.inf, any case) are not strtod's syntax (it reads
 * none of ".nan" and would give 0), so they fail here as DM's type error; the range test
 * precedes the cast (out of range: undefined behaviour). */
static int float_int_text(const char *s, long long *out)
{
    char *end = NULL;
    errno = 0;
    double dv = strtod(s, &end);
    if (end == s || !end || *end != '\0')
        return -1;
    if (!(dv >= -9223372036854775808.0 && dv < 9223372036854775808.0) ||
        dv != (double)(long long)dv)
        return -1;
    *out = (long long)dv;
    return 0;
}

static void decode_int(struct decoder *d, const struct master_ynode *n, const struct field *f,
                       int64_t *dst)
{
    const char *tag = master_yscalar_tag(n);
    long long v = 0;
    if (strcmp(tag, "!!int") == 0 && parse_int_text(n->value, &v) == 0) {
        /* ok */
    } else if (strcmp(tag, "!!float") == 0) {
        if (float_int_text(n->value, &v) != 0) {
            type_error(d, n, f->gotype);
            return;
        }
    } else {
        type_error(d, n, f->gotype);
        return;
    }
    if (f->kind == FK_UINT32 && (v < 0 || v > 4294967295LL)) {
        type_error(d, n, f->gotype);
        return;
    }
    *dst = v;
}

static int bool_value(const char *s, bool *out)
{
    static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE", NULL};
    for (const char *const *p = yes; *p; p++)
        if (strcmp(*p, s) == 0) {
            *out = true;
            return 0;
        }
    *out = false;
    return 0;
}

static void set_str(struct decoder *d, char **dst, const char *v)
{
    char *s = strdup(v);
    if (!s) {
        d->nomem = 1;
        return;
    }
    free(*dst);
    *dst = s;
}

static void decode_struct(struct decoder *d, const struct master_ynode *n,
                          const struct schema *sc, void *obj);
static void *new_struct(struct decoder *d, const struct master_ynode *n, const struct schema *sc);

static void strv_push(struct decoder *d, struct master_strv *v, const char *s)
{
    char **tmp = realloc(v->items, (v->n + 1) * sizeof(*tmp));
    char *c = strdup(s);
    if (!tmp || !c) {
        free(c);
        if (tmp)
            v->items = tmp;
        d->nomem = 1;
        return;
    }
    v->items = tmp;
    v->items[v->n++] = c;
}

static void vec_push(struct decoder *d, struct master_vec *v, void *item)
{
    void **tmp = realloc(v->items, (v->n + 1) * sizeof(*tmp));
    if (!tmp) {
        d->nomem = 1;
        return;
    }
    v->items = tmp;
    v->items[v->n++] = item;
}

static void decode_strlist(struct decoder *d, const struct master_ynode *n, const struct field *f,
                           struct master_strv *v)
{
    master_strv_free(v);
    if (is_null(n))
        return;
    if (n->kind != MASTER_Y_SEQ) {
        type_error(d, n, f->gotype);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct master_ynode *it = n->items[i];
        if (it->kind != MASTER_Y_SCALAR) {
            type_error(d, it, "string");
            continue;
        }
        strv_push(d, v, is_null(it) ? "" : it->value);
    }
}

/* map keys: duplicate check as yaml.v2 strict mode does for maps */
static bool dup_key(const struct master_ynode *n, size_t upto, const char *key)
{
    for (size_t j = 0; j < upto; j += 2)
        if (n->items[j]->kind == MASTER_Y_SCALAR && strcmp(n->items[j]->value, key) == 0)
            return true;
    return false;
}

static void decode_map(struct decoder *d, const struct master_ynode *n, const struct field *f,
                       struct master_vec *v)
{
    master_vec_free(v, f->sub);
    if (is_null(n))
        return;
    if (n->kind != MASTER_Y_MAP) {
        type_error(d, n, f->gotype);
        return;
    }
    for (size_t i = 0; i + 1 < n->n && !d->fatal; i += 2) {
        const struct master_ynode *k = n->items[i], *val = n->items[i + 1];
        if (k->kind != MASTER_Y_SCALAR) {
            type_error(d, k, "string");
            continue;
        }
        if (dup_key(n, i, k->value)) {
            terror_add(d, "line %d: key \"%s\" already set in map", k->line, k->value);
            continue;
        }
        void *obj = NULL;
        if (f->kind == FK_STRMAP) {
            if (val->kind != MASTER_Y_SCALAR) {
                type_error(d, val, "string");
                continue;
            }
            struct master_kv *kv = calloc(1, sizeof(*kv));
            if (!kv || !(kv->value = strdup(is_null(val) ? "" : val->value))) {
                free(kv);
                d->nomem = 1;
                return;
            }
            obj = kv;
        } else {
            obj = new_struct(d, val, f->sub);
            if (!obj)
                continue;
        }
        char **name = obj;   /* every map element starts with `char *name` */
        *name = strdup(k->value);
        if (!*name)
            d->nomem = 1;
        vec_push(d, v, obj);
    }
}

/* allocate + defaults + decode one struct value (null -> defaults only) */
static void *new_struct(struct decoder *d, const struct master_ynode *n, const struct schema *sc)
{
    if (n->kind != MASTER_Y_MAP && !is_null(n) && !sc->custom) {
        type_error(d, n, sc->gotype);
        return NULL;
    }
    void *obj = calloc(1, sc->size);
    if (!obj) {
        d->nomem = 1;
        return NULL;
    }
    if (sc->defaults)
        sc->defaults(obj);
    if (is_null(n))
        return obj;
    if (!sc->custom) {
        decode_struct(d, n, sc, obj);
        return obj;
    }
    /* DM's UnmarshalYAML wrappers: their errors abort the whole decode */
    struct decoder sub;
    memset(&sub, 0, sizeof(sub));
    dm_buf_init(&sub.terrs, 1u << 20);
    if (n->kind != MASTER_Y_MAP)
        type_error(&sub, n, sc->gotype);
    else
        decode_struct(&sub, n, sc, obj);
    if (sub.nomem)
        d->nomem = 1;
    if (sub.fatal) {
        d->fatal = sub.fatal;
        sub.fatal = NULL;
    } else if (sub.terrs.len) {
        d->fatal = master_terr_fmt(&MASTER_TE_CONFIG_YAML, NULL,
                                   "unmarshal %s config: yaml: unmarshal errors:%s", sc->custom,
                                   sub.terrs.data);
        if (!d->fatal)
            d->nomem = 1;
    }
    dm_buf_free(&sub.terrs);
    if (d->fatal) {
        master_struct_free(obj, sc);
        return NULL;
    }
    return obj;
}

static void decode_field(struct decoder *d, const struct master_ynode *n, const struct field *f,
                         void *obj)
{
    char *p = (char *)obj + f->off;
    switch (f->kind) {
    case FK_STR:
        if (is_null(n)) {
            free(*(char **)p);
            *(char **)p = NULL;
        } else if (n->kind != MASTER_Y_SCALAR) {
            type_error(d, n, f->gotype);
        } else {
            set_str(d, (char **)p, n->value);
        }
        return;
    case FK_BOOL:
        if (is_null(n))
            *(bool *)p = false;
        else if (strcmp(master_yscalar_tag(n), "!!bool") != 0)
            type_error(d, n, f->gotype);
        else
            bool_value(n->value, (bool *)p);
        return;
    case FK_INT:
    case FK_UINT32:
        if (is_null(n))
            *(int64_t *)p = 0;
        else
            decode_int(d, n, f, (int64_t *)p);
        return;
    case FK_STRLIST:
        decode_strlist(d, n, f, (struct master_strv *)(void *)p);
        return;
    case FK_STRMAP:
    case FK_NMAP:
        decode_map(d, n, f, (struct master_vec *)(void *)p);
        return;
    case FK_PTR: {
        void **slot = (void **)(void *)p;
        if (*slot) {
            master_struct_free(*slot, f->sub);
            *slot = NULL;
        }
        if (is_null(n))
            return;
        if (n->kind != MASTER_Y_MAP && !f->sub->custom) {
            type_error(d, n, f->gotype);
            return;
        }
        *slot = new_struct(d, n, f->sub);
        return;
    }
    case FK_PLIST: {
        struct master_vec *v = (struct master_vec *)(void *)p;
        master_vec_free(v, f->sub);
        if (is_null(n))
            return;
        if (n->kind != MASTER_Y_SEQ) {
            type_error(d, n, f->gotype);
            return;
        }
        for (size_t i = 0; i < n->n && !d->fatal; i++) {
            const struct master_ynode *it = n->items[i];
            if (is_null(it)) {
                vec_push(d, v, NULL);
                continue;
            }
            void *obj2 = new_struct(d, it, f->sub);
            if (obj2)
                vec_push(d, v, obj2);
        }
        return;
    }
    }
}

static void decode_struct(struct decoder *d, const struct master_ynode *n,
                          const struct schema *sc, void *obj)
{
    for (size_t i = 0; i + 1 < n->n && !d->fatal && !d->nomem; i += 2) {
        const struct master_ynode *k = n->items[i];
        const char *key = k->kind == MASTER_Y_SCALAR ? k->value : "";
        const struct field *f = NULL;
        for (size_t j = 0; j < sc->nfields; j++)
            if (strcmp(sc->fields[j].key, key) == 0)
                f = &sc->fields[j];
        if (!f) {
            terror_add(d, "line %d: field %s not found in type %s", k->line, key, sc->gotype);
            continue;
        }
        if (dup_key(n, i, key)) {
            terror_add(d, "line %d: field %s already set in type %s", k->line, key, sc->gotype);
            continue;
        }
        decode_field(d, n->items[i + 1], f, obj);
    }
}

/* ---------- freeing ---------- */

void master_strv_free(struct master_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->n = 0;
}

void master_vec_free(struct master_vec *v, const struct schema *sc)
{
    for (size_t i = 0; i < v->n; i++)
        master_struct_free(v->items[i], sc);
    free(v->items);
    v->items = NULL;
    v->n = 0;
}

void master_struct_free(void *obj, const struct schema *sc)
{
    if (!obj)
        return;
    if (sc == &kv_schema || sc->fields == route_fields || sc->fields == filter_fields ||
        sc->fields == colmap_fields || sc->fields == bw_fields || sc->custom)
        free(*(char **)obj);   /* map element name (first member) */
    for (size_t i = 0; i < sc->nfields; i++) {
        const struct field *f = &sc->fields[i];
        char *p = (char *)obj + f->off;
        switch (f->kind) {
        case FK_STR: free(*(char **)p); break;
        case FK_STRLIST: master_strv_free((struct master_strv *)(void *)p); break;
        case FK_STRMAP: master_vec_free((struct master_vec *)(void *)p, &kv_schema); break;
        case FK_NMAP:
        case FK_PLIST: master_vec_free((struct master_vec *)(void *)p, f->sub); break;
        case FK_PTR: master_struct_free(*(void **)p, f->sub); break;
        default: break;
        }
    }
    free(obj);
}

void master_taskcfg_free(struct master_task_cfg *cfg)
{
    master_struct_free(cfg, &task_schema);
}

const struct schema *master_schema_mydumper(void) { return &mydumper_schema; }
const struct schema *master_schema_loader(void) { return &loader_schema; }
const struct schema *master_schema_syncer(void) { return &syncer_schema; }

int master_taskcfg_decode(const char *yaml, size_t len, struct master_task_cfg **out, char **err)
{
    struct master_ydoc *doc = NULL;
    char *perr = NULL;
    *out = NULL;
    *err = NULL;
    int rc = master_ydoc_parse(yaml, len, &doc, &perr);
    if (rc == DM_E_PARSE) {
        *err = master_terr_fmt(&MASTER_TE_CONFIG_YAML, "dm-master",
                               "decode task config failed: %s", perr);
        free(perr);
        return *err ? DM_E_INVAL : DM_E_NOMEM;
    }
    if (rc != DM_OK)
        return rc;
    struct decoder d;
    memset(&d, 0, sizeof(d));
    dm_buf_init(&d.terrs, 1u << 20);
    struct master_task_cfg *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) {
        rc = DM_E_NOMEM;
        goto out;
    }
    task_defaults(cfg);
    if (doc->root && is_null(doc->root)) {
        /* empty document: defaults only */
    } else if (doc->root && doc->root->kind != MASTER_Y_MAP) {
        type_error(&d, doc->root, task_schema.gotype);
    } else if (doc->root) {
        decode_struct(&d, doc->root, &task_schema, cfg);
    }
    if (d.nomem) {
        rc = DM_E_NOMEM;
    } else if (d.fatal) {
        *err = master_terr_fmt(&MASTER_TE_CONFIG_YAML, "dm-master",
                               "decode task config failed: %s", d.fatal);
        rc = DM_E_INVAL;
    } else if (d.terrs.len) {
        *err = master_terr_fmt(&MASTER_TE_CONFIG_YAML, "dm-master",
                               "decode task config failed: yaml: unmarshal errors:%s", d.terrs.data);
        rc = DM_E_INVAL;
    } else {
        *out = cfg;
        cfg = NULL;
        rc = DM_OK;
    }
    if (rc == DM_E_INVAL && !*err)
        rc = DM_E_NOMEM;
out:
    free(d.fatal);
    dm_buf_free(&d.terrs);
    master_taskcfg_free(cfg);
    master_ydoc_free(doc);
    return rc;
}

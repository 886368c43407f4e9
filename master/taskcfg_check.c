/* taskcfg_check.c - the task's patterns (Go regexp, common/dm_tblfilter.h) and the table of
 * settings this project's dm-worker refuses (taskcfg.h). */
#include "taskcfg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_dumpargs.h"
#include "dm_error.h"
#include "dm_name.h"
#include "dm_tblfilter.h"
#include "terror.h"

int master_taskcfg_bwl(const struct master_bwlist *l, bool case_sensitive, struct dm_bwl **out,
                       char *err, size_t cap)
{
    size_t nd = l ? l->do_tables.n : 0, ni = l ? l->ignore_tables.n : 0;
    struct dm_bwl_table *tabs = calloc(nd + ni + 1, sizeof(*tabs));
    int rc;
    *out = NULL;
    if (!tabs)
        return DM_E_NOMEM;
    for (size_t i = 0; i < nd + ni; i++) {
        const struct master_bw_table *t = i < nd ? l->do_tables.items[i] : l->ignore_tables.items[i - nd];
        tabs[i] = (struct dm_bwl_table){t ? t->db_name : NULL, t ? t->tbl_name : NULL};
    }
    struct dm_bwl_rules r = {0};
    if (l)
        r = (struct dm_bwl_rules){(const char *const *)l->do_dbs.items, l->do_dbs.n,
                                  (const char *const *)l->ignore_dbs.items, l->ignore_dbs.n,
                                  tabs, nd, tabs + nd, ni};
    rc = dm_bwl_new(&r, case_sensitive, out, err, cap);
    free(tabs);
    return rc;
}

/* DM checker.Init: filter.New -> ErrTaskCheckGenBWList (26006), re-classed dm-master */
static int check_bwlists(const struct master_task_cfg *c, char **err)
{
    for (size_t i = 0; i < c->bw_lists.n; i++) {
        const struct master_bwlist *l = c->bw_lists.items[i];
        struct dm_bwl *b = NULL;
        char why[1024] = "";
        int rc = master_taskcfg_bwl(l, c->case_sensitive, &b, why, sizeof(why));
        dm_bwl_free(b);
        if (rc == DM_E_INVAL)
            *err = master_terr_code(26006, "dm-master", "medium",
                                    "fail to initial checker: generate black white list error: "
                                    "black-white-list %s: %s", l && l->name ? l->name : "", why);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

/* tidb-tools BinlogEventRule.Valid, reported with the Sync unit's code DM uses for it
 * (ErrSyncerUnitGenBinlogEventFilter 36030); unknown event types are refused as our worker
 * refuses them (tidb-tools has a TODO there and ignores them silently). */
static char *filter_err(const struct master_filter *f, const char *why)
{
    return master_terr_code(36030, "dm-master", "high",
                            "generate binlog event filter: initial rule %s in binlog event filter: %s",
                            f->name ? f->name : "", why);
}

static int check_filter(const struct master_filter *f, char **err)
{
    char why[1024] = "";
    const char *action = f->action ? f->action : "";
    if (f->sql_pattern.n > 0) {
        struct dm_regex *re = NULL;
        int rc = dm_sql_patterns_compile((const char *const *)f->sql_pattern.items,
                                         f->sql_pattern.n, &re, why, sizeof(why));
        dm_regex_free(re);
        if (rc == DM_E_INVAL)
            *err = filter_err(f, why);
        if (rc != DM_OK)
            return rc;
    }
    if (strcmp(action, "Do") && strcmp(action, "Ignore")) {
        snprintf(why, sizeof(why), "action of binlog event rule should be Do or Ignore, not \"%s\"", action);
        *err = filter_err(f, why);
        return DM_E_INVAL;
    }
    for (size_t k = 0; k < f->events.n; k++)
        if (!dm_filter_event_known(f->events.items[k])) {
            snprintf(why, sizeof(why), "unknown event type \"%s\"", f->events.items[k]);
            *err = filter_err(f, why);
            return DM_E_INVAL;
        }
    return DM_OK;
}

/* column.Rule.Valid for "partition id" -> ErrTaskCheckGenColumnMapping (26004) */
static int check_colmaps(const struct master_task_cfg *c, char **err)
{
    for (size_t i = 0; i < c->column_mappings.n; i++) {
        const struct master_colmap *m = c->column_mappings.items[i];
        if (!m || !m->expression || strcasecmp(m->expression, "partition id"))
            continue;   /* other expressions: master_taskcfg_unsupported */
        if (m->arguments.n < 3 || m->arguments.n > 4) {
            *err = master_terr_code(26004, "dm-master", "medium",
                                    "fail to initial checker: generate column mapping error: "
                                    "column-mapping %s: arguments %zu of expression partition id "
                                    "should be 3 or 4", m->name ? m->name : "", m->arguments.n);
            return DM_E_INVAL;
        }
    }
    return DM_OK;
}

int master_taskcfg_check_rules(const struct master_task_cfg *c, char **err)
{
    int rc = check_bwlists(c, err);
    for (size_t i = 0; i < c->filters.n && rc == DM_OK; i++)
        if (c->filters.items[i])
            rc = check_filter(c->filters.items[i], err);
    if (rc == DM_OK)
        rc = check_colmaps(c, err);
    if (rc == DM_E_INVAL && !*err)
        rc = DM_E_NOMEM;
    return rc;
}

/* ---------- settings this dm-worker does not support yet ----------
 * One row per setting the worker (worker/subtask_cfg.c, worker/worker.c) refuses or would
 * not honour. A row's `hit` writes the offending value into `val` and returns true.
 * When the worker learns a setting, delete its row here (and its test in
 * tests/unit/master/test_precheck.c, `unsupported_settings`). */

static bool hit_sharding(const struct master_task_cfg *c, char *val, size_t cap)
{
    snprintf(val, cap, "is-sharding together with online-ddl-scheme %s not supported by this worker yet",
             c->online_ddl_scheme ? c->online_ddl_scheme : "");
    return c->is_sharding && c->online_ddl_scheme && *c->online_ddl_scheme;
}

static bool hit_colmap_expression(const struct master_task_cfg *c, char *val, size_t cap)
{
    for (size_t i = 0; i < c->column_mappings.n; i++) {
        const struct master_colmap *m = c->column_mappings.items[i];
        if (m && m->expression && strcasecmp(m->expression, "partition id") != 0) {
            snprintf(val, cap, "column mapping expression '%s' not supported by this worker yet", m->expression);
            return true;
        }
    }
    return false;
}

static bool hit_task_name(const struct master_task_cfg *c, char *val, size_t cap)
{
    const char *why = c->name && *c->name ? dm_task_name_meta_check(c->name) : NULL;
    snprintf(val, cap, "task name '%s' %s", c->name ? c->name : "", why ? why : "");
    return why != NULL;
}

/* the worker's bounds on the syncer unit (worker/subtask_cfg.c get_int) */
static bool hit_syncer_range(const struct master_task_cfg *c, char *val, size_t cap)
{
    for (size_t i = 0; i < c->instances.n; i++) {
        const struct master_instance *in = c->instances.items[i];
        const struct master_syncer *s = in ? in->syncer : NULL;
        const char *key = NULL;
        if (!s)
            continue;
        if (s->worker_count < 1 || s->worker_count > 1024)
            key = "worker-count must be in [1, 1024]";
        else if (s->batch < 1 || s->batch > 100000)
            key = "batch must be in [1, 100000]";
        else if (s->checkpoint_flush_interval < 0 || s->checkpoint_flush_interval > 86400)
            key = "checkpoint-flush-interval must be in [1, 86400]";
        if (key) {
            snprintf(val, cap, "mysql-instance(%zu)'s syncer %s for this worker", i, key);
            return true;
        }
    }
    return false;
}

/* mydumper extra-args that let the dump leave tables out silently (common/dm_dumpargs.h;
 * the worker's Dump unit refuses them too); only task modes that dump */
static bool hit_dump_args(const struct master_task_cfg *c, char *val, size_t cap)
{
    if (c->task_mode && strcmp(c->task_mode, "full") && strcmp(c->task_mode, "all"))
        return false;
    for (size_t i = 0; i < c->instances.n; i++) {
        const struct master_instance *in = c->instances.items[i];
        char flag[64] = "";
        const char *why = in && in->mydumper
                              ? dm_dumpargs_refused(in->mydumper->extra_args, flag, sizeof(flag))
                              : NULL;
        if (why) {
            snprintf(val, cap, "mysql-instance(%zu)'s mydumper extra-args %s: %s; not supported "
                     "by this worker", i, flag, why);
            return true;
        }
    }
    return false;
}

static const struct master_unsupported {
    const char *setting;
    bool (*hit)(const struct master_task_cfg *c, char *val, size_t cap);
    const char *instruction;
} UNSUPPORTED[] = {
    {"is-sharding", hit_sharding, "remove online-ddl-scheme or is-sharding"},
    {"column-mappings", hit_colmap_expression, "use expression: partition id"},
    {"name", hit_task_name, "use a task name of at most 43 characters (Basic Multilingual Plane) without / \\ or `"},
    {"syncer", hit_syncer_range, "set worker-count, batch and checkpoint-flush-interval within the bounds"},
    {"mydumper", hit_dump_args, "remove the option from extra-args; choose tables with the black-white-list"},
};

size_t master_taskcfg_unsupported(const struct master_task_cfg *c,
                                  void (*emit)(void *ctx, const char *setting, const char *msg,
                                               const char *instruction),
                                  void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(UNSUPPORTED) / sizeof(UNSUPPORTED[0]); i++) {
        char val[512] = "";
        if (!UNSUPPORTED[i].hit(c, val, sizeof(val)))
            continue;
        n++;
        if (emit)
            emit(ctx, UNSUPPORTED[i].setting, val, UNSUPPORTED[i].instruction);
    }
    return n;
}

/* syncer.c - the Sync unit thread (see syncer.h). */
#include "syncer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "applier.h"
#include "ddl.h"
#include "dmlpool.h"
#include "keyless.h"
#include "dm_error.h"
#include "heartbeat.h"
#include "log.h"
#include "online_ddl.h"

struct worker_syncer {
    struct worker_syncer_params p;
    pthread_t thread;
    bool started, joined;
    bool killed;                  /* stop had to kill the target connections */
    atomic_bool stop;
    pthread_mutex_t mu;           /* guards everything below + reader pointer */
    pthread_cond_t cond;
    struct bl_reader *reader;
    bool failed, exited;
    struct worker_terr err;
    struct worker_sync_stats st;
    struct worker_heartbeat *hb;  /* enable-heartbeat (heartbeat.h), else NULL */
    int64_t start_ms;
    int64_t sample_ms, sample_events;
};

/* Per-session state (thread-local to the syncer thread). */
struct session {
    struct worker_syncer *s;
    struct worker_applier *a;
    struct bl_reader *r;
    char file[256];               /* pending (processed, maybe uncommitted) position */
    uint64_t pos;
    char gtid[128], pending_gtid[128];
    bool in_src_txn;
    bool dirty;                   /* pending position not yet written */
    int64_t safe_until_ms;
    int64_t events;               /* applied since last commit */
    struct worker_dmlpool *pool;  /* parallel DML connections */
    int64_t last_cp_ms;           /* last checkpoint flush */
    char **tables;                /* source (schema, table) pairs touched since then */
    size_t ntables, tables_cap;
    struct worker_keyless *kl;    /* table points of key-less rows (keyless.h) */
    const struct bl_event *ev;    /* rows event being generated */
    bool ev_keyless;              /* it produced key-less jobs */
    int64_t skipped;              /* key-less rows skipped (already applied) */
    struct worker_onlineddl *od;  /* online-ddl-scheme (online_ddl.h), else NULL */
    struct worker_od_cutover cutover; /* executed, its record deleted after the checkpoint */
};

#define CP_INTERVAL_MS 1000       /* checkpoint flush at a transaction end after this; the
                                     first one at the first transaction end of a session, so
                                     a worker restarting faster than this still progresses */
#define CP_MAX_KEYS (1u << 20)    /* ... or when the causality map grows past this */
#define CP_MAX_TABLES 4096

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sync_err(struct worker_terr *e, bool transient, const char *fmt, const char *a1,
                     const char *a2)
{
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                    "%s%s%s", fmt, a1 ? a1 : "", a2 ? a2 : "");
    e->transient = transient;
}

/* ---- commit / checkpoint ---- */

static void clear_tables(struct session *ss)
{
    size_t i;
    for (i = 0; i < 2 * ss->ntables; i++)
        free(ss->tables[i]);
    ss->ntables = 0;
}

/* Remember a source table for its per-table checkpoint row (best effort). */
static void touch_table(struct session *ss, const char *schema, const char *table)
{
    size_t i;
    if (!schema || !table || !table[0])
        return;
    for (i = ss->ntables; i-- > 0;)
        if (strcmp(ss->tables[2 * i], schema) == 0 && strcmp(ss->tables[2 * i + 1], table) == 0)
            return;
    if (ss->ntables >= CP_MAX_TABLES)
        return;
    if (ss->ntables == ss->tables_cap) {
        size_t cap = ss->tables_cap ? ss->tables_cap * 2 : 16;
        char **t = realloc(ss->tables, 2 * cap * sizeof *t);
        if (!t)
            return;
        ss->tables = t;
        ss->tables_cap = cap;
    }
    ss->tables[2 * ss->ntables] = strdup(schema);
    ss->tables[2 * ss->ntables + 1] = strdup(table);
    if (!ss->tables[2 * ss->ntables] || !ss->tables[2 * ss->ntables + 1]) {
        free(ss->tables[2 * ss->ntables]);
        free(ss->tables[2 * ss->ntables + 1]);
        return;
    }
    ss->ntables++;
}

/* Checkpoint flush: every DML connection commits, then the checkpoint is written. */
static int commit(struct session *ss, struct worker_terr *e)
{
    struct worker_syncer *s = ss->s;
    int rc;
    struct worker_cp_row *rows;
    size_t i;
    if (ss->events == 0 && !ss->dirty)
        return DM_OK;
    rows = calloc(ss->ntables + 1, sizeof *rows);
    if (!rows) {
        sync_err(e, false, "out of memory", NULL, NULL);
        return DM_E_NOMEM;
    }
    for (i = 0; i <= ss->ntables; i++) {
        rows[i].schema = i ? ss->tables[2 * (i - 1)] : "";
        rows[i].table = i ? ss->tables[2 * (i - 1) + 1] : "";
        rows[i].file = ss->file;
        rows[i].pos = ss->pos;
    }
    rc = worker_dmlpool_checkpoint(ss->pool, rows, ss->ntables + 1, e);
    free(rows);
    if (rc)
        return rc;
    ss->dirty = false;
    ss->last_cp_ms = now_ms();
    clear_tables(ss);
    pthread_mutex_lock(&s->mu);
    snprintf(s->st.syncer_file, sizeof s->st.syncer_file, "%s", ss->file);
    s->st.syncer_pos = ss->pos;
    snprintf(s->st.syncer_gtid, sizeof s->st.syncer_gtid, "%s", ss->gtid);
    s->st.have_pos = true;
    s->st.total_events += ss->events;
    pthread_mutex_unlock(&s->mu);
    ss->events = 0;
    return DM_OK;
}

static void set_pos(struct session *ss, const struct bl_event *ev)
{
    if (ev->next_pos == 0 || !ev->file[0])
        return;
    snprintf(ss->file, sizeof ss->file, "%s", ev->file);
    ss->pos = ev->next_pos;
    ss->dirty = true;
}

/* The start point is visible in the stats at once (before the first flush). */
static void publish_start(struct session *ss)
{
    struct worker_syncer *s = ss->s;
    pthread_mutex_lock(&s->mu);
    if (!s->st.have_pos) {
        snprintf(s->st.syncer_file, sizeof s->st.syncer_file, "%s", ss->file);
        s->st.syncer_pos = ss->pos;
        snprintf(s->st.syncer_gtid, sizeof s->st.syncer_gtid, "%s", ss->gtid);
        s->st.have_pos = true;
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- rows ---- */

/* Generator callback: key-less rows already committed (keyless.h rule 3) are skipped;
 * everything else goes to the pool. */
static int on_job(void *ud, const struct worker_rowjob *j, struct worker_terr *e)
{
    struct session *ss = ud;
    const struct bl_event *ev = ss->ev;
    struct worker_rowjob jj = *j;
    if (j->keyless) {
        if (worker_keyless_applied(ss->kl, ev->table->schema, ev->table->table, ev->file,
                                   ev->next_pos)) {
            ss->skipped++;
            return DM_OK;
        }
        ss->ev_keyless = true;
    }
    jj.src_schema = ev->table->schema;
    jj.src_table = ev->table->table;
    jj.file = ev->file;
    jj.pos = ev->next_pos;
    return worker_dmlpool_add(ss->pool, &jj, e);
}

static enum worker_event rows_event(enum bl_rows_op op)
{
    return op == BL_INSERT ? WEV_INSERT : op == BL_UPDATE ? WEV_UPDATE : WEV_DELETE;
}

static int on_rows(struct session *ss, const struct bl_event *ev, struct worker_terr *e)
{
    const struct worker_syncer_params *p = &ss->s->p;
    const struct bl_table *t = ev->table;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    bool safe;
    int rc;
    if (!t || ev->nrows == 0)
        return DM_OK;
    if (worker_heartbeat_observe(ss->s->hb, ev) ||
        worker_onlineddl_table_type(ss->od, t->table) != WOD_REAL)
        return DM_OK;             /* heartbeat, ghost/trash tables: never replicated */
    if (!worker_rules_bwl_allow(p->rules, t->schema, t->table))
        return DM_OK;
    if (worker_rules_filter_ignore(p->rules, t->schema, t->table, rows_event(ev->op), NULL))
        return DM_OK;
    worker_rules_route(p->rules, t->schema, t->table, ts, sizeof ts, tt, sizeof tt);
    safe = p->cfg->safe_mode || now_ms() < ss->safe_until_ms;
    ss->ev = ev;
    ss->ev_keyless = false;
    rc = worker_applier_gen_rows(ss->a, ev, ts, tt, safe, p->rules, on_job, ss, e);
    if (!rc && ss->ev_keyless)
        rc = worker_dmlpool_mark(ss->pool, t->schema, t->table, ev->file, ev->next_pos, e);
    ss->ev = NULL;
    if (!rc) {
        ss->events += (int64_t)ev->nrows;
        touch_table(ss, t->schema, t->table);
    }
    return rc;
}

/* ---- DDL ---- */

/* Statements of one QUERY event to run on the target. */
struct stmts {
    char **sql;            /* owned */
    char **use;            /* owned: target schema to USE first ("" = none) */
    size_t n, cap;
};

static void stmts_free(struct stmts *st)
{
    size_t i;
    for (i = 0; i < st->n; i++) {
        free(st->sql[i]);
        free(st->use[i]);
    }
    free(st->sql);
    free(st->use);
    memset(st, 0, sizeof *st);
}

/* Takes ownership of sql. */
static int stmts_push(struct stmts *st, char *sql, const char *use)
{
    char *u = strdup(use ? use : "");
    if (!sql || !u)
        goto fail;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        char **a = realloc(st->sql, cap * sizeof *a), **b;
        if (!a)
            goto fail;
        st->sql = a;
        b = realloc(st->use, cap * sizeof *b);
        if (!b)
            goto fail;
        st->use = b;
        st->cap = cap;
    }
    st->sql[st->n] = sql;
    st->use[st->n++] = u;
    return DM_OK;
fail:
    free(sql);
    free(u);
    return DM_E_NOMEM;
}

/* DM's skipQuery: a DDL is skipped when any of its tables is filtered out by the
 * black-white-list or ignored by an event filter. */
static bool ddl_item_skipped(const struct worker_rules *rules, const struct worker_ddl_item *it)
{
    size_t k;
    for (k = 0; k < it->nrefs; k++) {
        const struct worker_ddl_ref *r = &it->refs[k];
        if (!worker_rules_bwl_allow(rules, r->schema, r->table))
            return true;
        if (worker_rules_filter_ignore(rules, r->schema, r->table, WEV_NULL, it->text) ||
            worker_rules_filter_ignore(rules, r->schema, r->table, it->ev, it->text))
            return true;
    }
    return false;
}

/* The routed statement of one item, unless the rules filter it out. */
static int push_item(struct session *ss, const struct worker_ddl_item *it, struct stmts *st,
                     struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    if (ddl_item_skipped(rules, it)) {
        dm_log_kv(DM_LOG_INFO, "skip DDL by rules", "task", ss->s->p.cfg->name, "sql",
                  it->text, NULL);
        return DM_OK;
    }
    worker_rules_route(rules, it->refs[0].schema, it->refs[0].table, ts, sizeof ts, tt,
                       sizeof tt);
    if (stmts_push(st, worker_ddl_rewrite(it, rules), it->refs[0].table[0] ? ts : "")) {
        sync_err(e, false, "out of memory", NULL, NULL);
        return DM_E_NOMEM;
    }
    touch_table(ss, it->refs[0].schema, it->refs[0].table);
    return DM_OK;
}

/* Online DDL decides first, before the rules (DM's resolveDDLSQL): statements on
 * ghost/trash tables are recorded or skipped, the cut-over RENAME yields the recorded DDLs
 * for the real table (their record is deleted after the checkpoint: finish_online). */
static int push_online(struct session *ss, const struct worker_ddl_item *it, struct stmts *st,
                       struct worker_terr *e)
{
    struct worker_od_cutover co;
    enum worker_od_verdict v;
    size_t i, k;
    int rc = worker_onlineddl_apply(ss->od, it, &v, &co, e);
    if (rc || v == WOD_APPLY)
        return rc ? rc : push_item(ss, it, st, e);
    if (v == WOD_SKIP) {
        dm_log_kv(DM_LOG_INFO, "online DDL: recorded or skipped", "task", ss->s->p.cfg->name,
                  "sql", it->text, NULL);
        return DM_OK;
    }
    if (ss->cutover.ghost_table[0]) {  /* a second cut-over in one event */
        worker_onlineddl_cutover_free(&co);
        worker_terr_set(e, 36041, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "online ddl changes on multiple table: %s not supported", it->text);
        return DM_E_INVAL;
    }
    ss->cutover = co;
    for (i = 0; i < co.n && !rc; i++)
        for (k = 0; k < co.ddls[i].n && !rc; k++)
            rc = push_item(ss, &co.ddls[i].items[k], st, e);
    return rc;
}

/* After the cut-over's checkpoint: delete the ghost table's record (DM's Finish). */
static int finish_online(struct session *ss, struct worker_terr *e)
{
    int rc = DM_OK;
    if (ss->cutover.ghost_table[0])
        rc = worker_onlineddl_finish(ss->od, ss->cutover.ghost_schema, ss->cutover.ghost_table, e);
    worker_onlineddl_cutover_free(&ss->cutover);
    ss->cutover.ghost_table[0] = '\0';
    return rc;
}

/* Routed statements of the items that pass online DDL and the rules. */
static int ddl_stmts(struct session *ss, const struct worker_ddl *d, struct stmts *st,
                     struct worker_terr *e)
{
    size_t i;
    int rc = DM_OK;
    for (i = 0; i < d->n && !rc; i++)
        rc = push_online(ss, &d->items[i], st, e);
    return rc;
}

static void set_failed(struct worker_terr *e, const struct bl_event *ev, const char *sql)
{
    snprintf(e->failed_pos, sizeof e->failed_pos, "%s:%llu", ev->file,
             (unsigned long long)ev->next_pos);
    snprintf(e->error_sql, sizeof e->error_sql, "%s", sql ? sql : "");
}

/* sql-skip / sql-replace for this event: *applied, and st replaced by the operator's
 * statements (run with the event's routed default schema). */
static int try_operator(struct session *ss, const struct bl_event *ev, struct stmts *st,
                        bool *applied, struct worker_terr *e)
{
    const struct worker_syncer_params *p = &ss->s->p;
    const char **sqls;
    char **args = NULL, cause[700] = "", ts[WORKER_NAME_MAX] = "", tt[WORKER_NAME_MAX];
    size_t i;
    int rc;
    *applied = false;
    if (!p->sqlops)
        return DM_OK;
    sqls = calloc(st->n + 1, sizeof *sqls);
    if (!sqls)
        goto nomem;
    sqls[0] = ev->query ? ev->query : "";
    for (i = 0; i < st->n; i++)
        sqls[i + 1] = st->sql[i];
    rc = worker_sqlop_apply(p->sqlops, ev->file, ev->next_pos, sqls, st->n + 1, applied, &args,
                            cause, sizeof cause);
    free(sqls);
    if (rc)
        goto nomem;
    if (!*applied)
        return DM_OK;
    dm_log_kv(DM_LOG_INFO, "applying operator", "task", p->cfg->name, "chance", cause, "sql",
              ev->query, NULL);
    stmts_free(st);
    if (ev->schema && ev->schema[0])
        worker_rules_route(p->rules, ev->schema, "", ts, sizeof ts, tt, sizeof tt);
    for (i = 0; args && args[i]; i++) {
        if (stmts_push(st, args[i], ts))
            goto nomem;
        args[i] = NULL;
    }
    worker_sqlop_strv_free(args);
    return DM_OK;
nomem:
    worker_sqlop_strv_free(args);
    sync_err(e, false, "out of memory", NULL, NULL);
    return DM_E_NOMEM;
}

static int exec_stmts(struct session *ss, const struct bl_event *ev, const struct stmts *st,
                      struct worker_terr *e)
{
    size_t i;
    for (i = 0; i < st->n; i++) {
        int rc;
        dm_log_kv(DM_LOG_INFO, "execute DDL", "task", ss->s->p.cfg->name, "sql", st->sql[i],
                  NULL);
        rc = worker_applier_ddl(ss->a, st->use[i][0] ? st->use[i] : NULL, st->sql[i], ev,
                                e);
        if (rc) {
            set_failed(e, ev, st->sql[i]);
            return rc;
        }
        ss->events++;
    }
    return DM_OK;
}

/* After the statements of a QUERY event ran: its position is the checkpoint; then an
 * online-DDL cut-over's record goes (finish_online). */
static int query_done(struct session *ss, const struct bl_event *ev, struct worker_terr *e)
{
    set_pos(ss, ev);
    snprintf(ss->gtid, sizeof ss->gtid, "%s", ss->pending_gtid);
    int rc = commit(ss, e);
    return rc ? rc : finish_online(ss, e);
}

/* A DDL event: DML before it committed (at the pre-DDL position), its routed statements
 * (or an operator's replacement) run, checkpoint right after (DM's handleQueryEvent). */
static int run_ddl(struct session *ss, const struct bl_event *ev, const struct worker_ddl *d,
                   struct worker_terr *e)
{
    struct stmts st = { 0 };
    bool applied = false;
    int rc = commit(ss, e);
    if (!rc)
        rc = ddl_stmts(ss, d, &st, e);
    if (!rc && st.n > 0)         /* every item filtered out: nothing to run (DM) */
        rc = try_operator(ss, ev, &st, &applied, e);
    if (!rc)
        rc = exec_stmts(ss, ev, &st, e);
    if (!rc)
        rc = query_done(ss, ev, e);
    stmts_free(&st);
    return rc;
}

static void unsupported_err(const struct bl_event *ev, const struct worker_ddl *d,
                            struct worker_terr *e)
{
    const char *q = ev->query ? ev->query : "";
    if (d->kind == WDDL_DML) {
        sync_err(e, false, "only support ROW format binlog, unexpected DML statement found "
                 "in query event: ", q, NULL);
        e->code = WTE_SYNC_DML_STATEMENT;
    } else {
        worker_terr_set(e, WTE_SYNC_PARSE_STMT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH,
                        "statement not supported (%s) at binlog position %s:%llu: %.400s; "
                        "skip or replace it with sql-skip / sql-replace --binlog-pos %s:%llu",
                        d->err, ev->file, (unsigned long long)ev->next_pos, q, ev->file,
                        (unsigned long long)ev->next_pos);
    }
    e->transient = false;
    set_failed(e, ev, q);
}

/* A statement that pauses the task unless an operator takes it. Nothing is committed
 * before the decision; inside a source transaction the operator's statements run
 * without moving the position (it moves at the transaction's end). When it pauses, the
 * DML before it is committed with the checkpoint right before it (DM flushes its jobs
 * when the Sync unit stops on an error that is not an execution error): the paused
 * target holds everything the source committed before the statement. Inside a source
 * transaction that would commit half of it: nothing then (replayed on resume). */
static int on_unsupported(struct session *ss, const struct bl_event *ev,
                          const struct worker_ddl *d, struct worker_terr *e)
{
    struct stmts st = { 0 };
    bool applied = false;
    int rc = try_operator(ss, ev, &st, &applied, e);
    if (!rc && !applied) {
        if (!ss->in_src_txn)
            rc = commit(ss, e);
        if (!rc) {
            unsupported_err(ev, d, e);
            rc = DM_E_NOT_SUPPORTED;
        }
    } else if (!rc && ss->in_src_txn) {
        rc = exec_stmts(ss, ev, &st, e);
    } else if (!rc) {
        rc = commit(ss, e);
        if (!rc)
            rc = exec_stmts(ss, ev, &st, e);
        if (!rc)
            rc = query_done(ss, ev, e);
    }
    stmts_free(&st);
    return rc;
}

static int on_query(struct session *ss, const struct bl_event *ev, struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    struct worker_ddl d;
    int rc = worker_ddl_parse_mode(ev->query ? ev->query : "", ev->schema, ev->sql_mode, &d);
    if (rc) {
        sync_err(e, false, "out of memory", NULL, NULL);
        return rc;
    }
    switch (d.kind) {
    case WDDL_BEGIN:
        ss->in_src_txn = true;
        break;
    case WDDL_COMMIT:
        ss->in_src_txn = false;
        set_pos(ss, ev);
        snprintf(ss->gtid, sizeof ss->gtid, "%s", ss->pending_gtid);
        break;
    case WDDL_DDL:
        rc = run_ddl(ss, ev, &d, e);
        ss->in_src_txn = false;
        break;
    case WDDL_DML:
        if (ev->schema && worker_rules_filter_ignore(rules, ev->schema, "", WEV_NULL, ev->query))
            break;
        rc = on_unsupported(ss, ev, &d, e);
        break;
    case WDDL_UNKNOWN:
        rc = on_unsupported(ss, ev, &d, e);
        break;
    case WDDL_SKIP:
        dm_log_kv(DM_LOG_INFO, "skip event", "task", ss->s->p.cfg->name, "statement",
                  ev->query, "rule", d.err, NULL);
        if (!ss->in_src_txn)
            set_pos(ss, ev);
        break;
    }
    worker_ddl_free(&d);
    return rc;
}

/* sql-inject: after a transaction end or DDL, queued statements run as QUERY events at
 * the current position (DM's tryInject). */
static int run_injected(struct session *ss, const struct bl_event *after, struct worker_terr *e)
{
    struct worker_sqlop *ops = ss->s->p.sqlops;
    char schema[WORKER_NAME_MAX];
    char *sql;
    int rc = DM_OK;
    if (!ops || ss->in_src_txn || !ss->file[0])
        return DM_OK;
    while (!rc && (sql = worker_sqlop_take_inject(ops, schema, sizeof schema)) != NULL) {
        struct bl_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = BL_EV_QUERY;
        snprintf(ev.file, sizeof ev.file, "%s", ss->file);
        ev.next_pos = ss->pos;
        ev.schema = schema;
        ev.query = sql;
        dm_log_kv(DM_LOG_INFO, "inject sql", "task", ss->s->p.cfg->name, "sql", sql, NULL);
        snprintf(ss->pending_gtid, sizeof ss->pending_gtid, "%s", ss->gtid);
        rc = on_query(ss, &ev, e);
        free(sql);
    }
    (void)after;
    return rc;
}

/* ---- event loop ---- */

static int on_event(struct session *ss, const struct bl_event *ev, struct worker_terr *e)
{
    switch (ev->kind) {
    case BL_EV_ROWS:
        return on_rows(ss, ev, e);
    case BL_EV_QUERY: {
        int rc = on_query(ss, ev, e);
        return rc ? rc : run_injected(ss, ev, e);
    }
    case BL_EV_GTID:
        snprintf(ss->pending_gtid, sizeof ss->pending_gtid, "%s", ev->gtid);
        if (!ev->gtid_standalone)
            ss->in_src_txn = true;
        return DM_OK;
    case BL_EV_XID:
        ss->in_src_txn = false;
        set_pos(ss, ev);
        snprintf(ss->gtid, sizeof ss->gtid, "%s", ss->pending_gtid);
        if (now_ms() - ss->last_cp_ms >= CP_INTERVAL_MS ||
            worker_dmlpool_keys(ss->pool) >= CP_MAX_KEYS) {
            int rc = commit(ss, e);
            if (rc)
                return rc;
        }
        return run_injected(ss, ev, e);
    case BL_EV_ROTATE:
    case BL_EV_OTHER:
        if (!ss->in_src_txn)
            set_pos(ss, ev);
        return DM_OK;
    }
    return DM_OK;
}

static int start_point(struct session *ss, struct worker_terr *e)
{
    const struct worker_syncer_params *p = &ss->s->p;
    bool found = false;
    char err[512] = "";
    int rc = worker_applier_load_checkpoint(ss->a, ss->file, sizeof ss->file, &ss->pos, &found, e);
    if (rc || found)
        return rc;
    if (p->start_file && p->start_file[0]) {
        snprintf(ss->file, sizeof ss->file, "%s", p->start_file);
        ss->pos = p->start_pos;
        return DM_OK;
    }
    if (p->cfg->meta_binlog_name) {
        snprintf(ss->file, sizeof ss->file, "%s", p->cfg->meta_binlog_name);
        ss->pos = p->cfg->meta_binlog_pos;
        return DM_OK;
    }
    rc = bl_source_status(&p->src, ss->file, sizeof ss->file, &ss->pos, ss->gtid,
                          sizeof ss->gtid, err, sizeof err);
    if (rc) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM,
                        WTE_LEVEL_HIGH, "database driver error: source %s: %s", p->source_id, err);
        e->transient = rc != DM_E_FORBIDDEN;
    }
    return rc;
}

static int open_reader(struct session *ss, struct worker_terr *e)
{
    struct worker_syncer *s = ss->s;
    char err[512] = "";
    int rc = bl_reader_open(&s->p.src, ss->file, ss->pos, &ss->r, err, sizeof err);
    if (rc) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM,
                        WTE_LEVEL_HIGH,
                        "database driver error: source %s: open binlog stream at (%s, %llu): %s",
                        s->p.source_id, ss->file, (unsigned long long)ss->pos, err);
        e->transient = rc == DM_E_UNAVAILABLE || rc == DM_E_DB;   /* not DM_E_FORBIDDEN */
        return rc;
    }
    pthread_mutex_lock(&s->mu);
    s->reader = ss->r;
    pthread_mutex_unlock(&s->mu);
    if (atomic_load(&s->stop))
        bl_reader_close(ss->r);
    return DM_OK;
}

static int read_loop(struct session *ss, struct worker_terr *e)
{
    struct worker_syncer *s = ss->s;
    char err[512] = "";
    int rc = DM_OK;
    while (!atomic_load(&s->stop)) {
        struct bl_event *ev = NULL;
        bool pending = ss->events > 0 || ss->dirty;
        rc = bl_reader_next(ss->r, pending ? 20 : 500, &ev, err, sizeof err);
        if (rc == DM_E_TIMEOUT) {
            rc = ss->in_src_txn ? DM_OK : commit(ss, e);
            pthread_mutex_lock(&s->mu);
            s->st.caught_up = !ss->in_src_txn && ss->events == 0;
            pthread_mutex_unlock(&s->mu);
            if (rc)
                return rc;
            continue;
        }
        if (rc == DM_E_CANCELLED)
            return DM_OK;
        if (rc) {
            worker_terr_set(e, rc == DM_E_PARSE ? WTE_SYNC_UNIT : WTE_DB_DRIVER,
                            rc == DM_E_PARSE ? WTE_CLASS_SYNC_UNIT : WTE_CLASS_DATABASE,
                            WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH, "source %s: read binlog at (%s, %llu): %s",
                            s->p.source_id, ss->file, (unsigned long long)ss->pos, err);
            e->transient = rc == DM_E_UNAVAILABLE;
            return rc;
        }
        if (s->st.caught_up) {
            pthread_mutex_lock(&s->mu);
            s->st.caught_up = false;
            pthread_mutex_unlock(&s->mu);
        }
        if ((rc = on_event(ss, ev, e)))
            return rc;
    }
    return DM_OK;
}

/* One connected session: target + source, until stop or error. */
static int session_run(struct worker_syncer *s, bool *remove_meta, struct worker_terr *e)
{
    struct session ss;
    const struct worker_subtask_cfg *c = s->p.cfg;
    int rc;
    memset(&ss, 0, sizeof ss);
    ss.s = s;
    ss.safe_until_ms = now_ms() + (s->p.safe_mode_ms > 0 ? s->p.safe_mode_ms : 60000);
    ss.last_cp_ms = now_ms() - CP_INTERVAL_MS;   /* first flush at the first txn end */
    rc = worker_applier_open(&c->to, c->meta_schema, c->name, s->p.source_id, &ss.a, e);
    if (!rc)
        rc = worker_applier_prepare_meta(ss.a, *remove_meta, e);
    if (!rc)
        rc = worker_dmlpool_open(&c->to, c->meta_schema, c->name, s->p.source_id,
                                 c->worker_count, c->batch, &ss.pool, e);
    if (!rc)
        rc = worker_onlineddl_open(c->online_ddl_scheme, ss.a, c->meta_schema, c->name,
                                   s->p.src.server_id, *remove_meta, &ss.od, e);
    if (!rc) {
        *remove_meta = false;
        rc = start_point(&ss, e);
        if (!rc)
            publish_start(&ss);
    }
    if (!rc)
        rc = worker_keyless_new(ss.a, &ss.kl, e);
    if (!rc)
        rc = open_reader(&ss, e);
    if (!rc) {
        dm_log_kv(DM_LOG_INFO, "sync unit started", "task", c->name, "binlog", ss.file, NULL);
        rc = read_loop(&ss, e);
    }
    if (ss.pool) {
        char nconf[24];
        if (!rc && !ss.in_src_txn) {
            struct worker_terr e2;
            (void)commit(&ss, &e2);           /* flush on stop */
        }
        char nskip[24];
        snprintf(nconf, sizeof nconf, "%llu",
                 (unsigned long long)worker_dmlpool_conflicts(ss.pool));
        snprintf(nskip, sizeof nskip, "%lld", (long long)ss.skipped);
        dm_log_kv(DM_LOG_INFO, "sync unit session end", "task", c->name, "causality-conflicts",
                  nconf, "skipped-keyless-rows", nskip, NULL);
    }
    worker_dmlpool_free(ss.pool);
    worker_onlineddl_cutover_free(&ss.cutover);
    worker_onlineddl_free(ss.od);
    worker_applier_free(ss.a);
    clear_tables(&ss);
    free(ss.tables);
    worker_keyless_free(ss.kl);
    if (ss.r) {
        pthread_mutex_lock(&s->mu);
        s->reader = NULL;
        pthread_mutex_unlock(&s->mu);
        bl_reader_free(ss.r);
    }
    return rc;
}

static void backoff_wait(struct worker_syncer *s, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->mu);
    if (!atomic_load(&s->stop))
        pthread_cond_timedwait(&s->cond, &s->mu, &ts);
    pthread_mutex_unlock(&s->mu);
}

static void *thread_main(void *arg)
{
    struct worker_syncer *s = arg;
    bool remove_meta = s->p.remove_meta;
    int64_t window = s->p.retry_window_ms > 0 ? s->p.retry_window_ms : 60000;
    int64_t fail_since = 0, delay = 500;
    while (!atomic_load(&s->stop)) {
        struct worker_terr e;
        int64_t before;
        int rc;
        memset(&e, 0, sizeof e);
        pthread_mutex_lock(&s->mu);
        before = s->st.total_events;
        pthread_mutex_unlock(&s->mu);
        rc = session_run(s, &remove_meta, &e);
        if (rc == DM_OK || atomic_load(&s->stop))
            break;
        pthread_mutex_lock(&s->mu);
        if (s->st.total_events != before)
            fail_since = 0;             /* made progress: a fresh failure window */
        pthread_mutex_unlock(&s->mu);
        if (!fail_since)
            fail_since = now_ms();
        dm_log_kv(DM_LOG_WARN, "sync unit error", "task", s->p.cfg->name, "error", e.msg,
                  "transient", e.transient ? "true" : "false", NULL);
        if (!e.transient || now_ms() - fail_since >= window) {
            pthread_mutex_lock(&s->mu);
            s->failed = true;
            s->err = e;
            pthread_mutex_unlock(&s->mu);
            break;
        }
        backoff_wait(s, delay);
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
    }
    pthread_mutex_lock(&s->mu);
    s->exited = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int worker_syncer_start(const struct worker_syncer_params *p, struct worker_syncer **out)
{
    struct worker_syncer *s = calloc(1, sizeof *s);
    int rc;
    *out = NULL;
    if (!s)
        return DM_E_NOMEM;
    s->p = *p;
    atomic_init(&s->stop, false);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->start_ms = now_ms();
    s->sample_ms = s->start_ms;
    if (p->cfg->enable_heartbeat &&
        (rc = worker_heartbeat_start(&p->src, p->src.server_id, p->cfg->heartbeat_update_interval,
                                     p->cfg->heartbeat_report_interval, p->cfg->name, &s->hb))) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cond);
        free(s);
        return rc;
    }
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) {
        worker_heartbeat_free(s->hb);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cond);
        free(s);
        return DM_E_INTERNAL;
    }
    s->started = true;
    *out = s;
    return DM_OK;
}

/* Wait up to ms for the thread to exit (s->mu held). true when it has. */
static bool wait_exit(struct worker_syncer *s, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    while (!s->exited)
        if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) != 0)
            break;
    return s->exited;
}

/* Past the grace period: kill the task's target connections (again every second: a
 * connection may be opened or a statement started meanwhile) until the thread exits. */
static void kill_until_exit(struct worker_syncer *s)
{
    const struct worker_subtask_cfg *c = s->p.cfg;
    int64_t wait = 0;
    while (!wait_exit(s, wait)) {
        struct worker_terr e;
        int n = 0, rc;
        pthread_mutex_unlock(&s->mu);
        rc = worker_applier_kill_task(&c->to, c->name, s->p.source_id, &n, &e);
        dm_log_kv(DM_LOG_WARN, "stop: target connections killed (stalled target)", "task",
                  c->name, "error", rc ? e.msg : NULL, NULL);
        pthread_mutex_lock(&s->mu);
        s->killed = s->killed || n > 0;
        wait = 1000;
    }
}

bool worker_syncer_stop(struct worker_syncer *s)
{
    int64_t grace;
    bool killed;
    if (!s || !s->started || s->joined)
        return s && s->killed;
    grace = s->p.stop_grace_ms > 0 ? s->p.stop_grace_ms : WORKER_SYNCER_STOP_GRACE_MS;
    atomic_store(&s->stop, true);
    pthread_mutex_lock(&s->mu);
    if (s->reader)
        bl_reader_close(s->reader);
    pthread_cond_broadcast(&s->cond);
    if (!wait_exit(s, grace))
        kill_until_exit(s);
    killed = s->killed;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->joined = true;
    return killed;
}

bool worker_syncer_failed(struct worker_syncer *s, struct worker_terr *err)
{
    bool f;
    pthread_mutex_lock(&s->mu);
    f = s->failed;
    if (f && err)
        *err = s->err;
    pthread_mutex_unlock(&s->mu);
    return f;
}

void worker_syncer_stats(struct worker_syncer *s, struct worker_sync_stats *st)
{
    int64_t now = now_ms(), el;
    pthread_mutex_lock(&s->mu);
    el = now - s->start_ms;
    s->st.total_tps = el > 0 ? s->st.total_events * 1000 / el : 0;
    if (now - s->sample_ms >= 1000) {
        s->st.recent_tps = (s->st.total_events - s->sample_events) * 1000 / (now - s->sample_ms);
        s->sample_ms = now;
        s->sample_events = s->st.total_events;
    }
    *st = s->st;
    pthread_mutex_unlock(&s->mu);
    st->have_lag = worker_heartbeat_lag(s->hb, &st->replication_lag);
}

void worker_syncer_free(struct worker_syncer *s)
{
    if (!s)
        return;
    worker_syncer_stop(s);
    worker_heartbeat_free(s->hb);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s);
}

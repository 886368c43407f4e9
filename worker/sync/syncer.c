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
#include "dm_error.h"
#include "log.h"

struct worker_syncer {
    struct worker_syncer_params p;
    pthread_t thread;
    bool started, joined;
    atomic_bool stop;
    pthread_mutex_t mu;           /* guards everything below + reader pointer */
    pthread_cond_t cond;
    struct bl_reader *reader;
    bool failed;
    struct worker_terr err;
    struct worker_sync_stats st;
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
    struct tcp *tcps;             /* per-table checkpoints loaded at start */
    size_t ntcps;
    const struct bl_event *ev;    /* rows event being generated */
    bool ev_keyless;              /* it produced key-less jobs */
    int64_t skipped;              /* key-less rows skipped (already applied) */
};

struct tcp {
    char *schema, *table, *file;
    uint64_t pos;
};

#define CP_INTERVAL_MS 1000       /* checkpoint flush at a transaction end after this */
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

/* ---- rows ---- */

/* (f1, p1) <= (f2, p2) for binlog positions of one source (names differ only in the
 * sequence suffix, which may grow by a digit). */
static bool pos_le(const char *f1, uint64_t p1, const char *f2, uint64_t p2)
{
    size_t l1 = strlen(f1), l2 = strlen(f2);
    int c = l1 != l2 ? (l1 < l2 ? -1 : 1) : strcmp(f1, f2);
    return c < 0 || (c == 0 && p1 <= p2);
}

static void load_tcp(void *ud, const struct worker_cp_row *r)
{
    struct session *ss = ud;
    struct tcp *t = realloc(ss->tcps, (ss->ntcps + 1) * sizeof *t);
    if (!t)
        return;
    ss->tcps = t;
    t = &ss->tcps[ss->ntcps];
    t->schema = strdup(r->schema);
    t->table = strdup(r->table);
    t->file = strdup(r->file);
    t->pos = r->pos;
    if (!t->schema || !t->table || !t->file) {
        free(t->schema);
        free(t->table);
        free(t->file);
        return;
    }
    ss->ntcps++;
}

static void free_tcps(struct session *ss)
{
    size_t i;
    for (i = 0; i < ss->ntcps; i++) {
        free(ss->tcps[i].schema);
        free(ss->tcps[i].table);
        free(ss->tcps[i].file);
    }
    free(ss->tcps);
    ss->tcps = NULL;
    ss->ntcps = 0;
}

/* Generator callback: key-less rows already covered by their table's checkpoint
 * (committed before a crash) are skipped; everything else goes to the pool. */
static int on_job(void *ud, const struct worker_rowjob *j, struct worker_terr *e)
{
    struct session *ss = ud;
    const struct bl_event *ev = ss->ev;
    struct worker_rowjob jj = *j;
    size_t i;
    if (j->keyless) {
        for (i = 0; i < ss->ntcps; i++) {
            const struct tcp *t = &ss->tcps[i];
            if (strcmp(t->schema, ev->table->schema) == 0 &&
                strcmp(t->table, ev->table->table) == 0 &&
                pos_le(ev->file, ev->next_pos, t->file, t->pos)) {
                ss->skipped++;
                return DM_OK;
            }
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

static bool ddl_item_skipped(const struct worker_rules *rules, const struct worker_ddl_item *it)
{
    const struct worker_ddl_ref *r = &it->refs[0];
    if (!worker_rules_bwl_allow(rules, r->schema, r->table))
        return true;
    if (worker_rules_filter_ignore(rules, r->schema, r->table, WEV_NULL, it->text))
        return true;
    return worker_rules_filter_ignore(rules, r->schema, r->table, it->ev, it->text);
}

static int apply_ddl_item(struct session *ss, const struct worker_ddl_item *it,
                          struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    char *sql;
    int rc;
    if (ddl_item_skipped(rules, it)) {
        dm_log_kv(DM_LOG_INFO, "skip DDL by rules", "task", ss->s->p.cfg->name, "sql", it->text,
                  NULL);
        return DM_OK;
    }
    sql = worker_ddl_rewrite(it, rules);
    if (!sql) {
        sync_err(e, false, "out of memory", NULL, NULL);
        return DM_E_NOMEM;
    }
    worker_rules_route(rules, it->refs[0].schema, it->refs[0].table, ts, sizeof ts, tt, sizeof tt);
    dm_log_kv(DM_LOG_INFO, "execute DDL", "task", ss->s->p.cfg->name, "sql", sql, NULL);
    rc = worker_applier_ddl(ss->a, it->refs[0].table[0] ? ts : NULL, sql, e);
    free(sql);
    if (!rc)
        ss->events++;
    return rc;
}

static int on_ddl(struct session *ss, const struct bl_event *ev, const struct worker_ddl *d,
                  struct worker_terr *e)
{
    size_t i;
    int rc;
    if ((rc = commit(ss, e)))          /* DML before the DDL, at the pre-DDL position */
        return rc;
    for (i = 0; i < d->n; i++) {
        if ((rc = apply_ddl_item(ss, &d->items[i], e)))
            return rc;
        touch_table(ss, d->items[i].refs[0].schema, d->items[i].refs[0].table);
    }
    set_pos(ss, ev);
    snprintf(ss->gtid, sizeof ss->gtid, "%s", ss->pending_gtid);
    return commit(ss, e);
}

static int on_query(struct session *ss, const struct bl_event *ev, struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    struct worker_ddl d;
    int rc = worker_ddl_parse(ev->query ? ev->query : "", ev->schema, &d);
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
        rc = on_ddl(ss, ev, &d, e);
        ss->in_src_txn = false;
        break;
    case WDDL_DML:
        if (ev->schema && worker_rules_filter_ignore(rules, ev->schema, "", WEV_NULL, ev->query))
            break;
        sync_err(e, false, "only support ROW format binlog, unexpected DML statement found "
                 "in query event: ", ev->query, NULL);
        e->code = WTE_SYNC_DML_STATEMENT;
        rc = DM_E_NOT_SUPPORTED;
        break;
    case WDDL_UNKNOWN:
        dm_log_kv(DM_LOG_WARN, "skip unrecognised query event", "task", ss->s->p.cfg->name,
                  "sql", ev->query, NULL);
        /* fall through */
    case WDDL_SKIP:
        if (!ss->in_src_txn)
            set_pos(ss, ev);
        break;
    }
    worker_ddl_free(&d);
    return rc;
}

/* ---- event loop ---- */

static int on_event(struct session *ss, const struct bl_event *ev, struct worker_terr *e)
{
    switch (ev->kind) {
    case BL_EV_ROWS:
        return on_rows(ss, ev, e);
    case BL_EV_QUERY:
        return on_query(ss, ev, e);
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
            worker_dmlpool_keys(ss->pool) >= CP_MAX_KEYS)
            return commit(ss, e);
        return DM_OK;
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
    ss.last_cp_ms = now_ms();
    rc = worker_applier_open(&c->to, c->meta_schema, c->name, s->p.source_id, &ss.a, e);
    if (!rc)
        rc = worker_applier_prepare_meta(ss.a, *remove_meta, e);
    if (!rc)
        rc = worker_dmlpool_open(&c->to, c->meta_schema, c->name, s->p.source_id,
                                 c->worker_count, c->batch, &ss.pool, e);
    if (!rc) {
        *remove_meta = false;
        rc = start_point(&ss, e);
    }
    if (!rc)
        rc = worker_applier_load_table_cps(ss.a, load_tcp, &ss, e);
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
    worker_applier_free(ss.a);
    clear_tables(&ss);
    free(ss.tables);
    free_tcps(&ss);
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
    return NULL;
}

int worker_syncer_start(const struct worker_syncer_params *p, struct worker_syncer **out)
{
    struct worker_syncer *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return DM_E_NOMEM;
    s->p = *p;
    atomic_init(&s->stop, false);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->start_ms = now_ms();
    s->sample_ms = s->start_ms;
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cond);
        free(s);
        return DM_E_INTERNAL;
    }
    s->started = true;
    *out = s;
    return DM_OK;
}

void worker_syncer_stop(struct worker_syncer *s)
{
    if (!s || !s->started || s->joined)
        return;
    atomic_store(&s->stop, true);
    pthread_mutex_lock(&s->mu);
    if (s->reader)
        bl_reader_close(s->reader);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->joined = true;
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
}

void worker_syncer_free(struct worker_syncer *s)
{
    if (!s)
        return;
    worker_syncer_stop(s);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s);
}

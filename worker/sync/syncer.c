/* syncer.c - the Sync unit thread (see syncer.h). */
#include "syncer.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "applier.h"
#include "ddl.h"
#include "ddl_exec.h"
#include "dmlpool.h"
#include "keyless.h"
#include "dm_error.h"
#include "heartbeat.h"
#include "log.h"
#include "relay_pos.h"
#include "merge_shape.h"
#include "online_ddl.h"
#include "shard_group.h"
#include "shard_exec.h"
#include "shard_meta.h"
#include "dbcharset.h"
#include "fkparent.h"
#include "srcmeta.h"
#include "systz.h"
#include "xa_track.h"
#include "dm_time.h"

#define SW_EXECUTED_MAX 16

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
    /* is-sharding: the DDL the thread blocks on (syncer.h "sharding DDL") */
    struct {
        bool blocking;            /* waiting for a decision */
        bool handed;              /* its DDLInfo was taken by the FetchDDLInfo stream */
        int64_t handed_ms;        /* ... then; offered again after DDLINFO_RESEND_MS */
        struct worker_ddl_info info;
        int decision;             /* -1 none, 0 skip, 1 execute */
        bool done;                /* this round's DDL handled (result below) */
        int rc;
        struct worker_terr err;
        int waiters;              /* exec callers inside worker_syncer_exec_ddl */
        char trace[129];          /* the decision's lock instance (ExecuteDDL traceGID) */
        /* lock instances this owner executed and checkpointed (done markers, shard_exec.h):
         * one per target, the latest */
        struct { char target[400]; char trace[129]; } executed[SW_EXECUTED_MAX];
        int nexecuted;
    } sw;
    char *shard_json;             /* published query-status view */
    /* Prepared XA transactions seen by this syncer's sessions (xa_track.h, stored with the
     * checkpoint); only the syncer thread uses it. */
    struct worker_xa *xa;
};

#define SP_MAX 32                 /* savepoints tracked per source transaction */

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
    uint32_t ddl_ts;              /* timestamp of the QUERY event whose DDL is being routed */
    bool ev_keyless;              /* it produced key-less jobs */
    int64_t skipped;              /* key-less rows skipped (already applied) */
    struct worker_onlineddl *od;  /* online-ddl-scheme (online_ddl.h), else NULL */
    struct worker_od_cutover cutover; /* executed, its record deleted after the checkpoint */
    struct wsk *sk;               /* is-sharding: groups + table points, else NULL */
    /* Savepoints of the current source transaction: name and the rows applied in it
     * (txn_rows) when it was set (savepoint_stmt). */
    struct { char name[WORKER_NAME_MAX]; int64_t rows; } sps[SP_MAX];
    size_t nsps;
    int64_t txn_rows;
    char txn_table[2 * WORKER_NAME_MAX + 8]; /* first table of txn_rows ("`s`.`t`") */
    /* Target with lower_case_table_names != 0 (lctn): the routed target names met so
     * far ("`s`.`t`", with the source name) - two differing only in letter case are one
     * table there (case_check). */
    int lctn;
    struct { char *target, *source; } *names;
    size_t nnames, names_cap;
    char systz[2][256];           /* SYSTEM time zone fingerprints: source, target (systz.h) */
    bool resync;                  /* re-syncing the held rows of resync_target */
    char resync_target[400];
    struct wsk_pos resync_end;    /* ... until the resolved DDL's end */
    struct worker_srcmeta *sm;    /* the source metadata connection (srcmeta.h) */
    struct worker_fkparent *fkp;  /* FOREIGN KEYs of replicated children on unreplicated
                                     parents (fkparent.h) */
};

#define CP_INTERVAL_MS 1000       /* checkpoint flush at a transaction end after this; the
                                     first one at the first transaction end of a session, so
                                     a worker restarting faster than this still progresses */
#define CP_MAX_KEYS (1u << 20)    /* ... or when the causality map grows past this */
#define CP_MAX_TABLES 4096
#define DDLINFO_RESEND_MS 10000   /* DM's reFetchInterval: a blocking DDLInfo goes to dm-master
                                     again (a restarted master rebuilds its lock from it) */

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

static int nomem(struct worker_terr *e)
{
    sync_err(e, false, "out of memory", NULL, NULL);
    return DM_E_NOMEM;
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

/* Write the checkpoint rows (rows[0] = the global one) after every DML connection
 * committed; the stats show the global position. */
static int write_checkpoint(struct session *ss, const struct worker_cp_row *rows, size_t n,
                            struct worker_terr *e)
{
    struct worker_syncer *s = ss->s;
    struct worker_terr e2;
    int rc = worker_xa_before_checkpoint(s->xa, ss->a, s->p.source_id, e);
    if (!rc)
        rc = worker_dmlpool_checkpoint(ss->pool, rows, n, e);
    if (rc)
        return rc;
    memset(&e2, 0, sizeof e2);
    if (worker_xa_after_checkpoint(s->xa, ss->a, s->p.source_id, rows[0].file, rows[0].pos,
                                   &e2))   /* a stale record: harmless */
        dm_log_kv(DM_LOG_WARN, "delete finished XA transaction records", "task",
                  s->p.cfg->name, "error", e2.msg, NULL);
    ss->dirty = false;
    ss->last_cp_ms = now_ms();
    pthread_mutex_lock(&s->mu);
    snprintf(s->st.syncer_file, sizeof s->st.syncer_file, "%s", rows[0].file);
    s->st.syncer_pos = rows[0].pos;
    snprintf(s->st.syncer_gtid, sizeof s->st.syncer_gtid, "%s", ss->gtid);
    s->st.have_pos = true;
    s->st.total_events += ss->events;
    pthread_mutex_unlock(&s->mu);
    ss->events = 0;
    /* a reader runs ahead of the checkpoint (its DML still queued or blocked): purge-relay
     * keeps the checkpoint's file too, which a restart (kill -9) reads from again */
    if (s->p.relay)
        worker_relay_hold(s->p.relay, s->p.cfg->name, rows[0].file);
    return DM_OK;
}

/* is-sharding: the global checkpoint stays at or before the first DDL of every
 * unresolved group (DM's AdjustGlobalPoint), so a restart meets those DDLs again. */
static void global_point(const struct session *ss, struct wsk_pos *g)
{
    struct wsk_pos low;
    snprintf(g->file, sizeof g->file, "%s", ss->file);
    g->pos = ss->pos;
    if (ss->sk && wsk_lowest_first(ss->sk, &low) && wsk_pos_cmp(&low, g) < 0)
        *g = low;
}

/* Checkpoint flush: every DML connection commits, then the checkpoint is written (the
 * global row and the rows of the tables touched since the last flush). */
static int commit(struct session *ss, struct worker_terr *e)
{
    int rc;
    struct worker_cp_row *rows;
    struct wsk_pos g, cur;
    size_t i;
    if (ss->events == 0 && !ss->dirty)
        return DM_OK;
    rows = calloc(ss->ntables + 1, sizeof *rows);
    if (!rows) {
        sync_err(e, false, "out of memory", NULL, NULL);
        return DM_E_NOMEM;
    }
    global_point(ss, &g);
    snprintf(cur.file, sizeof cur.file, "%s", ss->file);
    cur.pos = ss->pos;
    for (i = 0; i <= ss->ntables; i++) {
        rows[i].schema = i ? ss->tables[2 * (i - 1)] : "";
        rows[i].table = i ? ss->tables[2 * (i - 1) + 1] : "";
        rows[i].file = i ? ss->file : g.file;
        rows[i].pos = i ? ss->pos : g.pos;
        if (i && ss->sk) {
            char id[400];
            wsk_table_id(rows[i].schema, rows[i].table, id, sizeof id);
            wsk_point_set(ss->sk, id, &cur);
        }
    }
    rc = write_checkpoint(ss, rows, ss->ntables + 1, e);
    free(rows);
    if (!rc)
        clear_tables(ss);
    return rc;
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

/* ---- sharding: positions, status, rows (is-sharding; shard_group.h) ---- */

static int open_reader(struct session *ss, struct worker_terr *e);

static void ev_end(const struct bl_event *ev, struct wsk_pos *p)
{
    snprintf(p->file, sizeof p->file, "%s", ev->file);
    p->pos = ev->next_pos;
}

static void cur_pos(const struct session *ss, struct wsk_pos *p)
{
    snprintf(p->file, sizeof p->file, "%s", ss->file);
    p->pos = ss->pos;
}

/* Publish the query-status view: blocking DDLs and unresolved groups. */
static void shard_publish(struct session *ss)
{
    struct worker_syncer *s = ss->s;
    json_t *o = json_object(), *b = json_array();
    char *txt;
    size_t i;
    pthread_mutex_lock(&s->mu);
    for (i = 0; s->sw.blocking && i < s->sw.info.n; i++)
        json_array_append_new(b, json_string(s->sw.info.ddls[i]));
    pthread_mutex_unlock(&s->mu);
    json_object_set_new(o, "blockingDDLs", b);
    json_object_set_new(o, "unresolvedGroups", wsk_status_json(ss->sk));
    txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    pthread_mutex_lock(&s->mu);
    free(s->shard_json);
    s->shard_json = txt;
    pthread_mutex_unlock(&s->mu);
}

/* Rows of a source table not to apply now: outside the group being re-synced (the
 * main pass applied them), at or before the table's point (applied), or held (the
 * table met the group's unresolved DDL). */
static bool shard_skip_rows(struct session *ss, const char *schema, const char *table,
                            const char *ts, const char *tt, const struct bl_event *ev)
{
    char src[400], tgt[400];
    struct wsk_pos end, pt;
    wsk_table_id(schema, table, src, sizeof src);
    wsk_table_id(ts, tt, tgt, sizeof tgt);
    ev_end(ev, &end);
    if (ss->resync && strcmp(tgt, ss->resync_target) != 0)
        return true;
    if (wsk_point_get(ss->sk, src, &pt) && wsk_pos_cmp(&end, &pt) <= 0)
        return true;
    return wsk_in_syncing(ss->sk, tgt, src, &end);
}

/* Read on from p (re-sync start, next DDL of a sequence). */
static int redirect(struct session *ss, const struct wsk_pos *p, struct worker_terr *e)
{
    struct worker_syncer *s = ss->s;
    char at[300];
    pthread_mutex_lock(&s->mu);
    s->reader = NULL;
    pthread_mutex_unlock(&s->mu);
    bl_reader_free(ss->r);
    ss->r = NULL;
    snprintf(ss->file, sizeof ss->file, "%s", p->file);
    ss->pos = p->pos;
    ss->in_src_txn = false;
    wsk_pos_str(p, at, sizeof at);
    dm_log_kv(DM_LOG_INFO, "redirect binlog stream (sharding re-sync)", "task",
              s->p.cfg->name, "position", at, "target", ss->resync_target, NULL);
    return open_reader(ss, e);
}

/* The re-sync reached the resolved DDL's end: back to normal; a sequence with more DDLs
 * continues at the next one's first position (DM's closeShardingResync). *consumed: the
 * event is the resolved DDL itself (handled already). */
static int shard_resync_check(struct session *ss, const struct bl_event *ev, bool *consumed,
                              struct worker_terr *e)
{
    struct wsk_pos p, nx;
    int c;
    *consumed = false;
    if (!ss->resync || ev->next_pos == 0 || !ev->file[0])
        return DM_OK;
    ev_end(ev, &p);
    if ((c = wsk_pos_cmp(&p, &ss->resync_end)) < 0)
        return DM_OK;
    ss->resync = false;
    dm_log_kv(DM_LOG_INFO, "re-replicate shard group was completed", "task",
              ss->s->p.cfg->name, "target", ss->resync_target, NULL);
    if (c > 0)
        return DM_OK;
    *consumed = true;
    set_pos(ss, ev);
    if (wsk_active_first(ss->sk, ss->resync_target, &nx))
        return redirect(ss, &nx, e);
    return DM_OK;
}

/* ---- target names that differ only in letter case ---- */

#define NAMES_MAX 65536           /* routed names tracked per session */

/* Source table schema.table routed to ts.tt: a name that matches two route rules of one
 * level pauses (36031, the target is ambiguous). On a target whose table names are not case
 * sensitive, another source name routed to a name equal to ts.tt but for letter case
 * would write into the same table (its rows, DROP, CREATE ... skipped as "exists"),
 * silently. Such a pair pauses the task. ASCII letters only (MariaDB folds every
 * letter). */
static int case_check(struct session *ss, const char *schema, const char *table,
                      const char *ts, const char *tt, struct worker_terr *e)
{
    char tgt[2 * WORKER_NAME_MAX + 8], src[2 * WORKER_NAME_MAX + 8], why[1024];
    size_t i;
    if (worker_rules_route_check(ss->s->p.rules, schema, table, why, sizeof why)) {
        worker_terr_set(e, 36031, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "generate table router: %s", why);
        e->transient = false;
        return DM_E_INVAL;
    }
    if (!ss->lctn)
        return DM_OK;
    snprintf(tgt, sizeof tgt, "`%s`.`%s`", ts, tt);
    for (i = 0; i < ss->nnames; i++) {
        if (strcasecmp(ss->names[i].target, tgt) != 0)
            continue;
        if (strcmp(ss->names[i].target, tgt) == 0)
            return DM_OK;
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_DOWNSTREAM,
                        WTE_LEVEL_HIGH,
                        "source tables %s and `%s`.`%s` are routed to %s and %s, which are one "
                        "table on the target (lower_case_table_names=%d): their rows and DDL "
                        "would mix; route them to names that differ in more than letter case, "
                        "or filter one out", ss->names[i].source, schema, table,
                        ss->names[i].target, tgt, ss->lctn);
        e->transient = false;
        return DM_E_INVAL;
    }
    if (ss->nnames == NAMES_MAX)
        return DM_OK;
    if (ss->nnames == ss->names_cap) {
        size_t cap = ss->names_cap ? 2 * ss->names_cap : 64;
        void *p = realloc(ss->names, cap * sizeof *ss->names);
        if (!p)
            return nomem(e);
        ss->names = p;
        ss->names_cap = cap;
    }
    snprintf(src, sizeof src, "`%s`.`%s`", schema, table);
    ss->names[ss->nnames].target = strdup(tgt);
    ss->names[ss->nnames].source = strdup(src);
    if (!ss->names[ss->nnames].target || !ss->names[ss->nnames].source) {
        free(ss->names[ss->nnames].target);
        free(ss->names[ss->nnames].source);
        return nomem(e);
    }
    ss->nnames++;
    return DM_OK;
}

/* ts.tt is gone from the target (DROP TABLE, RENAME away): forget it. */
static void case_forget(struct session *ss, const char *ts, const char *tt)
{
    char tgt[2 * WORKER_NAME_MAX + 8];
    size_t i;
    snprintf(tgt, sizeof tgt, "`%s`.`%s`", ts, tt);
    for (i = 0; i < ss->nnames; i++) {
        if (strcmp(ss->names[i].target, tgt) != 0)
            continue;
        free(ss->names[i].target);
        free(ss->names[i].source);
        ss->names[i] = ss->names[--ss->nnames];
        return;
    }
}

static void names_free(struct session *ss)
{
    size_t i;
    for (i = 0; i < ss->nnames; i++) {
        free(ss->names[i].target);
        free(ss->names[i].source);
    }
    free(ss->names);
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
        return worker_fkparent_check(ss->fkp, ss->sm, p->rules, ev, e);
    if (worker_rules_filter_ignore(p->rules, t->schema, t->table, rows_event(ev->op), NULL))
        return DM_OK;
    worker_rules_route(p->rules, t->schema, t->table, ts, sizeof ts, tt, sizeof tt);
    if (ss->sk && shard_skip_rows(ss, t->schema, t->table, ts, tt, ev))
        return DM_OK;
    if ((rc = case_check(ss, t->schema, t->table, ts, tt, e)))
        return rc;
    safe = p->cfg->safe_mode || now_ms() < ss->safe_until_ms;
    ss->ev = ev;
    ss->ev_keyless = false;
    rc = worker_applier_gen_rows(ss->a, ev, ts, tt, safe, p->rules, on_job, ss, e);
    if (!rc && ss->ev_keyless)
        rc = worker_dmlpool_mark(ss->pool, t->schema, t->table, ev->file, ev->next_pos, e);
    ss->ev = NULL;
    if (!rc) {
        if (ss->txn_rows == 0)
            snprintf(ss->txn_table, sizeof ss->txn_table, "`%s`.`%s`", t->schema, t->table);
        ss->events += (int64_t)ev->nrows;
        ss->txn_rows += (int64_t)ev->nrows;
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

/* A CREATE TABLE (*sql, routed) without a table charset: its columns without one take the
 * database's default, which the target database (pre-created, routed, another server
 * default) may not share with the source's - the source database's default charset and
 * collation as the statement met it (the table's own when the source table is unchanged
 * since, else the database's now: dbcharset.h) go into the statement. A database
 * gone from the source: the statement as it is (a later DROP DATABASE in the binlog drops
 * the table again). */
static int db_charset(struct session *ss, const char *schema, const char *table, char **sql,
                      struct worker_terr *e)
{
    char cs[64], coll[64], *out;
    size_t at, n;
    bool found = false;
    int rc;
    if (worker_ddl_charset_need(*sql, &at) != WDDL_CS_ADD)
        return DM_OK;
    rc = worker_dbcharset_created(ss->sm, schema, table, ss->ddl_ts, cs, sizeof cs,
                                  coll, sizeof coll, &found, e);
    if (rc || !found)
        return rc;
    n = strlen(*sql) + strlen(cs) + strlen(coll) + 32;
    if (!(out = malloc(n)))
        return nomem(e);
    snprintf(out, n, "%.*s DEFAULT CHARSET=%s COLLATE=%s%s", (int)at, *sql, cs, coll, *sql + at);
    free(*sql);
    *sql = out;
    return DM_OK;
}

/* The routed statement of one item, unless the rules filter it out. */
static int push_item(struct session *ss, const struct worker_ddl_item *it, struct stmts *st,
                     struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX], *sql;
    if (ddl_item_skipped(rules, it)) {
        dm_log_kv(DM_LOG_INFO, "skip DDL by rules", "task", ss->s->p.cfg->name, "sql",
                  it->text, NULL);
        return DM_OK;
    }
    for (size_t k = 0; k < it->nrefs; k++) {
        int rc;
        worker_rules_route(rules, it->refs[k].schema, it->refs[k].table, ts, sizeof ts, tt,
                           sizeof tt);
        if ((rc = case_check(ss, it->refs[k].schema, it->refs[k].table, ts, tt, e)))
            return rc;
        if (k == 0 && (it->ev == WEV_DROP_TABLE || it->ev == WEV_RENAME_TABLE))
            case_forget(ss, ts, tt);
    }
    worker_rules_route(rules, it->refs[0].schema, it->refs[0].table, ts, sizeof ts, tt,
                       sizeof tt);
    sql = worker_ddl_rewrite(it, rules);
    if (sql && it->ev == WEV_CREATE_TABLE && it->refs[0].table[0]) {
        int rc = db_charset(ss, it->refs[0].schema, it->refs[0].table, &sql, e);
        if (rc) {
            free(sql);
            return rc;
        }
    }
    if (stmts_push(st, sql, it->refs[0].table[0] ? ts : "")) {
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
                      bool *ignored, struct worker_terr *e)
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
        if (ignored && worker_applier_ddl_ignored(ss->a))
            *ignored = true;
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

/* ---- sharding: DDL (DM handleQueryEvent's sharding branch) ---- */

static void shard_err(struct worker_terr *e, const struct bl_event *ev, int code,
                      const char *msg)
{
    worker_terr_set(e, code ? code : WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                    WTE_LEVEL_HIGH, "%s", msg);
    e->transient = false;
    set_failed(e, ev, ev->query);
}

/* Block until ExecuteDDL / BreakDDLLock decides (*exec) or the unit stops
 * (DM_E_CANCELLED). The DDLInfo is offered to the FetchDDLInfo stream meanwhile. */
static int shard_wait(struct session *ss, const char *ts, const char *tt,
                      const struct stmts *st, bool *exec)
{
    struct worker_syncer *s = ss->s;
    char **d = calloc(st->n + 1, sizeof *d);
    size_t i;
    int dec;
    for (i = 0; d && i < st->n; i++)
        if (!(d[i] = strdup(st->sql[i])))
            break;
    pthread_mutex_lock(&s->mu);
    /* the previous round's ExecuteDDL must read its result first: resetting `done` under it
     * left it waiting for this round (5 min 30 s; dm-master kept the resolved lock and
     * refused this DDL with 38016 meanwhile - a table already at its next DDL) */
    while (s->sw.waiters > 0)
        pthread_cond_wait(&s->cond, &s->mu);
    worker_ddl_info_clear(&s->sw.info);
    snprintf(s->sw.info.schema, sizeof s->sw.info.schema, "%s", ts);
    snprintf(s->sw.info.table, sizeof s->sw.info.table, "%s", tt);
    s->sw.info.ddls = d;
    s->sw.info.n = d ? i : 0;
    s->sw.blocking = true;
    s->sw.handed = false;
    s->sw.decision = -1;
    s->sw.done = false;
    pthread_mutex_unlock(&s->mu);
    shard_publish(ss);
    dm_log_kv(DM_LOG_INFO, "source shard group is synced, waiting for the DDL lock", "task",
              s->p.cfg->name, "ddl", st->n ? st->sql[0] : "", NULL);
    pthread_mutex_lock(&s->mu);
    while (s->sw.decision < 0 && !atomic_load(&s->stop))
        pthread_cond_wait(&s->cond, &s->mu);
    dec = s->sw.decision;
    pthread_mutex_unlock(&s->mu);
    if (dec < 0)
        return DM_E_CANCELLED;
    *exec = dec == 1;
    return DM_OK;
}

static void shard_done(struct session *ss, int rc, const struct worker_terr *e)
{
    struct worker_syncer *s = ss->s;
    pthread_mutex_lock(&s->mu);
    s->sw.blocking = false;
    s->sw.done = true;
    s->sw.rc = rc;
    if (rc && e)
        s->sw.err = *e;
    worker_ddl_info_clear(&s->sw.info);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    shard_publish(ss);
}

/* "`db`.`tbl`" -> db, tbl (the IDs wsk_table_id makes). */
static void unpack_id(const char *id, char *schema, size_t scap, char *table, size_t tcap)
{
    const char *mid = strstr(id, "`.`");
    size_t len = strlen(id);
    schema[0] = table[0] = '\0';
    if (!mid || len < 5)
        return;
    snprintf(schema, scap, "%.*s", (int)(mid - id - 1), id + 1);
    snprintf(table, tcap, "%.*s", (int)(id + len - 1 - (mid + 3)), mid + 3);
}

/* The group's DDL was executed or skipped: the sequence moves on (meta first: a crash
 * before the checkpoint meets the DDLs again), the checkpoint gets the global point at
 * the first DDL's end and every table of the group its point (its own DDL's end); then
 * the execution marker goes (shard_exec.h). *fe: where the held rows are re-synced from
 * (shard_resync). */
static int shard_resolve(struct session *ss, const char *tgt, const struct wsk_pos *end,
                         struct wsk_pos *fe, struct worker_terr *e)
{
    const struct worker_syncer_params *p = &ss->s->p;
    const char **srcs = calloc(WSK_MAX_SOURCES, sizeof *srcs);
    struct worker_cp_row *rows = NULL;
    struct wsk_pos *pts = NULL, low;
    char (*names)[2][WORKER_NAME_MAX] = NULL;
    size_t n = 0, i;
    bool all = false;
    int rc = srcs ? DM_OK : DM_E_NOMEM;
    if (!rc && !wsk_first_end(ss->sk, tgt, fe))
        *fe = *end;
    if (!rc)
        rc = wsk_resolve(ss->sk, tgt, &all);
    if (!rc)
        rc = worker_shard_meta_flush(ss->a, p->source_id, ss->sk, tgt, e);
    if (rc)
        goto out;
    wsk_reset(ss->sk, tgt);
    n = wsk_sources(ss->sk, tgt, srcs, WSK_MAX_SOURCES);
    rows = calloc(n + 1, sizeof *rows);
    pts = calloc(n + 1, sizeof *pts);
    names = calloc(n + 1, sizeof *names);
    if (!rows || !pts || !names) {
        rc = DM_E_NOMEM;
        goto out;
    }
    pts[0] = wsk_pos_cmp(fe, end) < 0 ? *fe : *end;
    if (wsk_lowest_first(ss->sk, &low) && wsk_pos_cmp(&low, &pts[0]) < 0)
        pts[0] = low;
    rows[0] = (struct worker_cp_row){ "", "", pts[0].file, pts[0].pos };
    for (i = 0; i < n; i++) {
        if (!wsk_point_get(ss->sk, srcs[i], &pts[i + 1]))
            pts[i + 1] = *end;
        unpack_id(srcs[i], names[i][0], WORKER_NAME_MAX, names[i][1], WORKER_NAME_MAX);
        rows[i + 1] = (struct worker_cp_row){ names[i][0], names[i][1], pts[i + 1].file,
                                              pts[i + 1].pos };
    }
    if ((rc = write_checkpoint(ss, rows, n + 1, e)))
        goto out;
    rc = worker_shard_exec_done(ss->a, p->source_id, tgt, e);
out:
    if (rc == DM_E_NOMEM)
        sync_err(e, false, "out of memory", NULL, NULL);
    free(srcs);
    free(rows);
    free(pts);
    free(names);
    return rc;
}

/* After the resolution's checkpoint: the held rows are re-synced from fe up to the DDL's
 * end (DM's ShardingReSync), or replication goes on after the DDL. */
static int shard_resync(struct session *ss, const struct bl_event *ev, const char *tgt,
                        const struct wsk_pos *fe, const struct wsk_pos *end,
                        struct worker_terr *e)
{
    int rc = DM_OK;
    if (wsk_pos_cmp(fe, end) < 0) {
        ss->resync = true;
        snprintf(ss->resync_target, sizeof ss->resync_target, "%s", tgt);
        ss->resync_end = *end;
        rc = redirect(ss, fe, e);
    } else {
        set_pos(ss, ev);
    }
    shard_publish(ss);
    return rc;
}

/* Test hook: DMGW_FAILPOINT=<name> kills this process with SIGKILL at that point (the
 * kill -9 regression tests of the sharding DDL windows; docs/drills.md). */
static void failpoint(const char *name)
{
    const char *v = getenv("DMGW_FAILPOINT");
    if (v && strcmp(v, name) == 0) {
        dm_log_kv(DM_LOG_WARN, "failpoint: SIGKILL", "name", name, NULL);
        raise(SIGKILL);
    }
}

/* Take the statements of a marker found for this DDL (ownership moves to st). */
static void take_marked(struct stmts *st, struct worker_shard_mark *m)
{
    stmts_free(st);
    st->sql = m->sql;
    st->use = m->use;
    st->n = st->cap = m->n;
    m->sql = m->use = NULL;
    m->n = 0;
}

/* The owner runs the resolved DDL exactly once (shard_exec.h): a marker before each
 * statement; a marker of this DDL left by a killed run says where to go on. */
static int shard_exec(struct session *ss, const struct bl_event *ev, const char *ts,
                      const char *tt, const char *tgt, const struct wsk_pos *end,
                      struct stmts *st, struct worker_terr *e)
{
    const char *sid = ss->s->p.source_id;
    struct worker_shard_mark m;
    char at[320], *def = NULL, idx[16], trace[129];
    size_t i = 0;
    int rc;
    wsk_pos_str(end, at, sizeof at);
    rc = worker_shard_exec_load(ss->a, sid, tgt, &m, e);
    if (!rc && m.found && m.idx >= 0 && strcmp(m.end, at) == 0) {
        rc = worker_shard_exec_wait_conn(ss->a, m.conn, &ss->s->stop, e);
        if (!rc)
            rc = worker_shard_exec_schema(ss->a, ts, tt, &def, e);
        if (!rc) {
            bool ran = strcmp(def, m.before) != 0;
            i = (size_t)m.idx + (ran ? 1 : 0);
            snprintf(idx, sizeof idx, "%d", m.idx);
            dm_log_kv(DM_LOG_WARN, ran ? "sharding DDL statement ran before the restart, "
                      "not run again" : "sharding DDL statement did not run before the "
                      "restart, run it", "task", ss->s->p.cfg->name, "target", tgt,
                      "position", at, "statement", idx, "sql",
                      (size_t)m.idx < m.n ? m.sql[m.idx] : "", NULL);
            take_marked(st, &m);
        }
    }
    worker_shard_mark_clear(&m);
    pthread_mutex_lock(&ss->s->mu);
    snprintf(trace, sizeof trace, "%s", ss->s->sw.trace);
    pthread_mutex_unlock(&ss->s->mu);
    for (; !rc && i < st->n; i++) {
        free(def);
        def = NULL;
        rc = worker_shard_exec_schema(ss->a, ts, tt, &def, e);
        if (!rc)
            rc = worker_shard_exec_save(ss->a, sid, tgt, at, trace, (int)i, st->sql, st->use,
                                        st->n, def, e);
        if (rc)
            break;
        failpoint("shard-ddl-marked");
        dm_log_kv(DM_LOG_INFO, "execute DDL", "task", ss->s->p.cfg->name, "sql", st->sql[i],
                  NULL);
        rc = worker_applier_ddl(ss->a, st->use[i][0] ? st->use[i] : NULL, st->sql[i], ev, e);
        if (!rc)
            ss->events++;
    }
    free(def);
    if (rc == DM_E_CANCELLED)
        worker_terr_set(e, 36059, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "the Sync unit stopped while a killed run's sharding DDL still ran on "
                        "the target; it is met again when the task resumes");
    else if (rc)
        set_failed(e, ev, i < st->n ? st->sql[i] : ev->query);
    if (!rc)
        failpoint("shard-ddl-executed");
    return rc;
}

/* A marker of the non-sharded path (ddl_exec.h) left for this event by a killed run:
 * *from = the statement to go on with (st takes the marker's list), or a named pause
 * when the target cannot tell whether statement idx ran. *live: a marker for this event. */
static int ddl_resume(struct session *ss, const struct bl_event *ev, const char *at,
                      struct stmts *st, size_t *from, bool *live, struct worker_terr *e)
{
    struct worker_shard_mark m;
    bool changed = false;
    char idx[16];
    int rc = worker_shard_exec_load(ss->a, ss->s->p.source_id, WORKER_DDL_MARK_TARGET, &m, e);
    *from = 0;
    *live = !rc && m.found && m.idx != -1 && strcmp(m.end, at) == 0 &&
            (size_t)(m.idx >= 0 ? m.idx : -2 - m.idx) < m.n;
    if (*live && m.idx <= -2) {   /* it failed: it did not run */
        *from = (size_t)(-2 - m.idx);
        dm_log_kv(DM_LOG_WARN, "DDL statement failed on the target before the restart, run it",
                  "task", ss->s->p.cfg->name, "position", at, "sql", m.sql[*from], NULL);
        take_marked(st, &m);
    }
    if (!*live || m.idx <= -2) {
        worker_shard_mark_clear(&m);
        return rc;
    }
    rc = worker_shard_exec_wait_conn(ss->a, m.conn, &ss->s->stop, e);
    if (rc == DM_E_CANCELLED)
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "the Sync unit stopped while a killed run's DDL still ran on the "
                        "target; it is met again when the task resumes");
    if (!rc)
        rc = worker_ddl_exec_changed(ss->a, m.before, &changed, e);
    snprintf(idx, sizeof idx, "%d", m.idx);
    if (!rc && !changed && worker_ddl_replay_blind(m.sql[m.idx])) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "DDL statement %d of the event at %s was running on the target when "
                        "dm-worker or its target connection went away (%.600s); the target "
                        "cannot tell whether it took effect "
                        "(a second run would change it again: a swap of names or an EXCHANGE "
                        "PARTITION); check the target: if it ran, sql-skip --binlog-pos "
                        "%s:%llu (or sql-replace it with the statements after it), if not, "
                        "sql-replace --binlog-pos %s:%llu with it and the statements after it; "
                        "then resume-task", m.idx, at, m.sql[m.idx], ev->file,
                        (unsigned long long)ev->next_pos, ev->file,
                        (unsigned long long)ev->next_pos);
        e->transient = false;
        set_failed(e, ev, m.sql[m.idx]);
        rc = DM_E_NOT_SUPPORTED;
    } else if (!rc) {
        *from = (size_t)m.idx + (changed ? 1 : 0);
        dm_log_kv(DM_LOG_WARN, changed ? "DDL statement ran before the restart, not run again"
                  : "DDL statement did not run before the restart, run it", "task",
                  ss->s->p.cfg->name, "position", at, "statement", idx, "sql", m.sql[m.idx],
                  NULL);
        take_marked(st, &m);
    }
    worker_shard_mark_clear(&m);
    return rc;
}

/* Statement i answered an error of the server (not of the connection: a lost one may have
 * run it): it did not run; its marker says so (stmt_index -2 - i), so the restart runs it
 * again whatever the statement (the error named, not "cannot tell"). Best effort: the
 * statement's error is the one reported. */
static void ddl_failed(struct session *ss, size_t i, const char *state, int rc)
{
    struct worker_terr e2;
    if (rc != DM_E_DB)     /* DM_E_UNAVAILABLE: the connection went away (applier.h) */
        return;
    (void)worker_shard_exec_step(ss->a, ss->s->p.source_id, WORKER_DDL_MARK_TARGET,
                                 -2 - (int)i, state, &e2);
}

/* The statements of a DDL event on the target, each exactly once (ddl_exec.h): a marker
 * before each; a marker of this event left by a killed run says where to go on (not when
 * an operator replaced the event: its statements run). *marked: the marker is to be
 * marked done after the checkpoint. */
static int ddl_exec(struct session *ss, const struct bl_event *ev, struct stmts *st,
                    bool operator, bool *ignored, bool *marked, struct worker_terr *e)
{
    const char *sid = ss->s->p.source_id;
    struct wsk_pos end;
    char at[320], *state = NULL;
    size_t i = 0;
    bool live = false, saved;
    int rc = DM_OK;
    ev_end(ev, &end);
    wsk_pos_str(&end, at, sizeof at);
    if (!operator)
        rc = ddl_resume(ss, ev, at, st, &i, &live, e);
    *marked = operator || live || (!rc && i < st->n);
    saved = live;          /* a killed run's row holds this list (take_marked) */
    for (; !rc && i < st->n; i++) {
        free(state);
        state = NULL;
        rc = worker_ddl_exec_state(ss->a, st->sql[i], st->use[i], &state, e);
        if (!rc && !saved)
            rc = worker_shard_exec_save(ss->a, sid, WORKER_DDL_MARK_TARGET, at, "", (int)i,
                                        st->sql, st->use, st->n, state, e);
        else if (!rc)       /* the list is there: one small UPDATE per statement */
            rc = worker_shard_exec_step(ss->a, sid, WORKER_DDL_MARK_TARGET, (int)i, state, e);
        saved = saved || !rc;
        if (rc)
            break;
        failpoint("ddl-marked");
        dm_log_kv(DM_LOG_INFO, "execute DDL", "task", ss->s->p.cfg->name, "sql", st->sql[i],
                  NULL);
        rc = worker_applier_ddl(ss->a, st->use[i][0] ? st->use[i] : NULL, st->sql[i], ev, e);
        if (rc) {
            ddl_failed(ss, i, state, rc);
            set_failed(e, ev, st->sql[i]);
            break;
        }
        if (worker_applier_ddl_ignored(ss->a))
            *ignored = true;
        ss->events++;
    }
    free(state);
    return rc;
}

/* Remember that this owner executed (and checkpointed) lock instance `trace` (NULL: the
 * current decision's) of target tgt: the latest per target. */
static void executed_add(struct worker_syncer *s, const char *tgt, const char *trace)
{
    int i;
    pthread_mutex_lock(&s->mu);
    if (!trace)
        trace = s->sw.trace;
    for (i = 0; i < s->sw.nexecuted && strcmp(s->sw.executed[i].target, tgt); i++)
        ;
    if (i == s->sw.nexecuted && i == SW_EXECUTED_MAX) {   /* drop the oldest */
        memmove(&s->sw.executed[0], &s->sw.executed[1], (SW_EXECUTED_MAX - 1) * sizeof s->sw.executed[0]);
        i = SW_EXECUTED_MAX - 1;
    } else if (i == s->sw.nexecuted) {
        s->sw.nexecuted++;
    }
    if (trace[0]) {
        snprintf(s->sw.executed[i].target, sizeof s->sw.executed[i].target, "%s", tgt);
        snprintf(s->sw.executed[i].trace, sizeof s->sw.executed[i].trace, "%s", trace);
    } else {                                              /* no instance: forget it */
        s->sw.executed[i] = s->sw.executed[--s->sw.nexecuted];
    }
    pthread_mutex_unlock(&s->mu);
}

/* A marker at session start (shard_open): its lock instance was executed and checkpointed
 * when it is marked done, or when a table of its group has a checkpoint point at or past
 * the DDL's end (killed between the resolution's checkpoint and the done mark; before
 * that checkpoint every group table's point is before the resolving DDL's end). */
static void executed_load(void *ud, const char *tgt, const char *end, int idx, const char *trace)
{
    struct session *ss = ud;
    const char **srcs;
    struct wsk_pos e, pt;
    unsigned long long pos;
    bool done = idx < 0;
    size_t n;
    if (!trace[0] || sscanf(end, "(%255[^,], %llu)", e.file, &pos) != 2)
        return;
    e.pos = pos;
    if (!done && (srcs = calloc(WSK_MAX_SOURCES, sizeof *srcs))) {
        n = wsk_sources(ss->sk, tgt, srcs, WSK_MAX_SOURCES);
        for (size_t i = 0; !done && i < n; i++)
            done = wsk_point_get(ss->sk, srcs[i], &pt) && wsk_pos_cmp(&pt, &e) >= 0;
        free(srcs);
    }
    if (done)
        executed_add(ss->s, tgt, trace);
}

/* A DDL of a group's table: try to sync it; not the last table of the group: hold the
 * table (its rows wait), else wait for dm-master's decision, execute or skip, resolve. */
static int shard_sync(struct session *ss, const struct bl_event *ev, const struct worker_ddl *d,
                      const struct worker_ddl_item *it0, struct worker_terr *e)
{
    const struct worker_syncer_params *p = &ss->s->p;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX], src[400], tgt[400], err[1024] = "";
    struct wsk_pos first, end, pt, fe;
    struct wsk_sync r;
    struct stmts st = { 0 };
    bool exec = false, applied = false;
    int code = 0, rc = DM_OK;
    size_t i;
    char nrem[16];
    worker_rules_route(p->rules, it0->refs[0].schema, it0->refs[0].table, ts, sizeof ts, tt,
                       sizeof tt);
    wsk_table_id(it0->refs[0].schema, it0->refs[0].table, src, sizeof src);
    wsk_table_id(ts, tt, tgt, sizeof tgt);
    cur_pos(ss, &first);
    ev_end(ev, &end);
    if (wsk_point_get(ss->sk, src, &pt) && wsk_pos_cmp(&end, &pt) <= 0) {
        dm_log_kv(DM_LOG_INFO, "ignore obsolete DDL", "task", p->cfg->name, "sql", ev->query,
                  NULL);
        set_pos(ss, ev);
        return DM_OK;
    }
    if (!wsk_group_of(ss->sk, src) &&
        (rc = wsk_add(ss->sk, tgt, src, true, &code, err, sizeof err))) {
        shard_err(e, ev, code, err[0] ? err : "out of memory");
        return rc;
    }
    for (i = 0; i < d->n && !rc; i++)
        if (!ddl_item_skipped(p->rules, &d->items[i]))
            rc = stmts_push(&st, worker_ddl_rewrite(&d->items[i], p->rules), ts);
    if (!rc)
        rc = wsk_try_sync(ss->sk, tgt, src, &first, &end, st.sql, st.n, &r, &code, err,
                          sizeof err);
    if (rc) {
        if (!err[0])
            snprintf(err, sizeof err, "sharding DDL of %s (group %s, %zu statements): %s", src,
                     tgt, st.n, dm_strerror(rc));
        shard_err(e, ev, code, err);
        goto out;
    }
    if ((rc = worker_shard_meta_flush(ss->a, p->source_id, ss->sk, tgt, e)))
        goto out;
    snprintf(nrem, sizeof nrem, "%d", r.remain);
    dm_log_kv(DM_LOG_INFO, "try to sync table in shard group", "task", p->cfg->name, "source",
              src, "target", tgt, "unsynced", nrem, "active", r.active ? "true" : "false",
              "sql", ev->query, NULL);
    if (r.active)
        wsk_point_set(ss->sk, src, &end);
    if (!r.active || !r.synced) {
        set_pos(ss, ev);
        shard_publish(ss);
        goto out;
    }
    rc = shard_wait(ss, ts, tt, &st, &exec);
    if (rc == DM_E_CANCELLED) {
        rc = DM_OK;                   /* stopping: met again after the restart */
        goto out;
    }
    dm_log_kv(DM_LOG_INFO, exec ? "execute DDL job" : "ignore DDL job", "task", p->cfg->name,
              "target", tgt, "sql", st.n ? st.sql[0] : "", NULL);
    if (exec && st.n > 0)
        rc = try_operator(ss, ev, &st, &applied, e);
    if (!rc && exec)
        rc = shard_exec(ss, ev, ts, tt, tgt, &end, &st, e);
    worker_applier_invalidate(ss->a, ts, tt);   /* the owner changed the target table */
    if (rc == DM_E_CANCELLED) {   /* stopping while a killed run's DDL still ran */
        shard_done(ss, rc, e);
        rc = DM_OK;
        goto out;
    }
    if (!rc && !exec)
        failpoint("shard-ddl-skipped");
    if (!rc)
        rc = shard_resolve(ss, tgt, &end, &fe, e);
    if (!rc && exec)
        executed_add(ss->s, tgt, NULL);
    if (!rc && exec)
        failpoint("shard-ddl-resolved");
    shard_done(ss, rc, e);        /* ExecuteDDL answers once the checkpoint is written */
    if (!rc)
        rc = shard_resync(ss, ev, tgt, &fe, &end, e);
out:
    stmts_free(&st);
    return rc;
}

/* DROP DATABASE / DROP TABLE of group tables: they leave their groups, nothing runs on
 * the merged target; TRUNCATE of a group table is ignored (DM). */
static int shard_leave(struct session *ss, const struct bl_event *ev, const char *schema,
                       const char *table, struct worker_terr *e)
{
    const char *ids[64], *tgts[64];
    char one[400], err[1024] = "";
    size_t n;
    int code = 0, rc = DM_OK;
    do {                          /* a schema's tables leave 64 at a time */
        if (table) {
            wsk_table_id(schema, table, one, sizeof one);
            ids[0] = one;
            tgts[0] = wsk_group_of(ss->sk, one);
            n = tgts[0] ? 1 : 0;
        } else {
            n = wsk_sources_of_schema(ss->sk, schema, ids, tgts, 64);
        }
        for (size_t i = n; i-- > 0 && !rc;) {   /* last first: ids stay valid */
            char tgt[400], id[400];
            snprintf(tgt, sizeof tgt, "%s", tgts[i]);
            snprintf(id, sizeof id, "%s", ids[i]);
            rc = wsk_leave(ss->sk, tgt, id, &code, err, sizeof err);
            if (!rc)
                rc = worker_shard_meta_flush(ss->a, ss->s->p.source_id, ss->sk, tgt, e);
            else
                shard_err(e, ev, code, err);
        }
    } while (!rc && n > 0 && !table);
    return rc;
}

/* is-sharding: *handled false when the event is not about a table of a group (then the
 * normal path runs it; CREATE TABLE joins its group first). */
static int shard_ddl(struct session *ss, const struct bl_event *ev, const struct worker_ddl *d,
                     bool *handled, struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    const struct worker_ddl_item *it0 = NULL;
    size_t i;
    int rc = DM_OK;
    *handled = false;
    for (i = 0; i < d->n && !rc; i++) {
        const struct worker_ddl_item *it = &d->items[i];
        const struct worker_ddl_ref *r = &it->refs[0];
        if (it->nrefs == 0 || ddl_item_skipped(rules, it))
            continue;
        if (it->ev == WEV_DROP_DATABASE || it->ev == WEV_DROP_TABLE) {
            *handled = true;
            rc = shard_leave(ss, ev, r->schema, it->ev == WEV_DROP_TABLE ? r->table : NULL, e);
        } else if (it->ev == WEV_TRUNCATE_TABLE) {
            *handled = true;
            dm_log_kv(DM_LOG_INFO, "ignore truncate table statement in shard group", "task",
                      ss->s->p.cfg->name, "sql", it->text, NULL);
        } else if (it->ev == WEV_CREATE_TABLE && r->table[0]) {
            char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX], src[400], tgt[400], err[1024] = "";
            int code = 0;
            worker_rules_route(rules, r->schema, r->table, ts, sizeof ts, tt, sizeof tt);
            wsk_table_id(r->schema, r->table, src, sizeof src);
            wsk_table_id(ts, tt, tgt, sizeof tgt);
            if ((rc = wsk_add(ss->sk, tgt, src, true, &code, err, sizeof err)))
                shard_err(e, ev, code, err[0] ? err : "out of memory");
        } else if (r->table[0] && !it0) {
            it0 = it;
        } else if (r->table[0] && (strcmp(r->schema, it0->refs[0].schema) ||
                                   strcmp(r->table, it0->refs[0].table))) {
            char msg[1000];
            snprintf(msg, sizeof msg, "ddl on multiple table: %.900s not supported",
                     ev->query ? ev->query : "");
            shard_err(e, ev, 36022, msg);
            rc = DM_E_NOT_SUPPORTED;
        }
    }
    if (rc)
        return rc;
    if (it0) {
        *handled = true;
        return shard_sync(ss, ev, d, it0, e);
    }
    if (*handled) {
        set_pos(ss, ev);
        rc = commit(ss, e);
    }
    return rc;
}

/* A DDL event: DML before it committed (at the pre-DDL position), its routed statements
 * (or an operator's replacement) run, checkpoint right after (DM's handleQueryEvent). */
static int on_unsupported(struct session *ss, const struct bl_event *ev,
                          const struct worker_ddl *d, struct worker_terr *e);

/* An ALTER TABLE adding (or making) an AUTO_INCREMENT column numbers the rows a table
 * already has in its storage order, ALTER IGNORE adding a unique key keeps the first row
 * of each duplicate set in it (d->order_dep); without a PRIMARY KEY or NOT NULL UNIQUE
 * key that is each server's insertion order, and the target inserted the rows in the
 * source's commit order: other numbers / other rows, silently. *bad (with bd->err) when
 * such a target table has rows. */
static int order_check(struct session *ss, const struct worker_ddl *d,
                          struct worker_ddl *bd, bool *bad, struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    size_t i;
    int rc = DM_OK;
    *bad = false;
    for (i = 0; !rc && !*bad && d->order_dep && i < d->n; i++) {
        const struct worker_ddl_item *it = &d->items[i];
        if (it->nrefs == 0 || !it->refs[0].table[0] || ddl_item_skipped(rules, it))
            continue;
        worker_rules_route(rules, it->refs[0].schema, it->refs[0].table, ts, sizeof ts, tt,
                           sizeof tt);
        rc = worker_applier_keyless_rows(ss->a, ts, tt, bad, e);
    }
    if (*bad) {
        memset(bd, 0, sizeof *bd);
        bd->kind = WDDL_UNKNOWN;
        snprintf(bd->err, sizeof bd->err,
                 "ALTER TABLE %s on `%.40s`.`%.40s`, which has rows and no primary or NOT "
                 "NULL unique key: the result follows each server's insertion order, which "
                 "differs", d->order_dep, ts, tt);
    }
    return rc;
}

static bool ref_allowed(const struct worker_rules *rules, const struct worker_ddl_item *it,
                        const struct worker_ddl_ref *r)
{
    return worker_rules_bwl_allow(rules, r->schema, r->table) &&
           !worker_rules_filter_ignore(rules, r->schema, r->table, WEV_NULL, it->text) &&
           !worker_rules_filter_ignore(rules, r->schema, r->table, it->ev, it->text);
}

/* A statement whose two tables are on both sides of the rules (DM's skipQuery skips it
 * when either is filtered), *bad (bd->err) for such an item (online DDL's own names
 * excepted):
 *  - RENAME TABLE (or ALTER TABLE ... RENAME) of a replicated table to a name the task does
 *    not replicate: the target kept the old table - and a later CREATE of that name was
 *    skipped as existing and its rows mixed with the old ones, silently;
 *  - RENAME of an unreplicated table into the replicated set, CREATE TABLE ... LIKE an
 *    unreplicated table: the target has no such table (its rows are not in the binlog);
 *    its ALTERs were ignored as "no such table" until a row paused the task. */
/* ALTER TABLE a EXCHANGE PARTITION p WITH TABLE x where the black-white-list replicates one
 * of a and x: the other is not on the target, the statement failed there as "no such
 * table" (ignored as a replay) or was skipped, and the rows the source moved between the
 * two stayed where they were. *bad (bd->err). */
static bool exchange_cross(const struct worker_rules *rules, const struct worker_ddl_item *it,
                           struct worker_ddl *bd)
{
    const struct worker_ddl_ref *a = &it->refs[0];
    size_t k;
    for (k = 0; it->nrefs > 0 && a->table[0] && k < it->nxrefs; k++) {
        const struct worker_ddl_ref *x = &it->xrefs[k];
        bool in_a = worker_rules_bwl_allow(rules, a->schema, a->table);
        if (!x->exchange || in_a == worker_rules_bwl_allow(rules, x->schema, x->table))
            continue;
        memset(bd, 0, sizeof *bd);
        bd->kind = WDDL_UNKNOWN;
        snprintf(bd->err, sizeof bd->err,
                 "EXCHANGE PARTITION of %s `%.20s`.`%.20s` with %s `%.20s`.`%.20s`: the target "
                 "has only one of them, the rows would not move", in_a ? "replicated" :
                 "unreplicated", a->schema, a->table, in_a ? "unreplicated" : "replicated",
                 x->schema, x->table);
        return true;
    }
    return false;
}

static bool rename_out(struct session *ss, const struct worker_ddl *d, struct worker_ddl *bd)
{
    const struct worker_rules *rules = ss->s->p.rules;
    size_t i;
    for (i = 0; i < d->n; i++) {
        const struct worker_ddl_item *it = &d->items[i];
        const struct worker_ddl_ref *a = &it->refs[0], *b = &it->refs[1];
        bool in_a, in_b;
        if (it->ev == WEV_ALTER_TABLE && exchange_cross(rules, it, bd))
            return true;
        if (it->nrefs != 2 || (it->ev != WEV_RENAME_TABLE && it->ev != WEV_ALTER_TABLE &&
                               it->ev != WEV_CREATE_TABLE) ||
            !a->table[0] || !b->table[0] ||
            worker_onlineddl_table_type(ss->od, a->table) != WOD_REAL ||
            worker_onlineddl_table_type(ss->od, b->table) != WOD_REAL)
            continue;
        in_a = ref_allowed(rules, it, a);
        in_b = ref_allowed(rules, it, b);
        if (in_a == in_b || (it->ev == WEV_CREATE_TABLE && !in_a))
            continue;
        /* into the set: only when the other table is not on the target at all (an event
         * filter skipping the statement for it is the user's choice, as in DM) */
        if (!in_a || it->ev == WEV_CREATE_TABLE) {
            const struct worker_ddl_ref *out = in_a ? b : a;
            if (worker_rules_bwl_allow(rules, out->schema, out->table))
                continue;
        }
        memset(bd, 0, sizeof *bd);
        bd->kind = WDDL_UNKNOWN;
        if (it->ev == WEV_CREATE_TABLE)
            snprintf(bd->err, sizeof bd->err,
                     "CREATE TABLE `%.20s`.`%.20s` LIKE unreplicated `%.20s`.`%.20s`: the target "
                     "has no such table to copy (replace it by a CREATE TABLE of its "
                     "definition)", a->schema, a->table, b->schema, b->table);
        else if (in_a)
            snprintf(bd->err, sizeof bd->err,
                     "RENAME of replicated `%.24s`.`%.24s` to unreplicated `%.24s`.`%.24s`: the "
                     "target would keep the old table (replace it, e.g. by DROP TABLE of the "
                     "target's)", a->schema, a->table, b->schema, b->table);
        else
            snprintf(bd->err, sizeof bd->err,
                     "RENAME of unreplicated `%.20s`.`%.20s` to replicated `%.20s`.`%.20s`: the "
                     "target has no such table, its rows are not in the binlog (copy it to the "
                     "target, then skip this)", a->schema, a->table, b->schema, b->table);
        return true;
    }
    return false;
}

/* DROP TABLE / TRUNCATE / RENAME (the table renamed away) / DROP DATABASE of a source name
 * whose route merges other source names into the same target (a wildcard route, two rules
 * to one target): the target would lose the rows of the others, which the source keeps.
 * Not for sharding groups (is-sharding: the shard DDL rules decide). *bad (bd->err). */
static bool merged_drop(struct session *ss, const struct worker_ddl *d, struct worker_ddl *bd)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    const char *pat = "";
    size_t i;
    for (i = 0; !ss->sk && i < d->n; i++) {
        const struct worker_ddl_item *it = &d->items[i];
        const struct worker_ddl_ref *a = &it->refs[0];
        bool gone = it->ev == WEV_DROP_TABLE || it->ev == WEV_TRUNCATE_TABLE ||
                    it->ev == WEV_DROP_DATABASE || it->ev == WEV_RENAME_TABLE ||
                    (it->ev == WEV_ALTER_TABLE && it->nrefs == 2);
        if (!gone || it->nrefs == 0 || ddl_item_skipped(rules, it) ||
            worker_onlineddl_table_type(ss->od, a->table) != WOD_REAL ||
            !worker_rules_route_merges(rules, a->schema, a->table, &pat))
            continue;
        worker_rules_route(rules, a->schema, a->table, ts, sizeof ts, tt, sizeof tt);
        memset(bd, 0, sizeof *bd);
        bd->kind = WDDL_UNKNOWN;
        snprintf(bd->err, sizeof bd->err,
                 "%s of `%.20s`%s%.20s%s, whose route (schema-pattern \"%.20s\") merges other "
                 "source names into `%.20s`%s%.20s%s: the target would lose their rows",
                 it->ev == WEV_TRUNCATE_TABLE ? "TRUNCATE" : it->ev == WEV_DROP_TABLE ?
                 "DROP TABLE" : it->ev == WEV_DROP_DATABASE ? "DROP DATABASE" : "RENAME",
                 a->schema, a->table[0] ? ".`" : "", a->table, a->table[0] ? "`" : "", pat, ts,
                 a->table[0] ? ".`" : "", a->table[0] ? tt : "", a->table[0] ? "`" : "");
        return true;
    }
    return false;
}

/* Length of the zone name of a fingerprint (systz.h), at most 40. */
/* An item whose table charset is its database's default by name (CHARSET=DEFAULT,
 * CONVERT TO CHARACTER SET DEFAULT; ddl.h WDDL_CS_DB_DEFAULT): *bad (bd says why) when the
 * source database's default collation is not the routed target database's. */
static int dbdefault_check(struct session *ss, const struct worker_ddl *d, struct worker_ddl *bd,
                           bool *bad, struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX], cs[64], sc[64], tc[64], q[600];
    size_t i, at;
    int rc = DM_OK;
    *bad = false;
    for (i = 0; !rc && !*bad && i < d->n; i++) {
        const struct worker_ddl_item *it = &d->items[i];
        char *sql;
        enum worker_ddl_cs need;
        bool found = false;
        if ((it->ev != WEV_CREATE_TABLE && it->ev != WEV_ALTER_TABLE) || it->nrefs == 0 ||
            !it->refs[0].table[0] || ddl_item_skipped(rules, it))
            continue;
        if (!(sql = worker_ddl_rewrite(it, rules)))
            return nomem(e);
        need = worker_ddl_charset_need(sql, &at);
        free(sql);
        if (need != WDDL_CS_DB_DEFAULT)
            continue;
        worker_rules_route(rules, it->refs[0].schema, it->refs[0].table, ts, sizeof ts, tt,
                           sizeof tt);
        rc = worker_dbcharset_source(ss->sm, it->refs[0].schema, cs, sizeof cs, sc,
                                     sizeof sc, &found, e);
        if (rc || !found || strlen(ts) > 120 || strchr(ts, '\'') || strchr(ts, '\\'))
            continue;
        snprintf(q, sizeof q, "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                 "WHERE SCHEMA_NAME = '%s'", ts);
        tc[0] = '\0';
        rc = worker_applier_query_text(ss->a, q, tc, sizeof tc, e);
        if (!rc && tc[0] && strcmp(tc, sc) != 0) {
            memset(bd, 0, sizeof *bd);
            bd->kind = WDDL_UNKNOWN;
            snprintf(bd->err, sizeof bd->err, "a table charset DEFAULT is the database's "
                     "default: source `%.60s` has %s, target `%.60s` has %s (replace the "
                     "statement with one naming the charset)", it->refs[0].schema, sc, ts, tc);
            *bad = true;
        }
    }
    return rc;
}

static int systz_name_len(const char *fp)
{
    size_t n = strcspn(fp, "|");
    return n > 40 ? 40 : (int)n;
}

/* A DDL of a source session in time_zone SYSTEM runs in the target's SYSTEM zone: *bad
 * (bd says why) when the two servers' zones differ (systz.h). Read once per session. */
static int systz_check(struct session *ss, const struct bl_event *ev, struct worker_ddl *bd,
                       bool *bad, struct worker_terr *e)
{
    int rc = DM_OK;
    *bad = false;
    if (strcasecmp(ev->time_zone, "SYSTEM") != 0)
        return DM_OK;
    if (!ss->systz[0][0])
        rc = worker_systz_source(&ss->s->p.src, ss->systz[0], sizeof ss->systz[0], e);
    if (!rc && !ss->systz[1][0])
        rc = worker_applier_query_text(ss->a, WORKER_SYSTZ_QUERY, ss->systz[1],
                                       sizeof ss->systz[1], e);
    if (rc || worker_systz_same(ss->systz[0], ss->systz[1]))
        return rc;
    memset(bd, 0, sizeof *bd);
    bd->kind = WDDL_UNKNOWN;
    snprintf(bd->err, sizeof bd->err, "session time zone SYSTEM: the source's system zone "
             "%.*s is not the target's %.*s, TIMESTAMP values of existing rows would differ",
             systz_name_len(ss->systz[0]), ss->systz[0], systz_name_len(ss->systz[1]),
             ss->systz[1]);
    *bad = true;
    return DM_OK;
}

/* After an ALTER whose target ignored an "exists" error: when the route merges other source
 * tables into that target, their ALTER may have changed it first, in another way (ADD c
 * AFTER id there, ADD c at the end here): rows are applied by position and would go into
 * other columns, silently. Source table vs target columns differ: pause (not transient;
 * the checkpoint stays before the DDL, which replays as a no-op). merge_shape.h. */
static void unsupported_err(const struct bl_event *ev, const struct worker_ddl *d,
                            struct worker_terr *e);

static int merged_alter(struct session *ss, const struct bl_event *ev,
                        const struct worker_ddl *d, struct worker_terr *e)
{
    const struct worker_rules *rules = ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    size_t i;
    for (i = 0; i < d->n; i++) {
        const struct worker_ddl_item *it = &d->items[i];
        const struct worker_ddl_ref *a = &it->refs[0];
        struct worker_ddl bd;
        bool same = true;
        int rc;
        if (it->ev != WEV_ALTER_TABLE || it->nrefs != 1 || !a->table[0] ||
            ddl_item_skipped(rules, it) ||
            worker_onlineddl_table_type(ss->od, a->table) != WOD_REAL ||
            !worker_rules_route_merges(rules, a->schema, a->table, NULL))
            continue;
        worker_rules_route(rules, a->schema, a->table, ts, sizeof ts, tt, sizeof tt);
        rc = worker_merge_shape_same(ss->sm, ss->a, a->schema, a->table, ts, tt, &same,
                                     e);
        if (rc || same)
            return rc;
        memset(&bd, 0, sizeof bd);
        bd.kind = WDDL_UNKNOWN;
        snprintf(bd.err, sizeof bd.err, "`%.20s`.`%.20s` is merged into `%.20s`.`%.20s`, which "
                 "another source table's DDL already changed: its columns now differ from "
                 "this table's, rows would land in other columns", a->schema, a->table, ts, tt);
        unsupported_err(ev, &bd, e);
        return DM_E_NOT_SUPPORTED;
    }
    return DM_OK;
}

static int run_ddl(struct session *ss, const struct bl_event *ev, const struct worker_ddl *d,
                   struct worker_terr *e)
{
    struct stmts st = { 0 };
    bool applied = false, handled = false, ignored = false, marked = false;
    int rc = commit(ss, e);
    worker_fkparent_ddl(ss->fkp, ev->query);   /* a FOREIGN KEY may come or go */
    if (!rc && d->order_dep && !ss->resync) {
        struct worker_ddl bd;
        bool bad = false;
        rc = order_check(ss, d, &bd, &bad, e);
        if (!rc && bad)
            return on_unsupported(ss, ev, &bd, e);
    }
    if (!rc && !ss->resync) {
        struct worker_ddl bd;
        if (rename_out(ss, d, &bd) || merged_drop(ss, d, &bd))
            return on_unsupported(ss, ev, &bd, e);
    }
    if (!rc && !ss->resync) {
        struct worker_ddl bd;
        bool bad = false;
        rc = systz_check(ss, ev, &bd, &bad, e);
        if (!rc && bad)
            return on_unsupported(ss, ev, &bd, e);
    }
    if (!rc && !ss->resync) {
        struct worker_ddl bd;
        bool bad = false;
        rc = dbdefault_check(ss, d, &bd, &bad, e);
        if (!rc && bad)
            return on_unsupported(ss, ev, &bd, e);
    }
    ss->ddl_ts = ev->timestamp;  /* db_charset: the second the statement was logged in */
    if (!rc && ss->sk)
        rc = shard_ddl(ss, ev, d, &handled, e);
    if (rc || handled)
        return rc;
    if (!rc)
        rc = ddl_stmts(ss, d, &st, e);
    if (!rc && st.n > 0)         /* every item filtered out: nothing to run (DM) */
        rc = try_operator(ss, ev, &st, &applied, e);
    if (!rc)
        rc = ddl_exec(ss, ev, &st, applied, &ignored, &marked, e);
    if (!rc && st.n > 0)
        failpoint("ddl-executed");   /* the DDL ran, the checkpoint is still before it */
    if (!rc && ignored && !applied && !ss->sk)
        rc = merged_alter(ss, ev, d, e);
    if (!rc)
        rc = query_done(ss, ev, e);
    if (!rc && marked)           /* the checkpoint passed it (ddl_exec.h) */
        rc = worker_shard_exec_done(ss->a, ss->s->p.source_id, WORKER_DDL_MARK_TARGET, e);
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
        rc = exec_stmts(ss, ev, &st, NULL, e);
    } else if (!rc) {
        rc = commit(ss, e);
        if (!rc)
            rc = exec_stmts(ss, ev, &st, NULL, e);
        if (!rc)
            rc = query_done(ss, ev, e);
    }
    stmts_free(&st);
    return rc;
}

static void txn_start(struct session *ss)
{
    ss->nsps = 0;
    ss->txn_rows = 0;
}

/* SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO of the current source transaction (d->sp).
 * MariaDB logs ROLLBACK TO only when the transaction also changed a non-transactional
 * table (else it truncates its binlog cache); the row changes logged between the
 * SAVEPOINT and it were then rolled back on the source, yet they were applied here.
 * false: such rows were applied (d->err says so; the task must pause). A savepoint not
 * seen (too many, unparsable name) counts from the transaction's start. */
static bool savepoint_stmt(struct session *ss, struct worker_ddl *d)
{
    size_t i = ss->nsps;
    int64_t at = 0;
    while (i > 0 && strcmp(ss->sps[i - 1].name, d->sp_name) != 0)
        i--;
    switch (d->sp) {
    case WDDL_SP_SET:             /* an old one of that name goes; later ones stay */
        if (i > 0) {
            memmove(&ss->sps[i - 1], &ss->sps[i], (ss->nsps - i) * sizeof ss->sps[0]);
            ss->nsps--;
        }
        if (ss->nsps == SP_MAX) {
            memmove(&ss->sps[0], &ss->sps[1], (SP_MAX - 1) * sizeof ss->sps[0]);
            ss->nsps--;
        }
        snprintf(ss->sps[ss->nsps].name, sizeof ss->sps[0].name, "%s", d->sp_name);
        ss->sps[ss->nsps++].rows = ss->txn_rows;
        return true;
    case WDDL_SP_RELEASE:         /* it and the later ones */
        ss->nsps = i > 0 ? i - 1 : ss->nsps;
        return true;
    case WDDL_SP_ROLLBACK:        /* the later ones go, it stays */
        at = i > 0 ? ss->sps[i - 1].rows : 0;
        if (i > 0)
            ss->nsps = i;
        if (ss->txn_rows <= at)
            return true;
        snprintf(d->err, sizeof d->err,
                 "ROLLBACK TO SAVEPOINT in a transaction that also changed a non-transactional "
                 "table: its %lld row changes after the savepoint were applied to the target, "
                 "the source rolled them back (undo them by hand)", (long long)(ss->txn_rows - at));
        return false;
    case WDDL_SP_NONE:
        break;
    }
    return true;
}

/* A QUERY `ROLLBACK` ending a group whose row changes this task applied: MariaDB logs a
 * rolled-back transaction's rows (then ROLLBACK instead of COMMIT) when it also created or
 * dropped a temporary table or changed a non-transactional table (binlog_format ROW too);
 * the source has none of them. d becomes the WDDL_UNKNOWN the task pauses on (DM v1.0.7
 * ignores the ROLLBACK and keeps the rows, silently). */
static void rollback_err(const struct session *ss, struct worker_ddl *d)
{
    d->kind = WDDL_UNKNOWN;
    snprintf(d->err, sizeof d->err,
             "ROLLBACK of a source transaction whose %lld row changes (the first in %.140s) "
             "precede it in the binlog (logged as it also created/dropped a temporary table or "
             "changed a non-transactional one): the source rolled them back, the target may "
             "hold them; sql-skip it, resume, undo them on the target by hand",
             (long long)ss->txn_rows, ss->txn_table);
}

/* XA END / XA COMMIT / XA ROLLBACK (d->xa), xa_track.h: false (d->err says why, the task
 * must pause) for an XA ROLLBACK of applied rows, or an xid whose XA PREPARE this task
 * never saw. */
static bool xa_stmt(struct session *ss, const struct bl_event *ev, struct worker_ddl *d)
{
    enum worker_xa_stmt w = d->xa == WDDL_XA_END ? WXA_END
                            : d->xa == WDDL_XA_COMMIT ? WXA_COMMIT : WXA_ROLLBACK;
    return worker_xa_stmt(ss->s->xa, w, d->xa_id, ss->txn_rows, ss->txn_table, ev->file,
                          ev->next_pos, d->err, sizeof d->err);
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
    if (ss->resync && d.kind != WDDL_BEGIN && d.kind != WDDL_COMMIT)
        d.kind = WDDL_SKIP;     /* re-sync: statements were handled by the main pass */
    switch (d.kind) {
    case WDDL_BEGIN:
        ss->in_src_txn = true;
        txn_start(ss);
        break;
    case WDDL_COMMIT:
        if (d.rollback && ss->txn_rows > 0 && !ss->resync) {
            rollback_err(ss, &d);
            rc = on_unsupported(ss, ev, &d, e);
            break;
        }
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
        if (d.sp != WDDL_SP_NONE && !ss->resync && !savepoint_stmt(ss, &d)) {
            rc = on_unsupported(ss, ev, &d, e);
            break;
        }
        if (d.xa != WDDL_XA_NONE && !ss->resync && !xa_stmt(ss, ev, &d)) {
            d.kind = WDDL_UNKNOWN;
            rc = on_unsupported(ss, ev, &d, e);
            break;
        }
        if (d.xa == WDDL_XA_COMMIT || d.xa == WDDL_XA_ROLLBACK) {
            ss->in_src_txn = false;   /* the whole event group (no XID follows) */
            snprintf(ss->gtid, sizeof ss->gtid, "%s", ss->pending_gtid);
        }
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
    if (!ops || ss->in_src_txn || !ss->file[0] || ss->resync)
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
    bool consumed = false;
    int src = ss->resync ? shard_resync_check(ss, ev, &consumed, e) : DM_OK;
    if (src || consumed)
        return src;
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
        txn_start(ss);
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
    char err[512] = "", real[sizeof ss->file];
    unsigned long suffix;                 /* DM's "<base>|<sub-dir suffix>.<seq>" (relay_pos.h) */
    bool suffixed = relay_pos_split(ss->file, real, sizeof real, &suffix);
    int rc = s->p.relay ? worker_relay_open_reader(s->p.relay, s->p.cfg->name, ss->file, ss->pos,
                                                   &ss->r, err, sizeof err)
                        : bl_reader_open(&s->p.src, real, ss->pos, &ss->r, err, sizeof err);
    if (rc == DM_OK && suffixed)
        snprintf(ss->file, sizeof ss->file, "%s", real);   /* our positions are plain */
    if (rc && s->p.relay) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_RELAY_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "open relay log reader at (%s, %llu): %s", ss->file,
                        (unsigned long long)ss->pos, err);
        e->transient = false;
        return rc;
    }
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

/* is-sharding: the groups from the source's tables (black-white-list, routes), their
 * stored sequences and the table points (DM's initShardingGroups + LoadShardMeta). */
struct shard_load {
    struct session *ss;
    int rc;
};

static void shard_add_table(void *ud, const char *schema, const char *table)
{
    struct shard_load *l = ud;
    const struct worker_rules *rules = l->ss->s->p.rules;
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX], src[400], tgt[400], err[256];
    int code;
    if (l->rc || !worker_rules_bwl_allow(rules, schema, table) ||
        worker_onlineddl_table_type(l->ss->od, table) != WOD_REAL)
        return;
    worker_rules_route(rules, schema, table, ts, sizeof ts, tt, sizeof tt);
    wsk_table_id(schema, table, src, sizeof src);
    wsk_table_id(ts, tt, tgt, sizeof tgt);
    l->rc = wsk_add(l->ss->sk, tgt, src, false, &code, err, sizeof err);
}

static void shard_load_point(void *ud, const struct worker_cp_row *r)
{
    struct session *ss = ud;
    struct wsk_pos p;
    char id[400];
    wsk_table_id(r->schema, r->table, id, sizeof id);
    snprintf(p.file, sizeof p.file, "%s", r->file ? r->file : "");
    p.pos = r->pos;
    wsk_point_set(ss->sk, id, &p);
}

static int shard_open(struct session *ss, bool remove, struct worker_terr *e)
{
    const struct worker_syncer_params *p = &ss->s->p;
    struct shard_load l = { ss, DM_OK };
    int rc;
    if (!p->cfg->is_sharding)
        return DM_OK;
    if (!(ss->sk = wsk_new()))
        return nomem(e);
    rc = worker_shard_meta_prepare(ss->a, remove, e);
    if (!rc)
        rc = worker_shard_source_tables(&p->src, shard_add_table, &l, e);
    if (!rc && l.rc)
        rc = nomem(e);
    if (!rc)
        rc = worker_shard_meta_load(ss->a, p->source_id, ss->sk, e);
    if (!rc)
        rc = worker_applier_load_table_cps(ss->a, shard_load_point, ss, e);
    if (!rc)
        rc = worker_shard_exec_each(ss->a, p->source_id, executed_load, ss, e);
    if (!rc)
        shard_publish(ss);
    return rc;
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
    if (!(ss.sm = worker_srcmeta_new(&s->p.src)))   /* one source metadata connection */
        rc = nomem(e);
    else
        rc = worker_applier_open(&c->to, c->meta_schema, c->name, s->p.source_id, &ss.a, e);
    if (!rc) {
        worker_applier_set_source(ss.a, ss.sm);   /* source column definitions */
        rc = worker_applier_prepare_meta(ss.a, *remove_meta, e);
    }
    if (!rc)   /* the DDL execution markers of every task (shard_exec.h, ddl_exec.h) */
        rc = worker_shard_exec_prepare(ss.a, *remove_meta, e);
    if (!rc)   /* prepared XA transactions applied (xa_track.h) */
        rc = worker_xa_open(s->xa, ss.a, s->p.source_id, *remove_meta, e);
    if (!rc)
        rc = worker_applier_lower_case_names(ss.a, &ss.lctn, e);
    if (!rc)
        rc = worker_dmlpool_open(&c->to, c->meta_schema, c->name, s->p.source_id,
                                 c->worker_count, c->batch, &ss.pool, e);
    if (!rc)
        rc = worker_onlineddl_open(c->online_ddl_scheme, ss.a, c->meta_schema, c->name,
                                   s->p.src.server_id, *remove_meta, &ss.od, e);
    if (!rc)
        rc = shard_open(&ss, *remove_meta, e);
    if (!rc) {
        *remove_meta = false;
        rc = start_point(&ss, e);
        if (!rc)
            publish_start(&ss);
    }
    if (!rc)
        rc = worker_keyless_new(ss.a, &ss.kl, e);
    if (!rc && !(ss.fkp = worker_fkparent_new()))
        rc = nomem(e);
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
    pthread_mutex_lock(&s->mu);
    s->sw.blocking = false;             /* met again by the next session */
    worker_ddl_info_clear(&s->sw.info);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    wsk_free(ss.sk);
    worker_onlineddl_cutover_free(&ss.cutover);
    worker_onlineddl_free(ss.od);
    worker_applier_free(ss.a);
    clear_tables(&ss);
    free(ss.tables);
    names_free(&ss);
    worker_keyless_free(ss.kl);
    worker_fkparent_free(ss.fkp);
    worker_srcmeta_free(ss.sm);
    if (ss.r) {
        pthread_mutex_lock(&s->mu);
        s->reader = NULL;
        if (s->p.relay)   /* keep the relay files the checkpoint needs while not reading */
            worker_relay_hold(s->p.relay, c->name, s->st.have_pos ? s->st.syncer_file : ss.file);
        pthread_mutex_unlock(&s->mu);
        bl_reader_free(ss.r);
    }
    return rc;
}

static void backoff_wait(struct worker_syncer *s, int64_t ms)
{
    struct timespec ts = dm_deadline_ms(ms);
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
    if (!s || !(s->xa = worker_xa_new())) {
        free(s);
        return DM_E_NOMEM;
    }
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
        worker_xa_free(s->xa);
        free(s);
        return rc;
    }
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) {
        worker_heartbeat_free(s->hb);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cond);
        worker_xa_free(s->xa);
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
    struct timespec ts = dm_deadline_ms(ms);
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

/* ExecuteDDL callers leave once the thread stopped (they watch stop / exited). */
static void wait_no_waiters(struct worker_syncer *s)
{
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->cond);
    while (s->sw.waiters > 0)
        pthread_cond_wait(&s->cond, &s->mu);
    pthread_mutex_unlock(&s->mu);
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
    wait_no_waiters(s);
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
    wait_no_waiters(s);
    free(s->shard_json);
    worker_xa_free(s->xa);
    worker_ddl_info_clear(&s->sw.info);
    worker_heartbeat_free(s->hb);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s);
}

/* ---- sharding DDL (syncer.h) ---- */

void worker_ddl_info_clear(struct worker_ddl_info *i)
{
    for (size_t k = 0; i->ddls && k < i->n; k++)
        free(i->ddls[k]);
    free(i->ddls);
    memset(i, 0, sizeof *i);
}

static int info_copy(struct worker_ddl_info *dst, const struct worker_ddl_info *src)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->schema, src->schema, sizeof dst->schema);
    memcpy(dst->table, src->table, sizeof dst->table);
    dst->ddls = calloc(src->n + 1, sizeof *dst->ddls);
    if (!dst->ddls)
        return DM_E_NOMEM;
    for (dst->n = 0; dst->n < src->n; dst->n++)
        if (!(dst->ddls[dst->n] = strdup(src->ddls[dst->n]))) {
            worker_ddl_info_clear(dst);
            return DM_E_NOMEM;
        }
    return DM_OK;
}

bool worker_syncer_take_ddl_info(struct worker_syncer *s, struct worker_ddl_info *out)
{
    bool ok = false;
    pthread_mutex_lock(&s->mu);
    if (s->sw.blocking && s->sw.decision < 0 &&
        (!s->sw.handed || now_ms() - s->sw.handed_ms >= DDLINFO_RESEND_MS) &&
        info_copy(out, &s->sw.info) == DM_OK) {
        ok = s->sw.handed = true;
        s->sw.handed_ms = now_ms();
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool worker_syncer_ddl_handed(struct worker_syncer *s)
{
    bool h;
    pthread_mutex_lock(&s->mu);
    h = s->sw.blocking && s->sw.handed && s->sw.decision < 0;
    pthread_mutex_unlock(&s->mu);
    return h;
}

void worker_syncer_untake_ddl_info(struct worker_syncer *s)
{
    pthread_mutex_lock(&s->mu);
    s->sw.handed = false;
    pthread_mutex_unlock(&s->mu);
}

bool worker_syncer_ddl_executed(struct worker_syncer *s, const char *trace, char *target,
                                size_t cap)
{
    bool yes = false;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; trace && trace[0] && !yes && i < s->sw.nexecuted; i++)
        if ((yes = strcmp(s->sw.executed[i].trace, trace) == 0))
            snprintf(target, cap, "%s", s->sw.executed[i].target);
    pthread_mutex_unlock(&s->mu);
    return yes;
}

int worker_syncer_decide_ddl(struct worker_syncer *s, bool exec, const char *trace,
                             char *const *ddls, size_t n, struct worker_terr *e)
{
    int rc = DM_OK;
    pthread_mutex_lock(&s->mu);
    if (!s->sw.blocking || s->sw.decision >= 0) {
        worker_terr_set(e, 36059, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "process unit not waiting for sharding DDL to sync");
        rc = DM_E_STATE;
    } else if (n > 0 && !wsk_ddls_equal(ddls, n, s->sw.info.ddls, s->sw.info.n)) {
        worker_terr_set(e, 36059, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "process unit not waiting for sharding DDL %s (it waits for %s)",
                        ddls[0], s->sw.info.n ? s->sw.info.ddls[0] : "");
        rc = DM_E_STATE;
    } else {
        s->sw.decision = exec ? 1 : 0;
        snprintf(s->sw.trace, sizeof s->sw.trace, "%s", trace ? trace : "");
        s->sw.waiters++;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int worker_syncer_await_ddl(struct worker_syncer *s, int64_t timeout_ms, struct worker_terr *e)
{
    int rc = DM_OK;
    struct timespec ts = dm_deadline_ms(timeout_ms);
    pthread_mutex_lock(&s->mu);
    /* not on `stop`: the thread handles a decision it took whatever a pause says (the DDL
     * runs, the checkpoint is written); answering "stopped" meanwhile made dm-master keep a
     * lock the owner had resolved (38024 for ever, the owner's next DDL refused: 38016) */
    while (!s->sw.done && !s->exited)
        if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) != 0)
            break;
    if (s->sw.done) {
        rc = s->sw.rc;
        if (rc)
            *e = s->sw.err;
    } else if (s->exited) {
        worker_terr_set(e, 36059, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "the Sync unit stopped before the sharding DDL was handled; it is "
                        "met again when the task resumes");
        rc = DM_E_CANCELLED;
    } else {
        worker_terr_set(e, 40066, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "ExecuteDDL timeout (exceeding %llds), try use `query-status` to query "
                        "whether the DDL is still blocking", (long long)(timeout_ms / 1000));
        rc = DM_E_TIMEOUT;
    }
    s->sw.waiters--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

char *worker_syncer_shard_json(struct worker_syncer *s)
{
    char *out;
    pthread_mutex_lock(&s->mu);
    out = s->shard_json ? strdup(s->shard_json) : NULL;
    pthread_mutex_unlock(&s->mu);
    return out;
}

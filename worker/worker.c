/* worker.c - subtask lifecycle, stage rules, op log, restore, checker (worker.h). */
#include "worker.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "fsutil.h"
#include "relay.h"
#include "dmworker.pb-c.h"
#include "log.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "dm_time.h"

struct subtask {
    char *name;
    struct worker_subtask_cfg *cfg;
    struct worker_rules *rules;
    int stage;
    struct worker_syncer *syncer;
    struct worker_sqlop *sqlops;      /* sql-skip/replace/inject, kept across pause/resume */
    bool has_error, canceled, remove_meta;
    struct worker_terr error;
    struct worker_sync_stats stats;   /* last stats of a stopped syncer */
    bool has_stats;
    int64_t paused_at_ms, running_since_ms, backoff_ms;
    /* task-mode full/all: Dump + Load before Sync (units_* below) */
    struct worker *w;
    struct worker_presync *pre;
    struct worker_presync_stats pre_stats;   /* last stats of a stopped Dump/Load */
    bool load_done;
    char start_file[256];                    /* Sync's start: the dump's position */
    uint64_t start_pos;
    int busy_op;                      /* Pb__TaskOp whose syncer stop runs unlocked, or 0 */
    char ddl_lock_id[512];            /* is-sharding: DDLLockInfo from dm-master */
    int refs;                         /* the list's + one per unlocked operation */
    struct subtask *next;
};

struct worker {
    const struct worker_config *cfg;
    struct worker_options opt;
    pthread_mutex_t mu;               /* never held while a syncer stops (joins, flushes) */
    pthread_cond_t cond;              /* checker wake-up */
    pthread_cond_t ops_cond;          /* ops_in_flight dropped */
    int ops_in_flight;
    struct worker_meta *meta;
    struct subtask *tasks;
    struct worker_relay *relay;       /* the relay unit (relay.h), NULL if it failed to start */
    pthread_t checker;
    bool checker_started, closing;
    /* update-relay: configs whose [from] replaced cfg's (newest last; never freed before
     * worker_free, so a pointer from worker_from stays valid) */
    struct worker_config **froms;
    size_t nfroms;
};

/* The config whose from_* fields are the source now (cfg, or the last update-relay). */
const struct worker_config *worker_from(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    const struct worker_config *c = w->nfroms ? w->froms[w->nfroms - 1] : w->cfg;
    pthread_mutex_unlock(&w->mu);
    return c;
}

/* Same, w->mu held. */
static const struct worker_config *from_locked(const struct worker *w)
{
    return w->nfroms ? w->froms[w->nfroms - 1] : w->cfg;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *stage_name(int s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&pb__stage__descriptor, s);
    return v ? v->name : "InvalidStage";
}

__attribute__((format(printf, 4, 5)))
static void werr(char *out, size_t cap, int code, const char *fmt, ...)
{
    struct worker_terr e;
    va_list ap;
    worker_terr_set(&e, code, code >= 40000 ? WTE_CLASS_DM_WORKER : WTE_CLASS_CONFIG,
                    WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH, "%s", "");
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    worker_terr_string(&e, out, cap);
}

/* ---- subtask objects ---- */

static struct subtask *find(struct worker *w, const char *name)
{
    struct subtask *t;
    for (t = w->tasks; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static void subtask_free(struct subtask *t)
{
    if (!t)
        return;
    worker_presync_free(t->pre);
    worker_syncer_free(t->syncer);
    worker_sqlop_free(t->sqlops);
    worker_rules_free(t->rules);
    worker_subtask_cfg_free(t->cfg);
    free(t->name);
    free(t);
}

/* Takes ownership of cfg. */
static int subtask_new(struct worker_subtask_cfg *cfg, struct subtask **out, char *err,
                       size_t cap)
{
    struct subtask *t = calloc(1, sizeof *t);
    char rerr[300] = "";
    int rc;
    *out = NULL;
    if (!t || !(t->name = strdup(cfg->name))) {
        free(t);
        worker_subtask_cfg_free(cfg);
        return DM_E_NOMEM;
    }
    t->cfg = cfg;
    if (!(t->sqlops = worker_sqlop_new())) {
        subtask_free(t);
        return DM_E_NOMEM;
    }
    rc = worker_rules_new(cfg, &t->rules, rerr, sizeof rerr);
    if (rc) {
        werr(err, cap, WTE_CONFIG_DECODE, "invalid task rules: %s", rerr);
        subtask_free(t);
        return rc;
    }
    t->stage = PB__STAGE__New;
    t->refs = 1;
    *out = t;
    return DM_OK;
}

static uint32_t task_server_id(const struct worker *w, const char *name)
{
    uint32_t h = 5381;
    for (; *name; name++)
        h = h * 33 + (unsigned char)*name;
    return (uint32_t)w->cfg->server_id + h % 1000;
}

/* ---- units: Dump and Load (task-mode full/all) before Sync ---- */

static bool units_pending(const struct subtask *t)
{
    return worker_subtask_cfg_has_load(t->cfg) && !t->load_done;
}

static int units_start(struct worker *w, struct subtask *t)
{
    struct worker_presync_params p;
    memset(&p, 0, sizeof p);
    p.cfg = t->cfg;
    p.rules = t->rules;
    p.src.host = from_locked(w)->from_host;
    p.src.port = (int)from_locked(w)->from_port;
    p.src.user = from_locked(w)->from_user;
    p.src.password = from_locked(w)->from_password_plain;
    p.source_id = t->cfg->source_id[0] ? t->cfg->source_id : w->cfg->source_id;
    p.remove_meta = t->remove_meta;
    p.last_unit = t->pre_stats.unit;
    return worker_presync_start(&p, &t->pre);
}

static void units_halt(struct subtask *t)
{
    if (!t->pre)
        return;
    worker_presync_stop(t->pre);
    worker_presync_stats(t->pre, &t->pre_stats);
    worker_presync_free(t->pre);
    t->pre = NULL;
}

static int run_syncer(struct worker *w, struct subtask *t);
static void persist(struct worker *w, const struct subtask *t);

/* Dump + Load ended: an error pauses the subtask; success finishes a `full` subtask or
 * starts Sync at the dump's position (safe mode for its first window, as after every
 * start). */
static void units_reap(struct subtask *t)
{
    struct worker_presync_result res;
    if (!t->pre || !worker_presync_done(t->pre, &res))
        return;
    units_halt(t);
    if (res.rc) {
        t->stage = PB__STAGE__Paused;
        t->has_error = true;
        t->error = res.err;
        t->canceled = false;
        t->paused_at_ms = now_ms();
        dm_log_kv(DM_LOG_WARN, "subtask paused by error", "task", t->name, "error", res.err.msg,
                  NULL);
        return;
    }
    t->load_done = true;
    if (strcmp(t->cfg->mode, "full") == 0) {
        t->stage = PB__STAGE__Finished;
        persist(t->w, t);
        dm_log_kv(DM_LOG_INFO, "subtask finished", "task", t->name, NULL);
        return;
    }
    if (res.have_pos) {
        snprintf(t->start_file, sizeof t->start_file, "%s", res.pos.file);
        t->start_pos = res.pos.pos;
    }
    if (run_syncer(t->w, t)) {
        t->stage = PB__STAGE__Paused;
        t->has_error = true;
        werr(t->error.msg, sizeof t->error.msg, WTE_WORKER_NOT_SUPPORTED,
             "cannot start the sync unit of %s", t->name);
    }
}

static int run_syncer(struct worker *w, struct subtask *t)
{
    struct worker_syncer_params p;
    int rc;
    if (units_pending(t)) {
        if ((rc = units_start(w, t)))
            return rc;
        goto running;
    }
    memset(&p, 0, sizeof p);
    p.cfg = t->cfg;
    p.rules = t->rules;
    p.src.host = from_locked(w)->from_host;
    p.src.port = (int)from_locked(w)->from_port;
    p.src.user = from_locked(w)->from_user;
    p.src.password = from_locked(w)->from_password_plain;
    p.src.server_id = task_server_id(w, t->name);
    p.source_id = t->cfg->source_id[0] ? t->cfg->source_id : w->cfg->source_id;
    p.remove_meta = t->remove_meta;
    p.retry_window_ms = w->opt.retry_window_ms;
    p.safe_mode_ms = w->opt.safe_mode_ms;
    p.start_file = t->start_file;
    p.start_pos = t->start_pos;
    p.sqlops = t->sqlops;
    p.relay = strcmp(t->cfg->binlog_type, "local") == 0 ? w->relay : NULL;
    p.stop_grace_ms = w->opt.stop_grace_ms;
    rc = worker_syncer_start(&p, &t->syncer);
    if (rc)
        return rc;
running:
    t->remove_meta = false;
    t->stage = PB__STAGE__Running;
    t->has_error = false;
    t->canceled = false;
    t->running_since_ms = now_ms();
    return DM_OK;
}

static void halt_syncer(struct subtask *t)
{
    units_halt(t);
    if (!t->syncer)
        return;
    worker_syncer_stop(t->syncer);
    worker_syncer_stats(t->syncer, &t->stats);
    t->has_stats = true;
    worker_syncer_free(t->syncer);
    t->syncer = NULL;
}

/* A Sync unit that died with an error pauses its subtask (its thread has ended: the
 * join does not wait). Not while an operation stops the syncer unlocked. */
static void reap(struct subtask *t)
{
    struct worker_terr e;
    if (t->busy_op)
        return;
    units_reap(t);
    if (!t->syncer || !worker_syncer_failed(t->syncer, &e))
        return;
    halt_syncer(t);
    t->stage = PB__STAGE__Paused;
    t->has_error = true;
    t->error = e;
    t->canceled = false;
    t->paused_at_ms = now_ms();
    dm_log_kv(DM_LOG_WARN, "subtask paused by error", "task", t->name, "error", e.msg, NULL);
}

static void persist(struct worker *w, const struct subtask *t)
{
    if (worker_meta_save_subtask(w->meta, t->name, t->stage, t->cfg->doc))
        dm_log_kv(DM_LOG_ERROR, "cannot save subtask meta", "task", t->name, NULL);
}

/* ---- operation log ---- */

static int log_op(struct worker *w, int op, const char *name, int stage, const char *fail,
                  int64_t *log_id)
{
    struct worker_oplog_entry e;
    int rc;
    memset(&e, 0, sizeof e);
    e.op = op;
    e.stage = stage;
    snprintf(e.name, sizeof e.name, "%s", name);
    e.success = fail == NULL;
    snprintf(e.message, sizeof e.message, "%s", fail ? fail : "");
    rc = worker_meta_log_append(w->meta, &e);
    *log_id = e.id;
    dm_log_kv(fail ? DM_LOG_WARN : DM_LOG_INFO, "operate subtask", "task", name,
              "op", protobuf_c_enum_descriptor_get_value(&pb__task_op__descriptor, op)
                        ? protobuf_c_enum_descriptor_get_value(&pb__task_op__descriptor, op)->name
                        : "?",
              "error", fail, NULL);
    return rc;
}

/* ---- operations ---- */

int worker_start_subtask(struct worker *w, const char *toml, int64_t *log_id, char *err,
                         size_t cap)
{
    struct worker_subtask_cfg *cfg = NULL;
    struct subtask *t = NULL;
    char msg[1200], perr[600] = "";
    int rc = worker_subtask_cfg_parse_toml(toml, strlen(toml), &cfg, perr, sizeof perr);
    if (rc) {
        werr(err, cap, WTE_CONFIG_DECODE, "decode subtask config: %s", perr);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    if (find(w, cfg->name)) {
        werr(msg, sizeof msg, WTE_WORKER_EXISTS, "sub task %s already exists", cfg->name);
        rc = log_op(w, PB__TASK_OP__Start, cfg->name, PB__STAGE__InvalidStage, msg, log_id);
        worker_subtask_cfg_free(cfg);
        goto out;
    }
    if ((rc = subtask_new(cfg, &t, err, cap)))
        goto out;
    t->w = w;
    t->remove_meta = t->cfg->remove_meta;
    if ((rc = run_syncer(w, t))) {
        werr(err, cap, WTE_WORKER_NOT_SUPPORTED, "cannot start the sync unit of %s", t->name);
        subtask_free(t);
        goto out;
    }
    t->next = w->tasks;
    w->tasks = t;
    persist(w, t);
    rc = log_op(w, PB__TASK_OP__Start, t->name, t->stage, NULL, log_id);
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static void unlink_task(struct worker *w, struct subtask *t)
{
    struct subtask **pp;
    for (pp = &w->tasks; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            return;
        }
    }
}

static const char *op_name(int op)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&pb__task_op__descriptor, op);
    return v ? v->name : "InvalidOp";
}

/* Any operation on a subtask whose pause/stop is still running is refused. */
static const char *busy_error(const struct subtask *t, int op, char *msg, size_t cap)
{
    if (!t->busy_op)
        return NULL;
    werr(msg, cap, WTE_WORKER_OP_IN_PROGRESS,
         "cannot %s sub task %s: operation %s is in progress (waiting for the target to "
         "finish), retry when it has finished", op_name(op), t->name, op_name(t->busy_op));
    return msg;
}

/* Stop t's Sync unit with w->mu RELEASED (held on entry and on return): t is marked
 * busy (other operations are refused, reap/checker leave it alone) and referenced, so
 * query-status keeps answering while the syncer flushes and joins. Returns true when
 * the stop had to kill the target connections (worker_syncer_stop). */
static bool halt_unlocked(struct worker *w, struct subtask *t, int op)
{
    struct worker_syncer *sy = t->syncer;
    struct worker_presync *pre = t->pre;   /* Dump/Load: kills mydumper, joins the loader */
    bool killed = false;
    t->busy_op = op;
    t->refs++;
    w->ops_in_flight++;
    pthread_mutex_unlock(&w->mu);
    if (sy)
        killed = worker_syncer_stop(sy);
    if (pre)
        worker_presync_stop(pre);
    pthread_mutex_lock(&w->mu);
    if (pre)
        units_halt(t);                /* already joined: stats kept, freed */
    if (sy) {
        worker_syncer_stats(sy, &t->stats);
        t->has_stats = true;
        t->syncer = NULL;
        worker_syncer_free(sy);       /* already joined: does not wait */
    }
    t->busy_op = 0;
    t->refs--;                        /* the list still holds its reference */
    w->ops_in_flight--;
    pthread_cond_broadcast(&w->ops_cond);
    return killed;
}

/* Pause (w->mu held; released during the stop). Stage Paused is set first, as DM does. */
static void pause_task(struct worker *w, struct subtask *t)
{
    t->stage = PB__STAGE__Paused;
    t->canceled = true;
    t->has_error = false;
    t->paused_at_ms = now_ms();
    if (halt_unlocked(w, t, PB__TASK_OP__Pause)) {
        worker_terr_set(&t->error, WTE_WORKER_PAUSE_KILLED, WTE_CLASS_DM_WORKER,
                        WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                        "pause of sub task %s: the target did not finish the flush within the "
                        "stop grace period (a locked table or an unanswered connection); its "
                        "connections were killed, uncommitted rows are re-applied from the "
                        "checkpoint on resume", t->name);
        t->error.transient = false;   /* an operator pause: never auto-resumed */
        t->has_error = true;
    }
    persist(w, t);
}

/* Run op on t (a pause releases w->mu while its syncer stops); returns NULL or a DM
 * error string in msg. */
static const char *apply_op(struct worker *w, struct subtask *t, int op, char *msg, size_t cap)
{
    reap(t);
    switch (op) {
    case PB__TASK_OP__Pause:
        if (t->stage != PB__STAGE__Running) {
            werr(msg, cap, WTE_WORKER_NOT_RUNNING, "current stage is %s but not running, invalid",
                 stage_name(t->stage));
            return msg;
        }
        pause_task(w, t);
        return NULL;
    case PB__TASK_OP__Resume:
    case PB__TASK_OP__AutoResume:
        if (t->stage != PB__STAGE__Paused) {
            werr(msg, cap, WTE_WORKER_NOT_PAUSED, "current stage is %s but not paused, invalid",
                 stage_name(t->stage));
            return msg;
        }
        if (run_syncer(w, t)) {
            werr(msg, cap, WTE_WORKER_NOT_SUPPORTED, "cannot start the sync unit of %s", t->name);
            return msg;
        }
        persist(w, t);
        return NULL;
    default:
        werr(msg, cap, WTE_WORKER_UPDATE_STAGE, "invalid operate %s on subtask", op_name(op));
        return msg;
    }
}

int worker_operate_subtask(struct worker *w, const char *name, int op, int64_t *log_id,
                           char *err, size_t cap)
{
    struct subtask *t;
    char msg[1200];
    const char *fail = NULL;
    int stage = PB__STAGE__InvalidStage, rc;
    pthread_mutex_lock(&w->mu);
    t = find(w, name);
    if (!t) {
        werr(msg, sizeof msg, WTE_WORKER_NOT_FOUND, "sub task with name %s not found", name);
        fail = msg;
    } else if ((fail = busy_error(t, op, msg, sizeof msg))) {
        stage = t->stage;
    } else if (op == PB__TASK_OP__Stop) {
        (void)halt_unlocked(w, t, op);
        unlink_task(w, t);
        if (w->relay)
            worker_relay_hold(w->relay, t->name, NULL);
        worker_meta_delete_subtask(w->meta, t->name);
        subtask_free(t);              /* refs was 1 (the list's): nobody else holds it */
        stage = PB__STAGE__Stopped;
    } else {
        fail = apply_op(w, t, op, msg, sizeof msg);
        stage = t->stage;
    }
    rc = log_op(w, op, name, stage, fail, log_id);
    pthread_mutex_unlock(&w->mu);
    if (rc)
        werr(err, cap, WTE_WORKER_NOT_SUPPORTED, "%s", "save operation log failed");
    return rc;
}

static const char *do_update(struct worker *w, struct subtask *t,
                             const struct worker_subtask_cfg *upd, char *msg, size_t cap)
{
    struct worker_subtask_cfg *merged = NULL;
    struct worker_rules *rules = NULL;
    char e2[600] = "";
    if (busy_error(t, PB__TASK_OP__Update, msg, cap))
        return msg;
    reap(t);
    if (t->stage != PB__STAGE__Paused) {
        werr(msg, cap, WTE_WORKER_UPDATE_STAGE,
             "can only update task on Paused stage, but current stage is %s", stage_name(t->stage));
        return msg;
    }
    if (worker_subtask_cfg_merge_update(t->cfg, upd, &merged, e2, sizeof e2) ||
        worker_rules_new(merged, &rules, e2, sizeof e2)) {
        worker_subtask_cfg_free(merged);
        werr(msg, cap, WTE_CONFIG_DECODE, "update subtask config: %s", e2);
        return msg;
    }
    worker_rules_free(t->rules);
    worker_subtask_cfg_free(t->cfg);
    t->cfg = merged;
    t->rules = rules;
    persist(w, t);
    return NULL;
}

int worker_update_subtask(struct worker *w, const char *toml, int64_t *log_id, char *err,
                          size_t cap)
{
    struct worker_subtask_cfg *upd = NULL;
    struct subtask *t;
    char msg[1200], perr[600] = "";
    const char *fail;
    int rc = worker_subtask_cfg_parse_toml(toml, strlen(toml), &upd, perr, sizeof perr);
    if (rc) {
        werr(err, cap, WTE_CONFIG_DECODE, "decode subtask config: %s", perr);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    t = find(w, upd->name);
    if (!t) {
        werr(msg, sizeof msg, WTE_WORKER_NOT_FOUND, "sub task with name %s not found", upd->name);
        fail = msg;
    } else {
        fail = do_update(w, t, upd, msg, sizeof msg);
    }
    rc = log_op(w, PB__TASK_OP__Update, upd->name, t ? t->stage : PB__STAGE__InvalidStage, fail,
                log_id);
    pthread_mutex_unlock(&w->mu);
    worker_subtask_cfg_free(upd);
    return rc;
}

int worker_query_log(struct worker *w, int64_t id, struct worker_oplog_entry *out, bool *found)
{
    int rc;
    pthread_mutex_lock(&w->mu);
    rc = worker_meta_log_get(w->meta, id, out, found);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* ---- status ---- */

static void snap_one(struct subtask *t, struct worker_subtask_status *s)
{
    memset(s, 0, sizeof *s);
    reap(t);
    snprintf(s->name, sizeof s->name, "%s", t->name);
    s->stage = t->stage;
    s->has_error = t->has_error;
    s->error = t->error;
    s->canceled = t->canceled;
    s->op_in_progress = t->busy_op;
    s->unit = PB__UNIT_TYPE__Sync;
    if (t->pre || units_pending(t) || (t->stage == PB__STAGE__Finished && !t->syncer)) {
        struct worker_presync_stats ps = t->pre_stats;
        if (t->pre)
            worker_presync_stats(t->pre, &ps);
        s->unit = (ps.unit == WORKER_UNIT_DUMP || !ps.unit) && t->stage != PB__STAGE__Finished
                      ? PB__UNIT_TYPE__Dump
                      : PB__UNIT_TYPE__Load;
        s->load = ps.load;
        if (ps.unit == WORKER_UNIT_SYNC)
            s->unit = PB__UNIT_TYPE__Sync;
        else
            return;
    }
    snprintf(s->ddl_lock_id, sizeof s->ddl_lock_id, "%s", t->ddl_lock_id);
    if (t->syncer) {
        worker_syncer_stats(t->syncer, &s->sync);
        s->shard_json = worker_syncer_shard_json(t->syncer);
        s->has_sync = true;
    } else if (t->has_stats) {
        s->sync = t->stats;
        s->sync.caught_up = false;
        s->has_sync = true;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct worker_subtask_status *)a)->name,
                  ((const struct worker_subtask_status *)b)->name);
}

int worker_snapshot(struct worker *w, const char *name, struct worker_subtask_status **out,
                    size_t *n)
{
    struct subtask *t;
    size_t cnt = 0, i = 0;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&w->mu);
    for (t = w->tasks; t; t = t->next)
        cnt++;
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out) {
        pthread_mutex_unlock(&w->mu);
        return DM_E_NOMEM;
    }
    for (t = w->tasks; t; t = t->next)
        if (!name || !name[0] || strcmp(name, t->name) == 0)
            snap_one(t, &(*out)[i++]);
    pthread_mutex_unlock(&w->mu);
    qsort(*out, i, sizeof **out, by_name);
    *n = i;
    return DM_OK;
}

int worker_handle_sqls(struct worker *w, const char *name, int op, const char *const *args,
                       size_t nargs, const char *binlog_pos, const char *pattern, char *err,
                       size_t cap)
{
    struct subtask *t;
    int rc;
    pthread_mutex_lock(&w->mu);
    t = find(w, name ? name : "");
    if (!t) {
        werr(err, cap, WTE_WORKER_NOT_FOUND, "sub task with name %s not found", name ? name : "");
        rc = DM_E_NOT_FOUND;
    } else {
        rc = worker_sqlop_set(t->sqlops, (enum worker_sqlop_op)op, args, nargs, binlog_pos,
                              pattern, err, cap);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void worker_snapshot_free(struct worker_subtask_status *sts, size_t n)
{
    for (size_t i = 0; sts && i < n; i++)
        free(sts[i].shard_json);
    free(sts);
}

const struct worker_config *worker_cfg(const struct worker *w) { return w->cfg; }

/* ---- sharding DDL ---- */

bool worker_fetch_ddl_info(struct worker *w, char *task, size_t cap, struct worker_ddl_info *out)
{
    struct subtask *t;
    bool got = false;
    pthread_mutex_lock(&w->mu);
    for (t = w->tasks; t && !got; t = t->next)
        if (t->syncer && !t->busy_op && (got = worker_syncer_take_ddl_info(t->syncer, out)))
            snprintf(task, cap, "%s", t->name);
    pthread_mutex_unlock(&w->mu);
    return got;
}

void worker_unfetch_ddl_info(struct worker *w, const char *task)
{
    struct subtask *t;
    pthread_mutex_lock(&w->mu);
    if ((t = find(w, task)) && t->syncer)
        worker_syncer_untake_ddl_info(t->syncer);
    pthread_mutex_unlock(&w->mu);
}

int worker_record_ddl_lock(struct worker *w, const char *task, const char *id, char *err,
                           size_t cap)
{
    struct subtask *t;
    int rc = DM_OK;
    pthread_mutex_lock(&w->mu);
    if (!(t = find(w, task))) {
        werr(err, cap, WTE_WORKER_NOT_FOUND, "sub task with name %s not found", task);
        rc = DM_E_NOT_FOUND;
    } else {
        snprintf(t->ddl_lock_id, sizeof t->ddl_lock_id, "%s", id);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Decide under w->mu (the syncer stays alive until the awaiting caller leaves it), wait
 * without it; a success clears the lock ID (DM ClearDDLLockInfo). */
static int exec_ddl(struct worker *w, const char *task, const char *trace, bool exec,
                    char *const *ddls, size_t n, int64_t timeout_ms, char *err, size_t cap)
{
    struct subtask *t;
    struct worker_syncer *sy = NULL;
    struct worker_terr e;
    int rc;
    memset(&e, 0, sizeof e);
    pthread_mutex_lock(&w->mu);
    t = find(w, task);
    if (!t) {
        werr(err, cap, WTE_WORKER_NOT_FOUND, "sub task with name %s not found", task);
        rc = DM_E_NOT_FOUND;
    } else if (!t->syncer || t->busy_op) {
        werr(err, cap, 40065, "only syncer support ExecuteDDL, but current unit is %s",
             t->syncer ? "stopping" : "not running");
        rc = DM_E_STATE;
    } else if ((rc = worker_syncer_decide_ddl(t->syncer, exec, trace, ddls, n, &e)) == DM_OK) {
        sy = t->syncer;
    }
    pthread_mutex_unlock(&w->mu);
    if (sy)
        rc = worker_syncer_await_ddl(sy, timeout_ms, &e);
    if (rc && e.msg[0])
        worker_terr_string(&e, err, cap);
    if (!rc) {
        pthread_mutex_lock(&w->mu);
        if ((t = find(w, task)))
            t->ddl_lock_id[0] = '\0';
        pthread_mutex_unlock(&w->mu);
    }
    return rc;
}

/* 40061 unless the recorded lock ID is `id`. */
static int check_lock_id(struct worker *w, const char *task, const char *id, bool clear,
                         char *err, size_t cap)
{
    struct subtask *t;
    int rc = DM_OK;
    pthread_mutex_lock(&w->mu);
    t = find(w, task);
    if (!t) {
        werr(err, cap, WTE_WORKER_NOT_FOUND, "sub task with name %s not found", task);
        rc = DM_E_NOT_FOUND;
    } else if (!t->ddl_lock_id[0] || strcmp(t->ddl_lock_id, id)) {
        werr(err, cap, 40061, "DDLLockInfo with ID %s not found", id);
        rc = DM_E_NOT_FOUND;
    } else if (clear) {
        t->ddl_lock_id[0] = '\0';
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* dm-master sends ExecuteDDL right after the DDLLockInfo on the stream; the stream's
 * thread may record it a moment later: while the subtask blocks with its DDLInfo handed
 * out and no ID recorded, a missing ID is looked up again for a while. */
#define LOCK_ID_WAIT_MS 3000

static bool awaiting_lock_id(struct worker *w, const char *task)
{
    struct subtask *t;
    bool yes;
    pthread_mutex_lock(&w->mu);
    t = find(w, task);
    yes = t && t->syncer && !t->ddl_lock_id[0] && worker_syncer_ddl_handed(t->syncer);
    pthread_mutex_unlock(&w->mu);
    return yes;
}

/* The lock instance `trace` asks this worker to execute a DDL it already executed and
 * checkpointed (its answer was lost: killed after the checkpoint; the restarted subtask
 * has no lock ID and blocks on nothing): the execution is the answer. */
static bool executed_before(struct worker *w, const char *task, const char *lock_id,
                            const char *trace)
{
    struct subtask *t;
    char tgt[400] = "";
    bool yes;
    pthread_mutex_lock(&w->mu);
    t = find(w, task);
    yes = t && t->syncer && !t->busy_op && trace && trace[0] &&
          worker_syncer_ddl_executed(t->syncer, trace, tgt, sizeof tgt);
    pthread_mutex_unlock(&w->mu);
    if (yes)
        dm_log_kv(DM_LOG_WARN, "ExecuteDDL of a lock instance this worker already executed and "
                  "checkpointed (its answer was lost): answered as executed, nothing runs "
                  "again", "task",
                  task, "lock", lock_id, "target", tgt, "trace", trace, NULL);
    return yes;
}

int worker_execute_ddl(struct worker *w, const char *task, const char *lock_id,
                       const char *trace, bool exec, char *const *ddls, size_t n,
                       int64_t timeout_ms, char *err, size_t cap)
{
    int rc = check_lock_id(w, task, lock_id, false, err, cap);
    for (int64_t waited = 0; rc == DM_E_NOT_FOUND && waited < LOCK_ID_WAIT_MS &&
                             awaiting_lock_id(w, task); waited += 50) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
        rc = check_lock_id(w, task, lock_id, false, err, cap);
    }
    if (rc == DM_E_NOT_FOUND && exec && executed_before(w, task, lock_id, trace)) {
        err[0] = '\0';
        return DM_OK;
    }
    return rc ? rc : exec_ddl(w, task, trace, exec, ddls, n, timeout_ms, err, cap);
}

int worker_break_ddl_lock(struct worker *w, const char *task, const char *remove_id, bool exec,
                          bool skip, int64_t timeout_ms, char *err, size_t cap)
{
    int rc = DM_OK;
    if (remove_id && remove_id[0])
        rc = check_lock_id(w, task, remove_id, true, err, cap);
    if (rc)
        return rc;
    if (exec && skip) {
        werr(err, cap, 40064, "execDDL and skipDDL can not specify both at the same time");
        return DM_E_INVAL;
    }
    if (!exec && !skip)
        return DM_OK;
    return exec_ddl(w, task, NULL, exec, NULL, 0, timeout_ms, err, cap);
}

/* ---- checker (auto-resume) ---- */

static void check_one(struct worker *w, struct subtask *t, int64_t now)
{
    int64_t min = w->opt.backoff_min_ms > 0 ? w->opt.backoff_min_ms : 1000;
    int64_t max = w->cfg->checker_backoff_max_ms > 0 ? w->cfg->checker_backoff_max_ms : 300000;
    int64_t id;
    char msg[1200];
    const char *fail;
    if (t->busy_op)
        return;
    reap(t);
    if (t->backoff_ms <= 0)
        t->backoff_ms = min;
    if (t->stage == PB__STAGE__Running &&
        now - t->running_since_ms >= w->cfg->checker_backoff_rollback_ms)
        t->backoff_ms = min;
    if (!w->cfg->checker_enable || t->stage != PB__STAGE__Paused || !t->has_error ||
        !t->error.transient || now - t->paused_at_ms < t->backoff_ms)
        return;
    dm_log_kv(DM_LOG_INFO, "auto resume subtask", "task", t->name, NULL);
    fail = apply_op(w, t, PB__TASK_OP__AutoResume, msg, sizeof msg);
    (void)log_op(w, PB__TASK_OP__AutoResume, t->name, t->stage, fail, &id);
    t->backoff_ms = t->backoff_ms * 2 > max ? max : t->backoff_ms * 2;
}

void worker_check_now(struct worker *w)
{
    struct subtask *t;
    int64_t now = now_ms();
    pthread_mutex_lock(&w->mu);
    for (t = w->tasks; t; t = t->next)
        check_one(w, t, now);
    pthread_mutex_unlock(&w->mu);
}

static void *checker_main(void *arg)
{
    struct worker *w = arg;
    int64_t iv = w->opt.checker_interval_ms > 0 ? w->opt.checker_interval_ms : 1000;
    pthread_mutex_lock(&w->mu);
    while (!w->closing) {
        struct timespec ts = dm_deadline_ms(iv);
        pthread_cond_timedwait(&w->cond, &w->mu, &ts);
        if (w->closing)
            break;
        pthread_mutex_unlock(&w->mu);
        worker_check_now(w);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- lifecycle ---- */

static void restore_one(struct worker *w, json_t *rec)
{
    struct worker_subtask_cfg *cfg = NULL;
    struct subtask *t = NULL;
    char err[600] = "";
    int stage = (int)json_integer_value(json_object_get(rec, "stage"));
    if (worker_subtask_cfg_from_json(json_object_get(rec, "config"), &cfg, err, sizeof err) ||
        subtask_new(cfg, &t, err, sizeof err)) {
        dm_log_kv(DM_LOG_ERROR, "cannot restore subtask", "task",
                  json_string_value(json_object_get(rec, "name")), "error", err, NULL);
        return;
    }
    t->w = w;
    if (stage == PB__STAGE__Finished) {
        t->stage = stage;
        t->load_done = true;
    } else if (stage == PB__STAGE__Running || stage == PB__STAGE__New) {
        if (run_syncer(w, t))
            t->stage = PB__STAGE__Paused;
    } else {
        t->stage = PB__STAGE__Paused;
        t->canceled = true;
    }
    t->next = w->tasks;
    w->tasks = t;
    dm_log_kv(DM_LOG_INFO, "restored subtask", "task", t->name, "stage", stage_name(t->stage),
              NULL);
}

/* relay-dir as configured (relative: to the working directory, as DM); unset: inside the
 * worker's own meta-dir, "<meta-dir>/relay_log" (DM: "./relay_log" of the working
 * directory, which two workers started from one directory would share). */
static int relay_dir(const struct worker_config *cfg, char *out, size_t cap)
{
    const char *md = cfg->meta_dir && cfg->meta_dir[0] ? cfg->meta_dir : "./dm_worker_meta";
    int n = cfg->relay_dir && cfg->relay_dir[0] ? snprintf(out, cap, "%s", cfg->relay_dir)
                                                : snprintf(out, cap, "%s/relay_log", md);
    return n > 0 && (size_t)n < cap ? DM_OK : DM_E_INVAL;
}

/* ---- update-relay / migrate-relay (DM v1.0.7 Worker.UpdateRelayConfig / MigrateRelay) ---- */

#define UPDATE_BAK "dm-worker-config.bak"
#define TE_WORKER_DECODE_CONFIG 40003
#define TE_WORKER_WRITE_CONFIG 40008
#define TE_WORKER_MIGRATE_STOPPED 40053
#define TE_WORKER_RELAY_UNIT_STAGE 40057
#define TE_WORKER_NO_SYNCER 40058
#define TE_WORKER_SOURCE_ID 40059

static void bak_path(const struct worker *w, char *out, size_t cap)
{
    snprintf(out, cap, "%s/" UPDATE_BAK, w->cfg->meta_dir && w->cfg->meta_dir[0]
                                             ? w->cfg->meta_dir : "./dm_worker_meta");
}

static void wterr(struct worker_terr *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wterr(struct worker_terr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    worker_terr_vset(e, code, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL,
                     code == TE_WORKER_DECODE_CONFIG || code == TE_WORKER_WRITE_CONFIG
                         ? WTE_LEVEL_MEDIUM : WTE_LEVEL_HIGH, fmt, ap);
    va_end(ap);
}

/* Parse a dm-worker.toml content; its source-id must be ours (DM: 40059). */
static int parse_update(const struct worker *w, const char *content, struct worker_config **out,
                        struct worker_terr *e)
{
    char err[1024] = "";
    struct worker_config *c = calloc(1, sizeof *c);
    if (!c)
        return DM_E_NOMEM;
    int rc = worker_config_load_text(content, c, err, sizeof err);
    if (rc == DM_OK && strcmp(c->source_id ? c->source_id : "", w->cfg->source_id
                                                                 ? w->cfg->source_id : "") != 0) {
        wterr(e, TE_WORKER_SOURCE_ID, "update source ID is not allowed");
        rc = DM_E_INVAL;
    } else if (rc) {
        wterr(e, TE_WORKER_DECODE_CONFIG, "toml decode file: %s", err);
    } else if (!c->from_given) {   /* DM would connect to its defaults: refused here */
        wterr(e, TE_WORKER_DECODE_CONFIG, "toml decode file: no [from] table (update-relay "
              "replaces the source connection: send the whole dm-worker.toml)");
        rc = DM_E_INVAL;
    }
    if (rc) {
        worker_config_free(c);
        free(c);
        return rc;
    }
    *out = c;
    return DM_OK;
}

static int push_from(struct worker *w, struct worker_config *c)
{
    struct worker_config **n = realloc(w->froms, (w->nfroms + 1) * sizeof *n);
    if (!n)
        return DM_E_NOMEM;
    w->froms = n;
    w->froms[w->nfroms++] = c;
    return DM_OK;
}

/* worker_new: a previous update-relay's config (kept in meta-dir) replaces [from]. */
static int restore_update(struct worker *w, char *err, size_t cap)
{
    char path[4200], *text = NULL;
    struct worker_config *c = NULL;
    struct worker_terr e;
    bak_path(w, path, sizeof path);
    if (dm_read_file(path, 1 << 20, &text, NULL) != DM_OK)
        return DM_OK;                              /* none (or unreadable: DM's file name) */
    int rc = parse_update(w, text, &c, &e);
    free(text);
    if (rc == DM_OK && (rc = push_from(w, c)) != DM_OK) {
        worker_config_free(c);
        free(c);
    }
    if (rc) {
        snprintf(err, cap, "%s (from update-relay): %s", path, e.msg);
        return rc;
    }
    dm_log_kv(DM_LOG_WARN, "[from] of the last update-relay replaces the config file's", "file",
              path, "host", c->from_host, NULL);
    return DM_OK;
}

/* DM CheckUnit for every subtask (w->mu held): the Sync unit must be current. */
static int check_sync_units(struct worker *w, struct worker_terr *e)
{
    char msg[512];
    for (struct subtask *t = w->tasks; t; t = t->next) {
        reap(t);
        if (busy_error(t, PB__TASK_OP__Pause, msg, sizeof msg)) {
            wterr(e, WTE_WORKER_OP_IN_PROGRESS, "update-relay: %s", msg + (msg[0] == '[' ?
                  strcspn(msg, "]") + 2 : 0));
            return DM_E_STATE;
        }
        if (strcmp(t->cfg->mode, "full") == 0 || units_pending(t)) {
            wterr(e, TE_WORKER_NO_SYNCER, "there is a subtask does not run syncer");
            return DM_E_STATE;
        }
    }
    return DM_OK;
}

/* DM: a Running subtask is paused, gets the new [from] and is resumed (w->mu held; released
 * while its Sync unit stops). */
static void restart_running(struct worker *w)
{
    char names[64][128];
    size_t n = 0;
    for (struct subtask *t = w->tasks; t && n < 64; t = t->next)
        if (t->stage == PB__STAGE__Running && t->syncer && strlen(t->name) < 128)
            snprintf(names[n++], sizeof names[0], "%s", t->name);
    for (size_t i = 0; i < n; i++) {
        struct subtask *t = find(w, names[i]);
        if (!t || t->busy_op || t->stage != PB__STAGE__Running || !t->syncer)
            continue;
        halt_unlocked(w, t, PB__TASK_OP__Pause);
        if (t->stage != PB__STAGE__Running || t->syncer)
            continue;                              /* changed meanwhile */
        if (run_syncer(w, t)) {
            t->stage = PB__STAGE__Paused;
            t->has_error = true;
            worker_terr_set(&t->error, WTE_WORKER_NOT_SUPPORTED, WTE_CLASS_DM_WORKER,
                            WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                            "cannot start the sync unit of %s", t->name);
            persist(w, t);
        }
    }
}

int worker_update_relay(struct worker *w, const char *content, struct worker_terr *e)
{
    struct worker_config *c = NULL;
    struct bl_source src;
    char path[4200];
    int rc;
    pthread_mutex_lock(&w->mu);
    if (!w->relay) {
        wterr(e, TE_WORKER_RELAY_UNIT_STAGE, "Worker's relay log unit in invalid stage: %s",
              "Stopped");
        rc = DM_E_STATE;
    } else {
        rc = check_sync_units(w, e);
    }
    pthread_mutex_unlock(&w->mu);
    content = content ? content : "";
    if (rc || (rc = parse_update(w, content, &c, e)))
        return rc;
    pthread_mutex_lock(&w->mu);
    if ((rc = push_from(w, c)) != DM_OK) {
        pthread_mutex_unlock(&w->mu);
        worker_config_free(c);
        free(c);
        return rc;
    }
    dm_log_kv(DM_LOG_INFO, "update relay config", "host", c->from_host, NULL);
    restart_running(w);
    pthread_mutex_unlock(&w->mu);
    memset(&src, 0, sizeof src);
    src.host = c->from_host;
    src.port = (int)c->from_port;
    src.user = c->from_user;
    src.password = c->from_password_plain;
    if ((rc = worker_relay_reload(w->relay, &src, e)))
        return rc;
    bak_path(w, path, sizeof path);                /* DM rewrites dm-worker.toml instead */
    if (dm_write_file_atomic(path, content, strlen(content)) != DM_OK) {
        wterr(e, TE_WORKER_WRITE_CONFIG, "write config to local file %s", path);
        return DM_E_IO;
    }
    return DM_OK;
}

int worker_migrate_relay(struct worker *w, const char *file, uint64_t pos, struct worker_terr *e)
{
    if (!w->relay) {
        wterr(e, TE_WORKER_MIGRATE_STOPPED, "relay unit has stopped, can not be migrated");
        return DM_E_STATE;
    }
    return worker_relay_migrate(w->relay, file, pos, e);
}

/* DM v1.0's worker always runs its relay unit. */
static int relay_start(struct worker *w, char *err, size_t cap)
{
    struct worker_relay_cfg rc;
    char dir[4096];
    memset(&rc, 0, sizeof rc);
    if (relay_dir(w->cfg, dir, sizeof dir)) {
        snprintf(err, cap, "relay-dir %s: path too long", w->cfg->relay_dir);
        return DM_E_INVAL;
    }
    rc.dir = dir;
    rc.src.host = from_locked(w)->from_host;
    rc.src.port = (int)from_locked(w)->from_port;
    rc.src.user = from_locked(w)->from_user;
    rc.src.password = from_locked(w)->from_password_plain;
    rc.src.server_id = (uint32_t)w->cfg->server_id + 1000;   /* subtasks use +0..999 */
    rc.enable_gtid = w->cfg->enable_gtid;
    rc.binlog_name = w->cfg->relay_binlog_name;
    rc.binlog_gtid = w->cfg->relay_binlog_gtid;
    rc.purge_interval_s = w->cfg->purge_interval;
    rc.purge_expires_h = w->cfg->purge_expires;
    rc.purge_remain_space_gb = w->cfg->purge_remain_space;
    return worker_relay_new(&rc, &w->relay);
}

struct worker_relay *worker_relay_of(struct worker *w)
{
    return w->relay;
}

int worker_new(const struct worker_config *cfg, const struct worker_options *opt,
               struct worker **out, char *err, size_t cap)
{
    struct worker *w = calloc(1, sizeof *w);
    json_t *recs = NULL, *rec;
    size_t i;
    int rc;
    *out = NULL;
    if (!w)
        return DM_E_NOMEM;
    w->cfg = cfg;
    if (opt)
        w->opt = *opt;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    pthread_cond_init(&w->ops_cond, NULL);
    if ((rc = worker_meta_open(cfg->meta_dir, &w->meta, err, cap)) ||
        (rc = worker_meta_load_subtasks(w->meta, &recs))) {
        worker_free(w);
        return rc;
    }
    if ((rc = restore_update(w, err, cap)) || (rc = relay_start(w, err, cap))) {
        json_decref(recs);
        worker_free(w);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    json_array_foreach(recs, i, rec)
        restore_one(w, rec);
    pthread_mutex_unlock(&w->mu);
    json_decref(recs);
    if (pthread_create(&w->checker, NULL, checker_main, w) != 0) {
        worker_free(w);
        return DM_E_INTERNAL;
    }
    w->checker_started = true;
    *out = w;
    return DM_OK;
}

void worker_free(struct worker *w)
{
    struct subtask *t;
    size_t i;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    pthread_cond_broadcast(&w->cond);
    while (w->ops_in_flight > 0)      /* a pause/stop still waiting on its target */
        pthread_cond_wait(&w->ops_cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (w->checker_started)
        pthread_join(w->checker, NULL);
    while ((t = w->tasks)) {
        w->tasks = t->next;
        subtask_free(t);
    }
    worker_relay_free(w->relay);
    worker_meta_free(w->meta);
    for (i = 0; i < w->nfroms; i++) {
        worker_config_free(w->froms[i]);
        free(w->froms[i]);
    }
    free(w->froms);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    pthread_cond_destroy(&w->ops_cond);
    free(w);
}

/* presync.c - Dump then Load in one thread (presync.h). */
#include "presync.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "log.h"

struct worker_presync {
    struct worker_presync_params p;
    char dir[4096];
    pthread_t th;
    pthread_mutex_t mu;
    struct worker_dump *dump;
    struct worker_load *load;
    atomic_int unit;
    atomic_bool done, stopping;
    bool joined;
    struct worker_presync_result res;
};

void worker_presync_dir(const struct worker_subtask_cfg *cfg, const char *source_id, char *out,
                        size_t cap)
{
    if (cfg->import_dir && cfg->import_dir[0])
        snprintf(out, cap, "%s", cfg->import_dir);
    else
        snprintf(out, cap, "%s/%s.%s", cfg->dir, cfg->name, source_id);
}

static int run_units(struct worker_presync *s, struct worker_presync_result *res)
{
    const struct worker_presync_params *p = &s->p;
    struct worker_dump_params dp = { p->cfg, p->rules, &p->src, s->dir };
    struct worker_load_params lp = { p->cfg, p->rules, s->dir, p->source_id, false };
    bool load_started = false, sync_started = false;
    int rc;
    if (strchr(p->source_id, '/') || strcmp(p->source_id, "..") == 0 || !p->source_id[0]) {
        worker_terr_set(&res->err, WTE_DUMP_RUNTIME, WTE_CLASS_DUMP_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "source-id '%s' cannot name a dump directory",
                        p->source_id);
        return DM_E_INVAL;
    }
    if (p->remove_meta && (rc = worker_load_reset_meta(p->cfg, p->source_id, &res->err)))
        return rc;
    if ((rc = worker_load_target_state(p->cfg, p->source_id, &load_started, &sync_started,
                                       &res->err)))
        return rc;
    if (sync_started && strcmp(p->cfg->mode, "all") == 0) {
        atomic_store(&s->unit, WORKER_UNIT_SYNC);
        return DM_OK;
    }
    /* import-dir: a dump made elsewhere, loaded as it is (never dumped into: a Dump
     * empties its directory first) */
    if (!load_started && !(p->cfg->import_dir && p->cfg->import_dir[0])) {
        atomic_store(&s->unit, WORKER_UNIT_DUMP);
        if ((rc = worker_dump_run(s->dump, &dp, &res->err)))
            return rc;
    }
    atomic_store(&s->unit, WORKER_UNIT_LOAD);
    if ((rc = worker_load_run(s->load, &lp, &res->pos, &res->err)))
        return rc;
    res->have_pos = true;
    return DM_OK;
}

static void *presync_main(void *arg)
{
    struct worker_presync *s = arg;
    struct worker_presync_result res;
    memset(&res, 0, sizeof res);
    res.rc = run_units(s, &res);
    if (atomic_load(&s->stopping) && res.rc)
        res.rc = DM_E_CANCELLED;
    if (res.rc && res.rc != DM_E_CANCELLED)
        dm_log_kv(DM_LOG_WARN, "dump/load unit failed", "task", s->p.cfg->name, "error",
                  res.err.msg, NULL);
    pthread_mutex_lock(&s->mu);
    s->res = res;
    pthread_mutex_unlock(&s->mu);
    atomic_store(&s->done, true);
    return NULL;
}

int worker_presync_start(const struct worker_presync_params *p, struct worker_presync **out)
{
    struct worker_presync *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return DM_E_NOMEM;
    s->p = *p;
    pthread_mutex_init(&s->mu, NULL);
    worker_presync_dir(p->cfg, p->source_id, s->dir, sizeof s->dir);
    /* a resume after a Load began stays "Load" even when the target cannot be reached */
    atomic_store(&s->unit, p->last_unit == WORKER_UNIT_LOAD ? WORKER_UNIT_LOAD : WORKER_UNIT_DUMP);
    if (!(s->dump = worker_dump_new()) || !(s->load = worker_load_new())) {
        worker_presync_free(s);
        return DM_E_NOMEM;
    }
    if (pthread_create(&s->th, NULL, presync_main, s) != 0) {
        s->joined = true;
        worker_presync_free(s);
        return DM_E_INTERNAL;
    }
    *out = s;
    return DM_OK;
}

void worker_presync_stop(struct worker_presync *s)
{
    if (!s || s->joined)
        return;
    atomic_store(&s->stopping, true);
    worker_dump_cancel(s->dump);
    worker_load_cancel(s->load);
    pthread_join(s->th, NULL);
    s->joined = true;
}

bool worker_presync_done(struct worker_presync *s, struct worker_presync_result *res)
{
    if (!atomic_load(&s->done))
        return false;
    if (!s->joined) {
        pthread_join(s->th, NULL);
        s->joined = true;
    }
    pthread_mutex_lock(&s->mu);
    *res = s->res;
    pthread_mutex_unlock(&s->mu);
    return true;
}

void worker_presync_stats(struct worker_presync *s, struct worker_presync_stats *st)
{
    memset(st, 0, sizeof *st);
    st->unit = (enum worker_unit)atomic_load(&s->unit);
    worker_load_stats(s->load, &st->load);
}

void worker_presync_free(struct worker_presync *s)
{
    if (!s)
        return;
    worker_presync_stop(s);
    worker_dump_free(s->dump);
    worker_load_free(s->load);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

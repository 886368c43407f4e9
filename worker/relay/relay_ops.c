/* relay_ops.c - relay operations that change what the writer reads or where it writes
 * (DM v1.0.7 Relay.Reload / Relay.Migrate, worker.UpdateRelayConfig / MigrateRelay); the
 * writer (relay.c fill_gap) fills the start of a file begun past position 4 with DM's
 * dummy event. See relay.h. */
#include "relay_int.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dm_assert.h"
#include "dm_error.h"
#include "log.h"

#define TE_RELAY_BINLOG_NAME 30004
#define TE_RELAY_MKDIR 30033
#define TE_WORKER_MIGRATE_STOPPED 40053
#define TE_WORKER_RELAY_UNIT_STAGE 40057

/* Reload and migrate one at a time: both use the source settings outside mu (the writer
 * is idle then) and reload replaces them. */
static pthread_mutex_t ops_mu = PTHREAD_MUTEX_INITIALIZER;

/* Under mu: until the writer thread is outside a session (after a pause it closes its
 * source stream, flushes and returns). */
static void wait_idle(struct worker_relay *r)
{
    while (r->writing)
        pthread_cond_wait(&r->cond, &r->mu);
}

static int unit_stage_err(struct worker_relay *r, struct worker_terr *e)
{
    static const char *const names[] = { "New", "Running", "Paused", "Stopped" };
    worker_terr_set(e, TE_WORKER_RELAY_UNIT_STAGE, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL,
                    WTE_LEVEL_HIGH, "Worker's relay log unit in invalid stage: %s",
                    names[r->stage]);
    return DM_E_STATE;
}

/* Pause a Running relay and wait for the writer (DM: the holder's Operate(PauseRelay)). */
static int pause_idle(struct worker_relay *r, bool *was_running, struct worker_terr *e)
{
    int rc = DM_OK;
    pthread_mutex_lock(&r->mu);
    *was_running = r->stage == WORKER_RELAY_RUNNING;
    pthread_mutex_unlock(&r->mu);
    if (*was_running && (rc = worker_relay_pause(r, e)))
        return rc;
    pthread_mutex_lock(&r->mu);
    wait_idle(r);
    pthread_mutex_unlock(&r->mu);
    return DM_OK;
}

int worker_relay_reload(struct worker_relay *r, const struct bl_source *src,
                        struct worker_terr *e)
{
    bool running;
    int rc;
    pthread_mutex_lock(&r->mu);
    enum worker_relay_stage st = r->stage;
    pthread_mutex_unlock(&r->mu);
    if (st != WORKER_RELAY_RUNNING && st != WORKER_RELAY_PAUSED)
        return unit_stage_err(r, e);
    char *host = strdup(src->host ? src->host : ""), *user = strdup(src->user ? src->user : "");
    char *pw = strdup(src->password ? src->password : "");
    if (!host || !user || !pw) {
        free(host), free(user), free(pw);
        return DM_E_NOMEM;
    }
    pthread_mutex_lock(&ops_mu);
    if ((rc = pause_idle(r, &running, e))) {
        pthread_mutex_unlock(&ops_mu);
        free(host), free(user), free(pw);
        return rc;
    }
    pthread_mutex_lock(&r->mu);
    wait_idle(r);
    if (r->stage != WORKER_RELAY_PAUSED) {     /* resume-relay came in between: retry */
        rc = unit_stage_err(r, e);
        pthread_mutex_unlock(&r->mu);
        pthread_mutex_unlock(&ops_mu);
        free(host), free(user), free(pw);
        return rc;
    }
    free(r->host), free(r->user), free(r->password);   /* Paused and idle: nobody reads them */
    r->host = host, r->user = user, r->password = pw;
    r->cfg.src.host = host, r->cfg.src.user = user, r->cfg.src.password = pw;
    r->cfg.src.port = src->port;
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&ops_mu);
    dm_log_kv(DM_LOG_INFO, "relay: source updated (update-relay)", "host", host, NULL);
    return running ? worker_relay_resume(r, e) : DM_OK;
}

static int migrate_locked(struct worker_relay *r, const char *file, uint64_t pos,
                          struct worker_terr *e);

int worker_relay_migrate(struct worker_relay *r, const char *file, uint64_t pos,
                         struct worker_terr *e)
{
    pthread_mutex_lock(&ops_mu);
    int rc = migrate_locked(r, file, pos, e);
    pthread_mutex_unlock(&ops_mu);
    return rc;
}

static int migrate_locked(struct worker_relay *r, const char *file, uint64_t pos,
                          struct worker_terr *e)
{
    char uuid[128], name[160], err[512] = "";
    bool running;
    int rc;
    pthread_mutex_lock(&r->mu);
    enum worker_relay_stage st = r->stage;
    pthread_mutex_unlock(&r->mu);
    if (st != WORKER_RELAY_RUNNING && st != WORKER_RELAY_PAUSED) {
        worker_terr_set(e, TE_WORKER_MIGRATE_STOPPED, WTE_CLASS_DM_WORKER, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "relay unit has stopped, can not be migrated");
        return DM_E_STATE;
    }
    if (!file || !relay_binlog_name(file) || strlen(file) >= sizeof r->meta_file || pos < 4 ||
        pos > UINT32_MAX) {
        worker_terr_set(e, TE_RELAY_BINLOG_NAME, WTE_CLASS_RELAY_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "relay-binlog-name %s not valid (migrate-relay needs a "
                        "binlog file name and a position >= 4, got %" PRIu64 ")",
                        file ? file : "", pos);
        return DM_E_INVAL;
    }
    if ((rc = pause_idle(r, &running, e)))     /* DM: a Running relay is paused first */
        return rc;
    if ((rc = bl_source_uuid(&r->cfg.src, uuid, sizeof uuid, err, sizeof err))) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                        "relay: source %s:%d: server uuid: %s", r->host, r->cfg.src.port, err);
        return rc;
    }
    pthread_mutex_lock(&r->mu);
    wait_idle(r);                              /* a resume-relay meanwhile: still refused */
    if (r->stage != WORKER_RELAY_PAUSED) {
        rc = unit_stage_err(r, e);
        pthread_mutex_unlock(&r->mu);
        return rc;
    }
    /* the old sub-directory's file ends where the writer stopped (readers cross there) */
    if (r->nsubdirs && r->file[0] && r->end > 4 &&
        (rc = relay_note_end(r, r->nsubdirs - 1, r->file, r->end, e))) {
        pthread_mutex_unlock(&r->mu);
        return rc;
    }
    if ((rc = relay_subdir_append(r, uuid, false, name, sizeof name, e))) {
        pthread_mutex_unlock(&r->mu);
        return rc;
    }
    snprintf(r->meta_file, sizeof r->meta_file, "%s", file);
    r->meta_pos = pos;
    r->seq++;
    rc = relay_save_index(r, e);
    if (rc == DM_OK)                           /* DM AddDir: the GTID set is kept */
        rc = relay_save_meta(r, file, pos, r->gtid, e);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    char at[300];
    snprintf(at, sizeof at, "(%s, %" PRIu64 ")", file, pos);
    dm_log_kv(DM_LOG_INFO, "relay: migrated (migrate-relay), relay Paused", "sub-dir", name,
              "binlog", at, NULL);
    return rc;
}

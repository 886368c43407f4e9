/* worker_metrics.c - see worker_metrics.h */
#include "worker_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "dm_metrics.h"
#include "relay.h"
#include "worker.h"

static struct dm_metric m_state = DM_METRIC_GAUGE(
    "dm_worker_task_state",
    "state of task, 0 - invalidStage, 1 - New, 2 - Running, 3 - Paused, 4 - Stopped, 5 - Finished",
    "task");
static struct dm_metric m_pos = DM_METRIC_GAUGE("dm_syncer_binlog_pos", "current binlog pos",
                                                "node,task");
static struct dm_metric m_file = DM_METRIC_GAUGE("dm_syncer_binlog_file",
                                                 "current binlog file index", "node,task");
static struct dm_metric m_lag = DM_METRIC_GAUGE(
    "dm_syncer_replication_lag", "replication lag in second between mysql and syncer", "task");

static double file_index(const char *f)
{
    const char *dot = strrchr(f, '.');
    if (!dot || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))
        return -1;
    return strtod(dot + 1, NULL);
}

static void collect(void *arg)
{
    struct worker *w = arg;
    struct worker_subtask_status *sts = NULL;
    size_t n = 0;
    struct worker_relay *r = worker_relay_of(w);
    if (r)
        worker_relay_metrics_collect(r);
    dm_metric_clear(&m_state);   /* subtasks come and go: rebuilt every time */
    dm_metric_clear(&m_pos);
    dm_metric_clear(&m_file);
    dm_metric_clear(&m_lag);
    if (worker_snapshot(w, NULL, &sts, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct worker_subtask_status *st = &sts[i];
        dm_metric_set(&m_state, st->stage, st->name);
        if (st->has_sync && st->sync.have_pos) {
            dm_metric_set(&m_pos, (double)st->sync.syncer_pos, "syncer", st->name);
            dm_metric_set(&m_file, file_index(st->sync.syncer_file), "syncer", st->name);
        }
        if (st->has_sync && st->sync.have_lag)
            dm_metric_set(&m_lag, st->sync.replication_lag, st->name);
    }
    worker_snapshot_free(sts, n);
}

int worker_metrics_install(struct worker *w)
{
    return dm_metrics_add_collector(collect, w);
}

void worker_metrics_remove(struct worker *w)
{
    dm_metrics_remove_collector(collect, w);
}

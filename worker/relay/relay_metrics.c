/* relay_metrics.c - the relay unit's Prometheus families, DM v1.0.7 relay/metrics.go
 * names: updated by the writer (relay_metrics_* in relay_int.h) and, for the position
 * gauges and the relay-dir space, read from the relay's state at every scrape
 * (worker_relay_metrics_collect). */
#include "relay_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "dm_metrics.h"

static struct dm_metric m_pos = DM_METRIC_GAUGE(
    "dm_relay_binlog_pos", "current binlog pos in current binlog file", "node");
static struct dm_metric m_file = DM_METRIC_GAUGE(
    "dm_relay_binlog_file", "current binlog file index", "node");
static struct dm_metric m_subdir = DM_METRIC_GAUGE(
    "dm_relay_sub_dir_index", "current relay sub directory index", "node,uuid");
static struct dm_metric m_space = DM_METRIC_GAUGE(
    "dm_relay_space", "the space of storage for relay component", "type");
static struct dm_metric m_corrupt = DM_METRIC_COUNTER(
    "dm_relay_data_corruption", "counter of relay log data corruption", "");
static struct dm_metric m_wsize = DM_METRIC_HISTOGRAM(
    "dm_relay_write_size", "write relay log size", "", 16, 2, 20);
static struct dm_metric m_wdur = DM_METRIC_HISTOGRAM(
    "dm_relay_write_duration", "bucketed histogram of write time (s) of single relay log event",
    "", 0.000005, 2, 25);
static struct dm_metric m_werr = DM_METRIC_COUNTER(
    "dm_relay_write_error_count", "write relay log error count", "");
static struct dm_metric m_rerr = DM_METRIC_COUNTER(
    "dm_relay_read_error_count", "read binlog from master error count", "");
static struct dm_metric m_rdur = DM_METRIC_HISTOGRAM(
    "dm_relay_read_binlog_duration",
    "bucketed histogram of read time (s) of single binlog event from the master.", "",
    0.000005, 2, 25);
static struct dm_metric m_exit = DM_METRIC_COUNTER(
    "dm_relay_exit_with_error_count", "counter of relay unit exits with error", "");

void relay_metrics_write(size_t bytes, double seconds)
{
    dm_metric_observe(&m_wsize, (double)bytes);
    dm_metric_observe(&m_wdur, seconds);
}

void relay_metrics_read(double seconds)
{
    dm_metric_observe(&m_rdur, seconds);
}

void relay_metrics_count(enum relay_metric_event what)
{
    static struct dm_metric *const m[] = { [RELAY_M_WRITE_ERROR] = &m_werr,
                                           [RELAY_M_READ_ERROR] = &m_rerr,
                                           [RELAY_M_CORRUPTION] = &m_corrupt,
                                           [RELAY_M_EXIT_ERROR] = &m_exit };
    dm_metric_add(m[what], 1);
}

/* "mysql-bin.000042" -> 42 (DM's GetFileIndex); -1 when there is no numeric suffix. */
static double file_index(const char *f)
{
    const char *dot = strrchr(f, '.');
    if (!dot || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))
        return -1;
    return strtod(dot + 1, NULL);
}

void worker_relay_metrics_collect(struct worker_relay *r)
{
    static struct dm_metric *const always[] = { &m_corrupt, &m_wsize, &m_wdur, &m_werr,
                                                &m_rerr, &m_rdur, &m_exit };
    char file[256], sub[160], dir[4096];
    uint64_t pos;
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        dm_metric_register(always[i]);
    pthread_mutex_lock(&r->mu);
    snprintf(file, sizeof file, "%s", r->file);
    pos = r->end;
    snprintf(sub, sizeof sub, "%s", r->nsubdirs ? r->subdirs[r->nsubdirs - 1] : "");
    snprintf(dir, sizeof dir, "%s", r->dir);
    pthread_mutex_unlock(&r->mu);
    if (file[0]) {
        dm_metric_set(&m_pos, (double)pos, "relay");
        dm_metric_set(&m_file, file_index(file), "relay");
    }
    dm_metric_clear(&m_subdir);
    if (sub[0]) {
        const char *dot = strrchr(sub, '.');
        dm_metric_set(&m_subdir, dot ? strtod(dot + 1, NULL) : 0, "relay", sub);
    }
    struct statvfs vs;
    if (statvfs(dir, &vs) == 0) {
        dm_metric_set(&m_space, (double)vs.f_blocks * (double)vs.f_frsize, "capacity");
        dm_metric_set(&m_space, (double)vs.f_bavail * (double)vs.f_frsize, "available");
    }
}

/* dm_metrics.h - a small Prometheus registry for the daemons (text exposition 0.0.4):
 * counters, gauges and histograms with up to DM_METRIC_MAX_LABELS labels.
 *
 * A family is a static struct defined where it is updated:
 *     static struct dm_metric wsize = DM_METRIC_HISTOGRAM("dm_relay_write_size",
 *         "write relay log size", "", 16, 2, 20);          // exponential buckets
 *     static struct dm_metric pos = DM_METRIC_GAUGE("dm_relay_binlog_pos", "...", "node");
 *     dm_metric_observe(&wsize, 512);
 *     dm_metric_set(&pos, 4096, "relay");                  // one label value per label
 * It joins the process-wide registry on first use (or dm_metric_register, to be listed
 * with value 0 before that). Series are made on first use, label values copied; at most
 * DM_METRIC_MAX_SERIES per family (more are dropped and counted in
 * dm_metrics_dropped_total). Collectors run at the start of every render, under the
 * registry lock (one at a time), to set gauges from state (status snapshots).
 * Names and label names are static strings the caller keeps valid (checked by DM_ASSERT
 * at registration); label values are escaped when rendered.
 * Thread-safety: every function is thread-safe. */
#ifndef DM_METRICS_H
#define DM_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define DM_METRIC_MAX_LABELS 4
#define DM_METRIC_MAX_SERIES 1024

enum dm_metric_type { DM_METRIC_T_COUNTER, DM_METRIC_T_GAUGE, DM_METRIC_T_HISTOGRAM };

struct dm_metric_series;

struct dm_metric {
    const char *name, *help;
    enum dm_metric_type type;
    const char *label_spec;       /* "a,b" (static) or "" */
    double bstart, bfactor;       /* histogram: exponential buckets */
    size_t nbuckets;
    /* private */
    pthread_mutex_t mu;
    atomic_bool registered;
    const char *labels[DM_METRIC_MAX_LABELS];
    size_t nlabels;
    char label_buf[128];
    double *buckets;
    struct dm_metric_series **series;
    size_t nseries, cap;
    struct dm_metric *next;
};

#define DM_METRIC_DEF_(t, n, h, l, s, f, nb) \
    { .name = (n), .help = (h), .type = (t), .label_spec = (l), .bstart = (s), \
      .bfactor = (f), .nbuckets = (nb), .mu = PTHREAD_MUTEX_INITIALIZER }
#define DM_METRIC_COUNTER(name, help, labels) \
    DM_METRIC_DEF_(DM_METRIC_T_COUNTER, name, help, labels, 0, 0, 0)
#define DM_METRIC_GAUGE(name, help, labels) \
    DM_METRIC_DEF_(DM_METRIC_T_GAUGE, name, help, labels, 0, 0, 0)
/* buckets start, start*factor, ... (nb of them, nb <= 64), as Prometheus' ExponentialBuckets */
#define DM_METRIC_HISTOGRAM(name, help, labels, start, factor, nb) \
    DM_METRIC_DEF_(DM_METRIC_T_HISTOGRAM, name, help, labels, start, factor, nb)

/* List the family now (its unlabelled series, if any, shows 0). */
void dm_metric_register(struct dm_metric *m);
/* Label values follow v, one const char * per label of the family. */
void dm_metric_add(struct dm_metric *m, double v, ...);      /* counter / gauge */
/* gauge; or a counter a collector mirrors from state (a monotonic total) */
void dm_metric_set(struct dm_metric *m, double v, ...);
void dm_metric_observe(struct dm_metric *m, double v, ...);  /* histogram */
/* Drop every series of the family (a collector rebuilding a gauge family). */
void dm_metric_clear(struct dm_metric *m);

typedef void (*dm_metrics_collect_fn)(void *arg);
/* A function run at every render (before the families are written). DM_OK,
 * DM_E_TOO_LARGE (at most 16). Remove it before arg becomes invalid. */
int dm_metrics_add_collector(dm_metrics_collect_fn fn, void *arg);
void dm_metrics_remove_collector(dm_metrics_collect_fn fn, void *arg);

/* Run the collectors, then append every family and the process_* families (from
 * /proc/self; left out where /proc is missing). DM_OK, DM_E_TOO_LARGE, DM_E_NOMEM. */
int dm_metrics_render(struct dm_buf *out);
/* Only the process_* families (process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds). */
int dm_metrics_render_process(struct dm_buf *out);

#endif /* DM_METRICS_H */

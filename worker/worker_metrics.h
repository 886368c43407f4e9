/* worker_metrics.h - dm-worker's Prometheus metrics, read from the worker's state at
 * every scrape (a dm_metrics collector), DM v1.0.7 names: the relay's gauges
 * (relay/relay_metrics.c, whose writer also feeds dm_relay_write_size/duration, read
 * duration and the error counters) and per subtask dm_worker_task_state{task},
 * dm_syncer_binlog_file/pos{node="syncer",task} (the flushed checkpoint) and
 * dm_syncer_replication_lag{task} (enable-heartbeat). Served by common/dm_status_http on
 * `status-addr`.
 * Thread-safety: install/remove from main(); the collector runs on the render thread. */
#ifndef DM_WORKER_METRICS_H
#define DM_WORKER_METRICS_H

struct worker;

/* Register the collector for w (borrowed until worker_metrics_remove). DM_OK or
 * DM_E_TOO_LARGE. */
int worker_metrics_install(struct worker *w);
void worker_metrics_remove(struct worker *w);

#endif /* DM_WORKER_METRICS_H */

/* heartbeat.h - DM v1.0.7's replication heartbeat (syncer/heartbeat.go) for one Sync
 * unit (`enable-heartbeat: true`). A thread connected to the SOURCE creates
 * `DM_HEARTBEAT`.`HEARTBEAT` (ts varchar(26), server_id int unsigned, PRIMARY KEY
 * server_id) if needed and every `heartbeat-update-interval` seconds runs
 *   REPLACE INTO `DM_HEARTBEAT`.`HEARTBEAT` (`ts`, `server_id`) VALUES (UTC_TIMESTAMP(6), id);
 * the Sync unit hands every rows event of that table to worker_heartbeat_observe, which
 * keeps the ts of the newest row with our server id (the replicated ts). Every
 * `heartbeat-report-interval` seconds the thread reads the source's current ts and sets
 * lag = source ts - replicated ts (DM's `dm_syncer_replication_lag` gauge), logged as
 * "replication lag" and returned by worker_heartbeat_lag. The heartbeat schema is a
 * system schema for the rules (rules.h): it never reaches the target.
 * Differences from DM: one heartbeat per Sync unit, not one per process (same table and
 * row: the server id is the unit's replica id); connection errors are logged (at most
 * once a minute) and retried at the next tick instead of failing the unit's start.
 * Ownership: the strings of `src` are copied. Thread-safety: observe/lag may be called
 * from any thread; start/free from the owner. */
#ifndef DM_WORKER_HEARTBEAT_H
#define DM_WORKER_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "binlog.h"

#define WORKER_HEARTBEAT_SCHEMA "DM_HEARTBEAT"
#define WORKER_HEARTBEAT_TABLE "HEARTBEAT"

struct worker_heartbeat;

/* Start the thread for task `task` (intervals in seconds, >= 1). DM_OK, DM_E_NOMEM or
 * DM_E_INTERNAL (thread creation). */
int worker_heartbeat_start(const struct bl_source *src, uint32_t server_id, int update_s,
                           int report_s, const char *task, struct worker_heartbeat **out);
/* Stop the thread and free (NULL ok). */
void worker_heartbeat_free(struct worker_heartbeat *h);

/* true when ev is a rows event of the heartbeat table (case-insensitive names); then the
 * newest row carrying our server id updates the replicated ts. */
bool worker_heartbeat_observe(struct worker_heartbeat *h, const struct bl_event *ev);
/* Last computed lag in seconds; false until one was computed (h NULL -> false). */
bool worker_heartbeat_lag(struct worker_heartbeat *h, double *lag_s);
/* "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) -> seconds since the epoch; false when invalid. */
bool worker_heartbeat_parse_ts(const char *s, size_t n, double *out);

#endif /* DM_WORKER_HEARTBEAT_H */

/* relay.h - the relay unit (DM v1.0.7 relay/): one writer per worker copies the source's
 * binlog into `relay-dir`, and the Sync units of subtasks with binlog-type local read it
 * back (relay_stream, through bl_reader_open_feed) instead of the source.
 *
 * Layout (DM's): <dir>/server-uuid.index lists the sub-directories "<uuid>.<NNNNNN>" in
 * order (uuid = "<gtid_domain_id>-<server_id>" for MariaDB, DM's GetMariaDBUUID); each holds
 * the source's binlog files under their own names, byte-identical to the source from
 * position 4 (magic, the FORMAT_DESCRIPTION event, every event, the closing ROTATE; fake
 * rotates, heartbeats and artificial events are not written), and relay.meta (TOML
 * binlog-name / binlog-pos / binlog-gtid: the last transaction boundary written). The data
 * is fdatasync'ed before relay.meta is replaced (temp file + fsync + rename + dir fsync), so
 * after a kill -9 the writer truncates the file to the meta position and re-fetches: a
 * torn event is never read (readers only see complete events the writer published).
 * Start point of a new sub-directory: relay-binlog-name (else the source's current file),
 * position 4, as DM. A source with another uuid gets a new sub-directory at start.
 * Stages: Running (also while retrying a lost source connection, error shown in status),
 * Paused (pause-relay, or an error: unwritable dir, source purged a needed file, corrupt
 * relay file; readers wait, nothing is written), Stopped (freed).
 * A uuid change found at a (re)connect cuts the finished sub-directory back to its meta.
 * enable-gtid (MariaDB): a new sub-directory after the first (switch-relay-master, a source
 * of another uuid) or the first with relay-binlog-gtid starts from a GTID set; the gaps the
 * source skips before the first transaction are filled with DM's dummy event (flag
 * LOG_EVENT_RELAY_LOG_F; local readers skip it). docs/worker.md "Relay unit" has the details
 * and lists what is not supported (migrate, GTID sync positions).
 *
 * Ownership: worker_relay_new copies the config strings. Thread-safety: every function
 * may be called from any thread; worker_relay_free after every stream was freed. */
#ifndef DM_WORKER_RELAY_H
#define DM_WORKER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binlog.h"
#include "terror.h"

struct worker_relay_cfg {
    const char *dir;              /* relay-dir (absolute or relative to the cwd) */
    struct bl_source src;         /* the source; server_id = the worker's */
    bool enable_gtid;
    const char *binlog_name;      /* relay-binlog-name ("" / NULL: the source's current file) */
    const char *binlog_gtid;      /* relay-binlog-gtid: start set of the first sub-directory
                                     (with enable_gtid; gtid.h text form) */
    int64_t purge_interval_s;     /* [purge] interval (0 -> 3600) */
    int64_t purge_expires_h;      /* [purge] expires hours (0: no time-based auto purge) */
    int64_t purge_remain_space_gb;/* [purge] remain-space GB (0: no space-based purge) */
};

enum worker_relay_stage { WORKER_RELAY_NEW = 0, WORKER_RELAY_RUNNING, WORKER_RELAY_PAUSED,
                          WORKER_RELAY_STOPPED };

struct worker_relay_status {
    enum worker_relay_stage stage;
    char sub_dir[160];            /* "<uuid>.<NNNNNN>" ("" before the first start) */
    char file[256];               /* relay's current file and the end of what it wrote */
    uint64_t pos;
    char gtid[1024];              /* GTID set at the last transaction boundary written */
    bool has_err;
    struct worker_terr err;       /* why Paused / the last retried error */
};

/* PurgeRelay (DM's request): exactly one of inactive, time (unix seconds) or filename
 * (with optional sub_dir, default the newest) ; files still read by a stream or written
 * are never removed (DM: everything before the earliest active relay log). */
struct worker_relay_purge_req {
    bool inactive;
    int64_t time;
    const char *filename;
    const char *sub_dir;
};

struct worker_relay;

/* Create and start the writer thread (stage Running). DM_OK or DM_E_NOMEM/DM_E_INTERNAL. */
int worker_relay_new(const struct worker_relay_cfg *cfg, struct worker_relay **out);
/* Stop the writer (meta flushed) and free. */
void worker_relay_free(struct worker_relay *r);

/* OperateRelay (DM's realRelayHolder): pause needs Running, resume needs Paused, else
 * 40039 "current stage is X, Y required, relay op Z". DM_OK or DM_E_STATE with *e. */
int worker_relay_pause(struct worker_relay *r, struct worker_terr *e);
int worker_relay_resume(struct worker_relay *r, struct worker_terr *e);
int worker_relay_purge(struct worker_relay *r, const struct worker_relay_purge_req *q,
                       struct worker_terr *e);
/* SwitchRelayMaster: 30034 without enable-gtid, 40039 unless Paused; then DM_OK, and the
 * next resume starts a new sub-directory of the configured source from the relay's GTID set. */
int worker_relay_switch_master(struct worker_relay *r, struct worker_terr *e);
void worker_relay_status(struct worker_relay *r, struct worker_relay_status *st);

/* relay_ops.c. UpdateRelayConfig's relay part (DM Relay.Reload): the source connection
 * (host, port, user, password; enable-gtid and the rest stay) is replaced; a Running relay
 * is paused, waits for its writer, is updated and resumed; a Paused one stays Paused.
 * Other stages: 40057 "Worker's relay log unit in invalid stage: X". */
int worker_relay_reload(struct worker_relay *r, const struct bl_source *src,
                        struct worker_terr *e);
/* MigrateRelay (DM Relay.Migrate via the worker): a Running relay is paused (Stopped:
 * 40053); a new sub-directory "<source uuid>.<N+1>" is added with relay.meta = (file, pos)
 * (the GTID set kept) and the relay stays Paused, as in DM; resume-relay then writes `file`
 * from pos: magic, the source's FORMAT_DESCRIPTION event and one dummy event up to pos
 * (DM's writer: a QUERY "# dummy query generated by DM ..."), then the source's events.
 * file must be "<base>.<digits>" and pos >= 4 (else 30004). */
int worker_relay_migrate(struct worker_relay *r, const char *file, uint64_t pos,
                         struct worker_terr *e);

/* Keep `file` and later ones of the newest sub-directory for `owner` (a subtask name) while
 * it has no reader (a paused Sync unit: its checkpoint file), so purge never removes what a
 * paused subtask still needs; file NULL or "" drops the hold (stop-task). A reader opened
 * for the same owner replaces its hold. At most 256 holds (more: not kept, logged). */
void worker_relay_hold(struct worker_relay *r, const char *owner, const char *file);

/* A reader of the relay from (file, pos) of the newest sub-directory holding `file`
 * (binlog.h events; waits for the writer at the end, crosses files by their ROTATE and,
 * at the end of a finished sub-directory, into the next one with an artificial ROTATE to
 * its first file at 4; a finished file ending inside an event: DM_E_PARSE from next).
 * DM_OK, or DM_E_NOT_FOUND (file purged / before the relay's start: err names it). */
int worker_relay_open_reader(struct worker_relay *r, const char *owner, const char *file,
                             uint64_t pos, struct bl_reader **out, char *err, size_t cap);

/* Set the relay's gauges (dm_relay_binlog_file/pos{node="relay"}, dm_relay_sub_dir_index,
 * dm_relay_space of relay-dir) from its state: a dm_metrics collector. */
void worker_relay_metrics_collect(struct worker_relay *r);

#endif /* DM_WORKER_RELAY_H */

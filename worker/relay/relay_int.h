/* relay_int.h - state shared by relay.c (writer, operations, purge) and relay_stream.c
 * (local readers). Not a public contract: include relay.h. Everything below `mu` is
 * guarded by it. */
#ifndef DM_WORKER_RELAY_INT_H
#define DM_WORKER_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "relay.h"

#define RELAY_MAX_SUBDIRS 256
#define RELAY_MAX_STREAMS 256
#define RELAY_INDEX "server-uuid.index"
#define RELAY_META "relay.meta"
#define RELAY_ENDS "relay.ends"       /* per sub-directory: files finished without ROTATE */

struct relay_stream;

struct worker_relay {
    struct worker_relay_cfg cfg;  /* strings owned (copies) */
    char *dir, *host, *user, *password, *binlog_name, *binlog_gtid;
    pthread_t thread, purger;
    pthread_mutex_t mu;
    pthread_cond_t cond;          /* stage changes, stop (the writer and the purger wait) */
    pthread_cond_t data_cond;     /* every publish (readers wait; apart from `cond`, so a
                                     publish per event does not wake the purger) */
    enum worker_relay_stage stage;
    bool stop;
    bool has_err;
    struct worker_terr err;
    struct bl_reader *reader;     /* the writer's source stream (to interrupt it) */
    char *subdirs[RELAY_MAX_SUBDIRS];
    size_t nsubdirs;
    char file[256];               /* current file of the newest sub-directory ("" not ready) */
    uint64_t end;                 /* complete events written to it */
    char meta_file[256];          /* last transaction boundary (relay.meta) */
    uint64_t meta_pos;
    char gtid[1024];
    uint64_t seq;                 /* bumped at every publish */
    struct relay_stream *streams[RELAY_MAX_STREAMS];
    size_t nstreams;
    struct relay_hold { char owner[128]; size_t subdir; char file[256]; } holds[RELAY_MAX_STREAMS];
    size_t nholds;
    char *holds_saved;            /* relay.holds as last written (relay.c holds_save) */
    bool purging;
    bool switch_pending;          /* switch-relay-master: new sub-directory at the next start */
    int lock_fd;                  /* flock on <dir>/.lock, held while the relay exists */
    bool writing;                 /* the writer thread is inside a session (relay_ops.c waits
                                     for false before it changes files or the source) */
    char wrote[160];              /* the sub-directory a session of this process started
                                     in: it must still be there at the next one (relay.c
                                     lost_dir; "" before the first) */
};

/* Position of a stream for the purge rule: sub-directory index and file. */
struct relay_active {
    size_t subdir;
    char file[256];
};

/* relay_metrics.c: DM's relay families (dm_relay_*), fed by the writer. */
enum relay_metric_event { RELAY_M_WRITE_ERROR, RELAY_M_READ_ERROR, RELAY_M_CORRUPTION,
                          RELAY_M_EXIT_ERROR };
void relay_metrics_write(size_t bytes, double seconds);
void relay_metrics_read(double seconds);
void relay_metrics_count(enum relay_metric_event what);

/* relay.c: drop owner's hold (under mu). */
void relay_hold_drop(struct worker_relay *r, const char *owner);
/* relay_stream.c: the earliest file any stream reads or a hold keeps (false when none),
 * under mu. */
bool relay_streams_earliest(struct worker_relay *r, struct relay_active *out);
/* relay.c: a binlog file name ("<base>.<digits>", not relay.meta). */
bool relay_binlog_name(const char *n);
/* "<dir>/<subdir>/<file>" into out; false when it does not fit. */
bool relay_path(const struct worker_relay *r, size_t subdir, const char *file, char *out,
                size_t cap);

/* relay.c: rewrite server-uuid.index from r->subdirs / relay.meta of the newest
 * sub-directory (temp file + fsync + rename + directory fsync). DM_OK or DM_E_IO with e. */
int relay_save_index(struct worker_relay *r, struct worker_terr *e);
/* relay.c: mkdir "<uuid>.<suffix+1>" and append it to r->subdirs (caller holds mu);
 * exist_ok reuses a directory left by a crash. DM_OK, DM_E_TOO_LARGE / DM_E_IO with e. */
int relay_subdir_append(struct worker_relay *r, const char *uuid, bool exist_ok, char *name,
                        size_t cap, struct worker_terr *e);
/* relay.c: record that `file` of sub-directory `sub` is finished at `size` without a
 * ROTATE (relay.ends). DM_OK or DM_E_IO with e. */
int relay_note_end(struct worker_relay *r, size_t sub, const char *file, uint64_t size,
                   struct worker_terr *e);
int relay_save_meta(struct worker_relay *r, const char *file, uint64_t pos, const char *gtid,
                    struct worker_terr *e);

/* relay.c: a relay over `dir` without a source and without threads - the start-up reading
 * of the relay-dir (relay.holds, server-uuid.index, the newest sub-directory's relay.meta,
 * the recovery of its current file: verify, keep the complete tail, cut), published as the
 * writer's position so local readers can be opened (tests/fuzz/fuzz_relay_files.c). *out is
 * set also on an error (free it with worker_relay_free). DM_OK or the error with e. */
int relay_open_offline(const char *dir, struct worker_relay **out, struct worker_terr *e);

#endif /* DM_WORKER_RELAY_INT_H */

/* dump.h - the Dump unit of a task-mode full/all subtask, as DM v1.0 does it: the packaged
 * `mydumper` (Debian mydumper 0.10.1) runs as a child process with DM's arguments
 * (--host/--port/--user, --outputdir, --threads, --chunk-filesize, extra-args; never
 * --skip-tz-utc: the dump is in UTC as the Load unit's sessions are). The tables the
 * black-white-list keeps go as --regex (0.10.1's --tables-list never signals its main
 * thread and hangs), plus --database when they all belong to one database: 0.10.1 counts
 * its database-listing jobs with a counter the dump threads can bring to zero before
 * the main thread has queued every database of SHOW DATABASES, which then goes on with
 * the tables found so far and later pushes onto a freed queue (the "occasional hang",
 * 1 run in 7 on a busy box); with --database there is one job and no race. Tables of
 * several databases: one mydumper per database (--database, --no-locks) into
 * <dir>/.part<i>, all started while our own connection holds FLUSH TABLES WITH READ LOCK
 * (released once each has started its snapshot, or at the end with non-InnoDB tables),
 * their positions checked equal and their files moved into <dir>. After a run
 * that exited 0 every listed table must have its schema file, else the dump failed
 * (transient: dumped again), never a silent partial dump. The password never appears on
 * a command line: it goes into a defaults file (mode 0600, removed when the child ends).
 * The output directory is removed first (every dump starts afresh, as DM's); mydumper
 * takes a consistent snapshot and records the binlog position in `<dir>/metadata`.
 *
 * Errors: DM_OK; DM_E_NOT_FOUND (mydumper missing: the message names the package);
 * DM_E_IO (output dir / defaults file / spawn); DM_E_CANCELLED (worker_dump_cancel);
 * DM_E_INTERNAL (mydumper failed: exit status and the tail of its stderr in e->msg; or a
 * table missing from its output, or per-database positions that differ: e->transient);
 * DM_E_TIMEOUT (its output did not grow for 60 s, DMGW_DUMP_STALL_MS: a hang; killed,
 * e->transient so auto-resume retries); DM_E_DB (listing the source's tables, or the
 * FLUSH TABLES WITH READ LOCK for several databases). DM code 32001 in *e.
 * Thread-safety: worker_dump_cancel may be called from any thread while worker_dump_run
 * runs in another; everything else from the owner. */
#ifndef DM_WORKER_DUMP_H
#define DM_WORKER_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binlog.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "terror.h"

struct worker_dump_params {
    const struct worker_subtask_cfg *cfg;   /* borrowed */
    const struct worker_rules *rules;       /* borrowed: the black-white-list */
    const struct bl_source *src;            /* borrowed: host, port, user, password */
    const char *dir;                        /* output directory (created, emptied first) */
};

/* The position mydumper recorded (SHOW MASTER STATUS under its snapshot). */
struct worker_dump_pos {
    char file[256];
    uint64_t pos;
    char gtid[256];
};

struct worker_dump;

/* NULL only when out of memory. */
struct worker_dump *worker_dump_new(void);
void worker_dump_free(struct worker_dump *d);

/* Run mydumper to its end (blocking). DM_OK when it exited 0 and wrote `metadata`. */
int worker_dump_run(struct worker_dump *d, const struct worker_dump_params *p,
                    struct worker_terr *e);
/* Kill the running child (SIGTERM to its process group, SIGKILL after 2 s); a later
 * worker_dump_run fails at once with DM_E_CANCELLED. */
void worker_dump_cancel(struct worker_dump *d);

/* The executable to run: `path` when executable; "" or DM's default "./bin/mydumper"
 * (absent) fall back to `mydumper` on PATH. DM_OK or DM_E_NOT_FOUND (message in err). */
int worker_dump_resolve(const char *path, char *out, size_t cap, char *err, size_t ecap);

/* Parse `<dir>/metadata`. DM_OK, DM_E_NOT_FOUND (no file) or DM_E_PARSE. */
int worker_dump_read_metadata(const char *dir, struct worker_dump_pos *out, char *err,
                              size_t cap);

/* The mydumper --regex matching exactly `tables` ("db.tbl" each, n of them), escaped.
 * Exposed for tests. DM_OK, DM_E_NOMEM or DM_E_TOO_LARGE. *out malloc'd. */
int worker_dump_tables_regex(const char *const *tables, size_t n, char **out);

#endif /* DM_WORKER_DUMP_H */

/* meta.h - the worker's persistent state under meta-dir (atomic whole-file writes,
 * common/fsutil.h):
 *   <meta-dir>/subtasks/<hex(name)>.json  {"name","stage","remove-meta-done","config"}
 *   <meta-dir>/oplog.json                 {"next":N,"logs":[TaskLog as JSON, newest last]}
 * The operation log keeps the newest 1000 entries; ids only grow (DM's TaskLog ids).
 * Ownership: strings returned are malloc'd for the caller. Thread-safety: callers
 * serialize (the worker's mutex). */
#ifndef DM_WORKER_META_H
#define DM_WORKER_META_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct worker_oplog_entry {
    int64_t id;
    int op;            /* Pb__TaskOp */
    int stage;         /* Pb__Stage after the op */
    char name[128];
    int64_t ts;        /* unix nanoseconds */
    bool success;
    char message[1024];
};

struct worker_meta;

/* Open (creating directories). DM_OK or DM_E_IO / DM_E_PARSE / DM_E_NOMEM. */
int worker_meta_open(const char *meta_dir, struct worker_meta **out, char *err, size_t cap);
void worker_meta_free(struct worker_meta *m);

/* Append an operation log entry (id assigned, persisted). */
int worker_meta_log_append(struct worker_meta *m, struct worker_oplog_entry *e);
/* Find entry `id`; *found false when unknown. */
int worker_meta_log_get(struct worker_meta *m, int64_t id, struct worker_oplog_entry *out,
                        bool *found);

/* Save / delete one subtask record. `config` is borrowed. */
int worker_meta_save_subtask(struct worker_meta *m, const char *name, int stage,
                             const json_t *config);
int worker_meta_delete_subtask(struct worker_meta *m, const char *name);
/* All saved subtasks: new reference to an array of {"name","stage","config"}. */
int worker_meta_load_subtasks(struct worker_meta *m, json_t **out);

#endif /* DM_WORKER_META_H */

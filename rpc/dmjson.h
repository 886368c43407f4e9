/* dmjson.h - dmctl's output rules beyond plain jsonpb (dm-v1-wire.md §4), shared by
 * dmctl and the gateway so both print the same bytes.
 * Thread-safety: reentrant. Errors: DM_OK / DM_E_*. */
#ifndef DM_DMJSON_H
#define DM_DMJSON_H

#include <stdbool.h>

#include "buf.h"
#include "dmmaster.pb-c.h"

/* dmctl's condensed `query-status` (no name, no -w, no --more, result=true):
 * {"result","msg","tasks":[{"taskName","taskStatus","workers":[...]}]} in Go
 * encoding/json MarshalIndent("", "    ") layout when pretty, compact otherwise
 * (empty task list: "tasks": []; taskName omitted when empty, as omitempty does;
 * strings escaped like Go, see pbjson_add_go_str).
 * Tasks in first-seen order (worker order, then subtask order; dmctl's is Go map
 * order, i.e. random); one "workers" entry per subtask. taskStatus per the §4 rule
 * (dm/ctl/master/query_status.go wrapTaskResult): "Error - Some error occurred in
 * subtask" / "Error - Relay status is Paused|Stopped|Error" (+ ". Please run
 * `query-status <task>` to get more details."), "Paused", the common stage, else
 * "Running". Appends to `out`; on error (DM_E_TOO_LARGE, DM_E_NOMEM) out is restored. */
int dmjson_condensed_status(const Pb__QueryStatusListResponse *resp, bool pretty,
                            struct dm_buf *out);
/* Append to `out` the taskStatus string of task `name` exactly as the condensed
 * output prints it (error statuses carry the ". Please run ..." suffix, so match
 * errors by the "Error" prefix); for the gateway's ?stage= filter.
 * DM_OK, DM_E_NOT_FOUND (no subtask of that name), DM_E_TOO_LARGE, DM_E_NOMEM. */
int dmjson_task_status(const Pb__QueryStatusListResponse *resp, const char *name,
                       struct dm_buf *out);

/* Cut the Go stack trace a real DM v1.0 appends to `msg` (keeps the error lines,
 * drops "\t/path/file.go:N" frame lines, the function line before each of them, and
 * "github.com/..." lines; trailing whitespace trimmed). `msg` may be NULL (-> "").
 * Returns a malloc'd string (free()), NULL only on out-of-memory. */
char *dmjson_strip_stack(const char *msg);

/* The DM error code in "[code=38032:class=...]" (first occurrence) or 0 (none,
 * malformed, more than 9 digits, or msg NULL). */
int dmjson_error_code(const char *msg);

#endif /* DM_DMJSON_H */

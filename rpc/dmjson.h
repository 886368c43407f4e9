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
 * encoding/json MarshalIndent("", "    ") layout when pretty, compact otherwise.
 * Tasks in first-seen order (worker order, then subtask order); taskStatus per the
 * §4 rule (error / relay / Paused / common stage / Running). */
int dmjson_condensed_status(const Pb__QueryStatusListResponse *resp, bool pretty,
                            struct dm_buf *out);
/* The taskStatus string of §4 for task `name` over resp (static or owned by the
 * buffer `out`); exposed for the gateway's ?stage= filter. */
int dmjson_task_status(const Pb__QueryStatusListResponse *resp, const char *name,
                       struct dm_buf *out);

/* Cut the Go stack trace a real DM v1.0 appends to `msg` (keeps the error lines,
 * drops "\n<tab>..." frames and "github.com/..." lines). Returns a malloc'd string. */
char *dmjson_strip_stack(const char *msg);

/* The DM error code in "[code=38032:class=...]" (first occurrence) or 0. */
int dmjson_error_code(const char *msg);

#endif /* DM_DMJSON_H */

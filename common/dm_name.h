/* dm_name.h - the one rule for names that address a resource (task names above all):
 * a name in a request body must be addressable by a request path, so the gateway's
 * router (every path parameter), the gateway's body validation (a task config's `name`)
 * and our dm-master (start-task, update-task, check-task) all call dm_name_check.
 *
 * The rule: 1 to DM_NAME_MAX bytes; no control character (0x00-0x1f, 0x7f: a name with
 * "\n" or "\r\n" could never be GET or DELETEd by path and breaks header and log lines);
 * no '/' (a path segment); not starting with "---" or "..." (YAML document markers:
 * the task name is written into YAML configs and DM's meta); valid UTF-8 (no cut,
 * overlong or surrogate sequence: a percent-decoded path such as "%c0%af" was sent to
 * the master as a protobuf string that is not UTF-8, and its answer named the task
 * "\ufffd\ufffd"; no YAML or JSON body can carry such a name).
 * Thread-safety: pure functions. */
#ifndef DM_NAME_H
#define DM_NAME_H

#include <stddef.h>

#define DM_NAME_MAX 512

/* NULL when name[0..len) follows the rule, else a static English sentence saying which
 * part of the rule it breaks ("contains a control character"); the offending byte's
 * offset goes to *at when at is not NULL. */
const char *dm_name_check(const char *name, size_t len, size_t *at);

/* The rule for a name being created or configured (a task config's `name`, in the
 * gateway's body check and in our dm-master's start / update / check-task):
 * dm_name_check, and no character that changes how the text around it is shown or is
 * invisible: C1 controls U+0080-U+009F (U+0085 is a line break to some viewers, U+009B
 * a CSI), bidirectional formatting (U+202E shows "exe.txt" as "txt.exe": one task could
 * be listed under another's name in the console, dmctl or a log viewer), U+2028/U+2029,
 * and the invisible U+200B, U+2060, U+FEFF (two names that look the same). DM v1.0 puts
 * no rule on these characters; the gateway and our master refuse them so no new task
 * gets such a name, while paths still address old ones with dm_name_check (so they can
 * be stopped and deleted). Same contract as dm_name_check. */
const char *dm_name_check_new(const char *name, size_t len, size_t *at);

/* The worker's rule on top of dm_name_check for a task name: the worker names its tables
 * in meta-schema `<task><suffix>`, the longest suffix being "_syncer_sharding_exec" (21
 * characters), and a MariaDB table name has at most 64 characters, all in the Basic
 * Multilingual Plane, none of them '\\' or '`' here (quoting). A name of 44-64 characters
 * used to pass the check and pause the task at once with Error 1103 (Incorrect table
 * name). NULL when the name fits, else a static sentence naming the broken part. */
#define DM_TASK_META_SUFFIX_MAX 21
#define DM_TASK_NAME_CHARS_MAX 43 /* 64 - DM_TASK_META_SUFFIX_MAX */
const char *dm_task_name_meta_check(const char *name);

#endif /* DM_NAME_H */

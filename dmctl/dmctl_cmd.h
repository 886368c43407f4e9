/* dmctl_cmd.h - the command table (one row per DM v1.0 dmctl command: name, cobra Use
 * string, Short help, flags, handler) and the cobra-style help/usage text built from
 * it. The handlers live one file per command group: cmd_task.c, cmd_sql.c,
 * cmd_ddl.c, cmd_relay.c. tests/unit/dmctl/test_dmctl_cmd.c keeps the table honest.
 * Thread-safety: the table is immutable; the functions are reentrant. */
#ifndef DMCTL_CMD_H
#define DMCTL_CMD_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dmctl.h"
#include "dmctl_args.h"

struct dmctl_cmd;
/* A handler runs one parsed command; returns the exit status (0 or 1). */
typedef int (*dmctl_run_fn)(struct dmctl *c, const struct dmctl_cmd *cmd,
                            const struct dmctl_parsed *p);

struct dmctl_cmd {
    const char *name;              /* "pause-task" */
    const char *use;               /* cobra Use: "pause-task [-w worker ...] <task-name>" */
    const char *short_help;        /* cobra Short */
    const struct dmctl_flag *flags;/* own flags (not --worker/--help) */
    size_t nflags;
    dmctl_run_fn run;
};

/* The table, in DM's AddCommand order. */
extern const struct dmctl_cmd dmctl_commands[];
extern const size_t dmctl_ncommands;

/* Command by exact name or NULL. */
const struct dmctl_cmd *dmctl_cmd_find(const char *name);

/* Value of the string flag `name` (must be one of cmd's flags) / bool flag. */
const char *dmctl_flag_str(const struct dmctl_cmd *cmd, const struct dmctl_parsed *p,
                           const char *name);
bool dmctl_flag_bool(const struct dmctl_cmd *cmd, const struct dmctl_parsed *p,
                     const char *name);

/* cobra's UsageString() of a command: "Usage:\n  dmctl <Use> [flags]\n\nFlags:\n...
 * \n\nGlobal Flags:\n  -w, --worker strings   DM-worker ID" (no final newline). */
int dmctl_cmd_usage(const struct dmctl_cmd *cmd, struct dm_buf *out);
/* cobra's root UsageString(): commands sorted, "help", flags, closing hint. */
int dmctl_root_usage(struct dm_buf *out);
/* cobra's Help(): "<Short>\n\n<usage>" (root: "DM control\n\n<root usage>"). */
int dmctl_cmd_help(const struct dmctl_cmd *cmd, struct dm_buf *out);
/* DM's ctl.PrintUsage: "Available Commands:\n" + "  %-<max>s\t<Use>\n" per command in
 * table order (part of `dmctl --help`). */
int dmctl_available_commands(struct dm_buf *out);

/* Print cmd's usage (plus '\n') to c->out and return 1: the wrong-argument path. */
int dmctl_print_usage(struct dmctl *c, const struct dmctl_cmd *cmd);
/* printf a line (adds '\n') to c->out and return 1: the local-check failure path. */
int dmctl_fail(struct dmctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The commands whose one positional argument names a file sent as a string field of the
 * request (start-task, update-task, check-task, update-master-config): usage when the
 * argument count is wrong, 1 when the file cannot be read, else dmctl_call_print's exit
 * status. `field` is the request's string member; it receives the file content, which is
 * freed (and the member reset to NULL) before returning. */
int dmctl_call_with_file(struct dmctl *c, const struct dmctl_cmd *cmd,
                         const struct dmctl_parsed *p, const char *method,
                         ProtobufCMessage *req, char **field, bool check, const char *prefix);

/* Handlers (one file per group). */
int dmctl_cmd_start_task(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_operate_task(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_check_task(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_update_task(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_query_status(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_query_error(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_refresh_worker_tasks(struct dmctl *, const struct dmctl_cmd *,
                                   const struct dmctl_parsed *);
int dmctl_cmd_sql_skip(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_sql_replace(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_sql_inject(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_show_ddl_locks(struct dmctl *, const struct dmctl_cmd *,
                             const struct dmctl_parsed *);
int dmctl_cmd_unlock_ddl_lock(struct dmctl *, const struct dmctl_cmd *,
                              const struct dmctl_parsed *);
int dmctl_cmd_break_ddl_lock(struct dmctl *, const struct dmctl_cmd *,
                             const struct dmctl_parsed *);
int dmctl_cmd_switch_relay_master(struct dmctl *, const struct dmctl_cmd *,
                                  const struct dmctl_parsed *);
int dmctl_cmd_operate_relay(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_update_master_config(struct dmctl *, const struct dmctl_cmd *,
                                   const struct dmctl_parsed *);
int dmctl_cmd_update_relay(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_purge_relay(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);
int dmctl_cmd_migrate_relay(struct dmctl *, const struct dmctl_cmd *, const struct dmctl_parsed *);

#endif /* DMCTL_CMD_H */

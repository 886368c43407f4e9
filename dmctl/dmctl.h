/* dmctl.h - our dmctl: DM v1.0's command-line client of pb.Master (dm-v1-wire.md §5).
 * Program flow: dmctl_main() parses the Go-style global flags (dmctl_cli.c), then runs
 * one command (dmctl_exec, dmctl_cmd.c) or the interactive prompt (dmctl_repl.c).
 * Everything a command prints goes to ctx->out (stdout), cobra's own error chatter to
 * ctx->err, exactly where DM v1.0.7 prints it. docs/dmctl.md has the user-facing rules.
 *
 * Exit status (ours; DM's dmctl exits 0 after every command):
 *   0  the RPC succeeded and the response has result=true; also help/-V/-encrypt
 *   1  anything else a command does: local argument error, usage, RPC failure, result=false
 *   2  bad global flags / config (as DM: "parse cmd flags err: ...")
 * Thread-safety: single-threaded (one ctx per process). */
#ifndef DMCTL_H
#define DMCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rpc_channel;

#define DMCTL_DEFAULT_RPC_TIMEOUT_MS (10LL * 60 * 1000) /* "10m", DM's default */

struct dmctl {
    char *master_addr;          /* owned */
    int64_t rpc_timeout_ms;     /* -rpc-timeout; applied to query-status only (as DM) */
    int64_t call_timeout_ms;    /* deadline of every other call (DM has none; we use 10m) */
    struct rpc_channel *ch;     /* owned; created on the first RPC */
    FILE *out, *err;            /* borrowed */
};

/* The whole program: argv as main() gets it. Returns the exit status above. */
int dmctl_main(int argc, char **argv);

/* Run one command line; argv[0] is the command name ("query-status"), argc >= 1.
 * Returns 0 or 1 (see above). */
int dmctl_exec(struct dmctl *c, int argc, char **argv);

/* Interactive prompt on stdin/stdout (libedit): banner, "» " prompt, history, `exit`
 * or Ctrl-D to leave. Returns the exit status (0). */
int dmctl_repl(struct dmctl *c);

/* Split an interactive line into words like a POSIX shell does (whitespace separates;
 * '...' literal; "..." with \" \\ \$ \` escapes; backslash escapes outside quotes).
 * *argv_out is a NULL-terminated malloc'd array of malloc'd strings (free with
 * dmctl_argv_free). DM_OK, DM_E_PARSE (unterminated quote) or DM_E_NOMEM. */
int dmctl_split_line(const char *line, int *argc_out, char ***argv_out);
void dmctl_argv_free(int argc, char **argv);

/* The five-line version banner of DM's -V / `/status` (each line ends with '\n'). */
const char *dmctl_version_info(void);

/* Close the channel and free ctx-owned fields (not ctx itself). */
void dmctl_ctx_cleanup(struct dmctl *c);

#endif /* DMCTL_H */

/* dmctl_cmd.c - the command table, dispatch of one command line, cobra-style help. */
#include "dmctl_cmd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmctl_out.h"

#define SQL_PATTERN_USAGE(verb)                                                            \
    "SQL pattern used to match the DDL converted by optional router-rules if matched the " \
    "sql-" verb " operation will be applied. The format like "                             \
    "\"~(?i)ALTER\\s+TABLE\\s+`db1`.`tbl1`\\s+ADD\\s+COLUMN\\s+col1\\s+INT\". Whitespace "  \
    "is not supported, and must be replaced by \"\\s\". Staring with ~ as regular "        \
    "expression. This can only be used for DDL (converted by optional router-rules), and " \
    "if multi DDLs in one binlog event, one of them matched is enough, but all of them "   \
    "will be "

#define BINLOG_POS_USAGE(verb)                                                             \
    "position used to match binlog event if matched the sql-" verb " operation will be "  \
    "applied. The format like \"mysql-bin|000001.000003:3270\""

#define SHARDING_USAGE                                                                     \
    "whether are handing sharding DDL, which will only take effect on DDL lock's owner"

static const struct dmctl_flag sql_skip_flags[] = {
    {"binlog-pos", 'b', DMCTL_STRING, BINLOG_POS_USAGE("skip")},
    {"sql-pattern", 's', DMCTL_STRING, SQL_PATTERN_USAGE("skip") "skipped"},
    {"sharding", 0, DMCTL_BOOL, SHARDING_USAGE},
};
static const struct dmctl_flag sql_replace_flags[] = {
    {"binlog-pos", 'b', DMCTL_STRING, BINLOG_POS_USAGE("replace")},
    {"sql-pattern", 's', DMCTL_STRING, SQL_PATTERN_USAGE("replace") "replaced"},
    {"sharding", 0, DMCTL_BOOL, SHARDING_USAGE},
};
static const struct dmctl_flag query_status_flags[] = {
    {"more", 0, DMCTL_BOOL, "whether to print the detailed task information"},
};
static const struct dmctl_flag unlock_flags[] = {
    {"owner", 'o', DMCTL_STRING, "DM-worker to replace the default owner"},
    {"force-remove", 'f', DMCTL_BOOL, "force to remove DDL lock"},
};
static const struct dmctl_flag break_flags[] = {
    {"remove-id", 'i', DMCTL_STRING, "DDLLockInfo's ID which need to remove"},
    {"exec", 'e', DMCTL_BOOL, "whether execute DDL which is blocking"},
    {"skip", 's', DMCTL_BOOL, "whether skip DDL which in blocking"},
};
static const struct dmctl_flag purge_flags[] = {
    {"filename", 'f', DMCTL_STRING,
     "name of the terminal file before which to purge relay log files. Sample format: "
     "\"mysql-bin.000006\""},
    {"sub-dir", 's', DMCTL_STRING,
     "specify relay sub directory for --filename. If not specified, the latest one will be "
     "used. Sample format: \"2ae76434-f79f-11e8-bde2-0242ac130008.000001\""},
};

#define FLAGS(a) a, sizeof a / sizeof a[0]
#define NOFLAGS NULL, 0

/* DM v1.0.7 dm/ctl/ctl.go NewRootCmd order. */
const struct dmctl_cmd dmctl_commands[] = {
    {"start-task", "start-task [-w worker ...] <config-file>",
     "start a task as defined in the config file", NOFLAGS, dmctl_cmd_start_task},
    {"stop-task", "stop-task [-w worker ...] <task-name>", "stop a specified task", NOFLAGS,
     dmctl_cmd_operate_task},
    {"pause-task", "pause-task [-w worker ...] <task-name>", "pause a specified running task",
     NOFLAGS, dmctl_cmd_operate_task},
    {"resume-task", "resume-task [-w worker ...] <task-name>",
     "resume a specified paused task", NOFLAGS, dmctl_cmd_operate_task},
    {"check-task", "check-task <config-file>", "check the config file of the task", NOFLAGS,
     dmctl_cmd_check_task},
    {"update-task", "update-task [-w worker ...] <config-file>",
     "update a task's config for routes, filters, or black-white-list", NOFLAGS,
     dmctl_cmd_update_task},
    {"query-status", "query-status [-w worker ...] [task-name] [--more]", "query task status",
     FLAGS(query_status_flags), dmctl_cmd_query_status},
    {"query-error", "query-error [-w worker ...] [task-name]", "query task error", NOFLAGS,
     dmctl_cmd_query_error},
    {"refresh-worker-tasks", "refresh-worker-tasks", "refresh worker -> tasks mapper", NOFLAGS,
     dmctl_cmd_refresh_worker_tasks},
    {"sql-replace",
     "sql-replace <-w worker> [-b binlog-pos] [-s sql-pattern] [--sharding] <task-name> "
     "<sql1;sql2;>",
     "replace SQLs matched by a specific binlog position (binlog-pos) or a SQL pattern "
     "(sql-pattern); each SQL must end with a semicolon",
     FLAGS(sql_replace_flags), dmctl_cmd_sql_replace},
    {"sql-skip", "sql-skip <-w worker> [-b binlog-pos] [-s sql-pattern] [--sharding] <task-name>",
     "skip the binlog event matched by a specific binlog position (binlog-pos) or a SQL "
     "pattern (sql-pattern)",
     FLAGS(sql_skip_flags), dmctl_cmd_sql_skip},
    {"sql-inject", "sql-inject <-w worker> <task-name> <sql1;sql2;>",
     "inject (limited) SQLs into binlog replication unit as binlog events", NOFLAGS,
     dmctl_cmd_sql_inject},
    {"show-ddl-locks", "show-ddl-locks [-w worker ...] [task-name]", "show un-resolved DDL locks",
     NOFLAGS, dmctl_cmd_show_ddl_locks},
    {"unlock-ddl-lock", "unlock-ddl-lock [-w worker ...] <lock-ID>", "forcefully unlock DDL lock",
     FLAGS(unlock_flags), dmctl_cmd_unlock_ddl_lock},
    {"break-ddl-lock", "break-ddl-lock <-w worker ...> <task-name> [--remove-id] [--exec] [--skip]",
     "forcefully break DM-worker's DDL lock", FLAGS(break_flags), dmctl_cmd_break_ddl_lock},
    {"switch-relay-master", "switch-relay-master <-w worker ...>",
     "switch the master server of the DM-worker's relay unit", NOFLAGS,
     dmctl_cmd_switch_relay_master},
    {"pause-relay", "pause-relay <-w worker ...>", "pause DM-worker's relay unit", NOFLAGS,
     dmctl_cmd_operate_relay},
    {"resume-relay", "resume-relay <-w worker ...>", "resume DM-worker's relay unit", NOFLAGS,
     dmctl_cmd_operate_relay},
    {"update-master-config", "update-master-config <config-file>",
     "update the config of the DM-master", NOFLAGS, dmctl_cmd_update_master_config},
    {"update-relay", "update-relay [-w worker ...] <config-file>",
     "update the relay unit config of the DM-worker", NOFLAGS, dmctl_cmd_update_relay},
    {"purge-relay", "purge-relay <-w worker> [--filename] [--sub-dir]",
     "purge relay log files of the DM-worker according to the specified filename",
     FLAGS(purge_flags), dmctl_cmd_purge_relay},
    {"migrate-relay", "migrate-relay <worker> <binlogName> <binlogPos>",
     "migrate DM-worker's relay unit", NOFLAGS, dmctl_cmd_migrate_relay},
};
const size_t dmctl_ncommands = sizeof dmctl_commands / sizeof dmctl_commands[0];

const struct dmctl_cmd *dmctl_cmd_find(const char *name)
{
    for (size_t i = 0; i < dmctl_ncommands; i++)
        if (!strcmp(dmctl_commands[i].name, name))
            return &dmctl_commands[i];
    return NULL;
}

static int flag_index(const struct dmctl_cmd *cmd, const char *name)
{
    for (size_t i = 0; i < cmd->nflags; i++)
        if (!strcmp(cmd->flags[i].name, name))
            return (int)i;
    return -1;
}

const char *dmctl_flag_str(const struct dmctl_cmd *cmd, const struct dmctl_parsed *p,
                           const char *name)
{
    int i = flag_index(cmd, name);
    return i >= 0 && p->str[i] ? p->str[i] : "";
}

bool dmctl_flag_bool(const struct dmctl_cmd *cmd, const struct dmctl_parsed *p,
                     const char *name)
{
    int i = flag_index(cmd, name);
    return i >= 0 && p->on[i];
}

static int cmp_flag(const void *a, const void *b)
{
    const struct dmctl_flag *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* "Flags:" (own flags + help, sorted by name as pflag does) and "Global Flags:". */
static int flags_sections(const struct dmctl_flag *flags, size_t n, const char *cmdname,
                          bool root, struct dm_buf *out)
{
    const struct dmctl_flag *list[DMCTL_MAX_FLAGS + 2];
    char help_usage[64];
    snprintf(help_usage, sizeof help_usage, "help for %s", cmdname);
    struct dmctl_flag help = {"help", 'h', DMCTL_BOOL, help_usage};
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        list[k++] = &flags[i];
    list[k++] = &help;
    if (root)
        list[k++] = &dmctl_worker_flag;
    qsort(list, k, sizeof list[0], cmp_flag);
    int rc = dm_buf_adds(out, "\n\nFlags:\n");
    if (rc == DM_OK)
        rc = dmctl_flag_usages(list, k, out);
    if (rc != DM_OK || root)
        return rc;
    const struct dmctl_flag *g[1] = {&dmctl_worker_flag};
    rc = dm_buf_adds(out, "\n\nGlobal Flags:\n");
    return rc == DM_OK ? dmctl_flag_usages(g, 1, out) : rc;
}

int dmctl_cmd_usage(const struct dmctl_cmd *cmd, struct dm_buf *out)
{
    int rc = dm_buf_printf(out, "Usage:\n  dmctl %s%s", cmd->use,
                           strstr(cmd->use, "[flags]") ? "" : " [flags]");
    return rc == DM_OK ? flags_sections(cmd->flags, cmd->nflags, cmd->name, false, out) : rc;
}

static int cmp_cmd(const void *a, const void *b)
{
    const struct dmctl_cmd *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

int dmctl_root_usage(struct dm_buf *out)
{
    static const struct dmctl_cmd help = {"help", "help [command]", "Help about any command",
                                          NULL, 0, NULL};
    const struct dmctl_cmd *list[64];
    size_t n = 0, pad = 11; /* cobra minNamePadding */
    for (size_t i = 0; i < dmctl_ncommands && n < 63; i++)
        list[n++] = &dmctl_commands[i];
    list[n++] = &help;
    qsort(list, n, sizeof list[0], cmp_cmd);
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]->name) > pad)
            pad = strlen(list[i]->name);
    int rc = dm_buf_adds(out, "Usage:\n  dmctl [command]\n\nAvailable Commands:");
    for (size_t i = 0; i < n && rc == DM_OK; i++)
        rc = dm_buf_printf(out, "\n  %-*s %s", (int)pad, list[i]->name, list[i]->short_help);
    if (rc == DM_OK)
        rc = flags_sections(NULL, 0, "dmctl", true, out);
    if (rc == DM_OK)
        rc = dm_buf_adds(out, "\n\nUse \"dmctl [command] --help\" for more information "
                              "about a command.");
    return rc;
}

int dmctl_cmd_help(const struct dmctl_cmd *cmd, struct dm_buf *out)
{
    if (!cmd) {
        int rc = dm_buf_adds(out, "DM control\n\n");
        return rc == DM_OK ? dmctl_root_usage(out) : rc;
    }
    int rc = dm_buf_printf(out, "%s\n\n", cmd->short_help);
    return rc == DM_OK ? dmctl_cmd_usage(cmd, out) : rc;
}

int dmctl_available_commands(struct dm_buf *out)
{
    size_t max = 0;
    for (size_t i = 0; i < dmctl_ncommands; i++)
        if (strlen(dmctl_commands[i].name) > max)
            max = strlen(dmctl_commands[i].name);
    int rc = dm_buf_adds(out, "Available Commands:\n");
    for (size_t i = 0; i < dmctl_ncommands && rc == DM_OK; i++)
        rc = dm_buf_printf(out, "  %-*s\t%s\n", (int)max, dmctl_commands[i].name,
                           dmctl_commands[i].use);
    return rc;
}

static int emit(FILE *f, struct dm_buf *b)
{
    if (b->data)
        fputs(b->data, f);
    fputc('\n', f);
    fflush(f);
    dm_buf_free(b);
    return 1;
}

int dmctl_call_with_file(struct dmctl *c, const struct dmctl_cmd *cmd,
                         const struct dmctl_parsed *p, const char *method,
                         ProtobufCMessage *req, char **field, bool check, const char *prefix)
{
    if (p->nargs != 1)
        return dmctl_print_usage(c, cmd);
    if (dmctl_read_file(c, p->args[0], field) != DM_OK)
        return 1;
    int status = dmctl_call_print(c, method, req, c->call_timeout_ms, check, prefix);
    free(*field);
    *field = NULL;
    return status;
}

int dmctl_print_usage(struct dmctl *c, const struct dmctl_cmd *cmd)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    dmctl_cmd_usage(cmd, &b);
    return emit(c->out, &b);
}

int dmctl_fail(struct dmctl *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
    fflush(c->out);
    return 1;
}

/* cobra's `help [command]`. */
static int run_help(struct dmctl *c, int argc, char **argv)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    if (argc < 2) {
        dmctl_cmd_help(NULL, &b);
        emit(c->out, &b);
        return 0;
    }
    const struct dmctl_cmd *cmd = dmctl_cmd_find(argv[1]);
    if (!cmd) {
        dm_buf_adds(&b, "Unknown help topic [");
        for (int i = 1; i < argc; i++)
            dm_buf_printf(&b, "%s`%s`", i > 1 ? " " : "", argv[i]);
        dm_buf_adds(&b, "]\n");
        dmctl_root_usage(&b);
        return emit(c->err, &b);
    }
    dmctl_cmd_help(cmd, &b);
    emit(c->out, &b);
    return 0;
}

/* cobra's failure path, then DM's ctl.Start printing the root usage to stdout. */
static int cobra_error(struct dmctl *c, const struct dmctl_cmd *cmd, const char *msg)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    fprintf(c->err, "Error: %s\n", msg);
    if (cmd) {
        dmctl_cmd_usage(cmd, &b);
        emit(c->err, &b);
    } else {
        fputs("Run 'dmctl --help' for usage.\n", c->err);
    }
    dm_buf_init(&b, 1 << 16);
    dmctl_root_usage(&b);
    return emit(c->out, &b);
}

int dmctl_exec(struct dmctl *c, int argc, char **argv)
{
    if (!strcmp(argv[0], "help"))
        return run_help(c, argc, argv);
    const struct dmctl_cmd *cmd = dmctl_cmd_find(argv[0]);
    if (!cmd) {
        char msg[512];
        snprintf(msg, sizeof msg, "unknown command \"%s\" for \"dmctl\"", argv[0]);
        return cobra_error(c, NULL, msg);
    }
    struct dmctl_parsed p;
    char err[512] = "";
    int status = 1;
    int rc = dmctl_args_parse(cmd->flags, cmd->nflags, argc - 1, argv + 1, &p, err, sizeof err);
    if (rc == DM_E_INVAL) {
        status = cobra_error(c, cmd, err);
    } else if (rc != DM_OK) {
        status = dmctl_fail(c, "%s", dm_strerror(rc));
    } else if (p.help) {
        struct dm_buf b;
        dm_buf_init(&b, 1 << 16);
        dmctl_cmd_help(cmd, &b);
        emit(c->out, &b);
        status = 0;
    } else {
        status = cmd->run(c, cmd, &p);
    }
    dmctl_parsed_free(&p);
    return status;
}

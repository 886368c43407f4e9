/* terror.h - DM v1.0 style "terror" strings for the worker:
 *   "[code=40050:class=dm-worker:scope=internal:level=high] current stage is ..."
 * and the numeric class/scope/level values DM puts into pb.TError.
 * Thread-safety: pure functions. */
#ifndef DM_WORKER_TERROR_H
#define DM_WORKER_TERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* DM error classes (pkg/terror/terror.go order, 1-based). */
enum worker_terr_class {
    WTE_CLASS_DATABASE = 1, WTE_CLASS_FUNCTIONAL, WTE_CLASS_CONFIG, WTE_CLASS_BINLOG_OP,
    WTE_CLASS_CHECKPOINT, WTE_CLASS_TASK_CHECK, WTE_CLASS_RELAY_EVENT_LIB, WTE_CLASS_RELAY_UNIT,
    WTE_CLASS_DUMP_UNIT, WTE_CLASS_LOAD_UNIT, WTE_CLASS_SYNC_UNIT, WTE_CLASS_DM_MASTER,
    WTE_CLASS_DM_WORKER, WTE_CLASS_DM_TRACER
};
enum worker_terr_scope { WTE_SCOPE_NOT_SET = 0, WTE_SCOPE_UPSTREAM, WTE_SCOPE_DOWNSTREAM, WTE_SCOPE_INTERNAL };
enum worker_terr_level { WTE_LEVEL_LOW = 1, WTE_LEVEL_MEDIUM, WTE_LEVEL_HIGH };

/* Codes used by this worker (DM v1.0 errors_release.txt numbers). */
#define WTE_DB_DRIVER          10001  /* database driver error */
#define WTE_DB_EXEC            10006  /* execute statement failed */
#define WTE_CONFIG_DECODE      20016  /* subtask config decode/validate failure */
#define WTE_VERIFY_SQL_OPERATE_ARGS 11017 /* bad sql-skip/sql-replace arguments */
#define WTE_SYNC_DML_STATEMENT 36014  /* statement-format DML in a QUERY event */
#define WTE_SYNC_PARSE_STMT    36017  /* statement the DDL parser does not support */
#define WTE_SYNC_INJECT_DDL_ONLY 36023
#define WTE_SYNC_INJECT_DDL_NO_SCHEMA 36024
#define WTE_SYNC_NOT_SUPPORTED_OPERATE 36025
#define WTE_SYNC_HANDLE_DDL_FAILED 36061 /* fail to handle ddl job */
#define WTE_SYNC_UNIT          36059  /* generic sync unit failure (binlog read/decode) */
#define WTE_DUMP_RUNTIME       32001  /* mydumper runs with error */
#define WTE_LOAD_PARSE_VALUES  34003  /* parse quote values (column mapping) */
#define WTE_LOAD_COLUMN_MAPPING 34004 /* column mapping of a dumped row */
#define WTE_LOAD_READ_FILE     34005  /* read a dump file */
#define WTE_LOAD_INVALID_INSERT 34009 /* a data file statement that is not INSERT */
#define WTE_LOAD_DIR_NOT_FOUND 34014  /* dump directory / metadata missing */
#define WTE_LOAD_KEYLESS_RELOAD 34999 /* our own: a key-less target table this source loaded
                                         before holds rows at a load from its first row */
#define WTE_LOAD_TARGET_DROPPED 34998 /* our own: a resume at the loader checkpoint over a
                                         target table dropped/emptied after its rows were
                                         committed (load_dropped.h) */
#define WTE_LOAD_PACKET_TOO_BIG 34997 /* our own: a dumped statement that runs as an INSERT
                                         is larger than the target's max_allowed_packet */
#define WTE_LOAD_RULES_CHANGED 34996  /* our own: the block-allow-list / routes / column mappings
                                         / case-sensitive / extra-args differ from the ones the
                                         loader checkpoint's dump was made under (load_rules.h) */
#define WTE_LOAD_ADJUSTED      34995  /* our own: a dumped INSERT the target took with a
                                         value changed (a warning other than the ENUM error value) */
#define WTE_LOAD_INFLIGHT_ROWS 34994  /* our own: the Load stopped during a statement into a
                                         non-transactional target table (load_run.h) */
#define WTE_WORKER_NOT_RUNNING 40050
#define WTE_WORKER_NOT_PAUSED  40051
#define WTE_WORKER_UPDATE_STAGE 40052
#define WTE_WORKER_NOT_FOUND   40054
#define WTE_WORKER_EXISTS      40055
#define WTE_WORKER_NOT_SUPPORTED 40999 /* our own: operation not supported by this worker */
#define WTE_WORKER_OP_IN_PROGRESS 40998 /* our own: a pause/stop of the subtask is running */
#define WTE_WORKER_PAUSE_KILLED 40997   /* our own: pause had to kill a stalled target */

/* One DM error: code, class, scope, level, message (no stack). */
struct worker_terr {
    int code;
    enum worker_terr_class cls;
    enum worker_terr_scope scope;
    enum worker_terr_level level;
    bool transient;     /* connection-level failure: retry / auto-resume may fix it */
    char msg[1024];
    /* Sync unit statement errors (query-error's SyncSQLError), "" otherwise: */
    char failed_pos[280];   /* "file:pos" = end of the failing event (sql-skip --binlog-pos) */
    char error_sql[1024];   /* the statement (truncated) */
};

/* Fill `e` (message printf-style, truncated to fit). */
void worker_terr_set(struct worker_terr *e, int code, enum worker_terr_class cls,
                     enum worker_terr_scope scope, enum worker_terr_level level,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same with a va_list, for the units' own error helpers (one fixed class each). */
void worker_terr_vset(struct worker_terr *e, int code, enum worker_terr_class cls,
                      enum worker_terr_scope scope, enum worker_terr_level level,
                      const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
/* "[code=..:class=..:scope=..:level=..] msg" into out (truncated to cap). */
void worker_terr_string(const struct worker_terr *e, char *out, size_t cap);
/* MariaDB server errors that retrying cannot fix (1044 1045 1130 1142 1143 1227 1251 1698:
 * wrong password, unknown user/host, missing privilege): the Sync unit pauses at once,
 * without auto-resume. */
bool worker_terr_access_denied(unsigned int mysql_errno);
/* A hint for such an error ("" otherwise); `upstream` = the source side. */
const char *worker_terr_access_hint(unsigned int mysql_errno, bool upstream);
const char *worker_terr_class_name(enum worker_terr_class c);
const char *worker_terr_scope_name(enum worker_terr_scope s);
const char *worker_terr_level_name(enum worker_terr_level l);

#endif /* DM_WORKER_TERROR_H */

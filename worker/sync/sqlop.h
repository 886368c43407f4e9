/* sqlop.h - SQL operators of one subtask (DM v1.0.7 syncer/sql-operator + inject_sql.go):
 * sql-skip and sql-replace keyed by --binlog-pos (the END position of the QUERY event,
 * "file:pos", as query-error shows it) or by --sql-pattern (`~regex` or an exact
 * statement); sql-inject queues DDL statements the Sync unit runs at the next
 * transaction end or DDL. An operator is consumed by the first event it matches (a
 * binlog-pos operator wins over patterns); setting one with the same key replaces the
 * old one. --sharding operators are kept by dm-master and sent here when a DDL lock is
 * resolved, so this holder never sees the flag.
 * Pattern syntax: Go regexp (common/dm_regex.h, RE2), as DM's regexp.Compile.
 * Ownership: the holder is owned by the subtask (worker.c) and borrowed by its Sync
 * unit; strings passed in are copied; strings handed out are owned by the caller.
 * Thread-safety: every function takes the holder's own mutex (held only for list work). */
#ifndef DM_WORKER_SQLOP_H
#define DM_WORKER_SQLOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum worker_sqlop_op { WSQLOP_SKIP = 0, WSQLOP_REPLACE = 1, WSQLOP_INJECT = 2 };

struct worker_sqlop;

/* NULL only on out-of-memory. */
struct worker_sqlop *worker_sqlop_new(void);
void worker_sqlop_free(struct worker_sqlop *h);

/* HandleSQLs. binlog_pos / pattern may be NULL or "" (exactly one must be given for
 * skip/replace; quotes around them are trimmed as DM does). INJECT: args are DDL
 * statements, each must name its table with a schema. DM_OK, or DM_E_INVAL /
 * DM_E_NOT_SUPPORTED with DM's terror string in err, or DM_E_NOMEM. */
int worker_sqlop_set(struct worker_sqlop *h, enum worker_sqlop_op op, const char *const *args,
                     size_t nargs, const char *binlog_pos, const char *pattern, char *err,
                     size_t cap);

/* For the QUERY event ending at (file, pos) whose statements are sqls[0..n): the first
 * matching operator is removed and applied. *applied false: nothing matched. true:
 * *out (owned, NULL-terminated, may be empty = skip) holds the replacement statements;
 * `cause` says which operator matched. DM_OK or DM_E_NOMEM. */
int worker_sqlop_apply(struct worker_sqlop *h, const char *file, uint64_t pos,
                       const char *const *sqls, size_t n, bool *applied, char ***out,
                       char *cause, size_t cap);
void worker_sqlop_strv_free(char **v);

/* Next injected statement (owned) with its schema in schema[cap], or NULL. */
char *worker_sqlop_take_inject(struct worker_sqlop *h, char *schema, size_t cap);

/* Pending operators, one "key op args" per line, into out (truncated to cap). Returns
 * how many there are. */
size_t worker_sqlop_describe(struct worker_sqlop *h, char *out, size_t cap);

#endif /* DM_WORKER_SQLOP_H */

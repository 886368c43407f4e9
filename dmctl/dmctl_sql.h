/* dmctl_sql.h - dmctl's local checks for sql-skip / sql-replace / sql-inject
 * (DM v1.0.7 dm/command/argument.go VerifySQLOperateArgs, dm/ctl/common/util.go).
 * Differences from DM (documented in docs/dmctl.md): statements are split on ';'
 * outside quotes/back-quotes/comments instead of by the TiDB parser, a DDL is
 * recognised by its leading keyword. `~regexp` patterns are compiled locally as DM does
 * (Go regexp syntax, common/dm_regex.h).
 * Thread-safety: reentrant. */
#ifndef DMCTL_SQL_H
#define DMCTL_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* DM's TrimQuoteMark: strip one pair of surrounding double quotes (len > 2). The
 * result points into a malloc'd copy; NULL on out-of-memory. */
char *dmctl_trim_quote_mark(const char *s);

/* VerifySQLOperateArgs. DM_OK, or DM_E_INVAL with DM's full terror text in `err`
 * ("[code=11017:class=functional:scope=internal:level=low] cannot specify both ..."). */
int dmctl_verify_sql_args(const char *binlog_pos, const char *sql_pattern, bool sharding,
                          struct dm_buf *err);

/* ExtractSQLsFromArgs: join args with ' ', trim, split into statements (each trimmed,
 * keeping its ';'). *sqls is a malloc'd array of malloc'd strings (*n >= 1). DM_OK;
 * DM_E_INVAL with "invalid sql '...': <why>" or "no valid SQLs" in err; DM_E_NOMEM. */
int dmctl_extract_sqls(char *const *args, size_t nargs, char ***sqls, size_t *n,
                       struct dm_buf *err);
void dmctl_sqls_free(char **sqls, size_t n);

/* Is `sql` a DDL statement (CREATE/ALTER/DROP/RENAME/TRUNCATE of a schema object;
 * CREATE/DROP/ALTER USER|ROLE are not)? Leading spaces and comments are skipped. */
bool dmctl_is_ddl(const char *sql);

#endif /* DMCTL_SQL_H */

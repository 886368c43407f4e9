/* srcmeta.h - the Sync unit's one reader of the source's metadata (information_schema):
 * the source column definitions (applier_srcdef.c), the FOREIGN KEYs of a parent the task
 * does not replicate (fkparent.c), a merged table's columns (merge_shape.c) and a
 * database's default charset (dbcharset.c) are read over one kept connection per Sync
 * unit session, opened at the first query (not before: a task whose rows need no source
 * metadata never connects) in a UTC session (CREATE_TIME of a DST hour that happens twice
 * is not ambiguous) with sql_mode '' and utf8mb4 names (worker_srcmeta_escape's quoting).
 * A query that fails on a connection error (the source restarted, a timeout) closes the
 * connection and runs once more on a new one; a source still down, or a server error, is
 * a transient error naming what was read and the source. Not a contract of its callers'
 * semantics: each keeps its own queries and caches.
 * Thread-safety: one caller (the Sync unit thread). */
#ifndef DM_WORKER_SRCMETA_H
#define DM_WORKER_SRCMETA_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

#include "binlog.h"
#include "terror.h"

#define WORKER_SRCMETA_NAME_MAX 193   /* longest name escaped (MariaDB's are <= 64 chars) */

struct worker_srcmeta;

/* A reader of source src (kept by the caller, outlives the reader); NULL: out of memory. */
struct worker_srcmeta *worker_srcmeta_new(const struct bl_source *src);
void worker_srcmeta_free(struct worker_srcmeta *m);

/* s as the body of a quoted SQL string in the reader's session ('...'): \0 \n \r \\ ' "
 * and \x1a backslash-escaped (sql_mode '' and utf8mb4: no multi-byte character has a
 * 0x5C byte). false (out empty) when s is longer than WORKER_SRCMETA_NAME_MAX bytes or out
 * (cap) cannot hold it: a name MariaDB refuses anyway. */
bool worker_srcmeta_escape(const char *s, char *out, size_t cap);

/* Run sql (one statement with a result set) and store its result (*res, the caller
 * frees it with mysql_free_result). DM_OK; DM_E_IO with e (transient) "<what>: <why>":
 * the source is unreachable (named by host:port) or refused the query; DM_E_NOMEM. */
int worker_srcmeta_query(struct worker_srcmeta *m, const char *what, const char *sql,
                         MYSQL_RES **res, struct worker_terr *e);

/* The connections opened so far (the first and every reconnect): for tests and logs. */
unsigned worker_srcmeta_connects(const struct worker_srcmeta *m);

#endif /* DM_WORKER_SRCMETA_H */

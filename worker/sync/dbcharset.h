/* dbcharset.h - the default character set and collation of a source database, for a
 * replicated CREATE TABLE without a table charset. The QUERY event does not carry it
 * (MariaDB logs Q_CHARSET_DATABASE_CODE only when the session SET collation_database, and
 * CREATE TABLE ignores that variable: the database's own default applies), so the source's
 * information_schema.SCHEMATA is read when the statement is applied. */
#ifndef DM_WORKER_DBCHARSET_H
#define DM_WORKER_DBCHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "binlog.h"
#include "terror.h"

/* charset / collation of database `schema` on the source (a connection of its own);
 * *found false when it does not exist there (any more). */
int worker_dbcharset_source(const struct bl_source *src, const char *schema, char *charset,
                            size_t ccap, char *collation, size_t lcap, bool *found,
                            struct worker_terr *e);

#endif /* DM_WORKER_DBCHARSET_H */

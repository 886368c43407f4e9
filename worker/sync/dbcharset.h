/* dbcharset.h - the default character set and collation of a source database, for a
 * replicated CREATE TABLE without a table charset. The QUERY event does not carry it
 * (MariaDB logs Q_CHARSET_DATABASE_CODE only when the session SET collation_database, and
 * CREATE TABLE ignores that variable: the database's own default applies), so the source's
 * information_schema is read when the statement is applied: the table's own default when
 * the source table is unchanged since the statement, else SCHEMATA's (as it is now). */
#ifndef DM_WORKER_DBCHARSET_H
#define DM_WORKER_DBCHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binlog.h"
#include "terror.h"

struct worker_srcmeta;

/* charset / collation of database `schema` on the source (read by sm, srcmeta.h);
 * *found false when it does not exist there (any more). */
int worker_dbcharset_source(struct worker_srcmeta *sm, const char *schema, char *charset,
                            size_t ccap, char *collation, size_t lcap, bool *found,
                            struct worker_terr *e);

/* The default a CREATE TABLE of `schema`.`table` logged at second `at` (the QUERY event's
 * timestamp) gave its columns without a charset: the source table's own default
 * (TABLES.TABLE_COLLATION) when its CREATE_TIME is that second - created then and not
 * ALTERed or RENAMEd in a later second - else the database's default now, which an ALTER
 * DATABASE since the statement may have changed (applier_srcdef.c then refuses rows whose
 * column charsets differ). *found false when the database is not on the source. */
int worker_dbcharset_created(struct worker_srcmeta *sm, const char *schema,
                             const char *table, uint32_t at, char *charset, size_t ccap,
                             char *collation, size_t lcap, bool *found,
                             struct worker_terr *e);

#endif /* DM_WORKER_DBCHARSET_H */

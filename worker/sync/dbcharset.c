/* dbcharset.c - a source database's default charset/collation (dbcharset.h). */
#include "dbcharset.h"
#include "srcmeta.h"

#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dm_error.h"

/* The query of worker_dbcharset_source (table NULL) or _created; false: names MariaDB
 * refuses anyway. */
static bool charset_query(const char *schema, const char *table, uint32_t at, char *q,
                          size_t cap)
{
    char esc[2 * WORKER_SRCMETA_NAME_MAX + 1], tesc[2 * WORKER_SRCMETA_NAME_MAX + 1];
    if (!worker_srcmeta_escape(schema, esc, sizeof esc))
        return false;
    if (!table) {
        snprintf(q, cap, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
                 "information_schema.SCHEMATA WHERE SCHEMA_NAME = '%s'", esc);
        return true;
    }
    if (!worker_srcmeta_escape(table, tesc, sizeof tesc))
        return false;
    snprintf(q, cap, "SELECT IF(UNIX_TIMESTAMP(t.CREATE_TIME) = %u, c.CHARACTER_SET_NAME, "
             "s.DEFAULT_CHARACTER_SET_NAME), IF(UNIX_TIMESTAMP(t.CREATE_TIME) = %u, "
             "t.TABLE_COLLATION, s.DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA s "
             "LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME AND "
             "t.TABLE_NAME = '%s' LEFT JOIN information_schema.COLLATIONS c ON "
             "c.COLLATION_NAME = t.TABLE_COLLATION WHERE s.SCHEMA_NAME = '%s'",
             (unsigned)at, (unsigned)at, tesc, esc);
    return true;
}

/* CREATE_TIME is compared in srcmeta's UTC session. */
static int read_charset(struct worker_srcmeta *sm, const char *schema, const char *table,
                        uint32_t at, char *charset, size_t ccap, char *collation, size_t lcap,
                        bool *found, struct worker_terr *e)
{
    char q[1600];
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    *found = false;
    if (!charset_query(schema, table, at, q, sizeof q))
        return DM_OK;
    if ((rc = worker_srcmeta_query(sm, "database driver error: read the source database's "
                                   "default charset", q, &res, e)))
        return DM_E_DB;
    if ((row = mysql_fetch_row(res)) && row[0] && row[1]) {
        snprintf(charset, ccap, "%s", row[0]);
        snprintf(collation, lcap, "%s", row[1]);
        *found = true;
    }
    mysql_free_result(res);
    return DM_OK;
}

int worker_dbcharset_source(struct worker_srcmeta *sm, const char *schema, char *charset,
                            size_t ccap, char *collation, size_t lcap, bool *found,
                            struct worker_terr *e)
{
    return read_charset(sm, schema, NULL, 0, charset, ccap, collation, lcap, found, e);
}

int worker_dbcharset_created(struct worker_srcmeta *sm, const char *schema,
                             const char *table, uint32_t at, char *charset, size_t ccap,
                             char *collation, size_t lcap, bool *found,
                             struct worker_terr *e)
{
    return read_charset(sm, schema, table, at, charset, ccap, collation, lcap, found, e);
}

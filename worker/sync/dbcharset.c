/* dbcharset.c - a source database's default charset/collation (dbcharset.h). */
#include "dbcharset.h"
#include "mysql_conn.h"

#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dm_error.h"

static int dbcharset_err(struct worker_terr *e, const char *msg)
{
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "database driver error: read the source database's default charset: %s",
                    msg);
    e->transient = true;
    return DM_E_DB;
}

/* The query of worker_dbcharset_source (table NULL) or _created. */
static void charset_query(MYSQL *m, const char *schema, const char *table, uint32_t at,
                          char *q, size_t cap)
{
    char esc[2 * 194 + 1], tesc[2 * 194 + 1];
    mysql_real_escape_string(m, esc, schema, (unsigned long)strlen(schema));
    if (!table) {
        snprintf(q, cap, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
                 "information_schema.SCHEMATA WHERE SCHEMA_NAME = '%s'", esc);
        return;
    }
    mysql_real_escape_string(m, tesc, table, (unsigned long)strlen(table));
    snprintf(q, cap, "SELECT IF(UNIX_TIMESTAMP(t.CREATE_TIME) = %u, c.CHARACTER_SET_NAME, "
             "s.DEFAULT_CHARACTER_SET_NAME), IF(UNIX_TIMESTAMP(t.CREATE_TIME) = %u, "
             "t.TABLE_COLLATION, s.DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA s "
             "LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME AND "
             "t.TABLE_NAME = '%s' LEFT JOIN information_schema.COLLATIONS c ON "
             "c.COLLATION_NAME = t.TABLE_COLLATION WHERE s.SCHEMA_NAME = '%s'",
             (unsigned)at, (unsigned)at, tesc, esc);
}

static int read_charset(const struct bl_source *src, const char *schema, const char *table,
                        uint32_t at, char *charset, size_t ccap, char *collation, size_t lcap,
                        bool *found, struct worker_terr *e)
{
    char msg[512], q[1600];
    unsigned en;
    MYSQL *m = worker_mysql_connect(src, 5, 0, 0, &en, msg, sizeof msg);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_OK;
    *found = false;
    if (!m)
        return dbcharset_err(e, msg);
    if (strlen(schema) > 194 || (table && strlen(table) > 194)) {
        mysql_close(m);
        return DM_OK;
    }
    charset_query(m, schema, table, at, q, sizeof q);
    if (mysql_query(m, "SET time_zone='+00:00'") || mysql_query(m, q) ||
        !(res = mysql_store_result(m))) {
        rc = dbcharset_err(e, mysql_error(m));
    } else if ((row = mysql_fetch_row(res)) && row[0] && row[1]) {
        snprintf(charset, ccap, "%s", row[0]);
        snprintf(collation, lcap, "%s", row[1]);
        *found = true;
    }
    if (res)
        mysql_free_result(res);
    mysql_close(m);
    return rc;
}

int worker_dbcharset_source(const struct bl_source *src, const char *schema, char *charset,
                            size_t ccap, char *collation, size_t lcap, bool *found,
                            struct worker_terr *e)
{
    return read_charset(src, schema, NULL, 0, charset, ccap, collation, lcap, found, e);
}

int worker_dbcharset_created(const struct bl_source *src, const char *schema,
                             const char *table, uint32_t at, char *charset, size_t ccap,
                             char *collation, size_t lcap, bool *found,
                             struct worker_terr *e)
{
    return read_charset(src, schema, table, at, charset, ccap, collation, lcap, found, e);
}

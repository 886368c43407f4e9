/* dbcharset.c - a source database's default charset/collation (dbcharset.h). */
#include "dbcharset.h"
#include "mysql_conn.h"

#include <mysql.h>
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

int worker_dbcharset_source(const struct bl_source *src, const char *schema, char *charset,
                            size_t ccap, char *collation, size_t lcap, bool *found,
                            struct worker_terr *e)
{
    char msg[512], esc[2 * 194 + 1], q[600];
    unsigned en;
    MYSQL *m = worker_mysql_connect(src, 5, 0, 0, &en, msg, sizeof msg);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_OK;
    *found = false;
    if (!m)
        return dbcharset_err(e, msg);
    if (strlen(schema) > 194) {
        mysql_close(m);
        return DM_OK;
    }
    mysql_real_escape_string(m, esc, schema, (unsigned long)strlen(schema));
    snprintf(q, sizeof q, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
             "information_schema.SCHEMATA WHERE SCHEMA_NAME = '%s'", esc);
    if (mysql_query(m, q) || !(res = mysql_store_result(m))) {
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

/* systz.c - the source's SYSTEM time zone fingerprint (systz.h). */
#include "systz.h"
#include "mysql_conn.h"

#include <mysql.h>
#include <stdio.h>
#include <string.h>

#include "dm_error.h"

static int systz_err(struct worker_terr *e, const char *msg)
{
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "database driver error: read the source's system time zone: %s", msg);
    e->transient = true;
    return DM_E_DB;
}

int worker_systz_source(const struct bl_source *src, char *out, size_t cap,
                        struct worker_terr *e)
{
    char msg[512];
    unsigned en;
    MYSQL *m = worker_mysql_connect(src, 5, 0, 0, &en, msg, sizeof msg);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    if (!m)
        return systz_err(e, msg);
    if (mysql_query(m, WORKER_SYSTZ_QUERY) || !(res = mysql_store_result(m)) ||
        !(row = mysql_fetch_row(res)) || !row[0]) {
        rc = systz_err(e, mysql_error(m));
    } else {
        snprintf(out, cap, "%s", row[0]);
        rc = DM_OK;
    }
    if (res)
        mysql_free_result(res);
    mysql_close(m);
    return rc;
}

bool worker_systz_same(const char *a, const char *b)
{
    const char *x = strchr(a, '|'), *y = strchr(b, '|');
    return x && y && strcmp(x, y) == 0;
}

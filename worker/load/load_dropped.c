/* load_dropped.c - refuse resuming a Load over target tables dropped or emptied after it
 * committed rows into them (load_dropped.h). */
#include "load_dropped.h"

#include <mysqld_error.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"

int worker_load_dropped_check(struct worker_applier *a, const char *tdb, const char *ttbl,
                              bool *lost, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    int rc;
    *lost = false;
    dm_buf_init(&q, 1024);
    if (dm_buf_adds(&q, "SELECT 1 FROM ") || worker_ap_add_table(&q, tdb, ttbl) ||
        dm_buf_adds(&q, " LIMIT 1")) {
        dm_buf_free(&q);
        return worker_ap_nomem(e);
    }
    rc = worker_ap_query(a, q.data, &res, e);
    if (rc && (worker_applier_errno(a) == ER_NO_SUCH_TABLE ||
               worker_applier_errno(a) == ER_BAD_DB_ERROR)) {
        memset(e, 0, sizeof *e);
        *lost = true;
        rc = DM_OK;
    } else if (!rc) {
        *lost = mysql_num_rows(res) == 0;
    }
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

void worker_load_dropped_refuse(struct worker_terr *e, const char *tables, size_t n)
{
    worker_terr_set(e, WTE_LOAD_TARGET_DROPPED, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_DOWNSTREAM,
                    WTE_LEVEL_HIGH,
                    "%s; resuming at the loader checkpoint would skip those rows, so nothing "
                    "was loaded: start the task with remove-meta (after cleaning the target) "
                    "to load %s again",
                    tables, n == 1 ? "it" : "them");
}

/* load_keyless.c - refuse loading a key-less table again over rows this source loaded
 * before (load_keyless.h). */
#include "load_keyless.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

/* SELECT's first column of the first row as a number (0 when no row); DM_OK or error. */
static int query_num(struct worker_applier *a, const struct dm_buf *q, long long *out,
                     struct worker_terr *e)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = worker_ap_query(a, q->data, &res, e);
    *out = 0;
    if (!rc && (row = mysql_fetch_row(res)) && row[0])
        *out = strtoll(row[0], NULL, 10);
    if (res)
        mysql_free_result(res);
    return rc;
}

/* unique keys of the table none of whose columns is nullable */
static int add_identity_query(struct worker_applier *a, struct dm_buf *q, const char *tdb,
                              const char *ttbl)
{
    return dm_buf_adds(q, "SELECT COUNT(*) FROM information_schema.STATISTICS s WHERE "
                          "s.NON_UNIQUE = 0 AND s.TABLE_SCHEMA = ") ||
           worker_ap_add_escaped(a, q, tdb, strlen(tdb)) ||
           dm_buf_adds(q, " AND s.TABLE_NAME = ") ||
           worker_ap_add_escaped(a, q, ttbl, strlen(ttbl)) ||
           dm_buf_adds(q, " AND NOT EXISTS (SELECT 1 FROM information_schema.STATISTICS n "
                          "WHERE n.TABLE_SCHEMA = BINARY s.TABLE_SCHEMA AND n.TABLE_NAME = "
                          "BINARY s.TABLE_NAME AND n.INDEX_NAME = BINARY s.INDEX_NAME AND "
                          "n.NULLABLE = 'YES')");
}

static int add_marker_name(struct worker_applier *a, struct dm_buf *q, const char *sdb,
                           const char *stbl)
{
    char name[600];
    int n = snprintf(name, sizeof name, "%s.%s" WORKER_LOAD_KEYLESS_SUFFIX, sdb, stbl);
    if (n < 0 || (size_t)n >= sizeof name)
        return DM_E_TOO_LARGE;
    return worker_ap_add_escaped(a, q, name, (size_t)n);
}

int worker_load_keyless_mark(struct worker_applier *a, const char *sdb, const char *stbl,
                             struct dm_buf *q, struct worker_terr *e)
{
    dm_buf_reset(q);
    if (dm_buf_adds(q, "INSERT IGNORE INTO ") ||
        worker_ap_add_meta_table(a, q, "_loader_checkpoint") ||
        dm_buf_adds(q, " (id, filename, cp_schema, cp_table, `offset`, end_pos) VALUES (") ||
        worker_ap_add_escaped(a, q, a->source_id, strlen(a->source_id)) ||
        dm_buf_addc(q, ',') || add_marker_name(a, q, sdb, stbl) || dm_buf_addc(q, ',') ||
        worker_ap_add_escaped(a, q, sdb, strlen(sdb)) || dm_buf_addc(q, ',') ||
        worker_ap_add_escaped(a, q, stbl, strlen(stbl)) || dm_buf_adds(q, ",1,1)"))
        return worker_ap_nomem(e);
    return worker_ap_run(a, q->data, q->len, e);
}

/* a marker of this source for sdb.stbl (*marked) and a row in the target table (*rows) */
static int marker_and_rows(struct worker_applier *a, struct dm_buf *q, const char *sdb,
                           const char *stbl, const char *tdb, const char *ttbl, bool *marked,
                           bool *rows, struct worker_terr *e)
{
    long long n = 0;
    int rc;
    dm_buf_reset(q);
    if (dm_buf_adds(q, "SELECT COUNT(*) FROM ") ||
        worker_ap_add_meta_table(a, q, "_loader_checkpoint") || dm_buf_adds(q, " WHERE id = ") ||
        worker_ap_add_escaped(a, q, a->source_id, strlen(a->source_id)) ||
        dm_buf_adds(q, " AND filename = ") || add_marker_name(a, q, sdb, stbl))
        return worker_ap_nomem(e);
    if ((rc = query_num(a, q, &n, e)))
        return rc;
    *marked = n > 0;
    if (!*marked)
        return DM_OK;
    dm_buf_reset(q);
    if (dm_buf_adds(q, "SELECT COUNT(*) FROM (SELECT 1 FROM ") ||
        worker_ap_add_table(q, tdb, ttbl) || dm_buf_adds(q, " LIMIT 1) x"))
        return worker_ap_nomem(e);
    if ((rc = query_num(a, q, &n, e)))
        return rc;
    *rows = n > 0;
    return DM_OK;
}

int worker_load_keyless_check(struct worker_applier *a, const char *sdb, const char *stbl,
                              const char *tdb, const char *ttbl, bool fresh, bool *keyless,
                              bool *reload, struct worker_terr *e)
{
    struct dm_buf q;
    long long ids = 0;
    bool marked = false, rows = false;
    int rc;
    *keyless = *reload = false;
    dm_buf_init(&q, 8192);
    if (add_identity_query(a, &q, tdb, ttbl)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = query_num(a, &q, &ids, e)))
        goto out;
    *keyless = ids == 0;
    if (*keyless && fresh &&
        !(rc = marker_and_rows(a, &q, sdb, stbl, tdb, ttbl, &marked, &rows, e)))
        *reload = marked && rows;
out:
    dm_buf_free(&q);
    return rc;
}

void worker_load_keyless_refuse(struct worker_terr *e, const char *tables, size_t n)
{
    worker_terr_set(e, WTE_LOAD_KEYLESS_RELOAD, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_DOWNSTREAM,
                    WTE_LEVEL_HIGH,
                    "%zu source table(s) would be loaded again from their first row into "
                    "target tables without a primary key or NOT NULL unique key that already "
                    "hold rows an earlier load of this task loaded (remove-meta, or a lost "
                    "checkpoint): the rows would be duplicated; empty these target tables "
                    "(TRUNCATE; a routed table also holds its other source tables' rows) and "
                    "resume the task: %s",
                    n, tables);
}

/* xa_meta.c - the prepared XA transactions table (see xa_meta.h). */
#include "xa_meta.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"

#define SUFFIX "_syncer_xa"

int worker_xa_meta_prepare(struct worker_applier *a, bool remove, struct worker_terr *e)
{
    return worker_ap_prepare_meta_table(a, SUFFIX,
        " (source_id VARCHAR(32) NOT NULL COMMENT 'replica source id, defined in task.yaml', "
        "xid VARBINARY(400) NOT NULL COMMENT 'as the source logs it: X''gtrid'',X''bqual'',fmt', "
        "row_changes BIGINT NOT NULL, first_table VARBINARY(400) NOT NULL, "
        "binlog_name VARCHAR(128) NOT NULL COMMENT 'its XA END event', "
        "binlog_pos BIGINT UNSIGNED NOT NULL, "
        "update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
        "PRIMARY KEY (source_id, xid))",
        remove ? "source_id" : NULL, e);
}

int worker_xa_meta_load(struct worker_applier *a, const char *source_id,
                        worker_xa_meta_fn fn, void *ud, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 256);
    if (dm_buf_adds(&q, "SELECT xid, row_changes, first_table, binlog_name, binlog_pos FROM ") ||
        worker_ap_add_meta_table(a, &q, SUFFIX) || dm_buf_adds(&q, " WHERE source_id=") ||
        worker_ap_add_str(a, &q, source_id) || dm_buf_adds(&q, " ORDER BY update_time, xid"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res)) != NULL)
        if (row[0])
            fn(ud, row[0], row[1] ? strtoll(row[1], NULL, 10) : 0, row[2] ? row[2] : "",
               row[3] ? row[3] : "", row[4] ? strtoull(row[4], NULL, 10) : 0);
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    if (rc == DM_E_NOMEM && !e->msg[0])
        worker_ap_nomem(e);
    return rc;
}

static int run(struct worker_applier *a, struct dm_buf *q, bool built, struct worker_terr *e)
{
    int rc = built ? worker_applier_exec_multi(a, q->data, q->len, 0, e) : worker_ap_nomem(e);
    if (!rc)
        rc = worker_applier_commit_plain(a, e);
    dm_buf_free(q);
    return rc;
}

int worker_xa_meta_put(struct worker_applier *a, const char *source_id, const char *xid,
                       int64_t rows, const char *table, const char *file, uint64_t pos,
                       struct worker_terr *e)
{
    struct dm_buf q;
    dm_buf_init(&q, 512);
    bool ok = !dm_buf_adds(&q, "REPLACE INTO ") && !worker_ap_add_meta_table(a, &q, SUFFIX) &&
              !dm_buf_adds(&q, " (source_id, xid, row_changes, first_table, binlog_name, "
                           "binlog_pos) VALUES (") &&
              !worker_ap_add_str(a, &q, source_id) && !dm_buf_adds(&q, ",") &&
              !worker_ap_add_str(a, &q, xid) &&
              !dm_buf_printf(&q, ",%lld,", (long long)rows) && !worker_ap_add_str(a, &q, table) &&
              !dm_buf_adds(&q, ",") && !worker_ap_add_str(a, &q, file) &&
              !dm_buf_printf(&q, ",%llu)", (unsigned long long)pos);
    return run(a, &q, ok, e);
}

int worker_xa_meta_del(struct worker_applier *a, const char *source_id, const char *xid,
                       struct worker_terr *e)
{
    struct dm_buf q;
    dm_buf_init(&q, 256);
    bool ok = !dm_buf_adds(&q, "DELETE FROM ") && !worker_ap_add_meta_table(a, &q, SUFFIX) &&
              !dm_buf_adds(&q, " WHERE source_id=") && !worker_ap_add_str(a, &q, source_id) &&
              !dm_buf_adds(&q, " AND xid=") && !worker_ap_add_str(a, &q, xid);
    return run(a, &q, ok, e);
}

/* shard_meta.c - sharding meta table and source table list (see shard_meta.h). */
#include "shard_meta.h"
#include "mysql_conn.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"

#define SUFFIX "_syncer_sharding_meta"
/* The flush statement holds every pending DDL of the group (global + per-table sequences,
 * DM's JSON): 4 KiB paused a group whose table was a few DDLs ahead ("out of memory",
 * session 11); bounded like the execution marker (shard_exec.c MARK_SQL_MAX). */
#define META_SQL_MAX ((size_t)64 << 20)

int worker_shard_meta_prepare(struct worker_applier *a, bool remove, struct worker_terr *e)
{
    return worker_ap_prepare_meta_table(a, SUFFIX,
        " (source_id VARCHAR(32) NOT NULL COMMENT 'replica source id, defined in task.yaml', "
        "target_table_id VARCHAR(144) NOT NULL, source_table_id VARCHAR(144) NOT NULL, "
        "active_index INT, is_global BOOLEAN, data JSON, "
        "create_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, "
        "update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
        "UNIQUE KEY uk_source_id_table_id_source (source_id, target_table_id, source_table_id))",
        remove ? "source_id" : NULL, e);
}

int worker_shard_meta_load(struct worker_applier *a, const char *source_id, struct wsk *k,
                           struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char err[1024] = "";
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 1024);
    if (dm_buf_adds(&q, "SELECT target_table_id, source_table_id, active_index, is_global, data "
                        "FROM ") ||
        worker_ap_add_meta_table(a, &q, SUFFIX) || dm_buf_adds(&q, " WHERE source_id=") ||
        worker_ap_add_str(a, &q, source_id) || dm_buf_adds(&q, " ORDER BY is_global DESC"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while (!rc && (row = mysql_fetch_row(res)) != NULL) {
        if (!wsk_has_group(k, row[0] ? row[0] : ""))
            continue;                 /* its tables are gone from the source */
        rc = wsk_restore(k, row[0], row[1] ? row[1] : "", row[2] ? atoi(row[2]) : 0,
                         row[3] && atoi(row[3]) != 0, row[4] ? row[4] : "[]", err, sizeof err);
        if (rc)
            worker_terr_set(e, 36007, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                            "invalid sharding meta: %s", err);
    }
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    if (rc == DM_E_NOMEM && !e->msg[0])
        worker_ap_nomem(e);
    return rc;
}

static int build_flush(struct worker_applier *a, struct dm_buf *q, const char *source_id,
                       const char *target, const struct wsk_meta_row *rows, size_t n)
{
    if (dm_buf_adds(q, "DELETE FROM ") || worker_ap_add_meta_table(a, q, SUFFIX) ||
        dm_buf_adds(q, " WHERE source_id=") || worker_ap_add_str(a, q, source_id) ||
        dm_buf_adds(q, " AND target_table_id=") || worker_ap_add_str(a, q, target))
        return DM_E_NOMEM;
    if (n == 0)
        return DM_OK;
    if (dm_buf_adds(q, ";INSERT INTO ") || worker_ap_add_meta_table(a, q, SUFFIX) ||
        dm_buf_adds(q, " (source_id, target_table_id, source_table_id, active_index, "
                       "is_global, data) VALUES "))
        return DM_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if ((i && dm_buf_adds(q, ",")) || dm_buf_adds(q, "(") ||
            worker_ap_add_str(a, q, source_id) ||
            dm_buf_adds(q, ",") || worker_ap_add_str(a, q, target) || dm_buf_adds(q, ",") ||
            worker_ap_add_str(a, q, rows[i].source) ||
            dm_buf_printf(q, ",%d,%d,", rows[i].active_idx, rows[i].source[0] ? 0 : 1) ||
            worker_ap_add_str(a, q, rows[i].data) || dm_buf_adds(q, ")"))
            return DM_E_NOMEM;
    return DM_OK;
}

int worker_shard_meta_flush(struct worker_applier *a, const char *source_id,
                            const struct wsk *k, const char *target, struct worker_terr *e)
{
    struct wsk_meta_row *rows = NULL;
    struct dm_buf q;
    size_t n = 0, need = 1024;   /* escaping may double a string */
    int rc;
    dm_buf_init(&q, META_SQL_MAX);
    rc = wsk_meta_rows(k, target, &rows, &n);
    for (size_t i = 0; !rc && i < n; i++)
        need += 2 * (strlen(rows[i].data) + strlen(rows[i].source) + strlen(target)) + 512;
    if (!rc && need <= META_SQL_MAX)
        rc = build_flush(a, &q, source_id, target, rows, n);
    if (!rc && need > META_SQL_MAX) {
        worker_terr_set(e, 36007, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                        "sharding meta of %s: its DDL sequences exceed %zu bytes", target,
                        META_SQL_MAX);
        rc = DM_E_TOO_LARGE;
    } else if (rc) {
        rc = worker_ap_nomem(e);
    } else {
        rc = worker_applier_exec_multi(a, q.data, q.len, 0, e);
    }
    if (!rc)
        rc = worker_applier_commit_plain(a, e);
    wsk_meta_rows_free(rows, n);
    dm_buf_free(&q);
    return rc;
}

int worker_shard_source_tables(const struct bl_source *src,
                               void (*fn)(void *ud, const char *schema, const char *table),
                               void *ud, struct worker_terr *e)
{
    char msg[512];
    unsigned en;
    MYSQL *m = worker_mysql_connect(src, 5, 30, 0, &en, msg, sizeof msg);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_OK;
    if (!m && !en)
        return worker_ap_nomem(e);
    if (m && (mysql_query(m, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                             "WHERE TABLE_TYPE='BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
                             "'information_schema', 'performance_schema', 'sys', "
                             "'DM_HEARTBEAT')") ||
              !(res = mysql_store_result(m)))) {
        en = mysql_errno(m);
        snprintf(msg, sizeof msg, "%s", mysql_error(m));
    }
    if (!m || !res) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                        "database driver error: source %s:%d: list tables for sharding groups: "
                        "Error %u: %s", src->host, src->port, en, msg);
        e->transient = en >= 2000;    /* client errors: unreachable / lost */
        rc = DM_E_DB;
    }
    while (res && (row = mysql_fetch_row(res)) != NULL)
        if (row[0] && row[1])
            fn(ud, row[0], row[1]);
    if (res)
        mysql_free_result(res);
    if (m)
        mysql_close(m);
    return rc;
}

/* shard_exec.c - exactly-once sharding DDL execution marker (see shard_exec.h). */
#include "shard_exec.h"

#include <jansson.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"
#include "log.h"

#define SUFFIX "_syncer_sharding_exec"
#define MARK_SQL_MAX ((size_t)64 << 20)  /* a marker holds statements and definitions: as the
                                             checkpoint writes (a wide table passed 4 KiB) */


void worker_shard_mark_clear(struct worker_shard_mark *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->sql[i]);
        free(m->use[i]);
    }
    free(m->sql);
    free(m->use);
    free(m->before);
    memset(m, 0, sizeof *m);
}

/* A table of an older version took the meta schema's default charset (latin1: a DDL with
 * other characters could not be recorded, Error 1366): converted once. */
static int to_utf8mb4(struct worker_applier *a, struct worker_terr *e)
{
    struct dm_buf q;
    char coll[64] = "";
    int rc;
    dm_buf_init(&q, 512);
    if (dm_buf_adds(&q, "SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE "
                        "TABLE_SCHEMA=") ||
        worker_ap_add_str(a, &q, a->meta_schema) || dm_buf_adds(&q, " AND TABLE_NAME=CONCAT(") ||
        worker_ap_add_str(a, &q, a->task) || dm_buf_adds(&q, ", '" SUFFIX "')"))
        rc = worker_ap_nomem(e);
    else
        rc = worker_applier_query_text(a, q.data, coll, sizeof coll, e);
    dm_buf_reset(&q);
    if (!rc && coll[0] && strcmp(coll, "utf8mb4_bin") != 0) {
        if (dm_buf_adds(&q, "ALTER TABLE ") || worker_ap_add_meta_table(a, &q, SUFFIX) ||
            dm_buf_adds(&q, " CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
            rc = worker_ap_nomem(e);
        else
            rc = worker_applier_exec_multi(a, q.data, q.len, 0, e);
    }
    dm_buf_free(&q);
    return rc;
}

int worker_shard_exec_prepare(struct worker_applier *a, bool remove, struct worker_terr *e)
{
    struct dm_buf q;
    int rc = worker_ap_prepare_meta_table(a, SUFFIX,
        " (source_id VARCHAR(32) NOT NULL, target_table_id VARCHAR(144) NOT NULL, "
        "ddl_end VARCHAR(320) NOT NULL COMMENT 'end of the DDL event: (file, pos)', "
        "stmt_index INT NOT NULL COMMENT 'the statement about to run', "
        "conn_id BIGINT UNSIGNED NOT NULL COMMENT 'target connection running it', "
        "before_def LONGTEXT NOT NULL COMMENT 'SHOW CREATE TABLE before it', "
        "ddls LONGTEXT NOT NULL COMMENT 'JSON [[use-schema, statement], ...]', "
        "trace_gid VARCHAR(128) NOT NULL DEFAULT '' COMMENT 'lock instance (ExecuteDDL traceGID)', "
        "update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
        "PRIMARY KEY (source_id, target_table_id)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        remove ? "source_id" : NULL, e);
    if (!rc)
        rc = to_utf8mb4(a, e);
    if (rc)
        return rc;
    dm_buf_init(&q, 512);       /* a table of a version without trace_gid */
    if (dm_buf_adds(&q, "ALTER TABLE ") || worker_ap_add_meta_table(a, &q, SUFFIX) ||
        dm_buf_adds(&q, " ADD COLUMN IF NOT EXISTS trace_gid VARCHAR(128) NOT NULL DEFAULT '' "
                        "COMMENT 'lock instance (ExecuteDDL traceGID)' AFTER ddls"))
        rc = worker_ap_nomem(e);
    else
        rc = worker_applier_exec_multi(a, q.data, q.len, 0, e);
    dm_buf_free(&q);
    return rc;
}

static int where_key(struct worker_applier *a, struct dm_buf *q, const char *source_id,
                     const char *target)
{
    return dm_buf_adds(q, " WHERE source_id=") || worker_ap_add_str(a, q, source_id) ||
           dm_buf_adds(q, " AND target_table_id=") || worker_ap_add_str(a, q, target);
}

/* hex -> malloc'd bytes ("" when odd or not hex: never from us). */
static char *unhex(const char *h)
{
    size_t n = strlen(h) / 2;
    char *out = malloc(n + 1);
    for (size_t i = 0; out && i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            v = 0;
        out[i] = (char)v;
    }
    if (out)
        out[n] = '\0';
    return out;
}

static char *hex(const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *h = malloc(2 * n + 1);
    for (size_t i = 0; h && i < n; i++) {
        h[2 * i] = hx[(unsigned char)s[i] >> 4];
        h[2 * i + 1] = hx[(unsigned char)s[i] & 15];
    }
    if (h)
        h[2 * n] = '\0';
    return h;
}

/* One [use, statement] element; a statement or schema that is not UTF-8 (a source session
 * of another charset) as [use-hex, statement-hex, "hex"] - JSON strings must be UTF-8. */
static json_t *ddl_elem(const char *use, const char *sql)
{
    json_t *v = json_pack("[ss]", use, sql);
    char *hu, *hs;
    if (v)
        return v;
    hu = hex(use);
    hs = hex(sql);
    v = hu && hs ? json_pack("[sss]", hu, hs, "hex") : NULL;
    free(hu);
    free(hs);
    return v;
}

/* ddls JSON -> m->sql / m->use; false when malformed. */
static bool parse_ddls(const char *txt, struct worker_shard_mark *m)
{
    json_t *arr = json_loads(txt, 0, NULL);
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    bool ok = arr && json_is_array(arr);
    m->sql = calloc(n + 1, sizeof *m->sql);
    m->use = calloc(n + 1, sizeof *m->use);
    ok = ok && m->sql && m->use;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *el = json_array_get(arr, i);
        const char *u = json_string_value(json_array_get(el, 0));
        const char *s = json_string_value(json_array_get(el, 1));
        bool h = json_array_size(el) == 3;
        ok = u && s && (m->use[i] = h ? unhex(u) : strdup(u)) &&
             (m->sql[i] = h ? unhex(s) : strdup(s));
        if (ok)
            m->n = i + 1;
    }
    json_decref(arr);
    return ok;
}

int worker_shard_exec_load(struct worker_applier *a, const char *source_id, const char *target,
                           struct worker_shard_mark *m, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    memset(m, 0, sizeof *m);
    dm_buf_init(&q, 1024);
    if (dm_buf_adds(&q, "SELECT ddl_end, stmt_index, conn_id, before_def, ddls, trace_gid FROM ") ||
        worker_ap_add_meta_table(a, &q, SUFFIX) || where_key(a, &q, source_id, target)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    row = mysql_fetch_row(res);
    if (!row || !row[0] || !row[1] || !row[2] || !row[3] || !row[4] || !row[5])
        goto out;
    snprintf(m->end, sizeof m->end, "%s", row[0]);
    snprintf(m->trace, sizeof m->trace, "%s", row[5]);
    m->idx = atoi(row[1]);
    m->conn = strtoul(row[2], NULL, 10);
    if (!(m->before = strdup(row[3]))) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    m->found = parse_ddls(row[4], m);
    if (!m->found)
        worker_shard_mark_clear(m);   /* malformed: treated as none (logged by caller) */
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

static char *ddls_json(char *const *sql, char *const *use, size_t n)
{
    json_t *arr = json_array();
    char *txt;
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < n; i++)     /* every statement or none (NULL) */
        ok = json_array_append_new(arr, ddl_elem(use[i] ? use[i] : "", sql[i])) == 0;
    txt = ok ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return txt;
}

int worker_shard_exec_save(struct worker_applier *a, const char *source_id, const char *target,
                           const char *end, const char *trace, int idx, char *const *sql,
                           char *const *use, size_t n, const char *before,
                           struct worker_terr *e)
{
    struct dm_buf q;
    char *js = ddls_json(sql, use, n);
    int rc;
    dm_buf_init(&q, MARK_SQL_MAX);
    if (!js || dm_buf_adds(&q, "REPLACE INTO ") || worker_ap_add_meta_table(a, &q, SUFFIX) ||
        dm_buf_adds(&q, " (source_id, target_table_id, ddl_end, stmt_index, conn_id, "
                        "before_def, ddls, trace_gid) VALUES (") ||
        worker_ap_add_str(a, &q, source_id) || dm_buf_adds(&q, ",") ||
        worker_ap_add_str(a, &q, target) ||
        dm_buf_adds(&q, ",") || worker_ap_add_str(a, &q, end) ||
        dm_buf_printf(&q, ",%d,%lu,", idx, mysql_thread_id(a->my)) ||
        worker_ap_add_str(a, &q, before) || dm_buf_adds(&q, ",") || worker_ap_add_str(a, &q, js) ||
        dm_buf_adds(&q, ",") || worker_ap_add_str(a, &q, trace ? trace : "") ||
        dm_buf_adds(&q, ")"))
        rc = worker_ap_nomem(e);
    else
        rc = worker_applier_exec_multi(a, q.data, q.len, 0, e);
    if (!rc)
        rc = worker_applier_commit_plain(a, e);
    free(js);
    dm_buf_free(&q);
    return rc;
}

int worker_shard_exec_step(struct worker_applier *a, const char *source_id, const char *target,
                           int idx, const char *before, struct worker_terr *e)
{
    struct dm_buf q;
    int rc;
    dm_buf_init(&q, MARK_SQL_MAX);
    if (dm_buf_adds(&q, "UPDATE ") || worker_ap_add_meta_table(a, &q, SUFFIX) ||
        dm_buf_printf(&q, " SET stmt_index=%d, conn_id=%lu, before_def=", idx,
                      mysql_thread_id(a->my)) ||
        worker_ap_add_str(a, &q, before) || where_key(a, &q, source_id, target))
        rc = worker_ap_nomem(e);
    else
        rc = worker_applier_exec_multi(a, q.data, q.len, 0, e);
    if (!rc)
        rc = worker_applier_commit_plain(a, e);
    dm_buf_free(&q);
    return rc;
}

int worker_shard_exec_done(struct worker_applier *a, const char *source_id,
                           const char *target, struct worker_terr *e)
{
    struct dm_buf q;
    int rc;
    dm_buf_init(&q, 1024);
    if (dm_buf_adds(&q, "UPDATE ") || worker_ap_add_meta_table(a, &q, SUFFIX) ||
        dm_buf_adds(&q, " SET stmt_index=-1") || where_key(a, &q, source_id, target))
        rc = worker_ap_nomem(e);
    else
        rc = worker_applier_exec_multi(a, q.data, q.len, 0, e);
    if (!rc)
        rc = worker_applier_commit_plain(a, e);
    dm_buf_free(&q);
    return rc;
}

int worker_shard_exec_each(struct worker_applier *a, const char *source_id,
                           worker_shard_exec_fn fn, void *ud, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    dm_buf_init(&q, 512);
    if (dm_buf_adds(&q, "SELECT target_table_id, ddl_end, stmt_index, trace_gid FROM ") ||
        worker_ap_add_meta_table(a, &q, SUFFIX) || dm_buf_adds(&q, " WHERE source_id=") ||
        worker_ap_add_str(a, &q, source_id))
        rc = worker_ap_nomem(e);
    else
        rc = worker_ap_query(a, q.data, &res, e);
    while (!rc && (row = mysql_fetch_row(res)))
        if (row[0] && row[1] && row[2] && row[3])
            fn(ud, row[0], row[1], atoi(row[2]), row[3]);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* Remove " AUTO_INCREMENT=<digits>" (a counter, not the definition) in place. */
static void strip_auto_increment(char *s)
{
    static const char tag[] = " AUTO_INCREMENT=";
    char *p = strstr(s, tag), *q;
    if (!p)
        return;
    q = p + sizeof tag - 1;
    while (*q >= '0' && *q <= '9')
        q++;
    memmove(p, q, strlen(q) + 1);
}

int worker_shard_exec_schema(struct worker_applier *a, const char *schema, const char *table,
                             char **out, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_OK;
    *out = NULL;
    dm_buf_init(&q, 512);
    if (dm_buf_adds(&q, "SHOW CREATE TABLE ") || worker_ap_add_table(&q, schema, table)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if (mysql_real_query(a->my, q.data, (unsigned long)q.len) != 0) {
        if (mysql_errno(a->my) == ER_NO_SUCH_TABLE || mysql_errno(a->my) == ER_BAD_DB_ERROR)
            *out = strdup("");
        else
            rc = worker_ap_db_error(a, "read the target table's definition", q.data, e);
        goto out;
    }
    if (!(res = mysql_store_result(a->my))) {
        rc = worker_ap_db_error(a, "fetch result", q.data, e);
        goto out;
    }
    row = mysql_fetch_row(res);
    *out = strdup(row && mysql_num_fields(res) > 1 && row[1] ? row[1] : "");
    if (*out)
        strip_auto_increment(*out);
out:
    if (!rc && !*out)
        rc = worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

int worker_shard_exec_wait_conn(struct worker_applier *a, unsigned long conn,
                                const atomic_bool *stop, struct worker_terr *e)
{
    char sql[160], n[32] = "1";
    int rc = DM_OK;
    if (conn == 0 || conn == mysql_thread_id(a->my))
        return DM_OK;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID=%lu",
             conn);
    for (bool logged = false; !rc && !atomic_load(stop); logged = true) {
        if ((rc = worker_applier_query_text(a, sql, n, sizeof n, e)) || strcmp(n, "0") == 0)
            break;
        if (!logged) {
            char id[32];
            snprintf(id, sizeof id, "%lu", conn);
            dm_log_kv(DM_LOG_WARN, "wait for the target connection of a killed run's sharding "
                      "DDL to end", "connection", id, NULL);
        }
        struct timespec ts = { 0, 200 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (!rc && strcmp(n, "0") != 0)
        rc = DM_E_CANCELLED;
    return rc;
}

/* merge_shape.c - source vs merged target column lists (merge_shape.h). */
#include "merge_shape.h"

#include <stdio.h>
#include <string.h>

#include "dm_error.h"
#include "mysql_conn.h"

/* The fingerprint query of one table: "<columns>-<xor of an MD5 prefix per column>" (not
 * CRC32: it is linear, columns swapped between equal-length texts XOR to the same value). */
static int shape_query(MYSQL *esc_on, const char *schema, const char *table, char *out,
                       size_t cap)
{
    char s[2 * 194 + 1], t[2 * 194 + 1];
    if (strlen(schema) >= 194 || strlen(table) >= 194)
        return DM_E_INVAL;
    mysql_real_escape_string(esc_on, s, schema, (unsigned long)strlen(schema));
    mysql_real_escape_string(esc_on, t, table, (unsigned long)strlen(table));
    snprintf(out, cap,
             "SELECT CONCAT(COUNT(*), '-', COALESCE(BIT_XOR(CONV(LEFT(MD5(CONCAT_WS(':', "
             "ordinal_position, LOWER(column_name), column_type, IFNULL(collation_name, '-'))), "
             "15), 16, 10)), 0)) FROM information_schema.columns WHERE table_schema = '%s' AND "
             "table_name = '%s'", s, t);
    return DM_OK;
}

static int src_err(struct worker_terr *e, const char *msg)
{
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "compare a merged table's columns with the source's: %s", msg);
    e->transient = true;
    return DM_E_IO;
}

int worker_merge_shape_same(const struct bl_source *src, struct worker_applier *a,
                            const char *sschema, const char *stable, const char *tschema,
                            const char *ttable, bool *same, struct worker_terr *e)
{
    char q[2048], msg[512], sv[64] = "", tv[64] = "";
    unsigned en;
    MYSQL *m = worker_mysql_connect(src, 5, 30, 30, &en, msg, sizeof msg);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_OK;
    *same = true;
    if (!m)
        return src_err(e, msg);
    if (shape_query(m, sschema, stable, q, sizeof q) != DM_OK) {
        mysql_close(m);
        return DM_OK;             /* names the parser refuses anyway */
    }
    if (mysql_query(m, q) || !(res = mysql_store_result(m)) || !(row = mysql_fetch_row(res)) ||
        !row[0])
        rc = src_err(e, mysql_error(m));
    else
        snprintf(sv, sizeof sv, "%s", row[0]);
    if (res)
        mysql_free_result(res);
    if (!rc && shape_query(m, tschema, ttable, q, sizeof q) == DM_OK)
        rc = worker_applier_query_text(a, q, tv, sizeof tv, e);
    mysql_close(m);
    if (!rc)
        *same = strcmp(sv, tv) == 0;
    return rc;
}

/* merge_shape.c - source vs merged target column lists (merge_shape.h). */
#include "merge_shape.h"

#include <stdio.h>
#include <string.h>

#include "dm_error.h"
#include "srcmeta.h"

/* The fingerprint query of one table: "<columns>-<xor of an MD5 prefix per column>" (not
 * CRC32: it is linear, columns swapped between equal-length texts XOR to the same value). */
static int shape_query(const char *schema, const char *table, char *out, size_t cap)
{
    char s[2 * WORKER_SRCMETA_NAME_MAX + 1], t[2 * WORKER_SRCMETA_NAME_MAX + 1];
    if (!worker_srcmeta_escape(schema, s, sizeof s) || !worker_srcmeta_escape(table, t, sizeof t))
        return DM_E_INVAL;
    snprintf(out, cap,
             "SELECT CONCAT(COUNT(*), '-', COALESCE(BIT_XOR(CONV(LEFT(MD5(CONCAT_WS(':', "
             "ordinal_position, LOWER(column_name), column_type, IFNULL(collation_name, '-'))), "
             "15), 16, 10)), 0)) FROM information_schema.columns WHERE table_schema = '%s' AND "
             "table_name = '%s'", s, t);
    return DM_OK;
}

int worker_merge_shape_same(struct worker_srcmeta *sm, struct worker_applier *a,
                            const char *sschema, const char *stable, const char *tschema,
                            const char *ttable, bool *same, struct worker_terr *e)
{
    char q[2048], sv[64] = "", tv[64] = "";
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    *same = true;
    if (shape_query(sschema, stable, q, sizeof q) != DM_OK)
        return DM_OK;             /* names the parser refuses anyway */
    rc = worker_srcmeta_query(sm, "compare a merged table's columns with the source's", q,
                              &res, e);
    if (!rc && (row = mysql_fetch_row(res)) && row[0])
        snprintf(sv, sizeof sv, "%s", row[0]);
    if (res)
        mysql_free_result(res);
    if (!rc && shape_query(tschema, ttable, q, sizeof q) == DM_OK)
        rc = worker_applier_query_text(a, q, tv, sizeof tv, e);
    if (!rc)
        *same = strcmp(sv, tv) == 0;
    return rc;
}

/* ddl_exec.c - the target state a DDL statement names (see ddl_exec.h). */
#include "ddl_exec.h"

#include <jansson.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdlib.h>
#include <string.h>

#include "applier_int.h"
#include "buf.h"
#include "ddl.h"
#include "dm_error.h"
#include "shard_exec.h"

/* SHOW CREATE DATABASE of schema, "" when it does not exist; *out malloc'd. */
static int db_def(struct worker_applier *a, const char *schema, char **out,
                  struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_OK;
    *out = NULL;
    dm_buf_init(&q, 256);
    if (dm_buf_adds(&q, "SHOW CREATE DATABASE ") || worker_ap_add_ident(&q, schema)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if (mysql_real_query(a->my, q.data, (unsigned long)q.len) != 0) {
        if (mysql_errno(a->my) == ER_BAD_DB_ERROR)
            *out = strdup("");
        else
            rc = worker_ap_db_error(a, "read the target database's definition", q.data, e);
        goto out;
    }
    if (!(res = mysql_store_result(a->my))) {
        rc = worker_ap_db_error(a, "fetch result", q.data, e);
        goto out;
    }
    row = mysql_fetch_row(res);
    *out = strdup(row && mysql_num_fields(res) > 1 && row[1] ? row[1] : "");
out:
    if (!rc && !*out)
        rc = worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* The definition as hex (SHOW CREATE output may hold bytes that are not UTF-8: binary
 * DEFAULT values, comments of other charsets; JSON strings must be UTF-8). */
static int def_of(struct worker_applier *a, const char *schema, const char *table, char **out,
                  struct worker_terr *e)
{
    static const char hx[] = "0123456789ABCDEF";
    char *def = NULL, *h;
    size_t n;
    int rc = table[0] ? worker_shard_exec_schema(a, schema, table, &def, e)
                      : db_def(a, schema, &def, e);
    *out = NULL;
    if (rc)
        return rc;
    n = strlen(def);
    if (!(h = malloc(2 * n + 1))) {
        free(def);
        return worker_ap_nomem(e);
    }
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = hx[(unsigned char)def[i] >> 4];
        h[2 * i + 1] = hx[(unsigned char)def[i] & 15];
    }
    h[2 * n] = '\0';
    free(def);
    *out = h;
    return DM_OK;
}

static int add_ref(struct worker_applier *a, json_t *arr, const struct worker_ddl_ref *r,
                   struct worker_terr *e)
{
    char *def = NULL;
    int rc;
    if (!r->schema[0])
        return DM_OK;
    rc = def_of(a, r->schema, r->table, &def, e);
    json_t *v = rc ? NULL : json_pack("[sss]", r->schema, r->table, def);
    free(def);
    if (rc || !v)          /* a name that is not UTF-8 is left out (not compared) */
        return rc;
    return json_array_append_new(arr, v) ? worker_ap_nomem(e) : DM_OK;
}

int worker_ddl_exec_state(struct worker_applier *a, const char *sql, const char *use,
                          char **out, struct worker_terr *e)
{
    struct worker_ddl d;
    json_t *arr = json_array();
    int rc = arr ? worker_ddl_parse(sql, use && use[0] ? use : NULL, &d) : DM_E_NOMEM;
    *out = NULL;
    if (rc) {
        json_decref(arr);
        return worker_ap_nomem(e);
    }
    for (size_t i = 0; !rc && d.kind == WDDL_DDL && i < d.n; i++) {
        const struct worker_ddl_item *it = &d.items[i];
        for (size_t k = 0; !rc && k < it->nrefs; k++)
            rc = add_ref(a, arr, &it->refs[k], e);
        for (size_t k = 0; !rc && k < it->nxrefs; k++)
            rc = add_ref(a, arr, &it->xrefs[k], e);
    }
    worker_ddl_free(&d);
    if (!rc && !(*out = json_dumps(arr, JSON_COMPACT)))
        rc = worker_ap_nomem(e);
    json_decref(arr);
    return rc;
}

int worker_ddl_exec_changed(struct worker_applier *a, const char *before, bool *changed,
                            struct worker_terr *e)
{
    json_t *arr = json_loads(before ? before : "", 0, NULL);
    int rc = DM_OK;
    *changed = false;
    for (size_t i = 0; !rc && !*changed && json_is_array(arr) && i < json_array_size(arr); i++) {
        json_t *r = json_array_get(arr, i);
        const char *s = json_string_value(json_array_get(r, 0));
        const char *t = json_string_value(json_array_get(r, 1));
        const char *d = json_string_value(json_array_get(r, 2));
        char *now = NULL;
        if (!s || !t || !d)
            continue;
        rc = def_of(a, s, t, &now, e);
        *changed = !rc && strcmp(now, d) != 0;
        free(now);
    }
    json_decref(arr);
    return rc;
}

/* applier_schema.c - the target table schema cache of the applier (applier_int.h
 * worker_ap_tinfo_get): columns (generated, nullable, unsigned, charset, fixed binary
 * length, temporal precision, FLOAT printed with 6 digits), unique keys (PK first) and the foreign key actions on the table read from
 * information_schema, kept until worker_applier_invalidate. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "applier.h"
#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"
#include "log.h"

/* ---- schema cache ---- */

/* enum tcmp of a column from its collation and enum tcs (applier_int.h). */
static unsigned char classify_cmp(const char *collation, unsigned char tcs)
{
    size_t n = collation ? strlen(collation) : 0;
    if (tcs == TCS_BINARY)
        return TCMP_BYTES;
    if (!collation)
        return TCMP_FOLD;   /* not character data: numbers, temporals, ... */
    if ((tcs == TCS_UTF8 || tcs == TCS_ASCII) && n > 4 &&
        strcasecmp(collation + n - 4, "_bin") == 0)
        return TCMP_BIN;
    return TCMP_COLLATED;
}

/* n of TIME(n) / DATETIME(n) / TIMESTAMP(n) (COLUMN_TYPE "datetime(3)"), else 0. */
static unsigned char temporal_fsp(const char *data_type, const char *column_type)
{
    const char *p;
    if (!data_type || !column_type || (strcmp(data_type, "time") != 0 &&
                                       strcmp(data_type, "datetime") != 0 &&
                                       strcmp(data_type, "timestamp") != 0))
        return 0;
    p = strchr(column_type, '(');
    return p && p[1] >= '1' && p[1] <= '6' ? (unsigned char)(p[1] - '0') : 0;
}

/* FLOAT without a declared scale ("float", "float unsigned"; FLOAT(M,D) prints D decimals,
 * FLOAT(p) is "float" or "double"): printed with 6 significant digits. */
static bool float_6digits(const char *data_type, const char *column_type)
{
    return data_type && column_type && strcmp(data_type, "float") == 0 &&
           !strchr(column_type, '(');
}

/* Family of a target column's DATA_TYPE, named as bl_column_shape names the binlog's
 * (binlog.h); NULL for a type not listed (no check). */
const char *worker_ap_type_family(const char *dt)
{
    static const char *const fam[][2] = {
        { "tinyint", "integer" }, { "smallint", "integer" }, { "mediumint", "integer" },
        { "int", "integer" }, { "bigint", "integer" }, { "year", "year" },
        { "float", "float" }, { "double", "double" }, { "decimal", "decimal" },
        { "date", "date" }, { "time", "time" }, { "datetime", "datetime" },
        { "timestamp", "timestamp" }, { "bit", "bit" }, { "enum", "enum" }, { "set", "set" },
        { "char", "string" }, { "varchar", "string" }, { "binary", "string" },
        { "varbinary", "string" }, { "tinytext", "string" }, { "text", "string" },
        { "mediumtext", "string" }, { "longtext", "string" }, { "tinyblob", "string" },
        { "blob", "string" }, { "mediumblob", "string" }, { "longblob", "string" },
        { "json", "string" }, { "inet6", "string" }, { "inet4", "string" },
        { "uuid", "string" }, { "geometry", "geometry" }, { "point", "geometry" },
        { "linestring", "geometry" }, { "polygon", "geometry" },
        { "multipoint", "geometry" }, { "multilinestring", "geometry" },
        { "multipolygon", "geometry" }, { "geometrycollection", "geometry" },
    };
    size_t i;
    for (i = 0; dt && i < sizeof fam / sizeof fam[0]; i++)
        if (strcmp(dt, fam[i][0]) == 0)
            return fam[i][1];
    return NULL;
}

/* Byte width of an integer DATA_TYPE, 0 for others. */
unsigned long long worker_ap_int_width(const char *dt)
{
    static const char *const w[] = { "tinyint", "smallint", "mediumint", "int", "", "", "",
                                     "bigint" };
    size_t i;
    for (i = 0; dt && i < sizeof w / sizeof w[0]; i++)
        if (w[i][0] && strcmp(dt, w[i]) == 0)
            return i + 1;
    return 0;
}

/* t->shape[i] from DATA_TYPE, COLUMN_TYPE, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION,
 * NUMERIC_SCALE. */
static int set_shape(struct tshape *sh, const char *data_type, const char *column_type,
                     const char *octets, const char *prec, const char *scale)
{
    sh->family = worker_ap_type_family(data_type);
    sh->len = worker_ap_int_width(data_type);
    if (sh->family && strcmp(sh->family, "string") == 0 && octets)
        sh->len = strtoull(octets, NULL, 10);
    if (sh->family && strcmp(sh->family, "bit") == 0 && prec)
        sh->len = strtoull(prec, NULL, 10);
    sh->prec = prec ? (unsigned)strtoul(prec, NULL, 10) : 0;
    sh->scale = scale ? (unsigned)strtoul(scale, NULL, 10) : 0;
    sh->column_type = strdup(column_type ? column_type : "");
    return sh->column_type ? DM_OK : DM_E_NOMEM;
}

static int load_columns(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t n, i = 0;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT COLUMN_NAME, EXTRA, IS_NULLABLE, COLUMN_TYPE, CHARACTER_SET_NAME, "
                        "DATA_TYPE, CHARACTER_OCTET_LENGTH, COLLATION_NAME, NUMERIC_PRECISION, "
                        "NUMERIC_SCALE FROM information_schema.COLUMNS "
                        "WHERE TABLE_SCHEMA=") ||
        worker_ap_add_escaped(a, &q, t->schema, strlen(t->schema)) || dm_buf_adds(&q, " AND TABLE_NAME=") ||
        worker_ap_add_escaped(a, &q, t->table, strlen(t->table)) ||
        dm_buf_adds(&q, " ORDER BY ORDINAL_POSITION"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    n = (size_t)mysql_num_rows(res);
    rc = DM_E_NOMEM;
    t->cols = calloc(n ? n : 1, sizeof *t->cols);
    t->gen = calloc(n ? n : 1, sizeof *t->gen);
    t->nullable = calloc(n ? n : 1, sizeof *t->nullable);
    t->is_unsigned = calloc(n ? n : 1, sizeof *t->is_unsigned);
    t->charset = calloc(n ? n : 1, sizeof *t->charset);
    t->tcs = calloc(n ? n : 1, sizeof *t->tcs);
    t->padlen = calloc(n ? n : 1, sizeof *t->padlen);
    t->cmp = calloc(n ? n : 1, sizeof *t->cmp);
    t->fsp = calloc(n ? n : 1, sizeof *t->fsp);
    t->float6 = calloc(n ? n : 1, sizeof *t->float6);
    t->shape = calloc(n ? n : 1, sizeof *t->shape);
    if (!t->cols || !t->gen || !t->nullable || !t->is_unsigned || !t->charset || !t->tcs ||
        !t->padlen || !t->cmp || !t->fsp || !t->float6 || !t->shape)
        goto out;
    while ((row = mysql_fetch_row(res)) && i < n) {
        t->cols[i] = strdup(row[0] ? row[0] : "");
        t->charset[i] = row[4] ? strdup(row[4]) : NULL;
        t->ncols = i + 1;       /* (freed by worker_ap_tinfo_free from here) */
        if (!t->cols[i] || (row[4] && !t->charset[i]) ||
            set_shape(&t->shape[i], row[5], row[3], row[6], row[8], row[9]) ||
            (row[7] && !(t->shape[i].collation = strdup(row[7]))))
            goto out;
        t->tcs[i] = worker_ap_classify_text(row[4], row[5]);
        t->cmp[i] = classify_cmp(row[7], t->tcs[i]);
        t->padlen[i] = worker_ap_fixed_binary_len(row[5], row[6]);
        t->gen[i] = row[1] && strstr(row[1], "GENERATED") != NULL;
        t->nullable[i] = row[2] && strcmp(row[2], "YES") == 0;
        t->is_unsigned[i] = row[3] && strstr(row[3], "unsigned") != NULL;
        t->fsp[i] = temporal_fsp(row[5], row[3]);
        t->float6[i] = float_6digits(row[5], row[3]);
        t->nwritable += t->gen[i] ? 0 : 1;
        i++;
    }
    rc = DM_OK;
    if (n == 0) {
        worker_terr_set(e, WTE_DB_EXEC, WTE_CLASS_DATABASE, WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                        "table `%s`.`%s` not found in the target database", t->schema, t->table);
        rc = DM_E_INVAL;
    }
out:
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

static ssize_t col_index(const struct tinfo *t, const char *name)
{
    size_t i;
    for (i = 0; i < t->ncols; i++)
        if (strcasecmp(t->cols[i], name) == 0)
            return (ssize_t)i;
    return -1;
}

static int add_key_col(struct tinfo *t, bool new_key, bool primary, size_t idx, size_t sub)
{
    struct tkey *k;
    size_t *tmp;
    if (new_key) {
        struct tkey *nk = realloc(t->keys, (t->nkeys + 1) * sizeof *nk);
        if (!nk)
            return DM_E_NOMEM;
        t->keys = nk;
        memset(&t->keys[t->nkeys], 0, sizeof *nk);
        t->keys[t->nkeys].primary = primary;
        t->keys[t->nkeys].not_null = true;
        t->nkeys++;
    }
    k = &t->keys[t->nkeys - 1];
    tmp = realloc(k->idx, (k->n + 1) * sizeof *tmp);
    if (!tmp)
        return DM_E_NOMEM;
    k->idx = tmp;
    tmp = realloc(k->sub, (k->n + 1) * sizeof *tmp);
    if (!tmp)
        return DM_E_NOMEM;
    k->sub = tmp;
    k->sub[k->n] = sub;
    k->idx[k->n++] = idx;
    if (t->nullable[idx])
        k->not_null = false;
    return DM_OK;
}

static int load_keys(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char last[200] = "";
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT INDEX_NAME, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS "
                        "WHERE NON_UNIQUE=0 AND TABLE_SCHEMA=") ||
        worker_ap_add_escaped(a, &q, t->schema, strlen(t->schema)) || dm_buf_adds(&q, " AND TABLE_NAME=") ||
        worker_ap_add_escaped(a, &q, t->table, strlen(t->table)) ||
        dm_buf_adds(&q, " ORDER BY INDEX_NAME<>'PRIMARY', INDEX_NAME, SEQ_IN_INDEX"))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res))) {
        ssize_t idx = col_index(t, row[1] ? row[1] : "");
        bool fresh = strcmp(last, row[0] ? row[0] : "") != 0;
        if (idx < 0)
            continue;
        snprintf(last, sizeof last, "%s", row[0] ? row[0] : "");
        if (add_key_col(t, fresh, strcmp(last, "PRIMARY") == 0, (size_t)idx,
                        row[2] ? (size_t)strtoull(row[2], NULL, 10) : 0)) {
            rc = worker_ap_nomem(e);
            goto out;
        }
    }
    rc = DM_OK;
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* Foreign keys of other tables whose actions change rows when a row of t is deleted or
 * its key updated: InnoDB runs them without binlogging the changed rows, so the target
 * must run them too (applier_dml.c). */
static bool fk_acts(const char *rule)
{
    return rule && strcmp(rule, "RESTRICT") != 0 && strcmp(rule, "NO ACTION") != 0;
}

static int load_fk_actions(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT DELETE_RULE, UPDATE_RULE FROM "
                        "information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                        "UNIQUE_CONSTRAINT_SCHEMA=") ||
        worker_ap_add_escaped(a, &q, t->schema, strlen(t->schema)) ||
        dm_buf_adds(&q, " AND REFERENCED_TABLE_NAME=") ||
        worker_ap_add_escaped(a, &q, t->table, strlen(t->table))) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res))) {
        t->fk_delete |= fk_acts(row[0]);
        t->fk_update |= fk_acts(row[1]);
    }
    rc = DM_OK;
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* TABLES.TABLE_TYPE 'SYSTEM VERSIONED': t->versioned; TRIGGERS on the table: t->triggers. */
static int load_table_type(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    dm_buf_init(&q, 512);
    if (dm_buf_adds(&q, "SELECT TABLE_TYPE, (SELECT COUNT(*) FROM information_schema.TRIGGERS "
                        "WHERE EVENT_OBJECT_SCHEMA=TABLE_SCHEMA AND EVENT_OBJECT_TABLE="
                        "TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA=") ||
        worker_ap_add_escaped(a, &q, t->schema, strlen(t->schema)) ||
        dm_buf_adds(&q, " AND TABLE_NAME=") ||
        worker_ap_add_escaped(a, &q, t->table, strlen(t->table))) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    if ((row = mysql_fetch_row(res)) && row[0]) {
        t->versioned = strcmp(row[0], "SYSTEM VERSIONED") == 0;
        t->triggers = row[1] && strcmp(row[1], "0") != 0;
    }
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* t->overlaps from SHOW CREATE TABLE (information_schema does not show WITHOUT OVERLAPS:
 * STATISTICS lists its period's end and start columns as plain key parts). Asked only for
 * tables with a unique key of 3 or more parts (a column and the period's two). A name
 * holding the words only serializes the table's rows (never wrong). */
static int load_overlaps(struct worker_applier *a, struct tinfo *t, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t k;
    int rc = DM_OK;
    for (k = 0; k < t->nkeys && t->keys[k].n < 3; k++)
        ;
    if (k == t->nkeys)
        return DM_OK;
    dm_buf_init(&q, 512);
    if (dm_buf_adds(&q, "SHOW CREATE TABLE ") || worker_ap_add_table(&q, t->schema, t->table)) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    if ((row = mysql_fetch_row(res)) && mysql_num_fields(res) >= 2 && row[1])
        t->overlaps = strstr(row[1], "WITHOUT OVERLAPS") != NULL;
    if (t->overlaps)
        dm_log_kv(DM_LOG_INFO, "rows ordered by table (unique key WITHOUT OVERLAPS)", "schema",
                  t->schema, "table", t->table, NULL);
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

int worker_ap_tinfo_get(struct worker_applier *a, const char *schema, const char *table,
                     struct tinfo **out, struct worker_terr *e)
{
    struct tinfo *t;
    int rc;
    for (t = a->cache; t; t = t->next) {
        if (strcmp(t->schema, schema) == 0 && strcmp(t->table, table) == 0) {
            *out = t;
            return DM_OK;
        }
    }
    t = calloc(1, sizeof *t);
    if (!t || !(t->schema = strdup(schema)) || !(t->table = strdup(table))) {
        if (t)
            worker_ap_tinfo_free(t);
        return worker_ap_nomem(e);
    }
    if ((rc = load_columns(a, t, e)) || (rc = load_keys(a, t, e)) ||
        (rc = load_fk_actions(a, t, e)) || (rc = load_table_type(a, t, e)) ||
        (rc = load_overlaps(a, t, e))) {
        worker_ap_tinfo_free(t);
        return rc;
    }
    t->next = a->cache;
    a->cache = t;
    *out = t;
    return DM_OK;
}


int worker_applier_keyless_rows(struct worker_applier *a, const char *schema,
                                const char *table, bool *out, struct worker_terr *e)
{
    struct tinfo *t;
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    size_t i;
    int rc;
    *out = false;
    if (worker_ap_tinfo_get(a, schema, table, &t, e) != DM_OK)
        return DM_OK;             /* no such table: the ALTER itself fails */
    for (i = 0; i < t->nkeys; i++)
        if (t->keys[i].not_null)
            return DM_OK;
    dm_buf_init(&q, 256);
    if (dm_buf_adds(&q, "SELECT 1 FROM ") || worker_ap_add_table(&q, schema, table) ||
        dm_buf_adds(&q, " LIMIT 1")) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    *out = mysql_num_rows(res) > 0;
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

int worker_applier_lower_case_names(struct worker_applier *a, int *out, struct worker_terr *e)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = worker_ap_query(a, "SELECT @@lower_case_table_names", &res, e);
    *out = 0;
    if (!rc && (row = mysql_fetch_row(res)) && row[0])
        *out = atoi(row[0]);
    if (res)
        mysql_free_result(res);
    return rc;
}

/* online_ddl.c - pt / gh-ost online DDL for the Sync unit (see online_ddl.h). */
#include "online_ddl.h"

#include <jansson.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "log.h"

#include "applier_int.h"

/* ---- schemes (DM's pt_osc.go / ghost.go as data) ---- */

struct od_scheme {
    const char *name;                 /* online-ddl-scheme value */
    bool trim_all_underscores;        /* pt: strings.TrimLeft(table, "_") */
    const char *ghost_sfx;
    const char *trash_sfx[2];
    const char *tmp_label;            /* "rename table to %s temporary table" */
    const char *meta_label;           /* "metadata for %s temporary table" */
    int code_rename_invalid, code_rename_to_tmp, code_tmp_to_other, code_meta_not_found;
};

static const struct od_scheme schemes[] = {
    {"pt", true, "_new", {"_old", NULL}, "pt", "pt", 36048, 36049, 36050, 36051},
    {"gh-ost", false, "_gho", {"_ghc", "_del"}, "gh-ost", "ghost", 36043, 36044, 36045, 36046},
};

#define OD_MAX_RECORDS 4096           /* ghost tables with recorded DDLs */
#define OD_MAX_DDLS 1024              /* recorded DDLs per ghost table */

struct worker_onlineddl {
    const struct od_scheme *sc;
    struct worker_applier *a;         /* borrowed */
    char *meta_schema, *table, *id;   /* `<meta>`.`<task>_onlineddl`, id = server id */
    json_t *recs;                     /* {ghost_schema: {ghost_table: {"schema","table","ddls"}}} */
};

bool worker_onlineddl_scheme_valid(const char *scheme)
{
    size_t i;
    if (!scheme || !scheme[0])
        return true;
    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strcmp(schemes[i].name, scheme) == 0)
            return true;
    return false;
}

static bool has_suffix(const char *s, size_t n, const char *sfx)
{
    size_t k = strlen(sfx);
    return n >= k && memcmp(s + n - k, sfx, k) == 0;
}

enum worker_od_table worker_onlineddl_table_type(const struct worker_onlineddl *od,
                                                 const char *table)
{
    size_t n = table ? strlen(table) : 0, i;
    if (!od || n <= 5 || table[0] != '_')    /* 5: "_" + "_gho" */
        return WOD_REAL;
    if (has_suffix(table, n, od->sc->ghost_sfx))
        return WOD_GHOST;
    for (i = 0; i < 2 && od->sc->trash_sfx[i]; i++)
        if (has_suffix(table, n, od->sc->trash_sfx[i]))
            return WOD_TRASH;
    return WOD_REAL;
}

void worker_onlineddl_real_name(const struct worker_onlineddl *od, const char *table, char *out,
                                size_t cap)
{
    const char *p = table;
    size_t n;
    if (worker_onlineddl_table_type(od, table) == WOD_REAL) {
        snprintf(out, cap, "%s", table);
        return;
    }
    if (od->sc->trim_all_underscores)
        p += strspn(p, "_");
    else
        p++;
    n = strlen(p);
    n = n >= 4 ? n - 4 : 0;
    snprintf(out, cap, "%.*s", (int)n, p);
}

size_t worker_onlineddl_pending(const struct worker_onlineddl *od)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    if (!od)
        return 0;
    json_object_foreach(od->recs, k, v)
        n += json_object_size(v);
    return n;
}

/* ---- errors ---- */

static int od_err(struct worker_terr *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int od_err(struct worker_terr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    worker_terr_vset(e, code, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH, fmt, ap);
    va_end(ap);
    return DM_E_INVAL;
}

static int bad_meta(struct worker_terr *e, const char *why)
{
    return od_err(e, 36039, "online ddl meta invalid: %.300s", why);
}

/* ---- storage (DM's OnlineDDLStorage) ---- */

static int add_meta_table(struct worker_onlineddl *od, struct dm_buf *b)
{
    return worker_ap_add_table(b, od->meta_schema, od->table);
}

/* 'escaped' string literal */
static int add_str(struct worker_onlineddl *od, struct dm_buf *b, const char *s)
{
    return worker_ap_add_escaped(od->a, b, s, strlen(s)) ? DM_E_NOMEM : DM_OK;
}

/* Build and run one statement: fmt pieces joined by the caller through `b`. */
static int run_buf(struct worker_onlineddl *od, struct dm_buf *b, int build_rc,
                   struct worker_terr *e)
{
    int rc = build_rc ? worker_ap_nomem(e) : worker_applier_exec(od->a, b->data, e);
    dm_buf_free(b);
    return rc;
}

static int prepare(struct worker_onlineddl *od, struct worker_terr *e)
{
    return worker_ap_prepare_meta_table(od->a, "_onlineddl",
        " (\n\tid VARCHAR(32) NOT NULL,\n\tghost_schema VARCHAR(128) NOT NULL,\n"
        "\tghost_table VARCHAR(128) NOT NULL,\n\tddls text,\n"
        "\tupdate_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE "
        "CURRENT_TIMESTAMP,\n\tUNIQUE KEY uk_id_schema_table (id, ghost_schema, "
        "ghost_table)\n)", NULL, e);
}

/* DELETE this id's rows, all (schema NULL) or one ghost table's. */
static int delete_rows(struct worker_onlineddl *od, const char *schema, const char *table,
                       struct worker_terr *e)
{
    struct dm_buf b;
    int rc;
    dm_buf_init(&b, 4096);
    rc = dm_buf_adds(&b, "DELETE FROM ") || add_meta_table(od, &b) ||
         dm_buf_adds(&b, " WHERE `id` = ") || add_str(od, &b, od->id);
    if (!rc && schema)
        rc = dm_buf_adds(&b, " and `ghost_schema` = ") || add_str(od, &b, schema) ||
             dm_buf_adds(&b, " and `ghost_table` = ") || add_str(od, &b, table);
    return run_buf(od, &b, rc, e);
}

static int load_row(struct worker_onlineddl *od, MYSQL_ROW row, unsigned long *len,
                    struct worker_terr *e)
{
    json_error_t je;
    json_t *info = json_loadb(row[2] ? row[2] : "", row[2] ? len[2] : 0, 0, &je);
    json_t *per;
    if (!info || !json_is_object(info) || !json_is_array(json_object_get(info, "ddls")) ||
        !json_is_string(json_object_get(info, "schema")) ||
        !json_is_string(json_object_get(info, "table"))) {
        json_decref(info);
        return bad_meta(e, row[2] ? row[2] : "NULL");
    }
    per = json_object_get(od->recs, row[0]);
    if (!per) {
        per = json_object();
        if (!per || json_object_set_new(od->recs, row[0], per)) {
            json_decref(info);
            return worker_ap_nomem(e);
        }
    }
    if (json_object_set_new(per, row[1], info))
        return worker_ap_nomem(e);
    return DM_OK;
}

static int load(struct worker_onlineddl *od, struct worker_terr *e)
{
    struct dm_buf b;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    dm_buf_init(&b, 4096);
    rc = dm_buf_adds(&b, "SELECT `ghost_schema`, `ghost_table`, `ddls` FROM ") ||
         add_meta_table(od, &b) || dm_buf_adds(&b, " WHERE `id`=") || add_str(od, &b, od->id);
    rc = rc ? worker_ap_nomem(e) : worker_ap_query(od->a, b.data, &res, e);
    dm_buf_free(&b);
    while (!rc && (row = mysql_fetch_row(res)))
        rc = load_row(od, row, mysql_fetch_lengths(res), e);
    if (res)
        mysql_free_result(res);
    return rc;
}

static json_t *get_rec(const struct worker_onlineddl *od, const char *schema, const char *table)
{
    return json_object_get(json_object_get(od->recs, schema), table);
}

/* Persist the record of one ghost table (REPLACE INTO, as DM). */
static int store(struct worker_onlineddl *od, const char *schema, const char *table,
                 const json_t *info, struct worker_terr *e)
{
    struct dm_buf b;
    char *text = json_dumps(info, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc;
    if (!text)
        return bad_meta(e, "a recorded DDL is not valid UTF-8");
    dm_buf_init(&b, 16u << 20);
    rc = dm_buf_adds(&b, "REPLACE INTO ") || add_meta_table(od, &b) ||
         dm_buf_adds(&b, "(`id`,`ghost_schema`, `ghost_table`, `ddls`) VALUES (") ||
         add_str(od, &b, od->id) || dm_buf_adds(&b, ", ") || add_str(od, &b, schema) ||
         dm_buf_adds(&b, ", ") || add_str(od, &b, table) || dm_buf_adds(&b, ", ") ||
         add_str(od, &b, text) || dm_buf_addc(&b, ')');
    free(text);
    return run_buf(od, &b, rc, e);
}

/* DM's Save: append `ddl` (unless it repeats the last one, a replayed event). */
static int save(struct worker_onlineddl *od, const char *gs, const char *gt, const char *rs,
                const char *rt, const char *ddl, struct worker_terr *e)
{
    json_t *per = json_object_get(od->recs, gs), *info, *ddls;
    size_t n;
    if (!per) {
        if (json_object_size(od->recs) >= OD_MAX_RECORDS || !(per = json_object()) ||
            json_object_set_new(od->recs, gs, per))
            return worker_ap_nomem(e);
    }
    info = json_object_get(per, gt);
    if (!info) {
        info = json_pack("{s:s, s:s, s:[]}", "schema", rs, "table", rt, "ddls");
        if (!info || json_object_set_new(per, gt, info))
            return bad_meta(e, "schema or table name is not valid UTF-8");
    }
    ddls = json_object_get(info, "ddls");
    n = json_array_size(ddls);
    if (n > 0 && strcmp(json_string_value(json_array_get(ddls, n - 1)), ddl) == 0) {
        dm_log_kv(DM_LOG_WARN, "online ddl may be saved before, just ignore it", "ddl", ddl, NULL);
        return DM_OK;
    }
    if (n >= OD_MAX_DDLS)
        return bad_meta(e, "too many DDLs recorded for one ghost table");
    if (json_array_append_new(ddls, json_string(ddl)))
        return bad_meta(e, "a recorded DDL is not valid UTF-8");
    return store(od, gs, gt, info, e);
}

static int forget(struct worker_onlineddl *od, const char *schema, const char *table,
                  struct worker_terr *e)
{
    json_t *per = json_object_get(od->recs, schema);
    int rc;
    if (!per)
        return DM_OK;
    if ((rc = delete_rows(od, schema, table, e)))
        return rc;
    json_object_del(per, table);
    if (json_object_size(per) == 0)
        json_object_del(od->recs, schema);
    return DM_OK;
}

/* ---- lifecycle ---- */

int worker_onlineddl_open(const char *scheme, struct worker_applier *a, const char *meta_schema,
                          const char *task, uint32_t server_id, bool clear,
                          struct worker_onlineddl **out, struct worker_terr *e)
{
    struct worker_onlineddl *od;
    char id[16], tbl[160];
    size_t i;
    int rc;
    *out = NULL;
    if (!scheme || !scheme[0])
        return DM_OK;
    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strcmp(schemes[i].name, scheme) == 0)
            break;
    if (i == sizeof schemes / sizeof schemes[0])
        return od_err(e, 36040, "online ddl scheme (%s) not supported", scheme);
    if (!(od = calloc(1, sizeof *od)))
        return worker_ap_nomem(e);
    snprintf(id, sizeof id, "%u", server_id);
    snprintf(tbl, sizeof tbl, "%s_onlineddl", task);
    od->sc = &schemes[i];
    od->a = a;
    od->meta_schema = strdup(meta_schema);
    od->table = strdup(tbl);
    od->id = strdup(id);
    od->recs = json_object();
    if (!od->meta_schema || !od->table || !od->id || !od->recs)
        rc = worker_ap_nomem(e);
    else if (!(rc = prepare(od, e)) && !(clear && (rc = delete_rows(od, NULL, NULL, e))))
        rc = load(od, e);
    if (rc) {
        worker_onlineddl_free(od);
        return rc;
    }
    *out = od;
    return DM_OK;
}

void worker_onlineddl_free(struct worker_onlineddl *od)
{
    if (!od)
        return;
    json_decref(od->recs);
    free(od->meta_schema);
    free(od->table);
    free(od->id);
    free(od);
}

/* ---- apply (DM's PT.Apply / Ghost.Apply) ---- */

void worker_onlineddl_cutover_free(struct worker_od_cutover *c)
{
    size_t i;
    for (i = 0; c->ddls && i < c->n; i++)
        worker_ddl_free(&c->ddls[i]);
    free(c->ddls);
    c->ddls = NULL;
    c->n = 0;
}

/* Re-parse every recorded DDL of ghost `gs`.`gt` aimed at `rs`.`rt`. */
static int build_cutover(const json_t *info, const char *gs, const char *gt, const char *rs,
                         const char *rt, struct worker_od_cutover *out, struct worker_terr *e)
{
    const json_t *ddls = json_object_get(info, "ddls");
    size_t i, k, n = json_array_size(ddls);
    memset(out, 0, sizeof *out);
    snprintf(out->ghost_schema, sizeof out->ghost_schema, "%s", gs);
    snprintf(out->ghost_table, sizeof out->ghost_table, "%s", gt);
    if (n && !(out->ddls = calloc(n, sizeof *out->ddls)))
        return worker_ap_nomem(e);
    for (i = 0; i < n; i++, out->n++) {
        struct worker_ddl *d = &out->ddls[i];
        const char *text = json_string_value(json_array_get(ddls, i));
        if (!text)
            return bad_meta(e, "a recorded DDL is not a string");
        if (worker_ddl_parse(text, gs, d))
            return worker_ap_nomem(e);
        if (d->kind != WDDL_DDL) {
            out->n++;
            return bad_meta(e, text);
        }
        for (k = 0; k < d->n; k++) {
            struct worker_ddl_ref *r = &d->items[k].refs[0];
            snprintf(r->schema, sizeof r->schema, "%s", rs);
            snprintf(r->table, sizeof r->table, "%s", rt);
        }
    }
    return DM_OK;
}

static int apply_ghost(struct worker_onlineddl *od, const struct worker_ddl_item *it,
                       bool rename, enum worker_od_verdict *v, struct worker_od_cutover *out,
                       struct worker_terr *e)
{
    const struct worker_ddl_ref *r0 = &it->refs[0], *r1 = &it->refs[1];
    char real[WORKER_NAME_MAX];
    enum worker_od_table to;
    const json_t *info;
    int rc;
    *v = WOD_SKIP;
    if (it->ev == WEV_CREATE_TABLE || it->ev == WEV_DROP_TABLE)
        return forget(od, r0->schema, r0->table, e);
    if (!rename) {
        worker_onlineddl_real_name(od, r0->table, real, sizeof real);
        return save(od, r0->schema, r0->table, r0->schema, real, it->text, e);
    }
    to = worker_onlineddl_table_type(od, r1->table);
    if (to == WOD_GHOST)
        return od_err(e, od->sc->code_tmp_to_other,
                      "rename %s temporary table to other temporary table %s not supported",
                      od->sc->tmp_label, it->text);
    if (to == WOD_TRASH)
        return forget(od, r0->schema, r0->table, e);
    info = get_rec(od, r0->schema, r0->table);
    if (!info)
        return od_err(e, od->sc->code_meta_not_found,
                      "online ddl metadata for %s temporary table `%s`.`%s` not found",
                      od->sc->meta_label, r0->schema, r0->table);
    rc = build_cutover(info, r0->schema, r0->table, r1->schema, r1->table, out, e);
    if (rc)
        worker_onlineddl_cutover_free(out);
    else
        *v = WOD_CUTOVER;
    return rc;
}

int worker_onlineddl_apply(struct worker_onlineddl *od, const struct worker_ddl_item *it,
                           enum worker_od_verdict *verdict, struct worker_od_cutover *out,
                           struct worker_terr *e)
{
    bool rename = it->ev == WEV_RENAME_TABLE;
    enum worker_od_table tp;
    *verdict = WOD_APPLY;
    if (!od || it->nrefs == 0 || !it->refs[0].table[0])
        return DM_OK;
    if (rename && it->nrefs != 2)
        return od_err(e, od->sc->code_rename_invalid,
                      "tables should contain old and new table name");
    tp = worker_onlineddl_table_type(od, it->refs[0].table);
    switch (tp) {
    case WOD_REAL:
        if (rename && worker_onlineddl_table_type(od, it->refs[1].table) == WOD_TRASH)
            *verdict = WOD_SKIP;
        else if (rename && worker_onlineddl_table_type(od, it->refs[1].table) == WOD_GHOST)
            return od_err(e, od->sc->code_rename_to_tmp,
                          "rename table to %s temporary table %s not supported",
                          od->sc->tmp_label, it->text);
        return DM_OK;
    case WOD_TRASH:
        *verdict = WOD_SKIP;
        if (rename && worker_onlineddl_table_type(od, it->refs[1].table) == WOD_GHOST)
            return od_err(e, od->sc->code_tmp_to_other,
                          "rename %s temporary table to other temporary table %s not supported",
                          od->sc->tmp_label, it->text);
        return DM_OK;
    case WOD_GHOST:
        return apply_ghost(od, it, rename, verdict, out, e);
    }
    return DM_OK;
}

int worker_onlineddl_finish(struct worker_onlineddl *od, const char *ghost_schema,
                            const char *ghost_table, struct worker_terr *e)
{
    if (!od)
        return DM_OK;
    return forget(od, ghost_schema, ghost_table, e);
}

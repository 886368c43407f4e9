/* applier_srcdef.c - the source table's column definitions against the target's
 * (applier_int.h worker_ap_srcdef_*): what the binlog's TABLE_MAP does not say without
 * binlog_row_metadata (names, UNSIGNED, ENUM/SET members, character sets), read from the
 * source's information_schema and used only while it describes the table the events
 * being applied were logged for. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applier.h"
#include "applier_int.h"
#include "dm_error.h"
#include "mysql_conn.h"

void worker_applier_set_source(struct worker_applier *a, const struct bl_source *src)
{
    a->src = src;
}

void worker_ap_srcdef_free(struct srcdef *d)
{
    while (d) {
        struct srcdef *next = d->next;
        worker_ap_srcdef_clear(d);
        free(d->schema);
        free(d->table);
        free(d);
        d = next;
    }
}

static int src_err(struct worker_terr *e, const char *msg)
{
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "read the source table's column definitions: %s", msg);
    e->transient = true;
    return DM_E_IO;
}

static char *dup0(const char *s)
{
    return strdup(s ? s : "");
}

/* d->cols from the source's information_schema (one row per column, in order); d->ctime
 * the table's CREATE_TIME (its .frm: changed by every ALTER/RENAME), -1 when NULL. */
static int fill(struct srcdef *d, MYSQL_RES *res)
{
    MYSQL_ROW row;
    size_t n = (size_t)mysql_num_rows(res);
    d->ctime = -1;
    if (!(d->cols = calloc(n ? n : 1, sizeof *d->cols)))
        return DM_E_NOMEM;
    while ((row = mysql_fetch_row(res)) && d->ncols < n) {
        struct srccol *c = &d->cols[d->ncols++];
        c->name = dup0(row[0]);
        c->column_type = dup0(row[2]);
        c->charset = row[3] ? strdup(row[3]) : NULL;
        if (!c->name || !c->column_type || (row[3] && !c->charset))
            return DM_E_NOMEM;
        c->family = worker_ap_type_family(row[1]);
        c->len = worker_ap_int_width(row[1]);
        c->is_unsigned = strstr(c->column_type, "unsigned") != NULL;
        if (row[4])
            d->ctime = strtoll(row[4], NULL, 10);
    }
    return DM_OK;
}

static int fetch(const struct bl_source *src, struct srcdef *d, struct worker_terr *e)
{
    char q[1400], msg[512], s[2 * 194 + 1], t[2 * 194 + 1];
    unsigned en;
    MYSQL *m;
    MYSQL_RES *res = NULL;
    int rc;
    worker_ap_srcdef_clear(d);
    if (strlen(d->schema) >= 194 || strlen(d->table) >= 194)
        return DM_OK;              /* names MariaDB refuses anyway */
    if (!(m = worker_mysql_connect(src, 5, 30, 30, &en, msg, sizeof msg)))
        return src_err(e, msg);
    mysql_real_escape_string(m, s, d->schema, (unsigned long)strlen(d->schema));
    mysql_real_escape_string(m, t, d->table, (unsigned long)strlen(d->table));
    snprintf(q, sizeof q,
             "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, "
             "UNIX_TIMESTAMP(t.CREATE_TIME) FROM information_schema.COLUMNS c JOIN "
             "information_schema.TABLES t ON t.TABLE_SCHEMA=c.TABLE_SCHEMA AND "
             "t.TABLE_NAME=c.TABLE_NAME WHERE c.TABLE_SCHEMA='%s' AND c.TABLE_NAME='%s' "
             "ORDER BY c.ORDINAL_POSITION", s, t);
    /* CREATE_TIME is shown in the session's zone: UTC has no hour that happens twice */
    if (mysql_query(m, "SET time_zone='+00:00'") || mysql_query(m, q) ||
        !(res = mysql_store_result(m)))
        rc = src_err(e, mysql_error(m));
    else if ((rc = fill(d, res)) == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    mysql_close(m);
    if (rc)
        worker_ap_srcdef_clear(d);   /* no half-read definition */
    return rc;
}

void worker_ap_srcdef_clear(struct srcdef *d)
{
    size_t i;
    for (i = 0; i < d->ncols; i++) {
        free(d->cols[i].name);
        free(d->cols[i].column_type);
        free(d->cols[i].charset);
    }
    free(d->cols);
    d->cols = NULL;
    d->ncols = 0;
    d->ctime = -1;
}

/* The definition has the TABLE_MAP's columns: as many, each of the same type family and
 * integer width (a later ALTER that the events do not know yet changes them mostly). */
static bool matches_map(const struct srcdef *d, const struct bl_table *bt)
{
    struct bl_col_shape sh;
    size_t s;
    if (d->ncols != bt->ncols || !bt->types)
        return false;
    for (s = 0; s < d->ncols; s++) {
        bl_column_shape(bt, s, &sh);
        if (!sh.family || !d->cols[s].family)
            continue;
        if (strcmp(sh.family, d->cols[s].family) != 0 ||
            (d->cols[s].len && sh.len && d->cols[s].len != sh.len))
            return false;
    }
    return true;
}

/* Whether d describes the table as the event ev was logged: it was (re)defined before
 * ev's timestamp (an ALTER after ev would have a CREATE_TIME >= ev's second) and has its
 * TABLE_MAP's columns. */
static bool usable(const struct srcdef *d, const struct bl_event *ev)
{
    return d->ctime >= 0 && d->ctime < (long long)ev->timestamp &&
           matches_map(d, ev->table);
}

static struct srcdef *find_or_add(struct tinfo *t, const char *schema, const char *table)
{
    struct srcdef *d;
    for (d = t->src; d; d = d->next)
        if (strcmp(d->schema, schema) == 0 && strcmp(d->table, table) == 0)
            return d;
    if (!(d = calloc(1, sizeof *d)))
        return NULL;
    d->ctime = -1;
    d->schema = strdup(schema);
    d->table = strdup(table);
    if (!d->schema || !d->table) {
        worker_ap_srcdef_free(d);
        return NULL;
    }
    d->next = t->src;
    t->src = d;
    return d;
}

int worker_ap_srcdef_get(struct worker_applier *a, struct tinfo *t, const struct bl_event *ev,
                         const struct srcdef **out, struct worker_terr *e)
{
    struct srcdef *d;
    int rc;
    *out = NULL;
    if (!a->src || !ev->table || !ev->table->types)
        return DM_OK;
    if (!(d = find_or_add(t, ev->table->schema, ev->table->table)))
        return worker_ap_nomem(e);
    if (d->ncols && usable(d, ev)) {
        *out = d;
        return DM_OK;
    }
    /* Fetched before: not again while the table's last change is not older than the
     * event (the events are of an older definition), nor after a fetch that did not
     * match an older event's TABLE_MAP, found no such table or no CREATE_TIME (a table
     * the check cannot follow). */
    if (d->fetched && (d->stuck || (long long)ev->timestamp <= d->ctime))
        return DM_OK;
    if ((rc = fetch(a->src, d, e)))
        return rc;
    d->fetched = true;
    if (usable(d, ev))
        *out = d;
    else if (d->ctime < (long long)ev->timestamp)
        d->stuck = true;         /* gone from the source, no CREATE_TIME, or other columns */
    return DM_OK;
}

int worker_ap_src_unsigned(const struct srcdef *d, const struct bl_table *bt, size_t s)
{
    if (bt->is_unsigned)
        return bt->is_unsigned[s];
    if (d && s < d->ncols && d->cols[s].family)
        return d->cols[s].is_unsigned;
    return -1;
}

/* "enum('a','b')" -> "'a','b'" (pointer into ct, length *n); NULL without parentheses. */
static const char *members(const char *ct, size_t *n)
{
    const char *p = strchr(ct, '('), *q = strrchr(ct, ')');
    if (!p || !q || q < p)
        return NULL;
    *n = (size_t)(q - p - 1);
    return p + 1;
}

/* Target ENUM/SET members begin with the source's, in the same order (the binlog holds
 * the index / bitmask): members appended on the target are fine. */
static bool members_fit(const char *src, const char *dst)
{
    size_t ns, nd;
    const char *s = members(src, &ns), *d = members(dst, &nd);
    if (!s || !d)
        return true;
    return nd >= ns && memcmp(s, d, ns) == 0 && (nd == ns || d[ns] == ',');
}

/* The bytes of source charset sc mean the same characters in target column charset tc
 * (enum tcs tcs of the target column): written as they are. */
static bool charset_same(const char *sc, const char *tc, unsigned char tcs)
{
    if (strcasecmp(sc, tc) == 0)
        return true;
    if (strcasecmp(sc, "ascii") == 0 && (tcs == TCS_ASCII || tcs == TCS_UTF8))
        return true;
    return strcasecmp(sc, "utf8mb3") == 0 && strcasecmp(tc, "utf8mb4") == 0;
}

/* Source column s is named `name`; the target has it at another position than i. */
static bool moved(const struct tinfo *t, size_t i, const char *name)
{
    size_t k;
    if (strcasecmp(t->cols[i], name) == 0)
        return false;
    for (k = 0; k < t->ncols; k++)
        if (k != i && strcasecmp(t->cols[k], name) == 0)
            return true;
    return false;                   /* renamed on the target: nothing tells */
}

static bool sign_misfit(const struct srcdef *d, const struct bl_table *bt, size_t s,
                        const struct tinfo *t, size_t i, char *why, size_t cap)
{
    struct bl_col_shape sh;
    const char *fam = t->shape[i].family;
    int su = worker_ap_src_unsigned(d, bt, s);
    bool tu = t->is_unsigned[i];
    if (su < 0 || !fam)
        return false;
    bl_column_shape(bt, s, &sh);
    if (strcmp(fam, "integer") == 0 && su == 1 && !tu && t->shape[i].len <= sh.len) {
        snprintf(why, cap, "UNSIGNED integer of %llu bytes in the source, signed %s on the "
                 "target: its values above the signed maximum would not fit",
                 (unsigned long long)sh.len, t->shape[i].column_type);
        return true;
    }
    if ((strcmp(fam, "integer") == 0 || strcmp(fam, "decimal") == 0 ||
         strcmp(fam, "float") == 0 || strcmp(fam, "double") == 0) && su == 0 && tu) {
        snprintf(why, cap, "signed in the source, %s on the target: its negative values "
                 "would not fit", t->shape[i].column_type);
        return true;
    }
    return false;
}

static int load_collations(struct worker_applier *a, struct worker_terr *e)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t n;
    int rc = worker_ap_query(a, "SELECT ID, CHARACTER_SET_NAME FROM "
                                "information_schema.COLLATIONS WHERE ID IS NOT NULL", &res, e);
    if (rc)
        return rc;
    n = (size_t)mysql_num_rows(res);
    free(a->coll);
    a->ncoll = 0;
    if (!(a->coll = calloc(n ? n : 1, sizeof *a->coll))) {
        mysql_free_result(res);
        return worker_ap_nomem(e);
    }
    while ((row = mysql_fetch_row(res)) && a->ncoll < n) {
        if (!row[0] || !row[1])
            continue;
        a->coll[a->ncoll].id = (unsigned)strtoul(row[0], NULL, 10);
        snprintf(a->coll[a->ncoll].cs, sizeof a->coll[a->ncoll].cs, "%s", row[1]);
        a->ncoll++;
    }
    mysql_free_result(res);
    a->coll_loaded = true;
    return DM_OK;
}

int worker_ap_coll_charset(struct worker_applier *a, unsigned id, const char **out,
                           struct worker_terr *e)
{
    size_t i;
    int rc;
    *out = NULL;
    if (!a->coll_loaded && (rc = load_collations(a, e)))
        return rc;
    for (i = 0; i < a->ncoll; i++)
        if (a->coll[i].id == id) {
            *out = a->coll[i].cs;
            break;
        }
    return DM_OK;
}

/* A character set name as MariaDB spells them (it goes into SQL text unquoted). */
static bool charset_name(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return i > 0 && i < 64;
}

/* Source column s's character data against target column i's charset: binary source
 * data into a character column is a misfit (its bytes would be read as characters);
 * another charset is converted (*conv). */
static bool charset_misfit(const struct srccol *c, const struct bl_table *bt, size_t s,
                           const char *mcs, const struct tinfo *t, size_t i, const char **conv,
                           char *why, size_t cap)
{
    bool sbin = bt->is_binary && bt->is_binary[s];
    const char *sc = sbin ? NULL : mcs ? mcs : c ? c->charset : NULL;   /* binlog's first */
    const char *tc = t->charset ? t->charset[i] : NULL;
    if (!(c || sbin || mcs) || !tc)
        return false;               /* nothing known / binary target: the bytes are kept */
    if (sc && !charset_same(sc, tc, t->tcs ? t->tcs[i] : 0) && !charset_name(sc)) {
        snprintf(why, cap, "the source's character set name '%.64s' is not one", sc);
        return true;
    }
    if (sc && !charset_same(sc, tc, t->tcs ? t->tcs[i] : 0))
        *conv = sc;             /* written as _<sc> X'..' (applier_text.c) */
    if (sc)
        return false;
    snprintf(why, cap, "%s in the source (binary), %s on the target (%s): its bytes would be "
             "read as characters", c ? c->column_type : "string", t->shape[i].column_type, tc);
    return true;
}

bool worker_ap_srcdef_misfit(const struct srcdef *d, const struct bl_table *bt, size_t s,
                             const char *mcs, const struct tinfo *t, size_t i,
                             const char **conv, char *why, size_t cap)
{
    const struct srccol *c = d && s < d->ncols ? &d->cols[s] : NULL;
    const char *fam = t->shape ? t->shape[i].family : NULL;
    *conv = NULL;
    if (!t->shape)
        return false;
    if (c && !bt->names && moved(t, i, c->name)) {
        snprintf(why, cap, "its column %zu is `%s` in the source table, which is column "
                 "`%s`'s position on the target (`%s` is elsewhere)", s + 1, c->name,
                 t->cols[i], c->name);
        return true;
    }
    if (sign_misfit(d, bt, s, t, i, why, cap))
        return true;
    if (c && fam && c->family && strcmp(fam, c->family) == 0 &&
        (strcmp(fam, "enum") == 0 || strcmp(fam, "set") == 0) &&
        !members_fit(c->column_type, t->shape[i].column_type)) {
        snprintf(why, cap, "%s in the source, %s on the target: the binlog holds the "
                 "member's index, which names another member there", c->column_type,
                 t->shape[i].column_type);
        return true;
    }
    return fam && strcmp(fam, "string") == 0 &&
           charset_misfit(c, bt, s, mcs, t, i, conv, why, cap);
}

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
#include "ddl.h"
#include "dm_error.h"
#include "srcmeta.h"

void worker_applier_set_source(struct worker_applier *a, struct worker_srcmeta *sm)
{
    a->sm = sm;
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
        c->collation = row[5] ? strdup(row[5]) : NULL;
        if (!c->name || !c->column_type || (row[3] && !c->charset) ||
            (row[5] && !c->collation))
            return DM_E_NOMEM;
        c->family = worker_ap_type_family(row[1]);
        c->len = worker_ap_int_width(row[1]);
        c->is_unsigned = strstr(c->column_type, "unsigned") != NULL;
        if (row[4])
            d->ctime = strtoll(row[4], NULL, 10);
    }
    return DM_OK;
}

static int fetch_keys(struct worker_srcmeta *sm, struct srcdef *d, const char *s,
                      const char *t, struct worker_terr *e);

static int fetch(struct worker_srcmeta *sm, struct srcdef *d, struct worker_terr *e)
{
    char q[1400], s[2 * WORKER_SRCMETA_NAME_MAX + 1], t[2 * WORKER_SRCMETA_NAME_MAX + 1];
    MYSQL_RES *res = NULL;
    int rc;
    worker_ap_srcdef_clear(d);
    if (!worker_srcmeta_escape(d->schema, s, sizeof s) ||
        !worker_srcmeta_escape(d->table, t, sizeof t))
        return DM_OK;              /* names MariaDB refuses anyway */
    snprintf(q, sizeof q,
             "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, "
             "UNIX_TIMESTAMP(t.CREATE_TIME), c.COLLATION_NAME FROM information_schema.COLUMNS c "
             "JOIN "
             "information_schema.TABLES t ON t.TABLE_SCHEMA=c.TABLE_SCHEMA AND "
             "t.TABLE_NAME=c.TABLE_NAME WHERE c.TABLE_SCHEMA='%s' AND c.TABLE_NAME='%s' "
             "ORDER BY c.ORDINAL_POSITION", s, t);
    /* CREATE_TIME is shown in the session's zone: srcmeta's is UTC */
    rc = worker_srcmeta_query(sm, "read the source table's column definitions", q, &res, e);
    if (!rc && (rc = fill(d, res)) == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    if (!rc && d->ncols)
        rc = fetch_keys(sm, d, s, t, e);
    if (rc)
        worker_ap_srcdef_clear(d);   /* no half-read definition */
    return rc;
}

/* d->keys from STATISTICS rows (INDEX_NAME, COLUMN_NAME, SUB_PART), ordered by index and
 * part; a column not in d->cols leaves the keys unknown. */
static int fill_keys(struct srcdef *d, MYSQL_RES *res)
{
    MYSQL_ROW row;
    char last[200] = "";
    size_t c, n = (size_t)mysql_num_rows(res);
    if (!(d->keys = calloc(n ? n : 1, sizeof *d->keys)))
        return DM_E_NOMEM;
    while ((row = mysql_fetch_row(res))) {
        struct srckey *k;
        if (!row[0] || !row[1])
            return DM_OK;
        if (!d->nkeys || strcmp(last, row[0]) != 0) {
            snprintf(last, sizeof last, "%s", row[0]);
            k = &d->keys[d->nkeys++];
            if (!(k->col = calloc(n, sizeof *k->col)) || !(k->sub = calloc(n, sizeof *k->sub)))
                return DM_E_NOMEM;
        }
        k = &d->keys[d->nkeys - 1];
        for (c = 0; c < d->ncols && strcasecmp(d->cols[c].name, row[1]) != 0; c++)
            ;
        if (c == d->ncols || k->n >= n)
            return DM_OK;
        k->col[k->n] = c;
        k->sub[k->n++] = row[2] ? (unsigned)strtoul(row[2], NULL, 10) : 0;
    }
    d->keys_known = true;
    return DM_OK;
}

static int fetch_keys(struct worker_srcmeta *sm, struct srcdef *d, const char *s,
                      const char *t, struct worker_terr *e)
{
    char q[1000];
    MYSQL_RES *res = NULL;
    int rc;
    snprintf(q, sizeof q, "SELECT INDEX_NAME, COLUMN_NAME, SUB_PART FROM "
             "information_schema.STATISTICS WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s' AND "
             "NON_UNIQUE=0 ORDER BY INDEX_NAME, SEQ_IN_INDEX", s, t);
    rc = worker_srcmeta_query(sm, "read the source table's unique keys", q, &res, e);
    if (!rc && (rc = fill_keys(d, res)) == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    return rc;
}

static void keys_clear(struct srcdef *d)
{
    size_t k;
    for (k = 0; k < d->nkeys; k++) {
        free(d->keys[k].col);
        free(d->keys[k].sub);
    }
    free(d->keys);
    d->keys = NULL;
    d->nkeys = 0;
    d->keys_known = false;
}

/* Source key sk is implied by target key tk: each of its parts is a part of tk over that
 * source column, whole or with a prefix at least as long as sk's. */
static bool key_implies(const struct srckey *sk, const struct tkey *tk, const ssize_t *src)
{
    size_t p, q;
    for (p = 0; p < sk->n; p++) {
        bool hit = false;
        for (q = 0; q < tk->n && !hit; q++) {
            unsigned ts = tk->sub ? (unsigned)tk->sub[q] : 0;
            hit = src[tk->idx[q]] >= 0 && (size_t)src[tk->idx[q]] == sk->col[p] &&
                  (ts == 0 || (sk->sub[p] && ts >= sk->sub[p]));
        }
        if (!hit)
            return false;
    }
    return sk->n > 0;
}

bool worker_ap_srcdef_key_misfit(const struct srcdef *d, const struct tinfo *t,
                                 const ssize_t *src, char *why, size_t cap)
{
    size_t k, q, j;
    if (!d || !d->keys_known)
        return false;
    for (k = 0; k < t->nkeys; k++) {
        const struct tkey *tk = &t->keys[k];
        bool ok = false;
        for (q = 0; q < tk->n; q++)
            if (src[tk->idx[q]] < 0)
                break;
        if (q < tk->n)
            continue;                   /* over a generated column: not told */
        for (j = 0; j < d->nkeys && !ok; j++)
            ok = key_implies(&d->keys[j], tk, src);
        if (ok)
            continue;
        snprintf(why, cap, "its %s over `%s`%s%s is implied by no PRIMARY/UNIQUE key of the "
                 "source table: rows the source holds apart may be one key value on the "
                 "target, where a REPLACE (safe mode) would delete the other row and an "
                 "INSERT fail with Error 1062; give the target the source's unique keys "
                 "(no extra UNIQUE key, no prefix the source does not have)",
                 tk->primary ? "PRIMARY KEY" : "UNIQUE key", t->cols[tk->idx[0]],
                 tk->n > 1 ? ", ..." : "", tk->sub && tk->sub[0] ? " (a prefix)" : "");
        return true;
    }
    return false;
}

void worker_ap_srcdef_clear(struct srcdef *d)
{
    size_t i;
    keys_clear(d);
    for (i = 0; i < d->ncols; i++) {
        free(d->cols[i].name);
        free(d->cols[i].column_type);
        free(d->cols[i].charset);
        free(d->cols[i].collation);
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

/* ---- target tables the task's own CREATE TABLE made (same-second rows) ---- */

static struct apcreated **created_find(struct worker_applier *a, const char *schema,
                                       const char *table)
{
    struct apcreated **pp;
    for (pp = &a->created; *pp; pp = &(*pp)->next)
        if (strcasecmp((*pp)->schema, schema) == 0 && strcasecmp((*pp)->table, table) == 0)
            break;
    return pp;
}

static void created_forget(struct worker_applier *a, const char *schema, const char *table)
{
    struct apcreated **pp = created_find(a, schema, table), *c = *pp;
    if (!c)
        return;
    *pp = c->next;
    free(c->schema);
    free(c->table);
    free(c);
}

static void created_add(struct worker_applier *a, const char *schema, const char *table)
{
    struct apcreated *c;
    if (*created_find(a, schema, table) || !(c = calloc(1, sizeof *c)))
        return;
    c->schema = strdup(schema);
    c->table = strdup(table);
    if (!c->schema || !c->table) {
        free(c->schema);
        free(c->table);
        free(c);
        return;
    }
    c->next = a->created;
    a->created = c;
}

void worker_ap_created_note(struct worker_applier *a, const char *use_schema, const char *sql,
                            bool warned)
{
    struct worker_ddl res;
    size_t i;
    memset(&res, 0, sizeof res);
    if (worker_ddl_parse(sql, use_schema, &res) == DM_OK && res.kind == WDDL_DDL)
        for (i = 0; i < res.n; i++) {
            const struct worker_ddl_item *it = &res.items[i];
            if (!it->refs[0].table[0])
                continue;
            if (it->ev == WEV_CREATE_TABLE && !warned)
                created_add(a, it->refs[0].schema, it->refs[0].table);
            else if (it->ev == WEV_CREATE_TABLE || it->ev == WEV_DROP_TABLE ||
                     it->ev == WEV_RENAME_TABLE)
                created_forget(a, it->refs[0].schema, it->refs[0].table);
        }
    worker_ddl_free(&res);
}

void worker_ap_created_free(struct worker_applier *a)
{
    while (a->created) {
        struct apcreated *c = a->created;
        a->created = c->next;
        free(c->schema);
        free(c->table);
        free(c);
    }
}

#define LOOKAHEAD_PAGE 2000     /* source binlog events read per query */
#define LOOKAHEAD_EVENTS 20000  /* and past the rows at most (in later files too) */

/* Whether statement info (SHOW BINLOG EVENTS' Info of a Query event: "use `db`; <sql>" or
 * "<sql>") may change schema.table: a DDL the parser finds acting on it or renaming into
 * it; a statement it does not know that names the table. */
static bool names_table(const char *info, const char *schema, const char *table)
{
    char db[WORKER_NAME_MAX] = "";
    const char *sql = info;
    struct worker_ddl res;
    bool hit = false;
    size_t i, k;
    if (strncmp(info, "use `", 5) == 0) {
        const char *p = info + 5;
        for (k = 0; *p && k + 1 < sizeof db; p++) {
            if (*p == '`' && p[1] == '`')
                p++;                      /* a doubled backquote */
            else if (*p == '`')
                break;
            db[k++] = *p;
        }
        db[k] = '\0';
        if (strncmp(p, "`; ", 3) == 0)
            sql = p + 3;
    }
    memset(&res, 0, sizeof res);
    if (worker_ddl_parse(sql, db, &res) != DM_OK)
        return true;                      /* out of memory: say it may */
    if (res.kind == WDDL_UNKNOWN)
        hit = strcasestr(sql, table) != NULL;
    for (i = 0; res.kind == WDDL_DDL && i < res.n && !hit; i++)
        for (k = 0; k < 2 && !hit; k++) {
            const struct worker_ddl_ref *r = &res.items[i].refs[k];
            hit = (r->table[0] && strcasecmp(r->schema, schema) == 0 &&
                   strcasecmp(r->table, table) == 0) ||
                  (!r->table[0] && r->schema[0] && strcasecmp(r->schema, schema) == 0);
        }
    worker_ddl_free(&res);
    return hit;
}

/* The source's binary log files (SHOW BINARY LOGS, oldest first) into *res. */
static int binlog_files(struct worker_srcmeta *sm, MYSQL_RES **res)
{
    struct worker_terr ignored;
    return worker_srcmeta_query(sm, "list the source's binlog files", "SHOW BINARY LOGS", res,
                                &ignored);
}

/* The file after `file` in the source's list into next (cap); *last true when `file` is
 * the last one (the binlog's end is that file's end). false: the list was not read or
 * has no `file`. */
static bool next_file(struct worker_srcmeta *sm, const char *file, char *next, size_t cap,
                      bool *last)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    bool seen = false;
    *last = false;
    next[0] = '\0';
    if (binlog_files(sm, &res))
        return false;
    while ((row = mysql_fetch_row(res)) && !next[0])
        if (seen && row[0])
            snprintf(next, cap, "%s", row[0]);
        else if (row[0] && strcmp(row[0], file) == 0)
            seen = true;
    mysql_free_result(res);
    *last = seen && !next[0];
    return seen;
}

/* One page of file f's events from pos (0: the file's start) into *n, *found (a Query
 * event naming the table), *end (the position after the page's last event). -1: the
 * page could not be read. */
static int lookahead_page(struct worker_srcmeta *sm, const char *f, unsigned long long pos,
                          const struct bl_table *bt, size_t *n, bool *found,
                          unsigned long long *end)
{
    char q[700], ef[2 * WORKER_SRCMETA_NAME_MAX + 1];
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    struct worker_terr ignored;
    *n = 0;
    if (!worker_srcmeta_escape(f, ef, sizeof ef))
        return -1;
    if (pos)
        snprintf(q, sizeof q, "SHOW BINLOG EVENTS IN '%s' FROM %llu LIMIT %d", ef, pos,
                 LOOKAHEAD_PAGE);
    else
        snprintf(q, sizeof q, "SHOW BINLOG EVENTS IN '%s' LIMIT %d", ef, LOOKAHEAD_PAGE);
    if (worker_srcmeta_query(sm, "read the source's binlog after a rows event", q, &res,
                             &ignored))
        return -1;
    while ((row = mysql_fetch_row(res))) {
        (*n)++;
        if (row[4])
            *end = strtoull(row[4], NULL, 10);
        if (row[2] && strcmp(row[2], "Query") == 0 && row[5] &&
            names_table(row[5], bt->schema, bt->table))
            *found = true;
    }
    mysql_free_result(res);
    return 0;
}

/* Whether a QUERY event of the source's binlog after ev (to its end, through later
 * binlog files) may be a DDL of ev's table: its text names the table (BEGIN/COMMIT/XA do
 * not). *sure false when that could not be told (more than LOOKAHEAD_EVENTS events, no
 * BINLOG MONITOR privilege, a relay file the source does not have); *why then says why. */
static void later_ddl(struct worker_srcmeta *sm, const struct bl_event *ev, bool *found,
                      bool *sure, const char **why)
{
    char f[512], nf[512];
    unsigned long long pos = ev->next_pos;
    size_t total = 0, n;
    bool last;
    *found = false;
    *sure = false;
    *why = "more than 20000 events follow in the source's binlog";
    snprintf(f, sizeof f, "%s", ev->file);
    while (total < LOOKAHEAD_EVENTS) {
        if (lookahead_page(sm, f, pos, ev->table, &n, found, &pos)) {
            *why = "the source's binlog could not be read (SHOW BINLOG EVENTS needs the "
                   "BINLOG MONITOR privilege; the file must still be on the source)";
            return;
        }
        total += n;
        if (*found)
            return;
        if (n == LOOKAHEAD_PAGE)
            continue;                /* more of this file */
        if (!next_file(sm, f, nf, sizeof nf, &last)) {
            *why = "the source's binlog files could not be listed (SHOW BINARY LOGS needs "
                   "the BINLOG MONITOR privilege)";
            return;
        }
        if (last) {
            *sure = true;            /* read to the end of the last file */
            return;
        }
        snprintf(f, sizeof f, "%s", nf);
        pos = 0;
    }
}

/* d, defined in ev's own second (CREATE_TIME), is ev's definition unless a later DDL of
 * that second replaced it: used to check rows whose TABLE_MAP has no column names (NO_LOG
 * / MINIMAL) - a column order or ENUM differing on the target is refused rather than
 * applied unchecked - when the source's binlog after ev, read to its end, has no
 * statement naming the table (then no DDL replaced it), and the target table is not one
 * the task's own CREATE TABLE made this session (its columns are the source's by the
 * binlog's own statement). Else the rows get the TABLE_MAP's checks only, as rows behind
 * a later ALTER do. */
static bool same_second(struct worker_applier *a, const struct tinfo *t, struct srcdef *d,
                        const struct bl_event *ev)
{
    const struct apcreated *c;
    bool found, sure;
    d->ss_unsure = NULL;
    if (d->ctime != (long long)ev->timestamp || ev->table->names || !matches_map(d, ev->table))
        return false;
    for (c = a->created; c; c = c->next)
        if (strcasecmp(c->schema, t->schema) == 0 && strcasecmp(c->table, t->table) == 0)
            return false;
    later_ddl(a->sm, ev, &found, &sure, &d->ss_unsure);
    if (found)
        return false;   /* a later statement may have redefined it: not the rows' (sd) */
    if (sure)
        d->ss_unsure = NULL;
    return true;        /* the rows' own, or (unsure) of a later DDL of that second */
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
    if (!a->sm || !ev->table || !ev->table->types)
        return DM_OK;
    if (!(d = find_or_add(t, ev->table->schema, ev->table->table)))
        return worker_ap_nomem(e);
    d->same_second = false;
    if (d->ncols && usable(d, ev)) {
        *out = d;
        return DM_OK;
    }
    if (d->ncols && d->ss_known && (long long)ev->timestamp == d->ctime) {
        d->same_second = d->ss_use;    /* told at the fetch (kept until the next DDL) */
        *out = d->ss_use ? d : NULL;
        return DM_OK;
    }
    /* Fetched before: not again while the table's last change is not older than the
     * event (the events are of an older definition), nor after a fetch that did not
     * match an older event's TABLE_MAP, found no such table or no CREATE_TIME (a table
     * the check cannot follow). */
    if (d->fetched && (d->stuck || (long long)ev->timestamp <= d->ctime))
        return DM_OK;
    if ((rc = fetch(a->sm, d, e)))
        return rc;
    d->fetched = true;
    d->ss_known = false;
    if (usable(d, ev)) {
        *out = d;
    } else if (d->ctime == (long long)ev->timestamp) {
        d->ss_known = true;
        d->ss_use = d->same_second = same_second(a, t, d, ev);
        *out = d->ss_use ? d : NULL;
    } else if (d->ctime < (long long)ev->timestamp)
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

/* Target ENUM/SET members (column type dst) begin with the source's (s, ns: the list
 * between the parentheses), in the same order (the binlog holds the index / bitmask):
 * members appended on the target are fine. */
static bool members_fit(const char *s, size_t ns, const char *dst)
{
    size_t nd;
    const char *d = members(dst, &nd);
    if (!s || !d)
        return true;
    return nd >= ns && memcmp(s, d, ns) == 0 && (nd == ns || d[ns] == ',');
}

static bool ascii_only(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* bt's members of column s in UTF-8: ASCII ones as they are, others as converted
 * (t->m8[i], worker_ap_srcdef_members8); NULL: not known. */
static const char *members_utf8(const struct bl_table *bt, size_t s, const struct tinfo *t,
                                size_t i)
{
    const char *m = bt->members ? bt->members[s] : NULL;
    if (!m || ascii_only(m))
        return m;
    if (t->m8 && t->m8[i].src && t->m8[i].utf8 && strcmp(t->m8[i].src, m) == 0)
        return t->m8[i].utf8;
    return NULL;
}

/* ENUM/SET members of source column s - the TABLE_MAP's (binlog_row_metadata=FULL: the
 * rows' own; in UTF-8 as information_schema shows them: members_utf8), else the
 * definition's - that the target's do not begin with. */
static bool members_misfit(const struct srccol *c, const struct bl_table *bt, size_t s,
                           const struct tinfo *t, size_t i, char *why, size_t cap)
{
    struct bl_col_shape sh;
    const char *fam = t->shape[i].family, *src = NULL;
    size_t ns = 0;
    bl_column_shape(bt, s, &sh);
    if (!sh.family || strcmp(sh.family, fam) != 0)
        return false;
    if ((src = members_utf8(bt, s, t, i))) {
        ns = strlen(src);
    } else if (c && c->family && strcmp(fam, c->family) == 0) {
        src = members(c->column_type, &ns);
    }
    if (!src || members_fit(src, ns, t->shape[i].column_type))
        return false;
    snprintf(why, cap, "%s(%.*s) in the source, %s on the target: the binlog holds the "
             "member's index, which names another member there", fam, (int)ns, src,
             t->shape[i].column_type);
    return true;
}


static bool utf8_charset(const char *cs)
{
    return strcasecmp(cs, "utf8mb4") == 0 || strcasecmp(cs, "utf8mb3") == 0 ||
           strcasecmp(cs, "utf8") == 0;
}

/* m8 = members m (bytes of single-byte charset cs) converted into UTF-8 by the target. */
static int members_convert(struct worker_applier *a, struct mem8 *m8, const char *m,
                           const char *cs, struct worker_terr *e)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(m), k, o;
    char *q = malloc(2 * n + 96);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    bool had;
    int rc;
    if (!q)
        return worker_ap_nomem(e);
    o = (size_t)sprintf(q, "SELECT CONVERT(_%s X'", cs);
    for (k = 0; k < n; k++) {
        q[o++] = hex[(unsigned char)m[k] >> 4];
        q[o++] = hex[(unsigned char)m[k] & 15];
    }
    strcpy(q + o, "' USING utf8mb4)");
    rc = worker_ap_query(a, q, &res, e);
    free(q);
    if (rc)
        return rc;
    row = mysql_fetch_row(res);
    had = row && row[0];
    free(m8->src);
    free(m8->utf8);
    m8->src = strdup(m);
    m8->utf8 = had ? strdup(row[0]) : NULL;
    mysql_free_result(res);
    if (!m8->src || (had && !m8->utf8))
        return worker_ap_nomem(e);
    return DM_OK;
}

int worker_ap_srcdef_members8(struct worker_applier *a, struct tinfo *t, size_t i,
                              const struct bl_table *bt, size_t s, const char *mcs,
                              struct worker_terr *e)
{
    const char *m = bt->members ? bt->members[s] : NULL, *fam;
    const struct collcs *cc = NULL;
    size_t k;
    int rc;
    if (!m || !mcs || ascii_only(m) || !t->shape || !(fam = t->shape[i].family) ||
        (strcmp(fam, "enum") != 0 && strcmp(fam, "set") != 0))
        return DM_OK;
    if (!t->m8 && !(t->m8 = calloc(t->ncols, sizeof *t->m8)))
        return worker_ap_nomem(e);
    if (t->m8[i].src && strcmp(t->m8[i].src, m) == 0)
        return DM_OK;                            /* converted before */
    if (utf8_charset(mcs)) {
        free(t->m8[i].src);
        free(t->m8[i].utf8);
        t->m8[i].src = strdup(m);
        t->m8[i].utf8 = strdup(m);
        return t->m8[i].src && t->m8[i].utf8 ? DM_OK : worker_ap_nomem(e);
    }
    for (k = 0; a->coll_loaded && k < a->ncoll; k++)
        if (strcasecmp(a->coll[k].cs, mcs) == 0) {
            cc = &a->coll[k];
            break;
        }
    if (!cc || cc->maxlen != 1 || !worker_ap_plain_name(mcs))
        return DM_OK;             /* multi-byte: quoting may have split a character */
    rc = members_convert(a, &t->m8[i], m, mcs, e);
    return rc;
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
    int rc = worker_ap_query(a, "SELECT c.ID, c.CHARACTER_SET_NAME, c.COLLATION_NAME, "
                                "s.MAXLEN FROM information_schema.COLLATIONS c LEFT JOIN "
                                "information_schema.CHARACTER_SETS s ON "
                                "s.CHARACTER_SET_NAME=c.CHARACTER_SET_NAME "
                                "WHERE c.ID IS NOT NULL", &res, e);
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
        snprintf(a->coll[a->ncoll].name, sizeof a->coll[a->ncoll].name, "%s",
                 row[2] ? row[2] : "");
        a->coll[a->ncoll].maxlen = row[3] ? (unsigned)strtoul(row[3], NULL, 10) : 0;
        a->ncoll++;
    }
    mysql_free_result(res);
    a->coll_loaded = true;
    return DM_OK;
}

static int coll_find(struct worker_applier *a, unsigned id, const struct collcs **out,
                     struct worker_terr *e)
{
    size_t i;
    int rc;
    *out = NULL;
    if (!a->coll_loaded && (rc = load_collations(a, e)))
        return rc;
    for (i = 0; i < a->ncoll; i++)
        if (a->coll[i].id == id) {
            *out = &a->coll[i];
            break;
        }
    return DM_OK;
}

int worker_ap_coll_by_name(struct worker_applier *a, const char *name,
                           const struct collcs **out, struct worker_terr *e)
{
    size_t i;
    int rc;
    *out = NULL;
    if (!a->coll_loaded && (rc = load_collations(a, e)))
        return rc;
    for (i = 0; i < a->ncoll; i++)
        if (strcasecmp(a->coll[i].name, name) == 0) {
            *out = &a->coll[i];
            break;
        }
    return DM_OK;
}

int worker_ap_coll_charset(struct worker_applier *a, unsigned id, const char **out,
                           struct worker_terr *e)
{
    const struct collcs *c;
    int rc = coll_find(a, id, &c, e);
    *out = c ? c->cs : NULL;
    return rc;
}

int worker_ap_coll_name(struct worker_applier *a, unsigned id, const char **out,
                        struct worker_terr *e)
{
    const struct collcs *c;
    int rc = coll_find(a, id, &c, e);
    *out = c && c->name[0] ? c->name : NULL;
    return rc;
}

/* A character set or collation name as MariaDB spells them (it goes into SQL text
 * unquoted): ASCII letters, digits and '_', 1-63 bytes. */
bool worker_ap_plain_name(const char *s)
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
    if (sc && !charset_same(sc, tc, t->tcs ? t->tcs[i] : 0) && !worker_ap_plain_name(sc)) {
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

/* utf8mb3_x / utf8_x -> "x" after the charset ("utf8mb4_bin" -> "bin"); else NULL. */
static const char *utf8_suffix(const char *c)
{
    static const char *const pre[] = { "utf8mb4_", "utf8mb3_", "utf8_" };
    size_t k;
    for (k = 0; k < sizeof pre / sizeof pre[0]; k++)
        if (strncasecmp(c, pre[k], strlen(pre[k])) == 0)
            return c + strlen(pre[k]);
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

bool worker_ap_coll_keeps_apart(const char *sc, const char *tc)
{
    const char *ss, *ts;
    if (!tc || strcasecmp(tc, "binary") == 0 || ends_with(tc, "_nopad_bin"))
        return true;              /* byte for byte, trailing spaces too */
    if (!sc || strcasecmp(sc, tc) == 0)
        return true;
    if ((ss = utf8_suffix(sc)) && (ts = utf8_suffix(tc)) && strcasecmp(ss, ts) == 0)
        return true;              /* one collation of the same characters */
    if (ends_with(tc, "_bin"))
        return !strcasestr(sc, "_nopad_") && strcasecmp(sc, "binary") != 0;
    /* a folding target collation: not by the names (latin1_swedish_ci into
     * utf8mb4_general_ci folds 'A'/'\xc3\x84', which swedish keeps apart); the target
     * server may prove a pair of a single-byte source charset (applier_collpf.c) */
    return false;
}

/* Target column i is part of a unique key of t: its name ("PRIMARY KEY", "a UNIQUE key"). */
static const char *unique_key_of(const struct tinfo *t, size_t i)
{
    size_t k, c;
    for (k = 0; k < t->nkeys; k++)
        for (c = 0; c < t->keys[k].n; c++)
            if (t->keys[k].idx[c] == i)
                return t->keys[k].primary ? "PRIMARY KEY" : "a UNIQUE key";
    return NULL;
}

/* A key column whose target collation finds values equal the source's keeps apart: two
 * source rows would be one key on the target (a REPLACE overwrites the other row, an
 * UPDATE/DELETE by key changes it). Non-key columns do not matter: key-less rows are
 * matched byte for byte (applier_dml.c, `c`=BINARY v). */
static bool collation_misfit(const struct srccol *c, const char *mcoll, const struct tinfo *t,
                             size_t i, char *why, size_t cap)
{
    const char *sc = mcoll ? mcoll : c ? c->collation : NULL;   /* binlog's first */
    const char *tc = t->shape[i].collation, *key, *ex = t->kpf ? t->kpf[i].ex : NULL;
    char found[96] = "";
    unsigned x, y;
    if (!sc || worker_ap_coll_keeps_apart(sc, tc) || (t->kpf && t->kpf[i].ok) ||
        !(key = unique_key_of(t, i)))
        return false;
    if (ex && sscanf(ex, "%x/%x", &x, &y) == 2)
        snprintf(found, sizeof found, " (the target server finds source bytes 0x%02X and "
                 "0x%02X one value)", x, y);
    else if (ex && strcmp(ex, "unknown") != 0)
        snprintf(found, sizeof found, " (the target collation %s characters)", ex);
    snprintf(why, cap, "it is in %s of the target, compared as %s there but as %s in the "
             "source: values the source keeps apart ('a'/'A', 'e'/'\xc3\xa9', 'a'/'a ') may "
             "be one key value on the target%s, where a REPLACE would overwrite the other row "
             "and an UPDATE or DELETE by the key change it; give the target column the "
             "source's collation (or a _bin one)", key, tc, sc, found);
    return true;
}

const char *worker_ap_src_collation(const struct srcdef *d, size_t s, const char *mcoll)
{
    if (mcoll)
        return mcoll;
    return d && s < d->ncols ? d->cols[s].collation : NULL;
}

int worker_ap_srcdef_keyproof(struct worker_applier *a, struct tinfo *t, size_t i,
                              const char *sc, struct worker_terr *e)
{
    const char *tc;
    if (!t->shape || !sc || !t->shape[i].family || strcmp(t->shape[i].family, "string") != 0 ||
        !(tc = t->shape[i].collation) || worker_ap_coll_keeps_apart(sc, tc) ||
        !unique_key_of(t, i))
        return DM_OK;
    if (!t->kpf && !(t->kpf = calloc(t->ncols, sizeof *t->kpf)))
        return worker_ap_nomem(e);
    return worker_ap_coll_prove(a, sc, tc, &t->kpf[i].ok, &t->kpf[i].ex, e);
}

static bool misfit(const struct srcdef *d, const struct bl_table *bt, size_t s,
                   const char *mcs, const char *mcoll, const struct tinfo *t, size_t i,
                   const char **conv, char *why, size_t cap);

bool worker_ap_srcdef_misfit(const struct srcdef *d, const struct bl_table *bt, size_t s,
                             const char *mcs, const char *mcoll, const struct tinfo *t,
                             size_t i, const char **conv, char *why, size_t cap)
{
    size_t n;
    if (!misfit(d, bt, s, mcs, mcoll, t, i, conv, why, cap))
        return false;
    n = strlen(why);
    if (d && d->same_second && !d->ss_unsure && n < cap)
        snprintf(why + n, cap - n, " (by the source table's definition of the rows' own "
                 "second: its binlog has no later statement on the table)");
    else if (d && d->same_second && n < cap)
        snprintf(why + n, cap - n, " (by the source table's definition read in the rows' own "
                 "second, which a later DDL of that second could have replaced: %s; give the "
                 "target the source's columns, or if the source table's columns changed "
                 "again in that second, skip or replay the rows by hand)", d->ss_unsure);
    return true;
}

static bool misfit(const struct srcdef *d, const struct bl_table *bt, size_t s,
                   const char *mcs, const char *mcoll, const struct tinfo *t, size_t i,
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
    if (fam && (strcmp(fam, "enum") == 0 || strcmp(fam, "set") == 0) &&
        members_misfit(c, bt, s, t, i, why, cap))
        return true;
    if (!fam || strcmp(fam, "string") != 0)
        return false;
    return charset_misfit(c, bt, s, mcs, t, i, conv, why, cap) ||
           collation_misfit(c, mcoll, t, i, why, cap);
}

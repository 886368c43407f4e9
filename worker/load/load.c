/* load.c - the Load unit: restore a mydumper directory (load.h). Target connections are
 * Sync-unit appliers (applier.h: connect, DM-style errors, identifier quoting). */
#include "load.h"

#include <ctype.h>
#include <errno.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applier_int.h"
#include "buf.h"
#include "dm_error.h"
#include "fsutil.h"
#include "load_cols.h"
#include "load_run.h"
#include "load_infile.h"
#include "load_keyless.h"
#include "load_keys.h"
#include "load_rules.h"
#include "log.h"

#define TXN_BYTES 0              /* file bytes per transaction: 0 = one per statement (DM) */

struct worker_load *worker_load_new(void)
{
    struct worker_load *l = calloc(1, sizeof *l);
    if (l)
        pthread_mutex_init(&l->mu, NULL);
    return l;
}

void worker_load_free(struct worker_load *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void worker_load_cancel(struct worker_load *l) { atomic_store(&l->canceled, true); }

void worker_load_stats(struct worker_load *l, struct worker_load_stats *st)
{
    memset(st, 0, sizeof *st);
    st->finished_bytes = atomic_load(&l->finished);
    st->total_bytes = atomic_load(&l->total);
    pthread_mutex_lock(&l->mu);
    snprintf(st->meta_binlog, sizeof st->meta_binlog, "%s", l->meta_binlog);
    pthread_mutex_unlock(&l->mu);
}

int worker_load_lerr(struct worker_terr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    worker_terr_vset(e, code, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH, fmt, ap);
    va_end(ap);
    return code == WTE_LOAD_DIR_NOT_FOUND ? DM_E_NOT_FOUND
           : code == WTE_LOAD_READ_FILE   ? DM_E_IO
                                          : DM_E_PARSE;
}

/* "file X: <db error>" */
static void annotate(struct worker_terr *e, const char *file)
{
    char msg[sizeof e->msg + 300];
    snprintf(msg, sizeof msg, "file %.250s: %s", file, e->msg);
    snprintf(e->msg, sizeof e->msg, "%.*s", (int)sizeof e->msg - 1, msg);
}

/* ---- checkpoint table ---- */

static int add_cp_table(struct worker_applier *a, struct dm_buf *b)
{
    return worker_ap_add_meta_table(a, b, "_loader_checkpoint");
}

static int cp_prepare(struct worker_applier *a, bool remove, struct worker_terr *e)
{
    return worker_ap_prepare_meta_table(a, "_loader_checkpoint",
        " (id char(32) NOT NULL, filename varchar(255) NOT NULL, "
        "cp_schema varchar(128) NOT NULL, cp_table varchar(128) NOT NULL, "
        "`offset` bigint NOT NULL, end_pos bigint NOT NULL, "
        "create_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, "
        "update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE "
        "CURRENT_TIMESTAMP, UNIQUE KEY uk_id_f (id,filename)) "
        /* file and table names compared by their bytes: with the server's default (latin1 on
         * many servers, or a _ci collation) `表a` and `中a` both became `?a` and `T1` equalled
         * `t1`, so two files shared one row and a resume took the other's offset */
        "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", remove ? "id" : NULL, e);
}

static struct lfile *find_file(struct run *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if ((r->files[i].kind == K_DATA || r->files[i].kind == K_TABLE) &&
            strcmp(r->files[i].name, name) == 0)
            return &r->files[i];
    return NULL;
}

/* A checkpoint row of a data file this run did not find, with rows left (offset < end_pos):
 * when the file is gone from the dump directory (deleted under a paused task, a cleaned
 * tmp dir), its rows would be skipped and the Load would finish without them; a data file
 * still there but left out by the black-white-list is not counted. */
static int gone_add(const struct run *r, struct dm_buf *gone, size_t *n, const char *name)
{
    char path[4096];
    struct stat st;
    if (!worker_load_has_suffix(name, ".sql") || worker_load_has_suffix(name, "-schema.sql"))
        return DM_OK;
    snprintf(path, sizeof path, "%s/%s", r->p->dir, name);
    if (stat(path, &st) == 0)
        return DM_OK;
    if ((*n)++ < 20 && gone->len < 1500 && dm_buf_printf(gone, "%s%s", *n > 1 ? ", " : "", name))
        return DM_E_NOMEM;
    return DM_OK;
}

/* Offsets of files already (partly) restored; INSERT IGNORE rows for the others. A data
 * file the checkpoint has not finished that is gone from the directory fails the run. */
static int cp_sync(struct run *r, struct worker_applier *a, struct worker_terr *e)
{
    struct dm_buf q, gone;
    size_t ngone = 0;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    size_t i;
    dm_buf_init(&q, 1u << 20);
    dm_buf_init(&gone, 1u << 16);
    if (dm_buf_adds(&q, "SELECT filename, `offset`, end_pos FROM ") || add_cp_table(a, &q) ||
        dm_buf_adds(&q, " WHERE id=") ||
        worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res))) {
        struct lfile *f = row[0] && row[1] ? find_file(r, row[0]) : NULL;
        size_t pl = sizeof WORKER_LOAD_INFLIGHT - 1;
        if (row[0] && row[1] && strncmp(row[0], WORKER_LOAD_INFLIGHT, pl) == 0) {
            if ((f = find_file(r, row[0] + pl)) && f->kind == K_DATA)
                f->inflight = strtoll(row[1], NULL, 10);
            continue;
        }
        if (f && f->kind == K_TABLE)
            f->keys = strtoll(row[1], NULL, 10) > 0 ? KEYS_ADDED : KEYS_PENDING;
        else if (f)
            f->offset = strtoll(row[1], NULL, 10);
        else if (row[0] && row[1] && row[2] && strtoll(row[1], NULL, 10) < strtoll(row[2], NULL, 10) &&
                 (rc = gone_add(r, &gone, &ngone, row[0])))
            goto out;
    }
    if (ngone) {
        rc = worker_load_lerr(e, WTE_LOAD_DIR_NOT_FOUND, "the dump directory %s lost %zu data file(s) the "
                  "loader checkpoint has not finished: %s%s; their rows cannot be loaded: "
                  "start the task with remove-meta (after cleaning the target) to dump again",
                  r->p->dir, ngone, gone.data, ngone > 20 || gone.len >= 1500 ? ", ..." : "");
        goto out;
    }
    for (i = 0; i < r->n; i++) {
        struct lfile *f = &r->files[i];
        if (f->kind != K_DATA)
            continue;
        rc = DM_E_NOMEM;
        dm_buf_reset(&q);
        if (dm_buf_adds(&q, "INSERT IGNORE INTO ") || add_cp_table(a, &q) ||
            dm_buf_adds(&q, " (id, filename, cp_schema, cp_table, `offset`, end_pos) VALUES (") ||
            worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) ||
            dm_buf_addc(&q, ',') || worker_ap_add_escaped(a, &q, f->name, strlen(f->name)) ||
            dm_buf_addc(&q, ',') || worker_ap_add_escaped(a, &q, f->db, strlen(f->db)) ||
            dm_buf_addc(&q, ',') || worker_ap_add_escaped(a, &q, f->tbl, strlen(f->tbl)) ||
            dm_buf_printf(&q, ",0,%lld)", (long long)f->size))
            goto out;
        if ((rc = worker_ap_run(a, q.data, q.len, e)))
            goto out;
        atomic_fetch_add(&r->l->total, f->size);
        atomic_fetch_add(&r->l->finished, f->offset < f->size ? f->offset : f->size);
    }
    rc = DM_OK;
out:
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    dm_buf_free(&gone);
    return rc;
}

/* ---- statements ---- */

/* Next statement (lines up to one ending in ';') into st; *off advances. *eof at end. */
static int next_stmt(FILE *fp, struct dm_buf *st, char **line, size_t *lcap, int64_t *off,
                     bool *eof)
{
    dm_buf_reset(st);
    *eof = false;
    for (;;) {
        ssize_t n = getline(line, lcap, fp);
        size_t k;
        if (n < 0) {
            *eof = true;
            return ferror(fp) ? DM_E_IO : DM_OK;
        }
        *off += n;
        k = (size_t)n;
        while (k > 0 && strchr(" \t\r\n", (*line)[k - 1]))
            k--;
        if (k == 0 && st->len == 0)
            continue;
        if (dm_buf_add(st, *line, (size_t)n))
            return DM_E_TOO_LARGE;
        if (k > 0 && (*line)[k - 1] == ';')
            return DM_OK;
    }
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return s;
}

static bool session_stmt(const char *s) { return strncmp(skip_ws(s), "/*!", 3) == 0; }

/* After a `quoted` identifier at s (backquote), or NULL. */
static const char *skip_ident(const char *s)
{
    if (*s != '`')
        return NULL;
    for (s++; *s; s++) {
        if (*s == '`') {
            if (s[1] != '`')
                return s + 1;
            s++;
        }
    }
    return NULL;
}

/* Append s[0..n) replacing the backquoted identifier at `at` by `schema`.`name`
 * (schema NULL: name only). */
static int replace_ident(struct dm_buf *b, const char *s, const char *at, const char *schema,
                         const char *name)
{
    const char *end = skip_ident(at);
    if (!end)
        return DM_E_PARSE;
    if (dm_buf_add(b, s, (size_t)(at - s)) ||
        (schema ? worker_ap_add_table(b, schema, name) : worker_ap_add_ident(b, name)) ||
        dm_buf_adds(b, end))
        return DM_E_NOMEM;
    return DM_OK;
}

/* ---- column mapping of dumped rows ---- */

struct colmap {
    size_t ncols;
    const struct worker_mapping_rule **rules;   /* per column, NULL = unmapped */
};

#define COL_NAME_MAX 192

/* Append the rule of column `p`..end (a backquoted name shorter than COL_NAME_MAX) of
 * table t; *cap: cm->rules' capacity. */
static int colmap_add(const struct run *r, const struct lfile *t, struct colmap *cm,
                      size_t *cap, const char *p, const char *end)
{
    char name[COL_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 1);
    if (cm->ncols == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        const struct worker_mapping_rule **tmp = realloc(cm->rules, nc * sizeof *tmp);
        if (!tmp)
            return DM_E_NOMEM;
        cm->rules = tmp;
        *cap = nc;
    }
    cm->rules[cm->ncols++] = worker_rules_mapping(r->p->rules, t->db, t->tbl, name);
    return DM_OK;
}

/* Column names from a CREATE TABLE text: lines starting with "  `name` ". */
static int colmap_build(const struct run *r, const struct lfile *t, const char *create,
                        struct colmap *cm)
{
    const char *s = strchr(create, '(');
    size_t cap = 0;
    memset(cm, 0, sizeof *cm);
    while (s && (s = strchr(s, '\n'))) {
        const char *p = skip_ws(s), *end;
        s++;
        if (*p != '`' || !(end = skip_ident(p)) || (size_t)(end - p) >= COL_NAME_MAX)
            continue;
        if (colmap_add(r, t, cm, &cap, p, end))
            return DM_E_NOMEM;
    }
    return DM_OK;
}

/* Rewrite the tuples after VALUES, mapping each mapped column's integer. */
static int map_rows(const struct run *r, const struct lfile *f, const struct colmap *cm,
                    const char *s, struct dm_buf *out, struct worker_terr *e)
{
    size_t col = 0;
    bool in_tuple = false;
    while (*s) {
        if (!in_tuple) {
            if (*s == '(') {
                in_tuple = true;
                col = 0;
            }
            if (dm_buf_addc(out, *s++))
                return DM_E_NOMEM;
            continue;
        }
        /* one value */
        const char *v = s;
        if (*s == '"' || *s == '\'') {
            char q = *s++;
            while (*s && *s != q)
                s += (*s == '\\' && s[1]) ? 2 : 1;
            if (!*s)
                return worker_load_lerr(e, WTE_LOAD_PARSE_VALUES, "file %s: unterminated string", f->name);
            s++;
        } else {
            while (*s && *s != ',' && *s != ')')
                s++;
        }
        if (col < cm->ncols && cm->rules[col] && strncmp(v, "NULL", 4) != 0) {
            char err[300] = "", *endp;
            long long in = strtoll(*v == '"' || *v == '\'' ? v + 1 : v, &endp, 10);
            int64_t mapped;
            if (worker_rules_partition_id(cm->rules[col], f->db, f->tbl, in, &mapped, err,
                                          sizeof err))
                return worker_load_lerr(e, WTE_LOAD_COLUMN_MAPPING, "file %s: column mapping: %s", f->name,
                            err);
            if (dm_buf_printf(out, "%lld", (long long)mapped))
                return DM_E_NOMEM;
        } else if (dm_buf_add(out, v, (size_t)(s - v))) {
            return DM_E_NOMEM;
        }
        if (!*s)
            break;
        if (*s == ')')
            in_tuple = false;
        col++;
        if (dm_buf_addc(out, *s++))
            return DM_E_NOMEM;
    }
    return DM_OK;
}

/* The rules of an INSERT's own column list "(`a`,`b`) VALUES" at s (mydumper 0.10.1 writes
 * one for a table with generated columns, which it leaves out: the CREATE's column
 * positions do not hold for its rows). lm->ncols 0 when there is no list. */
static int list_colmap(const struct run *r, const struct lfile *f, const char *s,
                       const char *values, struct colmap *lm)
{
    size_t cap = 0;
    memset(lm, 0, sizeof *lm);
    s = skip_ws(s);
    if (*s != '(' || s > values)
        return DM_OK;
    for (s = skip_ws(s + 1); *s == '`' && s < values;) {
        const char *end = skip_ident(s);
        if (!end || (size_t)(end - s) >= COL_NAME_MAX)
            break;
        if (colmap_add(r, f, lm, &cap, s, end))
            return DM_E_NOMEM;
        s = skip_ws(end);
        if (*s != ',')
            break;
        s = skip_ws(s + 1);
    }
    return DM_OK;
}

/* INSERT [IGNORE] INTO `t` ... -> INSERT [IGNORE] INTO `tdb`.`ttbl` ... (+ mapping). */
static int rewrite_insert(const struct run *r, const struct lfile *f, const struct colmap *cm,
                          const char *stmt, struct dm_buf *out, struct worker_terr *e)
{
    const char *s = skip_ws(stmt), *into, *after, *values;
    int rc;
    dm_buf_reset(out);
    if (strncmp(s, "INSERT ", 7) != 0 || !(into = strstr(s, "INTO `")) || into - s > 20)
        return worker_load_lerr(e, WTE_LOAD_INVALID_INSERT, "file %s: not an INSERT statement: %.100s",
                    f->name, s);
    if (!cm || !cm->ncols)
        return replace_ident(out, s, into + 5, f->tdb, f->ttbl) ? DM_E_NOMEM : DM_OK;
    after = skip_ident(into + 5);
    values = after ? strstr(after, "VALUES") : NULL;
    if (!values)
        return worker_load_lerr(e, WTE_LOAD_INVALID_INSERT, "file %s: INSERT without VALUES", f->name);
    if (dm_buf_add(out, s, (size_t)(into + 5 - s)) || worker_ap_add_table(out, f->tdb, f->ttbl) ||
        dm_buf_add(out, after, (size_t)(values + 6 - after)))
        return DM_E_NOMEM;
    {
        struct colmap lm;
        if (list_colmap(r, f, after, values, &lm))
            return worker_ap_nomem(e);
        rc = map_rows(r, f, lm.ncols ? &lm : cm, values + 6, out, e);
        free(lm.rules);
    }
    return rc;
}

/* ---- schema ---- */

static int exec_ignoring(struct worker_applier *a, const char *sql, unsigned ok_errno,
                         const char *file, struct worker_terr *e)
{
    int rc = worker_ap_run(a, sql, strlen(sql), e);
    MYSQL_RES *res;
    if (rc && mysql_errno(a->my) == ok_errno) {
        dm_log_kv(DM_LOG_INFO, "already exists on the target, skip it", "file", file, NULL);
        return DM_OK;
    }
    if (rc) {
        annotate(e, file);
        return rc;
    }
    if ((res = mysql_store_result(a->my)))
        mysql_free_result(res);
    return DM_OK;
}

static int use_db(struct worker_applier *a, const char *db, struct worker_terr *e)
{
    struct dm_buf q;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 1024);
    if (!dm_buf_adds(&q, "CREATE DATABASE IF NOT EXISTS ") && !worker_ap_add_ident(&q, db) &&
        !(rc = worker_ap_run(a, q.data, q.len, e))) {
        rc = DM_E_NOMEM;
        dm_buf_reset(&q);
        if (!dm_buf_adds(&q, "USE ") && !worker_ap_add_ident(&q, db))
            rc = worker_ap_run(a, q.data, q.len, e);
    }
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    dm_buf_free(&q);
    return rc;
}

/* The table's loader checkpoint row (its schema file): `offset` 0 = keys pending, 1 = added. */
static int cp_keys(struct worker_applier *a, const struct lfile *f, bool added,
                   struct worker_terr *e)
{
    struct dm_buf q;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (added) {
        if (!dm_buf_adds(&q, "UPDATE ") && !add_cp_table(a, &q) &&
            !dm_buf_adds(&q, " SET `offset`=1 WHERE id=") &&
            !worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) &&
            !dm_buf_adds(&q, " AND filename=") &&
            !worker_ap_add_escaped(a, &q, f->name, strlen(f->name)))
            rc = DM_OK;
    } else if (!dm_buf_adds(&q, "INSERT IGNORE INTO ") && !add_cp_table(a, &q) &&
               !dm_buf_adds(&q, " (id, filename, cp_schema, cp_table, `offset`, end_pos) "
                                "VALUES (") &&
               !worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) &&
               !dm_buf_addc(&q, ',') && !worker_ap_add_escaped(a, &q, f->name, strlen(f->name)) &&
               !dm_buf_addc(&q, ',') && !worker_ap_add_escaped(a, &q, f->db, strlen(f->db)) &&
               !dm_buf_addc(&q, ',') && !worker_ap_add_escaped(a, &q, f->tbl, strlen(f->tbl)) &&
               !dm_buf_adds(&q, ",0,1)")) {
        rc = DM_OK;
    }
    rc = rc ? worker_ap_nomem(e) : worker_ap_run(a, q.data, q.len, e);
    dm_buf_free(&q);
    return rc;
}

/* Whether the routed table exists on the target. */
static int table_exists(struct worker_applier *a, const struct lfile *f, bool *exists,
                        struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 1024);
    if (!dm_buf_adds(&q, "SELECT 1 FROM ") && !worker_ap_add_table(&q, f->tdb, f->ttbl) &&
        !dm_buf_adds(&q, " LIMIT 0"))
        rc = worker_ap_query(a, q.data, &res, e);
    *exists = rc == DM_OK;
    if (rc && rc != DM_E_NOMEM && mysql_errno(a->my) == ER_NO_SUCH_TABLE)
        rc = DM_OK;
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* CREATE TABLE (routed), its plain KEYs left for after the data when deferring: a table
 * that is not on the target yet and has rows to load gets a "keys pending" checkpoint row
 * first; a pending table is created without them (again, after a crash). The keys of a
 * pending table are split off here, once, and kept in f->key_adds for add_keys. */
static int create_table(struct run *r, struct worker_applier *a, struct lfile *f,
                        const char *create, struct worker_terr *e)
{
    struct dm_buf stripped, adds;
    bool exists = false;
    int rc = DM_OK, moved = 0;
    dm_buf_init(&stripped, STMT_MAX);
    dm_buf_init(&adds, STMT_MAX);
    if (f->keys == KEYS_PENDING || (r->defer_keys && f->keys != KEYS_ADDED && f->has_data))
        moved = worker_load_split_keys(create, &stripped, &adds);
    if (moved < 0)
        rc = worker_ap_nomem(e);
    else if (moved > 0 && f->keys == KEYS_IN_CREATE && !(rc = table_exists(a, f, &exists, e)) &&
             !exists && !(rc = cp_keys(a, f, false, e)))
        f->keys = KEYS_PENDING;
    if (!rc && moved > 0 && f->keys == KEYS_PENDING && !(f->key_adds = dm_buf_take(&adds)))
        rc = worker_ap_nomem(e);
    if (rc)
        annotate(e, f->name);
    else
        rc = exec_ignoring(a, moved > 0 && f->keys == KEYS_PENDING && r->defer_keys
                                  ? stripped.data : create,
                           ER_TABLE_EXISTS_ERROR, f->name, e);
    dm_buf_free(&stripped);
    dm_buf_free(&adds);
    return rc;
}

/* ALTER TABLE ... ADD KEY IF NOT EXISTS ... for a table whose keys are pending (the
 * clauses create_table split off; none: only the checkpoint changes), then the checkpoint
 * says so (a crash in between: the ALTER runs again and adds nothing). */
static int add_keys(struct worker_applier *a, struct lfile *f, struct worker_terr *e)
{
    struct dm_buf q;
    int rc = DM_OK;
    if (f->keys != KEYS_PENDING)
        return DM_OK;
    dm_buf_init(&q, STMT_MAX);
    if (f->key_adds && (dm_buf_adds(&q, "ALTER TABLE ") ||
                        worker_ap_add_table(&q, f->tdb, f->ttbl) || dm_buf_addc(&q, ' ') ||
                        dm_buf_adds(&q, f->key_adds))) {
        rc = worker_ap_nomem(e);
    } else if (f->key_adds) {
        dm_log_kv(DM_LOG_INFO, "add the table's deferred keys", "file", f->name, NULL);
        rc = worker_ap_run(a, q.data, q.len, e);
    }
    if (rc == DM_OK && (rc = cp_keys(a, f, true, e)) == DM_OK)
        f->keys = KEYS_ADDED;
    if (rc)
        annotate(e, f->name);
    dm_buf_free(&q);
    return rc;
}

/* A SET NAMES statement, bare or in a version comment (mydumper's
 * "/" "*!40101 SET NAMES binary*" "/"). */
static bool set_names_stmt(const char *s)
{
    if (strncmp(s, "/*!", 3) == 0)
        for (s += 3; isdigit((unsigned char)*s); s++)
            ;
    s = skip_ws(s);
    return strncasecmp(s, "SET NAMES", 9) == 0;
}

/* Execute a schema file: session statements as they are except SET NAMES, the CREATE
 * with its name routed; views are refused when routed to another name. A schema file
 * holds SHOW CREATE text, which the server gives in UTF-8 whatever the session's
 * character set; under the file's `SET NAMES binary` the bytes of a non-ASCII literal
 * were taken as the column's charset (a latin1 column's DEFAULT 'dé' became 'dÃ©', its
 * ENUM('café') 'cafÃ©', and then the dumped rows did not fit: 1265). DM's loader skips
 * the file's version comments; here the session stays in the applier's utf8mb4. */
static int restore_schema(struct run *r, struct worker_applier *a, struct lfile *f,
                          struct worker_terr *e)
{
    char path[4096], *line = NULL;
    size_t lcap = 0;
    struct dm_buf st, q;
    int64_t off = 0;
    bool eof = false;
    int rc = DM_OK;
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", r->p->dir, f->name);
    if (!(fp = fopen(path, "r")))
        return worker_load_lerr(e, WTE_LOAD_READ_FILE, "read %s: %s", path, strerror(errno));
    dm_buf_init(&st, STMT_MAX);
    dm_buf_init(&q, STMT_MAX);
    if (f->kind == K_VIEW && strcmp(f->tbl, f->ttbl) != 0) {
        rc = worker_load_lerr(e, WTE_LOAD_READ_FILE, "view %s.%s is routed to %s.%s: routing a view to "
                  "another name is not supported", f->db, f->tbl, f->tdb, f->ttbl);
        goto out;
    }
    if (f->kind != K_DB && (rc = use_db(a, f->tdb, e))) {
        annotate(e, f->name);
        goto out;
    }
    while (!rc && !eof) {
        const char *s, *at = NULL;
        if ((rc = next_stmt(fp, &st, &line, &lcap, &off, &eof))) {
            rc = worker_load_lerr(e, WTE_LOAD_READ_FILE, "read %s: statement too large or I/O error", path);
            break;
        }
        if (!st.len)
            break;
        s = skip_ws(st.data);
        dm_buf_reset(&q);
        if (f->kind == K_DB && strncmp(s, "CREATE DATABASE", 15) == 0)
            at = strchr(s, '`');
        else if (f->kind == K_TABLE && strncmp(s, "CREATE TABLE", 12) == 0)
            at = strchr(s, '`');
        if (at) {
            if (replace_ident(&q, s, at, NULL, f->kind == K_DB ? f->tdb : f->ttbl))
                rc = worker_load_lerr(e, WTE_LOAD_READ_FILE, "file %s: cannot parse %.80s", f->name, s);
            else if (f->kind == K_TABLE)
                rc = create_table(r, a, f, q.data, e);
            else
                rc = exec_ignoring(a, q.data, f->kind == K_DB ? ER_DB_CREATE_EXISTS
                                                              : ER_TABLE_EXISTS_ERROR,
                                   f->name, e);
        } else if (!set_names_stmt(s)) {
            rc = exec_ignoring(a, s, 0, f->name, e);
        }
    }
out:
    free(line);
    dm_buf_free(&st);
    dm_buf_free(&q);
    fclose(fp);
    return rc;
}

/* ---- data ---- */

static bool canceled(struct run *r)
{
    bool f;
    if (atomic_load(&r->l->canceled))
        return true;
    pthread_mutex_lock(&r->mu);
    f = r->failed;
    pthread_mutex_unlock(&r->mu);
    return f;
}

/* One INSERT into the file's open transaction (BEGIN first when none is open). */
static int insert_stmt(struct worker_applier *a, const struct dm_buf *ins, bool *open,
                       struct worker_terr *e)
{
    int rc;
    if (!*open && (rc = worker_ap_run(a, "BEGIN", 5, e)))
        return rc;
    *open = true;
    return worker_ap_run(a, ins->data, ins->len, e);
}

/* The checkpoint offset and COMMIT of the open transaction: its INSERTs and the offset
 * after the last of them become durable together. */
/* The WORKER_LOAD_INFLIGHT row of f: set to off (committed on its own, before the
 * statement), or deleted (off < 0, in the transaction of the offset). */
static int inflight_row(struct worker_applier *a, const struct lfile *f, int64_t off,
                        struct dm_buf *q, struct worker_terr *e)
{
    dm_buf_reset(q);
    if (off >= 0 ? (dm_buf_adds(q, "INSERT INTO ") || add_cp_table(a, q) ||
                    dm_buf_adds(q, " (id, filename, cp_schema, cp_table, `offset`, end_pos) VALUES (") ||
                    worker_ap_add_escaped(a, q, a->source_id, strlen(a->source_id)) ||
                    dm_buf_adds(q, ", CONCAT('" WORKER_LOAD_INFLIGHT "', ") ||
                    worker_ap_add_escaped(a, q, f->name, strlen(f->name)) || dm_buf_adds(q, "), ") ||
                    worker_ap_add_escaped(a, q, f->db, strlen(f->db)) || dm_buf_addc(q, ',') ||
                    worker_ap_add_escaped(a, q, f->tbl, strlen(f->tbl)) ||
                    dm_buf_printf(q, ", %lld, %lld) ON DUPLICATE KEY UPDATE `offset` = VALUES(`offset`), "
                                  "end_pos = VALUES(end_pos)", (long long)off, (long long)off))
                 : (dm_buf_adds(q, "DELETE FROM ") || add_cp_table(a, q) ||
                    dm_buf_adds(q, " WHERE id=") ||
                    worker_ap_add_escaped(a, q, a->source_id, strlen(a->source_id)) ||
                    dm_buf_adds(q, " AND filename = CONCAT('" WORKER_LOAD_INFLIGHT "', ") ||
                    worker_ap_add_escaped(a, q, f->name, strlen(f->name)) || dm_buf_addc(q, ')')))
        return worker_ap_nomem(e);
    return worker_ap_run(a, q->data, q->len, e);
}

/* A statement of f was sent to its non-transactional target table and not committed
 * before the worker stopped (kill -9, a lost target, a failed statement): its rows may be
 * in the table once, in part or not at all. */
static int inflight_error(const struct lfile *f, struct worker_terr *e)
{
    return worker_load_lerr(e, WTE_LOAD_INFLIGHT_ROWS, "file %s: the Load stopped while the "
                            "target table `%s`.`%s` (a non-transactional engine: MyISAM, Aria, "
                            "...) was taking a statement of it (the file's bytes %lld to %lld); a "
                            "ROLLBACK cannot undo such rows, so they may be in the table once, in "
                            "part or not at all, and a resume would load them again: empty the "
                            "table (TRUNCATE) and start the task with remove-meta",
                            f->name, f->tdb, f->ttbl, (long long)f->offset, (long long)f->inflight);
}

static int commit_cp(struct worker_applier *a, const struct lfile *f, int64_t off, bool *open,
                     bool *marked, bool nontx, struct dm_buf *q, struct worker_terr *e)
{
    int rc;
    if (nontx && (rc = inflight_row(a, f, -1, q, e)))
        return rc;
    if (f->keyless && !*marked) {   /* this source loads rows into a key-less table */
        if ((rc = worker_load_keyless_mark(a, f->db, f->tbl, q, e)))
            return rc;
        *marked = true;
    }
    dm_buf_reset(q);
    if (dm_buf_adds(q, "UPDATE ") || add_cp_table(a, q) ||
        dm_buf_printf(q, " SET `offset`=%lld WHERE id=", (long long)off) ||
        worker_ap_add_escaped(a, q, a->source_id, strlen(a->source_id)) ||
        dm_buf_adds(q, " AND filename=") || worker_ap_add_escaped(a, q, f->name, strlen(f->name)))
        return worker_ap_nomem(e);
    if ((rc = worker_ap_run(a, q->data, q->len, e)) || (rc = worker_ap_run(a, "COMMIT", 6, e)))
        return rc;
    *open = false;
    return DM_OK;
}

/* From the table's dumped CREATE: its column mapping rules (when the task maps columns)
 * and the column list for its INSERTs without one (load_cols.h; cols->len 0: none). */
static int table_columns(struct run *r, const struct lfile *f, struct colmap *cm,
                         struct dm_buf *cols, struct worker_terr *e)
{
    char path[4096], *text = NULL;
    int rc = DM_OK;
    memset(cm, 0, sizeof *cm);
    snprintf(path, sizeof path, "%s/%s.%s-schema.sql", r->p->dir, f->db, f->tbl);
    if (dm_read_file(path, 64u << 20, &text, NULL))
        return worker_load_lerr(e, WTE_LOAD_READ_FILE, "read %s: %s", path, strerror(errno));
    if (worker_rules_has_mapping(r->p->rules))
        rc = colmap_build(r, f, text, cm);
    if (!rc && worker_load_insert_cols(text, cols) < 0)
        rc = DM_E_NOMEM;
    free(text);
    return rc == DM_E_NOMEM ? worker_ap_nomem(e) : rc;
}

/* Whether a column mapping rewrites any column of the table. */
static bool colmap_maps(const struct colmap *cm)
{
    for (size_t i = 0; i < cm->ncols; i++)
        if (cm->rules[i])
            return true;
    return false;
}

/* The dumped INSERT st with the table's column list when it has none (load_cols.h: rows
 * go by name into a target table with its columns in another order) into named; named->len
 * 0: st as it is. */
static int name_columns(const struct dm_buf *st, const struct dm_buf *cols, struct dm_buf *named,
                        const struct lfile *f, struct worker_terr *e)
{
    int rc;
    dm_buf_reset(named);
    if (!cols->len)
        return DM_OK;
    if ((rc = worker_load_with_cols(st->data, st->len, cols->data, named)) < 0) {
        worker_ap_nomem(e);
        annotate(e, f->name);
        return DM_E_NOMEM;
    }
    if (rc == 0)
        dm_buf_reset(named);
    return DM_OK;
}

/* A statement that runs as an INSERT and is larger than the target's max_allowed_packet:
 * the server would drop the connection (Error 2006, taken for a lost target: auto-resume
 * sent it again and again); not transient. LOAD DATA streams its rows and has no such
 * bound, so this is an INSERT fallback (local_infile=OFF, a form LOAD DATA does not take). */
static int too_big(const struct lfile *f, int64_t len, int64_t max, struct worker_terr *e)
{
    worker_terr_set(e, WTE_LOAD_PACKET_TOO_BIG, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_DOWNSTREAM,
                    WTE_LEVEL_HIGH, "file %s: a dumped statement of %lld bytes runs as an "
                    "INSERT and is larger than the target's max_allowed_packet (%lld bytes): "
                    "raise max_allowed_packet on the target (or allow local_infile there, "
                    "whose LOAD DATA has no such bound) and resume", f->name, (long long)len,
                    (long long)max);
    return DM_E_INVAL;
}

static int adjusted(const struct lfile *f, bool nontx, const char *why, struct worker_terr *e)
{
    worker_terr_set(e, WTE_LOAD_ADJUSTED, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_DOWNSTREAM,
                    WTE_LEVEL_HIGH, "the target took a dumped INSERT into `%s`.`%s` with a "
                    "value changed (%s)%s; make the target table hold the source's values (its "
                    "columns, the target's sql_mode) and resume", f->tdb, f->ttbl, why,
                    nontx ? "; its table's engine is not transactional, so these rows were "
                    "written and stay: empty the table first" : ", nothing of it was kept");
    return DM_E_DB;
}

/* The INSERT failed on the ENUM error value '' (index 0, what a non-strict source stores
 * for an invalid value) in a strict session: once more without STRICT_*, which stores index
 * 0, kept when every warning is that value's (worker_li_warnings_ok). */
static int insert_enum_relaxed(struct worker_applier *a, struct worker_li *li,
                               const struct lfile *f, const struct dm_buf *ins,
                               struct worker_terr *e)
{
    static const char relax[] = "SET @dmgw_sql_mode = @@session.sql_mode, SESSION sql_mode = "
        "REPLACE(REPLACE(@@session.sql_mode, 'STRICT_TRANS_TABLES', ''), "
        "'STRICT_ALL_TABLES', '')";
    char why[400];
    bool ok = false;
    struct worker_terr e2;
    int rc = worker_ap_run(a, relax, sizeof relax - 1, e), rc2;
    if (!rc && !(rc = worker_ap_run(a, ins->data, ins->len, e)))
        ok = worker_li_warnings_ok(li, a, ins, why, sizeof why);
    memset(&e2, 0, sizeof e2);
    if ((rc2 = worker_ap_run(a, "SET SESSION sql_mode = @dmgw_sql_mode", 37, &e2)) && !rc) {
        *e = e2;
        return rc2;
    }
    if (!rc && !ok)
        rc = adjusted(f, worker_li_nontx(li), why, e);
    return rc;
}

/* An INSERT that ran: a warning of level Warning means a value was changed (a non-strict
 * target, a narrower user table, a MyISAM table's later rows under STRICT_TRANS_TABLES). */
static int check_insert(struct worker_applier *a, struct worker_li *li, const struct lfile *f,
                        const struct dm_buf *ins, struct worker_terr *e)
{
    char why[400];
    if (!li || mysql_warning_count(a->my) == 0 || worker_li_warnings_ok(li, a, ins, why, sizeof why))
        return DM_OK;
    return adjusted(f, worker_li_nontx(li), why, e);
}

/* One INSERT of the file: as LOAD DATA when li takes it (load_infile.h), else as it is
 * (routed, mapped). Errors are annotated with the file. */
static int load_stmt(struct run *r, struct worker_applier *a, const struct lfile *f,
                     const struct colmap *cm, struct worker_li *li, const struct dm_buf *st,
                     struct dm_buf *ins, bool *open, struct worker_terr *e)
{
    int rc = li ? worker_li_exec(li, a, st->data, st->len, open, e) : WORKER_LI_FALLBACK;
    if (rc == WORKER_LI_FALLBACK) {
        const struct dm_buf *use = ins;
        if ((rc = rewrite_insert(r, f, cm, st->data, ins, e)))
            return rc;
        if (li && worker_li_fix_insert(li, ins, &use))
            return worker_ap_nomem(e);
        if (r->max_packet > 0 && (int64_t)use->len + 64 > r->max_packet)
            return too_big(f, (int64_t)use->len, r->max_packet, e);
        rc = insert_stmt(a, use, open, e);
        if (rc && li && worker_li_enum_retry(li, mysql_errno(a->my), mysql_error(a->my)))
            rc = insert_enum_relaxed(a, li, f, use, e);
        else if (!rc)
            rc = check_insert(a, li, f, use, e);
    }
    if (rc)
        annotate(e, f->name);
    return rc;
}

static int restore_data(struct run *r, struct worker_applier *a, const struct lfile *f,
                        struct worker_li *li, struct worker_terr *e)
{
    char path[4096], *line = NULL;
    size_t lcap = 0;
    struct dm_buf st, ins, q, cols, named;
    struct colmap cm;
    int64_t off = 0, done = f->offset, last = f->offset;
    bool eof = false, open = false, marked = false, nontx;
    int rc;
    FILE *fp;
    if (f->offset >= f->size)
        return DM_OK;
    dm_buf_init(&cols, 1u << 20);
    if ((rc = table_columns(r, f, &cm, &cols, e))) {
        dm_buf_free(&cols);
        return rc;
    }
    snprintf(path, sizeof path, "%s/%s", r->p->dir, f->name);
    if (!(fp = fopen(path, "r"))) {
        free(cm.rules);
        dm_buf_free(&cols);
        return worker_load_lerr(e, WTE_LOAD_READ_FILE, "read %s: %s", path, strerror(errno));
    }
    dm_buf_init(&st, STMT_MAX);
    dm_buf_init(&ins, STMT_MAX);
    dm_buf_init(&q, 1u << 16);
    dm_buf_init(&named, STMT_MAX);
    if (li)
        worker_li_file(li, a, f->tdb, f->ttbl, !colmap_maps(&cm));
    nontx = li && worker_li_nontx(li);
    if (f->inflight > f->offset)
        rc = inflight_error(f, e);
    while (!rc && !eof && !canceled(r)) {
        if ((rc = next_stmt(fp, &st, &line, &lcap, &off, &eof))) {
            rc = worker_load_lerr(e, WTE_LOAD_READ_FILE, "read %s: statement too large or I/O error", path);
            break;
        }
        if (!st.len)
            break;
        if (session_stmt(st.data)) {
            if ((rc = worker_ap_run(a, st.data, st.len, e)))
                annotate(e, f->name);
            else if (li)
                worker_li_session(li, st.data);
            continue;
        }
        if (off <= f->offset)
            continue;   /* committed before */
        if (nontx && (rc = inflight_row(a, f, off, &q, e))) {   /* committed before the rows */
            annotate(e, f->name);
            break;
        }
        if ((rc = name_columns(&st, &cols, &named, f, e)) ||
            (rc = load_stmt(r, a, f, &cm, li, named.len ? &named : &st, &ins, &open, e)))
            break;
        last = off;
        if (r->delay_us)
            usleep(r->delay_us);   /* test hook: DMGW_LOAD_STMT_DELAY_MS */
        if (last - done < r->txn_bytes && !eof && !nontx)
            continue;
        if ((rc = commit_cp(a, f, last, &open, &marked, nontx, &q, e))) {
            annotate(e, f->name);
            break;
        }
        atomic_fetch_add(&r->l->finished, last - done);
        done = last;
    }
    if (!rc && open) {   /* end of file or canceled: what is sent is committed */
        if ((rc = commit_cp(a, f, last, &open, &marked, nontx, &q, e)))
            annotate(e, f->name);
        else
            atomic_fetch_add(&r->l->finished, last - done);
    }
    if (open)
        mysql_query(a->my, "ROLLBACK");
    free(line);
    free(cm.rules);
    dm_buf_free(&st);
    dm_buf_free(&ins);
    dm_buf_free(&q);
    dm_buf_free(&cols);
    dm_buf_free(&named);
    fclose(fp);
    return rc;
}

/* SELECT @@max_allowed_packet of the target (0 when it cannot be read: no check). */
static int64_t target_max_packet(struct worker_applier *a)
{
    struct worker_terr e;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int64_t n = 0;
    memset(&e, 0, sizeof e);
    if (worker_ap_query(a, "SELECT @@max_allowed_packet", &res, &e) == DM_OK &&
        (row = mysql_fetch_row(res)) && row[0])
        n = strtoll(row[0], NULL, 10);
    if (res)
        mysql_free_result(res);
    return n;
}

static void fail_run(struct run *r, int rc, const struct worker_terr *e)
{
    pthread_mutex_lock(&r->mu);
    if (!r->failed) {
        r->failed = true;
        r->rc = rc;
        r->err = *e;
    }
    pthread_mutex_unlock(&r->mu);
}

static int open_conn(const struct run *r, struct worker_applier **a, struct worker_terr *e)
{
    const struct worker_subtask_cfg *c = r->p->cfg;
    return worker_applier_open(&c->to, c->meta_schema, c->name, r->p->source_id, a, e);
}

/* A data file is complete: when it was its table's last, the table's deferred keys now
 * (add_keys: nothing unless pending; the K_TABLE pass after the data adds the rest). */
static int table_file_done(struct run *r, struct worker_applier *a, const struct lfile *f,
                           struct worker_terr *e)
{
    if (f->owner < 0 || atomic_fetch_sub(&r->left[f->owner], 1) != 1)
        return DM_OK;
    return add_keys(a, &r->files[f->owner], e);
}

static void log_li(const struct worker_li *li)
{
    size_t loaded, fallback;
    char a[32], b[32];
    if (!li)
        return;
    worker_li_counts(li, &loaded, &fallback);
    snprintf(a, sizeof a, "%zu", loaded);
    snprintf(b, sizeof b, "%zu", fallback);
    dm_log_kv(DM_LOG_INFO, "load thread done", "load-data-statements", a,
              "insert-fallbacks", b, NULL);
}

static void *pool_main(void *arg)
{
    struct run *r = arg;
    struct worker_applier *a = NULL;
    struct worker_li *li = NULL;
    struct worker_terr e;
    int rc;
    memset(&e, 0, sizeof e);
    if ((rc = open_conn(r, &a, &e))) {
        fail_run(r, rc, &e);
        return NULL;
    }
    if (r->phase == K_DATA && (li = worker_li_new()) && !r->infile)
        worker_li_no_infile(li);   /* INSERTs only (INET6 / UUID fix); NULL: no memory */
    /* every warning of a statement readable (worker_li_warnings_ok) */
    if (r->phase == K_DATA && (rc = worker_ap_run(a, "SET SESSION max_error_count = 65535", 35, &e))) {
        fail_run(r, rc, &e);
        worker_li_free(li);
        worker_applier_free(a);
        return NULL;
    }
    while (!canceled(r)) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->n)
            break;
        if (r->files[i].kind != r->phase)
            continue;
        rc = r->phase == K_DATA ? restore_data(r, a, &r->files[i], li, &e)
                                : add_keys(a, &r->files[i], &e);
        if (!rc && r->phase == K_DATA && !canceled(r))   /* the file is complete */
            rc = table_file_done(r, a, &r->files[i], &e);
        if (rc) {
            fail_run(r, rc, &e);
            break;
        }
    }
    log_li(li);
    worker_li_free(li);
    worker_applier_free(a);
    return NULL;
}

/* pool-size threads over the files of one kind (K_DATA: rows, K_TABLE: deferred keys). */
static int run_pool(struct run *r, enum kind phase, struct worker_terr *e)
{
    int n = r->p->cfg->pool_size > 0 ? r->p->cfg->pool_size : 16, started = 0;
    pthread_t *th;
    r->phase = phase;
    atomic_store(&r->next, 0);
    if (phase == K_TABLE) {   /* no more threads than tables with pending keys */
        int pending = 0;
        for (size_t i = 0; i < r->n; i++)
            pending += r->files[i].kind == K_TABLE && r->files[i].keys == KEYS_PENDING;
        if (pending == 0)
            return DM_OK;
        n = pending < n ? pending : n;
    }
    if (!(th = calloc((size_t)n, sizeof *th)))
        return worker_ap_nomem(e);
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, pool_main, r) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    if (r->failed) {
        *e = r->err;
        return r->rc;
    }
    if (started == 0) {
        worker_terr_set(e, WTE_LOAD_READ_FILE, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "cannot start loader threads");
        return DM_E_INTERNAL;
    }
    return DM_OK;
}

static int restore_kind(struct run *r, struct worker_applier *a, enum kind k,
                        struct worker_terr *e)
{
    int rc = DM_OK;
    for (size_t i = 0; !rc && i < r->n; i++)
        if (r->files[i].kind == k)
            rc = atomic_load(&r->l->canceled) ? DM_E_CANCELLED
                                               : restore_schema(r, a, &r->files[i], e);
    return rc;
}

/* The views, in rounds: one that selects from a view not created yet (Error 1146: the
 * files go by name, `a_top` before the `z_base` it reads) is tried again in the next
 * round, as long as a round creates one. A view still failing then pauses the load with
 * its error (a table it reads is missing on the target). */
static int restore_views(struct run *r, struct worker_applier *a, struct worker_terr *e)
{
    bool *done = calloc(r->n ? r->n : 1, sizeof *done), progress = true;
    size_t left = 0;
    int rc = DM_OK;
    if (!done)
        return worker_ap_nomem(e);
    for (size_t i = 0; i < r->n; i++)
        left += r->files[i].kind == K_VIEW;
    while (!rc && left && progress) {
        struct worker_terr first;
        progress = false;
        memset(&first, 0, sizeof first);
        for (size_t i = 0; !rc && i < r->n; i++) {
            if (r->files[i].kind != K_VIEW || done[i])
                continue;
            if (atomic_load(&r->l->canceled)) {
                rc = DM_E_CANCELLED;
            } else if (!(rc = restore_schema(r, a, &r->files[i], e))) {
                done[i] = progress = true;
                left--;
            } else if (mysql_errno(a->my) == ER_NO_SUCH_TABLE) {
                if (!first.msg[0])
                    first = *e;
                rc = DM_OK;   /* again after the others */
            }
        }
        if (!rc && left && !progress) {
            *e = first;
            rc = DM_E_DB;
        }
    }
    free(done);
    return rc;
}

static void free_files(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->files[i].name);
        free(r->files[i].db);
        free(r->files[i].tbl);
        free(r->files[i].key_adds);
    }
    free(r->files);
}

int worker_load_run(struct worker_load *l, const struct worker_load_params *p,
                    struct worker_dump_pos *pos, struct worker_terr *e)
{
    struct run r;
    struct worker_applier *a = NULL;
    char err[600] = "";
    int rc;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.p = p;
    if (getenv("DMGW_LOAD_STMT_DELAY_MS"))
        r.delay_us = (useconds_t)atoi(getenv("DMGW_LOAD_STMT_DELAY_MS")) * 1000;
    r.txn_bytes = TXN_BYTES;
    r.defer_keys = !getenv("DMGW_LOAD_DEFER_KEYS") || atoi(getenv("DMGW_LOAD_DEFER_KEYS")) != 0;
    r.infile = !getenv("DMGW_LOAD_INFILE") || atoi(getenv("DMGW_LOAD_INFILE")) != 0;
    if (getenv("DMGW_LOAD_TXN_BYTES") && atoll(getenv("DMGW_LOAD_TXN_BYTES")) >= 0)
        r.txn_bytes = atoll(getenv("DMGW_LOAD_TXN_BYTES"));
    pthread_mutex_init(&r.mu, NULL);
    atomic_store(&l->finished, 0);
    atomic_store(&l->total, 0);
    if ((rc = worker_dump_read_metadata(p->dir, pos, err, sizeof err))) {
        rc = worker_load_lerr(e, WTE_LOAD_DIR_NOT_FOUND, "dump metadata: %s", err);
        goto out;
    }
    pthread_mutex_lock(&l->mu);
    snprintf(l->meta_binlog, sizeof l->meta_binlog, "(%s, %llu)", pos->file,
             (unsigned long long)pos->pos);
    pthread_mutex_unlock(&l->mu);
    if ((rc = worker_load_scan(&r, e)))
        goto out;
    worker_load_filter_route(&r);
    if ((rc = open_conn(&r, &a, e)) || (rc = cp_prepare(a, p->remove_meta, e)) ||
        (rc = worker_load_rules_check(a, p->cfg, p->dir, e)) || (rc = cp_sync(&r, a, e)))
        goto out;
    worker_load_plan(&r);
    r.max_packet = target_max_packet(a);
    if ((rc = worker_load_count_left(&r))) {
        worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_load_dropped_guard(&r, a, e)) || (rc = restore_kind(&r, a, K_DB, e)) ||
        (rc = restore_kind(&r, a, K_TABLE, e)) ||
        (rc = worker_load_keyless_guard(&r, a, e)))
        goto out;
    dm_log_kv(DM_LOG_INFO, "load data started", "dir", p->dir, NULL);
    if ((rc = run_pool(&r, K_DATA, e)) || (rc = run_pool(&r, K_TABLE, e)))
        goto out;
    if (atomic_load(&l->canceled)) {
        rc = DM_E_CANCELLED;
        goto out;
    }
    if ((rc = restore_views(&r, a, e)))
        goto out;
    dm_log_kv(DM_LOG_INFO, "load data finished", "dir", p->dir, NULL);
out:
    if (rc == DM_E_CANCELLED)
        worker_terr_set(e, WTE_LOAD_READ_FILE, WTE_CLASS_LOAD_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "load canceled");
    worker_applier_free(a);
    free_files(&r);
    free(r.left);
    pthread_mutex_destroy(&r.mu);
    return rc;
}

/* ---- state on the target ---- */

static int count_rows(struct worker_applier *a, const char *table, const char *where,
                      bool *any, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    *any = false;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT COUNT(*) FROM ") || worker_ap_add_table(&q, a->meta_schema, table) ||
        dm_buf_adds(&q, " WHERE id=") ||
        worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) || dm_buf_adds(&q, where))
        goto out;
    rc = worker_ap_query(a, q.data, &res, e);
    if (rc && (mysql_errno(a->my) == ER_NO_SUCH_TABLE || mysql_errno(a->my) == ER_BAD_DB_ERROR)) {
        rc = DM_OK;
        goto out;
    }
    if (!rc && (row = mysql_fetch_row(res)) && row[0])
        *any = strtoll(row[0], NULL, 10) > 0;
out:
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

int worker_load_target_state(const struct worker_subtask_cfg *cfg, const char *source_id,
                             bool *load_started, bool *sync_started, struct worker_terr *e)
{
    struct worker_applier *a = NULL;
    char lt[256], st[256];
    int rc;
    *load_started = *sync_started = false;
    snprintf(lt, sizeof lt, "%s_loader_checkpoint", cfg->name);
    snprintf(st, sizeof st, "%s_syncer_checkpoint", cfg->name);
    if ((rc = worker_applier_open(&cfg->to, cfg->meta_schema, cfg->name, source_id, &a, e)))
        return rc;
    /* "keys pending" rows of tables a load created survive remove-meta: not a started load */
    if (!(rc = count_rows(a, lt, " AND filename NOT LIKE '%-schema.sql' AND filename NOT LIKE '"
                                 WORKER_LOAD_KEYLESS_LIKE "'", load_started, e)))
        rc = count_rows(a, st, " AND is_global=1", sync_started, e);
    worker_applier_free(a);
    return rc;
}

/* remove-meta, for this source only (DM's Clear: `WHERE id = <source>`; other sources of the
 * task keep their checkpoints): its syncer checkpoint rows go, and its loader checkpoint
 * rows but the "keys pending" ones (a table this task created without its plain KEYs: the
 * next load adds them to the table even though it then exists; else they would never come)
 * and the key-less markers (load_keyless.h: a reload over those rows is refused). */
int worker_load_reset_meta(const struct worker_subtask_cfg *cfg, const char *source_id,
                           struct worker_terr *e)
{
    struct worker_applier *a = NULL;
    struct dm_buf q;
    char name[256];
    int rc;
    if ((rc = worker_applier_open(&cfg->to, cfg->meta_schema, cfg->name, source_id, &a, e)))
        return rc;
    dm_buf_init(&q, 4096);
    snprintf(name, sizeof name, "%s_loader_checkpoint", cfg->name);
    if (dm_buf_adds(&q, "DELETE FROM ") || worker_ap_add_table(&q, cfg->meta_schema, name) ||
        dm_buf_adds(&q, " WHERE id=") ||
        worker_ap_add_escaped(a, &q, source_id, strlen(source_id)) ||
        dm_buf_adds(&q, " AND NOT (filename LIKE '%-schema.sql' AND `offset` = 0) AND filename "
                        "NOT LIKE '" WORKER_LOAD_KEYLESS_LIKE "'"))
        rc = worker_ap_nomem(e);
    else if ((rc = worker_ap_run(a, q.data, q.len, e)) &&
             (mysql_errno(a->my) == ER_NO_SUCH_TABLE || mysql_errno(a->my) == ER_BAD_DB_ERROR))
        rc = DM_OK;
    snprintf(name, sizeof name, "%s_syncer_checkpoint", cfg->name);
    dm_buf_reset(&q);
    if (!rc && (dm_buf_adds(&q, "DELETE FROM ") ||
                worker_ap_add_table(&q, cfg->meta_schema, name) || dm_buf_adds(&q, " WHERE id=") ||
                worker_ap_add_escaped(a, &q, source_id, strlen(source_id))))
        rc = worker_ap_nomem(e);
    else if (!rc && (rc = worker_ap_run(a, q.data, q.len, e)) &&
             (mysql_errno(a->my) == ER_NO_SUCH_TABLE || mysql_errno(a->my) == ER_BAD_DB_ERROR))
        rc = DM_OK;
    dm_buf_free(&q);
    worker_applier_free(a);
    return rc;
}

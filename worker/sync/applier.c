/* applier.c - target connection, schema cache, DML generation, checkpoint (applier.h). */
#include "applier.h"
#include "mysql_conn.h"

#include <mysql.h>
#include <pthread.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dm_error.h"
#include "log.h"

#include "applier_int.h"

/* ---- errors ---- */

static bool conn_errno(unsigned int n)
{
    return n == CR_SERVER_GONE_ERROR || n == CR_SERVER_LOST || n == CR_CONNECTION_ERROR ||
           n == CR_CONN_HOST_ERROR || n == CR_SERVER_LOST_EXTENDED || n == ER_CONNECTION_KILLED ||
           n == CR_COMMANDS_OUT_OF_SYNC || n == 1927 /* ER_CONNECTION_KILLED (MariaDB) */;
}

int worker_ap_db_error(struct worker_applier *a, const char *what, const char *sql,
                    struct worker_terr *e)
{
    unsigned int n = a->my ? mysql_errno(a->my) : 0;
    const char *m = a->my ? mysql_error(a->my) : "no connection";
    worker_terr_set(e, WTE_DB_EXEC, WTE_CLASS_DATABASE, WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                    "%s: Error %u: %s%s%.300s", what, n, m, sql ? "; sql: " : "", sql ? sql : "");
    if (n == 0 || conn_errno(n)) {
        e->transient = true;
        return DM_E_UNAVAILABLE;
    }
    if (n == ER_LOCK_WAIT_TIMEOUT || n == ER_LOCK_DEADLOCK)
        e->transient = true;      /* retried from the checkpoint (safe mode) */
    return DM_E_DB;
}

int worker_ap_nomem(struct worker_terr *e)
{
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                    "out of memory");
    return DM_E_NOMEM;
}

int worker_ap_run(struct worker_applier *a, const char *sql, size_t len, struct worker_terr *e)
{
    if (mysql_real_query(a->my, sql, (unsigned long)len) != 0)
        return worker_ap_db_error(a, "execute statement failed", sql, e);
    return DM_OK;
}

int worker_ap_query(struct worker_applier *a, const char *sql, MYSQL_RES **res,
                      struct worker_terr *e)
{
    int rc = worker_ap_run(a, sql, strlen(sql), e);
    if (rc)
        return rc;
    *res = mysql_store_result(a->my);
    if (!*res)
        return worker_ap_db_error(a, "fetch result", sql, e);
    return DM_OK;
}

int worker_applier_query_text(struct worker_applier *a, const char *sql, char *out, size_t cap,
                              struct worker_terr *e)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = worker_ap_query(a, sql, &res, e);
    if (rc)
        return rc;
    row = mysql_fetch_row(res);
    snprintf(out, cap, "%s", row && row[0] ? row[0] : "");
    mysql_free_result(res);
    return DM_OK;
}

int worker_applier_exec(struct worker_applier *a, const char *sql, struct worker_terr *e)
{
    MYSQL_RES *res;
    int rc = worker_ap_run(a, sql, strlen(sql), e);
    if (rc)
        return rc;
    res = mysql_store_result(a->my);
    if (res)
        mysql_free_result(res);
    return DM_OK;
}

/* ---- connection ---- */

/* Every open connection, by task (worker_applier_kill_task): a stop that waits on a
 * stalled target kills its task's connections from another thread. */
struct conn_reg {
    const struct worker_applier *a;
    unsigned long id;           /* server connection id */
    struct conn_reg *next;
};
static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn_reg *g_reg;

static void reg_add(const struct worker_applier *a)
{
    struct conn_reg *r = calloc(1, sizeof *r);
    if (!r)
        return;                 /* best effort: only a stuck stop waits longer */
    r->a = a;
    r->id = mysql_thread_id(a->my);
    pthread_mutex_lock(&g_reg_mu);
    r->next = g_reg;
    g_reg = r;
    pthread_mutex_unlock(&g_reg_mu);
}

static void reg_del(const struct worker_applier *a)
{
    struct conn_reg **pp, *r;
    pthread_mutex_lock(&g_reg_mu);
    for (pp = &g_reg; (r = *pp); pp = &r->next) {
        if (r->a == a) {
            *pp = r->next;
            free(r);
            break;
        }
    }
    pthread_mutex_unlock(&g_reg_mu);
}

static bool same_task(const struct worker_applier *a, const struct worker_db_cfg *to,
                      const char *task, const char *source_id)
{
    return a->port == to->port && strcmp(a->host, to->host) == 0 &&
           strcmp(a->task, task) == 0 && strcmp(a->source_id, source_id) == 0;
}

int worker_applier_kill_task(const struct worker_db_cfg *to, const char *task,
                             const char *source_id, int *killed, struct worker_terr *e)
{
    unsigned long ids[WORKER_KILL_MAX];
    size_t n = 0, i;
    struct conn_reg *r;
    struct worker_applier *k = NULL;
    char q[64];
    int rc;
    *killed = 0;
    pthread_mutex_lock(&g_reg_mu);
    for (r = g_reg; r && n < WORKER_KILL_MAX; r = r->next)
        if (same_task(r->a, to, task, source_id))
            ids[n++] = r->id;
    pthread_mutex_unlock(&g_reg_mu);
    if (n == 0)
        return DM_OK;
    if ((rc = worker_applier_open(to, "", "", "", &k, e)))
        return rc;
    for (i = 0; i < n; i++) {
        struct worker_terr e2;
        snprintf(q, sizeof q, "KILL CONNECTION %lu", ids[i]);
        if (worker_applier_exec(k, q, &e2) == DM_OK)
            (*killed)++;        /* else: it ended meanwhile (Unknown thread id) */
    }
    worker_applier_free(k);
    return DM_OK;
}

/* The session of every target connection: TIMESTAMPs as UTC instants, no foreign key
 * checks (rows arrive in binlog order per key, not per table), and NO_AUTO_VALUE_ON_ZERO:
 * a 0 in an AUTO_INCREMENT column of a row image is the value the source stored (a source
 * session with NO_AUTO_VALUE_ON_ZERO), never a request for the next value. The target's
 * NO_ZERO_DATE / NO_ZERO_IN_DATE (and TRADITIONAL, which implies them) are left out: they
 * only refuse dates the source stored ('0000-00-00', '2020-00-01'); ALLOW_INVALID_DATES is
 * added: a source session with it stores '2020-02-30', which a strict target refused (Error
 * 1292, paused) and a non-strict one turned into '0000-00-00' silently; EMPTY_STRING_IS_NULL
 * is left out (the target's '' would become NULL), and so are the modes that change how
 * text is read - NO_BACKSLASH_ESCAPES, ANSI_QUOTES, IGNORE_SPACE and the composites that
 * imply them (ANSI, ORACLE, POSTGRESQL, MSSQL, DB2, MAXDB): the Load unit runs mydumper's
 * files, written with backslash escapes and "strings" (a target with NO_BACKSLASH_ESCAPES
 * stored \0 as two characters, silently; this statement itself runs in the target's
 * mode: SPACE(0), as '' is NULL under EMPTY_STRING_IS_NULL); PAD_CHAR_TO_FULL_LENGTH is left
 * out too (CHAR values read padded: the byte-exact match of a key-less row, `c`=BINARY 'ab',
 * found no row and paused the task). STRICT_* stay (a value the target's column
 * cannot hold is a schema mismatch: an error, not a clamp). */
#define BASE_SESSION "SET time_zone='+00:00', foreign_key_checks=0, sql_mode=" \
    "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(" \
    "REPLACE(REPLACE(REPLACE(REPLACE(CONCAT_WS(',', NULLIF(@@global.sql_mode, SPACE(0)), " \
    "'NO_AUTO_VALUE_ON_ZERO', 'ALLOW_INVALID_DATES'), 'NO_ZERO_IN_DATE', SPACE(0)), " \
    "'NO_ZERO_DATE', SPACE(0)), 'TRADITIONAL', SPACE(0)), 'EMPTY_STRING_IS_NULL', SPACE(0)), " \
    "'NO_BACKSLASH_ESCAPES', SPACE(0)), 'ANSI_QUOTES', SPACE(0)), 'ANSI', SPACE(0)), " \
    "'ORACLE', SPACE(0)), 'POSTGRESQL', SPACE(0)), 'MSSQL', SPACE(0)), 'DB2', SPACE(0)), " \
    "'MAXDB', SPACE(0)), 'IGNORE_SPACE', SPACE(0)), 'PAD_CHAR_TO_FULL_LENGTH', SPACE(0))"

static int connect_db(struct worker_applier *a, struct worker_terr *e)
{
    unsigned int timeout = 5, rw = 60;
    MYSQL *my = worker_mysql_init(true);   /* the Load unit streams rows (mysql_conn.h) */
    if (!my)
        return worker_ap_nomem(e);
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &rw);
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &rw);
    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(my, MYSQL_INIT_COMMAND, BASE_SESSION);
    if (!mysql_real_connect(my, a->host, a->user, a->password, NULL, (unsigned)a->port, NULL,
                            CLIENT_FOUND_ROWS)) {
        unsigned int n = mysql_errno(my);
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_DOWNSTREAM,
                        WTE_LEVEL_HIGH, "database driver error: target %s:%d: connect as '%s': "
                        "Error %u: %s%s", a->host, a->port, a->user, n, mysql_error(my),
                        worker_terr_access_hint(n, false));
        mysql_close(my);
        if (worker_terr_access_denied(n))
            return DM_E_FORBIDDEN;   /* retrying cannot fix it: pause at once */
        e->transient = true;
        return DM_E_UNAVAILABLE;
    }
    a->my = my;
    return DM_OK;
}

int worker_applier_open(const struct worker_db_cfg *to, const char *meta_schema,
                        const char *task, const char *source_id,
                        struct worker_applier **out, struct worker_terr *e)
{
    struct worker_applier *a = calloc(1, sizeof *a);
    int rc;
    *out = NULL;
    if (!a)
        return worker_ap_nomem(e);
    dm_buf_init(&a->sql, to->max_allowed_packet > 0 ? (size_t)to->max_allowed_packet : 64u << 20);
    dm_buf_init(&a->key, to->max_allowed_packet > 0 ? (size_t)to->max_allowed_packet : 64u << 20);
    a->host = strdup(to->host);
    a->user = strdup(to->user);
    a->password = strdup(to->password ? to->password : "");
    a->port = to->port;
    a->meta_schema = strdup(meta_schema);
    a->task = strdup(task);
    a->source_id = strdup(source_id);
    if (!a->host || !a->user || !a->password || !a->meta_schema || !a->task || !a->source_id) {
        worker_applier_free(a);
        return worker_ap_nomem(e);
    }
    rc = connect_db(a, e);
    if (rc) {
        worker_applier_free(a);
        return rc;
    }
    reg_add(a);
    *out = a;
    return DM_OK;
}

void worker_ap_tinfo_free(struct tinfo *t)
{
    size_t i;
    for (i = 0; i < t->ncols; i++) {
        free(t->cols[i]);
        if (t->charset)
            free(t->charset[i]);
    }
    free(t->charset);
    free(t->tcs);
    free(t->cmp);
    free(t->conv);
    free(t->kpf);
    for (i = 0; t->m8 && i < t->ncols; i++) {
        free(t->m8[i].src);
        free(t->m8[i].utf8);
    }
    free(t->m8);
    free(t->padlen);
    free(t->fsp);
    free(t->float6);
    for (i = 0; t->shape && i < t->ncols; i++) {
        free(t->shape[i].column_type);
        free(t->shape[i].collation);
    }
    free(t->shape);
    for (i = 0; i < t->nkeys; i++) {
        free(t->keys[i].idx);
        free(t->keys[i].sub);
    }
    free(t->keys);
    worker_ap_srcdef_free(t->src);
    free(t->cols);
    free(t->gen);
    free(t->nullable);
    free(t->is_unsigned);
    free(t->schema);
    free(t->table);
    free(t);
}

void worker_applier_invalidate(struct worker_applier *a, const char *schema, const char *table)
{
    struct tinfo **pp = &a->cache;
    while (*pp) {
        struct tinfo *t = *pp;
        if (!schema || (strcasecmp(t->schema, schema) == 0 &&
                        (!table || strcasecmp(t->table, table) == 0))) {
            *pp = t->next;
            worker_ap_tinfo_free(t);
        } else {
            pp = &t->next;
        }
    }
}

void worker_applier_free(struct worker_applier *a)
{
    if (!a)
        return;
    worker_applier_invalidate(a, NULL, NULL);
    worker_ap_created_free(a);
    worker_ap_collpf_free(a);
    free(a->coll);
    if (a->my) {
        reg_del(a);
        mysql_close(a->my);
    }
    dm_buf_free(&a->sql);
    dm_buf_free(&a->key);
    free(a->esc);
    free(a->host);
    free(a->user);
    free(a->password);
    free(a->meta_schema);
    free(a->task);
    free(a->source_id);
    free(a);
}

/* ---- SQL text helpers ---- */

int worker_ap_add_ident(struct dm_buf *b, const char *name)
{
    int rc = dm_buf_addc(b, '`');
    for (; !rc && *name; name++)
        rc = *name == '`' ? dm_buf_adds(b, "``") : dm_buf_addc(b, *name);
    return rc ? rc : dm_buf_addc(b, '`');
}

int worker_ap_add_table(struct dm_buf *b, const char *schema, const char *table)
{
    int rc = worker_ap_add_ident(b, schema);
    if (!rc)
        rc = dm_buf_addc(b, '.');
    return rc ? rc : worker_ap_add_ident(b, table);
}

int worker_ap_add_str(struct worker_applier *a, struct dm_buf *b, const char *s)
{
    return worker_ap_add_escaped(a, b, s, strlen(s));
}

int worker_ap_add_escaped(struct worker_applier *a, struct dm_buf *b, const char *s, size_t n)
{
    unsigned long len;
    if (a->esc_cap < 2 * n + 1) {
        char *tmp = realloc(a->esc, 2 * n + 1);
        if (!tmp)
            return DM_E_NOMEM;
        a->esc = tmp;
        a->esc_cap = 2 * n + 1;
    }
    len = mysql_real_escape_string(a->my, a->esc, s, (unsigned long)n);
    if (dm_buf_addc(b, '\''))
        return DM_E_TOO_LARGE;
    if (dm_buf_add(b, a->esc, len))
        return DM_E_TOO_LARGE;
    return dm_buf_addc(b, '\'');
}

int worker_ap_add_hex_pad(struct dm_buf *b, const char *s, size_t n, size_t pad)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;
    int rc = dm_buf_adds(b, "X'");
    for (i = 0; i < n && !rc; i++) {
        char two[2] = { hx[(unsigned char)s[i] >> 4], hx[(unsigned char)s[i] & 15] };
        rc = dm_buf_add(b, two, 2);
    }
    for (; i < pad && !rc; i++)
        rc = dm_buf_add(b, "00", 2);
    return rc ? rc : dm_buf_addc(b, '\'');
}

int worker_ap_add_hex(struct dm_buf *b, const char *s, size_t n)
{
    return worker_ap_add_hex_pad(b, s, n, 0);
}

int worker_ap_add_value(struct worker_applier *a, struct dm_buf *b, const struct bl_value *v)
{
    switch (v->kind) {
    case BL_NULL:
        return dm_buf_adds(b, "NULL");
    case BL_INT:
        return dm_buf_printf(b, "%lld", (long long)v->i);
    case BL_UINT:
    case BL_BIT:
    case BL_ENUM:
        return dm_buf_printf(b, "%llu", (unsigned long long)v->u);
    case BL_SET:       /* as the signed bitmask: MariaDB stores 2^63.. into a SET(64), but
                          `s` = 9223372036854775809 matches no row (it compares the SET as
                          a signed BIGINT: a key-less or SET-keyed row was missed) */
        return dm_buf_printf(b, "%lld", (long long)v->u);
    case BL_FLOAT:     /* the float's exact double value: "%.9g" round-trips an INSERT but
                          `c` = 2790.17993 never matches the FLOAT 2790.18 in a WHERE
                          (MariaDB compares as DOUBLE), a key-less row was then missed */
    case BL_DOUBLE:
        return dm_buf_printf(b, "%.17g", v->d);
    case BL_BINARY:
        return worker_ap_add_hex(b, v->ptr, v->len);
    case BL_STRING:
        /* The row image holds the column's own bytes (latin1, utf8mb4, ...): a quoted
         * literal would be converted from the connection's utf8mb4, so anything not
         * ASCII goes as X'..', whose bytes are stored as they are. */
        for (size_t i = 0; i < v->len; i++)
            if ((unsigned char)v->ptr[i] >= 0x80)
                return worker_ap_add_hex(b, v->ptr, v->len);
        return worker_ap_add_escaped(a, b, v->ptr, v->len);
    case BL_DECIMAL:
    case BL_TEMPORAL:
    case BL_JSON:
        return worker_ap_add_escaped(a, b, v->ptr, v->len);
    }
    return dm_buf_adds(b, "NULL");
}

int worker_ap_begin(struct worker_applier *a, struct worker_terr *e)
{
    int rc;
    if (a->in_txn)
        return DM_OK;
    rc = worker_ap_run(a, "BEGIN", 5, e);
    if (!rc) {
        a->in_txn = true;
        a->txn_rows = 0;
    }
    return rc;
}

/* ---- checkpoint ---- */

int worker_ap_add_meta_table(const struct worker_applier *a, struct dm_buf *b,
                             const char *suffix)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", a->task, suffix);
    return worker_ap_add_table(b, a->meta_schema, name);
}

/* Build one statement (`build` non-zero: out of memory) and run it; the buffer is reset. */
static int run_built(struct worker_applier *a, struct dm_buf *q, int build,
                     struct worker_terr *e)
{
    int rc = build ? worker_ap_nomem(e) : worker_ap_run(a, q->data, q->len, e);
    dm_buf_reset(q);
    return rc;
}

int worker_ap_prepare_meta_table(struct worker_applier *a, const char *suffix,
                                 const char *columns, const char *remove_by,
                                 struct worker_terr *e)
{
    struct dm_buf q;
    dm_buf_init(&q, 8192);
    int rc = run_built(a, &q, dm_buf_adds(&q, "CREATE SCHEMA IF NOT EXISTS ") ||
                                  worker_ap_add_ident(&q, a->meta_schema), e);
    if (!rc)
        rc = run_built(a, &q, dm_buf_adds(&q, "CREATE TABLE IF NOT EXISTS ") ||
                                  worker_ap_add_meta_table(a, &q, suffix) ||
                                  dm_buf_adds(&q, columns), e);
    if (!rc && remove_by)
        rc = run_built(a, &q, dm_buf_adds(&q, "DELETE FROM ") ||
                                  worker_ap_add_meta_table(a, &q, suffix) ||
                                  dm_buf_adds(&q, " WHERE ") || worker_ap_add_ident(&q, remove_by) ||
                                  dm_buf_addc(&q, '=') ||
                                  worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)),
                       e);
    dm_buf_free(&q);
    return rc;
}

static int add_cp_table(struct worker_applier *a, struct dm_buf *b)
{
    return worker_ap_add_meta_table(a, b, "_syncer_checkpoint");
}

int worker_applier_prepare_meta(struct worker_applier *a, bool remove, struct worker_terr *e)
{
    return worker_ap_prepare_meta_table(a, "_syncer_checkpoint",
        " (id VARCHAR(32) NOT NULL, cp_schema VARCHAR(128) NOT NULL, "
        "cp_table VARCHAR(128) NOT NULL, binlog_name VARCHAR(128), "
        "binlog_pos INT UNSIGNED, is_global BOOLEAN, "
        "create_time timestamp DEFAULT CURRENT_TIMESTAMP, "
        "update_time timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
        "UNIQUE KEY uk_id_schema_table (id, cp_schema, cp_table)) "
        "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", remove ? "id" : NULL, e);
}

int worker_applier_load_checkpoint(struct worker_applier *a, char *file, size_t cap,
                                   uint64_t *pos, bool *found, struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    *found = false;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT binlog_name, binlog_pos FROM ") || add_cp_table(a, &q) ||
        dm_buf_adds(&q, " WHERE is_global=1 AND id=") ||
        worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)))
        goto out;
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    row = mysql_fetch_row(res);
    if (row && row[0] && row[1]) {
        snprintf(file, cap, "%s", row[0]);
        *pos = strtoull(row[1], NULL, 10);
        *found = true;
    }
    rc = DM_OK;
out:
    if (rc == DM_E_NOMEM)
        worker_ap_nomem(e);
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

int worker_applier_commit(struct worker_applier *a, const struct worker_cp_row *rows, size_t n,
                          struct worker_terr *e)
{
    struct dm_buf q;
    size_t i;
    int rc;
    if ((rc = worker_ap_begin(a, e)))
        return rc;
    dm_buf_init(&q, (size_t)64 << 20);
    if (dm_buf_adds(&q, "INSERT INTO ") || add_cp_table(a, &q) ||
        dm_buf_adds(&q, " (id, cp_schema, cp_table, binlog_name, binlog_pos, is_global) VALUES "))
        goto nomem;
    for (i = 0; i < n; i++) {
        const struct worker_cp_row *r = &rows[i];
        if (dm_buf_adds(&q, i ? ", (" : "(") ||
            worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id)) ||
            dm_buf_adds(&q, ", ") || worker_ap_add_escaped(a, &q, r->schema, strlen(r->schema)) ||
            dm_buf_adds(&q, ", ") || worker_ap_add_escaped(a, &q, r->table, strlen(r->table)) ||
            dm_buf_adds(&q, ", ") || worker_ap_add_escaped(a, &q, r->file, strlen(r->file)) ||
            dm_buf_printf(&q, ", %llu, %d)", (unsigned long long)r->pos,
                          r->schema[0] || r->table[0] ? 0 : 1))
            goto nomem;
    }
    if (dm_buf_adds(&q, " ON DUPLICATE KEY UPDATE binlog_name=VALUES(binlog_name), "
                        "binlog_pos=VALUES(binlog_pos)"))
        goto nomem;
    if (n && (rc = worker_ap_run(a, q.data, q.len, e)))
        goto out;
    rc = worker_applier_commit_plain(a, e);
    goto out;
nomem:
    rc = worker_ap_nomem(e);
out:
    dm_buf_free(&q);
    return rc;
}

int worker_applier_load_table_cps(struct worker_applier *a,
                                  void (*fn)(void *ud, const struct worker_cp_row *r), void *ud,
                                  struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_NOMEM;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT cp_schema, cp_table, binlog_name, binlog_pos FROM ") ||
        add_cp_table(a, &q) || dm_buf_adds(&q, " WHERE is_global=0 AND id=") ||
        worker_ap_add_escaped(a, &q, a->source_id, strlen(a->source_id))) {
        rc = worker_ap_nomem(e);
        goto out;
    }
    if ((rc = worker_ap_query(a, q.data, &res, e)))
        goto out;
    while ((row = mysql_fetch_row(res))) {
        struct worker_cp_row r;
        if (!row[0] || !row[1] || !row[2] || !row[3])
            continue;
        r.schema = row[0];
        r.table = row[1];
        r.file = row[2];
        r.pos = strtoull(row[3], NULL, 10);
        fn(ud, &r);
    }
    rc = DM_OK;
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

unsigned int worker_applier_errno(const struct worker_applier *a)
{
    return a->my ? mysql_errno(a->my) : 0;
}

int worker_applier_commit_plain(struct worker_applier *a, struct worker_terr *e)
{
    int rc;
    if (!a->in_txn)
        return DM_OK;
    rc = worker_ap_run(a, "COMMIT", 6, e);
    if (!rc) {
        a->in_txn = false;
        a->txn_rows = 0;
    }
    return rc;
}

/* The statement k of a packet (its start and length, up to the next statement's ';'). */
static const char *packet_stmt(const char *sql, size_t len, const size_t *starts, size_t n,
                               size_t k, size_t *slen)
{
    size_t from, to;
    if (!starts || k >= n) {
        *slen = len;
        return sql;
    }
    from = starts[k];
    to = k + 1 < n ? starts[k + 1] - 1 : len;      /* the ';' before the next one */
    *slen = to > from ? to - from : 0;
    return sql + from;
}

/* Error of statement k of the packet: the message names it (NUL-terminated copy). */
static int stmt_error(struct worker_applier *a, const char *sql, size_t len,
                      const size_t *starts, size_t n, size_t k, struct worker_terr *e)
{
    char stmt[512];
    size_t slen;
    const char *s = packet_stmt(sql, len, starts, n, k, &slen);
    snprintf(stmt, sizeof stmt, "%.*s", (int)(slen < sizeof stmt ? slen : sizeof stmt - 1), s);
    return worker_ap_db_error(a, "execute statement failed", stmt, e);
}

int worker_applier_exec_packet(struct worker_applier *a, const char *sql, size_t len,
                               const size_t *starts, size_t nstarts, size_t rows,
                               struct worker_terr *e)
{
    int rc, st;
    size_t k = 0;
    if (!a->multi) {
        if (mysql_set_server_option(a->my, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
            return worker_ap_db_error(a, "enable multi-statements", NULL, e);
        a->multi = true;
    }
    if ((rc = worker_ap_begin(a, e)))
        return rc;
    if (mysql_real_query(a->my, sql, (unsigned long)len) != 0)
        return stmt_error(a, sql, len, starts, nstarts, 0, e);
    a->first_rows = mysql_affected_rows(a->my);
    do {
        MYSQL_RES *res = mysql_store_result(a->my);
        if (res)
            mysql_free_result(res);
        st = mysql_next_result(a->my);
        k++;
        if (st > 0)
            return stmt_error(a, sql, len, starts, nstarts, k, e);
    } while (st == 0);
    a->txn_rows += rows;
    return DM_OK;
}

int worker_applier_exec_multi(struct worker_applier *a, const char *sql, size_t len,
                              size_t rows, struct worker_terr *e)
{
    return worker_applier_exec_packet(a, sql, len, NULL, 0, rows, e);
}

/* A must_match UPDATE that failed (rc, its error in *e) or matched n != 1 rows (rc 0). */
static int partial_replay_error(const char *sql, int rc, my_ulonglong n, struct worker_terr *e)
{
    char why[640];
    if (rc)
        snprintf(why, sizeof why, "%.600s", e->msg);   /* names the statement */
    else
        snprintf(why, sizeof why, "%s; sql: %.400s",
                 n ? "it matched more than one row"
                   : "no target row at its old key equals its before-image", sql);
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                    "safe mode cannot apply an UPDATE from a partial binlog row image (source "
                    "binlog_row_image MINIMAL or NOBLOB) that changes the row's key; after a "
                    "restart the target may already hold this change (a replay would move or "
                    "lose another row); log FULL row images on the source: %s", why);
    e->transient = false;
    return rc && rc != DM_E_DB ? rc : DM_E_INVAL;
}

/* A key-less row's first statement matched n != 1 rows; nwide: rows of its FLOAT fallback
 * (2: two or more), -1: no fallback. */
static int keyless_not_found(const char *sql, my_ulonglong n, long long nwide,
                             struct worker_terr *e)
{
    char why[160] = "";
    if (nwide >= 0)
        snprintf(why, sizeof why, "; %s with its FLOAT values rounded to 6 significant digits "
                 "as a dump tool loads them%s", nwide == 0 ? "none" : "2 or more",
                 nwide == 0 ? "" : ", which one is unknown");
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_DOWNSTREAM, WTE_LEVEL_HIGH,
                    "key-less row not found on the target (%llu rows matched, 1 expected%s): "
                    "the target differs from the source; sql: %.400s", (unsigned long long)n,
                    why, sql);
    e->transient = false;
    return DM_E_INVAL;
}

/* Whether alt (count NUL wide NUL exact) has three parts and exact starts sql (then up to
 * its end or a ';'), as gen_float_alt makes it; else the fallback is not used. */
static bool alt_has_prefix(const char *sql, size_t len, const char *alt, size_t alt_len)
{
    const char *end = alt + alt_len, *wide = memchr(alt, '\0', alt_len), *exact;
    size_t elen;
    if (!wide || !(exact = memchr(wide + 1, '\0', (size_t)(end - wide - 1))))
        return false;
    elen = (size_t)(end - ++exact);
    return elen && elen <= len && memcmp(sql, exact, elen) == 0 &&
           (elen == len || sql[elen] == ';');
}

/* worker_applier_exec_one_row of a key-less row with a FLOAT fallback: alt = count query
 * NUL widened first statement NUL exact first statement (the start of sql). */
static int exec_keyless_alt(struct worker_applier *a, const char *sql, size_t len,
                            const char *alt, size_t alt_len, struct worker_terr *e)
{
    const char *check = alt, *wide = check + strlen(check) + 1;
    const char *exact = wide + strlen(wide) + 1;
    size_t elen = (size_t)(alt + alt_len - exact);
    long long nwide = -1;
    char cnt[32];
    my_ulonglong n;
    int rc = worker_applier_exec_multi(a, exact, elen, 1, e);
    if (rc)
        return rc;
    n = a->first_rows;
    if (n == 0) {
        if ((rc = worker_applier_query_text(a, check, cnt, sizeof cnt, e)))
            return rc;
        nwide = strtoll(cnt, NULL, 10);
    }
    if (n == 0 && nwide == 1) {
        if ((rc = worker_applier_exec_multi(a, wide, strlen(wide), 0, e)))
            return rc;
        n = a->first_rows;
        dm_log_kv(DM_LOG_DEBUG, "key-less row found with its FLOAT values as a dump loads them",
                  "sql", wide, NULL);
    }
    if (n != 1)
        return keyless_not_found(exact, n, nwide, e);
    if (len > elen + 1 && sql[elen] == ';')
        rc = worker_applier_exec_multi(a, sql + elen + 1, len - elen - 1, 0, e);
    return rc;
}

int worker_applier_exec_one_row(struct worker_applier *a, const char *sql, size_t len,
                                bool keyless, const char *alt, size_t alt_len,
                                struct worker_terr *e)
{
    my_ulonglong n;
    int rc;
    if (keyless && alt && alt_has_prefix(sql, len, alt, alt_len))
        return exec_keyless_alt(a, sql, len, alt, alt_len, e);
    rc = worker_applier_exec_multi(a, sql, len, 1, e);
    if (rc && !keyless && mysql_errno(a->my) == ER_DUP_ENTRY)
        return partial_replay_error(sql, rc, 0, e);
    if (rc)
        return rc;
    n = a->first_rows;
    if (n == 1)
        return DM_OK;
    if (!keyless)
        return partial_replay_error(sql, DM_OK, n, e);
    return keyless_not_found(sql, n, -1, e);
}

int worker_applier_tune_dml(struct worker_applier *a, struct worker_terr *e)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    bool stmt_binlog = false;
    int rc = worker_ap_query(a, "SELECT @@log_bin, @@binlog_format", &res, e);
    if (rc)
        return rc;
    row = mysql_fetch_row(res);
    if (row && row[0] && row[1])
        stmt_binlog = strcmp(row[0], "1") == 0 && strcasecmp(row[1], "STATEMENT") == 0;
    mysql_free_result(res);
    if (!stmt_binlog &&
        (rc = worker_ap_run(a, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", 54, e)))
        return rc;
    return worker_applier_exec(a, "SET SESSION innodb_lock_wait_timeout=5", e);
}

void worker_applier_rollback(struct worker_applier *a)
{
    if (a->in_txn && a->my)
        (void)mysql_real_query(a->my, "ROLLBACK", 8);
    a->in_txn = false;
    a->txn_rows = 0;
}

bool worker_applier_in_txn(const struct worker_applier *a) { return a->in_txn; }
size_t worker_applier_txn_rows(const struct worker_applier *a) { return a->txn_rows; }

/* ---- DDL ---- */

static bool benign_ddl_error(unsigned int n)
{
    switch (n) {
    case ER_DB_CREATE_EXISTS:      /* 1007 */
    case ER_DB_DROP_EXISTS:        /* 1008 */
    case ER_TABLE_EXISTS_ERROR:    /* 1050 */
    case ER_BAD_TABLE_ERROR:       /* 1051 */
    case ER_DUP_FIELDNAME:         /* 1060 */
    case ER_DUP_KEYNAME:           /* 1061 */
    case ER_CANT_DROP_FIELD_OR_KEY:/* 1091 */
    case ER_NO_SUCH_TABLE:         /* 1146 */
        return true;
    default:
        return false;
    }
}

/* sql_mode bits the DDL emitter already normalised the statement text for (ddl.h). */
#define MODE_ANSI_QUOTES (1ull << 2)
#define MODE_NO_BACKSLASH_ESCAPES (1ull << 20)

/* The source session's context of a DDL (QUERY event status variables): its clock (SET
 * TIMESTAMP: DEFAULT CURRENT_TIMESTAMP / NOW() of existing rows), sql_mode (DEFAULT
 * expressions, PIPES_AS_CONCAT, NO_AUTO_VALUE_ON_ZERO of an ALTER to AUTO_INCREMENT),
 * time zone (TIMESTAMP default literals), charsets (the bytes of string literals) and
 * explicit_defaults_for_timestamp (the NULL/DEFAULT/ON UPDATE a TIMESTAMP column gets). */
static int ddl_session(struct worker_applier *a, const struct bl_event *ev, struct worker_terr *e)
{
    struct dm_buf q;
    int rc;
    dm_buf_init(&q, 1024);
    rc = dm_buf_printf(&q, "SET timestamp=%u", ev->timestamp);
    if (!rc && ev->usec >= 0)
        rc = dm_buf_printf(&q, ".%06d", (int)ev->usec);
    if (!rc && ev->has_sql_mode)
        rc = dm_buf_printf(&q, ", sql_mode=%llu", (unsigned long long)(ev->sql_mode &
                           ~(MODE_ANSI_QUOTES | MODE_NO_BACKSLASH_ESCAPES)));
    if (!rc && ev->time_zone[0]) {
        rc = dm_buf_adds(&q, ", time_zone=");
        if (!rc)
            rc = worker_ap_add_escaped(a, &q, ev->time_zone, strlen(ev->time_zone));
    }
    if (!rc && ev->has_flags2)    /* CREATE/ALTER of TIMESTAMP columns without defaults */
        rc = dm_buf_printf(&q, ", explicit_defaults_for_timestamp=%d",
                           (ev->flags2 & BL_FLAGS2_EXPLICIT_DEF_TIMESTAMP) ? 1 : 0);
    if (!rc && ev->has_charset)
        rc = dm_buf_printf(&q, ", character_set_client=%u, collation_connection=%u, "
                           "collation_server=%u", ev->charset[0], ev->charset[1], ev->charset[2]);
    if (rc)
        rc = worker_ap_nomem(e);
    else if (mysql_real_query(a->my, q.data, (unsigned long)q.len) != 0)
        rc = worker_ap_db_error(a, "set the source session of the DDL", q.data, e);
    dm_buf_free(&q);
    return rc;
}

/* Back to BASE_SESSION after a DDL (errors show at the next statement). */
static void ddl_session_reset(struct worker_applier *a)
{
    static const char *const q[] = { "SET NAMES utf8mb4", "SET timestamp=DEFAULT, "
                                     "collation_server=DEFAULT, "
                                     "explicit_defaults_for_timestamp=DEFAULT", BASE_SESSION };
    size_t i;
    for (i = 0; i < sizeof q / sizeof q[0]; i++)
        (void)mysql_real_query(a->my, q[i], (unsigned long)strlen(q[i]));
}

static int ddl_run(struct worker_applier *a, const char *use_schema, const char *sql,
                   struct worker_terr *e)
{
    struct dm_buf q;
    worker_applier_invalidate(a, NULL, NULL);
    a->ddl_ignored = 0;
    if (use_schema && use_schema[0]) {
        dm_buf_init(&q, 1024);
        if (dm_buf_adds(&q, "USE ") || worker_ap_add_ident(&q, use_schema)) {
            dm_buf_free(&q);
            return worker_ap_nomem(e);
        }
        if (mysql_real_query(a->my, q.data, (unsigned long)q.len) != 0 &&
            conn_errno(mysql_errno(a->my))) {
            dm_buf_free(&q);
            return worker_ap_db_error(a, "execute statement failed", q.data, e);
        }
        dm_buf_free(&q);
    }
    if (mysql_real_query(a->my, sql, (unsigned long)strlen(sql)) == 0) {
        worker_ap_created_note(a, use_schema, sql, mysql_warning_count(a->my) > 0);
        return DM_OK;
    }
    if (benign_ddl_error(mysql_errno(a->my))) {
        dm_log_kv(DM_LOG_INFO, "ignore DDL error", "sql", sql, "error", mysql_error(a->my), NULL);
        a->ddl_ignored = mysql_errno(a->my);
        return DM_OK;
    }
    return worker_ap_db_error(a, "execute statement failed", sql, e);
}

unsigned worker_applier_ddl_ignored(const struct worker_applier *a)
{
    return a->ddl_ignored;
}

int worker_applier_ddl(struct worker_applier *a, const char *use_schema, const char *sql,
                       const struct bl_event *ev, struct worker_terr *e)
{
    int rc = ev ? ddl_session(a, ev, e) : DM_OK;
    if (!rc)
        rc = ddl_run(a, use_schema, sql, e);
    if (ev)
        ddl_session_reset(a);
    return rc;
}

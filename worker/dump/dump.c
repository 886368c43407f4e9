/* dump.c - the Dump unit: mydumper as a child process (dump.h). */
#include "dump.h"
#include "mysql_conn.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "buf.h"
#include "dm_dumpargs.h"
#include "dump_chunks.h"
#include "dm_error.h"
#include "dump_cols.h"
#include "fsutil.h"
#include "log.h"

#define TAIL_CAP 4096          /* stderr bytes kept for the error message */
#define MAX_ARGS 256
#define KILL_GRACE_MS 2000
#define STALL_MS 60000         /* no output growth this long: mydumper is hung, kill it */
#define PACKAGE_HINT "install the Debian package `mydumper` (apt-get install mydumper) or set mydumper-path"

struct worker_dump {
    pthread_mutex_t mu;
    pid_t pid;                 /* running child's pid (its own process group), 0 if none */
    bool canceled;
};

struct worker_dump *worker_dump_new(void)
{
    struct worker_dump *d = calloc(1, sizeof *d);
    if (d)
        pthread_mutex_init(&d->mu, NULL);
    return d;
}

void worker_dump_free(struct worker_dump *d)
{
    if (!d)
        return;
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void worker_dump_cancel(struct worker_dump *d)
{
    pthread_mutex_lock(&d->mu);
    d->canceled = true;
    if (d->pid > 0)
        kill(-d->pid, SIGTERM);
    pthread_mutex_unlock(&d->mu);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3)))
static void derr(struct worker_terr *e, const char *fmt, ...)
{
    va_list ap;
    char msg[sizeof e->msg];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    worker_terr_set(e, WTE_DUMP_RUNTIME, WTE_CLASS_DUMP_UNIT, WTE_SCOPE_INTERNAL, WTE_LEVEL_HIGH,
                    "mydumper runs with error: %s", msg);
}

/* ---- executable, arguments ---- */

static bool executable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int worker_dump_resolve(const char *path, char *out, size_t cap, char *err, size_t ecap)
{
    const char *env = getenv("PATH");
    char cand[4096];
    if (path && path[0] && executable(path)) {
        snprintf(out, cap, "%s", path);
        return DM_OK;
    }
    if (path && path[0] && strcmp(path, "./bin/mydumper") != 0 && strcmp(path, "mydumper") != 0) {
        snprintf(err, ecap, "mydumper-path %s is not an executable file: %s", path, PACKAGE_HINT);
        return DM_E_NOT_FOUND;
    }
    for (const char *p = env ? env : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(cand, sizeof cand, "%.*s/mydumper", (int)n, p);
        if (n && executable(cand)) {
            snprintf(out, cap, "%s", cand);
            return DM_OK;
        }
        p += n + (p[n] == ':');
    }
    snprintf(err, ecap, "mydumper not found (mydumper-path %s, PATH): %s",
             path && path[0] ? path : "\"\"", PACKAGE_HINT);
    return DM_E_NOT_FOUND;
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

int worker_dump_tables_regex(const char *const *tables, size_t n, char **out)
{
    struct dm_buf b;
    size_t i;
    int rc = DM_OK;
    dm_buf_init(&b, 16u << 20);
    *out = NULL;
    rc = dm_buf_adds(&b, "^(");
    for (i = 0; !rc && i < n; i++) {
        if (i)
            rc = dm_buf_addc(&b, '|');
        for (const char *s = tables[i]; !rc && *s; s++) {
            if ((unsigned char)*s >= 0x80) {   /* as \xHH: mydumper parses arguments as ASCII */
                rc = dm_buf_printf(&b, "\\x%02X", (unsigned)(unsigned char)*s);
                continue;
            }
            if (strchr("\\^$.|?*+()[]{}", *s))
                rc = dm_buf_addc(&b, '\\');
            if (!rc)
                rc = dm_buf_addc(&b, *s);
        }
    }
    if (!rc)
        rc = dm_buf_adds(&b, ")$");
    if (!rc)
        *out = dm_buf_take(&b);
    dm_buf_free(&b);
    return rc;
}

/* The source tables the black-white-list keeps ("db.tbl" each, sorted by db). */
struct tables {
    char **names;
    size_t *dblen;             /* per name: length of its database part (names may hold dots) */
    size_t n, cap;
    char *db;                  /* the one database they all belong to, NULL when several */
    bool several_dbs;
    bool non_innodb;           /* a kept base table is not InnoDB (MyISAM, ...) */
    char **cols;               /* per name: its columns before the dump ("a\nb\n"), NULL: view */
};

static void tables_free(struct tables *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->names[i]);
        free(t->cols ? t->cols[i] : NULL);
    }
    free(t->cols);
    free(t->names);
    free(t->dblen);
    free(t->db);
    memset(t, 0, sizeof *t);
}

static int tables_add(struct tables *t, const char *db, const char *tbl)
{
    char **tmp;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        if (!(tmp = realloc(t->names, nc * sizeof *tmp)))
            return DM_E_NOMEM;
        t->names = tmp;
        size_t *dl = realloc(t->dblen, nc * sizeof *dl);
        if (!dl)
            return DM_E_NOMEM;
        t->dblen = dl;
        t->cap = nc;
    }
    if (asprintf(&t->names[t->n], "%s.%s", db, tbl) < 0)
        return DM_E_NOMEM;
    t->dblen[t->n] = strlen(db);
    t->n++;
    if (!t->db && !t->several_dbs && !(t->db = strdup(db)))
        return DM_E_NOMEM;
    if (t->db && strcmp(t->db, db) != 0) {
        free(t->db);
        t->db = NULL;
        t->several_dbs = true;
    }
    return DM_OK;
}

/* A connection to the source (utf8mb4), NULL with *e set. */
static MYSQL *src_connect(const struct worker_dump_params *p, struct worker_terr *e)
{
    char msg[512];
    unsigned en;
    MYSQL *m = worker_mysql_connect(p->src, 0, 0, 0, &en, msg, sizeof msg);
    if (!m && !en) {
        derr(e, "out of memory");
        return NULL;
    }
    if (m && mysql_set_character_set(m, "utf8mb4")) {
        snprintf(msg, sizeof msg, "%s", mysql_error(m));
        mysql_close(m);
        m = NULL;
    }
    if (!m) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                        "database driver error: connect to the source: %s", msg);
        e->transient = true;
    }
    return m;
}

/* Every source table the black-white-list keeps. */
static int list_tables(const struct worker_dump_params *p, struct tables *t,
                       struct worker_terr *e)
{
    MYSQL *m = src_connect(p, e);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = DM_E_DB;
    if (!m)
        return DM_E_DB;
    if (mysql_query(m, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE = 'BASE TABLE' AND "
                       "IFNULL(ENGINE, '') <> 'InnoDB' FROM information_schema.TABLES "
                       "ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME") ||
        !(res = mysql_store_result(m))) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                        "database driver error: list source tables: %s", mysql_error(m));
        e->transient = mysql_errno(m) >= 2000;
        goto out;
    }
    rc = DM_OK;
    while (!rc && (row = mysql_fetch_row(res)))
        if (row[0] && row[1] && worker_rules_bwl_allow(p->rules, row[0], row[1])) {
            rc = tables_add(t, row[0], row[1]);
            t->non_innodb = t->non_innodb || (row[2] && strcmp(row[2], "1") == 0);
        }
    if (!rc && t->n == 0) {
        derr(e, "no table of the source matches the black-white-list");
        rc = DM_E_INVAL;
    }
out:
    if (res)
        mysql_free_result(res);
    mysql_close(m);
    return rc;
}

/* ---- FLOAT columns: mydumper's text loses digits ----
 * The server sends a FLOAT (no declared scale) as text with 6 significant digits
 * (1.2345679 -> "1.23457", 16777216 -> "16777200"), and mydumper writes that text into
 * its INSERTs: the target would hold other values, silently. Before the dump, every FLOAT
 * column of a dumped base table (not generated) is checked: a value its 6-digit text does
 * not give back makes the dump fail (not transient), naming the column. Values written
 * between this check and mydumper's snapshot are not checked (well under a second). */

static int float_query(MYSQL *m, const char *q, MYSQL_RES **res, struct worker_terr *e)
{
    if (mysql_query(m, q) == 0 && (*res = mysql_store_result(m)))
        return DM_OK;
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "database driver error: check FLOAT columns on the source: %s",
                    mysql_error(m));
    e->transient = mysql_errno(m) >= 2000;
    return DM_E_DB;
}

/* Rows of `s`.`t` whose FLOAT `c` its 6-digit text does not give back (-1: error). */
static long long float_lossy(MYSQL *m, const char *s, const char *t, const char *c,
                             struct worker_terr *e)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    long long n = -1;
    dm_buf_init(&q, 4096);
    if (dm_buf_printf(&q, "SELECT COUNT(*) FROM `%s`.`%s` WHERE `%s` <> CAST(CAST(`%s` AS "
                          "CHAR) AS FLOAT)", s, t, c, c)) {
        dm_buf_free(&q);
        derr(e, "out of memory");
        return -1;
    }
    if (float_query(m, q.data, &res, e) == DM_OK) {
        row = mysql_fetch_row(res);
        n = row && row[0] ? atoll(row[0]) : 0;
        mysql_free_result(res);
    }
    dm_buf_free(&q);
    return n;
}

static bool plain_ident(const char *s)
{
    return s && !strchr(s, '`');
}

static int check_floats(const struct worker_dump_params *p, struct worker_terr *e)
{
    MYSQL *m = src_connect(p, e);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    if (!m)
        return DM_E_DB;
    rc = float_query(m, "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME FROM "
                        "information_schema.COLUMNS c JOIN information_schema.TABLES t ON "
                        "t.TABLE_SCHEMA = BINARY c.TABLE_SCHEMA AND t.TABLE_NAME = BINARY "
                        "c.TABLE_NAME WHERE "
                        "t.TABLE_TYPE = 'BASE TABLE' AND c.DATA_TYPE = 'float' AND "
                        "c.NUMERIC_SCALE IS NULL AND c.IS_GENERATED = 'NEVER' AND "
                        "c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', "
                        "'performance_schema', 'sys')", &res, e);
    while (!rc && (row = mysql_fetch_row(res))) {
        long long n;
        if (!worker_rules_bwl_allow(p->rules, row[0], row[1]) || !plain_ident(row[0]) ||
            !plain_ident(row[1]) || !plain_ident(row[2]))
            continue;
        if ((n = float_lossy(m, row[0], row[1], row[2], e)) < 0) {
            rc = DM_E_DB;
        } else if (n > 0) {
            worker_terr_set(e, WTE_DUMP_RUNTIME, WTE_CLASS_DUMP_UNIT, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "FLOAT column `%s`.`%s`.`%s` not supported by the "
                            "dump: %lld of its values lose digits in mydumper's text (the "
                            "source prints a FLOAT with 6 significant digits, 1.2345679 as "
                            "1.23457) and the target would hold other values; change the "
                            "column to DOUBLE or FLOAT(M,D), or copy the table exactly and use "
                            "task-mode incremental", row[0], row[1], row[2], n);
            rc = DM_E_INVAL;
        }
    }
    if (res)
        mysql_free_result(res);
    mysql_close(m);
    return rc;
}

/* 1 when "db.tbl" (as listed) is still a table of the source, 0 when not, -1 on error. */
static int still_exists(MYSQL *m, const char *name)
{
    char q[2400], esc[2100];
    MYSQL_RES *res;
    int n = -1;
    if (strlen(name) >= sizeof esc / 2)
        return -1;
    mysql_real_escape_string(m, esc, name, (unsigned long)strlen(name));
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                          "BINARY CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) = '%s'", esc);
    if (mysql_query(m, q) == 0 && (res = mysql_store_result(m))) {
        MYSQL_ROW row = mysql_fetch_row(res);
        n = row && row[0] && atoi(row[0]) > 0;
        mysql_free_result(res);
    }
    return n;
}

/* Whether the dump has the schema (or view) file of "db.tbl". */
static bool dumped(const struct worker_dump_params *p, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-schema.sql", p->dir, name);
    if (access(path, F_OK) == 0)
        return true;
    snprintf(path, sizeof path, "%s/%s-schema-view.sql", p->dir, name);
    return access(path, F_OK) == 0;
}

/* The index of the next listed table from `from` on that the dump lacks although the
 * source still has it (one dropped before the dump's snapshot is rightly absent); *m is
 * connected on first need. t->n when there is none, -1 when the source cannot be reached. */
static long next_missing(const struct worker_dump_params *p, const struct tables *t,
                         size_t from, MYSQL **m, struct worker_terr *e)
{
    for (size_t i = from; i < t->n; i++) {
        if (dumped(p, t->names[i]))
            continue;
        if (!*m && !(*m = src_connect(p, e)))
            return -1;
        if (still_exists(*m, t->names[i]) == 0) {
            dm_log_kv(DM_LOG_INFO, "table dropped before the dump's snapshot, not dumped",
                      "table", t->names[i], NULL);
            continue;
        }
        return (long)i;
    }
    return (long)t->n;
}

/* mydumper exited 0 on the user's own table options (extra-args -x / -T / -B): every table
 * the black-white-list keeps and the source still has must be in the dump, else a `full`
 * task would finish without it, silently (an `all` task would pause in Sync on its first
 * row event). Not transient: the options leave it out on every run (or 0.10.1's listing
 * race did, see check_output: a resume dumps again). */
static int check_user_tables(const struct worker_dump_params *p, const struct tables *t,
                             struct worker_terr *e)
{
    struct dm_buf miss;
    MYSQL *m = NULL;
    size_t n = 0;
    int rc = DM_OK;
    long i;
    dm_buf_init(&miss, 4096);
    for (i = next_missing(p, t, 0, &m, e); i >= 0 && (size_t)i < t->n;
         i = next_missing(p, t, (size_t)i + 1, &m, e)) {
        if (miss.len < 1500 && dm_buf_printf(&miss, "%s%s", n ? ", " : "", t->names[i])) {
            rc = DM_E_NOMEM;
            break;
        }
        n++;
    }
    if (!rc && i < 0)
        rc = DM_E_DB;
    if (!rc && n) {
        derr(e, "the table options of extra-args (-x / -T / -B) left %zu table(s) the "
                "black-white-list keeps out of the dump: %s%s; choose tables with the "
                "black-white-list (or make extra-args keep them), then resume", n, miss.data,
             miss.len >= 1500 ? ", ..." : "");
        rc = DM_E_INVAL;
    }
    if (m)
        mysql_close(m);
    dm_buf_free(&miss);
    return rc;
}

/* mydumper exited 0: every listed table must have its schema file unless it is no longer
 * on the source (dropped before the dump's snapshot: rightly absent). 0.10.1 counts
 * database-listing jobs with a counter its threads can bring to zero before the main
 * thread has queued every database; it then goes on with the tables found so far (and
 * later pushes onto a freed queue: the hang). A table missing that way would be a silent
 * partial dump. */
static int check_output(const struct worker_dump_params *p, const struct tables *t,
                        struct worker_terr *e)
{
    MYSQL *m = NULL;
    int rc = DM_OK;
    long i = next_missing(p, t, 0, &m, e);
    if (i < 0) {
        rc = DM_E_DB;
    } else if ((size_t)i < t->n) {
        derr(e, "the dump has no schema file for table %s although the source has it "
                "(mydumper 0.10.1's database-listing race): dumping again", t->names[i]);
        e->transient = true;
        rc = DM_E_INTERNAL;
    }
    if (m)
        mysql_close(m);
    return rc;
}

/* ---- DDL between mydumper's snapshot and its reading of a table (dump_cols.h) ---- */

static int name_index(const struct tables *t, const char *db, const char *tbl)
{
    size_t dl = strlen(db);
    for (size_t i = 0; i < t->n; i++)
        if (t->dblen[i] == dl && strncmp(t->names[i], db, dl) == 0 &&
            strcmp(t->names[i] + dl + 1, tbl) == 0)
            return (int)i;
    return -1;
}

/* "SELECT schema, table, 'col\ncol\n'" for the kept tables' databases (no view) */
static int columns_query(MYSQL *m, const struct tables *t, struct dm_buf *q)
{
    char esc[1100];
    int rc = dm_buf_adds(q, "SELECT BINARY c.TABLE_SCHEMA s, BINARY c.TABLE_NAME n, "
                            "CONCAT(GROUP_CONCAT(c.COLUMN_NAME ORDER BY c.ORDINAL_POSITION "
                            "SEPARATOR '\\n'), '\\n') FROM information_schema.COLUMNS c JOIN "
                            "information_schema.TABLES t ON t.TABLE_SCHEMA = BINARY "
                            "c.TABLE_SCHEMA AND t.TABLE_NAME = BINARY c.TABLE_NAME "
                            "AND t.TABLE_TYPE <> 'VIEW' WHERE c.TABLE_SCHEMA IN (");
    for (size_t i = 0; !rc && i < t->n; i++) {
        if (t->dblen[i] * 2 + 1 > sizeof esc)
            return DM_E_TOO_LARGE;
        if (i && t->dblen[i] == t->dblen[i - 1] &&
            strncmp(t->names[i], t->names[i - 1], t->dblen[i]) == 0)
            continue;   /* sorted by database: one entry each */
        mysql_real_escape_string(m, esc, t->names[i], (unsigned long)t->dblen[i]);
        rc = dm_buf_printf(q, "%s'%s'", i ? "," : "", esc);
    }
    return rc ? rc : dm_buf_adds(q, ") GROUP BY s, n");   /* names apart by their bytes */
}

/* Before the dump: the columns of every kept table that is not a view. */
static int list_columns(const struct worker_dump_params *p, struct tables *t,
                        struct worker_terr *e)
{
    MYSQL *m;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    struct dm_buf q;
    int rc = DM_E_DB, i;
    if (!(t->cols = calloc(t->n ? t->n : 1, sizeof *t->cols)))
        return DM_E_NOMEM;
    if (!(m = src_connect(p, e)))
        return DM_E_DB;
    dm_buf_init(&q, 16u << 20);
    if (columns_query(m, t, &q)) {
        derr(e, "the database list is too long for the column query");
        rc = DM_E_TOO_LARGE;
        goto out;
    }
    if (mysql_query(m, "SET SESSION group_concat_max_len = 16777216") ||
        mysql_query(m, q.data) || !(res = mysql_store_result(m))) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                        "database driver error: list source columns: %s", mysql_error(m));
        e->transient = mysql_errno(m) >= 2000;
        goto out;
    }
    rc = DM_OK;
    while (!rc && (row = mysql_fetch_row(res)))
        if (row[0] && row[1] && row[2] && (i = name_index(t, row[0], row[1])) >= 0 &&
            !t->cols[i] && !(t->cols[i] = strdup(row[2])))
            rc = DM_E_NOMEM;
out:
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    mysql_close(m);
    return rc;
}

/* After the dump: every dumped CREATE TABLE has the columns the table had before the
 * snapshot, else a DDL ran after the snapshot and before mydumper read the table: dump
 * again (transient; a DDL between the listing and the snapshot costs a dump as well). */
static int check_columns(const struct worker_dump_params *p, const struct tables *t,
                         struct worker_terr *e)
{
    char path[4096], *text = NULL;
    struct dm_buf got;
    int rc = DM_OK, found;
    dm_buf_init(&got, 16u << 20);
    for (size_t i = 0; !rc && t->cols && i < t->n; i++) {
        snprintf(path, sizeof path, "%s/%s-schema.sql", p->dir, t->names[i]);
        if (!t->cols[i] || dm_read_file(path, 64u << 20, &text, NULL))
            continue;   /* a view, or no schema file (check_output) */
        if ((found = worker_dump_create_columns(text, &got)) < 0)
            rc = DM_E_NOMEM;
        else if (found && (got.len != strlen(t->cols[i]) ||
                           memcmp(got.data, t->cols[i], got.len) != 0)) {
            derr(e, "table %s was dumped with other columns than it had before the dump's "
                    "snapshot (a DDL ran on the source after the snapshot and before mydumper "
                    "read the table; the Sync would replay it and the rows before it over the "
                    "dumped table): dumping again", t->names[i]);
            e->transient = true;
            rc = DM_E_INTERNAL;
        }
        free(text);
        text = NULL;
    }
    dm_buf_free(&got);
    return rc;
}

/* SHOW CREATE DATABASE of db into <dir>/<db>-schema-create.sql, as mydumper -B writes it */
static int db_file(MYSQL *m, const struct worker_dump_params *p, const char *db,
                   struct worker_terr *e)
{
    char path[4096], q[700], esc[520];
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    FILE *fp;
    int rc = DM_E_DB;
    snprintf(path, sizeof path, "%s/%s-schema-create.sql", p->dir, db);
    if (access(path, F_OK) == 0 || strlen(db) > 256)
        return DM_OK;
    for (size_t i = 0, k = 0; (esc[k++] = db[i]); i++)
        if (db[i] == '`')
            esc[k++] = '`';
    snprintf(q, sizeof q, "SHOW CREATE DATABASE `%s`", esc);
    if (mysql_query(m, q) || !(res = mysql_store_result(m)) || !(row = mysql_fetch_row(res)) ||
        !row[1]) {
        derr(e, "SHOW CREATE DATABASE %s: %s", db, mysql_error(m));
        e->transient = true;
    } else if (!(fp = fopen(path, "w")) || fprintf(fp, "%s;\n", row[1]) < 0 || fclose(fp)) {
        derr(e, "write %s: %s", path, strerror(errno));
        rc = DM_E_IO;
    } else {
        rc = DM_OK;
    }
    if (res)
        mysql_free_result(res);
    return rc;
}

/* Every dumped database has its schema file (mydumper writes it only for --database). */
static int db_files(const struct worker_dump_params *p, const struct tables *t,
                    struct worker_terr *e)
{
    char db[300];
    MYSQL *m = NULL;
    int rc = DM_OK;
    for (size_t i = 0; !rc && i < t->n; i++) {
        if (t->dblen[i] >= sizeof db || (i && t->dblen[i] == t->dblen[i - 1] &&
                                         strncmp(t->names[i], t->names[i - 1], t->dblen[i]) == 0))
            continue;
        snprintf(db, sizeof db, "%.*s", (int)t->dblen[i], t->names[i]);
        if (ascii(db))
            continue;   /* dumped with --database */
        if (!m && !(m = src_connect(p, e)))
            return DM_E_DB;
        rc = db_file(m, p, db, e);
    }
    if (m)
        mysql_close(m);
    return rc;
}

static bool listed(const struct tables *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0)
            return true;
    return false;
}

/* mydumper exited 0: the tables were listed before mydumper took its snapshot, so a table
 * created (or renamed) into the black-white-list in between is neither in the dump nor
 * after the dump's position in the binlog: the target would never get it. A kept table of
 * the source now that was not listed and has no schema file in the dump may be such a one
 * (or one created after the snapshot, which the Sync would create): dump again, to be
 * sure, with a transient error (auto-resume). */
static int check_new_tables(const struct worker_dump_params *p, const struct tables *t,
                            struct worker_terr *e)
{
    struct tables now = { 0 };
    char path[4096];
    int rc = list_tables(p, &now, e);
    for (size_t i = 0; !rc && i < now.n; i++) {
        if (listed(t, now.names[i]))
            continue;
        snprintf(path, sizeof path, "%s/%s-schema.sql", p->dir, now.names[i]);
        if (access(path, F_OK) == 0)
            continue;
        derr(e, "table %s appeared on the source during the dump (created or renamed before "
                "mydumper's snapshot?) and is not in it: dumping again", now.names[i]);
        e->transient = true;
        rc = DM_E_INTERNAL;
    }
    tables_free(&now);
    return rc;
}

/* extra-args split on blanks, one level of quotes stripped (DM's ParseArgLikeBash). */
static int split_extra(char *s, char **argv, size_t *argc, size_t max, bool *has_tables)
{
    static const char *const table_opts[] = { "-T", "--tables-list", "-x", "--regex", "-B",
                                              "--database", NULL };
    char *tok, *save = NULL;
    for (tok = strtok_r(s, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        size_t n = strlen(tok);
        if (*argc >= max)
            return DM_E_TOO_LARGE;
        if (n >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[n - 1] == tok[0]) {
            tok[n - 1] = '\0';
            tok++;
        }
        for (size_t i = 0; table_opts[i]; i++) {
            size_t l = strlen(table_opts[i]);
            if (strncmp(tok, table_opts[i], l) == 0 && (tok[l] == '\0' || tok[l] == '='))
                *has_tables = true;
        }
        argv[(*argc)++] = tok;
    }
    return DM_OK;
}

/* extra-args that let the dump leave tables out silently (common/dm_dumpargs.h) */
static int refuse_extra(const char *args, struct worker_terr *e)
{
    char flag[64] = "";
    const char *why = dm_dumpargs_refused(args, flag, sizeof flag);
    if (!why)
        return DM_OK;
    derr(e, "extra-args %s: %s; not supported by this worker (remove it; choose tables with "
         "the black-white-list)", flag, why);
    return DM_E_INVAL;
}

/* extra-args --rows: tables whose key mydumper's unsigned chunk arithmetic cannot split
 * (dump_chunks.h) fail the dump before it starts, not transient */
static int check_chunks(const struct worker_dump_params *p, const struct tables *t,
                        struct worker_terr *e)
{
    char msg[1200];
    bool transient = false;
    MYSQL *m;
    int r;
    if (!worker_dump_rows_chunking(p->cfg->extra_args))
        return DM_OK;
    if (!(m = src_connect(p, e)))
        return DM_E_DB;
    r = worker_dump_check_chunks(m, t->names, t->dblen, t->n, msg, sizeof msg, &transient);
    mysql_close(m);
    if (r == 0)
        return DM_OK;
    derr(e, "%s", msg);
    e->transient = transient;
    return r > 0 ? DM_E_INVAL : DM_E_DB;
}

/* ---- defaults file, output dir ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* [client] password="..." (option-file escapes) into `path`, mode 0600. */
static int write_defaults(const char *path, const char *password)
{
    struct dm_buf b;
    int rc;
    dm_buf_init(&b, 1u << 16);
    rc = dm_buf_adds(&b, "[client]\npassword=\"");
    for (const char *s = password ? password : ""; !rc && *s; s++) {
        if (*s == '\\' || *s == '"')
            rc = dm_buf_addc(&b, '\\');
        if (!rc)
            rc = dm_buf_addc(&b, *s);
    }
    if (!rc)
        rc = dm_buf_adds(&b, "\"\n");
    if (!rc)
        rc = dm_write_file_atomic_mode(path, b.data, b.len, 0600);
    dm_buf_free(&b);
    return rc;
}

/* ---- the child ---- */

struct tail {
    char buf[TAIL_CAP];
    size_t len;
};

static void tail_add(struct tail *t, const char *p, size_t n)
{
    if (n >= sizeof t->buf) {
        p += n - sizeof t->buf;
        n = sizeof t->buf;
    }
    if (t->len + n > sizeof t->buf) {
        size_t drop = t->len + n - sizeof t->buf;
        memmove(t->buf, t->buf + drop, t->len - drop);
        t->len -= drop;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

/* The last `max` bytes of the tail starting at a line, blanks folded. */
static void tail_text(const struct tail *t, char *out, size_t max)
{
    size_t from = t->len > max - 1 ? t->len - (max - 1) : 0, o = 0;
    while (from > 0 && from < t->len && t->buf[from - 1] != '\n')
        from++;
    for (size_t i = from; i < t->len && o + 1 < max; i++)
        out[o++] = t->buf[i] == '\n' ? ' ' : t->buf[i];
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* The child runs in process group pgid (0: its own). */
static pid_t spawn(const char *exe, char **argv, int errfd, pid_t pgid)
{
    pid_t pid = fork();
    if (pid > 0)
        setpgid(pid, pgid);   /* both sides: whichever runs first */
    if (pid != 0)
        return pid;
    sigset_t none;
    setpgid(0, pgid);
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* a kill -9 of the worker takes mydumper along */
    sigemptyset(&none);                 /* the worker blocks SIGTERM/SIGINT, ignores SIGPIPE */
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0)
        dup2(nul, 0);
    dup2(errfd, 1);   /* 0.10.1 prints "option parsing failed: ..." on stdout */
    dup2(errfd, 2);
    execv(exe, argv);
    dprintf(2, "exec %s: %s\n", exe, strerror(errno));
    _exit(127);
}

/* Bytes written so far under dir (files only, one level: mydumper's layout). */
static long long dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    long long n = 0;
    char path[4096];
    struct stat st;
    if (!d)
        return -1;
    while ((de = readdir(d))) {
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (de->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            n += st.st_size;
    }
    closedir(d);
    return n;
}

static int64_t stall_ms(void)
{
    const char *v = getenv("DMGW_DUMP_STALL_MS");
    return v && atoll(v) > 0 ? atoll(v) : STALL_MS;
}

/* ---- several databases: one mydumper per database, one snapshot ----
 * mydumper 0.10.1 has no way to dump tables of several databases without its racy
 * per-database listing (--tables-list never signals its main thread). So each database gets
 * its own mydumper (--database: one listing job, no race) with --no-locks, all started
 * while this connection holds FLUSH TABLES WITH READ LOCK: no write can land between their
 * snapshots, and every one records the same binlog position. The lock is released once
 * every child has started its snapshot transactions (a file other than metadata.partial in
 * its directory: written only after all its threads have started them) or ended; with a
 * non-InnoDB table it is held until the children end, as mydumper itself does. The
 * children write into <dir>/.part<i> and their files move into <dir> after they all
 * succeeded with equal positions. */

struct child {
    pid_t pid;
    int status;
    bool done;
    char *dir;                 /* its output directory */
};

static bool part_started(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    bool any = false;
    if (!d)
        return false;
    while (!any && (de = readdir(d)))
        any = de->d_name[0] != '.' && strcmp(de->d_name, "metadata.partial") != 0;
    closedir(d);
    return any;
}

/* FLUSH TABLES WITH READ LOCK held for the children's snapshots (NULL: none). */
struct snap_lock {
    MYSQL *m;
    bool hold_to_end;          /* non-InnoDB tables: released when the children end */
};

static void snap_unlock(struct snap_lock *l)
{
    if (!l || !l->m)
        return;
    mysql_query(l->m, "UNLOCK TABLES");
    mysql_close(l->m);
    l->m = NULL;
    dm_log_kv(DM_LOG_INFO, "dump snapshots started, source unlocked", NULL);
}

static void snap_maybe_unlock(struct snap_lock *l, const struct child *c, size_t n)
{
    if (!l || !l->m || l->hold_to_end)
        return;
    for (size_t i = 0; i < n; i++)
        if (!c[i].done && !part_started(c[i].dir))
            return;
    snap_unlock(l);
}

/* Read the children's stderr until they all exit; kill them (process group pgid) on cancel
 * or when their output stopped growing for stall_ms() (*stalled). *status = the first
 * failed child's wait status, else 0. */
static void supervise(struct worker_dump *d, pid_t pgid, struct child *c, size_t nc, int fd,
                      struct snap_lock *lock, struct tail *t, int *status, bool *stalled)
{
    int64_t term_at = 0, checked_at = mono_ms(), grew_at = mono_ms(), limit = stall_ms();
    long long bytes = -1;
    char buf[4096];
    bool eof = false;
    size_t left = nc;
    *stalled = false;
    *status = 0;
    while (left > 0) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        bool cancel;
        if (!eof && poll(&pfd, 1, 200) > 0) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0)
                tail_add(t, buf, (size_t)n);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                eof = true;
        } else if (eof) {
            usleep(50000);
        }
        for (size_t i = 0; i < nc; i++) {
            if (c[i].done || waitpid(c[i].pid, &c[i].status, WNOHANG) != c[i].pid)
                continue;
            c[i].done = true;
            left--;
            if (*status == 0 && c[i].status != 0)
                *status = c[i].status;
        }
        snap_maybe_unlock(lock, c, nc);
        pthread_mutex_lock(&d->mu);
        cancel = d->canceled || (*status != 0 && left > 0);   /* one failed: stop the rest */
        pthread_mutex_unlock(&d->mu);
        if (mono_ms() - checked_at >= 1000) {
            long long now_bytes = 0;
            for (size_t i = 0; i < nc; i++)
                now_bytes += dir_bytes(c[i].dir);
            checked_at = mono_ms();
            if (now_bytes != bytes) {
                bytes = now_bytes;
                grew_at = checked_at;
            } else if (!*stalled && checked_at - grew_at >= limit) {
                *stalled = true;   /* mydumper 0.10.1 now and then hangs after connecting */
                cancel = true;
            }
        }
        cancel = cancel || *stalled;
        if (cancel && left > 0 && !term_at) {
            kill(-pgid, SIGTERM);
            term_at = mono_ms();
        } else if (cancel && left > 0 && mono_ms() - term_at > KILL_GRACE_MS) {
            kill(-pgid, SIGKILL);
        }
    }
    snap_unlock(lock);
    while (!eof) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        tail_add(t, buf, (size_t)n);
    }
}

/* What one mydumper run dumps: into outdir, the tables of regex, --database db when db. */
struct run_spec {
    const char *outdir, *db, *regex;
    bool no_locks;
};

static int build_args(const struct worker_dump_params *p, const char *exe, const char *cnf,
                      char *extra, const struct run_spec *rs, char **argv, char nums[3][32],
                      bool *has_tables, struct worker_terr *e)
{
    const struct worker_subtask_cfg *c = p->cfg;
    size_t n = 0;
    *has_tables = false;
    argv[n++] = (char *)exe;
    argv[n++] = (char *)cnf;   /* --defaults-file=... must come first */
    argv[n++] = "--host";
    argv[n++] = (char *)p->src->host;
    argv[n++] = "--port";
    snprintf(nums[0], 32, "%d", p->src->port);
    argv[n++] = nums[0];
    argv[n++] = "--user";
    argv[n++] = (char *)p->src->user;
    argv[n++] = "--outputdir";
    argv[n++] = (char *)rs->outdir;
    argv[n++] = "--verbose";
    argv[n++] = "2";
    argv[n++] = "--threads";
    snprintf(nums[1], 32, "%d", c->threads);
    argv[n++] = nums[1];
    if (c->chunk_filesize > 0) {
        argv[n++] = "--chunk-filesize";
        snprintf(nums[2], 32, "%lld", (long long)c->chunk_filesize);
        argv[n++] = nums[2];
    }
    if (rs->no_locks)
        argv[n++] = "--no-locks";   /* our FLUSH TABLES WITH READ LOCK covers the snapshot */
    /* skip-tz-utc is not passed on: the dump is taken in UTC because the Load unit (like
     * the Sync unit) writes TIMESTAMPs as UTC instants (docs/worker.md) */
    if (split_extra(extra, argv, &n, MAX_ARGS - 6, has_tables)) {
        derr(e, "extra-args has too many arguments");
        return DM_E_INVAL;
    }
    if (!*has_tables && rs->db && ascii(rs->db)) {
        /* one database: -B, so 0.10.1 queues one database job (no listing race). 0.10.1 reads
         * its arguments in the C locale's charset: a non-ASCII name fails its option parsing
         * ("Invalid byte sequence in conversion input"), so such a database goes by the
         * regex alone (its tables as \xHH bytes; the listing race is then caught by
         * check_output, its database file written by db_files) */
        argv[n++] = "--database";
        argv[n++] = (char *)rs->db;
    }
    if (!*has_tables) {
        argv[n++] = "--regex";
        argv[n++] = (char *)rs->regex;
    }
    argv[n] = NULL;
    return DM_OK;
}

/* One child per database of t (names sorted by database); c[] gets their pids and dirs. */
static int spawn_parts(struct worker_dump *d, const struct worker_dump_params *p,
                       const char *exe, const char *cnf, const struct tables *t,
                       struct child *c, size_t *nc, int errfd, pid_t *pgid,
                       struct worker_terr *e)
{
    char nums[3][32], *argv[MAX_ARGS], db[256];
    int rc = DM_OK;
    bool has_tables;
    for (size_t i = 0; !rc && i < t->n;) {
        size_t j = i, dl = t->dblen[i];
        char *regex = NULL, *extra = strdup(p->cfg->extra_args ? p->cfg->extra_args : "");
        struct run_spec rs = { NULL, db, NULL, true };
        snprintf(db, sizeof db, "%.*s", (int)dl, t->names[i]);
        while (j < t->n && t->dblen[j] == dl && strncmp(t->names[j], t->names[i], dl + 1) == 0)
            j++;
        rc = !extra || asprintf(&c[*nc].dir, "%s/.part%zu", p->dir, *nc) < 0 ? DM_E_NOMEM
             : worker_dump_tables_regex((const char *const *)t->names + i, j - i, &regex);
        if (!rc && dm_mkdir_p(c[*nc].dir, 0755)) {
            derr(e, "cannot create %s: %s", c[*nc].dir, strerror(errno));
            rc = DM_E_IO;
        }
        rs.outdir = c[*nc].dir;
        rs.regex = regex;
        if (!rc)
            rc = build_args(p, exe, cnf, extra, &rs, argv, nums, &has_tables, e);
        if (!rc) {
            pthread_mutex_lock(&d->mu);
            c[*nc].pid = d->canceled ? -2 : spawn(exe, argv, errfd, *pgid);
            if (c[*nc].pid > 0 && !*pgid)
                d->pid = *pgid = c[*nc].pid;
            pthread_mutex_unlock(&d->mu);
            if (c[*nc].pid == -2) {
                derr(e, "dump canceled");
                rc = DM_E_CANCELLED;
            } else if (c[*nc].pid < 0) {
                derr(e, "fork: %s", strerror(errno));
                rc = DM_E_IO;
            } else {
                (*nc)++;
            }
        }
        free(regex);
        free(extra);
        i = j;
    }
    return rc;
}

/* The children all exited 0: equal positions, their files moved into p->dir. */
static int merge_parts(const struct worker_dump_params *p, const struct child *c, size_t nc,
                       struct worker_terr *e)
{
    struct worker_dump_pos first, pos;
    char err[600], from[4096], to[4096];
    for (size_t i = 0; i < nc; i++) {
        if (worker_dump_read_metadata(c[i].dir, i ? &pos : &first, err, sizeof err)) {
            derr(e, "%s", err);
            return DM_E_INTERNAL;
        }
        if (i && (strcmp(pos.file, first.file) != 0 || pos.pos != first.pos ||
                  strcmp(pos.gtid, first.gtid) != 0)) {
            derr(e, "the per-database dumps recorded different positions ((%s, %llu) and "
                    "(%s, %llu)): dumping again", first.file, (unsigned long long)first.pos,
                 pos.file, (unsigned long long)pos.pos);
            e->transient = true;
            return DM_E_INTERNAL;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        DIR *d = opendir(c[i].dir);
        struct dirent *de;
        int rc = d ? DM_OK : DM_E_IO;
        while (!rc && (de = readdir(d))) {
            if (de->d_name[0] == '.' || (i > 0 && strcmp(de->d_name, "metadata") == 0))
                continue;
            snprintf(from, sizeof from, "%s/%s", c[i].dir, de->d_name);
            snprintf(to, sizeof to, "%s/%s", p->dir, de->d_name);
            if (rename(from, to) != 0)
                rc = DM_E_IO;
        }
        if (d)
            closedir(d);
        if (rc) {
            derr(e, "move the dump of %s into %s: %s", c[i].dir, p->dir, strerror(errno));
            return rc;
        }
        nftw(c[i].dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    return DM_OK;
}

/* FLUSH TABLES WITH READ LOCK on a connection of our own, for spawn_parts. */
static int snap_lock_take(const struct worker_dump_params *p, const struct tables *t,
                          struct snap_lock *l, struct worker_terr *e)
{
    l->hold_to_end = t->non_innodb;
    if (!(l->m = src_connect(p, e)))
        return DM_E_DB;
    if (mysql_query(l->m, "FLUSH TABLES WITH READ LOCK")) {
        worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                        "database driver error: FLUSH TABLES WITH READ LOCK on the source: %s",
                        mysql_error(l->m));
        e->transient = mysql_errno(l->m) >= 2000;
        mysql_close(l->m);
        l->m = NULL;
        return DM_E_DB;
    }
    return DM_OK;
}

/* Spawn (one child, or one per database under the lock), supervise, and for several: merge.
 * *status / *stalled as supervise. */
static int run_children(struct worker_dump *d, const struct worker_dump_params *p,
                        const char *exe, const char *cnf, char *extra, const struct tables *t,
                        const char *regex, struct tail *tl, int *status, bool *stalled,
                        bool *user_tables, struct worker_terr *e)
{
    char nums[3][32], *argv[MAX_ARGS];
    struct run_spec rs = { p->dir, t->db, regex, false };
    struct snap_lock lock = { NULL, false };
    struct child *c = calloc(t->n ? t->n : 1, sizeof *c);
    size_t nc = 0;
    pid_t pgid = 0;
    int pipefd[2] = { -1, -1 }, rc = DM_OK;
    if (!c)
        return DM_E_NOMEM;
    if ((rc = build_args(p, exe, cnf, extra, &rs, argv, nums, user_tables, e)))
        goto out;
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        derr(e, "pipe: %s", strerror(errno));
        rc = DM_E_IO;
        goto out;
    }
    if (!*user_tables && t->several_dbs && !(rc = snap_lock_take(p, t, &lock, e))) {
        rc = spawn_parts(d, p, exe, cnf, t, c, &nc, pipefd[1], &pgid, e);
    } else if (!rc) {
        pthread_mutex_lock(&d->mu);
        c[0].pid = d->canceled ? -2 : spawn(exe, argv, pipefd[1], 0);
        if (c[0].pid > 0)
            d->pid = pgid = c[0].pid;
        pthread_mutex_unlock(&d->mu);
        rc = c[0].pid == -2 ? DM_E_CANCELLED : c[0].pid < 0 ? DM_E_IO : DM_OK;
        if (rc)
            derr(e, rc == DM_E_IO ? "fork failed" : "dump canceled");
        nc = !rc;
        c[0].dir = rc ? NULL : strdup(p->dir);
        if (!rc && !c[0].dir)
            rc = DM_E_NOMEM;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    if (rc && nc)
        kill(-pgid, SIGTERM);   /* a later database could not start: stop the others */
    if (nc) {
        dm_log_kv(DM_LOG_INFO, "dump started", "mydumper", exe, "dir", p->dir, NULL);
        supervise(d, pgid, c, nc, pipefd[0], &lock, tl, status, stalled);
    }
    snap_unlock(&lock);
    pthread_mutex_lock(&d->mu);
    d->pid = 0;
    pthread_mutex_unlock(&d->mu);
    if (!rc && nc > 1 && *status == 0 && !*stalled)
        rc = merge_parts(p, c, nc, e);
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    for (size_t i = 0; i < (nc ? nc : 1); i++)
        free(c[i].dir);
    free(c);
    return rc;
}

/* mydumper failed because its connection to the source went (source restarted, network,
 * KILL) or a table was recreated after its snapshot (TRUNCATE, a rebuilding ALTER: "Table
 * definition has changed, please retry transaction"): DM's task checker resumes such a
 * dump, and so does ours (transient). */
static bool retry_helps(const char *msg)
{
    static const char *const lost[] = { "Server has gone away", "server has gone away",
                                        "Lost connection to", "Can't connect to",
                                        "Error connecting to database",
                                        "Table definition has changed", NULL };
    for (size_t i = 0; lost[i]; i++)
        if (strstr(msg, lost[i]))
            return true;
    return false;
}

int worker_dump_run(struct worker_dump *d, const struct worker_dump_params *p,
                    struct worker_terr *e)
{
    char exe[4096], err[600] = "", *cnf_path = NULL;
    char *cnf_arg = NULL, *extra = strdup(p->cfg->extra_args ? p->cfg->extra_args : "");
    char *regex = NULL, msg[900];
    struct tail *t = calloc(1, sizeof *t);
    struct tables tl = { 0 };
    struct worker_dump_pos pos;
    int status = 0, rc = DM_E_NOMEM;
    bool stalled = false, user_tables = false, canceled;
    if (!extra || !t)
        goto out;
    if ((rc = refuse_extra(p->cfg->extra_args, e)))
        goto out;
    if ((rc = worker_dump_resolve(p->cfg->mydumper_path, exe, sizeof exe, err, sizeof err))) {
        derr(e, "%s", err);
        goto out;
    }
    if (asprintf(&cnf_path, "%s.my.cnf", p->dir) < 0 ||
        asprintf(&cnf_arg, "--defaults-file=%s", cnf_path) < 0) {
        rc = DM_E_NOMEM;
        goto out;
    }
    if ((rc = list_tables(p, &tl, e)) || (rc = list_columns(p, &tl, e)) ||
        (rc = check_floats(p, e)) || (rc = check_chunks(p, &tl, e)))
        goto out;
    if ((rc = worker_dump_tables_regex((const char *const *)tl.names, tl.n, &regex))) {
        derr(e, "the table list is too long for mydumper --regex (%zu tables)", tl.n);
        goto out;
    }
    nftw(p->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (dm_mkdir_p(p->dir, 0755) || write_defaults(cnf_path, p->src->password)) {
        derr(e, "cannot create the dump directory %s: %s", p->dir, strerror(errno));
        rc = DM_E_IO;
        goto out;
    }
    rc = run_children(d, p, exe, cnf_arg, extra, &tl, regex, t, &status, &stalled,
                      &user_tables, e);
    pthread_mutex_lock(&d->mu);
    canceled = d->canceled;
    pthread_mutex_unlock(&d->mu);
    if (canceled) {
        rc = DM_E_CANCELLED;
        derr(e, "dump canceled (mydumper killed)");
        goto out;
    }
    tail_text(t, msg, sizeof msg);
    if (stalled) {
        derr(e, "no dump output for %lld s, mydumper killed (auto-resume dumps again): %s",
             (long long)stall_ms() / 1000, msg);
        e->transient = true;
        rc = DM_E_TIMEOUT;
        goto out;
    }
    if (status != 0) {
        if (WIFEXITED(status))
            derr(e, "exit status %d: %s", WEXITSTATUS(status), msg);
        else
            derr(e, "killed by signal %d: %s", WTERMSIG(status), msg);
        e->transient = WIFEXITED(status) && retry_helps(msg);
        rc = DM_E_INTERNAL;
        goto out;
    }
    if (rc)
        goto out;
    if (worker_dump_read_metadata(p->dir, &pos, err, sizeof err)) {
        derr(e, "%s (mydumper said: %s)", err, msg);
        rc = DM_E_INTERNAL;
        goto out;
    }
    if (user_tables && (rc = check_user_tables(p, &tl, e)))
        goto out;
    if (!user_tables &&
        ((rc = check_output(p, &tl, e)) || (rc = check_new_tables(p, &tl, e)) ||
         (rc = check_columns(p, &tl, e)) || (rc = db_files(p, &tl, e))))
        goto out;
    dm_log_kv(DM_LOG_INFO, "dump finished", "dir", p->dir, "binlog", pos.file, NULL);
    rc = DM_OK;
out:
    if (rc == DM_E_NOMEM)
        derr(e, "out of memory");
    if (cnf_path)
        unlink(cnf_path);
    free(cnf_path);
    free(cnf_arg);
    free(extra);
    free(regex);
    free(t);
    tables_free(&tl);
    return rc;
}

int worker_dump_read_metadata(const char *dir, struct worker_dump_pos *out, char *err,
                              size_t cap)
{
    char path[4096], *data = NULL, *sec, *line, *save = NULL;
    bool have_file = false, have_pos = false;
    int rc;
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/metadata", dir);
    rc = dm_read_file(path, 1u << 20, &data, NULL);
    if (rc) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return rc == DM_E_NOT_FOUND ? DM_E_NOT_FOUND : DM_E_IO;
    }
    sec = strstr(data, "SHOW MASTER STATUS:");
    for (line = sec ? strtok_r(sec, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line)
            break;   /* end of the section */
        if (strncmp(line, "Log:", 4) == 0) {
            have_file = sscanf(line + 4, " %255s", out->file) == 1;
        } else if (strncmp(line, "Pos:", 4) == 0) {
            out->pos = strtoull(line + 4, NULL, 10);
            have_pos = out->pos > 0;
        } else if (strncmp(line, "GTID:", 5) == 0) {
            sscanf(line + 5, " %255s", out->gtid);
        }
    }
    free(data);
    if (!have_file || !have_pos) {
        snprintf(err, cap, "%s has no binlog position (is the source's binlog enabled?)", path);
        return DM_E_PARSE;
    }
    return DM_OK;
}

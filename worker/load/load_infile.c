/* load_infile.c - dumped INSERTs as LOAD DATA LOCAL INFILE streamed from memory
 * (load_infile.h). */
#include "load_infile.h"
#include "dm_hex.h"

#include <ctype.h>
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applier_int.h"
#include "dm_error.h"
#include "log.h"

#define LI_FILE "dmgw-load-rows"   /* the name our statements ask for; nothing else is served */
#define LI_ROWS_MAX (2048u << 20)  /* converted rows of one statement (<= 2x the statement) */

/* ---- the converter ---- */

enum worker_li_class worker_li_classify(const char *t)
{
    static const char *const ints[] = {"tinyint", "smallint", "mediumint", "int", "bigint", NULL};
    static const char *const strs[] = {"char", "varchar", "tinytext", "text", "mediumtext",
                                       "longtext", "binary", "varbinary", "tinyblob", "blob",
                                       "mediumblob", "longblob", NULL};
    size_t i;
    for (i = 0; ints[i]; i++)
        if (strcasecmp(t, ints[i]) == 0)
            return WLI_INT;
    if (strcasecmp(t, "decimal") == 0)
        return WLI_DECIMAL;
    if (strcasecmp(t, "float") == 0 || strcasecmp(t, "double") == 0)
        return WLI_FLOAT;
    if (strcasecmp(t, "year") == 0)
        return WLI_YEAR;
    if (strcasecmp(t, "inet6") == 0 || strcasecmp(t, "inet4") == 0 || strcasecmp(t, "uuid") == 0)
        return WLI_TEXTBIN;
    for (i = 0; strs[i]; i++)
        if (strcasecmp(t, strs[i]) == 0)
            return WLI_STRING;
    return WLI_OTHER;
}

/* LOAD DATA's escape letter for a byte that must not go raw (0: it goes as it is). */
static const char esc_of[256] = {['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\0'] = '0'};

static inline char *put(char *o, unsigned char c)
{
    if (esc_of[c]) {
        *o++ = '\\';
        *o++ = esc_of[c];
    } else {
        *o++ = (char)c;
    }
    return o;
}

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static const char *ws(const char *s, const char *end)
{
    while (s < end && is_ws(*s))
        s++;
    return s;
}

/* Case-insensitive keyword k at s, not followed by an identifier character. */
static const char *kw(const char *s, const char *end, const char *k)
{
    size_t n = strlen(k);
    if ((size_t)(end - s) < n || strncasecmp(s, k, n) != 0)
        return NULL;
    s += n;
    if (s < end && (isalnum((unsigned char)*s) || *s == '_' || *s == '$'))
        return NULL;
    return s;
}

/* A quoted string literal at s (its quote), decoded as the server's lexer does with
 * backslash escapes on; NULL when not closed or an escape the lexer may read another way. */
static const char *str_lit(const char *s, const char *end, char **op)
{
    char q = *s++, *o = *op;
    while (s < end) {
        unsigned char c = (unsigned char)*s++;
        if (c == (unsigned char)q) {
            if (s < end && *s == q) {   /* doubled quote */
                o = put(o, (unsigned char)q);
                s++;
                continue;
            }
            *op = o;
            return s;
        }
        if (c == '\\') {
            if (s >= end)
                return NULL;
            c = (unsigned char)*s++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case '0': c = 0; break;
            case 'Z': c = 032; break;
            case '%':
            case '_':
                o = put(o, '\\');   /* kept with its backslash (LIKE patterns) */
                break;
            default:
                if (c >= 0x80)
                    return NULL;   /* a multi-byte character's byte: charset-dependent */
                break;
            }
        }
        o = put(o, c);
    }
    return NULL;
}

/* X'..' (even digit count) or 0x.. (odd: a leading 0 nibble) at s; NULL when malformed. */
static const char *hex_lit(const char *s, const char *end, char **op)
{
    const char *d, *de;
    char *o = *op;
    bool quoted = *s == 'x' || *s == 'X';
    d = s + 2;
    for (de = d; de < end && dm_hexval(*de) >= 0; de++)
        ;
    if (de == d || (quoted && (de >= end || *de != '\'' || (de - d) % 2)))
        return NULL;
    if ((de - d) % 2) {
        o = put(o, (unsigned char)dm_hexval(*d));
        d++;
    }
    for (; d < de; d += 2)
        o = put(o, (unsigned char)(dm_hexval(d[0]) << 4 | dm_hexval(d[1])));
    *op = o;
    return quoted ? de + 1 : de;
}

/* A number literal at s: [-]digits[.digits][e[+-]digits]; *kind 0 integer, 1 decimal,
 * 2 with an exponent. Copied as it is. */
static const char *num_lit(const char *s, const char *end, int *kind, char **op)
{
    const char *p = s;
    size_t digits = 0;
    *kind = 0;
    if (p < end && *p == '-')
        p++;
    for (; p < end && isdigit((unsigned char)*p); p++)
        digits++;
    if (p < end && *p == '.') {
        *kind = 1;
        for (p++; p < end && isdigit((unsigned char)*p); p++)
            digits++;
    }
    if (!digits)
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *x = ++p;
        *kind = 2;
        if (p < end && (*p == '-' || *p == '+'))
            x = ++p;
        for (; p < end && isdigit((unsigned char)*p); p++)
            ;
        if (p == x)
            return NULL;
    }
    memcpy(*op, s, (size_t)(p - s));
    *op += p - s;
    return p;
}

/* One value for column c at s; NULL when not carried unchanged. */
static const char *value(const char *s, const char *end, const struct worker_li_col *c,
                         bool binary, char **op)
{
    const char *p;
    int kind;
    if (*s == '\'' || *s == '"')
        return str_lit(s, end, op);
    if ((p = kw(s, end, "NULL"))) {
        if (!c->nullable)
            return NULL;   /* LOAD DATA may store a default where the INSERT fails */
        *(*op)++ = '\\';
        *(*op)++ = 'N';
        return p;
    }
    if (c->cls == WLI_STRING && binary) {
        if ((p = kw(s, end, "_binary"))) {
            p = ws(p, end);
            return p < end && (*p == '\'' || *p == '"') ? str_lit(p, end, op) : NULL;
        }
        if (end - s > 2 && ((s[0] == '0' && s[1] == 'x') ||
                            ((s[0] == 'x' || s[0] == 'X') && s[1] == '\'')))
            return hex_lit(s, end, op);
    }
    if (c->cls == WLI_YEAR) {
        for (p = s; p < end && isdigit((unsigned char)*p); p++)
            ;
        if (p - s != 4)
            return NULL;
        memcpy(*op, s, 4);
        *op += 4;
        return p;
    }
    if (c->cls != WLI_INT && c->cls != WLI_DECIMAL && c->cls != WLI_FLOAT)
        return NULL;
    if (!(p = num_lit(s, end, &kind, op)) || (kind == 1 && c->cls == WLI_INT) ||
        (kind == 2 && c->cls != WLI_FLOAT))
        return NULL;
    return p;
}

static int add_ident(struct dm_buf *b, const char *name)
{
    if (dm_buf_addc(b, '`'))
        return DM_E_NOMEM;
    for (; *name; name++)
        if ((*name == '`' && dm_buf_addc(b, '`')) || dm_buf_addc(b, *name))
            return DM_E_NOMEM;
    return dm_buf_addc(b, '`');
}

/* `ident` at s into name (unquoted); NULL when malformed or too long. */
static const char *ident(const char *s, const char *end, char *name, size_t cap)
{
    size_t n = 0;
    if (s >= end || *s != '`')
        return NULL;
    for (s++; s < end; s++) {
        if (*s == '`') {
            if (s + 1 < end && s[1] == '`')
                s++;
            else {
                name[n] = '\0';
                return s + 1;
            }
        }
        if (n + 1 >= cap)
            return NULL;
        name[n++] = *s;
    }
    return NULL;
}

/* The INSERT's column list "(`a`,`b`)" at s: column indexes of t into idx. */
static const char *col_list(const char *s, const char *end, const struct worker_li_table *t,
                            size_t *idx, size_t *n)
{
    char name[256];
    *n = 0;
    for (s++;;) {
        size_t i;
        if (!(s = ident(ws(s, end), end, name, sizeof name)) || *n == t->ncols)
            return NULL;
        for (i = 0; i < t->ncols && strcasecmp(t->cols[i].name, name) != 0; i++)
            ;
        if (i == t->ncols)
            return NULL;
        idx[(*n)++] = i;
        s = ws(s, end);
        if (s < end && *s == ')')
            return s + 1;
        if (s >= end || *s != ',')
            return NULL;
        s++;
    }
}

/* " SET `c`=CONVERT(@dmgw_liN USING utf8mb4),..." for the INET6 / UUID columns: their
 * dumped text (the server's own text form) is read as text whatever the LOAD's character
 * set (binary would take it as the 16-byte value: an error, or for a 16-character INET6
 * text such as '2001:db8::1:2:34' another address); NULL stays NULL. */
static int textbin_set(struct dm_buf *cols, const struct worker_li_table *t, const size_t *idx,
                       size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (t->cols[idx[i]].cls != WLI_TEXTBIN)
            continue;
        if (dm_buf_adds(cols, first ? " SET " : ",") || add_ident(cols, t->cols[idx[i]].name) ||
            dm_buf_printf(cols, "=CONVERT(@dmgw_li%zu USING utf8mb4)", i))
            return DM_E_NOMEM;
        first = false;
    }
    return DM_OK;
}

/* "INSERT INTO `t` [(cols)] VALUES" - or, unless plain, also "REPLACE", "IGNORE" and a
 * `db`.`t` name: after VALUES, the values' columns of t in idx / n; NULL when not read. */
static const char *insert_head(const char *s, const char *end, const struct worker_li_table *t,
                               bool plain, size_t *idx, size_t *n)
{
    char name[256];
    const char *p;
    s = ws(s, end);
    if (!(p = kw(s, end, "INSERT")) && (plain || !(p = kw(s, end, "REPLACE"))))
        return NULL;
    s = ws(p, end);
    if (!plain && (p = kw(s, end, "IGNORE")))
        s = ws(p, end);
    if (!(s = kw(s, end, "INTO")) || !(s = ident(ws(s, end), end, name, sizeof name)))
        return NULL;
    s = ws(s, end);
    if (!plain && s < end && *s == '.' && !(s = ident(ws(s + 1, end), end, name, sizeof name)))
        return NULL;
    s = ws(s, end);
    *n = 0;
    for (size_t i = 0; i < t->ncols; i++)   /* no column list: the visible columns */
        if (!t->cols[i].invisible)
            idx[(*n)++] = i;
    if (s < end && *s == '(' && !(s = col_list(s, end, t, idx, n)))
        return NULL;
    return kw(ws(s, end), end, "VALUES");
}

/* "INSERT INTO `t` [(cols)] VALUES": after VALUES, the LOAD's column list in cols. */
static const char *header(const char *s, const char *end, const struct worker_li_table *t,
                          size_t *idx, size_t *n, struct dm_buf *cols)
{
    if (!(s = insert_head(s, end, t, true, idx, n)))
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        if (i ? dm_buf_addc(cols, ',') : dm_buf_addc(cols, '('))
            return NULL;
        if (t->cols[idx[i]].cls == WLI_TEXTBIN ? dm_buf_printf(cols, "@dmgw_li%zu", i)
                                               : add_ident(cols, t->cols[idx[i]].name))
            return NULL;
    }
    if (dm_buf_addc(cols, ')'))
        return NULL;
    return textbin_set(cols, t, idx, *n) ? NULL : s;
}

/* The rows after VALUES into o; the end of the statement or NULL. */
static const char *rows_of(const char *s, const char *end, const struct worker_li_table *t,
                           const size_t *idx, size_t n, bool binary, char **op, size_t *nrows)
{
    char *o = *op;
    for (;;) {
        size_t col;
        s = ws(s, end);
        if (s >= end || *s++ != '(')
            return NULL;
        for (col = 0;; col++) {
            s = ws(s, end);
            if (col == n || s >= end || !(s = value(s, end, &t->cols[idx[col]], binary, &o)))
                return NULL;
            s = ws(s, end);
            if (s < end && *s == ',') {
                *o++ = '\t';
                s++;
                continue;
            }
            if (s >= end || *s != ')' || col + 1 != n)
                return NULL;
            *o++ = '\n';
            s++;
            break;
        }
        (*nrows)++;
        s = ws(s, end);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == ';')
            s = ws(s + 1, end);
        *op = o;
        return s == end ? s : NULL;
    }
}

/* Output bytes the rows of stmt can take: one per input byte, one more per backslash, tab,
 * newline or NUL byte of the input (a raw tab is written as two bytes, an escaped percent
 * sign as three; other escapes stay two bytes, hex digits, NULL and separators shrink or
 * stay), and some slack. */
static size_t out_bound(const char *s, size_t len)
{
    size_t n = len + 64;
    for (size_t i = 0; i < len; i++)
        n += esc_of[(unsigned char)s[i]] != 0;
    return n;
}

int worker_li_convert(const char *stmt, size_t len, const struct worker_li_table *t, bool binary,
                      struct dm_buf *rows, struct dm_buf *cols, size_t *nrows)
{
    const char *end = stmt + len, *s;
    size_t *idx, n;
    char *o;
    int rc;
    dm_buf_reset(rows);
    dm_buf_reset(cols);
    *nrows = 0;
    if (!t->ncols)
        return DM_E_PARSE;
    if ((rc = dm_buf_reserve(rows, out_bound(stmt, len))))
        return rc;
    if (!(idx = malloc(t->ncols * sizeof *idx)))
        return DM_E_NOMEM;
    o = rows->data;
    rc = DM_E_PARSE;
    /* out_bound holds the rows: no bounds checks while writing */
    if ((s = header(stmt, end, t, idx, &n, cols)) && rows_of(s, end, t, idx, n, binary, &o, nrows)) {
        rows->len = (size_t)(o - rows->data);
        rows->data[rows->len] = '\0';
        rc = DM_OK;
    } else {
        *nrows = 0;
        dm_buf_reset(cols);
    }
    free(idx);
    return rc;
}

/* ---- the connection side ---- */

struct worker_li {
    struct worker_li_table t;     /* the cached table's writable columns */
    char db[192], tbl[192];       /* the cached table ("" none) */
    bool t_ok;                    /* the cached table may take LOAD DATA */
    bool nontx;                   /* the cached table's engine is not transactional */
    bool conn_off;                /* the target or session refuses: INSERTs from now on */
    bool checked;                 /* local_infile and sql_mode seen */
    bool file_on;                 /* this file's statements may go as LOAD DATA */
    bool t_cur;                   /* the cached table is this file's (worker_li_fix_insert) */
    bool lex_ok;                  /* backslash escapes, names whose bytes >= 0x80 are never a
                                     quote or backslash: worker_li_fix_insert may read */
    char names[32];               /* the session's SET NAMES ("" unknown: off) */
    struct dm_buf rows, cols, q, fix;
    const char *rp;               /* the rows still to stream */
    size_t rleft;
    size_t loaded, fallback;
};

struct worker_li *worker_li_new(void)
{
    struct worker_li *li = calloc(1, sizeof *li);
    if (!li)
        return NULL;
    snprintf(li->names, sizeof li->names, "utf8mb4");   /* the applier's connection charset */
    li->lex_ok = true;
    dm_buf_init(&li->rows, LI_ROWS_MAX);
    dm_buf_init(&li->fix, LI_ROWS_MAX);
    dm_buf_init(&li->cols, 1u << 20);
    dm_buf_init(&li->q, 2u << 20);
    return li;
}

static void table_clear(struct worker_li *li)
{
    for (size_t i = 0; i < li->t.ncols; i++)
        free(li->t.cols[i].name);
    free(li->t.cols);
    memset(&li->t, 0, sizeof li->t);
    li->db[0] = li->tbl[0] = '\0';
    li->t_ok = li->nontx = false;
}

void worker_li_free(struct worker_li *li)
{
    if (!li)
        return;
    table_clear(li);
    dm_buf_free(&li->rows);
    dm_buf_free(&li->cols);
    dm_buf_free(&li->q);
    dm_buf_free(&li->fix);
    free(li);
}

void worker_li_counts(const struct worker_li *li, size_t *loaded, size_t *fallback)
{
    *loaded = li->loaded;
    *fallback = li->fallback;
}

static bool contains_ci(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0)
            return true;
    return false;
}

static void conn_off(struct worker_li *li, const char *why)
{
    if (!li->conn_off)
        dm_log_kv(DM_LOG_INFO, "load: rows go as INSERT statements on this connection", "reason",
                  why, NULL);
    li->conn_off = true;
}

void worker_li_no_infile(struct worker_li *li)
{
    li->conn_off = true;   /* DMGW_LOAD_INFILE=0: no LOAD DATA, the INSERT fix only */
}

void worker_li_session(struct worker_li *li, const char *stmt)
{
    const char *p;
    size_t n = 0;
    if (contains_ci(stmt, "sql_mode") || contains_ci(stmt, "character_set") ||
        contains_ci(stmt, "character set") || contains_ci(stmt, "collation")) {
        li->lex_ok = false;
        conn_off(li, "a session statement of the dump changes sql_mode or character sets");
        return;
    }
    for (p = stmt; *p && strncasecmp(p, "SET NAMES", 9) != 0; p++)
        ;
    if (!*p)
        return;
    for (p += 9; *p == ' ' || *p == '\'' || *p == '"' || *p == '`'; p++)
        ;
    while (n + 1 < sizeof li->names && (isalnum((unsigned char)p[n]) || p[n] == '_'))
        n++;
    snprintf(li->names, sizeof li->names, "%.*s", (int)n, p);
    if (strcasecmp(li->names, "binary") != 0 && strcasecmp(li->names, "utf8mb4") != 0 &&
        strcasecmp(li->names, "utf8mb3") != 0 && strcasecmp(li->names, "utf8") != 0 &&
        strcasecmp(li->names, "latin1") != 0 && strcasecmp(li->names, "ascii") != 0) {
        li->lex_ok = false;
        conn_off(li, "SET NAMES with a character set the converter does not read");
    }
}

/* The session's sql_mode and the server's local_infile from one row of the lookup. */
static void check_conn(struct worker_li *li, const char *sql_mode, const char *local_infile)
{
    li->checked = true;
    if (!local_infile || strcmp(local_infile, "1") != 0)
        conn_off(li, "the target has local_infile=OFF");
    else if (!sql_mode || contains_ci(sql_mode, "NO_BACKSLASH_ESCAPES") ||
             contains_ci(sql_mode, "ANSI_QUOTES"))
        conn_off(li, "the session's sql_mode reads string literals another way");
    if (!sql_mode || contains_ci(sql_mode, "NO_BACKSLASH_ESCAPES") ||
        contains_ci(sql_mode, "ANSI_QUOTES"))
        li->lex_ok = false;
}

static int table_load(struct worker_li *li, struct worker_applier *a, const char *db,
                      const char *tbl, struct worker_terr *e)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t cap = 0;
    int rc = DM_E_NOMEM;
    table_clear(li);
    dm_buf_reset(&li->q);
    /* row[6]: the engine's TRANSACTIONS (a partitioned table shows its partitions' engine) */
    if (dm_buf_adds(&li->q, "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.IS_NULLABLE, c.EXTRA, "
                            "@@session.sql_mode, @@global.local_infile, e.TRANSACTIONS FROM "
                            "information_schema.COLUMNS c JOIN information_schema.TABLES t "
                            "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
                            "LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE "
                            "WHERE c.TABLE_SCHEMA=") ||
        worker_ap_add_escaped(a, &li->q, db, strlen(db)) ||
        dm_buf_adds(&li->q, " AND c.TABLE_NAME=") ||
        worker_ap_add_escaped(a, &li->q, tbl, strlen(tbl)) ||
        dm_buf_adds(&li->q, " ORDER BY c.ORDINAL_POSITION"))
        return worker_ap_nomem(e);
    if ((rc = worker_ap_query(a, li->q.data, &res, e)))
        return rc;
    li->t_ok = true;
    while ((row = mysql_fetch_row(res))) {
        struct worker_li_col *c;
        if (!li->checked)
            check_conn(li, row[4], row[5]);
        if (row[3] && contains_ci(row[3], "GENERATED"))
            li->t_ok = false;   /* the INSERT gives it a value (an error or DEFAULT) */
        if (li->t.ncols == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct worker_li_col *tmp = realloc(li->t.cols, nc * sizeof *tmp);
            if (!tmp)
                goto nomem;
            li->t.cols = tmp;
            cap = nc;
        }
        c = &li->t.cols[li->t.ncols];
        if (!(c->name = strdup(row[0] ? row[0] : "")))
            goto nomem;
        c->cls = worker_li_classify(row[1] ? row[1] : "");
        c->nullable = row[2] && strcmp(row[2], "YES") == 0;
        /* not in an INSERT without a column list; mydumper names it in its list of a table
         * with generated columns (its value then is the row's) */
        c->invisible = row[3] && contains_ci(row[3], "INVISIBLE");
        c->is_enum = row[1] && strcasecmp(row[1], "enum") == 0;
        if (!row[6] || strcasecmp(row[6], "YES") != 0)
            li->nontx = true;
        li->t.ncols++;
    }
    mysql_free_result(res);
    /* a ROLLBACK does not undo a non-transactional table's rows: a LOAD DATA that warned
     * stayed and its rows came a second time through the INSERT (docs/worker.md) */
    li->t_ok = li->t_ok && li->t.ncols > 0 && !li->nontx;
    snprintf(li->db, sizeof li->db, "%s", db);
    snprintf(li->tbl, sizeof li->tbl, "%s", tbl);
    return DM_OK;
nomem:
    mysql_free_result(res);
    table_clear(li);
    return worker_ap_nomem(e);
}

void worker_li_file(struct worker_li *li, struct worker_applier *a, const char *db,
                    const char *tbl, bool usable)
{
    struct worker_terr e;
    li->file_on = li->t_cur = false;
    if (strcmp(li->db, db) != 0 || strcmp(li->tbl, tbl) != 0) {
        memset(&e, 0, sizeof e);
        if (table_load(li, a, db, tbl, &e)) {
            dm_log_kv(DM_LOG_INFO, "load: no column lookup, rows go as INSERT statements",
                      "table", tbl, "error", e.msg, NULL);
            table_clear(li);
            return;
        }
    }
    li->t_cur = true;   /* the INSERT fix needs the columns also with LOAD DATA off */
    li->file_on = usable && li->names[0] && li->t_ok && !li->conn_off;
}

/* Connector/C's local-infile callbacks: only LI_FILE is served, from li->rp. */
static int li_init(void **ptr, const char *filename, void *userdata)
{
    *ptr = userdata;
    return strcmp(filename, LI_FILE) == 0 ? 0 : 1;
}

static int li_read(void *ptr, char *buf, unsigned int cap)
{
    struct worker_li *li = ptr;
    size_t n = li->rleft < cap ? li->rleft : cap;
    memcpy(buf, li->rp, n);
    li->rp += n;
    li->rleft -= n;
    return (int)n;
}

static void li_end(void *ptr) { (void)ptr; }

static int li_error(void *ptr, char *msg, unsigned int cap)
{
    (void)ptr;
    snprintf(msg, cap, "dm-worker serves only its own rows to LOAD DATA LOCAL");
    return CR_UNKNOWN_ERROR;
}

static int load_stmt(struct worker_li *li, const char *db, const char *tbl)
{
    dm_buf_reset(&li->q);
    if (dm_buf_adds(&li->q, "LOAD DATA LOCAL INFILE '" LI_FILE "' INTO TABLE ") ||
        worker_ap_add_table(&li->q, db, tbl) ||
        dm_buf_printf(&li->q, " CHARACTER SET %s FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                      "LINES TERMINATED BY '\\n' ", li->names) ||
        dm_buf_add(&li->q, li->cols.data, li->cols.len))
        return DM_E_NOMEM;
    return DM_OK;
}

/* The statement loaded with warnings or fewer rows: undo it, log the first warning. */
static int undo(struct worker_li *li, struct worker_applier *a, bool began, bool *open,
                struct worker_terr *e)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    char why[400] = "fewer rows than sent";
    if (mysql_query(a->my, "SHOW WARNINGS LIMIT 1") == 0 && (res = mysql_store_result(a->my))) {
        if ((row = mysql_fetch_row(res)) && row[2])
            snprintf(why, sizeof why, "%s %s: %.300s", row[0] ? row[0] : "", row[1] ? row[1] : "",
                     row[2]);
        mysql_free_result(res);
    }
    dm_log_kv(DM_LOG_INFO, "load: LOAD DATA warned, the file's rows go as INSERT statements",
              "table", li->tbl, "warning", why, NULL);
    li->file_on = false;
    if (!began)
        return worker_ap_run(a, "ROLLBACK TO SAVEPOINT dmgw_li", 29, e);
    *open = false;
    return worker_ap_run(a, "ROLLBACK", 8, e);
}

int worker_li_exec(struct worker_li *li, struct worker_applier *a, const char *stmt, size_t len,
                   bool *open, struct worker_terr *e)
{
    size_t nrows;
    bool began = false;
    int rc;
    if (!li->file_on || li->conn_off)
        return WORKER_LI_FALLBACK;
    rc = worker_li_convert(stmt, len, &li->t, strcasecmp(li->names, "binary") == 0, &li->rows,
                           &li->cols, &nrows);
    if (rc == DM_E_NOMEM || (rc == DM_OK && load_stmt(li, li->db, li->tbl)))
        return worker_ap_nomem(e);
    if (rc) {
        li->fallback++;
        return WORKER_LI_FALLBACK;
    }
    if (!*open) {
        if ((rc = worker_ap_run(a, "BEGIN", 5, e)))
            return rc;
        *open = began = true;
    } else if ((rc = worker_ap_run(a, "SAVEPOINT dmgw_li", 17, e))) {
        return rc;
    }
    mysql_set_local_infile_handler(a->my, li_init, li_read, li_end, li_error, li);
    li->rp = li->rows.data;
    li->rleft = li->rows.len;
    if (mysql_real_query(a->my, li->q.data, (unsigned long)li->q.len) != 0) {
        unsigned int n = mysql_errno(a->my);
        if (n == ER_LOAD_INFILE_CAPABILITY_DISABLED || n == ER_NOT_ALLOWED_COMMAND) {
            conn_off(li, "the target refuses LOAD DATA LOCAL");
            li->fallback++;
            return WORKER_LI_FALLBACK;   /* refused before any row: the transaction is as it was */
        }
        return worker_ap_db_error(a, "execute statement failed", li->q.data, e);
    }
    if (mysql_affected_rows(a->my) != (my_ulonglong)nrows || mysql_warning_count(a->my) != 0) {
        li->fallback++;
        return (rc = undo(li, a, began, open, e)) ? rc : WORKER_LI_FALLBACK;
    }
    li->loaded++;
    return DM_OK;
}

/* ---- INET6 / UUID values of the INSERTs that run as they are ---- */

/* A quoted string at s (its quote): past its closing quote; NULL when not closed. */
static const char *skip_str(const char *s, const char *end)
{
    char q = *s++;
    while (s < end) {
        char c = *s++;
        if (c == '\\') {
            if (s++ >= end)
                return NULL;
        } else if (c == q) {
            if (s >= end || *s != q)
                return s;
            s++;   /* doubled quote */
        }
    }
    return NULL;
}

/* One value at s (after white space): its end (the ',' or ')' after it); NULL when
 * malformed. *lone: the value is one quoted string. */
static const char *skip_value(const char *s, const char *end, bool *lone)
{
    int depth = 0;
    *lone = false;
    if (s < end && (*s == '\'' || *s == '"')) {
        const char *p = skip_str(s, end);
        if (!p)
            return NULL;
        p = ws(p, end);
        if (p < end && (*p == ',' || *p == ')')) {
            *lone = true;
            return p;
        }
    }
    while (s < end) {
        if (*s == '\'' || *s == '"' || *s == '`') {
            if (*s == '`') {
                for (s++; s < end && *s != '`'; s++)
                    ;
                s = s < end ? s + 1 : NULL;
            } else {
                s = skip_str(s, end);
            }
            if (!s)
                return NULL;
            continue;
        }
        if (*s == '(') {
            depth++;
        } else if (*s == ')') {
            if (!depth)
                return s;
            depth--;
        } else if (*s == ',' && !depth) {
            return s;
        }
        s++;
    }
    return NULL;
}

/* The rows after VALUES copied to out from *copied, `_utf8mb4` put before each lone quoted
 * string of a WLI_TEXTBIN column; the end of the rows or NULL. */
static const char *fix_rows(const char *s, const char *end, const struct worker_li_table *t,
                            const size_t *idx, size_t n, const char **copied, struct dm_buf *out,
                            size_t *nfix)
{
    for (;;) {
        s = ws(s, end);
        if (s >= end || *s++ != '(')
            return NULL;
        for (size_t col = 0;; col++) {
            const char *v = ws(s, end);
            bool lone;
            if (col == n || !(s = skip_value(v, end, &lone)))
                return NULL;
            if (lone && t->cols[idx[col]].cls == WLI_TEXTBIN) {
                if (dm_buf_add(out, *copied, (size_t)(v - *copied)) ||
                    dm_buf_adds(out, "_utf8mb4"))
                    return NULL;
                *copied = v;
                (*nfix)++;
            }
            if (*s++ == ',')
                continue;
            if (col + 1 != n)
                return NULL;
            break;
        }
        s = ws(s, end);
        if (s >= end || *s != ',')
            return s;
        s++;
    }
}

int worker_li_fix_insert(struct worker_li *li, const struct dm_buf *ins,
                         const struct dm_buf **use)
{
    const char *end = ins->data + ins->len, *s, *copied = ins->data;
    size_t i, n, nfix = 0, *idx;
    *use = ins;
    if (!li->t_cur || !li->lex_ok || !ins->len)
        return DM_OK;
    for (i = 0; i < li->t.ncols && li->t.cols[i].cls != WLI_TEXTBIN; i++)
        ;
    if (i == li->t.ncols)
        return DM_OK;
    if (!(idx = malloc(li->t.ncols * sizeof *idx)))
        return DM_E_NOMEM;
    dm_buf_reset(&li->fix);
    if ((s = insert_head(ins->data, end, &li->t, false, idx, &n)) &&
        fix_rows(s, end, &li->t, idx, n, &copied, &li->fix, &nfix) && nfix) {
        if (dm_buf_add(&li->fix, copied, (size_t)(end - copied))) {
            free(idx);
            return DM_E_NOMEM;
        }
        li->fix.data[li->fix.len] = '\0';
        *use = &li->fix;
    }
    free(idx);
    return DM_OK;
}

/* ---- warnings of an INSERT that runs as it is: the ENUM error value ---- */

bool worker_li_nontx(const struct worker_li *li) { return li->t_cur && li->nontx; }

/* "Data truncated for column 'c' at row N": c into col, N into *rown; false when not. */
static bool truncated_enum(const struct worker_li *li, const char *msg, char *col, size_t cap,
                           unsigned long *rown)
{
    static const char head[] = "Data truncated for column '";
    const char *p = strstr(msg, head), *q;
    size_t n;
    if (!p)
        return false;
    p += sizeof head - 1;
    if (!(q = strstr(p, "' at row ")) || (n = (size_t)(q - p)) >= cap)
        return false;
    memcpy(col, p, n);
    col[n] = '\0';
    *rown = strtoul(q + 9, NULL, 10);
    for (size_t i = 0; i < li->t.ncols; i++)
        if (li->t.cols[i].is_enum && strcasecmp(li->t.cols[i].name, col) == 0)
            return *rown > 0;
    return false;
}

/* The value of column col in row rown (1-based) of the INSERT is the literal ''. */
static bool value_is_empty(const struct worker_li *li, const struct dm_buf *ins, const char *col,
                           unsigned long rown)
{
    const char *end = ins->data + ins->len, *s;
    size_t n, *idx = malloc((li->t.ncols ? li->t.ncols : 1) * sizeof *idx);
    bool empty = false;
    if (!idx || !(s = insert_head(ins->data, end, &li->t, false, idx, &n)))
        goto out;
    for (unsigned long row = 1; row <= rown; row++) {
        s = ws(s, end);
        if (s >= end || *s++ != '(')
            goto out;
        for (size_t c = 0; c < n; c++) {
            const char *v = ws(s, end);
            bool lone;
            if (!(s = skip_value(v, end, &lone)))
                goto out;
            if (row == rown && strcasecmp(li->t.cols[idx[c]].name, col) == 0) {
                empty = lone && (v[0] == '\'' || v[0] == '"') && skip_str(v, end) == v + 2;
                goto out;
            }
            s++;   /* the ',' or ')' */
        }
        s = ws(s, end);
        if (s >= end || *s++ != ',')
            goto out;
    }
out:
    free(idx);
    return empty;
}

bool worker_li_warnings_ok(struct worker_li *li, struct worker_applier *a,
                           const struct dm_buf *ins, char *why, size_t cap)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    bool ok = true;
    char col[256];
    unsigned long rown;
    unsigned int n = mysql_warning_count(a->my), seen = 0;
    if (n == 0)
        return true;
    snprintf(why, cap, "%u warnings, not all readable", n);
    /* the session keeps max_error_count of them (load.c pool_main: 65535) */
    if (mysql_query(a->my, "SHOW WARNINGS") != 0 || !(res = mysql_store_result(a->my)))
        return false;
    while (ok && (row = mysql_fetch_row(res))) {
        seen++;
        if (row[0] && strcasecmp(row[0], "Note") == 0)
            continue;
        if (row[1] && strcmp(row[1], "1062") == 0)
            continue;   /* INSERT IGNORE's duplicate (extra-args --insert-ignore): as before */
        if (row[1] && strcmp(row[1], "1265") == 0 && row[2] && li->t_cur &&
            truncated_enum(li, row[2], col, sizeof col, &rown) && value_is_empty(li, ins, col, rown))
            continue;
        snprintf(why, cap, "%s %s: %.300s", row[0] ? row[0] : "", row[1] ? row[1] : "",
                 row[2] ? row[2] : "");
        ok = false;
    }
    mysql_free_result(res);
    return ok && seen == n;
}

bool worker_li_enum_retry(const struct worker_li *li, unsigned int err, const char *msg)
{
    char col[256];
    unsigned long rown;
    if (err != WARN_DATA_TRUNCATED || !li->t_cur || !truncated_enum(li, msg, col, sizeof col, &rown))
        return false;
    return !li->nontx || rown == 1;
}

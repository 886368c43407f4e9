/* dump_chunks.c - mydumper's --rows chunk arithmetic checked before the dump (dump_chunks.h). */
#include "dump_chunks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

bool worker_dump_rows_chunking(const char *extra_args)
{
    char *s = strdup(extra_args ? extra_args : ""), *tok, *save = NULL;
    bool on = false, want = false;
    if (!s)
        return true;   /* checked anyway */
    for (tok = strtok_r(s, " \t\n\"'", &save); tok; tok = strtok_r(NULL, " \t\n\"'", &save)) {
        const char *v = NULL;
        if (want)
            v = tok;
        else if (strcmp(tok, "-r") == 0 || strcmp(tok, "--rows") == 0)
            want = true;
        else if (strncmp(tok, "--rows=", 7) == 0)
            v = tok + 7;
        else if (strncmp(tok, "-r", 2) == 0 && tok[2] >= '0' && tok[2] <= '9')
            v = tok + 2;
        if (v) {
            on = strtoull(v, NULL, 10) > 0;
            want = false;
        }
    }
    free(s);
    return on;
}

bool worker_dump_chunk_range_bad(const char *min, const char *max)
{
    if (!min || !max)
        return false;   /* every value NULL: mydumper does not chunk */
    if (min[0] == '-' && max[0] == '-')
        return true;
    return max[0] != '-' && strtoull(max, NULL, 10) >= (1ULL << 63);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* one candidate: schema, table, column, integer?, level (0 PK, 1 unique, 2 other index) */
struct cand {
    char *s, *t, *c;
    bool integer;
    int level;
};

static int cand_query(MYSQL *m, char *const *names, const size_t *dblen, size_t n,
                      struct dm_buf *q)
{
    char esc[600];
    int rc = dm_buf_adds(q, "SELECT BINARY s.TABLE_SCHEMA, BINARY s.TABLE_NAME, s.COLUMN_NAME, "
                            "IF(s.INDEX_NAME = 'PRIMARY', 0, IF(s.NON_UNIQUE = 0, 1, 2)), "
                            "c.DATA_TYPE IN ('int', 'bigint', 'mediumint', 'smallint') FROM "
                            "information_schema.STATISTICS s JOIN information_schema.COLUMNS c "
                            "ON c.TABLE_SCHEMA = BINARY s.TABLE_SCHEMA AND c.TABLE_NAME = "
                            "BINARY s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME "
                            "WHERE s.SEQ_IN_INDEX = 1 AND s.TABLE_SCHEMA IN (");
    for (size_t i = 0; !rc && i < n; i++) {
        if (dblen[i] * 2 + 1 > sizeof esc)
            continue;   /* no such database name (64 characters at most) */
        if (i && dblen[i] == dblen[i - 1] && strncmp(names[i], names[i - 1], dblen[i]) == 0)
            continue;   /* listed by database: one entry each */
        mysql_real_escape_string(m, esc, names[i], (unsigned long)dblen[i]);
        rc = dm_buf_printf(q, "%s'%s'", i ? "," : "", esc);
    }
    return rc ? rc : dm_buf_adds(q, ")");
}

/* `name` with its backticks doubled */
static int add_ident(struct dm_buf *q, const char *name)
{
    int rc = dm_buf_adds(q, "`");
    for (const char *p = name; !rc && *p; p++)
        rc = dm_buf_printf(q, *p == '`' ? "``" : "%c", *p);
    return rc ? rc : dm_buf_adds(q, "`");
}

static int min_max(MYSQL *m, const struct cand *c, char *msg, size_t cap, bool *bad,
                   bool *transient)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = -1;
    dm_buf_init(&q, 4096);
    if (dm_buf_adds(&q, "SELECT MIN(") || add_ident(&q, c->c) || dm_buf_adds(&q, "), MAX(") ||
        add_ident(&q, c->c) || dm_buf_adds(&q, ") FROM ") || add_ident(&q, c->s) ||
        dm_buf_adds(&q, ".") || add_ident(&q, c->t)) {
        snprintf(msg, cap, "out of memory");
    } else if (mysql_query(m, q.data) || !(res = mysql_store_result(m))) {
        snprintf(msg, cap, "check --rows chunking of `%s`.`%s` on the source: %s", c->s, c->t,
                 mysql_error(m));
        *transient = mysql_errno(m) >= 2000;
    } else {
        row = mysql_fetch_row(res);
        *bad = row && worker_dump_chunk_range_bad(row[0], row[1]);
        if (*bad)
            snprintf(msg, cap, "extra-args --rows: mydumper cannot split table `%s`.`%s` on "
                     "its key column `%s` (MIN %s, MAX %s): its chunk arithmetic is unsigned "
                     "64-bit, so for keys that are all negative or reach 2^63 its chunks "
                     "hold none of the table's rows (left out of the dump, silently) or "
                     "never end (memory until it is killed); remove --rows (-r) from "
                     "extra-args, then resume", c->s, c->t, c->c, row[0], row[1]);
        rc = 0;
    }
    if (res)
        mysql_free_result(res);
    dm_buf_free(&q);
    return rc;
}

/* The level mydumper picks for each table: the lowest seen (PK, else unique, else any). */
static int pick_level(const struct cand *v, size_t nv, const struct cand *c)
{
    int best = 3;
    for (size_t i = 0; i < nv; i++)
        if (strcmp(v[i].s, c->s) == 0 && strcmp(v[i].t, c->t) == 0 && v[i].level < best)
            best = v[i].level;
    return best;
}

static void cands_free(struct cand *v, size_t nv)
{
    for (size_t i = 0; i < nv; i++) {
        free(v[i].s);
        free(v[i].t);
        free(v[i].c);
    }
    free(v);
}

static int read_cands(MYSQL *m, char *const *sorted, size_t n, MYSQL_RES *res, struct cand **out,
                      size_t *nout)
{
    MYSQL_ROW row;
    struct cand *v = NULL;
    size_t nv = 0;
    (void)m;
    while ((row = mysql_fetch_row(res))) {
        char *key = NULL, **hit;
        struct cand *tmp;
        if (!row[0] || !row[1] || !row[2] || !row[3] || !row[4] ||
            asprintf(&key, "%s.%s", row[0], row[1]) < 0)
            continue;
        hit = bsearch(&key, sorted, n, sizeof *sorted, cmp_str);
        free(key);
        if (!hit)
            continue;
        if (!(tmp = realloc(v, (nv + 1) * sizeof *v))) {
            cands_free(v, nv);
            return -1;
        }
        v = tmp;
        v[nv] = (struct cand){ strdup(row[0]), strdup(row[1]), strdup(row[2]),
                               strcmp(row[4], "1") == 0, atoi(row[3]) };
        if (!v[nv].s || !v[nv].t || !v[nv].c) {
            cands_free(v, nv + 1);
            return -1;
        }
        nv++;
    }
    *out = v;
    *nout = nv;
    return 0;
}

int worker_dump_check_chunks(MYSQL *m, char *const *names, const size_t *dblen, size_t n,
                             char *msg, size_t cap, bool *transient)
{
    struct dm_buf q;
    MYSQL_RES *res = NULL;
    struct cand *v = NULL;
    size_t nv = 0;
    char **sorted = n ? malloc(n * sizeof *sorted) : NULL;
    int rc = -1;
    *transient = false;
    dm_buf_init(&q, 1u << 24);
    if (!n) {
        rc = 0;
        goto out;
    }
    if (!sorted || cand_query(m, names, dblen, n, &q)) {
        snprintf(msg, cap, "out of memory");
        goto out;
    }
    memcpy(sorted, names, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    if (mysql_query(m, q.data) || !(res = mysql_store_result(m))) {
        snprintf(msg, cap, "check --rows chunking on the source: %s", mysql_error(m));
        *transient = mysql_errno(m) >= 2000;
        goto out;
    }
    if (read_cands(m, sorted, n, res, &v, &nv)) {
        snprintf(msg, cap, "out of memory");
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < nv && rc == 0; i++) {
        bool bad = false;
        if (!v[i].integer || v[i].level != pick_level(v, nv, &v[i]))
            continue;
        rc = min_max(m, &v[i], msg, cap, &bad, transient);
        if (rc == 0 && bad)
            rc = 1;
    }
out:
    if (res)
        mysql_free_result(res);
    cands_free(v, nv);
    free(sorted);
    dm_buf_free(&q);
    return rc;
}

/* sqlop.c - SQL operators (see sqlop.h). */
#include "sqlop.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "dm_regex.h"
#include "dm_error.h"
#include "log.h"
#include "relay_pos.h"
#include "terror.h"

#define MAX_OPS 1024
#define MAX_INJECT 1024

struct op {
    char *key;             /* "file:pos" or the pattern as given */
    bool by_pos;
    enum worker_sqlop_op op;
    char **args;           /* NULL-terminated */
    struct dm_regex *re;   /* `~` patterns (Go syntax) */
    char *exact;           /* other patterns: the whole statement */
    struct op *next;
};

struct inject {
    char *schema, *sql;
    struct inject *next;
};

struct worker_sqlop {
    pthread_mutex_t mu;
    struct op *ops;        /* in insertion order */
    size_t nops;
    struct inject *inj, **inj_tail;
    size_t ninj;
};

/* ---- holder ---- */

struct worker_sqlop *worker_sqlop_new(void)
{
    struct worker_sqlop *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    h->inj_tail = &h->inj;
    return h;
}

void worker_sqlop_strv_free(char **v)
{
    size_t i;
    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void op_free(struct op *o)
{
    if (!o)
        return;
    free(o->key);
    worker_sqlop_strv_free(o->args);
    dm_regex_free(o->re);
    free(o->exact);
    free(o);
}

void worker_sqlop_free(struct worker_sqlop *h)
{
    if (!h)
        return;
    while (h->ops) {
        struct op *o = h->ops;
        h->ops = o->next;
        op_free(o);
    }
    while (h->inj) {
        struct inject *i = h->inj;
        h->inj = i->next;
        free(i->schema);
        free(i->sql);
        free(i);
    }
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static char **strv_dup(const char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    size_t i;
    if (!out)
        return NULL;
    for (i = 0; i < n; i++)
        if (!(out[i] = strdup(v[i] ? v[i] : ""))) {
            worker_sqlop_strv_free(out);
            return NULL;
        }
    return out;
}

/* DM's TrimQuoteMark: one pair of surrounding " or ' removed. Owned copy. */
static char *trim_quotes(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
        return strndup(s + 1, n - 2);
    return strdup(s ? s : "");
}

static void terr(char *err, size_t cap, int code, enum worker_terr_class cls,
                 enum worker_terr_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void terr(char *err, size_t cap, int code, enum worker_terr_class cls,
                 enum worker_terr_level lvl, const char *fmt, ...)
{
    struct worker_terr e;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    worker_terr_set(&e, code, cls, WTE_SCOPE_INTERNAL, lvl, "%s", msg);
    worker_terr_string(&e, err, cap);
}

/* "file:pos" with a numeric pos -> normalised key. */
static int pos_key(const char *s, char **key)
{
    const char *c = strrchr(s, ':');
    char *end;
    unsigned long long v;
    if (!c || c == s || !c[1])
        return DM_E_INVAL;
    v = strtoull(c + 1, &end, 10);
    if (*end || c[1] == '-')
        return DM_E_INVAL;
    char file[300], real[300];
    unsigned long suffix;
    if ((size_t)(c - s) >= sizeof file)
        return DM_E_INVAL;
    snprintf(file, sizeof file, "%.*s", (int)(c - s), s);
    relay_pos_split(file, real, sizeof real, &suffix);  /* DM's mysql-bin|000001.000003 */
    *key = malloc(strlen(real) + 32);
    if (!*key)
        return DM_E_NOMEM;
    snprintf(*key, strlen(real) + 32, "%s:%llu", real, v);
    return DM_OK;
}

static int build_op(struct op *o, const char *pos, const char *pattern, char *err, size_t cap)
{
    char rerr[300];
    if (pos[0] && pattern[0]) {
        terr(err, cap, WTE_VERIFY_SQL_OPERATE_ARGS, WTE_CLASS_FUNCTIONAL, WTE_LEVEL_LOW, "%s",
             "cannot specify both --binlog-pos and --sql-pattern in sql operation");
        return DM_E_INVAL;
    }
    if (pos[0]) {
        int rc = pos_key(pos, &o->key);
        if (rc == DM_E_INVAL)
            terr(err, cap, WTE_VERIFY_SQL_OPERATE_ARGS, WTE_CLASS_FUNCTIONAL, WTE_LEVEL_LOW,
                 "invalid --binlog-pos %s in sql operation: should be like mysql-bin|000001:1234",
                 pos);
        o->by_pos = true;
        return rc;
    }
    if (!pattern[0]) {
        terr(err, cap, WTE_VERIFY_SQL_OPERATE_ARGS, WTE_CLASS_FUNCTIONAL, WTE_LEVEL_LOW, "%s",
             "must specify one of --binlog-pos and --sql-pattern in sql operation");
        return DM_E_INVAL;
    }
    if (!(o->key = strdup(pattern)))
        return DM_E_NOMEM;
    if (pattern[0] != '~')
        return (o->exact = strdup(pattern)) ? DM_OK : DM_E_NOMEM;
    if (dm_regex_compile(pattern + 1, 0, &o->re, rerr, sizeof rerr)) {
        char msg[600];
        snprintf(msg, sizeof msg, "invalid --sql-pattern %s in sql operation: %s", pattern, rerr);
        terr(err, cap, WTE_VERIFY_SQL_OPERATE_ARGS, WTE_CLASS_FUNCTIONAL, WTE_LEVEL_LOW, "%s", msg);
        return DM_E_INVAL;
    }
    return DM_OK;
}

/* Insert o, replacing an operator with the same key. Lock held. */
static int insert_op(struct worker_sqlop *h, struct op *o)
{
    struct op **pp;
    for (pp = &h->ops; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->key, o->key) == 0) {
            struct op *old = *pp;
            o->next = old->next;
            *pp = o;
            dm_log_kv(DM_LOG_WARN, "overwrite operator", "key", o->key, NULL);
            op_free(old);
            return DM_OK;
        }
    if (h->nops >= MAX_OPS)
        return DM_E_TOO_LARGE;
    *pp = o;
    h->nops++;
    return DM_OK;
}

/* Each injected statement must be DDL naming a schema (DM's InjectSQLs checks). */
static int check_inject(const char *sql, char *schema, size_t scap, char *err, size_t cap)
{
    struct worker_ddl d;
    int rc = worker_ddl_parse(sql, NULL, &d);
    if (rc)
        return rc;
    if (d.kind != WDDL_DDL || d.n == 0) {
        terr(err, cap, WTE_SYNC_INJECT_DDL_ONLY, WTE_CLASS_SYNC_UNIT, WTE_LEVEL_LOW,
             "only support inject DDL for sharding group to be synced currently, but got %s", sql);
        worker_ddl_free(&d);
        return DM_E_INVAL;
    }
    snprintf(schema, scap, "%s", d.items[0].refs[0].schema);
    worker_ddl_free(&d);
    return DM_OK;
}

static int set_inject(struct worker_sqlop *h, const char *const *args, size_t n, char *err,
                      size_t cap)
{
    struct inject *head = NULL, **tail = &head;
    size_t i;
    int rc = DM_OK;
    for (i = 0; i < n && !rc; i++) {
        char schema[WORKER_NAME_MAX] = "";
        struct inject *in;
        if (strchr(args[i], '.') == NULL && (rc = DM_E_INVAL)) {
            terr(err, cap, WTE_SYNC_INJECT_DDL_NO_SCHEMA, WTE_CLASS_SYNC_UNIT, WTE_LEVEL_LOW,
                 "injected DDL %s without schema name not valid", args[i]);
            break;
        }
        if ((rc = check_inject(args[i], schema, sizeof schema, err, cap)))
            break;
        in = calloc(1, sizeof *in);
        if (!in || !(in->schema = strdup(schema)) || !(in->sql = strdup(args[i]))) {
            if (in)
                free(in->schema);
            free(in);
            rc = DM_E_NOMEM;
            break;
        }
        *tail = in;
        tail = &in->next;
    }
    if (rc) {
        while (head) {
            struct inject *x = head;
            head = x->next;
            free(x->schema);
            free(x->sql);
            free(x);
        }
        return rc;
    }
    pthread_mutex_lock(&h->mu);
    if (h->ninj + n > MAX_INJECT) {
        rc = DM_E_TOO_LARGE;
    } else if (head) {
        *h->inj_tail = head;
        h->inj_tail = tail;
        h->ninj += n;
        head = NULL;
    }
    pthread_mutex_unlock(&h->mu);
    if (rc == DM_E_TOO_LARGE)
        snprintf(err, cap, "too many injected statements pending (max %d)", MAX_INJECT);
    while (head) {
        struct inject *x = head;
        head = x->next;
        free(x->schema);
        free(x->sql);
        free(x);
    }
    return rc;
}

int worker_sqlop_set(struct worker_sqlop *h, enum worker_sqlop_op op, const char *const *args,
                     size_t nargs, const char *binlog_pos, const char *pattern, char *err,
                     size_t cap)
{
    struct op *o = NULL;
    char *pos = NULL, *pat = NULL;
    int rc = DM_E_NOMEM;
    if (op == WSQLOP_INJECT)
        return set_inject(h, args, nargs, err, cap);
    if (op != WSQLOP_SKIP && op != WSQLOP_REPLACE) {
        terr(err, cap, WTE_SYNC_NOT_SUPPORTED_OPERATE, WTE_CLASS_SYNC_UNIT, WTE_LEVEL_MEDIUM,
             "op %s not supported", "unknown");
        return DM_E_NOT_SUPPORTED;
    }
    o = calloc(1, sizeof *o);
    pos = trim_quotes(binlog_pos);
    pat = trim_quotes(pattern);
    if (!o || !pos || !pat)
        goto out;
    o->op = op;
    if ((rc = build_op(o, pos, pat, err, cap)))
        goto out;
    rc = DM_E_NOMEM;
    if (!(o->args = strv_dup(args, op == WSQLOP_SKIP ? 0 : nargs)))
        goto out;
    pthread_mutex_lock(&h->mu);
    rc = insert_op(h, o);
    pthread_mutex_unlock(&h->mu);
    if (rc == DM_E_TOO_LARGE)
        snprintf(err, cap, "too many SQL operators pending (max %d)", MAX_OPS);
    if (!rc) {
        dm_log_kv(DM_LOG_INFO, "set a new operator", "key", o->key, "op",
                  op == WSQLOP_SKIP ? "SKIP" : "REPLACE", NULL);
        o = NULL;
    }
out:
    op_free(o);
    free(pos);
    free(pat);
    return rc;
}

static bool op_matches(const struct op *o, const char *const *sqls, size_t n, size_t *which)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if ((o->re && dm_regex_match(o->re, sqls[i])) ||
            (o->exact && strcmp(o->exact, sqls[i]) == 0)) {
            *which = i;
            return true;
        }
    }
    return false;
}

int worker_sqlop_apply(struct worker_sqlop *h, const char *file, uint64_t pos,
                       const char *const *sqls, size_t n, bool *applied, char ***out,
                       char *cause, size_t cap)
{
    char key[400];
    struct op **pp, *hit = NULL;
    size_t which = 0;
    *applied = false;
    *out = NULL;
    snprintf(key, sizeof key, "%s:%llu", file, (unsigned long long)pos);
    pthread_mutex_lock(&h->mu);
    for (pp = &h->ops; *pp && !hit; pp = hit ? pp : &(*pp)->next)
        if ((*pp)->by_pos && strcmp((*pp)->key, key) == 0)
            hit = *pp;
    if (hit) {
        snprintf(cause, cap, "binlog-pos %s matched", key);
    } else {
        for (pp = &h->ops; *pp && !hit; pp = hit ? pp : &(*pp)->next)
            if (!(*pp)->by_pos && op_matches(*pp, sqls, n, &which))
                hit = *pp;
        if (hit)
            snprintf(cause, cap, "sql-pattern %s matched SQL %s", hit->key, sqls[which]);
    }
    if (hit) {
        *pp = hit->next;       /* always delete the operator */
        h->nops--;
    }
    pthread_mutex_unlock(&h->mu);
    if (!hit)
        return DM_OK;
    *out = hit->args;
    hit->args = NULL;
    *applied = true;
    op_free(hit);
    return DM_OK;
}

char *worker_sqlop_take_inject(struct worker_sqlop *h, char *schema, size_t cap)
{
    struct inject *in;
    char *sql = NULL;
    pthread_mutex_lock(&h->mu);
    in = h->inj;
    if (in) {
        h->inj = in->next;
        if (!h->inj)
            h->inj_tail = &h->inj;
        h->ninj--;
    }
    pthread_mutex_unlock(&h->mu);
    if (in) {
        snprintf(schema, cap, "%s", in->schema);
        sql = in->sql;
        free(in->schema);
        free(in);
    }
    return sql;
}

size_t worker_sqlop_describe(struct worker_sqlop *h, char *out, size_t cap)
{
    const struct op *o;
    size_t n = 0, len = 0;
    if (cap)
        out[0] = '\0';
    pthread_mutex_lock(&h->mu);
    for (o = h->ops; o; o = o->next, n++) {
        size_t i;
        int w = snprintf(out + len, cap > len ? cap - len : 0, "%s%s %s: %s", n ? "\n" : "",
                         o->by_pos ? "binlog-pos" : "sql-pattern", o->key,
                         o->op == WSQLOP_SKIP ? "SKIP" : "REPLACE");
        len += w > 0 ? (size_t)w : 0;
        for (i = 0; o->args && o->args[i]; i++) {
            w = snprintf(out + len, cap > len ? cap - len : 0, " %s", o->args[i]);
            len += w > 0 ? (size_t)w : 0;
        }
    }
    if (h->ninj) {
        int w = snprintf(out + len, cap > len ? cap - len : 0, "%s%zu injected statement(s) pending",
                         n ? "\n" : "", h->ninj);
        (void)w;
    }
    pthread_mutex_unlock(&h->mu);
    return n;
}

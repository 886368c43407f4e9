/* ddl.c - DDL classification, splitting and name rewriting (see ddl.h). */
#include "ddl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dm_error.h"

#define MAX_TOKS 512

enum tok_type { T_WORD, T_QID, T_STR, T_PUNCT };

struct tok {
    enum tok_type type;
    size_t start, end;      /* span in the statement */
};

struct lexer {
    const char *s;
    struct tok t[MAX_TOKS];
    size_t n;
};

/* ---- lexer ---- */

static size_t skip_space_comments(const char *s, size_t i)
{
    for (;;) {
        while (s[i] && isspace((unsigned char)s[i]))
            i++;
        if (s[i] == '/' && s[i + 1] == '*' && s[i + 2] != '!') {
            const char *e = strstr(s + i + 2, "*/");
            i = e ? (size_t)(e - s) + 2 : strlen(s);
        } else if ((s[i] == '-' && s[i + 1] == '-' && (s[i + 2] == ' ' || s[i + 2] == '\t' ||
                                                       s[i + 2] == '\n')) || s[i] == '#') {
            while (s[i] && s[i] != '\n')
                i++;
        } else if (s[i] == '/' && s[i + 1] == '*' && s[i + 2] == '!') {
            i += 3; /* executable comment: lex its content */
            while (isdigit((unsigned char)s[i]))
                i++;
        } else if (s[i] == '*' && s[i + 1] == '/') {
            i += 2;
        } else {
            return i;
        }
    }
}

static size_t lex_quoted(const char *s, size_t i, char q)
{
    i++;
    while (s[i]) {
        if (s[i] == '\\' && q != '`' && s[i + 1]) {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (s[i + 1] == q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return i;
}

static void lex(struct lexer *lx, const char *s)
{
    size_t i = 0;
    lx->s = s;
    lx->n = 0;
    while (lx->n < MAX_TOKS) {
        struct tok *t = &lx->t[lx->n];
        i = skip_space_comments(s, i);
        if (!s[i])
            break;
        t->start = i;
        if (s[i] == '`') {
            t->type = T_QID;
            i = lex_quoted(s, i, '`');
        } else if (s[i] == '\'' || s[i] == '"') {
            t->type = T_STR;
            i = lex_quoted(s, i, s[i]);
        } else if (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$' ||
                   (unsigned char)s[i] >= 0x80) {
            t->type = T_WORD;
            while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$' ||
                   (unsigned char)s[i] >= 0x80)
                i++;
        } else {
            t->type = T_PUNCT;
            i++;
        }
        t->end = i;
        lx->n++;
    }
}

static bool kw(const struct lexer *lx, size_t i, const char *word)
{
    const struct tok *t;
    size_t len = strlen(word);
    if (i >= lx->n)
        return false;
    t = &lx->t[i];
    return t->type == T_WORD && t->end - t->start == len &&
           strncasecmp(lx->s + t->start, word, len) == 0;
}

static bool punct(const struct lexer *lx, size_t i, char c)
{
    return i < lx->n && lx->t[i].type == T_PUNCT && lx->s[lx->t[i].start] == c;
}

static bool is_ident(const struct lexer *lx, size_t i)
{
    return i < lx->n && (lx->t[i].type == T_WORD || lx->t[i].type == T_QID);
}

/* Unquoted identifier text of token i into out. */
static void ident_text(const struct lexer *lx, size_t i, char *out, size_t cap)
{
    const struct tok *t = &lx->t[i];
    size_t o = 0, k;
    if (t->type != T_QID) {
        snprintf(out, cap, "%.*s", (int)(t->end - t->start), lx->s + t->start);
        return;
    }
    for (k = t->start + 1; k + 1 < t->end && o + 1 < cap; k++) {
        out[o++] = lx->s[k];
        if (lx->s[k] == '`' && lx->s[k + 1] == '`')
            k++;
    }
    out[o] = '\0';
}

/* Parse a (possibly qualified) table name at token *i; fills ref (span over the
 * ORIGINAL statement) and advances *i. false when no name is there. */
static bool parse_name(const struct lexer *lx, size_t *i, const char *defdb, bool db_only,
                       struct worker_ddl_ref *ref)
{
    size_t k = *i;
    if (!is_ident(lx, k))
        return false;
    ref->start = lx->t[k].start;
    if (db_only) {
        ident_text(lx, k, ref->schema, sizeof ref->schema);
        ref->table[0] = '\0';
        ref->end = lx->t[k].end;
        *i = k + 1;
        return true;
    }
    if (punct(lx, k + 1, '.') && is_ident(lx, k + 2)) {
        ident_text(lx, k, ref->schema, sizeof ref->schema);
        ident_text(lx, k + 2, ref->table, sizeof ref->table);
        ref->end = lx->t[k + 2].end;
        *i = k + 3;
    } else {
        snprintf(ref->schema, sizeof ref->schema, "%s", defdb ? defdb : "");
        ident_text(lx, k, ref->table, sizeof ref->table);
        ref->end = lx->t[k].end;
        *i = k + 1;
    }
    return true;
}

/* ---- result building ---- */

static struct worker_ddl_item *add_item(struct worker_ddl *res, enum worker_event ev,
                                        const char *text, size_t len)
{
    struct worker_ddl_item *tmp = realloc(res->items, (res->n + 1) * sizeof *tmp);
    struct worker_ddl_item *it;
    if (!tmp)
        return NULL;
    res->items = tmp;
    it = &res->items[res->n];
    memset(it, 0, sizeof *it);
    it->ev = ev;
    it->text = strndup(text, len);
    if (!it->text)
        return NULL;
    res->n++;
    return it;
}

/* Whole statement as one item with up to two refs found at the given tokens. */
static int single(struct worker_ddl *res, const struct lexer *lx, enum worker_event ev,
                  const struct worker_ddl_ref *r0, const struct worker_ddl_ref *r1)
{
    struct worker_ddl_item *it = add_item(res, ev, lx->s, strlen(lx->s));
    if (!it)
        return DM_E_NOMEM;
    it->refs[0] = *r0;
    it->nrefs = 1;
    if (r1) {
        it->refs[1] = *r1;
        it->nrefs = 2;
    }
    res->kind = WDDL_DDL;
    return DM_OK;
}

/* "<prefix><name>[ TO <name2>]" as a new item (for split DROP/RENAME lists). */
static int synth(struct worker_ddl *res, enum worker_event ev, const char *prefix,
                 const struct lexer *lx, const struct worker_ddl_ref *a,
                 const struct worker_ddl_ref *b)
{
    struct dm_buf buf;
    struct worker_ddl_item *it;
    int rc = DM_E_NOMEM;
    dm_buf_init(&buf, 1 << 20);
    if (dm_buf_adds(&buf, prefix))
        goto out;
    it = NULL;
    {
        size_t s0 = buf.len;
        if (dm_buf_add(&buf, lx->s + a->start, a->end - a->start))
            goto out;
        if (b) {
            size_t s1;
            if (dm_buf_adds(&buf, " TO "))
                goto out;
            s1 = buf.len;
            if (dm_buf_add(&buf, lx->s + b->start, b->end - b->start))
                goto out;
            it = add_item(res, ev, buf.data, buf.len);
            if (!it)
                goto out;
            it->refs[1] = *b;
            it->refs[1].start = s1;
            it->refs[1].end = s1 + (b->end - b->start);
            it->nrefs = 2;
        } else {
            it = add_item(res, ev, buf.data, buf.len);
            if (!it)
                goto out;
            it->nrefs = 1;
        }
        it->refs[0] = *a;
        it->refs[0].start = s0;
        it->refs[0].end = s0 + (a->end - a->start);
    }
    res->kind = WDDL_DDL;
    rc = DM_OK;
out:
    dm_buf_free(&buf);
    return rc;
}

/* ---- statements ---- */

static bool skip_if_exists(const struct lexer *lx, size_t *i)
{
    if (kw(lx, *i, "IF") && kw(lx, *i + 1, "EXISTS")) {
        *i += 2;
        return true;
    }
    return false;
}

static void skip_if_not_exists(const struct lexer *lx, size_t *i)
{
    if (kw(lx, *i, "IF") && kw(lx, *i + 1, "NOT") && kw(lx, *i + 2, "EXISTS"))
        *i += 3;
}

static int parse_create(struct worker_ddl *res, const struct lexer *lx, size_t i,
                        const char *defdb)
{
    struct worker_ddl_ref a, b;
    if (kw(lx, i, "OR") && kw(lx, i + 1, "REPLACE"))
        i += 2;
    if (kw(lx, i, "DATABASE") || kw(lx, i, "SCHEMA")) {
        i++;
        skip_if_not_exists(lx, &i);
        if (!parse_name(lx, &i, defdb, true, &a))
            return DM_OK;
        return single(res, lx, WEV_CREATE_DATABASE, &a, NULL);
    }
    if (kw(lx, i, "TEMPORARY")) {
        res->kind = WDDL_SKIP;
        return DM_OK;
    }
    if (kw(lx, i, "TABLE")) {
        i++;
        skip_if_not_exists(lx, &i);
        if (!parse_name(lx, &i, defdb, false, &a))
            return DM_OK;
        if (punct(lx, i, '('))
            i++;
        if (kw(lx, i, "LIKE") && (i++, parse_name(lx, &i, defdb, false, &b)))
            return single(res, lx, WEV_CREATE_TABLE, &a, &b);
        return single(res, lx, WEV_CREATE_TABLE, &a, NULL);
    }
    if (kw(lx, i, "UNIQUE") || kw(lx, i, "FULLTEXT") || kw(lx, i, "SPATIAL"))
        i++;
    if (kw(lx, i, "INDEX")) {
        for (; i < lx->n && !kw(lx, i, "ON"); i++)
            ;
        i++;
        if (!parse_name(lx, &i, defdb, false, &a))
            return DM_OK;
        return single(res, lx, WEV_CREATE_INDEX, &a, NULL);
    }
    res->kind = WDDL_SKIP; /* VIEW, TRIGGER, PROCEDURE, FUNCTION, EVENT, USER, ... */
    return DM_OK;
}

static int parse_drop(struct worker_ddl *res, const struct lexer *lx, size_t i,
                      const char *defdb)
{
    struct worker_ddl_ref a;
    int rc;
    if (kw(lx, i, "DATABASE") || kw(lx, i, "SCHEMA")) {
        i++;
        skip_if_exists(lx, &i);
        if (!parse_name(lx, &i, defdb, true, &a))
            return DM_OK;
        return single(res, lx, WEV_DROP_DATABASE, &a, NULL);
    }
    if (kw(lx, i, "TABLE")) {
        bool ie;
        i++;
        ie = skip_if_exists(lx, &i);
        while (parse_name(lx, &i, defdb, false, &a)) {
            if ((rc = synth(res, WEV_DROP_TABLE, ie ? "DROP TABLE IF EXISTS " : "DROP TABLE ",
                            lx, &a, NULL)))
                return rc;
            if (!punct(lx, i, ','))
                break;
            i++;
        }
        return DM_OK;
    }
    if (kw(lx, i, "INDEX")) {
        for (; i < lx->n && !kw(lx, i, "ON"); i++)
            ;
        i++;
        if (!parse_name(lx, &i, defdb, false, &a))
            return DM_OK;
        return single(res, lx, WEV_DROP_INDEX, &a, NULL);
    }
    res->kind = WDDL_SKIP; /* TEMPORARY TABLE, VIEW, TRIGGER, USER, ... */
    return DM_OK;
}

static int parse_alter(struct worker_ddl *res, const struct lexer *lx, size_t i,
                       const char *defdb)
{
    struct worker_ddl_ref a, b;
    size_t k;
    if (kw(lx, i, "ONLINE"))
        i++;
    if (kw(lx, i, "IGNORE"))
        i++;
    if (!kw(lx, i, "TABLE")) {
        res->kind = WDDL_SKIP; /* ALTER DATABASE/VIEW/USER/EVENT/... */
        return DM_OK;
    }
    i++;
    if (!parse_name(lx, &i, defdb, false, &a))
        return DM_OK;
    for (k = i; k < lx->n; k++) {
        size_t j = k + 1;
        if (!kw(lx, k, "RENAME"))
            continue;
        if (kw(lx, j, "COLUMN") || kw(lx, j, "INDEX") || kw(lx, j, "KEY"))
            continue;
        if (kw(lx, j, "TO") || kw(lx, j, "AS"))
            j++;
        if (parse_name(lx, &j, defdb, false, &b))
            return single(res, lx, WEV_ALTER_TABLE, &a, &b);
    }
    return single(res, lx, WEV_ALTER_TABLE, &a, NULL);
}

static int parse_rename(struct worker_ddl *res, const struct lexer *lx, size_t i,
                        const char *defdb)
{
    struct worker_ddl_ref a, b;
    int rc;
    if (!kw(lx, i, "TABLE") && !kw(lx, i, "TABLES")) {
        res->kind = WDDL_SKIP; /* RENAME USER */
        return DM_OK;
    }
    i++;
    while (parse_name(lx, &i, defdb, false, &a)) {
        if (!kw(lx, i, "TO"))
            break;
        i++;
        if (!parse_name(lx, &i, defdb, false, &b))
            break;
        if ((rc = synth(res, WEV_RENAME_TABLE, "RENAME TABLE ", lx, &a, &b)))
            return rc;
        if (!punct(lx, i, ','))
            break;
        i++;
    }
    return DM_OK;
}

static bool has_definer(const struct lexer *lx)
{
    size_t i;
    for (i = 0; i < lx->n && i < 8; i++)
        if (kw(lx, i, "DEFINER"))
            return true;
    return false;
}

static const char *const skip_first[] = {
    "SAVEPOINT", "RELEASE", "FLUSH", "OPTIMIZE", "ANALYZE", "REPAIR", "GRANT", "REVOKE",
    "XA", "DO", "CHECK", "CHECKSUM", "INSTALL", "UNINSTALL", "RESET", "PURGE", NULL
};
static const char *const dml_first[] = { "INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD", NULL };

static bool first_in(const struct lexer *lx, const char *const *list)
{
    size_t i;
    for (i = 0; list[i]; i++)
        if (kw(lx, 0, list[i]))
            return true;
    return false;
}

static int classify(struct worker_ddl *res, const struct lexer *lx, const char *defdb)
{
    struct worker_ddl_ref a;
    size_t i = 1;
    if (kw(lx, 0, "BEGIN") || (kw(lx, 0, "START") && kw(lx, 1, "TRANSACTION"))) {
        res->kind = WDDL_BEGIN;
        return DM_OK;
    }
    if (kw(lx, 0, "COMMIT")) {
        res->kind = WDDL_COMMIT;
        return DM_OK;
    }
    if (first_in(lx, skip_first) || (kw(lx, 0, "SET") && kw(lx, 1, "PASSWORD")) ||
        (kw(lx, 0, "ROLLBACK") && kw(lx, 1, "TO")) || has_definer(lx)) {
        res->kind = WDDL_SKIP;
        return DM_OK;
    }
    if (first_in(lx, dml_first)) {
        res->kind = WDDL_DML;
        return DM_OK;
    }
    if (kw(lx, 0, "CREATE"))
        return parse_create(res, lx, 1, defdb);
    if (kw(lx, 0, "DROP"))
        return parse_drop(res, lx, 1, defdb);
    if (kw(lx, 0, "ALTER"))
        return parse_alter(res, lx, 1, defdb);
    if (kw(lx, 0, "RENAME"))
        return parse_rename(res, lx, 1, defdb);
    if (kw(lx, 0, "TRUNCATE")) {
        if (kw(lx, i, "TABLE"))
            i++;
        if (parse_name(lx, &i, defdb, false, &a))
            return single(res, lx, WEV_TRUNCATE_TABLE, &a, NULL);
    }
    return DM_OK;
}

int worker_ddl_parse(const char *sql, const char *default_schema, struct worker_ddl *res)
{
    struct lexer *lx = malloc(sizeof *lx);
    int rc;
    memset(res, 0, sizeof *res);
    res->kind = WDDL_UNKNOWN;
    if (!lx)
        return DM_E_NOMEM;
    lex(lx, sql);
    rc = lx->n ? classify(res, lx, default_schema) : DM_OK;
    if (res->kind == WDDL_DDL && res->n == 0)
        res->kind = WDDL_UNKNOWN;
    if (lx->n == 0)
        res->kind = WDDL_SKIP;
    free(lx);
    if (rc)
        worker_ddl_free(res);
    return rc;
}

void worker_ddl_free(struct worker_ddl *res)
{
    size_t i;
    for (i = 0; i < res->n; i++)
        free(res->items[i].text);
    free(res->items);
    res->items = NULL;
    res->n = 0;
}

static int add_qident(struct dm_buf *b, const char *name)
{
    int rc = dm_buf_addc(b, '`');
    for (; !rc && *name; name++)
        rc = *name == '`' ? dm_buf_adds(b, "``") : dm_buf_addc(b, *name);
    return rc ? rc : dm_buf_addc(b, '`');
}

char *worker_ddl_rewrite(const struct worker_ddl_item *item, const struct worker_rules *rules)
{
    struct dm_buf b;
    size_t pos = 0, k, order[2] = { 0, 1 };
    int rc = DM_OK;
    dm_buf_init(&b, 64u << 20);
    if (item->nrefs == 2 && item->refs[1].start < item->refs[0].start) {
        order[0] = 1;
        order[1] = 0;
    }
    for (k = 0; k < item->nrefs && !rc; k++) {
        const struct worker_ddl_ref *r = &item->refs[order[k]];
        char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
        worker_rules_route(rules, r->schema, r->table, ts, sizeof ts, tt, sizeof tt);
        rc = dm_buf_add(&b, item->text + pos, r->start - pos);
        if (!rc)
            rc = add_qident(&b, ts);
        if (!rc && r->table[0])
            rc = dm_buf_addc(&b, '.') || add_qident(&b, tt) ? DM_E_NOMEM : DM_OK;
        pos = r->end;
    }
    if (!rc)
        rc = dm_buf_adds(&b, item->text + pos);
    if (rc) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

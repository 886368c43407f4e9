/* ddl.c - DDL parser entry: classification of the first words, the documented skip
 * table, and the helpers the grammars share (see ddl.h, ddl_int.h). */
#include "ddl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "dm_error.h"

/* ---- the skip table (DM v1.0.7 pkg/utils builtInSkipDDLs + its parser's non-DDL
 * statements, which DM ignores too). verb NULL: the statement's first word(s). ---- */

struct skip_rule {
    const char *verb;       /* CREATE / ALTER / DROP / RENAME, or NULL */
    const char *w1, *w2;    /* words that follow (w2 may be NULL) */
    const char *why;
};

static const struct skip_rule skip_rules[] = {
    {NULL, "SAVEPOINT", NULL, "transaction savepoint"},
    {NULL, "RELEASE", NULL, "transaction savepoint"},
    {NULL, "ROLLBACK", "TO", "transaction savepoint"},
    {NULL, "XA", NULL, "XA transaction control"},
    {NULL, "FLUSH", NULL, "FLUSH"},
    {NULL, "OPTIMIZE", NULL, "table maintenance"},
    {NULL, "ANALYZE", NULL, "table maintenance"},
    {NULL, "REPAIR", NULL, "table maintenance"},
    {NULL, "CHECK", NULL, "table maintenance"},
    {NULL, "CHECKSUM", NULL, "table maintenance"},
    {NULL, "GRANT", NULL, "account management"},
    {NULL, "REVOKE", NULL, "account management"},
    {NULL, "SET", "PASSWORD", "account management"},
    {NULL, "SET", "DEFAULT", "account management (SET DEFAULT ROLE)"},
    {NULL, "SET", NULL, "session variable"},
    {NULL, "INSTALL", NULL, "plugin"},
    {NULL, "UNINSTALL", NULL, "plugin"},
    {NULL, "CALL", NULL, "stored routine call (its changes are row events)"},
    {NULL, "LOCK", NULL, "table locks"},
    {NULL, "UNLOCK", NULL, "table locks"},
    {NULL, "USE", NULL, "default database"},
    {NULL, "KILL", NULL, "KILL"},
    {NULL, "RESET", NULL, "server administration"},
    {NULL, "PURGE", NULL, "server administration"},
    {NULL, "CHANGE", "MASTER", "server administration"},
    {NULL, "BINLOG", NULL, "server administration"},
    {NULL, "CACHE", "INDEX", "key cache"},
    {NULL, "LOAD", "INDEX", "key cache"},
    {"CREATE", "TEMPORARY", NULL, "temporary table"},
    {"DROP", "TEMPORARY", NULL, "temporary table"},
    {"*", "VIEW", NULL, "view"},
    {"*", "TRIGGER", NULL, "trigger"},
    {"*", "PROCEDURE", NULL, "procedure"},
    {"*", "FUNCTION", NULL, "function"},
    {"*", "PACKAGE", NULL, "package"},
    {"*", "EVENT", NULL, "event"},
    {"*", "TABLESPACE", NULL, "tablespace"},
    {"*", "LOGFILE", NULL, "tablespace"},
    {"*", "SERVER", NULL, "federated server"},
    {"*", "USER", NULL, "account management"},
    {"*", "ROLE", NULL, "account management"},
    {"*", "INSTANCE", NULL, "server administration"},
};

#define NSKIP (sizeof skip_rules / sizeof skip_rules[0])

const char *worker_ddl_skip_table(size_t i, const char **why)
{
    static char text[NSKIP][64];
    const struct skip_rule *r;
    if (i >= NSKIP)
        return NULL;
    r = &skip_rules[i];
    snprintf(text[i], sizeof text[i], "%s%s%s%s%s", r->verb ? (*r->verb == '*'
             ? "CREATE/ALTER/DROP/RENAME" : r->verb) : "", r->verb ? " " : "", r->w1,
             r->w2 ? " " : "", r->w2 ? r->w2 : "");
    if (why)
        *why = r->why;
    return text[i];
}

const char *ddl_skip_object(const struct ddl_parse *p, const char *verb, size_t i)
{
    size_t k;
    for (k = 0; k < NSKIP; k++) {
        const struct skip_rule *r = &skip_rules[k];
        if (!r->verb || (strcmp(r->verb, "*") != 0 && strcmp(r->verb, verb) != 0))
            continue;
        if (ddl_kw(p, i, r->w1))
            return r->why;
    }
    return NULL;
}

static const char *skip_first(const struct ddl_parse *p)
{
    size_t k;
    for (k = 0; k < NSKIP; k++) {
        const struct skip_rule *r = &skip_rules[k];
        if (!r->verb && ddl_kw(p, 0, r->w1) && (!r->w2 || ddl_kw(p, 1, r->w2)))
            return r->why;
    }
    return NULL;
}

/* ---- shared helpers ---- */

int ddl_bad(struct ddl_parse *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->res->err, sizeof p->res->err, fmt, ap);
    va_end(ap);
    p->res->kind = WDDL_UNKNOWN;
    return DDL_BAD;
}

int ddl_skip(struct ddl_parse *p, const char *why)
{
    p->res->kind = WDDL_SKIP;
    snprintf(p->res->err, sizeof p->res->err, "%s", why);
    return DM_OK;
}

bool ddl_kw(const struct ddl_parse *p, size_t i, const char *w)
{
    return i < p->end && ddl_tok_kw(&p->lx, i, w);
}

bool ddl_punct(const struct ddl_parse *p, size_t i, char c)
{
    return i < p->end && ddl_tok_punct(&p->lx, i, c);
}

bool ddl_skip_if_exists(const struct ddl_parse *p, size_t *i, bool not_)
{
    size_t k = *i;
    if (!ddl_kw(p, k, "IF"))
        return false;
    k++;
    if (not_ && !ddl_kw(p, k++, "NOT"))
        return false;
    if (!ddl_kw(p, k, "EXISTS"))
        return false;
    *i = k + 1;
    return true;
}

void ddl_skip_wait(const struct ddl_parse *p, size_t *i)
{
    if (ddl_kw(p, *i, "NOWAIT"))
        (*i)++;
    else if (ddl_kw(p, *i, "WAIT") && *i + 1 < p->end && p->lx.t[*i + 1].type == DT_NUM)
        *i += 2;
}

static int ident_at(struct ddl_parse *p, size_t k, char *out)
{
    if (k >= p->end || !ddl_tok_ident(&p->lx, k))
        return ddl_bad(p, "a name was expected at byte %zu",
                       k < p->lx.n ? p->lx.t[k].start : strlen(p->lx.s));
    if (!ddl_tok_ident_text(&p->lx, k, out, WORKER_NAME_MAX) || !out[0])
        return ddl_bad(p, "identifier at byte %zu is empty or longer than %d bytes",
                       p->lx.t[k].start, WORKER_NAME_MAX - 1);
    return DM_OK;
}

int ddl_name_at(struct ddl_parse *p, size_t *i, bool db_only, struct ddl_name *n)
{
    size_t k = *i;
    memset(n, 0, sizeof *n);
    n->t0 = k;
    if (db_only) {
        if (ident_at(p, k, n->schema))
            return DDL_BAD;
        n->t1 = k + 1;
    } else if (ddl_punct(p, k + 1, '.')) {
        if (ident_at(p, k, n->schema) || ident_at(p, k + 2, n->table))
            return DDL_BAD;
        n->t1 = k + 3;
    } else {
        if (ident_at(p, k, n->table))
            return DDL_BAD;
        if (!p->defdb[0])
            return ddl_bad(p, "table name `%s` without a schema and no default database",
                           n->table);
        snprintf(n->schema, sizeof n->schema, "%s", p->defdb);
        n->t1 = k + 1;
    }
    *i = n->t1;
    return DM_OK;
}

/* ---- classification ---- */

/* SELECT / DO: a QUERY event never holds a plain SELECT; MariaDB logs `SELECT f()` (also
 * for `DO f()`) when a stored function called by it changed rows in a STATEMENT/MIXED
 * session - statement-format DML (DM v1.0.7 pauses on it too: a SelectStmt is a DMLNode). */
static const char *const dml_first[] = { "INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD",
                                         "WITH", "SELECT", "DO", NULL };

static bool first_in(const struct ddl_parse *p, const char *const *list)
{
    size_t i;
    for (i = 0; list[i]; i++)
        if (ddl_kw(p, 0, list[i]))
            return true;
    return false;
}

/* Functions whose value differs per call and per server: an ALTER TABLE that calls one
 * (ADD COLUMN ... DEFAULT (UUID())) fills the existing rows with values the binlog does not
 * hold, so the target's rows would differ. Session functions count too: the DDL runs as the
 * worker's user, in the routed schema (DEFAULT (USER()) / (DATABASE()) gave the existing
 * rows 'root@localhost' / 'src' on the source and the worker's user / 'dst' on the target),
 * a sequence's next values are the target's, and system variables (DEFAULT (@@hostname),
 * (@@server_id)) have each server's value. (NOW()/CURRENT_TIMESTAMP are not here: the
 * DDL runs at the source's timestamp, applier.h worker_applier_ddl.) */
static const char *const nondeterministic[] = { "UUID", "UUID_SHORT", "SYS_GUID", "RAND",
                                                "RANDOM_BYTES", "SYSDATE", "CONNECTION_ID",
                                                "USER", "CURRENT_USER", "SESSION_USER",
                                                "SYSTEM_USER", "CURRENT_ROLE", "DATABASE",
                                                "SCHEMA", "VERSION", "NEXTVAL", "LASTVAL",
                                                "SETVAL", NULL };

/* Reserved words that call a session function without parentheses. */
static const char *const session_words[] = { "CURRENT_USER", "CURRENT_ROLE", NULL };

static int alter_calls(struct ddl_parse *p, const char *what)
{
    return ddl_bad(p, "ALTER TABLE calling %s: the rows the table already has get values the "
                      "binlog does not hold and the target would compute others (replace it, "
                      "e.g. by the ALTER without the function and the UPDATE that sets the "
                      "source's values)", what);
}

static int alter_nondeterministic(struct ddl_parse *p)
{
    size_t i, k;
    char what[40];
    for (i = 1; i < p->end; i++) {
        for (k = 0; nondeterministic[k]; k++)
            if (ddl_kw(p, i, nondeterministic[k]) && ddl_punct(p, i + 1, '(') &&
                !ddl_kw(p, i - 1, "INDEX") && !ddl_kw(p, i - 1, "KEY")) {  /* ADD INDEX user (c) */
                snprintf(what, sizeof what, "%s()", nondeterministic[k]);
                return alter_calls(p, what);
            }
        for (k = 0; session_words[k]; k++)
            if (ddl_kw(p, i, session_words[k]))
                return alter_calls(p, session_words[k]);
        if ((ddl_kw(p, i, "NEXT") || ddl_kw(p, i, "PREVIOUS")) && ddl_kw(p, i + 1, "VALUE") &&
            ddl_kw(p, i + 2, "FOR"))
            return alter_calls(p, ddl_kw(p, i, "NEXT") ? "NEXT VALUE FOR" : "PREVIOUS VALUE FOR");
        if (p->lx.s[p->lx.t[i].start] == '@')   /* DEFAULT (@@hostname), (@@server_id) */
            return alter_calls(p, "a variable (@@...): each server has its own value");
    }
    return DM_OK;
}

/* SAVEPOINT s / ROLLBACK [WORK] TO [SAVEPOINT] s / RELEASE SAVEPOINT s: res->sp and
 * res->sp_name (kind stays what the skip table gives). */
static void savepoint_of(struct ddl_parse *p)
{
    struct worker_ddl *res = p->res;
    size_t i = 1;
    if (ddl_kw(p, 0, "SAVEPOINT")) {
        res->sp = WDDL_SP_SET;
    } else if (ddl_kw(p, 0, "RELEASE") && ddl_kw(p, 1, "SAVEPOINT")) {
        res->sp = WDDL_SP_RELEASE;
        i = 2;
    } else if (ddl_kw(p, 0, "ROLLBACK")) {
        i += ddl_kw(p, i, "WORK") ? 1 : 0;
        if (!ddl_kw(p, i, "TO"))
            return;
        i += ddl_kw(p, i + 1, "SAVEPOINT") ? 2 : 1;
        res->sp = WDDL_SP_ROLLBACK;
    } else {
        return;
    }
    if (i + 1 != p->end || !ddl_tok_ident(&p->lx, i) ||
        !ddl_tok_ident_text(&p->lx, i, res->sp_name, sizeof res->sp_name))
        res->sp_name[0] = '\0';   /* unknown name: matches no savepoint */
}

/* res->xa / res->xa_id of XA END / XA COMMIT / XA ROLLBACK <xid> (ddl.h); the statement
 * stays a skip ("XA transaction control"). The xid is the text after the keyword (one
 * space-separated form as MariaDB logs it). XA COMMIT ... ONE PHASE is never logged as
 * such (its rows come as an ordinary transaction): not tracked. */
static void xa_of(struct ddl_parse *p)
{
    struct worker_ddl *res = p->res;
    size_t a, b;
    if (p->end < 3)
        return;
    if (ddl_kw(p, 1, "END"))
        res->xa = WDDL_XA_END;
    else if (ddl_kw(p, 1, "ROLLBACK"))
        res->xa = WDDL_XA_ROLLBACK;
    else if (ddl_kw(p, 1, "COMMIT") && !ddl_kw(p, p->end - 1, "PHASE"))
        res->xa = WDDL_XA_COMMIT;
    else
        return;
    a = p->lx.t[2].start;
    b = p->lx.t[p->end - 1].end;
    if (b - a >= sizeof res->xa_id)
        b = a + sizeof res->xa_id - 1;   /* longer than any xid: never matches a real one */
    memcpy(res->xa_id, p->lx.s + a, b - a);
    res->xa_id[b - a] = '\0';
}

/* res->order_dep of an ALTER TABLE (ddl.h). */
static void alter_order_dep(struct ddl_parse *p)
{
    size_t i;
    bool ignore = ddl_kw(p, 1, "IGNORE") || ddl_kw(p, 2, "IGNORE");
    for (i = 1; i < p->end; i++) {
        if (ddl_kw(p, i, "AUTO_INCREMENT") && !ddl_punct(p, i + 1, '=') &&
            !(i + 1 < p->end && p->lx.t[i + 1].type == DT_NUM))
            p->res->order_dep = "adding an AUTO_INCREMENT column";
        else if (ignore && ddl_kw(p, i, "ADD") &&
                 (ddl_kw(p, i + 1, "UNIQUE") || ddl_kw(p, i + 1, "PRIMARY") ||
                  (ddl_kw(p, i + 1, "CONSTRAINT") &&
                   (ddl_kw(p, i + 2, "UNIQUE") || ddl_kw(p, i + 2, "PRIMARY") ||
                    ddl_kw(p, i + 3, "UNIQUE") || ddl_kw(p, i + 3, "PRIMARY")))))
            p->res->order_dep = "ALTER IGNORE adding a unique key";
    }
}

static int classify(struct ddl_parse *p)
{
    struct worker_ddl *res = p->res;
    const char *why;
    if (ddl_kw(p, 0, "BEGIN") || (ddl_kw(p, 0, "START") && ddl_kw(p, 1, "TRANSACTION"))) {
        res->kind = WDDL_BEGIN;
        return DM_OK;
    }
    savepoint_of(p);
    if (res->sp == WDDL_SP_ROLLBACK)
        return ddl_skip(p, "transaction savepoint");
    if (ddl_kw(p, 0, "COMMIT") || ddl_kw(p, 0, "ROLLBACK")) {
        res->kind = WDDL_COMMIT;
        res->rollback = ddl_kw(p, 0, "ROLLBACK");
        return DM_OK;
    }
    if (ddl_kw(p, 0, "XA"))
        xa_of(p);
    if ((why = skip_first(p)) != NULL && !(ddl_kw(p, 0, "LOAD") && !ddl_kw(p, 1, "INDEX")))
        return ddl_skip(p, why);
    if (first_in(p, dml_first)) {
        res->kind = WDDL_DML;
        return DM_OK;
    }
    if (ddl_kw(p, 0, "CREATE"))
        return ddl_parse_create(p, 1);
    if (ddl_kw(p, 0, "ALTER") && (ddl_kw(p, 1, "TABLE") || ddl_kw(p, 2, "TABLE")) &&
        alter_nondeterministic(p) != DM_OK)
        return DDL_BAD;
    if (ddl_kw(p, 0, "ALTER") && (ddl_kw(p, 1, "TABLE") || ddl_kw(p, 2, "TABLE")))
        alter_order_dep(p);
    if (ddl_kw(p, 0, "ALTER"))
        return ddl_parse_alter(p, 1);
    if (ddl_kw(p, 0, "DROP"))
        return ddl_parse_drop(p, 1);
    if (ddl_kw(p, 0, "RENAME"))
        return ddl_parse_rename(p, 1);
    if (ddl_kw(p, 0, "TRUNCATE"))
        return ddl_parse_truncate(p, 1);
    return ddl_bad(p, "statement not supported by the DDL parser");
}

/* `SET STATEMENT var=value[, ...] FOR <statement>`: the text of <statement> (classified
 * as itself: DDL, statement-format DML, ...; the variables are the statement's session
 * context, like the QUERY event's own), else NULL. Not the "session variable" skip rule:
 * that lost the DDL (SET STATEMENT lock_wait_timeout=5 FOR ALTER TABLE ...). */
static const char *set_statement_body(const struct ddl_parse *p)
{
    size_t i;
    int depth = 0;
    if (!ddl_kw(p, 0, "SET") || !ddl_kw(p, 1, "STATEMENT"))
        return NULL;
    for (i = 2; i + 1 < p->end; i++) {
        if (ddl_punct(p, i, '('))
            depth++;
        else if (ddl_punct(p, i, ')'))
            depth--;
        else if (depth == 0 && ddl_kw(p, i, "FOR"))
            return p->lx.s + p->lx.t[i].end;
    }
    return NULL;
}

int worker_ddl_parse_mode(const char *sql, const char *default_schema, uint64_t sql_mode,
                          struct worker_ddl *res)
{
    const char *inner;
    struct ddl_parse p;
    int rc;
    memset(res, 0, sizeof *res);
    memset(&p, 0, sizeof p);
    res->kind = WDDL_UNKNOWN;
    p.res = res;
    p.defdb = default_schema ? default_schema : "";
    rc = ddl_lex(sql, sql_mode, &p.lx, res->err, sizeof res->err);
    if (rc == DM_E_PARSE) {
        res->kind = WDDL_UNKNOWN;
        rc = DM_OK;
        goto out;
    }
    if (rc)
        goto out;
    p.end = p.lx.n;
    while (p.end > 0 && ddl_tok_punct(&p.lx, p.end - 1, ';'))
        p.end--;
    if ((inner = set_statement_body(&p)) != NULL) {
        ddl_lex_free(&p.lx);
        return worker_ddl_parse_mode(inner, default_schema, sql_mode, res);
    }
    if (p.end == 0) {
        rc = ddl_skip(&p, "empty statement (comments only)");
        goto out;
    }
    rc = classify(&p);
    if (rc == DDL_BAD) {
        rc = DM_OK;
        res->kind = WDDL_UNKNOWN;
    }
    if (rc == DM_OK && res->kind == WDDL_UNKNOWN && !res->err[0])
        snprintf(res->err, sizeof res->err, "statement not supported by the DDL parser");
out:
    ddl_lex_free(&p.lx);
    if (rc || res->kind != WDDL_DDL) {
        enum worker_ddl_kind k = res->kind;
        worker_ddl_free(res);
        res->kind = k;
    }
    return rc;
}

int worker_ddl_parse(const char *sql, const char *default_schema, struct worker_ddl *res)
{
    return worker_ddl_parse_mode(sql, default_schema, 0, res);
}

void worker_ddl_free(struct worker_ddl *res)
{
    size_t i;
    for (i = 0; i < res->n; i++) {
        free(res->items[i].text);
        free(res->items[i].xrefs);
    }
    free(res->items);
    res->items = NULL;
    res->n = res->cap = 0;
}

bool worker_ddl_replay_blind(const char *sql)
{
    struct ddl_lexed lx;
    char err[128];
    size_t renames = 0;
    bool blind = false;
    if (ddl_lex(sql ? sql : "", 0, &lx, err, sizeof err) != DM_OK) {
        ddl_lex_free(&lx);      /* the tokens before the error */
        return true;
    }
    bool moves = false;     /* a name can move to another position / index */
    for (size_t i = 0; i < lx.n && !blind; i++) {
        bool ren = ddl_tok_kw(&lx, i, "RENAME"), chg = ddl_tok_kw(&lx, i, "CHANGE");
        renames += ren || chg;
        moves = moves || chg || ddl_tok_kw(&lx, i, "FIRST") || ddl_tok_kw(&lx, i, "AFTER") ||
                (ren && (ddl_tok_kw(&lx, i + 1, "INDEX") || ddl_tok_kw(&lx, i + 1, "KEY")));
        blind = ddl_tok_kw(&lx, i, "EXCHANGE");
    }
    blind = blind || (renames > 1 && moves);
    ddl_lex_free(&lx);
    return blind;
}

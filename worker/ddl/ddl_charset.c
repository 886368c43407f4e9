/* ddl_charset.c - table charsets that depend on the database's default (ddl.h
 * worker_ddl_charset_need). */
#include <stdbool.h>
#include <stddef.h>

#include "ddl.h"
#include "ddl_lex.h"

/* Index of the ')' closing the '(' at tokens[open], or n. */
static size_t closing(const struct ddl_lexed *lx, size_t open)
{
    size_t i;
    int depth = 0;
    for (i = open; i < lx->n; i++) {
        if (ddl_tok_punct(lx, i, '('))
            depth++;
        else if (ddl_tok_punct(lx, i, ')') && --depth == 0)
            return i;
    }
    return lx->n;
}

/* Tokens of a charset/collation option at i (CHARSET, CHARACTER SET, COLLATE), 0 if none. */
static size_t cs_option(const struct ddl_lexed *lx, size_t i)
{
    if (ddl_tok_kw(lx, i, "CHARSET") || ddl_tok_kw(lx, i, "COLLATE"))
        return 1;
    return ddl_tok_kw(lx, i, "CHARACTER") && ddl_tok_kw(lx, i + 1, "SET") ? 2 : 0;
}

/* Charset/collation options at tokens [from, n) outside parentheses: *any set when there
 * is one, *dflt when one has the value DEFAULT (the database's default). */
static void table_charsets(const struct ddl_lexed *lx, size_t from, bool *any, bool *dflt)
{
    size_t i, k;
    int depth = 0;
    *any = *dflt = false;
    for (i = from; i < lx->n; i++) {
        if (ddl_tok_punct(lx, i, '('))
            depth++;
        else if (ddl_tok_punct(lx, i, ')'))
            depth--;
        else if (depth == 0 && (k = cs_option(lx, i)) > 0) {
            *any = true;
            i += k;
            if (ddl_tok_punct(lx, i, '='))
                i++;
            if (ddl_tok_kw(lx, i, "DEFAULT"))
                *dflt = true;
        }
    }
}

enum worker_ddl_cs worker_ddl_charset_need(const char *sql, size_t *at)
{
    struct ddl_lexed lx;
    char err[128];
    size_t i, open, close;
    bool any, dflt;
    enum worker_ddl_cs r = WDDL_CS_NONE;
    if (ddl_lex(sql, 0, &lx, err, sizeof err) != 0)
        goto out;
    for (i = 0; i < lx.n && !ddl_tok_kw(&lx, i, "TABLE"); i++)
        ;
    if (i >= lx.n)
        goto out;
    table_charsets(&lx, i, &any, &dflt);
    if (dflt) {
        r = WDDL_CS_DB_DEFAULT;
        goto out;
    }
    if (!ddl_tok_kw(&lx, 0, "CREATE"))
        goto out;
    for (open = i; open < lx.n && !ddl_tok_punct(&lx, open, '('); open++)
        if (ddl_tok_kw(&lx, open, "LIKE") || ddl_tok_kw(&lx, open, "SELECT") ||
            ddl_tok_kw(&lx, open, "AS"))
            goto out;             /* LIKE copies its source's; no column list */
    if (open >= lx.n || ddl_tok_kw(&lx, open + 1, "LIKE") ||
        (close = closing(&lx, open)) >= lx.n)
        goto out;
    table_charsets(&lx, close + 1, &any, &dflt);
    if (any)
        goto out;
    *at = lx.t[close].end;
    r = WDDL_CS_ADD;
out:
    ddl_lex_free(&lx);
    return r;
}

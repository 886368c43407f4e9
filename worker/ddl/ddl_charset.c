/* ddl_charset.c - where a CREATE TABLE without a table character set takes one (ddl.h
 * worker_ddl_create_charset_at). */
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

/* A table option naming a character set or collation at tokens [from, n) outside
 * parentheses (CHARSET, CHARACTER SET, COLLATE, with or without DEFAULT). */
static bool has_table_charset(const struct ddl_lexed *lx, size_t from)
{
    size_t i;
    int depth = 0;
    for (i = from; i < lx->n; i++) {
        if (ddl_tok_punct(lx, i, '('))
            depth++;
        else if (ddl_tok_punct(lx, i, ')'))
            depth--;
        else if (depth == 0 && (ddl_tok_kw(lx, i, "CHARSET") || ddl_tok_kw(lx, i, "COLLATE") ||
                                (ddl_tok_kw(lx, i, "CHARACTER") && ddl_tok_kw(lx, i + 1, "SET"))))
            return true;
    }
    return false;
}

bool worker_ddl_create_charset_at(const char *sql, size_t *at)
{
    struct ddl_lexed lx;
    char err[128];
    size_t i, open, close;
    bool ok = false;
    if (ddl_lex(sql, 0, &lx, err, sizeof err) != 0)
        goto out;
    for (i = 0; i < lx.n && !ddl_tok_kw(&lx, i, "TABLE"); i++)
        ;
    for (open = i; open < lx.n && !ddl_tok_punct(&lx, open, '('); open++)
        if (ddl_tok_kw(&lx, open, "LIKE") || ddl_tok_kw(&lx, open, "SELECT") ||
            ddl_tok_kw(&lx, open, "AS"))
            goto out;             /* LIKE copies its source's; no column list */
    if (open >= lx.n || ddl_tok_kw(&lx, open + 1, "LIKE") ||
        (close = closing(&lx, open)) >= lx.n || has_table_charset(&lx, close + 1))
        goto out;
    *at = lx.t[close].end;
    ok = true;
out:
    ddl_lex_free(&lx);
    return ok;
}

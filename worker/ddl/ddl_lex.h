/* ddl_lex.h - MariaDB SQL lexer for the DDL parser (internal to worker/ddl).
 * Splits a statement into tokens (words, quoted identifiers, strings, numbers,
 * punctuation); comments are dropped, executable comments (slash-star-bang [NNNNN[N]] ...,
 * slash-star-M-bang ...) are lexed as code as MariaDB 10.11 does it: no version (or fewer
 * than 5 digits) runs, a 5-digit MySQL version runs below 50700, a 6-digit MariaDB
 * version runs up to DDL_EXEC_VERSION_MAX (10.11.0: the exact 10.11.x of the source is
 * not known here; others are comments, as on an older server). sql_mode
 * ANSI_QUOTES makes "x" an identifier, NO_BACKSLASH_ESCAPES makes backslash ordinary
 * inside strings. No token limit: the token array grows with the statement.
 * Ownership: ddl_lex fills `lx`, freed with ddl_lex_free. Thread-safety: reentrant. */
#ifndef DM_WORKER_DDL_LEX_H
#define DM_WORKER_DDL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DDL_EXEC_VERSION_MAX 101100u
#define DDL_MODE_ANSI_QUOTES (1ull << 2)
#define DDL_MODE_NO_BACKSLASH_ESCAPES (1ull << 20)

enum ddl_tok_type {
    DT_WORD,     /* unquoted identifier or keyword */
    DT_QID,      /* `quoted identifier` */
    DT_DQID,     /* "identifier" under ANSI_QUOTES */
    DT_STR,      /* 'string' or "string" */
    DT_NUM,      /* number */
    DT_PUNCT     /* one punctuation byte */
};

struct ddl_tok {
    enum ddl_tok_type type;
    size_t start, end;       /* byte span in the statement */
};

struct ddl_lexed {
    const char *s;           /* borrowed statement */
    uint64_t sql_mode;
    struct ddl_tok *t;       /* owned */
    size_t n, cap;
};

/* Tokenize `s`. DM_OK, DM_E_PARSE (unterminated quote or comment: message in err) or
 * DM_E_NOMEM. */
int ddl_lex(const char *s, uint64_t sql_mode, struct ddl_lexed *lx, char *err, size_t cap);
void ddl_lex_free(struct ddl_lexed *lx);

/* true when token i is the keyword `word` (case-insensitive). */
bool ddl_tok_kw(const struct ddl_lexed *lx, size_t i, const char *word);
/* true when token i is the punctuation byte c. */
bool ddl_tok_punct(const struct ddl_lexed *lx, size_t i, char c);
/* true when token i can be an identifier (word, `quoted`, ANSI "quoted"). */
bool ddl_tok_ident(const struct ddl_lexed *lx, size_t i);
/* Unquoted identifier text of token i into out (cap bytes). false when it does not fit. */
bool ddl_tok_ident_text(const struct ddl_lexed *lx, size_t i, char *out, size_t cap);

#endif /* DM_WORKER_DDL_LEX_H */

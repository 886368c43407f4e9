/* ddl_lex.c - MariaDB SQL lexer (see ddl_lex.h). */
#include "ddl_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* Is the executable comment whose version digits start at *i code? MariaDB's rule
 * (checked on 10.11): fewer than 5 digits are not a version (they are code); 5 digits
 * are a MySQL version, run when below 50700 (MySQL 5.7+ comments are ignored); 6 digits
 * a MariaDB version, run up to DDL_EXEC_VERSION_MAX. *i moves past the version. */
static bool exec_version_runs(const char *s, size_t *i)
{
    size_t d = 0, v = 0, k;
    while (d < 6 && is_digit(s[*i + d]))
        d++;
    if (d < 5)
        return true;
    for (k = 0; k < d; k++)
        v = v * 10 + (size_t)(s[*i + k] - '0');
    *i += d;
    return d == 5 ? v < 50700 : v <= DDL_EXEC_VERSION_MAX;
}

/* Skip space and comments from i; *in_exec tracks an open executable comment. Returns
 * the new position or (size_t)-1 for an unterminated comment. */
static size_t skip_gap(const char *s, size_t i, bool *in_exec)
{
    for (;;) {
        while (is_space(s[i]))
            i++;
        if (s[i] == '/' && s[i + 1] == '*') {
            size_t j = i + 2;
            bool exec = false;
            if (!*in_exec && (s[j] == '!' || (s[j] == 'M' && s[j + 1] == '!'))) {
                j += s[j] == '!' ? 1 : 2;
                exec = exec_version_runs(s, &j);
            }
            if (exec) {
                *in_exec = true;
                i = j;
                continue;
            }
            {
                const char *e = strstr(s + i + 2, "*/");
                if (!e)
                    return (size_t)-1;
                i = (size_t)(e - s) + 2;
            }
        } else if (*in_exec && s[i] == '*' && s[i + 1] == '/') {
            *in_exec = false;
            i += 2;
        } else if (s[i] == '#' ||
                   (s[i] == '-' && s[i + 1] == '-' && (s[i + 2] == '\0' || is_space(s[i + 2])))) {
            while (s[i] && s[i] != '\n')
                i++;
        } else {
            return i;
        }
    }
}

/* End of the quoted token starting at i (quote char q), or (size_t)-1 if unterminated. */
static size_t quoted_end(const char *s, size_t i, char q, bool backslash)
{
    i++;
    while (s[i]) {
        if (backslash && s[i] == '\\' && s[i + 1]) {
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
    return (size_t)-1;
}

static size_t word_end(const char *s, size_t i, enum ddl_tok_type *type)
{
    bool digits = true;
    while (is_word(s[i])) {
        digits = digits && is_digit(s[i]);
        i++;
    }
    *type = digits ? DT_NUM : DT_WORD;
    if (digits && s[i] == '.' && is_digit(s[i + 1])) {   /* 1.5 */
        i++;
        while (is_word(s[i]))
            i++;
    }
    return i;
}

static int push(struct ddl_lexed *lx, enum ddl_tok_type type, size_t start, size_t end)
{
    if (lx->n == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 64;
        struct ddl_tok *t = realloc(lx->t, cap * sizeof *t);
        if (!t)
            return DM_E_NOMEM;
        lx->t = t;
        lx->cap = cap;
    }
    lx->t[lx->n].type = type;
    lx->t[lx->n].start = start;
    lx->t[lx->n].end = end;
    lx->n++;
    return DM_OK;
}

/* One token at i: its type and end (or (size_t)-1 when a quote is unterminated). */
static size_t next_tok(const struct ddl_lexed *lx, size_t i, enum ddl_tok_type *type)
{
    const char *s = lx->s;
    bool bs = !(lx->sql_mode & DDL_MODE_NO_BACKSLASH_ESCAPES);
    if (s[i] == '`') {
        *type = DT_QID;
        return quoted_end(s, i, '`', false);
    }
    if (s[i] == '"' && (lx->sql_mode & DDL_MODE_ANSI_QUOTES)) {
        *type = DT_DQID;
        return quoted_end(s, i, '"', false);
    }
    if (s[i] == '\'' || s[i] == '"') {
        *type = DT_STR;
        return quoted_end(s, i, s[i], bs);
    }
    if (is_word(s[i]))
        return word_end(s, i, type);
    *type = DT_PUNCT;
    return i + 1;
}

int ddl_lex(const char *s, uint64_t sql_mode, struct ddl_lexed *lx, char *err, size_t cap)
{
    size_t i = 0;
    bool in_exec = false;
    memset(lx, 0, sizeof *lx);
    lx->s = s;
    lx->sql_mode = sql_mode;
    for (;;) {
        enum ddl_tok_type type;
        size_t e;
        i = skip_gap(s, i, &in_exec);
        if (i == (size_t)-1) {
            snprintf(err, cap, "unterminated comment");
            return DM_E_PARSE;
        }
        if (!s[i])
            return DM_OK;
        e = next_tok(lx, i, &type);
        if (e == (size_t)-1) {
            snprintf(err, cap, "unterminated quoted text at byte %zu", i);
            return DM_E_PARSE;
        }
        if (push(lx, type, i, e))
            return DM_E_NOMEM;
        i = e;
    }
}

void ddl_lex_free(struct ddl_lexed *lx)
{
    free(lx->t);
    lx->t = NULL;
    lx->n = lx->cap = 0;
}

bool ddl_tok_kw(const struct ddl_lexed *lx, size_t i, const char *word)
{
    const struct ddl_tok *t;
    size_t len = strlen(word);
    if (i >= lx->n)
        return false;
    t = &lx->t[i];
    return t->type == DT_WORD && t->end - t->start == len &&
           strncasecmp(lx->s + t->start, word, len) == 0;
}

bool ddl_tok_punct(const struct ddl_lexed *lx, size_t i, char c)
{
    return i < lx->n && lx->t[i].type == DT_PUNCT && lx->s[lx->t[i].start] == c;
}

bool ddl_tok_ident(const struct ddl_lexed *lx, size_t i)
{
    return i < lx->n && (lx->t[i].type == DT_WORD || lx->t[i].type == DT_QID ||
                         lx->t[i].type == DT_DQID);
}

bool ddl_tok_ident_text(const struct ddl_lexed *lx, size_t i, char *out, size_t cap)
{
    const struct ddl_tok *t = &lx->t[i];
    size_t o = 0, k;
    if (t->type == DT_WORD) {
        if (t->end - t->start >= cap)
            return false;
        memcpy(out, lx->s + t->start, t->end - t->start);
        out[t->end - t->start] = '\0';
        return true;
    }
    for (k = t->start + 1; k + 1 < t->end; k++) {
        if (o + 1 >= cap)
            return false;
        out[o++] = lx->s[k];
        if (lx->s[k] == lx->s[t->start] && lx->s[k + 1] == lx->s[t->start])
            k++;
    }
    out[o] = '\0';
    return true;
}

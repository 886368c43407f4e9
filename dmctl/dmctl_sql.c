/* dmctl_sql.c - local checks of the sql-* commands (see dmctl_sql.h). */
#include "dmctl_sql.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"
#include "dm_regex.h"

#define TERR_VERIFY "[code=11017:class=functional:scope=internal:level=low] "

char *dmctl_trim_quote_mark(const char *s)
{
    size_t n = strlen(s);
    if (n > 2 && s[0] == '"' && s[n - 1] == '"')
        return strndup(s + 1, n - 2);
    return strdup(s);
}

/* binlog.PositionFromStr: "file:pos" with pos a uint32. NULL when fine, else DM's text. */
static const char *position_error(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || strchr(colon + 1, ':'))
        return "the format should be filename:pos, position string %s";
    const char *p = colon + 1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (!*p || !isdigit((unsigned char)*p) || *end || errno || v > 0xffffffffULL)
        return "the pos should be digital, position string %s";
    return NULL;
}

/* a `~` --sql-pattern must be a valid Go regexp (DM: regexp.Compile(pattern[1:])) */
static bool pattern_ok(const char *pat, struct dm_buf *err)
{
    struct dm_regex *re = NULL;
    char why[512] = "";
    int rc = dm_regex_compile(pat + 1, 0, &re, why, sizeof why);
    dm_regex_free(re);
    if (rc == DM_OK)
        return true;
    dm_buf_printf(err, TERR_VERIFY "invalid --sql-pattern %s in sql operation: %s", pat,
                  rc == DM_E_INVAL ? why : "out of memory");
    return false;
}

int dmctl_verify_sql_args(const char *binlog_pos, const char *sql_pattern, bool sharding,
                          struct dm_buf *err)
{
    char *pos = dmctl_trim_quote_mark(binlog_pos);
    char *pat = dmctl_trim_quote_mark(sql_pattern);
    int rc = DM_E_INVAL;
    if (!pos || !pat) {
        rc = DM_E_NOMEM;
    } else if (*pos && *pat) {
        dm_buf_adds(err, TERR_VERIFY "cannot specify both --binlog-pos and --sql-pattern in "
                                     "sql operation");
    } else if (*pos && position_error(pos)) {
        dm_buf_printf(err, TERR_VERIFY "invalid --binlog-pos %s in sql operation: ", pos);
        const char *why = position_error(pos);
        if (strstr(why, "format"))
            dm_buf_printf(err, "the format should be filename:pos, position string %s", pos);
        else
            dm_buf_printf(err, "the pos should be digital, position string %s", pos);
    } else if (!*pos && !*pat) {
        dm_buf_adds(err, TERR_VERIFY "must specify one of --binlog-pos and --sql-pattern in "
                                     "sql operation");
    } else if (*pat == '~' && !pattern_ok(pat, err)) {
        /* DM compiles `~re` with Go's regexp.Compile; the message went into err */
    } else if (sharding && *pos) {
        dm_buf_adds(err, TERR_VERIFY "cannot specify --binlog-pos with --sharding in sql "
                                     "operation");
    } else {
        rc = DM_OK;
    }
    free(pos);
    free(pat);
    return rc;
}

/* End of the quoted run starting at s (s[0] is the quote); NULL when unterminated. */
static const char *skip_quoted(const char *s)
{
    char q = *s;
    for (s++; *s; s++) {
        if (*s == '\\' && q != '`' && s[1]) {
            s++;
        } else if (*s == q) {
            if (s[1] != q)
                return s + 1;
            s++; /* doubled quote */
        }
    }
    return NULL;
}

/* Skip a comment at s ("-- ", "#", or block); returns s when none, NULL if unterminated. */
static const char *skip_comment(const char *s)
{
    if (*s == '#' || (s[0] == '-' && s[1] == '-' && (isspace((unsigned char)s[2]) || !s[2]))) {
        const char *nl = strchr(s, '\n');
        return nl ? nl + 1 : s + strlen(s);
    }
    if (s[0] == '/' && s[1] == '*') {
        const char *end = strstr(s + 2, "*/");
        return end ? end + 2 : NULL;
    }
    return s;
}

static const char *skip_blank(const char *s)
{
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        const char *t = skip_comment(s);
        if (!t || t == s)
            return t ? s : s + strlen(s);
        s = t;
    }
}

static int push_stmt(char ***v, size_t *n, const char *a, const char *b)
{
    a = skip_blank(a);
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    if (b == a || (b - a == 1 && *a == ';'))
        return DM_OK; /* empty statement */
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return DM_E_NOMEM;
    *v = nv;
    nv[*n] = strndup(a, (size_t)(b - a));
    if (!nv[*n])
        return DM_E_NOMEM;
    (*n)++;
    return DM_OK;
}

/* Split `sql` into statements. */
static int split_sql(const char *sql, char ***v, size_t *n, const char **why)
{
    const char *start = sql, *s = sql;
    int rc = DM_OK;
    while (*s && rc == DM_OK) {
        if (*s == '\'' || *s == '"' || *s == '`') {
            s = skip_quoted(s);
            if (!s) {
                *why = "unterminated quoted string";
                return DM_E_INVAL;
            }
            continue;
        }
        const char *t = skip_comment(s);
        if (!t) {
            *why = "unterminated comment";
            return DM_E_INVAL;
        }
        if (t != s) {
            s = t;
            continue;
        }
        if (*s == ';') {
            rc = push_stmt(v, n, start, s + 1);
            start = s + 1;
        }
        s++;
    }
    return rc == DM_OK ? push_stmt(v, n, start, s) : rc;
}

int dmctl_extract_sqls(char *const *args, size_t nargs, char ***sqls, size_t *n,
                       struct dm_buf *err)
{
    struct dm_buf cat;
    const char *why = NULL;
    int rc = DM_OK;
    *sqls = NULL;
    *n = 0;
    if (nargs == 0) {
        dm_buf_adds(err, "args is empty");
        return DM_E_INVAL;
    }
    dm_buf_init(&cat, 64u << 20);
    for (size_t i = 0; i < nargs && rc == DM_OK; i++)
        rc = dm_buf_printf(&cat, "%s%s", i ? " " : "", args[i]);
    if (rc != DM_OK)
        goto out;
    const char *a = cat.data;
    while (isspace((unsigned char)*a))
        a++;
    size_t len = strlen(a);
    while (len && isspace((unsigned char)a[len - 1]))
        len--;
    char *trimmed = strndup(a, len);
    if (!trimmed) {
        rc = DM_E_NOMEM;
        goto out;
    }
    rc = split_sql(trimmed, sqls, n, &why);
    if (rc == DM_E_INVAL)
        dm_buf_printf(err, "invalid sql '%s': %s", trimmed, why);
    else if (rc == DM_OK && *n == 0) {
        dm_buf_adds(err, "no valid SQLs");
        rc = DM_E_INVAL;
    }
    free(trimmed);
out:
    if (rc != DM_OK) {
        dmctl_sqls_free(*sqls, *n);
        *sqls = NULL;
        *n = 0;
    }
    dm_buf_free(&cat);
    return rc;
}

void dmctl_sqls_free(char **sqls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(sqls[i]);
    free(sqls);
}

/* Next keyword at *s (letters/underscore), case-folded into buf. */
static void next_word(const char **s, char *buf, size_t cap)
{
    const char *p = skip_blank(*s);
    size_t n = 0;
    while ((isalpha((unsigned char)*p) || *p == '_') && n + 1 < cap)
        buf[n++] = (char)toupper((unsigned char)*p++);
    buf[n] = 0;
    *s = p;
}

bool dmctl_is_ddl(const char *sql)
{
    static const char *const verbs[] = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"};
    char w1[32], w2[32];
    const char *s = sql;
    next_word(&s, w1, sizeof w1);
    next_word(&s, w2, sizeof w2);
    bool ddl = false;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(w1, verbs[i]))
            ddl = true;
    if (ddl && (!strcmp(w2, "USER") || !strcmp(w2, "ROLE")))
        ddl = false;
    return ddl;
}

/* load_cols.c - the column list of a dumped INSERT without one (load_cols.h). */
#include "load_cols.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* After the quoted token at s (`ident` or 'string', doubled quotes and backslashes inside),
 * or the line's end. */
static const char *skip_quoted(const char *s)
{
    char q = *s++;
    for (; *s && *s != '\n'; s++) {
        if (q == '\'' && *s == '\\' && s[1] && s[1] != '\n')
            s++;
        else if (*s == q && s[1] == q)
            s++;
        else if (*s == q)
            return s + 1;
    }
    return s;
}

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Whether the column definition from s to the line's end has the word w outside quotes. */
static bool has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    while (*s && *s != '\n') {
        if (*s == '`' || *s == '\'' || *s == '"') {
            s = skip_quoted(s);
        } else if (word_char(*s)) {
            if (strncasecmp(s, w, n) == 0 && !word_char(s[n]))
                return true;
            while (word_char(*s))
                s++;
        } else {
            s++;
        }
    }
    return false;
}

/* A generated column's definition (not a system-versioning ROW START / END column). */
static bool is_generated(const char *after)
{
    return has_word(after, "GENERATED") && !has_word(after, "ROW");
}

int worker_load_insert_cols(const char *text, struct dm_buf *out)
{
    const char *s = strstr(text, "CREATE TABLE `"), *end, *first;
    size_t n = 0;
    bool gen = false;
    dm_buf_reset(out);
    if (!s || !(s = strstr(s, "(\n")))
        return 0;
    first = s + 2;
    for (s = first; strncmp(s, "  `", 3) == 0; s = end + 1) {   /* which list mydumper makes */
        const char *after = skip_quoted(s + 2);
        if (after[-1] != '`' || !(end = strchr(after, '\n')))
            return 0;
        if (has_word(after, "GENERATED") && has_word(after, "ROW"))
            return 0;   /* system versioning: no list (its rows are SELECT *'s) */
        gen = gen || is_generated(after);
    }
    for (s = first; strncmp(s, "  `", 3) == 0; s = end + 1) {
        const char *name = s + 2, *after = skip_quoted(name);
        end = strchr(after, '\n');
        /* mydumper's own list for a table with generated columns: every other column,
         * INVISIBLE ones too; else SELECT *'s: the visible ones */
        if (gen ? is_generated(after) : has_word(after, "INVISIBLE"))
            continue;
        if (dm_buf_adds(out, n++ ? "," : " (") || dm_buf_add(out, name, (size_t)(after - name))) {
            dm_buf_reset(out);
            return -1;
        }
    }
    if (!n || dm_buf_addc(out, ')')) {
        dm_buf_reset(out);
        return n ? -1 : 0;
    }
    return 1;
}

static const char *ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++;
    return s;
}

/* After keyword k (case-insensitive, then not a letter) at s, or NULL. */
static const char *kw(const char *s, const char *end, const char *k)
{
    size_t n = strlen(k);
    if ((size_t)(end - s) < n || strncasecmp(s, k, n) != 0 ||
        (s + n < end && isalnum((unsigned char)s[n])))
        return NULL;
    return s + n;
}

int worker_load_with_cols(const char *stmt, size_t len, const char *cols, struct dm_buf *out)
{
    const char *end = stmt + len, *s = ws(stmt, end), *p;
    dm_buf_reset(out);
    if (!(s = kw(s, end, "INSERT")))
        return 0;
    s = ws(s, end);
    if ((p = kw(s, end, "IGNORE")))
        s = ws(p, end);
    if (!(s = kw(s, end, "INTO")) || (s = ws(s, end)) >= end || *s != '`')
        return 0;
    for (s++; s < end && !(*s == '`' && (s + 1 >= end || s[1] != '`')); s += *s == '`' ? 2 : 1)
        ;
    if (s >= end)
        return 0;
    s++;   /* after the table name */
    if (!kw(ws(s, end), end, "VALUES"))
        return 0;   /* a column list, or not read */
    if (dm_buf_add(out, stmt, (size_t)(s - stmt)) || dm_buf_adds(out, cols) ||
        dm_buf_add(out, s, (size_t)(end - s)))
        return -1;
    return 1;
}

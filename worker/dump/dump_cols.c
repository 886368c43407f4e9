/* dump_cols.c - column names of a dumped CREATE TABLE (dump_cols.h). */
#include "dump_cols.h"

#include <string.h>

/* one "  `name` ..." line at s: the name (`` as `) and '\n' into out; the line's end */
static const char *one_column(const char *s, struct dm_buf *out, int *rc)
{
    for (s += 3; *s && *rc == 0; s++) {
        if (*s == '`' && s[1] == '`')
            s++;
        else if (*s == '`')
            break;
        *rc = dm_buf_addc(out, *s);
    }
    if (*rc == 0)
        *rc = dm_buf_addc(out, '\n');
    return strchr(s, '\n');
}

int worker_dump_create_columns(const char *text, struct dm_buf *out)
{
    const char *s = strstr(text, "CREATE TABLE `");
    int rc = 0;
    dm_buf_reset(out);
    if (!s || !(s = strstr(s, "(\n")))
        return 0;
    for (s += 2; s && strncmp(s, "  `", 3) == 0 && rc == 0; s = s ? s + 1 : NULL)
        s = one_column(s, out, &rc);
    return rc ? -1 : 1;
}

/* load_keys.c - deferred secondary indexes (load_keys.h). */
#include "load_keys.h"

#include <string.h>

#define KEY_LINE "  KEY `"

/* A line of the CREATE's item list that pins its keys in the CREATE. */
static int pins_keys(const char *line, size_t n)
{
    static const char *const words[] = { "FOREIGN KEY", "REFERENCES", "AUTO_INCREMENT" };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t w = strlen(words[i]);
        for (size_t k = 0; k + w <= n; k++)
            if (memcmp(line + k, words[i], w) == 0)
                return 1;
    }
    return 0;
}

/* Item lines: from after "(\n" up to the line starting with ")". Each is appended to
 * `stripped` (kept) or `adds` (a plain KEY), separators rebuilt. */
static int split_items(const char *items, const char **close, struct dm_buf *stripped,
                       struct dm_buf *adds, int *moved)
{
    const char *s = items;
    int kept = 0;
    *moved = 0;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t n;
        if (*s == ')') {
            *close = s;
            return 0;
        }
        if (!nl)
            return 1;               /* no closing line: not SHOW CREATE TABLE's layout */
        n = (size_t)(nl - s);
        if (n && s[n - 1] == ',')
            n--;
        if (pins_keys(s, n))
            return 1;
        if (n > strlen(KEY_LINE) && strncmp(s, KEY_LINE, strlen(KEY_LINE)) == 0) {
            if ((*moved && dm_buf_adds(adds, ", ")) ||
                dm_buf_adds(adds, "ADD KEY IF NOT EXISTS ") ||
                dm_buf_add(adds, s + strlen(KEY_LINE) - 1, n - (strlen(KEY_LINE) - 1)))
                return -1;
            (*moved)++;
        } else {
            if ((stripped && kept && dm_buf_adds(stripped, ",\n")) ||
                (stripped && dm_buf_add(stripped, s, n)))
                return -1;
            kept++;
        }
        s = nl + 1;
    }
}

int worker_load_split_keys(const char *create, struct dm_buf *stripped, struct dm_buf *adds)
{
    const char *open = strstr(create, "(\n"), *close = NULL;
    int moved = 0, rc;
    if (stripped)
        dm_buf_reset(stripped);
    dm_buf_reset(adds);
    if (!open || strncmp(create, "CREATE TABLE", 12) != 0)
        return 0;
    if (stripped && dm_buf_add(stripped, create, (size_t)(open + 2 - create)))
        return -1;
    rc = split_items(open + 2, &close, stripped, adds, &moved);
    if (rc != 0 || !moved) {
        if (stripped)
            dm_buf_reset(stripped);
        dm_buf_reset(adds);
        return rc < 0 ? -1 : 0;
    }
    if (stripped && (dm_buf_addc(stripped, '\n') || dm_buf_adds(stripped, close)))
        return -1;
    return moved;
}

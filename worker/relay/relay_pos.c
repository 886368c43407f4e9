/* relay_pos.c - see relay_pos.h */
#include "relay_pos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool relay_pos_split(const char *name, char *real, size_t cap, unsigned long *suffix)
{
    const char *dot = strrchr(name, '.'), *bar = NULL;
    char *end = NULL;
    *suffix = 0;
    for (const char *p = name; dot && p < dot; p++)
        bar = *p == '|' ? p : bar;
    if (bar && bar > name && bar + 1 < dot) {
        unsigned long v = strtoul(bar + 1, &end, 10);
        if (end == dot && v > 0 && bar[1] != '-' && bar[1] != '+' &&
            snprintf(real, cap, "%.*s%s", (int)(bar - name), name, dot) < (int)cap) {
            *suffix = v;
            return true;
        }
    }
    snprintf(real, cap, "%s", name);
    return false;
}

unsigned long relay_subdir_suffix(const char *subdir)
{
    const char *dot = strrchr(subdir, '.');
    return dot ? strtoul(dot + 1, NULL, 10) : 0;
}

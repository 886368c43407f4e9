/* load_names.c - see load_names.h */
#include "load_names.h"

#include <stdio.h>
#include <string.h>

size_t worker_load_db_len(const char *name, const char *const *dbs, size_t n)
{
    const char *dot = strchr(name, '.');
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(dbs[i]);
        if (l > best && strncmp(name, dbs[i], l) == 0 && name[l] == '.')
            best = l;
    }
    return best ? best : dot ? (size_t)(dot - name) : 0;
}

bool worker_load_data_base(const char *name, char *base, size_t cap)
{
    size_t n = strlen(name), k;
    if (n < 5 || strcmp(name + n - 4, ".sql") != 0)
        return false;
    n -= 4;
    k = n;
    while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9')
        k--;
    if (k < n && k > 0 && name[k - 1] == '.')
        n = k - 1;
    if (n + 1 > cap)
        return false;
    snprintf(base, cap, "%.*s", (int)n, name);
    return true;
}

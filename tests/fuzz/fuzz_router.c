/* fuzz_router.c - the path router: method line + raw path (+ query) from the input.
 * Input: "<METHOD> <path>" ; everything must be handled without crash or leak, and a
 * match must point into the table with decoded, validated parameters (dm_name_check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_name.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *sp = strchr(s, ' ');
    const char *method = "GET", *path = s;
    if (sp) {
        *sp = '\0';
        method = s;
        path = sp + 1;
    }
    struct router_match m;
    int rc = router_match(router_table, router_table_len, method, path, &m);
    if (rc == DM_OK) {
        if (m.index >= router_table_len || m.route != &router_table[m.index])
            abort();
        for (size_t i = 0; i < m.nparams; i++) {
            /* the one name rule (UTF-8 included: gwattack) holds for every parameter */
            if (!m.params[i][0] || strchr(m.params[i], '/') ||
                dm_name_check(m.params[i], strlen(m.params[i]), NULL))
                abort();
        }
    }
    router_match_clear(&m);
    free(router_pct_decode(path, strlen(path), true));
    free(s);
    return 0;
}

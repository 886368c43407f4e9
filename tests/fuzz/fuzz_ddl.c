/* fuzz_ddl.c - the DDL parser (worker/ddl) on arbitrary bytes.
 * Input: [u8 flags][statement]: flags bit 0 = ANSI_QUOTES, bit 1 = NO_BACKSLASH_ESCAPES,
 * bit 2 = no default database. Fuzz harnesses do not link dmworker, so the parser files
 * are compiled in here with a stand-in route (prefixes names with "r_"). Every item must
 * have a schema-qualified first name whose span lies inside its text, the rewrite must
 * succeed, and parsing twice must agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/ddl/ddl.c"
#include "../../worker/ddl/ddl_alter.c"
#include "../../worker/ddl/ddl_emit.c"
#include "../../worker/ddl/ddl_lex.c"
#include "../../worker/ddl/ddl_stmt.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void worker_rules_route(const struct worker_rules *r, const char *schema, const char *table,
                        char *tschema, size_t tscap, char *ttable, size_t ttcap)
{
    (void)r;
    snprintf(tschema, tscap, "r_%s", schema);
    snprintf(ttable, ttcap, "%s", table ? table : "");
}

static void check_ref(const struct worker_ddl_item *it, const struct worker_ddl_ref *r)
{
    size_t n = strlen(it->text);
    if (r->start > r->end || r->end > n || !r->schema[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct worker_ddl d, d2;
    uint64_t mode;
    char *sql;
    size_t i, k;
    if (size < 1)
        return 0;
    mode = ((data[0] & 1) ? DDL_MODE_ANSI_QUOTES : 0) |
           ((data[0] & 2) ? DDL_MODE_NO_BACKSLASH_ESCAPES : 0);
    sql = strndup((const char *)data + 1, size - 1);
    if (!sql)
        return 0;
    if (worker_ddl_parse_mode(sql, (data[0] & 4) ? NULL : "s", mode, &d) != DM_OK)
        abort();
    if (worker_ddl_parse_mode(sql, (data[0] & 4) ? NULL : "s", mode, &d2) != DM_OK ||
        d2.kind != d.kind || d2.n != d.n)
        abort();
    if ((d.kind == WDDL_DDL) != (d.n > 0) || (d.kind == WDDL_UNKNOWN && !d.err[0]))
        abort();
    for (i = 0; i < d.n; i++) {
        const struct worker_ddl_item *it = &d.items[i];
        char *out;
        if (it->nrefs < 1 || strcmp(it->text, d2.items[i].text) != 0)
            abort();
        for (k = 0; k < it->nrefs; k++)
            check_ref(it, &it->refs[k]);
        for (k = 0; k < it->nxrefs; k++)
            check_ref(it, &it->xrefs[k]);
        out = worker_ddl_rewrite(it, NULL);
        if (!out || strstr(out, "`r_") == NULL)
            abort();
        free(out);
    }
    worker_ddl_free(&d);
    worker_ddl_free(&d2);
    free(sql);
    return 0;
}

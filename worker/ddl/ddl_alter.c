/* ddl_alter.c - ALTER TABLE spec splitting as DM v1.0.7 (pkg/parser SplitDDL): one
 * statement per spec, specs after RENAME [TO] act on the new name. ALGORITHM= and LOCK=
 * are options of the whole statement, not specs: they go with every split statement.
 * Trailing partition options (PARTITION BY ..., REMOVE PARTITIONING) are a spec of their
 * own. Not split (one statement, as the source ran it): ALTERs whose parts only work
 * together on MariaDB - DROP PRIMARY KEY (re-adding a key over an AUTO_INCREMENT column)
 * and column renames chained or swapped within the statement (CHANGE a b, CHANGE b a). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddl_int.h"
#include "dm_error.h"

#define COLNAME_MAX 194

struct spec {
    size_t a, b;              /* tokens [a, b) without the separating comma */
    bool option;              /* ALGORITHM= / LOCK= */
    bool has_rename;          /* RENAME [TO|AS] <table> */
    struct ddl_name newname;
    char from[COLNAME_MAX], to[COLNAME_MAX];   /* column rename, "" if none */
};

struct specs {
    struct spec *v;
    size_t n, cap;
};

static int specs_push(struct specs *s, size_t a, size_t b)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct spec *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return DM_E_NOMEM;
        s->v = v;
        s->cap = cap;
    }
    memset(&s->v[s->n], 0, sizeof s->v[s->n]);
    s->v[s->n].a = a;
    s->v[s->n].b = b;
    s->n++;
    return DM_OK;
}

static bool partition_options_at(const struct ddl_parse *p, size_t k)
{
    return (ddl_kw(p, k, "PARTITION") && ddl_kw(p, k + 1, "BY")) ||
           (ddl_kw(p, k, "REMOVE") && ddl_kw(p, k + 1, "PARTITIONING"));
}

/* DROP/TRUNCATE/... PARTITION p1, p2: a partition list that owns the rest of the
 * statement (MariaDB takes no other spec with it). */
static bool partition_list_at(const struct ddl_parse *p, size_t k)
{
    static const char *const verbs[] = { "DROP", "TRUNCATE", "ANALYZE", "CHECK", "OPTIMIZE",
                                         "REBUILD", "REPAIR", "COALESCE", "REORGANIZE",
                                         "DISCARD", "IMPORT", NULL };
    size_t i;
    if (!ddl_kw(p, k + 1, "PARTITION"))
        return false;
    for (i = 0; verbs[i]; i++)
        if (ddl_kw(p, k, verbs[i]))
            return true;
    return false;
}

/* Top-level comma split of [i, end), partition options split off. */
static int split_specs(const struct ddl_parse *p, size_t i, struct specs *s)
{
    int depth = 0;
    size_t a = i, k;
    for (k = i; k < p->end; k++) {
        if (ddl_punct(p, k, '('))
            depth++;
        else if (ddl_punct(p, k, ')'))
            depth--;
        if (depth != 0)
            continue;
        if (k == a && partition_list_at(p, k))
            break;
        if (ddl_punct(p, k, ',') || (k > a && partition_options_at(p, k))) {
            if (k > a && specs_push(s, a, k))
                return DM_E_NOMEM;
            a = ddl_punct(p, k, ',') ? k + 1 : k;
        }
    }
    if (k == p->end && depth != 0)
        return DDL_BAD;
    if (p->end > a && specs_push(s, a, p->end))
        return DM_E_NOMEM;
    return DM_OK;
}

static void ident_or_empty(const struct ddl_parse *p, size_t k, char *out)
{
    out[0] = '\0';
    if (k < p->end && ddl_tok_ident(&p->lx, k))
        (void)ddl_tok_ident_text(&p->lx, k, out, COLNAME_MAX);
}

/* Fill what a spec is: option, table rename, column rename. */
static int classify_spec(struct ddl_parse *p, struct spec *sp)
{
    size_t k = sp->a;
    if ((ddl_kw(p, k, "ALGORITHM") || ddl_kw(p, k, "LOCK")) && sp->b - sp->a <= 3) {
        sp->option = true;
        return DM_OK;
    }
    if (ddl_kw(p, k, "RENAME") && !ddl_kw(p, k + 1, "COLUMN") && !ddl_kw(p, k + 1, "INDEX") &&
        !ddl_kw(p, k + 1, "KEY")) {
        k++;
        if (ddl_kw(p, k, "TO") || ddl_kw(p, k, "AS") || ddl_punct(p, k, '='))
            k++;
        if (ddl_name_at(p, &k, false, &sp->newname))
            return DDL_BAD;
        if (k != sp->b)
            return ddl_bad(p, "ALTER TABLE ... RENAME: unexpected text at byte %zu",
                           p->lx.t[k].start);
        sp->has_rename = true;
        return DM_OK;
    }
    if (ddl_kw(p, k, "RENAME") && ddl_kw(p, k + 1, "COLUMN")) {
        ident_or_empty(p, k + 2, sp->from);
        ident_or_empty(p, k + 4, sp->to);
    } else if (ddl_kw(p, k, "CHANGE")) {
        k++;
        if (ddl_kw(p, k, "COLUMN"))
            k++;
        (void)ddl_skip_if_exists(p, &k, false);
        ident_or_empty(p, k, sp->from);
        ident_or_empty(p, k + 1, sp->to);
    }
    return DM_OK;
}

/* true when the specs must run as one statement (see the file comment). */
static bool keep_whole(const struct ddl_parse *p, const struct specs *s)
{
    size_t i, j;
    for (i = 0; i < s->n; i++) {
        size_t k = s->v[i].a;
        if (ddl_kw(p, k, "DROP") && ddl_kw(p, k + 1, "PRIMARY"))
            return true;
        if (!s->v[i].to[0])
            continue;
        for (j = 0; j < s->n; j++)
            if (j != i && s->v[j].from[0] && strcasecmp(s->v[i].to, s->v[j].from) == 0)
                return true;
    }
    return false;
}

static int emit_spec(struct ddl_ib *ib, const struct spec *sp)
{
    int rc;
    if (!sp->has_rename)
        return ddl_ib_toks_x(ib, sp->a, sp->b);
    rc = ddl_ib_toks(ib, sp->a, sp->newname.t0);
    return rc ? rc : ddl_ib_name(ib, &sp->newname, 1);
}

/* head + name + the given specs (mask: which) + every option spec. */
static int emit_item(struct ddl_parse *p, size_t head_end, const struct ddl_name *name,
                     const struct specs *s, size_t only, bool all)
{
    struct ddl_ib ib;
    size_t k;
    bool first = true;
    int rc;
    ddl_ib_init(&ib, p, WEV_ALTER_TABLE);
    rc = ddl_ib_toks(&ib, 0, head_end);
    if (!rc)
        rc = ddl_ib_name(&ib, name, 0);
    for (k = 0; k < s->n && !rc; k++) {
        if (!all && k != only && !s->v[k].option)
            continue;
        if (!first)
            rc = ddl_ib_lit(&ib, ",");
        if (!rc)
            rc = ddl_ib_lit(&ib, " ");
        if (!rc)
            rc = emit_spec(&ib, &s->v[k]);
        first = false;
    }
    if (!rc)
        rc = ddl_ib_finish(&ib);
    ddl_ib_discard(&ib);
    return rc;
}

int ddl_alter_specs(struct ddl_parse *p, size_t head_end, const struct ddl_name *table, size_t i)
{
    struct specs s = {0};
    struct ddl_name cur = *table;
    size_t k, nreal = 0;
    int rc = split_specs(p, i, &s);
    if (rc == DDL_BAD)
        rc = ddl_bad(p, "ALTER TABLE: unbalanced parentheses");
    for (k = 0; k < s.n && !rc; k++) {
        rc = classify_spec(p, &s.v[k]);
        nreal += !s.v[k].option;
    }
    if (rc)
        goto out;
    if (nreal <= 1 || keep_whole(p, &s)) {
        rc = emit_item(p, head_end, table, &s, 0, true);
        goto out;
    }
    for (k = 0; k < s.n && !rc; k++) {
        if (s.v[k].option)
            continue;
        rc = emit_item(p, head_end, &cur, &s, k, false);
        if (s.v[k].has_rename)
            cur = s.v[k].newname;
    }
out:
    free(s.v);
    return rc;
}

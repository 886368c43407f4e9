/* ddl_alter.c - ALTER TABLE spec splitting as DM v1.0.7 (pkg/parser SplitDDL): one
 * statement per spec, specs after RENAME [TO] act on the new name. ALGORITHM= and LOCK=
 * are options of the whole statement, not specs: they go with every split statement.
 * Trailing partition options (PARTITION BY ..., REMOVE PARTITIONING) are a spec of their
 * own. Not split (one statement, as the source ran it): ALTERs whose parts only work, or
 * only mean the same, together on MariaDB, where one ALTER resolves every name against
 * the table as it was and applies table options to the whole statement:
 *  - DROP PRIMARY KEY (re-adding a key over an AUTO_INCREMENT column), an AUTO_INCREMENT
 *    column attribute (the column needs the key added with it);
 *  - a column or index name that two specs name (ADD e, DROP IF EXISTS e: one ALTER adds
 *    e, the split adds then drops it; RENAME COLUMN b TO a, DROP a: one ALTER drops the
 *    old a, the split's rename fails as a duplicate - an error the Sync unit ignores as a
 *    replay - and drops the renamed one; CHANGE a b, CHANGE b a);
 *  - a dropped column with a spec that adds, drops or renames an index or constraint
 *    (RENAME INDEX ka TO kb, DROP b: one ALTER drops b's index kb with b and renames ka;
 *    the split's rename fails as a duplicate, then kb goes with b);
 *  - a table option that sets the default character set or collation, or CONVERT TO,
 *    with other specs (ADD c VARCHAR(9), DEFAULT CHARSET utf8mb4: one ALTER gives c the
 *    new default, the split the old one).
 * Test: tests/unit/worker/ddl/test_ddl.c (statements), tests/unit/worker/sync/
 * test_sync_ddl_diverge.c (through the worker, compared with the source);
 * scripts/probe/alter_split_fuzz.py runs random ALTERs whole and as split here on MariaDB. */
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
    bool charset;             /* table option: [DEFAULT] CHARSET / COLLATE, CONVERT TO */
    bool autoinc;             /* AUTO_INCREMENT column attribute */
    bool dropcol;             /* DROP [COLUMN] c: also drops c's part of indexes/constraints */
    bool index;               /* adds, drops or renames an index or constraint */
    struct ddl_name newname;
};

/* A column ('c') or index/constraint ('i') name a spec names. */
struct spec_name {
    size_t spec;
    char ns;
    char name[COLNAME_MAX];
};

struct spec_names {
    struct spec_name *v;
    size_t n, cap;
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

/* Fill what a spec is: option, table rename (the name analysis is spec_names). */
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
    }
    return DM_OK;
}

/* ---- the names each spec names (keep_whole) ---- */

static bool kw_in(const struct ddl_parse *p, size_t k, const char *const *ws)
{
    for (; *ws; ws++)
        if (ddl_kw(p, k, *ws))
            return true;
    return false;
}

/* Add the identifier at token k (if it is one, inside the spec) as a name of spec si. */
static int name_add(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                    size_t si, size_t k, char ns)
{
    struct spec_name *n;
    if (k >= sp->b || !ddl_tok_ident(&p->lx, k))
        return DM_OK;
    if (nl->n == nl->cap) {
        size_t cap = nl->cap ? nl->cap * 2 : 16;
        struct spec_name *v = realloc(nl->v, cap * sizeof *v);
        if (!v)
            return DM_E_NOMEM;
        nl->v = v;
        nl->cap = cap;
    }
    n = &nl->v[nl->n];
    n->spec = si;
    n->ns = ns;
    if (!ddl_tok_ident_text(&p->lx, k, n->name, sizeof n->name))
        n->name[0] = '\0';       /* too long: keep_whole keeps the statement whole */
    nl->n++;
    return DM_OK;
}

static size_t skip_ie(const struct ddl_parse *p, size_t k, bool not_)
{
    (void)ddl_skip_if_exists(p, &k, not_);
    return k;
}

/* AFTER <column> at depth 0 of the spec. */
static int after_name(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                      size_t si)
{
    int depth = 0;
    size_t k;
    for (k = sp->a; k < sp->b; k++) {
        if (ddl_punct(p, k, '('))
            depth++;
        else if (ddl_punct(p, k, ')'))
            depth--;
        else if (depth == 0 && ddl_kw(p, k, "AFTER"))
            return name_add(nl, p, sp, si, k + 1, 'c');
    }
    return DM_OK;
}

/* ADD COLUMN (a ..., b ...): the first identifier of each definition. */
static int column_list(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                       size_t si, size_t k)
{
    int depth = 0, rc = name_add(nl, p, sp, si, k + 1, 'c');
    for (k++; k < sp->b && !rc; k++) {
        if (ddl_punct(p, k, '('))
            depth++;
        else if (ddl_punct(p, k, ')'))
            depth--;
        else if (depth == 0 && ddl_punct(p, k, ','))
            rc = name_add(nl, p, sp, si, k + 1, 'c');
    }
    return rc;
}

/* ADD [CONSTRAINT [c]] {INDEX|KEY|UNIQUE|PRIMARY KEY|FOREIGN KEY|FULLTEXT|SPATIAL|CHECK}
 * [IF NOT EXISTS] [name]; k at the first word after ADD. */
static int index_names(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                       size_t si, size_t k)
{
    static const char *const kinds[] = { "INDEX", "KEY", "UNIQUE", "FULLTEXT", "SPATIAL",
                                         "PRIMARY", "FOREIGN", "CHECK", NULL };
    int rc = DM_OK;
    if (ddl_kw(p, k, "CONSTRAINT")) {
        k = skip_ie(p, k + 1, true);
        if (!kw_in(p, k, kinds) && (rc = name_add(nl, p, sp, si, k++, 'i')))
            return rc;
    }
    if (ddl_kw(p, k, "PRIMARY"))
        return name_add(nl, p, sp, si, k, 'i');
    while (kw_in(p, k, kinds))
        k++;
    k = skip_ie(p, k, true);
    return ddl_kw(p, k, "USING") ? DM_OK : name_add(nl, p, sp, si, k, 'i');
}

static const char *const add_index_kinds[] = { "INDEX", "KEY", "UNIQUE", "FULLTEXT", "SPATIAL",
                                               "PRIMARY", "FOREIGN", "CHECK", "CONSTRAINT",
                                               NULL };

static int add_names(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                     size_t si)
{
    static const char *const no_names[] = { "PARTITION", "PERIOD", "SYSTEM", NULL };
    size_t k = sp->a + 1;
    int rc;
    if (kw_in(p, k, add_index_kinds))
        return index_names(nl, p, sp, si, k);
    if (kw_in(p, k, no_names))
        return DM_OK;
    if (ddl_kw(p, k, "COLUMN"))
        k++;
    if (ddl_punct(p, k, '('))
        return column_list(nl, p, sp, si, k);
    rc = name_add(nl, p, sp, si, skip_ie(p, k, true), 'c');
    return rc ? rc : after_name(nl, p, sp, si);
}

static int drop_names(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                      size_t si)
{
    static const char *const index_kinds[] = { "INDEX", "KEY", "CONSTRAINT", "CHECK", NULL };
    size_t k = sp->a + 1;
    if (ddl_kw(p, k, "PRIMARY"))
        return name_add(nl, p, sp, si, k, 'i');
    if (ddl_kw(p, k, "FOREIGN") && ddl_kw(p, k + 1, "KEY"))
        return name_add(nl, p, sp, si, skip_ie(p, k + 2, false), 'i');
    if (kw_in(p, k, index_kinds))
        return name_add(nl, p, sp, si, skip_ie(p, k + 1, false), 'i');
    if (ddl_kw(p, k, "PARTITION") || ddl_kw(p, k, "PERIOD") || ddl_kw(p, k, "SYSTEM"))
        return DM_OK;
    if (ddl_kw(p, k, "COLUMN"))
        k++;
    return name_add(nl, p, sp, si, skip_ie(p, k, false), 'c');
}

/* MODIFY / CHANGE / RENAME COLUMN|INDEX / ALTER [COLUMN|INDEX]. */
static int change_names(struct spec_names *nl, const struct ddl_parse *p, const struct spec *sp,
                        size_t si)
{
    size_t k = sp->a + 1;
    int rc;
    if (ddl_kw(p, sp->a, "RENAME")) {
        char ns = ddl_kw(p, k, "COLUMN") ? 'c' : 'i';
        rc = name_add(nl, p, sp, si, k + 1, ns);
        return rc ? rc : name_add(nl, p, sp, si, k + 3, ns);
    }
    if (ddl_kw(p, sp->a, "ALTER") && (ddl_kw(p, k, "INDEX") || ddl_kw(p, k, "KEY")))
        return name_add(nl, p, sp, si, k + 1, 'i');
    if (ddl_kw(p, k, "COLUMN"))
        k++;
    k = skip_ie(p, k, false);
    rc = name_add(nl, p, sp, si, k, 'c');
    if (!rc && ddl_kw(p, sp->a, "CHANGE"))
        rc = name_add(nl, p, sp, si, k + 1, 'c');
    return rc ? rc : after_name(nl, p, sp, si);
}

/* sp->charset / sp->autoinc and the names of spec si into nl. */
static int spec_names(struct spec_names *nl, const struct ddl_parse *p, struct spec *sp,
                      size_t si)
{
    static const char *const column_verbs[] = { "ADD", "DROP", "MODIFY", "CHANGE", "RENAME",
                                                "ALTER", "ORDER", NULL };
    static const char *const charset_words[] = { "CHARSET", "CHARACTER", "COLLATE", "CONVERT",
                                                 NULL };
    size_t k, n0 = nl->n;
    bool column = kw_in(p, sp->a, column_verbs);
    int rc;
    for (k = sp->a; k < sp->b; k++) {
        if (!column && kw_in(p, k, charset_words))
            sp->charset = true;
        if (column && ddl_kw(p, k, "AUTO_INCREMENT") && !ddl_punct(p, k + 1, '=') &&
            !(k + 1 < sp->b && p->lx.t[k + 1].type == DT_NUM))
            sp->autoinc = true;
    }
    if (sp->option || sp->has_rename || !column || ddl_kw(p, sp->a, "ORDER"))
        return DM_OK;
    if (ddl_kw(p, sp->a, "ADD"))
        rc = add_names(nl, p, sp, si);
    else if (ddl_kw(p, sp->a, "DROP"))
        rc = drop_names(nl, p, sp, si);
    else
        rc = change_names(nl, p, sp, si);
    sp->index = ddl_kw(p, sp->a, "ADD") && kw_in(p, sp->a + 1, add_index_kinds);
    for (k = n0; k < nl->n; k++) {
        sp->index = sp->index || nl->v[k].ns == 'i';
        sp->dropcol = sp->dropcol || (nl->v[k].ns == 'c' && ddl_kw(p, sp->a, "DROP"));
    }
    return rc;
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

static int name_cmp(const void *x, const void *y)
{
    const struct spec_name *a = x, *b = y;
    int c = a->ns - b->ns;
    return c ? c : strcasecmp(a->name, b->name);
}

/* *whole when the specs must run as one statement (see the file comment). */
static int keep_whole(const struct ddl_parse *p, struct specs *s, size_t nreal, bool *whole)
{
    struct spec_names nl = { 0 };
    size_t i, ndrop = 0, nindex = 0;
    int rc = DM_OK;
    *whole = false;
    for (i = 0; i < s->n && !rc; i++) {
        if (ddl_kw(p, s->v[i].a, "DROP") && ddl_kw(p, s->v[i].a + 1, "PRIMARY"))
            *whole = true;
        rc = spec_names(&nl, p, &s->v[i], i);
        if (!s->v[i].option && (s->v[i].charset || s->v[i].autoinc))
            *whole = *whole || nreal > 1;
        ndrop += s->v[i].dropcol;
        nindex += s->v[i].index && !s->v[i].dropcol;
    }
    /* a column dropped takes its indexes and constraints with it: names another spec
     * gives, renames or drops may be those */
    *whole = *whole || (ndrop > 0 && nindex > 0);
    /* non-ASCII names: MariaDB compares them case- and accent-insensitively
     * (utf8mb3_general_ci: `é` is `E`), more than strcasecmp sees */
    for (i = 0; !rc && !*whole && i < nl.n; i++)
        *whole = nl.n > 1 && (!nl.v[i].name[0] || !ascii(nl.v[i].name));
    if (!rc && !*whole && nl.n > 1) {
        qsort(nl.v, nl.n, sizeof nl.v[0], name_cmp);
        for (i = 1; i < nl.n && !*whole; i++)
            *whole = nl.v[i].spec != nl.v[i - 1].spec && name_cmp(&nl.v[i], &nl.v[i - 1]) == 0;
    }
    free(nl.v);
    return rc;
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
    bool whole = false;
    int rc = split_specs(p, i, &s);
    if (rc == DDL_BAD)
        rc = ddl_bad(p, "ALTER TABLE: unbalanced parentheses");
    for (k = 0; k < s.n && !rc; k++) {
        rc = classify_spec(p, &s.v[k]);
        nreal += !s.v[k].option;
    }
    if (!rc && nreal > 1)
        rc = keep_whole(p, &s, nreal, &whole);
    if (rc)
        goto out;
    if (nreal <= 1 || whole) {
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

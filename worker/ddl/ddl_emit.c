/* ddl_emit.c - builds the statements (items) of a parsed DDL and rewrites their names
 * (see ddl.h). Item text is the statement's tokens: comments become one space, ANSI
 * "identifiers" become `identifiers`, strings of a NO_BACKSLASH_ESCAPES session get
 * their backslashes doubled, so the target reads the same statement whatever its mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "dm_error.h"

#define ITEM_MAX (64u << 20)

void ddl_ib_init(struct ddl_ib *ib, struct ddl_parse *p, enum worker_event ev)
{
    memset(ib, 0, sizeof *ib);
    ib->p = p;
    ib->it.ev = ev;
    dm_buf_init(&ib->b, ITEM_MAX);
}

void ddl_ib_discard(struct ddl_ib *ib)
{
    dm_buf_free(&ib->b);
    free(ib->it.xrefs);
    ib->it.xrefs = NULL;
}

static int rc_of(int rc)
{
    return rc == DM_OK ? DM_OK : DM_E_NOMEM;
}

/* Quoted identifier `s` with backticks doubled. */
static int add_qident(struct dm_buf *b, const char *s, size_t n)
{
    int rc = dm_buf_addc(b, '`');
    size_t k;
    for (k = 0; k < n && !rc; k++)
        rc = s[k] == '`' ? dm_buf_adds(b, "``") : dm_buf_addc(b, s[k]);
    return rc ? rc : dm_buf_addc(b, '`');
}

static int emit_dqid(struct dm_buf *b, const char *s, size_t n)
{
    char *tmp = malloc(n + 1);
    size_t o = 0, k;
    int rc;
    if (!tmp)
        return DM_E_NOMEM;
    for (k = 1; k + 1 < n; k++) {
        tmp[o++] = s[k];
        if (s[k] == '"' && s[k + 1] == '"')
            k++;
    }
    rc = add_qident(b, tmp, o);
    free(tmp);
    return rc;
}

/* A '...' string of a NO_BACKSLASH_ESCAPES session, backslashes doubled. */
static int emit_nbs_str(struct dm_buf *b, const char *s, size_t n)
{
    size_t k;
    int rc = DM_OK;
    for (k = 0; k < n && !rc; k++)
        rc = s[k] == '\\' ? dm_buf_adds(b, "\\\\") : dm_buf_addc(b, s[k]);
    return rc;
}

static bool gap_is_space(const char *s, size_t a, size_t b)
{
    for (; a < b; a++)
        if (s[a] != ' ' && s[a] != '\t' && s[a] != '\n' && s[a] != '\r')
            return false;
    return true;
}

static int emit_gap(struct ddl_ib *ib, size_t k)
{
    const struct ddl_lexed *lx = &ib->p->lx;
    char prev;
    if (ib->b.len == 0)
        return DM_OK;
    prev = ib->b.data[ib->b.len - 1];
    if (ib->last == k && k > 0) {
        size_t a = lx->t[k - 1].end, e = lx->t[k].start;
        if (a == e)
            return DM_OK;
        if (gap_is_space(lx->s, a, e))
            return dm_buf_add(&ib->b, lx->s + a, e - a);
        return dm_buf_addc(&ib->b, ' ');
    }
    if (prev == ' ' || prev == '(' || ddl_punct(ib->p, k, ',') || ddl_punct(ib->p, k, ')'))
        return DM_OK;
    return dm_buf_addc(&ib->b, ' ');
}

static int emit_raw(struct ddl_ib *ib, size_t k)
{
    const struct ddl_lexed *lx = &ib->p->lx;
    const struct ddl_tok *t = &lx->t[k];
    const char *s = lx->s + t->start;
    size_t n = t->end - t->start;
    ib->last = k + 1;
    if (t->type == DT_DQID)
        return rc_of(emit_dqid(&ib->b, s, n));
    if (t->type == DT_STR && (lx->sql_mode & DDL_MODE_NO_BACKSLASH_ESCAPES))
        return rc_of(emit_nbs_str(&ib->b, s, n));
    return rc_of(dm_buf_add(&ib->b, s, n));
}

static int emit_tok(struct ddl_ib *ib, size_t k)
{
    int rc = emit_gap(ib, k);
    return rc ? DM_E_NOMEM : emit_raw(ib, k);
}

int ddl_ib_toks(struct ddl_ib *ib, size_t a, size_t b)
{
    int rc = DM_OK;
    for (; a < b && !rc; a++)
        rc = emit_tok(ib, a);
    return rc;
}

int ddl_ib_lit(struct ddl_ib *ib, const char *s)
{
    int rc = dm_buf_adds(&ib->b, s);
    ib->last = 0;
    return rc_of(rc);
}

static int push_ref(struct ddl_ib *ib, const struct worker_ddl_ref *r, int slot)
{
    struct worker_ddl_item *it = &ib->it;
    if (slot >= 0) {
        it->refs[slot] = *r;
        if (it->nrefs < (size_t)slot + 1)
            it->nrefs = (size_t)slot + 1;
        return DM_OK;
    }
    if (it->nxrefs == ib->xcap) {
        size_t cap = ib->xcap ? ib->xcap * 2 : 4;
        struct worker_ddl_ref *x = realloc(it->xrefs, cap * sizeof *x);
        if (!x)
            return DM_E_NOMEM;
        it->xrefs = x;
        ib->xcap = cap;
    }
    it->xrefs[it->nxrefs++] = *r;
    return DM_OK;
}

int ddl_ib_name(struct ddl_ib *ib, const struct ddl_name *n, int slot)
{
    struct worker_ddl_ref r;
    size_t k;
    int rc = emit_gap(ib, n->t0) ? DM_E_NOMEM : DM_OK;
    memset(&r, 0, sizeof r);
    memcpy(r.schema, n->schema, sizeof r.schema);
    memcpy(r.table, n->table, sizeof r.table);
    r.start = ib->b.len;
    for (k = n->t0; k < n->t1 && !rc; k++)
        rc = k == n->t0 ? emit_raw(ib, k) : emit_tok(ib, k);
    if (rc)
        return DM_E_NOMEM;
    r.end = ib->b.len;
    return push_ref(ib, &r, slot);
}

int ddl_ib_schema_lit(struct ddl_ib *ib, const char *schema)
{
    struct worker_ddl_ref r;
    int rc = ib->b.len && ib->b.data[ib->b.len - 1] != ' ' ? ddl_ib_lit(ib, " ") : DM_OK;
    memset(&r, 0, sizeof r);
    snprintf(r.schema, sizeof r.schema, "%s", schema);
    r.start = ib->b.len;
    if (!rc)
        rc = add_qident(&ib->b, schema, strlen(schema));
    if (rc)
        return DM_E_NOMEM;
    r.end = ib->b.len;
    return push_ref(ib, &r, 0);
}

/* After REFERENCES / EXCHANGE PARTITION p WITH TABLE / CONVERT PARTITION p TO TABLE /
 * CONVERT TABLE (MariaDB 10.7+; rows move between the two tables like EXCHANGE's): the
 * name token index or 0. The CONVERT names were left as written: routed tasks created or
 * read the table in the source's schema on the target. */
static size_t xref_at(struct ddl_parse *p, size_t k, size_t b)
{
    if (ddl_kw(p, k, "REFERENCES") && k + 1 < b)
        return k + 1;
    if (ddl_kw(p, k, "WITH") && ddl_kw(p, k + 1, "TABLE") && k + 2 < b && k >= 3 &&
        ddl_kw(p, k - 3, "EXCHANGE"))
        return k + 2;
    if (ddl_kw(p, k, "TO") && ddl_kw(p, k + 1, "TABLE") && k + 2 < b && k >= 3 &&
        ddl_kw(p, k - 3, "CONVERT") && ddl_kw(p, k - 2, "PARTITION"))
        return k + 2;
    if (ddl_kw(p, k, "CONVERT") && ddl_kw(p, k + 1, "TABLE") && k + 2 < b)
        return k + 2;
    return 0;
}

int ddl_ib_toks_x(struct ddl_ib *ib, size_t a, size_t b)
{
    struct ddl_parse *p = ib->p;
    int rc = DM_OK;
    while (a < b && !rc) {
        size_t nt = xref_at(p, a, b);
        struct ddl_name n;
        size_t j = nt;
        const char *defdb = p->defdb;
        int nrc;
        /* An unqualified REFERENCES table is in the schema of the table the statement
         * creates or alters (InnoDB resolves it there), not the default database. */
        if (nt && ddl_kw(p, a, "REFERENCES") && ib->it.nrefs > 0 && ib->it.refs[0].schema[0])
            p->defdb = ib->it.refs[0].schema;
        nrc = nt ? ddl_name_at(p, &j, false, &n) : DDL_BAD;
        p->defdb = defdb;
        if (nt && nrc == DM_OK && j <= b) {
            rc = ddl_ib_toks(ib, a, nt);
            if (!rc)
                rc = ddl_ib_name(ib, &n, -1);
            if (!rc)
                ib->it.xrefs[ib->it.nxrefs - 1].exchange = !ddl_kw(p, a, "REFERENCES");
            a = j;
            continue;
        }
        if (nt && p->res->kind == WDDL_UNKNOWN)
            return DDL_BAD;
        rc = emit_tok(ib, a++);
    }
    return rc;
}

int ddl_ib_finish(struct ddl_ib *ib)
{
    struct worker_ddl *res = ib->p->res;
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 4;
        struct worker_ddl_item *tmp = realloc(res->items, cap * sizeof *tmp);
        if (!tmp)
            return DM_E_NOMEM;
        res->items = tmp;
        res->cap = cap;
    }
    ib->it.text = dm_buf_take(&ib->b);
    if (!ib->it.text)
        return DM_E_NOMEM;
    res->items[res->n++] = ib->it;
    memset(&ib->it, 0, sizeof ib->it);
    res->kind = WDDL_DDL;
    return DM_OK;
}

/* ---- rewrite ---- */

static int cmp_ref(const void *a, const void *b)
{
    const struct worker_ddl_ref *x = *(const struct worker_ddl_ref *const *)a;
    const struct worker_ddl_ref *y = *(const struct worker_ddl_ref *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int add_routed(struct dm_buf *b, const struct worker_ddl_ref *r,
                      const struct worker_rules *rules)
{
    char ts[WORKER_NAME_MAX], tt[WORKER_NAME_MAX];
    int rc;
    worker_rules_route(rules, r->schema, r->table, ts, sizeof ts, tt, sizeof tt);
    rc = add_qident(b, ts, strlen(ts));
    if (!rc && r->table[0]) {
        rc = dm_buf_addc(b, '.');
        if (!rc)
            rc = add_qident(b, tt, strlen(tt));
    }
    return rc;
}

char *worker_ddl_rewrite(const struct worker_ddl_item *item, const struct worker_rules *rules)
{
    size_t n = item->nrefs + item->nxrefs, k, pos = 0;
    const struct worker_ddl_ref **order = calloc(n ? n : 1, sizeof *order);
    struct dm_buf b;
    int rc = DM_OK;
    char *out = NULL;
    if (!order)
        return NULL;
    dm_buf_init(&b, ITEM_MAX * 2);
    for (k = 0; k < item->nrefs; k++)
        order[k] = &item->refs[k];
    for (k = 0; k < item->nxrefs; k++)
        order[item->nrefs + k] = &item->xrefs[k];
    qsort(order, n, sizeof *order, cmp_ref);
    for (k = 0; k < n && !rc; k++) {
        rc = dm_buf_add(&b, item->text + pos, order[k]->start - pos);
        if (!rc)
            rc = add_routed(&b, order[k], rules);
        pos = order[k]->end;
    }
    if (!rc)
        rc = dm_buf_adds(&b, item->text + pos);
    if (!rc)
        out = dm_buf_take(&b);
    dm_buf_free(&b);
    free(order);
    return out;
}

/* ddl_stmt.c - grammars of CREATE / DROP / RENAME / TRUNCATE and the head of ALTER
 * (see ddl.h for what is recognised; ddl_alter.c splits ALTER TABLE specs). */
#include <string.h>

#include "ddl_int.h"
#include "dm_error.h"

/* "user" / 'u'@'h' / `u`@`h` / CURRENT_USER[()] / CURRENT_ROLE after DEFINER = */
static size_t skip_user(const struct ddl_parse *p, size_t i)
{
    if (ddl_kw(p, i, "CURRENT_USER") || ddl_kw(p, i, "CURRENT_ROLE")) {
        i++;
        if (ddl_punct(p, i, '(') && ddl_punct(p, i + 1, ')'))
            i += 2;
        return i;
    }
    i++;
    if (ddl_punct(p, i, '@'))
        i += 2;
    else if (i < p->end && p->lx.s[p->lx.t[i].start] == '@')
        i++;
    return i;
}

/* Modifiers between CREATE/ALTER and the object keyword. */
static size_t skip_modifiers(const struct ddl_parse *p, size_t i, bool *or_replace)
{
    for (;;) {
        if (ddl_kw(p, i, "OR") && ddl_kw(p, i + 1, "REPLACE")) {
            *or_replace = true;
            i += 2;
        } else if ((ddl_kw(p, i, "ALGORITHM") || ddl_kw(p, i, "DEFINER")) &&
                   ddl_punct(p, i + 1, '=')) {
            i = ddl_kw(p, i, "DEFINER") ? skip_user(p, i + 2) : i + 3;
        } else if (ddl_kw(p, i, "SQL") && ddl_kw(p, i + 1, "SECURITY")) {
            i += 3;
        } else if (ddl_kw(p, i, "AGGREGATE") || ddl_kw(p, i, "NONBLOCKING")) {
            i++;
        } else {
            return i;
        }
    }
}

/* true when tokens [a, p->end) hold a top-level SELECT (CREATE TABLE ... SELECT). */
static bool has_select(const struct ddl_parse *p, size_t a)
{
    int depth = 0;
    for (; a < p->end; a++) {
        if (ddl_punct(p, a, '('))
            depth++;
        else if (ddl_punct(p, a, ')'))
            depth--;
        else if ((depth == 0 || (depth == 1 && ddl_punct(p, a - 1, '('))) &&
                 (ddl_kw(p, a, "SELECT") ||
                  (ddl_kw(p, a, "WITH") && !ddl_kw(p, a + 1, "SYSTEM"))))
            return true;
    }
    return false;
}

/* The whole statement as one item: [0, n.t0) head, an optional inserted literal after
 * token `ins_at` (0 = none), the name as refs[0], the rest with REFERENCES as xrefs and
 * an optional second name (LIKE source) as refs[1]. */
static int whole(struct ddl_parse *p, enum worker_event ev, const struct ddl_name *n,
                 size_t ins_at, const char *ins, const struct ddl_name *n2)
{
    struct ddl_ib ib;
    int rc;
    ddl_ib_init(&ib, p, ev);
    rc = ddl_ib_toks(&ib, 0, ins ? ins_at : n->t0);
    if (!rc && ins)
        rc = ddl_ib_lit(&ib, ins);
    if (!rc && ins)
        rc = ddl_ib_toks(&ib, ins_at, n->t0);
    if (!rc)
        rc = ddl_ib_name(&ib, n, 0);
    if (!rc && n2) {
        rc = ddl_ib_toks_x(&ib, n->t1, n2->t0);
        if (!rc)
            rc = ddl_ib_name(&ib, n2, 1);
        if (!rc)
            rc = ddl_ib_toks_x(&ib, n2->t1, p->end);
    } else if (!rc) {
        rc = ddl_ib_toks_x(&ib, n->t1, p->end);
    }
    if (!rc)
        rc = ddl_ib_finish(&ib);
    ddl_ib_discard(&ib);
    return rc;
}

static int create_database(struct ddl_parse *p, size_t i, bool or_replace)
{
    struct ddl_name n;
    size_t at = i;
    bool ine = ddl_skip_if_exists(p, &i, true);
    if (ddl_name_at(p, &i, true, &n))
        return DDL_BAD;
    return whole(p, WEV_CREATE_DATABASE, &n, at, ine || or_replace ? NULL : " IF NOT EXISTS",
                 NULL);
}

static int create_table(struct ddl_parse *p, size_t i, bool or_replace)
{
    struct ddl_name n, like;
    size_t at = i, k;
    bool ine = ddl_skip_if_exists(p, &i, true);
    const char *ins = ine || or_replace ? NULL : " IF NOT EXISTS";
    if (ddl_name_at(p, &i, false, &n))
        return DDL_BAD;
    k = i;
    if (ddl_punct(p, k, '(') && ddl_kw(p, k + 1, "LIKE"))
        k++;
    if (ddl_kw(p, k, "LIKE")) {
        k++;
        if (ddl_name_at(p, &k, false, &like))
            return DDL_BAD;
        return whole(p, WEV_CREATE_TABLE, &n, at, ins, &like);
    }
    if (has_select(p, i))
        return ddl_bad(p, "CREATE TABLE ... SELECT is not supported (a row-format binlog "
                          "logs it as CREATE TABLE plus rows)");
    return whole(p, WEV_CREATE_TABLE, &n, at, ins, NULL);
}

/* CREATE [OR REPLACE] [ONLINE|OFFLINE] [UNIQUE|FULLTEXT|SPATIAL] INDEX [IF NOT EXISTS]
 * idx [USING t] ON tbl (...) */
static int create_index(struct ddl_parse *p, size_t i, bool or_replace)
{
    struct ddl_name n;
    size_t at = i, k;
    bool ine = ddl_skip_if_exists(p, &i, true);
    for (k = i; k < p->end && !ddl_kw(p, k, "ON"); k++)
        ;
    if (k == p->end)
        return ddl_bad(p, "CREATE INDEX without ON <table>");
    k++;
    if (ddl_name_at(p, &k, false, &n))
        return DDL_BAD;
    return whole(p, WEV_CREATE_INDEX, &n, at, ine || or_replace ? NULL : " IF NOT EXISTS",
                 NULL);
}

int ddl_parse_create(struct ddl_parse *p, size_t i)
{
    bool or_replace = false;
    const char *why;
    i = skip_modifiers(p, i, &or_replace);
    if ((why = ddl_skip_object(p, "CREATE", i)) != NULL)
        return ddl_skip(p, why);
    if (ddl_kw(p, i, "DATABASE") || ddl_kw(p, i, "SCHEMA"))
        return create_database(p, i + 1, or_replace);
    if (ddl_kw(p, i, "TABLE"))
        return create_table(p, i + 1, or_replace);
    if (ddl_kw(p, i, "ONLINE") || ddl_kw(p, i, "OFFLINE"))
        i++;
    if (ddl_kw(p, i, "UNIQUE") || ddl_kw(p, i, "FULLTEXT") || ddl_kw(p, i, "SPATIAL"))
        i++;
    if (ddl_kw(p, i, "INDEX") || ddl_kw(p, i, "KEY"))
        return create_index(p, i + 1, or_replace);
    return ddl_bad(p, "CREATE of this object is not supported");
}

static int drop_tables(struct ddl_parse *p, size_t i)
{
    bool ie = ddl_skip_if_exists(p, &i, false);
    (void)ie;   /* DM makes every split DROP TABLE idempotent */
    for (;;) {
        struct ddl_name n;
        struct ddl_ib ib;
        int rc;
        if (ddl_name_at(p, &i, false, &n))
            return DDL_BAD;
        ddl_ib_init(&ib, p, WEV_DROP_TABLE);
        rc = ddl_ib_lit(&ib, "DROP TABLE IF EXISTS ");
        if (!rc)
            rc = ddl_ib_name(&ib, &n, 0);
        if (!rc)
            rc = ddl_ib_finish(&ib);
        ddl_ib_discard(&ib);
        if (rc)
            return rc;
        if (!ddl_punct(p, i, ','))
            break;
        i++;
    }
    ddl_skip_wait(p, &i);
    if (ddl_kw(p, i, "RESTRICT") || ddl_kw(p, i, "CASCADE"))
        i++;
    return i == p->end ? DM_OK : ddl_bad(p, "unexpected text after DROP TABLE list at byte %zu",
                                         p->lx.t[i].start);
}

static int drop_index(struct ddl_parse *p, size_t i)
{
    struct ddl_name n;
    size_t at = i, k;
    bool ie = ddl_skip_if_exists(p, &i, false);
    for (k = i; k < p->end && !ddl_kw(p, k, "ON"); k++)
        ;
    if (k == p->end)
        return ddl_bad(p, "DROP INDEX without ON <table>");
    k++;
    if (ddl_name_at(p, &k, false, &n))
        return DDL_BAD;
    return whole(p, WEV_DROP_INDEX, &n, at, ie ? NULL : " IF EXISTS", NULL);
}

int ddl_parse_drop(struct ddl_parse *p, size_t i)
{
    const char *why = ddl_skip_object(p, "DROP", i);
    if (why)
        return ddl_skip(p, why);
    if (ddl_kw(p, i, "DATABASE") || ddl_kw(p, i, "SCHEMA")) {
        struct ddl_name n;
        size_t at = ++i;
        bool ie = ddl_skip_if_exists(p, &i, false);
        if (ddl_name_at(p, &i, true, &n))
            return DDL_BAD;
        return whole(p, WEV_DROP_DATABASE, &n, at, ie ? NULL : " IF EXISTS", NULL);
    }
    if (ddl_kw(p, i, "TABLE") || ddl_kw(p, i, "TABLES"))
        return drop_tables(p, i + 1);
    if (ddl_kw(p, i, "ONLINE") || ddl_kw(p, i, "OFFLINE"))
        i++;
    if (ddl_kw(p, i, "INDEX") || ddl_kw(p, i, "KEY"))
        return drop_index(p, i + 1);
    return ddl_bad(p, "DROP of this object is not supported");
}

int ddl_parse_rename(struct ddl_parse *p, size_t i)
{
    const char *why = ddl_skip_object(p, "RENAME", i);
    bool ie;
    if (why)
        return ddl_skip(p, why);
    if (!ddl_kw(p, i, "TABLE") && !ddl_kw(p, i, "TABLES"))
        return ddl_bad(p, "RENAME of this object is not supported");
    i++;
    ie = ddl_skip_if_exists(p, &i, false);
    for (;;) {
        struct ddl_name a, b;
        struct ddl_ib ib;
        int rc;
        if (ddl_name_at(p, &i, false, &a))
            return DDL_BAD;
        ddl_skip_wait(p, &i);
        if (!ddl_kw(p, i, "TO"))
            return ddl_bad(p, "RENAME TABLE: TO expected at byte %zu",
                           i < p->end ? p->lx.t[i].start : strlen(p->lx.s));
        i++;
        if (ddl_name_at(p, &i, false, &b))
            return DDL_BAD;
        ddl_ib_init(&ib, p, WEV_RENAME_TABLE);
        rc = ddl_ib_lit(&ib, ie ? "RENAME TABLE IF EXISTS " : "RENAME TABLE ");
        if (!rc)
            rc = ddl_ib_name(&ib, &a, 0);
        if (!rc)
            rc = ddl_ib_lit(&ib, " TO ");
        if (!rc)
            rc = ddl_ib_name(&ib, &b, 1);
        if (!rc)
            rc = ddl_ib_finish(&ib);
        ddl_ib_discard(&ib);
        if (rc)
            return rc;
        if (!ddl_punct(p, i, ','))
            break;
        i++;
    }
    return i == p->end ? DM_OK : ddl_bad(p, "unexpected text after RENAME TABLE list at byte %zu",
                                         p->lx.t[i].start);
}

int ddl_parse_truncate(struct ddl_parse *p, size_t i)
{
    struct ddl_name n;
    if (ddl_kw(p, i, "TABLE"))
        i++;
    if (ddl_kw(p, i, "SEQUENCE"))
        return ddl_bad(p, "TRUNCATE of this object is not supported");
    if (ddl_name_at(p, &i, false, &n))
        return DDL_BAD;
    ddl_skip_wait(p, &i);
    if (i != p->end)
        return ddl_bad(p, "unexpected text after TRUNCATE TABLE at byte %zu", p->lx.t[i].start);
    return whole(p, WEV_TRUNCATE_TABLE, &n, 0, NULL, NULL);
}

static int alter_database(struct ddl_parse *p, size_t i)
{
    struct ddl_name n;
    struct ddl_ib ib;
    int rc;
    if (i < p->end && ddl_tok_ident(&p->lx, i) && !ddl_kw(p, i, "DEFAULT") &&
        !ddl_kw(p, i, "CHARACTER") && !ddl_kw(p, i, "CHARSET") && !ddl_kw(p, i, "COLLATE") &&
        !ddl_kw(p, i, "COMMENT")) {
        if (ddl_name_at(p, &i, true, &n))
            return DDL_BAD;
        return whole(p, WEV_NULL, &n, 0, NULL, NULL);
    }
    if (!p->defdb[0])
        return ddl_bad(p, "ALTER DATABASE without a name and no default database");
    ddl_ib_init(&ib, p, WEV_NULL);
    rc = ddl_ib_toks(&ib, 0, i);
    if (!rc)
        rc = ddl_ib_schema_lit(&ib, p->defdb);
    if (!rc)
        rc = ddl_ib_toks(&ib, i, p->end);
    if (!rc)
        rc = ddl_ib_finish(&ib);
    ddl_ib_discard(&ib);
    return rc;
}

int ddl_parse_alter(struct ddl_parse *p, size_t i)
{
    bool or_replace = false;
    const char *why;
    struct ddl_name n;
    size_t head_end;
    i = skip_modifiers(p, i, &or_replace);
    if ((why = ddl_skip_object(p, "ALTER", i)) != NULL)
        return ddl_skip(p, why);
    if (ddl_kw(p, i, "DATABASE") || ddl_kw(p, i, "SCHEMA"))
        return alter_database(p, i + 1);
    if (ddl_kw(p, i, "ONLINE"))
        i++;
    if (ddl_kw(p, i, "IGNORE"))
        i++;
    if (!ddl_kw(p, i, "TABLE"))
        return ddl_bad(p, "ALTER of this object is not supported");
    i++;
    (void)ddl_skip_if_exists(p, &i, false);
    head_end = i;
    if (ddl_name_at(p, &i, false, &n))
        return DDL_BAD;
    ddl_skip_wait(p, &i);
    return ddl_alter_specs(p, head_end, &n, i);
}

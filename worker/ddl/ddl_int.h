/* ddl_int.h - internals shared by the DDL parser files (ddl.c entry and classification,
 * ddl_stmt.c statement grammars, ddl_emit.c item building). Not a public contract. */
#ifndef DM_WORKER_DDL_INT_H
#define DM_WORKER_DDL_INT_H

#include "buf.h"
#include "ddl.h"
#include "ddl_lex.h"

/* A parse in progress. `end` excludes trailing ';' tokens. */
struct ddl_parse {
    struct ddl_lexed lx;
    const char *defdb;            /* "" when none */
    struct worker_ddl *res;
    size_t end;
};

/* A (possibly qualified) name: tokens [t0, t1) of the statement. */
struct ddl_name {
    size_t t0, t1;
    char schema[WORKER_NAME_MAX];
    char table[WORKER_NAME_MAX];  /* "" for a schema name */
};

/* One item being built. */
struct ddl_ib {
    struct ddl_parse *p;
    struct dm_buf b;
    size_t last;                  /* last token emitted + 1 (0: none yet) */
    struct worker_ddl_item it;
    size_t xcap;
};

/* Parse status inside the grammar functions: DM_OK, DM_E_NOMEM, or DDL_BAD (res->err
 * set, kind becomes WDDL_UNKNOWN). */
#define DDL_BAD 1

int ddl_bad(struct ddl_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a name at *i (schema-level when db_only). DM_OK (advanced), DDL_BAD (no name
 * there, or too long). */
int ddl_name_at(struct ddl_parse *p, size_t *i, bool db_only, struct ddl_name *n);
bool ddl_kw(const struct ddl_parse *p, size_t i, const char *w);
bool ddl_punct(const struct ddl_parse *p, size_t i, char c);
/* Skip "IF [NOT] EXISTS" at *i: true when it was there. */
bool ddl_skip_if_exists(const struct ddl_parse *p, size_t *i, bool not_);
/* Skip "WAIT n" / "NOWAIT" at *i. */
void ddl_skip_wait(const struct ddl_parse *p, size_t *i);

void ddl_ib_init(struct ddl_ib *ib, struct ddl_parse *p, enum worker_event ev);
void ddl_ib_discard(struct ddl_ib *ib);
/* Emit tokens [a, b) (comments become one space; ANSI "ids" become `ids`). */
int ddl_ib_toks(struct ddl_ib *ib, size_t a, size_t b);
/* Emit tokens [a, b) with REFERENCES t / EXCHANGE PARTITION p WITH TABLE t names as xrefs. */
int ddl_ib_toks_x(struct ddl_ib *ib, size_t a, size_t b);
int ddl_ib_lit(struct ddl_ib *ib, const char *s);
/* Emit a name as refs[slot] (slot 0/1) or, slot -1, as an xref. */
int ddl_ib_name(struct ddl_ib *ib, const struct ddl_name *n, int slot);
/* Emit `schema` as a schema-level refs[0] (ALTER DATABASE without a name). */
int ddl_ib_schema_lit(struct ddl_ib *ib, const char *schema);
/* Move the item into p->res (kind WDDL_DDL). */
int ddl_ib_finish(struct ddl_ib *ib);

/* Grammars (ddl_stmt.c): token i is just past the verb. */
int ddl_parse_create(struct ddl_parse *p, size_t i);
int ddl_parse_alter(struct ddl_parse *p, size_t i);
int ddl_parse_drop(struct ddl_parse *p, size_t i);
int ddl_parse_rename(struct ddl_parse *p, size_t i);
int ddl_parse_truncate(struct ddl_parse *p, size_t i);
/* ALTER TABLE spec splitting (ddl_alter.c). i at the first spec token. */
int ddl_alter_specs(struct ddl_parse *p, size_t head_end, const struct ddl_name *table, size_t i);
/* Mark res as skipped by skip-table entry `why`. */
int ddl_skip(struct ddl_parse *p, const char *why);
/* Skip-table lookup for CREATE/ALTER/DROP/RENAME objects at token i: the reason or NULL. */
const char *ddl_skip_object(const struct ddl_parse *p, const char *verb, size_t i);

#endif /* DM_WORKER_DDL_INT_H */

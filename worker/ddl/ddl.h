/* ddl.h - a small DDL analyzer for QUERY events (no full SQL parser): classifies the
 * statement (DM's event types), finds the table/schema names it touches, splits
 * multi-table DROP TABLE / RENAME TABLE into one statement per table (as DM does) and
 * rewrites names to routed, fully qualified target names.
 * Recognised: CREATE/DROP DATABASE|SCHEMA, CREATE [OR REPLACE] TABLE (incl. LIKE),
 * DROP TABLE, ALTER TABLE (incl. RENAME TO), TRUNCATE [TABLE], RENAME TABLE,
 * CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX ... ON, DROP INDEX ... ON.
 * Skipped (DM's built-in list): SAVEPOINT, FLUSH, OPTIMIZE/ANALYZE/REPAIR TABLE,
 * temporary tables, TRIGGER/PROCEDURE/FUNCTION/VIEW/EVENT/TABLESPACE/USER/ROLE, GRANT,
 * REVOKE, SET PASSWORD, ALTER DATABASE, XA, statements with DEFINER.
 * Ownership: worker_ddl_parse fills an owned result freed with worker_ddl_free.
 * Thread-safety: reentrant. */
#ifndef DM_WORKER_DDL_H
#define DM_WORKER_DDL_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

#define WORKER_NAME_MAX 194

enum worker_ddl_kind {
    WDDL_DDL = 1,     /* items[] to apply */
    WDDL_SKIP,        /* known statement DM never replicates */
    WDDL_BEGIN,       /* BEGIN / START TRANSACTION */
    WDDL_COMMIT,      /* COMMIT (non-transactional engines end groups with it) */
    WDDL_DML,         /* statement-format DML (INSERT/UPDATE/DELETE/REPLACE/LOAD) */
    WDDL_UNKNOWN      /* anything else */
};

struct worker_ddl_ref {
    size_t start, end;               /* byte span of the name in item text */
    char schema[WORKER_NAME_MAX];
    char table[WORKER_NAME_MAX];     /* "" for schema-level names */
};

struct worker_ddl_item {
    enum worker_event ev;
    char *text;                      /* owned statement text */
    struct worker_ddl_ref refs[2];   /* refs[0] = the table acted on; refs[1] = new name */
    size_t nrefs;
};

struct worker_ddl {
    enum worker_ddl_kind kind;
    struct worker_ddl_item *items;
    size_t n;
};

/* Analyze `sql` whose default database is `default_schema` (may be NULL/""). DM_OK
 * (see res->kind) or DM_E_NOMEM. */
int worker_ddl_parse(const char *sql, const char *default_schema, struct worker_ddl *res);
void worker_ddl_free(struct worker_ddl *res);

/* Rewrite names of `item` with `route` (as worker_rules_route); returns a malloc'd
 * statement or NULL on out-of-memory. */
char *worker_ddl_rewrite(const struct worker_ddl_item *item, const struct worker_rules *rules);

#endif /* DM_WORKER_DDL_H */

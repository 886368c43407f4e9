/* ddl.h - the DDL parser for QUERY events: classifies the statement (DM's event types),
 * finds every table/schema name it touches, splits it where DM v1.0.7 does
 * (pkg/parser SplitDDL: multi-table DROP TABLE and RENAME TABLE give one statement per
 * table, ALTER TABLE with several specs one statement per spec, later specs acting on
 * the name an earlier RENAME gave) and rewrites names to routed, fully qualified target
 * names. Like DM it makes the split statements idempotent: CREATE TABLE/DATABASE get
 * IF NOT EXISTS (not with OR REPLACE), DROP TABLE/DATABASE/INDEX get IF EXISTS.
 *
 * What is recognised (docs/worker.md "DDL" has the full table):
 *  - DDL (kind WDDL_DDL): CREATE [OR REPLACE] TABLE (incl. LIKE, FOREIGN KEY ...
 *    REFERENCES), ALTER [ONLINE] [IGNORE] TABLE (every spec, partition clauses,
 *    ALGORITHM/LOCK, RENAME [TO|AS], EXCHANGE PARTITION ... WITH TABLE), DROP TABLE,
 *    RENAME TABLE, TRUNCATE [TABLE], CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX, DROP INDEX,
 *    CREATE/ALTER/DROP DATABASE|SCHEMA. No token or name-count limit.
 *  - Skipped (WDDL_SKIP), DM's built-in skip list extended to what MariaDB logs: see
 *    worker_ddl_skip_table (views, triggers, routines, events, users/roles, grants,
 *    tablespaces, servers, table maintenance, FLUSH, SAVEPOINT, temporary tables, ...).
 *  - Anything else, or a recognised statement that does not parse, is WDDL_UNKNOWN
 *    with res->err saying why: the Sync unit pauses on it (sql-skip/sql-replace).
 * Comments are dropped; executable comments are code (ddl_lex.h); ANSI_QUOTES and
 * NO_BACKSLASH_ESCAPES of the source session are honoured and the item text is
 * normalised to backtick identifiers and backslash-escaped strings for the target.
 *
 * Ownership: worker_ddl_parse* fill an owned result freed with worker_ddl_free
 * (also after an error). Thread-safety: reentrant. */
#ifndef DM_WORKER_DDL_H
#define DM_WORKER_DDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define WORKER_NAME_MAX 194
#define WORKER_XID_MAX 300     /* X'<64 bytes hex>',X'<64 bytes hex>',<format id> */

enum worker_ddl_kind {
    WDDL_DDL = 1,     /* items[] to apply */
    WDDL_SKIP,        /* known statement DM never replicates */
    WDDL_BEGIN,       /* BEGIN / START TRANSACTION */
    WDDL_COMMIT,      /* COMMIT (non-transactional engines end groups with it) */
    WDDL_DML,         /* statement-format DML (INSERT/UPDATE/DELETE/REPLACE/LOAD/WITH, and
                         SELECT/DO: logged only when a stored function changed rows) */
    WDDL_UNKNOWN      /* anything else: the task pauses (see err) */
};

struct worker_ddl_ref {
    size_t start, end;               /* byte span of the name in item text */
    char schema[WORKER_NAME_MAX];
    char table[WORKER_NAME_MAX];     /* "" for schema-level names */
    bool exchange;                   /* xref of EXCHANGE PARTITION ... WITH TABLE: its
                                      * rows move into the table acted on and back */
};

struct worker_ddl_item {
    enum worker_event ev;            /* WEV_NULL for ALTER DATABASE */
    char *text;                      /* owned statement text (source names) */
    struct worker_ddl_ref refs[2];   /* refs[0] = the table acted on; refs[1] = new name
                                      * (RENAME, ALTER ... RENAME) or LIKE source */
    size_t nrefs;
    struct worker_ddl_ref *xrefs;    /* owned: other names (REFERENCES, EXCHANGE ... WITH
                                      * TABLE): routed, not black-white-listed */
    size_t nxrefs;
};

struct worker_ddl {
    enum worker_ddl_kind kind;
    struct worker_ddl_item *items;
    size_t n;
    size_t cap;                      /* internal: allocated items */
    char err[512];                   /* WDDL_UNKNOWN: why; WDDL_SKIP: which rule */
    /* WDDL_SKIP savepoint statements (SAVEPOINT s, ROLLBACK [WORK] TO [SAVEPOINT] s,
     * RELEASE SAVEPOINT s): which one and s (unquoted); the Sync unit tracks them
     * (a ROLLBACK TO in the binlog keeps the rolled-back rows before it). */
    enum worker_ddl_sp { WDDL_SP_NONE = 0, WDDL_SP_SET, WDDL_SP_ROLLBACK, WDDL_SP_RELEASE } sp;
    char sp_name[WORKER_NAME_MAX];
    /* An ALTER TABLE whose result depends on the order the server stored the rows in
     * (the Sync unit checks the target table, syncer.c order_check), NULL for others:
     * "adding an AUTO_INCREMENT column" (a column attribute AUTO_INCREMENT, not the table
     * option AUTO_INCREMENT [=] n: existing rows are numbered in that order) or "ALTER
     * IGNORE adding a unique key" (the first row of each duplicate set stays). */
    const char *order_dep;
    /* WDDL_SKIP XA statements the Sync unit tracks: XA END / XA COMMIT (of a prepared XA
     * transaction, not ONE PHASE) / XA ROLLBACK and the xid as the source logged it
     * (MariaDB writes it canonically: "X'7831',X'',1"). MariaDB logs an XA transaction's
     * rows at XA PREPARE (XA END is the last QUERY of that group); XA COMMIT/ROLLBACK come
     * later in a group of their own. */
    enum worker_ddl_xa { WDDL_XA_NONE = 0, WDDL_XA_END, WDDL_XA_COMMIT, WDDL_XA_ROLLBACK } xa;
    char xa_id[WORKER_XID_MAX];
    /* WDDL_COMMIT of `ROLLBACK` [WORK ...]: the group it ends was rolled back on the source;
     * MariaDB logs its changes anyway when the transaction also created/dropped a temporary
     * table or changed a non-transactional one (the Sync unit pauses if it applied rows). */
    bool rollback;
};

/* Analyze `sql` whose default database is `default_schema` (may be NULL/"") under the
 * source session's `sql_mode` (the QUERY event's; 0 = default). DM_OK (see res->kind)
 * or DM_E_NOMEM. */
int worker_ddl_parse_mode(const char *sql, const char *default_schema, uint64_t sql_mode,
                          struct worker_ddl *res);
/* worker_ddl_parse_mode with sql_mode 0. */
int worker_ddl_parse(const char *sql, const char *default_schema, struct worker_ddl *res);
void worker_ddl_free(struct worker_ddl *res);

/* Rewrite names of `item` (refs and xrefs) with the routes of `rules` into fully
 * qualified `schema`.`table` names; returns a malloc'd statement or NULL on
 * out-of-memory. */
char *worker_ddl_rewrite(const struct worker_ddl_item *item, const struct worker_rules *rules);

/* Table charsets of a CREATE/ALTER TABLE statement `sql` (as worker_ddl_rewrite gives it)
 * that come from its database's default charset, which the source's and the target's
 * database may not share (routes, a pre-created target database, other server defaults):
 *  - WDDL_CS_ADD: a CREATE TABLE with a column list and no table option naming a charset
 *    or collation (CHARSET, CHARACTER SET, COLLATE): *at = the byte offset right after the
 *    column list's ')', where " DEFAULT CHARSET=x COLLATE=y" can go (before ENGINE=...,
 *    PARTITION BY ...);
 *  - WDDL_CS_DB_DEFAULT: a charset/collation option (outside parentheses) whose value is
 *    DEFAULT (CHARSET=DEFAULT, CONVERT TO CHARACTER SET DEFAULT, ...): the database's;
 *  - WDDL_CS_NONE: neither (explicit charsets, CREATE TABLE ... LIKE, no column list). */
enum worker_ddl_cs { WDDL_CS_NONE = 0, WDDL_CS_ADD, WDDL_CS_DB_DEFAULT };
enum worker_ddl_cs worker_ddl_charset_need(const char *sql, size_t *at);

/* true when a second run of `sql` (as worker_ddl_rewrite gives it, or an operator's
 * statement) right after the first can change the target while every table it names keeps
 * the definition the first run gave it, so "the definitions did not change" cannot tell
 * "it did not run" from "it ran" (the Sync unit's DDL-replay rule, syncer.c ddl_exec):
 * EXCHANGE PARTITION (it swaps rows), or more than one RENAME / CHANGE in one statement
 * with a CHANGE, FIRST / AFTER or RENAME INDEX|KEY among its words (an ALTER kept whole
 * can swap two columns' names and positions, or two indexes' names, of the same
 * definition). RENAME COLUMN alone moves names over fixed positions: the definition
 * changes. A statement that does not lex counts as true. */
bool worker_ddl_replay_blind(const char *sql);
/* The documented skip table: entry i (NULL past the end) as "KEYWORDS" / why. */
const char *worker_ddl_skip_table(size_t i, const char **why);

#endif /* DM_WORKER_DDL_H */

/* applier.h - the downstream side of the Sync unit: one target connection (libmariadb),
 * the target table schema cache (columns, PK/UK read from the target), DML generation
 * with DM v1.0 semantics (dataplane.md §3.4: INSERT / UPDATE ... WHERE <key> LIMIT 1 /
 * DELETE ... LIMIT 1; safe mode REPLACE and DELETE+REPLACE) as jobs with causality keys
 * for dmlpool.h, multi-statement execution, the checkpoint table
 * `<meta-schema>`.`<task>_syncer_checkpoint` (global and per-table rows), and DDL
 * execution ignoring DM's benign errors.
 * Errors: DM_OK or DM_E_DB / DM_E_UNAVAILABLE (connection lost: e->transient) /
 * DM_E_INVAL (schema mismatch, mapping) / DM_E_NOMEM, with a DM-style error in *e.
 * Thread-safety: one applier per thread (worker_applier_kill_task: any thread). */
#ifndef DM_WORKER_APPLIER_H
#define DM_WORKER_APPLIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binlog.h"
#include "rules.h"
#include "subtask_cfg.h"
#include "terror.h"

struct worker_applier;

/* Connect to `to` (borrowed; copied). task/source_id/meta_schema are copied. */
int worker_applier_open(const struct worker_db_cfg *to, const char *meta_schema,
                        const char *task, const char *source_id,
                        struct worker_applier **out, struct worker_terr *e);
void worker_applier_free(struct worker_applier *a);

/* CREATE SCHEMA/TABLE IF NOT EXISTS for the checkpoint table; with `remove` the table
 * is dropped first (remove-meta). */
int worker_applier_prepare_meta(struct worker_applier *a, bool remove, struct worker_terr *e);
/* Global checkpoint of this source: *found false when none is stored. */
int worker_applier_load_checkpoint(struct worker_applier *a, char *file, size_t cap,
                                   uint64_t *pos, bool *found, struct worker_terr *e);

/* How a statement's elements after its head are joined when jobs are merged. */
enum worker_merge {
    WORKER_MERGE_NONE = 0,
    WORKER_MERGE_VALUES,      /* "(tuple)" elements joined with ',' (INSERT/REPLACE) */
    WORKER_MERGE_IN,          /* "v)" / "(v1,v2))": ',' joined, the ")" closing the list
                                 is dropped before the next element (DELETE by a 1-column
                                 key) */
    WORKER_MERGE_OR           /* "(`a`=v AND `b`=w)" joined with " OR " (DELETE by a
                                 composite key: MariaDB's DELETE does not use the index
                                 for a one-element row IN / row equality) */
};
#define WORKER_MERGE_MAX_DELETE 256   /* elements per merged DELETE (range optimizer memory) */

/* One generated row change (parallel apply, dataplane.md §3.3). Pointers are valid only
 * during the callback. */
struct worker_rowjob {
    const char *sql;          /* one statement, or DELETE;REPLACE (safe-mode UPDATE) */
    size_t len;
    size_t head_len;          /* > 0 (merge != WORKER_MERGE_NONE): the first head_len
                                 bytes are a head ("INSERT/REPLACE INTO `s`.`t` (cols)
                                 VALUES ", "DELETE FROM `s`.`t` WHERE `pk` IN (",
                                 "DELETE FROM `s`.`t` WHERE ") followed by one element;
                                 consecutive jobs with equal heads and kinds may be merged
                                 into one statement (dmlbatch.h) */
    enum worker_merge merge;
    const char *key;          /* rows with a PK / NOT NULL UK (no NULL parts): exact text of
                                 the table and that key's values ("`s`.`t`:v1,v2"), for
                                 worker_sql_redundant (dmlbatch.h); else NULL */
    size_t key_len;
    bool supersedes;          /* REPLACE of a row with `key`: a DELETE of the same key
                                 right before it is redundant */
    const uint64_t *keys;     /* causality keys (hashes of PK/UK values + table), >= 1 */
    size_t nkeys;
    bool keyless;             /* an image had no usable unique key: keys hold the table */
    bool finds_row;           /* a key-less row's UPDATE / DELETE (also under a SET STATEMENT
                                 prefix, or safe mode's DELETE;REPLACE): runs alone and must
                                 match exactly one row (worker_applier_exec_one_row); set by
                                 the generator, not read back from the SQL */
    bool must_match;          /* safe mode, partial after-image UPDATE that changes the key
                                 its WHERE names (the row's identity): a crash replay over a
                                 target already ahead cannot apply it idempotently (the row
                                 may have moved, its new key may be taken or deleted by a
                                 replayed DELETE): it runs alone and must match exactly one
                                 row, else the task pauses (worker_applier_exec_one_row) */
    const char *alt;          /* a key-less row's UPDATE/DELETE whose image holds a FLOAT value
                                 that a dump tool would load rounded to 6 significant digits:
                                 the fallback when the exact first statement matches no row
                                 (applier_dml.c gen_float_alt: count query NUL widened first
                                 statement NUL exact first statement); else NULL */
    size_t alt_len;
    bool barrier;             /* frees or takes a unique value its (partial) images do not
                                 show (applier_dml.c): keys cannot order it, so it runs
                                 after everything before it and before everything after
                                 it is committed (dmlpool.h); never merged */
    /* filled by the caller of the generator (the Sync unit) for key-less jobs: */
    const char *src_schema, *src_table; /* source table (per-table checkpoint row) */
    const char *file;         /* position of the rows event */
    uint64_t pos;
};
typedef int (*worker_rowjob_fn)(void *ud, const struct worker_rowjob *j, struct worker_terr *e);

/* Generate the DML of one rows event for target `tschema`.`ttable` (DM v1.0 statements,
 * safe mode REPLACE / DELETE+REPLACE), one job per row, in order, each passed to fn.
 * Partial row images (binlog_row_image MINIMAL/NOBLOB) write only their present columns
 * (applier_dml.c); a row whose partial image holds no usable key fails with DM_E_INVAL
 * and an error naming the table, binlog position and missing key columns (not
 * transient: the task pauses). Character data is written byte-exact in the target
 * column's charset. An UPDATE whose after-image writes nothing produces no job.
 * Nothing is executed; the applier's connection is used for the schema cache and
 * escaping. `rules` supplies column mapping (may be NULL). fn's error is returned. */
int worker_applier_gen_rows(struct worker_applier *a, const struct bl_event *ev,
                            const char *tschema, const char *ttable, bool safe_mode,
                            const struct worker_rules *rules, worker_rowjob_fn fn, void *ud,
                            struct worker_terr *e);
/* A key-less row's UPDATE/DELETE (... LIMIT 1, optionally followed by ';' and its
 * safe-mode REPLACE) as worker_applier_exec_multi, but its first statement must match
 * exactly one row (CLIENT_FOUND_ROWS: matched, not changed): a key-less row missing on the
 * target means the target already differs from the source, and the task pauses with an
 * error naming the statement instead of diverging further (DM ignores the count).
 * alt (worker_rowjob.alt, key-less only; NULL: none): the first statement runs alone; when
 * it matches no row, the count query of alt decides - exactly one row matching with the
 * FLOAT values as a dump tool loads them: the widened statement runs instead; none or more
 * than one: the task pauses as above (never a guess between rows); then the rest of sql.
 * keyless false: a worker_rowjob.must_match UPDATE; 0 rows or a duplicate key (Error
 * 1062) pause (not transient) with an error naming the partial row image. */
int worker_applier_exec_one_row(struct worker_applier *a, const char *sql, size_t len,
                                bool keyless, const char *alt, size_t alt_len,
                                struct worker_terr *e);
/* Run ';'-separated statements in one round trip (multi-statements are enabled on
 * the connection on first use), inside the open transaction (BEGIN is sent when
 * needed); `rows` is added to worker_applier_txn_rows. */
int worker_applier_exec_multi(struct worker_applier *a, const char *sql, size_t len,
                              size_t rows, struct worker_terr *e);
/* As worker_applier_exec_multi; starts[0..nstarts-1]: the byte offset of each statement in
 * sql (ascending, starts[0] = 0), so that an error names the statement that failed (the
 * server stops a packet at its first failing statement) instead of the packet's first. */
int worker_applier_exec_packet(struct worker_applier *a, const char *sql, size_t len,
                               const size_t *starts, size_t nstarts, size_t rows,
                               struct worker_terr *e);
/* One checkpoint row: the global row (schema = table = "", is_global=1) or a table's. */
struct worker_cp_row {
    const char *schema, *table, *file;
    uint64_t pos;
};
/* Upsert the checkpoint rows (DM's INSERT ... ON DUPLICATE KEY UPDATE) and COMMIT (a
 * transaction is opened if none is). */
int worker_applier_commit(struct worker_applier *a, const struct worker_cp_row *rows, size_t n,
                          struct worker_terr *e);
/* The per-table rows of this source (is_global=0): calls fn for each. */
int worker_applier_load_table_cps(struct worker_applier *a,
                                  void (*fn)(void *ud, const struct worker_cp_row *r), void *ud,
                                  struct worker_terr *e);
/* mysql_errno of the last failure (0 when none). */
unsigned int worker_applier_errno(const struct worker_applier *a);
/* COMMIT the open transaction, if any, without a checkpoint. */
int worker_applier_commit_plain(struct worker_applier *a, struct worker_terr *e);
/* Session settings for a parallel DML connection: READ COMMITTED (no gap locks between
 * the connections; skipped when the target logs binlog_format=STATEMENT) and a short
 * lock wait timeout. */
int worker_applier_tune_dml(struct worker_applier *a, struct worker_terr *e);
/* ROLLBACK the open transaction, if any (errors ignored). */
void worker_applier_rollback(struct worker_applier *a);
bool worker_applier_in_txn(const struct worker_applier *a);
/* Rows applied in the open transaction. */
size_t worker_applier_txn_rows(const struct worker_applier *a);

/* Execute a DDL (autocommit) after `USE use_schema` when use_schema is non-empty;
 * "already exists / does not exist" class errors are treated as success. The schema
 * cache is dropped. ev (may be NULL): the QUERY event the DDL comes from; the statement
 * then runs in its source session's context (timestamp, sql_mode, time zone, charsets
 * from the status variables), and the connection's own session is restored after. */
int worker_applier_ddl(struct worker_applier *a, const char *use_schema, const char *sql,
                       const struct bl_event *ev, struct worker_terr *e);
/* The MariaDB error the last worker_applier_ddl ignored as "exists / does not exist"
 * (1060 duplicate column, ...), 0 when it ran without one. */
unsigned worker_applier_ddl_ignored(const struct worker_applier *a);
/* out = the first column of the first row of query sql (systz.h: WORKER_SYSTZ_QUERY). */
int worker_applier_query_text(struct worker_applier *a, const char *sql, char *out, size_t cap,
                              struct worker_terr *e);
struct worker_srcmeta;
/* The reader of the source the rows come from (srcmeta.h; borrowed, must outlive a): its
 * information_schema is read for what the binlog does not say about a table's columns - names, UNSIGNED,
 * ENUM/SET members, character sets - to refuse rows a differing target table would
 * store as other values (applier_srcdef.c; docs/worker.md "Source column definitions").
 * Without it only the binlog's TABLE_MAP is checked. */
void worker_applier_set_source(struct worker_applier *a, struct worker_srcmeta *sm);
/* Drop cached schema of one table (NULL schema = everything). */
void worker_applier_invalidate(struct worker_applier *a, const char *schema, const char *table);

/* *out = the target table exists, has neither a PRIMARY KEY nor a NOT NULL UNIQUE key
 * (InnoDB orders its rows by an internal row id: the order they were inserted on that
 * server) and holds at least one row. */
/* *out = the target's @@lower_case_table_names (0: names are case-sensitive). */
int worker_applier_lower_case_names(struct worker_applier *a, int *out, struct worker_terr *e);

int worker_applier_keyless_rows(struct worker_applier *a, const char *schema,
                                const char *table, bool *out, struct worker_terr *e);

/* KILL CONNECTION every open applier connection of (`to` host:port, task, source_id)
 * through a new connection: a stop that waits on a stalled target (a locked table, a
 * 60 s read) ends it this way; the killed connections' open transactions roll back.
 * Thread-safe (any thread, while the owners use their appliers). *killed = connections
 * killed (ones that ended meanwhile are not counted). DM_OK or the connect error. */
#define WORKER_KILL_MAX 128
int worker_applier_kill_task(const struct worker_db_cfg *to, const char *task,
                             const char *source_id, int *killed, struct worker_terr *e);

/* Run one statement (tests, tools). */
int worker_applier_exec(struct worker_applier *a, const char *sql, struct worker_terr *e);

#endif /* DM_WORKER_APPLIER_H */

/* load_infile.h - the Load unit's LOAD DATA LOCAL INFILE path: the rows of one dumped
 * `INSERT INTO `t` [(`c`,...)] VALUES (...),...;` statement are converted to LOAD DATA's
 * default text format and streamed from memory through Connector/C's local-infile handler
 * (no temporary file), in the same transaction as the INSERT would have been (the loader
 * checkpoint commits with it). The target's server does less work per row (no SQL parse of
 * the values: docs/benchmarks.md, Load round 4).
 *
 * Same result as the INSERT, or the INSERT runs:
 *   - LOAD DATA LOCAL turns errors into warnings (duplicates: 1062, strict-mode errors,
 *     NULL into NOT NULL): a statement with any warning, or fewer rows than sent, is rolled
 *     back (ROLLBACK, or ROLLBACK TO SAVEPOINT inside a multi-statement transaction) and the
 *     rest of that file goes as INSERTs, so the INSERT's own error pauses the task naming
 *     the file, exactly as without this path;
 *   - a statement the converter does not carry unchanged runs as it is (DM_E_PARSE of
 *     worker_li_convert): an unknown literal form, NULL for a NOT NULL column, a literal
 *     whose meaning depends on the column type (a hex literal into a non-string column,
 *     a number into a string/date/enum/bit column, other than 4 digits into a year), a
 *     value count that does not
 *     match, adjacent string literals;
 *   - the path is off for a table with generated columns, a column-mapped table, a target
 *     with local_infile=OFF (or refusing the statement: 1148/4166), a session with
 *     NO_BACKSLASH_ESCAPES / ANSI_QUOTES, a SET NAMES other than binary / utf8* / latin1 /
 *     ascii, or a session statement of the dump touching sql_mode or character sets;
 *   - DMGW_LOAD_INFILE=0 turns it off.
 * Charset: the data goes with `CHARACTER SET <the session's SET NAMES>` (mydumper writes
 * `SET NAMES binary`), so each value reaches the column through the same conversion as the
 * INSERT's literal; hex literals and _binary introducers only when that is binary. INET6 /
 * UUID columns are the exception: their dumped text goes through a user variable and
 * `SET c = CONVERT(@v USING utf8mb4)` (read as text, not as the 16-byte value); an INSERT
 * that runs as it is gets `_utf8mb4` before those values (worker_li_fix_insert).
 * Thread-safety: a struct worker_li belongs to one loader thread (one connection). */
#ifndef DM_WORKER_LOAD_INFILE_H
#define DM_WORKER_LOAD_INFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "terror.h"

struct worker_applier;

/* What a target column may receive unchanged through LOAD DATA. */
enum worker_li_class {
    WLI_INT,      /* tinyint .. bigint: integer literals, quoted strings */
    WLI_DECIMAL,  /* decimal: integer and decimal literals, quoted strings */
    WLI_FLOAT,    /* float, double: numeric literals (also 1e-5), quoted strings */
    WLI_STRING,   /* char, varchar, *text, binary, varbinary, *blob: quoted strings, and
                     hex literals / _binary when the session's names are binary */
    WLI_YEAR,     /* year: 4-digit integer literals (a shorter one reads another way as a
                     string: 0 is 0000 as a number, 2000 as a string), quoted strings */
    WLI_TEXTBIN,  /* inet6, uuid: quoted strings (their text form), loaded through a user
                     variable and CONVERT(@v USING utf8mb4); NULL */
    WLI_OTHER     /* the rest (date/time, enum, set, bit, year, ...): quoted strings */
};

struct worker_li_col {
    char *name;
    enum worker_li_class cls;
    bool nullable;
    bool invisible;   /* INVISIBLE: only in an explicit column list */
    bool is_enum;     /* ENUM: '' is its error value (index 0, worker_li_warnings_ok) */
};

struct worker_li_table {
    struct worker_li_col *cols;   /* writable columns in table order (invisible ones too) */
    size_t ncols;
};

/* Class of an information_schema DATA_TYPE. */
enum worker_li_class worker_li_classify(const char *data_type);

/* Rows of the INSERT stmt[0..len) into `rows` (reset first): values separated by a tab,
 * rows ended by a newline, NULL as \N, the string literals' escapes decoded and the bytes
 * \ tab newline NUL written as \\ \t \n \0; and into `cols` (reset) the column list of the
 * LOAD DATA: the INSERT's own, else every column of t, as "(`a`,`b`)". `binary`: the
 * session's names are binary (hex literals and _binary allowed). *nrows: rows written.
 * DM_OK; DM_E_PARSE: not carried unchanged, run the INSERT itself; DM_E_NOMEM;
 * DM_E_TOO_LARGE (over rows' bound). */
int worker_li_convert(const char *stmt, size_t len, const struct worker_li_table *t, bool binary,
                      struct dm_buf *rows, struct dm_buf *cols, size_t *nrows);

/* WORKER_LI_FALLBACK from worker_li_exec: nothing changed, run the INSERT. */
#define WORKER_LI_FALLBACK 1

struct worker_li;

/* NULL when out of memory. */
struct worker_li *worker_li_new(void);
void worker_li_free(struct worker_li *li);

/* A session statement of the dump (mydumper's SET NAMES binary in a version comment) ran
 * on the connection. */
void worker_li_session(struct worker_li *li, const char *stmt);

/* Before a data file: its routed table's columns from the target (cached per table) and
 * whether the connection allows the path; `usable` false (e.g. column mapping): off for
 * this file. Never fails: a failed lookup turns the path off for the file. */
void worker_li_file(struct worker_li *li, struct worker_applier *a, const char *db,
                    const char *tbl, bool usable);

/* One dumped INSERT (its table is the file's: routes are applied by worker_li_file's
 * names). Opens the transaction when !*open (BEGIN; *open = true), else a savepoint.
 * DM_OK: the rows are in the open transaction; WORKER_LI_FALLBACK: nothing of it is (run
 * the INSERT; *open may have become false after a ROLLBACK); a DM_E_* target error with e
 * set (the caller rolls back). */
int worker_li_exec(struct worker_li *li, struct worker_applier *a, const char *stmt, size_t len,
                   bool *open, struct worker_terr *e);

/* DMGW_LOAD_INFILE=0: no LOAD DATA on this connection (worker_li_fix_insert still works). */
void worker_li_no_infile(struct worker_li *li);

/* The file's target table has a non-transactional engine (MyISAM, Aria, MEMORY, ...): a
 * ROLLBACK cannot undo its rows, so LOAD DATA is off for it (worker_li_file) and its
 * INSERTs' warnings are checked (worker_li_warnings_ok). false when unknown. */
bool worker_li_nontx(const struct worker_li *li);

/* After the INSERT `ins` (the file's table; li's columns cached by worker_li_file) ran on
 * a->my: true when it has no warning of level Warning / Error, or each is MariaDB's
 * `1265 Data truncated for column 'c' at row N` for an ENUM column c whose value in row N
 * of ins is the literal '' (the ENUM error value, index 0, which a non-strict session
 * stores as index 0: the source's value), or a 1062 of INSERT IGNORE. Else false with the
 * first other warning in why (also when the session kept fewer warnings than there were:
 * the Load's sessions raise max_error_count to 65535). */
bool worker_li_warnings_ok(struct worker_li *li, struct worker_applier *a,
                           const struct dm_buf *ins, char *why, size_t cap);

/* The INSERT failed with `1265 Data truncated for column 'c' at row N` (msg, the server's
 * text) on an ENUM column c of the cached table, and (for a non-transactional table) N is 1
 * (no row of it was written): it may run again in a session without STRICT_* and be kept
 * when worker_li_warnings_ok says so. */
bool worker_li_enum_retry(const struct worker_li *li, unsigned int err, const char *msg);

/* INET6 / UUID for an INSERT that runs as it is (ins: routed, mapped): under mydumper's SET
 * NAMES binary their dumped text ('::1') is a binary string, which MariaDB takes as the
 * 16-byte value (Error 1292; a 16-character INET6 text such as '2001:db8::1:2:34' is
 * silently stored as another address). When the file's table (worker_li_file) has such
 * columns, each value of theirs that is one quoted string gets the `_utf8mb4` introducer
 * (read as text; the dump holds the server's text form, ASCII) and *use = the rewritten
 * statement (owned by li, valid until the next call); every other byte is unchanged. Else
 * *use = ins: no such column, a statement it does not read (runs as it is), or a session
 * whose literals it cannot read (SET NAMES other than binary, utf8*, latin1, ascii;
 * NO_BACKSLASH_ESCAPES / ANSI_QUOTES, sql_mode / charset statements). DM_OK; DM_E_NOMEM. */
int worker_li_fix_insert(struct worker_li *li, const struct dm_buf *ins,
                         const struct dm_buf **use);

/* Statements sent as LOAD DATA / as INSERT by this path's choice since worker_li_new. */
void worker_li_counts(const struct worker_li *li, size_t *loaded, size_t *fallback);

#endif /* DM_WORKER_LOAD_INFILE_H */

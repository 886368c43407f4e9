/* dump_chunks.h - mydumper 0.10's `--rows` (-r) chunking of a table on an integer key
 * column, checked before the dump. mydumper reads the column's MIN and MAX with strtoul
 * and steps a guint64 cutoff from MIN while it is <= MAX, writing each chunk as
 * "`c` >= <cutoff> AND `c` < <cutoff + step>" (unsigned): a column whose values are all
 * negative gets chunks that hold none of its rows (the table's data is left out of the
 * dump and mydumper exits 0: a silent loss), and a cutoff that passes 2^64 - 1 (MAX at or
 * above 2^63 in a BIGINT UNSIGNED, or the wrapped negative ones) wraps to 0 and the loop
 * allocates chunk texts until the process is killed. The column mydumper chunks on is the
 * first column of the PRIMARY KEY, else of a UNIQUE key, else of any index (the highest
 * cardinality); every such candidate of a kept table is checked (one information_schema
 * query, then MIN/MAX per candidate integer column over its index). Tables mydumper would
 * find too small to split are checked too (its estimate is EXPLAIN's).
 * Used by the Dump unit (worker/dump/dump.c) and check-task (master/precheck_tables.c):
 * its own library, dmdumpchunks (worker/CMakeLists.txt). Thread-safety: the caller's connection. */
#ifndef DMGW_WORKER_DUMP_DUMP_CHUNKS_H
#define DMGW_WORKER_DUMP_DUMP_CHUNKS_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether extra-args turn row chunking on (-r N, -rN, --rows N, --rows=N with N > 0). */
bool worker_dump_rows_chunking(const char *extra_args);

/* Whether mydumper's chunks of an integer column with these MIN / MAX texts miss rows or
 * loop: MIN and MAX both negative, or MAX >= 2^63. */
bool worker_dump_chunk_range_bad(const char *min, const char *max);

/* Check the kept tables names[0..n) ("db.tbl", dblen[i] = length of the db part) on the
 * source m. 0: fine; 1: a table mydumper cannot chunk, described in msg; -1: a query
 * failed (msg: the error; *transient for a lost connection). */
int worker_dump_check_chunks(MYSQL *m, char *const *names, const size_t *dblen, size_t n,
                             char *msg, size_t cap, bool *transient);

#endif

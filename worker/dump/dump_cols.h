/* dump_cols.h - the column names of a table as mydumper dumped its CREATE TABLE, to compare
 * with the source's columns taken before the dump's snapshot: mydumper 0.10.1 reads a
 * table's CREATE (SHOW CREATE TABLE, not transactional) and its rows (in the snapshot)
 * after its snapshot, so a DDL committed in between (MariaDB's instant ADD / DROP / RENAME
 * COLUMN does not fail the snapshot's reads) gives a dump of the new columns at a binlog
 * position before the DDL: the Sync then replays the DDL and the older row events over it
 * ("column count mismatch", or rows put into the wrong columns when the count stays).
 * Pure text functions. */
#ifndef DMGW_WORKER_DUMP_DUMP_COLS_H
#define DMGW_WORKER_DUMP_DUMP_COLS_H

#include "buf.h"

/* The column names of the first "CREATE TABLE `t` (" in text (a mydumper -schema.sql file:
 * one "  `col` ..." line per column, then the keys), unquoted, each followed by '\n', into
 * out (reset first). 1 when found, 0 when text has no such CREATE TABLE, -1 when out of
 * memory. */
int worker_dump_create_columns(const char *text, struct dm_buf *out);

#endif

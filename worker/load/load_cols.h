/* load_cols.h - the column list the Load unit gives a dumped INSERT that has none.
 * mydumper 0.10.1 writes `INSERT INTO `t` VALUES (...)` (no column list) for a table
 * without generated columns: its values follow the source's column order. A target table
 * that already exists (made by the user, another source's shard of a route) with the same
 * columns in another order took each value into the column at its position: `a`'s values
 * in `b` and back, silently when the types allow (and Error 1136 for a target with one
 * more column). With the source's column list, from the table's dumped CREATE, the rows go
 * by name: another order loads right, an extra target column gets its default, and a
 * column the target lacks stops the load naming it (1054).
 * Pure text function. */
#ifndef DMGW_WORKER_LOAD_LOAD_COLS_H
#define DMGW_WORKER_LOAD_LOAD_COLS_H

#include "buf.h"

/* " (`a`,`b`,...)" into out (reset first): the columns of the first "CREATE TABLE `t` ("
 * of text (a mydumper -schema.sql file: one "  `col` ..." line per column) in order,
 * INVISIBLE ones left out (a SELECT * has none of them, so neither have mydumper's rows).
 * A table with generated columns: the list mydumper writes itself (every non-generated
 * column, INVISIBLE ones too), for the INSERTs it writes without it (mydumper 0.10 with a
 * small --statement-size starts some statements of such a table with no list: a value
 * count the target refuses). 1 when built; 0 when not (out empty): no such CREATE, or a
 * system-versioned table (ROW START / END); -1 when out of memory (out empty). Before, a
 * generated column returned 0 with the columns before it left in out: the Load then gave
 * such an INSERT "(`a`,`b`" without its ')' (Error 1064, seen in fullall/random.sh). */
int worker_load_insert_cols(const char *text, struct dm_buf *out);

/* stmt[0..len) is "INSERT [IGNORE] INTO `t` VALUES ..." (no column list): its copy with
 * cols (" (`a`,...)") after the table name into out (reset first), 1; 0 when stmt is not
 * such a statement (a list, another form: left as it is); -1 when out of memory. */
int worker_load_with_cols(const char *stmt, size_t len, const char *cols, struct dm_buf *out);

#endif

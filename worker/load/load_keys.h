/* load_keys.h - deferred secondary indexes of the Load unit: a dumped CREATE TABLE without its
 * plain (non-unique) KEYs, and the ALTER TABLE clause that adds them after the data.
 * Pure text functions on mydumper's SHOW CREATE TABLE output (one item per line). */
#ifndef DMGW_WORKER_LOAD_LOAD_KEYS_H
#define DMGW_WORKER_LOAD_LOAD_KEYS_H

#include <stddef.h>

#include "buf.h"

/* create: a CREATE TABLE statement as SHOW CREATE TABLE prints it ("CREATE TABLE `t` (\n",
 * one column / key per line, then ") ENGINE=...").
 * stripped (may be NULL): the statement without its lines "  KEY `name` (...)".
 * adds: "ADD KEY IF NOT EXISTS `name` (...), ..." for those lines.
 * Returns the number of keys moved (0: nothing to defer, the buffers are left empty);
 * 0 as well for tables whose keys must stay in the CREATE: foreign keys (InnoDB needs an
 * index for them), AUTO_INCREMENT columns (must be a key's first column), or text that
 * does not have the expected layout. -1 when out of memory. */
int worker_load_split_keys(const char *create, struct dm_buf *stripped, struct dm_buf *adds);

#endif

/* load_names.h - which table a mydumper 0.10.1 output file belongs to, when database or
 * table names contain dots or "-schema". mydumper names its files "<db>-schema-create.sql",
 * "<db>.<tbl>-schema.sql", "<db>.<tbl>-schema-view.sql", "<db>.<tbl>.sql" and
 * "<db>.<tbl>.<digits>.sql" without escaping, so "d.x.t-schema.sql" is table `t` of
 * database `d.x` and "q.my-schema.sql" is the data of table `my-schema` (not the schema of
 * a table `my`). Pure string functions. */
#ifndef DMGW_WORKER_LOAD_LOAD_NAMES_H
#define DMGW_WORKER_LOAD_LOAD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the database part of name: the longest of dbs[0..n) (the databases that have
 * a "-schema-create.sql" file) followed by '.' in name; else up to name's first '.';
 * 0 when name has no '.'. */
size_t worker_load_db_len(const char *name, const char *const *dbs, size_t n);

/* A data file name's "<db>.<tbl>" part: name without ".sql" and without one ".<digits>"
 * before it, into base. false when name does not end in ".sql" or base is too small. */
bool worker_load_data_base(const char *name, char *base, size_t cap);

#endif

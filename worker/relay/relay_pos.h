/* relay_pos.h - DM's relay position names (pkg/binlog/position.go): a binlog file of relay
 * sub-directory "<uuid>.000002" may be named "mysql-bin|000002.000003" (the file
 * mysql-bin.000003 there); the plain name means the newest sub-directory holding it. DM
 * accepts both wherever a position is given (subtask meta, checkpoints, sql-skip/replace
 * --binlog-pos, purge-relay --filename); this worker's own positions are plain.
 * Pure functions, thread-safe. */
#ifndef DM_WORKER_RELAY_POS_H
#define DM_WORKER_RELAY_POS_H

#include <stdbool.h>
#include <stddef.h>

/* Split name into the plain file name (into real) and the sub-directory suffix (DM's
 * RealMySQLPos: "<base>|<positive number>.<seq>"). true when a suffix was present; false
 * (real = name, *suffix = 0) otherwise, or when real does not fit. */
bool relay_pos_split(const char *name, char *real, size_t cap, unsigned long *suffix);

/* Suffix of a sub-directory name "<uuid>.<NNNNNN>" (0 when it has none). */
unsigned long relay_subdir_suffix(const char *subdir);

#endif /* DM_WORKER_RELAY_POS_H */

/* dmlbatch.h - building one connection's multi-statement packets from its queued row
 * jobs (applier.h worker_rowjob, dmlpool.h): which jobs merge into one statement
 * (INSERT/REPLACE rows, DELETEs by a PK / NOT NULL unique key), which DELETE is redundant
 * (right before a REPLACE of the same row), and an order that groups mergeable jobs.
 *
 * Reordering rule: a job may move before earlier jobs of the same batch only if it shares
 * no causality key (worker_rowjob.keys: hashes of every PK/UK value, or the table for
 * key-less tables) with any of them - the same rule by which dmlpool already runs such
 * jobs on different connections in any order. Jobs sharing a key keep their order.
 * Pure functions, no database; thread-safety: none needed (no shared state). */
#ifndef DM_WORKER_DMLBATCH_H
#define DM_WORKER_DMLBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applier.h"
#include "buf.h"

/* One statement of a batch (fields as in worker_rowjob). */
struct worker_sqlpart {
    const char *sql;
    size_t len, head_len;
    enum worker_merge merge;
    const char *key;
    size_t key_len;
    bool supersedes;
    const uint64_t *keys;     /* causality keys (for worker_sql_order) */
    size_t nkeys;
    bool one_row;             /* dmlpool's: run alone, its first statement must change
                                 exactly one row (worker_applier_exec_one_row) */
    bool keyless;             /* with one_row: a key-less row's (else a must_match UPDATE) */
    const char *alt;          /* worker_rowjob.alt (NUL-terminated) or NULL */
    size_t alt_len;
};

/* Whether `cur` can be merged into the statement `prev` (same kind, same head). */
bool worker_sql_mergeable(const struct worker_sqlpart *prev, const struct worker_sqlpart *cur);
/* Append `cur` to the multi-statement packet in b whose last statement is `prev` (NULL
 * when b holds none from the same packet): merged into it when worker_sql_mergeable and
 * *nmerged (elements in prev's statement, kept by the caller: set to 1 by an append that
 * starts a statement, incremented by a merge) is below the kind's limit, else appended
 * after ';'. DM_OK or DM_E_TOO_LARGE / DM_E_NOMEM (b is then undefined: reset it). */
int worker_sql_append(struct dm_buf *b, const struct worker_sqlpart *prev,
                      const struct worker_sqlpart *cur, size_t *nmerged);
/* Whether the DELETE `del` can be left out because `next`, the job right after it on the
 * same connection, is a REPLACE of a row with the same table and key (REPLACE removes
 * that row itself: same final table; only safe mode generates such REPLACEs). */
bool worker_sql_redundant(const struct worker_sqlpart *del, const struct worker_sqlpart *next);
/* Execution order of the n jobs p[0..n-1] (order[] gets a permutation of 0..n-1): each
 * mergeable job joins the latest earlier group with the same head when no job of a later
 * group shares one of its causality keys, else starts a group; groups run in the order
 * they were started, jobs of a group in their original order. DM_OK or DM_E_NOMEM (then
 * order[] is the identity). */
int worker_sql_order(const struct worker_sqlpart *p, size_t n, size_t *order);

#endif /* DM_WORKER_DMLBATCH_H */

/* precheck_int.h - internals shared by precheck.c (DM checker.CheckSyncConfig: the
 * per-source server checks, the result JSON) and precheck_tables.c (the checks over the
 * replicated tables: table_schema, schema_of_shard_tables, auto_increment_ID).
 * Not a public contract. Thread-safety: one checks object per precheck call. */
#ifndef DM_MASTER_PRECHECK_INT_H
#define DM_MASTER_PRECHECK_INT_H

#include <jansson.h>
#include <mysql.h>
#include <stdbool.h>

#include "taskcfg.h"

enum precheck_state { PRECHECK_SUCCESS, PRECHECK_WARN, PRECHECK_FAIL };

struct precheck {
    json_t *results;          /* owned: the non-success results (DM keeps only those) */
    int total, ok, failed, warn;
    const struct master_task_cfg *cfg;
};

/* One tidb-tools check.Result (id = position among all checks run, from 0 as DM). */
void precheck_add(struct precheck *k, const char *name, const char *desc,
                  enum precheck_state state, const char *err, const char *instruction,
                  const char *extra);
/* Is DM checking item `item` switched off (ignore-checking-items, or by task-mode)? */
bool precheck_ignored(const struct master_task_cfg *c, const char *item);
/* A connection with 5 s connect/read timeouts; NULL with the client error in err. */
MYSQL *precheck_connect(const struct master_db_cfg *db, char *err, size_t cap);

/* precheck_tables.c: the replicated tables of every instance (black-white-list + routes
 * applied as DM's FetchTargetDoTables) and the checks over them. srcs[i] is instance i's
 * source connection (NULL when unreachable: its tables are skipped), target the target
 * connection (NULL: charsets are not compared). Called per instance right after its
 * server checks (DM's order), then once for the sharding groups. */
struct precheck_tables;
struct precheck_tables *precheck_tables_new(void);
void precheck_tables_free(struct precheck_tables *t);
/* Collect instance i's tables and add its table_schema result. */
void precheck_tables_instance(struct precheck *k, struct precheck_tables *t, size_t i, MYSQL *src,
                              const struct master_db_cfg *srcdb, MYSQL *target);
/* Add one schema_of_shard_tables (+ auto_increment_ID) result per target table fed by
 * more than one source table. */
void precheck_tables_sharding(struct precheck *k, struct precheck_tables *t);

#endif /* DM_MASTER_PRECHECK_INT_H */

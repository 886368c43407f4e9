/* applier_int.h - internals shared by applier.c and applier_dml.c (not a public
 * contract; see applier.h). Thread-safety: as the applier (one thread). */
#ifndef DM_WORKER_APPLIER_INT_H
#define DM_WORKER_APPLIER_INT_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

#include "applier.h"
#include "buf.h"

#define STMT_SOFT_MAX (1u << 20)   /* flush a multi-row statement past 1 MiB */

struct tkey {
    size_t n;
    size_t *idx;          /* column indexes (into tinfo cols) */
    bool primary;
    bool not_null;        /* every column NOT NULL */
};

struct tinfo {
    char *schema, *table;
    size_t ncols;
    char **cols;
    bool *gen;            /* generated column: never written */
    bool *nullable;
    bool *is_unsigned;    /* integer column declared UNSIGNED on the target */
    size_t nwritable;
    struct tkey *keys;    /* PK first */
    size_t nkeys;
    struct tinfo *next;
};

struct worker_applier {
    MYSQL *my;
    char *host, *user, *password;
    int port;
    char *meta_schema, *task, *source_id;
    bool in_txn;
    bool multi;           /* multi-statements enabled */
    size_t txn_rows;
    struct tinfo *cache;
    struct dm_buf sql;
    struct dm_buf key;    /* worker_rowjob.key of the job being generated */
    char *esc;            /* escape scratch */
    size_t esc_cap;
};

/* Run one statement; DM_E_DB / DM_E_UNAVAILABLE with *e on failure. */
int worker_ap_run(struct worker_applier *a, const char *sql, size_t len, struct worker_terr *e);
int worker_ap_db_error(struct worker_applier *a, const char *what, const char *sql,
                       struct worker_terr *e);
/* Run a query and store its result set (*res owned by the caller). */
int worker_ap_query(struct worker_applier *a, const char *sql, MYSQL_RES **res,
                    struct worker_terr *e);
int worker_ap_nomem(struct worker_terr *e);
int worker_ap_begin(struct worker_applier *a, struct worker_terr *e);
/* SQL text: `ident`, `schema`.`table`, 'escaped', a value literal. DM_E_TOO_LARGE /
 * DM_E_NOMEM on failure. */
int worker_ap_add_ident(struct dm_buf *b, const char *name);
int worker_ap_add_table(struct dm_buf *b, const char *schema, const char *table);
int worker_ap_add_escaped(struct worker_applier *a, struct dm_buf *b, const char *s, size_t n);
int worker_ap_add_value(struct worker_applier *a, struct dm_buf *b, const struct bl_value *v);
void worker_ap_tinfo_free(struct tinfo *t);

#endif /* DM_WORKER_APPLIER_INT_H */

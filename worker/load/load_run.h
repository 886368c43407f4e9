/* load_run.h - the state of one Load run (load.c), shared with the files that plan it
 * (load_scan.c: the dump directory, its tables and order) and guard it (load_guard.c: the
 * refusals before anything is created). Internal to worker/load; not a contract for other
 * units. Thread-safety: the planning and guards run on the run's owner thread before the
 * pool threads start. */
#ifndef DMGW_WORKER_LOAD_LOAD_RUN_H
#define DMGW_WORKER_LOAD_LOAD_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "load.h"

struct worker_applier;

#define STMT_MAX (1024u << 20)   /* one dumped statement (mydumper -s default is 1 MB) */
#define MAX_FILES 1000000

enum kind { K_DB, K_TABLE, K_VIEW, K_DATA };

/* A table's plain KEYs (load_keys.h): created with the table, or left out of its CREATE and
 * added after its data. The choice is recorded in the loader checkpoint before the CREATE
 * (a row for the table's schema file: `offset` 0 = keys pending, 1 = added), so a restart
 * creates the same table and adds the keys it still lacks. */
enum keys { KEYS_IN_CREATE, KEYS_PENDING, KEYS_ADDED };

struct lfile {
    char *name;                  /* file name inside the dump dir */
    enum kind kind;
    char *db, *tbl;              /* source names (tbl NULL for K_DB) */
    char tdb[192], ttbl[192];    /* routed */
    int64_t size, offset;        /* data: checkpoint offset */
    int64_t table_bytes;         /* data: all data files of its table (largest table first) */
    enum keys keys;              /* table: where its plain KEYs are */
    char *key_adds;              /* table, keys pending: the ALTER's "ADD KEY IF NOT EXISTS ..."
                                    split from its CREATE (create_table); NULL: none */
    ptrdiff_t owner;             /* data: index of its table's file (-1: none), after plan() */
    bool has_data;               /* table: data files with rows left to load */
    bool keyless;                /* data: its target table has no row identity (marker) */
    int64_t inflight;            /* data: the end of a statement sent to a non-transactional
                                    target table and not committed (WORKER_LOAD_INFLIGHT row) */
};

/* Loader checkpoint row (filename prefix + the data file's name) written before a statement
 * into a non-transactional target table (MyISAM, Aria, ...), deleted with its offset: a
 * ROLLBACK cannot undo such rows, so a stop between them leaves them in the table once or
 * not at all and the resume cannot tell (34994). */
#define WORKER_LOAD_INFLIGHT "#inflight."

struct worker_load {
    pthread_mutex_t mu;
    atomic_bool canceled;
    atomic_llong finished, total;
    char meta_binlog[300];
};

/* one run's state shared by the pool threads */
struct run {
    struct worker_load *l;
    const struct worker_load_params *p;
    struct lfile *files;
    size_t n;
    atomic_size_t next;          /* next data file to take */
    useconds_t delay_us;         /* after each statement (tests: DMGW_LOAD_STMT_DELAY_MS) */
    int64_t txn_bytes;           /* file bytes per transaction (DMGW_LOAD_TXN_BYTES) */
    bool defer_keys;             /* plain KEYs after the data (DMGW_LOAD_DEFER_KEYS=0: off) */
    bool infile;                 /* INSERTs as LOAD DATA LOCAL (load_infile.h; DMGW_LOAD_INFILE=0: off) */
    int64_t max_packet;          /* the target's max_allowed_packet (0: unknown) */
    enum kind phase;             /* what the pool threads take: K_DATA, then K_TABLE (keys) */
    atomic_int *left;            /* per table file: its data files not finished in this run */
    pthread_mutex_t mu;
    bool failed;
    int rc;
    struct worker_terr err;
};

/* A load-unit error (WTE_LOAD_*): DM_E_NOT_FOUND for WTE_LOAD_DIR_NOT_FOUND, DM_E_IO for
 * WTE_LOAD_READ_FILE, else DM_E_PARSE. (load.c) */
__attribute__((format(printf, 3, 4)))
int worker_load_lerr(struct worker_terr *e, int code, const char *fmt, ...);

bool worker_load_has_suffix(const char *s, const char *suf);

/* load_scan.c: the files of r->p->dir into r->files (database, table and view schema files,
 * data files matched to their tables; trigger / routine / event files and compressed dumps
 * refused). DM_OK, or an error with *e. */
int worker_load_scan(struct run *r, struct worker_terr *e);
/* Drop the files the black-white-list leaves out (and views' placeholder tables); fill the
 * routed names. */
void worker_load_filter_route(struct run *r);
/* Per table: its data bytes and whether rows are left (has_data); data files ordered
 * largest table first. */
void worker_load_plan(struct run *r);
/* Each data file's table (owner) and r->left per table. DM_OK or DM_E_NOMEM. */
int worker_load_count_left(struct run *r);

/* load_guard.c: the key-less reload refusal (34999) and the dropped-table refusal (34998);
 * DM_OK, DM_E_INVAL with *e naming every such table, or a target error. */
int worker_load_keyless_guard(struct run *r, struct worker_applier *a, struct worker_terr *e);
int worker_load_dropped_guard(struct run *r, struct worker_applier *a, struct worker_terr *e);

#endif

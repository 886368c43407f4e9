/* online_ddl.h - DM v1.0.7 online DDL support for the Sync unit (`online-ddl-scheme: pt`
 * or `gh-ost`; syncer/online_ddl.go, pt_osc.go, ghost.go). One table per scheme names the
 * temporary tables:
 *   pt      ghost `_*<t>_new`, trash `_*<t>_old`             (leading '_'s trimmed)
 *   gh-ost  ghost `_<t>_gho`,  trash `_<t>_ghc`, `_<t>_del`
 * Rules (as DM):
 *  - rows events of ghost and trash tables are not replicated: the real table's own rows
 *    reach the target directly (pt's triggers / gh-ost's copy only write the ghost table);
 *  - DDL on a ghost table is not executed; it is recorded and persisted in
 *    `<meta-schema>`.`<task>_onlineddl` (id = server id, ghost_schema, ghost_table,
 *    ddls = JSON {"schema","table","ddls":[...]}, update_time), CREATE/DROP of the ghost
 *    table forgets what was recorded;
 *  - the cut-over `RENAME TABLE <ghost> TO <real>` returns the recorded DDLs, re-parsed
 *    and aimed at the real table (the caller routes and filters them as any DDL), and
 *    worker_onlineddl_finish then deletes the record;
 *  - `RENAME <real> TO <trash>` and every statement on a trash table are skipped;
 *    renames between real and ghost names fail with DM's error (36043..36051).
 * State survives restarts: worker_onlineddl_open loads the stored rows.
 *
 * Ownership: the module BORROWS the applier (its connection runs the meta statements,
 * autocommit) until worker_onlineddl_free. Results of worker_onlineddl_apply are owned by
 * the caller (worker_onlineddl_cutover_free).
 * Errors: DM_OK, DM_E_DB / DM_E_UNAVAILABLE (meta table), DM_E_INVAL (a DM online DDL
 * error, or an invalid stored record), DM_E_NOMEM; *e carries DM's code and message.
 * Thread-safety: one thread (the Sync unit's). */
#ifndef DM_WORKER_ONLINE_DDL_H
#define DM_WORKER_ONLINE_DDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applier.h"
#include "ddl.h"
#include "terror.h"

enum worker_od_table { WOD_REAL = 0, WOD_GHOST, WOD_TRASH };

enum worker_od_verdict {
    WOD_APPLY = 1,   /* not an online DDL statement: execute the item as it is */
    WOD_SKIP,        /* recorded or ignored: execute nothing */
    WOD_CUTOVER      /* execute the recorded DDLs (out), then worker_onlineddl_finish */
};

/* The recorded DDLs of one ghost table, re-parsed, refs[0] of every item set to the real
 * table. */
struct worker_od_cutover {
    struct worker_ddl *ddls;       /* n parsed statements */
    size_t n;
    char ghost_schema[WORKER_NAME_MAX], ghost_table[WORKER_NAME_MAX];
};

struct worker_onlineddl;

/* true for "", "pt" and "gh-ost" (DM's config check; others: "online scheme %s not
 * supported"). */
bool worker_onlineddl_scheme_valid(const char *scheme);

/* For scheme "pt" or "gh-ost": create the meta table if needed, delete this server id's
 * rows when `clear` (remove-meta), load the rest. *out NULL for scheme NULL or "". */
int worker_onlineddl_open(const char *scheme, struct worker_applier *a, const char *meta_schema,
                          const char *task, uint32_t server_id, bool clear,
                          struct worker_onlineddl **out, struct worker_terr *e);
void worker_onlineddl_free(struct worker_onlineddl *od);

/* Kind of a table name (od NULL -> WOD_REAL). */
enum worker_od_table worker_onlineddl_table_type(const struct worker_onlineddl *od,
                                                 const char *table);
/* Real name of a ghost/trash table name into out (the name itself for a real table). */
void worker_onlineddl_real_name(const struct worker_onlineddl *od, const char *table, char *out,
                                size_t cap);

/* Decide one split DDL item (refs[0] = table acted on, refs[1] = new name of a RENAME).
 * On WOD_CUTOVER *out is filled (free with worker_onlineddl_cutover_free). */
int worker_onlineddl_apply(struct worker_onlineddl *od, const struct worker_ddl_item *it,
                           enum worker_od_verdict *verdict, struct worker_od_cutover *out,
                           struct worker_terr *e);
/* After the cut-over DDLs were executed: forget the ghost table's record. */
int worker_onlineddl_finish(struct worker_onlineddl *od, const char *ghost_schema,
                            const char *ghost_table, struct worker_terr *e);
void worker_onlineddl_cutover_free(struct worker_od_cutover *c);

/* Number of ghost tables with recorded DDLs (tests, status). */
size_t worker_onlineddl_pending(const struct worker_onlineddl *od);

#endif /* DM_WORKER_ONLINE_DDL_H */

/* fkparent.h - rows of a table the task does not replicate whose FOREIGN KEY children it
 * does. InnoDB changes the child rows of ON DELETE / ON UPDATE CASCADE, SET NULL and SET
 * DEFAULT actions without binlogging them; for a replicated parent the target's InnoDB
 * repeats them (applier_dml.c gen_fk_action), but when the black-white-list leaves the
 * parent out, the target keeps child rows the source deleted or changed, silently. Such a
 * rows event (a DELETE, or an UPDATE changing a referenced column, of a session with
 * foreign_key_checks=1) pauses the task, not transient.
 * The source's information_schema (REFERENTIAL_CONSTRAINTS, KEY_COLUMN_USAGE, COLUMNS) is
 * read (srcmeta.h) once per parent table and kept until a DDL that may change them
 * (worker_fkparent_ddl).
 * Thread-safety: one caller (the Sync unit thread). */
#ifndef DM_WORKER_FKPARENT_H
#define DM_WORKER_FKPARENT_H

#include "binlog.h"
#include "rules.h"
#include "terror.h"

struct worker_fkparent;
struct worker_srcmeta;

struct worker_fkparent *worker_fkparent_new(void);
void worker_fkparent_free(struct worker_fkparent *c);
/* Forget every table. */
void worker_fkparent_clear(struct worker_fkparent *c);
/* A DDL statement ran (or was filtered): forget every table when it may add, drop or move a
 * FOREIGN KEY or a referenced column - it says FOREIGN, REFERENCES, RENAME or DROP, or
 * names a remembered parent table - else keep them (the lookups read information_schema,
 * which costs on a server with many tables). */
void worker_fkparent_ddl(struct worker_fkparent *c, const char *query);

/* ev: a rows event of a table `rules` does not replicate. DM_OK, or DM_E_DB with e: 36017
 * naming the parent, the replicated child and the rule (not transient), or a failed source
 * query (transient). */
int worker_fkparent_check(struct worker_fkparent *c, struct worker_srcmeta *sm,
                          const struct worker_rules *rules, const struct bl_event *ev,
                          struct worker_terr *e);

#endif /* DM_WORKER_FKPARENT_H */

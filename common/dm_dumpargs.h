/* dm_dumpargs.h - the one rule for a task's mydumper `extra-args`: options that let a dump
 * leave tables (or their rows, schemas, views) out without failing are refused, by the
 * dm-master (check-task / start-task: master/taskcfg_check.c) and by the dm-worker's Dump
 * unit (worker/dump/dump.c), so a load never ends with a table silently missing.
 * Refused (mydumper 0.10.1 names): --success-on-1146, -O/--omit-from-file,
 * -i/--ignore-engines, -U/--updated-since, -m/--no-schemas, -d/--no-data, -W/--no-views.
 * Tables are chosen with the black-white-list instead. Also refused: options that make the
 * dump disagree with its binlog position or the Load's reading of it (-k/--no-locks,
 * --skip-tz-utc), that never end it (-D/--daemon), that write what the Load refuses
 * (-c/--compress, -G/--triggers, -R/--routines, -E/--events) or hide mydumper's errors
 * (-L/--logfile).
 * Thread-safety: pure function. */
#ifndef DM_DUMPARGS_H
#define DM_DUMPARGS_H

#include <stddef.h>

/* args: extra-args as the task has it (split on blanks, one level of quotes, as the Dump
 * unit splits it). NULL when nothing in it is refused; else a static English sentence
 * saying what the option does, and the option as written ("--no-data", "-d") in
 * flag[0..cap). Values of options that take one ("-x -dW") are not read as options. */
const char *dm_dumpargs_refused(const char *args, char *flag, size_t cap);

#endif /* DM_DUMPARGS_H */

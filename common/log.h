/* log.h - JSON-lines logging: one object per line,
 *   {"ts":"2026-11-25T08:40:21.123Z","level":"info","component":"dm-master","msg":"...",<k>:<v>...}
 * Thread-safe: each line is written with one write(2) under a mutex (or, in buffered
 * mode, several lines with one write).
 * The component name and level are process-wide, set once by main(). */
#ifndef DM_LOG_H
#define DM_LOG_H

#include <stdarg.h>

enum dm_log_level { DM_LOG_DEBUG = 0, DM_LOG_INFO, DM_LOG_WARN, DM_LOG_ERROR };

/* component is copied. Lines below `min` are dropped. Output goes to stderr until
 * dm_log_open() names a file. */
void dm_log_init(const char *component, enum dm_log_level min);
/* Append to `path` (created 0644). DM_OK or DM_E_IO. */
int dm_log_open(const char *path);
/* Buffered mode (dm-gateway's access lines): DEBUG and INFO lines are collected and
 * written together, `flush_ms` after the first of a batch (by a thread of this module)
 * or at once past 32 KiB; a WARN or ERROR line is written at once, after the collected
 * ones (order kept). dm_log_buffer_stop (also run at exit) writes what is left and
 * returns to one write per line; dm_log_flush writes what is collected now.
 * A crash (not exit) loses at most flush_ms worth of lines. DM_OK, DM_E_INVAL
 * (flush_ms <= 0) or DM_E_NOMEM (no thread). */
int dm_log_buffer(int flush_ms);
void dm_log_buffer_stop(void);
void dm_log_flush(void);
/* "debug"/"info"/"warn"/"error" -> level; DM_E_INVAL for anything else. */
int dm_log_level_parse(const char *s, enum dm_log_level *out);
enum dm_log_level dm_log_level_get(void);

/* printf-style message. */
void dm_logf(enum dm_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* message plus string key/value pairs, terminated by NULL:
 *   dm_log_kv(DM_LOG_INFO, "task started", "task", name, "worker", addr, NULL);
 * A NULL value is written as null. */
void dm_log_kv(enum dm_log_level lvl, const char *msg, ...);
/* same, with a pre-rendered JSON fragment of extra members (`"k":v,...` without
 * braces; may be NULL) - for numbers and nested values. */
void dm_log_raw(enum dm_log_level lvl, const char *msg, const char *json_members);

#define DM_DEBUG(...) dm_logf(DM_LOG_DEBUG, __VA_ARGS__)
#define DM_INFO(...) dm_logf(DM_LOG_INFO, __VA_ARGS__)
#define DM_WARN(...) dm_logf(DM_LOG_WARN, __VA_ARGS__)
#define DM_ERROR(...) dm_logf(DM_LOG_ERROR, __VA_ARGS__)

#endif /* DM_LOG_H */

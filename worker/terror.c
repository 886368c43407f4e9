/* terror.c - DM-style error strings (see terror.h). */
#include "terror.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const class_names[] = {
    "not-set", "database", "functional", "config", "binlog-op", "checkpoint", "task-check",
    "relay-event-lib", "relay-unit", "dump-unit", "load-unit", "sync-unit", "dm-master",
    "dm-worker", "dm-tracer"
};
static const char *const scope_names[] = { "not-set", "upstream", "downstream", "internal" };
static const char *const level_names[] = { "not-set", "low", "medium", "high" };

bool worker_terr_access_denied(unsigned int n)
{
    return n == 1044 || n == 1045 || n == 1130 || n == 1142 || n == 1143 || n == 1227 ||
           n == 1251 || n == 1698;
}

const char *worker_terr_access_hint(unsigned int n, bool upstream)
{
    if (n == 1227 && upstream)
        return " (the source user of dm-worker's [from] needs the REPLICATION SLAVE and "
               "REPLICATION CLIENT/BINLOG MONITOR privileges)";
    if (n == 1227 || n == 1142 || n == 1143 || n == 1044)
        return " (grant the target user the privileges the task needs)";
    if (worker_terr_access_denied(n))
        return upstream ? " (check user/password in dm-worker's [from])"
                        : " (check user/password in the task's target-database)";
    return "";
}

const char *worker_terr_class_name(enum worker_terr_class c)
{
    if ((int)c < 0 || (size_t)c >= sizeof class_names / sizeof class_names[0])
        return "not-set";
    return class_names[c];
}

const char *worker_terr_scope_name(enum worker_terr_scope s)
{
    if ((int)s < 0 || (size_t)s >= sizeof scope_names / sizeof scope_names[0])
        return "not-set";
    return scope_names[s];
}

const char *worker_terr_level_name(enum worker_terr_level l)
{
    if ((int)l < 0 || (size_t)l >= sizeof level_names / sizeof level_names[0])
        return "not-set";
    return level_names[l];
}

void worker_terr_set(struct worker_terr *e, int code, enum worker_terr_class cls,
                     enum worker_terr_scope scope, enum worker_terr_level level,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    worker_terr_vset(e, code, cls, scope, level, fmt, ap);
    va_end(ap);
}

void worker_terr_vset(struct worker_terr *e, int code, enum worker_terr_class cls,
                      enum worker_terr_scope scope, enum worker_terr_level level,
                      const char *fmt, va_list ap)
{
    char msg[sizeof e->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);    /* fmt's arguments may point into e->msg */
    e->code = code;
    e->cls = cls;
    e->scope = scope;
    e->level = level;
    e->transient = false;
    memcpy(e->msg, msg, sizeof msg);
}

void worker_terr_string(const struct worker_terr *e, char *out, size_t cap)
{
    snprintf(out, cap, "[code=%d:class=%s:scope=%s:level=%s] %s", e->code,
             worker_terr_class_name(e->cls), worker_terr_scope_name(e->scope),
             worker_terr_level_name(e->level), e->msg);
}

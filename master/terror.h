/* terror.h - DM v1.0 "terror" error strings, as dm-master puts them into `msg` fields:
 *   [code=38008:class=dm-master:scope=internal:level=high] grpc request error: ...
 * (DM's pkg/terror format without the Go stack trace). The codes, classes and message
 * templates we use are the MASTER_TE_* rows below (from DM v1.0.7 error_list.go).
 * Ownership: every function returns a malloc'd string (NULL only on out-of-memory).
 * Thread-safety: reentrant. */
#ifndef DM_MASTER_TERROR_H
#define DM_MASTER_TERROR_H

#include <stdarg.h>

struct master_terr {
    int code;
    const char *cls;     /* "dm-master", "config", "task-check" */
    const char *scope;   /* "internal", "upstream", "downstream" */
    const char *level;   /* "low", "medium", "high" */
};

/* A few rows of DM's table (codes are DM's numbers). */
extern const struct master_terr MASTER_TE_CONFIG_YAML;         /* 20003 */
extern const struct master_terr MASTER_TE_CONFIG_GENERIC;      /* class config, code set by caller */
extern const struct master_terr MASTER_TE_GRPC_REQUEST;        /* 38008 */
extern const struct master_terr MASTER_TE_NO_EMIT_TOKEN;       /* 38018 */

/* "[code=..:class=..:scope=..:level=..] <printf(fmt, ...)>" with the row's code/class/
 * scope/level; `cls` overrides the row's class when non-NULL (DM's WithClass). */
char *master_terr_fmt(const struct master_terr *te, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *master_terr_vfmt(const struct master_terr *te, const char *cls, const char *fmt,
                       va_list ap) __attribute__((format(printf, 3, 0)));
/* Same, from explicit code/class/level (scope "internal"). */
char *master_terr_code(int code, const char *cls, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Go grpc status text for a failed call: "rpc error: code = Unavailable desc = <d>". */
char *master_grpc_errtext(int status, const char *details);
/* The 38008 entry DM puts into a worker entry when the call itself failed. */
char *master_terr_grpc(int status, const char *details);

#endif /* DM_MASTER_TERROR_H */

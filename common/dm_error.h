/* dm_error.h - the project's one error table (X-macro): name, message, HTTP status,
 * gRPC status code. Every fallible function returns an `int` that is 0 (DM_OK) or a
 * negative DM_E_* value; outputs go through out-parameters. Constructors may return
 * NULL for out-of-memory only.
 * Thread-safety: everything here is pure/reentrant. */
#ifndef DM_ERROR_H
#define DM_ERROR_H

#include <stddef.h>

/* X(NAME, "message", http_status, grpc_status) */
#define DM_ERRNO_MAP(X)                                                             \
    X(OK,               "ok",                                200, 0)                \
    X(NOMEM,            "out of memory",                     500, 8)                \
    X(INVAL,            "invalid argument",                  400, 3)                \
    X(PARSE,            "malformed input",                   400, 3)                \
    X(TOO_LARGE,        "payload too large",                 413, 8)                \
    X(HDR_TOO_LARGE,    "request header fields too large",   431, 8)                \
    X(NOT_FOUND,        "not found",                         404, 5)                \
    X(METHOD,           "method not allowed",                405, 12)               \
    X(CONFLICT,         "conflict",                          409, 9)                \
    X(UNPROCESSABLE,    "unprocessable entity",              422, 3)                \
    X(UNAUTHENTICATED,  "missing or invalid credentials",    401, 16)               \
    X(FORBIDDEN,        "insufficient scope",                403, 7)                \
    X(RATE_LIMITED,     "rate limited",                      429, 8)                \
    X(UNAVAILABLE,      "upstream unavailable",              503, 14)               \
    X(TIMEOUT,          "deadline exceeded",                 504, 4)                \
    X(CANCELLED,        "cancelled",                         499, 1)                \
    X(NOT_SUPPORTED,    "not supported",                     501, 12)               \
    X(IO,               "input/output error",                500, 13)               \
    X(DB,               "database error",                    502, 13)               \
    X(STATE,            "invalid state for this operation",  409, 9)                \
    X(INTERNAL,         "internal error",                    500, 13)

enum dm_err {
#define DM_ERR_ENUM(name, msg, http, grpc) DM_E_##name##_IDX,
    DM_ERRNO_MAP(DM_ERR_ENUM)
#undef DM_ERR_ENUM
    DM_E__COUNT
};

/* Error values are the negated table index: DM_OK == 0, DM_E_NOMEM == -1, ... */
#define DM_OK 0
#define DM_ERR(name) (-(int)DM_E_##name##_IDX)
#define DM_E_NOMEM DM_ERR(NOMEM)
#define DM_E_INVAL DM_ERR(INVAL)
#define DM_E_PARSE DM_ERR(PARSE)
#define DM_E_TOO_LARGE DM_ERR(TOO_LARGE)
#define DM_E_HDR_TOO_LARGE DM_ERR(HDR_TOO_LARGE)
#define DM_E_NOT_FOUND DM_ERR(NOT_FOUND)
#define DM_E_METHOD DM_ERR(METHOD)
#define DM_E_CONFLICT DM_ERR(CONFLICT)
#define DM_E_UNPROCESSABLE DM_ERR(UNPROCESSABLE)
#define DM_E_UNAUTHENTICATED DM_ERR(UNAUTHENTICATED)
#define DM_E_FORBIDDEN DM_ERR(FORBIDDEN)
#define DM_E_RATE_LIMITED DM_ERR(RATE_LIMITED)
#define DM_E_UNAVAILABLE DM_ERR(UNAVAILABLE)
#define DM_E_TIMEOUT DM_ERR(TIMEOUT)
#define DM_E_CANCELLED DM_ERR(CANCELLED)
#define DM_E_NOT_SUPPORTED DM_ERR(NOT_SUPPORTED)
#define DM_E_IO DM_ERR(IO)
#define DM_E_DB DM_ERR(DB)
#define DM_E_STATE DM_ERR(STATE)
#define DM_E_INTERNAL DM_ERR(INTERNAL)

/* Name ("TOO_LARGE"), message, HTTP status and gRPC status of an error value.
 * Unknown values map to INTERNAL. Never NULL; strings are static. */
const char *dm_err_name(int err);
const char *dm_strerror(int err);
int dm_err_http_status(int err);
int dm_err_grpc_status(int err);
/* The error whose gRPC status is `grpc_status` (first match; OK -> DM_OK). */
int dm_err_from_grpc_status(int grpc_status);

/* Format a message into the caller's err[cap] (NULL or cap 0: nothing). Every module's
 * "why it failed" text goes through this one formatter. */
void dm_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* DM_ERROR_H */

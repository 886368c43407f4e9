/* dm_error.c - lookups over the DM_ERRNO_MAP table. */
#include "dm_error.h"

#include <stdarg.h>
#include <stdio.h>

struct err_row {
    const char *name;
    const char *msg;
    int http;
    int grpc;
};

static const struct err_row rows[] = {
#define DM_ERR_ROW(name, msg, http, grpc) {#name, msg, http, grpc},
    DM_ERRNO_MAP(DM_ERR_ROW)
#undef DM_ERR_ROW
};

static const struct err_row *row(int err)
{
    int idx = -err;
    if (idx < 0 || idx >= (int)DM_E__COUNT)
        idx = (int)DM_E_INTERNAL_IDX;
    return &rows[idx];
}

const char *dm_err_name(int err) { return row(err)->name; }
const char *dm_strerror(int err) { return row(err)->msg; }
int dm_err_http_status(int err) { return row(err)->http; }
int dm_err_grpc_status(int err) { return row(err)->grpc; }

int dm_err_from_grpc_status(int grpc_status)
{
    switch (grpc_status) {
    case 0: return DM_OK;
    case 1: return DM_E_CANCELLED;
    case 3: return DM_E_INVAL;
    case 4: return DM_E_TIMEOUT;
    case 5: return DM_E_NOT_FOUND;
    case 7: return DM_E_FORBIDDEN;
    case 8: return DM_E_RATE_LIMITED;
    case 9: return DM_E_STATE;
    case 12: return DM_E_NOT_SUPPORTED;
    case 14: return DM_E_UNAVAILABLE;
    case 16: return DM_E_UNAUTHENTICATED;
    default: return DM_E_INTERNAL;
    }
}

void dm_errf(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

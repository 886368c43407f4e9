/* terror.c - DM-style error strings (see terror.h). */
#include "terror.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

const struct master_terr MASTER_TE_CONFIG_YAML = {20003, "config", "internal", "medium"};
const struct master_terr MASTER_TE_CONFIG_GENERIC = {20000, "config", "internal", "medium"};
const struct master_terr MASTER_TE_GRPC_REQUEST = {38008, "dm-master", "internal", "high"};
const struct master_terr MASTER_TE_NO_EMIT_TOKEN = {38018, "dm-master", "internal", "high"};

char *master_terr_vfmt(const struct master_terr *te, const char *cls, const char *fmt,
                       va_list ap)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 24);
    if (dm_buf_printf(&b, "[code=%d:class=%s:scope=%s:level=%s] ", te->code,
                      cls ? cls : te->cls, te->scope, te->level) != 0 ||
        dm_buf_vprintf(&b, fmt, ap) != 0) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

char *master_terr_fmt(const struct master_terr *te, const char *cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = master_terr_vfmt(te, cls, fmt, ap);
    va_end(ap);
    return s;
}

char *master_terr_code(int code, const char *cls, const char *level, const char *fmt, ...)
{
    struct master_terr te = {code, cls, "internal", level};
    va_list ap;
    va_start(ap, fmt);
    char *s = master_terr_vfmt(&te, NULL, fmt, ap);
    va_end(ap);
    return s;
}

static const char *go_code_name(int status)
{
    static const char *const names[] = {
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
        "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
        "Unauthenticated"};
    if (status < 0 || status >= (int)(sizeof(names) / sizeof(names[0])))
        return "Unknown";
    return names[status];
}

char *master_grpc_errtext(int status, const char *details)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 24);
    if (dm_buf_printf(&b, "rpc error: code = %s desc = %s", go_code_name(status),
                      details ? details : "") != 0) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

char *master_terr_grpc(int status, const char *details)
{
    char *t = master_grpc_errtext(status, details);
    if (!t)
        return NULL;
    char *s = master_terr_fmt(&MASTER_TE_GRPC_REQUEST, NULL, "grpc request error: %s", t);
    free(t);
    return s;
}

/* dmctl_out.c - a pb.Master call and dmctl's printing of its outcome. */
#include "dmctl_out.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "pbjson.h"
#include "rpc.h"

#define OUT_MAX (256u << 20)

int dmctl_grpc_error_text(int status, const char *details, struct dm_buf *out)
{
    static const char *const names[] = {
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
        "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
        "Unauthenticated"};
    if (status >= 0 && (size_t)status < sizeof names / sizeof names[0])
        return dm_buf_printf(out, "rpc error: code = %s desc = %s", names[status],
                             details ? details : "");
    return dm_buf_printf(out, "rpc error: code = Code(%d) desc = %s", status,
                         details ? details : "");
}

static bool rpc_inited;

void dmctl_rpc_shutdown(void)
{
    if (rpc_inited)
        rpc_global_shutdown();
    rpc_inited = false;
}

static int ensure_channel(struct dmctl *c)
{
    bool inited = rpc_inited;
    if (!inited) {
        int rc = rpc_global_init();
        if (rc != DM_OK)
            return rc;
        rpc_inited = true;
    }
    if (!c->ch)
        c->ch = rpc_channel_new(c->master_addr);
    return c->ch ? DM_OK : DM_E_NOMEM;
}

int dmctl_call(struct dmctl *c, const char *method, const ProtobufCMessage *req,
               int64_t timeout_ms, ProtobufCMessage **resp, struct dm_buf *why)
{
    char details[1024] = "";
    int status = RPC_UNKNOWN;
    *resp = NULL;
    const struct rpc_method *m = rpc_method_find(&pb__master__descriptor, method);
    if (!m)
        return dmctl_grpc_error_text(RPC_UNIMPLEMENTED, method, why) == DM_OK ? DM_E_NOT_FOUND
                                                                          : DM_E_NOMEM;
    int rc = ensure_channel(c);
    if (rc == DM_OK)
        rc = rpc_call_sync(c->ch, m, req, timeout_ms, NULL, 0, &status, resp, details,
                           sizeof details);
    if (rc != DM_OK) {
        dm_buf_printf(why, "rpc error: code = Unavailable desc = %s", dm_strerror(rc));
        return rc;
    }
    if (status == RPC_OK && *resp)
        return DM_OK;
    if (*resp) {
        protobuf_c_message_free_unpacked(*resp, NULL);
        *resp = NULL;
    }
    dmctl_grpc_error_text(status, details, why);
    return dm_err_from_grpc_status(status) == DM_OK ? DM_E_INTERNAL
                                                    : dm_err_from_grpc_status(status);
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessage *m, const char *name,
                                                ProtobufCType type)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != type || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    return f;
}

bool dmctl_resp_result(const ProtobufCMessage *resp)
{
    const ProtobufCFieldDescriptor *f = field_of(resp, "result", PROTOBUF_C_TYPE_BOOL);
    if (!f)
        return false;
    return *(const protobuf_c_boolean *)((const char *)resp + f->offset) != 0;
}

static int print_json(struct dmctl *c, const char *s)
{
    fputs(s, c->out);
    fputc('\n', c->out);
    fflush(c->out);
    return DM_OK;
}

int dmctl_print_resp(struct dmctl *c, const ProtobufCMessage *resp)
{
    struct dm_buf b;
    dm_buf_init(&b, OUT_MAX);
    int rc = pbjson_encode(resp, PBJSON_DMCTL, &b);
    if (rc == DM_OK)
        print_json(c, b.data ? b.data : "");
    else
        fprintf(c->out, "marshal response: %s\n", dm_strerror(rc));
    dm_buf_free(&b);
    return rc == DM_OK && dmctl_resp_result(resp) ? 0 : 1;
}

/* Replace the first `from` in `s` with `to` into out. */
static int replace_first(const char *s, const char *from, const char *to, struct dm_buf *out)
{
    const char *p = strstr(s, from);
    if (!p)
        return dm_buf_adds(out, s);
    int rc = dm_buf_add(out, s, (size_t)(p - s));
    if (rc == DM_OK)
        rc = dm_buf_adds(out, to);
    return rc == DM_OK ? dm_buf_adds(out, p + strlen(from)) : rc;
}

int dmctl_print_check_resp(struct dmctl *c, ProtobufCMessage *resp)
{
    const ProtobufCFieldDescriptor *f = field_of(resp, "msg", PROTOBUF_C_TYPE_STRING);
    char **msgp = f ? (char **)(void *)((char *)resp + f->offset) : NULL;
    if (!msgp || !*msgp || !strstr(*msgp, DMCTL_CHECK_HEADER))
        return dmctl_print_resp(c, resp);

    static char placeholder[] = "PLACEHOLDER";
    char *raw = *msgp;
    struct dm_buf enc, sub, out;
    dm_buf_init(&enc, OUT_MAX);
    dm_buf_init(&sub, OUT_MAX);
    dm_buf_init(&out, OUT_MAX);
    *msgp = placeholder;
    int rc = pbjson_encode(resp, PBJSON_DMCTL, &enc);
    *msgp = raw;
    if (rc == DM_OK)
        rc = replace_first(enc.data, placeholder, raw, &sub);
    if (rc == DM_OK)
        rc = replace_first(sub.data, "detail: {", "   \tdetail: {", &out);
    if (rc == DM_OK)
        print_json(c, out.data);
    else
        fprintf(c->out, "marshal response: %s\n", dm_strerror(rc));
    dm_buf_free(&enc);
    dm_buf_free(&sub);
    dm_buf_free(&out);
    return rc == DM_OK && dmctl_resp_result(resp) ? 0 : 1;
}

int dmctl_read_file(struct dmctl *c, const char *path, char **content)
{
    struct dm_buf b;
    char chunk[8192];
    int rc = DM_OK;
    const char *nul = NULL;
    dm_buf_init(&b, 64u << 20);
    *content = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = DM_E_IO;
        goto out;
    }
    for (size_t n; rc == DM_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
        rc = dm_buf_add(&b, chunk, n);
    if (rc == DM_OK && ferror(f))
        rc = DM_E_IO;
    /* The file goes out as a proto string, which protobuf-c ends at a NUL byte: the rest
     * would be cut silently (DM's master refuses such YAML: control characters). */
    if (rc == DM_OK && b.len)
        nul = memchr(b.data, '\0', b.len);
    if (nul)
        rc = DM_E_PARSE;
    if (rc == DM_OK)
        *content = dm_buf_take(&b);
    if (rc == DM_OK && !*content)
        rc = DM_E_NOMEM;
out:
    if (rc != DM_OK) {
        char reason[256];
        if (nul)
            snprintf(reason, sizeof reason, "a NUL byte at offset %zu (a task or config file is text)",
                     (size_t)(nul - b.data));
        else
            snprintf(reason, sizeof reason, "%s", rc == DM_E_IO ? strerror(errno) : dm_strerror(rc));
        reason[0] = (char)tolower((unsigned char)reason[0]); /* Go's errno text is lower-case */
        fprintf(c->out, "get file content error:\nopen %s: %s\n", path, reason);
        fflush(c->out);
    }
    if (f)
        fclose(f);
    dm_buf_free(&b);
    return rc;
}

int dmctl_print_call_error(struct dmctl *c, const char *prefix, const struct dm_buf *why)
{
    fprintf(c->out, "%s\n%s\n", prefix, why->data ? why->data : "");
    fflush(c->out);
    return 1;
}

/* Run a call and print: the response (check-task style when `check`) or
 * "<prefix>\n<error>". Takes `req` borrowed. Returns the exit status. */
int dmctl_call_print(struct dmctl *c, const char *method, const ProtobufCMessage *req,
                          int64_t timeout_ms, bool check, const char *prefix)
{
    ProtobufCMessage *resp = NULL;
    struct dm_buf why;
    dm_buf_init(&why, 1 << 16);
    int status;
    if (dmctl_call(c, method, req, timeout_ms, &resp, &why) != DM_OK)
        status = dmctl_print_call_error(c, prefix, &why);
    else
        status = check ? dmctl_print_check_resp(c, resp) : dmctl_print_resp(c, resp);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    dm_buf_free(&why);
    return status;
}

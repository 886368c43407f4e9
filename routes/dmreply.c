/* dmreply.c - see dmreply.h */
#include "dmreply.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dmjson.h"

struct code_map {
    int lo, hi;      /* inclusive DM code range */
    int http;
};

/* rest-api.md "DM error code -> HTTP status", plus the worker stage codes. */
static const struct code_map CODE_MAP[] = {
    {40054, 40054, 404}, {40055, 40055, 409}, {40050, 40052, 409}, {40039, 40039, 409},
    {38019, 38019, 404}, {38021, 38021, 404}, {38022, 38022, 409}, {38020, 38020, 409},
    {38026, 38026, 409}, {38018, 38018, 429}, {38033, 38033, 504}, {40061, 40061, 404},
    {20000, 20999, 422},
    /* task config patterns/rules the master refuses (issue 12): checker generate BWL /
     * router / column mapping, binlog event filter */
    {26003, 26004, 422}, {26006, 26006, 422}, {36030, 36030, 422},
    /* relay control (update-relay / migrate-relay): relay or subtask stage 409, a worker
     * config or relay binlog file name the worker refuses (migrate-relay, purge-relay) 422 */
    {40053, 40053, 409}, {40057, 40058, 409}, {40059, 40059, 422}, {40003, 40003, 422},
    {30004, 30004, 422},
    /* a master config (PUT /api/v1/master/config) DM cannot parse or verify: deploy map,
     * flags, unknown item, TOML, timeout (38015, writing the file, stays 500) */
    {38009, 38014, 422},
};

struct text_map {
    const char *needle;
    int http;
};

/* Messages DM v1.0 emits without a code. */
static const struct text_map TEXT_MAP[] = {
    {"has no workers or not exist", 404},
    {"relevant worker-client not found", 404},
    {"relevant worker not found", 404},
    {"worker not found in task's config", 404},
    {"not match, can try `refresh-worker-tasks`", 409},
    {"yaml: ", 422},
    {"fail to check synchronization configuration", 422},
    {"must specify", 422},
    /* a worker call that failed in transport, as the master wraps it in 38008 "grpc request
     * error: rpc error: code = <Code> desc = ..." (docs/master.md): the worker is down or
     * slow, not the gateway broken (gwattack4: every worker down was a 500) */
    {"rpc error: code = Unavailable", 503},
    {"rpc error: code = DeadlineExceeded", 504},
};

/* DM codes that only wrap another error ("operation ... not success", "grpc request
 * error"): never the reason, the code nested inside them is. */
static bool is_wrapper(int code)
{
    return code == 38032 || code == 38008;
}

static int status_for_code(int code)
{
    for (size_t i = 0; i < sizeof(CODE_MAP) / sizeof(CODE_MAP[0]); i++) {
        if (code >= CODE_MAP[i].lo && code <= CODE_MAP[i].hi)
            return CODE_MAP[i].http;
    }
    return 0;
}

#define MAX_CODES 16

/* Every "[code=N:" in msg, outermost first. */
static size_t codes_of(const char *msg, int *codes)
{
    size_t n = 0;
    for (const char *p = msg ? strstr(msg, "[code=") : NULL; p && n < MAX_CODES;
         p = strstr(p + 6, "[code=")) {
        int c = dmjson_error_code(p);
        if (c)
            codes[n++] = c;
    }
    return n;
}

int dmreply_status_for_msg(const char *msg, int *dm_code)
{
    int codes[MAX_CODES];
    size_t n = codes_of(msg, codes);
    *dm_code = 0;
    /* innermost non-wrapper code names the reason (and goes to X-DM-Error-Code) */
    for (size_t i = n; i-- > 0 && !*dm_code;) {
        if (!is_wrapper(codes[i]))
            *dm_code = codes[i];
    }
    if (!*dm_code && n)
        *dm_code = codes[n - 1];
    for (size_t i = n; i-- > 0;) {
        int st = status_for_code(codes[i]);
        if (st)
            return st;
    }
    for (size_t i = 0; msg && i < sizeof(TEXT_MAP) / sizeof(TEXT_MAP[0]); i++) {
        if (strstr(msg, TEXT_MAP[i].needle))
            return TEXT_MAP[i].http;
    }
    return 500;
}

static const ProtobufCFieldDescriptor *field(const ProtobufCMessage *m, const char *name)
{
    return protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
}

static const void *member(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (const char *)m + f->offset;
}

/* -1 when the message has no bool "result" (nor meta.result). */
static int result_of(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f = field(m, "result");
    if (f && f->type == PROTOBUF_C_TYPE_BOOL && f->label != PROTOBUF_C_LABEL_REPEATED)
        return *(const protobuf_c_boolean *)member(m, f) ? 1 : 0;
    f = field(m, "meta");
    if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
        const ProtobufCMessage *meta = *(ProtobufCMessage *const *)member(m, f);
        return meta ? result_of(meta) : 0;
    }
    return -1;
}

static const char *msg_of(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f = field(m, "msg");
    if (f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED) {
        const char *s = *(const char *const *)member(m, f);
        if (s && *s)
            return s;
    }
    f = field(m, "meta");
    if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
        const ProtobufCMessage *meta = *(ProtobufCMessage *const *)member(m, f);
        return meta ? msg_of(meta) : "";
    }
    return "";
}

const char *dmreply_msg(const ProtobufCMessage *resp)
{
    return msg_of(resp);
}

int dmreply_status(const ProtobufCMessage *resp, int ok_status, int *dm_code)
{
    *dm_code = 0;
    if (result_of(resp) == 0)
        return dmreply_status_for_msg(msg_of(resp), dm_code);
    const ProtobufCFieldDescriptor *f = field(resp, "workers");
    if (!f || f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return ok_status;
    size_t n = *(const size_t *)((const char *)resp + f->quantifier_offset);
    ProtobufCMessage *const *w = *(ProtobufCMessage *const *const *)member(resp, f);
    size_t failed = 0;
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (result_of(w[i]) != 0)
            continue;
        failed++;
        /* every worker failed: the first failure with a known cause decides */
        int code = 0, st = dmreply_status_for_msg(msg_of(w[i]), &code);
        if (!status || (status == 500 && st != 500)) {
            status = st;
            *dm_code = code;
        }
    }
    if (failed == 0)
        return ok_status;
    if (failed < n) {
        *dm_code = 0;
        return 207;
    }
    return status;
}

static void strip_one(char *s)
{
    if (!s || !strchr(s, '\n'))
        return;
    char *cut = dmjson_strip_stack(s);
    if (!cut)
        return;
    size_t n = strlen(cut);
    if (n <= strlen(s))
        memcpy(s, cut, n + 1);
    free(cut);
}

static void strip_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    char *base = (char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            return;
        size_t n = *(size_t *)((char *)m + f->quantifier_offset);
        ProtobufCMessage **arr = *(ProtobufCMessage ***)base;
        for (size_t i = 0; i < n; i++)
            dmreply_strip_stacks(arr[i]);
        return;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(uint32_t *)((char *)m + f->quantifier_offset);
        if (which != f->id)
            return;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *sub = *(ProtobufCMessage **)base;
        if (sub)
            dmreply_strip_stacks(sub);
    } else if (f->type == PROTOBUF_C_TYPE_STRING && strcmp(f->name, "msg") == 0) {
        strip_one(*(char **)base);
    }
}

void dmreply_strip_stacks(ProtobufCMessage *resp)
{
    if (!resp)
        return;
    const ProtobufCMessageDescriptor *d = resp->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        strip_field(resp, &d->fields[i]);
}

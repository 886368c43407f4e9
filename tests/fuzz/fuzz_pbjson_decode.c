/* fuzz_pbjson_decode.c - rpc/pbjson_decode.c on arbitrary bytes.
 * Input: byte 0 selects the message type (mod the table size), the rest is the JSON.
 * Checks: a failed decode leaves *out NULL and says why; a successful one re-encodes
 * in every style to JSON that decodes again to the same protobuf bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCMessageDescriptor *const types[] = {
    &pb__operate_task_request__descriptor,       /* '0' */
    &pb__start_task_request__descriptor,         /* '1' */
    &pb__query_status_list_response__descriptor, /* '2' */
    &pb__handle_sqls_request__descriptor,        /* '3' */
    &pb__unlock_ddllock_request__descriptor,     /* '4' */
    &pb__purge_worker_relay_request__descriptor, /* '5' */
    &pb__operate_task_response__descriptor,      /* '6' */
    &pb__query_error_list_response__descriptor,  /* '7' */
};

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    if (!b || protobuf_c_message_pack(m, b) != *len)
        abort();
    return b;
}

static void check_reencode(const ProtobufCMessage *m, enum pbjson_style style)
{
    char *json = pbjson_encode_str(m, style);
    if (!json)
        abort();
    ProtobufCMessage *back = NULL;
    if (pbjson_decode(m->descriptor, json, strlen(json), &back, NULL, 0) != DM_OK)
        abort();
    size_t la, lb;
    uint8_t *a = pack(m, &la), *b = pack(back, &lb);
    if (la != lb || memcmp(a, b, la) != 0)
        abort();
    free(a);
    free(b);
    protobuf_c_message_free_unpacked(back, NULL);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *d = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    ProtobufCMessage *m = NULL;
    char err[256];
    int rc = pbjson_decode(d, (const char *)data + 1, size - 1, &m, err, sizeof(err));
    if (rc != DM_OK) {
        if (m != NULL || err[0] == '\0')
            abort();
        return 0;
    }
    for (int style = PBJSON_DMCTL; style <= PBJSON_GATEWAY; style++)
        check_reencode(m, (enum pbjson_style)style);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

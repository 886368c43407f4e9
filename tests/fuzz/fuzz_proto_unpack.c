/* fuzz_proto_unpack.c - bytes off the wire through rpc/codec unpack, for the messages
 * our servers receive (pb.Master requests, pb.Worker requests, FetchDDLInfo stream
 * messages) and the worker responses the master decodes. The first byte picks the
 * descriptor; an unpacked message must re-pack (its re-unpack is exercised but not
 * required to succeed: protobuf-c keeps an overlong-encoded field-0 tag as an unknown
 * field, then rejects the canonical re-encoding of it). */
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"

static const ProtobufCMessageDescriptor *const descs[] = {
    &pb__start_task_request__descriptor,
    &pb__operate_task_request__descriptor,
    &pb__query_status_list_request__descriptor,
    &pb__query_status_list_response__descriptor,
    &pb__unlock_ddllock_request__descriptor,
    &pb__start_sub_task_request__descriptor,
    &pb__query_status_response__descriptor,
    &pb__operate_sub_task_response__descriptor,
    &pb__common_worker_response__descriptor,
    &pb__ddlinfo__descriptor,
    &pb__ddllock_info__descriptor,
    &pb__exec_ddlrequest__descriptor,
    &pb__handle_sub_task_sqls_request__descriptor,
    &pb__query_error_response__descriptor,
    &pb__query_worker_config_response__descriptor,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *d = descs[data[0] % (sizeof(descs) / sizeof(descs[0]))];
    ProtobufCMessage *m = NULL;
    grpc_byte_buffer *bb = codec_raw(data + 1, size - 1);
    if (codec_unpack(bb, d, &m) == DM_OK) {
        grpc_byte_buffer *again = NULL;
        if (codec_pack(m, &again) != DM_OK)
            abort();
        ProtobufCMessage *m2 = NULL;
        if (codec_unpack(again, d, &m2) == DM_OK)
            protobuf_c_message_free_unpacked(m2, NULL);
        grpc_byte_buffer_destroy(again);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    grpc_byte_buffer_destroy(bb);
    return 0;
}

/* codec.c - protobuf-c <-> grpc_byte_buffer (see codec.h). */
#include "codec.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "dm_error.h"

int codec_pack(const ProtobufCMessage *msg, grpc_byte_buffer **out)
{
    if (!msg || !out)
        return DM_E_INVAL;
    *out = NULL;
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len > CODEC_MAX_MSG)
        return DM_E_TOO_LARGE;
    grpc_slice s = len ? grpc_slice_malloc(len) : grpc_empty_slice();
    if (len) {
        size_t n = protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
        if (n != len) {
            grpc_slice_unref(s);
            return DM_E_INTERNAL;
        }
    }
    *out = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);   /* the buffer holds its own ref */
    return *out ? DM_OK : DM_E_NOMEM;
}

int codec_unpack_mem(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d,
                     ProtobufCMessage **out)
{
    if (!d || !out || (!data && len))
        return DM_E_INVAL;
    *out = NULL;
    if (len > CODEC_MAX_MSG)
        return DM_E_TOO_LARGE;
    /* protobuf-c never reads `data` when len == 0, but give it a valid pointer anyway */
    static const uint8_t empty[1];
    *out = protobuf_c_message_unpack(d, NULL, len, data ? data : empty);
    return *out ? DM_OK : DM_E_PARSE;
}

int codec_flatten(grpc_byte_buffer *bb, grpc_slice *out)
{
    if (!bb || !out)
        return DM_E_INVAL;
    if (grpc_byte_buffer_length(bb) > CODEC_MAX_MSG)
        return DM_E_TOO_LARGE;
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))   /* e.g. undecompressable payload */
        return DM_E_PARSE;
    *out = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    return DM_OK;
}

int codec_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d,
                 ProtobufCMessage **out)
{
    if (!bb || !d || !out)
        return DM_E_INVAL;
    *out = NULL;
    grpc_slice all;
    int rc = codec_flatten(bb, &all);
    if (rc != DM_OK)
        return rc;
    rc = codec_unpack_mem(GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all), d, out);
    grpc_slice_unref(all);
    return rc;
}

grpc_byte_buffer *codec_raw(const void *data, size_t len)
{
    grpc_slice s = len ? grpc_slice_from_copied_buffer(data, len) : grpc_empty_slice();
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

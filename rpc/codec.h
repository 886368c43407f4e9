/* codec.h - protobuf-c <-> grpc_byte_buffer (internal to rpc/ and its tests/fuzzers).
 * The only code that touches both grpc_byte_buffer and protobuf-c. A message that
 * does not unpack is DM_E_PARSE (the server maps it to INVALID_ARGUMENT), never a crash.
 * Messages are bounded by CODEC_MAX_MSG (64 MiB, same as the channel/server limit).
 * Thread-safety: reentrant. */
#ifndef DM_RPC_CODEC_H
#define DM_RPC_CODEC_H

#include <grpc/byte_buffer.h>
#include <grpc/slice.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#define CODEC_MAX_MSG (64u * 1024u * 1024u)

/* Pack `msg` (borrowed) into a new byte buffer (*out, owned: grpc_byte_buffer_destroy).
 * DM_OK, DM_E_INVAL (NULL msg), DM_E_TOO_LARGE (> CODEC_MAX_MSG), DM_E_NOMEM. */
int codec_pack(const ProtobufCMessage *msg, grpc_byte_buffer **out);

/* Unpack `bb` (borrowed; any number of slices, compressed or not) as message type `d`.
 * *out is owned (protobuf_c_message_free_unpacked(*out, NULL)).
 * DM_OK, DM_E_INVAL (NULL args), DM_E_TOO_LARGE, DM_E_PARSE (not a valid message). */
int codec_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d,
                 ProtobufCMessage **out);

/* The bytes of `bb` (borrowed) as one slice (*out, owned: grpc_slice_unref), for decoding
 * later on another thread. DM_OK, DM_E_INVAL, DM_E_TOO_LARGE, DM_E_PARSE (unreadable,
 * e.g. an undecompressable payload). */
int codec_flatten(grpc_byte_buffer *bb, grpc_slice *out);

/* Same from plain memory (what codec_unpack does after flattening); used by the fuzzer. */
int codec_unpack_mem(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d,
                     ProtobufCMessage **out);

/* A byte buffer holding a copy of `len` raw bytes (for tests sending garbage).
 * NULL on out-of-memory. */
grpc_byte_buffer *codec_raw(const void *data, size_t len);

#endif /* DM_RPC_CODEC_H */

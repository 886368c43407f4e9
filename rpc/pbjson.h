/* pbjson.h - descriptor-driven proto3 JSON over protobuf-c (no per-message code).
 *
 * Encoder styles:
 *  PBJSON_DMCTL   golang/protobuf v1.3 jsonpb {EmitDefaults:true, Indent:"    "} exactly
 *                 as dmctl prints (dm-v1-wire.md §4): proto field names as keys, field
 *                 order, defaults emitted, int64/uint64 quoted, enums by name (unknown
 *                 numbers as bare numbers), unset sub-message null, unset oneof omitted,
 *                 bytes base64 (empty bytes ""; absent -> null as jsonpb does for nil),
 *                 repeated as arrays (empty: "[" newline indent "]"), no trailing newline.
 *  PBJSON_COMPACT same content, no whitespace (the gateway's default body).
 *  PBJSON_GATEWAY DM v1.0 grpc-gateway style: compact, zero values omitted
 *                 (JSONPb{OrigName:true}, EmitDefaults false).
 * Decoder: proto field names, enums by name or number, int64 as string or number,
 * bytes base64; rejects unknown fields, wrong types, out-of-range numbers, invalid
 * UTF-8 and duplicate keys with a message naming the field path
 * (e.g. "workers[2]: expected string").
 * Thread-safety: reentrant. */
#ifndef DM_PBJSON_H
#define DM_PBJSON_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "buf.h"

enum pbjson_style { PBJSON_DMCTL = 0, PBJSON_COMPACT, PBJSON_GATEWAY };

/* Append the JSON of `msg` to `out`. DM_OK, DM_E_TOO_LARGE, DM_E_NOMEM. */
int pbjson_encode(const ProtobufCMessage *msg, enum pbjson_style style, struct dm_buf *out);
/* Convenience: malloc'd NUL-terminated JSON, NULL on out-of-memory. */
char *pbjson_encode_str(const ProtobufCMessage *msg, enum pbjson_style style);

/* Parse `json` (len bytes) into a new message of type `desc`. On success *out is owned
 * (free with protobuf_c_message_free_unpacked(*out, NULL)) and DM_OK is returned.
 * On failure DM_E_PARSE (syntax) or DM_E_INVAL (schema), *out = NULL, and `err`
 * (cap bytes, may be NULL) gets "path: reason". */
int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                  ProtobufCMessage **out, char *err, size_t cap);

#endif /* DM_PBJSON_H */

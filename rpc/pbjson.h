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
 *                 Empty arrays/objects print as [] / {}.
 *  PBJSON_GATEWAY DM v1.0 grpc-gateway style: compact, zero values omitted
 *                 (JSONPb{OrigName:true}, EmitDefaults false): false/0/""/zero enum,
 *                 empty repeated and unset sub-messages/bytes vanish; a set oneof
 *                 member is always printed (even "").
 * Common to all styles: key order = field-number order (protoc-c sorts fields by
 * number; in the DM protos that is the declaration order), a oneof is printed at the
 * position of its first member; strings escaped like Go encoding/json (", \, \n \r
 * \t, other controls and < > & as \u00XX, U+2028/9, invalid UTF-8 -> \ufffd);
 * float/double like Go (shortest round-trip, exponent form below 1e-6 / from 1e21,
 * NaN/Infinity as quoted strings); a NULL string pointer prints as "".
 * On error the bytes appended so far are removed again (out->len restored).
 *
 * Decoder: proto field names (and lowerCamel JSON names), enums by name or number
 * (unknown numbers kept: proto3 enums are open), every integer/float as number or
 * string ("12"), bool only true/false, bytes std base64 with padding, null for a
 * field = default (unset). Rejects unknown fields, wrong types, non-integral or
 * out-of-range numbers, invalid UTF-8 (raw or in \u escapes, lone surrogates), NUL
 * in strings, duplicate keys, two members of one oneof, message nesting deeper than
 * PBJSON_MAX_DEPTH and anything after the value; the message names the field path:
 * "workers[2]: expected string", "meta.foo: unknown field", "(root): ..."
 * (paths over 120 characters are shown as "..." + their tail); syntax errors say
 * "<path>: syntax error at offset N: ..." (N = byte offset into `json`).
 * Implementation: encoder rpc/pbjson.c, decoder rpc/pbjson_decode.c (own strict
 * parser, see its header comment for why not jansson).
 * Thread-safety: reentrant. */
#ifndef DM_PBJSON_H
#define DM_PBJSON_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pbjson_style { PBJSON_DMCTL = 0, PBJSON_COMPACT, PBJSON_GATEWAY };

/* Maximum message nesting accepted by pbjson_decode (DM's deepest is 6). */
#define PBJSON_MAX_DEPTH 32

/* Append the JSON of `msg` to `out`. DM_OK, DM_E_TOO_LARGE, DM_E_NOMEM. */
int pbjson_encode(const ProtobufCMessage *msg, enum pbjson_style style, struct dm_buf *out);
/* Convenience: malloc'd NUL-terminated JSON, NULL on out-of-memory. */
char *pbjson_encode_str(const ProtobufCMessage *msg, enum pbjson_style style);

/* Parse `json` (len bytes) into a new message of type `desc`. On success *out is owned
 * (free with protobuf_c_message_free_unpacked(*out, NULL)) and DM_OK is returned.
 * On failure DM_E_PARSE (syntax, invalid UTF-8), DM_E_INVAL (schema: types, ranges,
 * unknown/duplicate fields, depth) or DM_E_NOMEM, *out = NULL, and `err` (cap bytes,
 * may be NULL; always NUL-terminated, truncated to fit) gets "path: reason".
 * `json` need not be NUL-terminated. */
int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                  ProtobufCMessage **out, char *err, size_t cap);

/* Append `s` (n bytes) as a JSON string exactly like Go encoding/json.Marshal
 * (HTML-safe escapes, invalid UTF-8 -> \ufffd). DM_OK, DM_E_TOO_LARGE, DM_E_NOMEM. */
int pbjson_add_go_str(struct dm_buf *out, const char *s, size_t n);

#endif /* DM_PBJSON_H */

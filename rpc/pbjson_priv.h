/* pbjson_priv.h - helpers shared by pbjson.c (encoder) and pbjson_decode.c only.
 * Not part of the public contract. Thread-safety: pure functions. */
#ifndef DM_PBJSON_PRIV_H
#define DM_PBJSON_PRIV_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* Size of one element of a protobuf-c field of type t (as stored in the struct or
 * in a repeated array); 0 for an unknown type. */
size_t pbjson_elem_size(ProtobufCType t);

#endif /* DM_PBJSON_PRIV_H */

/* h2_hpack.h - HPACK (RFC 7541) for the lean gRPC client (h2_conn.h).
 *
 * Decoder: complete - static table, dynamic table with size updates and eviction,
 * Huffman strings, all four field representations. grpc-go and gRPC core servers index
 * and Huffman-code their response headers, so nothing less would do.
 * Encoder: literal fields without indexing (never touches the peer's dynamic table),
 * names from the static table where it has them, no Huffman.
 *
 * Ownership: struct hpack_dec is embedded in its owner (hpack_dec_init/hpack_dec_free).
 * Not thread-safe: one connection's reader at a time. */
#ifndef DM_H2_HPACK_H
#define DM_H2_HPACK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct hpack_entry {
    char *name;          /* one allocation: name NUL value NUL */
    char *value;
    uint32_t nlen, vlen;
};

struct hpack_dec {
    struct hpack_entry *ring;   /* cap entries, power of two */
    uint32_t cap, count, newest;
    size_t size;                /* RFC 7541 4.1: sum of nlen + vlen + 32 */
    size_t max_size;            /* current limit (size updates) */
    size_t settings_max;        /* SETTINGS_HEADER_TABLE_SIZE we advertised (4096) */
    struct dm_buf name, value;  /* scratch for the field being decoded */
};

/* Called per decoded field; a non-zero return stops decoding and is returned. Strings
 * are NUL-terminated scratch copies, valid during the call. */
typedef int (*hpack_field_fn)(void *arg, const char *name, size_t nlen, const char *value,
                              size_t vlen);

void hpack_dec_init(struct hpack_dec *d, size_t settings_max);
void hpack_dec_free(struct hpack_dec *d);
/* Decode one complete header block. 0, a non-zero return of fn, or -1 on a
 * compression error (the connection must then be closed: the table is out of step). */
int hpack_decode(struct hpack_dec *d, const uint8_t *p, size_t n, hpack_field_fn fn, void *arg);

/* Huffman-decode src into out (appended). 0 or -1 (bad code, EOS, bad padding). */
int hpack_huff_decode(const uint8_t *src, size_t n, struct dm_buf *out);

/* ---- encoder ---- */
/* Integer with an N-bit prefix; `first` holds the representation's high bits. */
int hpack_put_int(struct dm_buf *b, uint8_t first, int prefix_bits, uint64_t v);
/* Literal field without indexing: static-table name index `name_idx` (1..61) or, when
 * 0, the literal `name`; plain (non-Huffman) strings. */
int hpack_put_literal(struct dm_buf *b, unsigned name_idx, const char *name, size_t nlen,
                      const char *value, size_t vlen);

#endif /* DM_H2_HPACK_H */

/* bl_compress.h - MariaDB compressed binlog payloads (log_bin_compress): the statement of a
 * QUERY_COMPRESSED event and the row images of WRITE/UPDATE/DELETE_ROWS_COMPRESSED v1
 * events, as MariaDB's binlog_buf_compress writes them: one byte 0x80 | n (n = 1..4), the
 * uncompressed length in n big-endian bytes, then a zlib stream. The source reader gets
 * them inflated by the connector (MARIADB_RPL_UNCOMPRESS); the relay (feed) reader inflates
 * them here so both yield the same events. Internal to worker/binlog. Thread-safe. */
#ifndef DM_WORKER_BL_COMPRESS_H
#define DM_WORKER_BL_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Inflate src into a malloc'd *out (NUL-terminated, not counted in *out_len). DM_OK,
 * DM_E_PARSE (bad header, zlib error, length mismatch, more than 1 GiB: err says which)
 * or DM_E_NOMEM. */
int bl_inflate(const uint8_t *src, size_t len, uint8_t **out, size_t *out_len, char *err,
               size_t cap);

/* Inflate the zlib stream of a compressed column's value (MariaDB field_comp.cc
 * uncompress_zlib; the header byte and length are the caller's, rowdec.c) into dst, which
 * must receive exactly want bytes: raw deflate when raw (header bit 0x08,
 * column_compression_zlib_wrap=OFF), else a zlib-wrapped stream. DM_OK or DM_E_PARSE (err
 * says why). */
int bl_inflate_column(const uint8_t *src, size_t len, bool raw, uint8_t *dst, size_t want,
                      char *err, size_t cap);

#endif /* DM_WORKER_BL_COMPRESS_H */

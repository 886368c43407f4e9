/* rowdec.h - decoder for TABLE_MAP events and row images (WRITE/UPDATE/DELETE_ROWS v1 and
 * v2). OWNER: worker-binlog.
 *
 * Pure code: no I/O, no libmariadb, no allocation except the ones documented here. It
 * depends only on binlog.h (the value/table/event structs) and dm_error.h, so the fuzz
 * harness can compile it on its own (tests/fuzz/fuzz_rowdec.c includes rowdec.c).
 *
 * Inputs are event *bodies*: the bytes after the 19-byte common header and before the
 * CRC32 trailer. `tid_len` is the table-id width from the FORMAT_DESCRIPTION post-header
 * lengths (6 for every server since 5.1; 4 when the post-header length is 6).
 *
 * Value rendering (see binlog.h enum bl_kind):
 *  - integers fill BOTH i (sign-extended) and u (zero-extended to the column width);
 *    kind is BL_UINT only when the TABLE_MAP carried SIGNEDNESS metadata saying unsigned
 *    (MariaDB sends it with binlog_row_metadata=MINIMAL|FULL; the default NO_LOG does not),
 *    otherwise BL_INT and the consumer picks u when the target column is unsigned.
 *  - DECIMAL/temporal text lives in the scratch text arena; strings/blobs point into the
 *    event body: both valid until the scratch or the body is reused.
 *  - CHAR/VARCHAR -> BL_STRING, BLOB/TEXT/JSON/GEOMETRY -> BL_BINARY unless COLUMN_CHARSET /
 *    DEFAULT_CHARSET metadata is present (then charset 63 "binary" -> BL_BINARY, else
 *    BL_STRING). MariaDB JSON is LONGTEXT on the wire: indistinguishable from TEXT.
 *  - TIMESTAMP is rendered in UTC; a zero TIMESTAMP is "0000-00-00 00:00:00[.ffffff]".
 * Table-map meta words follow mysqlbinlog's convention: STRING/ENUM/SET/NEWDECIMAL are
 * (byte0 << 8 | byte1), VARCHAR and BIT are little-endian 16-bit, 1-byte metas as is.
 * Thread-safety: functions are reentrant; a scratch is used by one thread. */
#ifndef DM_WORKER_ROWDEC_H
#define DM_WORKER_ROWDEC_H

#include <stddef.h>
#include <stdint.h>

#include "binlog.h"

/* Reusable working memory of one decoder user. Zero-initialise; free with
 * rowdec_scratch_free. Arrays only grow. */
struct rowdec_scratch {
    struct bl_row *rows;
    size_t rows_cap;
    struct bl_value *vals;
    size_t vals_cap;
    uint8_t *present;
    size_t present_cap;
    char *text;
    size_t text_len;
    size_t text_cap;
};

void rowdec_scratch_free(struct rowdec_scratch *s);

/* Parse a TABLE_MAP body into a new table (*out, free with rowdec_table_free).
 * DM_OK, DM_E_PARSE (err says why), DM_E_NOMEM. */
int rowdec_table_map(const uint8_t *body, size_t len, unsigned tid_len,
                     struct bl_table **out, char *err, size_t cap);
void rowdec_table_free(struct bl_table *t);

/* Table id of a rows event body (to look its map up). DM_OK or DM_E_PARSE. */
int rowdec_rows_table_id(const uint8_t *body, size_t len, unsigned tid_len, uint64_t *id);

/* true for WRITE/UPDATE/DELETE_ROWS v1 (23-25) and v2 (30-32). */
int rowdec_is_rows_event(unsigned ev_type);

/* Decode a rows event body of type ev_type against its table map. Fills ev->op, nrows,
 * rows, after (UPDATE) and ev->table = t; the row arrays live in `s`.
 * DM_OK, DM_E_PARSE (err says which column/row), DM_E_NOMEM. */
int rowdec_rows(struct rowdec_scratch *s, const struct bl_table *t, unsigned ev_type,
                const uint8_t *body, size_t len, unsigned tid_len, struct bl_event *ev,
                char *err, size_t cap);

/* Lower layer: decode row images given the present-column bitmaps (bitmap2 only for
 * UPDATE) and the image bytes, e.g. from a compressed event inflated by the connector.
 * ncols must equal t->ncols. Same results as rowdec_rows. */
int rowdec_images(struct rowdec_scratch *s, const struct bl_table *t, enum bl_rows_op op,
                  const uint8_t *bitmap1, const uint8_t *bitmap2, const uint8_t *data,
                  size_t len, struct bl_event *ev, char *err, size_t cap);

/* Little-endian unsigned integer of n (1..8) bytes at p (binlog integers). */
uint64_t rowdec_le(const uint8_t *p, unsigned n);

#endif /* DM_WORKER_ROWDEC_H */

/* fuzz_rowdec.c - TABLE_MAP + rows-event decoding on arbitrary bytes.
 * Input: [u16 LE table-map length][table-map body][u8 rows event type][rows body]
 * (tests/fuzz/corpus/rowdec/real_* are real MariaDB 10.11 events in this layout).
 * Fuzz harnesses do not link dmworker, so the pure decoder is compiled in here: rowdec.c
 * depends only on binlog.h and dm_error.h by design. Every decoded value must lie inside
 * the input or the scratch arena, and decoding twice must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/binlog/rowdec.c"
#include "../../worker/binlog/bl_compress.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const struct bl_event *ev, const uint8_t *lo, size_t n, const struct rowdec_scratch *s)
{
    size_t images = ev->op == BL_UPDATE ? 2 : 1;
    for (size_t r = 0; r < ev->nrows * images; r++) {
        const struct bl_row *row = r < ev->nrows ? &ev->rows[r] : &ev->after[r - ev->nrows];
        for (size_t c = 0; c < ev->table->ncols; c++) {
            const struct bl_value *v = &row->cols[c];
            if (!v->ptr)
                continue;
            const uint8_t *p = (const uint8_t *)v->ptr;
            int in_input = p >= lo && p + v->len <= lo + n;
            int in_text = s->text && v->ptr >= s->text && v->ptr + v->len <= s->text + s->text_len;
            if (!in_input && !in_text)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t tmlen = (size_t)data[0] | ((size_t)data[1] << 8);
    if (tmlen > size - 3)
        return 0;
    const uint8_t *tm = data + 2, *rows = data + 3 + tmlen;
    unsigned type = data[2 + tmlen];
    size_t rlen = size - 3 - tmlen;
    struct bl_table *t = NULL;
    char err[256];
    if (rowdec_table_map(tm, tmlen, 6, &t, err, sizeof(err)) != DM_OK)
        return 0;
    struct rowdec_scratch s = { 0 };
    struct bl_event ev;
    memset(&ev, 0, sizeof(ev));
    if (!rowdec_is_rows_event(type))
        type = 23 + type % 3;
    if (rowdec_rows(&s, t, type, rows, rlen, 6, &ev, err, sizeof(err)) == DM_OK) {
        touch(&ev, rows, rlen, &s);
        size_t n1 = ev.nrows;
        if (rowdec_rows(&s, t, type, rows, rlen, 6, &ev, err, sizeof(err)) != DM_OK || ev.nrows != n1)
            abort();
    }
    rowdec_scratch_free(&s);
    rowdec_table_free(t);
    return 0;
}

/* fuzz_binlog_stream.c - the binlog event reader (worker/binlog/binlog.c) on an arbitrary
 * event stream: common header, FORMAT_DESCRIPTION (checksum, post-header lengths),
 * ROTATE, GTID, QUERY (+ status variables, compressed), XID, XA_PREPARE, ANNOTATE_ROWS,
 * TABLE_MAP cache and rows events (+ compressed) - everything a source server we do not
 * control, or a relay file on disk, can hand the Sync unit. Fed through bl_reader_open_feed
 * as the relay's local streamer does.
 * Input: [event][event]... : each event is cut at its header's event_length (clamped to
 * what is left, so short and overlong lengths reach the reader). Every event the reader yields must have
 * NUL-terminated texts and row values that can be read in full (ASan checks the reads). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "dm_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
    const uint8_t *p;
    size_t left;
    uint8_t *copy;   /* each event in its own allocation: reads past it are caught */
};

static int cur_next(void *ctx, int timeout_ms, const uint8_t **ev, size_t *len, char *err,
                    size_t cap)
{
    struct cursor *c = ctx;
    (void)timeout_ms;
    if (c->left == 0) {
        dm_errf(err, cap, "end of input");
        return DM_E_CANCELLED;
    }
    size_t n = c->left;
    if (c->left >= 19) {
        size_t evlen = (size_t)c->p[9] | (size_t)c->p[10] << 8 | (size_t)c->p[11] << 16 |
                       (size_t)c->p[12] << 24;
        if (evlen >= 19 && evlen < c->left)
            n = evlen;
    }
    free(c->copy);
    if (!(c->copy = malloc(n)))
        return DM_E_NOMEM;
    memcpy(c->copy, c->p, n);
    c->p += n;
    c->left -= n;
    *ev = c->copy;
    *len = n;
    return DM_OK;
}

static void cur_free(void *ctx)
{
    struct cursor *c = ctx;
    free(c->copy);
    free(c);
}

static volatile size_t sink;

static void touch_row(const struct bl_table *t, const struct bl_row *row)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const struct bl_value *v = &row->cols[c];
        sink += row->present[c];
        if (!v->ptr)
            continue;
        for (size_t i = 0; i < v->len; i++)
            sink += (unsigned char)v->ptr[i];
    }
}

static void touch(const struct bl_event *ev)
{
    sink += strlen(ev->file) + strlen(ev->gtid) + strlen(ev->time_zone);
    if (ev->kind == BL_EV_QUERY)
        sink += strlen(ev->schema) + strlen(ev->query);
    if (ev->kind == BL_EV_ROWS) {
        const struct bl_table *t = ev->table;
        sink += strlen(t->schema) + strlen(t->table);
        for (size_t c = 0; c < t->ncols; c++) {
            struct bl_col_shape s;
            bl_column_shape(t, c, &s);
            if (t->names)
                sink += strlen(t->names[c]);
        }
        for (size_t r = 0; r < ev->nrows; r++) {
            touch_row(t, &ev->rows[r]);
            if (ev->op == BL_UPDATE)
                touch_row(t, &ev->after[r]);
        }
    }
    for (size_t i = 0; i < ev->raw_len; i++)
        sink += ev->raw[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor *c = calloc(1, sizeof(*c));
    if (!c)
        return 0;
    c->p = data;
    c->left = size;
    struct bl_feed feed = { .next = cur_next, .free = cur_free, .ctx = c };
    struct bl_reader *r = NULL;
    char err[512];
    if (bl_reader_open_feed(&feed, "mysql-bin.000001", 4, &r, err, sizeof(err)) != DM_OK)
        abort();
    for (int i = 0; i < 4096; i++) {
        struct bl_event *ev = NULL;
        err[0] = '\0';
        int rc = bl_reader_next(r, 0, &ev, err, sizeof(err));
        if (rc == DM_E_CANCELLED)
            break;
        if (rc != DM_OK) {
            if (!err[0] || !memchr(err, '\0', sizeof(err)))
                abort();    /* every refusal says why */
            continue;       /* the Sync unit stops here; the reader must stay sound anyway */
        }
        touch(ev);
    }
    bl_reader_free(r);
    return 0;
}

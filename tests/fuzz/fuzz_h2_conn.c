/* fuzz_h2_conn.c - server bytes through the lean HTTP/2 client (rpc/h2_conn.c, h2_hpack.c).
 * First byte even: the rest is one HPACK header block (decoded twice on one table, so
 * dynamic-table state carries over). Odd: the rest is what a server sends on a connection
 * with three unary calls open, fed in pieces of (first byte >> 1) % 61 + 1 bytes;
 * deadlines are then expired and every stream must end exactly once. */
#include <stdint.h>
#include <stdlib.h>

#include "h2_conn.h"
#include "h2_hpack.h"

static int count_field(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
    (void)name;
    (void)value;
    *(size_t *)arg += nl + vl;
    return 0;
}

static void fuzz_hpack(const uint8_t *p, size_t n)
{
    struct hpack_dec d;
    hpack_dec_init(&d, 4096);
    size_t total = 0;
    if (hpack_decode(&d, p, n, count_field, &total) == 0)
        hpack_decode(&d, p, n, count_field, &total);
    hpack_dec_free(&d);
    struct dm_buf b;
    dm_buf_init(&b, 1 << 20);
    hpack_huff_decode(p, n, &b);
    dm_buf_free(&b);
}

static void fuzz_conn(const uint8_t *p, size_t n, size_t piece)
{
    struct h2_conn c;
    if (h2_conn_init(&c) != 0) {
        h2_conn_free(&c);
        return;
    }
    struct dm_buf hdr;
    dm_buf_init(&hdr, 16384);
    h2_encode_request(&hdr, "/pb.Master/QueryStatus", "127.0.0.1:1", 1000, NULL, 0);
    static const uint8_t msg[] = {0, 0, 0, 0, 3, 0x0a, 0x01, 'x'};
    int started = 0;
    for (int i = 0; i < 3; i++)
        started += h2_conn_start(&c, (const uint8_t *)hdr.data, hdr.len, msg, sizeof(msg), 100 + i,
                                 (void *)(uintptr_t)(i + 1)) == 0;
    dm_buf_free(&hdr);
    for (size_t off = 0; off < n; off += piece)
        h2_conn_input(&c, p + off, n - off < piece ? n - off : piece);
    h2_conn_expire(&c, 1000);
    int ended = 0;
    for (struct h2_stream *s = h2_conn_take_done(&c), *nx; s; s = nx) {
        nx = s->next;
        if (s->resp && s->resp_len > (size_t)s->body.len)
            abort();
        ended++;
        h2_stream_free(s);
    }
    if (ended != started)
        abort();   /* every stream ends exactly once */
    h2_conn_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 2 == 0)
        fuzz_hpack(data + 1, size - 1);
    else
        fuzz_conn(data + 1, size - 1, (size_t)(data[0] >> 1) % 61 + 1);
    return 0;
}

/* test_h2_conn.c - rpc/h2_hpack.c and rpc/h2_conn.c without sockets: RFC 7541 examples,
 * HPACK errors and eviction, and a connection fed server frames byte for byte (answers,
 * trailers-only errors, percent-decoded messages, RST_STREAM, GOAWAY, PING, flow control,
 * CONTINUATION, deadlines). The same code against real servers: rpc/test_rpc_call_h2. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "h2_conn.h"
#include "h2_hpack.h"
#include "rpc.h"
#include "testutil.h"

/* ---------- HPACK ---------- */

struct fields {
    char text[1024];   /* "name: value\n"... */
};

static int collect(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
    struct fields *f = arg;
    size_t at = strlen(f->text);
    snprintf(f->text + at, sizeof(f->text) - at, "%.*s: %.*s\n", (int)nl, name, (int)vl, value);
    return 0;
}

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2)
        out[n++] = (uint8_t)strtol((char[]){h[0], h[1], 0}, NULL, 16);
    return n;
}

static int decode_hex(struct hpack_dec *d, const char *hex, struct fields *f)
{
    uint8_t b[512];
    size_t n = unhex(hex, b);
    memset(f, 0, sizeof(*f));
    return hpack_decode(d, b, n, collect, f);
}

/* RFC 7541 C.4: three requests with Huffman strings on one dynamic table */
START_TEST(rfc7541_c4_requests_with_huffman)
{
    struct hpack_dec d;
    struct fields f;
    hpack_dec_init(&d, 4096);
    ck_assert_int_eq(decode_hex(&d, "828684418cf1e3c2e5f23a6ba0ab90f4ff", &f), 0);
    ck_assert_str_eq(f.text, ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n");
    ck_assert_uint_eq(d.size, 57);
    ck_assert_int_eq(decode_hex(&d, "828684be5886a8eb10649cbf", &f), 0);
    ck_assert_str_eq(f.text, ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n"
                             "cache-control: no-cache\n");
    ck_assert_uint_eq(d.size, 110);
    ck_assert_int_eq(decode_hex(&d, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf", &f), 0);
    ck_assert_str_eq(f.text, ":method: GET\n:scheme: https\n:path: /index.html\n"
                             ":authority: www.example.com\ncustom-key: custom-value\n");
    ck_assert_uint_eq(d.size, 164);
    ck_assert_uint_eq(d.count, 3);
    hpack_dec_free(&d);
}
END_TEST

/* a table of 100 bytes: each 57-byte entry evicts the one before */
START_TEST(eviction_and_size_updates)
{
    struct hpack_dec d;
    struct fields f;
    hpack_dec_init(&d, 4096);
    ck_assert_int_eq(decode_hex(&d, "3f45", &f), 0);   /* size update to 100 */
    ck_assert_uint_eq(d.max_size, 100);
    ck_assert_int_eq(decode_hex(&d, "418cf1e3c2e5f23a6ba0ab90f4ff", &f), 0);   /* :authority, indexed */
    ck_assert_int_eq(decode_hex(&d, "be", &f), 0);                              /* 62: it */
    ck_assert_str_eq(f.text, ":authority: www.example.com\n");
    ck_assert_int_eq(decode_hex(&d, "4103616263", &f), 0);                      /* :authority abc */
    ck_assert_uint_eq(d.count, 1);                                              /* evicted */
    ck_assert_int_eq(decode_hex(&d, "be", &f), 0);
    ck_assert_str_eq(f.text, ":authority: abc\n");
    ck_assert_int_eq(decode_hex(&d, "bf", &f), -1);                             /* 63: gone */
    ck_assert_int_eq(decode_hex(&d, "20", &f), 0);                              /* size 0: empty */
    ck_assert_uint_eq(d.count, 0);
    ck_assert_int_eq(decode_hex(&d, "3fe21f", &f), -1);        /* 4097 > SETTINGS size */
    ck_assert_int_eq(decode_hex(&d, "8220", &f), -1);          /* update after a field */
    /* more entries than the first ring: it grows and keeps the order */
    ck_assert_int_eq(decode_hex(&d, "3fe11f", &f), 0);
    for (int i = 0; i < 40; i++) {
        char hex[32];
        snprintf(hex, sizeof(hex), "4001%02x01%02x", 'a' + i % 26, '0' + i % 10);
        ck_assert_int_eq(decode_hex(&d, hex, &f), 0);
    }
    ck_assert_uint_eq(d.count, 40);
    ck_assert_int_eq(decode_hex(&d, "be", &f), 0);
    ck_assert_str_eq(f.text, "n: 9\n");   /* the newest: i = 39 */
    hpack_dec_free(&d);
}
END_TEST

START_TEST(malformed_blocks_are_errors)
{
    struct hpack_dec d;
    struct fields f;
    hpack_dec_init(&d, 4096);
    ck_assert_int_eq(decode_hex(&d, "80", &f), -1);            /* index 0 */
    ck_assert_int_eq(decode_hex(&d, "ff00", &f), -1);          /* index 127: empty table */
    ck_assert_int_eq(decode_hex(&d, "ff", &f), -1);            /* integer cut short */
    ck_assert_int_eq(decode_hex(&d, "ffffffffffff7f", &f), -1);   /* integer overflow */
    ck_assert_int_eq(decode_hex(&d, "0003616263", &f), -1);    /* value missing */
    ck_assert_int_eq(decode_hex(&d, "00830000", &f), -1);      /* name longer than block */
    ck_assert_int_eq(decode_hex(&d, "000161" "8100", &f), -1); /* Huffman padding of zeros */
    ck_assert_int_eq(decode_hex(&d, "000161" "84ffffffff", &f), -1);   /* EOS in a string */
    ck_assert_int_eq(decode_hex(&d, "000161" "81ff", &f), -1); /* padding of 8 bits */
    ck_assert_int_eq(decode_hex(&d, "000161" "0161", &f), 0);  /* still usable */
    ck_assert_str_eq(f.text, "a: a\n");
    hpack_dec_free(&d);
    struct dm_buf b;
    dm_buf_init(&b, 64);
    ck_assert_int_eq(hpack_huff_decode((const uint8_t *)"\xa8\xeb\x7f", 3, &b), 0);
    ck_assert_str_eq(b.data, "no-");
    dm_buf_free(&b);
}
END_TEST

START_TEST(request_encoding_round_trip)
{
    struct dm_buf b;
    dm_buf_init(&b, 16384);
    const char *md[] = {"x-request-id", "r-1", "authorization", "Bearer t"};
    ck_assert_int_eq(h2_encode_request(&b, "/pb.Master/QueryStatus", "127.0.0.1:8261", 1500, md, 2),
                     DM_OK);
    struct hpack_dec d;
    struct fields f = {{0}};
    hpack_dec_init(&d, 4096);
    ck_assert_int_eq(hpack_decode(&d, (const uint8_t *)b.data, b.len, collect, &f), 0);
    ck_assert_str_eq(f.text, ":method: POST\n:scheme: http\n:path: /pb.Master/QueryStatus\n"
                             ":authority: 127.0.0.1:8261\ncontent-type: application/grpc\n"
                             "te: trailers\ngrpc-timeout: 1500m\nx-request-id: r-1\n"
                             "authorization: Bearer t\n");
    ck_assert_uint_eq(d.count, 0);   /* never indexes */
    dm_buf_reset(&b);
    memset(&f, 0, sizeof(f));
    ck_assert_int_eq(h2_encode_request(&b, "/p", "h:1", 123456789012LL, NULL, 0), DM_OK);
    ck_assert_int_eq(hpack_decode(&d, (const uint8_t *)b.data, b.len, collect, &f), 0);
    ck_assert_ptr_nonnull(strstr(f.text, "grpc-timeout: 2057614M\n"));   /* ms -> S -> M */
    hpack_dec_free(&d);
    dm_buf_free(&b);
}
END_TEST

/* ---------- connection ---------- */

static void frame(struct dm_buf *b, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
                  size_t n)
{
    uint8_t h[9] = {(uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
                    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
    dm_buf_add(b, h, 9);
    if (n)
        dm_buf_add(b, p, n);
}

static void lit(struct dm_buf *b, const char *name, const char *value)
{
    hpack_put_literal(b, 0, name, strlen(name), value, strlen(value));
}

/* Feed b one byte at a time (frames split everywhere). */
static void feed_bytewise(struct h2_conn *c, const struct dm_buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        h2_conn_input(c, (const uint8_t *)b->data + i, 1);
}

static const uint8_t REQ[] = {0, 0, 0, 0, 3, 0x0a, 0x01, 'x'};

static void start(struct h2_conn *c, uintptr_t user, int64_t deadline)
{
    struct dm_buf h;
    dm_buf_init(&h, 16384);
    h2_encode_request(&h, "/pb.Master/QueryStatus", "t:1", 1000, NULL, 0);
    ck_assert_int_eq(h2_conn_start(c, (const uint8_t *)h.data, h.len, REQ, sizeof(REQ), deadline,
                                   (void *)user), DM_OK);
    dm_buf_free(&h);
}

/* Does `out` hold a frame of `type` (and flags) on `sid`? Walks the frames after the preface. */
static bool out_has(const struct h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid)
{
    const uint8_t *p = (const uint8_t *)c->out.data;
    size_t off = strncmp((const char *)p, "PRI ", 4) == 0 ? 24 : 0;
    while (off + 9 <= c->out.len) {
        uint32_t len = (uint32_t)p[off] << 16 | (uint32_t)p[off + 1] << 8 | p[off + 2];
        uint32_t s = (uint32_t)p[off + 5] << 24 | (uint32_t)p[off + 6] << 16 |
                     (uint32_t)p[off + 7] << 8 | p[off + 8];
        if (p[off + 3] == type && (p[off + 4] & flags) == flags && s == sid)
            return true;
        off += 9 + len;
    }
    return false;
}

START_TEST(answers_errors_resets_and_pings)
{
    struct h2_conn c;
    ck_assert_int_eq(h2_conn_init(&c), DM_OK);
    ck_assert(out_has(&c, 4, 0, 0));   /* our SETTINGS */
    start(&c, 1, 1000);
    start(&c, 3, 1000);
    start(&c, 5, 1000);
    ck_assert(out_has(&c, 1, 4, 1) && out_has(&c, 0, 1, 5));   /* HEADERS, DATA END_STREAM */
    dm_buf_reset(&c.out);
    struct dm_buf in, hb;
    dm_buf_init(&in, 1 << 20);
    dm_buf_init(&hb, 4096);
    frame(&in, 4, 0, 0, "\x00\x03\x00\x00\x00\x64", 6);   /* SETTINGS max streams 100 */
    dm_buf_add(&hb, "\x88", 1);                            /* :status 200 */
    hpack_put_int(&hb, 0x40, 6, 31);                       /* content-type, indexed into 62 */
    dm_buf_add(&hb, "\x10" "application/grpc", 17);
    frame(&in, 1, 4, 1, hb.data, hb.len);
    frame(&in, 0, 0, 1, "\x00\x00\x00\x00\x04\x08\x01\x12\x00", 9);
    dm_buf_reset(&hb);
    lit(&hb, "grpc-status", "0");
    frame(&in, 1, 5, 1, hb.data, hb.len);
    dm_buf_reset(&hb);
    dm_buf_add(&hb, "\x88\xbe", 2);                        /* trailers-only, table entry 62 */
    lit(&hb, "grpc-status", "5");
    lit(&hb, "grpc-message", "task%20%22x%22 not found%2");
    frame(&in, 1, 5, 3, hb.data, hb.len);
    frame(&in, 3, 0, 5, "\x00\x00\x00\x07", 4);            /* RST_STREAM REFUSED_STREAM */
    frame(&in, 6, 0, 0, "pingpong", 8);
    feed_bytewise(&c, &in);
    ck_assert(!c.dead);
    ck_assert(out_has(&c, 4, 1, 0));                       /* SETTINGS ACK */
    ck_assert(out_has(&c, 6, 1, 0));                       /* PING ACK */
    struct h2_stream *s = h2_conn_take_done(&c);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq((int)(uintptr_t)s->user, 1);
    ck_assert_int_eq(s->status, RPC_OK);
    ck_assert_uint_eq(s->resp_len, 4);
    ck_assert(!memcmp(s->resp, "\x08\x01\x12\x00", 4));
    struct h2_stream *s3 = s->next, *s5 = s3->next;
    ck_assert_int_eq(s3->status, RPC_NOT_FOUND);
    ck_assert_str_eq(s3->details, "task \"x\" not found%2");
    ck_assert_ptr_null(s3->resp);
    ck_assert_int_eq(s5->status, RPC_UNAVAILABLE);
    ck_assert_ptr_null(s5->next);
    h2_stream_free(s);
    h2_stream_free(s3);
    h2_stream_free(s5);
    ck_assert_uint_eq(c.nopen, 0);
    dm_buf_free(&in);
    dm_buf_free(&hb);
    h2_conn_free(&c);
}
END_TEST

/* the server's window is 4 bytes: DATA waits for WINDOW_UPDATEs of the stream and the
 * connection; HTTP errors without grpc-status map as gRPC does */
START_TEST(flow_control_and_http_status)
{
    struct h2_conn c;
    ck_assert_int_eq(h2_conn_init(&c), DM_OK);
    struct dm_buf in;
    dm_buf_init(&in, 1 << 20);
    frame(&in, 4, 0, 0, "\x00\x04\x00\x00\x00\x04", 6);   /* INITIAL_WINDOW_SIZE 4 */
    h2_conn_input(&c, (const uint8_t *)in.data, in.len);
    dm_buf_reset(&c.out);
    start(&c, 1, 1000);
    ck_assert(out_has(&c, 0, 0, 1));
    ck_assert(!out_has(&c, 0, 1, 1));                     /* 4 of 8 bytes sent, no END_STREAM */
    dm_buf_reset(&c.out);
    dm_buf_reset(&in);
    frame(&in, 8, 0, 1, "\x00\x00\x00\x02", 4);
    h2_conn_input(&c, (const uint8_t *)in.data, in.len);
    ck_assert(out_has(&c, 0, 0, 1) && !out_has(&c, 0, 1, 1));
    dm_buf_reset(&c.out);
    dm_buf_reset(&in);
    frame(&in, 8, 0, 1, "\x00\x00\x01\x00", 4);
    h2_conn_input(&c, (const uint8_t *)in.data, in.len);
    ck_assert(out_has(&c, 0, 1, 1));                      /* the rest, END_STREAM */
    dm_buf_reset(&in);
    struct dm_buf hb;
    dm_buf_init(&hb, 4096);
    dm_buf_add(&hb, "\x8d", 1);                           /* :status 404 */
    frame(&in, 1, 5, 1, hb.data, hb.len);
    h2_conn_input(&c, (const uint8_t *)in.data, in.len);
    struct h2_stream *s = h2_conn_take_done(&c);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->status, RPC_UNIMPLEMENTED);
    h2_stream_free(s);
    /* a stream WINDOW_UPDATE of 0 on a closed stream is ignored; on the connection it is
     * a protocol error */
    dm_buf_reset(&in);
    frame(&in, 8, 0, 0, "\x00\x00\x00\x00", 4);
    h2_conn_input(&c, (const uint8_t *)in.data, in.len);
    ck_assert(c.dead);
    ck_assert(out_has(&c, 7, 0, 0));                      /* GOAWAY */
    dm_buf_free(&hb);
    dm_buf_free(&in);
    h2_conn_free(&c);
}
END_TEST

START_TEST(goaway_continuation_and_deadlines)
{
    struct h2_conn c;
    ck_assert_int_eq(h2_conn_init(&c), DM_OK);
    start(&c, 1, 500);
    start(&c, 3, 1000);
    start(&c, 5, 2000);
    struct dm_buf in, hb;
    dm_buf_init(&in, 1 << 20);
    dm_buf_init(&hb, 4096);
    /* stream 1: headers split over HEADERS + CONTINUATION, then the deadline passes */
    dm_buf_add(&hb, "\x88", 1);
    lit(&hb, "content-type", "application/grpc");
    frame(&in, 1, 0, 1, hb.data, 3);
    frame(&in, 9, 4, 1, hb.data + 3, hb.len - 3);
    frame(&in, 7, 0, 0, "\x00\x00\x00\x03\x00\x00\x00\x00", 8);   /* GOAWAY last 3 */
    feed_bytewise(&c, &in);
    ck_assert(!c.dead);
    ck_assert(!h2_conn_can_start(&c));
    struct h2_stream *s = h2_conn_take_done(&c);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq((int)(uintptr_t)s->user, 5);                 /* above last-stream-id */
    ck_assert_int_eq(s->status, RPC_UNAVAILABLE);
    ck_assert_ptr_null(s->next);
    h2_stream_free(s);
    dm_buf_reset(&c.out);
    ck_assert_int_eq(h2_conn_expire(&c, 600), 1000);
    ck_assert(out_has(&c, 3, 0, 1));                              /* RST_STREAM CANCEL */
    s = h2_conn_take_done(&c);
    ck_assert_int_eq(s->status, RPC_DEADLINE_EXCEEDED);
    h2_stream_free(s);
    /* a frame of another stream inside a header block: connection error, all ends */
    dm_buf_reset(&in);
    frame(&in, 1, 0, 3, hb.data, 3);
    frame(&in, 0, 0, 3, "x", 1);
    h2_conn_input(&c, (const uint8_t *)in.data, in.len);
    ck_assert(c.dead);
    s = h2_conn_take_done(&c);
    ck_assert_int_eq(s->status, RPC_UNAVAILABLE);
    ck_assert_uint_eq(c.nopen, 0);
    h2_stream_free(s);
    ck_assert_int_eq(h2_conn_start(&c, (const uint8_t *)"", 0, REQ, sizeof(REQ), 1, NULL), DM_E_STATE);
    dm_buf_free(&hb);
    dm_buf_free(&in);
    h2_conn_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("h2_conn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rfc7541_c4_requests_with_huffman);
    tcase_add_test(tc, eviction_and_size_updates);
    tcase_add_test(tc, malformed_blocks_are_errors);
    tcase_add_test(tc, request_encoding_round_trip);
    tcase_add_test(tc, answers_errors_resets_and_pings);
    tcase_add_test(tc, flow_control_and_http_status);
    tcase_add_test(tc, goaway_continuation_and_deadlines);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

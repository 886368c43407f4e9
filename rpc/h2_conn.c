/* h2_conn.c - see h2_conn.h (RFC 9113 framing, gRPC over HTTP/2 PROTOCOL-HTTP2.md). */
#include "h2_conn.h"
#include "dm_hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "rpc.h"

enum { F_DATA = 0, F_HEADERS = 1, F_PRIORITY = 2, F_RST = 3, F_SETTINGS = 4, F_PUSH = 5,
       F_PING = 6, F_GOAWAY = 7, F_WINDOW = 8, F_CONT = 9 };
enum { FL_END_STREAM = 0x1, FL_ACK = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8,
       FL_PRIORITY = 0x20 };
enum { E_NO_ERROR = 0, E_PROTOCOL = 1, E_INTERNAL = 2, E_FLOW = 3, E_STREAM_CLOSED = 5,
       E_FRAME_SIZE = 6, E_REFUSED = 7, E_CANCEL = 8, E_COMPRESSION = 9, E_CALM = 0xb,
       E_SECURITY = 0xc };

#define OUR_STREAM_WINDOW (1u << 20)     /* SETTINGS_INITIAL_WINDOW_SIZE we send */
#define OUR_CONN_WINDOW (1u << 24)       /* connection receive window after our update */
#define OUR_MAX_FRAME 16384u             /* we keep the default SETTINGS_MAX_FRAME_SIZE */
#define OUR_TABLE_SIZE 4096u             /* and the default header table size */
#define MAX_BODY ((64u << 20) + 5u)      /* the 64 MiB message limit, plus the prefix */
#define MAX_HEADER_BLOCK (1u << 20)
#define MAX_WINDOW 0x7fffffffLL

static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* ---- output ---- */

static void put_frame_head(struct h2_conn *c, uint32_t len, uint8_t type, uint8_t flags,
                           uint32_t sid)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                    (uint8_t)(sid >> 24 & 0x7f), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
                    (uint8_t)sid};
    dm_buf_add(&c->out, h, sizeof(h));
}

static void put_u32(struct h2_conn *c, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    dm_buf_add(&c->out, b, 4);
}

static void put_window_update(struct h2_conn *c, uint32_t sid, uint32_t inc)
{
    put_frame_head(c, 4, F_WINDOW, 0, sid);
    put_u32(c, inc);
}

static void put_rst(struct h2_conn *c, uint32_t sid, uint32_t code)
{
    put_frame_head(c, 4, F_RST, 0, sid);
    put_u32(c, code);
}

int h2_conn_init(struct h2_conn *c)
{
    memset(c, 0, sizeof(*c));
    dm_buf_init(&c->out, (size_t)256 << 20);
    dm_buf_init(&c->hblock, MAX_HEADER_BLOCK);
    hpack_dec_init(&c->dec, OUR_TABLE_SIZE);
    c->done_tail = &c->done_head;
    c->next_id = 1;
    c->conn_send_window = 65535;
    c->peer_initial_window = 65535;
    c->peer_max_frame = 16384;
    c->peer_max_streams = UINT32_MAX;
    dm_buf_add(&c->out, PREFACE, sizeof(PREFACE) - 1);
    put_frame_head(c, 12, F_SETTINGS, 0, 0);
    uint8_t s[12] = {0, 2, 0, 0, 0, 0,                                  /* ENABLE_PUSH 0 */
                     0, 4, (uint8_t)(OUR_STREAM_WINDOW >> 24), (uint8_t)(OUR_STREAM_WINDOW >> 16),
                     (uint8_t)(OUR_STREAM_WINDOW >> 8), (uint8_t)OUR_STREAM_WINDOW};
    dm_buf_add(&c->out, s, sizeof(s));
    put_window_update(c, 0, OUR_CONN_WINDOW - 65535u);
    return c->out.data ? DM_OK : DM_E_NOMEM;
}

/* ---- streams ---- */

static struct h2_stream **slot_of(struct h2_conn *c, uint32_t id)
{
    return &c->bucket[(id >> 1) & (H2_STREAM_BUCKETS - 1)];
}

static struct h2_stream *find(struct h2_conn *c, uint32_t id)
{
    struct h2_stream *s = *slot_of(c, id);
    while (s && s->id != id)
        s = s->hnext;
    return s;
}

void h2_stream_free(struct h2_stream *s)
{
    if (!s)
        return;
    free(s->pend);
    dm_buf_free(&s->body);
    dm_buf_free(&s->msg);
    free(s);
}

/* Unlink from the hash and the open list. */
static void unlink_open(struct h2_conn *c, struct h2_stream *s)
{
    struct h2_stream **pp = slot_of(c, s->id);
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    if (s->prev)
        s->prev->next = s->next;
    else
        c->open = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = s->hnext = NULL;
    c->nopen--;
}

/* The stream is over: record the outcome, move it to done. */
static void finish(struct h2_conn *c, struct h2_stream *s, int status, const char *details)
{
    unlink_open(c, s);
    s->status = status;
    s->details = details ? details : "";
    *c->done_tail = s;
    c->done_tail = &s->next;
}

struct h2_stream *h2_conn_take_done(struct h2_conn *c)
{
    struct h2_stream *l = c->done_head;
    c->done_head = NULL;
    c->done_tail = &c->done_head;
    return l;
}

/* gRPC's mapping of HTTP statuses without grpc-status (doc/http-grpc-status-mapping.md). */
static int http_to_grpc(int http)
{
    switch (http) {
    case 400: return RPC_INTERNAL;
    case 401: return 16;   /* UNAUTHENTICATED */
    case 403: return 7;    /* PERMISSION_DENIED */
    case 404: return RPC_UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return RPC_UNAVAILABLE;
    default: return RPC_UNKNOWN;
    }
}

static int rst_to_grpc(uint32_t code)
{
    switch (code) {
    case E_REFUSED: return RPC_UNAVAILABLE;
    case E_CANCEL: return RPC_CANCELLED;
    case E_CALM: return RPC_RESOURCE_EXHAUSTED;
    case E_SECURITY: return 7;
    default: return RPC_INTERNAL;
    }
}

/* END_STREAM arrived: the outcome from trailers, :status and the body. */
static void complete(struct h2_conn *c, struct h2_stream *s)
{
    if (s->grpc_status < 0) {
        if (s->http_status && s->http_status != 200)
            finish(c, s, http_to_grpc(s->http_status), "HTTP status without grpc-status");
        else
            finish(c, s, RPC_INTERNAL, "stream ended without grpc-status");
        return;
    }
    const char *details = s->msg.data ? s->msg.data : "";
    if (s->grpc_status != RPC_OK || !s->body.len) {
        finish(c, s, s->grpc_status, details);
        return;
    }
    const uint8_t *b = (const uint8_t *)s->body.data;
    uint32_t len = s->body.len < 5 ? 0 : (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
                                             (uint32_t)b[3] << 8 | b[4];
    if (s->body.len < 5 || (size_t)len != s->body.len - 5)
        finish(c, s, RPC_INTERNAL, "malformed gRPC message framing");
    else if (b[0] != 0)
        finish(c, s, RPC_INTERNAL, "compressed messages are not supported");
    else {
        s->resp = b + 5;
        s->resp_len = len;
        finish(c, s, RPC_OK, details);
    }
}

/* ---- connection errors ---- */

void h2_conn_fail(struct h2_conn *c, int status, const char *details)
{
    while (c->open)
        finish(c, c->open, status, details);
    c->dead = true;
    if (!c->dead_reason)
        c->dead_reason = details;
}

static void conn_error(struct h2_conn *c, uint32_t code, const char *why)
{
    if (c->dead)
        return;
    put_frame_head(c, 8, F_GOAWAY, 0, 0);
    put_u32(c, 0);
    put_u32(c, code);
    h2_conn_fail(c, RPC_UNAVAILABLE, why);
}

/* ---- starting streams ---- */

bool h2_conn_can_start(const struct h2_conn *c)
{
    return !c->dead && !c->goaway && c->next_id < 0x7ffffff0u && c->nopen < c->peer_max_streams;
}

/* Send what the windows allow of s's pending request bytes. */
static void flush_stream(struct h2_conn *c, struct h2_stream *s)
{
    while (s->pend && s->pend_off < s->pend_len) {
        int64_t win = s->send_window < c->conn_send_window ? s->send_window : c->conn_send_window;
        size_t left = s->pend_len - s->pend_off;
        size_t n = left < OUR_MAX_FRAME ? left : OUR_MAX_FRAME;
        if (n > c->peer_max_frame)
            n = c->peer_max_frame;
        if (win <= 0)
            return;
        if ((int64_t)n > win)
            n = (size_t)win;
        bool last = n == left;
        put_frame_head(c, (uint32_t)n, F_DATA, last ? FL_END_STREAM : 0, s->id);
        dm_buf_add(&c->out, s->pend + s->pend_off, n);
        s->pend_off += n;
        s->send_window -= (int64_t)n;
        c->conn_send_window -= (int64_t)n;
    }
    free(s->pend);
    s->pend = NULL;
}

int h2_conn_start(struct h2_conn *c, const uint8_t *hdr, size_t hlen, const uint8_t *msg,
                  size_t mlen, int64_t deadline_us, void *user)
{
    if (!h2_conn_can_start(c))
        return DM_E_STATE;
    if (hlen > c->peer_max_frame || hlen > OUR_MAX_FRAME)
        return DM_E_TOO_LARGE;
    struct h2_stream *s = calloc(1, sizeof(*s));
    if (!s || !(s->pend = malloc(mlen ? mlen : 1))) {
        free(s);
        return DM_E_NOMEM;
    }
    memcpy(s->pend, msg, mlen);
    s->pend_len = mlen;
    s->id = c->next_id;
    c->next_id += 2;
    s->deadline_us = deadline_us;
    s->send_window = c->peer_initial_window;
    s->grpc_status = -1;
    s->user = user;
    dm_buf_init(&s->body, MAX_BODY);
    dm_buf_init(&s->msg, 1 << 20);
    struct h2_stream **slot = slot_of(c, s->id);
    s->hnext = *slot;
    *slot = s;
    s->next = c->open;
    if (c->open)
        c->open->prev = s;
    c->open = s;
    c->nopen++;
    put_frame_head(c, (uint32_t)hlen, F_HEADERS, FL_END_HEADERS | (mlen ? 0 : FL_END_STREAM), s->id);
    dm_buf_add(&c->out, hdr, hlen);
    if (mlen)
        flush_stream(c, s);
    else {
        free(s->pend);
        s->pend = NULL;
    }
    return DM_OK;
}

int64_t h2_conn_expire(struct h2_conn *c, int64_t now_us)
{
    int64_t next = INT64_MAX;
    for (struct h2_stream *s = c->open, *n; s; s = n) {
        n = s->next;
        if (s->deadline_us <= now_us) {
            put_rst(c, s->id, E_CANCEL);
            finish(c, s, RPC_DEADLINE_EXCEEDED, "Deadline Exceeded");
        } else if (s->deadline_us < next) {
            next = s->deadline_us;
        }
    }
    return next;
}

/* ---- header fields ---- */

/* grpc-message is percent-encoded (PROTOCOL-HTTP2.md); a bad escape is kept as it is. */
static void pct_decode(struct dm_buf *out, const char *v, size_t n)
{
    dm_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (v[i] == '%' && i + 2 < n && (hi = dm_hexval(v[i + 1])) >= 0 &&
            (lo = dm_hexval(v[i + 2])) >= 0) {
            dm_buf_addc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            dm_buf_addc(out, v[i]);
        }
    }
}

static int parse_small_int(const char *v, size_t n)
{
    int x = 0;
    if (!n || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

static int on_field(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
    struct h2_stream *s = arg;
    if (!s)
        return 0;   /* a stream that is gone: decoded only to keep the table in step */
    if (nl == 7 && !memcmp(name, ":status", 7))
        s->http_status = parse_small_int(value, vl);
    else if (nl == 11 && !memcmp(name, "grpc-status", 11))
        s->grpc_status = parse_small_int(value, vl) < 0 ? RPC_UNKNOWN : parse_small_int(value, vl);
    else if (nl == 12 && !memcmp(name, "grpc-message", 12))
        pct_decode(&s->msg, value, vl);
    return 0;
}

/* A whole header block for stream `sid`. */
static void header_block(struct h2_conn *c, uint32_t sid, bool end_stream)
{
    struct h2_stream *s = find(c, sid);
    if (hpack_decode(&c->dec, (const uint8_t *)c->hblock.data, c->hblock.len, on_field, s) != 0) {
        conn_error(c, E_COMPRESSION, "HPACK decoding error");
        return;
    }
    if (!s)
        return;
    if (s->headers_seen && !end_stream) {   /* trailers must end the stream */
        put_rst(c, sid, E_PROTOCOL);
        finish(c, s, RPC_INTERNAL, "trailers without END_STREAM");
        return;
    }
    s->headers_seen = true;
    if (end_stream)
        complete(c, s);
}

/* ---- frames ---- */

/* Strip padding of a PADDED frame: payload start/length, or false (bad padding). */
static bool unpad(uint8_t flags, const uint8_t **p, uint32_t *len)
{
    if (!(flags & FL_PADDED))
        return true;
    if (*len < 1 || (*p)[0] >= *len)
        return false;
    uint8_t pad = (*p)[0];
    (*p)++;
    *len -= 1u + pad;
    return true;
}

static void give_back(struct h2_conn *c, struct h2_stream *s, uint32_t n)
{
    c->conn_recv_unacked += n;
    if (c->conn_recv_unacked >= OUR_CONN_WINDOW / 2) {
        put_window_update(c, 0, (uint32_t)c->conn_recv_unacked);
        c->conn_recv_unacked = 0;
    }
    if (!s)
        return;
    s->recv_unacked += n;
    if (s->recv_unacked >= OUR_STREAM_WINDOW / 2) {
        put_window_update(c, s->id, (uint32_t)s->recv_unacked);
        s->recv_unacked = 0;
    }
}

static void on_data(struct h2_conn *c, uint32_t sid, uint8_t flags, const uint8_t *p, uint32_t len)
{
    uint32_t flow = len;   /* padding counts against flow control too */
    if (sid == 0 || !unpad(flags, &p, &len)) {
        conn_error(c, E_PROTOCOL, "bad DATA frame");
        return;
    }
    struct h2_stream *s = find(c, sid);
    give_back(c, s && !(flags & FL_END_STREAM) ? s : NULL, flow);
    if (!s)
        return;   /* cancelled or finished: the bytes were still counted */
    if (!s->headers_seen) {
        put_rst(c, sid, E_PROTOCOL);
        finish(c, s, RPC_INTERNAL, "DATA before HEADERS");
        return;
    }
    if (dm_buf_add(&s->body, p, len) != DM_OK) {
        put_rst(c, sid, E_CANCEL);
        finish(c, s, RPC_RESOURCE_EXHAUSTED, "response message larger than 64 MiB");
        return;
    }
    if (flags & FL_END_STREAM)
        complete(c, s);
}

static void on_headers(struct h2_conn *c, uint32_t sid, uint8_t flags, const uint8_t *p,
                       uint32_t len, bool cont)
{
    if (sid == 0 || (!cont && !unpad(flags, &p, &len))) {
        conn_error(c, E_PROTOCOL, "bad HEADERS frame");
        return;
    }
    if (!cont && (flags & FL_PRIORITY)) {
        if (len < 5) {
            conn_error(c, E_PROTOCOL, "bad HEADERS priority");
            return;
        }
        p += 5;
        len -= 5;
    }
    if (!cont) {
        dm_buf_reset(&c->hblock);
        c->hstream = sid;
        c->hend_stream = flags & FL_END_STREAM;
        if (sid >= c->next_id) {   /* a stream we never opened (push is disabled) */
            conn_error(c, E_PROTOCOL, "HEADERS on an idle stream");
            return;
        }
    }
    if (dm_buf_add(&c->hblock, p, len) != DM_OK) {
        conn_error(c, E_INTERNAL, "header block too large");
        return;
    }
    if (!(flags & FL_END_HEADERS))
        return;
    c->hstream = 0;
    header_block(c, sid, c->hend_stream);
}

static void apply_settings(struct h2_conn *c, const uint8_t *p, uint32_t len)
{
    for (uint32_t i = 0; i + 6 <= len; i += 6) {
        uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
        uint32_t v = (uint32_t)p[i + 2] << 24 | (uint32_t)p[i + 3] << 16 |
                     (uint32_t)p[i + 4] << 8 | p[i + 5];
        if (id == 3) {
            c->peer_max_streams = v;
        } else if (id == 4) {
            if (v > MAX_WINDOW) {
                conn_error(c, E_FLOW, "SETTINGS_INITIAL_WINDOW_SIZE too large");
                return;
            }
            int64_t delta = (int64_t)v - c->peer_initial_window;
            c->peer_initial_window = v;
            for (struct h2_stream *s = c->open; s; s = s->next)
                s->send_window += delta;
        } else if (id == 5) {
            if (v < 16384 || v > 16777215) {
                conn_error(c, E_PROTOCOL, "bad SETTINGS_MAX_FRAME_SIZE");
                return;
            }
            c->peer_max_frame = v;
        }
        /* HEADER_TABLE_SIZE: our encoder never indexes; others: nothing to do */
    }
    put_frame_head(c, 0, F_SETTINGS, FL_ACK, 0);
}

static void flush_all(struct h2_conn *c)
{
    for (struct h2_stream *s = c->open; s && c->conn_send_window > 0; s = s->next)
        if (s->pend)
            flush_stream(c, s);
}

static void on_window(struct h2_conn *c, uint32_t sid, const uint8_t *p, uint32_t len)
{
    if (len != 4) {
        conn_error(c, E_FRAME_SIZE, "bad WINDOW_UPDATE size");
        return;
    }
    uint32_t inc = ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) &
                   0x7fffffffu;
    if (sid == 0) {
        if (!inc || c->conn_send_window + inc > MAX_WINDOW) {
            conn_error(c, inc ? E_FLOW : E_PROTOCOL, "bad connection WINDOW_UPDATE");
            return;
        }
        c->conn_send_window += inc;
        flush_all(c);
        return;
    }
    struct h2_stream *s = find(c, sid);
    if (!s)
        return;
    if (!inc || s->send_window + inc > MAX_WINDOW) {
        put_rst(c, sid, inc ? E_FLOW : E_PROTOCOL);
        finish(c, s, RPC_INTERNAL, "bad stream WINDOW_UPDATE");
        return;
    }
    s->send_window += inc;
    if (s->pend)
        flush_stream(c, s);
}

static void on_goaway(struct h2_conn *c, const uint8_t *p, uint32_t len)
{
    if (len < 8) {
        conn_error(c, E_FRAME_SIZE, "bad GOAWAY size");
        return;
    }
    uint32_t last = ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) &
                    0x7fffffffu;
    c->goaway = true;
    c->goaway_last = last;
    for (struct h2_stream *s = c->open, *n; s; s = n) {
        n = s->next;
        if (s->id > last)
            finish(c, s, RPC_UNAVAILABLE, "the server is going away (GOAWAY)");
    }
}

/* One complete frame. */
static void on_frame(struct h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid,
                     const uint8_t *p, uint32_t len)
{
    if (c->hstream && (type != F_CONT || sid != c->hstream)) {
        conn_error(c, E_PROTOCOL, "frame inside a header block");
        return;
    }
    switch (type) {
    case F_DATA:
        on_data(c, sid, flags, p, len);
        break;
    case F_HEADERS:
        on_headers(c, sid, flags, p, len, false);
        break;
    case F_CONT:
        if (!c->hstream)
            conn_error(c, E_PROTOCOL, "CONTINUATION without HEADERS");
        else
            on_headers(c, sid, flags, p, len, true);
        break;
    case F_RST: {
        struct h2_stream *s = len == 4 ? find(c, sid) : NULL;
        if (len != 4 || sid == 0)
            conn_error(c, E_PROTOCOL, "bad RST_STREAM");
        else if (s)
            finish(c, s, rst_to_grpc((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                                     (uint32_t)p[2] << 8 | p[3]),
                   "stream reset by the server (RST_STREAM)");
        break;
    }
    case F_SETTINGS:
        if (sid != 0 || len % 6 || ((flags & FL_ACK) && len))
            conn_error(c, E_PROTOCOL, "bad SETTINGS frame");
        else if (!(flags & FL_ACK))
            apply_settings(c, p, len);
        break;
    case F_PING:
        if (sid != 0 || len != 8)
            conn_error(c, E_PROTOCOL, "bad PING frame");
        else if (!(flags & FL_ACK)) {
            put_frame_head(c, 8, F_PING, FL_ACK, 0);
            dm_buf_add(&c->out, p, 8);
        }
        break;
    case F_GOAWAY:
        on_goaway(c, p, len);
        break;
    case F_WINDOW:
        on_window(c, sid, p, len);
        break;
    case F_PUSH:
        conn_error(c, E_PROTOCOL, "PUSH_PROMISE (push is disabled)");
        break;
    default:   /* PRIORITY and unknown types are ignored */
        break;
    }
}

/* Process every complete frame at the start of c->in. */
static void process(struct h2_conn *c)
{
    size_t off = 0;
    while (!c->dead && c->in_len - off >= 9) {
        const uint8_t *h = c->in + off;
        uint32_t len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
        if (len > OUR_MAX_FRAME) {
            conn_error(c, E_FRAME_SIZE, "frame larger than SETTINGS_MAX_FRAME_SIZE");
            break;
        }
        if (c->in_len - off < 9u + len)
            break;
        uint32_t sid = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) &
                       0x7fffffffu;
        on_frame(c, h[3], h[4], sid, h + 9, len);
        off += 9u + len;
    }
    if (c->dead)
        off = c->in_len;
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

uint8_t *h2_conn_in_space(struct h2_conn *c, size_t want, size_t *avail)
{
    if (c->in_cap - c->in_len < want) {
        size_t ncap = c->in_len + want;
        uint8_t *n = realloc(c->in, ncap);
        if (!n)
            return NULL;
        c->in = n;
        c->in_cap = ncap;
    }
    *avail = c->in_cap - c->in_len;
    return c->in + c->in_len;
}

void h2_conn_in_commit(struct h2_conn *c, size_t n)
{
    c->in_len += n;
    process(c);
}

void h2_conn_input(struct h2_conn *c, const uint8_t *p, size_t n)
{
    size_t avail;
    uint8_t *dst = h2_conn_in_space(c, n, &avail);
    if (!dst) {
        h2_conn_fail(c, RPC_UNAVAILABLE, "out of memory");
        return;
    }
    memcpy(dst, p, n);
    h2_conn_in_commit(c, n);
}

void h2_conn_free(struct h2_conn *c)
{
    while (c->open) {
        struct h2_stream *s = c->open;
        unlink_open(c, s);
        h2_stream_free(s);
    }
    for (struct h2_stream *s = h2_conn_take_done(c), *n; s; s = n) {
        n = s->next;
        h2_stream_free(s);
    }
    hpack_dec_free(&c->dec);
    dm_buf_free(&c->out);
    dm_buf_free(&c->hblock);
    free(c->in);
    memset(c, 0, sizeof(*c));
}

/* ---- request headers ---- */

int h2_encode_request(struct dm_buf *b, const char *path, const char *authority,
                      int64_t timeout_ms, const char *const *md_kv, size_t nmd)
{
    int rc = dm_buf_add(b, "\x83\x86", 2);   /* :method POST, :scheme http (indexed) */
    if (rc == DM_OK)
        rc = hpack_put_literal(b, 4, NULL, 0, path, strlen(path));
    if (rc == DM_OK)
        rc = hpack_put_literal(b, 1, NULL, 0, authority, strlen(authority));
    if (rc == DM_OK)
        rc = hpack_put_literal(b, 31, NULL, 0, "application/grpc", 16);
    if (rc == DM_OK)
        rc = hpack_put_literal(b, 0, "te", 2, "trailers", 8);
    if (rc == DM_OK && timeout_ms > 0) {
        /* at most 8 digits (PROTOCOL-HTTP2.md): coarser units, rounded up, as needed */
        static const struct { char unit; int64_t div; } units[] = {{'S', 1000}, {'M', 60}, {'H', 60}};
        int64_t v = timeout_ms;
        char unit = 'm';
        for (size_t u = 0; v > 99999999 && u < 3; u++) {
            v = (v + units[u].div - 1) / units[u].div;
            unit = units[u].unit;
        }
        if (v > 99999999)
            v = 99999999;
        char t[16];
        int n = snprintf(t, sizeof(t), "%lld%c", (long long)v, unit);
        rc = hpack_put_literal(b, 0, "grpc-timeout", 12, t, (size_t)n);
    }
    for (size_t i = 0; rc == DM_OK && i < nmd; i++)
        rc = hpack_put_literal(b, 0, md_kv[2 * i], strlen(md_kv[2 * i]), md_kv[2 * i + 1],
                               strlen(md_kv[2 * i + 1]));
    return rc;
}

/* h2_conn.h - one HTTP/2 client connection carrying unary gRPC calls, as a state machine
 * without sockets or threads (h2_client.c owns those; tests/fuzz/fuzz_h2_conn.c feeds it
 * bytes directly).
 *
 * Bytes from the server go in with h2_conn_input; frames to send (our preface and
 * SETTINGS, request HEADERS/DATA, SETTINGS and PING acks, WINDOW_UPDATEs, RST_STREAMs,
 * GOAWAY) collect in `out` for the owner to write. Finished calls collect on the `done`
 * list (h2_conn_take_done), each with its gRPC status, details and response message.
 *
 * What it does: SETTINGS (server's initial window, max frame size, max concurrent
 * streams; acked), PING acks, flow control both ways (request DATA waits for window;
 * received bytes are given back by WINDOW_UPDATE once half a window was consumed),
 * HEADERS + CONTINUATION with the full HPACK decoder (h2_hpack.h), trailers-only
 * answers, grpc-status / percent-decoded grpc-message, HTTP statuses mapped as gRPC
 * does, RST_STREAM codes mapped as gRPC does, GOAWAY (streams above last-stream-id end
 * UNAVAILABLE; no new streams), deadlines (h2_conn_expire: RST_STREAM CANCEL, status
 * DEADLINE_EXCEEDED; the request also carries grpc-timeout). A protocol error sends
 * GOAWAY and ends every stream (UNAVAILABLE). Not supported: compressed messages
 * (answered INTERNAL; we never offer an encoding), server push (disabled by SETTINGS),
 * client or server streaming.
 *
 * Ownership: the connection owns its streams until they are taken from `done`; the
 * taker frees them with h2_stream_free. Not thread-safe: the owner serializes. */
#ifndef DM_H2_CONN_H
#define DM_H2_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "h2_hpack.h"

#define H2_STREAM_BUCKETS 256

struct h2_stream {
    uint32_t id;
    struct h2_stream *hnext;           /* hash chain */
    struct h2_stream *prev, *next;     /* open list, then the done list (next only) */
    int64_t deadline_us;
    int64_t send_window;
    uint8_t *pend;                     /* request bytes waiting for window (owned) */
    size_t pend_len, pend_off;
    size_t recv_unacked;               /* DATA bytes not yet given back */
    int http_status;                   /* 0 until :status */
    int grpc_status;                   /* -1 until grpc-status */
    bool headers_seen;
    struct dm_buf body;                /* DATA payload (gRPC length-prefixed) */
    struct dm_buf msg;                 /* grpc-message, percent-decoded */
    /* the outcome (set when the stream moves to done) */
    int status;
    const char *details;               /* static or msg.data */
    const uint8_t *resp;               /* the message inside body (NULL: none) */
    size_t resp_len;
    void *user;                        /* the owner's call */
};

struct h2_conn {
    struct dm_buf out;                 /* bytes to write */
    struct hpack_dec dec;
    struct h2_stream *bucket[H2_STREAM_BUCKETS];
    struct h2_stream *open;            /* open streams (list) */
    struct h2_stream *done_head, **done_tail;
    size_t nopen;
    uint32_t next_id;                  /* next stream id (odd) */
    int64_t conn_send_window;
    int64_t peer_initial_window;       /* SETTINGS_INITIAL_WINDOW_SIZE of the server */
    uint32_t peer_max_frame;
    uint32_t peer_max_streams;
    size_t conn_recv_unacked;
    /* header block being assembled (HEADERS + CONTINUATION) */
    struct dm_buf hblock;
    uint32_t hstream;                  /* its stream, 0 when none */
    bool hend_stream;
    bool goaway;                       /* no new streams */
    bool dead;                         /* protocol error or closed: nothing more */
    uint32_t goaway_last;
    /* input framing */
    uint8_t *in;
    size_t in_len, in_cap;
    const char *dead_reason;
};

/* Init (queues the preface, SETTINGS and a connection WINDOW_UPDATE in `out`). DM_OK or
 * DM_E_NOMEM (then h2_conn_free is still safe). */
int h2_conn_init(struct h2_conn *c);
/* Free everything, streams still open or done included (no callbacks). */
void h2_conn_free(struct h2_conn *c);

/* Feed n bytes read from the socket. They must be copied into c->in first by the
 * owner (h2_conn_in_space / h2_conn_in_commit), or passed here (copied). */
void h2_conn_input(struct h2_conn *c, const uint8_t *p, size_t n);
/* Read straight into the input buffer: space for at least `want` bytes (NULL: no
 * memory), then commit what was read (processes complete frames). */
uint8_t *h2_conn_in_space(struct h2_conn *c, size_t want, size_t *avail);
void h2_conn_in_commit(struct h2_conn *c, size_t n);

/* Can another stream start? (not dead, no GOAWAY, ids and the server's limit allow) */
bool h2_conn_can_start(const struct h2_conn *c);
/* Start a stream: `hdr` is the encoded header block (h2_encode_request), `msg` the
 * gRPC-framed request (5-byte prefix + message); both copied. deadline_us is absolute
 * (monotonic microseconds). DM_OK, DM_E_STATE (cannot start), DM_E_NOMEM,
 * DM_E_TOO_LARGE (header block over one frame). */
int h2_conn_start(struct h2_conn *c, const uint8_t *hdr, size_t hlen, const uint8_t *msg,
                  size_t mlen, int64_t deadline_us, void *user);
/* End every open stream whose deadline is <= now (DEADLINE_EXCEEDED, RST_STREAM sent).
 * Returns the earliest deadline still open (INT64_MAX: none). */
int64_t h2_conn_expire(struct h2_conn *c, int64_t now_us);
/* The connection is gone (closed by the peer, an I/O error, shutdown): every open stream
 * ends with `status` / `details` (static string). */
void h2_conn_fail(struct h2_conn *c, int status, const char *details);
/* Take the finished streams (a list linked by ->next); the caller frees each. */
struct h2_stream *h2_conn_take_done(struct h2_conn *c);
void h2_stream_free(struct h2_stream *s);

/* Encode the request header block of a unary call: :method POST, :scheme http, :path,
 * :authority, content-type application/grpc, te trailers, grpc-timeout (timeout_ms > 0),
 * then md[0..nmd) (key/value pairs, lower-case keys). Appends to b. DM_OK or an error. */
int h2_encode_request(struct dm_buf *b, const char *path, const char *authority,
                      int64_t timeout_ms, const char *const *md_kv, size_t nmd);

#endif /* DM_H2_CONN_H */

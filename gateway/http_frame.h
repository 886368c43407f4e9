/* http_frame.h - HTTP/1.1 request framing rules (RFC 9112 MUSTs) the gateway enforces
 * itself, because libmicrohttpd 0.9.75 lets smuggling shapes through (see docs/gateway.md
 * "Framing and smuggling").
 *
 * Three users, one rule set:
 *   - the front (http_park.c) peeks each new or returning connection's raw bytes before
 *     libmicrohttpd reads them: http_frame_check_raw sees the request line, every header
 *     line byte for byte (NUL, whitespace before a colon, folding, bare CR) and the chunk
 *     lines of a chunked body already received;
 *   - the read gate (http_gate.h) runs http_frame_stream_scan over every byte MHD reads
 *     from a connection, plain or (http_tls.h) TLS: every request head (keep-alive
 *     follow-ups and pipelined requests included), body lengths, chunk lines and trailers;
 *   - the access handler (http_req.c) runs the field rules again on every request MHD
 *     parsed on an ungated connection (a descriptor beyond the gate's table):
 *     http_frame_fields_* fed with MHD_get_connection_values_n.
 * A rejection is a status (400, 413, 414, 417, 431, 501, 505) and a static detail; the
 * connection is then always closed (the bytes behind a bad head cannot be framed).
 *
 * Pure functions on borrowed bytes: no allocation, no I/O, thread-safe. */
#ifndef GW_HTTP_FRAME_H
#define GW_HTTP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_FRAME_MAX_CHUNK_LINE 1024   /* chunk-size + extensions + CRLF */

struct http_frame_limits {
    uint64_t max_body;        /* a chunk or Content-Length above this: 413 */
    unsigned max_query;       /* query parameters above this: 414 */
    unsigned max_headers;     /* header fields above this: 431 */
    size_t max_head;          /* request line + headers + CRLF above this: 431 */
};

struct http_frame_verdict {
    int status;               /* 0 = acceptable */
    const char *detail;       /* static text */
    size_t target_off;        /* absolute-form: offset of the origin-form part in the target */
};

enum http_frame_rc {
    HTTP_FRAME_OK = 0,        /* hand the connection to the HTTP library */
    HTTP_FRAME_MORE,          /* head (or a started chunk line) incomplete: wait for bytes */
    HTTP_FRAME_BAD            /* answer v->status and close */
};

/* Raw bytes of a connection's next request as received so far (buf need not be
 * NUL-terminated). */
enum http_frame_rc http_frame_check_raw(const char *buf, size_t len,
                                        const struct http_frame_limits *lim,
                                        struct http_frame_verdict *v);

/* A connection's request stream, scanned piece by piece: heads, then the body framing
 * each head announces (Content-Length bytes, or chunk lines, chunk data, CRLFs and the
 * trailer), then the next head. Starts at a request (http_frame_stream_init). */
struct http_frame_stream {
    int st;                   /* internal state */
    uint64_t remain;          /* body / chunk data bytes still due */
    uint64_t body_total;      /* chunked: data bytes so far */
    size_t trailer;           /* chunked: trailer bytes so far */
    unsigned trailer_fields;  /* chunked: trailer fields so far */
    size_t head_bytes;        /* the current request's head (Cookie bytes twice) and */
    unsigned head_fields;     /* fields (cookie pairs count): a trailer shares their limits */
    unsigned long heads;      /* request heads accepted so far */
};

void http_frame_stream_init(struct http_frame_stream *s);
/* buf = the next unread bytes of the connection, at s's position. *vouched = how many
 * leading bytes are complete acceptable elements; s moves past them. OK: all of buf;
 * MORE: buf ends inside an element (head, chunk line, trailer line) that starts at
 * *vouched; BAD: the element at *vouched is refused (v). */
enum http_frame_rc http_frame_stream_scan(struct http_frame_stream *s, const char *buf, size_t len,
                                          const struct http_frame_limits *lim, size_t *vouched,
                                          struct http_frame_verdict *v);
/* Between requests (the next byte starts a request head). */
bool http_frame_stream_at_request(const struct http_frame_stream *s);
/* Body bytes (Content-Length or chunk data) due before the next element that needs a
 * look: they may be read without one. 0 elsewhere. */
uint64_t http_frame_stream_data_left(const struct http_frame_stream *s);

/* Field rules over parsed header fields. init, one http_frame_field per field line (in
 * order, duplicates included), then http_frame_finish with the request's version and
 * target. */
struct http_frame_fields {
    unsigned n_fields, n_cl, n_te, n_host, n_authz;
    unsigned once_seen;       /* bit i: ONCE_FIELDS[i] (http_frame.c) seen once already */
    const char *once_dup;     /* detail for the first of them seen twice, or NULL */
    unsigned n_cookies;       /* cookie pairs: libmicrohttpd keeps a record for each */
    size_t cookie_bytes;      /* Cookie values: libmicrohttpd copies them into its pool */
    bool te_chunked;          /* the (single) Transfer-Encoding is exactly "chunked" */
    uint64_t content_length;
    const char *host;         /* borrowed */
    size_t host_len;
    int status;               /* first violation seen */
    const char *detail;
};

void http_frame_fields_init(struct http_frame_fields *f);
void http_frame_field(struct http_frame_fields *f, const struct http_frame_limits *lim,
                      const char *name, size_t nlen, const char *value, size_t vlen);
/* minor: 1 for HTTP/1.1, 0 for HTTP/1.0. Fills v; returns v->status (0 = acceptable). */
int http_frame_finish(const struct http_frame_fields *f, const struct http_frame_limits *lim,
                      int minor, const char *target, size_t tlen, struct http_frame_verdict *v);

/* The request-target rules of http_frame_finish alone (for a head whose fields the read
 * gate already checked): fills v (target_off); returns v->status. */
int http_frame_target(const struct http_frame_limits *lim, const char *target, size_t tlen,
                      struct http_frame_verdict *v);

/* The whole close-delimited answer to a rejected request (status line, headers with
 * Content-Length and Connection: close, problem+json body) into out. Returns its length,
 * or 0 when cap is too small. */
size_t http_frame_answer(char *out, size_t cap, int status, const char *detail,
                         const char *request_id);

#endif /* GW_HTTP_FRAME_H */

/* raw_http.h - HTTP/1.1 on a loopback socket (plain, or TLS: raw_http_tls) for framing
 * tests and the raw-request fuzzer: send exact bytes, read until the server closes (or a timeout), and check that
 * what came back is a sequence of well-framed responses (status line, headers, body by
 * Content-Length or chunked) with nothing else on the wire.
 *
 * Ownership: raw_result owns `bytes` (raw_result_free). Thread-safety: none needed (no
 * shared state). Errors: raw_exchange returns 0, or -1 when it cannot connect. */
#ifndef DM_RAW_HTTP_H
#define DM_RAW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define RAW_MAX_RESP 16

struct raw_resp {
    int status;
    const char *head;            /* into raw_result.bytes: status line + headers */
    size_t head_len;
    const char *body;            /* decoded only for Content-Length bodies */
    size_t body_len;
    bool conn_close;             /* Connection: close */
};

struct raw_result {
    char *bytes;                 /* everything received, NUL-terminated */
    size_t len;
    bool closed;                 /* the server closed (EOF or reset) */
    bool timed_out;              /* still open when the timeout passed */
    unsigned nresp;
    struct raw_resp resp[RAW_MAX_RESP];
    bool malformed;              /* bytes that are not well-framed responses */
    size_t parsed;               /* bytes of the well-framed responses (where parsing stopped) */
    const char *why;             /* static: what was malformed */
    long long elapsed_ms;        /* raw_exchange_trickle: from the head to the end */
};

/* Connect to 127.0.0.1:port, send len bytes (a server that closes early is fine), then
 * half-close if half_close, and read until EOF or timeout_ms. The result is parsed. */
int raw_exchange(int port, const void *req, size_t len, bool half_close, int timeout_ms,
                 struct raw_result *out);
/* The same on a connection that first sent `first` (flen bytes) and got one whole
 * response to it: req is then a keep-alive follow-up. out holds both answers. */
int raw_exchange_after(int port, const void *first, size_t flen, const void *req, size_t len,
                       bool half_close, int timeout_ms, struct raw_result *out);
/* The same, with req followed ~50 ms later by rest (rlen bytes): an element split across
 * the server's reads. */
int raw_exchange_split(int port, const void *first, size_t flen, const void *req, size_t len,
                       const void *rest, size_t rlen, bool half_close, int timeout_ms,
                       struct raw_result *out);
/* A slow client: send head, then `drip` (dlen bytes) every interval_ms until the server
 * answers or closes or timeout_ms passed; then read the rest until EOF or the timeout.
 * out->elapsed_ms says when it ended. */
int raw_exchange_trickle(int port, const void *head, size_t hlen, const void *drip, size_t dlen,
                         int interval_ms, int timeout_ms, struct raw_result *out);
/* Every raw_exchange* from now on over TLS (on: a gnutls client session on the socket,
 * no certificate check; half-close = close_notify) or plain (off). Process-wide; call it
 * before any exchange. 0, or -1 when gnutls cannot be set up. */
int raw_http_tls(bool on);
/* A self-signed ECDSA P-256 certificate for localhost and its key, PEM (owned: free). */
int raw_tls_selfsigned(char **cert_pem, char **key_pem);
/* Parse r->bytes/r->len into responses (raw_exchange does it). */
void raw_parse(struct raw_result *r);
void raw_result_free(struct raw_result *r);

/* On a plain socket of the caller's: read into buf until `want` shows up, the peer closes
 * or timeout_ms of silence passed in total (a hang bound). Returns the bytes read; buf is
 * NUL-terminated (cap > 0). For answers that do not end (status streams). */
size_t raw_read_until(int fd, char *buf, size_t cap, const char *want, int timeout_ms);

/* Value of header `name` in a response head (case-insensitive), copied to out. */
bool raw_header(const struct raw_resp *rp, const char *name, char *out, size_t cap);

#endif /* DM_RAW_HTTP_H */

/* http_client.h - a minimal HTTP/1.1 client over loopback TCP for tests: one request per
 * connection (Connection: close), the whole answer read and split into status, headers
 * and body (Content-Length, chunked, or until EOF). No libcurl, no child processes, so
 * tests that run a server in-process (gRPC threads) can use it freely.
 *
 * Endless answers (Server-Sent Events): set `until` and reading stops once those bytes
 * arrived (the connection is then closed by us); a chunked body cut short that way is
 * decoded as far as it goes.
 *
 * Bodies larger than HC_EARLY_ANSWER_BYTES are sent after the headers only if the
 * server has not answered within 300 ms (as curl does with Expect), so an early answer
 * such as 413 is read before the server closes an unread connection with RST.
 *
 * Ownership: hc_response_free releases what hc_request filled in.
 * Thread-safety: reentrant. */
#ifndef DM_HTTP_CLIENT_H
#define DM_HTTP_CLIENT_H

#include <stddef.h>

#define HC_EARLY_ANSWER_BYTES 4096

struct hc_request {
    int port;                  /* 127.0.0.1:port */
    const char *method;
    const char *target;        /* "/api/v1/tasks?pretty=true", sent as is */
    const char *headers;       /* extra header lines, each ending in "\r\n"; may be NULL */
    const char *body;          /* may be NULL; sent with Content-Length */
    size_t body_len;
    int timeout_ms;            /* whole exchange; 0 = 10 s */
    const char *until;         /* stop reading once this appears in the raw answer; NULL = EOF */
};

struct hc_response {
    int status;                /* 0 when no status line arrived */
    char *headers;             /* raw header block (without the status line), NUL-terminated */
    char *body;                /* decoded body, NUL-terminated (may contain NULs before) */
    size_t body_len;
};

/* Send the request and read the answer. 0 when a status line was read, -1 otherwise
 * (connect failure, timeout before the headers, malformed answer). */
int hc_request(const struct hc_request *rq, struct hc_response *out);
void hc_response_free(struct hc_response *r);

/* Value of header `name` (case-insensitive) copied into out (trimmed); 0 found, -1 not. */
int hc_header(const struct hc_response *r, const char *name, char *out, size_t cap);

#endif /* DM_HTTP_CLIENT_H */

/* http_gate.h - the read gate: libmicrohttpd reads only bytes our framing rules vouched
 * for, on every request of a plain-HTTP connection (issue 17: keep-alive follow-ups and
 * pipelined requests are checked like a connection's first request).
 *
 * How: libmicrohttpd 0.9.75 has no read hook; it reads a connection with libc's
 * recv(fd, buf, len, 0). This module defines recv(): the executable's definition takes
 * precedence over libc's for libmicrohttpd's calls (dynamic symbol interposition), and
 * every call on a descriptor that is not registered here (or with flags) goes straight to
 * recvfrom(), which is what libc's recv() is. For a registered descriptor the gate reads
 * into libmicrohttpd's buffer, runs http_frame_stream_scan (http_frame.h) from where the
 * connection stands and returns only bytes that are complete, acceptable elements: whole
 * request heads, body bytes as the head framed them, whole chunk lines, trailer lines. The
 * start of an element still arriving (a head split across reads) is held back in the gate
 * (at most the header limit + 4 KiB) until it is whole and scanned, so libmicrohttpd never
 * parses a head the rules did not see and never takes body bytes for a request.
 *
 * A refused element (or a peer that half-closed inside one): libmicrohttpd is given end of
 * file where the element starts, so it drops the connection without answering; when bytes
 * before the element went out in the same read, the socket is shut for reading
 * (shutdown(SHUT_RD) wakes libmicrohttpd's epoll) so the end of file comes with its next
 * read. A refused request head right behind a request still being served waits
 * (HTTP_GATE_PENDING) until that request completes: the owner then calls
 * http_gate_request_done. The owner answers the verdict when libmicrohttpd closes the
 * connection (http_gate_answer_due), on its own reference to the socket.
 *
 * Slow bodies: body bytes trickling in (one every few seconds) keep libmicrohttpd's
 * inactivity timeout from firing, so a request could hold its connection for hours. A
 * request whose body is not whole body_timeout_ms after its head was read (or, pipelined,
 * after the request before it completed) is refused (408, answered like any refusal) at
 * the next read. A client that sends nothing at all is
 * libmicrohttpd's inactivity timeout's.
 * Cost: no extra system call; a scan of each head, chunk line and trailer line; a copy
 * only of elements split across reads. A connection whose gate holds bytes is never
 * parked (they are not in the kernel any more).
 *
 * Ownership: struct http_gate is embedded in its owner (http_park.c's connection record)
 * and registered for libmicrohttpd's descriptor from NOTIFY_CONNECTION STARTED to CLOSED.
 * Thread-safety: a gate is used by the one libmicrohttpd thread that serves its
 * connection; the descriptor table is atomic. */
#ifndef GW_HTTP_GATE_H
#define GW_HTTP_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http_frame.h"

enum http_gate_bad {
    HTTP_GATE_OK = 0,
    HTTP_GATE_PENDING,        /* refused head behind a request in progress: not told yet */
    HTTP_GATE_EOF,            /* libmicrohttpd is given (or was given) end of file */
    HTTP_GATE_DROPPED         /* the request before it closed the connection: no answer */
};

struct http_gate {
    struct http_frame_stream fs;
    const struct http_frame_limits *lim;   /* borrowed, outlives the gate */
    char *held;               /* read, not yet given to MHD (owned; http_gate_release) */
    size_t held_len;
    size_t allowed;           /* vouched bytes at held's start not yet given */
    unsigned parts;           /* reads of the element being received */
    enum http_gate_bad bad;
    bool verdict_due;         /* bad carries a verdict to answer (not a peer's EOF) */
    bool bad_in_request;      /* the refused element is inside a request MHD already has */
    bool closing;             /* a request completed without keep-alive: MHD closes */
    unsigned long bad_req;    /* that request's number (1 = the connection's first); for a
                                 refused head, the number of the request before it */
    unsigned long done;       /* requests completed */
    struct http_frame_verdict verdict;
    unsigned body_timeout_ms; /* a request's body must be whole this long after its head
                                 was read (0 = no limit): else 408 (set after init) */
    int64_t body_since_ms;    /* CLOCK_MONOTONIC ms the current request's head was read;
                                 0 between requests */
    uint64_t rx;              /* bytes read from the socket so far (held ones included):
                                 http_park's idle check compares it instead of asking the
                                 kernel (TCP_INFO) after every request */
    /* Where the bytes come from (set after init): NULL = the socket (recvfrom); else
     * src(src_ctx, buf, len) with recv(2)'s results - n, 0 at end of file, -1 with errno
     * (EAGAIN only when nothing more can come before the socket is readable again): a TLS
     * session's decrypted bytes (http_tls.h). Such a gate is never given the socket's own
     * recv() calls (the TLS library's reads of ciphertext pass straight through). */
    ssize_t (*src)(void *src_ctx, void *buf, size_t len);
    void *src_ctx;
    /* With src: the socket's own recv(fd, .., 0) calls (the TLS library's reads of
     * ciphertext) go to raw(src_ctx, fd, ..) instead of straight to recvfrom (NULL). */
    ssize_t (*raw)(void *src_ctx, int fd, void *buf, size_t len);
};

/* A gate at the start of a connection's request stream (nothing read yet). */
void http_gate_init(struct http_gate *g, const struct http_frame_limits *lim);
/* Gate libmicrohttpd's reads of fd with g until http_gate_unregister(fd). False when fd is
 * beyond the table (RLIMIT_NOFILE at the first call, at most 2^20): then not gated. */
bool http_gate_register(int fd, struct http_gate *g);
void http_gate_unregister(int fd);
/* The gate registered for fd, or NULL. */
struct http_gate *http_gate_lookup(int fd);
/* One read through g for the reader of fd's request stream (the interposed recv() for
 * plain connections, http_tls.c for TLS ones): recv(2)'s results. */
ssize_t http_gate_read(struct http_gate *g, int fd, void *buf, size_t len);
/* Free what the gate holds (after http_gate_unregister). */
void http_gate_release(struct http_gate *g);
/* The request on the gate's connection completed; keepalive: libmicrohttpd keeps the
 * connection; answered: a response was queued for it. A pending refusal is then told to
 * libmicrohttpd (end of file, fd shut for reading) or, when the connection closes anyway,
 * dropped; a refusal inside a request that was answered early is dropped too. */
void http_gate_request_done(struct http_gate *g, int fd, bool keepalive, bool answered);
/* When libmicrohttpd closes the connection: a verdict the client must still get (one
 * well-framed answer, then close), or NULL. Besides a refusal: 408 when the gate holds
 * the start of a request head and nothing else explains the close (libmicrohttpd's
 * inactivity timeout: the client stalled inside the head; not after an end of file or
 * a request that ended the connection). Before http_gate_release. */
const struct http_frame_verdict *http_gate_answer_due(const struct http_gate *g);

#endif /* GW_HTTP_GATE_H */

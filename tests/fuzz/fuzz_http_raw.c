/* fuzz_http_raw.c - whole raw requests (request line, headers, body framing) through the
 * real HTTP front: a gateway started once per process on a loopback port
 * (tests/support/gw_inproc.h, no master: master calls answer 503 quickly), the input
 * written to a fresh connection and half-closed, the answer read until the gateway
 * closes - three times: as the connection's first bytes, as a keep-alive follow-up of a
 * GET /livez whose answer arrived, and pipelined behind that GET in one write. Asserted: the answer is zero or more well-framed responses and nothing else
 * (tests/support/raw_http.h), no more responses than request lines in the input, no
 * response after one that said "Connection: close" (every framing refusal does: a later
 * answer would be a request executed from refused body bytes - the seeds pipeline
 * GET /metrics behind such bodies), the GET's own 200 first when the input followed it,
 * and a close within the timeout (never a hang). libmicrohttpd's own error pages (two
 * header blocks) are no longer tolerated anywhere: the read gate (gateway/http_gate.h)
 * checks every request before libmicrohttpd parses it.
 * DMGW_FUZZ_TLS=1 runs it all over TLS (ctest fuzz/http_raw_tls replays the corpus so).
 * Crashes and leaks are the sanitizers'. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_inproc.h"
#include "raw_http.h"

#define ANSWER_TIMEOUT_MS 5000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_inproc *gw;

static char *cert_pem, *key_pem;   /* DMGW_FUZZ_TLS: the gateway's certificate */

static void stop_gateway(void)
{
    gw_inproc_stop(gw);
    free(cert_pem);
    free(key_pem);
}

/* Request lines the input could hold, plus one refusal of whatever is not one: an upper
 * bound on the answers. */
static unsigned request_lines(const uint8_t *d, size_t n)
{
    unsigned k = 1;
    for (size_t i = 0; i + 5 <= n; i++)
        k += memcmp(d + i, "HTTP/", 5) == 0;
    return k;
}

/* A response that says Connection: close ends the connection: anything after it was
 * executed from bytes the gateway refused to frame (a smuggled request). */
static bool answered_after_close(const struct raw_result *r)
{
    for (unsigned i = 0; i + 1 < r->nresp; i++)
        if (r->resp[i].conn_close)
            return true;
    return false;
}

/* A GET every input is also sent behind: as the connection's first request (its answer
 * read first: the input is a keep-alive follow-up) or in the same write (pipelined). */
static const char KEEPALIVE_GET[] = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
enum position { POS_FIRST, POS_FOLLOWUP, POS_PIPELINED };

static void exchange(enum position pos, const uint8_t *data, size_t size, struct raw_result *r)
{
    int port = gw_inproc_port(gw);
    size_t gl = sizeof(KEEPALIVE_GET) - 1;
    int rc = -1;
    if (pos == POS_FIRST) {
        rc = raw_exchange(port, data, size, true, ANSWER_TIMEOUT_MS, r);
    } else if (pos == POS_FOLLOWUP) {
        rc = raw_exchange_after(port, KEEPALIVE_GET, gl, data, size, true, ANSWER_TIMEOUT_MS, r);
    } else {
        char *both = malloc(gl + size + 1);
        if (!both)
            abort();
        memcpy(both, KEEPALIVE_GET, gl);
        memcpy(both + gl, data, size);
        rc = raw_exchange(port, both, gl + size, true, ANSWER_TIMEOUT_MS, r);
        free(both);
    }
    if (rc != 0)
        abort();
}

/* Final answers (1xx interim ones aside: libmicrohttpd sends 100 Continue to any HTTP/1.1
 * request with "Expect: 100-continue" that is not answered in the handler's first call,
 * bodiless ones included; RFC 9110 15.2 lets a server send it and requires clients to
 * take it). */
static unsigned final_answers(const struct raw_result *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->nresp; i++)
        n += r->resp[i].status >= 200;
    return n;
}

/* Zero or more well-framed answers and nothing else, at most one final per request line, none
 * after a Connection: close, a close within the timeout; behind the GET, its 200 first
 * and the connection kept. */
static void check(enum position pos, const uint8_t *data, size_t size, const struct raw_result *r)
{
    unsigned extra = pos == POS_FIRST ? 0 : 1;
    bool get_ok = pos == POS_FIRST ||
                  (r->nresp >= 1 && r->resp[0].status == 200 && !r->resp[0].conn_close);
    bool bad = r->malformed || !r->closed || final_answers(r) > request_lines(data, size) + extra ||
               answered_after_close(r) || !get_ok;
    if (bad) {
        static const char *const name[] = {"first", "follow-up", "pipelined"};
        fprintf(stderr, "fuzz_http_raw (%s): %s%s, %u answers to %u request lines:\n%s\n",
                name[pos], r->malformed ? "malformed answer: " : "",
                r->why ? r->why : (r->closed ? "" : "no close"), r->nresp,
                request_lines(data, size) + extra, r->bytes);
        abort();
    }
}

/* DMGW_FUZZ_TLS=1: the gateway serves HTTPS and every exchange is a TLS session (the read
 * gate on decrypted bytes, gateway/http_tls.h): the same assertions hold. */
static void start_gateway(void)
{
    struct gw_inproc_cfg c = {.master_port = 0, .secret = "fuzz-secret-fuzz-secret-fuzz-0123",
                              .max_body = 65536, .conn_timeout_s = 3, .park_after_s = 1};
    const char *tls = getenv("DMGW_FUZZ_TLS");
    if (tls && strcmp(tls, "1") == 0) {
        if (raw_tls_selfsigned(&cert_pem, &key_pem) != 0 || raw_http_tls(true) != 0)
            abort();
        c.tls_cert_pem = cert_pem;
        c.tls_key_pem = key_pem;
    }
    gw = gw_inproc_start(&c);
    if (!gw)
        abort();
    atexit(stop_gateway);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!gw)
        start_gateway();
    /* HEAD is served (GET without the body), and a bodiless answer cannot be framed from
     * the bytes alone (raw_http.h reads by Content-Length): the method is spelled HEAX
     * here, an unknown method answered with a body. HEAD itself: test_http_framing. */
    uint8_t *in = malloc(size ? size : 1);
    if (!in)
        abort();
    memcpy(in, data, size);
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(in + i, "HEAD", 4) == 0)
            in[i + 3] = 'X';
    for (enum position pos = POS_FIRST; pos <= POS_PIPELINED; pos++) {
        struct raw_result r;
        exchange(pos, in, size, &r);
        check(pos, in, size, &r);
        raw_result_free(&r);
    }
    free(in);
    return 0;
}

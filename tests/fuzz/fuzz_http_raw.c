/* fuzz_http_raw.c - whole raw requests (request line, headers, body framing) through the
 * real HTTP front: a gateway started once per process on a loopback port
 * (tests/support/gw_inproc.h, no master: master calls answer 503 quickly), the input
 * written to a fresh connection and half-closed, the answer read until the gateway
 * closes. Asserted: the answer is zero or more well-framed responses and nothing else
 * (tests/support/raw_http.h), no more responses than request lines in the input, no
 * response after one that said "Connection: close" (every framing refusal does: a later
 * answer would be a request executed from refused body bytes - the seeds pipeline
 * GET /metrics behind such bodies), and a close within the timeout (never a hang).
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

static void stop_gateway(void)
{
    gw_inproc_stop(gw);
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

/* Known and documented (docs/gateway.md "Framing and smuggling", Limits): a keep-alive
 * follow-up never passes the front, and libmicrohttpd 0.9.75 answers one it cannot parse
 * (Content-Length: +16, ...) with its own error page whose header block is written twice.
 * Tolerated only there: after a well-framed answer that kept the connection, an error
 * status without a Content-Type (ours always have one), then the close. */
static bool mhd_error_head(const char *h)
{
    const char *end = strstr(h, "\r\n\r\n");
    const char *ct = strstr(h, "Content-Type:");
    bool error = strncmp(h, "HTTP/1.1 4", 10) == 0 || strncmp(h, "HTTP/1.1 5", 10) == 0;
    return error && end && (!ct || ct > end);
}

static bool mhd_followup_error_page(const struct raw_result *r)
{
    if (!r->malformed || r->nresp == 0 || !r->closed)
        return false;
    for (unsigned i = 1; i < r->nresp; i++)   /* parsed through the doubled block */
        if (!r->resp[i - 1].conn_close && mhd_error_head(r->resp[i].head))
            return true;
    return !r->resp[r->nresp - 1].conn_close && mhd_error_head(r->bytes + r->parsed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!gw) {
        struct gw_inproc_cfg c = {.master_port = 0, .secret = "fuzz-secret-fuzz-secret-fuzz-0123",
                                  .max_body = 65536, .conn_timeout_s = 3, .park_after_s = 1};
        gw = gw_inproc_start(&c);
        if (!gw)
            abort();
        atexit(stop_gateway);
    }
    struct raw_result r;
    if (raw_exchange(gw_inproc_port(gw), data, size, true, ANSWER_TIMEOUT_MS, &r) != 0)
        abort();
    bool bad = (r.malformed && !mhd_followup_error_page(&r)) || !r.closed ||
               r.nresp > request_lines(data, size) || answered_after_close(&r);
    if (bad) {
        fprintf(stderr, "fuzz_http_raw: %s%s, %u answers to %u request lines:\n%s\n",
                r.malformed ? "malformed answer: " : "", r.why ? r.why : (r.closed ? "" : "no close"),
                r.nresp, request_lines(data, size), r.bytes);
        abort();
    }
    raw_result_free(&r);
    return 0;
}

/* http_client.c - see http_client.h */
#include "http_client.h"
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HC_MAX_ANSWER (8u << 20)

struct raw {
    char *p;
    size_t len, cap;
};

static int raw_reserve(struct raw *r, size_t more)
{
    if (r->len + more + 1 <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + more + 1)
        cap *= 2;
    char *np = realloc(r->p, cap);
    if (!np)
        return -1;
    r->p = np;
    r->cap = cap;
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static bool readable_within(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

/* Read into r until EOF, `until`, the deadline or the size cap. */
static void read_answer(int fd, struct raw *r, const char *until, long long deadline)
{
    for (;;) {
        if (until && r->p && strstr(r->p, until))
            return;
        long long left = deadline - tu_now_ms();
        if (left <= 0 || !readable_within(fd, (int)left))
            return;
        if (r->len >= HC_MAX_ANSWER || raw_reserve(r, 16384) != 0)
            return;
        ssize_t n = recv(fd, r->p + r->len, r->cap - r->len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        r->len += (size_t)n;
        r->p[r->len] = '\0';
    }
}

/* Decode a chunked body (as far as it goes) into out. */
static int dechunk(const char *p, size_t n, struct raw *out)
{
    size_t i = 0;
    while (i < n) {
        char *end = NULL;
        unsigned long sz = strtoul(p + i, &end, 16);
        const char *crlf = memmem(p + i, n - i, "\r\n", 2);
        if (!crlf || !end || end == p + i)
            break;
        i = (size_t)(crlf - p) + 2;
        if (sz == 0)
            break;
        size_t take = sz < n - i ? sz : n - i;
        if (raw_reserve(out, take) != 0)
            return -1;
        memcpy(out->p + out->len, p + i, take);
        out->len += take;
        i += take + 2;
    }
    return 0;
}

static bool is_chunked(const char *headers)
{
    for (const char *h = headers; (h = strcasestr(h, "transfer-encoding:")) != NULL; h++) {
        const char *eol = strstr(h, "\r\n");
        const char *c = strcasestr(h, "chunked");
        if (c && (!eol || c < eol))
            return true;
    }
    return false;
}

static int split_answer(const struct raw *r, struct hc_response *out)
{
    const char *hend = r->p ? strstr(r->p, "\r\n\r\n") : NULL;
    if (!hend || sscanf(r->p, "HTTP/1.%*d %d", &out->status) != 1)
        return -1;
    const char *hstart = strstr(r->p, "\r\n") + 2;
    size_t hlen = (size_t)(hend - hstart) + 2;
    out->headers = strndup(hstart, hlen);
    const char *b = hend + 4;
    size_t blen = r->len - (size_t)(b - r->p);
    struct raw body = {0};
    int rc = raw_reserve(&body, blen);
    if (rc == 0 && out->headers && is_chunked(out->headers)) {
        rc = dechunk(b, blen, &body);
    } else if (rc == 0) {
        memcpy(body.p, b, blen);
        body.len = blen;
    }
    if (rc != 0 || !out->headers) {
        free(body.p);
        return -1;
    }
    body.p[body.len] = '\0';
    out->body = body.p;
    out->body_len = body.len;
    return 0;
}

int hc_request(const struct hc_request *rq, struct hc_response *out)
{
    memset(out, 0, sizeof(*out));
    long long deadline = tu_now_ms() + (rq->timeout_ms > 0 ? rq->timeout_ms : 10000);
    int fd = tu_connect_lo(rq->port);
    if (fd < 0)
        return -1;
    struct raw req = {0}, ans = {0};
    int ret = -1;
    char head[1024];
    int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
                     rq->method, rq->target);
    const char *extra = rq->headers ? rq->headers : "";
    char clen[64] = "";
    if (rq->body)
        snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", rq->body_len);
    size_t hl = (size_t)n + strlen(extra) + strlen(clen) + 2;
    if (n < 0 || (size_t)n >= sizeof(head) || raw_reserve(&req, hl + rq->body_len) != 0)
        goto out;
    req.len = (size_t)snprintf(req.p, req.cap, "%s%s%s\r\n", head, extra, clen);
    bool late_body = rq->body && rq->body_len > HC_EARLY_ANSWER_BYTES;
    if (rq->body && !late_body) {
        memcpy(req.p + req.len, rq->body, rq->body_len);
        req.len += rq->body_len;
    }
    if (send_all(fd, req.p, req.len) != 0)
        goto out;
    if (late_body && !readable_within(fd, 300))
        (void)send_all(fd, rq->body, rq->body_len);   /* an early answer may close first */
    read_answer(fd, &ans, rq->until, deadline);
    ret = split_answer(&ans, out);
out:
    close(fd);
    free(req.p);
    free(ans.p);
    if (ret != 0)
        hc_response_free(out);
    return ret;
}

void hc_response_free(struct hc_response *r)
{
    free(r->headers);
    free(r->body);
    r->headers = NULL;
    r->body = NULL;
    r->body_len = 0;
}

int hc_header(const struct hc_response *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *h = r->headers; h && *h;) {
        const char *eol = strstr(h, "\r\n");
        size_t len = eol ? (size_t)(eol - h) : strlen(h);
        if (len > nl && strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            const char *v = h + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vl = len - (size_t)(v - h);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            snprintf(out, cap, "%.*s", (int)vl, v);
            return 0;
        }
        if (!eol)
            break;
        h = eol + 2;
    }
    return -1;
}

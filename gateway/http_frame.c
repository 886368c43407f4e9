/* http_frame.c - see http_frame.h */
#include "http_frame.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "route_ctx.h"

#define MAX_LEADING_CRLF 4   /* empty lines tolerated before a request line (RFC 9112 2.2) */

static void reject(struct http_frame_verdict *v, int status, const char *detail)
{
    v->status = status;
    v->detail = detail;
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field-value bytes: visible ASCII, obs-text, SP, HTAB; never NUL, CR, LF or other CTLs. */
static bool value_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static bool hexdig(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* IP-literal without its brackets: an IPv6 address (no zone, no IPvFuture). */
static bool ipv6_ok(const char *s, size_t n)
{
    char buf[INET6_ADDRSTRLEN];
    unsigned char a[16];
    if (n < 2 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, a) == 1;
}

/* reg-name (IPv4 is one): unreserved / pct-encoded / sub-delims (RFC 3986 3.2.2). */
static bool reg_name_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || !hexdig((unsigned char)s[i + 1]) || !hexdig((unsigned char)s[i + 2]))
                return false;
            i += 2;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c && strchr("-._~!$&'()*+,;=", c));
        if (!ok)
            return false;
    }
    return true;
}

/* uri-host [ ":" port ] (RFC 9110 7.2): a reg-name or IPv4, or an IPv6 literal in
 * brackets; the port 0-65535 in at most 5 digits (none after the colon is allowed). */
static bool host_ok(const char *s, size_t n)
{
    size_t h = n;   /* end of the host */
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || !ipv6_ok(s + 1, (size_t)(close - s) - 1))
            return false;
        h = (size_t)(close - s) + 1;
        if (h < n && s[h] != ':')
            return false;
    } else {
        const char *colon = memchr(s, ':', n);
        h = colon ? (size_t)(colon - s) : n;
        if (!reg_name_ok(s, h))
            return false;
    }
    if (h == n)
        return true;
    size_t pl = n - h - 1;   /* the port after ':' */
    unsigned long port = 0;
    if (pl > 5)
        return false;
    for (size_t i = h + 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    return port <= 65535;
}

/* ---------- field rules ---------- */

void http_frame_fields_init(struct http_frame_fields *f)
{
    memset(f, 0, sizeof(*f));
}

static void trim_ows(const char **v, size_t *n)
{
    while (*n && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*n)--;
    }
    while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
        (*n)--;
}

static void field_error(struct http_frame_fields *f, int status, const char *detail)
{
    if (!f->status) {
        f->status = status;
        f->detail = detail;
    }
}

static void content_length(struct http_frame_fields *f, const char *v, size_t n)
{
    f->n_cl++;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            field_error(f, 400, "Content-Length must be one decimal number");
            return;
        }
        if (x > (UINT64_MAX - 9) / 10) {
            field_error(f, 413, "Content-Length is too large");
            return;
        }
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (n == 0)
        field_error(f, 400, "Content-Length must be one decimal number");
    f->content_length = x;
}

/* libmicrohttpd parses every Cookie header into its connection pool: a copy of the value
 * plus one record per pair (pairs end at ';' or ','). Unchecked, 500 bytes of "a;a;..."
 * or an 8 KiB cookie exhausted the pool: no answer, or an HTML 431 sent with its status
 * line twice. Each pair counts as a header field and its bytes count twice against the
 * header size (check_head). The gateway itself never reads cookies. */
static void cookie(struct http_frame_fields *f, const struct http_frame_limits *lim,
                   const char *v, size_t n)
{
    unsigned pairs = 1;
    for (size_t i = 0; i < n; i++)
        pairs += v[i] == ';' || v[i] == ',';
    f->n_cookies += pairs;
    f->cookie_bytes += n;
    if (lim->max_headers && f->n_fields + f->n_cookies > lim->max_headers)
        field_error(f, 431, "too many header fields (each cookie counts as one)");
    if (f->cookie_bytes > lim->max_head / 2)
        field_error(f, 431, "Cookie header too large");
}

/* Fields the gateway reads as ONE value (libmicrohttpd's lookup returns the first line):
 * a second line would be read differently by a proxy or WAF in front that takes the last
 * one or joins them (a body checked as YAML and parsed as JSON, a write deduplicated under
 * another Idempotency-Key, a CORS verdict on another Origin). Refused like a second
 * Authorization; If-Match / If-None-Match are lists (RFC 9110 5.3): one line with a
 * comma-separated list is the way to send several. Content-Encoding is not here: every
 * line of it is read (media_phase, http_req.c). */
static const struct {
    const char *name, *detail;
} ONCE_FIELDS[] = {
    {"content-type", "more than one Content-Type"},
    {"idempotency-key", "more than one Idempotency-Key"},
    {"if-match", "more than one If-Match (send one comma-separated list)"},
    {"if-none-match", "more than one If-None-Match (send one comma-separated list)"},
    {"last-event-id", "more than one Last-Event-ID"},
    {"origin", "more than one Origin"},
    {"x-request-id", "more than one X-Request-Id"},
};

static void once_field(struct http_frame_fields *f, const char *name, size_t nlen)
{
    for (unsigned i = 0; i < sizeof(ONCE_FIELDS) / sizeof(ONCE_FIELDS[0]); i++) {
        if (!name_is(name, nlen, ONCE_FIELDS[i].name))
            continue;
        if ((f->once_seen & (1u << i)) && !f->once_dup)
            f->once_dup = ONCE_FIELDS[i].detail;
        f->once_seen |= 1u << i;
        return;
    }
}

void http_frame_field(struct http_frame_fields *f, const struct http_frame_limits *lim,
                      const char *name, size_t nlen, const char *value, size_t vlen)
{
    f->n_fields++;
    if (lim->max_headers && f->n_fields > lim->max_headers)
        field_error(f, 431, "too many header fields");
    bool name_ok = nlen > 0;
    for (size_t i = 0; i < nlen && name_ok; i++)
        name_ok = is_tchar((unsigned char)name[i]);
    if (!name_ok)
        field_error(f, 400, "invalid header field name (no whitespace before the colon)");
    if (!value_ok(value, vlen))
        field_error(f, 400, "control character or NUL in a header field");
    bool framing = name_is(name, nlen, "content-length") || name_is(name, nlen, "transfer-encoding");
    /* libmicrohttpd skips whitespace before a value, not after it: "chunked " is not
     * chunked to it (it reads the body until the connection closes) and "16 " is no
     * length (its own HTML 400). Both would be read differently here. */
    if (framing && vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
        field_error(f, 400, "whitespace after a Content-Length or Transfer-Encoding value");
    trim_ows(&value, &vlen);
    if (name_is(name, nlen, "cookie"))
        cookie(f, lim, value, vlen);
    if (name_is(name, nlen, "content-length")) {
        content_length(f, value, vlen);
    } else if (name_is(name, nlen, "transfer-encoding")) {
        f->n_te++;
        f->te_chunked = f->n_te == 1 && name_is(value, vlen, "chunked");
    } else if (name_is(name, nlen, "host")) {
        f->n_host++;
        f->host = value;
        f->host_len = vlen;
        if (!host_ok(value, vlen))
            field_error(f, 400, "invalid Host");
    } else if (name_is(name, nlen, "authorization")) {
        f->n_authz++;
    } else {
        once_field(f, name, nlen);
    }
    if (name_is(name, nlen, "expect") && !name_is(value, vlen, "100-continue")) {
        /* RFC 9110 10.1.1: an expectation the server cannot meet (libmicrohttpd ignored
         * it and served the request) */
        field_error(f, 417, "the only expectation supported is Expect: 100-continue");
    }
}

/* Body framing: one Content-Length or exactly "Transfer-Encoding: chunked", never both. */
static void framing_rules(const struct http_frame_fields *f, int minor, struct http_frame_verdict *v)
{
    if (f->n_cl > 1)
        reject(v, 400, "more than one Content-Length");
    else if (f->n_te && f->n_cl)
        reject(v, 400, "Content-Length together with Transfer-Encoding");
    else if (f->n_te && minor == 0)
        reject(v, 400, "Transfer-Encoding in an HTTP/1.0 request");
    else if (f->n_te > 1)
        reject(v, 400, "more than one Transfer-Encoding");
    else if (f->n_te && !f->te_chunked)
        reject(v, 501, "only the transfer coding \"chunked\" is supported");
    else if (f->n_host > 1)
        reject(v, 400, "more than one Host");
    else if (minor == 1 && f->n_host == 0)
        reject(v, 400, "an HTTP/1.1 request needs a Host");
    else if (f->n_authz > 1)
        reject(v, 400, "more than one Authorization");
    else if (f->once_dup)
        reject(v, 400, f->once_dup);
}

/* origin-form, "*", or absolute-form http(s)://authority/path. */
static void target_form(const char *t, size_t n,
                        struct http_frame_verdict *v)
{
    if (t[0] == '/' || (n == 1 && t[0] == '*'))
        return;
    size_t skip = n >= 7 && strncasecmp(t, "http://", 7) == 0     ? 7
                  : n >= 8 && strncasecmp(t, "https://", 8) == 0 ? 8
                                                                   : 0;
    if (!skip) {
        reject(v, 400, "the request target must be a path or an absolute http URI");
        return;
    }
    size_t a = skip;
    while (a < n && t[a] != '/' && t[a] != '?' && t[a] != '#')
        a++;
    const char *auth = t + skip;
    size_t alen = a - skip;
    /* RFC 9112 3.2.2: the target's authority wins over Host; one virtual host here */
    if (alen == 0 || !host_ok(auth, alen) || memchr(auth, '@', alen) || a == n || t[a] != '/')
        reject(v, 400, "absolute-form target: host and path needed, no user info");
    else
        v->target_off = a;
}

static void target_rules(const struct http_frame_limits *lim, const char *t, size_t n,
                         struct http_frame_verdict *v)
{
    if (n == 0) {
        reject(v, 400, "empty request target");
        return;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f) {
            reject(v, 400, "control character, space or NUL in the request target");
            return;
        }
    target_form(t, n, v);
    if (v->status)
        return;
    const char *q = memchr(t, '?', n);
    unsigned params = 0;
    for (const char *p = q; p && p < t + n && *p != '#'; p++)
        params += (*p == '?' || *p == '&');
    if (lim->max_query && params > lim->max_query)
        reject(v, 414, "too many query parameters");
}

int http_frame_target(const struct http_frame_limits *lim, const char *target, size_t tlen,
                      struct http_frame_verdict *v)
{
    memset(v, 0, sizeof(*v));
    target_rules(lim, target, tlen, v);
    return v->status;
}

int http_frame_finish(const struct http_frame_fields *f, const struct http_frame_limits *lim,
                      int minor, const char *target, size_t tlen, struct http_frame_verdict *v)
{
    memset(v, 0, sizeof(*v));
    if (f->status)
        reject(v, f->status, f->detail);
    else
        framing_rules(f, minor, v);
    if (!v->status)
        target_rules(lim, target, tlen, v);
    return v->status;
}

/* ---------- raw bytes ---------- */

/* One line [*pos, '\n'): must end in CRLF, no other CR. Returns its length without the
 * CRLF and moves *pos past it; -1 incomplete; -2 bare CR or LF. */
static long next_line(const char *b, size_t len, size_t *pos)
{
    const char *lf = memchr(b + *pos, '\n', len - *pos);
    if (!lf)
        return -1;
    size_t end = (size_t)(lf - b);
    if (end == *pos || b[end - 1] != '\r')
        return -2;
    if (memchr(b + *pos, '\r', end - 1 - *pos))
        return -2;
    long n = (long)(end - 1 - *pos);
    *pos = end + 1;
    return n;
}

struct req_line {
    const char *target;
    size_t tlen;
    int minor;
};

/* method SP request-target SP HTTP/1.x */
static void request_line(const char *s, size_t n, struct req_line *rl, struct http_frame_verdict *v)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ' ') {
        reject(v, 400, "malformed request line");
        return;
    }
    const char *sp = memchr(s + i + 1, ' ', n - i - 1);
    if (!sp) {
        reject(v, 400, "malformed request line");
        return;
    }
    rl->target = s + i + 1;
    rl->tlen = (size_t)(sp - rl->target);
    const char *ver = sp + 1;
    size_t vl = (size_t)(s + n - ver);
    if (vl != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[6] != '.' || ver[5] < '0' ||
        ver[5] > '9' || ver[7] < '0' || ver[7] > '9')
        reject(v, 400, "malformed request line");
    else if (ver[5] != '1' || ver[7] > '1')
        reject(v, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
    else
        rl->minor = ver[7] - '0';
}

/* A header line "name:value" (nothing between name and colon). */
static void header_line(struct http_frame_fields *f, const struct http_frame_limits *lim,
                        const char *s, size_t n, struct http_frame_verdict *v)
{
    if (s[0] == ' ' || s[0] == '\t') {
        reject(v, 400, "obsolete line folding in the header");
        return;
    }
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        reject(v, 400, "header line without a colon");
        return;
    }
    size_t nl = (size_t)(colon - s);
    http_frame_field(f, lim, s, nl, colon + 1, n - nl - 1);
}

/* One chunk line at b[*pos..n): size within the body limit (total so far included), a
 * short extension right behind the size (libmicrohttpd refuses "5 ;x" and "5 " with its
 * own HTML page, so no whitespace: RFC 9112's BWS is refused here), CRLF. Moves *pos
 * past it and sets *size. */
static enum http_frame_rc chunk_line(const char *b, size_t n, size_t *pos, uint64_t total,
                                     const struct http_frame_limits *lim, uint64_t *size,
                                     struct http_frame_verdict *v)
{
    size_t start = *pos, p = *pos;
    uint64_t sz = 0;
    while (p < n && b[p] && strchr("0123456789abcdefABCDEF", b[p])) {
        unsigned d = (unsigned)(b[p] <= '9' ? b[p] - '0' : (b[p] | 0x20) - 'a' + 10);
        sz = sz * 16 + d;
        if (sz > lim->max_body || total + sz > lim->max_body) {
            reject(v, 413, "chunk size over the body limit");
            return HTTP_FRAME_BAD;
        }
        p++;
    }
    const char *lf = memchr(b + p, '\n', n - p);
    size_t line_end = lf ? (size_t)(lf - b) + 1 : n;
    if (line_end - start > HTTP_FRAME_MAX_CHUNK_LINE) {
        reject(v, 400, "chunk extensions too long");
        return HTTP_FRAME_BAD;
    }
    if (!lf)
        return HTTP_FRAME_MORE;
    if (p == start || line_end < p + 2 || b[line_end - 2] != '\r' ||
        !value_ok(b + p, line_end - 2 - p) || (p < line_end - 2 && b[p] != ';')) {
        reject(v, 400, "invalid chunk size line");
        return HTTP_FRAME_BAD;
    }
    *size = sz;
    *pos = line_end;
    return HTTP_FRAME_OK;
}

/* Can the first bytes of an incomplete request line still become one? A method is
 * tchars up to the first space; anything else (a TLS ClientHello, binary junk) is refused
 * at once instead of waiting connection-timeout for a line end that never comes. */
static bool method_prefix_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    return i == n || (i > 0 && s[i] == ' ') || (i == n - 1 && s[i] == '\r');
}

/* The header block from *pos: request line, fields, empty line. */
static enum http_frame_rc check_head(const char *b, size_t len, size_t *pos,
                                     const struct http_frame_limits *lim,
                                     struct http_frame_fields *f, struct http_frame_verdict *v)
{
    struct req_line rl = {NULL, 0, 0};
    size_t p = *pos;
    for (bool first = true;; first = false) {
        size_t ls = p;
        long n = next_line(b, len, &p);
        if (n == -1 && first && !method_prefix_ok(b + ls, len - ls)) {
            reject(v, 400, "malformed request line");   /* binary, a TLS hello: no waiting */
            return HTTP_FRAME_BAD;
        }
        if (n == -1 && len - *pos <= lim->max_head)
            return HTTP_FRAME_MORE;
        if (n == -2) {
            reject(v, 400, "bare CR or LF in the request header");
            return HTTP_FRAME_BAD;
        }
        if (n == -1 || p - *pos > lim->max_head) {   /* the request line alone: 414 */
            if (first)
                reject(v, 414, "request line (target) too long");
            else
                reject(v, 431, "request header too large");
            return HTTP_FRAME_BAD;
        }
        if (n == 0 && !first)
            break;
        if (first)
            request_line(b + ls, (size_t)n, &rl, v);
        else if (n > 0)
            header_line(f, lim, b + ls, (size_t)n, v);
        if (v->status || (first && n == 0)) {
            if (!v->status)
                reject(v, 400, "malformed request line");
            return HTTP_FRAME_BAD;
        }
    }
    if (p - *pos + f->cookie_bytes > lim->max_head) {
        reject(v, 431, "request header too large (Cookie bytes count twice)");
        return HTTP_FRAME_BAD;
    }
    *pos = p;
    return http_frame_finish(f, lim, rl.minor, rl.target, rl.tlen, v) ? HTTP_FRAME_BAD
                                                                     : HTTP_FRAME_OK;
}

/* ---------- a connection's byte stream ---------- */

enum { FS_HEAD = 0, FS_BODY, FS_CHUNK_LINE, FS_CHUNK_DATA, FS_CHUNK_CRLF, FS_TRAILER };

void http_frame_stream_init(struct http_frame_stream *s)
{
    memset(s, 0, sizeof(*s));
}

bool http_frame_stream_at_request(const struct http_frame_stream *s)
{
    return s->st == FS_HEAD;
}

uint64_t http_frame_stream_data_left(const struct http_frame_stream *s)
{
    return s->st == FS_BODY || s->st == FS_CHUNK_DATA ? s->remain : 0;
}

/* Up to MAX_LEADING_CRLF empty lines, then a whole acceptable head; the body framing it
 * announces becomes the next state. */
static enum http_frame_rc stream_head(struct http_frame_stream *s, const char *b, size_t len,
                                      size_t *pos, const struct http_frame_limits *lim,
                                      struct http_frame_verdict *v)
{
    size_t p = *pos;
    for (int i = 0; i < MAX_LEADING_CRLF && p < len && b[p] == '\r'; i++) {
        if (len - p < 2)
            return HTTP_FRAME_MORE;
        if (b[p + 1] != '\n')
            break;
        p += 2;
    }
    struct http_frame_fields f;
    http_frame_fields_init(&f);
    size_t start = p;
    enum http_frame_rc rc = check_head(b, len, &p, lim, &f, v);
    if (rc != HTTP_FRAME_OK)
        return rc;
    s->heads++;
    s->head_bytes = p - start + f.cookie_bytes;
    s->head_fields = f.n_fields + f.n_cookies;
    s->body_total = 0;
    s->remain = f.content_length;
    s->st = f.te_chunked ? FS_CHUNK_LINE : f.content_length ? FS_BODY : FS_HEAD;
    *pos = p;
    return HTTP_FRAME_OK;
}

/* Body bytes: counted, never looked at. */
static void stream_data(struct http_frame_stream *s, size_t avail, size_t *pos)
{
    uint64_t take = s->remain < avail ? s->remain : avail;
    s->remain -= take;
    *pos += (size_t)take;
    if (s->remain == 0)
        s->st = s->st == FS_BODY ? FS_HEAD : FS_CHUNK_CRLF;
}

static enum http_frame_rc stream_chunk_line(struct http_frame_stream *s, const char *b, size_t len,
                                            size_t *pos, const struct http_frame_limits *lim,
                                            struct http_frame_verdict *v)
{
    uint64_t sz = 0;
    enum http_frame_rc rc = chunk_line(b, len, pos, s->body_total, lim, &sz, v);
    if (rc == HTTP_FRAME_OK) {
        s->body_total += sz;
        s->remain = sz;
        s->trailer = 0;
        s->trailer_fields = 0;
        s->st = sz ? FS_CHUNK_DATA : FS_TRAILER;
    }
    return rc;
}

static enum http_frame_rc stream_chunk_crlf(struct http_frame_stream *s, const char *b, size_t len,
                                            size_t *pos, struct http_frame_verdict *v)
{
    size_t p = *pos;
    if (b[p] != '\r' || (len - p >= 2 && b[p + 1] != '\n')) {
        reject(v, 400, "chunk data not followed by CRLF");
        return HTTP_FRAME_BAD;
    }
    if (len - p < 2)
        return HTTP_FRAME_MORE;
    *pos = p + 2;
    s->st = FS_CHUNK_LINE;
    return HTTP_FRAME_OK;
}

/* Trailer fields after the last chunk, one line per call: header-line syntax; the head and
 * the trailer together within the head's limits (bytes and fields: libmicrohttpd keeps
 * both in the connection's pool, sized for one head - 300 short trailer fields used to
 * overflow it and get its HTML 431, gwattack4); the empty line ends the request. */
static enum http_frame_rc stream_trailer(struct http_frame_stream *s, const char *b, size_t len,
                                         size_t *pos, const struct http_frame_limits *lim,
                                         struct http_frame_verdict *v)
{
    size_t p = *pos;
    long n = next_line(b, len, &p);
    size_t used = s->head_bytes + s->trailer;
    if (n == -1 && used + (len - *pos) <= lim->max_head)
        return HTTP_FRAME_MORE;
    if (n == -2 || n == -1 || used + (p - *pos) > lim->max_head) {
        reject(v, n == -2 ? 400 : 431, n == -2 ? "bare CR or LF in the chunked trailer"
                                               : "chunked trailer too large");
        return HTTP_FRAME_BAD;
    }
    if (n > 0) {
        struct http_frame_fields f;
        http_frame_fields_init(&f);
        header_line(&f, lim, b + *pos, (size_t)n, v);
        if (v->status || f.status) {
            if (!v->status)
                reject(v, f.status, f.detail);
            return HTTP_FRAME_BAD;
        }
        s->trailer_fields += 1 + f.n_cookies;
        s->trailer += f.cookie_bytes;
        if (lim->max_headers && s->head_fields + s->trailer_fields > lim->max_headers) {
            reject(v, 431, "too many header and chunked trailer fields");
            return HTTP_FRAME_BAD;
        }
    }
    s->trailer += p - *pos;
    s->st = n == 0 ? FS_HEAD : FS_TRAILER;
    *pos = p;
    return HTTP_FRAME_OK;
}

/* one_request: stop where the next request would begin. */
static enum http_frame_rc stream_scan(struct http_frame_stream *s, const char *buf, size_t len,
                                      const struct http_frame_limits *lim, bool one_request,
                                      size_t *vouched, struct http_frame_verdict *v)
{
    memset(v, 0, sizeof(*v));
    size_t p = 0;
    enum http_frame_rc rc = HTTP_FRAME_OK;
    while (p < len && rc == HTTP_FRAME_OK && !(one_request && s->st == FS_HEAD)) {
        switch (s->st) {
        case FS_HEAD:
            rc = stream_head(s, buf, len, &p, lim, v);
            break;
        case FS_BODY:
        case FS_CHUNK_DATA:
            stream_data(s, len - p, &p);
            break;
        case FS_CHUNK_LINE:
            rc = stream_chunk_line(s, buf, len, &p, lim, v);
            break;
        case FS_CHUNK_CRLF:
            rc = stream_chunk_crlf(s, buf, len, &p, v);
            break;
        default:
            rc = stream_trailer(s, buf, len, &p, lim, v);
            break;
        }
    }
    *vouched = p;
    return rc;
}

enum http_frame_rc http_frame_stream_scan(struct http_frame_stream *s, const char *buf, size_t len,
                                          const struct http_frame_limits *lim, size_t *vouched,
                                          struct http_frame_verdict *v)
{
    return stream_scan(s, buf, len, lim, false, vouched, v);
}

enum http_frame_rc http_frame_check_raw(const char *buf, size_t len,
                                        const struct http_frame_limits *lim,
                                        struct http_frame_verdict *v)
{
    memset(v, 0, sizeof(*v));
    struct http_frame_stream s;
    http_frame_stream_init(&s);
    size_t n = 0;
    enum http_frame_rc rc = stream_head(&s, buf, len, &n, lim, v);
    if (rc != HTTP_FRAME_OK || s.st != FS_CHUNK_LINE)
        return rc;
    /* chunk lines already received: MORE only while a chunk line is being received; the
     * data still coming and the trailer are the stream check's (http_gate.h) */
    size_t used = 0;
    rc = stream_scan(&s, buf + n, len - n, lim, true, &used, v);
    return rc == HTTP_FRAME_MORE && s.st != FS_CHUNK_LINE ? HTTP_FRAME_OK : rc;
}

/* ---------- the answer ---------- */

size_t http_frame_answer(char *out, size_t cap, int status, const char *detail,
                         const char *request_id)
{
    struct dm_buf body;
    dm_buf_init(&body, 4096);
    size_t n = 0;
    char sec[256] = "";   /* the API answers' security headers (route_ctx.h) */
    size_t sl = 0;
    for (size_t i = 0; i < ROUTE_API_HEADERS_N && sl < sizeof(sec); i++) {
        int k = snprintf(sec + sl, sizeof(sec) - sl, "%s: %s\r\n", route_api_headers[i].key,
                         route_api_headers[i].value);
        sl += k > 0 ? (size_t)k : 0;
    }
    if (sl < sizeof(sec) && route_problem_json(&body, status, "", request_id, detail) == 0) {
        const char *reason = MHD_get_reason_phrase_for((unsigned)status);
        int w = snprintf(out, cap,
                         "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n"
                         "%sX-Request-Id: %s\r\n\r\n%.*s",
                         status, reason && *reason ? reason : "Error", body.len, sec, request_id,
                         (int)body.len, body.data ? body.data : "");
        n = w > 0 && (size_t)w < cap ? (size_t)w : 0;
    }
    dm_buf_free(&body);
    return n;
}

/* assets.c - serving the embedded browser files (assets.h). */
#include "assets.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "dm_assert.h"
#include "hash.h"

#define ASSET_MAX 32
#define ETAG_LEN 24   /* "\"" + 16 hex + "-gz" + "\"" + NUL */

/* Everything a page may load comes from this gateway. /docs allows inline styles because
 * Swagger UI sets style attributes; inline scripts are never allowed. */
#define ASSET_CSP "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
                  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "         \
                  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
/* The console builds its DOM with createElement/textContent and styles only through the
 * CSSOM: no inline style and no data: image, and Trusted Types with no policy turn every
 * string-to-HTML sink (innerHTML, insertAdjacentHTML, ...) into an error, so a future
 * HTML-string slip fails loudly instead of becoming an injection. */
#define CONSOLE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
                    "connect-src 'self'; base-uri 'none'; form-action 'self'; "                \
                    "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
/* Browser features no page of the gateway uses. */
#define ASSET_PERMISSIONS "camera=(), microphone=(), geolocation=(), usb=(), payment=()"

static char g_etags[ASSET_MAX][2][ETAG_LEN];   /* [identity, gzip] */
static pthread_once_t g_etags_once = PTHREAD_ONCE_INIT;

static size_t asset_len(const struct asset_file *a)
{
    return (size_t)((uintptr_t)a->end - (uintptr_t)a->start);
}

static size_t asset_gz_len(const struct asset_file *a)
{
    return (size_t)((uintptr_t)a->gz_end - (uintptr_t)a->gz_start);
}

static void etags_init(void)
{
    DM_ASSERT(assets_table_len <= ASSET_MAX);
    for (size_t i = 0; i < assets_table_len; i++) {
        const struct asset_file *a = &assets_table[i];
        uint64_t h = dm_fnv1a64(DM_FNV64_INIT, a->start, asset_len(a));
        snprintf(g_etags[i][0], ETAG_LEN, "\"%016" PRIx64 "\"", h);
        snprintf(g_etags[i][1], ETAG_LEN, "\"%016" PRIx64 "-gz\"", h);
    }
}

const struct asset_file *asset_find(const char *name)
{
    for (size_t i = 0; i < assets_table_len; i++)
        if (strcmp(assets_table[i].name, name) == 0)
            return &assets_table[i];
    return NULL;
}

const char *asset_etag(const struct asset_file *a, bool gz)
{
    pthread_once(&g_etags_once, etags_init);
    return g_etags[a - assets_table][gz ? 1 : 0];
}

/* ---------- Accept-Encoding (RFC 9110 12.5.3) ---------- */

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A qvalue at p ("0", "0.5", "1", "1.000"): thousandths, or -1 when unreadable. */
static int parse_qvalue(const char *p, const char **end)
{
    if (*p != '0' && *p != '1')
        return -1;
    int q = (*p++ - '0') * 1000, scale = 100;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p) && scale > 0; p++, scale /= 10)
            q += (*p - '0') * scale;
    *end = p;
    return q > 1000 ? -1 : q;
}

/* The q (thousandths) of one list element [p, e): its ";q=" parameter, 1000 without one,
 * 0 when unreadable (an element we cannot read allows nothing). */
static int element_q(const char *p, const char *e)
{
    const char *semi = memchr(p, ';', (size_t)(e - p));
    while (semi) {
        const char *v = skip_ows(semi + 1), *end = v;
        if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=') {
            int q = parse_qvalue(v + 2, &end);
            end = skip_ows(end);
            return q < 0 || (end < e && *end != ';') ? 0 : q;
        }
        semi = memchr(semi + 1, ';', (size_t)(e - semi - 1));
    }
    return 1000;
}

/* The q of coding `name` in list `ae`: thousandths, -1 when not listed. */
static int coding_q(const char *ae, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = ae; *p;) {
        p = skip_ows(p);
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        size_t tlen = strcspn(p, ",; \t");
        if (tlen == nlen && strncasecmp(p, name, nlen) == 0)
            return element_q(p, e);
        p = *e ? e + 1 : e;
    }
    return -1;
}

bool asset_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    int qg = coding_q(ae, "gzip");
    if (qg < 0)
        qg = coding_q(ae, "x-gzip");
    if (qg < 0)
        qg = coding_q(ae, "*");
    int qi = coding_q(ae, "identity");
    return qg > 0 && (qi < 0 || qg >= qi);
}

/* The security headers of every page and file: CSP `csp`, no sniffing, no framing, no
 * referrer, no opener across origins, no other origin embedding the file. */
static void security_headers(struct route_ctx *c, const char *csp)
{
    route_header(c, "X-Content-Type-Options", "nosniff");
    route_header(c, "Content-Security-Policy", csp);
    route_header(c, "Referrer-Policy", "no-referrer");
    route_header(c, "X-Frame-Options", "DENY");   /* frame-ancestors for old browsers */
    route_header(c, "Cross-Origin-Opener-Policy", "same-origin");
    route_header(c, "Cross-Origin-Resource-Policy", "same-origin");
    route_header(c, "Permissions-Policy", ASSET_PERMISSIONS);
}

/* The file in the encoding the request accepts: gzip when allowed and smaller. `csp`:
 * the browser security headers with that policy; NULL: none here (an API document: the
 * transport adds the API answers' own, route_ctx.h). HEAD: the same headers (the
 * transport sends no body). */
static enum route_rc send_file(struct route_ctx *c, const struct asset_file *a, const char *csp)
{
    bool gz = asset_gz_len(a) < asset_len(a) && asset_accepts_gzip(c->req.accept_encoding);
    const char *etag = asset_etag(a, gz);
    route_header(c, "ETag", etag);
    route_header(c, "Vary", "Accept-Encoding");
    route_header(c, "Cache-Control", "no-cache");   /* revalidate: 304 while unchanged */
    if (csp)
        security_headers(c, csp);
    if (c->req.if_none_match && taskcfg_if_none_match(c->req.if_none_match, etag))
        return route_text(c, 304, NULL, "", 0);
    if (!gz)
        return route_text(c, 200, a->content_type, (const char *)a->start, asset_len(a));
    route_header(c, "Content-Encoding", "gzip");
    return route_text(c, 200, a->content_type, (const char *)a->gz_start, asset_gz_len(a));
}

static enum route_rc send_asset(struct route_ctx *c, const struct asset_file *a)
{
    return send_file(c, a, strncmp(a->name, "app/", 4) == 0 ? CONSOLE_CSP : ASSET_CSP);
}

/* ---------- the OpenAPI documents (converted and compressed at build time) ---------- */

static enum route_rc send_document(struct route_ctx *c, const char *name)
{
    const struct asset_file *a = asset_find(name);
    if (!a)
        return route_problem(c, 500, "the OpenAPI document %s is not embedded", name);
    return send_file(c, a, NULL);
}

enum route_rc h_openapi_json(struct route_ctx *c)
{
    return send_document(c, "openapi.json");
}

enum route_rc h_openapi_yaml(struct route_ctx *c)
{
    return send_document(c, "openapi.yaml");
}

/* The page shown when the build had no Swagger UI (npm was not run in console/). */
static const char DOCS_MISSING[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>dm-gateway API</title></head><body>\n<h1>dm-gateway API</h1>\n"
    "<p>This gateway was built without its documentation UI (Swagger UI is installed with "
    "<code>npm ci</code> in <code>console/</code>, which <code>scripts/setup.sh</code> does). "
    "The contract itself is served: <a href=\"/openapi.yaml\">openapi.yaml</a>, "
    "<a href=\"/openapi.json\">openapi.json</a>.</p>\n</body></html>\n";

enum route_rc h_docs(struct route_ctx *c)
{
    if (!assets_swagger_ui) {
        security_headers(c, ASSET_CSP);
        return route_text(c, 200, "text/html; charset=utf-8", DOCS_MISSING,
                          sizeof(DOCS_MISSING) - 1);
    }
    return send_asset(c, asset_find("docs/index.html"));
}

/* The {asset} path parameter under directory `dir` of the embedded files, or 404. */
static enum route_rc send_param_asset(struct route_ctx *c, const char *dir, const char *what)
{
    char name[128];
    const char *file = route_param(c, "asset");
    const struct asset_file *a = NULL;
    if (file && (size_t)snprintf(name, sizeof name, "%s/%s", dir, file) < sizeof name)
        a = asset_find(name);
    if (!a)
        return route_problem(c, 404, "no such %s file", what);
    return send_asset(c, a);
}

enum route_rc h_docs_asset(struct route_ctx *c)
{
    return send_param_asset(c, "docs", "documentation");
}

/* ---------- the web console (console/app/) ---------- */

enum route_rc h_root(struct route_ctx *c)
{
    static const char body[] = "The web console is at /console/\n";
    route_header(c, "Location", "/console/");
    route_header(c, "Cache-Control", "no-cache");
    return route_text(c, 302, "text/plain; charset=utf-8", body, sizeof(body) - 1);
}

enum route_rc h_console(struct route_ctx *c)
{
    return send_asset(c, asset_find("app/index.html"));
}

enum route_rc h_console_asset(struct route_ctx *c)
{
    return send_param_asset(c, "app", "console");
}

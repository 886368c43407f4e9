/* assets.h - the static files dm-gateway serves (the /docs page and its scripts, the web
 * console, /openapi.yaml and /openapi.json), embedded into the binary at build time from
 * console/ and openapi/ (routes/CMakeLists.txt: ours are checked in, Swagger UI comes from
 * npm), each with a gzip -9 -n variant compressed at build time. Every file is answered
 * with its type, the gzip variant when the request's Accept-Encoding allows it (and it is
 * smaller) with Content-Encoding: gzip, Vary: Accept-Encoding, an ETag per encoding
 * (If-None-Match -> 304), a revalidating Cache-Control and, for the browser files, the
 * security headers (nosniff, a strict Content-Security-Policy - stricter still for the
 * console: no inline style, Trusted Types -, X-Frame-Options, Referrer-Policy, COOP, CORP,
 * Permissions-Policy); the OpenAPI documents get the API answers' (route_ctx.h).
 * Thread-safety: the table is read-only; asset_etag computes lazily under a once-guard. */
#ifndef GW_ASSETS_H
#define GW_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

struct asset_file {
    const char *name;                 /* "docs/docs.js": the path without its leading '/' */
    const char *content_type;
    const unsigned char *start, *end; /* embedded bytes [start, end) */
    const unsigned char *gz_start, *gz_end; /* their gzip -9 -n variant */
};

extern const struct asset_file assets_table[];
extern const size_t assets_table_len;
extern const int assets_swagger_ui;   /* 1 when Swagger UI was embedded */

/* The asset named `name` or NULL. */
const struct asset_file *asset_find(const char *name);
/* The strong ETag of its identity (gz false: "\"<16 hex>\"") or gzip variant (gz true:
 * "\"<16 hex>-gz\""), quoted: a static string. */
const char *asset_etag(const struct asset_file *a, bool gz);
/* May the answer to a request with this Accept-Encoding value (NULL: no header) be gzip?
 * RFC 9110 12.5.3: gzip (or x-gzip, else "*") listed with q > 0 and, when identity is
 * listed too, a q at least identity's. No header, "", "identity", "gzip;q=0" and an
 * unreadable q: no. */
bool asset_accepts_gzip(const char *accept_encoding);

#endif /* GW_ASSETS_H */

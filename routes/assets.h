/* assets.h - the browser files dm-gateway serves (the /docs page and its scripts, the web
 * console), embedded into the binary at build time from console/ (routes/CMakeLists.txt:
 * ours are checked in, Swagger UI comes from npm). Every asset is answered with its type,
 * an ETag (If-None-Match -> 304), a revalidating Cache-Control and the security headers
 * (nosniff, a strict Content-Security-Policy - stricter still for the console: no inline
 * style, Trusted Types -, X-Frame-Options, Referrer-Policy, COOP, CORP, Permissions-Policy).
 * Thread-safety: the table is read-only; asset_etag computes lazily under a once-guard. */
#ifndef GW_ASSETS_H
#define GW_ASSETS_H

#include <stddef.h>

struct asset_file {
    const char *name;                 /* "docs/docs.js": the path without its leading '/' */
    const char *content_type;
    const unsigned char *start, *end; /* embedded bytes [start, end) */
};

extern const struct asset_file assets_table[];
extern const size_t assets_table_len;
extern const int assets_swagger_ui;   /* 1 when Swagger UI was embedded */

/* The asset named `name` or NULL. */
const struct asset_file *asset_find(const char *name);
/* Its strong ETag, quoted ("\"<16 hex>\""): a static string. */
const char *asset_etag(const struct asset_file *a);

#endif /* GW_ASSETS_H */

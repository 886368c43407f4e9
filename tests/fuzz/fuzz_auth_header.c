/* fuzz_auth_header.c - auth_verify on arbitrary Authorization header values against an
 * HS256 context (secret below, iss "dm-fuzz", aud "dm-gateway", leeway 30, now fixed at
 * 1700000000). A token must never be accepted without the right signature: the harness
 * aborts if an accepted token's identity is inconsistent, or auth_token_digest disagrees
 * with it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"

#define FUZZ_SECRET "fuzz-secret-fuzz-secret-fuzz-secret-0123"   /* 40 bytes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth_ctx *fuzz_ctx(void)
{
    static struct auth_ctx *ctx;
    if (ctx)
        return ctx;
    char path[] = "/tmp/dmgw-fuzz-secret-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, FUZZ_SECRET, strlen(FUZZ_SECRET)) != (ssize_t)strlen(FUZZ_SECRET))
        abort();
    close(fd);
    struct auth_config cfg = {.alg = "HS256", .secret_file = path, .issuer = "dm-fuzz",
                              .audience = "dm-gateway", .leeway_s = 30};
    char err[256];
    int rc = auth_ctx_new(&cfg, &ctx, err, sizeof err);
    unlink(path);
    if (rc != 0) {
        fprintf(stderr, "fuzz setup: %s\n", err);
        abort();
    }
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct auth_ctx *ctx = fuzz_ctx();
    char *hdr = malloc(size + 1);
    if (!hdr)
        return 0;
    memcpy(hdr, data, size);
    hdr[size] = '\0';
    struct auth_identity *id = NULL;
    enum auth_fail f = auth_verify(ctx, hdr, 1700000000, &id);
    if ((f == AUTH_OK) != (id != NULL))
        abort();
    if (id && (!id->sub || !id->scopes || (id->admin && !id->write) || (id->write && !id->read)))
        abort();
    /* the Idempotency-Key namespace of a sub-less token (gwattack6): 64 hex digits for
     * every value auth_verify could accept, "" with an error otherwise */
    char hex[AUTH_DIGEST_HEX + 1];
    int drc = auth_token_digest(hdr, hex);
    if ((drc == 0) != (strlen(hex) == AUTH_DIGEST_HEX) || (f == AUTH_OK && drc != 0) ||
        strspn(hex, "0123456789abcdef") != strlen(hex))
        abort();
    char www[256];
    auth_www_authenticate(f, AUTH_SCOPE_WRITE, www, sizeof www);
    if (!auth_fail_name(f)[0])
        abort();
    auth_identity_free(id);
    free(hdr);
    return 0;
}

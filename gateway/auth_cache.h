/* auth_cache.h - a small cache of verified bearer tokens in front of auth_verify.
 *
 * Verifying a JWT (base64url + two JSON parses + HMAC/RSA/ECDSA) cost about 100,000
 * instructions per request, a third of the gateway's whole per-request cost. Clients send
 * the same token for hours, so the answer of auth_verify for the exact Authorization
 * value is remembered: a hit copies the cached identity instead of verifying again.
 *
 * Only successes are cached, and an entry is used only while it is certain that
 * auth_verify would still accept the token:
 *   - now < the token's exp (stricter than exp + leeway: the leeway tail is verified anew),
 *     and at most AUTH_CACHE_TTL_S after the verification;
 *   - now >= the time it was verified (a clock stepped back verifies again: nbf, iat);
 *   - the key set has not been reloaded since (auth_cache_flush, called after SIGHUP's
 *     auth_ctx_reload; a verification racing the reload is not inserted).
 * Everything else auth_verify checks (alg, signature, iss, aud, scopes) depends only on
 * the token bytes and the key set. Tokens above AUTH_CACHE_MAX_TOKEN bytes are not cached.
 *
 * Ownership: auth_cache_new/auth_cache_free. auth_cache_verify hands back an identity
 * owned by the caller (auth_identity_free), exactly like auth_verify.
 * Thread-safety: all functions except new/free may be called from any thread. */
#ifndef GW_AUTH_CACHE_H
#define GW_AUTH_CACHE_H

#include <stdint.h>

#include "auth.h"

#define AUTH_CACHE_SLOTS 64
#define AUTH_CACHE_TTL_S 300
#define AUTH_CACHE_MAX_TOKEN 2048

struct auth_cache;

/* NULL only on out-of-memory. */
struct auth_cache *auth_cache_new(void);
void auth_cache_free(struct auth_cache *ac);

/* auth_verify(auth, authorization, now, id) with the cache in front; same contract.
 * ac may be NULL (no cache). */
enum auth_fail auth_cache_verify(struct auth_cache *ac, struct auth_ctx *auth,
                                 const char *authorization, int64_t now,
                                 struct auth_identity **id);

/* Forget every entry (the keys were reloaded). */
void auth_cache_flush(struct auth_cache *ac);

#endif /* GW_AUTH_CACHE_H */

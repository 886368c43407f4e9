/* auth.h - JWT bearer authentication for dm-gateway (the only code that includes
 * <jwt.h>, libjwt 1.10.2). The algorithm is pinned by configuration, never chosen by
 * the token header; "none" is always rejected. Claims are checked here: exp (required),
 * nbf, iat (not in the future beyond leeway), iss, aud (string or array), with leeway.
 * Scopes come from `scope` (space-separated string) or `scp` / `roles` (arrays).
 *
 * Ownership: auth_ctx_new returns an owned context (auth_ctx_free); identities are
 * owned by the caller (auth_identity_free). Thread-safety: auth_verify may be called
 * from many threads at once; auth_ctx_reload swaps keys atomically (readers keep the
 * old key set until they finish: internal refcount).
 *
 * Key rules (auth_keys.c): HS secrets must be at least the hash size (32/48/64 bytes for
 * HS256/384/512, RFC 7518 §3.2); RSA keys >= 2048 bits; EC keys on the alg's curve.
 * RS/ES take exactly one of public_key_file / jwks_file. JWKS keys with another kty,
 * `use` other than "sig" or a different `alg` are skipped; with several usable keys the
 * token must carry a matching `kid`. The header is checked by us before libjwt runs:
 * alg must equal the configured name exactly; `crit` is refused. */
#ifndef DM_AUTH_H
#define DM_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

enum auth_scope { AUTH_SCOPE_NONE = 0, AUTH_SCOPE_READ, AUTH_SCOPE_WRITE, AUTH_SCOPE_ADMIN };

struct auth_config {
    const char *alg;            /* "HS256" ... "HS512", "RS256".."RS512", "ES256".."ES512" */
    const char *secret_file;    /* HS algs: file with the shared secret (trailing newline trimmed) */
    const char *public_key_file;/* RS and ES algs: PEM public key */
    const char *jwks_file;      /* RS and ES algs: JWKS file; key chosen by the token's `kid` */
    const char *issuer;         /* required `iss` if non-NULL */
    const char *audience;       /* required in `aud` if non-NULL */
    int64_t leeway_s;           /* clock skew allowance for exp/nbf/iat */
};

struct auth_ctx;

/* Load keys per config (files read now). DM_OK or DM_E_INVAL/DM_E_IO with err. */
int auth_ctx_new(const struct auth_config *cfg, struct auth_ctx **out, char *err, size_t cap);
/* Re-read the key files (SIGHUP). On failure the old keys stay active. */
int auth_ctx_reload(struct auth_ctx *ctx, char *err, size_t cap);
void auth_ctx_free(struct auth_ctx *ctx);

/* A verified identity. All strings owned by the identity. */
struct auth_identity {
    char *sub;                 /* "" when absent */
    char *scopes;              /* space-separated, as granted */
    bool read, write, admin;   /* dm:read / dm:write / dm:admin (admin implies write+read,
                                  write implies read) */
    int64_t exp;
    bool packed;               /* sub and scopes live in the identity's own allocation
                                  (auth_identity_pack): freed with it */
};
void auth_identity_free(struct auth_identity *id);
/* An owned copy of `src` in one allocation (auth_identity_free frees it); NULL on
 * out-of-memory. */
struct auth_identity *auth_identity_pack(const struct auth_identity *src);

/* Why a token was refused (for metrics "auth failures by reason" and the 401 body). */
enum auth_fail {
    AUTH_OK = 0, AUTH_MISSING, AUTH_MALFORMED, AUTH_BAD_SIGNATURE, AUTH_ALG_MISMATCH,
    AUTH_EXPIRED, AUTH_NOT_YET_VALID, AUTH_ISSUED_IN_FUTURE, AUTH_NO_EXP, AUTH_BAD_ISSUER,
    AUTH_BAD_AUDIENCE, AUTH_UNKNOWN_KID, AUTH_INSUFFICIENT_SCOPE
};
const char *auth_fail_name(enum auth_fail f);   /* "expired", "bad_signature", ... */

/* Verify the value of an Authorization header ("Bearer <jwt>", may be NULL) at time
 * `now` (unix seconds). On success *id is set (owned by the caller) and AUTH_OK
 * returned; otherwise *id is NULL. NULL/blank header -> AUTH_MISSING; another scheme,
 * bad shape, bad base64url/JSON or a token over 8 KiB -> AUTH_MALFORMED. The signature
 * is checked before any claim; exp is expired when now >= exp + leeway. Never returns
 * AUTH_INSUFFICIENT_SCOPE (that is the caller's auth_has_scope decision). */
enum auth_fail auth_verify(struct auth_ctx *ctx, const char *authorization, int64_t now,
                           struct auth_identity **id);
/* The SHA-256 of the bearer token in an Authorization value (the same "Bearer <jwt>"
 * reading as auth_verify), as 64 lower-case hex digits into out: a name for the client
 * of a token that carries no `sub` (gateway Idempotency-Key namespaces). DM_OK, or
 * DM_E_INVAL (out = "") when the value holds no bearer token. */
#define AUTH_DIGEST_HEX 64
int auth_token_digest(const char *authorization, char out[AUTH_DIGEST_HEX + 1]);
/* Does the identity hold `need`? */
bool auth_has_scope(const struct auth_identity *id, enum auth_scope need);
const char *auth_scope_name(enum auth_scope s);  /* "dm:read", "dm:write", "dm:admin" */

/* RFC 6750 WWW-Authenticate value for a failure (realm "dm-gateway"): invalid_token
 * with a description, or insufficient_scope with scope="dm:write". Writes into buf. */
void auth_www_authenticate(enum auth_fail f, enum auth_scope need, char *buf, size_t cap);

/* Mint an HS256/384/512 token (for `dm-gateway token`): sub, space-separated scopes,
 * ttl seconds, optional iss/aud. *out malloc'd. Claims: sub, scope, iss, aud, iat=now,
 * exp=now+ttl (NULL strings omitted). DM_E_INVAL for a non-HS alg, ttl <= 0 or a
 * secret below the minimum length; DM_E_NOMEM. */
int auth_mint_hs(const char *alg, const unsigned char *secret, size_t secret_len,
                 const char *sub, const char *scope, int64_t ttl_s, const char *iss,
                 const char *aud, int64_t now, char **out);

#endif /* DM_AUTH_H */

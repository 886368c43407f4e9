/* auth_keys.h - internal to auth/: the verification key set (HS secret, one PEM public
 * key, or JWKS keys converted to PEM), immutable once built and shared by refcount so
 * auth_ctx_reload can swap it while verifications are running.
 * Thread-safety: a built key set is read-only; ref/unref are atomic. */
#ifndef DM_AUTH_KEYS_H
#define DM_AUTH_KEYS_H

#include <jansson.h>
#include <jwt.h>
#include <stdatomic.h>
#include <stddef.h>

#include "auth.h"

#define AUTH_KEYFILE_MAX (1u << 20)

struct auth_key {
    char *kid;              /* NULL for a secret / single PEM key */
    unsigned char *data;    /* HS: secret bytes; RS/ES: PEM public key (NUL-terminated) */
    size_t len;             /* bytes of data (PEM: without the NUL) */
};

struct auth_keyset {
    atomic_int refs;
    int by_kid;             /* JWKS: the token's kid selects the key */
    size_t n;
    struct auth_key *keys;
};

/* Algorithm name -> libjwt alg; JWT_ALG_INVAL for unknown names and "none". */
jwt_alg_t auth_alg_parse(const char *name);
int auth_alg_is_hs(jwt_alg_t a);
int auth_alg_is_rs(jwt_alg_t a);
int auth_alg_is_es(jwt_alg_t a);
/* Minimum HS secret length in bytes (RFC 7518 §3.2: the hash size). */
size_t auth_hs_min_secret(jwt_alg_t a);

/* Build a key set (refs = 1) from the files named in cfg. DM_OK, DM_E_INVAL (bad
 * config or key), DM_E_IO (unreadable file), DM_E_NOMEM; message in err. */
int auth_keyset_load(const struct auth_config *cfg, jwt_alg_t alg, struct auth_keyset **out,
                     char *err, size_t cap);
void auth_keyset_ref(struct auth_keyset *ks);
void auth_keyset_unref(struct auth_keyset *ks);
/* Key for a token whose header carried `kid` (may be NULL); NULL = no such key. */
const struct auth_key *auth_keyset_find(const struct auth_keyset *ks, const char *kid);

/* One JWK (RSA n/e or EC crv/x/y) -> malloc'd PEM SubjectPublicKeyInfo. The key type
 * must suit `alg` (RSA >= 2048 bits for RS*, the matching curve for ES*). */
int auth_jwk_to_pem(const json_t *jwk, jwt_alg_t alg, char **pem, char *err, size_t cap);

/* Strict base64url without padding -> malloc'd bytes (NUL appended). */
int auth_b64url_decode(const char *s, size_t n, unsigned char **out, size_t *out_len);

#endif /* DM_AUTH_KEYS_H */

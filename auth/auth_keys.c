/* auth_keys.c - see auth_keys.h. OpenSSL 3 turns JWKs into EVP_PKEYs with
 * EVP_PKEY_fromdata and writes them as PEM for libjwt. */
#include "auth_keys.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "fsutil.h"

static const struct { const char *name; jwt_alg_t alg; } alg_names[] = {
    {"HS256", JWT_ALG_HS256}, {"HS384", JWT_ALG_HS384}, {"HS512", JWT_ALG_HS512},
    {"RS256", JWT_ALG_RS256}, {"RS384", JWT_ALG_RS384}, {"RS512", JWT_ALG_RS512},
    {"ES256", JWT_ALG_ES256}, {"ES384", JWT_ALG_ES384}, {"ES512", JWT_ALG_ES512},
};

jwt_alg_t auth_alg_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof alg_names / sizeof *alg_names; i++)
        if (strcmp(name, alg_names[i].name) == 0)
            return alg_names[i].alg;
    return JWT_ALG_INVAL;
}

int auth_alg_is_hs(jwt_alg_t a) { return a >= JWT_ALG_HS256 && a <= JWT_ALG_HS512; }
int auth_alg_is_rs(jwt_alg_t a) { return a >= JWT_ALG_RS256 && a <= JWT_ALG_RS512; }
int auth_alg_is_es(jwt_alg_t a) { return a >= JWT_ALG_ES256 && a <= JWT_ALG_ES512; }

size_t auth_hs_min_secret(jwt_alg_t a)
{
    return a == JWT_ALG_HS512 ? 64 : a == JWT_ALG_HS384 ? 48 : 32;
}

/* ---- base64url ---- */

static int b64url_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int auth_b64url_decode(const char *s, size_t n, unsigned char **out, size_t *out_len)
{
    if (n % 4 == 1)
        return DM_E_PARSE;
    unsigned char *buf = malloc(n / 4 * 3 + 3);
    if (!buf)
        return DM_E_NOMEM;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_val((unsigned char)s[i]);
        if (v < 0) {
            free(buf);
            return DM_E_PARSE;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {   /* non-canonical trailing bits */
        free(buf);
        return DM_E_PARSE;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return DM_OK;
}

/* ---- JWK -> PEM ---- */

static int jwk_bytes(const json_t *jwk, const char *member, unsigned char **out, size_t *len)
{
    const char *s = json_string_value(json_object_get(jwk, member));
    if (!s || !*s)
        return DM_E_INVAL;
    return auth_b64url_decode(s, strlen(s), out, len) == DM_OK ? DM_OK : DM_E_INVAL;
}

static int pkey_to_pem(EVP_PKEY *pk, char **pem)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return DM_E_NOMEM;
    int result = DM_E_INTERNAL;
    char *p = NULL;
    if (PEM_write_bio_PUBKEY(bio, pk) != 1)
        goto out;
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    p = malloc((size_t)n + 1);
    if (!p) {
        result = DM_E_NOMEM;
        goto out;
    }
    memcpy(p, data, (size_t)n);
    p[n] = '\0';
    *pem = p;
    result = DM_OK;
out:
    BIO_free(bio);
    return result;
}

/* The key must suit the algorithm: RSA >= 2048 bits, or EC on the alg's curve. */
static int check_pkey(EVP_PKEY *pk, jwt_alg_t alg, char *err, size_t cap)
{
    int bits = EVP_PKEY_get_bits(pk);
    if (auth_alg_is_rs(alg)) {
        if (!EVP_PKEY_is_a(pk, "RSA")) {
            dm_errf(err, cap, "key is not an RSA key but alg is %s", jwt_alg_str(alg));
            return DM_E_INVAL;
        }
        if (bits < 2048) {
            dm_errf(err, cap, "RSA key has %d bits, at least 2048 required", bits);
            return DM_E_INVAL;
        }
        return DM_OK;
    }
    int want = alg == JWT_ALG_ES256 ? 256 : alg == JWT_ALG_ES384 ? 384 : 521;
    if (!EVP_PKEY_is_a(pk, "EC") || bits != want) {
        dm_errf(err, cap, "key is not an EC P-%d key as %s requires", want, jwt_alg_str(alg));
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int build_pkey(const char *type, OSSL_PARAM *params, EVP_PKEY **pk)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    int result = DM_E_INVAL;
    if (!pc)
        return DM_E_NOMEM;
    if (EVP_PKEY_fromdata_init(pc) == 1 &&
        EVP_PKEY_fromdata(pc, pk, EVP_PKEY_PUBLIC_KEY, params) == 1)
        result = DM_OK;
    EVP_PKEY_CTX_free(pc);
    return result;
}

static int rsa_jwk(const json_t *jwk, EVP_PKEY **pk)
{
    unsigned char *n = NULL, *e = NULL;
    size_t nl = 0, el = 0;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    int result = DM_E_INVAL;
    if (jwk_bytes(jwk, "n", &n, &nl) != DM_OK || jwk_bytes(jwk, "e", &e, &el) != DM_OK)
        goto out;
    result = DM_E_NOMEM;
    bn = BN_bin2bn(n, (int)nl, NULL);
    be = BN_bin2bn(e, (int)el, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!bn || !be || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params)
        goto out;
    result = build_pkey("RSA", params, pk);
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return result;
}

static int ec_jwk(const json_t *jwk, EVP_PKEY **pk)
{
    static const struct { const char *crv, *group; size_t len; } curves[] = {
        {"P-256", "prime256v1", 32}, {"P-384", "secp384r1", 48}, {"P-521", "secp521r1", 66},
    };
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    size_t ci = 0;
    while (crv && ci < 3 && strcmp(curves[ci].crv, crv) != 0)
        ci++;
    if (!crv || ci == 3)
        return DM_E_INVAL;
    unsigned char *x = NULL, *y = NULL, *pub = NULL;
    size_t xl = 0, yl = 0;
    int result = DM_E_INVAL;
    if (jwk_bytes(jwk, "x", &x, &xl) != DM_OK || jwk_bytes(jwk, "y", &y, &yl) != DM_OK ||
        xl != curves[ci].len || yl != curves[ci].len)
        goto out;
    result = DM_E_NOMEM;
    size_t pl = 1 + xl + yl;
    pub = malloc(pl);
    if (!pub)
        goto out;
    pub[0] = 0x04;   /* uncompressed point */
    memcpy(pub + 1, x, xl);
    memcpy(pub + 1 + xl, y, yl);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curves[ci].group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, pl),
        OSSL_PARAM_construct_end(),
    };
    result = build_pkey("EC", params, pk);   /* rejects points not on the curve */
out:
    free(x);
    free(y);
    free(pub);
    return result;
}

int auth_jwk_to_pem(const json_t *jwk, jwt_alg_t alg, char **pem, char *err, size_t cap)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    EVP_PKEY *pk = NULL;
    int rc;
    if (kty && strcmp(kty, "RSA") == 0 && auth_alg_is_rs(alg)) {
        rc = rsa_jwk(jwk, &pk);
    } else if (kty && strcmp(kty, "EC") == 0 && auth_alg_is_es(alg)) {
        rc = ec_jwk(jwk, &pk);
    } else {
        dm_errf(err, cap, "JWK kty \"%s\" does not suit alg %s", kty ? kty : "(none)",
                jwt_alg_str(alg));
        return DM_E_INVAL;
    }
    if (rc != DM_OK) {
        if (rc == DM_E_INVAL)
            dm_errf(err, cap, "invalid %s JWK parameters", kty);
        return rc;
    }
    rc = check_pkey(pk, alg, err, cap);
    if (rc == DM_OK)
        rc = pkey_to_pem(pk, pem);
    EVP_PKEY_free(pk);
    return rc;
}

/* ---- key sets ---- */

static void keyset_free(struct auth_keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->keys[i].kid);
        if (ks->keys[i].data)
            OPENSSL_cleanse(ks->keys[i].data, ks->keys[i].len);
        free(ks->keys[i].data);
    }
    free(ks->keys);
    free(ks);
}

void auth_keyset_ref(struct auth_keyset *ks)
{
    atomic_fetch_add(&ks->refs, 1);
}

void auth_keyset_unref(struct auth_keyset *ks)
{
    if (ks && atomic_fetch_sub(&ks->refs, 1) == 1)
        keyset_free(ks);
}

const struct auth_key *auth_keyset_find(const struct auth_keyset *ks, const char *kid)
{
    if (!ks->by_kid)
        return ks->n ? &ks->keys[0] : NULL;
    if (!kid)
        return ks->n == 1 ? &ks->keys[0] : NULL;
    for (size_t i = 0; i < ks->n; i++)
        if (ks->keys[i].kid && strcmp(ks->keys[i].kid, kid) == 0)
            return &ks->keys[i];
    return NULL;
}

static int read_key_file(const char *what, const char *path, char **data, size_t *len,
                         char *err, size_t cap)
{
    int rc = dm_read_file(path, AUTH_KEYFILE_MAX, data, len);
    if (rc == DM_OK)
        return DM_OK;
    dm_errf(err, cap, "cannot read %s %s: %s", what, path,
            rc == DM_E_TOO_LARGE ? "file too large" : strerror(errno));
    return rc == DM_E_NOMEM ? rc : DM_E_IO;
}

/* Append a key (takes ownership of kid and data, even on failure). */
static int keyset_add(struct auth_keyset *ks, char *kid_take, unsigned char *data_take, size_t len)
{
    struct auth_key *nk = realloc(ks->keys, (ks->n + 1) * sizeof(*nk));
    if (!nk) {
        free(kid_take);
        free(data_take);
        return DM_E_NOMEM;
    }
    ks->keys = nk;
    ks->keys[ks->n].kid = kid_take;
    ks->keys[ks->n].data = data_take;
    ks->keys[ks->n].len = len;
    ks->n++;
    return DM_OK;
}

static int load_secret(const struct auth_config *cfg, jwt_alg_t alg, struct auth_keyset *ks,
                       char *err, size_t cap)
{
    if (!cfg->secret_file) {
        dm_errf(err, cap, "alg %s needs secret_file", cfg->alg);
        return DM_E_INVAL;
    }
    char *s = NULL;
    size_t len = 0;
    int rc = read_key_file("secret file", cfg->secret_file, &s, &len, err, cap);
    if (rc != DM_OK)
        return rc;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    if (len < auth_hs_min_secret(alg)) {
        dm_errf(err, cap, "secret in %s is %zu bytes; %s needs at least %zu", cfg->secret_file, len,
                cfg->alg, auth_hs_min_secret(alg));
        OPENSSL_cleanse(s, len);
        free(s);
        return DM_E_INVAL;
    }
    return keyset_add(ks, NULL, (unsigned char *)s, len);
}

static int load_pem(const struct auth_config *cfg, jwt_alg_t alg, struct auth_keyset *ks,
                    char *err, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    int rc = read_key_file("public key file", cfg->public_key_file, &text, &len, err, cap);
    if (rc != DM_OK)
        return rc;
    EVP_PKEY *pk = NULL;
    char *pem = NULL;
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    if (!bio) {
        rc = DM_E_NOMEM;
        goto out;
    }
    pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (!pk) {
        dm_errf(err, cap, "%s: not a PEM public key", cfg->public_key_file);
        rc = DM_E_INVAL;
        goto out;
    }
    rc = check_pkey(pk, alg, err, cap);
    if (rc == DM_OK)
        rc = pkey_to_pem(pk, &pem);
    if (rc == DM_OK) {
        rc = keyset_add(ks, NULL, (unsigned char *)pem, strlen(pem));
        pem = NULL;
    }
out:
    EVP_PKEY_free(pk);
    BIO_free(bio);
    free(text);
    return rc;
}

/* Should this JWK be used for `alg`? (use=sig or absent, alg equal or absent) */
static int jwk_usable(const json_t *jwk, jwt_alg_t alg)
{
    const char *use = json_string_value(json_object_get(jwk, "use"));
    const char *a = json_string_value(json_object_get(jwk, "alg"));
    if (use && strcmp(use, "sig") != 0)
        return 0;
    return !a || strcmp(a, jwt_alg_str(alg)) == 0;
}

static int load_jwks_doc(const json_t *doc, const char *path, jwt_alg_t alg,
                         struct auth_keyset *ks, char *err, size_t cap)
{
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        dm_errf(err, cap, "%s: JWKS needs a \"keys\" array", path);
        return DM_E_INVAL;
    }
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk) {
        if (!json_is_object(jwk) || !jwk_usable(jwk, alg))
            continue;
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (kid && auth_keyset_find(ks, kid)) {
            dm_errf(err, cap, "%s: duplicate kid \"%s\"", path, kid);
            return DM_E_INVAL;
        }
        char *pem = NULL;
        char kerrbuf[200];
        int rc = auth_jwk_to_pem(jwk, alg, &pem, kerrbuf, sizeof kerrbuf);
        if (rc == DM_E_NOMEM)
            return rc;
        if (rc != DM_OK)
            continue;   /* keys of other types may share the set */
        char *kd = kid ? strdup(kid) : NULL;
        if (kid && !kd) {
            free(pem);
            return DM_E_NOMEM;
        }
        rc = keyset_add(ks, kd, (unsigned char *)pem, strlen(pem));
        if (rc != DM_OK)
            return rc;
    }
    if (ks->n == 0) {
        dm_errf(err, cap, "%s: no usable %s key in JWKS", path, jwt_alg_str(alg));
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int load_jwks(const struct auth_config *cfg, jwt_alg_t alg, struct auth_keyset *ks,
                     char *err, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    int rc = read_key_file("JWKS file", cfg->jwks_file, &text, &len, err, cap);
    if (rc != DM_OK)
        return rc;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!doc) {
        dm_errf(err, cap, "%s: line %d: %s", cfg->jwks_file, jerr.line, jerr.text);
        return DM_E_INVAL;
    }
    ks->by_kid = 1;
    rc = load_jwks_doc(doc, cfg->jwks_file, alg, ks, err, cap);
    json_decref(doc);
    return rc;
}

int auth_keyset_load(const struct auth_config *cfg, jwt_alg_t alg, struct auth_keyset **out,
                     char *err, size_t cap)
{
    struct auth_keyset *ks = calloc(1, sizeof(*ks));
    if (!ks)
        return DM_E_NOMEM;
    atomic_init(&ks->refs, 1);
    int rc;
    if (auth_alg_is_hs(alg)) {
        rc = load_secret(cfg, alg, ks, err, cap);
    } else if (!!cfg->public_key_file == !!cfg->jwks_file) {
        dm_errf(err, cap, "alg %s needs exactly one of public_key_file and jwks_file", cfg->alg);
        rc = DM_E_INVAL;
    } else if (cfg->public_key_file) {
        rc = load_pem(cfg, alg, ks, err, cap);
    } else {
        rc = load_jwks(cfg, alg, ks, err, cap);
    }
    if (rc != DM_OK) {
        keyset_free(ks);
        return rc;
    }
    *out = ks;
    return DM_OK;
}

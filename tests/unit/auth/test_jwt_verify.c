/* test_jwt_verify.c - auth/jwt_verify.c + auth/auth_keys.c: the full token matrix
 * (missing, malformed, expired, nbf, iat, iss, aud string/array, alg none, HS-with-RS-
 * public-key confusion, tampering, scopes), HS256/384/512, RS256, ES256, PEM and JWKS
 * keys (kid selection), reload under concurrent verification, mint round trip.
 * Keys are generated with OpenSSL at start-up into a temp dir. */
#include <check.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "dm_error.h"
#include "testutil.h"

#define NOW 1700000000LL
#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"   /* 64 */

struct keypair {
    char *priv_pem, *pub_pem;
    EVP_PKEY *pk;
};

static char *tmpdir;
static struct keypair rsa1, rsa2, ec1;
static char secret_path[512], rsa_pub_path[512], ec_pub_path[512], jwks_path[512];

/* ---- helpers ---- */

static char *bio_string(BIO *bio)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *s = malloc((size_t)n + 1);
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

/* Runs before the suite (outside any test), so plain checks instead of ck_assert. */
#define REQUIRE(x) do { if (!(x)) { fprintf(stderr, "setup failed: %s\n", #x); abort(); } } while (0)

static void keypair_make(struct keypair *kp, EVP_PKEY *pk)
{
    REQUIRE(pk != NULL);
    BIO *b = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) == 1);
    kp->priv_pem = bio_string(b);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PUBKEY(b, pk) == 1);
    kp->pub_pem = bio_string(b);
    BIO_free(b);
    kp->pk = pk;
}

static char *b64url(const unsigned char *p, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return out;
}

static char *bn_param_b64(EVP_PKEY *pk, const char *name)
{
    BIGNUM *bn = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, name, &bn), 1);
    unsigned char buf[1024];
    int n = BN_bn2bin(bn, buf);
    BN_free(bn);
    return b64url(buf, (size_t)n);
}

static json_t *rsa_jwk(struct keypair *kp, const char *kid)
{
    char *n = bn_param_b64(kp->pk, OSSL_PKEY_PARAM_RSA_N);
    char *e = bn_param_b64(kp->pk, OSSL_PKEY_PARAM_RSA_E);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "kid", kid, "use", "sig",
                          "n", n, "e", e);
    free(n);
    free(e);
    return j;
}

static json_t *ec_jwk(struct keypair *kp, const char *kid)
{
    unsigned char pub[200];
    size_t pl = 0;
    ck_assert_int_eq(EVP_PKEY_get_octet_string_param(kp->pk, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                                     sizeof pub, &pl), 1);
    ck_assert_uint_eq(pl, 65);
    char *x = b64url(pub + 1, 32), *y = b64url(pub + 33, 32);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "kid", kid, "crv", "P-256",
                          "x", x, "y", y);
    free(x);
    free(y);
    return j;
}

static void write_json(const char *path, json_t *v_take)
{
    char *s = json_dumps(v_take, 0);
    ck_assert_int_eq(tu_write_file(path, s, strlen(s)), 0);
    free(s);
    json_decref(v_take);
}

/* Sign `payload` (JSON text) with libjwt; kid optional. */
static char *sign(jwt_alg_t alg, const char *key, size_t keylen, const char *kid,
                  const char *payload)
{
    jwt_t *jwt = NULL;
    ck_assert_int_eq(jwt_new(&jwt), 0);
    ck_assert_int_eq(jwt_add_grants_json(jwt, payload), 0);
    if (kid)
        ck_assert_int_eq(jwt_add_header(jwt, "kid", kid), 0);
    ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)keylen), 0);
    char *tok = jwt_encode_str(jwt);
    ck_assert_ptr_nonnull(tok);
    jwt_free(jwt);
    return tok;
}

static char *hs(jwt_alg_t alg, const char *payload)
{
    return sign(alg, SECRET, strlen(SECRET), NULL, payload);
}

static enum auth_fail verify_tok(struct auth_ctx *ctx, const char *tok, struct auth_identity **id)
{
    char hdr[10000];
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    return auth_verify(ctx, hdr, NOW, id);
}

/* verify, free the identity, return the verdict; frees tok */
static enum auth_fail check_tok(struct auth_ctx *ctx, char *tok)
{
    struct auth_identity *id = NULL;
    enum auth_fail f = verify_tok(ctx, tok, &id);
    ck_assert(f == AUTH_OK ? id != NULL : id == NULL);
    auth_identity_free(id);
    free(tok);
    return f;
}

static struct auth_ctx *ctx_new(struct auth_config *cfg)
{
    struct auth_ctx *ctx = NULL;
    char err[256] = "";
    int rc = auth_ctx_new(cfg, &ctx, err, sizeof err);
    ck_assert_msg(rc == DM_OK, "auth_ctx_new: %s", err);
    return ctx;
}

static struct auth_ctx *hs_ctx(const char *alg)
{
    struct auth_config cfg = {.alg = alg, .secret_file = secret_path, .issuer = "dm-test",
                              .audience = "dm-gateway", .leeway_s = 30};
    return ctx_new(&cfg);
}

#define CLAIMS_OK "\"iss\":\"dm-test\",\"aud\":\"dm-gateway\",\"sub\":\"alice\""
#define P(...) "{" __VA_ARGS__ "}"

/* ---- tests ---- */

START_TEST(header_shapes)
{
    struct auth_ctx *ctx = hs_ctx("HS256");
    struct auth_identity *id = (struct auth_identity *)1;
    ck_assert_int_eq(auth_verify(ctx, NULL, NOW, &id), AUTH_MISSING);
    ck_assert_ptr_null(id);
    ck_assert_int_eq(auth_verify(ctx, "", NOW, &id), AUTH_MISSING);
    ck_assert_int_eq(auth_verify(ctx, "   ", NOW, &id), AUTH_MISSING);
    ck_assert_int_eq(auth_verify(ctx, "Basic dXNlcjpwdw==", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer ", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer abc", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer a.b", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer a.b.c.d", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer !!.??.**", NOW, &id), AUTH_MALFORMED);
    ck_assert_int_eq(auth_verify(ctx, "Bearer e30.e30.sig", NOW, &id), AUTH_MALFORMED); /* no alg */
    ck_assert_int_eq(auth_verify(ctx, "Bearer W10.e30.sig", NOW, &id), AUTH_MALFORMED); /* [] */
    char *tok = hs(JWT_ALG_HS256, P("\"exp\":1800000000," CLAIMS_OK ",\"scope\":\"dm:read\""));
    char hdr[4096];
    snprintf(hdr, sizeof hdr, "Bearer %s extra", tok);
    ck_assert_int_eq(auth_verify(ctx, hdr, NOW, &id), AUTH_MALFORMED);
    snprintf(hdr, sizeof hdr, "bearer   %s  ", tok);   /* scheme is case-insensitive */
    ck_assert_int_eq(auth_verify(ctx, hdr, NOW, &id), AUTH_OK);
    auth_identity_free(id);
    free(tok);
    char big[9000];
    memset(big, 'a', sizeof big);
    memcpy(big, "Bearer ", 7);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(auth_verify(ctx, big, NOW, &id), AUTH_MALFORMED);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(claims_matrix)
{
    struct auth_ctx *ctx = hs_ctx("HS256");
    /* valid */
    struct auth_identity *id = NULL;
    char *tok = hs(JWT_ALG_HS256, P("\"exp\":1700000100,\"iat\":1699999990,\"nbf\":1699999990,"
                                    CLAIMS_OK ",\"scope\":\"dm:read dm:write\""));
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
    ck_assert_str_eq(id->sub, "alice");
    ck_assert_str_eq(id->scopes, "dm:read dm:write");
    ck_assert(id->read && id->write && !id->admin);
    ck_assert_int_eq(id->exp, 1700000100);
    auth_identity_free(id);
    free(tok);
    /* exp: required, with leeway 30 */
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P(CLAIMS_OK))), AUTH_NO_EXP);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1699999969," CLAIMS_OK))),
                     AUTH_EXPIRED);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1699999970," CLAIMS_OK))),
                     AUTH_EXPIRED);   /* now >= exp + leeway */
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1699999971," CLAIMS_OK))),
                     AUTH_OK);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":\"soon\"," CLAIMS_OK))),
                     AUTH_MALFORMED);
    /* nbf / iat in the future */
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256,
                                       P("\"exp\":1800000000,\"nbf\":1700000060," CLAIMS_OK))),
                     AUTH_NOT_YET_VALID);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256,
                                       P("\"exp\":1800000000,\"nbf\":1700000020," CLAIMS_OK))),
                     AUTH_OK);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256,
                                       P("\"exp\":1800000000,\"iat\":1700000060," CLAIMS_OK))),
                     AUTH_ISSUED_IN_FUTURE);
    /* iss */
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1800000000,\"iss\":\"evil\","
                                                        "\"aud\":\"dm-gateway\""))),
                     AUTH_BAD_ISSUER);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1800000000,"
                                                        "\"aud\":\"dm-gateway\""))),
                     AUTH_BAD_ISSUER);
    /* aud: string, array */
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1800000000,\"iss\":\"dm-test\","
                                                        "\"aud\":\"other\""))),
                     AUTH_BAD_AUDIENCE);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256, P("\"exp\":1800000000,\"iss\":\"dm-test\""))),
                     AUTH_BAD_AUDIENCE);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256,
                                       P("\"exp\":1800000000,\"iss\":\"dm-test\","
                                         "\"aud\":[\"other\",\"dm-gateway\"]"))),
                     AUTH_OK);
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS256,
                                       P("\"exp\":1800000000,\"iss\":\"dm-test\","
                                         "\"aud\":[\"other\",\"x\"]"))),
                     AUTH_BAD_AUDIENCE);
    auth_ctx_free(ctx);
}
END_TEST

/* issue 17: NumericDate claims that are not dates (1e300 was accepted through an undefined
 * double -> int64 conversion) are malformed: 401, whatever claim carries them. */
START_TEST(numeric_date_range)
{
    static const struct {
        const char *claims;
        enum auth_fail want;
    } cases[] = {
        {"\"exp\":1e300", AUTH_MALFORMED},
        {"\"exp\":1.7976931348623157e308", AUTH_MALFORMED},
        {"\"exp\":-1e300", AUTH_MALFORMED},
        {"\"exp\":-1", AUTH_MALFORMED},
        {"\"exp\":9223372036854775807", AUTH_MALFORMED},
        {"\"exp\":253402300800", AUTH_MALFORMED},      /* year 10000 */
        {"\"exp\":\"NaN\"", AUTH_MALFORMED},
        {"\"exp\":\"Infinity\"", AUTH_MALFORMED},
        {"\"exp\":\"1800000000\"", AUTH_MALFORMED},
        {"\"exp\":null", AUTH_MALFORMED},
        {"\"exp\":true", AUTH_MALFORMED},
        {"\"exp\":[1800000000]", AUTH_MALFORMED},
        {"\"exp\":1800000000,\"nbf\":1e300", AUTH_MALFORMED},
        {"\"exp\":1800000000,\"nbf\":-5", AUTH_MALFORMED},
        {"\"exp\":1800000000,\"iat\":-1e300", AUTH_MALFORMED},
        {"\"exp\":1800000000,\"iat\":1e19", AUTH_MALFORMED},
        {"\"exp\":253402300799", AUTH_OK},             /* 9999-12-31T23:59:59Z */
        {"\"exp\":1800000000.5,\"iat\":1699999990.25", AUTH_OK},   /* fractions: RFC 7519 */
        {"\"exp\":1800000000,\"nbf\":0", AUTH_OK},
    };
    struct auth_ctx *ctx = hs_ctx("HS256");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char payload[256];
        snprintf(payload, sizeof(payload), "{%s," CLAIMS_OK "}", cases[i].claims);
        enum auth_fail got = check_tok(ctx, hs(JWT_ALG_HS256, payload));
        ck_assert_msg(got == cases[i].want, "%s: got %d, want %d", cases[i].claims, (int)got,
                      (int)cases[i].want);
    }
    struct auth_identity *id = NULL;
    char *tok = hs(JWT_ALG_HS256, P("\"exp\":253402300799," CLAIMS_OK));
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
    ck_assert_int_eq(id->exp, 253402300799LL);
    auth_identity_free(id);
    free(tok);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(signature_and_alg_attacks)
{
    struct auth_ctx *ctx = hs_ctx("HS256");
    const char *payload = P("\"exp\":1800000000," CLAIMS_OK ",\"scope\":\"dm:read\"");
    /* tampered payload: swap in another payload segment, keep the signature */
    char *tok = hs(JWT_ALG_HS256, payload);
    char *evil = b64url((const unsigned char *)P("\"exp\":1800000000," CLAIMS_OK
                                                 ",\"scope\":\"dm:admin\""),
                        strlen(P("\"exp\":1800000000," CLAIMS_OK ",\"scope\":\"dm:admin\"")));
    char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    char forged[4096];
    snprintf(forged, sizeof forged, "%.*s.%s%s", (int)(d1 - tok), tok, evil, d2);
    ck_assert_int_eq(check_tok(ctx, strdup(forged)), AUTH_BAD_SIGNATURE);
    /* flipped signature byte */
    char *sig = strrchr(tok, '.') + 1;
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(check_tok(ctx, strdup(tok)), AUTH_BAD_SIGNATURE);
    /* alg none (empty signature) */
    const char *none_hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    char *h = b64url((const unsigned char *)none_hdr, strlen(none_hdr));
    snprintf(forged, sizeof forged, "%s.%s.", h, evil);
    ck_assert_int_eq(check_tok(ctx, strdup(forged)), AUTH_ALG_MISMATCH);
    free(h);
    /* "alg":"hs256" is not HS256 */
    const char *lc_hdr = "{\"alg\":\"hs256\"}";
    h = b64url((const unsigned char *)lc_hdr, strlen(lc_hdr));
    snprintf(forged, sizeof forged, "%s.%s.c2ln", h, evil);
    ck_assert_int_eq(check_tok(ctx, strdup(forged)), AUTH_ALG_MISMATCH);
    free(h);
    /* valid signature, other HS alg */
    ck_assert_int_eq(check_tok(ctx, hs(JWT_ALG_HS512, payload)), AUTH_ALG_MISMATCH);
    /* wrong secret */
    const char *other = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_HS256, other, strlen(other), NULL, payload)),
                     AUTH_BAD_SIGNATURE);
    free(evil);
    free(tok);
    auth_ctx_free(ctx);

    /* HS256 token "signed" with the RS public key PEM as HMAC secret vs an RS256 ctx */
    struct auth_config rcfg = {.alg = "RS256", .public_key_file = rsa_pub_path};
    ctx = ctx_new(&rcfg);
    char *confused = sign(JWT_ALG_HS256, rsa1.pub_pem, strlen(rsa1.pub_pem), NULL,
                          P("\"exp\":1800000000,\"scope\":\"dm:admin\""));
    jwt_t *raw = NULL;   /* plain libjwt would accept it: the attack is real */
    ck_assert_int_eq(jwt_decode(&raw, confused, (const unsigned char *)rsa1.pub_pem,
                                (int)strlen(rsa1.pub_pem)), 0);
    jwt_free(raw);
    ck_assert_int_eq(check_tok(ctx, confused), AUTH_ALG_MISMATCH);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(scopes_and_www_authenticate)
{
    struct auth_ctx *ctx = hs_ctx("HS256");
    struct auth_identity *id = NULL;
    char *tok = hs(JWT_ALG_HS256, P("\"exp\":1800000000," CLAIMS_OK ",\"scope\":\"dm:readx dm:read\""));
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
    ck_assert(auth_has_scope(id, AUTH_SCOPE_READ));
    ck_assert(!auth_has_scope(id, AUTH_SCOPE_WRITE));
    ck_assert(!auth_has_scope(id, AUTH_SCOPE_ADMIN));
    auth_identity_free(id);
    free(tok);
    tok = hs(JWT_ALG_HS256, P("\"exp\":1800000000," CLAIMS_OK ",\"scp\":[\"dm:write\"]"));
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
    ck_assert(id->read && id->write && !id->admin);
    auth_identity_free(id);
    free(tok);
    tok = hs(JWT_ALG_HS256, P("\"exp\":1800000000," CLAIMS_OK ",\"roles\":[\"ops\",\"dm:admin\"]"));
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
    ck_assert(id->read && id->write && id->admin);
    ck_assert_str_eq(id->scopes, "ops dm:admin");
    auth_identity_free(id);
    free(tok);
    tok = hs(JWT_ALG_HS256, P("\"exp\":1800000000,\"iss\":\"dm-test\",\"aud\":\"dm-gateway\""));
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);   /* no scope, no sub */
    ck_assert_str_eq(id->sub, "");
    ck_assert(!auth_has_scope(id, AUTH_SCOPE_READ));
    ck_assert(auth_has_scope(id, AUTH_SCOPE_NONE));
    auth_identity_free(id);
    free(tok);
    auth_ctx_free(ctx);

    char buf[512];
    auth_www_authenticate(AUTH_INSUFFICIENT_SCOPE, AUTH_SCOPE_WRITE, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "error=\"insufficient_scope\""));
    ck_assert_ptr_nonnull(strstr(buf, "scope=\"dm:write\""));
    auth_www_authenticate(AUTH_EXPIRED, AUTH_SCOPE_READ, buf, sizeof buf);
    ck_assert_str_eq(buf, "Bearer realm=\"dm-gateway\", error=\"invalid_token\", "
                          "error_description=\"token expired\"");
    auth_www_authenticate(AUTH_MISSING, AUTH_SCOPE_READ, buf, sizeof buf);
    ck_assert_str_eq(buf, "Bearer realm=\"dm-gateway\"");
    ck_assert_str_eq(auth_fail_name(AUTH_BAD_SIGNATURE), "bad_signature");
    ck_assert_str_eq(auth_fail_name(AUTH_INSUFFICIENT_SCOPE), "insufficient_scope");
    ck_assert_str_eq(auth_scope_name(AUTH_SCOPE_ADMIN), "dm:admin");
}
END_TEST

START_TEST(hs_algorithms_and_mint)
{
    const char *algs[] = {"HS256", "HS384", "HS512"};
    for (int i = 0; i < 3; i++) {
        struct auth_ctx *ctx = hs_ctx(algs[i]);
        char *tok = NULL;
        ck_assert_int_eq(auth_mint_hs(algs[i], (const unsigned char *)SECRET, strlen(SECRET),
                                      "bob", "dm:write", 600, "dm-test", "dm-gateway", NOW, &tok),
                         DM_OK);
        struct auth_identity *id = NULL;
        ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
        ck_assert_str_eq(id->sub, "bob");
        ck_assert_int_eq(id->exp, NOW + 600);
        ck_assert(id->write && id->read && !id->admin);
        auth_identity_free(id);
        char hdr[2048];
        snprintf(hdr, sizeof hdr, "Bearer %s", tok);
        ck_assert_int_eq(auth_verify(ctx, hdr, NOW + 629, &id), AUTH_OK);   /* leeway 30 */
        auth_identity_free(id);
        ck_assert_int_eq(auth_verify(ctx, hdr, NOW + 630, &id), AUTH_EXPIRED);
        free(tok);
        /* the other algs' tokens are refused */
        tok = hs(JWT_ALG_HS256 + (jwt_alg_t)((i + 1) % 3),
                 P("\"exp\":1800000000," CLAIMS_OK));
        ck_assert_int_eq(check_tok(ctx, tok), AUTH_ALG_MISMATCH);
        auth_ctx_free(ctx);
    }
    char *tok = NULL;
    ck_assert_int_eq(auth_mint_hs("HS256", (const unsigned char *)"short", 5, "a", "dm:read", 60,
                                  NULL, NULL, NOW, &tok), DM_E_INVAL);
    ck_assert_int_eq(auth_mint_hs("RS256", (const unsigned char *)SECRET, 64, "a", "dm:read", 60,
                                  NULL, NULL, NOW, &tok), DM_E_INVAL);
    ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(rs256_and_es256_pem)
{
    struct auth_config rcfg = {.alg = "RS256", .public_key_file = rsa_pub_path,
                               .audience = "dm-gateway"};
    struct auth_ctx *ctx = ctx_new(&rcfg);
    const char *payload = P("\"exp\":1800000000,\"aud\":\"dm-gateway\",\"scope\":\"dm:admin\"");
    struct auth_identity *id = NULL;
    char *tok = sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem), "ignored", payload);
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);   /* kid ignored with one PEM key */
    ck_assert(id->admin);
    auth_identity_free(id);
    free(tok);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa2.priv_pem, strlen(rsa2.priv_pem),
                                         NULL, payload)), AUTH_BAD_SIGNATURE);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS512, rsa1.priv_pem, strlen(rsa1.priv_pem),
                                         NULL, payload)), AUTH_ALG_MISMATCH);
    auth_ctx_free(ctx);

    struct auth_config ecfg = {.alg = "ES256", .public_key_file = ec_pub_path};
    ctx = ctx_new(&ecfg);
    tok = sign(JWT_ALG_ES256, ec1.priv_pem, strlen(ec1.priv_pem), NULL, payload);
    ck_assert_int_eq(verify_tok(ctx, tok, &id), AUTH_OK);
    auth_identity_free(id);
    free(tok);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem),
                                         NULL, payload)), AUTH_ALG_MISMATCH);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(jwks_two_kids)
{
    write_json(jwks_path, json_pack("{s:[o,o,o,{s:s,s:s}]}", "keys", rsa_jwk(&rsa1, "k1"),
                                    rsa_jwk(&rsa2, "k2"), ec_jwk(&ec1, "e1"), "kty", "oct",
                                    "k", "c2VjcmV0"));
    struct auth_config cfg = {.alg = "RS256", .jwks_file = jwks_path};
    struct auth_ctx *ctx = ctx_new(&cfg);
    const char *payload = P("\"exp\":1800000000,\"sub\":\"svc\"");
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem),
                                         "k1", payload)), AUTH_OK);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa2.priv_pem, strlen(rsa2.priv_pem),
                                         "k2", payload)), AUTH_OK);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem),
                                         "k2", payload)), AUTH_BAD_SIGNATURE);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem),
                                         "k3", payload)), AUTH_UNKNOWN_KID);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem),
                                         NULL, payload)), AUTH_UNKNOWN_KID);   /* ambiguous */
    auth_ctx_free(ctx);

    /* the EC key of the same set serves ES256 */
    struct auth_config ecfg = {.alg = "ES256", .jwks_file = jwks_path};
    ctx = ctx_new(&ecfg);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_ES256, ec1.priv_pem, strlen(ec1.priv_pem),
                                         "e1", payload)), AUTH_OK);
    ck_assert_int_eq(check_tok(ctx, sign(JWT_ALG_ES256, ec1.priv_pem, strlen(ec1.priv_pem),
                                         NULL, payload)), AUTH_OK);   /* single key */
    auth_ctx_free(ctx);
}
END_TEST

struct race {
    struct auth_ctx *ctx;
    char *tok;
    int failures;
};

static void *verifier(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 200; i++) {
        struct auth_identity *id = NULL;
        if (verify_tok(r->ctx, r->tok, &id) != AUTH_OK)
            __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
        auth_identity_free(id);
    }
    return NULL;
}

START_TEST(reload_swaps_keys)
{
    write_json(jwks_path, json_pack("{s:[o]}", "keys", rsa_jwk(&rsa1, "k1")));
    struct auth_config cfg = {.alg = "RS256", .jwks_file = jwks_path};
    struct auth_ctx *ctx = ctx_new(&cfg);
    const char *payload = P("\"exp\":1800000000");
    char *t1 = sign(JWT_ALG_RS256, rsa1.priv_pem, strlen(rsa1.priv_pem), "k1", payload);
    char *t2 = sign(JWT_ALG_RS256, rsa2.priv_pem, strlen(rsa2.priv_pem), "k2", payload);
    struct auth_identity *id = NULL;
    ck_assert_int_eq(verify_tok(ctx, t2, &id), AUTH_UNKNOWN_KID);

    char err[256];
    write_json(jwks_path, json_pack("{s:[o]}", "keys", rsa_jwk(&rsa2, "k2")));
    ck_assert_int_eq(auth_ctx_reload(ctx, err, sizeof err), DM_OK);
    ck_assert_int_eq(verify_tok(ctx, t2, &id), AUTH_OK);
    auth_identity_free(id);
    ck_assert_int_eq(verify_tok(ctx, t1, &id), AUTH_UNKNOWN_KID);
    /* a broken file keeps the old keys */
    ck_assert_int_eq(tu_write_file(jwks_path, "{not json", 9), 0);
    ck_assert_int_ne(auth_ctx_reload(ctx, err, sizeof err), DM_OK);
    ck_assert_int_eq(verify_tok(ctx, t2, &id), AUTH_OK);
    auth_identity_free(id);

    /* reload while four threads verify: every verification must succeed */
    struct race r = {.ctx = ctx, .tok = t2};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, verifier, &r);
    for (int i = 0; i < 20; i++) {
        if (i % 2)
            write_json(jwks_path, json_pack("{s:[o]}", "keys", rsa_jwk(&rsa2, "k2")));
        else
            write_json(jwks_path, json_pack("{s:[o,o]}", "keys", rsa_jwk(&rsa1, "k1"),
                                            rsa_jwk(&rsa2, "k2")));
        ck_assert_int_eq(auth_ctx_reload(ctx, err, sizeof err), DM_OK);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(r.failures, 0);
    free(t1);
    free(t2);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(config_errors)
{
    struct auth_ctx *ctx = NULL;
    char err[256];
    struct auth_config c1 = {.alg = "none", .secret_file = secret_path};
    ck_assert_int_eq(auth_ctx_new(&c1, &ctx, err, sizeof err), DM_E_INVAL);
    struct auth_config c2 = {.alg = "RS256"};
    ck_assert_int_eq(auth_ctx_new(&c2, &ctx, err, sizeof err), DM_E_INVAL);
    struct auth_config c3 = {.alg = "RS256", .public_key_file = rsa_pub_path, .jwks_file = jwks_path};
    ck_assert_int_eq(auth_ctx_new(&c3, &ctx, err, sizeof err), DM_E_INVAL);
    struct auth_config c4 = {.alg = "ES256", .public_key_file = rsa_pub_path};   /* wrong type */
    ck_assert_int_eq(auth_ctx_new(&c4, &ctx, err, sizeof err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "EC") != NULL, "%s", err);
    struct auth_config c5 = {.alg = "HS256", .secret_file = "/nonexistent/secret"};
    ck_assert_int_eq(auth_ctx_new(&c5, &ctx, err, sizeof err), DM_E_IO);
    char shortp[600];
    snprintf(shortp, sizeof shortp, "%s/short", tmpdir);
    ck_assert_int_eq(tu_write_file(shortp, "tooshort\n", 9), 0);
    struct auth_config c6 = {.alg = "HS256", .secret_file = shortp};
    ck_assert_int_eq(auth_ctx_new(&c6, &ctx, err, sizeof err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "at least 32") != NULL, "%s", err);
    struct auth_config c7 = {.alg = "RS256", .public_key_file = secret_path};   /* not PEM */
    ck_assert_int_eq(auth_ctx_new(&c7, &ctx, err, sizeof err), DM_E_INVAL);
    write_json(jwks_path, json_pack("{s:[o]}", "keys", ec_jwk(&ec1, "e1")));
    struct auth_config c8 = {.alg = "RS256", .jwks_file = jwks_path};   /* nothing usable */
    ck_assert_int_eq(auth_ctx_new(&c8, &ctx, err, sizeof err), DM_E_INVAL);
    write_json(jwks_path, json_pack("{s:[o,o]}", "keys", rsa_jwk(&rsa1, "k"), rsa_jwk(&rsa2, "k")));
    ck_assert_int_eq(auth_ctx_new(&c8, &ctx, err, sizeof err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "duplicate kid") != NULL, "%s", err);
    ck_assert_ptr_null(ctx);
}
END_TEST

static void make_keys(void)
{
    tmpdir = tu_mkdtemp();
    REQUIRE(tmpdir != NULL);
    keypair_make(&rsa1, EVP_RSA_gen(2048));
    keypair_make(&rsa2, EVP_RSA_gen(2048));
    keypair_make(&ec1, EVP_EC_gen("P-256"));
    snprintf(secret_path, sizeof secret_path, "%s/secret", tmpdir);
    snprintf(rsa_pub_path, sizeof rsa_pub_path, "%s/rsa.pem", tmpdir);
    snprintf(ec_pub_path, sizeof ec_pub_path, "%s/ec.pem", tmpdir);
    snprintf(jwks_path, sizeof jwks_path, "%s/jwks.json", tmpdir);
    REQUIRE(tu_write_file(secret_path, SECRET "\n", strlen(SECRET) + 1) == 0);
    REQUIRE(tu_write_file(rsa_pub_path, rsa1.pub_pem, strlen(rsa1.pub_pem)) == 0);
    REQUIRE(tu_write_file(ec_pub_path, ec1.pub_pem, strlen(ec1.pub_pem)) == 0);
}

static void free_keys(void)
{
    struct keypair *kps[] = {&rsa1, &rsa2, &ec1};
    for (int i = 0; i < 3; i++) {
        free(kps[i]->priv_pem);
        free(kps[i]->pub_pem);
        EVP_PKEY_free(kps[i]->pk);
    }
    tu_rmrf(tmpdir);
    free(tmpdir);
}

int main(void)
{
    make_keys();
    Suite *s = suite_create("jwt_verify");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, header_shapes);
    tcase_add_test(tc, claims_matrix);
    tcase_add_test(tc, numeric_date_range);
    tcase_add_test(tc, signature_and_alg_attacks);
    tcase_add_test(tc, scopes_and_www_authenticate);
    tcase_add_test(tc, hs_algorithms_and_mint);
    tcase_add_test(tc, rs256_and_es256_pem);
    tcase_add_test(tc, jwks_two_kids);
    tcase_add_test(tc, reload_swaps_keys);
    tcase_add_test(tc, config_errors);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, false);
    free_keys();
    return rc;
}

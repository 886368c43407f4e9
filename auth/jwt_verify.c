/* jwt_verify.c - see auth.h. The one wrapper around libjwt 1.10.2, which lets the token
 * header choose the algorithm and checks no claims. So, before libjwt sees a token, we
 * decode the header ourselves and require alg == the configured one; after jwt_decode
 * (signature) we re-check jwt_get_alg, then validate the claims from the payload. */
#include "auth.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_keys.h"
#include "buf.h"
#include "dm_error.h"

#define AUTH_TOKEN_MAX 8192

struct auth_ctx {
    pthread_mutex_t mu;          /* guards `keys` (the pointer, not the set) */
    struct auth_keyset *keys;
    jwt_alg_t alg;
    char *alg_name, *secret_file, *public_key_file, *jwks_file, *issuer, *audience;
    int64_t leeway_s;
};

/* ---- context ---- */

static int dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return DM_OK;
    *out = strdup(s);
    return *out ? DM_OK : DM_E_NOMEM;
}

static struct auth_config ctx_config(const struct auth_ctx *c)
{
    struct auth_config cfg = {
        .alg = c->alg_name, .secret_file = c->secret_file, .public_key_file = c->public_key_file,
        .jwks_file = c->jwks_file, .issuer = c->issuer, .audience = c->audience,
        .leeway_s = c->leeway_s,
    };
    return cfg;
}

int auth_ctx_new(const struct auth_config *cfg, struct auth_ctx **out, char *err, size_t cap)
{
    if (err && cap)
        err[0] = '\0';
    if (!cfg || !out)
        return DM_E_INVAL;
    *out = NULL;
    jwt_alg_t alg = auth_alg_parse(cfg->alg);
    if (alg == JWT_ALG_INVAL) {
        dm_errf(err, cap, "unsupported JWT alg \"%s\" (HS256..512, RS256..512, ES256..512)",
                cfg->alg ? cfg->alg : "");
        return DM_E_INVAL;
    }
    if (cfg->leeway_s < 0 || cfg->leeway_s > 86400) {
        dm_errf(err, cap, "leeway must be 0..86400 seconds");
        return DM_E_INVAL;
    }
    struct auth_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return DM_E_NOMEM;
    int rc = DM_E_NOMEM;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return DM_E_NOMEM;
    }
    c->alg = alg;
    c->leeway_s = cfg->leeway_s;
    if (dup_opt(cfg->alg, &c->alg_name) || dup_opt(cfg->secret_file, &c->secret_file) ||
        dup_opt(cfg->public_key_file, &c->public_key_file) ||
        dup_opt(cfg->jwks_file, &c->jwks_file) || dup_opt(cfg->issuer, &c->issuer) ||
        dup_opt(cfg->audience, &c->audience))
        goto out;
    struct auth_config copy = ctx_config(c);
    rc = auth_keyset_load(&copy, alg, &c->keys, err, cap);
out:
    if (rc != DM_OK) {
        if (rc == DM_E_NOMEM)
            dm_errf(err, cap, "out of memory");
        auth_ctx_free(c);
        return rc;
    }
    *out = c;
    return DM_OK;
}

int auth_ctx_reload(struct auth_ctx *ctx, char *err, size_t cap)
{
    if (!ctx)
        return DM_E_INVAL;
    struct auth_keyset *ks = NULL;
    struct auth_config cfg = ctx_config(ctx);
    int rc = auth_keyset_load(&cfg, ctx->alg, &ks, err, cap);
    if (rc != DM_OK)
        return rc;
    pthread_mutex_lock(&ctx->mu);
    struct auth_keyset *old = ctx->keys;
    ctx->keys = ks;
    pthread_mutex_unlock(&ctx->mu);
    auth_keyset_unref(old);   /* freed when the last running verify lets go */
    return DM_OK;
}

void auth_ctx_free(struct auth_ctx *ctx)
{
    if (!ctx)
        return;
    auth_keyset_unref(ctx->keys);
    pthread_mutex_destroy(&ctx->mu);
    free(ctx->alg_name);
    free(ctx->secret_file);
    free(ctx->public_key_file);
    free(ctx->jwks_file);
    free(ctx->issuer);
    free(ctx->audience);
    free(ctx);
}

static struct auth_keyset *keys_acquire(struct auth_ctx *ctx)
{
    pthread_mutex_lock(&ctx->mu);
    struct auth_keyset *ks = ctx->keys;
    auth_keyset_ref(ks);
    pthread_mutex_unlock(&ctx->mu);
    return ks;
}

/* ---- names ---- */

const char *auth_fail_name(enum auth_fail f)
{
    static const char *const names[] = {
        "ok", "missing", "malformed", "bad_signature", "alg_mismatch", "expired",
        "not_yet_valid", "issued_in_future", "no_exp", "bad_issuer", "bad_audience",
        "unknown_kid", "insufficient_scope",
    };
    if ((unsigned)f < sizeof names / sizeof *names)
        return names[f];
    return "unknown";
}

static const char *fail_description(enum auth_fail f)
{
    switch (f) {
    case AUTH_MALFORMED: return "malformed token";
    case AUTH_BAD_SIGNATURE: return "signature verification failed";
    case AUTH_ALG_MISMATCH: return "token algorithm not accepted";
    case AUTH_EXPIRED: return "token expired";
    case AUTH_NOT_YET_VALID: return "token not yet valid";
    case AUTH_ISSUED_IN_FUTURE: return "token issued in the future";
    case AUTH_NO_EXP: return "token has no exp claim";
    case AUTH_BAD_ISSUER: return "wrong issuer";
    case AUTH_BAD_AUDIENCE: return "wrong audience";
    case AUTH_UNKNOWN_KID: return "unknown signing key";
    default: return "invalid token";
    }
}

const char *auth_scope_name(enum auth_scope s)
{
    switch (s) {
    case AUTH_SCOPE_READ: return "dm:read";
    case AUTH_SCOPE_WRITE: return "dm:write";
    case AUTH_SCOPE_ADMIN: return "dm:admin";
    default: return "";
    }
}

void auth_www_authenticate(enum auth_fail f, enum auth_scope need, char *buf, size_t cap)
{
    if (!buf || !cap)
        return;
    if (f == AUTH_MISSING || f == AUTH_OK)
        snprintf(buf, cap, "Bearer realm=\"dm-gateway\"");
    else if (f == AUTH_INSUFFICIENT_SCOPE)
        snprintf(buf, cap,
                 "Bearer realm=\"dm-gateway\", error=\"insufficient_scope\", "
                 "error_description=\"the token lacks the required scope\", scope=\"%s\"",
                 auth_scope_name(need));
    else
        snprintf(buf, cap, "Bearer realm=\"dm-gateway\", error=\"invalid_token\", "
                           "error_description=\"%s\"", fail_description(f));
}

bool auth_has_scope(const struct auth_identity *id, enum auth_scope need)
{
    if (!id)
        return false;
    switch (need) {
    case AUTH_SCOPE_NONE: return true;
    case AUTH_SCOPE_READ: return id->read;
    case AUTH_SCOPE_WRITE: return id->write;
    case AUTH_SCOPE_ADMIN: return id->admin;
    }
    return false;
}

void auth_identity_free(struct auth_identity *id)
{
    if (!id)
        return;
    if (!id->packed) {
        free(id->sub);
        free(id->scopes);
    }
    free(id);
}

struct auth_identity *auth_identity_pack(const struct auth_identity *src)
{
    const char *sub = src->sub ? src->sub : "", *scopes = src->scopes ? src->scopes : "";
    size_t ls = strlen(sub) + 1, lc = strlen(scopes) + 1;
    struct auth_identity *id = malloc(sizeof(*id) + ls + lc);
    if (!id)
        return NULL;
    *id = *src;
    id->sub = (char *)(id + 1);
    id->scopes = id->sub + ls;
    memcpy(id->sub, sub, ls);
    memcpy(id->scopes, scopes, lc);
    id->packed = true;
    return id;
}

/* ---- token parsing ---- */

static bool token_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* "Bearer <token>" -> the token span. A missing or blank header is AUTH_MISSING; any
 * other scheme or shape is AUTH_MALFORMED. */
static enum auth_fail bearer_token(const char *authz, const char **tok, size_t *len)
{
    if (!authz)
        return AUTH_MISSING;
    while (*authz == ' ' || *authz == '\t')
        authz++;
    if (!*authz)
        return AUTH_MISSING;
    if (strncasecmp(authz, "Bearer", 6) != 0 || (authz[6] != ' ' && authz[6] != '\t'))
        return AUTH_MALFORMED;
    const char *p = authz + 6;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (p[n] && token_char((unsigned char)p[n]))
        n++;
    const char *rest = p + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (n == 0 || *rest || n > AUTH_TOKEN_MAX)
        return AUTH_MALFORMED;
    *tok = p;
    *len = n;
    return AUTH_OK;
}

/* base64url JSON object segment -> new reference, NULL when not one. */
static json_t *decode_segment(const char *s, size_t n)
{
    unsigned char *raw = NULL;
    size_t rl = 0;
    if (n == 0 || auth_b64url_decode(s, n, &raw, &rl) != DM_OK)
        return NULL;
    json_t *v = json_loadb((const char *)raw, rl, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

struct jwt_parts {
    json_t *header, *payload;
    size_t sig_len;
};

static enum auth_fail split_token(const char *tok, size_t len, struct jwt_parts *pt)
{
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
        return AUTH_MALFORMED;
    pt->header = decode_segment(tok, (size_t)(d1 - tok));
    pt->payload = decode_segment(d1 + 1, (size_t)(d2 - d1 - 1));
    pt->sig_len = len - (size_t)(d2 + 1 - tok);
    if (!pt->header || !pt->payload)
        return AUTH_MALFORMED;
    return AUTH_OK;
}

/* The pinned-algorithm rule, applied to our own parse of the header. */
static enum auth_fail check_header(const struct auth_ctx *ctx, const json_t *header,
                                   size_t sig_len)
{
    const char *alg = json_string_value(json_object_get(header, "alg"));
    if (!alg)
        return AUTH_MALFORMED;
    if (strcmp(alg, jwt_alg_str(ctx->alg)) != 0)
        return AUTH_ALG_MISMATCH;   /* includes "none" and HS-vs-RS confusion */
    if (json_object_get(header, "crit"))
        return AUTH_MALFORMED;      /* no extensions understood */
    json_t *kid = json_object_get(header, "kid");
    if (kid && !json_is_string(kid))
        return AUTH_MALFORMED;
    return sig_len ? AUTH_OK : AUTH_BAD_SIGNATURE;
}

static enum auth_fail check_signature(struct auth_ctx *ctx, const char *tok, size_t len,
                                      const char *kid)
{
    enum auth_fail f = AUTH_BAD_SIGNATURE;
    struct auth_keyset *ks = keys_acquire(ctx);
    jwt_t *jwt = NULL;
    char *copy = strndup(tok, len);
    const struct auth_key *key = auth_keyset_find(ks, kid);
    if (!key) {
        f = AUTH_UNKNOWN_KID;
        goto out;
    }
    if (!copy || jwt_decode(&jwt, copy, key->data, (int)key->len) != 0 || !jwt)
        goto out;
    f = jwt_get_alg(jwt) == ctx->alg ? AUTH_OK : AUTH_ALG_MISMATCH;
out:
    jwt_free(jwt);
    free(copy);
    auth_keyset_unref(ks);
    return f;
}

/* ---- claims ---- */

/* Largest NumericDate accepted: 9999-12-31T23:59:59Z. Beyond it (1e300, ...) a claim is
 * malformed: converting such a double to int64_t would be undefined. */
#define AUTH_MAX_NUMERIC_DATE 253402300799.0

/* Optional NumericDate claim (RFC 7519 §2: seconds, fractions allowed): absent ->
 * *present = false; not a number, negative or past AUTH_MAX_NUMERIC_DATE -> MALFORMED. */
static enum auth_fail num_claim(const json_t *payload, const char *name, bool *present,
                                double *v)
{
    json_t *c = json_object_get(payload, name);
    *present = c != NULL;
    if (!c)
        return AUTH_OK;
    if (!json_is_number(c))
        return AUTH_MALFORMED;
    double d = json_number_value(c);
    if (!(d >= 0.0 && d <= AUTH_MAX_NUMERIC_DATE))   /* also false for NaN */
        return AUTH_MALFORMED;
    *v = d;
    return AUTH_OK;
}

static enum auth_fail check_times(const struct auth_ctx *ctx, const json_t *payload, int64_t now)
{
    double exp = 0, nbf = 0, iat = 0, lw = (double)ctx->leeway_s, t = (double)now;
    bool has_exp, has_nbf, has_iat;
    if (num_claim(payload, "exp", &has_exp, &exp) != AUTH_OK ||
        num_claim(payload, "nbf", &has_nbf, &nbf) != AUTH_OK ||
        num_claim(payload, "iat", &has_iat, &iat) != AUTH_OK)
        return AUTH_MALFORMED;
    if (!has_exp)
        return AUTH_NO_EXP;
    if (t >= exp + lw)
        return AUTH_EXPIRED;
    if (has_nbf && t + lw < nbf)
        return AUTH_NOT_YET_VALID;
    if (has_iat && iat > t + lw)
        return AUTH_ISSUED_IN_FUTURE;
    return AUTH_OK;
}

static enum auth_fail check_iss_aud(const struct auth_ctx *ctx, const json_t *payload)
{
    if (ctx->issuer) {
        const char *iss = json_string_value(json_object_get(payload, "iss"));
        if (!iss || strcmp(iss, ctx->issuer) != 0)
            return AUTH_BAD_ISSUER;
    }
    if (!ctx->audience)
        return AUTH_OK;
    json_t *aud = json_object_get(payload, "aud");
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), ctx->audience) == 0 ? AUTH_OK : AUTH_BAD_AUDIENCE;
    size_t i;
    json_t *a;
    json_array_foreach(aud, i, a)
        if (json_is_string(a) && strcmp(json_string_value(a), ctx->audience) == 0)
            return AUTH_OK;
    return AUTH_BAD_AUDIENCE;
}

/* Append the scope words of claim `name` (string: space-separated; array of strings). */
static int add_scopes(struct dm_buf *b, const json_t *payload, const char *name)
{
    json_t *c = json_object_get(payload, name);
    int rc = DM_OK;
    if (json_is_string(c) && json_string_length(c) > 0) {
        if (b->len)
            rc = dm_buf_addc(b, ' ');
        return rc == DM_OK ? dm_buf_adds(b, json_string_value(c)) : rc;
    }
    size_t i;
    json_t *s;
    json_array_foreach(c, i, s) {
        if (!json_is_string(s) || json_string_length(s) == 0)
            continue;
        if (b->len)
            rc = dm_buf_addc(b, ' ');
        if (rc == DM_OK)
            rc = dm_buf_adds(b, json_string_value(s));
        if (rc != DM_OK)
            return rc;
    }
    return rc;
}

static bool has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += wl) {
        bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
        bool end = p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\t';
        if (start && end)
            return true;
    }
    return false;
}

static struct auth_identity *make_identity(const json_t *payload)
{
    struct auth_identity *id = calloc(1, sizeof(*id));
    struct dm_buf b;
    dm_buf_init(&b, 64 * 1024);
    if (!id)
        return NULL;
    const char *sub = json_string_value(json_object_get(payload, "sub"));
    id->sub = strdup(sub ? sub : "");
    if (add_scopes(&b, payload, "scope") != DM_OK || add_scopes(&b, payload, "scp") != DM_OK ||
        add_scopes(&b, payload, "roles") != DM_OK)
        goto bad;
    id->scopes = dm_buf_take(&b);
    if (!id->sub || !id->scopes)
        goto bad;
    id->admin = has_word(id->scopes, "dm:admin");
    id->write = id->admin || has_word(id->scopes, "dm:write");
    id->read = id->write || has_word(id->scopes, "dm:read");
    id->exp = (int64_t)json_number_value(json_object_get(payload, "exp"));
    return id;
bad:
    dm_buf_free(&b);
    auth_identity_free(id);
    return NULL;
}

enum auth_fail auth_verify(struct auth_ctx *ctx, const char *authorization, int64_t now,
                           struct auth_identity **id)
{
    if (id)
        *id = NULL;
    if (!ctx || !id)
        return AUTH_MALFORMED;
    const char *tok = NULL;
    size_t len = 0;
    enum auth_fail f = bearer_token(authorization, &tok, &len);
    if (f != AUTH_OK)
        return f;
    struct jwt_parts pt = {0};
    f = split_token(tok, len, &pt);
    if (f == AUTH_OK)
        f = check_header(ctx, pt.header, pt.sig_len);
    if (f == AUTH_OK)
        f = check_signature(ctx, tok, len, json_string_value(json_object_get(pt.header, "kid")));
    if (f == AUTH_OK)
        f = check_times(ctx, pt.payload, now);
    if (f == AUTH_OK)
        f = check_iss_aud(ctx, pt.payload);
    if (f == AUTH_OK) {
        *id = make_identity(pt.payload);
        if (!*id)
            f = AUTH_MALFORMED;   /* out of memory: refuse rather than admit */
    }
    json_decref(pt.header);
    json_decref(pt.payload);
    return f;
}

int auth_token_digest(const char *authorization, char out[AUTH_DIGEST_HEX + 1])
{
    const char *tok = NULL;
    size_t len = 0;
    unsigned char md[32];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (bearer_token(authorization, &tok, &len) != AUTH_OK ||
        EVP_Digest(tok, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md))
        return DM_E_INVAL;
    static const char hex[] = "0123456789abcdef";
    for (size_t k = 0; k < sizeof(md); k++) {
        out[2 * k] = hex[md[k] >> 4];
        out[2 * k + 1] = hex[md[k] & 15];
    }
    out[AUTH_DIGEST_HEX] = '\0';
    return DM_OK;
}

/* ---- minting ---- */

int auth_mint_hs(const char *alg, const unsigned char *secret, size_t secret_len,
                 const char *sub, const char *scope, int64_t ttl_s, const char *iss,
                 const char *aud, int64_t now, char **out)
{
    if (!out)
        return DM_E_INVAL;
    *out = NULL;
    jwt_alg_t a = auth_alg_parse(alg);
    if (!auth_alg_is_hs(a) || !secret || secret_len < auth_hs_min_secret(a) ||
        secret_len > INT32_MAX || ttl_s <= 0)
        return DM_E_INVAL;
    jwt_t *jwt = NULL;
    int result = DM_E_NOMEM;
    if (jwt_new(&jwt) != 0)
        goto out;
    if ((sub && jwt_add_grant(jwt, "sub", sub) != 0) ||
        (scope && jwt_add_grant(jwt, "scope", scope) != 0) ||
        (iss && jwt_add_grant(jwt, "iss", iss) != 0) ||
        (aud && jwt_add_grant(jwt, "aud", aud) != 0) ||
        jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)(now + ttl_s)) != 0) {
        result = DM_E_INVAL;
        goto out;
    }
    if (jwt_set_alg(jwt, a, secret, (int)secret_len) != 0)
        goto out;
    *out = jwt_encode_str(jwt);
    result = *out ? DM_OK : DM_E_NOMEM;
out:
    jwt_free(jwt);
    return result;
}

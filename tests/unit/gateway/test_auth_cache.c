/* test_auth_cache.c - the verified-token cache answers exactly like auth_verify: hits
 * while valid, never past exp, never before the verification time, forgets on flush
 * (key reload), never caches failures. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "auth_cache.h"
#include "dm_error.h"
#include "testutil.h"

static char tmpdir[256], secret_path[512];
static const char *SECRET = "0123456789abcdef0123456789abcdef";
static const char *SECRET2 = "fedcba9876543210fedcba9876543210";
static const int64_t T0 = 1700000000;

static void write_secret(const char *s)
{
    FILE *f = fopen(secret_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(s, f);
    fclose(f);
}

static struct auth_ctx *new_ctx(void)
{
    struct auth_config cfg = {.alg = "HS256", .secret_file = secret_path, .leeway_s = 30};
    struct auth_ctx *ctx = NULL;
    char err[256];
    ck_assert_int_eq(auth_ctx_new(&cfg, &ctx, err, sizeof(err)), DM_OK);
    return ctx;
}

/* "Bearer <token>" minted at T0 with ttl seconds, owned by the caller. */
static char *bearer(const char *secret, const char *sub, const char *scope, int64_t ttl)
{
    char *tok = NULL;
    ck_assert_int_eq(auth_mint_hs("HS256", (const unsigned char *)secret, strlen(secret), sub,
                                  scope, ttl, NULL, NULL, T0, &tok),
                     DM_OK);
    char *h = malloc(strlen(tok) + 8);
    sprintf(h, "Bearer %s", tok);
    free(tok);
    return h;
}

static enum auth_fail check(struct auth_cache *ac, struct auth_ctx *ctx, const char *h,
                            int64_t now, const char *want_sub)
{
    struct auth_identity *id = NULL;
    enum auth_fail f = auth_cache_verify(ac, ctx, h, now, &id);
    if (f == AUTH_OK) {
        ck_assert_ptr_nonnull(id);
        ck_assert_str_eq(id->sub, want_sub);
        ck_assert(id->read);
    } else {
        ck_assert_ptr_null(id);
    }
    auth_identity_free(id);
    return f;
}

START_TEST(hit_matches_verify)
{
    struct auth_ctx *ctx = new_ctx();
    struct auth_cache *ac = auth_cache_new();
    char *h = bearer(SECRET, "alice", "dm:write", 3600);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(check(ac, ctx, h, T0 + i, "alice"), AUTH_OK);
    struct auth_identity *id = NULL;
    ck_assert_int_eq(auth_cache_verify(ac, ctx, h, T0 + 10, &id), AUTH_OK);
    ck_assert_str_eq(id->scopes, "dm:write");
    ck_assert(id->write && id->read && !id->admin);
    ck_assert_int_eq(id->exp, T0 + 3600);
    auth_identity_free(id);
    /* a NULL cache is plain auth_verify */
    ck_assert_int_eq(check(NULL, ctx, h, T0, "alice"), AUTH_OK);
    free(h);
    auth_cache_free(ac);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(expiry_and_clock)
{
    struct auth_ctx *ctx = new_ctx();
    struct auth_cache *ac = auth_cache_new();
    char *h = bearer(SECRET, "bob", "dm:read", 100);
    ck_assert_int_eq(check(ac, ctx, h, T0 + 50, "bob"), AUTH_OK);
    /* inside the leeway tail: verified again (still OK), past it: expired */
    ck_assert_int_eq(check(ac, ctx, h, T0 + 110, "bob"), AUTH_OK);
    ck_assert_int_eq(check(ac, ctx, h, T0 + 130, "bob"), AUTH_EXPIRED);
    ck_assert_int_eq(check(ac, ctx, h, T0 + 100000, "bob"), AUTH_EXPIRED);
    /* a clock stepped back before iat - leeway: verified again, refused */
    ck_assert_int_eq(check(ac, ctx, h, T0 - 1000, "bob"), AUTH_ISSUED_IN_FUTURE);
    free(h);
    auth_cache_free(ac);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(failures_not_cached)
{
    struct auth_ctx *ctx = new_ctx();
    struct auth_cache *ac = auth_cache_new();
    char *bad = bearer(SECRET2, "eve", "dm:admin", 3600);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(check(ac, ctx, bad, T0, "eve"), AUTH_BAD_SIGNATURE);
    ck_assert_int_eq(check(ac, ctx, NULL, T0, ""), AUTH_MISSING);
    ck_assert_int_eq(check(ac, ctx, "Basic abc", T0, ""), AUTH_MALFORMED);
    /* a token differing in one byte is not the cached one */
    char *h = bearer(SECRET, "carol", "dm:read", 3600);
    ck_assert_int_eq(check(ac, ctx, h, T0, "carol"), AUTH_OK);
    h[strlen(h) - 2] = h[strlen(h) - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_ne(check(ac, ctx, h, T0, "carol"), AUTH_OK);
    free(h);
    free(bad);
    auth_cache_free(ac);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(flush_on_reload)
{
    struct auth_ctx *ctx = new_ctx();
    struct auth_cache *ac = auth_cache_new();
    char *h = bearer(SECRET, "dave", "dm:read", 3600);
    ck_assert_int_eq(check(ac, ctx, h, T0, "dave"), AUTH_OK);
    write_secret(SECRET2);
    char err[256];
    ck_assert_int_eq(auth_ctx_reload(ctx, err, sizeof(err)), DM_OK);
    auth_cache_flush(ac);
    ck_assert_int_eq(check(ac, ctx, h, T0 + 1, "dave"), AUTH_BAD_SIGNATURE);
    char *h2 = bearer(SECRET2, "dave", "dm:read", 3600);
    ck_assert_int_eq(check(ac, ctx, h2, T0 + 1, "dave"), AUTH_OK);
    ck_assert_int_eq(check(ac, ctx, h2, T0 + 2, "dave"), AUTH_OK);
    write_secret(SECRET);
    free(h2);
    free(h);
    auth_cache_free(ac);
    auth_ctx_free(ctx);
}
END_TEST

START_TEST(many_tokens)
{
    struct auth_ctx *ctx = new_ctx();
    struct auth_cache *ac = auth_cache_new();
    enum { N = 3 * AUTH_CACHE_SLOTS };
    char *h[N];
    char sub[32];
    for (int i = 0; i < N; i++) {
        snprintf(sub, sizeof(sub), "user%d", i);
        h[i] = bearer(SECRET, sub, "dm:read", 3600);
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(sub, sizeof(sub), "user%d", i);
            ck_assert_int_eq(check(ac, ctx, h[i], T0 + round, sub), AUTH_OK);
        }
    }
    for (int i = 0; i < N; i++)
        free(h[i]);
    auth_cache_free(ac);
    auth_ctx_free(ctx);
}
END_TEST

static void setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/dmgw-authcache-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(secret_path, sizeof(secret_path), "%s/secret", tmpdir);
    write_secret(SECRET);
}

static void teardown(void)
{
    unlink(secret_path);
    rmdir(tmpdir);
}

int main(void)
{
    Suite *s = suite_create("auth_cache");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, hit_matches_verify);
    tcase_add_test(tc, expiry_and_clock);
    tcase_add_test(tc, failures_not_cached);
    tcase_add_test(tc, flush_on_reload);
    tcase_add_test(tc, many_tokens);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

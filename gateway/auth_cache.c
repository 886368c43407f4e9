/* auth_cache.c - see auth_cache.h */
#include "auth_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct slot {
    char *token;                  /* the Authorization value, owned; NULL = empty */
    size_t len;
    uint64_t hash;
    struct auth_identity *id;     /* owned */
    int64_t verified_at, until;   /* usable while verified_at <= now < until */
};

struct auth_cache {
    pthread_mutex_t mu;
    uint64_t gen;                 /* bumped by every flush */
    struct slot s[AUTH_CACHE_SLOTS];
};

struct auth_cache *auth_cache_new(void)
{
    struct auth_cache *ac = calloc(1, sizeof(*ac));
    if (ac)
        pthread_mutex_init(&ac->mu, NULL);
    return ac;
}

static void slot_clear(struct slot *s)
{
    free(s->token);
    auth_identity_free(s->id);
    memset(s, 0, sizeof(*s));
}

void auth_cache_free(struct auth_cache *ac)
{
    if (!ac)
        return;
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++)
        slot_clear(&ac->s[i]);
    pthread_mutex_destroy(&ac->mu);
    free(ac);
}

void auth_cache_flush(struct auth_cache *ac)
{
    if (!ac)
        return;
    pthread_mutex_lock(&ac->mu);
    ac->gen++;
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++)
        slot_clear(&ac->s[i]);
    pthread_mutex_unlock(&ac->mu);
}

/* Owned copy or NULL (out of memory): one allocation (a hit costs one malloc/free). */
static struct auth_identity *identity_dup(const struct auth_identity *src)
{
    return auth_identity_pack(src);
}

/* A copy of the cached identity for this token at `now`, or NULL. */
static struct auth_identity *lookup(struct auth_cache *ac, const char *tok, size_t len,
                                    uint64_t h, int64_t now, uint64_t *gen)
{
    struct auth_identity *id = NULL;
    pthread_mutex_lock(&ac->mu);
    *gen = ac->gen;
    struct slot *s = &ac->s[h % AUTH_CACHE_SLOTS];
    if (s->token && s->hash == h && s->len == len && memcmp(s->token, tok, len) == 0 &&
        now >= s->verified_at && now < s->until)
        id = identity_dup(s->id);
    pthread_mutex_unlock(&ac->mu);
    return id;
}

static void insert(struct auth_cache *ac, const char *tok, size_t len, uint64_t h,
                   int64_t now, uint64_t gen, const struct auth_identity *verified)
{
    int64_t until = verified->exp;
    if (until > now + AUTH_CACHE_TTL_S)
        until = now + AUTH_CACHE_TTL_S;
    if (until <= now)
        return;   /* inside the leeway tail: verify every time */
    struct slot fresh = {malloc(len + 1), len, h, identity_dup(verified), now, until};
    if (!fresh.token || !fresh.id) {
        slot_clear(&fresh);
        return;
    }
    memcpy(fresh.token, tok, len + 1);
    pthread_mutex_lock(&ac->mu);
    if (ac->gen == gen) {   /* no key reload since we looked */
        struct slot old = ac->s[h % AUTH_CACHE_SLOTS];
        ac->s[h % AUTH_CACHE_SLOTS] = fresh;
        fresh = old;
    }
    pthread_mutex_unlock(&ac->mu);
    slot_clear(&fresh);
}

enum auth_fail auth_cache_verify(struct auth_cache *ac, struct auth_ctx *auth,
                                 const char *authorization, int64_t now,
                                 struct auth_identity **id)
{
    *id = NULL;
    size_t len = authorization ? strlen(authorization) : 0;
    bool cacheable = ac && auth && len > 0 && len <= AUTH_CACHE_MAX_TOKEN;
    uint64_t h = 0, gen = 0;
    if (cacheable) {
        h = dm_fnv1a64(DM_FNV64_INIT, authorization, len);
        *id = lookup(ac, authorization, len, h, now, &gen);
        if (*id)
            return AUTH_OK;
    }
    enum auth_fail f = auth_verify(auth, authorization, now, id);
    if (f == AUTH_OK && cacheable)
        insert(ac, authorization, len, h, now, gen, *id);
    return f;
}

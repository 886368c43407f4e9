/* stream_ticket.c - the stream ticket store (stream_ticket.h) and
 * POST /api/v1/stream-tickets. */
#include "stream_ticket.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dm_error.h"
#include "handlers.h"

#define KEY_LEN 32

struct ticket {
    unsigned char key[KEY_LEN];
    int64_t expires;                  /* 0: free slot */
    struct auth_identity *id;
};

struct ticket_store {
    pthread_mutex_t mu;
    struct ticket t[STREAM_TICKET_MAX];
};

struct ticket_store *ticket_store_new(void)
{
    struct ticket_store *s = calloc(1, sizeof(*s));
    if (s)
        pthread_mutex_init(&s->mu, NULL);
    return s;
}

static void slot_clear(struct ticket *t)
{
    auth_identity_free(t->id);
    memset(t, 0, sizeof(*t));
}

void ticket_store_free(struct ticket_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < STREAM_TICKET_MAX; i++)
        slot_clear(&s->t[i]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static struct auth_identity *identity_copy(const struct auth_identity *id)
{
    struct auth_identity *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (id) {
        *c = *id;
        c->packed = false;   /* its own strings below */
        c->sub = strdup(id->sub ? id->sub : "");
        c->scopes = strdup(id->scopes ? id->scopes : "");
    } else {   /* anonymous read (--anonymous-read) */
        c->sub = strdup("");
        c->scopes = strdup("dm:read");
        c->read = true;
    }
    if (!c->sub || !c->scopes) {
        auth_identity_free(c);
        return NULL;
    }
    return c;
}

/* Lock held: a free slot (expired ones are freed on the way), or NULL when full. */
static struct ticket *free_slot(struct ticket_store *s, int64_t now)
{
    struct ticket *found = NULL;
    for (size_t i = 0; i < STREAM_TICKET_MAX; i++) {
        struct ticket *t = &s->t[i];
        if (t->expires && t->expires <= now)
            slot_clear(t);
        if (!t->expires && !found)
            found = t;
    }
    return found;
}

int ticket_mint(struct ticket_store *s, const struct auth_identity *id, int64_t now,
                char out[STREAM_TICKET_HEX + 1])
{
    unsigned char key[KEY_LEN];
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
        return DM_E_IO;
    struct auth_identity *copy = identity_copy(id);
    if (!copy)
        return DM_E_NOMEM;
    int64_t exp = now + STREAM_TICKET_TTL_S;
    if (id && id->exp > 0 && id->exp < exp)
        exp = id->exp;   /* never outlives its token */
    pthread_mutex_lock(&s->mu);
    struct ticket *t = free_slot(s, now);
    if (t) {
        memcpy(t->key, key, KEY_LEN);
        t->expires = exp > now ? exp : now + 1;
        t->id = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    auth_identity_free(copy);
    if (!t)
        return DM_E_TOO_LARGE;
    for (size_t i = 0; i < KEY_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", key[i]);
    return DM_OK;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static bool parse_key(const char *s, unsigned char key[KEY_LEN])
{
    if (!s || strlen(s) != STREAM_TICKET_HEX)
        return false;
    for (size_t i = 0; i < KEY_LEN; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* Constant time in the key's contents. */
static bool key_eq(const unsigned char *a, const unsigned char *b)
{
    unsigned char d = 0;
    for (size_t i = 0; i < KEY_LEN; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

enum auth_fail ticket_redeem(struct ticket_store *s, const char *ticket, int64_t now,
                             struct auth_identity **id)
{
    unsigned char key[KEY_LEN];
    *id = NULL;
    if (!parse_key(ticket, key))
        return AUTH_MALFORMED;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < STREAM_TICKET_MAX; i++) {
        struct ticket *t = &s->t[i];
        if (!t->expires || !key_eq(t->key, key))
            continue;
        if (t->expires > now) {
            *id = t->id;
            t->id = NULL;
        }
        slot_clear(t);   /* single use: gone whatever the outcome */
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return *id ? AUTH_OK : AUTH_EXPIRED;
}

enum auth_fail route_ticket_redeem(struct route_env *env, const char *ticket, int64_t now,
                                   struct auth_identity **id)
{
    *id = NULL;
    if (!env || !env->tickets)
        return AUTH_MISSING;
    return ticket_redeem(env->tickets, ticket, now, id);
}

enum route_rc h_create_stream_ticket(struct route_ctx *c)
{
    char hex[STREAM_TICKET_HEX + 1], body[160];
    int rc = c->req.env->tickets ? ticket_mint(c->req.env->tickets, c->req.id,
                                               (int64_t)time(NULL), hex)
                                 : DM_E_STATE;
    route_header(c, "Cache-Control", "no-store");
    if (rc == DM_E_TOO_LARGE) {
        route_header(c, "Retry-After", "5");
        return route_problem(c, 429, "too many unused stream tickets (at most %d live)",
                             STREAM_TICKET_MAX);
    }
    if (rc != DM_OK)
        return route_problem(c, 500, "cannot mint a stream ticket: %s", dm_strerror(rc));
    snprintf(body, sizeof(body), "{\"ticket\":\"%s\",\"expiresIn\":%d}", hex, STREAM_TICKET_TTL_S);
    return route_json(c, 201, body);
}

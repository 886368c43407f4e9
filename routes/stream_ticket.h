/* stream_ticket.h - short-lived, single-use tickets that let a browser's EventSource
 * (which cannot send an Authorization header) open a status stream.
 *
 * POST /api/v1/stream-tickets (bearer auth, dm:read) mints a ticket: 32 random bytes
 * (getrandom), shown as 64 hex digits, kept in this process bound to a copy of the
 * minting identity (sub, scopes), valid STREAM_TICKET_TTL_S seconds (never past the
 * token's exp). The transport's auth phase redeems `?ticket=` on routes flagged
 * ROUTE_F_TICKET when no Authorization header is present: the ticket is removed on first
 * use whatever the outcome, so a leaked URL (history, a proxy log) is worth nothing.
 * The access log records the path without its query string, so tickets are never logged.
 * The store is bounded (STREAM_TICKET_MAX live tickets): minting beyond it answers 429.
 *
 * Ownership: the store belongs to the route_env (route_env_init / route_env_release).
 * Thread-safety: every function may be called from any thread (one mutex). */
#ifndef GW_STREAM_TICKET_H
#define GW_STREAM_TICKET_H

#include <stdint.h>

#include "auth.h"

#define STREAM_TICKET_TTL_S 30
#define STREAM_TICKET_MAX 1024
#define STREAM_TICKET_HEX 64

struct route_env;
struct ticket_store;

struct ticket_store *ticket_store_new(void);
void ticket_store_free(struct ticket_store *s);

/* Mint a ticket for `id` (copied; NULL: an anonymous dm:read identity) at `now` (unix s)
 * into out (STREAM_TICKET_HEX + 1 bytes). DM_OK, DM_E_TOO_LARGE (store full), DM_E_IO
 * (no randomness), DM_E_NOMEM. */
int ticket_mint(struct ticket_store *s, const struct auth_identity *id, int64_t now,
                char out[STREAM_TICKET_HEX + 1]);

/* Redeem `ticket` at `now`: AUTH_OK with *id (owned by the caller) and the ticket gone;
 * AUTH_MALFORMED (not 64 hex digits), AUTH_EXPIRED (unknown, already used or expired). */
enum auth_fail ticket_redeem(struct ticket_store *s, const char *ticket, int64_t now,
                             struct auth_identity **id);

/* The transport's entry point: redeem against env's store (AUTH_MISSING without one). */
enum auth_fail route_ticket_redeem(struct route_env *env, const char *ticket, int64_t now,
                                   struct auth_identity **id);

#endif /* GW_STREAM_TICKET_H */

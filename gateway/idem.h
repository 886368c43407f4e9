/* idem.h - Idempotency-Key for write requests (IETF draft-ietf-httpapi-idempotency-key-
 * header): the answer of a write that carried a key is remembered per (subject, key), so a
 * client that retries a POST whose answer it never saw (its timeout, a dropped connection)
 * gets that answer again instead of a second operation on the master.
 *
 *   idem_begin   first sight of (ns, key): IDEM_NEW and a ticket; the request runs.
 *                The same key again while it runs: IDEM_BUSY (409). After it ended:
 *                IDEM_REPLAY with a copy of the stored answer, or IDEM_MISMATCH (422)
 *                when the fingerprint (method, path, query, body) differs.
 *   idem_finish  the answer of a ticket's request: stored (copied) until the TTL passes.
 *   idem_abandon a ticket whose answer must not be remembered (the operation may not have
 *                happened: 503/504, rate limit): the key is free again.
 *
 * Bounds: at most max_keys entries and max_bytes of stored answers; the oldest finished
 * entries go first (entries of running requests are never evicted). In memory only: a
 * restart or another gateway replica does not know the keys.
 * Thread-safety: every function is thread-safe (one mutex). A ticket belongs to the
 * request that got it until idem_finish / idem_abandon, called exactly once. */
#ifndef GW_IDEM_H
#define GW_IDEM_H

#include <stddef.h>
#include <stdint.h>

#define IDEM_MAX_HEADERS 8
#define IDEM_KEY_MAX 255

/* A stored answer (all strings owned). */
struct idem_answer {
    int status;
    char *content_type;               /* may be NULL */
    char *body;
    size_t body_len;
    char *hkey[IDEM_MAX_HEADERS];
    char *hval[IDEM_MAX_HEADERS];
    size_t nheaders;
};
void idem_answer_clear(struct idem_answer *a);

enum idem_rc { IDEM_NEW, IDEM_REPLAY, IDEM_BUSY, IDEM_MISMATCH, IDEM_NOMEM };

struct idem_store;
struct idem_entry;

/* NULL on out-of-memory. ttl_ms > 0. */
struct idem_store *idem_new(size_t max_keys, size_t max_bytes, int64_t ttl_ms);
void idem_free(struct idem_store *s);

/* now_ms: a monotonic clock. On IDEM_NEW *ticket is set; on IDEM_REPLAY *out is filled
 * (the caller clears it). */
enum idem_rc idem_begin(struct idem_store *s, const char *ns, const char *key, uint64_t fp,
                        int64_t now_ms, struct idem_entry **ticket, struct idem_answer *out);
/* Takes the answer's strings (a is left empty). */
void idem_finish(struct idem_store *s, struct idem_entry *ticket, struct idem_answer *a,
                 int64_t now_ms);
void idem_abandon(struct idem_store *s, struct idem_entry *ticket);
/* Entries held (running + finished). */
size_t idem_count(struct idem_store *s);

/* A header value as a key: an RFC 8941 sf-string ("...") or a bare token, 1..255 visible
 * ASCII characters. Copies the key into out (IDEM_KEY_MAX + 1 bytes); 0 or -1. */
int idem_parse_key(const char *header, char *out);

#endif /* GW_IDEM_H */

/* gtid.h - MariaDB GTID sets as DM v1.0.7 keeps them (pkg/gtid mariadbGTIDSet over
 * go-mysql's MariadbGTIDSet): one "domain-server-seq" per replication domain, the
 * position reached in that domain.
 *
 * Text form: "0-1-42,1-2-7" (comma separated; spaces around items are ignored; "" is the
 * empty set). Printed sorted by domain (go-mysql prints in map order; the set is the same).
 * Semantics (go-mysql):
 *   - update: the GTID replaces the domain's entry (server and seq), even when its seq is
 *     lower (go-mysql's forward warns and goes on); a new domain is added.
 *   - contain(a, b): every domain of b is in a with a.seq >= b.seq (server ignored).
 *   - equal(a, b): same domains with the same server and seq.
 * Parsing: a duplicate domain keeps the later item (go-mysql's Update); a malformed item or
 * more than GTID_MAX_DOMAINS domains is an error naming the item. */
#ifndef DM_WORKER_GTID_H
#define DM_WORKER_GTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GTID_MAX_DOMAINS 64

struct gtid {
    uint32_t domain;
    uint32_t server;
    uint64_t seq;
};

struct gtid_set {
    size_t n;                           /* entries, sorted by domain, one per domain */
    struct gtid g[GTID_MAX_DOMAINS];
};

/* "d-s-q" into *out; false when malformed (missing part, not a number, out of range). */
bool gtid_parse(const char *s, size_t len, struct gtid *out);
/* The text form into *out. DM_OK or DM_E_PARSE / DM_E_TOO_LARGE with err. */
int gtid_set_parse(const char *s, struct gtid_set *out, char *err, size_t cap);
/* The text form into buf; false when it does not fit (buf then holds ""). */
bool gtid_set_format(const struct gtid_set *s, char *buf, size_t cap);
/* DM_OK, or DM_E_TOO_LARGE when g's domain is new and the set is full. */
int gtid_set_update(struct gtid_set *s, const struct gtid *g);
/* Keep the higher seq per domain (a new domain is added): for a GTID_LIST event, which
 * lists GTIDs already in the history. DM_OK or DM_E_TOO_LARGE. */
int gtid_set_merge_max(struct gtid_set *s, const struct gtid *g);
bool gtid_set_contain(const struct gtid_set *a, const struct gtid_set *b);
bool gtid_set_equal(const struct gtid_set *a, const struct gtid_set *b);
/* The entry of `domain`, or NULL. */
const struct gtid *gtid_set_get(const struct gtid_set *s, uint32_t domain);

/* Text-level helpers for holders of the text form (relay.meta, status): apply `g` to the
 * set text in place (update semantics); false when the text does not parse or the result
 * does not fit (then unchanged). */
bool gtid_text_update(char *set, size_t cap, const struct gtid *g);
/* Text equality / containment by meaning (order and spaces do not matter); false when
 * either does not parse. */
bool gtid_text_equal(const char *a, const char *b);
bool gtid_text_contain(const char *a, const char *b);

#endif /* DM_WORKER_GTID_H */

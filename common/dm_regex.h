/* dm_regex.h - the one regular-expression module: Go `regexp` semantics (RE2 syntax) for
 * every pattern DM takes from a user (black-white-list `~` names, binlog event filter
 * sql-pattern, sql-operator `--sql-pattern ~...`). The only code that includes re2
 * (dm_regex.cc is a thin C++ shim, like rpc/absl_tune.cc).
 *
 * Semantics (docs/internals/dm_regex.md): Go's regexp.Compile + MatchString, i.e.
 * leftmost-first, unanchored search, `.` not matching `\n`, `^`/`$` at text edges unless
 * `(?m)`, flags `(?imsU)` anywhere (also mid-pattern, `(?i:...)` groups), `\d \w \s \b`,
 * `\pL \p{Greek}`, `\z`, `\Q...\E`, named groups `(?P<n>...)`. What Go rejects is
 * rejected here too, with Go's message: `\C` (RE2 accepts it), `\Z`, backreferences,
 * lookaround, possessive repeats, repeat counts > 1000.
 *
 * Errors: dm_regex_compile writes Go's text, e.g.
 *   error parsing regexp: invalid escape sequence: `\q`
 * Bounds: a pattern is at most DM_REGEX_MAX_PATTERN bytes; each compiled pattern uses
 * at most DM_REGEX_MAX_MEM bytes (RE2 max_mem: program + DFA caches; a pattern whose
 * program does not fit fails with "expression too large", a DFA that fills up falls back
 * to the NFA, so matching stays correct).
 * Ownership: dm_regex_compile returns an owned object, freed with dm_regex_free.
 * Thread-safety: a compiled regex is immutable; matching from many threads at once is
 * fine. */
#ifndef DM_REGEX_H
#define DM_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DM_REGEX_ICASE 0x1u            /* as a leading "(?i)" (tidb-tools' case-insensitive rules) */
#define DM_REGEX_MAX_PATTERN 65536u    /* bytes */
#define DM_REGEX_MAX_MEM (4 << 20)     /* bytes per compiled pattern */

struct dm_regex;

/* Compile `pattern` (NUL-terminated, Go syntax). DM_OK; DM_E_INVAL with Go's message in
 * err (syntax error, too long, too large); DM_E_NOMEM. *out is NULL on failure. */
int dm_regex_compile(const char *pattern, unsigned flags, struct dm_regex **out, char *err,
                     size_t cap);
/* Go's MatchString: does `s` contain a match (unanchored unless the pattern anchors)? */
bool dm_regex_match(const struct dm_regex *re, const char *s);
/* Same over s[0..len) (need not be NUL-terminated). */
bool dm_regex_match_n(const struct dm_regex *re, const char *s, size_t len);
/* The pattern as given to dm_regex_compile (borrowed from re). */
const char *dm_regex_pattern(const struct dm_regex *re);
void dm_regex_free(struct dm_regex *re);

#ifdef __cplusplus
}
#endif

#endif /* DM_REGEX_H */

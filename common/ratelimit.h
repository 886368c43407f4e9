/* ratelimit.h - token bucket with Go golang.org/x/time/rate semantics: tokens refill
 * continuously at `rate` per second up to `burst`; the bucket starts full. A rate of
 * DM_RATE_INF lets everything through; burst 0 (with a finite rate) lets nothing
 * through. Used by dm-master's worker fan-out (DM error 38018 when no token).
 *
 * Clock: CLOCK_MONOTONIC. The *_at variants take the time explicitly (nanoseconds on
 * that clock) for deterministic tests.
 * Ownership: dm_ratelimit_new returns an owned limiter (dm_ratelimit_free).
 * Thread-safety: all functions except new/free may be called from any thread
 * concurrently (internal mutex; waits sleep outside it). */
#ifndef DM_RATELIMIT_H
#define DM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define DM_RATE_INF (-1.0)

struct dm_ratelimit;

/* rate: tokens per second (> 0, or DM_RATE_INF); burst >= 0. NULL on out-of-memory or
 * invalid arguments (rate <= 0 but not DM_RATE_INF, NaN, burst < 0). */
struct dm_ratelimit *dm_ratelimit_new(double rate, int burst);
void dm_ratelimit_free(struct dm_ratelimit *rl);

/* Change rate and burst (Go SetLimit+SetBurst); tokens accrued so far are kept,
 * capped at the new burst. DM_OK or DM_E_INVAL. */
int dm_ratelimit_set(struct dm_ratelimit *rl, double rate, int burst);

/* Go Allow(): take one token now if available. DM_OK or DM_E_RATE_LIMITED. */
int dm_ratelimit_try_take(struct dm_ratelimit *rl);
int dm_ratelimit_try_take_at(struct dm_ratelimit *rl, int64_t now_ns);

/* Go Wait() with a deadline `timeout_ms` from now (< 0 = no deadline): reserve one
 * token and sleep until it is due. If the token cannot be due within the timeout the
 * call returns DM_E_RATE_LIMITED at once without consuming anything (Go: "would exceed
 * context deadline"); DM_E_RATE_LIMITED also when burst is 0. DM_OK otherwise. */
int dm_ratelimit_wait_take(struct dm_ratelimit *rl, int64_t timeout_ms);

/* Go Reserve(): reserve one token at `now_ns` if it is due within `max_wait_ns`;
 * *wait_ns receives how long the caller must wait before acting. DM_OK or
 * DM_E_RATE_LIMITED (nothing reserved). */
int dm_ratelimit_reserve_at(struct dm_ratelimit *rl, int64_t now_ns, int64_t max_wait_ns,
                            int64_t *wait_ns);

/* Tokens available at `now_ns` (may be negative while reservations are pending). */
double dm_ratelimit_tokens_at(struct dm_ratelimit *rl, int64_t now_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t dm_ratelimit_now_ns(void);

#endif /* DM_RATELIMIT_H */

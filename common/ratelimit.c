/* ratelimit.c - see ratelimit.h. Mirrors x/time/rate: the state is (tokens, last);
 * advance() adds elapsed*rate capped at burst; a reservation may drive tokens negative,
 * and its wait is -tokens/rate. */
#include "ratelimit.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "dm_error.h"

struct dm_ratelimit {
    pthread_mutex_t mu;
    double rate;      /* tokens per second; < 0 = infinite */
    int burst;
    double tokens;
    int64_t last_ns;  /* time of the last advance */
};

static bool rate_valid(double rate, int burst)
{
    if (isnan(rate) || burst < 0)
        return false;
    return rate == DM_RATE_INF || rate > 0;
}

int64_t dm_ratelimit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct dm_ratelimit *dm_ratelimit_new(double rate, int burst)
{
    if (!rate_valid(rate, burst))
        return NULL;
    struct dm_ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    if (pthread_mutex_init(&rl->mu, NULL) != 0) {
        free(rl);
        return NULL;
    }
    rl->rate = rate;
    rl->burst = burst;
    rl->tokens = burst;
    rl->last_ns = dm_ratelimit_now_ns();
    return rl;
}

void dm_ratelimit_free(struct dm_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

/* Tokens at `now` (caller holds mu). Time never runs backwards for the bucket. */
static double advance(const struct dm_ratelimit *rl, int64_t now_ns)
{
    int64_t last = rl->last_ns;
    if (now_ns < last)
        last = now_ns;
    double elapsed_s = (double)(now_ns - last) / 1e9;
    double t = rl->tokens + elapsed_s * rl->rate;
    if (t > rl->burst)
        t = rl->burst;
    return t;
}

int dm_ratelimit_set(struct dm_ratelimit *rl, double rate, int burst)
{
    if (!rl || !rate_valid(rate, burst))
        return DM_E_INVAL;
    pthread_mutex_lock(&rl->mu);
    int64_t now = dm_ratelimit_now_ns();
    if (rl->rate != DM_RATE_INF)
        rl->tokens = advance(rl, now);
    else
        rl->tokens = burst;
    if (rl->tokens > burst)
        rl->tokens = burst;
    rl->last_ns = now;
    rl->rate = rate;
    rl->burst = burst;
    pthread_mutex_unlock(&rl->mu);
    return DM_OK;
}

/* Core of Reserve (caller holds mu). */
static int reserve_locked(struct dm_ratelimit *rl, int64_t now_ns, int64_t max_wait_ns,
                          int64_t *wait_ns)
{
    *wait_ns = 0;
    if (rl->rate == DM_RATE_INF)
        return DM_OK;
    if (rl->burst < 1)
        return DM_E_RATE_LIMITED;
    double t = advance(rl, now_ns) - 1.0;
    int64_t wait = 0;
    if (t < 0)
        wait = (int64_t)ceil(-t / rl->rate * 1e9);
    if (max_wait_ns >= 0 && wait > max_wait_ns)
        return DM_E_RATE_LIMITED;
    if (now_ns > rl->last_ns)
        rl->last_ns = now_ns;
    rl->tokens = t;
    *wait_ns = wait;
    return DM_OK;
}

int dm_ratelimit_reserve_at(struct dm_ratelimit *rl, int64_t now_ns, int64_t max_wait_ns,
                            int64_t *wait_ns)
{
    int64_t dummy;
    if (!rl)
        return DM_E_INVAL;
    if (!wait_ns)
        wait_ns = &dummy;
    pthread_mutex_lock(&rl->mu);
    int rc = reserve_locked(rl, now_ns, max_wait_ns, wait_ns);
    pthread_mutex_unlock(&rl->mu);
    return rc;
}

int dm_ratelimit_try_take_at(struct dm_ratelimit *rl, int64_t now_ns)
{
    return dm_ratelimit_reserve_at(rl, now_ns, 0, NULL);
}

int dm_ratelimit_try_take(struct dm_ratelimit *rl)
{
    return dm_ratelimit_try_take_at(rl, dm_ratelimit_now_ns());
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int dm_ratelimit_wait_take(struct dm_ratelimit *rl, int64_t timeout_ms)
{
    int64_t max_wait = timeout_ms < 0 ? -1 : timeout_ms * 1000000LL;
    int64_t wait = 0;
    int rc = dm_ratelimit_reserve_at(rl, dm_ratelimit_now_ns(), max_wait, &wait);
    if (rc != DM_OK)
        return rc;
    if (wait > 0)
        sleep_ns(wait);
    return DM_OK;
}

double dm_ratelimit_tokens_at(struct dm_ratelimit *rl, int64_t now_ns)
{
    if (!rl)
        return 0;
    pthread_mutex_lock(&rl->mu);
    double t = rl->rate == DM_RATE_INF ? rl->burst : advance(rl, now_ns);
    pthread_mutex_unlock(&rl->mu);
    return t;
}

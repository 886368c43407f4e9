/* dm_time.h - absolute deadlines for pthread_cond_timedwait.
 *
 * Contract: dm_deadline_ms(ms) is now + ms on CLOCK_REALTIME (the clock a condition
 * variable created with default attributes waits on), normalised (tv_nsec < 1e9).
 * ms <= 0 gives now. Pure, thread-safe. One copy of this arithmetic for every timed wait. */
#ifndef DM_TIME_H
#define DM_TIME_H

#include <stdint.h>
#include <time.h>

static inline struct timespec dm_deadline_ms(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ms <= 0)
        return ts;
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif

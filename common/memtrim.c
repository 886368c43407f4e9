/* memtrim.c - see memtrim.h */
#include "memtrim.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static _Atomic int64_t last_trim_ms = INT64_MIN / 2;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dm_mem_tune(void)
{
    if (!getenv("MALLOC_MMAP_THRESHOLD_") && !getenv("GLIBC_TUNABLES"))
        mallopt(M_MMAP_THRESHOLD, DM_MEM_MMAP_THRESHOLD);
}

bool dm_mem_trim(void)
{
    int64_t now = now_ms(), last = atomic_load(&last_trim_ms);
    if (now - last < DM_MEM_TRIM_MIN_MS ||
        !atomic_compare_exchange_strong(&last_trim_ms, &last, now))
        return false;
    malloc_trim(0);
    return true;
}

/* memtrim.h - hand freed heap memory back to the OS after big, short-lived work, so that a
 * burst of large (or hostile) request bodies does not leave the process's RSS above its
 * baseline (issue 17). glibc only.
 *
 * dm_mem_tune: fixes malloc's mmap threshold at DM_MEM_MMAP_THRESHOLD (glibc would raise
 * it to the size of the largest block freed, up to 32 MiB, after which 1 MiB bodies and
 * their copies live in - and stay in - the arenas); blocks at least that big are mapped
 * for themselves and unmapped when freed. The environment (MALLOC_MMAP_THRESHOLD_,
 * GLIBC_TUNABLES) still wins. Call once at start, before threads.
 * dm_mem_trim: malloc_trim(0) (releases free pages inside every arena, not only at the
 * top), at most once per DM_MEM_TRIM_MIN_MS across all threads; returns whether it ran.
 * Thread-safety: dm_mem_trim is thread-safe. */
#ifndef DM_MEMTRIM_H
#define DM_MEMTRIM_H

#include <stdbool.h>

#define DM_MEM_MMAP_THRESHOLD (128 * 1024)
#define DM_MEM_TRIM_MIN_MS 10

void dm_mem_tune(void);
bool dm_mem_trim(void);

#endif /* DM_MEMTRIM_H */

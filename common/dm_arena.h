/* dm_arena.h - a request-scoped bump allocator: many small allocations, one dispose point
 * (dm_arena_release frees them all at once). The first DM_ARENA_INLINE bytes live inside
 * the struct (no malloc for a typical request); more come from malloc'd blocks. The struct
 * holds no pointer into itself, so it may be embedded anywhere. Not thread-safe: one owner
 * at a time (a request's owner thread). */
#ifndef DM_ARENA_H
#define DM_ARENA_H

#include <stddef.h>

#define DM_ARENA_INLINE 256

struct dm_arena_blk;

struct dm_arena {
    struct dm_arena_blk *blk;          /* current malloc'd block, NULL: `first` */
    size_t used;                       /* bytes used in the current block */
    _Alignas(16) char first[DM_ARENA_INLINE];
};

/* Empty arena (also what a zeroed struct is). */
void dm_arena_init(struct dm_arena *a);
/* n bytes aligned to 16 (n = 0: a valid distinct pointer); NULL only when out of memory. */
void *dm_arena_alloc(struct dm_arena *a, size_t n);
/* A copy of s (NUL-terminated); NULL when s is NULL or out of memory. */
char *dm_arena_strdup(struct dm_arena *a, const char *s);
/* Free every block: everything allocated from `a` is gone; `a` is empty again. */
void dm_arena_release(struct dm_arena *a);

#endif

/* dm_arena.c - see dm_arena.h */
#include "dm_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define BLOCK_MIN 1024

struct dm_arena_blk {
    struct dm_arena_blk *prev;         /* blocks filled before this one */
    size_t cap;
    _Alignas(16) char data[];
};

void dm_arena_init(struct dm_arena *a)
{
    a->blk = NULL;
    a->used = 0;
}

static size_t round_up(size_t n)
{
    return (n + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
}

/* A new current block with room for n bytes (twice the last one, at least BLOCK_MIN). */
static int grow(struct dm_arena *a, size_t n)
{
    size_t cap = a->blk ? a->blk->cap * 2 : BLOCK_MIN;
    while (cap < n)
        cap *= 2;
    struct dm_arena_blk *b = malloc(sizeof(*b) + cap);
    if (!b)
        return -1;
    b->prev = a->blk;
    b->cap = cap;
    a->blk = b;
    a->used = 0;
    return 0;
}

void *dm_arena_alloc(struct dm_arena *a, size_t n)
{
    if (n > SIZE_MAX / 4)
        return NULL;
    size_t need = round_up(n ? n : 1);
    size_t cap = a->blk ? a->blk->cap : sizeof(a->first);
    if (need > cap - a->used && grow(a, need) != 0)
        return NULL;
    char *base = a->blk ? a->blk->data : a->first;
    void *p = base + a->used;
    a->used += need;
    return p;
}

char *dm_arena_strdup(struct dm_arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = dm_arena_alloc(a, n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

void dm_arena_release(struct dm_arena *a)
{
    for (struct dm_arena_blk *b = a->blk, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    dm_arena_init(a);
}

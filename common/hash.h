/* hash.h - FNV-1a (64-bit) for in-process hash tables, cache keys and fingerprints.
 * Not a cryptographic hash: never use it where an attacker choosing inputs matters more
 * than a bucket collision. Chain calls to hash several fields: h = dm_fnv1a64(h, p, n).
 * Thread-safety: pure. */
#ifndef DM_HASH_H
#define DM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DM_FNV64_INIT 14695981039346656037ull

static inline uint64_t dm_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

#endif /* DM_HASH_H */

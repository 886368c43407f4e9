/* dm_assert.h - assertions that stay on in release builds (NDEBUG does not remove them):
 * for invariants whose violation would corrupt data or memory. A failed assertion logs
 * the condition and its place on stderr and aborts. Thread-safety: safe anywhere. */
#ifndef DM_ASSERT_H
#define DM_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define DM_ASSERT(cond)                                                                  \
    ((cond) ? (void)0                                                                    \
            : (fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond), \
               abort()))

#endif /* DM_ASSERT_H */

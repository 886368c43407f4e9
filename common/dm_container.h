/* dm_container.h - container_of: the struct that embeds a member, from a pointer to that
 * member (instead of casting a pointer to a struct's first member). Thread-safety: n/a. */
#ifndef DM_CONTAINER_H
#define DM_CONTAINER_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif /* DM_CONTAINER_H */

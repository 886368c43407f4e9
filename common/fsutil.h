/* fsutil.h - small file-system helpers: crash-safe whole-file writes, bounded whole-file
 * reads, mkdir -p.
 * Errors: DM_OK, DM_E_INVAL (bad arguments), DM_E_NOT_FOUND (missing file/parent),
 * DM_E_TOO_LARGE (read over the caller's bound), DM_E_NOMEM, DM_E_IO (any other
 * errno; errno is left set for the caller's message).
 * Thread-safety: reentrant; concurrent atomic writes of the same path are safe (each
 * uses its own temp file; the last rename wins). */
#ifndef DM_FSUTIL_H
#define DM_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Replace `path` atomically with `len` bytes of `data`: write "<path>.tmp.XXXXXX" in
 * the same directory, fsync it, rename over `path`, fsync the directory. Readers see
 * either the old or the new content, never a mix. The new file gets exactly mode 0644
 * (umask not applied); dm_write_file_atomic_mode takes the mode (0600 for secrets). On failure `path` is untouched
 * and the temp file removed. */
int dm_write_file_atomic(const char *path, const void *data, size_t len);
int dm_write_file_atomic_mode(const char *path, const void *data, size_t len, mode_t mode);

/* Read the whole file. *data receives a malloc'd buffer with a NUL appended (not
 * counted in *len); the caller frees it. More than `max` bytes -> DM_E_TOO_LARGE and
 * nothing is returned. `len` may be NULL. */
int dm_read_file(const char *path, size_t max, char **data, size_t *len);

/* Create `path` and missing parents with `mode` (existing directories are fine; an
 * existing non-directory is DM_E_IO with errno ENOTDIR). */
int dm_mkdir_p(const char *path, mode_t mode);

#endif /* DM_FSUTIL_H */

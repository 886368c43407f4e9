/* fsutil.c - see fsutil.h */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_error.h"

static int err_from_errno(int e)
{
    if (e == ENOENT)
        return DM_E_NOT_FOUND;
    if (e == ENOMEM)
        return DM_E_NOMEM;
    return DM_E_IO;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync the directory holding `path` so the rename itself is durable. */
static int fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof(dir))
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int dm_write_file_atomic_mode(const char *path, const void *data, size_t len, mode_t mode)
{
    if (!path || !*path || (!data && len))
        return DM_E_INVAL;
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return DM_E_INVAL;

    int result = DM_E_IO;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return err_from_errno(errno);
    if (fchmod(fd, mode) != 0)
        goto out;
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto out;
    tmp[0] = '\0';   /* renamed: nothing to remove any more */
    if (fsync_parent(path) != 0)
        goto out;
    result = DM_OK;
out:
    if (result != DM_OK) {
        int saved = errno;
        result = err_from_errno(saved);
        if (fd >= 0)
            close(fd);
        if (tmp[0])
            unlink(tmp);
        errno = saved;
    }
    return result;
}

int dm_write_file_atomic(const char *path, const void *data, size_t len)
{
    return dm_write_file_atomic_mode(path, data, len, 0644);
}

int dm_read_file(const char *path, size_t max, char **data, size_t *len)
{
    if (!path || !data)
        return DM_E_INVAL;
    *data = NULL;
    if (len)
        *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_from_errno(errno);

    int result = DM_E_IO;
    char *buf = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used == cap) {
            if (cap > max) {          /* already read max+1 bytes */
                result = DM_E_TOO_LARGE;
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 4096;
            if (ncap > max + 1)
                ncap = max + 1;
            if (ncap <= cap)
                ncap = cap + 1;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                result = DM_E_NOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            result = err_from_errno(errno);
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used > max) {
        result = DM_E_TOO_LARGE;
        goto out;
    }
    if (!buf) {
        buf = malloc(1);
        if (!buf) {
            result = DM_E_NOMEM;
            goto out;
        }
    }
    buf[used] = '\0';
    *data = buf;
    buf = NULL;
    if (len)
        *len = used;
    result = DM_OK;
out:
    free(buf);
    close(fd);
    return result;
}

int dm_mkdir_p(const char *path, mode_t mode)
{
    if (!path || !*path)
        return DM_E_INVAL;
    char p[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(p))
        return DM_E_INVAL;
    memcpy(p, path, n + 1);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1; ; s++) {
        bool last = (*s == '\0');
        if (*s != '/' && !last)
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST)
            return err_from_errno(errno);
        struct stat st;
        if (stat(p, &st) != 0)
            return err_from_errno(errno);
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return DM_E_IO;
        }
        *s = saved;
        if (last)
            break;
    }
    return DM_OK;
}

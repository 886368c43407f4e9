/* taskstore.c - the last accepted task YAML per task, kept in <data-dir>/tasks/ so that
 * GetTaskCfg survives a restart. File name = task name with every byte outside
 * [A-Za-z0-9_-] written as %XX, plus ".yaml". Writes are atomic + fsync'd (fsutil). */
#include "master_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm_error.h"
#include "fsutil.h"

static int task_path(struct master *m, const char *task, char *out, size_t cap, bool mkdir)
{
    const char *dir = m->cfg.data_dir && *m->cfg.data_dir ? m->cfg.data_dir : ".";
    int n = snprintf(out, cap, "%s/tasks", dir);
    if (n < 0 || (size_t)n >= cap)
        return DM_E_INVAL;
    if (mkdir && dm_mkdir_p(out, 0755) != DM_OK)
        return DM_E_IO;
    size_t len = (size_t)n;
    if (len + 2 >= cap)
        return DM_E_INVAL;
    out[len++] = '/';
    for (const unsigned char *p = (const unsigned char *)task; *p; p++) {
        if (len + 4 >= cap)
            return DM_E_INVAL;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '_' || *p == '-')
            out[len++] = (char)*p;
        else
            len += (size_t)snprintf(out + len, cap - len, "%%%02X", *p);
    }
    if (len + 6 >= cap)
        return DM_E_INVAL;
    memcpy(out + len, ".yaml", 6);
    return DM_OK;
}

int master_taskstore_put(struct master *m, const char *task, const char *yaml)
{
    char path[4096];
    int rc = task_path(m, task, path, sizeof(path), true);
    if (rc != DM_OK)
        return rc;
    return dm_write_file_atomic(path, yaml ? yaml : "", yaml ? strlen(yaml) : 0);
}

int master_taskstore_get(struct master *m, const char *task, char **yaml)
{
    char path[4096];
    int rc = task_path(m, task, path, sizeof(path), false);
    if (rc != DM_OK)
        return rc;
    rc = dm_read_file(path, 1u << 24, yaml, NULL);
    return rc;
}

int master_taskstore_del(struct master *m, const char *task)
{
    char path[4096];
    int rc = task_path(m, task, path, sizeof(path), false);
    if (rc != DM_OK)
        return rc;
    if (unlink(path) != 0 && errno != ENOENT)
        return DM_E_IO;
    return DM_OK;
}

/* meta.c - persistent subtask records and the operation log (see meta.h). */
#include "meta.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dm_error.h"
#include "fsutil.h"

#define OPLOG_KEEP 1000
#define META_FILE_MAX (64u << 20)

struct worker_meta {
    char *dir;
    char *subdir;
    json_t *logs;      /* array of entries */
    int64_t next_id;
};

static int write_json(const char *path, const json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    int rc;
    if (!s)
        return DM_E_NOMEM;
    rc = dm_write_file_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

static char *subtask_path(const struct worker_meta *m, const char *name)
{
    static const char hx[] = "0123456789abcdef";
    size_t n = strlen(name), i, dl = strlen(m->subdir);
    char *p = malloc(dl + 2 * n + 8);
    char *o;
    if (!p)
        return NULL;
    memcpy(p, m->subdir, dl);
    o = p + dl;
    *o++ = '/';
    for (i = 0; i < n; i++) {
        *o++ = hx[(unsigned char)name[i] >> 4];
        *o++ = hx[(unsigned char)name[i] & 15];
    }
    strcpy(o, ".json");
    return p;
}

static int load_oplog(struct worker_meta *m, char *err, size_t cap)
{
    char path[4096], *text = NULL;
    json_error_t je;
    json_t *doc;
    int rc;
    snprintf(path, sizeof path, "%s/oplog.json", m->dir);
    rc = dm_read_file(path, META_FILE_MAX, &text, NULL);
    if (rc == DM_E_NOT_FOUND) {
        m->logs = json_array();
        m->next_id = 1;
        return m->logs ? DM_OK : DM_E_NOMEM;
    }
    if (rc) {
        snprintf(err, cap, "read %s: %s", path, strerror(errno));
        return rc;
    }
    doc = json_loads(text, 0, &je);
    free(text);
    if (!doc || !json_is_array(json_object_get(doc, "logs"))) {
        snprintf(err, cap, "%s: malformed operation log", path);
        json_decref(doc);
        return DM_E_PARSE;
    }
    m->logs = json_incref(json_object_get(doc, "logs"));
    m->next_id = json_integer_value(json_object_get(doc, "next"));
    if (m->next_id < 1)
        m->next_id = 1;
    json_decref(doc);
    return DM_OK;
}

int worker_meta_open(const char *meta_dir, struct worker_meta **out, char *err, size_t cap)
{
    struct worker_meta *m = calloc(1, sizeof *m);
    size_t n = strlen(meta_dir) + 16;
    int rc = DM_E_NOMEM;
    *out = NULL;
    if (!m || !(m->dir = strdup(meta_dir)) || !(m->subdir = malloc(n)))
        goto fail;
    snprintf(m->subdir, n, "%s/subtasks", meta_dir);
    if (dm_mkdir_p(m->subdir, 0755)) {
        snprintf(err, cap, "cannot create %s: %s", m->subdir, strerror(errno));
        rc = DM_E_IO;
        goto fail;
    }
    if ((rc = load_oplog(m, err, cap)))
        goto fail;
    *out = m;
    return DM_OK;
fail:
    if (rc == DM_E_NOMEM)
        snprintf(err, cap, "out of memory");
    worker_meta_free(m);
    return rc;
}

void worker_meta_free(struct worker_meta *m)
{
    if (!m)
        return;
    json_decref(m->logs);
    free(m->subdir);
    free(m->dir);
    free(m);
}

static json_t *entry_json(const struct worker_oplog_entry *e)
{
    return json_pack("{sI sI sI ss sI sb ss}", "id", (json_int_t)e->id, "op", (json_int_t)e->op,
                     "stage", (json_int_t)e->stage, "name", e->name, "ts", (json_int_t)e->ts,
                     "success", e->success, "message", e->message);
}

int worker_meta_log_append(struct worker_meta *m, struct worker_oplog_entry *e)
{
    char path[4096];
    struct timespec ts;
    json_t *doc, *j;
    int rc;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->id = m->next_id;
    e->ts = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    j = entry_json(e);
    if (!j || json_array_append_new(m->logs, j))
        return DM_E_NOMEM;
    while (json_array_size(m->logs) > OPLOG_KEEP)
        json_array_remove(m->logs, 0);
    m->next_id++;
    doc = json_pack("{sI sO}", "next", (json_int_t)m->next_id, "logs", m->logs);
    if (!doc)
        return DM_E_NOMEM;
    snprintf(path, sizeof path, "%s/oplog.json", m->dir);
    rc = write_json(path, doc);
    json_decref(doc);
    return rc;
}

int worker_meta_log_get(struct worker_meta *m, int64_t id, struct worker_oplog_entry *out,
                        bool *found)
{
    size_t i;
    json_t *j;
    *found = false;
    json_array_foreach(m->logs, i, j) {
        if (json_integer_value(json_object_get(j, "id")) != id)
            continue;
        memset(out, 0, sizeof *out);
        out->id = id;
        out->op = (int)json_integer_value(json_object_get(j, "op"));
        out->stage = (int)json_integer_value(json_object_get(j, "stage"));
        out->ts = json_integer_value(json_object_get(j, "ts"));
        out->success = json_is_true(json_object_get(j, "success"));
        snprintf(out->name, sizeof out->name, "%s",
                 json_string_value(json_object_get(j, "name")) ? json_string_value(json_object_get(j, "name")) : "");
        snprintf(out->message, sizeof out->message, "%s",
                 json_string_value(json_object_get(j, "message")) ? json_string_value(json_object_get(j, "message")) : "");
        *found = true;
        return DM_OK;
    }
    return DM_OK;
}

int worker_meta_save_subtask(struct worker_meta *m, const char *name, int stage,
                             const json_t *config)
{
    char *path = subtask_path(m, name);
    json_t *doc;
    int rc;
    if (!path)
        return DM_E_NOMEM;
    doc = json_pack("{ss sI sO}", "name", name, "stage", (json_int_t)stage, "config", config);
    rc = doc ? write_json(path, doc) : DM_E_NOMEM;
    json_decref(doc);
    free(path);
    return rc;
}

int worker_meta_delete_subtask(struct worker_meta *m, const char *name)
{
    char *path = subtask_path(m, name);
    int rc = DM_OK;
    if (!path)
        return DM_E_NOMEM;
    if (unlink(path) != 0 && errno != ENOENT)
        rc = DM_E_IO;
    free(path);
    return rc;
}

int worker_meta_load_subtasks(struct worker_meta *m, json_t **out)
{
    DIR *d = opendir(m->subdir);
    struct dirent *de;
    json_t *arr = json_array();
    *out = NULL;
    if (!d || !arr) {
        if (d)
            closedir(d);
        json_decref(arr);
        return d ? DM_E_NOMEM : DM_E_IO;
    }
    while ((de = readdir(d))) {
        char path[4096], *text = NULL;
        size_t nl = strlen(de->d_name);
        json_t *doc;
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", m->subdir, de->d_name);
        if (dm_read_file(path, META_FILE_MAX, &text, NULL))
            continue;
        doc = json_loads(text, 0, NULL);
        free(text);
        if (doc && json_is_string(json_object_get(doc, "name")) &&
            json_is_object(json_object_get(doc, "config")))
            json_array_append_new(arr, doc);
        else
            json_decref(doc);
    }
    closedir(d);
    *out = arr;
    return DM_OK;
}

/* ddl_pending.c - the outcome of a resolved DDL lock that did not reach a worker.
 *
 * When a lock resolves (auto or unlock-ddl-lock) the owner executes the DDL and every
 * other member gets ExecuteDDL{exec:false}. A member that was synced (blocking on the
 * DDL) or that could not be reached (down, restarting) and did not take the skip would
 * meet the DDL again after its restart and form a lock of its own that the other workers
 * never join (DM v1.0.7 stalls there). dm-master keeps a "pending skip" (lock ID, task,
 * worker, DDLs) for it, persisted in <data-dir>/ddl-pending.json (survives a dm-master
 * restart), and answers that worker's next DDLInfo for the same lock ID and DDLs with
 * the DDLLockInfo followed by ExecuteDDL{exec:false} instead of a new lock. A report of
 * the same lock ID with other DDLs drops the entry (the worker moved past it). The
 * entry also goes when the skip succeeded and with break-ddl-lock on that worker and task
 * (the operator decides for it).
 *
 * Thread-safety: every function takes m->mu. Errors: best effort (an entry that cannot
 * be stored is logged; the worker then stalls as in DM and the operator resolves it). */
#include "master_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "fsutil.h"
#include "log.h"

#define PENDING_MAX 1024
#define PENDING_FILE_MAX (16u << 20)

struct pend {
    char *id, *task, *worker;
    struct master_strv ddls;
};

/* A lock whose owner was sent ExecuteDDL{exec:true}: kept until the lock is removed, so a
 * dm-master restart rebuilds it with the same owner and members (master_ddl_restore_lock)
 * instead of letting another member own it and run the DDL a second time. */
struct resolving {
    char *id, *task, *owner, *trace;
    struct master_strv ddls, members;
};

struct master_ddl_pending {
    struct pend *v;
    size_t n;
    struct resolving *r;
    size_t nr;
};

static void resolving_clear(struct resolving *r)
{
    free(r->id);
    free(r->task);
    free(r->owner);
    free(r->trace);
    master_strv_clear(&r->ddls);
    master_strv_clear(&r->members);
}

static json_t *strv_json(const struct master_strv *v)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < v->n; k++)
        json_array_append_new(a, json_string(v->items[k]));
    return a ? a : json_array();
}

/* JSON array of strings -> strv (false when malformed). */
static bool json_strv(const json_t *a, struct master_strv *out)
{
    size_t n = json_array_size(a), k;
    char **v = calloc(n + 1, sizeof *v);
    bool ok = v && json_is_array(a);
    for (k = 0; ok && k < n; k++)
        ok = (v[k] = (char *)json_string_value(json_array_get(a, k))) != NULL;
    ok = ok && master_strv_copy(out, v, n) == DM_OK;
    free(v);
    return ok;
}

static void pend_clear(struct pend *p)
{
    free(p->id);
    free(p->task);
    free(p->worker);
    master_strv_clear(&p->ddls);
}

static int file_path(struct master *m, char *out, size_t cap)
{
    const char *dir = m->cfg.data_dir && *m->cfg.data_dir ? m->cfg.data_dir : ".";
    int n = snprintf(out, cap, "%s/ddl-pending.json", dir);
    return n > 0 && (size_t)n < cap ? DM_OK : DM_E_INVAL;
}

/* Under m->mu. */
static void save_locked(struct master *m)
{
    struct master_ddl_pending *p = m->ddl_pending;
    json_t *arr = json_array(), *res = json_array(), *top;
    char path[4096], *txt = NULL;
    for (size_t i = 0; arr && i < p->n; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o}", "id", p->v[i].id, "task",
                                             p->v[i].task, "worker", p->v[i].worker, "ddls",
                                             strv_json(&p->v[i].ddls)));
    for (size_t i = 0; res && i < p->nr; i++)
        json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "id", p->r[i].id, "task",
                                             p->r[i].task, "owner", p->r[i].owner, "trace",
                                             p->r[i].trace, "ddls",
                                             strv_json(&p->r[i].ddls), "members",
                                             strv_json(&p->r[i].members)));
    top = arr && res ? json_pack("{s:O,s:O}", "pending", arr, "resolving", res) : NULL;
    if (top)
        txt = json_dumps(top, JSON_INDENT(1));
    json_decref(top);
    json_decref(res);
    json_decref(arr);
    if (!txt || file_path(m, path, sizeof path) != DM_OK ||
        dm_mkdir_p(m->cfg.data_dir && *m->cfg.data_dir ? m->cfg.data_dir : ".", 0755) != DM_OK ||
        dm_write_file_atomic(path, txt, strlen(txt)) != DM_OK)
        dm_log_kv(DM_LOG_ERROR, "fail to store the pending DDL lock skips", "file", path, NULL);
    free(txt);
}

/* Under m->mu; takes ownership of nothing (copies). */
static int add_locked(struct master *m, const char *id, const char *task, const char *worker,
                      char *const *ddls, size_t n)
{
    struct master_ddl_pending *p = m->ddl_pending;
    struct pend *tmp, *e;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->v[i].id, id) && !strcmp(p->v[i].worker, worker)) {
            pend_clear(&p->v[i]);
            p->v[i] = p->v[--p->n];
            break;
        }
    if (p->n >= PENDING_MAX)
        return DM_E_TOO_LARGE;
    if (!(tmp = realloc(p->v, (p->n + 1) * sizeof *tmp)))
        return DM_E_NOMEM;
    p->v = tmp;
    e = &p->v[p->n];
    memset(e, 0, sizeof *e);
    e->id = strdup(id);
    e->task = strdup(task);
    e->worker = strdup(worker);
    if (!e->id || !e->task || !e->worker || master_strv_copy(&e->ddls, ddls, n) != DM_OK) {
        pend_clear(e);
        return DM_E_NOMEM;
    }
    p->n++;
    return DM_OK;
}

int master_ddl_pending_init(struct master *m)
{
    char path[4096], *txt = NULL;
    json_t *top, *arr, *it;
    size_t i;
    if (!(m->ddl_pending = calloc(1, sizeof *m->ddl_pending)))
        return DM_E_NOMEM;
    if (file_path(m, path, sizeof path) != DM_OK ||
        dm_read_file(path, PENDING_FILE_MAX, &txt, NULL) != DM_OK)
        return DM_OK;                 /* none stored */
    top = json_loads(txt, 0, NULL);
    free(txt);
    arr = json_object_get(top, "pending");
    json_array_foreach(arr, i, it) {
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *task = json_string_value(json_object_get(it, "task"));
        const char *w = json_string_value(json_object_get(it, "worker"));
        json_t *d = json_object_get(it, "ddls");
        size_t n = json_array_size(d), k;
        char **v = calloc(n + 1, sizeof *v);
        for (k = 0; v && k < n; k++)
            if (!(v[k] = (char *)json_string_value(json_array_get(d, k))))
                break;
        if (id && task && w && v && k == n)
            (void)add_locked(m, id, task, w, v, n);
        free(v);
    }
    json_array_foreach(json_object_get(top, "resolving"), i, it) {
        struct resolving r;
        memset(&r, 0, sizeof r);
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *task = json_string_value(json_object_get(it, "task"));
        const char *owner = json_string_value(json_object_get(it, "owner"));
        const char *trace = json_string_value(json_object_get(it, "trace"));   /* "" before */
        if (id && task && owner && json_strv(json_object_get(it, "ddls"), &r.ddls) &&
            json_strv(json_object_get(it, "members"), &r.members) &&
            master_ddl_restore_lock(m, id, task, owner, trace, &r.ddls, &r.members) == DM_OK) {
            r.id = strdup(id);
            r.task = strdup(task);
            r.owner = strdup(owner);
            r.trace = strdup(trace ? trace : "");
            struct resolving *tmp = realloc(m->ddl_pending->r,
                                            (m->ddl_pending->nr + 1) * sizeof *tmp);
            if (tmp && r.id && r.task && r.owner && r.trace) {
                m->ddl_pending->r = tmp;
                tmp[m->ddl_pending->nr++] = r;
                dm_log_kv(DM_LOG_WARN, "restored a DDL lock whose owner was executing its DDL "
                          "when dm-master stopped", "lock", id, "owner", owner, NULL);
                continue;
            }
            if (tmp)
                m->ddl_pending->r = tmp;
        }
        resolving_clear(&r);
    }
    if (!json_is_object(top))
        dm_log_kv(DM_LOG_ERROR, "ignore a malformed pending DDL lock skip file", "file", path, NULL);
    json_decref(top);
    return DM_OK;
}

void master_ddl_resolving_put(struct master *m, const char *id, const char *task,
                              const char *owner, const char *trace, const struct master_strv *ddls,
                              const struct master_strv *members)
{
    struct master_ddl_pending *p = m->ddl_pending;
    struct resolving r, *tmp;
    bool ok;
    memset(&r, 0, sizeof r);
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < p->nr; i++)
        if (!strcmp(p->r[i].id, id)) {
            resolving_clear(&p->r[i]);
            p->r[i] = p->r[--p->nr];
            break;
        }
    r.id = strdup(id);
    r.task = strdup(task);
    r.owner = strdup(owner);
    r.trace = strdup(trace ? trace : "");
    ok = r.id && r.task && r.owner && r.trace && master_strv_copy(&r.ddls, ddls->items, ddls->n) == DM_OK &&
         master_strv_copy(&r.members, members->items, members->n) == DM_OK &&
         (tmp = realloc(p->r, (p->nr + 1) * sizeof *tmp)) != NULL;
    if (ok) {
        p->r = tmp;
        p->r[p->nr++] = r;
        save_locked(m);
    } else {
        resolving_clear(&r);
    }
    pthread_mutex_unlock(&m->mu);
}

void master_ddl_resolving_del(struct master *m, const char *id)
{
    struct master_ddl_pending *p = m->ddl_pending;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; p && i < p->nr; i++)
        if (!strcmp(p->r[i].id, id)) {
            resolving_clear(&p->r[i]);
            p->r[i] = p->r[--p->nr];
            save_locked(m);
            break;
        }
    pthread_mutex_unlock(&m->mu);
}

void master_ddl_pending_free(struct master *m)
{
    struct master_ddl_pending *p = m->ddl_pending;
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        pend_clear(&p->v[i]);
    for (size_t i = 0; i < p->nr; i++)
        resolving_clear(&p->r[i]);
    free(p->v);
    free(p->r);
    free(p);
    m->ddl_pending = NULL;
}

void master_ddl_pending_add(struct master *m, const char *id, const char *task,
                            const char *worker, const struct master_strv *ddls)
{
    int rc;
    pthread_mutex_lock(&m->mu);
    rc = add_locked(m, id, task, worker, ddls->items, ddls->n);
    if (rc == DM_OK)
        save_locked(m);
    pthread_mutex_unlock(&m->mu);
    dm_log_kv(rc == DM_OK ? DM_LOG_WARN : DM_LOG_ERROR, rc == DM_OK ?
              "worker did not take the skip of a resolved DDL lock: sent when it reports the "
              "DDL again" : "fail to keep the skip of a resolved DDL lock for a worker",
              "lock", id, "worker", worker, NULL);
}

int master_ddl_pending_match(struct master *m, const char *id, const char *worker,
                             char *const *ddls, size_t n)
{
    struct master_ddl_pending *p = m->ddl_pending;
    int found = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < p->n; i++) {
        struct pend *e = &p->v[i];
        if (strcmp(e->id, id) || strcmp(e->worker, worker))
            continue;
        bool same = e->ddls.n == n;
        for (size_t k = 0; same && k < n; k++)
            same = strcmp(e->ddls.items[k], ddls[k]) == 0;
        if (same) {
            found = 1;
        } else {
            pend_clear(e);
            p->v[i] = p->v[--p->n];
            save_locked(m);
        }
        break;
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

void master_ddl_pending_del(struct master *m, const char *task, const char *id,
                            const char *worker)
{
    struct master_ddl_pending *p = m->ddl_pending;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < p->n;) {
        const struct pend *e = &p->v[i];
        if ((!task || !strcmp(e->task, task)) && (!id || !strcmp(e->id, id)) &&
            (!worker || !strcmp(e->worker, worker))) {
            pend_clear(&p->v[i]);
            p->v[i] = p->v[--p->n];
            save_locked(m);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

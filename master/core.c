/* core.c - dm-master lifecycle, worker registry, taskWorkers map, the job pool that runs
 * every handler, and the single worker-RPC path (token bucket + deadline + DM errors). */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"
#include "fsutil.h"
#include "log.h"
#include "ratelimit.h"
#include "terror.h"
#include "dm_time.h"

#define POOL_THREADS 16

struct master_job {
    struct master_job *next;
    master_impl_fn impl;
    struct rpc_server_call *call;
    const ProtobufCMessage *req;
};

/* ---------- small helpers ---------- */

char *master_strdup(const char *s) { return strdup(s ? s : ""); }

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void master_strv_sort(struct master_strv *v)
{
    if (v->n > 1)
        qsort(v->items, v->n, sizeof(char *), cmpstr);
}

int master_strv_add(struct master_strv *v, const char *s)
{
    char **tmp = realloc(v->items, (v->n + 1) * sizeof(*tmp));
    if (!tmp)
        return DM_E_NOMEM;
    v->items = tmp;
    if (!(v->items[v->n] = strdup(s)))
        return DM_E_NOMEM;
    v->n++;
    return DM_OK;
}

bool master_strv_has(const struct master_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->items[i], s) == 0)
            return true;
    return false;
}

void master_strv_clear(struct master_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->n = 0;
}

int master_strv_copy(struct master_strv *dst, char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (master_strv_add(dst, items[i]) != DM_OK)
            return DM_E_NOMEM;
    return DM_OK;
}

void *master_msg_new(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *msg = calloc(1, d->sizeof_message);
    if (msg)
        protobuf_c_message_init(d, msg);
    return msg;
}

void **master_ptrs_new(size_t n) { return calloc(n ? n : 1, sizeof(void *)); }

void master_reply_free(struct rpc_server_call *call, ProtobufCMessage *resp)
{
    if (!resp) {
        rpc_server_reply_error(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    rpc_server_reply(call, resp);
    protobuf_c_message_free_unpacked(resp, NULL);
}

const struct rpc_method *master_wmethod(const char *name)
{
    return rpc_method_find(&pb__worker__descriptor, name);
}

bool master_sleep(struct master *m, int64_t ms)
{
    while (ms > 0 && !atomic_load(&m->stopping)) {
        int64_t step = ms > 50 ? 50 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return !atomic_load(&m->stopping);
}

/* ---------- parallel ---------- */

struct par_arg {
    void (*fn)(void *, size_t);
    void *ctx;
    size_t i;
};

static void *par_main(void *p)
{
    struct par_arg *a = p;
    a->fn(a->ctx, a->i);
    return NULL;
}

void master_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    if (n == 0)
        return;
    pthread_t *th = calloc(n, sizeof(*th));
    struct par_arg *args = calloc(n, sizeof(*args));
    bool *started = calloc(n, sizeof(*started));
    if (!th || !args || !started) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        args[i] = (struct par_arg){fn, ctx, i};
        started[i] = pthread_create(&th[i], NULL, par_main, &args[i]) == 0;
        if (!started[i])
            fn(ctx, i);
    }
    for (size_t i = 0; i < n; i++)
        if (started[i])
            pthread_join(th[i], NULL);
out:
    free(th);
    free(args);
    free(started);
}

/* ---------- worker registry ---------- */

static struct master_worker *worker_find_locked(struct master *m, const char *addr)
{
    for (size_t i = 0; i < m->nworkers; i++)
        if (strcmp(m->workers[i]->addr, addr) == 0)
            return m->workers[i];
    return NULL;
}

struct master_worker *master_worker_get(struct master *m, const char *addr)
{
    pthread_mutex_lock(&m->mu);
    struct master_worker *w = addr ? worker_find_locked(m, addr) : NULL;
    if (w)
        w->refs++;
    pthread_mutex_unlock(&m->mu);
    return w;
}

static void worker_destroy(struct master_worker *w)
{
    rpc_channel_free(w->ch);
    free(w->addr);
    free(w);
}

void master_worker_put(struct master *m, struct master_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&m->mu);
    bool last = --w->refs == 0 && w->removed;
    pthread_mutex_unlock(&m->mu);
    if (last)
        worker_destroy(w);
}

bool master_worker_known(struct master *m, const char *addr)
{
    pthread_mutex_lock(&m->mu);
    bool ok = worker_find_locked(m, addr) != NULL;
    pthread_mutex_unlock(&m->mu);
    return ok;
}

int master_worker_list(struct master *m, struct master_strv *out)
{
    int rc = DM_OK;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nworkers && rc == DM_OK; i++)
        rc = master_strv_add(out, m->workers[i]->addr);
    pthread_mutex_unlock(&m->mu);
    master_strv_sort(out);
    return rc;
}

char *master_deploy_worker(struct master *m, const char *source_id)
{
    char *w = NULL;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->cfg.n_deploy && !w; i++)
        if (strcmp(m->cfg.deploy[i].source_id, source_id) == 0)
            w = strdup(m->cfg.deploy[i].worker);
    pthread_mutex_unlock(&m->mu);
    return w;
}

/* add a worker (m->mu held); starts nothing */
static struct master_worker *worker_add_locked(struct master *m, const char *addr)
{
    struct master_worker *w = worker_find_locked(m, addr);
    if (w)
        return w;
    struct master_worker **tmp = realloc(m->workers, (m->nworkers + 1) * sizeof(*tmp));
    if (!tmp)
        return NULL;
    m->workers = tmp;
    w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->addr = strdup(addr);
    w->ch = w->addr ? rpc_channel_new(addr) : NULL;
    if (!w->ch) {
        free(w->addr);
        free(w);
        return NULL;
    }
    w->refs = 1;   /* the registry's reference */
    m->workers[m->nworkers++] = w;
    return w;
}

/* Reconcile workers with cfg.deploy (startup and update-master-config). */
int master_workers_sync(struct master *m, struct master_worker ***removed, size_t *nremoved,
                        struct master_worker ***added, size_t *nadded)
{
    int rc = DM_OK;
    pthread_mutex_lock(&m->mu);
    *removed = (struct master_worker **)master_ptrs_new(m->nworkers);
    *added = (struct master_worker **)master_ptrs_new(m->cfg.n_deploy);
    *nremoved = *nadded = 0;
    if (!*removed || !*added) {
        rc = DM_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->nworkers;) {
        bool keep = false;
        for (size_t j = 0; j < m->cfg.n_deploy; j++)
            keep = keep || strcmp(m->cfg.deploy[j].worker, m->workers[i]->addr) == 0;
        if (keep) {
            i++;
            continue;
        }
        m->workers[i]->removed = true;
        (*removed)[(*nremoved)++] = m->workers[i];   /* caller drops the registry ref */
        m->workers[i] = m->workers[--m->nworkers];
    }
    for (size_t j = 0; j < m->cfg.n_deploy; j++) {
        if (worker_find_locked(m, m->cfg.deploy[j].worker))
            continue;
        struct master_worker *w = worker_add_locked(m, m->cfg.deploy[j].worker);
        if (!w) {
            rc = DM_E_NOMEM;
            break;
        }
        (*added)[(*nadded)++] = w;
    }
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* ---------- the worker RPC ---------- */

/* Completion side of master_call_many: one slot per started call, filled on the rpc
 * client cq thread; the caller waits until `pending` drops to 0. */
struct mc_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t pending;
};

struct mc_slot {
    struct mc_wait *w;
    int status;
    ProtobufCMessage *resp;
    char *details;             /* malloc'd, only for a non-OK status (keeps slots small) */
};

static void mc_done(void *arg, struct rpc_result *res)
{
    struct mc_slot *s = arg;
    s->status = res->status;
    s->resp = res->resp;
    res->resp = NULL;
    if (res->status != RPC_OK)
        s->details = strndup(res->details ? res->details : "", 2047);   /* as the former 2 KiB buffer */
    pthread_mutex_lock(&s->w->mu);
    if (--s->w->pending == 0)
        pthread_cond_signal(&s->w->cv);
    pthread_mutex_unlock(&s->w->mu);   /* the waiter may free the slots from here on */
}

static void sleep_until_ns(int64_t due_ns)
{
    for (;;) {
        int64_t left = due_ns - dm_ratelimit_now_ns();
        if (left <= 0)
            return;
        struct timespec ts = {(time_t)(left / 1000000000LL), (long)(left % 1000000000LL)};
        nanosleep(&ts, NULL);
    }
}

static char *not_found_text(const char *worker)
{
    char buf[600];
    snprintf(buf, sizeof(buf), "%s relevant worker-client not found", worker);
    return strdup(buf);
}

void master_call_many(struct master *m, size_t n, char *const *workers, const char *method,
                      const ProtobufCMessage *req, int64_t timeout_ms, bool use_token,
                      struct master_callres *out)
{
    if (n == 0)
        return;
    memset(out, 0, n * sizeof(*out));
    const struct rpc_method *rm = master_wmethod(method);
    struct master_worker **ws = calloc(n, sizeof(*ws));
    struct mc_slot *slots = calloc(n, sizeof(*slots));
    int64_t *due = calloc(n, sizeof(*due));
    if (!ws || !slots || !due) {
        for (size_t i = 0; i < n; i++) {
            out[i].rc = DM_E_NOMEM;
            out[i].errmsg = master_terr_grpc(RPC_UNAVAILABLE, dm_strerror(DM_E_NOMEM));
        }
        goto out;
    }
    struct mc_wait wait = {.pending = 0};
    pthread_mutex_init(&wait.mu, NULL);
    pthread_cond_init(&wait.cv, NULL);
    /* 1. references and tokens, all reserved now (as N concurrent Go Wait()s would);
     * the reservations' due times never decrease with i */
    int64_t max_wait = m->cfg.rpc_timeout_ms < 0 ? -1 : m->cfg.rpc_timeout_ms * 1000000LL;
    for (size_t i = 0; i < n; i++) {
        out[i].status = RPC_OK;
        ws[i] = rm ? master_worker_get(m, workers[i]) : NULL;
        if (!ws[i]) {
            out[i].rc = DM_E_NOT_FOUND;
            out[i].errmsg = not_found_text(workers[i]);
            continue;
        }
        int64_t now = dm_ratelimit_now_ns(), w = 0;
        if (use_token && dm_ratelimit_reserve_at(m->rl, now, max_wait, &w) != DM_OK) {
            master_worker_put(m, ws[i]);
            ws[i] = NULL;
            out[i].rc = DM_E_RATE_LIMITED;
            out[i].errmsg = master_terr_fmt(&MASTER_TE_NO_EMIT_TOKEN, NULL,
                                            "fail to get emit opportunity for worker %s", workers[i]);
            continue;
        }
        due[i] = w > 0 ? now + w : 0;
    }
    /* 2. start each call when its token is due (the deadline starts then, as before) */
    for (size_t i = 0; i < n; i++) {
        if (!ws[i])
            continue;
        if (due[i])
            sleep_until_ns(due[i]);
        slots[i].w = &wait;
        pthread_mutex_lock(&wait.mu);
        wait.pending++;
        pthread_mutex_unlock(&wait.mu);
        int rc = rpc_call_start(ws[i]->ch, rm, req, timeout_ms, NULL, 0, mc_done, &slots[i]);
        if (rc != DM_OK) {
            pthread_mutex_lock(&wait.mu);
            wait.pending--;
            pthread_mutex_unlock(&wait.mu);
            slots[i].w = NULL;
            out[i].rc = DM_E_UNAVAILABLE;
            out[i].errmsg = master_terr_grpc(RPC_UNAVAILABLE, dm_strerror(rc));
        }
    }
    /* 3. wait for every started call (each has a deadline) */
    pthread_mutex_lock(&wait.mu);
    while (wait.pending > 0)
        pthread_cond_wait(&wait.cv, &wait.mu);
    pthread_mutex_unlock(&wait.mu);
    pthread_cond_destroy(&wait.cv);
    pthread_mutex_destroy(&wait.mu);
    for (size_t i = 0; i < n; i++) {
        if (!ws[i])
            continue;
        master_worker_put(m, ws[i]);
        if (!slots[i].w)
            continue;
        if (slots[i].status == RPC_OK && slots[i].resp) {
            out[i].rc = DM_OK;
            out[i].resp = slots[i].resp;
            continue;
        }
        if (slots[i].resp)
            protobuf_c_message_free_unpacked(slots[i].resp, NULL);
        out[i].rc = DM_E_UNAVAILABLE;
        out[i].status = slots[i].status == RPC_OK ? RPC_INTERNAL : slots[i].status;
        out[i].details = slots[i].details ? slots[i].details : strdup("");
        slots[i].details = NULL;
        out[i].errmsg = master_terr_grpc(slots[i].status, out[i].details ? out[i].details : "");
    }
out:
    free(ws);
    free(slots);
    free(due);
}

void master_callres_clear(struct master_callres *r)
{
    if (r->resp)
        protobuf_c_message_free_unpacked(r->resp, NULL);
    free(r->errmsg);
    free(r->details);
    memset(r, 0, sizeof(*r));
}

int master_call(struct master *m, const char *worker, const char *method,
                const ProtobufCMessage *req, int64_t timeout_ms, bool use_token,
                ProtobufCMessage **resp, char **errmsg)
{
    return master_call_ex(m, worker, method, req, timeout_ms, use_token, resp, errmsg, NULL, NULL, 0);
}

int master_call_ex(struct master *m, const char *worker, const char *method,
                   const ProtobufCMessage *req, int64_t timeout_ms, bool use_token,
                   ProtobufCMessage **resp, char **errmsg, int *status_out,
                   char *details_out, size_t details_cap)
{
    struct master_callres r;
    char *w = (char *)worker;
    master_call_many(m, 1, &w, method, req, timeout_ms, use_token, &r);
    if (status_out)
        *status_out = r.status;
    if (details_out && details_cap)
        snprintf(details_out, details_cap, "%s", r.details ? r.details : "");
    *resp = r.resp;
    *errmsg = r.errmsg;
    r.resp = NULL;
    r.errmsg = NULL;
    int rc = r.rc;
    master_callres_clear(&r);
    return rc;
}

/* ---------- taskWorkers ---------- */

static struct master_task_workers *tw_find_locked(struct master *m, const char *task)
{
    for (size_t i = 0; i < m->ntasks; i++)
        if (strcmp(m->tasks[i].task, task) == 0)
            return &m->tasks[i];
    return NULL;
}

int master_tw_get(struct master *m, const char *task, struct master_strv *out)
{
    int rc = DM_OK;
    pthread_mutex_lock(&m->mu);
    struct master_task_workers *t = tw_find_locked(m, task);
    if (t)
        rc = master_strv_copy(out, t->workers.items, t->workers.n);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int master_tw_get_wait(struct master *m, const char *task, struct master_strv *out)
{
    int rc = master_tw_get(m, task, out);
    if (rc != DM_OK || out->n > 0)
        return rc;
    struct timespec until = dm_deadline_ms(m->cfg.refresh_delay_ms + m->cfg.rpc_timeout_ms + 1000);
    pthread_mutex_lock(&m->mu);
    bool waited = false;
    while (!m->tw_ready && m->bg_started && !atomic_load(&m->stopping)) {
        waited = true;
        if (pthread_cond_timedwait(&m->cv, &m->mu, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&m->mu);
    return waited ? master_tw_get(m, task, out) : DM_OK;
}

static void tw_drop_locked(struct master *m, struct master_task_workers *t)
{
    free(t->task);
    master_strv_clear(&t->workers);
    *t = m->tasks[--m->ntasks];
}

void master_tw_add(struct master *m, const char *task, const struct master_strv *workers, bool replace)
{
    if (workers->n == 0)
        return;
    pthread_mutex_lock(&m->mu);
    struct master_task_workers *t = tw_find_locked(m, task);
    if (!t) {
        struct master_task_workers *tmp = realloc(m->tasks, (m->ntasks + 1) * sizeof(*tmp));
        if (!tmp || !(tmp[m->ntasks].task = strdup(task))) {
            if (tmp)
                m->tasks = tmp;
            pthread_mutex_unlock(&m->mu);
            return;
        }
        m->tasks = tmp;
        t = &m->tasks[m->ntasks++];
        memset(&t->workers, 0, sizeof(t->workers));
    } else if (replace) {
        master_strv_clear(&t->workers);
    }
    for (size_t i = 0; i < workers->n; i++)
        if (worker_find_locked(m, workers->items[i]) && !master_strv_has(&t->workers, workers->items[i]))
            master_strv_add(&t->workers, workers->items[i]);
    master_strv_sort(&t->workers);
    if (t->workers.n == 0)
        tw_drop_locked(m, t);
    pthread_mutex_unlock(&m->mu);
}

void master_tw_remove(struct master *m, const char *task, const struct master_strv *workers)
{
    pthread_mutex_lock(&m->mu);
    struct master_task_workers *t = tw_find_locked(m, task);
    if (t) {
        struct master_strv keep = {NULL, 0};
        for (size_t i = 0; i < t->workers.n; i++)
            if (!master_strv_has(workers, t->workers.items[i]))
                master_strv_add(&keep, t->workers.items[i]);
        master_strv_clear(&t->workers);
        t->workers = keep;
        if (keep.n == 0)
            tw_drop_locked(m, t);
    }
    pthread_mutex_unlock(&m->mu);
}

int master_tw_tasks_of(struct master *m, const char *worker, struct master_strv *out)
{
    int rc = DM_OK;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ntasks && rc == DM_OK; i++)
        if (master_strv_has(&m->tasks[i].workers, worker))
            rc = master_strv_add(out, m->tasks[i].task);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

void master_tw_replace(struct master *m, struct master_task_workers *tasks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        master_strv_sort(&tasks[i].workers);
    pthread_mutex_lock(&m->mu);
    struct master_task_workers *old = m->tasks;
    size_t nold = m->ntasks;
    m->tasks = tasks;
    m->ntasks = n;
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < nold; i++) {
        free(old[i].task);
        master_strv_clear(&old[i].workers);
    }
    free(old);
}

/* ---------- job pool ---------- */

static void *pool_main(void *p)
{
    struct master *m = p;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        while (!m->jq_head && !m->pool_stop)
            pthread_cond_wait(&m->cv, &m->mu);
        struct master_job *j = m->jq_head;
        if (j) {
            m->jq_head = j->next;
            if (!m->jq_head)
                m->jq_tail = NULL;
        }
        pthread_mutex_unlock(&m->mu);
        if (!j)
            return NULL;
        j->impl(m, j->call, j->req);
        free(j);
    }
}

static void dispatch(struct rpc_server_call *call, const ProtobufCMessage *req, void *ctx)
{
    struct master_reg *r = ctx;
    struct master *m = r->m;
    struct master_job *j = calloc(1, sizeof(*j));
    if (!j) {
        rpc_server_reply_error(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    *j = (struct master_job){NULL, r->impl, call, req};
    pthread_mutex_lock(&m->mu);
    bool stopped = m->pool_stop;
    if (!stopped) {
        if (m->jq_tail)
            m->jq_tail->next = j;
        else
            m->jq_head = j;
        m->jq_tail = j;
        pthread_cond_signal(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    if (stopped) {
        free(j);
        rpc_server_reply_error(call, RPC_UNAVAILABLE, "dm-master is shutting down");
    }
}

int master_register(struct master *m, const char *name, master_impl_fn impl)
{
    const struct rpc_method *rm = rpc_method_find(&pb__master__descriptor, name);
    if (!rm || m->nregs >= MASTER_MAX_METHODS)
        return DM_E_INTERNAL;
    struct master_reg *r = &m->regs[m->nregs++];
    r->m = m;
    r->impl = impl;
    return rpc_server_register(m->srv, rm, dispatch, r);
}

/* ---------- lifecycle ---------- */

struct master *master_new(struct master_config *cfg)
{
    struct master *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    double rate = m->cfg.rpc_rate_limit > 0 ? m->cfg.rpc_rate_limit : DM_RATE_INF;
    m->rl = dm_ratelimit_new(rate, m->cfg.rpc_rate_burst);
    if (!m->rl || master_ddl_init(m) != DM_OK) {
        master_free(m);
        return NULL;
    }
    return m;
}


static void *bg_main(void *p)
{
    struct master *m = p;
    if (master_sleep(m, m->cfg.refresh_delay_ms))
        master_refresh_task_workers(m, true, NULL, NULL);
    pthread_mutex_lock(&m->mu);
    m->tw_ready = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

static char *listen_addr(const char *addr)
{
    char buf[300];
    if (addr[0] == ':')
        snprintf(buf, sizeof(buf), "0.0.0.0%s", addr);
    else
        snprintf(buf, sizeof(buf), "%s", addr);
    return strdup(buf);
}

int master_start(struct master *m, int *port)
{
    int rc = DM_E_NOMEM;
    char *la = listen_addr(m->cfg.master_addr);
    if (!la)
        return DM_E_NOMEM;
    if (m->cfg.data_dir && *m->cfg.data_dir && dm_mkdir_p(m->cfg.data_dir, 0755) != DM_OK)
        dm_log_kv(DM_LOG_WARN, "cannot create data-dir", "data-dir", m->cfg.data_dir, NULL);
    m->srv = rpc_server_new(la, 4);
    free(la);
    if (!m->srv)
        return DM_E_NOMEM;
    master_register_task(m);
    master_register_query(m);
    master_register_misc(m);
    master_register_ddl(m);
    struct master_worker **rem = NULL, **add = NULL;
    size_t nrem = 0, nadd = 0;
    rc = master_workers_sync(m, &rem, &nrem, &add, &nadd);
    free(rem);
    if (rc != DM_OK) {
        free(add);
        return rc;
    }
    m->pool = calloc(POOL_THREADS, sizeof(*m->pool));
    if (!m->pool) {
        free(add);
        return DM_E_NOMEM;
    }
    for (int i = 0; i < POOL_THREADS; i++)
        if (pthread_create(&m->pool[m->npool], NULL, pool_main, m) == 0)
            m->npool++;
    /* the first taskWorkers rebuild starts before serving, so that requests for a task
     * arriving before it finishes can wait for it (master_tw_get_wait) */
    m->bg_started = pthread_create(&m->bg, NULL, bg_main, m) == 0;
    rc = rpc_server_start(m->srv, port);
    if (rc != DM_OK) {
        free(add);
        return rc;
    }
    for (size_t i = 0; i < nadd; i++)
        master_ddl_start_worker(m, add[i]);
    free(add);
    dm_log_kv(DM_LOG_INFO, "listening gRPC API and status request", "address", m->cfg.master_addr, NULL);
    return DM_OK;
}

void master_stop(struct master *m)
{
    if (!m || atomic_exchange(&m->stopping, true))
        return;
    if (m->bg_started)
        pthread_join(m->bg, NULL);
    m->bg_started = false;
    pthread_mutex_lock(&m->mu);
    size_t n = m->nworkers;
    struct master_worker **ws = (struct master_worker **)master_ptrs_new(n);
    for (size_t i = 0; ws && i < n; i++) {
        ws[i] = m->workers[i];
        ws[i]->refs++;
    }
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; ws && i < n; i++) {
        master_ddl_stop_worker(m, ws[i]);
        master_worker_put(m, ws[i]);
    }
    free(ws);
    rpc_server_shutdown(m->srv, 3000);   /* waits for every pending reply */
    pthread_mutex_lock(&m->mu);
    m->pool_stop = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    for (int i = 0; i < m->npool; i++)
        pthread_join(m->pool[i], NULL);
    m->npool = 0;
}

void master_free(struct master *m)
{
    if (!m)
        return;
    master_stop(m);
    rpc_server_free(m->srv);
    free(m->pool);
    for (size_t i = 0; i < m->nworkers; i++) {
        m->workers[i]->removed = true;
        if (--m->workers[i]->refs == 0)
            worker_destroy(m->workers[i]);
    }
    free(m->workers);
    master_tw_replace(m, NULL, 0);
    master_ddl_free(m);
    dm_ratelimit_free(m->rl);
    master_config_free(&m->cfg);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

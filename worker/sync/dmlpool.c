/* dmlpool.c - parallel DML connections with causality routing (dmlpool.h). */
#include "dmlpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dm_assert.h"
#include "dm_error.h"
#include "dmlbatch.h"
#include "keyless.h"
#include "log.h"
#include "dm_time.h"

#define QUEUE_MAX 1024               /* jobs per queue (DM queue-size) */
#define CHUNK_SOFT ((size_t)1 << 20) /* multi-statement packet size */
#define IDLE_COMMIT_MS 10

struct djob {
    struct djob *next;
    size_t len, head_len, key_len, nkeys;
    enum worker_merge merge;
    const uint64_t *keys;               /* causality keys (in sql[], aligned) */
    bool supersedes;
    const char *key;                    /* worker_rowjob.key (in sql[] after the SQL) or NULL */
    bool keyless;
    bool finds_row;                     /* worker_rowjob.finds_row */
    bool must_match;                    /* worker_rowjob.must_match */
    const char *alt;                    /* worker_rowjob.alt (in sql[]) or NULL */
    size_t alt_len;
    const char *schema, *table, *file;  /* key-less jobs: source table and event position */
    uint64_t pos;
    char sql[];     /* sql NUL [key NUL] [alt NUL] [schema NUL table NUL file NUL] (pad) keys */
};

struct dworker {
    struct worker_dmlpool *p;
    int idx;
    pthread_t th;
    bool started;
    struct worker_applier *a;
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    struct djob *head, *tail;       /* guarded by mu */
    size_t njobs;
    uint64_t req, done;             /* commit requests / completed */
    bool req_cp;                    /* the pending request writes the checkpoint */
    bool quit;
    /* thread-only */
    struct djob *txn, *txn_tail;    /* jobs executed in the open transaction (for retries) */
    struct dm_buf buf;
    struct worker_sqlpart *parts;   /* run_list scratch */
    size_t *order, pcap;
    size_t *starts, nstarts, scap;  /* offsets of the statements in buf (error messages) */
};

struct worker_dmlpool {
    int n, batch;
    struct dworker *w;
    /* causality map: key hash -> queue; 0 = empty slot (owner thread only) */
    uint64_t *mkeys;
    uint8_t *mq;
    size_t mcap, mlen;
    uint64_t conflicts;
    /* first error of any connection */
    atomic_bool failed;
    pthread_mutex_t emu;
    struct worker_terr err;
    int err_rc;
    /* checkpoint rows of the current barrier (set by the owner before the request) */
    const struct worker_cp_row *cp_rows;
    size_t cp_n;
};

#define RETRIES 8                    /* deadlock / lock wait timeout: re-run the txn */

/* ---- worker threads ---- */

static void set_failed(struct worker_dmlpool *p, int rc, const struct worker_terr *e)
{
    pthread_mutex_lock(&p->emu);
    if (!atomic_load(&p->failed)) {
        p->err = *e;
        p->err_rc = rc;
        atomic_store(&p->failed, true);
    }
    pthread_mutex_unlock(&p->emu);
}

/* A key-less row's UPDATE or DELETE (safe mode: DELETE;REPLACE; with or without a SET
 * STATEMENT prefix - the generator's worker_rowjob.finds_row) runs alone and must change
 * exactly one row, and so must a must_match UPDATE. */
static bool one_row(const struct djob *j)
{
    return j->must_match || j->finds_row;
}

static struct worker_sqlpart part(const struct djob *j)
{
    struct worker_sqlpart s = { j->sql, j->len, j->head_len, j->merge, j->key, j->key_len,
                                j->supersedes, j->keys, j->nkeys, one_row(j),
                                j->keyless, j->alt, j->alt_len };
    return s;
}

static int nomem(struct worker_terr *e)
{
    worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                    WTE_LEVEL_HIGH, "out of memory");
    return DM_E_NOMEM;
}

/* w->parts = the list's statements (markers carry none) without the DELETEs made
 * redundant by the REPLACE right after them; *dropped counts those. */
static int collect_parts(struct dworker *w, const struct djob *list, size_t *n, size_t *dropped)
{
    const struct djob *j;
    size_t cnt = 0;
    for (j = list; j; j = j->next)
        cnt++;
    if (cnt > w->pcap) {
        struct worker_sqlpart *np = realloc(w->parts, cnt * sizeof *np);
        size_t *no;
        if (!np)
            return DM_E_NOMEM;
        w->parts = np;
        if (!(no = realloc(w->order, cnt * sizeof *no)))
            return DM_E_NOMEM;
        w->order = no;
        w->pcap = cnt;
    }
    *n = *dropped = 0;
    for (j = list; j; j = j->next) {
        struct worker_sqlpart cur, next;
        if (!j->len)
            continue;
        cur = part(j);
        if (j->next && j->next->len) {
            next = part(j->next);
            if (worker_sql_redundant(&cur, &next)) {
                (*dropped)++;
                continue;
            }
        }
        w->parts[(*n)++] = cur;
    }
    return DM_OK;
}

/* Remember that a statement starts at `off` of w->buf. */
static int note_start(struct dworker *w, size_t off)
{
    if (w->nstarts == w->scap) {
        size_t cap = w->scap ? w->scap * 2 : 64;
        size_t *n = realloc(w->starts, cap * sizeof *n);
        if (!n)
            return DM_E_NOMEM;
        w->starts = n;
        w->scap = cap;
    }
    w->starts[w->nstarts++] = off;
    return DM_OK;
}

/* Send w->buf (rows row changes) and empty it. */
static int flush_buf(struct dworker *w, size_t rows, struct worker_terr *e)
{
    int rc = w->buf.len ? worker_applier_exec_packet(w->a, w->buf.data, w->buf.len, w->starts,
                                                     w->nstarts, rows, e)
                        : DM_OK;
    dm_buf_reset(&w->buf);
    w->nstarts = 0;
    return rc;
}

/* Execute a list of jobs in the open transaction: mergeable statements grouped
 * (worker_sql_order) and merged (INSERT/REPLACE rows, DELETEs by key), sent as
 * multi-statement packets of about CHUNK_SOFT bytes; a key-less row's UPDATE/DELETE
 * alone, checked to find its row (worker_applier_exec_one_row). */
static int run_list(struct dworker *w, const struct djob *list, struct worker_terr *e)
{
    const struct worker_sqlpart *prev = NULL;
    size_t rows, n, i, nmerged = 0;
    int rc;
    dm_buf_reset(&w->buf);
    w->nstarts = 0;
    if (collect_parts(w, list, &n, &rows) || worker_sql_order(w->parts, n, w->order))
        return nomem(e);
    for (i = 0; i < n; i++) {
        const struct worker_sqlpart *cur = &w->parts[w->order[i]];
        size_t before = w->buf.len;
        if (cur->one_row) {
            if ((rc = flush_buf(w, rows, e)))
                return rc;
            rows = 0;
            prev = NULL;
            if ((rc = worker_applier_exec_one_row(w->a, cur->sql, cur->len, cur->keyless,
                                                  cur->alt, cur->alt_len, e)))
                return rc;
            continue;
        }
        if (worker_sql_append(&w->buf, prev, cur, &nmerged) ||
            (nmerged == 1 && note_start(w, before ? before + 1 : 0)))
            return nomem(e);
        rows++;
        prev = cur;
        if (w->buf.len >= CHUNK_SOFT) {
            if ((rc = flush_buf(w, rows, e)))
                return rc;
            rows = 0;
            prev = NULL;
        }
    }
    /* (a dropped DELETE's REPLACE always follows it: no rows lost) */
    return flush_buf(w, rows, e);
}

static bool retryable(struct dworker *w)
{
    unsigned int n = worker_applier_errno(w->a);
    return n == 1205 || n == 1213;   /* lock wait timeout, deadlock */
}

/* Run `list` (taking ownership: it joins the open transaction's jobs). A deadlock or lock
 * wait timeout rolls the transaction back and re-runs all its jobs, as DM retries. */
static int run_jobs(struct dworker *w, struct djob *list, struct worker_terr *e)
{
    struct djob *last = list;
    int rc, attempt;
    if (!list)
        return DM_OK;
    while (last->next)
        last = last->next;
    rc = run_list(w, list, e);
    if (w->txn_tail)
        w->txn_tail->next = list;
    else
        w->txn = list;
    w->txn_tail = last;
    for (attempt = 1; rc && retryable(w) && !atomic_load(&w->p->failed) &&
                      attempt <= (worker_applier_errno(w->a) == 1205 ? 2 : RETRIES); attempt++) {
        dm_log_kv(DM_LOG_WARN, "retry DML transaction", "error", e->msg, NULL);
        worker_applier_rollback(w->a);
        usleep((useconds_t)(attempt * 20000));
        memset(e, 0, sizeof *e);
        rc = run_list(w, w->txn, e);
    }
    return rc;
}

static void free_jobs(struct djob *j);

/* After a failure (this connection's or another's): roll the open transaction back now.
 * Sitting on its row and gap locks until the pool is freed made the other connections'
 * statements wait for them and fail with lock wait timeouts (retried, 5 s each) before the
 * first error could reach the Sync unit. The pool is unusable anyway: the Sync unit
 * reopens it and replays from the checkpoint. */
static void abandon_txn(struct dworker *w)
{
    worker_applier_rollback(w->a);
    free_jobs(w->txn);
    w->txn = w->txn_tail = NULL;
}

/* Commit the open transaction; with `cp` the barrier's checkpoint rows are written in it.
 * Otherwise the key-less jobs decide (keyless.h rule 2: only at an event end, with their
 * tables' checkpoint rows). *committed says whether it committed. */
static int do_commit(struct dworker *w, bool cp, bool *committed, struct worker_terr *e)
{
    struct worker_dmlpool *p = w->p;
    struct worker_keyless_plan plan;
    const struct worker_cp_row *rows;
    const struct djob *j;
    size_t n = 0;
    int rc;
    *committed = false;
    if (cp) {
        rc = worker_applier_commit(w->a, p->cp_rows, p->cp_n, e);
        goto out;
    }
    worker_keyless_plan_init(&plan);
    for (j = w->txn; j; j = j->next)
        if (j->keyless)
            worker_keyless_plan_job(&plan, j->len == 0, j->schema, j->table, j->file, j->pos);
    if (!worker_keyless_plan_ready(&plan, &rows, &n))
        return DM_OK;
    rc = worker_applier_commit(w->a, rows, n, e);
out:
    if (!rc) {
        *committed = true;
        free_jobs(w->txn);
        w->txn = w->txn_tail = NULL;
    }
    return rc;
}

static void free_jobs(struct djob *j)
{
    while (j) {
        struct djob *next = j->next;
        free(j);
        j = next;
    }
}

static bool wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int ms)
{
    struct timespec ts = dm_deadline_ms(ms);
    return pthread_cond_timedwait(c, m, &ts) == ETIMEDOUT;
}

static void *worker_main(void *arg)
{
    struct dworker *w = arg;
    struct worker_dmlpool *p = w->p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct djob *list;
        uint64_t req;
        bool cp;
        struct worker_terr e;
        int rc = DM_OK;
        while (!w->head && w->req == w->done && !w->quit) {
            bool committed = false;
            if (!w->txn || atomic_load(&p->failed)) {
                if (w->txn)
                    abandon_txn(w);
                pthread_cond_wait(&w->work, &w->mu);
                continue;
            }
            /* queue drained: commit soon, other connections may wait on our locks */
            if (wait_ms(&w->work, &w->mu, IDLE_COMMIT_MS) && !w->head && w->req == w->done &&
                !w->quit) {
                pthread_mutex_unlock(&w->mu);
                memset(&e, 0, sizeof e);
                if ((rc = do_commit(w, false, &committed, &e)))
                    set_failed(p, rc, &e);
                pthread_mutex_lock(&w->mu);
                if (!rc && !committed && !w->head && w->req == w->done && !w->quit)
                    pthread_cond_wait(&w->work, &w->mu);   /* waits for a marker */
            }
        }
        if (w->quit)
            break;
        list = w->head;
        w->head = w->tail = NULL;
        w->njobs = 0;
        req = w->req;
        cp = w->req_cp;
        pthread_cond_broadcast(&w->idle);
        pthread_mutex_unlock(&w->mu);
        memset(&e, 0, sizeof e);
        if (!atomic_load(&p->failed)) {
            bool committed;
            rc = run_jobs(w, list, &e);
            list = NULL;
            if (!rc && req != w->done)
                rc = do_commit(w, cp, &committed, &e);
            else if (!rc && worker_applier_txn_rows(w->a) >= (size_t)p->batch)
                rc = do_commit(w, false, &committed, &e);
            if (rc)
                set_failed(p, rc, &e);
        }
        if (atomic_load(&p->failed) && w->txn)
            abandon_txn(w);
        free_jobs(list);
        pthread_mutex_lock(&w->mu);
        w->done = req;
        pthread_cond_broadcast(&w->idle);
    }
    free_jobs(w->head);
    w->head = w->tail = NULL;
    pthread_mutex_unlock(&w->mu);
    worker_applier_rollback(w->a);
    free_jobs(w->txn);
    w->txn = w->txn_tail = NULL;
    return NULL;
}

/* ---- owner side: queues ---- */

static int pool_error(struct worker_dmlpool *p, struct worker_terr *e)
{
    pthread_mutex_lock(&p->emu);
    *e = p->err;
    pthread_mutex_unlock(&p->emu);
    return p->err_rc ? p->err_rc : DM_E_DB;
}

static void request_commit(struct dworker *w, bool cp)
{
    pthread_mutex_lock(&w->mu);
    w->req++;
    w->req_cp = cp;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
}

static void wait_commit(struct dworker *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->done != w->req)
        pthread_cond_wait(&w->idle, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static int push(struct worker_dmlpool *p, int q, const struct worker_rowjob *j,
                struct worker_terr *e)
{
    struct dworker *w = &p->w[q];
    size_t extra = j->keyless ? strlen(j->src_schema) + strlen(j->src_table) +
                                    strlen(j->file) + 3 : 0;
    size_t klen = j->key ? j->key_len + 1 : 0;
    size_t alen = j->alt ? j->alt_len + 1 : 0;
    size_t koff = (sizeof(struct djob) + j->len + 1 + klen + alen + extra + 7) & ~(size_t)7;
    struct djob *job = malloc(koff + j->nkeys * sizeof(uint64_t));
    if (!job) {
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "out of memory");
        return DM_E_NOMEM;
    }
    job->next = NULL;
    job->len = j->len;
    job->head_len = j->head_len;
    job->merge = j->merge;
    job->keyless = j->keyless;
    job->finds_row = j->finds_row;
    job->must_match = j->must_match;
    memcpy(job->sql, j->sql, j->len);
    job->sql[j->len] = '\0';
    job->schema = job->table = job->file = NULL;
    job->pos = j->pos;
    job->key = NULL;
    job->key_len = 0;
    job->supersedes = j->supersedes;
    job->nkeys = j->nkeys;
    job->keys = (const uint64_t *)(void *)((char *)job + koff);
    if (j->nkeys)
        memcpy((char *)job + koff, j->keys, j->nkeys * sizeof(uint64_t));
    if (j->key) {
        char *x = job->sql + j->len + 1;
        memcpy(x, j->key, j->key_len);
        x[j->key_len] = '\0';
        job->key = x;
        job->key_len = j->key_len;
    }
    job->alt = NULL;
    job->alt_len = 0;
    if (j->alt) {
        char *x = job->sql + j->len + 1 + klen;
        memcpy(x, j->alt, j->alt_len);
        x[j->alt_len] = '\0';
        job->alt = x;
        job->alt_len = j->alt_len;
    }
    if (j->keyless) {
        char *x = job->sql + j->len + 1 + klen + alen;
        job->schema = strcpy(x, j->src_schema);
        x += strlen(x) + 1;
        job->table = strcpy(x, j->src_table);
        x += strlen(x) + 1;
        job->file = strcpy(x, j->file);
    }
    pthread_mutex_lock(&w->mu);
    while (w->njobs >= QUEUE_MAX && !atomic_load(&p->failed))
        pthread_cond_wait(&w->idle, &w->mu);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->njobs++;
    if (w->njobs == 1)
        pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    return DM_OK;
}

/* ---- causality map (open addressing, linear probing) ---- */

static size_t slot(const struct worker_dmlpool *p, uint64_t k)
{
    size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull) & (p->mcap - 1);
    while (p->mkeys[i] && p->mkeys[i] != k)
        i = (i + 1) & (p->mcap - 1);
    return i;
}

static int map_get(const struct worker_dmlpool *p, uint64_t k)
{
    size_t i = slot(p, k ? k : 1);
    return p->mkeys[i] ? p->mq[i] : -1;
}

static int map_grow(struct worker_dmlpool *p)
{
    size_t cap = p->mcap * 2, i, old = p->mcap;
    uint64_t *k = calloc(cap, sizeof *k), *ok = p->mkeys;
    uint8_t *q = calloc(cap, 1), *oq = p->mq;
    if (!k || !q) {
        free(k);
        free(q);
        return DM_E_NOMEM;
    }
    p->mkeys = k;
    p->mq = q;
    p->mcap = cap;
    for (i = 0; i < old; i++) {
        if (ok[i]) {
            size_t s = slot(p, ok[i]);
            p->mkeys[s] = ok[i];
            p->mq[s] = oq[i];
        }
    }
    free(ok);
    free(oq);
    return DM_OK;
}

static int map_set(struct worker_dmlpool *p, uint64_t k, int q)
{
    size_t i;
    if (!k)
        k = 1;
    if ((p->mlen + 1) * 2 > p->mcap && map_grow(p))
        return DM_E_NOMEM;
    i = slot(p, k);
    if (!p->mkeys[i]) {
        p->mkeys[i] = k;
        p->mlen++;
    }
    p->mq[i] = (uint8_t)q;
    return DM_OK;
}

static void map_clear(struct worker_dmlpool *p)
{
    if (p->mcap > 4096 && p->mlen * 16 < p->mcap) {
        uint64_t *k = calloc(4096, sizeof *k);
        uint8_t *q = calloc(4096, 1);
        if (k && q) {
            free(p->mkeys);
            free(p->mq);
            p->mkeys = k;
            p->mq = q;
            p->mcap = 4096;
            p->mlen = 0;
            return;
        }
        free(k);
        free(q);
    }
    memset(p->mkeys, 0, p->mcap * sizeof *p->mkeys);
    memset(p->mq, 0, p->mcap);
    p->mlen = 0;
}

/* A barrier job (worker_rowjob.barrier): every keyed queue commits what it holds, the
 * job runs on `target` and is committed before anything after it is queued. Queue 0
 * (key-less tables) shares no table with keyed jobs and is left alone. */
static int push_barrier(struct worker_dmlpool *p, int target, const struct worker_rowjob *j,
                        struct worker_terr *e)
{
    int q, rc;
    for (q = 1; q < p->n; q++)
        if (q != target)
            request_commit(&p->w[q], false);
    for (q = 1; q < p->n; q++)
        if (q != target)
            wait_commit(&p->w[q]);
    if (atomic_load(&p->failed))
        return pool_error(p, e);
    if ((rc = push(p, target, j, e)))
        return rc;
    request_commit(&p->w[target], false);
    wait_commit(&p->w[target]);
    return atomic_load(&p->failed) ? pool_error(p, e) : DM_OK;
}

/* ---- public ---- */

int worker_dmlpool_add(void *pool, const struct worker_rowjob *j, struct worker_terr *e)
{
    struct worker_dmlpool *p = pool;
    bool owner[WORKER_DMLPOOL_MAX] = { false };
    int target = j->keyless ? 0 : -1, q, nowners = 0;
    size_t i;
    if (atomic_load(&p->failed))
        return pool_error(p, e);
    for (i = 0; i < j->nkeys; i++) {
        q = map_get(p, j->keys[i]);
        if (q < 0 || owner[q])
            continue;
        owner[q] = true;
        nowners++;
        if (target < 0 || q == 0)
            target = q;
    }
    if (target < 0)     /* queue 0 is for key-less tables when there are others */
        target = p->n == 1 ? 0 : 1 + (int)(j->keys[0] % (uint64_t)(p->n - 1));
    if (nowners > (owner[target] ? 1 : 0)) {
        /* conflict: the other owners commit what they hold, then the keys move */
        p->conflicts++;
        for (q = 0; q < p->n; q++)
            if (owner[q] && q != target)
                request_commit(&p->w[q], false);
        for (q = 0; q < p->n; q++)
            if (owner[q] && q != target)
                wait_commit(&p->w[q]);
        if (atomic_load(&p->failed))
            return pool_error(p, e);
    }
    for (i = 0; i < j->nkeys; i++) {
        if (map_set(p, j->keys[i], target)) {
            worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "out of memory");
            return DM_E_NOMEM;
        }
    }
    if (!j->barrier || j->keyless || p->n == 1)
        return push(p, target, j, e);
    return push_barrier(p, target, j, e);
}

int worker_dmlpool_checkpoint(struct worker_dmlpool *p, const struct worker_cp_row *rows,
                              size_t n, struct worker_terr *e)
{
    int q;
    if (atomic_load(&p->failed))
        return pool_error(p, e);
    for (q = 1; q < p->n; q++)
        request_commit(&p->w[q], false);
    for (q = 1; q < p->n; q++)
        wait_commit(&p->w[q]);
    if (atomic_load(&p->failed))
        return pool_error(p, e);
    p->cp_rows = rows;
    p->cp_n = n;
    request_commit(&p->w[0], true);
    wait_commit(&p->w[0]);
    p->cp_rows = NULL;
    p->cp_n = 0;
    if (atomic_load(&p->failed))
        return pool_error(p, e);
    map_clear(p);
    return DM_OK;
}

int worker_dmlpool_mark(struct worker_dmlpool *p, const char *schema, const char *table,
                        const char *file, uint64_t pos, struct worker_terr *e)
{
    struct worker_rowjob j;
    memset(&j, 0, sizeof j);
    j.sql = "";
    j.keyless = true;
    j.src_schema = schema;
    j.src_table = table;
    j.file = file;
    j.pos = pos;
    if (atomic_load(&p->failed))
        return pool_error(p, e);
    return push(p, 0, &j, e);
}

size_t worker_dmlpool_keys(const struct worker_dmlpool *p) { return p->mlen; }
uint64_t worker_dmlpool_conflicts(const struct worker_dmlpool *p) { return p->conflicts; }

void worker_dmlpool_free(struct worker_dmlpool *p)
{
    int q;
    if (!p)
        return;
    for (q = 0; q < p->n; q++) {
        struct dworker *w = &p->w[q];
        if (!w->started)
            continue;
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_broadcast(&w->work);
        pthread_mutex_unlock(&w->mu);
    }
    for (q = 0; q < p->n; q++) {
        struct dworker *w = &p->w[q];
        if (w->started)
            pthread_join(w->th, NULL);
        worker_applier_free(w->a);
        dm_buf_free(&w->buf);
        free(w->parts);
        free(w->order);
        free(w->starts);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->idle);
    }
    pthread_mutex_destroy(&p->emu);
    free(p->w);
    free(p->mkeys);
    free(p->mq);
    free(p);
}

int worker_dmlpool_open(const struct worker_db_cfg *to, const char *meta_schema,
                        const char *task, const char *source_id, int n, int batch,
                        struct worker_dmlpool **out, struct worker_terr *e)
{
    struct worker_dmlpool *p = calloc(1, sizeof *p);
    int q, rc = DM_OK;
    *out = NULL;
    if (n < 1)
        n = 1;
    if (n > WORKER_DMLPOOL_MAX)
        n = WORKER_DMLPOOL_MAX;
    if (!p || !(p->w = calloc((size_t)n, sizeof *p->w)) ||
        !(p->mkeys = calloc(4096, sizeof *p->mkeys)) || !(p->mq = calloc(4096, 1))) {
        if (p) {
            free(p->w);
            free(p->mkeys);
            free(p);
        }
        worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                        WTE_LEVEL_HIGH, "out of memory");
        return DM_E_NOMEM;
    }
    p->n = n;
    p->batch = batch > 0 ? batch : 100;
    p->mcap = 4096;
    atomic_init(&p->failed, false);
    pthread_mutex_init(&p->emu, NULL);
    for (q = 0; q < n; q++) {
        struct dworker *w = &p->w[q];
        w->p = p;
        w->idx = q;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->work, NULL);
        pthread_cond_init(&w->idle, NULL);
        dm_buf_init(&w->buf, (size_t)1 << 30);
    }
    for (q = 0; q < n && !rc; q++) {
        struct dworker *w = &p->w[q];
        rc = worker_applier_open(to, meta_schema, task, source_id, &w->a, e);
        if (!rc)
            rc = worker_applier_tune_dml(w->a, e);
        if (!rc && pthread_create(&w->th, NULL, worker_main, w) != 0) {
            worker_terr_set(e, WTE_SYNC_UNIT, WTE_CLASS_SYNC_UNIT, WTE_SCOPE_INTERNAL,
                            WTE_LEVEL_HIGH, "cannot start DML thread");
            rc = DM_E_INTERNAL;
        }
        if (!rc)
            w->started = true;
    }
    if (rc) {
        worker_dmlpool_free(p);
        return rc;
    }
    *out = p;
    return DM_OK;
}

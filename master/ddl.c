/* ddl.c - sharding DDL lock keeper (dm-v1-wire.md §9.4): one FetchDDLInfo stream per
 * worker (the master is the gRPC client), lock IDs "<task>-`schema`.`table`", owner =
 * first reporter, members = the task's workers; auto-resolve with ExecuteDDL when all
 * members are synced; ShowDDLLocks / UnlockDDLLock; the --sharding SQL operators. The
 * FetchDDLInfo stream loop that feeds it lives in ddl_stream.c. */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_error.h"
#include "dm_regex.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"
#include "log.h"
#include "terror.h"

struct ddl_lock {
    char *id, *task, *owner;
    char *trace;           /* this lock instance: ExecuteDDL{exec:true}.traceGID */
    struct master_strv ddls;
    struct master_strv members;
    bool *synced;          /* parallel to members */
    bool resolving;
    bool owner_failed;     /* the owner's ExecuteDDL failed at the last resolve */
    char *conflict;        /* the last 38016 (a member reported other DDLs), for show-ddl-locks */
};

struct sqlop {
    char *task, *pattern;
    struct dm_regex *re;        /* `~` patterns (Go regexp); NULL: the whole DDL must equal it */
    int op;
    struct master_strv args;
};

struct master_ddl {
    struct ddl_lock **locks;
    size_t n;
    struct sqlop *ops;
    size_t nops;
};

int master_ddl_init(struct master *m)
{
    m->ddl = calloc(1, sizeof(*m->ddl));
    return m->ddl ? master_ddl_pending_init(m) : DM_E_NOMEM;
}

static void lock_free(struct ddl_lock *l)
{
    if (!l)
        return;
    free(l->id);
    free(l->task);
    free(l->owner);
    free(l->trace);
    free(l->conflict);
    master_strv_clear(&l->ddls);
    master_strv_clear(&l->members);
    free(l->synced);
    free(l);
}

void master_ddl_free(struct master *m)
{
    if (!m->ddl)
        return;
    for (size_t i = 0; i < m->ddl->n; i++)
        lock_free(m->ddl->locks[i]);
    free(m->ddl->locks);
    for (size_t i = 0; i < m->ddl->nops; i++) {
        free(m->ddl->ops[i].task);
        free(m->ddl->ops[i].pattern);
        dm_regex_free(m->ddl->ops[i].re);
        master_strv_clear(&m->ddl->ops[i].args);
    }
    free(m->ddl->ops);
    free(m->ddl);
    m->ddl = NULL;
    master_ddl_pending_free(m);
}

static struct ddl_lock *find_locked(struct master *m, const char *id)
{
    for (size_t i = 0; i < m->ddl->n; i++)
        if (strcmp(m->ddl->locks[i]->id, id) == 0)
            return m->ddl->locks[i];
    return NULL;
}

/* A token naming one lock instance (unique across dm-master restarts: the wall clock and a
 * counter). It goes to the owner as ExecuteDDL's traceGID and is kept with its execution
 * marker, so an owner that ran the DDL and lost its answer (killed after its checkpoint)
 * recognises the same lock asking again (worker.md "Sharding DDL"); a later lock of the
 * same ID with the same DDLs has another token. */
static char *new_trace(void)
{
    static atomic_uint seq;
    struct timespec ts;
    char buf[96];
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, sizeof(buf), "ddl-lock-%lld.%09ld-%u", (long long)ts.tv_sec, ts.tv_nsec,
             atomic_fetch_add(&seq, 1) + 1);
    return strdup(buf);
}

int master_ddl_restore_lock(struct master *m, const char *id, const char *task,
                            const char *owner, const char *trace, const struct master_strv *ddls,
                            const struct master_strv *members)
{
    struct ddl_lock *l = calloc(1, sizeof(*l)), **tmp;
    int rc = DM_E_NOMEM;
    if (!l)
        return rc;
    l->id = strdup(id);
    l->task = strdup(task);
    l->owner = strdup(owner);
    l->trace = trace && *trace ? strdup(trace) : new_trace();
    l->synced = calloc(members->n + 1, sizeof(bool));
    l->owner_failed = true;
    if (l->id && l->task && l->owner && l->trace && l->synced &&
        master_strv_copy(&l->ddls, ddls->items, ddls->n) == DM_OK &&
        master_strv_copy(&l->members, members->items, members->n) == DM_OK) {
        for (size_t i = 0; i < members->n; i++)
            l->synced[i] = true;
        pthread_mutex_lock(&m->mu);
        if (!find_locked(m, id) &&
            (tmp = realloc(m->ddl->locks, (m->ddl->n + 1) * sizeof(*tmp))) != NULL) {
            m->ddl->locks = tmp;
            m->ddl->locks[m->ddl->n++] = l;
            l = NULL;
            rc = DM_OK;
        }
        pthread_mutex_unlock(&m->mu);
    }
    lock_free(l);
    return rc;
}

static void remove_lock(struct master *m, const char *id)
{
    master_ddl_resolving_del(m, id);
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ddl->n; i++)
        if (strcmp(m->ddl->locks[i]->id, id) == 0) {
            lock_free(m->ddl->locks[i]);
            m->ddl->locks[i] = m->ddl->locks[--m->ddl->n];
            break;
        }
    pthread_mutex_unlock(&m->mu);
}

void master_ddl_break_owner(struct master *m, const char *task, const char *worker)
{
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ddl->n; i++) {
        struct ddl_lock *l = m->ddl->locks[i];
        if (!strcmp(l->task, task) && !strcmp(l->owner, worker))
            l->owner_failed = false;
    }
    pthread_mutex_unlock(&m->mu);
}

bool master_ddl_worker_has_lock(struct master *m, const char *worker)
{
    bool has = false;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ddl->n && !has; i++)
        has = master_strv_has(&m->ddl->locks[i]->members, worker);
    pthread_mutex_unlock(&m->mu);
    return has;
}

static bool same_ddls(const struct master_strv *a, char **b, size_t nb)
{
    if (a->n != nb)
        return false;
    for (size_t i = 0; i < nb; i++)
        if (strcmp(a->items[i], b[i]))
            return false;
    return true;
}

/* A member's DDLInfo refused with 38016: kept on the lock ("<worker>: <error>") so that
 * show-ddl-locks names the conflict (the member stays blocked; dm-master's log alone was
 * the only trace). The lock's own members only: the text is the worker's report. */
static void note_conflict(struct ddl_lock *l, const char *worker, const char *err)
{
    size_t n = strlen(worker) + strlen(err ? err : "") + 3;
    char *c = malloc(n);
    if (!c)
        return;
    snprintf(c, n, "%s: %s", worker, err ? err : "");
    free(l->conflict);
    l->conflict = c;
}

int master_ddl_try_sync(struct master *m, const Pb__DDLInfo *in, const char *worker,
                        const struct master_strv *workers, char **id_out, bool *all_synced,
                        char **err)
{
    char id[1024];
    snprintf(id, sizeof(id), "%s-`%s`.`%s`", in->task, in->schema, in->table);
    int rc = DM_OK;
    pthread_mutex_lock(&m->mu);
    struct ddl_lock *l = find_locked(m, id);
    if (!l) {
        struct ddl_lock **tmp = realloc(m->ddl->locks, (m->ddl->n + 1) * sizeof(*tmp));
        l = calloc(1, sizeof(*l));
        if (!tmp || !l || !(l->trace = new_trace())) {
            free(l);
            if (tmp)
                m->ddl->locks = tmp;
            rc = DM_E_NOMEM;
            goto out;
        }
        m->ddl->locks = tmp;
        l->id = strdup(id);
        l->task = strdup(in->task);
        l->owner = strdup(worker);
        master_strv_copy(&l->ddls, in->ddls, in->n_ddls);
        m->ddl->locks[m->ddl->n++] = l;
    } else if (!same_ddls(&l->ddls, in->ddls, in->n_ddls) && l->owner_failed && !l->resolving &&
               strcmp(l->owner, worker) == 0) {
        rc = DM_E_CONFLICT;      /* the owner passed the DDL: ddl_stream.c owner_passed() */
        goto out;
    } else if (!same_ddls(&l->ddls, in->ddls, in->n_ddls)) {
        *err = master_terr_code(38016, "dm-master", "high", "sharding ddls in ddl lock %s is different with %s", id, in->n_ddls ? in->ddls[0] : "");
        note_conflict(l, worker, *err);
        rc = DM_E_STATE;
        goto out;
    }
    for (size_t i = 0; i < workers->n; i++)
        if (!master_strv_has(&l->members, workers->items[i])) {
            bool *tmp = realloc(l->synced, (l->members.n + 1) * sizeof(bool));
            if (!tmp || master_strv_add(&l->members, workers->items[i]) != DM_OK) {
                if (tmp)
                    l->synced = tmp;
                rc = DM_E_NOMEM;
                goto out;
            }
            l->synced = tmp;
            l->synced[l->members.n - 1] = false;
        }
    if (strcmp(l->owner, worker) == 0)
        l->owner_failed = false;     /* blocking on the DDL again */
    if (l->conflict && strncmp(l->conflict, worker, strlen(worker)) == 0 &&
        l->conflict[strlen(worker)] == ':') {
        free(l->conflict);           /* that member now reports the lock's DDLs */
        l->conflict = NULL;
    }
    *all_synced = true;
    for (size_t i = 0; i < l->members.n; i++) {
        if (strcmp(l->members.items[i], worker) == 0)
            l->synced[i] = true;
        *all_synced = *all_synced && l->synced[i];
    }
    *id_out = strdup(id);
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* ---------- --sharding SQL operators ---------- */

int master_sqlop_save(struct master *m, const Pb__HandleSQLsRequest *req, char **err)
{
    if (req->op != PB__SQLOP__SKIP && req->op != PB__SQLOP__REPLACE) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&pb__sqlop__descriptor, req->op);
        *err = master_terr_code(38002, "dm-master", "medium", "op %s not supported", v ? v->name : "?");
        return DM_E_INVAL;
    }
    if (!req->sqlpattern || !*req->sqlpattern) {
        *err = master_terr_code(38002, "dm-master", "medium", "%s", "--sharding operation must specify --sql-pattern");
        return DM_E_INVAL;
    }
    /* DM VerifySQLOperateArgs: a `~` pattern must compile (Go regexp), else 11017 */
    struct dm_regex *re = NULL;
    char why[512] = "";
    if (req->sqlpattern[0] == '~') {
        int crc = dm_regex_compile(req->sqlpattern + 1, 0, &re, why, sizeof(why));
        if (crc == DM_E_INVAL)
            *err = master_terr_code(11017, "functional", "low", "invalid --sql-pattern %s in sql operation: %s",
                                    req->sqlpattern, why);
        if (crc != DM_OK)
            return crc;
    }
    pthread_mutex_lock(&m->mu);
    struct sqlop *tmp = realloc(m->ddl->ops, (m->ddl->nops + 1) * sizeof(*tmp));
    int rc = DM_E_NOMEM;
    if (tmp) {
        m->ddl->ops = tmp;
        struct sqlop *o = &tmp[m->ddl->nops];
        memset(o, 0, sizeof(*o));
        o->task = strdup(req->name);
        o->pattern = strdup(req->sqlpattern);
        o->re = re;
        re = NULL;
        o->op = req->op;
        master_strv_copy(&o->args, req->args, req->n_args);
        m->ddl->nops++;
        rc = DM_OK;
    }
    pthread_mutex_unlock(&m->mu);
    dm_regex_free(re);
    return rc;
}

/* DM: `~re` is a Go regexp searched in the DDL, anything else must equal the whole DDL */
static bool pattern_match(const struct sqlop *o, const char *sql)
{
    return o->re ? dm_regex_match(o->re, sql) : strcmp(o->pattern, sql) == 0;
}

/* take (remove) the first operator of `task` matching one of `ddls` */
static bool sqlop_take(struct master *m, const char *task, const struct master_strv *ddls, struct sqlop *out)
{
    bool found = false;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ddl->nops && !found; i++) {
        struct sqlop *o = &m->ddl->ops[i];
        if (strcmp(o->task, task))
            continue;
        for (size_t j = 0; j < ddls->n && !found; j++)
            if (pattern_match(o, ddls->items[j])) {
                *out = *o;
                m->ddl->ops[i] = m->ddl->ops[--m->ddl->nops];
                found = true;
            }
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

/* ---------- resolve (DM resolveDDLLock) ---------- */

struct skipfan {
    struct master *m;
    Pb__ExecDDLRequest *req;
    const char *owner, *id;
    struct master_strv workers;
    struct master_strv members;
    Pb__CommonWorkerResponse **out;
    int *called;                /* per workers entry: 0 not called, 1 answered, 2 RPC failed */
};

static Pb__CommonWorkerResponse *entry(const char *worker, ProtobufCMessage *r, char *em)
{
    Pb__CommonWorkerResponse *c = (Pb__CommonWorkerResponse *)r;
    if (!c && !(c = master_msg_new(&pb__common_worker_response__descriptor))) {
        free(em);
        return NULL;
    }
    if (em) {
        c->result = false;
        if (c->msg && *c->msg)
            free(c->msg);
        c->msg = em;
    }
    if (c->worker && *c->worker)
        free(c->worker);
    c->worker = master_strdup(worker);
    return c;
}

/* ExecuteDDL{exec:false} to every f->workers entry that is a known member (one
 * concurrent fan-out); f->out[i] in f->workers order */
static void skip_all(struct skipfan *f)
{
    size_t n = f->workers.n, ncall = 0;
    char **call_w = calloc(n + 1, sizeof(*call_w));
    char **pre = calloc(n + 1, sizeof(*pre));          /* entry message when not called */
    struct master_callres *res = calloc(n + 1, sizeof(*res));
    if (!call_w || !pre || !res)
        goto out;
    char buf[800];
    for (size_t i = 0; i < n; i++) {
        const char *w = f->workers.items[i];
        if (!master_worker_known(f->m, w)) {
            snprintf(buf, sizeof(buf), "worker %s relevant worker-client not found", w);
            pre[i] = strdup(buf);
        } else if (!master_strv_has(&f->members, w)) {
            snprintf(buf, sizeof(buf), "worker %s not waiting for DDL lock %s", f->owner, f->id);
            pre[i] = strdup(buf);
        } else {
            call_w[ncall++] = f->workers.items[i];
        }
    }
    master_call_many(f->m, ncall, call_w, "ExecuteDDL", &f->req->base, f->m->cfg.rpc_timeout_ms, false, res);
    for (size_t i = 0, j = 0; i < n; i++) {
        const char *w = f->workers.items[i];
        if (j >= ncall || call_w[j] != f->workers.items[i]) {   /* not called */
            f->out[i] = entry(w, NULL, pre[i]);
            pre[i] = NULL;
            continue;
        }
        struct master_callres *r = &res[j++];
        if (f->called)
            f->called[i] = r->rc == DM_OK ? 1 : 2;
        f->out[i] = entry(w, r->resp, r->rc == DM_OK ? NULL : r->errmsg);
        r->resp = NULL;
        if (r->rc != DM_OK)
            r->errmsg = NULL;
        master_callres_clear(r);
    }
out:
    for (size_t i = 0; pre && i < n; i++)
        free(pre[i]);
    free(pre);
    free(call_w);
    free(res);
}

static char *send_sqlop(struct master *m, struct ddl_lock *snap, const char *owner)
{
    struct sqlop op;
    if (!sqlop_take(m, snap->task, &snap->ddls, &op))
        return NULL;
    Pb__HandleSubTaskSQLsRequest req = PB__HANDLE_SUB_TASK_SQLS_REQUEST__INIT;
    req.name = op.task;
    req.op = op.op;
    req.args = op.args.items;
    req.n_args = op.args.n;
    req.sqlpattern = op.pattern;
    ProtobufCMessage *r = NULL;
    char *em = NULL, *out = NULL;
    if (master_call(m, owner, "HandleSQLs", &req.base, m->cfg.rpc_timeout_ms, false, &r, &em) != DM_OK) {
        out = em;
        em = NULL;
    } else if (!((Pb__CommonWorkerResponse *)r)->result) {
        out = master_terr_code(38023, "dm-master", "high", "request DDL lock %s owner %s handle SQLs request %s fail %s",
                               snap->id, owner, op.pattern, ((Pb__CommonWorkerResponse *)r)->msg);
    }
    if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    free(em);
    free(op.task);
    free(op.pattern);
    dm_regex_free(op.re);
    master_strv_clear(&op.args);
    return out;
}

/* copy the parts of a lock resolve needs, marking it resolving */
static int lock_snapshot(struct master *m, const char *id, struct ddl_lock *snap, char **err)
{
    int rc = DM_OK;
    memset(snap, 0, sizeof(*snap));
    pthread_mutex_lock(&m->mu);
    struct ddl_lock *l = find_locked(m, id);
    if (!l) {
        *err = master_terr_code(38019, "dm-master", "high", "lock with ID %s not found", id);
        rc = DM_E_NOT_FOUND;
    } else if (l->resolving) {
        *err = master_terr_code(38020, "dm-master", "high", "lock %s is resolving", id);
        rc = DM_E_STATE;
    } else {
        l->resolving = true;
        snap->id = strdup(l->id);
        snap->task = strdup(l->task);
        snap->owner = strdup(l->owner);
        snap->trace = strdup(l->trace);
        master_strv_copy(&snap->ddls, l->ddls.items, l->ddls.n);
        master_strv_copy(&snap->members, l->members.items, l->members.n);
        snap->synced = calloc(l->members.n + 1, sizeof(bool));
        if (snap->synced)
            memcpy(snap->synced, l->synced, l->members.n * sizeof(bool));
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static void lock_unmark(struct master *m, const char *id)
{
    pthread_mutex_lock(&m->mu);
    struct ddl_lock *l = find_locked(m, id);
    if (l)
        l->resolving = false;
    pthread_mutex_unlock(&m->mu);
}

/* A member that did not take the skip gets it later (ddl_pending.c) when it was
 * blocking on the DDL (synced) or could not be reached (down: it meets the DDL after its
 * restart). A reachable member that never met the DDL answers 36059 and is left to the
 * operator, as in DM. */
static bool skip_pending(const struct ddl_lock *snap, const char *w, int called)
{
    if (called == 2)
        return true;
    for (size_t i = 0; snap->synced && i < snap->members.n; i++)
        if (!strcmp(snap->members.items[i], w))
            return called == 1 && snap->synced[i];
    return false;
}

static void set_owner_failed(struct master *m, const char *id)
{
    pthread_mutex_lock(&m->mu);
    struct ddl_lock *l = find_locked(m, id);
    if (l)
        l->owner_failed = true;
    pthread_mutex_unlock(&m->mu);
}

int master_ddl_resolve(struct master *m, const char *id, const char *replace_owner, char **pref,
                       size_t npref, bool owner_done, Pb__CommonWorkerResponse ***entries,
                       size_t *nentries, char **err)
{
    struct ddl_lock snap;
    *entries = NULL;
    *nentries = 0;
    int rc = lock_snapshot(m, id, &snap, err);
    if (rc != DM_OK)
        return rc;
    const char *owner = replace_owner && *replace_owner ? replace_owner : snap.owner;
    struct skipfan f;
    memset(&f, 0, sizeof(f));
    if (!master_worker_known(m, owner)) {
        *err = master_terr_code(38021, "dm-master", "high", "worker %s relevant worker-client not found", owner);
        rc = DM_E_NOT_FOUND;
        goto out;
    }
    if (!master_strv_has(&snap.members, owner)) {
        *err = master_terr_code(38022, "dm-master", "high", "worker %s not waiting for DDL lock %s", owner, id);
        rc = DM_E_STATE;
        goto out;
    }
    if (!owner_done && (*err = send_sqlop(m, &snap, owner))) {
        rc = DM_E_STATE;
        goto out;
    }
    Pb__ExecDDLRequest req = PB__EXEC_DDLREQUEST__INIT;
    req.task = snap.task;
    req.lockid = snap.id;
    req.exec = true;
    req.tracegid = snap.trace ? snap.trace : (char *)"";
    req.ddls = snap.ddls.items;
    req.n_ddls = snap.ddls.n;
    ProtobufCMessage *r = NULL;
    char *em = NULL;
    if (!owner_done) {
        master_ddl_resolving_put(m, snap.id, snap.task, owner, snap.trace, &snap.ddls,
                                 &snap.members);
        master_call(m, owner, "ExecuteDDL", &req.base, MASTER_EXEC_DDL_TIMEOUT_MS, false, &r, &em);
    }
    Pb__CommonWorkerResponse *own = entry(owner, r, em);
    if (own && owner_done)
        own->result = true;
    *entries = (Pb__CommonWorkerResponse **)master_ptrs_new(snap.members.n + npref + 1);
    if (!own || !*entries) {
        rc = DM_E_NOMEM;
        goto out;
    }
    (*entries)[(*nentries)++] = own;
    if (!own->result) {
        if (strcmp(owner, snap.owner) == 0)
            set_owner_failed(m, id);
        *err = master_terr_code(38024, "dm-master", "high", "owner %s ExecuteDDL fail", owner);
        rc = DM_E_STATE;
        goto out;
    }
    req.exec = false;
    req.tracegid = (char *)"";
    f = (struct skipfan){m, &req, owner, id, {NULL, 0}, snap.members, NULL, NULL};
    char **src = npref ? pref : snap.members.items;
    size_t nsrc = npref ? npref : snap.members.n;
    for (size_t i = 0; i < nsrc; i++)
        if (strcmp(src[i], owner) && !master_strv_has(&f.workers, src[i]))
            master_strv_add(&f.workers, src[i]);
    master_strv_sort(&f.workers);
    f.out = (Pb__CommonWorkerResponse **)master_ptrs_new(f.workers.n);
    f.called = calloc(f.workers.n + 1, sizeof(int));
    if (f.out)
        skip_all(&f);
    bool ok = true;
    for (size_t i = 0; f.out && i < f.workers.n; i++)
        if (f.out[i]) {
            ok = ok && f.out[i]->result;
            if (!f.out[i]->result && f.called && skip_pending(&snap, f.workers.items[i], f.called[i]))
                master_ddl_pending_add(m, snap.id, snap.task, f.workers.items[i], &snap.ddls);
            (*entries)[(*nentries)++] = f.out[i];
        }
    free(f.called);
    free(f.out);
    master_strv_clear(&f.workers);
    remove_lock(m, id);
    if (!ok) {
        *err = master_terr_code(38025, "dm-master", "high", "DDL lock %s owner ExecuteDDL successfully, so DDL lock removed. but some dm-workers ExecuteDDL fail, you should to handle dm-worker directly", id);
        rc = DM_E_STATE;
    }
out:
    lock_unmark(m, id);
    free(snap.id);
    free(snap.task);
    free(snap.owner);
    free(snap.trace);
    master_strv_clear(&snap.ddls);
    master_strv_clear(&snap.members);
    free(snap.synced);
    return rc;
}

/* ---------- ShowDDLLocks / UnlockDDLLock ---------- */

static Pb__DDLLock *lock_msg(const struct ddl_lock *l)
{
    Pb__DDLLock *d = master_msg_new(&pb__ddllock__descriptor);
    if (!d)
        return NULL;
    d->id = master_strdup(l->id);
    d->task = master_strdup(l->task);
    d->owner = master_strdup(l->owner);
    d->ddls = calloc(l->ddls.n + 1, sizeof(char *));
    d->synced = calloc(l->members.n + 1, sizeof(char *));
    d->unsynced = calloc(l->members.n + 1, sizeof(char *));
    for (size_t i = 0; d->ddls && i < l->ddls.n; i++)
        d->ddls[d->n_ddls++] = master_strdup(l->ddls.items[i]);
    for (size_t i = 0; d->synced && d->unsynced && i < l->members.n; i++) {
        if (l->synced[i])
            d->synced[d->n_synced++] = master_strdup(l->members.items[i]);
        else
            d->unsynced[d->n_unsynced++] = master_strdup(l->members.items[i]);
    }
    return d;
}

/* The conflicts (38016) of the task's locks, one per line; NULL when none. m->mu held. */
static char *conflicts_msg(struct master *m, const char *task)
{
    char *out = NULL;
    size_t len = 0;
    for (size_t i = 0; i < m->ddl->n; i++) {
        const struct ddl_lock *l = m->ddl->locks[i];
        if (!l->conflict || (task && *task && strcmp(task, l->task)))
            continue;
        size_t add = strlen(l->conflict) + 2;
        char *tmp = realloc(out, len + add);
        if (!tmp)
            break;
        out = tmp;
        snprintf(out + len, add, "%s%s", len ? "\n" : "", l->conflict);
        len += strlen(out + len);
    }
    return out;
}

static void impl_show_locks(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__ShowDDLLocksRequest *r = (const Pb__ShowDDLLocksRequest *)req;
    Pb__ShowDDLLocksResponse *resp = master_msg_new(&pb__show_ddllocks_response__descriptor);
    if (resp) {
        resp->result = true;
        pthread_mutex_lock(&m->mu);
        resp->locks = (Pb__DDLLock **)master_ptrs_new(m->ddl->n);
        for (size_t i = 0; resp->locks && i < m->ddl->n; i++) {
            const struct ddl_lock *l = m->ddl->locks[i];
            if (r->task && *r->task && strcmp(r->task, l->task))
                continue;
            bool match = r->n_workers == 0;
            for (size_t j = 0; j < r->n_workers && !match; j++)
                match = master_strv_has(&l->members, r->workers[j]);
            Pb__DDLLock *d = match ? lock_msg(l) : NULL;
            if (d)
                resp->locks[resp->n_locks++] = d;
        }
        resp->msg = conflicts_msg(m, r->task);
        pthread_mutex_unlock(&m->mu);
        if (resp->n_locks == 0 && !resp->msg)
            resp->msg = strdup("no DDL lock exists");
    }
    master_reply_free(call, resp ? &resp->base : NULL);
}

static void impl_unlock(struct master *m, struct rpc_server_call *call, const ProtobufCMessage *req)
{
    const Pb__UnlockDDLLockRequest *r = (const Pb__UnlockDDLLockRequest *)req;
    Pb__UnlockDDLLockResponse *resp = master_msg_new(&pb__unlock_ddllock_response__descriptor);
    Pb__CommonWorkerResponse **e = NULL;
    size_t n = 0;
    char *err = NULL;
    int rc = master_ddl_resolve(m, r->id ? r->id : "", r->replaceowner, r->workers, r->n_workers,
                                false, &e, &n, &err);
    if (rc != DM_OK && r->forceremove)
        remove_lock(m, r->id ? r->id : "");
    if (resp) {
        resp->result = rc == DM_OK;
        resp->workers = e;
        resp->n_workers = e ? n : 0;
        e = NULL;
        if (rc != DM_OK) {
            resp->msg = err ? err : master_strdup(dm_strerror(rc));
            err = NULL;
        }
    }
    for (size_t i = 0; e && i < n; i++)
        protobuf_c_message_free_unpacked(&e[i]->base, NULL);
    free(e);
    free(err);
    master_reply_free(call, resp ? &resp->base : NULL);
}

void master_register_ddl(struct master *m)
{
    master_register(m, "ShowDDLLocks", impl_show_locks);
    master_register(m, "UnlockDDLLock", impl_unlock);
}

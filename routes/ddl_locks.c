/* ddl_locks.c - sharding DDL locks: ShowDDLLocks, UnlockDDLLock, BreakWorkerDDLLock. */
#include <jansson.h>
#include <string.h>

#include "body.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"

enum route_rc h_list_ddl_locks(struct route_ctx *c)
{
    struct strlist w = {0};
    enum route_rc rc = ROUTE_DONE;
    if (body_query_list(c, "worker", &w) == DM_OK) {
        Pb__ShowDDLLocksRequest r = PB__SHOW_DDLLOCKS_REQUEST__INIT;
        const char *task = route_query(c, "task");
        r.task = task ? (char *)task : "";
        r.n_workers = w.n;
        r.workers = w.v;
        rc = route_master_call(c, "ShowDDLLocks", &r.base, false, route_done_dm);
    }
    strlist_free(&w);
    return rc;
}

/* Body {"owner","workers","forceRemove"} (all optional). */
enum route_rc h_unlock_ddl_lock(struct route_ctx *c)
{
    static const char *const keys[] = {"owner", "workers", "forceRemove", NULL};
    json_t *obj = NULL;
    struct strlist w = {0};
    const char *owner = NULL;
    bool force = false;
    enum route_rc rc = ROUTE_DONE;
    int e = body_json_object(c, true, &obj);
    e = e ? e : body_only_keys(c, obj, keys);
    e = e ? e : body_opt_string(c, obj, "owner", &owner);
    e = e ? e : body_opt_strings(c, obj, "workers", &w);
    e = e ? e : body_opt_bool(c, obj, "forceRemove", &force);
    if (e == DM_OK) {
        Pb__UnlockDDLLockRequest r = PB__UNLOCK_DDLLOCK_REQUEST__INIT;
        r.id = (char *)route_param(c, "id");
        r.replaceowner = owner ? (char *)owner : "";
        r.n_workers = w.n;
        r.workers = w.v;
        r.forceremove = force;
        route_audit_task(c, r.id);
        rc = route_master_call(c, "UnlockDDLLock", &r.base, true, route_done_dm);
    }
    strlist_free(&w);
    json_decref(obj);
    return rc;
}

/* Body {"workers" (>= 1), "removeLockID", "exec", "skip"}: dmctl break-ddl-lock rules. */
static int break_rules(struct route_ctx *c, size_t nworkers, const char *id, bool ex, bool skip)
{
    const char *err = NULL;
    if (nworkers == 0)
        err = "must specify at least one DM-worker (`workers`)";
    else if ((!id || !*id) && !ex && !skip)
        err = "`removeLockID`, `exec`, `skip` must specify at least one";
    else if (ex && skip)
        err = "`exec` and `skip` can not specify both at the same time";
    if (!err)
        return DM_OK;
    route_problem(c, 400, "%s", err);
    return DM_E_INVAL;
}

enum route_rc h_break_ddl_lock(struct route_ctx *c)
{
    static const char *const keys[] = {"workers", "removeLockID", "exec", "skip", NULL};
    json_t *obj = NULL;
    struct strlist w = {0};
    const char *id = NULL;
    bool ex = false, skip = false;
    enum route_rc rc = ROUTE_DONE;
    route_audit_task(c, route_param(c, "name"));
    int e = body_json_object(c, false, &obj);
    e = e ? e : body_only_keys(c, obj, keys);
    e = e ? e : body_opt_strings(c, obj, "workers", &w);
    e = e ? e : body_opt_string(c, obj, "removeLockID", &id);
    e = e ? e : body_opt_bool(c, obj, "exec", &ex);
    e = e ? e : body_opt_bool(c, obj, "skip", &skip);
    e = e ? e : break_rules(c, w.n, id, ex, skip);
    if (e == DM_OK) {
        Pb__BreakWorkerDDLLockRequest r = PB__BREAK_WORKER_DDLLOCK_REQUEST__INIT;
        r.n_workers = w.n;
        r.workers = w.v;
        r.task = (char *)route_param(c, "name");
        r.removelockid = id ? (char *)id : "";
        r.execddl = ex;
        r.skipddl = skip;
        rc = route_master_call(c, "BreakWorkerDDLLock", &r.base, true, route_done_dm);
    }
    strlist_free(&w);
    json_decref(obj);
    return rc;
}

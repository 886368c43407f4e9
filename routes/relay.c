/* relay.c - workers and relay units: RefreshWorkerTasks, OperateWorkerRelayTask,
 * SwitchWorkerRelayMaster, PurgeWorkerRelay, UpdateWorkerRelayConfig, MigrateWorkerRelay. */
#include <jansson.h>
#include <string.h>

#include "body.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"

enum route_rc h_refresh_workers(struct route_ctx *c)
{
    Pb__RefreshWorkerTasksRequest r = PB__REFRESH_WORKER_TASKS_REQUEST__INIT;
    return route_master_call(c, "RefreshWorkerTasks", &r.base, true, route_done_dm);
}

/* {"workers": [...]} with at least one worker (dmctl's `<-w worker ...>`). */
static int need_workers(struct route_ctx *c, json_t **obj, const char *const *keys,
                        struct strlist *w)
{
    int e = body_json_object(c, false, obj);
    e = e ? e : body_only_keys(c, *obj, keys);
    e = e ? e : body_opt_strings(c, *obj, "workers", w);
    if (e == DM_OK && w->n == 0) {
        route_problem(c, 400, "must specify at least one DM-worker (`workers`)");
        e = DM_E_INVAL;
    }
    return e;
}

static enum route_rc operate_relay(struct route_ctx *c, Pb__RelayOp op)
{
    static const char *const keys[] = {"workers", NULL};
    json_t *obj = NULL;
    struct strlist w = {0};
    enum route_rc rc = ROUTE_DONE;
    if (need_workers(c, &obj, keys, &w) == DM_OK) {
        Pb__OperateWorkerRelayRequest r = PB__OPERATE_WORKER_RELAY_REQUEST__INIT;
        r.op = op;
        r.n_workers = w.n;
        r.workers = w.v;
        rc = route_master_call(c, "OperateWorkerRelayTask", &r.base, true, route_done_dm);
    }
    strlist_free(&w);
    json_decref(obj);
    return rc;
}

enum route_rc h_pause_relay(struct route_ctx *c)
{
    return operate_relay(c, PB__RELAY_OP__PauseRelay);
}

enum route_rc h_resume_relay(struct route_ctx *c)
{
    return operate_relay(c, PB__RELAY_OP__ResumeRelay);
}

enum route_rc h_switch_relay_master(struct route_ctx *c)
{
    static const char *const keys[] = {"workers", NULL};
    json_t *obj = NULL;
    struct strlist w = {0};
    enum route_rc rc = ROUTE_DONE;
    if (need_workers(c, &obj, keys, &w) == DM_OK) {
        Pb__SwitchWorkerRelayMasterRequest r = PB__SWITCH_WORKER_RELAY_MASTER_REQUEST__INIT;
        r.n_workers = w.n;
        r.workers = w.v;
        rc = route_master_call(c, "SwitchWorkerRelayMaster", &r.base, true, route_done_dm);
    }
    strlist_free(&w);
    json_decref(obj);
    return rc;
}

/* {"workers", "filename", "subDir", "inactive", "time"}: filename allows one worker. */
enum route_rc h_purge_relay(struct route_ctx *c)
{
    static const char *const keys[] = {"workers", "filename", "subDir", "inactive", "time", NULL};
    json_t *obj = NULL;
    struct strlist w = {0};
    const char *file = NULL, *sub = NULL;
    bool inactive = false;
    enum route_rc rc = ROUTE_DONE;
    int e = need_workers(c, &obj, keys, &w);
    e = e ? e : body_opt_string(c, obj, "filename", &file);
    e = e ? e : body_opt_string(c, obj, "subDir", &sub);
    e = e ? e : body_opt_bool(c, obj, "inactive", &inactive);
    json_t *t = obj ? json_object_get(obj, "time") : NULL;
    if (e == DM_OK && t && !json_is_integer(t)) {
        route_problem(c, 400, "time: expected unix seconds (integer)");
        e = DM_E_INVAL;
    }
    if (e == DM_OK && file && *file && w.n > 1) {
        route_problem(c, 400, "for --filename, can only specify one DM-worker per time");
        e = DM_E_INVAL;
    }
    if (e == DM_OK) {
        Pb__PurgeWorkerRelayRequest r = PB__PURGE_WORKER_RELAY_REQUEST__INIT;
        r.n_workers = w.n;
        r.workers = w.v;
        r.inactive = inactive;
        r.time = t ? (int64_t)json_integer_value(t) : 0;
        r.filename = file ? (char *)file : "";
        r.subdir = sub ? (char *)sub : "";
        rc = route_master_call(c, "PurgeWorkerRelay", &r.base, true, route_done_dm);
    }
    strlist_free(&w);
    json_decref(obj);
    return rc;
}

enum route_rc h_update_relay_config(struct route_ctx *c)
{
    const char *cfg = NULL;
    json_t *hold = NULL;
    enum route_rc rc = ROUTE_DONE;
    if (body_config_text(c, &cfg, &hold) == DM_OK) {
        Pb__UpdateWorkerRelayConfigRequest r = PB__UPDATE_WORKER_RELAY_CONFIG_REQUEST__INIT;
        r.config = (char *)cfg;
        r.worker = (char *)route_param(c, "worker");
        rc = route_master_call(c, "UpdateWorkerRelayConfig", &r.base, true, route_done_dm);
    }
    json_decref(hold);
    return rc;
}

/* {"binlogName": "mysql-bin.000002", "binlogPos": 4} (BinlogName/BinlogPos accepted). */
enum route_rc h_migrate_relay(struct route_ctx *c)
{
    static const char *const keys[] = {"binlogName", "binlogPos", "BinlogName", "BinlogPos", NULL};
    json_t *obj = NULL;
    enum route_rc rc = ROUTE_DONE;
    int e = body_json_object(c, false, &obj);
    e = e ? e : body_only_keys(c, obj, keys);
    if (e != DM_OK)
        goto out;
    json_t *name = json_object_get(obj, "binlogName");
    json_t *pos = json_object_get(obj, "binlogPos");
    name = name ? name : json_object_get(obj, "BinlogName");
    pos = pos ? pos : json_object_get(obj, "BinlogPos");
    if (!json_is_string(name) || !*json_string_value(name) || !json_is_integer(pos) ||
        json_integer_value(pos) < 0 || json_integer_value(pos) > 0xffffffffLL) {
        rc = route_problem(c, 400, "binlogName (string) and binlogPos (uint32) are required");
        goto out;
    }
    Pb__MigrateWorkerRelayRequest r = PB__MIGRATE_WORKER_RELAY_REQUEST__INIT;
    r.binlogname = (char *)json_string_value(name);
    r.binlogpos = (uint32_t)json_integer_value(pos);
    r.worker = (char *)route_param(c, "worker");
    rc = route_master_call(c, "MigrateWorkerRelay", &r.base, true, route_done_dm);
out:
    json_decref(obj);
    return rc;
}

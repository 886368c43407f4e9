/* system.c - probes, version and metrics (the OpenAPI documents and the docs page: assets.c). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coalesce.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"
#include "metrics.h"
#include "stream_ticket.h"

int route_env_init(struct route_env *env)
{
    env->coalescer = coalescer_new();
    env->tickets = ticket_store_new();
    if (!env->coalescer || !env->tickets || route_streams_init(env) != DM_OK) {
        route_env_release(env);
        return DM_E_NOMEM;
    }
    return DM_OK;
}

void route_env_release(struct route_env *env)
{
    route_streams_free(env);
    ticket_store_free(env->tickets);
    env->tickets = NULL;
    coalescer_free(env->coalescer);
    env->coalescer = NULL;
}

enum route_rc h_livez(struct route_ctx *c)
{
    return route_json(c, 200, "{\"status\":\"ok\"}");
}

static enum route_rc ready_done(struct route_ctx *c, struct rpc_result *res)
{
    /* Any answer, even UNIMPLEMENTED from a DM v1.0 master, proves the master serves. */
    bool up = res->status != RPC_UNAVAILABLE && res->status != RPC_DEADLINE_EXCEEDED &&
              res->status != RPC_CANCELLED;
    if (!up) {
        route_header(c, "Retry-After", "1");
        return route_problem(c, 503, "master not reachable (grpc status %d)", res->status);
    }
    return route_json(c, 200, "{\"status\":\"ready\"}");
}

enum route_rc h_readyz(struct route_ctx *c)
{
    if (atomic_load(&c->req.env->draining)) {
        route_header(c, "Retry-After", "5");
        return route_problem(c, 503, "draining: the gateway is shutting down");
    }
    Pb__GetTaskCfgRequest r = PB__GET_TASK_CFG_REQUEST__INIT;
    c->timeout_ms = c->req.env->readyz_timeout_ms > 0 ? c->req.env->readyz_timeout_ms : 1000;
    return route_master_call(c, "GetTaskCfg", &r.base, false, ready_done);
}

enum route_rc h_version(struct route_ctx *c)
{
    json_t *v = json_pack("{s:s,s:s,s:s}", "component", "dm-gateway", "version",
                          c->req.env->version ? c->req.env->version : "unknown", "master",
                          c->req.env->master ? rpc_channel_target(c->req.env->master) : "");
    char *s = v ? json_dumps(v, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    enum route_rc rc = s ? route_json(c, 200, s) : route_problem(c, 500, "out of memory");
    free(s);
    json_decref(v);
    return rc;
}

enum route_rc h_metrics(struct route_ctx *c)
{
    dm_buf_reset(&c->resp.body);
    if (metrics_render(&c->resp.body) != DM_OK)
        return route_problem(c, 500, "cannot render metrics");
    c->resp.status = 200;
    c->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return ROUTE_DONE;
}



/* v1alpha1.c - DM v1.0's own HTTP API (grpc-gateway annotations, dm-v1-wire.md §10) with
 * its JSON rules (§4): request bodies parsed as jsonpb (enum by name or number), answers
 * in JSONPb{OrigName:true} style (compact, zero values omitted) with HTTP 200 whenever
 * the master answered, and {"error","code","message"} with the mapped status on
 * transport errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"
#include "pbjson.h"

/* grpc-gateway v1.14's runtime.HTTPStatusFromCode (DM v1.0.7 go.mod): Canceled is 408
 * there (v2 changed it to 499); FailedPrecondition is deliberately 400, not 412. */
static int http_of_grpc(int code)
{
    switch (code) {
    case RPC_CANCELLED: return 408;
    case RPC_INVALID_ARGUMENT: return 400;
    case RPC_DEADLINE_EXCEEDED: return 504;
    case RPC_NOT_FOUND: return 404;
    case 6: return 409;    /* ALREADY_EXISTS */
    case 7: return 403;    /* PERMISSION_DENIED */
    case RPC_RESOURCE_EXHAUSTED: return 429;
    case 9: return 400;    /* FAILED_PRECONDITION */
    case 10: return 409;   /* ABORTED */
    case 11: return 400;   /* OUT_OF_RANGE */
    case RPC_UNIMPLEMENTED: return 501;
    case RPC_UNAVAILABLE: return 503;
    case 16: return 401;   /* UNAUTHENTICATED */
    default: return 500;   /* UNKNOWN, INTERNAL, DATA_LOSS */
    }
}

static enum route_rc gw_error(struct route_ctx *c, int code, const char *msg)
{
    struct dm_buf *b = &c->resp.body;
    dm_buf_reset(b);
    int rc = dm_buf_adds(b, "{\"error\":");
    rc = rc ? rc : dm_buf_add_json_str(b, msg);
    rc = rc ? rc : dm_buf_printf(b, ",\"code\":%d,\"message\":", code);
    rc = rc ? rc : dm_buf_add_json_str(b, msg);
    rc = rc ? rc : dm_buf_addc(b, '}');
    c->resp.status = rc == DM_OK ? http_of_grpc(code) : 500;
    c->resp.content_type = "application/json";
    return ROUTE_DONE;
}

static enum route_rc gw_done(struct route_ctx *c, struct rpc_result *res)
{
    if (res->status != RPC_OK || !res->resp) {
        const char *d = res->details && *res->details ? res->details : "master unavailable";
        return gw_error(c, res->status == RPC_OK ? RPC_INTERNAL : res->status, d);
    }
    dm_buf_reset(&c->resp.body);
    if (pbjson_encode(res->resp, PBJSON_GATEWAY, &c->resp.body) != DM_OK)
        return gw_error(c, RPC_INTERNAL, "cannot encode the answer");
    c->resp.status = 200;
    c->resp.content_type = "application/json";
    return ROUTE_DONE;
}

static ProtobufCMessage *decode(struct route_ctx *c, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = NULL;
    char err[256] = "";
    const char *body = c->req.body_len ? c->req.body : "{}";
    size_t len = c->req.body_len ? c->req.body_len : 2;
    if (!body_json_cost_fits(body, len, err, sizeof(err))) {
        gw_error(c, RPC_INVALID_ARGUMENT, err);
        return NULL;
    }
    if (pbjson_decode(d, body, len, &m, err, sizeof(err)) != DM_OK) {
        gw_error(c, RPC_INVALID_ARGUMENT, err);
        return NULL;
    }
    return m;
}

enum route_rc h_v1alpha1_start_task(struct route_ctx *c)
{
    ProtobufCMessage *m = decode(c, &pb__start_task_request__descriptor);
    if (!m)
        return ROUTE_DONE;
    enum route_rc rc = route_master_call(c, "StartTask", m, true, gw_done);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

enum route_rc h_v1alpha1_operate_task(struct route_ctx *c)
{
    Pb__OperateTaskRequest *in =
        (Pb__OperateTaskRequest *)decode(c, &pb__operate_task_request__descriptor);
    if (!in)
        return ROUTE_DONE;
    Pb__OperateTaskRequest r = PB__OPERATE_TASK_REQUEST__INIT;
    r.op = in->op;
    r.name = (char *)route_param(c, "name");   /* the path fills `name` */
    r.n_workers = in->n_workers;
    r.workers = in->workers;
    route_audit_task(c, r.name);
    enum route_rc rc = route_master_call(c, "OperateTask", &r.base, true, gw_done);
    protobuf_c_message_free_unpacked(&in->base, NULL);
    return rc;
}

enum route_rc h_v1alpha1_query_status(struct route_ctx *c)
{
    struct strlist w = {0};
    enum route_rc rc = ROUTE_DONE;
    if (body_query_list(c, "workers", &w) == DM_OK) {
        Pb__QueryStatusListRequest r = PB__QUERY_STATUS_LIST_REQUEST__INIT;
        /* /apis/v1alpha1/status (DM's /status/ with an empty {name}): every task */
        const char *name = route_param(c, "name");
        r.name = (char *)(name ? name : "");
        r.n_workers = w.n;
        r.workers = w.v;
        rc = route_master_call(c, "QueryStatus", &r.base, false, gw_done);
    }
    strlist_free(&w);
    return rc;
}

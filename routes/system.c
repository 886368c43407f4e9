/* system.c - probes, version, metrics, the OpenAPI document and the docs page. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coalesce.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"
#include "metrics.h"
#include "openapi_doc.h"
#include "yamljson.h"

int route_env_init(struct route_env *env)
{
    char err[256] = "";
    json_t *doc = yamljson_parse_budget(route_openapi_yaml, route_openapi_yaml_len, SIZE_MAX,
                                        err, sizeof(err));   /* our own, trusted text */
    if (!doc)
        return DM_E_PARSE;
    env->openapi_json = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(doc);
    env->coalescer = coalescer_new();
    if (!env->openapi_json || !env->coalescer || route_streams_init(env) != DM_OK) {
        route_env_release(env);
        return DM_E_NOMEM;
    }
    return DM_OK;
}

void route_env_release(struct route_env *env)
{
    route_streams_free(env);
    coalescer_free(env->coalescer);
    env->coalescer = NULL;
    free(env->openapi_json);
    env->openapi_json = NULL;
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

enum route_rc h_openapi_json(struct route_ctx *c)
{
    const char *j = c->req.env->openapi_json;
    if (!j)
        return route_problem(c, 500, "the OpenAPI document is not loaded");
    return route_text(c, 200, "application/json", j, strlen(j));
}

enum route_rc h_openapi_yaml(struct route_ctx *c)
{
    return route_text(c, 200, "application/yaml", route_openapi_yaml, route_openapi_yaml_len);
}

/* A self-contained page (no external assets): fetches /openapi.json and lists the
 * operations with their parameters, request bodies and responses. */
static const char DOCS_HTML[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>dm-gateway API</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}\n"
    "h2{margin-top:1.5em;border-bottom:1px solid #ddd}\n"
    ".op{margin:.6em 0;padding:.5em;border:1px solid #ddd;border-radius:4px}\n"
    ".m{display:inline-block;width:5em;font-weight:bold;text-transform:uppercase}\n"
    ".get{color:#1769aa}.post{color:#2e7d32}.put{color:#ef6c00}.patch{color:#6a1b9a}"
    ".delete{color:#c62828}\n"
    "code{background:#f4f4f4;padding:0 .2em}small{color:#666}\n"
    "</style></head><body>\n<h1 id=\"t\">dm-gateway API</h1><p id=\"d\"></p>\n"
    "<p>Contract: <a href=\"/openapi.yaml\">openapi.yaml</a> | "
    "<a href=\"/openapi.json\">openapi.json</a></p>\n<div id=\"ops\">loading...</div>\n"
    "<script>\n"
    "function esc(s){return String(s).replace(/[&<>\"]/g,function(c){return "
    "{'&':'&amp;','<':'&lt;','>':'&gt;','\"':'&quot;'}[c];});}\n"
    "fetch('/openapi.json').then(function(r){return r.json();}).then(function(doc){\n"
    " document.getElementById('t').textContent=doc.info.title+' '+doc.info.version;\n"
    " document.getElementById('d').textContent=doc.info.description||'';\n"
    " var groups={},html='';\n"
    " Object.keys(doc.paths).forEach(function(p){Object.keys(doc.paths[p]).forEach(function(m){\n"
    "  if(m==='parameters')return;var op=doc.paths[p][m],tag=(op.tags||['other'])[0];\n"
    "  (groups[tag]=groups[tag]||[]).push([m,p,op]);});});\n"
    " Object.keys(groups).forEach(function(g){html+='<h2>'+esc(g)+'</h2>';\n"
    "  groups[g].forEach(function(e){var op=e[2];\n"
    "   html+='<div class=\"op\"><span class=\"m '+e[0]+'\">'+e[0]+'</span><code>'+esc(e[1])+"
    "'</code> '+esc(op.summary||'');\n"
    "   if(op.description)html+='<p>'+esc(op.description)+'</p>';\n"
    "   var ps=(op.parameters||[]).map(function(x){return x.$ref?x.$ref.split('/').pop():"
    "x.name+' ('+x.in+')';});\n"
    "   if(ps.length)html+='<br><small>parameters: '+esc(ps.join(', '))+'</small>';\n"
    "   if(op.requestBody)html+='<br><small>body: '+esc(Object.keys(op.requestBody.content)"
    ".join(', '))+'</small>';\n"
    "   html+='<br><small>responses: '+esc(Object.keys(op.responses||{}).join(', '))+"
    "'</small></div>';});});\n"
    " document.getElementById('ops').innerHTML=html;\n"
    "}).catch(function(e){document.getElementById('ops').textContent='cannot load: '+e;});\n"
    "</script></body></html>\n";

enum route_rc h_docs(struct route_ctx *c)
{
    return route_text(c, 200, "text/html; charset=utf-8", DOCS_HTML, sizeof(DOCS_HTML) - 1);
}

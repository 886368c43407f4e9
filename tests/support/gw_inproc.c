/* gw_inproc.c - see gw_inproc.h */
#include "gw_inproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "dm_error.h"
#include "http_server.h"
#include "rpc.h"
#include "testutil.h"

struct gw_inproc {
    struct route_env env;
    struct rpc_channel *master;
    struct auth_ctx *auth;
    struct http_server *srv;
    char *dir;
};

static int load_auth(struct gw_inproc *g, const char *secret)
{
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/secret", g->dir);
    if (tu_write_file(path, secret, strlen(secret)) != 0)
        return DM_E_IO;
    struct auth_config ac = {"HS256", path, NULL, NULL, NULL, NULL, 30};
    return auth_ctx_new(&ac, &g->auth, err, sizeof(err));
}

struct rpc_channel *gw_test_master_channel(const char *addr)
{
    const char *t = getenv("DMGW_MASTER_TRANSPORT");
    return t && !strcmp(t, "grpc") ? rpc_channel_new(addr) : rpc_channel_new_h2(addr);
}

struct gw_inproc *gw_inproc_start(const struct gw_inproc_cfg *c)
{
    struct gw_inproc *g = calloc(1, sizeof(*g));
    char master[64], err[256];
    if (!g || rpc_global_init() != DM_OK) {
        free(g);
        return NULL;
    }
    g->dir = tu_mkdtemp();
    g->env.rpc_timeout_ms = 2000;
    g->env.rpc_write_timeout_ms = 3000;
    g->env.readyz_timeout_ms = 1000;
    g->env.coalesce = true;
    g->env.version = "test";
    g->env.sse_heartbeat_ms = (int64_t)c->sse_heartbeat_s * 1000;
    snprintf(master, sizeof(master), "127.0.0.1:%d", c->master_port ? c->master_port : 1);
    g->master = gw_test_master_channel(master);
    g->env.master = g->master;
    struct http_config h = {
        .listen_addr = c->listen_addr ? c->listen_addr : "127.0.0.1:0", .threads = 2, .loops_by_load = c->loops_by_load,
        .loops_merge = c->loops_merge,
        .max_body = c->max_body ? c->max_body : 1u << 20, .max_body_buffer = c->max_body_buffer,
        .max_header_bytes = 8192,
        .max_headers = 64, .max_connections = 1024, .max_per_ip = c->max_per_ip,
        .conn_timeout_s = c->conn_timeout_s ? c->conn_timeout_s : 30,
        .park_after_s = c->park_after_s, .conn_memory_limit = 16384, .audit_fd = -1,
        .idem_max_keys = c->idem_max_keys, .idem_max_bytes = 1u << 20, .idem_ttl_ms = 3600000,
        .tls_cert_pem = c->tls_cert_pem, .tls_key_pem = c->tls_key_pem};
    if (!g->dir || !g->master || route_env_init(&g->env) != DM_OK ||
        (c->secret && load_auth(g, c->secret) != DM_OK) ||
        http_server_start(&h, &g->env, g->auth, &g->srv, err, sizeof(err)) != DM_OK) {
        gw_inproc_stop(g);
        return NULL;
    }
    return g;
}

int gw_inproc_port(const struct gw_inproc *g)
{
    return http_server_port(g->srv);
}

struct http_server *gw_inproc_server(struct gw_inproc *g)
{
    return g->srv;
}

void gw_inproc_stop(struct gw_inproc *g)
{
    if (!g)
        return;
    http_server_stop(g->srv);
    auth_ctx_free(g->auth);
    rpc_channel_free(g->master);
    route_env_release(&g->env);
    if (g->dir) {
        tu_rmrf(g->dir);
        free(g->dir);
    }
    free(g);
    rpc_global_shutdown();
}

void gw_test_mint(char *out, size_t cap, const char *secret, const char *scope, long ttl_s)
{
    char *t = NULL;
    int rc = auth_mint_hs("HS256", (const unsigned char *)secret, strlen(secret), "tester", scope,
                          ttl_s, NULL, NULL, (int64_t)time(NULL), &t);
    if (rc != 0 || !t || strlen(t) >= cap) {
        fprintf(stderr, "gw_test_mint: cannot mint a %s token (rc %d)\n", scope, rc);
        abort();
    }
    memcpy(out, t, strlen(t) + 1);
    free(t);
}

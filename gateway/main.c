/* main.c - dm-gateway: parse config, init modules, serve until SIGTERM (drain) / SIGHUP
 * (reload auth keys). `dm-gateway token ...` mints an HS token. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "dm_error.h"
#include "gw_config.h"
#include "http_server.h"
#include "log.h"
#include "memtrim.h"
#include "metrics.h"
#include "route_ctx.h"
#include "rpc.h"

static bool has_flag(int argc, char **argv, const char *const *names)
{
    for (int i = 1; i < argc; i++) {
        for (size_t j = 0; names[j]; j++) {
            if (strcmp(argv[i], names[j]) == 0)
                return true;
        }
    }
    return false;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct dm_buf b;
    dm_buf_init(&b, 1u << 20);
    char chunk[4096];
    size_t n;
    int rc = DM_OK;
    while (rc == DM_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = dm_buf_add(&b, chunk, n);
    fclose(f);
    if (rc != DM_OK) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

static int cmd_token(int argc, char **argv)
{
    struct gw_token_opts t;
    char err[512];
    static const char *const help[] = {"-h", "--help", "-help", NULL};
    struct dm_buf out;
    dm_buf_init(&out, 1u << 16);
    if (has_flag(argc, argv, help)) {
        gw_token_usage(&out);
        printf("Usage: dm-gateway token --secret-file F [--sub S] [--scope \"dm:write\"] [--ttl 1h]\n%s",
               out.data ? out.data : "");
        dm_buf_free(&out);
        return 0;
    }
    dm_buf_free(&out);
    if (gw_token_load(&t, argc, argv, err, sizeof(err)) != DM_OK) {
        fprintf(stderr, "dm-gateway token: %s\n", err);
        return 2;
    }
    int ret = 1;
    char *secret = t.secret_file ? read_text(t.secret_file) : NULL, *tok = NULL;
    if (!secret) {
        fprintf(stderr, "dm-gateway token: cannot read --secret-file\n");
        goto out;
    }
    size_t sl = strlen(secret);
    while (sl && (secret[sl - 1] == '\n' || secret[sl - 1] == '\r'))
        secret[--sl] = '\0';
    int rc = auth_mint_hs(t.alg, (const unsigned char *)secret, sl, t.sub, t.scope,
                          t.ttl_ms / 1000, t.iss, t.aud, (int64_t)time(NULL), &tok);
    if (rc != DM_OK) {
        fprintf(stderr, "dm-gateway token: %s\n", dm_strerror(rc));
        goto out;
    }
    printf("%s\n", tok);
    ret = 0;
out:
    free(tok);
    free(secret);
    gw_token_free(&t);
    return ret;
}

static int print_usage_or_config(const struct gw_config *c, bool usage)
{
    struct dm_buf out;
    dm_buf_init(&out, 1u << 20);
    if (usage) {
        gw_config_usage(&out);
        printf("Usage: dm-gateway [flags]\n       dm-gateway token --secret-file F --sub NAME "
               "--scope \"dm:write\" --ttl 1h\n\nFlags (also DMGW_* environment, --config "
               "file):\n%s",
               out.data ? out.data : "");
    } else {
        gw_config_print(c, &out);
        printf("%s", out.data ? out.data : "");
    }
    dm_buf_free(&out);
    return 0;
}

static int setup_auth(const struct gw_config *c, struct auth_ctx **out)
{
    *out = NULL;
    if (!gw_config_has_auth(c)) {
        DM_WARN("no auth keys configured: every route that needs a token answers 401");
        return DM_OK;
    }
    struct auth_config ac = {c->auth_alg, c->auth_secret_file, c->auth_public_key_file,
                             c->auth_jwks_file, c->auth_issuer, c->auth_audience,
                             c->auth_leeway_ms / 1000};
    char err[512] = "";
    int rc = auth_ctx_new(&ac, out, err, sizeof(err));
    if (rc != DM_OK)
        dm_log_kv(DM_LOG_ERROR, "cannot load auth keys", "error", err, NULL);
    return rc;
}

static void http_cfg_from(const struct gw_config *c, struct http_config *h)
{
    memset(h, 0, sizeof(*h));
    h->listen_addr = c->listen_addr;
    h->threads = (unsigned)(c->threads > 0 ? c->threads : 1);
    h->loops_by_load = c->loops_by_load;
    h->loops_merge = c->loops_merge;
    h->max_body = (size_t)c->max_body;
    h->max_body_buffer = (size_t)c->max_body_buffer;
    h->max_header_bytes = (size_t)c->max_header_size;
    h->max_headers = (unsigned)c->max_headers;
    h->max_connections = (unsigned)c->max_connections;
    h->max_per_ip = (unsigned)c->max_connections_per_ip;
    h->conn_timeout_s = (unsigned)((c->connection_timeout_ms + 999) / 1000);
    h->conn_memory_limit = (size_t)c->connection_memory_limit;
    h->park_after_s = (unsigned)((c->idle_park_after_ms + 999) / 1000);
    h->cors_origins = c->cors_origins;
    h->audit_fd = -1;
    h->idem_max_keys = (unsigned)(c->idempotency_max_keys > 0 ? c->idempotency_max_keys : 0);
    h->idem_max_bytes = (size_t)c->idempotency_max_bytes;
    h->idem_ttl_ms = c->idempotency_ttl_ms;
}

/* Each connection inside libmicrohttpd holds two descriptors (MHD's and the idle-park dup,
 * http_park.h), and Debian's default soft RLIMIT_NOFILE is 1024 while max-connections
 * defaults to 1024: raise the soft limit to the hard one. Never fatal; warn when the limit
 * still cannot hold max-connections (2 per connection + 64 for the listener, gRPC, logs). */
static void raise_fd_limit(const struct gw_config *c)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        DM_WARN("getrlimit(RLIMIT_NOFILE) failed: %s", strerror(errno));
        return;
    }
    unsigned long long before = (unsigned long long)rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = rl.rlim_max;
        else
            DM_WARN("cannot raise the open file limit from %llu to %llu: %s", before,
                    (unsigned long long)rl.rlim_max, strerror(errno));
    }
    DM_INFO("open file limit: soft %llu (was %llu), hard %llu", (unsigned long long)rl.rlim_cur,
            before, (unsigned long long)rl.rlim_max);
    unsigned long long maxc = c->max_connections > 0 ? (unsigned long long)c->max_connections : 1024;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * maxc + 64) {
        unsigned long long can = rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / 2 : 0;
        DM_WARN("open file limit %llu is below 2 x max-connections + 64 = %llu: only about %llu "
                "connections can really be served (raise the hard limit, e.g. LimitNOFILE=, or "
                "lower max-connections)",
                (unsigned long long)rl.rlim_cur, 2 * maxc + 64, can);
    }
}

/* Wait for signals on the main thread (blocked everywhere else). */
static void signal_loop(const struct gw_config *c, struct http_server *srv, struct auth_ctx *auth)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            char err[512] = "";
            if (auth && auth_ctx_reload(auth, err, sizeof(err)) != DM_OK)
                dm_log_kv(DM_LOG_ERROR, "auth key reload failed, old keys kept", "error", err, NULL);
            else
                DM_INFO("SIGHUP: auth keys reloaded");
            http_server_auth_reloaded(srv);   /* drop tokens verified with the old keys */
            continue;
        }
        DM_INFO("shutting down: draining for up to %lld ms", (long long)c->drain_timeout_ms);
        if (!http_server_drain(srv, c->drain_timeout_ms))
            DM_WARN("drain deadline passed with %ld requests in flight",
                    http_server_in_flight(srv));
        return;
    }
}

struct gw_runtime {
    struct rpc_channel *master;
    struct auth_ctx *auth;
    struct http_server *srv;
    char *tls_cert, *tls_key;
    int audit_fd;
};

static int serve(const struct gw_config *c, struct route_env *env, struct gw_runtime *rt)
{
    char err[512] = "";
    struct http_config h;
    http_cfg_from(c, &h);
    if (c->tls_cert_file && c->tls_key_file) {
        rt->tls_cert = read_text(c->tls_cert_file);
        rt->tls_key = read_text(c->tls_key_file);
        if (!rt->tls_cert || !rt->tls_key) {
            DM_ERROR("cannot read the TLS certificate or key");
            return DM_E_IO;
        }
        h.tls_cert_pem = rt->tls_cert;
        h.tls_key_pem = rt->tls_key;
    }
    if (c->audit_log && *c->audit_log) {
        rt->audit_fd = open(c->audit_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (rt->audit_fd < 0) {
            dm_log_kv(DM_LOG_ERROR, "cannot open the audit log", "path", c->audit_log, NULL);
            return DM_E_IO;
        }
        h.audit_fd = rt->audit_fd;
    }
    int rc = http_server_start(&h, env, rt->auth, &rt->srv, err, sizeof(err));
    if (rc != DM_OK) {
        dm_log_kv(DM_LOG_ERROR, "cannot start the HTTP server", "error", err, NULL);
        return rc;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", http_server_port(rt->srv));
    dm_log_kv(DM_LOG_INFO, "dm-gateway serving", "listen", c->listen_addr, "port", port,
              "master", c->master_addr, "masterTransport", c->master_transport, "tls",
              h.tls_cert_pem ? "true" : "false", NULL);
    signal_loop(c, rt->srv, rt->auth);
    http_server_stop(rt->srv);
    rt->srv = NULL;
    return DM_OK;
}

#define GW_LOG_FLUSH_MS 50

static int run(const struct gw_config *c)
{
    struct route_env env = {0};
    struct gw_runtime rt = {0};
    rt.audit_fd = -1;
    int rc = DM_E_INTERNAL;
    env.rpc_timeout_ms = c->rpc_timeout_ms;
    env.rpc_write_timeout_ms = c->rpc_write_timeout_ms;
    env.readyz_timeout_ms = c->readyz_timeout_ms;
    env.anonymous_read = c->anonymous_read;
    env.coalesce = c->coalesce;
    env.sse_interval_ms = c->sse_interval_ms;
    env.sse_heartbeat_ms = c->sse_heartbeat_ms;
    env.version = DMGW_VERSION;
    metrics_set_version(DMGW_VERSION);
    if (route_env_init(&env) != DM_OK) {
        DM_ERROR("the embedded OpenAPI document does not parse");
        goto out;
    }
    rpc_global_small_unary_client(true);   /* docs/gateway.md "Internals" */
    if (rpc_global_init() != DM_OK)
        goto out;
    rt.master = strcmp(c->master_transport, "h2") ? rpc_channel_new(c->master_addr)
                                                  : rpc_channel_new_h2(c->master_addr);
    env.master = rt.master;
    if (!rt.master || setup_auth(c, &rt.auth) != DM_OK)
        goto shutdown;
    rc = serve(c, &env, &rt);
shutdown:
    auth_ctx_free(rt.auth);
    rpc_channel_free(rt.master);
    rpc_global_shutdown();
out:
    if (rt.audit_fd >= 0)
        close(rt.audit_fd);
    free(rt.tls_cert);
    free(rt.tls_key);
    route_env_release(&env);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const help[] = {"-h", "--help", "-help", NULL};
    static const char *const ver[] = {"-V", "--version", "-version", NULL};
    if (argc > 1 && strcmp(argv[1], "token") == 0)
        return cmd_token(argc - 1, argv + 1);
    /* glibc gives every thread that allocates its own arena (MHD pool threads, gRPC
     * threads); each keeps freed memory resident. One arena holds the gateway's small,
     * short-lived allocations (each thread's tcache serves most of them without the
     * arena lock): no CPU difference measurable next to two arenas, and peak RSS under
     * load 19.4-19.8 MiB instead of 19.8-21.6 (docs/benchmarks.md, issue 18; one arena
     * fewer, ~1.7 MiB of it resident). MALLOC_ARENA_MAX in the environment overrides. */
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 1);
    dm_mem_tune();   /* big bodies go back to the OS when freed (memtrim.h) */
    if (has_flag(argc, argv, help))
        return print_usage_or_config(NULL, true);
    if (has_flag(argc, argv, ver)) {
        printf("dm-gateway %s\n", DMGW_VERSION);
        return 0;
    }
    struct gw_config c;
    char err[512];
    if (gw_config_load(&c, argc, argv, err, sizeof(err)) != DM_OK) {
        fprintf(stderr, "dm-gateway: %s\n", err);
        return 2;
    }
    if (c.print_config) {
        print_usage_or_config(&c, false);
        gw_config_free(&c);
        return 0;
    }
    enum dm_log_level lvl = DM_LOG_INFO;
    dm_log_level_parse(c.log_level ? c.log_level : "info", &lvl);
    dm_log_init("dm-gateway", lvl);
    if (c.log_file && *c.log_file)
        dm_log_open(c.log_file);
    raise_fd_limit(&c);
    /* Block the signals before any thread starts; main waits for them in sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* one write(2) per batch of access lines instead of one per request (warnings and
     * errors still go out at once); the last lines are written before exit */
    dm_log_buffer(GW_LOG_FLUSH_MS);
    int rc = run(&c);
    dm_log_buffer_stop();
    gw_config_free(&c);
    return rc == DM_OK ? 0 : 1;
}

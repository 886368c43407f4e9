/* gw_config.c - see gw_config.h */
#include "gw_config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dm_error.h"

#define O(f) offsetof(struct gw_config, f)

static const struct cfg_opt GW_OPTS[] = {
    {"listen-addr", CFG_STR, O(listen_addr), "127.0.0.1:8080", "DMGW_LISTEN_ADDR",
     "HTTP listen address host:port", 0},
    {"listen", CFG_STR, O(listen_addr), NULL, NULL, "alias of listen-addr", 0},
    {"master-addr", CFG_STR, O(master_addr), "127.0.0.1:8261", "DMGW_MASTER_ADDR",
     "dm-master gRPC address host:port", 0},
    {"master-transport", CFG_STR, O(master_transport), "h2", "DMGW_MASTER_TRANSPORT",
     "h2 (the lean unary HTTP/2 client, rpc/h2_client.c) or grpc (gRPC core)", 0},
    {"rpc-timeout", CFG_DURATION, O(rpc_timeout_ms), "10s", "DMGW_RPC_TIMEOUT",
     "deadline of read RPCs to the master", 0},
    {"rpc-write-timeout", CFG_DURATION, O(rpc_write_timeout_ms), "90s",
     "DMGW_RPC_WRITE_TIMEOUT", "deadline of write RPCs (start-task waits for workers)", 0},
    {"readyz-timeout", CFG_DURATION, O(readyz_timeout_ms), "1s", "DMGW_READYZ_TIMEOUT",
     "deadline of the /readyz master probe", 0},
    {"drain-timeout", CFG_DURATION, O(drain_timeout_ms), "15s", "DMGW_DRAIN_TIMEOUT",
     "SIGTERM: how long in-flight requests may finish", 0},
    {"threads", CFG_INT, O(threads), "4", "DMGW_THREADS",
     "HTTP event loops (at most one per CPU; TLS: thread pool size)", 0},
    {"max-body-size", CFG_SIZE, O(max_body), "1MiB", "DMGW_MAX_BODY_SIZE",
     "largest request body (413 above)", 0},
    {"max-body-buffer", CFG_SIZE, O(max_body_buffer), "64MiB", "DMGW_MAX_BODY_BUFFER",
     "request bodies held at once, all connections together (503 + Retry-After above; 0 = unbounded)", 0},
    {"max-header-size", CFG_SIZE, O(max_header_size), "8KiB", "DMGW_MAX_HEADER_SIZE",
     "largest request line + headers (431 above)", 0},
    {"max-headers", CFG_INT, O(max_headers), "64", "DMGW_MAX_HEADERS",
     "most header fields per request (431 above)", 0},
    {"max-connections", CFG_INT, O(max_connections), "1024", "DMGW_MAX_CONNECTIONS",
     "concurrent connections", 0},
    {"max-connections-per-ip", CFG_INT, O(max_connections_per_ip), "128",
     "DMGW_MAX_CONNECTIONS_PER_IP", "concurrent connections per client IP (0 = unlimited)", 0},
    {"connection-timeout", CFG_DURATION, O(connection_timeout_ms), "30s",
     "DMGW_CONNECTION_TIMEOUT", "idle connection timeout", 0},
    {"idle-park-after", CFG_DURATION, O(idle_park_after_ms), "2s", "DMGW_IDLE_PARK_AFTER",
     "keep-alive connections idle this long leave libmicrohttpd and its 16KiB pool "
     "(whole seconds; 0 = off; plain HTTP only)", 0},
    {"connection-memory-limit", CFG_SIZE, O(connection_memory_limit), "16KiB",
     "DMGW_CONNECTION_MEMORY_LIMIT",
     "libmicrohttpd pool per connection (raised to max-header-size + 64 x max-headers + 4KiB; TLS: twice that + max-header-size)", 0},
    {"auth-alg", CFG_STR, O(auth_alg), "HS256", "DMGW_AUTH_ALG",
     "pinned JWT algorithm (HS/RS/ES 256/384/512)", 0},
    {"auth-secret-file", CFG_STR, O(auth_secret_file), NULL, "DMGW_AUTH_SECRET_FILE",
     "HS*: file holding the shared secret", 0},
    {"auth-public-key-file", CFG_STR, O(auth_public_key_file), NULL,
     "DMGW_AUTH_PUBLIC_KEY_FILE", "RS*/ES*: PEM public key", 0},
    {"auth-jwks-file", CFG_STR, O(auth_jwks_file), NULL, "DMGW_AUTH_JWKS_FILE",
     "RS*/ES*: JWKS file (key chosen by kid)", 0},
    {"auth-issuer", CFG_STR, O(auth_issuer), NULL, "DMGW_AUTH_ISSUER", "required iss", 0},
    {"auth-audience", CFG_STR, O(auth_audience), NULL, "DMGW_AUTH_AUDIENCE", "required aud", 0},
    {"auth-leeway", CFG_DURATION, O(auth_leeway_ms), "30s", "DMGW_AUTH_LEEWAY",
     "clock skew allowed for exp/nbf/iat", 0},
    {"anonymous-read", CFG_BOOL, O(anonymous_read), "false", "DMGW_ANONYMOUS_READ",
     "GET routes without a token", 0},
    {"coalesce", CFG_BOOL, O(coalesce), "true", "DMGW_COALESCE",
     "identical concurrent GET reads share one master RPC (false: benchmark baseline)", 0},
    {"loop-placement-by-load", CFG_BOOL, O(loops_by_load), "false", "DMGW_LOOP_PLACEMENT_BY_LOAD",
     "place connections on event loops by load and rebalance busy loops at keep-alive "
     "boundaries (false: 16 connections per loop before the next)", 0},
    {"loop-placement-merge", CFG_BOOL, O(loops_merge), "false", "DMGW_LOOP_PLACEMENT_MERGE",
     "place connections by count, then move all keep-alive connections off a loop while the "
     "loops together are underused (ignored with loop-placement-by-load)", 0},
    {"sse-interval", CFG_DURATION, O(sse_interval_ms), "2s", "DMGW_SSE_INTERVAL",
     "default poll interval of status streams (?interval= overrides, 200ms-60s)", 0},
    {"sse-heartbeat", CFG_DURATION, O(sse_heartbeat_ms), "15s", "DMGW_SSE_HEARTBEAT",
     "status streams: heartbeat comment period (also how soon a gone client is noticed)", 0},
    {"cors-origins", CFG_STR, O(cors_origins), NULL, "DMGW_CORS_ORIGINS",
     "comma-separated allowed origins (* = any)", 0},
    {"tls-cert-file", CFG_STR, O(tls_cert_file), NULL, "DMGW_TLS_CERT_FILE",
     "PEM certificate: serve HTTPS", 0},
    {"tls-key-file", CFG_STR, O(tls_key_file), NULL, "DMGW_TLS_KEY_FILE", "PEM private key",
     CFG_SECRET},
    {"log-level", CFG_STR, O(log_level), "info", "DMGW_LOG_LEVEL", "debug|info|warn|error", 0},
    {"log-file", CFG_STR, O(log_file), NULL, "DMGW_LOG_FILE", "log file (default stderr)", 0},
    {"audit-log", CFG_STR, O(audit_log), NULL, "DMGW_AUDIT_LOG",
     "audit log file, one JSON line per write (default: the main log)", 0},
    {"idempotency-ttl", CFG_DURATION, O(idempotency_ttl_ms), "24h", "DMGW_IDEMPOTENCY_TTL",
     "how long the answer of a write sent with an Idempotency-Key is replayed", 0},
    {"idempotency-max-keys", CFG_INT, O(idempotency_max_keys), "10000",
     "DMGW_IDEMPOTENCY_MAX_KEYS", "Idempotency-Keys remembered (oldest dropped; 0 = ignore the header)", 0},
    {"idempotency-max-bytes", CFG_SIZE, O(idempotency_max_bytes), "16MiB",
     "DMGW_IDEMPOTENCY_MAX_BYTES", "memory for remembered answers (oldest dropped)", 0},
    {"print-config", CFG_BOOL, O(print_config), "false", NULL,
     "print the effective configuration (secrets masked) and exit", CFG_NO_FILE},
};
#define N_GW_OPTS (sizeof(GW_OPTS) / sizeof(GW_OPTS[0]))

int gw_config_load(struct gw_config *c, int argc, char **argv, char *err, size_t cap)
{
    int first = 0;
    int rc = cfg_load(GW_OPTS, N_GW_OPTS, c, argc, argv, &first, "DMGW_CONFIG", NULL, NULL, err,
                      cap);
    if (rc == DM_OK && first < argc) {
        snprintf(err, cap, "unexpected argument %s", argv[first]);
        rc = DM_E_INVAL;
    }
    if (rc == DM_OK && strcmp(c->master_transport, "grpc") && strcmp(c->master_transport, "h2")) {
        snprintf(err, cap, "master-transport must be grpc or h2, not %s", c->master_transport);
        rc = DM_E_INVAL;
    }
    return rc;
}

void gw_config_free(struct gw_config *c)
{
    cfg_free(GW_OPTS, N_GW_OPTS, c);
}

int gw_config_print(const struct gw_config *c, struct dm_buf *out)
{
    return cfg_print(GW_OPTS, N_GW_OPTS, c, out);
}

int gw_config_usage(struct dm_buf *out)
{
    return cfg_usage(GW_OPTS, N_GW_OPTS, out);
}

bool gw_config_has_auth(const struct gw_config *c)
{
    return (c->auth_secret_file && *c->auth_secret_file) ||
           (c->auth_public_key_file && *c->auth_public_key_file) ||
           (c->auth_jwks_file && *c->auth_jwks_file);
}

#define T(f) offsetof(struct gw_token_opts, f)

static const struct cfg_opt TOKEN_OPTS[] = {
    {"secret-file", CFG_STR, T(secret_file), NULL, "DMGW_AUTH_SECRET_FILE",
     "file holding the HS shared secret", CFG_NO_FILE},
    {"sub", CFG_STR, T(sub), "dm-runbook", NULL, "subject", CFG_NO_FILE},
    {"scope", CFG_STR, T(scope), "dm:read", NULL, "space-separated scopes", CFG_NO_FILE},
    {"ttl", CFG_DURATION, T(ttl_ms), "1h", NULL, "lifetime", CFG_NO_FILE},
    {"alg", CFG_STR, T(alg), "HS256", NULL, "HS256, HS384 or HS512", CFG_NO_FILE},
    {"iss", CFG_STR, T(iss), NULL, NULL, "issuer claim", CFG_NO_FILE},
    {"aud", CFG_STR, T(aud), NULL, NULL, "audience claim", CFG_NO_FILE},
};
#define N_TOKEN_OPTS (sizeof(TOKEN_OPTS) / sizeof(TOKEN_OPTS[0]))

int gw_token_load(struct gw_token_opts *t, int argc, char **argv, char *err, size_t cap)
{
    int first = 0;
    int rc = cfg_load(TOKEN_OPTS, N_TOKEN_OPTS, t, argc, argv, &first, NULL, NULL, NULL, err, cap);
    if (rc == DM_OK && first < argc) {
        snprintf(err, cap, "unexpected argument %s", argv[first]);
        rc = DM_E_INVAL;
    }
    return rc;
}

void gw_token_free(struct gw_token_opts *t)
{
    cfg_free(TOKEN_OPTS, N_TOKEN_OPTS, t);
}

int gw_token_usage(struct dm_buf *out)
{
    return cfg_usage(TOKEN_OPTS, N_TOKEN_OPTS, out);
}

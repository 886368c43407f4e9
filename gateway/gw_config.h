/* gw_config.h - dm-gateway's configuration: the options table (file + DMGW_* environment
 * + flags, common/config.h) and the `token` subcommand's table.
 * Ownership: strings in the structs are owned (gw_config_free / gw_token_free).
 * Not thread-safe: main() only. */
#ifndef GW_GW_CONFIG_H
#define GW_GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct gw_config {
    char *listen_addr;
    char *master_addr;
    char *master_transport;   /* "grpc" (gRPC core) or "h2" (rpc_channel_new_h2) */
    int64_t rpc_timeout_ms;
    int64_t rpc_write_timeout_ms;
    int64_t readyz_timeout_ms;
    int64_t drain_timeout_ms;
    int64_t threads;
    int64_t max_body;
    int64_t max_body_buffer;
    int64_t max_header_size;
    int64_t max_headers;
    int64_t max_connections;
    int64_t max_connections_per_ip;
    int64_t connection_timeout_ms;
    int64_t idle_park_after_ms;
    int64_t connection_memory_limit;
    char *auth_alg;
    char *auth_secret_file;
    char *auth_public_key_file;
    char *auth_jwks_file;
    char *auth_issuer;
    char *auth_audience;
    int64_t auth_leeway_ms;
    bool anonymous_read;
    bool coalesce;
    bool loops_by_load;   /* --loop-placement-by-load (http_loop.h) */
    bool loops_merge;     /* --loop-placement-merge (http_loop.h) */
    int64_t sse_interval_ms;
    int64_t sse_heartbeat_ms;
    char *cors_origins;
    char *tls_cert_file;
    char *tls_key_file;
    char *log_level;
    char *log_file;
    char *audit_log;
    int64_t idempotency_ttl_ms;
    int64_t idempotency_max_keys;
    int64_t idempotency_max_bytes;
    bool print_config;
};

/* Load argv (after the program name). DM_OK or DM_E_* with err. */
int gw_config_load(struct gw_config *c, int argc, char **argv, char *err, size_t cap);
void gw_config_free(struct gw_config *c);
int gw_config_print(const struct gw_config *c, struct dm_buf *out);
int gw_config_usage(struct dm_buf *out);
/* Does the configuration name any key material? */
bool gw_config_has_auth(const struct gw_config *c);

struct gw_token_opts {
    char *secret_file;
    char *sub;
    char *scope;
    int64_t ttl_ms;
    char *alg;
    char *iss;
    char *aud;
};
int gw_token_load(struct gw_token_opts *t, int argc, char **argv, char *err, size_t cap);
void gw_token_free(struct gw_token_opts *t);
int gw_token_usage(struct dm_buf *out);

#endif /* GW_GW_CONFIG_H */

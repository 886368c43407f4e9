/* master.h - dm-master: the pb.Master service (DM v1.0 wire, dm-v1-wire.md §2/§9) over
 * rpc/'s gRPC server, driving dm-workers through one rpc_channel each.
 *
 * Lifecycle: master_config_* (mconfig.c) builds a config; master_new takes it over;
 * master_start binds and serves (returns at once; the service runs on its own
 * threads); master_stop shuts everything down in order (job pool, background threads,
 * gRPC server); master_free releases it. All pb.Master handlers reply asynchronously
 * from the master's own job pool, so no gRPC server thread is held by a fan-out.
 * Thread-safety: new/start/stop/free from one thread; the service is internally locked.
 * Errors: DM_OK or DM_E_*; RPC-level failures are reported in-band (result=false + msg),
 * as DM does. */
#ifndef DM_MASTER_H
#define DM_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master_deploy {
    char *source_id;
    char *worker;            /* dm-worker address, exactly as written */
};

struct master_config {
    char *master_addr;       /* "master-addr", e.g. ":8261" / "127.0.0.1:8261" */
    int64_t rpc_timeout_ms;  /* "rpc-timeout", default "30s" */
    double rpc_rate_limit;   /* "rpc-rate-limit", default 10 */
    int rpc_rate_burst;      /* "rpc-rate-burst", default 40 */
    char *log_level;         /* "log-level", default "info" */
    char *log_file;          /* "log-file", default "" (stderr) */
    char *log_rotate;        /* "log-rotate" (accepted, unused) */
    char *data_dir;          /* "data-dir", default "./dm-master-data" */
    int64_t op_poll_interval_ms; /* "op-poll-interval", default "1s" (QueryTaskOperation) */
    int op_poll_max;         /* "op-poll-max", default 30 */
    int64_t refresh_delay_ms;/* "refresh-delay", default "3s" (first taskWorkers rebuild) */
    int64_t ddl_retry_ms;    /* "ddl-retry-interval", default "5s" (FetchDDLInfo reopen) */
    char *config_file;       /* file the config came from (update-master-config writes it) */
    struct master_deploy *deploy;
    size_t n_deploy;
};

/* Defaults into *cfg (zeroed first). DM_OK / DM_E_NOMEM. */
int master_config_defaults(struct master_config *cfg);
/* Apply a dm-master.toml text over *cfg (DM's keys + ours; unknown keys rejected with
 * DM's 38011 message, deploy validated as 38009). On error *err is a malloc'd DM
 * terror string and *cfg may be partly updated. */
int master_config_apply_toml(struct master_config *cfg, const char *text, char **err);
/* Command line (Go flag style: -k v, -k=v, --k v): -config, -master-addr, -L /
 * -log-level, -log-file, -data-dir, -rpc-timeout, -V, -print-sample-config. The file
 * named by -config is loaded first, flags override it. *version / *sample report the
 * informational flags. */
int master_config_from_args(struct master_config *cfg, int argc, char **argv,
                            bool *version, bool *sample, char **err);
void master_config_free(struct master_config *cfg);
/* DM's sample dm-master.toml (static). */
const char *master_config_sample(void);

struct master;

/* Takes ownership of *cfg (it is zeroed). NULL only on out-of-memory. */
struct master *master_new(struct master_config *cfg);
/* Listen on cfg->master_addr (":N" means all interfaces) and start serving; *port (may be
 * NULL) receives the bound port. */
int master_start(struct master *m, int *port);
void master_stop(struct master *m);
void master_free(struct master *m);

#endif /* DM_MASTER_H */

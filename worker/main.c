/* main.c - dm-worker: parse config, start the worker core and the pb.Worker service,
 * wait for SIGTERM/SIGINT, shut down gracefully (checkpoints flushed). */
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_status_http.h"
#include "log.h"
#include "rpc.h"
#include "service.h"
#include "worker.h"
#include "worker_config.h"
#include "worker_metrics.h"

static bool has_flag(int argc, char **argv, const char *name)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-')
            continue;
        a += a[1] == '-' ? 2 : 1;
        if (strcmp(a, name) == 0)
            return true;
    }
    return false;
}

static void print_version(void)
{
    printf("Release Version: v%s\nGit Commit Hash: None\nGit Branch: None\n"
           "UTC Build Time: %s %s\nGo Version: None (C17 dm-gateway worker)\n",
           DMGW_VERSION, __DATE__, __TIME__);
}

static int setup_logging(const struct worker_config *cfg)
{
    enum dm_log_level lvl = DM_LOG_INFO;
    if (dm_log_level_parse(cfg->log_level, &lvl) != DM_OK) {
        fprintf(stderr, "invalid log-level %s\n", cfg->log_level);
        return DM_E_INVAL;
    }
    dm_log_init("dm-worker", lvl);
    if (cfg->log_file && cfg->log_file[0] && dm_log_open(cfg->log_file) != DM_OK) {
        fprintf(stderr, "cannot open log file %s\n", cfg->log_file);
        return DM_E_IO;
    }
    return DM_OK;
}

/* status-addr: HTTP /metrics and /status (DM serves them on worker-addr). */
static int start_status(struct worker *w, const struct worker_config *cfg,
                        struct dm_status_http **out)
{
    char err[512] = "", text[256], p[16];
    int port = 0;
    *out = NULL;
    if (!cfg->status_addr || !cfg->status_addr[0])
        return DM_OK;
    snprintf(text, sizeof text, "dm-worker v%s (dm-gateway, C)\n", DMGW_VERSION);
    int rc = worker_metrics_install(w);
    if (rc == DM_OK)
        rc = dm_status_http_start(cfg->status_addr, text, out, &port, err, sizeof err);
    if (rc != DM_OK) {
        worker_metrics_remove(w);
        dm_log_kv(DM_LOG_ERROR, "cannot start the status listener", "status-addr",
                  cfg->status_addr, "error", err, NULL);
        return rc;
    }
    snprintf(p, sizeof p, "%d", port);
    dm_log_kv(DM_LOG_INFO, "status listener started", "status-addr", cfg->status_addr, "port",
              p, NULL);
    return DM_OK;
}

static int64_t env_ms(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtoll(v, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
    struct worker_options opt = { 0 };
    struct worker_config cfg;
    struct worker *w = NULL;
    struct worker_service *svc = NULL;
    struct dm_status_http *status = NULL;
    sigset_t set;
    char err[1024] = "";
    int sig = 0, port = 0, result = 1;

    if (has_flag(argc, argv, "V") || has_flag(argc, argv, "version")) {
        print_version();
        return 0;
    }
    if (has_flag(argc, argv, "print-sample-config")) {
        fputs(worker_config_sample(), stdout);
        return 0;
    }
    if (worker_config_load(argc, argv, &cfg, err, sizeof err) != DM_OK) {
        fprintf(stderr, "dm-worker: %s\n", err);
        return 2;
    }
    if (setup_logging(&cfg) != DM_OK)
        goto out_cfg;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    mysql_library_init(0, NULL, NULL);
    if (rpc_global_init() != DM_OK) {
        dm_log_kv(DM_LOG_ERROR, "gRPC init failed", NULL);
        goto out_cfg;
    }
    /* test / benchmark knobs (undocumented for users): durations in ms */
    opt.safe_mode_ms = env_ms("DM_WORKER_SAFE_MODE_MS");
    opt.retry_window_ms = env_ms("DM_WORKER_RETRY_WINDOW_MS");
    opt.stop_grace_ms = env_ms("DM_WORKER_STOP_GRACE_MS");
    if (worker_new(&cfg, &opt, &w, err, sizeof err) != DM_OK) {
        dm_log_kv(DM_LOG_ERROR, "cannot start worker", "error", err, NULL);
        goto out_rpc;
    }
    if (start_status(w, &cfg, &status) != DM_OK)
        goto out_worker;
    if (worker_service_start(w, cfg.worker_addr, 4, &svc, &port, err, sizeof err) != DM_OK) {
        dm_log_kv(DM_LOG_ERROR, "cannot start pb.Worker service", "error", err, NULL);
        goto out_worker;
    }
    {
        char p[16];
        snprintf(p, sizeof p, "%d", port);
        dm_log_kv(DM_LOG_INFO, "dm-worker started", "worker-addr", cfg.worker_addr, "port", p,
                  "source-id", cfg.source_id, NULL);
    }
    sigwait(&set, &sig);
    dm_log_kv(DM_LOG_INFO, "dm-worker shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
              NULL);
    worker_service_stop(svc, 2000);
    result = 0;
out_worker:
    if (status) {
        dm_status_http_stop(status);
        worker_metrics_remove(w);
    }
    worker_free(w);
out_rpc:
    rpc_global_shutdown();
out_cfg:
    mysql_library_end();
    worker_config_free(&cfg);
    return result;
}

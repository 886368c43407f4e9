/* main.c - dm-master: parse config, start the service, wait for SIGTERM/SIGINT, stop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "log.h"
#include "master.h"
#include "memtrim.h"
#include "rpc.h"

static void print_version(void)
{
    printf("Release Version: v%s\nGit Commit Hash: None\nGit Branch: None\n"
           "UTC Build Time: %s %s\nGo Version: None (C17 dm-gateway)\n", DMGW_VERSION, __DATE__, __TIME__);
}

int main(int argc, char **argv)
{
    struct master_config cfg;
    bool version = false, sample = false;
    char *err = NULL;
    if (master_config_defaults(&cfg) != DM_OK)
        return 1;
    if (master_config_from_args(&cfg, argc, argv, &version, &sample, &err) != DM_OK) {
        fprintf(stderr, "parse cmd flags err: %s\n", err ? err : "out of memory");
        free(err);
        master_config_free(&cfg);
        return 2;
    }
    if (version || sample) {
        if (version)
            print_version();
        else
            fputs(master_config_sample(), stdout);
        master_config_free(&cfg);
        return 0;
    }
    enum dm_log_level lvl = DM_LOG_INFO;
    dm_log_level_parse(cfg.log_level, &lvl);
    dm_log_init("dm-master", lvl);
    if (cfg.log_file && *cfg.log_file && dm_log_open(cfg.log_file) != DM_OK)
        fprintf(stderr, "cannot open log file %s\n", cfg.log_file);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* every thread inherits the mask */
    signal(SIGPIPE, SIG_IGN);
    dm_mem_tune();   /* big requests (config texts) go back to the OS when freed */
    if (rpc_global_init() != DM_OK)
        return 1;
    struct master *m = master_new(&cfg);
    int rc = 1, port = 0;
    if (!m) {
        master_config_free(&cfg);
        goto out;
    }
    if (master_start(m, &port) != DM_OK) {
        dm_log_kv(DM_LOG_ERROR, "fail to start dm-master", NULL);
        goto out;
    }
    char p[32];
    snprintf(p, sizeof(p), "%d", port);
    dm_log_kv(DM_LOG_INFO, "dm-master started", "port", p, NULL);
    int sig = 0;
    sigwait(&set, &sig);
    dm_log_kv(DM_LOG_INFO, "got signal to exit", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    rc = 0;
out:
    master_free(m);
    rpc_global_shutdown();
    dm_log_kv(DM_LOG_INFO, "dm-master exit", NULL);
    return rc;
}

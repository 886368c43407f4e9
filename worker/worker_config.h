/* worker_config.h - dm-worker.toml (dm-v1-wire.md §8) via common/config.h: DM's keys,
 * unknown keys rejected, flags `-config`, `-worker-addr`, `-source-id`, `-L`,
 * `-log-file`, `-checker-*`, `-purge-*`, ... (file < env DM_WORKER_* < flags).
 * `[from]` is read by hand (password plain or DM-encrypted; `[from.session]` strings).
 * Ownership: worker_config_load fills a caller-owned struct; free with
 * worker_config_free. Thread-safety: load in main(); read-only afterwards. */
#ifndef DM_WORKER_CONFIG_H
#define DM_WORKER_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker_config {
    char *worker_addr, *status_addr, *source_id;
    int64_t server_id;
    char *flavor, *meta_dir, *relay_dir, *log_level, *log_file, *log_rotate;
    bool enable_gtid, auto_fix_gtid;
    char *relay_binlog_name, *relay_binlog_gtid, *charset;
    int64_t purge_interval, purge_expires, purge_remain_space;
    bool checker_enable;
    int64_t checker_backoff_rollback_ms, checker_backoff_max_ms;
    bool tracer_enable;
    char *tracer_addr;
    int64_t tracer_batch_size;
    bool tracer_checksum;
    /* [from] */
    char *from_host, *from_user;
    char *from_password;            /* as configured (may be DM-encrypted) */
    char *from_password_plain;      /* decrypted */
    int64_t from_port, from_max_allowed_packet;
    json_t *from_session;           /* object of strings or NULL */
    bool from_given;                /* the text had a [from] table (update-relay needs one) */
};

/* Parse flags + file + env. DM_OK, or DM_E_INVAL/DM_E_PARSE/DM_E_IO with err. */
int worker_config_load(int argc, char **argv, struct worker_config *c, char *err, size_t cap);
/* Same from TOML text only (tests). */
int worker_config_load_text(const char *toml, struct worker_config *c, char *err, size_t cap);
void worker_config_free(struct worker_config *c);
/* QueryWorkerConfig content: the `[from]` DB config as TOML (malloc'd; NULL on OOM). */
char *worker_config_from_toml(const struct worker_config *c);
/* Sample dm-worker.toml (static text). */
const char *worker_config_sample(void);

#endif /* DM_WORKER_CONFIG_H */

/* worker_config.c - dm-worker.toml (see worker_config.h). */
#include "worker_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dm_crypt.h"
#include "dm_error.h"
#include "fsutil.h"
#include "toml.h"

#define OFF(f) offsetof(struct worker_config, f)

static const struct cfg_opt opts[] = {
    {"worker-addr", CFG_STR, OFF(worker_addr), ":8262", "DM_WORKER_ADDR", "listen address", 0},
    {"status-addr", CFG_STR, OFF(status_addr), "", "DM_WORKER_STATUS_ADDR",
     "HTTP /metrics and /status listen address (empty: off)", 0},
    {"source-id", CFG_STR, OFF(source_id), NULL, "DM_WORKER_SOURCE_ID", "upstream source id", 0},
    {"server-id", CFG_INT, OFF(server_id), "0", NULL, "replica server id (0 = random)", 0},
    {"flavor", CFG_STR, OFF(flavor), "", NULL, "mysql or mariadb", 0},
    {"meta-dir", CFG_STR, OFF(meta_dir), "./dm_worker_meta", "DM_WORKER_META_DIR",
     "subtask configs, stages and the operation log", 0},
    {"relay-dir", CFG_STR, OFF(relay_dir), "", NULL, "relay log dir (unset: <meta-dir>/relay_log)", 0},
    {"log-level", CFG_STR, OFF(log_level), "info", "DM_WORKER_LOG_LEVEL", "debug|info|warn|error", 0},
    {"L", CFG_STR, OFF(log_level), NULL, NULL, "alias of log-level", CFG_NO_FILE},
    {"log-file", CFG_STR, OFF(log_file), "", NULL, "log file (stderr when empty)", 0},
    {"log-rotate", CFG_STR, OFF(log_rotate), "day", NULL, "accepted for DM compatibility", 0},
    {"enable-gtid", CFG_BOOL, OFF(enable_gtid), "false", NULL, "accepted for DM compatibility", 0},
    {"auto-fix-gtid", CFG_BOOL, OFF(auto_fix_gtid), "false", NULL, "accepted for DM compatibility", 0},
    {"relay-binlog-name", CFG_STR, OFF(relay_binlog_name), "", NULL, "relay start file (else the source's current one)", 0},
    {"relay-binlog-gtid", CFG_STR, OFF(relay_binlog_gtid), "", NULL, "relay start GTID set (MariaDB, with enable-gtid)", 0},
    {"charset", CFG_STR, OFF(charset), "", NULL, "accepted for DM compatibility", 0},
    {"purge.interval", CFG_INT, OFF(purge_interval), "3600", NULL, "relay auto purge check interval (s)", 0},
    {"purge.expires", CFG_INT, OFF(purge_expires), "0", NULL, "relay auto purge: files older than (hours, 0 off)", 0},
    {"purge.remain-space", CFG_INT, OFF(purge_remain_space), "15", NULL, "relay auto purge below this free space (GB)", 0},
    {"purge-interval", CFG_INT, OFF(purge_interval), NULL, NULL, "flag alias", CFG_NO_FILE},
    {"purge-expires", CFG_INT, OFF(purge_expires), NULL, NULL, "flag alias", CFG_NO_FILE},
    {"purge-remain-space", CFG_INT, OFF(purge_remain_space), NULL, NULL, "flag alias", CFG_NO_FILE},
    {"checker.check-enable", CFG_BOOL, OFF(checker_enable), "true", NULL,
     "auto-resume subtasks paused by transient errors", 0},
    {"checker.backoff-rollback", CFG_DURATION, OFF(checker_backoff_rollback_ms), "5m", NULL,
     "running this long resets the auto-resume backoff", 0},
    {"checker.backoff-max", CFG_DURATION, OFF(checker_backoff_max_ms), "5m", NULL,
     "maximum auto-resume backoff", 0},
    {"checker-check-enable", CFG_BOOL, OFF(checker_enable), NULL, NULL, "flag alias", CFG_NO_FILE},
    {"checker-backoff-rollback", CFG_DURATION, OFF(checker_backoff_rollback_ms), NULL, NULL,
     "flag alias", CFG_NO_FILE},
    {"checker-backoff-max", CFG_DURATION, OFF(checker_backoff_max_ms), NULL, NULL, "flag alias",
     CFG_NO_FILE},
    {"tracer.enable", CFG_BOOL, OFF(tracer_enable), "false", NULL, "dm-tracer (unused)", 0},
    {"tracer.tracer-addr", CFG_STR, OFF(tracer_addr), "", NULL, "dm-tracer (unused)", 0},
    {"tracer.batch-size", CFG_INT, OFF(tracer_batch_size), "20", NULL, "dm-tracer (unused)", 0},
    {"tracer.checksum", CFG_BOOL, OFF(tracer_checksum), "false", NULL, "dm-tracer (unused)", 0},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static int dup_str(const json_t *v, const char *key, const char *def, char **out, char *err,
                   size_t cap)
{
    if (!v) {
        *out = strdup(def);
        return *out ? DM_OK : DM_E_NOMEM;
    }
    if (!json_is_string(v)) {
        snprintf(err, cap, "config key \"from.%s\": expected a string", key);
        return DM_E_INVAL;
    }
    *out = strdup(json_string_value(v));
    return *out ? DM_OK : DM_E_NOMEM;
}

static int get_int(const json_t *v, const char *key, int64_t def, int64_t *out, char *err,
                   size_t cap)
{
    if (!v) {
        *out = def;
        return DM_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(err, cap, "config key \"from.%s\": expected a non-negative integer", key);
        return DM_E_INVAL;
    }
    *out = json_integer_value(v);
    return DM_OK;
}

static int check_from_keys(const json_t *from, char *err, size_t cap)
{
    static const char *const known[] = { "host", "port", "user", "password",
                                         "max-allowed-packet", "session", NULL };
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)from, k, v) {
        size_t i;
        bool ok = false;
        for (i = 0; known[i]; i++)
            ok |= strcmp(known[i], k) == 0;
        if (!ok) {
            snprintf(err, cap, "unknown key \"from.%s\"", k);
            return DM_E_INVAL;
        }
    }
    v = json_object_get(from, "session");
    if (v && !json_is_object(v)) {
        snprintf(err, cap, "config key \"from.session\": expected a table");
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int parse_from(const json_t *doc, struct worker_config *c, char *err, size_t cap)
{
    const json_t *from = doc ? json_object_get(doc, "from") : NULL;
    int rc;
    if (from && !json_is_object(from)) {
        snprintf(err, cap, "config key \"from\": expected a table");
        return DM_E_INVAL;
    }
    if (from && (rc = check_from_keys(from, err, cap)))
        return rc;
    c->from_given = from != NULL;
    if ((rc = dup_str(json_object_get(from, "host"), "host", "127.0.0.1", &c->from_host, err, cap)) ||
        (rc = dup_str(json_object_get(from, "user"), "user", "root", &c->from_user, err, cap)) ||
        (rc = dup_str(json_object_get(from, "password"), "password", "", &c->from_password, err,
                      cap)) ||
        (rc = get_int(json_object_get(from, "port"), "port", 3306, &c->from_port, err, cap)) ||
        (rc = get_int(json_object_get(from, "max-allowed-packet"), "max-allowed-packet",
                      67108864, &c->from_max_allowed_packet, err, cap)))
        return rc;
    if (from && json_object_get(from, "session"))
        c->from_session = json_deep_copy(json_object_get(from, "session"));
    c->from_password_plain = c->from_password[0] ? dm_crypt_decrypt_or_plain(c->from_password)
                                                 : strdup("");
    return c->from_password_plain ? DM_OK : DM_E_NOMEM;
}

static int finish(struct worker_config *c, char *err, size_t cap)
{
    if (!c->source_id || !c->source_id[0]) {
        snprintf(err, cap, "dm-worker should bind a non-empty source ID (source-id)");
        return DM_E_INVAL;
    }
    if (strlen(c->source_id) > 32) {
        snprintf(err, cap, "the length of source ID %s is more than max allowed value 32",
                 c->source_id);
        return DM_E_INVAL;
    }
    if (c->server_id <= 0 || c->server_id > UINT32_MAX) {
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        c->server_id = (int64_t)(UINT32_MAX / 10) + rand() % 100000;
    }
    return DM_OK;
}

int worker_config_load(int argc, char **argv, struct worker_config *c, char *err, size_t cap)
{
    static const char *const extra[] = { "from", NULL };
    json_t *doc = NULL;
    int rc;
    memset(c, 0, sizeof *c);
    rc = cfg_load(opts, NOPTS, c, argc, argv, NULL, "DM_WORKER_CONFIG", extra, &doc, err, cap);
    if (!rc)
        rc = parse_from(doc, c, err, cap);
    if (!rc)
        rc = finish(c, err, cap);
    json_decref(doc);
    if (rc)
        worker_config_free(c);   /* nothing owned on failure */
    return rc;
}

int worker_config_load_text(const char *toml, struct worker_config *c, char *err, size_t cap)
{
    char path[] = "/tmp/dm-worker-cfg-XXXXXX";
    char arg0[] = "dm-worker", arg1[] = "-config";
    char *argv[] = { arg0, arg1, path, NULL };
    int fd = mkstemp(path), rc;
    if (fd < 0) {
        snprintf(err, cap, "cannot create temp file");
        return DM_E_IO;
    }
    close(fd);
    rc = dm_write_file_atomic(path, toml, strlen(toml));
    if (!rc)
        rc = worker_config_load(3, argv, c, err, cap);
    unlink(path);
    return rc;
}

void worker_config_free(struct worker_config *c)
{
    cfg_free(opts, NOPTS, c);
    free(c->from_host);
    free(c->from_user);
    free(c->from_password);
    free(c->from_password_plain);
    json_decref(c->from_session);
    memset(c, 0, sizeof *c);
}

char *worker_config_from_toml(const struct worker_config *c)
{
    json_t *o = json_object();
    char *s;
    if (!o)
        return NULL;
    json_object_set_new(o, "host", json_string(c->from_host));
    json_object_set_new(o, "port", json_integer(c->from_port));
    json_object_set_new(o, "user", json_string(c->from_user));
    json_object_set_new(o, "password", json_string(c->from_password));
    json_object_set_new(o, "max-allowed-packet", json_integer(c->from_max_allowed_packet));
    json_object_set_new(o, "session", c->from_session ? json_deep_copy(c->from_session)
                                                      : json_object());
    s = toml_emit(o);
    json_decref(o);
    return s;
}

const char *worker_config_sample(void)
{
    return "# Worker Configuration.\n"
           "\n"
           "# log configuration\n"
           "log-level = \"info\"\n"
           "log-file = \"dm-worker.log\"\n"
           "\n"
           "# dm-worker listen address\n"
           "worker-addr = \":8262\"\n"
           "\n"
           "# HTTP /metrics (Prometheus) and /status; empty: off (DM serves them on worker-addr)\n"
           "# status-addr = \":8263\"\n"
           "\n"
           "# server id of slave for binlog replication\n"
           "# each instance (master and slave) in replication group should have different server id\n"
           "server-id = 101\n"
           "\n"
           "# represents a MySQL/MariaDB instance or a replication group\n"
           "source-id = \"mysql-replica-01\"\n"
           "\n"
           "# flavor: mysql/mariadb\n"
           "flavor = \"mariadb\"\n"
           "\n"
           "# subtask configs, stages and the operation log\n"
           "meta-dir = \"./dm_worker_meta\"\n"
           "\n"
           "# relay log (subtasks with binlog-type local read it; relative: next to meta-dir)\n"
           "relay-dir = \"./relay_log\"\n"
           "\n"
           "[from]\n"
           "host = \"127.0.0.1\"\n"
           "user = \"root\"\n"
           "password = \"Up8156jArvIPymkVC+5LxkAT6rek\"\n"
           "port = 3306\n"
           "\n"
           "# auto-resume of subtasks paused by transient errors\n"
           "[checker]\n"
           "check-enable = true\n"
           "backoff-rollback = \"5m\"\n"
           "backoff-max = \"5m\"\n";
}

/* mconfig.c - dm-master.toml + command line (master.h). DM v1.0 keys (dm/master/config.go)
 * plus ours: data-dir, op-poll-interval, op-poll-max, refresh-delay, ddl-retry-interval. */
#include "master.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"
#include "fsutil.h"
#include "terror.h"
#include "toml.h"

static const char sample[] =
    "# Master Configuration.\n"
    "\n"
    "# log configuration\n"
    "log-file = \"dm-master.log\"\n"
    "\n"
    "# dm-master listen address\n"
    "master-addr = \":8261\"\n"
    "\n"
    "# rpc configuration\n"
    "#\n"
    "# rpc timeout is a positive number plus time unit. we use golang standard time\n"
    "# units including: \"ns\", \"us\", \"ms\", \"s\", \"m\", \"h\". You should provide\n"
    "# a proper rpc timeout according to your use scenario.\n"
    "rpc-timeout = \"30s\"\n"
    "# rpc limiter controls how frequently events are allowed to happen.\n"
    "# It implements a \"token bucket\" of size `rpc-rate-limit`, initially full and\n"
    "# refilled at rate `rpc-rate-limit` tokens per second. Note `rpc-rate-limit`\n"
    "# is float64 type, so remember to add a decimal point and one trailing 0 if its\n"
    "# literal value happens to be an integer.\n"
    "rpc-rate-limit = 10.0\n"
    "rpc-rate-burst = 40\n"
    "\n"
    "# dm-gateway extension: where accepted task configs are kept across restarts\n"
    "data-dir = \"./dm-master-data\"\n"
    "\n"
    "[[deploy]]\n"
    "source-id = \"mysql-replica-01\"\n"
    "dm-worker = \"172.16.10.72:8262\"\n"
    "\n"
    "[[deploy]]\n"
    "source-id = \"mysql-replica-02\"\n"
    "dm-worker = \"172.16.10.73:8262\"\n";

const char *master_config_sample(void) { return sample; }

static char *dupnull(const char *s) { return s ? strdup(s) : NULL; }

int master_config_defaults(struct master_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->master_addr = strdup(":8261");
    cfg->rpc_timeout_ms = 30000;
    cfg->rpc_rate_limit = 10.0;
    cfg->rpc_rate_burst = 40;
    cfg->log_level = strdup("info");
    cfg->log_file = strdup("");
    cfg->log_rotate = strdup("day");
    cfg->data_dir = strdup("./dm-master-data");
    cfg->op_poll_interval_ms = 1000;
    cfg->op_poll_max = 30;
    cfg->refresh_delay_ms = 3000;
    cfg->ddl_retry_ms = 5000;
    if (!cfg->master_addr || !cfg->log_level || !cfg->log_file || !cfg->log_rotate || !cfg->data_dir)
        return DM_E_NOMEM;
    return DM_OK;
}

static void deploy_free(struct master_deploy *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].source_id);
        free(d[i].worker);
    }
    free(d);
}

void master_config_free(struct master_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->master_addr);
    free(cfg->log_level);
    free(cfg->log_file);
    free(cfg->log_rotate);
    free(cfg->data_dir);
    free(cfg->config_file);
    deploy_free(cfg->deploy, cfg->n_deploy);
    memset(cfg, 0, sizeof(*cfg));
}

/* Go time.ParseDuration subset: sequence of <number><unit>, units ns us ms s m h. */
static int parse_duration_ms(const char *s, int64_t *ms)
{
    double total = 0;
    const char *p = s;
    if (!*p)
        return DM_E_INVAL;
    if (strcmp(p, "0") == 0) {
        *ms = 0;
        return DM_OK;
    }
    while (*p) {
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return DM_E_INVAL;
        p = end;
        double mul;
        if (strncmp(p, "ns", 2) == 0) { mul = 1e-6; p += 2; }
        else if (strncmp(p, "us", 2) == 0) { mul = 1e-3; p += 2; }
        else if (strncmp(p, "ms", 2) == 0) { mul = 1; p += 2; }
        else if (*p == 's') { mul = 1000; p++; }
        else if (*p == 'm') { mul = 60000; p++; }
        else if (*p == 'h') { mul = 3600000; p++; }
        else return DM_E_INVAL;
        total += v * mul;
    }
    *ms = (int64_t)total;
    return DM_OK;
}

static int set_string(char **dst, json_t *v)
{
    if (!json_is_string(v))
        return DM_E_INVAL;
    char *s = strdup(json_string_value(v));
    if (!s)
        return DM_E_NOMEM;
    free(*dst);
    *dst = s;
    return DM_OK;
}

static char *terr(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *terr(int code, const char *fmt, ...)
{
    struct master_terr te = {code, "dm-master", "internal", code == 38009 ? "high" : "medium"};
    va_list ap;
    va_start(ap, fmt);
    char *s = master_terr_vfmt(&te, NULL, fmt, ap);
    va_end(ap);
    return s;
}

static int apply_deploy(struct master_config *cfg, json_t *arr, char **err)
{
    if (!json_is_array(arr)) {
        *err = terr(38013, "config toml transform: %s", "deploy must be an array of tables");
        return DM_E_INVAL;
    }
    size_t n = json_array_size(arr);
    struct master_deploy *d = calloc(n ? n : 1, sizeof(*d));
    if (!d)
        return DM_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(arr, i);
        json_t *sid = json_object_get(it, "source-id"), *mi = json_object_get(it, "mysql-instance");
        json_t *w = json_object_get(it, "dm-worker");
        const char *k;
        json_t *v;
        json_object_foreach(it, k, v)
            if (strcmp(k, "source-id") && strcmp(k, "mysql-instance") && strcmp(k, "dm-worker")) {
                *err = terr(38011, "master config contained unknown configuration options: deploy.%s", k);
                deploy_free(d, n);
                return DM_E_INVAL;
            }
        const char *src = json_is_string(sid) && *json_string_value(sid) ? json_string_value(sid)
                        : json_is_string(mi) ? json_string_value(mi) : "";
        const char *wk = json_is_string(w) ? json_string_value(w) : "";
        if (!*src || !*wk) {
            char desc[600];
            snprintf(desc, sizeof(desc), "&{MySQL:%s Source:%s DMWorker:%s}",
                     json_is_string(mi) ? json_string_value(mi) : "",
                     json_is_string(sid) ? json_string_value(sid) : "", wk);
            *err = terr(38009, "user should specify valid relation between source(mysql/mariadb) and dm-worker, config %s not valid", desc);
            deploy_free(d, n);
            return DM_E_INVAL;
        }
        d[i].source_id = strdup(src);
        d[i].worker = strdup(wk);
        if (!d[i].source_id || !d[i].worker) {
            deploy_free(d, n);
            return DM_E_NOMEM;
        }
    }
    deploy_free(cfg->deploy, cfg->n_deploy);
    cfg->deploy = d;
    cfg->n_deploy = n;
    return DM_OK;
}

static int apply_duration(json_t *v, int64_t *dst)
{
    if (json_is_integer(v)) {
        *dst = json_integer_value(v) * 1000;
        return DM_OK;
    }
    if (!json_is_string(v))
        return DM_E_INVAL;
    return parse_duration_ms(json_string_value(v), dst);
}

static int apply_key(struct master_config *cfg, const char *k, json_t *v)
{
    if (!strcmp(k, "master-addr")) return set_string(&cfg->master_addr, v);
    if (!strcmp(k, "log-level")) return set_string(&cfg->log_level, v);
    if (!strcmp(k, "log-file")) return set_string(&cfg->log_file, v);
    if (!strcmp(k, "log-rotate")) return set_string(&cfg->log_rotate, v);
    if (!strcmp(k, "data-dir")) return set_string(&cfg->data_dir, v);
    if (!strcmp(k, "rpc-timeout")) return apply_duration(v, &cfg->rpc_timeout_ms);
    if (!strcmp(k, "op-poll-interval")) return apply_duration(v, &cfg->op_poll_interval_ms);
    if (!strcmp(k, "refresh-delay")) return apply_duration(v, &cfg->refresh_delay_ms);
    if (!strcmp(k, "ddl-retry-interval")) return apply_duration(v, &cfg->ddl_retry_ms);
    if (!strcmp(k, "rpc-rate-limit")) {
        if (!json_is_number(v))
            return DM_E_INVAL;
        cfg->rpc_rate_limit = json_number_value(v);
        return DM_OK;
    }
    if (!strcmp(k, "rpc-rate-burst") || !strcmp(k, "op-poll-max")) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
            return DM_E_INVAL;
        *(!strcmp(k, "op-poll-max") ? &cfg->op_poll_max : &cfg->rpc_rate_burst) = (int)json_integer_value(v);
        return DM_OK;
    }
    return DM_E_NOT_FOUND;
}

int master_config_apply_toml(struct master_config *cfg, const char *text, char **err)
{
    char perr[300] = "";
    *err = NULL;
    json_t *o = toml_parse(text, strlen(text), perr, sizeof(perr));
    if (!o) {
        *err = terr(38013, "config toml transform: %s", perr);
        return *err ? DM_E_INVAL : DM_E_NOMEM;
    }
    struct dm_buf unknown;
    dm_buf_init(&unknown, 1u << 16);
    int rc = DM_OK;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (strcmp(k, "deploy") == 0)
            continue;
        int r = apply_key(cfg, k, v);
        if (r == DM_E_NOT_FOUND) {
            dm_buf_printf(&unknown, "%s%s", unknown.len ? "," : "", k);
        } else if (r != DM_OK && rc == DM_OK) {
            rc = r;
            if (r == DM_E_INVAL)
                *err = strcmp(k, "rpc-timeout")
                           ? terr(38013, "config toml transform: invalid value for %s", k)
                           : terr(38014, "parse rpc timeout str: %s", k);
        }
    }
    if (rc == DM_OK && unknown.len) {
        *err = terr(38011, "master config contained unknown configuration options: %s", unknown.data);
        rc = DM_E_INVAL;
    }
    if (rc == DM_OK && json_object_get(o, "deploy"))
        rc = apply_deploy(cfg, json_object_get(o, "deploy"), err);
    if (rc == DM_OK && cfg->rpc_timeout_ms <= 0) {
        *err = terr(38014, "parse rpc timeout str: %s", "rpc-timeout must be positive");
        rc = DM_E_INVAL;
    }
    dm_buf_free(&unknown);
    json_decref(o);
    if (rc == DM_E_INVAL && !*err)
        rc = DM_E_NOMEM;
    return rc;
}

/* "-name", "--name", "-name=value" -> name and inline value */
static bool flag_name(const char *arg, char *name, size_t cap, const char **inline_val)
{
    if (arg[0] != '-')
        return false;
    arg += arg[1] == '-' ? 2 : 1;
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n == 0 || n >= cap)
        return false;
    memcpy(name, arg, n);
    name[n] = '\0';
    *inline_val = eq ? eq + 1 : NULL;
    return true;
}

static int load_file(struct master_config *cfg, const char *path, char **err)
{
    char *text = NULL;
    int rc = dm_read_file(path, 1u << 22, &text, NULL);
    if (rc != DM_OK) {
        char m[600];
        snprintf(m, sizeof(m), "open %s: cannot read file", path);
        *err = terr(38013, "config toml transform: %s", m);
        return DM_E_INVAL;
    }
    rc = master_config_apply_toml(cfg, text, err);
    free(text);
    if (rc == DM_OK && !(cfg->config_file = strdup(path)))
        rc = DM_E_NOMEM;
    return rc;
}

int master_config_from_args(struct master_config *cfg, int argc, char **argv,
                            bool *version, bool *sample_out, char **err)
{
    static const char *const valued[] = {"config", "master-addr", "L", "log-level", "log-file",
                                         "data-dir", "rpc-timeout", NULL};
    *version = *sample_out = false;
    *err = NULL;
    /* pass 1: -config */
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *iv;
        if (!flag_name(argv[i], name, sizeof(name), &iv))
            continue;
        if (strcmp(name, "config") == 0) {
            const char *path = iv ? iv : (i + 1 < argc ? argv[i + 1] : NULL);
            if (!path || !*path) {
                *err = terr(38010, "parse config flag set: %s", "flag needs an argument: -config");
                return DM_E_INVAL;
            }
            int rc = load_file(cfg, path, err);
            if (rc != DM_OK)
                return rc;
        }
    }
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *iv = NULL;
        if (!flag_name(argv[i], name, sizeof(name), &iv)) {
            *err = terr(38012, "'%s' is an invalid flag", argv[i]);
            return DM_E_INVAL;
        }
        if (!strcmp(name, "V") || !strcmp(name, "version")) { *version = true; continue; }
        if (!strcmp(name, "print-sample-config")) { *sample_out = true; continue; }
        bool known = false;
        for (const char *const *p = valued; *p; p++)
            known = known || strcmp(*p, name) == 0;
        if (!known) {
            *err = terr(38010, "parse config flag set: flag provided but not defined: -%s", name);
            return DM_E_INVAL;
        }
        const char *val = iv;
        if (!val) {
            if (i + 1 >= argc) {
                *err = terr(38010, "parse config flag set: flag needs an argument: -%s", name);
                return DM_E_INVAL;
            }
            val = argv[++i];
        }
        char **dst = NULL;
        if (!strcmp(name, "master-addr")) dst = &cfg->master_addr;
        else if (!strcmp(name, "L") || !strcmp(name, "log-level")) dst = &cfg->log_level;
        else if (!strcmp(name, "log-file")) dst = &cfg->log_file;
        else if (!strcmp(name, "data-dir")) dst = &cfg->data_dir;
        else if (!strcmp(name, "rpc-timeout")) {
            if (parse_duration_ms(val, &cfg->rpc_timeout_ms) != DM_OK || cfg->rpc_timeout_ms <= 0) {
                *err = terr(38014, "parse rpc timeout str: %s", val);
                return DM_E_INVAL;
            }
        }
        if (dst) {
            char *s = dupnull(val);
            if (!s)
                return DM_E_NOMEM;
            free(*dst);
            *dst = s;
        }
    }
    return DM_OK;
}

/* precheck.c - DM checker.CheckSyncConfig with libmariadb: per source the version,
 * binlog_enable, binlog_format=ROW, binlog_row_image=FULL and privilege checks (dump /
 * replication, depending on task-mode and ignore-checking-items), plus connectivity of
 * the target. Failure -> DM 26005 message with the JSON result detail DM prints. */
#include "master_int.h"

#include <jansson.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "dm_crypt.h"
#include "dm_error.h"
#include "subtask.h"
#include "terror.h"

struct checks {
    json_t *results;
    int total, ok, failed, warn;
    const struct master_task_cfg *cfg;
};

static bool ignored(const struct master_task_cfg *c, const char *item)
{
    for (size_t i = 0; i < c->ignore_checking_items.n; i++)
        if (!strcmp(c->ignore_checking_items.items[i], item) || !strcmp(c->ignore_checking_items.items[i], "all"))
            return true;
    if (!strcmp(c->task_mode, "full") && (!strcmp(item, "replication_privilege") || !strcmp(item, "binlog_enable") ||
                                         !strcmp(item, "binlog_format") || !strcmp(item, "binlog_row_image")))
        return true;
    return !strcmp(c->task_mode, "incremental") && !strcmp(item, "dump_privilege");
}

static void add_result(struct checks *k, const char *name, const char *desc, bool pass,
                       const char *err, const char *instruction, const char *extra)
{
    k->total++;
    if (pass) {
        k->ok++;
        return;   /* DM keeps only the failed results when the check fails */
    }
    k->failed++;
    json_array_append_new(k->results, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}",
        "id", k->total, "name", name, "desc", desc, "state", "fail", "errorMsg", err ? err : "",
        "instruction", instruction ? instruction : "", "extra", extra ? extra : ""));
}

static MYSQL *connect_db(const struct master_db_cfg *db, char *err, size_t cap)
{
    MYSQL *c = mysql_init(NULL);
    if (!c) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    unsigned int to = 5;
    mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &to);
    mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &to);
    char *pw = dm_crypt_decrypt_or_plain(db->password ? db->password : "");
    if (!mysql_real_connect(c, db->host ? db->host : "127.0.0.1", db->user ? db->user : "",
                            pw ? pw : "", NULL, (unsigned)db->port, NULL, 0)) {
        snprintf(err, cap, "%s", mysql_error(c));
        mysql_close(c);
        c = NULL;
    }
    free(pw);
    return c;
}

static char *var(MYSQL *c, const char *name)
{
    char q[200];
    snprintf(q, sizeof(q), "SHOW GLOBAL VARIABLES LIKE '%s'", name);
    if (mysql_query(c, q) != 0)
        return NULL;
    MYSQL_RES *r = mysql_store_result(c);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    char *v = row && row[1] ? strdup(row[1]) : NULL;
    mysql_free_result(r);
    return v;
}

static char *grants(MYSQL *c)
{
    if (mysql_query(c, "SHOW GRANTS") != 0)
        return NULL;
    MYSQL_RES *r = mysql_store_result(c);
    struct dm_buf b;
    dm_buf_init(&b, 1u << 20);
    MYSQL_ROW row;
    while (r && (row = mysql_fetch_row(r)))
        dm_buf_printf(&b, "%s\n", row[0] ? row[0] : "");
    mysql_free_result(r);
    return dm_buf_take(&b);
}

static bool has_priv(const char *g, const char *p)
{
    return g && (strstr(g, "ALL PRIVILEGES ON *.*") || strstr(g, p));
}

static void check_var(struct checks *k, MYSQL *c, const char *item, const char *name, const char *want,
                      const char *desc, const char *src)
{
    if (ignored(k->cfg, item))
        return;
    char *v = var(c, name);
    char err[300] = "", ins[300] = "";
    bool pass = v && strcasecmp(v, want) == 0;
    if (!pass) {
        snprintf(err, sizeof(err), "%s is %s, and should be %s", name, v ? v : "(unknown)", want);
        snprintf(ins, sizeof(ins), "set global %s=%s;", name, want);
    }
    add_result(k, item, desc, pass, err, ins, src);
    free(v);
}

static void check_source(struct checks *k, const struct master_db_cfg *db, const char *sid)
{
    char err[512] = "", src[300];
    snprintf(src, sizeof(src), "address of db instance - %s:%lld", db->host ? db->host : "", (long long)db->port);
    MYSQL *c = connect_db(db, err, sizeof(err));
    if (!c) {
        add_result(k, "source db connection", "check connection to source db", false, err,
                   "check the [from] of the worker and that the source DB is reachable", sid);
        return;
    }
    if (!ignored(k->cfg, "version")) {
        unsigned long v = mysql_get_server_version(c);
        const char *info = mysql_get_server_info(c);
        bool maria = info && strstr(info, "MariaDB");
        bool pass = maria ? v >= 100102 : v >= 50500;
        snprintf(err, sizeof(err), "version required at least %s but got %s", maria ? "10.1.2" : "5.5.0", info ? info : "?");
        add_result(k, "mysql_version", "check whether mysql version is satisfied", pass, pass ? "" : err,
                   "upgrade the source DB", src);
    }
    check_var(k, c, "binlog_enable", "log_bin", "ON", "check whether mysql binlog is enabled", src);
    check_var(k, c, "binlog_format", "binlog_format", "ROW", "check whether mysql binlog_format is ROW", src);
    check_var(k, c, "binlog_row_image", "binlog_row_image", "FULL", "check whether mysql binlog_row_image is FULL", src);
    char *g = grants(c);
    if (!ignored(k->cfg, "dump_privilege")) {
        bool pass = has_priv(g, "RELOAD") && has_priv(g, "SELECT");
        add_result(k, "source db dump privilege checker", "check dump privileges of source DB", pass,
                   pass ? "" : "lack of RELOAD or SELECT privilege", "GRANT RELOAD, SELECT ON *.* TO the user", src);
    }
    if (!ignored(k->cfg, "replication_privilege")) {
        bool pass = has_priv(g, "REPLICATION SLAVE") && (has_priv(g, "REPLICATION CLIENT") || has_priv(g, "BINLOG MONITOR"));
        add_result(k, "source db replication privilege checker", "check replication privileges of source DB", pass,
                   pass ? "" : "lack of REPLICATION SLAVE or REPLICATION CLIENT privilege",
                   "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the user", src);
    }
    free(g);
    mysql_close(c);
}

/* mydumper_path executable, or (DM's default "./bin/mydumper" / "" / "mydumper") a
 * `mydumper` on PATH: the dm-worker resolves it the same way (worker/dump/dump.h). */
static bool mydumper_found(const char *path)
{
    struct stat st;
    char cand[4096];
    const char *env = getenv("PATH");
    if (path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
        return true;
    if (path && *path && strcmp(path, "./bin/mydumper") && strcmp(path, "mydumper"))
        return false;
    for (const char *p = env ? env : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(cand, sizeof(cand), "%.*s/mydumper", (int)n, p);
        if (n && stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* task-mode full/all: mydumper present and the dump directory's file system has room
 * for the source's data (checked on this host: the local stack runs master and workers
 * on one machine). */
static void check_dump_env(struct checks *k, const struct master_instance *in,
                           const struct master_db_cfg *db)
{
    char err[600] = "", dir[4096], *slash;
    struct statvfs vfs;
    if (!strcmp(k->cfg->task_mode, "incremental") || ignored(k->cfg, "dump_privilege"))
        return;
    const char *path = in->mydumper ? in->mydumper->mydumper_path : NULL;
    bool found = mydumper_found(path);
    if (!found)
        snprintf(err, sizeof(err), "mydumper not found (mydumper-path %s, PATH)", path && *path ? path : "\"\"");
    add_result(k, "mydumper", "check whether mydumper is installed", found, err,
               "install the Debian package `mydumper` (apt-get install mydumper) or set mydumper-path",
               in->source_id);
    snprintf(dir, sizeof(dir), "%s", in->loader && in->loader->dir && *in->loader->dir ? in->loader->dir : ".");
    while (statvfs(dir, &vfs) != 0 && (slash = strrchr(dir, '/')) && slash != dir)
        *slash = '\0';
    if (statvfs(dir, &vfs) != 0 && statvfs(".", &vfs) != 0)
        return;
    char e2[512] = "";
    MYSQL *c = connect_db(db, e2, sizeof(e2));
    unsigned long long need = 0, avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    if (c && mysql_query(c, "SELECT COALESCE(SUM(DATA_LENGTH),0) FROM information_schema.TABLES WHERE "
                            "TABLE_SCHEMA NOT IN ('mysql','sys','information_schema','performance_schema')") == 0) {
        MYSQL_RES *r = mysql_store_result(c);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        need = row && row[0] ? strtoull(row[0], NULL, 10) : 0;
        if (r)
            mysql_free_result(r);
    }
    if (c)
        mysql_close(c);
    bool pass = avail >= need;
    snprintf(err, sizeof(err), "dump directory %.400s has %llu MB free, the source holds %llu MB", dir,
             avail >> 20, need >> 20);
    add_result(k, "dump directory disk space", "check free space for the dump", pass, pass ? "" : err,
               "free disk space or set loaders.dir to a larger file system", in->source_id);
}

/* Go json.MarshalIndent(v, "\t", "\t") look: tabs for indentation, continuation lines
 * prefixed with one tab. */
static char *tab_indent(const char *s)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 22);
    bool bol = false;
    for (const char *p = s; *p; p++) {
        if (bol) {
            dm_buf_addc(&b, '\t');
            while (*p == ' ') {
                dm_buf_addc(&b, '\t');
                p++;
            }
            bol = false;
        }
        dm_buf_addc(&b, *p);
        bol = *p == '\n';
    }
    return dm_buf_take(&b);
}

int master_precheck(const struct master_task_cfg *cfg, struct master_db_cfg *const *sources, char **err)
{
    *err = NULL;
    if (ignored(cfg, "all"))
        return DM_OK;
    struct checks k = {json_array(), 0, 0, 0, 0, cfg};
    if (!k.results)
        return DM_E_NOMEM;
    for (size_t i = 0; i < cfg->instances.n; i++) {
        const struct master_instance *in = cfg->instances.items[i];
        check_source(&k, sources[i], in->source_id);
        check_dump_env(&k, in, sources[i]);
    }
    char cerr[512] = "";
    MYSQL *t = connect_db(cfg->target_db, cerr, sizeof(cerr));
    if (!t)
        add_result(&k, "target db connection", "check connection to target db", false, cerr,
                   "check target-database in the task config", "target");
    else
        mysql_close(t);
    int rc = DM_OK;
    if (k.failed > 0) {
        json_t *res = json_pack("{s:o, s:{s:b, s:i, s:i, s:i, s:i}}", "results", k.results, "summary",
                                "passed", 0, "total", k.total, "successful", k.ok, "failed", k.failed,
                                "warning", k.warn);
        k.results = NULL;
        char *raw = res ? json_dumps(res, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
        char *tabbed = raw ? tab_indent(raw) : NULL;
        *err = master_terr_code(26005, "dm-master", "medium", "%s: %s\n detail: %s",
                                "fail to check synchronization configuration with type",
                                "check was failed, please see detail", tabbed ? tabbed : "");
        free(raw);
        free(tabbed);
        json_decref(res);
        rc = *err ? DM_E_INVAL : DM_E_NOMEM;
    }
    json_decref(k.results);
    return rc;
}

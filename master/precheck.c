/* precheck.c - DM checker.CheckSyncConfig with libmariadb. Per source, in DM v1.0.7's
 * order and with tidb-tools' result names: mysql_version, mysql_binlog_enable,
 * mysql_binlog_format, mysql_binlog_row_image, source db dump / replication privilege
 * (DM's "chcker" spelling kept), table structure compatibility (precheck_tables.c); then
 * one sharding consistency check per target table fed by several source tables; plus
 * connectivity of the target and, last, the settings this dm-worker refuses
 * (taskcfg_check.c; never switched off: the worker would refuse the task anyway); for
 * task-mode full/all also mydumper's presence and the dump directory's free space. task-mode and ignore-checking-items switch items off as DM does.
 * Failure -> DM 26005 message with the JSON result detail DM prints (failed and warning
 * results only). */
#include "master_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "dm_crypt.h"
#include "dm_error.h"
#include "precheck_int.h"
#include "subtask.h"
#include "terror.h"

bool precheck_ignored(const struct master_task_cfg *c, const char *item)
{
    for (size_t i = 0; i < c->ignore_checking_items.n; i++)
        if (!strcmp(c->ignore_checking_items.items[i], item) || !strcmp(c->ignore_checking_items.items[i], "all"))
            return true;
    if (!strcmp(c->task_mode, "full") && (!strcmp(item, "replication_privilege") || !strcmp(item, "binlog_enable") ||
                                         !strcmp(item, "binlog_format") || !strcmp(item, "binlog_row_image")))
        return true;
    return !strcmp(c->task_mode, "incremental") && !strcmp(item, "dump_privilege");
}

void precheck_add(struct precheck *k, const char *name, const char *desc, enum precheck_state state,
                  const char *err, const char *instruction, const char *extra)
{
    int id = k->total++;
    if (state == PRECHECK_SUCCESS) {
        k->ok++;
        return;   /* DM keeps only the failed and warning results when the check fails */
    }
    if (state == PRECHECK_FAIL)
        k->failed++;
    else
        k->warn++;
    json_array_append_new(k->results, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}",
        "id", id, "name", name, "desc", desc, "state", state == PRECHECK_FAIL ? "fail" : "warn",
        "errorMsg", err ? err : "", "instruction", instruction ? instruction : "", "extra", extra ? extra : ""));
}

MYSQL *precheck_connect(const struct master_db_cfg *db, char *err, size_t cap)
{
    MYSQL *c = mysql_init(NULL);
    if (!c) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    unsigned int to = 5, no_local_infile = 0;   /* a server may ask for any local file */
    mysql_options(c, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
    mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &to);
    mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &to);
    char *pw = dm_crypt_decrypt_or_plain(db->password ? db->password : "");
    if (!mysql_real_connect(c, db->host ? db->host : "127.0.0.1", db->user ? db->user : "",
                            pw ? pw : "", NULL, (unsigned)db->port, NULL, 0)) {
        snprintf(err, cap, "%s", mysql_error(c));
        mysql_close(c);
        c = NULL;
    } else {
        mysql_set_character_set(c, "utf8mb4");
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

/* ---------- the server checks (tidb-tools pkg/check binlog.go, mysql_server.go, privilege.go) ---------- */

struct var_check {
    const char *item, *result_name, *variable, *want, *desc, *instruction;
};

static const struct var_check VAR_CHECKS[] = {
    {"binlog_enable", "mysql_binlog_enable", "log_bin", "ON", "check whether mysql binlog is enabled",
     "ref document: https://dev.mysql.com/doc/refman/5.7/en/replication-howto-masterbaseconfig.html"},
    {"binlog_format", "mysql_binlog_format", "binlog_format", "ROW", "check whether mysql binlog_format is ROW",
     "please execute 'set global binlog_format=ROW;'"},
    {"binlog_row_image", "mysql_binlog_row_image", "binlog_row_image", "FULL",
     "check whether mysql binlog_row_image is FULL", "please execute 'set global binlog_row_image = FULL;'"},
};

static void check_var(struct precheck *k, MYSQL *c, const struct var_check *vc, const char *src)
{
    if (precheck_ignored(k->cfg, vc->item))
        return;
    char *v = var(c, vc->variable);
    char err[300] = "";
    bool pass = v && strcasecmp(v, vc->want) == 0;
    if (!pass)
        snprintf(err, sizeof(err), "%s is %s, and should be %s", vc->variable, v ? v : "(unknown)", vc->want);
    precheck_add(k, vc->result_name, vc->desc, pass ? PRECHECK_SUCCESS : PRECHECK_FAIL, err,
                 pass ? "" : vc->instruction, src);
    free(v);
}

static void check_version(struct precheck *k, MYSQL *c, const char *src)
{
    if (precheck_ignored(k->cfg, "version"))
        return;
    char err[300];
    unsigned long v = mysql_get_server_version(c);
    const char *info = mysql_get_server_info(c);
    bool maria = info && strstr(info, "MariaDB");
    bool pass = maria ? v >= 100102 : v >= 50600 && v < 50800;
    snprintf(err, sizeof(err), "version required at least %s but got %lu.%lu.%lu", maria ? "10.1.2" : "5.6.0",
             v / 10000, v / 100 % 100, v % 100);
    if (!maria && v >= 50800)
        snprintf(err, sizeof(err), "version required less than 5.8.0 but got %lu.%lu.%lu", v / 10000,
                 v / 100 % 100, v % 100);
    precheck_add(k, "mysql_version", "check whether mysql version is satisfied",
                 pass ? PRECHECK_SUCCESS : PRECHECK_FAIL, pass ? "" : err,
                 pass ? "" : "Please upgrade your database system", src);
}

/* verifyPrivileges: every wanted privilege (or an alternative spelling) in some grant */
static void check_privs(struct precheck *k, const char *g, const char *item, const char *name,
                        const char *desc, const char *const *want, const char *user, const char *src)
{
    if (precheck_ignored(k->cfg, item))
        return;
    char lack[200] = "", err[300] = "", ins[400] = "";
    bool all = g && strstr(g, "ALL PRIVILEGES");
    for (size_t i = 0; want[i] && !all; i++) {
        /* "A|B": MariaDB 10.5 renamed REPLICATION CLIENT to BINLOG MONITOR */
        char alt[64];
        snprintf(alt, sizeof(alt), "%s", want[i]);
        char *bar = strchr(alt, '|');
        if (bar)
            *bar = '\0';
        bool has = g && (strstr(g, alt) || (bar && strstr(g, bar + 1)));
        if (!has)
            snprintf(lack + strlen(lack), sizeof(lack) - strlen(lack), "%s%s", lack[0] ? "," : "", alt);
    }
    if (lack[0]) {
        snprintf(err, sizeof(err), "lack of %s privilege", lack);
        snprintf(ins, sizeof(ins), "GRANT %s ON *.* TO '%s'@'%%';", lack, user ? user : "");
    }
    if (!g)
        snprintf(err, sizeof(err), "there is no such grant defined for current user on host '%%'");
    precheck_add(k, name, desc, lack[0] || !g ? PRECHECK_FAIL : PRECHECK_SUCCESS, err, ins, src);
}

static void check_source(struct precheck *k, struct precheck_tables *pt, size_t i,
                         const struct master_db_cfg *db, MYSQL *target)
{
    static const char *const dump[] = {"RELOAD", "SELECT", NULL};
    static const char *const repl[] = {"REPLICATION SLAVE", "REPLICATION CLIENT|BINLOG MONITOR", NULL};
    char err[512] = "", src[300];
    snprintf(src, sizeof(src), "address of db instance - %s:%lld", db->host ? db->host : "", (long long)db->port);
    MYSQL *c = precheck_connect(db, err, sizeof(err));
    if (!c) {
        precheck_add(k, "source db connection", "check connection to source db", PRECHECK_FAIL, err,
                     "check the [from] of the worker and that the source DB is reachable", src);
        return;
    }
    check_version(k, c, src);
    for (size_t v = 0; v < sizeof(VAR_CHECKS) / sizeof(VAR_CHECKS[0]); v++)
        check_var(k, c, &VAR_CHECKS[v], src);
    char *g = grants(c);
    check_privs(k, g, "dump_privilege", "source db dump privilege chcker", "check dump privileges of source DB",
                dump, db->user, src);
    check_privs(k, g, "replication_privilege", "source db replication privilege chcker",
                "check replication privileges of source DB", repl, db->user, src);
    free(g);
    precheck_tables_instance(k, pt, i, c, db, target);
    mysql_close(c);
}

/* ---------- task-mode full/all: the Dump unit's needs ---------- */

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

/* Free bytes where the dump directory will be (its nearest existing ancestor). */
static bool dump_dir_free(const char *loader_dir, char *dir, size_t cap, unsigned long long *avail)
{
    struct statvfs vfs;
    char *slash;
    snprintf(dir, cap, "%s", loader_dir && *loader_dir ? loader_dir : ".");
    while (statvfs(dir, &vfs) != 0 && (slash = strrchr(dir, '/')) && slash != dir)
        *slash = '\0';
    if (statvfs(dir, &vfs) != 0)
        return false;
    *avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    return true;
}

/* mydumper present, and room for the source's data in the dump directory's file system
 * (checked on this host: the local stack runs master and workers on one machine). Part
 * of DM's dump_privilege item (ignored with it, and in task-mode incremental). */
static void check_dump_env(struct precheck *k, const struct master_instance *in,
                           const struct master_db_cfg *db)
{
    char err[600] = "", dir[4096], e2[512] = "";
    unsigned long long need = 0, avail = 0;
    if (precheck_ignored(k->cfg, "dump_privilege"))
        return;
    const char *path = in->mydumper ? in->mydumper->mydumper_path : NULL;
    bool found = mydumper_found(path);
    if (!found)
        snprintf(err, sizeof(err), "mydumper not found (mydumper-path %s, PATH)", path && *path ? path : "\"\"");
    precheck_add(k, "mydumper", "check whether mydumper is installed", found ? PRECHECK_SUCCESS : PRECHECK_FAIL,
                 err, "install the Debian package `mydumper` (apt-get install mydumper) or set mydumper-path",
                 in->source_id);
    if (!dump_dir_free(in->loader ? in->loader->dir : NULL, dir, sizeof(dir), &avail))
        return;
    MYSQL *c = precheck_connect(db, e2, sizeof(e2));
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
    precheck_add(k, "dump directory disk space", "check free space for the dump",
                 pass ? PRECHECK_SUCCESS : PRECHECK_FAIL, pass ? "" : err,
                 "free disk space or set loaders.dir to a larger file system", in->source_id);
}

/* ---------- what this dm-worker refuses (not a DM checking item: never ignored) ---------- */

static void emit_unsupported(void *ctx, const char *setting, const char *msg, const char *instruction)
{
    precheck_add(ctx, "dm-worker support", "check whether the dm-worker supports the task's settings",
                 PRECHECK_FAIL, msg, instruction, setting);
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

static int failure_message(struct precheck *k, char **err)
{
    json_t *res = json_pack("{s:O, s:{s:b, s:i, s:i, s:i, s:i}}", "results", k->results, "summary",
                            "passed", 0, "total", k->total, "successful", k->ok, "failed", k->failed,
                            "warning", k->warn);
    char *raw = res ? json_dumps(res, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    char *tabbed = raw ? tab_indent(raw) : NULL;
    *err = tabbed ? master_terr_code(26005, "dm-master", "medium", "%s: %s\n detail: %s",
                                     "fail to check synchronization configuration with type",
                                     "check was failed, please see detail", tabbed) : NULL;
    free(raw);
    free(tabbed);
    json_decref(res);
    return *err ? DM_E_INVAL : DM_E_NOMEM;
}

static bool any_item_on(const struct master_task_cfg *cfg)
{
    static const char *const items[] = {"version", "binlog_enable", "binlog_format", "binlog_row_image",
                                        "dump_privilege", "replication_privilege", "table_schema",
                                        "schema_of_shard_tables", "auto_increment_ID", NULL};
    for (size_t i = 0; items[i]; i++)
        if (!precheck_ignored(cfg, items[i]))
            return true;
    return false;
}

int master_precheck(const struct master_task_cfg *cfg, struct master_db_cfg *const *sources, char **err)
{
    *err = NULL;
    struct precheck k = {json_array(), 0, 0, 0, 0, cfg};
    struct precheck_tables *pt = precheck_tables_new();
    int rc = DM_E_NOMEM;
    if (!k.results || !pt)
        goto out;
    if (any_item_on(cfg)) {   /* DM: nothing to check when every item is ignored */
        char cerr[512] = "";
        MYSQL *t = precheck_connect(cfg->target_db, cerr, sizeof(cerr));
        for (size_t i = 0; i < cfg->instances.n; i++) {
            check_source(&k, pt, i, sources[i], t);
            check_dump_env(&k, cfg->instances.items[i], sources[i]);
        }
        precheck_tables_sharding(&k, pt);
        if (!t)
            precheck_add(&k, "target db connection", "check connection to target db", PRECHECK_FAIL, cerr,
                         "check target-database in the task config", "target");
        else
            mysql_close(t);
    }
    master_taskcfg_unsupported(cfg, emit_unsupported, &k);   /* after DM's ids */
    rc = k.failed > 0 ? failure_message(&k, err) : DM_OK;
out:
    precheck_tables_free(pt);
    json_decref(k.results);
    return rc;
}

/* test_precheck.c - master/precheck.c against a real MariaDB sandbox
 * (scripts/mariadb-sandbox.sh): passes on ROW/FULL, fails with DM's 26005 message and
 * a readable detail once binlog_format is STATEMENT; honours ignore-checking-items. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "master_int.h"
#include "subtask.h"
#include "taskcfg.h"
#include "testutil.h"

static char *dir;
static int port;

/* scripts/mariadb-sandbox.sh <verb> <dir> [port] [extra shell text] */
static int sandbox(const char *verb, int p, const char *extra)
{
    char cmd[2048];
    if (p)
        snprintf(cmd, sizeof(cmd), "%s/scripts/mariadb-sandbox.sh %s %s %d %s", tu_source_dir(), verb, dir, p, extra);
    else
        snprintf(cmd, sizeof(cmd), "%s/scripts/mariadb-sandbox.sh %s %s %s", tu_source_dir(), verb, dir, extra);
    return system(cmd);
}

static struct master_task_cfg *cfg_for(const char *ignore)
{
    char y[1024];
    snprintf(y, sizeof(y),
             "name: t\ntask-mode: all\n%s\ntarget-database: {host: 127.0.0.1, port: %d, user: root, password: ''}\n"
             "mysql-instances:\n  - source-id: s1\n", ignore, port);
    struct master_task_cfg *c = NULL;
    char *err = NULL;
    ck_assert_msg(master_taskcfg_parse(y, strlen(y), &c, &err) == DM_OK, "%s", err);
    return c;
}

START_TEST(precheck_real_mariadb)
{
    char toml[256];
    snprintf(toml, sizeof(toml), "host = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n", port);
    struct master_db_cfg *src = NULL;
    char *err = NULL;
    ck_assert_int_eq(master_dbcfg_from_toml(toml, &src, &err), DM_OK);
    struct master_db_cfg *srcs[1] = {src};

    struct master_task_cfg *c = cfg_for("");
    ck_assert_msg(master_precheck(c, srcs, &err) == DM_OK, "%s", err);

    ck_assert_int_eq(sandbox("client", 0, "-e \"SET GLOBAL binlog_format='STATEMENT'\""), 0);
    ck_assert_int_eq(master_precheck(c, srcs, &err), DM_E_INVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strncmp(err, "[code=26005:class=dm-master:scope=internal:level=medium] fail to check synchronization configuration with type: check was failed, please see detail\n detail: {", 152) == 0, "%s", err);
    ck_assert_msg(strstr(err, "binlog_format is STATEMENT, and should be ROW") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "set global binlog_format=ROW;") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "\"failed\": 1") != NULL, "%s", err);
    free(err);
    err = NULL;
    master_taskcfg_free(c);

    c = cfg_for("ignore-checking-items: [binlog_format]");
    ck_assert_msg(master_precheck(c, srcs, &err) == DM_OK, "%s", err);
    master_taskcfg_free(c);

    /* task-mode all without mydumper: the check names the package */
    c = cfg_for("");
    struct master_instance *in = c->instances.items[0];
    free(in->mydumper->mydumper_path);
    in->mydumper->mydumper_path = strdup("/nonexistent/mydumper");
    ck_assert_int_eq(master_precheck(c, srcs, &err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "mydumper not found") && strstr(err, "apt-get install mydumper"), "%s", err);
    free(err);
    err = NULL;
    master_taskcfg_free(c);

    free(src->host);
    src->host = strdup("127.0.0.1");
    src->port = tu_free_port();
    c = cfg_for("");
    ck_assert_int_eq(master_precheck(c, srcs, &err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "check connection to source db") != NULL, "%s", err);
    free(err);
    master_taskcfg_free(c);
    master_dbcfg_free(src);
}
END_TEST

int main(void)
{
    dir = tu_mkdtemp();
    port = tu_free_port();
    if (sandbox("start", port, ">/dev/null") != 0) {
        fprintf(stderr, "mariadb sandbox unavailable\n");
        tu_rmrf(dir);
        return 77;
    }
    Suite *s = suite_create("precheck");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, precheck_real_mariadb);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    sandbox("stop", 0, ">/dev/null");
    tu_rmrf(dir);
    free(dir);
    return rc;
}

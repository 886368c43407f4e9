/* sandbox_db.h - one MariaDB sandbox per test program (scripts/mariadb-sandbox.sh) and the
 * SQL helpers around it, shared by test_binlog.c and test_rowdec.c. Include once per test
 * program (it defines the program's sandbox directory and port); the program sets g_dir
 * (tu_mkdtemp) and g_port (tu_free_port) before sandbox("start"). Helpers fail the test
 * (ck_assert) on any error. */
#ifndef DM_TEST_WORKER_SANDBOX_DB_H
#define DM_TEST_WORKER_SANDBOX_DB_H

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "binlog.h"
#include "testutil.h"

static char *g_dir;
static int g_port;

/* "start" (server id 1, log in g_dir/sandbox.log) or "stop"; the shell's exit status */
static int sandbox(const char *verb)
{
    char cmd[1024];
    if (strcmp(verb, "start") == 0)
        snprintf(cmd, sizeof(cmd), "bash %s/scripts/mariadb-sandbox.sh start %s/db %d 1 >%s/sandbox.log 2>&1",
                 tu_source_dir(), g_dir, g_port, g_dir);
    else
        snprintf(cmd, sizeof(cmd), "bash %s/scripts/mariadb-sandbox.sh stop %s/db >/dev/null 2>&1",
                 tu_source_dir(), g_dir);
    return system(cmd);
}

/* a root connection with utf8mb4 */
static MYSQL *db(void)
{
    MYSQL *m = mysql_init(NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)g_port, NULL, 0),
                  "connect: %s", mysql_error(m));
    ck_assert_int_eq(mysql_set_character_set(m, "utf8mb4"), 0);
    return m;
}

/* one statement (up to 64 KiB of text); its result, if any, is discarded */
static void sql(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(MYSQL *m, const char *fmt, ...)
{
    size_t cap = 1 << 16;
    char *q = malloc(cap);
    ck_assert_ptr_nonnull(q);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(q, cap, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)cap);
    ck_assert_msg(mysql_query(m, q) == 0, "%.300s: %s", q, mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    mysql_free_result(r);
    free(q);
}

/* the sandbox as a binlog source for a replica with server_id */
static struct bl_source source(uint32_t server_id)
{
    struct bl_source s = { "127.0.0.1", g_port, "root", "", server_id, 200, false };
    return s;
}

#endif /* DM_TEST_WORKER_SANDBOX_DB_H */

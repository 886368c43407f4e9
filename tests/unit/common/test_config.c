/* test_config.c - common/config.c: precedence file < env < flags, parsing, errors,
 * printing with secrets masked. */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dm_error.h"
#include "testutil.h"

struct tcfg {
    char *config;
    char *addr;
    char *log_level;
    char *password;
    char *from_host;
    int64_t from_port;
    int64_t timeout_ms;
    double rate;
    int64_t burst;
    bool debug;
    int64_t max_body;
};

static const struct cfg_opt opts[] = {
    {"config", CFG_STR, offsetof(struct tcfg, config), NULL, NULL, "config file", CFG_NO_FILE},
    {"master-addr", CFG_STR, offsetof(struct tcfg, addr), ":8261", "TCFG_ADDR", "listen", 0},
    {"log-level", CFG_STR, offsetof(struct tcfg, log_level), "info", NULL, "level", 0},
    {"L", CFG_STR, offsetof(struct tcfg, log_level), NULL, NULL, "alias of log-level", 0},
    {"password", CFG_STR, offsetof(struct tcfg, password), NULL, "TCFG_PW", "secret", CFG_SECRET},
    {"from.host", CFG_STR, offsetof(struct tcfg, from_host), "127.0.0.1", NULL, "db host", 0},
    {"from.port", CFG_INT, offsetof(struct tcfg, from_port), "3306", NULL, "db port", 0},
    {"rpc-timeout", CFG_DURATION, offsetof(struct tcfg, timeout_ms), "30s", "TCFG_TIMEOUT",
     "timeout", 0},
    {"rpc-rate-limit", CFG_DOUBLE, offsetof(struct tcfg, rate), "10.0", NULL, "rate", 0},
    {"rpc-rate-burst", CFG_INT, offsetof(struct tcfg, burst), "40", NULL, "burst", 0},
    {"debug", CFG_BOOL, offsetof(struct tcfg, debug), NULL, "TCFG_DEBUG", "debug", 0},
    {"max-body", CFG_SIZE, offsetof(struct tcfg, max_body), "1MiB", NULL, "body limit", 0},
};
#define NOPTS (sizeof opts / sizeof *opts)

static char *tmpdir;

static void setup(void)
{
    tmpdir = tu_mkdtemp();
    unsetenv("TCFG_ADDR");
    unsetenv("TCFG_PW");
    unsetenv("TCFG_TIMEOUT");
    unsetenv("TCFG_DEBUG");
    unsetenv("TCFG_CONFIG");
}

static void teardown(void)
{
    tu_rmrf(tmpdir);
    free(tmpdir);
}

static char *write_cfg(const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/c.toml", tmpdir);
    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    return path;
}

static int load(int argc, char **argv, struct tcfg *c, int *first, json_t **extra, char *err)
{
    static const char *const extra_keys[] = {"deploy", NULL};
    memset(c, 0xAB, sizeof *c);   /* cfg_load must not depend on a zeroed struct */
    return cfg_load(opts, NOPTS, c, argc, argv, first, "TCFG_CONFIG", extra_keys, extra, err, 256);
}

START_TEST(defaults)
{
    struct tcfg c;
    char err[256];
    char *argv[] = {"prog", NULL};
    int first = -1;
    ck_assert_int_eq(load(1, argv, &c, &first, NULL, err), DM_OK);
    ck_assert_int_eq(first, 1);
    ck_assert_ptr_null(c.config);
    ck_assert_str_eq(c.addr, ":8261");
    ck_assert_str_eq(c.log_level, "info");
    ck_assert_ptr_null(c.password);
    ck_assert_int_eq(c.timeout_ms, 30000);
    ck_assert(c.rate == 10.0);
    ck_assert_int_eq(c.burst, 40);
    ck_assert(!c.debug);
    ck_assert_int_eq(c.max_body, 1048576);
    ck_assert_int_eq(c.from_port, 3306);
    cfg_free(opts, NOPTS, &c);
    ck_assert_ptr_null(c.addr);
}
END_TEST

START_TEST(precedence_file_env_flags)
{
    char *path = write_cfg("master-addr = \":9000\"\nrpc-timeout = \"1m30s\"\nrpc-rate-burst = 7\n"
                           "password = \"from-file\"\ndebug = true\n"
                           "[from]\nhost = \"db.local\"\nport = 3307\n"
                           "[[deploy]]\nsource-id = \"a\"\ndm-worker = \"127.0.0.1:8262\"\n");
    setenv("TCFG_ADDR", ":9001", 1);
    setenv("TCFG_TIMEOUT", "5s", 1);
    char *argv[] = {"prog", "--config", path, "-rpc-timeout=250ms", "--debug=false", "-L",
                    "debug", "start-task", "--not-a-flag", NULL};
    struct tcfg c;
    char err[256];
    int first = -1;
    json_t *extra = NULL;
    ck_assert_int_eq(load(9, argv, &c, &first, &extra, err), DM_OK);
    ck_assert_int_eq(first, 7);
    ck_assert_str_eq(argv[first], "start-task");
    ck_assert_str_eq(c.config, path);
    ck_assert_str_eq(c.addr, ":9001");        /* env beats file */
    ck_assert_int_eq(c.timeout_ms, 250);      /* flag beats env */
    ck_assert_int_eq(c.burst, 7);             /* file beats default */
    ck_assert(!c.debug);                      /* flag beats file */
    ck_assert_str_eq(c.log_level, "debug");   /* alias */
    ck_assert_str_eq(c.from_host, "db.local");
    ck_assert_int_eq(c.from_port, 3307);
    ck_assert_ptr_nonnull(extra);
    ck_assert_uint_eq(json_array_size(json_object_get(extra, "deploy")), 1);
    json_decref(extra);

    struct dm_buf b;
    dm_buf_init(&b, 4096);
    ck_assert_int_eq(cfg_print(opts, NOPTS, &c, &b), DM_OK);
    ck_assert_ptr_nonnull(strstr(b.data, "password = \"******\"\n"));
    ck_assert_ptr_null(strstr(b.data, "from-file"));
    ck_assert_ptr_nonnull(strstr(b.data, "rpc-timeout = \"250ms\"\n"));
    ck_assert_ptr_nonnull(strstr(b.data, "master-addr = \":9001\"\n"));
    ck_assert_ptr_nonnull(strstr(b.data, "rpc-rate-limit = 10.0\n"));
    ck_assert_ptr_null(strstr(b.data, "\nL = "));   /* alias printed once */
    dm_buf_free(&b);
    cfg_free(opts, NOPTS, &c);

    /* config file from the environment */
    setenv("TCFG_CONFIG", path, 1);
    char *argv2[] = {"prog", NULL};
    ck_assert_int_eq(load(1, argv2, &c, &first, NULL, err), DM_OK);
    ck_assert_int_eq(c.burst, 7);
    cfg_free(opts, NOPTS, &c);
}
END_TEST

START_TEST(errors_name_the_culprit)
{
    struct tcfg c;
    char err[256];
    int first;
    char *a1[] = {"prog", "--nope", "1", NULL};
    ck_assert_int_eq(load(3, a1, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_str_eq(err, "flag provided but not defined: --nope");
    char *a2[] = {"prog", "-rpc-timeout", "soon", NULL};
    ck_assert_int_eq(load(3, a2, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "\"soon\" for flag -rpc-timeout") != NULL, "%s", err);
    cfg_free(opts, NOPTS, &c);
    char *a3[] = {"prog", "-master-addr", NULL};
    ck_assert_int_eq(load(2, a3, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_str_eq(err, "flag needs an argument: -master-addr");
    char *a4[] = {"prog", "positional", NULL};
    ck_assert_int_eq(cfg_load(opts, NOPTS, &c, 2, a4, NULL, NULL, NULL, NULL, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_str_eq(err, "unexpected argument: positional");

    char *path = write_cfg("bogus = 1\n");
    char *a5[] = {"prog", "-config", path, NULL};
    ck_assert_int_eq(load(3, a5, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "unknown key \"bogus\"") != NULL, "%s", err);
    cfg_free(opts, NOPTS, &c);
    write_cfg("[from]\nhots = \"x\"\n");
    ck_assert_int_eq(load(3, a5, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "unknown key \"from.hots\"") != NULL, "%s", err);
    cfg_free(opts, NOPTS, &c);
    write_cfg("config = \"x\"\n");   /* CFG_NO_FILE */
    ck_assert_int_eq(load(3, a5, &c, &first, NULL, err), DM_E_INVAL);
    cfg_free(opts, NOPTS, &c);
    write_cfg("rpc-rate-burst = \"many\"\n");
    ck_assert_int_eq(load(3, a5, &c, &first, NULL, err), DM_E_INVAL);
    cfg_free(opts, NOPTS, &c);
    write_cfg("master-addr = 8261\n");
    ck_assert_int_eq(load(3, a5, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "expected a string") != NULL, "%s", err);
    cfg_free(opts, NOPTS, &c);
    write_cfg("a = \n");
    ck_assert_int_eq(load(3, a5, &c, &first, NULL, err), DM_E_PARSE);
    ck_assert_msg(strstr(err, "line 1") != NULL, "%s", err);
    cfg_free(opts, NOPTS, &c);
    char *a6[] = {"prog", "-config", "/nonexistent/x.toml", NULL};
    ck_assert_int_eq(load(3, a6, &c, &first, NULL, err), DM_E_IO);
    cfg_free(opts, NOPTS, &c);
    setenv("TCFG_DEBUG", "maybe", 1);
    char *a7[] = {"prog", NULL};
    ck_assert_int_eq(load(1, a7, &c, &first, NULL, err), DM_E_INVAL);
    ck_assert_msg(strstr(err, "TCFG_DEBUG") != NULL, "%s", err);
    cfg_free(opts, NOPTS, &c);
}
END_TEST

START_TEST(value_parsers)
{
    int64_t ms;
    ck_assert_int_eq(cfg_parse_duration_ms("30s", &ms), DM_OK);
    ck_assert_int_eq(ms, 30000);
    ck_assert_int_eq(cfg_parse_duration_ms("1m30s", &ms), DM_OK);
    ck_assert_int_eq(ms, 90000);
    ck_assert_int_eq(cfg_parse_duration_ms("1h", &ms), DM_OK);
    ck_assert_int_eq(ms, 3600000);
    ck_assert_int_eq(cfg_parse_duration_ms("1.5h", &ms), DM_OK);
    ck_assert_int_eq(ms, 5400000);
    ck_assert_int_eq(cfg_parse_duration_ms("500ms", &ms), DM_OK);
    ck_assert_int_eq(ms, 500);
    ck_assert_int_eq(cfg_parse_duration_ms("2500us", &ms), DM_OK);
    ck_assert_int_eq(ms, 2);
    ck_assert_int_eq(cfg_parse_duration_ms("12", &ms), DM_OK);
    ck_assert_int_eq(ms, 12000);
    ck_assert_int_eq(cfg_parse_duration_ms("0", &ms), DM_OK);
    ck_assert_int_eq(ms, 0);
    ck_assert_int_eq(cfg_parse_duration_ms("-1m", &ms), DM_OK);
    ck_assert_int_eq(ms, -60000);
    ck_assert_int_eq(cfg_parse_duration_ms("10x", &ms), DM_E_INVAL);
    ck_assert_int_eq(cfg_parse_duration_ms("s", &ms), DM_E_INVAL);
    ck_assert_int_eq(cfg_parse_duration_ms("", &ms), DM_E_INVAL);
    ck_assert_int_eq(cfg_parse_duration_ms("1m 30s", &ms), DM_E_INVAL);

    int64_t sz;
    ck_assert_int_eq(cfg_parse_value(CFG_SIZE, "1MiB", &sz), DM_OK);
    ck_assert_int_eq(sz, 1048576);
    ck_assert_int_eq(cfg_parse_value(CFG_SIZE, "64k", &sz), DM_OK);
    ck_assert_int_eq(sz, 65536);
    ck_assert_int_eq(cfg_parse_value(CFG_SIZE, "2KB", &sz), DM_OK);
    ck_assert_int_eq(sz, 2000);
    ck_assert_int_eq(cfg_parse_value(CFG_SIZE, "1048576", &sz), DM_OK);
    ck_assert_int_eq(sz, 1048576);
    ck_assert_int_eq(cfg_parse_value(CFG_SIZE, "1.5G", &sz), DM_OK);
    ck_assert_int_eq(sz, 1610612736);
    ck_assert_int_eq(cfg_parse_value(CFG_SIZE, "12 parsecs", &sz), DM_E_INVAL);

    int64_t i;
    ck_assert_int_eq(cfg_parse_value(CFG_INT, "-42", &i), DM_OK);
    ck_assert_int_eq(i, -42);
    ck_assert_int_eq(cfg_parse_value(CFG_INT, "4x", &i), DM_E_INVAL);
    ck_assert_int_eq(cfg_parse_value(CFG_INT, "99999999999999999999", &i), DM_E_INVAL);
    bool b = false;
    ck_assert_int_eq(cfg_parse_value(CFG_BOOL, "T", &b), DM_OK);
    ck_assert(b);
    ck_assert_int_eq(cfg_parse_value(CFG_BOOL, "yes", &b), DM_E_INVAL);
    double d;
    ck_assert_int_eq(cfg_parse_value(CFG_DOUBLE, "2.5", &d), DM_OK);
    ck_assert(d == 2.5);
    char *s = NULL;
    ck_assert_int_eq(cfg_parse_value(CFG_STR, "a", &s), DM_OK);
    ck_assert_int_eq(cfg_parse_value(CFG_STR, "b", &s), DM_OK);   /* old value freed */
    ck_assert_str_eq(s, "b");
    free(s);
}
END_TEST

/* dm-gateway --print-config > f; dm-gateway --config f used to fail: the flag-only
 * print-config was printed (unknown key) and an unset secret printed as "******". */
START_TEST(printed_config_loads_back)
{
    struct tcfg c;
    char err[256];
    int first = -1;
    char *argv[] = {"prog", "--debug", NULL};
    ck_assert_int_eq(load(2, argv, &c, &first, NULL, err), DM_OK);
    struct dm_buf b;
    dm_buf_init(&b, 4096);
    ck_assert_int_eq(cfg_print(opts, NOPTS, &c, &b), DM_OK);
    cfg_free(opts, NOPTS, &c);
    ck_assert_ptr_null(strstr(b.data, "config = "));
    ck_assert_ptr_nonnull(strstr(b.data, "password = \"\"\n"));
    char *path = write_cfg(b.data);
    dm_buf_free(&b);
    char *argv2[] = {"prog", "--config", path, NULL};
    ck_assert_msg(load(3, argv2, &c, &first, NULL, err) == DM_OK, "%s", err);
    ck_assert(c.debug);
    ck_assert_int_eq(c.timeout_ms, 30000);
    ck_assert(c.password == NULL || *c.password == '\0');
    cfg_free(opts, NOPTS, &c);
}
END_TEST

START_TEST(print_durations_and_usage)
{
    static const int64_t v[] = {0, 999, 1000, 1500, 90000, 3600000, 3723004};
    static const char *want[] = {"\"0s\"", "\"999ms\"", "\"1s\"", "\"1.5s\"", "\"1m30s\"",
                                 "\"1h0m0s\"", "\"1h2m3.004s\""};
    struct tcfg c;
    memset(&c, 0, sizeof c);
    const struct cfg_opt one[] = {
        {"t", CFG_DURATION, offsetof(struct tcfg, timeout_ms), NULL, NULL, "t", 0}};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        struct dm_buf b;
        dm_buf_init(&b, 256);
        c.timeout_ms = v[k];
        ck_assert_int_eq(cfg_print(one, 1, &c, &b), DM_OK);
        char line[64];
        snprintf(line, sizeof line, "t = %s\n", want[k]);
        ck_assert_str_eq(b.data, line);
        int64_t back;   /* printed text reads back */
        char txt[32];
        snprintf(txt, sizeof txt, "%.*s", (int)strlen(want[k]) - 2, want[k] + 1);
        ck_assert_int_eq(cfg_parse_duration_ms(txt, &back), DM_OK);
        ck_assert_int_eq(back, v[k]);
        dm_buf_free(&b);
    }
    struct dm_buf u;
    dm_buf_init(&u, 8192);
    ck_assert_int_eq(cfg_usage(opts, NOPTS, &u), DM_OK);
    ck_assert_ptr_nonnull(strstr(u.data, "-rpc-timeout duration"));
    ck_assert_ptr_nonnull(strstr(u.data, "(default 30s) [$TCFG_TIMEOUT]"));
    dm_buf_free(&u);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, precedence_file_env_flags);
    tcase_add_test(tc, errors_name_the_culprit);
    tcase_add_test(tc, value_parsers);
    tcase_add_test(tc, print_durations_and_usage);
    tcase_add_test(tc, printed_config_loads_back);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

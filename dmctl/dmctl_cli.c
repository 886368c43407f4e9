/* dmctl_cli.c - dmctl's program flow (DM v1.0.7 cmd/dm-ctl/main.go and
 * dm/ctl/common/config.go): find the one command word, parse the Go-`flag` global
 * options before it, -V / -encrypt / -decrypt, the dmctl.toml config file, then one
 * command or the interactive prompt. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "dm_crypt.h"
#include "dm_error.h"
#include "dmctl.h"
#include "dmctl_cmd.h"
#include "dmctl_out.h"
#include "rpc.h"
#include "toml.h"

#ifndef DMCTL_GIT_HASH
#define DMCTL_GIT_HASH "None"
#endif
#ifndef DMCTL_GIT_BRANCH
#define DMCTL_GIT_BRANCH "None"
#endif
#ifndef DMCTL_BUILD_TS
#define DMCTL_BUILD_TS "None"
#endif
#ifndef DMGW_VERSION
#define DMGW_VERSION "0.0.0"
#endif

const char *dmctl_version_info(void)
{
    return "Release Version: v" DMGW_VERSION "\n"
           "Git Commit Hash: " DMCTL_GIT_HASH "\n"
           "Git Branch: " DMCTL_GIT_BRANCH "\n"
           "UTC Build Time: " DMCTL_BUILD_TS "\n"
           "Go Version: C17 (gcc " __VERSION__ ")\n";
}

/* The global options, Go flag style. */
struct gopts {
    bool version;
    const char *config, *master_addr, *rpc_timeout, *encrypt, *decrypt;
    bool help;
};

struct gflag {
    const char *name;
    bool is_bool;
    size_t offset;
    const char *usage;
};

/* Sorted by name, as Go's flag.VisitAll prints them. */
static const struct gflag gflags[] = {
    {"V", true, offsetof(struct gopts, version), "prints version and exit"},
    {"config", false, offsetof(struct gopts, config), "path to config file"},
    {"decrypt", false, offsetof(struct gopts, decrypt), "decrypt ciphertext to plaintext"},
    {"encrypt", false, offsetof(struct gopts, encrypt), "encrypt plaintext to ciphertext"},
    {"master-addr", false, offsetof(struct gopts, master_addr), "master API server addr"},
    {"rpc-timeout", false, offsetof(struct gopts, rpc_timeout),
     "rpc timeout, default is 10m"},
};
#define NGFLAGS (sizeof gflags / sizeof gflags[0])

/* main.go helpUsage. */
static void print_global_usage(FILE *out)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    dm_buf_adds(&b, "Usage: dmctl [global options] command [command options] [arguments...]\n\n");
    dmctl_available_commands(&b);
    dm_buf_adds(&b, "\nSpecial Commands:\n");
    for (size_t i = 0; i < NGFLAGS; i++)
        if (!strcmp(gflags[i].name, "encrypt"))
            dm_buf_printf(&b, "  --%s %s\n", gflags[i].name, gflags[i].usage);
    for (size_t i = 0; i < NGFLAGS; i++)
        if (!strcmp(gflags[i].name, "decrypt"))
            dm_buf_printf(&b, "  --%s %s\n", gflags[i].name, gflags[i].usage);
    dm_buf_adds(&b, "\nGlobal Options:\n");
    for (size_t i = 0; i < NGFLAGS; i++)
        if (strcmp(gflags[i].name, "encrypt") && strcmp(gflags[i].name, "decrypt"))
            dm_buf_printf(&b, "  --%s %s\n", gflags[i].name, gflags[i].usage);
    fputs(b.data, out);
    fflush(out);
    dm_buf_free(&b);
}

/* Go flag.FlagSet.Parse over argv[0..argc). DM_OK; DM_E_INVAL with Go's message. */
static int parse_gflags(int argc, char **argv, struct gopts *g, char *err, size_t cap)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strlen(s) < 2 || s[0] != '-') {
            snprintf(err, cap, "'%s' is an invalid flag", s);
            return DM_E_INVAL;
        }
        const char *name = s + 1;
        if (*name == '-') {
            name++;
            if (!*name) { /* "--" terminator */
                if (i + 1 < argc) {
                    snprintf(err, cap, "'%s' is an invalid flag", argv[i + 1]);
                    return DM_E_INVAL;
                }
                return DM_OK;
            }
        }
        if (!*name || *name == '-' || *name == '=') {
            snprintf(err, cap, "bad flag syntax: %s", s);
            return DM_E_INVAL;
        }
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct gflag *f = NULL;
        for (size_t k = 0; k < NGFLAGS; k++)
            if (strlen(gflags[k].name) == len && !strncmp(gflags[k].name, name, len))
                f = &gflags[k];
        if (!f && ((len == 4 && !strncmp(name, "help", 4)) || (len == 1 && *name == 'h'))) {
            g->help = true;
            return DM_OK;
        }
        if (!f) {
            snprintf(err, cap, "flag provided but not defined: -%.*s", (int)len, name);
            return DM_E_INVAL;
        }
        if (f->is_bool) {
            const char *v = eq ? eq + 1 : "true";
            bool *dst = (bool *)(void *)((char *)g + f->offset);
            if (!strcmp(v, "1") || !strcasecmp(v, "t") || !strcasecmp(v, "true"))
                *dst = true;
            else if (!strcmp(v, "0") || !strcasecmp(v, "f") || !strcasecmp(v, "false"))
                *dst = false;
            else {
                snprintf(err, cap, "invalid boolean value \"%s\" for -%s: parse error", v,
                         f->name);
                return DM_E_INVAL;
            }
            continue;
        }
        const char **dst = (const char **)(void *)((char *)g + f->offset);
        if (eq) {
            *dst = eq + 1;
        } else if (i + 1 < argc) {
            *dst = argv[++i];
        } else {
            snprintf(err, cap, "flag needs an argument: -%s", f->name);
            return DM_E_INVAL;
        }
    }
    return DM_OK;
}

/* Index of the command word in args, -1 none, -2 more than one (message printed). */
static int find_command(int argc, char **argv, FILE *out)
{
    int first = -1, count = 0;
    for (int i = 0; i < argc; i++) {
        char low[64];
        size_t n = 0;
        for (; argv[i][n] && n + 1 < sizeof low; n++)
            low[n] = (char)tolower((unsigned char)argv[i][n]);
        low[n] = 0;
        bool is_help = !strcmp(low, "help");
        if (!dmctl_cmd_find(low) && !(is_help && first < 0))
            continue;
        if (first < 0)
            first = i;
        if (is_help && first == i)
            return i; /* `help [command]`: the rest are its arguments */
        count++;
    }
    if (count > 1) {
        fprintf(out, "command mode only support one command at a time, find %d:[", count);
        for (int i = 0, k = 0; i < argc; i++)
            if (dmctl_cmd_find(argv[i]))
                fprintf(out, "%s%s", k++ ? " " : "", argv[i]);
        fputs("]\n", out);
        return -2;
    }
    return first;
}

/* Apply dmctl.toml (master-addr, rpc-timeout; other keys ignored as BurntSushi/toml
 * does) under the flags. */
static int load_config_file(struct dmctl *c, const char *path, char **timeout_out,
                            char *err, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    int rc = DM_E_IO;
    FILE *f = fopen(path, "rb");
    json_t *doc = NULL;
    if (!f) {
        snprintf(err, cap, "open %s: no such file or directory", path);
        return DM_E_IO;
    }
    struct dm_buf b;
    dm_buf_init(&b, 1u << 20);
    char chunk[4096];
    for (size_t n; (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
        if (dm_buf_add(&b, chunk, n) != DM_OK)
            goto out;
    len = b.len;
    text = dm_buf_take(&b);
    if (!text)
        goto out;
    char perr[256] = "";
    doc = toml_parse(text, len, perr, sizeof perr);
    if (!doc) {
        snprintf(err, cap, "%s: %s", path, perr);
        rc = DM_E_PARSE;
        goto out;
    }
    const char *addr = json_string_value(json_object_get(doc, "master-addr"));
    const char *to = json_string_value(json_object_get(doc, "rpc-timeout"));
    if (addr && !c->master_addr)
        c->master_addr = strdup(addr);
    if (to && !*timeout_out)
        *timeout_out = strdup(to);
    rc = DM_OK;
out:
    if (rc == DM_E_IO && !*err)
        snprintf(err, cap, "read %s: %s", path, dm_strerror(rc));
    json_decref(doc);
    free(text);
    dm_buf_free(&b);
    fclose(f);
    return rc;
}

/* Go time.ParseDuration (a unit is required except for "0"). */
static int parse_timeout(const char *s, int64_t *ms, char *err, size_t cap)
{
    bool has_unit = false;
    for (const char *p = s; *p; p++)
        if (isalpha((unsigned char)*p))
            has_unit = true;
    if ((!has_unit && strcmp(s, "0")) || (has_unit && cfg_parse_duration_ms(s, ms) != DM_OK)) {
        snprintf(err, cap, "time: invalid duration %s", s);
        return DM_E_INVAL;
    }
    if (!has_unit)
        *ms = 0;
    if (*ms <= 0) {
        snprintf(err, cap, "invalid time duration: %s", s);
        return DM_E_INVAL;
    }
    return DM_OK;
}

/* net.SplitHostPort's complaints. */
static int validate_addr(const char *a, char *err, size_t cap)
{
    const char *colon = strrchr(a, ':');
    if (!colon) {
        snprintf(err, cap, "specify master addr %s: address %s: missing port in address", a, a);
        return DM_E_INVAL;
    }
    if (a[0] != '[' && strchr(a, ':') != colon) {
        snprintf(err, cap, "specify master addr %s: address %s: too many colons in address",
                 a, a);
        return DM_E_INVAL;
    }
    return DM_OK;
}

static int crypt_cmd(const struct gopts *g)
{
    char *out = NULL;
    int rc = *g->encrypt ? dm_crypt_encrypt(g->encrypt, &out) : dm_crypt_decrypt(g->decrypt, &out);
    if (rc != DM_OK) {
        fprintf(stderr, "%s failed: %s\n", *g->encrypt ? "encrypt" : "decrypt", dm_strerror(rc));
        return 1;
    }
    printf("%s\n", out);
    free(out);
    return 0;
}

/* Help asked while no master is known (DM: PrintHelp(cmdArgs) / helpUsage). */
static int help_without_master(int argc, char **argv, int cmd_at)
{
    struct dmctl c = {.out = stdout, .err = stderr};
    if (cmd_at < 0) {
        print_global_usage(stdout);
        return 0;
    }
    if (!strcasecmp(argv[cmd_at], "help"))
        return dmctl_exec(&c, argc - cmd_at, argv + cmd_at);
    struct dm_buf b;
    dm_buf_init(&b, 1 << 16);
    dmctl_cmd_usage(dmctl_cmd_find(argv[cmd_at]), &b);
    printf("%s\n", b.data);
    dm_buf_free(&b);
    return 0;
}

static bool asks_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    return false;
}

static int flag_error(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    printf("parse cmd flags err: %s\n", msg);
    return 2;
}

/* Everything after the global flags: config, validation, run. */
static int run(const struct gopts *g, int argc, char **argv, int cmd_at)
{
    struct dmctl c = {.out = stdout, .err = stderr, .call_timeout_ms = DMCTL_DEFAULT_RPC_TIMEOUT_MS};
    char err[1024] = "", *timeout = NULL;
    int status = 2;
    if (g->master_addr && *g->master_addr)
        c.master_addr = strdup(g->master_addr);
    if (g->rpc_timeout)
        timeout = strdup(g->rpc_timeout);
    if (g->config && *g->config && load_config_file(&c, g->config, &timeout, err, sizeof err)) {
        status = flag_error(err);
        goto out;
    }
    if (!c.master_addr || !*c.master_addr) {
        if (cmd_at < 0 || !strcasecmp(argv[cmd_at], "help") ||
            asks_help(argc - cmd_at, argv + cmd_at)) {
            status = help_without_master(argc, argv, cmd_at);
            goto out;
        }
        printf("flags are not validate: --master-addr not provided\n");
        goto out;
    }
    if (parse_timeout(timeout ? timeout : "10m", &c.rpc_timeout_ms, err, sizeof err)) {
        status = flag_error(err);
        goto out;
    }
    if (validate_addr(c.master_addr, err, sizeof err)) {
        printf("flags are not validate: %s\n", err);
        goto out;
    }
    status = cmd_at >= 0 ? dmctl_exec(&c, argc - cmd_at, argv + cmd_at) : dmctl_repl(&c);
out:
    free(timeout);
    dmctl_ctx_cleanup(&c);
    return status;
}

int dmctl_main(int argc, char **argv)
{
    struct gopts g = {.encrypt = "", .decrypt = ""};
    char err[1024] = "";
    argc--;
    argv++;
    if (argc == 0) {
        print_global_usage(stdout);
        return 0;
    }
    int cmd_at = find_command(argc, argv, stdout);
    if (cmd_at == -2)
        return 1;
    int nglobal = cmd_at >= 0 ? cmd_at : argc;
    if (parse_gflags(nglobal, argv, &g, err, sizeof err) != DM_OK)
        return flag_error(err);
    if (g.help)
        return help_without_master(argc, argv, cmd_at);
    if (g.version) {
        printf("%s\n", dmctl_version_info());
        return 0;
    }
    if (*g.encrypt || *g.decrypt)
        return crypt_cmd(&g);
    return run(&g, argc, argv, cmd_at);
}

void dmctl_ctx_cleanup(struct dmctl *c)
{
    if (c->ch)
        rpc_channel_free(c->ch);
    c->ch = NULL;
    free(c->master_addr);
    c->master_addr = NULL;
    dmctl_rpc_shutdown();
}

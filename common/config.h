/* config.h - daemon configuration from file + environment + flags (flags win, then
 * environment, then file, then defaults), driven by a table of options.
 *
 *   struct my_cfg { char *listen; int64_t rpc_timeout_ms; bool debug; };
 *   static const struct cfg_opt opts[] = {
 *     {"listen", CFG_STR, offsetof(struct my_cfg, listen), "127.0.0.1:8261",
 *      "DM_MASTER_LISTEN", "listen address", 0},
 *     ...
 *   };
 *   cfg_load(opts, n, &cfg, argc, argv, &first_arg, err, sizeof err);
 *
 * The config file (TOML subset, common/toml.h) is named by the flag `-config`/`--config`
 * (or the env var given to cfg_load); top-level keys map to option names; a key with
 * a dot ("from.host") addresses a table member. Unknown keys in the file and unknown
 * flags are errors naming the key. Flags: `-name value`, `--name value`,
 * `--name=value`; booleans also as bare `--name` / `--name=false`. Durations accept
 * Go syntax ("30s", "1m30s", "500ms", "1h") or a bare number of seconds.
 * Strings are malloc'd into the struct (free with cfg_free). Not thread-safe: call
 * from main() before starting threads.
 *
 * Details (config.c):
 *  - cfg_load first sets every field to zero/NULL (the struct may hold garbage), then
 *    applies defaults. Two options with the same offset are aliases (e.g. "L" and
 *    "log-level"): give the default on one of them; cfg_print/cfg_free handle the
 *    field once.
 *  - An option named "config" (CFG_STR|CFG_NO_FILE) receives the config path given by
 *    flag; without one, -config is still accepted. A flag beats `config_env`.
 *  - Boolean flags never consume the next argument (Go flag): `--x`, `--x=false`.
 *    `--` ends the flags. `first_arg == NULL` makes positional arguments an error.
 *  - File values: strings are parsed like flag text; numbers/booleans must fit the type
 *    (durations: a number is seconds). A key of a [section] maps to "section.key"; a
 *    table is only descended when some option name starts with "section.".
 *  - Sizes: optional fraction, suffix k/K/Ki/KiB (1024), KB/kB (1000), same for M, G,
 *    T; a bare number is bytes.
 *  - Errors name the culprit: "flag provided but not defined: -x", "invalid value "1x"
 *    for flag -rpc-timeout: expected a duration ...", "config file F: unknown key "k"",
 *    "config file F: line 3: ..." (DM_E_PARSE), "cannot read config file F: ..." (DM_E_IO). */
#ifndef DM_CONFIG_H
#define DM_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum cfg_type {
    CFG_STR,        /* char * */
    CFG_INT,        /* int64_t */
    CFG_DOUBLE,     /* double */
    CFG_BOOL,       /* bool */
    CFG_DURATION,   /* int64_t milliseconds */
    CFG_SIZE,       /* int64_t bytes; accepts "1MiB", "64k", "1048576" */
};

#define CFG_SECRET   0x1u   /* masked as "******" by cfg_print */
#define CFG_NO_FILE  0x2u   /* flag/env only */

struct cfg_opt {
    const char *name;    /* "rpc-timeout": file key and flag name */
    enum cfg_type type;
    size_t offset;       /* offsetof(struct, member) */
    const char *def;     /* default as text, NULL = zero/NULL */
    const char *env;     /* environment variable or NULL */
    const char *help;
    unsigned flags;
};

/* Load defaults, then the file named by --config (or $config_env), then env, then
 * flags. Parsing stops at the first non-flag argument; *first_arg receives its index
 * (argc when none). `file_extra` (may be NULL) receives a new reference to the whole
 * parsed file object, for sections the table does not cover (e.g. [[deploy]]); keys
 * of such sections must be listed in `extra_keys` (NULL-terminated) or they are
 * rejected as unknown. Returns DM_OK or DM_E_INVAL/DM_E_PARSE/DM_E_IO with `err`.
 * Call cfg_free on failure too (defaults may already be allocated). */
int cfg_load(const struct cfg_opt *opts, size_t nopts, void *cfg,
             int argc, char **argv, int *first_arg,
             const char *config_env, const char *const *extra_keys, json_t **file_extra,
             char *err, size_t cap);
/* Parse one value of `type` from text into `dst` (used by cfg_load; exposed for
 * tests and runtime reloads). CFG_STR: *(char **)dst is replaced by a copy and the old
 * value freed (it must be NULL or malloc'd). On error dst is untouched: DM_E_INVAL or
 * DM_E_NOMEM. */
int cfg_parse_value(enum cfg_type type, const char *text, void *dst);
/* Effective configuration as TOML-ish "key = value" lines, secrets masked. */
int cfg_print(const struct cfg_opt *opts, size_t nopts, const void *cfg, struct dm_buf *out);
/* Usage text: one line per option with default, env var and help. */
int cfg_usage(const struct cfg_opt *opts, size_t nopts, struct dm_buf *out);
/* Free the strings cfg_load allocated. */
void cfg_free(const struct cfg_opt *opts, size_t nopts, void *cfg);
/* Go-style duration text -> milliseconds (units ns, us, µs, ms, s, m, h; sign and
 * fractions allowed; sub-millisecond parts truncate). A bare number is seconds. */
int cfg_parse_duration_ms(const char *s, int64_t *ms);

#endif /* DM_CONFIG_H */

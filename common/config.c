/* config.c - see config.h. Order of application: zero every field, defaults, the TOML
 * file, environment, flags. Flags are scanned first (to find --config and to report
 * unknown flags before touching anything) and applied last. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "fsutil.h"
#include "toml.h"

#define CFG_FILE_MAX (16u << 20)

static void *field(void *cfg, const struct cfg_opt *o)
{
    return (char *)cfg + o->offset;
}

static const void *cfield(const void *cfg, const struct cfg_opt *o)
{
    return (const char *)cfg + o->offset;
}

/* Is opts[i] the first option sharing its field (aliases share one)? */
static bool first_of_field(const struct cfg_opt *opts, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (opts[j].offset == opts[i].offset)
            return false;
    return true;
}

static const struct cfg_opt *find_opt(const struct cfg_opt *opts, size_t n, const char *name,
                                      size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static const char *type_hint(enum cfg_type t)
{
    switch (t) {
    case CFG_STR: return "a string";
    case CFG_INT: return "an integer";
    case CFG_DOUBLE: return "a number";
    case CFG_BOOL: return "a boolean";
    case CFG_DURATION: return "a duration like 30s, 1m30s or 500ms";
    case CFG_SIZE: return "a size like 64MiB, 512k or 1048576";
    }
    return "a value";
}

/* ---- value parsers ---- */

static int parse_int64(const char *s, int64_t *out)
{
    if (!*s)
        return DM_E_INVAL;
    errno = 0;
    char *e;
    long long v = strtoll(s, &e, 10);
    if (errno || *e)
        return DM_E_INVAL;
    *out = v;
    return DM_OK;
}

static int parse_double(const char *s, double *out)
{
    if (!*s)
        return DM_E_INVAL;
    errno = 0;
    char *e;
    double v = strtod(s, &e);
    if (errno || *e || !isfinite(v))
        return DM_E_INVAL;
    *out = v;
    return DM_OK;
}

/* Go strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = true;
            return DM_OK;
        }
        if (strcmp(s, f[i]) == 0) {
            *out = false;
            return DM_OK;
        }
    }
    return DM_E_INVAL;
}

/* Unsigned decimal with optional fraction at *p; advances *p. */
static int parse_decimal(const char **p, double *out)
{
    const char *s = *p;
    const char *start = s;
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (s == start || (s == start + 1 && *start == '.'))
        return DM_E_INVAL;
    char tmp[64];
    size_t n = (size_t)(s - start);
    if (n >= sizeof(tmp))
        return DM_E_INVAL;
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    *p = s;
    return DM_OK;
}

int cfg_parse_duration_ms(const char *s, int64_t *ms)
{
    static const struct { const char *unit; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
        {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
    };
    if (!s || !ms || !*s)
        return DM_E_INVAL;
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    double total_ns = 0;
    const char *check = p;
    double v;
    /* a bare number is seconds */
    if (parse_decimal(&check, &v) == DM_OK && *check == '\0') {
        total_ns = v * 1e9;
        goto done;
    }
    if (strcmp(p, "0") == 0)
        goto done;
    while (*p) {
        if (parse_decimal(&p, &v) != DM_OK)
            return DM_E_INVAL;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
            size_t ul = strlen(units[i].unit);
            if (ul > best && strncmp(p, units[i].unit, ul) == 0) {
                best = ul;
                mult = units[i].ns;
            }
        }
        if (!best)
            return DM_E_INVAL;
        p += best;
        total_ns += v * mult;
    }
done:
    if (total_ns / 1e6 > (double)INT64_MAX)
        return DM_E_INVAL;
    *ms = (int64_t)(total_ns / 1e6);
    if (neg)
        *ms = -*ms;
    return DM_OK;
}

static int parse_size(const char *s, int64_t *out)
{
    static const struct { const char *suffix; double mult; } units[] = {
        {"", 1}, {"B", 1}, {"b", 1},
        {"k", 1024.0}, {"K", 1024.0}, {"KiB", 1024.0}, {"Ki", 1024.0}, {"KB", 1e3}, {"kB", 1e3},
        {"m", 1048576.0}, {"M", 1048576.0}, {"MiB", 1048576.0}, {"Mi", 1048576.0}, {"MB", 1e6},
        {"g", 1073741824.0}, {"G", 1073741824.0}, {"GiB", 1073741824.0}, {"Gi", 1073741824.0},
        {"GB", 1e9},
        {"t", 1099511627776.0}, {"T", 1099511627776.0}, {"TiB", 1099511627776.0},
        {"Ti", 1099511627776.0}, {"TB", 1e12},
    };
    const char *p = s;
    double v;
    if (parse_decimal(&p, &v) != DM_OK)
        return DM_E_INVAL;
    while (*p == ' ')
        p++;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcmp(p, units[i].suffix) == 0) {
            double bytes = v * units[i].mult;
            if (bytes >= 9.2e18)
                return DM_E_INVAL;
            *out = (int64_t)bytes;
            return DM_OK;
        }
    }
    return DM_E_INVAL;
}

int cfg_parse_value(enum cfg_type type, const char *text, void *dst)
{
    if (!text || !dst)
        return DM_E_INVAL;
    int64_t i64;
    double d;
    bool b;
    int rc;
    switch (type) {
    case CFG_STR: {
        char *s = strdup(text);
        if (!s)
            return DM_E_NOMEM;
        free(*(char **)dst);
        *(char **)dst = s;
        return DM_OK;
    }
    case CFG_INT:
        rc = parse_int64(text, &i64);
        break;
    case CFG_DURATION:
        rc = cfg_parse_duration_ms(text, &i64);
        break;
    case CFG_SIZE:
        rc = parse_size(text, &i64);
        break;
    case CFG_DOUBLE:
        rc = parse_double(text, &d);
        if (rc == DM_OK)
            *(double *)dst = d;
        return rc;
    case CFG_BOOL:
        rc = parse_bool(text, &b);
        if (rc == DM_OK)
            *(bool *)dst = b;
        return rc;
    default:
        return DM_E_INVAL;
    }
    if (rc == DM_OK)
        *(int64_t *)dst = i64;
    return rc;
}

/* ---- applying values ---- */

static int set_from_text(const struct cfg_opt *o, void *cfg, const char *text,
                         const char *what, char *err, size_t cap)
{
    int rc = cfg_parse_value(o->type, text, field(cfg, o));
    if (rc == DM_E_NOMEM)
        dm_errf(err, cap, "out of memory");
    else if (rc != DM_OK)
        dm_errf(err, cap, "invalid value \"%s\" for %s: expected %s", text, what,
                type_hint(o->type));
    return rc == DM_E_NOMEM ? rc : rc != DM_OK ? DM_E_INVAL : DM_OK;
}

/* A TOML value (string, number or boolean) into the option's field. */
static int set_from_json(const struct cfg_opt *o, void *cfg, const json_t *v, const char *key,
                         char *err, size_t cap)
{
    char what[600];
    snprintf(what, sizeof what, "config key \"%s\"", key);
    if (json_is_string(v))
        return set_from_text(o, cfg, json_string_value(v), what, err, cap);
    void *dst = field(cfg, o);
    switch (o->type) {
    case CFG_INT:
    case CFG_SIZE:
        if (json_is_integer(v)) {
            *(int64_t *)dst = json_integer_value(v);
            return DM_OK;
        }
        break;
    case CFG_DURATION:   /* bare numbers are seconds */
        if (json_is_number(v)) {
            *(int64_t *)dst = (int64_t)(json_number_value(v) * 1000.0);
            return DM_OK;
        }
        break;
    case CFG_DOUBLE:
        if (json_is_number(v)) {
            *(double *)dst = json_number_value(v);
            return DM_OK;
        }
        break;
    case CFG_BOOL:
        if (json_is_boolean(v)) {
            *(bool *)dst = json_is_true(v);
            return DM_OK;
        }
        break;
    case CFG_STR:
        break;
    }
    dm_errf(err, cap, "%s: expected %s", what, type_hint(o->type));
    return DM_E_INVAL;
}

static bool in_names(const char *const *names, const char *k)
{
    for (; names && *names; names++)
        if (strcmp(*names, k) == 0)
            return true;
    return false;
}

/* Does any option name start with "<prefix>."? */
static bool has_section(const struct cfg_opt *opts, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < n; i++)
        if (strncmp(opts[i].name, prefix, pl) == 0 && opts[i].name[pl] == '.')
            return true;
    return false;
}

static int apply_table(const struct cfg_opt *opts, size_t n, void *cfg, const json_t *tbl,
                       const char *prefix, const char *const *extra_keys, char *err, size_t cap)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tbl, k, v) {
        char full[512];
        int w = snprintf(full, sizeof full, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", k);
        if (w < 0 || (size_t)w >= sizeof full) {
            dm_errf(err, cap, "config key too long");
            return DM_E_INVAL;
        }
        if (!prefix && in_names(extra_keys, k))
            continue;
        const struct cfg_opt *o = find_opt(opts, n, full, strlen(full));
        int rc;
        if (o && !(o->flags & CFG_NO_FILE))
            rc = set_from_json(o, cfg, v, full, err, cap);
        else if (!o && json_is_object(v) && has_section(opts, n, full))
            rc = apply_table(opts, n, cfg, v, full, NULL, err, cap);
        else {
            dm_errf(err, cap, "unknown key \"%s\"", full);
            rc = DM_E_INVAL;
        }
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

static int load_file(const struct cfg_opt *opts, size_t n, void *cfg, const char *path,
                     const char *const *extra_keys, json_t **file_extra, char *err, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    int rc = dm_read_file(path, CFG_FILE_MAX, &text, &len);
    if (rc != DM_OK) {
        dm_errf(err, cap, "cannot read config file %s: %s", path,
                rc == DM_E_TOO_LARGE ? "file too large" : strerror(errno));
        return rc == DM_E_NOMEM ? rc : DM_E_IO;
    }
    char perr[256];
    json_t *doc = toml_parse(text, len, perr, sizeof perr);
    free(text);
    if (!doc) {
        dm_errf(err, cap, "config file %s: %s", path, perr);
        return DM_E_PARSE;
    }
    char aerr[400] = "";
    rc = apply_table(opts, n, cfg, doc, NULL, extra_keys, aerr, sizeof aerr);
    if (rc != DM_OK)
        dm_errf(err, cap, "config file %s: %s", path, aerr);
    else if (file_extra)
        *file_extra = json_incref(doc);
    json_decref(doc);
    return rc;
}

/* ---- flags ---- */

struct flag_val {
    const struct cfg_opt *opt;   /* NULL for --config when not in the table */
    const char *value;           /* points into argv or a static "true" */
    const char *arg;             /* the argv element, for messages */
    bool is_config;              /* -config / --config */
};

/* Scan argv: every flag up to the first non-flag argument. */
static int scan_flags(const struct cfg_opt *opts, size_t n, int argc, char **argv,
                      struct flag_val *vals, int *nvals, int *first, char *err, size_t cap)
{
    int i = 1;
    *nvals = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const struct cfg_opt *o = find_opt(opts, n, name, nl);
        bool is_config = nl == 6 && strncmp(name, "config", 6) == 0;
        if (nl == 0 || name[0] == '-' || (!o && !is_config)) {
            dm_errf(err, cap, "flag provided but not defined: %s", a);
            return DM_E_INVAL;
        }
        struct flag_val *fv = &vals[(*nvals)++];
        fv->opt = o;
        fv->arg = a;
        fv->is_config = is_config;
        if (eq) {
            fv->value = eq + 1;
        } else if (o && o->type == CFG_BOOL) {
            fv->value = "true";
        } else if (i + 1 < argc) {
            fv->value = argv[++i];
        } else {
            dm_errf(err, cap, "flag needs an argument: %s", a);
            return DM_E_INVAL;
        }
    }
    *first = i;
    return DM_OK;
}

static void zero_fields(const struct cfg_opt *opts, size_t n, void *cfg)
{
    for (size_t i = 0; i < n; i++) {
        if (!first_of_field(opts, i))
            continue;
        void *dst = field(cfg, &opts[i]);
        switch (opts[i].type) {
        case CFG_STR: *(char **)dst = NULL; break;
        case CFG_DOUBLE: *(double *)dst = 0.0; break;
        case CFG_BOOL: *(bool *)dst = false; break;
        default: *(int64_t *)dst = 0; break;
        }
    }
}

static int apply_defaults(const struct cfg_opt *opts, size_t n, void *cfg, char *err, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (!opts[i].def)
            continue;
        char what[300];
        snprintf(what, sizeof what, "the default of %s", opts[i].name);
        int rc = set_from_text(&opts[i], cfg, opts[i].def, what, err, cap);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

static int apply_env(const struct cfg_opt *opts, size_t n, void *cfg, char *err, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
        if (!v)
            continue;
        char what[300];
        snprintf(what, sizeof what, "environment variable %s", opts[i].env);
        int rc = set_from_text(&opts[i], cfg, v, what, err, cap);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

int cfg_load(const struct cfg_opt *opts, size_t nopts, void *cfg,
             int argc, char **argv, int *first_arg,
             const char *config_env, const char *const *extra_keys, json_t **file_extra,
             char *err, size_t cap)
{
    if (err && cap)
        err[0] = '\0';
    if (file_extra)
        *file_extra = NULL;
    if (!opts || !cfg || argc < 0 || (argc > 0 && !argv))
        return DM_E_INVAL;
    zero_fields(opts, nopts, cfg);

    int result = DM_E_NOMEM;
    int nvals = 0, first = argc;
    struct flag_val *vals = calloc((size_t)argc + 1, sizeof(*vals));
    if (!vals)
        goto out;
    result = scan_flags(opts, nopts, argc, argv, vals, &nvals, &first, err, cap);
    if (result != DM_OK)
        goto out;
    if (!first_arg && first < argc) {
        dm_errf(err, cap, "unexpected argument: %s", argv[first]);
        result = DM_E_INVAL;
        goto out;
    }
    const char *config_path = config_env ? getenv(config_env) : NULL;
    for (int i = 0; i < nvals; i++)
        if (vals[i].is_config)
            config_path = vals[i].value;

    result = apply_defaults(opts, nopts, cfg, err, cap);
    if (result == DM_OK && config_path && *config_path)
        result = load_file(opts, nopts, cfg, config_path, extra_keys, file_extra, err, cap);
    if (result == DM_OK)
        result = apply_env(opts, nopts, cfg, err, cap);
    for (int i = 0; i < nvals && result == DM_OK; i++) {
        if (!vals[i].opt)
            continue;
        char what[300];
        snprintf(what, sizeof what, "flag %s", vals[i].arg);
        char *eq = strchr(what, '=');
        if (eq)
            *eq = '\0';
        result = set_from_text(vals[i].opt, cfg, vals[i].value, what, err, cap);
    }
    if (result == DM_OK && first_arg)
        *first_arg = first;
out:
    if (result == DM_E_NOMEM)
        dm_errf(err, cap, "out of memory");
    if (result != DM_OK && file_extra && *file_extra) {
        json_decref(*file_extra);
        *file_extra = NULL;
    }
    free(vals);
    return result;
}

/* ---- printing ---- */

static int fmt_duration(struct dm_buf *b, int64_t ms)
{
    if (ms == 0)
        return dm_buf_adds(b, "0s");
    int rc = DM_OK;
    if (ms < 0) {
        rc = dm_buf_addc(b, '-');
        ms = -ms;
    }
    if (rc != DM_OK)
        return rc;
    if (ms < 1000)
        return dm_buf_printf(b, "%" PRId64 "ms", ms);
    int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
    if (h)
        rc = dm_buf_printf(b, "%" PRId64 "h", h);
    if (rc == DM_OK && (h || m))
        rc = dm_buf_printf(b, "%" PRId64 "m", m);
    if (rc != DM_OK)
        return rc;
    if (!frac)
        return dm_buf_printf(b, "%" PRId64 "s", s);
    char fr[8];
    snprintf(fr, sizeof fr, "%03" PRId64, frac);
    for (int i = 2; i > 0 && fr[i] == '0'; i--)
        fr[i] = '\0';
    return dm_buf_printf(b, "%" PRId64 ".%ss", s, fr);
}

static int fmt_value(struct dm_buf *b, const struct cfg_opt *o, const void *cfg)
{
    const void *src = cfield(cfg, o);
    if ((o->flags & CFG_SECRET) &&
        !(o->type == CFG_STR && !(*(char *const *)src && **(char *const *)src)))
        return dm_buf_adds(b, "\"******\"");   /* an unset secret has nothing to hide */
    switch (o->type) {
    case CFG_STR: {
        const char *s = *(char *const *)src;
        return dm_buf_add_json_str(b, s ? s : "");
    }
    case CFG_INT:
    case CFG_SIZE:
        return dm_buf_printf(b, "%" PRId64, *(const int64_t *)src);
    case CFG_DOUBLE: {
        double d = *(const double *)src;
        return dm_buf_printf(b, d == floor(d) && fabs(d) < 1e15 ? "%.1f" : "%.17g", d);
    }
    case CFG_BOOL:
        return dm_buf_adds(b, *(const bool *)src ? "true" : "false");
    case CFG_DURATION: {
        int rc = dm_buf_addc(b, '"');
        if (rc == DM_OK)
            rc = fmt_duration(b, *(const int64_t *)src);
        return rc == DM_OK ? dm_buf_addc(b, '"') : rc;
    }
    }
    return DM_E_INVAL;
}

int cfg_print(const struct cfg_opt *opts, size_t nopts, const void *cfg, struct dm_buf *out)
{
    if (!opts || !cfg || !out)
        return DM_E_INVAL;
    for (size_t i = 0; i < nopts; i++) {
        /* flag/env-only options (print-config, config) are no file keys: the output must
         * load back with --config */
        if (!first_of_field(opts, i) || (opts[i].flags & CFG_NO_FILE))
            continue;
        int rc = dm_buf_printf(out, "%s = ", opts[i].name);
        if (rc == DM_OK)
            rc = fmt_value(out, &opts[i], cfg);
        if (rc == DM_OK)
            rc = dm_buf_addc(out, '\n');
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

static const char *type_word(enum cfg_type t)
{
    switch (t) {
    case CFG_STR: return "string";
    case CFG_INT: return "int";
    case CFG_DOUBLE: return "float";
    case CFG_BOOL: return "";
    case CFG_DURATION: return "duration";
    case CFG_SIZE: return "size";
    }
    return "";
}

int cfg_usage(const struct cfg_opt *opts, size_t nopts, struct dm_buf *out)
{
    if (!opts || !out)
        return DM_E_INVAL;
    for (size_t i = 0; i < nopts; i++) {
        const struct cfg_opt *o = &opts[i];
        const char *tw = type_word(o->type);
        int rc = dm_buf_printf(out, "  -%s%s%s\n    \t%s", o->name, *tw ? " " : "", tw,
                               o->help ? o->help : "");
        if (rc == DM_OK && o->def && *o->def && !(o->flags & CFG_SECRET))
            rc = dm_buf_printf(out, " (default %s)", o->def);
        if (rc == DM_OK && o->env)
            rc = dm_buf_printf(out, " [$%s]", o->env);
        if (rc == DM_OK)
            rc = dm_buf_addc(out, '\n');
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

void cfg_free(const struct cfg_opt *opts, size_t nopts, void *cfg)
{
    if (!opts || !cfg)
        return;
    for (size_t i = 0; i < nopts; i++) {
        if (opts[i].type != CFG_STR || !first_of_field(opts, i))
            continue;
        char **p = field(cfg, &opts[i]);
        free(*p);
        *p = NULL;
    }
}

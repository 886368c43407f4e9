/* dmctl_args.c - cobra/pflag-style argument parsing (see dmctl_args.h). */
#include "dmctl_args.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

const struct dmctl_flag dmctl_worker_flag = {"worker", 'w', DMCTL_STRINGS, "DM-worker ID"};
static const struct dmctl_flag help_flag = {"help", 'h', DMCTL_BOOL, "help"};

/* Parsing state for one call. */
struct parser {
    const struct dmctl_flag *flags;
    size_t nflags;
    struct dmctl_parsed *p;
    char *err;
    size_t cap;
};

static int push(char ***v, size_t *n, const char *s, size_t len)
{
    char **nv = realloc(*v, (*n + 2) * sizeof *nv);
    if (!nv)
        return DM_E_NOMEM;
    *v = nv;
    nv[*n] = strndup(s, len);
    if (!nv[*n])
        return DM_E_NOMEM;
    (*n)++;
    nv[*n] = NULL;
    return DM_OK;
}

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->err && ps->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->cap, fmt, ap);
        va_end(ap);
    }
    return DM_E_INVAL;
}

/* Index of a flag: 0..nflags-1 own flags, -2 worker, -3 help, -1 unknown. */
static int find_long(const struct parser *ps, const char *name, size_t len)
{
    for (size_t i = 0; i < ps->nflags; i++)
        if (strlen(ps->flags[i].name) == len && !strncmp(ps->flags[i].name, name, len))
            return (int)i;
    if (len == 6 && !strncmp(name, "worker", 6))
        return -2;
    if (len == 4 && !strncmp(name, "help", 4))
        return -3;
    return -1;
}

static int find_short(const struct parser *ps, char c)
{
    for (size_t i = 0; i < ps->nflags; i++)
        if (ps->flags[i].shorthand && ps->flags[i].shorthand == c)
            return (int)i;
    if (c == 'w')
        return -2;
    if (c == 'h')
        return -3;
    return -1;
}

static const struct dmctl_flag *spec_of(const struct parser *ps, int idx)
{
    if (idx >= 0)
        return &ps->flags[idx];
    return idx == -2 ? &dmctl_worker_flag : &help_flag;
}

/* strconv.ParseBool */
static int parse_bool(const char *v, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (!strcmp(v, t[i])) {
            *out = true;
            return DM_OK;
        }
        if (!strcmp(v, f[i])) {
            *out = false;
            return DM_OK;
        }
    }
    return DM_E_INVAL;
}

/* pflag's stringSlice Set: Go encoding/csv of one record ("" -> no values). */
static int add_csv(struct dmctl_parsed *p, const char *v)
{
    const char *s = v;
    if (!*s)
        return DM_OK;
    for (;;) {
        char field[1024];
        size_t n = 0;
        if (*s == '"') {
            for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
                if (*s == '"')
                    s++;
                if (n + 1 < sizeof field)
                    field[n++] = *s;
            }
            if (*s == '"')
                s++;
        } else {
            for (; *s && *s != ','; s++)
                if (n + 1 < sizeof field)
                    field[n++] = *s;
        }
        int rc = push(&p->workers, &p->nworkers, field, n);
        if (rc != DM_OK)
            return rc;
        if (*s != ',')
            return DM_OK;
        s++;
    }
}

static void flag_display(const struct dmctl_flag *f, char *buf, size_t cap)
{
    if (f->shorthand)
        snprintf(buf, cap, "-%c, --%s", f->shorthand, f->name);
    else
        snprintf(buf, cap, "--%s", f->name);
}

static int set_value(struct parser *ps, int idx, const char *v)
{
    const struct dmctl_flag *f = spec_of(ps, idx);
    if (f->type == DMCTL_BOOL) {
        bool b;
        if (parse_bool(v, &b) != DM_OK) {
            char disp[64];
            flag_display(f, disp, sizeof disp);
            return fail(ps, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
                        "parsing \"%s\": invalid syntax", v, disp, v);
        }
        if (idx == -3)
            ps->p->help = b;
        else
            ps->p->on[idx] = b;
        return DM_OK;
    }
    if (f->type == DMCTL_STRINGS)
        return add_csv(ps->p, v);
    char *dup = strdup(v);
    if (!dup)
        return DM_E_NOMEM;
    free(ps->p->str[idx]);
    ps->p->str[idx] = dup;
    return DM_OK;
}

/* "--name[=value]"; *i is advanced past a consumed value. */
static int parse_long(struct parser *ps, int argc, char **argv, int *i)
{
    const char *s = argv[*i];
    const char *name = s + 2;
    if (!*name || *name == '-' || *name == '=')
        return fail(ps, "bad flag syntax: %s", s);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int idx = find_long(ps, name, len);
    if (idx == -1)
        return fail(ps, "unknown flag: --%.*s", (int)len, name);
    if (eq)
        return set_value(ps, idx, eq + 1);
    if (spec_of(ps, idx)->type == DMCTL_BOOL)
        return set_value(ps, idx, "true");
    if (*i + 1 < argc) {
        (*i)++;
        return set_value(ps, idx, argv[*i]);
    }
    return fail(ps, "flag needs an argument: %s", s);
}

/* "-abc" / "-b value" / "-bvalue" / "-b=value". */
static int parse_short(struct parser *ps, int argc, char **argv, int *i)
{
    const char *shorts = argv[*i] + 1;
    while (*shorts) {
        int idx = find_short(ps, *shorts);
        char c[4] = {'\'', *shorts, '\'', 0};
        if (idx == -1)
            return fail(ps, "unknown shorthand flag: %s in -%s", c, shorts);
        int rc;
        if (shorts[1] == '=' && shorts[2]) {
            return set_value(ps, idx, shorts + 2);
        } else if (spec_of(ps, idx)->type == DMCTL_BOOL) {
            rc = set_value(ps, idx, "true");
            if (rc != DM_OK)
                return rc;
            shorts++;
            continue;
        } else if (shorts[1]) {
            return set_value(ps, idx, shorts + 1);
        } else if (*i + 1 < argc) {
            (*i)++;
            return set_value(ps, idx, argv[*i]);
        }
        return fail(ps, "flag needs an argument: %s in -%s", c, shorts);
    }
    return DM_OK;
}

int dmctl_args_parse(const struct dmctl_flag *flags, size_t nflags, int argc, char **argv,
                     struct dmctl_parsed *p, char *err, size_t cap)
{
    struct parser ps = {flags, nflags, p, err, cap};
    int rc = DM_OK;
    memset(p, 0, sizeof *p);
    if (nflags > DMCTL_MAX_FLAGS)
        return DM_E_INVAL;
    for (size_t k = 0; k < nflags; k++) {
        if (flags[k].type != DMCTL_STRING)
            continue;
        p->str[k] = strdup("");
        if (!p->str[k])
            return DM_E_NOMEM;
    }
    for (int i = 0; i < argc && rc == DM_OK; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || s[1] == 0) {
            rc = push(&p->args, &p->nargs, s, strlen(s));
        } else if (s[1] == '-' && s[2] == 0) {
            for (i++; i < argc && rc == DM_OK; i++)
                rc = push(&p->args, &p->nargs, argv[i], strlen(argv[i]));
        } else if (s[1] == '-') {
            rc = parse_long(&ps, argc, argv, &i);
        } else {
            rc = parse_short(&ps, argc, argv, &i);
        }
    }
    return rc;
}

void dmctl_parsed_free(struct dmctl_parsed *p)
{
    for (size_t i = 0; i < p->nargs; i++)
        free(p->args[i]);
    free(p->args);
    for (size_t i = 0; i < p->nworkers; i++)
        free(p->workers[i]);
    free(p->workers);
    for (size_t i = 0; i < DMCTL_MAX_FLAGS; i++)
        free(p->str[i]);
    memset(p, 0, sizeof *p);
}

/* pflag UnquoteUsage: the first `name` in the usage is the value name (and loses its
 * back quotes); otherwise the type name ("string", "strings", none for bool). */
static void unquote_usage(const struct dmctl_flag *f, char *name, size_t ncap,
                          struct dm_buf *usage)
{
    const char *u = f->usage;
    const char *a = strchr(u, '`');
    const char *b = a ? strchr(a + 1, '`') : NULL;
    if (a && b) {
        snprintf(name, ncap, "%.*s", (int)(b - a - 1), a + 1);
        dm_buf_add(usage, u, (size_t)(a - u));
        dm_buf_add(usage, a + 1, (size_t)(b - a - 1));
        dm_buf_adds(usage, b + 1);
        return;
    }
    dm_buf_adds(usage, u);
    snprintf(name, ncap, "%s", f->type == DMCTL_BOOL ? "" :
             f->type == DMCTL_STRING ? "string" : "strings");
}

int dmctl_flag_usages(const struct dmctl_flag *const *flags, size_t n, struct dm_buf *out)
{
    size_t maxlen = 0;
    char lines[DMCTL_MAX_FLAGS + 2][96];
    if (n > DMCTL_MAX_FLAGS + 2)
        return DM_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        char name[64];
        struct dm_buf u;
        dm_buf_init(&u, 4096);
        unquote_usage(flags[i], name, sizeof name, &u);
        dm_buf_free(&u);
        int len = flags[i]->shorthand
                      ? snprintf(lines[i], sizeof lines[i], "  -%c, --%s", flags[i]->shorthand,
                                 flags[i]->name)
                      : snprintf(lines[i], sizeof lines[i], "      --%s", flags[i]->name);
        if (*name)
            len += snprintf(lines[i] + len, sizeof lines[i] - (size_t)len, " %s", name);
        if ((size_t)len > maxlen)
            maxlen = (size_t)len;
    }
    int rc = DM_OK;
    for (size_t i = 0; i < n && rc == DM_OK; i++) {
        char name[64];
        struct dm_buf u;
        dm_buf_init(&u, 4096);
        unquote_usage(flags[i], name, sizeof name, &u);
        rc = dm_buf_printf(out, "%s%-*s   %s", i ? "\n" : "", (int)maxlen, lines[i],
                           u.data ? u.data : "");
        dm_buf_free(&u);
    }
    return rc;
}

int dmctl_fmt_list(struct dm_buf *out, char *const *v, size_t n)
{
    int rc = dm_buf_addc(out, '[');
    for (size_t i = 0; i < n && rc == DM_OK; i++) {
        if (i)
            rc = dm_buf_addc(out, ' ');
        if (rc == DM_OK)
            rc = dm_buf_adds(out, v[i]);
    }
    return rc == DM_OK ? dm_buf_addc(out, ']') : rc;
}

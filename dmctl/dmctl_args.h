/* dmctl_args.h - cobra/pflag-style parsing of one command's arguments and pflag's
 * flag-usage text. Every command has its own flags plus the persistent
 * `-w, --worker strings` (repeatable, comma-separated as CSV) and `-h, --help`.
 * Rules (pflag v1.0.5): flags and positionals may be interleaved; `--` ends flags;
 * `--name=value`, `--name value`, `-n value`, `-nvalue`, `-n=value`; bool flags take
 * no value unless written `--name=false`; combined bool shorthands `-es`; a lone `-`
 * is positional. Errors carry pflag's text ("unknown flag: --x",
 * "unknown shorthand flag: 'x' in -x", "flag needs an argument: --owner",
 * "flag needs an argument: 'o' in -o", "bad flag syntax: ---x",
 * "invalid argument \"x\" for \"-e, --exec\" flag: ...").
 * Thread-safety: reentrant. */
#ifndef DMCTL_ARGS_H
#define DMCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum dmctl_flag_type { DMCTL_BOOL, DMCTL_STRING, DMCTL_STRINGS };

struct dmctl_flag {
    const char *name;          /* long name, "binlog-pos" */
    char shorthand;            /* 'b', or 0 for none */
    enum dmctl_flag_type type; /* DMCTL_STRINGS is used by --worker only */
    const char *usage;         /* pflag usage text (a `quoted` word names the value) */
};

#define DMCTL_MAX_FLAGS 6

/* Result of parsing; everything owned. */
struct dmctl_parsed {
    char **args;                  /* positional arguments */
    size_t nargs;
    char **workers;               /* -w/--worker values, CSV-split, in order */
    size_t nworkers;
    char *str[DMCTL_MAX_FLAGS];   /* string flag values by spec index ("" when unset) */
    bool on[DMCTL_MAX_FLAGS];     /* bool flag values by spec index */
    bool help;                    /* -h/--help given */
};

/* The persistent flags every command has. */
extern const struct dmctl_flag dmctl_worker_flag;

/* Parse argv[0..argc) (the words after the command name) against `flags` (nflags <=
 * DMCTL_MAX_FLAGS) + --worker + --help. *p is initialised here; free it with
 * dmctl_parsed_free in every case. DM_OK, DM_E_INVAL (err gets pflag's message) or
 * DM_E_NOMEM. */
int dmctl_args_parse(const struct dmctl_flag *flags, size_t nflags, int argc, char **argv,
                     struct dmctl_parsed *p, char *err, size_t cap);
void dmctl_parsed_free(struct dmctl_parsed *p);

/* pflag's FlagUsages() for `flags` in the given order (callers sort by name), with
 * trailing whitespace trimmed (cobra's trimTrailingWhitespaces): one line per flag
 * "  -s, --name type" / "      --name type" padded to a common column, 3 spaces,
 * usage. Lines are separated by '\n', no final newline. */
int dmctl_flag_usages(const struct dmctl_flag *const *flags, size_t n, struct dm_buf *out);

/* Go's fmt "%v" of a []string: "[a b c]" ("[]" when empty). */
int dmctl_fmt_list(struct dm_buf *out, char *const *v, size_t n);

#endif /* DMCTL_ARGS_H */

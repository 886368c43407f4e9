/* dm_dumpargs.c - refused mydumper extra-args (dm_dumpargs.h). */
#include "dm_dumpargs.h"

#include <stdio.h>
#include <string.h>

static const struct refused {
    char short_name;             /* 0: long only */
    const char *long_name;
    const char *why;
} REFUSED[] = {
    {0, "success-on-1146", "a table dropped while mydumper lists and dumps the tables would be "
                           "left out of the dump with a warning only"},
    {'O', "omit-from-file", "leaves the listed tables out of the dump"},
    {'i', "ignore-engines", "leaves the tables of those engines out of the dump"},
    {'U', "updated-since", "leaves the tables not updated recently out of the dump"},
    {'m', "no-schemas", "dumps no table schemas"},
    {'d', "no-data", "dumps no rows"},
    {'W', "no-views", "leaves the views out of the dump"},
    {'k', "no-locks", "takes no lock, so its threads read the tables in snapshots that need not "
                      "match each other nor the binlog position it records: rows written "
                      "meanwhile are lost or doubled (the dump takes its locks itself)"},
    {'D', "daemon", "keeps mydumper running and dumping again and again in the background, "
                    "while the Dump unit waits for one dump to end"},
    {0, "skip-tz-utc", "dumps TIMESTAMP values in the source's time zone while the Load reads "
                       "the dump as UTC: every TIMESTAMP would move by the source's offset (the "
                       "dump is always taken in UTC; the task's skip-tz-utc is ignored)"},
    {'c', "compress", "writes compressed files, which the Load unit does not read"},
    {'G', "triggers", "dumps triggers, which the Load unit does not load"},
    {'R', "routines", "dumps stored procedures and functions, which the Load unit does not load"},
    {'E', "events", "dumps events, which the Load unit does not load"},
    {'L', "logfile", "sends mydumper's errors to a file instead of the task's error"},
};

/* mydumper 0.10.1 options that take a value (the next argument unless attached) */
static const char SHORT_WITH_VALUE[] = "BTOosrFxilILzhupPStv";
static const char *const LONG_WITH_VALUE[] = {
    "database", "tables-list", "omit-from-file", "outputdir", "statement-size", "rows",
    "chunk-filesize", "regex", "ignore-engines", "long-query-guard", "snapshot-interval",
    "logfile", "updated-since", "tidb-snapshot", "host", "user", "password", "port", "socket",
    "threads", "verbose", "defaults-file", "key", "cert", "ca", "capath", "cipher",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* "--name[=value]": the refused row, and whether the next token is its value */
static const struct refused *long_opt(const char *tok, size_t n, int *value_next)
{
    for (size_t i = 0; i < N(LONG_WITH_VALUE); i++)
        if (strlen(LONG_WITH_VALUE[i]) == n && strncmp(tok, LONG_WITH_VALUE[i], n) == 0)
            *value_next = tok[n] != '=';
    for (size_t i = 0; i < N(REFUSED); i++)
        if (strlen(REFUSED[i].long_name) == n && strncmp(tok, REFUSED[i].long_name, n) == 0)
            return &REFUSED[i];
    return NULL;
}

/* "-abc": flags up to the first that takes a value (the rest of the token, or the next) */
static const struct refused *short_group(const char *tok, char *hit, int *value_next)
{
    for (const char *c = tok; *c; c++) {
        for (size_t i = 0; i < N(REFUSED); i++)
            if (REFUSED[i].short_name && REFUSED[i].short_name == *c) {
                *hit = *c;
                return &REFUSED[i];
            }
        if (strchr(SHORT_WITH_VALUE, *c)) {
            *value_next = c[1] == '\0';
            return NULL;
        }
    }
    return NULL;
}

const char *dm_dumpargs_refused(const char *args, char *flag, size_t cap)
{
    const char *s = args ? args : "";
    int value_next = 0;
    while (*s) {
        size_t n = strcspn(s, " \t\n");
        const char *tok = s, *next = s + n + strspn(s + n, " \t\n");
        const struct refused *r = NULL;
        char hit = 0;
        if (!n) {
            s = next;
            continue;
        }
        if (n >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[n - 1] == tok[0]) {
            tok++;
            n -= 2;
        }
        if (value_next) {
            value_next = 0;
        } else if (n > 2 && tok[0] == '-' && tok[1] == '-') {
            size_t name = strcspn(tok + 2, "=");
            r = long_opt(tok + 2, name < n - 2 ? name : n - 2, &value_next);
            if (r)
                snprintf(flag, cap, "--%s", r->long_name);
        } else if (n > 1 && tok[0] == '-') {
            char group[64];
            snprintf(group, sizeof group, "%.*s", (int)n - 1, tok + 1);
            r = short_group(group, &hit, &value_next);
            if (r)
                snprintf(flag, cap, "-%c", hit);
        }
        if (r)
            return r->why;
        s = next;
    }
    return NULL;
}

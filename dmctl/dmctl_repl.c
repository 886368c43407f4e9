/* dmctl_repl.c - the interactive prompt (DM v1.0.7 cmd/dm-ctl/main.go interactionMode)
 * on libedit's readline interface, and the shell-like word splitting of its lines. */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "dm_error.h"
#include "dmctl.h"

/* DM's prompt "\033[31m»\033[0m "; \001..\002 mark the colour codes as zero-width. */
#define PROMPT "\001\033[31m\002\302\273\001\033[0m\002 "
#define ASCII_PROMPT "\001\033[31m\002>>\001\033[0m\002 "
#define MAX_WORD (1u << 20)

void dmctl_argv_free(int argc, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

static int add_word(int *argc, char ***argv, const char *w, size_t n)
{
    char **nv = realloc(*argv, (size_t)(*argc + 2) * sizeof *nv);
    if (!nv)
        return DM_E_NOMEM;
    *argv = nv;
    nv[*argc] = strndup(w, n);
    if (!nv[*argc])
        return DM_E_NOMEM;
    (*argc)++;
    nv[*argc] = NULL;
    return DM_OK;
}

/* One character of a word; returns the next input position or NULL (unterminated). */
static const char *word_char(const char *s, char *quote, char *w, size_t *n)
{
    char ch = *s;
    if (*quote == '\'') {
        if (ch == '\'')
            *quote = 0;
        else
            w[(*n)++] = ch;
        return s + 1;
    }
    if (ch == '\\' && s[1] &&
        (!*quote || s[1] == '"' || s[1] == '\\' || s[1] == '$' || s[1] == '`')) {
        w[(*n)++] = s[1];
        return s + 2;
    }
    if (*quote == '"' && ch == '"')
        *quote = 0;
    else if (!*quote && (ch == '"' || ch == '\''))
        *quote = ch;
    else
        w[(*n)++] = ch;
    return s + 1;
}

int dmctl_split_line(const char *line, int *argc_out, char ***argv_out)
{
    int argc = 0, rc = DM_OK;
    char **argv = NULL;
    size_t len = strlen(line);
    char *w = malloc(len + 1);
    if (!w || len > MAX_WORD) {
        free(w);
        return w ? DM_E_TOO_LARGE : DM_E_NOMEM;
    }
    const char *s = line;
    while (rc == DM_OK) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        size_t n = 0;
        char quote = 0;
        while (*s && (quote || !(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')))
            s = word_char(s, &quote, w, &n);
        rc = quote ? DM_E_PARSE : add_word(&argc, &argv, w, n);
    }
    if (rc == DM_OK && !argv && !(argv = calloc(1, sizeof *argv)))
        rc = DM_E_NOMEM;
    free(w);
    if (rc != DM_OK) {
        dmctl_argv_free(argc, argv);
        argv = NULL;
        argc = 0;
    }
    *argc_out = argc;
    *argv_out = argv;
    return rc;
}

static void on_signal(int sig)
{
    const char *name = sig == SIGTERM ? "terminated" : sig == SIGHUP ? "hangup"
                     : sig == SIGQUIT ? "quit" : "interrupt";
    char msg[64];
    int n = snprintf(msg, sizeof msg, "got signal [%s] to exit", name);
    if (n > 0 && write(STDOUT_FILENO, msg, (size_t)n) < 0)
        _exit(1);
    _exit(sig == SIGTERM ? 0 : 1);
}

static char *history_path(void)
{
    const char *home = getenv("HOME");
    char *p = NULL;
    if (home && *home && asprintf(&p, "%s/.dmctl_history", home) < 0)
        p = NULL;
    return p;
}

/* Run one line; returns false when the prompt should end (`exit`). */
static bool run_line(struct dmctl *c, const char *line)
{
    int argc = 0;
    char **argv = NULL;
    if (!strcmp(line, "exit"))
        return false;
    int rc = dmctl_split_line(line, &argc, &argv);
    if (rc != DM_OK) {
        fprintf(c->out, "%s\n", rc == DM_E_PARSE ? "unterminated quote in command line"
                                                 : dm_strerror(rc));
    } else if (argc > 0) {
        add_history(line);
        dmctl_exec(c, argc, argv);
    }
    dmctl_argv_free(argc, argv);
    fflush(c->out);
    return true;
}

/* libedit needs a UTF-8 LC_CTYPE for the "»" of the prompt (and for UTF-8 input). */
static bool utf8_ctype(void)
{
    const char *cs = setlocale(LC_CTYPE, "") ? nl_langinfo(CODESET) : "";
    return !strcmp(cs, "UTF-8") || setlocale(LC_CTYPE, "C.UTF-8") ||
           setlocale(LC_CTYPE, "C.utf8");
}

int dmctl_repl(struct dmctl *c)
{
    char *hist = history_path();
    /* without a UTF-8 locale libedit cannot show "»": fall back to ASCII */
    const char *prompt = utf8_ctype() ? PROMPT : ASCII_PROMPT;
    printf("Welcome to dmctl\n%s\n", dmctl_version_info());
    fflush(stdout);
    signal(SIGHUP, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGQUIT, on_signal);
    using_history();
    if (hist)
        read_history(hist);
    bool go_on = true;
    while (go_on) {
        char *line = readline(prompt);
        if (!line)
            break; /* Ctrl-D */
        if (*line)
            go_on = run_line(c, line);
        free(line);
    }
    if (hist)
        write_history(hist);
    free(hist);
    if (go_on)
        printf("dmctl exit\n");
    fflush(stdout);
    return 0;
}

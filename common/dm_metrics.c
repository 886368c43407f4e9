/* dm_metrics.c - see dm_metrics.h */
#include "dm_metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dm_assert.h"
#include "dm_error.h"

#define MAX_COLLECTORS 16

struct dm_metric_series {
    char *values[DM_METRIC_MAX_LABELS];
    double v;                     /* counter / gauge value; histogram sum */
    uint64_t count;               /* histogram */
    uint64_t b[];                 /* histogram: per bucket (not cumulative) */
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;   /* the list, collectors[] */
static pthread_mutex_t collect_mu = PTHREAD_MUTEX_INITIALIZER; /* one render at a time;
                                                                 before reg_mu */
static struct dm_metric *head, **tail = &head;
static struct { dm_metrics_collect_fn fn; void *arg; } collectors[MAX_COLLECTORS];
static size_t ncollectors;
static atomic_ullong dropped;

static bool name_ok(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    }
    return true;
}

/* Split label_spec, make the buckets, link the family (once). */
static void do_register(struct dm_metric *m)
{
    pthread_mutex_lock(&reg_mu);
    if (atomic_load(&m->registered)) {
        pthread_mutex_unlock(&reg_mu);
        return;
    }
    DM_ASSERT(name_ok(m->name) && m->help);
    const char *spec = m->label_spec ? m->label_spec : "";
    DM_ASSERT(strlen(spec) < sizeof m->label_buf);
    memcpy(m->label_buf, spec, strlen(spec) + 1);
    m->nlabels = 0;
    for (char *p = m->label_buf; *p;) {
        DM_ASSERT(m->nlabels < DM_METRIC_MAX_LABELS);
        m->labels[m->nlabels++] = p;
        p += strcspn(p, ",");
        if (*p)
            *p++ = '\0';
        DM_ASSERT(name_ok(m->labels[m->nlabels - 1]) && strcmp(m->labels[m->nlabels - 1], "le"));
    }
    if (m->type == DM_METRIC_T_HISTOGRAM) {
        DM_ASSERT(m->nbuckets >= 1 && m->nbuckets <= 64 && m->bstart > 0 && m->bfactor > 1);
        m->buckets = malloc(m->nbuckets * sizeof *m->buckets);
        DM_ASSERT(m->buckets);
        for (size_t i = 0; i < m->nbuckets; i++)
            m->buckets[i] = i ? m->buckets[i - 1] * m->bfactor : m->bstart;
    }
    *tail = m;
    tail = &m->next;
    atomic_store(&m->registered, true);
    pthread_mutex_unlock(&reg_mu);
}

void dm_metric_register(struct dm_metric *m)
{
    if (!atomic_load(&m->registered))
        do_register(m);
}

static void series_free(struct dm_metric_series *s)
{
    for (size_t i = 0; i < DM_METRIC_MAX_LABELS; i++)
        free(s->values[i]);
    free(s);
}

/* The series of these label values (under m->mu), made when missing; NULL when full. */
static struct dm_metric_series *series_of(struct dm_metric *m, const char *const *vals)
{
    for (size_t i = 0; i < m->nseries; i++) {
        struct dm_metric_series *s = m->series[i];
        size_t k = 0;
        while (k < m->nlabels && strcmp(s->values[k], vals[k]) == 0)
            k++;
        if (k == m->nlabels)
            return s;
    }
    if (m->nseries == DM_METRIC_MAX_SERIES)
        return NULL;
    if (m->nseries == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 4;
        struct dm_metric_series **ns = realloc(m->series, nc * sizeof *ns);
        if (!ns)
            return NULL;
        m->series = ns;
        m->cap = nc;
    }
    size_t nb = m->type == DM_METRIC_T_HISTOGRAM ? m->nbuckets : 0;
    struct dm_metric_series *s = calloc(1, sizeof *s + nb * sizeof s->b[0]);
    if (!s)
        return NULL;
    for (size_t k = 0; k < m->nlabels; k++) {
        if (!(s->values[k] = strdup(vals[k]))) {
            series_free(s);
            return NULL;
        }
    }
    m->series[m->nseries++] = s;
    return s;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

static void update(struct dm_metric *m, enum op op, double v, va_list ap)
{
    const char *vals[DM_METRIC_MAX_LABELS];
    dm_metric_register(m);
    DM_ASSERT(op != OP_OBSERVE || m->type == DM_METRIC_T_HISTOGRAM);
    DM_ASSERT(op == OP_OBSERVE || m->type != DM_METRIC_T_HISTOGRAM);
    for (size_t k = 0; k < m->nlabels; k++) {
        const char *s = va_arg(ap, const char *);
        vals[k] = s ? s : "";
    }
    pthread_mutex_lock(&m->mu);
    struct dm_metric_series *s = series_of(m, vals);
    if (!s) {
        atomic_fetch_add(&dropped, 1);
    } else if (op == OP_SET) {
        s->v = v;
    } else if (op == OP_ADD) {
        s->v += v;
    } else {
        size_t i = 0;
        while (i < m->nbuckets && v > m->buckets[i])
            i++;
        if (i < m->nbuckets)
            s->b[i]++;
        s->count++;
        s->v += v;
    }
    pthread_mutex_unlock(&m->mu);
}

void dm_metric_add(struct dm_metric *m, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    update(m, OP_ADD, v, ap);
    va_end(ap);
}

void dm_metric_set(struct dm_metric *m, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    update(m, OP_SET, v, ap);
    va_end(ap);
}

void dm_metric_observe(struct dm_metric *m, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    update(m, OP_OBSERVE, v, ap);
    va_end(ap);
}

void dm_metric_clear(struct dm_metric *m)
{
    dm_metric_register(m);
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nseries; i++)
        series_free(m->series[i]);
    m->nseries = 0;
    pthread_mutex_unlock(&m->mu);
}

int dm_metrics_add_collector(dm_metrics_collect_fn fn, void *arg)
{
    int rc = DM_E_TOO_LARGE;
    pthread_mutex_lock(&reg_mu);
    if (ncollectors < MAX_COLLECTORS) {
        collectors[ncollectors].fn = fn;
        collectors[ncollectors++].arg = arg;
        rc = DM_OK;
    }
    pthread_mutex_unlock(&reg_mu);
    return rc;
}

void dm_metrics_remove_collector(dm_metrics_collect_fn fn, void *arg)
{
    pthread_mutex_lock(&collect_mu);   /* not running now, never again after return */
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < ncollectors; i++) {
        if (collectors[i].fn == fn && collectors[i].arg == arg) {
            collectors[i] = collectors[--ncollectors];
            break;
        }
    }
    pthread_mutex_unlock(&reg_mu);
    pthread_mutex_unlock(&collect_mu);
}

/* ---- rendering ---- */

static int add_escaped(struct dm_buf *o, const char *s, bool help)
{
    int rc = DM_OK;
    for (; *s && rc == DM_OK; s++) {
        if (*s == '\\')
            rc = dm_buf_adds(o, "\\\\");
        else if (*s == '\n')
            rc = dm_buf_adds(o, "\\n");
        else if (*s == '"' && !help)
            rc = dm_buf_adds(o, "\\\"");
        else
            rc = dm_buf_addc(o, *s);
    }
    return rc;
}

/* Shortest of %.15g / %.17g that reads back as v (0.1 stays "0.1"). */
static void fmt_num(char *out, size_t cap, double v)
{
    snprintf(out, cap, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, cap, "%.17g", v);
}

static int add_num(struct dm_buf *o, double v)
{
    char b[40];
    fmt_num(b, sizeof b, v);
    return dm_buf_adds(o, b);
}

/* {a="x",b="y"[,le="..."]} (nothing when there are no labels and no le) */
static int add_labels(struct dm_buf *o, const struct dm_metric *m,
                      const struct dm_metric_series *s, const char *le)
{
    int rc = DM_OK;
    if (m->nlabels == 0 && !le)
        return DM_OK;
    rc = dm_buf_addc(o, '{');
    for (size_t k = 0; rc == DM_OK && k < m->nlabels; k++) {
        rc = dm_buf_printf(o, "%s%s=\"", k ? "," : "", m->labels[k]);
        if (rc == DM_OK)
            rc = add_escaped(o, s->values[k], false);
        if (rc == DM_OK)
            rc = dm_buf_addc(o, '"');
    }
    if (rc == DM_OK && le)
        rc = dm_buf_printf(o, "%sle=\"%s\"", m->nlabels ? "," : "", le);
    return rc == DM_OK ? dm_buf_addc(o, '}') : rc;
}

static int render_series(struct dm_buf *o, const struct dm_metric *m,
                         const struct dm_metric_series *s)
{
    int rc = DM_OK;
    if (m->type != DM_METRIC_T_HISTOGRAM) {
        rc = dm_buf_adds(o, m->name);
        if (rc == DM_OK)
            rc = add_labels(o, m, s, NULL);
        if (rc == DM_OK)
            rc = dm_buf_addc(o, ' ');
        if (rc == DM_OK)
            rc = add_num(o, s->v);
        return rc == DM_OK ? dm_buf_addc(o, '\n') : rc;
    }
    uint64_t cum = 0;
    char le[40];
    for (size_t i = 0; rc == DM_OK && i <= m->nbuckets; i++) {
        if (i < m->nbuckets) {
            cum += s->b[i];
            fmt_num(le, sizeof le, m->buckets[i]);
        } else {
            cum = s->count;
            snprintf(le, sizeof le, "+Inf");
        }
        rc = dm_buf_printf(o, "%s_bucket", m->name);
        if (rc == DM_OK)
            rc = add_labels(o, m, s, le);
        if (rc == DM_OK)
            rc = dm_buf_printf(o, " %llu\n", (unsigned long long)cum);
    }
    if (rc == DM_OK)
        rc = dm_buf_printf(o, "%s_sum", m->name);
    if (rc == DM_OK)
        rc = add_labels(o, m, s, NULL);
    if (rc == DM_OK)
        rc = dm_buf_addc(o, ' ');
    if (rc == DM_OK)
        rc = add_num(o, s->v);
    if (rc == DM_OK)
        rc = dm_buf_printf(o, "\n%s_count", m->name);
    if (rc == DM_OK)
        rc = add_labels(o, m, s, NULL);
    if (rc == DM_OK)
        rc = dm_buf_printf(o, " %llu\n", (unsigned long long)s->count);
    return rc;
}

static const char *const type_names[] = { "counter", "gauge", "histogram" };

static int render_family(struct dm_buf *o, struct dm_metric *m)
{
    int rc = dm_buf_printf(o, "# HELP %s ", m->name);
    if (rc == DM_OK)
        rc = add_escaped(o, m->help, true);
    if (rc == DM_OK)
        rc = dm_buf_printf(o, "\n# TYPE %s %s\n", m->name, type_names[m->type]);
    pthread_mutex_lock(&m->mu);
    if (rc == DM_OK && m->nseries == 0 && m->nlabels == 0) {
        struct dm_metric_series *s = series_of(m, NULL);   /* the unlabelled one, at 0 */
        if (!s)
            rc = DM_E_NOMEM;
    }
    for (size_t i = 0; rc == DM_OK && i < m->nseries; i++)
        rc = render_series(o, m, m->series[i]);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int dm_metrics_render(struct dm_buf *o)
{
    static struct dm_metric dropped_m = DM_METRIC_COUNTER(
        "dm_metrics_dropped_total", "Samples dropped because a family had too many series.", "");
    int rc = DM_OK;
    dm_metric_register(&dropped_m);
    pthread_mutex_lock(&collect_mu);
    pthread_mutex_lock(&reg_mu);
    size_t n = ncollectors;
    __typeof__(collectors) cs;
    memcpy(cs, collectors, sizeof cs);
    pthread_mutex_unlock(&reg_mu);
    for (size_t i = 0; i < n; i++)   /* they may register families (reg_mu) */
        cs[i].fn(cs[i].arg);
    dm_metric_set(&dropped_m, (double)atomic_load(&dropped));
    pthread_mutex_lock(&reg_mu);
    for (struct dm_metric *m = head; m && rc == DM_OK; m = m->next)
        rc = render_family(o, m);
    pthread_mutex_unlock(&reg_mu);
    pthread_mutex_unlock(&collect_mu);
    return rc == DM_OK ? dm_metrics_render_process(o) : rc;
}

/* ---- process metrics (Prometheus' standard process_* families, from /proc/self) ---- */

/* Fields 14 (utime), 15 (stime), 22 (starttime) and 23 (vsize) of /proc/self/stat; the
 * command name (field 2) may hold spaces, so fields are read after its ')'. */
static bool proc_stat(double *cpu_s, double *start_s, double *vsize)
{
    char line[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    const char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long long ut, st, start, vs;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d"
                            " %*d %*d %*d %llu %llu", &ut, &st, &start, &vs) != 4)
        return false;
    double hz = (double)sysconf(_SC_CLK_TCK);
    struct timespec now, up;
    clock_gettime(CLOCK_REALTIME, &now);
    clock_gettime(CLOCK_BOOTTIME, &up);
    *cpu_s = (double)(ut + st) / hz;
    *start_s = (double)now.tv_sec - (double)up.tv_sec + (double)start / hz;
    *vsize = (double)vs;
    return true;
}

static long proc_rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    int n = fscanf(f, "%ld %ld", &pages, &rss);
    fclose(f);
    return n == 2 ? rss * sysconf(_SC_PAGESIZE) : -1;
}

static long proc_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL; )
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;   /* the directory's own descriptor */
}

int dm_metrics_render_process(struct dm_buf *o)
{
    double cpu = 0, start = 0, vsize = 0;
    struct rlimit rl = { 0 };
    if (!proc_stat(&cpu, &start, &vsize))
        return DM_OK;   /* not Linux /proc: the family is left out, not faked */
    getrlimit(RLIMIT_NOFILE, &rl);
    return dm_buf_printf(o,
                         "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                         "# TYPE process_cpu_seconds_total counter\n"
                         "process_cpu_seconds_total %.2f\n"
                         "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                         "# TYPE process_resident_memory_bytes gauge\n"
                         "process_resident_memory_bytes %ld\n"
                         "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                         "# TYPE process_virtual_memory_bytes gauge\n"
                         "process_virtual_memory_bytes %.0f\n"
                         "# HELP process_open_fds Number of open file descriptors.\n"
                         "# TYPE process_open_fds gauge\n"
                         "process_open_fds %ld\n"
                         "# HELP process_max_fds Maximum number of open file descriptors.\n"
                         "# TYPE process_max_fds gauge\n"
                         "process_max_fds %.0f\n"
                         "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                         "# TYPE process_start_time_seconds gauge\n"
                         "process_start_time_seconds %.2f\n",
                         cpu, proc_rss_bytes(), vsize, proc_open_fds(),
                         rl.rlim_cur == RLIM_INFINITY ? -1.0 : (double)rl.rlim_cur, start);
}

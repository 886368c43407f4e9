/* http_loop.c - see http_loop.h */
#include "http_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dm_assert.h"
#include "dm_error.h"
#include "http_server.h"
#include "log.h"
#include "loop_place.h"
#include "rpc.h"

#define LOOP_EVENTS 32
/* MHD_run passes in a row without looking at the loop's own descriptors, while MHD has
 * work pending (libmicrohttpd 0.9.75 steps a connection through the end of an answer and
 * the start of the next request in several passes): each skipped epoll_wait(0) is a
 * system call saved, the bound keeps the lane and the hand-overs from waiting long. */
#define MAX_SKIPS 3
/* Placement by load: the policy is loop_place.h's; a loop measures its windows here. */
#define WINDOW_NS (HTTP_LOOP_WINDOW_MS * 1000000LL)

struct hand_over {
    struct hand_over *next;
    int fd;
    socklen_t alen;
    struct sockaddr_storage addr;
    void *item;
};

struct http_loop {
    struct http_loops *set;
    struct MHD_Daemon *d;
    int epfd, evfd;
    struct rpc_lane *lane;          /* the loop thread's */
    bool resumed;                   /* loop thread: a resume since the last MHD_run */
    atomic_int nconn;               /* handed over and not closed yet */
    atomic_int busy_pm;             /* last window's busy fraction (per mille) */
    atomic_llong wait_from;         /* in epoll_wait since (monotonic ns), 0: not waiting */
    atomic_int force_pm;            /* tests: >= 0 replaces the measured busy fraction */
    atomic_bool spare;              /* merge placement: drained, takes no new connection */
    atomic_ulong handed, shed;      /* connections handed over / asked to reconnect */
    int64_t win_start, win_idle;    /* loop thread: the current window (ns) */
    int sched_fd;                   /* loop thread: its /proc/self/task/<tid>/schedstat, -1 */
    int64_t sched_run, sched_delay; /* loop thread: schedstat at the window's start (ns) */
    int last_pm;                    /* loop thread: the previous window's busy fraction */
    int shed_left;                  /* loop thread: reconnects still to ask this window */
    unsigned long seen_handed;      /* loop thread: all loops' handed at the last window end */
    atomic_bool stop;
    pthread_mutex_t mu;             /* the hand-over queue */
    struct hand_over *q_head, **q_tail;
    pthread_t th;
    bool running;
    char mhd_tag, wake_tag;         /* epoll tags (their addresses) */
};

struct http_loops {
    unsigned n;
    enum http_loop_place mode;      /* by count, by load, by count with merging */
    struct rpc_channel *master;
    http_loop_refused_fn refused;
    void *refused_cls;
    struct http_loop loops[];
};

static _Thread_local struct http_loop *tl_loop;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Any thread: the loop's busy fraction. A loop waiting longer than a window is idle
 * (its last window ended before it went to sleep). */
static int loop_busy(struct http_loop *l, int64_t now)
{
    int f = atomic_load_explicit(&l->force_pm, memory_order_relaxed);
    if (f >= 0)
        return f;
    int64_t w = atomic_load_explicit(&l->wait_from, memory_order_relaxed);
    if (w && now - w > WINDOW_NS)
        return 0;
    return atomic_load_explicit(&l->busy_pm, memory_order_relaxed);
}

/* Loop thread: its schedstat (ns on a CPU, ns runnable waiting for one); false: unknown. */
static bool sched_read(struct http_loop *l, int64_t *run, int64_t *delay)
{
    char buf[96];
    ssize_t k = l->sched_fd >= 0 ? pread(l->sched_fd, buf, sizeof(buf) - 1, 0) : -1;
    if (k <= 0)
        return false;
    buf[k] = 0;
    return sscanf(buf, "%" SCNd64 " %" SCNd64, run, delay) == 2;
}

static void sched_open(struct http_loop *l)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
    l->sched_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!sched_read(l, &l->sched_run, &l->sched_delay))
        l->sched_run = l->sched_delay = -1;   /* no schedstat: wall time alone */
}

/* Any thread: what the policy sees of every loop (n <= LOOP_PLACE_MAX_LOOPS). */
static void views(struct http_loops *ls, int64_t now, struct loop_place_view *v)
{
    for (unsigned i = 0; i < ls->n; i++) {
        v[i].busy_pm = loop_busy(&ls->loops[i], now);
        v[i].nconn = atomic_load(&ls->loops[i].nconn);
        v[i].spare = atomic_load(&ls->loops[i].spare);
    }
}

/* Any thread, merge placement: spare loops take connections again when an active loop is
 * busy or the active ones hold few (loop_place_unmerge); v is refreshed. */
static void unmerge(struct http_loops *ls, int64_t now, struct loop_place_view *v)
{
    if (!loop_place_unmerge(v, ls->n))
        return;
    for (unsigned i = 0; i < ls->n; i++)
        atomic_store(&ls->loops[i].spare, false);
    views(ls, now, v);
}

/* Loop thread, at the end of a window: the window's load (loop_place_busy), published as
 * the mean of this window and the last; how many keep-alive connections to send elsewhere
 * in the next (loop_place_shed). */
static void window_end(struct http_loop *l, int64_t now)
{
    struct loop_place_window w = {.wall_ns = now - l->win_start, .idle_ns = l->win_idle,
                                  .run_ns = -1, .delay_ns = -1};
    int64_t run, delay;
    if (l->sched_run >= 0 && sched_read(l, &run, &delay)) {
        w.run_ns = run - l->sched_run;
        w.delay_ns = delay - l->sched_delay;
        l->sched_run = run;
        l->sched_delay = delay;
    }
    int pm = loop_place_busy(&w);
    atomic_store_explicit(&l->busy_pm, (pm + l->last_pm) / 2, memory_order_relaxed);
    l->last_pm = pm;
    l->win_start = now;
    l->win_idle = 0;
    l->shed_left = 0;
    struct http_loops *ls = l->set;
    if (dm_log_level_get() == DM_LOG_DEBUG)   /* --log-level debug: the placement's trace */
        DM_DEBUG("http loop %d: busy %d per mille (window: wall %d, run %d, cpu wait %d), "
                 "%d connections, %lu shed so far%s", (int)(l - ls->loops), atomic_load(&l->busy_pm),
                 (int)(1000 - w.idle_ns * 1000 / w.wall_ns), (int)(w.run_ns * 1000 / w.wall_ns),
                 (int)(w.delay_ns * 1000 / w.wall_ns), atomic_load(&l->nconn), atomic_load(&l->shed),
                 atomic_load(&l->spare) ? ", spare" : "");
    if (ls->mode == HTTP_LOOP_PLACE_COUNT)
        return;
    struct loop_place_view v[LOOP_PLACE_MAX_LOOPS];
    unsigned self = (unsigned)(l - ls->loops);
    views(ls, now, v);
    if (ls->mode == HTTP_LOOP_PLACE_LOAD) {
        l->shed_left = loop_place_shed(v, ls->n, self);
        return;
    }
    unmerge(ls, now, v);
    unsigned long handed = 0;
    for (unsigned i = 0; i < ls->n; i++)
        handed += atomic_load_explicit(&ls->loops[i].handed, memory_order_relaxed);
    bool settled = handed == l->seen_handed;
    l->seen_handed = handed;
    if (loop_place_merge(v, ls->n, self, settled)) {
        atomic_store(&l->spare, true);
        v[self].spare = true;
    }
    l->shed_left = loop_place_shed_merge(v, ls->n, self);
}

/* Loop thread: epoll_wait, its time counted as idle. */
static int timed_wait(struct http_loop *l, struct epoll_event *evs, int w)
{
    int64_t t0 = mono_ns();
    atomic_store_explicit(&l->wait_from, t0, memory_order_relaxed);
    int n = epoll_wait(l->epfd, evs, LOOP_EVENTS, w);
    int64_t t1 = mono_ns();
    atomic_store_explicit(&l->wait_from, 0, memory_order_relaxed);
    if (t0 < l->win_start)   /* the window began while we were busy before it */
        t0 = l->win_start;
    l->win_idle += t1 - t0;
    if (t1 - l->win_start >= WINDOW_NS)
        window_end(l, t1);
    return n;
}

static void wake(struct http_loop *l)
{
    uint64_t one = 1;
    if (write(l->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        DM_WARN("http loop: eventfd write failed");
}

/* The loop's thread: add what the front queued. */
static void add_queued(struct http_loop *l)
{
    uint64_t v;
    if (read(l->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        DM_WARN("http loop: eventfd read failed");
    pthread_mutex_lock(&l->mu);
    struct hand_over *q = l->q_head;
    l->q_head = NULL;
    l->q_tail = &l->q_head;
    pthread_mutex_unlock(&l->mu);
    for (struct hand_over *h = q, *nx; h; h = nx) {
        nx = h->next;
        const struct sockaddr *a = (const struct sockaddr *)&h->addr;
        if (MHD_add_connection(l->d, h->fd, a, h->alen) != MHD_YES) {
            atomic_fetch_sub(&l->nconn, 1);
            if (l->set->refused)
                l->set->refused(l->set->refused_cls, h->item);
        }
        free(h);
    }
}

/* Milliseconds until MHD's or the lane's next timer (-1: none); *mhd_due: MHD's, absolute;
 * *mhd_now: MHD has work now (or a resume happened). */
static int wait_ms(struct http_loop *l, int64_t *mhd_due, bool *mhd_now)
{
    MHD_UNSIGNED_LONG_LONG t = 0;
    int w = -1;
    *mhd_due = INT64_MAX;
    *mhd_now = l->resumed;
    if (MHD_get_timeout(l->d, &t) == MHD_YES) {
        w = t > 60000 ? 60000 : (int)t;
        *mhd_due = w ? mono_ms() + w : 0;
        *mhd_now = *mhd_now || w == 0;
    }
    int lw = rpc_lane_timeout_ms(l->lane);
    if (lw >= 0 && (w < 0 || lw < w))
        w = lw;
    return l->resumed ? 0 : w;   /* resumed inside MHD_run: MHD_get_timeout does not say */
}

static void *loop_main(void *arg)
{
    struct http_loop *l = arg;
    tl_loop = l;
    l->win_start = mono_ns();
    sched_open(l);
    l->lane = l->set->master ? rpc_lane_new(l->set->master, l->epfd) : NULL;
    struct epoll_event evs[LOOP_EVENTS];
    int skips = 0;
    while (!atomic_load(&l->stop)) {
        int64_t mhd_due;
        bool mhd_now;
        int w = wait_ms(l, &mhd_due, &mhd_now), n = 0;
        if (mhd_now && skips < MAX_SKIPS) {
            skips++;
        } else {
            rpc_lane_flush(l->lane);   /* calls started outside MHD_run (none so far) */
            n = timed_wait(l, evs, w);
            skips = 0;
        }
        bool run = false, lane_done = false;
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == &l->mhd_tag) {
                run = true;
            } else if (tag == &l->wake_tag) {
                add_queued(l);
                run = true;
            } else {
                rpc_lane_service(l->lane, evs[i].events);
                lane_done = true;
            }
        }
        if (!lane_done && rpc_lane_timeout_ms(l->lane) == 0)
            rpc_lane_service(l->lane, 0);
        if (run || mhd_now || mono_ms() >= mhd_due) {
            l->resumed = false;
            MHD_run(l->d);
            rpc_lane_flush(l->lane);   /* the master calls this pass started, in one send */
        }
    }
    rpc_lane_free(l->lane);   /* nothing in flight normally: the server waited for it */
    l->lane = NULL;
    if (l->sched_fd >= 0)
        close(l->sched_fd);
    tl_loop = NULL;
    return NULL;
}

static int loop_init(struct http_loop *l, struct http_loops *set, struct MHD_Daemon *d)
{
    l->set = set;
    l->d = d;
    l->q_tail = &l->q_head;
    pthread_mutex_init(&l->mu, NULL);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const union MHD_DaemonInfo *di = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    struct epoll_event me = {.events = EPOLLIN, .data.ptr = &l->mhd_tag};
    struct epoll_event we = {.events = EPOLLIN, .data.ptr = &l->wake_tag};
    if (!d || !di || l->epfd < 0 || l->evfd < 0 ||
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, di->epoll_fd, &me) != 0 ||
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &we) != 0)
        return DM_E_IO;
    if (pthread_create(&l->th, NULL, loop_main, l) != 0)
        return DM_E_IO;
    pthread_setname_np(l->th, "dmgw-loop");
    l->running = true;
    return DM_OK;
}

int http_loops_start(unsigned n, enum http_loop_place mode, http_loop_daemon_fn make, void *cls, struct rpc_channel *master,
                     http_loop_refused_fn refused, void *refused_cls, struct http_loops **out)
{
    *out = NULL;
    DM_ASSERT(n >= 1);
    if (n > LOOP_PLACE_MAX_LOOPS)
        n = LOOP_PLACE_MAX_LOOPS;
    struct http_loops *ls = calloc(1, sizeof(*ls) + n * sizeof(ls->loops[0]));
    if (!ls)
        return DM_E_NOMEM;
    ls->n = n;
    ls->mode = mode;
    ls->master = master;
    ls->refused = refused;
    ls->refused_cls = refused_cls;
    for (unsigned i = 0; i < n; i++) {
        ls->loops[i].epfd = ls->loops[i].evfd = ls->loops[i].sched_fd = -1;
        atomic_init(&ls->loops[i].force_pm, -1);
    }
    for (unsigned i = 0; i < n; i++) {
        if (loop_init(&ls->loops[i], ls, make(cls, i)) != DM_OK) {
            http_loops_stop(ls);
            return DM_E_IO;
        }
    }
    *out = ls;
    return DM_OK;
}

/* loop_place.h: filling loops in turn instead of round robin (every loop wakes up for its
 * own connections, and a loop that is not busy serves more connections per wake-up for less
 * CPU per request: docs/benchmarks.md, "Issue 18, fourth pass" and "seventh pass"). */
static struct http_loop *pick(struct http_loops *ls)
{
    struct loop_place_view v[LOOP_PLACE_MAX_LOOPS];
    int64_t now = mono_ns();
    views(ls, now, v);
    unsigned i;
    if (ls->mode == HTTP_LOOP_PLACE_MERGE) {
        unmerge(ls, now, v);
        i = loop_place_pick_merge(v, ls->n);
    } else {
        i = ls->mode == HTTP_LOOP_PLACE_LOAD ? loop_place_pick_load(v, ls->n) : loop_place_pick_count(v, ls->n);
    }
    DM_ASSERT(i < ls->n);
    return &ls->loops[i];
}

bool http_loop_shed_due(const struct http_loop *l)
{
    return l && l->shed_left > 0;
}

void http_loop_shed(struct http_loop *l)
{
    DM_ASSERT(l == tl_loop && l->shed_left > 0);
    l->shed_left--;
    atomic_fetch_add_explicit(&l->shed, 1, memory_order_relaxed);
}

bool http_loops_stats(struct http_loops *ls, unsigned i, struct http_loop_stats *out)
{
    if (!ls || i >= ls->n)
        return false;
    struct http_loop *l = &ls->loops[i];
    out->nconn = atomic_load(&l->nconn);
    out->busy_pm = loop_busy(l, mono_ns());
    out->handed = atomic_load(&l->handed);
    out->shed = atomic_load(&l->shed);
    return true;
}

void http_loops_force_busy(struct http_loops *ls, unsigned i, int pm)
{
    if (ls && i < ls->n)
        atomic_store(&ls->loops[i].force_pm, pm);
}

void http_loop_conn_closed(void)
{
    if (tl_loop) {
        int left = atomic_fetch_sub(&tl_loop->nconn, 1) - 1;
        DM_ASSERT(left >= 0);
    }
}

bool http_loops_hand_over(struct http_loops *ls, int fd, const struct sockaddr *addr,
                          socklen_t alen, void *item)
{
    struct hand_over *h = calloc(1, sizeof(*h));
    if (!h) {
        close(fd);
        return false;
    }
    h->fd = fd;
    h->alen = alen <= sizeof(h->addr) ? alen : sizeof(h->addr);
    memcpy(&h->addr, addr, h->alen);
    h->item = item;
    struct http_loop *l = pick(ls);
    atomic_fetch_add(&l->nconn, 1);
    atomic_fetch_add_explicit(&l->handed, 1, memory_order_relaxed);
    pthread_mutex_lock(&l->mu);
    *l->q_tail = h;
    l->q_tail = &h->next;
    pthread_mutex_unlock(&l->mu);
    wake(l);
    return true;
}

struct http_loop *http_loop_current(void)
{
    return tl_loop;
}

void http_loop_resume(struct http_loop *l, struct MHD_Connection *c)
{
    MHD_resume_connection(c);
    if (!l)
        return;   /* MHD's own threads: its inter-thread channel wakes them */
    if (l == tl_loop)
        l->resumed = true;   /* MHD_run follows before the loop waits */
    else
        wake(l);
}

static void loop_join(struct http_loop *l)
{
    if (l->running) {
        atomic_store(&l->stop, true);
        wake(l);
        pthread_join(l->th, NULL);
        l->running = false;
    }
}

static void loop_free(struct http_loop *l)
{
    loop_join(l);
    if (l->d)
        MHD_stop_daemon(l->d);
    for (struct hand_over *h = l->q_head, *nx; h; h = nx) {
        nx = h->next;
        close(h->fd);
        free(h);
    }
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->evfd >= 0)
        close(l->evfd);
    if (l->set)
        pthread_mutex_destroy(&l->mu);
}

void http_loops_stop(struct http_loops *ls)
{
    if (!ls)
        return;
    /* every thread ends before any daemon stops or eventfd closes: the calls a loop's lane
     * ends at exit (CANCELLED) may resume connections of another loop */
    for (unsigned i = 0; i < ls->n; i++)
        if (ls->loops[i].running) {
            atomic_store(&ls->loops[i].stop, true);
            wake(&ls->loops[i]);
        }
    for (unsigned i = 0; i < ls->n; i++)
        loop_join(&ls->loops[i]);
    for (unsigned i = 0; i < ls->n; i++)
        loop_free(&ls->loops[i]);
    free(ls);
}

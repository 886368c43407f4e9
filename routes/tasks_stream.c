/* tasks_stream.c - GET /api/v1/tasks/{name}/status/stream (Server-Sent Events) and the
 * hub behind it.
 *
 * A request first asks QueryStatus(name) itself (an ordinary, coalescable read): a
 * transport or DM failure is answered as usual (503, 404, ...). On success it becomes
 * a watcher of the task's topic and its stream starts with `retry:` and that status.
 * One topic per task polls QueryStatus every interval (the smallest ?interval= of its
 * watchers) from the hub thread, however many watchers it has; a changed answer is
 * sent to every watcher as `event: status`, a failed poll as `event: problem` (problem
 * JSON, once per distinct failure), and every heartbeat period each watcher gets a
 * `: heartbeat` comment. A client that left is noticed by the transport's io.gone (a
 * peek at the parked connection's socket, every SSE_GONE_CHECK_MS) or by a write that
 * fails; either way the transport releases the stream and its connection.
 *
 * Event ids: every event carries `id: s<16 hex>` (status) or `id: p<16 hex>` (problem),
 * the FNV-1a hash of what it says. Each event is a full snapshot, so its id names that
 * snapshot like an ETag: a reconnecting client whose Last-Event-ID equals the id of the
 * status it would get first is not sent that status again (it already shows it). Ids
 * survive the topic being freed, a gateway restart and several gateway replicas.
 *
 * Threads: the hub thread owns the topics' polls. A poll's completion (the rpc client
 * thread) only parks the raw answer in its topic and wakes the hub thread, which decodes
 * it, encodes the event JSON and broadcasts it (one owner, as for requests: the rpc thread
 * runs no route code).
 *
 * Locking: one hub mutex guards topics and watchers; a watcher's transport hooks
 * (park/wake) are called with it held, so a wake can never overtake its park. The
 * transport never calls into this file while holding one of its own locks that park or
 * wake take (libmicrohttpd: reader and free callbacks run outside its cleanup lock). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmreply.h"
#include "hash.h"
#include "handlers.h"
#include "metrics.h"
#include "pbjson.h"

#define SSE_MIN_INTERVAL_MS 200
#define SSE_MAX_INTERVAL_MS 60000
#define SSE_MAX_PENDING (1u << 20)   /* a client this far behind is dropped */
#define SSE_POLL_BATCH 32
#define SSE_GONE_CHECK_MS 500        /* parked watchers asked io.gone this often */

struct topic;

/* One formatted event (id, event, data lines), shared by every watcher it is queued for
 * (gwattack6: a status change was formatted and copied once per watcher, so N watchers of
 * a task held N copies of each snapshot). Reference counts change under the hub lock. */
struct sse_ev {
    size_t refs, len;
    char data[];
};

struct route_stream {
    struct stream_hub *hub;
    struct topic *t;              /* NULL once detached */
    struct dm_buf out;            /* pending small bytes [pos, out.len): retry, heartbeats */
    size_t pos;
    struct sse_ev *cur;           /* the event being sent ([cur_pos, len)), after `out` */
    size_t cur_pos;
    struct sse_ev *waiting;       /* the latest event, waiting for `cur` to be sent */
    bool parked, ended, gone;
    struct route_stream_io io;
    int64_t interval_ms;
    char *request_id;
    char *instance;
    struct route_stream *next;    /* in t->watchers */
};

struct topic {
    char *name;
    int64_t interval_ms;
    int64_t next_poll_us, next_hb_us;
    bool polling;                 /* a poll is in flight: the topic stays allocated */
    bool answered;                /* the poll's raw answer is parked in `answer` */
    struct rpc_answer *answer;    /* (NULL when out of memory) for the hub thread */
    char *last;                   /* last status data sent */
    struct sse_ev *last_ev;       /* its event (NULL with last, or out of memory) */
    char *last_err;               /* last error detail sent */
    struct route_stream *watchers;
    size_t nwatchers;
    struct stream_hub *hub;
    struct topic *next;
};

struct stream_hub {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thr;
    bool thr_started, stop;
    unsigned polls;               /* polls in flight */
    unsigned answers;             /* topics with a parked answer (answered) */
    int64_t next_gone_us;         /* next io.gone check of the parked watchers */
    struct topic *topics;
    struct route_env *env;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t heartbeat_us(const struct stream_hub *h)
{
    int64_t ms = h->env->sse_heartbeat_ms > 0 ? h->env->sse_heartbeat_ms : 15000;
    return ms * 1000;
}

/* ---------- watchers (hub lock held) ---------- */

static void wake(struct route_stream *w)
{
    if (!w->parked)
        return;
    w->parked = false;
    w->io.wake(w->io.opaque);
}

static void end_watcher(struct route_stream *w)
{
    w->ended = true;
    wake(w);
}

static struct sse_ev *ev_new(size_t len)
{
    struct sse_ev *e = malloc(sizeof(*e) + len + 1);
    if (e) {
        e->refs = 1;
        e->len = len;
    }
    return e;
}

static struct sse_ev *ev_ref(struct sse_ev *e)
{
    e->refs++;
    return e;
}

static void ev_unref(struct sse_ev *e)
{
    if (e && --e->refs == 0)
        free(e);
}

/* Small bytes (the retry line, heartbeats). A heartbeat while an event is queued is
 * dropped: the event is traffic enough, and bytes behind a queued event would need a
 * queue of their own. */
static void push(struct route_stream *w, const char *s, size_t n)
{
    if (w->ended || w->cur)
        return;
    if (w->pos > 0 && w->pos == w->out.len) {
        dm_buf_reset(&w->out);
        w->pos = 0;
    } else if (w->pos > 0) {
        memmove(w->out.data, w->out.data + w->pos, w->out.len - w->pos);
        w->out.len -= w->pos;
        w->out.data[w->out.len] = '\0';
        w->pos = 0;
    }
    if (dm_buf_add(&w->out, s, n) != DM_OK) {
        end_watcher(w);   /* too far behind (or out of memory): drop the client */
        return;
    }
    wake(w);
}

/* A status or problem event: each is a whole snapshot, so a client that is behind needs
 * only the latest one. While the client has not taken all of `cur`, the event waits in
 * `waiting`, replacing the one waiting there (route_stream_read moves it up once `cur` is
 * sent). A watcher that stops reading so holds the rest of one event and the latest - both
 * shared with the topic's other watchers - and is dropped when the two pass
 * SSE_MAX_PENDING, as before gwattack4 (then: 1 MiB of stale events per watcher). */
static void push_event(struct route_stream *w, struct sse_ev *e)
{
    if (w->ended)
        return;
    size_t behind = w->out.len - w->pos + (w->cur ? w->cur->len - w->cur_pos : 0);
    if (e->len > SSE_MAX_PENDING || behind + e->len > SSE_MAX_PENDING) {
        end_watcher(w);
        return;
    }
    if (!w->cur) {
        w->cur = ev_ref(e);
        w->cur_pos = 0;
    } else {
        ev_unref(w->waiting);
        w->waiting = ev_ref(e);
    }
    wake(w);
}

#define EVENT_ID_LEN 20   /* kind letter + 16 hex + NUL, rounded */

/* The id of an event of `kind` ('s' status, 'p' problem) saying `what`. */
static void event_id(char kind, const char *what, char out[EVENT_ID_LEN])
{
    snprintf(out, EVENT_ID_LEN, "%c%016llx", kind,
             (unsigned long long)dm_fnv1a64(DM_FNV64_INIT, what, strlen(what)));
}

/* The status event of `data` (NULL when out of memory). */
static struct sse_ev *status_ev(const char *data)
{
    char id[EVENT_ID_LEN];
    event_id('s', data, id);
    size_t n = strlen("id: \nevent: status\ndata: \n\n") + strlen(id) + strlen(data);
    struct sse_ev *e = ev_new(n);
    if (e)
        snprintf(e->data, n + 1, "id: %s\nevent: status\ndata: %s\n\n", id, data);
    return e;
}

static void push_status(struct route_stream *w, struct sse_ev *e)
{
    if (e)
        push_event(w, e);
    else
        end_watcher(w);
}

static void push_error(struct route_stream *w, int status, const char *detail)
{
    struct dm_buf b;
    char id[EVENT_ID_LEN];
    event_id('p', detail, id);
    dm_buf_init(&b, SSE_MAX_PENDING);
    int rc = dm_buf_printf(&b, "id: %s\nevent: problem\ndata: ", id);
    rc = rc ? rc : route_problem_json(&b, status, w->instance, w->request_id, detail);
    rc = rc ? rc : dm_buf_adds(&b, "\n\n");
    struct sse_ev *e = rc == DM_OK ? ev_new(b.len) : NULL;
    if (e) {
        memcpy(e->data, b.data, b.len + 1);
        push_event(w, e);
        ev_unref(e);
    }
    dm_buf_free(&b);
}

/* Its events are already released (route_stream_release) or it never had any. */
static void watcher_free(struct route_stream *w)
{
    dm_buf_free(&w->out);
    ev_unref(w->cur);
    ev_unref(w->waiting);
    free(w->request_id);
    free(w->instance);
    free(w);
}

/* ---------- topics (hub lock held) ---------- */

static struct topic *topic_find(struct stream_hub *h, const char *name)
{
    for (struct topic *t = h->topics; t; t = t->next) {
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

static void topic_free_if_unused(struct topic *t)
{
    if (t->nwatchers || t->polling)
        return;
    struct stream_hub *h = t->hub;
    for (struct topic **pp = &h->topics; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    free(t->name);
    free(t->last);
    ev_unref(t->last_ev);
    free(t->last_err);
    free(t);
}

static void topic_interval(struct topic *t)
{
    int64_t iv = SSE_MAX_INTERVAL_MS;
    for (struct route_stream *w = t->watchers; w; w = w->next)
        iv = w->interval_ms < iv ? w->interval_ms : iv;
    t->interval_ms = iv;
}

/* t->last changed to `data` (taken): every watcher but `except` gets its event, one copy
 * for all, kept as t->last_ev for watchers that join with the same status. */
static void set_last(struct topic *t, char *data, const struct route_stream *except)
{
    free(t->last);
    ev_unref(t->last_ev);
    t->last = data;
    t->last_ev = data ? status_ev(data) : NULL;
    if (!data)
        return;
    for (struct route_stream *w = t->watchers; w; w = w->next) {
        if (w != except)
            push_status(w, t->last_ev);
    }
}

/* ---------- polling ---------- */

static int rpc_http_status(int rpc_status)
{
    switch (rpc_status) {
    case RPC_UNAVAILABLE: return 503;
    case RPC_CANCELLED: return 503;
    case RPC_DEADLINE_EXCEEDED: return 504;
    case RPC_UNIMPLEMENTED: return 501;
    case RPC_RESOURCE_EXHAUSTED: return 429;
    default: return 502;
    }
}

/* Hub lock held: the topic's poll is over (its outcome, if any, already sent). */
static void poll_finished(struct stream_hub *h, struct topic *t)
{
    t->polling = false;
    t->next_poll_us = now_us() + t->interval_ms * 1000;
    h->polls--;
    topic_free_if_unused(t);
    pthread_cond_broadcast(&h->cv);
}

/* A poll's outcome, on the hub thread (decoded from the parked answer, or the start
 * failed). */
static void poll_done(struct topic *t, int status, const char *details, ProtobufCMessage *resp)
{
    char *data = NULL;
    if (status == RPC_OK && resp) {
        dmreply_strip_stacks(resp);
        data = pbjson_encode_str(resp, PBJSON_COMPACT);
    }
    struct stream_hub *h = t->hub;
    pthread_mutex_lock(&h->mu);
    if (data && (!t->last || strcmp(t->last, data) != 0)) {
        free(t->last_err);
        t->last_err = NULL;
        set_last(t, data, NULL);
        data = NULL;
    } else if (status != RPC_OK && (!t->last_err || strcmp(t->last_err, details) != 0)) {
        char *e = strdup(details);
        free(t->last_err);
        t->last_err = e;
        set_last(t, NULL, NULL);   /* the next good answer is sent again: "back" */
        int http = rpc_http_status(status);
        for (struct route_stream *w = t->watchers; w; w = w->next)
            push_error(w, http, details);
    }
    poll_finished(h, t);
    pthread_mutex_unlock(&h->mu);
    free(data);
}

/* rpc client thread: park the raw answer for the hub thread (after shutdown began, no
 * watcher is left to tell: the poll just ends). */
static void poll_answer_cb(void *arg, struct rpc_answer *a)
{
    struct topic *t = arg;
    struct stream_hub *h = t->hub;
    pthread_mutex_lock(&h->mu);
    if (h->stop) {
        poll_finished(h, t);
    } else {
        t->answer = rpc_answer_ref(a);
        t->answered = true;
        h->answers++;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
}

/* Hub thread, lock not held: decode a parked answer and send what it says. */
static void poll_answered(struct topic *t, struct rpc_answer *a)
{
    struct rpc_result res;
    rpc_answer_result(a, &res);
    poll_done(t, res.status, res.details ? res.details : "", res.resp);
    if (res.resp)
        protobuf_c_message_free_unpacked(res.resp, NULL);
    rpc_answer_unref(a);
}

/* Hub lock held: take up to `cap` parked answers (their topics stay allocated: polling). */
static size_t take_answers(struct stream_hub *h, struct topic **ts, struct rpc_answer **as,
                           size_t cap)
{
    size_t n = 0;
    for (struct topic *t = h->topics; t && n < cap; t = t->next) {
        if (!t->answered)
            continue;
        t->answered = false;
        ts[n] = t;
        as[n++] = t->answer;
        t->answer = NULL;
        h->answers--;
    }
    return n;
}

static void poll_start(struct stream_hub *h, struct topic *t)
{
    const struct rpc_method *m = rpc_method_find(&pb__master__descriptor, "QueryStatus");
    Pb__QueryStatusListRequest r = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    r.name = t->name;   /* t stays allocated while polling */
    int64_t timeout = h->env->rpc_timeout_ms > 0 ? h->env->rpc_timeout_ms : 10000;
    struct rpc_md md[1] = {{"x-request-id", "dm-gateway-status-stream"}};
    metrics_sse_poll();
    if (h->env->master && rpc_channel_known_down(h->env->master)) {   /* fail fast */
        poll_done(t, RPC_UNAVAILABLE, "master unavailable (QueryStatus): the connection is in "
                  "TRANSIENT_FAILURE", NULL);
        return;
    }
    int rc = h->env->master && m ? rpc_call_start_answer(h->env->master, m, &r.base, timeout,
                                                          md, 1, poll_answer_cb, t)
                                 : DM_E_STATE;
    if (rc != DM_OK) {
        char d[128];
        snprintf(d, sizeof(d), "cannot call the master: %s", dm_strerror(rc));
        poll_done(t, RPC_UNAVAILABLE, d, NULL);
    }
}

/* Hub lock held: end the parked watchers whose clients left (io.gone). A parked watcher's
 * connection is suspended and not yet released (release takes this lock), so its socket
 * is still the client's. Returns the time of the next check. */
static int64_t check_gone(struct stream_hub *h, int64_t now)
{
    if (now < h->next_gone_us)
        return h->next_gone_us;
    for (struct topic *t = h->topics; t; t = t->next) {
        for (struct route_stream *w = t->watchers; w; w = w->next) {
            if (w->parked && !w->ended && w->io.gone && w->io.gone(w->io.opaque)) {
                w->gone = true;
                end_watcher(w);
            }
        }
    }
    h->next_gone_us = now + (int64_t)SSE_GONE_CHECK_MS * 1000;
    return h->next_gone_us;
}

/* Hub lock held: heartbeats due now; topics due for a poll go to `due`. Returns the
 * time of the next event. */
static int64_t scan(struct stream_hub *h, int64_t now, struct topic **due, size_t *ndue)
{
    int64_t next = now + (int64_t)SSE_MAX_INTERVAL_MS * 1000;
    *ndue = 0;
    if (h->topics)
        next = check_gone(h, now);
    for (struct topic *t = h->topics; t; t = t->next) {
        if (!t->polling && now >= t->next_poll_us && *ndue < SSE_POLL_BATCH) {
            t->polling = true;
            h->polls++;
            due[(*ndue)++] = t;
        }
        if (now >= t->next_hb_us) {
            for (struct route_stream *w = t->watchers; w; w = w->next)
                push(w, ": heartbeat\n\n", 13);
            t->next_hb_us = now + heartbeat_us(h);
        }
        if (!t->polling && t->next_poll_us < next)
            next = t->next_poll_us;
        if (t->next_hb_us < next)
            next = t->next_hb_us;
    }
    return next;
}

static void *hub_thread(void *arg)
{
    struct stream_hub *h = arg;
    struct topic *due[SSE_POLL_BATCH];
    struct rpc_answer *ans[SSE_POLL_BATCH];
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        size_t nans = h->answers ? take_answers(h, due, ans, SSE_POLL_BATCH) : 0;
        if (nans) {
            pthread_mutex_unlock(&h->mu);
            for (size_t i = 0; i < nans; i++)
                poll_answered(due[i], ans[i]);
            pthread_mutex_lock(&h->mu);
            continue;
        }
        size_t ndue = 0;
        int64_t next = scan(h, now_us(), due, &ndue);
        if (ndue) {
            pthread_mutex_unlock(&h->mu);
            for (size_t i = 0; i < ndue; i++)
                poll_start(h, due[i]);
            pthread_mutex_lock(&h->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t wait_us = next - now_us();
        wait_us = wait_us < 1000 ? 1000 : wait_us;
        int64_t ns = ts.tv_nsec + (wait_us % 1000000) * 1000;
        ts.tv_sec += (time_t)(wait_us / 1000000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        if (!h->answers && !h->stop)
            pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    }
    /* stopping: answers parked before shutdown began end their polls unsent */
    size_t n;
    while ((n = take_answers(h, due, ans, SSE_POLL_BATCH)) > 0) {
        for (size_t i = 0; i < n; i++) {
            rpc_answer_unref(ans[i]);
            poll_finished(h, due[i]);
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* ---------- hub lifecycle ---------- */

int route_streams_init(struct route_env *env)
{
    struct stream_hub *h = calloc(1, sizeof(*h));
    if (!h)
        return DM_E_NOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    h->env = env;
    env->streams = h;
    return DM_OK;
}

void route_streams_shutdown(struct route_env *env)
{
    struct stream_hub *h = env->streams;
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    for (struct topic *t = h->topics; t; t = t->next) {
        for (struct route_stream *w = t->watchers; w; w = w->next)
            end_watcher(w);
    }
    pthread_cond_broadcast(&h->cv);
    bool join = h->thr_started;
    h->thr_started = false;
    pthread_mutex_unlock(&h->mu);
    if (join)
        pthread_join(h->thr, NULL);
    pthread_mutex_lock(&h->mu);
    while (h->polls > 0)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void route_streams_free(struct route_env *env)
{
    struct stream_hub *h = env->streams;
    if (!h)
        return;
    route_streams_shutdown(env);
    /* streams the transport never released (it did not stop cleanly): detach them */
    while (h->topics) {
        struct topic *t = h->topics;
        for (struct route_stream *w = t->watchers; w; w = w->next)
            w->t = NULL;
        t->watchers = NULL;
        t->nwatchers = 0;
        topic_free_if_unused(t);
    }
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
    env->streams = NULL;
}

/* ---------- the transport's side ---------- */

void route_stream_attach(struct route_stream *s, const struct route_stream_io *io)
{
    pthread_mutex_lock(&s->hub->mu);
    s->io = *io;
    pthread_mutex_unlock(&s->hub->mu);
}

long route_stream_read(struct route_stream *s, char *buf, size_t cap)
{
    long n = 0;
    pthread_mutex_lock(&s->hub->mu);
    if (s->pos < s->out.len) {
        size_t k = s->out.len - s->pos < cap ? s->out.len - s->pos : cap;
        memcpy(buf, s->out.data + s->pos, k);
        s->pos += k;
        n = (long)k;
    } else if (s->cur) {   /* out drained: the queued event, then the latest one */
        size_t k = s->cur->len - s->cur_pos < cap ? s->cur->len - s->cur_pos : cap;
        memcpy(buf, s->cur->data + s->cur_pos, k);
        s->cur_pos += k;
        n = (long)k;
        if (s->cur_pos == s->cur->len) {
            ev_unref(s->cur);
            s->cur = s->waiting;
            s->waiting = NULL;
            s->cur_pos = 0;
        }
    } else if (s->ended) {
        n = s->gone ? -2 : -1;
    } else {
        s->parked = true;
        s->io.park(s->io.opaque);
    }
    pthread_mutex_unlock(&s->hub->mu);
    return n;
}

void route_stream_release(struct route_stream *s)
{
    if (!s)
        return;
    struct stream_hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    struct topic *t = s->t;
    if (t) {
        for (struct route_stream **pp = &t->watchers; *pp; pp = &(*pp)->next) {
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        }
        t->nwatchers--;
        topic_interval(t);
        topic_free_if_unused(t);
    }
    ev_unref(s->cur);   /* shared with other watchers: counts change under the lock */
    ev_unref(s->waiting);
    s->cur = s->waiting = NULL;
    pthread_mutex_unlock(&h->mu);
    metrics_sse_watchers_add(-1);
    watcher_free(s);
}

/* ---------- the handler ---------- */

/* ?interval= (Go duration or seconds) within bounds, else the configured default. */
static int parse_interval(const struct route_ctx *c, int64_t *ms)
{
    const char *v = route_query(c, "interval");
    *ms = c->req.env->sse_interval_ms > 0 ? c->req.env->sse_interval_ms : 2000;
    if (!v)
        return DM_OK;
    if (cfg_parse_duration_ms(v, ms) != DM_OK || *ms < SSE_MIN_INTERVAL_MS ||
        *ms > SSE_MAX_INTERVAL_MS)
        return DM_E_INVAL;
    return DM_OK;
}

static struct route_stream *watcher_new(struct route_ctx *c, int64_t interval_ms)
{
    struct route_stream *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    dm_buf_init(&w->out, SSE_MAX_PENDING);
    w->hub = c->req.env->streams;
    w->interval_ms = interval_ms;
    w->request_id = strdup(c->req.request_id ? c->req.request_id : "");
    w->instance = strdup(c->req.path ? c->req.path : "");
    if (!w->request_id || !w->instance) {
        watcher_free(w);
        return NULL;
    }
    return w;
}

/* Hub lock held: the topic of `name`, created (and the hub thread started) if needed. */
static struct topic *topic_get(struct stream_hub *h, const char *name)
{
    struct topic *t = topic_find(h, name);
    if (t)
        return t;
    if (!h->thr_started) {
        if (pthread_create(&h->thr, NULL, hub_thread, h) != 0)
            return NULL;
        h->thr_started = true;
    }
    t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return NULL;
    }
    t->hub = h;
    t->next = h->topics;
    h->topics = t;
    return t;
}

/* Join the task's topic with the status this request just got (`data`, taken); it is
 * sent first unless the client's Last-Event-ID (`have`, may be NULL) names it. */
static int join(struct stream_hub *h, struct route_stream *w, const char *name, char *data,
                const char *have)
{
    char id[EVENT_ID_LEN];
    event_id('s', data, id);
    int rc = DM_E_UNAVAILABLE;
    pthread_mutex_lock(&h->mu);
    struct topic *t = h->stop ? NULL : topic_get(h, name);
    if (!t)
        goto out;
    char retry[48];
    snprintf(retry, sizeof(retry), "retry: %lld\n\n", (long long)w->interval_ms);
    push(w, retry, strlen(retry));
    bool same = t->last && strcmp(t->last, data) == 0;
    if (!have || strcmp(have, id) != 0) {
        struct sse_ev *e = same && t->last_ev ? ev_ref(t->last_ev) : status_ev(data);
        push_status(w, e);
        ev_unref(e);
    }
    w->t = t;
    w->next = t->watchers;
    t->watchers = w;
    t->nwatchers++;
    int64_t now = now_us();
    if (t->nwatchers == 1) {
        t->next_hb_us = now + heartbeat_us(h);
        t->next_poll_us = now + w->interval_ms * 1000;
    }
    topic_interval(t);
    if (t->next_poll_us > now + t->interval_ms * 1000)
        t->next_poll_us = now + t->interval_ms * 1000;
    if (!same) {
        /* fresher than what the others saw: it is a change for them */
        set_last(t, data, w);
        data = NULL;
    }
    pthread_cond_broadcast(&h->cv);
    rc = DM_OK;
out:
    pthread_mutex_unlock(&h->mu);
    free(data);
    return rc;
}

static enum route_rc first_status_done(struct route_ctx *c, struct rpc_result *res)
{
    if (res->status != RPC_OK || !res->resp)
        return route_rpc_failed(c, res);
    dmreply_strip_stacks(res->resp);
    int code = 0;
    int st = dmreply_status(res->resp, 200, &code);
    if (st != 200 && st != 207)
        return route_done_dm(c, res);
    int64_t iv = 0;
    parse_interval(c, &iv);
    char *data = pbjson_encode_str(res->resp, PBJSON_COMPACT);
    struct route_stream *w = data ? watcher_new(c, iv) : NULL;
    if (!w) {
        free(data);
        return route_problem(c, 500, "out of memory");
    }
    metrics_sse_watchers_add(1);
    /* Last-Event-ID, or ?lastEventId= from a page that reopens with a fresh ticket */
    const char *have = c->req.last_event_id ? c->req.last_event_id : route_query(c, "lastEventId");
    if (join(c->req.env->streams, w, route_param(c, "name"), data, have) != DM_OK) {
        route_stream_release(w);
        route_header(c, "Retry-After", "1");
        return route_problem(c, 503, "the gateway is shutting down its status streams");
    }
    dm_buf_reset(&c->resp.body);
    c->resp.status = 200;
    c->resp.content_type = "text/event-stream";
    c->resp.stream = w;
    route_header(c, "X-Accel-Buffering", "no");
    return ROUTE_DONE;
}

enum route_rc h_stream_task_status(struct route_ctx *c)
{
    int64_t iv = 0;
    if (parse_interval(c, &iv) != DM_OK)
        return route_problem(c, 400, "interval must be a duration between 200ms and 60s "
                                     "(e.g. 2s, 500ms, 0.5)");
    if (!c->req.env->streams)
        return route_problem(c, 503, "status streams are not available");
    Pb__QueryStatusListRequest r = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    r.name = (char *)route_param(c, "name");
    return route_master_call(c, "QueryStatus", &r.base, false, first_status_done);
}

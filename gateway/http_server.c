/* http_server.c - MHD daemon lifecycle: options, limits, listen address, drain, stop. */
#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dm_error.h"
#include "http_internal.h"
#include "log.h"

/* Keep the raw (percent-encoded) URL and arguments: the router decodes path segments
 * itself so that an encoded '/' or ':' inside a parameter is handled correctly. */
static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static int parse_listen(const char *addr, struct sockaddr_storage *ss, bool *v6, char *err,
                        size_t cap)
{
    char host[256] = "", port[16] = "";
    const char *colon = strrchr(addr, ':');
    if (!colon || strlen(colon + 1) >= sizeof(port)) {
        snprintf(err, cap, "listen-addr %s: expected host:port", addr);
        return DM_E_INVAL;
    }
    size_t hl = (size_t)(colon - addr);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        addr++;
        hl -= 2;
    }
    if (hl >= sizeof(host)) {
        snprintf(err, cap, "listen-addr %s: host too long", addr);
        return DM_E_INVAL;
    }
    memcpy(host, addr, hl);
    snprintf(port, sizeof(port), "%s", colon + 1);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(hl ? host : NULL, port, &hints, &res);
    if (g != 0 || !res) {
        snprintf(err, cap, "listen-addr %s: %s", addr, gai_strerror(g));
        return DM_E_INVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return DM_OK;
}

static int parse_origins(struct http_server *s, const char *list)
{
    if (!list || !*list)
        return DM_OK;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return DM_E_NOMEM;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (strcmp(tok, "*") == 0) {
            s->any_origin = true;
            continue;
        }
        char **nv = realloc(s->origins, (s->norigins + 1) * sizeof(*nv));
        if (!nv || !(nv[s->norigins] = strdup(tok))) {
            if (nv)
                s->origins = nv;
            free(copy);
            return DM_E_NOMEM;
        }
        s->origins = nv;
        s->norigins++;
    }
    free(copy);
    return DM_OK;
}

static void server_free(struct http_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->norigins; i++)
        free(s->origins[i]);
    free(s->origins);
    auth_cache_free(s->auth_cache);
    http_park_free(s->park);
    http_tls_free(s->tls);
    idem_free(s->idem);
    free(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    dm_log_kv(DM_LOG_WARN, "libmicrohttpd", "detail", msg, NULL);
}

/* MHD keeps the request line and headers in the connection's pool (read buffer grown in
 * place, plus one ~64-byte record per header field from the pool's end) and builds the
 * response header there. MHD zeroes the whole pool after every request, so its size is
 * both the resident memory of every keep-alive connection and a per-request memset: keep
 * it as small as the header limits allow. L + 64 x max-headers + 4 KiB holds any request
 * within the limits and still leaves room to answer 431 problem+json for requests a few
 * KiB over them (measured with libmicrohttpd 0.9.75: 8 KiB limit, 16 KiB pool -> JSON 431
 * up to ~12 KiB of headers). */
static size_t memory_limit(const struct http_config *c, bool tls)
{
    size_t need = c->max_header_bytes + 64 * (size_t)c->max_headers + 4096;
    /* TLS (no front): libmicrohttpd copies every Cookie pair into the pool, so a head
     * within the limits whose cookies fill it exhausted a 16 KiB pool (no answer, or its
     * own HTML 431 with the status line twice). Room for the head twice over lets the
     * handler answer its cookie rule (431 problem+json); measured with 0.9.75: an 8 KiB
     * cookie and 250 "a;" pairs get the JSON 431 with 40 KiB. */
    if (tls)
        need = 2 * need + c->max_header_bytes;
    return c->conn_memory_limit > need ? c->conn_memory_limit : need;
}

/* The front (http_park.h: framing checks, parking) needs plain HTTP (TLS bytes cannot be
 * peeked); parking also an idle timeout longer than park_after. */
static bool front_wanted(const struct http_config *c)
{
    return !(c->tls_cert_pem && c->tls_key_pem);
}

static unsigned park_after(const struct http_config *c)
{
    bool ok = c->park_after_s > 0 && (c->conn_timeout_s == 0 || c->conn_timeout_s > c->park_after_s);
    return ok ? c->park_after_s : 0;
}

/* Plain HTTP: the front and its gates (http_park.h); TLS: the gates alone (http_tls.h). */
static int park_new(struct http_server *s)
{
    const struct http_config *c = &s->cfg;
    if (!front_wanted(c)) {
        struct http_frame_limits lim = http_req_frame_limits(c);
        unsigned body_ms = c->conn_timeout_s > 4000000u ? 4000000000u : c->conn_timeout_s * 1000u;
        return http_tls_new(&lim, body_ms, c->max_per_ip, &s->tls);
    }
    struct http_park_cfg pc = {park_after(c), c->conn_timeout_s,
                               c->max_connections ? c->max_connections : 1024, c->max_per_ip,
                               http_req_frame_limits(c)};
    return http_park_new(&pc, &s->park);
}

/* MHD's connection limit. Without the front (TLS) MHD's own, which it splits evenly over
 * its thread pool. With the front the total limit is http_park's (its accept count,
 * parked connections included) and every loop's daemon may hold all of it: a daemon that
 * refused a connection the front had accepted would close it without a word. */
static unsigned mhd_connection_limit(const struct http_config *c, bool park)
{
    (void)park;
    return c->max_connections ? c->max_connections : 1024;
}

/* The front's listen socket, bound here (MHD's defaults: SO_REUSEADDR, IPV6_V6ONLY,
 * non-blocking, backlog SOMAXCONN). MHD never sees it (MHD_USE_NO_LISTEN_SOCKET): binding
 * in MHD and taking the socket back with MHD_quiesce_daemon raced a worker thread's first
 * loop - both removed it from the worker's epoll set and MHD panicked ("Failed to remove
 * listen FD from epoll set"), killing the gateway at start now and then. */
static int front_listen(const struct sockaddr_storage *ss, bool v6)
{
    int one = 1;
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int socket_port(int fd)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 0;
    return ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                         : ((struct sockaddr_in *)&a)->sin_port);
}

static struct MHD_Daemon *start_daemon(struct http_server *s, const struct sockaddr_storage *ss,
                                       bool v6)
{
    const struct http_config *c = &s->cfg;
    struct http_park *pk = s->park;
    /* with the front: one daemon per loop, run by the loop's thread (http_loop.h); MHD
     * drops MHD_USE_ITC there by itself (resumes need no inter-thread channel) */
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (pk ? 0 : MHD_USE_INTERNAL_POLLING_THREAD);
    if (v6)
        flags |= MHD_USE_IPv6;
    bool tls = c->tls_cert_pem && c->tls_key_pem;
    if (tls)
        flags |= MHD_USE_TLS;
    /* close() without shutdown(): our dup keeps the socket. Never with TLS: there
     * MHD_USE_TURBO would skip gnutls_bye, where http_tls.h answers refusals. */
    if (pk)
        flags |= MHD_USE_TURBO | MHD_USE_NO_LISTEN_SOCKET;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (void *)(p)})
    OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL);   /* first: MHD logs option errors */
    if (!pk)
        OPT(MHD_OPTION_SOCK_ADDR, 0, ss);
    if (!pk)
        OPT(MHD_OPTION_THREAD_POOL_SIZE, c->threads ? c->threads : 1, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, mhd_connection_limit(c, pk != NULL), NULL);
    /* the per-IP limit is conn_limits.h's (IPv6 by /64): http_park's with the front (parked
     * ones count), the accept policy's over TLS (http_tls.h); MHD's own counts per address */
    OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, pk && park_after(c) ? park_after(c) : c->conn_timeout_s, NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit(c, tls), NULL);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, http_completed, s);
    OPT(MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL);
    if (tls) {
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, c->tls_cert_pem);
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, c->tls_key_pem);
    }
    if (pk) {
        OPT(MHD_OPTION_NOTIFY_CONNECTION, http_park_notify_connection, pk);
        OPT(MHD_OPTION_URI_LOG_CALLBACK, http_park_uri_log, pk);
    } else {   /* TLS: the read gate on decrypted bytes (http_tls.h) */
        OPT(MHD_OPTION_NOTIFY_CONNECTION, http_tls_notify_connection, s->tls);
        OPT(MHD_OPTION_URI_LOG_CALLBACK, http_tls_uri_log, s->tls);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    /* with the front every connection was counted when it accepted it: no accept policy */
    return MHD_start_daemon(flags, 0, pk ? NULL : http_tls_accept_policy, pk ? NULL : s->tls,
                            http_access, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

/* http_loop_daemon_fn: the same daemon for every loop (the front accepts for all). */
static struct MHD_Daemon *loop_daemon(void *cls, unsigned i)
{
    (void)i;
    struct http_server *s = cls;
    return start_daemon(s, NULL, s->v6);
}

/* CPUs this process may run on (at least 1). */
static unsigned cpus_available(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    return n > 0 ? (unsigned)n : 1;
}

/* Plain HTTP: the loops (a daemon each) and the front that feeds them. `threads` loops,
 * but no more than there are CPUs: more loops than CPUs only add wake-ups and context
 * switches (docs/benchmarks.md, "Issue 18, fourth pass": 4 loops on 2 vCPUs cost 21 %
 * more CPU per request than 2 at 64 connections, twice the context switches). */
static int start_loops(struct http_server *s)
{
    unsigned n = s->cfg.threads ? s->cfg.threads : 1, cpus = cpus_available();
    if (n > cpus)
        n = cpus;
    enum http_loop_place mode = s->cfg.loops_by_load ? HTTP_LOOP_PLACE_LOAD
                                : s->cfg.loops_merge ? HTTP_LOOP_PLACE_MERGE : HTTP_LOOP_PLACE_COUNT;
    if (http_loops_start(n, mode, loop_daemon, s, s->env ? s->env->master : NULL,
                         http_park_refused, s->park, &s->loops) != DM_OK)
        return DM_E_IO;
    return http_park_start(s->park, s->loops, s->lfd);
}

int http_server_start(const struct http_config *cfg, struct route_env *env,
                      struct auth_ctx *auth, struct http_server **out, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    bool v6 = false;
    *out = NULL;
    int rc = parse_listen(cfg->listen_addr, &ss, &v6, err, cap);
    if (rc != DM_OK)
        return rc;
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return DM_E_NOMEM;
    s->cfg = *cfg;
    s->lfd = -1;
    s->env = env;
    s->auth = auth;
    s->auth_cache = auth_cache_new();
    if (cfg->idem_max_keys)
        s->idem = idem_new(cfg->idem_max_keys, cfg->idem_max_bytes, cfg->idem_ttl_ms);
    if (!s->auth_cache || (cfg->idem_max_keys && !s->idem) ||
        parse_origins(s, cfg->cors_origins) != DM_OK) {
        server_free(s);
        return DM_E_NOMEM;
    }
    if ((rc = park_new(s)) != DM_OK) {
        snprintf(err, cap, "cannot set up the %s", front_wanted(cfg) ? "connection front"
                                                                      : "TLS read gate");
        server_free(s);
        return rc;
    }
    if (s->park && (s->lfd = front_listen(&ss, v6)) < 0) {
        snprintf(err, cap, "cannot listen on %s", cfg->listen_addr);
        http_park_stop(s->park);
        server_free(s);
        return DM_E_IO;
    }
    s->v6 = v6;
    if (s->park) {   /* the front accepts: the loops' daemons serve what it hands over */
        s->port = socket_port(s->lfd);
        if (start_loops(s) != DM_OK) {
            snprintf(err, cap, "cannot start the event loops and the connection front");
            http_park_stop(s->park);
            http_loops_stop(s->loops);
            close(s->lfd);
            server_free(s);
            return DM_E_IO;
        }
    } else if (!(s->d = start_daemon(s, &ss, v6))) {
        snprintf(err, cap, "cannot listen on %s", cfg->listen_addr);
        server_free(s);
        return DM_E_IO;
    } else {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        s->port = di ? di->port : 0;
    }
    *out = s;
    return DM_OK;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_auth_reloaded(struct http_server *s)
{
    auth_cache_flush(s->auth_cache);
}

bool http_server_loop_stats(const struct http_server *s, unsigned i, struct http_loop_stats *out)
{
    return http_loops_stats(s->loops, i, out);
}

void http_server_loop_force_busy(struct http_server *s, unsigned i, int pm)
{
    http_loops_force_busy(s->loops, i, pm);
}

long http_server_in_flight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->in_flight);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

bool http_server_drain(struct http_server *s, int64_t deadline_ms)
{
    atomic_store(&s->env->draining, true);
    route_streams_shutdown(s->env);   /* streams never finish by themselves */
    http_park_close_all(s->park);     /* idle ones closed; waiting requests handed back */
    int64_t end = http_now_us() + deadline_ms * 1000;
    for (int quiet = 0; quiet < 2;) {   /* twice nothing: a handed-back request has begun */
        bool busy = atomic_load(&s->in_flight) > 0 || http_park_pending(s->park) > 0;
        quiet = busy ? 0 : quiet + 1;
        if (busy && http_now_us() >= end)
            return false;
        if (quiet < 2)
            sleep_ms(20);
    }
    return true;
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    /* new requests: 503 and close (http_req.c), so that no new call suspends a connection */
    atomic_store(&s->stopping, true);
    /* end status streams first: a parked stream is a suspended connection */
    route_streams_shutdown(s->env);
    /* MHD must not be stopped with suspended connections: their rpc deadlines bound this. */
    while (atomic_load(&s->suspended) > 0 || atomic_load(&s->streams_parked) > 0)
        sleep_ms(10);
    /* let resumed connections flush their answers */
    for (int i = 0; i < 100 && atomic_load(&s->in_flight) > 0; i++)
        sleep_ms(10);
    http_park_stop(s->park);   /* no more hand-overs */
    http_loops_stop(s->loops);
    if (s->d)
        MHD_stop_daemon(s->d);
    if (s->lfd >= 0)
        close(s->lfd);   /* the front's own (front_listen) */
    server_free(s);
}

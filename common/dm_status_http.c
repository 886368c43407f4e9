/* dm_status_http.c - see dm_status_http.h. One thread, poll(2) over the listener, a
 * self-pipe (stop) and up to MAX_CONNS connections, each: read head -> answer -> close. */
#include "dm_status_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dm_error.h"
#include "dm_metrics.h"

#define MAX_CONNS 16
#define HEAD_MAX 8192
#define HEAD_MS 5000
#define WRITE_MS 10000
#define BODY_MAX (16u << 20)

struct conn {
    int fd;                       /* -1: free slot */
    int64_t deadline;
    bool writing;
    size_t hlen;
    char head[HEAD_MAX + 1];
    struct dm_buf out;
    size_t sent;
};

struct dm_status_http {
    int lfd, pipe_r, pipe_w;
    pthread_t thread;
    char *status_text;
    struct conn conns[MAX_CONNS];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    dm_buf_free(&c->out);
}

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Service Unavailable";
    }
}

/* Status line, headers and (unless head_only) the body into c->out; switch to writing. */
static void respond(struct conn *c, int code, const char *ctype, const char *body, size_t n,
                    bool head_only)
{
    dm_buf_free(&c->out);
    dm_buf_init(&c->out, BODY_MAX + 1024);
    int rc = dm_buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                           "Connection: close\r\n%s\r\n", code, reason(code), ctype, n,
                           code == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (rc == DM_OK && !head_only)
        rc = dm_buf_add(&c->out, body, n);
    if (rc != DM_OK)
        dm_buf_reset(&c->out);   /* nothing sensible to send: the connection just closes */
    c->writing = true;
    c->sent = 0;
    c->deadline = mono_ms() + WRITE_MS;
}

static void respond_text(struct conn *c, int code, const char *text, bool head_only)
{
    respond(c, code, "text/plain; charset=utf-8", text, strlen(text), head_only);
}

static void serve(struct dm_status_http *s, struct conn *c, char *line)
{
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp1 == line) {
        respond_text(c, 400, "bad request\n", false);
        return;
    }
    *sp1 = '\0';
    *sp2 = '\0';
    char *path = sp1 + 1;
    path[strcspn(path, "?#")] = '\0';
    bool head = strcmp(line, "HEAD") == 0;
    if (!head && strcmp(line, "GET") != 0) {
        respond_text(c, 405, "method not allowed\n", false);
        return;
    }
    if (strcmp(path, "/status") == 0) {
        respond_text(c, 200, s->status_text, head);
    } else if (strcmp(path, "/metrics") == 0) {
        struct dm_buf b;
        dm_buf_init(&b, BODY_MAX);
        if (dm_metrics_render(&b) == DM_OK)
            respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.data ? b.data : "",
                    b.len, head);
        else
            respond_text(c, 500, "metrics too large or out of memory\n", head);
        dm_buf_free(&b);
    } else {
        respond_text(c, 404, "not found (paths: /metrics, /status)\n", head);
    }
}

/* The end of the head ("\r\n\r\n" or "\n\n"), or NULL. */
static char *head_end(char *h)
{
    char *a = strstr(h, "\r\n\r\n"), *b = strstr(h, "\n\n");
    return a && (!b || a < b) ? a : b;
}

static void on_readable(struct dm_status_http *s, struct conn *c)
{
    ssize_t k = recv(c->fd, c->head + c->hlen, HEAD_MAX - c->hlen, 0);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (k <= 0) {
        conn_close(c);
        return;
    }
    c->hlen += (size_t)k;
    c->head[c->hlen] = '\0';
    if (memchr(c->head, '\0', c->hlen)) {
        respond_text(c, 400, "bad request\n", false);
        return;
    }
    if (!head_end(c->head)) {
        if (c->hlen == HEAD_MAX)
            respond_text(c, 431, "request head too large\n", false);
        return;
    }
    c->head[strcspn(c->head, "\r\n")] = '\0';
    serve(s, c, c->head);
}

static void on_writable(struct conn *c)
{
    while (c->sent < c->out.len) {
        ssize_t k = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (k <= 0)
            break;
        c->sent += (size_t)k;
    }
    shutdown(c->fd, SHUT_WR);
    conn_close(c);
}

static void accept_one(struct dm_status_http *s)
{
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &s->conns[i];
        if (c->fd < 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            c->fd = fd;
            c->hlen = 0;
            c->writing = false;
            c->deadline = mono_ms() + HEAD_MS;
            dm_buf_init(&c->out, 0);
            return;
        }
    }
    close(fd);   /* not reached: the listener is not polled at capacity */
}

static void *loop(void *arg)
{
    struct dm_status_http *s = arg;
    for (;;) {
        struct pollfd p[MAX_CONNS + 2];
        int map[MAX_CONNS + 2], n = 0, used = 0;
        int64_t now = mono_ms();
        p[n] = (struct pollfd){ .fd = s->pipe_r, .events = POLLIN };
        map[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &s->conns[i];
            if (c->fd < 0)
                continue;
            if (now >= c->deadline) {
                if (c->writing)
                    conn_close(c);
                else
                    respond_text(c, 408, "request head not received in time\n", false);
                if (c->fd < 0)
                    continue;
            }
            used++;
            p[n] = (struct pollfd){ .fd = c->fd, .events = c->writing ? POLLOUT : POLLIN };
            map[n++] = i;
        }
        if (used < MAX_CONNS) {
            p[n] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
            map[n++] = -2;
        }
        if (poll(p, (nfds_t)n, 200) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;   /* stop */
        for (int j = 1; j < n; j++) {
            if (!p[j].revents)
                continue;
            if (map[j] == -2) {
                accept_one(s);
                continue;
            }
            struct conn *c = &s->conns[map[j]];
            if (c->writing)
                on_writable(c);
            else
                on_readable(s, c);
            if (c->fd >= 0 && c->writing && (p[j].revents & (POLLERR | POLLHUP)))
                conn_close(c);
        }
    }
    return NULL;
}

static int listen_on(const char *addr, int *port, char *err, size_t cap)
{
    char host[256], svc[16];
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1] || strlen(colon + 1) >= sizeof svc ||
        (size_t)(colon - addr) >= sizeof host) {
        snprintf(err, cap, "status-addr %s: want host:port", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(svc, sizeof svc, "%s", colon + 1);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
    int g = getaddrinfo(host[0] ? host : NULL, svc, &hints, &ai);
    if (g != 0) {
        snprintf(err, cap, "status-addr %s: %s", addr, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                        bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 64) != 0)) {
            snprintf(err, cap, "status-addr %s: %s", addr, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd >= 0) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return fd;
}

int dm_status_http_start(const char *addr, const char *status_text, struct dm_status_http **out,
                         int *port, char *err, size_t cap)
{
    struct dm_status_http *s = calloc(1, sizeof *s);
    int pp[2] = { -1, -1 }, p = 0;
    *out = NULL;
    if (!s || !(s->status_text = strdup(status_text ? status_text : ""))) {
        free(s);
        snprintf(err, cap, "out of memory");
        return DM_E_NOMEM;
    }
    for (int i = 0; i < MAX_CONNS; i++)
        s->conns[i].fd = -1;
    s->lfd = listen_on(addr, &p, err, cap);
    if (s->lfd >= 0 && pipe2(pp, O_CLOEXEC) != 0) {
        snprintf(err, cap, "pipe: %s", strerror(errno));
        close(s->lfd);
        s->lfd = -1;
    }
    if (s->lfd < 0) {
        free(s->status_text);
        free(s);
        return DM_E_IO;
    }
    s->pipe_r = pp[0];
    s->pipe_w = pp[1];
    if (pthread_create(&s->thread, NULL, loop, s) != 0) {
        snprintf(err, cap, "cannot start the status thread");
        close(s->lfd);
        close(pp[0]);
        close(pp[1]);
        free(s->status_text);
        free(s);
        return DM_E_INTERNAL;
    }
    if (port)
        *port = p;
    *out = s;
    return DM_OK;
}

void dm_status_http_stop(struct dm_status_http *s)
{
    if (!s)
        return;
    if (write(s->pipe_w, "x", 1) != 1) { /* the thread also stops on a closed pipe */ }
    close(s->pipe_w);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        conn_close(&s->conns[i]);
    close(s->lfd);
    close(s->pipe_r);
    free(s->status_text);
    free(s);
}

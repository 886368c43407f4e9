/* http_internal.h - shared between http_server.c (daemon lifecycle) and http_req.c
 * (per-request state machine). Not part of the gateway's contract. */
#ifndef GW_HTTP_INTERNAL_H
#define GW_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>

#include "auth_cache.h"
#include "buf.h"
#include "http_loop.h"
#include "http_park.h"
#include "http_tls.h"
#include "idem.h"
#include "http_server.h"

#define GW_REQ_ID_MAX 64

struct http_server {
    struct MHD_Daemon *d;          /* TLS (no front): the daemon with its thread pool */
    struct http_loops *loops;      /* plain HTTP: the loops, a daemon each (http_loop.h) */
    bool v6;
    struct http_config cfg;        /* strings borrowed from the caller */
    struct route_env *env;
    struct auth_ctx *auth;
    struct auth_cache *auth_cache; /* verified tokens (auth_cache.h), owned */
    int port;
    atomic_long in_flight;         /* live gw_req objects */
    atomic_size_t body_bytes;      /* request body bytes held (cfg.max_body_buffer) */
    atomic_long suspended;         /* connections waiting on the master */
    atomic_long streams_parked;    /* streamed responses waiting for data (SSE) */
    atomic_bool stopping;          /* http_server_stop began: new requests get 503 + close */
    struct http_park *park;        /* the front: framing checks, idle connections (http_park.h), or NULL */
    struct http_tls *tls;          /* TLS: the read gate on decrypted bytes (http_tls.h), or NULL */
    int lfd;                       /* listen socket taken from MHD (quiesced), -1 none */
    struct idem_store *idem;       /* Idempotency-Key answers (idem.h), or NULL */
    char **origins;                /* CORS allow-list (owned) */
    size_t norigins;
    bool any_origin;
};

enum gw_state { GW_NEW = 0, GW_RUN, GW_READY, GW_SENT };

/* One per request: created on the first access-handler call, freed in
 * NOTIFY_COMPLETED. Owns everything it points to except srv/conn. */
struct gw_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct http_loop *loop;        /* the loop owning conn (NULL: MHD's own threads) */
    struct route_ctx ctx;
    struct dm_buf body;
    size_t discarded;              /* bytes dropped after the body bound was hit */
    bool too_large;
    bool over_buffer;              /* max-body-buffer was reached: 503, body dropped */
    size_t body_counted;           /* bytes of body counted in srv->body_bytes */
    bool keepalive_ok;             /* HTTP/1.1 without "Connection: close" */
    bool early;                    /* answered in the first call: MHD closes after it */
    bool must_close;               /* framing violation: answer with Connection: close */
    bool defer;                    /* first call of a bodiless request: hold the answer */
    bool later;                    /* past the first access-handler call: the head is read,
                                      and so is the body when the handler runs */
    int stream_fd;                 /* a stream's socket for stream_gone (-1: not checked) */
    atomic_int state;
    char request_id[GW_REQ_ID_MAX + 1];
    char method[16];
    const char *route_label;       /* template path or "unmatched" (static) */
    struct auth_identity *id;
    char *origin;                  /* allowed CORS origin to echo, or NULL */
    int64_t start_us;
    int status;
    struct idem_entry *idem;       /* Idempotency-Key claimed by this request, until stored */
    struct idem_answer replay;     /* a replayed answer (its strings back ctx.resp) */
};

/* http_req.c */
enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                            const char *method, const char *version, const char *upload,
                            size_t *upload_size, void **con_cls);
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe);
/* The framing limits (http_frame.h) both the front and the access handler apply. */
struct http_frame_limits http_req_frame_limits(const struct http_config *c);
int64_t http_now_us(void);

#endif /* GW_HTTP_INTERNAL_H */

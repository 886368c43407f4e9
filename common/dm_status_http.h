/* dm_status_http.h - a minimal HTTP/1.x status listener for daemons without an HTTP
 * server (dm-worker's `status-addr`; DM serves the same paths on its worker-addr):
 *   GET|HEAD /metrics   the dm_metrics registry (text/plain; version=0.0.4)
 *   GET|HEAD /status    one line of version text
 * Plain sockets, no HTTP library. One thread polls the listener and at most 16
 * connections; each carries one request ("Connection: close"): the request head must
 * arrive within 5 s and fit in 8 KiB (else 408 / 431 and close), the answer must be
 * taken within 10 s (else the connection is dropped). Other methods 405, other paths
 * 404, malformed heads 400; a request body is never read. At capacity new connections
 * wait in the listen backlog.
 * Ownership: the caller frees with dm_status_http_stop. Thread-safety: start/stop from
 * one thread. */
#ifndef DM_STATUS_HTTP_H
#define DM_STATUS_HTTP_H

#include <stddef.h>

struct dm_status_http;

/* Listen on addr ("host:port", ":port" = every interface, "[v6]:port"; port 0 picks one,
 * returned in *port). status_text is copied. DM_OK, or DM_E_INVAL / DM_E_IO with err. */
int dm_status_http_start(const char *addr, const char *status_text, struct dm_status_http **out,
                         int *port, char *err, size_t cap);
/* Close the listener and every connection, join the thread, free. NULL ok. */
void dm_status_http_stop(struct dm_status_http *s);

#endif /* DM_STATUS_HTTP_H */

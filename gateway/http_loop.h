/* http_loop.h - the gateway's event loops for plain HTTP (issue 18: one owner thread per
 * request, h2o's model).
 *
 * One thread per loop. Each loop runs its own libmicrohttpd daemon in external-loop mode
 * (MHD_USE_EPOLL without an internal thread: MHD's epoll set is one entry of the loop's
 * own epoll set, MHD_run after its events) and a lane of the master channel (rpc.h
 * rpc_lane_new: the loop's own HTTP/2 connection to the master, written and read by this
 * thread). A master call started by a request on its loop is answered on the same thread:
 * the answer's callback resumes the connection without a system call (external mode has
 * no inter-thread channel; MHD_run runs right after), no reader thread wakes up and no
 * eventfd is written or read. Resumes from other threads (coalesced waiters, status
 * streams, the gRPC core transport, a call that went the channel's way) wake the loop
 * through its eventfd.
 *
 * Connections come from the front (http_park.h), which accepts, counts (total and per
 * IP, once) and checks them: http_loops_hand_over queues one to a loop and wakes it; the
 * loop adds it with MHD_add_connection (not thread-safe on an external-loop daemon, so only
 * the loop's thread calls it). At most one loop per CPU (http_server.c).
 *
 * Placement (loop_place.h holds the policy): by load (--loop-placement-by-load; issue 18,
 * docs/benchmarks.md "seventh pass" and "eighth pass") or by count. Each loop measures its
 * load per 200 ms window - run / (run + asleep) from its thread's schedstat, the wait for a
 * CPU counting neither way, or the wall time outside epoll_wait where schedstat is missing
 * - and publishes the mean of the last two windows. A loop told to shed (loop_place_shed) says yes through
 * http_loop_shed_due to that many complete, non-streamed keep-alive answers, which go out
 * with Connection: close; the clients reconnect and the front places them on a quieter
 * loop. */
#ifndef GW_HTTP_LOOP_H
#define GW_HTTP_LOOP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>

struct rpc_channel;
struct http_loop;
struct http_loops;

/* Make loop i's daemon (external-loop mode: MHD_USE_EPOLL, no internal thread). */
typedef struct MHD_Daemon *(*http_loop_daemon_fn)(void *cls, unsigned i);
/* A handed-over connection MHD refused (it closed the descriptor): `item` as given. */
typedef void (*http_loop_refused_fn)(void *cls, void *item);

/* How connections are placed on the loops (loop_place.h): by count (the first loop holding
 * fewer than 16 connections, else the one holding fewest), by load with rebalancing, or by
 * count with merging of underused loops. */
enum http_loop_place { HTTP_LOOP_PLACE_COUNT, HTTP_LOOP_PLACE_LOAD, HTTP_LOOP_PLACE_MERGE };

/* n loops (n >= 1), their daemons and threads, placing by `mode`. master (may be NULL) gets one lane per
 * loop when it is an h2 channel. DM_OK, DM_E_NOMEM or DM_E_IO (a daemon or thread failed;
 * nothing left running). */
int http_loops_start(unsigned n, enum http_loop_place mode, http_loop_daemon_fn make, void *cls, struct rpc_channel *master,
                     http_loop_refused_fn refused, void *refused_cls, struct http_loops **out);
/* Any thread (the front's): give fd (ownership passes) to a loop. false when it could not
 * be queued (out of memory: fd closed). */
bool http_loops_hand_over(struct http_loops *ls, int fd, const struct sockaddr *addr,
                          socklen_t alen, void *item);
/* MHD closed a connection on the calling thread (NOTIFY_CONNECTION CLOSED): its loop holds
 * one less. Nothing when the thread is no loop's. */
void http_loop_conn_closed(void);
/* Loop l's thread (l may be NULL: false), about to answer a complete request on a
 * keep-alive connection: does the loop want a connection closed after its answer, so that
 * the client reconnects to a quieter loop? */
bool http_loop_shed_due(const struct http_loop *l);
/* Loop l's thread, after http_loop_shed_due: this answer goes with Connection: close. */
void http_loop_shed(struct http_loop *l);
/* Any thread: loop i's counters (struct http_loop_stats, http_server.h); false: no loop i. */
struct http_loop_stats;
bool http_loops_stats(struct http_loops *ls, unsigned i, struct http_loop_stats *out);
/* Tests: loop i's busy fraction reads as pm per mille (-1: measured again). */
void http_loops_force_busy(struct http_loops *ls, unsigned i, int pm);
/* The calling thread's loop, NULL when it is none. */
struct http_loop *http_loop_current(void);
/* Resume c, a connection of loop l (NULL: a daemon with its own threads), from any thread. */
void http_loop_resume(struct http_loop *l, struct MHD_Connection *c);
/* Stop the threads (calls in flight on their lanes end CANCELLED first), then the
 * daemons; connections still queued are closed. NULL is fine. */
void http_loops_stop(struct http_loops *ls);

#endif /* GW_HTTP_LOOP_H */

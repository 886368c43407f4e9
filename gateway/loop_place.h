/* loop_place.h - where the gateway's event loops put connections (issue 18): the policy of
 * placement by load, with no clock, thread or system call of its own (http_loop.c feeds it
 * the numbers; tests/unit/gateway/test_loop_place.c feeds it made-up ones).
 *
 * A loop's load over a window is the share of the time it could run in which it did run:
 * run / (run + asleep), from its thread's schedstat (run = on a CPU; asleep = the window's
 * wall time minus run minus the time it was runnable but waiting for a CPU). Time spent
 * waiting for a CPU counts neither way: a loop woken by ready connections that waits its
 * turn on a loaded box is saturated if it never sleeps, though the wall time outside
 * epoll_wait calls it idle (docs/benchmarks.md "seventh pass"); and a loop that sleeps
 * between short bursts is not busy merely because every wake-up waits for a CPU on an
 * oversubscribed box ("eighth pass": run + wait over wall read 65-90 % there and split the
 * running task's 64 connections). Where schedstat cannot be read, the wall time outside
 * epoll_wait stands in.
 *
 * Placement by load: a new connection goes to the first loop holding fewer than
 * LOOP_PLACE_MIN connections or at most LOOP_PLACE_BUSY_PM busy, else to the least busy.
 * Rebalancing: a loop holding more than LOOP_PLACE_MIN, over LOOP_PLACE_BUSY_PM while
 * another loop is at least LOOP_PLACE_GAP_PM less busy, closes a few keep-alive
 * connections per window after complete answers (1/8 of its own, at most
 * LOOP_PLACE_SHED_MAX, never below LOOP_PLACE_MIN); the clients reconnect to the quiet
 * loop. Placement by count: the first loop holding fewer than LOOP_PLACE_MIN, else the
 * one holding fewest. */
#ifndef GW_LOOP_PLACE_H
#define GW_LOOP_PLACE_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_PLACE_BUSY_PM 700   /* per mille: a loop over this takes no new connection */
#define LOOP_PLACE_GAP_PM 150    /* ... and sheds to a loop this much less busy */
#define LOOP_PLACE_MIN 16        /* connections a loop keeps (and fills to) whatever its load */
#define LOOP_PLACE_SHED_MAX 8    /* connections asked to reconnect per window, at most */
#define LOOP_PLACE_MAX_LOOPS 64  /* loops placed over, at most */
#define LOOP_PLACE_MERGE_PM 300  /* merge: active loops this busy in sum (per loop that remains) */

/* One window of one loop, nanoseconds. run_ns / delay_ns < 0: schedstat unknown. */
struct loop_place_window {
    int64_t wall_ns;    /* > 0 */
    int64_t idle_ns;    /* in epoll_wait: 0 <= idle_ns <= wall_ns */
    int64_t run_ns;     /* the thread on a CPU */
    int64_t delay_ns;   /* the thread runnable, waiting for a CPU */
};

/* One loop as the policy sees it. */
struct loop_place_view {
    int busy_pm;   /* 0..1000 */
    int nconn;     /* >= 0 */
    bool spare;    /* merge placement: drained, takes no new connection */
};

/* The window's load, per mille (0..1000). */
int loop_place_busy(const struct loop_place_window *w);
/* The loop (index < n, n >= 1) a new connection goes to: by load, or by count. */
unsigned loop_place_pick_load(const struct loop_place_view *v, unsigned n);
unsigned loop_place_pick_count(const struct loop_place_view *v, unsigned n);
/* How many keep-alive connections loop self (< n) asks to reconnect in the next window. */
int loop_place_shed(const struct loop_place_view *v, unsigned n, unsigned self);

/* Placement by count with merging (--loop-placement-merge, "Issue 18, ninth pass"): new
 * connections go by count (loop_place_pick_count) over the loops that are not spare, so a
 * burst of connections is never piled onto one loop whose load was measured before it.
 * When the active loops are clearly underused over a window in which no connection was
 * placed - none over LOOP_PLACE_BUSY_PM and their
 * loads summing to at most LOOP_PLACE_MERGE_PM per loop that would remain - the last active
 * loop becomes spare (loop_place_merge) and asks all its keep-alive connections to
 * reconnect, LOOP_PLACE_SHED_MAX per window (loop_place_shed_merge); they land on the
 * others. Spare loops take connections again (loop_place_unmerge) as soon as an active loop
 * is over LOOP_PLACE_BUSY_PM (the busy loop then sheds to them as placement by load does),
 * or when the active loops hold fewer than LOOP_PLACE_MIN connections in all (a new
 * workload starts by count). */
unsigned loop_place_pick_merge(const struct loop_place_view *v, unsigned n);
/* settled: no connection was placed on any loop during the window that ended (the loads
 * were measured with the connections where they are, not before a burst arrived). */
bool loop_place_merge(const struct loop_place_view *v, unsigned n, unsigned self, bool settled);
bool loop_place_unmerge(const struct loop_place_view *v, unsigned n);
int loop_place_shed_merge(const struct loop_place_view *v, unsigned n, unsigned self);

#endif /* GW_LOOP_PLACE_H */

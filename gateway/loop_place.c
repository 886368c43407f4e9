/* loop_place.c - see loop_place.h */
#include "loop_place.h"

#include <stdbool.h>

#include "dm_assert.h"

static int per_mille(int64_t part, int64_t whole)
{
    if (part <= 0)
        return 0;
    return part >= whole ? 1000 : (int)(part * 1000 / whole);
}

int loop_place_busy(const struct loop_place_window *w)
{
    DM_ASSERT(w->wall_ns > 0 && w->idle_ns >= 0 && w->idle_ns <= w->wall_ns);
    if (w->run_ns < 0 || w->delay_ns < 0)   /* no schedstat: the wall time outside epoll_wait */
        return per_mille(w->wall_ns - w->idle_ns, w->wall_ns);
    /* asleep: neither on a CPU nor waiting for one (blocked in epoll_wait with nothing ready) */
    int64_t asleep = w->wall_ns - w->run_ns - w->delay_ns;
    asleep = asleep < 0 ? 0 : asleep;
    int pm = w->run_ns + asleep > 0 ? per_mille(w->run_ns, w->run_ns + asleep) : 1000;
    DM_ASSERT(pm >= 0 && pm <= 1000);
    return pm;
}

static void check(const struct loop_place_view *v, unsigned n)
{
    DM_ASSERT(n >= 1);
    for (unsigned i = 0; i < n; i++)
        DM_ASSERT(v[i].busy_pm >= 0 && v[i].busy_pm <= 1000 && v[i].nconn >= 0);
}

unsigned loop_place_pick_count(const struct loop_place_view *v, unsigned n)
{
    check(v, n);
    unsigned best = 0;
    for (unsigned i = 0; i < n; i++) {
        if (v[i].nconn < LOOP_PLACE_MIN)
            return i;
        if (v[i].nconn < v[best].nconn)
            best = i;
    }
    return best;
}

unsigned loop_place_pick_load(const struct loop_place_view *v, unsigned n)
{
    check(v, n);
    unsigned best = 0;
    for (unsigned i = 0; i < n; i++) {
        if (v[i].busy_pm <= LOOP_PLACE_BUSY_PM || v[i].nconn < LOOP_PLACE_MIN)
            return i;
        if (v[i].busy_pm < v[best].busy_pm)
            best = i;
    }
    return best;
}

int loop_place_shed(const struct loop_place_view *v, unsigned n, unsigned self)
{
    check(v, n);
    DM_ASSERT(self < n);
    int mine = v[self].busy_pm, nconn = v[self].nconn;
    if (mine <= LOOP_PLACE_BUSY_PM || nconn <= LOOP_PLACE_MIN)
        return 0;
    bool quieter = false;
    for (unsigned i = 0; i < n; i++)
        quieter = quieter || (i != self && !v[i].spare && v[i].busy_pm < mine - LOOP_PLACE_GAP_PM);
    if (!quieter)
        return 0;
    int k = nconn / 8, over = nconn - LOOP_PLACE_MIN;
    k = k < 1 ? 1 : k > LOOP_PLACE_SHED_MAX ? LOOP_PLACE_SHED_MAX : k;
    k = k < over ? k : over;
    DM_ASSERT(k >= 1 && nconn - k >= LOOP_PLACE_MIN);
    return k;
}

unsigned loop_place_pick_merge(const struct loop_place_view *v, unsigned n)
{
    check(v, n);
    unsigned best = n;
    for (unsigned i = 0; i < n; i++) {
        if (v[i].spare)
            continue;
        if (v[i].nconn < LOOP_PLACE_MIN)
            return i;
        if (best == n || v[i].nconn < v[best].nconn)
            best = i;
    }
    return best < n ? best : loop_place_pick_count(v, n);   /* all spare: not normally */
}

bool loop_place_merge(const struct loop_place_view *v, unsigned n, unsigned self, bool settled)
{
    check(v, n);
    DM_ASSERT(self < n);
    if (v[self].spare || !settled)
        return false;
    unsigned active = 0, last = 0;
    int sum = 0;
    for (unsigned i = 0; i < n; i++) {
        if (v[i].spare)
            continue;
        if (v[i].busy_pm > LOOP_PLACE_BUSY_PM)
            return false;
        active++;
        last = i;
        sum += v[i].busy_pm;
    }
    return active >= 2 && last == self && sum <= LOOP_PLACE_MERGE_PM * (int)(active - 1);
}

bool loop_place_unmerge(const struct loop_place_view *v, unsigned n)
{
    check(v, n);
    bool spares = false, busy = false;
    int held = 0;
    for (unsigned i = 0; i < n; i++) {
        spares = spares || v[i].spare;
        busy = busy || (!v[i].spare && v[i].busy_pm > LOOP_PLACE_BUSY_PM);
        held += v[i].spare ? 0 : v[i].nconn;
    }
    return spares && (busy || held < LOOP_PLACE_MIN);
}

int loop_place_shed_merge(const struct loop_place_view *v, unsigned n, unsigned self)
{
    check(v, n);
    DM_ASSERT(self < n);
    if (!v[self].spare)
        return loop_place_shed(v, n, self);
    int k = v[self].nconn < LOOP_PLACE_SHED_MAX ? v[self].nconn : LOOP_PLACE_SHED_MAX;
    DM_ASSERT(k >= 0 && k <= v[self].nconn);
    return k;
}

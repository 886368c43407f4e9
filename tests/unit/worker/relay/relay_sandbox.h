/* relay_sandbox.h - shared by the in-process relay tests (test_relay.c, test_relay_gtid.c):
 * one MariaDB sandbox per test (sandbox_db.h), the relay-dir under it, the source's
 * position, waiting for the relay to catch up or pause, counting lines of decoded output.
 * Static functions: include once per test program. */
#ifndef DM_TEST_RELAY_SANDBOX_H
#define DM_TEST_RELAY_SANDBOX_H

#include <check.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "dm_error.h"
#include "relay.h"
#include "sandbox_db.h"
#include "testutil.h"

static char g_relay[512];

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_port = tu_free_port();
    ck_assert_int_eq(sandbox("start"), 0);
    snprintf(g_relay, sizeof g_relay, "%s/relay", g_dir);
}

static void teardown(void)
{
    sandbox("stop");
    if (!getenv("KEEP_TMP"))
        tu_rmrf(g_dir);
}

/* The source's binlog position (and GTID set when gtid != NULL). */
static void source_at(char *file, size_t cap, uint64_t *pos, char *gtid, size_t gcap)
{
    struct bl_source s = source(1);
    char err[256];
    ck_assert_int_eq(bl_source_status(&s, file, cap, pos, gtid, gcap, err, sizeof err), DM_OK);
}

/* Until the relay wrote everything up to the source's position (and, with same_gtid, its
 * GTID set equals the source's), stable for 300 ms; false when it paused or time ran out.
 * The source's position is re-read (MariaDB writes BINLOG_CHECKPOINT events on its own
 * after a rotate). */
static bool relay_caught_up(struct worker_relay *r, int ms, bool same_gtid,
                            bool (*gtid_eq)(const char *, const char *))
{
    char file[256], gtid[1024] = "";
    uint64_t pos;
    struct worker_relay_status st;
    long long end = tu_now_ms() + ms, since = 0;
    do {
        source_at(file, sizeof file, &pos, same_gtid ? gtid : NULL, same_gtid ? sizeof gtid : 0);
        worker_relay_status(r, &st);
        if (strcmp(st.file, file) == 0 && st.pos == pos && (!same_gtid || gtid_eq(st.gtid, gtid))) {
            if (!since)
                since = tu_now_ms();
            if (tu_now_ms() - since >= 300)
                return true;
        } else {
            since = 0;
        }
        if (st.stage == WORKER_RELAY_PAUSED) {
            fprintf(stderr, "relay paused: %s\n", st.err.msg);
            return false;
        }
        usleep(50000);
    } while (tu_now_ms() < end);
    fprintf(stderr, "relay at (%s, %llu, %s), source at (%s, %llu, %s)\n", st.file,
            (unsigned long long)st.pos, st.gtid, file, (unsigned long long)pos, gtid);
    return false;
}

/* Until the relay is Paused (asserted, with an error); its status. */
static struct worker_relay_status paused_with(struct worker_relay *r, int ms)
{
    struct worker_relay_status st;
    long long end = tu_now_ms() + ms;
    do {
        worker_relay_status(r, &st);
        if (st.stage == WORKER_RELAY_PAUSED)
            break;
        usleep(50000);
    } while (tu_now_ms() < end);
    ck_assert_int_eq(st.stage, WORKER_RELAY_PAUSED);
    ck_assert(st.has_err);
    return st;
}

/* Occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

#endif /* DM_TEST_RELAY_SANDBOX_H */

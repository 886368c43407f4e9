/* relay_worker.h - shared by the dm-worker relay tests (test_relay_worker.c,
 * test_relay_ops.c, test_relay_gtid_worker.c): a subtask of binlog-type local on the
 * worker_e2e.h pair, table r.t, and the worker's relayStatus. Static functions: include
 * once per test program, after worker_e2e.h. */
#ifndef DM_TEST_RELAY_WORKER_H
#define DM_TEST_RELAY_WORKER_H

#include "gtid.h"
#include "testutil.h"
#include "worker_e2e.h"

#define SUM "SELECT CONCAT(COUNT(*),'-',COALESCE(SUM(CRC32(CONCAT_WS(',',id,v,s))),0)) FROM r.t"

/* Start task `name` (binlog-type local, worker-count 4, from master_pos(), `extra` task
 * keys, do-dbs `dbs` as a TOML array body) and create r.t on the source. */
static inline void start_local_task(const char *name, const char *extra, const char *dbs)
{
    char toml[4096], msg[2048];
    snprintf(toml, sizeof toml,
             "name = \"%s\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "binlog-type = \"local\"\nworker-count = 4\n%s[meta]\nbinlog-name = \"%s\"\n"
             "binlog-pos = %llu\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [%s]\n", name, extra, g_file, g_pos, g_dst, dbs);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    sql(g_src, "CREATE DATABASE r");
    sql(g_src, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT, s VARCHAR(16))");
}

/* The worker's relayStatus (*keep: the answer, to free). */
static inline Pb__RelayStatus *relay(Pb__QueryStatusResponse **keep)
{
    *keep = query_status("");
    ck_assert_ptr_nonnull((*keep)->relaystatus);
    return (*keep)->relaystatus;
}

/* Until relayCatchUpMaster (and, with same_gtid, the relay's GTID set equals the
 * source's). */
static inline bool relay_caught_up_gtid(int ms, bool same_gtid)
{
    long long end = tu_now_ms() + ms;
    do {
        Pb__QueryStatusResponse *st;
        Pb__RelayStatus *rs = relay(&st);
        bool ok = rs->relaycatchupmaster &&
                  (!same_gtid || gtid_text_equal(rs->relaybinloggtid, rs->masterbinloggtid));
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (ok)
            return true;
        usleep(100000);
    } while (tu_now_ms() < end);
    return false;
}

#endif /* DM_TEST_RELAY_WORKER_H */

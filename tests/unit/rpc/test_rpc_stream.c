/* test_rpc_stream.c - rpc/stream.c: the FetchDDLInfo bidi pattern (worker = server sends
 * DDLInfo and receives DDLLockInfo; master = client) over real gRPC on loopback. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm_error.h"
#include "dmworker.pb-c.h"
#include "rpc.h"
#include "testutil.h"

static const struct rpc_method *m_fetch;
static struct rpc_server *srv;
static struct rpc_channel *chan;

/* What the server handler observed (checked by the tests after close). */
static struct {
    pthread_mutex_t mu;
    int rounds_ok;
    int final_recv_rc;
    int send_after_cancel_rc;
} seen = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int send_ddl(struct rpc_stream *st, int i)
{
    char schema[16];
    char *ddls[] = { "ALTER TABLE t ADD c INT" };
    snprintf(schema, sizeof(schema), "db%d", i);
    Pb__DDLInfo info = PB__DDLINFO__INIT;
    info.task = "task";
    info.schema = schema;
    info.table = "t";
    info.n_ddls = 1;
    info.ddls = ddls;
    return rpc_stream_send(st, &info.base);
}

/* Worker side: mode "pingpong" = 3 rounds of send DDLInfo / recv DDLLockInfo;
 * mode "slow" = wait 400 ms before the first send; "hold" = recv until the stream dies. */
static int h_fetch(struct rpc_stream *st, void *ctx)
{
    const char *mode = ctx;
    if (!strcmp(mode, "hold")) {
        ProtobufCMessage *m = NULL;
        int rc;
        while ((rc = rpc_stream_recv(st, 100, &m)) == DM_E_TIMEOUT || rc == DM_OK) {
            if (m)
                protobuf_c_message_free_unpacked(m, NULL);
            m = NULL;
        }
        pthread_mutex_lock(&seen.mu);
        seen.final_recv_rc = rc;
        seen.send_after_cancel_rc = send_ddl(st, 9);
        pthread_mutex_unlock(&seen.mu);
        return RPC_NOT_FOUND;   /* distinctive: the client must see exactly this */
    }
    if (!strcmp(mode, "slow"))
        usleep(400 * 1000);
    int ok = 0;
    for (int i = 0; i < 3; i++) {
        if (send_ddl(st, i) != DM_OK)
            break;
        ProtobufCMessage *m = NULL;
        if (rpc_stream_recv(st, 5000, &m) != DM_OK)
            break;
        Pb__DDLLockInfo *li = (Pb__DDLLockInfo *)m;
        char want[32];
        snprintf(want, sizeof(want), "task-`db%d`.`t`", i);
        if (!strcmp(li->id, want) && !strcmp(li->task, "task"))
            ok++;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    ProtobufCMessage *m = NULL;
    int rc = rpc_stream_recv(st, 5000, &m);   /* the client half-closed: end of stream */
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    ck_assert_int_eq(rpc_stream_close(st, NULL), DM_OK);   /* server side: no-op */
    pthread_mutex_lock(&seen.mu);
    seen.rounds_ok = ok;
    seen.final_recv_rc = rc;
    pthread_mutex_unlock(&seen.mu);
    return ok == 3 ? RPC_OK : RPC_INTERNAL;
}

static struct rpc_server *start_server(const char *mode, char *target, size_t cap)
{
    struct rpc_server *s = rpc_server_new("127.0.0.1:0", 2);
    int port = 0;
    if (!s)
        return NULL;
    if (rpc_server_register_stream(s, m_fetch, h_fetch, (void *)mode) != DM_OK ||
        rpc_server_start(s, &port) != DM_OK) {
        rpc_server_free(s);
        return NULL;
    }
    snprintf(target, cap, "127.0.0.1:%d", port);
    return s;
}

/* Master side of one round: recv DDLInfo, answer DDLLockInfo{task, "<task>-`db`.`t`"}. */
static void master_round(struct rpc_stream *st, int64_t timeout_ms)
{
    ProtobufCMessage *m = NULL;
    ck_assert_int_eq(rpc_stream_recv(st, timeout_ms, &m), DM_OK);
    ck_assert_ptr_eq(m->descriptor, &pb__ddlinfo__descriptor);
    Pb__DDLInfo *info = (Pb__DDLInfo *)m;
    ck_assert_uint_eq(info->n_ddls, 1);
    char id[64];
    snprintf(id, sizeof(id), "%s-`%s`.`%s`", info->task, info->schema, info->table);
    Pb__DDLLockInfo li = PB__DDLLOCK_INFO__INIT;
    li.task = info->task;
    li.id = id;
    ck_assert_int_eq(rpc_stream_send(st, &li.base), DM_OK);
    protobuf_c_message_free_unpacked(m, NULL);
}

START_TEST(stream_ping_pong_3_rounds)
{
    struct rpc_stream *st = NULL;
    ck_assert_int_eq(rpc_stream_open(chan, m_fetch, 0, &st), DM_OK);
    for (int i = 0; i < 3; i++)
        master_round(st, 5000);
    int status = -1;
    ck_assert_int_eq(rpc_stream_close(st, &status), DM_OK);
    ck_assert_int_eq(status, RPC_OK);
    pthread_mutex_lock(&seen.mu);
    int rounds_ok = seen.rounds_ok, final_rc = seen.final_recv_rc;
    pthread_mutex_unlock(&seen.mu);
    ck_assert_int_eq(rounds_ok, 3);
    ck_assert_int_eq(final_rc, DM_E_UNAVAILABLE);
}
END_TEST

START_TEST(stream_recv_timeout_keeps_pending_recv)
{
    char target[64];
    struct rpc_server *s = start_server("slow", target, sizeof(target));
    ck_assert_ptr_nonnull(s);
    struct rpc_channel *c = rpc_channel_new(target);
    struct rpc_stream *st = NULL;
    ck_assert_int_eq(rpc_stream_open(c, m_fetch, 10000, &st), DM_OK);
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    long long t0 = tu_now_ms();
    ck_assert_int_eq(rpc_stream_recv(st, 100, &m), DM_E_TIMEOUT);
    ck_assert_ptr_null(m);
    ck_assert_int_lt(tu_now_ms() - t0, 350);
    for (int i = 0; i < 3; i++)
        master_round(st, 3000);   /* the first one completes the recv left pending */
    int status = -1;
    ck_assert_int_eq(rpc_stream_close(st, &status), DM_OK);
    ck_assert_int_eq(status, RPC_OK);
    rpc_channel_free(c);
    rpc_server_shutdown(s, 1000);
    rpc_server_free(s);
}
END_TEST

START_TEST(stream_open_unreachable_fails_fast)
{
    char t[64];
    snprintf(t, sizeof(t), "127.0.0.1:%d", tu_free_port());
    struct rpc_channel *dead = rpc_channel_new(t);
    struct rpc_stream *st = (struct rpc_stream *)1;
    long long t0 = tu_now_ms();
    int rc = rpc_stream_open(dead, m_fetch, 0, &st);
    if (rc == DM_OK) {   /* gRPC may accept the headers locally: then recv fails */
        ProtobufCMessage *m = NULL;
        ck_assert_int_eq(rpc_stream_recv(st, 2000, &m), DM_E_UNAVAILABLE);
        int status = -1;
        ck_assert_int_eq(rpc_stream_close(st, &status), DM_OK);
        ck_assert_int_eq(status, RPC_UNAVAILABLE);
    } else {
        ck_assert_int_eq(rc, DM_E_UNAVAILABLE);
        ck_assert_ptr_null(st);
    }
    ck_assert_int_lt(tu_now_ms() - t0, 1500);
    rpc_channel_free(dead);
    const struct rpc_method *unary = rpc_method_find(&pb__worker__descriptor, "QueryStatus");
    ck_assert_int_eq(rpc_stream_open(chan, unary, 0, &st), DM_E_INVAL);
}
END_TEST

/* Server shutdown with a stream whose handler is blocked in recv: the stream is
 * cancelled, the handler returns, shutdown does not hang, the client sees the end. */
START_TEST(stream_server_shutdown_in_flight)
{
    char target[64];
    struct rpc_server *s = start_server("hold", target, sizeof(target));
    ck_assert_ptr_nonnull(s);
    struct rpc_channel *c = rpc_channel_new(target);
    struct rpc_stream *st = NULL;
    ck_assert_int_eq(rpc_stream_open(c, m_fetch, 0, &st), DM_OK);
    Pb__DDLLockInfo li = PB__DDLLOCK_INFO__INIT;
    ck_assert_int_eq(rpc_stream_send(st, &li.base), DM_OK);
    usleep(200 * 1000);
    long long t0 = tu_now_ms();
    rpc_server_shutdown(s, 100);
    ck_assert_int_lt(tu_now_ms() - t0, 2000);
    pthread_mutex_lock(&seen.mu);
    int final_rc = seen.final_recv_rc, send_rc = seen.send_after_cancel_rc;
    pthread_mutex_unlock(&seen.mu);
    ck_assert_int_eq(final_rc, DM_E_UNAVAILABLE);
    ck_assert_int_eq(send_rc, DM_E_UNAVAILABLE);
    ProtobufCMessage *m = NULL;
    ck_assert_int_eq(rpc_stream_recv(st, 2000, &m), DM_E_UNAVAILABLE);
    int status = RPC_OK;
    ck_assert_int_eq(rpc_stream_close(st, &status), DM_OK);
    ck_assert_int_ne(status, RPC_OK);
    rpc_channel_free(c);
    rpc_server_free(s);
}
END_TEST

/* Client closes while the worker handler waits in recv: it sees end of stream. */
START_TEST(stream_client_close_while_server_busy)
{
    char target[64];
    struct rpc_server *s = start_server("hold", target, sizeof(target));
    ck_assert_ptr_nonnull(s);
    struct rpc_channel *c = rpc_channel_new(target);
    struct rpc_stream *st = NULL;
    ck_assert_int_eq(rpc_stream_open(c, m_fetch, 0, &st), DM_OK);
    usleep(100 * 1000);
    int status = RPC_OK;
    long long t0 = tu_now_ms();
    ck_assert_int_eq(rpc_stream_close(st, &status), DM_OK);
    /* the half-close reaches the handler, which returns NOT_FOUND: no cancel needed */
    ck_assert_int_lt(tu_now_ms() - t0, 900);
    ck_assert_int_eq(status, RPC_NOT_FOUND);
    rpc_channel_free(c);
    rpc_server_shutdown(s, 1000);
    rpc_server_free(s);
}
END_TEST

int main(void)
{
    if (rpc_global_init() != DM_OK)
        return EXIT_FAILURE;
    m_fetch = rpc_method_find(&pb__worker__descriptor, "FetchDDLInfo");
    char target[64];
    srv = start_server("pingpong", target, sizeof(target));
    if (!m_fetch || !srv)
        return EXIT_FAILURE;
    chan = rpc_channel_new(target);

    Suite *s = suite_create("rpc_stream");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, stream_ping_pong_3_rounds);
    tcase_add_test(tc, stream_recv_timeout_keeps_pending_recv);
    tcase_add_test(tc, stream_open_unreachable_fails_fast);
    tcase_add_test(tc, stream_server_shutdown_in_flight);
    tcase_add_test(tc, stream_client_close_while_server_busy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);   /* gRPC threads do not survive fork() */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    rpc_channel_free(chan);
    rpc_server_shutdown(srv, 1000);
    rpc_server_free(srv);
    rpc_global_shutdown();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_dmreply.c - routes/dmreply.c: DM answer -> HTTP status, including the
 * regressions found by the end-to-end suite against the real dm-master + dm-worker. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmmaster.pb-c.h"
#include "dmreply.h"
#include "pbjson.h"
#include "testutil.h"

static int status_of(const ProtobufCMessageDescriptor *d, const char *json, int ok, int *code)
{
    ProtobufCMessage *m = NULL;
    ck_assert_int_eq(pbjson_decode(d, json, strlen(json), &m, NULL, 0), 0);
    int st = dmreply_status(m, ok, code);
    protobuf_c_message_free_unpacked(m, NULL);
    return st;
}

/* The real master's answer to a second start-task of a running task. */
static const char *START_TWICE =
    "{\"result\":true,\"msg\":\"\",\"workers\":[{\"result\":false,\"worker\":\"127.0.0.1:50999\","
    "\"msg\":\"[code=38032:class=dm-master:scope=internal:level=high] operation 2 of task "
    "shop-sync on worker 127.0.0.1:50999 not success: [code=40055:class=dm-worker:"
    "scope=internal:level=high] sub task shop-sync already exists\"}]}";

START_TEST(test_regress_start_twice_409)
{
    int code = 0;
    ck_assert_int_eq(status_of(&pb__start_task_response__descriptor, START_TWICE, 201, &code), 409);
    ck_assert_int_eq(code, 40055);
}
END_TEST

START_TEST(test_regress_wrapped_codes_innermost_wins)
{
    int code = 0;
    ck_assert_int_eq(dmreply_status_for_msg(
                         "[code=38032:class=dm-master:scope=internal:level=high] operation 3 of "
                         "task t on worker w not success: [code=40054:class=dm-worker:"
                         "scope=internal:level=high] sub task t not exists",
                         &code),
                     404);
    ck_assert_int_eq(code, 40054);
    for (int c = 40050; c <= 40052; c++) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "[code=38008:class=dm-master:scope=internal:level=high] grpc request error: "
                 "[code=%d:class=dm-worker:scope=internal:level=medium] wrong stage",
                 c);
        ck_assert_int_eq(dmreply_status_for_msg(msg, &code), 409);
        ck_assert_int_eq(code, c);
    }
    /* relay control: stages 409, refused config / binlog name 422 */
    static const int relay_codes[][2] = { {40053, 409}, {40057, 409}, {40058, 409},
                                          {40059, 422}, {40003, 422}, {30004, 422} };
    for (size_t i = 0; i < sizeof relay_codes / sizeof relay_codes[0]; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "[code=%d:class=dm-worker:scope=internal:level=high] x",
                 relay_codes[i][0]);
        ck_assert_int_eq(dmreply_status_for_msg(msg, &code), relay_codes[i][1]);
        ck_assert_int_eq(code, relay_codes[i][0]);
    }
    /* wrapper around an unknown code: 500, header names the inner code */
    ck_assert_int_eq(dmreply_status_for_msg("[code=38032:class=x] op not success: [code=40099:class=y] boom",
                                            &code),
                     500);
    ck_assert_int_eq(code, 40099);
    /* a wrapper alone is still reported */
    ck_assert_int_eq(dmreply_status_for_msg("[code=38008:class=x] grpc request error", &code), 500);
    /* a worker down or slow behind the master (gwattack4: was 500) */
    ck_assert_int_eq(dmreply_status_for_msg("[code=38008:class=dm-master:scope=internal:level=high] grpc "
                                            "request error: rpc error: code = Unavailable desc = "
                                            "connection refused", &code), 503);
    ck_assert_int_eq(code, 38008);
    ck_assert_int_eq(dmreply_status_for_msg("[code=38008:class=dm-master] grpc request error: rpc error: "
                                            "code = DeadlineExceeded desc = context deadline exceeded",
                                            &code), 504);
    ck_assert_int_eq(code, 38008);
    /* outer known code around an unknown inner one: the known one decides */
    ck_assert_int_eq(dmreply_status_for_msg("[code=38033:class=x] timeout: [code=40099:class=y] x", &code), 504);
    /* an invalid task pattern is the request's fault */
    ck_assert_int_eq(dmreply_status_for_msg("[code=26006:class=dm-master:scope=internal:level=medium] fail to "
                                            "initial checker: generate black white list error: x", &code), 422);
    ck_assert_int_eq(code, 26006);
    ck_assert_int_eq(dmreply_status_for_msg("[code=36030:class=dm-master] generate binlog event filter: x",
                                            &code), 422);
    /* gwharden: a master config or a relay file name DM refuses is the request's fault */
    ck_assert_int_eq(dmreply_status_for_msg("Failed to parse configure from file m.toml, detail: [code=38013:"
                                            "class=dm-master] config toml transform: line 1", &code), 422);
    ck_assert_int_eq(dmreply_status_for_msg("[code=38015:class=dm-master] update config file", &code), 500);
    ck_assert_int_eq(dmreply_status_for_msg("[code=30004:class=relay-unit] binlog filename ../x not valid",
                                            &code), 422);
    /* plain codes and code-less texts unchanged */
    ck_assert_int_eq(dmreply_status_for_msg("[code=38018:class=dm-master] rate", &code), 429);
    ck_assert_int_eq(code, 38018);
    ck_assert_int_eq(dmreply_status_for_msg("task x has no workers or not exist", &code), 404);
    ck_assert_int_eq(code, 0);
    ck_assert_int_eq(dmreply_status_for_msg(NULL, &code), 500);
}
END_TEST

START_TEST(test_regress_all_workers_failed_not_partial)
{
    int code = 0;
    /* two workers, both "already exists": 409, not 207 */
    const char *both =
        "{\"result\":true,\"workers\":[{\"result\":false,\"worker\":\"a\",\"msg\":\"[code=38032:c] "
        "not success: [code=40055:c] sub task t already exists\"},{\"result\":false,\"worker\":\"b\","
        "\"msg\":\"[code=38032:c] not success: [code=40055:c] sub task t already exists\"}]}";
    ck_assert_int_eq(status_of(&pb__start_task_response__descriptor, both, 201, &code), 409);
    ck_assert_int_eq(code, 40055);
    /* the first failure with a known cause decides over an unknown one */
    const char *mixed_causes =
        "{\"result\":true,\"workers\":[{\"result\":false,\"worker\":\"a\",\"msg\":\"boom\"},"
        "{\"result\":false,\"worker\":\"b\",\"msg\":\"[code=40054:c] sub task t not exists\"}]}";
    ck_assert_int_eq(status_of(&pb__start_task_response__descriptor, mixed_causes, 201, &code), 404);
    /* a real mix stays 207 without an error code */
    const char *mix =
        "{\"result\":true,\"workers\":[{\"result\":true,\"worker\":\"a\"},{\"result\":false,"
        "\"worker\":\"b\",\"msg\":\"[code=40055:c] exists\"}]}";
    ck_assert_int_eq(status_of(&pb__start_task_response__descriptor, mix, 201, &code), 207);
    ck_assert_int_eq(code, 0);
    /* OperateTask's workers carry meta.result */
    const char *op =
        "{\"op\":\"Pause\",\"result\":true,\"workers\":[{\"meta\":{\"result\":false,\"worker\":\"w\","
        "\"msg\":\"[code=38032:c] not success: [code=40051:c] not running\"},\"op\":\"Pause\"}]}";
    ck_assert_int_eq(status_of(&pb__operate_task_response__descriptor, op, 200, &code), 409);
    ck_assert_int_eq(code, 40051);
    /* all ok */
    ck_assert_int_eq(status_of(&pb__start_task_response__descriptor,
                               "{\"result\":true,\"workers\":[{\"result\":true,\"worker\":\"a\"}]}",
                               201, &code),
                     201);
    /* top-level failure with a wrapped code */
    ck_assert_int_eq(status_of(&pb__start_task_response__descriptor,
                               "{\"result\":false,\"msg\":\"[code=38032:c] x: [code=40055:c] exists\"}",
                               201, &code),
                     409);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dmreply");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_regress_start_twice_409);
    tcase_add_test(tc, test_regress_wrapped_codes_innermost_wins);
    tcase_add_test(tc, test_regress_all_workers_failed_not_partial);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

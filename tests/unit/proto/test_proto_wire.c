/* test_proto_wire.c - the generated pb.* code packs the bytes DM v1.0 (gogo protobuf)
 * puts on the wire. Every expected byte string below is computed by hand from the
 * protobuf encoding rules: tag = (field_number << 3) | wire_type, wire type 0 = varint,
 * 2 = length-delimited; proto3 omits zero scalars; int64 negatives are 10-byte varints. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dmmaster.pb-c.h"
#include "testutil.h"

static void assert_packs(const ProtobufCMessage *m, const uint8_t *want, size_t n)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    ck_assert_uint_eq(len, n);
    uint8_t *buf = malloc(len ? len : 1);
    ck_assert_uint_eq(protobuf_c_message_pack(m, buf), n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(buf[i] == want[i], "byte %zu: got %02x want %02x", i, buf[i], want[i]);
    free(buf);
}

START_TEST(operate_task_request_pause)
{
    Pb__OperateTaskRequest r = PB__OPERATE_TASK_REQUEST__INIT;
    r.op = PB__TASK_OP__Pause;
    r.name = (char *)"test";
    static const uint8_t want[] = {
        0x08, 0x02,                         /* 1 op: varint 2 (Pause) */
        0x12, 0x04, 't', 'e', 's', 't',     /* 2 name: len 4 "test" */
    };                                      /* 3 workers: empty -> absent */
    assert_packs(&r.base, want, sizeof(want));

    Pb__OperateTaskRequest *back =
        pb__operate_task_request__unpack(NULL, sizeof(want), want);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(back->op, PB__TASK_OP__Pause);
    ck_assert_str_eq(back->name, "test");
    pb__operate_task_request__free_unpacked(back, NULL);
}
END_TEST

START_TEST(query_status_response_with_sync_oneof)
{
    Pb__SyncStatus sync = PB__SYNC_STATUS__INIT;
    sync.totalevents = 300;
    sync.synced = 1;
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    st.name = (char *)"t";
    st.stage = PB__STAGE__Running;
    st.unit = PB__UNIT_TYPE__Sync;
    st.status_case = PB__SUB_TASK_STATUS__STATUS_SYNC;
    st.sync = &sync;
    Pb__SubTaskStatus *sts[] = {&st};
    Pb__QueryStatusResponse r = PB__QUERY_STATUS_RESPONSE__INIT;
    r.result = 1;
    r.worker = (char *)"w";
    r.n_subtaskstatus = 1;
    r.subtaskstatus = sts;
    r.sourceid = (char *)"s";
    static const uint8_t want[] = {
        0x08, 0x01,             /* 1 result: true */
        0x12, 0x01, 'w',        /* 2 worker: "w" */
                                /* 3 msg: "" -> absent */
        0x22, 0x0e,             /* 4 subTaskStatus: len 14 */
        0x0a, 0x01, 't',        /*   1 name: "t" */
        0x10, 0x02,             /*   2 stage: Running (2) */
        0x18, 0x04,             /*   3 unit: Sync (4) */
                                /*   4 result: nil, 5 unresolvedDDLLockID: "" -> absent */
        0x52, 0x05,             /*   10 sync: tag (10<<3)|2 = 0x52, len 5 */
        0x08, 0xac, 0x02,       /*     1 totalEvents: 300 = 0b10_0101100 -> ac 02 */
        0x50, 0x01,             /*     10 synced: tag (10<<3)|0 = 0x50, true */
                                /* 5 relayStatus: nil -> absent */
        0x32, 0x01, 's',        /* 6 sourceID: "s" */
    };
    assert_packs(&r.base, want, sizeof(want));

    Pb__QueryStatusResponse *back = pb__query_status_response__unpack(NULL, sizeof(want), want);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(back->n_subtaskstatus, 1);
    ck_assert_int_eq(back->subtaskstatus[0]->status_case, PB__SUB_TASK_STATUS__STATUS_SYNC);
    ck_assert(back->subtaskstatus[0]->sync->totalevents == 300);
    ck_assert_ptr_null(back->relaystatus);
    ck_assert_str_eq(back->sourceid, "s");
    pb__query_status_response__free_unpacked(back, NULL);
}
END_TEST

START_TEST(negative_int64_and_large_enum)
{
    Pb__OperateSubTaskResponse r = PB__OPERATE_SUB_TASK_RESPONSE__INIT;
    r.op = PB__TASK_OP__Pause;
    r.logid = -1;
    static const uint8_t want[] = {
        0x10, 0x02,                                                 /* 2 op: Pause */
        0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* 3 logID: -1 as */
        0x01,                                                       /*   10-byte varint */
    };
    assert_packs(&r.base, want, sizeof(want));

    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    st.unit = PB__UNIT_TYPE__Relay;
    static const uint8_t relay[] = {0x18, 0x64}; /* 3 unit: Relay = 100 = 0x64 */
    assert_packs(&st.base, relay, sizeof(relay));
}
END_TEST

START_TEST(oneof_member_with_empty_value_is_present)
{
    /* a set oneof member is written even when it holds its zero value */
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    st.status_case = PB__SUB_TASK_STATUS__STATUS_MSG;
    st.msg = (char *)"";
    static const uint8_t want[] = {0x32, 0x00}; /* 6 msg: tag (6<<3)|2, len 0 */
    assert_packs(&st.base, want, sizeof(want));
    Pb__SubTaskStatus *back = pb__sub_task_status__unpack(NULL, sizeof(want), want);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(back->status_case, PB__SUB_TASK_STATUS__STATUS_MSG);
    ck_assert_str_eq(back->msg, "");
    pb__sub_task_status__free_unpacked(back, NULL);
}
END_TEST

START_TEST(repeated_strings_and_bytes)
{
    char *w[] = {(char *)"a:1", (char *)""};
    Pb__StartTaskRequest r = PB__START_TASK_REQUEST__INIT;
    r.task = (char *)"y";
    r.n_workers = 2;
    r.workers = w;
    static const uint8_t want[] = {
        0x0a, 0x01, 'y',            /* 1 task: "y" */
        0x12, 0x03, 'a', ':', '1',  /* 2 workers[0]: "a:1" */
        0x12, 0x00,                 /* 2 workers[1]: "" (repeated elements always written) */
    };
    assert_packs(&r.base, want, sizeof(want));

    static uint8_t raw[] = {0x00, 0xff};
    Pb__TaskMeta m = PB__TASK_META__INIT;
    m.task.data = raw;
    m.task.len = 2;
    m.stage = PB__STAGE__Paused;
    static const uint8_t meta[] = {
        0x10, 0x03,             /* 2 stage: Paused (3) */
        0x22, 0x02, 0x00, 0xff, /* 4 task: bytes len 2 */
    };
    assert_packs(&m.base, meta, sizeof(meta));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto_wire");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, operate_task_request_pause);
    tcase_add_test(tc, query_status_response_with_sync_oneof);
    tcase_add_test(tc, negative_int64_and_large_enum);
    tcase_add_test(tc, oneof_member_with_empty_value_is_present);
    tcase_add_test(tc, repeated_strings_and_bytes);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* test_pbjson.c - rpc/pbjson.c encoder: golden files (dm-v1-wire.md §4), layout corner
 * cases of golang/protobuf v1.3.4 jsonpb, Go string/float formatting, gateway style. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "pbjson.h"
#include "test_pbjson_node.h"
#include "test_pbjson_sample.h"
#include "testutil.h"

static char *golden(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "tests/data/golden/%s", name);
    char *s = tu_read_source_file(rel, NULL);
    ck_assert_msg(s != NULL, "cannot read %s", rel);
    return s;
}

static char *enc(const ProtobufCMessage *m, enum pbjson_style style)
{
    char *s = pbjson_encode_str(m, style);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Byte-exact comparison reporting the first difference with some context. */
static void assert_same(const char *got, const char *want)
{
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    size_t from = i > 30 ? i - 30 : 0;
    ck_assert_msg(got[i] == want[i], "differs at byte %zu:\n got: ...%.60s\nwant: ...%.60s", i,
                  got + from, want + from);
}

static void assert_enc(const ProtobufCMessage *m, enum pbjson_style style, const char *want)
{
    char *got = enc(m, style);
    assert_same(got, want);
    free(got);
}

/* Remove the whitespace outside strings: dmctl layout -> compact. */
static char *strip_ws(const char *s)
{
    char *o = malloc(strlen(s) + 1), *p = o;
    int in = 0, esc = 0;
    for (; *s; s++) {
        if (in) {
            esc = esc ? 0 : *s == '\\';
            in = esc || *s != '"';
        } else if (*s == '"') {
            in = 1;
        } else if (*s == ' ' || *s == '\n') {
            continue;
        }
        *p++ = *s;
    }
    *p = '\0';
    return o;
}

START_TEST(golden_pause_task)
{
    Pb__CommonWorkerResponse meta = PB__COMMON_WORKER_RESPONSE__INIT;
    meta.result = 1;
    meta.worker = (char *)"172.16.30.15:8262";
    Pb__OperateSubTaskResponse sub = PB__OPERATE_SUB_TASK_RESPONSE__INIT;
    sub.meta = &meta;
    sub.op = PB__TASK_OP__Pause;
    sub.logid = 2;
    Pb__OperateSubTaskResponse *subs[] = {&sub};
    Pb__OperateTaskResponse resp = PB__OPERATE_TASK_RESPONSE__INIT;
    resp.op = PB__TASK_OP__Pause;
    resp.result = 1;
    resp.n_workers = 1;
    resp.workers = subs;

    char *want = golden("pause_task.dmctl.json");
    assert_enc(&resp.base, PBJSON_DMCTL, want);
    char *compact = strip_ws(want);
    assert_enc(&resp.base, PBJSON_COMPACT, compact);
    assert_enc(&resp.base, PBJSON_GATEWAY,
               "{\"op\":\"Pause\",\"result\":true,\"workers\":[{\"meta\":{\"result\":true,"
               "\"worker\":\"172.16.30.15:8262\"},\"op\":\"Pause\",\"logID\":\"2\"}]}");
    free(compact);
    free(want);
}
END_TEST

START_TEST(golden_query_status)
{
    struct qs_sample s;
    qs_sample_init(&s);
    char *want = golden("query_status.dmctl.json");
    assert_enc(&s.resp.base, PBJSON_DMCTL, want);
    char *compact = strip_ws(want);
    assert_enc(&s.resp.base, PBJSON_COMPACT, compact);
    char *gw = golden("query_status.gateway.json");
    assert_enc(&s.resp.base, PBJSON_GATEWAY, gw);
    free(gw);
    free(compact);
    free(want);
}
END_TEST

START_TEST(empty_message_and_empty_oneof_message)
{
    Pb__RefreshWorkerTasksRequest r = PB__REFRESH_WORKER_TASKS_REQUEST__INIT;
    assert_enc(&r.base, PBJSON_DMCTL, "{\n\n}"); /* jsonpb writes "{\n" then "\n}" */
    assert_enc(&r.base, PBJSON_COMPACT, "{}");
    assert_enc(&r.base, PBJSON_GATEWAY, "{}");

    Pb__DumpStatus dump = PB__DUMP_STATUS__INIT;
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    st.name = (char *)"a";
    st.status_case = PB__SUB_TASK_STATUS__STATUS_DUMP;
    st.dump = &dump;
    assert_enc(&st.base, PBJSON_DMCTL,
               "{\n    \"name\": \"a\",\n    \"stage\": \"InvalidStage\",\n"
               "    \"unit\": \"InvalidUnit\",\n    \"result\": null,\n"
               "    \"unresolvedDDLLockID\": \"\",\n    \"dump\": {\n\n    }\n}");
    assert_enc(&st.base, PBJSON_GATEWAY, "{\"name\":\"a\",\"dump\":{}}");
}
END_TEST

START_TEST(oneof_unset_omitted_and_set_empty_string_kept)
{
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    assert_enc(&st.base, PBJSON_COMPACT,
               "{\"name\":\"\",\"stage\":\"InvalidStage\",\"unit\":\"InvalidUnit\","
               "\"result\":null,\"unresolvedDDLLockID\":\"\"}");
    assert_enc(&st.base, PBJSON_GATEWAY, "{}");
    st.status_case = PB__SUB_TASK_STATUS__STATUS_MSG;
    st.msg = (char *)"";
    assert_enc(&st.base, PBJSON_GATEWAY, "{\"msg\":\"\"}");
    st.msg = (char *)"no sub task with name x has started";
    st.stage = 42; /* unknown enum numbers print bare, like jsonpb */
    assert_enc(&st.base, PBJSON_COMPACT,
               "{\"name\":\"\",\"stage\":42,\"unit\":\"InvalidUnit\",\"result\":null,"
               "\"unresolvedDDLLockID\":\"\",\"msg\":\"no sub task with name x has started\"}");
}
END_TEST

START_TEST(empty_repeated_layout)
{
    Pb__OperateTaskRequest r = PB__OPERATE_TASK_REQUEST__INIT;
    r.op = PB__TASK_OP__Stop;
    r.name = (char *)"t";
    assert_enc(&r.base, PBJSON_DMCTL,
               "{\n    \"op\": \"Stop\",\n    \"name\": \"t\",\n    \"workers\": [\n    ]\n}");
    assert_enc(&r.base, PBJSON_COMPACT, "{\"op\":\"Stop\",\"name\":\"t\",\"workers\":[]}");
    assert_enc(&r.base, PBJSON_GATEWAY, "{\"op\":\"Stop\",\"name\":\"t\"}");
    char *w[] = {(char *)"a", (char *)"b"};
    r.n_workers = 2;
    r.workers = w;
    assert_enc(&r.base, PBJSON_DMCTL,
               "{\n    \"op\": \"Stop\",\n    \"name\": \"t\",\n    \"workers\": [\n"
               "        \"a\",\n        \"b\"\n    ]\n}");
}
END_TEST

START_TEST(bytes_base64_and_null)
{
    Pb__CheckStatus c = PB__CHECK_STATUS__INIT;
    assert_enc(&c.base, PBJSON_COMPACT,
               "{\"passed\":false,\"total\":0,\"successful\":0,\"failed\":0,\"warning\":0,"
               "\"detail\":null}");
    static uint8_t raw[] = {0x00, 0xff, 0x10, 'a'};
    c.detail.data = raw;
    c.detail.len = 4;
    c.total = -5;
    assert_enc(&c.base, PBJSON_GATEWAY, "{\"total\":-5,\"detail\":\"AP8QYQ==\"}");
    c.detail.len = 0; /* present but empty: "" like Go's []byte{} */
    assert_enc(&c.base, PBJSON_GATEWAY, "{\"total\":-5,\"detail\":\"\"}");
    c.detail.len = 2;
    assert_enc(&c.base, PBJSON_GATEWAY, "{\"total\":-5,\"detail\":\"AP8=\"}");
}
END_TEST

START_TEST(go_string_escapes)
{
    struct dm_buf b;
    dm_buf_init(&b, 1024);
    const char in[] = "q\"b\\s/<>&\x01\b\f\n\r\t\x7f\xe2\x80\xa8\xe2\x80\xa9"
                      "\xc3\xa9\xff\xed\xa0\x80\xf0\x9f\x98\x80";
    ck_assert_int_eq(pbjson_add_go_str(&b, in, sizeof(in) - 1), DM_OK);
    ck_assert_str_eq(b.data, "\"q\\\"b\\\\s/\\u003c\\u003e\\u0026\\u0001\\u0008\\u000c\\n\\r\\t"
                             "\x7f\\u2028\\u2029\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd"
                             "\xf0\x9f\x98\x80\"");
    dm_buf_free(&b);

    Pb__CheckTaskRequest r = PB__CHECK_TASK_REQUEST__INIT;
    r.task = NULL; /* a NULL string prints as "" */
    assert_enc(&r.base, PBJSON_COMPACT, "{\"task\":\"\"}");
}
END_TEST

START_TEST(go_floats_uint64_and_optional)
{
    static const struct {
        double d;
        float f;
        const char *ds, *fs;
    } cases[] = {
        {1.5, 0.1f, "1.5", "0.1"},
        {1e21, 1e21f, "1e+21", "1e+21"},
        {1e20, 16777216.0f, "100000000000000000000", "16777216"},
        {1e-7, 3.4028235e38f, "1e-7", "3.4028235e+38"},
        {0.000001, -0.5f, "0.000001", "-0.5"},
        {-2.5e-10, 1e-7f, "-2.5e-10", "1e-7"},
        {123456789.0, 0.3f, "123456789", "0.3"},
        {0.1 + 0.2, 100.25f, "0.30000000000000004", "100.25"},
        {-0.0, 0.0f, "-0", "0"},
        {1.7976931348623157e308, 1.0f, "1.7976931348623157e+308", "1"},
        {5e-324, 1.4e-45f, "5e-324", "1e-45"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct node n;
        node_init(&n.base);
        n.d = cases[i].d;
        n.f = cases[i].f;
        n.u64 = UINT64_MAX;
        char want[256];
        snprintf(want, sizeof(want),
                 "{\"child_node\":null,\"d\":%s,\"f\":%s,\"u64\":\"18446744073709551615\","
                 "\"opt\":null}",
                 cases[i].ds, cases[i].fs);
        assert_enc(&n.base, PBJSON_COMPACT, want);
    }
    struct node n;
    node_init(&n.base);
    n.d = NAN;
    n.f = -INFINITY;
    n.has_opt = 1;
    assert_enc(&n.base, PBJSON_COMPACT,
               "{\"child_node\":null,\"d\":\"NaN\",\"f\":\"-Infinity\",\"u64\":\"0\",\"opt\":0}");
    assert_enc(&n.base, PBJSON_GATEWAY, "{\"d\":\"NaN\",\"f\":\"-Infinity\",\"opt\":0}");
}
END_TEST

START_TEST(bounded_output_is_restored)
{
    struct qs_sample s;
    qs_sample_init(&s);
    struct dm_buf b;
    dm_buf_init(&b, 100);
    ck_assert_int_eq(dm_buf_adds(&b, "prefix:"), DM_OK);
    ck_assert_int_eq(pbjson_encode(&s.resp.base, PBJSON_DMCTL, &b), DM_E_TOO_LARGE);
    ck_assert_str_eq(b.data, "prefix:");
    ck_assert_uint_eq(b.len, 7);
    ck_assert_int_eq(pbjson_encode(NULL, PBJSON_DMCTL, &b), DM_OK);
    ck_assert_str_eq(b.data, "prefix:null");
    dm_buf_free(&b);
}
END_TEST

/* Integers are formatted without printf (issue 18): extremes of every width. */
START_TEST(integer_extremes)
{
    Pb__CheckStatus cs = PB__CHECK_STATUS__INIT;
    cs.total = INT32_MIN;
    cs.successful = INT32_MAX;
    cs.failed = -1;
    cs.warning = 0;
    char *s = enc(&cs.base, PBJSON_COMPACT);
    ck_assert_str_eq(s, "{\"passed\":false,\"total\":-2147483648,\"successful\":2147483647,"
                        "\"failed\":-1,\"warning\":0,\"detail\":null}");
    free(s);
    Pb__LoadStatus ls = PB__LOAD_STATUS__INIT;
    ls.finishedbytes = INT64_MIN;
    ls.totalbytes = INT64_MAX;
    s = enc(&ls.base, PBJSON_GATEWAY);
    ck_assert_str_eq(s, "{\"finishedBytes\":\"-9223372036854775808\","
                        "\"totalBytes\":\"9223372036854775807\"}");
    free(s);
    ls.finishedbytes = 0;
    ls.totalbytes = 7;
    s = enc(&ls.base, PBJSON_DMCTL);
    ck_assert_ptr_nonnull(strstr(s, "\"finishedBytes\": \"0\",\n"));
    ck_assert_ptr_nonnull(strstr(s, "\"totalBytes\": \"7\",\n"));
    free(s);
}
END_TEST

int main(void)
{
Suite *s = suite_create("pbjson");
    TCase *tc = tcase_create("encode");
    tcase_add_test(tc, golden_pause_task);
    tcase_add_test(tc, integer_extremes);
    tcase_add_test(tc, golden_query_status);
    tcase_add_test(tc, empty_message_and_empty_oneof_message);
    tcase_add_test(tc, oneof_unset_omitted_and_set_empty_string_kept);
    tcase_add_test(tc, empty_repeated_layout);
    tcase_add_test(tc, bytes_base64_and_null);
    tcase_add_test(tc, go_string_escapes);
    tcase_add_test(tc, go_floats_uint64_and_optional);
    tcase_add_test(tc, bounded_output_is_restored);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

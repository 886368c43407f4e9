/* test_dmjson.c - rpc/dmjson.c: dmctl's condensed query-status (golden + every rule of
 * dm/ctl/master/query_status.go wrapTaskResult), strip_stack, error_code. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmjson.h"
#include "test_pbjson_sample.h"
#include "testutil.h"

static char *condensed(const Pb__QueryStatusListResponse *r, bool pretty)
{
    struct dm_buf b;
    dm_buf_init(&b, 1 << 20);
    ck_assert_int_eq(dmjson_condensed_status(r, pretty, &b), DM_OK);
    return dm_buf_take(&b);
}

START_TEST(golden_condensed)
{
    struct qs_sample s;
    qs_sample_init(&s);
    char *want = tu_read_source_file("tests/data/golden/query_status.condensed.json", NULL);
    ck_assert_ptr_nonnull(want);
    char *got = condensed(&s.resp, true);
    ck_assert_str_eq(got, want);
    free(got);
    got = condensed(&s.resp, false);
    ck_assert_str_eq(got, "{\"result\":true,\"msg\":\"\",\"tasks\":[{\"taskName\":\"test\","
                          "\"taskStatus\":\"Error - Some error occurred in subtask. Please run "
                          "`query-status test` to get more details.\",\"workers\":"
                          "[\"172.16.10.72:8262\",\"172.16.10.73:8262\"]}]}");
    free(got);
    free(want);
}
END_TEST

START_TEST(empty_and_escaped)
{
    Pb__QueryStatusListResponse r = PB__QUERY_STATUS_LIST_RESPONSE__INIT;
    r.result = 1;
    char *got = condensed(&r, true);
    ck_assert_str_eq(got, "{\n    \"result\": true,\n    \"msg\": \"\",\n    \"tasks\": []\n}");
    free(got);
    r.msg = (char *)"a<b>&\"";
    got = condensed(&r, false);
    ck_assert_str_eq(got, "{\"result\":true,\"msg\":\"a\\u003cb\\u003e\\u0026\\\"\",\"tasks\":[]}");
    free(got);
}
END_TEST

/* ---- the taskStatus rule -------------------------------------------------------- */

struct sub {
    const char *name;
    Pb__Stage stage;
    Pb__UnitType unit;
    int err;
};

struct wk {
    const char *addr;
    int relay_stage; /* -1: relayStatus null */
    int relay_err;
    struct sub subs[3];
};

struct built {
    Pb__QueryStatusListResponse resp;
    Pb__QueryStatusResponse w[4];
    Pb__QueryStatusResponse *wp[4];
    Pb__RelayStatus relay[4];
    Pb__SubTaskStatus st[4][3];
    Pb__SubTaskStatus *stp[4][3];
    Pb__ProcessResult pr;
    Pb__ProcessError pe;
    Pb__ProcessError *pes[1];
};

static void build(struct built *b, const struct wk *ws, size_t n)
{
    Pb__QueryStatusListResponse r = PB__QUERY_STATUS_LIST_RESPONSE__INIT;
    Pb__QueryStatusResponse w = PB__QUERY_STATUS_RESPONSE__INIT;
    Pb__RelayStatus rs = PB__RELAY_STATUS__INIT;
    Pb__SubTaskStatus st = PB__SUB_TASK_STATUS__INIT;
    Pb__ProcessResult pr = PB__PROCESS_RESULT__INIT;
    Pb__ProcessError pe = PB__PROCESS_ERROR__INIT;
    b->pe = pe;
    b->pes[0] = &b->pe;
    b->pr = pr;
    b->pr.n_errors = 1;
    b->pr.errors = b->pes;
    b->resp = r;
    b->resp.result = 1;
    for (size_t i = 0; i < n; i++) {
        b->w[i] = w;
        b->w[i].worker = (char *)ws[i].addr;
        b->relay[i] = rs;
        b->relay[i].stage = ws[i].relay_stage;
        b->relay[i].result = ws[i].relay_err ? &b->pr : NULL;
        b->w[i].relaystatus = ws[i].relay_stage < 0 ? NULL : &b->relay[i];
        size_t k = 0;
        for (; k < 3 && ws[i].subs[k].name; k++) {
            b->st[i][k] = st;
            b->st[i][k].name = (char *)ws[i].subs[k].name;
            b->st[i][k].stage = ws[i].subs[k].stage;
            b->st[i][k].unit = ws[i].subs[k].unit;
            b->st[i][k].result = ws[i].subs[k].err ? &b->pr : NULL;
            b->stp[i][k] = &b->st[i][k];
        }
        b->w[i].n_subtaskstatus = k;
        b->w[i].subtaskstatus = b->stp[i];
        b->wp[i] = &b->w[i];
    }
    b->resp.n_workers = n;
    b->resp.workers = b->wp;
}

#define RUN PB__STAGE__Running
#define PAU PB__STAGE__Paused
#define SUFFIX ". Please run `query-status t` to get more details."

static const struct {
    struct wk w[3];
    const char *want;
} rules[] = {
    {{{"a", RUN, 0, {{"t", PB__STAGE__New, PB__UNIT_TYPE__Load, 0}}},
      {"b", RUN, 0, {{"t", PB__STAGE__New, PB__UNIT_TYPE__Dump, 0}}}},
     "New"},
    {{{"a", RUN, 0, {{"t", PB__STAGE__Finished, PB__UNIT_TYPE__Load, 0}}},
      {"b", RUN, 0, {{"t", PB__STAGE__Finished, PB__UNIT_TYPE__Load, 0}}}},
     "Finished"},
    {{{"a", RUN, 0, {{"t", PB__STAGE__Stopped, PB__UNIT_TYPE__Sync, 0}}}}, "Stopped"},
    {{{"a", RUN, 0, {{"t", PB__STAGE__New, PB__UNIT_TYPE__Load, 0}}},
      {"b", RUN, 0, {{"t", RUN, PB__UNIT_TYPE__Sync, 0}}}},
     "Running"},
    {{{"a", RUN, 0, {{"t", RUN, PB__UNIT_TYPE__Sync, 0}}},
      {"b", RUN, 0, {{"t", PAU, PB__UNIT_TYPE__Sync, 0}}},
      {"c", RUN, 0, {{"t", RUN, PB__UNIT_TYPE__Sync, 0}}}},
     "Paused"},
    {{{"a", RUN, 0, {{"t", PAU, PB__UNIT_TYPE__Sync, 0}}},
      {"b", RUN, 0, {{"t", PAU, PB__UNIT_TYPE__Load, 1}}}},
     "Error - Some error occurred in subtask" SUFFIX},
    {{{"a", RUN, 0, {{"t", PAU, PB__UNIT_TYPE__Load, 1}}},
      {"b", RUN, 0, {{"t", PAU, PB__UNIT_TYPE__Sync, 0}}}},
     "Error - Some error occurred in subtask" SUFFIX},
    {{{"a", PAU, 0, {{"t", RUN, PB__UNIT_TYPE__Sync, 0}}}}, "Error - Relay status is Paused" SUFFIX},
    {{{"a", PB__STAGE__Stopped, 1, {{"t", RUN, PB__UNIT_TYPE__Sync, 0}}}},
     "Error - Relay status is Error" SUFFIX},
    {{{"a", PAU, 0, {{"t", RUN, PB__UNIT_TYPE__Load, 0}}}}, "Running"}, /* relay only for Sync */
    {{{"a", -1, 0, {{"t", RUN, PB__UNIT_TYPE__Sync, 0}}}}, "Running"},  /* relayStatus null */
    {{{"a", PAU, 0, {{"t", PAU, PB__UNIT_TYPE__Sync, 0}}}}, "Paused"},  /* needs Running */
    {{{"a", RUN, 0, {{"t", PB__STAGE__Finished, PB__UNIT_TYPE__Load, 0}}},
      {"b", RUN, 0, {{"t", PB__STAGE__Stopped, PB__UNIT_TYPE__Load, 0}}}},
     "Running"},
    {{{"a", RUN, 0, {{"t", 9, PB__UNIT_TYPE__Load, 0}}}}, "9"}, /* Go String() of unknown */
};

START_TEST(task_status_rule)
{
    struct built b;
    build(&b, rules[_i].w, rules[_i].w[2].addr ? 3 : rules[_i].w[1].addr ? 2 : 1);
    struct dm_buf out;
    dm_buf_init(&out, 4096);
    ck_assert_int_eq(dmjson_task_status(&b.resp, "t", &out), DM_OK);
    ck_assert_str_eq(out.data, rules[_i].want);
    ck_assert_int_eq(dmjson_task_status(&b.resp, "other", &out), DM_E_NOT_FOUND);
    dm_buf_free(&out);
}
END_TEST

START_TEST(tasks_first_seen_order_and_omitempty)
{
    struct wk ws[2] = {
        {"w1", RUN, 0, {{"b", RUN, PB__UNIT_TYPE__Sync, 0}, {"a", PAU, PB__UNIT_TYPE__Sync, 0}}},
        {"w2", RUN, 0, {{"", RUN, PB__UNIT_TYPE__Sync, 0}, {"b", RUN, PB__UNIT_TYPE__Sync, 0}}},
    };
    struct built b;
    build(&b, ws, 2);
    char *got = condensed(&b.resp, false);
    ck_assert_str_eq(got, "{\"result\":true,\"msg\":\"\",\"tasks\":["
                          "{\"taskName\":\"b\",\"taskStatus\":\"Running\",\"workers\":[\"w1\",\"w2\"]},"
                          "{\"taskName\":\"a\",\"taskStatus\":\"Paused\",\"workers\":[\"w1\"]},"
                          "{\"taskStatus\":\"Running\",\"workers\":[\"w2\"]}]}");
    free(got);
    got = condensed(&b.resp, true);
    ck_assert_ptr_nonnull(strstr(got, "\n        {\n            \"taskStatus\": \"Running\",\n"
                                      "            \"workers\": [\n                \"w2\"\n"
                                      "            ]\n        }\n    ]\n}"));
    free(got);
}
END_TEST

/* ---- strip_stack / error_code ----------------------------------------------------- */

START_TEST(strip_stack_keeps_error_lines)
{
    const char *msg =
        "[code=38032:class=dm-master:scope=internal:level=high] operation 2 of task test on "
        "worker 172.16.10.72:8262 not success: [code=40050:class=dm-worker:scope=internal:"
        "level=high] current stage is Paused but not running, invalid\n"
        "github.com/pingcap/dm/pkg/terror.(*Error).Generate\n"
        "\t/home/jenkins/agent/workspace/build_dm_master/go/src/github.com/pingcap/dm/pkg/"
        "terror/terror.go:232\n"
        "github.com/pingcap/dm/dm/worker.(*Worker).handleTask\n"
        "\t/home/jenkins/go/src/github.com/pingcap/dm/dm/worker/worker.go:512\n"
        "runtime.goexit\n"
        "\t/usr/local/go/src/runtime/asm_amd64.s:1357\n"
        "second error: line with spaces\n"
        "main.main\n"
        "\t/x/main.go:10 +0x1f\n";
    char *s = dmjson_strip_stack(msg);
    ck_assert_str_eq(s, "[code=38032:class=dm-master:scope=internal:level=high] operation 2 of "
                        "task test on worker 172.16.10.72:8262 not success: [code=40050:class="
                        "dm-worker:scope=internal:level=high] current stage is Paused but not "
                        "running, invalid\nsecond error: line with spaces");
    free(s);
    s = dmjson_strip_stack("plain message\nwith two lines\n");
    ck_assert_str_eq(s, "plain message\nwith two lines");
    free(s);
    s = dmjson_strip_stack("");
    ck_assert_str_eq(s, "");
    free(s);
    s = dmjson_strip_stack(NULL);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(error_code)
{
    ck_assert_int_eq(dmjson_error_code("[code=38032:class=dm-master:scope=internal:level=high] x "
                                       "[code=40050:class=dm-worker]"),
                     38032);
    ck_assert_int_eq(dmjson_error_code("prefix [code=40054:class=dm-worker] y"), 40054);
    ck_assert_int_eq(dmjson_error_code("[code=12]"), 12);
    ck_assert_int_eq(dmjson_error_code("no code here"), 0);
    ck_assert_int_eq(dmjson_error_code("[code=abc:class=x]"), 0);
    ck_assert_int_eq(dmjson_error_code("[code=99999999999999:class=x]"), 0);
    ck_assert_int_eq(dmjson_error_code(NULL), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dmjson");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, golden_condensed);
    tcase_add_test(tc, empty_and_escaped);
    tcase_add_loop_test(tc, task_status_rule, 0, (int)(sizeof(rules) / sizeof(rules[0])));
    tcase_add_test(tc, tasks_first_seen_order_and_omitempty);
    tcase_add_test(tc, strip_stack_keeps_error_lines);
    tcase_add_test(tc, error_code);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

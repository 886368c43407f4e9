/* test_pbjson_decode.c - rpc/pbjson_decode.c: accepted inputs, exact error messages,
 * and encode -> decode -> pack round trips of every pb.Master / pb.Worker request and
 * response type, each populated generically from its descriptor. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "pbjson.h"
#include "test_pbjson_node.h"
#include "testutil.h"

#define DESC(x) (&pb__##x##__descriptor)

static ProtobufCMessage *dec_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
    ProtobufCMessage *m = NULL;
    char err[256];
    int rc = pbjson_decode(d, json, strlen(json), &m, err, sizeof(err));
    ck_assert_msg(rc == DM_OK, "decode %s: rc %d: %s", json, rc, err);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* ---- accepted inputs ------------------------------------------------------------ */

START_TEST(accepts_jsonpb_forms)
{
    Pb__OperateTaskRequest *r = (Pb__OperateTaskRequest *)dec_ok(
        DESC(operate_task_request), " \n{\"op\": 2, \"name\":\"t\",\"workers\":[\"a\",\"b\"]}\t\r\n");
    ck_assert_int_eq(r->op, PB__TASK_OP__Pause);
    ck_assert_str_eq(r->name, "t");
    ck_assert_uint_eq(r->n_workers, 2);
    ck_assert_str_eq(r->workers[1], "b");
    protobuf_c_message_free_unpacked(&r->base, NULL);

    r = (Pb__OperateTaskRequest *)dec_ok(DESC(operate_task_request), "{\"op\":\"Resume\"}");
    ck_assert_int_eq(r->op, PB__TASK_OP__Resume);
    ck_assert_str_eq(r->name, "");
    ck_assert_uint_eq(r->n_workers, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    r = (Pb__OperateTaskRequest *)dec_ok(DESC(operate_task_request), "{\"op\":99,\"workers\":[]}");
    ck_assert_int_eq(r->op, 99); /* open enum: unknown numbers kept */
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
END_TEST

START_TEST(accepts_null_int64_strings_and_unicode)
{
    Pb__QueryStatusResponse *q = (Pb__QueryStatusResponse *)dec_ok(
        DESC(query_status_response),
        "{\"result\":null,\"relayStatus\":null,\"subTaskStatus\":null,\"msg\":null,"
        "\"worker\":\"\\u00e9\\ud83d\\ude00\\/x\\\"\\\\\\b\\f\\n\\r\\t\"}");
    ck_assert_int_eq(q->result, 0);
    ck_assert_ptr_null(q->relaystatus);
    ck_assert_str_eq(q->msg, "");
    ck_assert_str_eq(q->worker, "\xc3\xa9\xf0\x9f\x98\x80/x\"\\\b\f\n\r\t");
    protobuf_c_message_free_unpacked(&q->base, NULL);

    Pb__QueryTaskOperationRequest *t = (Pb__QueryTaskOperationRequest *)dec_ok(
        DESC(query_task_operation_request), "{\"logID\":\"-9223372036854775808\"}");
    ck_assert(t->logid == INT64_MIN);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    t = (Pb__QueryTaskOperationRequest *)dec_ok(DESC(query_task_operation_request),
                                                "{\"logID\":9223372036854775807,\"name\":\"\"}");
    ck_assert(t->logid == INT64_MAX);
    protobuf_c_message_free_unpacked(&t->base, NULL);

    Pb__SubTaskStatus *st =
        (Pb__SubTaskStatus *)dec_ok(DESC(sub_task_status), "{\"msg\":null,\"sync\":{}}");
    ck_assert_int_eq(st->status_case, PB__SUB_TASK_STATUS__STATUS_SYNC);
    ck_assert_ptr_nonnull(st->sync);
    protobuf_c_message_free_unpacked(&st->base, NULL);

    Pb__CheckStatus *c =
        (Pb__CheckStatus *)dec_ok(DESC(check_status), "{\"detail\":\"AP8QYQ==\",\"total\":\"7\"}");
    ck_assert_uint_eq(c->detail.len, 4);
    ck_assert_mem_eq(c->detail.data, "\x00\xff\x10" "a", 4);
    ck_assert_int_eq(c->total, 7);
    protobuf_c_message_free_unpacked(&c->base, NULL);
}
END_TEST

START_TEST(custom_descriptor_floats_uint64_alias_optional)
{
    struct node *n = (struct node *)dec_ok(
        &node_desc, "{\"childNode\":{\"u64\":\"18446744073709551615\",\"opt\":7},"
                    "\"d\":\"NaN\",\"f\":-1.5e2}");
    ck_assert_ptr_nonnull(n->child_node);
    ck_assert(n->child_node->u64 == UINT64_MAX);
    ck_assert_int_eq(n->child_node->has_opt, 1);
    ck_assert_int_eq(n->child_node->opt, 7);
    ck_assert_int_eq(n->has_opt, 0);
    ck_assert(n->d != n->d);
    ck_assert(n->f == -150.0f);
    protobuf_c_message_free_unpacked(&n->base, NULL);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------- */

struct bad {
    const ProtobufCMessageDescriptor *d;
    const char *json;
    int rc;
    const char *err;
};

static const struct bad bad_inputs[] = {
    {DESC(operate_task_request), "{\"op\":\"Pause\",\"name\":\"t\",\"workers\":[\"a\",\"b\",3]}",
     DM_E_INVAL, "workers[2]: expected string"},
    {DESC(operate_task_request), "{\"op\":\"Pause\",\"nope\":1}", DM_E_INVAL,
     "nope: unknown field"},
    {DESC(query_status_list_response),
     "{\"workers\":[{\"subTaskStatus\":[{\"sync\":{\"totalEvents\":\"x\"}}]}]}", DM_E_INVAL,
     "workers[0].subTaskStatus[0].sync.totalEvents: expected integer, got \"x\""},
    {DESC(check_status), "{\"total\":2147483648}", DM_E_INVAL,
     "total: value 2147483648 out of range for int32"},
    {DESC(check_status), "{\"total\":-2147483649}", DM_E_INVAL,
     "total: value -2147483649 out of range for int32"},
    {DESC(migrate_worker_relay_request), "{\"BinlogPos\":-1}", DM_E_INVAL,
     "BinlogPos: value -1 out of range for uint32"},
    {DESC(migrate_worker_relay_request), "{\"BinlogPos\":\"4294967296\"}", DM_E_INVAL,
     "BinlogPos: value 4294967296 out of range for uint32"},
    {DESC(operate_task_request), "{\"op\":\"Bogus\"}", DM_E_INVAL,
     "op: unknown value \"Bogus\" for enum pb.TaskOp"},
    {DESC(operate_task_request), "{\"op\":\"2\"}", DM_E_INVAL,
     "op: unknown value \"2\" for enum pb.TaskOp"},
    {DESC(operate_task_request), "{\"op\":2147483648}", DM_E_INVAL,
     "op: value 2147483648 out of range for enum"},
    {DESC(operate_task_request), "{\"op\":true}", DM_E_INVAL, "op: expected enum name or number"},
    {DESC(common_worker_response), "{\"result\":\"true\"}", DM_E_INVAL,
     "result: expected true or false"},
    {DESC(common_worker_response), "{\"result\":1}", DM_E_INVAL, "result: expected true or false"},
    {DESC(common_worker_response), "{\"worker\":\"a\",\"worker\":\"b\"}", DM_E_INVAL,
     "worker: duplicate field"},
    {DESC(common_worker_response), "{\"worker\":\"\xff\"}", DM_E_PARSE,
     "worker: syntax error at offset 11: invalid UTF-8 in string"},
    {DESC(common_worker_response), "{\"worker\":\"\xed\xa0\x80\"}", DM_E_PARSE,
     "worker: syntax error at offset 11: invalid UTF-8 in string"},
    {DESC(common_worker_response), "{\"worker\":\"\xc0\xaf\"}", DM_E_PARSE,
     "worker: syntax error at offset 11: invalid UTF-8 in string"},
    {DESC(common_worker_response), "{\"worker\":\"\\ud800\"}", DM_E_PARSE,
     "worker: syntax error at offset 17: lone high surrogate in \\u escape"},
    {DESC(common_worker_response), "{\"worker\":\"\\udc00\"}", DM_E_PARSE,
     "worker: syntax error at offset 17: lone low surrogate in \\u escape"},
    {DESC(common_worker_response), "{\"worker\":\"a\\u0000b\"}", DM_E_INVAL,
     "worker: string contains a NUL character"},
    {DESC(common_worker_response), "{\"worker\":\"a\"} x", DM_E_PARSE,
     "(root): syntax error at offset 15: unexpected data after the JSON value"},
    {DESC(common_worker_response), "{\"worker\":\"a\"}{}", DM_E_PARSE,
     "(root): syntax error at offset 14: unexpected data after the JSON value"},
    {DESC(common_worker_response), "{\"worker\":\"a\",}", DM_E_PARSE,
     "(root): syntax error at offset 14: expected string key"},
    {DESC(common_worker_response), "", DM_E_PARSE,
     "(root): syntax error at offset 0: unexpected end of input"},
    {DESC(common_worker_response), "[]", DM_E_INVAL, "(root): expected object"},
    {DESC(common_worker_response), "null", DM_E_INVAL, "(root): expected object"},
    {DESC(common_worker_response), "\xef\xbb\xbf{}", DM_E_PARSE,
     "(root): syntax error at offset 0: unexpected character"},
    {DESC(common_worker_response), "{\"worker\":\"a\"", DM_E_PARSE,
     "(root): syntax error at offset 13: expected ',' or '}'"},
    {DESC(common_worker_response), "{\"worker\":\"a", DM_E_PARSE,
     "worker: syntax error at offset 10: unterminated string"},
    {DESC(common_worker_response), "{\"worker\":\"a\\q\"}", DM_E_PARSE,
     "worker: syntax error at offset 13: invalid escape in string"},
    {DESC(common_worker_response), "{\"worker\":\"a\tb\"}", DM_E_PARSE,
     "worker: syntax error at offset 12: control character in string"},
    {DESC(common_worker_response), "{\"worker\" \"a\"}", DM_E_PARSE,
     "worker: syntax error at offset 10: expected ':'"},
    {DESC(common_worker_response), "{\"result\":tru}", DM_E_INVAL,
     "result: expected true or false"},
    {DESC(query_task_operation_request), "{\"logID\":\"9223372036854775808\"}", DM_E_INVAL,
     "logID: value 9223372036854775808 out of range for int64"},
    {DESC(query_task_operation_request), "{\"logID\":99999999999999999999999}", DM_E_INVAL,
     "logID: value 99999999999999999999999 out of range for int64"},
    {DESC(query_task_operation_request), "{\"logID\":1.5}", DM_E_INVAL,
     "logID: expected integer, got \"1.5\""},
    {DESC(query_task_operation_request), "{\"logID\":1e3}", DM_E_INVAL,
     "logID: expected integer, got \"1e3\""},
    {DESC(query_task_operation_request), "{\"logID\":\" 1\"}", DM_E_INVAL,
     "logID: expected integer, got \" 1\""},
    {DESC(query_task_operation_request), "{\"logID\":01}", DM_E_PARSE,
     "(root): syntax error at offset 10: expected ',' or '}'"},
    {DESC(query_task_operation_request), "{\"logID\":-}", DM_E_PARSE,
     "logID: syntax error at offset 9: invalid number"},
    {DESC(sub_task_status), "{\"msg\":\"x\",\"sync\":{}}", DM_E_INVAL,
     "sync: oneof already set by field \"msg\""},
    {DESC(check_status), "{\"detail\":\"AAE\"}", DM_E_INVAL, "detail: invalid base64"},
    {DESC(check_status), "{\"detail\":\"A=AA\"}", DM_E_INVAL, "detail: invalid base64"},
    {DESC(check_status), "{\"detail\":5}", DM_E_INVAL, "detail: expected base64 string"},
    {DESC(start_task_request), "{\"workers\":\"a\"}", DM_E_INVAL, "workers: expected array"},
    {DESC(start_task_request), "{\"workers\":[null]}", DM_E_INVAL,
     "workers[0]: null is not allowed in an array"},
    {DESC(start_task_request), "{\"workers\":[\"a\" \"b\"]}", DM_E_PARSE,
     "workers: syntax error at offset 16: expected ',' or ']'"},
    {DESC(operate_task_response), "{\"workers\":[{\"meta\":5}]}", DM_E_INVAL,
     "workers[0].meta: expected object"},
    {DESC(operate_task_response), "{\"workers\":[{\"meta\":{\"bad\\\"key\\n\":1}}]}", DM_E_INVAL,
     "workers[0].meta.bad?key?: unknown field"},
    {&node_desc, "{\"child_node\":null,\"childNode\":null}", DM_E_INVAL,
     "child_node: duplicate field"},
    {&node_desc, "{\"u64\":18446744073709551616}", DM_E_INVAL,
     "u64: value 18446744073709551616 out of range for uint64"},
    {&node_desc, "{\"u64\":-1}", DM_E_INVAL, "u64: value -1 out of range for uint64"},
    {&node_desc, "{\"f\":1e39}", DM_E_INVAL, "f: number out of range for float"},
    {&node_desc, "{\"d\":1e400}", DM_E_INVAL, "d: number out of range for double"},
    {&node_desc, "{\"d\":\"abc\"}", DM_E_INVAL, "d: expected number"},
    {&node_desc, "{\"d\":[]}", DM_E_INVAL, "d: expected number"},
    {&node_desc, "{\"opt\":{}}", DM_E_INVAL, "opt: expected integer"},
};

START_TEST(rejects_with_path_and_reason)
{
    const struct bad *b = &bad_inputs[_i];
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    char err[256];
    int rc = pbjson_decode(b->d, b->json, strlen(b->json), &m, err, sizeof(err));
    ck_assert_msg(rc == b->rc, "%s: rc %d want %d (%s)", b->json, rc, b->rc, err);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(err, b->err);
    /* err may be NULL, and a short buffer is truncated but terminated */
    ck_assert_int_eq(pbjson_decode(b->d, b->json, strlen(b->json), &m, NULL, 0), b->rc);
    char small[8];
    ck_assert_int_eq(pbjson_decode(b->d, b->json, strlen(b->json), &m, small, sizeof(small)),
                     b->rc);
    ck_assert_uint_eq(strlen(small), strlen(b->err) < 7 ? strlen(b->err) : 7);
}
END_TEST

static char *nested(int levels)
{
    size_t cap = (size_t)levels * 16 + 16;
    char *s = malloc(cap), *p = s;
    for (int i = 0; i < levels; i++)
        p += sprintf(p, "{\"child_node\":");
    p += sprintf(p, "{}");
    for (int i = 0; i < levels; i++)
        *p++ = '}';
    *p = '\0';
    return s;
}

START_TEST(nesting_limit)
{
    char *ok = nested(PBJSON_MAX_DEPTH - 1); /* PBJSON_MAX_DEPTH messages in total */
    ProtobufCMessage *m = dec_ok(&node_desc, ok);
    protobuf_c_message_free_unpacked(m, NULL);
    char *deep = nested(PBJSON_MAX_DEPTH);
    char err[256];
    ck_assert_int_eq(pbjson_decode(&node_desc, deep, strlen(deep), &m, err, sizeof(err)),
                     DM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, ": nesting deeper than 32 messages"));
    ck_assert_msg(strncmp(err, "...", 3) == 0 && strlen(err) < 200, "%s", err);
    free(ok);
    free(deep);
}
END_TEST

/* ---- generic population + round trips -------------------------------------------- */

static void fill(ProtobufCMessage *m, unsigned seed, int depth);

static void fill_scalar(const ProtobufCFieldDescriptor *f, void *slot, unsigned seed)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)slot = INT32_MIN + (int32_t)seed; break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)slot = UINT32_MAX - seed; break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)slot = INT64_MIN + seed; break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)slot = UINT64_MAX - seed; break;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)slot = 1.25f + (float)seed; break;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)slot = 0.1 * seed + 1e-7; break;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)slot = 1; break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        *(int *)slot = ed->values[1 + seed % (ed->n_values - 1)].value;
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char *s = malloc(96);
        snprintf(s, 96, "%s-%u \"q\" <\xc3\xa9> & \\ \n\t\x01\xe2\x80\xa8 end", f->name, seed);
        *(char **)slot = s;
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bd = slot;
        bd->len = 5 + seed % 3;
        bd->data = malloc(bd->len);
        for (size_t i = 0; i < bd->len; i++)
            bd->data[i] = (uint8_t)(0xF7 + i * 37 + seed);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: break;
    }
}

static size_t esize(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    default: return 4;
    }
}

static ProtobufCMessage *new_filled(const ProtobufCMessageDescriptor *d, unsigned seed, int depth)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    if (depth < 8)
        fill(m, seed, depth);
    return m;
}

static void fill_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, unsigned seed,
                       int depth)
{
    char *slot = (char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = 2 + seed % 2, sz = esize(f->type);
        char *arr = malloc(n * sz);
        for (size_t i = 0; i < n; i++) {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                ((ProtobufCMessage **)arr)[i] = new_filled(f->descriptor, seed + (unsigned)i, depth + 1);
            else
                fill_scalar(f, arr + i * sz, seed + (unsigned)i);
        }
        *(size_t *)((char *)m + f->quantifier_offset) = n;
        *(char **)slot = arr;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        *(ProtobufCMessage **)slot = new_filled(f->descriptor, seed + 1, depth + 1);
    } else {
        fill_scalar(f, slot, seed);
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
}

/* Every field gets a non-default value; for a oneof, member number seed % members. */
static void fill(ProtobufCMessage *m, unsigned seed, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            unsigned members = 0, rank = 0;
            for (unsigned j = 0; j < d->n_fields; j++)
                if ((d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                    d->fields[j].quantifier_offset == f->quantifier_offset) {
                    rank += j < i;
                    members++;
                }
            if (rank != seed % members)
                continue;
        }
        fill_field(m, f, seed, depth);
    }
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    ck_assert_uint_eq(protobuf_c_message_pack(m, b), *len);
    return b;
}

static void round_trip(const ProtobufCMessage *m, enum pbjson_style style)
{
    char *json = pbjson_encode_str(m, style);
    ck_assert_ptr_nonnull(json);
    ProtobufCMessage *back = NULL;
    char err[256];
    int rc = pbjson_decode(m->descriptor, json, strlen(json), &back, err, sizeof(err));
    ck_assert_msg(rc == DM_OK, "%s style %d: %s\n%s", m->descriptor->name, style, err, json);
    size_t la, lb;
    uint8_t *a = pack(m, &la), *b = pack(back, &lb);
    ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "%s style %d: packed bytes differ",
                  m->descriptor->name, style);
    char *again = pbjson_encode_str(back, style);
    ck_assert_str_eq(again, json);
    free(again);
    free(a);
    free(b);
    protobuf_c_message_free_unpacked(back, NULL);
    free(json);
}

static void round_trip_type(const ProtobufCMessageDescriptor *d)
{
    for (unsigned seed = 0; seed < 5; seed++) {
        ProtobufCMessage *m = new_filled(d, seed, 0);
        for (int style = PBJSON_DMCTL; style <= PBJSON_GATEWAY; style++)
            round_trip(m, (enum pbjson_style)style);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    ProtobufCMessage *empty = malloc(d->sizeof_message);
    protobuf_c_message_init(d, empty);
    for (int style = PBJSON_DMCTL; style <= PBJSON_GATEWAY; style++)
        round_trip(empty, (enum pbjson_style)style);
    protobuf_c_message_free_unpacked(empty, NULL);
}

START_TEST(round_trip_every_master_rpc_type)
{
    const ProtobufCServiceDescriptor *s = &pb__master__descriptor;
    ck_assert_uint_eq(s->n_methods, 18); /* 17 DM v1.0 RPCs + GetTaskCfg */
    for (unsigned i = 0; i < s->n_methods; i++) {
        round_trip_type(s->methods[i].input);
        round_trip_type(s->methods[i].output);
    }
}
END_TEST

START_TEST(round_trip_every_worker_rpc_type)
{
    const ProtobufCServiceDescriptor *s = &pb__worker__descriptor;
    for (unsigned i = 0; i < s->n_methods; i++) {
        round_trip_type(s->methods[i].input);
        round_trip_type(s->methods[i].output);
    }
    round_trip_type(DESC(sub_task_status_list));
    round_trip_type(DESC(sub_task_error_list));
    round_trip_type(DESC(task_meta));
}
END_TEST

START_TEST(filled_message_really_is_populated)
{
    /* guards the round-trip test: the generic filler sets non-default values */
    Pb__QueryStatusListResponse *r =
        (Pb__QueryStatusListResponse *)new_filled(DESC(query_status_list_response), 4, 0);
    ck_assert_int_eq(r->result, 1);
    ck_assert_uint_ge(r->n_workers, 2);
    Pb__SubTaskStatus *st = r->workers[0]->subtaskstatus[0];
    ck_assert_int_eq(st->status_case, PB__SUB_TASK_STATUS__STATUS_SYNC); /* 5th member */
    ck_assert(st->sync->totalevents < 0);
    ck_assert_uint_ge(st->sync->n_unresolvedgroups, 2);
    ck_assert_ptr_nonnull(r->workers[1]->relaystatus->result->errors[0]->error);
    char *gw = pbjson_encode_str(&r->base, PBJSON_GATEWAY);
    char *full = pbjson_encode_str(&r->base, PBJSON_COMPACT);
    ck_assert_str_eq(gw, full); /* nothing is a zero value, so nothing is omitted */
    free(gw);
    free(full);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pbjson_decode");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, accepts_jsonpb_forms);
    tcase_add_test(tc, accepts_null_int64_strings_and_unicode);
    tcase_add_test(tc, custom_descriptor_floats_uint64_alias_optional);
    tcase_add_loop_test(tc, rejects_with_path_and_reason, 0,
                        (int)(sizeof(bad_inputs) / sizeof(bad_inputs[0])));
    tcase_add_test(tc, nesting_limit);
    tcase_add_test(tc, round_trip_every_master_rpc_type);
    tcase_add_test(tc, round_trip_every_worker_rpc_type);
    tcase_add_test(tc, filled_message_really_is_populated);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

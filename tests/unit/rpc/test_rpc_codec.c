/* test_rpc_codec.c - rpc/codec.c (byte buffers <-> protobuf-c) and rpc/method.c. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/slice.h>

#include "codec.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "dmworker.pb-c.h"
#include "rpc.h"
#include "testutil.h"

START_TEST(pack_unpack_round_trip)
{
    Pb__QueryStatusListRequest req = PB__QUERY_STATUS_LIST_REQUEST__INIT;
    char *workers[] = { "w1:8262", "w2:8262" };
    req.name = "task-a";
    req.n_workers = 2;
    req.workers = workers;
    grpc_byte_buffer *bb = NULL;
    ck_assert_int_eq(codec_pack(&req.base, &bb), DM_OK);
    ck_assert_ptr_nonnull(bb);
    ProtobufCMessage *out = NULL;
    ck_assert_int_eq(codec_unpack(bb, &pb__query_status_list_request__descriptor, &out), DM_OK);
    Pb__QueryStatusListRequest *r = (Pb__QueryStatusListRequest *)out;
    ck_assert_str_eq(r->name, "task-a");
    ck_assert_uint_eq(r->n_workers, 2);
    ck_assert_str_eq(r->workers[1], "w2:8262");
    protobuf_c_message_free_unpacked(out, NULL);
    grpc_byte_buffer_destroy(bb);
}
END_TEST

/* gRPC may hand us a message split over several slices: readall must join them. */
START_TEST(unpack_multi_slice)
{
    Pb__CommonWorkerResponse m = PB__COMMON_WORKER_RESPONSE__INIT;
    m.result = true;
    m.worker = "127.0.0.1:8262";
    m.msg = "a somewhat longer message that spans slices";
    size_t len = protobuf_c_message_get_packed_size(&m.base);
    uint8_t *buf = malloc(len);
    protobuf_c_message_pack(&m.base, buf);
    grpc_slice s[3] = {
        grpc_slice_from_copied_buffer((const char *)buf, 3),
        grpc_slice_from_copied_buffer((const char *)buf + 3, 10),
        grpc_slice_from_copied_buffer((const char *)buf + 13, len - 13),
    };
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(s, 3);
    for (int i = 0; i < 3; i++)
        grpc_slice_unref(s[i]);
    ProtobufCMessage *out = NULL;
    ck_assert_int_eq(codec_unpack(bb, &pb__common_worker_response__descriptor, &out), DM_OK);
    Pb__CommonWorkerResponse *r = (Pb__CommonWorkerResponse *)out;
    ck_assert(r->result);
    ck_assert_str_eq(r->msg, m.msg);
    protobuf_c_message_free_unpacked(out, NULL);
    grpc_byte_buffer_destroy(bb);
    free(buf);
}
END_TEST

START_TEST(garbage_is_parse_error_empty_is_default)
{
    /* field 1, length-delimited, claims 16 bytes but 2 follow */
    static const uint8_t bad[] = { 0x0a, 0x10, 'a', 'b' };
    grpc_byte_buffer *bb = codec_raw(bad, sizeof(bad));
    ProtobufCMessage *out = (ProtobufCMessage *)1;
    ck_assert_int_eq(codec_unpack(bb, &pb__query_status_list_request__descriptor, &out), DM_E_PARSE);
    ck_assert_ptr_null(out);
    grpc_byte_buffer_destroy(bb);

    bb = codec_raw("", 0);
    ck_assert_int_eq(codec_unpack(bb, &pb__ddlinfo__descriptor, &out), DM_OK);
    ck_assert_str_eq(((Pb__DDLInfo *)out)->task, "");
    protobuf_c_message_free_unpacked(out, NULL);
    grpc_byte_buffer_destroy(bb);

    ck_assert_int_eq(codec_unpack(NULL, &pb__ddlinfo__descriptor, &out), DM_E_INVAL);
    ck_assert_int_eq(codec_pack(NULL, &bb), DM_E_INVAL);
}
END_TEST

START_TEST(method_find_builds_paths)
{
    const struct rpc_method *m = rpc_method_find(&pb__master__descriptor, "QueryStatus");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->path, "/pb.Master/QueryStatus");
    ck_assert_ptr_eq(m->input, &pb__query_status_list_request__descriptor);
    ck_assert_ptr_eq(m->output, &pb__query_status_list_response__descriptor);
    ck_assert(!m->client_streaming && !m->server_streaming);
    ck_assert_ptr_eq(rpc_method_find(&pb__master__descriptor, "QueryStatus"), m);   /* cached */
    ck_assert_ptr_null(rpc_method_find(&pb__master__descriptor, "NoSuch"));
    ck_assert_ptr_null(rpc_method_find(NULL, "QueryStatus"));

    const struct rpc_method *f = rpc_method_find(&pb__worker__descriptor, "FetchDDLInfo");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->path, "/pb.Worker/FetchDDLInfo");
    ck_assert(f->client_streaming && f->server_streaming);
    ck_assert_ptr_eq(f->input, &pb__ddllock_info__descriptor);
    ck_assert_ptr_eq(f->output, &pb__ddlinfo__descriptor);
    const struct rpc_method *w = rpc_method_find(&pb__worker__descriptor, "QueryStatus");
    ck_assert_str_eq(w->path, "/pb.Worker/QueryStatus");
    ck_assert_ptr_ne(w, m);
}
END_TEST

static void *find_many(void *arg)
{
    const struct rpc_method **out = arg;
    for (unsigned i = 0; i < pb__worker__descriptor.n_methods; i++)
        out[i] = rpc_method_find(&pb__worker__descriptor, pb__worker__descriptor.methods[i].name);
    return NULL;
}

START_TEST(method_find_concurrent_first_use)
{
    enum { NT = 4 };
    static const struct rpc_method *got[NT][64];
    pthread_t t[NT];
    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, find_many, got[i]);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    for (unsigned j = 0; j < pb__worker__descriptor.n_methods; j++) {
        ck_assert_ptr_nonnull(got[0][j]);
        for (int i = 1; i < NT; i++)
            ck_assert_ptr_eq(got[i][j], got[0][j]);
    }
}
END_TEST

int main(void)
{
    grpc_init();
    Suite *s = suite_create("rpc_codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pack_unpack_round_trip);
    tcase_add_test(tc, unpack_multi_slice);
    tcase_add_test(tc, garbage_is_parse_error_empty_is_default);
    tcase_add_test(tc, method_find_builds_paths);
    tcase_add_test(tc, method_find_concurrent_first_use);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s, true);
    grpc_shutdown();
    return rc;
}

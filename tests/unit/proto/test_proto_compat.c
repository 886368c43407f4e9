/* test_proto_compat.c - our .proto files against DM v1.0.7's descriptors.
 * tests/data/dm-v1.0.7-proto.json (a dump of upstream's FileDescriptorProtos:
 * messages -> field -> {number,type,label,oneof,type_name}, enums -> value -> number,
 * services -> rpc -> {in,out,cs,ss}) is compared with the protoc-c descriptors reached
 * from pb.Master and pb.Worker. The only allowed additions are the GetTaskCfg RPC and
 * its two messages. protobuf-c keeps no streaming flags, so cs/ss are checked against
 * the "stream" keywords of the .proto sources. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmmaster.pb-c.h"
#include "testutil.h"

#define MAX_TYPES 128

struct reach {
    const ProtobufCMessageDescriptor *msgs[MAX_TYPES];
    size_t n_msgs;
    const ProtobufCEnumDescriptor *enums[MAX_TYPES];
    size_t n_enums;
};

static json_t *spec;

static void load_spec(void)
{
    size_t len = 0;
    char *text = tu_read_source_file("tests/data/dm-v1.0.7-proto.json", &len);
    ck_assert_msg(text != NULL, "cannot read tests/data/dm-v1.0.7-proto.json");
    json_error_t e;
    spec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(spec != NULL, "bad spec json: %s", e.text);
    free(text);
}

static void unload_spec(void) { json_decref(spec); }

static int is_addition(const char *full) /* ".pb.X" */
{
    return strcmp(full, ".pb.GetTaskCfgRequest") == 0 ||
           strcmp(full, ".pb.GetTaskCfgResponse") == 0;
}

static void add_enum(struct reach *r, const ProtobufCEnumDescriptor *e)
{
    for (size_t i = 0; i < r->n_enums; i++)
        if (r->enums[i] == e)
            return;
    ck_assert_uint_lt(r->n_enums, MAX_TYPES);
    r->enums[r->n_enums++] = e;
}

static void walk(struct reach *r, const ProtobufCMessageDescriptor *d)
{
    for (size_t i = 0; i < r->n_msgs; i++)
        if (r->msgs[i] == d)
            return;
    ck_assert_uint_lt(r->n_msgs, MAX_TYPES);
    r->msgs[r->n_msgs++] = d;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            walk(r, f->descriptor);
        else if (f->type == PROTOBUF_C_TYPE_ENUM)
            add_enum(r, f->descriptor);
    }
}

static void reach_all(struct reach *r)
{
    memset(r, 0, sizeof(*r));
    const ProtobufCServiceDescriptor *svcs[] = {&pb__master__descriptor, &pb__worker__descriptor};
    for (size_t s = 0; s < 2; s++)
        for (unsigned i = 0; i < svcs[s]->n_methods; i++) {
            walk(r, svcs[s]->methods[i].input);
            walk(r, svcs[s]->methods[i].output);
        }
    /* the two list wrappers are declared by DM but used by no RPC */
    walk(r, &pb__sub_task_status_list__descriptor);
    walk(r, &pb__sub_task_error_list__descriptor);
}

static const char *type_str(ProtobufCType t)
{
    static const char *const names[] = {
        [PROTOBUF_C_TYPE_INT32] = "TYPE_INT32",       [PROTOBUF_C_TYPE_SINT32] = "TYPE_SINT32",
        [PROTOBUF_C_TYPE_SFIXED32] = "TYPE_SFIXED32", [PROTOBUF_C_TYPE_INT64] = "TYPE_INT64",
        [PROTOBUF_C_TYPE_SINT64] = "TYPE_SINT64",     [PROTOBUF_C_TYPE_SFIXED64] = "TYPE_SFIXED64",
        [PROTOBUF_C_TYPE_UINT32] = "TYPE_UINT32",     [PROTOBUF_C_TYPE_FIXED32] = "TYPE_FIXED32",
        [PROTOBUF_C_TYPE_UINT64] = "TYPE_UINT64",     [PROTOBUF_C_TYPE_FIXED64] = "TYPE_FIXED64",
        [PROTOBUF_C_TYPE_FLOAT] = "TYPE_FLOAT",       [PROTOBUF_C_TYPE_DOUBLE] = "TYPE_DOUBLE",
        [PROTOBUF_C_TYPE_BOOL] = "TYPE_BOOL",         [PROTOBUF_C_TYPE_ENUM] = "TYPE_ENUM",
        [PROTOBUF_C_TYPE_STRING] = "TYPE_STRING",     [PROTOBUF_C_TYPE_BYTES] = "TYPE_BYTES",
        [PROTOBUF_C_TYPE_MESSAGE] = "TYPE_MESSAGE",
    };
    return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}

static const char *label_str(ProtobufCLabel l)
{
    /* protoc-c marks plain proto3 fields (and oneof members) LABEL_NONE */
    return l == PROTOBUF_C_LABEL_REPEATED ? "LABEL_REPEATED"
           : l == PROTOBUF_C_LABEL_REQUIRED ? "LABEL_REQUIRED"
                                            : "LABEL_OPTIONAL";
}

static void full_name(char *out, size_t cap, const char *name) { snprintf(out, cap, ".%s", name); }

static void check_field(const ProtobufCMessageDescriptor *d, const char *fname, json_t *jf,
                        json_t *jfields)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, fname);
    ck_assert_msg(f != NULL, "%s.%s missing", d->name, fname);
    ck_assert_msg(f->id == (unsigned)json_integer_value(json_object_get(jf, "number")),
                  "%s.%s number", d->name, fname);
    ck_assert_str_eq(type_str(f->type), json_string_value(json_object_get(jf, "type")));
    ck_assert_str_eq(label_str(f->label), json_string_value(json_object_get(jf, "label")));
    const char *tn = json_string_value(json_object_get(jf, "type_name"));
    char ours[160] = "";
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        full_name(ours, sizeof(ours), ((const ProtobufCMessageDescriptor *)f->descriptor)->name);
    else if (f->type == PROTOBUF_C_TYPE_ENUM)
        full_name(ours, sizeof(ours), ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
    ck_assert_msg(strcmp(ours, tn ? tn : "") == 0, "%s.%s type_name %s vs %s", d->name, fname,
                  ours, tn);
    /* oneof: same membership as upstream (protobuf-c groups members by case offset) */
    json_t *oneof = json_object_get(jf, "oneof");
    ck_assert_msg(json_is_string(oneof) == !!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF),
                  "%s.%s oneof flag", d->name, fname);
    if (!json_is_string(oneof))
        return;
    const char *other;
    json_t *jo;
    json_object_foreach(jfields, other, jo) {
        const ProtobufCFieldDescriptor *g = protobuf_c_message_descriptor_get_field_by_name(d, other);
        int same_upstream = json_equal(json_object_get(jo, "oneof"), oneof);
        int same_ours = g && (g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                        g->quantifier_offset == f->quantifier_offset;
        ck_assert_msg(same_upstream == same_ours, "%s: oneof of %s/%s", d->name, fname, other);
    }
}

START_TEST(messages_match_upstream)
{
    struct reach r;
    reach_all(&r);
    json_t *msgs = json_object_get(spec, "messages");
    size_t compared = 0;
    for (size_t i = 0; i < r.n_msgs; i++) {
        char name[160];
        full_name(name, sizeof(name), r.msgs[i]->name);
        json_t *jm = json_object_get(msgs, name);
        if (is_addition(name)) {
            ck_assert_msg(jm == NULL, "%s is ours, not upstream", name);
            continue;
        }
        ck_assert_msg(jm != NULL, "%s not in DM v1.0.7", name);
        ck_assert_msg(json_object_size(jm) == r.msgs[i]->n_fields, "%s: field count", name);
        const char *fname;
        json_t *jf;
        json_object_foreach(jm, fname, jf) check_field(r.msgs[i], fname, jf, jm);
        compared++;
    }
    /* and nothing upstream is missing from what the services reach */
    ck_assert_uint_eq(compared, json_object_size(msgs));
}
END_TEST

START_TEST(enums_match_upstream)
{
    struct reach r;
    reach_all(&r);
    json_t *enums = json_object_get(spec, "enums");
    ck_assert_uint_eq(r.n_enums, json_object_size(enums));
    for (size_t i = 0; i < r.n_enums; i++) {
        const ProtobufCEnumDescriptor *e = r.enums[i];
        char name[160];
        full_name(name, sizeof(name), e->name);
        json_t *je = json_object_get(enums, name);
        ck_assert_msg(je != NULL, "enum %s not upstream", name);
        ck_assert_uint_eq(json_object_size(je), e->n_values);
        const char *vname;
        json_t *jv;
        json_object_foreach(je, vname, jv) {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(e, vname);
            ck_assert_msg(v != NULL, "%s.%s missing", name, vname);
            ck_assert_int_eq(v->value, json_integer_value(jv));
        }
    }
}
END_TEST

/* "rpc <name> (stream X) returns (stream Y)" in the .proto text -> cs/ss flags. */
static void proto_streaming(const char *src, const char *rpc, int *cs, int *ss)
{
    char needle[128];
    snprintf(needle, sizeof(needle), "rpc %s (", rpc);
    const char *p = strstr(src, needle);
    ck_assert_msg(p != NULL, "rpc %s not in proto source", rpc);
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    char line[512];
    snprintf(line, sizeof(line), "%.*s", (int)n, p);
    char *ret = strstr(line, "returns");
    ck_assert_ptr_nonnull(ret);
    *ret = '\0';
    *cs = strstr(line, "(stream ") != NULL;
    *ss = strstr(ret + 1, "(stream ") != NULL;
}

static void check_service(const ProtobufCServiceDescriptor *sd, const char *proto_file,
                          int extra)
{
    char full[64];
    full_name(full, sizeof(full), sd->name);
    json_t *js = json_object_get(json_object_get(spec, "services"), full);
    ck_assert_msg(js != NULL, "service %s", full);
    ck_assert_uint_eq(sd->n_methods, json_object_size(js) + (size_t)extra);
    char *src = tu_read_source_file(proto_file, NULL);
    ck_assert_ptr_nonnull(src);
    for (unsigned i = 0; i < sd->n_methods; i++) {
        const ProtobufCMethodDescriptor *m = &sd->methods[i];
        json_t *jm = json_object_get(js, m->name);
        if (!jm) {
            ck_assert_msg(extra && strcmp(m->name, "GetTaskCfg") == 0, "extra rpc %s", m->name);
            continue;
        }
        char in[160], out[160];
        full_name(in, sizeof(in), m->input->name);
        full_name(out, sizeof(out), m->output->name);
        ck_assert_str_eq(in, json_string_value(json_object_get(jm, "in")));
        ck_assert_str_eq(out, json_string_value(json_object_get(jm, "out")));
        int cs, ss;
        proto_streaming(src, m->name, &cs, &ss);
        ck_assert_msg(cs == json_is_true(json_object_get(jm, "cs")), "%s client stream", m->name);
        ck_assert_msg(ss == json_is_true(json_object_get(jm, "ss")), "%s server stream", m->name);
    }
    free(src);
}

START_TEST(services_match_upstream)
{
    ck_assert_uint_eq(json_object_size(json_object_get(spec, "services")), 2);
    check_service(&pb__master__descriptor, "proto/dmmaster.proto", 1);
    check_service(&pb__worker__descriptor, "proto/dmworker.proto", 0);
    ck_assert_str_eq(pb__master__descriptor.methods[17].name, "GetTaskCfg");
}
END_TEST

START_TEST(field_order_is_declaration_order)
{
    /* pbjson prints fields in protoc-c's (number) order; jsonpb uses declaration
     * order. They agree because every DM message declares fields in number order. */
    char *src[2] = {tu_read_source_file("proto/dmworker.proto", NULL),
                    tu_read_source_file("proto/dmmaster.proto", NULL)};
    struct reach r;
    reach_all(&r);
    for (size_t i = 0; i < r.n_msgs; i++) {
        const ProtobufCMessageDescriptor *d = r.msgs[i];
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "\nmessage %s {", d->short_name);
        const char *p = strstr(src[0], hdr);
        if (!p)
            p = strstr(src[1], hdr);
        ck_assert_msg(p != NULL, "message %s not in proto sources", d->short_name);
        const char *end = strstr(p, "\n}");
        const char *prev = p;
        for (unsigned k = 0; k < d->n_fields; k++) {
            char pat[128];
            snprintf(pat, sizeof(pat), " %s = %u;", d->fields[k].name, d->fields[k].id);
            const char *at = strstr(prev, pat);
            ck_assert_msg(at && at < end, "%s: field %s out of order", d->name, d->fields[k].name);
            prev = at;
        }
    }
    free(src[0]);
    free(src[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto_compat");
    TCase *tc = tcase_create("compat");
    tcase_add_unchecked_fixture(tc, load_spec, unload_spec);
    tcase_add_test(tc, messages_match_upstream);
    tcase_add_test(tc, enums_match_upstream);
    tcase_add_test(tc, services_match_upstream);
    tcase_add_test(tc, field_order_is_declaration_order);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

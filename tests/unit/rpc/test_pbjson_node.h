/* test_pbjson_node.h - a hand-written protobuf-c descriptor for tests that DM's protos
 * cannot reach: a recursive message (nesting limit), double/float/uint64 fields, a
 * snake_case name (lowerCamel JSON alias) and a proto2-style optional scalar.
 *   message Node { Node child_node = 1; double d = 2; float f = 3; uint64 u64 = 4;
 *                  optional int32 opt = 5; } */
#ifndef DM_TEST_PBJSON_NODE_H
#define DM_TEST_PBJSON_NODE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct node {
    ProtobufCMessage base;
    struct node *child_node;
    double d;
    float f;
    uint64_t u64;
    protobuf_c_boolean has_opt;
    int32_t opt;
};

static void node_init(ProtobufCMessage *m);
static const ProtobufCMessageDescriptor node_desc;

static const ProtobufCFieldDescriptor node_fields[5] = {
    {"child_node", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0,
     offsetof(struct node, child_node), &node_desc, NULL, 0, 0, NULL, NULL},
    {"d", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_DOUBLE, 0, offsetof(struct node, d), NULL,
     NULL, 0, 0, NULL, NULL},
    {"f", 3, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_FLOAT, 0, offsetof(struct node, f), NULL,
     NULL, 0, 0, NULL, NULL},
    {"u64", 4, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_UINT64, 0, offsetof(struct node, u64),
     NULL, NULL, 0, 0, NULL, NULL},
    {"opt", 5, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_INT32, offsetof(struct node, has_opt),
     offsetof(struct node, opt), NULL, NULL, 0, 0, NULL, NULL},
};
static const unsigned node_by_name[5] = {0, 1, 2, 4, 3}; /* child_node d f opt u64 */
static const ProtobufCIntRange node_ranges[2] = {{1, 0}, {0, 5}};

static const ProtobufCMessageDescriptor node_desc = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "t.Node", "Node", "Node", "t", sizeof(struct node), 5,
    node_fields, node_by_name, 1, node_ranges, node_init, NULL, NULL, NULL};

static void node_init(ProtobufCMessage *m)
{
    static const struct node init = {PROTOBUF_C_MESSAGE_INIT(&node_desc), NULL, 0, 0, 0, 0, 0};
    *(struct node *)m = init;
}

#endif /* DM_TEST_PBJSON_NODE_H */

/* yamltree.h - a YAML document as a tree of nodes that keep their line numbers, built
 * with libyaml's event parser. Used by the task-config decoder so that its errors name
 * the line, as DM's yaml.v2 does. Aliases are resolved to the anchored node (shared,
 * not copied); an alias of a node that is still open is an error ("value contains
 * itself"). Only the first document of a stream is read.
 * Memory: the parse is charged the document's expanded size with the gateway's rule
 * (common/yamljson.h: YAMLJSON_NODE_COST per node + scalar bytes, an alias the whole cost
 * of its anchor) within yamljson_budget(len), so a decoder that copies what it walks
 * (taskcfg_decode.c) stays within a small multiple of the text too.
 * Ownership: master_ydoc_parse returns an owned doc (master_ydoc_free); nodes belong to
 * the doc. Thread-safety: reentrant. */
#ifndef DM_MASTER_YAMLTREE_H
#define DM_MASTER_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

enum master_ynode_kind { MASTER_Y_SCALAR, MASTER_Y_SEQ, MASTER_Y_MAP };

struct master_ynode {
    enum master_ynode_kind kind;
    int line;                     /* 1-based line of the node's start */
    char *value;                  /* scalar text ("" for non-scalars) */
    bool plain;                   /* scalar was unquoted (plain style) */
    char *tag;                    /* explicit tag or NULL */
    struct master_ynode **items;  /* SEQ: items; MAP: key0,val0,key1,val1,... */
    size_t n;                     /* number of entries in items */
    size_t cost;                  /* expanded size in budget bytes (once complete) */
    bool open;                    /* a collection whose end was not read yet */
};

struct master_ydoc {
    struct master_ynode *root;    /* NULL for an empty document */
    struct master_ynode **all;    /* every node, for freeing */
    size_t nall, cap;
};

/* Parse `text`. On a syntax error returns DM_E_PARSE and *err = "yaml: line N: <problem>"
 * (malloc'd, yaml.v2's wording and line rules); over the budget DM_E_PARSE and
 * "yaml: document too large: ...". DM_OK / DM_E_NOMEM otherwise. */
int master_ydoc_parse(const char *text, size_t len, struct master_ydoc **out, char **err);
void master_ydoc_free(struct master_ydoc *doc);

/* yaml.v2 resolution of a scalar: "!!null", "!!bool", "!!int", "!!float" or "!!str"
 * (quoted scalars and explicit tags are "!!str" unless tagged otherwise). */
const char *master_yscalar_tag(const struct master_ynode *n);

#endif /* DM_MASTER_YAMLTREE_H */

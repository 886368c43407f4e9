/* yamltree.c - libyaml events -> node tree with line numbers (see yamltree.h). */
#include "yamltree.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dm_error.h"
#include "yamljson.h"

#define MAX_DEPTH 64

struct anchor {
    char *name;
    struct master_ynode *node;
};

struct builder {
    struct master_ydoc *doc;
    struct master_ynode *stack[MAX_DEPTH];
    size_t stack_cost[MAX_DEPTH];   /* b->cost before each open collection */
    int depth;
    size_t cost, budget, text_len;  /* expanded bytes so far, their bound (yamljson.h) */
    struct anchor *anchors;
    size_t nanchors;
};

static struct master_ynode *node_new(struct builder *b, enum master_ynode_kind kind, int line)
{
    if (b->doc->nall == b->doc->cap) {
        size_t ncap = b->doc->cap ? b->doc->cap * 2 : 64;
        struct master_ynode **tmp = realloc(b->doc->all, ncap * sizeof(*tmp));
        if (!tmp)
            return NULL;
        b->doc->all = tmp;
        b->doc->cap = ncap;
    }
    struct master_ynode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = line;
    b->doc->all[b->doc->nall++] = n;
    return n;
}

static int node_append(struct master_ynode *parent, struct master_ynode *child)
{
    struct master_ynode **tmp = realloc(parent->items, (parent->n + 1) * sizeof(*tmp));
    if (!tmp)
        return DM_E_NOMEM;
    parent->items = tmp;
    parent->items[parent->n++] = child;
    return DM_OK;
}

static int attach(struct builder *b, struct master_ynode *n)
{
    if (b->depth == 0) {
        if (!b->doc->root)
            b->doc->root = n;
        return DM_OK;
    }
    return node_append(b->stack[b->depth - 1], n);
}

static int add_anchor(struct builder *b, const yaml_char_t *name, struct master_ynode *n)
{
    if (!name)
        return DM_OK;
    struct anchor *tmp = realloc(b->anchors, (b->nanchors + 1) * sizeof(*tmp));
    if (!tmp)
        return DM_E_NOMEM;
    b->anchors = tmp;
    b->anchors[b->nanchors].name = strdup((const char *)name);
    if (!b->anchors[b->nanchors].name)
        return DM_E_NOMEM;
    b->anchors[b->nanchors++].node = n;
    return DM_OK;
}

static struct master_ynode *find_anchor(const struct builder *b, const char *name)
{
    for (size_t i = b->nanchors; i-- > 0;)
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    return NULL;
}

static char *dupstr(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* yaml.v2 parser.fail(): scanner errors report problem line+1, others the raw line. */
static char *syntax_error(const yaml_parser_t *p)
{
    size_t line = 0;
    if (p->problem_mark.line != 0) {
        line = p->problem_mark.line;
        if (p->error == YAML_SCANNER_ERROR)
            line++;
    } else if (p->context_mark.line != 0) {
        line = p->context_mark.line;
    }
    const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
    char buf[512];
    if (line)
        snprintf(buf, sizeof(buf), "yaml: line %zu: %s", line, msg);
    else
        snprintf(buf, sizeof(buf), "yaml: %s", msg);
    return strdup(buf);
}

/* Charge `bytes` of the expanded document (yamljson_budget, as the gateway does). */
static int charge(struct builder *b, size_t bytes, bool alias, char **err)
{
    if (bytes <= b->budget - b->cost) {
        b->cost += bytes;
        return DM_OK;
    }
    char buf[300];
    snprintf(buf, sizeof(buf), "yaml: document too large: %s more than %zu bytes, the budget "
             "of a %zu-byte document", alias ? "its aliases expand to" : "it expands to",
             b->budget, b->text_len);
    *err = strdup(buf);
    return DM_E_PARSE;
}

static int start_node(struct builder *b, enum master_ynode_kind kind, const yaml_event_t *ev,
                      const yaml_char_t *anchor, const yaml_char_t *tag, char **err)
{
    size_t own = YAMLJSON_NODE_COST + (kind == MASTER_Y_SCALAR ? ev->data.scalar.length : 0);
    size_t before = b->cost;
    if (charge(b, own, false, err) != DM_OK)
        return DM_E_PARSE;
    struct master_ynode *n = node_new(b, kind, (int)ev->start_mark.line + 1);
    if (!n)
        return DM_E_NOMEM;
    if (tag && !(n->tag = strdup((const char *)tag)))
        return DM_E_NOMEM;
    if (kind == MASTER_Y_SCALAR) {
        n->value = dupstr(ev->data.scalar.value, ev->data.scalar.length);
        if (!n->value)
            return DM_E_NOMEM;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    } else if (!(n->value = strdup(""))) {
        return DM_E_NOMEM;
    }
    int rc = attach(b, n);
    if (rc == DM_OK)
        rc = add_anchor(b, anchor, n);
    n->cost = own;
    if (rc == DM_OK && kind != MASTER_Y_SCALAR) {
        if (b->depth >= MAX_DEPTH)
            return DM_E_PARSE;
        n->open = true;
        b->stack_cost[b->depth] = before;
        b->stack[b->depth++] = n;
    }
    return rc;
}

/* End of the innermost collection: its cost is everything charged since it began. */
static void end_node(struct builder *b)
{
    if (b->depth == 0)
        return;
    struct master_ynode *n = b->stack[--b->depth];
    n->cost = b->cost - b->stack_cost[b->depth];
    n->open = false;
}

/* An alias is the anchored node itself, charged at its expanded size. */
static int alias_node(struct builder *b, const yaml_event_t *ev, char **err)
{
    const char *name = (const char *)ev->data.alias.anchor;
    struct master_ynode *a = find_anchor(b, name);
    char buf[300];
    if (!a || a->open) {   /* go-yaml: "anchor '%s' value contains itself" */
        snprintf(buf, sizeof(buf), a ? "yaml: anchor '%s' value contains itself"
                                     : "yaml: unknown anchor '%s' referenced", name);
        *err = strdup(buf);
        return DM_E_PARSE;
    }
    if (charge(b, a->cost, true, err) != DM_OK)
        return DM_E_PARSE;
    return attach(b, a);
}

static int on_event(struct builder *b, const yaml_event_t *ev, bool *done, char **err)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return start_node(b, MASTER_Y_SCALAR, ev, ev->data.scalar.anchor,
                          ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit
                              ? NULL : ev->data.scalar.tag, err);
    case YAML_SEQUENCE_START_EVENT:
        return start_node(b, MASTER_Y_SEQ, ev, ev->data.sequence_start.anchor, NULL, err);
    case YAML_MAPPING_START_EVENT:
        return start_node(b, MASTER_Y_MAP, ev, ev->data.mapping_start.anchor, NULL, err);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        end_node(b);
        return DM_OK;
    case YAML_ALIAS_EVENT:
        return alias_node(b, ev, err);
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT:
        *done = true;
        return DM_OK;
    default:
        return DM_OK;
    }
}

int master_ydoc_parse(const char *text, size_t len, struct master_ydoc **out, char **err)
{
    int rc = DM_E_NOMEM;
    yaml_parser_t p;
    struct builder b;
    memset(&b, 0, sizeof(b));
    *out = NULL;
    *err = NULL;
    b.budget = yamljson_budget(len);
    b.text_len = len;
    b.doc = calloc(1, sizeof(*b.doc));
    if (!b.doc || !yaml_parser_initialize(&p)) {
        free(b.doc);
        return DM_E_NOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    bool done = false;
    rc = DM_OK;
    while (!done && rc == DM_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            *err = syntax_error(&p);
            rc = DM_E_PARSE;
            break;
        }
        rc = on_event(&b, &ev, &done, err);
        yaml_event_delete(&ev);
    }
    if (rc == DM_E_PARSE && !*err)
        *err = strdup("yaml: exceeded max depth");
    yaml_parser_delete(&p);
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (rc != DM_OK) {
        master_ydoc_free(b.doc);
        return rc;
    }
    *out = b.doc;
    return DM_OK;
}

void master_ydoc_free(struct master_ydoc *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->nall; i++) {
        free(doc->all[i]->value);
        free(doc->all[i]->tag);
        free(doc->all[i]->items);
        free(doc->all[i]);
    }
    free(doc->all);
    free(doc);
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static bool is_int(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return false;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'b' || p[1] == 'o') && p[2]) {
        for (const char *q = p + 2; *q; q++)
            if (!isxdigit((unsigned char)*q) && *q != '_')
                return false;
        return true;
    }
    for (; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static bool is_float(const char *s)
{
    /* yaml.v2 resolve.go's table: every sign with each of the three spellings */
    static const char *const special[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                          "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL};
    if (in_list(s, special))
        return true;
    char *end = NULL;
    if (!*s)
        return false;
    (void)strtod(s, &end);
    return end && *end == '\0' && strpbrk(s, ".eE") != NULL && (isdigit((unsigned char)*s) ||
           *s == '-' || *s == '+' || *s == '.');
}

const char *master_yscalar_tag(const struct master_ynode *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const bools[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                                        "true", "True", "TRUE", "n", "N", "no", "No", "NO",
                                        "off", "Off", "OFF", "false", "False", "FALSE", NULL};
    if (n->kind == MASTER_Y_SEQ)
        return "!!seq";
    if (n->kind == MASTER_Y_MAP)
        return "!!map";
    if (n->tag) {
        const char *t = n->tag;
        static const char *const known[] = {"!!str", "!!int", "!!bool", "!!float", "!!null",
                                            "!!seq", "!!map", "!!binary", "!!timestamp", NULL};
        if (strncmp(t, "tag:yaml.org,2002:", 18) == 0)
            for (const char *const *k = known; *k; k++)
                if (strcmp(t + 18, *k + 2) == 0)
                    return *k;
        return t;
    }
    if (!n->plain)
        return "!!str";
    if (in_list(n->value, nulls))
        return "!!null";
    if (in_list(n->value, bools))
        return "!!bool";
    if (is_int(n->value))
        return "!!int";
    if (is_float(n->value))
        return "!!float";
    return "!!str";
}

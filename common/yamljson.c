/* yamljson.c - see yamljson.h. Event-driven: libyaml parser events build jansson
 * values recursively; the emitter walks a value and feeds libyaml emitter events.
 * Scalar typing follows go-yaml v2 (what DM v1.0 uses): underscores are dropped from
 * numbers, ints follow Go ParseInt base 0 (0x, 0o, 0b, leading-0 octal), values out
 * of int64 range or matching the float pattern are floats. `<<` merge keys are
 * supported. Aliases share the anchored value (a reference, never a copy); the byte
 * budget (yamljson.h) counts every node at its expanded size, so alias bombs stop early
 * and whatever walks the result (emit, deep copy, dump) stays within the budget too. */
#include "yamljson.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "dm_error.h"

#define YJ_MAX_DEPTH 128

struct yp {
    yaml_parser_t parser;
    char *err;
    size_t cap;
    bool failed;
    int depth;
    size_t cost;          /* bytes of the expanded document so far (yamljson_budget) */
    size_t budget;        /* cost may not pass it */
    size_t text_len;      /* for the error message */
    json_t *anchors;      /* name -> [value, expanded cost] */
};

size_t yamljson_budget(size_t len)
{
    size_t head = len < YAMLJSON_BUDGET_KNEE ? len : YAMLJSON_BUDGET_KNEE;
    size_t tail = (len - head) / 2;
    size_t fixed = YAMLJSON_BUDGET_MIN + YAMLJSON_BUDGET_FACTOR * head;
    return tail > SIZE_MAX - fixed ? SIZE_MAX : fixed + tail;
}

size_t yamljson_json_cost(const char *text, size_t len)
{
    size_t values = 1;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '[' || ch == '{' || ch == ',') {
            values++;
        }
    }
    return values > (SIZE_MAX - len) / YAMLJSON_NODE_COST ? SIZE_MAX
                                                           : values * YAMLJSON_NODE_COST + len;
}

__attribute__((format(printf, 3, 4)))
static void yfail(struct yp *y, const yaml_mark_t *mark, const char *fmt, ...)
{
    if (y->failed)
        return;
    y->failed = true;
    if (!y->err || !y->cap)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(y->err, y->cap, "line %zu column %zu: %s", mark->line + 1, mark->column + 1, msg);
}

static bool next_event(struct yp *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->parser, ev))
        return true;
    const char *problem = y->parser.problem ? y->parser.problem : "syntax error";
    if (y->parser.context)
        yfail(y, &y->parser.problem_mark, "%s %s", y->parser.context, problem);
    else
        yfail(y, &y->parser.problem_mark, "%s", problem);
    return false;
}

/* ---- scalar resolution (go-yaml v2 / YAML 1.1) ---- */

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static const char *const yj_nulls[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const yj_trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                       "on", "On", "ON", NULL};
static const char *const yj_falses[] = {"false", "False", "FALSE", "no", "No", "NO",
                                        "off", "Off", "OFF", NULL};

/* Go strconv.ParseInt(s, 0, 64) after underscores are removed. */
static bool parse_go_int(const char *s, long long *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        base = 2;
        p += 2;
    } else if (p[0] == '0' && p[1]) {
        base = 8;
        p += 1;
    }
    if (!*p)
        return false;
    unsigned long long v = 0;
    for (; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            return false;
        if (d >= base)
            return false;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            return false;
        v = v * (unsigned)base + (unsigned)d;
    }
    if (neg ? v > (unsigned long long)INT64_MAX + 1 : v > (unsigned long long)INT64_MAX)
        return false;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool float_pattern(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    } else {
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* Typed value of a plain scalar; NULL only on out-of-memory. */
static json_t *resolve_plain(const char *s, size_t len)
{
    if (strlen(s) != len)
        return json_stringn(s, len);   /* embedded NUL: keep as string */
    if (in_list(s, yj_nulls))
        return json_null();
    if (in_list(s, yj_trues))
        return json_true();
    if (in_list(s, yj_falses))
        return json_false();
    char num[128];
    size_t n = 0;
    if (len < sizeof(num) && len > 0 &&
        ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.')) {
        for (const char *p = s; *p; p++)
            if (*p != '_')
                num[n++] = *p;
        num[n] = '\0';
        long long iv;
        if (parse_go_int(num, &iv))
            return json_integer((json_int_t)iv);
        if (float_pattern(num)) {
            double d = strtod(num, NULL);
            if (isfinite(d))
                return json_real(d);
        }
    }
    return json_stringn(s, len);
}

/* Would a plain scalar with this text read back as something other than the string? */
static bool plain_is_not_string(const char *s, size_t len)
{
    json_t *v = resolve_plain(s, len);
    bool r = !json_is_string(v);
    json_decref(v);
    return r;
}

/* ---- parser ---- */

static json_t *parse_node(struct yp *y, yaml_event_t *ev);

/* Charge `bytes` of expanded document; false (and the error set) over the budget. */
static bool charge(struct yp *y, size_t bytes, const yaml_mark_t *mark, bool alias)
{
    if (bytes <= y->budget - y->cost) {
        y->cost += bytes;
        return true;
    }
    yfail(y, mark, "document too large: %s more than %zu bytes, the budget of a %zu-byte "
          "document", alias ? "its aliases expand to" : "it expands to", y->budget, y->text_len);
    return false;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

static json_t *scalar_value(struct yp *y, yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    json_t *v = NULL;
    if (tag && strcmp(tag, "!") != 0) {
        if (strcmp(tag, TAG_PREFIX "str") == 0 || strcmp(tag, TAG_PREFIX "binary") == 0) {
            v = json_stringn(s, len);
        } else if (strcmp(tag, TAG_PREFIX "int") == 0 || strcmp(tag, TAG_PREFIX "float") == 0 ||
                   strcmp(tag, TAG_PREFIX "bool") == 0 || strcmp(tag, TAG_PREFIX "null") == 0) {
            v = resolve_plain(s, len);
        } else {
            yfail(y, &ev->start_mark, "unsupported tag %s", tag);
            return NULL;
        }
    } else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag) {
        v = resolve_plain(s, len);
    } else {
        v = json_stringn(s, len);
    }
    if (!v)
        yfail(y, &ev->start_mark, "invalid scalar (not UTF-8?)");
    return v;
}

static json_t *alias_value(struct yp *y, yaml_event_t *ev)
{
    json_t *ent = json_object_get(y->anchors, (const char *)ev->data.alias.anchor);
    if (!ent) {
        yfail(y, &ev->start_mark, "unknown anchor '%s'", (const char *)ev->data.alias.anchor);
        return NULL;
    }
    size_t cost = (size_t)json_integer_value(json_array_get(ent, 1));
    if (!charge(y, cost, &ev->start_mark, true))
        return NULL;
    return json_incref(json_array_get(ent, 0));   /* shared, never copied */
}

static json_t *parse_sequence(struct yp *y)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(y, &ev))
            goto bad;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        json_t *v = parse_node(y, &ev);
        yaml_event_delete(&ev);
        if (!v || json_array_append_new(arr, v) != 0)
            goto bad;
    }
bad:
    json_decref(arr);
    return NULL;
}

/* Merge `src` (mapping, or sequence of mappings) into obj: existing keys win. */
static int merge_into(struct yp *y, json_t *obj, json_t *merged, json_t *src,
                      const yaml_mark_t *mark)
{
    if (json_is_array(src)) {
        for (size_t i = 0; i < json_array_size(src); i++)
            if (merge_into(y, obj, merged, json_array_get(src, i), mark) != DM_OK)
                return DM_E_PARSE;
        return DM_OK;
    }
    if (!json_is_object(src)) {
        yfail(y, mark, "merge key '<<' needs a mapping or a sequence of mappings");
        return DM_E_PARSE;
    }
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v) {
        if (json_object_get(obj, k))
            continue;
        if (json_object_set(obj, k, v) != 0 || json_object_set(merged, k, json_true()) != 0)
            return DM_E_NOMEM;
    }
    return DM_OK;
}

/* One key/value pair of a mapping; `kev` is the key event. */
static int mapping_entry(struct yp *y, json_t *obj, json_t *merged, yaml_event_t *kev)
{
    bool is_merge = kev->type == YAML_SCALAR_EVENT &&
                    kev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                    strcmp((const char *)kev->data.scalar.value, "<<") == 0;
    json_t *key = parse_node(y, kev);
    if (!key)
        return DM_E_PARSE;
    int rc = DM_E_PARSE;
    json_t *val = NULL;
    if (!json_is_string(key) || strlen(json_string_value(key)) != json_string_length(key)) {
        yfail(y, &kev->start_mark, "mapping keys must be strings");
        goto out;
    }
    yaml_event_t vev;
    if (!next_event(y, &vev))
        goto out;
    val = parse_node(y, &vev);
    yaml_mark_t vmark = vev.start_mark;
    yaml_event_delete(&vev);
    if (!val)
        goto out;
    const char *k = json_string_value(key);
    if (is_merge) {
        rc = merge_into(y, obj, merged, val, &vmark);
        goto out;
    }
    if (json_object_get(obj, k) && !json_object_get(merged, k)) {
        yfail(y, &kev->start_mark, "duplicate key '%s'", k);
        goto out;
    }
    json_object_del(merged, k);
    rc = json_object_set(obj, k, val) == 0 ? DM_OK : DM_E_NOMEM;
out:
    json_decref(key);
    json_decref(val);
    return rc;
}

static json_t *parse_mapping(struct yp *y)
{
    json_t *obj = json_object();
    json_t *merged = json_object();   /* keys that came from '<<' and may be overridden */
    if (!obj || !merged)
        goto bad;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(y, &ev))
            goto bad;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            json_decref(merged);
            return obj;
        }
        int rc = mapping_entry(y, obj, merged, &ev);
        yaml_event_delete(&ev);
        if (rc != DM_OK)
            goto bad;
    }
bad:
    json_decref(merged);
    json_decref(obj);
    return NULL;
}

static int register_anchor(struct yp *y, const char *anchor, json_t *v, size_t cost)
{
    json_t *ent = json_pack("[OI]", v, (json_int_t)cost);
    if (!ent || json_object_set_new(y->anchors, anchor, ent) != 0)
        return DM_E_NOMEM;
    return DM_OK;
}

static json_t *parse_node_inner(struct yp *y, yaml_event_t *ev)
{
    const char *anchor = NULL;
    json_t *v = NULL;
    size_t before = y->cost;
    size_t own = YAMLJSON_NODE_COST +
                 (ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.length : 0);
    if (ev->type != YAML_ALIAS_EVENT && !charge(y, own, &ev->start_mark, false))
        return NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        v = scalar_value(y, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = (const char *)ev->data.sequence_start.anchor;
        v = parse_sequence(y);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = (const char *)ev->data.mapping_start.anchor;
        v = parse_mapping(y);
        break;
    case YAML_ALIAS_EVENT:
        return alias_value(y, ev);
    default:
        yfail(y, &ev->start_mark, "unexpected event");
        return NULL;
    }
    if (!v) {
        yfail(y, &ev->start_mark, "out of memory");
        return NULL;
    }
    if (anchor && register_anchor(y, anchor, v, y->cost - before) != DM_OK) {
        yfail(y, &ev->start_mark, "out of memory");
        json_decref(v);
        return NULL;
    }
    return v;
}

static json_t *parse_node(struct yp *y, yaml_event_t *ev)
{
    if (++y->depth > YJ_MAX_DEPTH) {
        yfail(y, &ev->start_mark, "nesting too deep");
        y->depth--;
        return NULL;
    }
    json_t *v = parse_node_inner(y, ev);
    y->depth--;
    return v;
}

/* STREAM-START [DOCUMENT-START node DOCUMENT-END] STREAM-END */
static json_t *parse_stream(struct yp *y)
{
    yaml_event_t ev;
    json_t *doc = NULL;
    if (!next_event(y, &ev))
        return NULL;
    yaml_event_delete(&ev);    /* STREAM-START */
    if (!next_event(y, &ev))
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return json_null();    /* empty document */
    }
    yaml_event_delete(&ev);    /* DOCUMENT-START */
    if (!next_event(y, &ev))
        return NULL;
    doc = parse_node(y, &ev);
    yaml_event_delete(&ev);
    if (!doc)
        return NULL;
    if (!next_event(y, &ev))    /* DOCUMENT-END */
        goto bad;
    yaml_event_delete(&ev);
    if (!next_event(y, &ev))
        goto bad;
    bool more = ev.type != YAML_STREAM_END_EVENT;
    yaml_mark_t mark = ev.start_mark;
    yaml_event_delete(&ev);
    if (more) {
        yfail(y, &mark, "multiple documents are not supported");
        goto bad;
    }
    return doc;
bad:
    json_decref(doc);
    return NULL;
}

json_t *yamljson_parse(const char *yaml, size_t len, char *err, size_t cap)
{
    return yamljson_parse_budget(yaml, len, yamljson_budget(len), err, cap);
}

json_t *yamljson_parse_budget(const char *yaml, size_t len, size_t budget, char *err, size_t cap)
{
    struct yp y = { .err = err, .cap = cap, .budget = budget, .text_len = len };
    if (err && cap)
        err[0] = '\0';
    if (!yaml && len)
        return NULL;
    if (!yaml_parser_initialize(&y.parser)) {
        if (err && cap)
            snprintf(err, cap, "line 1 column 1: out of memory");
        return NULL;
    }
    json_t *v = NULL;
    y.anchors = json_object();
    if (y.anchors) {
        yaml_parser_set_input_string(&y.parser, (const unsigned char *)(yaml ? yaml : ""), len);
        v = parse_stream(&y);
    }
    if (!v && !y.failed && err && cap)
        snprintf(err, cap, "line 1 column 1: out of memory");
    json_decref(y.anchors);
    yaml_parser_delete(&y.parser);
    return v;
}

/* ---- emitter ---- */

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    return dm_buf_add(data, buffer, size) == DM_OK;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, size_t len, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
        return DM_E_NOMEM;
    return yaml_emitter_emit(em, &ev) ? DM_OK : DM_E_NOMEM;
}

static bool needs_quotes(const char *s, size_t len)
{
    if (len == 0 || strlen(s) != len || plain_is_not_string(s, len))
        return true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

static int emit_real_text(yaml_emitter_t *em, double d)
{
    char tmp[64] = "0.0";
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    if (!strpbrk(tmp, ".eE"))
        strcat(tmp, ".0");
    return emit_scalar(em, tmp, strlen(tmp), YAML_PLAIN_SCALAR_STYLE);
}

static int emit_value(yaml_emitter_t *em, const json_t *v, int depth);

static int emit_collection(yaml_emitter_t *em, const json_t *v, int depth)
{
    bool is_obj = json_is_object(v);
    size_t n = is_obj ? json_object_size(v) : json_array_size(v);
    yaml_event_t ev;
    int ok = is_obj ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                          n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE)
                    : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                          n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
    if (!ok || !yaml_emitter_emit(em, &ev))
        return DM_E_NOMEM;
    int rc = DM_OK;
    if (is_obj) {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m) {
            size_t kl = strlen(k);
            rc = emit_scalar(em, k, kl, needs_quotes(k, kl) || strcmp(k, "<<") == 0
                                            ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                            : YAML_ANY_SCALAR_STYLE);
            if (rc == DM_OK)
                rc = emit_value(em, m, depth + 1);
            if (rc != DM_OK)
                return rc;
        }
        ok = yaml_mapping_end_event_initialize(&ev);
    } else {
        for (size_t i = 0; i < n && rc == DM_OK; i++)
            rc = emit_value(em, json_array_get(v, i), depth + 1);
        if (rc != DM_OK)
            return rc;
        ok = yaml_sequence_end_event_initialize(&ev);
    }
    return ok && yaml_emitter_emit(em, &ev) ? DM_OK : DM_E_NOMEM;
}

static int emit_value(yaml_emitter_t *em, const json_t *v, int depth)
{
    char tmp[32];
    if (depth > YJ_MAX_DEPTH)
        return DM_E_TOO_LARGE;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return emit_collection(em, v, depth);
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        return emit_scalar(em, s, len, needs_quotes(s, len) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                                            : YAML_ANY_SCALAR_STYLE);
    }
    case JSON_INTEGER:
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(em, tmp, strlen(tmp), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        return emit_real_text(em, json_real_value(v));
    case JSON_TRUE:
        return emit_scalar(em, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(em, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    default:
        return emit_scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
}

static int emit_document(yaml_emitter_t *em, const json_t *v)
{
    yaml_event_t ev;
    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(em, &ev))
        return DM_E_NOMEM;
    if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
        !yaml_emitter_emit(em, &ev))
        return DM_E_NOMEM;
    int rc = emit_value(em, v, 0);
    if (rc != DM_OK)
        return rc;
    if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(em, &ev))
        return DM_E_NOMEM;
    if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
        return DM_E_NOMEM;
    return DM_OK;
}

char *yamljson_emit(const json_t *v)
{
    if (!v)
        return NULL;
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em))
        return NULL;
    struct dm_buf out;
    dm_buf_init(&out, 256u << 20);
    yaml_emitter_set_output(&em, write_handler, &out);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_emitter_set_indent(&em, 2);
    char *res = NULL;
    if (emit_document(&em, v) == DM_OK && yaml_emitter_flush(&em))
        res = dm_buf_take(&out);
    yaml_emitter_delete(&em);
    dm_buf_free(&out);
    return res;
}

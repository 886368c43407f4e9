/* oas_check.c - see oas_check.h */
#include "oas_check.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"
#include "yamljson.h"

struct oas_doc {
    json_t *root;
    bool strict;
};

/* Validation state: where we are in the value (JSON pointer) and in the schemas. */
struct vctx {
    const json_t *root;
    char vptr[1024];      /* JSON pointer of the value being checked */
    size_t vlen;
    char sptr[1024];      /* location of the schema being applied */
    size_t slen;
    int depth;
    bool strict;          /* oas_doc_set_strict */
    char *err;
    size_t cap;
};

static void set_err(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* ---------- document ---------- */

struct oas_doc *oas_doc_new(const char *text, size_t len, char *err, size_t cap)
{
    char perr[256] = "";
    json_t *root = yamljson_parse_budget(text, len, SIZE_MAX, perr, sizeof(perr));   /* trusted: the document */
    if (!root) {
        set_err(err, cap, "the document does not parse: %s", perr);
        return NULL;
    }
    const char *ver = json_string_value(json_object_get(root, "openapi"));
    if (!ver || strncmp(ver, "3.0.", 4) != 0 || !json_is_object(json_object_get(root, "paths"))) {
        set_err(err, cap, "not an OpenAPI 3.0 document (openapi: %s)", ver ? ver : "missing");
        json_decref(root);
        return NULL;
    }
    struct oas_doc *d = calloc(1, sizeof(*d));
    if (!d) {
        json_decref(root);
        set_err(err, cap, "out of memory");
        return NULL;
    }
    d->root = root;
    return d;
}

void oas_doc_free(struct oas_doc *d)
{
    if (!d)
        return;
    json_decref(d->root);
    free(d);
}

void oas_doc_set_strict(struct oas_doc *d, bool strict)
{
    d->strict = strict;
}

const json_t *oas_doc_json(const struct oas_doc *d)
{
    return d->root;
}

/* "#/a/b~1c" in root (RFC 6901 unescaping of ~0 and ~1). */
static const json_t *resolve(const json_t *root, const char *ref)
{
    if (!ref || ref[0] != '#')
        return NULL;
    const json_t *cur = root;
    const char *p = ref + 1;
    while (*p == '/' && cur) {
        char seg[256];
        size_t n = 0;
        for (p++; *p && *p != '/'; p++) {
            char ch = *p;
            if (ch == '~' && (p[1] == '0' || p[1] == '1')) {
                ch = p[1] == '0' ? '~' : '/';
                p++;
            }
            if (n + 1 >= sizeof(seg))
                return NULL;
            seg[n++] = ch;
        }
        seg[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur)) {
            char *end = NULL;
            unsigned long i = strtoul(seg, &end, 10);
            cur = (n && end && !*end) ? json_array_get(cur, i) : NULL;
        } else {
            cur = NULL;
        }
    }
    return *p ? NULL : cur;
}

const json_t *oas_resolve(const struct oas_doc *d, const char *ref)
{
    return resolve(d->root, ref);
}

/* ---------- pointers ---------- */

/* Append "/seg" (escaped) to a pointer buffer; returns the previous length. */
static size_t ptr_push(char *buf, size_t *len, size_t size, const char *seg)
{
    size_t old = *len, n = old;
    if (n + 1 < size)
        buf[n++] = '/';
    for (const char *s = seg; *s && n + 2 < size; s++) {
        if (*s == '~' || *s == '/') {
            buf[n++] = '~';
            buf[n++] = *s == '~' ? '0' : '1';
        } else {
            buf[n++] = *s;
        }
    }
    buf[n] = '\0';
    *len = n;
    return old;
}

static void ptr_pop(char *buf, size_t *len, size_t old)
{
    *len = old;
    buf[old] = '\0';
}

static size_t vpush(struct vctx *v, const char *seg)
{
    return ptr_push(v->vptr, &v->vlen, sizeof(v->vptr), seg);
}

static size_t vpush_index(struct vctx *v, size_t i)
{
    char s[32];
    snprintf(s, sizeof(s), "%zu", i);
    return vpush(v, s);
}

static size_t spush(struct vctx *v, const char *seg)
{
    return ptr_push(v->sptr, &v->slen, sizeof(v->sptr), seg);
}

static size_t spush_index(struct vctx *v, size_t i)
{
    char s[32];
    snprintf(s, sizeof(s), "%zu", i);
    return spush(v, s);
}

/* Replace the schema location (after a $ref hop). */
static void sset(struct vctx *v, const char *loc)
{
    snprintf(v->sptr, sizeof(v->sptr), "%s", loc);
    v->slen = strlen(v->sptr);
}

static int fail(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct vctx *v, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    set_err(v->err, v->cap, "at %s: %s (schema %s)", v->vlen ? v->vptr : "(root)", what,
            v->slen ? v->sptr : "(inline)");
    return DM_E_INVAL;
}

/* ---------- schema validation ---------- */

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static double num(const json_t *j)
{
    return json_number_value(j);
}

static bool type_ok(const char *type, const json_t *j)
{
    if (strcmp(type, "integer") == 0)
        return json_is_integer(j) || (json_is_real(j) && floor(num(j)) == num(j));
    if (strcmp(type, "number") == 0)
        return json_is_number(j);
    if (strcmp(type, "string") == 0)
        return json_is_string(j);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(j);
    if (strcmp(type, "array") == 0)
        return json_is_array(j);
    if (strcmp(type, "object") == 0)
        return json_is_object(j);
    return false;
}

/* Short compact rendering of a value for messages. */
static void render(const json_t *j, char *out, size_t cap)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, cap, "%.60s%s", s ? s : "?", s && strlen(s) > 60 ? "..." : "");
    free(s);
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int validate(struct vctx *v, const json_t *schema, const json_t *val);

static int check_numeric(struct vctx *v, const json_t *s, const json_t *val)
{
    const json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
    const json_t *mo = json_object_get(s, "multipleOf");
    bool exmin = json_is_true(json_object_get(s, "exclusiveMinimum"));
    bool exmax = json_is_true(json_object_get(s, "exclusiveMaximum"));
    double x = num(val);
    if (json_is_number(mn) && (exmin ? x <= num(mn) : x < num(mn)))
        return fail(v, "%g is below the minimum %g%s", x, num(mn), exmin ? " (exclusive)" : "");
    if (json_is_number(mx) && (exmax ? x >= num(mx) : x > num(mx)))
        return fail(v, "%g is above the maximum %g%s", x, num(mx), exmax ? " (exclusive)" : "");
    if (json_is_number(mo) && num(mo) > 0) {
        double q = x / num(mo);
        if (floor(q) != q)
            return fail(v, "%g is not a multiple of %g", x, num(mo));
    }
    return DM_OK;
}

static int check_string(struct vctx *v, const json_t *s, const json_t *val)
{
    const json_t *mn = json_object_get(s, "minLength"), *mx = json_object_get(s, "maxLength");
    size_t n = utf8_len(json_string_value(val));
    if (json_is_integer(mn) && (json_int_t)n < json_integer_value(mn))
        return fail(v, "string of %zu characters, minLength %lld", n,
                    (long long)json_integer_value(mn));
    if (json_is_integer(mx) && (json_int_t)n > json_integer_value(mx))
        return fail(v, "string of %zu characters, maxLength %lld", n,
                    (long long)json_integer_value(mx));
    return DM_OK;
}

static int check_array(struct vctx *v, const json_t *s, const json_t *val)
{
    const json_t *mn = json_object_get(s, "minItems"), *mx = json_object_get(s, "maxItems");
    const json_t *items = json_object_get(s, "items");
    size_t n = json_array_size(val);
    if (json_is_integer(mn) && (json_int_t)n < json_integer_value(mn))
        return fail(v, "%zu items, minItems %lld", n, (long long)json_integer_value(mn));
    if (json_is_integer(mx) && (json_int_t)n > json_integer_value(mx))
        return fail(v, "%zu items, maxItems %lld", n, (long long)json_integer_value(mx));
    if (json_is_true(json_object_get(s, "uniqueItems"))) {
        for (size_t i = 0; i < n; i++) {
            for (size_t j = i + 1; j < n; j++) {
                if (json_equal(json_array_get(val, i), json_array_get(val, j)))
                    return fail(v, "items %zu and %zu are equal (uniqueItems)", i, j);
            }
        }
    }
    if (!items)
        return DM_OK;
    size_t so = spush(v, "items");
    int rc = DM_OK;
    for (size_t i = 0; i < n && rc == DM_OK; i++) {
        size_t vo = vpush_index(v, i);
        rc = validate(v, items, json_array_get(val, i));
        if (rc == DM_OK)
            ptr_pop(v->vptr, &v->vlen, vo);
    }
    if (rc == DM_OK)
        ptr_pop(v->sptr, &v->slen, so);
    return rc;
}

static int check_property(struct vctx *v, const char *key, const json_t *props,
                          const json_t *addl, const json_t *pv)
{
    const json_t *ps = json_object_get(props, key);
    size_t vo = vpush(v, key), so;
    int rc = DM_OK;
    if (ps) {
        so = spush(v, "properties");
        spush(v, key);
        rc = validate(v, ps, pv);
    } else if (json_is_false(addl)) {
        so = spush(v, "additionalProperties");
        rc = fail(v, "property \"%s\" is not allowed (additionalProperties: false)", key);
    } else if (json_is_object(addl)) {
        so = spush(v, "additionalProperties");
        rc = validate(v, addl, pv);
    } else if (v->strict && !addl && json_is_object(props)) {
        so = v->slen;
        rc = fail(v, "property \"%s\" is not documented (strict: the schema lists properties)", key);
    } else {
        so = v->slen;
    }
    if (rc == DM_OK) {
        ptr_pop(v->vptr, &v->vlen, vo);
        ptr_pop(v->sptr, &v->slen, so);
    }
    return rc;
}

static int check_object(struct vctx *v, const json_t *s, const json_t *val)
{
    const json_t *req = json_object_get(s, "required"), *props = json_object_get(s, "properties");
    const json_t *addl = json_object_get(s, "additionalProperties");
    const json_t *mn = json_object_get(s, "minProperties"), *mx = json_object_get(s, "maxProperties");
    size_t n = json_object_size(val), i;
    const json_t *r;
    json_array_foreach(req, i, r) {
        if (json_is_string(r) && !json_object_get(val, json_string_value(r)))
            return fail(v, "required property \"%s\" is missing", json_string_value(r));
    }
    if (json_is_integer(mn) && (json_int_t)n < json_integer_value(mn))
        return fail(v, "%zu properties, minProperties %lld", n, (long long)json_integer_value(mn));
    if (json_is_integer(mx) && (json_int_t)n > json_integer_value(mx))
        return fail(v, "%zu properties, maxProperties %lld", n, (long long)json_integer_value(mx));
    const char *key;
    json_t *pv;
    json_object_foreach((json_t *)val, key, pv) {
        int rc = check_property(v, key, props, addl, pv);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

/* Count the alternatives of s[kw] that accept val; the first failure's text goes to
 * first_err. Errors of alternatives never reach v->err. */
static int count_matches(struct vctx *v, const json_t *alts, const char *kw, const json_t *val,
                         char *first_err, size_t cap, size_t *first_fail)
{
    int matches = 0;
    size_t i;
    const json_t *alt;
    char *save_err = v->err;
    size_t save_cap = v->cap;
    char tmp[768];
    *first_fail = (size_t)-1;
    first_err[0] = '\0';
    json_array_foreach(alts, i, alt) {
        char sp[sizeof(v->sptr)], vp[sizeof(v->vptr)];
        size_t sl = v->slen, vl = v->vlen;
        int depth = v->depth;
        memcpy(sp, v->sptr, sl + 1);
        memcpy(vp, v->vptr, vl + 1);
        spush(v, kw);
        spush_index(v, i);
        v->err = tmp;
        v->cap = sizeof(tmp);
        tmp[0] = '\0';
        if (validate(v, alt, val) == DM_OK) {
            matches++;
        } else if (*first_fail == (size_t)-1) {
            *first_fail = i;
            snprintf(first_err, cap, "%s", tmp);
        }
        memcpy(v->sptr, sp, sl + 1);
        v->slen = sl;
        memcpy(v->vptr, vp, vl + 1);
        v->vlen = vl;
        v->depth = depth;
    }
    v->err = save_err;
    v->cap = save_cap;
    return matches;
}

static int check_composition(struct vctx *v, const json_t *s, const json_t *val)
{
    char first[768];
    size_t ff;
    const json_t *all = json_object_get(s, "allOf"), *any = json_object_get(s, "anyOf");
    const json_t *one = json_object_get(s, "oneOf"), *no = json_object_get(s, "not");
    if (json_is_array(all)) {
        int m = count_matches(v, all, "allOf", val, first, sizeof(first), &ff);
        if ((size_t)m != json_array_size(all))
            return fail(v, "allOf[%zu] rejects the value: %s", ff, first);
    }
    if (json_is_array(any) && count_matches(v, any, "anyOf", val, first, sizeof(first), &ff) == 0)
        return fail(v, "matches none of anyOf (first: %s)", first);
    if (json_is_array(one)) {
        int m = count_matches(v, one, "oneOf", val, first, sizeof(first), &ff);
        if (m == 0)
            return fail(v, "matches none of oneOf (first: %s)", first);
        if (m > 1)
            return fail(v, "matches %d alternatives of oneOf, exactly one allowed", m);
    }
    if (json_is_object(no)) {
        json_t *arr = json_array();
        json_array_append(arr, (json_t *)no);
        int m = count_matches(v, arr, "not", val, first, sizeof(first), &ff);
        json_decref(arr);
        if (m)
            return fail(v, "the value matches the `not` schema");
    }
    return DM_OK;
}

static int check_enum(struct vctx *v, const json_t *en, const json_t *val)
{
    size_t i;
    const json_t *e;
    json_array_foreach(en, i, e) {
        if (json_equal(e, val))
            return DM_OK;
    }
    char have[96], allowed[160];
    render(val, have, sizeof(have));
    render(en, allowed, sizeof(allowed));
    return fail(v, "%s is not one of the enum %s", have, allowed);
}

/* Follow $ref chains (each hop counts towards the depth bound). */
static const json_t *follow_refs(struct vctx *v, const json_t *schema, int *rc)
{
    *rc = DM_OK;
    while (json_is_object(schema) && json_is_string(json_object_get(schema, "$ref"))) {
        const char *ref = json_string_value(json_object_get(schema, "$ref"));
        const json_t *t = resolve(v->root, ref);
        if (!t) {
            *rc = fail(v, "unresolvable $ref %s", ref);
            return NULL;
        }
        if (++v->depth > OAS_MAX_DEPTH) {
            *rc = fail(v, "schema nesting deeper than %d ($ref loop?)", OAS_MAX_DEPTH);
            return NULL;
        }
        sset(v, ref);
        schema = t;
    }
    return schema;
}

static int validate_at_depth(struct vctx *v, const json_t *s, const json_t *val)
{
    if (json_is_true(s))
        return DM_OK;
    if (!json_is_object(s))
        return fail(v, "the schema is not an object");
    const json_t *type = json_object_get(s, "type"), *en = json_object_get(s, "enum");
    if (json_is_null(val)) {
        if (json_is_true(json_object_get(s, "nullable")))
            return DM_OK;
        if (type)
            return fail(v, "null where %s is expected (not nullable)", json_string_value(type));
    } else if (type) {
        if (!json_is_string(type))
            return fail(v, "`type` must be a string in OpenAPI 3.0");
        if (!type_ok(json_string_value(type), val))
            return fail(v, "expected %s, got %s", json_string_value(type), json_kind(val));
    }
    int rc = DM_OK;
    if (json_is_array(en))
        rc = check_enum(v, en, val);
    if (rc == DM_OK && json_is_number(val))
        rc = check_numeric(v, s, val);
    if (rc == DM_OK && json_is_string(val))
        rc = check_string(v, s, val);
    if (rc == DM_OK && json_is_array(val))
        rc = check_array(v, s, val);
    if (rc == DM_OK && json_is_object(val))
        rc = check_object(v, s, val);
    if (rc == DM_OK)
        rc = check_composition(v, s, val);
    return rc;
}

static int validate(struct vctx *v, const json_t *schema, const json_t *val)
{
    char saved[sizeof(v->sptr)];
    size_t saved_len = v->slen;
    int saved_depth = v->depth;
    memcpy(saved, v->sptr, saved_len + 1);
    if (++v->depth > OAS_MAX_DEPTH)
        return fail(v, "schema nesting deeper than %d", OAS_MAX_DEPTH);
    int rc;
    const json_t *s = follow_refs(v, schema, &rc);
    if (s)
        rc = validate_at_depth(v, s, val);
    if (rc == DM_OK) {   /* on failure keep the locations for the message */
        memcpy(v->sptr, saved, saved_len + 1);
        v->slen = saved_len;
        v->depth = saved_depth;
    }
    return rc;
}

static void vctx_init(struct vctx *v, const struct oas_doc *d, const char *sloc, char *err,
                      size_t cap)
{
    memset(v, 0, sizeof(*v));
    v->root = d->root;
    v->strict = d->strict;
    v->err = err;
    v->cap = cap;
    sset(v, sloc ? sloc : "");
}

int oas_validate(const struct oas_doc *d, const json_t *schema, const json_t *value, char *err,
                 size_t cap)
{
    struct vctx v;
    vctx_init(&v, d, NULL, err, cap);
    return validate(&v, schema, value);
}

/* ---------- responses ---------- */

/* Media type without parameters, lower-cased, into out. */
static void media_type(const char *ct, char *out, size_t cap)
{
    size_t n = 0;
    while (ct && *ct == ' ')
        ct++;
    for (; ct && *ct && *ct != ';' && *ct != ' ' && n + 1 < cap; ct++)
        out[n++] = (char)tolower((unsigned char)*ct);
    out[n] = '\0';
}

static bool is_json_media(const char *mt)
{
    size_t n = strlen(mt);
    return strcmp(mt, "application/json") == 0 || (n > 5 && strcmp(mt + n - 5, "+json") == 0);
}

/* The `content` entry for the answer's media type; *key gets its name. */
static const json_t *pick_media(const json_t *content, const char *mt, const char **key)
{
    const char *k;
    json_t *m;
    char kt[128], range[128];
    const char *slash = strchr(mt, '/');
    snprintf(range, sizeof(range), "%.*s/*", slash ? (int)(slash - mt) : 0, mt);
    for (int pass = 0; pass < 3; pass++) {
        json_object_foreach((json_t *)content, k, m) {
            media_type(k, kt, sizeof(kt));
            if ((pass == 0 && strcmp(kt, mt) == 0) || (pass == 1 && strcmp(kt, range) == 0) ||
                (pass == 2 && strcmp(kt, "*/*") == 0)) {
                *key = k;
                return m;
            }
        }
    }
    return NULL;
}

static void list_keys(const json_t *obj, char *out, size_t cap)
{
    const char *k;
    json_t *x;
    size_t n = 0;
    out[0] = '\0';
    json_object_foreach((json_t *)obj, k, x) {
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", k);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

/* Checks (b) and (c) for a resolved response object; `what` prefixes messages. */
static int check_response(const struct oas_doc *d, const json_t *resp, const char *resp_loc,
                          const char *what, const char *ctype, const char *body, size_t len,
                          char *err, size_t cap)
{
    const json_t *content = json_object_get(resp, "content");
    char mt[128];
    media_type(ctype, mt, sizeof(mt));
    if (!json_is_object(content) || json_object_size(content) == 0) {
        if (len == 0)
            return DM_OK;
        set_err(err, cap, "%s %s: the response documents no content, got %zu bytes", what, mt, len);
        return DM_E_INVAL;
    }
    const char *key = NULL;
    const json_t *media = pick_media(content, mt, &key);
    if (!media) {
        char have[256];
        list_keys(content, have, sizeof(have));
        set_err(err, cap, "%s: Content-Type %s is not documented (documented: %s; see %s)", what,
                *mt ? mt : "(none)", have, resp_loc);
        return DM_E_INVAL;
    }
    const json_t *schema = json_object_get(media, "schema");
    if (!schema)
        return DM_OK;
    json_t *val;
    if (is_json_media(mt)) {
        json_error_t je;
        val = json_loadb(body ? body : "", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (!val) {
            set_err(err, cap, "%s %s: the body is not JSON (line %d column %d: %s): %.120s", what,
                    mt, je.line, je.column, je.text, body ? body : "");
            return DM_E_INVAL;
        }
    } else {
        val = json_stringn_nocheck(body ? body : "", len);
        if (!val) {
            set_err(err, cap, "%s: out of memory", what);
            return DM_E_NOMEM;
        }
    }
    char loc[512], verr[1024] = "";
    snprintf(loc, sizeof(loc), "%s/content/%s/schema", resp_loc, key);
    /* the media-type key contains '/': left unescaped, it reads better than ~1 */
    struct vctx v;
    vctx_init(&v, d, loc, verr, sizeof(verr));
    int rc = validate(&v, schema, val);
    json_decref(val);
    if (rc != DM_OK)
        set_err(err, cap, "%s %s: %s", what, mt, verr);
    return rc;
}

/* Follow a response's $ref chain; *loc gets the final location. */
static const json_t *response_object(const json_t *root, const json_t *r, char *loc, size_t cap)
{
    for (int hops = 0; hops < OAS_MAX_DEPTH && json_is_object(r); hops++) {
        const char *ref = json_string_value(json_object_get(r, "$ref"));
        if (!ref)
            return r;
        snprintf(loc, cap, "%s", ref);
        r = resolve(root, ref);
    }
    return NULL;
}

int oas_check_response_ref(const struct oas_doc *d, const char *ref, const char *content_type,
                           const char *body, size_t len, char *err, size_t cap)
{
    char loc[512];
    snprintf(loc, sizeof(loc), "%s", ref);
    const json_t *resp = response_object(d->root, resolve(d->root, ref), loc, sizeof(loc));
    if (!resp) {
        set_err(err, cap, "%s: no such response object", ref);
        return DM_E_INVAL;
    }
    return check_response(d, resp, loc, ref, content_type, body, len, err, cap);
}

/* responses[status], then "5XX"-style ranges, then default; *key gets the key used. */
static const json_t *pick_status(const json_t *responses, int status, char *key, size_t cap)
{
    char exact[16], range[16];
    snprintf(exact, sizeof(exact), "%d", status);
    snprintf(range, sizeof(range), "%dXX", status / 100);
    const char *tries[] = {exact, range, "default"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *r = json_object_get(responses, tries[i]);
        if (!r && i == 1) {
            range[1] = 'x';
            range[2] = 'x';
            r = json_object_get(responses, range);
        }
        if (r) {
            snprintf(key, cap, "%s", i == 1 ? range : tries[i]);
            return r;
        }
    }
    return NULL;
}

int oas_check_exchange(const struct oas_doc *d, const char *method, const char *path_tmpl,
                       int status, const char *content_type, const char *body, size_t len,
                       char *err, size_t cap)
{
    char what[512], m[16], key[16], loc[512], ops[256];
    size_t i;
    for (i = 0; method[i] && i + 1 < sizeof(m); i++)
        m[i] = (char)tolower((unsigned char)method[i]);
    m[i] = '\0';
    snprintf(what, sizeof(what), "%s %s %d", method, path_tmpl, status);
    const json_t *item = json_object_get(json_object_get(d->root, "paths"), path_tmpl);
    if (!json_is_object(item)) {
        set_err(err, cap, "%s: the path is not documented", what);
        return DM_E_INVAL;
    }
    const json_t *op = json_object_get(item, m);
    if (!json_is_object(op)) {
        set_err(err, cap, "%s: the operation is not documented", what);
        return DM_E_INVAL;
    }
    const json_t *responses = json_object_get(op, "responses");
    const json_t *r = pick_status(responses, status, key, sizeof(key));
    if (!r) {
        list_keys(responses, ops, sizeof(ops));
        set_err(err, cap, "%s: status %d is not documented (documented: %s)", what, status, ops);
        return DM_E_INVAL;
    }
    char esc[256];
    size_t el = 0;
    ptr_push(esc, &el, sizeof(esc), path_tmpl);
    snprintf(loc, sizeof(loc), "#/paths%s/%s/responses/%s", esc, m, key);
    const json_t *resp = response_object(d->root, r, loc, sizeof(loc));
    if (!resp) {
        set_err(err, cap, "%s: response %s does not resolve", what, loc);
        return DM_E_INVAL;
    }
    return check_response(d, resp, loc, what, content_type, body, len, err, cap);
}

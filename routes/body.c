/* body.c - see body.h */
#include "body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_name.h"
#include "yamljson.h"

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int strlist_add(struct strlist *l, const char *s)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return DM_E_NOMEM;
    l->v = nv;
    l->v[l->n] = strdup(s);
    if (!l->v[l->n])
        return DM_E_NOMEM;
    l->n++;
    return DM_OK;
}

static bool is_json_type(struct route_ctx *c)
{
    return router_media_json(c->req.content_type);
}

bool body_json_cost_fits(const char *text, size_t len, char *why, size_t cap)
{
    size_t cost = yamljson_json_cost(text, len), budget = yamljson_budget(len);
    if (cost <= budget)
        return true;
    snprintf(why, cap, "the JSON body has too many values for its size: parsed it would take "
             "about %zu bytes, over the %zu-byte budget of a %zu-byte body", cost, budget, len);
    return false;
}

int body_json_cost_ok(struct route_ctx *c, const char *text, size_t len)
{
    char why[256];
    if (body_json_cost_fits(text, len, why, sizeof(why)))
        return DM_OK;
    route_problem(c, 413, "%s", why);
    return DM_E_TOO_LARGE;
}

int body_json_object(struct route_ctx *c, bool allow_empty, json_t **out)
{
    *out = NULL;
    if (c->req.body_len == 0 && allow_empty) {
        *out = json_object();
        return *out ? DM_OK : DM_E_NOMEM;
    }
    if (!is_json_type(c)) {
        route_problem(c, 415, "expected application/json, got %s", c->req.content_type);
        return DM_E_INVAL;
    }
    if (body_json_cost_ok(c, c->req.body, c->req.body_len) != DM_OK)
        return DM_E_TOO_LARGE;
    json_error_t je;
    json_t *v = json_loadb(c->req.body, c->req.body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        route_problem(c, 400, "invalid JSON body: line %d column %d: %s", je.line, je.column,
                      je.text);
        return DM_E_PARSE;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        route_problem(c, 400, "the JSON body must be an object");
        return DM_E_INVAL;
    }
    *out = v;
    return DM_OK;
}

int body_only_keys(struct route_ctx *c, const json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k) != 0)
            i++;
        if (!allowed[i]) {
            route_problem(c, 400, "unknown field \"%s\"", k);
            return DM_E_INVAL;
        }
    }
    return DM_OK;
}

int body_opt_string(struct route_ctx *c, const json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return DM_OK;
    if (!json_is_string(v)) {
        route_problem(c, 400, "%s: expected string", key);
        return DM_E_INVAL;
    }
    *out = json_string_value(v);
    return DM_OK;
}

int body_opt_bool(struct route_ctx *c, const json_t *obj, const char *key, bool *out)
{
    json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v || json_is_null(v))
        return DM_OK;
    if (!json_is_boolean(v)) {
        route_problem(c, 400, "%s: expected boolean", key);
        return DM_E_INVAL;
    }
    *out = json_is_true(v);
    return DM_OK;
}

static int add_checked(struct route_ctx *c, const char *key, struct strlist *l, const char *s)
{
    if (!*s) {
        route_problem(c, 400, "%s: empty string", key);
        return DM_E_INVAL;
    }
    if (l->n >= BODY_MAX_WORKERS) {
        route_problem(c, 400, "%s: more than %d entries", key, BODY_MAX_WORKERS);
        return DM_E_INVAL;
    }
    if (strlist_add(l, s) != DM_OK) {
        route_problem(c, 500, "out of memory");
        return DM_E_NOMEM;
    }
    return DM_OK;
}

int body_opt_strings(struct route_ctx *c, const json_t *obj, const char *key, struct strlist *l)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return DM_OK;
    if (json_is_string(v))
        return add_checked(c, key, l, json_string_value(v));
    if (!json_is_array(v)) {
        route_problem(c, 400, "%s: expected an array of strings", key);
        return DM_E_INVAL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) {
            route_problem(c, 400, "%s[%zu]: expected string", key, i);
            return DM_E_INVAL;
        }
        int rc = add_checked(c, key, l, json_string_value(e));
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

int body_query_list(struct route_ctx *c, const char *key, struct strlist *l)
{
    for (size_t i = 0; i < c->req.nquery; i++) {
        if (strcmp(c->req.query[i].key, key) != 0)
            continue;
        int rc = add_checked(c, key, l, c->req.query[i].value);
        if (rc != DM_OK)
            return rc;
    }
    return DM_OK;
}

void task_body_free(struct task_body *tb)
{
    free(tb->yaml);
    json_decref(tb->cfg);
    strlist_free(&tb->workers);
    memset(tb, 0, sizeof(*tb));
}

static bool is_yaml_type(struct route_ctx *c)
{
    return router_media_yaml(c->req.content_type);
}

/* Parse the YAML text first (within its memory budget), keep a copy only when valid. */
static int parse_yaml_cfg(struct route_ctx *c, struct task_body *tb, const char *text, size_t len)
{
    char err[256] = "";
    tb->cfg = yamljson_parse(text, len, err, sizeof(err));
    if (!tb->cfg) {
        route_problem(c, 422, "invalid task YAML: %s", err);
        return DM_E_UNPROCESSABLE;
    }
    if (!(tb->yaml = strdup(text))) {
        route_problem(c, 500, "out of memory");
        return DM_E_NOMEM;
    }
    return DM_OK;
}

/* Does v nest deeper than `levels` levels of nodes (a scalar is one level)? */
static bool nests_deeper(const json_t *v, size_t levels)
{
    const char *k;
    json_t *m;
    size_t i;
    if (levels == 0)
        return true;
    json_object_foreach((json_t *)v, k, m) {
        if (nests_deeper(m, levels - 1))
            return true;
    }
    json_array_foreach(v, i, m) {
        if (nests_deeper(m, levels - 1))
            return true;
    }
    return false;
}

int body_too_deep(struct route_ctx *c, const json_t *v)
{
    if (!nests_deeper(v, BODY_MAX_LEVELS))
        return DM_OK;
    route_problem(c, 422, "invalid task config: nested deeper than %d levels", BODY_MAX_LEVELS);
    return DM_E_UNPROCESSABLE;
}

/* ---- {"task": "<yaml>"} without jansson copies of the task (issue 17) ----
 * jansson would hold the body, its token buffer and the decoded string at once (~3x a
 * 1 MiB body). Instead jansson parses a small copy of the body with the task string
 * blanked, and the string is checked and JSON-decoded in place in the request's own
 * body buffer (a decoded string is never longer than its escaped form). Anything this
 * strict path is unsure of goes to the plain jansson parse, so errors stay the same. */

#define SKIP_WS(p, e) while ((p) < (e) && (*(p) == ' ' || *(p) == '\t' || *(p) == '\n' || *(p) == '\r')) (p)++

/* p at an opening quote: the byte after the closing one, or NULL. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Skip one value (its syntax is jansson's to check): the ',' or '}' that ends it, or NULL. */
static const char *skip_value(const char *p, const char *e)
{
    size_t depth = 0;
    while (p && p < e) {
        if (*p == '"') {
            p = skip_string(p, e);
            continue;
        }
        if (*p == '[' || *p == '{')
            depth++;
        else if ((*p == ']' || *p == '}') && depth)
            depth--;
        else if ((*p == ',' || *p == '}') && !depth)
            return p;
        p++;
    }
    return NULL;
}

/* The top-level "task" member's string value, quotes included: [*vs, *ve). */
static bool find_task_string(const char *p, const char *e, const char **vs, const char **ve)
{
    SKIP_WS(p, e);
    if (p >= e || *p++ != '{')
        return false;
    for (;;) {
        SKIP_WS(p, e);
        const char *k = p;
        if (p >= e || *p != '"' || !(p = skip_string(p, e)))
            return false;
        bool is_task = p - k == 6 && memcmp(k, "\"task\"", 6) == 0;
        SKIP_WS(p, e);
        if (p >= e || *p++ != ':')
            return false;
        SKIP_WS(p, e);
        if (is_task) {
            *vs = p;
            *ve = p < e && *p == '"' ? skip_string(p, e) : NULL;
            return *ve != NULL;
        }
        if (!(p = skip_value(p, e)) || *p++ == '}')
            return false;
    }
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *e)
{
    unsigned char c = p[0];
    size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!n || (size_t)(e - p) < n)
        return 0;
    unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (n > 1 && (p[1] < lo || p[1] > hi))
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* One \uXXXX escape (or surrogate pair) at p: the code point and its escaped length,
 * 0 when jansson would refuse it (\u0000 without JSON_ALLOW_NUL, lone surrogates). */
static size_t unicode_escape(const char *p, const char *e, unsigned *cp)
{
    int v = e - p >= 6 ? hex4(p + 2) : -1;
    if (v <= 0 || (v >= 0xdc00 && v <= 0xdfff))
        return 0;
    if (v < 0xd800 || v > 0xdbff) {
        *cp = (unsigned)v;
        return 6;
    }
    int lo = e - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
    if (lo < 0xdc00 || lo > 0xdfff)
        return 0;
    *cp = 0x10000u + (((unsigned)v - 0xd800u) << 10) + ((unsigned)lo - 0xdc00u);
    return 12;
}

/* JSON-decode the string between the quotes [s, e) into out (out <= s; NULL: only
 * check). false when jansson would refuse it. *len: the decoded length. */
static bool json_unescape(const char *s, const char *e, char *out, size_t *len)
{
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
    size_t n = 0;
    char tmp[4];
    while (s < e) {
        unsigned char ch = (unsigned char)*s;
        size_t in = 1, outn = 1;
        const char *from = s;
        if (ch == '\\') {
            const char *x = s + 1 < e ? strchr(esc_in, s[1]) : NULL;
            unsigned cp;
            if (x && *x) {
                tmp[0] = esc_out[x - esc_in];
                from = tmp;
                in = 2;
            } else if (s + 1 < e && s[1] == 'u' && (in = unicode_escape(s, e, &cp))) {
                outn = put_utf8(tmp, cp);
                from = tmp;
            } else {
                return false;
            }
        } else if (ch < 0x20 || !(in = outn = utf8_len((const unsigned char *)s,
                                                       (const unsigned char *)e))) {
            return false;
        }
        if (out)
            memmove(out + n, from, outn);
        n += outn;
        s += in;
    }
    *len = n;
    return true;
}

/* The body as a task-wrapper object with "task" blanked, the task decoded in place
 * into *task; NULL (nothing written) when the fast path does not apply. */
static json_t *task_hole_parse(struct route_ctx *c, char **task)
{
    const char *b = c->req.body, *e = b + c->req.body_len, *vs, *ve;
    size_t len;
    *task = NULL;
    if (!find_task_string(b, e, &vs, &ve) || !json_unescape(vs + 1, ve - 1, NULL, &len))
        return NULL;
    size_t head = (size_t)(vs - b), tail = (size_t)(e - ve);
    char *hole = malloc(head + 2 + tail + 1);
    if (!hole)
        return NULL;
    memcpy(hole, b, head);
    memcpy(hole + head, "\"\"", 2);
    memcpy(hole + head + 2, ve, tail);
    json_t *obj = json_loadb(hole, head + 2 + tail, JSON_REJECT_DUPLICATES, NULL);
    free(hole);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    /* the request owns its body buffer (writable, NUL-terminated); nothing reads the
     * JSON text after this parse */
    *task = (char *)vs;
    json_unescape(vs + 1, ve - 1, *task, &len);
    (*task)[len] = '\0';
    return obj;
}

/* JSON body: {"task": "<yaml>", "workers": [...]} or a task object. */
static int parse_json_task(struct route_ctx *c, struct task_body *tb)
{
    char why[256], *text = NULL;
    json_t *obj = NULL;
    int rc = DM_OK;
    if (body_json_cost_fits(c->req.body, c->req.body_len, why, sizeof(why)))
        obj = task_hole_parse(c, &text);
    if (!obj && (rc = body_json_object(c, false, &obj)) != DM_OK)
        return rc;
    json_t *task = json_object_get(obj, "task");
    if (task && json_is_string(task)) {
        static const char *const keys[] = {"task", "workers", NULL};
        const char *yaml = text ? text : json_string_value(task);
        rc = body_only_keys(c, obj, keys);
        rc = rc ? rc : body_opt_strings(c, obj, "workers", &tb->workers);
        rc = rc ? rc : parse_yaml_cfg(c, tb, yaml, strlen(yaml));
        json_decref(obj);
        return rc;
    }
    tb->cfg = obj;
    if (body_too_deep(c, obj) != DM_OK)
        return DM_E_UNPROCESSABLE;
    tb->yaml = yamljson_emit(obj);
    if (!tb->yaml) {
        route_problem(c, 500, "cannot convert the task to YAML");
        return DM_E_NOMEM;
    }
    return DM_OK;
}

/* A text body (task YAML, worker or master TOML) is handled as a C string: a NUL byte
 * cut it silently (what followed was neither checked nor sent on). Refused instead. */
static int body_no_nul(struct route_ctx *c, int status, const char *what)
{
    const char *nul = memchr(c->req.body, '\0', c->req.body_len);
    if (!nul)
        return DM_OK;
    route_problem(c, status, "invalid %s: a NUL byte at offset %zu (text cannot hold one)", what,
                  (size_t)(nul - c->req.body));
    return status == 422 ? DM_E_UNPROCESSABLE : DM_E_INVAL;
}

int task_body_parse(struct route_ctx *c, struct task_body *tb)
{
    int rc;
    memset(tb, 0, sizeof(*tb));
    if (c->req.body_len == 0) {
        route_problem(c, 400, "a task config is required in the body");
        return DM_E_INVAL;
    }
    if (is_yaml_type(c)) {
        rc = body_no_nul(c, 422, "task YAML");
        rc = rc ? rc : parse_yaml_cfg(c, tb, c->req.body, c->req.body_len);
    } else if (is_json_type(c)) {
        rc = parse_json_task(c, tb);
    } else {
        route_problem(c, 415, "task bodies are application/yaml, text/yaml or application/json");
        return DM_E_INVAL;
    }
    if (rc != DM_OK)
        return rc;
    json_t *name = json_is_object(tb->cfg) ? json_object_get(tb->cfg, "name") : NULL;
    if (!json_is_string(name) || !*json_string_value(name)) {
        route_problem(c, 422, "the task config must be a mapping with a non-empty `name`");
        return DM_E_UNPROCESSABLE;
    }
    size_t at = 0;
    const char *why = dm_name_check_new(json_string_value(name), json_string_length(name), &at);
    if (why) {
        route_problem(c, 422, "invalid task name: it %s (byte %zu); a task name follows the "
                      "rule of path names: 1-%d bytes, no control characters (C0 or C1), no "
                      "bidirectional, line separator or invisible formatting characters, no "
                      "'/', no leading \"---\" or \"...\"", why, at, DM_NAME_MAX);
        return DM_E_UNPROCESSABLE;
    }
    tb->name = json_string_value(name);
    route_audit_task(c, tb->name);
    return body_query_list(c, "worker", &tb->workers);
}

int body_config_text(struct route_ctx *c, const char **out, json_t **hold)
{
    *out = NULL;
    *hold = NULL;
    if (router_media_config_text(c->req.content_type)) {
        if (body_no_nul(c, 400, "config text") != DM_OK)
            return DM_E_INVAL;
        *out = c->req.body;
    } else {
        json_t *obj = NULL;
        static const char *const keys[] = {"config", NULL};
        int rc = body_json_object(c, false, &obj);
        rc = rc ? rc : body_only_keys(c, obj, keys);
        rc = rc ? rc : body_opt_string(c, obj, "config", out);
        if (rc != DM_OK) {
            json_decref(obj);
            return rc;
        }
        *hold = obj;
    }
    if (!*out || !**out) {
        route_problem(c, 400, "a config (TOML text) is required");
        return DM_E_INVAL;
    }
    return DM_OK;
}

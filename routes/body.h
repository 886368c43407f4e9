/* body.h - request-body helpers shared by the route files: JSON objects, string lists,
 * and task configs in any of the accepted shapes (YAML text, JSON task object,
 * {"task": "<yaml>", "workers": [...]}).
 * On failure every function has already written a problem response into the ctx and
 * returns a DM_E_* value. Thread-safety: reentrant. */
#ifndef GW_BODY_H
#define GW_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "route_ctx.h"

#define BODY_MAX_WORKERS 256
/* yamljson_parse's nesting bound ("Nesting is bounded (128)", the top node being level
 * 1): a JSON task (or merge patch) nested deeper cannot reach the master as YAML. */
#define BODY_MAX_LEVELS 128

/* A list of owned strings. */
struct strlist {
    char **v;
    size_t n;
};
void strlist_free(struct strlist *l);
int strlist_add(struct strlist *l, const char *s);

/* The memory budget of JSON bodies (issue 17): true when parsing text would stay within
 * yamljson_budget(len) (yamljson_json_cost); otherwise false with the reason in why. */
bool body_json_cost_fits(const char *text, size_t len, char *why, size_t cap);
/* Same, answering 413 problem+json (DM_E_TOO_LARGE) when it does not fit. */
int body_json_cost_ok(struct route_ctx *c, const char *text, size_t len);
/* Parse the body as a JSON object (Content-Type JSON or absent; over its memory budget
 * 413, see body_json_cost_ok). An empty body gives {} when allow_empty. *out is a new
 * reference. */
int body_json_object(struct route_ctx *c, bool allow_empty, json_t **out);
/* Reject members of obj not in `allowed` (NULL-terminated) with 400. */
int body_only_keys(struct route_ctx *c, const json_t *obj, const char *const *allowed);
/* Optional string member (NULL when absent); 400 when not a string. */
int body_opt_string(struct route_ctx *c, const json_t *obj, const char *key, const char **out);
/* Optional bool member (false when absent). */
int body_opt_bool(struct route_ctx *c, const json_t *obj, const char *key, bool *out);
/* Optional array of strings (or a single string) appended to l; validated worker-ish:
 * non-empty, <= BODY_MAX_WORKERS entries. */
int body_opt_strings(struct route_ctx *c, const json_t *obj, const char *key, struct strlist *l);
/* 422 (written into c) when v nests deeper than BODY_MAX_LEVELS; DM_OK otherwise. */
int body_too_deep(struct route_ctx *c, const json_t *v);
/* Append every ?<key>= value to l. */
int body_query_list(struct route_ctx *c, const char *key, struct strlist *l);

struct task_body {
    char *yaml;             /* task YAML sent to the master (owned) */
    json_t *cfg;            /* the parsed config (owned reference) */
    const char *name;       /* cfg["name"], borrowed from cfg */
    struct strlist workers; /* body "workers" + ?worker= */
};
void task_body_free(struct task_body *tb);
/* Parse any accepted task body shape; validates YAML, the presence of `name` and its rule
 * (dm_name_check, 422 with the broken part of the rule). Consumes the body: a JSON
 * {"task": "<yaml>"} string is decoded in place in c->req.body's buffer (writable, owned by
 * the request; body_len unchanged), so the body text is not read after this call. */
int task_body_parse(struct route_ctx *c, struct task_body *tb);
/* Text config bodies (TOML for master/relay config): text/plain, application/toml, or
 * JSON {"config": "..."}. *out borrowed from the body or from *hold (owned by the caller;
 * json_decref it). */
int body_config_text(struct route_ctx *c, const char **out, json_t **hold);

#endif /* GW_BODY_H */

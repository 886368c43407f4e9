/* router.h - the REST route table and the path router (no HTTP library here).
 *
 * The table (route_table.c) lists every operation of openapi/openapi.yaml: method,
 * path template ("/api/v1/tasks/{name}"), handler, required scope, summary. A unit
 * test keeps the table and the OpenAPI document in sync.
 *
 * Matching: the raw (still percent-encoded) path is split on '/', literal segments are
 * compared byte-wise, template segments capture one segment which is percent-decoded
 * and validated (valid %XX; the decoded value follows dm_name_check: non-empty, no
 * control characters, no '/', no leading YAML document marker, <= DM_NAME_MAX bytes).
 * One trailing '/' is tolerated. Bounded: path <= ROUTER_MAX_PATH bytes,
 * <= ROUTER_MAX_SEGMENTS segments, <= ROUTER_MAX_PARAMS captures.
 *
 * Ownership: the table is static; a router_match owns its decoded parameters
 * (router_match_clear). Thread-safety: reentrant. */
#ifndef GW_ROUTER_H
#define GW_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

#define ROUTER_MAX_PATH 2048
#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS 4

struct route_ctx;

/* Handler result: the response is ready, or a master call is under way and the
 * response will be completed from its callback (route_ctx.h). */
enum route_rc { ROUTE_DONE = 0, ROUTE_PENDING = 1 };
typedef enum route_rc (*route_handler_fn)(struct route_ctx *c);

/* Flags of a route. */
#define ROUTE_F_AUDIT 0x1u      /* a write: one audit log line per request */
#define ROUTE_F_TICKET 0x2u     /* ?ticket= (stream_ticket.h) may stand in for Authorization */
/* The media types a route's body may have (router_body_media_ok; the gateway checks them
 * from the head, before any body byte is read or a 100 Continue is sent). A route with
 * none of these takes no body or any type (DM v1.0 compatibility). */
#define ROUTE_F_JSON 0x4u       /* JSON (router_media_json) */
#define ROUTE_F_TASK 0x8u       /* a task config: JSON or YAML (router_media_yaml) */
#define ROUTE_F_CONFIG 0x10u    /* a TOML config: JSON or text (router_media_config_text) */

struct route {
    const char *method;         /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;           /* template, exactly as in openapi.yaml */
    const char *operation_id;   /* openapi operationId */
    route_handler_fn handler;
    enum auth_scope scope;      /* AUTH_SCOPE_NONE: no authentication */
    unsigned flags;
    const char *summary;
};

/* The table (route_table.c). */
extern const struct route router_table[];
extern const size_t router_table_len;

struct router_match {
    const struct route *route;                 /* NULL unless DM_OK */
    size_t index;                              /* index of route in router_table */
    char *params[ROUTER_MAX_PARAMS];           /* decoded, owned; in template order */
    const char *param_names[ROUTER_MAX_PARAMS];/* borrowed from the template, not NUL-
                                                  terminated at '}': use param_name_len */
    size_t param_name_len[ROUTER_MAX_PARAMS];
    size_t nparams;
    char allow[96];                            /* DM_E_METHOD: "GET, PUT, DELETE" */
};

/* Match `method` + raw `path` against `table` (n entries).
 * Returns DM_OK (m->route set), DM_E_NOT_FOUND (no template matches the path, or a
 * parameter is invalid), DM_E_METHOD (path known, method not: m->allow filled),
 * DM_E_INVAL (path too long / too many segments), DM_E_NOMEM. The caller clears m
 * with router_match_clear in every case. */
int router_match(const struct route *table, size_t n, const char *method, const char *path,
                 struct router_match *m);
void router_match_clear(struct router_match *m);
/* The decoded parameter called `name` or NULL. */
const char *router_param(const struct router_match *m, const char *name);

/* Percent-decode n bytes of `s`; plus_is_space for query strings. Returns a malloc'd
 * NUL-terminated string, or NULL on invalid escapes / embedded NUL / a result that is
 * not valid UTF-8 / out-of-memory. */
char *router_pct_decode(const char *s, size_t n, bool plus_is_space);

/* Media types. ct is a Content-Type value (NULL: none); parameters are ignored, the type
 * is compared case-insensitively. */
bool router_media_is(const char *ct, const char *type);
bool router_media_json(const char *ct);         /* none, application/json, merge-patch+json */
bool router_media_yaml(const char *ct);         /* application/yaml, text/yaml, x-yaml, text/plain */
bool router_media_config_text(const char *ct);  /* text/plain, application/toml */
/* May a body of type ct be sent to rt (its ROUTE_F_JSON / _TASK / _CONFIG flags)? */
bool router_body_media_ok(const struct route *rt, const char *ct);
/* The value of a `charset` parameter of ct that is not UTF-8 (`utf-8`, `utf8`, `us-ascii`,
 * any case, quoted or not), or NULL (none, or UTF-8); *len gets its length. Every body the
 * routes parse is read as UTF-8: a body announced as UTF-16 or Latin-1 would be misread. */
const char *router_media_charset_bad(const char *ct, size_t *len);

#endif /* GW_ROUTER_H */

/* oas_check.h - check real HTTP answers against an OpenAPI 3.0 document (tests only).
 *
 * One exchange (method, route template, status, Content-Type, body) is checked in three
 * steps: (a) the operation documents the status (exact code, then "2XX"-style range,
 * then `default`); (b) the answer's media type (parameters ignored, case-insensitive)
 * is one the response lists (exact, then a range such as "text/ *", then "* / *" -
 * written with spaces here only; a response without `content` must have an empty
 * body); (c) the body validates against that media type's schema. JSON media types
 * (application/json, anything "+json") are parsed (duplicate keys rejected) and
 * validated as JSON; any other media type is validated as one JSON string holding the
 * body text.
 *
 * Schema subset (what openapi/openapi.yaml uses, OpenAPI 3.0 semantics): $ref to a
 * local "#/..." pointer (siblings ignored, as 3.0 says), type (integer = a number with
 * no fraction, number, string, boolean, array, object), nullable (null is valid only
 * with nullable: true, or when the schema names no type), enum, properties, required,
 * additionalProperties (absent/true, false, or a schema), min/maxProperties, items,
 * min/maxItems, uniqueItems, minimum/maximum with 3.0's boolean exclusiveMinimum/
 * exclusiveMaximum, multipleOf, min/maxLength (in UTF-8 code points), oneOf (exactly
 * one), anyOf, allOf, not. Ignored: format, pattern, discriminator, readOnly/writeOnly,
 * and annotations (description, example, x-*). Recursion (schema nesting plus $ref
 * hops) is bounded by OAS_MAX_DEPTH: deeper is a validation error, never a crash.
 *
 * Errors: a readable line, e.g. "GET /api/v1/tasks 200 application/json: at /workers/0/
 * result: expected boolean, got string (schema #/components/schemas/
 * CommonWorkerResponse/properties/result)": the JSON pointer of the failing value and
 * the location of the schema that rejected it.
 *
 * Ownership: oas_doc_new returns an owned document (oas_doc_free). Borrowed inputs are
 * not kept. Thread-safety: a loaded document is read-only; checks are reentrant. */
#ifndef DM_OAS_CHECK_H
#define DM_OAS_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define OAS_MAX_DEPTH 64

struct oas_doc;

/* Parse an OpenAPI document (YAML or JSON text, `len` bytes). NULL with the reason in
 * err when it does not parse or is not an OpenAPI 3.0 document. */
struct oas_doc *oas_doc_new(const char *text, size_t len, char *err, size_t cap);
void oas_doc_free(struct oas_doc *d);
/* Strict mode (off by default; not OpenAPI semantics): an object schema that lists
 * `properties` and says nothing about additionalProperties rejects other properties,
 * so an answer field the document forgot is an error. Set before checking. */
void oas_doc_set_strict(struct oas_doc *d, bool strict);
/* The parsed document (borrowed, valid until oas_doc_free). */
const json_t *oas_doc_json(const struct oas_doc *d);

/* Check one exchange. `path_tmpl` is the template as in `paths` ("/api/v1/tasks/{name}");
 * `content_type` may be NULL (no header); `body` need not be NUL-terminated.
 * DM_OK, or DM_E_INVAL with the mismatch in err. */
int oas_check_exchange(const struct oas_doc *d, const char *method, const char *path_tmpl,
                       int status, const char *content_type, const char *body, size_t len,
                       char *err, size_t cap);

/* The same checks (b) and (c) against a response object named by a local reference
 * ("#/components/responses/Problem"): for answers no operation can document, such as
 * 405 on a path without that method. */
int oas_check_response_ref(const struct oas_doc *d, const char *ref, const char *content_type,
                           const char *body, size_t len, char *err, size_t cap);

/* Validate a JSON value against a schema node of the document (for example one found
 * with oas_resolve). DM_OK or DM_E_INVAL with err. */
int oas_validate(const struct oas_doc *d, const json_t *schema, const json_t *value, char *err,
                 size_t cap);

/* Resolve a local reference "#/a/b~1c" in the document; NULL when it does not exist. */
const json_t *oas_resolve(const struct oas_doc *d, const char *ref);

#endif /* DM_OAS_CHECK_H */

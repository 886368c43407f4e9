/* yamljson.h - YAML text <-> jansson JSON values (libyaml underneath), for task
 * configs that arrive as YAML or JSON. Mapping key order is preserved; plain scalars
 * are typed as YAML 1.1 core (null/~, true/false/yes/no/on/off, ints incl. 0x/0o,
 * floats), quoted scalars stay strings; anchors/aliases are resolved; duplicate keys,
 * multiple documents and non-string keys are errors.
 * Details (yamljson.c), following go-yaml v2 as DM v1.0 does: underscores are ignored in
 * numbers; ints use Go ParseInt base 0 (0x.., 0o.., 0b.., leading 0 = octal); numbers
 * outside int64 or matching the float pattern become reals; .inf/.nan stay strings
 * (JSON has no such numbers); `<<` merge keys work (explicit keys win); explicit tags
 * !!str/!!int/!!float/!!bool/!!null are honoured, other tags are errors. An empty
 * document parses to JSON null. Nesting is bounded (128) and alias expansion is capped
 * at 1,000,000 nodes ("document too large").
 * Thread-safety: reentrant. */
#ifndef DM_YAMLJSON_H
#define DM_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

/* Parse; returns a new reference or NULL with "line N column M: reason" in err. */
json_t *yamljson_parse(const char *yaml, size_t len, char *err, size_t cap);
/* Emit block-style YAML that yamljson_parse reads back to an equal value
 * (strings quoted where needed). malloc'd; NULL on out-of-memory or when v nests
 * deeper than the emitter's bound (callers keep values within the parser's 128 levels). */
char *yamljson_emit(const json_t *v);

#endif /* DM_YAMLJSON_H */

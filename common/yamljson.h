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
 * document parses to JSON null. Nesting is bounded (128).
 *
 * Memory budget (issue 17): an alias is the anchored value itself (one more reference,
 * never a copy), and the parse is charged the document's EXPANDED size in bytes: every
 * node YAMLJSON_NODE_COST (about what jansson and libyaml spend on a small node) plus
 * its scalar's bytes, every alias the whole cost of its anchor. Over the budget the
 * parse fails with "document too large: ...", so 600 bytes of nested aliases (billion
 * laughs) or one 32 KiB scalar aliased 3,000 times stop after a few KiB of work, and
 * whatever later walks the value in full (yamljson_emit, json_dumps, json_deep_copy)
 * produces at most about the budget. The default budget is yamljson_budget(len): a floor
 * that every real task config is far below, plus twice the text up to 256 KiB (unchanged
 * for every document a real config can be, so configs stored earlier still parse), plus
 * half the text beyond it (a 1 MiB body builds at most ~1.1 MiB of nominal cost beside
 * itself; jansson's real nodes take about half of the nominal 64 bytes).
 * Consumers that mutate a parsed value in place change it at every alias of it (the
 * gateway only replaces target-database.password, where that is what is wanted).
 * Our dm-master's YAML tree (master/yamltree.c) charges the same budget.
 * Thread-safety: reentrant. */
#ifndef DM_YAMLJSON_H
#define DM_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

#define YAMLJSON_NODE_COST 64u             /* bytes charged per node */
#define YAMLJSON_BUDGET_MIN (256u << 10)    /* budget floor: 256 KiB */
#define YAMLJSON_BUDGET_FACTOR 2u           /* ... plus twice the text up to ... */
#define YAMLJSON_BUDGET_KNEE (256u << 10)   /* ... 256 KiB of text, and half of the text
                                               beyond: a body at the 1 MiB limit builds at
                                               most ~1.1 MiB of nominal tree (~0.6 MiB
                                               real) beside itself (issue 17: < 2x) */

/* The expanded-size budget of a len-byte document (saturates at SIZE_MAX). */
size_t yamljson_budget(size_t len);
/* What parsing JSON text (jansson) would cost in the same units: a linear pre-scan that
 * counts values ('[', '{' and ',' outside strings) at YAMLJSON_NODE_COST each, plus the
 * bytes. Callers refuse a body whose cost is over yamljson_budget(len) before jansson
 * builds it (1 MiB of "[0,0,0,...]" would be ~40 MiB of jansson nodes). */
size_t yamljson_json_cost(const char *text, size_t len);

/* Parse within yamljson_budget(len); returns a new reference or NULL with
 * "line N column M: reason" in err. */
json_t *yamljson_parse(const char *yaml, size_t len, char *err, size_t cap);
/* Same with an explicit budget in bytes (SIZE_MAX: only for trusted text, such as the
 * embedded OpenAPI document). */
json_t *yamljson_parse_budget(const char *yaml, size_t len, size_t budget, char *err,
                              size_t cap);
/* Emit block-style YAML that yamljson_parse reads back to an equal value
 * (strings quoted where needed). malloc'd; NULL on out-of-memory or when v nests
 * deeper than the emitter's bound (callers keep values within the parser's 128 levels). */
char *yamljson_emit(const json_t *v);

#endif /* DM_YAMLJSON_H */

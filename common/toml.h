/* toml.h - the TOML subset DM's config files use, parsed into jansson values:
 * `key = value` (bare and "quoted" keys, dotted keys), [table], [[array-of-tables]],
 * strings (basic with escapes, literal '...', multi-line """ and '''), integers
 * (with _ separators), floats, booleans, arrays (incl. multi-line), inline tables,
 * comments. Dates are not supported (error). Redefining a key is an error.
 * Thread-safety: reentrant. */
#ifndef DM_TOML_H
#define DM_TOML_H

#include <jansson.h>
#include <stddef.h>

/* New reference to a JSON object, or NULL with "line N: reason" in err. */
json_t *toml_parse(const char *text, size_t len, char *err, size_t cap);
/* Emit `obj` (object of scalars, arrays, objects, arrays of objects) as TOML that
 * toml_parse reads back to an equal value: scalars and plain arrays first as
 * `key = value`, then [sub.tables] and [[arrays.of.tables]]. Object members that are
 * null are omitted (TOML has no null). malloc'd; NULL when `obj` is not an object, a
 * null sits inside an array, or out of memory. */
char *toml_emit(const json_t *obj);

#endif /* DM_TOML_H */

/* fuzz_toml.c - toml_parse on arbitrary bytes; whatever parses must survive
 * toml_emit -> toml_parse unchanged. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *v = toml_parse((const char *)data, size, err, sizeof err);
    if (!v)
        return 0;
    char *out = toml_emit(v);   /* NULL allowed: tables nested deeper than the emitter's bound */
    if (out) {
        json_t *back = toml_parse(out, strlen(out), err, sizeof err);
        if (!back || !json_equal(v, back))
            abort();
        json_decref(back);
        free(out);
    }
    json_decref(v);
    return 0;
}

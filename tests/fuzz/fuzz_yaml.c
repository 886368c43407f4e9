/* fuzz_yaml.c - yamljson_parse on arbitrary bytes; whatever parses must survive
 * yamljson_emit -> yamljson_parse unchanged. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *v = yamljson_parse((const char *)data, size, err, sizeof err);
    if (!v)
        return 0;
    char *out = yamljson_emit(v);
    if (!out)
        abort();
    json_t *back = yamljson_parse(out, strlen(out), err, sizeof err);
    if (!back || !json_equal(v, back))
        abort();
    json_decref(back);
    free(out);
    json_decref(v);
    return 0;
}

/* openapi_json_gen.c - build tool (routes/CMakeLists.txt): converts openapi/openapi.yaml
 * to the compact JSON /openapi.json serves (key order kept), with the gateway's own YAML
 * reader (common/yamljson.c). Run at build time so that the JSON and its gzip variant are
 * embedded like the other static files (assets.h), never converted or compressed per
 * request. Usage: dmgw_openapi_json <in.yaml> <out.json>; exit 1 on any error. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamljson.h"

/* The whole file at `path`, NUL-terminated, or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <in.yaml> <out.json>\n", argv[0]);
        return 1;
    }
    size_t len = 0;
    char *yaml = slurp(argv[1], &len);
    if (!yaml) {
        fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
        return 1;
    }
    char err[256] = "";
    json_t *doc = yamljson_parse_budget(yaml, len, SIZE_MAX, err, sizeof(err));
    free(yaml);
    if (!doc) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], err);
        return 1;
    }
    int rc = json_dump_file(doc, argv[2], JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(doc);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[2]);
        remove(argv[2]);
        return 1;
    }
    return 0;
}

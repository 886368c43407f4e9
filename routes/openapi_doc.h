/* openapi_doc.h - openapi/openapi.yaml embedded at build time (routes/embed.cmake writes
 * openapi_embed.c into the build tree). NUL-terminated; len excludes the NUL. */
#ifndef GW_OPENAPI_DOC_H
#define GW_OPENAPI_DOC_H

#include <stddef.h>

extern const char route_openapi_yaml[];
extern const size_t route_openapi_yaml_len;

#endif /* GW_OPENAPI_DOC_H */

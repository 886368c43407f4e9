/* dm_name.c - see dm_name.h */
#include "dm_name.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"

#define STR2(x) #x
#define STR(x) STR2(x)

const char *dm_name_check(const char *name, size_t len, size_t *at)
{
    size_t pos = 0;
    const char *why = NULL;
    if (!name || len == 0) {
        why = "is empty";
    } else if (len > DM_NAME_MAX) {
        why = "is longer than " STR(DM_NAME_MAX) " bytes";
        pos = DM_NAME_MAX;
    } else if (len >= 3 && (memcmp(name, "---", 3) == 0 || memcmp(name, "...", 3) == 0)) {
        why = "starts with a YAML document marker (\"---\" or \"...\")";
    } else {
        for (pos = 0; pos < len && !why; pos++) {
            unsigned char ch = (unsigned char)name[pos];
            uint32_t cp;
            size_t k = ch < 0x80 ? 1 : dm_utf8_decode((const unsigned char *)name + pos, len - pos, &cp);
            if (ch < 0x20 || ch == 0x7f)
                why = "contains a control character";
            else if (ch == '/')
                why = "contains '/'";
            else if (k == 0)
                why = "is not valid UTF-8";
            else
                pos += k - 1;
        }
        pos = why ? pos - 1 : 0;
    }
    if (at)
        *at = pos;
    return why;
}

/* dm_name.c - see dm_name.h */
#include "dm_name.h"

#include <stdbool.h>
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

static bool invisible(uint32_t cp)
{
    return cp == 0x200b || cp == 0x2060 || cp == 0xfeff;
}

const char *dm_name_check_new(const char *name, size_t len, size_t *at)
{
    const char *why = dm_name_check(name, len, at);
    if (why)
        return why;
    for (size_t pos = 0; pos < len;) {
        uint32_t cp = (unsigned char)name[pos];
        size_t k = cp < 0x80 ? 1 : dm_utf8_decode((const unsigned char *)name + pos, len - pos, &cp);
        if (cp >= 0x80 && (dm_utf8_display_control(cp) || invisible(cp))) {
            if (at)
                *at = pos;
            return cp <= 0x9f ? "contains a C1 control character (U+0080-U+009F)"
                   : invisible(cp) ? "contains an invisible character (U+200B, U+2060 or U+FEFF)"
                                   : "contains a bidirectional formatting or line separator "
                                     "character (U+061C, U+200E, U+200F, U+2028-U+202E, U+2066-U+2069)";
        }
        pos += k;
    }
    return NULL;
}

_Static_assert(DM_TASK_NAME_CHARS_MAX + DM_TASK_META_SUFFIX_MAX == 64, "task name + meta suffix = 64");

const char *dm_task_name_meta_check(const char *name)
{
    size_t chars = 0;
    if (!name || !*name)
        return "is empty";
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '/' || *p == '\\' || *p == '`')
            return "contains / \\ or `";
        if (*p >= 0xf0)
            return "contains a character outside the Basic Multilingual Plane (not allowed in a MariaDB table name)";
        if ((*p & 0xc0) != 0x80)
            chars++;
    }
    if (chars > DM_TASK_NAME_CHARS_MAX)
        return "is longer than " STR(DM_TASK_NAME_CHARS_MAX) " characters (the worker's meta tables are named "
               "`<task>_syncer_sharding_exec`; a MariaDB table name has at most 64 characters)";
    return NULL;
}

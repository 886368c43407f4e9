/* toml_emit.c - toml_emit (see toml.h): scalars and plain arrays of a table first as
 * `key = value`, then its sub-tables as [a.b] and arrays of tables as [[a.b]]; anything
 * nested inside arrays is written inline. Floats use the shortest text that reads back
 * to the same double. */
#include "toml.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dm_error.h"

#define TOML_EMIT_MAX_DEPTH 64

static bool bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static bool key_is_bare(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!bare_key_char((unsigned char)*k))
            return false;
    return true;
}

static int emit_str(struct dm_buf *b, const char *s, size_t n)
{
    int rc = dm_buf_addc(b, '"');
    for (size_t i = 0; i < n && rc == DM_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': rc = dm_buf_adds(b, "\\\""); break;
        case '\\': rc = dm_buf_adds(b, "\\\\"); break;
        case '\n': rc = dm_buf_adds(b, "\\n"); break;
        case '\t': rc = dm_buf_adds(b, "\\t"); break;
        case '\r': rc = dm_buf_adds(b, "\\r"); break;
        case '\b': rc = dm_buf_adds(b, "\\b"); break;
        case '\f': rc = dm_buf_adds(b, "\\f"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                rc = dm_buf_printf(b, "\\u%04X", c);
            else
                rc = dm_buf_addc(b, (char)c);
        }
    }
    return rc == DM_OK ? dm_buf_addc(b, '"') : rc;
}

static int emit_key(struct dm_buf *b, const char *k)
{
    return key_is_bare(k) ? dm_buf_adds(b, k) : emit_str(b, k, strlen(k));
}

static int emit_inline(struct dm_buf *b, const json_t *v, int depth);

static int emit_real(struct dm_buf *b, double d)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.17g", d);
    /* shortest text that reads back to the same double */
    for (int prec = 1; prec <= 17; prec++) {
        char t2[64];
        snprintf(t2, sizeof(t2), "%.*g", prec, d);
        if (strtod(t2, NULL) == d) {
            memcpy(tmp, t2, sizeof(tmp));
            break;
        }
    }
    int rc = dm_buf_adds(b, tmp);
    if (rc == DM_OK && !strpbrk(tmp, ".eE"))
        rc = dm_buf_adds(b, ".0");
    return rc;
}

static int emit_inline_object(struct dm_buf *b, const json_t *v, int depth)
{
    const char *k;
    json_t *m;
    bool first = true;
    int rc = dm_buf_addc(b, '{');
    json_object_foreach((json_t *)v, k, m) {
        if (rc != DM_OK)
            break;
        if (json_is_null(m))
            continue;
        rc = dm_buf_adds(b, first ? " " : ", ");
        if (rc == DM_OK)
            rc = emit_key(b, k);
        if (rc == DM_OK)
            rc = dm_buf_adds(b, " = ");
        if (rc == DM_OK)
            rc = emit_inline(b, m, depth + 1);
        first = false;
    }
    if (rc == DM_OK)
        rc = dm_buf_adds(b, first ? "}" : " }");
    return rc;
}

static int emit_inline(struct dm_buf *b, const json_t *v, int depth)
{
    if (depth > TOML_EMIT_MAX_DEPTH)
        return DM_E_TOO_LARGE;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return emit_str(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return dm_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return emit_real(b, json_real_value(v));
    case JSON_TRUE:
        return dm_buf_adds(b, "true");
    case JSON_FALSE:
        return dm_buf_adds(b, "false");
    case JSON_OBJECT:
        return emit_inline_object(b, v, depth);
    case JSON_ARRAY: {
        int rc = dm_buf_addc(b, '[');
        for (size_t i = 0; i < json_array_size(v) && rc == DM_OK; i++) {
            if (i)
                rc = dm_buf_adds(b, ", ");
            if (rc == DM_OK)
                rc = emit_inline(b, json_array_get(v, i), depth + 1);
        }
        return rc == DM_OK ? dm_buf_addc(b, ']') : rc;
    }
    default:
        return DM_E_INVAL;   /* null inside an array has no TOML form */
    }
}

static bool is_table_array(const json_t *v)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!json_is_object(json_array_get(v, i)))
            return false;
    return true;
}

/* "a.b" path for headers, each part quoted when needed. */
static int path_push(struct dm_buf *path, const char *k, size_t *saved)
{
    *saved = path->len;
    int rc = path->len ? dm_buf_addc(path, '.') : DM_OK;
    return rc == DM_OK ? emit_key(path, k) : rc;
}

static void path_pop(struct dm_buf *path, size_t saved)
{
    path->len = saved;
    if (path->data)
        path->data[saved] = '\0';
}

static int emit_table(struct dm_buf *b, const json_t *obj, struct dm_buf *path, int depth);

static int emit_subtables(struct dm_buf *b, const json_t *obj, struct dm_buf *path, int depth)
{
    const char *k;
    json_t *v;
    int rc = DM_OK;
    json_object_foreach((json_t *)obj, k, v) {
        if (!json_is_object(v) && !is_table_array(v))
            continue;
        size_t saved;
        rc = path_push(path, k, &saved);
        if (rc != DM_OK)
            return rc;
        if (json_is_object(v)) {
            rc = dm_buf_printf(b, "\n[%s]\n", path->data);
            if (rc == DM_OK)
                rc = emit_table(b, v, path, depth + 1);
        } else {
            for (size_t i = 0; i < json_array_size(v) && rc == DM_OK; i++) {
                rc = dm_buf_printf(b, "\n[[%s]]\n", path->data);
                if (rc == DM_OK)
                    rc = emit_table(b, json_array_get(v, i), path, depth + 1);
            }
        }
        path_pop(path, saved);
        if (rc != DM_OK)
            return rc;
    }
    return rc;
}

static int emit_table(struct dm_buf *b, const json_t *obj, struct dm_buf *path, int depth)
{
    if (depth > TOML_EMIT_MAX_DEPTH)
        return DM_E_TOO_LARGE;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (json_is_null(v) || json_is_object(v) || is_table_array(v))
            continue;
        int rc = emit_key(b, k);
        if (rc == DM_OK)
            rc = dm_buf_adds(b, " = ");
        if (rc == DM_OK)
            rc = emit_inline(b, v, depth + 1);
        if (rc == DM_OK)
            rc = dm_buf_addc(b, '\n');
        if (rc != DM_OK)
            return rc;
    }
    return emit_subtables(b, obj, path, depth);
}

char *toml_emit(const json_t *obj)
{
    if (!json_is_object(obj))
        return NULL;
    struct dm_buf b, path;
    dm_buf_init(&b, 256u << 20);
    dm_buf_init(&path, 64 * 1024);
    char *out = NULL;
    if (emit_table(&b, obj, &path, 0) == DM_OK)
        out = dm_buf_take(&b);
    dm_buf_free(&b);
    dm_buf_free(&path);
    return out;
}

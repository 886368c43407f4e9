/* router.c - see router.h */
#include "router.h"
#include "dm_hex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dm_error.h"
#include "dm_name.h"
#include "buf.h"

struct seg {
    const char *p;
    size_t n;
};

char *router_pct_decode(const char *s, size_t n, bool plus_is_space)
{
    char *out = malloc(n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? dm_hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? dm_hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '\0') {
            free(out);
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    /* escapes that decode to bytes that are not UTF-8 ("%c0%af", "%ed%a0%80", "%ff"):
     * nothing the gateway addresses or passes on (protobuf strings) can hold them */
    for (size_t i = 0; i < o;) {
        uint32_t cp;
        size_t k = (unsigned char)out[i] < 0x80 ? 1 : dm_utf8_decode((unsigned char *)out + i, o - i, &cp);
        if (k == 0) {
            free(out);
            return NULL;
        }
        i += k;
    }
    return out;
}

/* Split path into segments (after the leading '/'); one trailing '/' tolerated. */
static int split(const char *path, struct seg *segs, size_t *nsegs)
{
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/')
        return DM_E_NOT_FOUND;
    if (len > ROUTER_MAX_PATH)
        return DM_E_INVAL;
    if (len > 1 && path[len - 1] == '/')
        len--;
    size_t n = 0;
    const char *p = path + 1, *end = path + len;
    if (p >= end) {
        *nsegs = 0;
        return DM_OK;
    }
    for (;;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *e = slash ? slash : end;
        if (n == ROUTER_MAX_SEGMENTS)
            return DM_E_INVAL;
        segs[n].p = p;
        segs[n].n = (size_t)(e - p);
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    *nsegs = n;
    return DM_OK;
}

static bool is_param(const struct seg *t)
{
    return t->n >= 3 && t->p[0] == '{' && t->p[t->n - 1] == '}';
}

/* Every path parameter follows the name rule of dm_name.h (the one a task config's
 * `name` follows too, so that a task created from a body can be addressed by path). */
static bool param_ok(const char *v)
{
    return v && dm_name_check(v, strlen(v), NULL) == NULL;
}

/* Does the template's segment list match the path's? Literal comparison only. */
static bool shape_matches(const struct seg *t, size_t nt, const struct seg *s, size_t ns)
{
    if (nt != ns)
        return false;
    for (size_t i = 0; i < nt; i++) {
        if (is_param(&t[i])) {
            if (s[i].n == 0)
                return false;
            continue;
        }
        if (t[i].n != s[i].n || memcmp(t[i].p, s[i].p, s[i].n) != 0)
            return false;
    }
    return true;
}

static int capture(const struct seg *t, size_t nt, const struct seg *s, struct router_match *m)
{
    for (size_t i = 0; i < nt; i++) {
        if (!is_param(&t[i]))
            continue;
        if (m->nparams == ROUTER_MAX_PARAMS)
            return DM_E_INTERNAL;
        char *v = router_pct_decode(s[i].p, s[i].n, false);
        if (!param_ok(v)) {
            free(v);
            return DM_E_NOT_FOUND;
        }
        m->params[m->nparams] = v;
        m->param_names[m->nparams] = t[i].p + 1;
        m->param_name_len[m->nparams] = t[i].n - 2;
        m->nparams++;
    }
    return DM_OK;
}

static void allow_add(struct router_match *m, const char *method)
{
    size_t len = strlen(m->allow), ml = strlen(method);
    if (strstr(m->allow, method))
        return;
    if (len + ml + 3 >= sizeof(m->allow))
        return;
    if (len) {
        memcpy(m->allow + len, ", ", 2);
        len += 2;
    }
    memcpy(m->allow + len, method, ml + 1);
}

/* Cheap pre-check of a template against the path's segments, walking the template in
 * place: false when a literal segment differs or there are more template segments
 * (shape_matches has the last word). */
static bool template_may_match(const char *tpl, const struct seg *s, size_t ns)
{
    const char *p = tpl[0] == '/' ? tpl + 1 : tpl;
    for (size_t i = 0; *p; i++) {
        size_t n = strcspn(p, "/");
        if (i >= ns)
            return false;
        bool param = n >= 3 && p[0] == '{' && p[n - 1] == '}';
        if (!param && (n != s[i].n || memcmp(p, s[i].p, n) != 0))
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

int router_match(const struct route *table, size_t n, const char *method, const char *path,
                 struct router_match *m)
{
    struct seg segs[ROUTER_MAX_SEGMENTS], tsegs[ROUTER_MAX_SEGMENTS];
    size_t ns = 0, nt = 0;
    bool path_known = false;
    /* HEAD is GET without the body, which libmicrohttpd leaves out (RFC 9110 9.3.2: a
     * server MUST support HEAD where it supports GET; monitors probe with it). */
    bool head = strcmp(method, "HEAD") == 0;
    memset(m, 0, sizeof(*m));
    int rc = split(path, segs, &ns);
    if (rc != DM_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!template_may_match(table[i].path, segs, ns))
            continue;   /* most templates differ in their first segments: no split */
        if (split(table[i].path, tsegs, &nt) != DM_OK)
            continue;
        if (!shape_matches(tsegs, nt, segs, ns))
            continue;
        path_known = true;
        bool get = strcmp(table[i].method, "GET") == 0;
        allow_add(m, table[i].method);
        if (get)
            allow_add(m, "HEAD");
        if (strcmp(table[i].method, method) != 0 && !(head && get))
            continue;
        rc = capture(tsegs, nt, segs, m);
        if (rc != DM_OK)
            return rc;
        m->route = &table[i];
        m->index = i;
        return DM_OK;
    }
    return path_known ? DM_E_METHOD : DM_E_NOT_FOUND;
}

void router_match_clear(struct router_match *m)
{
    for (size_t i = 0; i < m->nparams; i++)
        free(m->params[i]);
    memset(m, 0, sizeof(*m));
}

const char *router_param(const struct router_match *m, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < m->nparams; i++) {
        if (m->param_name_len[i] == nl && memcmp(m->param_names[i], name, nl) == 0)
            return m->params[i];
    }
    return NULL;
}

/* ---------- media types ---------- */

bool router_media_is(const char *ct, const char *type)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strlen(type);
    if (strncasecmp(ct, type, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

bool router_media_json(const char *ct)
{
    return !ct || router_media_is(ct, "application/json") ||
           router_media_is(ct, "application/merge-patch+json");
}

bool router_media_yaml(const char *ct)
{
    return router_media_is(ct, "application/yaml") || router_media_is(ct, "text/yaml") ||
           router_media_is(ct, "application/x-yaml") || router_media_is(ct, "text/x-yaml") ||
           router_media_is(ct, "text/plain");
}

bool router_media_config_text(const char *ct)
{
    return router_media_is(ct, "text/plain") || router_media_is(ct, "application/toml");
}

/* One parameter "name=value" of a media type starting at p (after the ';'): name and
 * value spans (value unquoted, escapes left as they are); returns where it ends. */
static const char *media_param(const char *p, const char **name, size_t *nl, const char **val,
                               size_t *vl)
{
    p += strspn(p, " \t");
    *name = p;
    *nl = strcspn(p, "=;");
    p += *nl;
    while (*nl && ((*name)[*nl - 1] == ' ' || (*name)[*nl - 1] == '\t'))
        (*nl)--;
    *val = p;
    *vl = 0;
    if (*p != '=')
        return p;
    p += 1 + strspn(p + 1, " \t");
    if (*p == '"') {
        *val = ++p;
        while (*p && *p != '"')
            p += p[0] == '\\' && p[1] ? 2 : 1;
        *vl = (size_t)(p - *val);
        p += *p == '"';
    } else {
        *val = p;
        *vl = strcspn(p, ";");
        while (*vl && (p[*vl - 1] == ' ' || p[*vl - 1] == '\t'))
            (*vl)--;
    }
    return p + strcspn(p, ";");
}

const char *router_media_charset_bad(const char *ct, size_t *len)
{
    static const char *const utf8[] = {"utf-8", "utf8", "us-ascii"};
    const char *p = ct ? strchr(ct, ';') : NULL;
    while (p && *p == ';') {
        const char *name, *val;
        size_t nl, vl;
        p = media_param(p + 1, &name, &nl, &val, &vl);
        if (nl != 7 || strncasecmp(name, "charset", 7) != 0)
            continue;
        for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
            if (vl == strlen(utf8[i]) && strncasecmp(val, utf8[i], vl) == 0)
                goto next;
        }
        *len = vl;
        return val;
    next:;
    }
    return NULL;
}

bool router_body_media_ok(const struct route *rt, const char *ct)
{
    unsigned f = rt->flags;
    if (!(f & (ROUTE_F_JSON | ROUTE_F_TASK | ROUTE_F_CONFIG)))
        return true;
    return router_media_json(ct) || ((f & ROUTE_F_TASK) && router_media_yaml(ct)) ||
           ((f & ROUTE_F_CONFIG) && router_media_config_text(ct));
}

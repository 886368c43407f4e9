/* gtid.c - MariaDB GTID sets (contract in gtid.h; DM v1.0.7 pkg/gtid, go-mysql
 * mysql/mariadb_gtid.go). */
#include "gtid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_assert.h"
#include "dm_error.h"

/* One unsigned decimal of at most `max` into *v; advances *p. */
static bool take_num(const char **p, const char *end, uint64_t max, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (s >= end || *s < '0' || *s > '9')
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *p = s;
    *v = x;
    return true;
}

bool gtid_parse(const char *s, size_t len, struct gtid *out)
{
    const char *p = s, *end = s + len;
    uint64_t d, sv, q;
    if (!take_num(&p, end, UINT32_MAX, &d) || p >= end || *p++ != '-' ||
        !take_num(&p, end, UINT32_MAX, &sv) || p >= end || *p++ != '-' ||
        !take_num(&p, end, UINT64_MAX, &q) || p != end)
        return false;
    out->domain = (uint32_t)d;
    out->server = (uint32_t)sv;
    out->seq = q;
    return true;
}

/* index of domain in s, or where it would be inserted (with *found false) */
static size_t find(const struct gtid_set *s, uint32_t domain, bool *found)
{
    size_t i = 0;
    while (i < s->n && s->g[i].domain < domain)
        i++;
    *found = i < s->n && s->g[i].domain == domain;
    return i;
}

static int put(struct gtid_set *s, const struct gtid *g, bool max_only)
{
    bool found;
    size_t i = find(s, g->domain, &found);
    if (found) {
        if (!max_only || g->seq > s->g[i].seq)
            s->g[i] = *g;
        return DM_OK;
    }
    if (s->n >= GTID_MAX_DOMAINS)
        return DM_E_TOO_LARGE;
    memmove(&s->g[i + 1], &s->g[i], (s->n - i) * sizeof s->g[0]);
    s->g[i] = *g;
    s->n++;
    DM_ASSERT(s->n <= GTID_MAX_DOMAINS);
    return DM_OK;
}

int gtid_set_update(struct gtid_set *s, const struct gtid *g)
{
    return put(s, g, false);
}

int gtid_set_merge_max(struct gtid_set *s, const struct gtid *g)
{
    return put(s, g, true);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int gtid_set_parse(const char *s, struct gtid_set *out, char *err, size_t cap)
{
    out->n = 0;
    if (!s)
        return DM_OK;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *a = p, *b = p + n;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        struct gtid g;
        if (a == b && !p[n] && p == s)
            return DM_OK;                          /* "" or blanks: the empty set */
        if (!gtid_parse(a, (size_t)(b - a), &g)) {
            snprintf(err, cap, "invalid MariaDB GTID '%.*s' in GTID set '%s' (want "
                     "domain-server-sequence)", (int)(b - a), a, s);
            return DM_E_PARSE;
        }
        if (gtid_set_update(out, &g) != DM_OK) {
            snprintf(err, cap, "GTID set '%.200s' has more than %d domains", s, GTID_MAX_DOMAINS);
            return DM_E_TOO_LARGE;
        }
        if (!p[n])
            return DM_OK;
        p += n + 1;
    }
}

bool gtid_set_format(const struct gtid_set *s, char *buf, size_t cap)
{
    size_t off = 0;
    if (cap == 0)
        return false;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        int k = snprintf(buf + off, cap - off, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64,
                         i ? "," : "", s->g[i].domain, s->g[i].server, s->g[i].seq);
        if (k < 0 || (size_t)k >= cap - off) {
            buf[0] = '\0';
            return false;
        }
        off += (size_t)k;
    }
    return true;
}

const struct gtid *gtid_set_get(const struct gtid_set *s, uint32_t domain)
{
    bool found;
    size_t i = find(s, domain, &found);
    return found ? &s->g[i] : NULL;
}

bool gtid_set_contain(const struct gtid_set *a, const struct gtid_set *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct gtid *x = gtid_set_get(a, b->g[i].domain);
        if (!x || x->seq < b->g[i].seq)
            return false;
    }
    return true;
}

bool gtid_set_equal(const struct gtid_set *a, const struct gtid_set *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)   /* both sorted by domain */
        if (a->g[i].domain != b->g[i].domain || a->g[i].server != b->g[i].server ||
            a->g[i].seq != b->g[i].seq)
            return false;
    return true;
}

bool gtid_text_update(char *set, size_t cap, const struct gtid *g)
{
    struct gtid_set s;
    char err[256], out[2048];
    if (gtid_set_parse(set, &s, err, sizeof err) != DM_OK || gtid_set_update(&s, g) != DM_OK ||
        !gtid_set_format(&s, out, sizeof out) || strlen(out) >= cap)
        return false;
    memcpy(set, out, strlen(out) + 1);
    return true;
}

static bool parse2(const char *a, const char *b, struct gtid_set *x, struct gtid_set *y)
{
    char err[256];
    return gtid_set_parse(a, x, err, sizeof err) == DM_OK &&
           gtid_set_parse(b, y, err, sizeof err) == DM_OK;
}

bool gtid_text_equal(const char *a, const char *b)
{
    struct gtid_set x, y;
    return parse2(a, b, &x, &y) && gtid_set_equal(&x, &y);
}

bool gtid_text_contain(const char *a, const char *b)
{
    struct gtid_set x, y;
    return parse2(a, b, &x, &y) && gtid_set_contain(&x, &y);
}

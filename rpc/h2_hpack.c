/* h2_hpack.c - see h2_hpack.h. */
#include "h2_hpack.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

#define HPACK_MAX_STRING (1u << 20)   /* a longer header name or value is refused */

/* RFC 7541 Appendix A. */
static const char *const static_table[61][2] = {
    {":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
    {":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
    {":status", "204"}, {":status", "206"}, {":status", "304"}, {":status", "400"},
    {":status", "404"}, {":status", "500"}, {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"}, {"accept-language", ""}, {"accept-ranges", ""},
    {"accept", ""}, {"access-control-allow-origin", ""}, {"age", ""}, {"allow", ""},
    {"authorization", ""}, {"cache-control", ""}, {"content-disposition", ""},
    {"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
    {"content-location", ""}, {"content-range", ""}, {"content-type", ""}, {"cookie", ""},
    {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""}, {"from", ""}, {"host", ""},
    {"if-match", ""}, {"if-modified-since", ""}, {"if-none-match", ""}, {"if-range", ""},
    {"if-unmodified-since", ""}, {"last-modified", ""}, {"link", ""}, {"location", ""},
    {"max-forwards", ""}, {"proxy-authenticate", ""}, {"proxy-authorization", ""},
    {"range", ""}, {"referer", ""}, {"refresh", ""}, {"retry-after", ""}, {"server", ""},
    {"set-cookie", ""}, {"strict-transport-security", ""}, {"transfer-encoding", ""},
    {"user-agent", ""}, {"vary", ""}, {"via", ""}, {"www-authenticate", ""},
};

/* RFC 7541 Appendix B code lengths of symbols 0..255 and EOS (256). The code is
 * canonical (codes of one length are consecutive, in symbol order, shorter codes first),
 * so the lengths determine it; test_h2_hpack checks a few codes against the RFC. */
static const uint8_t huff_len[257] = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28,
    30, 28, 28, 28, 28, 28, 28, 28, 28, 28, 6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11,
    8,  6,  6,  6,  5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8,  15, 6,  12, 10, 13, 6,
    7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,
    8,  7,  8,  13, 19, 13, 14, 6,  15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,
    6,  5,  6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7,  15, 11, 14, 13, 28, 20, 22, 20, 20,
    22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21,
    22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23,
    22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26,
    28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27,
    26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
};

/* Canonical decoding tables: for each length, the first code, how many codes, and where
 * its symbols start in `sorted`. */
static struct {
    uint32_t first[31];
    uint16_t count[31];
    uint16_t start[31];
    uint16_t sorted[257];
} huff;
static pthread_once_t huff_once = PTHREAD_ONCE_INIT;

static void huff_init(void)
{
    uint16_t k = 0;
    uint32_t code = 0;
    for (int len = 1; len <= 30; len++) {
        huff.first[len] = code;
        huff.start[len] = k;
        for (int s = 0; s < 257; s++)
            if (huff_len[s] == len)
                huff.sorted[k++] = (uint16_t)s;
        huff.count[len] = (uint16_t)(k - huff.start[len]);
        code = (code + huff.count[len]) << 1;
    }
}

int hpack_huff_decode(const uint8_t *src, size_t n, struct dm_buf *out)
{
    pthread_once(&huff_once, huff_init);
    uint32_t code = 0;
    int len = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 7; bit >= 0; bit--) {
            code = (code << 1) | ((src[i] >> bit) & 1u);
            if (++len > 30)
                return -1;
            uint32_t off = code - huff.first[len];
            if (code < huff.first[len] || off >= huff.count[len])
                continue;
            uint16_t sym = huff.sorted[huff.start[len] + off];
            if (sym == 256 || dm_buf_addc(out, (char)sym) != DM_OK)
                return -1;   /* EOS inside a string is an error (RFC 7541 5.2) */
            code = 0;
            len = 0;
        }
    }
    /* padding: fewer than 8 bits, all ones (a prefix of EOS) */
    return len < 8 && code == (1u << len) - 1 ? 0 : -1;
}

/* ---- dynamic table ---- */

void hpack_dec_init(struct hpack_dec *d, size_t settings_max)
{
    memset(d, 0, sizeof(*d));
    d->settings_max = d->max_size = settings_max;
    dm_buf_init(&d->name, HPACK_MAX_STRING);
    dm_buf_init(&d->value, HPACK_MAX_STRING);
}

static struct hpack_entry *dyn_at(struct hpack_dec *d, uint32_t i)   /* i = 0: newest */
{
    return &d->ring[(d->newest - i) & (d->cap - 1)];
}

static void evict_one(struct hpack_dec *d)
{
    struct hpack_entry *e = dyn_at(d, d->count - 1);
    d->size -= e->nlen + e->vlen + 32u;
    free(e->name);
    e->name = e->value = NULL;
    d->count--;
}

static void evict_to(struct hpack_dec *d, size_t limit)
{
    while (d->count && d->size > limit)
        evict_one(d);
}

void hpack_dec_free(struct hpack_dec *d)
{
    evict_to(d, 0);
    free(d->ring);
    dm_buf_free(&d->name);
    dm_buf_free(&d->value);
    memset(d, 0, sizeof(*d));
}

static int ring_grow(struct hpack_dec *d)
{
    uint32_t ncap = d->cap ? d->cap * 2 : 16;
    struct hpack_entry *r = calloc(ncap, sizeof(*r));
    if (!r)
        return -1;
    for (uint32_t i = 0; i < d->count; i++)   /* oldest first */
        r[i] = *dyn_at(d, d->count - 1 - i);
    free(d->ring);
    d->ring = r;
    d->cap = ncap;
    d->newest = d->count ? d->count - 1 : ncap - 1;
    return 0;
}

/* RFC 7541 4.4: evict to make room; an entry larger than the table empties it. */
static int dyn_add(struct hpack_dec *d, const char *n, size_t nl, const char *v, size_t vl)
{
    size_t sz = nl + vl + 32u;
    if (sz > d->max_size) {
        evict_to(d, 0);
        return 0;
    }
    evict_to(d, d->max_size - sz);
    if (d->count == d->cap && ring_grow(d) != 0)
        return -1;
    char *mem = malloc(nl + vl + 2);
    if (!mem)
        return -1;
    memcpy(mem, n, nl);
    mem[nl] = '\0';
    memcpy(mem + nl + 1, v, vl);
    mem[nl + 1 + vl] = '\0';
    d->newest = (d->newest + 1) & (d->cap - 1);
    *dyn_at(d, 0) = (struct hpack_entry){mem, mem + nl + 1, (uint32_t)nl, (uint32_t)vl};
    d->count++;
    d->size += sz;
    return 0;
}

/* Field `idx` (1-based, static then dynamic): name and value, or -1. */
static int lookup(struct hpack_dec *d, uint64_t idx, const char **n, size_t *nl, const char **v,
                  size_t *vl)
{
    if (idx == 0)
        return -1;
    if (idx <= 61) {
        *n = static_table[idx - 1][0];
        *v = static_table[idx - 1][1];
        *nl = strlen(*n);
        *vl = strlen(*v);
        return 0;
    }
    if (idx - 62 >= d->count)
        return -1;
    struct hpack_entry *e = dyn_at(d, (uint32_t)(idx - 62));
    *n = e->name;
    *nl = e->nlen;
    *v = e->value;
    *vl = e->vlen;
    return 0;
}

/* ---- primitives ---- */

static int get_int(const uint8_t **p, const uint8_t *end, int prefix_bits, uint64_t *out)
{
    if (*p >= end)
        return -1;
    uint64_t mask = (1u << prefix_bits) - 1, v = **p & mask;
    (*p)++;
    if (v < mask) {
        *out = v;
        return 0;
    }
    for (int shift = 0; shift <= 28; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        v += (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return v > UINT32_MAX ? -1 : 0;
        }
    }
    return -1;   /* longer than 2^32 */
}

/* Scratch strings are never NULL (an empty one is ""). */
static int ensure(struct dm_buf *b)
{
    if (b->data)
        return 0;
    if (dm_buf_reserve(b, 1) != DM_OK)
        return -1;
    b->data[0] = '\0';
    return 0;
}

static int get_string(const uint8_t **p, const uint8_t *end, struct dm_buf *out)
{
    dm_buf_reset(out);
    if (*p >= end)
        return -1;
    bool huffman = **p & 0x80;
    uint64_t len;
    if (get_int(p, end, 7, &len) != 0 || len > (uint64_t)(end - *p) || len > HPACK_MAX_STRING)
        return -1;
    const uint8_t *s = *p;
    *p += len;
    if (huffman ? hpack_huff_decode(s, (size_t)len, out) != 0
                : dm_buf_add(out, s, (size_t)len) != DM_OK)
        return -1;
    return ensure(out);
}

/* Put a (borrowed) name into the scratch name buffer. */
static int set_name(struct hpack_dec *d, const char *n, size_t nl)
{
    dm_buf_reset(&d->name);
    return dm_buf_add(&d->name, n, nl) == DM_OK ? ensure(&d->name) : -1;
}

/* A literal field (RFC 7541 6.2) with an N-bit name index prefix. */
static int literal(struct hpack_dec *d, const uint8_t **p, const uint8_t *end, int prefix,
                   bool index, hpack_field_fn fn, void *arg)
{
    uint64_t idx;
    if (get_int(p, end, prefix, &idx) != 0)
        return -1;
    if (idx) {
        const char *n, *v;
        size_t nl, vl;
        if (lookup(d, idx, &n, &nl, &v, &vl) != 0 || set_name(d, n, nl) != 0)
            return -1;
    } else if (get_string(p, end, &d->name) != 0) {
        return -1;
    }
    if (get_string(p, end, &d->value) != 0)
        return -1;
    if (index && dyn_add(d, d->name.data, d->name.len, d->value.data, d->value.len) != 0)
        return -1;
    return fn(arg, d->name.data, d->name.len, d->value.data, d->value.len);
}

int hpack_decode(struct hpack_dec *d, const uint8_t *p, size_t n, hpack_field_fn fn, void *arg)
{
    const uint8_t *end = p + n;
    bool fields = false;
    while (p < end) {
        uint8_t b = *p;
        int rc;
        if (b & 0x80) {   /* indexed */
            uint64_t idx;
            const char *nm, *v;
            size_t nl, vl;
            if (get_int(&p, end, 7, &idx) != 0 || lookup(d, idx, &nm, &nl, &v, &vl) != 0 ||
                set_name(d, nm, nl) != 0)
                return -1;
            dm_buf_reset(&d->value);
            if (dm_buf_add(&d->value, v, vl) != DM_OK || ensure(&d->value) != 0)
                return -1;
            rc = fn(arg, d->name.data, nl, d->value.data, vl);
        } else if (b & 0x40) {
            rc = literal(d, &p, end, 6, true, fn, arg);
        } else if (b & 0x20) {   /* dynamic table size update: only before the fields */
            uint64_t sz;
            if (fields || get_int(&p, end, 5, &sz) != 0 || sz > d->settings_max)
                return -1;
            d->max_size = (size_t)sz;
            evict_to(d, d->max_size);
            continue;
        } else {   /* without indexing (0000) or never indexed (0001) */
            rc = literal(d, &p, end, 4, false, fn, arg);
        }
        if (rc != 0)
            return rc;
        fields = true;
    }
    return 0;
}

/* ---- encoder ---- */

int hpack_put_int(struct dm_buf *b, uint8_t first, int prefix_bits, uint64_t v)
{
    uint64_t mask = (1u << prefix_bits) - 1;
    if (v < mask)
        return dm_buf_addc(b, (char)(first | v));
    int rc = dm_buf_addc(b, (char)(first | mask));
    for (v -= mask; rc == DM_OK && v >= 128; v >>= 7)
        rc = dm_buf_addc(b, (char)(0x80 | (v & 0x7f)));
    return rc == DM_OK ? dm_buf_addc(b, (char)v) : rc;
}

static int put_str(struct dm_buf *b, const char *s, size_t n)
{
    int rc = hpack_put_int(b, 0x00, 7, n);
    return rc == DM_OK ? dm_buf_add(b, s, n) : rc;
}

int hpack_put_literal(struct dm_buf *b, unsigned name_idx, const char *name, size_t nlen,
                      const char *value, size_t vlen)
{
    int rc = hpack_put_int(b, 0x00, 4, name_idx);
    if (rc == DM_OK && !name_idx)
        rc = put_str(b, name, nlen);
    return rc == DM_OK ? put_str(b, value, vlen) : rc;
}

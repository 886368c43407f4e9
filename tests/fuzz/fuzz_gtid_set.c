/* fuzz_gtid_set.c - MariaDB GTID sets (worker/binlog/gtid.c) on arbitrary text, as they
 * come from relay.meta `binlog-gtid`, relay-binlog-gtid in a worker config, SHOW MASTER
 * STATUS / @@gtid_binlog_pos and a GTID_LIST event's entries.
 * Input: "<set a>\n<set b>" (no newline: b = ""). Checked for every input:
 *   - a refusal carries a message; parsing twice agrees;
 *   - round trip: format(parse(a)) parses back to an equal set and formats identically;
 *   - equal / contain are reflexive; text_equal / text_contain agree with the set forms;
 *   - update: a copy of a updated with every GTID of b contains b (and is equal to b's
 *     entries on b's domains); merge_max: the result contains a and b;
 *   - gtid_text_update on a's text changes it only when it returns true (and then to the
 *     updated set); a too small buffer never overflows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "gtid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXT 4096

static int parse(const char *text, struct gtid_set *s)
{
    char err[512] = "";
    struct gtid_set again;
    char err2[512] = "";
    int rc = gtid_set_parse(text, s, err, sizeof err);
    int rc2 = gtid_set_parse(text, &again, err2, sizeof err2);
    if (rc != rc2 || (rc == DM_OK && !gtid_set_equal(s, &again)))
        abort();
    if (rc != DM_OK && (!err[0] || strcmp(err, err2) != 0))
        abort();
    if (rc == DM_OK && s->n > GTID_MAX_DOMAINS)
        abort();
    for (size_t i = 1; rc == DM_OK && i < s->n; i++)   /* sorted, one per domain */
        if (s->g[i - 1].domain >= s->g[i].domain)
            abort();
    return rc;
}

static void round_trip(const struct gtid_set *s)
{
    static char out[MAX_TEXT], out2[MAX_TEXT];
    struct gtid_set back;
    if (!gtid_set_format(s, out, sizeof out))
        abort();                     /* 64 domains of the longest items fit in 4096 */
    if (parse(out, &back) != DM_OK || !gtid_set_equal(s, &back))
        abort();
    if (!gtid_set_format(&back, out2, sizeof out2) || strcmp(out, out2) != 0)
        abort();
    /* a buffer too small: false and "" (never a partial text), else the same text */
    size_t len = strlen(out);
    for (size_t cap = 1; cap <= len + 1 && cap < 64; cap++) {
        char small[64];
        memset(small, 'x', sizeof small);
        bool ok = gtid_set_format(s, small, cap);
        if (ok != (cap > len) || (!ok && small[0] != '\0') || small[cap] != 'x' ||
            (ok && strcmp(small, out) != 0))
            abort();
    }
    if (!gtid_set_equal(s, s) || !gtid_set_contain(s, s))
        abort();
}

static void set_ops(const char *ta, const struct gtid_set *a, const char *tb,
                    const struct gtid_set *b)
{
    struct gtid_set u = *a, m = *a;
    bool full = false;
    for (size_t i = 0; i < b->n; i++) {
        if (gtid_set_update(&u, &b->g[i]) != DM_OK)
            full = true;
        if (gtid_set_merge_max(&m, &b->g[i]) != DM_OK)
            full = true;
    }
    if (!full) {
        if (!gtid_set_contain(&u, b) || !gtid_set_contain(&m, b) || !gtid_set_contain(&m, a))
            abort();
        for (size_t i = 0; i < b->n; i++) {
            const struct gtid *x = gtid_set_get(&u, b->g[i].domain);
            if (!x || x->server != b->g[i].server || x->seq != b->g[i].seq)
                abort();
        }
        if (gtid_set_contain(a, b) && !gtid_set_equal(&m, a))
            abort();                 /* nothing of b is higher: merge_max keeps a */
    }
    if (gtid_text_equal(ta, tb) != gtid_set_equal(a, b) ||
        gtid_text_contain(ta, tb) != gtid_set_contain(a, b))
        abort();
    if (gtid_set_equal(a, b) && !(gtid_set_contain(a, b) && gtid_set_contain(b, a)))
        abort();
    /* the text helper the relay's tracking uses: in place, all or nothing */
    if (b->n) {
        static char text[MAX_TEXT], before[MAX_TEXT];
        size_t cap = 1 + (size_t)(b->g[0].seq % 1200);
        if (strlen(ta) >= cap || strlen(ta) >= sizeof text)
            return;
        memcpy(text, ta, strlen(ta) + 1);
        memcpy(before, ta, strlen(ta) + 1);
        if (gtid_text_update(text, cap, &b->g[0])) {
            struct gtid_set got, want = *a;
            if (gtid_set_update(&want, &b->g[0]) != DM_OK || strlen(text) >= cap ||
                parse(text, &got) != DM_OK || !gtid_set_equal(&got, &want))
                abort();
        } else if (strcmp(text, before) != 0) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[MAX_TEXT + 1];
    struct gtid_set a, b;
    struct gtid g;
    if (size > MAX_TEXT)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    (void)gtid_parse((const char *)data, size, &g);   /* one item, not NUL-terminated */
    if (strlen(buf) != size)
        return 0;                    /* texts are C strings (relay.meta, configs) */
    char *nl = strchr(buf, '\n');
    const char *ta = buf, *tb = "";
    if (nl) {
        *nl = '\0';
        tb = nl + 1;
    }
    int ra = parse(ta, &a), rb = parse(tb, &b);
    if (ra == DM_OK)
        round_trip(&a);
    if (rb == DM_OK)
        round_trip(&b);
    if (ra == DM_OK && rb == DM_OK)
        set_ops(ta, &a, tb, &b);
    return 0;
}

/* applier_collpf.c - whether a target key collation keeps apart every two values a source
 * collation of a single-byte character set keeps apart, proven by the target server
 * (applier_int.h worker_ap_coll_prove). The name rules of worker_ap_coll_keeps_apart pass
 * the same collation and _bin targets only; a folding target collation from another
 * folding one (latin1_swedish_ci into utf8mb4_general_ci: 'A'/'\xc3\x84' two values in
 * swedish, one in general_ci) can only be told by the characters. A single-byte source
 * charset has at most 256 of them: the target server converts each (those that do not
 * convert back are refused per value by applier_conv.c) and computes both collations'
 * WEIGHT_STRINGs. The target collation keeps apart what the source does when
 *  - every character's target weight has one length > 0 (no ignorable character, no
 *    expansion: 'ß' = 'ss' in utf8mb4_unicode_ci, '\x01' ignored there),
 *  - the weight of every two characters is the two weights (no contraction, in both),
 *  - two characters of one target weight have one source weight,
 *  - a PAD SPACE target has a PAD SPACE source ('a'/'a ' one value only where both pad).
 * Then two strings equal on the target are equal character by character there, so in the
 * source too. Anything else - a multi-byte source charset, a collation the target server
 * does not know - is not proven (the caller pauses). One query per collation pair and
 * applier, cached (collations do not change). */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applier_int.h"
#include "dm_error.h"


static struct collpf *cached(const struct worker_applier *a, const char *sc, const char *tc)
{
    struct collpf *p;
    for (p = a->collpf; p; p = p->next)
        if (strcasecmp(p->sc, sc) == 0 && strcasecmp(p->tc, tc) == 0)
            return p;
    return NULL;
}

/* The query's verdict: row = (characters, distinct target weight lengths, shortest
 * target weight, first folded pair "41/C4" or NULL, contractions). */
static void verdict(struct collpf *p, MYSQL_ROW row)
{
    p->ok = row && row[0] && row[1] && row[2] && row[4] && strtoul(row[0], NULL, 10) > 0 &&
            strcmp(row[1], "1") == 0 && strcmp(row[2], "0") != 0 && !row[3] &&
            strcmp(row[4], "0") == 0;
    if (row && row[3])
        snprintf(p->ex, sizeof p->ex, "%s", row[3]);
    else if (row && row[1] && strcmp(row[1], "1") != 0)
        snprintf(p->ex, sizeof p->ex, "expands");
    else if (row && row[4] && strcmp(row[4], "0") != 0)
        snprintf(p->ex, sizeof p->ex, "contracts");
}

static int run_proof(struct worker_applier *a, const char *scs, const char *sc,
                     const char *tcs, const char *tc, struct collpf *p, struct worker_terr *e)
{
    char q[2048];
    MYSQL_RES *res = NULL;
    int rc;
    snprintf(q, sizeof q,
             "WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM b WHERE n<255), "
             "s AS (SELECT n, CONVERT(UNHEX(LPAD(HEX(n),2,'0')) USING %s) COLLATE %s AS c "
             "FROM b), "
             "v AS (SELECT n, c, CONVERT(c USING %s) COLLATE %s AS t FROM s WHERE "
             "BINARY CONVERT(CONVERT(c USING %s) USING %s) = BINARY c), "
             "w AS (SELECT n, c, t, WEIGHT_STRING(c) AS ws, WEIGHT_STRING(t) AS wt FROM v) "
             "SELECT (SELECT COUNT(*) FROM w), (SELECT COUNT(DISTINCT LENGTH(wt)) FROM w), "
             "(SELECT MIN(LENGTH(wt)) FROM w), "
             "(SELECT MIN(CONCAT(HEX(x.n),'/',HEX(y.n))) FROM w x JOIN w y ON x.wt=y.wt AND "
             "x.ws<>y.ws), "
             "(SELECT COUNT(*) FROM w x JOIN w y WHERE WEIGHT_STRING(CONCAT(x.t,y.t)) <> "
             "CONCAT(x.wt,y.wt) OR WEIGHT_STRING(CONCAT(x.c,y.c)) <> CONCAT(x.ws,y.ws))",
             scs, sc, tcs, tc, tcs, scs);
    rc = worker_ap_query(a, q, &res, e);
    if (rc) {
        unsigned no = a->my ? mysql_errno(a->my) : 0;
        if (no == 0 || no >= 2000)
            return rc;              /* the target is gone: transient, as any query */
        snprintf(p->ex, sizeof p->ex, "unknown");   /* a collation the target lacks */
        return DM_OK;
    }
    verdict(p, mysql_fetch_row(res));
    mysql_free_result(res);
    return DM_OK;
}

static bool nopad(const char *c)
{
    return strcasestr(c, "_nopad_") != NULL || strcasecmp(c, "binary") == 0;
}

int worker_ap_coll_prove(struct worker_applier *a, const char *sc, const char *tc, bool *ok,
                         const char **ex, struct worker_terr *e)
{
    const struct collcs *s, *t;
    struct collpf *p;
    int rc;
    *ok = false;
    *ex = NULL;
    if ((p = cached(a, sc, tc))) {
        *ok = p->ok;
        *ex = p->ex[0] ? p->ex : NULL;
        return DM_OK;
    }
    if ((rc = worker_ap_coll_by_name(a, sc, &s, e)) ||
        (rc = worker_ap_coll_by_name(a, tc, &t, e)))
        return rc;
    if (!(p = calloc(1, sizeof *p)))
        return worker_ap_nomem(e);
    snprintf(p->sc, sizeof p->sc, "%s", sc);
    snprintf(p->tc, sizeof p->tc, "%s", tc);
    if (s && t && s->maxlen == 1 && worker_ap_plain_name(sc) && worker_ap_plain_name(tc) &&
        worker_ap_plain_name(s->cs) && worker_ap_plain_name(t->cs) && (nopad(tc) || !nopad(sc)) &&
        (rc = run_proof(a, s->cs, sc, t->cs, tc, p, e))) {
        free(p);
        return rc;
    }
    p->next = a->collpf;
    a->collpf = p;
    *ok = p->ok;
    *ex = p->ex[0] ? p->ex : NULL;
    return DM_OK;
}

void worker_ap_collpf_free(struct worker_applier *a)
{
    while (a->collpf) {
        struct collpf *p = a->collpf;
        a->collpf = p->next;
        free(p);
    }
}

/* test_shard_group.c - the sharding group state machine (worker/sync/shard_group, DM v1.0.7
 * ShardingGroup / ShardingMeta): TrySync until every source met the DDL, held rows
 * (in_syncing), the global checkpoint's ceiling, resolve + reset, sequence sharding
 * (a source two DDLs ahead), wrong sequence (36008), add/leave refused in sequence
 * sharding (36005/36006), status JSON, meta rows round trip, table points. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "shard_group.h"
#include "testutil.h"

#define TGT "`db`.`t`"
#define S1 "`db_1`.`t_1`"
#define S2 "`db_1`.`t_2`"
#define S3 "`db_2`.`t_1`"

static struct wsk_pos P(const char *f, uint64_t pos)
{
    struct wsk_pos p;
    memset(&p, 0, sizeof p);
    strcpy(p.file, f);
    p.pos = pos;
    return p;
}

static struct wsk *three(void)
{
    struct wsk *k = wsk_new();
    char err[512];
    int code;
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(wsk_add(k, TGT, S1, false, &code, err, sizeof err), DM_OK);
    ck_assert_int_eq(wsk_add(k, TGT, S2, false, &code, err, sizeof err), DM_OK);
    ck_assert_int_eq(wsk_add(k, TGT, S3, false, &code, err, sizeof err), DM_OK);
    return k;
}

static struct wsk_sync try_sync(struct wsk *k, const char *src, struct wsk_pos first,
                                struct wsk_pos end, const char *ddl)
{
    char *ddls[] = { (char *)ddl };
    struct wsk_sync r;
    char err[1024];
    int code;
    ck_assert_int_eq(wsk_try_sync(k, TGT, src, &first, &end, ddls, 1, &r, &code, err,
                                  sizeof err), DM_OK);
    return r;
}

START_TEST(positions)
{
    struct wsk_pos a = P("mysql-bin.000009", 900), b = P("mysql-bin.000010", 4);
    char buf[300];
    ck_assert_int_lt(wsk_pos_cmp(&a, &b), 0);     /* numeric suffix, then pos */
    ck_assert_int_gt(wsk_pos_cmp(&b, &a), 0);
    ck_assert_int_eq(wsk_pos_cmp(&a, &a), 0);
    wsk_pos_str(&b, buf, sizeof buf);
    ck_assert_str_eq(buf, "(mysql-bin.000010, 4)");
    wsk_table_id("d", "t", buf, sizeof buf);
    ck_assert_str_eq(buf, "`d`.`t`");
}
END_TEST

START_TEST(sync_hold_resolve)
{
    struct wsk *k = three();
    struct wsk_sync r;
    struct wsk_pos low, fe, row;
    bool all;
    const char *ddl = "ALTER TABLE `db`.`t` ADD COLUMN `c` INT";
    ck_assert(!wsk_lowest_first(k, &low));
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 200), ddl);
    ck_assert(r.active && !r.synced);
    ck_assert_int_eq(r.remain, 2);
    /* S1's later rows are held, S2's are not; rows before the DDL are not held */
    row = P("b.000001", 300);
    ck_assert(wsk_in_syncing(k, TGT, S1, &row));
    ck_assert(!wsk_in_syncing(k, TGT, S2, &row));
    row = P("b.000001", 90);
    ck_assert(!wsk_in_syncing(k, TGT, S1, &row));
    /* the global checkpoint stays at the first DDL */
    ck_assert(wsk_lowest_first(k, &low));
    ck_assert_int_eq(low.pos, 100);
    /* the same DDL met again (restart replay): no double count */
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 200), ddl);
    ck_assert_int_eq(r.remain, 2);
    r = try_sync(k, S2, P("b.000001", 400), P("b.000001", 500), ddl);
    ck_assert(!r.synced);
    r = try_sync(k, S3, P("b.000002", 10), P("b.000002", 60), ddl);
    ck_assert(r.synced && r.active);
    ck_assert_int_eq(r.remain, 0);
    ck_assert(wsk_first_end(k, TGT, &fe));
    ck_assert_int_eq(fe.pos, 200);                /* re-sync starts after the first DDL */
    ck_assert_int_eq(wsk_resolve(k, TGT, &all), DM_OK);
    ck_assert(all);
    wsk_reset(k, TGT);
    ck_assert(!wsk_lowest_first(k, &low));
    row = P("b.000003", 4);
    ck_assert(!wsk_in_syncing(k, TGT, S1, &row));
    ck_assert(!wsk_first_end(k, TGT, &fe));
    wsk_free(k);
}
END_TEST

START_TEST(sequence_sharding)
{
    struct wsk *k = three();
    struct wsk_sync r;
    struct wsk_pos nx, row;
    bool all;
    const char *d1 = "ALTER TABLE `db`.`t` ADD COLUMN `c` INT";
    const char *d2 = "ALTER TABLE `db`.`t` ADD COLUMN `d` INT";
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 150), d1);
    ck_assert(r.active);
    r = try_sync(k, S1, P("b.000001", 200), P("b.000001", 250), d2);   /* S1 two ahead */
    ck_assert(!r.active);                                              /* not this round */
    r = try_sync(k, S2, P("b.000001", 300), P("b.000001", 350), d1);
    r = try_sync(k, S3, P("b.000001", 400), P("b.000001", 450), d1);
    ck_assert(r.synced);
    ck_assert_int_eq(wsk_resolve(k, TGT, &all), DM_OK);
    ck_assert(!all);                                                   /* d2 still to do */
    wsk_reset(k, TGT);
    ck_assert(wsk_active_first(k, TGT, &nx));
    ck_assert_int_eq(nx.pos, 200);
    /* before the redirect (the re-sync pass of d1): S1's rows after d2 stay held (DM's
     * CheckSyncing looks at the source's active item only), its rows between d1 and d2 not */
    row = P("b.000001", 260);
    ck_assert(wsk_in_syncing(k, TGT, S1, &row));
    row = P("b.000001", 160);
    ck_assert(!wsk_in_syncing(k, TGT, S1, &row));
    ck_assert(!wsk_in_syncing(k, TGT, S2, &row));
    /* re-met after the redirect: S1 is active for d2 now, its rows after it held */
    r = try_sync(k, S1, P("b.000001", 200), P("b.000001", 250), d2);
    ck_assert(r.active && !r.synced);
    row = P("b.000001", 260);
    ck_assert(wsk_in_syncing(k, TGT, S1, &row));
    r = try_sync(k, S2, P("b.000001", 500), P("b.000001", 550), d2);
    r = try_sync(k, S3, P("b.000001", 600), P("b.000001", 650), d2);
    ck_assert(r.synced);
    ck_assert_int_eq(wsk_resolve(k, TGT, &all), DM_OK);
    ck_assert(all);
    wsk_free(k);
}
END_TEST

START_TEST(wrong_sequence_and_membership)
{
    struct wsk *k = three();
    struct wsk_sync r;
    char *ddls[] = { (char *)"ALTER TABLE `db`.`t` ADD COLUMN `x` BIGINT" };
    struct wsk_pos f = P("b.000001", 300), e = P("b.000001", 350);
    char err[1024];
    int code = 0;
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 150), "ALTER TABLE `db`.`t` ADD COLUMN `x` INT");
    ck_assert(!r.synced);
    /* S2 meets a different first DDL: its sequence is no prefix of the group's */
    ck_assert_int_eq(wsk_try_sync(k, TGT, S2, &f, &e, ddls, 1, &r, &code, err, sizeof err),
                     DM_E_INVAL);
    ck_assert_int_eq(code, 36008);
    ck_assert_ptr_nonnull(strstr(err, "detect inconsistent DDL sequence from source"));
    /* no table joins or leaves while the sequence is unresolved */
    ck_assert_int_eq(wsk_add(k, TGT, "`db_9`.`t_9`", true, &code, err, sizeof err), DM_E_INVAL);
    ck_assert_int_eq(code, 36005);
    ck_assert_int_eq(wsk_leave(k, TGT, S3, &code, err, sizeof err), DM_E_INVAL);
    ck_assert_int_eq(code, 36006);
    ck_assert_str_eq(wsk_group_of(k, S3), TGT);
    ck_assert_ptr_null(wsk_group_of(k, "`x`.`y`"));
    wsk_free(k);

    /* outside a sequence: leave drops an unsynced source from remain */
    k = three();
    ck_assert_int_eq(wsk_leave(k, TGT, S3, &code, err, sizeof err), DM_OK);
    ck_assert_ptr_null(wsk_group_of(k, S3));
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 150), "D");
    r = try_sync(k, S2, P("b.000001", 200), P("b.000001", 250), "D");
    ck_assert(r.synced);
    wsk_free(k);

    /* CREATE TABLE (merge) outside a sequence joins: the next DDL waits for it too */
    k = three();
    ck_assert_int_eq(wsk_add(k, TGT, "`db_3`.`t_1`", true, &code, err, sizeof err), DM_OK);
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 150), "D");
    r = try_sync(k, S2, P("b.000001", 200), P("b.000001", 250), "D");
    r = try_sync(k, S3, P("b.000001", 300), P("b.000001", 350), "D");
    ck_assert(!r.synced);
    ck_assert_int_eq(r.remain, 1);
    {
        const char *ids[8], *tg[8];
        ck_assert_uint_eq(wsk_sources_of_schema(k, "db_1", ids, tg, 8), 2);
        ck_assert_uint_eq(wsk_sources(k, TGT, ids, 8), 4);
    }
    wsk_free(k);
}
END_TEST

START_TEST(status_and_meta_round_trip)
{
    struct wsk *k = three(), *k2 = three();
    struct wsk_meta_row *rows = NULL;
    struct wsk_pos row;
    struct wsk_sync r;
    size_t n = 0;
    json_t *st;
    char *txt, err[512];
    r = try_sync(k, S1, P("b.000001", 100), P("b.000001", 150), "D1");
    (void)r;
    st = wsk_status_json(k);
    txt = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(txt, "[{\"DDLs\":[\"D1\"],\"firstPos\":\"(b.000001, 100)\",\"synced\":"
                          "[\"`db_1`.`t_1`\"],\"target\":\"`db`.`t`\",\"unsynced\":"
                          "[\"`db_1`.`t_2`\",\"`db_2`.`t_1`\"]}]");
    free(txt);
    json_decref(st);
    ck_assert_int_eq(wsk_meta_rows(k, TGT, &rows, &n), DM_OK);
    ck_assert_uint_eq(n, 2);                       /* global + S1 */
    ck_assert_str_eq(rows[0].source, "");
    ck_assert_str_eq(rows[0].data, "[{\"first-pos\":{\"Name\":\"b.000001\",\"Pos\":100},"
                                   "\"ddls\":[\"D1\"],\"source\":\"`db_1`.`t_1`\"}]");
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(wsk_restore(k2, TGT, rows[i].source, rows[i].active_idx,
                                     rows[i].source[0] == '\0', rows[i].data, err, sizeof err),
                         DM_OK);
    wsk_meta_rows_free(rows, n);
    /* restored: the sequence is known, the replayed DDL marks S1 synced again */
    r = try_sync(k2, S1, P("b.000001", 100), P("b.000001", 150), "D1");
    ck_assert(r.active);
    ck_assert_int_eq(r.remain, 2);
    row = P("b.000001", 160);
    ck_assert(wsk_in_syncing(k2, TGT, S1, &row));
    ck_assert_int_eq(wsk_restore(k2, TGT, "", 0, true, "{bad", err, sizeof err), DM_E_INVAL);
    ck_assert_int_eq(wsk_restore(k2, "`no`.`group`", "", 0, true, "[]", err, sizeof err),
                     DM_E_INVAL);
    wsk_free(k);
    wsk_free(k2);
}
END_TEST

START_TEST(table_points)
{
    struct wsk *k = wsk_new();
    struct wsk_pos p = P("b.000002", 77), out;
    ck_assert(!wsk_point_get(k, S1, &out));
    wsk_point_set(k, S1, &p);
    ck_assert(wsk_point_get(k, S1, &out));
    ck_assert_int_eq(wsk_pos_cmp(&out, &p), 0);
    p.pos = 99;
    wsk_point_set(k, S1, &p);
    ck_assert(wsk_point_get(k, S1, &out));
    ck_assert_int_eq(out.pos, 99);
    wsk_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard_group");
    TCase *tc = tcase_create("shard_group");
    tcase_add_test(tc, positions);
    tcase_add_test(tc, sync_hold_resolve);
    tcase_add_test(tc, sequence_sharding);
    tcase_add_test(tc, wrong_sequence_and_membership);
    tcase_add_test(tc, status_and_meta_round_trip);
    tcase_add_test(tc, table_points);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

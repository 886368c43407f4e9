/* test_sync_random.c - randomized, seeded (DMGW_SEED, default 20261207; printed) mixed
 * INSERT/UPDATE/DELETE under a random per-statement session binlog_row_image (FULL,
 * MINIMAL, NOBLOB) across tables with several charsets (latin1, gbk, big5, sjis, ucs2,
 * utf16, utf32, utf8mb4, binary), key shapes (PK, composite PK, NOT NULL UK only,
 * nullable UK only, PK + nullable UK, no key) and many column types, replicated by the
 * real dm-worker in normal mode (rt -> rt_n) and safe mode (rt -> rt_s); then per table
 * count + order-independent checksum over HEX() of every column, source vs both targets,
 * (REPLACE naming every column and INSERT ... ON DUPLICATE KEY UPDATE among them; the
 * NOBLOB session is not strict, so its invalid ENUM members store index 0),
 * with every table non-empty. DMGW_RANDOM_OPS overrides the 2000 statements.
 * Also: a table with an INVISIBLE column, VIRTUAL/STORED generated columns (one in a
 * unique key), FLOAT -0/extremes, negative fractional TIME, POINT and JSON; a MyISAM table;
 * and source transactions with SAVEPOINT / ROLLBACK TO / RELEASE - InnoDB only (MariaDB
 * drops the rolled-back rows from the binlog) or with MyISAM changes (ROLLBACK TO is
 * logged, with no InnoDB rows after the savepoint: must not pause). */
#include "rowimg_e2e.h"

static uint64_t g_rng;

static uint32_t rnd(uint32_t n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng % n);
}

struct rtable {
    const char *name, *ddl, *cols;   /* cols: checksum expression list */
};

static const struct rtable tables[] = {
    { "t_pk", "(id INT PRIMARY KEY, a INT, s VARCHAR(20) CHARACTER SET latin1, "
              "g VARCHAR(20) CHARACTER SET gbk, b BLOB, d DECIMAL(10,2), dt DATETIME(3), "
              "e ENUM('x','é','z'), st SET('a','ü','c'), f DOUBLE, bi BIT(8), "
              "j TEXT CHARACTER SET utf8mb4, u BIGINT UNSIGNED)",
      "id,IFNULL(a,'N'),IFNULL(HEX(s),'N'),IFNULL(HEX(g),'N'),IFNULL(HEX(b),'N'),"
      "IFNULL(d,'N'),IFNULL(dt,'N'),IFNULL(HEX(e),'N'),IFNULL(HEX(st),'N'),IFNULL(f,'N'),"
      "IFNULL(HEX(bi),'N'),IFNULL(HEX(j),'N'),IFNULL(u,'N')" },
    { "t_cpk", "(k1 INT, k2 VARCHAR(10) CHARACTER SET utf8mb4, v INT, "
               "t TEXT CHARACTER SET ucs2, PRIMARY KEY (k1,k2))",
      "k1,HEX(k2),IFNULL(v,'N'),IFNULL(HEX(t),'N')" },
    { "t_uk", "(u INT NOT NULL UNIQUE, v VARCHAR(20) CHARACTER SET big5, b VARBINARY(16))",
      "u,IFNULL(HEX(v),'N'),IFNULL(HEX(b),'N')" },
    { "t_nuk", "(id INT NULL UNIQUE, v INT, s CHAR(10) CHARACTER SET sjis)",
      "IFNULL(id,'N'),IFNULL(v,'N'),IFNULL(HEX(s),'N')" },
    { "t_pkuk", "(id INT PRIMARY KEY, u INT NULL UNIQUE, v INT, "
                "s VARCHAR(10) CHARACTER SET utf32, m MEDIUMBLOB)",
      "id,IFNULL(u,'N'),IFNULL(v,'N'),IFNULL(HEX(s),'N'),IFNULL(HEX(m),'N')" },
    { "t_nk", "(a INT, b VARCHAR(10) CHARACTER SET utf16, c BLOB)",
      "IFNULL(a,'N'),IFNULL(HEX(b),'N'),IFNULL(HEX(c),'N')" },
    { "t_gen", "(id INT PRIMARY KEY, a INT, h INT INVISIBLE DEFAULT 7, gv INT AS (a*2) VIRTUAL, "
               "gs INT AS (a+id*1000) STORED, f FLOAT, t TIME(3), p POINT, "
               "j JSON, UNIQUE KEY (gs), KEY (gv))",
      "id,IFNULL(a,'N'),IFNULL(h,'N'),IFNULL(gv,'N'),IFNULL(gs,'N'),IFNULL(HEX(CAST(f AS "
      "BINARY)),'N'),IFNULL(HEX(CAST(t AS BINARY)),'N'),IFNULL(HEX(p),'N'),IFNULL(HEX(j),'N')" },
    { "t_my", "(id INT PRIMARY KEY, v INT, s VARCHAR(10)) ENGINE=MyISAM",
      "id,IFNULL(v,'N'),IFNULL(HEX(s),'N')" },
};
#define T_MY 7                       /* index of the MyISAM table */
#define NTABLES (sizeof tables / sizeof tables[0])

/* random text literal (UTF-8 source text the server converts to the column charset) */
static const char *const texts[] = {
    "'é'", "'ü\\\\'", "'\\''", "'你好'", "'許功蓋'", "'ソ表'", "'abc'", "''", "'ß€'",
    "'😀'", "NULL", "'x y '",
};
static const char *const ucs2_texts[] = { "'é'", "'你'", "'ソ'", "''", "NULL", "'a\\\\'" };
static const char *const latin1_texts[] = { "'é'", "'ü\\\\'", "'\\''", "'abc'", "''", "NULL" };
static const char *const gbk_texts[] = { "'你好'", "'中文'", "'a'", "NULL", "'ソ'" };
static const char *const big5_texts[] = { "'許功蓋'", "'你'", "'b'", "NULL" };
static const char *const sjis_texts[] = { "'ソ表'", "'ア'", "'c'", "NULL", "'ソ\\\\'" };
#define PICK(arr) (arr)[rnd(sizeof(arr) / sizeof((arr)[0]))]

static void blob(char *out, size_t cap)
{
    size_t n = rnd(6), i, off;
    if (rnd(8) == 0) {
        snprintf(out, cap, "NULL");
        return;
    }
    off = (size_t)snprintf(out, cap, "X'");
    for (i = 0; i < n && off + 3 < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%02X", rnd(256));
    snprintf(out + off, cap - off, "'");
}

/* One random statement on table k. */
static void statement(size_t k, char *q, size_t cap)
{
    char b1[64], b2[64];
    int id = (int)rnd(60), id2 = (int)rnd(60), op = (int)rnd(10);
    blob(b1, sizeof b1);
    blob(b2, sizeof b2);
    switch (k) {
    case 0:
        if (op < 4)
            snprintf(q, cap, "INSERT INTO rt.t_pk VALUES (%d,%u,%s,%s,%s,%u.%02u,"
                     "'2024-01-%02u 10:00:00.%03u',%u,%u,%u.%u,%u,%s,%u)", id, rnd(100),
                     PICK(latin1_texts), PICK(gbk_texts), b1, rnd(1000), rnd(100), 1 + rnd(28),
                     rnd(1000), 1 + rnd(3), rnd(8), rnd(100), rnd(1000), rnd(256), PICK(texts),
                     rnd(4000000000u));
        else if (op == 4)
            snprintf(q, cap, "INSERT INTO rt.t_pk (id,a) VALUES (%d,%u)", id, rnd(100));
        else if (op < 8)
            snprintf(q, cap, "UPDATE rt.t_pk SET %s WHERE id=%d",
                     rnd(3) == 0 ? "s=CONCAT(IFNULL(s,''),'é'), e=IF(a%3=0,'bad',2), st=5" :
                     rnd(2) ? "a=a+1, g='中'" : "b=X'0A0B', f=f/3, bi=bi^1, u=u+1", id);
        else if (op == 8)
            snprintf(q, cap, "UPDATE rt.t_pk SET id=%d WHERE id=%d", id2 + 100, id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_pk WHERE id=%d", id);
        return;
    case 1:
        if (op < 4)
            snprintf(q, cap, "INSERT INTO rt.t_cpk VALUES (%d,'k%d',%u,%s)", id % 7, id,
                     rnd(100), PICK(ucs2_texts));
        else if (op < 7)
            snprintf(q, cap, "UPDATE rt.t_cpk SET v=v+%u, t=%s WHERE k1=%d", 1 + rnd(5),
                     PICK(ucs2_texts), id % 7);
        else if (op == 7)
            snprintf(q, cap, "UPDATE rt.t_cpk SET k2='m%d' WHERE k1=%d AND k2='k%d'", id2, id % 7,
                     id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_cpk WHERE k1=%d AND v>%u", id % 7, rnd(100));
        return;
    case 2:
        if (op < 4)
            snprintf(q, cap, "INSERT INTO rt.t_uk VALUES (%d,%s,%s)", id, PICK(big5_texts), b1);
        else if (op < 7)
            snprintf(q, cap, "UPDATE rt.t_uk SET v=%s, b=%s WHERE u=%d", PICK(big5_texts), b2, id);
        else if (op == 7)
            snprintf(q, cap, "UPDATE rt.t_uk SET u=%d WHERE u=%d", id2, id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_uk WHERE u=%d", id);
        return;
    case 3:
        if (op < 4)
            snprintf(q, cap, "INSERT INTO rt.t_nuk VALUES (%s,%u,%s)",
                     rnd(5) ? (snprintf(b1, sizeof b1, "%d", id), b1) : "NULL", rnd(100),
                     PICK(sjis_texts));
        else if (op < 7)
            snprintf(q, cap, "UPDATE rt.t_nuk SET v=v+1, s=%s WHERE id=%d LIMIT 1",
                     PICK(sjis_texts), id);
        else if (op == 7)
            snprintf(q, cap, "UPDATE rt.t_nuk SET id=%d WHERE id=%d", id2, id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_nuk WHERE v=%u LIMIT 1", rnd(100));
        return;
    case 4:
        if (op < 4) {   /* op 3: REPLACE naming every column or ON DUPLICATE KEY UPDATE */
            int how = op == 3 ? 1 + (int)rnd(2) : 0;
            snprintf(q, cap, "%s INTO rt.t_pkuk VALUES (%d,%s,%u,%s,%s)%s",
                     how == 1 ? "REPLACE" : "INSERT", id,
                     rnd(4) ? (snprintf(b2, sizeof b2, "%d", id2), b2) : "NULL", rnd(100),
                     PICK(texts), b1, how == 2 ? " ON DUPLICATE KEY UPDATE v=v+1, "
                     "s=VALUES(s)" : "");
        } else if (op < 6)
            snprintf(q, cap, "UPDATE rt.t_pkuk SET u=%d WHERE id=%d", id2, id);
        else if (op < 8)
            snprintf(q, cap, "UPDATE rt.t_pkuk SET v=v+1, s=%s WHERE id=%d", PICK(texts), id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_pkuk WHERE id=%d", id);
        return;
    case 6: {
        static const char *const fl[] = { "-0.0", "3.4028234e38", "-1.17549435e-38", "1.4e-45",
                                          "0.1", "NULL", "16777217" };
        static const char *const tm[] = { "'-838:59:59'", "'-00:00:00.001'", "'12:30:00.5'",
                                          "NULL", "'-100:00:00.999'" };
        if (op < 4)
            snprintf(q, cap, "INSERT INTO rt.t_gen (id,a,h,f,t,p,j) VALUES (%d,%u,%u,%s,%s,%s,%s)",
                     id, rnd(50), rnd(9), PICK(fl), PICK(tm),
                     rnd(3) ? "POINT(1.5,-0.0)" : "NULL", rnd(2) ? "'{\"k\": [1, \"é\"]}'" : "NULL");
        else if (op < 6)
            snprintf(q, cap, "UPDATE rt.t_gen SET a=a+%u, f=%s WHERE id=%d", 1 + rnd(3), PICK(fl),
                     id);
        else if (op < 8)
            snprintf(q, cap, "UPDATE rt.t_gen SET h=h+1, t=%s, j=JSON_SET(IFNULL(j,'{}'),'$.n',%u) "
                     "WHERE id=%d", PICK(tm), rnd(9), id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_gen WHERE gs=%d", (int)rnd(50) + id * 1000);
        return;
    }
    case T_MY:
        if (op < 5)
            snprintf(q, cap, "INSERT INTO rt.t_my VALUES (%d,%u,%s)", id, rnd(100), PICK(latin1_texts));
        else if (op < 8)
            snprintf(q, cap, "UPDATE rt.t_my SET v=v+1 WHERE id=%d", id);
        else
            snprintf(q, cap, "DELETE FROM rt.t_my WHERE id=%d", id);
        return;
    case 5:
        if (op < 5)
            snprintf(q, cap, "INSERT INTO rt.t_nk VALUES (%u,%s,%s)", rnd(20), PICK(ucs2_texts),
                     b1);
        else if (op < 8)
            snprintf(q, cap, "UPDATE rt.t_nk SET b=%s WHERE a=%u LIMIT 1", PICK(texts), rnd(20));
        else
            snprintf(q, cap, "DELETE FROM rt.t_nk WHERE a=%u LIMIT 1", rnd(20));
        return;
    }
}

static void setup(void)
{
    size_t k;
    rt_up();
    sql(g_src, "CREATE DATABASE rt");
    for (k = 0; k < NTABLES; k++)
        sql(g_src, "CREATE TABLE rt.%s %s", tables[k].name, tables[k].ddl);
}

static void teardown(void)
{
    e2e_env_down();
}

static bool run(MYSQL *c, const char *q)
{
    if (mysql_query(c, q) == 0)
        return true;
    ck_assert_msg(mysql_errno(c) == 1062 || mysql_errno(c) == 1265 || mysql_errno(c) == 1048,
                  "%s: %s", q, mysql_error(c));
    return false;
}

/* A random InnoDB table (not the MyISAM one). */
static size_t innodb_table(void)
{
    size_t k = rnd(NTABLES - 1);
    return k >= T_MY ? k + 1 : k;
}

/* A source transaction with a savepoint: InnoDB only (ROLLBACK TO / RELEASE; a ROLLBACK
 * TO is not logged), or with MyISAM changes before the savepoint and only MyISAM ones
 * after it (ROLLBACK TO logged with no InnoDB rows after the savepoint). */
static long savepoint_txn(MYSQL *c)
{
    char q[2048];
    long ok = 0;
    bool mixed = rnd(2) == 0;
    ck_assert_int_eq(mysql_query(c, "BEGIN"), 0);
    statement(innodb_table(), q, sizeof q);
    ok += run(c, q);
    if (mixed) {
        statement(T_MY, q, sizeof q);
        ok += run(c, q);
    }
    ck_assert_int_eq(mysql_query(c, "SAVEPOINT `p 1`"), 0);
    statement(mixed ? T_MY : innodb_table(), q, sizeof q);
    ok += run(c, q);
    ck_assert_int_eq(mysql_query(c, rnd(3) ? "ROLLBACK TO SAVEPOINT `p 1`"
                                           : "RELEASE SAVEPOINT `p 1`"), 0);
    statement(innodb_table(), q, sizeof q);
    ok += run(c, q);
    ck_assert_int_eq(mysql_query(c, "COMMIT"), 0);
    return ok;
}

START_TEST(random_mixed_images)
{
    static const char *const images[3] = { "FULL", "MINIMAL", "NOBLOB" };
    MYSQL *m[3];
    const char *env = getenv("DMGW_SEED"), *nenv = getenv("DMGW_RANDOM_OPS");
    uint64_t seed = env ? strtoull(env, NULL, 10) : 20261207u;
    long ops = nenv ? strtol(nenv, NULL, 10) : 2000, i, ok = 0;
    size_t k;
    char q[2048];
    fprintf(stderr, "random_mixed_images: DMGW_SEED=%llu ops=%ld\n", (unsigned long long)seed, ops);
    g_rng = seed * 2654435761u + 1;
    for (k = 0; k < 3; k++)
        m[k] = session(images[k]);
    /* the NOBLOB session is not strict: its invalid ENUM members store '' (index 0) */
    ck_assert_int_eq(mysql_query(m[2], "SET SESSION sql_mode=''"), 0);
    for (i = 0; i < ops; i++) {
        MYSQL *c = m[rnd(3)];
        if (rnd(16) == 0) {
            ok += savepoint_txn(c);
            continue;
        }
        statement(rnd(NTABLES), q, sizeof q);
        ok += run(c, q);
    }
    for (k = 0; k < 3; k++)
        mysql_close(m[k]);
    fprintf(stderr, "random_mixed_images: %ld of %ld statements applied on the source\n", ok, ops);
    for (k = 0; k < NTABLES; k++) {
        long n = rt_converge(tables[k].name, tables[k].cols);
        fprintf(stderr, "  %s: %ld rows\n", tables[k].name, n);
        ck_assert_int_gt(n, 0);
    }
    assert_running("norm");
    assert_running("safe");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_random");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, random_mixed_images);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

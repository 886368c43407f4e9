/* test_sync_types.c - column types at their edges and schema changes while rows flow, with
 * the real dm-worker in normal mode (task norm: rt -> rt_n) and safe mode (task safe: rt ->
 * rt_s), compared row by row (per table: count + sum of MD5 over HEX(CAST(c AS BINARY)) of
 * every column - FLOAT as CAST(c AS DOUBLE): its text has 6 digits -, time_zone '+00:00' on
 * both sides). Seeded (DMGW_SEED, printed; DMGW_TYPES_OPS
 * statements, default 200):
 *  - type_edges: a table of 80+ columns (NULL bitmaps over 8 bytes) with integer extremes of
 *    every width and signedness, BIT(1/7/17/64), ENUM of 300 members (2 bytes), SET of 12 and
 *    64 members (2 and 8 bytes), TIME(1/2/4/5) negative with fractions, DATETIME(1/3/5),
 *    TIMESTAMP(2/5) written by sessions in other time zones, DECIMAL(65,0/30), (9,9),
 *    (18,9), (1,0) and UNSIGNED edges, CHAR in utf32/ucs2 with trailing spaces, CHAR(255)
 *    utf8mb4 (1020 bytes), VARCHAR/VARBINARY over 255 bytes (2 length bytes), TINYTEXT 255,
 *    TEXT 65535, MEDIUMBLOB 70000 bytes, FLOAT/DOUBLE of random bit patterns, YEAR; keyed
 *    (PK) and key-less copies; INSERT / UPDATE of some columns / DELETE under random
 *    binlog_row_image;
 *  - schema_evolution: DML from several sessions interleaved with ADD COLUMN FIRST/AFTER,
 *    DROP COLUMN, MODIFY (INT -> BIGINT, VARCHAR(10) -> VARCHAR(300), column moves),
 *    CHANGE/RENAME COLUMN, a column's charset change, ADD generated / INVISIBLE columns,
 *    SET DEFAULT, CREATE TABLE LIKE, TRUNCATE, RENAME swaps, DROP + CREATE of one name;
 *  - session_values: dates of an ALLOW_INVALID_DATES session, SET(64) keys, DATETIME ->
 *    TIMESTAMP in the (equal) SYSTEM zones;
 *  - session_default_pauses: ALTER TABLE ADD COLUMN ... DEFAULT (USER()) / (DATABASE())
 *    pauses (the existing rows would get the worker's user / the routed schema);
 *  - old_temporal: TIME/DATETIME/TIMESTAMP columns in MariaDB's pre-10.1 format
 *    (mysql56_temporal_format=OFF) replicate without fractions, pause with them;
 *  - target_mode (own sandboxes, the target's sql_mode NO_BACKSLASH_ESCAPES, ANSI_QUOTES,
 *    PAD_CHAR_TO_FULL_LENGTH (key-less CHAR rows found),
 *    EMPTY_STRING_IS_NULL): rows synced and a full-mode load keep '' and backslashes;
 *  - system_tz (own sandboxes, the source in TZ=JST-9): a DDL of a session in time zone
 *    SYSTEM pauses when the servers' system zones differ. */
#include "rowimg_e2e.h"

#include <math.h>
#include <time.h>

static uint64_t g_rng;

static uint64_t rnd64(void)
{
    return tu_splitmix64(&g_rng);
}

static int pick(int n)
{
    return n > 0 ? (int)(rnd64() % (uint64_t)n) : 0;
}

static bool chance(int pct)
{
    return pick(100) < pct;
}

/* ---- a growable query buffer ---- */

struct qb {
    char *p;
    size_t n, cap;
};

static void qadd(struct qb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void qadd(struct qb *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(n, 0);
        if (b->p && b->n + (size_t)n < b->cap)
            break;
        b->cap = (b->cap + (size_t)n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    b->n += (size_t)n;
}

static void qreset(struct qb *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = '\0';
}

/* Run q on m; the source may refuse a statement (duplicate key): counted, not fatal. */
static long g_refused;

static bool run(MYSQL *m, const char *q)
{
    if (mysql_real_query(m, q, strlen(q)) != 0) {
        ck_assert_msg(mysql_errno(m) != 2006 && mysql_errno(m) != 2013, "%s", mysql_error(m));
        if (getenv("DMGW_TYPES_VERBOSE"))
            fprintf(stderr, "refused (%s): %.300s\n", mysql_error(m), q);
        g_refused++;
        return false;
    }
    mysql_free_result(mysql_store_result(m));
    return true;
}

static void must(MYSQL *m, const char *q)
{
    ck_assert_msg(mysql_real_query(m, q, strlen(q)) == 0, "%.300s: %s", q, mysql_error(m));
    mysql_free_result(mysql_store_result(m));
}

/* ---- comparison ---- */

/* "count:sum" of schema.table over every column of the source's table rt.<table>. */
static void wide_sum(int port, const char *schema, const char *table, char *out, size_t cap)
{
    MYSQL *m = db(g_src), *t;
    MYSQL_RES *r;
    MYSQL_ROW row;
    struct qb q = { 0 };
    int n = 0;
    qadd(&q, "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
             "TABLE_SCHEMA='rt' AND TABLE_NAME='%s' ORDER BY ORDINAL_POSITION", table);
    must(m, "SET NAMES utf8mb4");
    ck_assert_int_eq(mysql_query(m, q.p), 0);
    r = mysql_store_result(m);
    qreset(&q);
    qadd(&q, "SELECT CONCAT(COUNT(*),':',COALESCE(SUM(CAST(CONV(SUBSTR(MD5(CONCAT_WS('|'");
    while ((row = mysql_fetch_row(r))) {
        if (strcmp(row[1], "float") == 0)   /* the text of a FLOAT has 6 digits: its double */
            qadd(&q, ",IFNULL(CAST(`%s` AS DOUBLE),'N')", row[0]);
        else
            qadd(&q, ",IFNULL(HEX(CAST(`%s` AS BINARY)),'N')", row[0]);
        n++;
    }
    mysql_free_result(r);
    mysql_close(m);
    ck_assert_int_gt(n, 0);
    qadd(&q, ")),1,15),16,10) AS UNSIGNED)),0)) FROM `%s`.`%s`", schema, table);
    t = db(port);
    must(t, "SET NAMES utf8mb4");
    must(t, "SET time_zone='+00:00'");
    must(t, "SET sql_mode=''");   /* a target's PAD_CHAR_TO_FULL_LENGTH would pad CHARs */
    out[0] = '\0';
    if (mysql_query(t, q.p) == 0 && (r = mysql_store_result(t))) {
        row = mysql_fetch_row(r);
        snprintf(out, cap, "%s", row && row[0] ? row[0] : "");
        mysql_free_result(r);
    } else {
        snprintf(out, cap, "(%s)", mysql_error(t));
    }
    mysql_close(t);
    free(q.p);
}

/* Wait until rt.<table> equals rt_n.<table> and rt_s.<table>; the source's row count. */
static long wide_converge(const char *table)
{
    char s[128], n[128], f[128], msg[2048];
    long long end = tu_now_ms() + 60000;
    const char *tasks[2] = { "norm", "safe" };
    int i;
    for (;;) {
        wide_sum(g_src, "rt", table, s, sizeof s);
        wide_sum(g_dst, "rt_n", table, n, sizeof n);
        wide_sum(g_dst, "rt_s", table, f, sizeof f);
        if (strcmp(s, n) == 0 && strcmp(s, f) == 0)
            break;
        for (i = 0; i < 2; i++)
            ck_assert_msg(task_stage(tasks[i], msg, sizeof msg) == PB__STAGE__Running,
                          "%s paused: %s (%s: source %s, rt_n %s, rt_s %s)", tasks[i], msg,
                          table, s, n, f);
        ck_assert_msg(tu_now_ms() < end, "rt.%s differs: source %s, rt_n %s, rt_s %s", table,
                      s, n, f);
        usleep(300000);
    }
    fprintf(stderr, "  rt.%s equal: %s\n", table, s);
    return strtol(s, NULL, 10);
}

static void start_seed(const char *what)
{
    const char *e = getenv("DMGW_SEED");
    uint64_t seed = e && e[0] ? strtoull(e, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    g_rng = seed;
    fprintf(stderr, "test_sync_types %s: DMGW_SEED=%llu\n", what, (unsigned long long)seed);
}

static int ops(void)
{
    const char *e = getenv("DMGW_TYPES_OPS");
    return e && e[0] ? atoi(e) : 200;
}

static const char *const images[] = { "FULL", "MINIMAL", "NOBLOB" };
static const char *const zones[] = { "'+00:00'", "'+05:30'", "'-08:00'", "'+13:00'" };

/* A source session (utf8mb4) with a random row image and time zone. */
static MYSQL *src_session(void)
{
    MYSQL *m = db(g_src);
    char q[128];
    must(m, "SET NAMES utf8mb4");
    snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s', time_zone=%s",
             images[pick(3)], zones[pick(4)]);
    must(m, q);
    return m;
}

/* ---- type_edges ---- */

enum ek { E_INT, E_BIT, E_ENUM, E_SET, E_TIME, E_DT, E_TS, E_DEC, E_STR, E_FLT, E_DBL, E_YEAR };

struct ecol {
    const char *name, *type;
    enum ek kind;
    const char *lo, *hi;        /* E_INT: extremes; E_DEC: max magnitude; E_STR: charset */
    int n;                      /* BIT width, fsp, members, string length */
};

static const struct ecol ecols[] = {
    { "ti", "TINYINT", E_INT, "-128", "127", 0 },
    { "tu", "TINYINT UNSIGNED", E_INT, "0", "255", 0 },
    { "si", "SMALLINT", E_INT, "-32768", "32767", 0 },
    { "su", "SMALLINT UNSIGNED", E_INT, "0", "65535", 0 },
    { "mi", "MEDIUMINT", E_INT, "-8388608", "8388607", 0 },
    { "mu", "MEDIUMINT UNSIGNED", E_INT, "0", "16777215", 0 },
    { "ii", "INT", E_INT, "-2147483648", "2147483647", 0 },
    { "iu", "INT UNSIGNED", E_INT, "0", "4294967295", 0 },
    { "bi", "BIGINT", E_INT, "-9223372036854775808", "9223372036854775807", 0 },
    { "bu", "BIGINT UNSIGNED", E_INT, "0", "18446744073709551615", 0 },
    { "b1", "BIT(1)", E_BIT, NULL, NULL, 1 },
    { "b7", "BIT(7)", E_BIT, NULL, NULL, 7 },
    { "b17", "BIT(17)", E_BIT, NULL, NULL, 17 },
    { "b64", "BIT(64)", E_BIT, NULL, NULL, 64 },
    { "e300", NULL, E_ENUM, NULL, NULL, 300 },
    { "s12", NULL, E_SET, NULL, NULL, 12 },
    { "s64", NULL, E_SET, NULL, NULL, 64 },
    { "t1", "TIME(1)", E_TIME, NULL, NULL, 1 },
    { "t2", "TIME(2)", E_TIME, NULL, NULL, 2 },
    { "t4", "TIME(4)", E_TIME, NULL, NULL, 4 },
    { "t5", "TIME(5)", E_TIME, NULL, NULL, 5 },
    { "t0", "TIME", E_TIME, NULL, NULL, 0 },
    { "d1", "DATETIME(1)", E_DT, NULL, NULL, 1 },
    { "d3", "DATETIME(3)", E_DT, NULL, NULL, 3 },
    { "d5", "DATETIME(5)", E_DT, NULL, NULL, 5 },
    { "ts2", "TIMESTAMP(2) NULL", E_TS, NULL, NULL, 2 },
    { "ts5", "TIMESTAMP(5) NULL", E_TS, NULL, NULL, 5 },
    { "de0", "DECIMAL(65,0)", E_DEC, NULL, NULL, 65 * 100 + 0 },
    { "de30", "DECIMAL(65,30)", E_DEC, NULL, NULL, 65 * 100 + 30 },
    { "de9", "DECIMAL(9,9)", E_DEC, NULL, NULL, 9 * 100 + 9 },
    { "de18", "DECIMAL(18,9)", E_DEC, NULL, NULL, 18 * 100 + 9 },
    { "de1", "DECIMAL(1,0)", E_DEC, NULL, NULL, 1 * 100 + 0 },
    { "deu", "DECIMAL(4,2) UNSIGNED", E_DEC, "u", NULL, 4 * 100 + 2 },
    { "c32", "CHAR(10) CHARACTER SET utf32", E_STR, "utf32", NULL, 10 },
    { "cuc", "CHAR(10) CHARACTER SET ucs2", E_STR, "ucs2", NULL, 10 },
    { "c255", "CHAR(255) CHARACTER SET utf8mb4", E_STR, "utf8mb4", NULL, 255 },
    { "cl", "CHAR(5) CHARACTER SET latin1", E_STR, "latin1", NULL, 5 },
    { "v300", "VARCHAR(300) CHARACTER SET latin1", E_STR, "latin1", NULL, 300 },
    { "v100", "VARCHAR(100) CHARACTER SET utf8mb4", E_STR, "utf8mb4", NULL, 100 },
    { "vb", "VARBINARY(300)", E_STR, "binary", NULL, 300 },
    { "bn", "BINARY(20)", E_STR, "binary", NULL, 20 },
    { "tt", "TINYTEXT CHARACTER SET latin1", E_STR, "latin1", NULL, 255 },
    { "tb", "TINYBLOB", E_STR, "binary", NULL, 255 },
    { "tx", "TEXT CHARACTER SET latin1", E_STR, "latin1", NULL, 65535 },
    { "mb", "MEDIUMBLOB", E_STR, "binary", NULL, 70000 },
    { "f", "FLOAT", E_FLT, NULL, NULL, 0 },
    { "d", "DOUBLE", E_DBL, NULL, NULL, 0 },
    { "y", "YEAR", E_YEAR, NULL, NULL, 0 },
};
#define NECOLS ((int)(sizeof ecols / sizeof ecols[0]))
#define NFILL 32                /* x0..x31 INT: over 64 columns in all */

static void members(struct qb *b, const char *kw, char p, int n)
{
    int i;
    qadd(b, "%s(", kw);
    for (i = 0; i < n; i++)
        qadd(b, "%s'%c%d'", i ? "," : "", p, i);
    qadd(b, ")");
}

static void create_wide(MYSQL *m, const char *name, bool keyed)
{
    struct qb b = { 0 };
    int i;
    qadd(&b, "CREATE TABLE rt.%s (id INT%s", name, keyed ? " PRIMARY KEY" : "");
    for (i = 0; i < NECOLS; i++) {
        qadd(&b, ", `%s` ", ecols[i].name);
        if (ecols[i].kind == E_ENUM)
            members(&b, "ENUM", 'm', ecols[i].n);
        else if (ecols[i].kind == E_SET)
            members(&b, "SET", 's', ecols[i].n);
        else
            qadd(&b, "%s", ecols[i].type);
    }
    for (i = 0; i < NFILL; i++)
        qadd(&b, ", x%d INT", i);
    qadd(&b, ") DEFAULT CHARSET=utf8mb4");
    must(m, b.p);
    free(b.p);
}

static void dec_value(struct qb *b, int pspec, bool uns)
{
    int prec = pspec / 100, scale = pspec % 100, intg = prec - scale, i, nd;
    int shape = pick(5);
    const char *sign = !uns && chance(40) ? "-" : "";
    if (shape == 0) {              /* all nines */
        qadd(b, "%s", sign);
        for (i = 0; i < (intg ? intg : 1); i++)
            qadd(b, "%c", intg ? '9' : '0');
        if (scale) {
            qadd(b, ".");
            for (i = 0; i < scale; i++)
                qadd(b, "9");
        }
        return;
    }
    if (shape == 1 && scale) {     /* the smallest step */
        qadd(b, "%s0.", sign);
        for (i = 1; i < scale; i++)
            qadd(b, "0");
        qadd(b, "1");
        return;
    }
    if (shape == 2) {
        qadd(b, "%s0", chance(50) ? "-" : "");   /* -0 */
        return;
    }
    qadd(b, "%s", sign);
    nd = intg ? 1 + pick(intg) : 0;
    qadd(b, "%d", intg ? 1 + pick(9) : 0);
    for (i = 1; i < nd; i++)
        qadd(b, "%d", pick(10));
    if (scale) {
        qadd(b, ".");
        for (i = 0; i < scale; i++)
            qadd(b, "%d", pick(10));
    }
}

static void frac(struct qb *b, int fsp)
{
    int i;
    if (fsp == 0)
        return;
    qadd(b, ".");
    for (i = 0; i < fsp; i++)
        qadd(b, "%d", chance(30) ? 9 : pick(10));
}

/* Text literal of a string column: charset-specific characters, trailing spaces, sizes at
 * the length-byte boundaries (built by REPEAT on the source). */
static void str_value(struct qb *b, const struct ecol *c)
{
    static const char *const u8[] = { "a", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xe4\xbd\xa0", " ",
                                       "'", "\\\\" };
    static const char *const l1[] = { "a", "\xc3\xa9", "\xc3\xbf", " ", "'", "\\\\" };
    bool bin = strcmp(c->lo, "binary") == 0, lat = strcmp(c->lo, "latin1") == 0;
    bool bmp = strcmp(c->lo, "ucs2") == 0;
    int shape = pick(4), len, i;
    if (shape == 0) {              /* at the maximum length */
        if (bin)
            qadd(b, "REPEAT(X'%02X',%d)", pick(256), c->n);
        else
            qadd(b, "REPEAT(_utf8mb4'%s',%d)", lat ? "\xc3\xa9" : bmp ? "\xe4\xbd\xa0" :
                 "\xf0\x9f\x98\x80", c->n);
        return;
    }
    if (shape == 1 && c->n > 255) {   /* around 255 / 256 bytes */
        if (bin)
            qadd(b, "REPEAT(X'00',%d)", 254 + pick(4));
        else
            qadd(b, "REPEAT('x',%d)", 254 + pick(4));
        return;
    }
    len = pick(c->n < 8 ? c->n + 1 : 8);
    if (bin) {
        qadd(b, len ? "X'" : "'");
        for (i = 0; i < len; i++)
            qadd(b, "%02X", chance(30) ? (chance(50) ? 0 : 0x20) : pick(256));
        qadd(b, "'");
        return;
    }
    qadd(b, "'");
    for (i = 0; i < len; i++) {
        const char *ch = lat ? l1[pick(6)] : u8[pick(bmp ? 2 : 7)];
        qadd(b, "%s", strcmp(ch, "'") == 0 ? "''" : ch);
    }
    if (chance(40))
        qadd(b, "  ");             /* trailing spaces */
    qadd(b, "'");
}

/* DMGW_TYPES_ONLY=a,b,...: only these columns get values (the others NULL), to narrow a
 * failing seed down. */
static bool col_enabled(const char *name)
{
    const char *v = getenv("DMGW_TYPES_ONLY"), *p;
    size_t n = strlen(name);
    if (!v || !v[0])
        return true;
    for (p = v; (p = strstr(p, name)); p += n)
        if ((p == v || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

static void ecol_value(struct qb *b, const struct ecol *c)
{
    int i, n;
    if (chance(10) || !col_enabled(c->name)) {
        qadd(b, "NULL");
        return;
    }
    switch (c->kind) {
    case E_INT:
        n = pick(6);
        qadd(b, "%s", n == 0 ? c->lo : n == 1 ? c->hi : n == 2 ? "0" : n == 3 ? "1" : "");
        if (n == 4)
            qadd(b, "%s", c->lo[0] == '-' ? "-1" : "2");
        if (n == 5)
            qadd(b, "%d", pick(100));
        return;
    case E_BIT:
        n = pick(4);
        if (n == 0)
            qadd(b, "0");
        else if (n == 1)
            qadd(b, "%llu", c->n == 64 ? 18446744073709551615ull : (1ull << c->n) - 1);
        else
            qadd(b, "%llu", c->n == 64 ? rnd64() : rnd64() & ((1ull << c->n) - 1));
        return;
    case E_ENUM:
        n = pick(4);
        qadd(b, "'m%d'", n == 0 ? 0 : n == 1 ? c->n - 1 : n == 2 ? 255 + pick(2) : pick(c->n));
        return;
    case E_SET: {
        uint64_t bits = rnd64() & (c->n == 64 ? ~0ull : (1ull << c->n) - 1);
        bool first = true;
        if (chance(20))
            bits = c->n == 64 ? (1ull << 63) | 1 : (1ull << (c->n - 1)) | 1;
        qadd(b, "'");
        for (i = 0; i < c->n; i++)
            if (bits >> i & 1) {
                qadd(b, "%ss%d", first ? "" : ",", i);
                first = false;
            }
        qadd(b, "'");
        return;
    }
    case E_TIME:
        n = pick(5);
        if (n == 0) {
            qadd(b, "'%s838:59:59'", chance(50) ? "-" : "");
            return;
        }
        qadd(b, "'%s%d:%02d:%02d", n == 1 || chance(40) ? "-" : "", n == 1 ? 0 : pick(838),
             pick(60), pick(60));
        frac(b, c->n);
        qadd(b, "'");
        return;
    case E_DT:
        n = pick(4);
        if (n == 0)
            qadd(b, "'1000-01-01 00:00:00'");
        else if (n == 1) {
            qadd(b, "'9999-12-31 23:59:59.");
            for (i = 0; i < c->n; i++)
                qadd(b, "9");
            qadd(b, "'");
        } else {
            qadd(b, "'%04d-%02d-%02d %02d:%02d:%02d", 1000 + pick(9000), 1 + pick(12),
                 1 + pick(28), pick(24), pick(60), pick(60));
            frac(b, c->n);
            qadd(b, "'");
        }
        return;
    case E_TS:           /* in the session's time zone, away from the range ends */
        qadd(b, "'%04d-%02d-%02d %02d:%02d:%02d", 1971 + pick(66), 1 + pick(12), 1 + pick(28),
             pick(24), pick(60), pick(60));
        frac(b, c->n);
        qadd(b, "'");
        return;
    case E_DEC:
        dec_value(b, c->n, c->lo != NULL);
        return;
    case E_STR:
        str_value(b, c);
        return;
    case E_FLT: {
        float f;
        uint32_t u;
        do {
            u = (uint32_t)rnd64();
            if (chance(20))
                u &= 0x807fffffu;               /* denormals and +-0 */
            memcpy(&f, &u, sizeof f);
        } while (!isfinite(f));
        qadd(b, "%.9g", (double)f);
        return;
    }
    case E_DBL: {
        double d;
        uint64_t u;
        do {
            u = rnd64();
            if (chance(20))
                u &= 0x800fffffffffffffull;
            memcpy(&d, &u, sizeof d);
        } while (!isfinite(d));
        qadd(b, "%.17g", d);
        return;
    }
    case E_YEAR:
        n = pick(4);
        qadd(b, "%d", n == 0 ? 1901 : n == 1 ? 2155 : n == 2 ? 0 : 1901 + pick(255));
        return;
    }
}

static void wide_insert(struct qb *b, const char *table, int id)
{
    int i;
    qadd(b, "INSERT INTO rt.%s (id", table);
    for (i = 0; i < NECOLS; i++)
        qadd(b, ",`%s`", ecols[i].name);
    qadd(b, ",x%d) VALUES (%d", pick(NFILL), id);
    for (i = 0; i < NECOLS; i++) {
        qadd(b, ",");
        ecol_value(b, &ecols[i]);
    }
    qadd(b, ",%d)", pick(1000));
}

static void wide_update(struct qb *b, const char *table, int id, bool keyless)
{
    int n = 1 + pick(4), i;
    qadd(b, "UPDATE rt.%s SET ", table);
    for (i = 0; i < n; i++) {
        const struct ecol *c = &ecols[pick(NECOLS)];
        qadd(b, "%s`%s`=", i ? "," : "", c->name);
        ecol_value(b, c);
    }
    if (chance(20))
        qadd(b, ",x%d=%d", pick(NFILL), pick(1000));
    qadd(b, " WHERE id=%d%s", id, keyless ? " LIMIT 1" : "");
}

START_TEST(type_edges)
{
    MYSQL *m[3];
    struct qb b = { 0 };
    int i, k, n = ops();
    start_seed("type_edges");
    for (i = 0; i < 3; i++)
        m[i] = src_session();
    create_wide(m[0], "w", true);
    create_wide(m[0], "wk", false);
    for (i = 0; i < n; i++) {
        MYSQL *s = m[pick(3)];
        bool kl = chance(40);
        const char *t = kl ? "wk" : "w";
        int op = pick(10), id = pick(40);
        qreset(&b);
        if (chance(5)) {
            char q[128];
            snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s', time_zone=%s",
                     images[pick(3)], zones[pick(4)]);
            must(s, q);
        }
        if (op < 4)
            wide_insert(&b, t, id);
        else if (op < 8)
            wide_update(&b, t, id, kl);
        else if (op == 8)
            qadd(&b, "UPDATE rt.%s SET id=%d WHERE id=%d%s", t, pick(40), id, kl ? " LIMIT 1" : "");
        else
            qadd(&b, "DELETE FROM rt.%s WHERE id=%d%s", t, id, kl ? " LIMIT 1" : "");
        run(s, b.p);
    }
    for (k = 0; k < 6; k++) {      /* every table ends with rows */
        qreset(&b);
        wide_insert(&b, k % 2 ? "wk" : "w", 1000 + k);
        must(m[k % 3], b.p);
    }
    free(b.p);
    for (i = 0; i < 3; i++)
        mysql_close(m[i]);
    fprintf(stderr, "  %ld statements refused by the source\n", g_refused);
    ck_assert_int_gt(wide_converge("w"), 0);
    ck_assert_int_gt(wide_converge("wk"), 0);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* ---- schema_evolution ---- */

#define MAX_ET 8
#define MAX_X 24

struct xcol {
    char name[24];
    bool str;                   /* VARCHAR (width) else INT/BIGINT */
    int width;
};

struct etab {
    char name[24];
    int key;                    /* 0 PK, 1 NOT NULL UNIQUE, 2 none */
    bool s_wide;                /* s is VARCHAR(300) utf8mb4 (was VARCHAR(10) latin1) */
    int enums;                  /* e's definition: 0 ('x','y','z'), 1 ('w','x','y','z','v') */
    struct xcol x[MAX_X];
    int nx;
};

static struct etab g_et[MAX_ET];
static int g_net, g_seq;

static void et_create(MYSQL *m, struct etab *t, const char *name, int key)
{
    char q[512];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->key = key;
    snprintf(q, sizeof q, "CREATE TABLE rt.%s (id INT NOT NULL%s, a INT, s VARCHAR(10) "
             "CHARACTER SET latin1, e ENUM('x','y','z')) DEFAULT CHARSET=utf8mb4", name,
             key == 0 ? " PRIMARY KEY" : key == 1 ? " UNIQUE" : "");
    must(m, q);
}

static void str_lit(struct qb *b, int width)
{
    static const char *const ch[] = { "a", "\xc3\xa9", "\xc3\x9f", " ", "''", "z" };
    int n = pick(width < 12 ? width + 1 : 12), i;
    if (width > 255 && chance(30)) {
        qadd(b, "REPEAT('\xc3\xa9',%d)", 250 + pick(width - 249));
        return;
    }
    qadd(b, "'");
    for (i = 0; i < n; i++)
        qadd(b, "%s", ch[pick(6)]);
    qadd(b, "'");
}

static void x_value(struct qb *b, const struct xcol *x)
{
    if (chance(10))
        qadd(b, "NULL");
    else if (x->str)
        str_lit(b, x->width);
    else
        qadd(b, "%lld", chance(20) ? (long long)(rnd64() >> 1) * (chance(50) ? -1 : 1)
                                   : (long long)pick(2000) - 1000);
}

static void et_dml(MYSQL *m, struct etab *t, struct qb *b)
{
    int op = pick(10), id = pick(30), i;
    const char *lim = t->key == 2 ? " LIMIT 1" : "";
    qreset(b);
    if (op < 4) {
        bool use[MAX_X];
        qadd(b, "INSERT INTO rt.%s (id,a,s", t->name);
        for (i = 0; i < t->nx; i++)
            if ((use[i] = chance(70)))
                qadd(b, ",`%s`", t->x[i].name);
        qadd(b, ") VALUES (%d,%d,", id, pick(1000));
        str_lit(b, t->s_wide ? 300 : 10);
        for (i = 0; i < t->nx; i++)
            if (use[i]) {
                qadd(b, ",");
                x_value(b, &t->x[i]);
            }
        qadd(b, ")");
    } else if (op < 8) {
        qadd(b, "UPDATE rt.%s SET a=a+1", t->name);
        if (chance(30))
            qadd(b, ", e='%c'", "wxyzv"[pick(t->enums ? 5 : 3) + (t->enums ? 0 : 1)]);
        if (chance(40)) {
            qadd(b, ", s=");
            str_lit(b, t->s_wide ? 300 : 10);
        }
        for (i = 0; i < t->nx; i++)
            if (chance(30)) {
                qadd(b, ",`%s`=", t->x[i].name);
                x_value(b, &t->x[i]);
            }
        qadd(b, " WHERE id=%d%s", id, lim);
    } else if (op == 8) {
        qadd(b, "UPDATE rt.%s SET id=%d WHERE id=%d%s", t->name, pick(30), id, lim);
    } else {
        qadd(b, "DELETE FROM rt.%s WHERE id=%d%s", t->name, id, lim);
    }
    run(m, b->p);
}

/* " FIRST" / " AFTER <col>" / "" */
static void position(struct qb *b, const struct etab *t)
{
    int n = pick(3);
    if (n == 0)
        qadd(b, " FIRST");
    else if (n == 1 && t->nx > 0)
        qadd(b, " AFTER `%s`", t->x[pick(t->nx)].name);
    else if (n == 1)
        qadd(b, " AFTER %s", chance(50) ? "id" : "a");
}

static void et_ddl_column(MYSQL *m, struct etab *t, struct qb *b)
{
    int op = pick(13), k = t->nx ? pick(t->nx) : 0;
    struct xcol *x = &t->x[k];
    qreset(b);
    qadd(b, "ALTER TABLE rt.%s ", t->name);
    if (op <= 1 || t->nx == 0) {               /* ADD COLUMN */
        if (t->nx == MAX_X)
            return;
        x = &t->x[t->nx];
        snprintf(x->name, sizeof x->name, "c%d", g_seq++);
        x->str = chance(50);
        x->width = 10;
        if (chance(15)) {
            qadd(b, "ADD COLUMN `%s` INT INVISIBLE DEFAULT %d", x->name, pick(100));
            x->str = false;
        } else {
            qadd(b, "ADD COLUMN `%s` %s DEFAULT ", x->name, x->str ? "VARCHAR(10)" : "INT");
            x_value(b, x);
        }
        position(b, t);
        t->nx++;
    } else if (op == 2) {                      /* DROP COLUMN */
        qadd(b, "DROP COLUMN `%s`", x->name);
        t->x[k] = t->x[--t->nx];
    } else if (op == 3) {                      /* widen, maybe move */
        if (x->str)
            x->width = 300;
        qadd(b, "MODIFY `%s` %s", x->name, x->str ? "VARCHAR(300)" : "BIGINT");
        position(b, t);
    } else if (op == 4) {                      /* CHANGE: rename (and widen) */
        char old[24];
        snprintf(old, sizeof old, "%s", x->name);
        snprintf(x->name, sizeof x->name, "r%d", g_seq++);
        qadd(b, "CHANGE `%s` `%s` %s", old, x->name,
             x->str ? (x->width > 10 ? "VARCHAR(300)" : "VARCHAR(10)") : "BIGINT");
        if (chance(30))
            position(b, t);
    } else if (op == 5) {                      /* RENAME COLUMN */
        char old[24];
        snprintf(old, sizeof old, "%s", x->name);
        snprintf(x->name, sizeof x->name, "n%d", g_seq++);
        qadd(b, "RENAME COLUMN `%s` TO `%s`", old, x->name);
    } else if (op == 6) {                      /* s: latin1 VARCHAR(10) -> utf8mb4 VARCHAR(300) */
        if (t->s_wide)
            return;
        t->s_wide = true;
        qadd(b, "MODIFY s VARCHAR(300) CHARACTER SET utf8mb4");
        if (chance(50))
            position(b, t);
    } else if (op == 7) {                      /* a generated column (not written by DML) */
        qadd(b, "ADD COLUMN g%d BIGINT AS (a * 2 + id) %s", g_seq++,
             chance(50) ? "VIRTUAL" : "STORED");
        position(b, t);
    } else if (op == 8) {                      /* a new default */
        qadd(b, "ALTER COLUMN `%s` SET DEFAULT ", x->name);
        x_value(b, x);
    } else if (op == 9) {                      /* ENUM members in front and behind (indexes move) */
        t->enums = !t->enums;
        qadd(b, "MODIFY e ENUM(%s)", t->enums ? "'w','x','y','z','v'" : "'x','y','z'");
        if (!t->enums) {                       /* 'w'/'v' would not fit: NULL them first */
            char q[128];
            snprintf(q, sizeof q, "UPDATE rt.%.23s SET e=NULL WHERE e IN ('w','v')", t->name);
            run(m, q);
        }
    } else if (op == 10) {                     /* the key changes */
        if (t->key == 0)
            qadd(b, "DROP PRIMARY KEY");
        else
            qadd(b, "ADD PRIMARY KEY (id)");
        if (run(m, b->p))
            t->key = t->key == 0 ? 2 : 0;
        return;
    } else if (op == 11) {
        qadd(b, "CONVERT TO CHARACTER SET %s", chance(50) ? "utf8mb4" : "utf8mb3");
    } else {
        qadd(b, "%s", chance(50) ? "PARTITION BY HASH (id) PARTITIONS 3" : "REMOVE PARTITIONING");
    }
    run(m, b->p);
}

static void et_ddl_table(MYSQL *m, struct qb *b)
{
    int op = pick(4), k = pick(g_net);
    struct etab *t = &g_et[k];
    char q[512];
    if (op == 0) {                              /* TRUNCATE */
        snprintf(q, sizeof q, "TRUNCATE TABLE rt.%.23s", t->name);
        run(m, q);
    } else if (op == 1 && g_net > 1) {          /* RENAME swap */
        struct etab *u = &g_et[(k + 1) % g_net];
        char tn[sizeof t->name], un[sizeof u->name];
        snprintf(q, sizeof q, "RENAME TABLE rt.%.23s TO rt.tmp_swap, rt.%.23s TO rt.%.23s, rt.tmp_swap "
                 "TO rt.%.23s", t->name, u->name, t->name, u->name);
        run(m, q);
        memcpy(tn, t->name, sizeof tn);            /* swap the names (t != u: g_net > 1) */
        memcpy(un, u->name, sizeof un);
        memcpy(t->name, un, sizeof un);
        memcpy(u->name, tn, sizeof tn);
    } else if (op == 2 && g_net < MAX_ET) {     /* CREATE TABLE LIKE + INSERT SELECT */
        struct etab *c = &g_et[g_net++];
        *c = *t;
        snprintf(c->name, sizeof c->name, "l%d", g_seq++);
        snprintf(q, sizeof q, "CREATE TABLE rt.%.23s LIKE rt.%.23s", c->name, t->name);
        must(m, q);
        snprintf(q, sizeof q, "INSERT INTO rt.%.23s SELECT * FROM rt.%.23s", c->name, t->name);
        run(m, q);                              /* refused with INVISIBLE columns */
    } else {                                    /* DROP + CREATE of the same name */
        char name[24];
        snprintf(name, sizeof name, "%.23s", t->name);
        snprintf(q, sizeof q, "DROP TABLE rt.%.23s", name);
        must(m, q);
        et_create(m, t, name, pick(3));
    }
    (void)b;
}

START_TEST(schema_evolution)
{
    MYSQL *m[3];
    struct qb b = { 0 };
    char q[256], tn[1024] = "", v[1024];
    int i, n = ops() * 2;
    start_seed("schema_evolution");
    g_net = 3;
    for (i = 0; i < 3; i++) {
        m[i] = src_session();
        snprintf(q, sizeof q, "e%d", i);
        et_create(m[0], &g_et[i], q, i);
    }
    for (i = 0; i < n; i++) {
        MYSQL *s = m[pick(3)];
        if (chance(5)) {
            snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s'", images[pick(3)]);
            must(s, q);
        }
        if (chance(7))
            et_ddl_column(s, &g_et[pick(g_net)], &b);
        else if (pick(1000) < 20)
            et_ddl_table(s, &b);
        else
            et_dml(s, &g_et[pick(g_net)], &b);
    }
    for (i = 0; i < g_net; i++) {
        snprintf(q, sizeof q, "INSERT INTO rt.%.23s (id,a,s) VALUES (%d,1,'end')", g_et[i].name,
                 1000 + i);
        must(m[i % 3], q);
    }
    free(b.p);
    for (i = 0; i < 3; i++)
        mysql_close(m[i]);
    fprintf(stderr, "  %ld statements refused by the source\n", g_refused);
    for (i = 0; i < g_net; i++)
        ck_assert_int_gt(wide_converge(g_et[i].name), 0);
    value(g_src, "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM "
                 "information_schema.TABLES WHERE TABLE_SCHEMA='rt'", tn, sizeof tn);
    snprintf(q, sizeof q, "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM "
                          "information_schema.TABLES WHERE TABLE_SCHEMA='rt_n'");
    value(g_dst, q, v, sizeof v);
    ck_assert_str_eq(v, tn);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* Values a non-strict or ALLOW_INVALID_DATES source session stores: '2020-02-30' (a strict
 * target refused it: Error 1292, paused; a non-strict one stored '0000-00-00' silently), in
 * a keyed and a key-less table (found by the date); a SET(64) value with bit 63 as the key
 * and in a key-less row (MariaDB compares `s` = 9223372036854775809 as a signed BIGINT: the
 * UPDATE matched no row). */
START_TEST(session_values)
{
    sqli("FULL", "CREATE TABLE rt.iv (id INT PRIMARY KEY, d DATE, dt DATETIME(2), v INT);"
                 "CREATE TABLE rt.ivk (d DATE, dt DATETIME(2), v INT);"
                 "SET sql_mode='ALLOW_INVALID_DATES'; INSERT INTO rt.iv VALUES (1,'2020-02-30',"
                 "'2021-04-31 10:00:00.5',1),(2,'2019-02-29','2000-02-31 00:00:00',2);"
                 "INSERT INTO rt.ivk SELECT d, dt, v FROM rt.iv; INSERT INTO rt.ivk SELECT d, dt, v "
                 "FROM rt.iv");
    sqli("MINIMAL", "SET sql_mode='ALLOW_INVALID_DATES'; UPDATE rt.iv SET d='2020-04-31' WHERE "
                    "id=2; UPDATE rt.ivk SET v=5 WHERE d='2020-02-30' LIMIT 1; DELETE FROM rt.ivk "
                    "WHERE v=2 LIMIT 1");
    sqli("FULL", "CREATE TABLE rt.tzs (id INT PRIMARY KEY, d DATETIME); INSERT INTO rt.tzs "
                 "VALUES (1,'2020-06-01 12:00:00'),(2,'1999-12-31 23:59:59'); ALTER TABLE rt.tzs "
                 "MODIFY d TIMESTAMP NULL, ADD COLUMN t2 TIMESTAMP NOT NULL DEFAULT "
                 "'2020-01-01 00:00:00'");
    ck_assert_int_eq(wide_converge("tzs"), 2);
    ck_assert_int_eq(wide_converge("iv"), 2);
    ck_assert_int_eq(wide_converge("ivk"), 3);
    both_eq("SELECT GROUP_CONCAT(d ORDER BY id) FROM %s.iv", "2020-02-30,2020-04-31");
    {
        struct qb b = { 0 };
        members(&b, "SET", 's', 64);
        sqli("FULL", "CREATE TABLE rt.sk (s %s PRIMARY KEY, v INT); CREATE TABLE rt.skl (s %s, "
                     "v INT); INSERT INTO rt.sk VALUES ('s0,s63',1),('s63',2),('s1',3);"
                     "INSERT INTO rt.skl SELECT * FROM rt.sk", b.p, b.p);
        free(b.p);
    }
    sqli("FULL", "UPDATE rt.sk SET v=v+10; UPDATE rt.skl SET v=v+10; DELETE FROM rt.sk WHERE "
                 "s='s63'; DELETE FROM rt.skl WHERE s='s63'");
    sqli("MINIMAL", "UPDATE rt.sk SET v=v+100 WHERE s='s0,s63'");
    ck_assert_int_eq(wide_converge("sk"), 2);
    ck_assert_int_eq(wide_converge("skl"), 2);
    both_eq("SELECT GROUP_CONCAT(v ORDER BY v) FROM %s.sk", "13,111");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* Tables created with mysql56_temporal_format=OFF (MariaDB's own pre-10.1 TIME /
 * DATETIME / TIMESTAMP formats: a server upgraded from MariaDB 5.3..10.0 keeps them). */
START_TEST(old_temporal_format)
{
    char msg[2048];
    long long end;
    const char *tasks[2] = { "norm", "safe" };
    int i;
    sqli("FULL", "SET GLOBAL mysql56_temporal_format=OFF; CREATE TABLE rt.ot0 (id INT PRIMARY "
                 "KEY, t0 TIME, dt0 DATETIME, ts0 TIMESTAMP NULL, v INT); CREATE TABLE rt.ot (id "
                 "INT PRIMARY KEY, t TIME(3), dt DATETIME(6), ts TIMESTAMP(2) NULL); SET GLOBAL "
                 "mysql56_temporal_format=ON; INSERT INTO rt.ot0 VALUES (1,'-838:59:59','1000-01-01 "
                 "00:00:00','2021-06-01 10:00:00',1),(2,'12:34:56','9999-12-31 23:59:59',NULL,2),"
                 "(3,'-00:00:01','2020-02-29 12:00:00','1970-01-01 00:00:01',3)");
    sqli("MINIMAL", "UPDATE rt.ot0 SET v=v+1 WHERE t0='-00:00:01'; DELETE FROM rt.ot0 WHERE id=2");
    ck_assert_int_eq(wide_converge("ot0"), 2);
    sqli("FULL", "SET GLOBAL mysql56_temporal_format=OFF; CREATE TABLE rt.ot2 (t TIME(2)); "
                 "SET GLOBAL mysql56_temporal_format=ON; INSERT INTO rt.ot2 VALUES ('01:00:00.5'),"
                 "('02:00:00.25'),('-03:00:00.75'),('04:00:00')");
    sqli("FULL", "INSERT INTO rt.ot VALUES (1,'-12:34:56.789','2020-01-02 03:04:05.123456',"
                 "'2021-06-01 10:00:00.25'),(2,'838:59:59.999','1000-01-01 00:00:00.000001',"
                 "'1971-01-01 00:00:00.99'),(3,NULL,NULL,NULL),(4,'00:00:00.001','2000-01-01 "
                 "00:00:00','2000-01-01 00:00:00'),(5,'01:00:00','2000-01-01 00:00:00',NULL),"
                 "(6,'02:00:00','2001-01-01 00:00:00',NULL),(7,'03:00:00','2002-01-01 "
                 "00:00:00',NULL),(8,'04:00:00','2003-01-01 00:00:00',NULL)");
    end = tu_now_ms() + 30000;
    for (i = 0; i < 2; i++) {
        while (task_stage(tasks[i], msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "MariaDB's pre-10.1"), "%s: %s", tasks[i], msg);
    }
    both_eq("SELECT COUNT(*) FROM %s.ot", "0");
    both_eq("SELECT COUNT(*) FROM %s.ot2", "0");
    fprintf(stderr, "  paused as expected: %.300s\n", msg);
}
END_TEST

/* Session functions in an ALTER TABLE's DEFAULT: the existing rows get the DDL session's
 * user / schema (the worker's user, the routed schema on the target): pause, naming it. */
START_TEST(session_default_pauses)
{
    char msg[2048];
    long long end;
    const char *tasks[2] = { "norm", "safe" };
    int i;
    sqli("FULL", "CREATE TABLE rt.sd (id INT PRIMARY KEY); INSERT INTO rt.sd VALUES (1),(2);"
                 "ALTER TABLE rt.sd ADD COLUMN u VARCHAR(80) DEFAULT (USER()); INSERT INTO "
                 "rt.sd (id) VALUES (3)");
    end = tu_now_ms() + 30000;
    for (i = 0; i < 2; i++) {
        while (task_stage(tasks[i], msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "36017") && strstr(msg, "ALTER TABLE calling USER()"),
                      "%s: %s", tasks[i], msg);
    }
    both_eq("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='%s' AND "
            "TABLE_NAME='sd' AND COLUMN_NAME='u'", "0");
}
END_TEST

static void setup(void)
{
    rt_up();
    sql(g_src, "CREATE DATABASE rt");
}

static void teardown(void)
{
    e2e_env_down();
}

/* The source server runs in another system time zone (TZ=JST-9) than the target (UTC):
 * a DDL of a source session in time_zone SYSTEM pauses (36017) instead of converting the
 * existing rows' DATETIME to TIMESTAMP in the target's zone (9 hours off, silently); the
 * same DDL under an explicit session time zone replicates. */
static void setup_tz(void)
{
    char toml[4096], msg[2048];
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    g_dir = tu_mkdtemp();
    g_src = tu_free_port();
    g_dst = tu_free_port();
    while (g_dst == g_src)
        g_dst = tu_free_port();
    setenv("TZ", "JST-9", 1);
    ck_assert_int_eq(sandbox("start", "src", g_src, 1), 0);
    unsetenv("TZ");
    ck_assert_int_eq(sandbox("start", "dst", g_dst, 2), 0);
    g_wport = tu_free_port();
    rpc_global_init();
    master_pos();
    spawn_worker();
    rt_task_toml(toml, sizeof toml, "norm", "rt_n", false, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    rt_task_toml(toml, sizeof toml, "safe", "rt_s", true, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    sql(g_src, "CREATE DATABASE rt");
}

START_TEST(system_time_zone_ddl)
{
    char msg[2048], v[64];
    long long end;
    const char *tasks[2] = { "norm", "safe" };
    int i;
    value(g_src, "SELECT @@system_time_zone", v, sizeof v);
    ck_assert_str_eq(v, "JST");
    sqli("FULL", "CREATE TABLE rt.tz (id INT PRIMARY KEY, d DATETIME, e DATETIME); INSERT INTO "
                 "rt.tz VALUES (1,'2020-06-01 12:00:00','2020-06-01 12:00:00'); SET time_zone="
                 "'+09:00'; ALTER TABLE rt.tz MODIFY e TIMESTAMP NULL; INSERT INTO rt.tz VALUES "
                 "(2,'2021-01-01 00:00:00','2021-01-01 00:00:00')");
    ck_assert_int_eq(wide_converge("tz"), 2);
    sqli("FULL", "ALTER TABLE rt.tz MODIFY d TIMESTAMP NULL; INSERT INTO rt.tz VALUES (3,NULL,"
                 "NULL)");
    end = tu_now_ms() + 30000;
    for (i = 0; i < 2; i++) {
        while (task_stage(tasks[i], msg, sizeof msg) != PB__STAGE__Paused && tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(strstr(msg, "36017") && strstr(msg, "session time zone SYSTEM: the "
                      "source's system zone JST is not the target's UTC"), "%s: %s", tasks[i],
                      msg);
    }
    both_eq("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='%s' AND "
            "TABLE_NAME='tz' AND COLUMN_NAME='d'", "datetime");
}
END_TEST

/* A target whose global sql_mode reads text differently (NO_BACKSLASH_ESCAPES, ANSI_QUOTES,
 * EMPTY_STRING_IS_NULL): rows applied by the Sync unit and a full-mode task's load of
 * mydumper's files (backslash escapes, "strings") must still hold the source's bytes ('' was
 * NULL on the target, \0 two characters). */
static void setup_mode(void)
{
    char toml[4096], msg[2048];
    setenv("DM_WORKER_SAFE_MODE_MS", "1", 1);
    g_dir = tu_mkdtemp();
    g_src = tu_free_port();
    g_dst = tu_free_port();
    while (g_dst == g_src)
        g_dst = tu_free_port();
    ck_assert_int_eq(sandbox("start", "src", g_src, 1), 0);
    setenv("DMGW_SANDBOX_ARGS", "--sql-mode=NO_BACKSLASH_ESCAPES,ANSI_QUOTES,"
           "EMPTY_STRING_IS_NULL,STRICT_TRANS_TABLES,PAD_CHAR_TO_FULL_LENGTH", 1);
    ck_assert_int_eq(sandbox("start", "dst", g_dst, 2), 0);
    unsetenv("DMGW_SANDBOX_ARGS");
    g_wport = tu_free_port();
    rpc_global_init();
    master_pos();
    spawn_worker();
    rt_task_toml(toml, sizeof toml, "norm", "rt_n", false, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    rt_task_toml(toml, sizeof toml, "safe", "rt_s", true, "rt");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    sql(g_src, "CREATE DATABASE rt");
}

#define ODD_TABLE "(id INT PRIMARY KEY, s VARCHAR(20), b VARBINARY(10), t TEXT)"
#define ODD_ROWS "(1,'a\\\\b','',X'00'),(2,'it''s \"q\"',X'5C30',''),(3,'',X'0A0D1A',"  \
                 "'x\\ny'),(4,NULL,'\\\\0',CONCAT('\\\\','\\''))"

START_TEST(target_sql_mode)
{
    char toml[4096], msg[2048], a[128], b[128];
    long long end;
    sqli("FULL", "CREATE TABLE rt.md " ODD_TABLE "; INSERT INTO rt.md VALUES " ODD_ROWS ";"
                 "CREATE TABLE rt.mdk (s VARCHAR(20), b VARBINARY(10), t TEXT); INSERT INTO "
                 "rt.mdk SELECT s, b, t FROM rt.md");
    sqli("MINIMAL", "UPDATE rt.mdk SET t='' WHERE s=''; DELETE FROM rt.mdk WHERE b=X'5C30'");
    /* key-less CHAR rows: under the target's PAD_CHAR_TO_FULL_LENGTH `c`=BINARY 'ab' found
     * no row (read padded) and the task paused */
    sqli("FULL", "CREATE TABLE rt.mdc (c CHAR(5), v INT); INSERT INTO rt.mdc VALUES ('ab',1),"
                 "('ab',2),('c',3); UPDATE rt.mdc SET v=4 WHERE v=1; DELETE FROM rt.mdc WHERE "
                 "v=3");
    ck_assert_int_eq(wide_converge("md"), 4);
    ck_assert_int_eq(wide_converge("mdk"), 2);
    ck_assert_int_eq(wide_converge("mdc"), 2);
    both_eq("SELECT COUNT(*) FROM %s.md WHERE s=SPACE(0)", "1");   /* '' is NULL there */
    /* a full-mode task: mydumper's files loaded into the same target */
    sql(g_src, "CREATE DATABASE ld");
    sql(g_src, "CREATE TABLE ld.md " ODD_TABLE);
    sql(g_src, "INSERT INTO ld.md VALUES " ODD_ROWS);
    snprintf(toml, sizeof toml,
             "name = \"ld\"\nmode = \"full\"\nsource-id = \"mysql-replica-01\"\n"
             "pool-size = 2\nthreads = 2\nchunk-filesize = 64\n"
             "dir = \"%s/dumped_data.ld\"\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"ld\"]\n", g_dir, g_src, g_dst);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    wide_sum(g_src, "ld", "md", a, sizeof a);
    end = tu_now_ms() + 60000;
    for (;;) {
        wide_sum(g_dst, "ld", "md", b, sizeof b);
        if (strcmp(a, b) == 0)
            break;
        ck_assert_msg(task_stage("ld", msg, sizeof msg) != PB__STAGE__Paused, "ld paused: %s",
                      msg);
        ck_assert_msg(tu_now_ms() < end, "ld.md differs: source %s, target %s", a, b);
        usleep(300000);
    }
    fprintf(stderr, "  ld.md (loaded) equal: %s\n", a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_types");
    TCase *tc = tcase_create("types");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, type_edges);
    tcase_add_test(tc, schema_evolution);
    tcase_add_test(tc, session_values);
    tcase_add_test(tc, session_default_pauses);
    suite_add_tcase(s, tc);
    tc = tcase_create("old_temporal");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, old_temporal_format);
    suite_add_tcase(s, tc);
    tc = tcase_create("target_mode");
    tcase_add_unchecked_fixture(tc, setup_mode, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, target_sql_mode);
    suite_add_tcase(s, tc);
    tc = tcase_create("system_tz");
    tcase_add_unchecked_fixture(tc, setup_tz, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, system_time_zone_ddl);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_worker_random.c - randomized acceptance test of the Sync unit (issue 12 "Done when"):
 * the real dm-worker replicates a seeded random workload between two MariaDB sandboxes and
 * the target must end identical to the source (same tables, same columns, per table the
 * same row count > 0 and the same order-independent checksum over the raw bytes of every
 * column) - or, with DMGW_RANDOM_UNSUPPORTED, end Paused with an error naming the
 * statement outside the supported DDL list. Nothing in between: a Paused task or no
 * convergence fails the test with the worker's error.
 *
 * Workload: tables with several charsets, key shapes (PK, composite PK, NOT NULL UK only,
 * none) and many column types; DML (multi-row INSERT, UPDATE of some columns / of the key,
 * DELETE by key and by range, multi-table transactions) from several source sessions, each
 * with a random session binlog_row_image; interleaved DDL (ADD/DROP COLUMN, ADD INDEX,
 * RENAME TABLE, TRUNCATE, CREATE/DROP TABLE). Safe mode covers the first seconds only
 * (DM_WORKER_SAFE_MODE_MS), so both apply modes run.
 *
 * Knobs (environment):
 *   DMGW_SEED=n                replay a run (the seed is printed)
 *   DMGW_RANDOM_OPS=n          operations (default 400; bigger runs: 5000)
 *   DMGW_RANDOM_TABLES=n       initial tables (default 6)
 *   DMGW_RANDOM_ROWIMAGE=list  FULL,MINIMAL,NOBLOB (default all three)
 *   DMGW_RANDOM_CHARSETS=list  utf8mb4,latin1,gbk (default all three)
 *   DMGW_RANDOM_KEYS=list      pk,cpk,uk,none (default all four)
 *   DMGW_RANDOM_DDL=list       addcol,dropcol,addidx,rename,truncate,create,drop, or "none"
 *                              (default all)
 *   DMGW_RANDOM_TYPES=list     int,decimal,float,time,string,blob,enum,bit,json,ext (default
 *                              all; ext: BINARY(n), INET6, UUID, YEAR, DECIMAL(65,30),
 *                              BIT(64), DATETIME(2), TIME, values with trailing 0x00 bytes)
 *   DMGW_RANDOM_UNSUPPORTED=1  end with a statement outside the supported list
 *                              (CREATE SEQUENCE) and expect Paused naming it
 * ctest runs the configuration that passes on the current tree (tests/CMakeLists.txt). */
#include <stdint.h>
#include <time.h>

#include "worker_e2e.h"
#include "testutil.h"

#define MAX_TABLES 24
#define MAX_COLS 48
#define NSESS 3

/* ---- seeded generator (splitmix64: the same stream on every platform) ---- */

static uint64_t g_rng;

static uint64_t rnd(void)
{
    return tu_splitmix64(&g_rng);
}

static int pick(int n) { return n > 0 ? (int)(rnd() % (uint64_t)n) : 0; }
static bool chance(int pct) { return pick(100) < pct; }

/* ---- knobs ---- */

static bool allowed(const char *env, const char *item)
{
    const char *v = getenv(env);
    size_t n = strlen(item);
    const char *p;
    if (!v || !v[0] || strcmp(v, "all") == 0)
        return true;
    for (p = v; (p = strstr(p, item)); p += n)
        if ((p == v || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && v[0] ? atoi(v) : def;
}

static const char *knob(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : "all";
}

/* Items of `all` allowed by env (at least one, else the test is misconfigured). */
static int allowed_list(const char *env, const char *const *all, int n, const char **out)
{
    int i, k = 0;
    for (i = 0; i < n; i++)
        if (allowed(env, all[i]))
            out[k++] = all[i];
    ck_assert_msg(k > 0, "%s=%s allows nothing", env, getenv(env));
    return k;
}

static const char *const ALL_IMAGES[] = { "FULL", "MINIMAL", "NOBLOB" };
static const char *const ALL_CHARSETS[] = { "utf8mb4", "latin1", "gbk" };
static const char *const ALL_KEYS[] = { "pk", "cpk", "uk", "none" };
static const char *const ALL_DDL[] = { "addcol", "dropcol", "addidx", "rename", "truncate",
                                       "create", "drop" };
static const char *g_images[3], *g_charsets[3], *g_keys[4], *g_ddl[7];
static int g_nimages, g_ncharsets, g_nkeys, g_nddl;

/* ---- column types ---- */

enum vkind { V_INT, V_UINT, V_DEC, V_FLT, V_DATE, V_TIME, V_DT, V_TS, V_STR, V_BIN, V_ENUM,
             V_SET, V_BIT, V_JSON, V_YEAR, V_INET6, V_UUID };

struct ctype {
    const char *group;      /* DMGW_RANDOM_TYPES item */
    const char *sql;        /* column type ("%s" = charset for text types) */
    enum vkind kind;
    int width;              /* string length bound */
    bool text;              /* character column (takes the table charset) */
    bool blob;              /* TEXT/BLOB: index needs a prefix */
};

static const struct ctype TYPES[] = {
    { "int", "TINYINT", V_INT, 0, false, false },
    { "int", "SMALLINT UNSIGNED", V_UINT, 0, false, false },
    { "int", "MEDIUMINT", V_INT, 0, false, false },
    { "int", "INT UNSIGNED", V_UINT, 0, false, false },
    { "int", "BIGINT", V_INT, 0, false, false },
    { "int", "BIGINT UNSIGNED", V_UINT, 0, false, false },
    { "decimal", "DECIMAL(20,6)", V_DEC, 0, false, false },
    { "float", "FLOAT", V_FLT, 0, false, false },
    { "float", "DOUBLE", V_FLT, 0, false, false },
    { "time", "DATE", V_DATE, 0, false, false },
    { "time", "TIME(3)", V_TIME, 0, false, false },
    { "time", "DATETIME(6)", V_DT, 0, false, false },
    { "time", "TIMESTAMP NULL", V_TS, 0, false, false },
    { "string", "CHAR(10)", V_STR, 10, true, false },
    { "string", "VARCHAR(64)", V_STR, 64, true, false },
    { "string", "TEXT", V_STR, 200, true, true },
    { "blob", "BLOB", V_BIN, 300, false, true },
    { "blob", "VARBINARY(32)", V_BIN, 32, false, false },
    { "enum", "ENUM('a','b','c','d')", V_ENUM, 0, false, false },
    { "enum", "SET('x','y','z')", V_SET, 0, false, false },
    { "bit", "BIT(10)", V_BIT, 0, false, false },
    { "json", "JSON", V_JSON, 0, false, true },
    { "ext", "BINARY(6)", V_BIN, 6, false, false },
    { "ext", "INET6", V_INET6, 0, false, false },
    { "ext", "UUID", V_UUID, 0, false, false },
    { "ext", "YEAR", V_YEAR, 0, false, false },
    { "ext", "DECIMAL(65,30)", V_DEC, 0, false, false },
    { "ext", "BIT(64)", V_BIT, 0, false, false },
    { "ext", "DATETIME(2)", V_DT, 0, false, false },
    { "ext", "TIME", V_TIME, 0, false, false },
};
#define NTYPES ((int)(sizeof TYPES / sizeof TYPES[0]))

/* ---- the model of the source schema ---- */

enum keyshape { K_PK, K_CPK, K_UK, K_NONE };

struct col {
    char name[32];
    int type;               /* TYPES index; -1 = key column (INT / CHAR(4)) */
};

struct table {
    char name[64];
    char charset[16];
    enum keyshape key;
    struct col cols[MAX_COLS];
    int ncols;
    long long next_id;
    int ncolseq;
};

static struct table g_t[MAX_TABLES];
static int g_nt, g_tseq;
static MYSQL *g_sess[NSESS];
static const char *g_sess_image[NSESS];
static long long g_stmts, g_failed;

/* Run on the source; source-side errors (a duplicate, a deleted row) are counted and
 * ignored: the target must follow whatever the source committed. */
static void src_exec(MYSQL *m, const char *q)
{
    g_stmts++;
    if (env_int("DMGW_RANDOM_VERBOSE", 0) > 1)
        fprintf(stderr, "src: %.400s\n", q);
    if (mysql_query(m, q) != 0) {
        unsigned int e = mysql_errno(m);
        ck_assert_msg(e != 2006 && e != 2013, "source connection lost: %s", mysql_error(m));
        g_failed++;
        if (env_int("DMGW_RANDOM_VERBOSE", 0) > 0)
            fprintf(stderr, "source refused (%u %s): %.300s\n", e, mysql_error(m), q);
        return;
    }
    mysql_free_result(mysql_store_result(m));
}

static MYSQL *session(void)
{
    int i = pick(NSESS);
    if (chance(5)) {   /* switch this session's row image now and then */
        char q[96];
        g_sess_image[i] = g_images[pick(g_nimages)];
        snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s'", g_sess_image[i]);
        src_exec(g_sess[i], q);
    }
    return g_sess[i];
}

/* ---- values ---- */

static const char *const CHARS_UTF8[] = { "a", "A", "e", "Z", "9", " ", "'", "\\\\", "é", "ü", "ß", "你",
                                          "好", "😀", "Ω", "ñ", "_" };
static const char *const CHARS_LATIN1[] = { "a", "A", "e", "Z", "9", " ", "'", "\\\\", "é", "ü", "ß", "ñ",
                                            "Ø", "ç", "_", "¿" };
static const char *const CHARS_GBK[] = { "a", "Z", "9", " ", "'", "\\\\", "你", "好", "中", "文",
                                         "数", "据", "_" };

struct dm_buf_lite {
    char *p;
    size_t n, cap;
};

static void add_str(struct dm_buf_lite *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 1024) + l;
        char *t = realloc(b->p, nc);
        ck_assert_ptr_nonnull(t);
        b->p = t;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

static void addf(struct dm_buf_lite *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct dm_buf_lite *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    add_str(b, tmp);
}

static void text_value(struct dm_buf_lite *b, const char *charset, int maxlen)
{
    const char *const *pool = CHARS_UTF8;
    int n = (int)(sizeof CHARS_UTF8 / sizeof *CHARS_UTF8), len, i;
    if (strcmp(charset, "latin1") == 0) {
        pool = CHARS_LATIN1;
        n = (int)(sizeof CHARS_LATIN1 / sizeof *CHARS_LATIN1);
    } else if (strcmp(charset, "gbk") == 0) {
        pool = CHARS_GBK;
        n = (int)(sizeof CHARS_GBK / sizeof *CHARS_GBK);
    }
    len = pick(maxlen < 12 ? maxlen + 1 : 12);
    add_str(b, "'");
    for (i = 0; i < len; i++) {
        const char *c = pool[pick(n)];
        add_str(b, strcmp(c, "'") == 0 ? "''" : c);
    }
    add_str(b, "'");
}

static void value_of(struct dm_buf_lite *b, const struct table *t, int type)
{
    const struct ctype *ct = &TYPES[type];
    if (chance(8) && ct->kind != V_JSON) {
        add_str(b, "NULL");
        return;
    }
    switch (ct->kind) {
    case V_INT:
        addf(b, "%d", pick(255) - 128);
        break;
    case V_UINT:
        addf(b, "%d", pick(65536));
        break;
    case V_DEC:
        addf(b, "%s%d.%06d", chance(30) ? "-" : "", pick(1000000), pick(1000000));
        break;
    case V_FLT:
        addf(b, "%d.%d", pick(20000) - 10000, pick(100));
        break;
    case V_DATE:
        addf(b, "'%04d-%02d-%02d'", 1990 + pick(60), 1 + pick(12), 1 + pick(28));
        break;
    case V_TIME:
        addf(b, "'%s%02d:%02d:%02d.%03d'", chance(10) ? "-" : "", pick(100), pick(60), pick(60),
             pick(1000));
        break;
    case V_DT:
        addf(b, "'%04d-%02d-%02d %02d:%02d:%02d.%06d'", 1990 + pick(60), 1 + pick(12),
             1 + pick(28), pick(24), pick(60), pick(60), pick(1000000));
        break;
    case V_TS:
        addf(b, "'%04d-%02d-%02d %02d:%02d:%02d'", 2000 + pick(30), 1 + pick(12), 1 + pick(28),
             pick(24), pick(60), pick(60));
        break;
    case V_STR:
        text_value(b, t->charset, ct->width);
        break;
    case V_BIN: {
        int len = pick(ct->width < 24 ? ct->width : 24), i;
        if (len == 0) {
            add_str(b, "''");
            break;
        }
        if (ct->width > 100 && chance(20))   /* a long BLOB now and then */
            add_str(b, "CONCAT(");
        add_str(b, "0x");
        for (i = 0; i < len; i++)
            addf(b, "%02X", pick(256));
        if (ct->width > 100 && strncmp(b->p + b->n - 2 * len - 9, "CONCAT(", 7) == 0)
            addf(b, ", REPEAT(0x00, %d))", 200 + pick(2000));
        break;
    }
    case V_ENUM:
        addf(b, "'%c'", 'a' + pick(4));
        break;
    case V_SET: {
        static const char *const S[] = { "", "x", "y", "z", "x,y", "x,z", "y,z", "x,y,z" };
        addf(b, "'%s'", S[pick(8)]);
        break;
    }
    case V_BIT:
        addf(b, "b'%d%d%d%d%d%d%d%d%d%d'", pick(2), pick(2), pick(2), pick(2), pick(2), pick(2),
             pick(2), pick(2), pick(2), pick(2));
        break;
    case V_YEAR:
        addf(b, "%d", chance(10) ? 0 : 1901 + pick(255));
        break;
    case V_INET6:   /* trailing zero bytes now and then ('1::' is 0x0001 then zeros) */
        addf(b, chance(50) ? "'%x::'" : "'::%x'", pick(65536));
        break;
    case V_UUID:    /* variant bits 1x (MariaDB 10.11.19 refuses variant 0 with version > 0);
                       versions 1-5 are the ones MariaDB stores byte-swapped */
        addf(b, "'%08x-%04x-%04x-%04x-%04x%08x'", (unsigned)pick(1 << 30), pick(65536),
             pick(65536), 0x8000 | pick(0x8000), pick(65536),
             chance(40) ? 0u : (unsigned)pick(1 << 30));
        break;
    case V_JSON:
        if (chance(10))
            add_str(b, "NULL");
        else
            addf(b, "'{\"k\": %d, \"s\": \"v%d\", \"a\": [%d, true, null]}'", pick(1000),
                 pick(100), pick(10));
        break;
    }
}

/* ---- schema ---- */

static void col_def(struct dm_buf_lite *b, const struct table *t, const struct col *c)
{
    const struct ctype *ct = &TYPES[c->type];
    addf(b, "`%s` %s", c->name, ct->sql);
    if (ct->text)
        addf(b, " CHARACTER SET %s", t->charset);
}

static bool type_ok(int type) { return allowed("DMGW_RANDOM_TYPES", TYPES[type].group); }

static int random_type(void)
{
    int i;
    for (i = 0; i < 1000; i++) {
        int k = pick(NTYPES);
        if (type_ok(k))
            return k;
    }
    ck_abort_msg("DMGW_RANDOM_TYPES allows no type");
    return 0;
}

static void create_table(MYSQL *m)
{
    struct table *t;
    struct dm_buf_lite b = { 0 };
    const char *key;
    int n, i;
    if (g_nt >= MAX_TABLES)
        return;
    t = &g_t[g_nt];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "t%d", g_tseq++);
    snprintf(t->charset, sizeof t->charset, "%s", g_charsets[pick(g_ncharsets)]);
    key = g_keys[pick(g_nkeys)];
    t->key = strcmp(key, "pk") == 0 ? K_PK : strcmp(key, "cpk") == 0 ? K_CPK
           : strcmp(key, "uk") == 0 ? K_UK : K_NONE;
    addf(&b, "CREATE TABLE `rnd`.`%s` (`id` INT %s", t->name,
         t->key == K_NONE ? "NULL" : "NOT NULL");
    if (t->key == K_CPK)
        addf(&b, ", `k2` CHAR(4) CHARACTER SET %s NOT NULL", t->charset);
    n = 4 + pick(8);
    for (i = 0; i < n; i++) {
        struct col *c = &t->cols[t->ncols++];
        snprintf(c->name, sizeof c->name, "c%d", t->ncolseq++);
        c->type = random_type();
        add_str(&b, ", ");
        col_def(&b, t, c);
    }
    if (t->key == K_PK)
        add_str(&b, ", PRIMARY KEY (`id`)");
    else if (t->key == K_CPK)
        add_str(&b, ", PRIMARY KEY (`id`, `k2`)");
    else if (t->key == K_UK)
        add_str(&b, ", UNIQUE KEY `uk_id` (`id`)");
    addf(&b, ") DEFAULT CHARSET=%s", t->charset);
    src_exec(m, b.p);
    free(b.p);
    t->next_id = 1;
    g_nt++;
}

/* ---- DML ---- */

static void key_where(struct dm_buf_lite *b, const struct table *t)
{
    long long id = 1 + (t->next_id > 1 ? (long long)(rnd() % (uint64_t)(t->next_id - 1)) : 0);
    addf(b, " WHERE `id` = %lld", id);
    if (t->key == K_CPK && chance(50))
        addf(b, " AND `k2` = '%c'", 'a' + pick(3));
}

static void dml_insert(MYSQL *m, struct table *t)
{
    struct dm_buf_lite b = { 0 };
    int rows = 1 + pick(5), r, i;
    addf(&b, "INSERT INTO `rnd`.`%s` (`id`", t->name);
    if (t->key == K_CPK)
        add_str(&b, ", `k2`");
    for (i = 0; i < t->ncols; i++)
        addf(&b, ", `%s`", t->cols[i].name);
    add_str(&b, ") VALUES ");
    for (r = 0; r < rows; r++) {
        addf(&b, "%s(%lld", r ? ", " : "", t->next_id++);
        if (t->key == K_CPK)
            addf(&b, ", '%c'", 'a' + pick(3));
        for (i = 0; i < t->ncols; i++) {
            add_str(&b, ", ");
            value_of(&b, t, t->cols[i].type);
        }
        add_str(&b, ")");
    }
    src_exec(m, b.p);
    free(b.p);
}

static void dml_update(MYSQL *m, struct table *t)
{
    struct dm_buf_lite b = { 0 };
    int n, i;
    addf(&b, "UPDATE `rnd`.`%s` SET ", t->name);
    if (t->ncols == 0 || chance(10)) {   /* move a row to a new key */
        addf(&b, "`id` = %lld", t->next_id++);
    } else {
        n = 1 + pick(t->ncols < 3 ? t->ncols : 3);
        for (i = 0; i < n; i++) {
            const struct col *c = &t->cols[pick(t->ncols)];
            addf(&b, "%s`%s` = ", i ? ", " : "", c->name);
            value_of(&b, t, c->type);
        }
    }
    if (chance(15) && t->next_id > 4)   /* several rows */
        addf(&b, " WHERE `id` %% %d = %d", 2 + pick(5), pick(2));
    else
        key_where(&b, t);
    src_exec(m, b.p);
    free(b.p);
}

static void dml_delete(MYSQL *m, struct table *t)
{
    struct dm_buf_lite b = { 0 };
    addf(&b, "DELETE FROM `rnd`.`%s`", t->name);
    if (chance(10) && t->next_id > 4)
        addf(&b, " WHERE `id` %% %d = %d", 5 + pick(5), pick(3));
    else
        key_where(&b, t);
    src_exec(m, b.p);
    free(b.p);
}

static void dml_one(MYSQL *m, struct table *t)
{
    int r = pick(100);
    if (r < 50)
        dml_insert(m, t);
    else if (r < 85)
        dml_update(m, t);
    else
        dml_delete(m, t);
}

static void dml(void)
{
    MYSQL *m = session();
    int i, n;
    if (g_nt == 0)
        return;
    if (!chance(30)) {
        dml_one(m, &g_t[pick(g_nt)]);
        return;
    }
    n = 2 + pick(5);   /* a transaction over several tables */
    src_exec(m, "BEGIN");
    for (i = 0; i < n; i++)
        dml_one(m, &g_t[pick(g_nt)]);
    src_exec(m, "COMMIT");
}

/* ---- DDL ---- */

static void ddl(void)
{
    MYSQL *m = g_sess[0];
    const char *k;
    struct table *t;
    char q[1024];
    if (g_nddl == 0)
        return;
    k = g_ddl[pick(g_nddl)];
    if (g_nt == 0 || (strcmp(k, "create") == 0 && g_nt < MAX_TABLES)) {
        create_table(m);
        return;
    }
    t = &g_t[pick(g_nt)];
    if (strcmp(k, "addcol") == 0 && t->ncols < MAX_COLS) {
        struct dm_buf_lite b = { 0 };
        struct col *c = &t->cols[t->ncols];
        snprintf(c->name, sizeof c->name, "c%d", t->ncolseq++);
        c->type = random_type();
        addf(&b, "ALTER TABLE `rnd`.`%s` ADD COLUMN ", t->name);
        col_def(&b, t, c);
        if (t->ncols > 0 && chance(30))
            addf(&b, " AFTER `%s`", t->cols[pick(t->ncols)].name);
        t->ncols++;   /* the model keeps table order only for naming; checksums use the DB's */
        src_exec(m, b.p);
        free(b.p);
    } else if (strcmp(k, "dropcol") == 0 && t->ncols > 1) {
        int i = pick(t->ncols);
        snprintf(q, sizeof q, "ALTER TABLE `rnd`.`%s` DROP COLUMN `%s`", t->name, t->cols[i].name);
        t->cols[i] = t->cols[--t->ncols];
        src_exec(m, q);
    } else if (strcmp(k, "addidx") == 0 && t->ncols > 0) {
        const struct col *c = &t->cols[pick(t->ncols)];
        if (TYPES[c->type].kind == V_JSON)
            return;
        snprintf(q, sizeof q, "ALTER TABLE `rnd`.`%s` ADD INDEX `ix_%s_%d` (`%s`%s)", t->name,
                 c->name, g_tseq++, c->name, TYPES[c->type].blob ? "(8)" : "");
        src_exec(m, q);
    } else if (strcmp(k, "rename") == 0) {
        char old[64];
        snprintf(old, sizeof old, "%s", t->name);
        snprintf(t->name, sizeof t->name, "t%d", g_tseq++);
        snprintf(q, sizeof q, "RENAME TABLE `rnd`.`%s` TO `rnd`.`%s`", old, t->name);
        src_exec(m, q);
    } else if (strcmp(k, "truncate") == 0) {
        snprintf(q, sizeof q, "TRUNCATE TABLE `rnd`.`%s`", t->name);
        src_exec(m, q);
    } else if (strcmp(k, "drop") == 0 && g_nt > 2) {
        snprintf(q, sizeof q, "DROP TABLE `rnd`.`%s`", t->name);
        src_exec(m, q);
        *t = g_t[--g_nt];
    }
}

/* ---- comparison ---- */

/* "count:checksum" of one table over the raw bytes of every column (session time zone
 * UTC on both sides), "" when the table is missing. */
static void table_sum(int port, const char *table, char *out, size_t cap, char *cols, size_t ccap)
{
    MYSQL *m = db(port);
    MYSQL_RES *r;
    MYSQL_ROW row;
    struct dm_buf_lite q = { 0 }, cl = { 0 }, nonascii = { 0 };
    int n = 0;
    snprintf(out, cap, "%s", "");
    ck_assert_int_eq(mysql_query(m, "SET time_zone='+00:00'"), 0);
    addf(&q, "SELECT column_name, character_set_name FROM information_schema.columns WHERE table_schema='rnd' "
             "AND table_name='%s' ORDER BY ordinal_position", table);
    ck_assert_msg(mysql_query(m, q.p) == 0, "%s", mysql_error(m));
    r = mysql_store_result(m);
    free(q.p);
    q = (struct dm_buf_lite){ 0 };
    add_str(&cl, "");
    add_str(&q, "SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CAST(CONV(SUBSTR(MD5(CONCAT_WS('|'");
    while ((row = mysql_fetch_row(r))) {
        addf(&q, ", COALESCE(HEX(CAST(`%s` AS BINARY)), 'N')", row[0]);
        if (row[1] && row[1][0])   /* rows with non-ASCII text (coverage, printed) */
            addf(&nonascii, "%sCOALESCE(LENGTH(`%s`) <> CHAR_LENGTH(`%s`), 0)",
                 nonascii.n ? " + " : "", row[0], row[0]);
        addf(&cl, "%s%s", n++ ? "," : "", row[0]);
    }
    mysql_free_result(r);
    addf(&q, ")), 1, 15), 16, 10) AS UNSIGNED)), 0), ':', SUM(%s)) FROM `rnd`.`%s`",
         nonascii.n ? nonascii.p : "0", table);
    if (n > 0 && mysql_query(m, q.p) == 0 && (r = mysql_store_result(m))) {
        row = mysql_fetch_row(r);
        snprintf(out, cap, "%s", row && row[0] ? row[0] : "");
        mysql_free_result(r);
    }
    snprintf(cols, ccap, "%s", cl.p);
    free(q.p);
    free(cl.p);
    free(nonascii.p);
    mysql_close(m);
}

/* The task's stage and error message ("" when none). */
static int task_state(char *err, size_t cap)
{
    Pb__QueryStatusResponse *st = query_status("rnd");
    int stage;
    err[0] = '\0';
    ck_assert_uint_eq(st->n_subtaskstatus, 1);
    stage = st->subtaskstatus[0]->stage;
    if (st->subtaskstatus[0]->result && st->subtaskstatus[0]->result->n_errors > 0)
        snprintf(err, cap, "%s", st->subtaskstatus[0]->result->errors[0]->msg);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    return stage;
}

#define TABLES_Q "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM " \
                 "information_schema.tables WHERE table_schema='rnd' AND table_type='BASE TABLE'"

/* Compare every table; true when all equal. *report names the first difference. */
static bool all_equal(char *report, size_t cap, bool final)
{
    char a[4096], b[4096], ca[2048], cb[2048], tables[4096] = "";
    MYSQL *m = db(g_src);
    MYSQL_RES *r;
    MYSQL_ROW row;
    bool eq = true;
    report[0] = '\0';
    ck_assert_int_eq(mysql_query(m, TABLES_Q), 0);
    r = mysql_store_result(m);
    row = mysql_fetch_row(r);
    snprintf(tables, sizeof tables, "%s", row && row[0] ? row[0] : "");
    mysql_free_result(r);
    mysql_close(m);
    value(g_dst, TABLES_Q, a, sizeof a);
    if (strcmp(a, tables) != 0) {
        snprintf(report, cap, "tables differ: source [%.1000s] target [%.1000s]", tables, a);
        return false;
    }
    for (char *save = NULL, *tn = strtok_r(tables, ",", &save); tn; tn = strtok_r(NULL, ",", &save)) {
        table_sum(g_src, tn, a, sizeof a, ca, sizeof ca);
        table_sum(g_dst, tn, b, sizeof b, cb, sizeof cb);
        if (strcmp(ca, cb) != 0) {
            snprintf(report, cap, "rnd.%s columns differ: source [%.1000s] target [%.1000s]", tn, ca, cb);
            return false;
        }
        if (strcmp(a, b) != 0) {
            snprintf(report, cap, "rnd.%s differs: source %.100s target %.100s (count:checksum)", tn, a, b);
            eq = false;
            break;
        }
        if (final) {
            ck_assert_msg(atoll(a) > 0, "rnd.%s is empty on the source: %s", tn, a);
            fprintf(stderr, "  rnd.%-6s %s rows:checksum:non-ASCII-rows equal [%s]\n", tn, a, ca);
        }
    }
    return eq;
}

/* ---- the test ---- */

static void setup(void)
{
    e2e_env_up();
}

static void teardown(void)
{
    int i;
    for (i = 0; i < NSESS; i++)
        if (g_sess[i])
            mysql_close(g_sess[i]);
    memset(g_sess, 0, sizeof g_sess);
    e2e_env_down();
}

static void start_worker_task(void)
{
    char toml[4096], msg[2048];
    master_pos();
    setenv("DM_WORKER_SAFE_MODE_MS", "3000", 1);   /* safe mode, then normal mode */
    spawn_worker();
    snprintf(toml, sizeof toml,
             "name = \"rnd\"\nmode = \"incremental\"\nsource-id = \"mysql-replica-01\"\n"
             "meta-schema = \"dm_meta\"\nworker-count = 4\n"
             "[meta]\nbinlog-name = \"%s\"\nbinlog-pos = %llu\n"
             "[from]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[to]\nhost = \"127.0.0.1\"\nport = %d\nuser = \"root\"\npassword = \"\"\n"
             "[black-white-list]\ndo-dbs = [\"rnd\"]\n", g_file, g_pos, g_src, g_dst);
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    sql(g_src, "CREATE DATABASE rnd");   /* replicated too */
}

static void open_sessions(void)
{
    int i;
    for (i = 0; i < NSESS; i++) {
        char q[96];
        g_sess[i] = db(g_src);
        ck_assert_int_eq(mysql_set_character_set(g_sess[i], "utf8mb4"), 0);
        g_sess_image[i] = g_images[pick(g_nimages)];
        snprintf(q, sizeof q, "SET SESSION binlog_row_image='%s'", g_sess_image[i]);
        src_exec(g_sess[i], q);
    }
}

/* Every table ends with rows (count > 0 is asserted) written under every row image. */
static void final_rows(void)
{
    int i, k;
    for (i = 0; i < g_nt; i++)
        for (k = 0; k < 3; k++)
            dml_insert(session(), &g_t[i]);
}

START_TEST(random_workload_converges)
{
    const char *seed_env = getenv("DMGW_SEED");
    uint64_t seed = seed_env && seed_env[0] ? strtoull(seed_env, NULL, 10)
                                            : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
    int ops = env_int("DMGW_RANDOM_OPS", 400), ntab = env_int("DMGW_RANDOM_TABLES", 6), i;
    bool unsupported = env_int("DMGW_RANDOM_UNSUPPORTED", 0) != 0;
    char report[4096] = "", err[2048];
    long long end;
    int stage;
    g_rng = seed;
    fprintf(stderr, "test_sync_random: DMGW_SEED=%llu ops=%d tables=%d images=%s charsets=%s "
                    "keys=%s ddl=%s types=%s unsupported=%d\n",
            (unsigned long long)seed, ops, ntab, knob("DMGW_RANDOM_ROWIMAGE"),
            knob("DMGW_RANDOM_CHARSETS"), knob("DMGW_RANDOM_KEYS"), knob("DMGW_RANDOM_DDL"),
            knob("DMGW_RANDOM_TYPES"), unsupported);
    g_nimages = allowed_list("DMGW_RANDOM_ROWIMAGE", ALL_IMAGES, 3, g_images);
    g_ncharsets = allowed_list("DMGW_RANDOM_CHARSETS", ALL_CHARSETS, 3, g_charsets);
    g_nkeys = allowed_list("DMGW_RANDOM_KEYS", ALL_KEYS, 4, g_keys);
    g_nddl = allowed("DMGW_RANDOM_DDL", "none") && getenv("DMGW_RANDOM_DDL")
                 ? 0 : allowed_list("DMGW_RANDOM_DDL", ALL_DDL, 7, g_ddl);
    start_worker_task();
    open_sessions();
    for (i = 0; i < ntab; i++)
        create_table(g_sess[0]);
    for (i = 0; i < ops; i++) {
        if (chance(6))
            ddl();
        else
            dml();
    }
    final_rows();
    if (unsupported) {
        src_exec(g_sess[0], "CREATE SEQUENCE `rnd`.`seq_unsupported` START WITH 5");
        end = tu_now_ms() + 60000;
        do {
            stage = task_state(err, sizeof err);
            if (stage == PB__STAGE__Paused)
                break;
            usleep(200000);
        } while (tu_now_ms() < end);
        ck_assert_msg(stage == PB__STAGE__Paused, "CREATE SEQUENCE did not pause the task");
        ck_assert_msg(strstr(err, "CREATE SEQUENCE"), "error does not name the statement: %s",
                      err);
        fprintf(stderr, "paused as expected: %s\n", err);
    }
    fprintf(stderr, "source: %lld statements, %lld refused by the source\n", g_stmts, g_failed);
    ck_assert_int_gt(g_stmts - g_failed, ops / 2);
    end = tu_now_ms() + 90000;
    for (;;) {
        if (all_equal(report, sizeof report, false))
            break;
        stage = task_state(err, sizeof err);
        ck_assert_msg(stage == PB__STAGE__Running || (unsupported && stage == PB__STAGE__Paused),
                      "DMGW_SEED=%llu: task %s: %s (last difference: %s)",
                      (unsigned long long)seed, stage == PB__STAGE__Paused ? "Paused" : "not Running",
                      err, report);
        ck_assert_msg(tu_now_ms() < end, "DMGW_SEED=%llu: no convergence: %s",
                      (unsigned long long)seed, report);
        usleep(500000);
    }
    ck_assert_msg(all_equal(report, sizeof report, true), "%s", report);
    if (!unsupported)
        ck_assert_int_eq(task_state(err, sizeof err), PB__STAGE__Running);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_random");
    TCase *tc = tcase_create("random");
    SRunner *sr;
    int nf;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, random_workload_converges);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}

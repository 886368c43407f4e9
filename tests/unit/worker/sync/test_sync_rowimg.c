/* test_sync_rowimg.c - issue 12 items 1 and 2 with real MariaDB: the dm-worker applies
 * partial row images (source sessions with binlog_row_image NOBLOB / MINIMAL) writing only
 * the columns present, and character data of every charset byte-exact (latin1, gbk, big5,
 * sjis with 0x5C trail bytes, ucs2/utf16/utf32, utf8mb3/utf8mb4, binary, ENUM/SET,
 * non-ASCII table and column names), each in normal mode (task norm -> rt_n) and safe mode
 * (task safe -> rt_s); a partial image without the target's key columns pauses the task
 * with an error naming table, position and columns; a safe-mode replay of a partial-image
 * UPDATE that moves a row to another key pauses when it does not find its row; kill -9 during MINIMAL/NOBLOB
 * changes replays to equal targets. Target compared with HEX() of every
 * column; the tests run in order, sharing sandboxes, worker and tasks. */
#include "rowimg_e2e.h"

static void setup(void)
{
    rt_up();
    sql(g_src, "CREATE DATABASE rt");
}

static void teardown(void)
{
    e2e_env_down();
}

/* defect 1: NOBLOB update of a non-BLOB column made the target BLOB NULL */
START_TEST(noblob_keeps_blob)
{
    sql(g_src, "CREATE TABLE rt.nb (id INT PRIMARY KEY, a INT, b BLOB, t TEXT, "
               "v VARCHAR(8) DEFAULT 'dv')");
    sqli("FULL", "INSERT INTO rt.nb VALUES (1,1,X'00FF10','text1','v1'),(2,2,X'AA','t2','v2')");
    sqli("NOBLOB", "UPDATE rt.nb SET a=a+10; UPDATE rt.nb SET b=X'0102' WHERE id=2; "
                   "INSERT INTO rt.nb (id,a,b) VALUES (3,3,X'CC'); DELETE FROM rt.nb WHERE id=2");
    sqli("NOBLOB", "INSERT INTO rt.nb VALUES (4,4,X'DD','t4','v4'); UPDATE rt.nb SET v='w' "
                   "WHERE id=4");
    ck_assert_int_eq(rt_converge("nb", "id,a,HEX(b),HEX(t),HEX(v)"), 3);
    both_eq("SELECT CONCAT(a,':',HEX(b),':',HEX(t)) FROM %s.nb WHERE id=1", "11:00FF10:7465787431");
    both_eq("SELECT CONCAT(HEX(b),':',v,':',t) FROM %s.nb WHERE id=4", "DD:w:t4");
    both_eq("SELECT CONCAT(HEX(b),':',v,':',t IS NULL) FROM %s.nb WHERE id=3", "CC:dv:1");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* defect 2: MINIMAL generated REPLACE INTO t (id,a,b,c) VALUES (NULL,11,NULL,NULL) */
START_TEST(minimal_nullable_unique_key)
{
    sql(g_src, "CREATE TABLE rt.mu (id INT NULL UNIQUE, a INT, b INT, c INT)");
    sqli("FULL", "INSERT INTO rt.mu VALUES (1,1,1,1),(2,2,2,2),(NULL,3,3,3),(NULL,4,4,4)");
    sqli("MINIMAL", "UPDATE rt.mu SET a=11 WHERE id=1; UPDATE rt.mu SET id=5 WHERE id=2; "
                    "UPDATE rt.mu SET b=33 WHERE a=3; DELETE FROM rt.mu WHERE a=4; "
                    "INSERT INTO rt.mu (id,a) VALUES (7,7)");
    ck_assert_int_eq(rt_converge("mu", "IFNULL(id,'N'),IFNULL(a,'N'),IFNULL(b,'N'),"
                                       "IFNULL(c,'N')"), 4);
    both_eq("SELECT CONCAT(a,':',b,':',c) FROM %s.mu WHERE id=1", "11:1:1");
    both_eq("SELECT COUNT(*) FROM %s.mu WHERE id IS NULL", "1");
    /* a PK plus a nullable UK: MINIMAL images lack the UK's old value (barrier jobs) */
    sql(g_src, "CREATE TABLE rt.mk (id INT PRIMARY KEY, u INT NULL UNIQUE, a INT, "
               "b VARCHAR(10) DEFAULT 'dflt', c INT)");
    sqli("FULL", "INSERT INTO rt.mk VALUES (1,10,1,'b1',1),(2,20,2,'b2',2),(3,30,3,'b3',3),"
                 "(4,40,4,'b4',4),(5,50,5,'b5',5)");
    sqli("MINIMAL", "UPDATE rt.mk SET a=a+1 WHERE id<=3; UPDATE rt.mk SET u=99 WHERE id=1; "
                    "UPDATE rt.mk SET u=10 WHERE id=2; DELETE FROM rt.mk WHERE id=5; "
                    "INSERT INTO rt.mk VALUES (6,50,6,'b6',6); INSERT INTO rt.mk (id,a) VALUES "
                    "(7,7); UPDATE rt.mk SET id=8 WHERE id=4; UPDATE rt.mk SET u=NULL WHERE id=3");
    ck_assert_int_eq(rt_converge("mk", "id,IFNULL(u,'N'),a,b,IFNULL(c,'N')"), 6);
    both_eq("SELECT CONCAT(u,':',a,':',b,':',c) FROM %s.mk WHERE id=2", "10:3:b2:2");
    both_eq("SELECT CONCAT(IFNULL(u,'N'),':',b,':',IFNULL(c,'N')) FROM %s.mk WHERE id=7",
            "N:dflt:N");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

START_TEST(minimal_update_delete)
{
    int i;
    sql(g_src, "CREATE TABLE rt.cpk (k1 INT, k2 VARCHAR(8), v INT, w TEXT, d DATETIME(3), "
               "PRIMARY KEY (k1,k2))");
    sql(g_src, "CREATE TABLE rt.nk (a INT, b VARCHAR(8), c TEXT)");
    for (i = 0; i < 20; i++)
        sqli("FULL", "INSERT INTO rt.cpk VALUES (%d,'k%d',%d,REPEAT('w',%d),NOW(3)); "
                     "INSERT INTO rt.nk VALUES (%d,'b%d','c')", i % 5, i, i, i, i, i);
    sqli("MINIMAL", "UPDATE rt.cpk SET v=v*2 WHERE k1=1; UPDATE rt.cpk SET k2='moved' "
                    "WHERE k1=2 AND k2='k2'; UPDATE rt.cpk SET w='w2', d='2020-01-01' WHERE "
                    "k1=3; DELETE FROM rt.cpk WHERE k1=4; UPDATE rt.nk SET c='cc' WHERE a<5; "
                    "DELETE FROM rt.nk WHERE a>15");
    sqli("NOBLOB", "UPDATE rt.cpk SET v=-1 WHERE k1=0; UPDATE rt.nk SET b='nb' WHERE a=6");
    ck_assert_int_eq(rt_converge("cpk", "k1,k2,v,HEX(w),d"), 16);
    ck_assert_int_eq(rt_converge("nk", "a,b,c"), 16);
    both_eq("SELECT COUNT(*) FROM %s.cpk WHERE k2='moved' AND v=2", "1");
    both_eq("SELECT GROUP_CONCAT(v ORDER BY v) FROM %s.cpk WHERE k1=1", "2,12,22,32");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* test_worker_random DMGW_SEED=167587191: FLOAT went out as "%.9g" (2790.17993), which
 * never equals the stored FLOAT 2790.18 in a WHERE; UPDATE/DELETE of key-less rows with a
 * FLOAT column missed silently (safe mode: the REPLACE then added a row) */
START_TEST(keyless_float_where)
{
    sql(g_src, "CREATE TABLE rt.kf (a INT, f FLOAT, d DOUBLE, g FLOAT UNSIGNED)");
    sqli("FULL", "INSERT INTO rt.kf VALUES (0,2790.18,2790.18,0.1),(1,-3935.27,-3935.27,1e-7),"
                 "(2,0.1,0.1,3.4e38),(3,1e-7,1e-7,7690.46),(4,-9168.76,5480.6,5480.6),"
                 "(5,3.4e38,1.7e308,2790.18),(6,123456.789,123456.789,0),(7,NULL,NULL,NULL)");
    sqli("FULL", "UPDATE rt.kf SET a=a+100 WHERE a%%2=0; DELETE FROM rt.kf WHERE a IN (3,5)");
    sqli("MINIMAL", "UPDATE rt.kf SET d=-d WHERE a=1; DELETE FROM rt.kf WHERE a=106");
    ck_assert_int_eq(rt_converge("kf", "a,HEX(CAST(f AS BINARY)),HEX(CAST(d AS BINARY)),"
                                       "HEX(CAST(g AS BINARY))"), 5);
    both_eq("SELECT GROUP_CONCAT(a ORDER BY a) FROM %s.kf", "1,7,100,102,104");
    both_eq("SELECT d FROM %s.kf WHERE a=1", "3935.27");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* defect 3: non-UTF-8 character data was sent as '\ufffd' and paused with Error 1366 */
START_TEST(charsets_byte_exact)
{
    static const char *const cols =
        "id,HEX(l1),HEX(gb),HEX(b5),HEX(sj),HEX(u2),HEX(u16),HEX(u32),HEX(u3),HEX(u4),HEX(bn),"
        "HEX(bf),HEX(bl),HEX(tx),HEX(e),HEX(s),HEX(u2t)";
    sql(g_src, "CREATE TABLE rt.cs (id INT PRIMARY KEY, l1 VARCHAR(20) CHARACTER SET latin1, "
               "gb VARCHAR(20) CHARACTER SET gbk, b5 VARCHAR(20) CHARACTER SET big5, "
               "sj VARCHAR(20) CHARACTER SET sjis, u2 VARCHAR(20) CHARACTER SET ucs2, "
               "u16 VARCHAR(20) CHARACTER SET utf16, u32 CHAR(10) CHARACTER SET utf32, "
               "u3 VARCHAR(20) CHARACTER SET utf8mb3, u4 VARCHAR(20) CHARACTER SET utf8mb4, "
               "bn VARBINARY(20), bf BINARY(4), bl BLOB, tx TEXT CHARACTER SET latin1, "
               "e ENUM('x','é','你') CHARACTER SET utf8mb4, s SET('a','b','ü') CHARACTER SET "
               "utf8mb4, u2t TEXT CHARACTER SET ucs2) DEFAULT CHARSET=utf8mb4");
    sqli("FULL", "INSERT INTO rt.cs VALUES (1,'é','你好','你好','ソ表','é','😀x','ab ','é',"
                 "'😀','\\0\\xFF',X'00FF',X'5C27225C00',' é','é','a,ü','ü'),"
                 "(2,'\\'\\\\','許功蓋','許功蓋','ソ\\\\','ä','z','€','x','y',X'5C',X'5C',X'',"
                 "'','你','','')");
    sqli("FULL", "INSERT INTO rt.cs (id,l1,sj,u2) VALUES (3,_latin1 X'FF5C27',_sjis X'835C',"
                 "_ucs2 X'00E9')");
    sqli("MINIMAL", "UPDATE rt.cs SET l1='ü', u32='ü' WHERE id=2; UPDATE rt.cs SET gb='中' "
                    "WHERE id=3");
    sqli("NOBLOB", "UPDATE rt.cs SET b5='蓋', tx='ß' WHERE id=1");
    ck_assert_int_eq(rt_converge("cs", cols), 3);
    both_eq("SELECT CONCAT(HEX(l1),':',HEX(gb),':',HEX(sj),':',HEX(u2),':',HEX(e)) FROM %s.cs "
            "WHERE id=1", "E9:C4E3BAC3:835C955C:00E9:C3A9");
    both_eq("SELECT CONCAT(HEX(u32),':',HEX(l1)) FROM %s.cs WHERE id=2", "000000FC:FC");
    both_eq("SELECT CONCAT(HEX(l1),':',HEX(sj),':',HEX(gb)) FROM %s.cs WHERE id=3",
            "FF5C27:835C:D6D0");
    /* a latin1 primary key: rows found by byte-exact key values */
    sql(g_src, "CREATE TABLE rt.lk (k VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY, v INT, "
               "g VARCHAR(10) CHARACTER SET gbk UNIQUE)");
    sqli("FULL", "INSERT INTO rt.lk VALUES ('é',1,'你'),('e',2,'好'),('ü',3,NULL)");
    sqli("MINIMAL", "UPDATE rt.lk SET v=10 WHERE k='é'; DELETE FROM rt.lk WHERE k='ü'");
    sqli("FULL", "UPDATE rt.lk SET v=20 WHERE g='好'; UPDATE rt.lk SET k='ö' WHERE k='é'");
    ck_assert_int_eq(rt_converge("lk", "HEX(k),v,HEX(g)"), 2);
    both_eq("SELECT CONCAT(HEX(k),':',v) FROM %s.lk WHERE g='你'", "F6:10");
    /* non-ASCII schema object names */
    sql(g_src, "CREATE TABLE rt.`tåbl_é` (`名前` VARCHAR(10) CHARACTER SET gbk PRIMARY KEY, "
               "`ü` INT)");
    sqli("MINIMAL", "INSERT INTO rt.`tåbl_é` VALUES ('名',1),('前',2); UPDATE rt.`tåbl_é` SET "
                    "`ü`=5 WHERE `名前`='名'; DELETE FROM rt.`tåbl_é` WHERE `ü`=2");
    ck_assert_int_eq(rt_converge("tåbl_é", "HEX(`名前`),`ü`"), 1);
    both_eq("SELECT CONCAT(HEX(`名前`),':',`ü`) FROM %s.`tåbl_é`", "C3FB:5");
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* a partial image without the target's key columns: Paused with a named error */
START_TEST(partial_image_without_key_pauses)
{
    char toml[4096], msg[2048];
    const char *name[2] = { "nokey_n", "nokey_s" }, *db[2] = { "pk_n", "pk_s" };
    int i;
    for (i = 0; i < 2; i++) {
        sql(g_dst, "CREATE DATABASE %s", db[i]);
        sql(g_dst, "CREATE TABLE %s.t (id INT, a INT NOT NULL PRIMARY KEY)", db[i]);
    }
    master_pos();
    for (i = 0; i < 2; i++) {
        rt_task_toml(toml, sizeof toml, name[i], db[i], i == 1, "pk");
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    }
    sql(g_src, "CREATE DATABASE pk");
    /* UNIQUE (a): the target's PRIMARY KEY (a) is implied by a source key (else the rows
     * pause earlier: applier_srcdef.c worker_ap_srcdef_key_misfit) */
    sql(g_src, "CREATE TABLE pk.t (id INT PRIMARY KEY, a INT NOT NULL, UNIQUE KEY (a))");
    sqli("FULL", "INSERT INTO pk.t VALUES (1,10),(2,20)");
    sqli("MINIMAL", "UPDATE pk.t SET a=11 WHERE id=1");
    for (i = 0; i < 2; i++) {
        long long end = tu_now_ms() + 20000;
        int stage;
        while ((stage = task_stage(name[i], msg, sizeof msg)) != PB__STAGE__Paused &&
               tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(stage == PB__STAGE__Paused, "%s stage %d", name[i], stage);
        fprintf(stderr, "%s: %s\n", name[i], msg);
        ck_assert_msg(strstr(msg, "`pk`.`t`") && strstr(msg, "lacks the key columns `a`") &&
                      strstr(msg, "(mysql-bin.") && strstr(msg, "MINIMAL"), "%s", msg);
        value(g_dst, db[i][3] == 'n' ? "SELECT COUNT(*) FROM pk_n.t WHERE a=11"
                                     : "SELECT COUNT(*) FROM pk_s.t WHERE a=11",
              msg, sizeof msg);
        ck_assert_str_eq(msg, "0");        /* the failing row is not applied */
        usleep(i ? 0 : 1500000);           /* not transient: no auto-resume */
        ck_assert_int_eq(task_stage(name[i], msg, sizeof msg), PB__STAGE__Paused);
    }
    assert_running("norm");
}
END_TEST

/* A key-less row missing on the target (removed there behind the worker's back, or missed
 * as the FLOAT rows of keyless_float_where were): its UPDATE / DELETE pauses the task with
 * an error naming the statement, in normal and safe mode, instead of a silent miss (safe
 * mode's REPLACE would even add the row a second time). */
START_TEST(keyless_row_missing_pauses)
{
    char toml[4096], msg[2048], v[64];
    const char *name[2] = { "km_n", "km_s" };
    int i;
    master_pos();
    for (i = 0; i < 2; i++) {
        rt_task_toml(toml, sizeof toml, name[i], name[i], i == 1, "km");
        ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    }
    sql(g_src, "CREATE DATABASE km");
    sql(g_src, "CREATE TABLE km.t (a INT, b VARCHAR(8))");
    sqli("FULL", "INSERT INTO km.t VALUES (1,'one'),(2,'two'),(2,'two')");
    ck_assert(converge("SELECT COUNT(*) FROM km.t", "SELECT COUNT(*) FROM km_n.t", 20000));
    ck_assert(converge("SELECT COUNT(*) FROM km.t", "SELECT COUNT(*) FROM km_s.t", 20000));
    sqli("FULL", "DELETE FROM km.t WHERE a=2 LIMIT 1");   /* one of two equal rows: found */
    ck_assert(converge("SELECT COUNT(*) FROM km.t", "SELECT COUNT(*) FROM km_n.t", 20000));
    ck_assert(converge("SELECT COUNT(*) FROM km.t", "SELECT COUNT(*) FROM km_s.t", 20000));
    sql(g_dst, "DELETE FROM km_n.t WHERE a=1");
    sql(g_dst, "DELETE FROM km_s.t WHERE a=1");
    sqli("FULL", "UPDATE km.t SET b='uno' WHERE a=1");
    for (i = 0; i < 2; i++) {
        long long end = tu_now_ms() + 20000;
        int stage;
        while ((stage = task_stage(name[i], msg, sizeof msg)) != PB__STAGE__Paused &&
               tu_now_ms() < end)
            usleep(100000);
        ck_assert_msg(stage == PB__STAGE__Paused, "%s stage %d", name[i], stage);
        fprintf(stderr, "%s: %s\n", name[i], msg);
        ck_assert_msg(strstr(msg, "key-less row not found on the target") &&
                      strstr(msg, i ? "`km_s`.`t`" : "`km_n`.`t`"), "%s", msg);
        value(g_dst, i ? "SELECT COUNT(*) FROM km_s.t" : "SELECT COUNT(*) FROM km_n.t", v,
              sizeof v);
        ck_assert_str_eq(v, "1");          /* safe mode's REPLACE did not add the row */
    }
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* A safe-mode replay over a target already ahead (a restarted worker replays from its
 * checkpoint what it may have applied before): a MINIMAL UPDATE that moves a row to another
 * PK finds no row when a replayed DELETE removed the row that already sat at its new key -
 * the row was lost silently (the target stayed empty, the source has it). It pauses naming
 * the partial image. Deterministic: the target gets the source's final state and the task
 * starts before the changes. */
START_TEST(partial_key_move_replay)
{
    char toml[4096], msg[2048];
    long long end;
    int stage;
    sql(g_src, "CREATE DATABASE pm");
    sql(g_src, "CREATE TABLE pm.t (id INT PRIMARY KEY, a INT, b BLOB)");
    sqli("FULL", "INSERT INTO pm.t VALUES (1,10,X'01'),(2,99,X'99')");
    master_pos();
    sqli("FULL", "DELETE FROM pm.t WHERE id=2");
    sqli("MINIMAL", "UPDATE pm.t SET id=2 WHERE id=1");
    sql(g_dst, "CREATE DATABASE pm_s");
    sql(g_dst, "CREATE TABLE pm_s.t (id INT PRIMARY KEY, a INT, b BLOB)");
    sql(g_dst, "INSERT INTO pm_s.t VALUES (2,10,X'01')");
    rt_task_toml(toml, sizeof toml, "pm_s", "pm_s", true, "pm");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    end = tu_now_ms() + 20000;
    while ((stage = task_stage("pm_s", msg, sizeof msg)) != PB__STAGE__Paused && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(stage == PB__STAGE__Paused, "pm_s stage %d", stage);
    fprintf(stderr, "pm_s: %s\n", msg);
    ck_assert_msg(strstr(msg, "partial binlog row image") &&
                  strstr(msg, "no target row at its old key equals its before-image") &&
                  strstr(msg, "`pm_s`.`t`"),
                  "%s", msg);
    /* NOBLOB: the row at the old key is a later re-creation (another `a`); moving it would
     * have carried its BLOB into the moved row (target (2,10,X'55'), source (2,10,X'01')) */
    sql(g_src, "CREATE DATABASE pr");
    sql(g_src, "CREATE TABLE pr.t (id INT PRIMARY KEY, a INT, b BLOB)");
    sqli("FULL", "INSERT INTO pr.t VALUES (1,10,X'01'),(2,99,X'99')");
    master_pos();
    sqli("FULL", "DELETE FROM pr.t WHERE id=2");
    sqli("NOBLOB", "UPDATE pr.t SET id=2 WHERE id=1");
    sqli("FULL", "INSERT INTO pr.t VALUES (1,55,X'55')");
    sql(g_dst, "CREATE DATABASE pr_s");
    sql(g_dst, "CREATE TABLE pr_s.t (id INT PRIMARY KEY, a INT, b BLOB)");
    sql(g_dst, "INSERT INTO pr_s.t VALUES (1,55,X'55'),(2,10,X'01')");
    rt_task_toml(toml, sizeof toml, "pr_s", "pr_s", true, "pr");
    ck_assert_msg(start_task(toml, msg, sizeof msg), "start: %s", msg);
    end = tu_now_ms() + 20000;
    while ((stage = task_stage("pr_s", msg, sizeof msg)) != PB__STAGE__Paused && tu_now_ms() < end)
        usleep(100000);
    ck_assert_msg(stage == PB__STAGE__Paused, "pr_s stage %d", stage);
    fprintf(stderr, "pr_s: %s\n", msg);
    ck_assert_msg(strstr(msg, "partial binlog row image") &&
                  strstr(msg, "no target row at its old key equals its before-image") &&
                  strstr(msg, "`pr_s`.`t`"),
                  "%s", msg);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

/* kill -9 while MINIMAL / NOBLOB row changes stream in: the restarted worker replays from
 * its checkpoint in safe mode (partial after-images as UPDATEs, key-less rows exactly
 * once) and both targets end equal to the source. Last: it leaves both tasks in the
 * automatic safe mode of a restart. */
START_TEST(kill9_partial_images_replay)
{
    MYSQL *m[2];
    char q[512];
    int i;
    sql(g_src, "CREATE TABLE rt.kr (id INT PRIMARY KEY, a INT, b BLOB, "
               "c VARCHAR(10) CHARACTER SET latin1)");
    sql(g_src, "CREATE TABLE rt.kn (a INT, b INT, c TEXT)");
    m[0] = session("MINIMAL");
    m[1] = session("NOBLOB");
    for (i = 0; i < 400; i++) {
        MYSQL *c = m[i % 2];
        snprintf(q, sizeof q, "INSERT INTO rt.kr VALUES (%d,%d,X'AB%02X','é')", i, i, i % 256);
        ck_assert_msg(mysql_query(c, q) == 0, "%s: %s", q, mysql_error(c));
        snprintf(q, sizeof q, "UPDATE rt.kr SET a=a+1 WHERE id=%d", i / 2);
        ck_assert_msg(mysql_query(c, q) == 0, "%s: %s", q, mysql_error(c));
        snprintf(q, sizeof q, "UPDATE rt.kr SET c='ü%d' WHERE id=%d", i, i / 3);
        ck_assert_msg(mysql_query(c, q) == 0, "%s: %s", q, mysql_error(c));
        snprintf(q, sizeof q, "DELETE FROM rt.kr WHERE id=%d", i % 5 ? -1 : i - 7);
        ck_assert_msg(mysql_query(c, q) == 0, "%s: %s", q, mysql_error(c));
        snprintf(q, sizeof q, "INSERT INTO rt.kn VALUES (%d,%d,'x')", i % 50, i);
        ck_assert_msg(mysql_query(c, q) == 0, "%s: %s", q, mysql_error(c));
        snprintf(q, sizeof q, "UPDATE rt.kn SET b=b+1 WHERE a=%d LIMIT 1", i / 2 % 50);
        ck_assert_msg(mysql_query(c, q) == 0, "%s: %s", q, mysql_error(c));
        if (i == 200)
            stop_worker(SIGKILL);
    }
    mysql_close(m[0]);
    mysql_close(m[1]);
    unsetenv("DM_WORKER_SAFE_MODE_MS");
    spawn_worker();
    ck_assert_int_eq(rt_converge("kr", "id,a,HEX(b),HEX(c)"), 322);
    ck_assert_int_eq(rt_converge("kn", "a,b,c"), 400);
    assert_running("norm");
    assert_running("safe");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sync_rowimg");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, noblob_keeps_blob);
    tcase_add_test(tc, minimal_nullable_unique_key);
    tcase_add_test(tc, minimal_update_delete);
    tcase_add_test(tc, keyless_float_where);
    tcase_add_test(tc, charsets_byte_exact);
    tcase_add_test(tc, partial_image_without_key_pauses);
    tcase_add_test(tc, keyless_row_missing_pauses);
    tcase_add_test(tc, partial_key_move_replay);
    tcase_add_test(tc, kill9_partial_images_replay);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, true);
}

/* test_relay_ambig.c - a position that two source servers' copies of one binlog file name
 * both hold, after a failover (worker/relay/relay_stream.c find_subdir): two real MariaDB
 * servers A (server_id 1) and B (server_id 2) run the same statements (same event sizes,
 * other row values), so their mysql-bin.000001 have the same event boundaries; the
 * relay-dir holds A's files in 0-1.000001 (its last file ends with a ROTATE to
 * mysql-bin.000002, never written there) and B's in 0-2.000002 (the relay now reads B).
 *   - (mysql-bin.000002, 4): the checkpoint after A's ROTATE (next: B's first file, .000001)
 *     or after B's own ROTATE (next: B's .000002); before, B's .000002 was read and B's
 *     .000001 skipped silently. Now the reader is refused naming both (DM_E_CONFLICT), also
 *     when A's sub-directory has a .000002 too; the suffixed forms read what they name.
 *   - (mysql-bin.000001, P) with an event at P in both copies: refused naming both; the
 *     suffixed position reads A's or B's rows. */
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_error.h"
#include "relay.h"
#include "relay_sandbox.h"
#include "testutil.h"

static int g_port_a;

static void start_a(void)
{
    char cmd[1400];
    g_port_a = tu_free_port();
    snprintf(cmd, sizeof cmd, "bash %s/scripts/mariadb-sandbox.sh start %s/dba %d 1 >%s/sandbox_a.log 2>&1",
             tu_source_dir(), g_dir, g_port_a, g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void stop_a(void)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "bash %s/scripts/mariadb-sandbox.sh stop %s/dba >/dev/null 2>&1",
             tu_source_dir(), g_dir);
    if (system(cmd) != 0) { /* teardown removes the directory anyway */ }
}

static MYSQL *connect_to(int port)
{
    MYSQL *m = mysql_init(NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "root", "", NULL, (unsigned)port, NULL, 0),
                  "connect: %s", mysql_error(m));
    return m;
}

/* the same statements on both servers: same event sizes, row values `v` */
static void history(MYSQL *m, const char *v)
{
    sql(m, "CREATE DATABASE r");
    sql(m, "CREATE TABLE r.t (id INT PRIMARY KEY, s CHAR(4))");
    for (int i = 1; i <= 3; i++)
        sql(m, "INSERT INTO r.t VALUES (%d, '%s')", i, v);
    sql(m, "FLUSH BINARY LOGS");
}

static void copy(const char *from, const char *to)
{
    size_t n = 0;
    char *b = tu_read_file(from, &n);
    ck_assert_ptr_nonnull(b);
    tu_write_file(to, b, n);
    free(b);
}

static void put_text(const char *dir, const char *name, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    tu_write_file(p, text, strlen(text));
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* End of the first XID event of a binlog file. */
static uint64_t first_xid_end(const char *path)
{
    uint8_t h[19];
    uint64_t off = 4;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    while (pread(fd, h, 19, (off_t)off) == 19) {
        uint64_t len = h[9] | (uint64_t)h[10] << 8 | (uint64_t)h[11] << 16 | (uint64_t)h[12] << 24;
        ck_assert_uint_ge(len, 19);
        off += len;
        if (h[4] == 16)
            break;
    }
    close(fd);
    return off;
}

/* Rows read from (name, pos) until no event comes: inserts per server id (1, 2); the
 * server id of the first rows event into *first. */
static void read_rows(struct worker_relay *r, const char *name, uint64_t pos, int *a, int *b,
                      uint32_t *first)
{
    struct bl_reader *rd = NULL;
    struct bl_event *ev;
    char err[1024];
    *a = *b = 0;
    *first = 0;
    ck_assert_msg(worker_relay_open_reader(r, "t1", name, pos, &rd, err, sizeof err) == DM_OK,
                  "open %s:%llu: %s", name, (unsigned long long)pos, err);
    int rc;
    while ((rc = bl_reader_next(rd, 3000, &ev, err, sizeof err)) == DM_OK) {
        if (ev->kind != BL_EV_ROWS || ev->op != BL_INSERT)
            continue;
        if (!*first)
            *first = ev->server_id;
        *(ev->server_id == 1 ? a : b) += (int)ev->nrows;
    }
    ck_assert_msg(rc == DM_E_TIMEOUT, "read %s: %s", name, err);
    bl_reader_free(rd);
}

static void refused(struct worker_relay *r, const char *name, uint64_t pos, const char *needle)
{
    struct bl_reader *rd = NULL;
    char err[1024] = "";
    int rc = worker_relay_open_reader(r, "t1", name, pos, &rd, err, sizeof err);
    if (rc == DM_OK) {
        int a, b;
        uint32_t first;
        bl_reader_free(rd);
        read_rows(r, name, pos, &a, &b, &first);
        ck_abort_msg("%s:%llu opened (reads %d rows of A, %d of B; B has 5)", name,
                     (unsigned long long)pos, a, b);
    }
    ck_assert_int_eq(rc, DM_E_CONFLICT);
    ck_assert_msg(strstr(err, "0-1.000001") && strstr(err, "0-2.000002") && strstr(err, needle),
                  "%s", err);
}

/* relay_sandbox.h helpers this program does not use */
static void unused(void) __attribute__((unused));
static void unused(void)
{
    (void)count;
    (void)paused_with;
}

START_TEST(two_servers_one_name)
{
    char a_dir[1000], b_dir[1000], p[1200], q[1200], meta[600];
    start_a();
    MYSQL *ma = connect_to(g_port_a), *mb = db();
    sql(mb, "SET GLOBAL server_id = 2");
    mysql_close(mb);
    mb = db();
    history(ma, "aaaa");
    history(mb, "bbbb");
    sql(mb, "INSERT INTO r.t VALUES (4, 'bbbb')");
    sql(mb, "INSERT INTO r.t VALUES (5, 'bbbb')");
    char bf[256];
    uint64_t bpos;
    source_at(bf, sizeof bf, &bpos, NULL, 0);
    ck_assert_str_eq(bf, "mysql-bin.000002");

    /* the relay-dir after a failover from A to B */
    snprintf(a_dir, sizeof a_dir, "%s/0-1.000001", g_relay);
    snprintf(b_dir, sizeof b_dir, "%s/0-2.000002", g_relay);
    ck_assert_int_eq(mkdir(g_relay, 0755), 0);
    ck_assert_int_eq(mkdir(a_dir, 0755), 0);
    ck_assert_int_eq(mkdir(b_dir, 0755), 0);
    put_text(g_relay, "server-uuid.index", "0-1.000001\n0-2.000002\n");
    snprintf(p, sizeof p, "%s/dba/data/mysql-bin.000001", g_dir);
    snprintf(q, sizeof q, "%s/mysql-bin.000001", a_dir);
    copy(p, q);
    put_text(a_dir, "relay.meta", "binlog-name = \"mysql-bin.000002\"\nbinlog-pos = 4\n"
                                  "binlog-gtid = \"0-1-5\"\n");
    for (int i = 1; i <= 2; i++) {
        snprintf(p, sizeof p, "%s/db/data/mysql-bin.00000%d", g_dir, i);
        snprintf(q, sizeof q, "%s/mysql-bin.00000%d", b_dir, i);
        copy(p, q);
    }
    snprintf(meta, sizeof meta, "binlog-name = \"mysql-bin.000002\"\nbinlog-pos = %llu\n"
             "binlog-gtid = \"0-2-7\"\n", (unsigned long long)file_size(q));
    put_text(b_dir, "relay.meta", meta);
    struct worker_relay_cfg c;
    struct worker_relay *r = NULL;
    memset(&c, 0, sizeof c);
    c.dir = g_relay;
    c.src = source(9001);
    c.purge_interval_s = 3600;
    ck_assert_int_eq(worker_relay_new(&c, &r), DM_OK);
    ck_assert(relay_caught_up(r, 20000, false, NULL));

    /* (mysql-bin.000002, 4): after A's ROTATE or after B's */
    refused(r, "mysql-bin.000002", 4, "mysql-bin|000002.000001");
    int na, nb;
    uint32_t first;
    read_rows(r, "mysql-bin|000002.000001", 4, &na, &nb, &first);
    ck_assert_int_eq(na, 0);
    ck_assert_int_eq(nb, 5);
    read_rows(r, "mysql-bin|000002.000002", 4, &na, &nb, &first);
    ck_assert_int_eq(nb, 2);
    /* A's sub-directory with its own .000002 (FDE only): the same question */
    snprintf(p, sizeof p, "%s/dba/data/mysql-bin.000002", g_dir);
    snprintf(q, sizeof q, "%s/mysql-bin.000002", a_dir);
    copy(p, q);
    snprintf(meta, sizeof meta, "binlog-name = \"mysql-bin.000002\"\nbinlog-pos = %llu\n"
             "binlog-gtid = \"0-1-5\"\n", (unsigned long long)file_size(q));
    put_text(a_dir, "relay.meta", meta);         /* as the writer leaves it (finish_old) */
    refused(r, "mysql-bin.000002", 4, "mysql-bin|000002.000002");
    /* B's first file at 4: nothing before it in B's sub-directory, the newest copy */
    read_rows(r, "mysql-bin.000001", 4, &na, &nb, &first);
    ck_assert_int_eq(first, 2);
    ck_assert_int_eq(nb, 5);

    /* an event at P in both copies of .000001 */
    snprintf(p, sizeof p, "%s/mysql-bin.000001", a_dir);
    snprintf(q, sizeof q, "%s/mysql-bin.000001", b_dir);
    uint64_t at = first_xid_end(p);
    ck_assert_uint_eq(at, first_xid_end(q));
    refused(r, "mysql-bin.000001", at, "is in sub-directories");
    read_rows(r, "mysql-bin|000001.000001", at, &na, &nb, &first);
    ck_assert_int_eq(first, 1);
    ck_assert_int_eq(na, 2);                    /* A's rows 2 and 3, then B's (crossed) */
    read_rows(r, "mysql-bin|000002.000001", at, &na, &nb, &first);
    ck_assert_int_eq(first, 2);
    ck_assert_int_eq(na, 0);
    ck_assert_int_eq(nb, 4);
    worker_relay_free(r);
    mysql_close(ma);
    mysql_close(mb);
    stop_a();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("relay_ambig");
    TCase *tc = tcase_create("mariadb");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, two_servers_one_name);
    suite_add_tcase(s, tc);
    return tu_run_suite(s, false);
}

/* fuzz_relay_files.c - what the relay unit reads from relay-dir (worker/relay): at start
 * (relay.holds, server-uuid.index, relay.meta, the recovery of the current file: event
 * chain up to relay.meta, the complete transactions past it, the cut) and while a local
 * reader reads (event framing, CRC32, ROTATE to the next file, a finished file's end and
 * relay.ends, crossing into the next sub-directory). Everything on disk is untrusted: a
 * torn write, a file cut or edited by hand, another tool's files.
 * Input: sections separated by "\n--\n":
 *   0 server-uuid.index ("0-1.000001\n0-2.000002\n" when empty), 1 relay.meta of both
 *   sub-directories, 2 relay.holds, 3 relay.ends of 0-1.000001, 4 and 5
 *   0-1.000001/mysql-bin.000001 and .000002, 6 0-2.000002/mysql-bin.000002.
 * Checked: no crash, no read or write outside the temp relay-dir (ASan; the index and
 * relay.meta name paths), every failure names itself, a reader yields whole events only
 * (length = its header's event_length) and ends with an error or a timeout. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binlog.h"
#include "dm_error.h"
#include "log.h"
#include "relay.h"
#include "relay_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTIONS 7
#define MAX_EVENTS 300

static char g_base[512];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void drop_base(void)
{
    rmdir(g_base);
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static void read_all(struct worker_relay *r, const char *file)
{
    struct bl_reader *rd = NULL;
    struct bl_event *ev;
    char err[1024] = "";
    if (worker_relay_open_reader(r, "fz", file, 4, &rd, err, sizeof err) != DM_OK) {
        if (!err[0])
            abort();
        return;
    }
    for (int i = 0; i < MAX_EVENTS; i++) {
        err[0] = '\0';
        int rc = bl_reader_next(rd, 0, &ev, err, sizeof err);
        if (rc != DM_OK) {
            if (!err[0])
                abort();              /* every stop says why */
            break;
        }
        if (!ev->file[0])
            abort();
    }
    bl_reader_free(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sec[SECTIONS];
    size_t len[SECTIONS];
    char dir[600], s1[700], s2[700];
    struct worker_relay *r = NULL;
    struct worker_terr e;
    if (size > 256 * 1024)
        return 0;
    if (!g_base[0]) {
        static bool logged;
        if (!logged)
            dm_log_init("fuzz", DM_LOG_ERROR);   /* the relay logs every recovery step */
        logged = true;
        const char *t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(g_base, sizeof g_base, "%s/fuzz_relay_files.XXXXXX", t);
        if (!mkdtemp(g_base))
            abort();
    }
    size_t at = 0;
    for (int i = 0; i < SECTIONS; i++) {
        const uint8_t *end = NULL;
        for (size_t k = at; k + 4 <= size; k++)
            if (memcmp(data + k, "\n--\n", 4) == 0) {
                end = data + k;
                break;
            }
        sec[i] = data + at;
        len[i] = end ? (size_t)(end - (data + at)) : (at < size ? size - at : 0);
        at = end ? (size_t)(end - data) + 4 : size;
    }
    snprintf(dir, sizeof dir, "%s/relay", g_base);
    snprintf(s1, sizeof s1, "%s/0-1.000001", dir);
    snprintf(s2, sizeof s2, "%s/0-2.000002", dir);
    if (mkdir(dir, 0755) != 0 || mkdir(s1, 0755) != 0 || mkdir(s2, 0755) != 0)
        abort();
    static const char idx[] = "0-1.000001\n0-2.000002\n";
    if (len[0])
        put(dir, "server-uuid.index", sec[0], len[0]);
    else
        put(dir, "server-uuid.index", (const uint8_t *)idx, sizeof idx - 1);
    put(s1, "relay.meta", sec[1], len[1]);
    put(s2, "relay.meta", sec[1], len[1]);
    put(dir, "relay.holds", sec[2], len[2]);
    put(s1, "relay.ends", sec[3], len[3]);
    put(s1, "mysql-bin.000001", sec[4], len[4]);
    put(s1, "mysql-bin.000002", sec[5], len[5]);
    put(s2, "mysql-bin.000002", sec[6], len[6]);

    memset(&e, 0, sizeof e);
    int rc = relay_open_offline(dir, &r, &e);
    if (!r)
        abort();
    if (rc != DM_OK && rc != DM_E_NOMEM && !e.msg[0])
        abort();
    read_all(r, "mysql-bin.000001");
    read_all(r, "mysql-bin.000002");
    read_all(r, "mysql-bin|000002.000002");
    worker_relay_free(r);
    if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        abort();
    drop_base();                  /* libFuzzer may end without atexit: nothing left behind */
    g_base[0] = '\0';
    return 0;
}

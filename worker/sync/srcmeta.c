/* srcmeta.c - the Sync unit's kept source connection for metadata (srcmeta.h). */
#include "srcmeta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "mysql_conn.h"

#define SRCMETA_CONNECT_S 5
#define SRCMETA_RW_S 30

struct worker_srcmeta {
    const struct bl_source *src;
    MYSQL *my;                    /* NULL until the first query / after a connection error */
    unsigned connects;
};

struct worker_srcmeta *worker_srcmeta_new(const struct bl_source *src)
{
    struct worker_srcmeta *m = calloc(1, sizeof *m);
    if (m)
        m->src = src;
    return m;
}

static void disconnect(struct worker_srcmeta *m)
{
    if (m->my)
        mysql_close(m->my);
    m->my = NULL;
}

void worker_srcmeta_free(struct worker_srcmeta *m)
{
    if (!m)
        return;
    disconnect(m);
    free(m);
}

unsigned worker_srcmeta_connects(const struct worker_srcmeta *m)
{
    return m ? m->connects : 0;
}

bool worker_srcmeta_escape(const char *s, char *out, size_t cap)
{
    size_t i, o = 0, n = strlen(s);
    if (!cap)
        return false;
    out[0] = '\0';
    if (n > WORKER_SRCMETA_NAME_MAX)
        return false;
    for (i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '\0': rep = "\\0"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\\': rep = "\\\\"; break;
        case '\'': rep = "\\'"; break;
        case '"': rep = "\\\""; break;
        case '\032': rep = "\\Z"; break;
        default: break;
        }
        if (o + (rep ? 2 : 1) >= cap) {
            out[0] = '\0';
            return false;
        }
        if (rep) {
            out[o++] = rep[0];
            out[o++] = rep[1];
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return true;
}

/* Open the session; NULL with msg on failure. */
static MYSQL *open_session(struct worker_srcmeta *m, char *msg, size_t cap)
{
    unsigned en;
    MYSQL *my = worker_mysql_connect(m->src, SRCMETA_CONNECT_S, SRCMETA_RW_S, SRCMETA_RW_S,
                                     &en, msg, cap);
    if (!my)
        return NULL;
    if (mysql_query(my, "SET NAMES utf8mb4, time_zone='+00:00', sql_mode=''")) {
        snprintf(msg, cap, "%s", mysql_error(my));
        mysql_close(my);
        return NULL;
    }
    m->connects++;
    return my;
}

static int fail(const char *what, const char *why, struct worker_terr *e)
{
    worker_terr_set(e, WTE_DB_DRIVER, WTE_CLASS_DATABASE, WTE_SCOPE_UPSTREAM, WTE_LEVEL_HIGH,
                    "%s: %s", what, why);
    e->transient = true;
    return DM_E_IO;
}

int worker_srcmeta_query(struct worker_srcmeta *m, const char *what, const char *sql,
                         MYSQL_RES **res, struct worker_terr *e)
{
    char msg[512], why[700];
    int attempt;
    *res = NULL;
    for (attempt = 0; attempt < 2; attempt++) {
        unsigned en;
        if (!m->my && !(m->my = open_session(m, msg, sizeof msg))) {
            snprintf(why, sizeof why, "the source %s:%d is unreachable: %s", m->src->host,
                     m->src->port, msg);
            return fail(what, why, e);
        }
        if (!mysql_query(m->my, sql) && (*res = mysql_store_result(m->my)))
            return DM_OK;
        en = mysql_errno(m->my);
        snprintf(msg, sizeof msg, "%s", en ? mysql_error(m->my) : "the query gave no rows");
        if (en < 2000)
            break;                 /* the server refused it: the connection is fine */
        disconnect(m);             /* gone (restart, timeout): once more on a new one */
    }
    snprintf(why, sizeof why, "%s (source %s:%d)", msg, m->src->host, m->src->port);
    return fail(what, why, e);
}

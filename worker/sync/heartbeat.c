/* heartbeat.c - replication heartbeat and lag (see heartbeat.h). */
#include "heartbeat.h"
#include "mysql_conn.h"

#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dm_error.h"
#include "log.h"
#include "dm_time.h"

struct worker_heartbeat {
    char *host, *user, *password, *task;
    int port;
    uint32_t server_id;
    int64_t update_ms, report_ms;
    pthread_t thread;
    pthread_mutex_t mu;               /* guards everything below */
    pthread_cond_t cond;
    bool stop;
    double slave_ts;                  /* replicated ts (0: none seen yet) */
    double lag;
    bool have_lag;
    MYSQL *my;                        /* thread only */
    bool ready;                       /* thread only: schema + table created */
    int64_t last_err_ms;              /* thread only: errors logged at most once a minute */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool worker_heartbeat_parse_ts(const char *s, size_t n, double *out)
{
    char buf[40];
    struct tm tm;
    unsigned int y, mo, d, h, mi, se;
    int used = 0;
    double frac = 0;
    if (n < 19 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%4u-%2u-%2u %2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
        used != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    if (buf[19] == '.') {
        double scale = 0.1;
        size_t i;
        for (i = 20; buf[i] >= '0' && buf[i] <= '9'; i++, scale /= 10)
            frac += (buf[i] - '0') * scale;
        if (buf[i] || i == 20)
            return false;
    } else if (buf[19]) {
        return false;
    }
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)se;
    *out = (double)timegm(&tm) + frac;
    return true;
}

/* ---- the source side (thread) ---- */

static void log_err(struct worker_heartbeat *h, const char *what, const char *err)
{
    int64_t now = mono_ms();
    if (h->last_err_ms && now - h->last_err_ms < 60000)
        return;
    h->last_err_ms = now;
    dm_log_kv(DM_LOG_ERROR, what, "task", h->task, "error", err, NULL);
}

static bool exec_sql(struct worker_heartbeat *h, const char *what, const char *sql)
{
    if (mysql_query(h->my, sql) == 0) {
        mysql_free_result(mysql_store_result(h->my));
        return true;
    }
    log_err(h, what, mysql_error(h->my));
    mysql_close(h->my);
    h->my = NULL;
    h->ready = false;
    return false;
}

/* Connect and create the table (DM's init) when not done yet. */
static bool ensure_ready(struct worker_heartbeat *h)
{
    unsigned int ct = 5, rw = 30;
    if (h->ready)
        return true;
    if (!h->my) {
        h->my = worker_mysql_init(false);
        if (!h->my)
            return false;
        mysql_options(h->my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
        mysql_options(h->my, MYSQL_OPT_READ_TIMEOUT, &rw);
        mysql_options(h->my, MYSQL_OPT_WRITE_TIMEOUT, &rw);
        if (!mysql_real_connect(h->my, h->host, h->user, h->password, NULL, (unsigned)h->port,
                                NULL, 0)) {
            log_err(h, "heartbeat: connect to source", mysql_error(h->my));
            mysql_close(h->my);
            h->my = NULL;
            return false;
        }
    }
    h->ready = exec_sql(h, "create heartbeat schema",
                        "CREATE DATABASE IF NOT EXISTS `" WORKER_HEARTBEAT_SCHEMA "`") &&
               exec_sql(h, "create heartbeat table",
                        "CREATE TABLE IF NOT EXISTS `" WORKER_HEARTBEAT_SCHEMA "`.`"
                        WORKER_HEARTBEAT_TABLE "` (\n  ts varchar(26) NOT NULL,\n"
                        "  server_id int(10) unsigned NOT NULL,\n  PRIMARY KEY (server_id)\n)");
    return h->ready;
}

static void update_ts(struct worker_heartbeat *h)
{
    char q[256];
    if (!ensure_ready(h))
        return;
    snprintf(q, sizeof q, "REPLACE INTO `" WORKER_HEARTBEAT_SCHEMA "`.`" WORKER_HEARTBEAT_TABLE
             "` (`ts`, `server_id`) VALUES(UTC_TIMESTAMP(6), %u)", h->server_id);
    (void)exec_sql(h, "update heartbeat ts", q);
}

/* Source ts of our row; false when unknown. */
static bool master_ts(struct worker_heartbeat *h, double *ts)
{
    char q[256];
    MYSQL_RES *res;
    MYSQL_ROW row;
    bool ok = false;
    if (!ensure_ready(h))
        return false;
    snprintf(q, sizeof q, "SELECT `ts` FROM `" WORKER_HEARTBEAT_SCHEMA "`.`"
             WORKER_HEARTBEAT_TABLE "` WHERE `server_id`=%u", h->server_id);
    if (mysql_query(h->my, q) != 0) {
        (void)exec_sql(h, "calculate replication lag", "DO 0");
        return false;
    }
    res = mysql_store_result(h->my);
    if (res && (row = mysql_fetch_row(res)) && row[0])
        ok = worker_heartbeat_parse_ts(row[0], strlen(row[0]), ts);
    mysql_free_result(res);
    return ok;
}

static void report_lag(struct worker_heartbeat *h)
{
    double mts, lag = 0;
    bool have = false;
    char v[32];
    if (!master_ts(h, &mts))
        return;
    pthread_mutex_lock(&h->mu);
    if (h->slave_ts > 0) {           /* as DM: no report before a replicated ts */
        lag = mts - h->slave_ts;
        h->lag = lag;
        h->have_lag = have = true;
    }
    pthread_mutex_unlock(&h->mu);
    if (!have)
        return;
    snprintf(v, sizeof v, "%.3f", lag);
    dm_log_kv(DM_LOG_INFO, "replication lag", "task", h->task, "dm_syncer_replication_lag", v,
              NULL);
}

/* Sleep until `until_ms` (monotonic) or stop; true when stopping. */
static bool wait_until(struct worker_heartbeat *h, int64_t until_ms)
{
    int64_t ms = until_ms - mono_ms();
    bool stop;
    struct timespec ts = dm_deadline_ms(ms);
    pthread_mutex_lock(&h->mu);
    if (!h->stop && ms > 0)
        pthread_cond_timedwait(&h->cond, &h->mu, &ts);
    stop = h->stop;
    pthread_mutex_unlock(&h->mu);
    return stop;
}

static void *hb_main(void *arg)
{
    struct worker_heartbeat *h = arg;
    int64_t next_update = mono_ms(), next_report = mono_ms() + h->report_ms;
    while (!wait_until(h, next_update < next_report ? next_update : next_report)) {
        int64_t now = mono_ms();
        if (now >= next_update) {
            update_ts(h);
            next_update = now + h->update_ms;
        }
        if (now >= next_report) {
            report_lag(h);
            next_report = now + h->report_ms;
        }
    }
    if (h->my)
        mysql_close(h->my);
    h->my = NULL;
    return NULL;
}

/* ---- public ---- */

static void hb_destroy(struct worker_heartbeat *h)
{
    free(h->host);
    free(h->user);
    free(h->password);
    free(h->task);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cond);
    free(h);
}

int worker_heartbeat_start(const struct bl_source *src, uint32_t server_id, int update_s,
                           int report_s, const char *task, struct worker_heartbeat **out)
{
    struct worker_heartbeat *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return DM_E_NOMEM;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->host = strdup(src->host ? src->host : "127.0.0.1");
    h->user = strdup(src->user ? src->user : "");
    h->password = strdup(src->password ? src->password : "");
    h->task = strdup(task);
    h->port = src->port;
    h->server_id = server_id;
    h->update_ms = (int64_t)(update_s > 0 ? update_s : 1) * 1000;
    h->report_ms = (int64_t)(report_s > 0 ? report_s : 10) * 1000;
    if (!h->host || !h->user || !h->password || !h->task) {
        hb_destroy(h);
        return DM_E_NOMEM;
    }
    if (pthread_create(&h->thread, NULL, hb_main, h) != 0) {
        hb_destroy(h);
        return DM_E_INTERNAL;
    }
    *out = h;
    return DM_OK;
}

void worker_heartbeat_free(struct worker_heartbeat *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    hb_destroy(h);
}

bool worker_heartbeat_observe(struct worker_heartbeat *h, const struct bl_event *ev)
{
    const struct bl_table *t = ev->table;
    const struct bl_row *rows;
    double ts;
    size_t i;
    if (!h || ev->kind != BL_EV_ROWS || !t || strcasecmp(t->schema, WORKER_HEARTBEAT_SCHEMA) ||
        strcasecmp(t->table, WORKER_HEARTBEAT_TABLE))
        return false;
    if (ev->op == BL_DELETE || t->ncols != 2)
        return true;
    rows = ev->op == BL_UPDATE ? ev->after : ev->rows;
    for (i = ev->nrows; i-- > 0;) {
        const struct bl_value *c = rows[i].cols;
        if ((c[1].kind != BL_INT && c[1].kind != BL_UINT) || (uint32_t)c[1].u != h->server_id)
            continue;
        if ((c[0].kind != BL_STRING && c[0].kind != BL_BINARY) ||
            !worker_heartbeat_parse_ts(c[0].ptr, c[0].len, &ts))
            return true;
        pthread_mutex_lock(&h->mu);
        h->slave_ts = ts;
        pthread_mutex_unlock(&h->mu);
        return true;
    }
    return true;
}

bool worker_heartbeat_lag(struct worker_heartbeat *h, double *lag_s)
{
    bool have;
    if (!h)
        return false;
    pthread_mutex_lock(&h->mu);
    have = h->have_lag;
    if (have)
        *lag_s = h->lag;
    pthread_mutex_unlock(&h->mu);
    return have;
}

/* mysql_conn.c - see mysql_conn.h. */
#include "mysql_conn.h"

#include <errmsg.h>
#include <stdio.h>

#include "binlog.h"

static int refuse_init(void **ptr, const char *filename, void *userdata)
{
    (void)filename;
    *ptr = userdata;
    return 1;
}

static int refuse_read(void *ptr, char *buf, unsigned int cap)
{
    (void)ptr, (void)buf, (void)cap;
    return -1;
}

static void refuse_end(void *ptr) { (void)ptr; }

static int refuse_error(void *ptr, char *msg, unsigned int cap)
{
    (void)ptr;
    snprintf(msg, cap, "dm-worker refuses LOAD DATA LOCAL file requests");
    return CR_UNKNOWN_ERROR;
}

MYSQL *worker_mysql_init(bool local_infile)
{
    MYSQL *m = mysql_init(NULL);
    unsigned int on = local_infile ? 1 : 0;
    if (!m)
        return NULL;
    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &on);
    mysql_set_local_infile_handler(m, refuse_init, refuse_read, refuse_end, refuse_error, NULL);
    return m;
}

MYSQL *worker_mysql_connect(const struct bl_source *src, unsigned connect_s, unsigned read_s,
                            unsigned write_s, unsigned *err_no, char *err, size_t cap)
{
    MYSQL *m = worker_mysql_init(false);
    if (!m) {
        *err_no = 0;
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    if (connect_s)
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
    if (read_s)
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &read_s);
    if (write_s)
        mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &write_s);
    if (!mysql_real_connect(m, src->host, src->user, src->password, NULL, (unsigned)src->port,
                            NULL, 0)) {
        *err_no = mysql_errno(m);
        snprintf(err, cap, "%s", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

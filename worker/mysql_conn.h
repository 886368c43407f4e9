/* mysql_conn.h - the one way dm-worker opens a MariaDB Connector/C handle.
 *
 * Connector/C 3.3 announces LOAD DATA LOCAL by default and serves any local file a server
 * asks for (the protocol lets a server answer any query with a file request), so a rogue
 * or compromised source or target could read the worker's files (task configs with
 * passwords, keys). Every handle starts with it refused:
 *   worker_mysql_init(false): the capability is off (sources, heartbeat, checks);
 *   worker_mysql_init(true):  the capability is on, for target sessions whose Load unit
 *                             streams rows as LOAD DATA LOCAL, but with a handler that
 *                             refuses every file until a session installs its own
 *                             (worker/load/load_infile.c serves only its own rows).
 * NULL when out of memory. */
#ifndef DMGW_WORKER_MYSQL_CONN_H
#define DMGW_WORKER_MYSQL_CONN_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

struct bl_source;

MYSQL *worker_mysql_init(bool local_infile);

/* A handle from worker_mysql_init(false) connected to the source src (no default
 * database), with the connect / read / write timeouts in seconds (0: the library's).
 * NULL when it did not connect: *err_no the client or server error (0: out of memory) and
 * err its message. */
MYSQL *worker_mysql_connect(const struct bl_source *src, unsigned connect_s, unsigned read_s,
                            unsigned write_s, unsigned *err_no, char *err, size_t cap);

#endif

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

MYSQL *worker_mysql_init(bool local_infile);

#endif

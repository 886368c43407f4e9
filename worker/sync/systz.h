/* systz.h - the SYSTEM time zone of a DDL's source session. A QUERY event whose session
 * used the time zone carries its name; "SYSTEM" is the server's own zone (the OS's), and
 * running the DDL with time_zone='SYSTEM' on the target uses the target's. When the two
 * zones differ, ALTER TABLE ... MODIFY <DATETIME column> TIMESTAMP or a TIMESTAMP DEFAULT
 * literal gives the existing rows other instants. A zone is compared by its fingerprint:
 * the UTC of local noon at instants over 50 years and both seasons (offsets and DST
 * rules), plus @@system_time_zone for messages. */
#ifndef DM_WORKER_SYSTZ_H
#define DM_WORKER_SYSTZ_H

#include <stdbool.h>
#include <stddef.h>

#include "binlog.h"
#include "terror.h"

/* One row, one column: "<@@system_time_zone>|<UTC of the instants, comma-separated>". */
#define WORKER_SYSTZ_QUERY                                                                  \
    "SELECT CONCAT(@@system_time_zone, '|', CONCAT_WS(',', "                                \
    "CONVERT_TZ('1975-01-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('1975-07-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('1995-01-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('1995-07-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('2010-03-20 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('2010-10-30 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('2024-01-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('2024-07-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('2030-01-15 12:00:00', 'SYSTEM', '+00:00'), "                               \
    "CONVERT_TZ('2030-07-15 12:00:00', 'SYSTEM', '+00:00')))"

/* The fingerprint of the source's SYSTEM zone (a connection of its own). */
int worker_systz_source(const struct bl_source *src, char *out, size_t cap,
                        struct worker_terr *e);

/* Same zone: the instants after '|' are equal. */
bool worker_systz_same(const char *a, const char *b);

#endif /* DM_WORKER_SYSTZ_H */

/* binlog.h - binlog reader and row decoder for the dm-worker Sync unit.
 * OWNER: the worker-binlog helper (this first version is the agreed contract; the
 * owner may extend it, keeping these names).
 *
 * The reader connects to a MariaDB (or MySQL) source as a replica (MariaDB Connector/C
 * mariadb_rpl underneath, with the session settings dataplane.md §2 requires), starts at
 * (file, pos), and yields events one at a time. ROTATE is parsed from the raw event
 * (Debian's connector mis-parses it), heartbeats are skipped, rows are decoded by our
 * own decoder (rowdec.c) for every MariaDB column type. Positions: each event carries
 * the position *after* it (next_pos) in the current file; callers checkpoint only at
 * transaction ends (XID / COMMIT query / DDL).
 * Thread-safety: a reader is used by one thread. bl_reader_close may be called from
 * another thread to interrupt a blocking bl_reader_next (it returns DM_E_CANCELLED). */
#ifndef DM_WORKER_BINLOG_H
#define DM_WORKER_BINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bl_source {
    const char *host;
    int port;
    const char *user;
    const char *password;   /* plaintext */
    uint32_t server_id;     /* our replica id, must differ from the source's */
};

/* A decoded column value. Byte pointers point into memory owned by the event. */
enum bl_kind {
    BL_NULL = 0,
    BL_INT,       /* signed integer types (TINY..LONGLONG, YEAR as its full value) -> i */
    BL_UINT,      /* unsigned integer columns -> u */
    BL_FLOAT,     /* FLOAT -> d (already float-rounded) */
    BL_DOUBLE,    /* DOUBLE -> d */
    BL_DECIMAL,   /* DECIMAL -> text "-123.4500" in (ptr,len) */
    BL_STRING,    /* CHAR/VARCHAR/TEXT/ENUM-as-string? no: text types -> bytes in (ptr,len) */
    BL_BINARY,    /* BINARY/VARBINARY/BLOB/GEOMETRY -> bytes in (ptr,len) */
    BL_TEMPORAL,  /* DATE/TIME/DATETIME/TIMESTAMP -> text "2024-01-02 03:04:05.123456" in (ptr,len);
                     TIMESTAMP rendered in UTC ('1970-01-01 00:00:00' based) */
    BL_BIT,       /* BIT(n) -> u */
    BL_ENUM,      /* ENUM -> u = 1-based index */
    BL_SET,       /* SET -> u = bitmask */
    BL_JSON       /* JSON (MariaDB: LONGTEXT) -> text in (ptr,len) */
};

struct bl_value {
    enum bl_kind kind;
    int64_t i;
    uint64_t u;
    double d;
    const char *ptr;
    size_t len;
};

struct bl_table {           /* from TABLE_MAP; owned by the reader, stable while cached */
    uint64_t table_id;
    char *schema;
    char *table;
    size_t ncols;
    uint8_t *types;         /* MYSQL_TYPE_* per column */
    uint16_t *meta;
    uint8_t *nullable;      /* per column 0/1 */
    uint8_t *is_unsigned;   /* per column 0/1 when the source sent optional metadata, else NULL */
};

struct bl_row {
    struct bl_value *cols;  /* ncols entries; columns absent from the image have kind BL_NULL
                               and present[i] == 0 */
    uint8_t *present;
};

enum bl_ev_kind {
    BL_EV_ROWS = 1,   /* write/update/delete rows (v1 and v2) */
    BL_EV_QUERY,      /* QUERY: DDL or BEGIN/COMMIT text */
    BL_EV_XID,        /* transaction commit */
    BL_EV_ROTATE,     /* new file: next_file/next_pos set */
    BL_EV_GTID,       /* MariaDB GTID (begins a transaction group) */
    BL_EV_OTHER       /* anything else (format description, table map, ...) */
};

enum bl_rows_op { BL_INSERT = 1, BL_UPDATE, BL_DELETE };

struct bl_event {
    enum bl_ev_kind kind;
    uint32_t timestamp;
    uint32_t server_id;
    char file[256];          /* binlog file this event is in (after ROTATE: the new file) */
    uint64_t next_pos;       /* position after this event in `file` */
    /* BL_EV_ROWS */
    enum bl_rows_op op;
    const struct bl_table *table;
    size_t nrows;
    struct bl_row *rows;     /* INSERT/DELETE: nrows images; UPDATE: nrows (before) */
    struct bl_row *after;    /* UPDATE only: nrows after-images */
    /* BL_EV_QUERY */
    const char *schema;      /* default db of the statement */
    const char *query;
    /* BL_EV_GTID */
    char gtid[64];           /* "domain-server-seq" */
    bool gtid_standalone;    /* FL_STANDALONE: DDL not wrapped in BEGIN/COMMIT */
};

struct bl_reader;

/* Open a replication stream at (file, pos). DM_OK or DM_E_DB / DM_E_UNAVAILABLE with err. */
int bl_reader_open(const struct bl_source *src, const char *file, uint64_t pos,
                   struct bl_reader **out, char *err, size_t cap);
/* Next event; *ev valid until the next call or close. DM_OK, DM_E_TIMEOUT (no event in
 * timeout_ms; stream still usable), DM_E_UNAVAILABLE (connection lost: reopen from
 * the last checkpoint), DM_E_CANCELLED, DM_E_PARSE (undecodable event; err says which). */
int bl_reader_next(struct bl_reader *r, int timeout_ms, struct bl_event **ev,
                   char *err, size_t cap);
/* Interrupt from another thread (thread-safe); the reader must still be freed. */
void bl_reader_close(struct bl_reader *r);
void bl_reader_free(struct bl_reader *r);

/* SHOW MASTER STATUS on the source: current file/pos and gtid_binlog_pos. */
int bl_source_status(const struct bl_source *src, char *file, size_t file_cap, uint64_t *pos,
                     char *gtid, size_t gtid_cap, char *err, size_t cap);

#endif /* DM_WORKER_BINLOG_H */

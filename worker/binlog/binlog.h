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
 * another thread to interrupt a blocking bl_reader_next (it returns DM_E_CANCELLED).
 *
 * Additions by worker-binlog to the agreed contract (all backwards compatible):
 *  - bl_source.heartbeat_ms: the source sends a heartbeat after this much idle time
 *    (0 -> 500 ms). bl_reader_next's timeout is checked on heartbeats, so its resolution
 *    is heartbeat_ms. A connection silent for 4 heartbeats + 5 s is dead: DM_E_UNAVAILABLE.
 *  - bl_table.is_binary: per-column 0/1 when the source sent charset optional metadata
 *    (binlog_row_metadata=MINIMAL|FULL), else NULL. is_unsigned needs the same setting;
 *    MariaDB's default (NO_LOG) sends neither.
 *  - Integer values fill BOTH i (sign-extended) and u (zero-extended to the column's
 *    width); kind is BL_UINT only when SIGNEDNESS metadata says so. Without metadata
 *    use u for columns the target schema declares UNSIGNED. YEAR: BL_INT, 0 or 1901..2155.
 *  - Text types without charset metadata: CHAR/VARCHAR -> BL_STRING, BLOB/TEXT family ->
 *    BL_BINARY (TEXT and BLOB are the same on the wire). GEOMETRY -> BL_BINARY (WKB with
 *    the 4-byte SRID prefix, as stored). MariaDB JSON is LONGTEXT on the wire, so BL_JSON
 *    is never produced by MariaDB sources (MySQL binary JSON -> DM_E_PARSE).
 *  - BL_TEMPORAL text: DATE "YYYY-MM-DD", TIME "[-]HH:MM:SS[.f]" (hours may be 3 digits),
 *    DATETIME/TIMESTAMP "YYYY-MM-DD HH:MM:SS[.f]" with exactly fsp fraction digits;
 *    TIMESTAMP in UTC (apply with time_zone='+00:00'); zero dates as "0000-00-00...".
 *  - bl_event: type (raw event type), flags (header flags; 0x20 = artificial), xid,
 *    gtid_domain/gtid_server/gtid_seq/gtid_flags. For artificial events and the FDE sent
 *    with log_pos 0, next_pos repeats the last real position. BL_EV_ROTATE: file is
 *    the NEW file and next_pos its start position (the real ROTATE at the end of a file
 *    and the artificial one that follows both come as BL_EV_ROTATE).
 *  - bl_event pointers (rows, strings, query, table) are valid until the next
 *    bl_reader_next/bl_reader_free. A bl_table stays valid until a TABLE_MAP with the
 *    same id and different content arrives, or the cache (bounded) is trimmed at a
 *    transaction start (GTID/BEGIN), or the reader is freed.
 *  - MariaDB compressed rows v1 (166-168, log_bin_compress) are decoded; compressed v2
 *    (169-171) -> DM_E_PARSE. Rows for a table id without TABLE_MAP (stream started
 *    inside a transaction) -> DM_E_PARSE: start at transaction boundaries.
 *  - The reader registers as a replica (COM_REGISTER_SLAVE: SHOW SLAVE HOSTS lists
 *    server_id with host "dm-worker") and dumps with that server_id; it needs REPLICATION
 *    SLAVE (+ BINLOG MONITOR / REPLICATION CLIENT for bl_source_status).
 *  - libmariadb: call mysql_library_init() once in main() before threads (the reader
 *    also does it under pthread_once, but other modules may race with it). */
#ifndef DM_WORKER_BINLOG_H
#define DM_WORKER_BINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Q_FLAGS2_CODE bit of explicit_defaults_for_timestamp=1 (MariaDB's
 * OPTION_EXPLICIT_DEF_TIMESTAMP, mariadb-binlog's SET @@session.explicit_defaults_...). */
#define BL_FLAGS2_EXPLICIT_DEF_TIMESTAMP (1u << 24)

struct bl_source {
    const char *host;
    int port;
    const char *user;
    const char *password;   /* plaintext */
    uint32_t server_id;     /* our replica id, must differ from the source's */
    int heartbeat_ms;       /* 0 -> 500 (see top) */
    bool relay;             /* the relay writer: raw mode (TABLE_MAP and rows events are
                               not decoded: kind BL_EV_OTHER with raw set, so a stream may
                               start anywhere) and ANNOTATE_ROWS events are requested, so
                               the stream is the source file byte for byte */
};

/* A decoded column value. Byte pointers point into memory owned by the event. */
enum bl_kind {
    BL_NULL = 0,
    BL_INT,       /* integer types (TINY..LONGLONG, YEAR as its full value) -> i; u also set */
    BL_UINT,      /* integer columns known unsigned (metadata) -> u; i also set */
    BL_FLOAT,     /* FLOAT -> d (already float-rounded) */
    BL_DOUBLE,    /* DOUBLE -> d */
    BL_DECIMAL,   /* DECIMAL -> text "-123.4500" in (ptr,len), NUL-terminated */
    BL_STRING,    /* CHAR/VARCHAR (and TEXT with charset metadata) -> bytes in (ptr,len) */
    BL_BINARY,    /* BLOB/TEXT (no charset metadata), BINARY/VARBINARY (with it), GEOMETRY -> bytes */
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
    uint8_t *is_binary;     /* per column 0/1 (charset binary) with charset metadata, else NULL */
    uint16_t *collation;    /* per character column its collation id with charset metadata
                               (binlog_row_metadata MINIMAL/FULL), per ENUM/SET column the
                               collation of its members (FULL); 0 for other columns; else
                               NULL */
    char **names;           /* per column name (NUL-terminated) when the source logs
                               binlog_row_metadata=FULL, else NULL */
    char **members;         /* per ENUM/SET column its members as information_schema's
                               COLUMN_TYPE lists them between the parentheses ("'a','it''s'",
                               bytes in the column's charset) when the source logs
                               binlog_row_metadata=FULL, else NULL (array or entry) */
};

/* The shape of column i of a TABLE_MAP (bl_column_shape): the family of its type, named
 * like information_schema's DATA_TYPE groups - "integer", "year", "float", "double",
 * "decimal", "date", "time", "datetime", "timestamp", "bit", "enum", "set", "string"
 * (CHAR/VARCHAR/BINARY/TEXT/BLOB/JSON/INET6/UUID), "geometry" - or NULL for a type it does
 * not know; decimal: precision and scale; TIME/DATETIME/TIMESTAMP: fsp (fractional
 * digits); integers: byte width; strings: maximum byte length (0: unknown). */
struct bl_col_shape {
    const char *family;     /* static string or NULL */
    unsigned prec, scale;   /* "decimal" */
    unsigned fsp;           /* "time", "datetime", "timestamp" */
    uint64_t len;           /* "integer": 1, 2, 3, 4, 8; "string": bytes; "bit": bits;
                               else 0 */
};
void bl_column_shape(const struct bl_table *t, size_t i, struct bl_col_shape *out);

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
    /* BL_EV_QUERY (BL_FLAGS2_EXPLICIT_DEF_TIMESTAMP: the server's
     * OPTION_EXPLICIT_DEF_TIMESTAMP, explicit_defaults_for_timestamp=1) */
    const char *schema;      /* default db of the statement */
    const char *query;
    uint64_t sql_mode;       /* the session's sql_mode (Q_SQL_MODE_CODE; 0 when absent) */
    bool has_sql_mode;       /* Q_SQL_MODE_CODE was there */
    bool has_charset;        /* Q_CHARSET_CODE: collation ids of the source session's */
    uint16_t charset[3];     /* character_set_client, collation_connection, collation_server */
    char time_zone[64];      /* Q_TIME_ZONE_CODE ("" when absent: the zone was not used) */
    int32_t usec;            /* Q_HRNOW microseconds of `timestamp`, -1 when absent */
    uint32_t flags2;         /* Q_FLAGS2_CODE session options (BL_FLAGS2_*) */
    bool has_flags2;         /* ... was there */
    /* BL_EV_GTID */
    char gtid[64];           /* "domain-server-seq" */
    bool gtid_standalone;    /* FL_STANDALONE: DDL not wrapped in BEGIN/COMMIT */
    /* additions */
    uint8_t type;            /* raw binlog event type */
    uint16_t flags;          /* common-header flags (0x20 LOG_EVENT_ARTIFICIAL_F) */
    uint64_t xid;            /* BL_EV_XID */
    uint32_t gtid_domain;    /* BL_EV_GTID */
    uint32_t gtid_server;
    uint64_t gtid_seq;
    uint8_t gtid_flags;      /* raw GTID flags (0x01 standalone, 0x20 DDL, ...) */
    /* additions by the relay unit (worker/relay/relay.h) */
    const uint8_t *raw;      /* the whole event as sent (header .. checksum), raw_len bytes */
    size_t raw_len;
    uint32_t log_pos;        /* the header's log_pos (0 for some artificial events) */
    /* BL_EV_ROWS: the statement the source's ANNOTATE_ROWS event gave for these rows is a
     * REPLACE (also LOAD DATA ... REPLACE, SET STATEMENT ... FOR REPLACE); false when the
     * source logs no annotations (binlog_annotate_row_events=OFF) */
    bool stmt_replace;
    /* BL_EV_ROWS: the rows event's flags (BL_ROWS_*): the source session's
     * foreign_key_checks=0 / unique_checks=0 / check_constraint_checks=0 when the rows
     * were written */
    uint16_t rows_flags;
};

#define BL_ROWS_NO_FOREIGN_KEY_CHECKS 0x0002u   /* NO_FOREIGN_KEY_CHECKS_F */
#define BL_ROWS_RELAXED_UNIQUE_CHECKS 0x0004u   /* RELAXED_UNIQUE_CHECKS_F */
#define BL_ROWS_NO_CHECK_CONSTRAINT_CHECKS 0x0080u /* MariaDB's NO_CHECK_CONSTRAINT_CHECKS_F */

/* A source of raw events other than a replication connection (the relay's local
 * streamer, relay_stream.h). next returns one whole event (header .. checksum) valid until
 * the next call, or DM_E_TIMEOUT / DM_E_CANCELLED / another DM_E_* with err; close may be
 * called from another thread and makes a blocked next return DM_E_CANCELLED; free releases
 * ctx. The first event of a stream is the FORMAT_DESCRIPTION of its file (log_pos 0 when
 * the stream starts past it, like the server's). */
struct bl_feed {
    int (*next)(void *ctx, int timeout_ms, const uint8_t **ev, size_t *len, char *err, size_t cap);
    void (*close)(void *ctx);
    void (*free)(void *ctx);
    void *ctx;
};

struct bl_reader;

/* Open a replication stream at (file, pos). DM_OK or, with err ("... Error <errno>: <msg>"):
 * DM_E_UNAVAILABLE (cannot reach the server), DM_E_FORBIDDEN (wrong password, missing
 * privilege: worker_terr_access_denied), DM_E_DB (other server errors). */
int bl_reader_open(const struct bl_source *src, const char *file, uint64_t pos,
                   struct bl_reader **out, char *err, size_t cap);
/* Open a replication stream from a MariaDB GTID set (gtid.h text form; "" = from the
 * start of the source's binlog), as a MariaDB replica with MASTER_USE_GTID does:
 * @slave_connect_state, @slave_gtid_strict_mode = 1. The source sends an artificial ROTATE
 * to the file holding the first transaction after the set, that file's FORMAT_DESCRIPTION,
 * then the events after the set (those before it in the file are not sent: the first
 * real event's log_pos is past a gap). A set the source's binlog cannot serve (a GTID it
 * never had, or purged) is DM_E_DB from bl_reader_next (Error 1236). Errors as
 * bl_reader_open, plus DM_E_PARSE for a malformed set. */
int bl_reader_open_gtid(const struct bl_source *src, const char *gtid_set,
                        struct bl_reader **out, char *err, size_t cap);
/* Next event; *ev valid until the next call or close. DM_OK, DM_E_TIMEOUT (no event in
 * timeout_ms; stream still usable), DM_E_UNAVAILABLE (connection lost: reopen from
 * the last checkpoint), DM_E_CANCELLED, DM_E_PARSE (undecodable event; err says which), DM_E_FORBIDDEN (refused
 * by the server for lack of privilege), DM_E_DB (other server errors, e.g. 1236). */
int bl_reader_next(struct bl_reader *r, int timeout_ms, struct bl_event **ev,
                   char *err, size_t cap);
/* A reader over `feed` (takes ownership of feed->ctx, freed with the reader even on error)
 * that yields the same events as bl_reader_open, starting in `file` at `pos`. QUERY events
 * are parsed from the raw body; MariaDB compressed events (log_bin_compress: QUERY and
 * rows v1) are inflated here (bl_compress.h) as the connector does on the source path, so
 * both paths yield the same events. DM_OK or DM_E_NOMEM / DM_E_INVAL. */
int bl_reader_open_feed(const struct bl_feed *feed, const char *file, uint64_t pos,
                        struct bl_reader **out, char *err, size_t cap);
/* Interrupt from another thread (thread-safe); the reader must still be freed. */
void bl_reader_close(struct bl_reader *r);
void bl_reader_free(struct bl_reader *r);

/* SHOW MASTER STATUS on the source: current file/pos and gtid_binlog_pos. Errors as
 * bl_reader_open. */
int bl_source_status(const struct bl_source *src, char *file, size_t file_cap, uint64_t *pos,
                     char *gtid, size_t gtid_cap, char *err, size_t cap);

/* A kept source connection for repeated status queries (dm-worker's QueryStatus asks for
 * SHOW MASTER STATUS on every call; DM keeps a pool, a connection per call cost a TCP and
 * auth handshake each time). Zero-initialise; not thread-safe: one owner, or the owner's
 * lock around each call. bl_status_conn_query connects on first use, reconnects when the
 * source (host, port, user, password) changed, and retries once on a fresh connection when
 * a kept one was closed by the server while idle. Errors as bl_source_status. */
struct bl_status_conn {
    void *m;        /* MYSQL *, owned */
    char key[1024]; /* the source it is connected to */
};
int bl_status_conn_query(struct bl_status_conn *c, const struct bl_source *src, char *file,
                         size_t file_cap, uint64_t *pos, char *gtid, size_t gtid_cap,
                         char *err, size_t cap);
void bl_status_conn_close(struct bl_status_conn *c);

/* The source's identity as DM names a MariaDB relay sub-directory: "<gtid_domain_id>-<server_id>"
 * (DM's GetMariaDBUUID). Errors as bl_reader_open. */
int bl_source_uuid(const struct bl_source *src, char *uuid, size_t uuid_cap, char *err, size_t cap);

#endif /* DM_WORKER_BINLOG_H */

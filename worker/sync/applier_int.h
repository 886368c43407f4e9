/* applier_int.h - internals shared by applier.c and applier_dml.c (not a public
 * contract; see applier.h). Thread-safety: as the applier (one thread). */
#ifndef DM_WORKER_APPLIER_INT_H
#define DM_WORKER_APPLIER_INT_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "applier.h"
#include "buf.h"

#define STMT_SOFT_MAX (1u << 20)   /* flush a multi-row statement past 1 MiB */

struct tkey {
    size_t n;
    size_t *idx;          /* column indexes (into tinfo cols) */
    bool primary;
    bool not_null;        /* every column NOT NULL */
    size_t *sub;          /* per column: prefix length of the index part (SUB_PART:
                             characters, bytes for binary strings), 0: the whole value;
                             may be NULL (no prefixes) */
};

/* How a column's character data is written byte-exact (applier_text.c). */
enum tcs {
    TCS_NONE = 0,         /* not character data on the target: legacy literal forms */
    TCS_BINARY,           /* BINARY/VARBINARY/BLOB/GEOMETRY (no charset): X'..' */
    TCS_UTF8,             /* utf8mb3/utf8mb4: quoted when valid UTF-8, else hex */
    TCS_ASCII,            /* a charset whose bytes 0x00-0x7F are ASCII: quoted when ASCII */
    TCS_OTHER             /* ucs2/utf16/utf32/swe7/...: always _<charset> X'..' */
};

/* How a unique index compares a column's string values: what its causality key may hash
 * (applier_dml.c). Two values the index finds equal must hash alike; hashing coarser
 * only serializes more. */
enum tcmp {
    TCMP_FOLD = 0,        /* unknown (schema filled by hand): ASCII case and trailing
                             spaces folded (the legacy rule) */
    TCMP_BYTES,           /* binary string (no charset): byte for byte */
    TCMP_BIN,             /* a _bin collation of an ASCII-compatible charset: byte for
                             byte, trailing spaces stripped (PAD SPACE) */
    TCMP_COLLATED         /* any other collation: equal values may differ in every byte
                             ('e'/'\xc3\xa9', 's'/'\xc3\x9f', ignorables): the value is not
                             hashed, only the column (all its values share the key) */
};

/* What a target column holds, to check the binlog's columns against (applier_dml.c
 * shape_check): family as bl_column_shape names it (binlog.h; NULL: unknown type). */
struct tshape {
    const char *family;   /* static string or NULL */
    char *column_type;    /* COLUMN_TYPE ("decimal(10,2) unsigned"), owned */
    char *collation;      /* COLLATION_NAME, owned; NULL: none (not character data) */
    unsigned prec, scale; /* decimal: NUMERIC_PRECISION, NUMERIC_SCALE */
    unsigned long long len; /* integer: byte width; string: CHARACTER_OCTET_LENGTH; bit:
                               NUMERIC_PRECISION (bits); else 0 */
};

/* A source table's column definitions from the source's information_schema
 * (applier_srcdef.c): what the TABLE_MAP lacks without binlog_row_metadata. */
struct srccol {
    char *name, *column_type;
    char *charset;        /* CHARACTER_SET_NAME; NULL: none (binary, numbers, ...) */
    char *collation;      /* COLLATION_NAME; NULL: none */
    const char *family;   /* as struct tshape's */
    unsigned long long len; /* integer byte width, else 0 */
    bool is_unsigned;
};

struct srcdef {
    char *schema, *table; /* source table */
    bool same_second;     /* the table was (re)defined in the second of the rows being
                             checked: used (no later DDL of it in the source's binlog) */
    bool ss_known, ss_use; /* that second's verdict, told at the fetch: kept until the next
                              DDL the task applies drops the definition */
    const char *ss_unsure; /* used although the source's binlog after the rows could not be
                              read to its end (why; static text), else NULL */
    size_t ncols;
    struct srccol *cols;
    long long ctime;      /* UNIX_TIMESTAMP(TABLES.CREATE_TIME) (.frm: every ALTER and
                             RENAME changes it), -1 unknown */
    struct srckey {       /* the source table's PRIMARY/UNIQUE keys (STATISTICS) */
        size_t n;
        size_t *col;      /* indexes into cols */
        unsigned *sub;    /* per part: SUB_PART, 0: the whole value */
    } *keys;
    size_t nkeys;
    bool keys_known;      /* keys read (all their columns found in cols) */
    bool fetched;         /* read at least once */
    bool stuck;           /* read, older than an event, yet not its TABLE_MAP's columns:
                             not read again (until the target table is invalidated) */
    struct srcdef *next;
};

struct tinfo {
    char *schema, *table;
    size_t ncols;
    char **cols;
    char **charset;       /* CHARACTER_SET_NAME per column (NULL: none); may be NULL */
    unsigned char *tcs;   /* enum tcs per column; may be NULL (all TCS_NONE) */
    unsigned char *cmp;   /* enum tcmp per column; may be NULL (all TCMP_FOLD) */
    const char **conv;    /* per column: the source charset its character values are in
                             when it is not the column's (applier_srcdef.c), for the event
                             being generated (set by each event's check; the names live in
                             the applier's collation list or the source definition); the
                             values are then written as `_<conv> X'..'` and the server
                             converts them (applier_text.c); NULL array or entry: none */
    struct kproof {       /* per column of a unique key, for the event being checked: */
        bool ok;          /* its target collation was proven to keep apart what the
                             source's does (worker_ap_coll_prove) */
        const char *ex;   /* else the proof's finding ("41/C4": two source bytes one key
                             value on the target), NULL: none; lives in a->collpf */
    } *kpf;               /* NULL array: nothing proven */
    struct mem8 {         /* per ENUM/SET column: binlog_row_metadata=FULL's members */
        char *src;        /* as the TABLE_MAP has them (bytes in the column's charset) */
        char *utf8;       /* converted by the target server into UTF-8, as
                             information_schema shows them (worker_ap_srcdef_members8) */
    } *m8;                /* NULL array or entry: none */
    bool *gen;            /* generated column: never written */
    bool *nullable;
    bool *is_unsigned;    /* integer column declared UNSIGNED on the target */
    size_t *padlen;       /* fixed-length binary (BINARY(n), INET6, UUID, INET4): its byte
                             length n, else 0. The binlog strips trailing 0x00 of these
                             (Field_string::pack): values are padded back to n on output */
    unsigned char *fsp;   /* TIME/DATETIME/TIMESTAMP(n): n, else 0 */
    bool *float6;         /* FLOAT without a declared scale (COLUMN_TYPE "float"[ unsigned]):
                             MariaDB prints it with 6 significant digits, so a dump tool
                             loads it rounded (applier_dml.c key-less fallback); may be NULL */
    struct tshape *shape; /* per column: type family, COLUMN_TYPE, decimal digits; may be
                             NULL (schema filled by hand: no shape check) */
    size_t nwritable;
    bool triggers;        /* the target table has triggers (information_schema.TRIGGERS) */
    bool fk_delete;       /* referenced by a FOREIGN KEY with ON DELETE CASCADE/SET NULL/... */
    bool fk_update;       /* referenced by a FOREIGN KEY with ON UPDATE CASCADE/SET NULL/... */
    bool versioned;       /* WITH SYSTEM VERSIONING (TABLES.TABLE_TYPE): rows not applied */
    bool overlaps;        /* a unique key WITHOUT OVERLAPS (application-time period): it
                             compares ranges, not values - rows are ordered by the table */
    struct srcdef *src;   /* the source tables' definitions, read at their rows */
    struct tkey *keys;    /* PK first */
    size_t nkeys;
    struct tinfo *next;
};

struct worker_applier {
    MYSQL *my;
    char *host, *user, *password;
    int port;
    char *meta_schema, *task, *source_id;
    bool in_txn;
    bool multi;           /* multi-statements enabled */
    unsigned ddl_ignored; /* the last worker_applier_ddl's ignored error (0: none) */
    size_t txn_rows;
    unsigned long long first_rows; /* matched rows of exec_multi's first statement */
    struct tinfo *cache;
    struct worker_srcmeta *sm; /* the source's reader (worker_applier_set_source), or NULL */
    struct collcs { unsigned id, maxlen; char cs[40], name[72]; } *coll; /* information_schema.COLLATIONS
                                                  (maxlen: the charset's, CHARACTER_SETS) */
    struct collpf {       /* key collation pairs the target server was asked about */
        char sc[72], tc[72];
        bool ok;
        char ex[16];
        struct collpf *next;
    } *collpf;            /* (applier_collpf.c) */
    size_t ncoll;         /* (read at the first TABLE_MAP with charset metadata) */
    bool coll_loaded;
    struct apcreated {    /* target tables a CREATE TABLE of the task made this session */
        char *schema, *table;
        struct apcreated *next;
    } *created;
    struct dm_buf sql;
    struct dm_buf key;    /* worker_rowjob.key of the job being generated */
    char *esc;            /* escape scratch */
    size_t esc_cap;
};

/* Run one statement; DM_E_DB / DM_E_UNAVAILABLE with *e on failure. */
int worker_ap_run(struct worker_applier *a, const char *sql, size_t len, struct worker_terr *e);
int worker_ap_db_error(struct worker_applier *a, const char *what, const char *sql,
                       struct worker_terr *e);
/* Run a query and store its result set (*res owned by the caller). */
int worker_ap_query(struct worker_applier *a, const char *sql, MYSQL_RES **res,
                    struct worker_terr *e);
int worker_ap_nomem(struct worker_terr *e);
int worker_ap_begin(struct worker_applier *a, struct worker_terr *e);
/* SQL text: `ident`, `schema`.`table`, 'escaped', a value literal. DM_E_TOO_LARGE /
 * DM_E_NOMEM on failure. */
int worker_ap_add_ident(struct dm_buf *b, const char *name);
int worker_ap_add_table(struct dm_buf *b, const char *schema, const char *table);
/* DM's meta table `<meta-schema>`.`<task><suffix>` (suffix "_syncer_checkpoint",
 * "_loader_checkpoint", ...). */
int worker_ap_add_meta_table(const struct worker_applier *a, struct dm_buf *b,
                             const char *suffix);
/* CREATE SCHEMA IF NOT EXISTS <meta-schema>; CREATE TABLE IF NOT EXISTS <meta table>
 * <columns>; with `remove_by` (remove-meta) DELETE this source's rows: WHERE <remove_by> =
 * the applier's source id. Other sources of the task keep theirs (DM v1.0.7's Clear). */
int worker_ap_prepare_meta_table(struct worker_applier *a, const char *suffix,
                                 const char *columns, const char *remove_by,
                                 struct worker_terr *e);
int worker_ap_add_escaped(struct worker_applier *a, struct dm_buf *b, const char *s, size_t n);
/* worker_ap_add_escaped of a NUL-terminated string */
int worker_ap_add_str(struct worker_applier *a, struct dm_buf *b, const char *s);
/* A character set or collation name safe to put into SQL text unquoted ([A-Za-z0-9_]{1,63}). */
bool worker_ap_plain_name(const char *s);
int worker_ap_add_value(struct worker_applier *a, struct dm_buf *b, const struct bl_value *v);
/* X'<hex>' of n bytes; _pad: followed by 0x00 bytes up to pad bytes (pad <= n: none). */
int worker_ap_add_hex(struct dm_buf *b, const char *s, size_t n);
int worker_ap_add_hex_pad(struct dm_buf *b, const char *s, size_t n, size_t pad);
/* Value v of target column col of t, byte-exact for character data (applier_text.c):
 * strings of columns with a charset are quoted where that is lossless over the utf8mb4
 * connection, else written as `_<charset> X'..'`; binary columns as X'..'. Other kinds
 * as worker_ap_add_value. */
int worker_ap_add_col_value(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                            size_t col, const struct bl_value *v);
/* `c`=BINARY <v> of worker_ap_add_col_value's value: with a conversion (t->conv) the
 * converted value, BINARY CONVERT(_<conv> X'..' USING <column charset>). */
int worker_ap_add_col_binary(struct worker_applier *a, struct dm_buf *b, const struct tinfo *t,
                             size_t col, const struct bl_value *v);
/* Whether value (p, n) of a column converted from charset sc into tc is written as
 * `_<sc> X'..'` (else quoted: empty, or ASCII in ASCII-compatible sc and tc). */
bool worker_ap_conv_hex(const char *sc, const char *tc, const char *p, size_t n);
/* Whether converting sc into tc is lossless for every value (latin1 into a Unicode
 * charset): the values need no check (worker_ap_conv_check). */
bool worker_ap_conv_total(const char *sc, const char *tc);
/* Every value of ev's rows that is converted (t->conv; src[i]: the source column of target
 * column i, -1 none) converts exactly into its column's charset, checked by the target
 * server (CONVERT there and back, in batches) before any row is applied: else refused, not
 * transient, naming the table, column, row and binlog position (a non-strict session
 * would store '?', a strict one fail at a later statement). DM_OK; DM_E_INVAL; a
 * connection error. */
int worker_ap_conv_check(struct worker_applier *a, const struct tinfo *t,
                         const struct bl_event *ev, const ssize_t *src, struct worker_terr *e);
/* enum tcs of a column from information_schema CHARACTER_SET_NAME / DATA_TYPE. */
unsigned char worker_ap_classify_text(const char *charset, const char *data_type);
/* Byte length of a fixed-length binary column (information_schema DATA_TYPE and
 * CHARACTER_OCTET_LENGTH): BINARY(n) n, INET6 16, UUID 16, INET4 4; else 0. */
size_t worker_ap_fixed_binary_len(const char *data_type, const char *octet_length);
/* The cached schema of a target table (loaded from information_schema on first use). */
int worker_ap_tinfo_get(struct worker_applier *a, const char *schema, const char *table,
                        struct tinfo **out, struct worker_terr *e);
void worker_ap_tinfo_free(struct tinfo *t);
/* Family of an information_schema DATA_TYPE as struct tshape names it (NULL: not listed);
 * byte width of an integer DATA_TYPE (else 0). */
const char *worker_ap_type_family(const char *data_type);
unsigned long long worker_ap_int_width(const char *data_type);

/* The source table of ev's definition (applier_srcdef.c), cached in t: *out NULL when
 * the applier has no source, or the source's table as it is now may not be the one ev
 * was logged for - it was ALTERed/RENAMEd in ev's second or later (CREATE_TIME), or its
 * columns are not ev's TABLE_MAP's. DM_OK, or a transient error (source unreachable). */
int worker_ap_srcdef_get(struct worker_applier *a, struct tinfo *t, const struct bl_event *ev,
                         const struct srcdef **out, struct worker_terr *e);
void worker_ap_srcdef_clear(struct srcdef *d);
void worker_ap_srcdef_free(struct srcdef *d);   /* the whole list */
/* A DDL statement (sql, default schema use_schema) ran on the target, not ignored (warned:
 * with warnings - the IF NOT EXISTS the Sync unit adds found the table there): the tables
 * it CREATEs without a warning are noted (their definitions are the source's by the
 * binlog's own statement), the tables it DROPs or RENAMEs forgotten (applier_srcdef.c).
 * Best effort (out of memory: not noted, the rows then get the same-second check). */
void worker_ap_created_note(struct worker_applier *a, const char *use_schema, const char *sql,
                            bool warned);
void worker_ap_created_free(struct worker_applier *a);

/* Source column s's UNSIGNED: the TABLE_MAP's (binlog_row_metadata MINIMAL/FULL), else
 * d's; -1 unknown (also for non-numeric columns without metadata). */
int worker_ap_src_unsigned(const struct srcdef *d, const struct bl_table *bt, size_t s);
/* *out = the character set of collation id (the TABLE_MAP's charset metadata), by the
 * target's information_schema.COLLATIONS (read once per applier; MariaDB's ids are the
 * same on every server), NULL when not listed. */
int worker_ap_coll_charset(struct worker_applier *a, unsigned id, const char **out,
                           struct worker_terr *e);
/* The same, *out the collation's name (utf8mb4_bin). */
int worker_ap_coll_name(struct worker_applier *a, unsigned id, const char **out,
                        struct worker_terr *e);
/* *out = collation `name` of the target's information_schema.COLLATIONS, NULL: none. */
int worker_ap_coll_by_name(struct worker_applier *a, const char *name,
                           const struct collcs **out, struct worker_terr *e);
/* Whether target collation tc keeps apart every two values source collation sc keeps
 * apart, proven by the target server character by character (applier_collpf.c: sc of a
 * single-byte charset only; cached per pair): *ok. *ex: when not, what was found ("41/C4":
 * source bytes 0x41 and 0xC4 are one value under tc; "expands", "contracts", "unknown")
 * or NULL. A connection error is returned (transient); a collation the target server
 * does not know is not proven. */
int worker_ap_coll_prove(struct worker_applier *a, const char *sc, const char *tc, bool *ok,
                         const char **ex, struct worker_terr *e);
void worker_ap_collpf_free(struct worker_applier *a);
/* Target column i of t (a string column in a unique key) gets t->kpf[i] for source
 * collation sc when worker_ap_coll_keeps_apart's name rules do not pass the pair. */
int worker_ap_srcdef_keyproof(struct worker_applier *a, struct tinfo *t, size_t i,
                              const char *sc, struct worker_terr *e);
/* ENUM/SET target column i of t, source column s of bt: FULL metadata's non-ASCII
 * members (bt->members[s]) in a single-byte charset mcs are converted into UTF-8 by the
 * target server, once per member list (t->m8[i]), so that they compare with the target's
 * information_schema (worker_ap_srcdef_misfit). UTF-8 members need no conversion; other
 * multi-byte charsets are not converted (the source definition's members are used). */
int worker_ap_srcdef_members8(struct worker_applier *a, struct tinfo *t, size_t i,
                              const struct bl_table *bt, size_t s, const char *mcs,
                              struct worker_terr *e);
/* Whether a PRIMARY/UNIQUE key of target t is implied by no key of source definition d
 * (src[i]: the source column of target column i, -1: none/generated): two rows the
 * source holds apart could be one key value on the target (a REPLACE deletes the other
 * one). why: the detail. false when d's keys are not known or a key has a column without
 * a source column. */
bool worker_ap_srcdef_key_misfit(const struct srcdef *d, const struct tinfo *t,
                                 const ssize_t *src, char *why, size_t cap);
/* The collation of source column s: the TABLE_MAP's (mcoll) first, else d's; NULL. */
const char *worker_ap_src_collation(const struct srcdef *d, size_t s, const char *mcoll);
/* Whether target column i of t cannot hold source column s exactly, by what d (may be
 * NULL), the TABLE_MAP bt and mcs (source column s's charset by bt's collation metadata,
 * NULL: not known) tell beyond the type shape: its name is at another position of the
 * target (without FULL metadata's names), UNSIGNED into a signed integer not wider or
 * signed into UNSIGNED, ENUM/SET members that do not begin with the source's, binary
 * source data into a character column. why: the detail. *conv: the source charset when
 * the column's character data is in another charset than the target column's (the values
 * are converted: t->conv), else NULL. mcoll: source column s's collation by bt's metadata
 * (NULL: not known; then d's): a column of a target unique key whose collation may find
 * values equal that the source's keeps apart (worker_ap_coll_keeps_apart) is a misfit. */
bool worker_ap_srcdef_misfit(const struct srcdef *d, const struct bl_table *bt, size_t s,
                             const char *mcs, const char *mcoll, const struct tinfo *t,
                             size_t i, const char **conv, char *why, size_t cap);
/* Whether target collation tc (NULL: a binary column) tells apart every two values source
 * collation sc tells apart by their names alone (so a source unique key stays unique and
 * a key value finds the same row): the same collation (utf8mb3_x into utf8mb4_x too), a
 * _nopad_bin one or a binary column, a PAD SPACE _bin one from a PAD SPACE source
 * collation. Any folding target collation (_ci, _ai, a language's) of another one is
 * false here - of another charset too (latin1_swedish_ci into utf8mb4_general_ci: 'A' and
 * 'A' with diaeresis are two in swedish, one in general_ci) -: worker_ap_coll_prove may
 * still prove such a pair on the target server. */
bool worker_ap_coll_keeps_apart(const char *sc, const char *tc);

#endif /* DM_WORKER_APPLIER_INT_H */

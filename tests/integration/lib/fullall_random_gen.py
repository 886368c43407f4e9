#!/usr/bin/env python3
# fullall_random_gen.py schema|writer SEED DB SIZE: random source databases for a `full` / `all`
# task (tests/integration/fullall/random.sh). `schema` prints the databases, tables and rows
# (mariadb client, utf8mb4, permissive sql_mode); `writer` prints a workload (INSERT / UPDATE /
# DELETE with short sleeps) over the same tables for the `all` run's concurrent writer. SIZE is
# `small` (CI) or `long`. The same SEED gives the same schema; the writer draws from SEED + 1.
# Beyond lib/load_random_gen.py's types: cp1251 / latin1 text of every byte (NUL, 0x1A, quotes,
# backslashes), a BLOB holding every byte value, DATETIME(6) / TIME negatives / zero dates,
# DOUBLE denormals and -0, GEOMETRY with an SRID, DEFAULT expressions, AUTO_INCREMENT tables
# (some empty with AUTO_INCREMENT=N), keyless / composite / nullable-unique keys, RANGE / HASH /
# KEY partitions, views (also over views), triggers writing into another table, names with
# spaces, dots, a `-` and non-ASCII, a second database.
import random, sys

MODE, SEED, DB, SIZE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
r = random.Random(SEED)
LONG = SIZE == "long"


def esc(t):  # str -> SQL string literal, every special character escaped
    out = []
    for ch in t:
        out.append({"\\": "\\\\", "'": "\\'", "\0": "\\0", "\x1a": "\\Z", "\n": "\\n", "\r": "\\r"}.get(ch, ch))
    return "'" + "".join(out) + "'"


def hx(b):
    return "X'%s'" % b.hex() if b else "''"


def qi(n):
    return "`" + n.replace("`", "``") + "`"


TEXTS = ["", " ", "a ", "\\N", "NULL", "tab\there", "nl\nx", "cr\r", "q'\"`", "é", "😀", "中文",
         "x" * 200, "\\", "\\\\'", "0", "-0", "1e5", "a\0b", "\x1a", "end\\", "'", "''", "\\'"]


def rtext(n):
    if r.random() < 0.6:
        t = r.choice(TEXTS)
    else:
        t = "".join(r.choice("ab é😀'\"\\\t\n\0\x1a%_") for _ in range(r.randint(0, 12)))
    return t[:n]


def rbytes(n):
    k = r.randint(0, n)
    return bytes(r.randint(0, 255) for _ in range(k))


def cyr():
    return esc(r.choice(["Привет", "ё'\\", "", "Ъ\0ы", "абв\x1aг", "x"]))


def dbl():
    return repr(r.choice([0.1, -2.5e-300, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324,
                          -5e-324, 2.2250738585072014e-308, -0.0, 1e16, 123456789.125,
                          r.uniform(-1e20, 1e20), float(r.randint(-99, 99))]))


T = [
    ("TINYINT", lambda: str(r.choice([-128, 127, 0, r.randint(-128, 127)]))),
    ("SMALLINT UNSIGNED", lambda: str(r.choice([0, 65535, r.randint(0, 65535)]))),
    ("INT", lambda: str(r.choice([-2147483648, 2147483647, r.randint(-10**9, 10**9)]))),
    ("BIGINT", lambda: str(r.choice([-9223372036854775808, 9223372036854775807, r.randint(-10**18, 10**18)]))),
    ("BIGINT UNSIGNED", lambda: str(r.choice([18446744073709551615, 0, 2**63, r.randint(0, 2**64 - 1)]))),
    ("DECIMAL(10,3)", lambda: r.choice(["0.000", "-0.001", "9999999.999", "-9999999.999",
                                        "%s%d.%03d" % (r.choice(["", "-"]), r.randint(0, 9999999), r.randint(0, 999))])),
    ("DECIMAL(65,30)", lambda: r.choice(["'99999999999999999999999999999999999.999999999999999999999999999999'",
                                         "'-0.000000000000000000000000000001'", "0",
                                         "'%s%d.%030d'" % (r.choice(["", "-"]), r.randint(0, 10**35 - 1), r.randint(0, 10**30 - 1))])),
    ("DECIMAL(5,0) UNSIGNED", lambda: str(r.choice([0, 99999, r.randint(0, 99999)]))),
    ("DOUBLE", dbl),
    ("FLOAT(10,4)", lambda: "%.4f" % r.uniform(-99999, 99999)),
    ("FLOAT", lambda: r.choice(["0.5", "-2", "1024", "0.25", "-0.125", "0", "3e38", "-1e-10"])),
    ("BIT(1)", lambda: "b'%d'" % r.randint(0, 1)),
    ("BIT(13)", lambda: str(r.randint(0, 2**13 - 1))),
    ("BIT(64)", lambda: str(r.choice([0, 2**64 - 1, 2**63, r.randint(0, 2**64 - 1)]))),
    ("YEAR", lambda: r.choice(["0", "1901", "2155", "'70'", "'00'", "69", str(r.randint(1901, 2155))])),
    ("DATE", lambda: r.choice(["'0000-00-00'", "'2020-00-00'", "'2020-02-00'", "'9999-12-31'", "'1000-01-01'",
                               "'%04d-%02d-%02d'" % (r.randint(1000, 9999), r.randint(1, 12), r.randint(1, 28))])),
    ("DATETIME(6)", lambda: r.choice(["'0000-00-00 00:00:00'", "'9999-12-31 23:59:59.999999'", "'2020-00-15 00:00:00.5'",
                                      "'%04d-%02d-%02d %02d:%02d:%02d.%06d'" % (r.randint(1000, 9999), r.randint(1, 12), r.randint(1, 28),
                                                                            r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999999))])),
    ("DATETIME", lambda: r.choice(["'0000-00-00 00:00:00'", "'1000-01-01 00:00:00'", "'2024-02-29 12:00:00'"])),
    ("TIMESTAMP(3) NULL", lambda: r.choice(["'1970-01-01 00:00:01'", "'2038-01-19 03:14:07.999'", "'0000-00-00 00:00:00'",
                                            "'%04d-%02d-%02d %02d:%02d:%02d.%03d'" % (r.randint(1971, 2037), r.randint(1, 12), r.randint(1, 28),
                                                                                r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999))])),
    ("TIME(4)", lambda: r.choice(["'-838:59:59'", "'838:59:59'", "'-00:00:00.0001'", "'-00:00:01'",
                                  "'%s%d:%02d:%02d.%04d'" % (r.choice(["", "-"]), r.randint(0, 838), r.randint(0, 59), r.randint(0, 59), r.randint(0, 9999))])),
    ("TIME", lambda: r.choice(["'-838:59:59'", "'-12:00:00'", "'00:00:00'", "'-00:00:01'"])),
    ("CHAR(5) CHARACTER SET latin1", lambda: esc(rtext(5).encode("latin1", "ignore").decode("latin1"))),
    ("TEXT CHARACTER SET latin1", lambda: hx(rbytes(40)) if r.random() < 0.5 else hx(bytes(range(256)))),
    ("VARCHAR(40) CHARACTER SET utf8mb4", lambda: esc(rtext(40))),
    ("VARCHAR(30) CHARACTER SET cp1251", cyr),
    ("VARCHAR(40) CHARACTER SET gbk", lambda: esc(r.choice(["中文", "", "abc", "字 '", "\\\\", "表\0"]))),
    ("VARCHAR(20) CHARACTER SET ucs2", lambda: esc(r.choice(["é", "", "abc", "\\N", "x y"]))),
    ("TEXT", lambda: esc(rtext(300))),
    ("BINARY(6)", lambda: hx(rbytes(6))),
    ("VARBINARY(64)", lambda: hx(rbytes(64))),
    ("BLOB", lambda: hx(bytes(range(256))) if r.random() < 0.4 else hx(rbytes(300))),
    ("ENUM('a','b c','é','\\\\','''')", lambda: r.choice(["'a'", "'b c'", "'é'", "'\\\\'", "''''", "2", "5"])),
    ("SET('x','y','z')", lambda: r.choice(["''", "'x'", "'x,y'", "7", "3"]) if False else r.choice(["''", "'x'", "'x,y'", "3"])),
    ("JSON", lambda: r.choice(["'{}'", "'[]'", "'null'", "'{\"a\": [1, 2.5, \"é😀\"], \"b\": null}'", "'1e300'",
                               "'\"s\\\\\\\\\"'", "'\"\\\\u0000\"'"])),
    ("INET6", lambda: r.choice(["'::'", "'::1'", "'2001:db8::1:2:34'", "'::ffff:1.2.3.4'", "'fe80::1'"])),
    ("UUID", lambda: r.choice(["'00000000-0000-0000-0000-000000000000'", "'123e4567-e89b-12d3-a456-426655440000'",
                               "'ffffffff-ffff-ffff-ffff-ffffffffffff'"])),
    ("POINT", lambda: "POINT(%r, %r)" % (r.uniform(-180, 180), r.uniform(-90, 90))),
    ("GEOMETRY", lambda: r.choice(["ST_GeomFromText('LINESTRING(0 0,1 1,2 -1.5)')", "ST_GeomFromText('POINT(1 2)', 4326)",
                                   "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))')"])),
]
KEYABLE = lambda ty: not any(x in ty for x in ("TEXT", "BLOB", "JSON", "POINT", "GEOMETRY", "FLOAT", "DOUBLE", "BIT(64)"))
TNAMES = ["t", "t x", "t.d", "t-d", "tü", "表", "T", "sel ect", "a.b-c d"]
CNAMES = ["c", "C x", "ü", "a.b", "d-e", "select", "Key", "gg"]

# ---- schema model (drawn the same way in both modes) ----
dbs = [DB] + ([DB + "-2 x"] if r.random() < 0.5 else [])
tables = []  # dicts: db, name, cols [(name, type, gen)], shape, ai, gencols
ntab = r.randint(4, 10) if LONG else r.randint(3, 5)
used = set()
for ti in range(ntab):
    db = r.choice(dbs)
    name = "%s%d" % (r.choice(TNAMES), ti)
    cols = r.sample(T, r.randint(1, 7 if LONG else 5))
    names = ["c%d_%s" % (i, r.choice(CNAMES)) for i in range(len(cols))]
    shape = r.choice(["pk", "pk", "ai", "uk", "none", "comp"])
    t = {"db": db, "name": name, "cols": list(zip(names, [c[0] for c in cols], [c[1] for c in cols])), "shape": shape}
    t["gen"] = r.random() < 0.3 and shape != "ai"   # a generated column cannot read AUTO_INCREMENT
    t["inv"] = r.random() < 0.25
    t["defx"] = r.random() < 0.3
    t["part"] = r.choice(["", "", "hash", "key", "range"]) if shape in ("pk", "comp") else ""
    if any(x in c[0] for c in cols for x in ("POINT", "GEOMETRY")):
        t["part"] = ""   # spatial columns are refused in a partitioned table
    t["engine"] = r.choice(["", "", "", " ENGINE=MyISAM", " ENGINE=Aria"]) if not t["part"] else ""
    t["cs"] = r.choice(["utf8mb4", "latin1", "gbk", "cp1251"])
    t["ai_start"] = r.choice([0, 0, 1000, 77]) if shape == "ai" else 0
    t["rows"] = r.choice([0, 1, 5, 30] + ([200, 400] if LONG else []))
    tables.append(t)


def coldefs(t):
    d = []
    if t["shape"] == "ai":
        d.append("`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT")
    elif t["shape"] in ("pk", "comp"):
        d.append("`id` INT NOT NULL")
    else:
        d.append("`id` INT")
    for n, ty, _ in t["cols"]:
        d.append("%s %s" % (qi(n), ty))
    if t["gen"]:
        d.append("`g` VARCHAR(60) AS (CONCAT(`id`, 'g')) %s" % r.choice(["VIRTUAL", "STORED"]))
    if t["inv"]:
        d.append("`inv` INT INVISIBLE DEFAULT 7")
    if t["defx"]:
        d.append("`dx` VARCHAR(40) DEFAULT (CONCAT('d', 1 + 1))")
        d.append("`dn` DOUBLE DEFAULT (1/3)")
    return d


def keys(t):
    c0n, c0t = t["cols"][0][0], t["cols"][0][1]
    if t["shape"] in ("pk", "ai"):
        k = ", PRIMARY KEY (`id`)"
    elif t["shape"] == "uk":
        k = ", UNIQUE KEY `u` (`id`)"
    elif t["shape"] == "comp":
        k = ", PRIMARY KEY (`id`, %s)" % qi(c0n) if KEYABLE(c0t) and not t["part"] else ", PRIMARY KEY (`id`)"
    else:
        k = ""
    if KEYABLE(c0t) and r.random() < 0.5:
        k += ", KEY `k1` (%s)" % qi(c0n)
    return k


def partition(t):
    return {"": "", "hash": " PARTITION BY HASH(`id`) PARTITIONS 3", "key": " PARTITION BY KEY() PARTITIONS 2",
            "range": " PARTITION BY RANGE (`id`) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)"}[t["part"]]


def row_values(t, i):
    if t["shape"] == "ai":
        idv = "NULL" if r.random() < 0.5 else str(t["ai_start"] + i * 3 + 1)
    elif t["shape"] in ("pk", "comp", "uk"):
        idv = str(i) if not (t["shape"] == "uk" and r.random() < 0.1) else "NULL"
    else:
        idv = "NULL" if r.random() < 0.1 else str(r.randint(0, 20))
    return [idv] + ["NULL" if r.random() < 0.1 else g() for _, _, g in t["cols"]]


def ins(t, vals, ignore=True):
    return "INSERT %sINTO %s.%s (`id`, %s) VALUES (%s);" % (
        "IGNORE " if ignore else "", qi(t["db"]), qi(t["name"]), ", ".join(qi(n) for n, _, _ in t["cols"]), ", ".join(vals))


schema = []
schema.append("SET SESSION sql_mode='';")
for db in dbs:
    schema.append("DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET %s;" % (qi(db), qi(db), r.choice(["utf8mb4", "latin1"])))
for t in tables:
    defs = coldefs(t)
    schema.append("CREATE TABLE %s.%s (%s%s) DEFAULT CHARSET=%s%s%s%s;" % (
        qi(t["db"]), qi(t["name"]), ", ".join(defs), keys(t), t["cs"], t["engine"],
        " AUTO_INCREMENT=%d" % t["ai_start"] if t["ai_start"] else "", partition(t)))
    for i in range(t["rows"]):
        schema.append(ins(t, row_values(t, i)))
    if t["shape"] == "ai" and t["rows"] and r.random() < 0.5:  # a counter above MAX(id)
        schema.append("DELETE FROM %s.%s ORDER BY `id` DESC LIMIT 1;" % (qi(t["db"]), qi(t["name"])))
# views (a view over a view sorting before it), a trigger into a log table
t0 = tables[0]
schema.append("CREATE VIEW %s.`z_base v` AS SELECT `id`, %s FROM %s.%s;" % (qi(t0["db"]), qi(t0["cols"][0][0]), qi(t0["db"]), qi(t0["name"])))
schema.append("CREATE VIEW %s.`a_top` AS SELECT COUNT(*) AS n FROM %s.`z_base v`;" % (qi(t0["db"]), qi(t0["db"])))
schema.append("CREATE TABLE %s.`trig log` (`ts` INT, `what` VARCHAR(20));" % qi(DB))
tt = tables[-1]
schema.append("CREATE TRIGGER %s.`tr1` AFTER INSERT ON %s.%s FOR EACH ROW INSERT INTO %s.`trig log` VALUES (NEW.`id`, 'ins');" % (
    qi(tt["db"]), qi(tt["db"]), qi(tt["name"]), qi(DB)))

if MODE == "schema":
    print("\n".join(schema))
    sys.exit(0)

# ---- writer: a workload over the same tables ----
r = random.Random(SEED + 1)
out = ["SET SESSION sql_mode='';"]
n = 400 if LONG else 120
nextid = {id(t): 100000 for t in tables}
for k in range(n):
    t = r.choice(tables)
    tn = "%s.%s" % (qi(t["db"]), qi(t["name"]))
    op = r.random()
    if op < 0.5:
        if t["shape"] == "ai" and r.random() < 0.5:
            vals = ["NULL"] + ["NULL" if r.random() < 0.1 else g() for _, _, g in t["cols"]]
        else:
            nextid[id(t)] += 1
            vals = [str(nextid[id(t)])] + ["NULL" if r.random() < 0.1 else g() for _, _, g in t["cols"]]
        out.append(ins(t, vals))
    elif op < 0.8:
        n_, _, g = r.choice(t["cols"])
        where = "`id` = %d" % r.randint(0, 40) if t["shape"] != "none" else "1 ORDER BY `id` LIMIT 1"
        if t["shape"] == "none":
            where = "`id` = %d LIMIT 1" % r.randint(0, 20)
        out.append("UPDATE %s SET %s = %s WHERE %s;" % (tn, qi(n_), g(), where))
    else:
        if t["shape"] == "none":
            out.append("DELETE FROM %s WHERE `id` = %d LIMIT 1;" % (tn, r.randint(0, 20)))
        else:
            out.append("DELETE FROM %s WHERE `id` = %d;" % (tn, r.randint(0, 40)))
    if k % 4 == 0:
        out.append("DO SLEEP(0.05);")
print("\n".join(out))

#!/usr/bin/env python3
# load_random_gen.py SEED DB: a random schema and rows on stdout (mariadb client, utf8mb4): 4-9 tables of
# 1-8 random columns of ~37 types at their edges (zero dates, BIT(64), DECIMAL(65,30), gbk/ucs2/utf32,
# INET6/INET4/UUID, JSON, POINT, BLOBs of any byte), key-less / UNIQUE-nullable / composite keys,
# generated and invisible columns, MyISAM and partitioned tables, names with spaces and non-ASCII;
# 0-300 rows each. Used by tests/integration/long_load_random.sh.
import random, sys
r = random.Random(int(sys.argv[1])); DB = sys.argv[2]
def q(b):  # bytes -> SQL hex literal or string
    return "X'%s'" % b.hex() if b else "''"
def s(t): return "'" + t.replace("\\", "\\\\").replace("'", "''") + "'"
TEXTS = ["", " ", "a ", "\\N", "NULL", "tab\there", "nl\nx", "cr\r", "q'\"`", "é", "😀", "中文", "x" * 300, "\\", "0", "-0", "1e5"]
def rtext(n):
    t = r.choice(TEXTS) if r.random() < 0.6 else "".join(r.choice("ab é😀'\\\t\n%_") for _ in range(r.randint(0, 12)))
    return t[:n]
T = [
 ("TINYINT", lambda: str(r.choice([-128, 127, 0, r.randint(-128, 127)]))),
 ("TINYINT UNSIGNED", lambda: str(r.choice([0, 255, r.randint(0, 255)]))),
 ("SMALLINT", lambda: str(r.randint(-32768, 32767))),
 ("MEDIUMINT UNSIGNED", lambda: str(r.randint(0, 16777215))),
 ("INT", lambda: str(r.choice([-2147483648, 2147483647, r.randint(-10**9, 10**9)]))),
 ("BIGINT", lambda: str(r.choice([-9223372036854775808, 9223372036854775807, r.randint(-10**18, 10**18)]))),
 ("BIGINT UNSIGNED", lambda: str(r.choice([18446744073709551615, 0, r.randint(0, 2**64-1)]))),
 ("DECIMAL(10,3)", lambda: "%s%d.%03d" % (r.choice(["", "-"]), r.randint(0, 9999999), r.randint(0, 999))),
 ("DECIMAL(65,30)", lambda: "%s%d.%030d" % (r.choice(["", "-"]), r.randint(0, 10**35-1), r.randint(0, 10**30-1))),
 ("DOUBLE", lambda: repr(r.choice([0.1, -2.5e-300, 1.7976931348623157e308, 5e-324, r.uniform(-1e20, 1e20), float(r.randint(-99, 99))]))),
 ("FLOAT(10,4)", lambda: "%.4f" % r.uniform(-99999, 99999)),
 ("FLOAT", lambda: r.choice(["0.5", "-2", "1024", "0.25", "-0.125"])),
 ("BIT(1)", lambda: "b'%d'" % r.randint(0, 1)),
 ("BIT(17)", lambda: str(r.randint(0, 2**17-1))),
 ("BIT(64)", lambda: str(r.randint(0, 2**64-1))),
 ("YEAR", lambda: r.choice(["0", "1901", "2155", "'70'", "'00'", str(r.randint(1901, 2155))])),
 ("DATE", lambda: r.choice(["'0000-00-00'", "'2020-00-00'", "'2020-02-00'", "'9999-12-31'", "'1000-01-01'", "'%04d-%02d-%02d'" % (r.randint(1000, 9999), r.randint(1, 12), r.randint(1, 28))])),
 ("DATETIME(6)", lambda: r.choice(["'0000-00-00 00:00:00'", "'9999-12-31 23:59:59.999999'", "'%04d-%02d-%02d %02d:%02d:%02d.%06d'" % (r.randint(1000, 9999), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999999))])),
 ("TIMESTAMP(3) NULL", lambda: r.choice(["'1970-01-01 00:00:01'", "'2038-01-19 03:14:07.999'", "'%04d-%02d-%02d %02d:%02d:%02d.%03d'" % (r.randint(1971, 2037), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999))])),
 ("TIME(4)", lambda: r.choice(["'-838:59:59'", "'838:59:59'", "'-00:00:00.0001'", "'%s%d:%02d:%02d.%04d'" % (r.choice(["", "-"]), r.randint(0, 838), r.randint(0, 59), r.randint(0, 59), r.randint(0, 9999))])),
 ("CHAR(5) CHARACTER SET latin1", lambda: s(rtext(5).encode('latin1', 'ignore').decode('latin1'))),
 ("VARCHAR(40) CHARACTER SET utf8mb4", lambda: s(rtext(40))),
 ("VARCHAR(40) CHARACTER SET gbk", lambda: s(r.choice(["中文", "", "abc", "字 '"]))),
 ("VARCHAR(20) CHARACTER SET ucs2", lambda: s(r.choice(["é", "", "abc", "\\N", "x y"]))),
 ("VARCHAR(20) CHARACTER SET utf32", lambda: s(rtext(20))),
 ("TEXT", lambda: s(rtext(300))),
 ("BINARY(6)", lambda: q(bytes(r.randint(0, 255) for _ in range(r.randint(0, 6))))),
 ("VARBINARY(64)", lambda: q(bytes(r.randint(0, 255) for _ in range(r.randint(0, 64))))),
 ("MEDIUMBLOB", lambda: q(bytes(r.randint(0, 255) for _ in range(r.randint(0, 2000))))),
 ("ENUM('','a','b c','é')", lambda: r.choice(["''", "'a'", "'b c'", "'é'", "2"])),
 ("SET('x','y','z')", lambda: r.choice(["''", "'x'", "'x,z'", "7"])),
 ("JSON", lambda: r.choice(["'{}'", "'[]'", "'null'", "'{\"a\": [1, 2.5, \"é😀\"], \"b\": null}'", "'1e300'", "'\"s\\\\\\\\\"'"])),
 ("INET6", lambda: r.choice(["'::'", "'::1'", "'2001:db8::1:2:34'", "'::ffff:1.2.3.4'", "'fe80::1'"])),
 ("UUID", lambda: r.choice(["'00000000-0000-0000-0000-000000000000'", "'123e4567-e89b-12d3-a456-426655440000'"])),
 ("INET4", lambda: r.choice(["'0.0.0.0'", "'255.255.255.255'", "'10.1.2.3'"])),
 ("POINT", lambda: "POINT(%r, %r)" % (r.uniform(-180, 180), r.uniform(-90, 90))),
]
NAMES = ["c", "C x", "sel", "ü", "a.b", "d-e", "select", "Key", "c1", "gg"]
print("SET SESSION sql_mode='';")
print("DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s`; USE `%s`;" % (DB, DB, DB))
for ti in range(r.randint(4, 9)):
    cols = r.sample(T, r.randint(1, 8))
    names = ["c%d_%s" % (i, r.choice(NAMES)) for i in range(len(cols))]
    shape = r.choice(["pk", "pk", "uk", "none", "comp"])
    defs = ["`id` INT NOT NULL" if shape in ("pk", "comp") else "`id` INT"]
    for n, (ty, _) in zip(names, cols):
        defs.append("`%s` %s" % (n, ty))
    if r.random() < 0.3:
        defs.append("`g` VARCHAR(60) AS (CONCAT(`id`, 'g')) %s" % r.choice(["VIRTUAL", "STORED"]))
    if r.random() < 0.2:
        defs.append("`inv` INT INVISIBLE DEFAULT 7")
    key = {"pk": ", PRIMARY KEY (`id`)", "uk": ", UNIQUE KEY (`id`)", "none": "", "comp": ", PRIMARY KEY (`id`, `%s`)" % names[0] if not any(x in cols[0][0] for x in ("TEXT", "BLOB", "JSON", "POINT")) else ", PRIMARY KEY (`id`)"}[shape]
    tname = "t%d%s" % (ti, r.choice(["", " x", "é", "UP"]))
    cs = r.choice(["utf8mb4", "latin1", "gbk"])
    print("CREATE TABLE `%s` (%s%s) DEFAULT CHARSET=%s%s;" % (tname, ", ".join(defs), key, cs, r.choice(["", "", " ENGINE=MyISAM", " PARTITION BY KEY() PARTITIONS 3" if shape == "pk" else ""])))
    nrows = r.choice([0, 1, 5, 50, 300])
    for i in range(nrows):
        vals = [str(i if shape in ("pk", "comp", "uk") else r.randint(0, 20)) if not (shape in ("uk", "none") and r.random() < 0.1) else "NULL"]
        for ty, gen in cols:
            vals.append("NULL" if r.random() < 0.1 else gen())
        print("INSERT IGNORE INTO `%s` (`id`, %s) VALUES (%s);" % (tname, ", ".join("`%s`" % n for n in names), ", ".join(vals)))

"""alter_split_fuzz.py - random multi-spec ALTER TABLEs run on a MariaDB (sql_log_bin=0) whole
and as the worker's DDL parser splits them (items run in order; errors the Sync unit ignores
as replays - 1060 1061 1091 ... - ignored, any other error counts as a pause); prints each
statement whose two tables differ (SHOW CREATE TABLE, rows). Probe, not a CI test.
  python3 scripts/probe/alter_split_fuzz.py SEED COUNT   (env: DDL_SPLIT=/tmp/ddl_split, PORT)"""
import os, random, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mariadb_ctypes as my
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rnd = random.Random(seed)
IGN = {1007,1008,1050,1051,1060,1061,1091,1146}
tool = subprocess.Popen([os.environ.get("DDL_SPLIT", "/tmp/ddl_split")], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def split(s):
    tool.stdin.write((s.replace("\n"," ")+"\n").encode()); tool.stdin.flush()
    parts = tool.stdout.readline().decode().rstrip("\n").split("\x1e")
    return int(parts[0]), parts[1:]
c = my.Conn(int(os.environ.get("PORT", "3306")))
c.q("SET SESSION sql_log_bin=0")
COLS = ["a","b","c","d","e","é","É","E"]; IDX=["ka","kb","kc","kd","KA"]
TYPES = ["INT","BIGINT","VARCHAR(20)","VARCHAR(20) CHARACTER SET latin1","VARCHAR(20) CHARACTER SET utf8mb4","TEXT","INT NOT NULL DEFAULT 7",
         "INT UNIQUE", "VARCHAR(20) COLLATE latin1_bin", "INT CHECK (%s IS NULL OR %s > -5)", "INT INVISIBLE", "INT DEFAULT 3 COMMENT 'q'", "TIMESTAMP NULL"]
def pos():
    r = rnd.random()
    if r < 0.5: return ""
    if r < 0.65: return " FIRST"
    return " AFTER " + rnd.choice(["id"]+COLS)
def spec():
    k = rnd.randrange(26)
    n, m = rnd.choice(COLS), rnd.choice(COLS)
    t = rnd.choice(TYPES)
    if "%s" in t: t = t % (rnd.choice(COLS), rnd.choice(COLS))
    if k < 3: return "ADD " + rnd.choice(["","COLUMN "]) + rnd.choice(["","IF NOT EXISTS "]) + n + " " + t + pos()
    if k < 5: return "DROP " + rnd.choice(["","COLUMN "]) + rnd.choice(["","IF EXISTS "]) + n
    if k < 7: return "MODIFY " + n + " " + t + pos()
    if k < 9: return "CHANGE " + n + " " + m + " " + t + pos()
    if k < 10: return "RENAME COLUMN %s TO %s" % (n, m)
    if k < 11: return "ALTER %s SET DEFAULT %d" % (n, rnd.randrange(9)) if rnd.random()<.7 else "ALTER %s DROP DEFAULT" % n
    if k < 13: return "ADD %s %s (%s)" % (rnd.choice(["INDEX","UNIQUE","KEY"]), rnd.choice(IDX), n)
    if k < 14: return "DROP INDEX " + rnd.choice(IDX)
    if k < 15: return "RENAME INDEX %s TO %s" % (rnd.choice(IDX), rnd.choice(IDX))
    if k < 17: return rnd.choice(["DEFAULT CHARSET utf8mb4","DEFAULT CHARSET latin1","COLLATE latin1_bin","CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
                                  "CONVERT TO CHARACTER SET utf8mb4","CONVERT TO CHARACTER SET latin1","ENGINE=InnoDB","COMMENT 'x'","AUTO_INCREMENT=100", "FORCE", "ROW_FORMAT=DYNAMIC"])
    if k < 18: return "ADD CONSTRAINT ck%d CHECK (%s IS NULL OR %s <> 'zz')" % (rnd.randrange(2), n, n)
    if k < 19: return "DROP CONSTRAINT ck%d" % rnd.randrange(2)
    if k < 20: return "ADD %s INT AS (LENGTH(%s)) %s" % (n, m, rnd.choice(["VIRTUAL","STORED"]))
    if k < 21: return "ORDER BY " + n
    if k < 22: return "ADD PRIMARY KEY (%s)" % n if rnd.random() < .2 else "MODIFY %s %s NOT NULL" % (n, t.replace(" NOT NULL DEFAULT 7",""))
    if k < 23: return "ADD %s (%s)" % (rnd.choice(["INDEX","UNIQUE","KEY","FULLTEXT"]), n)
    if k < 24: return "ADD COLUMN (%s INT, %s %s)" % (n, m, rnd.choice(TYPES[:5]))
    if k < 25: return "ALTER INDEX %s %s" % (rnd.choice(IDX), rnd.choice(["IGNORED","NOT IGNORED"]))
    return rnd.choice(["DROP CHECK ck0", "ADD CONSTRAINT %s UNIQUE (%s)" % (rnd.choice(IDX), n), "DROP KEY IF EXISTS " + rnd.choice(IDX),
                       "ADD INDEX IF NOT EXISTS %s (%s)" % (rnd.choice(IDX), n), "RENAME KEY %s TO %s" % (rnd.choice(IDX), rnd.choice(IDX)),
                       "CHANGE COLUMN IF EXISTS %s %s INT" % (n, m), "MODIFY COLUMN IF EXISTS %s BIGINT" % n])
def reset(db):
    c.q("DROP DATABASE IF EXISTS %s" % db); c.q("CREATE DATABASE %s" % db); c.q("USE %s" % db)
    c.q("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c INT, KEY ka(a), KEY kb(b)) CHARSET latin1")
    c.q("INSERT INTO t VALUES (1,1,'x',1),(2,2,'y',NULL),(3,NULL,'\xe9',3)")
def state(db):
    c.q("USE %s" % db)
    return (c.q("SHOW CREATE TABLE t")[0][1].decode(), c.q("SELECT * FROM t ORDER BY id"))
found = 0; tried = 0
for it in range(N):
    specs = [spec() for _ in range(rnd.randrange(2,5))]
    stmt = "ALTER TABLE t " + ", ".join(specs)
    reset("xw")
    try: c.q(stmt)
    except my.Err as e: continue
    kind, items = split(stmt)
    if kind != 1: print("NOTDDL", stmt, items); continue
    tried += 1
    reset("xs")
    paused = None
    for s in items:
        try: c.q(s)
        except my.Err as e:
            if e.no in IGN: continue
            paused = e; break
    if paused: continue
    a, b = state("xw"), state("xs")
    if a != b:
        found += 1
        print("DIVERGE:", stmt); print("  items:", items)
        if a[0] != b[0]: print("  whole:", a[0].replace("\n"," ")); print("  split:", b[0].replace("\n"," "))
        else: print("  rows differ", a[1], b[1])
print("seed", seed, "tried", tried, "diverged", found)

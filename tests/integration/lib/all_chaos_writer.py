#!/usr/bin/env python3
# all_chaos_writer.py SEED STOPFILE [DELAY]: random INSERT/UPDATE/DELETE statements (many column
# types, key-less / unique-only / generated-column / trigger tables of database p) on stdout,
# piped into one mariadb client by tests/integration/long_all_chaos.sh; stops when STOPFILE exists.
import random, sys, time, os
seed = int(sys.argv[1]); stop = sys.argv[2]; delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.005
r = random.Random(seed)
def q(s): return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
def rnd_text():
    return r.choice(["", "a'b\\c", "\u00e9t\u00e9", "\U0001F600 emoji", "x" * r.randint(0, 300), "line\nbreak\ttab\r", "NULL"])
n = 0
while not os.path.exists(stop):
    op = r.randint(0, 99); i = r.randint(1, 3000)
    if op < 35:
        print("INSERT INTO p.types (ti,de,fl,db,bt,b1,dtm,ts,vc,lt,gb,bl,js,en,st) VALUES (%d,%s,%r,%r,%d,%d,'2023-03-%02d 10:11:12.%06d',FROM_UNIXTIME(%d.%06d),%s,%s,%s,UNHEX('%s'),JSON_OBJECT('k',%s),'%s','%s');" % (
            r.randint(-128,127), "%d.%06d" % (r.randint(-10**9,10**9), r.randint(0,999999)), round(r.random()*1e3, 2), r.random()*r.choice([1e-300,1,1e300]),
            r.randint(0, 2**13-1), r.randint(0,1), r.randint(1,28), r.randint(0,999999), r.randint(0, 2**31-1), r.randint(0,999999),
            q(rnd_text()), q(r.choice(["caf\u00e9", "", "abc"])), q(r.choice(["\u4e2d\u6587", "", "gbk\u5b57"])),
            os.urandom(r.randint(0, 64)).hex(), q(rnd_text()), r.choice(["a","b","",'c']), r.choice(["x","x,y","","z"])))
    elif op < 55:
        print("UPDATE p.types SET vc=%s, db=%r, ts=FROM_UNIXTIME(%d), bl=UNHEX('%s') WHERE id=%d;" % (q(rnd_text()), r.random(), r.randint(1, 2**31-1), os.urandom(r.randint(0,20)).hex(), i))
    elif op < 65:
        print("DELETE FROM p.types WHERE id=%d;" % i)
    elif op < 75:
        print("INSERT INTO p.nokey VALUES (%d, %s, %s);" % (r.randint(0, 20), q(r.choice(["dup", "", "x"])), r.choice(["NULL", "1.5", "2"])))
    elif op < 80:
        print("DELETE FROM p.nokey WHERE a=%d LIMIT 1;" % r.randint(0, 20))
    elif op < 85:
        print("UPDATE p.nokey SET b='upd' WHERE a=%d LIMIT 1;" % r.randint(0, 20))
    elif op < 92:
        print("INSERT INTO p.uk (u, v) VALUES (%d, %s) ON DUPLICATE KEY UPDATE v=VALUES(v);" % (r.randint(1, 4000), q(rnd_text()[:20])))
    elif op < 96:
        print("INSERT INTO p.gen (a, b) VALUES (%d, %d);" % (r.randint(0, 1000), r.randint(0, 1000)))
    elif op < 98:
        print("UPDATE p.dk SET k=k+1, s=%s WHERE id=%d;" % (q(rnd_text()[:40]), r.randint(1, 20000)))
    else:
        print("BEGIN; UPDATE p.gen SET a=a+1 WHERE id=%d; INSERT INTO p.trg (v) VALUES (%d); COMMIT;" % (i, i))
    n += 1
    if n % 20 == 0:
        sys.stdout.flush(); time.sleep(delay * 20)
sys.stdout.flush()

#!/usr/bin/env python3
# load_compare.py SRC_PORT DST_PORT DB: every table of DB equal on both servers row by row (the HEX of
# every column; FLOAT/DOUBLE as text, TIMESTAMP as its instant; sessions in UTC), the same tables and
# views; prints the differences (a few rows each) and exits 1 when any. Used by long_load_random.sh.
import subprocess, sys

def q(port, sql):
    r = subprocess.run(["mariadb", "-h127.0.0.1", "-P%s" % port, "-uroot", "-N", "-B",
                        "--default-character-set=utf8mb4", "-e",
                        "SET time_zone='+00:00'; SET SESSION group_concat_max_len=1<<30; " + sql],
                       capture_output=True)
    return None if r.returncode else r.stdout.decode("utf8", "replace")

sp, dp, dbn = sys.argv[1], sys.argv[2], sys.argv[3]
bad = 0
lst = "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema='%s' ORDER BY 1" % dbn
tabs, dtabs = q(sp, lst), q(dp, lst)
if tabs != dtabs:
    print("tables differ:\n src=%r\n dst=%r" % (tabs, dtabs))
    bad += 1
for line in (tabs or "").splitlines():
    t, ty = line.split("\t")
    if ty == "VIEW":
        continue
    cols = q(sp, "SELECT GROUP_CONCAT(CASE WHEN data_type IN ('float','double') THEN "
                 "CONCAT('IFNULL(CONCAT(`',REPLACE(column_name,'`','``'),'`),\"N\")') "
                 "WHEN data_type='timestamp' THEN CONCAT('IFNULL(UNIX_TIMESTAMP(`',REPLACE(column_name,'`','``'),'`),\"N\")') "
                 "ELSE CONCAT('IFNULL(HEX(`',REPLACE(column_name,'`','``'),'`),\"N\")') END "
                 "ORDER BY ordinal_position SEPARATOR ',\"|\",') FROM information_schema.columns "
                 "WHERE table_schema='%s' AND table_name='%s'" % (dbn, t.replace("'", "''"))).strip()
    sel = "SELECT CONCAT(%s) FROM `%s`.`%s`" % (cols, dbn, t.replace("`", "``"))
    a, b = q(sp, sel), q(dp, sel)
    if a is None or b is None or sorted(a.splitlines()) != sorted(b.splitlines()):
        bad += 1
        print("rows of %s.%s differ" % (dbn, t))
        sa, sb = set((a or "").splitlines()), set((b or "").splitlines())
        for x in sorted(sa - sb)[:3]:
            print("  source only:", x[:300])
        for x in sorted(sb - sa)[:3]:
            print("  target only:", x[:300])
sys.exit(1 if bad else 0)

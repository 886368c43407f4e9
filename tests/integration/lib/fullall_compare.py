#!/usr/bin/env python3
# fullall_compare.py SRC_PORT DST_PORT DB...: the databases equal on both servers: the same tables
# and views, every table's and view's rows (the HEX of every column, FLOAT/DOUBLE as text,
# TIMESTAMP as its instant, invisible columns too; sessions in UTC), SHOW CREATE TABLE (the
# AUTO_INCREMENT=N part compared on its own, as information_schema's counter). Prints the
# differences (a few rows each), exits 1 when any. Used by tests/integration/fullall/random.sh.
import re, subprocess, sys


def q(port, sql):
    r = subprocess.run(["mariadb", "-h127.0.0.1", "-P%s" % port, "-uroot", "-N", "-B", "-r",
                        "--default-character-set=utf8mb4", "-e",
                        "SET time_zone='+00:00'; SET SESSION group_concat_max_len=1<<30; " + sql],
                       capture_output=True)
    return None if r.returncode else r.stdout.decode("utf8", "replace")


def lit(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def qi(n):
    return "`" + n.replace("`", "``") + "`"


sp, dp = sys.argv[1], sys.argv[2]
bad = 0
for dbn in sys.argv[3:]:
    lst = ("SELECT table_name, table_type, IFNULL(auto_increment, 'N') FROM information_schema.tables "
           "WHERE table_schema=%s ORDER BY BINARY table_name" % lit(dbn))
    tabs, dtabs = q(sp, lst), q(dp, lst)
    if tabs != dtabs:
        print("tables of %s differ (name, type, AUTO_INCREMENT):\n src=%r\n dst=%r" % (dbn, tabs, dtabs))
        bad += 1
    for line in (tabs or "").splitlines():
        t, ty, _ = line.split("\t")
        if ty != "VIEW":
            sc = "SHOW CREATE TABLE %s.%s" % (qi(dbn), qi(t))
            a, b = q(sp, sc), q(dp, sc)
            strip = lambda x: re.sub(r" AUTO_INCREMENT=\d+", "", x or "")
            if strip(a) != strip(b):
                bad += 1
                print("SHOW CREATE TABLE %s.%s differs:\n src=%s\n dst=%s" % (dbn, t, a, b))
        cols = q(sp, "SELECT GROUP_CONCAT(CASE WHEN data_type IN ('float','double') THEN "
                     "CONCAT('IFNULL(CONCAT(`',REPLACE(column_name,'`','``'),'`),\"N\")') "
                     "WHEN data_type='timestamp' THEN CONCAT('IFNULL(UNIX_TIMESTAMP(`',REPLACE(column_name,'`','``'),'`),\"N\")') "
                     "ELSE CONCAT('IFNULL(HEX(`',REPLACE(column_name,'`','``'),'`),\"N\")') END "
                     "ORDER BY ordinal_position SEPARATOR ',\"|\",') FROM information_schema.columns "
                     "WHERE table_schema=%s AND BINARY table_name=%s" % (lit(dbn), lit(t))).strip()
        sel = "SELECT CONCAT(%s) FROM %s.%s" % (cols, qi(dbn), qi(t))
        a, b = q(sp, sel), q(dp, sel)
        if a is None or b is None or sorted(a.splitlines()) != sorted(b.splitlines()):
            bad += 1
            print("rows of %s.%s differ (%s / %s rows)" % (dbn, t, len((a or "").splitlines()), len((b or "").splitlines())))
            sa, sb = sorted((a or "").splitlines()), sorted((b or "").splitlines())
            for x in [x for x in sa if x not in sb][:3]:
                print("  source only:", x[:400])
            for x in [x for x in sb if x not in sa][:3]:
                print("  target only:", x[:400])
sys.exit(1 if bad else 0)

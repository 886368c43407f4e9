#!/usr/bin/env bash
# load.sh - the Load unit against myloader on the SAME mydumper output, same thread count,
# empty target each time; plus dump+load (task-mode full) against mydumper + myloader, and
# dm-worker's peak RSS. Not a test: prints numbers and ratios (goal: load >= 1.2x myloader).
# myloader runs twice: as it defaults (SET SQL_LOG_BIN=0: the target's binlog skipped) and
# with -e (binlog written, the same work as the Load unit, which like DM's loader never
# turns the target's binlog off); the goal is against the second, both are printed.
#   scripts/bench/load.sh [--quick]          # default 1,000,000 rows (~265 MB), quick 100,000
# Env: BENCH_LOAD_ROWS, BENCH_LOAD_THREADS (4), BENCH_PORT_BASE (29100; uses +60..+69);
# DMGW_LOAD_TXN_BYTES reaches dm-worker (file bytes per Load transaction).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROWS="${BENCH_LOAD_ROWS:-1000000}"; TH="${BENCH_LOAD_THREADS:-4}"
[ "${1:-}" = "--quick" ] && ROWS="${BENCH_LOAD_ROWS:-100000}"
bench_init load
bench_need mydumper myloader mariadb
bench_bins worker master dmctl
P=$(( ${BENCH_PORT_BASE:-29100} + 60 ))
SPORT=$P; TPORT=$((P + 1)); WPORT=$((P + 2)); MPORT=$((P + 3))
bench_mariadb src "$SPORT" 1
bench_mariadb dst "$TPORT" 2
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

blog "source: $ROWS rows"
sql src -e "CREATE DATABASE bl; CREATE TABLE bl.t (id INT PRIMARY KEY, a INT, s VARCHAR(100),
  t TEXT, d DATETIME, KEY(a)) CHARSET utf8mb4;
  INSERT INTO bl.t SELECT seq, seq % 1000, CONCAT('name-', seq, '-', MD5(seq)),
  REPEAT(MD5(seq), 6), '2020-01-01' + INTERVAL seq SECOND FROM bl.seq_1_to_$ROWS;
  CREATE TABLE bl.small (id INT PRIMARY KEY, v VARCHAR(20));
  INSERT INTO bl.small SELECT seq, 'v' FROM bl.seq_1_to_1000;"

DUMP="$BENCH_DIR/dump"
t0=$(now)
mydumper -h 127.0.0.1 -P "$SPORT" -u root -o "$DUMP" -t "$TH" --rows 50000 -x '^bl\.' -v 1
T_DUMP=$(secs "$t0" "$(now)")
MB=$(du -sm --apparent-size "$DUMP" | cut -f1)
blog "mydumper: ${T_DUMP}s, $MB MB"

reset_target() { sql dst -e "DROP DATABASE IF EXISTS bl; DROP DATABASE IF EXISTS dm_meta;"; }

# run_myloader [extra args]: seconds to restore the dump into an empty target
run_myloader() {
  local t0
  reset_target
  t0=$(now)
  myloader -h 127.0.0.1 -P "$TPORT" -u root -d "$DUMP" -t "$TH" -o -v 1 "$@"
  [ "$(sql dst -N -e 'SELECT COUNT(*) FROM bl.t')" = "$ROWS" ] || bdie "myloader row count"
  secs "$t0" "$(now)"
}
T_MYL_NOBIN=$(run_myloader)
blog "myloader (no target binlog, its default): ${T_MYL_NOBIN}s"
T_MYL=$(run_myloader -e)
blog "myloader -e (target binlog written, as by the Load unit): ${T_MYL}s"

bench_worker worker "$WPORT" bench-load-src 4601 "$SPORT"
WPID=$LAST_PID
bench_master "$MPORT" "bench-load-src=$WPORT"
# task <name> <extra yaml for the instance's loader> : full-mode task, time to Finished
run_full() {
  local name="$1" import="$2" t0 out
  cat >"$BENCH_DIR/$name.yaml" <<YAML
name: "$name"
task-mode: "full"
target-database: {host: "127.0.0.1", port: $TPORT, user: "root", password: ""}
mysql-instances:
  - source-id: "bench-load-src"
    black-white-list: "bl"
    mydumper: {threads: $TH, chunk-filesize: 64, skip-tz-utc: true, extra-args: "--rows 50000"}
    loader: {pool-size: $TH, dir: "$BENCH_DIR/ours"}
black-white-list:
  bl: {do-dbs: ["bl"]}
YAML
  if [ -n "$import" ]; then
    # DM v1.0's master has no import-dir: put the dump where the worker keeps it and mark
    # the Load as begun (a loader checkpoint row), so the worker resumes Load, not Dump
    mkdir -p "$BENCH_DIR/ours.$name"; rm -rf "$BENCH_DIR/ours.$name/$name.bench-load-src"
    cp -r "$import" "$BENCH_DIR/ours.$name/$name.bench-load-src"
    sql dst -e "CREATE DATABASE IF NOT EXISTS dm_meta; CREATE TABLE dm_meta.${name}_loader_checkpoint (
      id char(32) NOT NULL, filename varchar(255) NOT NULL, cp_schema varchar(128) NOT NULL,
      cp_table varchar(128) NOT NULL, \`offset\` bigint NOT NULL, end_pos bigint NOT NULL,
      create_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
      update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      UNIQUE KEY uk_id_f (id,filename));
      INSERT INTO dm_meta.${name}_loader_checkpoint VALUES ('bench-load-src','bench-marker','','',0,0,NOW(),NOW());"
  fi
  t0=$(now)
  bench_start_task "$MPORT" "$BENCH_DIR/$name.yaml"
  for _ in $(seq 1 36000); do
    out="$("$DMCTL" -master-addr "127.0.0.1:$MPORT" query-status "$name" 2>&1 || true)"
    case "$out" in
      *'"stage": "Finished"'*) break;;
      *auto-resume*) ;;   # a hung mydumper killed by the Dump unit: auto-resume dumps again
      *'"stage": "Paused"'*) bdie "$name paused: ${out:0:800}";;
    esac
    sleep 0.2
  done
  secs "$t0" "$(now)"
  "$DMCTL" -master-addr "127.0.0.1:$MPORT" stop-task "$name" >/dev/null 2>&1 || true
}

reset_target
T_OURS=$(run_full loadonly "$DUMP")
[ "$(sql dst -N -e 'SELECT COUNT(*) FROM bl.t')" = "$ROWS" ] || bdie "our load row count"
RSS_LOAD=$(awk '/VmHWM/{print $2}' "/proc/$WPID/status")
blog "dm-worker load (same dump): ${T_OURS}s, peak RSS $RSS_LOAD KiB"
reset_target
T_ALL=$(run_full dumpload "")
[ "$(sql dst -N -e 'SELECT COUNT(*) FROM bl.t')" = "$ROWS" ] || bdie "our dump+load row count"
RSS=$(awk '/VmHWM/{print $2}' "/proc/$WPID/status")
blog "dm-worker dump+load: ${T_ALL}s, peak RSS $RSS KiB"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0) printf "%.2f", b / a; else print "-" }'; }
mbs() { awk -v m="$MB" -v s="$1" 'BEGIN{printf "%.1f", m / s}'; }
rps() { awk -v r="$ROWS" -v s="$1" 'BEGIN{printf "%.0f", r / s}'; }
R=$(ratio "$T_OURS" "$T_MYL"); R0=$(ratio "$T_OURS" "$T_MYL_NOBIN"); R2=$(ratio "$T_ALL" "$(awk -v a="$T_DUMP" -v b="$T_MYL" 'BEGIN{print a+b}')")
verdict() { awk -v r="$1" -v g="$2" 'BEGIN{ print (r >= g) ? "OK" : "MISS" }'; }
row() { echo "$*"; [ -n "${BENCH_RESULTS:-}" ] && echo "$*" >>"$BENCH_RESULTS"; return 0; }
row "load|Load unit vs myloader -e ($TH threads, $MB MB, $ROWS rows, target binlog on for both)|$(mbs "$T_OURS") MB/s, $(rps "$T_OURS") rows/s|${T_OURS}s|myloader -e $(mbs "$T_MYL") MB/s, $(rps "$T_MYL") rows/s (${T_MYL}s)|$R|>= 1.2|$(verdict "$R" 1.2)"
row "load|Load unit vs myloader as it defaults (no target binlog)|$(mbs "$T_OURS") MB/s|${T_OURS}s|myloader $(mbs "$T_MYL_NOBIN") MB/s (${T_MYL_NOBIN}s)|$R0|-|-"
row "load|task-mode full (dump+load) vs mydumper+myloader|${T_ALL}s|s|${T_DUMP}s + ${T_MYL}s|$R2|>= 1.0|$(verdict "$R2" 1.0)"
row "load|dm-worker peak RSS during the load|$((RSS_LOAD / 1024))|MiB||||"
row "load|dm-worker peak RSS during dump+load|$((RSS / 1024))|MiB||||"

#!/usr/bin/env bash
# load.sh - the Load unit against myloader on the SAME mydumper output, same thread count,
# empty target each time; plus dump+load (task-mode full) against mydumper + myloader, and
# dm-worker's peak RSS. Not a test: prints numbers and ratios (goal: load >= 1.2x myloader).
# Runs interleave (ours, myloader -e, ours with keys in the CREATE, myloader) RUNS times so
# the box's noise hits all of them; medians and ratios of medians are printed, and the
# target server's CPU seconds per load (user+sys of its mariadbd: the work, whatever the
# box load). myloader -e writes the target's binlog as the Load unit does (DM's loader never
# turns it off); myloader as it defaults skips it (SET SQL_LOG_BIN=0). Two dm-workers:
# one as it ships, one with DMGW_LOAD_DEFER_KEYS=0 (plain KEYs in the CREATE, DM's way).
#   scripts/bench/load.sh [--quick]          # default 1,000,000 rows (~265 MB), quick 100,000
# Env: BENCH_LOAD_ROWS, BENCH_LOAD_THREADS (4), BENCH_LOAD_RUNS (3), BENCH_PORT_BASE (29100;
# uses +60..+69); DMGW_LOAD_TXN_BYTES reaches both dm-workers.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROWS="${BENCH_LOAD_ROWS:-1000000}"; TH="${BENCH_LOAD_THREADS:-4}"; RUNS="${BENCH_LOAD_RUNS:-3}"
[ "${1:-}" = "--quick" ] && ROWS="${BENCH_LOAD_ROWS:-100000}"
bench_init load
bench_need mydumper myloader mariadb
bench_bins worker master dmctl
P=$(( ${BENCH_PORT_BASE:-29100} + 60 ))
SPORT=$P; TPORT=$((P + 1)); WPORT=$((P + 2)); MPORT=$((P + 3)); WPORT2=$((P + 4))
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

TPID=$(cat "$BENCH_DIR/dst/mysqld.pid")
# run_myloader [extra args]: "seconds server-cpu-seconds" to restore the dump into an empty target
run_myloader() {
  local t0 c0
  reset_target
  c0=$(proc_cpu_ticks "$TPID"); t0=$(now)
  myloader -h 127.0.0.1 -P "$TPORT" -u root -d "$DUMP" -t "$TH" -o -v 1 "$@"
  echo "$(secs "$t0" "$(now)") $(cpu_s "$c0" "$(proc_cpu_ticks "$TPID")")"
  [ "$(sql dst -N -e 'SELECT COUNT(*) FROM bl.t')" = "$ROWS" ] || bdie "myloader row count"
}

bench_worker worker "$WPORT" bench-load-src 4601 "$SPORT"
WPID=$LAST_PID
DMGW_LOAD_DEFER_KEYS=0 bench_worker worker2 "$WPORT2" bench-load-src2 4602 "$SPORT"
bench_master "$MPORT" "bench-load-src=$WPORT" "bench-load-src2=$WPORT2"
# run_full <name> <dump dir to import or ""> [source-id]: full-mode task, "seconds server-cpu"
# to Finished
run_full() {
  local name="$1" import="$2" sid="${3:-bench-load-src}" t0 c0 out
  cat >"$BENCH_DIR/$name.yaml" <<YAML
name: "$name"
task-mode: "full"
target-database: {host: "127.0.0.1", port: $TPORT, user: "root", password: ""}
mysql-instances:
  - source-id: "$sid"
    black-white-list: "bl"
    mydumper: {threads: $TH, chunk-filesize: 64, skip-tz-utc: true, extra-args: "--rows 50000"}
    loader: {pool-size: $TH, dir: "$BENCH_DIR/ours"}
black-white-list:
  bl: {do-dbs: ["bl"]}
YAML
  if [ -n "$import" ]; then
    # DM v1.0's master has no import-dir: put the dump where the worker keeps it and mark
    # the Load as begun (a loader checkpoint row), so the worker resumes Load, not Dump
    mkdir -p "$BENCH_DIR/ours.$name"; rm -rf "$BENCH_DIR/ours.$name/$name.$sid"
    cp -r "$import" "$BENCH_DIR/ours.$name/$name.$sid"
    sql dst -e "CREATE DATABASE IF NOT EXISTS dm_meta; CREATE TABLE dm_meta.${name}_loader_checkpoint (
      id char(32) NOT NULL, filename varchar(255) NOT NULL, cp_schema varchar(128) NOT NULL,
      cp_table varchar(128) NOT NULL, \`offset\` bigint NOT NULL, end_pos bigint NOT NULL,
      create_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
      update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      UNIQUE KEY uk_id_f (id,filename));
      INSERT INTO dm_meta.${name}_loader_checkpoint VALUES ('$sid','bench-marker','','',0,0,NOW(),NOW());"
  fi
  c0=$(proc_cpu_ticks "$TPID"); t0=$(now)
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
  echo "$(secs "$t0" "$(now)") $(cpu_s "$c0" "$(proc_cpu_ticks "$TPID")")"
  "$DMCTL" -master-addr "127.0.0.1:$MPORT" stop-task "$name" >/dev/null 2>&1 || true
  rm -rf "$BENCH_DIR/ours.$name"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{ if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
declare -A T C
check_rows() { [ "$(sql dst -N -e 'SELECT COUNT(*) FROM bl.t')" = "$ROWS" ] || bdie "$1 row count"; }
keys_ok() { [ "$(sql dst -N -e "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA='bl' AND TABLE_NAME='t'")" = 2 ] || bdie "$1: bl.t lacks its KEY"; }
for i in $(seq 1 "$RUNS"); do
  for v in ours myle nodefer myl; do
    case $v in
      ours) reset_target; o=$(run_full "load$i" "$DUMP"); read -r t c <<<"$o"; check_rows ours; keys_ok ours;;
      myle) o=$(run_myloader -e); read -r t c <<<"$o";;
      nodefer) reset_target; o=$(run_full "nodefer$i" "$DUMP" bench-load-src2); read -r t c <<<"$o"
               check_rows nodefer; keys_ok nodefer;;
      myl) o=$(run_myloader); read -r t c <<<"$o";;
    esac
    T[$v]+="$t "; C[$v]+="$c "
    blog "run $i $v: ${t}s, target mariadbd CPU ${c}s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
RSS_LOAD=$(awk '/VmHWM/{print $2}' "/proc/$WPID/status")
# per round: myloader -e time / ours (the pair ran back to back), then their median
RR=$(paste -d' ' <(tr ' ' '\n' <<<"${T[ours]}" | grep .) <(tr ' ' '\n' <<<"${T[myle]}" | grep .) |
  awk '{printf "%.2f ", $2 / $1}')
declare -A MT MC
for v in ours myle nodefer myl; do MT[$v]=$(median <<<"${T[$v]}"); MC[$v]=$(median <<<"${C[$v]}"); done
reset_target
o=$(run_full dumpload ""); read -r T_ALL _ <<<"$o"
check_rows "dump+load"
RSS=$(awk '/VmHWM/{print $2}' "/proc/$WPID/status")
blog "dm-worker dump+load: ${T_ALL}s, peak RSS $RSS KiB"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0) printf "%.2f", b / a; else print "-" }'; }
mbs() { awk -v m="$MB" -v s="$1" 'BEGIN{printf "%.1f", m / s}'; }
rps() { awk -v r="$ROWS" -v s="$1" 'BEGIN{printf "%.0f", r / s}'; }
R=$(ratio "${MT[ours]}" "${MT[myle]}"); R0=$(ratio "${MT[ours]}" "${MT[myl]}"); RN=$(ratio "${MT[ours]}" "${MT[nodefer]}")
RC=$(ratio "${MC[ours]}" "${MC[myle]}")
R2=$(ratio "$T_ALL" "$(awk -v a="$T_DUMP" -v b="${MT[myle]}" 'BEGIN{print a+b}')")
verdict() { awk -v r="$1" -v g="$2" 'BEGIN{ print (r >= g) ? "OK" : "MISS" }'; }
row() { echo "$*"; [ -n "${BENCH_RESULTS:-}" ] && echo "$*" >>"$BENCH_RESULTS"; return 0; }
for v in ours myle nodefer myl; do
  row "load|runs $v|${T[$v]}s|target CPU ${C[$v]}s"
done
row "load|Load unit vs myloader -e ($TH threads, $MB MB, $ROWS rows, target binlog on for both; medians of $RUNS)|$(mbs "${MT[ours]}") MB/s, $(rps "${MT[ours]}") rows/s|${MT[ours]}s|myloader -e $(mbs "${MT[myle]}") MB/s, $(rps "${MT[myle]}") rows/s (${MT[myle]}s)|$R|>= 1.2|$(verdict "$R" 1.2)"
row "load|per round: myloader -e time / Load unit time|$RR|median $(median <<<"$RR")|||>= 1.2|$(verdict "$(median <<<"$RR")" 1.2)"
row "load|target mariadbd CPU: Load unit vs myloader -e (medians)|${MC[ours]}s|s|${MC[myle]}s|$RC|-|-"
row "load|Load unit vs itself with keys in the CREATE (DMGW_LOAD_DEFER_KEYS=0)|${MT[ours]}s|s|${MT[nodefer]}s (CPU ${MC[nodefer]}s)|$RN|-|-"
row "load|Load unit vs myloader as it defaults (no target binlog)|$(mbs "${MT[ours]}") MB/s|${MT[ours]}s|myloader $(mbs "${MT[myl]}") MB/s (${MT[myl]}s, CPU ${MC[myl]}s)|$R0|-|-"
row "load|task-mode full (dump+load) vs mydumper+myloader -e|${T_ALL}s|s|${T_DUMP}s + ${MT[myle]}s|$R2|>= 1.0|$(verdict "$R2" 1.0)"
row "load|dm-worker peak RSS during the loads|$((RSS_LOAD / 1024))|MiB||||"
row "load|dm-worker peak RSS during dump+load|$((RSS / 1024))|MiB||||"

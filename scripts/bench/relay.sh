#!/usr/bin/env bash
# relay.sh - the relay unit against native MariaDB replication (same box, same run).
# One source MariaDB gets a pre-generated binlog from a fresh file: bulk rows (INSERT ...
# SELECT in 10,000-row transactions: large ROWS events) then sysbench oltp_write_only for
# T s (small transactions), then a marker DDL. Nothing writes while anything is measured.
#   (a) relay write: the native replica's IO thread only (CHANGE MASTER TO <first file>, 4;
#       START SLAVE IO_THREAD) vs dm-worker's relay writer (fresh relay-dir,
#       relay-binlog-name = <first file>), one after the other; time until each has the
#       source's end position (replica: Read_Master_Log_Pos; relay: the size of its copy of
#       the last file = written, relay.meta at the end position = durable); MB/s of the
#       binlog bytes; ratio relay / IO thread (goal >= 1.0). dm-worker's time includes its
#       process start (the IO thread's its START SLAVE).
#   (b) sync apply from the relay: the same binlog applied to a target reset to the state
#       at the first file, by a subtask of binlog-type local (reads the relay written in
#       (a)) and one of binlog-type remote (reads the source), one after the other, started
#       directly on dm-worker (dmgw-worker-call StartSubTask; dm-master always sends local);
#       time until the marker table exists on the target (a DDL: every earlier row is
#       applied) and CHECKSUM TABLE equals the source's; ratio remote time / local time
#       (goal >= 0.9: local at least 0.9x as fast). Odd rounds run local first, even rounds
#       remote first (the first apply after the relay writes meets their writeback); the
#       all-rounds row compares the sums.
# Per case also the CPU seconds of the consumer and /proc/loadavg (the box is shared).
#
# Usage: scripts/bench/relay.sh [--quick] [--rows N] [-T SECONDS] [--rounds N] [--no-apply]
#   default 1,000,000 bulk rows (~290 MB of binlog with the sysbench part), T=20;
#   --quick 100,000 rows, T=3, 2 rounds (seconds each: a smoke). Ports BENCH_PORT_BASE+270..279.
#   BENCH_RELAY_PERF=1: perf record dm-worker during each apply (with BENCH_KEEP=1).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=1000000; T=20; ROUNDS=1; APPLY=1; TABLES=4; TSIZE=10000; MAXWAIT=600
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) ROWS=100000; T=3; TSIZE=2000; MAXWAIT=180; ROUNDS=2; shift;;
    --rows) ROWS="$2"; shift 2;;
    -T) T="$2"; shift 2;;
    --rounds) ROUNDS="$2"; shift 2;;
    --no-apply) APPLY=0; shift;;
    -h|--help) sed -n "2,27p" "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

bench_init relay
bench_need sysbench mariadb mariadb-dump jq cmp
bench_bins worker
CALL="$(bench_find_bin dmgw-worker-call "${DMGW_BENCH_BIN:-}" "${DMGW_BIN:-}" \
  "$BENCH_ROOT/build-bench/bin" "$BENCH_ROOT/build/bin")" \
  || bdie "dmgw-worker-call not built (cmake --build build-bench --target dmgw-worker-call)"
P=$(( BENCH_PORT_BASE + 270 ))
SPORT=$P; NPORT=$((P + 1)); TPORT=$((P + 2)); WPORT=$((P + 3))
SB=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$SPORT" --mysql-user=root
    --mysql-db=sbtest --tables="$TABLES" --table-size="$TSIZE")
RELAY="$BENCH_DIR/relay_log"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN{ if (s == "timeout" || s+0 <= 0) print "n/a"; else printf "%.1f", b/1048576/s }'; }
deadline() { awk -v n="$(date +%s)" -v m="$MAXWAIT" 'BEGIN{printf "%d", n+m}'; }

tables_list() {
  local t list="bl.t"
  for t in $(seq 1 "$TABLES"); do list="$list, sbtest.sbtest$t"; done
  printf '%s' "$list"
}
checksum() { sql "$1" -N -e "CHECKSUM TABLE $(tables_list)" 2>/dev/null | awk '{printf "%s ", $2}'; }

setup() {
  blog "sandboxes: source :$SPORT, native replica :$NPORT, target :$TPORT; dm-worker :$WPORT"
  bench_mariadb source "$SPORT" 701
  bench_mariadb native "$NPORT" 702
  bench_mariadb target "$TPORT" 703
  sql source -e "CREATE DATABASE sbtest; CREATE DATABASE bl;
    CREATE TABLE bl.t (id INT PRIMARY KEY, a INT, s VARCHAR(100), t TEXT, d DATETIME, KEY(a))"
  sysbench oltp_common "${SB[@]}" prepare >"$BENCH_DIR/prepare.log" 2>&1 || bdie "sysbench prepare failed"
  mariadb-dump --socket="$BENCH_DIR/source/mysqld.sock" -uroot --databases sbtest bl \
    >"$BENCH_DIR/start.sql"
  sql source -e "FLUSH BINARY LOGS"
  read -r F0 P0 < <(sql source -N -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
  blog "generating the binlog from ($F0, $P0): $ROWS bulk rows, then sysbench oltp_write_only ${T}s"
  local t0 i n=10000; t0="$(now)"
  for (( i = 1; i <= ROWS; i += n )); do
    local hi=$(( i + n - 1 )); [ "$hi" -gt "$ROWS" ] && hi=$ROWS
    sql source -e "INSERT INTO bl.t SELECT seq, seq % 1000, CONCAT('name-', seq, '-', MD5(seq)),
      REPEAT(MD5(seq), 6), '2020-01-01' + INTERVAL seq SECOND FROM bl.seq_${i}_to_${hi}"
  done
  sysbench oltp_write_only "${SB[@]}" --threads=2 --time="$T" --report-interval=0 run \
    >"$BENCH_DIR/sysbench.log" 2>&1 || bdie "sysbench run failed"
  sql source -e "CREATE TABLE bl.end_marker (id INT)"
  read -r FE PE < <(sql source -N -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
  BYTES="$(sql source -N -e "SHOW BINARY LOGS" | awk -v f="$F0" -v fe="$FE" -v pe="$PE" '
    $1 >= f { b += ($1 == fe ? pe : $2) - 4 } END { printf "%d", b }')"
  NFILES="$(sql source -N -e "SHOW BINARY LOGS" | awk -v f="$F0" '$1 >= f' | wc -l)"
  WANT="$(checksum source)"
  blog "binlog ($F0, 4) .. ($FE, $PE): $BYTES bytes in $NFILES file(s), generated in $(elapsed "$t0" "$(now)") s"
  result "binlog_bytes" "$(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1048576}')" "MB"
  result "sysbench_tps(${T}s,2thr)" "$(awk '/transactions:/{gsub("\\(","",$3); print $3}' "$BENCH_DIR/sysbench.log")" "txn/s"
}

# ---- (a) relay write vs the IO thread ----

native_pos() {
  sql native -e "SHOW SLAVE STATUS\G" | awk '/ Master_Log_File:/{f=$2} / Read_Master_Log_Pos:/{p=$2}
    / Last_IO_Error:/{sub(/^ *Last_IO_Error: */,""); e=$0} END{print f ":" p ":" e}'
}

# native_round -> sets N_T N_CPU
native_round() {
  local pid c0 t0 st dl
  sql native -e "STOP SLAVE; RESET SLAVE ALL;
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$SPORT, MASTER_USER='root',
    MASTER_PASSWORD='', MASTER_LOG_FILE='$F0', MASTER_LOG_POS=4, MASTER_USE_GTID=no"
  pid="$(cat "$BENCH_DIR/native/mysqld.pid")"; c0="$(proc_cpu_ticks "$pid")"
  dl="$(deadline)"; t0="$(now)"
  sql native -e "START SLAVE IO_THREAD"
  N_T=timeout
  while [ "$(date +%s)" -lt "$dl" ]; do
    st="$(native_pos)"
    [ "${st%:*}" = "$FE:$PE" ] && { N_T="$(elapsed "$t0" "$(now)")"; break; }
    case "$st" in *:*:?*) bdie "replica IO thread: ${st#*:*:}";; esac
    sleep 0.02
  done
  N_CPU="$(cpu_s "$c0" "$(proc_cpu_ticks "$pid")")"
  sql native -e "STOP SLAVE IO_THREAD"
}

worker_toml() {
  mkdir -p "$BENCH_DIR/worker"
  cat >"$BENCH_DIR/worker/dm-worker.toml" <<TOML
worker-addr = "127.0.0.1:$WPORT"
source-id = "bench-relay-src"
server-id = 7501
flavor = "mariadb"
meta-dir = "$BENCH_DIR/worker/meta"
relay-dir = "$RELAY"
relay-binlog-name = "$F0"
log-level = "warn"

[from]
host = "127.0.0.1"
port = $SPORT
user = "root"
password = ""
TOML
}

relay_size() { stat -c %s "$RELAY"/*/"$FE" 2>/dev/null | head -1; }
relay_meta_at_end() {
  grep -q "binlog-name = \"$FE\"" "$RELAY"/*/relay.meta 2>/dev/null &&
    grep -q "binlog-pos = $PE\$" "$RELAY"/*/relay.meta 2>/dev/null
}

# dm_round -> sets D_T (written) D_TM (relay.meta) D_CPU; the worker keeps running (WORKER_PID)
dm_round() {
  local t0 dl
  [ -n "${WORKER_PID:-}" ] && bench_stop_pid "$WORKER_PID"
  rm -rf "$RELAY" "$BENCH_DIR/worker/meta"
  worker_toml
  dl="$(deadline)"; t0="$(now)"
  "$WORKER" -config "$BENCH_DIR/worker/dm-worker.toml" >>"$BENCH_DIR/worker.log" 2>&1 </dev/null &
  WORKER_PID=$!; BENCH_PIDS+=("$WORKER_PID")
  D_T=timeout; D_TM=timeout
  while [ "$(date +%s)" -lt "$dl" ]; do
    [ "$D_T" = timeout ] && [ "$(relay_size)" = "$PE" ] && D_T="$(elapsed "$t0" "$(now)")"
    relay_meta_at_end && { D_TM="$(elapsed "$t0" "$(now)")"; break; }
    kill -0 "$WORKER_PID" 2>/dev/null || bdie "dm-worker exited (log $BENCH_DIR/worker.log)"
    sleep 0.02
  done
  D_CPU="$(cpu_s 0 "$(proc_cpu_ticks "$WORKER_PID")")"
}

# The relay's copy must be the source's bytes (the FDE of the source's active file may
# differ: its "in use" flag and checksum).
verify_relay() {
  local f n size diff total=0
  for f in $(sql source -N -e "SHOW BINARY LOGS" | awk -v f="$F0" '$1 >= f {print $1}'); do
    n="$(stat -c %s "$BENCH_DIR/source/data/$f")"; [ "$f" = "$FE" ] && n="$PE"
    size="$(stat -c %s "$RELAY"/*/"$f" 2>/dev/null | head -1)"
    [ "$size" = "$n" ] || bdie "relay copy of $f has ${size:-no} bytes, the source $n"
    diff="$( { cmp -l -n "$n" "$BENCH_DIR/source/data/$f" "$RELAY"/*/"$f" 2>/dev/null || true; } | wc -l)"
    total=$(( total + diff ))
  done
  [ "$total" -le 8 ] || bdie "relay files differ from the source's in $total bytes"
  result "relay_bytes_differing_from_source" "$total" "bytes" "" "" "<= 8 (FDE in-use flag)" PASS
}

relay_write() {
  local r ns=() ds=() dms=() nc=() dc=()
  for r in $(seq 1 "$ROUNDS"); do
    local l0; l0="$(loadavg)"
    native_round; dm_round
    blog "round $r: IO thread ${N_T}s (cpu ${N_CPU}s); relay written ${D_T}s, relay.meta ${D_TM}s (cpu ${D_CPU}s); load $l0 -> $(loadavg)"
    ns+=("$N_T"); ds+=("$D_T"); dms+=("$D_TM"); nc+=("$N_CPU"); dc+=("$D_CPU")
  done
  verify_relay
  local i=$(( ROUNDS - 1 ))   # the last round (rounds: printed above)
  local n_mb d_mb dm_mb
  n_mb="$(mbps "$BYTES" "${ns[$i]}")"; d_mb="$(mbps "$BYTES" "${ds[$i]}")"; dm_mb="$(mbps "$BYTES" "${dms[$i]}")"
  result "write_native_io_thread" "${ns[$i]}" "s" "" "" "" ""
  result "write_relay" "${ds[$i]}" "s" "${ns[$i]}"
  result "write_relay_MBps" "$d_mb" "MB/s" "$n_mb" "$(ratio "$d_mb" "$n_mb")" ">= 1.0x" \
    "$(verdict "$(ratio "$d_mb" "$n_mb")" '>=' 1.0)"
  result "write_relay_durable_MBps(relay.meta)" "$dm_mb" "MB/s" "$n_mb" "$(ratio "$dm_mb" "$n_mb")"
  result "write_cpu_dm_worker" "${dc[$i]}" "s" "${nc[$i]}"
  result "write_loadavg_end" "$(loadavg)" ""
}

# ---- (b) sync apply: local (relay) vs remote (source) ----

subtask_toml() { # name type
  cat <<TOML
name = "$1"
mode = "incremental"
source-id = "bench-relay-src"
meta-schema = "dm_meta"
binlog-type = "$2"
[meta]
binlog-name = "$F0"
binlog-pos = $P0
[to]
host = "127.0.0.1"
port = $TPORT
user = "root"
password = ""
[black-white-list]
do-dbs = ["sbtest", "bl"]
TOML
}

wcall() { "$CALL" --addr "127.0.0.1:$WPORT" "$@"; }

reset_target() {
  sql target -e "DROP DATABASE IF EXISTS sbtest; DROP DATABASE IF EXISTS bl; DROP DATABASE IF EXISTS dm_meta"
  sql target <"$BENCH_DIR/start.sql"
}

marker_on_target() {
  [ "$(sql target -N -e "SELECT COUNT(*) FROM information_schema.tables
        WHERE table_schema='bl' AND table_name='end_marker'" 2>/dev/null)" = 1 ]
}

# apply_case <local|remote> <round> -> sets A_T A_CPU
apply_case() {
  local type="$1" name="rb-$1-$2" t0 c0 dl out
  reset_target
  subtask_toml "$name" "$type" | jq -Rs '{task: .}' >"$BENCH_DIR/$name.json"
  local perf_pid=""
  if [ -n "${BENCH_RELAY_PERF:-}" ]; then   # profile dm-worker during each apply
    perf record -F 499 -g -p "$WORKER_PID" -o "$BENCH_DIR/perf-$name.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  c0="$(proc_cpu_ticks "$WORKER_PID")"; dl="$(deadline)"; t0="$(now)"
  out="$(wcall StartSubTask "@$BENCH_DIR/$name.json")" || bdie "StartSubTask $name failed"
  printf '%s' "$out" | tr -d ' \n' | grep -q '"result":true' || bdie "StartSubTask $name: $out"
  A_T=timeout
  while [ "$(date +%s)" -lt "$dl" ]; do
    if marker_on_target && [ "$(checksum target)" = "$WANT" ]; then
      A_T="$(elapsed "$t0" "$(now)")"; break
    fi
    sleep 0.05
  done
  A_CPU="$(cpu_s "$c0" "$(proc_cpu_ticks "$WORKER_PID")")"
  if [ -n "$perf_pid" ]; then
    kill -TERM "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true
    blog "profile: perf report -i $BENCH_DIR/perf-$name.data (BENCH_KEEP=1 keeps it)"
  fi
  [ "$A_T" != timeout ] || blog "apply $name: timeout; status: $(wcall QueryStatus '{}' | head -c 1500)"
  wcall OperateSubTask "{\"op\":\"Stop\",\"name\":\"$name\"}" >/dev/null || bdie "stop $name failed"
  sleep 1
}

apply_bench() {
  local r lt=() rt=() lc=() rc=()
  for r in $(seq 1 "$ROUNDS"); do
    local l0; l0="$(loadavg)"
    if [ $(( r % 2 )) = 1 ]; then   # odd rounds local first, even rounds remote first
      apply_case local "$r"; lt+=("$A_T"); lc+=("$A_CPU")
      apply_case remote "$r"; rt+=("$A_T"); rc+=("$A_CPU")
    else
      apply_case remote "$r"; rt+=("$A_T"); rc+=("$A_CPU")
      apply_case local "$r"; lt+=("$A_T"); lc+=("$A_CPU")
    fi
    blog "round $r: apply local ${lt[-1]}s (cpu ${lc[-1]}s), remote ${rt[-1]}s (cpu ${rc[-1]}s); load $l0 -> $(loadavg)"
  done
  # the sums over the rounds (both orders when rounds >= 2)
  local i=$(( ROUNDS - 1 )) lsum rsum
  lsum="$(printf '%s\n' "${lt[@]}" | awk '$1 == "timeout" {t=1} {s+=$1} END{ if (t) print "timeout"; else printf "%.2f", s}')"
  rsum="$(printf '%s\n' "${rt[@]}" | awk '$1 == "timeout" {t=1} {s+=$1} END{ if (t) print "timeout"; else printf "%.2f", s}')"
  result "apply_all_rounds_remote" "$rsum" "s"
  result "apply_all_rounds_local" "$lsum" "s" "$rsum" "$(ratio "$rsum" "$lsum")" ">= 0.9x" \
    "$(verdict "$(ratio "$rsum" "$lsum")" '>=' 0.9)"
  result "apply_remote" "${rt[$i]}" "s" "" "" "" ""
  result "apply_local_relay" "${lt[$i]}" "s" "${rt[$i]}"
  local lm rm; lm="$(mbps "$BYTES" "${lt[$i]}")"; rm="$(mbps "$BYTES" "${rt[$i]}")"
  result "apply_local_MBps" "$lm" "MB/s" "$rm" "$(ratio "$lm" "$rm")" ">= 0.9x" \
    "$(verdict "$(ratio "$lm" "$rm")" '>=' 0.9)"
  result "apply_cpu_dm_worker_local" "${lc[$i]}" "s" "${rc[$i]}"
  result "apply_loadavg_end" "$(loadavg)" ""
}

blog "rows=$ROWS T=${T}s rounds=$ROUNDS ($(nproc) CPUs, shared machine, load $(cut -d' ' -f1-3 /proc/loadavg))"
setup
relay_write
[ "$APPLY" = 1 ] && apply_bench
true

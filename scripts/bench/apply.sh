#!/usr/bin/env bash
# apply.sh - dm-worker apply throughput vs native MariaDB replication (same box, same run).
# Three MariaDB sandboxes: source, DM target (fed by dm-worker through a dm-master task) and a
# native replica (CHANGE MASTER TO ... on the source). sysbench prepares sbtest on the source,
# the data is copied to both targets, DM and the replica start at the same binlog position.
# For each workload x sysbench-threads:
#   1. stop both consumers (dm-worker process stopped; STOP SLAVE on the replica)
#   2. load the source for T seconds (sysbench run) -> upstream TPS, row writes
#   3. start dm-worker, time until CHECKSUM TABLE on the DM target equals the source's
#   4. START SLAVE, time until the replica's checksum equals the source's (one at a time:
#      both consumers never compete for the CPUs)
# Catch-up time = "lag after the load"; rows/s = row writes / catch-up time; ratio ours/native.
# --live additionally runs the load with both consumers running and reports the lag after it.
# Checksums are polled every 100 ms (resolution), the wait is bounded (--max-wait).
# Equal logging work: both targets write a binary log (the sandbox default, --log-bin, ROW):
# the DM target logs its client writes, the native replica runs with log_slave_updates=ON so
# it logs the replicated ones too (--no-log-slave-updates: the replica logs nothing, the
# setup of the numbers before 2026-11-25 11:00).
# dm-worker is restarted for every case, so its catch-up runs in DM's safe mode after a
# start (DM_WORKER_SAFE_MODE_MS, default 60 s; set it to 1 in the environment to measure the
# normal-mode statements instead).
# Per case also: CPU seconds (utime+stime from /proc/<pid>/stat) of dm-worker and of each
# target's mariadbd during its catch-up, and the DM target's statement counters (Com_*).
#
# Usage: scripts/bench/apply.sh [--quick] [-T SECONDS] [--tables N] [--table-size M]
#        [--workloads "oltp_write_only oltp_insert"] [--threads "1 8"] [--native-threads K]
#        [--live] [--max-wait SECONDS] [--no-log-slave-updates] [--worker-count N] [--batch N]
# (--worker-count / --batch: the task's syncer config; default DM's 16 / 100)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=20; TABLES=4; TSIZE=20000; WLS="oltp_write_only oltp_insert"; THREADS="1 8"
NATIVE_THREADS=0; LIVE=0; MAXWAIT=""; NATIVE_LSU=1; WCOUNT=""; WBATCH=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) T=3; TABLES=2; TSIZE=2000; shift;;
    -T) T="$2"; shift 2;;
    --tables) TABLES="$2"; shift 2;;
    --table-size) TSIZE="$2"; shift 2;;
    --workloads) WLS="$2"; shift 2;;
    --threads) THREADS="$2"; shift 2;;
    --native-threads) NATIVE_THREADS="$2"; shift 2;;
    --live) LIVE=1; shift;;
    --max-wait) MAXWAIT="$2"; shift 2;;
    --no-log-slave-updates) NATIVE_LSU=0; shift;;
    --worker-count) WCOUNT="$2"; shift 2;;
    --batch) WBATCH="$2"; shift 2;;
    -h|--help) sed -n '2,28p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
MAXWAIT="${MAXWAIT:-$(( T * 20 + 30 ))}"

bench_init apply
bench_need sysbench mariadb mariadb-dump
bench_bins master worker dmctl
for wl in $WLS; do [ -f "/usr/share/sysbench/$wl.lua" ] || bdie "no sysbench workload $wl"; done
P=$(( BENCH_PORT_BASE + 100 ))
SPORT=$((P + 1)); DPORT=$((P + 2)); NPORT=$((P + 3)); WPORT=$((P + 4)); MPORT=$((P + 5))
SB=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$SPORT" --mysql-user=root
    --mysql-db=sbtest --tables="$TABLES" --table-size="$TSIZE")

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

checksum() { # sandbox -> one line of per-table checksums
  local t list=""
  for t in $(seq 1 "$TABLES"); do list="$list${list:+, }sbtest.sbtest$t"; done
  sql "$1" -N -e "CHECKSUM TABLE $list" 2>/dev/null | awk '{printf "%s ", $2}'
}

# wait_match <sandbox> <want> <t0> -> prints seconds since t0 or "timeout"
wait_match() {
  local deadline
  deadline=$(awk -v n="$(now)" -v m="$MAXWAIT" 'BEGIN{printf "%d", n+m}')
  for _ in $(seq 1 $(( MAXWAIT * 10 + 10 ))); do
    [ "$(checksum "$1")" = "$2" ] && { elapsed "$3" "$(now)"; return 0; }
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 0.1
  done
  echo timeout
}

setup() {
  blog "sandboxes: source :$SPORT, DM target :$DPORT, native replica :$NPORT"
  bench_mariadb source "$SPORT" 501
  bench_mariadb dmtarget "$DPORT" 502
  if [ "$NATIVE_LSU" = 1 ]; then
    DMGW_SANDBOX_ARGS="--log-slave-updates=ON" bench_mariadb native "$NPORT" 503
  else
    bench_mariadb native "$NPORT" 503
  fi
  blog "binary log: DM target log_bin=$(sql dmtarget -N -e 'SELECT @@log_bin'); native replica" \
    "log_bin=$(sql native -N -e 'SELECT @@log_bin') log_slave_updates=$(sql native -N -e 'SELECT @@log_slave_updates')"
  sql source -e "CREATE DATABASE sbtest"
  blog "sysbench prepare: $TABLES tables x $TSIZE rows"
  sysbench oltp_common "${SB[@]}" prepare >"$BENCH_DIR/prepare.log" 2>&1 || bdie "sysbench prepare failed"
  read -r POS_FILE POS_POS < <(sql source -N -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
  mariadb-dump --socket="$BENCH_DIR/source/mysqld.sock" -uroot --databases sbtest >"$BENCH_DIR/sbtest.sql"
  sql dmtarget <"$BENCH_DIR/sbtest.sql"
  sql native <"$BENCH_DIR/sbtest.sql"
  # native replica from the same position, the SQL thread optionally parallel
  sql native -e "SET GLOBAL slave_parallel_threads=$NATIVE_THREADS; SET GLOBAL slave_parallel_mode='optimistic';
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$SPORT, MASTER_USER='root', MASTER_PASSWORD='',
    MASTER_LOG_FILE='$POS_FILE', MASTER_LOG_POS=$POS_POS, MASTER_USE_GTID=no; START SLAVE;"
  # DM: worker + master + incremental task from the same position
  bench_worker worker "$WPORT" bench-apply-src 4501 "$SPORT"
  WORKER_PID=$LAST_PID
  bench_master "$MPORT" "bench-apply-src=$WPORT"
  {
    printf 'name: "bench-apply"\ntask-mode: "incremental"\nmeta-schema: "dm_meta"\n\n'
    printf 'target-database:\n  host: "127.0.0.1"\n  port: %s\n  user: "root"\n  password: ""\n\n' "$DPORT"
    printf 'mysql-instances:\n  - source-id: "bench-apply-src"\n    meta:\n      binlog-name: "%s"\n      binlog-pos: %s\n    black-white-list: "bench"\n' "$POS_FILE" "$POS_POS"
    [ -n "$WCOUNT$WBATCH" ] && printf '    syncer-config-name: "bench"\n'
    printf '\nblack-white-list:\n  bench:\n    do-dbs: ["sbtest"]\n'
    if [ -n "$WCOUNT$WBATCH" ]; then
      printf '\nsyncers:\n  bench:\n'
      [ -n "$WCOUNT" ] && printf '    worker-count: %s\n' "$WCOUNT"
      [ -n "$WBATCH" ] && printf '    batch: %s\n' "$WBATCH"
    fi
  } >"$BENCH_DIR/task.yaml"
  bench_start_task "$MPORT" "$BENCH_DIR/task.yaml"
  local want; want="$(checksum source)"
  [ "$(wait_match dmtarget "$want" "$(now)")" != timeout ] || bdie "DM target differs before any load"
  [ "$(wait_match native "$want" "$(now)")" != timeout ] || bdie "native replica differs before any load"
}

start_worker() {
  "$WORKER" -config "$BENCH_DIR/worker/dm-worker.toml" >>"$BENCH_DIR/worker.log" 2>&1 </dev/null &
  WORKER_PID=$!; BENCH_PIDS+=("$WORKER_PID")
}

load() { # workload threads -> sets L_TPS L_WRITES
  local out
  out="$(sysbench "$1" "${SB[@]}" --threads="$2" --time="$T" --report-interval=0 run 2>&1)" \
    || bdie "sysbench $1 failed: $(printf '%s' "$out" | tail -5)"
  printf '%s\n' "$out" >"$BENCH_DIR/run-$1-$2.log"
  L_TPS="$(printf '%s\n' "$out" | awk '/transactions:/{gsub("\\(","",$3); print $3}')"
  L_WRITES="$(printf '%s\n' "$out" | awk '$1=="write:"{print $2}')"
}

# wait_first_write <sandbox> -> prints the time (epoch) its binlog position first moves
wait_first_write() {
  local p0
  p0="$(sql "$1" -N -e "SHOW MASTER STATUS" | awk '{print $1 ":" $2}')"
  for _ in $(seq 1 $(( MAXWAIT * 50 ))); do
    [ "$(sql "$1" -N -e "SHOW MASTER STATUS" | awk '{print $1 ":" $2}')" != "$p0" ] && { now; return 0; }
    sleep 0.02
  done
  now
}

mysqld_pid() { cat "$BENCH_DIR/$1/mysqld.pid"; }
# Com_* counters of a sandbox: "insert update delete replace commit"
com_counts() {
  sql "$1" -N -e "SHOW GLOBAL STATUS WHERE Variable_name IN
    ('Com_insert','Com_update','Com_delete','Com_replace','Com_commit')" |
    awk '{v[$1]=$2} END{print v["Com_insert"]+0, v["Com_update"]+0, v["Com_delete"]+0,
                         v["Com_replace"]+0, v["Com_commit"]+0}'
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s == "timeout" || s+0 <= 0) print "n/a"; else printf "%.0f", n/s }'; }

catchup_case() { # workload threads
  local wl="$1" th="$2" want t0 t1 t_dm t_nat t_start r_dm r_nat r_dm_net tag="$1/t$2"
  local dpid npid c_d0 c_d1 c_n0 c_n1 c_w com0 com1
  bench_stop_pid "$WORKER_PID"
  sql native -e "STOP SLAVE"
  load "$wl" "$th"
  want="$(checksum source)"
  dpid="$(mysqld_pid dmtarget)"; npid="$(mysqld_pid native)"
  com0="$(com_counts dmtarget)"; c_d0="$(proc_cpu_ticks "$dpid")"
  t0="$(now)"; start_worker; t1="$(wait_first_write dmtarget)"
  t_dm="$(wait_match dmtarget "$want" "$t0")"; t_start="$(elapsed "$t0" "$t1")"
  c_d1="$(proc_cpu_ticks "$dpid")"; c_w="$(proc_cpu_ticks "$WORKER_PID")"; com1="$(com_counts dmtarget)"
  c_n0="$(proc_cpu_ticks "$npid")"
  t0="$(now)"; sql native -e "START SLAVE"; t_nat="$(wait_match native "$want" "$t0")"
  c_n1="$(proc_cpu_ticks "$npid")"
  r_dm="$(rate "$L_WRITES" "$t_dm")"; r_nat="$(rate "$L_WRITES" "$t_nat")"
  r_dm_net="$(rate "$L_WRITES" "$(awk -v a="$t_dm" -v b="$t_start" 'BEGIN{ if (a == "timeout") print a; else print a-b }')")"
  result "$tag.source_tps(${T}s)" "$L_TPS" "txn/s"
  result "$tag.rows_loaded" "$L_WRITES" "rows"
  result "$tag.catchup_dm" "$t_dm" "s" "$t_nat" "$(ratio "$t_dm" "$t_nat")"
  result "$tag.apply_dm" "$r_dm" "rows/s" "$r_nat" "$(ratio "$r_dm" "$r_nat")"
  result "$tag.dm_start_to_first_write" "$t_start" "s"
  result "$tag.apply_dm_after_first_write" "$r_dm_net" "rows/s" "$r_nat" "$(ratio "$r_dm_net" "$r_nat")"
  result "$tag.cpu_dm_worker" "$(cpu_s 0 "$c_w")" "s"
  local hwm rss; read -r hwm rss < <(proc_rss "$WORKER_PID")
  result "$tag.dm_worker_peak_rss" "$(awk -v k="$hwm" 'BEGIN{printf "%.1f", k/1024}')" "MiB"
  result "$tag.cpu_dm_target" "$(cpu_s "$c_d0" "$c_d1")" "s" "$(cpu_s "$c_n0" "$c_n1")"
  result "$tag.dm_target_stmts" "$(printf '%s\n%s\n' "$com0" "$com1" | awk 'NR==1{for(i=1;i<=5;i++)a[i]=$i}
    NR==2{printf "ins=%d,upd=%d,del=%d,repl=%d,commit=%d", $1-a[1], $2-a[2], $3-a[3], $4-a[4], $5-a[5]}')" "count"
}

live_case() { # workload threads: both consumers running during the load
  local wl="$1" th="$2" want t0 t_dm t_nat tag="$1/t$2"
  load "$wl" "$th"
  want="$(checksum source)"; t0="$(now)"
  t_dm="$(wait_match dmtarget "$want" "$t0")"
  t_nat="$(wait_match native "$want" "$t0")"   # measured from the same instant (runs in parallel)
  # issue: "lag < 1 s within 5 s after the load stops"; t_dm = time until the target equals
  # the source after the load, so t_dm <= 5 s means no lag at all 5 s after the load
  local v=MISS; [ "$t_dm" != timeout ] && v="$(verdict "$t_dm" '<=' 5)"
  result "$tag.live_lag_dm" "$t_dm" "s" "$t_nat" "$(ratio "$t_dm" "$t_nat")" "caught up <=5s" "$v"
  local hwm rss; read -r hwm rss < <(proc_rss "$WORKER_PID")
  result "$tag.dm_worker_rss_after_live" "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')" "MiB"
}

blog "T=${T}s, $TABLES x $TSIZE rows, workloads {$WLS}, threads {$THREADS}, native slave_parallel_threads=$NATIVE_THREADS log_slave_updates=$NATIVE_LSU, dm-worker worker-count=${WCOUNT:-16} batch=${WBATCH:-100} DM_WORKER_SAFE_MODE_MS=${DM_WORKER_SAFE_MODE_MS:-default (60 s)} ($(nproc) CPUs, shared machine)"
setup
for wl in $WLS; do
  for th in $THREADS; do
    catchup_case "$wl" "$th"
    [ "$LIVE" = 1 ] && live_case "$wl" "$th"
  done
done
sql native -e "SHOW SLAVE STATUS\G" | grep -E "Last_(SQL|IO)_Error:" | grep -v ': $' >&2 || true

#!/usr/bin/env bash
# fanout_scripted.sh - dm-master QueryStatus fan-out over N scripted workers (no MariaDB).
# One dmgw-scripted-workers process hosts max(N) pb.Worker servers (each reports subtask
# "bench" Running in Sync); for each N a fresh dm-master deploys the first N of them (rate
# limit raised out of the way), RefreshWorkerTasks picks the task up, then dmgw-grpc-bench
# measures QueryStatus with no task name (all workers) and with --task bench at each
# concurrency: p50/p99 per N, ratio vs N=1. Target: p50 < 20 ms at N=64, flat in N (<= 2x).
# Each service time in --delay-ms is one pass: 0 = workers answer at once (the fan-out's own
# CPU cost, which on a small machine grows with N), D > 0 = each QueryStatus answers D ms
# after it arrived (keys prefixed "dDms."): a parallel fan-out stays near D at any N, a
# serial one would take N x D.
#
# Usage: scripts/bench/fanout_scripted.sh [--quick] [-d SECONDS] [--conc "1 8"] [--workers "1 8 64"]
#                                         [--delay-ms "0 5"]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DUR=4; CONCS="1 8"; NS="1 8 64"; DELAYS="0 5"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DUR=2; shift;;
    -d) DUR="$2"; shift 2;;
    --conc) CONCS="$2"; shift 2;;
    --workers) NS="$2"; shift 2;;
    --delay-ms) DELAYS="$2"; shift 2;;
    -h|--help) sed -n '2,14p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

bench_init fanout_scripted
bench_bins master dmctl grpc
SW="$(bench_find_bin dmgw-scripted-workers "${DMGW_BENCH_BIN:-}" "${DMGW_BIN:-}" "$BENCH_ROOT/build-bench/bin" "$BENCH_ROOT/build/bin")" \
  || bdie "dmgw-scripted-workers not built (cmake --build build-bench --target dmgw-scripted-workers)"
P=$(( BENCH_PORT_BASE + 150 ))
MPORT=$((P + 1))
MAXN=0; for n in $NS; do [ "$n" -gt "$MAXN" ] && MAXN=$n; done
TARGET_MS=20; FLAT=2.0

blog "workers {$NS}, c={$CONCS}, service time {$DELAYS} ms, ${DUR}s each ($(nproc) CPUs, shared machine)"

# start_workers <delay-ms>: one dmgw-scripted-workers process; sets SWPID and PORTS
start_workers() {
  rm -f "$BENCH_DIR/ports"
  "$SW" -n "$MAXN" --delay-ms "$1" --ports-file "$BENCH_DIR/ports" >"$BENCH_DIR/workers-$1.log" 2>&1 </dev/null &
  BENCH_PIDS+=("$!"); SWPID=$!
  for _ in $(seq 1 100); do [ -s "$BENCH_DIR/ports" ] && break; kill -0 "$SWPID" 2>/dev/null || break; sleep 0.1; done
  [ -s "$BENCH_DIR/ports" ] || bdie "dmgw-scripted-workers did not start (log $BENCH_DIR/workers-$1.log)"
  mapfile -t PORTS <"$BENCH_DIR/ports"
}

declare -A BASE50 BASE99
for delay in $DELAYS; do
  pfx=""; [ "$delay" != 0 ] && pfx="d${delay}ms."
  start_workers "$delay"
  for n in $NS; do
    deploys=()
    for i in $(seq 1 "$n"); do deploys+=("$(printf 'bench-src-%02d' "$i")=${PORTS[$((i - 1))]}"); done
    rm -rf "$BENCH_DIR/master"
    bench_master "$MPORT" "${deploys[@]}"
    MPID=$LAST_PID
    "$DMCTL" -master-addr "127.0.0.1:$MPORT" refresh-worker-tasks >"$BENCH_DIR/refresh-$n.out" 2>&1 \
      || bdie "refresh-worker-tasks failed for N=$n: $(head -c 400 "$BENCH_DIR/refresh-$n.out")"
    for mode in all task; do
      targs=(); [ "$mode" = task ] && targs=(--task bench)
      for c in $CONCS; do
        t0="$(proc_cpu_ticks "$MPID")"
        out="$("$GRPC_BENCH" --addr "127.0.0.1:$MPORT" "${targs[@]}" -c "$c" -d "$DUR" -q --label "$mode n=$n c=$c")" \
          || bdie "dmgw-grpc-bench failed for $mode N=$n c=$c"
        t1="$(proc_cpu_ticks "$MPID")"
        [ "$(kv errors "$out")" = 0 ] || blog "$mode N=$n c=$c: $(kv errors "$out") errors"
        [ "$(kv inband_false "$out")" = 0 ] || blog "$mode N=$n c=$c: $(kv inband_false "$out") responses with result=false"
        p50="$(kv p50_ms "$out")"; p99="$(kv p99_ms "$out")"; rps="$(kv rps "$out")"
        key="$pfx$mode.c$c"
        [ -z "${BASE50[$key]:-}" ] && { BASE50[$key]=$p50; BASE99[$key]=$p99; }
        r50="$(ratio "$p50" "${BASE50[$key]}")"; r99="$(ratio "$p99" "${BASE99[$key]}")"
        if [ "$n" = 64 ]; then
          result "$key.N=$n.p50" "$p50" "ms" "${BASE50[$key]}" "$r50" "<${TARGET_MS}ms" "$(verdict "$p50" "<" "$TARGET_MS")"
          result "$key.N=$n.p50_flat" "$r50" "x" "" "" "<=${FLAT}x" "$(verdict "$r50" "<=" "$FLAT")"
        else
          result "$key.N=$n.p50" "$p50" "ms" "${BASE50[$key]}" "$r50"
        fi
        result "$key.N=$n.p99" "$p99" "ms" "${BASE99[$key]}" "$r99"
        result "$key.N=$n.rps" "$rps" "req/s"
        result "$key.N=$n.master_cpu" "$(awk -v s="$(cpu_s "$t0" "$t1")" -v r="$(kv requests "$out")" \
          'BEGIN { if (r > 0) printf "%.3f", s * 1000 / r; else print "n/a" }')" "ms/req"
      done
    done
    bench_stop_pid "$MPID"
  done
  bench_stop_pid "$SWPID"
done

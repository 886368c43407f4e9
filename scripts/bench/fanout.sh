#!/usr/bin/env bash
# fanout.sh - dm-master fan-out latency vs the number of workers.
# One source MariaDB, one target MariaDB, N dm-worker processes (distinct source-ids and
# server-ids, all reading the same source), one dm-master deploying the first N of them and a
# task over those N sources (black-white-list on an idle database). QueryStatus{task} via
# dmgw-grpc-bench at concurrency C: p50/p99/req/s per N and the ratio vs N=1.
#
# Usage: scripts/bench/fanout.sh [--quick] [-d SECONDS] [-c CONC] [--workers "1 2 4 8"]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DUR=5; CONC=4; NS="1 2 4 8"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DUR=2; shift;;
    -d) DUR="$2"; shift 2;;
    -c) CONC="$2"; shift 2;;
    --workers) NS="$2"; shift 2;;
    -h|--help) sed -n '2,9p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

bench_init fanout
bench_bins master worker dmctl grpc
P=$(( BENCH_PORT_BASE + 50 ))
MPORT=$((P + 1)); SPORT=$((P + 2)); TPORT=$((P + 3)); WBASE=$((P + 10))
MAXN=0; for n in $NS; do [ "$n" -gt "$MAXN" ] && MAXN=$n; done
[ "$MAXN" -le 32 ] || bdie "at most 32 workers"

blog "workers {$NS}, c=$CONC, ${DUR}s each ($(nproc) CPUs, shared machine)"
bench_mariadb source "$SPORT" 301
bench_mariadb target "$TPORT" 302
sql source -e "CREATE DATABASE IF NOT EXISTS bench_idle"
for i in $(seq 1 "$MAXN"); do
  bench_worker "worker$i" $((WBASE + i)) "$(printf 'bench-src-%02d' "$i")" $((4400 + i)) "$SPORT"
done

P50_1=""; P99_1=""
for n in $NS; do
  deploys=(); sids=()
  for i in $(seq 1 "$n"); do
    sid="$(printf 'bench-src-%02d' "$i")"
    deploys+=("$sid=$((WBASE + i))"); sids+=("$sid")
  done
  rm -rf "$BENCH_DIR/master"
  bench_master "$MPORT" "${deploys[@]}"
  MPID=$LAST_PID
  task="fanout-$n"
  bench_task_yaml "$BENCH_DIR/task-$n.yaml" "$task" "$TPORT" source bench_idle "${sids[@]}"
  bench_start_task "$MPORT" "$BENCH_DIR/task-$n.yaml"
  out="$("$GRPC_BENCH" --addr "127.0.0.1:$MPORT" --task "$task" -c "$CONC" -d "$DUR" -q --label "n=$n")" \
    || bdie "dmgw-grpc-bench failed for N=$n"
  [ "$(kv errors "$out")" = 0 ] || blog "N=$n: $(kv errors "$out") errors"
  [ "$(kv inband_false "$out")" = 0 ] || blog "N=$n: $(kv inband_false "$out") responses with result=false"
  p50="$(kv p50_ms "$out")"; p99="$(kv p99_ms "$out")"; rps="$(kv rps "$out")"
  [ -z "$P50_1" ] && { P50_1=$p50; P99_1=$p99; }
  result "N=$n.p50" "$p50" "ms" "$P50_1" "$(ratio "$p50" "$P50_1")"
  result "N=$n.p99" "$p99" "ms" "$P99_1" "$(ratio "$p99" "$P99_1")"
  result "N=$n.rps(c=$CONC)" "$rps" "req/s"
  "$DMCTL" -master-addr "127.0.0.1:$MPORT" stop-task "$task" >"$BENCH_DIR/stop-$n.out" 2>&1 || true
  bench_stop_pid "$MPID"
done

#!/usr/bin/env bash
# gateway.sh - dm-gateway vs direct gRPC on the same dm-master, same concurrency.
#   wrk -c C on GET /api/v1/tasks/{name} (Bearer token)  vs  dmgw-grpc-bench -c C QueryStatus{name}
# Reports req/s, p50/p99 of both, ratio gateway/direct, the gateway's peak RSS (VmHWM) after
# the load and its RSS holding N idle keep-alive connections. Targets (issue): ratio >= 0.8
# at 64 connections, p99 < 5 ms, RSS < 20 MiB -> PASS/MISS column; never fails on a MISS.
#
# Scenarios (--scenario, default both):
#   bare  dm-master without workers, unknown task: pure gateway overhead (master answers in-band)
#   task  source+target MariaDB, one dm-worker, task started with dmctl: the real QueryStatus path
#         (master -> worker -> SHOW MASTER STATUS per query)
#
# Also: a second, light load (--low-conc, default 8 connections, both sides) for the latency
# of a gateway that is not saturated; "direct_mean_floor" = CONC / direct req/s, the mean
# latency any closed-loop client at CONC connections must see at the direct path's
# throughput (Little's law); the gateway's anonymous (heap, stacks) and file-backed (shared
# library pages) shares of its RSS after the load.
#
# Usage: scripts/bench/gateway.sh [--quick] [-d SECONDS] [-c CONC] [--low-conc C|0] [--idle N] [--idle-connect-only] [--scenario bare|task|both]
# Idle RSS is read twice: right after the N connections are open, and IDLE_SETTLE seconds
# later (default 3: past the gateway's --idle-park-after of 2 s, when they are parked).
# Env: BENCH_GW_THREADS (--threads), BENCH_GW_COALESCE (default false: the issue's targets are
#      for coalescing off; true lets the 64 identical GETs share master RPCs),
#      BENCH_GW_ARGS (extra dm-gateway flags).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DUR=10; CONC=64; LOW_CONC=8; IDLE=1000; IDLE_MODE=request; SCEN=both; GW_THREADS="${BENCH_GW_THREADS:-}"
GW_COALESCE="${BENCH_GW_COALESCE:-false}"
read -r -a GW_EXTRA <<<"${BENCH_GW_ARGS:-}"   # extra dm-gateway flags, e.g. "--connection-memory-limit 16KiB"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DUR=3; shift;;
    -d) DUR="$2"; shift 2;;
    -c) CONC="$2"; shift 2;;
    --low-conc) LOW_CONC="$2"; shift 2;;
    --idle) IDLE="$2"; shift 2;;
    --idle-connect-only) IDLE_MODE=connect; shift;;
    --scenario) SCEN="$2"; shift 2;;
    -h|--help) sed -n '2,21p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

bench_init gateway
bench_need wrk python3
bench_bins master gateway grpc
P=$(( BENCH_PORT_BASE + 0 ))
MPORT=$((P + 1)); GPORT=$((P + 2)); WPORT=$((P + 3)); SPORT=$((P + 4)); TPORT=$((P + 5))

# wrk time unit -> ms
to_ms() { awk -v s="$1" 'BEGIN{ v=s+0; if (s ~ /us$/) v/=1000; else if (s ~ /ms$/) v=v; else if (s ~ /s$/) v*=1000; printf "%.3f", v }'; }

run_wrk() { # url token [conc] -> sets W_RPS W_P50 W_P99 W_NON2XX W_ERR
  local out
  out="$(wrk -t2 -c"${3:-$CONC}" -d"${DUR}s" --latency --timeout 10s \
        -H "Authorization: Bearer $2" "$1" 2>&1)" || bdie "wrk failed: $out"
  printf '%s\n' "$out" >"$BENCH_DIR/wrk-$SC.out"
  W_RPS="$(printf '%s\n' "$out" | awk '/^Requests\/sec:/{print $2}')"
  W_P50="$(to_ms "$(printf '%s\n' "$out" | awk '$1=="50%"{print $2}')")"
  W_P99="$(to_ms "$(printf '%s\n' "$out" | awk '$1=="99%"{print $2}')")"
  W_NON2XX="$(printf '%s\n' "$out" | awk '/Non-2xx/{print $NF}')"; W_NON2XX="${W_NON2XX:-0}"
  W_ERR="$(printf '%s\n' "$out" | awk '/Socket errors/{gsub(",","");print $4+$6+$8+$10}')"; W_ERR="${W_ERR:-0}"
  [ -n "$W_RPS" ] || bdie "could not parse wrk output ($BENCH_DIR/wrk-$SC.out)"
}

# Hold N idle keep-alive connections (each did one GET /livez; --idle-connect-only: none) and print "ready" when open.
IDLE_PY='
import socket, sys, time
port, n, hold, mode = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
socks, fails = [], 0
req = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if mode == "request":
            s.sendall(req)
            s.recv(4096)
        socks.append(s)
    except OSError:
        fails += 1
print("ready open=%d failed=%d" % (len(socks), fails), flush=True)
time.sleep(hold)
'

# RSS holding the idle connections: just after they are open (IDLE_FRESH_KIB, still inside
# libmicrohttpd with their pools) and once idle for the gateway's --idle-park-after (2 s by
# default) plus 1 s (IDLE_KIB; they are parked by then, PARKED = dmgw_http_parked_connections).
idle_rss() { # gateway-pid -> sets IDLE_KIB IDLE_FRESH_KIB IDLE_OPEN PARKED
  local fifo="$BENCH_DIR/idle.out" ppid
  python3 -c "$IDLE_PY" "$GPORT" "$IDLE" 30 "$IDLE_MODE" >"$fifo" 2>&1 &
  ppid=$!; BENCH_PIDS+=("$ppid")
  for _ in $(seq 1 600); do grep -q ready "$fifo" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$fifo" || bdie "idle-connection helper did not finish: $(cat "$fifo")"
  sleep 0.5
  IDLE_OPEN="$(sed -n 's/.*open=\([0-9]*\).*/\1/p' "$fifo")"
  read -r _ IDLE_FRESH_KIB < <(proc_rss "$1")
  sleep "${IDLE_SETTLE:-3}"
  read -r _ IDLE_KIB < <(proc_rss "$1")
  PARKED="$(curl -s "http://127.0.0.1:$GPORT/metrics" | awk '$1=="dmgw_http_parked_connections"{print $2}')"
  bench_stop_pid "$ppid"
}

start_gateway() {
  local thr=()
  [ -n "$GW_THREADS" ] && thr=(--threads "$GW_THREADS")
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BENCH_DIR/jwt-secret"
  bench_daemon gateway "$GPORT" "$GATEWAY" --listen "127.0.0.1:$GPORT" \
    --master-addr "127.0.0.1:$MPORT" --auth-alg HS256 --auth-secret-file "$BENCH_DIR/jwt-secret" \
    --max-connections $(( IDLE + 256 )) --max-connections-per-ip $(( IDLE + 256 )) \
    --log-level warn --coalesce="$GW_COALESCE" "${thr[@]}" "${GW_EXTRA[@]}"
  GW_PID=$LAST_PID
  TOKEN="$("$GATEWAY" token --secret-file "$BENCH_DIR/jwt-secret" --sub bench --scope "dm:read" --ttl 1h)" \
    || bdie "dm-gateway token failed"
}

scenario() { # bare|task
  SC="$1"
  local task=bench-missing
  if [ "$SC" = task ]; then
    bench_bins worker dmctl
    bench_mariadb source "$SPORT" 201
    bench_mariadb target "$TPORT" 202
    bench_worker worker1 "$WPORT" bench-src-01 4301 "$SPORT"
    bench_master "$MPORT" "bench-src-01=$WPORT"
    task=bench-task
    bench_task_yaml "$BENCH_DIR/task.yaml" "$task" "$TPORT" source bench_db bench-src-01
    bench_start_task "$MPORT" "$BENCH_DIR/task.yaml"
  else
    bench_master "$MPORT"
  fi
  start_gateway
  local rss0; sleep 0.2; read -r _ rss0 < <(proc_rss "$GW_PID")
  local code
  code="$(curl -s -o "$BENCH_DIR/get-$SC.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
          "http://127.0.0.1:$GPORT/api/v1/tasks/$task")" || bdie "gateway GET failed"
  blog "$SC: GET /api/v1/tasks/$task -> HTTP $code ($(head -c 160 "$BENCH_DIR/get-$SC.json" | tr '\n' ' '))"

  local g
  g="$("$GRPC_BENCH" --addr "127.0.0.1:$MPORT" --task "$task" -c "$CONC" -d "$DUR" -q --label direct)" \
    || bdie "dmgw-grpc-bench failed"
  run_wrk "http://127.0.0.1:$GPORT/api/v1/tasks/$task" "$TOKEN"
  local hwm rss; read -r hwm rss < <(proc_rss "$GW_PID")
  local anon file
  read -r anon file < <(awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a+0, f+0}' "/proc/$GW_PID/status")
  idle_rss "$GW_PID"

  local d_rps d_p50 d_p99 r
  d_rps="$(kv rps "$g")"; d_p50="$(kv p50_ms "$g")"; d_p99="$(kv p99_ms "$g")"
  r="$(ratio "$W_RPS" "$d_rps")"
  [ "$W_NON2XX" != 0 ] && blog "$SC: note: $W_NON2XX responses were non-2xx (HTTP $code for this task)"
  [ "$W_ERR" != 0 ] && blog "$SC: wrk socket errors: $W_ERR"
  [ "$(kv errors "$g")" != 0 ] && blog "$SC: grpc errors: $(kv errors "$g")"
  result "$SC.direct_rps(c=$CONC)" "$d_rps" "req/s"
  result "$SC.gateway_rps(c=$CONC)" "$W_RPS" "req/s" "$d_rps" "$r" ">=0.8" "$(verdict "$r" '>=' 0.8)"
  result "$SC.direct_p50" "$d_p50" "ms"
  result "$SC.direct_p99" "$d_p99" "ms"
  result "$SC.gateway_p50" "$W_P50" "ms" "$d_p50" "$(ratio "$W_P50" "$d_p50")"
  result "$SC.gateway_p99" "$W_P99" "ms" "$d_p99" "$(ratio "$W_P99" "$d_p99")" "<5ms" "$(verdict "$W_P99" '<' 5)"
  result "$SC.direct_mean_floor(c=$CONC)" "$(awk -v c="$CONC" -v r="$d_rps" 'BEGIN{ if (r > 0) printf "%.3f", c * 1000 / r; else print "n/a" }')" "ms"
  if [ "$LOW_CONC" -gt 0 ] 2>/dev/null; then
    local gl
    gl="$("$GRPC_BENCH" --addr "127.0.0.1:$MPORT" --task "$task" -c "$LOW_CONC" -d "$DUR" -q --label direct-low)" \
      || bdie "dmgw-grpc-bench failed (c=$LOW_CONC)"
    run_wrk "http://127.0.0.1:$GPORT/api/v1/tasks/$task" "$TOKEN" "$LOW_CONC"
    result "$SC.direct_rps(c=$LOW_CONC)" "$(kv rps "$gl")" "req/s"
    result "$SC.gateway_rps(c=$LOW_CONC)" "$W_RPS" "req/s" "$(kv rps "$gl")" "$(ratio "$W_RPS" "$(kv rps "$gl")")"
    result "$SC.direct_p99(c=$LOW_CONC)" "$(kv p99_ms "$gl")" "ms"
    result "$SC.gateway_p99(c=$LOW_CONC)" "$W_P99" "ms" "$(kv p99_ms "$gl")" "$(ratio "$W_P99" "$(kv p99_ms "$gl")")" \
      "<5ms" "$(verdict "$W_P99" '<' 5)"
  fi
  result "$SC.gateway_rss_at_start" "$(awk -v k="$rss0" 'BEGIN{printf "%.1f", k/1024}')" "MiB"
  result "$SC.gateway_peak_rss" "$(awk -v k="$hwm" 'BEGIN{printf "%.1f", k/1024}')" "MiB" "" "" "<20MiB" \
    "$(verdict "$(awk -v k="$hwm" 'BEGIN{print k/1024}')" '<' 20)"
  result "$SC.gateway_rss_anon_after_load" "$(awk -v k="$anon" 'BEGIN{printf "%.1f", k/1024}')" "MiB"
  result "$SC.gateway_rss_file_after_load" "$(awk -v k="$file" 'BEGIN{printf "%.1f", k/1024}')" "MiB"
  result "$SC.gateway_rss_idle${IDLE_OPEN}_fresh" "$(awk -v k="$IDLE_FRESH_KIB" 'BEGIN{printf "%.1f", k/1024}')" "MiB"
  result "$SC.gateway_idle_parked" "${PARKED:-0}" "conns"
  result "$SC.gateway_rss_idle$IDLE_OPEN" "$(awk -v k="$IDLE_KIB" 'BEGIN{printf "%.1f", k/1024}')" "MiB" \
    "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')" "" "<20MiB" \
    "$(verdict "$(awk -v k="$IDLE_KIB" 'BEGIN{print k/1024}')" '<' 20)"

  # stop this scenario's processes before the next one (ports are reused)
  bench_cleanup_scenario
}

bench_cleanup_scenario() {
  local pid s
  for pid in "${BENCH_PIDS[@]}"; do bench_stop_pid "$pid"; done
  BENCH_PIDS=()
  for s in "${BENCH_SANDBOXES[@]}"; do "$SANDBOX" stop "$s" >/dev/null 2>&1 || true; done
  BENCH_SANDBOXES=()
  rm -rf "$BENCH_DIR/master" "$BENCH_DIR/worker1" "$BENCH_DIR/source" "$BENCH_DIR/target"
}

blog "c=$CONC, ${DUR}s per side, $IDLE idle connections, scenario $SCEN ($(nproc) CPUs, shared machine)"
case "$SCEN" in
  both) scenario bare; scenario task;;
  bare|task) scenario "$SCEN";;
  *) bdie "unknown scenario $SCEN";;
esac

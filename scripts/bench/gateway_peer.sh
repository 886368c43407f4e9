#!/usr/bin/env bash
# gateway_peer.sh - dm-gateway vs DM v1.0.7's own HTTP API (grpc-gateway, Go) vs direct gRPC,
# in one run on one dm-master with a running task (issue 18).
#
# The peer is built by ../shared/bench/grpcgw-peer/build.sh (beside the repository; Debian
# packages only, ~20 s; GRPCGW_PEER_DIR overrides the folder, BENCH_PEER_BIN skips the build).
# Contenders, all started once and measured one after the other on the same master:
#   gw      dm-gateway --coalesce=false (one master call per request, as the peer)
#   gw_h2   dm-gateway --coalesce=false --master-transport=h2 (the lean HTTP/2 client,
#           rpc/h2_client.c; BENCH_GW_H2=0 leaves it out)
#   gw_co   dm-gateway with the default --coalesce=true
#   peer    dm-grpcgw-peer (grpc-gateway 1.x generated from DM v1.0.7's protos)
#   direct  dmgw-grpc-bench on the same RPC (no HTTP at all)
# Routes: GET /apis/v1alpha1/status/<running task> (master -> worker -> MariaDB) and
# GET /apis/v1alpha1/status/<unknown task> (the master answers in-band: pure gateway overhead),
# each at 8 and 64 connections (wrk -t2 --latency, Bearer token sent to both gateways; the
# peer ignores it). Writes: PUT /apis/v1alpha1/tasks/<task> alternating {"op":2} (Pause) and
# {"op":3} (Resume) at --write-conc (direct: two dmgw-grpc-bench, one pausing, one resuming).
# Per HTTP case: req/s, p50, p99, non-2xx, CPU µs per request of the gateway process under
# load (utime+stime from /proc/<pid>/stat over the run / requests), and of dm-master; each
# gateway's peak RSS (VmHWM) at the end. Ratios: gw/peer for CPU, p99, req/s; gw/direct req/s.
# Targets (issue 18, informational): CPU/req <= 1/3 of the peer's, gw req/s >= 0.8 x direct on
# the unknown task at c=64, p99 <= the peer's, peak RSS < 20 MiB.
#
# Fixed rate (--rate "R..."; issue 18, docs/benchmarks.md "eighth pass"): after the closed-loop
# cases, the peer, gw (and gw_base) again at each route and connection count, every one paced at
# R req/s in total (wrk with a LuaJIT pacing script: each wrk thread sends on a fixed schedule
# of R/2 req/s, catching up when behind; p99 from wrk's latency, measured from the send), so
# that the gateways' p99 are compared at the same load. A case that did not reach 97 % of R is
# marked "saturated" (its p99 then compares unequal loads again). --rate-only skips the
# closed-loop cases.
# Usage: scripts/bench/gateway_peer.sh [--quick] [-d SECONDS] [--conc "8 64"] [--write-conc C|0]
#        [--rate "R1 R2"] [--rate-only] [--routes "running unknown"] [--repeat N]
# --repeat N: every case N times on the same stack (metric names get .rK), gw_base and gw in
# alternating order; BENCH_GW_CO=0 leaves gw_co out.
# Env: BENCH_GW_THREADS (--threads of both dm-gateways), BENCH_GW_ARGS (extra flags),
#      BENCH_GW_BASELINE=<dm-gateway binary>: one more contender, gw_base (that binary with
#      --coalesce=false, measured right before gw in every read case): before/after numbers
#      of a change in one run on the same master.
# Ports: BENCH_PORT_BASE+200..249.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DUR=10; CONCS="8 64"; WCONC=8; GW_THREADS="${BENCH_GW_THREADS:-}"; GW_BASE="${BENCH_GW_BASELINE:-}"
GW_H2="${BENCH_GW_H2:-1}"; RATES=""; RATE_ONLY=0; ROUTES="running unknown"
REPEAT=1; REP=""; GW_CO="${BENCH_GW_CO:-1}"
read -r -a GW_EXTRA <<<"${BENCH_GW_ARGS:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DUR=3; shift;;
    -d) DUR="$2"; shift 2;;
    --conc) CONCS="$2"; shift 2;;
    --write-conc) WCONC="$2"; shift 2;;
    --rate) RATES="$2"; shift 2;;
    --rate-only) RATE_ONLY=1; shift;;
    --routes) ROUTES="$2"; shift 2;;
    --repeat) REPEAT="$2"; shift 2;;
    -h|--help) sed -n '2,35p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

bench_init gateway_peer
bench_need wrk python3 curl
bench_bins master gateway grpc worker dmctl
P=$(( BENCH_PORT_BASE + 200 ))
MPORT=$((P + 1)); GPORT=$((P + 2)); CPORT=$((P + 3)); PPORT=$((P + 4))
WPORT=$((P + 5)); SPORT=$((P + 6)); TPORT=$((P + 7)); BPORT=$((P + 8)); HPORT=$((P + 9))
HZ="$(getconf CLK_TCK)"

# ---------- the peer ----------
build_peer() {
  if [ -n "${BENCH_PEER_BIN:-}" ]; then
    [ -x "$BENCH_PEER_BIN" ] || bdie "BENCH_PEER_BIN=$BENCH_PEER_BIN is not executable"
    PEER="$BENCH_PEER_BIN"; return
  fi
  local dir="${GRPCGW_PEER_DIR:-$BENCH_ROOT/../shared/bench/grpcgw-peer}"
  [ -x "$dir/build.sh" ] || bdie "no $dir/build.sh (the peer lives in ../shared/bench/grpcgw-peer beside the repository; set GRPCGW_PEER_DIR)"
  OUT="$BENCH_DIR/peer" "$dir/build.sh" >"$BENCH_DIR/peer-build.log" 2>&1 \
    || bdie "peer build failed: $(tail -n 5 "$BENCH_DIR/peer-build.log")"
  PEER="$BENCH_DIR/peer/bin/dm-grpcgw-peer"
  blog "$(tail -n 1 "$BENCH_DIR/peer-build.log")"
}

# ---------- helpers ----------
to_ms() { awk -v s="$1" 'BEGIN{ v=s+0; if (s ~ /us$/) v/=1000; else if (s ~ /ms$/) v=v; else if (s ~ /s$/) v*=1000; printf "%.3f", v }'; }

# run_wrk <label> <pid> <conc> <url> [lua-script] -> W_RPS W_P50 W_P99 W_NON2XX W_CPU_US W_MCPU_US
run_wrk() {
  local label="$1" pid="$2" conc="$3" url="$4" lua=() out t0 t1 m0 m1 n
  [ -n "${5:-}" ] && lua=(-s "$5")
  t0="$(proc_cpu_ticks "$pid")"; m0="$(proc_cpu_ticks "$MASTER_PID")"
  out="$(wrk -t2 -c"$conc" -d"${DUR}s" --latency --timeout 10s "${lua[@]}" \
        -H "Authorization: Bearer $TOKEN" "$url" 2>&1)" || bdie "wrk failed: $out"
  t1="$(proc_cpu_ticks "$pid")"; m1="$(proc_cpu_ticks "$MASTER_PID")"
  printf '%s\n' "$out" >"$BENCH_DIR/wrk-$label.out"
  W_RPS="$(printf '%s\n' "$out" | awk '/^Requests\/sec:/{print $2}')"
  W_P50="$(to_ms "$(printf '%s\n' "$out" | awk '$1=="50%"{print $2}')")"
  W_P99="$(to_ms "$(printf '%s\n' "$out" | awk '$1=="99%"{print $2}')")"
  W_NON2XX="$(printf '%s\n' "$out" | awk '/Non-2xx/{print $NF}')"; W_NON2XX="${W_NON2XX:-0}"
  n="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
  [ -n "$W_RPS" ] && [ -n "$n" ] || bdie "could not parse wrk output ($BENCH_DIR/wrk-$label.out)"
  W_CPU_US="$(per_req "$t0" "$t1" "$n")"; W_MCPU_US="$(per_req "$m0" "$m1" "$n")"
}
per_req() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$HZ" 'BEGIN{ if (n+0 == 0) print "n/a"; else printf "%.1f", (b-a)*1e6/hz/n }'; }

# direct <label> <conc> [bench args...] -> D_RPS D_P50 D_P99 D_MCPU_US
direct() {
  local label="$1" conc="$2" g m0 m1; shift 2
  m0="$(proc_cpu_ticks "$MASTER_PID")"
  g="$("$GRPC_BENCH" --addr "127.0.0.1:$MPORT" -c "$conc" -d "$DUR" -q --label "$label" "$@")" \
    || bdie "dmgw-grpc-bench failed ($label)"
  m1="$(proc_cpu_ticks "$MASTER_PID")"
  D_RPS="$(kv rps "$g")"; D_P50="$(kv p50_ms "$g")"; D_P99="$(kv p99_ms "$g")"
  D_MCPU_US="$(per_req "$m0" "$m1" "$(awk -v r="$D_RPS" -v d="$DUR" 'BEGIN{printf "%d", r*d}')")"
}

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

start_stack() {
  bench_mariadb source "$SPORT" 201
  bench_mariadb target "$TPORT" 202
  bench_worker worker1 "$WPORT" bench-src-01 4301 "$SPORT"
  bench_master "$MPORT" "bench-src-01=$WPORT"
  MASTER_PID=$LAST_PID
  bench_task_yaml "$BENCH_DIR/task.yaml" "$TASK" "$TPORT" source bench_db bench-src-01
  bench_start_task "$MPORT" "$BENCH_DIR/task.yaml"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BENCH_DIR/jwt-secret"
  local thr=(); [ -n "$GW_THREADS" ] && thr=(--threads "$GW_THREADS")
  local common=(--master-addr "127.0.0.1:$MPORT" --auth-alg HS256 --auth-secret-file "$BENCH_DIR/jwt-secret"
                --max-connections 1024 --max-connections-per-ip 1024 --log-level warn "${thr[@]}" "${GW_EXTRA[@]}")
  bench_daemon gateway "$GPORT" "$GATEWAY" --listen "127.0.0.1:$GPORT" --coalesce=false "${common[@]}"
  GW_PID=$LAST_PID
  if [ "$GW_CO" = 1 ]; then
    bench_daemon gateway_co "$CPORT" "$GATEWAY" --listen "127.0.0.1:$CPORT" --coalesce=true "${common[@]}"
    GWC_PID=$LAST_PID
  fi
  if [ -n "$GW_BASE" ]; then
    [ -x "$GW_BASE" ] || bdie "BENCH_GW_BASELINE=$GW_BASE is not an executable"
    bench_daemon gateway_base "$BPORT" "$GW_BASE" --listen "127.0.0.1:$BPORT" --coalesce=false "${common[@]}"
    GWB_PID=$LAST_PID
  fi
  if [ "$GW_H2" = 1 ]; then
    bench_daemon gateway_h2 "$HPORT" "$GATEWAY" --listen "127.0.0.1:$HPORT" --coalesce=false \
      --master-transport=h2 "${common[@]}"
    GWH_PID=$LAST_PID
  fi
  bench_daemon peer "$PPORT" "$PEER" --listen "127.0.0.1:$PPORT" --master-addr "127.0.0.1:$MPORT"
  PEER_PID=$LAST_PID
  TOKEN="$("$GATEWAY" token --secret-file "$BENCH_DIR/jwt-secret" --sub bench --scope "dm:write" --ttl 1h)" \
    || bdie "dm-gateway token failed"
}

# check one GET on each contender: same status, answers look alike
smoke() {
  local t c code
  for t in "$TASK" bench-missing; do
    local ports=("$GPORT" "$PPORT"); [ "$GW_H2" = 1 ] && ports+=("$HPORT"); [ "$GW_CO" = 1 ] && ports+=("$CPORT")
    for c in "${ports[@]}"; do
      code="$(curl -s -o "$BENCH_DIR/get-$c-$t.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
              "http://127.0.0.1:$c/apis/v1alpha1/status/$t")" || bdie "GET on port $c failed"
      [ "$code" = 200 ] || bdie "GET /apis/v1alpha1/status/$t on port $c -> HTTP $code: $(head -c 300 "$BENCH_DIR/get-$c-$t.json")"
    done
    blog "status/$t: dm-gateway $(wc -c <"$BENCH_DIR/get-$GPORT-$t.json") bytes, peer $(wc -c <"$BENCH_DIR/get-$PPORT-$t.json") bytes"
  done
  # the h2 transport answers exactly what gRPC core does (the unknown task's answer is stable)
  if [ "$GW_H2" = 1 ]; then
    cmp -s "$BENCH_DIR/get-$GPORT-bench-missing.json" "$BENCH_DIR/get-$HPORT-bench-missing.json" \
      || bdie "gw_h2 answered differently: $(head -c 300 "$BENCH_DIR/get-$HPORT-bench-missing.json")"
  fi
  grep -q '"stage":"Running"' "$BENCH_DIR/get-$GPORT-$TASK.json" \
    || blog "note: task $TASK is not Running: $(head -c 300 "$BENCH_DIR/get-$GPORT-$TASK.json")"
}

read_case() { # route-key task conc
  local key="$1" task="$2" c="$3" url pre="$1.c$3$REP"
  direct "direct-$pre" "$c" --task "$task"
  local d_rps="$D_RPS" d_p99="$D_P99"
  result "$pre.direct_rps" "$d_rps" "req/s"
  result "$pre.direct_p50" "$D_P50" "ms"
  result "$pre.direct_p99" "$d_p99" "ms"
  result "$pre.direct_master_cpu" "$D_MCPU_US" "us/req"
  # the peer first: its numbers are the baseline of the others
  run_wrk "peer-$pre" "$PEER_PID" "$c" "http://127.0.0.1:$PPORT/apis/v1alpha1/status/$task"
  local p_rps="$W_RPS" p_p99="$W_P99" p_cpu="$W_CPU_US"
  result "$pre.peer_rps" "$p_rps" "req/s" "$d_rps" "$(ratio "$p_rps" "$d_rps")"
  result "$pre.peer_p50" "$W_P50" "ms"
  result "$pre.peer_p99" "$p_p99" "ms"
  result "$pre.peer_cpu" "$p_cpu" "us/req"
  result "$pre.peer_master_cpu" "$W_MCPU_US" "us/req"
  [ "$W_NON2XX" != 0 ] && blog "$pre peer: $W_NON2XX non-2xx"
  local name pid port names=(gw)
  [ -n "$GW_BASE" ] && names=(gw_base gw)
  [ -n "$GW_BASE" ] && [ $(( ${REP#.r} % 2 )) = 0 ] && [ -n "$REP" ] && names=(gw gw_base)
  [ "$GW_H2" = 1 ] && names+=(gw_h2)
  [ "$GW_CO" = 1 ] && names+=(gw_co)
  for name in "${names[@]}"; do
    case "$name" in
      gw) pid=$GW_PID; port=$GPORT;;
      gw_co) pid=$GWC_PID; port=$CPORT;;
      gw_base) pid=$GWB_PID; port=$BPORT;;
      gw_h2) pid=$GWH_PID; port=$HPORT;;
    esac
    run_wrk "$name-$pre" "$pid" "$c" "http://127.0.0.1:$port/apis/v1alpha1/status/$task"
    [ "$W_NON2XX" != 0 ] && blog "$pre $name: $W_NON2XX non-2xx"
    local tgt="" vd=""
    if [ "$name" = gw ] && [ "$key" = unknown ] && [ "$c" = 64 ]; then tgt=">=0.8"; vd="$(verdict "$(ratio "$W_RPS" "$d_rps")" '>=' 0.8)"; fi
    result "$pre.${name}_rps" "$W_RPS" "req/s" "$d_rps" "$(ratio "$W_RPS" "$d_rps")" "$tgt" "$vd"
    result "$pre.${name}_rps_vs_peer" "$(ratio "$W_RPS" "$p_rps")" "x" "$p_rps"
    result "$pre.${name}_p50" "$W_P50" "ms"
    result "$pre.${name}_p99" "$W_P99" "ms" "$p_p99" "$(ratio "$W_P99" "$p_p99")" "<=peer" \
      "$(verdict "$(ratio "$W_P99" "$p_p99")" '<=' 1)"
    result "$pre.${name}_cpu" "$W_CPU_US" "us/req" "$p_cpu" "$(ratio "$W_CPU_US" "$p_cpu")" "<=0.33" \
      "$(verdict "$(ratio "$W_CPU_US" "$p_cpu")" '<=' 0.34)"
    result "$pre.${name}_master_cpu" "$W_MCPU_US" "us/req"
  done
}

# wrk pacing: each wrk thread sends on a fixed schedule of WRK_RATE_PER_THREAD req/s
# (delay() runs before every request after a connection's first; ms resolution, so requests
# may go up to 1 ms early, the mean rate holds; a thread behind its schedule catches up).
RATE_LUA='
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } dmgw_ts; int clock_gettime(int, dmgw_ts *); ]]
local ts = ffi.new("dmgw_ts")
local function now_ms() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6 end
local gap = 1000 / tonumber(os.getenv("WRK_RATE_PER_THREAD"))
local due = nil
delay = function()
  local now = now_ms()
  if due == nil then due = now end
  due = due + gap
  local d = due - now
  if d <= 0 then return 0 end
  return math.floor(d)
end
'

# rate_case <route-key> <task> <conc> <rate>: peer, gw_base, gw at <rate> req/s
rate_case() {
  local key="$1" task="$2" c="$3" r="$4" pre="$1.c$3.R$4$REP" name pid port p_p99=""
  printf '%s' "$RATE_LUA" >"$BENCH_DIR/rate.lua"
  export WRK_RATE_PER_THREAD="$(awk -v r="$r" 'BEGIN{printf "%.3f", r/2}')"
  local names=(peer gw); [ -n "$GW_BASE" ] && names=(peer gw_base gw)
  [ -n "$GW_BASE" ] && [ -n "$REP" ] && [ $(( ${REP#.r} % 2 )) = 0 ] && names=(peer gw gw_base)
  for name in "${names[@]}"; do
    case "$name" in
      peer) pid=$PEER_PID; port=$PPORT;;
      gw) pid=$GW_PID; port=$GPORT;;
      gw_base) pid=$GWB_PID; port=$BPORT;;
    esac
    run_wrk "$name-$pre" "$pid" "$c" "http://127.0.0.1:$port/apis/v1alpha1/status/$task" "$BENCH_DIR/rate.lua"
    local sat=""; awk -v a="$W_RPS" -v r="$r" 'BEGIN{exit !(a < 0.97 * r)}' && sat="saturated"
    result "$pre.${name}_rps" "$W_RPS" "req/s" "$r" "$(ratio "$W_RPS" "$r")" "" "$sat"
    result "$pre.${name}_p50" "$W_P50" "ms"
    if [ "$name" = peer ]; then
      p_p99="$W_P99"; result "$pre.peer_p99" "$W_P99" "ms"
    else
      result "$pre.${name}_p99" "$W_P99" "ms" "$p_p99" "$(ratio "$W_P99" "$p_p99")" "<=peer" \
        "$(verdict "$(ratio "$W_P99" "$p_p99")" '<=' 1)"
    fi
    result "$pre.${name}_cpu" "$W_CPU_US" "us/req"
  done
  unset WRK_RATE_PER_THREAD
}

WRITE_LUA='
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  if n % 2 == 1 then return wrk.format(nil, nil, nil, "{\"op\":2}") end
  return wrk.format(nil, nil, nil, "{\"op\":3}")
end
'

write_case() {
  local c="$WCONC" pre="write.c$WCONC" half=$(( (WCONC + 1) / 2 ))
  printf '%s' "$WRITE_LUA" >"$BENCH_DIR/write.lua"
  # direct: one client pausing, one resuming, at the same time
  local m0 m1 gp gr
  m0="$(proc_cpu_ticks "$MASTER_PID")"
  "$GRPC_BENCH" --addr "127.0.0.1:$MPORT" -c "$half" -d "$DUR" -q --label direct-pause \
    --method OperateTask --req "{\"op\":2,\"name\":\"$TASK\"}" >"$BENCH_DIR/direct-pause.out" &
  local bp=$!
  gr="$("$GRPC_BENCH" --addr "127.0.0.1:$MPORT" -c "$half" -d "$DUR" -q --label direct-resume \
        --method OperateTask --req "{\"op\":3,\"name\":\"$TASK\"}")" || bdie "dmgw-grpc-bench (resume) failed"
  wait "$bp" || bdie "dmgw-grpc-bench (pause) failed"
  m1="$(proc_cpu_ticks "$MASTER_PID")"
  gp="$(cat "$BENCH_DIR/direct-pause.out")"
  local d_rps d_p99
  d_rps="$(awk -v a="$(kv rps "$gp")" -v b="$(kv rps "$gr")" 'BEGIN{printf "%.1f", a+b}')"
  d_p99="$(awk -v a="$(kv p99_ms "$gp")" -v b="$(kv p99_ms "$gr")" 'BEGIN{printf "%.3f", (a+0 > b+0) ? a : b}')"
  result "$pre.direct_rps" "$d_rps" "req/s"
  result "$pre.direct_p99" "$d_p99" "ms"
  result "$pre.direct_master_cpu" "$(per_req "$m0" "$m1" "$(awk -v r="$d_rps" -v d="$DUR" 'BEGIN{printf "%d", r*d}')")" "us/req"
  run_wrk "peer-$pre" "$PEER_PID" "$c" "http://127.0.0.1:$PPORT/apis/v1alpha1/tasks/$TASK" "$BENCH_DIR/write.lua"
  local p_rps="$W_RPS" p_p99="$W_P99" p_cpu="$W_CPU_US"
  result "$pre.peer_rps" "$p_rps" "req/s" "$d_rps" "$(ratio "$p_rps" "$d_rps")"
  result "$pre.peer_p99" "$p_p99" "ms"
  result "$pre.peer_cpu" "$p_cpu" "us/req"
  run_wrk "gw-$pre" "$GW_PID" "$c" "http://127.0.0.1:$GPORT/apis/v1alpha1/tasks/$TASK" "$BENCH_DIR/write.lua"
  result "$pre.gw_rps" "$W_RPS" "req/s" "$d_rps" "$(ratio "$W_RPS" "$d_rps")"
  result "$pre.gw_rps_vs_peer" "$(ratio "$W_RPS" "$p_rps")" "x" "$p_rps"
  result "$pre.gw_p99" "$W_P99" "ms" "$p_p99" "$(ratio "$W_P99" "$p_p99")" "<=peer" \
    "$(verdict "$(ratio "$W_P99" "$p_p99")" '<=' 1)"
  result "$pre.gw_cpu" "$W_CPU_US" "us/req" "$p_cpu" "$(ratio "$W_CPU_US" "$p_cpu")" "<=0.33" \
    "$(verdict "$(ratio "$W_CPU_US" "$p_cpu")" '<=' 0.34)"
  [ "$W_NON2XX" != 0 ] && blog "$pre gw: $W_NON2XX non-2xx (Pause/Resume of a task in the other stage)"
  # leave the task running
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"op":3}' "http://127.0.0.1:$GPORT/apis/v1alpha1/tasks/$TASK" || true
}

TASK=bench-task
build_peer
blog "${DUR}s per case, connections \"$CONCS\", writes at c=$WCONC ($(nproc) CPUs, shared machine)"
start_stack
smoke
task_of() { [ "$1" = running ] && echo "$TASK" || echo bench-missing; }
for ((rep = 1; rep <= REPEAT; rep++)); do
  [ "$REPEAT" -gt 1 ] && REP=".r$rep"
  if [ "$RATE_ONLY" = 0 ]; then
    for c in $CONCS; do
      for k in $ROUTES; do read_case "$k" "$(task_of "$k")" "$c"; done
    done
  fi
  for r in $RATES; do
    for c in $CONCS; do
      for k in $ROUTES; do rate_case "$k" "$(task_of "$k")" "$c" "$r"; done
    done
  done
done
[ "$WCONC" -gt 0 ] 2>/dev/null && write_case
rss_of=(gw:$GW_PID peer:$PEER_PID)
[ "$GW_CO" = 1 ] && rss_of+=(gw_co:$GWC_PID)
[ -n "$GW_BASE" ] && rss_of+=(gw_base:$GWB_PID)
[ "$GW_H2" = 1 ] && rss_of+=(gw_h2:$GWH_PID)
for n in "${rss_of[@]}"; do
  read -r hwm _ < <(proc_rss "${n#*:}")
  tgt=""; vd=""
  [ "${n%%:*}" != peer ] && { tgt="<20MiB"; vd="$(verdict "$(mib "$hwm")" '<' 20)"; }
  result "${n%%:*}_peak_rss" "$(mib "$hwm")" "MiB" "" "" "$tgt" "$vd"
done

#!/usr/bin/env bash
# gateway_profile.sh - instructions per request of dm-gateway (callgrind), issue 18.
# One dm-master deploying one scripted worker (dmgw-scripted-workers: task `bench` Running in
# Sync with a filled SyncStatus, answered at once) and dm-gateway under
# `valgrind --tool=callgrind` (--coalesce=false). A keep-alive Python client sends W warm-up
# requests, the counters are zeroed (callgrind_control -z), then N sequential requests, then
# dumped. Prints Ir per request for each route and the top functions (inclusive and self).
#   scripts/bench/gateway_profile.sh [-n N] [--warmup W] [--route "status-running status-unknown"]
# Routes: status-running  GET /apis/v1alpha1/status/bench
#         status-unknown  GET /apis/v1alpha1/status/bench-missing
#         tasks-running   GET /api/v1/tasks/bench  (dmctl JSON)
# Ports BENCH_PORT_BASE+250..259. Output kept in BENCH_DIR with BENCH_KEEP=1.
# BENCH_GW_ARGS: extra dm-gateway flags (e.g. --master-transport=h2).
# --strace: instead of callgrind, system calls per request (strace -c -f attached after the
# warm-up, over the N requests; the gateway's own binary, no valgrind).
# --ctxsw [C]: instead, context switches and CPU per request under `wrk -c C` (default 8,
# -d BENCH_CTXSW_S seconds, default 5): the sums over the gateway's threads from
# /proc/<pid>/task/*/{status,stat} (kernel counters).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=1000; WARM=200; ROUTES="status-running status-unknown"; TOOL=callgrind
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2;;
    --warmup) WARM="$2"; shift 2;;
    --route) ROUTES="$2"; shift 2;;
    --strace) TOOL=strace; shift;;
    --ctxsw) TOOL=ctxsw; CTX_C=8; if [[ "${2:-}" =~ ^[0-9]+$ ]]; then CTX_C="$2"; shift; fi; shift;;
    -h|--help) sed -n '2,13p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

bench_init gateway_profile
bench_need valgrind callgrind_control callgrind_annotate python3
bench_bins master gateway dmctl
SW="$(bench_find_bin dmgw-scripted-workers "${DMGW_BENCH_BIN:-}" "${DMGW_BIN:-}" "$BENCH_ROOT/build-bench/bin" "$BENCH_ROOT/build/bin")" \
  || bdie "dmgw-scripted-workers not built"
P=$(( BENCH_PORT_BASE + 250 ))
MPORT=$((P + 1)); GPORT=$((P + 2))

"$SW" -n 1 --delay-ms 0 --ports-file "$BENCH_DIR/ports" >"$BENCH_DIR/workers.log" 2>&1 </dev/null &
BENCH_PIDS+=("$!")
for _ in $(seq 1 100); do [ -s "$BENCH_DIR/ports" ] && break; sleep 0.1; done
[ -s "$BENCH_DIR/ports" ] || bdie "dmgw-scripted-workers did not start"
bench_master "$MPORT" "bench-src-01=$(head -n 1 "$BENCH_DIR/ports")"
"$DMCTL" -master-addr "127.0.0.1:$MPORT" refresh-worker-tasks >"$BENCH_DIR/refresh.out" 2>&1 \
  || bdie "refresh-worker-tasks failed: $(head -c 300 "$BENCH_DIR/refresh.out")"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BENCH_DIR/jwt-secret"
TOKEN="$("$GATEWAY" token --secret-file "$BENCH_DIR/jwt-secret" --sub bench --scope "dm:read" --ttl 1h)"

CLIENT='
import http.client, sys
port, path, n, tok = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
codes = {}
for _ in range(n):
    c.request("GET", path, headers={"Authorization": "Bearer " + tok})
    r = c.getresponse(); r.read()
    codes[r.status] = codes.get(r.status, 0) + 1
print(" ".join("%d:%d" % kv for kv in sorted(codes.items())))
'

path_of() {
  case "$1" in
    status-running) echo /apis/v1alpha1/status/bench;;
    status-unknown) echo /apis/v1alpha1/status/bench-missing;;
    tasks-running) echo /api/v1/tasks/bench;;
    *) bdie "unknown route $1";;
  esac
}

strace_route() { # route path
  local route="$1" path="$2" out="$BENCH_DIR/strace.$1" spid
  bench_daemon "gateway-$route" "$GPORT" "$GATEWAY" --listen "127.0.0.1:$GPORT" --master-addr "127.0.0.1:$MPORT" \
    --auth-alg HS256 --auth-secret-file "$BENCH_DIR/jwt-secret" --coalesce=false --log-level info \
    --log-file "$BENCH_DIR/gw-$route.log" ${BENCH_GW_ARGS:-}
  local gpid=$LAST_PID
  python3 -c "$CLIENT" "$GPORT" "$path" "$WARM" "$TOKEN" >/dev/null
  strace -c -f -p "$gpid" -o "$out" 2>/dev/null & spid=$!
  sleep 1   # attached to every thread
  codes="$(python3 -c "$CLIENT" "$GPORT" "$path" "$N" "$TOKEN")"
  kill -INT "$spid"; wait "$spid" 2>/dev/null || true
  bench_stop_pid "$gpid"
  local total; total="$(awk '$NF == "total" {print $4}' "$out")"
  result "$route.syscalls_per_request" "$(awk -v t="$total" -v n="$N" 'BEGIN{printf "%.2f", t/n}')" "calls" "" "" "" ""
  blog "$route: $N requests ($codes)"
  awk -v n="$N" '$NF != "total" && $4+0 > 0 {printf "  %-16s %6.2f /req\n", $NF, $4/n}' "$out" | sort -k2 -rn | head -n 15
}

# thread_counters <pid>: "<voluntary> <involuntary> <cpu ticks>" summed over its threads,
# then one "name ticks" line per thread
thread_counters() {
  local pid="$1" t v=0 i=0 c=0 line
  for t in /proc/"$pid"/task/*; do
    line="$(awk '/^voluntary_ctxt_switches/{v=$2} /^nonvoluntary_ctxt_switches/{i=$2} END{print v+0, i+0}' "$t/status" 2>/dev/null)" || continue
    v=$((v + ${line% *})); i=$((i + ${line#* }))
    c=$((c + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0)))
  done
  echo "$v $i $c"
}

ctxsw_route() { # route path
  local route="$1" path="$2" dur="${BENCH_CTXSW_S:-5}"
  bench_daemon "gateway-$route" "$GPORT" "$GATEWAY" --listen "127.0.0.1:$GPORT" --master-addr "127.0.0.1:$MPORT" \
    --auth-alg HS256 --auth-secret-file "$BENCH_DIR/jwt-secret" --coalesce=false --log-level warn \
    --log-file "$BENCH_DIR/gw-$route.log" ${BENCH_GW_ARGS:-}
  local gpid=$LAST_PID
  python3 -c "$CLIENT" "$GPORT" "$path" "$WARM" "$TOKEN" >/dev/null
  local a b out n
  a="$(thread_counters "$gpid")"
  out="$(wrk -t2 -c"$CTX_C" -d"${dur}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$GPORT$path" 2>&1)"
  b="$(thread_counters "$gpid")"
  bench_stop_pid "$gpid"
  n="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
  [ -n "$n" ] && [ "$n" -gt 0 ] || bdie "wrk failed: $out"
  read -r v0 i0 c0 <<<"$a"; read -r v1 i1 c1 <<<"$b"
  local hz; hz="$(getconf CLK_TCK)"
  result "$route.c$CTX_C.vol_ctxsw_per_request" "$(awk -v d=$((v1 - v0)) -v n="$n" 'BEGIN{printf "%.2f", d/n}')" "" "" "" "" ""
  result "$route.c$CTX_C.invol_ctxsw_per_request" "$(awk -v d=$((i1 - i0)) -v n="$n" 'BEGIN{printf "%.2f", d/n}')" "" "" "" "" ""
  result "$route.c$CTX_C.cpu_per_request" "$(awk -v d=$((c1 - c0)) -v n="$n" -v hz="$hz" 'BEGIN{printf "%.1f", d*1e6/hz/n}')" "us" "" "" "" ""
  blog "$route: $n requests at c=$CTX_C in ${dur}s"
}

if [ "$TOOL" = ctxsw ]; then
  bench_need wrk
  for route in $ROUTES; do ctxsw_route "$route" "$(path_of "$route")"; done
  exit 0
fi

if [ "$TOOL" = strace ]; then
  bench_need strace
  for route in $ROUTES; do strace_route "$route" "$(path_of "$route")"; done
  exit 0
fi

for route in $ROUTES; do
  path="$(path_of "$route")"
  out="$BENCH_DIR/callgrind.$route"
  bench_daemon "gateway-$route" "$GPORT" valgrind --tool=callgrind --callgrind-out-file="$out.%p" \
    "$GATEWAY" --listen "127.0.0.1:$GPORT" --master-addr "127.0.0.1:$MPORT" --auth-alg HS256 \
    --auth-secret-file "$BENCH_DIR/jwt-secret" --coalesce=false --log-level info --log-file /dev/null \
    ${BENCH_GW_ARGS:-}
  gpid=$LAST_PID
  python3 -c "$CLIENT" "$GPORT" "$path" "$WARM" "$TOKEN" >/dev/null
  callgrind_control -z "$gpid" >/dev/null
  codes="$(python3 -c "$CLIENT" "$GPORT" "$path" "$N" "$TOKEN")"
  callgrind_control -d "$gpid" >/dev/null
  bench_stop_pid "$gpid"
  f="$(ls -t "$out".*.* 2>/dev/null | head -n 1 || true)"   # (pipefail: ls may get SIGPIPE)
  [ -n "$f" ] || f="$(ls -t "$out".* | head -n 1 || true)"
  total="$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1; exit}' || true)"
  result "$route.ir_per_request" "$(awk -v t="$total" -v n="$N" 'BEGIN{printf "%.0f", t/n}')" "Ir" "" "" "" ""
  blog "$route: $N requests ($codes), $f"
  { callgrind_annotate --inclusive=yes "$f" 2>/dev/null | sed -n "/^Ir/,\$p" | head -n 60 >"$BENCH_DIR/$route.incl.txt"; } || true
  { callgrind_annotate "$f" 2>/dev/null | sed -n "/^Ir/,\$p" | head -n 45 >"$BENCH_DIR/$route.self.txt"; } || true
  echo "--- $route inclusive"; cat "$BENCH_DIR/$route.incl.txt"
  echo "--- $route self"; cat "$BENCH_DIR/$route.self.txt"
done

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
# BENCH_SW_DELAY_MS: the scripted worker answers QueryStatus after this delay (default 0;
# 30 stands in for a real worker and MariaDB, as gateway_peer.sh has them).
# --strace: instead of callgrind, system calls per request (strace -c -f attached after the
# warm-up, over the N requests; the gateway's own binary, no valgrind).
# --ctxsw [C]: instead, context switches and CPU per request under `wrk -c C` (default 8,
# -d BENCH_CTXSW_S seconds, default 5): the sums over the gateway's threads from
# /proc/<pid>/task/*/{status,schedstat,stat} (kernel counters; CPU from schedstat in ns,
# user CPU in ticks). BENCH_CTXSW_STRACE=1: also system calls
# per request under wrk (strace -c -f; they slow the gateway, read only the counts).
# BENCH_CTXSW_PERF=1: also `perf record -e cpu-clock -g` of the gateway over the wrk run.
# BENCH_STRACE_SEQ=1 with --strace: the sequence of system calls (strace -f -tt), not counts.
# --pairs P: with --ctxsw, P alternating pairs of this build (A) and BENCH_GW_BASELINE (B,
# another dm-gateway binary), each a fresh gateway on the same master: per run CPU, user CPU,
# voluntary and involuntary context switches per request, req/s and wrk's p99; then the
# medians and the median of the pair-by-pair ratios A/B (the noise-robust way on a shared
# box; the order alternates, A first in odd pairs). B may be a wrapper script that adds flags.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=1000; WARM=200; PAIRS=0; ROUTES="status-running status-unknown"; TOOL=callgrind
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2;;
    --warmup) WARM="$2"; shift 2;;
    --route) ROUTES="$2"; shift 2;;
    --strace) TOOL=strace; shift;;
    --pairs) PAIRS="$2"; shift 2;;
    --ctxsw) TOOL=ctxsw; CTX_C=8; if [[ "${2:-}" =~ ^[0-9]+$ ]]; then CTX_C="$2"; shift; fi; shift;;
    -h|--help) sed -n '2,32p' "$0"; exit 0;;
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

"$SW" -n 1 --delay-ms "${BENCH_SW_DELAY_MS:-0}" --ports-file "$BENCH_DIR/ports" >"$BENCH_DIR/workers.log" 2>&1 </dev/null &
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
  if [ -n "${BENCH_STRACE_SEQ:-}" ]; then   # the sequence of system calls, not counts
    strace -f -tt -p "$gpid" -o "$out.seq" 2>/dev/null & spid=$!
    sleep 1
    codes="$(python3 -c "$CLIENT" "$GPORT" "$path" "$N" "$TOKEN")"
    kill -INT "$spid"; wait "$spid" 2>/dev/null || true
    bench_stop_pid "$gpid"
    blog "$route: $N requests ($codes), sequence in $out.seq"
    tail -n 60 "$out.seq"
    return
  fi
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

# thread_counters <pid>: "<voluntary> <involuntary> <cpu ns> <user ticks>" summed over its threads
# (cpu: nanoseconds on the CPU from schedstat - a tick is 4 us per request at 500 req/s)
thread_counters() {
  local pid="$1" t v=0 i=0 c=0 u=0 line
  for t in /proc/"$pid"/task/*; do
    line="$(awk '/^voluntary_ctxt_switches/{v=$2} /^nonvoluntary_ctxt_switches/{i=$2} END{print v+0, i+0}' "$t/status" 2>/dev/null)" || continue
    v=$((v + ${line% *})); i=$((i + ${line#* }))
    c=$((c + $(awk '{print $1}' "$t/schedstat" 2>/dev/null || echo 0)))   # ns on the CPU
    u=$((u + $(awk '{print $14}' "$t/stat" 2>/dev/null || echo 0)))
  done
  echo "$v $i $c $u"
}

ctxsw_route() { # route path [binary]
  local route="$1" path="$2" dur="${BENCH_CTXSW_S:-5}" bin="${3:-$GATEWAY}"
  bench_daemon "gateway-$route" "$GPORT" "$bin" --listen "127.0.0.1:$GPORT" --master-addr "127.0.0.1:$MPORT" \
    --auth-alg HS256 --auth-secret-file "$BENCH_DIR/jwt-secret" --coalesce=false --log-level warn \
    --log-file "$BENCH_DIR/gw-$route.log" ${BENCH_GW_ARGS:-}
  local gpid=$LAST_PID
  python3 -c "$CLIENT" "$GPORT" "$path" "$WARM" "$TOKEN" >/dev/null
  local a b out n
  local spid=""
  if [ -n "${BENCH_CTXSW_STRACE:-}" ]; then   # system calls under wrk (CPU figures then mean little)
    strace -c -f -p "$gpid" -o "$BENCH_DIR/strace-wrk.$route" 2>/dev/null & spid=$!
    sleep 1
  fi
  if [ -n "${BENCH_CTXSW_PERF:-}" ]; then   # perf record (cpu-clock, call graphs) over the wrk run
    perf record -q -e cpu-clock -F 4999 -g -p "$gpid" -o "$BENCH_DIR/perf.$route.data" 2>/dev/null & spid=$!
    sleep 0.5
  fi
  a="$(thread_counters "$gpid")"
  out="$(wrk -t2 -c"$CTX_C" -d"${dur}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$GPORT$path" 2>&1)"
  b="$(thread_counters "$gpid")"
  if [ -n "$spid" ] && [ -n "${BENCH_CTXSW_PERF:-}" ]; then
    kill -INT "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
    blog "perf data: $BENCH_DIR/perf.$route.data"
  elif [ -n "$spid" ]; then
    kill -INT "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
    n="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
    awk -v n="$n" '/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/{c=$4; name=$NF; printf "  %-14s %.3f per request\n", name, c/n}' \
      "$BENCH_DIR/strace-wrk.$route" >&2
  fi
  bench_stop_pid "$gpid"
  n="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
  [ -n "$n" ] && [ "$n" -gt 0 ] || bdie "wrk failed: $out"
  read -r v0 i0 c0 u0 <<<"$a"; read -r v1 i1 c1 u1 <<<"$b"
  local hz; hz="$(getconf CLK_TCK)"
  result "$route.c$CTX_C.vol_ctxsw_per_request" "$(awk -v d=$((v1 - v0)) -v n="$n" 'BEGIN{printf "%.2f", d/n}')" "" "" "" "" ""
  result "$route.c$CTX_C.invol_ctxsw_per_request" "$(awk -v d=$((i1 - i0)) -v n="$n" 'BEGIN{printf "%.2f", d/n}')" "" "" "" "" ""
  result "$route.c$CTX_C.cpu_per_request" "$(awk -v d=$((c1 - c0)) -v n="$n" 'BEGIN{printf "%.1f", d/1e3/n}')" "us" "" "" "" ""
  result "$route.c$CTX_C.user_cpu_per_request" "$(awk -v d=$((u1 - u0)) -v n="$n" -v hz="$hz" 'BEGIN{printf "%.1f", d*1e6/hz/n}')" "us" "" "" "" ""
  blog "$route: $n requests at c=$CTX_C in ${dur}s"
  # one line for --pairs: cpu user vol invol req/s p99
  CTX_LINE="$(awk -v c=$((c1 - c0)) -v u=$((u1 - u0)) -v v=$((v1 - v0)) -v i=$((i1 - i0)) -v n="$n" -v hz="$hz" -v d="$dur" \
    'BEGIN{printf "%.1f %.1f %.3f %.3f %.0f", c/1e3/n, u*1e6/hz/n, v/n, i/n, n/d}') $(printf '%s\n' "$out" | awk '$1=="99%"{print $2}')"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

pairs_route() { # route path: PAIRS x (A, B) alternating, A first in odd pairs, B first in even ones
  local route="$1" path="$2" k x la lb
  : >"$BENCH_DIR/pairs.$route"
  for k in $(seq 1 "$PAIRS"); do
    for x in $( [ $((k % 2)) = 1 ] && echo "A B" || echo "B A"); do
      if [ "$x" = A ]; then ctxsw_route "$route" "$path" "$GATEWAY" 2>/dev/null >/dev/null; la="$CTX_LINE"
      else ctxsw_route "$route" "$path" "$BENCH_GW_BASELINE" 2>/dev/null >/dev/null; lb="$CTX_LINE"; fi
    done
    echo "$k $la | $lb" | tee -a "$BENCH_DIR/pairs.$route" >&2
  done
  local f=$BENCH_DIR/pairs.$route
  echo "$route c=$CTX_C, $PAIRS pairs: columns cpu_us user_us vol/req invol/req req/s p99 (A | B)"
  for col in 2 3 4 5 6 7; do
    local name; name=$(echo "x cpu_us user_us vol_per_req invol_per_req req_s p99" | cut -d' ' -f"$col")
    local ma mb mr
    ma=$(awk -v c="$col" '{print $c}' "$f" | median)
    mb=$(awk -v c="$col" '{print $(c+7)}' "$f" | median)
    mr=$(awk -v c="$col" '{ if ($(c+7)+0) printf "%.4f\n", $c/$(c+7) }' "$f" | median)
    printf '  %-14s A %-8s B %-8s median A/B %s\n' "$name" "$ma" "$mb" "$mr"
  done
}

if [ "$TOOL" = ctxsw ] && [ "$PAIRS" -gt 0 ]; then
  bench_need wrk
  [ -x "${BENCH_GW_BASELINE:-}" ] || bdie "--pairs needs BENCH_GW_BASELINE=<dm-gateway binary>"
  for route in $ROUTES; do pairs_route "$route" "$(path_of "$route")"; done
  exit 0
fi

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

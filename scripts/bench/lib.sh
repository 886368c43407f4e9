# shellcheck shell=bash disable=SC2034
# lib.sh - shared helpers of the benchmark scripts (sourced, not run).
# Everything started through these helpers is registered and stopped by bench_cleanup
# (installed as the EXIT trap by bench_init). Loopback only.
#
# Environment:
#   DMGW_BIN          directory with dm-master, dm-worker, dm-gateway, dmctl
#                     (default: build-bench/bin, then build/bin)
#   DMGW_BENCH_BIN    directory with dmgw-grpc-bench (default: DMGW_BIN, build-bench/bin, build/bin)
#   BENCH_DIR         work directory (default: a new /tmp/dmgw-bench.XXXXXX, removed at exit
#                     unless BENCH_KEEP=1)
#   BENCH_PORT_BASE   first loopback port used (default 29100; each script uses +0..+49)
#   BENCH_RESULTS     if set, result rows "bench|metric|value|unit|baseline|ratio|target|verdict"
#                     are appended to this file (run.sh builds its table from it)

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SANDBOX="$BENCH_ROOT/scripts/mariadb-sandbox.sh"
BENCH_PIDS=()
BENCH_SANDBOXES=()
BENCH_OWN_DIR=0

blog() { printf '[%s %s] %s\n' "${BENCH_NAME:-bench}" "$(date +%H:%M:%S)" "$*" >&2; }
bdie() { blog "ERROR: $*"; exit 1; }

# Locate a binary: bench_find_bin <name> <dir>... -> prints the path or fails clearly.
bench_find_bin() {
  local name="$1" d; shift
  for d in "$@"; do
    [ -n "$d" ] && [ -x "$d/$name" ] && { printf '%s\n' "$d/$name"; return 0; }
  done
  return 1
}

bench_bins() { # sets MASTER WORKER GATEWAY DMCTL GRPC_BENCH; fails with a clear message
  local dirs=("${DMGW_BIN:-}" "$BENCH_ROOT/build-bench/bin" "$BENCH_ROOT/build/bin")
  local bdirs=("${DMGW_BENCH_BIN:-}" "${DMGW_BIN:-}" "$BENCH_ROOT/build-bench/bin" "$BENCH_ROOT/build/bin")
  local want
  for want in "$@"; do
    case "$want" in
      master) MASTER="$(bench_find_bin dm-master "${dirs[@]}")" || bdie "dm-master not built (cmake --build build-bench)";;
      worker) WORKER="$(bench_find_bin dm-worker "${dirs[@]}")" || bdie "dm-worker not built";;
      gateway) GATEWAY="$(bench_find_bin dm-gateway "${dirs[@]}")" || bdie "dm-gateway not built";;
      dmctl) DMCTL="$(bench_find_bin dmctl "${dirs[@]}")" || bdie "dmctl not built";;
      grpc) GRPC_BENCH="$(bench_find_bin dmgw-grpc-bench "${bdirs[@]}")" || bdie "dmgw-grpc-bench not built (cmake --build build-bench --target dmgw-grpc-bench)";;
      *) bdie "bench_bins: unknown $want";;
    esac
  done
}

bench_need() { # bench_need cmd... : fail clearly when a tool is missing
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || bdie "missing tool: $c"; done
}

bench_init() { # bench_init <name>
  BENCH_NAME="$1"
  if [ -z "${BENCH_DIR:-}" ]; then
    BENCH_DIR="$(mktemp -d "/tmp/dmgw-bench.XXXXXX")"
    BENCH_OWN_DIR=1
  fi
  BENCH_DIR="$BENCH_DIR/$BENCH_NAME"
  rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"
  BENCH_PORT_BASE="${BENCH_PORT_BASE:-29100}"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local rc=$? pid i s
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for s in "${BENCH_SANDBOXES[@]}"; do "$SANDBOX" stop "$s" >/dev/null 2>&1 || true; done
  if [ "$rc" -ne 0 ] && [ -d "$BENCH_DIR" ]; then
    blog "failed (rc=$rc); last log lines:"
    for s in "$BENCH_DIR"/*.log; do [ -f "$s" ] && { echo "--- $s" >&2; tail -n 5 "$s" >&2; }; done
  fi
  if [ "${BENCH_KEEP:-0}" != 1 ] && [ "$BENCH_OWN_DIR" = 1 ]; then
    rm -rf "$(dirname "$BENCH_DIR")"
  elif [ "${BENCH_KEEP:-0}" != 1 ]; then
    rm -rf "$BENCH_DIR"
  fi
  return "$rc"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds [pid]
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# bench_daemon <name> <port> cmd... : start in the background, log to $BENCH_DIR/<name>.log,
# wait for the port; sets LAST_PID.
bench_daemon() {
  local name="$1" port="$2"; shift 2
  port_free "$port" || bdie "port $port is busy (set BENCH_PORT_BASE)"
  "$@" >"$BENCH_DIR/$name.log" 2>&1 </dev/null &
  LAST_PID=$!
  BENCH_PIDS+=("$LAST_PID")
  wait_port "$port" 20 "$LAST_PID" || bdie "$name did not listen on $port (log $BENCH_DIR/$name.log)"
}

bench_stop_pid() { # stop one of our daemons early
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# bench_mariadb <name> <port> <server-id> : private MariaDB under $BENCH_DIR/<name>
bench_mariadb() {
  port_free "$2" || bdie "port $2 is busy (set BENCH_PORT_BASE)"
  BENCH_SANDBOXES+=("$BENCH_DIR/$1")
  "$SANDBOX" start "$BENCH_DIR/$1" "$2" "$3" >/dev/null || bdie "MariaDB $1 did not start"
}
sql() { # sql <sandbox-name> <mariadb args...>
  local n="$1"; shift
  "$SANDBOX" client "$BENCH_DIR/$n" "$@"
}

# bench_worker <name> <port> <source-id> <server-id> <source-port>
bench_worker() {
  local name="$1" port="$2" sid="$3" srvid="$4" sport="$5"
  mkdir -p "$BENCH_DIR/$name"
  cat >"$BENCH_DIR/$name/dm-worker.toml" <<TOML
worker-addr = "127.0.0.1:$port"
source-id = "$sid"
server-id = $srvid
flavor = "mariadb"
meta-dir = "$BENCH_DIR/$name/meta"
log-level = "${BENCH_LOG_LEVEL:-warn}"

[from]
host = "127.0.0.1"
port = $sport
user = "root"
password = ""
TOML
  bench_daemon "$name" "$port" "$WORKER" -config "$BENCH_DIR/$name/dm-worker.toml"
}

# bench_master <port> <source-id=worker-port>... : dm-master deploying the given workers
bench_master() {
  local port="$1" d sid wport; shift
  mkdir -p "$BENCH_DIR/master"
  {
    printf 'master-addr = "127.0.0.1:%s"\nrpc-timeout = "30s"\ndata-dir = "%s"\nlog-level = "warn"\n' \
      "$port" "$BENCH_DIR/master/data"
    printf 'rpc-rate-limit = 100000.0\nrpc-rate-burst = 100000\n'
    for d in "$@"; do
      sid="${d%%=*}"; wport="${d#*=}"
      printf '\n[[deploy]]\nsource-id = "%s"\ndm-worker = "127.0.0.1:%s"\n' "$sid" "$wport"
    done
  } >"$BENCH_DIR/master/dm-master.toml"
  bench_daemon master "$port" "$MASTER" -config "$BENCH_DIR/master/dm-master.toml"
}

# bench_task_yaml <file> <name> <target-port> <source-port-for-position> <db> <source-id>...
bench_task_yaml() {
  local f="$1" name="$2" tport="$3" sname="$4" db="$5" bfile bpos sid; shift 5
  read -r bfile bpos < <(sql "$sname" -N -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
  [ -n "$bfile" ] || bdie "SHOW MASTER STATUS on $sname gave nothing"
  {
    printf 'name: "%s"\ntask-mode: "incremental"\nmeta-schema: "dm_meta"\n\n' "$name"
    printf 'target-database:\n  host: "127.0.0.1"\n  port: %s\n  user: "root"\n  password: ""\n\n' "$tport"
    printf 'mysql-instances:\n'
    for sid in "$@"; do
      printf '  - source-id: "%s"\n    meta:\n      binlog-name: "%s"\n      binlog-pos: %s\n    black-white-list: "bench"\n' \
        "$sid" "$bfile" "$bpos"
    done
    printf '\nblack-white-list:\n  bench:\n    do-dbs: ["%s"]\n' "$db"
  } >"$f"
}

# bench_start_task <master-port> <task.yaml> : via dmctl; fails with dmctl's output
bench_start_task() {
  local out
  out="$("$DMCTL" -master-addr "127.0.0.1:$1" start-task "$2" 2>&1)" || true
  printf '%s\n' "$out" >"$BENCH_DIR/start-task.out"
  if ! printf '%s' "$out" | tr -d ' \n' | grep -q '"result":true'; then
    bdie "start-task failed: $(printf '%s' "$out" | head -c 600)"
  fi
}

# Peak and current RSS in KiB of a pid: "hwm rss"
# proc_cpu_ticks <pid>: user+system clock ticks of a process so far (0 when gone)
proc_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_s <ticks0> <ticks1>: CPU seconds between two proc_cpu_ticks readings
cpu_s() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}'; }

proc_rss() { awk '/^VmHWM/{h=$2} /^VmRSS/{r=$2} END{print h+0, r+0}' "/proc/$1/status" 2>/dev/null; }

# kv <key> <line of key=value...>
kv() { printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1==k{print $2; exit}'; }

# ratio a b -> a/b with 2 decimals ("n/a" when b is 0 or missing)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0 || a == "") print "n/a"; else printf "%.2f", a/b }'; }

# verdict <value> <op> <limit> -> PASS/MISS
verdict() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN{
    if (v == "" || v == "n/a") { print "n/a"; exit }
    ok = (op == ">=") ? (v+0 >= l+0) : (op == "<") ? (v+0 < l+0) : (v+0 <= l+0);
    print ok ? "PASS" : "MISS" }'
}

# result <metric> <value> <unit> [baseline] [ratio] [target] [verdict]
result() {
  local line="${BENCH_NAME}|$1|$2|$3|${4:-}|${5:-}|${6:-}|${7:-}"
  printf '%-8s %-44s %12s %-6s base=%-10s ratio=%-6s %s %s\n' "$BENCH_NAME" "$1" "$2" "$3" \
    "${4:--}" "${5:--}" "${6:-}" "${7:-}"
  [ -n "${BENCH_RESULTS:-}" ] && printf '%s\n' "$line" >>"$BENCH_RESULTS"
  return 0
}

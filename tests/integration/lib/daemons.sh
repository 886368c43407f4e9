# shellcheck shell=bash
# shellcheck disable=SC2154  # PID is the sourcing script's associative array
# daemons.sh - the dm-worker and dm-master processes of an end-to-end script (sourced after
# lib/e2e.sh). The script sets DIR, declares PID (declare -A PID) and, for worker i, the
# ports P_SRC<i> (its source, "source-<i>") and P_W<i>; P_M for dm-master.
#   worker_up I SERVER_ID          $DIR/w<I>.toml (meta-dir $DIR/w<I>-meta, relay server-id
#                                  SERVER_ID), then start_worker I
#   start_worker I / kill_worker I log $DIR/w<I>.log, PID[w<I>]; env given to start_worker
#                                  reaches the process (DMGW_FAILPOINT=<name> start_worker 1);
#                                  kill_worker is a kill -9
#   master_up N RPC_TIMEOUT [LINES] $DIR/m.toml (data-dir $DIR/m-data) deploying source-1..N
#                                  on workers 1..N (LINES: more top-level keys), started;
#                                  start the workers first: a refused first connection puts
#                                  the channel in gRPC's reconnect backoff
#   start_master / restart_master  log $DIR/m.log, PID[m]
#   DMCTL ARGS...                  dmctl against dm-master at $P_M (stderr folded in)
#   start_incremental_task NAME DB SRC_FN
#                                  $DIR/task.yaml: task NAME, incremental, do-dbs [DB], from
#                                  the position `SRC_FN "SHOW MASTER STATUS"` gives now, into
#                                  the target at $P_TGT; start-task, checked
#   daemons_cleanup SANDBOX...     the EXIT trap (trap 'daemons_cleanup src tgt' EXIT): on a
#                                  failure daemons_on_fail (if the script defines it) and the
#                                  logs' tails; daemons_before_stop (if defined); daemons
#                                  killed; a sanitizer report in a log fails the run; the
#                                  sandboxes $DIR/<SANDBOX> stopped; $DIR removed unless
#                                  DMGW_KEEP is set
worker_up() { # i server-id
  local i="$1" wp="P_W$1" sp="P_SRC$1"
  worker_toml "$DIR/w$i.toml" "${!wp}" "source-$i" "$2" "$DIR/w$i-meta" "${!sp}"
  start_worker "$i"
}
start_worker() { # i
  local i="$1" wp="P_W$1"
  "$DMGW_BIN/dm-worker" -config "$DIR/w$i.toml" >>"$DIR/w$i.log" 2>&1 &
  PID[w$i]=$!
  wait_port "${!wp}"
}
kill_worker() { # i: kill -9
  kill -9 "${PID[w$1]}" 2>/dev/null || true
  wait "${PID[w$1]}" 2>/dev/null || true
}
master_up() { # n rpc-timeout [lines]
  local i wp
  {
    echo "master-addr = \"127.0.0.1:$P_M\""
    echo "data-dir = \"$DIR/m-data\""
    echo "rpc-timeout = \"$2\""
    [ -n "${3:-}" ] && echo "$3"
    for i in $(seq 1 "$1"); do
      wp="P_W$i"
      printf '[[deploy]]\nsource-id = "source-%s"\ndm-worker = "127.0.0.1:%s"\n' "$i" "${!wp}"
    done
  } >"$DIR/m.toml"
  start_master
}
start_master() {
  "$DMGW_BIN/dm-master" -config "$DIR/m.toml" >>"$DIR/m.log" 2>&1 &
  PID[m]=$!
  wait_port "$P_M"
}
restart_master() {
  kill "${PID[m]}"; wait "${PID[m]}" 2>/dev/null || true
  start_master
}
DMCTL() { "$DMGW_BIN/dmctl" -master-addr "127.0.0.1:$P_M" "$@" 2>&1; }
start_incremental_task() { # name db src-fn
  local f p out
  read -r f p < <("$3" "SHOW MASTER STATUS" | awk '{print $1, $2}')
  cat >"$DIR/task.yaml" <<YAML
name: $1
task-mode: incremental
target-database: {host: "127.0.0.1", port: $P_TGT, user: root, password: ""}
mysql-instances:
  - source-id: source-1
    meta: {binlog-name: "$f", binlog-pos: $p}
    black-white-list: bw
black-white-list:
  bw: {do-dbs: ["$2"]}
YAML
  out="$(DMCTL start-task "$DIR/task.yaml")"
  check_contains "task starts" '"result": true' "$out"
}
daemons_cleanup() { # sandbox dir names
  local rc=$? p d
  if [ $rc -ne 0 ] || [ "$FAILS" -ne 0 ]; then
    if declare -F daemons_on_fail >/dev/null; then daemons_on_fail; fi
    tail -n 25 "$DIR"/*.log 2>/dev/null || true
  fi
  if declare -F daemons_before_stop >/dev/null; then daemons_before_stop; fi
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if grep -q "Sanitizer\|runtime error:" "$DIR"/*.log 2>/dev/null; then
    grep -h -A20 "Sanitizer\|runtime error:" "$DIR"/*.log | head -80
    rc=1
  fi
  for d in "$@"; do "$SB" stop "$DIR/$d" >/dev/null 2>&1 || true; done
  if [ -n "${DMGW_KEEP:-}" ]; then echo "# kept $DIR"; else rm -rf "$DIR"; fi
  rm -f "$RAND_PORTS_FILE"
  exit "$rc"
}

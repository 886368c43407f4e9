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

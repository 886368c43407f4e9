#!/usr/bin/env bash
# End-to-end: position-based relay (enable-gtid off) across a change of the source server
# (docs/worker.md "Relay unit", another server without enable-gtid). Source A, replica B
# (MASTER_USE_GTID, log_slave_updates), target T; dm-master + one dm-worker whose task reads
# the relay (binlog-type local).
#   1. failover with the relay behind: dm-worker stopped, rows written on A (B gets them),
#      B rotates its binlog twice and is promoted (STOP SLAVE), rows written on B, dm-worker
#      started with [from] = B. Before, the relay began a new sub-directory at B's current
#      file, position 4: A's rows written while the worker was down were never read (target
#      short by 20 rows, task Running). Now it reads B from the relay's GTID set;
#   2. B's server_id changed while the relay is paused behind it (pause-relay, rows, SET
#      GLOBAL server_id, FLUSH BINARY LOGS, rows, resume-relay): same rule.
# After each: target = B row by row (HEX), task Running.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
# shellcheck source=lib/daemons.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/daemons.sh"
SB="$ROOT/scripts/mariadb-sandbox.sh"
DIR="$(mktemp -d /tmp/dmgw-rfail-XXXXXX)"
P_A="$(rand_port)"; P_B="$(rand_port)"; P_TGT="$(rand_port)"; P_W1="$(rand_port)"; P_M="$(rand_port)"
P_SRC1="$P_A"   # worker 1's source (lib/daemons.sh)
W1="127.0.0.1:$P_W1"
declare -A PID
trap 'daemons_cleanup a b tgt' EXIT

"$SB" start "$DIR/a" "$P_A" 271 >/dev/null &
DMGW_SANDBOX_ARGS="--log-slave-updates=ON" "$SB" start "$DIR/b" "$P_B" 272 >/dev/null &
"$SB" start "$DIR/tgt" "$P_TGT" 274 >/dev/null &
wait
A() { mariadb -h127.0.0.1 -P"$P_A" -uroot -N -B -e "$1"; }
B() { mariadb -h127.0.0.1 -P"$P_B" -uroot -N -B -e "$1"; }
tgt() { mariadb -h127.0.0.1 -P"$P_TGT" -uroot -N -B -e "$1"; }
B "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P_A, MASTER_USER='root', MASTER_USE_GTID=slave_pos; START SLAVE"
SCHEMA="CREATE DATABASE fo; CREATE TABLE fo.t (id INT PRIMARY KEY, a INT, b VARCHAR(40));"
A "$SCHEMA"
tgt "$SCHEMA"
worker_up 1 6701
master_up 1 10s
start_incremental_task rfail fo A

N=0
rows() { # server-fn count
  local i
  for i in $(seq 1 "$2"); do
    N=$((N + 1)); "$1" "INSERT INTO fo.t VALUES ($N, $((N * 3)), REPEAT('f', $((N % 40))))"
  done
  "$1" "UPDATE fo.t SET a = a + 1 WHERE id % 5 = 0"
}
dump() { "$1" "SELECT HEX(id), HEX(a), HEX(b) FROM fo.t ORDER BY id"; }
same_as() { [ "$(dump "$1")" = "$(dump tgt)" ]; }
check_rows() { # description server-fn
  if ! wait_for "$1" 90 same_as "$2"; then diff <(dump "$2") <(dump tgt) | head -10; fi
}
status() { DMCTL query-status rfail; }
relay_sub() { DMCTL query-status -w "$W1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workers"][0]["relayStatus"]["relaySubDir"])' 2>/dev/null; }
b_caught_up() { [ "$(dump A)" = "$(dump B)" ]; }

rows A 20
check_rows "rows from A replicated" A
wait_for "B caught up with A" 60 b_caught_up

# ---- 1. failover A -> B with the relay behind ----
# (a graceful stop: with a kill -9 the task's checkpoint can lie past the relay.meta the
# old sub-directory is cut back to, in a file name B's sub-directory holds too - see
# docs/worker.md "Another source server": a named pause, not this test's subject)
kill -TERM "${PID[w1]}"; wait "${PID[w1]}" 2>/dev/null || true
rows A 20
wait_for "B caught up with A (worker down)" 60 b_caught_up
B "FLUSH BINARY LOGS"; B "FLUSH BINARY LOGS"
B "STOP SLAVE"
rows B 20
worker_toml "$DIR/w1.toml" "$P_W1" source-1 6701 "$DIR/w1-meta" "$P_B"
start_worker 1
check_rows "1: after the failover to B with the relay behind: target = B (HEX)" B
check_eq "1: the relay's new sub-directory is B's" "0-272.000002" "$(relay_sub)"
check_contains "1: the relay read B from its GTID set" "its binlog is read from the relay's GTID set" "$(cat "$DIR/w1.log")"
check_eq "1: task Running" "" "$(status | grep '"stage": "Paused"' || true)"

# ---- 2. B's server_id changes while the relay is paused behind it ----
out="$(DMCTL pause-relay -w "$W1")"
check_contains "2: pause-relay" '"result": true' "$out"
rows B 15
B "SET GLOBAL server_id = 273"
B "FLUSH BINARY LOGS"
rows B 15
out="$(DMCTL resume-relay -w "$W1")"
check_contains "2: resume-relay" '"result": true' "$out"
check_rows "2: after B's server_id changed with the relay behind: target = B (HEX)" B
check_eq "2: the relay's new sub-directory" "0-273.000003" "$(relay_sub)"
check_eq "2: task Running" "" "$(status | grep '"stage": "Paused"' || true)"
e2e_finish

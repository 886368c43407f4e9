#!/usr/bin/env bash
# End-to-end: kill -9 of dm-worker (relay on, task reading it) with the task's checkpoint
# past relay.meta, then a source failover to a replica with the same GTID history
# (docs/worker.md "Relay: kill -9 across a source failover"). Source A, replica B
# (MASTER_USE_GTID, log_slave_updates), target T.
#   The failpoint DMGW_FAILPOINT=relay-meta-frozen keeps relay.meta where it was at the
#   start, so the 20 rows the task applies before the kill -9 are all past it (a race of
#   100 ms otherwise). B does not rotate: its first file has A's name. Before, the relay cut
#   A's file back to relay.meta and read B from that older GTID set; the task's checkpoint
#   then fell into B's copy of mysql-bin.000001 and it paused with "relay log file ... is
#   corrupt at offset N". Now the relay keeps the complete transactions written after
#   relay.meta (relay.meta moves to the last one), B is read from there, the task goes on
#   in A's copy and crosses into B's: target = B by HEX, task Running, every row once.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
# shellcheck source=lib/daemons.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/daemons.sh"
SB="$ROOT/scripts/mariadb-sandbox.sh"
DIR="$(mktemp -d /tmp/dmgw-rfkill-XXXXXX)"
P_A="$(rand_port)"; P_B="$(rand_port)"; P_TGT="$(rand_port)"; P_W1="$(rand_port)"; P_M="$(rand_port)"
P_SRC1="$P_A"
W1="127.0.0.1:$P_W1"
declare -A PID
trap 'daemons_cleanup a b tgt' EXIT

"$SB" start "$DIR/a" "$P_A" 281 >/dev/null &
DMGW_SANDBOX_ARGS="--log-slave-updates=ON" "$SB" start "$DIR/b" "$P_B" 282 >/dev/null &
"$SB" start "$DIR/tgt" "$P_TGT" 284 >/dev/null &
wait
A() { mariadb -h127.0.0.1 -P"$P_A" -uroot -N -B -e "$1"; }
B() { mariadb -h127.0.0.1 -P"$P_B" -uroot -N -B -e "$1"; }
tgt() { mariadb -h127.0.0.1 -P"$P_TGT" -uroot -N -B -e "$1"; }
B "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P_A, MASTER_USER='root', MASTER_USE_GTID=slave_pos; START SLAVE"
SCHEMA="CREATE DATABASE fk; CREATE TABLE fk.t (id INT PRIMARY KEY, a INT, b VARCHAR(40));"
A "$SCHEMA"
tgt "$SCHEMA"
worker_up 1 6801
master_up 1 10s
start_incremental_task rfkill fk A

N=0
rows() { # server-fn count
  local i
  for i in $(seq 1 "$2"); do
    N=$((N + 1)); "$1" "INSERT INTO fk.t VALUES ($N, $((N * 7)), REPEAT('k', $((N % 40))))"
  done
  "$1" "UPDATE fk.t SET a = a + 1 WHERE id % 4 = 0"
}
dump() { "$1" "SELECT HEX(id), HEX(a), HEX(b) FROM fk.t ORDER BY id"; }
same_as() { [ "$(dump "$1")" = "$(dump tgt)" ]; }
check_rows() { # description server-fn
  if ! wait_for "$1" 90 same_as "$2"; then diff <(dump "$2") <(dump tgt) | head -10; fi
}
status() { DMCTL query-status rfkill; }
b_caught_up() { [ "$(dump A)" = "$(dump B)" ]; }

rows A 10
check_rows "rows from A replicated" A
# restart with relay.meta frozen, rows applied past it, kill -9
kill -TERM "${PID[w1]}"; wait "${PID[w1]}" 2>/dev/null || true
DMGW_FAILPOINT=relay-meta-frozen start_worker 1
rows A 20
check_rows "rows applied with relay.meta frozen behind them" A
META="$(find "$DIR/w1-meta" -name relay.meta -exec cat {} + 2>/dev/null)"
echo "relay.meta before the kill: $META"
kill_worker 1
wait_for "B caught up with A (worker down)" 60 b_caught_up
B "STOP SLAVE"
rows B 20
worker_toml "$DIR/w1.toml" "$P_W1" source-1 6801 "$DIR/w1-meta" "$P_B"
start_worker 1
check_rows "after kill -9 + failover to B: target = B (HEX)" B
check_contains "the relay kept the transactions past relay.meta" "kept the complete transactions written after relay.meta" "$(cat "$DIR/w1.log")"
check_eq "task Running" "" "$(status | grep -E '"stage": "Paused"|corrupt' || true)"
check_eq "no row twice in the target's binlog count" "$(tgt 'SELECT COUNT(*) FROM fk.t')" "$N"
e2e_finish

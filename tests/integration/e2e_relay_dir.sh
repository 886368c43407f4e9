#!/usr/bin/env bash
# End-to-end: the relay directory removed by hand under a running dm-worker (docs/worker.md
# "Relay unit", relay-dir lost). One source, one target, dm-master, one dm-worker whose task
# reads the relay (binlog-type local); rows flow (INSERTs, a binlog rotation) while:
#   1. the whole relay-dir is deleted: the subtask reading the (now unlinked) file pauses
#      naming it, resume-relay refuses to start over at the source's current position (30003
#      naming relay-dir; before, the relay started a new sub-directory there and the reader
#      went on with its next file: the rest of the file was skipped, rows lost, task Running);
#      nothing after the gap reaches the target. Recovery as documented: dm-worker restarted
#      with relay-binlog-name = the checkpoint's file, resume-task: target = source (HEX);
#   2. only the relay's sub-directory is deleted (server-uuid.index kept): the same named
#      errors; recovery: the whole relay-dir removed, restart with relay-binlog-name.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
# shellcheck source=lib/daemons.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/daemons.sh"
SB="$ROOT/scripts/mariadb-sandbox.sh"
DIR="$(mktemp -d /tmp/dmgw-rdir-XXXXXX)"
P_SRC1="$(rand_port)"; P_TGT="$(rand_port)"; P_W1="$(rand_port)"; P_M="$(rand_port)"
W1="127.0.0.1:$P_W1"
declare -A PID
trap 'daemons_cleanup src tgt' EXIT

"$SB" start "$DIR/src" "$P_SRC1" 251 >/dev/null &
"$SB" start "$DIR/tgt" "$P_TGT" 252 >/dev/null &
wait
src() { mariadb -h127.0.0.1 -P"$P_SRC1" -uroot -N -B -e "$1"; }
tgt() { mariadb -h127.0.0.1 -P"$P_TGT" -uroot -N -B -e "$1"; }
SCHEMA="CREATE DATABASE rd; CREATE TABLE rd.t (id INT PRIMARY KEY, a INT, b VARCHAR(40));"
src "$SCHEMA"
tgt "$SCHEMA"
RELAY="$DIR/w1-meta/relay_log"
w_toml() { # [extra lines]
  worker_toml "$DIR/w1.toml" "$P_W1" source-1 6501 "$DIR/w1-meta" "$P_SRC1" "${1:-}"
}
w_toml
start_worker 1
master_up 1 10s
start_incremental_task rdir rd src

N=0
rows() { # count: INSERT count rows, one transaction each
  local i
  for i in $(seq 1 "$1"); do
    N=$((N + 1)); src "INSERT INTO rd.t VALUES ($N, $((N * 7)), REPEAT('r', $((N % 40))))"
  done
}
dump() { "$1" "SELECT HEX(id), HEX(a), HEX(b) FROM rd.t ORDER BY id"; }
rows_equal() { [ "$(dump src)" = "$(dump tgt)" ]; }
check_rows() {
  if ! wait_for "$1" 90 rows_equal; then diff <(dump src) <(dump tgt) | head -10; fi
}
status() { DMCTL query-status rdir; }
relay_status() { DMCTL query-status -w "$W1"; }
task_paused() { status | grep -q '"stage": "Paused"'; }
prefix() { # the target = the source's rows up to the target's last id (ids only grow):
  # nothing skipped, nothing past a gap
  local max
  max="$(tgt "SELECT COALESCE(MAX(id), 0) FROM rd.t")"
  [ "$(src "SELECT HEX(id), HEX(a), HEX(b) FROM rd.t WHERE id <= $max ORDER BY id")" = "$(dump tgt)" ]
}
cp_file() { tgt "SELECT binlog_name FROM dm_meta.rdir_syncer_checkpoint WHERE id = 'source-1' AND cp_schema = ''"; }

rows 30
check_rows "first rows replicated"

# ---- 1. the whole relay-dir deleted while rows flow ----
rm -rf "$RELAY"
rows 20
src "FLUSH BINARY LOGS"
rows 20
wait_for "1: the subtask pauses (its relay file was removed)" 60 task_paused
check_contains "1: the subtask's error names the removed file" "was removed while this subtask read it" "$(status)"
out="$(DMCTL resume-relay -w "$W1")"
relay_lost() { relay_status | grep -q 'lost the sub-directory it writes while dm-worker ran'; }
wait_for "1: resume-relay: the relay refuses to start over (30003 naming relay-dir)" 30 relay_lost
check_contains "1: the relay error is 30003" 'code=30003' "$(relay_status)"
out="$(DMCTL resume-task rdir)"
out="$(DMCTL resume-relay -w "$W1")"
sleep 2
check_contains "1: a second resume-relay refuses again" 'lost the sub-directory it writes' "$(relay_status)"
rows 5
sleep 1
prefix && ok "1: the target = a prefix of the source (no row skipped)" || fail "1: rows skipped on the target"
# recovery: restart with relay-binlog-name = the checkpoint's file
CP="$(cp_file)"
kill -TERM "${PID[w1]}"; wait "${PID[w1]}" 2>/dev/null || true
w_toml "relay-binlog-name = \"$CP\""
start_worker 1
out="$(DMCTL resume-task rdir)"
check_rows "1: after a restart with relay-binlog-name = $CP and resume-task: target = source (HEX)"
check_eq "1: task Running" "" "$(status | grep '"stage": "Paused"' || true)"

# ---- 2. only the relay's sub-directory deleted (server-uuid.index kept) ----
SUB="$(relay_status | python3 -c 'import json,sys; print(json.load(sys.stdin)["workers"][0]["relayStatus"]["relaySubDir"])')"
rows 10
check_rows "2: rows replicated before"
rm -rf "${RELAY:?}/$SUB"
rows 10
src "FLUSH BINARY LOGS"
rows 10
wait_for "2: the subtask pauses (its relay file was removed)" 60 task_paused
out="$(DMCTL resume-relay -w "$W1")"
meta_lost() { relay_status | grep -q 'lost the relay.meta of its sub-directory while dm-worker ran'; }
wait_for "2: resume-relay refuses to start over (its sub-directory lost)" 30 meta_lost
prefix && ok "2: the target = a prefix of the source (no row skipped)" || fail "2: rows skipped on the target"
CP="$(cp_file)"
kill -TERM "${PID[w1]}"; wait "${PID[w1]}" 2>/dev/null || true
rm -rf "$RELAY"
w_toml "relay-binlog-name = \"$CP\""
start_worker 1
out="$(DMCTL resume-task rdir)"
rows 5
check_rows "2: after the relay-dir removed, a restart with relay-binlog-name and resume-task: target = source"
check_eq "no worker panic" "" "$(grep -h 'Sanitizer\|panic' "$DIR"/w1.log | head -3)"
e2e_finish

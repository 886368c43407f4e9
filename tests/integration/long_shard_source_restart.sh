#!/usr/bin/env bash
# Long (no defect found; ~35 s): a pessimistic sharding lock under failures between the shards' DDLs
# (docs/worker.md "Relay under failure"). Two sources, two dm-workers (relay on, the task
# reads it), 4 shards merged into shard_db.t (lib/shard.sh). One DDL reaches the shards
# one at a time; between them:
#   1. source 2 restarts (its shards still to meet the DDL; rows keep flowing on them),
#   2. dm-master is killed -9 and restarted while the lock waits for shards 3 and 4,
#   3. shard 3 meets the DDL, worker 2 is killed -9 right after and restarted,
#   4. source 1 crashes (kill -9 of mariadbd) and restarts while the lock is pending,
#   5. shard 4 meets the DDL: the lock resolves.
# Then: no lock left, the DDL once in the target's binlog, target = the merge of the
# shards by HEX of every column, both subtasks Running.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
DIR="$(mktemp -d /tmp/dmgw-shsrc-XXXXXX)"
# shellcheck source=lib/shard.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/shard.sh"
DDL0="CREATE TABLE %s (id BIGINT PRIMARY KEY, v VARCHAR(32), w INT) DEFAULT CHARSET=utf8mb4"
shard_start shsrc 250 "$DDL0"

N=0
ins() { # shard
  N=$((N + 1))
  src "$(sh_port "$1")" "INSERT INTO $(sh_tbl "$1") (id, v, w) VALUES ($(($1 * 100000 + N)), 'r$N', $N); UPDATE $(sh_tbl "$1") SET w = w + 1 WHERE id % 3 = 0"
}
alter() { src "$(sh_port "$1")" "ALTER TABLE $(sh_tbl "$1") $2"; }
locks_json() { DMCTL show-ddl-locks shsrc; }
no_lock() { locks_json | grep -q 'no DDL lock exists'; }
has_lock() { locks_json | grep -q '"ID"'; }
merged() { for k in 1 2 3 4; do src "$(sh_port "$k")" "$(hexsel "$(sh_tbl "$k")")"; done; }
rows_equal() { [ "$(merged | sort)" = "$(tgt "$(hexsel shard_db.t)" | sort)" ]; }
tbin() { mariadb-binlog "$DIR"/tgt/data/mysql-bin.[0-9]* 2>/dev/null | grep -c "^ALTER TABLE \`shard_db\`.\`t\` $1" || true; }
src_up() { src "$1" "SELECT 1" >/dev/null 2>&1; }
restart_src() { # i [kill]
  local pv="P_SRC$1" pid
  if [ "${2:-}" = kill ]; then
    pid="$(cat "$DIR/src$1/mysqld.pid")"; kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  else
    "$SB" stop "$DIR/src$1" >/dev/null 2>&1
  fi
  "$SB" start "$DIR/src$1" "${!pv}" $((250 + $1)) >/dev/null
  wait_for "source $1 back" 60 src_up "${!pv}"
}

# x comes with the DDL: compared from then on
hexsel() { echo "SELECT HEX(id), HEX(v), HEX(w) FROM $1"; }
for k in 1 2 3 4; do ins "$k"; done
wait_for "first rows merged" 60 rows_equal

DDL="ADD COLUMN x INT DEFAULT 7"
alter 1 "$DDL"; ins 1; alter 2 "$DDL"; ins 2
wait_for "the lock waits for worker 2's shards" 60 has_lock
restart_src 2
ins 3; ins 4
kill -9 "${PID[m]}"; wait "${PID[m]}" 2>/dev/null || true
start_master
ins 3; ins 4
alter 3 "$DDL"; ins 3
kill_worker 2
start_worker 2
ins 1; ins 4
restart_src 1 kill
ins 1
alter 4 "$DDL"; ins 4
hexsel() { echo "SELECT HEX(id), HEX(v), HEX(w), HEX(x) FROM $1"; }
wait_for "no DDL lock left" 120 no_lock
for k in 1 2 3 4; do ins "$k"; done
if ! wait_for "target = merge of the 4 shards (HEX)" 120 rows_equal; then
  diff <(merged | sort) <(tgt "$(hexsel shard_db.t)" | sort) | head -10
  DMCTL query-status shsrc | grep -E '"stage"|"msg"' | head
fi
check_eq "the DDL once in the target's binlog" 1 "$(tbin 'ADD COLUMN x INT DEFAULT 7')"
check_eq "both subtasks Running" "" "$(DMCTL query-status shsrc | grep -E '"stage": "Paused"' || true)"
e2e_finish

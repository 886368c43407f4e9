#!/usr/bin/env bash
# End-to-end: a prepared XA transaction across a pessimistic sharding lock and a kill -9
# (docs/worker.md "Relay under failure", prepared XA transactions). Two sources, two
# dm-workers (relay on), 4 shards merged into shard_db.t (lib/shard.sh). On shard 1: XA
# PREPARE (its rows applied), then shard 2 meets a DDL (its group waits for the others -
# shard 1's ALTER waits for the XA's metadata lock on the source; the global checkpoint stays
# at that DDL), then XA COMMIT; worker 1 is killed -9 and
# restarted: it replays from the DDL and meets the XA COMMIT again. The XA record must still
# be there (its deletion waits until the global checkpoint passes the COMMIT), else the task
# pauses with "XA COMMIT ... whose XA PREPARE was before this task's start position".
# Then the other shards meet the DDL: the lock resolves, target = merge by HEX, Running.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
DIR="$(mktemp -d /tmp/dmgw-shxa-XXXXXX)"
# shellcheck source=lib/shard.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/shard.sh"
DDL0="CREATE TABLE %s (id BIGINT PRIMARY KEY, v VARCHAR(32)) DEFAULT CHARSET=utf8mb4"
shard_start shxa 260 "$DDL0"

N=0
ins() { N=$((N + 1)); src "$(sh_port "$1")" "INSERT INTO $(sh_tbl "$1") (id, v) VALUES ($(($1 * 100000 + N)), 'r$N')"; }
alter() { src "$(sh_port "$1")" "ALTER TABLE $(sh_tbl "$1") $2"; }
locks_json() { DMCTL show-ddl-locks shxa; }
no_lock() { locks_json | grep -q 'no DDL lock exists'; }
group_waits() { grep -q 'try to sync table in shard group.*t_2' "$DIR/w1.log"; }
hexsel() { echo "SELECT HEX(id), HEX(v) FROM $1"; }
merged() { for k in 1 2 3 4; do src "$(sh_port "$k")" "$(hexsel "$(sh_tbl "$k")")"; done; }
rows_equal() { [ "$(merged | sort)" = "$(tgt "$(hexsel shard_db.t)" | sort)" ]; }
paused() { DMCTL query-status shxa | grep -q '"stage": "Paused"'; }
xa_rows() { tgt "SELECT COUNT(*) FROM dm_meta.shxa_syncer_xa" 2>/dev/null; }
has_xa() { [ "$(xa_rows)" = 1 ]; }

for k in 1 2 3 4; do ins "$k"; done
wait_for "first rows merged" 60 rows_equal
src "$P_SRC1" "XA START 'sx1'; INSERT INTO shard_db_1.t_1 VALUES (7, 'xa'); XA END 'sx1'; XA PREPARE 'sx1'"
wait_for "the XA PREPARE's record stored" 60 has_xa
DDL="ADD COLUMN x INT DEFAULT 5"
alter 2 "$DDL"     # shard 2 (source 1; shard 1's table is locked by the prepared XA)
wait_for "worker 1's shard group waits for shard 1" 60 group_waits
src "$P_SRC1" "XA COMMIT 'sx1'"
ins 1; ins 3
sleep 3   # checkpoint flushes past the XA COMMIT (the global point stays at the DDL)
check_eq "the XA record is kept while the global checkpoint is before the COMMIT" 1 "$(xa_rows)"
kill_worker 1
start_worker 1
ins 1
alter 1 "$DDL"; alter 3 "$DDL"; alter 4 "$DDL"
hexsel() { echo "SELECT HEX(id), HEX(v), HEX(x) FROM $1"; }
wait_for "no DDL lock left" 120 no_lock
for k in 1 2 3 4; do ins "$k"; done
if ! wait_for "target = merge of the 4 shards (HEX)" 120 rows_equal; then
  diff <(merged | sort) <(tgt "$(hexsel shard_db.t)" | sort) | head -10
fi
check_eq "both subtasks Running" "" "$(DMCTL query-status shxa | grep -E '"stage": "Paused"|"msg": "[^"]+' || true)"
e2e_finish

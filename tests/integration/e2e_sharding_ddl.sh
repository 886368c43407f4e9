#!/usr/bin/env bash
# End-to-end: DM v1.0.7's pessimistic sharding DDL on our dm-worker with our dm-master.
# Two source MariaDBs, two dm-workers, two shard tables on each (4 shards) merged into one
# target table (is-sharding: true). ALTER TABLE ... ADD COLUMN on the shards one by one:
# the held shards' rows wait, the others replicate; the lock shows in GET /api/v1/ddl-locks
# and dmctl show-ddl-locks with the right synced/unsynced workers; a worker is killed -9
# while the lock is pending and restarted, so is the blocked owner and dm-master (the lock is rebuilt from the
# workers' DDLInfo); the last shard resolves the lock: the target
# gets the column once and every row. Then the operator paths: unlock-ddl-lock through the
# gateway while a worker never met the DDL, break-ddl-lock --skip on that worker, and
# unlock-ddl-lock --force-remove of the stale lock; conflicting DDLs are refused (38016).
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
DIR="$(mktemp -d /tmp/dmgw-shard-XXXXXX)"
# shellcheck source=lib/shard.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/shard.sh"
P_GW="$(rand_port)"
shard_sandboxes 210
for i in 1 2; do
  pv="P_SRC$i"
  src "${!pv}" "CREATE DATABASE shard_db_$i;
    CREATE TABLE shard_db_$i.t_1 (id BIGINT PRIMARY KEY, v VARCHAR(32));
    CREATE TABLE shard_db_$i.t_2 (id BIGINT PRIMARY KEY, v VARCHAR(32));"
done
tgt "CREATE DATABASE shard_db; CREATE TABLE shard_db.t (id BIGINT PRIMARY KEY, v VARCHAR(32));"
shard_daemons 6100
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secret"
"$DMGW_BIN/dm-gateway" --listen "127.0.0.1:$P_GW" --master-addr "127.0.0.1:$P_M" \
  --auth-alg HS256 --auth-secret-file "$DIR/secret" >"$DIR/gw.log" 2>&1 &
PID[gw]=$!
DM_GATEWAY_URL="http://127.0.0.1:$P_GW"
DM_TOKEN="$("$DMGW_BIN/dm-gateway" token --secret-file "$DIR/secret" --sub e2e --scope "dm:read dm:write dm:admin" --ttl 1h)"
wait_port "$P_GW"
shard_task_yaml shardt "$DIR/task.yaml"
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DIR/task.yaml"
check_eq "sharding task starts on both workers (201)" 201 "$HTTP_CODE"

# rows: shard k (1..4) = source s, table t_j; ids k*100000 + n
SHARDS="1:1:1 2:1:2 3:2:1 4:2:2"
ins() { # shard from to [extra-col-values...]
  local k="$1" a="$2" b="$3" cols="${4:-}" s t pv vals="" n
  for e in $SHARDS; do IFS=: read -r kk ss tt <<<"$e"; [ "$kk" = "$k" ] && s=$ss && t=$tt; done
  pv="P_SRC$s"
  for n in $(seq "$a" "$b"); do vals="$vals${vals:+,}($((k * 100000 + n)),'s$k-$n'$cols)"; done
  src "${!pv}" "INSERT INTO shard_db_$s.t_$t VALUES $vals"
}
alter() { # shard sql-tail
  local k="$1" s t pv
  for e in $SHARDS; do IFS=: read -r kk ss tt <<<"$e"; [ "$kk" = "$k" ] && s=$ss && t=$tt; done
  pv="P_SRC$s"
  src "${!pv}" "ALTER TABLE shard_db_$s.t_$t $2"
}
count_is() { [ "$(tgt "SELECT COUNT(*) FROM shard_db.t ${2:-}")" = "$1" ]; }
for k in 1 2 3 4; do ins "$k" 1 10; done
wait_for "40 rows of the 4 shards merged" 30 count_is 40

locks() { api GET "/api/v1/ddl-locks?task=shardt"; }
lock_field() { echo "$BODY" | jq_get "$1"; }

# ---- round 1: ADD COLUMN c, shard by shard ----
alter 1 "ADD COLUMN c INT"
ins 1 11 15 ",7"                       # held: shard 1 met the DDL
for k in 2 3 4; do ins "$k" 11 15; done
wait_for "the other shards keep replicating while shard 1 is held" 30 count_is 55
sleep 1
check_eq "held shard 1's new rows are not applied yet" 0 "$(tgt "SELECT COUNT(*) FROM shard_db.t WHERE id BETWEEN 100011 AND 100015")"
api GET /api/v1/tasks/shardt
check_contains "query-status shows the unresolved group" '"unresolvedGroups"' "$BODY"
check_contains "group synced list names shard 1" '`shard_db_1`.`t_1`' "$BODY"
locks
check_contains "no DDL lock before a worker's group is synced" "no DDL lock exists" "$BODY"

alter 2 "ADD COLUMN c INT"
ins 2 16 18 ",8"
lock_is() { locks; [ "$(echo "$BODY" | jq_get "$1" 2>/dev/null)" = "$2" ]; }
wait_for "lock appears once worker 1's shards all met the DDL" 30 lock_is "len(d['locks'])" 1
check_eq "lock ID" 'shardt-`shard_db`.`t`' "$(lock_field "d['locks'][0]['ID']")"
check_eq "lock owner = worker 1" "$W1" "$(lock_field "d['locks'][0]['owner']")"
check_eq "synced = worker 1" "['$W1']" "$(lock_field "d['locks'][0]['synced']")"
check_eq "unsynced = worker 2" "['$W2']" "$(lock_field "d['locks'][0]['unsynced']")"
check_contains "lock DDL is the routed ALTER" 'ADD COLUMN' "$(lock_field "d['locks'][0]['DDLs']")"
out="$(DMCTL show-ddl-locks shardt)"
check_contains "dmctl show-ddl-locks: the lock" '"ID": "shardt-`shard_db`.`t`"' "$out"
check_contains "dmctl show-ddl-locks: unsynced worker 2" "\"$W2\"" "$out"
out="$(DMCTL query-status shardt)"
check_contains "query-status: worker 1's unresolvedDDLLockID" '"unresolvedDDLLockID": "shardt-`shard_db`.`t`"' "$out"
check_contains "query-status: worker 1's blockingDDLs" '"blockingDDLs": [' "$out"

alter 3 "ADD COLUMN c INT"
ins 3 16 20 ",9"
ins 4 16 20
wait_for "shard 4 (not held) keeps replicating on worker 2" 30 count_is 5 "WHERE id BETWEEN 400016 AND 400020"

# kill -9 worker 2 while the lock is pending: the lock survives, worker 2 meets the DDL
# of shard 3 again after the restart
kill_worker 2
locks
check_eq "lock survives worker 2's kill -9" 1 "$(lock_field "len(d['locks'])")"
start_worker 2
held3() {
  DMCTL query-status shardt >"$DIR/held3.out" 2>&1
  tr -d ' \n' <"$DIR/held3.out" | grep -qF '"synced":["`shard_db_2`.`t_1`"]'
}
if ! wait_for "worker 2 holds shard 3 again after its restart" 30 held3; then
  echo "last query-status:"; cat "$DIR/held3.out"
fi
locks
check_eq "lock still pending after worker 2's restart" "['$W2']" "$(lock_field "d['locks'][0]['unsynced']")"

# kill -9 the blocked owner too: after the restart it meets both DDLs again (its sharding
# meta and table points restored) and blocks on the same lock
kill_worker 1
start_worker 1
owner_blocked() { DMCTL query-status shardt | grep -q '"unresolvedDDLLockID": "shardt-`shard_db`.`t`"'; }
wait_for "worker 1 blocks on the lock again after its kill -9" 30 owner_blocked
ins 1 19 20 ",11"                      # held again: applied once the lock resolves

# dm-master restarted with the lock pending: rebuilt from worker 1's DDLInfo (re-sent
# every 10 s while it blocks, as DM's worker does)
restart_master
wait_for "lock rebuilt after dm-master's restart" 30 lock_is "d['locks'][0]['synced']" "['$W1']"

alter 4 "ADD COLUMN c INT"
ins 4 21 25 ",10"
no_lock() { locks; case "$BODY" in *"no DDL lock exists"*) return 0 ;; esac; return 1; }
wait_for "the last shard's DDL resolves the lock" 60 no_lock
wait_for "every row of round 1 (held rows re-synced)" 60 count_is 80
check_eq "target has column c once" 1 "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='c'")"
check_eq "held rows kept their c values" "5:7 3:8 5:9 5:10 2:11" "$(tgt "SELECT CONCAT(COUNT(*),':',MAX(c)) FROM shard_db.t WHERE c IS NOT NULL GROUP BY c ORDER BY c" | tr '\n' ' ' | sed 's/ $//')"
for k in 1 2 3 4; do ins "$k" 30 31 ",1"; done
wait_for "DML after the resolution replicates (all shards)" 30 count_is 88
check_eq "no worker error" "" "$(grep -h '"level":"error"' "$DIR"/w*.log | grep -v 'record DDLLockInfo' | head -3)"

# ---- round 2: manual unlock while worker 2 never met the DDL; break-ddl-lock --skip ----
alter 1 "ADD COLUMN d INT"
alter 2 "ADD COLUMN d INT"
ins 1 40 42 ",1,2"
wait_for "round-2 lock appears (worker 1 synced)" 30 lock_is "d['locks'][0]['unsynced']" "['$W2']"
api POST '/api/v1/ddl-locks/shardt-%60shard_db%60.%60t%60/unlock' -H 'Content-Type: application/json' -d '{}'
check_contains "unlock answered (owner executed, worker 2 not waiting)" "$W1" "$BODY"
wait_for "manual unlock removed the lock" 30 no_lock
wait_for "worker 1 re-synced its held rows after the unlock" 30 count_is 3 "WHERE id BETWEEN 100040 AND 100042"
check_eq "column d created by the owner" 1 "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='d'")"
alter 3 "ADD COLUMN d INT"
alter 4 "ADD COLUMN d INT"
ins 3 40 41 ",1,2"
wait_for "worker 2 alone forms a new lock" 30 lock_is "d['locks'][0]['unsynced']" "['$W1']"
api POST /api/v1/tasks/shardt/ddl-locks/break -H 'Content-Type: application/json' \
  -d "{\"workers\":[\"$W2\"],\"removeLockID\":\"shardt-\`shard_db\`.\`t\`\",\"skip\":true}"
check_eq "break-ddl-lock --skip on worker 2 (200)" 200 "$HTTP_CODE"
wait_for "worker 2 skipped the DDL and re-synced its held rows" 30 count_is 2 "WHERE id BETWEEN 300040 AND 300041"
out="$(DMCTL unlock-ddl-lock --force-remove 'shardt-`shard_db`.`t`' || true)"
check_contains "unlock of the stale lock fails (owner not waiting)" '"result": false' "$out"
wait_for "--force-remove dropped the stale lock" 10 no_lock
for k in 1 2 3 4; do ins "$k" 50 50 ",1,2"; done
wait_for "all rows after round 2" 30 count_is 97
check_eq "task still Running" "" "$(DMCTL query-status shardt | grep -E '"stage": "Paused"' || true)"

# ---- sql-replace --sharding: kept by dm-master, sent to the owner when the lock resolves ----
out="$(DMCTL sql-replace --sharding --sql-pattern '~ADD COLUMN `?f`?' shardt 'ALTER TABLE shard_db.t ADD COLUMN f INT DEFAULT 5')"
check_contains "sql-replace --sharding saved by dm-master" "will be sent to DDL lock's owner" "$out"
for k in 1 2 3 4; do alter "$k" "ADD COLUMN f INT"; done
ins 3 60 60 ",1,2,3"
wait_for "the replaced DDL ran once (column f DEFAULT 5)" 30 bash -c "[ \"\$(mariadb -h127.0.0.1 -P$P_TGT -uroot -N -e \"SELECT COLUMN_DEFAULT FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='f'\")\" = 5 ]"
wait_for "rows after the replaced DDL" 30 count_is 98
wait_for "lock of the replaced DDL resolved" 30 no_lock

# ---- conflicting DDLs across workers: refused, never resolved ----
alter 1 "ADD COLUMN e INT"
alter 2 "ADD COLUMN e INT"
wait_for "round-3 lock (worker 1)" 30 lock_is "len(d['locks'])" 1
alter 3 "ADD COLUMN e BIGINT"
alter 4 "ADD COLUMN e BIGINT"
wait_for "master refuses the different DDLs (38016)" 30 grep -q "is different with" "$DIR/m.log"
locks
check_eq "the conflicting lock is not resolved" "['$W2']" "$(lock_field "d['locks'][0]['unsynced']")"
check_eq "no column e on the target" 0 "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='e'")"
e2e_finish

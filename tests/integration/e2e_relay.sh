#!/usr/bin/env bash
# End-to-end: the worker's relay unit through dmctl and dm-gateway on the local stack
# (the master sends binlog-type local, so the task reads the relay): relayStatus filled,
# pause-relay holds the task back and resume-relay (gateway) lets it through, purge-relay
# (dmctl and gateway) keeps what the task reads, DM's errors for wrong stages,
# switch-relay-master without GTID and the operations not supported yet.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_stack_up
TASK=shop-sync
W="$DM_WORKER_ADDR"
dm() { rc=0; out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || rc=$?; }
count() { tgt_sql "SELECT COUNT(*) FROM shop.customers WHERE name LIKE 'relay-%'" 2>/dev/null || echo -1; }
count_is() { [ "$(count)" = "$1" ]; }
relay_field() { # field of relayStatus from query-status -w
  dm query-status -w "$W"
  printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["workers"][0]["relayStatus"].get(sys.argv[1], ""))' "$1"
}

dm start-task "$DM_TASK_FILE"
check_contains "start-task result true" '"result": true' "$out"
src_sql "INSERT INTO shop.customers(name) VALUES ('relay-1'),('relay-2')"
wait_for "rows replicated through the relay" 30 count_is 2
check_eq "relay stage Running" "Running" "$(relay_field stage)"
SUB="$(relay_field relaySubDir)"
check_eq "relay sub-directory <domain>-<server id>.000001" "0-$(src_sql 'SELECT @@server_id').000001" "$SUB"
check_contains "relayBinlog names the file" "mysql-bin." "$(relay_field relayBinlog)"
ls "$DM_STACK_DIR/worker/relay/$SUB/" | grep -q '^mysql-bin\.' && ok "relay files in relay-dir" || fail "relay files in relay-dir"
grep -qx "$SUB" "$DM_STACK_DIR/worker/relay/server-uuid.index" && ok "server-uuid.index" || fail "server-uuid.index"

dm pause-relay -w "$W"
check_contains "pause-relay result true" '"result": true' "$out"
check_eq "relay stage Paused" "Paused" "$(relay_field stage)"
dm pause-relay -w "$W"
check_contains "pause-relay twice: DM's stage error" 'current stage is Paused, Running required, relay op PauseRelay' "$out"
src_sql "INSERT INTO shop.customers(name) VALUES ('relay-3')"
sleep 2
check_eq "nothing applied while the relay is paused" 2 "$(count)"

api POST /api/v1/relay/resume -H 'Content-Type: application/json' -d "{\"workers\":[\"$W\"]}"
check_eq "gateway resume-relay 200" 200 "$HTTP_CODE"
check_contains "gateway resume-relay result" '"result":true,"worker":"'"$W"'"' "$BODY"
wait_for "row applied after resume-relay" 30 count_is 3

FILE="$(relay_field relayBinlog | sed 's/^(\(.*\), .*/\1/')"
dm purge-relay -w "$W" --filename "$FILE"
check_contains "purge-relay --filename result true" '"result": true' "$out"
test -f "$DM_STACK_DIR/worker/relay/$SUB/$FILE" && ok "the file the task reads is kept" || fail "purged the active file $FILE"
api POST /api/v1/relay/purge -H 'Content-Type: application/json' -d "{\"workers\":[\"$W\"],\"inactive\":true}"
check_eq "gateway purge-relay 200" 200 "$HTTP_CODE"
test -f "$DM_STACK_DIR/worker/relay/$SUB/$FILE" && ok "still kept after purge --inactive" || fail "purged $FILE"

dm switch-relay-master -w "$W"
check_contains "switch-relay-master needs GTID" 'can only switch relay' "$out"
dm migrate-relay "$W" mysql-bin.000001 4
check_contains "migrate-relay not supported" 'not supported by this worker yet' "$out"

src_sql "INSERT INTO shop.customers(name) VALUES ('relay-4')"
wait_for "still replicating" 30 count_is 4
e2e_finish

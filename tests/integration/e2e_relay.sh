#!/usr/bin/env bash
# End-to-end: the worker's relay unit through dmctl and dm-gateway on the local stack
# (the master sends binlog-type local, so the task reads the relay): relayStatus filled,
# pause-relay holds the task back and resume-relay (gateway) lets it through, purge-relay
# (dmctl and gateway) keeps what the task reads, DM's errors for wrong stages,
# switch-relay-master without GTID, update-relay (DM's source-id error, then the worker's own
# config through dmctl and the gateway) and migrate-relay (dmctl and the gateway: bad name,
# then a migrate to the source's current position, resume-relay, mariadb-binlog reads it).
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
# update-relay (DM UpdateRelayConfig): the whole dm-worker.toml; DM's errors first
WCFG="$DM_STACK_DIR/worker/dm-worker.toml"
sed 's/^source-id = .*/source-id = "another-source"/' "$WCFG" >"$DM_STACK_DIR/other-source.toml"
dm update-relay -w "$W" "$DM_STACK_DIR/other-source.toml"
check_contains "update-relay with another source-id: DM's 40059" 'code=40059' "$out"
check_contains "update-relay 40059 text" 'update source ID is not allowed' "$out"
grep '^source-id' "$WCFG" >"$DM_STACK_DIR/no-from.toml"
dm update-relay -w "$W" "$DM_STACK_DIR/no-from.toml"
check_contains "update-relay without [from]: refused (40003), not the defaults" 'no [from] table' "$out"
dm update-relay -w "$W" "$WCFG"
check_contains "update-relay result true" '"result": true' "$out"
check_eq "relay Running after update-relay" "Running" "$(relay_field stage)"
test -f "$DM_STACK_DIR/worker/meta/dm-worker-config.bak" && ok "update-relay kept in meta-dir" || fail "no dm-worker-config.bak"
api PUT "/api/v1/workers/$W/relay-config" -H 'Content-Type: text/plain' --data-binary "@$WCFG"
check_eq "gateway update-relay 200" 200 "$HTTP_CODE"
check_contains "gateway update-relay result" '"result":true' "$BODY"
src_sql "INSERT INTO shop.customers(name) VALUES ('relay-4')"
wait_for "replicating after update-relay" 30 count_is 4

# migrate-relay (DM MigrateRelay): pauses the relay, new sub-directory at (file, pos)
dm migrate-relay "$W" not-a-binlog 4
check_contains "migrate-relay bad name: 30004" 'relay-binlog-name not-a-binlog not valid' "$out"
read -r MFILE MPOS < <(src_sql "SHOW MASTER STATUS" | awk '{print $1, $2}')
relay_at() { [ "$(relay_field relayBinlog)" = "($MFILE, $MPOS)" ]; }
wait_for "relay caught up before migrate" 30 relay_at
dm migrate-relay "$W" "$MFILE" "$MPOS"
check_contains "migrate-relay result true" '"result": true' "$out"
check_eq "relay Paused after migrate-relay (as DM)" "Paused" "$(relay_field stage)"
SUB2="$(relay_field relaySubDir)"
check_eq "migrate-relay: next sub-directory" "${SUB%.*}.000002" "$SUB2"
grep -q "binlog-pos = $MPOS" "$DM_STACK_DIR/worker/relay/$SUB2/relay.meta" && ok "relay.meta at the migrate position" || fail "relay.meta: $(cat "$DM_STACK_DIR/worker/relay/$SUB2/relay.meta")"
src_sql "INSERT INTO shop.customers(name) VALUES ('relay-5')"
dm resume-relay -w "$W"
check_contains "resume-relay after migrate" '"result": true' "$out"
wait_for "row applied from the migrated relay" 30 count_is 5
mariadb-binlog "$DM_STACK_DIR/worker/relay/$SUB2/$MFILE" >"$DM_STACK_DIR/mig.txt" 2>&1 && ok "mariadb-binlog reads the migrated file" || fail "mariadb-binlog: $(tail -3 "$DM_STACK_DIR/mig.txt")"
grep -q 'dummy query generated by DM' "$DM_STACK_DIR/mig.txt" && ok "DM's dummy event fills up to $MPOS" || fail "no dummy event"
api POST "/api/v1/workers/$W/relay/migrate" -H 'Content-Type: application/json' -d '{"binlogName":"bad","binlogPos":4}'
check_eq "gateway migrate-relay bad name: 422" 422 "$HTTP_CODE"
check_contains "gateway migrate-relay: DM's error passed through" 'relay-binlog-name bad not valid' "$BODY"
check_eq "a refused migrate-relay leaves the relay Running" "Running" "$(relay_field stage)"
e2e_finish

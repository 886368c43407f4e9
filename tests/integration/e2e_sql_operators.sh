#!/usr/bin/env bash
# End-to-end SQL operators (issue 12 item 5) on our own master + worker + gateway: a
# statement the worker's DDL parser does not support pauses the task with 36017 naming it
# and its binlog position; sql-skip at that position (dmctl) + resume continues;
# sql-replace by pattern (gateway POST /api/v1/tasks/{name}/sql) rewrites a DDL;
# sql-inject (dmctl) runs a DDL at the next transaction end; skip through the gateway.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_stack_up
TASK=shop-sync
W="$DM_WORKER_ADDR"
dm() { rc=0; out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || rc=$?; }
stage_is() { dm query-status "$TASK"; case "$out" in *"\"stage\": \"$1\""*) return 0 ;; esac; return 1; }
# failedBinlogPosition of the first sync error in dmctl query-error's JSON
failed_pos() {
  dm query-error "$TASK"
  printf '%s' "$out" | python3 -c 'import json,sys
d=json.load(sys.stdin)
for w in d["workers"]:
    for e in w.get("subTaskError", []):
        for s in e.get("sync", {}).get("errors", []):
            print(s["failedBinlogPosition"]); sys.exit(0)'
}
col_type() { tgt_sql "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='$1' AND COLUMN_NAME='$2'"; }
col_is() { [ "$(col_type "$1" "$2")" = "$3" ]; }
col_len_is() {
  [ "$(tgt_sql "SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='$1' AND COLUMN_NAME='$2'")" = "$3" ]
}

dm start-task "$DM_TASK_FILE"
check_contains "start-task" '"result": true' "$out"
wait_for "task running" 30 stage_is Running

# 1. unsupported statement pauses with the named error
src_sql "CREATE SEQUENCE shop.sq"
wait_for "CREATE SEQUENCE pauses the task" 30 stage_is Paused
dm query-error "$TASK"
check_contains "query-error names the code" 'code=36017:class=sync-unit' "$out"
check_contains "query-error names the statement" 'CREATE SEQUENCE shop.sq' "$out"
check_contains "query-error has errorSQL" '"errorSQL": "CREATE SEQUENCE shop.sq"' "$out"
POS="$(failed_pos)"
check_contains "failedBinlogPosition is file:pos" ":" "$POS"

# 2. sql-skip at its position (dmctl), resume: replication continues past it
dm sql-skip -w "$W" -b "$POS" "$TASK"
check_contains "sql-skip accepted" '"result": true' "$out"
dm resume-task "$TASK"
check_contains "resume-task" '"result": true' "$out"
wait_for "running again" 30 stage_is Running
src_sql "INSERT INTO shop.customers(name,email) VALUES ('after-skip','s@example.com')"
wait_for "rows after the skipped statement replicate" 30 tables_equal shop.customers
check_eq "skipped statement not applied" 0 "$(tgt_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='sq'")"

# 3. sql-replace by pattern through the gateway
api POST "/api/v1/tasks/$TASK/sql" -H 'Content-Type: application/json' \
  -d "{\"op\":\"replace\",\"worker\":\"$W\",\"sqlPattern\":\"~ALTER TABLE shop.customers ADD note\",\"sqls\":[\"ALTER TABLE shop.customers ADD note VARCHAR(40) DEFAULT 'n/a'\"]}"
check_eq "gateway sql-replace 200" 200 "$HTTP_CODE"
src_sql "ALTER TABLE shop.customers ADD note VARCHAR(5)"
# (a replacement of another type family, e.g. INT for VARCHAR, would now pause at the next
# row of the table: rows come by position and the target column must hold them exactly)
wait_for "replacement DDL applied on the target" 30 col_len_is customers note 40
check_eq "source kept its own DDL" varchar "$(src_sql "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='customers' AND COLUMN_NAME='note'")"

# 4. sql-inject (dmctl): runs at the next transaction end
dm sql-inject -w "$W" "$TASK" "ALTER TABLE shop.orders ADD injected INT;"
check_contains "sql-inject accepted" '"result": true' "$out"
src_sql "INSERT INTO shop.orders(customer_id,amount,status) VALUES (1,1.00,'new')"
wait_for "injected DDL applied" 30 col_is orders injected int

# 5. skip through the gateway by position
src_sql "CREATE SEQUENCE shop.sq3"
wait_for "second unsupported statement pauses" 30 stage_is Paused
POS="$(failed_pos)"
api POST "/api/v1/tasks/$TASK/sql" -H 'Content-Type: application/json' \
  -d "{\"op\":\"skip\",\"worker\":\"$W\",\"binlogPos\":\"$POS\"}"
check_eq "gateway sql-skip 200" 200 "$HTTP_CODE"
dm resume-task "$TASK"
wait_for "running after gateway skip" 30 stage_is Running
src_sql "INSERT INTO shop.customers(name) VALUES ('after-gateway-skip')"
wait_for "replication continues" 30 target_count_is "shop.customers WHERE name='after-gateway-skip'" 1

# 6. bad arguments come back with DM's message
dm sql-skip -w "$W" -b "not-a-position" "$TASK"
check_contains "bad binlog-pos rejected" 'invalid --binlog-pos' "$out"

dm stop-task "$TASK"
e2e_finish

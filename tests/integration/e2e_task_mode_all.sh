#!/usr/bin/env bash
# End-to-end task-mode `all` through dmctl and the gateway on a real local stack: rows on
# the source before the task are dumped (packaged mydumper) and loaded into the target
# (whose tables already exist: kept, as DM does), rows written afterwards arrive through
# Sync; query-status / GET show the units; both sides equal (count + checksum).
# Then a second `all` task through the gateway alone: POST /api/v1/tasks, GET and the SSE
# status stream (stream ticket, as a browser's EventSource) show unit Dump, then Load with
# its progress, then Sync; the target ends equal.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
export DMGW_LOAD_STMT_DELAY_MS=100   # dm-worker: a Load of a few seconds, seen by the stream
e2e_stack_up
TASK=shop-all
dm() { rc=0; out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || rc=$?; }

src_sql "INSERT INTO shop.customers(name,email) SELECT CONCAT('c', seq), IF(seq % 5 = 0, NULL, CONCAT('c', seq, '@ex.com')) FROM shop.seq_1_to_2000;
         INSERT INTO shop.orders(customer_id,amount,status,note) SELECT seq % 2000 + 1, seq / 7, 'paid', REPEAT('n', seq % 300) FROM shop.seq_1_to_3000;"

cat >"$DM_STACK_DIR/task-all.yaml" <<YAML
name: "$TASK"
task-mode: "all"
meta-schema: "dm_meta"
target-database:
  host: "127.0.0.1"
  port: $TARGET_PORT
  user: "root"
  password: ""
mysql-instances:
  - source-id: "mysql-replica-01"
    black-white-list: "shop-only"
    mydumper-config-name: "global"
    loader-config-name: "global"
black-white-list:
  shop-only:
    do-dbs: ["shop"]
mydumpers:
  global:
    mydumper-path: "./bin/mydumper"
    threads: 2
    chunk-filesize: 64
    skip-tz-utc: true
    extra-args: "--rows 500"
loaders:
  global:
    pool-size: 4
    dir: "$DM_STACK_DIR/dumped_data"
YAML

dm check-task "$DM_STACK_DIR/task-all.yaml"
check_contains "check-task passes (mydumper found, dump privileges)" 'check pass' "$out"

dm start-task "$DM_STACK_DIR/task-all.yaml"
check_eq "start-task exit 0" 0 "$rc"
check_contains "start-task result true" '"result": true' "$out"

wait_for "dump + load copied the existing rows" 90 tables_equal shop.customers shop.orders
check_eq "customers copied (count > 0)" 2000 "$(tgt_sql "SELECT COUNT(*) FROM shop.customers")"
check_eq "orders copied (count > 0)" 3000 "$(tgt_sql "SELECT COUNT(*) FROM shop.orders")"

src_sql "INSERT INTO shop.customers(name,email) VALUES ('after-load','a@x');
         UPDATE shop.orders SET status='shipped' WHERE id <= 10; DELETE FROM shop.orders WHERE id = 11;"
wait_for "rows written after the dump arrive through Sync" 60 tables_equal shop.customers shop.orders

dm query-status "$TASK"
check_contains "query-status: unit Sync" '"unit": "Sync"' "$out"
check_contains "query-status: Running" '"stage": "Running"' "$out"

api GET "/api/v1/tasks/$TASK"
check_eq "gateway GET 200" 200 "$HTTP_CODE"
check_contains "gateway shows the Sync unit" 'Sync' "$BODY"

check_eq "loader checkpoint complete" 0 \
  "$(tgt_sql "SELECT COUNT(*) FROM dm_meta.\`${TASK}_loader_checkpoint\` WHERE \`offset\` <> end_pos")"

dm stop-task "$TASK"
check_contains "stop-task result true" '"result": true' "$out"

# --- the same through the gateway, watched on the SSE status stream ---------------------
GW=gw-all
src_sql "CREATE DATABASE gw; CREATE TABLE gw.t (id INT PRIMARY KEY, s VARCHAR(80), d DATETIME(3));
         INSERT INTO gw.t SELECT seq, CONCAT('gw ', MD5(seq)), '2024-01-01' + INTERVAL seq SECOND FROM gw.seq_1_to_20000;
         CREATE TABLE gw.nokey (a INT, b VARCHAR(10)); INSERT INTO gw.nokey SELECT seq % 9, 'dup' FROM gw.seq_1_to_900;"
# a mydumper that waits (at most 30 s) until the stream has shown the Dump unit
cat >"$DM_STACK_DIR/slow-mydumper" <<SH
#!/bin/sh
for i in \$(seq 1 300); do [ -e "$DM_STACK_DIR/dump.go" ] && break; sleep 0.1; done
exec mydumper "\$@"
SH
chmod +x "$DM_STACK_DIR/slow-mydumper"
sed -e "s/^name: \"$TASK\"/name: \"$GW\"/" -e 's/do-dbs: \["shop"\]/do-dbs: ["gw"]/' \
    -e "s#mydumper-path: \"./bin/mydumper\"#mydumper-path: \"$DM_STACK_DIR/slow-mydumper\"#" \
    "$DM_STACK_DIR/task-all.yaml" >"$DM_STACK_DIR/task-gw.yaml"
check_contains "gateway task file renamed" "name: \"$GW\"" "$(cat "$DM_STACK_DIR/task-gw.yaml")"
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_STACK_DIR/task-gw.yaml"
check_eq "POST /api/v1/tasks (task-mode all) 201" 201 "$HTTP_CODE"
check_contains "start answer is dmctl JSON" '"result":true' "$BODY"
api POST /api/v1/stream-tickets
check_eq "stream ticket 201" 201 "$HTTP_CODE"
TICKET="$(echo "$BODY" | jq_get 'd["ticket"]')"
SSE="$DM_STACK_DIR/gw.sse"
curl -sN --max-time 90 "$DM_GATEWAY_URL/api/v1/tasks/$GW/status/stream?ticket=$TICKET&interval=200ms" >"$SSE" &
SSE_PID=$!
api GET "/api/v1/tasks/$GW"
check_eq "GET the new task 200" 200 "$HTTP_CODE"
check_contains "GET shows the Dump unit at first" '"unit":"Dump"' "$BODY"
sse_has() { grep -q "$1" "$SSE"; }
wait_for "stream: unit Dump" 30 sse_has '^data: .*"unit":"Dump"'
touch "$DM_STACK_DIR/dump.go"
wait_for "stream: unit Load with progress" 60 sse_has '^data: .*"unit":"Load".*"progress":"[0-9.]* %"'
wait_for "stream: unit Sync" 60 sse_has '^data: .*"unit":"Sync"'
kill "$SSE_PID" 2>/dev/null || true
wait "$SSE_PID" 2>/dev/null || true
check_contains "stream events are status events" 'event: status' "$(cat "$SSE")"
check_contains "stream Load carries totalBytes and metaBinlog" '"metaBinlog":"(mysql-bin.' \
  "$(grep '"unit":"Load"' "$SSE" | head -1)"
echo "stream: $(grep -c '^data: .*"unit":"Dump"' "$SSE") Dump, $(grep -c '^data: .*"unit":"Load"' "$SSE") Load, $(grep -c '^data: .*"unit":"Sync"' "$SSE") Sync events"
src_sql "INSERT INTO gw.t VALUES (30000, 'after', NOW()); DELETE FROM gw.t WHERE id <= 5; INSERT INTO gw.nokey VALUES (1, 'late');"
wait_for "gw tables equal after Sync" 60 tables_equal gw.t gw.nokey
check_eq "gw.t rows" 19996 "$(tgt_sql "SELECT COUNT(*) FROM gw.t")"
check_eq "gw.nokey rows" 901 "$(tgt_sql "SELECT COUNT(*) FROM gw.nokey")"
api DELETE "/api/v1/tasks/$GW"
check_eq "DELETE the task 200" 200 "$HTTP_CODE"
e2e_finish

#!/usr/bin/env bash
# End-to-end task-mode `all` through dmctl and the gateway on a real local stack: rows on
# the source before the task are dumped (packaged mydumper) and loaded into the target
# (whose tables already exist: kept, as DM does), rows written afterwards arrive through
# Sync; query-status / GET show the units; both sides equal (count + checksum).
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
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
e2e_finish

#!/usr/bin/env bash
# End-to-end through dm-gateway: a task with `online-ddl-scheme: pt` and `enable-heartbeat:
# true` started with POST /api/v1/tasks; the real pt-online-schema-change alters
# shop.items on the source while a background loop writes to it; the target ends equal
# (count + checksum), with the new column and index, without pt's _items_new/_items_old,
# with the online DDL record deleted; the heartbeat lag is reported and DM_HEARTBEAT never
# reaches the target. An unknown scheme is refused with DM's message.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_stack_up
TASK=shop-sync

sed 's/^meta-schema: "dm_meta"$/meta-schema: "dm_meta"\nonline-ddl-scheme: "osc"/' \
  "$DM_TASK_FILE" >"$DM_STACK_DIR/task-bad.yaml"
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_STACK_DIR/task-bad.yaml"
check_contains "unknown online-ddl-scheme refused" "online scheme osc not supported" "$BODY"

sed 's/^meta-schema: "dm_meta"$/meta-schema: "dm_meta"\nonline-ddl-scheme: "pt"\nenable-heartbeat: true\nheartbeat-update-interval: 1\nheartbeat-report-interval: 1/' \
  "$DM_TASK_FILE" >"$DM_STACK_DIR/task-pt.yaml"
src_sql "CREATE TABLE shop.items (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(32));
         INSERT INTO shop.items (a, b) SELECT seq, CONCAT('r', seq) FROM shop.seq_1_to_5000;"
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_STACK_DIR/task-pt.yaml"
check_eq "start-task with online-ddl-scheme pt answers 201" 201 "$HTTP_CODE"
wait_for "initial rows replicated" 60 tables_equal shop.items

# background writes until STOP
LOAD="$DM_STACK_DIR/load"
mkdir -p "$LOAD"
(
  i=0; RANDOM=7
  { while [ ! -e "$LOAD/STOP" ]; do
      i=$((i+1)); r=$RANDOM
      case $((r % 3)) in
        0) echo "INSERT INTO shop.items (a,b) VALUES ($r,'v$i');" ;;
        1) echo "UPDATE shop.items SET a=a+1, b='u$i' WHERE id=$((r % 5000 + 1));" ;;
        2) echo "DELETE FROM shop.items WHERE id=$((r % 5000 + 1));" ;;
      esac
    done; echo "$i" >"$LOAD/COUNT"; } | mariadb --force -h127.0.0.1 -P"$SOURCE_PORT" -uroot 2>"$LOAD/errors.log"
  mv "$LOAD/COUNT" "$LOAD/DONE"
) &
sleep 0.5
if pt-online-schema-change --alter 'ADD COLUMN c INT NOT NULL DEFAULT 7, ADD INDEX idx_a (a)' \
     "h=127.0.0.1,P=$SOURCE_PORT,u=root,D=shop,t=items" --execute --recursion-method=none \
     --chunk-size=1000 >"$DM_STACK_DIR/ptosc.log" 2>&1; then
  ok "pt-online-schema-change succeeded under load"
else
  fail "pt-online-schema-change: $(tail -5 "$DM_STACK_DIR/ptosc.log")"
fi
sleep 0.5
touch "$LOAD/STOP"
wait_for "load loop stopped" 60 test -e "$LOAD/DONE"
ops="$(cat "$LOAD/DONE")"
[ "$ops" -gt 100 ] && ok "load ran ($ops statements)" || fail "load ran only $ops statements"

wait_for "target equals source after the cut-over" 90 tables_equal shop.items
check_eq "source has rows" 1 "$(src_sql "SELECT COUNT(*) > 0 FROM shop.items")"
check_eq "target has column c" 1 "$(tgt_sql "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='items' AND COLUMN_NAME='c'")"
check_eq "target has index idx_a" 1 "$(tgt_sql "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='items' AND INDEX_NAME='idx_a'")"
check_eq "no pt temporary tables on the target" 0 "$(tgt_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='shop' AND TABLE_NAME LIKE '\\_items\\_%'")"
check_eq "online DDL record deleted" 0 "$(tgt_sql "SELECT COUNT(*) FROM dm_meta.\`shop-sync_onlineddl\`")"

# heartbeat
check_eq "heartbeat row on the source" 1 "$(src_sql "SELECT COUNT(*) FROM DM_HEARTBEAT.HEARTBEAT")"
check_eq "heartbeat schema not on the target" 0 "$(tgt_sql "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE UPPER(SCHEMA_NAME)='DM_HEARTBEAT'")"
lag_logged() { grep -q '"dm_syncer_replication_lag"' "$DM_STACK_DIR"/logs/dm-worker*.log; }
wait_for "replication lag reported" 30 lag_logged
lag="$(grep -ho '"dm_syncer_replication_lag":"[-0-9.]*"' "$DM_STACK_DIR"/logs/dm-worker*.log | tail -1 | sed 's/.*:"\([-0-9.]*\)"/\1/')"
if python3 -c "import sys; sys.exit(0 if 0 <= float('$lag') < 30 else 1)" 2>/dev/null; then
  ok "replication lag is small ($lag s)"
else
  fail "replication lag [$lag]"
fi

api GET "/api/v1/tasks/$TASK"
check_contains "task still Running" '"stage":"Running"' "$BODY"
api DELETE "/api/v1/tasks/$TASK"
check_eq "stop-task 200" 200 "$HTTP_CODE"
e2e_finish

#!/usr/bin/env bash
# End-to-end: two sources (two MariaDB servers, two dm-workers) merged into one target
# table through routes, then one worker stopped: the right per-worker errors and a 207.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
# shellcheck source=lib/daemons.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/daemons.sh"
SB="$ROOT/scripts/mariadb-sandbox.sh"
DIR="$(mktemp -d /tmp/dmgw-e2e2-XXXXXX)"
P_SRC1="$(rand_port)"; P_SRC2="$(rand_port)"; P_TGT="$(rand_port)"
# shellcheck disable=SC2034  # P_W1, P_W2: read by lib/daemons.sh
P_W1="$(rand_port)"; P_W2="$(rand_port)"; P_M="$(rand_port)"; P_GW="$(rand_port)"
declare -A PID
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] || [ "$FAILS" -ne 0 ]; then tail -n 20 "$DIR"/*.log 2>/dev/null || true; fi
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in src1 src2 tgt; do "$SB" stop "$DIR/$d" >/dev/null 2>&1 || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

"$SB" start "$DIR/src1" "$P_SRC1" 201 >/dev/null
"$SB" start "$DIR/src2" "$P_SRC2" 202 >/dev/null
"$SB" start "$DIR/tgt" "$P_TGT" 203 >/dev/null
for i in 1 2; do
  port_var="P_SRC$i"
  mariadb -h127.0.0.1 -P"${!port_var}" -uroot -e "CREATE DATABASE sales_$i;
    CREATE TABLE sales_$i.orders (id BIGINT PRIMARY KEY, region VARCHAR(16) NOT NULL, amount DECIMAL(10,2));"
done
mariadb -h127.0.0.1 -P"$P_TGT" -uroot -e "CREATE DATABASE sales;
  CREATE TABLE sales.orders (id BIGINT PRIMARY KEY, region VARCHAR(16) NOT NULL, amount DECIMAL(10,2));"

# workers first: the master connects to them at start, and a refused first attempt puts
# that channel in gRPC's reconnect backoff (1 s), during which calls fail fast
worker_up 1 5001
worker_up 2 5002
master_up 2 5s
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secret"
"$DMGW_BIN/dm-gateway" --listen "127.0.0.1:$P_GW" --master-addr "127.0.0.1:$P_M" \
  --auth-alg HS256 --auth-secret-file "$DIR/secret" >"$DIR/gw.log" 2>&1 &
PID[gw]=$!
DM_GATEWAY_URL="http://127.0.0.1:$P_GW"
DM_TOKEN="$("$DMGW_BIN/dm-gateway" token --secret-file "$DIR/secret" --sub e2e --scope "dm:read dm:write" --ttl 1h)"
wait_port "$P_GW"

pos() { mariadb -h127.0.0.1 -P"$1" -uroot -N -e "SHOW MASTER STATUS" | awk '{print $1, $2}'; }
read -r f1 p1 < <(pos "$P_SRC1")
read -r f2 p2 < <(pos "$P_SRC2")
cat >"$DIR/task.yaml" <<YAML
name: merge
task-mode: incremental
target-database: {host: "127.0.0.1", port: $P_TGT, user: root, password: ""}
mysql-instances:
  - source-id: source-1
    meta: {binlog-name: "$f1", binlog-pos: $p1}
    route-rules: [sales-db, sales-tbl]
    black-white-list: only-sales
  - source-id: source-2
    meta: {binlog-name: "$f2", binlog-pos: $p2}
    route-rules: [sales-db, sales-tbl]
    black-white-list: only-sales
routes:
  sales-db: {schema-pattern: "sales_*", target-schema: "sales"}
  sales-tbl: {schema-pattern: "sales_*", table-pattern: "orders", target-schema: "sales", target-table: "orders"}
black-white-list:
  only-sales: {do-dbs: ["~^sales_"]}
YAML

api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DIR/task.yaml"
check_eq "two-source task starts (201)" 201 "$HTTP_CODE"
check_contains "both workers answered" "\"worker\":\"127.0.0.1:$P_W2\"" "$BODY"

mariadb -h127.0.0.1 -P"$P_SRC1" -uroot -e "INSERT INTO sales_1.orders VALUES (1,'east',10.00),(2,'east',20.00); UPDATE sales_1.orders SET amount=11.00 WHERE id=1"
mariadb -h127.0.0.1 -P"$P_SRC2" -uroot -e "INSERT INTO sales_2.orders VALUES (1001,'west',5.00),(1002,'west',6.00); DELETE FROM sales_2.orders WHERE id=1002"
merged_ok() {
  [ "$(mariadb -h127.0.0.1 -P"$P_TGT" -uroot -N -e "SELECT GROUP_CONCAT(CONCAT(id,':',region,':',amount) ORDER BY id) FROM sales.orders")" \
    = "1:east:11.00,2:east:20.00,1001:west:5.00" ]
}
wait_for "both sources merged into sales.orders through routes" 30 merged_ok

api GET /api/v1/tasks/merge
check_eq "status of both workers 200" 200 "$HTTP_CODE"

# stop worker 2: its entry fails, the other still answers -> 207 with the same body
kill "${PID[w2]}"; wait "${PID[w2]}" 2>/dev/null || true
api GET /api/v1/tasks/merge
check_eq "one worker down -> 207" 207 "$HTTP_CODE"
check_contains "down worker has its own error entry" "\"worker\":\"127.0.0.1:$P_W2\"" "$BODY"
check_contains "down worker error is DM's 38008" "code=38008" "$BODY"
check_contains "live worker still reports Running" '"stage":"Running"' "$BODY"

out="$("$DMGW_BIN/dmctl" -master-addr "127.0.0.1:$P_M" query-status merge || true)"
check_contains "dmctl shows the grpc request error for the down worker" "grpc request error" "$out"

mariadb -h127.0.0.1 -P"$P_SRC1" -uroot -e "INSERT INTO sales_1.orders VALUES (3,'east',30.00)"
wait_for "the live worker keeps replicating" 30 bash -c "[ \"\$(mariadb -h127.0.0.1 -P$P_TGT -uroot -N -e 'SELECT COUNT(*) FROM sales.orders WHERE id=3')\" = 1 ]"
kill "${PID[w1]}" 2>/dev/null || true
e2e_finish

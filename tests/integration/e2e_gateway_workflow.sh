#!/usr/bin/env bash
# End-to-end through dm-gateway with curl: the seed workflow against a real local stack
# (source + target MariaDB, dm-worker, dm-master, dm-gateway), checking HTTP codes,
# dmctl-shaped JSON and the rows in the target after each step.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_stack_up
TASK=shop-sync

# --- start-task -------------------------------------------------------------------
src_sql "INSERT INTO shop.customers(name,email) VALUES ('before-start','x@y')"   # after the task's meta position: replicated
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_TASK_FILE"
check_eq "start-task answers 201" 201 "$HTTP_CODE"
check_contains "start-task body is dmctl JSON" '"result":true' "$BODY"
check_contains "start-task names the worker" "\"worker\":\"$DM_WORKER_ADDR\"" "$BODY"

api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_TASK_FILE"
check_eq "starting it again is a conflict" 409 "$HTTP_CODE"

# --- query-status -------------------------------------------------------------------
api GET /api/v1/tasks
check_eq "list tasks 200" 200 "$HTTP_CODE"
check_contains "condensed list has the task" "\"taskName\":\"$TASK\"" "$BODY"
check_contains "condensed list says Running" '"taskStatus":"Running"' "$BODY"

api GET "/api/v1/tasks/$TASK"
check_eq "task status 200" 200 "$HTTP_CODE"
check_contains "status has subTaskStatus" '"subTaskStatus":[' "$BODY"
check_contains "status has the sync oneof" '"sync":{' "$BODY"
check_contains "status stage Running" '"stage":"Running"' "$BODY"

api GET "/api/v1/tasks/$TASK?worker=$DM_WORKER_ADDR"
check_eq "status filtered by worker 200" 200 "$HTTP_CODE"
check_contains "filtered status names the worker" "\"worker\":\"$DM_WORKER_ADDR\"" "$BODY"

api GET "/api/v1/tasks/$TASK?pretty=true"
check_contains "pretty is dmctl's 4-space layout" $'{\n    "result": true,' "$BODY"

# --- replication ----------------------------------------------------------------------
src_sql "INSERT INTO shop.customers(name,email) VALUES ('alice','a@example.com'),('bob','b@example.com');
         INSERT INTO shop.orders(customer_id,amount,status,note) VALUES (1,10.50,'paid','first'),(2,99.99,'new',NULL);
         UPDATE shop.customers SET email='alice@example.com' WHERE name='alice';
         DELETE FROM shop.customers WHERE name='before-start';"
wait_for "rows replicated to the target" 30 tables_equal shop.customers shop.orders

# --- pause, writes, resume -------------------------------------------------------------
api PATCH "/api/v1/tasks/$TASK" -H 'Content-Type: application/merge-patch+json' -d '{"stage":"Paused"}'
check_eq "PATCH stage Paused 200" 200 "$HTTP_CODE"
check_contains "pause answer is OperateTask JSON" '"op":"Pause"' "$BODY"
api GET "/api/v1/tasks/$TASK"
check_contains "stage is Paused" '"stage":"Paused"' "$BODY"

src_sql "INSERT INTO shop.orders(customer_id,amount,note) VALUES (1,1.00,'while paused')"
sleep 2
check_eq "nothing applied while paused" 0 "$(tgt_sql "SELECT COUNT(*) FROM shop.orders WHERE note='while paused'")"

# update-task while Paused: change the black-white-list online (PUT = full config)
sed 's/do-dbs: \["shop"\]/do-dbs: ["shop"]\n    ignore-tables:\n      - db-name: "shop"\n        tbl-name: "orders"/' \
  "$DM_TASK_FILE" >"$DM_STACK_DIR/task-updated.yaml"
api PUT "/api/v1/tasks/$TASK" -H 'Content-Type: application/yaml' --data-binary @"$DM_STACK_DIR/task-updated.yaml"
check_eq "PUT (update-task) while Paused 200" 200 "$HTTP_CODE"

# --- the task config resource (GetTaskCfg) and optimistic concurrency -------------------
api_h() { # METHOD PATH [curl args...]: like api, also keeps the headers in HDRS
  local m="$1" p="$2"; shift 2
  HDRS="$(mktemp)"
  local out
  out="$(curl -sS -X "$m" -H "Authorization: Bearer $DM_TOKEN" -D "$HDRS" -w '\n%{http_code}' "$@" "$DM_GATEWAY_URL$p")"
  HTTP_CODE="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
}
# hdr NAME: a response header of the last api_h call
hdr() { sed -n "s/^$1: *//Ip" "$HDRS" | tr -d '\r' | head -1; }
api_h GET "/api/v1/tasks/$TASK/config"
check_eq "GET config 200" 200 "$HTTP_CODE"
check_eq "config is YAML" "application/yaml" "$(hdr Content-Type)"
check_contains "config is the updated one" 'tbl-name: "orders"' "$BODY"
TAG="$(hdr ETag)"
check_contains "config has an ETag" '"' "$TAG"
api_h GET "/api/v1/tasks/$TASK/config?format=json" -H "If-None-Match: $TAG"
check_eq "If-None-Match with the current ETag: 304" 304 "$HTTP_CODE"
api_h GET "/api/v1/tasks/$TASK/config" -H 'Accept: application/json'
check_eq "Accept: application/json gives JSON" "application/json" "$(hdr Content-Type)"
check_eq "same ETag for both forms" "$TAG" "$(hdr ETag)"
check_eq "JSON config names the task" "$TASK" "$(echo "$BODY" | jq_get 'd["name"]')"
api_h PATCH "/api/v1/tasks/$TASK" -H 'Content-Type: application/merge-patch+json' -H 'If-Match: "0123456789abcdef"' \
  -d '{"filters":{"no-truncate":{"schema-pattern":"shop","events":["truncate table"],"action":"Ignore"}}}'
check_eq "PATCH with a stale If-Match: 412" 412 "$HTTP_CODE"
check_eq "412 carries the current ETag" "$TAG" "$(hdr ETag)"
check_contains "412 names the If-Match sent" 'If-Match \"0123456789abcdef\" is not' "$BODY"
api_h PATCH "/api/v1/tasks/$TASK" -H 'Content-Type: application/merge-patch+json' -H "If-Match: \"$TAG\"" \
  -d '{"filters":{"no-truncate":{"schema-pattern":"shop","events":["truncate table"],"action":"Ignore"}}}'
check_eq "the current ETag pasted into quotes (doubled): 412" 412 "$HTTP_CODE"
check_contains "that 412 says how the header must look" 'quotes included' "$BODY"
api_h PATCH "/api/v1/tasks/$TASK" -H 'Content-Type: application/merge-patch+json' -H "If-Match: $TAG" \
  -d '{"filters":{"no-truncate":{"schema-pattern":"shop","events":["truncate table"],"action":"Ignore"}}}'
check_eq "PATCH config with the current If-Match (Paused): 200" 200 "$HTTP_CODE"
NEWTAG="$(hdr ETag)"
api_h GET "/api/v1/tasks/$TASK/config"
check_contains "the merged config has the new filter" "no-truncate" "$BODY"
check_contains "the merged config kept the update" 'tbl-name: orders' "$BODY"
check_eq "PATCH answered the new version" "$NEWTAG" "$(hdr ETag)"
api_h PUT "/api/v1/tasks/$TASK" -H 'Content-Type: application/yaml' -H "If-Match: $TAG" \
  --data-binary @"$DM_STACK_DIR/task-updated.yaml"
check_eq "PUT with the old ETag after the PATCH: 412" 412 "$HTTP_CODE"
api_h GET /api/v1/tasks/no-such-task/config
check_eq "config of an unknown task: 404" 404 "$HTTP_CODE"

api POST "/api/v1/tasks/$TASK/resume"
check_eq "resume 200" 200 "$HTTP_CODE"
check_contains "resume answer" '"op":"Resume"' "$BODY"
src_sql "INSERT INTO shop.customers(name) VALUES ('carol'); INSERT INTO shop.orders(customer_id,amount,note) VALUES (3,5.00,'ignored by update')"
wait_for "customers caught up after resume" 30 tables_equal shop.customers
sleep 1
check_eq "updated rule ignores orders written after resume" 0 \
  "$(tgt_sql "SELECT COUNT(*) FROM shop.orders WHERE note='ignored by update'")"

# --- master restart: a running task must not look deleted (regression: drills saw 404) ---
mpid="$(cat "$DM_STACK_DIR/master.pid")"
kill -TERM "$mpid"; for _ in $(seq 1 100); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
"$ROOT/scripts/stack" up >/dev/null 2>&1
for _ in $(seq 1 100); do
  api GET "/api/v1/tasks/$TASK"
  [ "$HTTP_CODE" != 503 ] && break
  sleep 0.1
done
check_eq "first answer after a master restart is 200 (not 404)" 200 "$HTTP_CODE"

# --- errors -----------------------------------------------------------------------------
api GET /api/v1/tasks/no-such-task
check_eq "unknown task 404" 404 "$HTTP_CODE"
check_contains "unknown task problem has result false" '"result":false' "$BODY"

api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary $'name: bad\ntask-mode: sideways\n'
check_eq "bad task config 422" 422 "$HTTP_CODE"

code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$DM_GATEWAY_URL/api/v1/tasks/$TASK/pause")"
check_eq "write without a token 401" 401 "$code"

# --- metrics: the exposition passes Prometheus' own linter, process metrics present ------
api GET /metrics
check_eq "metrics 200" 200 "$HTTP_CODE"
check_contains "process RSS metric" 'process_resident_memory_bytes ' "$BODY"
check_contains "process fds metric" 'process_open_fds ' "$BODY"
if command -v promtool >/dev/null 2>&1; then
  lint="$(printf '%s\n' "$BODY" | promtool check metrics 2>&1)" && lint_rc=0 || lint_rc=$?
  check_eq "promtool check metrics: no problems ($lint)" "0:" "$lint_rc:$lint"
else
  echo "skip - promtool not installed (Debian prometheus)"
fi

# --- stop -------------------------------------------------------------------------------
api DELETE "/api/v1/tasks/$TASK"
check_eq "DELETE (stop-task) 200" 200 "$HTTP_CODE"
check_contains "stop answer" '"op":"Stop"' "$BODY"
api GET "/api/v1/tasks/$TASK"
check_eq "stopped task is gone (404)" 404 "$HTTP_CODE"

e2e_finish

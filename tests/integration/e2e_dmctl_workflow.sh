#!/usr/bin/env bash
# End-to-end with dmctl: the seed workflow against a real local stack, checking dmctl's
# JSON output, exit codes, and the rows in the target after each step.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_stack_up
TASK=shop-sync
# dm ARGS...: run dmctl, capture stdout+stderr in $out and the exit code in $rc
dm() { rc=0; out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || rc=$?; }

dm start-task "$DM_TASK_FILE"
check_eq "start-task exit 0" 0 "$rc"
check_contains "start-task result true" '"result": true' "$out"
check_contains "start-task 4-space layout names the worker" "            \"worker\": \"$DM_WORKER_ADDR\"" "$out"

dm query-status
check_contains "condensed query-status lists the task" "\"taskName\": \"$TASK\"" "$out"
check_contains "condensed query-status Running" '"taskStatus": "Running"' "$out"

dm query-status "$TASK"
check_contains "query-status <task> has subTaskStatus" '"subTaskStatus": [' "$out"
check_contains "query-status <task> has sync" '"sync": {' "$out"
dm query-status -w "$DM_WORKER_ADDR" "$TASK"
check_contains "query-status -w names the worker" "\"worker\": \"$DM_WORKER_ADDR\"" "$out"

src_sql "INSERT INTO shop.customers(name,email) VALUES ('dora','d@example.com'),('eve',NULL);
         INSERT INTO shop.orders(customer_id,amount,status) VALUES (1,3.25,'shipped');"
wait_for "rows replicated" 30 tables_equal shop.customers shop.orders

dm pause-task "$TASK"
check_contains "pause-task op Pause" '"op": "Pause"' "$out"
check_contains "pause-task result true" '"result": true' "$out"
src_sql "INSERT INTO shop.customers(name) VALUES ('paused-write')"
sleep 2
check_eq "nothing applied while paused" 0 "$(tgt_sql "SELECT COUNT(*) FROM shop.customers WHERE name='paused-write'")"

dm pause-task "$TASK"
check_contains "pausing a paused task reports the worker error" 'not running' "$out"

dm update-task "$DM_TASK_FILE"
check_contains "update-task while Paused" '"result": true' "$out"

dm resume-task "$TASK"
check_contains "resume-task op Resume" '"op": "Resume"' "$out"
wait_for "caught up after resume" 30 tables_equal shop.customers shop.orders

dm query-error "$TASK"
check_contains "query-error answers" '"result": true' "$out"

dm stop-task "$TASK"
check_contains "stop-task op Stop" '"op": "Stop"' "$out"
dm query-status "$TASK"
check_contains "stopped task is gone" 'has no workers or not exist' "$out"

dm pause-task no-such-task
check_contains "unknown task message" "task no-such-task has no workers or not exist, can try \`refresh-worker-tasks\` cmd first" "$out"

dm pause-relay
check_contains "local argument check (no -w)" 'must specify at least one DM-worker (`-w` / `--worker`)' "$out"
check_eq "local argument error exits 1" 1 "$rc"
dm sql-skip -b mysql-bin.000001:4 no-such-task
check_contains "sql-skip needs exactly one worker" 'should only specify one worker, but got []' "$out"

e2e_finish

#!/usr/bin/env bash
# browser_master_down.sh - the web console with dm-master down, in a real browser (Debian
# chromium driven by playwright-core) against the real local stack: the sample task runs,
# dm-master is stopped, then the console must let a valid token sign in and say on each
# page that the master is unavailable (no hang, no blank "Loading…"), and recover by itself
# once dm-master is started again (tests/browser/console_master_down.mjs).
# Screenshots in build/test-artifacts/console-master-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API" 201 "$HTTP_CODE"
TASK="$(sed -n 's/^name:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$DM_STACK_DIR/task.yaml")"

# stop dm-master (the stack's own pid file: this run started it)
MPID="$(cat "$DM_STACK_DIR/master.pid")"
kill -TERM "$MPID"
for _ in $(seq 1 100); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
api GET /api/v1/tasks
check_eq "with dm-master stopped the gateway answers 503" 503 "$HTTP_CODE"

# how the browser test starts it again (same config, same pid file for stack down)
RESTART="nohup '$DMGW_BIN/dm-master' -config '$DM_STACK_DIR/master/dm-master.toml' \
  >>'$DM_STACK_DIR/logs/dm-master.log' 2>&1 </dev/null & echo \$! >'$DM_STACK_DIR/master.pid'"
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_master_down.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$TASK" "$RESTART" \
  || FAILS=$((FAILS+1))
e2e_finish

#!/usr/bin/env bash
# browser_console_pass5.sh - console pass 5 (docs/gateway.md "Console pass 5"): the web
# console in Debian's chromium against the real local stack, as an operator and an attacker
# use it: expired and scope-less tokens, 500 tasks filtered and paged from the keyboard, a
# task of 60 workers, the line of a refused config, a 207 of a pause, the worker killed
# behind a running master, the master hung (SIGSTOP), the gateway restarted under an open
# page (tests/browser/console_pass5.mjs). Screenshots in build/test-artifacts/console-pass5-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API" 201 "$HTTP_CODE"
TASK="$(sed -n 's/^name:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$DM_STACK_DIR/task.yaml")"
# restarts whatever daemon of this stack is down (same ports, configs and pid files)
STACK_UP="DM_STACK_DIR='$DM_STACK_DIR' '$ROOT/scripts/stack' up >>'$DM_STACK_DIR/logs/restarts.log' 2>&1"
t0=$SECONDS
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_pass5.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$DM_STACK_DIR/gateway/jwt-secret" "$TASK" \
       "$DM_STACK_DIR/worker.pid" "$DM_STACK_DIR/master.pid" "$DM_STACK_DIR/gateway.pid" "$STACK_UP" \
  || FAILS=$((FAILS+1))
echo "# browser part: $((SECONDS - t0)) s"
e2e_finish

#!/usr/bin/env bash
# browser_console_ux.sh - the web console used as an operator uses it, in a real browser
# (Debian chromium driven by playwright-core, axe-core for accessibility) against the real
# local stack: security headers, weight and time to interactive (printed), a deep link
# through a keyboard-only sign-in, the back button, a hung dm-master (SIGSTOP, then
# SIGCONT) and double clicks (one request each), a network failure mid-action, a task
# started from a YAML file, an unknown task, a token expiring on an open page, dark mode,
# 375 px, axe on every page and dialog. Screenshots in build/test-artifacts/console-ux-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API" 201 "$HTTP_CODE"
t0=$SECONDS
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_ux.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$DM_STACK_DIR/gateway/jwt-secret" \
       "$DM_STACK_DIR/task.yaml" "$(cat "$DM_STACK_DIR/master.pid")" || FAILS=$((FAILS+1))
echo "# browser part: $((SECONDS - t0)) s"
e2e_finish

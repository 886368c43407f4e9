#!/usr/bin/env bash
# browser_console_pass6.sh - console pass 6 (docs/gateway.md "Console pass 6"): an operator's
# whole journey on a real replicating task in Debian's chromium against the real local stack
# (start from a YAML file, live status while rows replicate, pause, update, resume, errors,
# stream reconnects incl. a gateway restart, stop), the page checked against dmctl and the
# target, writes whose answers are lost and retried (Idempotency-Key), memory and listeners
# bounded, /docs Try it out keeping the token out of storage and URLs
# (tests/browser/console_pass6.mjs). Screenshots in build/test-artifacts/console-pass6-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
TASK="$(sed -n 's/^name:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$DM_STACK_DIR/task.yaml")"
# restarts whatever daemon of this stack is down (same ports, configs and pid files)
STACK_UP="DM_STACK_DIR='$DM_STACK_DIR' '$ROOT/scripts/stack' up >>'$DM_STACK_DIR/logs/restarts.log' 2>&1"
t0=$SECONDS
DMCTL="$DMGW_BIN/dmctl" DM_MASTER_ADDR="$DM_MASTER_ADDR" SOURCE_PORT="$SOURCE_PORT" TARGET_PORT="$TARGET_PORT" \
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_pass6.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$DM_STACK_DIR/task.yaml" "$TASK" \
       "$DM_STACK_DIR/gateway.pid" "$STACK_UP" "$DM_STACK_DIR/master.pid" \
  || FAILS=$((FAILS+1))
echo "# browser part: $((SECONDS - t0)) s"
# the token went as a header and the tickets in URLs: neither may reach the gateway's log
check_eq "no bearer token in the gateway log" 0 "$(cat "$DM_STACK_DIR"/logs/dm-gateway*.log | grep -c -F -e "$DM_TOKEN" || true)"
check_eq "no stream ticket in the gateway log" 0 "$(cat "$DM_STACK_DIR"/logs/dm-gateway*.log | grep -c -e "ticket=" || true)"
e2e_finish

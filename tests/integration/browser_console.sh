#!/usr/bin/env bash
# browser_console.sh - the web console (/console/) in a real browser (Debian chromium
# driven by playwright-core) against the real local stack: sign in, live stage through the
# status stream (stream tickets), pause / resume, config edit with If-Match and a 412,
# start (after a failed check) and stop a second task, a read-only token, narrow width,
# no console error or failed request. Screenshots in build/test-artifacts/console-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API" 201 "$HTTP_CODE"
RO_TOKEN="$("$DMGW_BIN/dm-gateway" token --secret-file "$DM_STACK_DIR/gateway/jwt-secret" --sub ro \
            --scope dm:read --ttl 1h)"
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$RO_TOKEN" \
       "$DM_STACK_DIR/task.yaml" || FAILS=$((FAILS+1))
e2e_finish

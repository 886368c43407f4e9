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
# a ticket travels in a URL: it must never reach the gateway's logs (a refused one is
# logged at once, so the check cannot pass vacuously)
BOGUS="$(printf 'f%.0s' $(seq 64))"
code="$(curl -s -o /dev/null -w '%{http_code}' "$DM_GATEWAY_URL/api/v1/tasks/shop-sync/status/stream?ticket=$BOGUS")"
check_eq "an unknown stream ticket is refused" 401 "$code"
sleep 0.3
check_contains "the refused stream request is in the access log" '"path":"/api/v1/tasks/shop-sync/status/stream","route":"/api/v1/tasks/{name}/status/stream","status":"401"' \
  "$(cat "$DM_STACK_DIR"/logs/dm-gateway.log)"
check_eq "no stream ticket in the gateway log" 0 "$(grep -c -e 'ticket=' -e "$BOGUS" "$DM_STACK_DIR"/logs/dm-gateway.log || true)"
e2e_finish

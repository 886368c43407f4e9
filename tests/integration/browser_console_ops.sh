#!/usr/bin/env bash
# browser_console_ops.sh - the web console's operator pages in a real browser (Debian
# chromium driven by playwright-core) against the real local stack: DDL locks (empty state,
# break, unlock), relay actions per worker, SQL operators on the task page, keyboard only,
# a read-only token, 375 px wide, no console error or failed request but the provoked ones.
# Screenshots in build/test-artifacts/console-ops-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API" 201 "$HTTP_CODE"
TASK="$(sed -n 's/^name:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$DM_STACK_DIR/task.yaml")"
RO_TOKEN="$("$DMGW_BIN/dm-gateway" token --secret-file "$DM_STACK_DIR/gateway/jwt-secret" --sub ro \
            --scope dm:read --ttl 1h)"
OUT="$DM_STACK_DIR.browser.out"
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_ops.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$RO_TOKEN" "$TASK" \
       "$SOURCE_PORT" "$TARGET_PORT" >"$OUT" 2>&1 \
  || FAILS=$((FAILS+1))
cat "$OUT"
# every request id the page showed is a real request of the gateway (its access log line)
sleep 0.3
ids="$(sed -n 's/^# shown request id //p' "$OUT")"
check_eq "the page showed request ids" 1 "$([ "$(echo "$ids" | grep -c .)" -ge 3 ] && echo 1 || echo 0)"
for id in $ids; do
  check_contains "request id $id shown by the page is in the gateway log" "\"requestId\":\"$id\"" \
    "$(cat "$DM_STACK_DIR"/logs/dm-gateway.log)"
done
check_contains "the console's sql-skip reached DM (200)" \
  '"route":"/api/v1/tasks/{name}/sql","status":"200","durationMs"' "$(cat "$DM_STACK_DIR"/logs/dm-gateway.log)"
rm -f "$OUT"
e2e_finish

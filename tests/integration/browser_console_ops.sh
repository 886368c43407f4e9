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
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_ops.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$RO_TOKEN" "$TASK" \
  || FAILS=$((FAILS+1))
# the operators the console registered reached the audit log as the admin's
check_contains "the console's sql-skip is audited" '"route":"/api/v1/tasks/{name}/sql"' "$(cat "$DM_STACK_DIR"/logs/dm-gateway.log)"
e2e_finish

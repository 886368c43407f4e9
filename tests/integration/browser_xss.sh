#!/usr/bin/env bash
# browser_xss.sh - hostile text in the web console, in a real browser (Debian chromium
# driven by playwright-core) against the real local stack: two real tasks whose names are
# markup (one started with dmctl, one through the API), then stubbed answers with markup in
# worker names, positions, DM errors, DDL locks and a problem+json, and a malformed hash.
# Nothing may become an element or a handler; the text is shown as text; no dialog, CSP
# violation or page error. Screenshots in build/test-artifacts/xss-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
IMG_TASK='<img src=x onerror=alert(1)>'
ATTR_TASK='xss" onmouseover="alert(3)" x="'
sed "s/^name: .*/name: \"$IMG_TASK\"/" "$DM_STACK_DIR/task.yaml" >"$DM_STACK_DIR/xss-task.yaml"
"$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" start-task "$DM_STACK_DIR/xss-task.yaml" >/dev/null
check_eq "dmctl starts a task whose name is markup" 0 "$?"
body="$(python3 -c 'import json,sys; t=open(sys.argv[1]).read().replace("name: \"shop-sync\"", "name: '"'"'" + sys.argv[2] + "'"'"'"); print(json.dumps({"task": t}))' \
        "$DM_STACK_DIR/task.yaml" "$ATTR_TASK")"
api POST /api/v1/tasks -H 'Content-Type: application/json' --data-binary "$body"
check_eq "the API starts a task whose name holds quotes and a handler" 201 "$HTTP_CODE"
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" JWT_SECRET_FILE="$DM_STACK_DIR/gateway/jwt-secret" \
  node "$ROOT/tests/browser/xss.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$IMG_TASK" "$ATTR_TASK" || FAILS=$((FAILS+1))
e2e_finish

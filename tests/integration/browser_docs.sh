#!/usr/bin/env bash
# browser_docs.sh - /docs opened in a real browser (Debian chromium driven by playwright-core)
# against the real local stack: every operation renders, Authorize + "Try it out" get a 200,
# "Try it out" on a running task's status stream shows its first event (no endless spinner),
# a wrong token shows the 401, a reload gets 304 for every file,
# no console error, no failed request, nothing from another origin. Screenshot in
# build/test-artifacts/docs.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API (its status stream is tried out)" 201 "$HTTP_CODE"
TASK="$(sed -n 's/^name:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$DM_STACK_DIR/task.yaml")"
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/docs.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$TASK" || FAILS=$((FAILS+1))
e2e_finish

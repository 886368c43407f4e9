#!/usr/bin/env bash
# browser_docs.sh - /docs opened in a real browser (Debian chromium driven by playwright-core)
# against the real local stack: every operation renders, Authorize + "Try it out" get a 200,
# no console error, no failed request, nothing from another origin. Screenshot in
# build/test-artifacts/docs.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/docs.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" || FAILS=$((FAILS+1))
e2e_finish

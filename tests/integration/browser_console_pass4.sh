#!/usr/bin/env bash
# browser_console_pass4.sh - the web console under what a person's browser does to it, in a
# real browser (Debian chromium driven by playwright-core, axe-core) against the real local
# stack (tests/browser/console_pass4.mjs, docs/gateway.md "Console pass 4"): a task started
# from the console whose name has a space and non-ASCII letters, reload / back / forward, a
# 64-character task name at 375 px and 200 % / 400 % zoom, invalid YAML, a failed pre-check,
# an over-limit body, "Bearer …" and forged tokens, two tabs, offline and back, a slow
# answer, ETag / 304 on reload, axe on every form dialog, CSP violations listened for.
# Screenshots in build/test-artifacts/console-pass4-*.png.
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/browser.sh"

browser_prepare
e2e_stack_up
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/task.yaml"
check_eq "the sample task starts through the API" 201 "$HTTP_CODE"
# the longest name DM accepts (64 characters), started through the API
LONG="$(printf 'shop_sync_with_a_name_as_long_as_dm_allows_for_a_task_xxxxxxxxxx' | cut -c1-64)"
sed -e "s/^name: .*/name: \"$LONG\"/" -e 's/do-dbs: .*/do-dbs: ["shop_long_none"]/' \
    -e 's/^meta-schema: .*/meta-schema: "dm_meta_long"/' "$DM_STACK_DIR/task.yaml" >"$DM_STACK_DIR/long-task.yaml"
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/long-task.yaml"
check_eq "a task with a 64-character name starts through the API" 201 "$HTTP_CODE"
t0=$SECONDS
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_pass4.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$DM_STACK_DIR/task.yaml" "$LONG" \
  || FAILS=$((FAILS+1))
echo "# browser part: $((SECONDS - t0)) s"
e2e_finish

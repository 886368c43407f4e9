#!/usr/bin/env bash
# browser_console_ux.sh - the web console used as an operator uses it, in a real browser
# (Debian chromium driven by playwright-core, axe-core for accessibility) against the real
# local stack: security headers, weight and time to interactive (printed), a deep link
# through a keyboard-only sign-in, the back button, a hung dm-master (SIGSTOP, then
# SIGCONT) and double clicks (one request each), a network failure mid-action, a task
# started from a YAML file, an unknown task, a token expiring on an open page, dark mode,
# 375 px, axe on every page and dialog. Screenshots in build/test-artifacts/console-ux-*.png.
# Then, on the same stack, console pass 4 (below).
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

# Console pass 4 on the same stack (one stack start less in CI): what a person's browser
# does to the console (tests/browser/console_pass4.mjs, docs/gateway.md "Console pass 4"):
# a task started from the console whose name has a space and non-ASCII letters, reload /
# back / forward, a 43-character task name at 375 px and 200 % / 400 % zoom, invalid YAML,
# a failed pre-check, an over-limit body, "Bearer …" and forged tokens, two tabs, offline
# and back, a slow answer, ETag / 304 on reload, axe on every form dialog, stage changes
# read out, CSP violations listened for. Screenshots in build/test-artifacts/console-pass4-*.png.
# The longest name the worker accepts (43 characters: `<task>_syncer_sharding_exec` must fit
# MariaDB's 64), started through the API; one character more is refused before it starts
# (it used to start and pause at once with Error 1103, Incorrect table name).
long_task() { # name
  sed -e "s/^name: .*/name: \"$1\"/" -e 's/do-dbs: .*/do-dbs: ["shop_long_none"]/' \
      -e 's/^meta-schema: .*/meta-schema: "dm_meta_long"/' "$DM_STACK_DIR/task.yaml" >"$DM_STACK_DIR/long-task.yaml"
  api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary "@$DM_STACK_DIR/long-task.yaml"
}
LONG="$(printf 'shop_sync_with_a_name_as_long_as_dm_allows_for_a_task_xxxxxxxxxx' | cut -c1-43)"
long_task "${LONG}x"
check_contains "a 44-character task name is refused, naming the limit" "longer than 43 characters" "$BODY"
long_task "$LONG"
check_eq "a task with a 43-character name starts through the API" 201 "$HTTP_CODE"
t0=$SECONDS
DMGW_ARTIFACTS="${DMGW_BUILD_DIR:-$ROOT/build}/test-artifacts" \
  node "$ROOT/tests/browser/console_pass4.mjs" "$DM_GATEWAY_URL" "$DM_TOKEN" "$DM_STACK_DIR/task.yaml" "$LONG" \
  || FAILS=$((FAILS+1))
echo "# browser part (pass 4): $((SECONDS - t0)) s"
e2e_finish

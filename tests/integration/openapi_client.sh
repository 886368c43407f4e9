#!/usr/bin/env bash
# openapi_client.sh - openapi/openapi.yaml is a contract a client can type against (issue 16):
#  1. Redocly CLI (recommended rules, tests/openapi/redocly.yaml) and Spectral (the oas
#     ruleset, tests/openapi/.spectral.yaml) find 0 errors and 0 warnings;
#  2. no schema is a bare object (type object without properties or additionalProperties);
#  3. openapi-typescript generates a client that tests/openapi/client/main.ts (openapi-fetch:
#     list, start, pause, patch under If-Match, stop) compiles against with tsc --strict,
#     with no type assertion, non-null assertion or `any` in main.ts, while programs that
#     break the document's types do NOT compile;
#  4. main.ts runs against the real local stack (scripts/stack: MariaDB source and target,
#     dm-master, dm-worker, dm-gateway) and its checks pass.
# The tooling comes from npm at test time (tests/openapi/package-lock.json, never committed).
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"

TOOLS="$ROOT/tests/openapi"
OAS="$ROOT/openapi/openapi.yaml"
OUT="${DMGW_BUILD_DIR:-$ROOT/build}/openapi-client"
BIN="$TOOLS/node_modules/.bin"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 NODE_NO_WARNINGS=1

command -v node >/dev/null 2>&1 || { echo "FAIL - node is not installed (scripts/setup.sh installs nodejs)"; exit 1; }
if [ ! -x "$BIN/tsc" ] || [ ! -x "$BIN/redocly" ] || [ ! -x "$BIN/spectral" ] || [ ! -x "$BIN/openapi-typescript" ]; then
  (cd "$TOOLS" && flock /tmp/dmgw-npm.lock npm ci --no-audit --no-fund --ignore-scripts >/dev/null) \
    || { echo "FAIL - npm ci in tests/openapi failed"; exit 1; }
fi

# --- 1. linters (and the generator, in parallel: node tools are slow on a shared box) ---
rm -rf "$OUT" && mkdir -p "$OUT"
(cd "$TOOLS" && "$BIN/redocly" lint --config redocly.yaml --format=summary ../../openapi/openapi.yaml \
   >"$OUT/redocly.log" 2>&1; echo $? >"$OUT/redocly.rc") &
(cd "$TOOLS" && "$BIN/spectral" lint -r .spectral.yaml --fail-severity=hint "$OAS" \
   >"$OUT/spectral.log" 2>&1; echo $? >"$OUT/spectral.rc") &
("$BIN/openapi-typescript" "$OAS" -o "$OUT/api.ts" >"$OUT/generate.log" 2>&1; echo $? >"$OUT/generate.rc") &
wait
n="$(grep -cE '^(error|warning) ' "$OUT/redocly.log" || true)"
if [ "$(cat "$OUT/redocly.rc")" = 0 ] && [ "$n" -eq 0 ] && grep -q "Your API description is valid" "$OUT/redocly.log"; then
  ok "Redocly lint: 0 errors, 0 warnings (GET / has no 2XX by design: .redocly.lint-ignore.yaml)"
else
  fail "Redocly lint:"; grep -E '^(error|warning) ' "$OUT/redocly.log" || tail -20 "$OUT/redocly.log"
fi
if [ "$(cat "$OUT/spectral.rc")" = 0 ] && grep -q "No results with a severity of 'hint' or higher found" "$OUT/spectral.log"; then
  ok "Spectral lint (oas): 0 errors, 0 warnings"
else
  fail "Spectral lint:"; tail -30 "$OUT/spectral.log"
fi

# --- 2. no bare objects --------------------------------------------------------------
out="$(python3 - "$OAS" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
bad = []
def walk(node, ptr):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" not in node and "additionalProperties" not in node \
           and not any(k in node for k in ("allOf", "oneOf", "anyOf", "enum")):
            bad.append(ptr)
        for k, v in node.items():
            walk(v, ptr + "/" + str(k).replace("~", "~0").replace("/", "~1"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{ptr}/{i}")
walk(doc, "#")
print("\n".join(bad))
PY
)"
if [ -z "$out" ]; then ok "no schema is a bare {type: object}"; else fail "bare objects:"; echo "$out"; fi
out="$(python3 - "$OAS" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
def deref(o, kind):
    return d["components"][kind][o["$ref"].split("/")[-1]] if "$ref" in o else o
missing = []
for p, v in d["paths"].items():
    for m, o in v.items():
        if m == "parameters":
            continue
        if "requestBody" in o:
            for mt, c in deref(o["requestBody"], "requestBodies")["content"].items():
                if "example" not in c and "examples" not in c:
                    missing.append(f"{o['operationId']} request {mt}")
        for code, r in o["responses"].items():
            for mt, c in deref(r, "responses").get("content", {}).items():
                if "example" not in c and "examples" not in c:
                    missing.append(f"{o['operationId']} {code} {mt}")
print("\n".join(missing))
PY
)"
if [ -z "$out" ]; then ok "every request and response body has an example (Redocly checks them against the schemas)"; else fail "no example:"; echo "$out"; fi

# --- 3. generated client, strict compile, no casts -----------------------------------
cp "$TOOLS/client/main.ts" "$TOOLS/client/tsconfig.json" "$OUT/"
echo '{"type":"module"}' >"$OUT/package.json"
ln -s "$TOOLS/node_modules" "$OUT/node_modules"
if [ "$(cat "$OUT/generate.rc")" = 0 ] && grep -q "export interface paths" "$OUT/api.ts"; then
  ok "openapi-typescript generated the client types"
else
  fail "openapi-typescript:"; cat "$OUT/generate.log"
fi
# code only (comments and strings dropped): no `as`, no `!` assertion, no `any`, no ts-ignore
code="$(python3 - "$OUT/main.ts" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"//[^\n]*|/\*.*?\*/", "", s, flags=re.S)
s = re.sub(r"`(?:\\.|[^`\\])*`|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', s)
print(s)
PY
)"
casts="$(grep -nE '\bas\b|\bany\b|[A-Za-z0-9_)\]]!([^=]|$)|<[A-Z][A-Za-z]*>[ (]*[a-z(]|@ts-' <<<"$code" || true)"
if [ -z "$casts" ] && grep -q 'createClient<paths>' <<<"$code"; then
  ok "main.ts has no cast, non-null assertion or any"
else
  fail "main.ts escapes the types:"; echo "$casts"
fi
# Programs that break the document's types must NOT compile: each bad_N.ts is compiled in
# the same tsc run as main.ts (one run: tsc is slow on a shared box) and must have errors.
BAD=(
  "a stage other than Paused/Running|export const p: S[\"TaskPatch\"] = { stage: \"Stopped\" };"
  "an unknown task-mode|export const c: S[\"TaskConfig\"] = { name: \"t\", \"task-mode\": \"everything\" };"
  "an unknown task config key|export const c: S[\"TaskConfig\"] = { name: \"t\", \"target-db\": {} };"
  "a filter action other than Do/Ignore|export const c: S[\"TaskConfig\"] = { name: \"t\", filters: { f: { action: \"Drop\" } } };"
  "a port given as a string|export const c: S[\"TaskConfig\"] = { name: \"t\", \"target-database\": { port: \"4000\" } };"
  "an int64 counter read as a number|export function f(s: S[\"SubTaskStatus\"]): number { return s.sync?.totalEvents ?? 0; }"
  "an error message read from a closed relay error|export function f(e: NonNullable<S[\"RelayError\"]>): string { return e.message; }"
)
files='"main.ts", "api.ts"'
for i in "${!BAD[@]}"; do
  printf 'import type { components } from "./api.js";\ntype S = components["schemas"];\n%s\n' "${BAD[$i]#*|}" >"$OUT/bad_$i.ts"
  files="$files, \"bad_$i.ts\""
done
sed -i "s/\"files\": \[.*\]/\"files\": [$files]/" "$OUT/tsconfig.json"
# tsc runs while the stack starts (section 4 needs both)
(cd "$OUT" && "$BIN/tsc" -p . >"$OUT/tsc.log" 2>&1 || true) &
TSC_PID=$!
e2e_stack_up
wait "$TSC_PID"
if ! grep -qE '^(main|api)\.ts\(' "$OUT/tsc.log" && [ -f "$OUT/out/main.js" ]; then
  ok "main.ts compiles with tsc --strict against the generated client"
else
  fail "tsc --strict:"; grep -E '^(main|api)\.ts\(' "$OUT/tsc.log" || cat "$OUT/tsc.log"
fi
for i in "${!BAD[@]}"; do
  if grep -q "^bad_$i\.ts(" "$OUT/tsc.log"; then
    ok "the types refuse ${BAD[$i]%%|*}"
  else
    fail "the types let through ${BAD[$i]%%|*}"
  fi
done

# --- 4. the client against the real stack (started above) ----------------------------
read -r BINLOG_NAME BINLOG_POS < <(python3 - "$DM_TASK_FILE" <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
m = t["mysql-instances"][0]["meta"]
print(m["binlog-name"], m["binlog-pos"])
PY
)
SOURCE_ID="$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["mysql-instances"][0]["source-id"])' "$DM_TASK_FILE")"
export DM_GATEWAY_URL DM_TOKEN TARGET_HOST TARGET_PORT TARGET_USER TARGET_PASSWORD BINLOG_NAME BINLOG_POS SOURCE_ID
if (cd "$OUT" && node out/main.js) >"$OUT/run.log" 2>&1; then
  ok "the typed client listed, started, paused, patched and stopped a task on the real stack"
else
  fail "the typed client against the real stack:"
fi
cat "$OUT/run.log"
e2e_finish

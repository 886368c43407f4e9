#!/usr/bin/env bash
# master_daemon.sh - the dm-master binary: -V banner, --print-sample-config, config
# errors in DM's words, serving with a config file, graceful SIGTERM.
set -euo pipefail
bin="${DMGW_BIN:?}/dm-master"
tmp="$(mktemp -d /tmp/dmgw-master-XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

[ "$("$bin" -V | wc -l)" -eq 5 ] || fail "-V is not five lines"
"$bin" -V | head -1 | grep -q '^Release Version: ' || fail "-V first line"
"$bin" --print-sample-config | grep -q '^rpc-timeout = "30s"' || fail "sample config"

printf 'master-addr = ":1"\nbogus-key = 1\n' >"$tmp/bad.toml"
out="$("$bin" -config "$tmp/bad.toml" 2>&1 || true)"
echo "$out" | grep -q 'code=38011:class=dm-master.*unknown configuration options: bogus-key' || fail "unknown key: $out"

printf '[[deploy]]\nsource-id = "s1"\n' >"$tmp/bad2.toml"
out="$("$bin" -config "$tmp/bad2.toml" 2>&1 || true)"
echo "$out" | grep -q 'code=38009' || fail "deploy verify: $out"

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat >"$tmp/m.toml" <<EOT
master-addr = "127.0.0.1:$port"
rpc-timeout = "3s"
data-dir = "$tmp/data"
log-file = "$tmp/master.log"
[[deploy]]
source-id = "s1"
dm-worker = "127.0.0.1:1"
EOT
"$bin" -config "$tmp/m.toml" &
pid=$!
for _ in $(seq 1 50); do grep -q '"dm-master started"' "$tmp/master.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"dm-master started"' "$tmp/master.log" || fail "did not start"
python3 -c "import json,sys; [json.loads(l) for l in open('$tmp/master.log')]" || fail "log is not JSON lines"
term_within "$pid" 8000 dm-master
pid=""
grep -q '"dm-master exit"' "$tmp/master.log" || fail "no exit log"
echo "master_daemon: ok"

# e2e.sh - helpers for the end-to-end scripts (sourced). A private stack per test run:
# its own .stack dir and random ports, torn down on exit.
set -euo pipefail
ROOT="${DMGW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
export DMGW_BIN="${DMGW_BIN:-$ROOT/build/bin}"
FAILS=0
PASSES=0

# A free loopback port, never one this script already handed out (the kernel may give a
# just-closed ephemeral port again: two daemons of one stack were once given the same one).
# Callers run it in $(...), a subshell: the ports handed out are kept in a file.
RAND_PORTS_FILE="$(mktemp /tmp/dmgw-ports-XXXXXX)"
rand_port() {
  local p
  while :; do
    p="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')"
    grep -qx "$p" "$RAND_PORTS_FILE" 2>/dev/null && continue
    echo "$p" >>"$RAND_PORTS_FILE"
    echo "$p"
    return
  done
}

e2e_stack_up() {
  export DM_STACK_DIR
  DM_STACK_DIR="$(mktemp -d /tmp/dmgw-e2e-XXXXXX)"
  export DM_STACK_SOURCE_PORT DM_STACK_TARGET_PORT DM_STACK_WORKER_PORT DM_STACK_MASTER_PORT DM_STACK_GATEWAY_PORT
  DM_STACK_SOURCE_PORT="$(rand_port)"; DM_STACK_TARGET_PORT="$(rand_port)"
  DM_STACK_WORKER_PORT="$(rand_port)"; DM_STACK_MASTER_PORT="$(rand_port)"
  DM_STACK_GATEWAY_PORT="$(rand_port)"
  trap e2e_stack_down EXIT
  "$ROOT/scripts/stack" up >"$DM_STACK_DIR.up.log" 2>&1 || { cat "$DM_STACK_DIR.up.log"; exit 1; }
  # shellcheck disable=SC1091
  source "$DM_STACK_DIR/stack.env"
}

e2e_stack_down() {
  local rc=$?
  if [ $rc -ne 0 ] || [ "$FAILS" -ne 0 ]; then
    echo "---- logs ($DM_STACK_DIR/logs) ----"
    tail -n 30 "$DM_STACK_DIR"/logs/*.log 2>/dev/null || true
  fi
  "$ROOT/scripts/stack" down >/dev/null 2>&1 || true
  rm -rf "$DM_STACK_DIR" "$DM_STACK_DIR.up.log" "$RAND_PORTS_FILE"
}

# Wait (up to 10 s) until something listens on a loopback port.
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }

# worker_toml FILE WORKER_PORT SOURCE_ID SERVER_ID META_DIR SOURCE_PORT [LINES]
# shellcheck source=worker_toml.sh
source "$(dirname "${BASH_SOURCE[0]}")/worker_toml.sh"

src_sql() { mariadb -h127.0.0.1 -P"$SOURCE_PORT" -uroot -N -B -e "$1"; }
tgt_sql() { mariadb -h127.0.0.1 -P"$TARGET_PORT" -uroot -N -B -e "$1"; }

ok()   { PASSES=$((PASSES+1)); echo "ok   - $*"; }
fail() { FAILS=$((FAILS+1)); echo "FAIL - $*"; }

check_eq() { # description expected actual
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2] got [$3]"; fi
}
check_contains() { # description needle haystack
  case "$3" in *"$2"*) ok "$1" ;; *) fail "$1: [$2] not in [${3:0:600}]" ;; esac
}

# api METHOD PATH [curl args...]: sets HTTP_CODE and BODY
api() {
  local m="$1" p="$2"; shift 2
  local out
  out="$(curl -sS -X "$m" -H "Authorization: Bearer $DM_TOKEN" -w '\n%{http_code}' "$@" "$DM_GATEWAY_URL$p")"
  HTTP_CODE="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
}

jq_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); exec("print(" + sys.argv[1] + ")")' "$1"; }

# wait_for DESCRIPTION SECONDS CMD...: retry CMD until it succeeds
wait_for() {
  local d="$1" t="$2"; shift 2
  local i
  for i in $(seq 1 $((t * 5))); do
    if "$@" >/dev/null 2>&1; then ok "$d"; return 0; fi
    sleep 0.2
  done
  fail "$d (timed out after ${t}s)"
  return 1
}

target_count_is() { [ "$(tgt_sql "SELECT COUNT(*) FROM $1" 2>/dev/null)" = "$2" ]; }

# compare source and target tables: count + CRC32 aggregate per table
tables_equal() {
  local t q
  for t in "$@"; do
    q="SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('#', $(cols_of "$t")))),0) FROM $t"
    [ "$(src_sql "$q")" = "$(tgt_sql "$q")" ] || return 1
  done
}
cols_of() { src_sql "SELECT GROUP_CONCAT(CONCAT('COALESCE(\`',column_name,'\`,\"<null>\")') ORDER BY ordinal_position) FROM information_schema.columns WHERE CONCAT(table_schema,'.',table_name)='$1'"; }

e2e_finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}

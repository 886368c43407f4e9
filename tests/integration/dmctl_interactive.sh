#!/usr/bin/env bash
# dmctl_interactive.sh - dmctl's interactive prompt driven through a tmux pty against
# the scripted pb.Master of test_dmctl_golden (--serve mode): banner, prompt, commands
# with shell quoting, usage on a wrong line, history (Up arrow), `exit` and Ctrl-D.
set -u
BUILD=${DMGW_BUILD_DIR:?DMGW_BUILD_DIR not set}
BIN=${DMGW_BIN:-$BUILD/bin}
export DMGW_SOURCE_DIR=${DMGW_SOURCE_DIR:?DMGW_SOURCE_DIR not set}
MASTER_BIN=$BUILD/tests/unit_dmctl_test_dmctl_golden

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux not installed"
  exit 0
fi
[ -x "$BIN/dmctl" ] && [ -x "$MASTER_BIN" ] || { echo "FAIL: $BIN/dmctl or $MASTER_BIN missing"; exit 1; }

TMP=$(mktemp -d)
SOCK="dmctl-it-$$"
MASTER_PID=
cleanup() {
  tmux -L "$SOCK" kill-server >/dev/null 2>&1
  [ -n "$MASTER_PID" ] && kill "$MASTER_PID" 2>/dev/null && wait "$MASTER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; echo "--- pane ---"; pane; exit 1; }
pane() { tmux -L "$SOCK" capture-pane -p -J -S -500 -t s 2>/dev/null; }
# wait_for <fixed string> [seconds]
wait_for() {
  local deadline=$((SECONDS + ${2:-10}))
  while [ $SECONDS -lt $deadline ]; do
    pane | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  fail "timed out waiting for: $1"
}
count() { pane | grep -cF -- "$1"; }

"$MASTER_BIN" --serve "$TMP/port" &
MASTER_PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { echo "FAIL: scripted master did not start"; exit 1; }
ADDR="127.0.0.1:$(cat "$TMP/port")"

start_session() {
  tmux -L "$SOCK" kill-server >/dev/null 2>&1
  rm -f "$TMP/status"
  local ok=
  for _ in $(seq 20); do
    tmux -L "$SOCK" -f /dev/null new-session -d -s s -x 220 -y 60 \
      "env HOME=$TMP TERM=xterm $BIN/dmctl -master-addr $ADDR; echo \$? > $TMP/status.tmp; mv $TMP/status.tmp $TMP/status" \
      && ok=1 && break
    sleep 0.2
  done
  [ -n "$ok" ] || fail "tmux new-session"
  tmux -L "$SOCK" set-option -t s remain-on-exit on >/dev/null
  wait_for "Welcome to dmctl"
  wait_for "»"
}
send() { tmux -L "$SOCK" send-keys -t s -l -- "$1"; tmux -L "$SOCK" send-keys -t s Enter; }
dead() { [ -s "$TMP/status" ]; }
# dmctl's exit status (written by the wrapper shell of the pane)
dead_status() { cat "$TMP/status" 2>/dev/null || echo none; }

# --- session 1: commands, quoting, usage, history, Ctrl-D ---
start_session
pane | grep -qF "Release Version: v" || fail "no version banner"
pane | grep -qF "Go Version: C17" || fail "no Go Version line"

send "pause-task test"
wait_for '"logID": "2"'

send "query-status"
wait_for '"taskStatus": "Error - Some error occurred in subtask.'

send "sql-skip -w w1 -s 'ALTER TABLE t ADD c INT' test"
wait_for '"worker": "127.0.0.1:8262"'

send "sql-skip -w w1 test"
wait_for "must specify one of --binlog-pos and --sql-pattern in sql operation"

send "pause-task"
wait_for "dmctl pause-task [-w worker ...] <task-name> [flags]"
n1=$(count "dmctl pause-task [-w worker ...] <task-name> [flags]")

send "help check-task"
wait_for "check the config file of the task"

send "sql-inject -w w1 test 'unterminated"
wait_for "unterminated quote in command line"

# history: Up twice recalls "help check-task"? -> Up x1 = help, x2 = pause-task
tmux -L "$SOCK" send-keys -t s Up Up Enter
for _ in $(seq 50); do [ "$(count "dmctl pause-task [-w worker ...] <task-name> [flags]")" -gt "$n1" ] && break; sleep 0.1; done
[ "$(count "dmctl pause-task [-w worker ...] <task-name> [flags]")" -gt "$n1" ] || fail "history recall did not re-run pause-task"

tmux -L "$SOCK" send-keys -t s C-d
wait_for "dmctl exit"
for _ in $(seq 50); do dead && break; sleep 0.1; done
dead || fail "dmctl still running after Ctrl-D"
st=$(dead_status); [ "$st" = 0 ] || fail "Ctrl-D exit status $st"
grep -q "^pause-task" "$TMP/.dmctl_history" || fail "history file not written"

# --- session 2: `exit` leaves at once, without "dmctl exit" ---
start_session
send "exit"
for _ in $(seq 50); do dead && break; sleep 0.1; done
dead || fail "dmctl still running after exit"
st=$(dead_status); [ "$st" = 0 ] || fail "exit status $st"
pane | grep -qF "dmctl exit" && fail "'exit' printed dmctl exit"

echo "PASS: dmctl interactive"
exit 0

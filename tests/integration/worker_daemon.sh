#!/usr/bin/env bash
# worker_daemon.sh - the dm-worker binary: -V banner, --print-sample-config, unknown config
# key rejected, a subtask restored from meta-dir replicating between two MariaDB sandboxes,
# SIGTERM exits 0 after flushing the checkpoint, state (subtask + checkpoint) persisted
# and resumed by the next start.
# shellcheck disable=SC2154  # sp, dp, hex: set by pair_sandboxes / pair_subtask
set -euo pipefail
TMP_NAME=wdaemon
# shellcheck source=lib/worker_pair.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/worker_pair.sh"
# shellcheck source=lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

[ "$("$bin" -V | wc -l)" -eq 5 ] || fail "-V is not five lines"
"$bin" -V | head -1 | grep -q '^Release Version: ' || fail "-V first line"
"$bin" --print-sample-config | grep -q '^source-id = ' || fail "sample config has no source-id"
"$bin" --print-sample-config | grep -q '^\[from\]' || fail "sample config has no [from]"

printf 'source-id = "s1"\nbogus-key = 1\n' >"$tmp/bad.toml"
set +e
out="$("$bin" -config "$tmp/bad.toml" 2>&1)"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "unknown key accepted"
echo "$out" | grep -q 'bogus-key' || fail "unknown key error: $out"

pair_sandboxes   # sp dp wp bfile bpos
# a Running subtask in meta-dir: restored at start (the RPC path is covered by the unit tests)
pair_subtask daemon
pair_worker_toml 4343
wait_eq() {  # query, timeout s
  local a b
  for _ in $(seq 1 $(($2 * 5))); do
    a=$(q "$sp" "$1" 2>/dev/null || echo E1); b=$(q "$dp" "$1" 2>/dev/null || echo E2)
    [ "$a" = "$b" ] && return 0
    sleep 0.2
  done
  fail "not equal: $a vs $b for $1"
}
sum="SELECT CONCAT(COUNT(*),'-',SUM(CRC32(CONCAT_WS(',',id,v)))) FROM d.t"

start_worker
q "$sp" "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, v INT); INSERT INTO d.t SELECT seq, seq FROM d.seq_1_to_1000"
wait_eq "$sum" 30
python3 -c "import json; [json.loads(l) for l in open('$tmp/worker.log')]" || fail "log is not JSON lines"

term_within "$pid" 8000 dm-worker
pid=""
grep -q '"dm-worker shutting down"' "$tmp/worker.log" || fail "no shutdown log"
[ -f "$tmp/meta/subtasks/$hex.json" ] || fail "subtask state not persisted"
python3 -c "import json,sys; d=json.load(open('$tmp/meta/subtasks/$hex.json')); sys.exit(d['stage']!=2)" \
  || fail "subtask not Running in meta-dir"
mpos=$(q "$sp" "SHOW MASTER STATUS" | awk '{print $2}')
cpos=$(q "$dp" "SELECT binlog_pos FROM dm_meta.daemon_syncer_checkpoint WHERE is_global=1")
[ "$cpos" = "$mpos" ] || fail "checkpoint $cpos not flushed to $mpos on SIGTERM"

# changes while stopped are applied after the restart, from the checkpoint
q "$sp" "UPDATE d.t SET v = v * 2 WHERE id <= 500; DELETE FROM d.t WHERE id > 900"
start_worker
wait_eq "$sum" 30
grep -q '"restored subtask","task":"daemon","stage":"Running"' "$tmp/worker.log" || fail "not restored"
kill -TERM "$pid"
wait "$pid" || fail "non-zero exit on second SIGTERM"
pid=""
echo "worker_daemon: ok"

#!/usr/bin/env bash
# worker_daemon.sh - the dm-worker binary: -V banner, --print-sample-config, unknown config
# key rejected, a subtask restored from meta-dir replicating between two MariaDB sandboxes,
# SIGTERM exits 0 after flushing the checkpoint, state (subtask + checkpoint) persisted
# and resumed by the next start.
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

sp=$(freeport); dp=$(freeport); wp=$(freeport)
sandbox start "$tmp/src" "$sp" 1 || fail "source sandbox"
sandbox start "$tmp/dst" "$dp" 2 || fail "target sandbox"
read -r bfile bpos < <(q "$sp" "SHOW MASTER STATUS" | awk '{print $1, $2}')

# a Running subtask in meta-dir: restored at start (the RPC path is covered by the unit tests)
mkdir -p "$tmp/meta/subtasks"
hex=$(printf 'daemon' | od -An -tx1 | tr -d ' \n')
cat >"$tmp/meta/subtasks/$hex.json" <<EOT
{"name": "daemon", "stage": 2, "remove-meta-done": true, "config": {
 "name": "daemon", "mode": "incremental", "source-id": "mysql-replica-01", "worker-count": 4,
 "meta": {"binlog-name": "$bfile", "binlog-pos": $bpos},
 "from": {"host": "127.0.0.1", "port": $sp, "user": "root", "password": ""},
 "to": {"host": "127.0.0.1", "port": $dp, "user": "root", "password": ""},
 "black-white-list": {"do-dbs": ["d"]}}}
EOT
cat >"$tmp/w.toml" <<EOT
worker-addr = "127.0.0.1:$wp"
source-id = "mysql-replica-01"
server-id = 4343
meta-dir = "$tmp/meta"
log-file = "$tmp/worker.log"
[from]
host = "127.0.0.1"
port = $sp
user = "root"
password = ""
EOT
start_worker() {
  "$bin" -config "$tmp/w.toml" &
  pid=$!
  for _ in $(seq 1 50); do grep -q '"dm-worker started"' "$tmp/worker.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '"dm-worker started"' "$tmp/worker.log" || fail "did not start"
}
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

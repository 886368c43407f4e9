#!/usr/bin/env bash
# worker_metrics.sh - dm-worker's status-addr: /metrics (DM v1.0.7 relay and syncer
# families, scraped with curl, exposition checked by promtool), /status, hostile raw
# requests (oversized, binary, a silent connection) answered with 4xx while scrapes go on;
# a status-addr that cannot be bound stops the start with a clear log line.
# shellcheck disable=SC2154  # sp, dp, bfile: set by pair_sandboxes
set -euo pipefail
TMP_NAME=wmetrics
# shellcheck source=lib/worker_pair.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/worker_pair.sh"
command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus)"

pair_sandboxes   # sp dp wp bfile bpos
hp=$(freeport)
# a Running subtask reading the relay (binlog-type local), restored from meta-dir
pair_subtask mtask '"binlog-type": "local",'
pair_worker_toml 4344 "status-addr = \"127.0.0.1:$hp\"
relay-binlog-name = \"$bfile\""
start_worker
grep -q '"status listener started"' "$tmp/worker.log" || fail "no status listener"

q "$sp" "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, v INT); INSERT INTO d.t SELECT seq, seq FROM d.seq_1_to_2000"
read -r mfile mpos < <(q "$sp" "SHOW MASTER STATUS" | awk '{print $1, $2}')
scrape() { curl -sS --max-time 10 "http://127.0.0.1:$hp/metrics"; }
metric() { scrape | awk -v k="$1" '$1 == k {print $2}'; }
ok=0
for _ in $(seq 1 100); do
  [ "$(metric 'dm_relay_binlog_pos{node="relay"}')" = "$mpos" ] &&
    [ "$(q "$dp" "SELECT COUNT(*) FROM d.t" 2>/dev/null)" = 2000 ] && { ok=1; break; }
  sleep 0.2
done
[ "$ok" = 1 ] || fail "relay position / target rows: $(scrape | grep -E '^dm_relay_binlog_pos') (source $mpos)"
scrape >"$tmp/m.txt"
want() { grep -qE "$1" "$tmp/m.txt" || fail "no line matching $1 in /metrics"; }
want "^dm_relay_binlog_file\{node=\"relay\"\} ${mfile##*.0}\$|^dm_relay_binlog_file\{node=\"relay\"\} $((10#${mfile##*.}))\$"
want '^dm_relay_sub_dir_index\{node="relay",uuid="0-1\.000001"\} 1$'
want '^dm_relay_write_size_count [1-9][0-9]*$'
want '^dm_relay_write_duration_bucket\{le="\+Inf"\} [1-9]'
want '^dm_relay_read_binlog_duration_count [1-9]'
want '^dm_relay_space\{type="available"\} [1-9]'
want '^dm_relay_exit_with_error_count 0$'
want '^dm_worker_task_state\{task="mtask"\} 2$'
want '^dm_syncer_binlog_file\{node="syncer",task="mtask"\} '
want '^process_resident_memory_bytes [1-9]'

# promtool: the exposition must parse; the only findings allowed are its naming lints on
# DM v1.0.7's own counter names (kept for DM's dashboards and alerts)
set +e
promtool check metrics <"$tmp/m.txt" >"$tmp/promtool.out" 2>&1
prc=$?
set -e
[ "$prc" = 0 ] || [ "$prc" = 3 ] || fail "promtool exit $prc: $(cat "$tmp/promtool.out")"
if grep -vE '^dm_relay_(data_corruption|exit_with_error_count|read_error_count|write_error_count) (counter metrics should have "_total" suffix|non-histogram and non-summary metrics should not have "_count" suffix)$' \
     "$tmp/promtool.out" | grep -q .; then
  fail "promtool: $(cat "$tmp/promtool.out")"
fi

curl -sS "http://127.0.0.1:$hp/status" | grep -q '^dm-worker v' || fail "/status"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
[ "$(code -X POST "http://127.0.0.1:$hp/metrics")" = 405 ] || fail "POST not 405"
[ "$(code "http://127.0.0.1:$hp/")" = 404 ] || fail "/ not 404"

# raw hostile input: 1 MiB without a line end, binary garbage, a silent connection
raw() { python3 - "$hp" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
kind = sys.argv[2]
try:
    if kind == "big":
        s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * (1 << 20))
    elif kind == "bin":
        s.sendall(bytes(range(256)) * 4 + b"\r\n\r\n")
except OSError:
    pass   # the server may close before everything was sent
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    pass
print(data.split(b"\r\n")[0].decode(errors="replace"))
PY
}
[ "$(raw big)" = "HTTP/1.1 431 Request Header Fields Too Large" ] || fail "1 MiB head not 431"
[ "$(raw bin)" = "HTTP/1.1 400 Bad Request" ] || fail "binary garbage not 400"
exec 7<>"/dev/tcp/127.0.0.1/$hp"   # silent: the scrape next to it is not held up
t0=$(date +%s%N)
[ "$(code "http://127.0.0.1:$hp/metrics")" = 200 ] || fail "scrape next to a silent connection"
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ] || fail "scrape waited for the silent connection"
exec 7>&-
kill -0 "$pid" || fail "dm-worker died"

kill -TERM "$pid"; wait "$pid" || fail "non-zero exit on SIGTERM"; pid=""

# a status-addr that is taken: the start fails with a clear log line
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$hp)); s.listen(1); time.sleep(30)" &
holder=$!
sleep 0.5
kill -0 "$holder" 2>/dev/null || fail "could not hold port $hp for the taken status-addr check"
set +e
timeout 20 "$bin" -config "$tmp/w.toml"
rc=$?
set -e
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "started with a taken status-addr (exit $rc)"
grep -q '"cannot start the status listener"' "$tmp/worker.log" || fail "no clear error for a taken status-addr"
echo "worker_metrics: ok"
